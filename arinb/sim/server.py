"""The simulator's network layer: an aiohttp server that speaks ARI the way Asterisk 22 does.

The server is thin. It authenticates, finds the operation in the route table, turns the request into
``(key, path_params, query, body)`` and lets the socket-free engine decide every ARI status and message.
It answers only what Asterisk answers before any resource code runs: 401 (bad or missing credentials),
404 ``Resource not found``, 405 ``Invalid method``, the trailing-slash 404, the api-docs, and the events
WebSocket handshake errors. Anything unexpected becomes a 500 JSON body, logged once; the server keeps going.

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
import ipaddress
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, unquote_plus

from aiohttp import WSCloseCode, WSMsgType, web

from arinb.credentials import Credentials
from arinb.models import dumps, loads
from arinb.sim import apidocs
from arinb.sim.routes import ROUTER, MethodNotAllowed, Operation, ResourceNotFound

__all__ = ["DEFAULT_PASSWORD", "SERVER_HEADER", "AppConnection", "Engine", "SimServer", "is_loopback"]

log = logging.getLogger("arinb.sim")

SERVER_HEADER = "Asterisk/22.10.1"
DEFAULT_PASSWORD = "asterisk"
REALM = "Asterisk REST Interface"
MAX_BODY = 1 << 20

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

# ast_true(): the spellings Asterisk accepts as "yes" for a boolean parameter such as subscribeAll.
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


class AppConnection(Protocol):
    def close(self) -> None: ...


class Engine(Protocol):
    """What the server needs from ``arinb.sim.engine.SimEngine``."""

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


def _json_response(
    status: int, body: Any, *, reason: str | None = None, headers: Mapping[str, str] | None = None
) -> web.Response:
    response = web.Response(
        status=status, reason=reason or _REASONS.get(status), body=dumps(body).encode(), headers=headers
    )
    # Set after construction so aiohttp does not append "; charset=utf-8": Asterisk sends the bare type.
    response.headers["Content-Type"] = "application/json"
    return response


def _error(status: int, message: str, *, reason: str | None = None) -> web.Response:
    return _json_response(status, {"message": message}, reason=reason)


def _unauthorized() -> web.Response:
    response = _error(401, "Authentication required")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


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
    """

    def __init__(
        self,
        engine: Engine,
        credentials: Credentials,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.engine = engine
        self.credentials = credentials
        self.host = host
        self.port = port
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_route("*", "/ari", self._handle)
        self.app.router.add_route("*", "/ari/{tail:.*}", self._handle)
        self.app.router.add_route("*", "/{tail:.*}", self._outside_ari)
        self.app.on_response_prepare.append(self._server_header)

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
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        # Concurrently: each close waits for its client's answering close frame.
        await asyncio.gather(
            *(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
                for ws in list(self._sockets)
            ),
            return_exceptions=True,
        )
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    async def _server_header(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = SERVER_HEADER

    async def _outside_ari(self, _request: web.Request) -> web.StreamResponse:
        return _error(404, "The requested URL was not found on this server.")

    # ---- requests ---------------------------------------------------------------------------------

    def _authenticated(self, request: web.Request, pairs: list[tuple[str, str]]) -> bool:
        # As Asterisk: an Authorization header decides alone; otherwise the FIRST api_key=user:password.
        header = request.headers.get("Authorization")
        if header is not None:
            creds = _basic_auth(header)
            if creds is not None:
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

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True, max_num_fields=10_000)
        if not self._authenticated(request, pairs):
            return _unauthorized()
        raw_tail = request.rel_url.raw_path[len("/ari") :].lstrip("/")
        if raw_tail.endswith("/"):
            return _error(404, f"ARI URLs do not end with a slash. Try /ari/{unquote(raw_tail[:-1])}")
        if raw_tail.startswith("api-docs/"):
            return self._api_docs(request, unquote(raw_tail[len("api-docs/") :]))
        segments = [unquote_plus(s) for s in raw_tail.split("/")]
        try:
            match = ROUTER.match(request.method, segments)
        except ResourceNotFound:
            return _error(404, "Resource not found")
        except MethodNotAllowed as e:
            if request.method == "OPTIONS":
                return web.Response(status=204, headers={"Allow": ", ".join(("OPTIONS", *e.allowed))})
            return _error(405, "Invalid method")
        operation = match.operation
        # A repeated name keeps its LAST value, as in Asterisk. The api_key never goes further than here.
        query = {name: value for name, value in pairs if name.lower() != "api_key"}
        if operation.websocket:
            return await self._events(request, query)
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            form = parse_qsl((await request.read()).decode("utf-8", "replace"), keep_blank_values=True)
            query.update(form)  # Asterisk appends form fields after the query string
            body: Any = None
        else:
            parsed = await self._json_body(request)
            if isinstance(parsed, web.Response):
                return parsed
            body = parsed
        if isinstance(body, dict):
            for p in operation.params_of("query"):
                if p.name in body and (value := _to_query_value(body[p.name])) is not None:
                    query[p.name] = value
        return await self._call_engine(operation, match.path_params, query, body)

    @staticmethod
    async def _json_body(request: web.Request) -> Any:
        if request.content_type != "application/json" or not request.body_exists:
            return None
        raw = await request.read()
        if not raw.strip():
            return None
        try:
            return loads(raw)
        except ValueError:
            return _error(400, "Error parsing request body")

    async def _call_engine(
        self, operation: Operation, path_params: dict[str, str], query: dict[str, str], body: Any
    ) -> web.StreamResponse:
        try:
            reply = await self.engine.handle(operation.key, path_params, query, body)
        except KeyError as e:
            if e.args != (operation.key,):
                raise
            return _error(501, f"{operation.key} is not implemented by the arinb simulator")
        return self._reply(reply)

    @staticmethod
    def _reply(reply: Any) -> web.StreamResponse:
        status = int(reply.status)
        reason = getattr(reply, "reason", None) or _REASONS.get(status)
        headers = dict(getattr(reply, "headers", None) or {})
        body = getattr(reply, "body", None)
        content_type = getattr(reply, "content_type", None)
        if isinstance(body, bytes | bytearray | memoryview):
            response = web.Response(status=status, reason=reason, body=bytes(body), headers=headers)
            response.headers["Content-Type"] = content_type or "application/octet-stream"
            return response
        if body is None:
            return web.Response(status=status, reason=reason, headers=headers)
        response = _json_response(status, body, reason=reason, headers=headers)
        if content_type:
            response.headers["Content-Type"] = content_type
        return response

    def _api_docs(self, request: web.Request, name: str) -> web.Response:
        if request.method != "GET":
            return _error(405, "Unsupported method")
        base = apidocs.base_path(request.headers.get("Host"))
        doc: dict[str, Any] | None
        if name == "resources.json":
            doc = apidocs.resource_listing(base)
        elif name.endswith(".json"):
            doc = apidocs.api_declaration(name[: -len(".json")], base)
        else:
            doc = None
        if doc is None:
            return _error(404, "Resource not found")
        return _json_response(200, doc)

    # ---- the events WebSocket ---------------------------------------------------------------------

    async def _events(self, request: web.Request, query: dict[str, str]) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("ari",), autoping=True, max_msg_size=MAX_BODY)
        if not ws.can_prepare(request).ok:
            return _error(426, "Upgrade Required")
        apps = [a for a in query.get("app", "").split(",") if a]
        if not apps:
            return _error(400, "HTTP request is missing param: [app]")
        subscribe_all = query.get("subscribeAll", "").strip().lower() in _TRUE
        await ws.prepare(request)
        self._sockets.add(ws)
        outbox: asyncio.Queue[str | None] = asyncio.Queue()
        writer = asyncio.create_task(self._write(ws, outbox), name="arinb-sim-ws-writer")
        conn: AppConnection | None = None

        def drop() -> None:
            # A fault asked for a dropped connection: cut the TCP stream, no close frame, like a lost network.
            outbox.put_nowait(None)
            transport = request.transport
            if transport is not None:
                transport.abort()

        try:
            conn = self.engine.connect_app(apps, subscribe_all, outbox.put_nowait, drop)
            async for msg in ws:
                # Asterisk ignores what a client says on the events socket; close and errors end it.
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        except Exception:
            log.exception("arinb simulator: events WebSocket for %s failed", ",".join(apps))
        finally:
            self._sockets.discard(ws)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            outbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 1.0)
            writer.cancel()
            if not ws.closed:
                await ws.close()
        return ws

    @staticmethod
    async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[str | None]) -> None:
        while (text := await outbox.get()) is not None:
            if ws.closed:
                return
            try:
                await ws.send_str(text)
            except (ConnectionResetError, RuntimeError):
                return

    def __repr__(self) -> str:
        state = "listening" if self._runner is not None else "stopped"
        user = self.credentials.username
        return f"<SimServer {self.url} {state}, {len(self._sockets)} WebSocket(s), user={user!r}>"
