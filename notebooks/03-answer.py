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
# # 03 · channel-state: ring, answer, hang up
#
# The ARI docs' **channel-state** app (extension 1002) indicates ringing, answers after 2 s (and plays
# silence), hangs up 4 s later, and prints every state change. A real Asterisk 22 sent:
#
# `StasisStart` (Ring) → *2 s* → `ChannelStateChange` (Up) → *4 s* → `ChannelHangupRequest` → `StasisEnd`
#
# `ring` and `silence` answer `204 No Content` and send **no event**: only the answer changes state.

# %%
import os

import arinb

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
sim = await arinb.simulate(speed=SPEED)
sim

# %%
sc = arinb.scenarios.answer(sim)
sc

# %% [markdown]
# **1 · call in** on extension 1002.

# %%
await sc.next()

# %% [markdown]
# **2 · ring**: the request succeeds, and no event follows.

# %%
await sc.next()

# %% [markdown]
# **3 · answer** 2 s after the call came in: `ChannelStateChange`, and the app prints the new state.

# %%
await sc.next()

# %% [markdown]
# **4 · hang up** 4 s after answering.

# %%
await sc.next()

# %%
sc.check()

# %% [markdown]
# ## The docs' app and its arinb form

# %% [markdown]
# <table><tr><th style='text-align:left'>The ARI docs (ari-py)</th><th style='text-align:left'>arinb</th></tr><tr><td style='vertical-align:top;text-align:left'><pre># The docs' channel-state app (ari-py; abridged, Python 3)
# def stasis_start_cb(channel_obj, ev):
#     channel = channel_obj.get('channel')
#     print("Channel %s has entered the application"
#           % channel.json.get('name'))
#     channel.ring()
#     timer = threading.Timer(2, answer_channel, [channel])
#     channel_timers[channel.id] = timer
#     timer.start()
# &nbsp;
# def answer_channel(channel):
#     print("Answering channel %s" % channel.json.get('name'))
#     channel.answer()
#     channel.startSilence()
#     timer = threading.Timer(4, hangup_channel, [channel])
#     channel_timers[channel.id] = timer
#     timer.start()
# &nbsp;
# def hangup_channel(channel):
#     print("Hanging up channel %s" % channel.json.get('name'))
#     channel.hangup()
# &nbsp;
# def channel_state_change_cb(channel, ev):
#     print("Channel %s is now: %s" % (channel.json.get('name'),
#                                      channel.json.get('state')))
# &nbsp;
# def stasis_end_cb(channel, ev):
#     print("Channel %s just left our application"
#           % channel.json.get('name'))
#     timer = channel_timers.pop(channel.id, None)
#     if timer:
#         timer.cancel()
# &nbsp;
# client.on_channel_event('StasisStart', stasis_start_cb)
# client.on_channel_event('ChannelStateChange',
#                         channel_state_change_cb)
# client.on_channel_event('StasisEnd', stasis_end_cb)
# client.run(apps='channel-state')</pre></td><td style='vertical-align:top;text-align:left'><pre>import asyncio
# &nbsp;
# session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-state")
# sleep = arinb.scenarios.sleeper(sim)
# channel_timers = {}
# &nbsp;
# async def answer_then_hang_up(channel):
#     await sleep(2)
#     print(f"Answering channel {channel.name}")
#     await channel.answer()
#     await channel.silence()
#     await sleep(4)
#     print(f"Hanging up channel {channel.name}")
#     await channel.hangup()
# &nbsp;
# def stasis_start(event):
#     channel = event.channel
#     print(f"Channel {channel.name} has entered the application")
#     channel.ring()
#     channel_timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel))
# &nbsp;
# def channel_state_change(event):
#     print(f"Channel {event.channel.name} is now: {event.channel.state}")
# &nbsp;
# def stasis_end(event):
#     print(f"Channel {event.channel.name} just left our application")
#     timer = channel_timers.pop(event.channel.id, None)
#     if timer and not timer.done():
#         timer.cancel()
# &nbsp;
# session.on("StasisStart", stasis_start)
# session.on("ChannelStateChange", channel_state_change)
# session.on("StasisEnd", stasis_end)
# &nbsp;
# # The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# # (Handlers print under the cell that is running, so the app and its call share this cell.)
# left = session.wait_for("StasisEnd", timeout=60)
# await sim.call("1002", caller="bob")
# await left</pre></td></tr></table>

# %%
import asyncio

session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-state")
sleep = arinb.scenarios.sleeper(sim)
channel_timers = {}


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
    channel_timers[channel.id] = asyncio.ensure_future(answer_then_hang_up(channel))


def channel_state_change(event):
    print(f"Channel {event.channel.name} is now: {event.channel.state}")


def stasis_end(event):
    print(f"Channel {event.channel.name} just left our application")
    timer = channel_timers.pop(event.channel.id, None)
    if timer and not timer.done():
        timer.cancel()


session.on("StasisStart", stasis_start)
session.on("ChannelStateChange", channel_state_change)
session.on("StasisEnd", stasis_end)

# The docs end with client.run(); here one caller dials in, and the cell waits until they left.
# (Handlers print under the cell that is running, so the app and its call share this cell.)
left = session.wait_for("StasisEnd", timeout=60)
await sim.call("1002", caller="bob")
await left

# %%
await session.close()

# %% [markdown]
# ## With buttons

# %%
stepper = arinb.scenarios.answer(sim)
stepper.widget()
