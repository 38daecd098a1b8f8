"""The simulator's socket-free core: a simulated Asterisk 22.10.1 behind ARI.

:class:`SimEngine` holds channels, Local pairs, the dialplan, playbacks, bridges, recordings and the Stasis
applications, and answers every ARI operation the way the real server did in the captures
(``shared/ari/README.md`` and ``MORE.md``): same events in the same order, same fields and key order, same
statuses and messages, same timing on the simulated :class:`~arinb.sim.clock.Clock`.

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
import inspect
import logging
import os
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from arinb.audio.segments import MediaSegment
from arinb.models import format_timestamp
from arinb.sim.apps import AppConnection, EventBus
from arinb.sim.catalog import SoundLibrary
from arinb.sim.clock import Clock
from arinb.sim.dialplan import Dialplan
from arinb.sim.objects import Channel, Command, ControlQueue

__all__ = ["ASTERISK_VERSION", "Reply", "Request", "SimEngine", "error"]

log = logging.getLogger("arinb.sim")

ASTERISK_VERSION = "22.10.1"

#: After Answer() on a channel that was not up, Asterisk waits up to 500 ms for media before going on.
ANSWER_MEDIA_WAIT = 0.5
#: Simulated delay of what happens "right after the reply" (see :meth:`SimEngine.soon`): none, the real
#: server did it within the same millisecond, and a recording then starts exactly at the request's time.
REACTION = 0.0
#: With a running clock, work "right after the reply" waits this much wall time (the reply's write).
AFTER_REPLY_WALL = 0.005
#: Events a Local pair shows for a DTMF digit arrive this long after the digit's end.
DTMF_LATENCY = 0.1
#: POST /channels/create without an app: the channel is gone this long after.
ORPHAN_LIFETIME = 0.3
#: Simulated seconds a simulated phone (``PJSIP/<name>``) rings before it answers an originate.
PHONE_ANSWER_AFTER = 2.0

_HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
_INVALID_STATES = ("Down", "Rsrvd", "Ringing")
_DTMF_OK = set("0123456789*#aAbBcCdD")


@dataclass(slots=True)
class Reply:
    """What the engine answers to one REST request.

    ``body`` is JSON-able, or ``bytes`` for a binary body; ``reason`` is the HTTP reason phrase when
    Asterisk's differs from the standard one ("Invalid Reason", "Variable Not Found", "Not found").
    """

    status: int
    body: Any = None
    reason: str | None = None
    content_type: str | None = None
    headers: dict[str, str] | None = None


def error(status: int, message: str, reason: str | None = None) -> Reply:
    """An ARI error reply: ``{"message": ...}``."""
    return Reply(status, {"message": message}, reason)


@dataclass(slots=True)
class Request:
    """One REST call as the engine sees it (query: one value per name, the last one wins)."""

    op: str
    path: dict[str, str]
    query: dict[str, str]
    body: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        """A parameter (query first, then a JSON body field), or ``default``."""
        if name in self.query:
            return self.query[name]
        if isinstance(self.body, dict) and name in self.body:
            value = self.body[name]
            if isinstance(value, str):
                return value
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, int | float):
                return str(value)
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
        return default

    def int(self, name: str, default: int = 0) -> int:
        """An integer parameter, parsed like C's ``atoi`` ("abc" -> 0), or ``default`` when absent."""
        text = self.get(name)
        if text is None or text == "":
            return default
        m = re.match(r"\s*([+-]?\d+)", text)
        return int(m.group(1)) if m else 0

    def bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (Asterisk's ``ast_true``)."""
        text = self.get(name)
        if text is None:
            return default
        return text.strip().lower() in ("1", "true", "yes", "on", "y", "t")

    def variables(self) -> dict[str, str]:
        """The ``variables`` object of a JSON body (``{"variables": {"FOO": "bar"}}``)."""
        if isinstance(self.body, dict):
            value = self.body.get("variables")
            if isinstance(value, dict):
                out = {}
                for k, v in value.items():
                    if isinstance(v, dict):  # {"value": ..., "report_events": ...}
                        v = v.get("value", "")
                    if not isinstance(v, list):
                        out[str(k)] = str(v)
                return out
        return {}


Handler = Callable[[Request], "Reply | Awaitable[Reply]"]


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
        from arinb.sim.bridges import Bridges
        from arinb.sim.faults import Faults
        from arinb.sim.playbacks import Playbacks
        from arinb.sim.recordings import Recordings

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
        self.global_vars: dict[str, str] = {}
        self.device_states: dict[str, str] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self._phones: dict[str, float | None] = {}  # phone name -> seconds before it answers (None: never)
        self._media_logs: dict[str, list[MediaSegment]] = {}
        self._uid_seq = 0
        self._unreal_seq = 0
        self._tech_seq: dict[str, int] = {}
        self.playbacks = Playbacks(self)
        self.bridges = Bridges(self)
        self.recordings = Recordings(self)
        self.faults = Faults(self)
        self._ops: dict[str, Handler] = {}
        self._soon: deque[tuple[float, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._register_ops()

    # ==================================================================================================
    # public API
    # ==================================================================================================
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
        handler = self._ops[op]
        self._flush_soon()  # what the previous request set off happens before this one is handled
        req = Request(op, dict(path_params or {}), dict(query or {}), body)
        fault = await self.faults.before(req)
        if fault is not None:
            return fault
        result = handler(req)
        if inspect.isawaitable(result):
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
        caller = caller or "alice"
        n = self._next_tech("PJSIP")
        ch = self._new_channel(
            f"PJSIP/{caller}-{n:08x}", "Ring", "pjsip", channel_id=channel_id, context=context, exten=exten
        )
        ch.caller_number = caller
        ch.caller_name = caller_name if caller_name is not None else ""
        ch.protocol_id = f"{ch.id}@arinb-sim"
        endpoint = self.endpoints.setdefault(
            f"PJSIP/{caller}",
            {"technology": "PJSIP", "resource": caller, "state": "online", "channel_ids": []},
        )
        endpoint["channel_ids"].append(ch.id)
        self._emit_channel("ChannelCreated", ch)
        self._pbx_start(ch, context, exten, 1)
        return ch.id

    def media_log(self, channel_id: str) -> list[MediaSegment]:
        """What the channel sent to its caller, as time segments (kept after the channel is gone)."""
        return list(self._media_logs.get(channel_id, []))

    def caller_dtmf(self, channel_id: str, digits: str, duration_ms: int = 100, gap_ms: int = 100) -> None:
        """The caller presses keys: ``ChannelDtmfReceived`` on the channel, one per digit, over time."""
        ch = self.channels.get(channel_id)
        if ch is None:
            raise KeyError(channel_id)
        valid = [d for d in digits if d in _DTMF_OK]
        for k, digit in enumerate(valid):
            at = (k * (duration_ms + gap_ms) + duration_ms) / 1000.0
            self._later(ch, at, self._dtmf_event, ch, digit, duration_ms)

    def remote_hangup(self, channel_id: str, cause: int = 16) -> None:
        """The far end hangs up the channel (``ChannelHangupRequest`` with ``cause``, no ``soft``)."""
        ch = self.channels.get(channel_id)
        if ch is not None and not ch.hungup:
            self._hangup(ch, cause=cause, soft=None)

    # ==================================================================================================
    # helpers used by the feature modules
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

    def _next_tech(self, tech: str) -> int:
        n = self._tech_seq.get(tech, 0)
        self._tech_seq[tech] = n + 1
        return n

    def log_segment(self, channel_id: str, segment: MediaSegment) -> MediaSegment:
        """Append to a channel's media log."""
        self._media_logs.setdefault(channel_id, []).append(segment)
        return segment

    def emit(self, type_: str, fields: dict[str, Any], **kw: Any) -> int:
        """Deliver an event (see :meth:`EventBus.emit`)."""
        return self.bus.emit(type_, fields, **kw)

    def _emit_channel(
        self,
        type_: str,
        ch: Channel,
        fields: dict[str, Any] | None = None,
        *,
        pre: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        only_app: str | None = None,
    ) -> None:
        eps = [ch.name.rsplit("-", 1)[0]] if ch.kind == "pjsip" else []
        if not self.bus.interested(type_, channels=[ch.id], endpoints=eps, only_app=only_app):
            return  # nobody listens: skip building the snapshot (the hot path of a busy simulator)
        body: dict[str, Any] = dict(fields or {})
        body["channel"] = ch.to_json()
        if after:
            body.update(after)
        self.bus.emit(type_, body, channels=[ch.id], pre=pre, only_app=only_app, endpoints=eps)

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        """Set a channel variable and send ChannelVarset."""
        ch.vars[name] = value
        self._emit_channel("ChannelVarset", ch, pre={"variable": name, "value": value})

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` just after the current request has been answered.

        What Asterisk does on another thread (the other Local half reacting, the control thread picking a
        play up) comes right after the reply, :data:`REACTION` later in simulated time. Pending work runs,
        in order, at whichever comes first: the next request (before it is handled), or a clock tick with a
        manual clock (:meth:`Clock.advance`), or, with a running clock, a few wall milliseconds later, when
        the reply is surely on the wire (its events still carry the simulated time they belong to).
        """
        self._soon.append((self.clock.now() + REACTION, fn, args))
        if len(self._soon) > 1:
            return  # the triggers are already set for the earlier pending work
        if self.clock.is_manual:
            self.clock.call_later(REACTION, self._flush_soon)
            return
        try:
            asyncio.get_running_loop().call_later(AFTER_REPLY_WALL, self._flush_soon)
        except RuntimeError:
            self.clock.call_later(REACTION, self._flush_soon)  # no loop here: a clock timer

    def _flush_soon(self) -> None:
        while self._soon:
            due, fn, args = self._soon.popleft()
            try:
                with self.clock.frozen_at(min(due, self.clock.now())):
                    fn(*args)
            except Exception:  # one bad callback must not stop the simulated world
                log.exception("simulator callback failed")

    def _later(self, ch: Channel, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        handle = self.clock.call_later(delay, fn, *args)
        ch.timers.append(handle)
        if len(ch.timers) > 32:
            ch.timers = [h for h in ch.timers if not h.cancelled]

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

    def queue_of(self, ch: Channel) -> ControlQueue:
        """The channel's control queue."""
        if ch.queue is None:
            ch.queue = ControlQueue(self._queue_schedule)
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

        def run(done: Callable[[], None]) -> None:
            try:
                reply = action()
            except Exception as exc:  # the queue must go on
                log.exception("queued %s failed", name)
                reply = error(500, f"{name} failed: {exc}")
            if not fut.done():
                fut.set_result(reply)
            done()

        def cancel() -> None:
            if not fut.done():
                fut.set_result(error(404, "Channel not found"))

        queue.submit(Command(name, run, cancel))
        return await fut

    # ==================================================================================================
    # channels
    # ==================================================================================================
    def _new_channel(
        self,
        name: str,
        state: str,
        kind: Any,
        *,
        channel_id: str | None = None,
        context: str = "default",
        exten: str = "",
        priority: int = 1,
    ) -> Channel:
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

    def _parse_local(self, endpoint: str) -> tuple[str, str, str] | None:
        """``Local/1000@default`` -> (resource, exten, context), or None when not a Local endpoint."""
        tech, _, resource = endpoint.partition("/")
        if tech.lower() != "local" or not resource:
            return None
        resource = resource.split("/", 1)[0]  # Local/x@ctx/n options
        exten, _, context = resource.partition("@")
        return f"{exten}@{context or 'default'}", exten, context or "default"

    def _new_local_pair(
        self, endpoint: str, channel_id: str | None, other_id: str | None
    ) -> tuple[Channel, Channel] | Reply:
        parsed = self._parse_local(endpoint)
        if parsed is None:
            return Reply(500, {"error": "Allocation failed"})
        resource, exten, context = parsed
        if not self.dialplan.has_context(context):
            return Reply(500, {"error": "Allocation failed"})
        for cid in (channel_id, other_id):
            if cid and cid in self.channels:
                return error(409, "Channel with given unique ID already exists")
        n = self.next_unreal()
        base = f"Local/{resource}-{n:08x}"
        one = self._new_channel(
            f"{base};1", "Down", "local1", channel_id=channel_id, context=context, exten=exten
        )
        two = self._new_channel(
            f"{base};2", "Ring", "local2", channel_id=other_id, context=context, exten=exten
        )
        one.peer, two.peer = two, one
        one.dialstring = two.dialstring = resource
        one.device = two.device = f"Local/{resource}"
        return one, two

    def _originate(self, req: Request, channel_id: str | None) -> Reply:
        endpoint = req.get("endpoint")
        if not endpoint:
            return error(400, "Endpoint must be specified")
        app = req.get("app")
        extension = req.get("extension")
        if not app and not extension:
            return error(400, "Application or extension must be specified")
        phone = _parse_phone(endpoint)
        if phone is not None:
            return self._originate_phone(req, phone, channel_id or req.get("channelId"))
        pair = self._new_local_pair(endpoint, channel_id or req.get("channelId"), req.get("otherChannelId"))
        if isinstance(pair, Reply):
            return pair
        one, two = pair
        caller = _parse_callerid(req.get("callerId") or "")
        for var, value in req.variables().items():
            one.vars[var] = value
        if caller:
            for c in (one, two):
                c.caller_name, c.caller_number = caller
                c.connected_name, c.connected_number = caller
        self._emit_channel("ChannelCreated", one)
        self._emit_channel("ChannelCreated", two)
        one.app_name, one.app_data = "AppDial2", "(Outgoing Line)"
        if app:
            one.outgoing = "app"
            args = req.get("appArgs")
            one.target_app = (app, args.split(",") if args else [])
        else:
            one.outgoing = "exten"
            priority = req.int("priority", 1) or 1
            context = req.get("context") or "default"
            label = req.get("label")
            if label:
                priority = self.dialplan.find_label(context, extension or "", label) or priority
            one.target = (context, extension or "", priority)
        timeout = req.int("timeout", 30)
        self.soon(self._start_outgoing, one, two, bool(caller), timeout)
        return Reply(200, one.to_json())

    # -- simulated phones ---------------------------------------------------------------------------
    def set_phone(self, name: str, *, answer_after: float | None = PHONE_ANSWER_AFTER) -> None:
        """How the simulated phone ``PJSIP/<name>`` answers a call arinb originates to it.

        ``answer_after``: simulated seconds of ringing before it picks up; None: it never answers (the
        originate's ``timeout`` then ends the call with Dial NOANSWER).
        """
        self._phones[name] = answer_after

    def _originate_phone(self, req: Request, resource: str, channel_id: str | None) -> Reply:
        """Originate to a simulated phone: one outgoing ``PJSIP/<name>-N`` channel that rings, then answers.

        No capture shows a SIP originate (the ground-truth Asterisk had no SIP stack); this follows what
        Asterisk does for any dialed channel: Down, Dial "", Ringing (Dial RINGING), then on answer Up,
        Dial ANSWER and StasisStart (``app=``) or the dialplan (``extension=``).
        """
        if channel_id and channel_id in self.channels:
            return error(409, "Channel with given unique ID already exists")
        app = req.get("app")
        context = req.get("context") or "default"
        extension = req.get("extension") or "s"
        n = self._next_tech("PJSIP")
        ch = self._new_channel(
            f"PJSIP/{resource}-{n:08x}",
            "Down",
            "pjsip",
            channel_id=channel_id,
            context=context,
            exten=extension,
        )
        ch.protocol_id = f"{ch.id}@arinb-sim"
        ch.dialstring = resource
        caller = _parse_callerid(req.get("callerId") or "")
        if caller:
            ch.caller_name, ch.caller_number = caller
            ch.connected_name, ch.connected_number = caller
        for var, value in req.variables().items():
            ch.vars[var] = value
        endpoint = self.endpoints.setdefault(
            f"PJSIP/{resource}",
            {"technology": "PJSIP", "resource": resource, "state": "online", "channel_ids": []},
        )
        endpoint["channel_ids"].append(ch.id)
        ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        if app:
            ch.outgoing = "app"
            args = req.get("appArgs")
            ch.target_app = (app, args.split(",") if args else [])
        else:
            ch.outgoing = "exten"
            priority = req.int("priority", 1) or 1
            label = req.get("label")
            if label:
                priority = self.dialplan.find_label(context, extension, label) or priority
            ch.target = (context, extension, priority)
        self._emit_channel("ChannelCreated", ch)
        self.soon(self._phone_rings, ch, req.int("timeout", 30))
        return Reply(200, ch.to_json())

    def _phone_rings(self, ch: Channel, timeout: int) -> None:
        if ch.hungup:
            return
        if ch.outgoing == "app" and ch.target_app is not None:
            self.bus.subscribe_channel(ch.target_app[0], ch.id)  # originate with app=: the channel's life
        self._emit_dial(ch, "")
        ch.state = "Ringing"
        self._emit_channel("ChannelStateChange", ch)
        self._emit_dial(ch, "RINGING")
        if timeout > 0:
            self._later(ch, float(timeout), self._originate_timeout, ch)
        answer_after = self._phones.get(ch.dialstring, PHONE_ANSWER_AFTER)
        if answer_after is not None:
            self._later(ch, answer_after, self._phone_answers, ch)

    def _phone_answers(self, ch: Channel) -> None:
        if ch.hungup or ch.state == "Up":
            return
        ch.state = "Up"
        self._emit_channel("ChannelStateChange", ch)
        self._emit_dial(ch, "ANSWER")
        if ch.outgoing == "app" and ch.target_app is not None:
            app, args = ch.target_app
            ch.app_name, ch.app_data = "Stasis", ",".join([app, *args])
            if not self._enter_stasis(ch, app, args):
                self._hangup(ch, cause=16, soft=None, quiet=True)
        elif ch.target is not None:
            self._pbx_start(ch, *ch.target)

    def _start_outgoing(self, one: Channel, two: Channel, caller_events: bool, timeout: int) -> None:
        if one.hungup:
            return
        self._emit_channel(
            "ChannelDialplan", one, {"dialplan_app": "AppDial2", "dialplan_app_data": "(Outgoing Line)"}
        )
        if one.outgoing == "app" and one.target_app is not None:
            # Originating with app= subscribes the app to both halves for their whole life.
            self.bus.subscribe_channel(one.target_app[0], one.id)
            self.bus.subscribe_channel(one.target_app[0], two.id)
        if caller_events:
            self._emit_channel(
                "ChannelCallerId",
                two,
                {"caller_presentation": 0, "caller_presentation_txt": "Presentation Allowed, Not Screened"},
            )
            self._emit_channel("ChannelConnectedLine", two)
        self._emit_dial(one, "")
        if timeout > 0:
            self._later(one, float(timeout), self._originate_timeout, one)
        self._pbx_start(two, two.context, two.exten, 1)

    def _originate_timeout(self, one: Channel) -> None:
        if not one.hungup and one.state != "Up" and one.outgoing in ("exten", "app"):
            self._emit_dial(one, "NOANSWER")
            self._hangup(one, cause=19, soft=None, quiet=True)

    def _emit_dial(self, one: Channel, status: str, dialstring: str | None = None) -> None:
        fields = {
            "dialstatus": status,
            "forward": "",
            "dialstring": one.dialstring if dialstring is None else dialstring,
            "peer": one.to_json(),
        }
        self.bus.emit("Dial", fields, channels=[one.id])

    def _create(self, req: Request) -> Reply:
        endpoint = req.get("endpoint")
        if not endpoint:
            return error(400, "Endpoint must be specified")
        pair = self._new_local_pair(endpoint, req.get("channelId"), req.get("otherChannelId"))
        if isinstance(pair, Reply):
            return pair
        one, two = pair
        one.outgoing = "create"
        for var, value in req.variables().items():
            one.vars[var] = value
        self._emit_channel("ChannelCreated", one)
        reply = Reply(200, one.to_json())
        app = req.get("app")
        if app and self.bus.registered(app):
            self.bus.subscribe_channel(app, one.id)  # like originate with app=: for the channel's life
            args = req.get("appArgs")
            arglist = args.split(",") if args else []
            self.soon(self._created_enters_stasis, one, app, arglist)
        else:
            # "Stasis app '(null)' doesn't exist": the channel is torn down a moment later.
            self._later(one, ORPHAN_LIFETIME, self._hangup, one, 16, None, True)
        del two  # ;2 runs only once ;1 is dialed
        return reply

    def _created_enters_stasis(self, one: Channel, app: str, args: list[str]) -> None:
        if one.hungup:
            return
        one.app_name, one.app_data = "Stasis", ",".join([app, *args])
        self._emit_channel(
            "ChannelDialplan", one, {"dialplan_app": "Stasis", "dialplan_app_data": one.app_data}
        )
        if not self._enter_stasis(one, app, args):
            self._hangup(one, cause=16, soft=None, quiet=True)

    def _enter_stasis(self, ch: Channel, app: str, args: list[str], *, announced: bool = False) -> bool:
        """Stasis(app,args): StasisStart, or STASISSTATUS=FAILED when the app is not registered.

        ``announced``: the ``STASISSTATUS=""`` ChannelVarset already went out.
        """
        if not announced:
            self.set_var(ch, "STASISSTATUS", "")
        if not self.bus.registered(app):
            self.set_var(ch, "STASISSTATUS", "FAILED")
            return False
        ch.stasis_app = app
        ch.stasis_args = list(args)
        self.bus.subscribe_channel(app, ch.id)
        self._emit_channel("StasisStart", ch, {"args": list(args)}, only_app=app)
        return True

    def _leave_stasis(self, ch: Channel) -> None:
        app = ch.stasis_app
        if app is None:
            return
        self._emit_channel("StasisEnd", ch, only_app=app)
        self.bus.unsubscribe_channel(app, ch.id)
        ch.stasis_app = None
        self.set_var(ch, "STASISSTATUS", "SUCCESS")

    # -- answer and the Local pair -----------------------------------------------------------------------
    def answer_channel(self, ch: Channel) -> None:
        """Answer (no-op when Up). A Local ``;2`` answer also answers ``;1``, which then goes on."""
        if ch.state == "Up" or ch.hungup:
            return
        ch.state = "Up"
        one = ch.peer if ch.kind == "local2" else None
        if one is None or one.hungup or one.state == "Up" or one.outgoing is None:
            self._emit_channel("ChannelStateChange", ch)
            return
        one.state = "Up"
        self._emit_channel("ChannelStateChange", one)
        # What ;1 then does happens on its own thread, after the answer's 204 (as captured): the dialplan
        # it goes on with, or its StasisStart.
        if one.outgoing == "exten":
            self._emit_channel("ChannelStateChange", ch)
            self.soon(self._outgoing_goes_on, one)
        elif one.outgoing == "app":
            self._emit_dial(one, "ANSWER")
            assert one.target_app is not None
            app, args = one.target_app
            one.app_name, one.app_data = "Stasis", ",".join([app, *args])
            self.set_var(one, "STASISSTATUS", "")
            self.soon(self._outgoing_enters_stasis, one, ch)
        else:  # dialed from channels/create
            self._emit_dial(one, "ANSWER", dialstring="")
            self._emit_channel("ChannelStateChange", ch)

    def _outgoing_goes_on(self, one: Channel) -> None:
        if one.hungup:
            return
        self._emit_dial(one, "ANSWER")
        self._device_changed(one.device)
        assert one.target is not None
        self._pbx_start(one, *one.target)

    def _outgoing_enters_stasis(self, one: Channel, two: Channel) -> None:
        if one.hungup:
            return
        assert one.target_app is not None
        app, args = one.target_app
        if not self._enter_stasis(one, app, args, announced=True):
            self._hangup(one, cause=16, soft=None, quiet=True)
        if not two.hungup:
            self._emit_channel("ChannelStateChange", two)

    def indicate_progress(self, ch: Channel) -> None:
        """Early media: no event and no state change, but the dialing side sees Dial PROGRESS once."""
        if ch.state == "Up" or ch.progress_sent:
            return
        ch.progress_sent = True
        one = ch.peer if ch.kind == "local2" else None
        if one is not None and not one.hungup and one.state != "Up" and one.outgoing is not None:
            self._emit_dial(one, "PROGRESS")

    def _device_changed(self, device: str) -> None:
        if not device:
            return
        state = self._local_device_state(device)
        for _ in range(2):  # Asterisk sent each Local device change twice (both halves)
            self.bus.emit(
                "DeviceStateChanged",
                {"device_state": {"name": device, "state": state}},
                devices=[device],
            )

    def _local_device_state(self, device: str) -> str:
        if device in self.device_states:
            return self.device_states[device]
        busy = any(c.device == device and c.state == "Up" and not c.hungup for c in self.channels.values())
        if busy:
            return "INUSE"
        return "NOT_INUSE" if device.startswith("Local/") else "UNKNOWN"

    # -- dialplan ----------------------------------------------------------------------------------------
    def _pbx_start(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        ch.runs_pbx = True
        ch.context, ch.exten, ch.priority = context, exten, priority
        self._pbx_run(ch)

    def _pbx_next(self, ch: Channel) -> None:
        ch.pbx_timer = None
        if ch.hungup:
            return
        ch.priority += 1
        self._pbx_run(ch)

    def _pbx_after(self, ch: Channel, delay: float) -> None:
        ch.pbx_timer = self.clock.call_later(delay, self._pbx_next, ch)

    def _pbx_run(self, ch: Channel) -> None:
        while not ch.hungup:
            step = self.dialplan.find(ch.context, ch.exten, ch.priority)
            if step is None:
                self._pbx_hangup(ch)
                return
            data = self._substitute(ch, step.data)
            ch.app_name, ch.app_data = step.app, data
            self._emit_channel("ChannelDialplan", ch, {"dialplan_app": step.app, "dialplan_app_data": data})
            outcome = self._pbx_exec(ch, step.app.lower(), data)
            if outcome == "next":
                ch.priority += 1
            elif outcome == "jump":
                continue
            else:
                return

    def _pbx_exec(self, ch: Channel, app: str, data: str) -> str:
        if app == "answer":
            if ch.state != "Up":
                self.answer_channel(ch)
                self._pbx_after(ch, ANSWER_MEDIA_WAIT)
                return "wait"
            return "next"
        if app == "wait":
            self._pbx_after(ch, max(0.0, _float(data)))
            return "wait"
        if app == "stasis":
            parts = data.split(",")
            if self._enter_stasis(ch, parts[0], parts[1:]):
                return "stasis"
            return "next"
        if app == "hangup":
            self._pbx_hangup(ch)
            return "stop"
        if app in ("playback", "background"):
            files = [f for f in data.split(",")[0].split("&") if f]
            duration = self.playbacks.play_files_for_pbx(ch, files)
            self._pbx_after(ch, duration)
            return "wait"
        if app == "progress":
            self.indicate_progress(ch)
            return "next"
        if app in ("set", "mset"):
            for assignment in data.split(",") if app == "mset" else [data]:
                name, _, value = assignment.partition("=")
                if name:
                    self.set_var(ch, name.strip(), value)
            return "next"
        if app == "goto":
            return self._goto(ch, data)
        return "next"  # NoOp, Ringing, Verbose, and apps the simulator does not model

    def _goto(self, ch: Channel, data: str) -> str:
        parts = [p.strip() for p in data.split(",")]
        if len(parts) == 1:
            target = (ch.context, ch.exten, parts[0])
        elif len(parts) == 2:
            target = (ch.context, parts[0], parts[1])
        else:
            target = (parts[0], parts[1], parts[2])
        context, exten, prio = target
        priority = int(prio) if prio.isdigit() else (self.dialplan.find_label(context, exten, prio) or 0)
        if priority <= 0:
            self._pbx_hangup(ch)
            return "stop"
        ch.context, ch.exten, ch.priority = context, exten, priority
        return "jump"

    def _substitute(self, ch: Channel, text: str) -> str:
        def value(m: re.Match[str]) -> str:
            name = m.group(1)
            special = {
                "EXTEN": ch.exten,
                "CONTEXT": ch.context,
                "PRIORITY": str(ch.priority),
                "CHANNEL": ch.name,
                "UNIQUEID": ch.id,
                "CALLERID(num)": ch.caller_number,
                "CALLERID(name)": ch.caller_name,
            }
            if name in special:
                return special[name]
            return ch.vars.get(name, self.global_vars.get(name, ""))

        return re.sub(r"\$\{([^}]+)\}", value, text)

    def _pbx_hangup(self, ch: Channel) -> None:
        """Hangup() or the end of the dialplan: the channel goes, its Local peer gets a hangup request."""
        self._hangup(ch, cause=16, soft=None, quiet=True)

    def continue_pbx(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        """After leaving Stasis: go on in the dialplan (``continueInDialplan``)."""
        ch.context, ch.exten, ch.priority = context, exten, priority
        ch.runs_pbx = True
        self.clock.call_later(0.0, self._pbx_run, ch)

    # -- hangup ------------------------------------------------------------------------------------------
    def _hangup(self, ch: Channel, cause: int = 32, soft: bool | None = True, quiet: bool = False) -> None:
        """Hang ``ch`` up (and its Local peer), with Asterisk's event sequence.

        ``DELETE /channels/{id}``: ChannelHangupRequest(32, soft) -> playbacks fail -> leave bridge ->
        StasisEnd -> STASISSTATUS -> (dialplan channels) ChannelHangupRequest(16, soft) -> the peer gets
        ChannelHangupRequest(16) and the same teardown -> ChannelDestroyed for both. ``quiet``: no first
        hangup request (the dialplan's Hangup(), an orphan channel).
        """
        if ch.hungup:
            return
        ch.hungup = True
        if not quiet:
            self._emit_hangup_request(ch, cause, soft)
        self._teardown(ch)
        peer = ch.peer
        if peer is not None and not peer.hungup and peer.id in self.channels:
            peer.hungup = True
            self._emit_hangup_request(peer, 16, None)
            self._teardown(peer)
        gone = [c for c in (ch, peer) if c is not None and c.id in self.channels]
        gone.sort(key=lambda c: 0 if c.kind == "local2" else 1)
        was_up = any(c.state == "Up" for c in gone)
        for c in gone:
            self._destroy(c)
        if ch.device and was_up:
            self._device_changed(ch.device)
        # A snoop channel goes with the channel it spies on.
        for c in gone:
            for snoop in [s for s in self.channels.values() if s.vars.get("__SNOOP_TARGET") == c.id]:
                self._hangup(snoop, cause=16, soft=None)

    def _emit_hangup_request(self, ch: Channel, cause: int, soft: bool | None) -> None:
        pre: dict[str, Any] = {"cause": cause}
        if soft:
            pre["soft"] = True
        self._emit_channel("ChannelHangupRequest", ch, pre=pre)

    def _teardown(self, ch: Channel) -> None:
        if ch.pbx_timer is not None:
            ch.pbx_timer.cancel()
            ch.pbx_timer = None
        for handle in ch.timers:
            handle.cancel()
        ch.timers.clear()
        # The current playback fails first, then every queued command (queued playbacks fail too).
        pending = ch.queue.close() if ch.queue is not None else []
        self.playbacks.channel_hungup(ch)
        for cmd in pending:
            if cmd.cancel is not None:
                cmd.cancel()
        self.recordings.channel_hungup(ch)
        if ch.silence is not None:
            ch.silence.end = self.clock.now()
            ch.silence = None
        self.bridges.channel_hungup(ch)
        if ch.stasis_app is not None:
            self._leave_stasis(ch)
        if ch.runs_pbx:
            self._emit_hangup_request(ch, 16, True)

    def _destroy(self, ch: Channel) -> None:
        if ch.kind == "local1" and ch.outgoing in ("exten", "app"):
            ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        else:
            ch.app_name, ch.app_data = "", ""
        self._emit_channel("ChannelDestroyed", ch, {"cause": 16, "cause_txt": "Normal Clearing"})
        self.channels.pop(ch.id, None)
        self.bus.forget_channel(ch.id)
        for ep in self.endpoints.values():
            if ch.id in ep["channel_ids"]:
                ep["channel_ids"].remove(ch.id)

    # -- DTMF --------------------------------------------------------------------------------------------
    def _dtmf_event(self, ch: Channel, digit: str, duration_ms: int) -> None:
        if not ch.hungup and ch.id in self.channels:
            self._emit_channel("ChannelDtmfReceived", ch, {"digit": digit, "duration_ms": duration_ms})
            self.recordings.dtmf(ch, digit)

    # ==================================================================================================
    # operations
    # ==================================================================================================
    def _register_ops(self) -> None:
        ops: dict[str, Handler] = {
            # Asterisk's container listed the newest channel first (a pair: ;2 then ;1).
            "channels.list": lambda r: Reply(200, [c.to_json() for c in reversed(self.channels.values())]),
            "channels.get": self._op_get,
            "channels.originate": lambda r: self._originate(r, None),
            "channels.originateWithId": lambda r: self._originate(r, r.path.get("channelId")),
            "channels.create": self._create,
            "channels.hangup": self._op_hangup,
            "channels.answer": self._op_answer,
            "channels.ring": self._op_ring,
            "channels.ringStop": self._op_ring,
            "channels.progress": self._op_progress,
            "channels.startSilence": self._op_silence,
            "channels.stopSilence": self._op_silence,
            "channels.getChannelVar": self._op_get_var,
            "channels.setChannelVar": self._op_set_var,
            "channels.getChannelVars": self._op_get_vars,
            "channels.setChannelVars": self._op_set_vars,
            "channels.sendDTMF": self._op_dtmf,
            "channels.continueInDialplan": self._op_continue,
            "channels.move": self._op_move,
            "channels.dial": self._op_dial,
            "channels.hold": self._op_simple,
            "channels.unhold": self._op_simple,
            "channels.mute": self._op_simple,
            "channels.unmute": self._op_simple,
            "channels.startMoh": self._op_simple,
            "channels.stopMoh": self._op_simple,
            "channels.snoopChannel": self._op_snoop,
            "channels.snoopChannelWithId": self._op_snoop,
            "asterisk.getInfo": self._op_info,
            "asterisk.ping": lambda r: Reply(
                200,
                {
                    "asterisk_id": self.asterisk_id,
                    "ping": "pong",
                    "timestamp": format_timestamp(self.clock.now()),
                },
            ),
            "asterisk.getGlobalVar": self._op_get_global,
            "asterisk.setGlobalVar": self._op_set_global,
            "sounds.list": lambda r: Reply(200, self.sounds.list(r.get("lang"), r.get("format"))),
            "sounds.get": self._op_sound,
            "applications.list": lambda r: Reply(200, [a.to_json() for a in self.bus.active_apps()]),
            "applications.get": self._op_app_get,
            "applications.subscribe": self._op_subscribe,
            "applications.unsubscribe": self._op_unsubscribe,
            "applications.filter": self._op_filter,
            "endpoints.list": lambda r: Reply(200, [self._endpoint_json(e) for e in self.endpoints.values()]),
            "endpoints.listByTech": self._op_endpoints_tech,
            "endpoints.get": self._op_endpoint,
            "deviceStates.list": lambda r: Reply(
                200, [{"name": n, "state": s} for n, s in self.device_states.items()]
            ),
            "deviceStates.get": self._op_device_get,
            "deviceStates.update": self._op_device_update,
            "deviceStates.delete": self._op_device_delete,
            "events.userEvent": self._op_user_event,
        }
        ops.update(self.playbacks.ops())
        ops.update(self.bridges.ops())
        ops.update(self.recordings.ops())
        self._ops = ops

    def _op_get(self, req: Request) -> Reply:
        ch = self.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        return Reply(200, ch.to_json())

    def _op_hangup(self, req: Request) -> Reply:
        ch = self.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        reason = req.get("reason")
        code = req.get("reason_code")
        if reason is not None and code is None and reason not in _HANGUP_REASONS:
            return error(400, "Invalid reason for hangup reason provided", "Invalid Reason")
        # Whatever the reason, the event carries 32: AST_SOFTHANGUP_EXPLICIT, not a Q.850 cause.
        self._hangup(ch, cause=32, soft=True)
        return Reply(204)

    async def _op_answer(self, req: Request) -> Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        bad = self.state_invalid(ch)
        if bad is not None:
            return bad
        target = ch

        def answer() -> Reply:
            self.answer_channel(target)
            return Reply(204)

        return await self.run_queued(ch, "answer", answer)

    def _checked(self, req: Request) -> Channel | Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        bad = self.state_invalid(ch)
        return bad if bad is not None else ch

    def _op_ring(self, req: Request) -> Reply:
        ch = self._checked(req)
        if isinstance(ch, Reply):
            return ch
        if req.op == "channels.ring":
            self._indicate_ringing(ch)
        return Reply(204)

    def _indicate_ringing(self, ch: Channel) -> None:
        """Ringing: no event for the channel itself; the dialing side's Dial says RINGING (dial.c)."""
        one = ch.peer if ch.kind == "local2" else None
        if ch.state != "Up" and one is not None and not one.hungup and one.state != "Up" and one.outgoing:
            self._emit_dial(one, "RINGING")

    def _op_progress(self, req: Request) -> Reply:
        ch = self._checked(req)
        if isinstance(ch, Reply):
            return ch
        self.indicate_progress(ch)
        return Reply(204)

    def _op_simple(self, req: Request) -> Reply:
        ch = self._checked(req)
        return ch if isinstance(ch, Reply) else Reply(204)

    def _op_silence(self, req: Request) -> Reply:
        ch = self._checked(req)
        if isinstance(ch, Reply):
            return ch
        now = self.clock.now()
        if req.op.endswith("startSilence"):
            if ch.silence is None and self.playbacks.current_on(ch) is None:
                ch.silence = self.log_segment(ch.id, MediaSegment(ch.id, now, None, "silence"))
        elif ch.silence is not None:
            ch.silence.end = now
            ch.silence = None
        return Reply(204)

    def _op_get_var(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        ch = self.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Provided channel was not found", "Channel Not Found")
        m = re.fullmatch(r"(\w+)\((.*)\)", name)
        if m is not None:
            value = self._read_function(ch, m.group(1).upper(), m.group(2))
            if value is None:
                return error(500, "Unable to read provided function", "Error With Function")
            return Reply(200, {"value": value})
        if name in ch.vars:
            return Reply(200, {"value": ch.vars[name]})
        if name in self.global_vars:
            return Reply(200, {"value": self.global_vars[name]})
        return error(404, "Provided variable was not found", "Variable Not Found")

    def _op_get_vars(self, req: Request) -> Reply:
        names = [n for n in (req.get("variables") or "").split(",") if n]
        if not names:
            return error(400, "Missing variables parameter.")
        out: dict[str, str] = {}
        for name in names:
            one = self._op_get_var(Request(req.op, req.path, {"variable": name}))
            if one.status != 200:
                return one
            out[name] = one.body["value"]
        return Reply(200, {"variables": out})

    async def _op_set_vars(self, req: Request) -> Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        values = req.variables()
        if not values:
            return error(400, "Missing variables parameter.")
        target = ch

        def setvars() -> Reply:
            for name, value in values.items():
                self.set_var(target, name, value)
            return Reply(204)

        return await self.run_queued(ch, "setChannelVars", setvars)

    def _read_function(self, ch: Channel, func: str, arg: str) -> str | None:
        arg = arg.strip().lower()
        if func == "CALLERID":
            return {"num": ch.caller_number, "name": ch.caller_name, "all": _cid(ch)}.get(arg)
        if func == "CONNECTEDLINE":
            return {"num": ch.connected_number, "name": ch.connected_name}.get(arg)
        if func == "CHANNEL":
            return {
                "name": ch.name,
                "uniqueid": ch.id,
                "state": ch.state,
                "language": ch.language,
                "context": ch.context,
                "exten": ch.exten,
                "channeltype": ch.name.split("/", 1)[0],
            }.get(arg)
        return None

    async def _op_set_var(self, req: Request) -> Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        value = req.get("value") or ""
        target = ch

        def setvar() -> Reply:
            if name.upper().startswith("CALLERID("):
                field_ = name[9:-1].lower()
                if field_ == "name":
                    target.caller_name = value
                elif field_ in ("num", "number"):
                    target.caller_number = value
            self.set_var(target, name, value)
            return Reply(204)

        return await self.run_queued(ch, "setChannelVar", setvar)

    def _op_dtmf(self, req: Request) -> Reply:
        ch = self._checked(req)
        if isinstance(ch, Reply):
            return ch
        digits = req.get("dtmf") or ""
        if not digits:
            return error(400, "DTMF is required")
        before = max(0, req.int("before", 0)) / 1000.0
        between = max(0, req.int("between", 100)) / 1000.0
        duration_ms = req.int("duration", 100)
        duration_ms = 100 if duration_ms <= 0 else duration_ms
        after = max(0, req.int("after", 0)) / 1000.0
        valid = [d for d in digits if d in _DTMF_OK]
        sender = ch

        def run(done: Callable[[], None]) -> None:
            self.indicate_progress(sender)
            peer = sender.peer if sender.peer is not None and not sender.peer.hungup else None
            step = duration_ms / 1000.0 + between
            for k, digit in enumerate(valid):
                if peer is not None:
                    at = before + k * step + duration_ms / 1000.0 + DTMF_LATENCY
                    self._later(peer, at, self._dtmf_event, peer, digit, duration_ms)
            total = before + len(valid) * step - (between if valid else 0.0) + after
            self._later(sender, max(0.0, total), done)

        self.queue_of(ch).submit(Command("dtmf", run))
        return Reply(204)

    def _op_continue(self, req: Request) -> Reply:
        ch = self._checked(req)
        if isinstance(ch, Reply):
            return ch
        context = req.get("context") or ch.context
        exten = req.get("extension") or ch.exten
        label = req.get("label")
        priority = req.int("priority", 0)
        if label:
            found = self.dialplan.find_label(context, exten, label)
            if found is None:
                return error(400, f"Requested label: {label} can not be found in context: {context}")
            priority = found
        if priority <= 0:
            priority = ch.priority + 1 if (context, exten) == (ch.context, ch.exten) else 1
        self.bridges.channel_left_stasis(ch)
        self._leave_stasis(ch)
        self.continue_pbx(ch, context, exten, priority)
        return Reply(204)

    def _op_move(self, req: Request) -> Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        app = req.get("app")
        if not app:
            return error(400, "Missing parameter app")
        args = req.get("appArgs")
        app_name = ch.stasis_app
        if app_name is not None:
            self._emit_channel("StasisEnd", ch, only_app=app_name)
            self.bus.unsubscribe_channel(app_name, ch.id)
            ch.stasis_app = None
        if not self._enter_stasis(ch, app, args.split(",") if args else []):
            self._hangup(ch, cause=16, soft=None, quiet=True)
        return Reply(204)

    def _op_dial(self, req: Request) -> Reply:
        ch = self.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        if ch.state != "Down":
            return error(409, "Channel is not in the 'Down' state")
        peer = ch.peer
        if peer is None or ch.kind != "local1" or ch.outgoing != "create":
            return error(409, "Channel is not in the 'Down' state")
        ch.outgoing = "dial"
        self.soon(self._dial_out, ch, peer)
        return Reply(204)

    def _dial_out(self, one: Channel, two: Channel) -> None:
        if one.hungup or two.hungup:
            return
        self._emit_dial(one, "")
        self._pbx_start(two, two.context, two.exten, 1)

    def _op_snoop(self, req: Request) -> Reply:
        ch = self.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        app = req.get("app")
        if not app:
            return error(400, "Missing parameter app")
        spy, whisper = req.get("spy") or "none", req.get("whisper") or "none"
        for value, what in ((spy, "spy"), (whisper, "whisper")):
            if value not in ("none", "in", "out", "both"):
                return error(400, f"Invalid direction specified for {what}")
        if spy == "none" and whisper == "none":
            return error(400, "Direction must be specified for at least spy or whisper")
        snoop_id = req.path.get("snoopId") or req.get("snoopId")
        n = self._next_tech("Snoop")
        snoop = self._new_channel(
            f"Snoop/{ch.id}-{n:08x}", "Up", "snoop", channel_id=snoop_id, context="default", exten=""
        )
        snoop.peer = None
        snoop.vars["__SNOOP_TARGET"] = ch.id
        snoop.vars["__SNOOP_SPY"] = spy
        self._emit_channel("ChannelCreated", snoop)
        args = req.get("appArgs")
        arglist = args.split(",") if args else []
        snoop.app_name, snoop.app_data = "Stasis", ",".join([app, *arglist])
        if not self._enter_stasis(snoop, app, arglist):
            self._hangup(snoop, cause=16, soft=None, quiet=True)
        return Reply(200, snoop.to_json())

    # -- asterisk, sounds --------------------------------------------------------------------------------
    def _op_info(self, req: Request) -> Reply:
        started = format_timestamp(self.startup_time)
        info = {
            "build": {
                "os": "Linux",
                "kernel": "6.18.44-fc-v657",
                "machine": "x86_64",
                "options": "OPTIONAL_API",
                "date": "2026-11-26 12:05:19 UTC",
                "user": "root",
            },
            "system": {"version": ASTERISK_VERSION, "entity_id": self.asterisk_id},
            "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
            "status": {"startup_time": started, "last_reload_time": started},
        }
        only = req.get("only")
        if only:
            wanted = [w.strip() for w in only.split(",")]
            info = {k: v for k, v in info.items() if k in wanted}
        return Reply(200, info)

    def _op_get_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        return Reply(200, {"value": self.global_vars.get(name, "")})

    def _op_set_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        self.global_vars[name] = req.get("value") or ""
        return Reply(204)

    def _op_sound(self, req: Request) -> Reply:
        sound = self.sounds.get(req.path.get("soundId", ""))
        if sound is None:
            return error(404, "Sound not found")
        return Reply(200, sound)

    # -- applications --------------------------------------------------------------------------------------
    def _op_app_get(self, req: Request) -> Reply:
        app = self.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        return Reply(200, app.to_json())

    def _event_sources(self, req: Request) -> list[tuple[str, str]] | Reply:
        raw = req.get("eventSource")
        if not raw:
            return error(400, "Missing parameter eventSource")
        out = []
        for source in raw.split(","):
            scheme, sep, rest = source.partition(":")
            if not sep or scheme not in ("channel", "bridge", "endpoint", "deviceState"):
                return error(400, "Invalid event source URI scheme")
            out.append((scheme, rest))
        return out

    def _source_exists(self, scheme: str, name: str) -> bool:
        if scheme == "channel":
            return name in self.channels
        if scheme == "bridge":
            return self.bridges.get(name) is not None
        if scheme == "endpoint":
            return name in self.endpoints
        return bool(name)

    def _op_subscribe(self, req: Request) -> Reply:
        sources = self._event_sources(req)
        if isinstance(sources, Reply):
            return sources
        app = self.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        for scheme, name in sources:
            if not self._source_exists(scheme, name):
                return error(422, "Event source does not exist")
        for scheme, name in sources:
            if scheme == "channel":
                app.channels[name] += 1
            elif scheme == "bridge":
                app.bridges[name] += 1
            elif scheme == "endpoint":
                app.endpoints.add(name)
            else:
                app.devices.add(name)
        return Reply(200, app.to_json())

    def _op_unsubscribe(self, req: Request) -> Reply:
        sources = self._event_sources(req)
        if isinstance(sources, Reply):
            return sources
        app = self.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        for scheme, name in sources:
            subscribed = {
                "channel": app.channels.get(name, 0) > 0,
                "bridge": app.bridges.get(name, 0) > 0,
                "endpoint": name in app.endpoints,
                "deviceState": name in app.devices,
            }[scheme]
            if not subscribed:
                if not self._source_exists(scheme, name) and scheme in ("channel", "bridge"):
                    return error(422, "Event source was not subscribed to")
                return error(422, "Event source was not subscribed to")
        for scheme, name in sources:
            if scheme == "channel":
                self.bus.unsubscribe_channel(app.name, name)
            elif scheme == "bridge":
                self.bus.unsubscribe_bridge(app.name, name)
            elif scheme == "endpoint":
                app.endpoints.discard(name)
            else:
                app.devices.discard(name)
        return Reply(200, app.to_json())

    def _op_filter(self, req: Request) -> Reply:
        app = self.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        body = req.body if isinstance(req.body, dict) else {}
        allowed, disallowed = body.get("allowed", []), body.get("disallowed", [])
        if not isinstance(allowed, list) or not isinstance(disallowed, list):
            return error(400, "Invalid format definition")
        app.allowed = [f for f in allowed if isinstance(f, dict)]
        app.disallowed = [f for f in disallowed if isinstance(f, dict)]
        return Reply(200, app.to_json())

    # -- endpoints and device states -----------------------------------------------------------------------
    def _endpoint_json(self, ep: dict[str, Any]) -> dict[str, Any]:
        return {
            "technology": ep["technology"],
            "resource": ep["resource"],
            "state": ep["state"],
            "channel_ids": list(ep["channel_ids"]),
        }

    def _op_endpoints_tech(self, req: Request) -> Reply:
        tech = req.path.get("tech", "")
        found = [self._endpoint_json(e) for e in self.endpoints.values() if e["technology"] == tech]
        if not found:
            return error(404, f"No Endpoints found - invalid tech {tech}")
        return Reply(200, found)

    def _op_endpoint(self, req: Request) -> Reply:
        key = f"{req.path.get('tech', '')}/{req.path.get('resource', '')}"
        ep = self.endpoints.get(key)
        if ep is None:
            return error(404, "Endpoint not found")
        return Reply(200, self._endpoint_json(ep))

    def _op_device_get(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        if name.startswith("Stasis:"):
            return Reply(200, {"name": name, "state": self.device_states.get(name, "UNKNOWN")})
        return Reply(200, {"name": name, "state": self._local_device_state(name)})

    def _op_device_update(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        state = (req.get("deviceState") or "").upper()
        valid = (
            "UNKNOWN",
            "NOT_INUSE",
            "INUSE",
            "BUSY",
            "INVALID",
            "UNAVAILABLE",
            "RINGING",
            "RINGINUSE",
            "ONHOLD",
        )
        if not name.startswith("Stasis:"):
            return error(409, "Uncontrolled device specified")
        if state not in valid:
            return error(400, "Invalid device state")
        self.device_states[name] = state
        self.bus.emit("DeviceStateChanged", {"device_state": {"name": name, "state": state}}, devices=[name])
        return Reply(204)

    def _op_device_delete(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        if not name.startswith("Stasis:"):
            return error(409, "Uncontrolled device specified")
        if name not in self.device_states:
            return error(404, "Device not found")
        del self.device_states[name]
        return Reply(204)

    def _op_user_event(self, req: Request) -> Reply:
        app = req.get("application")
        if not app:
            return error(400, "Missing parameter application")
        if not self.bus.registered(app):
            return error(404, "Application not found")
        fields: dict[str, Any] = {"eventname": req.path.get("eventName", "")}
        channels: list[str] = []
        for source in (req.get("source") or "").split(","):
            scheme, _, name = source.partition(":")
            if scheme == "channel":
                ch = self.channels.get(name)
                if ch is None:
                    return error(422, "Event source not found")
                fields["channel"] = ch.to_json()
                channels.append(name)
            elif scheme == "bridge":
                br = self.bridges.get(name)
                if br is None:
                    return error(422, "Event source not found")
                fields["bridge"] = br.to_json()
        fields["userevent"] = req.variables()
        self.bus.emit("ChannelUserevent", fields, only_app=app)
        return Reply(204)


def _parse_phone(endpoint: str) -> str | None:
    """``PJSIP/alice`` -> ``alice`` (a simulated phone), else None."""
    tech, _, resource = endpoint.partition("/")
    if tech.upper() != "PJSIP" or not resource or "/" in resource or "@" in resource:
        return None
    return resource


def _parse_callerid(text: str) -> tuple[str, str] | None:
    """``"Alice" <5551234>`` -> ("Alice", "5551234"); a bare number -> ("", number)."""
    text = text.strip()
    if not text:
        return None
    m = re.match(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$', text)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    return ("", text) if re.fullmatch(r"[\d+*#]+", text) else (text, "")


def _cid(ch: Channel) -> str:
    return f'"{ch.caller_name}" <{ch.caller_number}>'


def _float(text: str) -> float:
    try:
        return float(text.split(",")[0])
    except ValueError:
        return 0.0
