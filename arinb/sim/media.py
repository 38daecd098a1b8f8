"""Media URIs as Asterisk 22 plays them: parsing, say composition, tones, and how long each takes.

A play request's ``media`` is split on commas exactly as Asterisk does (``tone:440+480/2000,0/4000``
becomes two items), and each item resolves to what the channel will send:

* ``sound:NAME`` -> one file; ``recording:NAME`` -> a stored recording;
* ``number:N`` / ``digits:D`` / ``characters:C`` -> the say files Asterisk's English rules pick, one after
  another (``number:123`` = digits/1, digits/hundred, digits/20, digits/3);
* ``tone:NAME[;tonezone=ZZ]`` or ``tone:SPEC`` -> an endless indication tone;
* anything else (``foo:bar``, a bare ``tt-monkeys``) is an unsupported scheme, which Asterisk skips silently.

>>> say_number(123)
['digits/1', 'digits/hundred', 'digits/20', 'digits/3']
>>> split_media("tone:440+480/2000,0/4000")
['tone:440+480/2000', '0/4000']
>>> parse_media("tone:ring;tonezone=fr")
MediaUri(scheme='tone', target='ring', params={'tonezone': 'fr'}, raw='tone:ring;tonezone=fr')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from arinb.sim.catalog import SoundLibrary, ToneZones, tone_zones

__all__ = [
    "FILE_TAIL",
    "PLAYBACK_OVERHEAD",
    "SAMPLE_RATE",
    "TONE_LEAD",
    "FilePart",
    "MediaUri",
    "Resolved",
    "files_duration",
    "parse_media",
    "resolve_media",
    "say_characters",
    "say_digits",
    "say_number",
    "split_media",
]

SAMPLE_RATE = 8000
#: The last 22 samples of every wav never reach the caller (format_wav.c compares the data length with a
#: file offset that includes the 44-byte header).
FILE_TAIL = 22 / SAMPLE_RATE
#: PlaybackFinished - PlaybackStarted = content + 0..4 ms on the real server; we use the upper end.
PLAYBACK_OVERHEAD = 0.004
#: A tone's first sample comes one 20 ms frame after a file's would (0.017-0.018 s after PlaybackStarted).
TONE_LEAD = 0.018
#: One frame: the unit of audio Asterisk moves around.
FRAME = 0.02
#: offsetms past the end: PlaybackFinished came 25 ms after PlaybackStarted.
PAST_END_DURATION = 0.025

Kind = Literal["files", "tone", "missing", "unsupported"]

_TONE_SPEC = re.compile(r"^!?\d+([+*]\d+)?(/\d+)?(,!?\d+([+*]\d+)?(/\d+)?)*$")


@dataclass(frozen=True, slots=True)
class MediaUri:
    """One media item: ``scheme:target;param=value``."""

    scheme: str
    target: str
    params: dict[str, str] = field(default_factory=dict)
    raw: str = ""


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file a playback sends: its sound name, full duration (s) and path when a real file exists."""

    name: str
    duration: float
    path: Path | None = None

    @property
    def content(self) -> float:
        """Seconds the caller actually hears (the file minus its last 22 samples)."""
        return max(0.0, self.duration - FILE_TAIL)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What one media item turns into.

    ``kind``: ``files`` (``parts`` play one after the other), ``tone`` (``tone`` spec, endless),
    ``missing`` (Asterisk starts it, then fails it: PlaybackFinished ``failed``), ``unsupported``
    (Asterisk starts it and never finishes it: no PlaybackFinished).
    """

    kind: Kind
    parts: tuple[FilePart, ...] = ()
    tone: str = ""
    reason: str = ""

    @property
    def content(self) -> float:
        """Seconds of file audio (0 for tones and failures)."""
        return sum(p.content for p in self.parts)


def split_media(media: str) -> list[str]:
    """Split a ``media`` parameter into items the way Asterisk does: on every comma, nothing else."""
    return media.split(",")


def parse_media(item: str) -> MediaUri:
    """Parse ``scheme:target;k=v``. No colon: scheme ``""`` (Asterisk treats it as unsupported)."""
    if ":" not in item:
        return MediaUri("", item, {}, item)
    scheme, rest = item.split(":", 1)
    target, params = rest, {}
    if scheme == "tone" and ";" in rest:
        target, _, tail = rest.partition(";")
        for piece in tail.split(";"):
            key, _, value = piece.partition("=")
            if key:
                params[key] = value
    return MediaUri(scheme, target, params, item)


def say_number(num: int) -> list[str]:
    """English number prompts as ``ast_say_number_full_en`` picks them.

    >>> say_number(0), say_number(15), say_number(40)
    (['digits/0'], ['digits/15'], ['digits/40'])
    >>> say_number(2001)
    ['digits/2', 'digits/thousand', 'digits/1']
    >>> say_number(-7)
    ['digits/minus', 'digits/7']
    """
    if num == 0:
        return ["digits/0"]
    files: list[str] = []
    playh = False
    while num or playh:
        if num < 0:
            files.append("digits/minus")
            num = -num
        elif playh:
            files.append("digits/hundred")
            playh = False
        elif num < 20:
            files.append(f"digits/{num}")
            num = 0
        elif num < 100:
            files.append(f"digits/{(num // 10) * 10}")
            num %= 10
        elif num < 1000:
            files.append(f"digits/{num // 100}")
            playh = True
            num %= 100
        elif num < 1_000_000:
            files.extend(say_number(num // 1000))
            files.append("digits/thousand")
            num %= 1000
        elif num < 1_000_000_000:
            files.extend(say_number(num // 1_000_000))
            files.append("digits/million")
            num %= 1_000_000
        else:
            raise ValueError(f"number {num} is too big to say")
    return files


def say_digits(text: str) -> list[str]:
    """``ast_say_digit_str``: each digit, ``*`` star, ``#`` pound, ``-`` minus; other characters skipped.

    >>> say_digits("5#")
    ['digits/5', 'digits/pound']
    """
    names = {"*": "digits/star", "#": "digits/pound", "-": "digits/minus"}
    out = []
    for ch in text:
        if ch.isdigit() and ch.isascii():
            out.append(f"digits/{ch}")
        elif ch in names:
            out.append(names[ch])
    return out


_CHAR_FILES = {
    "*": "letters/asterisk",
    "@": "letters/at",
    "$": "letters/dollar",
    "-": "letters/dash",
    ".": "letters/dot",
    "=": "letters/equals",
    "+": "letters/plus",
    "/": "letters/slash",
    " ": "letters/space",
    "!": "letters/exclaimation-point",
}


def say_characters(text: str) -> list[str]:
    """``ast_say_character_str``: letters (any case) as letters/x, digits, named symbols, else letters/asciiN.

    >>> say_characters("aB1")
    ['letters/a', 'letters/b', 'digits/1']
    """
    out = []
    for ch in text:
        if ch in _CHAR_FILES:
            out.append(_CHAR_FILES[ch])
        elif ch.isascii() and ch.isdigit():
            out.append(f"digits/{ch}")
        elif ch.isascii() and ch.isalpha():
            out.append(f"letters/{ch.lower()}")
        else:
            out.append(f"letters/ascii{ord(ch)}")
    return out


def files_duration(names: list[str], sounds: SoundLibrary, language: str = "en") -> float:
    """Seconds a playback of these files takes (content of each + the per-playback overhead)."""
    total = 0.0
    for name in names:
        found = sounds.lookup(name, language)
        if found is None:
            raise KeyError(name)
        total += max(0.0, found.duration - FILE_TAIL)
    return total + PLAYBACK_OVERHEAD


def resolve_media(
    uri: MediaUri,
    sounds: SoundLibrary,
    language: str = "en",
    *,
    recording: Callable[[str], tuple[float, Path | None] | None] | None = None,
    zones: ToneZones | None = None,
) -> Resolved:
    """Turn one parsed media item into what the channel sends (see :class:`Resolved`).

    ``recording(name)`` gives a stored recording's (duration, path) or None.
    """
    scheme, target = uri.scheme, uri.target
    if scheme == "sound":
        found = sounds.lookup(target, language) if target else None
        if found is None:
            return Resolved("missing", reason=f"sound {target!r} not found")
        return Resolved("files", (FilePart(target, found.duration, found.path),))
    if scheme == "recording":
        rec = recording(target) if recording is not None else None
        if rec is None:
            return Resolved("unsupported", reason=f"recording {target!r} does not exist")
        return Resolved("files", (FilePart(f"recording:{target}", rec[0], rec[1]),))
    if scheme in ("number", "digits", "characters"):
        if scheme == "number":
            try:
                names = say_number(int(target.strip()))
            except ValueError:
                return Resolved("missing", reason=f"{target!r} is not a number Asterisk can say")
        elif scheme == "digits":
            names = say_digits(target)
        else:
            names = say_characters(target)
        parts: list[FilePart] = []
        for name in names:
            found = sounds.lookup(name, language)
            if found is None:
                return Resolved("missing", tuple(parts), reason=f"say file {name!r} not found")
            parts.append(FilePart(name, found.duration, found.path))
        return Resolved("files", tuple(parts))
    if scheme == "tone":
        zones = zones or tone_zones()
        spec = zones.tone(uri.params.get("tonezone"), target)
        if spec is None:
            spec = target
        if not _TONE_SPEC.match(spec.replace(" ", "")):
            return Resolved("missing", reason=f"tone {target!r} is neither an indication nor a tone spec")
        return Resolved("tone", tone=spec)
    return Resolved("unsupported", reason=f"scheme {scheme!r} is unsupported")
