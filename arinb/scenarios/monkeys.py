"""channel-playback-monkeys: howler monkeys on an unanswered channel, hang up when they are done.

The ARI docs' example (asterisk/ari-examples ``channel-playback-monkeys/example.py``), on extension 1001::

    exten => 1001,1,NoOp()
     same =>      n,Stasis(channel-playback-monkeys)
     same =>      n,Hangup()

On StasisStart it plays ``sound:tt-monkeys`` (16.18 s) without answering; on that playback's
PlaybackFinished it hangs up. A real Asterisk 22 sent: StasisStart → PlaybackStarted → PlaybackFinished →
ChannelHangupRequest → StasisEnd, and no ChannelStateChange (the channel stays "Ring").

>>> sc = arinb.scenarios.monkeys(sim)      # doctest: +SKIP
>>> (await sc.run()).check.ok              # doctest: +SKIP
True
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from arinb.scenarios.base import AppScenario, Step, channel_name
from arinb.scenarios.listen import is_snoop

__all__ = ["Monkeys", "channel_playback_monkeys"]

#: tt-monkeys.wav: 129440 samples at 8 kHz
MONKEYS_SECONDS = 16.18


class Monkeys(AppScenario):
    """The channel-playback-monkeys app as four steps: call in, play, listen, hang up."""

    title = "monkeys"
    app = "channel-playback-monkeys"
    extension = "1001"
    media = "sound:tt-monkeys"
    docs_url = "https://github.com/asterisk/ari-examples/blob/master/channel-playback-monkeys/example.py"
    expected_events = (
        "StasisStart",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelHangupRequest",
        "StasisEnd",
    )
    expected_lines = (
        "Monkeys! Attack {name}!",
        "Monkeys successfully vanquished {name}; hanging them up",
        "Channel {name} just left our application",
    )

    _play_mark = 0  # event index when the playback was started

    def _install_handlers(self) -> None:
        self._on("StasisStart", lambda ev: self.say(f"Monkeys! Attack {channel_name(ev)}!"))
        self._on("StasisEnd", lambda ev: self.say(f"Channel {channel_name(ev)} just left our application"))

    def build_steps(self) -> list[Step]:
        return [
            Step(
                "call in",
                f"A caller dials {self.extension}; the channel enters Stasis ({self.app}) unanswered.",
                self._call_in,
            ),
            Step(
                "play the monkeys",
                "Play sound:tt-monkeys on the ringing channel (no answer: early media).",
                self._play,
            ),
            Step("listen", "The monkeys howl for 16.18 s; then PlaybackFinished (state done).", self._listen),
            Step(
                "hang up", "On PlaybackFinished, hang up: ChannelHangupRequest, then StasisEnd.", self._hangup
            ),
        ]

    async def _call_in(self) -> None:
        await self.place_call()

    async def _play(self) -> None:
        since = self.event_mark()
        self.playback = self.channel.play(self.media, playback_id=f"monkeys-{uuid.uuid4().hex[:12]}")
        await self.playback
        await self.wait_event("PlaybackStarted", since=since)
        self._play_mark = since

    async def _listen(self) -> None:
        await self.wait_event(
            "PlaybackFinished", since=self._play_mark, within=MONKEYS_SECONDS + self.timeout
        )

    async def _hangup(self) -> None:
        since = self.event_mark()
        self.say(f"Monkeys successfully vanquished {self.channel_name}; hanging them up")
        await self.channel.hangup()
        await self.wait_event("StasisEnd", since=since)


def channel_playback_monkeys(session: Any, *, say: Callable[[str], None] = print) -> None:
    """The docs' channel-playback-monkeys app in arinb's handler style.

    >>> app = "channel-playback-monkeys"
    >>> session = await arinb.connect(sim.url, "asterisk", "asterisk", apps=app)  # doctest: +SKIP
    >>> arinb.scenarios.channel_playback_monkeys(session)  # doctest: +SKIP
    """

    async def playback_finished(event: Any) -> None:
        channel = session.channels.get(event.playback.target_uri.replace("channel:", ""))
        channel = await channel
        say(f"Monkeys successfully vanquished {channel.name}; hanging them up")
        await channel.hangup()

    def stasis_start(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        channel = event.channel
        say(f"Monkeys! Attack {channel.name}!")
        playback = channel.play("sound:tt-monkeys", playback_id=str(uuid.uuid4()))
        playback.on("PlaybackFinished", playback_finished)

    def stasis_end(event: Any) -> None:
        if is_snoop(event.channel):
            return  # someone listening in (channel.audio()), not a caller
        say(f"Channel {event.channel.name} just left our application")

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)
