"""The chaos test's parts: workloads, faults striking at random points, and the checks after each run.

A *run* is one workload (a docs scenario, a bridge with a playback, or a recording) on one long-lived
session, with one fault striking at a random point of it: the events socket dropped, the server restarted
on the same port, or a slow REST reply. Everything random comes from one seeded ``random.Random``, so a
failing run can be replayed with the seed it prints (``ARINB_CHAOS_SEED``).

After each run (see :class:`Run`):

* every wait the workload started has ended, with a result or a typed :class:`arinb.AriError`, within its
  timeout (plus :data:`SLACK`), or, for a wait without one, within :data:`AFTER_RECONNECT` seconds of the
  reconnect (or of the end of the workload, whichever is later);
* no task of the run is left on the engine loop;
* the client's registry holds nothing of the finished call (no channel still in Stasis, no playback,
  bridge or live recording);
* the timeline has a ``loss`` row for each fault that cut the events connection.

The simulator runs a manual clock: the workloads move simulated time themselves, so a 16 s playback takes
a few wall milliseconds, and a fault scheduled at a simulated time strikes exactly there.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import arinb
import arinb.scenarios as scenarios
from arinb.loop import EngineLoop

#: the app of the chaos workloads that are not docs scenarios
APP = "arinb-chaos"
#: wall seconds a wait may overrun its own timeout (the machine is shared and loaded)
SLACK = 1.0
#: a wait without a timeout must end this long after the events connection is back (issue 10)
AFTER_RECONNECT = 2.0
#: wall seconds a whole workload may take before the run counts as hung
RUN_GUARD = 8.0
#: client request timeout: a "slow REST reply" may be slower than this
REQUEST_TIMEOUT = 0.5

WORKLOADS = ("tones", "answer", "monkeys", "bridge", "recording")
FAULTS = ("drop", "restart", "slow")
#: the simulated span of each workload, in which its fault strikes
SPANS = {"tones": 9.0, "answer": 6.0, "monkeys": 16.2, "bridge": 6.0, "recording": 4.0}


def engine_tasks() -> collections.Counter[str]:
    """Tasks alive on the client engine loop, counted by coroutine name."""
    engine = EngineLoop.shared("arinb-engine")

    def names() -> collections.Counter[str]:
        out: collections.Counter[str] = collections.Counter()
        for task in asyncio.all_tasks(engine.loop):
            coro = task.get_coro()
            out[getattr(coro, "__qualname__", repr(coro))] += 1
        return out

    return engine.run_sync(names)


def registry_leftovers(session: Any) -> list[str]:
    """What the session's registry still holds of calls that are over (empty when clean).

    Reads the public surface: ``session.core`` (``channels``, ``playbacks``, ``bridges``, ``recordings``).
    A channel that left Stasis may stay known as ended (``keep_ended_channels``); one still marked in
    Stasis, or any playback, bridge or live recording, is a leftover once every call is over.
    """
    core = session.core
    out = []

    def snapshot() -> tuple[list[Any], list[str], list[str], list[str]]:
        return (
            list(core.channels.values()),
            list(core.playbacks),
            list(core.bridges),
            list(core.recordings),
        )

    channels, playbacks, bridges, recordings = EngineLoop.shared("arinb-engine").run_sync(snapshot)
    out += [f"channel {c.id} ({c.name}) still in Stasis" for c in channels if c.in_stasis]
    out += [f"playback {p}" for p in playbacks]
    out += [f"bridge {b}" for b in bridges]
    out += [f"live recording {r}" for r in recordings]
    return out


@dataclass
class Wait:
    """One wait a workload started: what, its timeout (None: none), and how it ended."""

    name: str
    timeout: float | None
    started: float
    task: asyncio.Task[Any]
    ended: float | None = None
    outcome: str = "pending"

    def finish(self, task: asyncio.Task[Any]) -> None:
        self.ended = time.time()
        if task.cancelled():
            self.outcome = "cancelled"
        elif task.exception() is None:
            self.outcome = "result"
        else:
            exc = task.exception()
            kind = "typed" if isinstance(exc, arinb.AriError) else "UNTYPED"
            self.outcome = f"{kind} {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@dataclass
class Run:
    """One workload with one fault; :meth:`problems` says what went wrong (empty: the run was clean)."""

    index: int
    workload: str
    fault: str
    at: float  # simulated seconds after the run's start when the fault strikes
    detail: str = ""
    waits: list[Wait] = field(default_factory=list)
    struck: bool = False
    cuts: int = 0  # faults that cut the events connection
    body_end: float = 0.0
    body_error: str = ""
    issues: list[str] = field(default_factory=list)

    def track(self, name: str, awaitable: Awaitable[Any], timeout: float | None) -> asyncio.Task[Any]:
        """Start observing a wait; it must end as the module docstring says."""

        async def wait() -> Any:
            return await awaitable

        task = asyncio.ensure_future(wait())
        w = Wait(name, timeout, time.time(), task)
        task.add_done_callback(w.finish)
        self.waits.append(w)
        return task

    def label(self) -> str:
        return f"run {self.index} {self.workload} + {self.fault} at +{self.at:.2f} s {self.detail}".strip()


class Chaos:
    """A simulator, one session on it, and the runs (see the module docstring)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.sim: Any = None
        self.session: Any = None
        self.baseline: collections.Counter[str] = collections.Counter()
        self.runs: list[Run] = []
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.reported: set[str] = set()  # registry leftovers already reported by an earlier run

    async def start(self) -> None:
        self.sim = await arinb.simulate(clock="manual")
        apps = [APP, *(scenarios.SCENARIOS[name].app for name in ("tones", "answer", "monkeys"))]
        self.session = await arinb.connect(
            self.sim.url,
            apps=apps,
            backoff=(0.02, 0.1),
            request_timeout=REQUEST_TIMEOUT,
            connect_timeout=2.0,
        )
        await asyncio.sleep(0.05)
        self.baseline = engine_tasks()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.sim is not None:
            await self.sim.close()

    # -- the clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        return float(self.sim.clock.now())

    async def advance(self, seconds: float, step: float = 0.5) -> None:
        """Move simulated time on in steps, yielding between them so that replies and events flow."""
        left = seconds
        while left > 1e-9:
            dt = min(step, left)
            self.sim.clock.advance(dt)
            left -= dt
            await asyncio.sleep(0.002)

    # -- one run -----------------------------------------------------------------------------------

    async def run_one(self, index: int, workload: str, fault: str) -> Run:
        run = Run(index, workload, fault, at=self.rng.uniform(0.0, SPANS[workload]))
        await self._connected(run, within=3.0)
        rows_before = len(self.session.timeline)
        t0 = self.now()
        wall0 = time.time()
        restarting: list[Any] = []
        ticker: asyncio.Task[None] | None = None
        fault_timer = None

        def strike() -> None:  # on the simulator's loop, at the fault's simulated time
            run.struck = True
            if fault == "restart":
                run.cuts += 1
                restarting.append(self.sim.restart(downtime=run_downtime))
            elif fault == "slow":
                self.sim.faults.delay("*", slow_for, times=1)

        run_downtime = self.rng.uniform(0.0, 0.3)
        slow_for = self.rng.uniform(0.2, 8.0)  # simulated: 0.02-0.8 wall s with the ticker
        if fault == "drop":
            fault_timer = self.sim.faults.drop_connections_at(at=t0 + run.at)
        else:
            fault_timer = self.sim.clock.call_at(t0 + run.at, strike)
            run.detail = f"(downtime {run_downtime:.2f} s)" if fault == "restart" else f"({slow_for:.1f} s)"
        if fault == "slow":
            ticker = asyncio.ensure_future(self._tick())
        try:
            body = getattr(self, f"_{workload}" if workload in ("bridge", "recording") else "_scenario")
            await asyncio.wait_for(body(run), RUN_GUARD)
        except arinb.AriError as exc:  # (AriTimeoutError is a TimeoutError too: this comes first)
            run.body_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        except TimeoutError:
            run.issues.append(f"the workload did not end within {RUN_GUARD} s")
        except Exception as exc:  # an untyped error escaped the client
            run.issues.append(f"untyped error {type(exc).__name__}: {exc}")
        finally:
            if fault == "slow" and run.struck:
                # The slowed request may still be held by the server (the client gave up on it): let
                # simulated time run out its delay, as the server would, so that it is carried out.
                with contextlib.suppress(Exception):
                    await self.advance(slow_for + 0.5, step=0.25)
            run.body_end = time.time()
            if ticker is not None:
                ticker.cancel()
            if fault == "drop":
                run.struck = self.now() >= t0 + run.at
                run.cuts += int(run.struck)
            with contextlib.suppress(Exception):
                fault_timer.cancel()
            with contextlib.suppress(Exception):
                self.sim.faults.clear()
        for call in restarting:
            try:
                await asyncio.wait_for(_awaited(call), 5.0)
            except Exception as exc:
                run.issues.append(f"the restart failed: {exc!r}")
        await self._settle(run, rows_before, wall0)
        self.runs.append(run)
        self.outcomes[run.body_error.split(":")[0] or "ok"] += 1
        return run

    async def _tick(self) -> None:
        """During a slow-reply run: simulated time flows (about 10x wall) so that the delayed reply comes."""
        while True:
            await asyncio.sleep(0.005)
            self.sim.clock.advance(0.05)

    async def _connected(self, run: Run, within: float) -> float | None:
        deadline = time.monotonic() + within
        while not self.session.connected:
            if time.monotonic() > deadline:
                run.issues.append(f"the events connection was not back within {within} s")
                return None
            await asyncio.sleep(0.01)
        return time.time()

    async def _settle(self, run: Run, rows_before: int, wall0: float) -> None:
        back = await self._connected(run, within=5.0)
        rows = self.session.timeline.df.iloc[rows_before:]
        conn = rows[rows["kind"] == "connection"]
        losses = int((conn["type"] == "loss").sum())
        reconnects = conn.loc[conn["type"] == "reconnect", "received_at"]
        reconnect_at = reconnects.iloc[-1].timestamp() if len(reconnects) else None
        if losses != run.cuts:
            run.issues.append(f"{run.cuts} connection loss(es) but {losses} loss row(s) in the timeline")
        # Waits: each must end in time (those without a timeout: soon after the reconnect).
        base = max(run.body_end, reconnect_at or 0.0, back or 0.0)
        for w in run.waits:
            bound = w.started + w.timeout + SLACK if w.timeout is not None else None
            deadline = bound if bound is not None else base + AFTER_RECONNECT
            if not w.task.done():
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(w.task), max(deadline - time.time(), 0.0))
            if not w.task.done():
                what = "its timeout" if w.timeout is not None else f"{AFTER_RECONNECT} s of the reconnect"
                run.issues.append(f"wait {w.name!r} (timeout {w.timeout}) still pending {what} later")
                w.task.cancel()
                with contextlib.suppress(BaseException):
                    await w.task
                continue
            assert w.ended is not None
            if w.ended > deadline + 0.05:
                run.issues.append(f"wait {w.name!r} ended {w.ended - deadline:.2f} s late ({w.outcome})")
            if w.outcome.startswith("UNTYPED"):
                run.issues.append(f"wait {w.name!r} ended with an {w.outcome}")
        # No task of the run left on the engine loop (give finishing ones a moment).
        deadline = time.monotonic() + 1.5
        while True:
            extra = engine_tasks() - self.baseline
            if not extra or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        if extra:
            run.issues.append(f"tasks left on the engine loop: {dict(extra)}")
            self.baseline = engine_tasks()  # report each leak once
        # Nothing of the finished call in the registry.
        deadline = time.monotonic() + 1.0
        while True:
            left = [x for x in registry_leftovers(self.session) if x not in self.reported]
            if not left or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        if left:
            self.reported.update(left)
            run.issues.append("the registry still holds: " + ", ".join(left[:6]))

    # -- workloads ---------------------------------------------------------------------------------

    async def _scenario(self, run: Run) -> None:
        sc = scenarios.SCENARIOS[run.workload](self.session, sim=self.sim)
        sc.timeout = 3.0  # simulated seconds allowed for a lost event before the step gives up
        try:
            result = run.track(f"{run.workload}.run()", sc.run(), RUN_GUARD - 1.0)
            await asyncio.wait({result}, timeout=RUN_GUARD - 0.5)
            if result.done() and not result.cancelled() and result.exception() is None:
                outcome = result.result()
                if not outcome.ok:
                    failed = [s for s in outcome.steps if not s.ok]
                    if failed and failed[0].error is not None:
                        raise failed[0].error
        finally:
            closing = run.track(f"{run.workload}.close()", sc.close(), 12.0)
            await asyncio.wait({closing}, timeout=12.0)

    async def _call_in(self, run: Run) -> Any:
        """A Local channel originated into the chaos app (its other half answers and waits)."""
        entered = self.session.expect("StasisStart", timeout=3.0)
        ch = await self.session.channels.originate("Local/wait@default", app=APP)
        await self.advance(0.05)
        run.track("StasisStart", entered, 3.0)
        ev = await entered
        assert ev.channel.id == ch.id
        return ch

    async def _bridge(self, run: Run) -> None:
        ch = await self._call_in(run)
        run.track("channel StasisEnd (no timeout)", ch.wait_for("StasisEnd"), None)
        try:
            bridge = await self.session.bridges.create("mixing")
            await bridge.add_channel(ch)
            pb = bridge.play("sound:tt-monkeys")
            run.track("bridge playback finished (no timeout)", pb.finished(), None)
            await pb
            await self.advance(self.rng.uniform(0.5, 5.0))
            await bridge.destroy()
        finally:
            with contextlib.suppress(arinb.AriError):
                await ch.hangup()
            await self.advance(0.2)

    async def _recording(self, run: Run) -> None:
        ch = await self._call_in(run)
        run.track("channel StasisEnd (no timeout)", ch.wait_for("StasisEnd"), None)
        try:
            await ch.answer()
            pb = ch.play("tone:440")
            await pb
            clip = ch.audio(app=APP)  # until the hangup, no timeout
            run.track("channel.audio() until the hangup (no timeout)", clip, None)
            await self.advance(self.rng.uniform(0.5, 3.5), step=0.25)
        finally:
            with contextlib.suppress(arinb.AriError):
                await ch.hangup()
            await self.advance(0.2)


async def _awaited(call: Any) -> Any:
    return await call


Workload = Callable[[Run], Awaitable[None]]
