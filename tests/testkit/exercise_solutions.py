"""Student solutions for the exercises: the right ones (as the ARI docs write them) and common mistakes.

Used by tests/scenarios/test_exercises.py and tests/scenarios/test_grade.py (written into notebooks).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

# Each solution is source text too: the grading test writes it into a student's notebook.

TONES_RIGHT = """
def tones_app(session, sleep):
    timers = {}

    async def answer_then_hang_up(channel, playback):
        await sleep(8)
        print(f"Answering channel {channel.name}")
        await playback.stop()
        await channel.answer()
        await sleep(1)
        print(f"Hanging up channel {channel.name}")
        await channel.hangup()

    def stasis_start(event):
        channel = event.channel
        print(f"Channel {channel.name} has entered the application")
        playback = channel.play("tone:ring;tonezone=fr", playback_id=str(uuid.uuid4()))
        timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel, playback))

    def stasis_end(event):
        print(f"Channel {event.channel.name} just left our application")
        timer = timers.pop(event.channel.id, None)
        if timer is not None and not timer.done():
            timer.cancel()

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)
"""

# Mistake 1: answering while the tone plays (no stop): the answer waits behind the endless tone.
TONES_ANSWER_WHILE_PLAYING = TONES_RIGHT.replace("        await playback.stop()\n", "")

# Mistake 2: hanging up too early (no 1 s after the answer).
TONES_HANGUP_TOO_EARLY = TONES_RIGHT.replace("        await sleep(1)\n", "")

# Mistake 3: a missing playback id: the stop names a playback that was never played.
TONES_MISSING_PLAYBACK_ID = TONES_RIGHT.replace(
    "        await playback.stop()\n", "        await session.playbacks.stop(channel.id)\n"
)

ANSWER_RIGHT = """
def answer_app(session, sleep):
    timers = {}

    async def answer_then_hang_up(channel):
        await sleep(2)
        print(f"Answering channel {channel.name}")
        await channel.answer()
        await channel.silence()
        await sleep(4)
        print(f"Hanging up channel {channel.name}")
        await channel.hangup()

    def stasis_start(event):
        channel = event.channel
        print(f"Channel {channel.name} has entered the application")
        channel.ring()
        timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel))

    def channel_state_change(event):
        print(f"Channel {event.channel.name} is now: {event.channel.state}")

    def stasis_end(event):
        print(f"Channel {event.channel.name} just left our application")
        timer = timers.pop(event.channel.id, None)
        if timer is not None and not timer.done():
            timer.cancel()

    session.on("StasisStart", stasis_start)
    session.on("ChannelStateChange", channel_state_change)
    session.on("StasisEnd", stasis_end)
"""

MONKEYS_RIGHT = """
def monkeys_app(session, sleep):
    def stasis_start(event):
        async def playback_finished(event):
            print(f"Monkeys successfully vanquished {channel.name}; hanging them up")
            await channel.hangup()

        channel = event.channel
        print(f"Monkeys! Attack {channel.name}!")
        playback = channel.play("sound:tt-monkeys", playback_id=str(uuid.uuid4()))
        playback.on("PlaybackFinished", playback_finished)

    def stasis_end(event):
        print(f"Channel {event.channel.name} just left our application")

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)
"""

# Hanging up on PlaybackStarted: the monkeys never finish.
MONKEYS_HANGUP_TOO_EARLY = MONKEYS_RIGHT.replace(
    '"PlaybackFinished", playback_finished', '"PlaybackStarted", playback_finished'
)


def load(source: str) -> Any:
    """The app function defined by ``source`` (as a notebook cell would define it)."""
    namespace: dict[str, Any] = {"asyncio": asyncio, "uuid": uuid}
    exec(source, namespace)
    return next(v for k, v in namespace.items() if k.endswith("_app"))
