"""A small HTTP proxy on loopback that sends the two copies of each callback to two hosts.

The sandbox delivers each callback twice at once, as JSON and as a form, over pooled
keep-alive connections. This proxy reads each request and forwards it, on a fresh
connection, to the next host in turn **per content type**: JSON copies go to hosts
0, 1, 0, ... and form copies to 1, 0, 1, ..., so the two copies of the n-th callback
always land on different hosts. Answers travel back unchanged. Like a load balancer's
health check, a host that refuses connections (dead, restarting) is skipped for the next.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Optional


class SplittingProxy:
    """Run in a thread with :meth:`start`; ``url`` is where to send callbacks."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self._turns = {
            "json": itertools.cycle(range(len(backends))),
            "form": itertools.cycle([*range(1, len(backends)), 0]),
        }
        self._loop = asyncio.new_event_loop()
        self._server: Optional[asyncio.base_events.Server] = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0
        self.forwarded = [0] * len(backends)
        self._writers: set[asyncio.StreamWriter] = set()

    def set_backend(self, index: int, address: tuple[str, int]) -> None:
        """Point host ``index`` at a new address (a restarted process)."""
        self.backends[index] = address

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(10)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                kind = "form"
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                    if name.strip().lower() == b"content-type" and b"json" in value.lower():
                        kind = "json"
                body = await reader.readexactly(length)
                index = next(self._turns[kind])
                self.forwarded[index] += 1
                answer = await self._forward(index, head, body)
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            # stop() cancels the connections; ending quietly keeps Python 3.11's
            # StreamReaderProtocol from printing a CancelledError traceback per connection.
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _forward(self, index: int, head: bytes, body: bytes) -> bytes:
        for attempt in range(len(self.backends)):
            host, port = self.backends[(index + attempt) % len(self.backends)]
            try:
                reader, writer = await asyncio.open_connection(host, port)
                break
            except OSError:
                continue
        else:
            return b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        lines = [
            line
            for line in head.split(b"\r\n")
            if not line.lower().startswith(b"connection:") and line
        ]
        writer.write(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        try:
            answer = await reader.read(-1)
        except ConnectionError:
            answer = b""
        finally:
            writer.close()
        if not answer:  # the host died mid-request
            return b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        # Keep the sandbox's connection usable: drop the host's "Connection: close".
        head_end = answer.find(b"\r\n\r\n")
        if head_end < 0:
            return b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        kept = [
            line
            for line in answer[:head_end].split(b"\r\n")
            if not line.lower().startswith((b"connection:", b"content-length:"))
        ]
        # The host framed its answer by closing; frame it by its length instead.
        body = answer[head_end + 4 :]
        kept.append(b"Content-Length: %d" % len(body))
        return b"\r\n".join(kept) + b"\r\n\r\n" + body
