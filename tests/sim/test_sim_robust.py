"""Abuse the simulator must survive the way Asterisk 22.10.1 does (issue 11, "Robust").

Each test names the defect it guards: before the fix it failed (a 500, a stuck channel, a replaced channel,
an endless playback, memory without bound, a password in the log)."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest

from arinb.sim import simulate
from arinb.sim.server import SimServer
from tests.sim.conftest import PASSWORD, USER, StubEngine
from tests.sim.sim_helpers import Harness

HUGE = "9" * 300  # C's atoi saturates it to LONG_MAX, whose low 32 bits are -1
HUGE_NEGATIVE = "-" + "9" * 300  # LONG_MIN: low 32 bits 0


async def test_huge_offsetms_and_skipms_answer_asterisks_400() -> None:
    h = Harness()
    cid = await h.channel()
    for name in ("offsetms", "skipms"):
        reply = await h.play(cid, "sound:tt-monkeys", **{name: HUGE})
        assert (reply.status, reply.body) == (400, {"message": f"{name} cannot be negative"})
    # A huge negative number reads as 0: a valid offset.
    assert (await h.play(cid, "sound:tt-monkeys", offsetms=HUGE_NEGATIVE)).status == 201


async def test_huge_originate_timeout_leaves_no_half_made_channels() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="Local/wait@default", app="probe", timeout=HUGE)
    assert reply.status == 200
    h.advance(1.0)
    states = {c.name: c.state for c in h.engine.channels.values()}
    # ;2 ran its dialplan (Answer), ;1 was answered and entered the app: nothing stuck in Down or Ring.
    assert sorted(states.values()) == ["Up", "Up"], states
    assert "StasisStart" in h.types()


async def test_huge_integers_elsewhere_never_crash() -> None:
    h = Harness()
    cid = await h.channel()
    dtmf = await h.op("channels.sendDTMF", {"channelId": cid}, dtmf="12", between=HUGE, duration=HUGE)
    assert dtmf.status == 204
    # The DTMF holds the channel's queue for a sane time (between -1 -> 0, duration -1 -> 100 ms): a play
    # queued behind it starts at once after.
    assert (await h.play(cid, "sound:beep")).status == 201
    h.advance(1.0)
    assert "PlaybackStarted" in h.types()
    record = await h.op(
        "channels.record", {"channelId": cid}, name="r", format="wav", maxDurationSeconds=HUGE
    )
    assert (record.status, record.body) == (400, {"message": "max_duration_seconds cannot be negative"})
    silence = await h.op(
        "channels.record", {"channelId": cid}, name="r", format="wav", maxSilenceSeconds=HUGE
    )
    assert (silence.status, silence.body) == (400, {"message": "max_silence_seconds cannot be negative"})
    cont = await h.op("channels.continueInDialplan", {"channelId": cid}, priority=HUGE)
    assert cont.status == 204


async def test_snoop_id_of_an_existing_channel_does_not_replace_it() -> None:
    h = Harness()
    cid = await h.channel()
    other = await h.channel()
    reply = await h.op(
        "channels.snoopChannelWithId", {"channelId": cid, "snoopId": other}, spy="in", app="probe"
    )
    # ast_channel_alloc() refuses the id; the snoop handler reports that as its generic 500.
    assert (reply.status, reply.body) == (500, {"message": "Snoop channel could not be created"})
    assert h.engine.channels[other].name.startswith("Local/")  # the original is still there ...
    assert (await h.op("channels.hangup", {"channelId": other})).status == 204  # ... and can be hung up
    h.advance(0.1)
    assert other not in h.engine.channels


async def test_destroying_a_bridge_ends_its_playback() -> None:
    h = Harness()
    cid = await h.channel()
    bridge = (await h.op("bridges.create", bridgeId="b1")).body["id"]
    await h.op("bridges.addChannel", {"bridgeId": bridge}, channel=cid)
    played = await h.op("bridges.playWithId", {"bridgeId": bridge, "playbackId": "pb"}, media="tone:ring")
    assert played.status == 201
    h.advance(1.0)
    assert (await h.op("playbacks.get", {"playbackId": "pb"})).body["state"] == "playing"
    assert (await h.op("bridges.destroy", {"bridgeId": bridge})).status == 204
    h.advance(0.1)
    assert (await h.op("playbacks.get", {"playbackId": "pb"})).status == 404
    tones = [s for s in h.engine.media_log(cid) if s.kind == "tone"]
    assert tones and all(s.end is not None for s in tones)  # the tone stopped


async def test_a_client_that_never_reads_is_dropped_with_a_log_line_and_no_password(
    stub_server: SimServer, stub_engine: StubEngine, caplog: pytest.LogCaptureFixture
) -> None:
    stub_server.max_unsent_bytes = 2 << 20
    url = stub_server.url.replace("http", "ws") + f"/ari/events?app=x&api_key={USER}:{PASSWORD}"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:  # never read from here on
        conn = stub_engine.connections[-1]
        caplog.set_level(logging.WARNING, logger="arinb.sim")
        for _ in range(2000):  # 64 MB offered: far more than the limit plus the socket buffers
            conn.send('{"type":"Big","pad":"' + "x" * 32_000 + '"}')
        outboxes = list(stub_server._unsent)
        assert all(o.unsent_bytes <= stub_server.max_unsent_bytes for o in outboxes)
        closed = await asyncio.wait_for(_drain_until_closed(ws), 10)
        assert closed
    lines = [r.getMessage() for r in caplog.records if "not reading" in r.getMessage()]
    assert len(lines) == 1 and "app x" in lines[0]
    assert PASSWORD not in caplog.text and "api_key" not in caplog.text


async def _drain_until_closed(ws: aiohttp.ClientWebSocketResponse) -> bool:
    while True:
        msg = await ws.receive()
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return True


def test_an_oversized_request_line_never_logs_the_password(caplog: pytest.LogCaptureFixture) -> None:
    secret = "S3cretPassw0rd"
    sim = simulate(password=secret)
    try:
        caplog.set_level(logging.DEBUG)
        host, port = sim.url.split("//")[1].rsplit(":", 1)
        for line in (
            f"GET /ari/events?app=x&api_key=asterisk:{secret}&pad={'x' * 9000} HTTP/1.1\r\nHost: h\r\n\r\n",
            f"GET /ari/channels?api_key=asterisk:{secret} HTTP/1.1\r\nHost: h\r\nX-Pad: {'y' * 9000}\r\n\r\n",
        ):
            with socket.create_connection((host, int(port)), timeout=5) as s:
                s.sendall(line.encode())
                assert s.recv(100).startswith(b"HTTP/1.")
        assert "Error handling request" in caplog.text  # aiohttp did log the bad request ...
        assert secret not in caplog.text  # ... without the password
    finally:
        sim.close()
