"""``redis://...``: a store shared by every host, on redis-py, each operation one Lua script
(extra ``[redis]``)."""

from __future__ import annotations

from typing import Any, Optional

from ._base import (
    check_body,
    check_key,
    check_lease,
    check_text,
    inbox_digest,
    new_owner,
)
from ._redis_base import DEFAULT_REDIS_PREFIX, _hash, _s, _t
from ._redis_registry import RedisRegistry
from ._types import (
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    ReleaseState,
)

__all__ = ["DEFAULT_REDIS_PREFIX", "RedisStore"]


class RedisStore(RedisRegistry):
    """Claims, inbox and payment registry in Redis, shared by every host and worker.

    See :class:`RedisBase` for the arguments, the key layout and the guarantees; the
    payment registry is in :class:`RedisRegistry`.
    """

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
            [self._k("inbox", digest), self._index("inbox", "ready"), self._index("inbox", "all")],
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
            [self._k("inbox", digest), self._index("inbox", "ready")],
            [digest, owner, _t(now + lease), _t(now)],
        )
        return self._leased(raw, owner, now + lease)

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)
        now, owner = self._clock(), new_owner()
        raw = self._script(
            "INBOX_CLAIM_NEXT",
            [self._index("inbox", "ready")],
            [self.prefix, owner, _t(now + lease), _t(now)],
        )
        return self._leased(raw, owner, now + lease)

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        return bool(
            self._script(
                "INBOX_RENEW",
                [self._k("inbox", claim.digest), self._index("inbox", "ready")],
                [claim.digest, claim.owner, _t(now + lease), _t(now)],
            )
        )

    def _settle(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        return bool(
            self._script(
                "INBOX_SETTLE",
                [
                    self._k("inbox", claim.digest),
                    self._index("inbox", "ready"),
                    self._index("inbox", "done"),
                ],
                [claim.digest, claim.owner, state, outcome, _t(self._clock())],
            )
        )

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle(claim, "pending", outcome)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        return bool(
            self._script(
                "INBOX_DISCARD",
                [
                    self._k("inbox", claim.digest),
                    self._index("inbox", "ready"),
                    self._index("inbox", "all"),
                ],
                [claim.digest, claim.owner],
            )
        )

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        return int(
            self._script(
                "INBOX_PURGE",
                [self._index("inbox", "done"), self._index("inbox", "all")],
                [self.prefix, _t(self._clock() - float(older_than)), str(max(0, int(limit)))],
            )
        )

    def inbox_backlog(self) -> int:
        return int(self._call(lambda: self._client.zcard(self._index("inbox", "ready"))))

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        check_key(digest, "digest")
        raw = self._call(lambda: self._client.hgetall(self._k("inbox", digest)))
        return self._entry(digest, raw) if raw else None

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

    def inbox_counts(self) -> dict[str, int]:
        # From the indexes (three O(log n) calls in one script), never a walk over every
        # entry: 100,000 forged callbacks blocked Redis 266 ms per count that way. An
        # entry whose lease lapsed is counted pending: it is claimable again.
        pending, processing, done = self._script(
            "INBOX_COUNTS",
            [self._index("inbox", "ready"), self._index("inbox", "done")],
            [_t(self._clock())],
        )
        return {"pending": int(pending), "processing": int(processing), "done": int(done)}
