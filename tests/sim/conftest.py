"""Fixtures for the simulator's network tests: a stand-in engine and a running SimServer on loopback.

The stand-in follows the engine contract in docs/architecture.md (``handle`` -> Reply, ``connect_app``), so
the server can be tested on its own: what it must do (auth, routing, parsing, errors, WebSocket plumbing)
does not depend on what a channel does.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from arinb.credentials import Credentials
from arinb.models import dumps
from arinb.sim.server import SimServer

USER, PASSWORD = "asterisk", "asterisk"


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class StubReply:
    status: int
    body: Any = None
    reason: str | None = None
    content_type: str | None = None
    headers: dict[str, str] | None = None


@dataclass
class StubConnection:
    apps: list[str]
    subscribe_all: bool
    send: Callable[[str], None]
    on_drop: Callable[[], None] | None = None
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class StubEngine:
    """Answers a handful of operations with canned replies; records what the server passed in."""

    calls: list[tuple[str, dict[str, str], dict[str, str], Any]] = field(default_factory=list)
    connections: list[StubConnection] = field(default_factory=list)
    explode: bool = False

    async def handle(
        self, key: str, path_params: dict[str, str], query: dict[str, str], body: Any
    ) -> StubReply:
        self.calls.append((key, path_params, query, body))
        if key == "asterisk.ping":
            if self.explode:
                raise RuntimeError("engine bug")
            return StubReply(200, {"ping": "pong"})
        if key == "channels.list":
            return StubReply(200, [])
        if key == "channels.get":
            return StubReply(404, {"message": "Channel not found"})
        if key in ("channels.hangup", "channels.answer"):
            # Both raise an event while being handled; the server decides which goes out first.
            event = "ChannelHangupRequest" if key == "channels.hangup" else "ChannelStateChange"
            for conn in self.connections:
                if not conn.closed:
                    conn.send(dumps({"type": event, "channel": {"id": path_params["channelId"]}}))
            return StubReply(204)
        if key == "channels.getChannelVar":
            return StubReply(404, {"message": "Provided variable was not found"}, reason="Variable Not Found")
        if key == "recordings.getStoredFile":
            return StubReply(
                200,
                b"RIFF\x00\x01WAVE",
                content_type="audio/wav",
                headers={"Cache-Control": "no-cache, no-store"},
            )
        if key in ("channels.originate", "channels.playWithId", "channels.setChannelVars"):
            return StubReply(200, {"path": path_params, "query": query, "body": body})
        raise KeyError(key)

    def connect_app(
        self,
        apps: list[str],
        subscribe_all: bool,
        send: Callable[[str], None],
        on_drop: Callable[[], None] | None = None,
    ) -> StubConnection:
        conn = StubConnection(list(apps), subscribe_all, send, on_drop)
        self.connections.append(conn)
        send(dumps({"type": "Hello", "apps": apps, "subscribe_all": subscribe_all}))
        return conn


@pytest.fixture
def stub_engine() -> StubEngine:
    return StubEngine()


@pytest.fixture(params=["fast-lane", "aiohttp"])
async def stub_server(stub_engine: StubEngine, request: pytest.FixtureRequest) -> AsyncIterator[SimServer]:
    # Every server test runs on both lanes: plain REST requests answered by arinb.sim.fasthttp, and all of
    # them by aiohttp.
    srv = SimServer(stub_engine, Credentials(USER, PASSWORD), fast_lane=request.param == "fast-lane")
    await srv.start()
    try:
        yield srv
    finally:
        await srv.close()
