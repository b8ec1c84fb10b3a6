"""LigdiCash callbacks for Django: a URL include, settings, a handler hook and signals.

::

    # urls.py
    path("ligdicash/", include("ligdicash.contrib.django.urls")),   # POST /ligdicash/callback/

    # settings.py
    LIGDICASH_API_KEY = env("LIGDICASH_API_KEY")
    LIGDICASH_AUTH_TOKEN = env("LIGDICASH_AUTH_TOKEN")
    LIGDICASH_CALLBACK_LOOKUP = "shop.payments.find_order"       # callback -> ExpectedTransaction
    LIGDICASH_CALLBACK_HANDLER = "shop.payments.deliver_order"   # optional: transaction -> None

    # or, instead of (or as well as) the handler, a signal receiver:
    @receiver(ligdicash.contrib.django.transaction_confirmed)
    def deliver(sender, transaction, **kwargs): ...

The view refuses a body over 256 KiB with ``413`` (on its ``Content-Length`` or while
reading, without reading the rest), keeps the callback in the store's inbox, answers
``200`` with an empty body (``503`` when the store could not keep it; nothing is revealed
to a forger) and hands it to a small thread pool that runs
:meth:`CallbackProcessor.process_inbox`: parse → (hash) → lookup → claim → status call
with the stored token → compare → your handler and the signal receivers (once, in that
thread) → done. The thread's database connections are closed after each callback. A
daemon thread sweeps the inbox every 5 s, finishing what a dead worker left. Start it
with the process, in ``wsgi.py`` (or ``asgi.py``)::

    application = get_wsgi_application()
    ligdicash.contrib.django.start_sweeper()

otherwise it starts with the first request the worker serves, and a worker restarted
after a crash that serves none (no traffic, the other workers restarted too) leaves the
callbacks stored before the crash unprocessed until one arrives.

The store: with ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` (then ``migrate``),
the Django ORM store on your ``default`` database, and your handler runs in ONE database
transaction with the "done" mark (exactly once for its writes to that database). Without
it, ``LIGDICASH_STORE_URL`` (setting or environment) or a SQLite file beside the project
(one machine only).

Settings (all optional except the lookup; see ``docs/callbacks.md``):

- ``LIGDICASH_CALLBACK_LOOKUP``: dotted path (or callable) of ``lookup(callback)``, which
  returns an ``ExpectedTransaction`` or ``None``.
- ``LIGDICASH_CALLBACK_HANDLER``: called with each confirmed completed ``Transaction``.
- ``LIGDICASH_CALLBACK_ON_CANCELLED``: the same for confirmed cancellations.
- ``LIGDICASH_IDEMPOTENCY_STORE``: dotted path (or instance) of an ``IdempotencyStore``.
- ``LIGDICASH_STORE_URL``: a store URL for ``ligdicash.open_store`` (``django://``,
  ``postgresql://...``, ``redis://...``); default: ``django://`` when this app is
  installed, else the SQLite file below.
- ``LIGDICASH_IDEMPOTENCY_DB``: the SQLite store's file when nothing else is chosen
  (default ``BASE_DIR / "ligdicash-callbacks.sqlite3"``).
- ``LIGDICASH_CALLBACK_SWEEP_INTERVAL``: seconds between two sweeps (default 5; ``None``
  for no sweeper).
- ``LIGDICASH_CALLBACK_LEASE_SECONDS``: the claims' and inbox entries' short lease, renewed
  by a heartbeat (default 20).
- ``LIGDICASH_VERIFY_CALLBACK_HASH``: ``True`` to also require a valid ``hash`` field.
- ``LIGDICASH_CALLBACK_WORKERS``: threads processing callbacks (default 4).
- ``LIGDICASH_API_KEY``, ``_AUTH_TOKEN``, ``_PLATFORM``, ``_BASE_URL``,
  ``_ALLOW_HTTP_HOSTS``, ``_TIMEOUT``, ``_MAX_RETRIES``, ``_ON_REQUEST``: the client, one
  per client setting (unset ones fall back to the environment variables).

Needs ``pip install 'ligdicash[django]'``.
"""

from __future__ import annotations

try:
    from django.apps import apps as django_apps  # type: ignore[import-untyped,unused-ignore]
    from django.conf import settings  # type: ignore[import-untyped,unused-ignore]
    from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped,unused-ignore]
    from django.core.signals import (  # type: ignore[import-untyped,unused-ignore]
        request_started,
        setting_changed,
    )
    from django.db import connections  # type: ignore[import-untyped,unused-ignore]
    from django.dispatch import Signal  # type: ignore[import-untyped,unused-ignore]
    from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped,unused-ignore]
    from django.utils.module_loading import import_string  # type: ignore[import-untyped,unused-ignore]
    from django.views.decorators.csrf import csrf_exempt  # type: ignore[import-untyped,unused-ignore]
    from django.views.decorators.http import require_POST  # type: ignore[import-untyped,unused-ignore]
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "ligdicash.contrib.django needs Django: pip install 'ligdicash[django]'"
    ) from exc

import os
import threading
from typing import Any, Callable, Optional

from ..._client import Client
from ..._config import SETTINGS
from ..._models import Transaction
from ..._stores import DEFAULT_SQLITE_PATH, IdempotencyStore, SQLiteStore
from ..._stores._open import STORE_URL_ENV, open_store
from .._body import declared_too_large, read_limited
from .._endpoint import receive
from .._handler import CallbackProcessor
from .._runner import BackgroundRunner
from .._sweeper import DEFAULT_INTERVAL, Sweeper
from .._types import ProcessResult

__all__ = [
    "callback_processed",
    "callback_view",
    "get_processor",
    "reset",
    "start_sweeper",
    "transaction_cancelled",
    "transaction_confirmed",
]

#: Sent once per confirmed *completed* transaction, with ``transaction=``. A receiver that
#: raises releases the event: the next copy of the callback (or polling) runs it again.
transaction_confirmed = Signal()
#: Sent once per confirmed *cancelled* transaction, with ``transaction=``.
transaction_cancelled = Signal()
#: Sent after every callback with ``result=`` (a :class:`ProcessResult`): metrics, tests.
callback_processed = Signal()

_lock = threading.Lock()
_processor: Optional[CallbackProcessor] = None
_client_built: Optional[Client] = None
_runner: Optional[BackgroundRunner] = None
_sweeper: Optional[Sweeper] = None


def _setting(name: str, default: Any = None) -> Any:
    return getattr(settings, name, default)


def _callable(name: str, *, required: bool) -> Optional[Callable[..., Any]]:
    value = _setting(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(
                f"{name} must name a function: lookup(callback) -> ExpectedTransaction | None"
            )
        return None
    function = import_string(value) if isinstance(value, str) else value
    if not callable(function):
        raise ImproperlyConfigured(f"{name} must be a callable or a dotted path to one")
    return function  # type: ignore[no-any-return]


def _store() -> IdempotencyStore:
    configured = _setting("LIGDICASH_IDEMPOTENCY_STORE")
    if configured is not None:
        store = import_string(configured)() if isinstance(configured, str) else configured
        if not isinstance(store, IdempotencyStore):
            raise ImproperlyConfigured("LIGDICASH_IDEMPOTENCY_STORE must be an IdempotencyStore")
        return store
    url = _setting("LIGDICASH_STORE_URL") or os.environ.get(STORE_URL_ENV)
    if url:
        return open_store(url)
    if django_apps.is_installed("ligdicash.contrib.django"):
        from ._store import DjangoStore

        return DjangoStore("default")
    path = _setting("LIGDICASH_IDEMPOTENCY_DB")
    if path is None:
        base_dir = _setting("BASE_DIR")
        path = (
            os.path.join(os.fspath(base_dir), DEFAULT_SQLITE_PATH)
            if base_dir
            else DEFAULT_SQLITE_PATH
        )
    return SQLiteStore(path)


def _client() -> Client:
    # Every client setting, as LIGDICASH_<NAME> (declared once in ligdicash._config.SETTINGS);
    # LIGDICASH_ON_REQUEST may be a dotted path.
    values = {setting.name: _setting(setting.django_name) for setting in SETTINGS}
    if isinstance(values["on_request"], str):
        values["on_request"] = import_string(values["on_request"])
    return Client(**values)


def get_processor() -> CallbackProcessor:
    """The processor built from the ``LIGDICASH_*`` settings (once; rebuilt if they change).

    Use it for the polling fallback too: ``get_processor().reconcile(expected)``.

    Raises:
        ImproperlyConfigured: no ``LIGDICASH_CALLBACK_LOOKUP``, or a setting of the wrong type.
        ConfigurationError: the LigdiCash credentials are missing.
    """
    global _processor, _client_built
    with _lock:
        if _processor is None:
            handler = _callable("LIGDICASH_CALLBACK_HANDLER", required=False)
            on_cancelled = _callable("LIGDICASH_CALLBACK_ON_CANCELLED", required=False)

            def confirmed(transaction: Transaction) -> None:
                if handler is not None:
                    handler(transaction)
                transaction_confirmed.send(sender=CallbackProcessor, transaction=transaction)

            def cancelled(transaction: Transaction) -> None:
                if on_cancelled is not None:
                    on_cancelled(transaction)
                transaction_cancelled.send(sender=CallbackProcessor, transaction=transaction)

            def processed(result: ProcessResult) -> None:
                callback_processed.send(sender=CallbackProcessor, result=result)

            lookup = _callable("LIGDICASH_CALLBACK_LOOKUP", required=True)
            assert lookup is not None
            _client_built = _client()
            _processor = CallbackProcessor(
                lookup=lookup,
                handler=confirmed,
                on_cancelled=cancelled,
                client=_client_built,
                store=_store(),
                verify_hash=bool(_setting("LIGDICASH_VERIFY_CALLBACK_HASH", False)),
                lease_seconds=_setting("LIGDICASH_CALLBACK_LEASE_SECONDS"),
                on_result=processed,
            )
        return _processor


def _get_runner() -> BackgroundRunner:
    global _runner
    with _lock:
        if _runner is None:
            _runner = BackgroundRunner(int(_setting("LIGDICASH_CALLBACK_WORKERS", 4)))
        return _runner


def _closing_connections(job: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return job()
        finally:
            connections.close_all()  # this thread's connections only

    return run


def start_sweeper() -> Optional[Sweeper]:
    """Start this process's inbox sweeper (once; again after a fork); ``None`` when
    ``LIGDICASH_CALLBACK_SWEEP_INTERVAL`` is ``None``.

    Call it in ``wsgi.py``/``asgi.py`` after building the application, so that a worker
    sweeps from its start: a worker (re)started after a crash then finishes the callbacks
    stored before it even when no request comes. Every request calls it too (the
    fallback, and the restart in a forked worker).

    Raises:
        ImproperlyConfigured: no ``LIGDICASH_CALLBACK_LOOKUP``, or a setting of the wrong type.
        ConfigurationError: the LigdiCash credentials are missing.
    """
    global _sweeper
    interval = _setting("LIGDICASH_CALLBACK_SWEEP_INTERVAL", DEFAULT_INTERVAL)
    if interval is None:
        return None
    processor = get_processor()
    with _lock:
        if _sweeper is None:
            _sweeper = Sweeper(processor, interval=float(interval), wrap=_closing_connections)
        sweeper = _sweeper
    sweeper.start()
    return sweeper


def _on_request_started(**kwargs: Any) -> None:
    # The first request a worker serves (a health check will do) starts its sweeper, so a
    # worker restarted after a crash finishes what the dead one left.
    if _setting("LIGDICASH_CALLBACK_LOOKUP") is None:
        return
    try:
        start_sweeper()
    except Exception:  # a misconfiguration surfaces on the callback view, not here
        return


request_started.connect(_on_request_started, dispatch_uid="ligdicash-contrib-django-sweeper")


def reset() -> None:
    """Forget the processor, thread pool and sweeper (waiting for work in progress); the
    next callback rebuilds them from the settings. Called when a ``LIGDICASH_*`` setting
    changes.
    """
    global _processor, _runner, _client_built, _sweeper
    with _lock:
        processor, _processor = _processor, None
        client, _client_built = _client_built, None
        runner, _runner = _runner, None
        sweeper, _sweeper = _sweeper, None
    if sweeper is not None:
        sweeper.stop(timeout=30)
    if runner is not None:
        runner.shutdown(wait=True)
    if processor is not None:
        processor.store.close()
    if client is not None:
        client.close()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("LIGDICASH_"):
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="ligdicash-contrib-django-settings")


def _process(processor: CallbackProcessor, body: bytes, content_type: str) -> ProcessResult:
    try:
        return processor.process(body, content_type)
    finally:
        connections.close_all()  # this worker thread's connections only


def _process_inbox(processor: CallbackProcessor, digest: str) -> ProcessResult:
    try:
        return processor.process_inbox(digest)
    finally:
        connections.close_all()  # this worker thread's connections only


def _read_body(request: HttpRequest) -> Optional[bytes]:
    """The body, or ``None`` when it is over the limit (declared or while reading).

    Django reads ``CONTENT_LENGTH`` bytes from ``request``; a body that declares none
    (chunked) is read from ``wsgi.input`` when the server has de-chunked it and says so
    (``wsgi.input_terminated``: gunicorn, werkzeug), and is otherwise empty to Django.
    """
    if declared_too_large(request.META.get("CONTENT_LENGTH")):
        return None
    stream = request.META.get("wsgi.input")
    if not request.META.get("CONTENT_LENGTH") and request.META.get("wsgi.input_terminated"):
        return read_limited(stream.read)
    return read_limited(request.read)


def _callback_view(request: HttpRequest) -> HttpResponse:
    """``POST`` only: answer 200 with an empty body, process the callback in the background.

    Raises:
        ImproperlyConfigured: the settings are incomplete (a 500, on purpose: fix them).
    """
    processor = get_processor()
    body = _read_body(request)
    if body is None:
        return HttpResponse(b"", status=413, content_type="text/plain")
    content_type = request.META.get("CONTENT_TYPE", "")
    if processor.inbox is None:  # a store without an inbox: process from memory
        _get_runner().submit(lambda: _process(processor, body, content_type))
        return HttpResponse(b"", status=200, content_type="text/plain")
    reception = receive(processor, body, content_type)
    digest = reception.digest
    if digest is not None:
        _get_runner().submit(lambda: _process_inbox(processor, digest))
    return HttpResponse(b"", status=reception.status, content_type="text/plain")


#: The view (CSRF-exempt, POST only; other methods get 405).
callback_view: Callable[[HttpRequest], HttpResponse] = csrf_exempt(require_POST(_callback_view))
