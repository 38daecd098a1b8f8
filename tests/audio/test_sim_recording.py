"""End to end with the simulator: a recording made over ARI is what the renderer says the caller heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

import arinb
from arinb.audio import (
    WAV_READ_LOST_SAMPLES,
    AudioClip,
    audio_for_channel,
    playable_samples,
    record_channel_audio,
)


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
    # The tone the caller hears from 18 ms after the play is on the recording's frame at 20 ms (a recording
    # is whole frames of its own, arinb.sim.recordings.RECORDING_PHASE): 2 ms later.
    expected = audio_for_channel(
        sim.engine, channel.id, start=recording_start - 0.002, end=recording_start + 12.0 - 0.002
    )
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


async def test_tt_monkeys_in_the_simulator_is_the_file_minus_quirk(
    tones_call: tuple[Any, Any, Any],
) -> None:
    sim, _session, channel = tones_call
    t0 = sim.clock.now()
    await channel.play("sound:tt-monkeys", playback_id="monkeys-1")
    sim.clock.advance(17.0)
    clip = audio_for_channel(sim.engine, channel.id, start=t0, end=t0 + 17.0)
    log = [s for s in sim.engine.media_log(channel.id) if s.kind == "file"]
    assert len(log) == 1
    if log[0].source == "tt-monkeys":  # a catalog-only simulator: no file to play
        assert not np.any(clip.samples)
        assert clip.notes and clip.notes[0].startswith("no audio files installed: tt-monkeys")
        return
    content = playable_samples(log[0].source)
    assert content.size == 129440 - WAV_READ_LOST_SAMPLES
    first = round((log[0].start - t0) * 8000)
    assert np.array_equal(clip.samples[first : first + content.size], content)
    assert not np.any(clip.samples[:first]) and not np.any(clip.samples[first + content.size :])


async def test_pause_and_unpause_in_the_simulator(tones_call: tuple[Any, Any, Any]) -> None:
    # AUDIO.md: pause 1.0 s after start, unpause 1.5 s later: A received src 0-1.02 s, one 20 ms frame of
    # the file start, then src 1.02 s onward (23746 samples for tt-weasels).
    sim, session, channel = tones_call
    await channel.play("sound:tt-weasels", playback_id="weasels-1")
    sim.clock.advance(1.0)
    await session.request("POST", "/playbacks/weasels-1/control", {"operation": "pause"})
    sim.clock.advance(1.5)
    await session.request("POST", "/playbacks/weasels-1/control", {"operation": "unpause"})
    sim.clock.advance(4.0)
    log = [s for s in sim.engine.media_log(channel.id) if s.kind == "file"]
    if log[0].source == "tt-weasels":
        pytest.skip("catalog-only simulator (no tt-weasels.wav installed)")
    src = playable_samples(log[0].source)
    start = log[0].start
    pcm = audio_for_channel(sim.engine, channel.id, start=start, end=start + 6.5).samples
    played = round((log[0].end - start) * 8000)
    assert played == pytest.approx(8160, abs=2)  # src 0-1.02 s before the pause took effect
    resumed = round((log[1].start - start) * 8000)
    assert resumed - played == pytest.approx(round(1.48 * 8000), abs=2)  # a gap of the paused length
    expected = np.concatenate([src[:played], np.zeros(resumed - played, np.int16), src[:160], src[played:]])
    assert np.array_equal(pcm[: expected.size], expected)
    assert not np.any(pcm[expected.size :])


async def test_with_an_arinb_session_it_is_channel_audio(tones_call: tuple[Any, Any, Any]) -> None:
    """One implementation: given an arinb session, record_channel_audio is Channel.audio (its own snoop id,
    the record sent once the snoop entered the app), for a handle and for a bare channel id alike."""
    sim, session, channel = tones_call
    await channel.play("tone:busy", playback_id="busy-2")

    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)

    for target in (channel, channel.id):
        clip = await record_channel_audio(session, target, 1.0, sleep=advance)
        assert clip.duration == 1.0
    snoops = [p for p in session.timeline.requests()["path"] if "/snoop" in p]
    assert len(snoops) == 2 and all("/snoop/arinb-snoop-" in p for p in snoops)
