"""Recording the payments a client creates in a store's payment registry, before sending.

A client given ``store=`` hands each creation (hosted or direct payin, client or merchant
payout) to a :class:`PaymentRecorder`, which decides everything here without I/O of its
own beyond the store calls, so the sync client calls it directly and the async client in a
worker thread:

1. :meth:`PaymentRecorder.begin` before the request leaves: the reference is the creation's
   ``custom_data["transaction_id"]`` (required: a creation without one is refused, never
   given a reference the user did not choose), a reference already recorded is refused
   (one record per payment attempt), and the payment is recorded ``pending``. A store
   failure raises :class:`~ligdicash.StoreUnavailableError` and nothing is sent.
2. :meth:`PaymentRecorder.succeeded` stores the creation token once the answer arrived.
3. :meth:`PaymentRecorder.failed` marks a creation that surely never landed ``not_sent``,
   one LigdiCash refused ``refused``, and one that may have landed without an answer
   ``in_doubt`` (the reconciler cannot poll it without a token: an operator looks).

:func:`registry_lookup` turns the registry into the ``lookup`` a
:class:`~ligdicash.contrib.CallbackProcessor` takes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._exceptions import InvalidRequestError, LigdicashError, RequestRefusedError
from ._models import PaymentResponse
from ._operations import RequestSpec

if TYPE_CHECKING:
    from ._callbacks import Callback
    from ._stores import Store
    from ._stores._types import PaymentKind
    from ._types import ExpectedTransaction

__all__ = [
    "IN_DOUBT",
    "NOT_SENT",
    "REFUSED",
    "PaymentRecorder",
    "StoreLike",
    "open_registry",
    "registry_lookup",
]

logger = logging.getLogger("ligdicash.registry")

#: The creation may have reached LigdiCash but its answer (and token) was lost.
IN_DOUBT = "in_doubt"
#: The creation surely never reached LigdiCash (nothing was written to the network).
NOT_SENT = "not_sent"
#: LigdiCash answered with a refusal: nothing was created.
REFUSED = "refused"

StoreLike = Union["Store", str]


def open_registry(store: Optional[StoreLike]) -> tuple[Optional[Store], bool]:
    """The store a client records into, and whether the client opened it (and closes it).

    Raises:
        ConfigurationError: a malformed store URL, or an object that is not a ``Store``.
    """
    from ._exceptions import ConfigurationError
    from ._stores import Store, open_store

    if store is None:
        return None, False
    if isinstance(store, str):
        return open_store(store), True
    if not isinstance(store, Store):
        raise ConfigurationError(
            "store must be a ligdicash Store (from ligdicash.open_store) or a store URL"
        )
    return store, False


@dataclass(frozen=True)
class PendingPayment:
    """A payment recorded before its creation request is sent."""

    reference: str
    kind: PaymentKind
    amount: int


def payment_of(spec: RequestSpec[Any]) -> Optional[PendingPayment]:
    """What to record for ``spec``: ``None`` for a status read, else the payment.

    Raises:
        InvalidRequestError: the creation has no ``custom_data["transaction_id"]`` string.
    """
    operation = spec.operation
    if operation.idempotent or spec.body is None:
        return None
    command = spec.body["commande"]
    reference = command.get("custom_data", {}).get("transaction_id")
    if not isinstance(reference, str) or not reference.strip():
        raise InvalidRequestError(
            "a client with a store records every payment under its "
            'custom_data["transaction_id"]: give this payment one (a string)'
        )
    if operation.family == "payin":
        return PendingPayment(reference, "payin", int(command["invoice"]["total_amount"]))
    kind: PaymentKind = (
        "client_payout" if operation.family == "client_payout" else ("merchant_payout")
    )
    return PendingPayment(reference, kind, int(command["amount"]))


class PaymentRecorder:
    """Records one client's creations in ``store`` (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, spec: RequestSpec[Any]) -> Optional[PendingPayment]:
        """Record the payment ``spec`` creates, before it is sent; ``None`` for a status read.

        Raises:
            InvalidRequestError: no ``transaction_id``, or one already recorded.
            StoreUnavailableError: the store cannot be reached; do not send.
        """
        payment = payment_of(spec)
        if payment is None:
            return None
        existing = self.store.get_payment(payment.reference)
        if existing is not None:
            # One record per attempt: a second creation under the same reference would be
            # invisible to the reconciler (and may be a retry of a payment that landed).
            raise InvalidRequestError(
                f"transaction_id {payment.reference!r} is already recorded in the store "
                f"(status {existing.status!r}): use a new transaction_id for each payment "
                "attempt"
            )
        self.store.record_payment(payment.reference, kind=payment.kind, amount=payment.amount)
        return payment

    def succeeded(self, payment: Optional[PendingPayment], result: object) -> None:
        """Keep the creation token. A store failure now is logged, not raised: the payment
        exists, and the caller must get its token (the record stays token-less, and the
        reconciler marks it ``in_doubt`` for an operator)."""
        if payment is None or not isinstance(result, PaymentResponse):
            return
        try:
            self.store.set_payment_token(payment.reference, result.token)
        except LigdicashError as exc:
            logger.error(
                "payment %r was created but its token could not be recorded (%s)",
                payment.reference,
                exc.message,
            )

    def failed(self, payment: Optional[PendingPayment], exc: BaseException) -> None:
        """Mark a creation that raised; the exception itself is the caller's to re-raise."""
        if payment is None:
            return
        if isinstance(exc, RequestRefusedError):
            status, note = REFUSED, f"{type(exc).__name__} ({exc.code})"
        elif isinstance(exc, LigdicashError) and not exc.request_may_have_been_sent:
            status, note = NOT_SENT, exc.code
        else:
            status = IN_DOUBT
            note = exc.code if isinstance(exc, LigdicashError) else type(exc).__name__
        try:
            self.store.set_payment_status(payment.reference, status, note=note)
        except LigdicashError as store_exc:  # the reconciler still finds it token-less
            logger.error(
                "payment %r failed (%s) and could not be marked %s (%s)",
                payment.reference,
                note,
                status,
                store_exc.message,
            )


def registry_lookup(store: Store) -> Callable[[Callback], Optional[ExpectedTransaction]]:
    """A ``lookup`` for :class:`~ligdicash.contrib.CallbackProcessor` read from the registry.

    It finds the payment by the callback's ``order_id`` (your ``transaction_id``) and
    returns its token, amount, reference and type; ``None`` (refused as unknown) when the
    reference was never recorded or its token never arrived.

    Example::

        store = ligdicash.open_store("postgresql://shop@db/shop")
        client = ligdicash.Client(api_key=..., auth_token=..., store=store)
        processor = CallbackProcessor(lookup=ligdicash.registry_lookup(store),
                                      handler=deliver, client=client, store=store)

    Raises (from the lookup):
        StoreUnavailableError: the store cannot be reached (the processor reports
            ``failed``; a later copy or the reconciler retries).
    """
    from ._types import ExpectedTransaction

    def lookup(callback: Callback) -> Optional[ExpectedTransaction]:
        reference = callback.order_id
        if not reference:
            return None
        payment = store.get_payment(reference)
        if payment is None or not payment.token:
            return None
        return ExpectedTransaction(
            token=payment.token,
            amount=payment.amount,
            transaction_id=payment.reference,
            type=payment.kind,
        )

    return lookup
