"""One "host": a process serving the callback endpoint, a stand-in for one machine.

Run by the durable tests and the crash soak, from its own working directory::

    python host_app.py flask|django              # serve the callback endpoint
    python host_app.py django --migrate          # create the tables (once, first)
    python host_app.py flask|django --pay N [--callbacks]  # N payments recorded in the store
    python host_app.py flask|django --reconcile  # a reconciler process (Reconciler.run_forever)

The last two are the crash soak's reconcilers: the shop's client records each payment in
the store (``Client(store=...)``) and the reconcilers poll them, running the same handler
through the same processor (``--no-callbacks``: the sandbox sends none, and only they find
the payments; ``--reconciler``: beside the callbacks). ``HOST_RECONCILE_SCHEDULE``
(e.g. ``"20,5"``) overrides their schedule.

Environment: ``LIGDICASH_STORE_URL`` (flask; django uses ``django://`` on
``HOST_DJANGO_DB``), ``HOST_SANDBOX_URL``, ``HOST_API_KEY``, ``HOST_AUTH_TOKEN``,
``HOST_ORDERS`` (a JSON-lines file of orders the test appends to), ``HOST_HANDLED`` (flask:
a file the handler appends one line per delivery to), ``HOST_PORT_FILE`` (where the port is
written once serving), ``HOST_LEASE`` (lease seconds), ``HOST_SWEEP`` (sweep interval;
``off``: no sweeper), ``HOST_CRASH`` (optional ``point:probability``: ``kill -9`` itself
at ``accepted``, ``handler`` or ``confirmed`` with that probability, for the soak).

The handler: flask appends ``token`` to ``HOST_HANDLED`` (at-least-once, plain file);
django inserts it into ``shop_delivery`` in the same transaction as the "done" mark.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import types
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE)]

import ligdicash  # noqa: E402
from ligdicash.contrib import ExpectedTransaction  # noqa: E402

_orders: dict[str, ExpectedTransaction] = {}
_orders_lock = threading.Lock()
CRASH_POINT, _, CRASH_P = os.environ.get("HOST_CRASH", "").partition(":")


def crash(point: str) -> None:
    """``kill -9`` this process at ``point`` with the configured probability."""
    if point == CRASH_POINT and random.random() < float(CRASH_P or 0):
        os.kill(os.getpid(), signal.SIGKILL)


def sweep_interval() -> Optional[float]:
    """``HOST_SWEEP`` seconds (default 5); ``None`` (no sweeper) for ``off``."""
    value = os.environ.get("HOST_SWEEP", "5")
    return None if value == "off" else float(value)


def lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    order_id = callback.order_id or ""
    with _orders_lock:
        if order_id not in _orders:
            path = os.environ["HOST_ORDERS"]
            with open(path, encoding="utf-8") as orders:
                for line in orders:
                    if line.strip():
                        row = json.loads(line)
                        _orders[row["order_id"]] = ExpectedTransaction(
                            token=row["token"], amount=row["amount"], transaction_id=row["order_id"]
                        )
        return _orders.get(order_id)


def deliver_to_file(transaction: ligdicash.Transaction, *, event_key: str) -> None:
    crash("handler")
    with open(os.environ["HOST_HANDLED"], "a", encoding="utf-8") as handled:
        handled.write(f"{transaction.token}\n")
    crash("confirmed")


def deliver_to_database(transaction: ligdicash.Transaction) -> None:
    from django.db import connection

    crash("handler")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO shop_delivery (token) VALUES (%s)", [transaction.token])
    crash("confirmed")


def client() -> ligdicash.Client:
    return ligdicash.Client(
        api_key=os.environ["HOST_API_KEY"],
        auth_token=os.environ["HOST_AUTH_TOKEN"],
        base_url=os.environ["HOST_SANDBOX_URL"],
        timeout=10,
        max_retries=1,
    )


def flask_app() -> Any:
    from flask import Flask

    from ligdicash.contrib import CallbackProcessor
    from ligdicash.contrib.flask import make_blueprint

    processor = CallbackProcessor(
        lookup=lookup,
        handler=deliver_to_file,
        client=client(),
        lease_seconds=float(os.environ.get("HOST_LEASE", "20")),
    )  # the store: ligdicash.open_store(), from LIGDICASH_STORE_URL
    original_accept = processor.accept

    def accept(body: bytes, content_type: str) -> Any:
        entry = original_accept(body, content_type)
        crash("accepted")  # stored, about to answer 200, never processed here
        return entry

    processor.accept = accept  # type: ignore[method-assign]
    app = Flask("host")
    blueprint = make_blueprint(processor, sweep_interval=sweep_interval())
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    return app


def django_settings() -> None:
    import django
    from django.conf import settings
    from django.urls import include, path
    from durable_helpers import django_databases

    urls = types.ModuleType("host_urls")
    urls.urlpatterns = [path("ligdicash/", include("ligdicash.contrib.django.urls"))]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    settings.configure(
        DEBUG=False,
        SECRET_KEY="durable-tests-only",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["ligdicash.contrib.django"],
        DATABASES=django_databases(os.environ["HOST_DJANGO_DB"]),
        ROOT_URLCONF=urls.__name__,
        USE_TZ=True,
        LIGDICASH_API_KEY=os.environ.get("HOST_API_KEY"),
        LIGDICASH_AUTH_TOKEN=os.environ.get("HOST_AUTH_TOKEN"),
        LIGDICASH_BASE_URL=os.environ.get("HOST_SANDBOX_URL"),
        LIGDICASH_TIMEOUT=10,
        LIGDICASH_MAX_RETRIES=1,
        LIGDICASH_CALLBACK_LOOKUP=f"{__name__}.lookup",
        LIGDICASH_CALLBACK_HANDLER=f"{__name__}.deliver_to_database",
        LIGDICASH_CALLBACK_SWEEP_INTERVAL=sweep_interval(),
        LIGDICASH_CALLBACK_LEASE_SECONDS=float(os.environ.get("HOST_LEASE", "20")),
    )
    django.setup()


def migrate() -> None:
    """Create the store's tables and the shop's ``shop_delivery`` (run once, first)."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "ligdicash", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS shop_delivery (token varchar(600) NOT NULL)")


def serve(app: Any, django_server: bool) -> None:
    if django_server:
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        server: Any = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
        server.set_app(app)
        port = server.server_address[1]
    else:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        port = server.port
    ready(port)
    server.serve_forever()


def ready(port: int) -> None:
    """Say "started" to the harness: ``HOST_PORT_FILE`` appears, whole, with the port."""
    port_file = Path(os.environ["HOST_PORT_FILE"])
    port_file.with_suffix(".tmp").write_text(str(port))
    port_file.with_suffix(".tmp").replace(port_file)


#: The reconcilers' soak settings: poll at once, then every second; a short lease on the
#: payments a round takes, so that a killed reconciler's batch is polled again within
#: seconds (the commands' default lease is 300 s).
RECONCILE_SCHEDULE = (0.0, 1.0)
RECONCILE_LEASE = 10.0


def shared_store(kind: str) -> Any:
    """The store every host, shop client and reconciler shares."""
    if kind == "django":
        from ligdicash.contrib.django import get_processor

        return get_processor().store  # the ORM store (django://), as the callback view's
    return ligdicash.open_store(os.environ["LIGDICASH_STORE_URL"])


def pay(kind: str, count: int, callback_url: str) -> None:
    """Create ``count`` payments recorded in the shared store (and in ``HOST_ORDERS``, for
    the hosts' lookup); no callbacks unless ``callback_url``. Prints one token per line."""
    import uuid

    store = shared_store(kind)
    with (
        ligdicash.Client(
            api_key=os.environ["HOST_API_KEY"],
            auth_token=os.environ["HOST_AUTH_TOKEN"],
            base_url=os.environ["HOST_SANDBOX_URL"],
            store=store,
        ) as shop,
        open(os.environ["HOST_ORDERS"], "a", encoding="utf-8") as orders,
    ):
        for _ in range(count):
            order_id = f"ORD-{uuid.uuid4().hex[:12]}"
            invoice = shop.Invoice(description=f"Order {order_id}")
            invoice.add_item(name="Item", description="", quantity=1, unit_price=1500)
            custom_data = {"transaction_id": order_id}
            if not callback_url:
                custom_data["sandbox_callback"] = "none"
            response = invoice.pay_with_redirection(
                return_url="http://127.0.0.1:9/ok",
                callback_url=callback_url,
                custom_data=custom_data,
            )
            row = {"order_id": order_id, "token": response.token, "amount": 1500}
            orders.write(json.dumps(row) + "\n")
            orders.flush()
            print(response.token, flush=True)


def reconcile(kind: str) -> None:
    """Run a reconciler until killed: the payments recorded in the shared store, through
    the same processor (and handler) as the callbacks."""
    from ligdicash.contrib import CallbackProcessor

    if kind == "django":
        from ligdicash.contrib.django import get_processor

        processor = get_processor()  # what manage.py ligdicash_reconcile runs
        store = processor.store
        polling = processor.client
    else:
        store = shared_store(kind)
        polling = client()
        processor = CallbackProcessor(
            lookup=ligdicash.registry_lookup(store),
            handler=deliver_to_file,
            client=polling,
            store=store,
            lease_seconds=float(os.environ.get("HOST_LEASE", "20")),
        )
    assert isinstance(polling, ligdicash.Client)
    reconciler = ligdicash.Reconciler(
        store,
        client=polling,
        processor=processor,
        schedule=tuple(
            float(gap) for gap in os.environ.get("HOST_RECONCILE_SCHEDULE", "").split(",") if gap
        )
        or RECONCILE_SCHEDULE,
        lease_seconds=RECONCILE_LEASE,
        batch_size=10,
        concurrency=4,
    )
    ready(0)
    reconciler.run_forever(interval=0.2)


def main() -> None:
    import logging

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(process)d %(threadName)s %(name)s %(message)s"
    )
    logging.getLogger("ligdicash").setLevel(os.environ.get("HOST_LOG_LEVEL", "WARNING"))
    kind = sys.argv[1]
    if kind == "django":
        django_settings()
    if "--migrate" in sys.argv:
        migrate()
        return
    if "--pay" in sys.argv:
        url = os.environ.get("HOST_CALLBACK_URL", "") if "--callbacks" in sys.argv else ""
        pay(kind, int(sys.argv[sys.argv.index("--pay") + 1]), url)
        return
    if "--reconcile" in sys.argv:
        reconcile(kind)
        return
    if kind == "flask":
        serve(flask_app(), django_server=False)
        return
    if CRASH_POINT == "accepted":
        from ligdicash.contrib import django as integration

        processor = integration.get_processor()
        original_accept = processor.accept

        def accept(body: bytes, content_type: str) -> Any:
            entry = original_accept(body, content_type)
            crash("accepted")
            return entry

        processor.accept = accept  # type: ignore[method-assign]
    from django.core.wsgi import get_wsgi_application

    from ligdicash.contrib.django import start_sweeper

    application = get_wsgi_application()
    start_sweeper()  # as the callbacks guide says to do in wsgi.py: sweep from the start
    serve(application, django_server=True)


if __name__ == "__main__":
    main()
