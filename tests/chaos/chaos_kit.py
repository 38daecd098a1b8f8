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
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import arinb
import arinb.scenarios as scenarios
from arinb.loop import EngineLoop

#: the app of the chaos workloads that are not docs scenarios
APP = "arinb-chaos"
#: wall seconds a wait may overrun its own timeout (the machine is shared and loaded)
SLACK = 1.0
#: a wait without a timeout must end this long after the events connection is back (issue 10)
AFTER_RECONNECT = 2.0
#: wall seconds of scheduling delay tolerated on top of that (two cores shared by many processes)
LATE = 0.25
#: wall seconds a whole workload may take before the run counts as hung
RUN_GUARD = 8.0
#: client request timeout: a "slow REST reply" may be slower than this
REQUEST_TIMEOUT = 0.4

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


@dataclass
class RealAsterisk:
    """A real Asterisk and how to restart it (``ARINB_REAL_ARI_URL``, ``ARINB_REAL_ARI_RESTART``)."""

    url: str
    username: str
    password: str
    restart: str  # a shell command that restarts it on the same port and returns once it answers again


class Chaos:
    """A target (the simulator, or a real Asterisk behind a proxy), one session on it, and the runs.

    On the simulator faults come from its fault injection and ``restart()``, on a manual clock. On a real
    Asterisk the clock is the wall clock, the client talks through :class:`tcp_proxy.Proxy` (which drops the
    events socket and slows a request), and a restart runs the given command.
    """

    def __init__(self, seed: int, real: RealAsterisk | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.real = real
        self.sim: Any = None
        self.proxy: Any = None
        self.app = APP if real is None else f"{APP}-{os.getpid()}"
        self.session: Any = None
        self.baseline: collections.Counter[str] = collections.Counter()
        self.runs: list[Run] = []
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.reported: set[str] = set()  # registry leftovers already reported by an earlier run

    async def start(self) -> None:
        apps = [self.app, *(scenarios.SCENARIOS[name].app for name in ("tones", "answer", "monkeys"))]
        if self.real is None:
            self.sim = await arinb.simulate(clock="manual")
            url, user, password = self.sim.url, self.sim.username, self.sim.password
        else:
            from tcp_proxy import Proxy

            target = urlsplit(self.real.url)
            self.proxy = await Proxy.start(target.hostname or "127.0.0.1", target.port or 8088)
            url, user, password = self.proxy.url, self.real.username, self.real.password
        self.session = await arinb.connect(
            url,
            user,
            password,
            apps=apps,
            backoff=(0.02, 0.1),
            request_timeout=REQUEST_TIMEOUT,
            connect_timeout=10.0,
        )
        await asyncio.sleep(0.05)
        self.baseline = engine_tasks()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.sim is not None:
            await self.sim.close()
        if self.proxy is not None:
            await self.proxy.close()

    # -- the clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        return float(self.sim.clock.now()) if self.sim is not None else time.time()

    async def advance(self, seconds: float, step: float = 0.5) -> None:
        """Move simulated time on in steps, yielding between them so that replies and events flow
        (on a real Asterisk: just wait)."""
        if self.sim is None:
            await asyncio.sleep(seconds)
            return
        left = seconds
        while left > 1e-9:
            dt = min(step, left)
            self.sim.clock.advance(dt)
            left -= dt
            await asyncio.sleep(0.002)

    # -- one run -----------------------------------------------------------------------------------

    async def run_one(self, index: int, workload: str, fault: str) -> Run:
        run = Run(index, workload, fault, at=self.rng.uniform(0.0, SPANS[workload]))
        await self._connected(run, within=3.0 if self.real is None else 30.0)
        rows_before = len(self.session.timeline)
        t0 = self.now()
        wall0 = time.time()
        restarting: list[Any] = []
        ticker: asyncio.Task[None] | None = None
        fault_timer: Any = None
        run_downtime = self.rng.uniform(0.0, 0.15)
        slow_for = self.rng.uniform(0.2, 6.0)  # simulated: 0.02-0.6 wall s with the ticker
        if self.real is not None:
            slow_for /= 10.0  # wall seconds on a real Asterisk

        def strike() -> None:  # at the fault's (simulated) time
            run.struck = True
            if fault == "restart":
                run.cuts += 1
                if self.sim is not None:
                    restarting.append(self.sim.restart(downtime=run_downtime))
                else:
                    restarting.append(asyncio.ensure_future(self._restart_real()))
            elif fault == "slow":
                if self.sim is not None:
                    self.sim.faults.delay("*", slow_for, times=1)
                else:
                    self.proxy.slow_next(slow_for)
            elif fault == "drop":  # (real Asterisk: through the proxy)
                run.cuts += int(self.proxy.drop_events() > 0)

        if self.sim is None:
            fault_timer = asyncio.get_running_loop().call_later(run.at, strike)
        elif fault == "drop":
            fault_timer = self.sim.faults.drop_connections_at(at=t0 + run.at)
        else:
            fault_timer = self.sim.clock.call_at(t0 + run.at, strike)
        if fault == "restart":
            run.detail = f"(downtime {run_downtime:.2f} s)" if self.sim is not None else ""
        elif fault == "slow":
            run.detail = f"({slow_for:.1f} s)"
        if fault == "slow" and self.sim is not None:
            ticker = asyncio.ensure_future(self._tick())
        try:
            body = getattr(self, f"_{workload}" if workload in ("bridge", "recording") else "_scenario")
            await asyncio.wait_for(body(run), self.guard(workload))
        except arinb.AriError as exc:  # (AriTimeoutError is a TimeoutError too: this comes first)
            run.body_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        except TimeoutError:
            run.issues.append(f"the workload did not end within {self.guard(workload)} s")
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
            if fault == "drop" and self.sim is not None:
                run.struck = self.now() >= t0 + run.at
                run.cuts += int(run.struck)
            with contextlib.suppress(Exception):
                fault_timer.cancel()
            if self.sim is not None:
                with contextlib.suppress(Exception):
                    self.sim.faults.clear()
        for call in restarting:
            try:
                await asyncio.wait_for(_awaited(call), 5.0 if self.sim is not None else 120.0)
            except Exception as exc:
                run.issues.append(f"the restart failed: {exc!r}")
        await self._settle(run, rows_before, wall0)
        self.runs.append(run)
        self.outcomes[run.body_error.split(":")[0] or "ok"] += 1
        return run

    def guard(self, workload: str) -> float:
        """Wall seconds a workload may take before the run counts as hung (a real Asterisk: real time)."""
        return RUN_GUARD if self.sim is not None else RUN_GUARD + SPANS[workload] + 10.0

    async def _restart_real(self) -> None:
        """Run the restart command (a real Asterisk), without blocking the loop."""
        assert self.real is not None
        proc = await asyncio.create_subprocess_shell(
            self.real.restart, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"restart command failed ({proc.returncode}): {err.decode()[-300:]}")

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
                    await asyncio.wait_for(asyncio.shield(w.task), max(deadline + LATE - time.time(), 0.0))
            if not w.task.done():
                what = "its timeout" if w.timeout is not None else f"{AFTER_RECONNECT} s of the reconnect"
                run.issues.append(f"wait {w.name!r} (timeout {w.timeout}) still pending {what} later")
                w.task.cancel()
                with contextlib.suppress(BaseException):
                    await w.task
                continue
            if w.ended is None:  # done, and its done-callback not run yet
                w.finish(w.task)
            assert w.ended is not None
            if w.ended > deadline + LATE:
                run.issues.append(f"wait {w.name!r} ended {w.ended - deadline:.2f} s late ({w.outcome})")
            if w.outcome.startswith("UNTYPED"):
                run.issues.append(f"wait {w.name!r} ended with an {w.outcome}")
        if run.issues:  # say when the connection came and went, for the diagnosis
            for _, row in conn.iterrows():
                at = row["received_at"].timestamp() - wall0
                run.issues.append(f"[{row['type']} at +{at:.3f} s: {str(row['detail'])[:160]}]")
            run.issues.append(f"[workload ended at +{run.body_end - wall0:.3f} s]")
            for w in run.waits:
                if w.ended is not None:
                    run.issues.append(f"[{w.name} ended at +{w.ended - wall0:.3f} s: {w.outcome[:80]}]")
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
        sc = scenarios.SCENARIOS[run.workload](self.session, sim=self.sim)  # sim None: a real Asterisk
        sc.timeout = 2.0  # simulated seconds allowed for a lost event before the step gives up
        try:
            guard = self.guard(run.workload)
            result = run.track(f"{run.workload}.run()", sc.run(), guard - 1.0)
            await asyncio.wait({result}, timeout=guard - 0.5)
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
        ch = await self.session.channels.originate("Local/wait@default", app=self.app)
        await self.advance(0.05)
        run.track("StasisStart", entered, 3.0)
        ev = await entered
        assert ev.channel.id == ch.id
        return ch

    async def _hang_up(self, ch: Any) -> None:
        """Hang the call up for sure: a request lost with the connection (or timed out) is sent again."""
        for _ in range(4):
            try:
                await ch.hangup()
                break
            except arinb.AriNotFound:
                break  # gone already (the earlier request did it, or the server restarted)
            except arinb.AriError:
                await self._connected(Run(-1, "", "", 0.0), within=2.0)
        await self.advance(0.2)

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
            await self._hang_up(ch)

    async def _recording(self, run: Run) -> None:
        ch = await self._call_in(run)
        run.track("channel StasisEnd (no timeout)", ch.wait_for("StasisEnd"), None)
        try:
            await ch.answer()
            pb = ch.play("tone:ring;tonezone=fr")
            await pb
            clip = ch.audio(app=self.app)  # until the hangup, no timeout
            run.track("channel.audio() until the hangup (no timeout)", clip, None)
            await self.advance(self.rng.uniform(0.5, 3.5), step=0.25)
        finally:
            await self._hang_up(ch)


async def _awaited(call: Any) -> Any:
    return await call


Workload = Callable[[Run], Awaitable[None]]
