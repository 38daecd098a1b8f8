"""`Event`: one ARI event as received, with handles to the objects it names.

>>> ev = session_event                                  # doctest: +SKIP
>>> ev.type, ev.channel.id, ev["channel"]["state"]      # doctest: +SKIP
('StasisStart', '1795694992.1', 'Ring')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from arinb.ari.events import EVENT_TYPES
from arinb.models import parse_timestamp

if TYPE_CHECKING:
    from arinb.client.handles import Bridge, Channel, LiveRecording, Playback

__all__ = ["KNOWN_EVENT_TYPES", "MALFORMED", "Event"]

#: Every event type Asterisk 22's ``events.json`` declares (the shared catalog, :mod:`arinb.ari.events`).
#: Anything else is still delivered and recorded; it is only logged once as unknown.
KNOWN_EVENT_TYPES: Final = EVENT_TYPES

#: The ``type`` of the timeline row recorded for a frame that is not a JSON object.
MALFORMED: Final = "MalformedFrame"


class Event:
    """One ARI event: the parsed JSON plus the handles of the objects it names.

    Attributes:
        type: the event type as Asterisk spells it (``"StasisStart"``).
        application: the Stasis application it was sent to.
        timestamp: Asterisk's timestamp text (``"2026-11-26T12:15:18.466+0000"``).
        time: the same as epoch seconds (parsed on first use).
        received_at: epoch seconds when the frame arrived (taken on the engine thread).
        raw: the parsed JSON object (a dict); ``ev["field"]`` and ``ev.get("field")`` read it.
        frame: the WebSocket text as received (None for events fed without one).
        channel, playback, bridge, recording: the :class:`Channel`, :class:`Playback`, :class:`Bridge`
            or :class:`LiveRecording` handle the event carries, or None.

    >>> ev = Event({"type": "PlaybackFinished", "timestamp": "2026-11-26T12:17:06.162+0000",
    ...             "playback": {"id": "pb-1", "state": "done"}}, received_at=1795695426.163)
    >>> ev.type, ev["playback"]["state"], round(ev.time, 3)
    ('PlaybackFinished', 'done', 1795695426.162)
    """

    __slots__ = ("_time", "bridge", "channel", "frame", "playback", "raw", "received_at", "recording", "type")

    type: str
    raw: dict[str, Any]
    frame: str | None
    received_at: float
    _time: float | None
    channel: Channel | None
    playback: Playback | None
    bridge: Bridge | None
    recording: LiveRecording | None

    def __init__(
        self,
        raw: dict[str, Any],
        received_at: float = 0.0,
        frame: str | None = None,
        channel: Channel | None = None,
        playback: Playback | None = None,
        bridge: Bridge | None = None,
        recording: LiveRecording | None = None,
        type: str | None = None,
    ) -> None:
        self.type = type if type is not None else str(raw.get("type"))
        self.raw = raw
        self.frame = frame
        self.received_at = received_at
        self.channel = channel
        self.playback = playback
        self.bridge = bridge
        self.recording = recording
        # ``_time`` stays unset until first asked for (one store less per event).

    @property
    def application(self) -> str | None:
        """The Stasis application the event was sent to."""
        return self.raw.get("application")

    @property
    def timestamp(self) -> str | None:
        """Asterisk's timestamp text, as sent."""
        return self.raw.get("timestamp")

    @property
    def time(self) -> float | None:
        """Asterisk's timestamp as epoch seconds (None if the event has none or it does not parse)."""
        try:
            return self._time
        except AttributeError:
            pass
        ts = self.raw.get("timestamp")
        value: float | None = None
        if isinstance(ts, str):
            try:
                value = parse_timestamp(ts)
            except ValueError:
                value = None
        self._time = value
        return value

    @property
    def latency(self) -> float | None:
        """Seconds between Asterisk's timestamp and our receive time (clock skew included)."""
        t = self.time
        return None if t is None else self.received_at - t

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def get(self, key: str, default: Any = None) -> Any:
        """``ev.get("cause")``: a field of the event JSON, or ``default``."""
        return self.raw.get(key, default)

    def keys(self) -> Any:
        return self.raw.keys()

    def __repr__(self) -> str:
        parts = [f"<Event {self.type}"]
        ts = self.raw.get("timestamp")
        if isinstance(ts, str) and len(ts) >= 23:
            parts.append(ts[11:23])
        if self.channel is not None:
            parts.append(f"channel={self.channel.id} ({self.channel.name}, {self.channel.state})")
        if self.playback is not None:
            pb = self.raw.get("playback") or {}
            parts.append(f"playback={self.playback.id} {pb.get('state')} {pb.get('media_uri')}")
        if self.bridge is not None:
            parts.append(f"bridge={self.bridge.id}")
        if self.recording is not None:
            parts.append(f"recording={self.recording.name}")
        for key in ("digit", "variable", "cause", "dialstatus"):
            if key in self.raw:
                parts.append(f"{key}={self.raw[key]!r}")
        return " ".join(parts) + ">"
