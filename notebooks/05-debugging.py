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
# # 05 · Debugging with the timeline
#
# Four things that surprise people on a real Asterisk, reproduced on the simulator, and how the timeline
# shows them:
#
# 1. a sound that does not exist,
# 2. a second playback that is queued behind the first,
# 3. an answer blocked behind an endless tone,
# 4. reading and comparing two runs' timelines.
#
# We use the `probe` application on extension 1003.

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

# %%
session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="probe")
sleep = arinb.scenarios.sleeper(sim)
# The timeline columns worth reading here (session.timeline.df has them all; its index is the row's seq).
COLUMNS = [
    "kind",
    "type",
    "method",
    "path",
    "status",
    "channel_state",
    "playback_id",
    "playback_state",
]


def table(rows):
    """Those columns, with a blank for a missing value (df keeps pandas' NaN and <NA> markers)."""
    return rows[COLUMNS].astype(object).fillna("")


async def call_in(caller):
    entered = session.wait_for("StasisStart", timeout=10)
    await sim.call("1003", caller=caller)
    return (await entered).channel


channel = await call_in("alice")
await channel.answer()
channel.name, channel.state

# %% [markdown]
# ## 1 · A sound that does not exist
#
# The play request **succeeds** (`201 Created`) and a `PlaybackStarted` follows; only then does Asterisk
# notice, and the `PlaybackFinished` event says `"state": "failed"`. No error comes back from the
# request, so look at the finish state.

# %%
missing = channel.play("sound:does-not-exist", playback_id="missing-sound")
await missing
await missing.finished(timeout=10)

# %%
table(session.timeline.for_playback("missing-sound"))

# %% [markdown]
# ## 2 · A second playback is queued
#
# A play while another is playing is accepted at once, in state `queued`; it starts in the same
# millisecond the first one finishes. The timeline's playback table shows when each one really started.

# %%
first = channel.play("sound:tt-weasels", playback_id="first")
second = channel.play("sound:beep", playback_id="second")
await first
await second
await second.finished(timeout=60)
session.timeline.playbacks()[["playback_id", "media", "state", "started", "finished", "duration"]]

# %% [markdown]
# ## 3 · An answer blocked behind an endless tone
#
# On a ringing channel, play a tone (tones never end by themselves) and then answer. The answer
# request does not come back: Asterisk queues it behind the playback. Only stopping the tone lets it
# through. This is why the docs' channel-tones app stops its playback before answering.

# %%
ringing = await call_in("dave")
tone = ringing.play("tone:ring;tonezone=fr", playback_id="endless-tone")
await tone
answering = ringing.answer()  # sent now; not awaited yet
await sleep(3)
print("after 3 s, answered?", answering.done(), "- state:", ringing.state)

# %%
await tone.stop()
await answering
await sleep(0.1)
print("after the stop, answered?", answering.done(), "- state:", ringing.state)

# %% [markdown]
# The REST rows of the timeline show it: the answer request's `elapsed` is about 3 s of simulated time
# divided by the speed, and its reply came right after the `PlaybackFinished` of the tone.

# %%
table(session.timeline.for_channel(ringing.id))

# %%
await ringing.hangup()
await channel.hangup()
await session.close()

# %% [markdown]
# ## 4 · Reading and comparing timelines
#
# Run the channel-tones scenario twice, save the first timeline, read it back and compare it with the
# second. `compare` leaves out what always differs between runs (ids, channel names, the clock) and
# checks the events, their order and the time between them.

# %%
import tempfile
from pathlib import Path

first_run = await arinb.scenarios.tones(sim).run()
path = Path(tempfile.mkdtemp()) / "tones-run-1.parquet"
first_run.timeline.save(path)
second_run = await arinb.scenarios.tones(sim).run()
print(first_run.check, second_run.check, sep="\n")

# %%
saved = arinb.Timeline.read(path)
# Times are simulated seconds. A sped-up clock stretches the client's reaction time too (1 ms of
# wall time is 50 simulated ms at speed 50), hence a tolerance of 1 s.
saved.compare(second_run.timeline, tolerance=1.0)

# %% [markdown]
# What a real difference looks like: the channel-state run has no playback, so the comparison lists the
# tones run's `PlaybackStarted` and `PlaybackFinished` as missing from it.

# %%
answer_run = await arinb.scenarios.answer(sim).run()
print(saved.compare(answer_run.timeline, tolerance=1.0).summary())
