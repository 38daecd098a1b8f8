"""Sound catalog, real sound files and tone zones."""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import pytest
from testkit.data import ARI

from arinb.sim.catalog import SYSTEM_SOUNDS_DIR, SoundLibrary, builtin_sounds, file_duration, tone_zones


def _wav(path: Path, samples: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\1\0" * samples)


def test_builtin_catalog_has_the_568_core_sounds_with_measured_durations() -> None:
    sounds = builtin_sounds()
    assert len(sounds) == 568
    assert sounds["tt-monkeys"][0] == pytest.approx(16.18)
    assert sounds["beep"][0] == pytest.approx(0.4255)
    assert sounds["tt-weasels"][0] == pytest.approx(2.951)
    assert sounds["digits/1"][1] == ("slin", "gsm")


def test_builtin_catalog_matches_the_shared_ground_truth() -> None:
    with (ARI / "sounds-en.tsv").open() as fh:
        rows = [r for r in csv.reader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")][1:]
    truth = {r[0]: float(r[1]) for r in rows}
    assert {k: v[0] for k, v in builtin_sounds().items()} == pytest.approx(truth)


def test_file_durations_for_every_format(tmp_path: Path) -> None:
    _wav(tmp_path / "a.wav", 12345)
    (tmp_path / "b.gsm").write_bytes(b"\0" * 33 * 50)  # 50 frames of 160 samples
    (tmp_path / "c.ulaw").write_bytes(b"\0" * 4000)
    (tmp_path / "d.sln").write_bytes(b"\0" * 16000)
    (tmp_path / "e.sln16").write_bytes(b"\0" * 16000)
    assert file_duration(tmp_path / "a.wav") == pytest.approx(12345 / 8000)
    assert file_duration(tmp_path / "b.gsm") == pytest.approx(1.0)
    assert file_duration(tmp_path / "c.ulaw") == pytest.approx(0.5)
    assert file_duration(tmp_path / "d.sln") == pytest.approx(1.0)
    assert file_duration(tmp_path / "e.sln16") == pytest.approx(0.5)
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    with pytest.raises(ValueError):
        file_duration(tmp_path / "bad.wav")


def test_real_files_win_over_the_catalog_and_the_catalog_fills_in(tmp_path: Path) -> None:
    _wav(tmp_path / "en" / "tt-monkeys.wav", 8000)  # a 1 s "monkeys"
    _wav(tmp_path / "en" / "custom" / "hello.wav", 4000)
    _wav(tmp_path / "fr" / "hello.wav", 2000)
    lib = SoundLibrary([tmp_path], use_system=False)
    monkeys = lib.lookup("tt-monkeys")
    assert monkeys is not None and monkeys.duration == pytest.approx(1.0)
    assert monkeys.path == tmp_path / "en" / "tt-monkeys.wav"
    assert lib.lookup("custom/hello").duration == pytest.approx(0.5)
    assert lib.lookup("hello", "fr").duration == pytest.approx(0.25)
    weasels = lib.lookup("tt-weasels", "fr")  # no file anywhere: catalog, like the en fallback
    assert weasels is not None and weasels.path is None and weasels.duration == pytest.approx(2.951)
    assert lib.lookup("nothing-like-this") is None
    assert SoundLibrary([tmp_path], use_system=False, use_catalog=False).lookup("tt-weasels") is None


def test_sound_list_reports_wav_as_slin_and_filters_by_language(tmp_path: Path) -> None:
    _wav(tmp_path / "en" / "x.wav", 10)
    (tmp_path / "en" / "x.gsm").write_bytes(b"\0" * 33)
    _wav(tmp_path / "fr" / "x.wav", 10)
    lib = SoundLibrary([tmp_path], use_system=False)
    assert lib.list(lang="en") == [
        {"id": "x", "formats": [{"language": "en", "format": "gsm"}, {"language": "en", "format": "slin"}]}
    ]
    assert [f["language"] for f in lib.get("x")["formats"]] == ["fr", "en", "en"]
    assert lib.get("y") is None


def test_catalog_listing_without_files_looks_like_debian() -> None:
    lib = SoundLibrary(use_system=False)
    assert len(lib.list(lang="en")) == 568
    monkeys = lib.get("tt-monkeys")
    assert monkeys is not None
    assert [f["language"] for f in monkeys["formats"]][::2] == ["en_US_f_Allison", "en_US", "en"]


@pytest.mark.skipif(not (SYSTEM_SOUNDS_DIR / "en").is_dir(), reason="Debian sounds not installed")
def test_system_sounds_agree_with_the_catalog() -> None:
    lib = SoundLibrary()
    for name in ("tt-monkeys", "beep", "tt-weasels", "digits/5", "letters/a"):
        found = lib.lookup(name)
        assert found is not None and found.path is not None
        assert found.duration == pytest.approx(builtin_sounds()[name][0], abs=1e-3)
    assert len(lib.list(lang="en")) == 568


def test_tone_zones() -> None:
    zones = tone_zones()
    assert zones.default == "us"
    assert zones.tone("fr", "ring") == "440/1500,0/3500"
    assert zones.tone(None, "busy") == "480+620/500,0/500"
    assert zones.tone("xx", "ring") == zones.tone("us", "ring")  # unknown zone: the default country
    assert zones.tone("fr", "nope") is None
    assert len(zones.zones) == 41
