"""How much load the simulator sustains: channels, events/s, REST latency and CPU at speed 50.

For each level (10 .. 1,000 concurrent channels) the simulator runs in its own process
(``arinb.simulate(speed=50)`` with a small dialplan); this process is the load: a lean aiohttp + orjson
ARI app (not arinb's client, so that the numbers are the simulator's) that originates the channels, answers
each at StasisStart and plays a media list (``sound:tt-monkeys,sound:beep``: 16.6 simulated seconds,
0.33 s of wall time at speed 50) again at every PlaybackFinished, for a measuring window. Reported per level:

* channels in Stasis, playbacks completed, and the media speed achieved (simulated length / wall time of
  each playback: 50 means the simulator's timers kept up);
* events/s delivered, REST requests/s, REST latency p50/p99 (answer, play);
* CPU of the simulator process (% of one core) and of the load process, and events delivered per second of
  simulator CPU (with their REST calls): what one core buys, whatever else the machine runs.

    python3 bench/bench_sim.py            # 10, 100, 300, 1000 channels, 6 s windows
    python3 bench/bench_sim.py --quick    # 10, 100 channels, 3 s windows
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

SPEED = 50.0
APP = "bench-sim"
MEDIA = "sound:tt-monkeys,sound:beep"
MEDIA_SECONDS = 16.18 + 0.4255  # simulated length of one MEDIA cycle (README: sound durations)
DIALPLAN = """\
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(bench-sim)
 same => n,Hangup()
exten => wait,1,Answer()
 same => n,Wait(3000)
 same => n,Hangup()
"""
SIM_CHILD = f"""
import sys, arinb
sim = arinb.simulate(speed={SPEED}, dialplan={DIALPLAN!r}, port=0)
print("URL", sim.url, flush=True)
sys.stdin.read()
sim.close()
"""
AUTH = {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass
class Level:
    channels: int
    window: float
    started: int = 0
    events: int = 0
    cycles: int = 0
    latencies: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)  # wall seconds, first PlaybackStarted -> Finished
    errors: list[str] = field(default_factory=list)
    measuring: bool = False
    replay: bool = True
    window_open: asyncio.Event = field(default_factory=asyncio.Event)
    window_closed: asyncio.Event = field(default_factory=asyncio.Event)


class Load:
    """The ARI app driving one level; every REST call is timed."""

    def __init__(self, url: str, level: Level) -> None:
        self.url = url
        self.level = level
        self.http: aiohttp.ClientSession | None = None
        self.channels: set[str] = set()
        self.all_started = asyncio.Event()
        self.ended: set[str] = set()
        self.all_ended = asyncio.Event()
        self.play_started: dict[str, float] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def request(self, method: str, path: str, **params: str) -> Any:
        assert self.http is not None
        t0 = time.perf_counter()
        async with self.http.request(method, self.url + "/ari" + path, params=params) as r:
            body = await r.read()
            if r.status >= 300:
                what = "/".join("{id}" if "." in part else part for part in path.split("/"))
                self.level.errors.append(
                    f"{method} {what} -> {r.status} {body[:60].decode(errors='replace')}"
                )
                return None
        if self.level.measuring:
            self.level.latencies.append(time.perf_counter() - t0)
        return orjson.loads(body) if body else None

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def answer_and_play(self, cid: str) -> None:
        await self.request("POST", f"/channels/{cid}/answer")
        await self.request("POST", f"/channels/{cid}/play", media=MEDIA)

    def on_event(self, ev: dict[str, Any]) -> None:
        lv = self.level
        if lv.measuring:
            lv.events += 1
        t = ev.get("type")
        if t == "StasisStart":
            cid = ev["channel"]["id"]
            self.channels.add(cid)
            lv.started += 1
            self.spawn(self.answer_and_play(cid))
            if lv.started >= lv.channels:
                self.all_started.set()
        elif t == "PlaybackStarted":
            self.play_started.setdefault(ev["playback"]["id"], time.perf_counter())
        elif t == "PlaybackFinished":
            began = self.play_started.pop(ev["playback"]["id"], None)
            if lv.measuring:
                lv.cycles += 1
                if began is not None:
                    lv.durations.append(time.perf_counter() - began)
            target = ev["playback"].get("target_uri", "")
            if lv.replay and target.startswith("channel:"):
                self.spawn(self.request("POST", f"/channels/{target[8:]}/play", media=MEDIA))
        elif t == "StasisEnd":
            self.ended.add(ev["channel"]["id"])
            if not lv.replay and self.ended >= self.channels:
                self.all_ended.set()

    async def run(self) -> None:
        lv = self.level
        async with aiohttp.ClientSession(
            headers=AUTH, connector=aiohttp.TCPConnector(limit=256)
        ) as self.http:
            ws_url = self.url.replace("http", "ws", 1) + f"/ari/events?app={APP}&api_key=asterisk:asterisk"
            async with self.http.ws_connect(ws_url, max_msg_size=0) as ws:
                reader = asyncio.ensure_future(self._read(ws))
                sem = asyncio.Semaphore(32)

                async def originate() -> None:
                    async with sem:
                        await self.request(
                            "POST",
                            "/channels",
                            endpoint="Local/1000@default",
                            context="default",
                            extension="wait",
                            priority="1",
                            timeout="-1",  # at speed 50 the default 30 s is 0.6 s of wall time
                        )

                await asyncio.gather(*(originate() for _ in range(lv.channels)))
                try:
                    await asyncio.wait_for(self.all_started.wait(), 60)
                except TimeoutError:
                    lv.errors.append(f"only {lv.started} of {lv.channels} channels reached Stasis in 60 s")
                # Let every channel get into its play loop before measuring.
                await asyncio.sleep(MEDIA_SECONDS / SPEED)
                lv.measuring = True
                lv.window_open.set()
                await asyncio.sleep(lv.window)
                lv.measuring = False
                lv.window_closed.set()
                lv.replay = False
                # Plays already sent must be answered before their channels go (else a 404, the bench's race).
                if self.tasks:
                    await asyncio.wait(list(self.tasks), timeout=30)
                await asyncio.gather(*(self.request("DELETE", f"/channels/{c}") for c in list(self.channels)))
                try:
                    await asyncio.wait_for(self.all_ended.wait(), 30)
                except TimeoutError:
                    lv.errors.append(f"{len(self.channels) - len(self.ended)} channels never sent StasisEnd")
                reader.cancel()
            for task in list(self.tasks):
                task.cancel()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.on_event(orjson.loads(msg.data))


def run_level(channels: int, window: float) -> dict[str, Any]:
    sim = subprocess.Popen(
        [sys.executable, "-c", SIM_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline().split()
        if not line or line[0] != "URL":
            raise RuntimeError(f"simulator did not start: {sim.stderr.read()[-300:] if sim.stderr else ''}")

        async def measured() -> tuple[Level, float, float, float]:
            level = Level(channels, window)  # its Events belong to this loop
            load = Load(line[1], level)

            async def window_cpu() -> tuple[float, float, float]:
                await level.window_open.wait()
                s0, l0, t0 = _cpu_seconds(sim.pid), time.process_time(), time.perf_counter()
                await level.window_closed.wait()
                return _cpu_seconds(sim.pid) - s0, time.process_time() - l0, time.perf_counter() - t0

            cpu = asyncio.ensure_future(window_cpu())
            await load.run()
            return (level, *(await cpu))

        level, sim_cpu, load_cpu, elapsed = asyncio.run(measured())
    finally:
        if sim.stdin:
            sim.stdin.close()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
    # The simulated speed the media actually ran at: simulated length / wall time, per playback.
    speeds = [MEDIA_SECONDS / d for d in level.durations if d > 0]
    return {
        "channels": channels,
        "in_stasis": level.started,
        "window_s": elapsed,
        "playbacks": len(level.durations),
        "speed_median": statistics.median(speeds) if speeds else 0.0,
        "speed_p1": _pct(speeds, 0.01),
        "events_per_s": level.events / elapsed,
        "requests_per_s": len(level.latencies) / elapsed,
        "p50_ms": 1000 * _pct(level.latencies, 0.50),
        "p99_ms": 1000 * _pct(level.latencies, 0.99),
        "sim_cpu_pct": 100 * sim_cpu / elapsed,
        # What one full core of simulator buys at this mix (events with their REST calls): robust to a busy machine.
        "events_per_sim_cpu_s": level.events / sim_cpu if sim_cpu > 0 else 0.0,
        "load_cpu_pct": 100 * load_cpu / elapsed,
        "errors": level.errors[:3],
        "error_count": len(level.errors),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--levels", default="", help="comma-separated channel counts")
    ap.add_argument("--window", type=float, default=0.0, help="measuring window per level, seconds")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x] or (
        [10, 100] if args.quick else [10, 100, 300, 1000]
    )
    window = args.window or (3.0 if args.quick else 6.0)
    print(
        f"Speed {SPEED:g}, media list `{MEDIA}` replayed at every PlaybackFinished, {window:g} s window per level."
    )
    print("")
    print(
        "| channels | in Stasis | playbacks done | media speed (median / slowest 1%) | events/s | REST req/s "
        "| REST p50 | REST p99 | simulator CPU | events per simulator CPU-s | load CPU | errors |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    results = []
    for n in levels:
        try:
            r = run_level(n, window)
        except Exception as e:
            print(f"| {n} | **failed**: {type(e).__name__}: {str(e)[:200]} | | | | | | | | | | |", flush=True)
            results.append({"channels": n, "error": f"{type(e).__name__}: {e}"})
            continue
        results.append(r)
        errs = f"{r['error_count']}: {'; '.join(r['errors'])}" if r["error_count"] else "0"
        print(
            f"| {n:,} | {r['in_stasis']:,} | {r['playbacks']:,} | {r['speed_median']:.1f} / {r['speed_p1']:.1f} "
            f"| {r['events_per_s']:,.0f} | {r['requests_per_s']:,.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms "
            f"| {r['sim_cpu_pct']:.0f}% | {r['events_per_sim_cpu_s']:,.0f} | {r['load_cpu_pct']:.0f}% | {errs} |",
            flush=True,
        )
    print("")
    print(
        f"Media speed: simulated length of the list / wall time from its first PlaybackStarted to its "
        f"PlaybackFinished, as the load saw it; {SPEED:g} means the simulator's timers kept up."
    )
    print(json.dumps({"levels": results}))


if __name__ == "__main__":
    main()
