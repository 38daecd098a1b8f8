"""``record_audio=True`` when the recording fails: the snoop is hung up, one line says what failed, and the
run still gives its timeline. Calls a scenario originates ask for ``formats=slin`` (ASTERISK22.md: without
it a Local channel transcodes and the recording is 6 dB quieter).

Faults come from the simulator's fault injection (``sim.faults``); the manual clock keeps runs instant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import pytest

import arinb
import arinb.scenarios as scenarios
from arinb.loop import EngineLoop


@pytest.fixture
async def sim() -> AsyncIterator[arinb.Simulator]:
    async with arinb.simulate(clock="manual") as sim:
        yield sim


def sim_channels(sim: arinb.Simulator) -> list[str]:
    engine = sim.engine
    return EngineLoop.shared("arinb-sim").run_sync(lambda: [c.name for c in engine.channels.values()])


def failure_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("(record_audio")]


async def test_a_refused_record_hangs_up_the_snoop_says_why_and_keeps_the_timeline(
    sim: arinb.Simulator,
) -> None:
    # What a real Asterisk answers when the record request beats the snoop into the app.
    sim.faults.fail("channels.record", 409, "Channel not in Stasis application", times=1)
    sc = scenarios.tones(sim, record_audio=True, originate=True)
    result = await sc.run()
    assert not result.ok
    assert isinstance(result.steps[-1].error, arinb.AriConflict)
    said = failure_lines(result.lines)
    assert len(said) == 1 and "\n" not in said[0]
    assert "409" in said[0] and "Channel not in Stasis application" in said[0]
    # The run's timeline is there, with the refused request in it.
    tl = result.timeline
    assert tl is not None
    requests = tl.requests()
    assert ((requests["status"] == 409) & requests["path"].str.endswith("/record")).any()
    # Nothing is left on the server: no snoop, no call.
    assert sim_channels(sim) == []
    await sc.close()


async def test_a_record_that_never_answers_is_given_up_and_the_snoop_hung_up(sim: arinb.Simulator) -> None:
    # The record request hangs (a slow server): the step gives up waiting for RecordingStarted.
    sim.faults.delay("channels.record", 3600.0, times=1)
    sc = scenarios.tones(sim, record_audio=True, originate=True)
    result = await sc.run()
    assert not result.ok
    assert isinstance(result.steps[-1].error, arinb.AriTimeoutError)
    said = failure_lines(result.lines)
    assert len(said) == 1 and "RecordingStarted" in said[0]
    assert result.timeline is not None
    assert not any(name.startswith("Snoop/") for name in sim_channels(sim))
    await sc.close()
    assert sim_channels(sim) == []


async def test_a_recording_that_cannot_be_fetched_is_said_and_the_run_keeps_its_timeline(
    sim: arinb.Simulator,
) -> None:
    sim.faults.fail("recordings.getStoredFile", 500, "Internal Server Error")
    sc = scenarios.monkeys(sim, record_audio=True, originate=True)
    result = await sc.run()
    said = failure_lines(result.lines)
    assert len(said) == 1 and "500" in said[0], result.lines
    assert result.timeline is not None and len(result.timeline.playbacks()) == 1
    with pytest.raises(arinb.AriServerError):
        result.audio()
    assert sim_channels(sim) == []
    await sc.close()


@pytest.mark.parametrize("record_audio", [False, True])
async def test_an_originated_call_asks_for_slin(sim: arinb.Simulator, record_audio: bool) -> None:
    sc = scenarios.answer(sim, originate=True, record_audio=record_audio)
    result = await sc.run()
    assert result.ok, result
    requests = result.timeline.requests()
    originates = requests[(requests["method"] == "POST") & (requests["path"] == "/ari/channels")]
    assert len(originates) == 1
    query = parse_qs(originates["query"].iloc[0])
    assert query["formats"] == ["slin"]
    assert query["endpoint"] == ["Local/1002@default"]
    await sc.close()
