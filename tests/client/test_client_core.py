"""SessionCore driven by event dicts: objects, dispatch, async ordering, waiters, playbacks, replaced."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from client_helpers import FakeTimeline, accept, ev, eventually, pb_ev, record_of

from arinb.client.core import SessionCore
from arinb.client.dispatch import is_async_callable
from arinb.client.events import MALFORMED, Event
from arinb.errors import ApplicationReplaced, AriTimeoutError, PlaybackLost, SessionClosed


@pytest.fixture
def timeline() -> FakeTimeline:
    return FakeTimeline()


def feed(core: SessionCore, *events: dict[str, Any]) -> list[Event]:
    return [core.feed(e, None, time.time()) for e in events]


async def test_objects_are_kept_by_id_with_their_latest_json(timeline: FakeTimeline) -> None:
    core = SessionCore(timeline)
    first, second = feed(
        core,
        ev("StasisStart", channel="1.1", args=[]),
        ev("ChannelStateChange", channel={"id": "1.1", "name": "n", "state": "Up"}),
    )
    assert first.channel is second.channel is core.channels["1.1"]
    assert second.channel is not None and second.channel.state == "Up" and second.channel.in_stasis
    assert first["channel"]["state"] == "Ring"  # each event keeps its own JSON
    feed(core, ev("StasisEnd", channel={"id": "1.1", "state": "Up"}))
    assert not core.channels["1.1"].in_stasis
    feed(core, ev("ChannelDestroyed", channel="1.1", cause=16))
    assert "1.1" not in core.channels and second.channel.destroyed
    assert [e[0]["type"] for e in timeline.events] == [
        "StasisStart",
        "ChannelStateChange",
        "StasisEnd",
        "ChannelDestroyed",
    ]


async def test_dispatch_order_type_then_object_then_wildcard_in_arrival_order() -> None:
    core = SessionCore()
    calls: list[str] = []
    core.on("*", lambda e: calls.append(f"*:{e.type}"))
    core.on("StasisStart", lambda e: calls.append("type:StasisStart"))
    core.on("ChannelStateChange", lambda e: calls.append("type:ChannelStateChange"))
    ch = core.channel("1.1")
    ch.on("ChannelStateChange", lambda e: calls.append("ch:ChannelStateChange"))
    ch.on("*", lambda e: calls.append(f"ch*:{e.type}"))
    core.channel("2.2").on("*", lambda e: calls.append("other channel"))
    feed(core, ev("StasisStart", channel="1.1"), ev("ChannelStateChange", channel="1.1"))
    assert calls == [
        "type:StasisStart",
        "ch*:StasisStart",
        "*:StasisStart",
        "type:ChannelStateChange",
        "ch:ChannelStateChange",
        "ch*:ChannelStateChange",
        "*:ChannelStateChange",
    ]


async def test_playback_events_reach_the_playback_and_its_target_channel() -> None:
    core = SessionCore()
    on_channel: list[str] = []
    on_playback: list[str] = []
    core.channel("1.1").on("*", lambda e: on_channel.append(e.type))
    pb = core.register_playback("pb-1", "sound:beep", "channel:1.1")
    pb.on("PlaybackFinished", lambda e: on_playback.append(e["playback"]["state"]))
    started, _finished = feed(
        core, pb_ev("PlaybackStarted", "pb-1", "1.1"), pb_ev("PlaybackFinished", "pb-1", "1.1", "done")
    )
    assert started.playback is pb and started.channel is core.channels["1.1"]
    assert on_channel == ["PlaybackStarted", "PlaybackFinished"] and on_playback == ["done"]
    assert pb.outcome == "done" and "pb-1" not in core.playbacks  # Asterisk forgets finished playbacks too


async def test_off_removes_a_handler() -> None:
    core = SessionCore()
    got: list[Event] = []
    core.on("StasisStart", got.append)
    core.on("*", got.append)
    assert core.off("StasisStart", got.append) and core.off("*", got.append)
    assert not core.off("StasisStart", got.append)
    feed(core, ev("StasisStart", channel="1.1"))
    assert got == []


async def test_async_handler_sees_events_in_order_even_when_each_takes_different_time() -> None:
    core = SessionCore()
    seen: list[str] = []

    async def handler(e: Event) -> None:
        await asyncio.sleep(0.02 if e["value"] == "0" else 0)
        seen.append(e["value"])

    core.on("ChannelVarset", handler)
    feed(core, *(ev("ChannelVarset", channel="1.1", variable="X", value=str(i)) for i in range(6)))
    await eventually(lambda: len(seen) == 6)
    assert seen == ["0", "1", "2", "3", "4", "5"]
    await eventually(lambda: core.pending_handler_tasks() == 0, what="the drain task ends when idle")


async def test_slow_async_handler_delays_only_itself() -> None:
    core = SessionCore()
    gate = asyncio.Event()
    slow_seen: list[str] = []
    fast_seen: list[str] = []
    sync_seen: list[str] = []

    async def slow(e: Event) -> None:
        await gate.wait()
        slow_seen.append(e["value"])

    async def fast(e: Event) -> None:
        fast_seen.append(e["value"])

    core.on("ChannelVarset", slow)
    core.on("ChannelVarset", fast)
    core.on("ChannelVarset", lambda e: sync_seen.append(e["value"]))
    feed(core, *(ev("ChannelVarset", variable="X", value=str(i)) for i in range(3)))
    assert sync_seen == ["0", "1", "2"]  # inline, before feed returned
    await eventually(lambda: len(fast_seen) == 3)
    assert slow_seen == []  # still stuck on the first event
    gate.set()
    await eventually(lambda: len(slow_seen) == 3)
    assert slow_seen == ["0", "1", "2"]


async def test_a_raising_handler_is_logged_with_the_event_type_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = SessionCore()
    after: list[str] = []
    async_after: list[str] = []

    def broken(e: Event) -> None:
        raise RuntimeError("handler bug")

    async def broken_async(e: Event) -> None:
        if e["value"] == "0":
            raise RuntimeError("async handler bug")
        async_after.append(e["value"])

    core.on("ChannelVarset", broken)
    core.on("ChannelVarset", broken_async)
    core.on("ChannelVarset", lambda e: after.append(e["value"]))
    with caplog.at_level(logging.ERROR, logger="arinb.client"):
        feed(core, ev("ChannelVarset", value="0"), ev("ChannelVarset", value="1"))
        await eventually(lambda: async_after == ["1"])
    assert after == ["0", "1"]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("broken" in m and "ChannelVarset" in m for m in messages) == 3
    assert any("async handler" in m for m in messages)


async def test_a_sync_callable_returning_a_coroutine_is_awaited_in_order() -> None:
    core = SessionCore()
    seen: list[str] = []

    async def work(e: Event) -> None:
        await asyncio.sleep(0)
        seen.append(e["value"])

    core.on("ChannelVarset", lambda e: work(e))
    feed(core, ev("ChannelVarset", value="a"), ev("ChannelVarset", value="b"))
    await eventually(lambda: seen == ["a", "b"])


async def test_wait_for_matches_type_and_predicate_and_times_out() -> None:
    core = SessionCore()
    waiting = asyncio.ensure_future(
        core.wait_for("StasisEnd", lambda e: e.channel is not None and e.channel.id == "2.2")
    )
    await asyncio.sleep(0)
    feed(core, ev("StasisEnd", channel="1.1"), ev("StasisStart", channel="2.2"))
    assert not waiting.done()
    feed(core, ev("StasisEnd", channel="2.2"))
    got = await waiting
    assert got.channel is not None and got.channel.id == "2.2"
    with pytest.raises(AriTimeoutError, match="StasisEnd"):
        await core.wait_for("StasisEnd", timeout=0.01)
    assert core.dispatch.pending_waits() == 0


async def test_wait_for_on_an_object_and_a_raising_predicate() -> None:
    core = SessionCore()
    ch = core.channel("1.1")
    waiting = asyncio.ensure_future(ch.wait_for("*"))
    await asyncio.sleep(0)
    feed(core, ev("ChannelStateChange", channel="9.9"), ev("ChannelDtmfReceived", channel="1.1", digit="5"))
    assert (await waiting)["digit"] == "5"

    def bad(e: Event) -> bool:
        raise KeyError("nope")

    waiting = asyncio.ensure_future(core.wait_for("StasisStart", bad))
    await asyncio.sleep(0)
    feed(core, ev("StasisStart", channel="1.1"))
    with pytest.raises(KeyError):
        await waiting


async def test_event_stream_yields_in_order_from_creation_and_ends_on_close() -> None:
    core = SessionCore()
    stream = core.events(["PlaybackFinished"])
    feed(core, pb_ev("PlaybackStarted", "a", "1.1"), pb_ev("PlaybackFinished", "a", "1.1", "done"))
    feed(core, pb_ev("PlaybackFinished", "b", "1.1", "failed"))
    got: list[str] = []

    async def consume() -> None:
        async for e in stream:
            got.append(e.playback.id if e.playback else "")

    task = asyncio.ensure_future(consume())
    await eventually(lambda: got == ["a", "b"])
    core.close()
    await asyncio.wait_for(task, 1)


async def test_a_stream_nobody_holds_is_dropped() -> None:
    core = SessionCore()
    core.events(["StasisStart"])  # not kept
    feed(core, ev("StasisStart", channel="1.1"))
    assert core.dispatch.stream_count() == 0


async def test_playback_finished_gives_done_or_failed_even_when_events_beat_the_reply() -> None:
    core = SessionCore()
    pb = core.register_playback("pb-race", "sound:tt-weasels", "channel:1.1")
    feed(
        core, pb_ev("PlaybackStarted", "pb-race", "1.1"), pb_ev("PlaybackFinished", "pb-race", "1.1", "done")
    )
    accept(
        core,
        pb,
        {"id": "pb-race", "media_uri": "sound:tt-weasels", "target_uri": "channel:1.1", "state": "queued"},
    )
    assert pb.state == "done"  # the late 201 ("queued") does not roll the state back
    assert await pb.finished(timeout=1) == "done"
    failed = core.register_playback("pb-f", "sound:does-not-exist", "channel:1.1")
    waiting = failed.finished(timeout=5)
    feed(core, pb_ev("PlaybackStarted", "pb-f", "1.1"), pb_ev("PlaybackFinished", "pb-f", "1.1", "failed"))
    assert await waiting == "failed"


async def test_playback_lost_when_the_channel_leaves_stasis_after_started_without_finished() -> None:
    core = SessionCore()
    pb = core.register_playback("pb-lost", "foo:bar", "channel:1.1")
    other = core.register_playback("pb-other", "sound:beep", "channel:2.2")
    waiting = pb.finished()
    started = pb.started(timeout=1)
    feed(core, ev("StasisStart", channel="1.1"), pb_ev("PlaybackStarted", "pb-lost", "1.1", media="foo:bar"))
    assert (await started) is pb
    feed(core, ev("ChannelHangupRequest", channel="1.1", cause=32, soft=True), ev("StasisEnd", channel="1.1"))
    with pytest.raises(PlaybackLost, match="pb-lost"):
        await waiting
    with pytest.raises(PlaybackLost):
        await pb.finished()  # a later wait gets the same answer at once
    assert pb.outcome == "lost" and "pb-lost" not in core.playbacks
    assert other.outcome is None  # a playback on another channel is untouched


async def test_playback_accepted_then_channel_left_before_the_reply_is_lost_when_the_reply_comes() -> None:
    core = SessionCore()
    pb = core.register_playback("pb-late", "recording:x", "channel:1.1")
    feed(core, ev("StasisEnd", channel="1.1"))
    assert pb.outcome is None  # the request is still out: its answer decides
    accept(core, pb, {"id": "pb-late", "state": "queued"})
    with pytest.raises(PlaybackLost):
        await pb.finished()
    assert "pb-late" not in core.playbacks  # no PlaybackFinished will ever remove it: not kept forever


async def test_application_replaced_stops_cleanly(
    caplog: pytest.LogCaptureFixture, timeline: FakeTimeline
) -> None:
    replaced: list[Event] = []
    core = SessionCore(timeline, on_replaced=replaced.append)
    handler_saw: list[str] = []
    core.on("ApplicationReplaced", lambda e: handler_saw.append(e.type))
    waiting = asyncio.ensure_future(core.wait_for("StasisEnd", timeout=10))
    pb = core.register_playback("pb-1", "sound:beep", "channel:1.1")
    pb_wait = pb.finished()
    stream = core.events(["*"])
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="arinb.client"):
        feed(core, ev("ApplicationReplaced"))
    assert handler_saw == ["ApplicationReplaced"] and len(replaced) == 1 and core.replaced
    for fut in (waiting, pb_wait):
        with pytest.raises(ApplicationReplaced):
            await fut
    got = [e async for e in _until_error(stream)]
    assert [e.type for e in got] == ["ApplicationReplaced"]
    with pytest.raises(ApplicationReplaced):
        await core.wait_for("StasisStart", timeout=1)
    assert any("registered by another connection" in r.getMessage() for r in caplog.records)


async def _until_error(stream: Any) -> Any:
    try:
        async for e in stream:
            yield e
    except ApplicationReplaced:
        return
    raise AssertionError("the stream ended without ApplicationReplaced")


async def test_malformed_frames_and_unknown_types_are_recorded_and_never_raise(
    timeline: FakeTimeline,
) -> None:
    core = SessionCore(timeline)
    seen: list[Event] = []
    core.on("*", seen.append)
    for frame in (
        "{not json",
        "[1, 2]",
        '"text"',
        b"\xff\xfe",
        '{"type":"FutureThing","x":1}',
        '{"no_type":true}',
        '{"type":"StasisStart","channel":{"id":"1.1","state":"Ring"}}',
    ):
        core.feed_frame(frame, time.time())
    assert [e.type for e in seen] == ["FutureThing", "StasisStart"]
    assert [e[0]["type"] for e in timeline.events] == [MALFORMED] * 4 + [
        "FutureThing",
        MALFORMED,
        "StasisStart",
    ]
    assert timeline.events[0][2] == "{not json" and core.malformed == 5


async def test_close_fails_waiters_ends_streams_and_drops_queued_async_work() -> None:
    core = SessionCore()
    gate = asyncio.Event()

    async def stuck(e: Event) -> None:
        await gate.wait()

    core.on("ChannelVarset", stuck)
    feed(core, *(ev("ChannelVarset", value=str(i)) for i in range(3)))
    waiting = asyncio.ensure_future(core.wait_for("StasisEnd"))
    await asyncio.sleep(0)
    core.close()
    with pytest.raises(SessionClosed):
        await waiting
    await eventually(lambda: core.pending_handler_tasks() == 0, what="the cancelled drain task ends")
    with pytest.raises(SessionClosed):
        await core.wait_for("StasisEnd")


async def test_event_accessors_and_repr() -> None:
    core = SessionCore()
    (e,) = feed(core, ev("ChannelDtmfReceived", channel="1.1", digit="7", duration_ms=100))
    assert e.type == "ChannelDtmfReceived" and e.application == "test" and e["digit"] == "7"
    assert e.get("missing", 3) == 3 and "digit" in e
    assert e.timestamp == "2026-11-26T12:17:03.105+0000" and e.time == pytest.approx(1795695423.105)
    assert "ChannelDtmfReceived" in repr(e) and "1.1" in repr(e) and "digit='7'" in repr(e)


async def test_async_detection_covers_methods_partials_and_async_call_objects() -> None:
    import functools

    core = SessionCore()
    seen: list[str] = []

    class Handlers:
        async def method(self, e: Event) -> None:
            seen.append("method")

        async def __call__(self, e: Event) -> None:
            seen.append("call")

    async def with_tag(tag: str, e: Event) -> None:
        seen.append(tag)

    h = Handlers()
    for cb in (h.method, h, functools.partial(with_tag, "partial")):
        core.on("StasisStart", cb)
    assert all(is_async_callable(cb) for cb in (h.method, h, functools.partial(with_tag, "partial")))
    core.on("StasisStart", print)  # a builtin is sync
    assert not is_async_callable(print)
    core.off("StasisStart", print)
    feed(core, ev("StasisStart", channel="1.1"))
    await eventually(lambda: sorted(seen) == ["call", "method", "partial"])


async def test_ended_channels_are_forgotten_oldest_first_beyond_the_limit() -> None:
    core = SessionCore()
    core.keep_ended_channels = 3
    kept = core.channel("c0")
    for i in range(6):
        feed(core, ev("StasisStart", channel=f"c{i}"), ev("StasisEnd", channel=f"c{i}"))
    feed(core, ev("StasisStart", channel="c0"))  # back in Stasis: a fresh handle, the id is known again
    assert sorted(core.channels) == ["c0", "c3", "c4", "c5"]
    assert core.channels["c0"] is not kept and core.channels["c0"] == kept  # same id, equal handles


async def test_an_objects_event_stream_only_yields_its_events() -> None:
    core = SessionCore()
    stream = core.channel("1.1").events("ChannelDtmfReceived")
    feed(
        core,
        ev("ChannelDtmfReceived", channel="2.2", digit="1"),
        ev("ChannelStateChange", channel="1.1"),
        ev("ChannelDtmfReceived", channel="1.1", digit="5"),
    )
    got = await asyncio.wait_for(stream.__anext__(), 1)
    assert got["digit"] == "5" and not stream._queue


async def test_async_handler_that_cannot_be_called_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Calling an `async def` with the wrong signature raises at once (TypeError), before any coroutine
    # exists: that must not skip the other handlers, the waiters or the streams for this event.
    core = SessionCore()
    seen: list[str] = []

    async def no_event_param() -> None:
        seen.append("never")

    core.on("StasisStart", no_event_param)  # type: ignore[arg-type]
    core.on("StasisStart", lambda e: seen.append("sync"))
    core.on("*", lambda e: seen.append("*"))
    waiter = asyncio.ensure_future(core.wait_for("StasisStart"))
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="arinb"):
        feed(core, ev("StasisStart", channel="1.1"))
    assert seen == ["sync", "*"]
    assert (await asyncio.wait_for(waiter, 1)).type == "StasisStart"
    assert "no_event_param" in caplog.text


async def test_a_second_play_with_a_playback_id_still_playing_waits_its_turn() -> None:
    # Asterisk accepts the duplicate id and queues the second play: Started/Finished of the first, then of
    # the second. Each Playback must get its own outcome; the first must not wait forever.
    core = SessionCore()
    first = core.register_playback("dup", "sound:a", "channel:1.1")
    accept(core, first, {"id": "dup", "state": "queued"})
    feed(core, pb_ev("PlaybackStarted", "dup", "1.1"))
    second = core.register_playback("dup", "sound:b", "channel:1.1")
    accept(core, second, {"id": "dup", "state": "queued"})
    feed(core, pb_ev("PlaybackFinished", "dup", "1.1", state="done"))
    assert await asyncio.wait_for(first.finished(), 1) == "done"
    assert second.outcome is None and not second.is_started
    feed(core, pb_ev("PlaybackStarted", "dup", "1.1", media="sound:b"))
    assert second.is_started
    feed(core, pb_ev("PlaybackFinished", "dup", "1.1", state="failed", media="sound:b"))
    assert await asyncio.wait_for(second.finished(), 1) == "failed"
    assert "dup" not in core.playbacks


async def test_a_queued_duplicate_play_that_fails_is_not_kept() -> None:
    core = SessionCore()
    first = core.register_playback("dup2", "sound:a", "channel:1.1")
    second = core.register_playback("dup2", "sound:b", "channel:1.1")
    core.registry.playback_refused(record_of(core, second), RuntimeError("refused"))
    feed(core, pb_ev("PlaybackFinished", "dup2", "1.1", state="done"))
    assert first.outcome == "done" and "dup2" not in core.playbacks


async def test_queued_duplicate_plays_are_lost_with_their_channel() -> None:
    core = SessionCore()
    first = core.register_playback("dup3", "recording:missing", "channel:1.1")
    accept(core, first, {"id": "dup3", "state": "queued", "target_uri": "channel:1.1"})
    feed(core, pb_ev("PlaybackStarted", "dup3", "1.1", media="recording:missing"))
    second = core.register_playback("dup3", "sound:b", "channel:1.1")
    accept(core, second, {"id": "dup3", "state": "queued", "target_uri": "channel:1.1"})
    feed(core, ev("StasisEnd", channel="1.1"))
    for pb in (first, second):
        with pytest.raises(PlaybackLost):
            await asyncio.wait_for(pb.finished(), 1)
    assert "dup3" not in core.playbacks and not core.registry.queued_playbacks


async def test_a_wait_started_after_the_events_are_gone_for_good_fails_at_once() -> None:
    # Reconnect off and the WebSocket lost: pending waits failed; a new one must not hang forever.
    from arinb.errors import AriWebSocketError

    core = SessionCore()
    pb = core.register_playback("gone-pb", "sound:a", "channel:1.1")
    core.events_gone(AriWebSocketError("lost the events WebSocket and reconnect is off"))
    with pytest.raises(AriWebSocketError, match="reconnect is off"):
        await asyncio.wait_for(core.wait_for("StasisStart"), 1)
    with pytest.raises(AriWebSocketError):
        await asyncio.wait_for(pb.finished(), 1)
    with pytest.raises(AriWebSocketError):
        core.events(["StasisStart"])
