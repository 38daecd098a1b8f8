"""The simulated clock: manual, real and sped-up time, ordered timers, sleeps."""

from __future__ import annotations

import asyncio
import time

import pytest

from arinb.sim.clock import Clock


def test_manual_clock_runs_due_timers_in_order_with_their_own_time() -> None:
    clock = Clock.manual(start=100.0)
    seen: list[tuple[str, float]] = []
    clock.call_later(2.0, lambda: seen.append(("b", clock.now())))
    clock.call_later(1.0, lambda: seen.append(("a", clock.now())))
    clock.call_at(101.0, lambda: seen.append(("a2", clock.now())))  # same time: FIFO
    clock.advance(1.5)
    assert seen == [("a", 101.0), ("a2", 101.0)]
    assert clock.now() == 101.5
    clock.advance(10)
    assert seen[-1] == ("b", 102.0)
    assert clock.now() == 111.5
    assert clock.pending() == 0


def test_timers_scheduled_by_timers_run_in_the_same_advance() -> None:
    clock = Clock.manual(start=0.0)
    seen: list[float] = []

    def chain(n: int) -> None:
        seen.append(clock.now())
        if n:
            clock.call_later(0.5, chain, n - 1)

    clock.call_later(0.0, chain, 3)
    clock.advance(1.2)
    assert seen == [0.0, 0.5, 1.0]
    assert clock.next_due() == 1.5


def test_cancelled_timer_does_not_run_and_bad_callback_does_not_stop_others() -> None:
    clock = Clock.manual(start=0.0)
    seen: list[str] = []
    handle = clock.call_later(1.0, seen.append, "cancelled")
    handle.cancel()
    clock.call_later(1.0, lambda: 1 / 0)
    clock.call_later(1.0, seen.append, "ran")
    clock.advance(2.0)
    assert seen == ["ran"]


def test_manual_clock_refuses_backwards_and_real_clock_refuses_advance() -> None:
    with pytest.raises(ValueError):
        Clock.manual(start=0.0).advance(-1)
    with pytest.raises(RuntimeError):
        Clock().advance(1.0)
    with pytest.raises(ValueError):
        Clock(speed=0)


async def test_sleep_on_manual_clock_waits_for_run_for() -> None:
    clock = Clock.manual(start=10.0)
    task = asyncio.ensure_future(clock.sleep(3.0))
    await clock.run_for(2.9)
    assert not task.done()
    await clock.run_for(0.2)
    assert task.done()
    assert clock.now() == pytest.approx(13.1)


async def test_fast_clock_runs_timers_at_speed() -> None:
    clock = Clock(speed=200.0)
    assert clock.mode == "fast"
    t0 = clock.now()
    wall = time.monotonic()
    fired: list[float] = []
    handle = clock.call_later(2.0, lambda: fired.append(clock.now()))
    await clock.sleep(4.0)  # 20 ms of wall time
    assert fired == [handle.when]  # a callback sees its own due time, exactly
    assert clock.now() - t0 >= 4.0
    assert time.monotonic() - wall < 4.0  # the 4 simulated seconds did not take 4 real ones


def test_real_clock_follows_wall_time() -> None:
    clock = Clock()
    assert clock.mode == "real"
    assert abs(clock.now() - time.time()) < 0.5


def test_frozen_at_reads_a_given_time_but_never_goes_back() -> None:
    clock = Clock.manual(start=50.0)
    clock.advance(1.0)
    with clock.frozen_at(50.5):
        assert clock.now() == 50.5  # work that belongs to 50.5, run late
    clock.call_later(0.0, lambda: None)
    clock.advance(0.0)  # a timer ran at 51.0: the floor moves
    with clock.frozen_at(50.7):
        assert clock.now() == 51.0
    assert clock.now() == 51.0
