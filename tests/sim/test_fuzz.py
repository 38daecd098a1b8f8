"""Hypothesis throws random methods, paths, parameters, bodies and media URIs at a running simulator.

What must hold for every request (as on a real Asterisk 22):

* no 5xx, except the 500s Asterisk itself answers (play or bridge play without media, bridge type bogus,
  a Bogus endpoint, record without a name, variable functions that fail) and 501 for an operation the
  simulator does not implement; never the catch-all ``Internal Server Error`` of an engine crash;
* every error body is JSON with a ``message`` (or Asterisk's ``error``), Content-Type application/json;
  204 has no body;
* the server keeps serving;
* invariants, checked after every request through the API: no playback outlives its channel (no playback
  event for a channel after its StasisEnd, no live playback whose channel is gone), and no channel is listed
  in an application once it is gone.

Bounded: 200 examples, a 2.5 s client timeout per request (a POST answer queued behind an endless tone waits
like on Asterisk; that is allowed for channel operations and counted), everything on loopback.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote_plus

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arinb.loop import EngineLoop
from arinb.models import loads
from arinb.sim import Simulator, simulate
from arinb.sim.routes import ROUTER, ROUTES, Operation
from tests.sim.conftest import basic

pytestmark = pytest.mark.slow

APP = "probe"
DIALPLAN = """
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(channel-tones)
 same => n,Hangup()
exten => 1003,1,NoOp()
 same => n,Stasis(probe)
 same => n,Hangup()
exten => wait,1,Answer()
 same => n,Wait(300)
 same => n,Hangup()
"""

# Operations for which Asterisk 22 itself answers a 500 on some inputs (README/MORE.md, probes).
ASTERISK_500 = {
    "channels.play",
    "channels.playWithId",
    "channels.originate",
    "channels.originateWithId",
    "channels.create",
    "channels.record",
    "channels.getChannelVar",
    "channels.setChannelVar",
    "channels.getChannelVars",
    "channels.setChannelVars",
    "channels.externalMedia",
    "channels.snoopChannel",
    "channels.snoopChannelWithId",
    "bridges.create",
    "bridges.createWithId",
    "bridges.play",
    "bridges.playWithId",
    "bridges.record",
    "bridges.getBridgeVar",
    "bridges.getBridgeVars",
    "bridges.setBridgeVar",
    "asterisk.getGlobalVar",
    "asterisk.setGlobalVar",
}
CRASH_BODY = {"message": "Internal Server Error"}
# What a call mostly goes through: drawn more often than the rest.
HOT = {
    "channels.play",
    "channels.playWithId",
    "playbacks.get",
    "playbacks.control",
    "playbacks.stop",
    "channels.answer",
    "channels.hangup",
    "channels.sendDTMF",
    "channels.record",
    "channels.setChannelVar",
    "channels.continueInDialplan",
    "bridges.create",
    "bridges.addChannel",
    "bridges.play",
    # new channels that may be given a live channel's id
    "channels.snoopChannelWithId",
    "channels.originateWithId",
    # externalMedia, redirect, music on hold, bridge recording, claim: drawn often too
    "channels.externalMedia",
    "channels.redirect",
    "channels.startMoh",
    "channels.stopMoh",
    "bridges.startMoh",
    "bridges.stopMoh",
    "bridges.record",
    "events.claimChannel",
}
# Implemented operations that answer 501 for some input, as Asterisk does without the module it needs:
# externalMedia over RTP (chan_rtp) or AudioSocket (chan_audiosocket); RTP statistics of a phone's channel.
PARTIAL_501 = {"channels.externalMedia", "channels.rtpstatistics"}
TIMEOUT = 2.5
MAX_CALLS = 120

MEDIA = [
    "sound:tt-monkeys",
    "sound:beep",
    "sound:tt-weasels",
    "sound:",
    "sound:does-not-exist",
    "recording:does-not-exist",
    "recording:rec1",
    "tone:ring",
    "tone:busy;tonezone=fr",
    "tone:ring;tonezone=xx",
    "tone:440+480/2000,0/4000",
    "number:123",
    "number:-7",
    "number:abc",
    "digits:5551212",
    "digits:",
    "characters:abc",
    "foo:bar",
    "tt-monkeys",
    "sound:tt-monkeys,sound:beep",
    "sound:beep,foo:bar,sound:beep",
    "",
    ",",
]


class Harness:
    """A client on its own loop thread: REST calls, and the probe app's events WebSocket."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.loop = EngineLoop("arinb-fuzz-client")
        self.events: list[dict[str, Any]] = []
        self.channels: list[str] = []  # every channel id seen in a StasisStart
        self.live: list[str] = []  # the probe app's channels before the current example
        self.implemented = set(sim.engine.operations())
        self.playbacks: list[str] = ["pb-1"]
        self.bridges: list[str] = ["br-1"]
        self.timeouts: dict[str, int] = {}
        self.not_implemented: set[str] = set()
        self.calls = 0
        self.statuses: Counter[int] = Counter()
        self.by_key: Counter[tuple[str | None, int]] = Counter()
        self.loop.submit(self._open()).result(10)

    async def _open(self) -> None:
        headers = basic(self.sim.username, self.sim.password)
        self.http = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        ws_url = self.sim.url.replace("http", "ws", 1) + f"/ari/events?app={APP}"
        self.ws = await self.http.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=2))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                event = loads(msg.data)
                self.events.append(event)
                channel = event.get("channel", {}).get("id")
                if event["type"] == "StasisStart" and channel not in self.channels:
                    self.channels.append(channel)
                playback = event.get("playback", {}).get("id")
                if playback and playback not in self.playbacks:
                    self.playbacks.append(playback)

    async def _request(
        self, method: str, path: str, query: list[tuple[str, str]], body: bytes | None, json_type: bool
    ) -> tuple[int, str, bytes]:
        from yarl import URL

        qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
        url = URL(f"{self.sim.url}/ari{path}{'?' + qs if qs else ''}", encoded=True)
        headers = {"Content-Type": "application/json"} if json_type else {}
        async with self.http.request(method, url, data=body, headers=headers) as r:
            return r.status, r.headers.get("Content-Type", ""), await r.read()

    def request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        json_type: bool = False,
    ) -> tuple[int, str, bytes] | None:
        """(status, content type, body), or None when the client timeout ran out."""
        try:
            return self.loop.submit(self._request(method, path, query or [], body, json_type)).result(
                TIMEOUT + 5
            )
        except TimeoutError:
            return None

    def get_json(self, path: str) -> tuple[int, Any]:
        got = self.request("GET", path)
        assert got is not None, f"GET {path} did not answer"
        status, _, body = got
        return status, loads(body) if body else None

    def ensure_channels(self, n: int = 2) -> None:
        status, app = self.get_json(f"/applications/{APP}")
        assert status == 200
        self.live[:] = app["channel_ids"]
        while len(self.live) < n and self.calls < MAX_CALLS:
            self.calls += 1
            self.live.append(self.sim.call("1003", caller=f"fuzz{self.calls}").result(10))

    def close(self) -> None:
        async def shut() -> None:
            await self.ws.close()
            self.reader.cancel()
            await self.http.close()

        self.loop.submit(shut()).result(10)
        self.loop.stop()
        self.loop.loop.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    sim = simulate(speed=200, dialplan=DIALPLAN)
    h = Harness(sim)
    try:
        yield h
    finally:
        h.close()
        sim.close()


# ---- strategies ---------------------------------------------------------------------------------------

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.;:/ %&+,#é", min_size=0, max_size=12)
_int_like = st.one_of(
    st.integers(-5, 100_000).map(str),
    st.sampled_from(["", "abc", "1e3", "-1", "0", "2147483648", "4294967297", "-9223372036854775809"]),
    # Hundreds of digits: Asterisk's atoi saturates them (-1 or 0 after the cast to int); never a 500.
    st.builds(lambda sign, n: sign + "9" * n, st.sampled_from(["", "-", "+"]), st.integers(20, 600)),
)
_bool_like = st.sampled_from(["true", "false", "yes", "no", "1", "0", "maybe", ""])


def _pick(pool: list[str], fallback: str) -> st.SearchStrategy[str]:
    # Draw an index, not an element: the pools grow during the run, and Hypothesis needs every example
    # to draw the same way when it replays or shrinks one.
    return st.integers(0, 1 << 16).map(lambda i: pool[i % len(pool)] if pool else fallback)


def _value_for(
    name: str, data_type: str, allowable: tuple[str, ...] | None, h: Harness
) -> st.SearchStrategy[str]:
    if allowable:
        return st.one_of(st.sampled_from(allowable), st.sampled_from(["bogus", ""]))
    if name == "media":
        return st.one_of(st.sampled_from(MEDIA), _word)
    if name in ("otherChannelId", "snoopId"):
        # Ids for a new channel: often one that a live channel already has (409 or 500, never a replacement).
        return st.one_of(_pick(h.live, "nope"), _pick(h.channels, "nope"), _word)
    if name in ("channel", "channelId"):
        pair = st.integers(0, 1).map(lambda _: ",".join(h.live[-2:]))
        live = _pick(h.live, "nope")
        return st.one_of(live, live, live, live, _pick(h.channels, "nope"), _word, pair)
    if name in ("playbackId",):
        return st.one_of(_pick(h.playbacks, "pb-1"), _pick(h.playbacks, "pb-1"), _word)
    if name in ("bridgeId",):
        return st.one_of(_pick(h.bridges, "br-1"), _pick(h.bridges, "br-1"), _word)
    if name == "endpoint":
        return st.sampled_from(
            ["Local/1003@default", "Local/wait@default", "Bogus/xyz", "PJSIP/alice", "", "Local"]
        )
    if name in ("app", "application"):
        return st.sampled_from([APP, "nope", "", f"{APP},other"])
    if name == "eventSource":
        kinds = ["channel:", "channel:nope", "bridge:nope", "bogus:x", "nocolon", "endpoint:Local"]
        return st.sampled_from(kinds).map(
            lambda k: k + (h.channels[-1] if k == "channel:" and h.channels else "")
        )
    if name in ("name", "recordingName", "destinationRecordingName"):
        return st.one_of(st.sampled_from(["rec1", "rec2", ""]), _word)
    if name == "format":
        return st.one_of(st.sampled_from(["slin", "slin16", "ulaw", "wav", "gsm", "bogus", ""]), _word)
    if name == "external_host":
        return st.sampled_from(["", "INCOMING", "127.0.0.1:4000", "nope", "[::1]:5000"])
    if name == "mohClass":
        return st.sampled_from(["default", "nope", ""])
    if name in ("dtmf",):
        return st.sampled_from(["1", "123#", "ABCD*0", "1Zx2", "4,5", ""])
    if name == "reason":
        return st.sampled_from(["normal", "busy", "congestion", "no_answer", "bogus", ""])
    if data_type in ("int", "long"):
        return _int_like
    if data_type == "boolean":
        return _bool_like
    return _word


@st.composite
def requests(
    draw: st.DrawFn, h: Harness
) -> tuple[str, str, str | None, list[tuple[str, str]], bytes | None, bool]:
    """(method, path, operation key or None, query pairs, body, json content type)."""
    if draw(st.integers(0, 9)) == 0:  # 10%: a random path and method
        segments = draw(st.lists(_word.filter(bool), min_size=1, max_size=4))
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
        return method, "/" + "/".join(quote(s, safe="") for s in segments), None, [], None, False
    # Mostly what a channel goes through (play, control, answer, hang up...), then the rest of what the
    # engine implements; now and then any operation (the unimplemented ones answer 501 at once).
    implemented = [o for o in ROUTES if o.key in h.implemented]
    media_ops = [o for o in implemented if o.resource in ("channels", "playbacks")]
    hot = [o for o in implemented if o.key in HOT]
    pool = draw(st.sampled_from([hot, hot, media_ops, implemented, implemented, list(ROUTES)]))
    operation: Operation = draw(st.sampled_from([o for o in pool if not o.websocket]))
    path = operation.path
    for p in operation.params_of("path"):
        value = draw(_value_for(p.name, p.data_type, None, h).filter(bool))
        path = path.replace("{" + p.name + "}", quote(value, safe=""))
    method = operation.method if draw(st.integers(0, 19)) else draw(st.sampled_from(["GET", "PUT", "PATCH"]))
    query: list[tuple[str, str]] = []
    for p in operation.params_of("query"):
        if draw(st.integers(0, 3)):  # most of the time each parameter is present
            query.append((p.name, draw(_value_for(p.name, p.data_type, p.allowable_values, h))))
            if draw(st.integers(0, 9)) == 0:  # sometimes repeated: the last value wins
                query.append((p.name, draw(_value_for(p.name, p.data_type, p.allowable_values, h))))
    if draw(st.integers(0, 9)) == 0:
        query.append((draw(_word.filter(bool)), draw(_word)))
    body: bytes | None = None
    json_type = False
    shape = draw(st.integers(0, 9))
    if shape == 0:
        body, json_type = b'{"variables": {"X": "1", "CALLERID(name)": "fuzz"}}', True
    elif shape == 1:
        body, json_type = draw(st.sampled_from([b"{nope", b"[]", b"null", b'"x"', b'{"media": 3}'])), True
    elif shape == 2:  # integers beyond long long in a JSON body (jansson refuses them: 400)
        digits = "9" * draw(st.integers(19, 400))
        field = draw(st.sampled_from(["timeout", "offsetms", "skipms", "priority", "between", "channelId"]))
        body, json_type = f'{{"{field}": {digits}}}'.encode(), True
    return method, path, operation.key, query, body, json_type


# ---- invariants ---------------------------------------------------------------------------------------


def _check_event_invariants(events: list[dict[str, Any]]) -> None:
    """No playback event for a channel after its StasisEnd (unless it came back with a new StasisStart), and
    no second StasisStart for a channel id still in the app (a new channel given a live channel's id would
    replace it)."""
    ended: set[str] = set()
    in_app: set[str] = set()
    for event in events:
        kind = event["type"]
        channel = event.get("channel", {}).get("id")
        if kind == "StasisStart":
            assert channel not in in_app, f"StasisStart for {channel}, which is already in the app"
            in_app.add(channel)
        elif kind == "StasisEnd":
            in_app.discard(channel)
        if kind == "StasisStart":
            ended.discard(channel)
        elif kind == "StasisEnd":
            ended.add(channel)
        elif kind.startswith("Playback"):
            target = event["playback"].get("target_uri", "")
            assert not (target.startswith("channel:") and target[len("channel:") :] in ended), (
                f"{kind} for {target} after its StasisEnd"
            )


def _check_rest_invariants(h: Harness) -> None:
    """Polled for up to 3 s: the engine may finish a hangup's work on a later loop turn (or a loaded CI)."""
    deadline = time.monotonic() + 3.0
    while True:
        problems = []
        status, app = h.get_json(f"/applications/{APP}")
        assert status == 200
        _, channels = h.get_json("/channels")
        alive = {c["id"] for c in channels}
        problems += [f"gone channel {c} still in app" for c in app["channel_ids"] if c not in alive]
        for pb in h.playbacks[-30:]:
            status, playback = h.get_json(f"/playbacks/{quote(pb, safe='')}")
            target = playback.get("target_uri", "") if status == 200 else ""
            if target.startswith("channel:") and target[len("channel:") :] not in alive:
                problems.append(f"playback {pb} outlives its channel {target}")
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not problems, problems


def _served_by(method: str, path: str) -> str | None:
    """The operation that really answers (a drawn operation may have been sent with another method)."""
    try:
        return ROUTER.match(method, [unquote_plus(s) for s in path.strip("/").split("/")]).operation.key
    except LookupError:
        return None


# ---- the test -----------------------------------------------------------------------------------------


def _check_response(
    key: str | None, method: str, path: str, got: tuple[int, str, bytes] | None, h: Harness
) -> None:
    where = f"{method} {path} ({key})"
    if got is None:
        # A channel command queued behind an endless playback waits, as on Asterisk.
        assert key is not None and key.startswith(("channels.", "bridges.")), f"{where}: no answer"
        h.timeouts[key] = h.timeouts.get(key, 0) + 1
        return
    status, ctype, raw = got
    h.statuses[status] += 1
    h.by_key[key, status] += 1
    if status == 204:
        assert raw == b"", where
        return
    if key == "recordings.getStoredFile" and status == 200:
        return  # audio bytes
    assert ctype == "application/json", f"{where}: {status} {ctype}"
    body = loads(raw)
    if status >= 400:
        assert isinstance(body, dict), f"{where}: {status} {body!r}"
        message = body.get("message", body.get("error"))
        assert isinstance(message, str) and message, f"{where}: {status} {body!r}"
    if status >= 500:
        assert body != CRASH_BODY, f"{where}: the engine crashed"
        if status == 501:
            assert key is not None
            assert key not in h.implemented or key in PARTIAL_501, f"{where}: 501 from an implemented op"
            h.not_implemented.add(key)
        else:
            assert status == 500 and key in ASTERISK_500, f"{where}: {status} {body!r}"
    if status == 200 and key in ("bridges.create", "bridges.createWithId") and isinstance(body, dict):
        h.bridges.append(body["id"])


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_random_requests_never_break_the_simulator(harness: Harness, data: st.DataObject) -> None:
    h = harness
    h.ensure_channels(3)
    for _ in range(data.draw(st.integers(1, 4), label="requests in this example")):
        method, path, _drawn, query, body, json_type = data.draw(requests(h))
        got = h.request(method, path, query, body, json_type)
        _check_response(_served_by(method, path), method, path, got, h)
    _check_event_invariants(h.events)
    _check_rest_invariants(h)


def test_still_serving_after_the_fuzz(harness: Harness) -> None:
    status, info = harness.get_json("/asterisk/info")
    assert status == 200 and "system" in info
    for channel in list(harness.channels):
        harness.request("DELETE", f"/channels/{quote(channel, safe='')}")
    _check_rest_invariants(harness)
    _check_event_invariants(harness.events)
    missing = sorted(harness.not_implemented)
    statuses = dict(sorted(harness.statuses.items()))
    print(f"\nfuzz: {harness.calls} calls, statuses {statuses}, timeouts {harness.timeouts}")
    print(f"fuzz: {len(harness.events)} events; not implemented by the engine: {missing}")
    print(f"fuzz: most common answers: {harness.by_key.most_common(12)}")


# ---- the checks themselves can fail -------------------------------------------------------------------


def test_event_invariant_catches_a_playback_after_stasis_end() -> None:
    channel = {"id": "c1"}
    playback = {"id": "p1", "target_uri": "channel:c1"}
    ok = [
        {"type": "StasisStart", "channel": channel},
        {"type": "PlaybackStarted", "playback": playback},
        {"type": "StasisEnd", "channel": channel},
        {"type": "StasisStart", "channel": channel},  # back in the app: playbacks allowed again
        {"type": "PlaybackFinished", "playback": playback},
    ]
    _check_event_invariants(ok)
    with pytest.raises(AssertionError, match="after its StasisEnd"):
        _check_event_invariants([*ok[:3], {"type": "PlaybackFinished", "playback": playback}])


def test_response_check_catches_crashes_and_bad_bodies() -> None:
    h = Harness.__new__(Harness)  # only the counters are used
    h.statuses, h.by_key, h.timeouts, h.not_implemented = Counter(), Counter(), {}, set()
    _check_response(
        "channels.play", "POST", "/channels/c/play", (500, "application/json", b'{"message":"x"}'), h
    )
    with pytest.raises(AssertionError, match="crashed"):
        _check_response(
            "channels.get",
            "GET",
            "/channels/c",
            (500, "application/json", b'{"message":"Internal Server Error"}'),
            h,
        )
    with pytest.raises(AssertionError):
        _check_response(
            "channels.get", "GET", "/channels/c", (500, "application/json", b'{"message":"x"}'), h
        )
    with pytest.raises(AssertionError):
        _check_response("channels.get", "GET", "/channels/c", (404, "application/json", b'{"nope":1}'), h)
    with pytest.raises(AssertionError):
        _check_response("channels.get", "GET", "/channels/c", (404, "text/plain", b"Not Found"), h)
    with pytest.raises(AssertionError, match="no answer"):
        _check_response(None, "GET", "/x", None, h)


# ---- the events WebSocket handshake ---------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    app=st.one_of(st.none(), st.sampled_from(["probe2", "a,b", ",", "", "x y"]), _word).filter(
        lambda a: APP not in (a or "").split(",")  # never take the probe app from the harness
    ),
    subscribe_all=st.one_of(st.none(), _bool_like),
    key=st.sampled_from(["good", "bad", "none", "basic", "bad-basic"]),
    extra=st.lists(st.tuples(_word.filter(bool), _word), max_size=2),
)
def test_random_event_socket_handshakes(
    harness: Harness, app: str | None, subscribe_all: str | None, key: str, extra: list[tuple[str, str]]
) -> None:
    """Every handshake ends as on Asterisk: 401 without valid credentials, else 400 without an app."""
    sim = harness.sim
    query = [(k, v) for k, v in extra if k.lower() not in ("app", "api_key", "subscribeall")]
    if app is not None:
        query.append(("app", app))
    if subscribe_all is not None:
        query.append(("subscribeAll", subscribe_all))
    headers: dict[str, str] = {}
    if key == "good":
        query.append(("api_key", f"{sim.username}:{sim.password}"))
    elif key == "bad":
        query.append(("api_key", f"{sim.username}:nope"))
    elif key == "basic":
        headers = basic(sim.username, sim.password)
    elif key == "bad-basic":
        headers = basic(sim.username, "nope")
    authorized = key in ("good", "basic")
    has_app = bool([a for a in (app or "").split(",") if a])

    async def attempt() -> int:
        qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
        url = sim.url.replace("http", "ws", 1) + "/ari/events" + (f"?{qs}" if qs else "")
        async with aiohttp.ClientSession() as http:
            try:
                ws = await http.ws_connect(url, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=2))
            except aiohttp.WSServerHandshakeError as e:
                return e.status
            await ws.close()
            return 101

    status = harness.loop.submit(attempt()).result(15)
    expected = 401 if not authorized else (101 if has_app else 400)
    assert status == expected, (query, headers.keys())
