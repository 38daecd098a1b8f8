"""The media log: what a simulated channel sends to its caller, as time segments.

The simulator's engine appends one :class:`MediaSegment` per stretch of audio it sends (a file or part of one,
a tone, generated silence); :mod:`arinb.audio` renders a list of them into PCM. The simulator and the audio
renderer share this shape and nothing else. It lives outside both packages so that the simulator never
loads :mod:`arinb.audio` (and numpy) unless audio is asked for.

>>> MediaSegment("c1", 0.0, 1.5, "file", "tt-monkeys").end
1.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MediaSegment", "SegmentKind"]

SegmentKind = Literal["file", "tone", "silence"]


@dataclass(slots=True)
class MediaSegment:
    """One stretch of audio sent to a channel's caller.

    ``start``/``end`` are simulated epoch seconds (``end`` is None while it is still sounding).
    ``source`` is, for ``file``, the resolved path of the sound file if one exists, else the sound's name
    (``"tt-monkeys"``, ``"digits/1"``) whose duration comes from the catalog; for ``tone``, the indication
    spec (``"440/1500,0/3500"``); empty for ``silence``. ``offset`` is how far into the source (seconds)
    the segment starts: non-zero after ``offsetms``, ``forward``, or an unpause.
    """

    channel_id: str
    start: float
    end: float | None
    kind: SegmentKind
    source: str = ""
    offset: float = 0.0
    playback_id: str | None = None
    media_uri: str | None = None
