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
