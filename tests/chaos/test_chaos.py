"""Chaos: the docs scenarios, a bridge with a playback and a recording, run again and again on the simulator
while faults strike at random points (issue 10, "Chaos test"). What is checked after each run, and how the
faults strike: ``chaos_kit``.

Each (workload, fault) pair is a sub-case with its share of the runs (200 in all by default), so a failure
names what broke. Seeded: the seed is printed on failure; ``ARINB_CHAOS_SEED=<seed>`` replays it,
``ARINB_CHAOS_RUNS`` changes the total number of runs. The whole test stays within about a minute of wall
time: the simulator's clock is manual, so simulated seconds cost nothing.
"""

from __future__ import annotations

import os
import random
import time
import zlib
from collections.abc import AsyncIterator

import pytest
from chaos_kit import FAULTS, WORKLOADS, Chaos

TOTAL_RUNS = int(os.environ.get("ARINB_CHAOS_RUNS", "200"))
SEED = int(os.environ.get("ARINB_CHAOS_SEED", str(random.SystemRandom().randrange(2**32))))
CASES = [(w, f) for w in WORKLOADS for f in FAULTS]
RUNS_PER_CASE = max(1, -(-TOTAL_RUNS // len(CASES)))
#: wall seconds one sub-case may spend starting new runs (the suite's budget, shared by 15 sub-cases)
CASE_BUDGET = float(os.environ.get("ARINB_CHAOS_CASE_BUDGET", "4.5"))

#: sub-cases that still fail on a defect of issue 10 that the client lifecycle work has not fixed yet
_GAP = (
    "issue 10: a channel hung up while the events connection is down (or gone with a server restart) "
    "stays in Stasis in the registry and its StasisEnd waits never end: no reconciliation after reconnect"
)
_BRIDGE = "issue 10: bridge.play(...).finished() never settles when the bridge is destroyed"
KNOWN: dict[tuple[str, str], str] = {
    ("tones", "drop"): _GAP,
    ("tones", "restart"): _GAP,
    ("answer", "drop"): _GAP,
    ("answer", "restart"): _GAP,
    ("monkeys", "drop"): _GAP + " (hit when the drop falls near the end of the call)",
    ("monkeys", "restart"): _GAP,
    ("bridge", "drop"): _BRIDGE + "; " + _GAP,
    ("bridge", "restart"): _BRIDGE + "; " + _GAP,
    ("bridge", "slow"): _BRIDGE,
    ("recording", "drop"): _GAP + "; channel.audio() until the hangup never ends, its snoop and live "
    "recording stay in the registry",
    ("recording", "restart"): _GAP + "; channel.audio() until the hangup never ends",
}


def case_seed(workload: str, fault: str) -> int:
    return zlib.crc32(f"{SEED}:{workload}:{fault}".encode())


@pytest.fixture
async def chaos(request: pytest.FixtureRequest) -> AsyncIterator[Chaos]:
    workload, fault = request.node.callspec.params["workload"], request.node.callspec.params["fault"]
    c = Chaos(case_seed(workload, fault))
    await c.start()
    try:
        yield c
    finally:
        await c.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("workload", "fault"),
    [
        pytest.param(w, f, marks=pytest.mark.xfail(reason=KNOWN[(w, f)], strict=False))
        if (w, f) in KNOWN
        else (w, f)
        for w, f in CASES
    ],
)
async def test_chaos(chaos: Chaos, workload: str, fault: str) -> None:
    started = time.monotonic()
    for i in range(RUNS_PER_CASE):
        if time.monotonic() - started > CASE_BUDGET and i >= 3:
            break  # bounded in time: a loaded machine runs fewer
        run = await chaos.run_one(i, workload, fault)
        if run.issues:
            break  # the first bad run says it; its seed replays it
    bad = [r for r in chaos.runs if r.issues]
    summary = (
        f"{len(chaos.runs)} runs of {workload} + {fault} in {time.monotonic() - started:.1f} s, "
        f"outcomes {dict(chaos.outcomes)}; seed {SEED} (ARINB_CHAOS_SEED={SEED} replays it)"
    )
    print(summary)
    lines = [f"{r.label()}: {'; '.join(r.issues)}" for r in bad[:8]]
    ended = [f" [workload ended with {r.body_error}]" if r.body_error else "" for r in bad[:8]]
    assert not bad, summary + "\n" + "\n".join(a + b for a, b in zip(lines, ended, strict=True))
