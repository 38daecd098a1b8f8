"""The intake fast paths keep behaviour: cached per-type routes follow handler changes, the timeline queue."""

from __future__ import annotations

import threading
import time
from typing import Any

from client_helpers import ev

from arinb.client.core import SessionCore
from arinb.client.events import Event
from arinb.timeline import Timeline


def test_handlers_registered_or_removed_after_a_type_was_routed_take_effect_at_once() -> None:
    core = SessionCore(None)
    seen: list[str] = []

    def first(e: Event) -> None:
        seen.append("first")

    def second(e: Event) -> None:
        seen.append("second")

    core.feed(ev("ChannelVarset", channel="1.1", variable="X", value="1"), None, 1.0)  # routed, no handler
    core.on("ChannelVarset", first)
    core.feed(ev("ChannelVarset", channel="1.1", variable="X", value="2"), None, 2.0)
    core.on("ChannelVarset", second)
    core.feed(ev("ChannelVarset", channel="1.1", variable="X", value="3"), None, 3.0)
    assert core.off("ChannelVarset", first)
    core.feed(ev("ChannelVarset", channel="1.1", variable="X", value="4"), None, 4.0)
    assert seen == ["first", "first", "second", "second"]


def test_special_handling_and_object_dispatch_still_run_through_cached_routes() -> None:
    core = SessionCore(None)
    on_channel: list[str] = []
    core.feed(ev("StasisStart", channel="1.1", args=[]), None, 1.0)
    ch = core.channels["1.1"]
    assert ch.in_stasis
    ch.on("ChannelStateChange", lambda e: on_channel.append(e.type))
    ch.on("*", lambda e: on_channel.append("*" + e.type))
    core.feed(ev("ChannelStateChange", channel={"id": "1.1", "state": "Up"}), None, 2.0)
    assert ch.state == "Up"
    end = core.feed(ev("StasisEnd", channel="1.1"), None, 3.0)
    assert not ch.in_stasis and ch.json is end["channel"]  # the latest JSON, as sent (not a copy)
    assert on_channel == ["ChannelStateChange", "*ChannelStateChange", "*StasisEnd"]


def test_odd_types_are_routed_as_their_text_and_the_cache_stays_small() -> None:
    core = SessionCore(None)
    got: list[Any] = []
    core.on("5", lambda e: got.append(e.type))
    core.feed({"type": 5}, None, 1.0)
    for i in range(1500):
        core.feed({"type": f"Custom{i}"}, None, 1.0)
    assert got == ["5"]
    assert core.known_types() <= 1000


def test_registration_from_another_thread_while_events_flow_is_never_lost() -> None:
    # Handlers registered from another thread while the loop thread feeds: each sees every event fed after
    # its registration returned (a route computed concurrently must not stay cached without it).
    core = SessionCore(None)
    counts = [0] * 20
    registered = [threading.Event() for _ in counts]
    stop = threading.Event()

    def register() -> None:
        for i in range(len(counts)):

            def handler(e: Event, i: int = i) -> None:
                counts[i] += 1

            core.on("ChannelVarset", handler)
            registered[i].set()
            time.sleep(0.001)

    fed_after = [0] * len(counts)

    def feed() -> None:
        while not stop.is_set():
            done = [r.is_set() for r in registered]
            core.feed(ev("ChannelVarset", channel="1.1", variable="X", value="1"), None, 1.0)
            for i, was in enumerate(done):
                if was:
                    fed_after[i] += 1

    feeder = threading.Thread(target=feed)
    feeder.start()
    register()
    deadline = time.monotonic() + 5  # under load the feeder may need a while to feed after the last one
    while fed_after[-1] < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    stop.set()
    feeder.join()
    assert all(c >= f > 0 for c, f in zip(counts, fed_after, strict=True))


def test_every_frame_fed_is_in_the_timeline_with_its_text() -> None:
    tl = Timeline()
    core = SessionCore(tl)
    frames = [
        f'{{"type":"ChannelVarset","timestamp":"2026-11-26T12:14:48.{i % 1000:03d}+0000",'
        f'"channel":{{"id":"c{i % 9}","state":"Up"}},"variable":"V","value":"{i}"}}'
        for i in range(Timeline.PENDING_MAX * 2 + 7)
    ]
    for i, frame in enumerate(frames):
        core.feed_frame(frame, 1795695288.0 + i)
    assert len(tl) == len(frames) == core.events_received
    df = tl.df
    assert list(df["raw"]) == frames
    assert list(df["channel_id"].iloc[:3]) == ["c0", "c1", "c2"]
