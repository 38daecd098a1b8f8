"""Bridge recording, and broadcast channels with their claim, on the engine.

Bridge record: as a real Asterisk 22.10.1 answered it (arinb simops probe, 2026-12-06) and as
``ast_ari_bridges_record`` checks it. Claim: as ``res/ari/resource_events.c``, ``res_stasis_broadcast.c`` and
``app_stasis_broadcast.c`` define it (no capture: the shared Asterisk's dialplan has no StasisBroadcast)."""

from __future__ import annotations

import pytest

from tests.sim.sim_helpers import Harness


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"name": "r", "format": "bogus"}, 422, "specified format is unknown on this system"),
        ({"name": "r"}, 422, "specified format is unknown on this system"),
        ({"name": "r", "format": "wav", "recorder_format": "bogus"}, 422,
         "specified recorder_format is unknown on this system"),
        ({"name": "r", "format": "wav", "ifExists": "bogus"}, 400, "ifExists invalid"),
        ({"name": "r", "format": "wav", "terminateOn": "x"}, 400, "terminateOn invalid"),
        ({"format": "wav"}, 500, "Error parsing request"),
        ({"name": "r", "format": "wav", "maxDurationSeconds": "-1"}, 500, "Error parsing request"),
        ({"name": "../x", "format": "wav"}, 500, "Error parsing request"),
    ],
)  # fmt: skip
async def test_bridge_record_errors(query: dict[str, str], status: int, message: str) -> None:
    h = Harness()
    assert (await h.op("bridges.record", {"bridgeId": "nope"}, name="r", format="wav")).reason == "Not found"
    await h.op("bridges.create", type="mixing", bridgeId="b2")
    reply = await h.op("bridges.record", {"bridgeId": "b2"}, **query)
    assert (reply.status, reply.body) == (status, {"message": message})
    assert h.engine.recordings.live == {}


async def test_bridge_record_recorder_events_stop_and_stored_file() -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="b2")
    await h.op("bridges.addChannel", {"bridgeId": "b2"}, channel=cid)
    h.frames.clear()
    reply = await h.op("bridges.record", {"bridgeId": "b2"}, name="br1", format="wav")
    assert (reply.status, reply.body) == (
        201,
        {"name": "br1", "format": "wav", "state": "queued", "target_uri": "bridge:b2"},
    )
    (peer,) = h.events()  # the recorder joined before the reply
    assert peer["variable"] == "BRIDGEPEER" and peer["value"].startswith("Recorder/ARI-")
    h.advance(0.001)
    started = h.events()[-1]
    assert started["type"] == "RecordingStarted"
    assert started["recording"] == {
        "name": "br1",
        "format": "wav",
        "state": "recording",
        "target_uri": "bridge:b2",
    }
    assert (await h.op("bridges.get", {"bridgeId": "b2"})).body["channels"] == [cid]
    again = await h.op("bridges.record", {"bridgeId": "b2"}, name="br1", format="wav", ifExists="overwrite")
    assert (again.status, again.body) == (
        409,
        {"message": "Recording 'br1' already exists and can not be overwritten"},
    )
    live = await h.op("recordings.getLive", {"recordingName": "br1"})
    assert live.body["state"] == "recording"
    h.advance(2.0)
    h.frames.clear()
    assert (await h.op("recordings.stop", {"recordingName": "br1"})).status == 204
    finished = [e for e in h.events() if e["type"] == "RecordingFinished"]
    assert finished and finished[0]["recording"]["target_uri"] == "bridge:b2"
    stored = await h.op("recordings.getStored", {"recordingName": "br1"})
    assert stored.body == {"name": "br1", "format": "wav"}
    assert (await h.op("recordings.getLive", {"recordingName": "br1"})).status == 404


async def test_destroying_the_bridge_ends_its_recording() -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="b3")
    await h.op("bridges.addChannel", {"bridgeId": "b3"}, channel=cid)
    await h.op("bridges.record", {"bridgeId": "b3"}, name="br3", format="wav")
    h.advance(0.5)
    h.frames.clear()
    assert (await h.op("bridges.destroy", {"bridgeId": "b3"})).status == 204
    # as observed: BRIDGEPEER "", ChannelLeftBridge, then the recording's end; no BridgeDestroyed
    assert h.types() == ["ChannelVarset", "ChannelLeftBridge", "RecordingFinished"]
    assert h.events()[-1]["recording"]["state"] == "done"
    assert (await h.op("recordings.getLive", {"recordingName": "br3"})).status == 404
    assert (await h.op("recordings.getStored", {"recordingName": "br3"})).status == 200


BROADCAST_PLAN = """
[default]
exten => 2000,1,NoOp()
 same => n,StasisBroadcast(300,^claim-,sales:vip,yes)
 same => n,Set(AFTER=${STASISSTATUS})
 same => n,Wait(10)
"""


async def test_broadcast_claim_and_late_claims() -> None:
    h = Harness("claim-a", dialplan=BROADCAST_PLAN)
    other: list[str] = []
    h.engine.connect_app(["claim-b"], False, other.append)
    outsider: list[str] = []
    h.engine.connect_app(["elsewhere"], False, outsider.append)
    assert (await h.op("events.claimChannel", channelId="x")).body == {
        "message": "application parameter is required"
    }
    assert (await h.op("events.claimChannel", application="a")).body == {
        "message": "channelId parameter is required"
    }
    cid = await h.engine.call_in("2000", caller="alice")
    h.advance(0.01)
    broadcast = [e for e in h.events() if e["type"] == "CallBroadcast"]
    assert len(broadcast) == 1 and len(other) == 1 and outsider == []  # the filter keeps "elsewhere" out
    ev = broadcast[0]
    assert list(ev) == ["type", "timestamp", "channel", "caller", "called", "asterisk_id", "application"]
    assert (ev["caller"], ev["called"], ev["channel"]["id"]) == ("alice", "2000", cid)
    h.frames.clear()
    assert (await h.op("events.claimChannel", channelId=cid, application="claim-a")).status == 204
    late = await h.op("events.claimChannel", channelId=cid, application="claim-b")
    assert (late.status, late.body) == (
        409,
        {"message": "Channel has already been claimed by another application"},
    )
    h.advance(0.01)
    types = h.types()
    assert types[0] == "CallClaimed" and "StasisStart" in types
    start = next(e for e in h.events() if e["type"] == "StasisStart")
    assert start["args"] == ["sales", "vip"]
    assert start["channel"]["dialplan"]["app_data"] == "claim-a,sales,vip"
    claimed = next(e for e in h.events() if e["type"] == "CallClaimed")
    assert claimed["winner_app"] == "claim-a"
    # the winner lets go: STASISSTATUS SUCCESS, the dialplan goes on, and the broadcast is over
    assert (await h.op("channels.continueInDialplan", {"channelId": cid})).status == 204
    h.advance(0.1)
    assert h.engine.channels[cid].vars.get("AFTER") == "SUCCESS"
    gone = await h.op("events.claimChannel", channelId=cid, application="claim-b")
    assert gone.body == {"message": "Channel not found or not in broadcast state"}


async def test_broadcast_nobody_claims_in_time() -> None:
    h = Harness("claim-a", dialplan=BROADCAST_PLAN)
    cid = await h.engine.call_in("2000", caller="alice")
    h.advance(0.299)
    assert "StasisStart" not in h.types()
    h.advance(0.002)
    assert h.engine.channels[cid].vars.get("AFTER") == "TIMEOUT"
    late = await h.op("events.claimChannel", channelId=cid, application="claim-a")
    assert late.status == 404
