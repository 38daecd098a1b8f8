"""The events WebSocket dropped by the simulator: what the session's timeline and registry say afterwards.

Written against the public surface only (``session.timeline`` rows, handles, ``session.playbacks``), so
that it holds whatever the client's insides look like.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import arinb
from arinb.errors import PlaybackLost

DIALPLAN = """\
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(reconnect-sim)
 same => n,Hangup()
"""
APP = "reconnect-sim"


async def _until(predicate: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``within`` seconds."""
    for _ in range(int(within / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still waiting for {what}")


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    async with arinb.simulate(clock="manual", dialplan=DIALPLAN) as s:
        yield s


@pytest.fixture
async def session(sim: Any) -> AsyncIterator[Any]:
    # The first reconnect waits at least 0.3 s (half the initial backoff, jittered): a gap that is long
    # enough to tell loss and reconnect apart, and to let the simulated world move while the socket is down.
    s = await arinb.connect(sim.url, sim.username, sim.password, apps=APP, backoff=(0.6, 1.2))
    try:
        yield s
    finally:
        await s.close()


async def _call(sim: Any, session: Any) -> Any:
    started = session.wait_for("StasisStart", timeout=10)  # the waiter exists before the call
    await sim.call("1000", caller="alice")
    return (await started).channel


def _rows(session: Any, kind: str) -> Any:
    df = session.timeline.df
    return df[df["kind"] == kind]


async def test_the_gap_row_says_when_the_socket_was_lost_and_when_it_came_back(
    sim: Any, session: Any
) -> None:
    before = await _call(sim, session)
    sim.faults.drop_connections_at(after=1.0)
    sim.clock.advance(1.0)
    await _until(lambda: not session.connected or session.reconnects > 0, "the drop")
    await before.answer()  # over REST, which still works: its ChannelStateChange goes to no socket
    await _until(lambda: session.reconnects == 1, "the reconnect")
    after = await _call(sim, session)
    assert after.id != before.id
    # The check after the reconnect asked Asterisk about the channel (and took in its new state).
    conn = _rows(session, "connection")
    assert list(conn[conn["type"] == "reconciled"]["detail"]) == ["checked 1 channel: all still there"]
    assert before.state == "Up"

    conn = _rows(session, "connection")
    loss = conn[conn["type"] == "loss"]
    back = conn[conn["type"] == "reconnect"]
    assert len(loss) == 1 and len(back) == 1
    loss_at = loss["received_at"].iloc[0].timestamp()  # rows hold UTC datetimes
    back_at = back["received_at"].iloc[0].timestamp()
    # The reconnect is stamped when the socket came back, not when it was lost: the backoff lies between.
    assert back_at > loss_at
    detail = str(back["detail"].iloc[0])
    found = re.search(r"after a (-?[\d.]+) s gap \(lost at ([\d.]+), back at ([\d.]+)\)", detail)
    assert found is not None, detail
    gap, lost_at, came_back_at = (float(x) for x in found.groups())
    assert lost_at == pytest.approx(loss_at, abs=1e-3)
    assert came_back_at == pytest.approx(back_at, abs=1e-3)
    # The gap's length is back minus lost (positive), as the two rows say.
    assert gap == pytest.approx(back_at - loss_at, abs=2e-3)
    assert gap > 0

    # Every event before the drop was received before the loss; the second call's after the reconnect.
    events = _rows(session, "event")
    first_call = events[events["channel_id"] == before.id]
    second_call = events[events["channel_id"] == after.id]
    assert len(first_call) and len(second_call)
    assert first_call["received_at"].max().timestamp() <= loss_at
    assert second_call["received_at"].min().timestamp() >= back_at
    # And the rows are in that order: loss, reconnect, then the second call.
    assert loss.index[0] < back.index[0] < second_call.index[0]


async def test_a_play_queued_behind_one_that_ended_in_the_gap_is_not_orphaned(sim: Any, session: Any) -> None:
    """Two plays with one playback id (Asterisk queues the second): both end while the socket is down.

    After the reconnect the first is lost (404), and the second, queued behind it under the same id, takes
    its place through the registry's shared mechanism and is checked in turn: lost too, not left behind in
    the queue where nothing reaches it (a hand-written deletion of the first left it there, waiting forever).
    """
    channel = await _call(sim, session)
    await channel.answer()
    first = channel.play("sound:tt-monkeys", playback_id="same-id")  # about 16 s
    second = channel.play("sound:beep", playback_id="same-id")  # queued behind it
    await first
    await second
    sim.clock.advance(0.1)  # the first starts at the next simulated instant
    await first.started(timeout=5)
    assert second.outcome is None

    sim.faults.drop_connections_at(after=0.5)
    sim.clock.advance(0.5)
    await _until(lambda: session.connected is False or session.reconnects > 0, "the drop")
    sim.clock.advance(30.0)  # both end while the client waits out its backoff
    with pytest.raises(PlaybackLost, match="connection was down"):
        await first.finished(timeout=10)
    with pytest.raises(PlaybackLost, match="connection was down"):
        await second.finished(timeout=10)
    assert session.reconnects == 1
    conn = _rows(session, "connection")
    reconciled = conn[conn["type"] == "reconciled"]
    assert list(reconciled["detail"]) == [
        "checked 1 channel, 2 playbacks: playback same-id lost; playback same-id lost"
    ]
    held = session.playbacks.playback("same-id")  # neither is held any more: a fresh handle
    assert held is not first and held is not second


async def test_a_check_that_fails_after_the_reconnect_is_logged_and_settles_nothing(
    sim: Any, session: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel = await _call(sim, session)
    await channel.answer()
    playing = channel.play("sound:tt-monkeys", playback_id="checked")
    await playing
    sim.clock.advance(0.1)
    await playing.started(timeout=5)
    sim.faults.fail("channels.get", 503, "Service Unavailable", times=1)
    sim.faults.fail("playbacks.get", 503, "Service Unavailable", times=1)
    with caplog.at_level(logging.DEBUG, logger="arinb.client"):
        sim.faults.drop_connections_at(after=0.5)
        sim.clock.advance(0.5)
        await _until(lambda: session.reconnects == 1, "the reconnect")
        await _until(lambda: len(_rows(session, "connection")) >= 4, "the reconciled row")
    conn = _rows(session, "connection")
    assert list(conn[conn["type"] == "reconciled"]["detail"]) == [
        "checked 1 channel, 1 playback: all still there"
    ]
    lines = [r.getMessage() for r in caplog.records if "could not check" in r.getMessage()]
    assert lines == [
        f"arinb: could not check channel {channel.id} after the reconnect: "
        f"503 Service Unavailable (GET /ari/channels/{channel.id})",
        "arinb: could not check playback checked after the reconnect: "
        "503 Service Unavailable (GET /ari/playbacks/checked)",
    ]
    # Nothing was settled on a failed check: the playback still runs and ends as Asterisk says.
    assert playing.outcome is None and channel.in_stasis


async def test_a_bridge_and_a_recording_that_ended_in_the_gap_are_settled(sim: Any, session: Any) -> None:
    channel = await _call(sim, session)
    await channel.answer()
    bridge = await session.bridges.create("mixing", bridge_id="gap-br")
    recording = await channel.record("gap-rec", format="wav")
    finished = recording.wait_for("RecordingFinished", timeout=30)
    sim.faults.drop_connections_at(after=0.5)
    sim.clock.advance(0.5)
    await _until(lambda: not session.connected or session.reconnects > 0, "the drop")
    # Ended behind the session's back (the escape hatch updates no handle): their events go to no socket.
    await session.request("DELETE", "/bridges/gap-br")
    await session.request("POST", "/recordings/live/gap-rec/stop")
    await _until(lambda: session.reconnects == 1, "the reconnect")
    await _until(lambda: len(_rows(session, "connection")) >= 4, "the reconciled row")
    conn = _rows(session, "connection")
    assert list(conn[conn["type"] == "reconciled"]["detail"]) == [
        "checked 1 channel, 1 bridge, 1 recording: bridge gap-br gone; recording gap-rec gone"
    ]
    assert bridge.destroyed
    with pytest.raises(arinb.AriError, match="recording gap-rec ended while the events connection was down"):
        await finished
