"""The step framework itself: order, results, failure and reset cleanup, clocks (no ARI involved)."""

from __future__ import annotations

import asyncio

import pytest

from arinb.errors import AriError, AriUsageError, ScenarioStopped
from arinb.scenarios.base import Check, Scenario, ScenarioClock, Step


class Recorder(Scenario):
    title = "recorder"

    def __init__(self, fail_at: str | None = None, block_at: str | None = None) -> None:
        self.fail_at = fail_at
        self.block_at = block_at
        self.log: list[str] = []
        self.cleanups = 0
        self.release = asyncio.Event()
        super().__init__()

    def build_steps(self) -> list[Step]:
        def make(name: str) -> Step:
            async def fn() -> None:
                self.log.append(name)
                self.say(f"did {name}")
                if name == self.block_at:
                    await asyncio.sleep(60)
                if name == self.fail_at:
                    raise RuntimeError(f"{name} broke")

            return Step(name, f"Step {name}.", fn)

        return [make("one"), make("two"), make("three")]

    async def setup(self) -> None:
        self.log.append("setup")

    async def cleanup(self) -> None:
        self.cleanups += 1
        self.log.append("cleanup")


async def test_next_runs_one_step_at_a_time_and_reports_its_lines() -> None:
    sc = Recorder()
    r1 = await sc.next()
    assert (r1.index, r1.name, r1.status, r1.lines) == (0, "one", "done", ["did one"])
    assert sc.log == ["setup", "one"]
    r2 = await sc.next()
    assert r2.lines == ["did two"]
    assert "did two" in r2._repr_html_() and "2/3" in r2._repr_html_()
    await sc.next()
    assert sc.finished and sc.log == ["setup", "one", "two", "three", "cleanup"]
    end = await sc.next()
    assert end.status == "finished" and "reset" in repr(end)


async def test_run_runs_the_rest_and_starts_over_when_finished() -> None:
    sc = Recorder()
    await sc.next()
    result = await sc.run()
    assert [s.name for s in result.steps] == ["two", "three"]
    assert result.lines == ["did one", "did two", "did three"]
    again = await sc.run()
    assert [s.name for s in again.steps] == ["one", "two", "three"]
    assert again.lines == ["did one", "did two", "did three"]


async def test_a_failing_step_cleans_up_and_blocks_until_reset() -> None:
    sc = Recorder(fail_at="two")
    result = await sc.run()
    assert not result.ok
    failed = result.steps[-1]
    assert failed.status == "failed" and isinstance(failed.error, RuntimeError)
    assert "two broke" in failed._repr_html_()
    assert sc.cleanups == 1 and sc.failed
    with pytest.raises(AriUsageError, match="reset"):
        await sc.next()
    await sc.reset()
    assert sc.index == 0 and not sc.failed and sc.lines == []
    assert (await sc.next()).name == "one"


async def test_reset_cancels_a_running_step_and_cleans_up() -> None:
    sc = Recorder(block_at="two")
    await sc.next()
    running = asyncio.ensure_future(sc.next())
    for _ in range(100):
        if sc.running == 1:
            break
        await asyncio.sleep(0.01)
    assert sc.running == 1
    with pytest.raises(AriUsageError, match="still running"):
        await sc.next()
    await sc.reset()
    # A typed error naming the step and what to do, not a bare CancelledError from inside the engine.
    with pytest.raises(ScenarioStopped, match=r"step 'two' was stopped by reset\(\) while it ran; `await sc"):
        await running
    assert sc.running is None and sc.index == 0 and sc.cleanups >= 1 and not sc.failed


async def _started(sc: Recorder, index: int) -> None:
    for _ in range(200):
        if sc.running == index:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"step {index} never started")


async def test_reset_during_an_awaited_run_raises_a_typed_error_and_starts_over() -> None:
    sc = Recorder(block_at="two")
    running = asyncio.ensure_future(sc.run())
    await _started(sc, 1)
    await sc.reset()
    with pytest.raises(ScenarioStopped) as caught:
        await running
    assert isinstance(caught.value, AriError) and "\n" not in str(caught.value)
    assert sc.index == 0 and sc.results == [] and sc.cleanups == 1
    sc.block_at = None
    assert (await sc.run()).ok  # the scenario is usable again


async def test_close_during_an_awaited_run_raises_a_typed_error() -> None:
    sc = Recorder(block_at="one")
    running = asyncio.ensure_future(sc.run())
    await _started(sc, 0)
    await sc.close()
    with pytest.raises(ScenarioStopped, match=r"stopped by close\(\).*build a new scenario"):
        await running
    with pytest.raises(AriUsageError, match="closed"):
        await sc.next()


async def test_cancelling_the_call_itself_still_cancels() -> None:
    sc = Recorder(block_at="one")
    call = sc.run()
    running = asyncio.ensure_future(call)
    await _started(sc, 0)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await sc.reset()


def test_script_mode_blocks_and_returns_results() -> None:
    sc = Recorder()
    result = sc.run().result()
    assert result.ok and result.lines == ["did one", "did two", "did three"]


def test_observers_hear_steps_lines_and_reset() -> None:
    sc = Recorder()
    seen: list[str] = []
    undo = sc.observe(seen.append)
    sc.next().result()
    assert seen == ["step", "line", "step"]
    sc.reset().result()
    assert seen[-1] == "reset"
    undo()
    sc.next().result()
    assert seen[-1] == "reset"


def test_check_reports_what_differs() -> None:
    good = Check(["A", "B"], ["A", "B"], ["x"], ["x"])
    assert good and "✔" in good._repr_html_()
    bad = Check(["A", "B"], ["A", "C"], ["x", "y"], ["x", "z"])
    assert not bad
    problems = " ".join(bad.problems())
    assert "A → C" in problems and "missing ['y']" in problems and "unexpected ['z']" in problems
    assert "✘" in bad._repr_html_()


class SpeedClock:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.manual = False
        self.t0 = 1000.0
        self.wall0 = asyncio.get_event_loop().time()

    def now(self) -> float:
        return self.t0 + (asyncio.get_event_loop().time() - self.wall0) * self.speed


async def test_sped_up_clock_waits_simulated_seconds() -> None:
    clock = ScenarioClock(SpeedClock(100.0))
    loop = asyncio.get_running_loop()
    start = loop.time()
    before = clock.now()
    await clock.sleep(8.0)  # 8 simulated seconds = 0.08 s of wall time
    assert clock.now() - before >= 8.0
    assert loop.time() - start < 1.0
    assert clock.wall_timeout(8.0) == pytest.approx(5.08)


async def test_manual_clock_is_advanced_by_the_wait() -> None:
    from testkit.scenario_fakes import ManualClock

    manual = ManualClock()
    clock = ScenarioClock(manual)
    assert clock.manual and clock.simulated
    fired: list[float] = []
    manual.at(5.0, lambda: fired.append(manual.now()))
    start = manual.now()
    await clock.sleep_until(start + 8.0)
    assert manual.now() == start + 8.0 and fired == [start + 5.0]
