"""`SessionCore`: the socket-free heart of a client session.

It takes events (``feed``/``feed_frame``), keeps the objects they name up to date by id (channels, playbacks,
bridges, live recordings), appends timeline rows and dispatches to handlers and waiters. It does no network
I/O: the transport hands it frames, and tests drive it with plain dicts::

    core = SessionCore(timeline=None)
    core.on("StasisStart", lambda ev: print(ev.channel.id))
    core.feed({"type": "StasisStart", "channel": {"id": "1.1", "state": "Ring"}}, None, time.time())

Threading: every ``feed`` and every waiter runs on one loop (the engine loop in a session). Handler
registration and handle creation may come from any thread: handler lists are copy-on-write tuples and new
handles are inserted with ``dict.setdefault``, both atomic under the GIL.

Dispatch order for one event: handlers for its type, then handlers registered on the objects it names
(channel, playback, bridge, recording; each by type then ``"*"``), then the session's ``"*"`` handlers.
Sync handlers run inline in arrival order; each async handler has its own ordered queue, drained by one task
that exists only while the queue is non-empty, so a slow async handler delays nobody but itself.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import types
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import orjson

from arinb.client.events import KNOWN_EVENT_TYPES, MALFORMED, Event
from arinb.client.resources import Bridge, Channel, LiveRecording, Playback
from arinb.errors import ApplicationReplaced, AriError, AriTimeoutError, AriUsageError, SessionClosed

if TYPE_CHECKING:
    from arinb.loop import Call

__all__ = ["EventStream", "Handler", "SessionCore", "TimelineLike"]

log = logging.getLogger("arinb.client")

T = TypeVar("T")
Handler = Callable[[Event], Any]
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


def _name_of(cb: Any) -> str:
    return getattr(cb, "__qualname__", None) or getattr(cb, "__name__", None) or repr(cb)


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

_PLAIN_CALLABLES: Final = (types.FunctionType, types.BuiltinFunctionType, types.BuiltinMethodType)


def _is_async_callable(cb: Any) -> bool:
    """``async def`` functions, bound methods, partials of them, objects with an ``async def __call__``."""
    if type(cb) in _PLAIN_CALLABLES:  # the common case, checked cheaply (handlers are registered per call)
        return cb.__code__.co_flags & inspect.CO_COROUTINE != 0 if hasattr(cb, "__code__") else False
    if inspect.iscoroutinefunction(cb):
        return True
    call = getattr(type(cb), "__call__", None)  # noqa: B004 - an instance whose __call__ is async
    return call is not None and inspect.iscoroutinefunction(call)


class _Handler:
    """One registered callback; async ones get an ordered queue drained by a short-lived task."""

    __slots__ = ("cb", "core", "is_async", "queue", "task")

    def __init__(self, cb: Handler, core: SessionCore) -> None:
        self.cb = cb
        self.core = core
        self.is_async = _is_async_callable(cb)
        self.queue: deque[tuple[Awaitable[Any], str]] = deque()
        self.task: asyncio.Task[None] | None = None

    def push(self, awaitable: Awaitable[Any], etype: str) -> None:
        self.queue.append((awaitable, etype))
        if self.task is None:
            self.task = self.core._loop_for_tasks().create_task(
                self._drain(), name=f"arinb-handler {_name_of(self.cb)}"
            )

    async def _drain(self) -> None:
        queue = self.queue
        try:
            while queue:
                awaitable, etype = queue.popleft()
                try:
                    await awaitable
                except Exception:
                    log.exception("arinb: async handler %s failed on %s", _name_of(self.cb), etype)
        finally:
            self.task = None

    def discard(self) -> None:
        """Drop queued work (session closed): close unstarted coroutines so none warns "never awaited"."""
        while self.queue:
            awaitable, _ = self.queue.popleft()
            if inspect.iscoroutine(awaitable):
                awaitable.close()
        if self.task is not None:
            self.task.cancel()


def _run_handlers(handlers: tuple[_Handler, ...], ev: Event) -> None:
    for h in handlers:
        try:
            result = h.cb(ev)
        except Exception:
            log.exception("arinb: handler %s failed on %s", _name_of(h.cb), ev.type)
            continue
        if h.is_async or (result is not None and inspect.isawaitable(result)):
            # An async handler's coroutine, or a sync callable that returned one (a lambda around an async
            # function): run it in order. The call itself sits in the try above: an async handler with the
            # wrong signature raises right there and must not cost the other handlers this event.
            h.push(result, ev.type)


def _run_object_handlers(registry: dict[str, tuple[_Handler, ...]], etype: str, ev: Event) -> None:
    handlers = registry.get(etype)
    if handlers:
        _run_handlers(handlers, ev)
    handlers = registry.get("*")
    if handlers:
        _run_handlers(handlers, ev)


def _add(registry: dict[str, tuple[_Handler, ...]], etype: str, handler: _Handler) -> None:
    registry[etype] = (*registry.get(etype, ()), handler)


def _remove(registry: dict[str, tuple[_Handler, ...]], etype: str, cb: Handler) -> bool:
    old = registry.get(etype, ())
    new = tuple(h for h in old if h.cb is not cb and h.cb != cb)
    if len(new) == len(old):
        return False
    if new:
        registry[etype] = new
    else:
        registry.pop(etype, None)
    return True


_Route = tuple[str, int, tuple[_Handler, ...], Callable[[Event], None] | None]


class _Waiter:
    __slots__ = ("future", "obj", "predicate", "types")

    def __init__(
        self,
        types: frozenset[str] | None,
        predicate: Predicate | None,
        obj: Any,
        future: asyncio.Future[Event],
    ) -> None:
        self.types = types
        self.predicate = predicate
        self.obj = obj
        self.future = future


def _types(event_type: str | Iterable[str] | None) -> frozenset[str] | None:
    if event_type is None or event_type == "*":
        return None
    if isinstance(event_type, str):
        return frozenset((event_type,))
    types = frozenset(event_type)
    return None if "*" in types else types


class EventStream:
    """An async iterator over events, registered when created (so nothing between creation and the first
    ``__anext__`` is missed). It ends when the session closes and raises ``ApplicationReplaced`` if the app is
    taken over. Iterate on any loop::

        async for ev in session.events("PlaybackFinished"):
            print(ev.playback.id)
            break
    """

    def __init__(self, core: SessionCore, types: frozenset[str] | None, obj: Any = None) -> None:
        self._core = core
        self._types = types
        self._obj = obj
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._error: BaseException | None = None
        core._add_stream(self)

    def _push(self, ev: Event) -> None:
        if self._types is not None and ev.type not in self._types:
            return
        obj = self._obj
        if obj is not None and not _names(ev, obj):
            return
        self._queue.append(ev)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is None:
            return
        self._waiter = None
        loop = waiter.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            if not waiter.done():
                waiter.set_result(None)
            return
        try:
            loop.call_soon_threadsafe(_set_none, waiter)
        except RuntimeError:  # the consumer's loop is closed (a restarted kernel): nobody will read on
            self._ended = True
            self._core._remove_stream(self)

    def _end(self, error: BaseException | None = None) -> None:
        self._ended = True
        self._error = error
        self._wake()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        queue = self._queue
        while True:
            if queue:
                return queue.popleft()
            if self._ended:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            if queue or self._ended:  # an event slipped in before the waiter was visible
                self._waiter = None
                continue
            await waiter

    def close(self) -> None:
        """Stop receiving; iteration ends after the events already queued."""
        self._core._remove_stream(self)
        self._end()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        types = "*" if self._types is None else ",".join(sorted(self._types))
        return f"<EventStream {types} queued={len(self._queue)}{' ended' if self._ended else ''}>"


def _names(ev: Event, obj: Any) -> bool:
    """True if the event names this handle."""
    return obj is ev.channel or obj is ev.playback or obj is ev.bridge or obj is ev.recording


def _set_none(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class Runner(Protocol):
    """What the core needs from its owner for I/O and for running waits (the session provides it)."""

    def _io(
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

    def _run(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...

    def _expect(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...


class SessionCore:
    """Objects by id, timeline rows, handlers and waiters for one session. No sockets.

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
        self.channels: dict[str, Channel] = {}
        self.playbacks: dict[str, Playback] = {}
        self._events_gone: AriError | None = None  # why no event will come any more (see _fail_all)
        # Plays sent with an id whose playback is still running: Asterisk queues them, and their events come
        # after the running one's PlaybackFinished (see register_playback).
        self._queued_playbacks: dict[str, deque[Playback]] = {}
        self.bridges: dict[str, Bridge] = {}
        self.recordings: dict[str, LiveRecording] = {}
        #: How many channels that left the application keep their handle in ``channels`` (oldest go first).
        self.keep_ended_channels = 1000
        self.events_received = 0
        self.malformed = 0
        self.last_event: Event | None = None
        self.replaced = False
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._handlers: dict[str, tuple[_Handler, ...]] = {}
        self._wildcard: tuple[_Handler, ...] = ()
        self._waiters: list[_Waiter] = []
        self._streams: tuple[weakref.ref[EventStream], ...] = ()
        self._streams_lock = threading.Lock()
        self._flags: dict[str, int] = dict(_TYPE_FLAGS)
        # Per event type: (type name, flags, per-type handlers, special handling); see _route.
        self._routes: dict[Any, _Route] = {}
        self._ended: deque[str] = deque()  # ids of channels that left Stasis, oldest first
        # (application, eventSource) pairs subscribed through session.applications: renewed on reconnect.
        self._subscriptions: set[tuple[str, str]] = set()
        self._add_row = timeline.add_event if timeline is not None else None
        self._special: dict[str, Callable[[Event], None]] = {
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

    # ------------------------------------------------------------------ handles

    def channel(self, channel_id: str, json: dict[str, Any] | None = None) -> Channel:
        """The one handle for this channel id (created on first use, no I/O)."""
        ch = self.channels.get(channel_id)
        if ch is None:
            ch = self.channels.setdefault(channel_id, Channel(self, channel_id))
        if json is not None:
            ch.json = json
        return ch

    def playback(self, playback_id: str, json: dict[str, Any] | None = None) -> Playback:
        pb = self.playbacks.get(playback_id)
        if pb is None:
            pb = self.playbacks.setdefault(playback_id, Playback(self, playback_id))
        if json is not None and pb._outcome is None:
            pb.json = json
        return pb

    def bridge(self, bridge_id: str, json: dict[str, Any] | None = None) -> Bridge:
        br = self.bridges.get(bridge_id)
        if br is None:
            br = self.bridges.setdefault(bridge_id, Bridge(self, bridge_id))
        if json is not None:
            br.json = json
        return br

    def recording(self, name: str, json: dict[str, Any] | None = None) -> LiveRecording:
        rec = self.recordings.get(name)
        if rec is None:
            rec = self.recordings.setdefault(name, LiveRecording(self, name))
        if json is not None:
            rec.json = json
        return rec

    # Reply converters (run on the engine loop when a REST reply arrives).
    def _channel_from(self, body: Any) -> Channel:
        return self.channel(body["id"], body)

    def _channels_from(self, body: Any) -> list[Channel]:
        return [self.channel(c["id"], c) for c in body or []]

    def _bridge_from(self, body: Any) -> Bridge:
        return self.bridge(body["id"], body)

    def _recording_from(self, body: Any) -> LiveRecording:
        return self.recording(body["name"], body)

    def register_playback(self, playback_id: str, media: str, target_uri: str) -> Playback:
        """A fresh Playback for a play request about to be sent (events for it may beat the reply)."""
        pb = Playback(self, playback_id, {"id": playback_id, "media_uri": media, "target_uri": target_uri})
        current = self.playbacks.get(playback_id)
        if current is not None and current._outcome is None:
            # Asterisk accepts a duplicate id and plays it after the running one: until that one's
            # PlaybackFinished, events with this id are still the running one's.
            self._queued_playbacks.setdefault(playback_id, deque()).append(pb)
        else:
            self.playbacks[playback_id] = pb
        return pb

    def _forget_playback(self, pb: Playback) -> None:
        """Drop a playback that ended (or never will): the next one queued under its id takes its place."""
        queued = self._queued_playbacks.get(pb.id)
        if self.playbacks.get(pb.id) is pb:
            del self.playbacks[pb.id]
            if queued:
                self.playbacks[pb.id] = queued.popleft()
        elif queued and pb in queued:
            queued.remove(pb)
        if queued is not None and not queued:
            del self._queued_playbacks[pb.id]

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
        """Take one parsed event: update objects, append the timeline row, run special handling,
        dispatch to handlers, waiters and streams. Returns the :class:`Event`."""
        get = event.get
        etype: str = get("type")  # type: ignore[assignment]  # a non-str type misses _routes: _route
        route = self._routes.get(etype)
        if route is None:
            route = self._route(etype)
        etype, flags, handlers, special = route

        ch = pb = br = rec = None
        if flags & _CH:
            obj = get("channel")
            if obj is not None and type(obj) is dict:
                cid = obj.get("id")
                ch = self.channels.get(cid)  # type: ignore[arg-type]
                if ch is None and type(cid) is str:
                    ch = self.channels.setdefault(cid, Channel(self, cid, obj))
                if ch is not None:
                    ch.json = obj
        if flags & _PB:
            obj = get("playback")
            if obj is not None and type(obj) is dict:
                pid = obj.get("id")
                pb = self.playbacks.get(pid)  # type: ignore[arg-type]
                if pb is None and type(pid) is str:
                    pb = self.playbacks.setdefault(pid, Playback(self, pid, obj))
                if pb is not None:
                    if pb._outcome is None:
                        pb.json = obj
                    if ch is None:
                        ch = pb._target_channel()
        if flags & _BR:
            obj = get("bridge")
            if obj is not None and type(obj) is dict:
                bid = obj.get("id")
                br = self.bridges.get(bid)  # type: ignore[arg-type]
                if br is None and type(bid) is str:
                    br = self.bridges.setdefault(bid, Bridge(self, bid, obj))
                if br is not None:
                    br.json = obj
        if flags & _REC:
            obj = get("recording")
            if obj is not None and type(obj) is dict:
                name = obj.get("name")
                rec = self.recordings.get(name)  # type: ignore[arg-type]
                if rec is None and type(name) is str:
                    rec = self.recordings.setdefault(name, LiveRecording(self, name, obj))
                if rec is not None:
                    rec.json = obj

        ev = Event(event, received_at, raw, ch, pb, br, rec, etype)
        self.events_received += 1
        self.last_event = ev
        add_row = self._add_row
        if add_row is not None:
            add_row(event, received_at, raw)
        if special is not None:
            special(ev)

        # Dispatch; explicit branches rather than a loop over the four objects (this runs per event), and
        # the per-object registries inlined (most events name a channel).
        if handlers:
            _run_handlers(handlers, ev)
        if ch is not None:
            registry = ch._handlers
            if registry:
                if found := registry.get(etype):
                    _run_handlers(found, ev)
                if found := registry.get("*"):
                    _run_handlers(found, ev)
        if pb is not None and pb._handlers:
            _run_object_handlers(pb._handlers, etype, ev)
        if br is not None and br._handlers:
            _run_object_handlers(br._handlers, etype, ev)
        if rec is not None and rec._handlers:
            _run_object_handlers(rec._handlers, etype, ev)
        if self._wildcard:
            _run_handlers(self._wildcard, ev)
        if self._waiters:
            self._check_waiters(ev)
        if self._streams:
            self._push_streams(ev)
        if flags & _REPLACED:
            self._replaced(ev)
        return ev

    def _route(self, etype: Any) -> _Route:
        """What intake does for a type: its name, flags, per-type handlers and special handling (cached).

        The cache is dropped whenever per-type handlers change (``on``/``off``), so a route is never stale
        for longer than the event being dispatched while the registration happens.
        """
        # Taken before the handlers are read: if on() swaps in a new cache meanwhile, this route lands in
        # the old one and the next event builds a fresh route.
        routes = self._routes
        text, flags = self._learn_type(etype)
        special = self._special.get(text) if flags & _SPECIAL else None
        route = (text, flags, self._handlers.get(text, ()), special)
        if len(routes) < 1000:  # event types are few; a flood of odd ones must not grow this
            routes[etype] = route
        return route

    def _learn_type(self, etype: Any) -> tuple[str, int]:
        """Flags for a type not seen yet by this core: unknown types are looked at for every object."""
        text = etype if type(etype) is str else str(etype)
        flags = self._flags.get(text)
        if flags is None:
            flags = _ANY_OBJECT
            if text not in KNOWN_EVENT_TYPES:
                log.info("arinb: unknown ARI event type %r (delivered and recorded as is)", text)
            self._flags[text] = flags
        return text, flags

    def _malformed(self, frame: str | bytes, received_at: float, why: str) -> None:
        self.malformed += 1
        text = frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")
        log.warning("arinb: ignored a malformed event frame (%s): %.200s", why, text)
        if self._add_row is not None:
            self._add_row({"type": MALFORMED, "error": why}, received_at, text)

    # ------------------------------------------------------------------ special handling

    def _on_playback_started(self, ev: Event) -> None:
        pb = ev.playback
        if pb is not None:
            pb._set_started()

    def _on_playback_finished(self, ev: Event) -> None:
        pb = ev.playback
        if pb is None:
            return
        state = (ev.raw.get("playback") or {}).get("state")
        pb._set_outcome("failed" if state == "failed" else "done")
        # Asterisk forgets a finished playback (GET -> 404); a later event with this id is a new one.
        self._forget_playback(pb)

    def _on_stasis_start(self, ev: Event) -> None:
        if ev.channel is not None:
            ev.channel._in_stasis = True

    def _on_stasis_end(self, ev: Event) -> None:
        ch = ev.channel
        if ch is None:
            return
        ch._in_stasis = False
        # With subscribeAll=false no ChannelDestroyed follows StasisEnd: forget the oldest ended channels
        # (still gone from Stasis) so a long session does not keep every channel it ever saw.
        ended = self._ended
        ended.append(ch.id)
        if len(ended) > self.keep_ended_channels:
            old_id = ended.popleft()
            old = self.channels.get(old_id)
            if old is not None and not old._in_stasis:
                del self.channels[old_id]
        target = "channel:" + ch.id
        queued = [q for qs in self._queued_playbacks.values() for q in qs] if self._queued_playbacks else []
        for pb in [*self.playbacks.values(), *queued]:
            if pb._outcome is None and pb.json.get("target_uri") == target:
                pb._channel_left()
                if pb._outcome is not None:
                    self._forget_playback(pb)

    def _on_channel_destroyed(self, ev: Event) -> None:
        ch = ev.channel
        if ch is not None:
            ch._destroyed = True
            ch._in_stasis = False
            if self.channels.get(ch.id) is ch:
                del self.channels[ch.id]

    def _on_bridge_destroyed(self, ev: Event) -> None:
        br = ev.bridge
        if br is not None:
            br._destroyed = True
            if self.bridges.get(br.id) is br:
                del self.bridges[br.id]

    def _on_recording_done(self, ev: Event) -> None:
        rec = ev.recording
        if rec is not None and self.recordings.get(rec.name) is rec:
            del self.recordings[rec.name]

    def _on_application_replaced(self, ev: Event) -> None:
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
        self._fail_all(error)
        if self.on_replaced is not None:
            self.on_replaced(ev)

    # ------------------------------------------------------------------ handlers

    def on(self, event_type: str, handler: Handler, obj: Any = None) -> Handler:
        """Register ``handler`` for ``event_type`` (``"*"`` = every event), optionally only for events naming
        ``obj`` (a handle). Returns the handler, so it also works as a decorator."""
        if not callable(handler):
            raise AriUsageError(f"handler must be callable, not {type(handler).__name__}")
        if not isinstance(event_type, str) or not event_type:
            raise AriUsageError("event type must be a non-empty string such as 'StasisStart' or '*'")
        h = _Handler(handler, self)
        if obj is not None:
            registry = obj._handlers if obj._handlers is not None else {}
            _add(registry, event_type, h)
            obj._handlers = registry
        elif event_type == "*":
            self._wildcard = (*self._wildcard, h)
        else:
            _add(self._handlers, event_type, h)
            self._routes = {}  # rebound, not cleared: a feed on the loop keeps a consistent dict
        return handler

    def off(self, event_type: str, handler: Handler, obj: Any = None) -> bool:
        """Unregister a handler; True if it was registered."""
        if obj is not None:
            return obj._handlers is not None and _remove(obj._handlers, event_type, handler)
        if event_type == "*":
            before = self._wildcard
            self._wildcard = tuple(h for h in before if h.cb is not handler and h.cb != handler)
            return len(before) != len(self._wildcard)
        removed = _remove(self._handlers, event_type, handler)
        self._routes = {}
        return removed

    def _all_handlers(self) -> list[_Handler]:
        found = [h for hs in self._handlers.values() for h in hs]
        found.extend(self._wildcard)
        for objects in (self.channels, self.playbacks, self.bridges, self.recordings):
            for o in list(objects.values()):
                if o._handlers:
                    found.extend(h for hs in o._handlers.values() for h in hs)
        return found

    def _loop_for_tasks(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return self.loop

    def pending_handler_tasks(self) -> int:
        """How many async handler queues are being drained right now."""
        return sum(1 for h in self._all_handlers() if h.task is not None)

    # ------------------------------------------------------------------ waiters and streams

    async def wait_for(
        self,
        event_type: str | Iterable[str] | None,
        predicate: Predicate | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the public wait_for contract takes a timeout
        obj: Any = None,
    ) -> Event:
        """The next event of that type (``"*"`` or None: any) for which ``predicate(event)`` is true.

        Runs on the core's loop. Raises :class:`AriTimeoutError` after ``timeout`` seconds,
        ``ApplicationReplaced`` or ``SessionClosed`` if the session stops first; an exception raised by
        ``predicate`` is raised here.
        """
        self._check_open()
        types = _types(event_type)
        future: asyncio.Future[Event] = self._loop_for_tasks().create_future()
        waiter = _Waiter(types, predicate, obj, future)
        self._waiters.append(waiter)
        try:
            if timeout is None:
                return await future
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError:
                what = "any event" if types is None else " or ".join(sorted(types))
                raise AriTimeoutError(f"no {what} arrived within {timeout} s") from None
        finally:
            try:
                self._waiters.remove(waiter)
            except ValueError:
                pass

    def _check_waiters(self, ev: Event) -> None:
        etype = ev.type
        for w in self._waiters:
            if w.future.done() or (w.types is not None and etype not in w.types):
                continue
            if w.obj is not None and not _names(ev, w.obj):
                continue
            if w.predicate is not None:
                try:
                    if not w.predicate(ev):
                        continue
                except Exception as exc:
                    w.future.set_exception(exc)
                    continue
            w.future.set_result(ev)

    def events(self, event_types: Iterable[str] = (), obj: Any = None) -> EventStream:
        """An :class:`EventStream` of these types (all if empty), registered now."""
        self._check_open()
        types = frozenset(event_types)
        return EventStream(self, None if not types or "*" in types else types, obj)

    # Streams are added from any thread and pruned on the loop: a lock keeps one rebuild from losing another.
    def _add_stream(self, stream: EventStream) -> None:
        with self._streams_lock:
            self._streams = (*self._streams, weakref.ref(stream))

    def _remove_stream(self, stream: EventStream) -> None:
        with self._streams_lock:
            self._streams = tuple(r for r in self._streams if r() is not None and r() is not stream)

    def _push_streams(self, ev: Event) -> None:
        dead = False
        for ref in self._streams:
            stream = ref()
            if stream is None:
                dead = True
            else:
                stream._push(ev)
        if dead:  # a stream nobody holds any more (the loop that used it ended with `break`)
            with self._streams_lock:
                self._streams = tuple(r for r in self._streams if r() is not None)

    def _check_open(self) -> None:
        if self.replaced:
            raise ApplicationReplaced("this session's ARI application was registered by another connection")
        if self.closed:
            raise SessionClosed("the session is closed")
        if self._events_gone is not None:
            # No event will ever come (the events WebSocket is gone for good): a new wait would hang.
            raise self._events_gone.with_traceback(None)

    def _fail_all(self, error: AriError) -> None:
        self._events_gone = error
        for w in list(self._waiters):
            if not w.future.done():
                w.future.set_exception(error)
        for pb in list(self.playbacks.values()):
            pb._fail_waiters(error)
        for ref in self._streams:
            stream = ref()
            if stream is not None:
                stream._end(error)
        self._streams = ()

    def close(self) -> None:
        """Stop: pending waiters get ``SessionClosed``, streams end, queued async handler work is dropped."""
        if self.closed:
            return
        self.closed = True
        for w in list(self._waiters):
            if not w.future.done():
                w.future.set_exception(SessionClosed("the session was closed while waiting"))
        for pb in list(self.playbacks.values()):
            pb._fail_waiters(SessionClosed("the session was closed while waiting for the playback"))
        for ref in self._streams:
            stream = ref()
            if stream is not None:
                stream._end()
        self._streams = ()
        for h in self._all_handlers():
            h.discard()

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
        return self.runner._io(
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
            task = self._loop_for_tasks().create_task(coro)
            return task  # type: ignore[return-value]  # awaitable like a Call; socket-free tests only
        return self.runner._run(coro, label)

    def expect(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        """Run a wait without blocking where it is made, even in a script (see ``AriSession.expect``)."""
        if self.runner is None:
            return self.run(coro, label)
        return self.runner._expect(coro, label)

    def __repr__(self) -> str:
        return (
            f"<SessionCore events={self.events_received} channels={len(self.channels)} "
            f"playbacks={len(self.playbacks)} bridges={len(self.bridges)}>"
        )
