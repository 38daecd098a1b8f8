"""The engine loop and Call: await, script-style blocking, and errors nobody awaited."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from arinb.errors import AriNotFound, AriTimeoutError, AriUsageError
from arinb.loop import Call, EngineLoop, in_running_loop


@pytest.fixture
def engine() -> Iterator[EngineLoop]:
    eng = EngineLoop("arinb-test-engine")
    yield eng
    eng.stop()


async def _value(v: int, delay: float = 0.0) -> int:
    await asyncio.sleep(delay)
    return v


async def _fail() -> int:
    raise AriNotFound(404, "Channel not found")


async def test_await_from_another_loop(engine: EngineLoop) -> None:
    assert in_running_loop()
    call = engine.call(_value(7, 0.01))
    assert not call.done()  # returned at once: this thread runs a loop
    assert await call == 7


def test_script_mode_blocks_and_raises(engine: EngineLoop) -> None:
    def worker(out: list[object]) -> None:
        call = engine.call(_value(3, 0.05))
        out.append(call.done())
        try:
            engine.call(_fail())
        except AriNotFound as e:
            out.append(e.message)

    out: list[object] = []
    t = threading.Thread(target=worker, args=(out,))
    t.start()
    t.join(5)
    assert out == [True, "Channel not found"]


def test_engine_keeps_running_while_caller_sleeps(engine: EngineLoop) -> None:
    stamps: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            stamps.append(time.monotonic())
            await asyncio.sleep(0.02)

    engine.submit(ticker())
    time.sleep(1.0)  # a "blocking cell": the engine thread must tick through it, not after it
    assert len(stamps) == 5


def test_result_on_engine_thread_is_refused(engine: EngineLoop) -> None:
    async def inner() -> str:
        pending = Call(engine.submit(_value(1, 0.2)), engine=engine, label="x")
        try:
            pending.result()
        except AriUsageError as e:
            return str(e)
        return "no error"

    assert "async handler" in engine.submit(inner()).result(5)


def test_result_timeout(engine: EngineLoop) -> None:
    call = Call(engine.submit(_value(1, 1.0)), engine=engine, label="slow")
    with pytest.raises(AriTimeoutError, match="slow"):
        call.result(timeout=0.05)


async def test_unawaited_failure_is_logged(engine: EngineLoop, caplog: pytest.LogCaptureFixture) -> None:
    call = engine.call(_fail(), label="POST /x")
    while not call.done():
        await asyncio.sleep(0.01)
    with caplog.at_level(logging.ERROR, logger="arinb"):
        del call
    assert any("POST /x" in r.getMessage() and "nobody awaited" in r.getMessage() for r in caplog.records)


async def _fail_later() -> int:
    await asyncio.sleep(0.05)
    raise AriNotFound(404, "Channel not found")


async def test_unawaited_failure_is_logged_when_dropped_while_pending(
    engine: EngineLoop, caplog: pytest.LogCaptureFixture
) -> None:
    # `ch.hangup()` as a statement in a notebook: the Call is dropped before the reply comes back.
    with caplog.at_level(logging.ERROR, logger="arinb"):
        call = engine.call(_fail_later(), label="DELETE /y")
        future = call._future
        del call
        for _ in range(200):
            if future.done() and caplog.records:
                break
            await asyncio.sleep(0.01)
    assert any("DELETE /y" in r.getMessage() and "nobody awaited" in r.getMessage() for r in caplog.records)


async def test_repr_shows_outcome(engine: EngineLoop) -> None:
    call = engine.call(_value(5), label="GET /y")
    await call
    assert repr(call) == "<Call GET /y: 5>"


def test_shared_is_a_singleton() -> None:
    assert EngineLoop.shared("arinb-test-shared") is EngineLoop.shared("arinb-test-shared")
    EngineLoop.shared("arinb-test-shared").stop()


def test_calls_made_on_the_engine_loop_are_plain_tasks(engine: EngineLoop) -> None:
    # A handler on the engine loop awaits its REST call as a task of that loop: no hop through another thread.
    async def handler() -> tuple[int, bool, str]:
        call = engine.call(_value(9, 0.01), label="inner")
        value = await call
        failing = engine.call(_fail(), label="bad")
        try:
            await failing
        except AriNotFound as e:
            message = e.message
        return value, call._task is not None, message

    assert engine.submit(handler()).result(5) == (9, True, "Channel not found")


def test_task_calls_are_visible_from_other_threads(engine: EngineLoop) -> None:
    async def make() -> Call[int]:
        return engine.call(_value(4, 0.05), label="x")

    call = engine.submit(make()).result(5)
    assert call.result(timeout=5) == 4
    assert repr(call) == "<Call x: 4>"


def test_cancel_a_task_call_from_another_thread(engine: EngineLoop) -> None:
    async def make() -> Call[int]:
        return engine.call(_value(4, 5.0), label="slow")

    call = engine.submit(make()).result(5)
    call.cancel()
    with pytest.raises(concurrent.futures.CancelledError):
        call.result(timeout=5)


async def test_a_task_call_awaited_from_another_loop_can_time_out_cleanly(
    engine: EngineLoop, caplog: pytest.LogCaptureFixture
) -> None:
    # A Call made in a handler (an engine-loop task) and awaited with a timeout from the kernel's loop:
    # the timeout cancels the mirror future; the task ending later must not fail in its done callback.
    async def make() -> Call[int]:
        return engine.call(_value(4, 0.05), label="slow")

    call = engine.submit(make()).result()
    with caplog.at_level(logging.ERROR):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(call, 0.001)
        await asyncio.wrap_future(engine.submit(asyncio.sleep(0.15)))
    assert not [r for r in caplog.records if "InvalidStateError" in r.getMessage() + str(r.exc_info)]
