"""The ARI servers a trace can be replayed against, and how the replayer lets time pass on each.

* the embedded simulator with its **manual** clock: time stands still while requests and events are in
  flight, so latency costs no simulated time, and the replayer jumps straight to the next timer;
* the simulator with a sped-up clock (``speed=N``);
* a real Asterisk (opt-in: ``ARINB_REAL_ARI_URL``, ``ARINB_REAL_ARI_USER``, ``ARINB_REAL_ARI_PASSWORD``);
* the trace-replaying fake server of the self-tests (``fake_server.py``).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .trace import capture_dialplan

__all__ = [
    "REAL_ENV",
    "ManualSimClock",
    "RealClock",
    "ReplayClock",
    "SpeedClock",
    "Target",
    "real_asterisk_target",
    "simulator_target",
]

REAL_ENV = "ARINB_REAL_ARI_URL"


class ReplayClock(Protocol):
    """Target time as the replayer sees it."""

    manual: bool

    def now(self) -> float:
        """The target's epoch seconds (its event timestamps are on this scale)."""
        ...

    def next_due(self) -> float | None:
        """Manual clocks: when the target's next timer falls due (epoch seconds), if it says."""
        ...

    async def advance(self, dt: float) -> None:
        """Let ``dt`` target seconds pass (manual: move the clock; otherwise: wait)."""
        ...


class RealClock:
    """Wall-clock time (a real Asterisk)."""

    manual = False

    def now(self) -> float:
        return time.time()

    def next_due(self) -> float | None:
        return None

    async def advance(self, dt: float) -> None:
        await asyncio.sleep(max(0.0, dt))


class SpeedClock:
    """A simulator clock running ``speed`` times faster than the wall clock."""

    manual = False

    def __init__(self, now: Callable[[], float], speed: float) -> None:
        self._now = now
        self.speed = speed

    def now(self) -> float:
        return self._now()

    def next_due(self) -> float | None:
        return None

    async def advance(self, dt: float) -> None:
        await asyncio.sleep(max(0.0, dt) / self.speed)


class ManualSimClock:
    """The simulator's manual clock (``sim.clock``: each call runs on the simulator's loop thread)."""

    manual = True

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def now(self) -> float:
        return float(self._handle.now())

    def next_due(self) -> float | None:
        due = self._handle.next_due()
        return None if due is None else float(due)

    async def advance(self, dt: float) -> None:
        self._handle.advance(max(0.0, dt))


@dataclass
class Target:
    """An ARI server to replay against: base URL (no ``/ari``), credentials, clock, and how to stop it."""

    name: str
    base_url: str
    username: str
    password: str = field(repr=False)
    clock: ReplayClock
    closer: Callable[[], Awaitable[None]] | None = None
    real: bool = False  # a real Asterisk keeps state between traces: the replayer cleans up after itself
    # Start at the capture's fraction of a wall-clock second: a manual clock is moved there, a real one
    # waited for (only for traces whose behaviour follows whole seconds, see replay._align_second).
    align_second: bool = False

    async def close(self) -> None:
        if self.closer is not None:
            await self.closer()


async def simulator_target(*, manual: bool = True, speed: float = 50.0) -> Target:
    """Start a fresh simulator (manual clock by default) and describe it as a target."""
    from arinb.sim import simulate

    # The captures' own dialplan (README.md): 1003 -> Stasis(probe) is not in the simulator's default.
    dialplan = capture_dialplan()
    if manual:
        sim = await simulate(clock="manual", dialplan=dialplan)
    else:
        sim = await simulate(speed=speed, dialplan=dialplan)
    clock: ReplayClock = ManualSimClock(sim.clock) if manual else SpeedClock(sim.clock.now, speed)

    async def closer() -> None:
        await sim.close()

    name = "simulator (manual clock)" if manual else f"simulator (speed {speed:g})"
    return Target(name, sim.url, sim.username, sim.password, clock, closer, align_second=manual)


def real_asterisk_target() -> Target | None:
    """The real Asterisk named by ``ARINB_REAL_ARI_URL``, or None when it is not set."""
    url = os.environ.get(REAL_ENV)
    if not url:
        return None
    url = url.rstrip("/")
    if url.endswith("/ari"):
        url = url[: -len("/ari")]
    user = os.environ.get("ARINB_REAL_ARI_USER", "asterisk")
    password = os.environ.get("ARINB_REAL_ARI_PASSWORD", "asterisk")
    # align_second: a trace with maxDurationSeconds starts at its capture's fraction of a wall-clock second.
    return Target("real Asterisk", url, user, password, RealClock(), real=True, align_second=True)
