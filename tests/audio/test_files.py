"""Decoding sound and recording files, and the wav_read quirk."""

from __future__ import annotations

import importlib
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _audio_helpers import make_wav, ramp, real_sound

from arinb.audio import (
    WAV_READ_LOST_SAMPLES,
    AudioFileError,
    GsmDecoderMissing,
    decode_file,
    find_sound,
    playable_samples,
    to_wav_bytes,
)
from arinb.audio.files import ALAW_TO_LINEAR, ULAW_TO_LINEAR, decode_wav_bytes, resample


def riff(fmt: bytes, data: bytes, extra_chunks: bytes = b"") -> bytes:
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_chunk(tag: int, channels: int, rate: int, bits: int) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def test_quirk_constant_is_44_header_bytes_of_16_bit_audio() -> None:
    assert WAV_READ_LOST_SAMPLES == 44 // 2


def test_wav_loses_its_last_22_samples_and_sln_does_not(tmp_path: Path) -> None:
    samples = ramp(1000)
    wav = make_wav(tmp_path / "x.wav", samples)
    sln = tmp_path / "x.sln"
    sln.write_bytes(samples.astype("<i2").tobytes())
    assert np.array_equal(decode_file(wav)[0], samples)
    assert np.array_equal(playable_samples(wav), samples[:-WAV_READ_LOST_SAMPLES])
    assert np.array_equal(playable_samples(sln), samples)


def test_playable_samples_are_cached_but_follow_a_rewritten_file(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "x.wav", ramp(500))
    first = playable_samples(wav)
    assert playable_samples(wav) is first
    assert not first.flags.writeable
    make_wav(wav, ramp(900))
    assert playable_samples(wav).size == 900 - WAV_READ_LOST_SAMPLES


def test_tt_monkeys_plays_its_file_minus_the_quirk() -> None:
    path = real_sound("tt-monkeys")
    assert decode_file(path)[0].size == 129440  # 16.18 s (README)
    assert playable_samples(path).size == 129440 - 22  # AUDIO.md: 16.17725 s sent to A


def test_g711_tables_match_the_standard() -> None:
    # ITU-T G.711 reference points (also what Asterisk's AST_MULAW/AST_ALAW tables hold).
    assert (ULAW_TO_LINEAR[0x00], ULAW_TO_LINEAR[0x7F], ULAW_TO_LINEAR[0x80], ULAW_TO_LINEAR[0xFF]) == (
        -32124,
        0,
        32124,
        0,
    )
    assert (ALAW_TO_LINEAR[0xD5], ALAW_TO_LINEAR[0x55], ALAW_TO_LINEAR[0xAA], ALAW_TO_LINEAR[0x2A]) == (
        8,
        -8,
        32256,
        -32256,
    )


def test_ulaw_and_alaw_files_and_wavs(tmp_path: Path) -> None:
    codes = bytes(range(256))
    (tmp_path / "x.ulaw").write_bytes(codes)
    (tmp_path / "x.alaw").write_bytes(codes)
    assert np.array_equal(decode_file(tmp_path / "x.ulaw")[0], ULAW_TO_LINEAR)
    assert np.array_equal(decode_file(tmp_path / "x.alaw")[0], ALAW_TO_LINEAR)
    assert np.array_equal(decode_wav_bytes(riff(fmt_chunk(7, 1, 8000, 8), codes))[0], ULAW_TO_LINEAR)
    assert np.array_equal(decode_wav_bytes(riff(fmt_chunk(6, 1, 8000, 8), codes))[0], ALAW_TO_LINEAR)


def test_wav_variants_decode(tmp_path: Path) -> None:
    # 8-bit unsigned, 24-bit, stereo (mixed down), an extra chunk before data, odd-sized chunk padding.
    pcm8 = bytes([128, 255, 0])
    assert decode_wav_bytes(riff(fmt_chunk(1, 1, 8000, 8), pcm8))[0].tolist() == [0, 32512, -32768]
    pcm24 = b"".join(struct.pack("<i", v << 8)[:3] for v in (1000, -1000))
    assert decode_wav_bytes(riff(fmt_chunk(1, 1, 16000, 24), pcm24))[0].tolist() == [1000, -1000]
    stereo = np.array([100, 300, -100, -300], dtype="<i2").tobytes()
    assert decode_wav_bytes(riff(fmt_chunk(1, 2, 8000, 16), stereo))[0].tolist() == [200, -200]
    extra = b"LIST" + struct.pack("<I", 3) + b"abc\x00"
    samples, rate = decode_wav_bytes(riff(fmt_chunk(1, 1, 16000, 16), b"\x01\x00", extra))
    assert (samples.tolist(), rate) == ([1], 16000)


def test_bad_files_raise_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="RIFF"):
        decode_wav_bytes(b"not a wav at all")
    with pytest.raises(AudioFileError, match="no data chunk"):
        decode_wav_bytes(riff(fmt_chunk(1, 1, 8000, 16), b"")[:-8])
    with pytest.raises(AudioFileError, match="unsupported WAVE encoding"):
        decode_wav_bytes(riff(fmt_chunk(2, 1, 8000, 4), b"\x00" * 10))  # ADPCM
    (tmp_path / "x.mp3").write_bytes(b"ID3")
    with pytest.raises(AudioFileError, match="unsupported sound file format"):
        decode_file(tmp_path / "x.mp3")


def test_wav_writer_writes_asterisk_sized_files() -> None:
    # record-and-play: a 2.8 s stored recording was 44844 bytes (44-byte header).
    assert len(to_wav_bytes(np.zeros(22400, dtype=np.int16))) == 44844


def test_resample_keeps_length_and_tone() -> None:
    t = np.arange(8000) / 8000
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    up = resample(tone, 8000, 16000)
    assert up.size == 16000
    assert np.argmax(np.abs(np.fft.rfft(up.astype(np.float64)))) == 440


def test_find_sound_by_name(tmp_path: Path) -> None:
    make_wav(tmp_path / "en" / "digits" / "1.wav", ramp(10))
    make_wav(tmp_path / "only-here.wav", ramp(10))
    assert find_sound("digits/1", dirs=[tmp_path], defaults=False) == tmp_path / "en" / "digits" / "1.wav"
    assert find_sound("only-here", dirs=[tmp_path], defaults=False) == tmp_path / "only-here.wav"
    assert find_sound(str(tmp_path / "only-here")) == tmp_path / "only-here.wav"
    assert find_sound("nope", dirs=[tmp_path], defaults=False) is None


def test_gsm_decodes_to_the_same_length_as_its_wav_twin() -> None:
    pytest.importorskip("av", reason="GSM decoding needs PyAV (pip install av)")
    gsm = real_sound("tt-monkeys", "gsm")
    samples, rate = decode_file(gsm)
    assert (samples.size, rate) == (129440, 8000)  # README: the gsm version is also 16.18 s
    assert playable_samples(gsm).size == 129440  # the wav quirk is format_wav.c's only


def _without_av(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, *args: Any) -> Any:
        if name == "av":
            raise ImportError("no av")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)


def test_gsm_without_pyav_falls_back_to_the_wav_twin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_av(monkeypatch)
    (tmp_path / "hello.gsm").write_bytes(b"\xd8" + b"\x00" * 32)
    with pytest.raises(GsmDecoderMissing, match="pip install av"):
        playable_samples(tmp_path / "hello.gsm")
    make_wav(tmp_path / "hello.wav", ramp(100))
    assert playable_samples(tmp_path / "hello.gsm").size == 100 - WAV_READ_LOST_SAMPLES
