"""Channels that come into being: originate (Local pairs and simulated phones), ``channels/create``,
inbound calls.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> reply = asyncio.run(engine.handle("channels.originate", query={"endpoint": "Local/1000@default",
...                                                                 "extension": "1000"}))
>>> reply.status, reply.body["name"]
(200, 'Local/1000@default-00000000;1')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["ORPHAN_LIFETIME", "PHONE_ANSWER_AFTER", "Originate"]

#: POST /channels/create without an app: the channel is gone this long after.
ORPHAN_LIFETIME = 0.3
#: Simulated seconds a simulated phone (``PJSIP/<name>``) rings before it answers an originate.
PHONE_ANSWER_AFTER = 2.0
#: An originate's ``timeout`` when none (or 0) is given.
DEFAULT_TIMEOUT = 30


class Originate:
    """Originate, create and inbound calls (``engine.originator``)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self._phones: dict[str, float | None] = {}  # phone name -> seconds before it answers (None: never)

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.originate": lambda r: self._originate(r, None),
            "channels.originateWithId": lambda r: self._originate(r, r.path.get("channelId")),
            "channels.create": self._create,
        }

    # -- inbound ---------------------------------------------------------------------------------------
    def call_in(
        self,
        exten: str,
        caller: str | None = "alice",
        *,
        context: str = "default",
        caller_name: str | None = None,
        channel_id: str | None = None,
    ) -> str:
        """An inbound ``PJSIP/<caller>-N`` channel in Ring entering the dialplan at ``exten``; its id."""
        k = self.k
        caller = caller or "alice"
        n = k.next_tech("PJSIP")
        ch = k.new_channel(
            f"PJSIP/{caller}-{n:08x}", "Ring", "pjsip", channel_id=channel_id, context=context, exten=exten
        )
        ch.caller_number = caller
        ch.caller_name = caller_name if caller_name is not None else ""
        ch.protocol_id = f"{ch.id}@arinb-sim"
        k.system.endpoint_channel("PJSIP", caller, ch.id)
        k.emit_channel("ChannelCreated", ch)
        k.pbx.start(ch, context, exten, 1)
        return ch.id

    # -- Local pairs -------------------------------------------------------------------------------------
    @staticmethod
    def _parse_local(endpoint: str) -> tuple[str, str, str] | None:
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
        k = self.k
        parsed = self._parse_local(endpoint)
        if parsed is None:
            return Reply(500, {"error": "Allocation failed"})
        resource, exten, context = parsed
        if not k.dialplan.has_context(context):
            return Reply(500, {"error": "Allocation failed"})
        for cid in (channel_id, other_id):
            if cid and cid in k.channels:
                return error(409, "Channel with given unique ID already exists")
        n = k.next_unreal()
        base = f"Local/{resource}-{n:08x}"
        one = k.new_channel(
            f"{base};1", "Down", "local1", channel_id=channel_id, context=context, exten=exten
        )
        two = k.new_channel(f"{base};2", "Ring", "local2", channel_id=other_id, context=context, exten=exten)
        one.peer, two.peer = two, one
        one.dialstring = two.dialstring = resource
        one.device = two.device = f"Local/{resource}"
        return one, two

    def _target(self, req: Request, ch: Channel, context: str, extension: str) -> None:
        """Where an originated channel goes once answered: an app, or the dialplan."""
        app = req.get("app")
        if app:
            ch.outgoing = "app"
            args = req.get("appArgs")
            ch.target_app = (app, args.split(",") if args else [])
            return
        ch.outgoing = "exten"
        priority = req.int("priority", 1) or 1
        label = req.get("label")
        if label:
            priority = self.k.dialplan.find_label(context, extension, label) or priority
        ch.target = (context, extension, priority)

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
        # Every parameter is read before the first channel exists: a pair is made whole or not at all.
        timeout = req.int("timeout", DEFAULT_TIMEOUT)
        caller = _parse_callerid(req.get("callerId") or "")
        variables = req.variables()
        pair = self._new_local_pair(endpoint, channel_id or req.get("channelId"), req.get("otherChannelId"))
        if isinstance(pair, Reply):
            return pair
        k = self.k
        one, two = pair
        for var, value in variables.items():
            one.vars[var] = value
        if caller:
            for c in (one, two):
                c.caller_name, c.caller_number = caller
                c.connected_name, c.connected_number = caller
        k.emit_channel("ChannelCreated", one)
        k.emit_channel("ChannelCreated", two)
        one.app_name, one.app_data = "AppDial2", "(Outgoing Line)"
        self._target(req, one, req.get("context") or "default", extension or "")
        k.soon(self._start_outgoing, one, two, bool(caller), timeout)
        return Reply(200, one.to_json())

    def _start_outgoing(self, one: Channel, two: Channel, caller_events: bool, timeout: int) -> None:
        if one.hungup:
            return
        k = self.k
        k.emit_channel(
            "ChannelDialplan", one, {"dialplan_app": "AppDial2", "dialplan_app_data": "(Outgoing Line)"}
        )
        if one.outgoing == "app" and one.target_app is not None:
            # Originating with app= subscribes the app to both halves for their whole life.
            k.bus.subscribe_channel(one.target_app[0], one.id)
            k.bus.subscribe_channel(one.target_app[0], two.id)
        if caller_events:
            k.emit_channel(
                "ChannelCallerId",
                two,
                {"caller_presentation": 0, "caller_presentation_txt": "Presentation Allowed, Not Screened"},
            )
            k.emit_channel("ChannelConnectedLine", two)
        k.lifecycle.emit_dial(one, "")
        self._arm_timeout(one, timeout)
        k.pbx.start(two, two.context, two.exten, 1)

    def _arm_timeout(self, ch: Channel, timeout: int) -> None:
        """The dial's global timeout: ``timeout`` seconds; -1 (or any negative): none; 0: 30 s (dial.c)."""
        if timeout == 0:
            timeout = DEFAULT_TIMEOUT
        if timeout > 0:
            self.k.later(ch, float(timeout), self._originate_timeout, ch)

    def _originate_timeout(self, one: Channel) -> None:
        if not one.hungup and one.state != "Up" and one.outgoing in ("exten", "app"):
            self.k.lifecycle.emit_dial(one, "NOANSWER")
            self.k.lifecycle.hangup(one, cause=19, soft=None, quiet=True)

    # -- simulated phones ----------------------------------------------------------------------------
    def set_phone(self, name: str, *, answer_after: float | None = PHONE_ANSWER_AFTER) -> None:
        """How the simulated phone ``PJSIP/<name>`` answers (None: never)."""
        self._phones[name] = answer_after

    def _originate_phone(self, req: Request, resource: str, channel_id: str | None) -> Reply:
        """Originate to a simulated phone: one outgoing ``PJSIP/<name>-N`` channel that rings, then answers.

        No capture shows a SIP originate (the ground-truth Asterisk had no SIP stack); this follows what
        Asterisk does for any dialed channel: Down, Dial "", Ringing (Dial RINGING), then on answer Up,
        Dial ANSWER and StasisStart (``app=``) or the dialplan (``extension=``).
        """
        k = self.k
        if channel_id and channel_id in k.channels:
            return error(409, "Channel with given unique ID already exists")
        context = req.get("context") or "default"
        extension = req.get("extension") or "s"
        timeout = req.int("timeout", DEFAULT_TIMEOUT)
        caller = _parse_callerid(req.get("callerId") or "")
        n = k.next_tech("PJSIP")
        ch = k.new_channel(
            f"PJSIP/{resource}-{n:08x}",
            "Down",
            "pjsip",
            channel_id=channel_id,
            context=context,
            exten=extension,
        )
        ch.protocol_id = f"{ch.id}@arinb-sim"
        ch.dialstring = resource
        if caller:
            ch.caller_name, ch.caller_number = caller
            ch.connected_name, ch.connected_number = caller
        for var, value in req.variables().items():
            ch.vars[var] = value
        k.system.endpoint_channel("PJSIP", resource, ch.id)
        ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        self._target(req, ch, context, extension)
        k.emit_channel("ChannelCreated", ch)
        k.soon(self._phone_rings, ch, timeout)
        return Reply(200, ch.to_json())

    def _phone_rings(self, ch: Channel, timeout: int) -> None:
        if ch.hungup:
            return
        k = self.k
        if ch.outgoing == "app" and ch.target_app is not None:
            k.bus.subscribe_channel(ch.target_app[0], ch.id)  # originate with app=: the channel's life
        k.lifecycle.emit_dial(ch, "")
        ch.state = "Ringing"
        k.emit_channel("ChannelStateChange", ch)
        k.lifecycle.emit_dial(ch, "RINGING")
        self._arm_timeout(ch, timeout)
        answer_after = self._phones.get(ch.dialstring, PHONE_ANSWER_AFTER)
        if answer_after is not None:
            k.later(ch, answer_after, self._phone_answers, ch)

    def _phone_answers(self, ch: Channel) -> None:
        if ch.hungup or ch.state == "Up":
            return
        k = self.k
        ch.state = "Up"
        k.emit_channel("ChannelStateChange", ch)
        k.lifecycle.emit_dial(ch, "ANSWER")
        if ch.outgoing == "app" and ch.target_app is not None:
            app, args = ch.target_app
            ch.app_name, ch.app_data = "Stasis", ",".join([app, *args])
            if not k.lifecycle.enter_stasis(ch, app, args):
                k.lifecycle.hangup(ch, cause=16, soft=None, quiet=True)
        elif ch.target is not None:
            k.pbx.start(ch, *ch.target)

    # -- channels/create -------------------------------------------------------------------------------
    def _create(self, req: Request) -> Reply:
        k = self.k
        endpoint = req.get("endpoint")
        if not endpoint:
            return error(400, "Endpoint must be specified")
        pair = self._new_local_pair(endpoint, req.get("channelId"), req.get("otherChannelId"))
        if isinstance(pair, Reply):
            return pair
        one, _two = pair  # ;2 runs only once ;1 is dialed
        one.outgoing = "create"
        for var, value in req.variables().items():
            one.vars[var] = value
        k.emit_channel("ChannelCreated", one)
        reply = Reply(200, one.to_json())
        app = req.get("app")
        if app and k.bus.registered(app):
            k.bus.subscribe_channel(app, one.id)  # like originate with app=: for the channel's life
            args = req.get("appArgs")
            arglist = args.split(",") if args else []
            k.soon(self._created_enters_stasis, one, app, arglist)
        else:
            # "Stasis app '(null)' doesn't exist": the channel is torn down a moment later.
            k.later(one, ORPHAN_LIFETIME, k.lifecycle.hangup, one, 16, None, True)
        return reply

    def _created_enters_stasis(self, one: Channel, app: str, args: list[str]) -> None:
        if one.hungup:
            return
        k = self.k
        one.app_name, one.app_data = "Stasis", ",".join([app, *args])
        k.emit_channel("ChannelDialplan", one, {"dialplan_app": "Stasis", "dialplan_app_data": one.app_data})
        if not k.lifecycle.enter_stasis(one, app, args):
            k.lifecycle.hangup(one, cause=16, soft=None, quiet=True)


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
