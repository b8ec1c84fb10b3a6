"""A span and metrics per SDK operation, against the sandbox over real HTTP; the trace joins
the caller's span, and the official httpx instrumentation's spans are children of ours."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode
from otel_telemetry import Telemetry

import ligdicash
from ligdicash.contrib.otel import LigdicashInstrumentor, httpx_hooks, redact_url

CUSTOMER = "22670123456"


def new_client(sandbox: Any, **kw: Any) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        **kw,
    )


def hosted_invoice(client: Any, amount: int = 1500) -> Any:
    invoice = client.Invoice(description="Order", store_name="Shop")
    invoice.add_item(name="Tea", description="", quantity=1, unit_price=amount)
    return invoice


def pay(client: ligdicash.Client, order: str = "ORD-1") -> ligdicash.PaymentResponse:
    return hosted_invoice(client).pay_with_redirection(
        return_url="https://shop.example/ok",
        cancel_url="https://shop.example/cancel",
        callback_url="https://shop.example/cb",
        custom_data={"transaction_id": order},
    )


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.fixture
def client(ligdicash_sandbox: Any) -> Iterator[ligdicash.Client]:
    with new_client(ligdicash_sandbox) as opened:
        yield opened


def test_a_creation_and_a_status_call_each_give_a_span_and_count_as_calls(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any
) -> None:
    response = pay(client)
    telemetry.secrets.add(response.token)
    client.get_transaction(response.token)

    created = telemetry.span("ligdicash hosted_payin")
    assert attrs(created) == {
        "ligdicash.operation": "hosted_payin",
        "ligdicash.platform": "live",
        "ligdicash.outcome": "ok",
        "http.response.status_code": 200,
        "ligdicash.attempts": 1,
    }
    assert created.status.status_code is StatusCode.UNSET
    status = telemetry.span("ligdicash payin_status")
    assert attrs(status)["ligdicash.outcome"] == "ok"
    assert [e.name for e in status.events] == ["ligdicash.attempt"]

    assert telemetry.total("ligdicash.api.calls", **{"ligdicash.operation": "hosted_payin"}) == 1
    assert (
        telemetry.total(
            "ligdicash.api.calls",
            **{"ligdicash.operation": "payin_status", "ligdicash.outcome": "ok"},
        )
        == 1
    )
    # The latency histogram holds status calls only.
    assert telemetry.total("ligdicash.status_call.duration") == 1


def test_a_refusal_is_an_error_span_with_the_code_never_the_message(
    telemetry: Telemetry, client: ligdicash.Client
) -> None:
    unknown = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.unknown-token-of-nobody"
    telemetry.secrets.add(unknown)
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        client.get_transaction(unknown)
    span = telemetry.span("ligdicash payin_status")
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["ligdicash.outcome"] == "refused"
    assert attrs(span)["error.type"] == "InvoiceNotFoundError"
    assert attrs(span)["ligdicash.may_have_been_sent"] is False
    assert (
        telemetry.total(
            "ligdicash.api.calls",
            **{"ligdicash.operation": "payin_status", "ligdicash.outcome": "refused"},
        )
        == 1
    )


def test_a_retried_status_call_is_one_span_with_its_attempts(
    telemetry: Telemetry, ligdicash_sandbox: Any
) -> None:
    with new_client(ligdicash_sandbox, max_retries=2) as client:
        response = pay(client)
        telemetry.secrets.add(response.token)
        ligdicash_sandbox.add_fault("http_500", count=1, path="confirm")
        client.get_transaction(response.token)
    span = telemetry.span("ligdicash payin_status")
    assert attrs(span)["ligdicash.attempts"] == 2
    assert attrs(span)["http.response.status_code"] == 200
    statuses = [dict(e.attributes or {})["http.response.status_code"] for e in span.events]
    assert statuses == [500, 200]


def test_a_creation_cut_mid_request_says_it_may_have_been_sent(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any
) -> None:
    ligdicash_sandbox.add_fault("drop", count=1, path="create")
    with pytest.raises(ligdicash.APIConnectionError) as caught:
        pay(client)
    assert caught.value.request_may_have_been_sent
    span = telemetry.span("ligdicash hosted_payin")
    assert attrs(span)["ligdicash.outcome"] == "uncertain"
    assert attrs(span)["ligdicash.may_have_been_sent"] is True
    assert attrs(span)["ligdicash.attempts"] == 1  # never re-sent
    assert [dict(e.attributes or {}).get("error.type") for e in span.events] != [None]


def test_a_span_of_ours_started_inside_the_callers_span_is_its_child(
    telemetry: Telemetry, client: ligdicash.Client
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("shop")
    with tracer.start_as_current_span("checkout") as parent:
        response = pay(client)
    telemetry.secrets.add(response.token)
    ours = telemetry.span("ligdicash hosted_payin")
    assert ours.parent is not None
    assert ours.parent.span_id == parent.get_span_context().span_id
    assert ours.context.trace_id == parent.get_span_context().trace_id


@pytest.fixture
def httpx_instrumented(telemetry: Telemetry) -> Iterator[None]:
    instrumentation = pytest.importorskip("opentelemetry.instrumentation.httpx")
    instrumentor = instrumentation.HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider, **httpx_hooks())
    try:
        yield
    finally:
        instrumentor.uninstrument()


def http_children(telemetry: Telemetry, ours: ReadableSpan) -> list[ReadableSpan]:
    return [
        s
        for s in telemetry.spans()
        if s.parent is not None and s.parent.span_id == ours.context.span_id
    ]


def test_the_httpx_instrumentations_spans_are_children_of_ours(
    telemetry: Telemetry, httpx_instrumented: None, ligdicash_sandbox: Any
) -> None:
    # A client made after the instrumentation, as an app does at start-up.
    with new_client(ligdicash_sandbox, max_retries=1) as client:
        response = pay(client)
        telemetry.secrets.add(response.token)
        ligdicash_sandbox.add_fault("http_500", count=1, path="confirm")
        client.get_transaction(response.token)
    created = telemetry.span("ligdicash hosted_payin")
    [post] = http_children(telemetry, created)
    assert post.kind.name == "CLIENT"
    status = telemetry.span("ligdicash payin_status")
    gets = http_children(telemetry, status)
    assert len(gets) == 2  # one per attempt, both under the one SDK span
    assert all(g.context.trace_id == status.context.trace_id for g in gets)
    # The hooks kept the creation token out of the recorded URLs.
    urls = [v for g in gets for k, v in (g.attributes or {}).items() if "url" in k]
    assert urls
    assert all("invoiceToken=[redacted]" in str(u) for u in urls if "invoiceToken" in str(u))


def test_the_async_client_joins_the_trace_the_same_way(
    telemetry: Telemetry, httpx_instrumented: None, ligdicash_sandbox: Any
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("shop")

    async def main() -> str:
        async with ligdicash.AsyncClient(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
        ) as client:
            with tracer.start_as_current_span("checkout"):
                response = await hosted_invoice(client).pay_with_redirection(
                    return_url="https://shop.example/ok",
                    cancel_url="https://shop.example/cancel",
                    callback_url="https://shop.example/cb",
                    custom_data={"transaction_id": "ORD-A"},
                )
                await client.get_transaction(response.token)
            return str(response.token)

    telemetry.secrets.add(asyncio.run(main()))
    parent = telemetry.span("checkout")
    for name in ("ligdicash hosted_payin", "ligdicash payin_status"):
        ours = telemetry.span(name)
        assert ours.parent is not None
        assert ours.parent.span_id == parent.context.span_id
        assert len(http_children(telemetry, ours)) == 1


def test_a_wallet_otp_and_a_direct_payment_record_no_phone_number_nor_otp(
    telemetry: Telemetry, httpx_instrumented: None, ligdicash_sandbox: Any
) -> None:
    telemetry.secrets.add(CUSTOMER)
    with new_client(ligdicash_sandbox) as client:
        invoice = hosted_invoice(client, 1000)
        invoice.send_wallet_otp(CUSTOMER)
        # The test's own look-up of the OTP on the sandbox's control API is not the SDK's.
        from opentelemetry.instrumentation.utils import suppress_instrumentation

        with suppress_instrumentation():
            otp = ligdicash_sandbox.wallet_otp(CUSTOMER, 1000)
        telemetry.secrets.add(otp)
        paid = invoice.pay_with_wallet_otp(
            otp=otp, customer=CUSTOMER, custom_data={"transaction_id": "ORD-W"}
        )
        telemetry.secrets.add(paid.token)
        direct = hosted_invoice(client, 2000).pay_without_redirection(
            otp="424242",
            customer=CUSTOMER,
            callback_url="https://shop.example/cb",
            custom_data={"transaction_id": "ORD-D"},
        )
        telemetry.secrets.update({"424242", direct.token})
    names = {s.name for s in telemetry.spans()}
    assert {"ligdicash wallet_otp", "ligdicash wallet_payin", "ligdicash direct_payin"} <= names
    telemetry.assert_no_secrets()  # the httpx spans' URLs included


def test_redact_url_replaces_tokens_and_masks_an_otp_number() -> None:
    assert redact_url("https://h/pay/v01/x/confirm/?invoiceToken=abc.def&y=1") == (
        "https://h/pay/v01/x/confirm/?invoiceToken=[redacted]&y=1"
    )
    assert redact_url("https://h/pay/v02/debitotp/22670123456/1000") == (
        "https://h/pay/v02/debitotp/226*****456/1000"
    )


def test_nothing_is_recorded_once_uninstrumented(
    telemetry: Telemetry, client: ligdicash.Client
) -> None:
    LigdicashInstrumentor().uninstrument()
    response = pay(client)
    telemetry.secrets.add(response.token)
    assert telemetry.spans() == []
    assert not LigdicashInstrumentor().is_instrumented


def test_a_bulk_status_fetch_on_threads_keeps_each_call_under_the_callers_span(
    telemetry: Telemetry, client: ligdicash.Client
) -> None:
    tokens = [pay(client, f"ORD-B{i}").token for i in range(3)]
    telemetry.secrets.update(tokens)
    tracer = telemetry.tracer_provider.get_tracer("shop")
    with tracer.start_as_current_span("nightly check") as parent:
        results = client.get_transactions(tokens, concurrency=3)
    assert all(r.ok for r in results)
    calls = telemetry.spans("ligdicash payin_status")
    assert len(calls) == 3
    assert {c.parent.span_id if c.parent else None for c in calls} == {
        parent.get_span_context().span_id
    }


class BrokenTracer(trace_api.Tracer):
    """A tracer that cannot make spans: telemetry failing in the worst place."""

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the tracing backend is broken")

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the tracing backend is broken")


class BrokenTracerProvider(trace_api.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace_api.Tracer:
        return BrokenTracer()


def test_telemetry_that_fails_never_changes_what_a_payment_returns(
    telemetry: Telemetry,
    client: ligdicash.Client,
    ligdicash_sandbox: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    LigdicashInstrumentor().instrument(tracer_provider=BrokenTracerProvider())
    response = pay(client)
    telemetry.secrets.add(response.token)
    assert ligdicash_sandbox.transaction(response.token)["status"] == "pending"
    assert client.get_transaction(response.token).status == "pending"
    assert "ligdicash telemetry failed: RuntimeError (ignored)" in caplog.text
