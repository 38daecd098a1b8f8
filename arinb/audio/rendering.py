"""Render a media log (what a channel sent) into the PCM its caller hears, as a real Asterisk 22 sends it.

The simulator's engine records one :class:`~arinb.audio.segments.MediaSegment` per stretch of audio it
sends; :func:`render` turns a list of them into 8 kHz int16 samples between two simulated times. The rules
below come from sample-exact captures of Asterisk 22.10.1 (shared ground truth, AUDIO.md):

* **Files** start on their segment's start time and play ``offset`` onward, for the segment's length.
  Each ``.wav`` loses its last 22 samples (:data:`~arinb.audio.files.WAV_READ_LOST_SAMPLES`). A file segment
  that starts within :data:`CHAIN_TOLERANCE` of the previous file segment's end continues right where that
  one's audio stopped, so say-compositions and lists play their files back to back with no gap, as Asterisk
  does, whatever rounding the engine's timers had. Segments are taken literally otherwise: the replayed
  first frame of an unpause (Asterisk re-opens the file, and ``ast_streamfile`` writes its first frame before
  seeking) is a 20 ms segment at offset 0 in the log, as the simulator writes it.
* **Tones** are the playtones generator, emulated exactly (:mod:`arinb.audio.tones`), from their segment's
  start (the log places it :data:`~arinb.audio.tones.TONE_START_DELAY` after PlaybackStarted) until
  :data:`~arinb.audio.tones.TONE_STOP_DELAY` after their segment's end, in whole 20 ms frames.
* **Silence** and anything no segment covers (a pause, before the first playback) are zeros.
* Where segments overlap (a stopped tone's last frame under the next playback), the later segment wins.
* A sound with no file (a catalog-only simulator) renders as silence of the segment's length, and the clip
  gets the note ``"no audio files installed: <names>"``.

Example::

    >>> from arinb.audio import MediaSegment, render
    >>> ring = MediaSegment("ch", 100.0, 112.0, "tone", "440/1500,0/3500")
    >>> pcm = render([ring], 100.0, 112.0)
    >>> pcm.size, int(pcm[0]), int(pcm[1]), int(abs(pcm).max())
    (96000, 0, 2445, 7233)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arinb.audio.clip import AudioClip
from arinb.audio.files import AudioFileError, GsmDecoderMissing, find_sound, playable_samples, resample
from arinb.audio.segments import MediaSegment
from arinb.audio.tones import FRAME_SAMPLES, TONE_RATE, TONE_STOP_DELAY, ToneSpecError, tone_program
from arinb.errors import AriUsageError

__all__ = [
    "CHAIN_TOLERANCE",
    "NO_AUDIO_FILES_NOTE",
    "RENDER_RATE",
    "render",
    "render_clip",
    "segments_span",
]

#: Rendering happens at Asterisk's slin rate; other rates are resampled at the end.
RENDER_RATE = TONE_RATE
#: A file segment starting this close (seconds) to the previous file segment's end follows it seamlessly.
CHAIN_TOLERANCE = 0.020
#: The note a clip carries when sounds had no file to play (a simulator running on its built-in catalog).
NO_AUDIO_FILES_NOTE = "no audio files installed"


@dataclass
class _Placed:
    segment: MediaSegment
    audio_end: int  # sample index (render axis) just past the last sample this segment wrote


@dataclass
class _Notes:
    missing: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def add_missing(self, name: str) -> None:
        if name not in self.missing:
            self.missing.append(name)

    def add(self, note: str) -> None:
        if note not in self.other:
            self.other.append(note)

    def as_tuple(self) -> tuple[str, ...]:
        head = (
            [f"{NO_AUDIO_FILES_NOTE}: {', '.join(self.missing)} (rendered as silence)"]
            if self.missing
            else []
        )
        return tuple(head + self.other)


def segments_span(segments: Iterable[MediaSegment]) -> tuple[float, float | None]:
    """Earliest start and latest end of ``segments`` (end None if one is still sounding or none is given)."""
    items = list(segments)
    if not items:
        return 0.0, None
    ends = [s.end for s in items]
    latest = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return min(s.start for s in items), latest


class _Renderer:
    def __init__(self, start: float, end: float, sound_dirs: Sequence[str | os.PathLike[str]], language: str):
        if not (math.isfinite(start) and math.isfinite(end)):
            raise AriUsageError(f"render window must be finite, got {start}..{end}")
        if end < start:
            raise AriUsageError(f"render window ends before it starts ({start} > {end})")
        self.start = start
        self.out = np.zeros(round((end - start) * RENDER_RATE), dtype=np.int16)
        self.sound_dirs = sound_dirs
        self.language = language
        self.notes = _Notes()
        self.end = end
        # source -> samples (or None): a log names the same few files again and again.
        self._resolved: dict[str, np.ndarray | None] = {}

    def index(self, t: float) -> int:
        return round((t - self.start) * RENDER_RATE)

    def write(self, position: int, data: np.ndarray) -> None:
        lo = max(position, 0)
        hi = min(position + data.size, self.out.size)
        if hi > lo:
            self.out[lo:hi] = data[lo - position : hi - position]

    def run(self, segments: Iterable[MediaSegment]) -> None:
        previous_file: _Placed | None = None
        # Stable sort: segments with the same start keep the engine's order.
        # A segment can reach back before its start only by CHAIN_TOLERANCE; later ones cannot sound here.
        horizon = self.end + CHAIN_TOLERANCE
        for segment in sorted(segments, key=lambda s: s.start):
            if segment.start > horizon:
                break
            if segment.kind == "file":
                previous_file = self.file(segment, previous_file)
                continue
            previous_file = None
            if segment.kind == "tone":
                self.tone(segment)
            elif segment.kind == "silence":
                hi = self.out.size if segment.end is None else self.index(segment.end)
                self.write(
                    self.index(segment.start), np.zeros(max(hi - self.index(segment.start), 0), np.int16)
                )
            else:
                raise AriUsageError(f"unknown media segment kind {segment.kind!r}")

    # -- files ----------------------------------------------------------------------------------------------

    def content(self, source: str) -> np.ndarray | None:
        """The file's playable samples, or None (with a note) when there is nothing to play."""
        if source not in self._resolved:
            self._resolved[source] = self._load(source)
        return self._resolved[source]

    def _load(self, source: str) -> np.ndarray | None:
        """Resolve and decode one source (see :meth:`content`).

        The engine gives a path when a file exists and a bare name when it does not (catalog only), so a
        name is looked up only in ``sound_dirs`` given to the renderer.
        """
        path: Path | None = Path(source)
        if path is None or not path.is_absolute() or not path.is_file():
            path = find_sound(source, self.language, self.sound_dirs, defaults=False)
        if path is None:
            self.notes.add_missing(source)
            return None
        try:
            return playable_samples(path, RENDER_RATE)
        except GsmDecoderMissing as exc:
            self.notes.add(f"{exc} ({path.name} rendered as silence)")
        except (AudioFileError, OSError) as exc:
            self.notes.add(f"cannot read {path}: {exc} (rendered as silence)")
        return None

    def file(self, segment: MediaSegment, previous: _Placed | None) -> _Placed:
        position = self.index(segment.start)
        limit = None if segment.end is None else max(round((segment.end - segment.start) * RENDER_RATE), 0)
        previous_end = None if previous is None else previous.segment.end
        if (
            previous is not None
            and previous_end is not None
            and abs(segment.start - previous_end) <= CHAIN_TOLERANCE
        ):
            position = previous.audio_end
        pcm = self.content(segment.source)
        if pcm is None:
            length = limit if limit is not None else 0
            return _Placed(segment, position + length)
        offset = max(round(segment.offset * RENDER_RATE), 0)
        audio = pcm[offset:]
        if limit is not None:
            audio = audio[:limit]
        self.write(position, audio)
        return _Placed(segment, position + audio.size)

    # -- tones ----------------------------------------------------------------------------------------------

    def tone(self, segment: MediaSegment) -> None:
        try:
            program = tone_program(segment.source)
        except ToneSpecError as exc:
            self.notes.add(f"{exc} (rendered as silence)")
            return
        position = self.index(segment.start)
        if segment.end is None:
            length = self.out.size - position
        else:
            # The generator writes whole frames, one frame past its removal.
            frames = round((segment.end + TONE_STOP_DELAY - segment.start) * RENDER_RATE / FRAME_SAMPLES)
            length = max(frames, 0) * FRAME_SAMPLES
        skip = max(0, -position)
        count = min(position + length, self.out.size) - (position + skip)
        if count > 0:
            self.write(position + skip, program.samples(count, skip))


def render_clip(
    segments: Iterable[MediaSegment],
    start: float,
    end: float,
    rate: int = RENDER_RATE,
    *,
    title: str = "",
    sound_dirs: Sequence[str | os.PathLike[str]] = (),
    language: str = "en",
) -> AudioClip:
    """Render ``segments`` between ``start`` and ``end`` (simulated epoch seconds) as an :class:`AudioClip`.

    Like :func:`render`, plus the clip's ``start``, ``title`` and ``notes`` (missing files, undecodable
    files, unparsable tones). A segment that names a sound instead of giving a path is looked up in
    ``sound_dirs`` (``<dir>/<language>/<name>.<ext>``); without them it renders as silence, with a note.
    """
    renderer = _Renderer(start, end, sound_dirs, language)
    renderer.run(segments)
    samples = renderer.out if rate == RENDER_RATE else resample(renderer.out, RENDER_RATE, rate)
    return AudioClip(samples, rate, start=start, title=title, notes=renderer.notes.as_tuple())


def render(segments: Iterable[MediaSegment], start: float, end: float, rate: int = RENDER_RATE) -> np.ndarray:
    """The int16 PCM a caller hears from ``segments`` between ``start`` and ``end`` (simulated epoch seconds).

    ``round((end - start) * rate)`` samples. This is the function the simulator calls to write a live
    recording's wav. See the module docstring for the rules; :func:`render_clip` also returns notes.
    """
    return render_clip(segments, start, end, rate).samples
