"""What a caller hears: the audio a channel sends, rendered as 8 kHz 16-bit PCM."""

from arinb.audio.segments import MediaSegment

__all__ = ["MediaSegment"]
