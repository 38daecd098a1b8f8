"""The media log's segment shape, kept under its old name (it lives in :mod:`arinb.media_log`).

>>> from arinb.audio.segments import MediaSegment
>>> MediaSegment("c1", 0.0, None, "silence").kind
'silence'
"""

from __future__ import annotations

from arinb.media_log import MediaSegment, SegmentKind

__all__ = ["MediaSegment", "SegmentKind"]
