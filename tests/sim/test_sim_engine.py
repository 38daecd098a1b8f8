"""The engine beyond playbacks (MORE.md): Local pairs, originate, inbound calls, DTMF, applications,
bridges, recordings, faults. The captured traces are replayed in test_sim_traces.py; these tests pin the
rules behind them and what no trace shows."""

from __future__ import annotations

import asyncio
import io
import math
import wave

import pytest
from sim_helpers import START, Harness

from arinb.models import loads
from arinb.sim.clock import Clock
from arinb.sim.engine import SimEngine


async def test_unknown_operation_is_a_key_error() -> None:
    engine = SimEngine(clock=Clock.manual(start=START))
    with pytest.raises(KeyError):
        await engine.handle("channels.teleport")
    assert "channels.playWithId" in engine.operations()


async def test_local_pairs_are_numbered_like_asterisk() -> None:
    h = Harness()
    names = []
    for _ in range(3):
        reply = await h.op(
            "channels.originate", endpoint="Local/1003@default", context="default", extension="wait"
        )
        names.append((reply.body["id"], reply.body["name"]))
    assert names == [
        (f"{int(START)}.0", "Local/1003@default-00000000;1"),
        (f"{int(START)}.2", "Local/1003@default-00000001;1"),
        (f"{int(START)}.4", "Local/1003@default-00000002;1"),
    ]
    h.advance(0.01)
    second_halves = [e["channel"]["id"] for e in h.events() if e["type"] == "StasisStart"]
    assert second_halves == [f"{int(START)}.1", f"{int(START)}.3", f"{int(START)}.5"]
    listed = (await h.op("channels.list")).body
    assert [c["name"][-2:] for c in listed][:2] == [";2", ";1"]  # newest first, as Asterisk listed them


async def test_originate_errors() -> None:
    h = Harness()
    cases = [
        ({"app": "probe"}, 400, {"message": "Endpoint must be specified"}),
        ({"endpoint": "Local/wait@default"}, 400, {"message": "Application or extension must be specified"}),
        ({"endpoint": "Bogus/xyz", "app": "probe"}, 500, {"error": "Allocation failed"}),
    ]
    for query, status, body in cases:
        reply = await h.op("channels.originate", **query)
        assert (reply.status, reply.body) == (status, body)


async def test_originate_with_app_args_ids_and_caller_id() -> None:
    h = Harness()
    reply = await h.op(
        "channels.originate",
        endpoint="Local/wait@default",
        app="probe",
        appArgs="x,,y z",
        channelId="my-orig-id",
        otherChannelId="my-orig-id-2",
        callerId='"Alice" <5551234>',
    )
    assert reply.body["id"] == "my-orig-id"
    assert reply.body["caller"] == reply.body["connected"] == {"name": "Alice", "number": "5551234"}
    h.advance(0.01)
    start = next(e for e in h.events() if e["type"] == "StasisStart")
    assert start["args"] == ["x", "", "y z"]
    assert start["channel"]["state"] == "Up"
    assert start["channel"]["dialplan"] == {
        "context": "default",
        "exten": "wait",
        "priority": 1,
        "app_name": "Stasis",
        "app_data": "probe,x,,y z",
    }
    assert "ChannelCallerId" in h.types() and "Dial" in h.types()
    other = (await h.op("channels.get", {"channelId": "my-orig-id-2"})).body
    assert other["dialplan"]["app_name"] == "Answer"  # Answer() waits for media before Wait(300)
    h.advance(1.0)
    other = (await h.op("channels.get", {"channelId": "my-orig-id-2"})).body
    assert other["dialplan"]["app_name"] == "Wait"


async def test_inbound_call_enters_the_dialplan_and_hangs_up_cleanly() -> None:
    h = Harness("channel-tones")
    cid = await h.engine.call_in("1000", caller="alice")
    again = await h.engine.call_in("1000", caller="bob")
    assert h.types() == ["StasisStart", "StasisStart"]
    first = h.events()[0]["channel"]
    assert (first["id"], first["name"], first["state"]) == (cid, "PJSIP/alice-00000000", "Ring")
    assert first["caller"] == {"name": "", "number": "alice"}
    assert h.events()[1]["channel"]["name"] == "PJSIP/bob-00000001" and again != cid
    endpoints = (await h.op("endpoints.list")).body
    assert {e["resource"] for e in endpoints} == {"alice", "bob"}
    assert (await h.op("endpoints.get", {"tech": "PJSIP", "resource": "alice"})).body["channel_ids"] == [cid]
    await h.op("channels.answer", {"channelId": cid})
    await h.op("channels.hangup", {"channelId": cid})
    assert h.types()[2:] == ["ChannelStateChange", "ChannelHangupRequest", "StasisEnd"]
    assert (await h.op("endpoints.get", {"tech": "PJSIP", "resource": "alice"})).body["channel_ids"] == []


async def test_subscribe_all_sees_the_whole_life_of_an_inbound_call() -> None:
    h = Harness("channel-tones", subscribe_all=True)
    cid = await h.engine.call_in("1000")
    await h.op("channels.hangup", {"channelId": cid})
    assert h.types() == [
        "ChannelCreated",
        "ChannelDialplan",
        "ChannelDialplan",
        "ChannelVarset",
        "StasisStart",
        "ChannelHangupRequest",
        "StasisEnd",
        "ChannelVarset",
        "ChannelHangupRequest",
        "ChannelDestroyed",
    ]
    destroyed = h.events()[-1]
    assert (destroyed["cause"], destroyed["cause_txt"]) == (16, "Normal Clearing")
    assert list(destroyed)[:4] == ["type", "timestamp", "cause", "cause_txt"]


async def test_stasis_of_an_unregistered_app_fails_and_hangs_up() -> None:
    h = Harness("other", subscribe_all=True)
    cid = await h.engine.call_in("1001")  # Stasis(channel-playback-monkeys): nobody holds it
    values = [(e["variable"], e["value"]) for e in h.events() if e["type"] == "ChannelVarset"]
    assert values == [("STASISSTATUS", ""), ("STASISSTATUS", "FAILED")]
    assert h.types()[-1] == "ChannelDestroyed"
    assert (await h.op("channels.get", {"channelId": cid})).status == 404


async def test_continue_in_dialplan_leaves_stasis_and_runs_on() -> None:
    h = Harness("channel-tones", subscribe_all=True)
    cid = await h.engine.call_in("1000")
    h.frames.clear()
    assert (await h.op("channels.continueInDialplan", {"channelId": cid})).status == 204
    h.advance(0.01)
    # Hangup() ends the dialplan: the pbx's soft hangup request (cause 16), then the channel is gone
    assert h.types() == [
        "StasisEnd",
        "ChannelVarset",
        "ChannelDialplan",
        "ChannelHangupRequest",
        "ChannelDestroyed",
    ]
    assert h.events()[2]["dialplan_app"] == "Hangup"
    assert (h.events()[3]["cause"], h.events()[3]["soft"]) == (16, True)


async def test_create_then_dial() -> None:
    h = Harness()
    created = await h.op("channels.create", endpoint="Local/wait@default", app="probe", appArgs="created")
    cid = created.body["id"]
    assert created.body["dialplan"]["app_name"] == ""
    assert h.take() == []  # the 200 goes out first
    h.advance(0.01)
    assert h.take() == ["ChannelDialplan", "ChannelVarset", "StasisStart"]
    setvar = await h.op("channels.setChannelVar", {"channelId": cid}, variable="FOO", value="bar")
    assert setvar.status == 204 and h.take() == ["ChannelVarset"]
    assert (await h.op("channels.dial", {"channelId": cid}, timeout="10")).status == 204
    h.advance(0.01)
    assert h.take() == ["Dial", "ChannelStateChange", "Dial"]
    again = await h.op("channels.dial", {"channelId": cid})
    assert (again.status, again.body) == (409, {"message": "Channel is not in the 'Down' state"})
    orphan = await h.op("channels.create", endpoint="Local/wait@default")
    assert orphan.status == 200
    h.advance(0.5)
    assert (await h.op("channels.get", {"channelId": orphan.body["id"]})).status == 404


async def test_dtmf_timing_queueing_and_errors() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="Local/1003@default", app="probe")
    one = reply.body["id"]
    h.advance(0.01)
    two = next(e for e in h.events() if e["type"] == "StasisStart")["channel"]["id"]
    early = await h.op("channels.sendDTMF", {"channelId": one}, dtmf="7")
    assert (early.status, early.body) == (409, {"message": "Channel not in Stasis application"})
    await h.op("channels.answer", {"channelId": two})
    h.advance(0.01)  # ;1 enters the app just after the answer's 204
    h.frames.clear()
    t0 = h.clock.now()
    assert (await h.op("channels.sendDTMF", {"channelId": one}, dtmf="1Zx,#", between="100")).status == 204
    h.advance(2)
    digits = [(e["digit"], e["duration_ms"], e["channel"]["id"]) for e in h.events()]
    assert digits == [("1", 100, two), ("#", 100, two)]  # illegal characters dropped, comma is no pause
    assert [round(t - t0, 3) for t in h.times("ChannelDtmfReceived")] == [0.2, 0.4]
    # behind a playback: the digit goes out when the playback is over
    h.frames.clear()
    await h.play(one, "sound:tt-weasels", "dt")
    h.advance(0.3)
    await h.op("channels.sendDTMF", {"channelId": one}, dtmf="6")
    h.advance(5)
    (finished,), (digit,) = h.times("PlaybackFinished"), h.times("ChannelDtmfReceived")
    assert digit - finished == pytest.approx(0.2, abs=0.002)
    for query in ({}, {"dtmf": ""}):
        bad = await h.op("channels.sendDTMF", {"channelId": one}, **query)
        assert (bad.status, bad.body) == (400, {"message": "DTMF is required"})
    assert (await h.op("channels.sendDTMF", {"channelId": "nope"}, dtmf="1")).status == 404


async def test_caller_dtmf_reaches_the_app() -> None:
    h = Harness("channel-tones")
    cid = await h.engine.call_in("1000")
    h.engine.caller_dtmf(cid, "12")
    h.advance(1)
    assert [e["digit"] for e in h.events() if e["type"] == "ChannelDtmfReceived"] == ["1", "2"]


async def test_application_replaced_and_unregistered() -> None:
    h = Harness()
    second: list[str] = []
    conn_b = h.engine.connect_app(["probe"], send=second.append)
    assert [loads(f)["type"] for f in h.frames] == ["ApplicationReplaced"]
    assert list(loads(h.frames[0])) == ["type", "timestamp", "application", "asterisk_id"]
    h.frames.clear()
    await h.op("channels.originate", endpoint="Local/1003@default", context="default", extension="wait")
    h.advance(0.01)
    assert h.frames == [] and [loads(f)["type"] for f in second] == ["StasisStart"]
    h.conn.close()  # closing the replaced socket does not unregister the app
    assert (await h.op("applications.get", {"applicationName": "probe"})).status == 200
    conn_b.close()
    assert (await h.op("applications.list")).body == []
    missing = await h.op("applications.get", {"applicationName": "probe"})
    assert (missing.status, missing.body) == (404, {"message": "Application not found"})


async def test_application_subscriptions_and_filters() -> None:
    h = Harness()
    cid = await h.channel(answer=False)
    one = next(iter(c for c in h.engine.channels if c != cid))
    path = {"applicationName": "probe"}
    sub = await h.op("applications.subscribe", path, eventSource=f"channel:{one}")
    assert sub.body["channel_ids"] == sorted([one, cid])
    dev = await h.op("applications.subscribe", path, eventSource="deviceState:Stasis:lamp")
    assert dev.body["device_names"] == ["Stasis:lamp"]
    assert (
        await h.op("deviceStates.update", {"deviceName": "Stasis:lamp"}, deviceState="BUSY")
    ).status == 204
    assert h.events()[-1]["device_state"] == {"name": "Stasis:lamp", "state": "BUSY"}
    assert list(h.events()[-1])[:2] == ["type", "application"]
    assert (await h.op("deviceStates.get", {"deviceName": "Stasis:lamp"})).body["state"] == "BUSY"
    bad = await h.op("deviceStates.update", {"deviceName": "Local/1003@default"}, deviceState="BUSY")
    assert bad.status == 409
    filt = await h.op("applications.filter", path, body={"allowed": [{"type": "StasisStart"}]})
    assert filt.body["events_allowed"] == [{"type": "StasisStart"}]
    h.frames.clear()
    await h.op("channels.answer", {"channelId": cid})
    assert h.frames == []  # ChannelStateChange filtered out
    for source, status in (
        ("nocolon", 400),
        ("bogus:x", 400),
        ("channel:nope", 422),
        ("endpoint:Local", 422),
    ):
        assert (await h.op("applications.subscribe", path, eventSource=source)).status == status
    assert (await h.op("applications.subscribe", path)).body == {"message": "Missing parameter eventSource"}


async def test_bridge_peer_announcer_and_subscription_rules() -> None:
    h = Harness()
    a = await h.channel()
    b = await h.channel()
    bridge = (await h.op("bridges.create", type="mixing")).body
    assert bridge["technology"] == "simple_bridge" and h.frames == []  # no BridgeCreated for this app
    path = {"bridgeId": bridge["id"]}
    assert (await h.op("bridges.addChannel", path, channel=f"{a},{b}")).status == 204
    peers = [(e["channel"]["id"], e["value"]) for e in h.events() if e["type"] == "ChannelVarset"]
    name = {cid: ch.name for cid, ch in h.engine.channels.items()}
    assert peers == [(a, name[b]), (b, name[a])]
    h.frames.clear()
    played = await h.op("bridges.playWithId", {**path, "playbackId": "br"}, media="sound:beep")
    assert played.body["target_uri"] == f"bridge:{bridge['id']}"
    h.advance(1)
    peer_changes = ["ChannelVarset", "ChannelVarset"]
    assert h.types() == [*peer_changes, "PlaybackStarted", "PlaybackFinished", *peer_changes]
    announcer = h.events()[0]["value"].split(",")[0]
    assert announcer.startswith("Announcer/ARI-") and announcer.endswith(";2")
    assert (await h.op("bridges.get", path)).body["channels"] == [a, b]  # the announcer is not listed
    h.frames.clear()
    await h.op("channels.hangup", {"channelId": a})
    assert h.types() == ["ChannelHangupRequest", "ChannelVarset", "ChannelLeftBridge", "StasisEnd"]
    h.frames.clear()
    await h.op("channels.hangup", {"channelId": b})
    await h.op("bridges.destroy", path)
    # both channels left by hanging up: the app is still subscribed to the bridge and sees it go
    assert h.types()[-1] == "BridgeDestroyed"
    gone = await h.op("bridges.get", path)
    assert (gone.status, gone.reason) == (404, None)
    gone = await h.op("bridges.destroy", path)
    assert (gone.status, gone.reason, gone.body) == (404, "Not found", {"message": "Bridge not found"})


async def test_recording_timing_file_and_playback() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="Local/1003@default", app="probe")
    one = reply.body["id"]
    h.advance(0.01)
    two = next(e for e in h.events() if e["type"] == "StasisStart")["channel"]["id"]
    await h.op("channels.answer", {"channelId": two})
    h.advance(0.01)
    await h.play(one, "sound:tt-monkeys", "src")
    h.advance(0.01)
    h.frames.clear()
    rec = await h.op("channels.record", {"channelId": two}, name="rec1", format="wav", maxDurationSeconds=2)
    assert rec.body == {"name": "rec1", "format": "wav", "state": "queued", "target_uri": f"channel:{two}"}
    # listed as soon as the recording runs (the next request finds it running)
    assert (await h.op("recordings.listStored")).body == [{"name": "rec1", "format": "wav"}]
    dup = await h.op("channels.record", {"channelId": two}, name="rec1", format="wav", ifExists="fail")
    assert dup.body == {"message": "Recording 'rec1' already exists and can not be overwritten"}
    h.advance(5)
    started, finished = h.times("RecordingStarted")[0], h.times("RecordingFinished")[0]
    # maxDurationSeconds=2 ends on the first frame of second floor(start) + 3 (record-max-duration).
    assert finished == pytest.approx(math.floor(started) + 3.008, abs=0.0015)
    assert h.events()[-1]["recording"]["duration"] == 2
    data = (await h.op("recordings.getStoredFile", {"recordingName": "rec1"})).body
    frames = math.floor((finished - started + 0.015) / 0.02 + 1e-6)
    assert len(data) == 44 + 320 * frames
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
    if h.engine.sounds.lookup("tt-monkeys").path is not None:
        assert any(data[44:])  # the monkeys the other half played, rendered by arinb.audio
    h.frames.clear()
    await h.op("playbacks.stop", {"playbackId": "src"})
    await h.play(two, "recording:rec1", "rp")
    h.advance(4)
    s, f = h.times("PlaybackStarted")[-1], h.times("PlaybackFinished")[-1]
    assert f - s == pytest.approx(frames * 0.02 + 0.003, abs=0.01)  # the recording's length, played
    assert (await h.op("recordings.deleteStored", {"recordingName": "rec1"})).status == 204
    assert (await h.op("recordings.getStored", {"recordingName": "rec1"})).status == 404


async def test_recording_without_audio_stops_after_4_s_and_errors() -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("channels.record", {"channelId": cid}, name="rec-na", format="wav", maxDurationSeconds=2)
    h.advance(1.0)
    assert (await h.op("recordings.getLive", {"recordingName": "rec-na"})).body["state"] == "recording"
    h.advance(5)
    started, finished = h.times("RecordingStarted")[0], h.times("RecordingFinished")[0]
    assert finished - started == pytest.approx(4.0, abs=0.01)
    assert h.events()[-1]["recording"]["duration"] == 0
    cases = [
        ({"name": "x", "format": "bogus"}, 422, "specified format is unknown on this system"),
        ({"format": "wav"}, 500, "Error parsing request"),
        ({"name": "x"}, 422, "specified format is unknown on this system"),
        ({"name": "x", "format": "wav", "ifExists": "bogus"}, 400, "ifExists invalid"),
    ]
    for query, status, message in cases:
        reply = await h.op("channels.record", {"channelId": cid}, **query)
        assert (reply.status, reply.body) == (status, {"message": message})
    assert (await h.op("recordings.getLive", {"recordingName": "rec-na"})).status == 404


async def test_faults_fail_delay_hangup_and_drop() -> None:
    h = Harness()
    cid = await h.channel()
    h.engine.faults.fail("channels.*", 503, "busy", times=1, where={"channelId": cid})
    assert (await h.op("channels.get", {"channelId": cid})).status == 503
    assert (await h.op("channels.get", {"channelId": cid})).status == 200
    h.engine.faults.delay("asterisk.ping", 2.0)
    ping = asyncio.ensure_future(h.op("asterisk.ping"))
    await h.clock.run_for(1.0)
    assert not ping.done()
    await h.clock.run_for(1.5)
    assert ping.result().status == 200
    h.frames.clear()
    h.engine.faults.hangup_at(cid, after=1.0)
    h.advance(2.0)
    assert h.types() == ["ChannelHangupRequest", "StasisEnd"]
    assert "soft" not in h.events()[0] and h.events()[0]["cause"] == 16
    dropped: list[bool] = []
    conn = h.engine.connect_app(["lab"], send=lambda _t: None, on_drop=lambda: dropped.append(True))
    h.engine.faults.drop_connections_at(after=1.0, apps=["lab"])
    h.advance(1.5)
    assert dropped == [True] and conn.closed
    assert (await h.op("applications.get", {"applicationName": "lab"})).status == 404
    assert not h.conn.closed


async def test_snoop_channel_enters_the_app() -> None:
    h = Harness()
    cid = await h.channel()
    before = len(h.types())
    reply = await h.op("channels.snoopChannel", {"channelId": cid}, spy="out", app="probe")
    assert reply.status == 200 and reply.body["name"].startswith(f"Snoop/{cid}-")
    # The reply shows it before it enters Stasis (snoop-and-record): dialplan s, no app yet.
    assert reply.body["dialplan"] == {
        "context": "default",
        "exten": "s",
        "priority": 1,
        "app_name": "",
        "app_data": "",
    }
    # It is in the app for the next request (the server writes its StasisStart after the 200).
    assert h.types()[before:] == ["StasisStart"]
    bad = await h.op("channels.snoopChannel", {"channelId": cid}, spy="sideways", app="probe")
    assert bad.status == 400
    before = len(h.types())
    await h.op("channels.hangup", {"channelId": cid})
    h.advance(0.02)
    assert (await h.op("channels.get", {"channelId": reply.body["id"]})).status == 404  # gone with it
    snoop_events = [
        e["type"] for e in h.events()[before:] if e.get("channel", {}).get("id") == reply.body["id"]
    ]
    assert snoop_events == ["StasisEnd"]  # no ChannelHangupRequest for the snoop (snoop-and-record)


async def test_asterisk_info_ping_sounds_and_variables() -> None:
    h = Harness()
    info = (await h.op("asterisk.getInfo")).body
    assert info["system"] == {"version": "22.10.1", "entity_id": "02:fc:00:00:00:01"}
    assert list((await h.op("asterisk.getInfo", only="system")).body) == ["system"]
    ping = (await h.op("asterisk.ping")).body
    assert ping["ping"] == "pong" and ping["asterisk_id"] == "02:fc:00:00:00:01"
    assert (await h.op("sounds.get", {"soundId": "tt-monkeys"})).status == 200
    missing = await h.op("sounds.get", {"soundId": "does-not-exist"})
    assert (missing.status, missing.body) == (404, {"message": "Sound not found"})
    await h.op("asterisk.setGlobalVar", variable="G", value="1")
    assert (await h.op("asterisk.getGlobalVar", variable="G")).body == {"value": "1"}
    cid = await h.channel()
    assert (await h.op("channels.getChannelVar", {"channelId": cid}, variable="STASISSTATUS")).body == {
        "value": ""
    }
    fn = await h.op("channels.getChannelVar", {"channelId": cid}, variable="CHANNEL(name)")
    assert fn.body == {"value": h.engine.channels[cid].name}
    nochan = await h.op("channels.getChannelVar", {"channelId": "x"}, variable="A")
    assert (nochan.status, nochan.reason) == (404, "Channel Not Found")


async def test_recording_stops_on_a_terminating_digit() -> None:
    h = Harness("channel-tones")
    cid = await h.engine.call_in("1000")
    await h.op("channels.answer", {"channelId": cid})
    await h.op("channels.record", {"channelId": cid}, name="msg", format="wav", terminateOn="#")
    h.advance(3.0)
    h.engine.caller_dtmf(cid, "1#")
    h.advance(1.0)
    assert h.types()[-3:] == ["ChannelDtmfReceived", "ChannelDtmfReceived", "RecordingFinished"]
    assert h.events()[-1]["recording"]["duration"] == 3


async def test_a_reconnecting_app_keeps_its_channels() -> None:
    h = Harness()
    cid = await h.channel(answer=False)
    h.conn.close()
    assert (await h.op("applications.list")).body == []  # inactive: invisible, and Stasis() would fail
    assert not h.engine.bus.registered("probe")
    again: list[str] = []
    h.engine.connect_app(["probe"], send=again.append)
    await h.op("channels.answer", {"channelId": cid})
    assert [loads(f)["type"] for f in again] == ["ChannelStateChange"]  # no ApplicationReplaced either
    app = (await h.op("applications.get", {"applicationName": "probe"})).body
    assert cid in app["channel_ids"]


async def test_several_variables_at_once() -> None:
    h = Harness()
    cid = await h.channel()
    body = {"variables": {"A": "1", "B": {"value": "2", "report_events": True}}}
    assert (await h.op("channels.setChannelVars", {"channelId": cid}, body=body)).status == 204
    assert [(e["variable"], e["value"]) for e in h.events()] == [("A", "1"), ("B", "2")]
    got = await h.op("channels.getChannelVars", {"channelId": cid}, variables="A,B")
    assert got.body == {"variables": {"A": "1", "B": "2"}}
    assert (await h.op("channels.getChannelVars", {"channelId": cid}, variables="A,Z")).status == 404


async def test_a_recording_stopped_before_its_turn_never_starts_nor_blocks_the_queue() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:beep", "first")
    await h.op("channels.record", {"channelId": cid}, name="r", format="wav", maxDurationSeconds=1)
    assert (await h.op("recordings.stop", {"recordingName": "r"})).status == 204
    h.advance(1.0)
    setvar = asyncio.ensure_future(
        h.op("channels.setChannelVar", {"channelId": cid}, variable="A", value="1")
    )
    await asyncio.sleep(0)
    assert setvar.done() and setvar.result().status == 204  # the queue moved on
    assert "RecordingStarted" not in h.types()
    assert (await h.op("recordings.getStored", {"recordingName": "r"})).status == 404


async def test_ring_and_progress_show_on_the_dialing_side_only() -> None:
    h = Harness()
    await h.op("channels.originate", endpoint="Local/1003@default", app="probe")
    h.advance(0.01)
    two = next(e for e in h.events() if e["type"] == "StasisStart")["channel"]["id"]
    h.frames.clear()
    await h.op("channels.ring", {"channelId": two})
    await h.op("channels.progress", {"channelId": two})
    await h.op("channels.progress", {"channelId": two})  # once
    assert [(e["type"], e["dialstatus"]) for e in h.events()] == [("Dial", "RINGING"), ("Dial", "PROGRESS")]
    assert (await h.op("channels.get", {"channelId": two})).body["state"] == "Ring"
