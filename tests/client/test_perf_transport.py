"""The events reader's fast path: frames aiohttp already queued are taken without ``ws.receive()``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from arinb.client import transport
from arinb.client.core import SessionCore
from arinb.client.transport import Transport, _queued_reader, parse_base_url
from arinb.credentials import Credentials
from arinb.timeline import Timeline


@pytest.fixture
async def server_url() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback WebSocket that sends a burst of frames, a ping and more frames, then closes."""
    seen: list[str] = []

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)  # so that the client's pong reaches us
        await ws.prepare(request)
        burst = int(request.query["n"])
        for i in range(burst):
            await ws.send_str(f'{{"type":"ChannelVarset","variable":"N","value":"{i}"}}')
            if i == burst // 2:
                await ws.ping(b"mid")
        await ws.send_str("not json")  # recorded as malformed, reading goes on
        async for msg in ws:  # the client's answer to the ping
            if msg.type == aiohttp.WSMsgType.PONG:
                seen.append("pong")
            break
        await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"bye")
        return ws

    app = web.Application()
    app.router.add_get("/ari/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/ari/events", seen
    finally:
        await runner.cleanup()


def _transport(core: SessionCore) -> Transport:
    return Transport(parse_base_url("http://127.0.0.1:1"), Credentials("u", "p"), ["app"], False, core)


async def _pump(
    url: str, core: SessionCore, n: int, fast: bool, monkeypatch: pytest.MonkeyPatch, taken: list[int]
) -> str:
    if fast:
        real = transport._queued_reader

        def counting(ws: Any) -> Any:
            found = real(ws)
            if found is None:
                return None
            buffer, read = found

            def counted() -> Any:
                taken[0] += 1
                return read()

            return buffer, counted

        monkeypatch.setattr(transport, "_queued_reader", counting)
    else:
        monkeypatch.setattr(transport, "_queued_reader", lambda ws: None)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, params={"n": str(n)}, autoping=True)
        # Fails if an aiohttp upgrade changed the queue layout: the reader then silently uses receive() only.
        assert (transport._queued_reader(ws) is not None) is fast
        # Let the whole burst arrive first, so that most frames are taken from the queue.
        await asyncio.sleep(0.2)
        return await asyncio.wait_for(_transport(core)._pump(ws), 20)


@pytest.mark.parametrize("fast", [True, False], ids=["queued", "receive-only"])
async def test_every_frame_in_order_and_the_close_is_seen_either_way(
    server_url: tuple[str, list[str]], fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = server_url
    tl = Timeline()
    core = SessionCore(tl)
    values: list[str] = []
    core.on("ChannelVarset", lambda ev: values.append(ev["value"]))
    taken = [0]
    why = await _pump(url, core, 3000, fast, monkeypatch, taken)
    assert values == [str(i) for i in range(3000)]
    assert core.malformed == 1 and len(tl) == 3001
    assert why == "closed by the server (code 1001)"
    assert seen == ["pong"]  # the ping in the middle of the burst was answered (receive() handled it)
    if fast:
        assert taken[0] > 1500  # most of the burst came straight from the queue


def test_an_aiohttp_without_the_known_queue_layout_falls_back_to_receive() -> None:
    class Public:
        async def receive(self) -> Any: ...

    class OtherQueue:
        def __init__(self) -> None:
            self._buffer: list[Any] = []

        async def read(self) -> Any: ...

    assert _queued_reader(Public()) is None
    odd = Public()
    odd._reader = OtherQueue()  # type: ignore[attr-defined]
    assert _queued_reader(odd) is None


async def test_the_timeline_rows_are_built_once_the_socket_is_quiet(
    server_url: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Intake only queues each frame's text; nobody reads the timeline here, yet its rows get built.
    url, _ = server_url
    tl = Timeline()
    core = SessionCore(tl)
    await _pump(url, core, 3000, True, monkeypatch, [0])
    assert len(tl) == 3001
    for _ in range(250):
        if not tl.pending_frames:
            break
        await asyncio.sleep(0.02)
    assert tl.pending_frames == 0
    df = tl.df
    assert list(df["type"].value_counts().items()) == [("ChannelVarset", 3000), ("MalformedFrame", 1)]


async def test_a_long_flood_builds_the_oldest_rows_while_it_lasts(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int | None] = []

    class Core:
        events_received = 0
        backlog = transport.CATCH_UP_BACKLOG + 10

        def timeline_backlog(self) -> int:
            return self.backlog

        def build_timeline(self, limit: int | None = None) -> None:
            built.append(limit)

    core = Core()
    t = _transport(core)  # type: ignore[arg-type]
    t._catch_up_tick(seen=-1)  # events kept coming since the check was armed: build a quarter, re-arm
    assert built == [transport.CATCH_UP_BACKLOG // 4] and t._catch_up is not None
    t._catch_up.cancel()
    t._catch_up_tick(seen=0)  # quiet since the check: build everything
    assert built[-1] is None and t._catch_up is None
    core.backlog = 5
    t._catch_up_tick(seen=-1)  # a small backlog while events flow: wait for the quiet
    assert len(built) == 2 and t._catch_up is not None
    t._catch_up.cancel()
