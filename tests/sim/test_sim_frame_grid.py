"""Media on Asterisk's 20 ms frame grid (AUDIO.md): a pause and a stop end with the frame in progress."""

from __future__ import annotations

import pytest

from arinb.sim.media import TONE_LEAD
from tests.sim.sim_helpers import Harness


async def test_pause_stops_on_a_whole_frame_of_the_source() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "w")
    h.advance(0.001)
    [seg] = [s for s in h.engine.media_log(cid) if s.playback_id == "w"][:1]
    h.advance(1.0037 - 0.001)  # 1.0037 s into the audio: frame 51 is on its way
    await h.op("playbacks.control", {"playbackId": "w"}, operation="pause")
    segs = [s for s in h.engine.media_log(cid) if s.playback_id == "w"]
    played = sum(s.end - s.start for s in segs if s.end is not None)
    # AUDIO.md: "Audio stops at 1.52, after source 1.020 s (sample 8160)": 51 whole frames, not 1.0237 s.
    assert played == pytest.approx(1.020, abs=1e-6)
    assert h.engine.playbacks.get("w").position == pytest.approx(1.020, abs=1e-6)
    assert seg.start + 1.020 == pytest.approx(segs[-1].end, abs=1e-6)


async def test_a_stopped_tone_ends_on_a_frame() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "tone:ring;tonezone=fr", "t")
    h.advance(0.001)
    [tone] = [s for s in h.engine.media_log(cid) if s.playback_id == "t"]
    h.advance(8.98 + TONE_LEAD - 0.001 - 0.0033)  # 8.9767 s after its first sample
    await h.op("playbacks.stop", {"playbackId": "t"})
    # AUDIO.md: DELETEd at ~9.50 with the first sample at 0.52, the caller got exactly 9.000 s (450 frames).
    assert tone.end - tone.start == pytest.approx(8.98, abs=1e-6)
    h2 = Harness()
    cid2 = await h2.channel()
    await h2.play(cid2, "tone:ring;tonezone=fr", "t")
    h2.advance(8.99 + TONE_LEAD)
    await h2.op("playbacks.stop", {"playbackId": "t"})
    [tone2] = [s for s in h2.engine.media_log(cid2) if s.playback_id == "t"]
    assert tone2.end - tone2.start == pytest.approx(9.0, abs=1e-6)  # mid-frame: the frame completes
