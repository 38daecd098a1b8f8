"""Bridge variables, the bridge video source, transfer_progress, rtp_statistics and mailboxes on the engine,
as a real Asterisk 22.10.1 answered them (arinb simops probe, 2026-12-06)."""

from __future__ import annotations

from tests.sim.sim_helpers import Harness


async def test_bridge_variables_as_observed() -> None:
    h = Harness()
    b = {"bridgeId": "b5"}
    assert (await h.op("bridges.getBridgeVar", {"bridgeId": "nope"}, variable="X")).reason == "Not found"
    assert (await h.op("bridges.getBridgeVar", {"bridgeId": "nope"})).body == {
        "message": "Variable name is required"
    }
    await h.op("bridges.create", type="mixing", bridgeId="b5")
    missing = await h.op("bridges.getBridgeVar", b, variable="X")
    assert (missing.status, missing.body) == (404, {"message": "Provided variable was not found"})
    assert (await h.op("bridges.setBridgeVar", b, variable="X", value="1")).status == 204
    assert (await h.op("bridges.setBridgeVar", b, variable=" Y ", value="2")).status == 204
    assert (await h.op("bridges.setBridgeVar", b, variable="Z")).status == 204  # no value: unset
    assert (
        await h.op("bridges.setBridgeVar", b, variable="R", value="9", report_events="true")
    ).status == 204
    assert (
        await h.op("bridges.setBridgeVar", b, variable="R", value="10", report_events="true")
    ).status == 204
    assert (await h.op("bridges.getBridgeVar", b, variable="Y")).body == {"value": "2"}
    assert (await h.op("bridges.getBridgeVar", b, variable="Z")).status == 404
    many = await h.op("bridges.getBridgeVars", b, variables="X,R")
    assert many.body == {"variables": {"X": "1", "R": "10"}}
    assert (await h.op("bridges.getBridgeVars", b, variables="LEN(abcd)")).body == {
        "variables": {"LEN(abcd)": "4"}
    }
    nope = await h.op("bridges.getBridgeVars", b, variables="X,NOPE")
    assert (nope.status, nope.reason) == (404, "Variable Not Found")
    assert (await h.op("bridges.getBridgeVars", b, variables="X, ,R")).body == {
        "message": "Variable names are required"
    }
    assert (await h.op("bridges.getBridgeVars", b)).body == {
        "message": "At least one variable name is required"
    }
    gone = await h.op("bridges.getBridgeVars", {"bridgeId": "nope"}, variables="X")
    assert (gone.status, gone.reason, gone.body) == (
        404,
        "Bridge Not Found",
        {"message": "Provided bridge was not found"},
    )
    body = {"variables": {"A": "1", "B": {"value": "2", "report_events": True}}}
    assert (await h.op("bridges.setBridgeVars", b, body=body)).status == 204
    assert (await h.op("bridges.setBridgeVars", b)).body == {"message": "The 'variables' field is required"}
    bad = await h.op("bridges.setBridgeVars", b, body={"variables": [1]})
    assert bad.body == {"message": "The 'variables' field must be a JSON object"}
    bridge = (await h.op("bridges.get", b)).body
    assert list(bridge)[-2:] == ["video_mode", "bridgevars"]
    assert bridge["bridgevars"] == {"R": "10", "B": "2"}
    assert h.types() == []  # no event for bridge variables


async def test_video_source_single_mode_and_back_to_talker() -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="b6")
    path = {"bridgeId": "b6", "channelId": cid}
    assert (await h.op("bridges.setVideoSource", path)).body == {"message": "Channel not in this bridge"}
    assert (await h.op("bridges.setVideoSource", {"bridgeId": "b6", "channelId": "nope"})).status == 400
    await h.op("bridges.addChannel", {"bridgeId": "b6"}, channel=cid)
    h.frames.clear()
    assert (await h.op("bridges.setVideoSource", path)).status == 204
    (changed,) = h.events()
    assert changed["type"] == "BridgeVideoSourceChanged" and "old_video_source_id" not in changed
    assert (changed["bridge"]["video_mode"], changed["bridge"]["video_source_id"]) == ("single", cid)
    assert (await h.op("bridges.setVideoSource", path)).status == 204
    assert (await h.op("bridges.clearVideoSource", {"bridgeId": "b6"})).status == 204
    assert len(h.events()) == 1  # same source again, and the clear: nothing new to see
    assert (await h.op("bridges.get", {"bridgeId": "b6"})).body["video_mode"] == "single"
    h.frames.clear()
    await h.op("bridges.removeChannel", {"bridgeId": "b6"}, channel=cid)
    assert h.types()[:2] == ["BridgeVideoSourceChanged", "ChannelLeftBridge"]
    back = h.events()[0]
    assert back["old_video_source_id"] == cid and back["bridge"]["video_mode"] == "talker"
    assert "video_source_id" not in back["bridge"]


async def test_transfer_progress_and_rtp_statistics() -> None:
    h = Harness()
    cid = await h.channel()
    p = {"channelId": cid}
    assert (await h.op("channels.transfer_progress", p)).body == {"message": "states must not be empty"}
    assert (await h.op("channels.transfer_progress", p, states="bogus")).body == {
        "message": "Invalid states value"
    }
    assert (await h.op("channels.transfer_progress", p, states="channel_answered")).status == 204
    assert (
        await h.op("channels.transfer_progress", {"channelId": "nope"}, states="channel_answered")
    ).status == 404
    rtp = await h.op("channels.rtpstatistics", p)
    assert (rtp.status, rtp.body) == (403, {"message": "Unsupported channel type"})
    assert (await h.op("channels.rtpstatistics", {"channelId": "nope"})).status == 404
    assert h.types() == []


async def test_mailboxes_as_observed() -> None:
    h = Harness()
    m1 = {"mailboxName": "mb1"}
    assert (await h.op("mailboxes.list")).body == []
    assert (await h.op("mailboxes.get", m1)).body == {"message": "Mailbox is does not exist"}
    assert (await h.op("mailboxes.delete", m1)).body == {"message": "Mailbox does not exist"}
    assert (await h.op("mailboxes.update", m1, oldMessages="2", newMessages="3")).status == 204
    assert (await h.op("mailboxes.update", {"mailboxName": "mb0"})).status == 204
    assert (
        await h.op("mailboxes.update", {"mailboxName": "mb2"}, oldMessages="-1", newMessages="abc")
    ).status == 204
    assert (await h.op("mailboxes.get", m1)).body == {"name": "mb1", "old_messages": 2, "new_messages": 3}
    assert (await h.op("mailboxes.list")).body == [
        {"name": "mb0", "old_messages": 0, "new_messages": 0},
        {"name": "mb1", "old_messages": 2, "new_messages": 3},
        {"name": "mb2", "old_messages": -1, "new_messages": 0},
    ]
    assert (await h.op("mailboxes.delete", m1)).status == 204
    assert (await h.op("mailboxes.get", m1)).status == 404


async def test_config_objects_and_messages_without_a_sip_stack() -> None:
    h = Harness()
    for key in ("asterisk.getObject", "asterisk.updateObject", "asterisk.deleteObject"):
        path = {"configClass": "res_pjsip", "objectType": "endpoint", "id": "alice"}
        reply = await h.op(key, path)
        assert (reply.status, reply.body) == (404, {"message": "configClass 'res_pjsip' not found"})
    no_to = await h.op("endpoints.sendMessage", **{"from": "bob", "body": "hi"})
    assert (no_to.status, no_to.body) == (400, {"message": "To must be specified"})
    sent = await h.op("endpoints.sendMessage", to="pjsip:alice", body="hi")
    assert (sent.status, sent.body) == (404, {"message": "Endpoint not found"})
    bad_vars = await h.op("endpoints.refer", body={"variables": {"a": 1}}, to="pjsip:alice", refer_to="sip:x")
    assert bad_vars.body == {"message": "Only string values in the 'variables' object allowed"}
    unknown = await h.op("endpoints.sendMessageToEndpoint", {"tech": "PJSIP", "resource": "nobody"})
    assert unknown.body == {"message": "Endpoint not found"}
    await h.engine.call_in("1003", caller="alice")  # PJSIP/alice exists now, still no SIP stack to send with
    assert (await h.op("endpoints.get", {"tech": "PJSIP", "resource": "alice"})).status == 200
    assert (await h.op("endpoints.referToEndpoint", {"tech": "PJSIP", "resource": "alice"})).status == 404


async def test_modules_and_logger_channels_as_observed() -> None:
    h = Harness()
    listed = (await h.op("asterisk.listModules")).body
    ari = next(m for m in listed if m["name"] == "res_ari.so")
    assert ari == {
        "name": "res_ari.so",
        "description": "Asterisk RESTful Interface",
        "use_count": 0,
        "status": "Running",
        "support_level": "core",
    }
    assert {"chan_websocket.so", "res_musiconhold.so", "app_stasis_broadcast.so"} <= {
        m["name"] for m in listed
    }
    get = await h.op("asterisk.getModule", {"moduleName": "nope.so"})
    assert get.body == {"message": "Module could not be found in running modules"}
    assert (await h.op("asterisk.loadModule", {"moduleName": "nope.so"})).body == {
        "message": "Module load declined"
    }
    assert (await h.op("asterisk.loadModule", {"moduleName": "res_ari.so"})).body == {
        "message": "Module is already loaded"
    }
    assert (await h.op("asterisk.unloadModule", {"moduleName": "nope.so"})).status == 404
    assert (await h.op("asterisk.reloadModule", {"moduleName": "nope.so"})).body == {
        "message": "Module not found in running modules"
    }
    assert (await h.op("asterisk.reloadModule", {"moduleName": "app_stasis.so"})).body == {
        "message": "Module does not support reloading"
    }
    assert (await h.op("asterisk.reloadModule", {"moduleName": "res_musiconhold.so"})).status == 204
    log = {"logChannelName": "simops-log"}
    assert (await h.op("asterisk.addLog", log)).body == {"message": "Configuration levels are required"}
    assert (await h.op("asterisk.addLog", log, configuration="notice,warning")).status == 204
    assert (await h.op("asterisk.addLog", log, configuration="notice")).body == {
        "message": "Log channel already exists"
    }
    channels = (await h.op("asterisk.listLogChannels")).body
    assert [c["configuration"] for c in channels] == ["NOTICE WARNING ", "NOTICE WARNING ERROR VERBOSE "]
    assert channels[0]["channel"].endswith("/simops-log") and channels[1]["channel"].endswith("/messages.log")
    assert (await h.op("asterisk.rotateLog", log)).status == 204
    assert (await h.op("asterisk.rotateLog", {"logChannelName": "nope"})).status == 404
    assert (await h.op("asterisk.deleteLog", log)).body == {"message": "Log channel does not exist"}
    assert (await h.op("asterisk.addLog", {"logChannelName": "l2"}, configuration="bogus")).status == 204
    assert (await h.op("asterisk.listLogChannels")).body[0]["configuration"] == ""
    assert (await h.op("asterisk.deleteLog", {"logChannelName": "l2"})).status == 204
