"""The base of :class:`RedisStore`: the client, the key prefix, the scripts and errors."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("the Redis store needs redis-py: pip install 'ligdicash[redis]'") from exc

from .._exceptions import StoreUnavailableError
from . import _redis_scripts as lua
from ._base import (
    Store,
    check_key,
    redact_url,
)
from ._types import (
    SCHEMA_VERSION,
)

__all__ = ["DEFAULT_REDIS_PREFIX", "RedisBase"]

#: Every key the store writes starts with this, unless ``prefix=`` (or ``?prefix=``) says.
DEFAULT_REDIS_PREFIX = "ligdicash:"


def _t(value: float) -> str:
    return repr(float(value))


def _hash(flat: Any) -> dict[str, bytes]:
    """HGETALL's flat [field, value, ...] reply (from a script) as a dict."""
    if isinstance(flat, dict):
        return {k.decode() if isinstance(k, bytes) else str(k): v for k, v in flat.items()}
    items = list(flat)
    return {
        (items[i].decode() if isinstance(items[i], bytes) else str(items[i])): items[i + 1]
        for i in range(0, len(items), 2)
    }


def _s(value: Optional[bytes]) -> str:
    return "" if value is None else value.decode("utf-8")


class RedisBase(Store):
    """Claims, inbox and payment registry in Redis, shared by every host and worker.

    Every operation is one Lua script, so it runs atomically in the server; keys live under
    ``prefix`` (several apps or test runs can share one Redis). redis-py retries are off: a
    script that may have run is never sent twice; a dropped connection raises
    :class:`StoreUnavailableError` and the next call reconnects. Single-node Redis (or a
    primary with replicas); Redis Cluster is not supported (scripts reach keys by prefix).
    Durability is Redis's: enable AOF (``appendonly yes``) for an inbox that survives a
    Redis restart.

    Args:
        url: ``redis://[:password@]host:6379/0``; a ``prefix`` query parameter sets the
            key prefix.
        prefix: the key prefix (default ``ligdicash:``; the URL's wins when both are given).
        timeout: socket timeout in seconds.
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: Optional[str] = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        from_url = [v for k, v in query if k == "prefix"]
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        self.prefix = from_url[-1] if from_url else (prefix or DEFAULT_REDIS_PREFIX)
        check_key(self.prefix, "prefix")
        self._url = url
        self._clock = clock
        self._client = redis.Redis.from_url(
            urlunsplit(parts._replace(query=rest)),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        self._scripts = {
            name: self._client.register_script(getattr(lua, name))
            for name in (
                "CLAIM",
                "RENEW",
                "COMPLETE",
                "RELEASE",
                "INBOX_PUT",
                "INBOX_CLAIM",
                "INBOX_CLAIM_NEXT",
                "INBOX_RENEW",
                "INBOX_SETTLE",
                "COUNT",
                "RECORD_PAYMENT",
                "SET_PAYMENT_FIELD",
                "SET_PAYMENT_STATUS",
                "CLAIM_DUE",
                "FINISH_POLL",
            )
        }
        self._schema_written = False

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _call(self, function: Callable[[], Any]) -> Any:
        try:
            if not self._schema_written:
                self._client.set(self._k("schema"), str(SCHEMA_VERSION), nx=True)
                self._schema_written = True
            return function()
        except redis.RedisError as exc:
            raise StoreUnavailableError(
                f"the Redis store {redact_url(self._url)} is unavailable: "
                f"{type(exc).__name__}: {str(exc)[:200]}",
                code="store_unavailable",
            ) from None

    def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        script = self._scripts[name]
        return self._call(lambda: script(keys=keys, args=args))

    def schema_version(self) -> int:
        """The layout version recorded under ``<prefix>schema``."""
        return int(self._call(lambda: self._client.get(self._k("schema"))))

    def _all(self, kind: str) -> list[str]:
        ids = self._call(lambda: self._client.zrange(self._k(kind, "all"), 0, -1))
        return [i.decode() for i in ids]

    def _counts(self, kind: str, field: str) -> dict[str, int]:
        flat = self._script("COUNT", [self._k(kind, "all")], [self.prefix, kind, field])
        return {_s(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisStore({redact_url(self._url)!r}, prefix={self.prefix!r})"
