"""A complete Flask shop taking LigdiCash payments and receiving callbacks the right way.

``pip install 'ligdicash[flask]'``, then, against the local sandbox::

    ligdicash sandbox                     # note its base URL and credentials
    export LIGDICASH_BASE_URL=http://127.0.0.1:8765/pay/v01/
    export LIGDICASH_API_KEY=... LIGDICASH_AUTH_TOKEN=...
    flask --app examples/flask_app run --port 5000
    curl -X POST localhost:5000/orders -d amount=31500      # -> order_id, payment_url
    flask --app examples/flask_app reconcile                # the polling fallback (cron)

The callback endpoint is ``POST /ligdicash/callback``: it answers 200 at once; a background
thread confirms each callback with the token stored below and calls ``deliver_order``
exactly once per payment.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import closing
from typing import Optional

from flask import Flask, abort, jsonify, request, url_for
from flask.typing import ResponseReturnValue

import ligdicash
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
from ligdicash.contrib.flask import make_blueprint

SHOP_DB = os.environ.get("SHOP_DB", "shop.sqlite3")


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(SHOP_DB, timeout=30, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, token TEXT NOT NULL, "
        "amount INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending')"
    )
    return conn


# -- the two functions the integration needs ---------------------------------------------
def find_order(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    """What we stored at creation, found by our own id (custom_data["transaction_id"])."""
    with closing(db()) as conn:
        row = conn.execute(
            "SELECT token, amount FROM orders WHERE id = ?", (callback.order_id,)
        ).fetchone()
    if row is None:
        return None  # not one of ours: refused, nothing runs
    return ExpectedTransaction(token=row[0], amount=row[1], transaction_id=callback.order_id)


def deliver_order(transaction: ligdicash.Transaction) -> None:
    """Called once per confirmed payment (status, amount and custom_data checked)."""
    order_id = transaction.custom_data["transaction_id"]
    with closing(db()) as conn:
        conn.execute(
            "UPDATE orders SET status = 'paid' WHERE id = ? AND status = 'pending'", (order_id,)
        )
    # ...ship the goods, send the receipt...


def cancel_order(transaction: ligdicash.Transaction) -> None:
    """Called once per confirmed failed/cancelled payment."""
    with closing(db()) as conn:
        conn.execute(
            "UPDATE orders SET status = 'cancelled' WHERE id = ? AND status = 'pending'",
            (transaction.custom_data["transaction_id"],),
        )


def create_app() -> Flask:
    client = ligdicash.Client()  # LIGDICASH_API_KEY, LIGDICASH_AUTH_TOKEN, LIGDICASH_BASE_URL...
    processor = CallbackProcessor(
        lookup=find_order,
        handler=deliver_order,
        on_cancelled=cancel_order,
        client=client,
        # Claims and the callback inbox: LIGDICASH_STORE_URL (postgresql://... or redis://...
        # when several machines serve the app), else a SQLite file (one machine).
        store=ligdicash.open_store(
            os.environ.get("LIGDICASH_STORE_URL")
            or "sqlite:///"
            + os.environ.get("LIGDICASH_IDEMPOTENCY_DB", "ligdicash-callbacks.sqlite3")
        ),
    )
    app = Flask(__name__)
    app.register_blueprint(make_blueprint(processor), url_prefix="/ligdicash")
    app.extensions["ligdicash"] = processor  # e.g. for a shutdown hook: .client.close()

    @app.post("/orders")
    def create_order() -> ResponseReturnValue:
        amount = int(request.form.get("amount", "0"))
        order_id = f"ORD-{uuid.uuid4().hex[:12]}"
        invoice = client.Invoice(description=f"Order {order_id}")
        invoice.add_item(name="Basket", description="", quantity=1, unit_price=amount)
        response = invoice.pay_with_redirection(
            return_url=url_for("show_order", order_id=order_id, _external=True),
            cancel_url=url_for("show_order", order_id=order_id, _external=True),
            callback_url=url_for("ligdicash.callback", _external=True),
            custom_data={"transaction_id": order_id},
        )
        with closing(db()) as conn:  # store the creation token: the only proof later
            conn.execute(
                "INSERT INTO orders (id, token, amount) VALUES (?, ?, ?)",
                (order_id, response.token, amount),
            )
        return jsonify(order_id=order_id, payment_url=response.payment_url), 201

    @app.get("/orders/<order_id>")
    def show_order(order_id: str) -> ResponseReturnValue:
        with closing(db()) as conn:
            row = conn.execute("SELECT status FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            abort(404)
        return jsonify(order_id=order_id, status=row[0])

    @app.cli.command("reconcile")
    def reconcile() -> None:
        """Poll the orders still pending: the fallback when a callback never arrives."""
        with closing(db()) as conn:
            rows = conn.execute(
                "SELECT id, token, amount FROM orders WHERE status = 'pending'"
            ).fetchall()
        for order_id, token, amount in rows:
            expected = ExpectedTransaction(token=token, amount=amount, transaction_id=order_id)
            print(order_id, processor.reconcile(expected).outcome)

    return app
