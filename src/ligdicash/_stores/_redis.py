"""``redis://...``: a store shared by every host, on redis-py, each operation one Lua script
(extra ``[redis]``)."""

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
    INBOX_STATES,
    Store,
    check_body,
    check_key,
    check_lease,
    check_payment,
    check_text,
    inbox_digest,
    new_owner,
    redact_url,
)
from ._types import (
    SCHEMA_VERSION,
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    PaymentClaim,
    PaymentKind,
    PaymentRecord,
    ReleaseState,
)

__all__ = ["DEFAULT_REDIS_PREFIX", "RedisStore"]

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


class RedisStore(Store):
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

    # -- claims -----------------------------------------------------------------------

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        check_key(key)
        lease = check_lease(lease_seconds)
        now = self._clock()
        owner = new_owner()
        state, until = self._script(
            "CLAIM", [self._k("idem", key)], [owner, _t(now + lease), _t(now)]
        )
        state = state.decode()
        if state == "claimed":
            return Claim(key, "claimed", owner, float(until))
        if state == "busy":
            return Claim(key, "busy", lease_until=float(until))
        return Claim(key, "done")

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        return bool(
            self._script(
                "RENEW", [self._k("idem", claim.key)], [claim.owner, _t(now + lease), _t(now)]
            )
        )

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        check_text(note, "note")
        return bool(
            self._script(
                "COMPLETE", [self._k("idem", claim.key)], [claim.owner, note, _t(self._clock())]
            )
        )

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        check_text(note, "note")
        if state not in ("unconfirmed", "failed"):
            raise ValueError("state must be 'unconfirmed' or 'failed'")
        return bool(
            self._script(
                "RELEASE",
                [self._k("idem", claim.key)],
                [claim.owner, state, note, _t(self._clock())],
            )
        )

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        check_key(key)
        raw = self._call(lambda: self._client.hgetall(self._k("idem", key)))
        if not raw:
            return None
        h = _hash(raw)
        return IdempotencyRecord(
            key,
            _s(h["state"]),  # type: ignore[arg-type]
            _s(h.get("owner")),
            float(h["lease_until"]),
            int(h["attempts"]),
            _s(h.get("note")),
            float(h["updated_at"]),
        )

    # -- inbox ------------------------------------------------------------------------

    def _entry(self, digest: str, raw: Any) -> InboxEntry:
        h = _hash(raw)
        return InboxEntry(
            digest,
            bytes(h["body"]),
            _s(h["content_type"]),
            float(h["received_at"]),
            _s(h["state"]),  # type: ignore[arg-type]
            _s(h["owner"]),
            float(h["lease_until"]),
            int(h["attempts"]),
            int(h["deliveries"]),
            _s(h["outcome"]),
            float(h["updated_at"]),
        )

    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        body = check_body(body)
        check_text(content_type, "content_type", limit=255)
        digest = inbox_digest(body, content_type)
        now = self._clock()
        raw = self._script(
            "INBOX_PUT",
            [self._k("inbox", digest), self._k("inbox", "ready"), self._k("inbox", "all")],
            [digest, body, content_type, _t(now if received_at is None else received_at), _t(now)],
        )
        return self._entry(digest, raw)

    def _leased(self, raw: Any, owner: str, until: float) -> Optional[InboxClaim]:
        if not raw:
            return None
        h = _hash(raw)
        digest = inbox_digest(bytes(h["body"]), _s(h["content_type"]))
        return InboxClaim(self._entry(digest, raw), owner, until)

    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        check_key(digest, "digest")
        lease = check_lease(lease_seconds)
        now, owner = self._clock(), new_owner()
        raw = self._script(
            "INBOX_CLAIM",
            [self._k("inbox", digest), self._k("inbox", "ready")],
            [digest, owner, _t(now + lease), _t(now)],
        )
        return self._leased(raw, owner, now + lease)

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)
        now, owner = self._clock(), new_owner()
        raw = self._script(
            "INBOX_CLAIM_NEXT",
            [self._k("inbox", "ready")],
            [self.prefix, owner, _t(now + lease), _t(now)],
        )
        return self._leased(raw, owner, now + lease)

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        return bool(
            self._script(
                "INBOX_RENEW",
                [self._k("inbox", claim.digest), self._k("inbox", "ready")],
                [claim.digest, claim.owner, _t(now + lease), _t(now)],
            )
        )

    def _settle(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        return bool(
            self._script(
                "INBOX_SETTLE",
                [self._k("inbox", claim.digest), self._k("inbox", "ready")],
                [claim.digest, claim.owner, state, outcome, _t(self._clock())],
            )
        )

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle(claim, "pending", outcome)

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        check_key(digest, "digest")
        raw = self._call(lambda: self._client.hgetall(self._k("inbox", digest)))
        return self._entry(digest, raw) if raw else None

    def _all(self, kind: str) -> list[str]:
        ids = self._call(lambda: self._client.zrange(self._k(kind, "all"), 0, -1))
        return [i.decode() for i in ids]

    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        entries = []
        for digest in self._all("inbox"):
            entry = self.inbox_get(digest)
            if entry is not None and (state is None or entry.state == state):
                entries.append(entry)
                if len(entries) >= limit:
                    break
        return entries

    def _counts(self, kind: str, field: str) -> dict[str, int]:
        flat = self._script("COUNT", [self._k(kind, "all")], [self.prefix, kind, field])
        return {_s(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def inbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INBOX_STATES, 0)
        counts.update(self._counts("inbox", "state"))
        return counts

    # -- payment registry -------------------------------------------------------------

    def _payment(self, reference: str, raw: Any) -> PaymentRecord:
        h = _hash(raw)
        token = h.get("token")
        return PaymentRecord(
            reference,
            _s(h["kind"]),  # type: ignore[arg-type]
            int(h["amount"]),
            None if token is None else _s(token),
            _s(h["status"]),
            float(h["created_at"]),
            float(h["updated_at"]),
            float(h["next_poll_at"]),
            int(h["poll_attempts"]),
            _s(h["owner"]),
            float(h["lease_until"]),
            _s(h["note"]),
        )

    def record_payment(
        self,
        reference: str,
        *,
        kind: PaymentKind,
        amount: int,
        token: Optional[str] = None,
        next_poll_at: Optional[float] = None,
    ) -> PaymentRecord:
        check_key(reference, "reference")
        check_payment(kind, amount)
        if token is not None:
            check_text(token, "token", limit=4000)
        now = self._clock()
        raw = self._script(
            "RECORD_PAYMENT",
            [self._k("pay", reference), self._k("pay", "due"), self._k("pay", "all")],
            [
                reference,
                kind,
                str(amount),
                token or "",
                "0" if token is None else "1",
                _t(now),
                _t(now if next_poll_at is None else next_poll_at),
            ],
        )
        return self._payment(reference, raw)

    def set_payment_token(self, reference: str, token: str) -> bool:
        check_key(reference, "reference")
        check_text(token, "token", limit=4000)
        return bool(
            self._script(
                "SET_PAYMENT_FIELD",
                [self._k("pay", reference)],
                ["token", token, _t(self._clock())],
            )
        )

    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        check_key(reference, "reference")
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return bool(
            self._script(
                "SET_PAYMENT_STATUS",
                [self._k("pay", reference), self._k("pay", "due")],
                [reference, status, note, _t(self._clock())],
            )
        )

    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        lease = check_lease(lease_seconds)
        if limit <= 0:
            return []
        now, owner = self._clock(), new_owner()
        raws = self._script(
            "CLAIM_DUE",
            [self._k("pay", "due")],
            [self.prefix, owner, _t(now + lease), _t(now), _t(now - older_than), str(int(limit))],
        )
        payments = [self._payment(_s(_hash(raw)["reference"]), raw) for raw in raws]
        payments.sort(key=lambda p: (p.next_poll_at, p.reference))
        return [PaymentClaim(p, owner, now + lease) for p in payments]

    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return bool(
            self._script(
                "FINISH_POLL",
                [self._k("pay", claim.reference), self._k("pay", "due")],
                [claim.reference, claim.owner, status, _t(next_poll_at), note, _t(self._clock())],
            )
        )

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        check_key(reference, "reference")
        raw = self._call(lambda: self._client.hgetall(self._k("pay", reference)))
        return self._payment(reference, raw) if raw else None

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        records = []
        for reference in self._all("pay"):
            record = self.get_payment(reference)
            if record is not None and (status is None or record.status == status):
                records.append(record)
                if len(records) >= limit:
                    break
        return records

    def payment_counts(self) -> dict[str, int]:
        return self._counts("pay", "status")

    def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisStore({redact_url(self._url)!r}, prefix={self.prefix!r})"
