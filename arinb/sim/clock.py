"""Simulated time for the ARI simulator: real, sped up, or driven by hand.

Every timer of the engine goes through one :class:`Clock`, and event timestamps read :meth:`Clock.now`, so a
scenario that takes 16 s on a real Asterisk takes 16 simulated seconds here, whatever the wall clock does.

* ``Clock()``: real time (speed 1), simulated epoch = wall epoch at creation.
* ``Clock(speed=50)``: simulated time runs 50 x faster than the wall clock.
* ``Clock.manual(start=...)``: time stands still until :meth:`Clock.advance` moves it; due timers then run in
  order, each seeing ``now()`` equal to its own due time.

>>> clock = Clock.manual(start=1000.0)
>>> fired = []
>>> _ = clock.call_later(2.0, fired.append, "b")
>>> _ = clock.call_later(1.0, fired.append, "a")
>>> clock.advance(5.0)
>>> fired, clock.now()
(['a', 'b'], 1005.0)

The clock is not thread-safe: use it from the thread of the loop the engine runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

__all__ = ["Clock", "ClockMode", "TimerHandle"]

log = logging.getLogger("arinb.sim")

ClockMode = Literal["real", "fast", "manual"]


class TimerHandle:
    """A scheduled callback; :meth:`cancel` prevents it from running."""

    __slots__ = ("_args", "_callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self._callback = callback
        self._args = args
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback (no-op if it already ran)."""
        self.cancelled = True

    def _run(self) -> None:
        if not self.cancelled:
            self.cancelled = True  # a handle runs at most once
            self._callback(*self._args)

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else "pending"
        return f"<TimerHandle when={self.when:.3f} {state} {getattr(self._callback, '__name__', '?')}>"


class Clock:
    """Simulated epoch seconds with ordered timers (see the module docstring)."""

    def __init__(self, speed: float = 1.0, *, start: float | None = None, manual: bool = False) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, not {speed!r}")
        self.speed = float(speed)
        self._manual = manual
        self._start = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()
        self._manual_now = self._start
        self._floor = self._start  # now() never goes back, even if a timer fires a little late
        self._frozen: float | None = None  # the due time of the timer being run
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._wakeup: asyncio.TimerHandle | None = None
        self._wakeup_at: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sleepers: set[asyncio.Future[None]] = set()  # sleep() calls waiting (cancel_all ends them)
        self._paused_at: float | None = None  # pause(): now() reads this until resume()

    @classmethod
    def manual(cls, start: float | None = None) -> Clock:
        """A clock that only moves with :meth:`advance` / :meth:`run_for`."""
        return cls(start=start, manual=True)

    @property
    def is_manual(self) -> bool:
        """True for a clock driven by :meth:`advance`."""
        return self._manual

    @property
    def mode(self) -> ClockMode:
        """``"manual"``, ``"real"`` (speed 1) or ``"fast"``."""
        if self._manual:
            return "manual"
        return "real" if self.speed == 1.0 else "fast"

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Use ``loop`` for real-time timers scheduled from threads that run no loop."""
        self._loop = loop

    def now(self) -> float:
        """Simulated epoch seconds. Inside a timer callback: exactly that timer's due time."""
        if self._frozen is not None:
            return self._frozen
        if self._manual:
            return self._manual_now
        if self._paused_at is not None:
            return self._paused_at
        t = self._start + (time.monotonic() - self._mono0) * self.speed
        if t < self._floor:
            return self._floor
        return t

    @contextlib.contextmanager
    def frozen_at(self, when: float) -> Iterator[None]:
        """Within the block, ``now()`` reads ``when`` (never earlier than time already shown).

        For work that logically happened at ``when`` but runs a little later in wall time.
        """
        previous = self._frozen
        self._frozen = max(when, self._floor)
        try:
            yield
        finally:
            self._frozen = previous
            if when > self._floor:
                self._floor = when

    def run_frozen(self, when: float, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` inside :meth:`frozen_at` ``(when)`` (without a context manager's cost: a hot path).

        >>> clock = Clock.manual(start=10.0)
        >>> clock.run_frozen(12.5, clock.now), clock.now()
        (12.5, 10.0)
        """
        previous = self._frozen
        self._frozen = when if when > self._floor else self._floor
        try:
            return fn(*args)
        finally:
            self._frozen = previous
            if when > self._floor:
                self._floor = when

    # -- timers ----------------------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` at simulated time ``when`` (timers due together run in FIFO order)."""
        handle = TimerHandle(float(when), callback, args)
        heapq.heappush(self._heap, (handle.when, next(self._seq), handle))
        if not self._manual:
            self._arm()
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` ``delay`` simulated seconds from now."""
        return self.call_at(self.now() + max(0.0, delay), callback, *args)

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` simulated seconds (in manual mode: until :meth:`advance` passes that point)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        handle = self.call_later(delay, wake)
        self._sleepers.add(fut)
        try:
            await fut
        finally:
            self._sleepers.discard(fut)
            handle.cancel()

    def cancel_all(self) -> None:
        """Cancel every scheduled timer (the simulator closed: its world stops, its loop lives on)."""
        for _, _, handle in self._heap:
            handle.cancel()
        self._heap.clear()
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup = None
        self._wakeup_at = None
        for fut in list(self._sleepers):
            fut.cancel()  # a sleep whose timer is gone would wait forever

    def pending(self) -> int:
        """How many timers are still scheduled."""
        return sum(1 for _, _, h in self._heap if not h.cancelled)

    def next_due(self) -> float | None:
        """Due time of the earliest pending timer, or None."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    # -- pause (a stepped scenario: time stands still while the student reads) --------------------------
    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused_at is not None

    def pause(self) -> None:
        """Stop simulated time (real and fast clocks): ``now()`` stays put and later timers wait.

        Timers already due still run. No-op on a manual clock (it only moves with ``advance``) or when paused.

        >>> clock = Clock(speed=50)
        >>> clock.pause(); t = clock.now(); time.sleep(0.01); clock.now() == t
        True
        >>> clock.resume(); clock.paused
        False
        """
        if self._manual or self._paused_at is not None:
            return
        self._paused_at = self.now()
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup = None
        self._wakeup_at = None
        self._arm()  # only a timer already due is armed while paused

    def resume(self) -> None:
        """Let simulated time run again from where :meth:`pause` stopped it."""
        if self._paused_at is None:
            return
        self._start, self._mono0 = self._paused_at, time.monotonic()
        self._paused_at = None
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup = None
        self._wakeup_at = None
        self._arm()

    # -- manual mode -----------------------------------------------------------------------------------
    def advance(self, dt: float) -> None:
        """Manual mode: move time forward by ``dt`` seconds, running every timer that falls due, in order."""
        if not self._manual:
            raise RuntimeError("advance() needs a manual clock (Clock.manual())")
        if dt < 0:
            raise ValueError("cannot move time backwards")
        target = self._manual_now + dt
        while True:
            self._drop_cancelled()
            if not self._heap or self._heap[0][0] > target:
                break
            when, _, handle = heapq.heappop(self._heap)
            self._manual_now = max(self._manual_now, when)
            self._run(handle)
        self._manual_now = target

    async def run_for(self, dt: float, *, yields: int = 4) -> None:
        """Manual mode: like :meth:`advance`, but lets other tasks run after each batch of timers.

        Use it when client code on the same loop reacts to events (a handler that plays on StasisStart):
        its requests then reach the engine at the simulated time the event was sent.
        """
        if not self._manual:
            await self.sleep(dt)
            return
        target = self._manual_now + dt
        while True:
            for _ in range(yields):
                await asyncio.sleep(0)
            self._drop_cancelled()
            if not self._heap or self._heap[0][0] > target:
                break
            when = self._heap[0][0]
            self._manual_now = max(self._manual_now, when)
            while self._heap and self._heap[0][0] <= when:
                _, _, handle = heapq.heappop(self._heap)
                self._run(handle)
        self._manual_now = target
        for _ in range(yields):
            await asyncio.sleep(0)

    # -- internals -------------------------------------------------------------------------------------
    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)

    def _run(self, handle: TimerHandle) -> None:
        self._frozen = handle.when
        try:
            handle._run()
        except Exception:  # one bad callback must not stop the simulated world
            log.exception("simulator timer callback failed: %r", handle)
        finally:
            self._frozen = None
            if handle.when > self._floor:
                self._floor = handle.when

    def _loop_time_for(self, when: float, loop: asyncio.AbstractEventLoop) -> float:
        # asyncio's default loop clock is time.monotonic, the same base as now().
        mono = self._mono0 + (when - self._start) / self.speed
        return mono - time.monotonic() + loop.time()

    def _arm(self) -> None:
        self._drop_cancelled()
        if not self._heap:
            return
        when = self._heap[0][0]
        if self._paused_at is not None and when > self._paused_at:
            return  # armed again by resume()
        if self._wakeup is not None and self._wakeup_at is not None and self._wakeup_at <= when:
            return
        loop: asyncio.AbstractEventLoop | None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
        if loop is None or loop.is_closed():
            return  # armed later, when a loop is around (next call_at from a coroutine)
        self._loop = loop
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup_at = when
        self._wakeup = loop.call_at(self._loop_time_for(when, loop), self._fire)

    def _fire(self) -> None:
        self._wakeup = None
        self._wakeup_at = None
        while True:
            self._drop_cancelled()
            if not self._heap:
                break
            when = self._heap[0][0]
            if when > self.now() + 1e-9:
                break
            _, _, handle = heapq.heappop(self._heap)
            self._run(handle)
        self._arm()

    def __repr__(self) -> str:
        mode = f"{self.mode} paused" if self.paused else self.mode
        return f"<Clock {mode} speed={self.speed:g} now={self.now():.3f} pending={self.pending()}>"
