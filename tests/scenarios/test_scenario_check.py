"""``check()`` means "as the docs say, in the docs' order": the same events or lines in another order fail."""

from __future__ import annotations

from testkit.scenario_fakes import FakeSim

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


def test_repr_says_ok_with_the_events_or_every_problem() -> None:
    assert repr(Check(["A", "B"], ["A", "B"], [], [])) == "<Check ok: A → B>"
    bad = Check(["A", "B"], ["A"], ["x", "y"], ["x", "z"])
    assert repr(bad) == (
        "<Check FAILED: events: expected A → B; saw A | lines: missing ['y']; unexpected ['z']>"
    )


def test_html_is_a_table_of_expected_and_seen_events_row_by_row() -> None:
    red = "<tr style='color:#c62828'>"
    # More events seen than expected: the extra row has an empty expected cell, and the problem shows.
    html = Check(["A"], ["A", "B"], [], [])._repr_html_()
    assert html == (
        "<div><b>Check</b>: <span style='color:#c62828'>✘ not as the docs say</span></div>"
        "<table style='font-size:90%'><tr><th>expected event</th><th>seen</th></tr>"
        f"<tr><td>A</td><td>A</td></tr>{red}<td></td><td>B</td></tr></table>"
        "<div style='color:#c62828'>events: expected A; saw A → B</div>"
    )
    # Fewer seen than expected: the missing one has an empty seen cell; names are escaped.
    html = Check(["A", "<B>"], ["A"], ["x"], ["y"])._repr_html_()
    assert f"{red}<td>&lt;B&gt;</td><td></td></tr></table>" in html
    assert html.endswith(
        "<div style='color:#c62828'>events: expected A → &lt;B&gt;; saw A</div>"
        "<div style='color:#c62828'>lines: missing [&#x27;x&#x27;]; unexpected [&#x27;y&#x27;]</div>"
    )
    ok = Check(["A"], ["A"], [], [])._repr_html_()
    assert ok == (
        "<div><b>Check</b>: <span style='color:#2e7d32'>✔ as the docs say</span></div>"
        "<table style='font-size:90%'><tr><th>expected event</th><th>seen</th></tr>"
        "<tr><td>A</td><td>A</td></tr></table>"
    )


def test_before_the_call_the_expected_lines_name_no_channel() -> None:
    sim = FakeSim()
    sc = Tones(session=sim.session(Tones.app), sim=sim)
    check = sc.check()
    assert check.expected_lines[0] == "Channel ? has entered the application"
    assert check.events == [] and not check
