"""The simulator's HTTP/WebSocket layer, driven over loopback against a stand-in engine (see conftest)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from arinb.credentials import Credentials
from arinb.models import loads
from arinb.sim.fasthttp import FastConnection, FastRequest
from arinb.sim.server import SERVER_HEADER, WRITE_TIMEOUT, Parts, SimServer, is_loopback
from tests.sim.conftest import PASSWORD, USER, StubEngine, basic


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(http: aiohttp.ClientSession, url: str, **kw: object) -> tuple[int, str, dict[str, str], bytes]:
    async with http.request(str(kw.pop("method", "GET")), url, **kw) as r:  # type: ignore[arg-type]
        return r.status, r.reason or "", dict(r.headers), await r.read()


# ---- authentication ---------------------------------------------------------------------------------


async def test_basic_auth_and_api_key_are_accepted(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/channels", headers=basic())
    assert (status, body) == (200, b"[]")
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/channels?api_key={USER}:{PASSWORD}")
    assert (status, body) == (200, b"[]")


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("", {}),
        (f"?api_key={USER}:wrong", {}),
        ("?api_key=nobody", {}),
        ("", basic(USER, "wrong")),
        # The Authorization header decides alone: a valid api_key does not rescue a wrong Basic password.
        (f"?api_key={USER}:{PASSWORD}", basic(USER, "wrong")),
    ],
)
async def test_rest_refuses_like_asterisk(
    stub_server: SimServer, http: aiohttp.ClientSession, query: str, headers: dict[str, str]
) -> None:
    status, reason, hdrs, body = await _get(
        http, f"{stub_server.url}/ari/asterisk/info{query}", headers=headers
    )
    assert (status, reason) == (401, "Unauthorized")
    assert hdrs["WWW-Authenticate"] == 'Basic realm="Asterisk REST Interface"'
    assert hdrs["Content-Type"] == "application/json"
    assert body == b'{"message":"Authentication required"}'


async def test_first_api_key_counts(stub_server: SimServer, http: aiohttp.ClientSession) -> None:
    url = f"{stub_server.url}/ari/channels?api_key={USER}:{PASSWORD}&api_key=x:y"
    assert (await _get(http, url))[0] == 200


# ---- routing and error bodies -------------------------------------------------------------------------


async def test_unknown_resource_and_wrong_method_answer_as_the_trace(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, reason, hdrs, body = await _get(
        http, f"{stub_server.url}/ari/nonexistent-resource", headers=basic()
    )
    assert (status, reason, body) == (404, "Not Found", b'{"message":"Resource not found"}')
    assert hdrs["Content-Type"] == "application/json"
    status, reason, _, body = await _get(
        http, f"{stub_server.url}/ari/channels", method="PUT", headers=basic()
    )
    assert (status, reason, body) == (405, "Method Not Allowed", b'{"message":"Invalid method"}')
    # literal segments win and are not backtracked: GET /channels/create is not channels.get
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/channels/create", headers=basic())
    assert (status, body) == (405, b'{"message":"Invalid method"}')


async def test_trailing_slash_and_paths_outside_ari(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/channels/", headers=basic())
    assert status == 404
    assert body == b'{"message":"ARI URLs do not end with a slash. Try /ari/channels"}'
    status, _, hdrs, _ = await _get(http, f"{stub_server.url}/elsewhere", headers=basic())
    assert status == 404 and hdrs["Content-Type"] == "application/json"


async def test_options_lists_the_allowed_methods(stub_server: SimServer, http: aiohttp.ClientSession) -> None:
    status, _, hdrs, body = await _get(
        http, f"{stub_server.url}/ari/channels", method="OPTIONS", headers=basic()
    )
    assert (status, body) == (204, b"")
    assert hdrs["Allow"] == "OPTIONS, GET, POST"


async def test_server_header_and_engine_statuses(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    status, reason, hdrs, body = await _get(http, f"{stub_server.url}/ari/channels/nope", headers=basic())
    assert (status, reason, body) == (404, "Not Found", b'{"message":"Channel not found"}')
    assert hdrs["Server"] == SERVER_HEADER
    assert stub_engine.calls[-1][:2] == ("channels.get", {"channelId": "nope"})
    # the engine's reason phrase goes out as is
    status, reason, _, _ = await _get(
        http, f"{stub_server.url}/ari/channels/c1/variable?variable=X", headers=basic()
    )
    assert (status, reason) == (404, "Variable Not Found")


async def test_no_content_has_no_body_and_no_type(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, reason, hdrs, body = await _get(
        http, f"{stub_server.url}/ari/channels/c1", method="DELETE", headers=basic()
    )
    assert (status, reason, body) == (204, "No Content", b"")
    assert "Content-Type" not in hdrs


async def test_binary_reply_keeps_its_type_and_headers(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, _, hdrs, body = await _get(
        http, f"{stub_server.url}/ari/recordings/stored/rec1/file", headers=basic()
    )
    assert (status, body) == (200, b"RIFF\x00\x01WAVE")
    assert hdrs["Content-Type"] == "audio/wav"
    assert hdrs["Cache-Control"] == "no-cache, no-store"


async def test_unimplemented_operation_is_a_json_501(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/asterisk/modules", headers=basic())
    assert status == 501
    assert b"asterisk.listModules" in body


# ---- parameters ---------------------------------------------------------------------------------------


async def test_query_last_value_wins_and_raw_values_survive(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    url = (
        f"{stub_server.url}/ari/channels/ch%2F1/play/pb%201"
        f"?media=sound:beep&media=tone:ring;tonezone=fr&lang=en&skipms=%26&api_key={USER}:{PASSWORD}"
    )
    status, _, _, _ = await _get(http, url, method="POST")
    assert status == 200
    key, path, query, body = stub_engine.calls[-1]
    assert key == "channels.playWithId"
    assert path == {"channelId": "ch/1", "playbackId": "pb 1"}
    assert query == {"media": "tone:ring;tonezone=fr", "lang": "en", "skipms": "&"}
    assert body is None


async def test_json_body_fills_query_params_and_passes_variables(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    payload = {"endpoint": "Local/1000@default", "timeout": 30, "variables": {"CALLERID(name)": "Alice"}}
    url = f"{stub_server.url}/ari/channels?endpoint=ignored&app=probe"
    status, _, _, _ = await _get(http, url, method="POST", headers=basic(), json=payload)
    assert status == 200
    key, _, query, body = stub_engine.calls[-1]
    assert key == "channels.originate"
    assert query == {"endpoint": "Local/1000@default", "app": "probe", "timeout": "30"}
    assert body == payload


async def test_form_fields_come_after_the_query(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    url = f"{stub_server.url}/ari/channels?endpoint=a&app=probe"
    status, _, _, _ = await _get(http, url, method="POST", headers=basic(), data={"endpoint": "b"})
    assert status == 200
    assert stub_engine.calls[-1][2] == {"endpoint": "b", "app": "probe"}


async def test_malformed_json_body_is_a_400(stub_server: SimServer, http: aiohttp.ClientSession) -> None:
    headers = {**basic(), "Content-Type": "application/json"}
    status, _, _, body = await _get(
        http, f"{stub_server.url}/ari/channels/c/variables", method="POST", headers=headers, data=b"{nope"
    )
    assert (status, body) == (400, b'{"message":"Error parsing request body"}')


# ---- failures -------------------------------------------------------------------------------------------


async def test_engine_exception_is_a_json_500_logged_once_and_the_server_goes_on(
    stub_server: SimServer,
    http: aiohttp.ClientSession,
    stub_engine: StubEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub_engine.explode = True
    with caplog.at_level(logging.ERROR, logger="arinb.sim"):
        status, reason, hdrs, body = await _get(http, f"{stub_server.url}/ari/asterisk/ping", headers=basic())
    assert (status, reason, body) == (500, "Internal Server Error", b'{"message":"Internal Server Error"}')
    assert hdrs["Content-Type"] == "application/json"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "engine bug" in (errors[0].exc_text or "")
    stub_engine.explode = False
    assert (await _get(http, f"{stub_server.url}/ari/asterisk/ping", headers=basic()))[0] == 200


async def test_password_never_reaches_the_logs(
    stub_engine: StubEngine, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-pw"
    srv = SimServer(stub_engine, Credentials(USER, secret))
    await srv.start()
    stub_engine.explode = True
    try:
        with caplog.at_level(logging.DEBUG):
            assert (await _get(http, f"{srv.url}/ari/asterisk/ping?api_key={USER}:{secret}"))[0] == 500
            assert (await _get(http, f"{srv.url}/ari/asterisk/ping", headers=basic(USER, secret)))[0] == 500
    finally:
        await srv.close()
    assert caplog.records and secret not in caplog.text
    assert secret not in repr(srv)


# ---- api-docs -----------------------------------------------------------------------------------------


async def test_api_docs_are_served_with_the_request_host(
    stub_server: SimServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{stub_server.url}/ari/api-docs/resources.json", headers=basic()) as r:
        assert r.status == 200
        listing = await r.json()
    host = stub_server.url.removeprefix("http://")
    assert listing["basePath"] == f"http://{host}/ari"
    assert "/api-docs/channels.{format}" in [a["path"] for a in listing["apis"]]
    async with http.get(f"{stub_server.url}/ari/api-docs/channels.json", headers=basic()) as r:
        channels = await r.json()
    assert channels["basePath"] == f"http://{host}/ari"
    assert "Channel" in channels["models"]
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/api-docs/nope.json", headers=basic())
    assert (status, body) == (404, b'{"message":"Resource not found"}')
    status, _, _, _ = await _get(
        http, f"{stub_server.url}/ari/api-docs/resources.json", method="POST", headers=basic()
    )
    assert status == 405
    assert (await _get(http, f"{stub_server.url}/ari/api-docs/resources.json"))[0] == 401


# ---- events WebSocket -------------------------------------------------------------------------------------


async def _ws_status(http: aiohttp.ClientSession, url: str, **kw: object) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await http.ws_connect(url, **kw)  # type: ignore[arg-type]
    return e.value.status


async def test_websocket_handshake_errors(stub_server: SimServer, http: aiohttp.ClientSession) -> None:
    ws_url = stub_server.url.replace("http", "ws") + "/ari/events"
    assert await _ws_status(http, f"{ws_url}?api_key={USER}:{PASSWORD}") == 400
    assert await _ws_status(http, f"{ws_url}?app=probe2&api_key={USER}:bad") == 401
    assert await _ws_status(http, f"{ws_url}?app=probe2") == 401
    assert await _ws_status(http, f"{ws_url}?app=probe", headers=basic(USER, "bad")) == 401
    status, _, _, body = await _get(http, f"{stub_server.url}/ari/events?app=probe", headers=basic())
    assert (status, body) == (426, b'{"message":"Upgrade Required"}')


async def test_websocket_carries_engine_frames_and_closes_the_app_connection(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    ws_url = stub_server.url.replace("http", "ws") + "/ari/events"
    async with http.ws_connect(
        f"{ws_url}?app=a,b&subscribeAll=true", headers=basic(), protocols=("ari",)
    ) as ws:
        assert ws.protocol == "ari"
        hello = await ws.receive_json(timeout=5)
        assert hello == {"type": "Hello", "apps": ["a", "b"], "subscribe_all": True}
        conn = stub_engine.connections[-1]
        for i in range(50):
            conn.send(f'{{"type":"Tick","n":{i}}}')
        got = [(await ws.receive_json(timeout=5))["n"] for _ in range(50)]
        assert got == list(range(50))
        assert stub_server.websocket_count == 1
    for _ in range(100):
        if conn.closed:
            break
        await asyncio.sleep(0.01)
    assert conn.closed
    assert stub_server.websocket_count == 0


async def test_many_clients_and_server_close_says_going_away(
    stub_engine: StubEngine, http: aiohttp.ClientSession
) -> None:
    srv = SimServer(stub_engine, Credentials(USER, PASSWORD))
    await srv.start()
    ws_url = srv.url.replace("http", "ws") + f"/ari/events?api_key={USER}:{PASSWORD}"
    sockets = [await http.ws_connect(f"{ws_url}&app=app{i}") for i in range(20)]
    for ws in sockets:
        assert (await ws.receive_json(timeout=5))["type"] == "Hello"
    assert srv.websocket_count == 20
    closing = asyncio.create_task(srv.close())
    for ws in sockets:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 1001
    await asyncio.wait_for(closing, 5)
    assert all(c.closed for c in stub_engine.connections)


async def test_subscribe_all_spellings(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    ws_url = stub_server.url.replace("http", "ws") + "/ari/events"
    for value, expected in (("yes", True), ("1", True), ("false", False), ("", False)):
        async with http.ws_connect(f"{ws_url}?app=x&subscribeAll={value}", headers=basic()) as ws:
            assert (await ws.receive_json(timeout=5))["subscribe_all"] is expected


# ---- binding ----------------------------------------------------------------------------------------------


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.0.1") and is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1") and not is_loopback("example.org")


def test_default_password_beyond_loopback_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    exposed = SimServer(StubEngine(), Credentials(USER, "asterisk"), host="0.0.0.0")
    with pytest.warns(UserWarning, match="DEFAULT password"), caplog.at_level(logging.WARNING, "arinb.sim"):
        assert exposed.warn_if_exposed()
    assert "DEFAULT password" in caplog.text
    assert not SimServer(StubEngine(), Credentials(USER, "s3cret"), host="0.0.0.0").warn_if_exposed()
    assert not SimServer(StubEngine(), Credentials(USER, "asterisk")).warn_if_exposed()


async def test_a_dropped_connection_is_cut_without_a_close_frame(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    ws_url = stub_server.url.replace("http", "ws") + "/ari/events?app=x"
    async with http.ws_connect(ws_url, headers=basic()) as ws:
        await ws.receive_json(timeout=5)
        conn = stub_engine.connections[-1]
        assert conn.on_drop is not None
        conn.on_drop()
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert ws.close_code != 1000
    for _ in range(100):
        if conn.closed:
            break
        await asyncio.sleep(0.01)
    assert conn.closed and stub_server.websocket_count == 0


async def test_oversized_body_is_a_json_413(stub_server: SimServer, http: aiohttp.ClientSession) -> None:
    headers = {**basic(), "Content-Type": "application/json"}
    big = b'{"variables": {"X": "' + b"x" * (2 << 20) + b'"}}'
    status, _, hdrs, body = await _get(
        http,
        f"{stub_server.url}/ari/channels/c/variables",
        method="POST",
        headers=headers,
        data=io.BytesIO(big),
    )
    assert (status, body) == (413, b'{"message":"Request body too large"}')
    assert hdrs["Content-Type"] == "application/json"
    assert (await _get(http, f"{stub_server.url}/ari/channels", headers=basic()))[0] == 200


class _WireLog(SimServer):
    """Records the order in which replies and event frames are written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wire: list[str] = []

        async def on_prepare(request: web.Request, _response: web.StreamResponse) -> None:
            if not request.path.startswith("/ari/events"):
                self.wire.append(f"reply {request.method}")

        self.app.on_response_prepare.append(on_prepare)

    def _write_fast(self, conn: FastConnection, req: FastRequest, parts: Parts) -> None:
        self.wire.append(f"reply {req.method}")  # a reply of the fast lane (plain REST requests)
        super()._write_fast(conn, req, parts)

    async def _send_frames(self, ws: web.WebSocketResponse, texts: list[str]) -> None:
        self.wire.extend(f"frame {loads(text)['type']}" for text in texts)
        await super()._send_frames(ws, texts)


async def test_events_raised_by_a_request_go_before_or_after_its_reply_as_on_asterisk(
    stub_engine: StubEngine, http: aiohttp.ClientSession
) -> None:
    srv = _WireLog(stub_engine, Credentials(USER, PASSWORD))
    await srv.start()
    try:
        ws_url = srv.url.replace("http", "ws") + "/ari/events?app=x"
        async with http.ws_connect(ws_url, headers=basic()) as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "Hello"
            srv.wire.clear()
            # POST answer: its ChannelStateChange is written before the 204 ...
            assert (await _get(http, f"{srv.url}/ari/channels/c1/answer", method="POST", headers=basic()))[
                0
            ] == 204
            assert (await ws.receive_json(timeout=5))["type"] == "ChannelStateChange"
            # ... DELETE channel: the 204 first, then ChannelHangupRequest.
            assert (await _get(http, f"{srv.url}/ari/channels/c1", method="DELETE", headers=basic()))[
                0
            ] == 204
            assert (await ws.receive_json(timeout=5))["type"] == "ChannelHangupRequest"
        assert srv.wire == [
            "frame ChannelStateChange",
            "reply POST",
            "reply DELETE",
            "frame ChannelHangupRequest",
        ]
    finally:
        await srv.close()


async def test_a_client_that_does_not_read_cannot_hold_replies(
    stub_server: SimServer, http: aiohttp.ClientSession, stub_engine: StubEngine
) -> None:
    ws_url = stub_server.url.replace("http", "ws") + "/ari/events?app=x"
    stub_server.max_unsent_bytes = 64 << 20  # below the limit that closes the socket (tested below)
    async with http.ws_connect(ws_url, headers=basic()) as ws:  # never read from here on
        conn = stub_engine.connections[-1]
        for _ in range(
            1000
        ):  # 32 MB: more than the kernel and aiohttp buffer for a client that does not read
            conn.send('{"type":"Big","pad":"' + "x" * 32_000 + '"}')
        loop = asyncio.get_running_loop()
        timings = []
        for _ in range(5):
            started = loop.time()
            url = f"{stub_server.url}/ari/channels/c/answer"
            assert (await _get(http, url, method="POST", headers=basic()))[0] == 204
            timings.append(loop.time() - started)
        # The first reply waited for the stuck socket (at most the write timeout); later ones do not wait.
        assert WRITE_TIMEOUT * 0.9 <= timings[0] < 2.0
        assert [o.slow for o in stub_server._unsent] == [True]  # still stuck, and skipped by the flush
        assert sum(timings[1:]) < 4 * WRITE_TIMEOUT  # (each would take >= WRITE_TIMEOUT if it waited)
        assert not ws.closed
