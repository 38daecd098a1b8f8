"""The scenario stepper: Step, Run and Reset buttons, the steps with the current one highlighted, the app's
printed lines, the events so far, a player for what the caller heard so far, and the live timeline and
swimlanes beneath.

Every view update sets traits (``value``, ``children``, ``disabled``) from a throttled refresh (the shared
:class:`~arinb.widgets.throttle.Throttle`); nothing writes into an output area from a task, so the widget
stays right after a cell re-runs.

>>> sc = arinb.scenarios.tones(sim)      # doctest: +SKIP
>>> sc.widget()                          # or ScenarioWidget(sc)  # doctest: +SKIP
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as w

from arinb.errors import AriUsageError, ScenarioStopped
from arinb.loop import Call
from arinb.scenarios.base import Scenario, lines_html, rows_html
from arinb.widgets.throttle import Throttle

__all__ = ["ScenarioWidget"]

_CSS = {
    "done": "color:#2e7d32",
    "failed": "color:#c62828;font-weight:bold",
    "running": "background:#fff3c4;font-weight:bold",
    "next": "background:#e3f2fd;font-weight:bold",
    "todo": "color:#555",
}
_MARK = {"done": "✔", "failed": "✘", "running": "⏳", "next": "▶", "todo": "·"}


class ScenarioWidget(w.VBox):
    """A stepper for a :class:`~arinb.scenarios.Scenario`.

    ``step_button``, ``run_button`` and ``reset_button`` are plain ipywidgets buttons (``.click()`` works
    from Python); ``steps_html``, ``lines_html`` and ``events_html`` hold what is shown.

    After each step, ``listen_audio`` (an ``ipywidgets.Audio``) plays what the caller heard so far, with
    ``listen_html`` saying how long and after which step and ``listen_wave`` drawing it; ``listen_clip`` is
    that :class:`~arinb.audio.AudioClip`. With ``record_audio=True`` (a real Asterisk) the recording
    arrives when the call ends, and ``listen_html`` says so until then.
    """

    def __init__(self, scenario: Scenario, *, rate: float = 8.0, timeline: bool = True) -> None:
        self.scenario = scenario
        self._refresh_lock = threading.RLock()
        self._shown_timeline: Any = None
        self._builder: threading.Thread | None = None
        self._show_timeline = timeline
        self.last_error: BaseException | None = None
        self._pending: Call[Any] | None = None  # the step or run a click started, until it ends

        app = getattr(scenario, "app", "")
        ext = getattr(scenario, "extension", "")
        where = f" — app <code>{html.escape(app)}</code>, extension {html.escape(ext)}" if app else ""
        self.title_html = w.HTML(f"<b>{html.escape(scenario.title)}</b>{where}")
        self.steps_html = w.HTML()
        self.step_button = w.Button(description="Step", icon="step-forward", tooltip="Run the next step")
        self.run_button = w.Button(description="Run", icon="play", tooltip="Run the remaining steps")
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="Hang up and start over")
        for b in (self.step_button, self.run_button, self.reset_button):
            b.layout = w.Layout(width="auto")
        self.step_button.add_class("arinb-step")
        self.run_button.add_class("arinb-run")
        self.reset_button.add_class("arinb-reset")
        self.status = w.HTML()
        self.status.add_class("arinb-status")
        self.lines_html = w.HTML()
        self.lines_html.add_class("arinb-lines")
        self.events_html = w.HTML()
        self.events_html.add_class("arinb-events")
        self.listen_html = w.HTML()
        self.listen_audio = w.Audio(format="wav", autoplay=False, loop=False)
        self.listen_wave = w.Image(format="svg+xml")
        self.listen_clip: Any = None
        self._listened: tuple[int, int] | None = None  # (results shown, id of the last one)
        # The player and the waveform join the view with the first sound: an Audio or Image view with no
        # bytes makes the browser fetch an empty blob, which the console reports as an error.
        self.listen_box = w.VBox([self.listen_html])
        self.listen_box.add_class("arinb-listen")
        self.listen_box.layout.display = "none"
        self.timeline_box = w.VBox()
        self.step_button.on_click(lambda _b: self._start_unless_busy(self.scenario.next))
        self.run_button.on_click(lambda _b: self._start_unless_busy(self.scenario.run))
        self.reset_button.on_click(lambda _b: self._start(self._reset_and_prepare))
        super().__init__(
            children=[
                self.title_html,
                self.steps_html,
                w.HBox([self.step_button, self.run_button, self.reset_button, self.status]),
                self.lines_html,
                self.events_html,
                self.listen_box,
                self.timeline_box,
            ]
        )
        self.add_class("arinb-scenario")
        # Bursts of changes (a step's events and lines) become one refresh per 1/rate s, on the
        # throttle's thread: traits set from there reach the browser.
        self.throttle = Throttle(self.refresh, rate=rate, name="scenario")
        self._undo = scenario.observe(self._changed)
        self.refresh()
        if timeline:
            # Connect now, so the timeline and swimlanes are drawn (and their code has reached the
            # browser) before the first click, rather than holding up the first steps.
            self._prepare()

    # -- actions ---------------------------------------------------------------------------------------

    def _start_unless_busy(self, action: Any) -> None:
        # A click can reach the kernel after the previous one disabled the button but before the browser
        # showed it (a slow machine, a double click): the button was not enabled, so the click is dropped
        # rather than answered with a red "step is still running".
        pending = self._pending
        if self.scenario.running is not None or (pending is not None and not pending.done()):
            return
        self._start(action)

    def _start(self, action: Any) -> None:
        self.last_error = None
        self._set_buttons(busy=True)
        try:
            call: Call[Any] = action()
        except Exception as exc:  # e.g. a usage error raised at once in a script
            self._finished_with(exc)
            return
        self._pending = call
        call.add_done_callback(lambda c: self._finished_with(c.exception()))

    def _finished_with(self, error: BaseException | None) -> None:
        # A step stopped by the Reset button is what the user asked for, not an error to show.
        if error is not None and not isinstance(error, ScenarioStopped):
            self.last_error = error
        self._changed("done")

    def _reset_and_prepare(self) -> Call[Any]:
        call = self.scenario.reset()
        if self._show_timeline:
            call.add_done_callback(lambda _c: self._prepare())
        return call

    def _prepare(self) -> None:
        try:
            self.scenario.prepare().add_done_callback(self._prepared)
        except Exception as exc:  # a script with no server yet: the first step reports it
            self.last_error = exc

    def _prepared(self, call: Call[Any]) -> None:
        error = call.exception()
        if error is not None:
            self.last_error = error
        self._changed("session")

    # -- refreshing ------------------------------------------------------------------------------------

    def _changed(self, _what: str) -> None:
        self.throttle.poke()

    def refresh(self) -> None:
        """Bring every part of the view up to date with the scenario (also called on a throttle)."""
        # The throttle's thread and a direct call may both refresh: one at a time.
        with self._refresh_lock:
            self._refresh()

    def _refresh(self) -> None:
        sc = self.scenario
        rows = []
        for i, step in enumerate(sc.steps):
            if sc.running == i:
                state = "running"
            elif i < sc.index:
                state = "done"
            elif i == sc.index and sc.failed:
                state = "failed"
            elif i == sc.index:
                state = "next"
            else:
                state = "todo"
            rows.append(
                f"<li class='arinb-step-{state}' style='{_CSS[state]};padding:1px 4px'>"
                f"{_MARK[state]} <b>{html.escape(step.name)}</b> — {html.escape(step.doc)}</li>"
            )
        self.steps_html.value = (
            "<ol style='margin:4px 0;padding-left:1.5em;list-style:none'>" + "".join(rows) + "</ol>"
        )
        self.lines_html.value = lines_html(sc.lines)
        events = getattr(sc, "events", None)
        self.events_html.value = rows_html(events) if events else ""
        self._set_buttons(busy=sc.running is not None)
        self.status.value = self._status_text()
        self._refresh_listen()
        self._attach_timeline()

    def _refresh_listen(self) -> None:
        """Put the call's audio up to the last step into the player (once per step result)."""
        sc = self.scenario
        last = sc.results[-1] if sc.results else None
        key = (len(sc.results), id(last))
        if key == self._listened:
            return
        self._listened = key
        self.listen_clip = None
        if last is None or not last.has_audio:
            self.listen_box.layout.display = "none"
            self.listen_html.value = ""
            return
        self.listen_box.layout.display = None
        after = f"after step {last.index + 1} <i>{html.escape(last.name)}</i>" if last.name else "whole call"
        try:
            clip = last.audio()
        except AriUsageError:  # a snoop recording: it arrives when the call ends
            self.listen_html.value = (
                "<span style='color:#888'>The call is being recorded through a snoop channel: "
                "listen here when it ends.</span>"
            )
            self.listen_audio.layout.display = self.listen_wave.layout.display = "none"
            if sc.finished:
                self._listened = None  # the recording comes with the call's end: ask at the next refresh
            return
        except Exception as exc:  # the audio must not break the stepper
            why = f"{type(exc).__name__}: {exc}"
            self.listen_html.value = f"<span style='color:#c62828'>{html.escape(why)}</span>"
            self.listen_audio.layout.display = self.listen_wave.layout.display = "none"
            return
        self.listen_clip = clip
        notes = "".join(f"<br><span style='color:#a15c00'>⚠ {html.escape(n)}</span>" for n in clip.notes)
        self.listen_html.value = (
            f"<b>What the caller heard so far</b> ({after}): {clip.duration:.2f} s{notes}"
        )
        shown = "none" if len(clip) == 0 else None
        self.listen_audio.layout.display = self.listen_wave.layout.display = shown
        if len(clip):
            self.listen_audio.value = clip.to_wav_bytes()
            self.listen_wave.value = bytes(clip.waveform(backend="svg", height=90))
            if len(self.listen_box.children) == 1:
                self.listen_box.children = (self.listen_html, self.listen_audio, self.listen_wave)

    def _status_text(self) -> str:
        sc = self.scenario
        if self.last_error is not None:
            err = self.last_error
            why = f"{type(err).__name__}: {err}"
            return f"<span style='color:#c62828'>{html.escape(why)}</span>"
        if sc.running is not None:
            return f"running <b>{html.escape(sc.steps[sc.running].name)}</b>…"
        if sc.failed:
            failed = sc.results[-1] if sc.results else None
            why = f": {failed.error}" if failed is not None and failed.error is not None else ""
            return f"<span style='color:#c62828'>failed{html.escape(why)} — Reset starts over</span>"
        if sc.finished:
            check = sc.check()
            if check is None:
                return "<span style='color:#2e7d32'>finished</span>"
            if check.ok:
                return "<span class='arinb-check-ok' style='color:#2e7d32'>finished ✔ as the docs say</span>"
            return (
                "<span class='arinb-check-failed' style='color:#c62828'>finished ✘ "
                + html.escape("; ".join(check.problems()))
                + "</span>"
            )
        return f"step {sc.index + 1} of {len(sc.steps)}"

    def _set_buttons(self, *, busy: bool) -> None:
        sc = self.scenario
        self.step_button.disabled = busy or sc.finished or sc.failed
        self.run_button.disabled = busy
        self.reset_button.disabled = False

    def _attach_timeline(self) -> None:
        """Show the session's timeline widget (and swimlanes) once the scenario has a session.

        The views are built on a thread of their own: the first live figure takes seconds to reach the
        browser, and the buttons must not wait for it.
        """
        if not self._show_timeline:
            return
        # The scenario's timeline outlives its session (a finished run closes it); a reset drops it.
        timeline = getattr(self.scenario, "timeline", None)
        if timeline is self._shown_timeline:
            return
        self._shown_timeline = timeline
        if timeline is None:
            self.timeline_box.children = ()
            return

        def build() -> None:
            views = _timeline_views(timeline)
            if self._shown_timeline is timeline:  # not replaced by a reset meanwhile
                self.timeline_box.children = tuple(views)

        builder = threading.Thread(target=build, name="arinb-timeline-views", daemon=True)
        builder.start()
        self._builder = builder

    def wait_for_views(self, timeout: float = 30.0) -> None:
        """Bring the view up to date and block until its timeline views are shown (tests, scripts)."""
        self.refresh()
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    def close(self) -> None:
        self._undo()
        self.throttle.stop()
        super().close()


def _timeline_views(timeline: Any) -> list[w.Widget]:
    """The live timeline widget and the swimlanes for it, whichever of them are available."""
    views: list[w.Widget] = []
    make = getattr(timeline, "widget", None)
    if make is not None:
        try:
            view = make()
            if isinstance(view, w.Widget):
                view.add_class("arinb-timeline")
                views.append(view)
        except Exception as exc:  # an optional view must not break the stepper
            views.append(w.HTML(f"<i>timeline view unavailable: {html.escape(str(exc))}</i>"))
    try:
        from arinb import plot

        lanes = plot.swimlanes_widget(timeline)
        if isinstance(lanes, w.Widget):
            views.append(lanes)
    except Exception:
        pass  # swimlanes need plotly (the ``plot`` extra); the timeline alone is enough
    return views
