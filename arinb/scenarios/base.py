"""The scenario framework: an ARI app told as named steps that run whole, one per cell, or from a widget.

A :class:`Scenario` is a list of :class:`Step` s run in order on the shared engine loop, so that
``await sc.next()`` works in a notebook cell, in a coroutine, or (blocking) in a plain script, and a widget
button can start a step without touching the kernel's own loop. Each step returns a :class:`StepResult`
that renders, under the cell that ran it, the lines the app printed and the events that arrived meanwhile.

:class:`AppScenario` adds what the ARI playback apps share: its own session (or yours), its own call
(``sim.call(...)`` on the simulator, or an originate of ``Local/<ext>@default`` into ``wait`` on a real
Asterisk, as the captured traces did), waits that follow the simulator's clock, the docs' printed lines,
and a check that the run ended as the docs say. It cleans up (hangs up, closes) when a step fails, when it
is reset, and when a cell that builds the same scenario again is re-run.

>>> sc = arinb.scenarios.tones(sim)          # doctest: +SKIP
>>> await sc.next()                          # one step; its events show under the cell  # doctest: +SKIP
>>> result = await sc.run()                  # the remaining steps  # doctest: +SKIP
>>> result.check.ok                          # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
import html
import sys
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from arinb.errors import AriError, AriTimeoutError, AriUsageError, ScenarioStopped
from arinb.loop import Call, EngineLoop
from arinb.models import parse_timestamp
from arinb.scenarios.check import Check
from arinb.scenarios.listen import CallAudio, is_snoop, media_log_engine

if TYPE_CHECKING:
    from arinb.audio import AudioClip

__all__ = [
    "AppScenario",
    "Check",
    "EventRow",
    "RunResult",
    "Scenario",
    "ScenarioClock",
    "Step",
    "StepResult",
]

StepFn = Callable[[], Awaitable[None]]
#: ``source(until)``: the call's audio up to ``until`` on the scenario clock (None: all of it)
AudioSource = Callable[[float | None], "AudioClip"]


# --------------------------------------------------------------------------------------------------- clocks


class ScenarioClock:
    """The time a scenario's waits follow: the simulator's clock when it targets one, else the wall clock.

    The docs say "after 8 s"; on a simulator running at ``speed=20`` those are 8 *simulated* seconds,
    0.4 s of wall time. A manual simulator clock is advanced by the wait itself, so a test runs instantly.

    >>> clock = ScenarioClock()            # wall clock
    >>> clock.speed
    1.0
    """

    def __init__(self, sim_clock: Any = None) -> None:
        self._sim_clock = sim_clock
        self._manual: bool | None = None
        self._speed: float | None = None

    @property
    def simulated(self) -> bool:
        return self._sim_clock is not None

    @property
    def manual(self) -> bool:
        """True for a simulator clock that only moves when ``advance(dt)`` is called."""
        if self._manual is None:
            c = self._sim_clock
            flag = getattr(c, "is_manual", None) if c is not None else False
            if not isinstance(flag, bool):
                flag = getattr(c, "manual", False)
            self._manual = flag if isinstance(flag, bool) else False
        return self._manual

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second (1.0 for the wall clock; inf for a manual clock)."""
        if self._sim_clock is None:
            return 1.0
        if self.manual:
            return float("inf")
        if self._speed is None:
            try:
                self._speed = max(float(getattr(self._sim_clock, "speed", 1.0)), 1e-6)
            except (TypeError, ValueError):
                self._speed = 1.0
        return self._speed

    def now(self) -> float:
        """Epoch seconds on this clock."""
        return float(self._sim_clock.now()) if self._sim_clock is not None else time.time()

    def until_next_timer(self, default: float) -> float:
        """Seconds until the simulator's next timer is due (``default`` if it cannot tell or has none)."""
        next_due = getattr(self._sim_clock, "next_due", None)
        if next_due is None:
            return default
        try:
            due = next_due()
        except Exception:
            return default
        if not isinstance(due, int | float):
            return default
        return min(max(float(due) - self.now(), 0.0), default * 50)

    def wall_timeout(self, seconds: float) -> float:
        """Wall seconds to allow for something that takes ``seconds`` on this clock (plus slack)."""
        if self.manual:
            return 10.0
        return seconds / self.speed + 5.0

    def hold(self, paused: bool) -> None:
        """Stop (``True``) or restart (``False``) a simulator's real or sped-up clock; else a no-op.

        A stepped scenario holds the simulator's time between steps, so that "ring for 8 s" is 8 s however
        long the student reads before the next click.
        """
        c = self._sim_clock
        if c is None or self.manual:
            return
        fn = getattr(c, "pause" if paused else "resume", None)
        if fn is None:
            return
        try:
            fn()
        except Exception:  # a closed simulator: its time no longer matters
            pass

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Wait until this clock reads ``deadline`` (at once if it already does)."""
        while True:
            remaining = deadline - self.now()
            if remaining <= 0:
                return
            if self.manual:
                self._sim_clock.advance(remaining)
                await asyncio.sleep(0)
                continue
            # Re-read the clock in small slices: its speed may change, and a sped-up clock drifts from
            # asyncio's by scheduling jitter.
            await asyncio.sleep(min(remaining / self.speed, 0.25))


# --------------------------------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """One named step of a scenario: ``name`` (short), ``doc`` (one sentence shown by the widget), ``fn``."""

    name: str
    doc: str
    fn: StepFn


@dataclass(frozen=True)
class EventRow:
    """An event as a scenario shows it: ``t`` seconds after the scenario's call (server time)."""

    t: float
    type: str
    detail: str
    channel_id: str = ""
    playback_id: str = ""

    def as_html(self) -> str:
        return (
            f"<tr><td style='text-align:right'>{self.t:7.2f}</td><td><b>{html.escape(self.type)}</b></td>"
            f"<td>{html.escape(self.detail)}</td></tr>"
        )


def rows_html(rows: Sequence[EventRow]) -> str:
    if not rows:
        return "<div style='color:#888'>(no events)</div>"
    head = "<tr><th style='text-align:right'>t (s)</th><th>event</th><th>detail</th></tr>"
    return (
        "<table style='border-collapse:collapse;font-size:90%'>"
        + head
        + "".join(r.as_html() for r in rows)
        + "</table>"
    )


def lines_html(lines: Sequence[str]) -> str:
    if not lines:
        return ""
    return (
        "<pre style='margin:2px 0;padding:4px;background:#f6f8fa'>" + html.escape("\n".join(lines)) + "</pre>"
    )


@dataclass
class StepResult:
    """What one step did: its printed lines, the events that arrived meanwhile, and how it ended.

    ``status`` is ``"done"``, ``"failed"`` (``error`` holds why) or ``"finished"`` (there was no step
    left to run). It renders as HTML under the notebook cell.
    """

    scenario: str
    index: int
    name: str
    doc: str
    status: str
    lines: list[str] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    elapsed: float = 0.0
    error: BaseException | None = None
    total: int = 0
    #: the scenario clock's time when the step ended (for :meth:`audio`)
    ended_at: float | None = None
    _audio: AudioSource | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def has_audio(self) -> bool:
        """True when :meth:`audio` has (or will have, once a recorded call ends) what the caller heard."""
        return self._audio is not None

    def audio(self) -> AudioClip:
        """What the caller had heard when this step ended (from the call's start), as an AudioClip.

        On the simulator it is rendered from the media log at any time; with ``record_audio=True`` it is
        the call's snoop recording, which arrives when the call ends (see :meth:`AppScenario.audio`).

        >>> (await sc.next()).audio()          # a player in the notebook  # doctest: +SKIP
        """
        if self._audio is None:
            raise AriUsageError(f"{self.scenario}: this step has no call audio")
        return self._audio(self.ended_at)

    def __repr__(self) -> str:
        if self.status == "finished":
            return f"<{self.scenario}: all {self.total} steps done; sc.reset() starts over>"
        head = f"<{self.scenario} step {self.index + 1}/{self.total} {self.name!r}: {self.status}"
        if self.error is not None:
            head += f" ({type(self.error).__name__}: {self.error})"
        body = "".join(f"\n  | {line}" for line in self.lines)
        body += "".join(f"\n  {r.t:7.2f}  {r.type}  {r.detail}" for r in self.events)
        return head + ">" + body

    def _repr_html_(self) -> str:
        if self.status == "finished":
            return (
                f"<div><b>{html.escape(self.scenario)}</b>: all {self.total} steps done. "
                "<code>sc.reset()</code> starts over.</div>"
            )
        color = {"done": "#2e7d32", "failed": "#c62828"}.get(self.status, "#555")
        out = [
            f"<div><b>{html.escape(self.scenario)}</b> step {self.index + 1}/{self.total} "
            f"<b>{html.escape(self.name)}</b> <span style='color:{color}'>{html.escape(self.status)}</span>"
            f" <span style='color:#888'>({self.elapsed:.2f} s)</span><br>"
            f"<i>{html.escape(self.doc)}</i></div>"
        ]
        if self.error is not None:
            out.append(
                f"<div style='color:#c62828'>{html.escape(type(self.error).__name__)}: "
                f"{html.escape(str(self.error))}</div>"
            )
        out.append(lines_html(self.lines))
        out.append(rows_html(self.events))
        return "".join(out)


@dataclass
class RunResult:
    """The result of :meth:`Scenario.run`: every step's result, the printed lines, the check, the timeline."""

    scenario: str
    steps: list[StepResult]
    lines: list[str]
    check: Check | None
    timeline: Any = None
    _audio: AudioSource | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and (self.check is None or self.check.ok)

    def audio(self) -> AudioClip:
        """What the caller heard during the whole call, as an :class:`arinb.audio.AudioClip`.

        >>> clip = (await sc.run()).audio()     # doctest: +SKIP
        >>> round(clip.dominant_frequency(0.1, 1.4))   # doctest: +SKIP
        440
        """
        if self._audio is None:
            raise AriUsageError(f"{self.scenario}: this run has no call audio")
        return self._audio(None)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        failed = [s for s in self.steps if not s.ok]
        state = "ok" if self.ok else ("failed at " + failed[0].name if failed else "check failed")
        return f"<{self.scenario} run: {state}; {len(self.lines)} lines>" + "".join(
            f"\n  | {line}" for line in self.lines
        )

    def _repr_html_(self) -> str:
        out = [f"<div><b>{html.escape(self.scenario)}</b>: {len(self.steps)} steps</div>"]
        for s in self.steps:
            if not s.ok:
                out.append(s._repr_html_())
        out.append(lines_html(self.lines))
        if self.check is not None:
            out.append(self.check._repr_html_())
        return "".join(out)


# --------------------------------------------------------------------------------------------------- scenario


class Scenario:
    """Named steps run in order on the engine loop.

    Subclasses provide :meth:`build_steps`; they may override :meth:`setup` (before the first step),
    :meth:`cleanup` (after the last step, after a failure, on reset and on close), :meth:`step_events`
    (what a step result shows) and :meth:`check`.

    >>> class Hello(Scenario):
    ...     title = "hello"
    ...     def build_steps(self):
    ...         async def greet():
    ...             self.say("hello")
    ...         return [Step("greet", "Say hello.", greet)]
    >>> Hello().run().result().lines
    ['hello']
    """

    title: ClassVar[str] = "scenario"

    def __init__(self, *, echo: bool = False) -> None:
        #: print each line to stdout as it is said (scripts, ``arinb demo``); notebooks show results instead
        self.echo = echo
        self.lines: list[str] = []
        self.results: list[StepResult] = []
        self.steps: list[Step] = self.build_steps()
        self.index = 0  # the next step to run
        self.running: int | None = None  # index of the step running now
        self.failed = False
        self._engine = EngineLoop.shared()
        self._task: asyncio.Task[Any] | None = None  # the task running a step (next, run), while it does
        self._stop_reason: str | None = None  # "reset()" or "close()" while one of them stops that task
        self._listeners: list[Callable[[str], None]] = []
        self._set_up = False
        self._closed = False

    # -- to override ---------------------------------------------------------------------------------

    def build_steps(self) -> list[Step]:
        raise NotImplementedError

    async def setup(self) -> None:
        """Runs once before the first step (after a reset, again)."""

    async def prepare_async(self) -> None:
        """Get ready without running a step (e.g. connect), so a view can show things early."""

    def prepare(self) -> Call[None]:
        """Get ready without running a step: an app scenario connects its session (and timeline) now."""
        return self._engine.call(self.prepare_async(), label=f"{self.title}.prepare()")

    async def cleanup(self) -> None:
        """Undo what the steps left behind. Must be safe to call at any point, and twice."""

    def step_events(self, since: int) -> list[EventRow]:
        """The events to show for a step that began when ``since`` events had been seen."""
        return []

    def event_mark(self) -> int:
        """A mark for :meth:`step_events` taken when a step begins."""
        return 0

    def check(self) -> Check | None:
        """Compare the run with what the docs say (None: nothing to compare)."""
        return None

    def audio_source(self) -> AudioSource | None:
        """Where this run's call audio comes from (None: no call, or no way to hear it)."""
        return None

    @property
    def has_audio(self) -> bool:
        """True when :meth:`audio` can give (or will give, once the call ends) what the caller heard."""
        return self.audio_source() is not None

    def audio(self, until: float | None = None) -> AudioClip:
        """What the caller heard up to ``until`` (scenario clock; None: so far / the whole call).

        >>> sc.audio()          # a player in the notebook  # doctest: +SKIP
        """
        source = self.audio_source()
        if source is None:
            raise AriUsageError(f"{self.title} has no call audio (yet): {self._no_audio_reason()}")
        return source(until)

    def _no_audio_reason(self) -> str:
        return "this scenario places no call"

    def audio_now(self) -> float | None:
        """The scenario clock's time, stamped on each step result for its audio (None: no clock)."""
        return None

    @property
    def timeline(self) -> Any:
        return None

    # -- state ---------------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.index >= len(self.steps)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def say(self, line: str) -> None:
        """Record one printed line of the app (and print it when ``echo`` is on)."""
        self.lines.append(line)
        if self.echo:
            print(line, file=sys.stdout, flush=True)
        self._notify("line")

    def observe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(what)`` on each change (``"step"``, ``"line"``, ``"reset"``); returns an undo."""
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def _notify(self, what: str) -> None:
        for cb in list(self._listeners):
            try:
                cb(what)
            except Exception:  # a broken view must not break the scenario
                pass

    # -- running -------------------------------------------------------------------------------------

    def next(self) -> Call[StepResult]:
        """Run the next step; the result shows that step's lines and events."""
        return self._engine.call(self._next(), label=f"{self.title}.next()")

    def run(self) -> Call[RunResult]:
        """Run every remaining step (from the start if the scenario already finished)."""
        return self._engine.call(self._run(), label=f"{self.title}.run()")

    def reset(self) -> Call[None]:
        """Stop a running step, clean up, and go back to the first step."""
        return self._engine.call(self._reset(), label=f"{self.title}.reset()")

    def close(self) -> Call[None]:
        """Clean up for good (hang up, close an own session)."""
        return self._engine.call(self._close(), label=f"{self.title}.close()")

    def _repr_html_(self) -> str:
        rows = []
        for i, step in enumerate(self.steps):
            mark = "✔" if i < self.index else ("✘" if i == self.index and self.failed else "·")
            if i == self.index and not self.failed:
                mark = "▶"
            rows.append(f"<li>{mark} <b>{html.escape(step.name)}</b> — {html.escape(step.doc)}</li>")
        where = html.escape(self._where())
        return (
            f"<div><b>{html.escape(self.title)}</b> {where}</div>"
            f"<ol style='list-style:none;padding-left:1em;margin:2px 0'>{''.join(rows)}</ol>"
            "<div style='color:#888'><code>await sc.next()</code> runs the next step, "
            "<code>await sc.run()</code> the rest, <code>sc.widget()</code> gives buttons.</div>"
        )

    def _where(self) -> str:
        return ""

    def widget(self) -> Any:
        """A stepper widget (Step, Run, Reset; current step highlighted; live timeline beneath)."""
        from arinb.widgets.scenario import ScenarioWidget

        return ScenarioWidget(self)

    async def _next(self) -> StepResult:
        if self._closed:
            raise AriUsageError(f"{self.title} is closed; build a new scenario")
        if self.running is not None:
            raise AriUsageError(f"{self.title}: step {self.steps[self.running].name!r} is still running")
        if self.finished or self.failed:
            if self.failed:
                raise AriUsageError(f"{self.title} failed at a step; call reset() to start over")
            return StepResult(self.title, self.index, "", "", "finished", total=len(self.steps))
        self._task = asyncio.current_task()
        i = self.index
        step = self.steps[i]
        self.running = i
        self._notify("step")
        started = time.monotonic()
        n_lines = len(self.lines)
        mark = self.event_mark()
        error: BaseException | None = None
        stopped: ScenarioStopped | None = None
        try:
            if not self._set_up:
                self._set_up = True
                await self.setup()
            await step.fn()
        except asyncio.CancelledError:
            error = AriUsageError("step was cancelled")
            task = asyncio.current_task()
            if self._stop_reason is None or task is None or task.uncancel() > 0:
                raise  # cancelled from outside (the call itself was cancelled): stay cancelled
            # reset()/close() stopped it: the cell awaiting next()/run() gets a typed error, not a bare
            # CancelledError from deep inside the engine.
            stopped = error = ScenarioStopped(self._stopped_message(step.name, self._stop_reason))
        except Exception as exc:
            error = exc
        finally:
            self.running = None
            self._task = None
            if error is None:
                self.index = i + 1
            else:
                self.failed = True
        if stopped is not None:
            raise stopped  # reset()/close() is waiting for this task, then cleans up and starts over
        result = StepResult(
            self.title,
            i,
            step.name,
            step.doc,
            "done" if error is None else "failed",
            lines=self.lines[n_lines:],
            events=self.step_events(mark),
            elapsed=time.monotonic() - started,
            error=error,
            total=len(self.steps),
            ended_at=self.audio_now(),
            _audio=self.audio_source(),
        )
        self.results.append(result)
        if error is not None or self.finished:
            await self._safe_cleanup()
        self._notify("step")
        return result

    async def _run(self) -> RunResult:
        if self.finished or self.failed:
            await self._reset()
        results = []
        while not self.finished:
            result = await self._next()
            results.append(result)
            if not result.ok:
                break
        return RunResult(
            self.title,
            results,
            list(self.lines),
            self.check(),
            self.timeline,
            _audio=self.audio_source(),
        )

    def _stopped_message(self, step: str, reason: str) -> str:
        then = "build a new scenario to run again" if reason == "close()" else "`await sc.run()` starts over"
        return f"{self.title}: step {step!r} was stopped by {reason} while it ran; {then}"

    async def _reset(self) -> None:
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            self._stop_reason = self._stop_reason or "reset()"
            task.cancel()
            try:
                await task  # ends with ScenarioStopped (see _next) once the step has unwound
            except BaseException:
                pass
        self._stop_reason = None
        await self._safe_cleanup()
        self.index = 0
        self.running = None
        self.failed = False
        self._set_up = False
        self.lines = []
        self.results = []
        self._notify("reset")

    async def _close(self) -> None:
        if self._closed:
            return
        self._stop_reason = "close()"
        await self._reset()
        self._closed = True
        self._notify("closed")

    async def _safe_cleanup(self) -> None:
        try:
            await asyncio.wait_for(self.cleanup(), 10.0)
        except Exception as exc:  # cleanup is best effort; say what went wrong rather than hide it
            self.lines.append(f"(cleanup: {type(exc).__name__}: {exc})")


# --------------------------------------------------------------------------------------------------- ARI apps

# (app, target key) -> the live scenario, so that re-running the cell that builds it cleans up the old one.
_LIVE: weakref.WeakValueDictionary[tuple[str, str], AppScenario] = weakref.WeakValueDictionary()


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of an event, channel handle or plain dict."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, None)
    if value is None and hasattr(obj, "__getitem__"):
        try:
            value = obj[name]
        except Exception:
            value = None
    return default if value is None else value


def _part(event: Any, name: str) -> Any:
    """A part of an event as it was sent (``event.raw[name]``), else its handle or attribute.

    The raw JSON matters for display: a client's channel handle is kept up to date from later events,
    while the event's own ``channel`` object says what the state was when the event was sent.
    """
    raw = getattr(event, "raw", None)
    if isinstance(raw, dict) and name in raw:
        return raw[name]
    return _field(event, name)


def _event_time(event: Any) -> float:
    ts = _field(event, "timestamp")
    if isinstance(ts, int | float):
        return float(ts)
    if isinstance(ts, str):
        try:
            return parse_timestamp(ts)
        except ValueError:
            pass
    return float(_field(event, "received_at", time.time()))


def describe_event(event: Any) -> str:
    """A one-line summary of an ARI event: channel name and state, playback id, media and state."""
    parts = []
    ch = _part(event, "channel")
    pb = _part(event, "playback")
    if pb is not None:
        parts.append(
            f"playback {_field(pb, 'id', '?')} {_field(pb, 'media_uri', '')} {_field(pb, 'state', '')}"
        )
    elif ch is not None:
        parts.append(f"{_field(ch, 'name', '?')} {_field(ch, 'state', '')}")
    for extra in ("cause", "digit", "variable"):
        value = _part(event, extra)
        if value is not None and not isinstance(value, dict):
            parts.append(f"{extra}={value}")
    return " ".join(p.strip() for p in parts if p.strip())


class AppScenario(Scenario):
    """One of the ARI docs' apps as a scenario on the simulator or a real Asterisk.

    ``target`` is a :class:`arinb.Simulator` (the call comes from ``sim.call``; waits follow its clock),
    an ARI URL (the call is an originate of ``Local/<extension>@default`` into ``default,wait,1``), or
    an already connected session (then pass ``sim=`` if it talks to a simulator). Without a session the
    scenario connects its own, subscribed to its app, and closes it on reset/close. ``originate=True``
    brings the call in as on a real Asterisk even on the simulator.

    What the caller heard: :meth:`audio` (the call so far), ``step_result.audio()`` (up to that step's
    end) and ``run_result.audio()`` (the whole call) give an :class:`arinb.audio.AudioClip`. On the
    simulator it is rendered from its media log; ``record_audio=True`` records the call instead, through
    a snoop channel from StasisStart to the hangup (``channel.audio()``), which is how it works on a real
    Asterisk; that recording arrives when the call ends. The snoop channel's events are not the app's.

    >>> sc = arinb.scenarios.tones("http://pbx:8088", password=..., record_audio=True)  # doctest: +SKIP
    >>> clip = (await sc.run()).audio()                                               # doctest: +SKIP
    """

    app: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    expected_events: ClassVar[tuple[str, ...]] = ()
    expected_lines: ClassVar[tuple[str, ...]] = ()
    #: the docs' app as printed in notebooks, and where it comes from
    docs_url: ClassVar[str] = ""

    def __init__(
        self,
        target: Any = None,
        *,
        session: Any = None,
        sim: Any = None,
        url: str | None = None,
        username: str = "asterisk",
        password: str = "asterisk",
        caller: str = "alice",
        echo: bool = False,
        timeout: float = 30.0,
        originate: bool | None = None,
        record_audio: bool = False,
    ) -> None:
        if target is not None:
            if isinstance(target, str):
                url = target
            elif hasattr(target, "clock") and hasattr(target, "call"):
                sim = target
            elif hasattr(target, "on") and hasattr(target, "timeline"):
                session = target
            else:
                raise AriUsageError(
                    f"cannot run a scenario against {target!r}: pass a Simulator, a URL or a session"
                )
        if session is None and sim is None and url is None:
            raise AriUsageError(
                "a scenario needs a target: arinb.scenarios.tones(sim) or tones('http://host:8088', ...)"
            )
        self.sim = sim
        self.url = url if url is not None else (getattr(sim, "url", None) if sim is not None else None)
        self._username = username if sim is None else getattr(sim, "username", username)
        self._password = password if sim is None else getattr(sim, "password", password)
        self.caller = caller
        #: bring the call in by originating Local/<ext>@default (a real Asterisk's way); default: only
        #: when there is no simulator to place an inbound call
        self.originate = sim is None if originate is None else originate
        #: sim-time seconds allowed for one expected event beyond its own duration
        self.timeout = timeout
        self.clock = ScenarioClock(getattr(sim, "clock", None) if sim is not None else None)
        #: record the call through a snoop channel from StasisStart to the hangup (``channel.audio()``);
        #: needed for :meth:`audio` on a real Asterisk, optional on the simulator (its media log suffices)
        self.record_audio = record_audio
        self._call_audio: CallAudio | None = None
        self._given_session = session
        self.session: Any = session
        self.channel: Any = None
        self.channel_id: str = ""
        self.channel_name: str = ""
        self.playback: Any = None
        self.marks: dict[str, float] = {}
        self._events: list[Any] = []
        self._changed: asyncio.Event | None = None
        self._handlers: list[tuple[str, Callable[[Any], Any]]] = []
        self._started_at: float | None = None
        self._left = False
        #: snoop channels on this run's call that are in the app now (the recording's), by id
        self._snoops: dict[str, Any] = {}
        self._recording_failure_said = False
        self._connect_lock = asyncio.Lock()
        self._last_timeline: Any = None
        self._stepping_run = False  # inside run(): no clock hold between its steps
        super().__init__(echo=echo)
        self._register()

    # -- identity, re-run cleanup ------------------------------------------------------------------------

    def _target_key(self) -> str:
        if self._given_session is not None:
            return f"session:{id(self._given_session)}"
        return f"url:{self.url}"

    def _register(self) -> None:
        key = (self.app, self._target_key())
        old = _LIVE.get(key)
        if old is not None and old is not self and not old._closed:
            # The cell that built this scenario ran again: the old one must not keep a call up.
            old.close()
        _LIVE[key] = self

    # -- session and events --------------------------------------------------------------------------

    @property
    def timeline(self) -> Any:
        """The run's timeline: the session's, kept readable after the scenario closed its own session."""
        s = self.session
        return getattr(s, "timeline", None) if s is not None else self._last_timeline

    async def setup(self) -> None:
        self._events = []
        self._changed = asyncio.Event()
        self.channel = None
        self.channel_id = ""
        self.channel_name = ""
        self.playback = None
        self.marks = {}
        self._left = False
        self._started_at = None
        self._call_audio = None
        self._snoops = {}
        self._recording_failure_said = False
        await self.prepare_async()
        self._on("*", self._collect)
        self._install_handlers()

    async def prepare_async(self) -> None:
        """Connect the scenario's own session (once; concurrent callers share the connect)."""
        async with self._connect_lock:
            if self.session is not None or self._closed:
                return
            import arinb

            assert self.url is not None
            self.session = await arinb.connect(
                self.url, self._username, self._password, apps=self.app, subscribe_all=False
            )
        self._notify("session")

    def _install_handlers(self) -> None:
        """Register the app's own handlers (the docs' printed lines) with :meth:`_on`."""

    def _on(self, event_type: str, handler: Callable[[Any], Any]) -> None:
        """``session.on`` for this run only: removed again by cleanup, and filtered to this app's channel."""

        def guarded(event: Any) -> Any:
            if handler != self._collect and not self._mine(event):
                return None
            return handler(event)

        self.session.on(event_type, guarded)
        self._handlers.append((event_type, guarded))

    def _mine(self, event: Any) -> bool:
        app = _field(event, "application")
        if app and app != self.app:
            return False
        ch = _field(event, "channel")
        if ch is not None and is_snoop(_part(event, "channel")):
            return False  # a snoop channel (the call's recording, or someone listening) is not the call
        rec = _part(event, "recording")
        if rec is not None:
            return bool(self.channel_id) and _field(rec, "target_uri") == f"channel:{self.channel_id}"
        if not self.channel_id:
            return True
        if ch is not None:
            return bool(_field(ch, "id") == self.channel_id)
        pb = _part(event, "playback")
        if pb is not None:
            return bool(_field(pb, "target_uri") == f"channel:{self.channel_id}")
        return True

    def _collect(self, event: Any) -> None:
        audio = self._call_audio
        if (
            audio is not None
            and audio.recorded
            and _field(event, "type") == "RecordingStarted"
            and _field(_part(event, "recording"), "name") == audio.recording_name
        ):
            audio.recording_started = self.clock.now()
            if self._changed is not None:
                self._changed.set()
        self._track_snoop(event)
        if not self._mine(event):
            return
        if self.channel_id == "" and _field(event, "type") == "StasisStart":
            ch = _field(event, "channel")
            self.channel = ch
            self.channel_id = str(_field(ch, "id", ""))
            self.channel_name = str(_field(ch, "name", ""))
            if self._started_at is None:
                self._started_at = _event_time(event)
        if _field(event, "type") == "StasisEnd":
            self._left = True
            if audio is not None:
                audio.end = _event_time(event)
        self._events.append(event)
        if self._changed is not None:
            self._changed.set()
        self._notify("event")

    def _track_snoop(self, event: Any) -> None:
        """Keep the snoop channels on this call that are in the app, to hang them up if recording fails."""
        if not self.channel_id:
            return
        ch = _part(event, "channel")
        if not is_snoop(ch) or not str(_field(ch, "name", "")).startswith(f"Snoop/{self.channel_id}-"):
            return
        kind = _field(event, "type")
        snoop_id = str(_field(ch, "id", ""))
        if kind == "StasisStart":
            self._snoops[snoop_id] = _field(event, "channel")
        elif kind == "StasisEnd":
            self._snoops.pop(snoop_id, None)

    def event_mark(self) -> int:
        return len(self._events)

    def _row(self, event: Any) -> EventRow:
        t0 = self._started_at if self._started_at is not None else _event_time(event)
        ch = _part(event, "channel")
        pb = _part(event, "playback")
        return EventRow(
            t=_event_time(event) - t0,
            type=str(_field(event, "type", "?")),
            detail=describe_event(event),
            channel_id=str(_field(ch, "id", "")) if ch is not None else "",
            playback_id=str(_field(pb, "id", "")) if pb is not None else "",
        )

    def step_events(self, since: int) -> list[EventRow]:
        return [self._row(e) for e in self._events[since:]]

    @property
    def events(self) -> list[EventRow]:
        """Every event of this run's channel and its playbacks, in arrival order."""
        return [self._row(e) for e in self._events]

    async def wait_event(
        self,
        event_type: str,
        where: Callable[[Any], bool] | None = None,
        *,
        within: float | None = None,
        since: int = 0,
    ) -> Any:
        """The first event of ``event_type`` seen at index ``since`` or later (waiting for it).

        ``within`` is in the scenario clock's seconds (the simulator's when it targets one).
        """
        i = since

        def scan() -> Any:
            nonlocal i
            while i < len(self._events):
                ev = self._events[i]
                i += 1
                if _field(ev, "type") == event_type and (where is None or where(ev)):
                    return ev
            return None

        return await self._wait_until(scan, event_type, within)

    async def _wait_until(self, found: Callable[[], Any], what: str, within: float | None) -> Any:
        """Wait until ``found()`` gives something other than None (re-asked after each collected event)."""
        assert self._changed is not None
        seconds = within if within is not None else self.timeout
        budget = self.clock.wall_timeout(seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        nudged, nudge = 0.0, 0.01
        while True:
            result = found()
            if result is not None:
                return result
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0 or nudged > seconds:
                raise AriTimeoutError(f"{self.title}: no {what} arrived within {seconds:g} s")
            if self.clock.manual:
                remaining = min(remaining, 0.02)
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                if self.clock.manual:
                    # Nothing moves on a manual clock unless someone advances it. When nothing is in
                    # flight, move it to its next timer (or a growing nudge), so times stay exact.
                    step = self.clock.until_next_timer(nudge)
                    self.clock._sim_clock.advance(step)
                    nudged += step
                    nudge = min(nudge * 2, 0.5)

    # -- the call ------------------------------------------------------------------------------------

    async def place_call(self) -> Any:
        """Bring the call in: ``sim.call(extension)`` on the simulator, else originate a Local channel."""
        self.marks["call"] = self.clock.now()
        since = len(self._events)
        if not self.originate:
            await self.sim.call(self.extension, caller=self.caller)
        else:
            # formats=slin: without it the Local pair transcodes, and what a snoop records of the call is
            # 6 dB quieter than what Asterisk plays (ASTERISK22.md).
            await self.session.channels.originate(
                endpoint=f"Local/{self.extension}@default",
                context="default",
                extension="wait",
                priority=1,
                timeout=120,
                formats="slin",
            )
        ev = await self.wait_event("StasisStart", since=since)
        self.channel = _field(ev, "channel")
        await self._start_call_audio(ev)
        return ev

    async def _start_call_audio(self, stasis_start: Any) -> None:
        """Make the call's audio available: the media log, or a snoop recording started now."""
        title = f"{self.title}: what {self.channel_name or 'the caller'} heard"
        if self.record_audio:
            name = f"arinb-{self.app}-{uuid.uuid4().hex[:8]}"
            # It never blocks where it is made, and ends with the call's hangup. The step waits until it
            # is recording, so that the app's first playback is in it.
            recording = self.channel.audio(app=self.app, name=name)
            audio = self._call_audio = CallAudio.from_recording(title, self.channel_id, recording, name)

            def started() -> bool | None:
                if recording.done():  # the snoop or the record request failed
                    recording.result()
                return True if audio.recording_started is not None else None

            try:
                await self._wait_until(started, f"RecordingStarted for {name}", 10.0)
            except Exception as exc:
                # The call goes on without us: stop trying, leave no snoop behind, and say why.
                recording.cancel()
                await self._hang_up_snoops()
                self._say_recording_failed(exc)
                raise
            return
        engine = media_log_engine(self.sim)
        if engine is not None:
            # Event timestamps are rounded to the millisecond: start half of one earlier, so that a
            # playback begun at the very instant of StasisStart (a manual clock) is heard whole.
            start = _event_time(stasis_start) - 0.0005
            self._call_audio = CallAudio.from_media_log(title, engine, self.channel_id, start)

    async def _hang_up_snoops(self) -> None:
        """Hang up the snoop channels of this call still in the app (best effort)."""
        for snoop_id, channel in list(self._snoops.items()):
            try:
                hangup = getattr(channel, "hangup", None)
                if hangup is not None:
                    await hangup()
                else:
                    await self.session.request("DELETE", f"/channels/{snoop_id}")
            except AriError:
                pass  # already gone
            self._snoops.pop(snoop_id, None)

    def _say_recording_failed(self, exc: BaseException) -> None:
        """One line saying why the call's recording failed (the error's first line)."""
        text = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {text[0] if text else 'no detail'}"
        self._recording_failure_said = True
        self.say(f"(record_audio: the call's recording failed: {detail})")

    def audio_source(self) -> AudioSource | None:
        audio = self._call_audio
        return audio.clip if audio is not None else None

    def audio_now(self) -> float | None:
        return self.clock.now() if self._call_audio is not None else None

    @property
    def audio_ready(self) -> bool:
        """True when :meth:`audio` answers now (the simulator's media log; a recording once it arrived)."""
        return self._call_audio is not None and self._call_audio.ready

    def _no_audio_reason(self) -> str:
        if self.channel is None:
            return "no call yet (run the first step)"
        return "a real Asterisk has no media log: build the scenario with record_audio=True"

    async def sleep_until_after(self, mark: str, seconds: float) -> None:
        """Wait until ``seconds`` after ``marks[mark]`` on the scenario clock (the docs' timers).

        Run whole, this is exactly the docs' timer; stepped by hand, a slow reader waits no longer.
        """
        await self.clock.sleep_until(self.marks.get(mark, self.clock.now()) + seconds)

    async def cleanup(self) -> None:
        session = self.session
        if session is not None and self.channel is not None and not self._left:
            try:
                await self.channel.hangup()
            except AriError:
                pass  # already gone
            try:
                await self.wait_event("StasisEnd", within=2.0)
            except AriError:
                pass
        if self._call_audio is not None and session is not None:
            # The snoop ended with the call; its recording is fetched (and deleted) before the session goes.
            audio = self._call_audio
            await audio.finish(within=5.0)
            if audio.error is not None and not self._recording_failure_said:
                self._say_recording_failed(audio.error)
        if session is not None and self._snoops:
            await self._hang_up_snoops()
        for event_type, handler in self._handlers:
            off = getattr(session, "off", None)
            if off is not None:
                try:
                    off(event_type, handler)
                except Exception:
                    pass
        self._handlers = []
        if session is not None and self._given_session is None:
            # A finished run closes its own session (its timeline stays readable as ``timeline``): a
            # notebook that connects the same app next must not race a connection still open.
            self._last_timeline = getattr(session, "timeline", None)
            self.session = None
            await session.close()

    async def _next(self) -> StepResult:
        # Step mode: the simulator's time runs only while a step does (see ScenarioClock.hold).
        self.clock.hold(False)
        result = await super()._next()
        if result.status == "done" and not self.finished and not self._stepping_run and not self._closed:
            self.clock.hold(True)
        return result

    async def _run(self) -> RunResult:
        self._stepping_run = True
        try:
            return await super()._run()
        finally:
            self._stepping_run = False

    async def _reset(self) -> None:
        self.clock.hold(False)
        await super()._reset()
        # The previous call's events and timeline go with it (a view after Reset shows nothing old).
        self._events = []
        self._last_timeline = None
        self._started_at = None

    # -- checking ------------------------------------------------------------------------------------

    def check(self) -> Check:
        names = {"name": self.channel_name or "?"}
        return Check(
            expected_events=list(self.expected_events),
            events=[str(_field(e, "type")) for e in self._events],
            expected_lines=[line.format(**names) for line in self.expected_lines],
            lines=list(self.lines),
        )

    def _where(self) -> str:
        on = "the simulator" if self.sim is not None else "a real Asterisk" if self.url else "your session"
        return f"(app {self.app}, extension {self.extension}, on {on})"

    def __repr__(self) -> str:
        where = "simulator" if self.sim is not None else (self.url or "session")
        now = "finished" if self.finished else f"next: {self.steps[self.index].name}"
        return f"<{type(self).__name__} app={self.app!r} ext={self.extension} on {where}; {now}>"


def channel_name(event: Any) -> str:
    """The name of the channel an event is about (the docs' ``channel.json.get('name')``)."""
    return str(_field(_part(event, "channel"), "name", "?"))


def channel_state_of(event: Any) -> str:
    """The channel's state as the event reported it (the docs' ``channel.json.get('state')``)."""
    return str(_field(_part(event, "channel"), "state", "?"))


def matches_state(state: str) -> Callable[[Any], bool]:
    """A predicate for ``ChannelStateChange`` events that reach ``state``."""
    return lambda ev: channel_state_of(ev) == state


def iter_lines(results: Iterable[StepResult]) -> list[str]:
    return [line for r in results for line in r.lines]
