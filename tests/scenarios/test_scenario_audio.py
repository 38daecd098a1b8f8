"""What the caller of a scenario heard: the simulator's media log, and a snoop recording made over ARI.

A manual clock makes every run exact and instant; the numbers are the ones AUDIO.md measured on a real
Asterisk 22 (fr ring: 440 Hz, 1.5 s on / 3.5 s off; tt-monkeys: the file minus its last 22 samples).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

import arinb
import arinb.scenarios as scenarios
from arinb.audio import WAV_READ_LOST_SAMPLES, find_sound, playable_samples


@pytest.fixture
def sim() -> Iterator[arinb.Simulator]:
    with arinb.simulate(clock="manual") as sim:
        yield sim


#: the stop request's round trip plus the generator's one-frame lag (TONE_STOP_DELAY, measured 20 ms)
STOP_LAG = 0.035


def assert_french_ring(clip: arinb.audio.AudioClip, stop: float) -> None:
    """440 Hz bursts of 1.5 s every 5 s from the start, and nothing after the stop at ``stop`` seconds."""
    bursts = clip.bursts()
    assert bursts, "no tone at all"
    first = bursts[0][0]
    assert first < 0.1  # the tone starts with the playback, right after StasisStart
    for begin, end in bursts:
        assert clip.dominant_frequency(begin + 0.05, end - 0.05) == pytest.approx(440, abs=0.5)
        assert (begin - first) % 5.0 == pytest.approx(0, abs=0.002)  # a burst every 5 s
        if end < stop:
            assert end - begin == pytest.approx(1.5, abs=0.002)
        else:  # cut short by the stop
            assert stop <= end <= stop + STOP_LAG and end - begin < 1.5
    assert [round(off, 3) for _, off in clip.on_off_cadence()[:-1]] == [3.5] * (len(bursts) - 1)
    assert clip.peak(stop + STOP_LAG, None) == 0  # silence after the stop, to the hangup


def test_tones_the_caller_hears_the_french_ring_until_the_answer(sim: arinb.Simulator) -> None:
    sc = scenarios.tones(sim)
    result = sc.run().result()
    assert result.check.ok
    clip = result.audio()
    # The docs' timers: ring for 8 s, hang up 1 s after the answer.
    assert clip.duration == pytest.approx(9.0, abs=0.002)
    assert_french_ring(clip, stop=8.0)
    assert [round(b) for b, _ in clip.bursts()] == [0, 5]  # the stop at 8 s falls in a pause
    assert clip.title.startswith("tones: what PJSIP/alice-")
    sc.close()


def test_a_stop_in_the_middle_of_a_burst_cuts_the_ring(sim: arinb.Simulator) -> None:
    # The docs' 8 s fall in a pause of the cadence; stopped at 5.75 s, the second burst is cut at 0.75 s.
    sc = scenarios.tones(sim)
    sc.ring_for = 5.75
    clip = sc.run().result().audio()
    assert_french_ring(clip, stop=5.75)
    assert 0.75 <= clip.bursts()[-1][1] - clip.bursts()[-1][0] <= 0.75 + STOP_LAG
    assert clip.duration == pytest.approx(6.75, abs=0.002)
    sc.close()


def test_each_step_gives_the_call_so_far(sim: arinb.Simulator) -> None:
    sc = scenarios.tones(sim)
    results = [sc.next().result() for _ in sc.steps]
    clips = [r.audio() for r in results]
    assert [round(c.duration, 2) for c in clips] == [0.0, 0.0, 8.0, 8.0, 9.0]
    whole = sc.audio()
    for clip in clips:  # each is the beginning of the whole call
        assert np.array_equal(clip.samples, whole.samples[: len(clip)])
    assert clips[2].dominant_frequency(5.1, 6.4) == pytest.approx(440, abs=0.5)
    # After a reset and a new call, the old results still give the old call.
    sc.reset().result()
    sc.next().result()
    assert results[-1].audio() == whole
    sc.close()


def test_monkeys_the_caller_hears_the_file_minus_asterisks_last_22_samples(sim: arinb.Simulator) -> None:
    sc = scenarios.monkeys(sim)
    result = sc.run().result()
    assert result.check.ok
    clip = result.audio()
    path = find_sound("tt-monkeys")
    if path is None:  # the Debian sounds package is not installed: a catalog-only render
        assert clip.notes and not np.any(clip.samples)
        pytest.skip("no tt-monkeys.wav installed")
    content = playable_samples(path)
    assert content.size == 129440 - WAV_READ_LOST_SAMPLES  # 16.18 s minus 22 samples
    nonzero = np.flatnonzero(clip.samples)
    first = int(nonzero[0])
    assert np.array_equal(clip.samples[first : first + content.size], content)
    assert not np.any(clip.samples[first + content.size :])  # the hangup follows the end of the sound
    assert clip.duration == pytest.approx(content.size / 8000 + first / 8000, abs=0.01)
    sc.close()


def test_record_audio_snoops_from_stasis_start_and_leaves_nothing_behind(sim: arinb.Simulator) -> None:
    # The real Asterisk path (snoop + live recording + fetch over ARI), here against the simulator.
    sc = scenarios.tones(sim, record_audio=True, originate=True)
    first = sc.next().result()
    with pytest.raises(arinb.AriUsageError, match="fetched when the call ends"):
        first.audio()
    result = sc.run().result()
    # The snoop channel and its recording do not show in the app's events or printed lines.
    assert result.check.ok, result.check.problems()
    assert all("Snoop/" not in line for line in result.lines)
    clip = result.audio()
    assert clip.duration == pytest.approx(9.0, abs=0.03)
    assert_french_ring(clip, stop=8.0)
    # The step results, sliced from the recording at each step's end.
    assert [round(r.audio().duration, 1) for r in [first, *result.steps]] == [0.0, 0.0, 8.0, 8.0, 9.0]
    assert sc.session is None  # the finished run closed its own session
    with arinb.connect(sim.url, sim.username, sim.password, apps="nothing-left") as session:
        assert session.request("GET", "/recordings/stored").result() == []
        channels = session.request("GET", "/channels").result()
        assert [c for c in channels if c["name"].startswith("Snoop/")] == []
    sc.close()


def test_a_recorded_call_matches_the_media_log(sim: arinb.Simulator) -> None:
    recorded = scenarios.monkeys(sim, record_audio=True)
    heard = recorded.run().result().audio()
    rendered = scenarios.monkeys(sim)
    reference = rendered.run().result().audio()
    # Both start at the call (the recording a moment later) and hold the same sound.
    offset = round(np.flatnonzero(reference.samples)[0] - np.flatnonzero(heard.samples)[0])
    assert abs(offset) <= 160
    start = int(np.flatnonzero(heard.samples)[0])
    ref_start = int(np.flatnonzero(reference.samples)[0])
    n = min(len(heard) - start, len(reference) - ref_start)
    assert n > 16 * 8000
    # A recording holds whole 20 ms frames: the last (total mod 160) samples of the playback never appear
    # in it (AUDIO.md: 138 for monkeys, whose 129418 samples sent are 808 frames and 138 samples).
    whole = (129440 - 22) // 160 * 160
    assert np.array_equal(
        heard.samples[start : start + whole], reference.samples[ref_start : ref_start + whole]
    )
    assert np.any(reference.samples[ref_start + whole : ref_start + whole + 138])
    assert not np.any(heard.samples[start + whole : start + n])
    recorded.close()
    rendered.close()


def test_without_a_media_log_or_recording_there_is_no_audio() -> None:
    from testkit.scenario_fakes import FakeSim

    fake = FakeSim()
    sc = scenarios.tones(fake.session("channel-tones"), sim=fake)
    with pytest.raises(arinb.AriUsageError, match="no call yet"):
        sc.audio()
    result = sc.run().result()
    assert result.ok and not sc.has_audio
    with pytest.raises(arinb.AriUsageError, match="no call audio"):
        result.audio()
    with pytest.raises(arinb.AriUsageError, match="no call audio"):
        result.steps[-1].audio()
    sc.close()


async def test_the_docs_handler_apps_ignore_a_snoop_channel(sim: arinb.Simulator) -> None:
    session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")

    async def sleep(seconds: float) -> None:  # the app's timers follow the clock this test moves
        deadline = sim.clock.now() + seconds
        while sim.clock.now() < deadline:
            await asyncio.sleep(0.002)

    lines: list[str] = []
    scenarios.channel_tones(session, sleep=sleep, say=lines.append)
    entered = session.wait_for("StasisStart", timeout=5)
    left = session.wait_for("StasisEnd", lambda e: not e.channel.name.startswith("Snoop/"), timeout=10)
    await sim.call("1000", caller="alice")
    channel = (await entered).channel
    recording = session.wait_for("RecordingStarted", timeout=5)
    whole = channel.audio()  # a snoop channel enters channel-tones too
    while not recording.done():  # (a manual clock: the recording starts at the next tick)
        sim.clock.advance(0.0)
        await asyncio.sleep(0.005)
    await recording
    while not left.done():  # the app's 8 + 1 s, in simulated time
        sim.clock.advance(0.05)
        await asyncio.sleep(0.002)
    await left
    clip = await whole
    assert lines == [
        f"Channel {channel.name} has entered the application",
        f"Answering channel {channel.name}",
        f"Hanging up channel {channel.name}",
        f"Channel {channel.name} just left our application",
    ]
    assert 9.0 <= clip.duration < 9.5  # (the clock moves in 50 ms ticks here)
    assert clip.dominant_frequency(0.1, 1.4) == pytest.approx(440, abs=0.5)
    await session.close()
