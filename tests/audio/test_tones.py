"""The playtones generator emulation and the tone zones, against Asterisk's source and measured levels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from testkit.data import ARI

from arinb.audio import (
    ToneProgram,
    ToneSpecError,
    _make_tonezones,
    resolve_tone,
    tone_program,
    tone_spec,
    tone_zones,
)
from arinb.audio.tones import FRAME_SAMPLES, _Oscillator, _oscillator_params, parse_part

# midi_tohz[] from Asterisk's main/indications.c (reference data, checked against our formula).
ASTERISK_MIDI_TO_HZ = [
    8, 8, 9, 9, 10, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24,
    25, 27, 29, 30, 32, 34, 36, 38, 41, 43, 46, 48, 51, 55, 58, 61, 65, 69, 73, 77,
    82, 87, 92, 97, 103, 110, 116, 123, 130, 138, 146, 155, 164, 174, 184, 195, 207, 220, 233, 246,
    261, 277, 293, 311, 329, 349, 369, 391, 415, 440, 466, 493, 523, 554, 587, 622, 659, 698, 739, 783,
    830, 880, 932, 987, 1046, 1108, 1174, 1244, 1318, 1396, 1479, 1567, 1661, 1760, 1864, 1975, 2093, 2217,
    2349, 2489, 2637, 2793, 2959, 3135, 3322, 3520, 3729, 3951, 4186, 4434, 4698, 4978, 5274, 5587, 5919,
    6271, 6644, 7040, 7458, 7902, 8372, 8869, 9397, 9956, 10548, 11175, 11839, 12543,
]  # fmt: skip


def reference_oscillator(freq: int, count: int) -> np.ndarray:
    """The C loop of playtones_generator for one oscillator, written out plainly."""
    fac, v2, v3 = _oscillator_params(freq, 7219)
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        v1, v2 = v2, v3
        v3 = ((fac * v2) >> 15) - v1
        out[i] = v3
    return out


def rms_dbfs(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) / 32768)


# -- parsing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("440", (440, 0, 0, False)),
        ("440/1500", (440, 0, 1500, False)),
        ("480+620/500", (480, 620, 500, False)),
        ("350+440", (350, 440, 0, False)),
        ("400*25/400", (400, 25, 400, True)),
        ("600*120", (600, 120, 0, True)),
        ("350+375+400", (350, 375, 0, False)),  # sscanf stops at the second '+': the third tone is dropped
        ("M69", (440, 0, 0, False)),
        ("M69+M81/100", (440, 880, 100, False)),
        ("M200", (0, 0, 0, False)),  # beyond the midi table
        ("0/3500", (0, 0, 3500, False)),
    ],
)
def test_parts_parse_like_sscanf(part: str, expected: tuple[int, int, int, bool]) -> None:
    item = parse_part(part)
    assert item is not None
    assert (item.freq1, item.freq2, item.duration_ms, item.modulate) == expected


def test_unparsable_parts_are_skipped_and_a_list_of_none_is_an_error() -> None:
    assert parse_part("bogus") is None
    program = ToneProgram.parse("bogus,440/100,0/100")
    assert [i.describe() for i in program.items] == ["440/100", "0/100"]
    with pytest.raises(ToneSpecError, match="no valid tone parts"):
        ToneProgram.parse("ring")
    with pytest.raises(ValueError, match="no valid tone parts"):  # an AriUsageError is a ValueError too
        ToneProgram.parse("")


def test_list_ends_at_an_empty_part_and_pipe_separates_when_present() -> None:
    assert len(ToneProgram.parse("440/100,,0/100").items) == 1
    assert len(ToneProgram.parse("440/100|0/100").items) == 2
    assert len(ToneProgram.parse("440+480/100|0/100,5").items) == 2  # with '|', commas are not separators


def test_play_once_parts_and_repeat_position() -> None:
    assert ToneProgram.parse("!950/330,!1400/330,!1800/330").repeat_from == -1
    assert ToneProgram.parse("!425/100,!0/100,425").repeat_from == 2
    assert ToneProgram.parse("480+620/500,0/500").repeat_from == 0


def test_midi_table_matches_asterisk() -> None:
    for note, hz in enumerate(ASTERISK_MIDI_TO_HZ):
        assert parse_part(f"M{note}") == parse_part(str(hz)), note


# -- the generator ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("freq", [440, 1400, 25, 0])
def test_cached_oscillator_equals_the_c_loop(freq: int) -> None:
    # 1400 Hz has a 207009-sample period: 250000 samples exercise the tiling past one period.
    count = 250_000 if freq == 1400 else 30_000
    cached = _Oscillator(*_oscillator_params(freq, 7219)).take(count)
    assert np.array_equal(cached, reference_oscillator(freq, count))


def test_fr_ring_levels_and_cadence_match_the_real_asterisk() -> None:
    pcm = tone_program(tone_spec("fr", "ring")).samples(8000 * 10)
    on = pcm[:12000]
    assert pcm[0] == 0  # sine phase 0
    assert int(np.abs(pcm).max()) == 7233  # AUDIO.md: peak 7233
    assert rms_dbfs(on) == pytest.approx(-16.16, abs=0.01)  # AUDIO.md: burst RMS -16.16 dBFS
    assert not np.any(pcm[12000:40000])  # 3.5 s of exact zeros
    assert np.array_equal(pcm[40000:52000], on)  # every burst restarts the oscillator


def test_us_busy_mixes_480_and_620_at_equal_level() -> None:
    pcm = tone_program(tone_spec("us", "busy")).samples(8000 * 3)
    assert int(np.abs(pcm).max()) == 14440
    assert rms_dbfs(pcm[:4000]) == pytest.approx(-13.15, abs=0.01)
    spectrum = np.abs(np.fft.rfft(pcm[:4000].astype(np.float64)))  # 2 Hz bins
    assert spectrum[240] == pytest.approx(spectrum[310], rel=0.02)  # 480 Hz and 620 Hz, within 0.2 dB
    assert not np.any(pcm[4000:8000])


def test_part_durations_round_up_to_whole_frames() -> None:
    runs = ToneProgram.parse("400/375,0/375").runs(8000)
    assert runs[:2] == [(0, 3040), (1, 3040)]  # 375 ms = 18.75 frames -> 19 frames
    assert all(length % FRAME_SAMPLES == 0 for _, length in runs[:-1])


def test_play_once_list_falls_silent_after_its_last_part() -> None:
    pcm = ToneProgram.parse("!950/330,!1400/330,!1800/330").samples(16000)
    assert np.any(pcm[: 3 * 2720])
    assert not np.any(pcm[3 * 2720 :])


def test_a_single_repeating_part_never_resets() -> None:
    assert np.array_equal(ToneProgram.parse("440/100").samples(4000), ToneProgram.parse("440").samples(4000))
    # ...while a part that changes does reset: the second burst restarts at phase 0.
    two = ToneProgram.parse("440/100,0/100").samples(3200)
    assert np.array_equal(two[1600:2400], two[:800])


def test_modulation_makes_sidebands_around_the_carrier() -> None:
    pcm = ToneProgram.parse("400*25").samples(8000)
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(pcm.size)))  # 1 Hz bins

    def level(hz: int) -> float:
        return float(spectrum[hz - 2 : hz + 3].max())

    carrier = level(400)
    # The modulator swings the carrier's amplitude by about +-20 %: sidebands near -20 dB at 400 +- 25 Hz.
    assert carrier / 15 < level(375) < carrier / 5
    assert carrier / 15 < level(425) < carrier / 5
    assert level(350) < carrier / 200 and level(387) < carrier / 200


def test_samples_with_skip_is_a_window_of_the_whole() -> None:
    program = tone_program("!425/100,!0/100,425/330,0/330")
    whole = program.samples(30_000)
    assert np.array_equal(program.samples(5_000, skip=21_000), whole[21_000:26_000])


# -- zones --------------------------------------------------------------------------------------------------


def test_tone_spec_lookup_follows_asterisk() -> None:
    assert tone_spec("fr", "ring") == "440/1500,0/3500"
    assert tone_spec("FR", "RING") == "440/1500,0/3500"
    assert tone_spec(None, "ring") == "440+480/2000,0/4000"  # default country us
    assert tone_spec("xx", "busy") == tone_spec("us", "busy")  # an unknown zone plays the default's tone
    with pytest.raises(KeyError):
        tone_spec("fr", "nope")
    assert resolve_tone("ring;tonezone=fr") == "440/1500,0/3500"
    assert resolve_tone("440+480/2000") == "440+480/2000"


def test_every_zone_tone_parses() -> None:
    zones = tone_zones()
    assert len(zones) == 41
    for zone in zones.values():
        for spec in zone["tones"].values():
            ToneProgram.parse(spec)


def test_zone_data_is_generated_from_the_shared_table() -> None:
    source = ARI / "indications.tsv"
    built = _make_tonezones.build(source.read_text(encoding="utf-8"))
    assert json.loads(_make_tonezones.TARGET.read_text(encoding="utf-8")) == built
