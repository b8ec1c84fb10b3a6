"""Delivery of settlement callbacks: two concurrent POSTs per event, retried, logged.

LigdiCash posts every event twice, once form-encoded (nested keys flattened as
``custom_data[transaction_id]``) and once as JSON, and the two can arrive at the same time.
The dispatcher reproduces that on a thread pool so request handlers never wait for delivery.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from ._record import CallbackAttempt
from ._store import Store
from ._tokens import now_text

logger = logging.getLogger("ligdicash.sandbox")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def flatten(value: Any, prefix: str) -> list[tuple[str, str]]:
    """PHP-style form pairs for a nested value: ``{"a": {"b": 1}}`` -> ``a[b]=1``."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs.extend(flatten(item, f"{prefix}[{key}]" if prefix else str(key)))
        return pairs
    if isinstance(value, (list, tuple)):
        pairs = []
        for index, item in enumerate(value):
            pairs.extend(flatten(item, f"{prefix}[{index}]"))
        return pairs
    if value is None:
        return [(prefix, "")]
    if isinstance(value, bool):
        return [(prefix, "1" if value else "0")]
    return [(prefix, str(value))]


@dataclass(frozen=True)
class CallbackEvent:
    """One settlement to announce: where, with which token, which fields, after what delay."""

    tx_token: str
    callback_token: str
    url: str
    json_fields: dict[str, Any]
    form_fields: dict[str, Any]
    delay: float = 0.0


class CallbackDispatcher:
    """Sends callback events in the background and writes every attempt to the store's log."""

    def __init__(self, store: Store, *, attempts: int, backoff: float, timeout: float) -> None:
        self._store = store
        self._attempts = attempts
        self._backoff = backoff
        self._stop = threading.Event()
        self._generation = 0
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sandbox-callback")
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": "LigdiCash-Sandbox"},
        )

    def dispatch(self, event: CallbackEvent) -> None:
        """Start both deliveries of ``event`` at once; returns immediately."""
        if self._stop.is_set() or not event.url:
            return
        generation = self._generation
        bodies = (
            (FORM, urlencode(flatten(event.form_fields, ""))),
            (JSON, json.dumps(event.json_fields, ensure_ascii=False)),
        )
        for content_type, body in bodies:
            self._pool.submit(self._deliver, event, content_type, body, generation)

    def forget_pending(self) -> None:
        """Drop deliveries still waiting (used on reset): they will neither send nor log."""
        self._generation += 1

    def close(self) -> None:
        """Stop delivering: waiting retries are abandoned, a request in flight may finish."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def _live(self, generation: int) -> bool:
        return not self._stop.is_set() and generation == self._generation

    def _deliver(self, event: CallbackEvent, content_type: str, body: str, generation: int) -> None:
        if event.delay > 0 and self._stop.wait(event.delay):
            return
        for attempt in range(1, self._attempts + 1):
            if not self._live(generation):
                return
            status: int | None = None
            error: str | None = None
            try:
                response = self._client.post(
                    event.url, content=body.encode("utf-8"), headers={"content-type": content_type}
                )
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except Exception as exc:  # any failure of the receiver is part of the log
                error = f"{type(exc).__name__}: {exc}"
            if not self._live(generation):
                return
            self._log(event, content_type, body, attempt, status, error)
            if error is None:
                return
            if attempt < self._attempts and self._stop.wait(self._backoff * 2 ** (attempt - 1)):
                return
        logger.info("callback to %s failed after %d attempts", event.url, self._attempts)

    def _log(
        self,
        event: CallbackEvent,
        content_type: str,
        body: str,
        attempt: int,
        status: int | None,
        error: str | None,
    ) -> None:
        try:
            self._store.log_callback(
                CallbackAttempt(
                    tx_token=event.tx_token,
                    callback_token=event.callback_token,
                    url=event.url,
                    content_type=content_type,
                    body=body,
                    attempt=attempt,
                    response_status=status,
                    error=error,
                    delivered=error is None,
                    at=now_text(),
                )
            )
        except Exception:  # the store may be closing while the sandbox stops
            logger.debug("could not log a callback attempt", exc_info=True)
