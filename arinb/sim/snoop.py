"""Snoop channels: ``POST /channels/{id}/snoop`` (and ``/snoop/{snoopId}``), and what becomes of a snoop
when the channel it spies on leaves.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("channels.snoopChannel", {"channelId": "x"}, {"app": "a", "spy": "in"})).body
{'message': 'Provided channel was not found'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Snoop"]

_DIRECTIONS = ("none", "in", "out", "both")


class Snoop:
    """Snoop operations (``engine.snoop``)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self._by_target: dict[str, list[Channel]] = {}  # spied channel id -> its snoops

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {"channels.snoopChannel": self._op_snoop, "channels.snoopChannelWithId": self._op_snoop}

    def _op_snoop(self, req: Request) -> Reply:
        # The checks in the order of ari_channels_handle_snoop_channel() (res/ari/resource_channels.c).
        k = self.k
        spy, whisper = req.get("spy") or "none", req.get("whisper") or "none"
        for value, what in ((spy, "spy"), (whisper, "whisper")):
            if value not in _DIRECTIONS:
                return error(400, f"Invalid direction specified for {what}")
        if spy == "none" and whisper == "none":
            return error(400, "Direction must be specified for at least spy or whisper")
        app = req.get("app")
        if not app:
            return error(400, "Application name is required")
        ch = k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Provided channel was not found", "Channel Not Found")
        snoop_id = req.path.get("snoopId") or req.get("snoopId")
        if snoop_id and snoop_id in k.channels:
            # ast_channel_alloc() refuses an id in use and the snoop is never made; unlike originate, this
            # handler does not look at the reason (AST_CHANNEL_ERROR_ID_EXISTS): a plain 500.
            return error(500, "Snoop channel could not be created", "Internal error")
        n = k.next_tech("Snoop")
        snoop = k.new_channel(
            f"Snoop/{ch.id}-{n:08x}", "Up", "snoop", channel_id=snoop_id, context="default", exten="s"
        )
        snoop.peer = None
        snoop.snoop_target, snoop.snoop_spy = ch.id, spy
        mine = [s for s in self._by_target.get(ch.id, []) if not s.hungup]
        self._by_target[ch.id] = [*mine, snoop]
        k.emit_channel("ChannelCreated", snoop)
        args = req.get("appArgs")
        arglist = args.split(",") if args else []
        reply = Reply(200, snoop.to_json())  # as it was before entering Stasis: app_name ""
        # On Asterisk the snoop's own thread puts it in Stasis a fraction of a millisecond after the 200
        # (snoop-and-record). Here it enters now and the server writes its StasisStart after the 200
        # (server.EVENTS_AFTER_REPLY): a request sent after the reply finds it in Stasis, as in 11 of 11
        # captured runs, and a client on a manual clock gets its StasisStart without a clock tick.
        self._enter(snoop, app, arglist)
        return reply

    def _enter(self, snoop: Channel, app: str, arglist: list[str]) -> None:
        if snoop.hungup:
            return
        k = self.k
        snoop.app_name, snoop.app_data = "Stasis", ",".join([app, *arglist])
        if not k.lifecycle.enter_stasis(snoop, app, arglist):
            k.lifecycle.hangup(snoop, cause=16, soft=None, quiet=True)

    def target_gone(self, target: Channel) -> None:
        """The spied channel left: each snoop ends too, with no ChannelHangupRequest of its own
        (snoop-and-record: its recording finishes, then StasisEnd). Asterisk's snoop thread notices about
        10 ms later; here it is at once, so that a manual or paused clock cannot keep a snoop whose target
        is gone (and a client waiting for the recording's end does not depend on the next tick)."""
        for snoop in self._by_target.pop(target.id, []):
            if not snoop.hungup:
                self.k.lifecycle.hangup(snoop, cause=16, soft=None, quiet=True)
