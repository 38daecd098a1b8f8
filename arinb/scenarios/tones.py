"""channel-tones: French ringing as early media for 8 s, then answer, then hang up 1 s later.

The ARI docs' example (asterisk/ari-examples ``channel-tones/example.py``), on extension 1000::

    exten => 1000,1,NoOp()
     same =>      n,Stasis(channel-tones)
     same =>      n,Hangup()

On StasisStart it plays ``tone:ring;tonezone=fr`` with a playback id it made itself on the still-ringing
channel; 8 s later it stops the playback (an answer would otherwise wait behind the endless tone) and
answers; 1 s after that it hangs up. A real Asterisk 22 sent: StasisStart → PlaybackStarted →
PlaybackFinished → ChannelStateChange(Up) → ChannelHangupRequest → StasisEnd.

>>> sc = arinb.scenarios.tones(sim)        # doctest: +SKIP
>>> (await sc.run()).check.ok              # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from arinb.scenarios.base import AppScenario, Step, channel_name
from arinb.scenarios.listen import is_snoop

__all__ = ["Tones", "channel_tones"]


class Tones(AppScenario):
    """The channel-tones app as five steps: call in, ring, wait 8 s, stop and answer, hang up."""

    title = "tones"
    app = "channel-tones"
    extension = "1000"
    media = "tone:ring;tonezone=fr"
    ring_for = 8.0
    hangup_after = 1.0
    docs_url = "https://github.com/asterisk/ari-examples/blob/master/channel-tones/example.py"
    expected_events = (
        "StasisStart",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelStateChange",
        "ChannelHangupRequest",
        "StasisEnd",
    )
    expected_lines = (
        "Channel {name} has entered the application",
        "Answering channel {name}",
        "Hanging up channel {name}",
        "Channel {name} just left our application",
    )

    def _install_handlers(self) -> None:
        self._on(
            "StasisStart", lambda ev: self.say(f"Channel {channel_name(ev)} has entered the application")
        )
        self._on("StasisEnd", lambda ev: self.say(f"Channel {channel_name(ev)} just left our application"))

    def build_steps(self) -> list[Step]:
        return [
            Step(
                "call in",
                f"A caller dials {self.extension}; the dialplan sends the channel to Stasis "
                f"({self.app}) while it is still ringing.",
                self._call_in,
            ),
            Step(
                "play the ringing tone",
                "Play tone:ring;tonezone=fr with a playback id made here, on the "
                "unanswered channel (early media).",
                self._play,
            ),
            Step(
                "ring for 8 s",
                "Let the French ringing tone play for 8 s after the call came in; the "
                "channel stays in state Ring.",
                self._ring,
            ),
            Step(
                "stop and answer",
                "Stop the tone (an answer would wait behind it forever), then answer: "
                "PlaybackFinished, then ChannelStateChange Up.",
                self._answer,
            ),
            Step(
                "hang up", "1 s after answering, hang up: ChannelHangupRequest, then StasisEnd.", self._hangup
            ),
        ]

    async def _call_in(self) -> None:
        await self.place_call()
        self.marks["start"] = self.clock.now()

    async def _play(self) -> None:
        since = self.event_mark()
        self.playback = self.channel.play(self.media, playback_id=f"tones-{uuid.uuid4().hex[:12]}")
        await self.playback
        await self.wait_event("PlaybackStarted", since=since)

    async def _ring(self) -> None:
        await self.sleep_until_after("start", self.ring_for)

    async def _answer(self) -> None:
        since = self.event_mark()
        self.say(f"Answering channel {self.channel_name}")
        await self.playback.stop()
        await self.channel.answer()
        self.marks["answered"] = self.clock.now()
        await self.wait_event("PlaybackFinished", since=since)
        await self.wait_event("ChannelStateChange", since=since)

    async def _hangup(self) -> None:
        await self.sleep_until_after("answered", self.hangup_after)
        since = self.event_mark()
        self.say(f"Hanging up channel {self.channel_name}")
        await self.channel.hangup()
        await self.wait_event("StasisEnd", since=since)


def channel_tones(
    session: Any,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    say: Callable[[str], None] = print,
) -> None:
    """The docs' channel-tones app in arinb's handler style (each channel gets its own timer task).

    ``sleep`` is how long "8 s" takes: ``asyncio.sleep`` on a real Asterisk, the simulator's clock with
    ``arinb.scenarios.sleeper(sim)``.

    >>> session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")  # doctest: +SKIP
    >>> arinb.scenarios.channel_tones(session, sleep=arinb.scenarios.sleeper(sim))  # doctest: +SKIP
    """
    timers: dict[str, asyncio.Task[None]] = {}

    async def answer_then_hang_up(channel: Any, playback: Any) -> None:
        await sleep(8)
        say(f"Answering channel {channel.name}")
        await playback.stop()
        await channel.answer()
        await sleep(1)
        say(f"Hanging up channel {channel.name}")
        await channel.hangup()

    def stasis_start(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        channel = event.channel
        say(f"Channel {channel.name} has entered the application")
        playback = channel.play("tone:ring;tonezone=fr", playback_id=str(uuid.uuid4()))
        timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel, playback))

    def stasis_end(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        channel = event.channel
        say(f"Channel {channel.name} just left our application")
        timer = timers.pop(channel.id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)
