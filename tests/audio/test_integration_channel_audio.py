"""``channel.audio()`` of the real client against the embedded simulator (snoop + record + fetch over ARI).

A manual clock keeps it exact: the recording is compared with what the simulator's media log says the
caller heard over the same span.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

import arinb
from arinb.audio import audio_for_channel
from arinb.errors import AriNotFound, AriUsageError

#: How much later a recording holds a tone that started 18 ms after the play: on its frame at 20 ms.
ON_FRAME = 0.002


@pytest.fixture
async def call() -> AsyncIterator[tuple[Any, Any, Any]]:
    """A manual-clock simulator, a channel-tones session, and the channel of a call to 1000."""
    async with arinb.simulate(clock="manual") as sim:
        session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
        try:
            entered = session.wait_for("StasisStart", timeout=5)
            await sim.call("1000", caller="alice")
            yield sim, session, (await entered).channel
        finally:
            await session.close()


async def leftovers(session: Any) -> tuple[list[Any], list[str]]:
    stored = await session.request("GET", "/recordings/stored")
    channels = await session.request("GET", "/channels")
    return stored, [c["name"] for c in channels if c["name"].startswith("Snoop/")]


async def test_audio_for_seconds_is_what_the_media_log_says(call: tuple[Any, Any, Any]) -> None:
    sim, session, channel = call
    await channel.play("tone:ring;tonezone=fr", playback_id="ring-1")
    t0 = sim.clock.now()

    async def advance(seconds: float) -> None:  # "wait" on the manual clock
        sim.clock.advance(seconds)

    clip = await channel.audio(6.0, sleep=advance)
    assert clip.duration == 6.0 and clip.title == f"channel {channel.id} (out)"
    # A recording holds whole 20 ms frames of its own: the tone the caller hears from 18 ms after the play
    # is on the recording's frame at 20 ms, 2 ms later (arinb.sim.recordings.RECORDING_PHASE).
    expected = audio_for_channel(sim.engine, channel.id, start=t0 - ON_FRAME, end=t0 + 6.0 - ON_FRAME)
    assert np.array_equal(clip.samples, expected.samples)
    assert clip.dominant_frequency(0.1, 1.4) == pytest.approx(440, abs=0.5)
    # 1.5 s on, 3.5 s off, and a second burst cut by the end (the tone starts 18 ms after the play)
    assert [round(on, 2) for on, _ in clip.on_off_cadence()] == [1.5, 0.98]
    assert await leftovers(session) == ([], [])
    # The snoop channel entered the app: a StasisStart a handler can tell apart by its name.
    snoops = [e for e in session.timeline.df.itertuples() if e.type == "StasisStart"]
    assert len(snoops) == 2


async def test_audio_until_the_hangup(call: tuple[Any, Any, Any]) -> None:
    sim, session, channel = call
    started = session.wait_for("RecordingStarted", timeout=5)
    whole = channel.audio()  # never blocks where it is made
    while not started.done():  # a manual clock: the recording starts at the next tick
        sim.clock.advance(0.0)
        await asyncio.sleep(0.005)
    await started
    t0 = sim.clock.now()
    await channel.play("tone:busy", playback_id="busy-1")
    sim.clock.advance(2.0)
    await channel.hangup()
    clip = await asyncio.wait_for(asyncio.ensure_future(_awaited(whole)), 10)
    assert clip.duration == pytest.approx(2.0, abs=0.021)  # whole 20 ms frames
    assert sorted(clip.peak_frequencies(0.1, 0.4)) == pytest.approx([480, 620], abs=1)
    expected = audio_for_channel(sim.engine, channel.id, start=t0 - ON_FRAME, end=t0 + 2.0 - ON_FRAME)
    assert np.array_equal(clip.samples, expected.samples[: len(clip)])
    assert await leftovers(session) == ([], [])
    # The snoop left with the call (its StasisEnd came): it is not hung up again, which only added a 404
    # to the timeline of every recorded call, and the session forgot it all the same.
    requests = session.timeline.requests()
    failed = requests[requests["status"] >= 400]
    assert list(zip(failed["method"], failed["path"], strict=True)) == []
    assert [c for c in session.core.channels.values() if (c.name or "").startswith("Snoop/")] == []


async def test_a_recording_stopped_by_name_ends_the_wait(call: tuple[Any, Any, Any]) -> None:
    sim, session, channel = call
    started = session.wait_for("RecordingStarted", timeout=5)
    whole = channel.audio(name="mine")
    while not started.done():
        sim.clock.advance(0.0)
        await asyncio.sleep(0.005)
    await started
    sim.clock.advance(1.0)
    await session.recordings.live.recording("mine").stop()
    clip = await asyncio.wait_for(asyncio.ensure_future(_awaited(whole)), 10)
    assert clip.duration == pytest.approx(1.0, abs=0.021) and not np.any(clip.samples)
    # The channel is still up; the snoop and the stored recording are gone.
    assert channel.id in [c["id"] for c in await session.request("GET", "/channels")]
    assert await leftovers(session) == ([], [])


async def test_bad_arguments_and_a_gone_channel(call: tuple[Any, Any, Any]) -> None:
    _sim, session, channel = call
    with pytest.raises(AriUsageError, match="positive"):
        channel.audio(0)
    with pytest.raises(AriUsageError, match="spy"):
        channel.audio(1, spy="sideways")
    with pytest.raises(AriUsageError, match="timeout"):
        channel.audio(timeout=-1)
    await channel.hangup()
    with pytest.raises(AriNotFound, match="Provided channel was not found"):  # resource_channels.c, snoop
        await channel.audio(1.0)
    with pytest.raises(AriNotFound, match="Provided channel was not found"):  # resource_channels.c, snoop
        await channel.audio()
    assert await leftovers(session) == ([], [])


async def _awaited(call: Any) -> Any:
    return await call


def test_a_handle_without_a_session_cannot_listen() -> None:
    from arinb.client.core import SessionCore

    with pytest.raises(AriUsageError, match="not attached to a connected session"):
        SessionCore().channel("c1").audio(1.0)
