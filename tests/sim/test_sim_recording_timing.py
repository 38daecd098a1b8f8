"""Recordings as the new captures show them (ASTERISK22.md: record-max-duration, snoop-and-record)."""

from __future__ import annotations

import math

import pytest

from arinb.models import parse_timestamp
from tests.sim.sim_helpers import Harness


@pytest.mark.parametrize("fraction", [0.06, 0.5, 0.94])
async def test_max_duration_ends_on_whole_wall_clock_seconds(fraction: float) -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys")
    snoop = (await h.op("channels.snoopChannel", {"channelId": cid}, spy="out", app="probe")).body["id"]
    h.advance(math.ceil(h.clock.now()) + fraction - h.clock.now())  # start at this fraction of a second
    await h.op("channels.record", {"channelId": snoop}, name="r", format="wav", maxDurationSeconds="2")
    h.advance(4.0)
    started, finished = h.times("RecordingStarted")[-1], h.times("RecordingFinished")[-1]
    # floor(start) + 3 s (+ the next frame, ~8 ms): 2 to 3 s for a limit of 2, never the old fixed 2.8 s.
    assert finished == pytest.approx(math.floor(started) + 3.008, abs=0.0015)
    assert 2.0 < finished - started <= 3.01
    [done] = [e for e in h.events() if e["type"] == "RecordingFinished"]
    assert done["recording"]["duration"] == 2
    size = len((await h.op("recordings.getStoredFile", {"recordingName": "r"})).body)
    frames = (size - 44) / 320
    assert frames == math.floor((finished - started + 0.015) / 0.02 + 1e-6)


async def test_a_stopped_recording_holds_the_frames_completed_before_the_stop() -> None:
    h = Harness()
    cid = await h.channel()
    snoop = (await h.op("channels.snoopChannel", {"channelId": cid}, spy="out", app="probe")).body["id"]
    await h.op("channels.record", {"channelId": snoop}, name="r", format="wav")
    h.advance(1.019)  # 50 whole frames and most of a 51st
    await h.op("recordings.stop", {"recordingName": "r"})
    size = len((await h.op("recordings.getStoredFile", {"recordingName": "r"})).body)
    assert size == 44 + 50 * 320


async def test_a_record_on_a_playing_channel_waits_queued_behind_the_playback() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "tone:ring", "pb")
    h.advance(0.5)
    reply = await h.op("channels.record", {"channelId": cid}, name="r", format="wav")
    assert (reply.status, reply.body["state"]) == (201, "queued")
    h.advance(2.0)
    assert "RecordingStarted" not in h.types()
    live = await h.op("recordings.getLive", {"recordingName": "r"})
    assert (live.status, live.body["state"]) == (200, "queued")
    await h.op("playbacks.stop", {"playbackId": "pb"})
    h.advance(0.001)
    types = h.types()
    assert types.index("PlaybackFinished") < types.index("RecordingStarted")
    finished = [parse_timestamp(e["timestamp"]) for e in h.events() if e["type"] == "PlaybackFinished"]
    assert h.times("RecordingStarted")[0] == pytest.approx(finished[0], abs=0.001)  # the same ms
