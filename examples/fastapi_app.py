"""A complete FastAPI shop taking LigdiCash payments and receiving callbacks the right way.

``pip install 'ligdicash[fastapi]' uvicorn``, then, against the local sandbox::

    ligdicash sandbox                     # note its base URL and credentials
    export LIGDICASH_BASE_URL=http://127.0.0.1:8765/pay/v01/
    export LIGDICASH_API_KEY=... LIGDICASH_AUTH_TOKEN=...
    uvicorn --factory examples.fastapi_app:create_app --port 8000
    curl -X POST 'localhost:8000/orders?amount=31500'        # -> order_id, payment_url

The callback endpoint is ``POST /ligdicash/callback``: it answers 200 at once; a Starlette
background task confirms each callback with the token stored below (``AsyncClient``) and
awaits ``deliver_order`` exactly once per payment. A polling loop started with the app
reconciles orders whose callbacks never came.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from typing import Any, Optional

import anyio
from fastapi import FastAPI, HTTPException, Request

import ligdicash
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
from ligdicash.contrib.fastapi import make_router

SHOP_DB = os.environ.get("SHOP_DB", "shop.sqlite3")
RECONCILE_EVERY = float(os.environ.get("RECONCILE_EVERY", "60"))


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(SHOP_DB, timeout=30, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, token TEXT NOT NULL, "
        "amount INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending')"
    )
    return conn


def order_row(order_id: str) -> Optional[tuple[Any, ...]]:
    with closing(db()) as conn:
        row: Optional[tuple[Any, ...]] = conn.execute(
            "SELECT token, amount, status FROM orders WHERE id = ?", (order_id,)
        ).fetchone()
        return row


def set_status(order_id: str, status: str) -> None:
    with closing(db()) as conn:
        conn.execute(
            "UPDATE orders SET status = ? WHERE id = ? AND status = 'pending'", (status, order_id)
        )


# -- the two functions the integration needs (sync or async, both work) ------------------
async def find_order(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    """What we stored at creation, found by our own id (custom_data["transaction_id"])."""
    row = await anyio.to_thread.run_sync(order_row, callback.order_id)
    if row is None:
        return None  # not one of ours: refused, nothing runs
    return ExpectedTransaction(token=row[0], amount=row[1], transaction_id=callback.order_id)


async def deliver_order(transaction: ligdicash.Transaction) -> None:
    """Awaited once per confirmed payment (status, amount and custom_data checked)."""
    await anyio.to_thread.run_sync(set_status, transaction.custom_data["transaction_id"], "paid")


async def cancel_order(transaction: ligdicash.Transaction) -> None:
    """Awaited once per confirmed failed/cancelled payment."""
    order_id = transaction.custom_data["transaction_id"]
    await anyio.to_thread.run_sync(set_status, order_id, "cancelled")


async def reconcile_pending(processor: CallbackProcessor) -> None:
    """The polling fallback: check every order still pending."""
    with closing(db()) as conn:
        rows = conn.execute("SELECT id, token, amount FROM orders WHERE status = 'pending'")
        pending = rows.fetchall()
    for order_id, token, amount in pending:
        expected = ExpectedTransaction(token=token, amount=amount, transaction_id=order_id)
        await processor.areconcile(expected)


def create_app() -> FastAPI:
    client = ligdicash.AsyncClient()  # LIGDICASH_API_KEY, LIGDICASH_AUTH_TOKEN, ...
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def poll_forever() -> None:
            while True:
                await asyncio.sleep(RECONCILE_EVERY)
                await reconcile_pending(processor)

        poller = asyncio.create_task(poll_forever())
        yield
        poller.cancel()
        await client.aclose()
        processor.store.close()

    app = FastAPI(lifespan=lifespan)
    app.include_router(make_router(processor), prefix="/ligdicash")

    @app.post("/orders", status_code=201)
    async def create_order(amount: int, request: Request) -> dict[str, str]:
        order_id = f"ORD-{uuid.uuid4().hex[:12]}"
        invoice = client.Invoice(description=f"Order {order_id}")
        invoice.add_item(name="Basket", description="", quantity=1, unit_price=amount)
        order_url = str(request.url_for("show_order", order_id=order_id))
        response = await invoice.pay_with_redirection(
            return_url=order_url,
            cancel_url=order_url,
            callback_url=str(request.url_for("ligdicash-callback")),
            custom_data={"transaction_id": order_id},
        )

        def store() -> None:  # the creation token: the only proof later
            with closing(db()) as conn:
                conn.execute(
                    "INSERT INTO orders (id, token, amount) VALUES (?, ?, ?)",
                    (order_id, response.token, amount),
                )

        await anyio.to_thread.run_sync(store)
        return {"order_id": order_id, "payment_url": response.payment_url}

    @app.get("/orders/{order_id}")
    async def show_order(order_id: str) -> dict[str, str]:
        row = await anyio.to_thread.run_sync(order_row, order_id)
        if row is None:
            raise HTTPException(404)
        return {"order_id": order_id, "status": row[2]}

    return app
