"""Answer rules of the Local pair, against the captures (traces/originate-app.json, probe-answer-twice.json).

When ``;2`` answers, ``;1`` goes Up and then does what it was originated for: enter the app (``app=``), go on
in the dialplan (``context``/``extension``), or report the answer to the app that dialed it (``/dial``).
"""

from __future__ import annotations

from typing import Any

from sim_helpers import Harness

from arinb.models import loads


def _rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for e in events:
        ch = e.get("channel") or e.get("peer") or {}
        out.append((e["type"], ch.get("name", "")[-2:], ch.get("state"), e.get("dialstatus"), e.get("args")))
    return out


async def test_originate_to_an_app_announces_the_answer_then_enters_stasis_as_captured() -> None:
    h = Harness()
    reply = await h.op("channels.originate", endpoint="Local/wait@default", app="probe", appArgs="a,b")
    assert reply.status == 200 and reply.body["state"] == "Down"
    h.advance(0.01)
    # originate-app.json, the first POST /channels: ;2 answers in `wait`, ;1 goes Up, Dial ANSWER, then
    # STASISSTATUS is cleared and ;1 enters the app with its args, and last ;2's own state change.
    assert _rows(h.events()) == [
        ("Dial", ";1", "Down", "", None),
        ("ChannelDialplan", ";2", "Ring", None, None),
        ("ChannelStateChange", ";1", "Up", None, None),
        ("Dial", ";1", "Up", "ANSWER", None),
        ("ChannelVarset", ";1", "Up", None, None),
        ("StasisStart", ";1", "Up", None, ["a", "b"]),
        ("ChannelStateChange", ";2", "Up", None, None),
    ]
    varset = h.events()[4]
    assert (varset["variable"], varset["value"]) == ("STASISSTATUS", "")
    start = h.events()[5]["channel"]
    assert start["id"] == reply.body["id"]
    assert (start["dialplan"]["app_name"], start["dialplan"]["app_data"]) == ("Stasis", "probe,a,b")
    got = (await h.op("channels.get", {"channelId": reply.body["id"]})).body
    assert got["state"] == "Up"


async def test_originate_to_an_extension_goes_on_in_the_dialplan_after_the_answer() -> None:
    h = Harness(subscribe_all=True)
    reply = await h.op(
        "channels.originate", endpoint="Local/wait@default", context="default", extension="1003"
    )
    one = reply.body["id"]
    h.advance(0.01)
    rows = _rows(h.events())
    up1 = rows.index(("ChannelStateChange", ";1", "Up", None, None))
    up2 = rows.index(("ChannelStateChange", ";2", "Up", None, None))
    answered = rows.index(("Dial", ";1", "Up", "ANSWER", None))
    # both halves are Up before ;1 says ANSWER and moves on (on its own thread, after the answer)
    assert up1 < up2 < answered
    assert "DeviceStateChanged" in h.types()[answered:]
    # ;1 then runs default,1003 (NoOp, Stasis(probe)) and enters the app with no args
    after = [e for e in h.events()[answered:] if e["type"] == "ChannelDialplan"]
    assert [e["channel"]["dialplan"]["exten"] for e in after] == ["1003", "1003"]
    assert all(e["channel"]["id"] == one for e in after)
    start = [e for e in h.events() if e["type"] == "StasisStart"]
    assert [(e["channel"]["id"], e["args"]) for e in start] == [(one, [])]


async def test_dialing_a_created_local_channel_answers_with_an_empty_dialstring() -> None:
    h = Harness()
    reply = await h.op("channels.create", endpoint="Local/wait@default", app="probe", appArgs="created")
    one = reply.body["id"]
    h.advance(0.01)
    assert h.take() == ["ChannelDialplan", "ChannelVarset", "StasisStart"]
    assert (await h.op("channels.dial", {"channelId": one}, timeout=10)).status == 204
    h.advance(0.01)
    # originate-app.json, POST .../dial: Dial (dialstring wait@default), ;1 Up, Dial ANSWER (dialstring "")
    dials = [(e["type"], e["channel"]["state"] if "channel" in e else e["peer"]["state"]) for e in h.events()]
    assert dials == [("Dial", "Down"), ("ChannelStateChange", "Up"), ("Dial", "Up")]
    first, _, last = h.events()
    assert (first["dialstring"], last["dialstatus"], last["dialstring"]) == ("wait@default", "ANSWER", "")
    assert (await h.op("channels.get", {"channelId": one})).body["state"] == "Up"


async def test_answering_twice_or_a_hung_up_channel_changes_nothing() -> None:
    h = Harness()
    cid = await h.channel(answer=False)
    assert (await h.op("channels.answer", {"channelId": cid})).status == 204
    assert h.take() == ["ChannelStateChange"]
    assert h.events() == []
    # probe-answer-twice.json: the second answer is a 204 with no event
    assert (await h.op("channels.answer", {"channelId": cid})).status == 204
    h.advance(0.01)
    assert h.take() == []
    # a channel hung up while ringing stays as it was
    other = await h.channel(answer=False)
    ch = h.engine.channels[other]
    assert (await h.op("channels.hangup", {"channelId": other})).status == 204
    h.take()
    h.engine.lifecycle.answer_channel(ch)
    h.advance(0.01)
    assert h.take() == [] and ch.state == "Ring"


async def test_dialing_a_created_local_channel_also_reports_the_far_half_up() -> None:
    # the same dial seen by an app subscribed to everything: ;2's own state change comes after ANSWER
    h = Harness(subscribe_all=True)
    one = (await h.op("channels.create", endpoint="Local/wait@default", app="probe")).body["id"]
    h.advance(0.01)
    h.take()
    assert (await h.op("channels.dial", {"channelId": one}, timeout=10)).status == 204
    h.advance(0.01)
    rows = _rows(h.events())
    answered = rows.index(("Dial", ";1", "Up", "ANSWER", None))
    assert ("ChannelStateChange", ";2", "Up", None, None) in rows[answered + 1 :]


async def test_originate_to_an_app_gone_before_the_answer_hangs_the_pair_up() -> None:
    h = Harness()
    watch: list[str] = []
    h.engine.connect_app(["watch"], True, watch.append)
    h.engine.dialplan.add_extension("default", "slow", ["Wait(1)", "Answer()", "Wait(300)"])
    reply = await h.op("channels.originate", endpoint="Local/slow@default", app="probe")
    assert reply.status == 200
    h.advance(0.1)
    h.conn.close()  # the app goes before ;2 answers
    h.advance(3.0)
    events = [loads(f) for f in watch]
    rows = [(e["type"], e["channel"]["name"][-2:], e.get("cause")) for e in events if "channel" in e]
    varsets = [e["value"] for e in events if e["type"] == "ChannelVarset"]
    # ;1 cannot enter Stasis: STASISSTATUS=FAILED, then it is hung up (16) without a hangup request
    assert varsets == ["", "FAILED"]
    assert "StasisStart" not in [r[0] for r in rows]
    assert ("ChannelHangupRequest", ";1", 16) not in rows
    assert ("ChannelDestroyed", ";1", 16) in rows and ("ChannelDestroyed", ";2", 16) in rows
    assert ("ChannelStateChange", ";2", None) not in rows
    assert h.engine.channels.get(reply.body["id"]) is None
