"""A small ARI server the reliability tests control: drop, restart, refuse, hang, fail, send anything.

It speaks just enough ARI for a client session (events WebSocket with ``app``/``api_key``, Basic auth,
``{"message": ...}`` error bodies, application and info bodies, 204 for channel operations) and records
what the client did, so tests can assert on reconnects, resubscription and requests.

    server = await ControlledAri.start(password="pw")
    await server.send(event("StasisStart", channel="1.1"))
    await server.drop()                       # close every events socket (as a crashing Asterisk would)
    await server.restart(down_for=0.5)        # stop listening, then listen again on the same port
    server.script("POST", "/ari/channels/1.1/answer", status=500, body={"message": "boom"})
    server.script("POST", "/ari/channels/1.1/answer", hang=True)
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from arinb.models import dumps, format_timestamp

ASTERISK_ID = "02:fc:00:00:00:01"

#: Distinctive, so that a leak anywhere is found by a plain substring search.
PASSWORD = "Qz7-zebra-SECRET-4711"
#: The app the reliability sessions register.
APP = "rel"


def channel_json(channel_id: str, state: str = "Ring", name: str | None = None) -> dict[str, Any]:
    """A channel object with every field Asterisk 22 sends (README: event shapes)."""
    now = format_timestamp(time.time())
    return {
        "id": channel_id,
        "name": name or f"PJSIP/rel-{channel_id.replace('.', '')}",
        "state": state,
        "protocol_id": "",
        "caller": {"name": "", "number": "alice"},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "default",
            "exten": "1000",
            "priority": 2,
            "app_name": "Stasis",
            "app_data": "rel",
        },
        "creationtime": now,
        "language": "en",
    }


_seq = itertools.count()


def event(
    etype: str, app: str = "rel", channel: str | None = None, state: str = "Ring", **extra: Any
) -> dict[str, Any]:
    """An ARI event as Asterisk writes it (``type``, ``timestamp``, ``asterisk_id``, ``application``)."""
    ev: dict[str, Any] = {"type": etype, "timestamp": format_timestamp(time.time())}
    if etype == "StasisStart":
        ev["args"] = []
    if channel is not None:
        ev["channel"] = channel_json(channel, state)
    ev.update(extra)
    ev["asterisk_id"] = ASTERISK_ID
    ev["application"] = app
    return ev


@dataclass
class Script:
    status: int = 204
    body: Any = None
    hang: bool = False
    raw_body: str | None = None
    times: int | None = None  # None: every time


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    auth: str | None
    at: float


@dataclass
class ControlledAri:
    username: str = "asterisk"
    password: str = "asterisk"
    port: int = 0
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    ws_connects: list[dict[str, str]] = field(default_factory=list)
    ws_attempts: list[float] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    scripts: dict[tuple[str, str], list[Script]] = field(default_factory=dict)
    refuse_ws: int = 0
    hanging: set[asyncio.Future[None]] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(cls, **kw: Any) -> ControlledAri:
        server = cls(**kw)
        await server._listen()
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ control

    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening and close every connection (a crashed or restarted Asterisk)."""
        for fut in list(self.hanging):
            fut.cancel()
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self, down_for: float = 0.3) -> None:
        await self.stop()
        await asyncio.sleep(down_for)
        await self._listen()

    async def drop(self) -> None:
        """Close every events WebSocket from the server side."""
        for ws in list(self.sockets):
            await ws.close(code=1011, message=b"going away")
        self.sockets.clear()
        self._connected.clear()

    async def wait_connected(self, count: int = 1, within: float = 10.0) -> None:
        """Wait until ``count`` WebSocket handshakes in total have succeeded."""
        deadline = time.monotonic() + within
        while len(self.ws_connects) < count or not self.sockets:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.ws_connects)} WebSocket connects, wanted {count}")
            await asyncio.sleep(0.01)

    async def send(self, *events: dict[str, Any] | str) -> None:
        """Send events (dicts, or raw text frames as given) to every open events socket, in order."""
        for ws in list(self.sockets):
            for ev in events:
                await ws.send_str(ev if isinstance(ev, str) else dumps(ev))

    def script(self, method: str, path: str, **kw: Any) -> None:
        """Queue a scripted answer for the next request(s) to ``method path``."""
        self.scripts.setdefault((method.upper(), path), []).append(Script(**kw))

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    # ------------------------------------------------------------------ handlers

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return user == self.username and pw == self.password
        key = request.query.get("api_key", "")
        return key == f"{self.username}:{self.password}"

    @staticmethod
    def _error(status: int, message: str, reason: str | None = None) -> web.Response:
        headers = {"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'} if status == 401 else None
        return web.json_response({"message": message}, status=status, reason=reason, headers=headers)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self.ws_attempts.append(time.monotonic())
        if not self._authorized(request):
            return self._error(401, "Authentication required")
        if "app" not in request.query:
            return self._error(400, "Missing app")
        if self.refuse_ws > 0:
            self.refuse_ws -= 1
            return self._error(503, "Service Unavailable")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws_connects.append(dict(request.query))
        self.sockets.append(ws)
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append(
            Request(
                request.method,
                path,
                dict(request.query),
                request.headers.get("Authorization"),
                time.monotonic(),
            )
        )
        if not self._authorized(request):
            return self._error(401, "Authentication required")
        queue = self.scripts.get((request.method, path))
        if queue:
            s = queue[0]
            if s.times is not None:
                s.times -= 1
                if s.times <= 0:
                    queue.pop(0)
            if s.hang:
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self.hanging.add(fut)
                try:
                    await fut
                finally:
                    self.hanging.discard(fut)
            if s.raw_body is not None:
                return web.Response(status=s.status, text=s.raw_body, content_type="application/json")
            if s.body is None:
                return web.Response(status=s.status)
            return web.json_response(s.body, status=s.status)
        return self._default(request)

    def _default(self, request: web.Request) -> web.Response:
        method, path = request.method, request.path
        parts = path.strip("/").split("/")[1:]  # drop "ari"
        if method == "GET" and parts[:1] == ["applications"]:
            name = parts[1] if len(parts) > 1 else "rel"
            body = {
                "name": name,
                "channel_ids": [],
                "bridge_ids": [],
                "endpoint_ids": [],
                "device_names": [],
                "events_allowed": [],
                "events_disallowed": [],
            }
            return web.json_response(body if len(parts) > 1 else [body])
        if method == "GET" and parts == ["asterisk", "info"]:
            return web.json_response({"system": {"version": "22.10.1", "entity_id": ASTERISK_ID}})
        if method == "GET" and parts == ["asterisk", "ping"]:
            return web.json_response(
                {"asterisk_id": ASTERISK_ID, "ping": "pong", "timestamp": format_timestamp(time.time())}
            )
        if parts[:1] == ["channels"] and len(parts) == 3 and method in ("POST", "DELETE"):
            return web.Response(status=204)  # answer, ring, hangup...: no body
        if parts[:1] == ["channels"] and len(parts) == 2 and method == "GET":
            return web.json_response(channel_json(parts[1], "Up"))
        if parts[:1] == ["channels"] and len(parts) == 2 and method == "DELETE":
            return web.Response(status=204)
        return self._error(404, "Resource not found")
