"""Where arinb's intake time goes, layer by layer, without sockets (µs per event).

Feeds the intake benchmark's real-shaped frames straight into the client's socket-free core, adding one
layer at a time, so each layer's cost is the difference between two rows:

1. ``orjson.loads`` alone (the parse every client pays);
2. ``SessionCore.feed_frame`` with no timeline and no handlers (object tracking, Event, special handling);
3. + the timeline's intake part (``Timeline.add_frame``: the frame text and receive time are queued);
4. + a sync per-type handler for every type (the intake benchmark's plain workload);
5. + a per-channel handler registered at StasisStart (the per-object workload).

Then, apart: building the queued rows later (``Timeline.build_frames``: parse the text again, intern the
columns, a batch at a time), which the client does when the socket is quiet or a reader asks, per row.
The socket part (aiohttp's WebSocket reader) is what ``raw aiohttp + orjson`` costs minus row 1.

    python3 bench/profile_intake.py --events 200000 [--what-if]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _events


def _best_of(runs: int, fn: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        # CPU time, not wall: the machine is shared, and this loop is single-threaded.
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    from arinb.client.core import SessionCore
    from arinb.timeline import Timeline

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--what-if", action="store_true", help="also time the workload without GC / with pruning")
    args = ap.parse_args()
    frames = [f.decode() for f in _events.build_frames(args.events)]
    n = len(frames)
    now = time.time()

    def parse_only() -> None:
        loads = orjson.loads
        for f in frames:
            loads(f)

    def core_only() -> None:
        core = SessionCore(timeline=None)
        feed = core.feed_frame
        for f in frames:
            feed(f, now)

    def core_timeline() -> None:
        core = SessionCore(timeline=Timeline())
        feed = core.feed_frame
        for f in frames:
            feed(f, now)
        assert len(core.timeline) == n

    def workload(per_object: bool) -> Timeline:
        tl = Timeline()
        core = SessionCore(timeline=tl)
        count = [0, 0]

        def on_state(ev: Any) -> None:
            count[1] += 1

        def handler(ev: Any) -> None:
            count[0] += 1
            if per_object and ev.type == "StasisStart":
                ev.channel.on("ChannelStateChange", on_state)

        for t in _events.EVENT_TYPES:
            core.on(t, handler)
        feed = core.feed_frame
        for f in frames:
            feed(f, now)
        assert count[0] == n and len(tl) == n, count
        return tl

    def plain() -> None:
        workload(False)

    def full() -> None:
        workload(True)

    built: list[Timeline] = []

    def prepare_build() -> None:
        built.append(workload(False))

    def build_rows() -> None:
        tl = built.pop()
        assert tl.build_frames() == n and tl.pending_frames == 0

    def full_no_gc() -> None:
        # What-if: the cyclic GC does not run during the stream (it rescans every retained handle and dict).
        gc.disable()
        try:
            full()
        finally:
            gc.enable()

    def full_pruned() -> None:
        # What-if: the core forgets a channel at StasisEnd (today every Channel handle and its last JSON stay).
        core = SessionCore(timeline=Timeline())

        def on_state(ev: Any) -> None:
            pass

        def handler(ev: Any) -> None:
            if ev.type == "StasisStart":
                ev.channel.on("ChannelStateChange", on_state)
            elif ev.type == "StasisEnd":
                core.registry.channel_hung_up(ev.channel.registry_record)

        for t in _events.EVENT_TYPES:
            core.on(t, handler)
        feed = core.feed_frame
        for f in frames:
            feed(f, now)
        assert len(core.channels) < 100, len(core.channels)

    rows = [
        ("orjson.loads", parse_only),
        ("SessionCore.feed_frame, no timeline, no handlers", core_only),
        ("+ Timeline.add_frame (the timeline's intake part)", core_timeline),
        ("+ a per-type handler per type (plain workload)", plain),
        ("+ a per-channel handler from StasisStart (per-object workload)", full),
    ]
    if args.what_if:
        rows += [
            ("what-if: bench workload with gc disabled", full_no_gc),
            ("what-if: bench workload, channels dropped at StasisEnd", full_pruned),
        ]
    print(f"{n:,} frames, CPU time, best of {args.runs} interleaved rounds")
    print("")
    print("| layer | CPU µs per event | added by this layer | events/s ceiling |")
    print("|---|---:|---:|---:|")
    # Interleaved rounds, best of each: a busy moment on the shared machine then hits every layer alike.
    best = {label: float("inf") for label, _ in rows}
    for _ in range(args.runs):
        for label, fn in rows:
            best[label] = min(best[label], _best_of(1, fn))
    prev = 0.0
    out: dict[str, float] = {}
    for label, _ in rows:
        us = 1e6 * best[label] / n
        added = (
            f"{us - out[rows[4][0]]:+.2f} vs workload" if label.startswith("what-if") else f"{us - prev:+.2f}"
        )
        print(f"| {label} | {us:.2f} | {added} | {1e6 / us:,.0f} |")
        out[label] = us
        prev = us
    # The rows' deferred part, apart: timed on timelines filled (untimed) by the plain workload.
    build_best = float("inf")
    for _ in range(args.runs):
        prepare_build()
        build_best = min(build_best, _best_of(1, build_rows))
    build_us = 1e6 * build_best / n
    out["later: Timeline.build_frames, per row"] = build_us
    print("")
    print(
        f"Later, off the intake path: `Timeline.build_frames` (parse the frame again, intern the columns), "
        f"{build_us:.2f} µs per row."
    )
    print(json.dumps({"profile_us_per_event": out}))


if __name__ == "__main__":
    main()
