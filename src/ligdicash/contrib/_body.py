"""Reading a callback body without ever holding more than the limit.

A real callback is a few kilobytes; ``parse_callback`` refuses anything over
``MAX_BODY_BYTES`` (256 KiB). The endpoints must refuse it *before* reading it all, or a
400 MiB POST costs the worker 400 MiB: first on the declared ``Content-Length``, then while
streaming a body that declares none (chunked), reading at most the limit plus one byte.
The framework adapters share these helpers; only the line that reads differs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable
from typing import Callable, Optional

from .._callbacks import MAX_BODY_BYTES

__all__ = ["MAX_BODY_BYTES", "BodyReader", "aread_limited", "declared_too_large", "read_limited"]

logger = logging.getLogger("ligdicash.callbacks")

#: How much is asked of a stream at a time.
_CHUNK = 64 * 1024


def declared_too_large(content_length: Optional[str], limit: int = MAX_BODY_BYTES) -> bool:
    """True when a ``Content-Length`` header announces more than ``limit`` bytes.

    A missing or unreadable header is not "too large": the server frames such a request
    (chunked, or refused by the server itself), and the streaming check still applies.
    """
    if not content_length:
        return False
    try:
        too_large = int(content_length.strip()) > limit
    except ValueError:
        return False
    if too_large:
        logger.warning(
            "callback refused: Content-Length %s is over %d bytes (413, not read)",
            content_length.strip()[:20],
            limit,
        )
    return too_large


class BodyReader:
    """Collects chunks until the end or until they exceed ``limit`` (then :attr:`too_large`)."""

    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        self.limit = limit
        self.too_large = False
        self._parts: list[bytes] = []
        self._size = 0

    @property
    def wanted(self) -> int:
        """How many bytes to ask for next: never more than one past the limit."""
        return max(1, min(_CHUNK, self.limit + 1 - self._size))

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the body is over the limit (stop reading then)."""
        self._size += len(chunk)
        if self._size > self.limit:
            self.too_large = True
            self._parts.clear()
            logger.warning(
                "callback refused: the body is larger than %d bytes (413, not read further)",
                self.limit,
            )
            return False
        self._parts.append(chunk)
        return True

    def body(self) -> bytes:
        """The bytes collected so far."""
        return b"".join(self._parts)


def read_limited(read: Callable[[int], bytes], limit: int = MAX_BODY_BYTES) -> Optional[bytes]:
    """The body from a file-like ``read(n)``, or ``None`` once it exceeds ``limit``."""
    reader = BodyReader(limit)
    while True:
        chunk = read(reader.wanted)
        if not chunk:
            return reader.body()
        if not reader.add(chunk):
            return None


async def aread_limited(
    chunks: AsyncIterable[bytes], limit: int = MAX_BODY_BYTES
) -> Optional[bytes]:
    """The body from an async iterator of chunks, or ``None`` once it exceeds ``limit``."""
    reader = BodyReader(limit)
    async for chunk in chunks:
        if not reader.add(chunk):
            return None
    return reader.body()
