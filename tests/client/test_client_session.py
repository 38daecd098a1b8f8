"""AriSession against the scripted loopback server (tests/client/fakeari.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from client_helpers import FakeTimeline, eventually
from fakeari import FakeAri, FakeRequest, Reply, channel_json, playback_json

import arinb
from arinb.client.session import AriSession
from arinb.client.session import connect as _connect
from arinb.errors import (
    ApplicationReplaced,
    AriAuthError,
    AriConflict,
    AriConnectionError,
    AriNotFound,
    AriServerError,
    AriTimeoutError,
    AriUsageError,
    PlaybackLost,
)
from arinb.loop import EngineLoop

SECRET = "Zebra-7q-SECRET-pw"


@pytest.fixture
def timeline() -> FakeTimeline:
    return FakeTimeline()


# Every test here runs on both REST transports: HTTP, and REST over the events WebSocket (Asterisk 22).
_REST: dict[int, str] = {}  # FakeAri port -> the rest= of the running parametrization


def connect(url: str, *args: Any, **kwargs: Any) -> AriSession:
    """``arinb.connect`` with the transport of the test's parametrization."""
    kwargs.setdefault("rest", _REST.get(urlsplit(url).port or 0, "auto"))
    return _connect(url, *args, **kwargs)


@pytest.fixture(params=["http", "websocket"])
def ari(request: pytest.FixtureRequest) -> Iterator[FakeAri]:
    with FakeAri(password=SECRET) as server:
        server.ws_rest = request.param == "websocket"
        _REST[server.port] = request.param
        yield server


@pytest.fixture
async def session(ari: FakeAri, timeline: FakeTimeline) -> AsyncIterator[AriSession]:
    s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=timeline, backoff=(0.02, 0.2))
    ari.wait_sockets(1)
    try:
        yield s
    finally:
        await s.close()


def engine_tasks() -> int:
    engine = EngineLoop.shared()
    return engine.run_sync(lambda: len(asyncio.all_tasks(engine.loop)))


def open_sockets() -> int:
    import os

    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------- connecting


async def test_connect_subscribes_the_apps_and_never_shows_the_password(
    ari: FakeAri, timeline: FakeTimeline
) -> None:
    s = connect(
        f"{ari.url}/ari/", "asterisk", SECRET, apps=["test", "other"], subscribe_all=True, timeline=timeline
    )
    assert isinstance(s, AriSession)  # at once, before the socket is up
    assert await s is s and s.connected
    await asyncio.to_thread(ari.wait_sockets, 1)  # the server notes the socket just after its handshake
    assert ari.ws_connects == [{"app": "test,other", "subscribeAll": "true"}]
    for text in (repr(s), str(s)):
        assert SECRET not in text and "asterisk" in text and "connected" in text
    assert timeline.kinds() == ["connect"] and SECRET not in str(timeline.connections)
    await s.close()
    assert timeline.kinds() == ["connect", "closed"] and not s.connected and "closed" in repr(s)


async def test_credentials_in_the_url_are_used_and_hidden(ari: FakeAri) -> None:
    s = await connect(f"http://asterisk:{SECRET}@127.0.0.1:{ari.port}", apps="test", timeline=False)
    try:
        assert s.connected and SECRET not in repr(s) and SECRET not in s.url
    finally:
        await s.close()


async def test_connection_refused_names_the_url_and_hints_at_the_config() -> None:
    port = free_port()
    with pytest.raises(AriConnectionError) as info:
        await connect(f"http://asterisk:{SECRET}@127.0.0.1:{port}", apps="test", timeline=False)
    text = str(info.value)
    assert f"http://127.0.0.1:{port}/ari" in text and "http.conf" in text and "bindport" in text
    assert "ari.conf" in text and SECRET not in text and info.value.__cause__ is None


async def test_wrong_password_is_an_auth_error_without_the_password(ari: FakeAri) -> None:
    with pytest.raises(AriAuthError) as info:
        await connect(ari.url, "asterisk", "wrong-" + SECRET, apps="test", timeline=False)
    assert info.value.status == 401 and SECRET not in str(info.value) and "/ari/events" in info.value.path


async def test_refused_websocket_and_missing_app(ari: FakeAri) -> None:
    ari.ws_refuse = 404
    with pytest.raises(arinb.AriWebSocketError, match=r"ari\.conf"):
        await connect(ari.url, "asterisk", SECRET, apps="test", timeline=False)
    with pytest.raises(AriUsageError):
        connect(ari.url, "asterisk", SECRET, apps=None)
    with pytest.raises(AriUsageError):
        connect("ftp://x", apps="a")


def test_script_mode_blocks_until_connected_and_raises_at_the_call_site(ari: FakeAri) -> None:
    ari.route("POST", "/channels/{cid}/play/{pid}", Reply(404, {"message": "Channel not found"}))
    ari.route("POST", "/channels/{cid}/answer", Reply(204))
    with connect(ari.url, "asterisk", SECRET, apps="test", timeline=False) as s:
        assert s.connected  # no await needed in a script
        ch = s.channels.channel("1.1")
        assert ch.answer().result() is None
        with pytest.raises(AriNotFound, match="Channel not found"):
            ch.play("sound:beep")  # blocks until the reply, raises here
    assert s.closed


# ---------------------------------------------------------------------------------------------- events


async def test_events_arrive_in_order_with_per_object_dispatch(ari: FakeAri, session: AriSession) -> None:
    every: list[str] = []
    on_one: list[str] = []
    session.on("*", lambda e: every.append(e["value"]))
    session.channels.channel("7.1").on("ChannelVarset", lambda e: on_one.append(e["value"]))
    await asyncio.to_thread(
        ari.emit,
        *(
            ari.event("ChannelVarset", channel=channel_json(f"7.{i % 3}"), variable="N", value=str(i))
            for i in range(300)
        ),
    )
    await eventually(lambda: len(every) == 300)
    assert every == [str(i) for i in range(300)]
    assert on_one == [str(i) for i in range(300) if i % 3 == 1]


async def test_event_stream_and_wait_for_across_threads(ari: FakeAri, session: AriSession) -> None:
    stream = session.events("StasisStart")
    waiting = asyncio.ensure_future(session.wait_for("StasisEnd", lambda e: e.channel.id == "2.2", timeout=5))
    await asyncio.sleep(0.05)
    await asyncio.to_thread(
        ari.emit,
        ari.event("StasisStart", channel=channel_json("1.1"), args=[]),
        ari.event("StasisEnd", channel=channel_json("1.1")),
        ari.event("StasisStart", channel=channel_json("2.2"), args=[]),
        ari.event("StasisEnd", channel=channel_json("2.2")),
    )
    ended = await waiting
    assert ended.channel is not None and ended.channel.id == "2.2"
    got = [await asyncio.wait_for(stream.__anext__(), 2) for _ in range(2)]
    assert [e.channel.id for e in got if e.channel] == ["1.1", "2.2"]
    with pytest.raises(AriTimeoutError):
        await session.wait_for("Nothing", timeout=0.05)


async def test_malformed_frames_are_recorded_and_the_stream_goes_on(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    seen: list[str] = []
    session.on("*", lambda e: seen.append(e.type))
    await asyncio.to_thread(ari.emit, "{broken", "[]", ari.event("NewInAsterisk99"), ari.event("StasisStart"))
    await eventually(lambda: seen == ["NewInAsterisk99", "StasisStart"])
    types = [e[0].get("type") for e in timeline.events]
    assert types == ["MalformedFrame", "MalformedFrame", "NewInAsterisk99", "StasisStart"]
    assert session.connected and len(ari.ws_connects) == 1


def test_a_blocked_calling_thread_does_not_delay_receive_times(ari: FakeAri) -> None:
    with connect(ari.url, "asterisk", SECRET, apps="test", timeline=False) as s:
        ari.wait_sockets(1)
        sent: list[float] = []

        def send_now(i: int) -> None:
            sent.append(time.time())
            ari.engine.loop.create_task(ari.send(ari.event("ChannelVarset", variable="i", value=str(i))))

        got: list[Any] = []
        s.on("ChannelVarset", got.append)
        start = time.time()
        for i, delay in enumerate((0.1, 0.3, 0.5)):
            ari.engine.loop.call_soon_threadsafe(ari.engine.loop.call_later, delay, send_now, i)
        time.sleep(1.0)  # a notebook cell that blocks
        assert len(got) == 3
        for sent_at, e in zip(sent, got, strict=True):
            assert 0 <= e.received_at - sent_at < 0.1, (
                "received_at is when the frame arrived, not when we woke"
            )
            assert e.received_at < start + 0.8


# ---------------------------------------------------------------------------------------------- REST


async def test_play_registers_before_the_request_and_survives_events_that_beat_the_reply(
    ari: FakeAri, session: AriSession
) -> None:
    async def play(req: FakeRequest) -> Reply:
        cid, pid = req.match["cid"], req.match["pid"]
        media = req.params["media"]
        await ari.send(
            ari.event("PlaybackStarted", playback=playback_json(pid, cid, media)),
            ari.event("PlaybackFinished", playback=playback_json(pid, cid, media, "done")),
        )
        await asyncio.sleep(0.05)  # make sure both events are received before the 201
        return Reply(201, playback_json(pid, cid, media, "queued"))

    ari.route("POST", "/channels/{cid}/play/{pid}", play)
    ch = session.channels.channel("1.1")
    seen: list[Any] = []
    session.on("PlaybackStarted", lambda e: seen.append(e.playback))
    pb = ch.play(["sound:tt-weasels", "sound:beep"])
    assert isinstance(pb, arinb.Playback) and uuid.UUID(pb.id)  # a client-made id, known at once
    assert await pb is pb
    assert seen == [pb]  # the event that beat the 201 went to the Playback registered before the POST
    assert await pb.finished(timeout=2) == "done" and pb.state == "done"
    (req,) = [r for r in ari.requests if r.path.startswith("/channels/1.1/play/")]
    assert req.path == f"/channels/1.1/play/{pb.id}"
    assert req.query == [("media", "sound:tt-weasels,sound:beep")]  # one media value, comma-joined

    n = len(ari.requests)
    with pytest.raises(AriUsageError, match="comma"):
        ch.play(["tone:440/200,0/300", "sound:beep"])
    assert len(ari.requests) == n  # refused before any request


async def test_an_originate_reply_that_comes_after_the_channel_s_events_does_not_undo_them(
    ari: FakeAri, session: AriSession
) -> None:
    # Real Asterisk 22 over the WebSocket lane: originating Local/wait@default into the app sends the new
    # channel's StasisStart (state Up: the ;2 half answered) before the RESTResponse, whose body is the
    # channel at creation (Down). The handle must keep the newer state, or wait_state("Up") never returns.
    async def originate(req: FakeRequest) -> Reply:
        await ari.send(ari.event("StasisStart", channel=channel_json("9.1", "Up"), args=[]))
        await asyncio.sleep(0.05)  # the event is in before the reply
        return Reply(200, channel_json("9.1", "Down"))

    ari.route("POST", "/channels", originate)
    start = session.expect("StasisStart")
    ch = await session.channels.originate("Local/wait@default", app=ari.app_name)
    assert (await start).channel is ch
    assert ch.state == "Up" and ch.in_stasis
    assert await ch.wait_state("Up", timeout=1) is ch  # at once: it is Up

    # With no event first, the reply's JSON is taken as it is.
    ari.route("POST", "/channels", lambda r: Reply(200, channel_json("9.3", "Down")))
    other = await session.channels.originate("Local/wait@default", app=ari.app_name)
    assert other.id == "9.3" and other.state == "Down"


async def test_play_with_an_explicit_id_and_options(ari: FakeAri, session: AriSession) -> None:
    ari.route(
        "POST", "/channels/{cid}/play/{pid}", lambda r: Reply(201, playback_json(r.match["pid"], "1.1"))
    )
    pb = await session.channels.channel("1.1").play(
        "tone:440+480/2000;tonezone=fr", playback_id="my pb", lang="fr", offsetms=500
    )
    assert pb.id == "my pb"
    req = ari.requests[-1]
    assert req.path == "/channels/1.1/play/my pb"
    assert req.params == {"media": "tone:440+480/2000;tonezone=fr", "lang": "fr", "offsetms": "500"}


async def test_a_refused_play_fails_its_finished_wait_too(ari: FakeAri, session: AriSession) -> None:
    ari.route(
        "POST",
        "/channels/{cid}/play/{pid}",
        Reply(412, {"message": "Channel in invalid state"}, "Precondition Failed"),
    )
    pb = session.channels.channel("1.1").play("sound:beep")
    with pytest.raises(arinb.AriInvalidState, match="Channel in invalid state"):
        await pb
    with pytest.raises(arinb.AriInvalidState):
        await pb.finished()
    assert pb.outcome == "error"


async def test_typed_errors_carry_aris_message_method_and_path(ari: FakeAri, session: AriSession) -> None:
    ari.route("GET", "/channels/{cid}", Reply(404, {"message": "Channel not found"}, "Not Found"))
    ari.route(
        "POST", "/bridges/{bid}", Reply(409, {"message": "Bridge with id 'b' already exists"}, "Conflict")
    )
    ari.route("POST", "/channels", Reply(500, {"error": "Allocation failed"}, "Internal Server Error"))
    with pytest.raises(AriNotFound) as nf:
        await session.channels.get("nope")
    assert (nf.value.status, nf.value.message, nf.value.method, nf.value.path) == (
        404,
        "Channel not found",
        "GET",
        "/ari/channels/nope",
    )
    assert nf.value.reason == "Not Found" and "GET /ari/channels/nope" in str(nf.value)
    with pytest.raises(AriConflict, match="already exists"):
        await session.bridges.create("mixing", bridge_id="b")
    with pytest.raises(AriServerError) as se:
        await session.channels.originate("Bogus/xyz", app="test")
    assert se.value.message == "Allocation failed" and se.value.status == 500
    with pytest.raises(AriNotFound, match="Resource not found"):
        await session.request("GET", "/nothing/here")


async def test_a_request_that_hangs_times_out(ari: FakeAri, timeline: FakeTimeline) -> None:
    ari.route("GET", "/asterisk/info", ari.hang)
    s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=timeline, request_timeout=0.3)
    try:
        t0 = time.monotonic()
        with pytest.raises(AriTimeoutError, match=r"GET /ari/asterisk/info .*0\.3 s"):
            await s.asterisk.info()
        assert time.monotonic() - t0 < 2
        assert timeline.requests[-1]["error"] == "timeout" and timeline.requests[-1]["status"] is None
        assert s.connected  # the events socket is unaffected
    finally:
        await s.close()


async def test_requests_are_timeline_rows_and_params_are_encoded_as_ari_expects(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    ari.route("POST", "/bridges/{bid}/addChannel", Reply(204))
    ari.route("GET", "/recordings/stored/{name}/file", Reply(200, b"RIFF....WAVE", content_type="audio/wav"))
    ari.route("GET", "/channels", Reply(200, [channel_json("1.1", "Up"), channel_json("1.2", "Down")]))
    br = session.bridges.bridge("b 1")
    await br.add_channel([session.channels.channel("1.1"), "1.2"], absorb_dtmf=True, mute=False)
    req = ari.requests[-1]
    assert req.path == "/bridges/b 1/addChannel"
    assert req.params == {"channel": "1.1,1.2", "absorbDTMF": "true", "mute": "false"}
    assert await session.recordings.stored.file("rec1") == b"RIFF....WAVE"
    chans = await session.channels.list()
    assert [c.state for c in chans] == ["Up", "Down"] and chans[0] is session.channels.channel("1.1")
    rows = timeline.requests
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [
        ("POST", "/ari/bridges/b%201/addChannel", 204),
        ("GET", "/ari/recordings/stored/rec1/file", 200),
        ("GET", "/ari/channels", 200),
    ]
    assert all(r["elapsed"] >= 0 and r["sent_at"] > 0 for r in rows)


async def test_request_escape_hatch_accepts_the_ari_prefix_and_json_bodies(
    ari: FakeAri, session: AriSession
) -> None:
    ari.route("POST", "/channels/{cid}/variables", lambda r: Reply(200, {"echo": r.json}))
    got = await session.request("POST", "/ari/channels/1.1/variables", json={"variables": {"A": "1"}})
    assert got == {"echo": {"variables": {"A": "1"}}}
    await session.channels.channel("1.1").set_variables({"B": "2"})
    assert ari.requests[-1].json == {"variables": {"B": "2"}}


async def test_hangup_reason_is_checked_before_sending(ari: FakeAri, session: AriSession) -> None:
    ari.route("DELETE", "/channels/{cid}", Reply(204))
    ch = session.channels.channel("1.1")
    with pytest.raises(AriUsageError, match="busy"):
        ch.hangup(reason="bogus")
    await ch.hangup(reason="busy")
    assert ari.requests[-1].params == {"reason": "busy"}


# ---------------------------------------------------------------------------------------------- reconnect


@pytest.mark.parametrize("how", ["close", "abort", "restart"])
async def test_reconnect_resubscribes_reports_the_gap_and_loses_nothing(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline, how: str
) -> None:
    ari.route("POST", "/applications/{app}/subscription", lambda r: Reply(200, {"name": r.match["app"]}))
    await session.applications.subscribe("test", session.channels.channel("9.9"))
    base_tasks = engine_tasks()
    seen: list[str] = []
    session.on("ChannelVarset", lambda e: seen.append(e["value"]))
    await asyncio.to_thread(ari.emit, *(ari.event("ChannelVarset", value=str(i)) for i in range(5)))
    await eventually(lambda: len(seen) == 5)
    if how == "close":
        await asyncio.to_thread(ari.drop)
    elif how == "abort":
        await asyncio.to_thread(ari.abort)
    else:
        await asyncio.to_thread(ari.restart, 0.2)
    await eventually(lambda: session.reconnects == 1 and session.connected, what="reconnected")
    await asyncio.to_thread(ari.wait_sockets, 1)
    await asyncio.to_thread(ari.emit, *(ari.event("ChannelVarset", value=str(i)) for i in range(5, 10)))
    await eventually(lambda: len(seen) == 10)
    assert seen == [str(i) for i in range(10)]
    assert ari.ws_connects == [{"app": "test", "subscribeAll": "false"}] * 2
    # The renewal and the checks run beside the reader after the reconnect; the reconciled row ends them.
    await eventually(lambda: len(timeline.kinds()) == 4, what="the reconciled row")
    subs = [r for r in ari.requests if r.path == "/applications/test/subscription"]
    assert [r.params["eventSource"] for r in subs] == ["channel:9.9", "channel:9.9"]  # renewed
    kinds = timeline.kinds()
    assert kinds == ["connect", "loss", "reconnect", "reconciled"]
    # The loss row says what happened: a close frame from the server, or none at all (a cut network).
    why = timeline.connections[1][2]
    assert (why == "connection lost (no close frame)") == (how == "abort")
    assert why.startswith("closed by the server (code 10") == (how != "abort")
    loss_at, back_at = timeline.connections[1][1], timeline.connections[2][1]
    assert back_at >= loss_at and "gap" in timeline.connections[2][2]
    await eventually(lambda: engine_tasks() == base_tasks, what="no task left behind by the reconnect")


async def test_close_leaves_no_tasks_or_sockets(ari: FakeAri) -> None:
    await asyncio.sleep(0.05)
    tasks, sockets = engine_tasks(), open_sockets()
    s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=False)
    ari.route("GET", "/asterisk/ping", Reply(200, {"ping": "pong"}))
    await s.asterisk.ping()
    await asyncio.to_thread(ari.wait_sockets, 1)
    assert engine_tasks() > tasks and open_sockets() > sockets
    await s.close()
    await asyncio.to_thread(ari.wait_sockets, 0)
    await eventually(lambda: engine_tasks() == tasks, what="engine tasks back to the baseline")
    await eventually(lambda: open_sockets() == sockets, what="sockets back to the baseline")


async def test_no_reconnect_when_disabled_fails_waiters(ari: FakeAri) -> None:
    s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=False, reconnect=False)
    try:
        await asyncio.to_thread(ari.wait_sockets, 1)
        waiting = asyncio.ensure_future(s.wait_for("StasisStart", timeout=5))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(ari.drop)
        with pytest.raises(arinb.AriWebSocketError, match="reconnect is off"):
            await waiting
        assert not s.connected and len(ari.ws_connects) == 1
    finally:
        await s.close()


async def test_a_playback_that_ended_during_the_gap_is_settled_after_reconnect(
    ari: FakeAri, session: AriSession
) -> None:
    ari.route(
        "POST",
        "/channels/{cid}/play/{pid}",
        lambda r: Reply(201, playback_json(r.match["pid"], "1.1", state="queued")),
    )
    ari.route("GET", "/playbacks/{pid}", Reply(404, {"message": "Playback not found"}))
    pb = await session.channels.channel("1.1").play("sound:tt-monkeys")
    waiting = pb.finished(timeout=5)
    await asyncio.to_thread(ari.drop)
    with pytest.raises(PlaybackLost, match="connection was down"):
        await waiting


async def test_application_replaced_stops_without_reconnecting(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline, caplog: pytest.LogCaptureFixture
) -> None:
    waiting = asyncio.ensure_future(session.wait_for("StasisEnd", timeout=10))
    await asyncio.sleep(0.05)
    with caplog.at_level(logging.WARNING, logger="arinb"):
        await asyncio.to_thread(ari.emit, ari.event("ApplicationReplaced"))
        with pytest.raises(ApplicationReplaced):
            await waiting
        await asyncio.to_thread(ari.wait_sockets, 0)  # we closed it (Asterisk leaves it open)
    assert session.replaced and "replaced" in repr(session)
    await asyncio.sleep(0.3)
    assert len(ari.ws_connects) == 1 and session.reconnects == 0
    assert "replaced" in timeline.kinds()
    assert any("registered by another connection" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------------------------- secrets


async def test_the_password_never_appears_in_logs_errors_or_rows(
    ari: FakeAri, caplog: pytest.LogCaptureFixture, timeline: FakeTimeline
) -> None:
    texts: list[str] = []
    ari.route("GET", "/channels/{cid}", Reply(404, {"message": "Channel not found"}))
    with caplog.at_level(logging.DEBUG):
        s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=timeline, backoff=(0.02, 0.1))
        texts += [repr(s), str(s)]
        try:
            await s.channels.get("x")
        except AriNotFound as exc:
            texts += [str(exc), repr(exc)]
        await asyncio.to_thread(ari.drop)
        await eventually(lambda: s.reconnects == 1)
        await s.close()
        ari.route("GET", "/asterisk/info", ari.hang)
        attempts = [
            (ari.url, "wrong"),  # 401
            (f"http://127.0.0.1:{free_port()}", SECRET),  # connection refused
            (ari.url, SECRET),  # the handshake refused after the right api_key went out (ws_refuse)
        ]
        for i, (url, password) in enumerate(attempts):
            ari.ws_refuse = 503 if i == 2 else None
            try:
                await connect(url, "asterisk", password, apps="test", timeline=False)
            except arinb.AriError as exc:
                texts += _error_texts(exc)
            else:
                raise AssertionError("the connection should have been refused")
        ari.ws_refuse = None
        hung = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=False, request_timeout=0.2)
        try:
            await hung.asterisk.info()
        except arinb.AriTimeoutError as exc:
            texts += _error_texts(exc)
        await hung.close()
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    texts.append(
        json.dumps([timeline.connections, timeline.requests, [e[2] for e in timeline.events]], default=str)
    )
    blob = "\n".join(texts)
    assert "Channel not found" in blob and "reconnect" in blob.lower() and "503" in blob
    assert SECRET not in blob
    assert base64.b64encode(f"asterisk:{SECRET}".encode()).decode() not in blob


def _error_texts(exc: BaseException) -> list[str]:
    """The error and everything chained to it, as text (what a traceback or a debugger could show)."""
    texts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), repr(getattr(seen, "args", ""))]
        seen = seen.__cause__ or seen.__context__
    return texts


def test_run_forever_returns_when_the_session_closes(ari: FakeAri) -> None:
    import threading

    s = connect(ari.url, "asterisk", SECRET, apps="test", timeline=False)
    timer = threading.Timer(0.2, lambda: s.close())
    timer.start()
    t0 = time.monotonic()
    s.run_forever(timeout=10)
    assert time.monotonic() - t0 < 5 and s.closed
    timer.join()


async def test_run_forever_refuses_to_block_a_running_loop(ari: FakeAri, session: AriSession) -> None:
    with pytest.raises(AriUsageError, match="blocks"):
        session.run_forever()


async def test_close_while_reconnecting_stops_the_retries(ari: FakeAri, timeline: FakeTimeline) -> None:
    base = engine_tasks()
    s = await connect(ari.url, "asterisk", SECRET, apps="test", timeline=timeline, backoff=(0.05, 0.1))
    await asyncio.to_thread(ari.wait_sockets, 1)
    ari.ws_refuse = 503  # the server comes back but refuses the socket: retries go on
    await asyncio.to_thread(ari.drop)
    await eventually(lambda: "loss" in timeline.kinds())
    await asyncio.sleep(0.3)
    assert not s.connected and len(ari.ws_connects) == 1
    await asyncio.wait_for(s.close(), 5)
    assert timeline.kinds() == ["connect", "loss", "closed"]
    await eventually(lambda: engine_tasks() == base, what="no retry task left")


def test_expect_starts_waiting_without_blocking_a_script(ari: FakeAri) -> None:
    async def answer(req: FakeRequest) -> Reply:
        await ari.send(ari.event("ChannelStateChange", channel=channel_json("1.1", "Up")))
        await asyncio.sleep(0.05)  # the event comes before the 204
        return Reply(204)

    ari.route("POST", "/channels/{cid}/answer", answer)
    with connect(ari.url, "asterisk", SECRET, apps="test", timeline=False) as s:
        ari.wait_sockets(1)
        up = s.expect("ChannelStateChange", timeout=5)
        on_channel = s.channels.channel("1.1").expect("ChannelStateChange", timeout=5)
        assert not up.done() and not on_channel.done()
        s.channels.channel("1.1").answer()  # blocks until the 204, after the event
        assert up.result(1).channel is not None and up.result().channel.state == "Up"
        assert on_channel.result(1) is up.result()
        with pytest.raises(AriTimeoutError):
            s.wait_for("ChannelStateChange", timeout=0.05)  # blocks where it is made, then times out
