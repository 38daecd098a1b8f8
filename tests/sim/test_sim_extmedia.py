"""externalMedia on the engine (socket-free): the checks, the WebSocket media channel's life, its messages
and frames, against shared/ari/ASTERISK22.md (external-media-websocket) and Asterisk's
``ast_ari_channels_external_media``."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from arinb.models import parse_timestamp
from tests.sim.sim_helpers import Harness

WS = {"app": "probe", "format": "slin", "transport": "websocket", "encapsulation": "none"}
SERVER = {**WS, "connection_type": "server"}


class Sink:
    """Collects what a media socket would send."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.frames: list[tuple[float, bytes]] = []
        self.closed: int | None = None
        self.clock: Any = None

    def send_text(self, text: str) -> None:
        self.texts.append(text)

    def send_bytes(self, data: bytes) -> None:
        self.frames.append((self.clock.now() if self.clock else 0.0, data))

    def close(self, code: int) -> None:
        self.closed = code


async def media_channel(h: Harness, **extra: str) -> tuple[str, str]:
    reply = await h.op("channels.externalMedia", **{**SERVER, **extra})
    assert reply.status == 200, reply
    h.advance(0.001)  # its Dial goes out just after the reply
    return reply.body["id"], reply.body["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]


def connect(h: Harness, connection_id: str) -> tuple[Any, Sink]:
    sink = Sink()
    sink.clock = h.clock
    session = h.engine.external_media.attach(connection_id, sink)
    assert session is not None
    return session, sink


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({**SERVER, "encapsulation": "rtp"}, 400, "encapsulation must be 'none' for websocket transport"),
        ({k: v for k, v in SERVER.items() if k != "encapsulation"}, 400,
         "encapsulation must be 'none' for websocket transport"),
        ({"app": "probe", "format": "slin", "connection_type": "server"}, 400,
         "'server' connection_type can only be used with the websocket transport"),
        (WS, 400, "external_host is required for all but websocket server connections"),
        ({**WS, "connection_type": "client", "external_host": "nope"}, 400,
         "external_host must be a valid websocket_client connection id."),
        ({k: v for k, v in SERVER.items() if k != "format"}, 400, "format cannot be empty"),
        ({k: v for k, v in SERVER.items() if k != "app"}, 400, "app cannot be empty"),
        ({**SERVER, "direction": "sideways"}, 400, "Invalid direction specified"),
        ({**SERVER, "format": "bogus"}, 500, "An internal error prevented this request from being handled"),
        ({"app": "probe", "format": "ulaw", "transport": "tcp"}, 400,
         "transport must be 'udp' for rtp encapsulation"),
        ({"app": "probe", "format": "ulaw", "encapsulation": "audiosocket", "external_host": "h:1"}, 400,
         "transport must be 'tcp' for audiosocket encapsulation"),
        ({"app": "probe", "format": "ulaw", "external_host": "nohost"}, 400,
         "external_host must be <host>:<port> for all transports other than websocket"),
        ({"app": "probe", "format": "ulaw", "encapsulation": "audiosocket", "transport": "tcp",
          "external_host": "127.0.0.1:9092"}, 400, "data can not be empty"),
    ],
)  # fmt: skip
async def test_parameter_errors_as_asterisk_checks_them(
    query: dict[str, str], status: int, message: str
) -> None:
    h = Harness()
    reply = await h.op("channels.externalMedia", **query)
    assert (reply.status, reply.body) == (status, {"message": message})
    assert h.engine.channels == {}  # none of these makes a channel


async def test_rtp_and_audiosocket_answer_501_naming_the_missing_driver() -> None:
    h = Harness()
    rtp = await h.op("channels.externalMedia", app="probe", format="ulaw", external_host="127.0.0.1:4000")
    sock = await h.op(
        "channels.externalMedia",
        app="probe",
        format="ulaw",
        encapsulation="audiosocket",
        transport="tcp",
        external_host="127.0.0.1:9092",
        data="5a0c2d2e-0000-4000-8000-000000000000",
    )
    assert (rtp.status, sock.status) == (501, 501)
    assert "chan_rtp" in rtp.body["message"] and "chan_audiosocket" in sock.body["message"]
    assert h.engine.channels == {}


async def test_the_200_the_channel_before_its_socket_connects() -> None:
    h = Harness()
    reply = await h.op("channels.externalMedia", **SERVER)
    body = reply.body
    assert reply.status == 200
    assert re.fullmatch(r"WebSocket/INCOMING/0x[0-9a-f]{12}", body["name"])
    assert body["state"] == "Down"
    assert body["dialplan"] == {
        "context": "default",
        "exten": "s",
        "priority": 1,
        "app_name": "AppDial2",
        "app_data": "(Outgoing Line)",
    }
    assert list(body) == [
        "id", "name", "state", "protocol_id", "caller", "connected", "accountcode", "dialplan",
        "creationtime", "language", "channelvars",
    ]  # fmt: skip
    conn_id = body["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]
    assert re.fullmatch(r"[0-9a-f-]{36}", conn_id)
    assert body["channelvars"]["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] == "320"
    cid = body["id"]
    assert h.types() == []  # Dial comes just after the reply
    h.advance(0.001)
    (dial,) = h.events()
    assert (dial["type"], dial["dialstatus"], dial["dialstring"]) == ("Dial", "", "INCOMING")
    got = await h.op("channels.get", {"channelId": cid})
    assert "channelvars" not in got.body
    var = await h.op("channels.getChannelVar", {"channelId": cid}, variable="MEDIA_WEBSOCKET_CONNECTION_ID")
    assert var.body == {"value": conn_id}
    answer = await h.op("channels.answer", {"channelId": cid})
    assert (answer.status, answer.body) == (409, {"message": "Channel not in Stasis application"})
    app = await h.op("applications.get", {"applicationName": "probe"})
    assert app.body["channel_ids"] == [cid]
    ulaw = await h.op("channels.externalMedia", **{**SERVER, "format": "ulaw"})
    assert ulaw.body["channelvars"]["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] == "160"


async def test_connect_sends_media_start_then_the_channel_enters_the_app() -> None:
    h = Harness()
    cid, conn_id = await media_channel(h)
    h.advance(1.0)
    h.frames.clear()
    ext = h.engine.external_media
    assert ext.check_connect("00000000-0000-0000-0000-000000000000") == 404
    assert ext.check_connect(conn_id) == 200
    _session, sink = connect(h, conn_id)
    name = h.engine.channels[cid].name
    assert sink.texts == [
        f"MEDIA_START connection_id:{conn_id} channel:{name} channel_id:{cid} format:slin "
        "optimal_frame_size:320 ptime:20"
    ]
    events = h.events()
    assert [e["type"] for e in events] == ["ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"]
    assert events[1]["dialstatus"] == "ANSWER"
    assert (events[2]["variable"], events[2]["value"]) == ("STASISSTATUS", "")
    assert events[3]["channel"]["state"] == "Up" and events[3]["args"] == []
    assert events[3]["channel"]["dialplan"]["app_name"] == "Stasis"
    assert ext.check_connect(conn_id) == 409  # a second connection is refused
    assert sink.frames == []  # nothing plays toward the channel: no binary frames
    h.advance(1.0)
    assert sink.frames == []


async def test_status_commands_plain_and_json() -> None:
    h = Harness()
    _cid, conn_id = await media_channel(h)
    session, sink = connect(h, conn_id)
    cid = session.channel.id
    session.receive_text("GET_STATUS")
    session.receive_text("NOT_A_COMMAND")
    assert sink.texts[1:] == [
        f"STATUS channel_id:{cid} queue_length:0 xon_level:800 xoff_level:900 queue_full:false "
        "bulk_media:false media_paused:false"
    ]
    _cid2, conn2 = await media_channel(h, transport_data="f(json)")
    dial = h.events()[-1]
    assert dial["dialstring"] == "INCOMING/f(json)"
    jsession, jsink = connect(h, conn2)
    start = json.loads(jsink.texts[0])
    assert list(start) == [
        "event", "connection_id", "channel", "channel_id", "format", "optimal_frame_size", "ptime",
        "channel_variables",
    ]  # fmt: skip
    assert start["channel_variables"]["MEDIA_WEBSOCKET_CONNECTION_ID"] == conn2
    jsession.receive_text('{"command":"GET_STATUS"}')
    jsession.receive_text("GET_STATUS")
    jcid = jsession.channel.id
    assert jsink.texts[1:] == [
        f'{{"event":"STATUS","channel_id":"{jcid}","queue_length":0,"xon_level":800,"xoff_level":900,'
        '"queue_full":false,"bulk_media":false,"media_paused":false}',
        f'{{"event":"ERROR","channel_id":"{jcid}","error_text":"Unable to parse JSON command"}}',
    ]


async def test_dtmf_to_the_media_channel_is_a_dtmf_end_message_per_digit() -> None:
    h = Harness()
    _cid, conn_id = await media_channel(h)
    session, sink = connect(h, conn_id)
    cid = session.channel.id
    start = h.clock.now()
    seen: list[tuple[float, str]] = []
    assert (
        await h.op("channels.sendDTMF", {"channelId": cid}, dtmf="12", between=100, duration=100)
    ).status == 204
    for _ in range(40):
        h.advance(0.01)
        while len(sink.texts) > 1 + len(seen):
            seen.append((round(h.clock.now() - start, 2), sink.texts[1 + len(seen)]))
    assert [text for _, text in seen] == [
        f"DTMF_END digit:1 channel_id:{cid}",
        f"DTMF_END digit:2 channel_id:{cid}",
    ]
    assert [t for t, _ in seen] == [pytest.approx(0.1, abs=0.011), pytest.approx(0.2, abs=0.011)]


async def test_frames_of_a_bridge_playback_every_20_ms_and_none_after_stop() -> None:
    h = Harness()
    mid, conn_id = await media_channel(h)
    _session, sink = connect(h, conn_id)
    other = await h.channel()
    assert (await h.op("bridges.create", type="mixing", bridgeId="em-bridge")).status == 200
    assert (
        await h.op("bridges.addChannel", {"bridgeId": "em-bridge"}, channel=f"{mid},{other}")
    ).status == 204
    h.advance(1.0)
    assert sink.frames == []  # bridged with a silent channel: nothing to send
    reply = await h.op(
        "bridges.playWithId",
        {"bridgeId": "em-bridge", "playbackId": "em-btone"},
        media="tone:ring;tonezone=fr",
    )
    assert reply.status == 201
    t0 = h.clock.now()
    for _ in range(300):
        h.advance(0.01)
    assert (await h.op("playbacks.stop", {"playbackId": "em-btone"})).status == 204
    t_stop = h.clock.now()
    for _ in range(100):
        h.advance(0.01)
    times = [t for t, _ in sink.frames]
    assert {len(f) for _, f in sink.frames} == {320}
    assert 149 <= len(times) <= 152  # 3 s of 20 ms frames (the capture: 151)
    assert times[0] - t0 < 0.021 and max(times) <= t_stop + 1e-6
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert gaps == {0.02}
    loud = [f for _, f in sink.frames[10:20] if any(f)]
    assert loud  # the ring tone's first second sounds (fr: 440 Hz, 1.5 s on)


async def test_the_client_closes_the_socket_the_channel_hangs_up_with_tech_cause_1001() -> None:
    h = Harness()
    mid, conn_id = await media_channel(h)
    session, sink = connect(h, conn_id)
    other = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="b")
    await h.op("bridges.addChannel", {"bridgeId": "b"}, channel=f"{mid},{other}")
    h.frames.clear()
    session.client_closed(1000)
    events = [e for e in h.events() if e.get("channel", {}).get("id") == mid]
    assert [(e["type"], e.get("variable")) for e in events] == [
        ("ChannelHangupRequest", None),
        ("ChannelVarset", "BRIDGEPEER"),
        ("ChannelLeftBridge", None),
        ("StasisEnd", None),
        ("ChannelVarset", "STASISSTATUS"),
        ("ChannelDestroyed", None),
    ]
    hup, destroyed = events[0], events[-1]
    assert list(hup)[:3] == ["cause", "tech_cause", "type"] and (hup["cause"], hup["tech_cause"]) == (
        16,
        1001,
    )
    assert "soft" not in hup
    assert (destroyed["cause"], destroyed["cause_txt"], destroyed["tech_cause"]) == (
        16,
        "Normal Clearing",
        1001,
    )
    assert list(destroyed)[:5] == ["type", "timestamp", "cause", "cause_txt", "tech_cause"]
    assert destroyed["channel"]["dialplan"]["app_name"] == "AppDial2"
    assert sink.closed is None  # the socket side answers the client's close itself (1001)
    assert h.engine.external_media.check_connect(conn_id) == 404


async def test_ari_hangup_closes_the_socket_with_1000() -> None:
    h = Harness()
    mid, conn_id = await media_channel(h, transport_data="f(json)")
    _session, sink = connect(h, conn_id)
    h.frames.clear()
    assert (await h.op("channels.hangup", {"channelId": mid})).status == 204
    assert sink.closed == 1000
    types = h.types()
    assert types == ["ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelDestroyed"]
    assert h.events()[0]["cause"] == 32 and h.events()[0]["soft"] is True
    assert "tech_cause" not in h.events()[-1]


async def test_a_media_channel_never_connected_is_destroyed_after_the_dial_timeout() -> None:
    h = Harness()
    mid, conn_id = await media_channel(h)
    h.frames.clear()
    created = h.clock.now() - 0.001
    h.advance(30.0)
    assert h.types() == [] and mid in h.engine.channels
    h.advance(1.0)
    (destroyed,) = h.events()
    assert destroyed["type"] == "ChannelDestroyed"
    assert (destroyed["cause"], destroyed["cause_txt"]) == (19, "User alerting, no answer")
    assert destroyed["channel"]["state"] == "Down"
    assert 30.9 <= parse_timestamp(destroyed["timestamp"]) - created <= 31.0
    assert h.engine.external_media.check_connect(conn_id) == 404
    assert (await h.op("channels.get", {"channelId": mid})).status == 404


async def test_client_audio_queue_marks_and_flow_control() -> None:
    h = Harness()
    _mid, conn_id = await media_channel(h)
    session, sink = connect(h, conn_id)
    session.receive_bytes(b"\1\0" * 160 * 5)  # five 20 ms frames
    session.receive_text("MARK_MEDIA m1")
    session.receive_text("GET_STATUS")
    assert "queue_length:5" in sink.texts[-1]
    h.advance(0.05)
    assert not any(t.startswith("MEDIA_MARK_PROCESSED") for t in sink.texts)
    h.advance(0.1)
    assert sink.texts[-1] == "MEDIA_MARK_PROCESSED m1"
    session.receive_bytes(b"\0" * 320 * 950)
    assert sink.texts[-1] == "MEDIA_XOFF"
    session.receive_text("FLUSH_MEDIA")
    session.receive_text("GET_STATUS")
    assert "queue_length:0" in sink.texts[-1] and "queue_full:true" in sink.texts[-1]


async def test_json_control_hangup_command_variables_and_queue_as_observed() -> None:
    # Probed on a real Asterisk 22.10.1 (arinb simops, 2026-12-06): f(json), ulaw, request variables.
    h = Harness()
    reply = await h.op(
        "channels.externalMedia",
        body={"variables": {"FOO": "bar", "BAZ": "1"}},
        **{**SERVER, "format": "ulaw", "transport_data": "f(json)"},
    )
    conn_id = reply.body["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]
    assert list(reply.body["channelvars"]) == [
        "BAZ",
        "FOO",
        "MEDIA_WEBSOCKET_CONNECTION_ID",
        "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE",
    ]
    h.advance(0.001)
    session, sink = connect(h, conn_id)
    start = json.loads(sink.texts[0])
    assert start["channel_variables"] == reply.body["channelvars"] and start["optimal_frame_size"] == 160
    assert list(start["channel_variables"]) == list(reply.body["channelvars"])
    cid = session.channel.id
    for command in (
        '{"command":"MARK_MEDIA","correlation_id":"m1"}',
        '{"command":"SET_MEDIA_DIRECTION","direction":"sideways"}',
        '{"command":"PAUSE_MEDIA"}',
        '{"command":"NOPE"}',
        '{"command":"REPORT_QUEUE_DRAINED"}',
    ):
        session.receive_text(command)
    session.receive_bytes(b"\0" * 160 * 3)
    session.receive_text('{"command":"GET_STATUS"}')
    h.advance(0.1)
    assert [json.loads(t) for t in sink.texts[1:]] == [
        {"event": "MEDIA_MARK_PROCESSED", "channel_id": cid, "correlation_id": "m1"},
        {
            "event": "ERROR",
            "channel_id": cid,
            "error_text": "'sideways' is not a valid direction for SET_MEDIA_DIRECTION.\n",
        },
        {
            "event": "STATUS",
            "channel_id": cid,
            "queue_length": 3,
            "xon_level": 800,
            "xoff_level": 900,
            "queue_full": False,
            "bulk_media": False,
            "media_paused": True,
        },
    ]
    session.receive_text('{"command":"CONTINUE_MEDIA"}')
    h.advance(0.1)
    assert json.loads(sink.texts[-1]) == {"event": "QUEUE_DRAINED", "channel_id": cid}
    h.frames.clear()
    session.receive_text('{"command":"HANGUP"}')
    assert sink.closed == 1000
    events = h.events()
    assert [e["type"] for e in events] == [
        "ChannelHangupRequest",
        "StasisEnd",
        "ChannelVarset",
        "ChannelDestroyed",
    ]
    assert (events[0]["cause"], events[0]["tech_cause"]) == (16, 1000)
    assert (events[-1]["cause"], events[-1]["cause_txt"], events[-1]["tech_cause"]) == (0, "Unknown", 1000)


async def test_direction_in_refuses_the_commands_about_client_media() -> None:
    h = Harness()
    reply = await h.op("channels.externalMedia", **{**SERVER, "format": "slin16", "direction": "in"})
    assert reply.body["channelvars"]["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] == "640"
    h.advance(0.001)
    assert h.events()[-1]["dialstring"] == "INCOMING/d(in)"
    session, sink = connect(h, reply.body["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"])
    cid = session.channel.id
    for command in ("MARK_MEDIA m2", "START_MEDIA_BUFFERING", "STOP_MEDIA_BUFFERING x", "  GET_STATUS  "):
        session.receive_text(command)
    refused = "not supported while media direction is 'in'"
    assert sink.texts[1:] == [
        f"ERROR channel_id:{cid} error_text:MARK_MEDIA {refused}",
        f"ERROR channel_id:{cid} error_text:START_MEDIA_BUFFERING {refused}",
        f"ERROR channel_id:{cid} error_text:STOP_MEDIA_BUFFERING {refused}",
        f"STATUS channel_id:{cid} queue_length:0 xon_level:800 xoff_level:900 queue_full:false "
        "bulk_media:false media_paused:false",
    ]


async def test_a_files_last_partial_frame_goes_out_short_and_ring_sounds() -> None:
    # Probed on a real Asterisk 22.10.1: a beep played on the media channel gave 21 frames of 320 bytes and a
    # last one of 44; POST ring gave frames (Asterisk plays the ring tone itself), ringStop ended them.
    h = Harness()
    mid, conn_id = await media_channel(h)
    _session, sink = connect(h, conn_id)
    assert (await h.play(mid, "sound:beep", "em-beep")).status == 201
    for _ in range(100):
        h.advance(0.01)
    sizes = [len(f) for _, f in sink.frames]
    beep = next(s for s in h.engine.media_log(mid) if s.playback_id == "em-beep")
    assert beep.end is not None
    samples = round((beep.end - beep.start) * 8000)
    assert sizes[:-1] == [320] * (len(sizes) - 1) and 0 < sizes[-1] < 320
    assert sum(sizes) == 2 * samples
    sink.frames.clear()
    assert (await h.op("channels.ring", {"channelId": mid})).status == 204
    for _ in range(50):
        h.advance(0.01)
    assert 24 <= len(sink.frames) <= 26 and any(any(f) for _, f in sink.frames)
    assert (await h.op("channels.ringStop", {"channelId": mid})).status == 204
    sink.frames.clear()
    h.advance(0.5)
    assert sink.frames == []


async def test_data_becomes_the_stasis_start_args() -> None:
    # ast_ari_channels_external_media passes ``data`` as the originate's app arguments.
    h = Harness()
    _mid, conn_id = await media_channel(h, data="one,two")
    h.frames.clear()
    connect(h, conn_id)
    start = next(e for e in h.events() if e["type"] == "StasisStart")
    assert start["args"] == ["one", "two"]
    assert start["channel"]["dialplan"]["app_data"] == "probe,one,two"
