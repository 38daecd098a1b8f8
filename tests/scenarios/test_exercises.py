"""The exercise checker: a right solution passes; each common mistake fails with its own hint.

Loopback simulator at speed 5 (a call of 9 to 16 simulated seconds takes about a wall second).
"""

from __future__ import annotations

import pytest
from testkit import exercise_solutions as sol

import arinb
from arinb.scenarios import exercises


@pytest.fixture(scope="module")
def sim():  # type: ignore[no-untyped-def]
    sim = arinb.simulate(speed=5)
    try:
        yield sim
    finally:
        sim.close()


def test_the_reference_is_asterisks_captured_run() -> None:
    tones = exercises.reference_events("tones")
    assert [e.type for e in tones] == list(arinb.scenarios.Tones.expected_events)
    assert [round(e.t) for e in tones] == [0, 0, 8, 8, 9, 9]
    assert round(exercises.reference_events("monkeys")[2].t, 1) == 16.2


@pytest.mark.parametrize(
    ("name", "source"),
    [("tones", sol.TONES_RIGHT), ("answer", sol.ANSWER_RIGHT), ("monkeys", sol.MONKEYS_RIGHT)],
)
def test_a_right_solution_passes(
    sim: arinb.Simulator, name: str, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = exercises.check(name, sol.load(source), sim).result()
    assert result.passed, (result.difference, result.hint, result.events, result.lines)
    assert result.as_json() == {"exercise": name, "passed": True, "difference": "", "hint": ""}
    # The app's prints still show (they are kept, not swallowed).
    assert "just left our application" in capsys.readouterr().out


def test_answering_while_the_tone_plays(sim: arinb.Simulator) -> None:
    result = exercises.check("tones", sol.load(sol.TONES_ANSWER_WHILE_PLAYING), sim).result()
    assert not result.passed
    assert "PlaybackFinished" in result.difference
    assert result.hint == exercises.HINT_ANSWER_WHILE_PLAYING


def test_hanging_up_too_early(sim: arinb.Simulator) -> None:
    result = exercises.check("tones", sol.load(sol.TONES_HANGUP_TOO_EARLY), sim).result()
    assert not result.passed
    assert result.difference.startswith("ChannelHangupRequest came at 8.")
    assert result.hint.startswith("you hung up too early")
    monkeys = exercises.check("monkeys", sol.load(sol.MONKEYS_HANGUP_TOO_EARLY), sim).result()
    assert not monkeys.passed
    assert "Asterisk sent PlaybackFinished" in monkeys.difference
    assert "PlaybackFinished handler" in monkeys.hint


def test_a_missing_playback_id(sim: arinb.Simulator) -> None:
    result = exercises.check("tones", sol.load(sol.TONES_MISSING_PLAYBACK_ID), sim).result()
    assert not result.passed
    assert result.hint == exercises.HINT_MISSING_PLAYBACK


def test_a_wrong_printed_line(sim: arinb.Simulator) -> None:
    source = sol.ANSWER_RIGHT.replace("is now: {event.channel.state}", "is now {event.channel.state}")
    result = exercises.check("answer", sol.load(source), sim).result()
    assert not result.passed
    assert result.difference.startswith("printed line 3: the docs print 'Channel PJSIP/alice-")


def test_a_handler_that_raises_is_reported_not_printed(
    sim: arinb.Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    source = sol.MONKEYS_RIGHT.replace('print(f"Monkeys! Attack', 'print(f"Monkeys! Attack {undefined_name}')
    result = exercises.check("monkeys", sol.load(source), sim).result()
    assert not result.passed
    assert any("NameError" in e for e in result.errors)
    assert "NameError" not in capsys.readouterr().err


def test_an_unknown_exercise_says_which_exist(sim: arinb.Simulator) -> None:
    with pytest.raises(arinb.AriUsageError, match="tones, answer, monkeys"):
        exercises.check("tone", sol.load(sol.TONES_RIGHT), sim)


def test_a_skeleton_is_told_what_is_missing(sim: arinb.Simulator) -> None:
    # The notebook's starting point for the answer exercise: it enters, prints, and does nothing else.
    source = """
def answer_app(session, sleep):
    def stasis_start(event):
        print(f"Channel {event.channel.name} has entered the application")

    session.on("StasisStart", stasis_start)
"""
    result = exercises.check("answer", sol.load(source), sim).result()
    assert not result.passed and "Asterisk sent ChannelStateChange at 2.00 s" in result.difference
    assert result.hint == exercises.HINT_MISSING_EVENT["ChannelStateChange"]


async def test_a_manual_clock_is_refused_with_what_to_use() -> None:
    async with arinb.simulate(clock="manual") as manual:
        with pytest.raises(arinb.AriUsageError, match="needs a running clock"):
            await exercises.check("tones", sol.load(sol.TONES_RIGHT), manual)
