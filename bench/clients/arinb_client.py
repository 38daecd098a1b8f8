"""arinb's full intake path and REST calls, through the public API only.

Intake: ``arinb.connect`` (sync script form: the session runs on the ``arinb-engine`` thread), a sync
per-type handler for every event type, and at StasisStart a per-channel handler
(``event.channel.on("ChannelStateChange", ...)``; not with ``--mode intake-plain``). Each event is received,
parsed, dispatched to both and appended to the timeline (its frame text: the row's columns are built later,
off the intake path; that build is timed apart, ``timeline_build_cpu_seconds``); at the end the timeline
must hold every event, in order, or the run fails.
REST: ``await channel.answer()`` from the caller's loop (notebook form), ``channel.answer()`` blocking
(script form, ``--form sync``), or awaited on the engine loop as an async handler does (``--form engine``);
over HTTP or (``--rest websocket``) as RESTRequests on the events WebSocket. Prints one JSON line (see ``bench/run.py``).

    python3 bench/clients/arinb_client.py --url http://127.0.0.1:PORT --mode intake
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from importlib.metadata import version
from typing import Any

import arinb

MARKER = "bench-marker-end"
TYPES = (
    "StasisStart",
    "ChannelVarset",
    "ChannelStateChange",
    "PlaybackStarted",
    "ChannelDtmfReceived",
    "PlaybackFinished",
    "ChannelHangupRequest",
    "StasisEnd",
)


def _event_rows(timeline: Any) -> Any:
    df = timeline.df
    return df[df["kind"] == "event"] if "kind" in df.columns else df


def intake(url: str, expect: int, plain: bool = False) -> dict[str, Any]:
    n = 0
    t0 = t1 = c0 = c1 = 0.0  # wall and process CPU (both threads) at the first event and the marker
    per_object = 0
    by_type: dict[str, int] = {}
    done = threading.Event()

    def on_state(ev: Any) -> None:
        nonlocal per_object
        per_object += 1

    def handler(ev: Any) -> None:
        nonlocal n, t0, t1, c0, c1
        if n == 0:
            t0 = time.perf_counter()
            c0 = time.process_time()
        n += 1
        t = ev.type
        by_type[t] = by_type.get(t, 0) + 1
        if t == "StasisStart":
            if not plain:
                ev.channel.on("ChannelStateChange", on_state)
        elif t == "StasisEnd" and ev.channel.id == MARKER:
            # Every event is in the timeline by now (counted), most as frame texts whose rows are built
            # later: that part is timed apart below.
            if len(session.timeline) < n:
                raise RuntimeError(f"the timeline counts {len(session.timeline)} events, {n} dispatched")
            t1 = time.perf_counter()
            c1 = time.process_time()
            done.set()

    session = arinb.connect(url, "asterisk", "asterisk", apps="bench")
    try:
        for t in TYPES:
            session.on(t, handler)
        # Well before bench/run.py's 300 s kill, so that a stall is reported with what did arrive.
        if not done.wait(240):
            raise RuntimeError(
                f"marker not seen after {n} events dispatched, {session.events_received} received, "
                f"{session.reconnects} reconnects"
            )
        # The deferred part of the timeline: building the rows of the frames intake queued (the client does
        # it once the socket is quiet; here right away, timed: CPU of every thread, the engine's included).
        c2 = time.process_time()
        session.timeline.build_frames()
        build_cpu = time.process_time() - c2
        rows = _event_rows(session.timeline)
        in_timeline = len(rows)
        if expect and in_timeline != expect:
            raise RuntimeError(f"timeline holds {in_timeline} events, expected {expect}")
        # The timeline holds exactly what the handlers saw, type by type, and the marker is its last row.
        in_rows = {str(k): int(v) for k, v in rows["type"].value_counts().items() if v}
        if in_rows != by_type:
            raise RuntimeError(f"timeline types {in_rows} differ from the dispatched ones {by_type}")
        last_channel = rows["channel_id"].iloc[-1] if in_timeline else None
        if last_channel != MARKER:
            raise RuntimeError(f"the timeline's last event is for {last_channel!r}, not the marker")
    finally:
        session.close()
    return {
        "events": n,
        "seconds": t1 - t0,
        "cpu_seconds": c1 - c0,
        "per_object_calls": per_object,
        "timeline_events": in_timeline,
        "timeline_build_cpu_seconds": build_cpu,
        "by_type": by_type,
    }


def rest(url: str, requests: int, form: str, transport: str) -> dict[str, Any]:
    session = arinb.connect(url, "asterisk", "asterisk", apps="bench", rest=transport)
    try:
        channels = [session.channels.channel(f"1795700000.{i}") for i in range(50)]
        session.channels.channel("warmup").answer()
        if form == "sync":
            # Script form: each call blocks this thread until the engine thread has the 204.
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(requests):
                channels[i % 50].answer()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        else:

            async def go() -> tuple[float, float]:
                t0, c0 = time.perf_counter(), time.process_time()
                for i in range(requests):
                    await channels[i % 50].answer()
                return time.perf_counter() - t0, time.process_time() - c0

            if form == "engine":
                # Handler form: the awaits run on the engine loop itself, as in an async event handler.
                elapsed, cpu = session.engine.call(go()).result()
            else:
                # Notebook form: `await channel.answer()` from the caller's own event loop (another thread).
                elapsed, cpu = asyncio.run(go())
    finally:
        session.close()
    return {"requests": requests, "seconds": elapsed, "cpu_seconds": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=("intake", "intake-plain", "rest"), default="intake")
    ap.add_argument("--rest", choices=("http", "websocket"), default="http", help="connect(rest=...)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument(
        "--form",
        choices=("await", "sync", "engine"),
        default="await",
        help="REST: await, script or handler form",
    )
    ap.add_argument("--expect", type=int, default=0, help="events the timeline must hold at the end")
    args = ap.parse_args()
    if args.mode.startswith("intake"):
        out = intake(args.url, args.expect, plain=args.mode == "intake-plain")
    else:
        out = rest(args.url, args.requests, args.form, args.rest)
    out["version"] = f"arinb {version('arinb')} (aiohttp {version('aiohttp')}, orjson {version('orjson')})"
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
