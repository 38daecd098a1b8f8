"""The simulator's fast lane: plain REST requests parsed and answered without aiohttp's request machinery.

A busy simulator spends as much CPU in aiohttp's per-request work (request and response objects, routing,
signals, a task per request) as in the simulated world itself. Most of its traffic is the simplest HTTP there
is: ``POST /ari/channels/{id}/play?media=...`` on a keep-alive connection, no body. :class:`FastConnection`
is the protocol of every accepted connection: it answers such requests itself, through the server's own
decisions (:meth:`arinb.sim.server.SimServer.serve_fast`: the same auth, routing, engine call and
reply/frame order as aiohttp's handler), and writes the reply with the headers aiohttp would write, in the
same order. The first request it does not fully understand (the events WebSocket, ``/ari/api-docs``, a
path outside ``/ari``, HTTP/1.0, a chunked or large body, ``Expect``, a malformed or oversized head, a
non-ASCII byte...) hands the connection, bytes and all, to aiohttp's own protocol for good, so everything
beyond the plain case behaves exactly as before.

Requests of one connection are answered one at a time, in order (a request waiting on its channel's
queue holds the ones pipelined behind it, as aiohttp does).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp.helpers import rfc822_formatted_time

if TYPE_CHECKING:
    from arinb.sim.server import Parts

__all__ = ["MAX_HEAD", "FastConnection", "FastRequest", "encode_reply", "parse_request"]

#: A request head (request line and headers) longer than this goes to aiohttp, which enforces its limits.
MAX_HEAD = 8190
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
# Every header line well formed, in one match: a token name, a colon, a value without control characters.
_HEADERS = re.compile(r"(?:\r\n[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\x00-\x08\x0a-\x1f\x7f]*)*\Z")
_TARGET = re.compile(r"/ari/[\x21-\x7e]*\Z")
_MIME = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+\Z")
#: Statuses whose reply has no body and no Content-Length (aiohttp removes it).
_EMPTY = frozenset({204, 304})


class FastRequest(NamedTuple):
    """One parsed plain request: what the server's decisions read of it."""

    method: str
    raw_path: str  # percent-encoded, as aiohttp's ``rel_url.raw_path``
    raw_query: str
    authorization: str | None
    host: str | None
    content_type: str  # as aiohttp's ``request.content_type``: the bare type, lower case
    body: bytes
    keep_alive: bool


class _HandOver:
    """The marker :func:`parse_request` returns for a request the fast lane leaves to aiohttp."""


HAND_OVER = _HandOver()


def parse_request(
    buf: bytes | bytearray, max_body: int = 1 << 20
) -> tuple[FastRequest, int] | _HandOver | None:
    """The first request in ``buf`` and its length in bytes; None: incomplete; ``HAND_OVER``: not plain.

    A body longer than ``max_body`` is not plain either: aiohttp then answers as it does (413 where the
    server reads the body).

    >>> req, n = parse_request(b"POST /ari/channels/c1/answer?x=1 HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n")
    >>> req.method, req.raw_path, req.raw_query, req.keep_alive, n
    ('POST', '/ari/channels/c1/answer', 'x=1', True, 54)
    >>> parse_request(b"GET /ari/events?app=a HTTP/1.1\\r\\nUpgrade: websocket\\r\\n\\r\\n") is HAND_OVER
    True
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return HAND_OVER if len(buf) > MAX_HEAD else None
    if end > MAX_HEAD:
        return HAND_OVER
    raw_head = bytes(buf[:end])
    if not raw_head.isascii():
        return HAND_OVER
    head = raw_head.decode("ascii")
    line_end = head.find("\r\n")
    if line_end < 0:
        line_end = len(head)
    if not _HEADERS.match(head, line_end):
        return HAND_OVER
    parts = head[:line_end].split(" ")
    if len(parts) != 3 or parts[2] != "HTTP/1.1" or parts[0] not in _METHODS:
        return HAND_OVER
    method, target = parts[0], parts[1]
    if not _TARGET.match(target) or "#" in target:
        return HAND_OVER
    raw_path, _, raw_query = target.partition("?")
    if "%" in raw_path or "//" in raw_path or "/." in raw_path:
        return HAND_OVER  # aiohttp normalizes such paths (and an escape could spell "events")
    if raw_path == "/ari/events" or raw_path.startswith("/ari/api-docs"):
        return HAND_OVER  # the events socket and the docs are aiohttp's
    authorization = host = content_type = None
    length: int | None = None
    keep_alive = True
    for line in head[line_end + 2 :].split("\r\n") if line_end < len(head) else ():
        name, _, value = line.partition(":")
        value = value.strip(" \t")
        lname = name.lower()
        if lname == "content-length":
            if length is not None or not value.isdigit():
                return HAND_OVER
            length = int(value)
        elif lname == "connection":
            token = value.lower()
            if token == "close":
                keep_alive = False
            elif token != "keep-alive":
                return HAND_OVER
        elif lname in ("transfer-encoding", "upgrade", "expect"):
            return HAND_OVER
        elif lname == "authorization":
            if authorization is None:
                authorization = value
        elif lname == "host":
            if host is None:
                host = value
        elif lname == "content-type" and content_type is None:
            content_type = value.split(";", 1)[0].strip().lower()
            if not _MIME.match(content_type):
                return HAND_OVER
    length = length or 0
    if length > max_body:
        return HAND_OVER
    total = end + 4 + length
    if len(buf) < total:
        return None
    body = bytes(buf[end + 4 : total])
    request = FastRequest(
        method,
        raw_path,
        raw_query,
        authorization,
        host,
        content_type or "application/octet-stream",
        body,
        keep_alive,
    )
    return request, total


def encode_reply(parts: Parts, keep_alive: bool, server_header: str) -> bytes:
    """The reply's bytes as aiohttp writes them: the headers, then Content-Length (none for 204/304), Date,
    Server, and ``Connection: close`` when the client asked for it; no body for 204/304.

    >>> from arinb.sim.server import Parts
    >>> encode_reply(Parts(204, "No Content", []), True, "Asterisk/22.10.1").split(b"\\r\\n")[0]
    b'HTTP/1.1 204 No Content'
    """
    status = parts.status
    lines = [f"HTTP/1.1 {status} {parts.reason}"]
    lines.extend(f"{name}: {value}" for name, value in parts.headers)
    payload = parts.payload
    empty = status in _EMPTY or status < 200
    if not empty:
        lines.append(f"Content-Length: {len(payload) if payload else 0}")
    lines.append(f"Date: {rfc822_formatted_time()}")
    lines.append(f"Server: {server_header}")
    if not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return head + payload if payload and not empty else head


class FastConnection(asyncio.Protocol):
    """One accepted connection: plain requests answered here, the rest handed to aiohttp (see the module)."""

    def __init__(
        self,
        serve: Callable[[FastConnection, FastRequest], Awaitable[None] | None],
        fallback: Callable[[], asyncio.Protocol],
        registry: set[FastConnection],
        *,
        server_header: str,
        max_body: int,
    ) -> None:
        self._serve = serve  # answers a request: at once (None), or the returned awaitable finishes it
        self._fallback = fallback  # aiohttp's protocol factory
        self._registry = registry  # the server's open fast connections (closed with it)
        self._server_header = server_header
        self._max_body = max_body
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._delegate: Any = None  # aiohttp's protocol, once handed over
        self._busy = False  # a request is being answered asynchronously
        self._closed = False
        self._write_paused = False
        self._read_paused = False

    # -- asyncio.Protocol ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._registry.add(self)

    def data_received(self, data: bytes) -> None:
        if self._delegate is not None:
            self._delegate.data_received(data)
            return
        self._buffer += data
        if not self._busy:
            self._next()
        elif len(self._buffer) > self._max_body + MAX_HEAD and not self._read_paused:
            # A client pipelining far ahead of a request that waits: stop reading until it is answered.
            self._read_paused = True
            if self._transport is not None:
                self._transport.pause_reading()

    def eof_received(self) -> bool | None:
        if self._delegate is not None:
            return self._delegate.eof_received()  # type: ignore[no-any-return]
        return None  # as aiohttp: the transport closes (a reply still being made is dropped)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._registry.discard(self)
        if self._delegate is not None:
            self._delegate.connection_lost(exc)

    def pause_writing(self) -> None:
        self._write_paused = True
        if self._delegate is not None:
            self._delegate.pause_writing()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._delegate is not None:
            self._delegate.resume_writing()

    # -- the lane ------------------------------------------------------------------------------------
    def _next(self) -> None:
        while not self._busy and self._delegate is None and not self._closed and self._buffer:
            parsed = parse_request(self._buffer, self._max_body)
            if parsed is None:
                return  # wait for the rest
            if isinstance(parsed, _HandOver):
                self._hand_over()
                return
            request, size = parsed
            del self._buffer[:size]
            pending = self._serve(self, request)
            if pending is not None:
                self._busy = True
                asyncio.ensure_future(pending).add_done_callback(self._request_done)

    def _request_done(self, task: asyncio.Future[Any]) -> None:
        self._busy = False
        if self._read_paused:
            self._read_paused = False
            if self._transport is not None and not self._closed:
                self._transport.resume_reading()
        if not task.cancelled() and task.exception() is not None:
            self.close()  # never happens (serve_fast answers 500); if it did, do not leave the client hanging
            return
        self._next()

    def _hand_over(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._registry.discard(self)
        delegate = self._delegate = self._fallback()
        delegate.connection_made(transport)
        if self._write_paused:
            delegate.pause_writing()
        data = bytes(self._buffer)
        self._buffer.clear()
        delegate.data_received(data)

    def write(self, parts: Parts, keep_alive: bool) -> None:
        """Write one reply (dropped if the client is gone); close after it when the client asked to."""
        transport = self._transport
        if transport is None or self._closed or transport.is_closing():
            return
        transport.write(encode_reply(parts, keep_alive, self._server_header))
        if not keep_alive:
            self._closed = True
            transport.close()

    def close(self) -> None:
        """The server closes: the connection goes (a request in flight gets no reply)."""
        self._closed = True
        if self._transport is not None and self._delegate is None:
            self._transport.close()
