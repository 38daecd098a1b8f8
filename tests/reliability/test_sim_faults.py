"""Fault injection through the embedded simulator (``sim.faults``), on a manual clock: the simulator drops
the WebSocket, delays or fails a REST call, or the far end hangs up at a given simulated time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from testkit.runtime import eventually, timeline_rows

import arinb

DIALPLAN = """\
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(rel-sim)
 same => n,Hangup()
"""
APP = "rel-sim"


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    async with arinb.simulate(clock="manual", dialplan=DIALPLAN) as s:
        yield s


@pytest.fixture
async def session(sim: Any) -> AsyncIterator[Any]:
    s = await arinb.connect(sim.url, sim.username, sim.password, apps=APP, backoff=(0.05, 1.0))
    try:
        yield s
    finally:
        await s.close()


async def _call(sim: Any, session: Any) -> Any:
    """An inbound call into the app; returns its Channel handle once StasisStart arrived."""
    started = session.wait_for("StasisStart", timeout=10)  # a Call: the waiter exists before the call
    channel_id = await sim.call("1000", caller="alice")
    ev = await started
    assert ev.channel.id == channel_id
    return ev.channel


async def test_simulator_drops_the_websocket_at_a_simulated_time(sim: Any, session: Any) -> None:
    first = await _call(sim, session)
    at = sim.clock.now() + 2.0
    sim.faults.drop_connections_at(at)
    sim.clock.advance(1.0)
    await asyncio.sleep(0.2)
    assert session.reconnects == 0  # not yet: the drop is due at `at`
    sim.clock.advance(1.5)
    await eventually(lambda: session.reconnects == 1, what="reconnected after the simulated drop")
    # Events flow again on the new socket, and the old channel's handle still works.
    second = await _call(sim, session)
    assert second.id != first.id
    changed = first.wait_for("ChannelStateChange", timeout=5)  # registered before the answer goes out
    await first.answer()
    await changed
    kinds = list(timeline_rows(session, "connection")["type"])
    assert kinds.count("loss") == 1
    assert kinds.count("reconnect") == 1


async def test_a_failed_rest_call_is_typed_and_the_next_one_works(sim: Any, session: Any) -> None:
    channel = await _call(sim, session)
    sim.faults.fail("channels.answer", 503, "Service Unavailable", times=1)
    with pytest.raises(arinb.AriServerError) as info:
        await channel.answer()
    assert info.value.status == 503
    assert info.value.message == "Service Unavailable"
    changed = channel.wait_for("ChannelStateChange", timeout=5)  # a Call: registered on creation
    await channel.answer()
    assert (await changed).channel.state == "Up"


async def test_a_delayed_rest_call_waits_for_simulated_time(sim: Any, session: Any) -> None:
    channel = await _call(sim, session)
    sim.faults.delay("channels.answer", 5.0, times=1)
    answer = asyncio.ensure_future(channel.answer())
    await asyncio.sleep(0.3)
    assert not answer.done()  # held by the simulator until 5 simulated seconds pass
    sim.clock.advance(5.0)
    await asyncio.wait_for(answer, 5)
    # Meanwhile the session kept serving other calls.
    assert (await channel.refresh()).state == "Up"


async def test_a_delayed_rest_call_beyond_the_client_timeout_raises_and_the_session_survives(
    sim: Any,
) -> None:
    session = await arinb.connect(sim.url, sim.username, sim.password, apps=APP, request_timeout=0.5)
    try:
        channel = await _call(sim, session)
        sim.faults.delay("channels.answer", 60.0, times=1)
        with pytest.raises(arinb.AriTimeoutError):
            await channel.answer()
        sim.clock.advance(60.0)  # the held request completes server-side after the client gave up
        await channel.answer()
        assert (await channel.refresh()).state == "Up"
    finally:
        await session.close()


async def test_the_far_end_hangs_up_during_a_playback(sim: Any, session: Any) -> None:
    channel = await _call(sim, session)
    await channel.answer()
    playback = channel.play("sound:tt-monkeys", playback_id="rel-pb-1")
    await playback
    sim.clock.advance(0.1)  # manual clock: the media starts at the next simulated instant
    await playback.started(timeout=5)
    sim.faults.hangup_at(channel.id, after=3.0)
    ended = channel.wait_for("StasisEnd", timeout=10)
    sim.clock.advance(3.0)
    await ended
    # Asterisk: ChannelHangupRequest, then the current playback finishes "failed", then StasisEnd.
    assert await playback.finished(timeout=5) == "failed"
    rows = timeline_rows(session, "event")
    mine = rows[rows["channel_id"] == channel.id]
    types = list(mine["type"])
    assert types.index("ChannelHangupRequest") < types.index("PlaybackFinished") < types.index("StasisEnd")
    with pytest.raises(arinb.AriNotFound):
        await channel.answer()
