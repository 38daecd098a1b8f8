"""Bytes per retained event in arinb's timeline.

Appends N real-shaped events (the intake benchmark's stream: many channels and playbacks) through
``Timeline.add_event`` the way the client does, and measures the process's resident memory before and
after (each variant in a fresh process, after ``gc.collect()``), so everything the timeline keeps counts:
columns, interned strings, raw frames, any per-row objects, allocator slack.

    python3 bench/bench_memory.py --events 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _events

VARIANTS = {
    "raw": "add_event(event, received_at, raw=frame): what the client does (keeps the frame text)",
    "noraw": "add_event(event, received_at): parsed fields only",
}


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(events: int, variant: str) -> dict[str, float]:
    from arinb.timeline import Timeline

    stream = _events.iter_events(events + 1000)
    tl = Timeline()
    now = time.time()
    # Warm-up: vocabularies, code paths and the allocator's pools exist before the baseline.
    warm = Timeline()
    for _ in range(1000):
        ev = next(stream)
        warm.add_event(ev, now, orjson.dumps(ev).decode())
    del warm
    gc.collect()
    before = _rss()
    keep_raw = variant == "raw"
    frame_bytes = 0
    t0 = time.perf_counter()
    for ev in stream:
        raw = orjson.dumps(ev).decode() if keep_raw else None
        if raw is not None:
            frame_bytes += len(raw)
        tl.add_event(ev, now, raw)
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = _rss()
    assert len(tl) == events, (len(tl), events)
    return {
        "events": events,
        "bytes_per_event": (after - before) / events,
        "frame_bytes": frame_bytes / events,
        "rss_mb": after / 1e6,
        "seconds": elapsed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--variant", choices=tuple(VARIANTS), help=argparse.SUPPRESS)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="which to measure (default: raw,noraw)")
    args = ap.parse_args()
    if args.variant:
        print(json.dumps(measure(args.events, args.variant)), flush=True)
        return
    results = {}
    print(
        "| what is appended | events | bytes per retained event | of which frame text | process RSS after "
        "| append time incl. event build |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for variant in [v for v in args.variants.split(",") if v]:
        label = VARIANTS[variant]
        p = subprocess.run(
            [sys.executable, __file__, "--events", str(args.events), "--variant", variant],
            capture_output=True,
            text=True,
        )
        if p.returncode != 0:
            tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"| {label} | {args.events:,} | **failed**: {tail} | | | |")
            results[variant] = {"error": tail}
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results[variant] = r
        print(
            f"| {label} | {r['events']:,} | {r['bytes_per_event']:,.0f} | {r['frame_bytes']:,.0f} "
            f"| {r['rss_mb']:,.0f} MB | {r['seconds']:.1f} s |"
        )
    print(json.dumps({"memory": results}))


if __name__ == "__main__":
    main()
