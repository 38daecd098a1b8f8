"""Step mode as a student meets it: time stands still between steps, a finished run closes its session, and
Reset forgets the previous call (loopback simulator, sped-up clock, bounded waits)."""

from __future__ import annotations

import logging
import time

import pytest

import arinb
import arinb.scenarios as scenarios
from arinb.sim.clock import Clock


def test_a_paused_clock_stands_still_and_resumes_where_it_stopped() -> None:
    clock = Clock(speed=1000)
    clock.pause()
    t = clock.now()
    time.sleep(0.02)  # 20 simulated seconds, had it run
    assert clock.now() == t and clock.paused
    resumed = time.monotonic()
    clock.resume()
    time.sleep(0.005)
    now = clock.now()
    ran = time.monotonic() - resumed  # wall seconds it may have run since (more on a loaded machine)
    # It goes on from t, counting only the time since the resume: not the 20 paused seconds.
    assert t < now <= t + ran * 1000


async def test_a_paused_clock_holds_its_timers_until_resumed() -> None:
    clock = Clock(speed=100)
    fired: list[float] = []
    clock.pause()
    clock.call_later(0.5, lambda: fired.append(clock.now()))  # 5 ms of wall time, had it run
    start = clock.now()
    await _wall(0.05)
    assert fired == []
    clock.resume()
    for _ in range(1000):  # at most 10 s of a loaded machine's wall time
        if fired:
            break
        await _wall(0.01)
    assert fired == [pytest.approx(start + 0.5)]  # a timer reads its own due time


async def _wall(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.fixture
def fast_sim():  # type: ignore[no-untyped-def]
    sim = arinb.simulate(speed=20)
    try:
        yield sim
    finally:
        sim.close()


def test_stepping_slowly_rings_8_simulated_seconds_as_the_docs_say(fast_sim: arinb.Simulator) -> None:
    sc = scenarios.tones(fast_sim)
    running = 0.0  # wall seconds the clock could run: inside the steps

    def step() -> None:
        nonlocal running
        began = time.monotonic()
        sc.next().result()
        running += time.monotonic() - began

    step()  # call in
    step()  # play the ringing tone
    assert fast_sim.clock.paused
    time.sleep(1.0)  # a student reading: 20 simulated seconds at speed 20, had the clock run
    for _ in range(3):
        step()
    assert sc.finished and not fast_sim.clock.paused
    times = {row.type: row.t for row in sc.events}
    # The tone rang its 8 s after the call came in, and the reading did not count: from StasisStart on, the
    # clock ran at most while the steps ran (at speed 20; with the reading it would be 20 s more).
    # Event times are rounded to the millisecond.
    assert 8.0 - 0.001 <= times["PlaybackFinished"] <= 20 * running + 0.001
    assert 9.0 - 0.001 <= times["StasisEnd"] <= 20 * running + 0.001
    assert sc.check().ok


def test_a_finished_run_closes_its_session_and_keeps_its_timeline(
    fast_sim: arinb.Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    sc = scenarios.tones(fast_sim)
    result = sc.run().result()
    assert result.ok and sc.session is None
    assert sc.timeline is result.timeline and len(sc.timeline.df) > 0
    # A notebook connecting the same app next does not knock out a connection still open.
    with caplog.at_level(logging.WARNING, logger="arinb"):
        with arinb.connect(fast_sim.url, "asterisk", "asterisk", apps=sc.app) as session:
            entered = session.expect("StasisStart", timeout=10)
            ended = session.expect("StasisEnd", timeout=30)
            fast_sim.call(sc.extension, caller="bob")
            entered.result().channel.hangup()
            ended.result()
    assert not [r for r in caplog.records if "registered by another connection" in r.getMessage()]
    sc.close()


def test_reset_forgets_the_previous_call(fast_sim: arinb.Simulator) -> None:
    sc = scenarios.tones(fast_sim)
    sc.next().result()
    sc.next().result()
    assert sc.events and fast_sim.clock.paused
    sc.reset().result()
    assert sc.events == [] and sc.lines == [] and sc.timeline is None
    assert not fast_sim.clock.paused  # a reset gives the simulator its time back
    sc.close()
