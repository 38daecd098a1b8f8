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
# # 02 · channel-tones: a ringing tone as early media
#
# The ARI docs' **channel-tones** app (extension 1000) plays French ringing, `tone:ring;tonezone=fr`, to a
# caller whose call is **not answered yet** (*early media*), then after 8 s stops the tone, answers, and
# hangs up 1 s later. A real Asterisk 22 sent:
#
# `StasisStart` (Ring) → `PlaybackStarted` → *8 s* → `PlaybackFinished` (done) → `ChannelStateChange` (Up)
# → *1 s* → `ChannelHangupRequest` → `StasisEnd`
#
# Why stop before answering? On Asterisk an **answer waits behind the playback in progress**, and a tone
# never ends by itself (notebook 05 shows the answer stuck).

# %%
import os

import arinb

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
sim = await arinb.simulate(speed=SPEED)
sim

# %% [markdown]
# ## Step by step
#
# `arinb.scenarios.tones(sim)` is the app as named steps. It brings its own call and cleans up after
# itself. Each `await sc.next()` runs one step and shows what the app printed and which events arrived.
# Times are simulated seconds after the call came in.

# %%
sc = arinb.scenarios.tones(sim)
sc

# %% [markdown]
# **1 · call in**: a caller dials 1000; the channel enters the application while still ringing.

# %%
await sc.next()

# %% [markdown]
# **2 · play the ringing tone** on the unanswered channel, with a playback id we chose.

# %%
await sc.next()

# %% [markdown]
# **3 · ring for 8 s**: no event; the channel stays in state Ring while the tone plays.

# %%
await sc.next()

# %% [markdown]
# **4 · stop and answer**: the stop ends the playback (`done`), then the answer goes through.

# %%
await sc.next()

# %% [markdown]
# **5 · hang up** 1 s after answering.

# %%
await sc.next()

# %% [markdown]
# ## Did it end as the docs say?
#
# `sc.check()` compares the events and printed lines with the docs' run.

# %%
sc.check()

# %% [markdown]
# The same run as swimlanes: the channel's state (Ring, then Up), the tone's playback inside it, and each event and request on one time axis.

# %%
arinb.plot.swimlanes(sc.timeline)

# %%
sc.timeline.playbacks()[["playback_id", "media", "duration", "state"]]

# %% [markdown]
# ## Hear it
#
# `sc.audio()` is what the caller heard during the call, from its `StasisStart` to its end: the simulator
# keeps a log of the media each channel sends and renders it as 8 kHz audio (on a real Asterisk, build the
# scenario with `record_audio=True`: notebook 06). Press play: two rings of French ringing, then silence
# from the stop until the hangup.

# %%
clip = sc.audio()
clip

# %%
clip.waveform()

# %%
clip.spectrogram()

# %% [markdown]
# The same in numbers: the tone's frequency, its cadence (on 1.5 s, off 3.5 s, as Asterisk's `fr` tone zone
# says), and the loudest sample after the stop (`PlaybackFinished`, in the events above).

# %%
(first_on, first_off), *_ = clip.bursts()
print(f"ringing tone: {clip.dominant_frequency(first_on + 0.05, first_off - 0.05):.1f} Hz")
for on, off in clip.on_off_cadence():
    print(f"  on {on:.3f} s" + (f", then off {off:.3f} s" if off is not None else ""))
stop = next(row.t for row in sc.events if row.type == "PlaybackFinished")
# (the tone generator lags the stop by one 20 ms frame)
print(f"stopped {stop:.2f} s after the call; loudest sample after that: {clip.peak(stop + 0.03)}")
print(f"the caller heard {clip.duration:.2f} s; each step's result has the call up to its end:")
for result in sc.results:
    print(f"  after {result.name!r}: {result.audio().duration:.2f} s")

# %% [markdown]
# ## The docs' app and its arinb form
#
# The docs write the app as event handlers and timers. arinb keeps that style: `session.on(...)` handlers
# (plain or `async`), `channel.play(...)` with your own playback id, and `await`-able calls.

# %% [markdown]
# <table><tr><th style='text-align:left'>The ARI docs (ari-py)</th><th style='text-align:left'>arinb</th></tr><tr><td style='vertical-align:top;text-align:left'><pre># The docs' channel-tones app (ari-py; abridged, Python 3)
# def stasis_start_cb(channel_obj, ev):
#     channel = channel_obj.get('channel')
#     print("Channel %s has entered the application"
#           % channel.json.get('name'))
#     playback = channel.playWithId(
#         playbackId=str(uuid.uuid4()),
#         media='tone:ring;tonezone=fr')
#     timer = threading.Timer(8, answer_channel,
#                             [channel, playback])
#     channel_timers[channel.id] = timer
#     timer.start()
# &nbsp;
# def answer_channel(channel, playback):
#     print("Answering channel %s" % channel.json.get('name'))
#     playback.stop()
#     channel.answer()
#     timer = threading.Timer(1, hangup_channel, [channel])
#     channel_timers[channel.id] = timer
#     timer.start()
# &nbsp;
# def hangup_channel(channel):
#     print("Hanging up channel %s" % channel.json.get('name'))
#     channel.hangup()
# &nbsp;
# def stasis_end_cb(channel, ev):
#     print("Channel %s just left our application"
#           % channel.json.get('name'))
#     timer = channel_timers.pop(channel.id, None)
#     if timer:
#         timer.cancel()
# &nbsp;
# client.on_channel_event('StasisStart', stasis_start_cb)
# client.on_channel_event('StasisEnd', stasis_end_cb)
# client.run(apps='channel-tones')</pre></td><td style='vertical-align:top;text-align:left'><pre>import asyncio
# import uuid
# &nbsp;
# session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
# sleep = arinb.scenarios.sleeper(sim)   # "8 s" on the simulator's clock
# channel_timers = {}
# &nbsp;
# async def answer_then_hang_up(channel, playback):
#     await sleep(8)
#     print(f"Answering channel {channel.name}")
#     await playback.stop()
#     await channel.answer()
#     await sleep(1)
#     print(f"Hanging up channel {channel.name}")
#     await channel.hangup()
# &nbsp;
# def stasis_start(event):
#     channel = event.channel
#     print(f"Channel {channel.name} has entered the application")
#     playback = channel.play("tone:ring;tonezone=fr", playback_id=str(uuid.uuid4()))
#     channel_timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel, playback))
# &nbsp;
# def stasis_end(event):
#     print(f"Channel {event.channel.name} just left our application")
#     timer = channel_timers.pop(event.channel.id, None)
#     if timer and not timer.done():
#         timer.cancel()
# &nbsp;
# session.on("StasisStart", stasis_start)
# session.on("StasisEnd", stasis_end)
# &nbsp;
# # The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# # (Handlers print under the cell that is running, so the app and its call share this cell.)
# left = session.wait_for("StasisEnd", timeout=60)
# await sim.call("1000", caller="bob")
# await left</pre></td></tr></table>

# %%
import asyncio
import uuid

session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
sleep = arinb.scenarios.sleeper(sim)  # "8 s" on the simulator's clock
channel_timers = {}


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
    channel_timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel, playback))


def stasis_end(event):
    print(f"Channel {event.channel.name} just left our application")
    timer = channel_timers.pop(event.channel.id, None)
    if timer and not timer.done():
        timer.cancel()


session.on("StasisStart", stasis_start)
session.on("StasisEnd", stasis_end)

# The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# (Handlers print under the cell that is running, so the app and its call share this cell.)
left = session.wait_for("StasisEnd", timeout=60)
await sim.call("1000", caller="bob")
await left

# %%
await session.close()

# %% [markdown]
# ## Hear the stop
#
# The docs stop the tone at 8 s, in one of the cadence's 3.5 s pauses, so the stop itself is silent. Stop it
# in the middle of a ring to *hear* it cut: here 5.75 s after the call came in, some 0.75 s into the second
# ring.

# %%
cut = arinb.scenarios.tones(sim)
cut.ring_for = 5.75
cut_clip = (await cut.run()).audio()
print("rings (start, end) in s:", [(round(a, 2), round(b, 2)) for a, b in cut_clip.bursts()])
cut_clip

# %% [markdown]
# ## With buttons
#
# The same scenario as a widget: **Step** runs one step (the current one is highlighted), **Run** the
# rest, **Reset** hangs up and starts over. After each step a player holds what the caller heard so far;
# the timeline under it fills as events arrive.

# %%
stepper = arinb.scenarios.tones(sim)
stepper.widget()
