"""The payout ledger: every state change, written once for all backends.

A backend (:mod:`._sqlite`, :mod:`._postgres`) only supplies connections, the parameter
style and the claim query (:class:`~._ledger_base.LedgerBase`). Every state change is a
conditional ``UPDATE ... WHERE status IN (...)`` checked against
:data:`~._states.TRANSITIONS`, committed before the method returns: when
:meth:`Ledger.claim` returns an item, its ``sending`` row is already durable, so a crash
after that point leaves an item that is never re-sent by itself.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Optional

from .._exceptions import InvalidRequestError
from .._observe import payout_moved
from ._batch import Batch, PayoutItem
from ._ledger_base import (
    ITEM_COLUMNS,
    STALE_AFTER,
    LedgerBase,
    WorkerIdentity,
    _pid_alive,
)
from ._records import BatchInfo, CallbackEvidence, LedgerItem, describe_evidence, item_id
from ._reuse import EarlierPayment, ReferenceReusedError
from ._states import (
    CANCELLED,
    COMPLETED,
    FAILED,
    IN_DOUBT,
    PENDING,
    SENDING,
    SENT,
    LedgerStateError,
    check_transition,
)

__all__ = ["RECENT_WINDOW", "Ledger", "LedgerStateError", "WorkerIdentity"]

#: How far back :meth:`Ledger.recent_payments` looks by default: 7 days.
RECENT_WINDOW = 7 * 24 * 3600.0


#: The columns of an :class:`EarlierPayment`, with their batch's source file.
_EARLIER_PAYMENTS = (
    "SELECT i.reference, i.batch_id, i.line, i.position, i.status, i.phone, i.amount, "
    "i.updated_at, b.source FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id"
)


def _in_chunks(values: Sequence[str], size: int = 500) -> Iterator[tuple[str, tuple[str, ...]]]:
    """``values`` in chunks of ``size``, each with its ``?, ?, …`` placeholders: an ``IN``
    list stays under every backend's limit on bound parameters."""
    for start in range(0, len(values), size):
        chunk = tuple(values[start : start + size])
        yield ", ".join("?" for _ in chunk), chunk


class Ledger(LedgerBase):
    """Durable record of every payout of every batch, shared by all workers of a store.

    A ledger holds one account's payouts, and a reference is one payment of that account
    (:meth:`add_batch`). Open one with :func:`ligdicash.payouts.open_ledger` (``sqlite:///path`` or
    ``postgresql://...``). Methods are thread-safe; each commits before it returns.
    State changes that the machine does not allow raise :class:`LedgerStateError`.
    """

    # -- batches ------------------------------------------------------------------------

    def add_batch(
        self,
        batch: Batch,
        *,
        new_payments: Collection[str] = (),
        allow_overlap: bool = False,
    ) -> bool:
        """Record ``batch`` and its items as ``pending``; return False if it was already there.

        A reference names one payment of the account: a reference that another batch of
        this ledger holds (sent, paid, in flight, pending or failed; not cancelled) is
        refused, so that an edited or copied file cannot pay its unchanged rows again. The
        database enforces it (a unique index), so two processes or hosts adding batches at
        the same moment cannot both take a reference either.

        Args:
            new_payments: references of ``batch`` that are new payments although an earlier
                batch used them (named one by one: a whole re-run cannot slip through).
            allow_overlap: every reference of ``batch`` may repeat an earlier batch's.

        Raises:
            ReferenceReusedError: a reference of ``batch`` is already in another batch of
                this ledger; the message names the batch, the line and the status.
            InvalidRequestError: ``new_payments`` names a reference the batch does not have
                (a typo).
            StoreUnavailableError: the database failed; nothing was recorded.
        """
        references = {it.reference for it in batch.items}
        if isinstance(new_payments, str):  # one reference, not its characters
            new_payments = [new_payments]
        unknown = sorted(set(new_payments) - references)
        if unknown:
            shown = ", ".join(repr(ref) for ref in unknown[:5])
            raise InvalidRequestError(
                f"--allow-repeat (new_payments) names references not in the batch: {shown}"
            )
        allowed = frozenset(references if allow_overlap else new_payments)
        for _attempt in range(3):
            try:
                return self._add_batch(batch, allowed)
            except self._integrity_errors:
                # Another process took a reference (or added this very batch) between our
                # check and our insert; the transaction is rolled back: look again.
                continue
        raise ReferenceReusedError(
            f"batch {batch.id}: its references are being added by another process at the "
            "same moment; run it again to see which"
        )

    def _add_batch(self, batch: Batch, allowed: frozenset[str]) -> bool:
        now = time.time()
        with self._transaction(immediate=True, durable=True) as cur:
            self._lock_references(cur)
            cur.execute(self._sql("SELECT 1 FROM payout_batches WHERE id = ?"), (batch.id,))
            if cur.fetchone() is not None:
                return False
            references = [it.reference for it in batch.items]
            holders = self._holders(cur, references)
            if any(h.batch_id == batch.id for h in holders):
                return False  # another process added this very batch since our first look
            taken = [h for h in holders if h.reference not in allowed]
            if taken:
                raise ReferenceReusedError.about(taken, count=len(taken))
            repeats = sorted(allowed.intersection(references))
            for marks, chunk in _in_chunks(repeats):
                # The new item holds the reference from now on; the earlier ones keep their
                # rows (and the unique index keeps its one holder).
                cur.execute(
                    self._sql(
                        "UPDATE payout_items SET repeat_key = id "  # noqa: S608
                        f"WHERE repeat_key = '' AND reference IN ({marks})"
                    ),
                    chunk,
                )
            cur.execute(
                self._sql(
                    "INSERT INTO payout_batches (id, source, item_count, total, paused_reason, "
                    "created_at) VALUES (?, ?, ?, ?, '', ?)"
                ),
                (batch.id, batch.source, len(batch), batch.total, now),
            )
            cur.executemany(
                self._sql(
                    "INSERT INTO payout_items (id, batch_id, position, reference, phone, amount, "
                    "type, to_wallet, description, status, updated_at, line) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                # A generator: a million rows are never all built at once.
                (
                    (
                        item_id(batch.id, it.reference),
                        batch.id,
                        n,
                        it.reference,
                        it.phone,
                        it.amount,
                        it.type,
                        int(it.to_wallet),
                        it.description,
                        PENDING,
                        now,
                        it.line,
                    )
                    for n, it in enumerate(batch.items)
                ),
            )
        return True

    def _holders(self, cur: Any, references: Sequence[str]) -> list[EarlierPayment]:
        """The items of other batches that hold one of ``references`` (not cancelled)."""
        found: list[EarlierPayment] = []
        for marks, chunk in _in_chunks(references):
            cur.execute(
                self._sql(
                    f"{_EARLIER_PAYMENTS} WHERE i.repeat_key = '' AND i.reference IN ({marks})"
                ),
                chunk,
            )
            found += [EarlierPayment.from_row(r) for r in cur.fetchall()]
        return found

    def payment_of(self, reference: str) -> Optional[EarlierPayment]:
        """The item that holds ``reference`` in this ledger (not cancelled), or None."""
        found = self.payments_of([reference])
        return found[0] if found else None

    def payments_of(self, references: Sequence[str]) -> list[EarlierPayment]:
        """The items that hold these references in this ledger (not cancelled)."""
        with self._transaction() as cur:
            return self._holders(cur, list(references))

    def recent_payments(
        self, batch: Batch, *, within: float = RECENT_WINDOW
    ) -> list[tuple[PayoutItem, EarlierPayment]]:
        """Items of ``batch`` whose recipient got the same amount from another batch in the
        last ``within`` seconds (sent, paid or in flight: not pending, failed or
        cancelled), each with the most recent such payment.

        Not a refusal (paying someone twice the same amount may be meant): something to
        show before asking for confirmation.
        """
        if within <= 0:
            return []
        since = time.time() - within
        by_recipient = {(it.phone, it.amount): it for it in batch.items}
        latest: dict[tuple[str, int], EarlierPayment] = {}
        phones = sorted({it.phone for it in batch.items})
        with self._transaction() as cur:
            for marks, chunk in _in_chunks(phones):
                cur.execute(
                    self._sql(
                        f"{_EARLIER_PAYMENTS} "
                        f"WHERE i.phone IN ({marks}) AND i.batch_id <> ? "
                        "AND i.updated_at >= ? AND i.status IN (?, ?, ?, ?)"
                    ),
                    (*chunk, batch.id, since, SENDING, SENT, IN_DOUBT, COMPLETED),
                )
                for row in cur.fetchall():
                    earlier = EarlierPayment.from_row(row)
                    key = (earlier.phone, earlier.amount)
                    if key in by_recipient and (
                        key not in latest or earlier.updated_at > latest[key].updated_at
                    ):
                        latest[key] = earlier
        return sorted(
            ((by_recipient[key], earlier) for key, earlier in latest.items()),
            key=lambda pair: pair[0].line,
        )

    def batch_info(self, batch_id: str) -> BatchInfo:
        """Counts and amounts per status of a batch.

        Raises:
            InvalidRequestError: no such batch in this ledger.
        """
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    "SELECT id, source, item_count, total, paused_reason, created_at "
                    "FROM payout_batches WHERE id = ?"
                ),
                (batch_id,),
            )
            row = cur.fetchone()
            if row is None:
                raise InvalidRequestError(f"no batch {batch_id!r} in the ledger {self.url}")
            cur.execute(
                self._sql(
                    "SELECT status, COUNT(*), COALESCE(SUM(amount), 0) FROM payout_items "
                    "WHERE batch_id = ? GROUP BY status"
                ),
                (batch_id,),
            )
            groups = cur.fetchall()
        return BatchInfo(
            id=row[0],
            source=row[1],
            item_count=int(row[2]),
            total=int(row[3]),
            paused_reason=row[4],
            created_at=float(row[5]),
            counts={g[0]: int(g[1]) for g in groups},
            amounts={g[0]: int(g[2]) for g in groups},
        )

    def batch_ids(self) -> list[str]:
        """Every batch id of the ledger, newest first."""
        with self._transaction() as cur:
            cur.execute("SELECT id FROM payout_batches ORDER BY created_at DESC")
            return [r[0] for r in cur.fetchall()]

    def set_paused(self, batch_id: str, reason: str) -> None:
        """Pause the batch (``reason`` non-empty) or un-pause it (``""``)."""
        with self._transaction() as cur:
            cur.execute(
                self._sql("UPDATE payout_batches SET paused_reason = ? WHERE id = ?"),
                (reason[:500], batch_id),
            )

    # -- items --------------------------------------------------------------------------

    def items(self, batch_id: str, *, statuses: Sequence[str] = ()) -> list[LedgerItem]:
        """The batch's items in file order (only those in ``statuses`` if given)."""
        query = f"SELECT {ITEM_COLUMNS} FROM payout_items WHERE batch_id = ?"  # noqa: S608
        params: list[Any] = [batch_id]
        if statuses:
            query += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += list(statuses)
        with self._transaction() as cur:
            cur.execute(self._sql(query + " ORDER BY position"), tuple(params))
            found = [self._item(r) for r in cur.fetchall()]
            evidence = self._batch_evidence(cur, batch_id)
        return self._with_evidence(found, evidence)

    def iter_items(
        self, batch_id: str, *, statuses: Sequence[str] = (), chunk: int = 2000
    ) -> Iterator[LedgerItem]:
        """The batch's items in file order, read ``chunk`` at a time (each chunk its own
        short transaction): a million-item batch never sits in memory. Items that move
        while it runs are seen as they are when their chunk is read."""
        with self._transaction() as cur:
            evidence = self._batch_evidence(cur, batch_id)
        query = f"SELECT {ITEM_COLUMNS} FROM payout_items WHERE batch_id = ? AND position > ?"  # noqa: S608
        if statuses:
            query += f" AND status IN ({', '.join('?' for _ in statuses)})"
        query = self._sql(query + " ORDER BY position LIMIT ?")
        after = -1
        while True:
            with self._transaction() as cur:
                cur.execute(query, (batch_id, after, *statuses, chunk))
                found = [self._item(r) for r in cur.fetchall()]
            if not found:
                return
            yield from self._with_evidence(found, evidence)
            after = found[-1].position

    def get(self, ledger_item_id: str) -> Optional[LedgerItem]:
        """One item by its id (``<batch>-<reference>``), or None."""
        with self._transaction() as cur:
            cur.execute(
                self._sql(f"SELECT {ITEM_COLUMNS} FROM payout_items WHERE id = ?"),  # noqa: S608
                (ledger_item_id,),
            )
            row = cur.fetchone()
            if row is None:
                return None
            evidence = self._evidence_rows(cur, "WHERE c.item_id = ?", ledger_item_id)
        return self._with_evidence([self._item(row)], evidence)[0]

    def claim(self, batch_id: str, worker: WorkerIdentity) -> Optional[LedgerItem]:
        """Move the next ``pending`` item to ``sending`` for ``worker`` and return it.

        The change is committed durably before this returns, so the caller may then send.
        Returns None when no pending item is left or the batch is paused.
        """
        claimed = self.claim_many(batch_id, worker, 1)
        return claimed[0] if claimed else None

    def claim_many(self, batch_id: str, worker: WorkerIdentity, limit: int) -> list[LedgerItem]:
        """Move up to ``limit`` pending items to ``sending`` in one durable commit.

        One commit (one fsync) for several items is what keeps the ledger's cost per item
        low; the price is that a crash leaves up to ``limit`` claimed items ``in_doubt``,
        even those not sent yet. Items the caller decides not to send must be handed back
        with :meth:`release`.
        """
        with self._transaction(immediate=True, durable=True) as cur:
            rows = self._claim_rows(cur, batch_id, worker, limit)
        payout_moved(SENDING, len(rows))
        return sorted((self._item(r) for r in rows), key=lambda item: item.position)

    def _claim_rows(
        self, cur: Any, batch_id: str, worker: WorkerIdentity, limit: int
    ) -> list[Sequence[Any]]:
        """Inside a write transaction: mark up to ``limit`` items sending; return their rows."""
        cur.execute(self._claim_sql(), (batch_id, PENDING, limit))
        ids = [row[0] for row in cur.fetchall()]
        if not ids:
            return []
        cur.executemany(
            self._sql(
                "UPDATE payout_items SET status = ?, worker = ?, attempts = attempts + 1, "
                "updated_at = ? WHERE id = ? AND status = ?"
            ),
            [(SENDING, worker.id, time.time(), ident, PENDING) for ident in ids],
        )
        marks = ", ".join("?" for _ in ids)
        cur.execute(
            self._sql(
                f"SELECT {ITEM_COLUMNS} FROM payout_items "  # noqa: S608
                f"WHERE id IN ({marks}) AND status = ? AND worker = ?"
            ),
            (*ids, SENDING, worker.id),
        )
        return list(cur.fetchall())

    def release(self, items: Sequence[LedgerItem]) -> None:
        """Hand claimed items that were certainly not sent back to ``pending``."""
        for item in items:
            self.move(item.id, PENDING, expect=[SENDING])

    def mark_polled(self, ids: Sequence[str]) -> None:
        """Record that these items' statuses were just asked for."""
        if not ids:
            return
        now = time.time()
        with self._transaction() as cur:
            cur.executemany(
                self._sql("UPDATE payout_items SET polled_at = ? WHERE id = ?"),
                [(now, i) for i in ids],
            )

    def due_for_poll(self, batch_id: str, interval: float, limit: int = 200) -> list[LedgerItem]:
        """``sent`` items whose status was not asked for in the last ``interval`` seconds."""
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {ITEM_COLUMNS} FROM payout_items "  # noqa: S608
                    "WHERE batch_id = ? AND status = ? AND polled_at <= ? "
                    "ORDER BY polled_at, position LIMIT ?"
                ),
                (batch_id, SENT, time.time() - interval, limit),
            )
            return [self._item(r) for r in cur.fetchall()]

    # -- operators ----------------------------------------------------------------------

    def resolve(self, ledger_item_id: str, *, sent_token: str = "", not_sent: bool = False) -> None:
        """Record what an operator found about an ``in_doubt`` item.

        ``sent_token``: LigdiCash has the payout (its token, from the LigdiCash dashboard):
        the item becomes ``sent`` and the next run settles it by status.
        ``not_sent=True``: LigdiCash has no such payout: the item goes back to
        ``pending`` and the next run sends it.

        Raises:
            InvalidRequestError: neither or both given; unknown item.
            LedgerStateError: the item is not ``in_doubt``.
        """
        if bool(sent_token.strip()) == bool(not_sent):
            raise InvalidRequestError("give exactly one of sent_token or not_sent=True")
        item = self.get(ledger_item_id)
        if item is None:
            raise InvalidRequestError(f"no item {ledger_item_id!r} in the ledger {self.url}")
        if item.status != IN_DOUBT:
            raise LedgerStateError(f"item {ledger_item_id!r} is {item.status}, not in_doubt")
        if sent_token.strip():
            moved = self.move(
                item.id,
                SENT,
                expect=[IN_DOUBT],
                token=sent_token.strip(),
                resolution="operator: sent",
                durable=True,
            )
        else:
            moved = self.move(
                item.id, PENDING, expect=[IN_DOUBT], resolution="operator: not sent", durable=True
            )
        if not moved:
            raise LedgerStateError(f"item {ledger_item_id!r} changed while resolving it")

    def cancel(self, ledger_item_id: str) -> None:
        """Cancel a ``pending`` item (it will not be sent); its reference is free again
        unless another batch also used it.

        Raises:
            LedgerStateError: the item is not pending any more.
        """
        check_transition(PENDING, CANCELLED)
        with self._transaction(immediate=True, durable=True) as cur:
            cur.execute(
                self._sql(
                    "SELECT reference, repeat_key FROM payout_items WHERE id = ? AND status = ?"
                ),
                (ledger_item_id, PENDING),
            )
            row = cur.fetchone()
            if row is None:
                raise LedgerStateError(f"item {ledger_item_id!r} is not pending: cannot cancel it")
            cur.execute(
                self._sql(
                    "UPDATE payout_items SET status = ?, repeat_key = id, resolution = ?, "
                    "updated_at = ? WHERE id = ? AND status = ?"
                ),
                (CANCELLED, "cancelled", time.time(), ledger_item_id, PENDING),
            )
            if row[1] == "":
                # It held the reference: an earlier batch's payment of it (a repeat the user
                # allowed) holds it now, so that it still refuses a later copy.
                cur.execute(
                    self._sql(
                        "UPDATE payout_items SET repeat_key = '' WHERE id = (SELECT id FROM "
                        "payout_items WHERE reference = ? AND status <> ? "
                        "ORDER BY updated_at DESC, id LIMIT 1)"
                    ),
                    (row[0], CANCELLED),
                )
        payout_moved(CANCELLED)

    # -- workers ------------------------------------------------------------------------

    def heartbeat(self, worker: WorkerIdentity, batch_id: str) -> None:
        """Say that ``worker`` is alive and working on ``batch_id``."""
        with self._transaction() as cur:
            cur.execute(self._sql("DELETE FROM payout_workers WHERE id = ?"), (worker.id,))
            cur.execute(
                self._sql(
                    "INSERT INTO payout_workers (id, batch_id, host, pid, heartbeat_at, started) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (worker.id, batch_id, worker.host, worker.pid, time.time(), worker.started),
            )

    def retire(self, worker: WorkerIdentity) -> None:
        """Forget ``worker`` (it exited cleanly, with nothing in flight)."""
        with self._transaction() as cur:
            cur.execute(self._sql("DELETE FROM payout_workers WHERE id = ?"), (worker.id,))

    def recover(
        self, batch_id: str, me: WorkerIdentity, *, stale_after: Optional[float] = None
    ) -> int:
        """Turn the ``sending`` items of dead workers into ``in_doubt``; return how many.

        A worker of this host is dead when its process is gone, however long ago it beat
        (a process paused by a debugger, a ``SIGSTOP`` or a suspended laptop comes back and
        records its answers). A worker of another host is presumed dead when its heartbeat
        is older than ``stale_after`` seconds (default :data:`STALE_AFTER`): should it come
        back, the tokens it receives are still recorded (``in_doubt → sent``). Its
        ``sending`` items may have reached LigdiCash, so they are never put back to
        ``pending``.
        """
        stale = STALE_AFTER if stale_after is None else float(stale_after)
        with self._transaction() as cur:
            cur.execute(
                self._sql("SELECT id, host, pid, heartbeat_at, started FROM payout_workers")
            )
            workers = {r[0]: (r[1], int(r[2]), float(r[3]), r[4]) for r in cur.fetchall()}
            cur.execute(
                self._sql("SELECT id, worker FROM payout_items WHERE batch_id = ? AND status = ?"),
                (batch_id, SENDING),
            )
            sending = cur.fetchall()
        now = time.time()
        dead: list[str] = []
        for ident, owner in sending:
            if owner == me.id:
                continue
            known = workers.get(owner)
            if known is None:
                dead.append(ident)
                continue
            host, pid, beat, started = known
            if host == me.host:
                if not _pid_alive(pid, started):
                    dead.append(ident)
            elif now - beat > stale:
                dead.append(ident)
        recovered = 0
        for ident in dead:
            recovered += self.move(
                ident,
                IN_DOUBT,
                expect=[SENDING],
                error_code="worker_died",
                error="the worker sending it stopped before recording LigdiCash's answer",
            )
        return recovered

    # -- settlement -----------------------------------------------------------------------

    def record_callback(self, evidence: CallbackEvidence) -> None:
        """Keep what a callback said about an item without a token, for the operator.

        Never settles anything (see :class:`~._records.CallbackEvidence`). One row per
        item and claimed status: the JSON and form copies, and repeats, are counted.
        """
        now = time.time()
        self._execute_one(
            "INSERT INTO payout_callbacks (item_id, said_status, said_amount, said_customer, "
            "hash_check, callback_token, first_at, last_at, received) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (item_id, said_status) DO UPDATE SET "
            "said_amount = excluded.said_amount, said_customer = excluded.said_customer, "
            "hash_check = excluded.hash_check, callback_token = excluded.callback_token, "
            "last_at = excluded.last_at, received = payout_callbacks.received + 1",
            (
                evidence.item_id,
                evidence.status[:20],
                evidence.amount,
                evidence.customer[:40],
                evidence.hash_check[:20],
                evidence.callback_token[:40],
                now,
                now,
            ),
            durable=False,
        )

    def callback_evidence(self, ledger_item_id: str) -> list[CallbackEvidence]:
        """What callbacks said about an item while it had no token (oldest first)."""
        with self._transaction() as cur:
            found = self._evidence_rows(cur, "WHERE c.item_id = ?", ledger_item_id)
        return sorted(found.get(ledger_item_id, []), key=lambda e: e.first_at)

    def _batch_evidence(self, cur: Any, batch_id: str) -> dict[str, list[CallbackEvidence]]:
        # Driven by the (small) evidence table, not by the batch's million items (SQLite
        # keeps the order of a CROSS JOIN; PostgreSQL plans it from its statistics).
        return self._evidence_rows(
            cur, "CROSS JOIN payout_items i WHERE i.id = c.item_id AND i.batch_id = ?", batch_id
        )

    def _evidence_rows(
        self, cur: Any, condition: str, param: str
    ) -> dict[str, list[CallbackEvidence]]:
        cur.execute(
            self._sql(
                "SELECT c.item_id, c.said_status, c.said_amount, c.said_customer, "  # noqa: S608
                "c.hash_check, c.callback_token, c.first_at, c.last_at, c.received "
                f"FROM payout_callbacks c {condition}"
            ),
            (param,),
        )
        found: dict[str, list[CallbackEvidence]] = {}
        for r in cur.fetchall():
            found.setdefault(r[0], []).append(
                CallbackEvidence(
                    item_id=r[0],
                    status=r[1],
                    amount=None if r[2] is None else int(r[2]),
                    customer=r[3],
                    hash_check=r[4],
                    callback_token=r[5],
                    first_at=float(r[6]),
                    last_at=float(r[7]),
                    received=int(r[8]),
                )
            )
        return found

    @staticmethod
    def _with_evidence(
        items: list[LedgerItem], evidence: dict[str, list[CallbackEvidence]]
    ) -> list[LedgerItem]:
        if not evidence:
            return items
        return [
            dataclasses.replace(it, evidence=describe_evidence(evidence[it.id]))
            if it.id in evidence
            else it
            for it in items
        ]

    def settle_many(self, settlements: Sequence[tuple[str, str]]) -> int:
        """Record several ``(item id, completed|failed)`` status results from ``sent`` in
        one commit; return how many items moved (the others were elsewhere already)."""
        for _, final_status in settlements:
            check_transition(SENT, final_status)
        if not settlements:
            return 0
        now = time.time()
        with self._transaction() as cur:
            cur.executemany(
                self._sql(
                    "UPDATE payout_items SET status = ?, updated_at = ?, error_code = ?, "
                    "error = ? WHERE id = ? AND status = ?"
                ),
                [
                    (
                        status,
                        now,
                        "" if status == COMPLETED else "nocompleted",
                        "" if status == COMPLETED else "LigdiCash reports the payout failed",
                        ident,
                        SENT,
                    )
                    for ident, status in settlements
                ],
            )
            moved = cur.rowcount
        moved = int(moved) if moved is not None and moved >= 0 else len(settlements)
        # One count for the whole commit: per state only when every item moved (the others
        # were settled meanwhile by another worker, which counts its own).
        if moved == len(settlements):
            for state in (COMPLETED, FAILED):
                payout_moved(state, sum(1 for _, status in settlements if status == state))
        return moved

    def settle(self, ledger_item_id: str, final_status: str, *, resolution: str = "") -> bool:
        """Record a final status confirmed by a status call (``completed`` or ``failed``)."""
        if final_status not in (COMPLETED, FAILED):
            raise LedgerStateError(f"{final_status!r} is not a settlement")
        error = "" if final_status == COMPLETED else "LigdiCash reports the payout failed"
        return self.move(
            ledger_item_id,
            final_status,
            expect=[SENT, IN_DOUBT, SENDING],
            error_code="" if final_status == COMPLETED else "nocompleted",
            error=error,
            resolution=resolution or None,
        )
