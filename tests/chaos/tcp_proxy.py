"""A loopback TCP proxy in front of a real Asterisk, for the faults a test cannot ask Asterisk for.

The client connects to the proxy; every connection is forwarded byte for byte. :meth:`Proxy.drop_events`
cuts the events WebSockets (both sides aborted, no close frame: a lost network); :meth:`Proxy.slow_next`
holds the next chunk a client sends (a REST request, over HTTP or the WebSocket lane) for a while, so
that its reply comes late.

>>> proxy = await Proxy.start("127.0.0.1", 8088)     # doctest: +SKIP
>>> proxy.url                                        # doctest: +SKIP
'http://127.0.0.1:40123'
"""

from __future__ import annotations

import asyncio
import contextlib


class _Pipe:
    """One proxied connection: client side, server side, and whether it is an events WebSocket."""

    def __init__(self, proxy: Proxy, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.events = False  # set when its first request asks for /ari/events

    def abort(self) -> None:
        for writer in (self.client, self.server):
            transport = writer.transport
            if transport is not None:
                transport.abort()


class Proxy:
    """See the module docstring. Binds 127.0.0.1 on a free port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.pipes: set[_Pipe] = set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self._slow: float = 0.0

    @classmethod
    async def start(cls, host: str, port: int) -> Proxy:
        proxy = cls(host, port)
        proxy.server = await asyncio.start_server(proxy._accept, "127.0.0.1", 0)
        proxy.port = proxy.server.sockets[0].getsockname()[1]
        return proxy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def drop_events(self) -> int:
        """Cut every events WebSocket; returns how many were cut."""
        cut = [p for p in self.pipes if p.events]
        for pipe in cut:
            pipe.abort()
        return len(cut)

    def slow_next(self, seconds: float) -> None:
        """Hold the next chunk any client sends for ``seconds``."""
        self._slow = seconds

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for pipe in list(self.pipes):
            pipe.abort()
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()  # the server is down (restarting): refuse like it would
            return
        pipe = _Pipe(self, writer, up_writer)
        self.pipes.add(pipe)
        try:
            await asyncio.gather(
                self._copy(pipe, reader, up_writer, True), self._copy(pipe, up_reader, writer, False)
            )
        finally:
            self.pipes.discard(pipe)
            pipe.abort()

    async def _copy(
        self, pipe: _Pipe, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: bool
    ) -> None:
        first = True
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if upstream:
                    if first and b"/ari/events" in data.split(b"\r\n", 1)[0]:
                        pipe.events = True
                    if self._slow > 0:
                        delay, self._slow = self._slow, 0.0
                        await asyncio.sleep(delay)
                first = False
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.write_eof()
