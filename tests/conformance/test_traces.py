"""One conformance test per capture: the simulator must behave like the real Asterisk 22.10.1 did.

Each test starts a fresh simulator with a manual clock, replays the trace's client actions in their causal
order (``replay.py``) and compares everything the simulator sent with what Asterisk sent (``compare.py``).
A failure message shows the first divergence with the trace and the replay around it.

The same tests run against a real Asterisk when ``ARINB_REAL_ARI_URL`` (and ``ARINB_REAL_ARI_USER`` /
``ARINB_REAL_ARI_PASSWORD``) is set; it needs README.md's dialplan and takes the traces' real durations.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import Run
from .targets import REAL_ENV, real_asterisk_target, simulator_target
from .trace import load_trace, trace_names

TRACES = trace_names()


def _simulator_missing() -> str | None:
    try:
        import arinb.sim.engine  # noqa: F401
        from arinb.sim import simulate  # noqa: F401
    except Exception as exc:  # any import failure means there is nothing to test yet
        return f"simulator not available: {type(exc).__name__}: {exc}"
    return None


def test_every_capture_has_a_test() -> None:
    assert len(TRACES) >= 41  # the captures of 2026-11-26; later ones join with the work that replays them


@pytest.mark.parametrize("name", TRACES)
async def test_simulator_conforms(name: str, conformance_run: Run) -> None:
    missing = _simulator_missing()
    if missing:
        pytest.fail(missing)
    trace = load_trace(name)
    report = await conformance_run(trace, await simulator_target(manual=True))
    assert report.ok, report.format()


@pytest.mark.parametrize("name", ["tones-subscribe-all", "record-and-play"])
async def test_what_a_reply_sets_off_waits_for_its_write_however_slow(
    name: str, conformance_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loaded machine: each HTTP reply takes 30 ms to be written, far more than the wall milliseconds
    # after which the simulator runs what a request set off (the answered Local ;1 going on in the
    # dialplan: Dial, DeviceStateChanged, ChannelDialplan). Those events still come after the reply.
    from arinb.sim.server import SimServer

    flush = SimServer._flush_events

    async def slow_flush(self: SimServer, *args: Any, **kwargs: Any) -> None:
        await flush(self, *args, **kwargs)
        await asyncio.sleep(0.03)

    monkeypatch.setattr(SimServer, "_flush_events", slow_flush)
    report = await conformance_run(load_trace(name), await simulator_target(manual=True))
    assert report.ok, report.format()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ws-and-auth-errors", "probe-play-hungup"])
async def test_simulator_conforms_on_its_real_time_clock(name: str, conformance_run: Run) -> None:
    # The wall-clock replay mode (the one a real Asterisk gets), end to end, on two short captures.
    # A sped-up clock is not used for conformance: it multiplies real latencies past the 50 ms tolerance.
    missing = _simulator_missing()
    if missing:
        pytest.fail(missing)
    report = await conformance_run(load_trace(name), await simulator_target(manual=False, speed=1.0))
    assert report.ok, report.format()


@pytest.mark.real_asterisk
@pytest.mark.slow
@pytest.mark.parametrize("name", TRACES)
async def test_real_asterisk_conforms(name: str, conformance_run: Run) -> None:
    target = real_asterisk_target()
    if target is None:
        pytest.skip(f"{REAL_ENV} not set (opt-in: replays the traces against a real Asterisk)")
    trace = load_trace(name)
    report = await conformance_run(trace, target)
    assert report.ok, report.format()
