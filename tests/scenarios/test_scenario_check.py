"""``check()`` means "as the docs say, in the docs' order": the same events or lines in another order fail."""

from __future__ import annotations

from scenario_fakes import FakeSim

from arinb.scenarios.base import Check
from arinb.scenarios.tones import Tones


def test_check_fails_on_the_same_events_in_another_order() -> None:
    check = Check(["A", "B", "C"], ["A", "C", "B"], ["x"], ["x"])
    assert not check.events_ok and check.lines_ok
    assert not check.ok and not check
    assert check.problems() == ["events: expected A → B → C; saw A → C → B"]
    assert "FAILED" in repr(check)


def test_check_fails_on_the_same_lines_in_another_order() -> None:
    check = Check(["A"], ["A"], ["x", "y"], ["y", "x"])
    assert check.events_ok and not check.lines_ok and not check
    assert check.problems() == ["lines: same lines, different order"]


def test_check_counts_repeats() -> None:
    # The same distinct events, once too many: not as the docs say either.
    assert not Check(["A", "B"], ["A", "B", "B"], [], [])
    assert not Check([], [], ["x"], ["x", "x"])
    assert Check(["A", "B"], ["A", "B"], ["x"], ["x"])


def test_the_html_table_marks_the_rows_out_of_order() -> None:
    html = Check(["A", "B"], ["B", "A"], [], [])._repr_html_()
    assert "✘" in html
    assert html.count("<tr style='color:#c62828'>") == 2  # both rows differ
    assert Check(["A", "B"], ["A", "B"], [], [])._repr_html_().count("color:#c62828'>") == 0


class _TonesSwapped(Tones):
    # The docs' events with two neighbours swapped: the run (which follows the docs) must not pass.
    expected_events = (
        "StasisStart",
        "PlaybackStarted",
        "ChannelStateChange",
        "PlaybackFinished",
        "ChannelHangupRequest",
        "StasisEnd",
    )


class _TonesLinesSwapped(Tones):
    expected_lines = (
        "Channel {name} has entered the application",
        "Hanging up channel {name}",
        "Answering channel {name}",
        "Channel {name} just left our application",
    )


async def _run(cls: type[Tones]) -> Tones:
    sim = FakeSim()
    sc = cls(session=sim.session(cls.app), sim=sim)
    await sc.run()
    return sc


async def test_a_run_whose_events_come_in_another_order_than_the_docs_fails_its_check() -> None:
    sc = await _run(Tones)
    assert sc.check().ok  # the real order passes
    swapped = await _run(_TonesSwapped)
    check = swapped.check()
    assert check.events == list(Tones.expected_events)  # seen in arrival order, not sorted
    assert check.lines_ok and not check.events_ok and not check.ok


async def test_a_run_whose_lines_come_in_another_order_than_the_docs_fails_its_check() -> None:
    sc = await _run(_TonesLinesSwapped)
    check = sc.check()
    name = sc.channel_name
    assert check.lines == [
        f"Channel {name} has entered the application",
        f"Answering channel {name}",
        f"Hanging up channel {name}",
        f"Channel {name} just left our application",
    ]
    assert check.events_ok and not check.lines_ok and not check.ok
