"""Issue 4's finish line: the docs' three apps, run on the simulator, leave timelines whose playbacks() and
channels() views match what the real Asterisk traces show (media, states, durations within 50 ms)."""

from __future__ import annotations

import pytest
from testkit.data import TRACES

import arinb
import arinb.scenarios as scenarios
from arinb.timeline import Timeline

TRACE_OF = {"tones": "tones.json", "answer": "channel-state.json", "monkeys": "monkeys.json"}
TOLERANCE = 0.05  # seconds of simulated time


@pytest.fixture
async def sim():  # type: ignore[no-untyped-def]
    async with arinb.simulate(clock="manual") as sim:
        yield sim


@pytest.mark.parametrize("name", ["tones", "answer", "monkeys"])
async def test_scenario_timeline_views_match_the_real_trace(sim: arinb.Simulator, name: str) -> None:
    path = TRACES / TRACE_OF[name]
    real = Timeline.from_trace(path)
    sc = scenarios.SCENARIOS[name](sim)
    result = await sc.run()
    assert result.ok, result
    ours = result.timeline
    assert ours is not None

    real_pb, our_pb = real.playbacks(), ours.playbacks()
    assert len(our_pb) == len(real_pb)
    for (_, r), (_, o) in zip(real_pb.iterrows(), our_pb.iterrows(), strict=True):
        assert list(o["media"]) == list(r["media"])
        assert o["state"] == r["state"]
        assert not o["never_finished"]
        assert abs(o["duration"] - r["duration"]) <= TOLERANCE, (o["duration"], r["duration"])

    real_ch, our_ch = real.channels(), ours.channels()
    assert len(our_ch) == len(real_ch) == 1
    r, o = real_ch.iloc[0], our_ch.iloc[0]
    assert list(o["states"]) == list(r["states"])
    assert o["final_state"] == r["final_state"]
    for state, seconds in r["seconds_in_state"].items():
        ours_s = o["seconds_in_state"][state]
        assert abs(ours_s - seconds) <= TOLERANCE, (state, ours_s, seconds)
    assert abs(o["seconds_in_stasis"] - r["seconds_in_stasis"]) <= TOLERANCE
    await sc.close()
