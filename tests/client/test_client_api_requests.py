"""Each client method sends the HTTP method, path and parameter names Asterisk 22's api-docs declare.

A loopback server answers every request with a body shaped by the operation's declared response class and
records it; each call below is then matched against the api-docs operation it is meant to perform.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from fakeari import FakeAri, FakeRequest, Reply
from testkit.data import API_DOCS, NO_API_DOCS, NO_API_DOCS_REASON

from arinb.client.session import AriSession, connect

pytestmark = pytest.mark.skipif(NO_API_DOCS, reason=NO_API_DOCS_REASON)


def load_operations() -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    for doc in sorted(API_DOCS.glob("*.json")):
        for api in json.loads(doc.read_text()).get("apis", []):
            for op in api.get("operations", []):
                template = api["path"]
                pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
                ops[f"{doc.stem}.{op['nickname']}"] = {
                    "method": op["httpMethod"],
                    "template": template,
                    "pattern": re.compile(pattern),
                    "literal_segments": template.count("/") - template.count("{"),
                    "response": op.get("responseClass", ""),
                    "query": {p["name"] for p in op.get("parameters", []) if p["paramType"] == "query"},
                    "required": {
                        p["name"]
                        for p in op.get("parameters", [])
                        if p["paramType"] == "query" and p.get("required")
                    },
                    "body": any(p["paramType"] == "body" for p in op.get("parameters", [])),
                }
    return ops


OPS = load_operations() if not NO_API_DOCS else {}


def match_operation(method: str, path: str) -> str:
    """The api-docs operation a request performs (a literal segment beats a {param}, as in Asterisk)."""
    found = [
        (op["literal_segments"], name)
        for name, op in OPS.items()
        if op["method"] == method and op["pattern"].match(path)
    ]
    assert found, f"no api-docs operation for {method} {path}"
    return max(found)[1]


def reply_for(req: FakeRequest) -> Reply:
    op = OPS[match_operation(req.method, req.path)]
    response = op["response"]
    if response == "void":
        return Reply(204)
    if response == "binary":
        return Reply(200, b"RIFF-data", content_type="audio/wav")
    obj = {"id": "obj-1", "name": "obj-1", "value": "v", "format": "wav", "state": "queued"}
    return Reply(200, [obj] if response.startswith("List[") else obj)


@pytest.fixture(params=["http", "websocket"])
def ari(request: pytest.FixtureRequest) -> Iterator[FakeAri]:
    # Both REST transports: HTTP, and REST over the events WebSocket (Asterisk 22's RESTRequest).
    with FakeAri() as server:
        server.ws_rest = request.param == "websocket"
        server.rest_mode = request.param
        for method in ("GET", "POST", "PUT", "DELETE"):
            server.route(method, "*", reply_for)
        yield server


@pytest.fixture
async def session(ari: FakeAri) -> AsyncIterator[AriSession]:
    s = await connect(ari.url, apps="test", timeline=False, rest=ari.rest_mode)
    try:
        yield s
    finally:
        await s.close()


# One call per api-docs operation (the nickname it must produce).
CALLS: dict[str, Callable[[AriSession], Any]] = {
    "applications.list": lambda s: s.applications.list(),
    "applications.get": lambda s: s.applications.get("app"),
    "applications.subscribe": lambda s: s.applications.subscribe("app", s.channels.channel("c1")),
    "applications.unsubscribe": lambda s: s.applications.unsubscribe("app", "bridge:b1"),
    "applications.filter": lambda s: s.applications.filter("app", allowed=["StasisStart"]),
    "asterisk.getObject": lambda s: s.asterisk.get_object("res_pjsip", "endpoint", "alice"),
    "asterisk.updateObject": lambda s: s.asterisk.update_object("res_pjsip", "endpoint", "alice", {"a": "b"}),
    "asterisk.deleteObject": lambda s: s.asterisk.delete_object("res_pjsip", "endpoint", "alice"),
    "asterisk.getInfo": lambda s: s.asterisk.info(only=["build", "system"]),
    "asterisk.ping": lambda s: s.asterisk.ping(),
    "asterisk.listModules": lambda s: s.asterisk.modules(),
    "asterisk.getModule": lambda s: s.asterisk.module("res_ari.so"),
    "asterisk.loadModule": lambda s: s.asterisk.load_module("res_ari.so"),
    "asterisk.unloadModule": lambda s: s.asterisk.unload_module("res_ari.so"),
    "asterisk.reloadModule": lambda s: s.asterisk.reload_module("res_ari.so"),
    "asterisk.listLogChannels": lambda s: s.asterisk.log_channels(),
    "asterisk.addLog": lambda s: s.asterisk.add_log("mylog", "notice,warning"),
    "asterisk.deleteLog": lambda s: s.asterisk.delete_log("mylog"),
    "asterisk.rotateLog": lambda s: s.asterisk.rotate_log("mylog"),
    "asterisk.getGlobalVar": lambda s: s.asterisk.get_variable("G"),
    "asterisk.setGlobalVar": lambda s: s.asterisk.set_variable("G", "1"),
    "bridges.list": lambda s: s.bridges.list(),
    "bridges.create": lambda s: s.bridges.create("mixing", name="room"),
    "bridges.createWithId": lambda s: s.bridges.create("holding", bridge_id="b1"),
    "bridges.get": lambda s: s.bridges.get("b1"),
    "bridges.destroy": lambda s: s.bridges.bridge("b1").destroy(),
    "bridges.getBridgeVar": lambda s: s.bridges.bridge("b1").get_variable("V"),
    "bridges.setBridgeVar": lambda s: s.bridges.bridge("b1").set_variable("V", "1"),
    "bridges.getBridgeVars": lambda s: s.bridges.bridge("b1").get_variables(["V", "W"]),
    "bridges.setBridgeVars": lambda s: s.bridges.bridge("b1").set_variables({"V": "1"}),
    "bridges.addChannel": lambda s: s.bridges.bridge("b1").add_channel(["c1", "c2"], role="r", mute=True),
    "bridges.removeChannel": lambda s: s.bridges.bridge("b1").remove_channel("c1"),
    "bridges.setVideoSource": lambda s: s.bridges.bridge("b1").set_video_source("c1"),
    "bridges.clearVideoSource": lambda s: s.bridges.bridge("b1").clear_video_source(),
    "bridges.startMoh": lambda s: s.bridges.bridge("b1").moh("default"),
    "bridges.stopMoh": lambda s: s.bridges.bridge("b1").moh_stop(),
    "bridges.playWithId": lambda s: s.bridges.bridge("b1").play(
        "sound:beep", lang="en", announcer_format="ulaw"
    ),
    "bridges.record": lambda s: s.bridges.bridge("b1").record("r1", max_duration_seconds=2, beep=True),
    "channels.list": lambda s: s.channels.list(),
    "channels.originate": lambda s: s.channels.originate(
        "Local/1000@default", app="test", app_args=["a", "b"], caller_id="A <1>", variables={"X": "1"}
    ),
    "channels.originateWithId": lambda s: s.channels.originate(
        "Local/1000@default", extension="wait", channel_id="c9"
    ),
    "channels.create": lambda s: s.channels.create("Local/wait@default", app="test", other_channel_id="c8"),
    "channels.get": lambda s: s.channels.get("c1"),
    "channels.hangup": lambda s: s.channels.channel("c1").hangup(reason="busy"),
    "channels.continueInDialplan": lambda s: s.channels.channel("c1").continue_in_dialplan(
        "default", "1000", 1
    ),
    "channels.move": lambda s: s.channels.channel("c1").move("other", app_args="x"),
    "channels.redirect": lambda s: s.channels.channel("c1").redirect("PJSIP/bob"),
    "channels.answer": lambda s: s.channels.channel("c1").answer(),
    "channels.ring": lambda s: s.channels.channel("c1").ring(),
    "channels.ringStop": lambda s: s.channels.channel("c1").ring_stop(),
    "channels.progress": lambda s: s.channels.channel("c1").progress(),
    "channels.sendDTMF": lambda s: s.channels.channel("c1").dtmf("123#", between=100, duration=100),
    "channels.mute": lambda s: s.channels.channel("c1").mute("in"),
    "channels.unmute": lambda s: s.channels.channel("c1").unmute("out"),
    "channels.hold": lambda s: s.channels.channel("c1").hold(),
    "channels.unhold": lambda s: s.channels.channel("c1").unhold(),
    "channels.startMoh": lambda s: s.channels.channel("c1").moh("default"),
    "channels.stopMoh": lambda s: s.channels.channel("c1").moh_stop(),
    "channels.startSilence": lambda s: s.channels.channel("c1").silence(),
    "channels.stopSilence": lambda s: s.channels.channel("c1").silence_stop(),
    "channels.playWithId": lambda s: s.channels.channel("c1").play("sound:beep", offsetms=10, skipms=500),
    "channels.record": lambda s: s.channels.channel("c1").record(
        "r1", if_exists="overwrite", terminate_on="#"
    ),
    "channels.getChannelVar": lambda s: s.channels.channel("c1").get_variable("V"),
    "channels.setChannelVar": lambda s: s.channels.channel("c1").set_variable("V", "1"),
    "channels.getChannelVars": lambda s: s.channels.channel("c1").get_variables(["V"]),
    "channels.setChannelVars": lambda s: s.channels.channel("c1").set_variables({"V": "1"}),
    "channels.snoopChannel": lambda s: s.channels.channel("c1").snoop("spy-app", spy="both"),
    "channels.snoopChannelWithId": lambda s: s.channels.channel("c1").snoop("spy-app", snoop_id="snoop-1"),
    "channels.dial": lambda s: s.channels.channel("c1").dial(caller="c2", timeout=10),
    "channels.rtpstatistics": lambda s: s.channels.channel("c1").rtp_statistics(),
    "channels.externalMedia": lambda s: s.channels.external_media("test", "127.0.0.1:9999", "ulaw"),
    "channels.transfer_progress": lambda s: s.channels.channel("c1").transfer_progress("channel_progress"),
    "deviceStates.list": lambda s: s.device_states.list(),
    "deviceStates.get": lambda s: s.device_states.get("Stasis:x"),
    "deviceStates.update": lambda s: s.device_states.update("Stasis:x", "INUSE"),
    "deviceStates.delete": lambda s: s.device_states.delete("Stasis:x"),
    "endpoints.list": lambda s: s.endpoints.list(),
    "endpoints.sendMessage": lambda s: s.endpoints.send_message("pjsip:alice", "bob", body="hi"),
    "endpoints.refer": lambda s: s.endpoints.refer("pjsip:alice", "bob", "pjsip:carol"),
    "endpoints.listByTech": lambda s: s.endpoints.list_by_tech("PJSIP"),
    "endpoints.get": lambda s: s.endpoints.get("PJSIP", "alice"),
    "endpoints.sendMessageToEndpoint": lambda s: s.endpoints.send_message_to("PJSIP", "alice", "bob", "hi"),
    "endpoints.referToEndpoint": lambda s: s.endpoints.refer_to("PJSIP", "alice", "bob", "pjsip:carol"),
    "events.userEvent": lambda s: s.user_event("Ping", source=["channel:c1"], variables={"k": "v"}),
    "events.claimChannel": lambda s: s.claim_channel("c1"),
    "mailboxes.list": lambda s: s.mailboxes.list(),
    "mailboxes.get": lambda s: s.mailboxes.get("1000@default"),
    "mailboxes.update": lambda s: s.mailboxes.update("1000@default", 1, 2),
    "mailboxes.delete": lambda s: s.mailboxes.delete("1000@default"),
    "playbacks.get": lambda s: s.playbacks.get("pb1"),
    "playbacks.stop": lambda s: s.playbacks.stop("pb1"),
    "playbacks.control": lambda s: s.playbacks.control("pb1", "pause"),
    "recordings.listStored": lambda s: s.recordings.stored.list(),
    "recordings.getStored": lambda s: s.recordings.stored.get("r1"),
    "recordings.deleteStored": lambda s: s.recordings.stored.delete("r1"),
    "recordings.getStoredFile": lambda s: s.recordings.stored.file("r1"),
    "recordings.copyStored": lambda s: s.recordings.stored.copy("r1", "r2"),
    "recordings.getLive": lambda s: s.recordings.live.get("r1"),
    "recordings.cancel": lambda s: s.recordings.live.cancel("r1"),
    "recordings.stop": lambda s: s.recordings.live.stop("r1"),
    "recordings.pause": lambda s: s.recordings.live.pause("r1"),
    "recordings.unpause": lambda s: s.recordings.live.unpause("r1"),
    "recordings.mute": lambda s: s.recordings.live.mute("r1"),
    "recordings.unmute": lambda s: s.recordings.live.unmute("r1"),
    "sounds.list": lambda s: s.sounds.list(lang="en", format="gsm"),
    "sounds.get": lambda s: s.sounds.get("beep"),
}

# Covered by another operation's method (the client always sends the id form) or by the WebSocket.
NOT_CALLED = {"channels.play": "channels.playWithId", "bridges.play": "bridges.playWithId"}


def test_the_table_covers_every_operation() -> None:
    missing = set(OPS) - set(CALLS) - set(NOT_CALLED) - {"events.eventWebsocket"}
    assert missing == set()


@pytest.mark.parametrize("nickname", sorted(CALLS))
async def test_each_method_sends_what_the_api_docs_declare(
    ari: FakeAri, session: AriSession, nickname: str
) -> None:
    before = len(ari.requests)
    result = CALLS[nickname](session)
    await result
    assert len(ari.requests) == before + 1, "exactly one request"
    req = ari.requests[-1]
    performed = match_operation(req.method, req.path)
    assert performed == nickname, f"{req.method} {req.path} is {performed}, not {nickname}"
    op = OPS[nickname]
    sent = {name for name, _ in req.query}
    assert sent <= op["query"], f"undeclared query parameters {sorted(sent - op['query'])}"
    assert op["required"] <= sent, f"missing required parameters {sorted(op['required'] - sent)}"
    if req.json is not None:
        assert op["body"], "a JSON body for an operation that declares none"


# Every option of the richest methods, so a misspelt ARI parameter name cannot hide behind a default.
FULL: dict[str, Callable[[AriSession], Any]] = {
    "channels.originate": lambda s: s.channels.originate(
        "Local/1000@default",
        extension="1000",
        context="default",
        priority=1,
        label="l",
        app="test",
        app_args="a",
        caller_id="A <1>",
        timeout=30,
        variables={"X": "1"},
        other_channel_id="o",
        originator="c0",
        formats=["ulaw", "alaw"],
    ),
    "channels.create": lambda s: s.channels.create(
        "Local/wait@default",
        "test",
        app_args="a",
        channel_id="c",
        other_channel_id="o",
        originator="c0",
        formats="ulaw",
        variables={"X": "1"},
    ),
    "channels.record": lambda s: s.channels.channel("c1").record(
        "r1",
        "wav",
        max_duration_seconds=1,
        max_silence_seconds=1,
        if_exists="fail",
        beep=True,
        terminate_on="*",
    ),
    "bridges.record": lambda s: s.bridges.bridge("b1").record(
        "r1", "wav", 1, 1, "append", False, "none", recorder_format="ulaw"
    ),
    "channels.externalMedia": lambda s: s.channels.external_media(
        "test",
        "127.0.0.1:9",
        "slin16",
        channel_id="em",
        encapsulation="rtp",
        transport="udp",
        connection_type="client",
        direction="both",
        data="d",
        transport_data="t",
        variables={"X": "1"},
    ),
    "bridges.addChannel": lambda s: s.bridges.bridge("b1").add_channel(
        "c1", role="r", absorb_dtmf=True, mute=False, inhibit_connected_line_updates=True
    ),
    "channels.snoopChannel": lambda s: s.channels.channel("c1").snoop(
        "a", spy="in", whisper="out", app_args="x"
    ),
    "channels.sendDTMF": lambda s: s.channels.channel("c1").dtmf(
        "1", before=1, between=2, duration=3, after=4
    ),
    "channels.setChannelVar": lambda s: s.channels.channel("c1").set_variable("V", "1", report_events=True),
    "bridges.setBridgeVar": lambda s: s.bridges.bridge("b1").set_variable("V", "1", report_events=True),
    "endpoints.refer": lambda s: s.endpoints.refer("to", "from", "refer", to_self=True, variables={"k": "v"}),
    "endpoints.referToEndpoint": lambda s: s.endpoints.refer_to("PJSIP", "a", "from", "r", True, {"k": "v"}),
    "channels.hangup": lambda s: s.channels.channel("c1").hangup(reason_code=17),
}


@pytest.mark.parametrize("nickname", sorted(FULL))
async def test_every_option_is_a_declared_parameter(ari: FakeAri, session: AriSession, nickname: str) -> None:
    await FULL[nickname](session)
    req = ari.requests[-1]
    assert match_operation(req.method, req.path) == nickname
    sent = {name for name, _ in req.query}
    assert sent <= OPS[nickname]["query"], (
        f"undeclared query parameters {sorted(sent - OPS[nickname]['query'])}"
    )
    assert sent
