"""Originating to a simulated phone (``PJSIP/<name>``): it rings, answers, and the call goes on."""

from __future__ import annotations

from sim_helpers import Harness


async def test_originate_to_a_phone_with_app_rings_answers_and_enters_stasis() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="PJSIP/alice", app="probe", appArgs="a,b")
    assert reply.status == 200
    body = reply.body
    assert body["name"] == "PJSIP/alice-00000000"
    assert body["state"] == "Down"
    cid = body["id"]
    h.advance(0.01)
    assert h.take() == ["Dial", "ChannelStateChange", "Dial"]  # dialled, then ringing
    h.advance(1.0)
    assert h.take() == []  # still ringing
    h.advance(1.0)
    events = h.events()
    assert [e["type"] for e in events] == [
        "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"
    ]  # fmt: skip
    start = events[-1]
    assert start["channel"]["id"] == cid
    assert start["channel"]["state"] == "Up"
    assert start["args"] == ["a", "b"]
    assert [e.get("dialstatus") for e in events if e["type"] == "Dial"] == ["ANSWER"]
    listed = await h.op("endpoints.get", {"tech": "PJSIP", "resource": "alice"})
    assert listed.status == 200
    assert listed.body["channel_ids"] == [cid]


async def test_a_phone_that_never_answers_times_out_with_noanswer() -> None:
    h = Harness()
    h.engine.set_phone("bob", answer_after=None)
    reply = await h.op("channels.originate", endpoint="PJSIP/bob", app="probe", timeout=5)
    cid = reply.body["id"]
    h.advance(6.0)
    dials = [e.get("dialstatus") for e in h.events() if e["type"] == "Dial"]
    assert dials == ["", "RINGING", "NOANSWER"]
    assert "StasisStart" not in h.types()
    gone = await h.op("channels.get", {"channelId": cid})
    assert gone.status == 404


async def test_originate_to_a_phone_with_extension_runs_the_dialplan() -> None:
    h = Harness()
    await h.op("channels.originate", endpoint="PJSIP/carol", context="default", extension="1003")
    h.advance(2.5)
    starts = [e for e in h.events() if e["type"] == "StasisStart"]
    assert len(starts) == 1
    assert starts[0]["channel"]["name"] == "PJSIP/carol-00000000"
    assert starts[0]["channel"]["state"] == "Up"


async def test_unknown_technologies_still_fail_as_asterisk_does() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="Bogus/xyz", app="probe")
    assert reply.status == 500
    assert reply.body == {"error": "Allocation failed"}
