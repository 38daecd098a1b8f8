"""Media on Asterisk's 20 ms frame grid (AUDIO.md): a pause and a stop end with the frame in progress; a
recording holds whole frames, so a file playback starts on the recording's frame it was sent in."""

from __future__ import annotations

import io
import wave

import pytest

from arinb.media_log import MediaSegment
from arinb.sim.media import TONE_LEAD
from arinb.sim.recordings import on_recording_grid
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


# -- a file playback starts on the recording's frame grid ----------------------------------------------------
# Measured on a real Asterisk 22.10.1 (Local pair with formats=slin, snoop spy=out on the playing half,
# the snoop recorded as wav, sound:beep played at known times after RecordingStarted, 6 snoops): every
# burst began on a whole 160-sample frame of the recording, the one the audio was sent in. Plays whose
# PlaybackStarted fell 2-12 ms into a 20 ms step of the recording sounded at the step's start in every run.
@pytest.mark.parametrize(
    ("sent", "heard"), [(0.502, 0.500), (1.204, 1.200), (3.310, 3.300), (4.012, 4.000), (6.820, 6.820)]
)
def test_file_audio_starts_on_the_recording_frame_it_was_sent_in(sent: float, heard: float) -> None:
    beep = MediaSegment("c", 100.0 + sent, 100.0 + sent + 0.42275, "file", "beep")
    [seg] = on_recording_grid([beep], 100.0)
    assert seg.start == pytest.approx(100.0 + heard, abs=1e-9)


def test_a_stretch_of_audio_keeps_whole_frames_only() -> None:
    # beep: 3404 samples, 3382 sent (the wav tail), 3360 in the snoop recording (captured: bursts of
    # exactly beep[0:3360] at 0.500, 1.500, 2.500).
    [seg] = on_recording_grid([MediaSegment("c", 0.502, 0.502 + 3382 / 8000, "file", "beep")], 0.0)
    assert (seg.start, round((seg.end - seg.start) * 8000)) == (pytest.approx(0.5), 3360)


def test_the_items_of_a_list_follow_each_other_in_the_recording() -> None:
    # AUDIO.md, list (beep,tt-weasels): 3.371 s sent, the snoop audio spans 0.500-3.860 (total mod 160 lost).
    beep, weasels = 3382 / 8000, (3.3765 - 3404 / 8000) - 22 / 8000
    log = [
        MediaSegment("c", 0.502, 0.502 + beep, "file", "beep"),
        # the simulator starts the next item ~4 ms after the previous one's content ends
        MediaSegment("c", 0.502 + beep + 0.004, 0.502 + beep + 0.004 + weasels, "file", "tt-weasels"),
    ]
    first, second = on_recording_grid(log, 0.0)
    assert first.end == pytest.approx(second.start, abs=1e-9)  # no gap
    assert (first.start, second.end) == (pytest.approx(0.5), pytest.approx(3.86))


def test_a_tone_sounds_one_frame_after_a_file_in_the_recording() -> None:
    # AUDIO.md: file audio at 0.500, the first tone sample at 0.520 (play POST ~0.501, PlaybackStarted 0.502).
    [tone] = on_recording_grid([MediaSegment("c", 0.502 + TONE_LEAD, None, "tone", "440/1500,0/3500")], 0.0)
    assert tone.start == pytest.approx(0.52)


def test_the_unpause_frame_is_on_the_grid_too() -> None:
    # AUDIO.md: unpause at 3.008; "at 3.00 the caller hears one 20 ms frame from the start of the file".
    log = [
        MediaSegment("c", 0.502, 1.522, "file", "tt-weasels"),
        MediaSegment("c", 3.008, 3.028, "file", "tt-weasels"),
        MediaSegment("c", 3.028, 4.956, "file", "tt-weasels", 1.02),
    ]
    played, replay, rest = on_recording_grid(log, 0.0)
    assert (played.start, played.end) == (pytest.approx(0.5), pytest.approx(1.52))
    assert (replay.start, rest.start) == (pytest.approx(3.0), pytest.approx(3.02))


async def test_a_snoop_recording_holds_the_file_from_a_whole_frame() -> None:
    h = Harness()
    beep = h.engine.sounds.lookup("beep", "en")
    if beep is None or beep.path is None:
        pytest.skip("catalog-only simulator (no beep.wav installed)")
    cid = await h.channel()
    snoop = (await h.op("channels.snoopChannel", {"channelId": cid}, spy="out", app="probe")).body["id"]
    await h.op("channels.record", {"channelId": snoop}, name="r", format="wav")
    h.advance(0.502)
    await h.play(cid, "sound:beep")
    h.advance(1.0)
    await h.op("recordings.stop", {"recordingName": "r"})
    data = (await h.op("recordings.getStoredFile", {"recordingName": "r"})).body
    with wave.open(io.BytesIO(data)) as w:
        pcm = w.readframes(w.getnframes())
    with wave.open(str(beep.path)) as w:
        source = w.readframes(w.getnframes())
    at = 4000 * 2  # 0.500 s: the frame the play was sent in, not 0.502 s
    assert pcm[at : at + 3360 * 2] == source[: 3360 * 2]
    assert not any(pcm[:at]) and not any(pcm[at + 3360 * 2 :])
