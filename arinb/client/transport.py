"""The client's only network I/O: aiohttp REST calls and the ARI events WebSocket, on the engine loop.

* REST: one ``aiohttp.ClientSession`` with HTTP Basic auth; ARI error replies become the typed errors of
  :mod:`arinb.errors` (status, ARI's message, method and path); a request that gets no answer within
  ``request_timeout`` seconds raises :class:`AriTimeoutError`; every call is a timeline row.
* Events: ``ws(s)://host:port/ari/events?app=a,b&subscribeAll=...&api_key=user:password``. Receive times are
  taken on the engine thread when the reader gets to the frames (one time for the frames that arrived
  together), and each frame goes straight to :meth:`SessionCore.feed_frame`. When the socket is lost (server
  close, restart, network error) the transport reconnects with exponential backoff and jitter, with the same
  apps, renews the subscriptions made through ``session.applications.subscribe``, and writes the gap (loss,
  reconnect) as connection rows.

Nothing here ever puts the password in a message: URLs shown are stripped of credentials and ``api_key``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from yarl import URL

from arinb.client.params import ari_operation
from arinb.client.wsrest import (
    RESPONSE_PREFIX,
    WsRequestDropped,
    WsRequests,
    probe_settles,
    retries_over_http,
)
from arinb.credentials import Credentials, strip_url_credentials, url_credentials
from arinb.errors import (
    AriAuthError,
    AriConnectionError,
    AriError,
    AriTimeoutError,
    AriUsageError,
    AriWebSocketError,
    SessionClosed,
    http_error,
)
from arinb.models import dumps, loads

if TYPE_CHECKING:
    from arinb.client.core import SessionCore

__all__ = ["REST_MODES", "AriUrls", "Transport", "encode_params", "parse_base_url"]

log = logging.getLogger("arinb.client")

#: ``connect(rest=...)``: REST over the events WebSocket when the server answers it ("auto"), always
#: ("websocket": connect fails if the server does not), or never ("http").
REST_MODES: Final = ("auto", "websocket", "http")
#: How long connect() waits for the answer to its RESTRequest probe.
PROBE_TIMEOUT: Final = 2.0

CONFIG_HINT: Final = (
    "On a real Asterisk check http.conf ([general] enabled=yes, bindaddr, bindport; the default is 8088) "
    "and ari.conf ([general] enabled=yes, and a [user] section with type=user and password); "
    "`asterisk -rx 'http show status'` shows where the HTTP server listens."
)


@dataclass(frozen=True)
class AriUrls:
    """Where ARI lives, derived from the URL the user gave (``http://host:8088`` or ``.../ari``)."""

    root: str  # http(s)://host:port[/prefix], no credentials
    rest: str  # root + "/ari"
    ws: str  # ws(s)://host:port[/prefix]/ari/events
    username: str | None = None  # credentials found in the URL itself, if any
    password: str | None = None

    @property
    def path_prefix(self) -> str:
        """The path REST paths are shown with (``/ari``, or ``/proxy/ari`` behind a proxy)."""
        return urlsplit(self.rest).path


def parse_base_url(url: str) -> AriUrls:
    """Normalise an ARI base URL.

    >>> parse_base_url("http://127.0.0.1:8088/ari/").ws
    'ws://127.0.0.1:8088/ari/events'
    >>> parse_base_url("https://pbx.example.com").rest
    'https://pbx.example.com/ari'
    """
    if not isinstance(url, str) or not url.strip():
        raise AriUsageError("the ARI URL is empty: give something like 'http://127.0.0.1:8088'")
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = {"http": "http", "https": "https", "ws": "http", "wss": "https"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise AriUsageError(f"not an ARI URL: {strip_url_credentials(url)!r} (expected http://host:8088)")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path.rstrip("/")
    for suffix in ("/ari/events", "/ari"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    root = urlunsplit((scheme, netloc, path, "", ""))
    ws_scheme = "wss" if scheme == "https" else "ws"
    username, password = url_credentials(parts)  # percent-decoded: p%40ss is the password p@ss
    return AriUrls(
        root=root,
        rest=root + "/ari",
        ws=urlunsplit((ws_scheme, netloc, path + "/ari/events", "", "")),
        username=username,
        password=password,
    )


def _param_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        return ",".join(_param_value(v) for v in value)
    return str(value)


def encode_params(params: dict[str, Any] | None) -> dict[str, str]:
    """ARI query values: booleans as ``true``/``false``, lists comma-joined, None dropped."""
    if not params:
        return {}
    return {k: _param_value(v) for k, v in params.items() if v is not None}


#: Seconds without a new event after which the timeline's queued frames are built (see _catch_up_tick).
CATCH_UP_QUIET: Final = 0.05
#: Queued frames beyond which the timeline builds some even while events keep coming (~0.2 s of work a
#: quarter of it; bounds what a first ``tl.df`` after a long flood has to build).
CATCH_UP_BACKLOG: Final = 1 << 18


def _queued_reader(ws: Any) -> tuple[Any, Callable[[], Awaitable[Any]]] | None:
    """aiohttp's queue of parsed frames and its ``read()``, when this aiohttp has the layout we know.

    aiohttp 3.11-3.14 keep parsed messages in ``ws._reader`` (a ``WebSocketDataQueue``): ``_buffer`` is a
    deque of ``(message, size)`` and ``read()`` pops one with the flow-control accounting that resumes a
    paused socket; messages are ``(type, data, extra)`` tuples. Any other layout gives None and the reader
    uses ``ws.receive()`` only.
    """
    reader = getattr(ws, "_reader", None)
    buffer = getattr(reader, "_buffer", None)
    read = getattr(reader, "read", None)
    if not isinstance(buffer, deque) or not callable(read) or not issubclass(aiohttp.WSMessage, tuple):
        return None
    return buffer, read


class Transport:
    """REST and events WebSocket for one session. Lives on (and must be used from) the engine loop."""

    def __init__(
        self,
        urls: AriUrls,
        credentials: Credentials,
        apps: list[str],
        subscribe_all: bool,
        core: SessionCore,
        *,
        request_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        reconnect: bool = True,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        heartbeat: float | None = 20.0,
        on_reconnected: Callable[[], Any] | None = None,
        on_gone: Callable[[BaseException | None], Any] | None = None,
        rest: str = "auto",
    ) -> None:
        if rest not in REST_MODES:
            raise AriUsageError(f"rest must be one of {', '.join(REST_MODES)}, not {rest!r}")
        self.rest = rest
        # The WebSocket request lane once the probe succeeded (None: every request goes over HTTP).
        self.lane: WsRequests | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self.urls = urls
        self._credentials = credentials
        self.apps = apps
        self.subscribe_all = subscribe_all
        self.core = core
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.heartbeat = heartbeat
        self.on_reconnected = on_reconnected
        self.on_gone = on_gone
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.connected = False
        self.reconnects = 0
        self.last_loss_at: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._after: asyncio.Task[Any] | None = None  # the on_reconnected work of the last reconnect
        self._closing = False
        self._stop_reading = False
        self._catch_up: asyncio.TimerHandle | None = None  # the armed timeline catch-up check

    # ------------------------------------------------------------------ lifecycle

    def _display_ws(self) -> str:
        return f"{self.urls.ws}?app={','.join(self.apps)}&subscribeAll={str(self.subscribe_all).lower()}"

    async def start(self) -> None:
        """Open the HTTP session and the events WebSocket (typed errors if either is refused)."""
        self.http = aiohttp.ClientSession(
            headers={"Authorization": self._credentials.basic_auth_header()},
            json_serialize=dumps,
            timeout=aiohttp.ClientTimeout(total=self.request_timeout, connect=self.connect_timeout),
        )
        try:
            ws = await self._connect_ws()
        except BaseException:
            await self.http.close()
            self.http = None
            raise
        self.core.record_connection("connect", self._display_ws())
        lane = WsRequests(self.request_timeout) if self.rest != "http" else None
        if lane is not None:
            lane.attach(ws)
            self.lane = lane  # the reader hands RESTResponse frames to it from the first frame on
        # An empty context: the reader (and every handler it runs) must not inherit the context of the
        # notebook cell that connected, or ipykernel would route a handler's print() to that old cell.
        self._reader = asyncio.get_running_loop().create_task(
            self._read_loop(ws), name="arinb-events-reader", context=contextvars.Context()
        )
        if lane is not None:
            if self.rest == "websocket":
                await self._probe(lane)
            else:
                self._start_probe(lane)

    def _start_probe(self, lane: WsRequests) -> None:
        # "auto": HTTP until the answer comes, so that connect() (or the reconnect) never waits on an older
        # server; the reader must keep reading meanwhile, since it is what takes the answer in.
        self._probe_task = asyncio.get_running_loop().create_task(
            self._probe(lane), name="arinb-rest-probe", context=contextvars.Context()
        )

    async def _probe(self, lane: WsRequests) -> None:
        """Ask whether the server answers REST over the WebSocket (Asterisk 22 does)."""
        error: AriError | None = None
        try:
            status, _reason, _ctype, _body = await asyncio.wait_for(
                lane.request("GET", "/asterisk/ping", {}, None, probe=True),
                min(PROBE_TIMEOUT, self.connect_timeout),
            )
        except (TimeoutError, AriError) as exc:
            if self.rest == "auto" and not probe_settles(exc):
                log.debug("arinb: the socket dropped under the REST probe; probing again after the reconnect")
                return  # the lane stays, unconfirmed (HTTP meanwhile): _read_loop probes the next socket
            why = "no answer" if isinstance(exc, TimeoutError) else str(exc)
            status = None
            if self.rest == "websocket":
                error = AriWebSocketError(
                    f"rest='websocket': {self.urls.rest} does not answer REST over the events WebSocket "
                    f"({why}; Asterisk 22 or later does). Use rest='auto' or rest='http'."
                )
        if status is not None and status < 500:
            lane.confirmed = True
            log.debug("arinb: REST goes over the events WebSocket (probe answered %s)", status)
            return
        self.lane = None
        if error is not None:
            await self.close()
            raise error
        log.info("arinb: %s does not answer REST over the events WebSocket; REST uses HTTP", self.urls.rest)

    @property
    def rest_transport(self) -> str:
        """``"websocket"`` when REST requests may go over the events WebSocket, else ``"http"``."""
        return "websocket" if self.lane is not None and self.lane.confirmed else "http"

    async def close(self) -> None:
        """Close the WebSocket and the HTTP session; the reader task ends; nothing is left running."""
        if self._closing:
            return
        self._closing = True
        if self._probe_task is not None:
            self._probe_task.cancel()
        if self._catch_up is not None:
            self._catch_up.cancel()
            self._catch_up = None
        if self.lane is not None:
            self.lane.detach("session closed")
        ws = self.ws
        if ws is not None and not ws.closed:
            await ws.close()
        for task in (self._after, self._reader):
            if task is None or task.done():
                continue
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        reader = self._reader
        if reader is not None and not reader.done():
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):
                pass
        if self.http is not None:
            await self.http.close()
        self.connected = False
        self.core.record_connection("closed", "session closed")

    def stop_reading(self) -> None:
        """Stop the event stream for good (ApplicationReplaced): close the socket, never reconnect."""
        self._stop_reading = True
        ws = self.ws
        if ws is not None and not ws.closed:
            asyncio.get_running_loop().create_task(ws.close())

    # ------------------------------------------------------------------ WebSocket

    @ari_operation("events.eventWebsocket")
    async def _connect_ws(self) -> aiohttp.ClientWebSocketResponse:
        """Open the events WebSocket (``GET /ari/events``); refusals become typed errors."""
        assert self.http is not None
        params = {
            "app": ",".join(self.apps),
            "subscribeAll": "true" if self.subscribe_all else "false",
            "api_key": self._credentials.api_key(),
        }
        shown = self._display_ws()
        # The errors are raised after the except blocks: aiohttp's exception holds the URL with api_key and
        # the Basic header, and raising inside the block would keep it reachable as __context__.
        error: AriError
        try:
            # The whole handshake (TCP, the HTTP upgrade and its answer) within connect_timeout: a host that
            # accepts TCP and never answers must not take the request timeout (or longer) to fail.
            async with asyncio.timeout(self.connect_timeout):
                ws = await self.http.ws_connect(
                    self.urls.ws,
                    params=params,
                    heartbeat=self.heartbeat,
                    autoping=True,
                    compress=0,
                    timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                )
        except aiohttp.WSServerHandshakeError as exc:
            error = self._handshake_error(exc.status, exc.message, shown)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = AriConnectionError(
                f"cannot reach ARI at {self.urls.rest} ({self._describe(exc)}). {CONFIG_HINT}"
            )
        else:
            self.ws = ws
            self.connected = True
            return ws
        raise error

    def _handshake_error(self, status: int, message: str, shown: str) -> AriError:
        if status == 401:
            return AriAuthError(
                401,
                "Authentication required: ARI refused the user name or password",
                method="GET",
                path=self.urls.path_prefix + "/events",
                reason="Unauthorized",
            )
        if status == 404:
            return AriWebSocketError(
                f"no ARI events WebSocket at {shown} (404): ARI may be disabled. {CONFIG_HINT}"
            )
        return AriWebSocketError(
            f"the events WebSocket at {shown} was refused: {status} {self._redact(message)}"
        )

    def _redact(self, text: str) -> str:
        return self._credentials.redact(strip_url_credentials(str(text)))

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, aiohttp.ClientConnectorError):
            err = exc.os_error
            return f"{type(err).__name__}: {err.strerror or err}" if err is not None else type(exc).__name__
        if isinstance(exc, TimeoutError):
            return f"no answer within {self.connect_timeout} s"
        text = self._redact(str(exc))
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        error: BaseException | None = None
        try:
            while True:
                why = await self._pump(ws)
                self.connected = False
                if self.lane is not None:
                    self.lane.detach(why)
                if self._closing:
                    return
                if self._stop_reading or self.core.replaced:
                    return  # ApplicationReplaced: the core wrote the row; never fight the new owner
                loss_at = time.time()
                self.last_loss_at = loss_at
                self.core.record_connection("loss", why, at=loss_at)
                if not self.reconnect:
                    log.warning("arinb: lost the ARI events WebSocket (%s); reconnect is off", why)
                    error = AriWebSocketError(f"lost the events WebSocket ({why}) and reconnect is off")
                    return
                log.warning("arinb: lost the ARI events WebSocket (%s); reconnecting", why)
                next_ws = await self._reconnect(loss_at)
                if next_ws is None:
                    return
                ws = next_ws
                if self.lane is not None:
                    self.lane.attach(ws)
                    if not self.lane.confirmed:
                        self._start_probe(self.lane)  # the first probe's socket dropped before it answered
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must not pass silently
            log.exception("arinb: the events reader stopped")
            error = exc
        finally:
            if self.lane is not None:
                self.lane.detach("the events reader stopped")
            if not self._closing and self.on_gone is not None:
                self.on_gone(error)

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Read frames until the socket ends; returns why it ended. The hot path.

        One ``ws.receive()`` per batch: it waits for data and handles everything that is not a data frame
        (ping, close, error, a closing socket). Then the frames aiohttp's parser already queued from the same
        socket reads are drained in a row from its queue (``_queued_reader``; each read returns at once,
        without a loop turn), while the front of the queue is a text frame. They all arrived before the drain
        began (nothing is read from the socket meanwhile), so they share one receive time.
        """
        receive = ws.receive
        queued = _queued_reader(ws)
        buffer, read_queued = queued if queued is not None else (deque(), receive)
        feed = self.core.feed_frame
        lane = self.lane
        now = time.time
        text_type = aiohttp.WSMsgType.TEXT
        binary_type = aiohttp.WSMsgType.BINARY
        try:
            while True:
                msg = await receive()
                received_at = now()
                kind = msg.type
                if kind is not text_type and kind is not binary_type:
                    if kind is aiohttp.WSMsgType.ERROR:
                        return f"error: {self._redact(str(msg.data))}"
                    code = ws.close_code
                    if code is None or code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE:
                        # 1006 is aiohttp's own code for a socket that ended without a close frame (a cut
                        # network, a killed server): nobody closed it.
                        return "connection lost (no close frame)"
                    return f"closed by the server (code {code})"
                # Nothing below gives the loop a turn (read_queued returns at once), so the socket cannot
                # close under the drain: one look at ws.closed per batch.
                drain = not ws.closed
                data = msg.data
                while True:
                    if lane is not None and kind is text_type and data.startswith(RESPONSE_PREFIX):
                        lane.feed(data)  # a reply to one of our RESTRequests, not an event
                    else:
                        try:
                            feed(data, received_at)
                        except Exception:
                            log.exception("arinb: event intake failed on a frame (kept reading)")
                        if self._stop_reading:
                            return "stopped"
                    if not (drain and buffer and buffer[0][0][0] is text_type):
                        break
                    msg = await read_queued()  # returns at once: the frame is already parsed and queued
                    kind = text_type
                    data = msg[1]  # WSMessage is a tuple (type, data, extra): cheaper than the property
                if self._catch_up is None and self.core.timeline_backlog():
                    self._arm_catch_up()
        finally:
            if not ws.closed:
                await ws.close()

    def _arm_catch_up(self) -> None:
        self._catch_up = asyncio.get_running_loop().call_later(
            CATCH_UP_QUIET, self._catch_up_tick, self.core.events_received
        )

    def _catch_up_tick(self, seen: int) -> None:
        """The timeline keeps frames whose rows it has not built (intake only hands it the text): build them
        once the socket has been quiet for ``CATCH_UP_QUIET`` s, and while events keep pouring in, build the
        oldest quarter whenever more than ``CATCH_UP_BACKLOG`` wait (a later ``tl.df`` stays quick)."""
        self._catch_up = None
        core = self.core
        backlog = core.timeline_backlog()
        if not backlog or self._closing:
            return
        if core.events_received == seen:
            core.build_timeline()
            return
        if backlog >= CATCH_UP_BACKLOG:
            core.build_timeline(CATCH_UP_BACKLOG // 4)
        self._arm_catch_up()

    async def _reconnect(self, loss_at: float) -> aiohttp.ClientWebSocketResponse | None:
        attempt = 0
        while not self._closing and not self._stop_reading:
            delay = min(self.backoff_max, self.backoff_initial * (2**attempt))
            await asyncio.sleep(random.uniform(delay / 2, delay))  # jitter: many clients do not retry in step
            if self._closing:
                return None
            try:
                ws = await self._connect_ws()
            except AriError as exc:
                attempt += 1
                if attempt == 1:
                    log.warning("arinb: reconnect failed (%s); retrying with backoff", exc)
                else:
                    log.debug("arinb: reconnect attempt %d failed: %s", attempt, exc)
                continue
            at = time.time()
            self.reconnects += 1
            self.core.record_connection(
                "reconnect",
                f"{self._display_ws()} after a {at - loss_at:.3f} s gap "
                f"(lost at {loss_at:.3f}, back at {at:.3f})",
                at=at,
            )
            log.warning("arinb: events WebSocket back after %.3f s", at - loss_at)
            if self.on_reconnected is not None:
                # Run beside the reader, not before it: the frames already waiting on the new socket must be
                # taken in before the checks' GETs are answered (see caught_up).
                self._after = asyncio.get_running_loop().create_task(
                    self._run_after(self.on_reconnected), name="arinb-after-reconnect"
                )
            return ws
        return None

    @staticmethod
    async def _run_after(work: Callable[[], Any]) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("arinb: the work after the reconnect failed")

    async def caught_up(self) -> None:
        """Return once the reader has fed every frame that had arrived on the socket when this was called.

        Frames the socket already received are parsed into aiohttp's queue as soon as the loop reads the
        socket; the reader then feeds them one loop turn each. Yielding until that queue is empty (bounded)
        puts them ahead of whatever the caller does next.
        """
        ws = self.ws
        queued = _queued_reader(ws) if ws is not None else None
        for _ in range(1000):
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            if queued is None or not queued[0]:
                break
        await asyncio.sleep(0)

    # ------------------------------------------------------------------ REST

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        *,
        accept_bytes: bool = False,
    ) -> Any:
        """One ARI REST call; ``path`` is below ``/ari`` and percent-encoded (``/channels/1.1/answer``).

        Returns the parsed JSON body, None for 204, bytes for a binary body when ``accept_bytes``.
        """
        http = self.http
        if http is None or http.closed or self._closing:
            raise SessionClosed(f"{method} {path}: the session is closed")
        lane = self.lane
        if lane is not None and not accept_bytes and lane.takes(method, path):
            try:
                return await self._request_ws(lane, method, path, params, json)
            except WsRequestDropped:
                if not retries_over_http(method):
                    raise
                # Caught by a dropped socket, and safe to send again: once more, over HTTP.
        query = encode_params(params)
        shown_path = self.urls.path_prefix + path
        url = URL(self.urls.rest + path, encoded=True)
        sent_at = time.time()
        started = time.perf_counter()
        error: AriError | None = None
        try:
            async with http.request(method, url, params=query or None, json=json) as resp:
                data = await resp.read()
                status = resp.status
                reason = resp.reason or ""
                content_type = resp.content_type
        except TimeoutError:
            elapsed = time.perf_counter() - started
            self.core.record_request(
                method, shown_path, query, None, sent_at, elapsed, error="timeout", transport="http"
            )
            error = AriTimeoutError(f"{method} {shown_path} got no answer within {self.request_timeout} s")
        except (aiohttp.ClientError, OSError) as exc:
            elapsed = time.perf_counter() - started
            why = self._describe(exc)
            self.core.record_request(
                method, shown_path, query, None, sent_at, elapsed, error=why, transport="http"
            )
            error = AriConnectionError(
                f"{method} {shown_path}: cannot reach ARI at {self.urls.rest} ({why}). {CONFIG_HINT}"
            )
        if error is not None:
            raise error  # outside the except blocks, so that aiohttp's error is not its context
        elapsed = time.perf_counter() - started

        body: Any = None
        row_body: Any = None
        if data:
            if content_type == "application/json" or (not accept_bytes and data[:1] in (b"{", b"[")):
                try:
                    body = loads(data)
                    row_body = data.decode("utf-8", "replace")
                except ValueError:
                    body = row_body = data.decode("utf-8", "replace")
            elif accept_bytes:
                body = data
                row_body = f"<{len(data)} bytes {content_type}>"
            else:
                body = row_body = data.decode("utf-8", "replace")
        self.core.record_request(
            method,
            shown_path,
            query,
            status,
            sent_at,
            elapsed,
            reason=reason,
            body=row_body,
            transport="http",
        )
        if status >= 400:
            raise http_error(status, body, method=method, path=shown_path, reason=reason)
        return body

    async def _request_ws(
        self, lane: WsRequests, method: str, path: str, params: dict[str, Any] | None, json: Any
    ) -> Any:
        """One REST call as a RESTRequest on the events WebSocket: same result, errors and row as HTTP."""
        query = encode_params(params)
        shown_path = self.urls.path_prefix + path
        sent_at = time.time()
        started = time.perf_counter()
        try:
            status, reason, content_type, text = await lane.request(method, path, query, json)
        except AriTimeoutError:
            elapsed = time.perf_counter() - started
            self.core.record_request(
                method, shown_path, query, None, sent_at, elapsed, error="timeout", transport="websocket"
            )
            raise AriTimeoutError(
                f"{method} {shown_path} got no answer within {self.request_timeout} s"
            ) from None
        except WsRequestDropped as exc:
            elapsed = time.perf_counter() - started
            self.core.record_request(
                method, shown_path, query, None, sent_at, elapsed, error=str(exc), transport="websocket"
            )
            raise WsRequestDropped(f"{method} {shown_path}: {exc}") from None
        elapsed = time.perf_counter() - started
        body: Any = None
        if text:
            if content_type == "application/json":
                try:
                    body = loads(text)
                except ValueError:
                    body = text
            else:
                body = text
        self.core.record_request(
            method,
            shown_path,
            query,
            status,
            sent_at,
            elapsed,
            reason=reason,
            body=text,
            transport="websocket",
        )
        if status >= 400:
            raise http_error(status, body, method=method, path=shown_path, reason=reason)
        return body
