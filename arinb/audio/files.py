"""Sound and recording files: decoding, the ``wav_read`` quirk, and finding a sound by name.

What a caller hears from ``sound:tt-monkeys`` is the file's content as Asterisk's format module reads it.
For ``.wav`` that is **the data chunk minus its last 22 samples** (:data:`WAV_READ_LOST_SAMPLES`): measured
bit-exact on Asterisk 22.10.1 for every sound, number, digits, characters and list capture.

Formats (by extension, as Asterisk's format modules name them):

======================== ===================================================================
``wav``                  RIFF PCM (Asterisk writes and reads 16-bit 8/16 kHz); quirk applied
``sln``, ``raw``,        raw signed 16-bit little-endian at 8 kHz; ``slnNN`` at NN kHz
``sln16`` ...
``ulaw``, ``pcm``, ...   G.711 mu-law (decoded through a 256-entry table)
``alaw``, ``al``, ...    G.711 A-law (table)
``gsm``, ``WAV``         GSM 06.10 (raw / in a RIFF): needs PyAV (``pip install av``); without it the
                         wav twin of the same name is used when present, else silence with a note
======================== ===================================================================

Example::

    >>> from arinb.audio.files import playable_samples, find_sound
    >>> path = find_sound("beep")                       # doctest: +SKIP
    >>> playable_samples(path).size                     # doctest: +SKIP
    3382
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import struct
import wave
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arinb.errors import AriUsageError

__all__ = [
    "DEFAULT_SOUND_DIRS",
    "SOUND_EXTENSIONS",
    "WAV_READ_LOST_SAMPLES",
    "AudioFileError",
    "GsmDecoderMissing",
    "decode_file",
    "decode_wav_bytes",
    "find_sound",
    "playable_samples",
    "resample",
    "to_wav_bytes",
]

#: Samples of every ``.wav`` file a caller never hears. ``format_wav.c``'s ``wav_read`` compares the data
#: chunk's length with ``ftello()``, which counts the 44-byte header, so the last 44 bytes (22 samples of
#: 16-bit audio) are never read. Measured bit-exact on Asterisk 22.10.1 (shared ground truth, AUDIO.md).
WAV_READ_LOST_SAMPLES = 22

#: Where named sounds are looked up when the simulator gives a name instead of a path. ``ARINB_SOUNDS_DIR``
#: (``os.pathsep``-separated) comes first.
DEFAULT_SOUND_DIRS: tuple[str, ...] = ("/usr/share/asterisk/sounds", "/var/lib/asterisk/sounds")

#: Extensions tried for a bare sound name, cheapest for a slin channel first (as Asterisk prefers the format
#: with the lowest translation cost).
SOUND_EXTENSIONS: tuple[str, ...] = ("wav", "sln", "raw", "ulaw", "pcm", "alaw", "gsm", "WAV", "sln16")

_ULAW_EXTENSIONS = {"ulaw", "ul", "mu", "pcm", "ulw"}
_ALAW_EXTENSIONS = {"alaw", "al", "alw"}
_SLIN_RATES = {"sln": 8000, "raw": 8000, "sln12": 12000, "sln16": 16000, "sln24": 24000, "sln32": 32000}
_SLIN_RATES |= {"sln44": 44100, "sln48": 48000, "sln96": 96000, "sln192": 192000}


class AudioFileError(AriUsageError):
    """A file cannot be decoded (unknown format, corrupt RIFF, unsupported encoding)."""


class GsmDecoderMissing(AudioFileError):
    """A GSM file was asked for and PyAV (``pip install av``) is not installed."""


# ---------------------------------------------------------------------------------------------------------
# G.711 tables


def _ulaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32)
    u = ~codes & 0xFF
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (codes & 0x70) >> 4
    value = (codes & 0x0F) << 4
    value = np.where(segment == 0, value + 8, value + 0x108)
    value = np.where(segment > 1, value << np.maximum(segment - 1, 0), value)
    return np.where(codes & 0x80, value, -value).astype(np.int16)


ULAW_TO_LINEAR = _ulaw_table()
ALAW_TO_LINEAR = _alaw_table()


# ---------------------------------------------------------------------------------------------------------
# RIFF/WAVE

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_FLOAT = 3
_WAVE_FORMAT_ALAW = 6
_WAVE_FORMAT_ULAW = 7
_WAVE_FORMAT_GSM610 = 49
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def decode_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Decode a whole RIFF/WAVE file to mono int16 samples and its rate (no quirk applied).

    PCM 8/16/24/32-bit, float, mu-law, A-law, WAVE_FORMAT_EXTENSIBLE, and GSM 6.10 (with PyAV). Several
    channels are mixed down to one. A data chunk longer than the file (a recording still being written)
    is read as far as it goes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFileError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body_start = pos + 8
        body = data[body_start : body_start + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise AudioFileError("truncated fmt chunk")
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
                (tag,) = struct.unpack_from("<H", body, 24)
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFileError("data chunk before fmt chunk")
            return _decode_wav_data(body, *fmt, whole_file=data), fmt[2]
        pos = body_start + size + (size & 1)  # chunks are word-aligned
    raise AudioFileError("no data chunk in WAVE file")


def _decode_wav_data(
    body: bytes, tag: int, channels: int, rate: int, bits: int, whole_file: bytes
) -> np.ndarray:
    if channels < 1 or rate < 1:
        raise AudioFileError(f"invalid WAVE format: {channels} channels at {rate} Hz")
    if tag == _WAVE_FORMAT_GSM610:
        return _decode_with_av(whole_file, container="wav", what="GSM 6.10 in WAVE")
    if tag == _WAVE_FORMAT_ULAW:
        samples = ULAW_TO_LINEAR[np.frombuffer(body, dtype=np.uint8)]
    elif tag == _WAVE_FORMAT_ALAW:
        samples = ALAW_TO_LINEAR[np.frombuffer(body, dtype=np.uint8)]
    elif tag == _WAVE_FORMAT_PCM and bits == 16:
        samples = np.frombuffer(body[: len(body) - len(body) % 2], dtype="<i2")
    elif tag == _WAVE_FORMAT_PCM and bits == 8:
        samples = ((np.frombuffer(body, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    elif tag == _WAVE_FORMAT_PCM and bits == 24:
        raw = np.frombuffer(body[: len(body) - len(body) % 3], dtype=np.uint8).reshape(-1, 3)
        samples = (raw[:, 1].astype(np.int16) | (raw[:, 2].astype(np.int16) << 8)).astype(np.int16)
    elif tag == _WAVE_FORMAT_PCM and bits == 32:
        samples = (np.frombuffer(body[: len(body) - len(body) % 4], dtype="<i4") >> 16).astype(np.int16)
    elif tag == _WAVE_FORMAT_FLOAT and bits in (32, 64):
        floats = np.frombuffer(body[: len(body) - len(body) % (bits // 8)], dtype=f"<f{bits // 8}")
        samples = np.clip(np.round(floats * 32767.0), -32768, 32767).astype(np.int16)
    else:
        raise AudioFileError(f"unsupported WAVE encoding (format tag {tag}, {bits} bits)")
    if channels > 1:
        usable = samples[: samples.size - samples.size % channels].reshape(-1, channels)
        samples = np.round(usable.astype(np.float64).mean(axis=1)).astype(np.int16)
    return np.ascontiguousarray(samples, dtype=np.int16)


def to_wav_bytes(samples: np.ndarray, rate: int = 8000) -> bytes:
    """A 16-bit mono PCM wav (44-byte header, as Asterisk writes) holding ``samples``.

    >>> len(to_wav_bytes(np.zeros(8000, dtype=np.int16)))
    16044
    """
    pcm = np.ascontiguousarray(samples, dtype="<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Other formats


def _decode_with_av(data: bytes, container: str, what: str) -> np.ndarray:
    try:
        av: Any = importlib.import_module("av")
    except ImportError:
        raise GsmDecoderMissing(f"{what} needs PyAV to decode (pip install av)") from None
    try:
        with av.open(io.BytesIO(data), format=container) as source:
            frames = [frame.to_ndarray().reshape(-1) for frame in source.decode(audio=0)]
    except Exception as exc:  # PyAV raises its own FFmpeg error classes
        raise AudioFileError(f"cannot decode {what}: {exc}") from exc
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(frames).astype(np.int16)


def _extension(path: Path) -> str:
    # Asterisk's extensions are case-sensitive: "WAV" is GSM-in-RIFF, "wav" is PCM.
    return path.suffix[1:]


def decode_file(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """The whole content of a sound or recording file as mono int16 samples, and its rate.

    Raises :class:`AudioFileError` (or ``FileNotFoundError``) when it cannot.
    """
    file = Path(path)
    ext = _extension(file)
    data = file.read_bytes()
    if ext.lower() == "wav" and data[:4] == b"RIFF":
        return decode_wav_bytes(data)
    if ext in _SLIN_RATES:
        return np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.int16), _SLIN_RATES[
            ext
        ]
    if ext in _ULAW_EXTENSIONS:
        return ULAW_TO_LINEAR[np.frombuffer(data, dtype=np.uint8)], 8000
    if ext in _ALAW_EXTENSIONS:
        return ALAW_TO_LINEAR[np.frombuffer(data, dtype=np.uint8)], 8000
    if ext == "gsm":
        return _decode_with_av(data, container="gsm", what=f"GSM file {file.name}"), 8000
    raise AudioFileError(f"unsupported sound file format: {file.name}")


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Change the sample rate (scipy's polyphase filter if installed, else linear interpolation)."""
    if rate_in == rate_out or samples.size == 0:
        return samples
    try:
        signal: Any = importlib.import_module("scipy.signal")
    except ImportError:
        count = round(samples.size * rate_out / rate_in)
        positions = np.arange(count) * (rate_in / rate_out)
        result = np.interp(positions, np.arange(samples.size), samples.astype(np.float64))
    else:
        divisor = np.gcd(int(rate_in), int(rate_out))
        result = signal.resample_poly(samples.astype(np.float64), rate_out // divisor, rate_in // divisor)
    out: np.ndarray = np.clip(np.round(result), -32768, 32767).astype(np.int16)
    return out


@functools.lru_cache(maxsize=512)
def _playable_cached(path: str, _mtime_ns: int, _size: int, rate: int) -> np.ndarray:
    samples, file_rate = decode_file(path)
    if Path(path).suffix == ".wav":
        samples = samples[: max(samples.size - WAV_READ_LOST_SAMPLES, 0)]
    samples = resample(samples, file_rate, rate)
    samples.setflags(write=False)  # shared by every render through the cache
    return samples


def playable_samples(path: str | os.PathLike[str], rate: int = 8000) -> np.ndarray:
    """What Asterisk plays from this file: decoded, the ``wav`` quirk applied, at ``rate`` (read-only int16).

    A ``.gsm`` file without PyAV falls back to the ``.wav`` of the same name (Debian ships both) and
    raises :class:`GsmDecoderMissing` if there is none. Cached by path, size and modification time.
    """
    file = Path(path)
    try:
        stat = file.stat()
        return _playable_cached(str(file), stat.st_mtime_ns, stat.st_size, rate)
    except GsmDecoderMissing:
        twin = file.with_suffix(".wav")
        if twin.exists():
            return playable_samples(twin, rate)
        raise


def sound_dirs(extra: Iterable[str | os.PathLike[str]] = (), defaults: bool = True) -> list[Path]:
    """The directories searched for named sounds: ``extra``, then ``$ARINB_SOUNDS_DIR``, then the defaults."""
    dirs = [Path(d) for d in extra]
    if not defaults:
        return dirs
    env = os.environ.get("ARINB_SOUNDS_DIR", "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs += [Path(d) for d in DEFAULT_SOUND_DIRS]
    return dirs


def find_sound(
    name: str, language: str = "en", dirs: Sequence[str | os.PathLike[str]] = (), *, defaults: bool = True
) -> Path | None:
    """The file Asterisk would play for ``sound:name`` (``"digits/1"``, ``"tt-monkeys"``), or None.

    Looks in ``<dir>/<language>/<name>.<ext>`` then ``<dir>/<name>.<ext>``, extensions in
    :data:`SOUND_EXTENSIONS` order. A name that already has a known extension is taken as it is; an
    absolute path is only completed with an extension. ``defaults=False`` searches ``dirs`` only.
    """
    if not name:
        return None
    direct = Path(name)
    known = direct.suffix[1:] in SOUND_EXTENSIONS
    candidates = [direct.name] if known else [f"{direct.name}.{ext}" for ext in SOUND_EXTENSIONS]
    if direct.is_absolute():
        folders = [direct.parent]
    else:
        folders = [
            folder / direct.parent
            for base in sound_dirs(dirs, defaults)
            for folder in (base / language, base)
        ]
    for folder in folders:
        for candidate in candidates:
            path = folder / candidate
            if path.is_file():
                return path
    return None
