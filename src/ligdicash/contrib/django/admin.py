"""The Django admin pages of the store's tables: tracked payments, the callback inbox and
the idempotency claims (Django finds this module through ``INSTALLED_APPS``).

Everything is read-only: only the SDK writes these rows (no add, no edit, no delete; the
``view`` permission lets people look). Two actions change something, each behind its own
permission, each written to Django's ``LogEntry`` (the object's history), each refusing
what the state machine forbids:

- "Reconcile now" (``ligdicash.reconcile_trackedpayment``) on pending payments: they
  become due now (``next_poll_at`` = now), so the reconciler's next round polls them; a
  settled payment is refused.
- "Retry" (``ligdicash.retry_inboxmessage``) on inbox entries that gave up (``done`` with
  an outcome ``gave_up:...``: the processor stopped after its attempts) or that wait for
  the sweeper (``pending``, or ``processing`` under a lapsed lease). A given-up entry goes
  back to ``pending`` (its attempts are kept: a retry is one more attempt); then, when the
  callback view is configured in this process (``LIGDICASH_CALLBACK_LOOKUP``), the entries
  are handed to its processor at once, otherwise the sweeper takes them within its
  interval. An entry handled (or refused for good) is never retried.

Pages in English and French (Django's ``LANGUAGE_CODE`` / ``LocaleMiddleware``); the
catalog is ``locale/fr/LC_MESSAGES/django.po`` beside this file.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, Optional, TypeVar

from django.conf import settings  # type: ignore[import-untyped,unused-ignore]
from django.contrib import admin, messages  # type: ignore[import-untyped,unused-ignore]
from django.http import HttpRequest  # type: ignore[import-untyped,unused-ignore]
from django.utils import translation  # type: ignore[import-untyped,unused-ignore]
from django.utils.html import format_html  # type: ignore[import-untyped,unused-ignore]

from ._admin_display import (
    callback_body,
    format_amount,
    format_epoch,
    mask_token,
    retry_refusal,
)
from ._admin_filters import ClaimState, InboxState, PaymentKind, PaymentStatus
from .models import IdempotencyKey, InboxMessage, TrackedPayment

_ = translation.gettext_lazy
gettext = translation.gettext
ngettext = translation.ngettext

__all__ = ["IdempotencyKeyAdmin", "InboxMessageAdmin", "TrackedPaymentAdmin"]

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _display(**options: Any) -> Callable[[_Method], _Method]:
    """``admin.display``, typed (Django ships no types: the methods keep theirs)."""
    return admin.display(**options)  # type: ignore[no-any-return]


def _action(**options: Any) -> Callable[[_Method], _Method]:
    """``admin.action``, typed."""
    return admin.action(**options)  # type: ignore[no-any-return]


class _ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[misc,unused-ignore]
    """No add, no edit, no delete: the SDK owns these rows (``view`` is enough to look).

    ``show_full_result_count`` is off: on a large table it is a second ``COUNT(*)`` per
    page, and the paginator's count already says how many rows the filter matched.
    """

    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def _has_own_permission(self, request: HttpRequest, codename: str) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.{codename}"))


@admin.register(TrackedPayment)
class TrackedPaymentAdmin(_ReadOnlyAdmin):
    """The payments the client created, polled by the reconciler until they settle."""

    list_display = (
        "reference",
        "kind",
        "amount_display",
        "status",
        "token_display",
        "updated_display",
        "next_poll_display",
        "poll_attempts",
        "note",
    )
    list_filter = (PaymentStatus, PaymentKind)
    search_fields = ("reference",)
    search_help_text = _("A reference, or its beginning.")
    ordering = ("-created_at",)
    fields = (
        "reference",
        "kind",
        "amount_display",
        "status",
        "token_display",
        "created_display",
        "updated_display",
        "next_poll_display",
        "poll_attempts",
        "lease_display",
        "note",
    )
    actions = ("reconcile_now",)

    @_display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: TrackedPayment) -> str:
        return format_amount(obj.amount)

    @_display(description=_("token (masked)"))
    def token_display(self, obj: TrackedPayment) -> str:
        return mask_token(obj.token)

    @_display(description=_("created"), ordering="created_at")
    def created_display(self, obj: TrackedPayment) -> str:
        return format_epoch(obj.created_at)

    @_display(description=_("last polled or updated"), ordering="updated_at")
    def updated_display(self, obj: TrackedPayment) -> str:
        return format_epoch(obj.updated_at)

    @_display(description=_("next poll"), ordering="next_poll_at")
    def next_poll_display(self, obj: TrackedPayment) -> str:
        if obj.status != "pending":
            return "—"
        return format_epoch(obj.next_poll_at)

    @_display(description=_("poller's lease until"))
    def lease_display(self, obj: TrackedPayment) -> str:
        return format_epoch(obj.lease_until)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # A prefix of the primary key (LIKE 'term%'): PostgreSQL answers it from the key's
        # varchar_pattern_ops index, where Django's default (icontains) reads every row.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(reference__startswith=term), False

    def has_reconcile_permission(self, request: HttpRequest) -> bool:
        return self._has_own_permission(request, "reconcile_trackedpayment")

    @_action(
        description=_("Reconcile now: poll the selected pending payments at the next round"),
        permissions=("reconcile",),
    )
    def reconcile_now(self, request: HttpRequest, queryset: Any) -> None:
        now = time.time()
        made_due = 0
        for payment in queryset.only("reference", "status"):
            # Conditional: a payment that settled since the page was read stays settled.
            updated = payment.status == "pending" and (
                TrackedPayment.objects.filter(reference=payment.reference, status="pending").update(
                    next_poll_at=now
                )
            )
            if not updated:
                status = (
                    TrackedPayment.objects.filter(reference=payment.reference)
                    .values_list("status", flat=True)
                    .first()
                )
                self.message_user(
                    request,
                    gettext("Payment %(reference)s is settled (%(status)s): nothing to reconcile")
                    % {"reference": payment.reference, "status": status or payment.status},
                    messages.WARNING,
                )
                continue
            made_due += 1
            self.log_change(request, payment, gettext("Reconcile now: due for the next round"))
        if made_due:
            self.message_user(
                request,
                ngettext(
                    "%(count)d payment is due now: the reconciler polls it at its next round",
                    "%(count)d payments are due now: the reconciler polls them at its next round",
                    made_due,
                )
                % {"count": made_due},
                messages.SUCCESS,
            )


@admin.register(InboxMessage)
class InboxMessageAdmin(_ReadOnlyAdmin):
    """The callbacks received and kept before answering 200, until processed."""

    list_display = (
        "digest",
        "received_display",
        "state",
        "attempts",
        "deliveries",
        "lease_display",
        "outcome",
    )
    list_filter = (InboxState,)
    search_fields = ("digest",)
    search_help_text = _("A digest, or its beginning.")
    ordering = ("-received_at",)
    fields = (
        "digest",
        "received_display",
        "state",
        "attempts",
        "deliveries",
        "owner",
        "lease_display",
        "outcome",
        "updated_display",
        "content_type",
        "body_display",
    )
    actions = ("retry",)

    @_display(description=_("received"), ordering="received_at")
    def received_display(self, obj: InboxMessage) -> str:
        return format_epoch(obj.received_at)

    @_display(description=_("lease until"))
    def lease_display(self, obj: InboxMessage) -> str:
        return format_epoch(obj.lease_until)

    @_display(description=_("updated"), ordering="updated_at")
    def updated_display(self, obj: InboxMessage) -> str:
        return format_epoch(obj.updated_at)

    @_display(description=_("body (number, hash and token masked)"))
    def body_display(self, obj: InboxMessage) -> str:
        # <pre> keeps the JSON's indentation; format_html escapes the body's text.
        return str(format_html("<pre>{}</pre>", callback_body(bytes(obj.body), obj.content_type)))

    def get_queryset(self, request: HttpRequest) -> Any:
        # The list never reads the bodies (up to 256 KiB each); the detail page does.
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and str(match.url_name or "").endswith("_changelist"):
            return queryset.defer("body")
        return queryset

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.filter(digest__startswith=term), False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self._has_own_permission(request, "retry_inboxmessage")

    @_action(
        description=_("Retry: process the selected callbacks that gave up or wait again"),
        permissions=("retry",),
    )
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        now = time.time()
        retried: list[str] = []
        for entry in queryset.only("digest", "state", "outcome", "lease_until"):
            refusal = retry_refusal(entry.state, entry.outcome, entry.lease_until, now)
            if refusal is not None:
                self.message_user(
                    request,
                    gettext("Callback %(digest)s not retried: %(why)s")
                    % {"digest": entry.digest[:12], "why": refusal},
                    messages.WARNING,
                )
                continue
            if entry.state == "done":
                # Conditional on what was read: when another operator's retry won meanwhile,
                # the entry is already back in the queue and this one writes and logs nothing.
                reopened = InboxMessage.objects.filter(
                    digest=entry.digest, state="done", outcome=entry.outcome
                ).update(state="pending", owner="", lease_until=0.0, updated_at=now)
                if not reopened:
                    continue
            retried.append(entry.digest)
            self.log_change(
                request,
                entry,
                gettext("Retry: back to the processor (was %(outcome)s)")
                % {"outcome": entry.outcome or entry.state},
            )
        if not retried:
            return
        now_or_later = _hand_to_processor(retried)
        self.message_user(
            request,
            (
                ngettext(
                    "%(count)d callback handed to the processor now",
                    "%(count)d callbacks handed to the processor now",
                    len(retried),
                )
                if now_or_later
                else ngettext(
                    "%(count)d callback waits for the sweeper (within its interval)",
                    "%(count)d callbacks wait for the sweeper (within its interval)",
                    len(retried),
                )
            )
            % {"count": len(retried)},
            messages.SUCCESS,
        )


def _hand_to_processor(digests: list[str]) -> bool:
    """Hand ``digests`` to the callback view's processor in its background threads; False
    when this process has none configured (the sweeper, wherever it runs, takes them).

    Each entry is leased by ``inbox_claim`` before it is worked on, so an entry the sweeper
    takes meanwhile is processed once, by whichever leased it.
    """
    if getattr(settings, "LIGDICASH_CALLBACK_LOOKUP", None) is None:
        return False
    from . import _get_runner, _process_inbox, get_processor

    try:
        processor = get_processor()
        runner = _get_runner()
    except Exception:  # a misconfiguration is the callback view's to report
        return False
    if processor.inbox is None:
        return False
    for digest in digests:
        runner.submit(functools.partial(_process_inbox, processor, digest))
    return True


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(_ReadOnlyAdmin):
    """The claims that keep each event handled once (read-only, no actions)."""

    list_display = ("key", "state", "attempts", "lease_display", "updated_display", "note")
    list_filter = (ClaimState,)
    search_fields = ("key",)
    search_help_text = _("A key, or its beginning.")
    ordering = ("-updated_at",)
    fields = ("key", "state", "owner", "attempts", "lease_display", "updated_display", "note")
    actions: Optional[tuple[str, ...]] = None

    @_display(description=_("lease until"))
    def lease_display(self, obj: IdempotencyKey) -> str:
        return format_epoch(obj.lease_until)

    @_display(description=_("updated"), ordering="updated_at")
    def updated_display(self, obj: IdempotencyKey) -> str:
        return format_epoch(obj.updated_at)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(key__startswith=term), False
