"""Issue 10: one owner of ARI object state, reconciled after every reconnect, nothing left hanging.

Each test here failed before the change it names (the registry/dispatch split, the reconciliation after a
reconnect, notebook-proof dispatch, and the defects listed in the issue).
"""

from __future__ import annotations

import ast
import asyncio
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import FakeTimeline, accept, ev, eventually, pb_ev
from fakeari import FakeAri, FakeRequest, Reply, channel_json, playback_json

import arinb
from arinb.client.core import SessionCore
from arinb.client.events import KNOWN_EVENT_TYPES, MALFORMED
from arinb.client.session import AriSession, connect
from arinb.errors import AriConnectionError, AriTimeoutError, AriUsageError, ChannelGone, PlaybackLost
from arinb.loop import EngineLoop

CLIENT = Path(arinb.__file__).parent / "client"


@pytest.fixture
def timeline() -> FakeTimeline:
    return FakeTimeline()


@pytest.fixture
def ari() -> Iterator[FakeAri]:
    with FakeAri() as server:
        yield server


@pytest.fixture
async def session(ari: FakeAri, timeline: FakeTimeline) -> AsyncIterator[AriSession]:
    s = await connect(ari.url, apps="test", timeline=timeline, backoff=(0.02, 0.1))
    await asyncio.to_thread(ari.wait_sockets, 1)
    try:
        yield s
    finally:
        await s.close()


def feed(core: SessionCore, *events: dict[str, Any]) -> None:
    for e in events:
        core.feed(e, None, time.time())


async def gap(ari: FakeAri, session: AriSession, *during: dict[str, Any]) -> None:
    """Drop the events socket; the server's ``during`` events are lost with it; wait for the reconnect."""
    before = session.reconnects
    await asyncio.to_thread(ari.drop)
    await eventually(lambda: session.reconnects == before + 1 and session.connected, what="reconnected")


# ---------------------------------------------------------------------------------------------- the split


def _private_accesses(path: Path) -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls`` and ``_name`` is not defined in this module."""
    tree = ast.parse(path.read_text())
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("_"):
            defined.add(node.value)  # __slots__ entries
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            and node.attr not in defined
        ):
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
    return found


def test_no_client_module_reaches_into_another_modules_private_names() -> None:
    found = [hit for path in sorted(CLIENT.glob("*.py")) for hit in _private_accesses(path)]
    # transport.py reads aiohttp's parsed-frame queue on purpose (documented in _queued_reader).
    assert [h for h in found if not h.startswith("transport.py")] == []


def test_the_registry_imports_no_handle_and_no_asyncio() -> None:
    tree = ast.parse((CLIENT / "registry.py").read_text())
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert not {m for m in imported if m and ("handles" in m or "core" in m or "asyncio" in m)}


# ---------------------------------------------------------------------------------------------- defects


async def test_a_bridge_playback_ends_when_the_bridge_is_destroyed() -> None:
    core = SessionCore()
    br = core.bridge("br-1")
    pb = core.register_playback("bp-1", "sound:tt-monkeys", "bridge:br-1")
    waiting = pb.finished()
    accept(core, pb, {"id": "bp-1", "state": "queued", "target_uri": "bridge:br-1"})
    feed(
        core, ev("PlaybackStarted", playback={"id": "bp-1", "target_uri": "bridge:br-1", "state": "playing"})
    )
    feed(core, ev("BridgeDestroyed", bridge={"id": "br-1"}))
    with pytest.raises(PlaybackLost, match="bridge was destroyed"):
        await asyncio.wait_for(waiting, 1)
    assert br.destroyed and "bp-1" not in core.playbacks


async def test_unknown_event_types_are_not_remembered_forever() -> None:
    core = SessionCore()
    got: list[str] = []
    core.on("*", lambda e: got.append(e.type))
    for i in range(5000):
        feed(core, {"type": f"Odd{i}"})
    assert len(got) == 5000  # still delivered
    assert core.known_types() <= len(KNOWN_EVENT_TYPES) + 300


async def test_a_frame_whose_id_is_not_a_string_is_a_malformed_row(timeline: FakeTimeline) -> None:
    core = SessionCore(timeline)
    got: list[Any] = []
    core.on("*", got.append)
    core.feed_frame('{"type":"StasisStart","channel":{"id":{}}}', 1.0)
    core.feed_frame('{"type":"PlaybackStarted","playback":{"id":["a"]}}', 2.0)
    core.feed_frame('{"type":"BridgeCreated","bridge":{"id":5}}', 3.0)
    assert got == [] and core.malformed == 3 and len(core.channels) == 0
    rows = [e for e, _at, _raw in timeline.events]
    assert [r["type"] for r in rows] == [MALFORMED] * 3
    assert "channel id is not a string" in rows[0]["error"]


async def test_same_function_registered_again_replaces_it_and_handlers_lists_it() -> None:
    core = SessionCore()
    seen: list[str] = []
    namespace: dict[str, Any] = {"seen": seen, "__name__": "__main__"}
    cell = "def on_start(ev):\n    seen.append(ev.channel.id)\n"
    exec(cell, namespace)
    first = namespace["on_start"]
    core.on("StasisStart", first)
    exec(cell, namespace)
    core.on("StasisStart", namespace["on_start"])
    core.channel("1.1").on("StasisStart", namespace["on_start"])
    core.channel("1.1").on("StasisStart", first)
    assert [(h.event_type, h.name, h.on is not None) for h in core.handlers()] == [
        ("StasisStart", "on_start", False),
        ("StasisStart", "on_start", True),
    ]
    feed(core, ev("StasisStart", channel="1.1"))
    assert seen == ["1.1", "1.1"]  # once session-wide, once on the channel
    assert core.off("StasisStart", first)  # the earlier definition names the same handler
    assert [h.on is not None for h in core.handlers()] == [True]
    # Closures and lambdas with one name stay distinct (one per loop iteration).
    for i in range(3):
        core.on("StasisEnd", lambda e, i=i: seen.append(f"end{i}"))
    feed(core, ev("StasisEnd", channel="1.1"))
    assert seen[-3:] == ["end0", "end1", "end2"]


async def test_wait_state_returns_at_once_when_the_channel_is_already_in_that_state() -> None:
    core = SessionCore()
    feed(
        core, ev("StasisStart", channel="1.1"), ev("ChannelStateChange", channel={"id": "1.1", "state": "Up"})
    )
    ch = core.channels["1.1"]
    assert await asyncio.wait_for(ch.wait_state("Up"), 0.5) is ch
    ringing = asyncio.ensure_future(_awaited(ch.wait_state("Ringing", timeout=2)))
    await asyncio.sleep(0.01)
    assert not ringing.done()
    feed(core, ev("ChannelStateChange", channel={"id": "1.1", "state": "Ringing"}))
    assert await asyncio.wait_for(ringing, 1) is ch


async def test_a_playback_wait_made_just_after_its_event_looks_back_once() -> None:
    core = SessionCore()
    pb = core.register_playback("pb-1", "sound:beep", "channel:1.1")
    core.watch(pb.registry_record, time.time())  # what the play request does when it leaves
    feed(core, pb_ev("PlaybackStarted", "pb-1", "1.1"))
    got = await asyncio.wait_for(pb.wait_for("PlaybackStarted"), 0.5)
    assert got.playback is pb
    with pytest.raises(AriTimeoutError):  # the same event is not given twice
        await pb.wait_for("PlaybackStarted", timeout=0.05)
    feed(core, pb_ev("PlaybackContinuing", "pb-1", "1.1"))  # nobody waiting: kept for the next wait
    assert (await asyncio.wait_for(pb.wait_for("PlaybackContinuing"), 0.5)).playback is pb
    other = core.channel("9.9")  # no request from this handle: nothing of its past is looked at
    feed(core, ev("ChannelDtmfReceived", channel="9.9", digit="1"))
    with pytest.raises(AriTimeoutError):
        await other.wait_for("ChannelDtmfReceived", timeout=0.05)


async def test_a_channel_wait_made_after_the_answer_sees_the_event_that_beat_the_204(
    ari: FakeAri, session: AriSession
) -> None:
    async def answer(r: FakeRequest) -> Reply:  # as Asterisk does: the event goes out before the reply
        await ari.send(ari.event("ChannelStateChange", channel=channel_json(r.match["cid"], "Up")))
        await asyncio.sleep(0.05)
        return Reply(204)

    ari.route("POST", "/channels/{cid}/answer", answer)
    ch = session.channels.channel("1.1")
    await ch.answer()
    got = await ch.wait_for("ChannelStateChange", timeout=2)
    assert got.channel is ch and ch.state == "Up"
    assert await ch.wait_state("Up", timeout=0.1) is ch


async def test_a_failed_sound_says_why() -> None:
    core = SessionCore()
    pb = core.register_playback("pb-missing", "sound:does-not-exist", "channel:1.1")
    feed(
        core,
        pb_ev("PlaybackStarted", "pb-missing", "1.1", media="sound:does-not-exist"),
        pb_ev("PlaybackFinished", "pb-missing", "1.1", "failed", media="sound:does-not-exist"),
    )
    assert await pb.finished() == "failed"
    assert pb.reason is not None and "no sound file 'does-not-exist'" in pb.reason
    assert "no sound file" in repr(pb)


# ---------------------------------------------------------------------------------------------- reconnects


async def test_two_same_id_plays_both_ended_in_the_gap_are_both_settled(
    ari: FakeAri, session: AriSession
) -> None:
    ari.route(
        "POST", "/channels/{cid}/play/{pid}", lambda r: Reply(201, playback_json("dup", "1.1", "sound:a"))
    )
    ari.route("GET", "/playbacks/{pid}", Reply(404, {"message": "Playback not found"}))
    ari.route("GET", "/channels/{cid}", Reply(200, channel_json("1.1", "Up")))
    ch = session.channels.channel("1.1")
    first = await ch.play("sound:a", playback_id="dup")
    second = await ch.play("sound:b", playback_id="dup")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("dup", "1.1", "sound:a"))
    )
    await eventually(lambda: first.is_started)
    waits = [first.finished(), second.finished()]
    await gap(ari, session)
    for wait in waits:
        with pytest.raises(PlaybackLost, match="connection was down"):
            await asyncio.wait_for(_awaited(wait), 3)
    assert first.outcome == second.outcome == "lost" and not session.core.playbacks


async def test_a_same_id_play_still_playing_after_the_gap_is_not_written_into_the_first(
    ari: FakeAri, session: AriSession
) -> None:
    ari.route("POST", "/channels/{cid}/play/{pid}", lambda r: Reply(201, {"id": "dup", "state": "queued"}))
    # After the gap Asterisk shows the running play of the id: the second one.
    ari.route("GET", "/playbacks/{pid}", Reply(200, playback_json("dup", "1.1", "sound:b", "playing")))
    ch = session.channels.channel("1.1")
    first = await ch.play("sound:a", playback_id="dup")
    second = await ch.play("sound:b", playback_id="dup")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("dup", "1.1", "sound:a"))
    )
    await eventually(lambda: first.is_started)
    await gap(ari, session)
    with pytest.raises(PlaybackLost):
        await asyncio.wait_for(_awaited(first.finished()), 3)
    assert first.media_uri == "sound:a"  # not overwritten with the second's JSON
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackFinished", playback=playback_json("dup", "1.1", "sound:b", "done"))
    )
    assert await asyncio.wait_for(_awaited(second.finished()), 3) == "done"


def _reconciled_rows(timeline: FakeTimeline) -> list[str]:
    return [detail for kind, _, detail in timeline.connections if kind == "reconciled"]


async def _reconciled(timeline: FakeTimeline, n: int = 1) -> list[str]:
    """The ``reconciled`` rows' texts, once there are ``n`` of them."""
    await eventually(lambda: len(_reconciled_rows(timeline)) >= n, within=5, what="the reconciled row")
    return _reconciled_rows(timeline)


def _play_replies_queued(ari: FakeAri) -> None:
    # Asterisk's 201 for a play: the playback queued, its media_uri the first media of the list.
    ari.route(
        "POST",
        "/channels/{cid}/play/{pid}",
        lambda r: Reply(201, playback_json(r.match["pid"], "1.1", r.params["media"].split(",")[0], "queued")),
    )


async def test_a_same_id_play_that_took_over_in_the_gap_is_started_with_what_the_check_found(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    """The second play of an id is a list: Asterisk shows its first media, not the whole list asked for."""
    _play_replies_queued(ari)
    ari.route("GET", "/playbacks/{pid}", Reply(200, playback_json("dup", "1.1", "sound:b", "playing")))
    ch = session.channels.channel("1.1")
    first = await ch.play("sound:a", playback_id="dup")
    second = await ch.play(["sound:b", "sound:c"], playback_id="dup")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("dup", "1.1", "sound:a"))
    )
    await eventually(lambda: first.is_started)
    assert second.state == "queued" and not second.is_started
    await gap(ari, session)
    with pytest.raises(PlaybackLost, match="ended while the events connection was down"):
        await asyncio.wait_for(_awaited(first.finished()), 3)
    assert await _reconciled(timeline) == ["checked 1 playback: playback dup lost"]
    # The second took the id's place: started (its PlaybackStarted went to no socket), in the state seen.
    assert await asyncio.wait_for(_awaited(second.started()), 3) is second
    assert second.is_started and second.state == "playing" and second.outcome is None
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackFinished", playback=playback_json("dup", "1.1", "sound:c", "done"))
    )
    assert await asyncio.wait_for(_awaited(second.finished()), 3) == "done"


async def test_a_list_play_that_moved_on_to_its_next_media_in_the_gap_is_refreshed_not_lost(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    _play_replies_queued(ari)
    ari.route("GET", "/playbacks/{pid}", Reply(200, playback_json("list", "1.1", "sound:b", "playing")))
    pb = await session.channels.channel("1.1").play(["sound:a", "sound:b"], playback_id="list")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("list", "1.1", "sound:a"))
    )
    await eventually(lambda: pb.is_started)
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked 1 playback: all still there"]
    assert pb.media_uri == "sound:b" and pb.outcome is None  # what Asterisk plays now, still ours


async def test_a_list_play_still_on_its_media_keeps_the_id_and_shows_its_new_state(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    """Ours is the media Asterisk reported (``sound:a``), not the list asked for, and a same-id play waits."""
    _play_replies_queued(ari)
    # Paused during the gap over the escape hatch (which updates no handle): GET shows it.
    ari.route("GET", "/playbacks/{pid}", Reply(200, playback_json("dup", "1.1", "sound:a", "paused")))
    ch = session.channels.channel("1.1")
    first = await ch.play(["sound:a", "sound:b"], playback_id="dup")
    second = await ch.play("sound:c", playback_id="dup")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("dup", "1.1", "sound:a"))
    )
    await eventually(lambda: first.is_started)
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked 1 playback: all still there"]
    assert first.state == "paused" and first.outcome is None
    assert second.state == "queued" and not second.is_started and second.outcome is None


async def test_the_reconciled_row_counts_every_channel_checked_and_says_when_nothing_was_held(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked nothing: all still there"]
    ari.route("GET", "/channels/{cid}", lambda r: Reply(200, channel_json(r.match["cid"], "Up")))
    await asyncio.to_thread(
        ari.emit, *(ari.event("StasisStart", channel=channel_json(cid)) for cid in ("1.1", "1.2"))
    )
    one, two = session.channels.channel("1.1"), session.channels.channel("1.2")
    await eventually(lambda: one.in_stasis and two.in_stasis)
    await gap(ari, session)
    assert (await _reconciled(timeline, 2))[1] == "checked 2 channels: all still there"
    # Each channel took in the state the check found (answered during the gap).
    assert (one.state, two.state) == ("Up", "Up")


def _reply_after(ari: FakeAri, reply: Reply, *events: dict[str, Any]) -> Any:
    """A handler that sends ``events`` on the socket, lets the client read them, then answers ``reply``."""

    async def handler(_req: FakeRequest) -> Reply:
        await ari.send(*events)
        await asyncio.sleep(0.2)  # the client's reader takes them in long before the reply
        return reply

    return handler


async def test_a_channel_whose_stasis_end_came_during_its_check_is_not_called_gone(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    await asyncio.to_thread(ari.emit, ari.event("StasisStart", channel=channel_json("1.1")))
    ch = session.channels.channel("1.1")
    await eventually(lambda: ch.in_stasis)
    ended = ch.wait_for("StasisEnd", timeout=5)
    end = ari.event("StasisEnd", channel=channel_json("1.1", "Up"))
    ari.route("GET", "/channels/{cid}", _reply_after(ari, Reply(404, {"message": "Channel not found"}), end))
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked 1 channel: all still there"]
    assert (await asyncio.wait_for(_awaited(ended), 3))["type"] == "StasisEnd"  # the event, not ChannelGone
    assert not ch.in_stasis and ch.gone is None


async def test_a_check_reply_that_comes_after_the_channel_was_destroyed_does_not_bring_it_back(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    await asyncio.to_thread(ari.emit, ari.event("StasisStart", channel=channel_json("1.1")))
    ch = session.channels.channel("1.1")
    await eventually(lambda: ch.in_stasis)
    down = channel_json("1.1", "Down")
    ending = [ari.event(t, channel=down) for t in ("StasisEnd", "ChannelDestroyed")]
    ari.route("GET", "/channels/{cid}", _reply_after(ari, Reply(200, channel_json("1.1", "Up")), *ending))
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked 1 channel: all still there"]
    assert "1.1" not in session.core.channels and ch.state == "Down"  # the stale 200 changed nothing


async def test_every_bridge_and_recording_is_checked_but_one_destroyed_meanwhile_is_skipped(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    a, b, c = (session.bridges.bridge(bid) for bid in ("br-a", "br-b", "br-c"))
    for name in ("rec-1", "rec-2"):
        session.recordings.live.recording(name)
    assert set(session.core.bridges) == {"br-a", "br-b", "br-c"}
    # br-b's BridgeDestroyed arrives while br-a is checked: br-b is not asked about, br-c still is.
    destroyed = ari.event("BridgeDestroyed", bridge={"id": "br-b", "technology": "simple_bridge"})
    ari.route("GET", "/bridges/br-c", Reply(200, {"id": "br-c"}))  # any other name: 404
    ari.route(
        "GET", "/bridges/br-a", _reply_after(ari, Reply(404, {"message": "Bridge not found"}), destroyed)
    )
    for name in ("rec-1", "rec-2"):
        ari.route("GET", f"/recordings/live/{name}", Reply(200, {"name": name, "state": "recording"}))
    await gap(ari, session)
    assert await _reconciled(timeline) == ["checked 2 bridges, 2 recordings: bridge br-a gone"]
    assert a.destroyed and b.destroyed and not c.destroyed
    assert [r.path for r in ari.requests if r.path.startswith("/bridges/")] == [
        "/bridges/br-a",
        "/bridges/br-c",
    ]
    assert set(session.core.recordings) == {"rec-1", "rec-2"}  # both still recording


async def test_a_bridge_or_recording_check_that_fails_settles_nothing(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = session.bridges.bridge("br-1")
    recording = session.recordings.live.recording("rec-1")
    finished = recording.wait_for("RecordingFinished", timeout=5)
    unavailable = Reply(503, {"message": "Service Unavailable"})
    ari.route("GET", "/bridges/{bid}", unavailable)
    ari.route("GET", "/recordings/live/{name}", unavailable)
    with caplog.at_level(logging.DEBUG, logger="arinb.client"):
        await gap(ari, session)
        assert await _reconciled(timeline) == ["checked 1 bridge, 1 recording: all still there"]
    # Logged like a failed channel or playback check (test_client_reconnect_sim.py): which object, and why.
    lines = [r.getMessage() for r in caplog.records if "could not check" in r.getMessage()]
    assert lines == [
        "arinb: could not check bridge br-1 after the reconnect: "
        "503 Service Unavailable (GET /ari/bridges/br-1)",
        "arinb: could not check recording rec-1 after the reconnect: "
        "503 Service Unavailable (GET /ari/recordings/live/rec-1)",
    ]
    assert not bridge.destroyed and set(session.core.bridges) == {"br-1"}
    assert not finished.done()  # the recording still runs: its RecordingFinished ends the wait
    done = {"name": "rec-1", "format": "wav", "state": "done", "target_uri": "channel:1.1"}
    await asyncio.to_thread(ari.emit, ari.event("RecordingFinished", recording=done))
    assert (await asyncio.wait_for(_awaited(finished), 3))["type"] == "RecordingFinished"


async def test_a_stasis_end_wait_ends_when_the_channel_hung_up_during_the_gap(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    await asyncio.to_thread(ari.emit, ari.event("StasisStart", channel=channel_json("1.1")))
    await eventually(lambda: "1.1" in session.core.channels and session.core.channels["1.1"].in_stasis)
    ch = session.core.channels["1.1"]
    mine = session.wait_for("StasisEnd", lambda e: e.channel.id == "1.1")  # no timeout
    anyone = session.wait_for("StasisEnd")
    other = session.wait_for("StasisEnd", lambda e: e.channel.id == "9.9", timeout=5)
    on_channel = ch.wait_for("StasisEnd")
    ari.route("GET", "/channels/{cid}", Reply(404, {"message": "Channel not found"}))
    await asyncio.sleep(0.05)
    t0 = time.monotonic()
    await gap(ari, session)
    for wait in (mine, anyone, on_channel):
        with pytest.raises(ChannelGone, match="ended while the events connection was down"):
            await asyncio.wait_for(_awaited(wait), 2)
    assert time.monotonic() - t0 < 2.5
    assert not other.done()  # a wait about another channel is left alone
    assert not ch.in_stasis and ch.gone and "1.1" not in session.core.channels
    await eventually(lambda: "reconciled" in timeline.kinds(), what="the reconciled row")
    detail = timeline.connections[timeline.kinds().index("reconciled")][2]
    assert "channel 1.1 gone" in detail
    with pytest.raises(ChannelGone):
        await ch.wait_for("StasisEnd")  # nothing will come for it: at once, not forever
    other.cancel()


async def test_a_server_restart_settles_the_waits_of_the_calls_it_lost(
    ari: FakeAri, session: AriSession
) -> None:
    await asyncio.to_thread(ari.emit, ari.event("StasisStart", channel=channel_json("1.1")))
    await eventually(lambda: "1.1" in session.core.channels)
    ari.route(
        "POST", "/channels/{cid}/play/{pid}", lambda r: Reply(201, {"id": r.match["pid"], "state": "queued"})
    )
    pb = await session.core.channels["1.1"].play("sound:tt-monkeys")
    waits = [session.wait_for("StasisEnd"), pb.finished()]
    await asyncio.to_thread(ari.restart, 0.1)  # a restarted Asterisk knows nothing: every GET is 404
    await eventually(lambda: session.reconnects == 1)
    with pytest.raises(ChannelGone):
        await asyncio.wait_for(_awaited(waits[0]), 2)
    with pytest.raises(PlaybackLost):
        await asyncio.wait_for(_awaited(waits[1]), 2)
    assert session.core.registry.counts()["channels_in_stasis"] == 0 and not session.core.playbacks


async def test_frames_already_on_the_new_socket_are_taken_in_before_the_checks(
    ari: FakeAri, session: AriSession, timeline: FakeTimeline
) -> None:
    ari.route(
        "POST", "/channels/{cid}/play/{pid}", lambda r: Reply(201, {"id": r.match["pid"], "state": "queued"})
    )
    ari.route("GET", "/playbacks/{pid}", Reply(404, {"message": "Playback not found"}))
    pb = await session.channels.channel("1.1").play("sound:tt-monkeys", playback_id="monkeys-1")
    await asyncio.to_thread(
        ari.emit, ari.event("PlaybackStarted", playback=playback_json("monkeys-1", "1.1", "sound:tt-monkeys"))
    )
    await eventually(lambda: pb.is_started)
    heard: list[str] = []
    pb.on("PlaybackFinished", lambda e: heard.append(e["playback"]["state"]))
    done = playback_json("monkeys-1", "1.1", "sound:tt-monkeys", "done")
    ari.on_connect = [ari.event("PlaybackFinished", playback=done)]  # sent at once on the new socket
    await gap(ari, session)
    assert await asyncio.wait_for(_awaited(pb.finished()), 3) == "done"
    assert heard == ["done"]  # the user's own handle, not a fresh one
    await eventually(lambda: "reconciled" in timeline.kinds(), what="the reconciled row")


async def test_cancelling_an_await_of_an_engine_task_call_cancels_the_task(
    ari: FakeAri, session: AriSession
) -> None:
    engine = EngineLoop.shared()
    # A Call made on the engine loop (as from a handler) runs as a task there; await it from this loop.
    call = engine.run_sync(lambda: session.wait_for("StasisStart"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_awaited(call), 0.1)
    await eventually(lambda: engine.run_sync(session.core.dispatch.pending_waits) == 0, what="the wait ended")


# ---------------------------------------------------------------------------------------------- memory


async def test_channels_made_by_rest_replies_are_dropped_when_gone(ari: FakeAri, session: AriSession) -> None:
    n = {"i": 0}

    def originate(_r: FakeRequest) -> Reply:
        n["i"] += 1
        return Reply(200, channel_json(f"o.{n['i']}", "Down"))

    ari.route("POST", "/channels", originate)
    ari.route("DELETE", "/channels/{cid}", Reply(204))
    for _ in range(300):
        ch = await session.channels.originate("Local/1000@default", extension="1000")
        await ch.hangup()
    assert len(session.core.channels) == 0
    session.core.keep_ended_channels = 50
    ari.route("GET", "/channels", Reply(200, [channel_json(f"l.{i}", "Up") for i in range(200)]))
    listed = await session.channels.list()
    assert len(listed) == 200 and len(session.core.channels) <= 50


# ---------------------------------------------------------------------------------------------- connecting


def test_connect_timeout_covers_a_host_that_accepts_tcp_and_never_answers() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept_and_hold() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    pass

        t = threading.Thread(target=accept_and_hold, daemon=True)
        t.start()
        try:
            started = time.monotonic()
            with pytest.raises(AriConnectionError, match=r"no answer within 0\.5 s"):
                connect(f"http://127.0.0.1:{port}", apps="test", connect_timeout=0.5, timeline=False)
            assert time.monotonic() - started < 3
        finally:
            stop.set()
            t.join(2)
            for s in accepted:
                s.close()


def test_a_blocking_wait_for_that_times_out_in_a_script_says_to_use_expect(ari: FakeAri) -> None:
    with connect(ari.url, apps="test", timeline=False) as s:
        with pytest.raises(AriTimeoutError, match=r"session\.expect\(") as err:
            s.wait_for("StasisStart", timeout=0.1)
        assert str(err.value).count("\n") == 0


# ---------------------------------------------------------------------------------------------- channel.audio


async def test_audio_records_only_after_the_snoop_entered_the_app(ari: FakeAri, session: AriSession) -> None:
    ari.route("GET", "/channels/{cid}", Reply(200, channel_json("1.1", "Up")))
    snooped: list[str] = []
    later: list[asyncio.Future[None]] = []

    async def snoop(r: FakeRequest) -> Reply:
        sid = r.match["sid"]
        snooped.append(sid)

        async def enter_later() -> None:  # a real Asterisk: StasisStart a moment after the 200
            await asyncio.sleep(0.2)
            await ari.send(ari.event("StasisStart", channel=channel_json(sid, "Up", name=f"Snoop/1.1-{sid}")))

        later.append(asyncio.ensure_future(enter_later()))
        return Reply(200, channel_json(sid, "Up", name=f"Snoop/1.1-{sid}"))

    def record(r: FakeRequest) -> Reply:
        ch = session.core.channels.get(r.match["cid"])
        if ch is None or not ch.in_stasis:
            return Reply(409, {"message": "Channel not in Stasis application"})
        return Reply(201, {"name": r.params["name"], "format": "wav", "state": "queued"})

    ari.route("POST", "/channels/{cid}/snoop/{sid}", snoop)
    ari.route("POST", "/channels/{cid}/record", record)
    ari.route("POST", "/recordings/live/{name}/stop", Reply(204))
    ari.route("GET", "/recordings/stored/{name}/file", Reply(200, _wav(800), content_type="audio/wav"))
    ari.route("DELETE", "/recordings/stored/{name}", Reply(204))
    ari.route("DELETE", "/channels/{cid}", Reply(204))
    clip = await session.channels.channel("1.1").audio(0.1)
    assert clip.duration == pytest.approx(0.1)
    assert [r.path for r in ari.requests if r.method == "DELETE"][-1] == f"/channels/{snooped[0]}"


async def test_a_failed_audio_hangs_up_the_snoop_and_says_what_failed(
    ari: FakeAri, session: AriSession
) -> None:
    async def snoop(r: FakeRequest) -> Reply:
        sid = r.match["sid"]
        await ari.send(ari.event("StasisStart", channel=channel_json(sid, "Up", name=f"Snoop/1.1-{sid}")))
        return Reply(200, channel_json(sid, "Up", name=f"Snoop/1.1-{sid}"))

    ari.route("POST", "/channels/{cid}/snoop/{sid}", snoop)
    ari.route("POST", "/channels/{cid}/record", Reply(500, {"message": "Internal Server Error"}))
    ari.route("DELETE", "/channels/{cid}", Reply(204))
    with pytest.raises(arinb.AriServerError) as err:
        await session.channels.channel("1.1").audio(0.1)
    assert "channel.audio of 1.1 failed while starting the recording" in str(err.value)
    assert "\n" not in str(err.value)
    hung_up = [r.path for r in ari.requests if r.method == "DELETE"]
    assert len(hung_up) == 1 and hung_up[0].startswith("/channels/arinb-snoop-")


def _wav(samples: int) -> bytes:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * samples)
    return out.getvalue()


async def _awaited(call: Any) -> Any:
    return await call


def test_usage_errors_stay_usage_errors() -> None:
    with pytest.raises(AriUsageError):
        SessionCore().channel("c1").audio(1.0)


# ------------------------------------------------------------------------------------ found by the chaos test


async def test_a_bridge_destroyed_by_our_delete_leaves_the_registry_but_late_events_find_it() -> None:
    core = SessionCore()
    br = core.bridge("br-9")
    core.registry.bridge_destroyed(br.registry_record)  # what the DELETE's 204 does
    assert "br-9" not in core.bridges and br.destroyed
    late = core.feed(ev("ChannelLeftBridge", channel="1.1", bridge={"id": "br-9"}), None, 1.0)
    assert late.bridge is br and "br-9" not in core.bridges  # the same handle, not registered again


async def test_a_record_reply_slower_than_the_recordings_end_does_not_register_it_again() -> None:
    core = SessionCore()
    rec = {"name": "r1", "format": "wav", "target_uri": "channel:1.1"}
    feed(core, ev("RecordingStarted", recording={**rec, "state": "recording"}))
    feed(core, ev("RecordingFinished", recording={**rec, "state": "done"}))
    late = core.recording_from({**rec, "state": "queued"})  # the 201, slowed down
    assert late.name == "r1" and "r1" not in core.recordings


async def test_audio_until_the_hangup_ends_when_the_channel_ended_in_the_gap(
    ari: FakeAri, session: AriSession
) -> None:
    await asyncio.to_thread(ari.emit, ari.event("StasisStart", channel=channel_json("1.1", "Up")))
    await eventually(lambda: "1.1" in session.core.channels and session.core.channels["1.1"].in_stasis)

    async def snoop(r: FakeRequest) -> Reply:
        sid = r.match["sid"]
        await ari.send(ari.event("StasisStart", channel=channel_json(sid, "Up", name=f"Snoop/1.1-{sid}")))
        return Reply(200, channel_json(sid, "Up", name=f"Snoop/1.1-{sid}"))

    def channel(r: FakeRequest) -> Reply:  # after the gap: the spied channel is gone, its snoop too
        return Reply(404, {"message": "Channel not found"})

    ari.route("POST", "/channels/{cid}/snoop/{sid}", snoop)
    ari.route(
        "POST",
        "/channels/{cid}/record",
        lambda r: Reply(201, {"name": r.params["name"], "format": "wav", "state": "queued"}),
    )
    ari.route("GET", "/channels/{cid}", channel)
    ari.route(
        "GET",
        "/recordings/live/{name}",
        lambda r: Reply(200, {"name": r.match["name"], "state": "recording"}),
    )
    ari.route("DELETE", "/recordings/stored/{name}", Reply(204))
    ari.route("DELETE", "/channels/{cid}", Reply(404, {"message": "Channel not found"}))
    whole = session.core.channels["1.1"].audio()  # until the hangup, no timeout
    await eventually(lambda: any(r.path.endswith("/record") for r in ari.requests), what="recording")
    await gap(ari, session)
    t0 = time.monotonic()
    with pytest.raises(ChannelGone, match="while waiting for the end of the recording"):
        await asyncio.wait_for(_awaited(whole), 3)
    assert time.monotonic() - t0 < 2


def test_a_session_wait_starts_when_it_is_made_not_when_the_loop_gets_to_it() -> None:
    # A wait made in a cell's thread is registered at once: an event the engine loop takes in before the
    # wait's coroutine first runs there is not missed (it was, under load: about 1 run in 4 of
    # test_a_second_session_for_the_same_app_replaces_the_first).
    engine = EngineLoop("lifecycle-early-wait")
    try:
        core = SessionCore()
        core.loop = engine.loop
        wait = core.wait_for("StasisStart", None, 2.0)  # made here, on this thread
        engine.run_sync(lambda: core.feed(ev("StasisStart", channel="1.1"), None, 1.0))  # the loop is first
        got = engine.submit(wait).result(5)
        assert got.channel is not None and got.channel.id == "1.1"
        assert engine.run_sync(core.dispatch.pending_waits) == 0
    finally:
        engine.stop()
