"""Broadcast channels: the dialplan application ``StasisBroadcast`` and ``POST /events/claim``.

As in Asterisk 22.10.1 (``apps/app_stasis_broadcast.c``, ``res/res_stasis_broadcast.c``,
``res/ari/resource_events.c``):

* ``StasisBroadcast([timeout][,app_filter][,args][,notify_claimed])`` sets ``STASISSTATUS`` to "" and sends
  ``CallBroadcast`` (``channel``, ``caller``: the caller's number, ``called``: the extension) to every
  registered application whose name matches the ``app_filter`` regular expression (all when empty),
  subscribed to the channel or not. It waits ``timeout`` ms (default 500, at most 60000; a bad value means
  500) for a claim.
* ``POST /events/claim?channelId=&application=``: 400 "channelId parameter is required" / "application
  parameter is required"; 404 "Channel not found or not in broadcast state" (no broadcast, or it timed
  out); 409 "Channel has already been claimed by another application" (the first claim won); 204. With
  ``notify_claimed`` true, ``CallClaimed`` (``channel``, ``winner_app``) goes to the matching applications.
* The winner gets the channel as if ``Stasis(winner,args...)`` ran (``args`` colon-separated). When its
  Stasis session ends, STASISSTATUS is SUCCESS (FAILED if the winner app is not registered) and the dialplan
  goes on. Nobody claims in time: STASISSTATUS TIMEOUT, and the dialplan goes on at once.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("events.claimChannel", query={"channelId": "x", "application": "a"})).status
404
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.clock import TimerHandle
    from arinb.sim.services import Services

__all__ = ["DEFAULT_TIMEOUT_MS", "Broadcast"]

DEFAULT_TIMEOUT_MS = 500
MAX_TIMEOUT_MS = 60000


@dataclass(eq=False)
class _Pending:
    """One channel in broadcast state."""

    channel: Channel
    pattern: re.Pattern[str] | None
    args: list[str]
    notify_claimed: bool
    timer: TimerHandle | None = None
    winner: str | None = None
    finished: bool = False
    entered: bool = False  # the winner's Stasis session started

    @property
    def over(self) -> bool:
        """The broadcast is cleaned up: the channel is gone, or the winner's Stasis session ended."""
        return self.channel.hungup or (self.entered and self.channel.stasis_app is None)


class Broadcast:
    """StasisBroadcast and the claim operation (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.pending: dict[str, _Pending] = {}  # channel id -> its broadcast (until its Stasis ends)

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {"events.claimChannel": self._op_claim}

    # -- the dialplan application --------------------------------------------------------------------------
    def run(self, ch: Channel, data: str) -> None:
        """``StasisBroadcast(data)`` on ``ch``; the dialplan waits until :meth:`_resume` goes on."""
        k = self.k
        parts = data.split(",") if data else []
        parts += [""] * (4 - len(parts))
        timeout_ms = DEFAULT_TIMEOUT_MS
        if parts[0].strip():
            m = re.match(r"\s*([+-]?\d+)", parts[0])
            value = int(m.group(1)) if m else -1
            timeout_ms = value if 0 <= value <= MAX_TIMEOUT_MS else DEFAULT_TIMEOUT_MS
        pattern = None
        if parts[1]:
            try:
                pattern = re.compile(parts[1])
            except re.error:
                pattern = None  # Asterisk: "proceeding without application filtering due to invalid regex"
        args = parts[2].split(":") if parts[2] else []
        notify = parts[3].strip().lower() in ("yes", "true", "y", "t", "1", "on")
        k.set_var(ch, "STASISSTATUS", "")
        for cid in [c for c, e in self.pending.items() if e.over]:
            del self.pending[cid]
        entry = _Pending(ch, pattern, args, notify)
        self.pending[ch.id] = entry
        fields = {"channel": ch.to_json(), "caller": ch.caller_number, "called": ch.exten}
        for app in k.bus.active_apps():
            if self._matches(entry, app.name):
                k.emit("CallBroadcast", fields, only_app=app.name)
        entry.timer = k.clock.call_later(timeout_ms / 1000.0, self._timed_out, entry)

    @staticmethod
    def _matches(entry: _Pending, app_name: str) -> bool:
        return entry.pattern is None or entry.pattern.search(app_name) is not None

    def _timed_out(self, entry: _Pending) -> None:
        entry.timer = None
        if entry.winner is not None or entry.finished:
            return
        entry.finished = True
        self.pending.pop(entry.channel.id, None)
        ch = entry.channel
        if ch.hungup:
            return
        self.k.set_var(ch, "STASISSTATUS", "TIMEOUT")
        self.k.pbx.resume(ch)

    # -- the claim -----------------------------------------------------------------------------------------
    def _op_claim(self, req: Request) -> Reply:
        channel_id = req.get("channelId")
        if not channel_id:
            return error(400, "channelId parameter is required")
        application = req.get("application")
        if not application:
            return error(400, "application parameter is required")
        entry = self.pending.get(channel_id)
        if entry is not None and entry.over:
            del self.pending[channel_id]
            entry = None
        if entry is None:
            return error(404, "Channel not found or not in broadcast state")
        if entry.winner is not None:
            return error(409, "Channel has already been claimed by another application")
        if entry.finished:
            return error(404, "Channel not found or not in broadcast state")
        entry.winner = application
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        k = self.k
        if entry.notify_claimed:
            fields = {"channel": entry.channel.to_json(), "winner_app": application}
            for app in k.bus.active_apps():
                if self._matches(entry, app.name):
                    k.emit("CallClaimed", fields, only_app=app.name)
        # The waiting dialplan thread wakes up and runs Stasis(winner) right after the 204.
        k.soon(self._enter, entry)
        return Reply(204)

    def _enter(self, entry: _Pending) -> None:
        entry.finished = True
        ch = entry.channel
        if ch.hungup or entry.winner is None:
            self.pending.pop(ch.id, None)
            return
        k = self.k
        ch.app_name, ch.app_data = "Stasis", ",".join([entry.winner, *entry.args])
        if k.lifecycle.enter_stasis(ch, entry.winner, entry.args, announced=True):
            entry.entered = True  # until its Stasis session ends, later claims get 409
        else:
            self.pending.pop(ch.id, None)
            k.pbx.resume(ch)  # STASISSTATUS is FAILED; the dialplan goes on
