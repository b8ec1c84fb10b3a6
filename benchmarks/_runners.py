"""The benchmark runners; each runs in a fresh process and prints one JSON line.

    python benchmarks/_runners.py NAME --port P [--calls N] [--concurrency C] [--sdk-dir D]

Every runner warms up (connection, imports) before timing, times only the calls, and
reports ``ru_maxrss`` (peak resident memory of the whole process, imports included).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any, Callable

API_KEY = "bench_api_key"
AUTH_TOKEN = "bench_auth_token"
PATH = "redirect/checkout-invoice/confirm/"
WARMUP = 20


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/pay/v01/"


def headers() -> dict[str, str]:
    return {
        "Apikey": API_KEY,
        "Authorization": f"Bearer {AUTH_TOKEN}",
        "Accept": "application/json",
    }


# -- (a) sequential status checks --------------------------------------------------------------


def ours_sync(args: argparse.Namespace) -> float:
    import ligdicash

    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port)
    ) as client:
        for n in range(WARMUP):
            client.get_transaction(f"warm{n}")
        started = time.perf_counter()
        for n in range(args.calls):
            assert client.get_transaction(f"tok{n}").is_completed
        return time.perf_counter() - started


def httpx_sync(args: argparse.Namespace) -> float:
    import httpx

    url = base_url(args.port) + PATH
    with httpx.Client(headers=headers()) as client:
        for n in range(WARMUP):
            client.get(url, params={"invoiceToken": f"warm{n}"})
        started = time.perf_counter()
        for n in range(args.calls):
            response = client.get(url, params={"invoiceToken": f"tok{n}"})
            assert response.json()["status"] == "completed"
        return time.perf_counter() - started


def provider_sequential(args: argparse.Namespace) -> float:
    sys.path.insert(0, args.sdk_dir)
    import ligdicash  # the provider's 1.0.5, from its own --target dir

    assert ligdicash.__file__.startswith(args.sdk_dir), ligdicash.__file__
    ligdicash.defaults.CONF_BASE_URL["live"] = base_url(args.port)
    ligdicash.api_key, ligdicash.auth_token, ligdicash.platform = API_KEY, AUTH_TOKEN, "live"
    for n in range(min(WARMUP, 5)):
        ligdicash.get_transaction(f"warm{n}", "payin")
    started = time.perf_counter()
    for n in range(args.calls):
        assert ligdicash.get_transaction(f"tok{n}", "payin").status == "completed"
    return time.perf_counter() - started


# -- (a') sequential hosted-payin creations ---------------------------------------------------

CREATE_PATH = "redirect/checkout-invoice/create"
ACTIONS = {
    "return_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cancel",
    "callback_url": "https://shop.example/callback",
}


def _documented_invoice(factory: Any) -> Any:
    invoice = factory(
        currency="xof",
        description="Order #ORD-20240512",
        customer_firstname="Amadou",
        customer_lastname="Ouedraogo",
        customer_email="amadou@example.com",
        store_name="MySuperStore",
        store_website_url="https://mysuperstore.com",
    )
    invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
    invoice.add_item(name="Shipping fee", description="", quantity=1, unit_price=1500)
    return invoice


def ours_create(args: argparse.Namespace) -> float:
    """Build the documented invoice and pay_with_redirection, per call (what an app does)."""
    import ligdicash

    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port)
    ) as client:

        def one(n: int) -> None:
            invoice = _documented_invoice(client.Invoice)
            invoice.pay_with_redirection(**ACTIONS, custom_data={"transaction_id": f"ORD-{n}"})

        for n in range(WARMUP):
            one(n)
        started = time.perf_counter()
        for n in range(args.calls):
            one(n)
        return time.perf_counter() - started


def httpx_post(args: argparse.Namespace) -> float:
    """A bare httpx POST of the body ours sends (JSON-encoded per call), + ``.json()``."""
    import json

    import httpx

    import ligdicash

    sent: list[Any] = []  # the body ours sends (the hosted flow has no OTP to redact)
    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port), on_request=sent.append
    ) as c:
        _documented_invoice(c.Invoice).pay_with_redirection(**ACTIONS)
    body = sent[0].body
    url = base_url(args.port) + CREATE_PATH
    with httpx.Client(headers=headers()) as client:

        def one(n: int) -> None:
            body["commande"]["custom_data"] = {"transaction_id": f"ORD-{n}"}
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            response = client.post(
                url, content=content, headers={"Content-Type": "application/json"}
            )
            assert response.json()["response_code"] == "00"

        for n in range(WARMUP):
            one(n)
        started = time.perf_counter()
        for n in range(args.calls):
            one(n)
        return time.perf_counter() - started


def provider_create(args: argparse.Namespace) -> float:
    sys.path.insert(0, args.sdk_dir)
    import ligdicash  # the provider's 1.0.5, from its own --target dir

    assert ligdicash.__file__.startswith(args.sdk_dir), ligdicash.__file__
    ligdicash.defaults.CONF_BASE_URL["live"] = base_url(args.port)
    ligdicash.api_key, ligdicash.auth_token, ligdicash.platform = API_KEY, AUTH_TOKEN, "live"

    def one(n: int) -> None:
        invoice = _documented_invoice(ligdicash.Invoice)
        invoice.pay_with_redirection(**ACTIONS, custom_data={"transaction_id": f"ORD-{n}"})

    for n in range(min(WARMUP, 5)):
        one(n)
    started = time.perf_counter()
    for n in range(args.calls):
        one(n)
    return time.perf_counter() - started


# -- (b) concurrent status checks --------------------------------------------------------------


def ours_async(args: argparse.Namespace) -> float:
    import asyncio

    import ligdicash

    async def main() -> float:
        async with ligdicash.AsyncClient(
            api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port)
        ) as client:
            warm = [f"warm{n}" for n in range(args.concurrency)]
            await client.get_transactions(warm, concurrency=args.concurrency)
            tokens = [f"tok{n}" for n in range(args.calls)]
            started = time.perf_counter()
            results = await client.get_transactions(tokens, concurrency=args.concurrency)
            elapsed = time.perf_counter() - started
            assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
            return elapsed

    return asyncio.run(main())


def httpx_async(args: argparse.Namespace) -> float:
    import asyncio

    import httpx

    url = base_url(args.port) + PATH

    async def main() -> float:
        async with httpx.AsyncClient(headers=headers()) as client:
            gate = asyncio.Semaphore(args.concurrency)

            async def one(token: str) -> None:
                async with gate:
                    response = await client.get(url, params={"invoiceToken": token})
                    assert response.json()["status"] == "completed"

            await asyncio.gather(*(one(f"warm{n}") for n in range(args.concurrency)))
            started = time.perf_counter()
            await asyncio.gather(*(one(f"tok{n}") for n in range(args.calls)))
            return time.perf_counter() - started

    return asyncio.run(main())


def ours_sync_bulk(args: argparse.Namespace) -> float:
    """The sync counterpart as shipped: threads over one ``Client``'s pool."""
    import ligdicash

    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port)
    ) as client:
        client.get_transactions([f"warm{n}" for n in range(args.concurrency)], concurrency=50)
        started = time.perf_counter()
        results = client.get_transactions(
            [f"tok{n}" for n in range(args.calls)], concurrency=args.concurrency
        )
        elapsed = time.perf_counter() - started
        assert all(r.ok for r in results)
        return elapsed


def ours_sync_bulk_via_loop(args: argparse.Namespace) -> float:
    """The alternative not shipped: ``asyncio.run`` of an ``AsyncClient`` batch."""
    import asyncio

    import ligdicash

    async def batch(tokens: list[str]) -> list[Any]:
        async with ligdicash.AsyncClient(
            api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=base_url(args.port)
        ) as client:
            return await client.get_transactions(tokens, concurrency=args.concurrency)

    asyncio.run(batch([f"warm{n}" for n in range(args.concurrency)]))
    started = time.perf_counter()
    results = asyncio.run(batch([f"tok{n}" for n in range(args.calls)]))
    elapsed = time.perf_counter() - started
    assert all(r.ok for r in results)
    return elapsed


RUNNERS: dict[str, Callable[[argparse.Namespace], float]] = {
    "ours_sync": ours_sync,
    "httpx_sync": httpx_sync,
    "provider_sequential": provider_sequential,
    "ours_create": ours_create,
    "httpx_post": httpx_post,
    "provider_create": provider_create,
    "ours_async": ours_async,
    "httpx_async": httpx_async,
    "ours_sync_bulk": ours_sync_bulk,
    "ours_sync_bulk_via_loop": ours_sync_bulk_via_loop,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(RUNNERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sdk-dir", default="")
    args = parser.parse_args()
    cpu = time.process_time()
    elapsed = RUNNERS[args.name](args)
    print(
        json.dumps(
            {
                "runner": args.name,
                "calls": args.calls,
                "seconds": elapsed,
                "cpu_seconds": time.process_time() - cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
