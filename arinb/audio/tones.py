"""Indication tones, sample for sample as Asterisk's playtones generator makes them.

``tone:ring;tonezone=fr`` plays the zone's ``ring`` indication (``440/1500,0/3500``) through the playtones
generator of ``main/indications.c``. This module parses the same spec syntax and emulates that generator
exactly, so a rendered tone matches a recording from a real Asterisk 22 bit for bit (measured: fr ring peak
7233 and -16.16 dBFS RMS, us busy peak 14440 and -13.15 dBFS, as in the shared ground truth).

How the generator works, and what this module copies from it:

* Each part ``f1[+f2|*f2][/ms]`` becomes two integer "Goertzel" oscillators ``v3 = (fac*v2 >> 15) - v1``
  with ``fac = 2cos(2πf/8000)·32768`` and a start state chosen so that the first sample is sine phase 0.
  The amplitude is ARI's volume 0, which the generator turns into ``7219`` ("-8 dB").
* ``f1+f2`` adds the two oscillators; ``f1*f2`` is amplitude modulation
  (``v1 · (|v2 - 32768|·9/10 + 1) >> 15``).
* The generator writes 20 ms frames (160 samples) and checks a part's duration after each frame, so every
  part lasts a whole number of frames (``375`` ms plays 380 ms).
* Parts with ``!`` play once; the list repeats from the first part without ``!``. If every part has ``!``
  the generator stops after the last one (silence follows, the playback keeps playing until stopped).
* An oscillator is reset only when the part *changes*: a one-part cadence (``440/100``) never resets.

Example::

    >>> spec = tone_spec("fr", "ring")
    >>> spec
    '440/1500,0/3500'
    >>> pcm = ToneProgram.parse(spec).samples(8000)   # the first second, int16
    >>> int(pcm[0]), int(abs(pcm).max())
    (0, 7233)
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from arinb.errors import AriUsageError

__all__ = [
    "DEFAULT_TONE_ZONE",
    "FRAME_SAMPLES",
    "PLAYTONES_VOLUME",
    "TONE_START_DELAY",
    "TONE_STOP_DELAY",
    "ToneItem",
    "ToneProgram",
    "ToneSpecError",
    "resolve_tone",
    "tone_program",
    "tone_spec",
    "tone_zones",
]

#: Samples per frame the playtones generator writes (20 ms at 8 kHz); part durations round up to it.
FRAME_SAMPLES = 160
#: The playtones amplitude for ARI tones: ``ast_playtones_start(chan, 0, ...)`` turns volume 0 into 7219.
PLAYTONES_VOLUME = 7219
#: Tone audio starts 17-18 ms after PlaybackStarted (measured: one frame later than file audio). Whoever
#: writes the media log places a tone segment's start there (the simulator does: ``TONE_LEAD``).
TONE_START_DELAY = 0.018
#: The generator's frames lag the control by one frame: a tone stopped at ``t`` is heard until ``t + 0.020``
#: (measured: DELETE at 9.50 s, 72000 samples from 0.52 s to 9.52 s). The renderer adds this to a stopped
#: tone segment.
TONE_STOP_DELAY = 0.020
#: The generator always runs at 8 kHz (it switches the channel's write format to slin).
TONE_RATE = 8000

_RATE_F32 = np.float32(8000.0)

# Asterisk's midi_tohz[] is A440 equal temperament truncated to an integer (checked entry by entry in tests).
_MIDI_TO_HZ = tuple(int(440.0 * 2.0 ** ((note - 69) / 12.0)) for note in range(128))


class ToneSpecError(AriUsageError):
    """A tone spec has no part the playtones generator can parse (Asterisk logs "No valid tone parts")."""


@dataclass(frozen=True, slots=True)
class ToneItem:
    """One parsed part of a tone list: ``freq1[+freq2|*freq2][/duration_ms]``.

    ``duration_ms`` 0 means "until stopped". ``modulate`` is the ``*`` form.
    """

    freq1: int
    freq2: int = 0
    duration_ms: int = 0
    modulate: bool = False

    @property
    def frames(self) -> int | None:
        """How many 20 ms frames the generator plays this part for (None: forever)."""
        if self.duration_ms == 0:
            return None
        # The check ``pos >= duration * 8`` runs after each whole frame.
        return -(-self.duration_ms * 8 // FRAME_SAMPLES)

    def describe(self) -> str:
        joint = "*" if self.modulate else "+"
        freqs = f"{self.freq1}{joint}{self.freq2}" if self.freq2 else str(self.freq1)
        return f"{freqs}/{self.duration_ms}" if self.duration_ms else freqs


# ---------------------------------------------------------------------------------------------------------
# Parsing: ast_playtones_start + ast_tone_zone_part_parse (sscanf semantics, including their quirks)

_UINT = r"\s*([+-]?\d{1,30})"


def _scanf(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("%u", _UINT))


# (pattern, number of conversions sscanf must return, kind); tried in Asterisk's order. sscanf matches a
# prefix and stops at the first mismatch, so "350+375+400" is read as "350+375".
_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_scanf(r"%u\+%u/%u"), "f1+f2/t"),
    (_scanf(r"%u\+%u"), "f1+f2"),
    (_scanf(r"%u\*%u/%u"), "f1*f2/t"),
    (_scanf(r"%u\*%u"), "f1*f2"),
    (_scanf(r"%u/%u"), "f1/t"),
    (_scanf(r"%u"), "f1"),
    (_scanf(r"M%u\+M%u/%u"), "Mf1+Mf2/t"),
    (_scanf(r"M%u\+M%u"), "Mf1+Mf2"),
    (_scanf(r"M%u\*M%u/%u"), "Mf1*Mf2/t"),
    (_scanf(r"M%u\*M%u"), "Mf1*Mf2"),
    (_scanf(r"M%u/%u"), "Mf1/t"),
    (_scanf(r"M%u"), "Mf1"),
)


def _unsigned(text: str) -> int:
    # %u accepts a sign and wraps like C's strtoul into a 32-bit unsigned int.
    return int(text) % (1 << 32)


def parse_part(text: str) -> ToneItem | None:
    """Parse one part (without its ``!``) as ``ast_tone_zone_part_parse`` does; None if it cannot."""
    for pattern, kind in _FORMS:
        match = pattern.match(text)
        if match is None:
            continue
        values = [_unsigned(v) for v in match.groups()]
        midi = kind.startswith("M")
        modulate = "*" in kind
        freq1 = values[0]
        if "2" in kind:
            freq2 = values[1]
            duration = values[2] if kind.endswith("/t") else 0
        else:
            freq2 = (1 << 32) - 1 if midi else 0  # "Mf1" sets freq2 = -1, which the midi check zeroes
            duration = values[1] if kind.endswith("/t") else 0
        if midi:
            freq1 = _MIDI_TO_HZ[freq1] if freq1 <= 127 else 0
            freq2 = _MIDI_TO_HZ[freq2] if freq2 <= 127 else 0
        return ToneItem(freq1, freq2, duration, modulate)
    return None


@functools.lru_cache(maxsize=1024)
def _parse_spec(spec: str) -> tuple[tuple[ToneItem, ...], int]:
    separator = "|" if "|" in spec else ","
    items: list[ToneItem] = []
    repeat_from = -1
    for raw in spec.split(separator):
        if not raw:  # strsep loop condition: the list ends at the first empty part
            break
        part = raw.strip()
        if part.startswith("!"):
            part = part[1:]
        elif repeat_from == -1:
            repeat_from = len(items)
        item = parse_part(part)
        if item is None:  # Asterisk logs "Failed to parse tone part" and goes on
            continue
        items.append(item)
    if not items:
        raise ToneSpecError(f"no valid tone parts in {spec!r}")
    if repeat_from >= len(items):  # the repeat mark fell on a part that failed to parse at the end
        repeat_from = -1
    return tuple(items), repeat_from


# ---------------------------------------------------------------------------------------------------------
# The integer oscillator


def _c_int(value: float) -> int:
    """C's double -> int conversion (truncation toward zero)."""
    return int(value)


def _oscillator_params(freq: int, volume: int) -> tuple[int, int, int]:
    # ``freq / sample_rate`` is computed in single precision (both are float in indications.c).
    x = float(np.float32(freq) / _RATE_F32)
    fac = _c_int(2.0 * math.cos(2.0 * math.pi * x) * 32768.0)
    init_v2 = _c_int(math.sin(-4.0 * math.pi * x) * volume)
    init_v3 = _c_int(math.sin(-2.0 * math.pi * x) * volume)
    return fac, init_v2, init_v3


class _Oscillator:
    """The output of one reset oscillator, computed once and cached.

    The recurrence is a bijection on integer states, so every orbit is periodic; measured periods are
    500-210 000 samples. We run it until the start state comes back and then tile, so even an hour of
    dial tone costs one period of Python arithmetic.
    """

    # Beyond this many samples without finding the period we extend on demand instead.
    _PERIOD_SEARCH_LIMIT = 2_000_000

    def __init__(self, fac: int, init_v2: int, init_v3: int) -> None:
        self._fac = fac
        self._init = (init_v2, init_v3)
        self._state = (init_v2, init_v3)
        self._chunks: list[np.ndarray] = []
        self._length = 0
        self._cycle: np.ndarray | None = None
        if fac == 65536 and init_v2 == 0 and init_v3 == 0:  # frequency 0: silence
            self._cycle = np.zeros(1, dtype=np.int32)

    def _run(self, count: int) -> None:
        fac = self._fac
        v2, v3 = self._state
        start_v2, start_v3 = self._init
        out = [0] * count
        produced = count
        for i in range(count):
            v1 = v2
            v2 = v3
            v3 = ((fac * v2) >> 15) - v1
            out[i] = v3
            if v2 == start_v2 and v3 == start_v3:
                produced = i + 1
                break
        self._state = (v2, v3)
        self._chunks.append(np.asarray(out[:produced], dtype=np.int32))
        self._length += produced
        if produced < count or (v2, v3) == self._init:
            self._cycle = np.concatenate(self._chunks)

    def take(self, count: int) -> np.ndarray:
        """The first ``count`` samples after a reset (int32)."""
        while self._cycle is None and self._length < count:
            self._run(min(max(count - self._length, 8000), 65536))
            if self._cycle is None and self._length >= self._PERIOD_SEARCH_LIMIT:
                break
        while self._cycle is None and self._length < count:
            self._run(count - self._length)
        if self._cycle is not None:
            cycle = self._cycle
            if count <= cycle.size:
                return cycle[:count]
            return np.resize(cycle, count)
        data = np.concatenate(self._chunks)
        self._chunks = [data]
        return data[:count]

    def window(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start .. stop`` after a reset (int32), without building the ones before ``start``."""
        if self._cycle is None:
            self.take(stop)
        cycle = self._cycle
        if cycle is None:
            return self.take(stop)[start:stop]
        if stop <= cycle.size:
            return cycle[start:stop]
        return _tile(cycle, start, stop)


def _tile(cycle: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Samples ``start .. stop`` of ``cycle`` repeated forever (not np.take's wrap mode: it is O(index))."""
    return np.resize(np.roll(cycle, -(start % cycle.size)), stop - start)


@functools.lru_cache(maxsize=256)
def _oscillator(freq: int, volume: int) -> _Oscillator:
    return _Oscillator(*_oscillator_params(freq, volume))


def _item_samples(item: ToneItem, count: int, volume: int, skip: int = 0) -> np.ndarray:
    """Samples ``skip .. skip+count`` of one part after its reset, as the generator writes them (int16)."""
    one = _oscillator(item.freq1, volume).window(skip, skip + count)
    two = _oscillator(item.freq2, volume).window(skip, skip + count)
    if item.modulate:
        p = np.abs(two - 32768)
        p = (p * 9) // 10 + 1  # p > 0, so floor division is C's truncation
        mixed = (one.astype(np.int64) * p) >> 15
    else:
        mixed = one + two
    # ps->data is short[]: C keeps the low 16 bits.
    out: np.ndarray = mixed.astype(np.int16)
    return out


# ---------------------------------------------------------------------------------------------------------
# The program: which part plays when


@dataclass(frozen=True)
class ToneProgram:
    """A parsed tone list and the generator's schedule for it.

    >>> program = ToneProgram.parse("480+620/500,0/500")
    >>> [item.describe() for item in program.items], program.repeat_from
    (['480+620/500', '0/500'], 0)
    """

    spec: str
    items: tuple[ToneItem, ...]
    repeat_from: int  # -1: play once, then silence
    volume: int = PLAYTONES_VOLUME

    @classmethod
    def parse(cls, spec: str, volume: int = PLAYTONES_VOLUME) -> ToneProgram:
        """Parse a spec such as ``"440+480/2000,0/4000"``; raises :class:`ToneSpecError` if nothing parses."""
        items, repeat_from = _parse_spec(spec)
        return cls(spec, items, repeat_from, volume)

    def runs(self, count: int) -> list[tuple[int, int]]:
        """The first ``count`` samples as ``(item index or -1 for silence, length)`` runs.

        A run starts with an oscillator reset: consecutive plays of the same part merge (no reset).
        """
        runs: list[tuple[int, int]] = []
        position = 0
        index = 0
        while position < count:
            frames = self.items[index].frames
            length = count - position if frames is None else min(frames * FRAME_SAMPLES, count - position)
            runs.append((index, length))
            position += length
            if frames is None:
                break
            following = index + 1
            if following >= len(self.items):
                if self.repeat_from == -1:  # the generator returns -1 and is removed: silence
                    if position < count:
                        runs.append((-1, count - position))
                    break
                following = self.repeat_from
            if following == index:  # one part repeating onto itself never resets: one endless run
                runs[-1] = (index, length + count - position)
                break
            index = following
        return runs

    def _cycle_is_single_part(self, index: int) -> bool:
        return self.repeat_from != -1 and index == self.repeat_from == len(self.items) - 1

    @functools.cached_property
    def _cycle_pcm(self) -> np.ndarray | None:
        """One repetition of the repeating parts, if they reset every time (else None)."""
        if self.repeat_from == -1 or self._cycle_is_single_part(self.repeat_from):
            return None
        cycle_items = self.items[self.repeat_from :]
        if any(item.frames is None for item in cycle_items):
            return None
        parts = [_item_samples(item, (item.frames or 0) * FRAME_SAMPLES, self.volume) for item in cycle_items]
        return np.concatenate(parts)

    def samples(self, count: int, skip: int = 0) -> np.ndarray:
        """Samples ``skip .. skip+count`` of the tone from its start (int16, 8 kHz).

        Cost follows ``count``, not ``skip``: a window an hour into a tone is as cheap as the first one.
        """
        total = skip + count
        cycle = self._cycle_pcm
        if cycle is not None:
            prefix = sum((item.frames or 0) * FRAME_SAMPLES for item in self.items[: self.repeat_from])
            parts = []
            if skip < prefix:
                parts.append(self._window(skip, min(total, prefix)))
            if total > prefix:
                first = max(skip, prefix) - prefix
                parts.append(_tile(cycle, first, total - prefix))
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return self._window(skip, total)

    def _window(self, skip: int, total: int) -> np.ndarray:
        parts = []
        position = 0
        for index, length in self.runs(total):
            lo, hi = max(skip, position), min(total, position + length)
            if hi > lo:
                if index < 0:
                    parts.append(np.zeros(hi - lo, dtype=np.int16))
                else:
                    item = self.items[index]
                    parts.append(_item_samples(item, hi - lo, self.volume, skip=lo - position))
            position += length
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


# ---------------------------------------------------------------------------------------------------------
# Tone zones


@functools.lru_cache(maxsize=256)
def tone_program(spec: str) -> ToneProgram:
    """The parsed program for ``spec``, cached with its rendered cadence (raises :class:`ToneSpecError`)."""
    return ToneProgram.parse(spec)


@functools.lru_cache(maxsize=1)
def _zone_document() -> dict[str, Any]:
    text = resources.files("arinb.audio").joinpath("data/tonezones.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


#: The default country of Asterisk's sample indications.conf.
DEFAULT_TONE_ZONE: str = "us"


def tone_zones() -> dict[str, dict[str, Any]]:
    """Every tone zone: ``{"fr": {"description": "France", "ringcadence": [1500, 3500], "tones": {...}}}``."""
    zones: dict[str, dict[str, Any]] = _zone_document()["zones"]
    return zones


def tone_spec(zone: str | None, name: str) -> str:
    """The tone list of indication ``name`` in ``zone``, as Asterisk looks it up.

    An unknown or empty zone means the default zone (``us``), as in Asterisk (``tonezone=xx`` plays the
    default zone's tone and logs nothing). Names are case-insensitive. Raises ``KeyError`` if the zone has
    no such indication (ARI then plays ``name`` itself as a raw tone list: see :func:`resolve_tone`).

    >>> tone_spec("fr", "ring"), tone_spec(None, "busy")
    ('440/1500,0/3500', '480+620/500,0/500')
    """
    zones = tone_zones()
    key = (zone or "").lower()
    entry = zones.get(key) or zones[_zone_document()["default"]]
    tones: dict[str, str] = entry["tones"]
    wanted = name.lower()
    for tone_name, spec in tones.items():
        if tone_name.lower() == wanted:
            return spec
    raise KeyError(f"tone zone {key or DEFAULT_TONE_ZONE!r} has no indication {name!r}")


def resolve_tone(resource: str) -> str:
    """The tone list ARI plays for a ``tone:`` media resource (the part after ``tone:``).

    ``"ring;tonezone=fr"`` -> ``"440/1500,0/3500"``; a name the zone lacks is played as a raw list
    (``"440/100,0/100"`` stays itself), as ``res_stasis_playback`` does.

    >>> resolve_tone("busy"), resolve_tone("ring;tonezone=fr"), resolve_tone("425/250,0/250")
    ('480+620/500,0/500', '440/1500,0/3500', '425/250,0/250')
    """
    indication, _, options = resource.partition(";")
    zone = None
    if options.startswith("tonezone="):
        zone = options[len("tonezone=") :]
    try:
        return tone_spec(zone, indication)
    except KeyError:
        return indication
