"""A small scripted ARI server for client tests (127.0.0.1 only), on its own loop thread.

It answers like Asterisk where the tests need it (401 with ``{"message": "Authentication required"}``, 404
``Resource not found``, JSON error bodies) and otherwise does what a test scripts: routes that return a
status and body, hang, or emit events before replying; events pushed to every open WebSocket; sockets dropped.
It runs on a separate thread so that the client sees it as a separate server (and a test that blocks its own
thread with ``time.sleep`` does not stall it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from aiohttp import WSCloseCode, WSMsgType, web

from arinb.loop import EngineLoop
from arinb.models import dumps, format_timestamp


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    reason: str | None = None
    content_type: str | None = None


@dataclass
class FakeRequest:
    method: str
    path: str  # below /ari, e.g. /channels/1.1/play/pb-1
    query: list[tuple[str, str]]
    json: Any
    match: dict[str, str] = field(default_factory=dict)
    raw_query: str = ""

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)  # last value wins, as in Asterisk


Handler = Callable[[FakeRequest], Awaitable[Reply] | Reply]


def channel_json(channel_id: str, state: str = "Ring", name: str | None = None) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name or f"Local/1003@default-00000001;2-{channel_id}",
        "state": state,
        "protocol_id": "",
        "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "default",
            "exten": "1003",
            "priority": 2,
            "app_name": "Stasis",
            "app_data": "t",
        },
        "creationtime": "2026-11-26T12:17:03.104+0000",
        "language": "en",
    }


def playback_json(
    pid: str, channel_id: str, media: str = "sound:beep", state: str = "playing"
) -> dict[str, Any]:
    return {
        "id": pid,
        "media_uri": media,
        "target_uri": f"channel:{channel_id}",
        "language": "en",
        "state": state,
    }


class FakeAri:
    """``with FakeAri() as ari:`` gives ``ari.url``; script it with ``route``, ``emit``, ``drop``."""

    def __init__(
        self, username: str = "asterisk", password: str = "asterisk", app_name: str = "test"
    ) -> None:
        self.username = username
        self.password = password
        self.app_name = app_name
        self.engine = EngineLoop(f"fakeari-{id(self):x}")
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_connects: list[dict[str, str]] = []
        self.requests: list[FakeRequest] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._runner: web.AppRunner | None = None
        self._hang = asyncio.Event()  # set at stop so hanging handlers end
        self.port = 0
        self.url = ""
        self.ws_refuse: int | None = None  # answer the next handshakes with this status
        # Answer RESTRequest frames on the events socket, one at a time per socket (Asterisk 22); when
        # False the socket ignores what the client says (older Asterisk).
        self.ws_rest = False
        self.rest_mode = "http"  # what a parametrized test passes as connect(rest=...)
        self.ws_requests = 0  # how many RESTRequests the sockets answered
        self.ws_received = 0  # how many RESTRequests the sockets received (answered or still queued)
        self.on_connect: list[dict[str, Any]] = []  # sent once, right after the next WebSocket connects

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeAri:
        self.engine.run_sync(lambda: None)
        self.engine.submit(self._start()).result(10)
        return self

    async def _start(self) -> None:
        self._hang = asyncio.Event()
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        # No access log: it would print the api_key query of the WebSocket handshake.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._runner is not None:
            self.engine.submit(self._stop()).result(10)
        self.engine.stop()
        if not self.engine.loop.is_running():
            self.engine.loop.close()  # EngineLoop.stop leaves the loop (and its self-pipe sockets) open

    async def _stop(self) -> None:
        self._hang.set()
        for ws in list(self.sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()
        self._runner = None

    def restart(self, downtime: float = 0.0) -> None:
        """Stop the server (sockets dropped) and start it again on the same port, like a process restart."""
        self.engine.submit(self._stop()).result(10)
        time.sleep(downtime)
        self.engine.submit(self._start()).result(10)

    def __enter__(self) -> FakeAri:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting
    def route(self, method: str, template: str, handler: Handler | Reply) -> None:
        """Answer ``method template`` (below /ari, ``{name}``: one segment; ``*``: any path) with a Reply
        or a handler. The latest route added wins."""
        body = ".*" if template == "*" else re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        pattern = re.compile("^" + body + "$")
        h: Handler = (lambda _req, r=handler: r) if isinstance(handler, Reply) else handler
        self._routes.insert(0, (method.upper(), pattern, h))

    def event(self, etype: str, **fields: Any) -> dict[str, Any]:
        ev: dict[str, Any] = {"type": etype, "timestamp": format_timestamp(time.time())}
        ev.update(fields)
        ev.setdefault("asterisk_id", "02:fc:00:00:00:01")
        ev.setdefault("application", self.app_name)
        return ev

    def emit(self, *events: dict[str, Any] | str) -> None:
        """Send events (dicts, or raw text for malformed frames) to every open socket, in order."""
        self.engine.submit(self.send(*events)).result(10)

    async def send(self, *events: dict[str, Any] | str) -> None:
        for ev in events:
            text = ev if isinstance(ev, str) else dumps(ev)
            for ws in list(self.sockets):
                if not ws.closed:
                    await ws.send_str(text)

    def drop(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close every events WebSocket from the server side."""

        async def go() -> None:
            for ws in list(self.sockets):
                await ws.close(code=code)

        self.engine.submit(go()).result(10)

    def abort(self) -> None:
        """Cut every events WebSocket's TCP connection without a close frame (a network error)."""

        async def go() -> None:
            for ws in list(self.sockets):
                req = getattr(ws, "_req", None)
                transport = req.transport if req is not None else None
                if transport is not None:
                    transport.abort()

        self.engine.submit(go()).result(10)

    def open_sockets(self) -> int:
        return sum(1 for ws in self.sockets if not ws.closed)

    def wait_sockets(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.open_sockets() != n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} open sockets, have {self.open_sockets()}")
            time.sleep(0.01)

    # ------------------------------------------------------------------ handlers
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            if user == self.username and pw == self.password:
                return True
        key = request.query.get("api_key")
        return key == f"{self.username}:{self.password}"

    @staticmethod
    def _json(
        status: int, body: Any, reason: str | None = None, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.Response(
            status=status, reason=reason, text=dumps(body), content_type="application/json", headers=headers
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        key = request.query.get("api_key")
        if key != f"{self.username}:{self.password}":
            return self._json(
                401,
                {"message": "Authentication required"},
                headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
            )
        if self.ws_refuse is not None:
            return self._json(self.ws_refuse, {"message": "refused by test"})
        if not request.query.get("app"):
            return self._json(400, {"message": "Missing parameter app"})
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws_connects.append({k: v for k, v in request.query.items() if k != "api_key"})
        self.sockets.append(ws)
        # RESTRequests run in order, one at a time, as on Asterisk 22 (a worker, so reading goes on).
        inbox: asyncio.Queue[str] = asyncio.Queue()

        async def work() -> None:
            while True:
                await self._ws_request(ws, await inbox.get())

        worker = asyncio.ensure_future(work())
        pending, self.on_connect = self.on_connect, []
        for ev in pending:
            await ws.send_str(dumps(ev))
        try:
            async for msg in ws:
                if self.ws_rest and msg.type == WSMsgType.TEXT:
                    self.ws_received += not _is_probe(msg.data)
                    inbox.put_nowait(msg.data)
        finally:
            worker.cancel()
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _ws_request(self, ws: web.WebSocketResponse, text: str) -> None:
        msg = json.loads(text)
        uri, _, raw_query = str(msg.get("uri", "")).partition("?")
        query = [(q["name"], q["value"]) for q in msg.get("query_strings") or []]
        body = json.loads(msg["message_body"]) if msg.get("message_body") else None
        req = FakeRequest(msg.get("method", ""), "/" + unquote(uri), query, body, raw_query=raw_query)
        probe = _is_probe(text)
        self.ws_requests += not probe
        reply = await self._answer(req, record=not probe)
        out: dict[str, Any] = {
            "type": "RESTResponse",
            "transaction_id": msg.get("transaction_id", ""),
            "request_id": msg.get("request_id", ""),
            "status_code": reply.status,
            "reason_phrase": reply.reason or HTTPStatus(reply.status).phrase,
            "uri": uri,
        }
        if isinstance(reply.body, bytes):
            out["status_code"], out["reason_phrase"] = 406, "Not Acceptable.  Use HTTP GET"
        elif reply.status != 204 and reply.body is not None:
            out["content_type"] = "application/json"
            out["message_body"] = dumps(reply.body)
        out.update(application=self.app_name, timestamp=format_timestamp(time.time()), asterisk_id="fake")
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(dumps(out))

    async def _answer(self, req: FakeRequest, record: bool = True) -> Reply:
        if record:
            self.requests.append(req)
        for method, pattern, handler in self._routes:
            m = pattern.match(req.path)
            if m and method in (req.method, "*"):
                req.match = m.groupdict()
                result = handler(req)
                reply = await result if asyncio.iscoroutine(result) else result
                assert isinstance(reply, Reply)
                return reply
        return Reply(404, {"message": "Resource not found"})

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._json(
                401,
                {"message": "Authentication required"},
                headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
            )
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            text = await request.text()
            if text:
                body = json.loads(text)
        req = FakeRequest(
            request.method, path, list(request.query.items()), body, raw_query=request.query_string
        )
        reply = await self._answer(req)
        if reply.status == 204:
            return web.Response(status=204)
        if isinstance(reply.body, bytes):
            return web.Response(
                status=reply.status,
                body=reply.body,
                content_type=reply.content_type or "application/octet-stream",
            )
        return self._json(reply.status, reply.body, reply.reason)

    async def hang(self, _req: FakeRequest) -> Reply:
        """A handler that never answers (until the server stops)."""
        await self._hang.wait()
        return Reply(500, {"message": "server stopped"})


def _is_probe(text: str) -> bool:
    """Whether a RESTRequest frame is arinb's connect-time probe (its id ends in ``-probe``)."""
    try:
        msg = json.loads(text)
    except ValueError:
        return False
    return isinstance(msg, dict) and str(msg.get("transaction_id", "")).endswith("-probe")
