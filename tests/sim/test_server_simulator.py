"""Simulator and simulate(): its own loop thread, await / async with / with / script forms, the clock."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import aiohttp
import pytest

from arinb.loop import EngineLoop
from arinb.sim import Simulator
from arinb.sim.clock import Clock
from tests.sim.conftest import StubEngine, basic


class RecordingFaults:
    def __init__(self) -> None:
        self.rules: list[tuple[str, str]] = []

    def fail(self, pattern: str) -> int:
        self.rules.append((pattern, threading.current_thread().name))
        return len(self.rules)


class CallingEngine(StubEngine):
    """The stand-in plus call_in and a record of which thread served requests."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.threads: set[str] = set()
        self.faults = RecordingFaults()

    async def handle(self, key: str, path_params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        return await super().handle(key, path_params, query, body)

    async def call_in(self, exten: str, caller: str | None = None) -> dict[str, str]:
        return {"id": f"{exten}-{caller}"}


def _sim(**kw: Any) -> Simulator:
    return Simulator(engine_factory=CallingEngine, **kw)


async def test_await_gives_a_listening_simulator_on_its_own_thread() -> None:
    sim = await _sim(password="s3cret")
    try:
        assert sim.url.startswith("http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{sim.url}/ari/channels", headers=basic("asterisk", "s3cret")) as r,
        ):
            assert r.status == 200
        assert sim.engine.threads == {"arinb-sim"}
        assert await sim.call("1000", caller="alice") == "1000-alice"
        assert sim.faults.fail("channels.*") == 1
        assert sim.faults.rules == [("channels.*", "arinb-sim")]
        assert "s3cret" not in repr(sim) and "s3cret" not in sim._repr_html_()
        assert sim.url in sim._repr_html_() and "running" in repr(sim)
        assert sim.password == "s3cret"
    finally:
        await sim.close()
    assert sim.closed
    await sim.close()  # idempotent


async def test_async_with_closes_the_listener() -> None:
    async with _sim() as sim:
        port = int(sim.url.rsplit(":", 1)[1])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


async def test_close_stops_the_simulated_world() -> None:
    # The sim loop is shared and lives on: a closed simulator's timers (a ringing phone, a Wait() in the
    # dialplan, a long playback) must not keep firing there, holding the engine and emitting to nobody.
    sim = await _sim(speed=50.0)
    clock = sim.clock
    fired: list[float] = []

    async def schedule() -> None:
        clock.call_later(2.0, fired.append, 1.0)  # 40 ms of wall time at speed 50

    await asyncio.wrap_future(sim._loop.submit(schedule()))
    sleeping = clock.sleep(3600.0)  # a scenario step sleeping in simulated time: ended, not left hanging
    await sim.close()
    await asyncio.sleep(0.15)
    assert fired == [] and clock.pending() == 0
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(sleeping, 1)


def test_script_forms_block_until_listening() -> None:
    # No running loop in this thread: simulate() returns once the server listens, close() blocks.
    result: dict[str, Any] = {}

    def script() -> None:
        with _sim(clock="manual") as sim:
            result["url"] = sim.url
            result["id"] = sim.call("1001", caller="bob").result()
            clock = sim.clock
            t0 = clock.now()
            fired: list[float] = []
            clock.call_later(2.0, lambda: fired.append(sim.engine.clock.now()))
            clock.advance(5.0)
            result["advanced"] = (clock.now() - t0, [f - t0 for f in fired])

    thread = threading.Thread(target=script)
    thread.start()
    thread.join(20)
    assert result["url"].startswith("http://127.0.0.1:")
    assert result["id"] == "1001-bob"
    assert result["advanced"] == (5.0, [2.0])


def test_simulate_in_a_script_raises_a_bind_error_at_once() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        errors: list[BaseException] = []

        def script() -> None:
            try:
                _sim(port=port)._ready()
            except BaseException as e:
                errors.append(e)

        thread = threading.Thread(target=script)
        thread.start()
        thread.join(20)
    assert errors and isinstance(errors[0], OSError)


async def test_clock_handle_runs_on_the_sim_loop() -> None:
    async with _sim(clock="manual") as sim:
        engine_clock = sim.engine.clock
        assert engine_clock.is_manual and sim.clock.is_manual
        seen: list[str] = []
        sim.clock.call_later(1.0, lambda: seen.append(threading.current_thread().name))
        sim.clock.advance(1.0)
        assert seen == ["arinb-sim"]
        await sim.clock.run_for(1.0)
        assert "Clock" in repr(sim.clock)


async def test_speed_reaches_the_clock() -> None:
    async with _sim(speed=25) as sim:
        assert sim.engine.clock.speed == 25.0
        assert "speed 25" in repr(sim)


def test_bad_arguments_are_usage_errors() -> None:
    from arinb.errors import AriUsageError

    with pytest.raises(AriUsageError):
        Simulator(clock="fast")  # type: ignore[arg-type]
    with pytest.raises(AriUsageError):
        Simulator(speed=0)


async def test_the_sim_loop_is_the_shared_one() -> None:
    async with _sim() as sim:
        assert sim._loop is EngineLoop.shared("arinb-sim")

        # a blocked client loop does not stall the simulator: a blocking GET from a thread still answers
        def blocking_get() -> int:
            import urllib.request

            req = urllib.request.Request(f"{sim.url}/ari/channels", headers=basic())
            with urllib.request.urlopen(req, timeout=5) as r:
                return int(r.status)

        assert await asyncio.to_thread(blocking_get) == 200
