"""channel-state: ring, answer after 2 s (and play silence), hang up 4 s later; print each state change.

The ARI docs' example (asterisk/ari-examples ``channel-state/example.py``), on extension 1002::

    exten => 1002,1,NoOp()
     same =>      n,Stasis(channel-state)
     same =>      n,Hangup()

A real Asterisk 22 sent: StasisStart → ChannelStateChange(Up) → ChannelHangupRequest → StasisEnd.
``ring`` and ``silence`` answer 204 and send no event.

>>> sc = arinb.scenarios.answer(sim)       # doctest: +SKIP
>>> (await sc.run()).check.ok              # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from arinb.scenarios.base import AppScenario, Step, channel_name, channel_state_of, matches_state
from arinb.scenarios.listen import is_snoop

__all__ = ["Answer", "channel_state"]


class Answer(AppScenario):
    """The channel-state app as four steps: call in, ring, answer after 2 s, hang up after 4 s."""

    title = "answer"
    app = "channel-state"
    extension = "1002"
    answer_after = 2.0
    hangup_after = 4.0
    docs_url = "https://github.com/asterisk/ari-examples/blob/master/channel-state/example.py"
    expected_events = ("StasisStart", "ChannelStateChange", "ChannelHangupRequest", "StasisEnd")
    expected_lines = (
        "Channel {name} has entered the application",
        "Answering channel {name}",
        "Channel {name} is now: Up",
        "Hanging up channel {name}",
        "Channel {name} just left our application",
    )

    def _install_handlers(self) -> None:
        self._on(
            "StasisStart", lambda ev: self.say(f"Channel {channel_name(ev)} has entered the application")
        )
        self._on(
            "ChannelStateChange",
            lambda ev: self.say(f"Channel {channel_name(ev)} is now: {channel_state_of(ev)}"),
        )
        self._on("StasisEnd", lambda ev: self.say(f"Channel {channel_name(ev)} just left our application"))

    def build_steps(self) -> list[Step]:
        return [
            Step(
                "call in",
                f"A caller dials {self.extension}; the channel enters Stasis ({self.app}) in state Ring.",
                self._call_in,
            ),
            Step("ring", "Indicate ringing to the caller (POST ring: 204, and no event).", self._ring),
            Step(
                "answer",
                "2 s after the call came in, answer and start silence: ChannelStateChange Up.",
                self._answer,
            ),
            Step(
                "hang up", "4 s after answering, hang up: ChannelHangupRequest, then StasisEnd.", self._hangup
            ),
        ]

    async def _call_in(self) -> None:
        await self.place_call()
        self.marks["start"] = self.clock.now()

    async def _ring(self) -> None:
        await self.channel.ring()

    async def _answer(self) -> None:
        await self.sleep_until_after("start", self.answer_after)
        since = self.event_mark()
        self.say(f"Answering channel {self.channel_name}")
        await self.channel.answer()
        self.marks["answered"] = self.clock.now()
        await self.channel.silence()
        await self.wait_event("ChannelStateChange", matches_state("Up"), since=since)

    async def _hangup(self) -> None:
        await self.sleep_until_after("answered", self.hangup_after)
        since = self.event_mark()
        self.say(f"Hanging up channel {self.channel_name}")
        await self.channel.hangup()
        await self.wait_event("StasisEnd", since=since)


def channel_state(
    session: Any,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    say: Callable[[str], None] = print,
) -> None:
    """The docs' channel-state app in arinb's handler style.

    >>> session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-state")  # doctest: +SKIP
    >>> arinb.scenarios.channel_state(session, sleep=arinb.scenarios.sleeper(sim))  # doctest: +SKIP
    """
    timers: dict[str, asyncio.Task[None]] = {}

    async def answer_then_hang_up(channel: Any) -> None:
        await sleep(2)
        say(f"Answering channel {channel.name}")
        await channel.answer()
        await channel.silence()
        await sleep(4)
        say(f"Hanging up channel {channel.name}")
        await channel.hangup()

    def stasis_start(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        channel = event.channel
        say(f"Channel {channel.name} has entered the application")
        channel.ring()
        timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel))

    def channel_state_change(event: Any) -> None:
        if is_snoop(event.channel):
            return
        say(f"Channel {event.channel.name} is now: {event.channel.state}")

    def stasis_end(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        channel = event.channel
        say(f"Channel {channel.name} just left our application")
        timer = timers.pop(channel.id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    session.on("StasisStart", stasis_start)
    session.on("ChannelStateChange", channel_state_change)
    session.on("StasisEnd", stasis_end)
