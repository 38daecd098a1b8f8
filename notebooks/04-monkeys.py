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
# # 04 · channel-playback-monkeys: a sound, then hang up
#
# The ARI docs' **channel-playback-monkeys** app (extension 1001) plays `sound:tt-monkeys` (16.18 s of
# howler monkeys) to the caller **without answering**, and hangs up when the playback finishes. A real
# Asterisk 22 sent:
#
# `StasisStart` (Ring) → `PlaybackStarted` → *16.18 s* → `PlaybackFinished` (done) → `ChannelHangupRequest` →
# `StasisEnd`
#
# There is **no `ChannelStateChange`**: the channel stays in state Ring the whole time.

# %%
import os

import arinb

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
sim = await arinb.simulate(speed=SPEED)
sim

# %% [markdown]
# ## The docs' app and its arinb form
#
# The docs attach a handler to the playback itself (`playback.on_event('PlaybackFinished', ...)`); arinb's
# `Playback` handle has `playback.on(...)` for the same.

# %% [markdown]
# <table><tr><th style='text-align:left'>The ARI docs (ari-py)</th><th style='text-align:left'>arinb</th></tr><tr><td style='vertical-align:top;text-align:left'><pre># The docs' channel-playback-monkeys app (ari-py; abridged)
# def stasis_start_cb(channel_obj, ev):
#     def playback_finished(playback, ev):
#         target_uri = playback.json.get('target_uri')
#         channel_id = target_uri.replace('channel:', '')
#         channel = client.channels.get(channelId=channel_id)
#         print("Monkeys successfully vanquished %s; "
#               "hanging them up" % channel.json.get('name'))
#         channel.hangup()
# &nbsp;
#     channel = channel_obj.get('channel')
#     print("Monkeys! Attack %s!" % channel.json.get('name'))
#     playback = channel.playWithId(
#         playbackId=str(uuid.uuid4()),
#         media='sound:tt-monkeys')
#     playback.on_event('PlaybackFinished', playback_finished)
# &nbsp;
# def stasis_end_cb(channel, ev):
#     print("Channel %s just left our application"
#           % channel.json.get('name'))
# &nbsp;
# client.on_channel_event('StasisStart', stasis_start_cb)
# client.on_channel_event('StasisEnd', stasis_end_cb)
# client.run(apps='channel-playback-monkeys')</pre></td><td style='vertical-align:top;text-align:left'><pre>import uuid
# &nbsp;
# session = await arinb.connect(sim.url, "asterisk", "asterisk",
#                               apps="channel-playback-monkeys")
# &nbsp;
# def stasis_start(event):
#     async def playback_finished(event):
#         target_uri = event.playback.target_uri
#         channel_id = target_uri.replace("channel:", "")
#         channel = await session.channels.get(channel_id)
#         print(f"Monkeys successfully vanquished {channel.name}; hanging them up")
#         await channel.hangup()
# &nbsp;
#     channel = event.channel
#     print(f"Monkeys! Attack {channel.name}!")
#     playback = channel.play("sound:tt-monkeys", playback_id=str(uuid.uuid4()))
#     playback.on("PlaybackFinished", playback_finished)
# &nbsp;
# def stasis_end(event):
#     print(f"Channel {event.channel.name} just left our application")
# &nbsp;
# session.on("StasisStart", stasis_start)
# session.on("StasisEnd", stasis_end)
# &nbsp;
# # The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# # (Handlers print under the cell that is running, so the app and its call share this cell.)
# left = session.wait_for("StasisEnd", timeout=120)
# await sim.call("1001", caller="carol")
# await left</pre></td></tr></table>

# %%
import uuid

session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-playback-monkeys")


def stasis_start(event):
    async def playback_finished(event):
        target_uri = event.playback.target_uri
        channel_id = target_uri.replace("channel:", "")
        channel = await session.channels.get(channel_id)
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

# The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# (Handlers print under the cell that is running, so the app and its call share this cell.)
left = session.wait_for("StasisEnd", timeout=120)
await sim.call("1001", caller="carol")
await left

# %% [markdown]
# The playback, as the timeline saw it: 16.18 simulated seconds from `PlaybackStarted` to `PlaybackFinished`.

# %%
session.timeline.playbacks()[["playback_id", "media", "duration", "state"]]

# %%
await session.close()

# %% [markdown]
# ## Step by step
#
# The same app as a scenario: each step shows its events.

# %%
sc = arinb.scenarios.monkeys(sim)
sc

# %%
await sc.next()  # call in

# %%
await sc.next()  # play the monkeys

# %%
await sc.next()  # listen: 16.18 s of simulated time

# %%
await sc.next()  # hang up

# %%
sc.check()

# %% [markdown]
# ## Hear the monkeys
#
# What the caller heard, rendered from the simulator's media log: the sound file itself, as Asterisk plays
# it.

# %%
clip = sc.audio()
clip

# %%
clip.waveform()

# %% [markdown]
# `tt-monkeys.wav` holds 129440 samples (16.18 s at 8 kHz), yet a real Asterisk 22 sends 22 fewer: its wav
# reader stops 44 bytes (the header's size) before the end of the data. The caller heard exactly the file
# minus those samples, then silence until the hangup.

# %%
import numpy as np

from arinb.audio import WAV_READ_LOST_SAMPLES, find_sound, playable_samples

path = find_sound("tt-monkeys")
if path is None:
    print("no tt-monkeys.wav installed (Debian: asterisk-core-sounds-en-wav): the clip is silent")
else:
    played = playable_samples(path)  # what Asterisk plays of the file
    print(f"the file: {played.size + WAV_READ_LOST_SAMPLES} samples; Asterisk plays {played.size}")
    first = int(np.flatnonzero(clip.samples)[0])
    heard = clip.samples[first : first + played.size]
    print(f"the sound starts {first / clip.rate:.3f} s into the call, lasts {heard.size / clip.rate:.5f} s")
    print("the caller heard exactly the played samples:", np.array_equal(heard, played))
    print("then silence until the hangup:", not clip.samples[first + played.size :].any())

# %% [markdown]
# ## With buttons
#
# After each step, the player holds what the caller heard so far.

# %%
stepper = arinb.scenarios.monkeys(sim)
stepper.widget()
