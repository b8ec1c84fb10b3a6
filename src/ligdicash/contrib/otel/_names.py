"""Every span, attribute, event and metric name ``ligdicash.contrib.otel`` records, declared once.

``docs/observability.md`` explains each; ``tests/otel`` checks what is exported against
these names. The HTTP status and the error type use OpenTelemetry's semantic-convention
names, so dashboards that know them read ours too.
"""

from __future__ import annotations

#: The instrumentation scope (tracer and meter name).
SCOPE = "ligdicash"

# -- spans ---------------------------------------------------------------------------------
#: One SDK operation (``ligdicash hosted_payin``, ``ligdicash payin_status``, ...).
SPAN_API_CALL = "ligdicash {operation}"
#: One callback processed (or one poll, or one inbox entry).
SPAN_CALLBACK = "ligdicash callback"
#: One attempt at one payout item of a batch.
SPAN_PAYOUT = "ligdicash payout_item"
#: An event per HTTP attempt of an API call.
EVENT_ATTEMPT = "ligdicash.attempt"

# -- attributes ----------------------------------------------------------------------------
OPERATION = "ligdicash.operation"
PLATFORM = "ligdicash.platform"
OUTCOME = "ligdicash.outcome"
ATTEMPTS = "ligdicash.attempts"
ATTEMPT = "ligdicash.attempt"
MAY_HAVE_BEEN_SENT = "ligdicash.may_have_been_sent"
ERROR_CODE = "ligdicash.error.code"
REASON = "ligdicash.reason"
CALLBACK_SOURCE = "ligdicash.callback.source"
BATCH_ID = "ligdicash.payout.batch_id"
ITEM_ID = "ligdicash.payout.item_id"
PAYOUT_TYPE = "ligdicash.payout.type"
PAYOUT_STATE = "ligdicash.payout.state"
STORE = "ligdicash.store"
HTTP_STATUS = "http.response.status_code"
ERROR_TYPE = "error.type"

# -- metrics -------------------------------------------------------------------------------
METRIC_CALLS = "ligdicash.api.calls"
METRIC_STATUS_DURATION = "ligdicash.status_call.duration"
METRIC_CALLBACKS = "ligdicash.callbacks"
METRIC_PAYOUT_TRANSITIONS = "ligdicash.payout.transitions"
METRIC_INBOX_BACKLOG = "ligdicash.inbox.backlog"
METRIC_INBOX_OLDEST_AGE = "ligdicash.inbox.oldest_age"
