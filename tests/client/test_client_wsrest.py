"""REST over the events WebSocket (``connect(rest=...)``): probe, lanes, ids, timeouts, drops.

The fake server answers RESTRequest frames one at a time per socket, as Asterisk 22 does (``ws_rest``), or
ignores them as older servers do. The simulator test at the end is notebook 05's "answer stuck behind the
tone" case, end to end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from client_helpers import FakeTimeline, eventually
from fakeari import FakeAri, FakeRequest, Reply, channel_json

import arinb
from arinb.client import wsrest
from arinb.client.session import connect
from arinb.client.transport import PROBE_TIMEOUT
from arinb.client.wsrest import WsRequestDropped, may_wait, probe_settles, retries_over_http
from arinb.errors import AriConnectionError, AriNotFound, AriTimeoutError, AriWebSocketError


@pytest.fixture
def ari() -> Iterator[FakeAri]:
    with FakeAri() as server:
        server.ws_rest = True
        yield server


def test_may_wait_names_the_operations_asterisk_runs_in_the_channel_queue() -> None:
    assert may_wait("POST", "/channels/1.2/answer")
    assert may_wait("POST", "/channels/1.2/variable")
    assert may_wait("POST", "/bridges/b1/addChannel")
    assert may_wait("POST", "/bridges/b1/removeChannel")
    assert not may_wait("GET", "/channels/1.2/variable")
    assert not may_wait("DELETE", "/playbacks/pb-1")
    assert not may_wait("POST", "/channels/1.2/play")


async def test_websocket_mode_sends_requests_as_frames_and_marks_the_rows(ari: FakeAri) -> None:
    ari.route("GET", "/channels/{id}", lambda r: Reply(200, channel_json(r.match["id"])))
    ari.route("GET", "/nope", Reply(404, {"message": "Channel not found"}))
    timeline = FakeTimeline()
    s = await connect(ari.url, apps="test", timeline=timeline, rest="websocket")
    try:
        assert s.rest == "websocket"
        ch = await s.request("GET", "/channels/1.1", {"x": True})
        assert ch["id"] == "1.1"
        assert ari.requests[-1].params == {"x": "true"}
        with pytest.raises(AriNotFound, match="Channel not found"):
            await s.request("GET", "/nope")
        assert ari.ws_requests == 2
        rows = timeline.requests
        assert [(r["status"], r["transport"], r["path"]) for r in rows] == [
            (200, "websocket", "/ari/channels/1.1"),
            (404, "websocket", "/ari/nope"),
        ]
    finally:
        await s.close()


async def test_websocket_mode_refuses_a_server_that_does_not_answer_frames(ari: FakeAri) -> None:
    ari.ws_rest = False
    started = time.monotonic()
    with pytest.raises(AriWebSocketError, match="rest='auto'"):
        await connect(ari.url, apps="test", timeline=False, rest="websocket", connect_timeout=0.3)
    assert time.monotonic() - started < 2.0
    ari.wait_sockets(0)


async def test_auto_does_not_wait_for_an_older_server_and_uses_http(ari: FakeAri) -> None:
    ari.ws_rest = False
    ari.route("GET", "/asterisk/ping", Reply(200, {"ping": "pong"}))
    started = time.monotonic()
    s = await connect(ari.url, apps="test", timeline=False)
    try:
        assert await s.request("GET", "/asterisk/ping") == {"ping": "pong"}
        assert time.monotonic() - started < PROBE_TIMEOUT  # it did not wait for the probe's answer
        assert s.rest == "http" and ari.ws_requests == 0
    finally:
        await s.close()


async def test_auto_switches_to_the_websocket_when_the_probe_is_answered(ari: FakeAri) -> None:
    ari.route("GET", "/asterisk/ping", Reply(200, {"ping": "pong"}))
    s = await connect(ari.url, apps="test", timeline=False)
    try:
        await eventually(lambda: s.rest == "websocket", within=2.0)
        await s.request("GET", "/asterisk/ping")
        assert ari.ws_requests == 1
    finally:
        await s.close()


async def test_auto_probes_again_after_a_drop_that_cut_the_probe_off(ari: FakeAri) -> None:
    pings = 0

    async def first_ping_drops_the_socket(_req: FakeRequest) -> Reply:
        nonlocal pings
        pings += 1
        if pings == 1:  # the socket goes before the probe's answer does
            for ws in list(ari.sockets):
                await ws.close()
        return Reply(200, {"ping": "pong"})

    ari.route("GET", "/asterisk/ping", first_ping_drops_the_socket)
    s = await connect(ari.url, apps="test", timeline=False, backoff=(0.05, 0.1))
    try:
        # A dropped probe says nothing about the server: the reconnect asks again, and the lane comes up.
        await eventually(lambda: s.rest == "websocket", within=5.0, what="the lane after the second probe")
        assert pings == 2 and s.reconnects == 1
        await s.request("GET", "/asterisk/ping")
        assert ari.ws_requests == 1
    finally:
        await s.close()


def test_the_socket_or_http_policy_lives_in_wsrest() -> None:
    assert retries_over_http("GET") and not retries_over_http("POST") and not retries_over_http("DELETE")
    assert probe_settles(None) and probe_settles(TimeoutError()) and probe_settles(AriTimeoutError("slow"))
    assert not probe_settles(WsRequestDropped("the events WebSocket closed"))


@pytest.fixture
def no_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine must not make the lane look stalled (STALL_AFTER, its own test): these tests are
    about requests in flight on the socket."""
    monkeypatch.setattr(wsrest, "STALL_AFTER", 3600.0)


@pytest.mark.usefixtures("no_stall")
async def test_many_requests_in_flight_are_matched_by_id(ari: FakeAri) -> None:
    async def slow_echo(req: FakeRequest) -> Reply:
        await asyncio.sleep(0.001)
        return Reply(200, {"n": req.params["n"]})

    ari.route("GET", "/echo", slow_echo)
    s = await connect(ari.url, apps="test", timeline=False, rest="websocket")
    try:
        replies = await asyncio.gather(*(s.request("GET", "/echo", {"n": str(i)}) for i in range(60)))
        assert [r["n"] for r in replies] == [str(i) for i in range(60)]
        assert ari.ws_requests == 60
    finally:
        await s.close()


async def test_nothing_queues_behind_a_request_that_waits_on_media(ari: FakeAri) -> None:
    # An answer held by the server (a tone playing) must not hold the stop that frees it.
    freed = asyncio.Event()
    loop = ari.engine.loop

    async def held_answer(_req: FakeRequest) -> Reply:
        await freed.wait()
        return Reply(204)

    def stop(_req: FakeRequest) -> Reply:
        loop.call_soon_threadsafe(freed.set)
        return Reply(204)

    ari.route("POST", "/channels/{id}/answer", held_answer)
    ari.route("DELETE", "/playbacks/{id}", stop)
    timeline = FakeTimeline()
    s = await connect(ari.url, apps="test", timeline=timeline, rest="websocket")
    try:
        answering = asyncio.ensure_future(s.channels.channel("1.1").answer())
        await eventually(lambda: ari.ws_requests == 1, what="the answer went over the socket")
        await asyncio.wait_for(s.request("DELETE", "/playbacks/tone"), 5)
        await asyncio.wait_for(answering, 5)
        transports = {r["path"]: r["transport"] for r in timeline.requests}
        assert transports == {"/ari/channels/1.1/answer": "websocket", "/ari/playbacks/tone": "http"}
    finally:
        await s.close()


async def test_a_request_that_gets_no_response_frame_times_out(ari: FakeAri) -> None:
    ari.route("POST", "/channels/{id}/hold", ari.hang)
    s = await connect(ari.url, apps="test", timeline=False, rest="websocket", request_timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(AriTimeoutError, match=r"POST /ari/channels/1\.1/hold"):
            await s.request("POST", "/channels/1.1/hold")
        assert time.monotonic() - started < 2.0
    finally:
        await s.close()


@pytest.mark.usefixtures("no_stall")
async def test_a_drop_fails_requests_in_flight_and_retries_a_get_once_over_http(ari: FakeAri) -> None:
    calls: list[str] = []

    async def first_hangs(req: FakeRequest) -> Reply:
        calls.append(req.path)
        if len(calls) == 1:
            await ari.hang(req)
        return Reply(200, {"ok": True})

    ari.route("GET", "/channels", first_hangs)
    ari.route("POST", "/channels/{id}/hold", Reply(204))
    s = await connect(ari.url, apps="test", timeline=False, rest="websocket", backoff=(0.05, 0.1))
    try:
        get = asyncio.ensure_future(s.request("GET", "/channels"))
        await eventually(lambda: ari.ws_requests == 1, what="the GET on the socket")
        post = asyncio.ensure_future(s.request("POST", "/channels/1.1/hold"))  # queued behind it
        await eventually(lambda: ari.ws_received == 2, what="the POST on the socket, behind the GET")
        ari.drop()
        with pytest.raises(AriConnectionError, match="closed"):
            await asyncio.wait_for(post, 5)
        assert await asyncio.wait_for(get, 5) == {"ok": True}
        assert calls == ["/channels", "/channels"]  # once over the socket, once more over HTTP
        await eventually(lambda: s.connected and ari.open_sockets() == 1, what="reconnected")
        await eventually(lambda: s.rest == "websocket", what="the lane is back")
    finally:
        await s.close()


async def test_the_05_answer_stuck_behind_the_tone_unblocks_when_the_tone_stops() -> None:
    # Notebook 05 on the simulator, REST over the WebSocket: the answer waits behind the ring tone (as on
    # Asterisk); stopping the tone frees it. Were the stop queued behind the answer on the socket, both
    # would wait forever.
    async with arinb.simulate() as sim:
        s = await connect(sim.url, apps="channel-tones", rest="websocket")
        try:
            started = s.expect("StasisStart", timeout=5)
            await sim.call("1000", caller="alice")
            ch = (await started).channel
            pb = await ch.play("tone:ring;tonezone=fr", playback_id="stuck-tone")
            answering = asyncio.ensure_future(ch.answer())
            await asyncio.sleep(0.3)
            assert not answering.done()  # held behind the tone, as Asterisk holds it
            assert (await s.channels.get(ch.id)).state != "Up"  # other requests still go
            await asyncio.wait_for(pb.stop(), 5)
            await asyncio.wait_for(answering, 5)
            assert (await s.channels.get(ch.id)).state == "Up"
            rows = s.timeline.requests()
            used = dict(zip(rows["path"], rows["transport"], strict=True))
            assert used[f"/ari/channels/{ch.id}/answer"] == "websocket"
            assert used["/ari/playbacks/stuck-tone"] == "http"
        finally:
            await s.close()


async def test_a_stalled_lane_sends_new_requests_over_http(ari: FakeAri) -> None:
    # A request the server holds for no media reason (a slow operation, a fault): after STALL_AFTER,
    # later requests do not queue behind it; after its timeout, neither.
    ari.route("POST", "/channels/{id}/record", ari.hang)
    ari.route("DELETE", "/channels/{id}", Reply(204))
    timeline = FakeTimeline()
    s = await connect(ari.url, apps="test", timeline=timeline, rest="websocket", request_timeout=0.5)
    try:
        with pytest.raises(AriTimeoutError):
            await s.request("POST", "/channels/1.1/record", {"name": "r"})
        await asyncio.wait_for(s.request("DELETE", "/channels/1.1"), 2)
        assert [r["transport"] for r in timeline.requests] == ["websocket", "http"]
    finally:
        await s.close()


@pytest.mark.usefixtures("no_stall")
async def test_nothing_queues_behind_a_request_whose_caller_gave_up(ari: FakeAri) -> None:
    # A record the server never answers, given up by its caller (a scenario step that stopped waiting):
    # it still holds the server's lane, so a request queued behind it would wait its whole timeout.
    ari.route("POST", "/channels/{id}/record", ari.hang)
    ari.route("DELETE", "/channels/{id}", Reply(204))
    timeline = FakeTimeline()
    s = await connect(ari.url, apps="test", timeline=timeline, rest="websocket")
    try:
        record = asyncio.ensure_future(s.request("POST", "/channels/1.1/record", {"name": "r"}))
        await eventually(lambda: ari.ws_received == 1, what="the record on the socket")
        record.cancel()
        with pytest.raises(asyncio.CancelledError):
            await record  # the engine loop hears of it before it hears of the DELETE
        await asyncio.wait_for(s.request("DELETE", "/channels/1.1"), 5)
        transports = {r["path"]: r["transport"] for r in timeline.requests}
        assert transports["/ari/channels/1.1"] == "http"
    finally:
        await s.close()
