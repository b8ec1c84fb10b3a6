"""The Redis store's own guarantees: index keys no reference can name (issue 17, item 8), the
version-1 layout moved on open, and a server that may evict keys refused (item 6).

The eviction tests change ``maxmemory-policy``: they run on a ``redis-server`` this module
starts on a free loopback port in a temporary folder, never on the shared test Redis.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from store_helpers import REDIS_URL

from ligdicash import ConfigurationError, open_store
from ligdicash._stores._redis import RedisStore
from ligdicash._stores._redis_base import REDIS_LAYOUT_VERSION


def wait_until(condition: Callable[[], bool], what: str, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def redis_store(redis_prefix: str, request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    store = open_store(f"{REDIS_URL}?prefix={redis_prefix}layout-{request.node.name}:")
    assert isinstance(store, RedisStore)
    yield store
    store.close()


# -- item 8: a reference names no index key ---------------------------------------------


@pytest.mark.parametrize("reference", ["all", "due", "index:pay:due", "schema"])
def test_a_reference_that_names_an_index_breaks_no_later_payment(
    redis_store: RedisStore, reference: str
) -> None:
    first = redis_store.record_payment(reference, kind="payin", amount=100, token="tok-1")
    later = redis_store.record_payment("order-2", kind="payin", amount=200, token="tok-2")
    assert (first.reference, later.reference) == (reference, "order-2")
    assert {p.reference for p in redis_store.list_payments()} == {reference, "order-2"}
    claims = redis_store.claim_due_payments(limit=10)
    assert {c.reference for c in claims} == {reference, "order-2"}
    for claim in claims:
        assert redis_store.finish_payment_poll(claim, status="completed")
    assert redis_store.payment_counts() == {"completed": 2}
    assert redis_store.schema_version() == REDIS_LAYOUT_VERSION


def test_a_version_1_layout_is_moved_once_on_open(redis_prefix: str) -> None:
    import redis

    prefix = f"{redis_prefix}v1:"
    raw = redis.Redis.from_url(REDIS_URL)
    try:
        # What a 1.x store left: the indexes beside the data.
        raw.set(prefix + "schema", "1")
        raw.hset(
            prefix + "pay:old-order",
            mapping={
                "reference": "old-order",
                "kind": "payin",
                "amount": "500",
                "token": "tok",
                "status": "pending",
                "created_at": "1.0",
                "updated_at": "1.0",
                "next_poll_at": "1.0",
                "poll_attempts": "0",
                "owner": "",
                "lease_until": "0",
                "note": "",
            },
        )
        raw.zadd(prefix + "pay:due", {"old-order": 1.0})
        raw.zadd(prefix + "pay:all", {"old-order": 1.0})
        digest = "ab" * 32  # a finished inbox entry of 1.x: no done index then
        raw.hset(
            prefix + "inbox:" + digest,
            mapping={"state": "done", "updated_at": "5.0", "body": b"{}", "outcome": "processed"},
        )
        raw.zadd(prefix + "inbox:all", {digest: 4.0})
        store = open_store(f"{REDIS_URL}?prefix={prefix}")
        try:
            assert [c.reference for c in store.claim_due_payments()] == ["old-order"]
            assert store.schema_version() == REDIS_LAYOUT_VERSION
            assert store.inbox_counts() == {"pending": 0, "processing": 0, "done": 1}
            assert store.inbox_purge(older_than=0) == 1  # found through the done index
            assert raw.exists(prefix + "inbox:" + digest) == 0
        finally:
            store.close()
        assert raw.exists(prefix + "pay:due", prefix + "pay:all") == 0
        assert raw.zrange(prefix + "index:pay:all", 0, -1) == [b"old-order"]
    finally:
        raw.close()


def test_a_newer_layout_is_refused(redis_prefix: str) -> None:
    import redis

    prefix = f"{redis_prefix}v99:"
    raw = redis.Redis.from_url(REDIS_URL)
    raw.set(prefix + "schema", "99")
    raw.close()
    store = open_store(f"{REDIS_URL}?prefix={prefix}")
    try:
        with pytest.raises(ConfigurationError, match="layout version 99"):
            store.claim("any")
    finally:
        store.close()


# -- item 6: a server that may evict keys -----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own (its config is ours to change)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("these tests need the redis-server binary (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(up, "the test's redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def _set_policy(url: str, policy: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.config_set("maxmemory-policy", policy)
    client.close()


def test_an_evicting_redis_is_refused_with_what_to_set(own_redis: str) -> None:
    _set_policy(own_redis, "allkeys-lru")
    store = open_store(own_redis)
    try:
        with pytest.raises(ConfigurationError) as caught:
            store.claim("order-1")
        message = str(caught.value)
        assert "allkeys-lru" in message
        assert "noeviction" in message
        assert "allow_eviction" in message
        with pytest.raises(ConfigurationError):  # every call, not only the first
            store.inbox_put(b"{}", "application/json")
    finally:
        store.close()


def test_noeviction_opens_and_the_refusal_lifts_once_set(own_redis: str) -> None:
    _set_policy(own_redis, "volatile-lru")
    store = open_store(own_redis)
    try:
        with pytest.raises(ConfigurationError):
            store.claim("order-1")
        _set_policy(own_redis, "noeviction")
        assert store.claim("order-1").acquired
    finally:
        store.close()


@pytest.mark.parametrize("how", ["url", "keyword"])
def test_allow_eviction_goes_on_with_a_loud_warning(
    own_redis: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    _set_policy(own_redis, "allkeys-lru")
    options: dict[str, Any] = {}
    url = own_redis
    if how == "url":
        url += "?allow_eviction=1"
    else:
        options["allow_eviction"] = True
    store = open_store(url, **options)
    try:
        with pytest.warns(RuntimeWarning, match="allkeys-lru"):
            assert store.claim("order-1").acquired
        assert [r.levelname for r in caplog.records if "allkeys-lru" in r.getMessage()] == ["ERROR"]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # once per store, not per call
            assert store.claim("order-2").acquired
    finally:
        store.close()


def test_a_redis_that_refuses_config_get_warns_once_and_goes_on(
    own_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis

    admin = redis.Redis.from_url(own_redis)
    try:
        # A managed Redis's application user: everything but CONFIG.
        admin.acl_setuser(
            "shop",
            enabled=True,
            passwords=["+s3cret-pw"],
            keys=["*"],
            commands=["+@all", "-config"],
        )
        admin.config_set("maxmemory-policy", "allkeys-lru")
    finally:
        admin.close()
    host = own_redis.split("://", 1)[1]
    caplog.set_level(logging.WARNING, logger="ligdicash.stores")  # whatever the root's level
    store = open_store(f"redis://shop:s3cret-pw@{host}")
    try:
        assert store.claim("order-1").acquired
        assert store.claim("order-2").acquired
        lines = [r for r in caplog.records if "maxmemory-policy" in r.getMessage()]
        assert [r.levelname for r in lines] == ["WARNING"]
        assert "s3cret-pw" not in lines[0].getMessage()
    finally:
        store.close()
