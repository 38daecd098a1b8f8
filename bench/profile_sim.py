"""The simulator's engine alone, without sockets: CPU µs per event at ``bench/bench_sim.py``'s workload.

The same world as the simulator bench (``Local/1000@default`` originates into a Stasis app, each channel
answered at StasisStart and replaying ``sound:tt-monkeys,sound:beep`` at every PlaybackFinished), driven
through :meth:`SimEngine.handle` on a manual clock moved in 20 ms steps: what the kernel and its features
cost per event, with their REST calls, and nothing of aiohttp or the loop's I/O. The frames go to a
``send`` that only sniffs the two event types the app reacts to (no JSON parse).

    python3 bench/profile_sim.py                      # 1,000 channels, 300 simulated seconds measured
    python3 bench/profile_sim.py --profile            # + cProfile's top functions
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        python3 bench/profile_sim.py --channels 200 --seconds 20 --warmup 2   # instructions, repeatable
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import time
from typing import Any

from bench_sim import APP, DIALPLAN, MEDIA  # the same world as the socket bench

from arinb.sim.clock import Clock
from arinb.sim.engine import SimEngine

STEP = 0.02  # simulated seconds per clock move: Asterisk's frame


def _between(text: str, start: str, end: str = '"') -> str:
    i = text.index(start) + len(start)
    return text[i : text.index(end, i)]


class World:
    """One engine and the app driving it."""

    def __init__(self, channels: int) -> None:
        self.engine = SimEngine(clock=Clock.manual(start=1795695288.0), dialplan=DIALPLAN)
        self.channels = channels
        self.events = 0
        self.requests = 0
        self.started: list[str] = []  # channels that entered the app, to answer and play
        self.replay: list[str] = []  # channels whose playback finished, to play again
        self.engine.connect_app([APP], send=self._on_frame)

    def _on_frame(self, text: str) -> None:
        self.events += 1
        if text.startswith('{"type":"StasisStart"'):
            self.started.append(_between(text, '"channel":{"id":"'))
        elif text.startswith('{"type":"PlaybackFinished"'):
            self.replay.append(_between(text, '"target_uri":"channel:'))

    async def request(self, op: str, path: dict[str, str], query: dict[str, str]) -> None:
        self.requests += 1
        reply = await self.engine.handle(op, path, query)
        if reply.status >= 300:
            raise RuntimeError(f"{op} -> {reply.status} {reply.body}")

    async def originate(self) -> None:
        for _ in range(self.channels):
            await self.request(
                "channels.originate",
                {},
                {
                    "endpoint": "Local/1000@default",
                    "context": "default",
                    "extension": "wait",
                    "timeout": "-1",
                },
            )

    async def run(self, seconds: float) -> None:
        """Move the clock ``seconds`` in frames, answering the requests the app makes at each step."""
        clock = self.engine.clock
        for _ in range(round(seconds / STEP)):
            clock.advance(STEP)
            while self.started or self.replay:
                started, self.started = self.started, []
                for cid in started:
                    await self.request("channels.answer", {"channelId": cid}, {})
                    await self.request("channels.play", {"channelId": cid}, {"media": MEDIA})
                replay, self.replay = self.replay, []
                for cid in replay:
                    await self.request("channels.play", {"channelId": cid}, {"media": MEDIA})
            await asyncio.sleep(0)  # the wall-clock triggers of soon() (each already ran on the clock)


async def measure(channels: int, seconds: float, warmup: float, profile: bool) -> dict[str, Any]:
    world = World(channels)
    await world.originate()
    await world.run(warmup)
    events0, requests0 = world.events, world.requests
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    t0 = time.process_time()
    if profiler is not None:
        profiler.enable()
    await world.run(seconds)
    if profiler is not None:
        profiler.disable()
    cpu = time.process_time() - t0
    events, requests = world.events - events0, world.requests - requests0
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return {
        "channels": channels,
        "simulated_s": seconds,
        "events": events,
        "requests": requests,
        "cpu_s": cpu,
        "us_per_event": 1e6 * cpu / events if events else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=300.0, help="simulated seconds measured")
    ap.add_argument("--warmup", type=float, default=20.0, help="simulated seconds before measuring")
    ap.add_argument("--profile", action="store_true", help="print cProfile's top functions (slows the run)")
    args = ap.parse_args()
    r = asyncio.run(measure(args.channels, args.seconds, args.warmup, args.profile))
    print(
        f"{r['channels']:,} channels, {r['simulated_s']:g} simulated s: {r['events']:,} events, "
        f"{r['requests']:,} requests, {r['cpu_s']:.2f} s CPU, {r['us_per_event']:.1f} µs per event"
    )
    print(json.dumps(r))


if __name__ == "__main__":
    main()
