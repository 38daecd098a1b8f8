"""Exercises: the student writes the ARI docs' apps as handlers; one call checks each against Asterisk.

:func:`check` runs the student's app (a function that registers handlers on a session) on the embedded
simulator, places the call, and compares what happened with the real Asterisk 22 run captured in
``arinb/scenarios/reference/``: the events, their order, their timing (from StasisStart, in simulated
seconds) and the printed lines. The result names the first difference and, for the common mistakes, a hint
(answering while the tone plays, hanging up too early, a missing playback id). It renders in the notebook
and carries a machine-readable copy that ``arinb grade FOLDER`` reads from executed notebooks.

>>> def tones_app(session, sleep):                      # doctest: +SKIP
...     def stasis_start(event):
...         print(f"Channel {event.channel.name} has entered the application")
...         ...
...     session.on("StasisStart", stasis_start)
>>> await arinb.scenarios.exercises.check("tones", tones_app, sim)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import gc
import html
import inspect
import json
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from arinb.errors import AriError, AriUsageError
from arinb.loop import Call, EngineLoop
from arinb.models import parse_timestamp
from arinb.scenarios.answer import Answer
from arinb.scenarios.base import AppScenario, ScenarioClock
from arinb.scenarios.listen import is_snoop
from arinb.scenarios.monkeys import Monkeys
from arinb.scenarios.tones import Tones

__all__ = ["EXERCISES", "MIME_TYPE", "Exercise", "ExerciseResult", "check", "reference_events"]

#: the mime type of the result's machine-readable copy in a notebook's outputs (read by ``arinb grade``)
MIME_TYPE = "application/vnd.arinb.exercise+json"
REFERENCE = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Exercise:
    """One exercise: the docs' app, its extension, the real run it is checked against, and its hints."""

    name: str
    scenario: type[AppScenario]
    trace: str
    #: the hint when the call hung up before Asterisk's run did
    early_hangup_hint: str

    @property
    def app(self) -> str:
        return self.scenario.app

    @property
    def extension(self) -> str:
        return self.scenario.extension


EXERCISES: dict[str, Exercise] = {
    "tones": Exercise(
        "tones",
        Tones,
        "tones.json",
        "the docs stop the tone and answer 8 s after StasisStart, then hang up 1 s after the answer "
        "(await sleep(8) ... await sleep(1) before channel.hangup()).",
    ),
    "answer": Exercise(
        "answer",
        Answer,
        "channel-state.json",
        "the docs answer 2 s after StasisStart and hang up 4 s after the answer "
        "(await sleep(2) ... await sleep(4) before channel.hangup()).",
    ),
    "monkeys": Exercise(
        "monkeys",
        Monkeys,
        "monkeys.json",
        "hang up when the monkeys have finished: in the playback's PlaybackFinished handler, not before.",
    ),
}

HINT_ANSWER_WHILE_PLAYING = (
    "you answered while the tone was still playing: on Asterisk an answer waits behind the playback in "
    "progress, and a tone never ends by itself. Stop it first: await playback.stop(), then channel.answer()."
)
HINT_MISSING_PLAYBACK = (
    "Asterisk answered 'Playback not found': the playback id you used is not the one you played. Keep the "
    "Playback that channel.play(...) returns (or pass playback_id= and reuse that same id)."
)
HINT_NEVER_ENDED = "the call never ended: your app must hang it up (await channel.hangup())."
#: the hint when the call stopped short of an event: what makes Asterisk send it
HINT_MISSING_EVENT = {
    "PlaybackStarted": "nothing was played: channel.play(media, playback_id=...) starts a playback.",
    "PlaybackFinished": "the playback never finished: a tone plays until stopped (await playback.stop()).",
    "ChannelStateChange": "the channel was never answered: await channel.answer() brings it Up.",
    "ChannelHangupRequest": HINT_NEVER_ENDED,
    "StasisEnd": HINT_NEVER_ENDED,
}
HINT_HANDLER_FAILED = "a handler of yours raised an exception (shown above): fix it and run the check again."


@dataclass(frozen=True)
class Seen:
    """One event of the run: its type and seconds after StasisStart (server time)."""

    type: str
    t: float


@cache
def reference_events(name: str) -> tuple[Seen, ...]:
    """The app channel's events in Asterisk's captured run of exercise ``name`` (times from StasisStart).

    >>> [(e.type, round(e.t)) for e in reference_events("answer")]
    [('StasisStart', 0), ('ChannelStateChange', 2), ('ChannelHangupRequest', 6), ('StasisEnd', 6)]
    """
    trace = json.loads((REFERENCE / EXERCISES[name].trace).read_text())
    events = [json.loads(s["raw"]) for s in trace["steps"] if s.get("kind") == "event"]
    t0 = next(parse_timestamp(e["timestamp"]) for e in events if e["type"] == "StasisStart")
    return tuple(Seen(e["type"], round(parse_timestamp(e["timestamp"]) - t0, 3)) for e in events)


@dataclass
class ExerciseResult:
    """What :func:`check` found. Truthy when the app did what Asterisk did; renders as a table."""

    exercise: str
    passed: bool
    difference: str
    hint: str
    expected: list[Seen]
    events: list[Seen]
    expected_lines: list[str]
    lines: list[str]
    tolerance: float
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def as_json(self) -> dict[str, Any]:
        """The machine-readable copy kept in the notebook (what ``arinb grade`` reads)."""
        return {
            "exercise": self.exercise,
            "passed": self.passed,
            "difference": self.difference,
            "hint": self.hint,
        }

    def __repr__(self) -> str:
        if self.passed:
            return f"<exercise {self.exercise}: passed, as Asterisk did it>"
        text = f"<exercise {self.exercise}: NOT YET: {self.difference}"
        return text + (f"\n  hint: {self.hint}>" if self.hint else ">")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": repr(self), "text/html": self._html(), MIME_TYPE: self.as_json()}

    def _html(self) -> str:
        e = html.escape
        if self.passed:
            head = (
                f"<div class='arinb-exercise-passed' style='color:#2e7d32'><b>✔ {e(self.exercise)}</b>: "
                "passed: same events, order, timing and printed lines as Asterisk's run.</div>"
            )
        else:
            head = (
                f"<div class='arinb-exercise-failed' style='color:#a15c00'><b>✘ {e(self.exercise)}</b>: "
                f"not yet. {e(self.difference)}</div>"
            )
            if self.hint:
                head += f"<div style='margin:2px 0'><b>Hint:</b> {e(self.hint)}</div>"
        for err in self.errors:
            head += f"<pre style='color:#a15c00;margin:2px 0'>{e(err)}</pre>"
        rows = []
        for i in range(max(len(self.expected), len(self.events))):
            exp = self.expected[i] if i < len(self.expected) else None
            got = self.events[i] if i < len(self.events) else None
            same = exp is not None and got is not None and exp.type == got.type
            good = same and exp is not None and got is not None and abs(exp.t - got.t) <= self.tolerance
            style = "" if good else " style='color:#a15c00'"
            rows.append(
                f"<tr{style}><td>{e(exp.type) if exp else ''}</td>"
                f"<td style='text-align:right'>{f'{exp.t:.2f}' if exp else ''}</td>"
                f"<td>{e(got.type) if got else ''}</td>"
                f"<td style='text-align:right'>{f'{got.t:.2f}' if got else ''}</td></tr>"
            )
        table = (
            "<table style='font-size:90%'><tr><th>Asterisk sent</th><th>at (s)</th><th>your app</th>"
            "<th>at (s)</th></tr>" + "".join(rows) + "</table>"
        )
        lines = (
            "<pre style='margin:2px 0;padding:4px;background:#f6f8fa'>" + e("\n".join(self.lines)) + "</pre>"
        )
        return head + table + (lines if self.lines else "")


class _Tee:
    """sys.stdout while a check runs: what the app prints is shown as usual and kept, line by line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lines: list[str] = []
        self._partial = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._partial += text
            *done, self._partial = self._partial.split("\n")
            self.lines.extend(done)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)


class _Errors(logging.Handler):
    """Collects the errors arinb logs while a check runs (a handler of the student's that raised)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__name__}: {exc}"
        self.messages.append(text)


def _call_app(app: Callable[..., Any], session: Any, sleep: Callable[[float], Any]) -> Any:
    try:
        params = inspect.signature(app).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    return app(session, sleep) if len(params) >= 2 else app(session)


def check(exercise: str, app: Callable[..., Any], sim: Any, *, caller: str = "alice") -> Call[ExerciseResult]:
    """Run ``app`` (``app(session, sleep)`` registers handlers) on ``sim`` and compare with Asterisk's run.

    ``exercise`` is ``"tones"``, ``"answer"`` or ``"monkeys"``. ``sleep`` waits in the simulator's
    seconds. Await it in a notebook (or ``.result()`` in a script): an :class:`ExerciseResult`.
    """
    if exercise not in EXERCISES:
        raise AriUsageError(f"no exercise {exercise!r}: choose one of {', '.join(EXERCISES)}")
    if not callable(app):
        raise AriUsageError("pass your app: a function app(session, sleep) that registers handlers")
    return EngineLoop.shared().call(_check(EXERCISES[exercise], app, sim, caller), label=f"check {exercise}")


class _Run:
    """The state of one check's call (filled by a wildcard handler on the engine loop)."""

    def __init__(self) -> None:
        self.channel_id = ""
        self.channel_name = "?"
        self.t0: float | None = None
        self.events: list[Seen] = []
        self.ended = asyncio.Event()

    def collect(self, event: Any) -> None:
        ch = event.channel
        if ch is not None and is_snoop(ch):
            return
        if not self.channel_id and event.type == "StasisStart" and ch is not None:
            self.channel_id, self.channel_name = ch.id, ch.name
        if ch is None or ch.id != self.channel_id:
            return
        ts = event.raw.get("timestamp")
        at = parse_timestamp(ts) if isinstance(ts, str) else event.received_at
        if self.t0 is None:
            self.t0 = at
        self.events.append(Seen(event.type, round(at - self.t0, 3)))
        if event.type == "StasisEnd":
            self.ended.set()


async def _check(spec: Exercise, app: Callable[..., Any], sim: Any, caller: str) -> ExerciseResult:
    import arinb

    if not hasattr(sim, "call") or not hasattr(sim, "clock"):
        raise AriUsageError("check(...) runs your app on the embedded simulator: pass sim (arinb.simulate())")
    clock = ScenarioClock(sim.clock)
    if clock.manual:
        # Nothing would move the simulator's time while the app waits for a playback to end.
        raise AriUsageError("check(...) needs a running clock: arinb.simulate(speed=4), not clock='manual'")
    expected = list(reference_events(spec.name))
    # How far a time may be off: the capture's own jitter, plus scheduling slack on a sped-up clock.
    tolerance = 0.3 + 0.04 * clock.speed
    errors = _Errors()
    # A handler that raises (logged by arinb.client) or a task of the app that failed unseen (logged by
    # asyncio): shown in the result, not as stderr.
    logs = [logging.getLogger("arinb.client"), logging.getLogger("asyncio")]
    propagates = [log.propagate for log in logs]
    for log in logs:
        log.addHandler(errors)
        log.propagate = False
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    run = _Run()
    events: list[Seen] = []
    ended = False
    requests: list[tuple[str, str, int, str]] = []
    session = None
    try:
        session = await arinb.connect(sim.url, sim.username, sim.password, apps=spec.app, subscribe_all=False)
        session.on("*", run.collect)
        _call_app(app, session, clock.sleep)
        await sim.call(spec.extension, caller=caller)
        budget = clock.wall_timeout(expected[-1].t + 5.0)
        try:
            await asyncio.wait_for(run.ended.wait(), budget)
            await clock.sleep(0.2)  # a line printed in the StasisEnd handler
        except TimeoutError:
            pass
        events, ended = list(run.events), run.ended.is_set()
        if not ended and run.channel_id:
            # The app left the call up: hang it up, so that a request stuck behind it ends too.
            try:
                await session.channels.channel(run.channel_id).hangup()
                await asyncio.wait_for(run.ended.wait(), clock.wall_timeout(2.0))
            except (AriError, TimeoutError):
                pass
        requests = _timeline_rows(session)
    finally:
        sys.stdout = tee.out
        if session is not None:
            await session.close()
        gc.collect()  # a failed task of the app that nobody awaited reports itself now, not later
        for log, propagate in zip(logs, propagates, strict=True):
            log.removeHandler(errors)
            log.propagate = propagate
    run.events = events
    expected_lines = [line.format(name=run.channel_name) for line in spec.scenario.expected_lines]
    lines = [line for line in tee.lines if line.strip()]
    difference, hint = _first_difference(
        spec, expected, events, ended, expected_lines, lines, requests, tolerance
    )
    if errors.messages and not hint:
        hint = HINT_HANDLER_FAILED
    return ExerciseResult(
        spec.name,
        not difference and not errors.messages,
        difference or ("; ".join(errors.messages) if errors.messages else ""),
        hint,
        expected,
        events,
        expected_lines,
        lines,
        tolerance,
        errors.messages,
    )


def _timeline_rows(session: Any) -> list[tuple[str, str, int, str]]:
    """The session's requests and events as (kind, "METHOD path", status, event type), by the time each
    request went out or each event arrived (a request stuck behind a playback is logged when it ends)."""
    df = session.timeline.df
    rows = []
    for kind, typ, method, path, status, sent_at, received_at in zip(
        df["kind"], df["type"], df["method"], df["path"], df["status"], df["sent_at"], df["received_at"],
        strict=False,
    ):  # fmt: skip
        if kind == "request":
            rows.append(
                (
                    sent_at,
                    (
                        "request",
                        f"{method} {path}",
                        0 if status is None or status != status else int(status),
                        "",
                    ),
                )
            )
        elif kind == "event":
            rows.append((received_at, ("event", "", 0, str(typ))))
    rows.sort(key=lambda r: r[0].value if hasattr(r[0], "value") else 0)
    return [r for _, r in rows]


def _first_difference(
    spec: Exercise,
    expected: list[Seen],
    got: list[Seen],
    ended: bool,
    expected_lines: list[str],
    lines: list[str],
    requests: list[tuple[str, str, int, str]],
    tolerance: float,
) -> tuple[str, str]:
    """The first way the run differs from Asterisk's (empty when none), and the hint for it."""
    hint = ""
    if any(
        kind == "request" and status == 404 and "/playbacks/" in what for kind, what, status, _ in requests
    ):
        hint = HINT_MISSING_PLAYBACK
    elif _answered_while_playing(requests) or _tone_never_stopped(got, ended, requests):
        hint = HINT_ANSWER_WHILE_PLAYING
    for i, exp in enumerate(expected):
        seen = got[i] if i < len(got) else None
        if seen is None:
            diff = f"event {i + 1}: Asterisk sent {exp.type} at {exp.t:.2f} s; your call sent nothing more"
            if not hint and not ended:
                hint = HINT_MISSING_EVENT.get(exp.type, HINT_NEVER_ENDED)
            return diff, hint
        if seen.type != exp.type:
            diff = f"event {i + 1}: Asterisk sent {exp.type} at {exp.t:.2f} s; your call sent {seen.type}"
            if not hint and seen.type == "ChannelHangupRequest":
                hint = "you hung up too early: " + spec.early_hangup_hint
            return diff, hint
        if abs(seen.t - exp.t) > tolerance:
            diff = f"{exp.type} came at {seen.t:.2f} s; Asterisk sent it at {exp.t:.2f} s (±{tolerance:.2f})"
            if not hint and seen.type in ("ChannelHangupRequest", "StasisEnd") and seen.t < exp.t:
                hint = "you hung up too early: " + spec.early_hangup_hint
            elif not hint:
                hint = "the docs' timers: " + spec.early_hangup_hint
            return diff, hint
    if len(got) > len(expected):
        return f"after the {len(expected)} events Asterisk sent, yours sent {got[len(expected)].type}", hint
    for i, want in enumerate(expected_lines):
        line = lines[i] if i < len(lines) else None
        if line != want:
            printed = "nothing" if line is None else repr(line)
            return f"printed line {i + 1}: the docs print {want!r}; yours printed {printed}", hint
    if len(lines) > len(expected_lines):
        return f"an extra printed line: {lines[len(expected_lines)]!r}", hint
    return "", ""


def _answered_while_playing(rows: list[tuple[str, str, int, str]]) -> bool:
    """True when an answer request went out while a playback of the call had started and not finished."""
    playing = 0
    for kind, what, _status, typ in rows:
        if kind == "event" and typ == "PlaybackStarted":
            playing += 1
        elif (kind == "event" and typ == "PlaybackFinished") or (
            kind == "request" and what.startswith("DELETE") and "/playbacks/" in what
        ):  # finished, or stopped: the answer that follows the stop is the docs' way
            playing = max(playing - 1, 0)
        elif kind == "request" and what.startswith("POST") and what.endswith("/answer") and playing:
            return True
    return False


def _tone_never_stopped(got: list[Seen], ended: bool, rows: list[tuple[str, str, int, str]]) -> bool:
    """True when a playback started, was never stopped, and the call then stood still until the deadline.

    An answer stuck behind a playback never replies, so the timeline has no row for it: this is how the
    stuck answer shows from outside.
    """
    types = [e.type for e in got]
    stopped = any(
        kind == "request" and what.startswith("DELETE") and "/playbacks/" in what for kind, what, _, _ in rows
    )
    return "PlaybackStarted" in types and "PlaybackFinished" not in types and not ended and not stopped
