"""externalMedia's media WebSocket (``transport=websocket``, ``connection_type=server``): the network side.

Asterisk 22 serves it at ``/media/<connection id>`` (outside ``/ari``, no authentication, subprotocol
``media`` or none). An unknown id gets HTTP 404 "Not found" and a second connection to an id already in
use gets 409 "Conflict", both as Asterisk's small HTML page (shared/ari/ASTERISK22.md). Once connected, the
socket-free :class:`arinb.sim.extmedia.ExternalMedia` feature drives it through a :class:`MediaSink`: text
messages (``MEDIA_START``, ``STATUS``, ``DTMF_END``...) and 20 ms binary frames go out in order, one writer
task per socket.

>>> app = web.Application()
>>> install(app, lambda: None)          # before any catch-all route   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import WSMsgType, web

__all__ = ["MEDIA_PATH", "MediaEndpoint", "WebSocketSink", "error_page", "install"]

log = logging.getLogger("arinb.sim")

#: The route Asterisk's chan_websocket registers on its HTTP server.
MEDIA_PATH = "/media/{connection_id}"
_SERVER = "Asterisk/22.10.1"


class MediaEndpoint(Protocol):
    """What the route needs from the engine's external media feature."""

    def check_connect(self, connection_id: str) -> int:
        """200 if a socket may attach now, else Asterisk's HTTP status (404 unknown, 409 in use)."""
        ...

    def attach(self, connection_id: str, sink: WebSocketSink) -> Any:
        """Attach a connected socket; returns the session that receives the client's messages."""
        ...


def error_page(status: int) -> web.Response:
    """Asterisk's HTML error page for a refused media WebSocket handshake (404 or 409)."""
    title, text = {
        404: ("Not found", "WebSocket instance not found"),
        409: ("Conflict", "Another websocket connection exists for this connection id"),
    }.get(status, ("Bad Request", "Bad request"))
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n'
        f"<html><head>\r\n<title>{status} {title}</title>\r\n</head><body>\r\n<h1>{title}</h1>\r\n"
        f"<p>{text}</p>\r\n<hr />\r\n<address>{_SERVER}</address>\r\n</body></html>\r\n"
    )
    response = web.Response(status=status, reason=title, body=body.encode())
    response.headers["Content-Type"] = "text/html"
    return response


class WebSocketSink:
    """One media socket's outgoing side: text, binary frames and the close, written in order by one task."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.closing: int | None = None

    def send_text(self, text: str) -> None:
        """Queue a text message (never blocks)."""
        if self.closing is None:
            self.queue.put_nowait(("text", text))

    def send_bytes(self, data: bytes) -> None:
        """Queue a binary frame (never blocks)."""
        if self.closing is None:
            self.queue.put_nowait(("bytes", data))

    def close(self, code: int) -> None:
        """Close the socket with ``code`` once what is queued is written."""
        if self.closing is None:
            self.closing = code
            self.queue.put_nowait(("close", code))

    async def run(self) -> None:
        while True:
            kind, value = await self.queue.get()
            try:
                if kind == "close":
                    await self.ws.close(code=value)
                    return
                if self.ws.closed:
                    continue
                if kind == "text":
                    await self.ws.send_str(value)
                else:
                    await self.ws.send_bytes(value)
            except (ConnectionResetError, RuntimeError):
                pass  # the client is gone; the reader side ends the session


def install(app: web.Application, endpoint: Callable[[], MediaEndpoint | None]) -> None:
    """Add the ``/media/{connection_id}`` route to ``app`` (call it before any catch-all route).

    ``endpoint()`` gives the engine's external media feature (None: every id is unknown).
    """

    open_sockets: set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.StreamResponse:
        return await _media_socket(request, endpoint(), open_sockets)

    async def close_all(_app: web.Application) -> None:
        # The server shuts down: close the media sockets at once (1001), as the events sockets are.
        await asyncio.gather(
            *(ws.close(code=1001, message=b"Server shutdown") for ws in list(open_sockets)),
            return_exceptions=True,
        )

    app.router.add_get(MEDIA_PATH, handler)
    app.on_shutdown.append(close_all)


async def _media_socket(
    request: web.Request, endpoint: MediaEndpoint | None, open_sockets: set[web.WebSocketResponse]
) -> web.StreamResponse:
    connection_id = request.match_info["connection_id"]
    status = endpoint.check_connect(connection_id) if endpoint is not None else 404
    if status != 200 or endpoint is None:
        return error_page(status)
    # autoclose off: a client's close is answered with 1001 (going away), as chan_websocket does.
    ws = web.WebSocketResponse(protocols=("media",), autoping=True, autoclose=False, max_msg_size=1 << 20)
    if not ws.can_prepare(request).ok:
        return error_page(404)
    await ws.prepare(request)
    open_sockets.add(ws)
    sink = WebSocketSink(ws)
    writer = asyncio.create_task(sink.run(), name="arinb-sim-media-writer")
    session = None
    client_code: int | None = None
    try:
        session = endpoint.attach(connection_id, sink)
        if session is None:
            sink.close(1000)
        else:
            while True:  # not ``async for``: it stops before handing over the client's CLOSE
                msg = await ws.receive()
                if msg.type == WSMsgType.TEXT:
                    session.receive_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    session.receive_bytes(msg.data)
                elif msg.type == WSMsgType.CLOSE:
                    client_code = int(msg.data or 1000)
                    break
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSED, WSMsgType.CLOSING):
                    break
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("arinb simulator: media WebSocket %s failed", connection_id)
    finally:
        open_sockets.discard(ws)
        if session is not None and sink.closing is None:
            # The client went away (close frame or lost connection): the channel hangs up.
            with contextlib.suppress(Exception):
                session.client_closed(client_code)
            sink.close(1001)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 2.0)
        writer.cancel()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close(code=1001)
    return ws
