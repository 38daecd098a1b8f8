"""The dialplan runner: runs a channel through :class:`~arinb.sim.dialplan.Dialplan` steps (Answer, Wait,
Playback, Stasis, Set, Goto, Hangup, ...), one priority after the other on the simulated clock.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> cid = asyncio.run(engine.call_in("wait"))
>>> engine.channels[cid].app_name       # extension "wait" answers first
'Answer'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from arinb.sim.objects import Channel

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["ANSWER_MEDIA_WAIT", "Pbx"]

#: After Answer() on a channel that was not up, Asterisk waits up to 500 ms for media before going on.
ANSWER_MEDIA_WAIT = 0.5


class Pbx:
    """The dialplan interpreter (``engine.pbx``)."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def start(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        """Run ``ch`` in the dialplan from ``context,exten,priority`` now."""
        ch.runs_pbx = True
        ch.context, ch.exten, ch.priority = context, exten, priority
        self._run(ch)

    def continue_at(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        """After leaving Stasis: go on in the dialplan (``continueInDialplan``), in the next instant."""
        ch.context, ch.exten, ch.priority = context, exten, priority
        ch.runs_pbx = True
        self.k.clock.call_later(0.0, self._run, ch)

    def resume(self, ch: Channel) -> None:
        """An application that waited (StasisBroadcast) is done: go on at the next priority."""
        if not ch.hungup:
            self._next(ch)

    def _next(self, ch: Channel) -> None:
        ch.pbx_timer = None
        if ch.hungup:
            return
        ch.priority += 1
        self._run(ch)

    def _after(self, ch: Channel, delay: float) -> None:
        ch.pbx_timer = self.k.clock.call_later(delay, self._next, ch)

    def _run(self, ch: Channel) -> None:
        k = self.k
        while not ch.hungup:
            step = k.dialplan.find(ch.context, ch.exten, ch.priority)
            if step is None:
                self._hangup(ch, nowhere=True)
                return
            data = self.substitute(ch, step.data)
            ch.app_name, ch.app_data = step.app, data
            k.emit_channel("ChannelDialplan", ch, {"dialplan_app": step.app, "dialplan_app_data": data})
            outcome = self._exec(ch, step.app.lower(), data)
            if outcome == "next":
                ch.priority += 1
            elif outcome == "jump":
                continue
            else:
                return

    def _hangup(self, ch: Channel, *, nowhere: bool = False) -> None:
        """Hangup() or the end of the dialplan: the channel goes, its Local peer gets a hangup request.

        A channel continued from Stasis with no dialplan of its own ends as ``Lifecycle.dialplan_ended``
        says (a place that does not exist: cause 0, as Asterisk 22.10.1 answered it)."""
        if ch.pbx_in_stasis:
            self.k.lifecycle.dialplan_ended(ch, 0 if nowhere else 16, nowhere=nowhere)
            return
        self.k.lifecycle.hangup(ch, cause=16, soft=None, quiet=True)

    def _exec(self, ch: Channel, app: str, data: str) -> str:
        k = self.k
        if app == "answer":
            if ch.state != "Up":
                k.lifecycle.answer_channel(ch)
                self._after(ch, ANSWER_MEDIA_WAIT)
                return "wait"
            return "next"
        if app == "wait":
            self._after(ch, max(0.0, _float(data)))
            return "wait"
        if app == "stasis":
            parts = data.split(",")
            if k.lifecycle.enter_stasis(ch, parts[0], parts[1:]):
                return "stasis"
            return "next"
        if app == "stasisbroadcast":
            k.broadcast.run(ch, data)  # the dialplan waits for a claim (broadcast.py resumes it)
            return "wait"
        if app == "hangup":
            self._hangup(ch)
            return "stop"
        if app in ("playback", "background"):
            files = [f for f in data.split(",")[0].split("&") if f]
            duration = k.playbacks.play_files_for_pbx(ch, files)
            self._after(ch, duration)
            return "wait"
        if app == "progress":
            k.lifecycle.indicate_progress(ch)
            return "next"
        if app in ("set", "mset"):
            for assignment in data.split(",") if app == "mset" else [data]:
                name, _, value = assignment.partition("=")
                if name:
                    k.set_var(ch, name.strip(), value)
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
        priority = int(prio) if prio.isdigit() else (self.k.dialplan.find_label(context, exten, prio) or 0)
        if priority <= 0:
            self._hangup(ch)
            return "stop"
        ch.context, ch.exten, ch.priority = context, exten, priority
        return "jump"

    def substitute(self, ch: Channel, text: str) -> str:
        """``${NAME}`` in a step's data: channel variables, globals and a few built-ins."""
        k = self.k

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
            return ch.vars.get(name, k.system.global_vars.get(name, ""))

        return re.sub(r"\$\{([^}]+)\}", value, text)


def _float(text: str) -> float:
    """Wait()'s seconds: a bad or non-finite number waits 0 s (a year at most, so a timer can hold it)."""
    try:
        value = float(text.split(",")[0])
    except ValueError:
        return 0.0
    return min(value, 365 * 86400.0) if value == value else 0.0
