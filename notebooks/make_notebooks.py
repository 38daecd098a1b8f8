"""Write the arinb teaching notebooks (01-06) without outputs.

The notebooks are generated so that their text stays reviewable as Python and they are committed clean:

    python3 notebooks/make_notebooks.py          # rewrites notebooks/*.ipynb
    python3 notebooks/make_notebooks.py --check  # exit 1 if a committed notebook differs from this script

Every notebook runs top to bottom with Run All (top-level ``await``) against the embedded simulator.
``ARINB_SPEED`` sets how fast simulated time runs (CI uses 50); 06 uses a real Asterisk when
``ARINB_ARI_URL`` is set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PROBE_SETUP = """\
import os

import arinb
from arinb.sim.dialplan import DEFAULT_DIALPLAN

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
# The docs' dialplan, plus extension 1003 for an application of our own, "probe".
DIALPLAN = DEFAULT_DIALPLAN + \"\"\"
exten => 1003,1,NoOp()
 same => n,Stasis(probe)
 same => n,Hangup()
\"\"\"
sim = await arinb.simulate(speed=SPEED, dialplan=DIALPLAN)
sim"""

SETUP = """\
import os

import arinb

# Simulated seconds per real second: 4 is pleasant to watch; CI sets ARINB_SPEED=50.
SPEED = float(os.environ.get("ARINB_SPEED", "4"))
sim = await arinb.simulate(speed=SPEED)
sim"""


def side_by_side(left_title: str, left: str, right_title: str, right: str) -> str:
    """A two-column HTML table of code, for a markdown cell."""

    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return (
        "<table><tr>"
        f"<th style='text-align:left'>{left_title}</th><th style='text-align:left'>{right_title}</th></tr>"
        "<tr>"
        f"<td style='vertical-align:top;text-align:left'><pre>{esc(left)}</pre></td>"
        f"<td style='vertical-align:top;text-align:left'><pre>{esc(right)}</pre></td>"
        "</tr></table>"
    )


# ------------------------------------------------------------------------------------------- 01 start here

NB01 = [
    (
        "md",
        """\
# 01 · Start here: a call, a playback and its timeline

**arinb** is a Jupyter kit for the Asterisk REST Interface (ARI). This notebook uses the **embedded
simulator**: an Asterisk 22 stand-in that answers ARI exactly as a real one did in recorded traces.
Nothing to install, no Asterisk needed. (Notebook 06 points the same code at a real Asterisk.)

Run the cells one by one with **Shift+Enter**, or everything with *Run ▸ Run All Cells*.

The simulator's dialplan is the one the ARI docs use (extensions 1000, 1001 and 1002 send calls to the
apps of notebooks 02-04). Here we add extension 1003 for an application of our own, `probe`:

```
exten => 1003,1,NoOp()
 same => n,Stasis(probe)
 same => n,Hangup()
```""",
    ),
    ("code", PROBE_SETUP),
    (
        "md",
        """\
## Connect an application

An ARI *application* is a name: calls that reach `Stasis(<name>)` in the dialplan are handed to whoever
is connected with that name. `arinb.connect` opens the events WebSocket and a REST session.""",
    ),
    (
        "code",
        """\
session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="probe")
session""",
    ),
    (
        "md",
        """\
## Call in

`sim.call("1003", caller="alice")` is a phone dialling 1003. The dialplan sends the channel to
`Stasis(probe)`, so our session receives a **StasisStart** event. We start waiting *before* calling,
so the event cannot slip past.""",
    ),
    (
        "code",
        """\
entered = session.wait_for("StasisStart", timeout=10)
await sim.call("1003", caller="alice")
event = await entered
channel = event.channel
print(event.type, channel.name, channel.state)""",
    ),
    (
        "md",
        """\
The channel is in state **Ring**: nobody answered yet. Answer it and play a sound. `channel.play`
gives a `Playback` at once; `await playback.finished()` waits for its **PlaybackFinished** event.""",
    ),
    (
        "code",
        """\
await channel.answer()
playback = channel.play("sound:tt-weasels", playback_id="weasels-1")
await playback
state = await playback.finished(timeout=60)
print("playback", playback.id, "ended:", state)""",
    ),
    (
        "code",
        """\
ended = session.wait_for("StasisEnd", timeout=10)
await channel.hangup()
await ended
print(channel.name, "left the application")""",
    ),
    (
        "md",
        """\
## Read the timeline

Every event, REST request and connection change of the session is in `session.timeline`: one row each,
in arrival order, with the server's timestamp (simulated time here) and the receive time.""",
    ),
    (
        "code",
        """\
columns = ["seq", "kind", "type", "channel_state", "playback_id", "playback_state",
           "method", "path", "status"]
session.timeline.df[columns]""",
    ),
    (
        "md",
        """\
`kind` says what a row is: an `event` from the WebSocket, a REST `request` we sent (with its `status`),
or a `connection` change. `session.timeline.df` has every column (times, lag, raw JSON). Views answer
common questions directly: one row per playback, with how long it played and how it ended:""",
    ),
    ("code", "session.timeline.playbacks()"),
    ("md", "The live view: it follows the session as events arrive (filters by type and channel, pause)."),
    ("code", "session.timeline.widget()"),
    (
        "md",
        """\
## A phone

The phone widget calls an extension of the simulator as a named caller, hangs up, and sends DTMF.
Call 1003 and watch the timeline above gain rows (our `probe` session is still connected).""",
    ),
    (
        "code",
        """\
from arinb.widgets.phone import Phone

phone = Phone(sim, caller="bob", extension="1003")
phone""",
    ),
    (
        "md",
        """\
Next: **02-tones**, **03-answer** and **04-monkeys** walk through the three playback apps of the ARI
docs; **05-debugging** shows what goes wrong and how the timeline tells you; **06-real-asterisk** runs
the same code against a real Asterisk.

When you are done: `await session.close()` and `await sim.close()` (or restart the kernel).""",
    ),
]

# ------------------------------------------------------------------------------------------- 02 tones

TONES_DOCS = """\
# The docs' channel-tones app (ari-py; abridged, Python 3)
def stasis_start_cb(channel_obj, ev):
    channel = channel_obj.get('channel')
    print("Channel %s has entered the application"
          % channel.json.get('name'))
    playback = channel.playWithId(
        playbackId=str(uuid.uuid4()),
        media='tone:ring;tonezone=fr')
    timer = threading.Timer(8, answer_channel,
                            [channel, playback])
    channel_timers[channel.id] = timer
    timer.start()

def answer_channel(channel, playback):
    print("Answering channel %s" % channel.json.get('name'))
    playback.stop()
    channel.answer()
    timer = threading.Timer(1, hangup_channel, [channel])
    channel_timers[channel.id] = timer
    timer.start()

def hangup_channel(channel):
    print("Hanging up channel %s" % channel.json.get('name'))
    channel.hangup()

def stasis_end_cb(channel, ev):
    print("Channel %s just left our application"
          % channel.json.get('name'))
    timer = channel_timers.pop(channel.id, None)
    if timer:
        timer.cancel()

client.on_channel_event('StasisStart', stasis_start_cb)
client.on_channel_event('StasisEnd', stasis_end_cb)
client.run(apps='channel-tones')"""

TONES_ARINB = """\
import asyncio
import uuid

session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
sleep = arinb.scenarios.sleeper(sim)   # "8 s" on the simulator's clock
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
await left"""

NB02 = [
    (
        "md",
        """\
# 02 · channel-tones: a ringing tone as early media

The ARI docs' **channel-tones** app (extension 1000) plays French ringing, `tone:ring;tonezone=fr`, to a
caller whose call is **not answered yet** (*early media*), then after 8 s stops the tone, answers, and
hangs up 1 s later. A real Asterisk 22 sent:

`StasisStart` (Ring) → `PlaybackStarted` → *8 s* → `PlaybackFinished` (done) → `ChannelStateChange` (Up)
→ *1 s* → `ChannelHangupRequest` → `StasisEnd`

Why stop before answering? On Asterisk an **answer waits behind the playback in progress**, and a tone
never ends by itself (notebook 05 shows the answer stuck).""",
    ),
    ("code", SETUP),
    (
        "md",
        """\
## Step by step

`arinb.scenarios.tones(sim)` is the app as named steps. It brings its own call and cleans up after
itself. Each `await sc.next()` runs one step and shows what the app printed and which events arrived.
Times are simulated seconds after the call came in.""",
    ),
    (
        "code",
        """\
sc = arinb.scenarios.tones(sim)
sc""",
    ),
    ("md", "**1 · call in**: a caller dials 1000; the channel enters the application while still ringing."),
    ("code", "await sc.next()"),
    ("md", "**2 · play the ringing tone** on the unanswered channel, with a playback id we chose."),
    ("code", "await sc.next()"),
    ("md", "**3 · ring for 8 s**: no event; the channel stays in state Ring while the tone plays."),
    ("code", "await sc.next()"),
    ("md", "**4 · stop and answer**: the stop ends the playback (`done`), then the answer goes through."),
    ("code", "await sc.next()"),
    ("md", "**5 · hang up** 1 s after answering."),
    ("code", "await sc.next()"),
    (
        "md",
        """\
## Did it end as the docs say?

`sc.check()` compares the events and printed lines with the docs' run.""",
    ),
    ("code", "sc.check()"),
    (
        "md",
        "The same run as swimlanes: the channel's state (Ring, then Up), the tone's playback inside it, "
        "and each event and request on one time axis.",
    ),
    ("code", "arinb.plot.swimlanes(sc.timeline)"),
    ("code", "sc.timeline.playbacks()"),
    (
        "md",
        """\
## Hear it

`sc.audio()` is what the caller heard during the call, from its `StasisStart` to its end: the simulator
keeps a log of the media each channel sends and renders it as 8 kHz audio (on a real Asterisk, build the
scenario with `record_audio=True`: notebook 06). Press play: two rings of French ringing, then silence
from the stop until the hangup.""",
    ),
    ("code", "clip = sc.audio()\nclip"),
    ("code", "clip.waveform()"),
    ("code", "clip.spectrogram()"),
    (
        "md",
        """\
The same in numbers: the tone's frequency, its cadence (on 1.5 s, off 3.5 s, as Asterisk's `fr` tone zone
says), and the loudest sample after the stop (`PlaybackFinished`, in the events above).""",
    ),
    (
        "code",
        """\
(first_on, first_off), *_ = clip.bursts()
print(f"ringing tone: {clip.dominant_frequency(first_on + 0.05, first_off - 0.05):.1f} Hz")
for on, off in clip.on_off_cadence():
    print(f"  on {on:.3f} s" + (f", then off {off:.3f} s" if off is not None else ""))
stop = next(row.t for row in sc.events if row.type == "PlaybackFinished")
# (the tone generator lags the stop by one 20 ms frame)
print(f"stopped {stop:.2f} s after the call; loudest sample after that: {clip.peak(stop + 0.03)}")
print(f"the caller heard {clip.duration:.2f} s; each step's result has the call up to its end:")
for result in sc.results:
    print(f"  after {result.name!r}: {result.audio().duration:.2f} s")""",
    ),
    (
        "md",
        """\
## The docs' app and its arinb form

The docs write the app as event handlers and timers. arinb keeps that style: `session.on(...)` handlers
(plain or `async`), `channel.play(...)` with your own playback id, and `await`-able calls.""",
    ),
    ("md", side_by_side("The ARI docs (ari-py)", TONES_DOCS, "arinb", TONES_ARINB)),
    ("code", TONES_ARINB),
    ("code", "await session.close()"),
    (
        "md",
        """\
## Hear the stop

The docs stop the tone at 8 s, in one of the cadence's 3.5 s pauses, so the stop itself is silent. Stop it
in the middle of a ring to *hear* it cut: here 5.75 s after the call came in, some 0.75 s into the second
ring.""",
    ),
    (
        "code",
        """\
cut = arinb.scenarios.tones(sim)
cut.ring_for = 5.75
cut_clip = (await cut.run()).audio()
print("rings (start, end) in s:", [(round(a, 2), round(b, 2)) for a, b in cut_clip.bursts()])
cut_clip""",
    ),
    (
        "md",
        """\
## With buttons

The same scenario as a widget: **Step** runs one step (the current one is highlighted), **Run** the
rest, **Reset** hangs up and starts over. After each step a player holds what the caller heard so far;
the timeline under it fills as events arrive.""",
    ),
    (
        "code",
        """\
stepper = arinb.scenarios.tones(sim)
stepper.widget()""",
    ),
]

# ------------------------------------------------------------------------------------------- 03 answer

STATE_DOCS = """\
# The docs' channel-state app (ari-py; abridged, Python 3)
def stasis_start_cb(channel_obj, ev):
    channel = channel_obj.get('channel')
    print("Channel %s has entered the application"
          % channel.json.get('name'))
    channel.ring()
    timer = threading.Timer(2, answer_channel, [channel])
    channel_timers[channel.id] = timer
    timer.start()

def answer_channel(channel):
    print("Answering channel %s" % channel.json.get('name'))
    channel.answer()
    channel.startSilence()
    timer = threading.Timer(4, hangup_channel, [channel])
    channel_timers[channel.id] = timer
    timer.start()

def hangup_channel(channel):
    print("Hanging up channel %s" % channel.json.get('name'))
    channel.hangup()

def channel_state_change_cb(channel, ev):
    print("Channel %s is now: %s" % (channel.json.get('name'),
                                     channel.json.get('state')))

def stasis_end_cb(channel, ev):
    print("Channel %s just left our application"
          % channel.json.get('name'))
    timer = channel_timers.pop(channel.id, None)
    if timer:
        timer.cancel()

client.on_channel_event('StasisStart', stasis_start_cb)
client.on_channel_event('ChannelStateChange',
                        channel_state_change_cb)
client.on_channel_event('StasisEnd', stasis_end_cb)
client.run(apps='channel-state')"""

STATE_ARINB = """\
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
await left"""

NB03 = [
    (
        "md",
        """\
# 03 · channel-state: ring, answer, hang up

The ARI docs' **channel-state** app (extension 1002) indicates ringing, answers after 2 s (and plays
silence), hangs up 4 s later, and prints every state change. A real Asterisk 22 sent:

`StasisStart` (Ring) → *2 s* → `ChannelStateChange` (Up) → *4 s* → `ChannelHangupRequest` → `StasisEnd`

`ring` and `silence` answer `204 No Content` and send **no event**: only the answer changes state.""",
    ),
    ("code", SETUP),
    ("code", "sc = arinb.scenarios.answer(sim)\nsc"),
    ("md", "**1 · call in** on extension 1002."),
    ("code", "await sc.next()"),
    ("md", "**2 · ring**: the request succeeds, and no event follows."),
    ("code", "await sc.next()"),
    (
        "md",
        "**3 · answer** 2 s after the call came in: `ChannelStateChange`, and the app prints the new state.",
    ),
    ("code", "await sc.next()"),
    ("md", "**4 · hang up** 4 s after answering."),
    ("code", "await sc.next()"),
    ("code", "sc.check()"),
    (
        "md",
        """\
## The docs' app and its arinb form""",
    ),
    ("md", side_by_side("The ARI docs (ari-py)", STATE_DOCS, "arinb", STATE_ARINB)),
    ("code", STATE_ARINB),
    ("code", "await session.close()"),
    ("md", "## With buttons"),
    ("code", "stepper = arinb.scenarios.answer(sim)\nstepper.widget()"),
]

# ------------------------------------------------------------------------------------------- 04 monkeys

MONKEYS_DOCS = """\
# The docs' channel-playback-monkeys app (ari-py; abridged)
def stasis_start_cb(channel_obj, ev):
    def playback_finished(playback, ev):
        target_uri = playback.json.get('target_uri')
        channel_id = target_uri.replace('channel:', '')
        channel = client.channels.get(channelId=channel_id)
        print("Monkeys successfully vanquished %s; "
              "hanging them up" % channel.json.get('name'))
        channel.hangup()

    channel = channel_obj.get('channel')
    print("Monkeys! Attack %s!" % channel.json.get('name'))
    playback = channel.playWithId(
        playbackId=str(uuid.uuid4()),
        media='sound:tt-monkeys')
    playback.on_event('PlaybackFinished', playback_finished)

def stasis_end_cb(channel, ev):
    print("Channel %s just left our application"
          % channel.json.get('name'))

client.on_channel_event('StasisStart', stasis_start_cb)
client.on_channel_event('StasisEnd', stasis_end_cb)
client.run(apps='channel-playback-monkeys')"""

MONKEYS_ARINB = """\
import uuid

session = await arinb.connect(sim.url, "asterisk", "asterisk",
                              apps="channel-playback-monkeys")

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
await left"""

NB04 = [
    (
        "md",
        """\
# 04 · channel-playback-monkeys: a sound, then hang up

The ARI docs' **channel-playback-monkeys** app (extension 1001) plays `sound:tt-monkeys` (16.18 s of
howler monkeys) to the caller **without answering**, and hangs up when the playback finishes. A real
Asterisk 22 sent:

`StasisStart` (Ring) → `PlaybackStarted` → *16.18 s* → `PlaybackFinished` (done) → `ChannelHangupRequest` →
`StasisEnd`

There is **no `ChannelStateChange`**: the channel stays in state Ring the whole time.""",
    ),
    ("code", SETUP),
    (
        "md",
        """\
## The docs' app and its arinb form

The docs attach a handler to the playback itself (`playback.on_event('PlaybackFinished', ...)`); arinb's
`Playback` handle has `playback.on(...)` for the same.""",
    ),
    ("md", side_by_side("The ARI docs (ari-py)", MONKEYS_DOCS, "arinb", MONKEYS_ARINB)),
    ("code", MONKEYS_ARINB),
    (
        "md",
        "The playback, as the timeline saw it: 16.18 simulated seconds from `PlaybackStarted` to "
        "`PlaybackFinished`.",
    ),
    ("code", "session.timeline.playbacks()"),
    ("code", "await session.close()"),
    (
        "md",
        """\
## Step by step

The same app as a scenario: each step shows its events.""",
    ),
    ("code", "sc = arinb.scenarios.monkeys(sim)\nsc"),
    ("code", "await sc.next()   # call in"),
    ("code", "await sc.next()   # play the monkeys"),
    ("code", "await sc.next()   # listen: 16.18 s of simulated time"),
    ("code", "await sc.next()   # hang up"),
    ("code", "sc.check()"),
    (
        "md",
        """\
## Hear the monkeys

What the caller heard, rendered from the simulator's media log: the sound file itself, as Asterisk plays
it.""",
    ),
    ("code", "clip = sc.audio()\nclip"),
    ("code", "clip.waveform()"),
    (
        "md",
        """\
`tt-monkeys.wav` holds 129440 samples (16.18 s at 8 kHz), yet a real Asterisk 22 sends 22 fewer: its wav
reader stops 44 bytes (the header's size) before the end of the data. The caller heard exactly the file
minus those samples, then silence until the hangup.""",
    ),
    (
        "code",
        """\
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
    print("then silence until the hangup:", not clip.samples[first + played.size :].any())""",
    ),
    ("md", "## With buttons\n\nAfter each step, the player holds what the caller heard so far."),
    ("code", "stepper = arinb.scenarios.monkeys(sim)\nstepper.widget()"),
]

# ------------------------------------------------------------------------------------------- 05 debugging

NB05 = [
    (
        "md",
        """\
# 05 · Debugging with the timeline

Four things that surprise people on a real Asterisk, reproduced on the simulator, and how the timeline
shows them:

1. a sound that does not exist,
2. a second playback that is queued behind the first,
3. an answer blocked behind an endless tone,
4. reading and comparing two runs' timelines.

We use the `probe` application on extension 1003.""",
    ),
    ("code", PROBE_SETUP),
    (
        "code",
        """\
session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="probe")
sleep = arinb.scenarios.sleeper(sim)
# The timeline columns worth reading here (session.timeline.df has them all).
COLUMNS = ["seq", "kind", "type", "method", "path", "status", "elapsed", "channel_state", "playback_id",
           "playback_state"]


async def call_in(caller):
    entered = session.wait_for("StasisStart", timeout=10)
    await sim.call("1003", caller=caller)
    return (await entered).channel


channel = await call_in("alice")
await channel.answer()
channel.name, channel.state""",
    ),
    (
        "md",
        """\
## 1 · A sound that does not exist

The play request **succeeds** (`201 Created`) and a `PlaybackStarted` follows; only then does Asterisk
notice, and the `PlaybackFinished` event says `"state": "failed"`. No error comes back from the
request, so look at the finish state.""",
    ),
    (
        "code",
        """\
missing = channel.play("sound:does-not-exist", playback_id="missing-sound")
await missing
await missing.finished(timeout=10)""",
    ),
    ("code", 'session.timeline.for_playback("missing-sound")[COLUMNS]'),
    (
        "md",
        """\
## 2 · A second playback is queued

A play while another is playing is accepted at once, in state `queued`; it starts in the same
millisecond the first one finishes. The timeline's playback table shows when each one really started.""",
    ),
    (
        "code",
        """\
first = channel.play("sound:tt-weasels", playback_id="first")
second = channel.play("sound:beep", playback_id="second")
await first
await second
await second.finished(timeout=60)
session.timeline.playbacks()""",
    ),
    (
        "md",
        """\
## 3 · An answer blocked behind an endless tone

On a ringing channel, play a tone (tones never end by themselves) and then answer. The answer
request does not come back: Asterisk queues it behind the playback. Only stopping the tone lets it
through. This is why the docs' channel-tones app stops its playback before answering.""",
    ),
    (
        "code",
        """\
ringing = await call_in("dave")
tone = ringing.play("tone:ring;tonezone=fr", playback_id="endless-tone")
await tone
answering = ringing.answer()        # sent now; not awaited yet
await sleep(3)
print("after 3 s, answered?", answering.done(), "- state:", ringing.state)""",
    ),
    (
        "code",
        """\
await tone.stop()
await answering
await sleep(0.1)
print("after the stop, answered?", answering.done(), "- state:", ringing.state)""",
    ),
    (
        "md",
        """\
The REST rows of the timeline show it: the answer request's `elapsed` is about 3 s of simulated time
divided by the speed, and its reply came right after the `PlaybackFinished` of the tone.""",
    ),
    ("code", "session.timeline.for_channel(ringing.id)[COLUMNS]"),
    (
        "code",
        """\
await ringing.hangup()
await channel.hangup()
await session.close()""",
    ),
    (
        "md",
        """\
## 4 · Reading and comparing timelines

Run the channel-tones scenario twice, save the first timeline, read it back and compare it with the
second. `compare` leaves out what always differs between runs (ids, channel names, the clock) and
checks the events, their order and the time between them.""",
    ),
    (
        "code",
        """\
import tempfile
from pathlib import Path

first_run = await arinb.scenarios.tones(sim).run()
path = Path(tempfile.mkdtemp()) / "tones-run-1.parquet"
first_run.timeline.save(path)
second_run = await arinb.scenarios.tones(sim).run()
print(first_run.check, second_run.check, sep="\\n")""",
    ),
    (
        "code",
        """\
saved = arinb.Timeline.read(path)
# Times are simulated seconds. A sped-up clock stretches the client's reaction time too (1 ms of
# wall time is 50 simulated ms at speed 50), hence a tolerance of 1 s.
saved.compare(second_run.timeline, tolerance=1.0)""",
    ),
    (
        "md",
        """\
What a real difference looks like: the channel-state run has no playback, so the comparison lists the
tones run's `PlaybackStarted` and `PlaybackFinished` as missing from it.""",
    ),
    (
        "code",
        """\
answer_run = await arinb.scenarios.answer(sim).run()
print(saved.compare(answer_run.timeline, tolerance=1.0).summary())""",
    ),
]

# ------------------------------------------------------------------------------------------- 06 real

NB06 = [
    (
        "md",
        """\
# 06 · The same scenarios on a real Asterisk

Everything in 01-05 works against a real Asterisk (tested with 22.10.1). Set three things up on the
Asterisk machine, then point arinb at its URL.

**http.conf**: the built-in HTTP server that carries ARI

```ini
[general]
enabled = yes
bindaddr = 127.0.0.1   ; or the address your notebook reaches
bindport = 8088
```

**ari.conf**: turn ARI on and create a user

```ini
[general]
enabled = yes

[asterisk]
type = user
read_only = no
password = asterisk    ; choose your own
```

**extensions.conf**: the docs' extensions, plus `wait`, which the scenarios originate into (a `Local`
channel needs somewhere to go for its other half)

```ini
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(channel-tones)
 same => n,Hangup()
exten => 1001,1,NoOp()
 same => n,Stasis(channel-playback-monkeys)
 same => n,Hangup()
exten => 1002,1,NoOp()
 same => n,Stasis(channel-state)
 same => n,Hangup()
exten => wait,1,Answer()
 same => n,Wait(300)
 same => n,Hangup()
```

Reload (`asterisk -rx "core reload"`), then check from the notebook's machine:
`curl -u asterisk:asterisk http://127.0.0.1:8088/ari/asterisk/info`.

Set `ARINB_ARI_URL` (and `ARINB_ARI_USER`, `ARINB_ARI_PASSWORD`) in the notebook server's environment.
Without `ARINB_ARI_URL` this notebook runs against the embedded simulator, reached **by URL** the same
way.""",
    ),
    (
        "code",
        """\
import os

import arinb

SPEED = float(os.environ.get("ARINB_SPEED", "4"))
URL = os.environ.get("ARINB_ARI_URL")
USER = os.environ.get("ARINB_ARI_USER", "asterisk")
PASSWORD = os.environ.get("ARINB_ARI_PASSWORD", "asterisk")

if URL:
    sim = None                     # a real Asterisk: waits follow the wall clock
    print("Real Asterisk at", URL)
else:
    sim = await arinb.simulate(speed=SPEED)
    URL = sim.url
    print("No ARINB_ARI_URL: using the embedded simulator at", URL)""",
    ),
    (
        "md",
        """\
Each scenario originates `Local/<extension>@default` into `default,wait,1`, as on a real Asterisk: the
`;2` half runs the extension and enters the application in state Ring, like an inbound call.""",
    ),
    (
        "code",
        """\
results = {}
for make in (arinb.scenarios.tones, arinb.scenarios.answer, arinb.scenarios.monkeys):
    sc = make(URL, username=USER, password=PASSWORD, sim=sim, originate=True)
    results[sc.title] = await sc.run()
    print(f"--- {sc.title} ({sc.app}, extension {sc.extension})")
    print("\\n".join(results[sc.title].lines))
    print(results[sc.title].check)""",
    ),
    ("code", 'results["tones"].timeline.playbacks()'),
    (
        "md",
        """\
## Hear a channel through ARI

A real Asterisk keeps no media log, but ARI can record what a channel sends to its caller:
`channel.audio(seconds)` starts a **snoop** channel on the channel's outgoing audio (`spy=out`), records it,
fetches the wav over ARI and deletes the recording and the snoop again. The snoop channel enters your
application too (a `StasisStart` for `Snoop/...`): the docs' apps in `arinb.scenarios` skip it, and your
handlers should as well.

`sleep` says how long the seconds are: the wall clock on a real Asterisk, the simulator's clock here.""",
    ),
    (
        "code",
        """\
session = await arinb.connect(URL, USER, PASSWORD, apps="probe-audio")
entered = session.wait_for("StasisStart", timeout=10)
# A Local channel straight into our application (no dialplan needed); we play to its ;1 half.
await session.channels.originate(endpoint="Local/wait@default", app="probe-audio")
channel = (await entered).channel
started = session.wait_for("RecordingStarted", timeout=10)
listening = channel.audio(6, sleep=arinb.scenarios.sleeper(sim))  # 6 s from now
await started
await channel.play("tone:ring;tonezone=fr")
clip = await listening
print(f"{clip.duration:.2f} s recorded: {clip.dominant_frequency(0.6, 1.4):.0f} Hz")
print("on/off (s):", [(round(on, 2), off and round(off, 2)) for on, off in clip.on_off_cadence()])
await channel.hangup()
await session.close()
clip""",
    ),
    (
        "md",
        """\
A scenario built with `record_audio=True` records its call this way from `StasisStart` to the hangup, so
that `result.audio()` works on a real Asterisk too (on the simulator it is only needed to try it out).""",
    ),
    (
        "code",
        """\
sc = arinb.scenarios.monkeys(
    URL, username=USER, password=PASSWORD, sim=sim, originate=True, record_audio=True
)
run = await sc.run()
print(run.check)
heard = run.audio()
print(f"recorded {heard.duration:.2f} s through a snoop channel")
heard""",
    ),
    (
        "code",
        """\
if sim is not None:
    await sim.close()""",
    ),
]

NOTEBOOKS = {
    "01-start-here.ipynb": NB01,
    "02-tones.ipynb": NB02,
    "03-answer.ipynb": NB03,
    "04-monkeys.ipynb": NB04,
    "05-debugging.ipynb": NB05,
    "06-real-asterisk.ipynb": NB06,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, text) in enumerate(cells):
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"c{i:02d}"  # stable ids: regenerating gives identical files
        nb.cells.append(cell)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write to")
    args = parser.parse_args(argv)
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(cells)) + "\n"
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
            continue
        path.write_text(text)
    if stale:
        print("out of date (run notebooks/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
