"""``ShardedTransport``: the ``AsyncClient``'s default connection pool, several small httpcore
pools behind one httpx transport (the measurements are in its docstring)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Callable, Optional

import httpx

__all__ = ["PER_SHARD", "SHARDS", "ShardedTransport"]


#: The default pool: up to SHARDS x PER_SHARD connections (httpx's default total of 100),
#: every one of them kept alive.
SHARDS = 10
PER_SHARD = 10


class _CountedStream(httpx.AsyncByteStream):
    """A response body that tells its shard when it is closed (the connection is free)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Optional[Callable[[], None]] = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small ``httpx.AsyncHTTPTransport`` pools behind one transport.

    Why: httpcore's async pool rescans every connection it holds on each request and each
    response (is it idle? expired? readable? -- a ``poll()`` syscall per idle connection,
    and an O(n^2) count of idle connections), and it closes any connection that falls idle
    while more than ``max_keepalive_connections`` exist. At 50 concurrent calls that is
    either a new TCP connection per request (default limits: ~28x in benchmark (b)) or a
    CPU-bound scan (all 50 kept alive: ~7x). Here each request goes to the least busy of
    ``shards`` pools of ``per_shard`` connections, so every scan stays short and every
    connection is reused (~43x). Sequential use stays on the first pool: one connection.
    The shards share one SSL context and are built on first use.

    Raises whatever the underlying ``httpx.AsyncHTTPTransport`` raises (httpx errors).
    """

    def __init__(self, *, shards: int = SHARDS, per_shard: int = PER_SHARD) -> None:
        if shards < 1 or per_shard < 1:
            raise ValueError("shards and per_shard must be >= 1")
        self._limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self._shards: list[Optional[httpx.AsyncHTTPTransport]] = [None] * shards
        self._load = [0] * shards
        self._ssl_context: Any = None

    def _shard(self, index: int) -> httpx.AsyncHTTPTransport:
        shard = self._shards[index]
        if shard is None:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            shard = httpx.AsyncHTTPTransport(verify=self._ssl_context, limits=self._limits)
            self._shards[index] = shard
        return shard

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        load = self._load
        index = load.index(min(load))
        load[index] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                load[index] -= 1

        try:
            response = await self._shard(index).handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, release)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            if shard is not None:
                await shard.aclose()
