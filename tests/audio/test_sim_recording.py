"""End to end with the simulator: a recording made over ARI is what the renderer says the caller heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

import arinb
from arinb.audio import AudioClip, audio_for_channel, record_channel_audio

pytest.importorskip("arinb.sim.engine", reason="the simulator engine is not in this checkout")


@pytest.fixture
async def tones_call() -> AsyncIterator[tuple[Any, Any, Any]]:
    """A manual-clock simulator, a session for channel-tones, and the channel of a call to 1000."""
    async with arinb.simulate(clock="manual") as sim:
        session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
        try:
            started: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            session.on("StasisStart", lambda ev: started.done() or started.set_result(ev))
            await sim.call("1000", caller="alice")
            event = await asyncio.wait_for(started, 10)
            yield sim, session, event.channel
        finally:
            await session.close()


async def test_a_snoop_recording_in_the_simulator_is_what_was_rendered(
    tones_call: tuple[Any, Any, Any],
) -> None:
    sim, session, channel = tones_call
    await channel.play("tone:ring;tonezone=fr", playback_id="ring-1")
    recording_start = sim.clock.now()  # a manual clock stands still between requests

    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)

    clip = await record_channel_audio(session, channel, 12.0, sleep=advance, name="listen-1")
    assert clip.duration == 12.0
    expected = audio_for_channel(sim.engine, channel.id, start=recording_start, end=recording_start + 12.0)
    assert np.array_equal(clip.samples, expected.samples)
    # ...and it is the fr ring: 440 Hz, 1.5 s on / 3.5 s off.
    assert clip.dominant_frequency(0.1, 1.4) == pytest.approx(440, abs=0.5)
    assert [round(on, 2) for on, _ in clip.on_off_cadence()] == [1.5, 1.5, 1.5]
    # Nothing is left behind: no stored recording, no snoop channel.
    assert await session.request("GET", "/recordings/stored") == []
    channels = await session.request("GET", "/channels")
    assert [c["id"] for c in channels if c["name"].startswith("Snoop/")] == []


async def test_stored_recording_round_trips_through_wav(tones_call: tuple[Any, Any, Any]) -> None:
    sim, session, channel = tones_call
    await channel.play("tone:busy", playback_id="busy-1")

    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)

    clip = await record_channel_audio(session, channel.id, 2.0, sleep=advance)
    assert AudioClip.from_wav(clip.to_wav_bytes()) == clip
    assert sorted(clip.peak_frequencies(0.05, 0.45)) == pytest.approx([480, 620], abs=1)
