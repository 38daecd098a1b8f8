"""The server's fast lane (arinb.sim.fasthttp) answers plain REST requests byte for byte as aiohttp does, and
hands anything else to aiohttp on the same connection.

Every request here goes, as raw bytes, to two servers over identical stand-in engines: one with the fast lane
and one where aiohttp answers everything; the replies must be equal but for the Date header's value.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator

import pytest

from arinb.credentials import Credentials
from arinb.sim.fasthttp import HAND_OVER, FastConnection, FastRequest, parse_request
from arinb.sim.server import Parts, SimServer
from tests.sim.conftest import PASSWORD, USER, StubEngine

AUTH = "Authorization: Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
_DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")


class _Counting(SimServer):
    """Counts the replies its fast lane writes (to know the lane was taken)."""

    fast_replies = 0

    def _write_fast(self, conn: FastConnection, req: FastRequest, parts: Parts) -> None:
        self.fast_replies += 1
        super()._write_fast(conn, req, parts)


@pytest.fixture
async def servers() -> AsyncIterator[tuple[_Counting, SimServer]]:
    fast = _Counting(StubEngine(), Credentials(USER, PASSWORD))
    plain = SimServer(StubEngine(), Credentials(USER, PASSWORD), fast_lane=False)
    await fast.start()
    await plain.start()
    try:
        yield fast, plain
    finally:
        await fast.close()
        await plain.close()


def _replies(data: bytes) -> list[bytes]:
    """Split a byte stream into whole HTTP replies (Content-Length framed, or none for 204)."""
    out = []
    while (end := data.find(b"\r\n\r\n")) >= 0:
        head = data[: end + 4]
        m = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
        size = end + 4 + (int(m.group(1)) if m else 0)
        if len(data) < size:
            break
        out.append(data[:size])
        data = data[size:]
    return out


async def _exchange(port: int, *chunks: bytes, replies: int) -> tuple[list[bytes], bool]:
    """Send ``chunks`` (one write each) on one connection; the ``replies`` answers and whether it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0.01)
        data = b""
        closed = False
        while len(_replies(data)) < replies:
            got = await asyncio.wait_for(reader.read(65536), 5)
            if not got:
                closed = True
                break
            data += got
        if not closed:
            try:
                closed = await asyncio.wait_for(reader.read(1), 0.05) == b""
            except TimeoutError:
                closed = False
        return [_DATE.sub(b"\r\nDate: *\r\n", r) for r in _replies(data)], closed
    finally:
        writer.close()


def _req(line: str, *headers: str, body: bytes = b"") -> bytes:
    head = [line, "Host: 127.0.0.1", *headers]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


PLAIN = [
    _req("GET /ari/asterisk/ping HTTP/1.1", AUTH),
    _req("GET /ari/asterisk/ping HTTP/1.1", "Authorization: Basic bm9wZTpub3Bl"),
    _req("GET /ari/asterisk/ping HTTP/1.1"),
    _req(f"GET /ari/asterisk/ping?api_key={USER}:{PASSWORD} HTTP/1.1"),
    _req("GET /ari/channels HTTP/1.1", AUTH, "Connection: keep-alive"),
    _req("GET /ari/channels/c1 HTTP/1.1", AUTH),
    _req("GET /ari/channels/c1/variable?variable=X HTTP/1.1", AUTH),
    _req("GET /ari/recordings/stored/r1/file HTTP/1.1", AUTH),
    _req("POST /ari/channels/c1/answer HTTP/1.1", AUTH),
    _req("DELETE /ari/channels/c1 HTTP/1.1", AUTH, "Content-Length: 0"),
    _req("POST /ari/channels/c1/play/pb-1?media=sound:beep&media=sound:x+y&lang= HTTP/1.1", AUTH),
    _req(
        "POST /ari/channels?endpoint=Local/1@default HTTP/1.1",
        AUTH,
        "Content-Type: application/json; charset=utf-8",
        body=b'{"app": "a", "timeout": 30, "variables": {"V": "1"}}',
    ),
    _req(
        "POST /ari/channels HTTP/1.1",
        AUTH,
        "Content-Type: application/x-www-form-urlencoded",
        body=b"endpoint=PJSIP%2Falice&app=a",
    ),
    _req("POST /ari/channels HTTP/1.1", AUTH, "Content-Type: application/json", body=b"{bad"),
    _req(
        "POST /ari/channels HTTP/1.1",
        AUTH,
        "Content-Type: application/json",
        body=b'{"t": 99999999999999999999}',
    ),
    _req("POST /ari/channels HTTP/1.1", AUTH, "Content-Type: text/plain", body=b"ignored"),
    _req("GET /ari/asterisk/modules HTTP/1.1", AUTH),
    _req("PUT /ari/channels HTTP/1.1", AUTH),
    _req("GET /ari/nothing/here HTTP/1.1", AUTH),
    _req("GET /ari/channels/ HTTP/1.1", AUTH),
]


@pytest.mark.parametrize("request_bytes", PLAIN, ids=[r.split(b" HTTP")[0].decode()[:60] for r in PLAIN])
async def test_plain_requests_get_the_bytes_aiohttp_writes(
    servers: tuple[_Counting, SimServer], request_bytes: bytes
) -> None:
    fast, plain = servers
    got, _ = await _exchange(fast.port, request_bytes, replies=1)
    want, _ = await _exchange(plain.port, request_bytes, replies=1)
    assert got == want and len(got) == 1
    assert fast.fast_replies == 1  # the fast lane answered it


async def test_an_engine_crash_is_the_same_500_on_both_lanes(
    servers: tuple[_Counting, SimServer], caplog: pytest.LogCaptureFixture
) -> None:
    fast, plain = servers
    for srv in servers:
        srv.engine.explode = True  # type: ignore[attr-defined]
    ping = _req("GET /ari/asterisk/ping HTTP/1.1", AUTH)
    got, _ = await _exchange(fast.port, ping, replies=1)
    want, _ = await _exchange(plain.port, ping, replies=1)
    assert got == want and b"500 Internal Server Error" in got[0]
    assert len([r for r in caplog.records if "unexpected error on GET /ari/asterisk/ping" in r.message]) == 2


async def test_pipelined_split_and_closing_requests(servers: tuple[_Counting, SimServer]) -> None:
    fast, plain = servers
    ping = _req("GET /ari/asterisk/ping HTTP/1.1", AUTH)
    answer = _req("POST /ari/channels/c1/answer HTTP/1.1", AUTH)
    bye = _req("GET /ari/channels HTTP/1.1", AUTH, "Connection: close")
    cases: list[tuple[tuple[bytes, ...], int]] = [
        ((ping + answer + ping,), 3),  # pipelined in one write
        ((answer[:7], answer[7:30], answer[30:]), 1),  # one request in three writes
        ((bye,), 1),  # answered with Connection: close, then closed
    ]
    for chunks, n in cases:
        got = await _exchange(fast.port, *chunks, replies=n)
        want = await _exchange(plain.port, *chunks, replies=n)
        assert got == want and len(got[0]) == n
    assert fast.fast_replies == 5
    assert (await _exchange(fast.port, bye, replies=1))[1] is True  # the server closed it


async def test_anything_else_is_handed_to_aiohttp_on_the_same_connection(
    servers: tuple[_Counting, SimServer],
) -> None:
    fast, plain = servers
    ping = _req("GET /ari/asterisk/ping HTTP/1.1", AUTH)
    escaped = _req("GET /ari/asterisk/p%69ng HTTP/1.1", AUTH)  # a path aiohttp normalizes: handed over
    old = _req("GET /ari/asterisk/ping HTTP/1.0", AUTH)
    got = await _exchange(fast.port, ping, escaped, ping, replies=3)
    want = await _exchange(plain.port, ping, escaped, ping, replies=3)
    assert got == want and [r.split(b"\r\n")[0] for r in got[0]] == [b"HTTP/1.1 200 OK"] * 3
    assert fast.fast_replies == 1  # the first one; the connection then belongs to aiohttp
    got = await _exchange(fast.port, old, replies=1)
    assert got == await _exchange(plain.port, old, replies=1)
    assert got[0][0].startswith(b"HTTP/1.0 200 OK")


async def test_the_events_socket_after_plain_requests(servers: tuple[_Counting, SimServer]) -> None:
    fast, _ = servers
    reader, writer = await asyncio.open_connection("127.0.0.1", fast.port)
    try:
        writer.write(
            _req("GET /ari/asterisk/ping HTTP/1.1", AUTH)
            + _req(
                "GET /ari/events?app=x HTTP/1.1",
                AUTH,
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version: 13",
            )
        )
        data = b""
        while b'"type":"Hello"' not in data:
            got = await asyncio.wait_for(reader.read(65536), 5)
            assert got, data
            data += got
        assert data.startswith(b"HTTP/1.1 200 OK") and b"HTTP/1.1 101 Switching Protocols" in data
        assert fast.websocket_count == 1
    finally:
        writer.close()


async def test_close_ends_idle_fast_connections(servers: tuple[_Counting, SimServer]) -> None:
    fast, _ = servers
    reader, writer = await asyncio.open_connection("127.0.0.1", fast.port)
    writer.write(_req("GET /ari/asterisk/ping HTTP/1.1", AUTH))
    assert (await asyncio.wait_for(reader.read(65536), 5)).startswith(b"HTTP/1.1 200 OK")
    await fast.close()
    assert await asyncio.wait_for(reader.read(65536), 5) == b""
    writer.close()


def test_what_the_parser_leaves_to_aiohttp() -> None:
    plain = b"GET /ari/asterisk/ping HTTP/1.1\r\nHost: h\r\n\r\n"
    assert parse_request(plain) not in (None, HAND_OVER)
    assert parse_request(plain[:-2]) is None  # incomplete
    for other in (
        b"HEAD /ari/asterisk/ping HTTP/1.1\r\n\r\n",
        b"GET /ari/asterisk/ping HTTP/1.0\r\n\r\n",
        b"GET /ari/../ari/asterisk/ping HTTP/1.1\r\n\r\n",
        b"GET /ari/events?app=a HTTP/1.1\r\n\r\n",
        b"GET /ari/api-docs/resources.json HTTP/1.1\r\n\r\n",
        b"GET /other HTTP/1.1\r\n\r\n",
        b"POST /ari/channels HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST /ari/channels HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        b"POST /ari/channels HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        b"GET /ari/channels HTTP/1.1\r\nConnection: upgrade\r\n\r\n",
        b"GET /ari/channels HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET /ari/channels HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n",
        b"GET /ari/channels?x=" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    ):
        assert parse_request(other) is HAND_OVER, other[:60]
    assert parse_request(b"POST /ari/channels HTTP/1.1\r\nContent-Length: 5\r\n\r\n", max_body=4) is HAND_OVER


async def test_a_client_pipelining_far_ahead_of_a_waiting_request_is_paused() -> None:
    class _Transport(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.paused = False
            self.written = b""

        def pause_reading(self) -> None:
            self.paused = True

        def resume_reading(self) -> None:
            self.paused = False

        def is_closing(self) -> bool:
            return False

        def write(self, data: bytes | bytearray | memoryview) -> None:
            self.written += bytes(data)

    pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    served: list[FastRequest] = []

    def serve(conn: FastConnection, req: FastRequest) -> asyncio.Future[None] | None:
        served.append(req)
        return pending if len(served) == 1 else None  # the first one waits (a queued answer)

    conn = FastConnection(serve, asyncio.Protocol, set(), server_header="x", max_body=100)
    transport = _Transport()
    conn.connection_made(transport)
    conn.data_received(_req("POST /ari/channels/c1/answer HTTP/1.1", AUTH))
    conn.data_received(_req("GET /ari/asterisk/ping HTTP/1.1", AUTH) * 100)  # far beyond max_body + MAX_HEAD
    assert len(served) == 1 and transport.paused
    pending.set_result(None)
    await asyncio.sleep(0)
    assert not transport.paused and len(served) == 101  # answered in order once the first one was
