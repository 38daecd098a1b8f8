"""The timeline's own benchmark: intake cost, memory, DataFrame build, widget refresh under a flood.

    python3 bench/bench_timeline.py            # 1,000,000 events (~1-2 min on 2 cores)
    python3 bench/bench_timeline.py --quick    # 200,000 events

Events are the intake benchmark's real-shaped stream (bench/_events.py: verbatim Asterisk 22 shapes,
20 interleaved calls, every call its own channel and playback ids), freshly parsed from JSON text the
way the client receives them, and appended with their frame text as ``raw``.

* **append**: ``Timeline.add_event`` alone: (parse + add_event) minus (parse alone), each event parsed right
  before its append as on the engine thread (a pre-parsed million would measure cache misses instead);
* **memory**: resident memory after the appends minus before, per event, without and with the frame text
  the timeline keeps (the client holds that text anyway when the frame arrives);
* **DataFrame**: the first ``tl.df`` at 10k / 100k / 1M rows (pandas already imported), and asking again
  after 1,000 more rows (the incremental path); and the client's worst case at 1M rows: the last 262,144
  still queued as frame texts by ``add_frame`` (what the client's catch-up lets wait), built by that read;
* **widget**: a live ``TimelineWidget`` (8 Hz) while a thread appends 10,000 events/s: refresh cost and the
  rate the writer kept.
Prints a markdown table, then one JSON line with the numbers. Wall times depend on what else the machine
runs; the DataFrame rows also give the process's CPU time, which does not.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _events

from arinb.timeline import Timeline


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _frames(total: int) -> list[tuple[bytes, str]]:
    """The stream as (frame bytes, frame text) pairs, as the client has them when a frame arrives."""
    return [(f, f.decode()) for f in (orjson.dumps(e) for e in _events.iter_events(total))]


def bench_append(total: int) -> dict[str, float]:
    """add_event's cost = (parse + add_event) - (parse alone), each event freshly parsed right before,
    as on the engine thread; memory = RSS growth over the appends (the frame texts existed before)."""
    frames = _frames(total)
    loads = orjson.loads
    gc.collect()
    t0 = time.perf_counter()
    for data, _text in frames:
        loads(data)
    parse_only = time.perf_counter() - t0

    tl = Timeline()
    add = tl.add_event
    now = time.time()
    gc.collect()
    before = _rss()
    t0 = time.perf_counter()
    for data, text in frames:
        add(loads(data), now, text)
    parse_and_add = time.perf_counter() - t0
    gc.collect()
    grown = _rss() - before
    raw_bytes = sum(sys.getsizeof(text) for _, text in frames)
    spent = parse_and_add - parse_only
    return {
        "events": total,
        "parse_us": parse_only / total * 1e6,
        "append_us": spent / total * 1e6,
        "append_per_s": total / spent,
        "bytes_per_event": (grown + raw_bytes) / total,
        "bytes_per_event_without_raw": grown / total,
    }


def _filled(n: int, tl: Timeline | None = None) -> Timeline:
    tl = tl or Timeline()
    now = time.time()
    for data, text in _frames(n):
        tl.add_event(orjson.loads(data), now, text)
    return tl


def bench_frame(sizes: list[int]) -> list[dict[str, float]]:
    import arinb.timeline.frame  # noqa: F401  (pandas import is not the build)

    out = []
    for n in sizes:
        tl = _filled(n)
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        df = tl.df
        first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(df) == n
        _filled(1_000, tl)
        t0 = time.perf_counter()
        df = tl.df
        again = time.perf_counter() - t0
        assert len(df) == n + 1_000
        out.append(
            {"rows": n, "first_df_s": first, "first_df_cpu_s": first_cpu, "again_after_1000_ms": again * 1000}
        )
        del tl, df
        gc.collect()
    return out


def bench_frame_queued(n: int, queued: int) -> dict[str, float]:
    """The client's path: intake only queues frame texts (``add_frame``) and the engine builds their rows once
    the socket is quiet, or a quarter at a time past ``queued`` waiting (``CATCH_UP_BACKLOG``). The worst
    first ``tl.df`` at ``n`` rows then finds ``queued`` of them still as frames; also the add_frame cost."""
    import arinb.timeline.frame  # noqa: F401  (pandas import is not the build)

    tl = _filled(n - queued)
    now = time.time()
    texts = [text for _data, text in _frames(queued)]
    gc.collect()
    c0 = time.process_time()
    for text in texts:
        tl.add_frame(text, now)
    add_cpu = time.process_time() - c0
    del texts
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    df = tl.df
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(df) == n and tl.pending_frames == 0
    return {
        "rows": n,
        "queued": queued,
        "add_frame_us": 1e6 * add_cpu / queued,
        "first_df_s": first,
        "first_df_cpu_s": first_cpu,
    }


def bench_widget(rate: int, seconds: float) -> dict[str, float]:
    from arinb.widgets.timeline import TimelineWidget

    tl = Timeline()
    widget = TimelineWidget(tl, rate=8.0)
    costs: list[float] = []
    stop = threading.Event()
    original = widget.refresh

    def timed_refresh() -> None:
        t0 = time.perf_counter()
        original()
        costs.append((time.perf_counter() - t0) * 1000)

    widget.throttle.fn = timed_refresh
    events = [orjson.loads(f) for f in _events.build_frames(int(rate * seconds))[:-1]]
    frames = [orjson.dumps(e).decode() for e in events]
    written = [0]

    def writer() -> None:
        start = time.perf_counter()
        for i, (event, raw) in enumerate(zip(events, frames, strict=True)):
            # Pace to `rate` events/s in bursts of 100, like frames arriving over a socket.
            if i % 100 == 0:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            tl.add_event(event, time.time(), raw)
            written[0] += 1
            if stop.is_set():
                break
        written.append(time.perf_counter() - start)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    time.sleep(0.3)  # the last refresh
    widget.close()
    achieved = written[0] / written[1]
    assert widget.counts() and sum(widget.counts().values()) == written[0], "widget missed rows"
    return {
        "flood_events_per_s": rate,
        "writer_kept_per_s": achieved,
        "refreshes": len(costs),
        "refresh_ms_median": statistics.median(costs) if costs else float("nan"),
        "refresh_ms_max": max(costs) if costs else float("nan"),
        "rows_scanned_per_refresh": widget.rows_scanned / max(1, widget.refreshes),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="200,000 events instead of 1,000,000")
    ap.add_argument("--events", type=int, help="events for the append/memory run")
    args = ap.parse_args()
    total = args.events or (200_000 if args.quick else 1_000_000)
    sizes = [10_000, 100_000, total] if total > 100_000 else [10_000, total]

    append = bench_append(total)
    frames = bench_frame(sizes)
    from arinb.client.transport import CATCH_UP_BACKLOG

    queued = bench_frame_queued(total, min(total, CATCH_UP_BACKLOG))
    widget = bench_widget(10_000, 2.0 if args.quick else 4.0)

    print("| measure | value |")
    print("|---|---|")
    print(
        f"| add_event, {total:,} events | {append['append_us']:.2f} µs/event ({append['append_per_s']:,.0f} events/s; orjson parse alone {append['parse_us']:.2f} µs) |"
    )
    print(
        f"| memory at {total:,} events | {append['bytes_per_event']:.0f} B/event with the frame text, "
        f"{append['bytes_per_event_without_raw']:.0f} B/event without it |"
    )
    for row in frames:
        print(
            f"| first `tl.df`, {row['rows']:,} rows | {row['first_df_s'] * 1000:.0f} ms "
            f"({row['first_df_cpu_s'] * 1000:.0f} ms of CPU) |"
        )
        print(
            f"| `tl.df` again after 1,000 more rows ({row['rows']:,}) | {row['again_after_1000_ms']:.1f} ms |"
        )
    print(
        f"| first `tl.df`, {queued['rows']:,} rows of which {queued['queued']:,} queued as frame texts (the "
        f"client's worst case) | {queued['first_df_s'] * 1000:.0f} ms ({queued['first_df_cpu_s'] * 1000:.0f} ms "
        f"of CPU); `add_frame` {queued['add_frame_us']:.2f} µs/event |"
    )
    print(
        f"| widget under {widget['flood_events_per_s']:,} events/s | writer kept {widget['writer_kept_per_s']:,.0f}/s; "
        f"{widget['refreshes']} refreshes, {widget['refresh_ms_median']:.2f} ms median, "
        f"{widget['refresh_ms_max']:.2f} ms max; {widget['rows_scanned_per_refresh']:.0f} rows read per refresh |"
    )
    print(json.dumps({"append": append, "frames": frames, "queued": queued, "widget": widget}))


if __name__ == "__main__":
    main()
