"""The simulator's network layer: an aiohttp server that speaks ARI the way Asterisk 22 does.

The server is thin. It authenticates, finds the operation in the route table, turns the request into
``(key, path_params, query, body)`` and lets the socket-free engine decide every ARI status and message.
It answers only what Asterisk answers before any resource code runs: 401 (bad or missing credentials),
404 ``Resource not found``, 405 ``Invalid method``, the trailing-slash 404, the api-docs, and the events
WebSocket handshake errors. Anything unexpected becomes a 500 JSON body, logged once; the server keeps going.

Event frames and replies are ordered as Asterisk orders them: a frame the engine sends while it handles a
request goes out before that request's reply, except for the operations in ``EVENTS_AFTER_REPLY``
(hangup, stop, play...), whose frames follow the reply; a frame the engine sends later, from a timer,
comes after in any case.

>>> server = SimServer(engine, Credentials("asterisk", "asterisk"))   # doctest: +SKIP
>>> await server.start()                                               # doctest: +SKIP
>>> server.url                                                         # doctest: +SKIP
'http://127.0.0.1:43117'
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import http
import inspect
import ipaddress
import logging
import re
import warnings
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote, unquote_plus

from aiohttp import WSCloseCode, WSMsgType, web

from arinb.credentials import Credentials
from arinb.models import dumps, format_timestamp, loads
from arinb.sim import apidocs, mediasocket
from arinb.sim.fasthttp import FastConnection, FastRequest
from arinb.sim.protocol import REPLY_GATE, ReplyGate
from arinb.sim.routes import ROUTER, MethodNotAllowed, Operation, ResourceNotFound

__all__ = ["DEFAULT_PASSWORD", "SERVER_HEADER", "AppConnection", "Engine", "SimServer", "is_loopback"]

log = logging.getLogger("arinb.sim")

SERVER_HEADER = "Asterisk/22.10.1"
DEFAULT_PASSWORD = "asterisk"
REALM = "Asterisk REST Interface"
MAX_BODY = 1 << 20
# Asterisk's default websocket_write_timeout (ari.conf): how long a REST reply waits for the event frames
# its request produced to be written before the reply itself.
WRITE_TIMEOUT = 0.1
# The longest a socket's frames wait behind a reply that is being written (a safety net; normally < 1 ms).
GATE_LIMIT = 2.0
# What one events WebSocket may hold unsent before the server gives up on its client (which stopped reading):
# Asterisk closes a socket whose write times out; the simulator closes one whose backlog passes this.
MAX_UNSENT_BYTES = 32 << 20

# Where the events that a request raises go relative to its HTTP reply. On Asterisk the answer to
# `POST answer` comes after its ChannelStateChange (23 of 25 captures), and likewise for addChannel,
# removeChannel and variable; but `DELETE /channels/{id}` answers 204 before ChannelHangupRequest and
# StasisEnd (29 of 33), and stop, bridge destroy, play, record, dial, originate, DTMF (its Dial PROGRESS)
# and playback control (the PlaybackStarted of an unpause) answer first too.
# So: frames raised while the engine handles a request go out before its reply, except for these
# operations, whose frames wait until the reply is written. Events the engine raises later (timers) are
# not affected either way.
EVENTS_AFTER_REPLY = frozenset(
    {
        "channels.hangup",
        "playbacks.stop",
        "bridges.destroy",
        "channels.play",
        "channels.playWithId",
        "channels.record",
        "channels.dial",
        "channels.originate",
        "channels.originateWithId",
        "channels.create",
        "channels.sendDTMF",
        "playbacks.control",
        "recordings.stop",
        # the snoop's own thread puts it in Stasis a fraction of a ms after the 200 (snoop-and-record)
        "channels.snoopChannel",
        "channels.snoopChannelWithId",
        # the channel's own thread leaves Stasis after the 204 (channel-continue-move)
        "channels.continueInDialplan",
        "channels.move",
    }
)

# Asterisk's own phrases for the statuses ARI uses (Python's http.HTTPStatus renamed 422 in 3.13).
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    422: "Unprocessable Entity",
    426: "Upgrade Required",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}

# aiohttp's phrase for a status neither the engine nor _REASONS names.
_HTTP_PHRASES = {s.value: s.phrase for s in http.HTTPStatus}

# ast_true(): the spellings Asterisk accepts as "yes" for a boolean parameter such as subscribeAll.
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


class _Gate:
    """A marker in a socket's outbox: frames behind it wait until the reply being written is out."""

    __slots__ = ("opened",)

    def __init__(self) -> None:
        self.opened = asyncio.Event()


class _Deferral:
    """The frames one request raises, held until its reply is written (see EVENTS_AFTER_REPLY)."""

    __slots__ = ("active", "gates")

    def __init__(self) -> None:
        self.active = True
        self.gates: dict[_Outbox, _Gate] = {}

    def release(self) -> None:
        self.active = False
        for gate in self.gates.values():
            gate.opened.set()
        self.gates.clear()


# The request being handled in this task; timers scheduled meanwhile inherit it but see it released.
_DEFERRAL: ContextVar[_Deferral | None] = ContextVar("arinb_sim_deferral", default=None)


class _Capture:
    """The frames a RESTRequest raises on its own socket, held to go out after its RESTResponse."""

    __slots__ = ("active", "frames", "outbox")

    def __init__(self, outbox: _Outbox) -> None:
        self.outbox = outbox
        self.active = True
        self.frames: list[str] = []


_WS_CAPTURE: ContextVar[_Capture | None] = ContextVar("arinb_sim_ws_capture", default=None)


_T = TypeVar("_T")


class _FrameQueue(Generic[_T]):
    """The part of ``asyncio.Queue`` an outbox uses (one reader; ``join``), without its per-item
    bookkeeping: a busy socket queues every event frame, so each put and get should cost next to nothing."""

    __slots__ = ("_getter", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        self._items: deque[_T] = deque()
        self._unfinished = 0  # put and not yet task_done
        self._getter: asyncio.Future[None] | None = None  # the reader, waiting for an item
        self._joiners: list[asyncio.Future[None]] = []

    def put_nowait(self, item: _T) -> None:
        self._items.append(item)
        self._unfinished += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self) -> _T:
        return self._items.popleft()

    async def get(self) -> _T:
        while not self._items:
            getter = self._getter = asyncio.get_running_loop().create_future()
            try:
                await getter
            finally:
                if self._getter is getter:
                    self._getter = None
        return self._items.popleft()

    def task_done(self) -> None:
        self._unfinished -= 1
        if self._unfinished <= 0 and self._joiners:
            joiners, self._joiners = self._joiners, []
            for joiner in joiners:
                if not joiner.done():
                    joiner.set_result(None)

    async def join(self) -> None:
        """Return once every item put so far (and since) was marked done."""
        if self._unfinished <= 0:
            return
        joiner = asyncio.get_running_loop().create_future()
        self._joiners.append(joiner)
        try:
            await joiner
        finally:
            if joiner in self._joiners:  # cancelled (a reply stopped waiting): forget it
                self._joiners.remove(joiner)


class _Outbox:
    """One events WebSocket's frames, written in order by one task."""

    def __init__(self, server: SimServer, ws: web.WebSocketResponse) -> None:
        self.server = server
        self.ws = ws
        self.queue: _FrameQueue[str | _Gate | None] = _FrameQueue()
        self.slow = False  # its client stopped reading: replies no longer wait for it
        # RESTResponses that arrived while a gate was queued: Asterisk writes a RESTResponse from the thread
        # that ran the request, so it does not wait behind frames held for another request's HTTP reply.
        self.gates_queued = 0
        self.replies: list[str] = []
        self.reply_ready = asyncio.Event()
        self.unsent_bytes = 0
        self.max_unsent_bytes = server.max_unsent_bytes
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None

    def _bounded(self, size: int) -> bool:
        """Count ``size`` more bytes waiting; False (and the connection is closed) when past the limit.

        A client that never reads would otherwise make the backlog grow without end; like Asterisk after a
        write timeout, the server drops such a connection (the client sees it close and may reconnect).
        """
        if self.overflowed:
            return False
        self.unsent_bytes += size
        if self.unsent_bytes <= self.max_unsent_bytes:
            return True
        self.overflowed = True
        while not self.queue.empty():  # free the backlog now; the writer task ends on the None below
            self.queue.get_nowait()
            self.queue.task_done()
        self.replies.clear()
        self.unsent_bytes = 0
        self.queue.put_nowait(None)
        if self.on_overflow is not None:
            self.on_overflow()
        return False

    def send(self, text: str) -> None:
        """The engine's ``send``: queue one frame (never blocks, never raises)."""
        if not self._bounded(len(text)):
            return
        capture = _WS_CAPTURE.get()
        if capture is not None and capture.outbox is self and capture.active:
            capture.frames.append(text)  # a RESTRequest of this socket whose reply goes first
            return
        deferral = _DEFERRAL.get()
        if deferral is not None and deferral.active and self not in deferral.gates:
            gate = deferral.gates[self] = _Gate()
            self.gates_queued += 1
            self.queue.put_nowait(gate)
        self.queue.put_nowait(text)
        self.server._unsent.add(self)

    def send_reply(self, text: str) -> None:
        """Queue a RESTResponse: in order with the frames before it, ahead of frames held behind a gate."""
        if not self.gates_queued:
            self.send(text)
            return
        self.replies.append(text)
        self.reply_ready.set()
        self.server._unsent.add(self)

    async def _write_replies(self) -> None:
        while self.replies:
            text = self.replies.pop(0)
            if not self.ws.closed:
                await self.server._send_frame(self.ws, text)

    async def _pass_gate(self, gate: _Gate) -> None:
        # Held frames wait for the gate (at most GATE_LIMIT); RESTResponses meanwhile go out at once.
        deadline = asyncio.get_running_loop().time() + GATE_LIMIT
        try:
            while True:
                await self._write_replies()
                left = deadline - asyncio.get_running_loop().time()
                if gate.opened.is_set() or left <= 0:
                    return
                self.reply_ready.clear()
                opened = asyncio.ensure_future(gate.opened.wait())
                ready = asyncio.ensure_future(self.reply_ready.wait())
                try:
                    await asyncio.wait((opened, ready), timeout=left, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    opened.cancel()
                    ready.cancel()
        finally:
            self.gates_queued -= 1
            await self._write_replies()

    def stop(self) -> None:
        self.queue.put_nowait(None)

    async def run(self) -> None:
        held: list[str | _Gate | None] = []  # an item taken while batching, handled next
        try:
            while (item := held.pop() if held else await self.queue.get()) is not None:
                done = 1
                try:
                    if isinstance(item, _Gate):
                        await self._pass_gate(item)
                    else:
                        # The frames already waiting go out together: one write for many events.
                        batch = [item]
                        while len(batch) < WRITE_BATCH and not self.queue.empty():
                            nxt = self.queue.get_nowait()
                            done += 1
                            if isinstance(nxt, _Gate) and nxt.opened.is_set() and not self.replies:
                                # An opened gate holds nothing back: the frames behind it join this write.
                                self.gates_queued -= 1
                                continue
                            if not isinstance(nxt, str):
                                held.append(nxt)
                                done -= 1  # its task_done comes when it is handled
                                break
                            batch.append(nxt)
                        self.unsent_bytes -= sum(map(len, batch))
                        if not self.ws.closed:
                            await self.server._send_frames(self.ws, batch)
                except (ConnectionResetError, RuntimeError):
                    pass  # the client is gone; the reader side closes the connection
                finally:
                    for _ in range(done):
                        self.queue.task_done()
                    if self.queue.empty() and not self.replies and not held:
                        self.server._unsent.discard(self)
                        self.slow = False
        finally:
            self.server._unsent.discard(self)


class AppConnection(Protocol):
    def close(self) -> None: ...


class Engine(Protocol):
    """What the server needs from ``arinb.sim.engine.SimEngine`` (which also has ``start``: ``handle``
    answering at once when it can; the fast lane uses it when the engine has it)."""

    asterisk_id: str

    def now(self) -> float: ...

    def handle(
        self, key: str, path_params: dict[str, str], query: dict[str, str], body: Any
    ) -> Awaitable[Any]: ...

    def connect_app(
        self,
        apps: list[str],
        subscribe_all: bool,
        send: Callable[[str], None],
        on_drop: Callable[[], None],
    ) -> AppConnection: ...


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Parts(NamedTuple):
    """One HTTP reply before aiohttp or the fast lane writes it: both add Content-Length (none for 204),
    Date and Server after ``headers``, in that order, so a reply reads the same whichever wrote it."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    payload: bytes | None = None


def _reason(status: int, reason: str | None = None) -> str:
    # aiohttp's default phrase (HTTPStatus) when neither the engine nor Asterisk's table gives one.
    return reason or _REASONS.get(status) or _HTTP_PHRASES.get(status, "")


def _json_parts(
    status: int, body: Any, *, reason: str | None = None, after: tuple[tuple[str, str], ...] = ()
) -> Parts:
    # The bare type, as Asterisk sends it (aiohttp's content_type= would add "; charset=utf-8").
    return Parts(
        status, _reason(status, reason), [("Content-Type", "application/json"), *after], dumps(body).encode()
    )


def _error_parts(status: int, message: str, *, reason: str | None = None) -> Parts:
    return _json_parts(status, {"message": message}, reason=reason)


_UNAUTHORIZED = _json_parts(
    401, {"message": "Authentication required"}, after=(("WWW-Authenticate", f'Basic realm="{REALM}"'),)
)


def _set_header(headers: list[tuple[str, str]], name: str, value: str) -> None:
    """Replace the header in place (case-insensitively), or append it: as aiohttp's headers[name] = v."""
    lname = name.lower()
    for k, (key, _) in enumerate(headers):
        if key.lower() == lname:
            headers[k] = (key, value)
            return
    headers.append((name, value))


def _reply_parts(reply: Any) -> Parts:
    """The engine's :class:`~arinb.sim.protocol.Reply` as an HTTP reply."""
    status = int(reply.status)
    reason = _reason(status, getattr(reply, "reason", None))
    headers = list((getattr(reply, "headers", None) or {}).items())
    body = getattr(reply, "body", None)
    content_type = getattr(reply, "content_type", None)
    if isinstance(body, bytes | bytearray | memoryview):
        _set_header(headers, "Content-Type", content_type or "application/octet-stream")
        return Parts(status, reason, headers, bytes(body))
    if body is None:
        return Parts(status, reason, headers)
    _set_header(headers, "Content-Type", content_type or "application/json")
    return Parts(status, reason, headers, dumps(body).encode())


def _web(parts: Parts) -> web.Response:
    return web.Response(status=parts.status, reason=parts.reason, body=parts.payload, headers=parts.headers)


def _error(status: int, message: str, *, reason: str | None = None) -> web.Response:
    return _web(_error_parts(status, message, reason=reason))


class _Planned(NamedTuple):
    """A request that reached an operation: what the engine gets, once the body is read."""

    operation: Operation
    path_params: dict[str, str]
    query: dict[str, str]


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _to_query_value(value: Any) -> str | None:
    # How Asterisk's generated *_parse_body functions read a query parameter given in the JSON body.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value if isinstance(v, str | int | float))
    return None


class SimServer:
    """The ARI HTTP and WebSocket front of a simulator engine, on the current event loop.

    ``start()`` binds (port 0 picks a free one), ``close()`` closes every WebSocket (1001) and the
    listener. Only loopback by default; binding elsewhere with the default password logs a loud warning.
    ``fast_lane=False`` leaves every request to aiohttp (the fast lane, :mod:`arinb.sim.fasthttp`, answers
    the same bytes; the tests compare the two).
    """

    def __init__(
        self,
        engine: Engine,
        credentials: Credentials,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fast_lane: bool = True,
    ) -> None:
        self.engine = engine
        self.fast_lane = fast_lane
        self.credentials = credentials
        self.host = host
        self.port = port
        self._sockets: set[web.WebSocketResponse] = set()
        self._unsent: set[_Outbox] = set()  # outboxes holding frames not yet written
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._fast: set[FastConnection] = set()  # connections the fast lane still answers itself
        self._auth_cache: dict[str, tuple[str, str] | None] = {}
        self.max_unsent_bytes = MAX_UNSENT_BYTES
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_route("*", "/ari", self._handle)
        self.app.router.add_route("*", "/ari/{tail:.*}", self._handle)
        self._add_media_route()
        self.app.router.add_route("*", "/{tail:.*}", self._outside_ari)
        self.app.on_response_prepare.append(self._server_header)

    def _add_media_route(self) -> None:
        """externalMedia's ``/media/<connection id>`` WebSocket (outside /ari, no auth, as chan_websocket)."""
        mediasocket.install(self.app, lambda: getattr(self.engine, "external_media", None))

    @property
    def url(self) -> str:
        """``http://host:port`` once started."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def websocket_count(self) -> int:
        """How many event WebSockets are open."""
        return len(self._sockets)

    def warn_if_exposed(self) -> bool:
        """Warn loudly (log and ``UserWarning``) when listening beyond loopback with the default password."""
        if is_loopback(self.host) or self.credentials.password != DEFAULT_PASSWORD:
            return False
        message = (
            f"arinb simulator listening on {self.host}, beyond loopback, with the DEFAULT password: "
            "anyone who can reach this address can drive it. Set a password."
        )
        log.warning(message)
        warnings.warn(message, UserWarning, stacklevel=3)
        return True

    async def start(self) -> None:
        self.warn_if_exposed()
        # access_log=None: an access log line would carry ?api_key=user:password.
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=2.0,
            logger=_redacting_logger(self.credentials),
        )
        await self._runner.setup()
        aiohttp_protocol = self._runner.server
        assert aiohttp_protocol is not None

        def fast_connection() -> asyncio.Protocol:
            return FastConnection(
                self.serve_fast, aiohttp_protocol, self._fast, server_header=SERVER_HEADER, max_body=MAX_BODY
            )

        # Plain REST requests are answered by the fast lane; a connection that sends anything else (the
        # events WebSocket, a chunked body, HTTP/1.0, a malformed request...) is handed to aiohttp for good.
        self._listener = await asyncio.get_running_loop().create_server(
            fast_connection if self.fast_lane else aiohttp_protocol,
            self.host,
            self.port,
            reuse_address=True,
            backlog=128,  # as aiohttp's TCPSite
        )
        self.port = int(self._listener.sockets[0].getsockname()[1])

    async def close(self) -> None:
        # Concurrently: each close waits for its client's answering close frame.
        await asyncio.gather(
            *(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
                for ws in list(self._sockets)
            ),
            return_exceptions=True,
        )
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for conn in list(self._fast):
            conn.close()
        self._fast.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    async def _server_header(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = SERVER_HEADER

    async def _outside_ari(self, _request: web.Request) -> web.StreamResponse:
        return _error(404, "The requested URL was not found on this server.")

    # ---- requests ---------------------------------------------------------------------------------

    def _authenticated(self, authorization: str | None, pairs: list[tuple[str, str]]) -> bool:
        # As Asterisk: an Authorization header decides alone; otherwise the FIRST api_key=user:password.
        if authorization is not None:
            creds = self._auth_cache.get(authorization)
            if creds is None:
                creds = _basic_auth(authorization)
                if len(self._auth_cache) < 64:  # a client sends the same header every time
                    self._auth_cache[authorization] = creds
            if creds:
                return self.credentials.matches(*creds)
        for name, value in pairs:
            if name.lower() == "api_key":
                user, _, password = value.partition(":")
                return self.credentials.matches(user, password)
        return False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._dispatch(request)
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "Request body too large")
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            log.exception("arinb simulator: unexpected error on %s %s", request.method, request.path)
            return _error(500, "Internal Server Error")

    def _plan(
        self, method: str, raw_path: str, raw_query: str, authorization: str | None, host: str | None
    ) -> Parts | _Planned:
        """What Asterisk decides before any resource code runs (auth, routing, api-docs): the reply, or the
        operation to run. Shared by aiohttp's handler and the fast lane (:mod:`arinb.sim.fasthttp`)."""
        pairs = parse_qsl(raw_query, keep_blank_values=True, max_num_fields=10_000)
        if not self._authenticated(authorization, pairs):
            return _UNAUTHORIZED
        raw_tail = raw_path[len("/ari") :].lstrip("/")
        if raw_tail.endswith("/"):
            return _error_parts(404, f"ARI URLs do not end with a slash. Try /ari/{unquote(raw_tail[:-1])}")
        if raw_tail.startswith("api-docs/"):
            return self._api_docs(method, host, unquote(raw_tail[len("api-docs/") :]))
        segments = [unquote_plus(s) for s in raw_tail.split("/")]
        try:
            match = ROUTER.match(method, segments)
        except ResourceNotFound:
            return _error_parts(404, "Resource not found")
        except MethodNotAllowed as e:
            if method == "OPTIONS":
                return Parts(204, _reason(204), [("Allow", ", ".join(("OPTIONS", *e.allowed)))])
            return _error_parts(405, "Invalid method")
        # A repeated name keeps its LAST value, as in Asterisk. The api_key never goes further than here.
        query = {name: value for name, value in pairs if name.lower() != "api_key"}
        return _Planned(match.operation, match.path_params, query)

    @staticmethod
    def _reads_body(method: str, content_type: str, has_body: bool) -> bool:
        """Whether the request's body matters (a form POST, or JSON): only then is it read."""
        if method == "POST" and content_type == "application/x-www-form-urlencoded":
            return True
        return content_type == "application/json" and has_body

    @staticmethod
    def _body(plan: _Planned, method: str, content_type: str, raw: bytes | None) -> Any:
        """The engine's ``body`` from the raw request body (form fields go to ``plan.query``), or the
        400 reply for a body jansson refuses."""
        if method == "POST" and content_type == "application/x-www-form-urlencoded":
            form = parse_qsl((raw or b"").decode("utf-8", "replace"), keep_blank_values=True)
            plan.query.update(form)  # Asterisk appends form fields after the query string
            return None
        if content_type != "application/json" or not raw or not raw.strip():
            return None
        try:
            body = loads(raw)
        except ValueError:
            return _error_parts(400, "Error parsing request body")
        if _has_huge_integer(raw):
            return _error_parts(400, "Error parsing request body")  # jansson: "too big integer"
        if isinstance(body, dict):
            for p in plan.operation.params_of("query"):
                if p.name in body and (value := _to_query_value(body[p.name])) is not None:
                    plan.query[p.name] = value
        return body

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        url = request.rel_url
        plan = self._plan(
            request.method,
            url.raw_path,
            url.raw_query_string,
            request.headers.get("Authorization"),
            request.headers.get("Host"),
        )
        if isinstance(plan, Parts):
            return _web(plan)
        if plan.operation.websocket:
            return await self._events(request, plan.query)
        content_type = request.content_type
        raw = None
        if self._reads_body(request.method, content_type, request.body_exists):
            raw = await request.read()
        body = self._body(plan, request.method, content_type, raw)
        if isinstance(body, Parts):
            return _web(body)
        return await self._call_engine(request, plan.operation, plan.path_params, plan.query, body)

    async def _call_engine(
        self,
        request: web.Request,
        operation: Operation,
        path_params: dict[str, str],
        query: dict[str, str],
        body: Any,
    ) -> web.StreamResponse:
        deferral = _Deferral() if operation.key in EVENTS_AFTER_REPLY else None
        token = _DEFERRAL.set(deferral)
        # What the request sets off "right after its reply" (the other Local half going on) waits until the
        # reply is written, however long that takes (engine.soon).
        gate = ReplyGate()
        gate_token = REPLY_GATE.set(gate)
        try:
            try:
                reply = await self.engine.handle(operation.key, path_params, query, body)
            except KeyError as e:
                if e.args != (operation.key,):
                    raise
                return _error(501, f"{operation.key} is not implemented by the arinb simulator")
            finally:
                _DEFERRAL.reset(token)
            response = _web(_reply_parts(reply))
            if deferral is None:
                await self._flush_events()
            # Write the reply now; then the held frames and the work it set off may go.
            await response.prepare(request)
            await response.write_eof()
            return response
        finally:
            REPLY_GATE.reset(gate_token)
            if deferral is not None:
                # One loop turn later: a RESTRequest this request unblocked (an answer queued behind the
                # stopped tone) answers first, as Asterisk's request thread does before stasis delivers.
                asyncio.get_running_loop().call_soon(deferral.release)
            gate.release()

    # ---- the fast lane (arinb.sim.fasthttp): the same decisions, without aiohttp's request machinery ------

    def serve_fast(self, conn: FastConnection, req: FastRequest) -> Awaitable[None] | None:
        """Answer one plain REST request of the fast lane: written at once when nothing needs waiting
        (the common case), else the returned task finishes it (the connection waits for it)."""
        try:
            plan = self._plan(req.method, req.raw_path, req.raw_query, req.authorization, req.host)
            if isinstance(plan, Parts):
                self._write_fast(conn, req, plan)
                return None
            body = self._body(plan, req.method, req.content_type, req.body)
            if isinstance(body, Parts):
                self._write_fast(conn, req, body)
                return None
            return self._fast_call(conn, req, plan, body)
        except Exception:
            log.exception("arinb simulator: unexpected error on %s %s", req.method, unquote(req.raw_path))
            self._write_fast(conn, req, _error_parts(500, "Internal Server Error"))
            return None

    def _fast_call(
        self, conn: FastConnection, req: FastRequest, plan: _Planned, body: Any
    ) -> Awaitable[None] | None:
        # _call_engine's order of reply and frames, with the engine's synchronous answer when it has one.
        key = plan.operation.key
        deferral = _Deferral() if key in EVENTS_AFTER_REPLY else None
        loop = asyncio.get_running_loop()
        token = _DEFERRAL.set(deferral)
        gate = ReplyGate()  # see _call_engine; opened where the reply is written
        gate_token = REPLY_GATE.set(gate)
        try:
            start = getattr(self.engine, "start", None)
            try:
                result = (start or self.engine.handle)(key, plan.path_params, plan.query, body)
            except KeyError as e:
                if e.args != (key,):
                    raise
                result = None
                parts = _error_parts(501, f"{key} is not implemented by the arinb simulator")
            else:
                if inspect.isawaitable(result):
                    # Its context holds the deferral and the gate, as the request task does on aiohttp's side.
                    return loop.create_task(self._fast_finish(conn, req, key, result, deferral, gate))
                parts = _reply_parts(result)
        except BaseException:
            if deferral is not None:
                loop.call_soon(deferral.release)
            gate.release()
            raise
        finally:
            _DEFERRAL.reset(token)
            REPLY_GATE.reset(gate_token)
        if deferral is not None:
            self._write_fast(conn, req, parts)
            loop.call_soon(deferral.release)
            gate.release()
            return None
        if any(not o.slow for o in self._unsent):
            return loop.create_task(self._fast_flush_and_write(conn, req, parts, gate))
        self._write_fast(conn, req, parts)
        gate.release()
        return None

    async def _fast_finish(
        self,
        conn: FastConnection,
        req: FastRequest,
        key: str,
        pending: Awaitable[Any],
        deferral: _Deferral | None,
        gate: ReplyGate,
    ) -> None:
        try:
            try:
                parts = _reply_parts(await pending)
            except KeyError as e:
                if e.args != (key,):
                    log.exception(
                        "arinb simulator: unexpected error on %s %s", req.method, unquote(req.raw_path)
                    )
                    parts = _error_parts(500, "Internal Server Error")
                else:
                    parts = _error_parts(501, f"{key} is not implemented by the arinb simulator")
            except Exception:
                log.exception("arinb simulator: unexpected error on %s %s", req.method, unquote(req.raw_path))
                parts = _error_parts(500, "Internal Server Error")
            if deferral is None:
                await self._flush_events()
            self._write_fast(conn, req, parts)
        finally:
            if deferral is not None:
                asyncio.get_running_loop().call_soon(deferral.release)
            gate.release()

    @staticmethod
    def _write_fast(conn: FastConnection, req: FastRequest, parts: Parts) -> None:
        """Where every fast-lane reply is written (aiohttp's replies pass on_response_prepare instead)."""
        conn.write(parts, req.keep_alive)

    async def _fast_flush_and_write(
        self, conn: FastConnection, req: FastRequest, parts: Parts, gate: ReplyGate
    ) -> None:
        try:
            await self._flush_events()
            self._write_fast(conn, req, parts)
        finally:
            gate.release()

    async def _flush_events(self, exclude: _Outbox | None = None) -> None:
        """Let the frames that the request produced go out before its reply, as Asterisk writes them.

        Asterisk writes an event to the WebSocket from the thread that raised it, so an event raised while
        handling a request (ChannelStateChange for an answer) reaches the client before the HTTP reply.
        A client that does not read holds a reply at most Asterisk's write timeout, once: until its
        socket drains, later replies do not wait for it.
        """
        outboxes = [o for o in self._unsent if o is not exclude and not o.slow]
        if not outboxes:
            return
        # One loop turn is usually enough: each writer then sends its backlog in one write (and leaves
        # _unsent), so most replies need no wait tasks at all.
        await asyncio.sleep(0)
        outboxes = [o for o in outboxes if o in self._unsent and not o.slow]
        if not outboxes:
            return
        waits = {asyncio.ensure_future(o.queue.join()): o for o in outboxes}
        _done, pending = await asyncio.wait(waits, timeout=WRITE_TIMEOUT)
        for w in pending:
            w.cancel()
            waits[w].slow = True  # until it drains, one stuck client must not slow every reply

    async def _send_frame(self, ws: web.WebSocketResponse, text: str) -> None:
        await ws.send_str(text)

    async def _send_frames(self, ws: web.WebSocketResponse, texts: list[str]) -> None:
        """Write event frames in order; several at once go out in one transport write (see _frames_write)."""
        if len(texts) == 1 or not await _frames_write(ws, texts):
            for text in texts:
                await self._send_frame(ws, text)

    @staticmethod
    def _api_docs(method: str, host: str | None, name: str) -> Parts:
        if method != "GET":
            return _error_parts(405, "Unsupported method")
        base = apidocs.base_path(host)
        doc: dict[str, Any] | None
        if name == "resources.json":
            doc = apidocs.resource_listing(base)
        elif name.endswith(".json"):
            doc = apidocs.api_declaration(name[: -len(".json")], base)
        else:
            doc = None
        if doc is None:
            return _error_parts(404, "Resource not found")
        return _json_parts(200, doc)

    # ---- the events WebSocket ---------------------------------------------------------------------

    async def _events(self, request: web.Request, query: dict[str, str]) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("ari",), autoping=True, max_msg_size=MAX_BODY)
        if not ws.can_prepare(request).ok:
            return _error(426, "Upgrade Required")
        apps = [a for a in query.get("app", "").split(",") if a]
        if not apps:
            return _error(400, "HTTP request is missing param: [app]")
        subscribe_all = query.get("subscribeAll", "").strip().lower() in _TRUE
        outbox = _Outbox(self, ws)

        def drop() -> None:
            # A fault asked for a dropped connection: cut the TCP stream, no close frame, like a lost network.
            outbox.stop()
            transport = request.transport
            if transport is not None:
                transport.abort()

        # Register before completing the handshake, and let the frames that causes go out first: Asterisk
        # sends ApplicationReplaced to the previous socket before the new one is connected.
        conn = self.engine.connect_app(apps, subscribe_all, outbox.send, drop)
        outbox.on_overflow = _overflow_closer(request, ",".join(apps), outbox.max_unsent_bytes, drop)
        writer: asyncio.Task[None] | None = None
        rest: _RestOverWebSocket | None = None
        try:
            await self._flush_events(exclude=outbox)
            await ws.prepare(request)
            if isinstance(request.transport, asyncio.Transport):
                _transports[ws] = request.transport
            self._sockets.add(ws)
            writer = asyncio.create_task(outbox.run(), name="arinb-sim-ws-writer")
            rest = _RestOverWebSocket(self, outbox, apps[0])
            async for msg in ws:
                # Text frames are RESTRequests (Asterisk 22); binary frames are ignored, as Asterisk does.
                if msg.type is WSMsgType.TEXT:
                    rest.submit(msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("arinb simulator: events WebSocket for %s failed", ",".join(apps))
        finally:
            self._sockets.discard(ws)
            if rest is not None:
                rest.close()
            with contextlib.suppress(Exception):
                conn.close()
            outbox.stop()
            if writer is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer, 1.0)
                writer.cancel()
            self._unsent.discard(outbox)
            if ws.prepared and not ws.closed:
                await ws.close()
        return ws

    # ---- REST over the events WebSocket (Asterisk 22: RESTRequest / RESTResponse) --------------------

    async def _ws_rest_call(
        self, capture: _Capture, method: str, uri: str, query: dict[str, str], body: Any
    ) -> tuple[int, str, Any]:
        """Run one parsed RESTRequest: ``(status, reason phrase, JSON-able body or None)``.

        Routing and errors are HTTP's (``_dispatch``), with the differences Asterisk 22.10.1 shows: a uri
        starting with ``/`` is 405 "Invalid method" (``/asterisk/info`` and ``/ari/asterisk/info`` alike),
        a binary reply (a recording's file) is 406 "Not Acceptable.  Use HTTP GET".
        """
        if uri.startswith("/"):
            return 405, _REASONS[405], {"message": "Invalid method"}
        if uri.endswith("/"):
            return 404, _REASONS[404], {"message": f"ARI URLs do not end with a slash. Try /ari/{uri[:-1]}"}
        segments = [unquote(part) for part in uri.split("/")]
        try:
            match = ROUTER.match(method, segments)
        except ResourceNotFound:
            return 404, _REASONS[404], {"message": "Resource not found"}
        except MethodNotAllowed:
            return 405, _REASONS[405], {"message": "Invalid method"}
        operation = match.operation
        if operation.websocket:  # GET events over the events socket: no upgrade possible here
            return 426, _REASONS[426], {"message": "Upgrade Required"}
        if isinstance(body, dict):
            for p in operation.params_of("query"):
                if p.name in body and (value := _to_query_value(body[p.name])) is not None:
                    query[p.name] = value
        deferral = _Deferral() if operation.key in EVENTS_AFTER_REPLY else None
        if deferral is None:
            capture.active = False  # this operation's own frames go before its reply
        token = _DEFERRAL.set(deferral)
        capture_token = _WS_CAPTURE.set(capture)
        try:
            try:
                reply = await self.engine.handle(operation.key, match.path_params, query, body)
            except KeyError as e:
                if e.args != (operation.key,):
                    raise
                return (
                    501,
                    _REASONS[501],
                    {"message": f"{operation.key} is not implemented by the arinb simulator"},
                )
        finally:
            _WS_CAPTURE.reset(capture_token)
            _DEFERRAL.reset(token)
            if deferral is not None:
                # Other sockets' frames wait at most until this reply is queued (see _RestOverWebSocket).
                asyncio.get_running_loop().call_soon(deferral.release)
        status = int(reply.status)
        reason = getattr(reply, "reason", None) or _REASONS.get(status) or ""
        data = getattr(reply, "body", None)
        if isinstance(data, bytes | bytearray | memoryview):
            return 406, "Not Acceptable.  Use HTTP GET", None
        return status, reason, data

    def __repr__(self) -> str:
        state = "listening" if self._runner is not None else "stopped"
        user = self.credentials.username
        return f"<SimServer {self.url} {state}, {len(self._sockets)} WebSocket(s), user={user!r}>"


# ast_get_http_method_from_string(): exact, case-sensitive names.
_WS_METHODS = frozenset({"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"})


class _WsRequestError(Exception):
    """A RESTRequest refused before it reaches a resource (reason "Bad request", lowercase r)."""

    def __init__(self, message: str, *, uri: str = "", phrase: str = "Bad request") -> None:
        super().__init__(message)
        self.message = message
        self.uri = uri
        self.phrase = phrase


def _id_of(msg: Any, name: str) -> str:
    value = msg.get(name) if isinstance(msg, dict) else None
    return value if isinstance(value, str) else ""


def parse_rest_request(msg: Any) -> tuple[str, str, dict[str, str], Any]:
    """``(method, uri, query, body)`` of one RESTRequest message, in the order Asterisk checks it.

    Mirrors ``parse_rest_request_msg`` (res/ari/ari_websocket_requests.c): type, uri (the part after ``?``
    is a form-encoded query), method, ``query_strings`` (merged after the uri's query; anything but an
    array is ignored), then ``message_body`` with its ``content_type``. Raises ``_WsRequestError``.

    >>> parse_rest_request({"type": "RESTRequest", "method": "GET", "uri": "asterisk/info?only=build"})
    ('GET', 'asterisk/info', {'only': 'build'}, None)
    """
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str) or not msg["type"]:
        raise _WsRequestError("No 'type' property.")
    if msg["type"] != "RESTRequest":
        raise _WsRequestError("Unknown request type.")
    uri = msg.get("uri")
    if not isinstance(uri, str) or not uri:
        raise _WsRequestError("Empty or missing 'uri' property.")
    uri, sep, raw_query = uri.partition("?")
    query: dict[str, str] = dict(parse_qsl(raw_query, keep_blank_values=True)) if sep else {}
    method = msg.get("method")
    if not isinstance(method, str) or method not in _WS_METHODS:
        raise _WsRequestError("Unknown or missing 'method' property.", uri=uri)
    pairs = msg.get("query_strings")
    if isinstance(pairs, list):
        for item in pairs:
            name = item.get("name") if isinstance(item, dict) else None
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(name, str) or not isinstance(value, str):
                raise _WsRequestError("Unable to parse 'query_strings' array.", uri=uri)
            query[name] = value
    text = msg.get("message_body")
    if not isinstance(text, str) or not text:
        return method, uri, query, None
    content_type = msg.get("content_type")
    if not isinstance(content_type, str) or not content_type:
        raise _WsRequestError("No 'content_type' for 'message_body'.", uri=uri)
    if content_type == "application/x-www-form-urlencoded":
        query.update(parse_qsl(text, keep_blank_values=True))
        return method, uri, query, None
    if content_type == "application/json":
        try:
            return method, uri, query, loads(text)
        except ValueError:
            raise _WsRequestError("Unable to parse 'message_body' as 'application/json'.", uri=uri) from None
    raise _WsRequestError("Unknown content type.", uri=uri)


class _RestOverWebSocket:
    """One events socket's RESTRequests: run strictly one at a time, in order, as Asterisk 22 does.

    A request waiting on its channel (an answer queued behind a tone) holds every later request of the
    same socket, while events and HTTP requests go on. The reply is a RESTResponse frame in the socket's
    outbox: after the frames the request raised, or before them for the operations in
    ``EVENTS_AFTER_REPLY``.
    """

    def __init__(self, server: SimServer, outbox: _Outbox, app: str) -> None:
        self.server = server
        self.outbox = outbox
        self.app = app
        self.pending: asyncio.Queue[str] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None

    def submit(self, text: str) -> None:
        self.pending.put_nowait(text)
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(
                self._run(), name="arinb-sim-ws-rest", context=contextvars.Context()
            )

    def close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    async def _run(self) -> None:
        while True:
            text = await self.pending.get()
            try:
                await self._one(text)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("arinb simulator: a RESTRequest failed unexpectedly")

    async def _one(self, text: str) -> None:
        try:
            msg = loads(text)
        except ValueError:
            self._respond("", "", 400, "Failed to parse request message JSON", "", None)
            return
        tx, rq = _id_of(msg, "transaction_id"), _id_of(msg, "request_id")
        try:
            method, uri, query, body = parse_rest_request(msg)
        except _WsRequestError as e:
            self._respond(tx, rq, 400, e.phrase, e.uri, {"message": e.message})
            return
        query = {k: v for k, v in query.items() if k.lower() != "api_key"}
        capture = _Capture(self.outbox)
        try:
            status, reason, data = await self.server._ws_rest_call(capture, method, uri, query, body)
        except Exception:
            log.exception("arinb simulator: unexpected error on RESTRequest %s %s", method, uri)
            status, reason, data = 500, _REASONS[500], {"message": "Internal Server Error"}
        capture.active = False
        self._respond(tx, rq, status, reason, uri, data)
        for frame in capture.frames:
            self.outbox.send(frame)

    def _respond(self, tx: str, rq: str, status: int, reason: str, uri: str, data: Any) -> None:
        engine = self.server.engine
        reply: dict[str, Any] = {
            "type": "RESTResponse",
            "transaction_id": tx,
            "request_id": rq,
            "status_code": status,
            "reason_phrase": reason,
            "uri": uri,
        }
        if data is not None:
            reply["content_type"] = "application/json"
            reply["message_body"] = dumps(data)
        reply["application"] = self.app
        reply["timestamp"] = format_timestamp(engine.now())
        reply["asterisk_id"] = engine.asterisk_id
        self.outbox.send_reply(dumps(reply))


_LONG_DIGITS = re.compile(rb"\d{19}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_INT = re.compile(rb"(?<![\d.eE+-])-?\d{19,}(?![\d.eE])")


def _has_huge_integer(raw: bytes) -> bool:
    """True if a JSON text holds an integer beyond ``long long`` (jansson refuses it; orjson reads a float).

    >>> _has_huge_integer(b'{"timeout": 9223372036854775808}')
    True
    >>> _has_huge_integer(b'{"x": "9999999999999999999", "timeout": 9223372036854775807}')
    False
    """
    if not _LONG_DIGITS.search(raw):
        return False  # the common case: no run of 19 digits anywhere
    for token in _JSON_INT.findall(_JSON_STRING.sub(b'""', raw)):
        digits = token.lstrip(b"-")
        if len(digits) > 19 or not -(2**63) <= int(token) < 2**63:  # int() only on short tokens
            return True
    return False


# ---- writing many event frames at once --------------------------------------------------------------

#: At most this many waiting frames go out in one write.
WRITE_BATCH = 64
#: A socket whose kernel-side buffer holds more than this waits before the next batch (flow control).
WRITE_HIGH_WATER = 1 << 18


def _text_frame(payload: bytes) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 5.2; a server never masks)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 1 << 16:
        return b"\x81\x7e" + n.to_bytes(2, "big") + payload
    return b"\x81\x7f" + n.to_bytes(8, "big") + payload


async def _frames_write(ws: web.WebSocketResponse, texts: list[str]) -> bool:
    """Write ``texts`` as text frames with one ``transport.write``: one system call instead of one per
    event, which is most of what a frame costs on a busy simulator. False when the socket's transport is
    not at hand (the caller then sends frame by frame). Each write holds whole frames, so it interleaves
    safely with aiohttp's own (pings, the close frame); frames are never compressed (RSV1 clear), which
    permessage-deflate allows.
    """
    transport = _transports.get(ws)
    if transport is None or transport.is_closing():
        return False
    transport.write(b"".join(_text_frame(t.encode()) for t in texts))
    # The client reads slowly: let the kernel take what is written (a transport has no public drain event).
    while transport.get_write_buffer_size() > WRITE_HIGH_WATER and not transport.is_closing():  # noqa: ASYNC110
        await asyncio.sleep(0.002)
    return True


# The events sockets' transports (web.Request.transport, taken at the handshake).
_transports: weakref.WeakKeyDictionary[web.WebSocketResponse, asyncio.Transport] = weakref.WeakKeyDictionary()


# ---- what no output may show --------------------------------------------------------------------------


_API_KEY = re.compile(r"(api_key=)[^&\s'\"\\]*")
_BASIC = re.compile(r"(Basic )[A-Za-z0-9+/=]{4,}")


class _RedactCredentials(logging.Filter):
    """Masks credentials in a log record, its arguments and its traceback (aiohttp's own error lines quote
    the raw request line, ``?api_key=user:password`` included, when it is too long to parse)."""

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self.credentials = credentials

    def _clean(self, text: str) -> str:
        return self.credentials.redact(_BASIC.sub(r"\1***", _API_KEY.sub(r"\1***", text)))

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def _redacting_logger(credentials: Credentials) -> logging.Logger:
    """The logger aiohttp's request handler writes to, with credentials masked (one filter per logger)."""
    logger = logging.getLogger("arinb.sim.http")
    if not any(isinstance(f, _RedactCredentials) for f in logger.filters):
        logger.addFilter(_RedactCredentials(credentials))
    else:
        for f in logger.filters:
            if isinstance(f, _RedactCredentials):
                f.credentials = credentials  # the latest server's password (every key is masked anyway)
    return logger


def _overflow_closer(
    request: web.Request, apps: str, limit: int, drop: Callable[[], None]
) -> Callable[[], None]:
    """What an events socket does when its client cannot keep up: one log line (no query, so no
    ``api_key``), then the connection is cut."""

    def close() -> None:
        log.warning(
            "arinb simulator: events WebSocket of app %s from %s closed: its client is not reading "
            "(more than %d bytes of events unsent)",
            apps,
            request.remote,
            limit,
        )
        drop()

    return close
