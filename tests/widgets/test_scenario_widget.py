"""The scenario stepper widget, driven from Python: set up, click buttons, read the traits."""

from __future__ import annotations

import time

import pytest
from testkit.scenario_fakes import FakeSim

import arinb.scenarios as scenarios
from arinb.widgets.scenario import ScenarioWidget


def make_widget() -> tuple[ScenarioWidget, scenarios.AppScenario]:
    sim = FakeSim()
    sc = scenarios.tones(sim.session("channel-tones"), sim=sim)
    return ScenarioWidget(sc, rate=50, timeline=False), sc


def settle(widget: ScenarioWidget) -> None:
    # Clicks in a script block until the step is done; the throttled refresh follows on the engine loop.
    time.sleep(0.05)
    widget.refresh()


def test_initial_view_highlights_the_first_step() -> None:
    widget, _ = make_widget()
    assert "arinb-step-next" in widget.steps_html.value
    assert widget.steps_html.value.index("arinb-step-next") < widget.steps_html.value.index("call in")
    assert widget.status.value == "step 1 of 5"
    assert not widget.step_button.disabled


def test_step_button_runs_one_step_and_moves_the_highlight() -> None:
    widget, sc = make_widget()
    widget.step_button.click()
    settle(widget)
    assert sc.index == 1
    html = widget.steps_html.value
    assert html.count("arinb-step-done") == 1 and "arinb-step-next" in html
    assert html.index("arinb-step-next") > html.index("call in")
    assert "has entered the application" in widget.lines_html.value
    assert "StasisStart" in widget.events_html.value
    assert widget.status.value == "step 2 of 5"


def test_step_through_to_the_end_then_reset() -> None:
    widget, sc = make_widget()
    for _ in range(5):
        widget.step_button.click()
    settle(widget)
    assert sc.finished
    assert widget.step_button.disabled
    assert "as the docs say" in widget.status.value
    for name in ("PlaybackStarted", "PlaybackFinished", "ChannelStateChange", "StasisEnd"):
        assert name in widget.events_html.value
    widget.reset_button.click()
    settle(widget)
    assert sc.index == 0 and widget.lines_html.value == "" and not widget.step_button.disabled
    assert "arinb-step-done" not in widget.steps_html.value


def test_run_button_runs_everything() -> None:
    widget, sc = make_widget()
    widget.run_button.click()
    settle(widget)
    assert sc.finished and sc.check().ok
    assert widget.steps_html.value.count("arinb-step-done") == 5


def test_a_failing_step_shows_in_red_and_reset_recovers() -> None:
    widget, sc = make_widget()

    async def broken() -> None:
        raise RuntimeError("no dial tone")

    sc.steps[0] = scenarios.Step("call in", "Breaks.", broken)
    widget.step_button.click()
    settle(widget)
    assert "arinb-step-failed" in widget.steps_html.value
    assert "no dial tone" in widget.status.value
    assert widget.step_button.disabled
    widget.reset_button.click()
    settle(widget)
    assert not widget.step_button.disabled and "arinb-step-failed" not in widget.steps_html.value


def test_a_click_that_arrives_while_a_step_runs_is_dropped() -> None:
    # In the browser, a click can reach the kernel before the "busy" state of the click before it reached
    # the browser (a slow machine, a double click): it must not become a red "still running" error, nor a
    # second step.
    import asyncio
    import threading

    widget, sc = make_widget()
    release = threading.Event()
    entered = threading.Event()
    original = sc.steps[0].fn

    async def slow_call_in() -> None:
        entered.set()
        while not release.is_set():
            await asyncio.sleep(0.01)
        await original()

    sc.steps[0] = scenarios.Step("call in", "Waits for the test.", slow_call_in)
    first = threading.Thread(target=widget.step_button.click, daemon=True)
    first.start()
    assert entered.wait(5)
    widget.step_button.click()  # the second click, while step 1 runs
    widget.run_button.click()  # Run too
    release.set()
    first.join(10)
    settle(widget)
    assert widget.last_error is None, widget.last_error
    assert sc.index == 1 and not sc.failed
    assert widget.status.value == "step 2 of 5"


def test_reset_while_a_step_runs_is_not_shown_as_an_error() -> None:
    import asyncio
    import threading

    widget, sc = make_widget()
    entered = threading.Event()

    async def endless_call_in() -> None:
        entered.set()
        await asyncio.sleep(60)

    sc.steps[0] = scenarios.Step("call in", "Never ends by itself.", endless_call_in)
    first = threading.Thread(target=widget.step_button.click, daemon=True)
    first.start()
    assert entered.wait(5)
    widget.reset_button.click()  # stops the step: its call ends with ScenarioStopped, which Reset asked for
    first.join(10)
    settle(widget)
    assert widget.last_error is None, widget.last_error
    assert sc.index == 0 and not sc.failed and sc.running is None
    assert widget.status.value == "step 1 of 5"


def test_throttled_refresh_follows_changes_without_a_manual_refresh() -> None:
    widget, sc = make_widget()
    sc.say("hello from the app")
    deadline = time.monotonic() + 2
    while "hello from the app" not in widget.lines_html.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "hello from the app" in widget.lines_html.value


def test_with_the_simulator_the_live_timeline_appears_beneath() -> None:
    import arinb
    from arinb.widgets.timeline import TimelineWidget

    with arinb.simulate(clock="manual") as sim:
        sc = scenarios.monkeys(sim)
        widget = ScenarioWidget(sc, rate=50)
        # The widget connects the scenario's session at once: the timeline is there before any step.
        widget.wait_for_views()
        assert sc.session is not None and sc.index == 0
        assert isinstance(widget.timeline_box.children[0], TimelineWidget)
        widget.run_button.click()
        settle(widget)
        assert sc.finished and "as the docs say" in widget.status.value
        widget.wait_for_views()
        (view, *_rest) = widget.timeline_box.children
        assert isinstance(view, TimelineWidget) and "arinb-timeline" in view._dom_classes
        view.refresh()
        shown = view.table_html.value
        for name in ("StasisStart", "PlaybackStarted", "PlaybackFinished", "StasisEnd"):
            assert name in shown
        # Reset hangs up, closes the session, and connects a fresh one (a fresh timeline beneath).
        old = sc.session
        widget.reset_button.click()
        for _ in range(200):
            if sc.session is not None and sc.session is not old:
                break
            time.sleep(0.01)
        widget.refresh()
        widget.wait_for_views()
        assert sc.session is not old and sc.index == 0
        assert widget.timeline_box.children[0].timeline is sc.session.timeline
        sc.close()
        widget.close()


def test_without_call_audio_the_listen_player_stays_hidden() -> None:
    widget, sc = make_widget()  # the fake simulator keeps no media log
    widget.run_button.click()
    settle(widget)
    assert sc.finished and widget.listen_box.layout.display == "none" and widget.listen_clip is None


def test_after_each_step_the_player_holds_the_call_so_far() -> None:
    import arinb

    with arinb.simulate(clock="manual") as sim:
        sc = scenarios.tones(sim)
        widget = ScenarioWidget(sc, rate=50, timeline=False)
        assert widget.listen_box.layout.display == "none"
        durations = []
        for i, step in enumerate(sc.steps):
            widget.step_button.click()
            settle(widget)
            clip = widget.listen_clip
            assert clip is not None and widget.listen_box.layout.display is None
            assert f"after step {i + 1} <i>{step.name}</i>" in widget.listen_html.value
            if len(clip):
                assert bytes(widget.listen_audio.value) == clip.to_wav_bytes()
                assert bytes(widget.listen_wave.value).lstrip().startswith(b"<svg")
            durations.append(round(clip.duration, 2))
        assert durations == [0.0, 0.0, 8.0, 8.0, 9.0]
        assert widget.listen_clip.dominant_frequency(0.1, 1.4) == pytest.approx(440, abs=0.5)
        assert widget.listen_clip == sc.audio()
        widget.reset_button.click()
        settle(widget)
        assert widget.listen_box.layout.display == "none" and widget.listen_clip is None
        sc.close()
        widget.close()


def test_a_recorded_call_is_playable_when_it_ends() -> None:
    import arinb

    with arinb.simulate(clock="manual") as sim:
        sc = scenarios.tones(sim, record_audio=True)
        widget = ScenarioWidget(sc, rate=50, timeline=False)
        for _ in range(4):
            widget.step_button.click()
            settle(widget)
            assert widget.listen_clip is None and "being recorded" in widget.listen_html.value
            assert widget.listen_audio.layout.display == "none"
        widget.step_button.click()
        settle(widget)
        clip = widget.listen_clip
        assert clip is not None and clip.duration == pytest.approx(9.0, abs=0.03)
        assert (
            bytes(widget.listen_audio.value) == clip.to_wav_bytes()
            and widget.listen_audio.layout.display is None
        )
        assert clip.dominant_frequency(0.1, 1.4) == pytest.approx(440, abs=0.5)
        sc.close()
        widget.close()
