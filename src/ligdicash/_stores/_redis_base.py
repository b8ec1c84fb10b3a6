"""The base of :class:`RedisStore`: the client, the key prefix, the scripts and errors."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("the Redis store needs redis-py: pip install 'ligdicash[redis]'") from exc

from .._exceptions import ConfigurationError, StoreUnavailableError
from . import _redis_scripts as lua
from ._base import (
    Store,
    check_key,
    redact_url,
)

__all__ = ["DEFAULT_REDIS_PREFIX", "REDIS_LAYOUT_VERSION", "RedisBase"]

#: Every key the store writes starts with this, unless ``prefix=`` (or ``?prefix=``) says.
DEFAULT_REDIS_PREFIX = "ligdicash:"

#: The Redis key layout written under ``<prefix>schema``. 1: index zsets beside the data
#: (``P:pay:due``, so a payment referenced ``due`` collided with them); 2: index zsets
#: under ``P:index:`` where no data key can be. A store opening a version-1 prefix moves
#: the index keys once (see :data:`~ligdicash._stores._redis_scripts.MIGRATE_1_TO_2`).
REDIS_LAYOUT_VERSION = 2

logger = logging.getLogger("ligdicash.stores")

_TRUE = ("1", "true", "yes", "on")


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
        allow_eviction: run on a Redis whose ``maxmemory-policy`` may evict keys (or
            ``?allow_eviction=1``). Off by default: an evicted claim or inbox entry is a
            callback processed twice, so the first operation raises
            :class:`ConfigurationError` unless the policy is ``noeviction``. On, the store
            warns (``RuntimeWarning`` and an ERROR on ``ligdicash.stores``) and goes on.
            Where ``CONFIG GET`` is refused (managed Redis), the store warns once and goes on.

    Raises:
        ConfigurationError: (at the first operation) the server may evict keys and
            ``allow_eviction`` is off.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: Optional[str] = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        allow_eviction: bool = False,
    ) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        ours = ("prefix", "allow_eviction")
        from_url = [v for k, v in query if k == "prefix"]
        evict_from_url = [v for k, v in query if k == "allow_eviction"]
        rest = urlencode([(k, v) for k, v in query if k not in ours])
        self.prefix = from_url[-1] if from_url else (prefix or DEFAULT_REDIS_PREFIX)
        check_key(self.prefix, "prefix")
        self.allow_eviction = bool(allow_eviction) or (
            bool(evict_from_url) and evict_from_url[-1].strip().lower() in _TRUE
        )
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
                "MIGRATE_1_TO_2",
                "INBOX_DISCARD",
                "INBOX_PURGE",
                "INBOX_COUNTS",
            )
        }
        self._schema_written = False

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _index(self, kind: str, name: str) -> str:
        """An index key (``P:index:pay:due``): data keys are ``P:pay:<reference>``,
        ``P:inbox:<digest>``, ``P:idem:<key>``, so no reference, digest or key names one."""
        return self._k("index", kind, name)

    def _check_eviction(self) -> None:
        """Refuse (or, allowed, warn about) a server that may evict keys; why: an evicted
        done-claim or inbox entry lets the same callback run the handler again."""
        try:
            values: dict[Any, Any] = dict(self._client.config_get("maxmemory-policy"))
            raw = values.get("maxmemory-policy", values.get(b"maxmemory-policy"))
            if raw is None:  # a proxy or a managed service that answers nothing
                raise redis.ResponseError("no maxmemory-policy in the reply")
        except redis.ResponseError as exc:  # CONFIG disabled or not permitted (managed Redis)
            logger.warning(
                "could not read maxmemory-policy on the Redis store %s (%s): make sure it is "
                "noeviction, or an evicted key lets a callback be processed twice",
                redact_url(self._url),
                str(exc)[:120],
            )
            return
        policy = raw.decode() if isinstance(raw, bytes) else str(raw)
        if policy == "noeviction":
            return
        message = (
            f"the Redis store {redact_url(self._url)} runs with maxmemory-policy {policy}: "
            f"Redis may evict the keys that make callbacks exactly-once (a claim, an inbox "
            f"entry) and a callback would be processed twice. Set `maxmemory-policy "
            f"noeviction` (CONFIG SET maxmemory-policy noeviction, or in redis.conf / the "
            f"provider's parameter group), or use a Redis of its own for the store"
        )
        if not self.allow_eviction:
            raise ConfigurationError(
                message + "; allow_eviction=True (?allow_eviction=1) runs anyway, at that risk"
            )
        logger.error("%s (allow_eviction is on: going on)", message)
        warnings.warn(message + " (allow_eviction is on)", RuntimeWarning, stacklevel=4)

    def _open_layout(self) -> None:
        """Check the eviction policy, then write the layout version, or move a version-1
        layout's index keys (one script: atomic against other hosts opening too)."""
        self._check_eviction()
        found = self._scripts["MIGRATE_1_TO_2"](
            keys=[self._k("schema")], args=[self.prefix, str(REDIS_LAYOUT_VERSION)]
        )
        if found and int(found) > REDIS_LAYOUT_VERSION:
            raise ConfigurationError(
                f"the Redis store {redact_url(self._url)} (prefix {self.prefix!r}) has key "
                f"layout version {int(found)}, newer than this release's "
                f"{REDIS_LAYOUT_VERSION}: upgrade ligdicash"
            )

    def _call(self, function: Callable[[], Any]) -> Any:
        try:
            if not self._schema_written:
                self._open_layout()
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
        """The key layout version recorded under ``<prefix>schema`` (see
        :data:`REDIS_LAYOUT_VERSION`)."""
        return int(self._call(lambda: self._client.get(self._k("schema"))))

    def _all(self, kind: str) -> list[str]:
        ids = self._call(lambda: self._client.zrange(self._index(kind, "all"), 0, -1))
        return [i.decode() for i in ids]

    def _counts(self, kind: str, field: str) -> dict[str, int]:
        flat = self._script("COUNT", [self._index(kind, "all")], [self.prefix, kind, field])
        return {_s(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisStore({redact_url(self._url)!r}, prefix={self.prefix!r})"
