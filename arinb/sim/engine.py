"""The simulator's kernel: a simulated Asterisk 22.10.1 behind ARI, socket-free.

:class:`SimEngine` owns the shared state (clock, channels, the event bus) and the few services every
feature needs (:class:`~arinb.sim.services.Services`); the ARI operations live in feature modules that
receive those services: :mod:`~arinb.sim.channels` (channel operations, hangup, Stasis),
:mod:`~arinb.sim.originate` (originate, create, simulated phones), :mod:`~arinb.sim.pbx` (the dialplan
runner), :mod:`~arinb.sim.variables`, :mod:`~arinb.sim.snoop`, :mod:`~arinb.sim.playbacks`,
:mod:`~arinb.sim.recordings`, :mod:`~arinb.sim.bridges` and :mod:`~arinb.sim.system` (asterisk, sounds,
applications, endpoints, device states, user events). Each answers the way the real server did in the
captures (``shared/ari/README.md`` and ``MORE.md``): same events in the same order, same fields and key
order, same statuses and messages, same timing on the simulated :class:`~arinb.sim.clock.Clock`.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> async def demo() -> list[str]:
...     engine = SimEngine(clock=Clock.manual(start=1795695288.0))
...     frames = []
...     engine.connect_app(["channel-tones"], send=frames.append)
...     reply = await engine.handle("channels.originate", query={
...         "endpoint": "Local/1000@default", "context": "default", "extension": "wait"})
...     engine.clock.advance(0.01)
...     return [reply.status, reply.body["name"], frames[0][:23]]
>>> asyncio.run(demo())
[200, 'Local/1000@default-00000000;1', '{"type":"StasisStart","']

The server calls :meth:`SimEngine.handle` with Asterisk's operation key (``"channels.playWithId"``) and gets a
:class:`Reply`; WebSockets attach with :meth:`SimEngine.connect_app`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from arinb.media_log import MediaSegment
from arinb.sim.absent import Absent
from arinb.sim.apps import AppConnection, EventBus
from arinb.sim.bridgerec import BridgeRecording
from arinb.sim.bridges import Bridges
from arinb.sim.bridgevars import BridgeVariables
from arinb.sim.broadcast import Broadcast
from arinb.sim.catalog import SoundLibrary
from arinb.sim.channels import DTMF_OK, Lifecycle
from arinb.sim.clock import Clock
from arinb.sim.dialplan import Dialplan
from arinb.sim.extmedia import ExternalMedia
from arinb.sim.faults import Faults
from arinb.sim.mailboxes import Mailboxes
from arinb.sim.modules import Modules
from arinb.sim.moh import MusicOnHold
from arinb.sim.objects import Channel, ChannelKind, Command, ControlQueue
from arinb.sim.originate import PHONE_ANSWER_AFTER, Originate
from arinb.sim.pbx import Pbx
from arinb.sim.playbacks import Playbacks
from arinb.sim.protocol import REPLY_GATE, Handler, Reply, ReplyGate, Request, error
from arinb.sim.recordings import Recordings
from arinb.sim.redirect import Redirect
from arinb.sim.snoop import Snoop
from arinb.sim.system import ASTERISK_VERSION, System
from arinb.sim.variables import Variables

if TYPE_CHECKING:
    from arinb.media_log import MediaSegment

__all__ = ["ASTERISK_VERSION", "Reply", "Request", "SimEngine", "error"]

log = logging.getLogger("arinb.sim")

#: Simulated delay of what happens "right after the reply" (see :meth:`SimEngine.soon`): none, the real
#: server did it within the same millisecond, and a recording then starts exactly at the request's time.
REACTION = 0.0
#: Work "right after the reply" waits this much wall time after the reply is written (the client reads it).
AFTER_REPLY_WALL = 0.005
_INVALID_STATES = ("Down", "Rsrvd", "Ringing")


class SimEngine:
    """A simulated Asterisk behind ARI (see the module docstring).

    ``clock`` (default: real time), ``dialplan`` (default: :meth:`Dialplan.default`), ``sounds`` (default:
    Debian's sound folder when present, else the built-in catalog).
    """

    def __init__(
        self,
        clock: Clock | None = None,
        dialplan: Dialplan | str | None = None,
        sounds: SoundLibrary | str | os.PathLike[str] | None = None,
        asterisk_id: str = "02:fc:00:00:00:01",
    ) -> None:
        self.clock = clock if clock is not None else Clock()
        if isinstance(dialplan, str):
            dialplan = Dialplan.parse(dialplan)  # extensions.conf text
        self.dialplan = dialplan if dialplan is not None else Dialplan.default()
        if sounds is not None and not isinstance(sounds, SoundLibrary):
            sounds = SoundLibrary([sounds])  # a sound folder, searched before the system one
        self.sounds = sounds if sounds is not None else SoundLibrary()
        self.asterisk_id = asterisk_id
        self.startup_time = self.clock.now()
        self.bus = EventBus(self)
        self.channels: dict[str, Channel] = {}
        self._media_logs: dict[str, list[MediaSegment]] = {}
        self._uid_seq = 0
        self._unreal_seq = 0
        self._tech_seq: dict[str, int] = {}
        self._soon: deque[tuple[float, Callable[..., Any], tuple[Any, ...], ReplyGate | None]] = deque()
        # The wall-clock trigger of pending soon() work: one loop timer, kept armed across requests (a
        # busy server would otherwise schedule one per request), see soon().
        self._soon_timer: asyncio.TimerHandle | None = None
        self._soon_loop: asyncio.AbstractEventLoop | None = None
        self._soon_due = 0.0  # loop time at which the oldest pending work runs at the latest
        self._soon_context: contextvars.Context | None = None  # the context that work was set off in
        # The features, each given this kernel as its Services.
        self.lifecycle = Lifecycle(self)
        self.originator = Originate(self)
        self.pbx = Pbx(self)
        self.variables = Variables(self)
        self.snoop = Snoop(self)
        self.system = System(self)
        self.playbacks = Playbacks(self)
        self.bridges = Bridges(self)
        self.recordings = Recordings(self)
        self.external_media = ExternalMedia(self)
        self.moh = MusicOnHold(self)
        self.bridge_recording = BridgeRecording(self)
        self.bridge_variables = BridgeVariables(self)
        self.mailboxes = Mailboxes(self)
        self.absent = Absent(self)
        self.modules = Modules(self)
        self.redirect = Redirect(self)
        self.broadcast = Broadcast(self)
        self.faults = Faults(self)
        # Who hears of each segment logged (an externalMedia socket starts its frames, channel MOH stops).
        self._segment_listeners: tuple[Callable[[str, MediaSegment], None], ...] = (
            self.external_media.segment_logged,
            self.moh.segment_logged,
        )
        self._ops: dict[str, Handler] = {}
        for feature in (
            self.lifecycle,
            self.originator,
            self.variables,
            self.snoop,
            self.system,
            self.playbacks,
            self.bridges,
            self.recordings,
            self.external_media,
            self.moh,
            self.bridge_recording,
            self.bridge_variables,
            self.mailboxes,
            self.absent,
            self.modules,
            self.redirect,
            self.broadcast,
        ):
            self.add_operations(feature.ops())

    # ==================================================================================================
    # public API
    # ==================================================================================================
    def add_operations(self, ops: dict[str, Handler]) -> None:
        """Register a feature's operation handlers (a later registration of a key replaces the earlier)."""
        self._ops.update(ops)

    async def handle(
        self,
        op: str,
        path_params: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        body: Any = None,
    ) -> Reply:
        """Answer one ARI operation (``"channels.play"``...). Unknown operation key: :class:`KeyError`.

        Most operations answer at once; ``answer`` and ``setChannelVar`` wait behind the channel's current
        playback (as Asterisk does), so the reply then comes late.
        """
        result = self.start(op, path_params, query, body)
        if not isinstance(result, Reply):  # a queued operation: its reply comes when its turn ran
            result = await result
        return result

    def start(
        self,
        op: str,
        path_params: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        body: Any = None,
    ) -> Reply | Awaitable[Reply]:
        """:meth:`handle` without a coroutine when the answer is at hand: the :class:`Reply`, or an awaitable
        of it (a queued operation, or a fault rule that may delay). The server's hot path.

        >>> from arinb.sim.clock import Clock
        >>> SimEngine(clock=Clock.manual(start=0.0)).start("asterisk.ping").status
        200
        """
        handler = self._ops[op]
        if self.faults.rules:
            return self._handle_with_faults(handler, op, path_params, query, body)
        self._flush_soon(everything=True)  # what earlier requests set off happens before this one is handled
        return handler(Request(op, dict(path_params or {}), dict(query or {}), body))

    async def _handle_with_faults(
        self,
        handler: Handler,
        op: str,
        path_params: dict[str, str] | None,
        query: dict[str, str] | None,
        body: Any,
    ) -> Reply:
        self._flush_soon(everything=True)
        req = Request(op, dict(path_params or {}), dict(query or {}), body)
        fault = await self.faults.before(req)
        if fault is not None:
            return fault
        result = handler(req)
        if not isinstance(result, Reply):
            result = await result
        return result

    def operations(self) -> list[str]:
        """Every operation key the engine answers."""
        return sorted(self._ops)

    def connect_app(
        self,
        apps: Iterable[str],
        subscribe_all: bool = False,
        send: Callable[[str], Any] | None = None,
        on_drop: Callable[[], Any] | None = None,
    ) -> AppConnection:
        """Attach an events WebSocket holding ``apps``; ``send(text)`` gets each frame, in order."""
        return self.bus.connect(list(apps), subscribe_all, send or (lambda _text: None), on_drop)

    async def call_in(
        self,
        exten: str,
        caller: str | None = "alice",
        *,
        context: str = "default",
        caller_name: str | None = None,
        channel_id: str | None = None,
    ) -> str:
        """An inbound call: a ``PJSIP/<caller>-0000000N`` channel in Ring entering the dialplan at ``exten``.

        Returns the new channel's id. Its events follow at once (``StasisStart`` when the dialplan sends it
        to an app).
        """
        return self.originator.call_in(
            exten, caller, context=context, caller_name=caller_name, channel_id=channel_id
        )

    def media_log(self, channel_id: str) -> list[MediaSegment]:
        """What the channel sent to its caller, as time segments (kept after the channel is gone)."""
        return list(self._media_logs.get(channel_id, []))

    def caller_dtmf(self, channel_id: str, digits: str, duration_ms: int = 100, gap_ms: int = 100) -> None:
        """The caller presses keys: ``ChannelDtmfReceived`` on the channel, one per digit, over time."""
        ch = self.channels.get(channel_id)
        if ch is None:
            raise KeyError(channel_id)
        valid = [d for d in digits if d in DTMF_OK]
        for k, digit in enumerate(valid):
            at = (k * (duration_ms + gap_ms) + duration_ms) / 1000.0
            self.later(ch, at, self.lifecycle.dtmf_event, ch, digit, duration_ms)

    def remote_hangup(self, channel_id: str, cause: int = 16) -> None:
        """The far end hangs up the channel (``ChannelHangupRequest`` with ``cause``, no ``soft``)."""
        ch = self.channels.get(channel_id)
        if ch is not None and not ch.hungup:
            self.lifecycle.hangup(ch, cause=cause, soft=None)

    def seed_counters(
        self, *, uid: int | None = None, unreal: int | None = None, tech: dict[str, int] | None = None
    ) -> None:
        """Start the id and name counters where a real server had them (replaying a capture).

        ``uid``: the next unique id's sequence; ``unreal``: the next Local/Announcer number; ``tech``: the
        next number per technology (``{"Snoop": 11}``).

        >>> from arinb.sim.clock import Clock
        >>> engine = SimEngine(clock=Clock.manual(start=0.0))
        >>> engine.seed_counters(uid=7, tech={"Snoop": 11})
        >>> engine.new_uid(), engine.next_tech("Snoop")
        ('0.7', 11)
        """
        if uid is not None:
            self._uid_seq = uid
        if unreal is not None:
            self._unreal_seq = unreal
        self._tech_seq.update(tech or {})

    def set_phone(self, name: str, *, answer_after: float | None = PHONE_ANSWER_AFTER) -> None:
        """How the simulated phone ``PJSIP/<name>`` answers a call arinb originates to it.

        ``answer_after``: simulated seconds of ringing before it picks up; None: it never answers (the
        originate's ``timeout`` then ends the call with Dial NOANSWER).
        """
        self.originator.set_phone(name, answer_after=answer_after)

    # ==================================================================================================
    # services (arinb.sim.services.Services)
    # ==================================================================================================
    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.clock.now()

    def new_uid(self) -> str:
        """Asterisk's unique id: ``<epoch seconds>.<sequence>`` (the sequence counts every channel)."""
        uid = f"{int(self.clock.now())}.{self._uid_seq}"
        self._uid_seq += 1
        return uid

    def next_unreal(self) -> int:
        """The counter shared by Local and Announcer channel names (``-0000009f``)."""
        n = self._unreal_seq
        self._unreal_seq += 1
        return n

    def next_tech(self, tech: str) -> int:
        """The per-technology name counter (``PJSIP/alice-00000003``, ``Snoop/<id>-00000001``)."""
        n = self._tech_seq.get(tech, 0)
        self._tech_seq[tech] = n + 1
        return n

    def new_channel(
        self,
        name: str,
        state: str,
        kind: ChannelKind,
        *,
        channel_id: str | None = None,
        context: str = "default",
        exten: str = "",
        priority: int = 1,
    ) -> Channel:
        """A new channel, registered by id (announcers are not listed); no event is sent."""
        uid = self.new_uid()
        ch = Channel(
            id=channel_id or uid,
            name=name,
            state=state,
            created=self.clock.now(),
            kind=kind,
            context=context,
            exten=exten,
            priority=priority,
        )
        if kind != "announcer":
            self.channels[ch.id] = ch
        self._media_logs.setdefault(ch.id, [])
        return ch

    def log_segment(self, channel_id: str, segment: MediaSegment) -> MediaSegment:
        """Append to a channel's media log."""
        self._media_logs.setdefault(channel_id, []).append(segment)
        for listener in self._segment_listeners:
            listener(channel_id, segment)
        return segment

    def drop_segment(self, segment: MediaSegment) -> None:
        """Remove a segment that never played from its channel's media log."""
        media = self._media_logs.get(segment.channel_id)
        if media is not None:
            for k in range(len(media) - 1, -1, -1):  # it is nearly always one of the last
                if media[k] is segment:
                    del media[k]
                    return

    def emit(self, type_: str, fields: dict[str, Any], **kw: Any) -> int:
        """Deliver an event (see :meth:`EventBus.emit`)."""
        return self.bus.emit(type_, fields, **kw)

    def emit_channel(
        self,
        type_: str,
        ch: Channel,
        fields: dict[str, Any] | None = None,
        *,
        pre: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        only_app: str | None = None,
    ) -> None:
        """Deliver an event about one channel; the snapshot is built only when somebody listens."""
        eps = [ch.name.rsplit("-", 1)[0]] if ch.kind == "pjsip" else []
        channels = (ch.id,)
        targets = self.bus.targets(type_, channels=channels, endpoints=eps, only_app=only_app)
        if not targets:
            return  # nobody listens: skip building the snapshot (the hot path of a busy simulator)
        body: dict[str, Any] = dict(fields) if fields else {}
        body["channel"] = ch.to_json()
        if after:
            body.update(after)
        self.bus.emit(type_, body, pre=pre, targets=targets)

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        """Set a channel variable and send ChannelVarset."""
        ch.vars[name] = value
        self.variables.varset(ch, name, value)

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` just after the current request has been answered.

        What Asterisk does on another thread (the other Local half reacting, the control thread picking a
        play up) comes right after the reply, :data:`REACTION` later in simulated time. Pending work runs,
        in order, at whichever comes first: the next request (before it is handled), or a clock tick with a
        manual clock (:meth:`Clock.advance`), or, with a running clock, a few wall milliseconds
        (:data:`AFTER_REPLY_WALL`) later; but never before the server has written the reply of the HTTP
        request that set it off (:class:`~arinb.sim.protocol.ReplyGate`: on a loaded machine that write may
        take longer than the milliseconds), and then those milliseconds after it. Its events still carry the
        simulated time they belong to.
        """
        gate = REPLY_GATE.get()
        if gate is not None and gate.open:
            gate = None
        self._soon.append((self.clock.now() + REACTION, fn, args, gate))
        if gate is not None:
            gate.when_open(self._flush_soon_after_reply)
        if len(self._soon) > 1:
            return  # the triggers are already set for the earlier pending work
        if self.clock.is_manual:
            # The next tick runs it, and so does the loop a moment after the reply: a client that waits for
            # what Asterisk does at once (a snoop entering the app) must not need someone to move the clock.
            self.clock.call_later(REACTION, self._flush_soon)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.clock.call_later(REACTION, self._flush_soon)  # no loop here: a clock timer
            return
        self._soon_due = loop.time() + AFTER_REPLY_WALL
        if self._soon_timer is not None and self._soon_loop is loop:
            # A trigger armed for earlier work (since run by a request) is still pending: it fires first and
            # re-arms for this work's due time, in this work's context (as a timer armed here would run).
            self._soon_context = contextvars.copy_context()
            return
        self._soon_loop = loop
        self._soon_context = None
        self._soon_timer = loop.call_at(self._soon_due, self._soon_wall_trigger)

    def _soon_wall_trigger(self) -> None:
        self._soon_timer = None
        if not self._soon:
            return
        loop = self._soon_loop
        if loop is not None and self._soon_due > loop.time():
            context = self._soon_context
            self._soon_context = None
            self._soon_timer = loop.call_at(self._soon_due, self._soon_wall_trigger, context=context)
            return
        context, self._soon_context = self._soon_context, None
        if context is not None:
            context.run(self._flush_soon)  # late: as the work's own trigger would have run it
        else:
            self._flush_soon()

    def _flush_soon_after_reply(self) -> None:
        # The wall delay counts from the reply's write: the client reads the reply before those events.
        try:
            asyncio.get_running_loop().call_later(AFTER_REPLY_WALL, self._flush_soon)
        except RuntimeError:
            self._flush_soon()

    def _flush_soon(self, *, everything: bool = False) -> None:
        """Run the pending work, in order, up to work whose request's reply is not written yet.

        ``everything``: that too (a new request is about to be handled: what came before happens first).
        """
        run_frozen = self.clock.run_frozen
        while self._soon:
            due, fn, args, gate = self._soon[0]
            if gate is not None and not gate.open and not everything:
                return  # the gate runs the rest when it opens
            self._soon.popleft()
            try:
                run_frozen(min(due, self.clock.now()), fn, *args)
            except Exception:  # one bad callback must not stop the simulated world
                log.exception("simulator callback failed")

    def later(self, ch: Channel, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` ``delay`` simulated seconds from now; cancelled when ``ch`` hangs up."""
        handle = self.clock.call_later(delay, fn, *args)
        ch.timers.append(handle)
        if len(ch.timers) > 32:
            ch.timers = [h for h in ch.timers if not h.cancelled]

    def new_queue(self) -> ControlQueue:
        """A control queue whose deferred pumps run just after the reply (or on the clock)."""
        return ControlQueue(self._queue_schedule)

    def queue_of(self, ch: Channel) -> ControlQueue:
        """The channel's control queue."""
        if ch.queue is None:
            ch.queue = self.new_queue()
        return ch.queue

    def _queue_schedule(self, delay: float, fn: Callable[[], None]) -> None:
        if delay <= 0:
            self.soon(fn)
        else:
            self.clock.call_later(delay, fn)

    async def run_queued(self, ch: Channel, name: str, action: Callable[[], Reply]) -> Reply:
        """Run ``action`` in the channel's control queue and answer when it ran (404 if hung up first)."""
        queue = self.queue_of(ch)
        if queue.idle:
            box: list[Reply] = []

            def run_now(done: Callable[[], None]) -> None:
                box.append(action())
                done()

            queue.submit(Command(name, run_now))
            return box[0] if box else error(404, "Channel not found")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Reply] = loop.create_future()
        gate = REPLY_GATE.get()  # what the action sets off waits for this request's reply

        def run(done: Callable[[], None]) -> None:
            token = REPLY_GATE.set(gate)
            try:
                reply = action()
            except Exception as exc:  # the queue must go on
                log.exception("queued %s failed", name)
                reply = error(500, f"{name} failed: {exc}")
            finally:
                REPLY_GATE.reset(token)
            if not fut.done():
                fut.set_result(reply)
            done()

        def cancel() -> None:
            if not fut.done():
                fut.set_result(error(404, "Channel not found"))

        queue.submit(Command(name, run, cancel))
        return await fut

    def find_control(self, channel_id: str | None) -> Channel | Reply:
        """The channel if it is in Stasis, else Asterisk's 404 / 409 reply."""
        ch = self.channels.get(channel_id or "")
        if ch is None:
            return error(404, "Channel not found")
        if ch.stasis_app is None:
            return error(409, "Channel not in Stasis application")
        return ch

    @staticmethod
    def state_invalid(ch: Channel) -> Reply | None:
        """412 for a channel in Down, Rsrvd or Ringing (Asterisk's ``channel_state_invalid``)."""
        if ch.state in _INVALID_STATES:
            return error(412, "Channel in invalid state")
        return None

    def checked(self, req: Request) -> Channel | Reply:
        """The request's channel, in Stasis and in a state that allows media operations."""
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        bad = self.state_invalid(ch)
        return bad if bad is not None else ch

    # -- kept for callers written against the old engine ------------------------------------------------
    def indicate_progress(self, ch: Channel) -> None:
        """Early media on ``ch`` (see :meth:`Lifecycle.indicate_progress`)."""
        self.lifecycle.indicate_progress(ch)

    def answer_channel(self, ch: Channel) -> None:
        """Answer ``ch`` (see :meth:`Lifecycle.answer_channel`)."""
        self.lifecycle.answer_channel(ch)
