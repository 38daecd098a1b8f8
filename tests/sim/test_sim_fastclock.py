"""The engine on a running clock (sped up): timers fire on their own, timestamps follow simulated time."""

from __future__ import annotations

import asyncio

import pytest

from arinb.models import loads, parse_timestamp
from arinb.sim.clock import Clock
from arinb.sim.engine import SimEngine


async def test_monkeys_at_200x_take_16_18_simulated_seconds() -> None:
    engine = SimEngine(clock=Clock(speed=200.0))
    frames: list[str] = []
    got = asyncio.Event()

    def send(text: str) -> None:
        frames.append(text)
        if loads(text)["type"] in ("StasisStart", "PlaybackFinished"):
            got.set()

    engine.connect_app(["channel-playback-monkeys"], send=send)
    await engine.handle(
        "channels.originate",
        query={"endpoint": "Local/1001@default", "context": "default", "extension": "wait"},
    )
    await asyncio.wait_for(got.wait(), 2)
    got.clear()
    cid = loads(frames[0])["channel"]["id"]
    reply = await engine.handle(
        "channels.playWithId", {"channelId": cid, "playbackId": "m"}, {"media": "sound:tt-monkeys"}
    )
    assert reply.body["state"] == "queued"
    await asyncio.wait_for(got.wait(), 2)  # 16.18 s of simulated time: ~80 ms of wall time
    events = [loads(f) for f in frames]
    assert [e["type"] for e in events] == ["StasisStart", "PlaybackStarted", "PlaybackFinished"]
    started, finished = (parse_timestamp(e["timestamp"]) for e in events[1:])
    assert finished - started == pytest.approx(16.18, abs=0.01)
