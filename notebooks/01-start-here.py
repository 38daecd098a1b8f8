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
# # 01 · Start here: a call, a playback and its timeline
#
# **arinb** is a Jupyter kit for the Asterisk REST Interface (ARI). This notebook uses the **embedded
# simulator**: an Asterisk 22 stand-in that answers ARI exactly as a real one did in recorded traces.
# Nothing to install, no Asterisk needed. (Notebook 06 points the same code at a real Asterisk.)
#
# Run the cells one by one with **Shift+Enter**, or everything with *Run ▸ Run All Cells*.
#
# The simulator's dialplan is the one the ARI docs use (extensions 1000, 1001 and 1002 send calls to the
# apps of notebooks 02-04). Here we add extension 1003 for an application of our own, `probe`:
#
# ```
# exten => 1003,1,NoOp()
#  same => n,Stasis(probe)
#  same => n,Hangup()
# ```

# %%
import os

import arinb
from arinb.sim.dialplan import DEFAULT_DIALPLAN

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
# The docs' dialplan, plus extension 1003 for an application of our own, "probe".
DIALPLAN = (
    DEFAULT_DIALPLAN
    + """
exten => 1003,1,NoOp()
 same => n,Stasis(probe)
 same => n,Hangup()
"""
)
sim = await arinb.simulate(speed=SPEED, dialplan=DIALPLAN)
sim

# %% [markdown]
# ## Connect an application
#
# An ARI *application* is a name: calls that reach `Stasis(<name>)` in the dialplan are handed to whoever
# is connected with that name. `arinb.connect` opens the events WebSocket and a REST session.

# %%
session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="probe")
session

# %% [markdown]
# ## Call in
#
# `sim.call("1003", caller="alice")` is a phone dialling 1003. The dialplan sends the channel to
# `Stasis(probe)`, so our session receives a **StasisStart** event. We start waiting *before* calling,
# so the event cannot slip past.

# %%
entered = session.wait_for("StasisStart", timeout=10)
await sim.call("1003", caller="alice")
event = await entered
channel = event.channel
print(event.type, channel.name, channel.state)

# %% [markdown]
# The channel is in state **Ring**: nobody answered yet. Answer it and play a sound. `channel.play`
# gives a `Playback` at once; `await playback.finished()` waits for its **PlaybackFinished** event.

# %%
await channel.answer()
playback = channel.play("sound:tt-weasels", playback_id="weasels-1")
await playback
state = await playback.finished(timeout=60)
print("playback", playback.id, "ended:", state)

# %%
ended = session.wait_for("StasisEnd", timeout=10)
await channel.hangup()
await ended
print(channel.name, "left the application")

# %% [markdown]
# ## Read the timeline
#
# Every event, REST request and connection change of the session is in `session.timeline`: one row each,
# in arrival order, with the server's timestamp (simulated time here) and the receive time.

# %%
columns = ["seq", "kind", "type", "channel_state", "playback_id", "method", "path", "status"]
# A missing value shows as a blank (df itself keeps pandas' markers: NaN in categories, <NA> in strings).
session.timeline.df[columns].astype(object).fillna("")

# %% [markdown]
# `kind` says what a row is: an `event` from the WebSocket, a REST `request` we sent (with its `status`),
# or a `connection` change. `session.timeline.df` has every column (times, lag, raw JSON). Views answer
# common questions directly: one row per playback, with how long it played and how it ended
# (`playbacks()` has more columns: when it was queued, started and finished, its status, ...):

# %%
session.timeline.playbacks()[["playback_id", "media", "duration", "state"]]

# %% [markdown]
# The live view: it follows the session as events arrive (filters by type and channel, pause).

# %%
session.timeline.widget()

# %% [markdown]
# ## A phone
#
# The phone widget calls an extension of the simulator as a named caller, hangs up, and sends DTMF.
# Call 1003 and watch the timeline above gain rows (our `probe` session is still connected).

# %%
from arinb.widgets.phone import Phone

phone = Phone(sim, caller="bob", extension="1003")
phone

# %% [markdown]
# Next: **02-tones**, **03-answer** and **04-monkeys** walk through the three playback apps of the ARI
# docs; **05-debugging** shows what goes wrong and how the timeline tells you; **06-real-asterisk** runs
# the same code against a real Asterisk.
#
# When you are done: `await session.close()` and `await sim.close()` (or restart the kernel).
