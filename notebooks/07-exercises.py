# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Exercises: write the three apps yourself
#
# Notebooks 02 to 04 showed the ARI docs' apps. Now you write them, in the docs' handler style:
# a function `app(session, sleep)` that registers handlers with `session.on(...)`. One call checks it:
#
# ```python
# await check("tones", tones_app, sim)
# ```
#
# `check` connects a session for the app, runs your function to register the handlers, places one call,
# and compares what happened with **the real Asterisk 22 run** that the docs' app produced: the events,
# their order, their timing (seconds after StasisStart) and the lines your app printed. It names the
# first difference and, for the common mistakes, gives a hint. Run it as often as you like.
#
# * `sleep(seconds)` waits in the simulator's seconds (use it for the docs' timers).
# * Handlers may be plain functions (keep them quick) or `async def` (they can `await`).
# * `channel.play(media, playback_id=...)` gives a `Playback`: `await playback.stop()`,
#   `playback.on("PlaybackFinished", handler)`.

# %%
import asyncio  # noqa: F401 (for your handlers: asyncio.ensure_future)
import os
import uuid  # noqa: F401 (for your handlers: str(uuid.uuid4()) as a playback id)

import arinb
from arinb.scenarios.exercises import check

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
sim = await arinb.simulate(speed=SPEED)
sim

# %% [markdown]
# ## Exercise 1 · channel-tones (extension 1000)
#
# When a channel enters the application, print `Channel NAME has entered the application` and play the
# French ringing tone `tone:ring;tonezone=fr` to the caller, **without answering** (early media). 8 s
# later, print `Answering channel NAME`, stop the tone and answer. 1 s after the answer, print
# `Hanging up channel NAME` and hang up. When the channel leaves, print
# `Channel NAME just left our application`.
#
# Asterisk sent: `StasisStart` → `PlaybackStarted` → *8 s* → `PlaybackFinished` → `ChannelStateChange`
# (Up) → *1 s* → `ChannelHangupRequest` → `StasisEnd`.
#
# The skeleton below prints the first and last lines. Complete it.


# %%
def tones_app(session, sleep):
    def stasis_start(event):
        channel = event.channel
        print(f"Channel {channel.name} has entered the application")
        # Your code: play the tone (keep the Playback), then start a task (asyncio.ensure_future)
        # that waits 8 s, stops the tone, answers, waits 1 s and hangs up, printing the docs' lines.

    def stasis_end(event):
        print(f"Channel {event.channel.name} just left our application")

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)


# %%
await check("tones", tones_app, sim)

# %% [markdown]
# ## Exercise 2 · channel-state (extension 1002)
#
# When a channel enters, print `Channel NAME has entered the application` and indicate ringing
# (`channel.ring()`). 2 s later print `Answering channel NAME`, answer, and play silence
# (`channel.silence()`). On every state change print `Channel NAME is now: STATE`. 4 s after the answer,
# print `Hanging up channel NAME` and hang up. When it leaves, print `Channel NAME just left our
# application`.
#
# Asterisk sent: `StasisStart` → *2 s* → `ChannelStateChange` (Up) → *4 s* → `ChannelHangupRequest` →
# `StasisEnd`.


# %%
def answer_app(session, sleep):
    def stasis_start(event):
        channel = event.channel
        print(f"Channel {channel.name} has entered the application")
        # Your code: ring, then a task that answers after 2 s and hangs up 4 s later.

    # Your code: a ChannelStateChange handler, and the StasisEnd handler.

    session.on("StasisStart", stasis_start)


# %%
await check("answer", answer_app, sim)

# %% [markdown]
# ## Exercise 3 · channel-playback-monkeys (extension 1001)
#
# When a channel enters, print `Monkeys! Attack NAME!` and play `sound:tt-monkeys` with a playback id,
# without answering. When **that** playback has finished, print
# `Monkeys successfully vanquished NAME; hanging them up` and hang up. When the channel leaves, print
# `Channel NAME just left our application`.
#
# Asterisk sent: `StasisStart` → `PlaybackStarted` → *16.18 s* → `PlaybackFinished` →
# `ChannelHangupRequest` → `StasisEnd`.


# %%
def monkeys_app(session, sleep):
    def stasis_start(event):
        channel = event.channel
        print(f"Monkeys! Attack {channel.name}!")
        # Your code: play the monkeys, and hang up when that playback has finished
        # (playback.on("PlaybackFinished", handler)).

    def stasis_end(event):
        print(f"Channel {event.channel.name} just left our application")

    session.on("StasisStart", stasis_start)
    session.on("StasisEnd", stasis_end)


# %%
await check("monkeys", monkeys_app, sim)

# %% [markdown]
# ## When you are done
#
# Save the notebook with its outputs (*File ▸ Save*) and hand it in: your teacher grades a folder of
# them with `arinb grade FOLDER`, which reads each check's result from the saved outputs.

# %%
await sim.close()
