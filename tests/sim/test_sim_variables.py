"""Channel variables, dialplan functions, continue and move, as Asterisk 22.10.1's code answers them
(res/ari/resource_channels.c, resource_asterisk.c, main/pbx_variables.c, res/res_stasis.c): no capture
covers these cases, so each expectation names the code path it follows."""

from __future__ import annotations

from typing import Any

from tests.sim.sim_helpers import Harness


async def _get(h: Harness, cid: str, name: str) -> Any:
    reply = await h.op("channels.getChannelVar", {"channelId": cid}, variable=name)
    return reply.status, reply.body, reply.reason


async def test_reading_builtins_variables_globals_and_functions() -> None:
    h = Harness()
    cid = await h.channel()
    ch = h.engine.channels[cid]
    assert await _get(h, cid, "CHANNEL") == (200, {"value": ch.name}, None)  # built-ins come first
    assert await _get(h, cid, "UNIQUEID") == (200, {"value": cid}, None)
    assert await _get(h, cid, "NOPE") == (
        404,
        {"message": "Provided variable was not found"},
        "Variable Not Found",
    )
    await h.op("asterisk.setGlobalVar", variable="G1", value="g")
    assert (await _get(h, cid, "G1"))[1] == {"value": "g"}  # globals after the channel's own
    # A name ending in ")" is a function: an unknown or malformed one is a 500.
    assert (await _get(h, cid, "NOPE(x)"))[0:3:2] == (500, "Error With Function")
    assert (await _get(h, cid, "FOO)"))[0] == 500
    assert (await _get(h, cid, "CALLERID(num)"))[1] == {"value": ch.caller_number}
    # A global that does not exist reads as "" (never 404).
    assert (await h.op("asterisk.getGlobalVar", variable="NONE")).body == {"value": ""}


async def test_set_unset_empty_and_inheritance_prefixes() -> None:
    h = Harness()
    cid = await h.channel()
    assert (
        await h.op("channels.setChannelVar", {"channelId": cid}, variable="__FOO", value="1")
    ).status == 204
    varset = [e for e in h.events() if e["type"] == "ChannelVarset"]
    assert (varset[-1]["variable"], varset[-1]["value"]) == ("__FOO", "1")  # the name as given
    assert (await _get(h, cid, "FOO"))[1] == {"value": "1"}  # found without its prefix ...
    assert (await _get(h, cid, "__FOO"))[0] == 404  # ... and not with it (ast_var_name)
    h.frames.clear()
    # No value: unset. The ChannelVarset says "" because the old value was not empty.
    assert (await h.op("channels.setChannelVar", {"channelId": cid}, variable="FOO")).status == 204
    assert [(e["variable"], e["value"]) for e in h.events() if e["type"] == "ChannelVarset"] == [("FOO", "")]
    assert (await _get(h, cid, "FOO"))[0] == 404
    h.frames.clear()
    await h.op("channels.setChannelVar", {"channelId": cid}, variable="FOO")  # unset again: no event
    assert h.types() == []
    await h.op("channels.setChannelVar", {"channelId": cid}, variable="E", value="")  # empty is a value
    assert await _get(h, cid, "E") == (200, {"value": ""}, None)


async def test_function_writes_send_no_varset() -> None:
    h = Harness()
    cid = await h.channel()
    h.frames.clear()
    await h.op("channels.setChannelVar", {"channelId": cid}, variable="CALLERID(name)", value="Bob")
    assert h.types() == ["ChannelCallerId"]
    assert (await _get(h, cid, "CALLERID(name)"))[1] == {"value": "Bob"}
    h.frames.clear()
    unknown = await h.op("channels.setChannelVar", {"channelId": cid}, variable="NOPE(x)", value="1")
    assert unknown.status == 204 and h.types() == []  # the write fails quietly (its result is ignored)


async def test_plural_variable_operations_answer_asterisks_errors() -> None:
    h = Harness()
    cid = await h.channel()
    none = await h.op("channels.getChannelVars", {"channelId": cid})
    assert (none.status, none.body) == (400, {"message": "At least one variable name is required"})
    blank = await h.op("channels.getChannelVars", {"channelId": cid}, variables="CHANNEL,,X")
    assert (blank.status, blank.body) == (400, {"message": "Variable names are required"})
    gone = await h.op("channels.getChannelVars", {"channelId": "nope"}, variables="X")
    assert (gone.status, gone.reason) == (404, "Channel Not Found")
    ok = await h.op("channels.getChannelVars", {"channelId": cid}, variables="CHANNEL, UNIQUEID")
    assert ok.body["variables"]["UNIQUEID"] == cid
    nobody = await h.op("channels.setChannelVars", {"channelId": cid})
    assert (nobody.status, nobody.body) == (400, {"message": "The 'variables' field is required"})
    notobj = await h.op("channels.setChannelVars", {"channelId": cid}, body={"variables": ["A"]})
    assert (notobj.status, notobj.body) == (400, {"message": "The 'variables' field must be a JSON object"})
    setting = await h.op(
        "channels.setChannelVars", {"channelId": cid}, body={"variables": {"A": "1", "B": {"value": "2"}}}
    )
    assert setting.status == 204
    assert (await _get(h, cid, "B"))[1] == {"value": "2"}


async def test_continue_with_labels_and_priorities_that_do_not_exist() -> None:
    h = Harness()
    h.engine.dialplan.add_extension("default", "lab", ["NoOp()", "Wait(30)"])
    cid = await h.channel()
    missing = await h.op(
        "channels.continueInDialplan", {"channelId": cid}, context="default", extension="lab", label="nolabel"
    )
    assert (missing.status, missing.body, missing.reason) == (
        404,
        {"message": "Requested label can not be found"},
        "Not Found",
    )
    zero = await h.op("channels.continueInDialplan", {"channelId": cid}, label="0")
    assert (zero.status, zero.body) == (400, {"message": "Requested priority is illegal"})
    # A priority the extension does not have is accepted; the dialplan finds nothing there and hangs up.
    gone = await h.op(
        "channels.continueInDialplan", {"channelId": cid}, context="default", extension="lab", priority="7"
    )
    assert gone.status == 204
    h.advance(0.5)
    assert cid not in h.engine.channels
    # Only a context: the extension is "s", priority 1.
    other = await h.channel()
    h.engine.dialplan.add_extension("ctx2", "s", ["NoOp()", "Wait(30)"])
    await h.op("channels.continueInDialplan", {"channelId": other}, context="ctx2")
    h.advance(0.1)
    ch = h.engine.channels[other]
    assert (ch.context, ch.exten, ch.priority) == ("ctx2", "s", 2)


async def test_move_to_an_app_that_is_not_registered_keeps_the_channel() -> None:
    h = Harness()
    cid = await h.channel()
    reply = await h.op("channels.move", {"channelId": cid}, app="nowhere", appArgs="a,b")
    assert reply.status == 204
    failed = [e for e in h.events() if e["type"] == "ApplicationMoveFailed"]
    assert [(e["destination"], e["args"], e["channel"]["id"]) for e in failed] == [
        ("nowhere", ["a", "b"], cid)
    ]
    assert list(failed[0]) == [
        "type",
        "timestamp",
        "channel",
        "destination",
        "args",
        "asterisk_id",
        "application",
    ]
    assert "StasisEnd" not in h.types() and h.engine.channels[cid].stasis_app == "probe"


# -- as a real Asterisk 22.10.1 answered (tests/data/ari/traces/channel-variables.json, 2026-12-06) --------
async def _app_channel(h: Harness) -> str:
    """A Local ;1 originated to the app (``Local/wait@default``, app=probe), as the captures made them."""
    reply = await h.op("channels.originate", endpoint="Local/wait@default", app="probe")
    assert reply.status == 200
    h.advance(0.01)
    h.frames.clear()
    return reply.body["id"]


async def _set(h: Harness, cid: str, **query: str) -> None:
    assert (await h.op("channels.setChannelVar", {"channelId": cid}, **query)).status == 204


async def test_calling_pres_and_function_reads_as_captured() -> None:
    h = Harness()
    cid = await _app_channel(h)
    assert (await _get(h, cid, "CALLINGPRES"))[1] == {"value": "67"}  # no caller id: number not available
    assert (await _get(h, cid, "CALLERID(bogus)"))[0:2] == (200, {"value": ""})
    assert (await _get(h, cid, "CALLERID()"))[0] == 500
    assert (await _get(h, cid, "TOUPPER(abc)"))[1] == {"value": "ABC"}
    assert (await _get(h, cid, "callerid(name)"))[0] == 500  # function names are case-sensitive
    assert (await _get(h, cid, "CALLERID("))[0] == 404  # no ")" at the end: a variable
    await _set(h, cid, variable="CALLERID(num)", value="555")
    assert (await _get(h, cid, "CALLINGPRES"))[1] == {"value": "0"}
    h.frames.clear()
    await _set(h, cid, variable="CALLERID(num)")  # a function with no value: nothing happens
    assert h.types() == [] and (await _get(h, cid, "CALLERID(num)"))[1] == {"value": "555"}


async def test_report_events_shows_channelvars_from_the_last_snapshot() -> None:
    h = Harness()
    cid = await _app_channel(h)

    def last(type_: str) -> dict[str, Any]:
        return [e for e in h.events() if e["type"] == type_][-1]["channel"]

    await _set(h, cid, variable="REP", value="1", report_events="true")
    assert last("ChannelVarset")["channelvars"] == {"REP": "1"}
    await _set(h, cid, variable="REP", value="2")  # no report_events: off the list, no new snapshot
    assert last("ChannelVarset")["channelvars"] == {"REP": "1"}
    assert (await h.op("channels.get", {"channelId": cid})).body["channelvars"] == {"REP": "1"}
    await _set(h, cid, variable="CALLERID(name)", value="Rep", report_events="true")
    assert last("ChannelCallerId")["channelvars"] == {"CALLERID(name)": "Rep"}
    await _set(h, cid, variable="CALLERID(name)", value="Rep2")
    assert "channelvars" not in last("ChannelCallerId")
    assert "channelvars" not in (await h.op("channels.get", {"channelId": cid})).body


async def test_set_variables_checks_every_value_first() -> None:
    h = Harness()
    cid = await _app_channel(h)

    async def sets(variables: Any) -> tuple[int, Any]:
        reply = await h.op("channels.setChannelVars", {"channelId": cid}, body={"variables": variables})
        return reply.status, reply.body

    bad = "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'"
    assert await sets({"H": "1", "I": 5}) == (400, {"message": bad})
    assert (await _get(h, cid, "H"))[0] == 404  # nothing was set
    assert await sets({"A": None}) == (400, {"message": bad})
    assert (await sets({"A": {"value": 6}}))[1] == {
        "message": "Each object value in 'variables' must include string field 'value'"
    }
    assert (await sets({"A": {"value": "7", "report_events": "yes"}}))[1] == {
        "message": "Field 'report_events' in 'variables' entries must be boolean"
    }
    h.frames.clear()
    assert await sets({"C": "1", "": "2", "D": "3"}) == (204, None)  # an empty key is skipped
    assert [e["variable"] for e in h.events() if e["type"] == "ChannelVarset"] == ["C", "D"]
    h.frames.clear()
    assert await sets({"E": "1", "  ": "2", "F": "3"}) == (400, {"message": "Failed to execute function"})
    assert [e["variable"] for e in h.events() if e["type"] == "ChannelVarset"] == ["E"]  # set up to it
    assert await sets({" G ": "1"}) == (204, None)
    assert (await _get(h, cid, "G"))[1] == {"value": "1"}
    empty = await h.op("channels.getChannelVars", {"channelId": cid}, variables="")
    assert empty.body == {"message": "Variable names are required"}


async def test_connected_line_and_language_reach_the_local_peer() -> None:
    h = Harness()
    cid = await _app_channel(h)
    peer = h.engine.channels[cid].peer
    assert peer is not None
    h.engine.bus.subscribe_channel("probe", peer.id)
    await _set(h, cid, variable="CONNECTEDLINE(name)", value="Carl")
    assert h.take() == ["ChannelConnectedLine"]
    await _set(h, cid, variable="CHANNEL(language)", value="fr")
    # No event for the language itself; the peer's new snapshot shows the caller id it got from the line.
    [event] = [e for e in h.events() if e["type"] == "ChannelCallerId"]
    assert (event["channel"]["id"], event["channel"]["caller"]["name"], event["channel"]["language"]) == (
        peer.id,
        "Carl",
        "fr",
    )
    assert h.engine.channels[cid].language == "fr"


# -- tests/data/ari/traces/channel-continue-move.json -------------------------------------------------------
async def test_continue_to_a_place_that_does_not_exist_ends_with_cause_0() -> None:
    h = Harness()
    cid = await _app_channel(h)
    peer = h.engine.channels[cid].peer
    assert peer is not None
    h.engine.bus.subscribe_channel("probe", peer.id)
    reply = await h.op(
        "channels.continueInDialplan", {"channelId": cid}, context="default", extension="nosuchexten"
    )
    assert reply.status == 204
    h.advance(0.01)
    seen = [(e["type"], e["channel"]["id"], e.get("cause"), e.get("soft")) for e in h.events()]
    assert seen == [
        ("StasisEnd", cid, None, None),
        ("ChannelVarset", cid, None, None),  # STASISSTATUS, when the dialplan it ran ended
        ("ChannelHangupRequest", peer.id, 0, None),  # no hangup request for the channel itself
        ("ChannelDestroyed", cid, 0, None),
        ("ChannelDialplan", cid, None, None),  # the place it was sent to, published last
        ("ChannelHangupRequest", peer.id, 16, True),
        ("ChannelDestroyed", peer.id, 0, None),
    ]
    varset = h.events()[1]
    assert (varset["value"], varset["channel"]["dialplan"]["app_name"]) == ("SUCCESS", "Stasis")


async def test_continue_with_a_negative_priority_goes_on_at_the_next_one() -> None:
    h = Harness()
    cid = await _app_channel(h)
    assert (await h.op("channels.continueInDialplan", {"channelId": cid}, priority="-1")).status == 204
    h.advance(0.01)
    assert h.types()[:2] == ["StasisEnd", "ChannelDialplan"]  # no STASISSTATUS while Wait() runs
    ch = h.engine.channels[cid]
    assert (ch.exten, ch.priority, ch.app_name) == ("wait", 2, "Wait")
