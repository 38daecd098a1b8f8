"""The bench's ARI stand-in: a loopback aiohttp server in its own process.

It answers just what ARI clients do at start-up and in the REST benchmark, and streams events:

* ``GET /ari/api-docs/resources.json`` and ``/ari/api-docs/{name}.json``: Asterisk's Swagger documents,
  with ``basePath`` rewritten to this server as Asterisk does (from ``arinb.sim.apidocs`` when the
  simulator provides it, else from Asterisk 22's own declarations in ``shared/ari/api-docs``);
* ``GET /ari/applications[/{app}]``, ``GET /ari/asterisk/info``: application registration and info bodies;
* ``POST /ari/channels/{id}/answer``: 204, the REST round-trip under test; the same as a RESTRequest
  frame on the events WebSocket (Asterisk 22's REST over WebSocket), answered one at a time;
* ``GET /ari/events`` (WebSocket): in ``--mode intake``, ``--events`` pre-serialized real-shaped events
  then the marker, written as pre-encoded frames straight to the transport so the server is never the
  bottleneck; in ``--mode rest`` the socket stays open and quiet.

Run: ``python3 bench/intake_server.py --mode intake --events 200000``; it prints ``PORT <n>`` when ready
and serves until stdin closes (the runner holds the pipe).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _events

try:
    import orjson

    _loads: Callable[[str], Any] = orjson.loads

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

except ImportError:  # pragma: no cover - the project depends on orjson
    _loads = json.loads

    def _dumps(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"))


_NOT_FOUND = {"message": "Resource not found"}
#: Streaming starts this long after the handshake, so that a client that registers its handlers right
#: after connecting (as several do) sees the first event; the clock starts at the first event anyway.
START_DELAY = 0.25
CHUNK = 1 << 20


def _apidoc_source() -> tuple[str, Callable[[str, str], dict[str, Any] | None]]:
    """Where the Swagger documents come from: the simulator's writer once it exists, else Asterisk's own."""
    try:
        from arinb.sim import apidocs
        from arinb.sim.routes import RESOURCES

        names = {str(getattr(r, "name", r)) for r in RESOURCES}

        def from_sim(name: str, base: str) -> dict[str, Any] | None:
            if name == "resources":
                return apidocs.resource_listing(base)
            return apidocs.api_declaration(name, base) if name in names else None

        return "arinb.sim.apidocs", from_sim
    except Exception:
        folder = _events.SHARED_ARI / "api-docs"
        docs = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}

        def from_files(name: str, base: str) -> dict[str, Any] | None:
            doc = docs.get(name)
            return None if doc is None else dict(doc, basePath=base)

        return "shared/ari/api-docs", from_files


class BenchServer:
    def __init__(self, mode: str, frames: list[bytes]) -> None:
        self.mode = mode
        self.stream = [
            b"".join(_events.ws_text_frame(f) for f in frames[i : i + 2048])
            for i in range(0, len(frames), 2048)
        ]
        self.docs_source, self.docs = _apidoc_source()
        self.unknown: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ari/api-docs/{name}", self.apidoc)
        app.router.add_get("/ari/events", self.events)
        app.router.add_get("/ari/applications", self.applications)
        app.router.add_get("/ari/applications/{app}", self.application)
        app.router.add_get("/ari/asterisk/info", self.info)
        app.router.add_post("/ari/channels/{channelId}/answer", self.answer)
        app.router.add_route("*", "/{tail:.*}", self.fallback)
        return app

    async def apidoc(self, request: web.Request) -> web.Response:
        name = request.match_info["name"].removesuffix(".json")
        doc = self.docs(name, f"http://{request.host}/ari")
        if doc is None:
            return web.json_response(_NOT_FOUND, status=404)
        return web.json_response(doc)

    async def applications(self, request: web.Request) -> web.Response:
        return web.json_response([_app_body(_events.APP)])

    async def application(self, request: web.Request) -> web.Response:
        return web.json_response(_app_body(request.match_info["app"]))

    async def info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "system": {"version": "22.10.1", "entity_id": "02:fc:00:00:00:01"},
                "config": {"name": "", "default_language": "en"},
                "status": {},
                "build": {},
            }
        )

    async def answer(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def fallback(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path}")
        print(f"bench server: unknown {request.method} {request.path}", file=sys.stderr, flush=True)
        return web.json_response(_NOT_FOUND, status=404)

    async def events(self, request: web.Request) -> web.StreamResponse:
        if "app" not in request.query:
            return web.json_response({"message": "Missing app"}, status=400)
        ws = web.WebSocketResponse(compress=False, autoping=True)
        await ws.prepare(request)
        if self.mode == "intake":
            await asyncio.sleep(START_DELAY)
            transport = request.transport
            assert transport is not None
            for chunk in self.stream:
                transport.write(chunk)
                # Back-pressure without per-frame work: wait while the socket buffer is full.
                while transport.get_write_buffer_size() > 4 * CHUNK:
                    await asyncio.sleep(0.0005)
                    if transport.is_closing():
                        return ws
        async for msg in ws:  # hold the socket until the client leaves; answer RESTRequests on it
            if msg.type == WSMsgType.CLOSE:
                break
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(self.rest_over_ws(msg.data))
        return ws

    def rest_over_ws(self, text: str) -> str:
        """A RESTResponse as Asterisk 22 writes it (key order, 204 without a body), one at a time."""
        req = _loads(text)
        method, uri = req.get("method"), str(req.get("uri", ""))
        body: str | None = None
        if method == "POST" and uri.startswith("channels/") and uri.endswith("/answer"):
            status, reason = 204, "No Content"
        elif method == "GET" and uri == "asterisk/ping":
            status, reason = 200, "OK"
            body = (
                '{"ping":"pong","timestamp":"2026-12-06T06:33:09.511+0000","asterisk_id":"02:fc:00:00:00:01"}'
            )
        else:
            status, reason, body = 404, "Not Found", '{"message":"Resource not found"}'
            self.unknown.append(f"{method} {uri} (websocket)")
        reply: dict[str, Any] = {
            "type": "RESTResponse",
            "transaction_id": req.get("transaction_id", ""),
            "request_id": req.get("request_id", ""),
            "status_code": status,
            "reason_phrase": reason,
            "uri": uri.partition("?")[0],
        }
        if body is not None:
            reply["content_type"] = "application/json"
            reply["message_body"] = body
        reply.update(
            application=_events.APP, timestamp="2026-12-06T06:33:09.511+0000", asterisk_id="02:fc:00:00:00:01"
        )
        return _dumps(reply)


def _app_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "channel_ids": [],
        "bridge_ids": [],
        "endpoint_ids": [],
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("intake", "rest"), default="intake")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    frames = _events.build_frames(args.events) if args.mode == "intake" else []
    server = BenchServer(args.mode, frames)
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port} DOCS {server.docs_source}", flush=True)
    # Serve until the runner closes our stdin.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
