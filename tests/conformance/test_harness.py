"""Self-tests of the conformance harness: it passes a faithful server and fails an unfaithful one.

The faithful server is ``fake_server.TraceServer`` playing a capture back verbatim. Each mutation below
changes what that server sends (drops an event, changes a status, delays or swaps frames, renames ids) while
the harness still compares against the original capture, and the test checks the *kind*, the *place* and the
*message* of the first divergence. None of this needs the simulator.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from arinb.loop import EngineLoop

from .allowances import (
    CAPTURE_LATENCIES,
    ORDER_ALLOWANCES,
    CaptureLatency,
    CrossSocketRace,
    DeviceStateRace,
    LocalHalvesRace,
    ResponseEventRace,
)
from .compare import Report, compare, tolerance
from .fake_server import TraceServer
from .matching import Matcher, Observation
from .normalize import IdMap, diff, iter_tokens
from .replay import Recording, Replayer, replay
from .targets import RealClock, Target
from .trace import Trace, load_trace, trace_names

Mutation = Callable[[dict[str, Any]], None]


async def run_fake(
    expected: Trace, served: Trace | None = None, *, realtime: bool = False
) -> tuple[Report, Recording, TraceServer]:
    """Replay ``expected`` against a fake that serves ``served`` (default: the same capture)."""
    server = TraceServer(served or expected, realtime=realtime)
    target = await server.start()
    try:
        rec = await replay(expected, target)
    finally:
        await server.close()
    return compare(rec), rec, server


def mutated(name: str, mutate: Mutation) -> tuple[Trace, Trace]:
    """The original capture and a copy changed by ``mutate`` (on the raw JSON)."""
    original = load_trace(name)
    data = copy.deepcopy(original.raw)
    mutate(data)
    return original, Trace.from_dict(data, name=f"{name}-mutated")


def set_event(step: dict[str, Any], event: dict[str, Any]) -> None:
    """Replace an event step's event, keeping ``raw`` (what the fake sends) in step."""
    step["event"] = event
    step["raw"] = json.dumps(event, separators=(",", ":"))
    step["type"] = event["type"]


def delay(steps: list[dict[str, Any]], start: int, seconds: float) -> None:
    """Make everything from ``steps[start]`` on happen later, event timestamps included."""
    for step in steps[start:]:
        step["t"] += seconds
        if step["kind"] == "event":
            event = copy.deepcopy(step["event"])
            stamp = dt.datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
            shifted = stamp + dt.timedelta(seconds=seconds)
            event["timestamp"] = (
                shifted.strftime("%Y-%m-%dT%H:%M:%S.") + f"{shifted.microsecond // 1000:03d}+0000"
            )
            set_event(step, event)


def swap(steps: list[dict[str, Any]], i: int, j: int) -> None:
    """Swap two steps' places, keeping the times in order."""
    steps[i]["t"], steps[j]["t"] = steps[j]["t"], steps[i]["t"]
    steps[i], steps[j] = steps[j], steps[i]


# -- the faithful server -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", trace_names())
async def test_verbatim_replay_conforms(name: str) -> None:
    report, rec, server = await run_fake(load_trace(name))
    assert server.problems == []  # every request reached the fake as the capture sent it
    assert report.ok, report.format()
    assert rec.aborted is None
    assert rec.barrier == "ping/pong"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["probe-hangup-reason", "ws-and-auth-errors"])
async def test_real_time_replay_conforms(name: str) -> None:
    # The mode used against a real Asterisk: wall-clock time, nothing held still.
    report, _, server = await run_fake(load_trace(name), realtime=True)
    assert server.problems == []
    assert report.ok, report.format()


async def test_real_time_replay_still_catches_a_late_event() -> None:
    # 0.9 s late: the time the replay's loop stands still on a loaded machine is not held against the target
    # (Recording.stalls), so the lateness must be more than a starved process loses in that while. Past
    # the replay's 1 s wait it counts as missing: caught all the same.
    original, served = mutated("probe-hangup-reason", lambda d: delay(d["steps"], 11, 0.9))
    report, _, _ = await run_fake(original, served, realtime=True)
    assert report.first is not None, report.format()
    assert report.first.kind in ("timing", "timestamp", "missing"), report.format()


class FreezingServer(TraceServer):
    """The faithful fake, on a machine that freezes ``seconds`` when the request of step ``at`` arrives
    (``before`` the fake notes its time, or after)."""

    def __init__(self, trace: Trace, at: int, seconds: float, *, before: bool) -> None:
        super().__init__(trace, realtime=True)
        self.at, self.seconds, self.before = at, seconds, before

    def _saw(self, index: int) -> None:
        # time.sleep: the loop the replayer shares stands still, as a loaded machine's would.
        if index == self.at and self.before:
            time.sleep(self.seconds)
        super()._saw(index)
        if index == self.at and not self.before:
            time.sleep(self.seconds)


@pytest.mark.parametrize(
    ("request_path", "before"),
    [
        # the answer is seen 0.2 s late: its ChannelStateChange comes late, with a late timestamp
        ("/answer", True),
        # the originate's answer is 0.2 s late, and so the client's answer request: the channel's
        # creationtime (made by the originate) is 0.2 s further before the answer than in the capture
        ("/ari/channels", False),
    ],
)
async def test_real_time_replay_does_not_blame_the_target_for_its_own_stall(
    request_path: str, before: bool
) -> None:
    trace = load_trace("probe-hangup-reason")
    frozen = next(s.index for s in trace.steps if s.kind == "request" and s.path.endswith(request_path))
    answer = next(s.index for s in trace.steps if s.kind == "request" and s.path.endswith("/answer"))
    server = FreezingServer(trace, frozen, 0.2, before=before)
    target = await server.start()
    try:
        rec = await replay(trace, target)
    finally:
        await server.close()
    state_change = answer + 1
    assert trace.steps[state_change].event["type"] == "ChannelStateChange"
    came = rec.matcher.paired[state_change].t
    # It came 0.2 s later than the capture says (far beyond the tolerance)...
    assert (
        came - rec.action_times[frozen] > 0.2 > tolerance(trace.steps[state_change].t - trace.steps[frozen].t)
    )
    # ...and the replay knows it stood still that long meanwhile: not the target's doing.
    assert rec.stalled(rec.action_times[frozen], came) >= 0.19
    report = compare(rec)
    assert report.ok, report.format()


async def test_requests_carry_learned_ids_encoded_as_captured() -> None:
    # With every id bound to itself, the replayer must produce the capture's own URLs, byte for byte.
    for name in trace_names():
        trace = load_trace(name)
        replayer = Replayer(trace, Target("t", "http://127.0.0.1:8088", "u", "p", RealClock()))
        for s in trace.steps:
            for _, tok, _, _ in iter_tokens(json.dumps(s.data)):
                replayer.matcher.ids.bind(tok, tok)
        for s in trace.steps:
            if s.kind == "request" and "url" in s.data:
                assert str(replayer.request_url(s)) == str(URL(s.data["url"], encoded=True)), (name, s.index)


# -- mutations that must fail ---------------------------------------------------------------------------
async def test_a_dropped_event_is_missing() -> None:
    original, served = mutated("monkeys", lambda d: d["steps"].pop(7))  # PlaybackFinished
    report, _, _ = await run_fake(original, served)
    first = report.first
    assert first is not None and first.kind == "missing" and first.step == 7
    assert "PlaybackFinished" in first.message and "never arrived" in first.message
    assert "first divergence" not in report.format() or "PlaybackFinished" in report.format()


async def test_a_wrong_status_is_reported_with_both_statuses() -> None:
    def mutate(d: dict[str, Any]) -> None:
        step = d["steps"][14]  # DELETE /channels/{id} -> 204
        step.update(status=404, reason="Not Found", raw_body='{"message":"Channel not found"}')
        step["body"], step["content_type"] = {"message": "Channel not found"}, "application/json"

    original, served = mutated("tones", mutate)
    report, _, _ = await run_fake(original, served)
    first = report.first
    assert first is not None and (first.kind, first.step) == ("status", 14)
    assert "expected 204 'No Content', got 404 'Not Found'" in first.message


async def test_a_wrong_reason_phrase_fails() -> None:
    # bridges say 404 "Not found" on addChannel but "Not Found" on GET (MORE.md): the phrase is compared.
    trace = load_trace("bridge-errors")
    index = next(s.index for s in trace.steps if s.kind == "response" and s.data.get("reason") == "Not found")
    original, served = mutated("bridge-errors", lambda d: d["steps"][index].update(reason="Not Found"))
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and (report.first.kind, report.first.step) == ("status", index)


async def test_late_event_fails_on_timing() -> None:
    def mutate(d: dict[str, Any]) -> None:
        delay(d["steps"], 7, 1.0)  # PlaybackFinished 1 s late (tolerance 5 % of 16.2 s = 0.81 s)

    original, served = mutated("monkeys", mutate)
    report, _, _ = await run_fake(original, served)
    first = report.first
    assert first is not None and (first.kind, first.step) == ("timing", 7)
    assert "came 17.18" in first.message and "expected 16.18" in first.message


async def test_small_timing_error_within_tolerance_passes() -> None:
    def mutate(d: dict[str, Any]) -> None:
        delay(d["steps"], 7, 0.5)  # < 5 % of 16.18 s

    original, served = mutated("monkeys", mutate)
    report, _, _ = await run_fake(original, served)
    assert report.ok, report.format()


async def test_dtmf_digits_too_close_fail() -> None:
    # ChannelDtmfReceived "2" 100 ms after "1" instead of 200 ms: more than 50 ms off.
    def mutate(d: dict[str, Any]) -> None:
        d["steps"][26]["t"] -= 0.1

    original, served = mutated("dtmf", mutate)
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and (report.first.kind, report.first.step) == ("timing", 26)


async def test_swapped_events_fail_on_order() -> None:
    original, served = mutated("tones", lambda d: swap(d["steps"], 15, 16))  # HangupRequest <-> StasisEnd
    report, _, _ = await run_fake(original, served)
    first = report.first
    assert first is not None and (first.kind, first.step) == ("order", 15)
    assert "ChannelHangupRequest" in first.message and "StasisEnd" in first.message
    assert "no documented race" in str(first)


async def test_event_before_its_response_fails_without_allowance() -> None:
    # DELETE /playbacks: every capture has the 204 before PlaybackFinished; the other order is no race.
    original, served = mutated("probe-tone-busy-stop", lambda d: swap(d["steps"], 13, 14))
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and report.first.kind == "order"


async def test_documented_race_playback_started_before_201_passes() -> None:
    original, served = mutated("tones", lambda d: swap(d["steps"], 5, 6))
    report, _, _ = await run_fake(original, served)
    assert report.ok, report.format()


async def test_documented_race_201_state_playing_passes_but_other_states_fail() -> None:
    def state(value: str) -> Mutation:
        def mutate(d: dict[str, Any]) -> None:
            step = d["steps"][5]
            step["body"] = {**step["body"], "state": value}
            step["raw_body"] = json.dumps(step["body"], separators=(",", ":"))

        return mutate

    original, served = mutated("tones", state("playing"))
    report, _, _ = await run_fake(original, served)
    assert report.ok, report.format()
    original, served = mutated("tones", state("paused"))
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and (report.first.kind, report.first.step) == ("content", 5)
    assert 'state: expected "queued", got "paused"' in str(report.first)


async def test_documented_race_local_halves_swap_passes_same_half_does_not() -> None:
    # dtmf #65 ChannelVarset(;1) and #66 ChannelHangupRequest(;2): two halves, may swap (MORE §4).
    original, served = mutated("dtmf", lambda d: swap(d["steps"], 65, 66))
    report, _, _ = await run_fake(original, served)
    assert report.ok, report.format()
    # #63 ChannelHangupRequest(;1) and #64 StasisEnd(;1): one channel, must not.
    original, served = mutated("dtmf", lambda d: swap(d["steps"], 63, 64))
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and (report.first.kind, report.first.step) == ("order", 63)


async def test_changed_field_is_shown_with_its_path() -> None:
    def mutate(d: dict[str, Any]) -> None:
        event = copy.deepcopy(d["steps"][3]["event"])
        event["channel"]["state"] = "Up"
        set_event(d["steps"][3], event)

    original, served = mutated("monkeys", mutate)
    report, _, _ = await run_fake(original, served)
    first = report.first
    assert first is not None and (first.kind, first.step) == ("content", 3)
    assert 'channel.state: expected "Ring", got "Up"' in str(first)


async def test_an_extra_event_is_unexpected() -> None:
    def mutate(d: dict[str, Any]) -> None:
        extra = copy.deepcopy(d["steps"][7])  # a second PlaybackFinished right after the first
        extra["t"] += 0.00005
        d["steps"].insert(8, extra)

    original, served = mutated("monkeys", mutate)
    report, _, _ = await run_fake(original, served)
    kinds = [d.kind for d in report.divergences]
    assert kinds == ["unexpected"], report.format()
    assert "PlaybackFinished" in report.divergences[0].message
    assert ">> @16.3905 EV PlaybackFinished" in report.format()  # the extra one, marked in the replay


async def test_renamed_ids_are_learned_and_used() -> None:
    # Every server-made id renamed: the harness must learn the new ones and send them in later paths (the
    # fake checks each request path), and the comparison must still pass.
    await _renamed_ids_check(expect_ok=True)


async def _renamed_ids_check(*, expect_ok: bool) -> None:
    def mutate(d: dict[str, Any]) -> None:
        text = json.dumps(d["steps"])
        renames: dict[str, str] = {}
        for kind, tok, _, _ in iter_tokens(text):
            if tok not in renames:
                n = len(renames) + 1
                renames[tok] = {
                    "uid": f"1900000000.{500 + n}",
                    "seq": f"{0xA0 + n:08x}",
                    "uuid": f"{n:08x}-0000-4000-8000-000000000000",
                    "eid": f"0a:00:00:00:00:{n:02x}",
                }[kind]
        pattern = re.compile("|".join(re.escape(t) for t in sorted(renames, key=len, reverse=True)))
        d["steps"] = json.loads(pattern.sub(lambda m: renames[m.group(0)], text))

    original, served = mutated("bridge-basic", mutate)
    report, rec, server = await run_fake(original, served)
    if expect_ok:
        assert server.problems == []
        assert report.ok, report.format()
        assert rec.ids.forward["1795696958.315"].startswith("1900000000.")
    else:
        assert server.problems
        assert re.match(r"expected POST /ari/channels/1900000000\.\d+/answer", server.problems[0])
        assert not report.ok


async def test_without_id_substitution_the_renamed_trace_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # The previous test can fail: a replayer that sends the capture's ids verbatim is caught.
    monkeypatch.setattr(IdMap, "to_replay", lambda self, text: text)
    await _renamed_ids_check(expect_ok=False)


async def test_an_event_about_the_wrong_channel_fails() -> None:
    def mutate(d: dict[str, Any]) -> None:
        event = copy.deepcopy(d["steps"][18]["event"])  # ChannelHangupRequest of the ;2 half
        event["channel"]["id"] = d["steps"][2]["body"]["id"]  # ... now naming the ;1 half
        set_event(d["steps"][18], event)

    original, served = mutated("probe-early-media", mutate)
    report, _, _ = await run_fake(original, served)
    # It cannot pair with the ;2 half's hangup: it is unexpected, and the real one is missing.
    assert [(d.kind, d.step) for d in report.divergences] == [("unexpected", None), ("missing", 18)]
    assert "ChannelHangupRequest" in report.divergences[0].message


async def test_concurrent_requests_stay_concurrent() -> None:
    # The README case: answer sent at 2.2 s during an early-media playback; its 204 comes only with the
    # PlaybackFinished 14 s later, while the client goes on (GET /playbacks at 3.2 s is answered at once).
    def mutate(d: dict[str, Any]) -> None:
        steps = d["steps"]
        ch = steps[3]["event"]["channel"]["id"]
        path = f"/ari/channels/{ch}/answer"
        answer = {"kind": "request", "t": 2.2, "method": "POST", "path": path, "query": []}
        ok = {"kind": "response", "t": 16.9110, "method": "POST", "path": path, "status": 204,
              "reason": "No Content", "content_type": None, "body": None, "raw_body": ""}  # fmt: skip
        get = copy.deepcopy(steps[11])
        get_ok = copy.deepcopy(steps[12])
        get["t"], get_ok["t"] = 3.2, 3.2005
        steps[13:13] = [answer, get, get_ok]
        # PlaybackFinished is now step 16; the 204 follows it.
        steps.insert(17, ok)

    _, trace = mutated("probe-early-media", mutate)
    report, rec, server = await run_fake(trace)
    assert server.problems == []
    assert report.ok, report.format()
    answer_sent = rec.action_times[13]
    get_answered = rec.matcher.paired[15].t
    answer_answered = rec.matcher.paired[17].t
    assert answer_sent < get_answered < answer_answered  # the GET went out while the answer was pending
    assert abs(answer_answered - 16.911) < tolerance(14.7)


async def test_handshake_status_is_compared() -> None:
    original, served = mutated("ws-and-auth-errors", lambda d: d["steps"][2].update(status=403))
    report, _, _ = await run_fake(original, served)
    assert report.first is not None and (report.first.kind, report.first.step) == ("connect", 2)


async def test_report_shows_context_of_first_divergence() -> None:
    original, served = mutated("tones", lambda d: swap(d["steps"], 15, 16))
    report, _, _ = await run_fake(original, served)
    text = report.format()
    assert "trace 'tones' on fake trace server" in text
    assert ">> #15" in text  # the trace around it, with the divergent step marked
    assert "replay around it" in text and "= #16" in text
    assert "<uid2>" in text  # ids as placeholders, comparable across runs


async def test_real_target_cleanup_removes_only_what_the_replay_made() -> None:
    # A real Asterisk keeps state between traces; on a shared one, others' channels must survive.
    deleted: list[str] = []

    async def listing(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        items = {"channels": [{"id": "1795695288.69"}, {"id": "someone-elses"}], "bridges": [{"id": "br-x"}]}
        return web.json_response(items.get(kind, []))

    async def delete(request: web.Request) -> web.Response:
        deleted.append(request.path)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/ari/{kind}", listing)
    app.router.add_delete("/ari/{tail:.*}", delete)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        target = Target("real", f"http://127.0.0.1:{port}", "u", "p", RealClock(), real=True)
        replayer = Replayer(load_trace("record-and-play"), target)
        replayer.rec.observations.append(
            Observation(0, "event", "main", 0.0, {"event": {"channel": {"id": "1795695288.69"}}})
        )
        replayer._http = aiohttp.ClientSession()
        try:
            await replayer._cleanup_real()
        finally:
            await replayer._http.close()
    finally:
        await runner.cleanup()
    assert [p for p in deleted if not p.startswith("/ari/recordings/")] == ["/ari/channels/1795695288.69"]
    assert "/ari/recordings/stored/rec1" in deleted  # the trace's recordings, by name


@pytest.mark.parametrize("event_first", [False, True])
async def test_cross_connection_order_follows_the_server_write_order(event_first: bool) -> None:
    # The order check compares HTTP responses with WebSocket frames. That is sound only if a client on
    # loopback sees them in the order a server (on its own thread, as the simulator) wrote them.
    loop = EngineLoop(f"conformance-order-{event_first}")
    sockets: list[web.WebSocketResponse] = []

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.append(ws)
        async for _ in ws:
            pass
        return ws

    async def operation(request: web.Request) -> web.Response:
        response = web.Response(status=204)
        if event_first:
            await sockets[0].send_str("event")
        await response.prepare(request)
        await response.write_eof()
        if not event_first:
            await sockets[0].send_str("event")
        return response

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/events", events)
        app.router.add_post("/op", operation)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = await asyncio.wrap_future(loop.submit(start()))
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    seen: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(base + "/events")

            async def read() -> None:
                async for msg in ws:
                    seen.append(msg.data)

            reader = asyncio.ensure_future(read())
            firsts = []
            for _ in range(200):
                seen.clear()
                async with http.post(base + "/op"):
                    seen.append("response")
                while "event" not in seen:
                    await asyncio.sleep(0.0005)
                firsts.append(seen[0])
            reader.cancel()
            await ws.close()
    finally:
        await asyncio.wrap_future(loop.submit(runner.cleanup()))
        loop.stop()
    assert set(firsts) == {"event" if event_first else "response"}


# -- pieces ---------------------------------------------------------------------------------------------
def test_all_captures_load_and_pair() -> None:
    names = trace_names()
    assert len(names) >= 41
    for name in names:
        trace = load_trace(name)
        requests = [s.index for s in trace.steps if s.kind == "request" and not s.data.get("synthetic")]
        assert sorted(trace.response_of) == requests  # every request has its response
        assert trace.steps[0].kind == "ws_connect"


def test_tokens_and_placeholders() -> None:
    text = "channel:1795695288.69 Local/1003@default-0000003b;2 02:fc:00:00:00:01"
    kinds = [k for k, *_ in iter_tokens(text)]
    assert kinds == ["uid", "seq", "eid"]
    assert [k for k, *_ in iter_tokens("8d3b032d-160a-4743-a4ca-e80b27331429")] == ["uuid"]
    assert list(iter_tokens("tones-pb-1 test-bridge-b rec1 my-orig-id-2")) == []  # client ids stay literal
    ids = IdMap.for_trace(["1795695288.68", "Local/1000@default-00000022;1", "1795695288.69"])
    assert ids.trace_text("1795695288.69") == "<uid2>"
    assert not ids.texts_compatible("Local/1000@default-00000022;1", "Local/1000@default-00000099;2")
    assert ids.bind_text("Local/1000@default-00000022;1", "Local/1000@default-00000099;1")
    assert not ids.bind("00000022", "00000001")  # a token pairs with one token only
    assert ids.replay_text("x-00000099;2") == "x-<seq1>;2"


def test_unordered_listings_line_up_by_id() -> None:
    ids = IdMap.for_trace(["1795695288.68 1795695288.69"])
    ids.bind("1795695288.68", "1800000000.1")
    ids.bind("1795695288.69", "1800000000.2")
    want = [{"id": "1795695288.69", "state": "Up"}, {"id": "1795695288.68", "state": "Up"}]
    got = [{"id": "1800000000.1", "state": "Down"}, {"id": "1800000000.2", "state": "Up"}]
    differences = diff(
        ids.normalize(want, side="trace", unordered=True), ids.normalize(got, side="replay", unordered=True)
    )
    assert [str(d) for d in differences] == ['[id=<uid1>].state: expected "Up", got "Down"']


def test_unordered_container_lists_compare_as_multisets() -> None:
    ids = IdMap()
    a = ids.normalize({"channel_ids": ["b", "a"], "args": ["b", "a"]}, side="trace")
    b = ids.normalize({"channel_ids": ["a", "b"], "args": ["a", "b"]}, side="replay")
    assert [d.path for d in diff(a, b)] == ["args[0]", "args[1]"]  # args keep their order


def test_every_allowance_cites_the_ground_truth() -> None:
    for allowance in ORDER_ALLOWANCES:
        assert re.search(r"README|MORE|ASTERISK22", allowance.cite), allowance.name
        if isinstance(allowance, ResponseEventRace) and "not in README/MORE" in allowance.cite:
            assert allowance.evidence, f"{allowance.name}: a race the docs do not state needs evidence"
    assert any(isinstance(a, LocalHalvesRace) for a in ORDER_ALLOWANCES)


@pytest.mark.parametrize(
    "allowance",
    [a for a in ORDER_ALLOWANCES if isinstance(a, ResponseEventRace) and a.evidence],
    ids=lambda a: a.name,
)
def test_trace_evidenced_races_are_in_the_traces(allowance: ResponseEventRace) -> None:
    # Each cited (response, event) pair is related as the entry says, and both orders occur for each event.
    orders: dict[str, set[str]] = {t: set() for t in allowance.events}
    for name, response_index, event_index in allowance.evidence:
        trace = load_trace(name)
        response, event = trace.steps[response_index], trace.steps[event_index]
        assert (response.kind, event.kind) == ("response", "event"), (name, response_index, event_index)
        request = trace.steps[trace.request_of[response.index]]
        assert allowance.related(trace, response, request, event) or allowance.allows(
            trace, *sorted((response, event), key=lambda s: s.index)
        ), (name, response_index, event_index)
        orders[event.event_type].add("event first" if event_index < response_index else "response first")
    for event_type, seen in orders.items():
        assert seen == {"event first", "response first"}, (allowance.name, event_type)


def test_cross_socket_race_evidence_shows_both_orders() -> None:
    race = next(a for a in ORDER_ALLOWANCES if isinstance(a, CrossSocketRace))
    seen = set()
    for name, first, second in race.evidence:
        trace = load_trace(name)
        a, b = trace.steps[first], trace.steps[second]
        assert first < second and race.allows(trace, a, b), (name, first, second)
        seen.add("media first" if a.kind.startswith("media_ws") else "event first")
    assert seen == {"media first", "event first"}


def test_device_state_race_evidence_shows_both_orders() -> None:
    race = next(a for a in ORDER_ALLOWANCES if isinstance(a, DeviceStateRace))
    seen = set()
    for name, first, second in race.evidence:
        trace = load_trace(name)
        a, b = trace.steps[first], trace.steps[second]
        assert first < second and race.allows(trace, a, b), (name, first, second)
        other = b if a.event_type == "DeviceStateChanged" else a
        kind = other.event_type or "response"
        seen.add((kind, "device state first" if a.event_type == "DeviceStateChanged" else "other first"))
    assert seen == {
        ("Dial", "other first"),
        ("Dial", "device state first"),
        ("response", "other first"),
        ("response", "device state first"),
    }


@pytest.mark.parametrize("entry", CAPTURE_LATENCIES, ids=lambda e: f"{e.trace}#{e.step}")
def test_capture_latencies_are_contradicted_by_other_captures(entry: CaptureLatency) -> None:
    def operation(trace: Trace, index: int) -> tuple[str, str, str]:
        step, anchor = trace.steps[index], trace.anchor_action(index)
        assert anchor is not None and anchor.kind == "request"
        path = re.sub(r"\d{9,}\.\d+", "{id}", anchor.path)
        return (f"{anchor.method} {path}", step.kind, step.event_type or str(step.data.get("status")))

    trace = load_trace(entry.trace)
    key = operation(trace, entry.step)
    anchor = trace.anchor_action(entry.step)
    assert anchor is not None and trace.steps[entry.step].t - anchor.t > tolerance(0.0)  # it is late
    quick = 0
    for name in trace_names():
        other = load_trace(name)
        for s in other.steps:
            a = other.anchor_action(s.index)
            if not s.is_observation or a is None or a.kind != "request" or other.name == entry.trace:
                continue
            if operation(other, s.index) == key and s.t - a.t <= 0.005:
                quick += 1
    assert quick >= 10, (entry, quick)


def test_matcher_pairs_local_halves_by_name_not_arrival() -> None:
    # tones-subscribe-all: ChannelCreated(;1) then ChannelCreated(;2); delivered the other way round, each
    # still pairs with its own half.
    trace = load_trace("tones-subscribe-all")
    matcher = Matcher.for_trace(trace)
    first, second = trace.steps[2], trace.steps[3]
    assert (first.event_type, second.event_type) == ("ChannelCreated", "ChannelCreated")

    obs2 = Observation(0, "event", "main", 0.2, {"event": second.event})
    obs1 = Observation(1, "event", "main", 0.2, {"event": first.event})
    assert matcher.observe(obs2) == second.index
    assert matcher.observe(obs1) == first.index


@pytest.mark.parametrize(("state", "accepted"), [("UNKNOWN", True), ("NOT_INUSE", False)])
async def test_the_announcers_device_state_may_be_unknown_only(state: str, accepted: bool) -> None:
    def mutate(d: dict[str, Any]) -> None:
        step = d["steps"][61]
        event = copy.deepcopy(step["event"])
        assert event["device_state"] == {"name": "Announcer/ARI", "state": "INUSE"}
        event["device_state"]["state"] = state
        set_event(step, event)

    original, served = mutated("bridge-basic-subscribe-all", mutate)
    report, _, _ = await run_fake(original, served)
    assert report.ok is accepted, report.format()


@pytest.mark.parametrize("lost_race", [True, False])
async def test_a_racy_record_the_replay_lost_excuses_its_recording(lost_race: bool) -> None:
    # snoop-and-record #13: a record sent right after the snoop's 200, before its StasisStart, got 201 in the
    # capture; a server whose snoop is not in Stasis yet answers 409, and then the recording never exists.
    def mutate(d: dict[str, Any]) -> None:
        steps = d["steps"]
        assert steps[14]["status"] == 201 and [steps[i]["type"] for i in (19, 20)] == [
            "RecordingStarted",
            "RecordingFinished",
        ]
        if lost_race:
            conflict = {"message": "Channel not in Stasis application"}
            steps[14].update(status=409, reason="Conflict", body=conflict)
            steps[14]["raw_body"] = json.dumps(steps[14]["body"])
        for i in (18, 22):  # stop and DELETE of the recording find nothing
            steps[i].update(status=404, reason="Not Found", body={"message": "Recording not found"})
            steps[i]["raw_body"] = json.dumps(steps[i]["body"])
            steps[i]["content_type"] = "application/json"
        del steps[19:21]

    original, served = mutated("snoop-and-record", mutate)
    report, _, _ = await run_fake(original, served)
    assert report.ok is lost_race, report.format()
