"""`SessionCore`: the socket-free heart of a session, gluing the registry, the dispatch and the timeline.

It takes frames (``feed_frame``) or parsed events (``feed``), asks the
:class:`~arinb.client.registry.Registry` to apply each one to the objects it names (the registry is the only
writer of object state), appends the timeline row and hands the :class:`Event` to the
:class:`~arinb.client.dispatch.Dispatch` (handlers, waits, streams). It makes the handles (the registry's
factory) and serves them as their context (I/O through the session, waits through the dispatch). It does
no network I/O: tests drive it with plain dicts::

    core = SessionCore(timeline=None)
    core.on("StasisStart", lambda ev: print(ev.channel.id))
    core.feed({"type": "StasisStart", "channel": {"id": "1.1", "state": "Ring"}}, None, time.time())

Threading: every ``feed`` and every wait runs on one loop (the engine loop in a session). Handler
registration and handle creation may come from any thread: handler tables are copy-on-write and records are
inserted in one dict store, both atomic under the GIL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar, cast, runtime_checkable

import orjson

from arinb.client.dispatch import Dispatch, EventStream, Handler, Registered
from arinb.client.events import KNOWN_EVENT_TYPES, MALFORMED, Event
from arinb.client.handles import Bridge, Channel, LiveRecording, Playback
from arinb.client.registry import (
    BridgeRecord,
    ChannelRecord,
    PlaybackRecord,
    RecordingRecord,
    Registry,
)
from arinb.errors import ApplicationReplaced, AriError, AriUsageError

if TYPE_CHECKING:
    from arinb.loop import Call

__all__ = ["EventStream", "Handler", "SessionCore", "TimelineLike"]

log = logging.getLogger("arinb.client")

T = TypeVar("T")
H = TypeVar("H")
Predicate = Callable[[Event], bool]


class TimelineLike(Protocol):
    """What the core writes to (``arinb.timeline.Timeline`` or a test double)."""

    def add_event(self, event: dict[str, Any], received_at: float, raw: str | None = None) -> None: ...

    def add_request(
        self,
        method: str,
        path: str,
        query: Any,
        status: int | None,
        sent_at: float,
        elapsed: float | None,
        reason: str | None = None,
        error: str | None = None,
        body: Any = None,
        transport: str | None = None,
    ) -> None: ...

    def add_connection(self, kind: str, at: float, detail: str = "") -> None: ...


@runtime_checkable
class FrameTimeline(TimelineLike, Protocol):
    """A timeline that can also take an event as its frame text and build the row later (``Timeline``)."""

    def add_frame(self, raw: str, received_at: float) -> None: ...

    @property
    def pending_frames(self) -> int: ...

    def build_frames(self, limit: int | None = None) -> int: ...


# What each event type carries (from Asterisk 22's events.json), so intake only looks where it must.
_CH, _PB, _BR, _REC, _SPECIAL, _REPLACED = 1, 2, 4, 8, 16, 32
_ANY_OBJECT: Final = _CH | _PB | _BR | _REC
_TYPE_FLAGS: Final[dict[str, int]] = {
    # Later entries win: first the types that carry none of the four objects, then the specific ones.
    **{
        t: 0
        for t in KNOWN_EVENT_TYPES
        if t.startswith(("Application", "Device", "Endpoint", "Peer", "Contact"))
    },
    **{t: 0 for t in ("TextMessageReceived", "Dial", "MissingParams", "RESTResponse")},
    **{t: _ANY_OBJECT for t in ("BridgeAttendedTransfer", "ChannelTransfer")},
    **{
        t: _CH
        for t in (
            "ApplicationMoveFailed",
            "CallBroadcast",
            "CallClaimed",
            "ChannelCallerId",
            "ChannelConnectedLine",
            "ChannelCreated",
            "ChannelDialplan",
            "ChannelDtmfReceived",
            "ChannelHangupRequest",
            "ChannelHold",
            "ChannelStateChange",
            "ChannelTalkingFinished",
            "ChannelTalkingStarted",
            "ChannelToneDetected",
            "ChannelUnhold",
            "ChannelVarset",
        )
    },
    **{
        t: _CH | _BR
        for t in ("BridgeBlindTransfer", "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelUserevent")
    },
    **{t: _BR for t in ("BridgeCreated", "BridgeMerged", "BridgeVideoSourceChanged")},
    "PlaybackContinuing": _PB,
    "PlaybackStarted": _PB | _SPECIAL,
    "PlaybackFinished": _PB | _SPECIAL,
    "RecordingStarted": _REC,
    "RecordingFinished": _REC | _SPECIAL,
    "RecordingFailed": _REC | _SPECIAL,
    "StasisStart": _CH | _SPECIAL,
    "StasisEnd": _CH | _SPECIAL,
    "ChannelDestroyed": _CH | _SPECIAL,
    "BridgeDestroyed": _BR | _SPECIAL,
    "ApplicationReplaced": _SPECIAL | _REPLACED,
}

_new_event: Final = Event.__new__

#: How many distinct unknown event types intake remembers (and logs); more are looked up each time.
_UNKNOWN_TYPES_KEPT: Final = 256


class Runner(Protocol):
    """What the core needs from its owner for I/O and for running waits (the session provides it)."""

    def perform(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        *,
        convert: Callable[[Any], Any] | None = None,
        label: str = "",
        accept_bytes: bool = False,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Call[Any]: ...

    def run_wait(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...

    def start_wait(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...

    @property
    def apps(self) -> list[str]: ...


class HandleView(Mapping[str, H], Generic[H]):
    """A read-only ``{id: handle}`` view of one registry table (``session.core.channels`` and the like)."""

    __slots__ = ("_records",)

    def __init__(self, records: dict[str, Any]) -> None:
        self._records = records

    def __getitem__(self, key: str) -> H:
        return cast(H, self._records[key].handle)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __repr__(self) -> str:
        first = ", ".join(list(self._records)[:5])
        return f"<{len(self._records)} handles: {first}{' ...' if len(self) > 5 else ''}>"


class SessionCore:
    """Registry + dispatch + timeline rows for one session. No sockets.

    ``runner`` is the session (it performs requests and runs waits on the engine loop); without one the core
    works on the caller's running loop and handle I/O raises :class:`AriUsageError`.
    """

    def __init__(
        self,
        timeline: TimelineLike | None = None,
        runner: Runner | None = None,
        *,
        on_replaced: Callable[[Event], None] | None = None,
    ) -> None:
        self.timeline = timeline
        self.runner = runner
        self.on_replaced = on_replaced
        self.dispatch = Dispatch()
        self.registry = Registry(factory=self, listener=self.dispatch)
        self.channels: HandleView[Channel] = HandleView(self.registry.channels)
        self.playbacks: HandleView[Playback] = HandleView(self.registry.playbacks)
        self.bridges: HandleView[Bridge] = HandleView(self.registry.bridges)
        self.recordings: HandleView[LiveRecording] = HandleView(self.registry.recordings)
        self.events_received = 0
        self.malformed = 0
        self.last_event: Event | None = None
        self.replaced = False
        #: (application, eventSource) pairs subscribed through session.applications: renewed on reconnect.
        self.subscriptions: set[tuple[str, str]] = set()
        self._flags: dict[str, int] = dict(_TYPE_FLAGS)
        self._unknown_seen = 0
        self._add_row = timeline.add_event if timeline is not None else None
        # A timeline that builds rows from frame texts later: intake then only hands it the text.
        self._frames: FrameTimeline | None = timeline if isinstance(timeline, FrameTimeline) else None
        self._add_frame = self._frames.add_frame if self._frames is not None else None
        self._special: dict[str, Callable[[Event, Any, Any, Any, Any], None]] = {
            "PlaybackStarted": self._on_playback_started,
            "PlaybackFinished": self._on_playback_finished,
            "StasisStart": self._on_stasis_start,
            "StasisEnd": self._on_stasis_end,
            "ChannelDestroyed": self._on_channel_destroyed,
            "BridgeDestroyed": self._on_bridge_destroyed,
            "RecordingFinished": self._on_recording_done,
            "RecordingFailed": self._on_recording_done,
            "ApplicationReplaced": self._on_application_replaced,
        }

    # ------------------------------------------------------------------ settings and state

    @property
    def keep_ended_channels(self) -> int:
        """How many channels outside Stasis stay known (oldest forgotten first)."""
        return self.registry.keep_ended_channels

    @keep_ended_channels.setter
    def keep_ended_channels(self, value: int) -> None:
        self.registry.keep_ended_channels = value

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self.dispatch.loop

    @loop.setter
    def loop(self, value: asyncio.AbstractEventLoop | None) -> None:
        self.dispatch.loop = value

    @property
    def closed(self) -> bool:
        return self.dispatch.closed

    @property
    def apps(self) -> list[str]:
        return list(self.runner.apps) if self.runner is not None else []

    # ------------------------------------------------------------------ handles (the registry's factory)

    def make_handle(self, record: Any) -> Any:
        """The one handle of a new registry record."""
        if type(record) is ChannelRecord:
            return Channel(self, record)
        if type(record) is PlaybackRecord:
            return Playback(self, record)
        if type(record) is BridgeRecord:
            return Bridge(self, record)
        if type(record) is RecordingRecord:
            return LiveRecording(self, record)
        raise TypeError(f"no handle for {type(record).__name__}")

    def channel(self, channel_id: str, json: dict[str, Any] | None = None) -> Channel:
        """The one handle for this channel id (created on first use, no I/O)."""
        return cast(Channel, self.registry.channel(channel_id, json).handle)

    def playback(self, playback_id: str, json: dict[str, Any] | None = None) -> Playback:
        return cast(Playback, self.registry.playback(playback_id, json).handle)

    def bridge(self, bridge_id: str, json: dict[str, Any] | None = None) -> Bridge:
        return cast(Bridge, self.registry.bridge(bridge_id, json).handle)

    def recording(self, name: str, json: dict[str, Any] | None = None) -> LiveRecording:
        return cast(LiveRecording, self.registry.recording(name, json).handle)

    def register_playback(self, playback_id: str, media: str, target_uri: str) -> Playback:
        """A fresh Playback for a play request about to be sent (events for it may beat the reply)."""
        return cast(Playback, self.registry.register_play(playback_id, media, target_uri).handle)

    playback_for_play = register_playback

    # Reply converters (run on the engine loop when a REST reply arrives).
    def channel_from(self, body: Any) -> Channel:
        return self.channel(body["id"], body)

    def created_channel_from(self, body: Any) -> Channel:
        """The channel an originate/create/snoop reply names (events that came first are kept)."""
        return cast(Channel, self.registry.channel_created(body["id"], body).handle)

    def channels_from(self, body: Any) -> list[Channel]:
        return [self.channel(c["id"], c) for c in body or []]

    def bridge_from(self, body: Any) -> Bridge:
        return self.bridge(body["id"], body)

    def recording_from(self, body: Any) -> LiveRecording:
        return self.recording(body["name"], body)

    # ------------------------------------------------------------------ intake (hot path)

    def feed_frame(self, frame: str | bytes, received_at: float) -> None:
        """Parse one WebSocket text frame and feed it; a non-event frame is recorded, never raised."""
        try:
            event = orjson.loads(frame)
        except orjson.JSONDecodeError as exc:
            self._malformed(frame, received_at, f"invalid JSON: {exc}")
            return
        if type(event) is not dict:
            self._malformed(frame, received_at, f"not a JSON object: {type(event).__name__}")
            return
        if type(event.get("type")) is not str:
            self._malformed(frame, received_at, "a JSON object without a string 'type'")
            return
        self.feed(event, frame if type(frame) is str else None, received_at)

    def feed(self, event: dict[str, Any], raw: str | None, received_at: float) -> Event:
        """Take one parsed event: the registry applies it, the timeline gets its row, special handling runs,
        then handlers, waits and streams. Returns the :class:`Event` (a ``MalformedFrame`` one, not
        dispatched, when an object in it has an id that is not a string)."""
        get = event.get
        etype: str = get("type")  # type: ignore[assignment]
        flags = self._flags.get(etype)
        if flags is None:
            flags = self._learn_type(etype)
            etype = etype if type(etype) is str else str(etype)
        registry = self.registry
        ch = pb = br = rec = None
        if flags & _CH:
            obj = get("channel")
            if obj is not None and type(obj) is dict:
                ch = registry.observe_channel(obj)
                if ch is None and "id" in obj:
                    return self._bad_id(event, raw, received_at, "channel")
        if flags & _PB:
            obj = get("playback")
            if obj is not None and type(obj) is dict:
                pb = registry.observe_playback(obj)
                if pb is None and "id" in obj:
                    return self._bad_id(event, raw, received_at, "playback")
                if pb is not None and ch is None:
                    ch = registry.target_channel(pb)
        if flags & _BR:
            obj = get("bridge")
            if obj is not None and type(obj) is dict:
                br = registry.observe_bridge(obj)
                if br is None and "id" in obj:
                    return self._bad_id(event, raw, received_at, "bridge")
        if flags & _REC:
            obj = get("recording")
            if obj is not None and type(obj) is dict:
                rec = registry.observe_recording(obj)
                if rec is None and "name" in obj:
                    return self._bad_id(event, raw, received_at, "recording")

        # Event's slots set here rather than through Event(...): the constructor call costs more than the
        # stores on this path (every slot is set: Event.__init__ is the reference).
        ev = _new_event(Event)
        ev.type = etype
        ev.raw = event
        ev.frame = raw
        ev.received_at = received_at
        ev.channel = ch.handle if ch is not None else None
        ev.playback = pb.handle if pb is not None else None
        ev.bridge = br.handle if br is not None else None
        ev.recording = rec.handle if rec is not None else None
        self.events_received += 1
        self.last_event = ev
        if raw is not None and self._add_frame is not None:
            self._add_frame(raw, received_at)  # the row is built from the text later, off this path
        elif self._add_row is not None:
            self._add_row(event, received_at, raw)
        special = self._special.get(etype) if flags & _SPECIAL else None
        self.dispatch.deliver(ev, ch, pb, br, rec, special)
        if flags & _REPLACED:
            self._replaced(ev)
        return ev

    def _learn_type(self, etype: Any) -> int:
        """Flags for a type not in the table: unknown types are looked at for every object. Only a bounded
        number of them is remembered (and logged): a flood of odd types must not grow memory."""
        text = etype if type(etype) is str else str(etype)
        flags = self._flags.get(text)
        if flags is not None:
            return flags
        if self._unknown_seen < _UNKNOWN_TYPES_KEPT:
            self._unknown_seen += 1
            self._flags[text] = _ANY_OBJECT
            if text not in KNOWN_EVENT_TYPES:
                log.info("arinb: unknown ARI event type %r (delivered and recorded as is)", text)
        return _ANY_OBJECT

    def timeline_backlog(self) -> int:
        """How many events the timeline holds as frame texts whose rows are not built yet."""
        return self._frames.pending_frames if self._frames is not None else 0

    def build_timeline(self, limit: int | None = None) -> None:
        """Build the timeline rows of queued frames (the oldest ``limit``, or all): the engine is idle."""
        if self._frames is not None:
            try:
                self._frames.build_frames(limit)
            except Exception:
                log.exception("arinb: building the timeline's queued rows failed")

    def known_types(self) -> int:
        """How many event types intake has flags for (Asterisk's, plus a bounded number of unknown ones)."""
        return len(self._flags)

    def _bad_id(self, event: dict[str, Any], raw: str | None, received_at: float, what: str) -> Event:
        text = raw if raw is not None else orjson.dumps(event, default=repr).decode()
        why = f"the {what} id is not a string"
        self._malformed(text, received_at, why)
        return Event({"type": MALFORMED, "error": why}, received_at, raw, type=MALFORMED)

    def _malformed(self, frame: str | bytes, received_at: float, why: str) -> None:
        self.malformed += 1
        text = frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")
        log.warning("arinb: ignored a malformed event frame (%s): %.200s", why, text)
        if self._add_row is not None:
            self._add_row({"type": MALFORMED, "error": why}, received_at, text)

    # ------------------------------------------------------------------ special handling

    def _on_playback_started(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if pb is not None:
            self.registry.playback_started(pb)

    def _on_playback_finished(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if pb is not None:
            self.registry.playback_finished(pb, (ev.raw.get("playback") or {}).get("state"))

    def _on_stasis_start(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if ch is not None:
            self.registry.stasis_start(ch)

    def _on_stasis_end(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if ch is not None:
            self.registry.stasis_end(ch)

    def _on_channel_destroyed(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if ch is not None:
            self.registry.channel_destroyed(ch)

    def _on_bridge_destroyed(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if br is not None:
            self.registry.bridge_destroyed(br)

    def _on_recording_done(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        if rec is not None:
            self.registry.recording_done(rec)

    def _on_application_replaced(self, ev: Event, ch: Any, pb: Any, br: Any, rec: Any) -> None:
        log.warning(
            "arinb: ARI application %r was registered by another connection: this session no longer "
            "receives its events and will not reconnect (session.replaced is True)",
            ev.raw.get("application"),
        )

    def _replaced(self, ev: Event) -> None:
        # After handlers saw the event: fail everyone still waiting, then let the session stop.
        self.replaced = True
        self.record_connection(
            "replaced",
            f"application {ev.raw.get('application')!r} registered by another connection; events stopped",
            at=ev.received_at or None,
        )
        error = ApplicationReplaced(
            f"ARI application {ev.raw.get('application')!r} was registered by another connection; "
            "this session no longer receives its events"
        )
        self.dispatch.fail_all(error)
        if self.on_replaced is not None:
            self.on_replaced(ev)

    # ------------------------------------------------------------------ handlers, waits, streams

    def on(self, event_type: str, handler: Handler, record: Any = None) -> Handler:
        """Register ``handler`` for ``event_type`` (``"*"`` = every event), optionally only for events naming
        one object (its registry ``record``; ``handle.on`` passes it). Returns the handler, so it also works
        as a decorator. A module-level function registered again under the same name (a re-run notebook
        cell) replaces the earlier one."""
        return self.dispatch.on(event_type, handler, record)

    def off(self, event_type: str, handler: Handler, record: Any = None) -> bool:
        """Unregister a handler; True if it was registered."""
        return self.dispatch.off(event_type, handler, record)

    def handlers(self) -> list[Registered]:
        """What is registered: ``[(event_type, name, on), ...]`` (``on``: the handle, or None)."""
        return self.dispatch.handlers()

    def pending_handler_tasks(self) -> int:
        """How many async handler queues are being drained right now."""
        return self.dispatch.pending_handler_tasks()

    def wait_for(
        self,
        event_type: str | Iterable[str] | None,
        predicate: Predicate | None = None,
        timeout: float | None = None,
        record: Any = None,
        since: float | None = None,
        *,
        hint: str = "",
    ) -> Coroutine[Any, Any, Event]:
        """A coroutine giving the next matching event (see :meth:`Dispatch.wait_for`); run it on the loop."""
        return self.dispatch.wait_for(event_type, predicate, timeout, record, since, hint)

    def watch(self, record: Any, since: float) -> None:
        """A handle sent a request: its object's next events are kept for waits that look back."""
        self.dispatch.watch(record, since)

    def wait_playback(self, record: Any, which: str, limit: float | None) -> Coroutine[Any, Any, Any]:
        return self.dispatch.wait_playback(record, which, limit)

    def events(self, event_types: Iterable[str] = (), handle: Any = None) -> EventStream:
        """An :class:`EventStream` of these types (all if empty; only those naming ``handle`` if given)."""
        return self.dispatch.events(event_types, handle)

    def events_gone(self, error: AriError) -> None:
        """The events connection is gone for good: every wait ends with ``error``, new ones fail at once."""
        self.dispatch.fail_all(error)

    def check_open(self) -> None:
        self.dispatch.check_open()

    def close(self) -> None:
        """Stop: pending waits get ``SessionClosed``, streams end, queued async handler work is dropped."""
        self.dispatch.close()

    # ------------------------------------------------------------------ requests and connection rows

    def record_request(
        self,
        method: str,
        path: str,
        query: Any,
        status: int | None,
        sent_at: float,
        elapsed: float | None,
        reason: str | None = None,
        error: str | None = None,
        body: Any = None,
        transport: str | None = None,
    ) -> None:
        if self.timeline is not None:
            try:
                if transport is None:
                    self.timeline.add_request(
                        method, path, query, status, sent_at, elapsed, reason, error, body
                    )
                else:
                    self.timeline.add_request(
                        method,
                        path,
                        query,
                        status,
                        sent_at,
                        elapsed,
                        reason,
                        error,
                        body,
                        transport=transport,
                    )
            except Exception:
                log.exception("arinb: timeline refused a request row")

    def record_connection(self, kind: str, detail: str = "", at: float | None = None) -> None:
        if self.timeline is not None:
            try:
                self.timeline.add_connection(kind, time.time() if at is None else at, detail)
            except Exception:
                log.exception("arinb: timeline refused a connection row")

    # ------------------------------------------------------------------ I/O through the owner

    def require_io(self) -> None:
        if self.runner is None:
            raise AriUsageError("this handle is not attached to a connected session (no I/O possible)")

    def io(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        *,
        convert: Callable[[Any], Any] | None = None,
        label: str = "",
        accept_bytes: bool = False,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Call[Any]:
        if self.runner is None:
            raise AriUsageError("this handle is not attached to a connected session (no I/O possible)")
        return self.runner.perform(
            method,
            path,
            params,
            json,
            convert=convert,
            label=label,
            accept_bytes=accept_bytes,
            on_error=on_error,
        )

    def run(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        """Run a wait on the core's loop: through the session (a Call), or, socket-free, as a task here."""
        if self.runner is None:
            task = self.dispatch.task_loop().create_task(coro)
            return task  # type: ignore[return-value]  # awaitable like a Call; socket-free tests only
        return self.runner.run_wait(coro, label)

    def expect(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        """Run a wait without blocking where it is made, even in a script (see ``AriSession.expect``)."""
        if self.runner is None:
            return self.run(coro, label)
        return self.runner.start_wait(coro, label)

    def __repr__(self) -> str:
        return (
            f"<SessionCore events={self.events_received} channels={len(self.channels)} "
            f"playbacks={len(self.playbacks)} bridges={len(self.bridges)}>"
        )
