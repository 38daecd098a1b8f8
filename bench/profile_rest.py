"""Where arinb's REST overhead goes, without a server (CPU µs per call, both threads counted).

* the :class:`arinb.loop.Call` round trip for a coroutine that does nothing: awaited on the engine loop
  itself (an async handler), from another thread's loop (a notebook cell; one at a time, and ten in flight,
  which share their wake-ups), and blocking in a script;
  compared with a plain task on the same loop (what awaiting would cost without the cross-thread machinery);
* ``Timeline.add_request``: the row every REST call writes.

The rest of a call is aiohttp's (see ``raw aiohttp`` in ``bench/run.py``'s REST table).

    python3 bench/profile_rest.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable

from arinb.loop import EngineLoop
from arinb.timeline import Timeline


async def _noop() -> int:
    return 1


def _cpu_per_call(n: int, run: Callable[[], None]) -> float:
    t0 = time.process_time()
    run()
    return 1e6 * (time.process_time() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=5000)
    args = ap.parse_args()
    n = args.calls
    engine = EngineLoop("arinb-profile")  # private loop: nothing else runs on it

    async def plain_task() -> None:
        for _ in range(n):
            await asyncio.ensure_future(_noop())

    async def call_on_engine() -> None:
        for _ in range(n):
            await engine.call(_noop())

    async def call_from_other_loop() -> None:
        for _ in range(n):
            await engine.call(_noop())

    async def calls_in_flight_from_other_loop() -> None:
        # Ten at a time, as a cell that gathers requests: submissions and replies share wake-ups.
        for _ in range(n // 10):
            await asyncio.gather(*(engine.call(_noop()) for _ in range(10)))

    def call_blocking() -> None:
        for _ in range(n):
            engine.call(_noop())

    def add_request() -> None:
        tl = Timeline()
        now = time.time()
        for i in range(n):
            tl.add_request("POST", f"/ari/channels/1795700000.{i % 50}/answer", None, 204, now, 0.0005)

    rows = [
        ("plain task on the same loop (reference)", lambda: engine.submit(plain_task()).result()),
        ("Call awaited on the engine loop (async handler)", lambda: engine.submit(call_on_engine()).result()),
        ("Call awaited from another loop (notebook cell)", lambda: asyncio.run(call_from_other_loop())),
        (
            "10 Calls in flight from another loop (gather)",
            lambda: asyncio.run(calls_in_flight_from_other_loop()),
        ),
        ("Call in a plain script (blocks until done)", call_blocking),
        ("Timeline.add_request", add_request),
    ]
    print(f"{n:,} calls each; CPU time of the whole process")
    print("")
    print("| what | CPU µs per call |")
    print("|---|---:|")
    out = {}
    for label, run in rows:
        us = min(_cpu_per_call(n, run) for _ in range(3))
        out[label] = us
        print(f"| {label} | {us:.1f} |")
    engine.stop()
    print(json.dumps({"profile_rest_us": out}))


if __name__ == "__main__":
    main()
