"""Client instances, module settings, environment fallbacks and lifecycle."""

from __future__ import annotations

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash
from sdk_helpers import make_invoice


def test_two_clients_with_different_keys_used_alternately_send_their_own(
    fake: FakeLigdicash,
) -> None:
    a = ligdicash.Client(api_key="key-A", auth_token="tok-A", base_url=fake.base_url)
    b = ligdicash.Client(api_key="key-B", auth_token="tok-B", base_url=fake.base_url)
    with a, b:
        for _ in range(2):
            for c in (a, b):
                with pytest.raises(ligdicash.AuthenticationError):
                    c.get_transaction("tok")
    sent = [(r.headers["apikey"], r.headers["authorization"]) for r in fake.requests]
    assert sent == [("key-A", "Bearer tok-A"), ("key-B", "Bearer tok-B")] * 2


def test_client_factories_bind_invoices_and_withdrawals_to_the_client(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    invoice = make_invoice(client)
    assert isinstance(invoice, ligdicash.Invoice)
    invoice.pay_with_redirection()
    client.Withdrawal("r", 5000, "22670123456").send(type="client", to_wallet=True)
    assert fake.requests[1].json["commande"]["top_up_wallet"] == 1


def test_module_settings_are_read_when_the_request_is_made(configured: FakeLigdicash) -> None:
    ligdicash.api_key = "not-yet-right"
    invoice = make_invoice()  # built with wrong settings...
    ligdicash.api_key = configured.api_key  # ...fixed before paying
    assert invoice.pay_with_redirection().token
    assert configured.requests[-1].headers["apikey"] == configured.api_key


def test_the_module_client_is_reused_until_a_setting_changes(configured: FakeLigdicash) -> None:
    from ligdicash._facade import default_client

    first = default_client()
    assert default_client() is first
    ligdicash.timeout = 3
    second = default_client()
    assert second is not first
    assert first.is_closed
    assert second.timeout.read == 3


def test_environment_variables_are_fallbacks(
    fake: FakeLigdicash, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIGDICASH_API_KEY", fake.api_key)
    monkeypatch.setenv("LIGDICASH_AUTH_TOKEN", fake.auth_token)
    monkeypatch.setenv("LIGDICASH_BASE_URL", fake.base_url)
    monkeypatch.setenv("LIGDICASH_PLATFORM", "test")
    assert ligdicash.get_transaction("tok").is_completed
    with ligdicash.Client() as c:
        assert c.platform == "test"
        assert c.base_url == fake.base_url
    ligdicash.api_key = "explicit-wins"
    with pytest.raises(ligdicash.AuthenticationError):
        ligdicash.get_transaction("tok")


def test_platform_selects_the_providers_hosts() -> None:
    with ligdicash.Client(api_key="k", auth_token="t") as live:
        assert live.base_url == "https://app.ligdicash.com/pay/v01/"
        assert live.platform == "live"
    with ligdicash.Client(api_key="k", auth_token="t", platform="test") as test:
        assert test.base_url == "https://test.ligdicash.com/pay/v01/"
    with pytest.raises(ligdicash.ConfigurationError):
        ligdicash.Client(api_key="k", auth_token="t", platform="staging")


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"timeout": -1}, {"max_retries": -1}, {"timeout": "5"}, {"max_retries": 1.5}],
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ligdicash.ConfigurationError):
        ligdicash.Client(api_key="k", auth_token="t", **kwargs)  # type: ignore[arg-type]


def test_a_closed_client_refuses_to_send_and_closing_twice_is_fine(fake: FakeLigdicash) -> None:
    c = ligdicash.Client(api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url)
    c.close()
    c.close()
    with pytest.raises(ligdicash.ClientClosedError):
        c.get_transaction("tok")
    assert fake.requests == []
    assert "closed" in repr(c)


def test_on_request_receives_the_record_before_the_request_is_sent(fake: FakeLigdicash) -> None:
    seen: list[tuple[ligdicash.RequestRecord, int]] = []
    with ligdicash.Client(
        api_key=fake.api_key,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        on_request=lambda r: seen.append((r, len(fake.requests))),
    ) as c:
        make_invoice(c).pay_without_redirection(
            otp="123456", customer="22670123456", custom_data={"transaction_id": "ORD-1"}
        )
    record, requests_before = seen[0]
    assert requests_before == 0  # recorded before anything reached the server
    assert record.operation == "direct_payin"
    assert record.custom_data == {"transaction_id": "ORD-1"}
    assert record.body is not None
    assert record.body["commande"]["invoice"]["otp"] == "[redacted]"
    assert fake.requests[0].json["commande"]["invoice"]["otp"] == "123456"


def test_a_failing_on_request_hook_stops_the_payment(fake: FakeLigdicash) -> None:
    def broken(record: ligdicash.RequestRecord) -> None:
        raise RuntimeError("journal unavailable")

    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, on_request=broken
    ) as c:
        with pytest.raises(RuntimeError):
            make_invoice(c).pay_with_redirection()
    assert fake.requests == []


def test_provider_1x_error_names_still_work() -> None:
    assert ligdicash.NoPendProcPayout24HError is ligdicash.NoPendingOrProcessedPayout24HError
    assert ligdicash.NoDeposit3MError is ligdicash.NoDeposit3MonthsError
    error = ligdicash.InvoiceNotFoundError()
    assert (error.get_code(), error.get_message()) == (error.code, error.message)
