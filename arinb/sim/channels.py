"""Channel operations and the channel life cycle: answer, ring, progress, silence, DTMF, dial, continue,
move, hold/mute/MOH, hangup and teardown, entering and leaving Stasis.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("channels.hangup", {"channelId": "nope"})).status
404
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arinb.ari.hangup import CAUSE_TEXT, HANGUP_CAUSES
from arinb.media_log import MediaSegment
from arinb.sim.objects import Channel, Command
from arinb.sim.protocol import Handler, Reply, Request, atoi, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["DTMF_LATENCY", "DTMF_OK", "Lifecycle"]

#: ``dtmf_stream`` waits this long before the first digit ("a quiet time before sending digits").
DTMF_QUIET = 0.1
#: Events a Local pair shows for a DTMF digit arrive this long after the digit's end.
DTMF_LATENCY = 0.1
_LEADING_INT = re.compile(r"\s*([+-]?\d{1,30})")
#: The digits ``sendDTMF`` and the caller's keypad send; others are skipped.
DTMF_OK = frozenset("0123456789*#aAbBcCdD")


class Lifecycle:
    """Channel operations, hangup and Stasis membership (one per engine: ``engine.lifecycle``)."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        k = self.k
        return {
            # Asterisk's container listed the newest channel first (a pair: ;2 then ;1).
            "channels.list": lambda r: Reply(200, [c.to_json() for c in reversed(k.channels.values())]),
            "channels.get": self._op_get,
            "channels.hangup": self._op_hangup,
            "channels.answer": self._op_answer,
            "channels.ring": self._op_ring,
            "channels.ringStop": self._op_ring,
            "channels.progress": self._op_progress,
            "channels.startSilence": self._op_silence,
            "channels.stopSilence": self._op_silence,
            "channels.sendDTMF": self._op_dtmf,
            "channels.continueInDialplan": self._op_continue,
            "channels.move": self._op_move,
            "channels.dial": self._op_dial,
            "channels.hold": self._op_simple,
            "channels.unhold": self._op_simple,
            "channels.mute": self._op_simple,
            "channels.unmute": self._op_simple,
        }

    # -- operations ----------------------------------------------------------------------------------------
    def _op_get(self, req: Request) -> Reply:
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        return Reply(200, ch.to_json())

    def _op_hangup(self, req: Request) -> Reply:
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        reason = req.get("reason")
        code = req.get("reason_code")
        if reason is not None and code is None and reason not in HANGUP_CAUSES:
            return error(400, "Invalid reason for hangup reason provided", "Invalid Reason")
        # Whatever the reason, the event carries 32: AST_SOFTHANGUP_EXPLICIT, not a Q.850 cause.
        self.hangup(ch, cause=32, soft=True)
        return Reply(204)

    async def _op_answer(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        target = ch

        def answer() -> Reply:
            self.answer_channel(target)
            return Reply(204)

        return await self.k.run_queued(ch, "answer", answer)

    def _op_ring(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        if req.op == "channels.ring":
            self._indicate_ringing(ch)
        self.k.external_media.indicate(ch, req.op == "channels.ring")
        return Reply(204)

    def _indicate_ringing(self, ch: Channel) -> None:
        """Ringing: no event for the channel itself; the dialing side's Dial says RINGING (dial.c)."""
        one = ch.peer if ch.kind == "local2" else None
        if ch.state != "Up" and one is not None and not one.hungup and one.state != "Up" and one.outgoing:
            self.emit_dial(one, "RINGING")

    def _op_progress(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        self.indicate_progress(ch)
        return Reply(204)

    def _op_simple(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        return ch if isinstance(ch, Reply) else Reply(204)

    def _op_silence(self, req: Request) -> Reply:

        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        now = self.k.now()
        if req.op.endswith("startSilence"):
            if ch.silence is None and self.k.playbacks.current_on(ch) is None:
                ch.silence = self.k.log_segment(ch.id, MediaSegment(ch.id, now, None, "silence"))
        elif ch.silence is not None:
            ch.silence.end = now
            ch.silence = None
        return Reply(204)

    def _op_dtmf(self, req: Request) -> Reply:
        ch = self.k.checked(req)
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
        valid = [d for d in digits if d in DTMF_OK]
        sender = ch
        k = self.k

        def run(done: Callable[[], None]) -> None:
            self.indicate_progress(sender)
            peer = sender.peer if sender.peer is not None and not sender.peer.hungup else None
            step = duration_ms / 1000.0 + between
            media = k.external_media.session_of(sender)
            for n, digit in enumerate(valid):
                if peer is not None:
                    at = before + n * step + duration_ms / 1000.0 + DTMF_LATENCY
                    k.later(peer, at, self.dtmf_event, peer, digit, duration_ms)
                if media is not None:
                    # chan_websocket has no digit begin: each digit's end goes out at once, after
                    # dtmf_stream's 100 ms of quiet and the pauses between digits.
                    k.later(sender, before + DTMF_QUIET + n * between, k.external_media.dtmf, sender, digit)
            total = before + len(valid) * step - (between if valid else 0.0) + after
            k.later(sender, max(0.0, total), done)

        k.queue_of(ch).submit(Command("dtmf", run))
        return Reply(204)

    def _op_continue(self, req: Request) -> Reply:
        # ast_ari_channels_continue_in_dialplan() (res/ari/resource_channels.c), step by step.
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        context_arg, exten_arg = req.get("context") or "", req.get("extension") or ""
        if not context_arg:
            context, exten = ch.context, exten_arg or ch.exten
        else:
            context, exten = context_arg, exten_arg or "s"
        label = req.get("label")
        if label:
            numeric = _LEADING_INT.match(label)  # sscanf("%30d"): a number is a priority, not a label
            if numeric is not None:
                priority = atoi(numeric.group(1))
            else:
                found = self.k.dialplan.find_label(context, exten, label)
                if found is None:
                    return error(404, "Requested label can not be found", "Not Found")
                priority = found
            if priority == 0:
                return error(400, "Requested priority is illegal")
        elif req.int("priority", 0) > 0:
            priority = req.int("priority", 0)
        elif req.int("priority", 0) < 0:
            # ast_explicit_goto() keeps the priority for one below 0: the channel goes on at its next one
            # (channel-continue-move: priority=-1 from priority 1 ran priority 2).
            priority = ch.priority + 1
        elif not context_arg and not exten_arg:
            priority = ch.priority + 1  # no place given: the next priority
        else:
            priority = 1
        # A place that does not exist is not refused here: the dialplan, finding nothing there, hangs up.
        self.k.bridges.channel_left_stasis(ch)
        if not ch.runs_pbx:
            # No dialplan of its own (a ;1 originated to an app): stasis_app_exec runs the dialplan itself,
            # and Stasis' STASISSTATUS comes when that dialplan ends (channel-continue-move).
            ch.pbx_in_stasis = True
            ch.stasis_place = (ch.context, ch.exten, ch.priority, ch.app_name, ch.app_data)
            self.leave_stasis(ch, status=False)
        else:
            self.leave_stasis(ch)
        self.k.pbx.continue_at(ch, context, exten, priority)
        return Reply(204)

    def _op_move(self, req: Request) -> Reply:
        k = self.k
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        app = req.get("app")
        if not app:
            return error(400, "Missing parameter app")
        args = req.get("appArgs")
        arglist = args.split(",") if args else []
        app_name = ch.stasis_app
        if not k.bus.registered(app):
            # res_stasis.c: "Could not move to Stasis app ... not registered": the channel stays where it
            # is and its app gets ApplicationMoveFailed.
            fields = {"channel": ch.to_json(), "destination": app, "args": arglist}
            k.emit("ApplicationMoveFailed", fields, channels=[ch.id], only_app=app_name)
            return Reply(204)
        if app_name is not None:
            k.emit_channel("StasisEnd", ch, only_app=app_name)
            k.bus.unsubscribe_channel(app_name, ch.id)
            ch.stasis_app = None
        self.enter_stasis(ch, app, arglist, announced=True)  # no STASISSTATUS between two apps
        return Reply(204)

    def _op_dial(self, req: Request) -> Reply:
        ch = self.k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        if ch.state != "Down":
            return error(409, "Channel is not in the 'Down' state")
        peer = ch.peer
        if peer is None or ch.kind != "local1" or ch.outgoing != "create":
            return error(409, "Channel is not in the 'Down' state")
        ch.outgoing = "dial"
        self.k.soon(self._dial_out, ch, peer)
        return Reply(204)

    def _dial_out(self, one: Channel, two: Channel) -> None:
        if one.hungup or two.hungup:
            return
        self.emit_dial(one, "")
        self.k.pbx.start(two, two.context, two.exten, 1)

    # -- Stasis --------------------------------------------------------------------------------------------
    def enter_stasis(self, ch: Channel, app: str, args: list[str], *, announced: bool = False) -> bool:
        """Stasis(app,args): StasisStart, or STASISSTATUS=FAILED when the app is not registered.

        ``announced``: the ``STASISSTATUS=""`` ChannelVarset already went out.
        """
        k = self.k
        if not announced:
            k.set_var(ch, "STASISSTATUS", "")
        if not k.bus.registered(app):
            k.set_var(ch, "STASISSTATUS", "FAILED")
            return False
        ch.stasis_app = app
        ch.stasis_args = list(args)
        k.bus.subscribe_channel(app, ch.id)
        k.emit_channel("StasisStart", ch, {"args": list(args)}, only_app=app)
        return True

    def leave_stasis(self, ch: Channel, *, status: bool = True) -> None:
        """StasisEnd, the app's subscription to the channel ends, STASISSTATUS=SUCCESS (unless ``status`` is
        False: the channel's dialplan runs first, see :meth:`dialplan_ended`)."""
        app = ch.stasis_app
        if app is None:
            return
        self.k.emit_channel("StasisEnd", ch, only_app=app)
        self.k.bus.unsubscribe_channel(app, ch.id)
        ch.stasis_app = None
        if status:
            self.k.set_var(ch, "STASISSTATUS", "SUCCESS")

    def dialplan_ended(self, ch: Channel, cause: int, *, nowhere: bool = False) -> None:
        """The dialplan a channel ran from Stasis (``pbx_in_stasis``) ended: by ``Hangup()`` (cause 16) or,
        ``nowhere``, at a place that does not exist (cause 0). As channel-continue-move captured it:
        STASISSTATUS=SUCCESS, no hangup request of its own, the Local peer's request with the cause,
        ChannelDestroyed (after it, the snapshot of the place it was sent to: a late ChannelDialplan), then
        the peer's own soft request and ChannelDestroyed with the same cause."""
        if ch.hungup:
            return
        k = self.k
        ch.pbx_in_stasis = False
        if nowhere and ch.stasis_place is not None:
            # Nothing ran at the new place, so no snapshot showed it yet: the STASISSTATUS event still
            # carries the channel as it was in Stasis.
            place = (ch.context, ch.exten, ch.priority, ch.app_name, ch.app_data)
            ch.context, ch.exten, ch.priority, ch.app_name, ch.app_data = ch.stasis_place
            k.set_var(ch, "STASISSTATUS", "SUCCESS")
            ch.context, ch.exten, ch.priority, ch.app_name, ch.app_data = place
        else:
            k.set_var(ch, "STASISSTATUS", "SUCCESS")
        ch.stasis_place = None
        ch.hungup = True
        self._teardown(ch, own_request=False)
        peer = ch.peer if ch.peer is not None and not ch.peer.hungup and ch.peer.id in k.channels else None
        if peer is not None:
            peer.hungup = True
            self._emit_hangup_request(peer, cause, None)
        if ch.id in k.channels:
            self._destroy(ch, cause, late_dialplan=nowhere)
        if peer is not None:
            self._teardown(peer)
            self._destroy(peer, cause)
        for c in (ch, peer):
            if c is not None:
                k.snoop.target_gone(c)

    # -- answer and the Local pair -------------------------------------------------------------------------
    def answer_channel(self, ch: Channel) -> None:
        """Answer (no-op when Up). A Local ``;2`` answer also answers ``;1``, which then goes on."""
        if ch.state == "Up" or ch.hungup:
            return
        k = self.k
        ch.state = "Up"
        one = ch.peer if ch.kind == "local2" else None
        if one is None or one.hungup or one.state == "Up" or one.outgoing is None:
            k.emit_channel("ChannelStateChange", ch)
            return
        one.state = "Up"
        k.emit_channel("ChannelStateChange", one)
        # What ;1 then does happens on its own thread, after the answer's 204 (as captured): the dialplan
        # it goes on with, or its StasisStart.
        if one.outgoing == "exten":
            k.emit_channel("ChannelStateChange", ch)
            k.soon(self._outgoing_goes_on, one)
        elif one.outgoing == "app":
            self.emit_dial(one, "ANSWER")
            assert one.target_app is not None
            app, args = one.target_app
            one.app_name, one.app_data = "Stasis", ",".join([app, *args])
            k.set_var(one, "STASISSTATUS", "")
            k.soon(self._outgoing_enters_stasis, one, ch)
        else:  # dialed from channels/create
            self.emit_dial(one, "ANSWER", dialstring="")
            k.emit_channel("ChannelStateChange", ch)

    def _outgoing_goes_on(self, one: Channel) -> None:
        if one.hungup:
            return
        self.emit_dial(one, "ANSWER")
        self.k.system.device_changed(one.device)
        assert one.target is not None
        self.k.pbx.start(one, *one.target)

    def _outgoing_enters_stasis(self, one: Channel, two: Channel) -> None:
        if one.hungup:
            return
        assert one.target_app is not None
        app, args = one.target_app
        if not self.enter_stasis(one, app, args, announced=True):
            self.hangup(one, cause=16, soft=None, quiet=True)
        if not two.hungup:
            self.k.emit_channel("ChannelStateChange", two)

    def indicate_progress(self, ch: Channel) -> None:
        """Early media: no event and no state change, but the dialing side sees Dial PROGRESS once."""
        if ch.state == "Up" or ch.progress_sent:
            return
        ch.progress_sent = True
        one = ch.peer if ch.kind == "local2" else None
        if one is not None and not one.hungup and one.state != "Up" and one.outgoing is not None:
            self.emit_dial(one, "PROGRESS")

    def emit_dial(self, one: Channel, status: str, dialstring: str | None = None) -> None:
        """A Dial event for the dialed channel ``one``."""
        fields = {
            "dialstatus": status,
            "forward": "",
            "dialstring": one.dialstring if dialstring is None else dialstring,
            "peer": one.to_json(),
        }
        self.k.emit("Dial", fields, channels=[one.id])

    # -- hangup --------------------------------------------------------------------------------------------
    def hangup(
        self,
        ch: Channel,
        cause: int = 32,
        soft: bool | None = True,
        quiet: bool = False,
        *,
        tech_cause: int | None = None,
        destroy_cause: int = 16,
    ) -> None:
        """Hang ``ch`` up (and its Local peer), with Asterisk's event sequence.

        ``DELETE /channels/{id}``: ChannelHangupRequest(32, soft) -> playbacks fail -> leave bridge ->
        StasisEnd -> STASISSTATUS -> (dialplan channels) ChannelHangupRequest(16, soft) -> the peer gets
        ChannelHangupRequest(16) and the same teardown -> ChannelDestroyed for both. ``quiet``: no first
        hangup request (the dialplan's Hangup(), an orphan channel, a snoop whose target left).
        ``tech_cause``: the driver's own cause, in the hangup request and ChannelDestroyed (a media
        WebSocket's close code); ``destroy_cause``: ChannelDestroyed's cause for ``ch``.
        """
        if ch.hungup:
            return
        k = self.k
        ch.hungup = True
        ch.tech_cause = tech_cause
        if not quiet:
            self._emit_hangup_request(ch, cause, soft)
        self._teardown(ch)
        peer = ch.peer
        if peer is not None and not peer.hungup and peer.id in k.channels:
            peer.hungup = True
            self._emit_hangup_request(peer, 16, None)
            self._teardown(peer)
        gone = [c for c in (ch, peer) if c is not None and c.id in k.channels]
        gone.sort(key=lambda c: 0 if c.kind == "local2" else 1)
        was_up = any(c.state == "Up" for c in gone)
        for c in gone:
            self._destroy(c, destroy_cause if c is ch else 16)
        if ch.device and was_up:
            k.system.device_changed(ch.device)
        for c in gone:
            k.snoop.target_gone(c)

    def _emit_hangup_request(self, ch: Channel, cause: int, soft: bool | None) -> None:
        pre: dict[str, Any] = {"cause": cause}
        if ch.tech_cause is not None:
            pre["tech_cause"] = ch.tech_cause
        if soft:
            pre["soft"] = True
        self.k.emit_channel("ChannelHangupRequest", ch, pre=pre)

    def _teardown(self, ch: Channel, *, own_request: bool = True) -> None:
        k = self.k
        if ch.pbx_timer is not None:
            ch.pbx_timer.cancel()
            ch.pbx_timer = None
        for handle in ch.timers:
            handle.cancel()
        ch.timers.clear()
        # A media WebSocket closes first (1000), as chan_websocket hangs up; channel music stops.
        k.external_media.channel_gone(ch)
        k.moh.channel_gone(ch)
        # The current playback fails first, then every queued command (queued playbacks fail too).
        pending = ch.queue.close() if ch.queue is not None else []
        k.playbacks.channel_hungup(ch)
        for cmd in pending:
            if cmd.cancel is not None:
                cmd.cancel()
        k.recordings.channel_hungup(ch)
        if ch.silence is not None:
            ch.silence.end = k.now()
            ch.silence = None
        k.bridges.channel_hungup(ch)
        if ch.stasis_app is not None:
            self.leave_stasis(ch)
        if ch.runs_pbx and own_request:
            self._emit_hangup_request(ch, 16, True)

    def _destroy(self, ch: Channel, cause: int = 16, *, late_dialplan: bool = False) -> None:
        """ChannelDestroyed, and the channel is gone. ``late_dialplan``: its last ChannelDialplan (the place
        it was sent to, never run) follows the ChannelDestroyed, as Asterisk published it."""
        k = self.k
        if ch.kind in ("local1", "websocket") and ch.outgoing in ("exten", "app"):
            ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        else:
            ch.app_name, ch.app_data = "", ""
        fields: dict[str, Any] = {"cause": cause, "cause_txt": CAUSE_TEXT.get(cause, "Unknown")}
        if ch.tech_cause is not None:
            fields["tech_cause"] = ch.tech_cause
        k.emit_channel("ChannelDestroyed", ch, fields)
        if late_dialplan:
            k.emit_channel(
                "ChannelDialplan", ch, {"dialplan_app": ch.app_name, "dialplan_app_data": ch.app_data}
            )
        k.channels.pop(ch.id, None)
        k.bus.forget_channel(ch.id)
        k.system.channel_gone(ch.id)

    # -- DTMF ----------------------------------------------------------------------------------------------
    def dtmf_event(self, ch: Channel, digit: str, duration_ms: int) -> None:
        """A digit arrives on ``ch``: ChannelDtmfReceived, and a recording with terminateOn may stop."""
        if not ch.hungup and ch.id in self.k.channels:
            self.k.emit_channel("ChannelDtmfReceived", ch, {"digit": digit, "duration_ms": duration_ms})
            self.k.recordings.dtmf(ch, digit)
