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
# # 06 · The same scenarios on a real Asterisk
#
# Everything in 01-05 works against a real Asterisk (tested with 22.10.1). Set three things up on the
# Asterisk machine, then point arinb at its URL.
#
# **http.conf**: the built-in HTTP server that carries ARI
#
# ```ini
# [general]
# enabled = yes
# bindaddr = 127.0.0.1   ; or the address your notebook reaches
# bindport = 8088
# ```
#
# **ari.conf**: turn ARI on and create a user
#
# ```ini
# [general]
# enabled = yes
#
# [asterisk]
# type = user
# read_only = no
# password = asterisk    ; choose your own
# ```
#
# **extensions.conf**: the docs' extensions, plus `wait`, which the scenarios originate into (a `Local`
# channel needs somewhere to go for its other half)
#
# ```ini
# [default]
# exten => 1000,1,NoOp()
#  same => n,Stasis(channel-tones)
#  same => n,Hangup()
# exten => 1001,1,NoOp()
#  same => n,Stasis(channel-playback-monkeys)
#  same => n,Hangup()
# exten => 1002,1,NoOp()
#  same => n,Stasis(channel-state)
#  same => n,Hangup()
# exten => wait,1,Answer()
#  same => n,Wait(300)
#  same => n,Hangup()
# ```
#
# Reload (`asterisk -rx "core reload"`), then check from the notebook's machine:
# `curl -u asterisk:asterisk http://127.0.0.1:8088/ari/asterisk/info`.
#
# Set `ARINB_ARI_URL` (and `ARINB_ARI_USER`, `ARINB_ARI_PASSWORD`) in the notebook server's environment.
# Without `ARINB_ARI_URL` this notebook runs against the embedded simulator, reached **by URL** the same
# way.

# %%
import os

import arinb

SPEED = float(os.environ.get("ARINB_SPEED", "4"))
URL = os.environ.get("ARINB_ARI_URL")
USER = os.environ.get("ARINB_ARI_USER", "asterisk")
PASSWORD = os.environ.get("ARINB_ARI_PASSWORD", "asterisk")

if URL:
    sim = None  # a real Asterisk: waits follow the wall clock
    print("Real Asterisk at", URL)
else:
    sim = await arinb.simulate(speed=SPEED)
    URL = sim.url
    print("No ARINB_ARI_URL: using the embedded simulator at", URL)

# %% [markdown]
# Each scenario originates `Local/<extension>@default` into `default,wait,1`, as on a real Asterisk: the
# `;2` half runs the extension and enters the application in state Ring, like an inbound call.

# %%
results = {}
for make in (arinb.scenarios.tones, arinb.scenarios.answer, arinb.scenarios.monkeys):
    sc = make(URL, username=USER, password=PASSWORD, sim=sim, originate=True)
    results[sc.title] = await sc.run()
    print(f"--- {sc.title} ({sc.app}, extension {sc.extension})")
    print("\n".join(results[sc.title].lines))
    print(results[sc.title].check)

# %%
results["tones"].timeline.playbacks()[["playback_id", "media", "duration", "state"]]

# %% [markdown]
# ## Hear a channel through ARI
#
# A real Asterisk keeps no media log, but ARI can record what a channel sends to its caller:
# `channel.audio(seconds)` starts a **snoop** channel on the channel's outgoing audio (`spy=out`), records it,
# fetches the wav over ARI and deletes the recording and the snoop again. The snoop channel enters your
# application too (a `StasisStart` for `Snoop/...`): the docs' apps in `arinb.scenarios` skip it, and your
# handlers should as well.
#
# `sleep` says how long the seconds are: the wall clock on a real Asterisk, the simulator's clock here.

# %%
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
clip

# %% [markdown]
# A scenario built with `record_audio=True` records its call this way from `StasisStart` to the hangup, so
# that `result.audio()` works on a real Asterisk too (on the simulator it is only needed to try it out).

# %%
sc = arinb.scenarios.monkeys(
    URL, username=USER, password=PASSWORD, sim=sim, originate=True, record_audio=True
)
run = await sc.run()
print(run.check)
heard = run.audio()
print(f"recorded {heard.duration:.2f} s through a snoop channel")
heard

# %%
if sim is not None:
    await sim.close()
