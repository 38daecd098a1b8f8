"""`Dispatch`: handlers, waits and event streams for one session (the asyncio part; no sockets, no state).

It is told about each event (``deliver``) and about lifecycle changes (it is the registry's listener), and it
only resolves or fails what people wait on; object state belongs to :mod:`arinb.client.registry`.

Dispatch order for one event: handlers for its type, then handlers registered on the objects it names
(channel, playback, bridge, recording; each by type then ``"*"``), then the session's ``"*"`` handlers.
Sync handlers run inline in arrival order; each async handler has its own ordered queue, drained by one task
that exists only while the queue is non-empty, so a slow async handler delays nobody but itself.

Notebook-proof registration: registering a module-level function again under the same module and qualified
name (a re-run cell defines a new function object) replaces the one registered before instead of adding a
second; ``handlers()`` lists what is registered. Waits on an object look back at its recent events::

    d = Dispatch()
    d.on("StasisStart", print)
    d.handlers()        # [Registered(event_type='StasisStart', name='builtins.print', on=None)]
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import types
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Final, NamedTuple

from arinb.client.events import Event
from arinb.errors import (
    ApplicationReplaced,
    AriError,
    AriTimeoutError,
    AriUsageError,
    ChannelGone,
    SessionClosed,
)

__all__ = ["Dispatch", "EventStream", "Handler", "Registered"]

log = logging.getLogger("arinb.client")

Handler = Callable[[Event], Any]
Predicate = Callable[[Event], bool]

#: How many recent events object waits look back at (``channel.wait_for`` made just after its event).
RECENT_EVENTS: Final = 256

_PLAIN_CALLABLES: Final = (types.FunctionType, types.BuiltinFunctionType, types.BuiltinMethodType)


def name_of(cb: Any) -> str:
    return getattr(cb, "__qualname__", None) or getattr(cb, "__name__", None) or repr(cb)


def _replace_key(cb: Any) -> tuple[str, str] | None:
    """The identity a re-run notebook cell keeps: module and qualified name of a module-level function.

    Lambdas, closures (``<locals>``) and bound methods have none: two of them with the same name are
    usually different handlers (one per loop iteration, one per object).
    """
    if type(cb) is not types.FunctionType:
        return None
    qualname = cb.__qualname__
    if "<" in qualname:
        return None
    return (cb.__module__ or "", qualname)


def is_async_callable(cb: Any) -> bool:
    """``async def`` functions, bound methods, partials of them, objects with an ``async def __call__``."""
    if type(cb) in _PLAIN_CALLABLES:  # the common case, checked cheaply
        return cb.__code__.co_flags & inspect.CO_COROUTINE != 0 if hasattr(cb, "__code__") else False
    if inspect.iscoroutinefunction(cb):
        return True
    call = getattr(type(cb), "__call__", None)  # noqa: B004 - an instance whose __call__ is async
    return call is not None and inspect.iscoroutinefunction(call)


class Registered(NamedTuple):
    """One entry of :meth:`Dispatch.handlers`: the event type, the handler's name, and the object it is
    registered on (a handle) or None for session-wide handlers."""

    event_type: str
    name: str
    on: Any


class _Handler:
    """One registered callback; async ones get an ordered queue drained by a short-lived task."""

    __slots__ = ("cb", "dispatch", "is_async", "key", "queue", "task")

    def __init__(self, cb: Handler, dispatch: Dispatch) -> None:
        self.cb = cb
        self.dispatch = dispatch
        self.key = _replace_key(cb)
        self.is_async = is_async_callable(cb)
        self.queue: deque[tuple[Awaitable[Any], str]] = deque()
        self.task: asyncio.Task[None] | None = None

    def push(self, awaitable: Awaitable[Any], etype: str) -> None:
        self.queue.append((awaitable, etype))
        if self.task is None:
            self.task = self.dispatch.task_loop().create_task(
                self._drain(), name=f"arinb-handler {name_of(self.cb)}"
            )

    async def _drain(self) -> None:
        queue = self.queue
        try:
            while queue:
                awaitable, etype = queue.popleft()
                try:
                    await awaitable
                except Exception:
                    log.exception("arinb: async handler %s failed on %s", name_of(self.cb), etype)
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

    def same(self, cb: Any) -> bool:
        return self.cb is cb or self.cb == cb


def run_handlers(handlers: tuple[_Handler, ...], ev: Event) -> None:
    for h in handlers:
        try:
            result = h.cb(ev)
        except Exception:
            log.exception("arinb: handler %s failed on %s", name_of(h.cb), ev.type)
            continue
        if h.is_async or (result is not None and inspect.isawaitable(result)):
            # An async handler's coroutine, or a sync callable that returned one: run it in order.
            h.push(result, ev.type)


_Registry = dict[str, tuple[_Handler, ...]]


def _add(registry: _Registry, etype: str, handler: _Handler) -> None:
    """Add, or replace a handler with the same module-level identity (a re-run notebook cell)."""
    old = registry.get(etype, ())
    if handler.key is not None:
        for i, h in enumerate(old):
            if h.key == handler.key or h.same(handler.cb):
                h.discard()
                registry[etype] = (*old[:i], handler, *old[i + 1 :])
                return
    elif any(h.same(handler.cb) for h in old):
        return  # the very same callable again: once is enough
    registry[etype] = (*old, handler)


def _remove(registry: _Registry, etype: str, cb: Handler) -> bool:
    old = registry.get(etype, ())
    key = _replace_key(cb)
    new = tuple(h for h in old if not (h.same(cb) or (key is not None and h.key == key)))
    if len(new) == len(old):
        return False
    if new:
        registry[etype] = new
    else:
        registry.pop(etype, None)
    return True


class _Waiter:
    __slots__ = ("future", "handle", "predicate", "record", "types")

    def __init__(
        self,
        types: frozenset[str] | None,
        predicate: Predicate | None,
        record: Any,
        future: asyncio.Future[Event],
    ) -> None:
        self.types = types
        self.predicate = predicate
        self.record = record
        self.handle = record.handle if record is not None else None
        self.future = future

    def matches(self, ev: Event) -> bool:
        """True if the event is for this wait (a predicate that raises fails the wait)."""
        if self.types is not None and ev.type not in self.types:
            return False
        if self.handle is not None and not names(ev, self.handle):
            return False
        if self.predicate is not None:
            try:
                return bool(self.predicate(ev))
            except Exception as exc:
                if not self.future.done():
                    self.future.set_exception(exc)
                return False
        return True


def as_types(event_type: str | Iterable[str] | None) -> frozenset[str] | None:
    if event_type is None or event_type == "*":
        return None
    if isinstance(event_type, str):
        return frozenset((event_type,))
    found = frozenset(event_type)
    return None if "*" in found else found


def names(ev: Event, handle: Any) -> bool:
    """True if the event names this handle."""
    return handle is ev.channel or handle is ev.playback or handle is ev.bridge or handle is ev.recording


def _set_none(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class EventStream:
    """An async iterator over events, registered when created (so nothing between creation and the first
    ``__anext__`` is missed). It ends when the session closes and raises ``ApplicationReplaced`` if the app is
    taken over. Iterate on any loop::

        async for ev in session.events("PlaybackFinished"):
            print(ev.playback.id)
            break
    """

    def __init__(self, dispatch: Dispatch, types: frozenset[str] | None, handle: Any = None) -> None:
        self._dispatch = dispatch
        self._types = types
        self._handle = handle
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._error: BaseException | None = None
        dispatch.add_stream(self)

    def push(self, ev: Event) -> None:
        """Queue an event if it is one this stream wants (called by the dispatch, on its loop)."""
        if self._types is not None and ev.type not in self._types:
            return
        handle = self._handle
        if handle is not None and not names(ev, handle):
            return
        self._queue.append(ev)
        self._wake()

    @property
    def handle(self) -> Any:
        return self._handle

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
            self._dispatch.remove_stream(self)

    def end(self, error: BaseException | None = None) -> None:
        """No more events: iteration ends after the queued ones (raising ``error`` if given)."""
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
        self._dispatch.remove_stream(self)
        self.end()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kinds = "*" if self._types is None else ",".join(sorted(self._types))
        return f"<EventStream {kinds} queued={len(self._queue)}{' ended' if self._ended else ''}>"


class Dispatch:
    """Handlers (by type, by object, ``"*"``), waits and streams; the registry's listener."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._handlers: _Registry = {}
        self._wildcard: tuple[_Handler, ...] = ()
        # Handlers on one object, keyed by its registry record (identity): a playback id can be reused.
        self._on_objects: dict[Any, _Registry] = {}
        self._waiters: list[_Waiter] = []
        self._playback_waits: dict[Any, list[tuple[str, asyncio.Future[Any]]]] = {}
        self._streams: tuple[weakref.ref[EventStream], ...] = ()
        self._streams_lock = threading.Lock()
        # Recent events naming an object, for object waits made just after their event, and which handles'
        # waits already took each one (by id(event); the event is kept in the value to rule out reused ids).
        self._recent: deque[Event] = deque(maxlen=RECENT_EVENTS)
        self._taken: dict[int, tuple[Event, set[int]]] = {}
        # Objects whose handle just sent a request (or a play): only their events go into the ring, so that
        # intake keeps no other event alive (record -> epoch seconds of the request).
        self._watched: dict[Any, float] = {}
        self.gone: AriError | None = None  # why no event will come any more (see fail_all)
        self.closed = False
        # Records forgotten while an event is being delivered: their handlers still get that event.
        self._delivering = False
        self._forget_after: list[Any] = []

    def task_loop(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return self.loop

    # ------------------------------------------------------------------ handlers

    def on(self, event_type: str, handler: Handler, record: Any = None) -> Handler:
        """Register ``handler`` for ``event_type`` (``"*"`` = every event), on one object's ``record`` or for
        the whole session. Returns the handler."""
        if not callable(handler):
            raise AriUsageError(f"handler must be callable, not {type(handler).__name__}")
        if not isinstance(event_type, str) or not event_type:
            raise AriUsageError("event type must be a non-empty string such as 'StasisStart' or '*'")
        h = _Handler(handler, self)
        if record is not None:
            registry = dict(self._on_objects.get(record) or {})
            _add(registry, event_type, h)
            self._on_objects[record] = registry
        elif event_type == "*":
            wildcard: _Registry = {"*": self._wildcard}
            _add(wildcard, "*", h)
            self._wildcard = wildcard["*"]
        else:
            registry = dict(self._handlers)  # copy-on-write: a feed on the loop sees one consistent dict
            _add(registry, event_type, h)
            self._handlers = registry
        return handler

    def off(self, event_type: str, handler: Handler, record: Any = None) -> bool:
        """Unregister a handler; True if it was registered."""
        if record is not None:
            current = self._on_objects.get(record)
            if not current:
                return False
            registry = dict(current)
            removed = _remove(registry, event_type, handler)
            self._on_objects[record] = registry
            return removed
        if event_type == "*":
            wildcard: _Registry = {"*": self._wildcard}
            removed = _remove(wildcard, "*", handler)
            self._wildcard = wildcard.get("*", ())
            return removed
        registry = dict(self._handlers)
        removed = _remove(registry, event_type, handler)
        self._handlers = registry
        return removed

    def handlers(self) -> list[Registered]:
        """What is registered, session-wide first (by type, then ``"*"``), then on objects."""
        out = [Registered(t, name_of(h.cb), None) for t, hs in self._handlers.items() for h in hs]
        out.extend(Registered("*", name_of(h.cb), None) for h in self._wildcard)
        for record, registry in list(self._on_objects.items()):
            out.extend(Registered(t, name_of(h.cb), record.handle) for t, hs in registry.items() for h in hs)
        return out

    def _all_handlers(self) -> list[_Handler]:
        found = [h for hs in self._handlers.values() for h in hs]
        found.extend(self._wildcard)
        for registry in list(self._on_objects.values()):
            found.extend(h for hs in registry.values() for h in hs)
        return found

    def pending_handler_tasks(self) -> int:
        """How many async handler queues are being drained right now."""
        return sum(1 for h in self._all_handlers() if h.task is not None)

    # ------------------------------------------------------------------ delivery (hot path)

    def deliver(
        self,
        ev: Event,
        ch: Any,
        pb: Any,
        br: Any,
        rec: Any,
        before: Callable[[Event, Any, Any, Any, Any], None] | None = None,
    ) -> None:
        """Run everything that wants this event; ``ch``..``rec`` are the registry records it names.

        ``before`` (the event's lifecycle rule) runs first; objects it makes the registry forget keep their
        handlers until this event has reached them (``pb.on("PlaybackFinished")`` must see it)."""
        self._delivering = True
        try:
            if before is not None:
                before(ev, ch, pb, br, rec)
            etype = ev.type
            watched = self._watched
            if watched and (ch in watched or pb in watched or br in watched or rec in watched):
                self._recent.append(ev)
            handlers = self._handlers.get(etype)
            if handlers:
                run_handlers(handlers, ev)
            on_objects = self._on_objects
            if on_objects:
                for record in (ch, pb, br, rec):
                    if record is not None:
                        registry = on_objects.get(record)
                        if registry:
                            if found := registry.get(etype):
                                run_handlers(found, ev)
                            if found := registry.get("*"):
                                run_handlers(found, ev)
            if self._wildcard:
                run_handlers(self._wildcard, ev)
            if self._waiters:
                for w in self._waiters:
                    if not w.future.done() and w.matches(ev):
                        if w.handle is not None:
                            self._take(ev, w.handle)
                        w.future.set_result(ev)
            if self._streams:
                self._push_streams(ev)
        finally:
            self._delivering = False
            if self._forget_after:
                forget, self._forget_after = self._forget_after, []
                for record in forget:
                    self._drop_object_handlers(record)

    # ------------------------------------------------------------------ lifecycle (the registry's listener)

    def playback_started(self, record: Any) -> None:
        self._resolve_playback(record, "started", record.handle)

    def playback_settled(self, record: Any) -> None:
        if record.error is not None and record.outcome in ("lost", "error"):
            for _, fut in self._playback_waits.pop(record, ()):
                if not fut.done():
                    fut.set_exception(record.error)
            return
        self._resolve_playback(record, "started", record.handle)
        self._resolve_playback(record, "finished", record.outcome)

    def _resolve_playback(self, record: Any, which: str, value: Any) -> None:
        waits = self._playback_waits.get(record)
        if not waits:
            return
        keep = []
        for kind, fut in waits:
            if kind == which:
                if not fut.done():
                    fut.set_result(value)
            else:
                keep.append((kind, fut))
        if keep:
            self._playback_waits[record] = keep
        else:
            del self._playback_waits[record]

    def object_gone(self, record: Any, error: AriError, field: str, ending: tuple[str, ...]) -> None:
        """The object ended while the events connection was down: end every wait that is about it (waits on
        the object, and session waits for one of the ``ending`` types whose predicate accepts it)."""
        handle = record.handle
        synthetic = Event(
            {"type": ending[0], field: record.json, "synthetic": True},
            0.0,
            None,
            type=ending[0],
            **{field: handle},
        )
        endings = frozenset(ending)
        for w in list(self._waiters):
            if w.future.done():
                continue
            if w.handle is not None:
                if w.handle is handle:
                    w.future.set_exception(error)
                continue
            if w.types is not None and not w.types & endings:
                continue
            if w.predicate is not None:
                try:
                    if not w.predicate(synthetic):
                        continue
                except Exception:
                    continue
            w.future.set_exception(error)
        for ref in self._streams:
            stream = ref()
            if stream is not None and stream.handle is handle:
                stream.end(error)

    def forgotten(self, record: Any) -> None:
        """The registry let go of this object: so do its per-object handlers (after the event that ended
        it was delivered to them, when that is what ended it)."""
        if record not in self._on_objects:
            return
        if self._delivering:
            self._forget_after.append(record)
        else:
            self._drop_object_handlers(record)

    def _drop_object_handlers(self, record: Any) -> None:
        if record in self._on_objects:
            for h in [h for hs in self._on_objects[record].values() for h in hs]:
                if not h.queue:
                    h.discard()
            del self._on_objects[record]

    # ------------------------------------------------------------------ waits

    def wait_for(
        self,
        event_type: str | Iterable[str] | None,
        predicate: Predicate | None = None,
        timeout: float | None = None,
        record: Any = None,
        since: float | None = None,
        hint: str = "",
    ) -> Coroutine[Any, Any, Event]:
        """A coroutine giving the next event of that type (``"*"`` or None: any) for which
        ``predicate(event)`` is true; run it on the dispatch's loop.

        The wait is registered here, in the caller's thread, so an event that reaches the loop before the
        coroutine first runs there is not missed (``up = session.wait_for(...); act; await up``). With
        ``record`` (an object wait) and ``since`` (epoch seconds) it looks back instead: an event naming the
        object that arrived at or after ``since`` and that no earlier wait on the object took is returned at
        once. Raises :class:`AriTimeoutError` after ``timeout``.
        """
        kinds = as_types(event_type)
        early = None
        if (
            (record is None or since is None)
            and self.loop is not None
            and not self.closed
            and self.gone is None
        ):
            early = _Waiter(kinds, predicate, record, self.loop.create_future())
            self._waiters.append(early)  # one atomic append: the loop may be iterating the list right now
        return self._wait(kinds, predicate, timeout, record, since, hint, early)

    async def _wait(
        self,
        kinds: frozenset[str] | None,
        predicate: Predicate | None,
        limit: float | None,
        record: Any,
        since: float | None,
        hint: str,
        waiter: _Waiter | None,
    ) -> Event:
        try:
            if waiter is None or not waiter.future.done():
                self.check_open()
            if waiter is None:
                waiter = _Waiter(kinds, predicate, record, self.task_loop().create_future())
                if record is not None and since is not None:
                    key = id(waiter.handle)
                    for ev in self._recent:
                        if ev.received_at >= since and not self._was_taken(ev, key) and waiter.matches(ev):
                            self._take(ev, waiter.handle)
                            return ev
                    if waiter.future.done():  # the predicate raised
                        return waiter.future.result()
                gone = getattr(record, "gone", None)
                if gone and not getattr(record, "in_stasis", False):
                    raise ChannelGone(gone)  # nothing will come for it any more: say so now, not never
                self._waiters.append(waiter)
            future = waiter.future
            if limit is None:
                return await future
            try:
                return await asyncio.wait_for(future, limit)
            except TimeoutError:
                what = "any event" if kinds is None else " or ".join(sorted(kinds))
                raise AriTimeoutError(f"no {what} arrived within {limit} s{hint}") from None
        finally:
            if waiter is not None:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass
                if waiter.future.done() and not waiter.future.cancelled():
                    waiter.future.exception()  # retrieved: raised above, or the wait ended otherwise

    def watch(self, record: Any, since: float) -> None:
        """The object's handle sent a request at ``since``: keep its events for look-back for a while."""
        watched = self._watched
        watched[record] = since
        if len(watched) > RECENT_EVENTS:  # forget the oldest requests (their events left the ring anyway)
            for old in sorted(watched, key=watched.__getitem__)[: len(watched) - RECENT_EVENTS // 2]:
                del watched[old]

    def _take(self, ev: Event, handle: Any) -> None:
        """Remember that a wait on ``handle`` got ``ev`` (so a look-back never gives it twice)."""
        taken = self._taken
        entry = taken.get(id(ev))
        if entry is None or entry[0] is not ev:
            entry = taken[id(ev)] = (ev, set())
        entry[1].add(id(handle))
        if len(taken) > 2 * RECENT_EVENTS:  # forget events that left the ring
            alive = {id(e) for e in self._recent}
            self._taken = {k: v for k, v in taken.items() if k in alive}

    def _was_taken(self, ev: Event, key: int) -> bool:
        entry = self._taken.get(id(ev))
        return entry is not None and entry[0] is ev and key in entry[1]

    def pending_waits(self) -> int:
        """How many waits (``wait_for``, ``finished``, ``started``) are pending."""
        return sum(1 for w in self._waiters if not w.future.done()) + sum(
            len(v) for v in self._playback_waits.values()
        )

    async def wait_playback(self, record: Any, which: str, limit: float | None) -> Any:
        """``which`` = ``started`` (gives the handle) or ``finished`` (gives the outcome)."""
        if record.error is not None:
            raise record.error
        if record.outcome is not None:
            return record.outcome if which == "finished" else record.handle
        if which == "started" and record.started:
            return record.handle
        self.check_open()
        fut: asyncio.Future[Any] = self.task_loop().create_future()
        self._playback_waits.setdefault(record, []).append((which, fut))
        try:
            if limit is None:
                return await fut
            try:
                return await asyncio.wait_for(asyncio.shield(fut), limit)
            except TimeoutError:
                raise AriTimeoutError(f"playback {record.id} did not {which[:-2]} within {limit} s") from None
        finally:
            waits = self._playback_waits.get(record)
            if waits is not None:
                waits[:] = [(k, f) for k, f in waits if f is not fut]
                if not waits:
                    del self._playback_waits[record]

    # ------------------------------------------------------------------ streams

    def events(self, event_types: Iterable[str] = (), handle: Any = None) -> EventStream:
        """An :class:`EventStream` of these types (all if empty), registered now."""
        self.check_open()
        kinds = frozenset(event_types)
        return EventStream(self, None if not kinds or "*" in kinds else kinds, handle)

    # Streams are added from any thread and pruned on the loop: a lock keeps one rebuild from losing another.
    def add_stream(self, stream: EventStream) -> None:
        with self._streams_lock:
            self._streams = (*self._streams, weakref.ref(stream))

    def remove_stream(self, stream: EventStream) -> None:
        with self._streams_lock:
            self._streams = tuple(r for r in self._streams if r() is not None and r() is not stream)

    def stream_count(self) -> int:
        return sum(1 for r in self._streams if r() is not None)

    def _push_streams(self, ev: Event) -> None:
        dead = False
        for ref in self._streams:
            stream = ref()
            if stream is None:
                dead = True
            else:
                stream.push(ev)
        if dead:  # a stream nobody holds any more (the loop that used it ended with `break`)
            with self._streams_lock:
                self._streams = tuple(r for r in self._streams if r() is not None)

    # ------------------------------------------------------------------ ending

    def check_open(self) -> None:
        if isinstance(self.gone, ApplicationReplaced):
            raise self.gone.with_traceback(None)
        if self.closed:
            raise SessionClosed("the session is closed")
        if self.gone is not None:
            # No event will ever come (the events WebSocket is gone for good, or replaced): a wait would hang.
            raise self.gone.with_traceback(None)

    def fail_all(self, error: AriError) -> None:
        """No event will come any more: every wait and stream ends with ``error``; new ones fail at once."""
        self.gone = error
        self._end_all(error, error)

    def close(self) -> None:
        """Pending waits get ``SessionClosed``, streams end, queued async handler work is dropped."""
        if self.closed:
            return
        self.closed = True
        self._end_all(SessionClosed("the session was closed while waiting"), None)
        for h in self._all_handlers():
            h.discard()

    def _end_all(self, error: AriError, stream_error: AriError | None) -> None:
        for w in list(self._waiters):
            if not w.future.done():
                w.future.set_exception(error)
        waits, self._playback_waits = self._playback_waits, {}
        for pending in waits.values():
            for _, fut in pending:
                if not fut.done():
                    fut.set_exception(error)
        for ref in self._streams:
            stream = ref()
            if stream is not None:
                stream.end(stream_error)
        self._streams = ()
