"""Rendering media logs into what the caller hears, checked against the real Asterisk captures (AUDIO.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _audio_helpers import make_wav, ramp, real_sound

from arinb.audio import (
    NO_AUDIO_FILES_NOTE,
    TONE_START_DELAY,
    TONE_STOP_DELAY,
    WAV_READ_LOST_SAMPLES,
    MediaSegment,
    playable_samples,
    render,
    render_clip,
    segments_span,
    tone_spec,
)
from arinb.errors import AriUsageError

T0 = 1_795_000_000.0  # a simulated epoch: renders must not depend on small numbers
RATE = 8000


def seg(start: float, end: float | None, kind: str, source: str = "", **kw: object) -> MediaSegment:
    return MediaSegment("ch-1", T0 + start, None if end is None else T0 + end, kind, source, **kw)  # type: ignore[arg-type]


def at(t: float) -> int:
    return round(t * RATE)


@pytest.fixture
def weasel(tmp_path: Path) -> Path:
    """A 2 s file of distinct non-zero samples, so every misplaced sample shows."""
    return make_wav(tmp_path / "weasel.wav", ramp(16000))


# -- tones --------------------------------------------------------------------------------------------------


def test_fr_ring_is_440_hz_with_a_1_5_on_3_5_off_cadence() -> None:
    # tones.json / AUDIO.md: PlaybackStarted ~0.502, first tone sample 0.520 (where the log starts the tone
    # segment: TONE_START_DELAY later), DELETE ~9.50.
    assert TONE_START_DELAY == 0.018
    clip = render_clip([seg(0.502 + TONE_START_DELAY, 9.50, "tone", tone_spec("fr", "ring"))], T0, T0 + 10.0)
    assert clip.dominant_frequency(0.6, 2.0) == pytest.approx(440.0, abs=0.5)
    cadence = clip.on_off_cadence()
    assert len(cadence) == 2
    (on1, off1), (on2, off2) = cadence
    assert on1 == pytest.approx(1.5, abs=0.001) and off1 == pytest.approx(3.5, abs=0.001)
    assert on2 == pytest.approx(1.5, abs=0.001) and off2 is None
    assert [round(b, 3) for b, _ in clip.bursts()] == [0.52, 5.52]
    # "After 7.02 the off-phase was zeros" (the tone ran to 9.52, one frame past the DELETE: see below).
    assert not np.any(clip.samples[at(7.02) :])
    assert clip.peak() == 7233


def test_busy_is_480_plus_620_at_half_second_cadence() -> None:
    clip = render_clip([seg(0.52, 3.5, "tone", tone_spec(None, "busy"))], T0, T0 + 4.0)
    assert sorted(clip.peak_frequencies(0.55, 0.95, count=2)) == pytest.approx([480, 620], abs=1)
    cadence = clip.on_off_cadence()
    assert [round(on, 2) for on, _ in cadence] == [0.5, 0.5, 0.5]
    assert [None if off is None else round(off, 2) for _, off in cadence] == [0.5, 0.5, None]


def test_tone_audio_runs_from_its_segment_start_to_one_frame_past_its_end() -> None:
    pcm = render([seg(1.0, 2.0, "tone", "440")], T0, T0 + 2.5)
    first, last = at(1.0), at(2.0 + TONE_STOP_DELAY)
    assert not np.any(pcm[:first])
    assert pcm[first] == 0 and pcm[first + 1] == 2445  # sine phase 0, from the integer oscillator
    assert np.count_nonzero(pcm[first:last]) > 0.99 * (last - first)
    assert not np.any(pcm[last:])
    # The generator stops on a frame boundary: a stop 7 ms into a frame still ends on one.
    stopped = render([seg(0.0, 0.507, "tone", "440")], T0, T0 + 1.0)
    assert np.flatnonzero(stopped)[-1] + 1 in (at(0.52), at(0.52) - 1)


def test_a_still_sounding_tone_plays_to_the_end_of_the_window() -> None:
    pcm = render([seg(0.0, None, "tone", tone_spec("us", "dial"))], T0, T0 + 3.0)
    assert np.count_nonzero(pcm[at(0.02) :]) > 0.99 * (pcm.size - at(0.02))


def test_an_unparsable_tone_renders_silence_with_a_note() -> None:
    clip = render_clip([seg(0.0, 1.0, "tone", "ring")], T0, T0 + 1.0)
    assert not np.any(clip.samples)
    assert any("no valid tone parts" in note for note in clip.notes)


# -- files --------------------------------------------------------------------------------------------------


def test_tt_monkeys_renders_its_whole_file_minus_the_quirk() -> None:
    path = real_sound("tt-monkeys")
    pcm = render([seg(0.5, None, "file", str(path))], T0, T0 + 20.0)
    content = playable_samples(path)
    assert content.size == 129440 - WAV_READ_LOST_SAMPLES
    assert np.array_equal(pcm[at(0.5) : at(0.5) + content.size], content)
    assert not np.any(pcm[: at(0.5)]) and not np.any(pcm[at(0.5) + content.size :])


def test_a_stopped_file_ends_at_its_segment_end(weasel: Path) -> None:
    pcm = render([seg(0.0, 0.5, "file", str(weasel))], T0, T0 + 2.0)
    assert np.array_equal(pcm[: at(0.5)], playable_samples(weasel)[: at(0.5)])
    assert not np.any(pcm[at(0.5) :])


def paused_playback(path: Path) -> list[MediaSegment]:
    """The media log of the AUDIO.md pause capture, as the simulator writes it.

    Audio stops after src 1.020 s at 1.52; the unpause at 3.00 re-opens the file, whose first 20 ms frame is
    heard before src 1.02 s onward.
    """
    return [
        seg(0.5, 1.52, "file", str(path), playback_id="pb"),
        seg(3.0, 3.02, "file", str(path), playback_id="pb"),
        seg(3.02, None, "file", str(path), offset=1.02, playback_id="pb"),
    ]


def test_pause_leaves_a_gap_of_the_paused_length(weasel: Path) -> None:
    pcm = render(paused_playback(weasel), T0, T0 + 6.0)
    src = playable_samples(weasel)
    assert np.array_equal(pcm[at(0.5) : at(1.52)], src[:8160])
    assert not np.any(pcm[at(1.52) : at(3.0)])  # the paused 1.48 s are zeros
    assert np.array_equal(pcm[at(3.0) : at(3.02)], src[:160])  # the re-opened file's first frame
    rest = src[8160:]
    assert np.array_equal(pcm[at(3.02) : at(3.02) + rest.size], rest)
    assert np.count_nonzero(pcm) == 8160 + 160 + rest.size


def test_pause_of_real_tt_weasels_sends_what_asterisk_sent() -> None:
    path = real_sound("tt-weasels")
    pcm = render(paused_playback(path), T0, T0 + 6.0)
    src = playable_samples(path)
    resumed_end = at(3.02) + src.size - 8160
    sent = np.concatenate([pcm[at(0.5) : at(1.52)], pcm[at(3.0) : resumed_end]])
    # AUDIO.md: "A received 23746 samples = 8160 + 160 + 15426"; the audio ends at 4.94.
    assert sent.size == 8160 + 160 + 15426 == 23746
    assert np.array_equal(sent, np.concatenate([src[:8160], src[:160], src[8160:]]))
    assert resumed_end / RATE == pytest.approx(4.95, abs=0.01)
    assert not np.any(pcm[resumed_end:])


def test_forward_seeks_in_place_without_a_replayed_frame(weasel: Path) -> None:
    segments = [
        seg(0.0, 0.25, "file", str(weasel), playback_id="pb"),
        seg(0.25, None, "file", str(weasel), offset=1.25, playback_id="pb"),  # forward by 1 s
    ]
    pcm = render(segments, T0, T0 + 1.0)
    src = playable_samples(weasel)
    expected = np.concatenate([src[: at(0.25)], src[at(1.25) :]])
    assert np.array_equal(pcm[: expected.size], expected)
    assert not np.any(pcm[expected.size :])


def test_an_offset_plays_from_there(weasel: Path) -> None:
    pcm = render([seg(0.0, None, "file", str(weasel), offset=1.5)], T0, T0 + 1.0)
    expected = playable_samples(weasel)[at(1.5) :]
    assert np.array_equal(pcm[: expected.size], expected)
    assert not np.any(pcm[expected.size :])


def compose(paths: list[Path], start: float, jitter: float) -> list[MediaSegment]:
    """Segments as the engine makes them for a say playback: one per file, back to back, plus timer jitter."""
    segments = []
    t = start
    for path in paths:
        length = playable_samples(path).size / RATE
        segments.append(seg(t, t + length, "file", str(path), playback_id="say", media_uri="number:123"))
        t += length + jitter
    return segments


def test_number_123_plays_its_say_files_back_to_back() -> None:
    paths = [real_sound(name) for name in ("digits/1", "digits/hundred", "digits/20", "digits/3")]
    pcm = render(compose(paths, 0.5, jitter=0.0), T0, T0 + 5.0)
    expected = np.concatenate([playable_samples(p) for p in paths])
    assert expected.size == 28223 - 4 * 22 == 28135  # AUDIO.md: 3.516875 s sent to A
    assert np.array_equal(pcm[at(0.5) : at(0.5) + expected.size], expected)
    assert not np.any(pcm[at(0.5) + expected.size :])


@pytest.mark.parametrize("jitter", [0.0, 0.004, -0.003])
def test_say_files_follow_each_other_whatever_the_timer_jitter(tmp_path: Path, jitter: float) -> None:
    paths = [make_wav(tmp_path / f"{i}.wav", ramp(1000 + 37 * i, start=500 * i)) for i in range(4)]
    pcm = render(compose(paths, 0.25, jitter), T0, T0 + 1.5)
    expected = np.concatenate([playable_samples(p) for p in paths])
    assert np.array_equal(pcm[at(0.25) : at(0.25) + expected.size], expected)
    assert np.count_nonzero(pcm) == expected.size


def test_catalog_only_sounds_render_as_silence_of_their_length_with_a_note() -> None:
    clip = render_clip(
        [seg(0.5, 16.68, "file", "tt-monkeys"), seg(16.68, 17.1, "file", "beep")], T0, T0 + 18.0
    )
    assert clip.samples.size == 18 * RATE
    assert not np.any(clip.samples)
    assert clip.notes == (f"{NO_AUDIO_FILES_NOTE}: tt-monkeys, beep (rendered as silence)",)


def test_named_sounds_are_found_in_the_given_sound_dirs(tmp_path: Path) -> None:
    make_wav(tmp_path / "en" / "beep.wav", ramp(400))
    clip = render_clip([seg(0.0, None, "file", "beep")], T0, T0 + 0.1, sound_dirs=[tmp_path])
    assert clip.notes == ()
    assert np.array_equal(clip.samples[: 400 - 22], ramp(400)[:-22])


def test_silence_then_beep(weasel: Path) -> None:
    # AUDIO.md: 16000 zero samples from the silence generator, then the beep with no gap.
    pcm = render([seg(0.5, 2.5, "silence"), seg(2.5, None, "file", str(weasel))], T0, T0 + 3.0)
    assert not np.any(pcm[: at(2.5)])
    assert np.array_equal(pcm[at(2.5) :], playable_samples(weasel)[: pcm.size - at(2.5)])


def test_a_later_segment_wins_over_a_tone_tail(weasel: Path) -> None:
    pcm = render([seg(0.0, 1.0, "tone", "440"), seg(1.0, None, "file", str(weasel))], T0, T0 + 1.5)
    assert np.array_equal(pcm[at(1.0) :], playable_samples(weasel)[: pcm.size - at(1.0)])


def test_a_window_renders_the_same_samples_as_the_whole(weasel: Path) -> None:
    segments = [
        seg(0.3, 6.1, "tone", tone_spec("fr", "ring")),
        seg(6.1, 7.0, "file", str(weasel)),
        seg(7.5, None, "tone", tone_spec("uk", "ring")),
    ]
    whole = render(segments, T0, T0 + 12.0)
    for lo, hi in ((0.0, 1.0), (2.7, 6.4), (6.5, 11.9)):
        assert np.array_equal(render(segments, T0 + lo, T0 + hi), whole[at(lo) : at(hi)])


def test_other_rates_are_resampled() -> None:
    pcm = render([seg(0.0, None, "tone", "440")], T0, T0 + 1.0, rate=16000)
    assert pcm.size == 16000
    assert np.argmax(np.abs(np.fft.rfft(pcm.astype(np.float64)))) == 440


def test_bad_input_raises_typed_errors() -> None:
    with pytest.raises(AriUsageError, match="ends before it starts"):
        render([], T0 + 1, T0)
    with pytest.raises(AriUsageError, match="finite"):
        render([], T0, float("inf"))
    with pytest.raises(AriUsageError, match="unknown media segment kind"):
        render([seg(0.0, 1.0, "video")], T0, T0 + 1)  # type: ignore[arg-type]


def test_segments_span() -> None:
    assert segments_span([]) == (0.0, None)
    assert segments_span([seg(1.0, 2.0, "silence"), seg(0.5, 1.0, "silence")]) == (T0 + 0.5, T0 + 2.0)
    assert segments_span([seg(1.0, None, "tone", "440")]) == (T0 + 1.0, None)
