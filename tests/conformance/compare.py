"""The comparer: a replay against its trace, step by step, with a readable first divergence.

Compared, after normalization (``normalize.py``):

* every trace observation arrived (events, responses, handshakes), and nothing else did;
* order: two observations arrive in the trace's order unless ``allowances.ORDER_ALLOWANCES`` lets them swap;
* events: type and every field; responses: status, reason phrase, media type, ``WWW-Authenticate``, body
  (``body_summary``: count and the summarised items; binary: headers, WAV header, length as duration);
* timing, in target time: each observation's delay after the client action that precedes it in the trace
  (the request that caused it) within ``max(50 ms, 5 %)`` of the capture's; each event's ``timestamp``
  and each ``creationtime`` made during the scenario, relative to the scenario start, within the same
  tolerance; on a running clock, plus the time the replay's own loop stood still in between (from the
  action that made the value: ``Recording.stalls``, a loaded machine, not the target, made that delay);
* WebSocket connect attempts (handshake status) and the socket states some notes recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .allowances import (
    about_lost_recording,
    capture_latency,
    event_value_alternatives,
    order_allowance,
    racy_extra_event,
    racy_outcome,
    racy_recordings,
    real_server_race,
    value_alternatives,
)
from .matching import Observation
from .media import frame_checks, media_content
from .normalize import TIME_KEYS, UNORDERED_LISTS, diff, parse_time
from .replay import Recording
from .trace import Step

__all__ = ["Divergence", "Report", "compare", "tolerance"]

ABS_TOLERANCE = 0.050
REL_TOLERANCE = 0.05


def tolerance(gap: float) -> float:
    """Allowed timing error for something ``gap`` seconds after its reference: 50 ms or 5 %."""
    return max(ABS_TOLERANCE, REL_TOLERANCE * abs(gap))


@dataclass(frozen=True)
class Divergence:
    """One way the replay differs from the trace, placed at a trace step."""

    position: float  # trace step index (x.5 = between steps) for sorting
    kind: str  # missing | unexpected | order | content | status | timing | timestamp | connect | note
    step: int | None
    message: str
    details: tuple[str, ...] = ()
    seq: int | None = None  # the replay observation it is about, if any

    def __str__(self) -> str:
        where = f"step #{self.step}" if self.step is not None else "replay"
        lines = [f"[{self.kind}] {where}: {self.message}"]
        lines += [f"      {d}" for d in self.details]
        return "\n".join(lines)


@dataclass
class Report:
    """The outcome of :func:`compare`: ``ok``, the sorted ``divergences`` and :meth:`format`."""

    recording: Recording
    divergences: list[Divergence] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.divergences

    @property
    def first(self) -> Divergence | None:
        return self.divergences[0] if self.divergences else None

    def kinds(self) -> set[str]:
        return {d.kind for d in self.divergences}

    def format(self, context: int = 4, limit: int = 12) -> str:
        rec = self.recording
        trace = rec.trace
        if self.ok:
            return f"trace {trace.name!r} on {rec.target}: conforms ({len(rec.observations)} observations)"
        first = self.divergences[0]
        lines = [
            f"trace {trace.name!r} on {rec.target}: {len(self.divergences)} divergence(s); first:",
            f"  {first}",
        ]
        if rec.aborted:
            lines.append(f"  replay stopped early: {rec.aborted}")
        where = first.step if first.step is not None else int(first.position)
        if where >= 0:
            lo, hi = max(0, where - context), min(len(trace.steps), where + 3)
            lines.append("  trace around it (expected):")
            for s in trace.steps[lo:hi]:
                mark = ">>" if s.index == first.step else "  "
                got = rec.time_of(s.index)
                when = f"  [replay t={got:.4f}]" if got is not None else "  [not in replay]"
                lines.append(f"   {mark} {rec.ids.trace_text(s.label())}{when}")
        lines.append("  replay around it (arrival order, ids as trace placeholders):")
        for obs in self._replay_window(first, context):
            paired = f"= #{obs.paired}" if obs.paired is not None else "(unpaired)"
            mark = ">>" if obs.seq == first.seq else "  "
            lines.append(f"   {mark} {obs.label(rec.ids)}  {paired}")
        if len(self.divergences) > 1:
            lines.append("  further divergences:")
            for d in self.divergences[1:limit]:
                lines.append("    " + str(d).replace("\n", "\n    "))
            if len(self.divergences) > limit:
                lines.append(f"    ... and {len(self.divergences) - limit} more")
        return "\n".join(lines)

    def _replay_window(self, first: Divergence, context: int) -> list[Observation]:
        obs = [o for o in self.recording.observations if not o.informational or o.kind != "ws_connected"]
        if not obs:
            return []
        centre = 0
        for k, o in enumerate(obs):
            if first.seq is not None:
                if o.seq == first.seq:
                    centre = k
            elif o.paired is not None and first.step is not None and o.paired <= first.step:
                centre = k
        return obs[max(0, centre - context) : centre + context + 1]


def compare(rec: Recording) -> Report:
    """Compare a :class:`~replay.Recording` with its trace."""
    report = Report(rec)
    out: list[Divergence] = []
    out += _missing_and_content(rec)
    out += _unexpected(rec)
    out += _order(rec)
    out += _timing(rec)
    out += _attempts_and_notes(rec)
    kind_rank = {"missing": 0, "order": 1, "status": 2, "content": 3, "timing": 4, "timestamp": 5}
    out.sort(key=lambda d: (d.position, kind_rank.get(d.kind, 9)))
    report.divergences = out
    return report


# -- presence and content ------------------------------------------------------------------------------
def _missing_and_content(rec: Recording) -> Iterable[Divergence]:
    trace, ids = rec.trace, rec.ids
    lost = frozenset(rec.lost_recordings)
    for step in trace.observations():
        obs = rec.matcher.paired.get(step.index)
        label = ids.trace_text(step.label())
        request = trace.steps[trace.request_of[step.index]] if step.index in trace.request_of else None
        if about_lost_recording(step, request, lost) and (
            obs is None or (step.kind == "response" and obs.data.get("status") == 404)
        ):
            continue  # a racy recording the capture started and the replay did not (allowances.py)
        if obs is None:
            why = f" (replay stopped: {rec.aborted})" if rec.aborted else ""
            yield Divergence(step.index, "missing", step.index, f"expected {label}, never arrived{why}")
            continue
        if step.kind == "event":
            expected = ids.normalize(step.event, side="trace")
            got = ids.normalize(obs.data.get("event"), side="replay")
            for key, values in event_value_alternatives(step.event).items():
                got = _accept_alternative(expected, got, key.split("."), values)
            diffs = diff(expected, got)
            if diffs:
                yield Divergence(
                    step.index, "content", step.index, f"{label}: event differs", tuple(map(str, diffs))
                )
        elif step.kind == "response":
            yield from _response(rec, step, obs, label)
        elif step.kind.startswith("media_ws"):
            problems = media_content(ids, step, obs)
            if problems:
                yield Divergence(step.index, "content", step.index, f"{label}: differs", tuple(problems))


def _response(rec: Recording, step: Step, obs: Observation, label: str) -> Iterable[Divergence]:
    ids, exp, got = rec.ids, step.data, obs.data
    if "error" in got:
        yield Divergence(step.index, "status", step.index, f"{label}: request failed: {got['error']}")
        return
    request = rec.trace.steps[rec.trace.request_of[step.index]]
    if got.get("status") != exp.get("status") and racy_outcome(rec.trace, request, int(got.get("status", 0))):
        return  # the other side of a documented race (allowances.py): its body says nothing
    if got.get("status") != exp.get("status") or (
        exp.get("reason") and got.get("reason") != exp.get("reason")
    ):
        yield Divergence(
            step.index,
            "status",
            step.index,
            f"{label}: expected {exp.get('status')} {exp.get('reason')!r}, "
            f"got {got.get('status')} {got.get('reason')!r}",
            (f"body: {json.dumps(got.get('body'))[:200]}",),
        )
        return
    problems: list[str] = []
    want_type, have_type = _mime(exp.get("content_type")), _mime(got.get("content_type"))
    if want_type != have_type:
        problems.append(f"Content-Type: expected {want_type}, got {have_type}")
    if "www_authenticate" in exp:
        have = (got.get("headers") or {}).get("WWW-Authenticate")
        if have != exp["www_authenticate"]:
            problems.append(f"WWW-Authenticate: expected {exp['www_authenticate']!r}, got {have!r}")
    if "body_summary" in exp:
        problems += _summary(rec, exp["body_summary"], got.get("body"))
    elif "body_length" in exp:
        problems += _binary(exp, got)
    else:
        want_body = exp["body"] if "body" in exp else _parse(exp.get("raw_body"))
        unordered = bool(UNORDERED_LISTS.match(f"{request.method} {request.path}"))
        expected = ids.normalize(want_body, side="trace", unordered=unordered)
        have_body = got.get("body")
        if (
            request.method == "GET"
            and request.path == "/ari/recordings/stored"
            and isinstance(have_body, list)
        ):
            extra = racy_recordings(rec.trace)  # stored by records that won a race the capture's lost
            have_body = [r for r in have_body if not (isinstance(r, dict) and r.get("name") in extra)]
        if "body_error" in got:
            problems.append(f"body is not JSON: {got.get('raw_body', '')[:120]!r}")
        actual = ids.normalize(have_body, side="replay", unordered=unordered)
        if rec.real and request.path.startswith("/ari/sounds"):
            expected = _installed_languages_only(expected, actual)
        alternatives = value_alternatives(request, int(exp["status"]))
        if isinstance(expected, dict) and isinstance(actual, dict):
            for key, values in alternatives.items():
                actual = _accept_alternative(expected, actual, key.split("."), values)
        problems += map(str, diff(expected, actual))
    if problems:
        yield Divergence(step.index, "content", step.index, f"{label}: response differs", tuple(problems))


def _mime(value: Any) -> str | None:
    return None if value is None else str(value).split(";")[0].strip().lower()


def _parse(raw: Any) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _summary(rec: Recording, summary: dict[str, Any], body: Any) -> list[str]:
    if not isinstance(body, list):
        return [f"expected a list of {summary.get('count')} items, got {json.dumps(body)[:120]}"]
    problems = []
    if len(body) != summary.get("count"):
        problems.append(f"count: expected {summary.get('count')}, got {len(body)}")
    listed = [
        json.dumps(rec.ids.normalize(x, side="replay", path=""), sort_keys=True)
        for x in _sorted_formats(body)
    ]
    for item in _sorted_formats(summary.get("first3") or []):
        item = rec.ids.normalize(item, side="trace")
        if rec.real:
            item = _installed_languages_only(item, [json.loads(x) for x in listed])
        text = json.dumps(item, sort_keys=True)
        if text not in listed:
            problems.append(f"listed item missing or different: {text[:160]}")
    return problems


def _installed_languages_only(expected: Any, actual: Any) -> Any:
    """A real Asterisk lists the sound languages installed on its machine, which are not the capture's.

    The capture machine had ``en_US`` and ``en_US_f_Allison`` sounds besides Debian's ``en``; one built
    by ``real-asterisk.sh`` has only ``en``. Keep the expected formats of the languages the replay lists.
    """
    items = actual if isinstance(actual, list) else [actual]
    have = {
        f.get("language")
        for x in items
        if isinstance(x, dict)
        for f in x.get("formats") or []
        if isinstance(f, dict)
    }

    def keep(item: Any) -> Any:
        if not isinstance(item, dict) or not isinstance(item.get("formats"), list):
            return item
        return {**item, "formats": [f for f in item["formats"] if f.get("language") in have]}

    return [keep(x) for x in expected] if isinstance(expected, list) else keep(expected)


def _sorted_formats(items: list[Any]) -> list[Any]:
    # The sound list is a container listing: neither the items nor each item's formats have an order.
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("formats"), list):
            item = {**item, "formats": sorted(item["formats"], key=lambda f: json.dumps(f, sort_keys=True))}
        out.append(item)
    return out


def _binary(exp: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    want_h, have_h = exp.get("headers") or {}, got.get("headers") or {}
    for name in ("Content-Type", "Cache-Control"):
        if name in want_h and have_h.get(name) != want_h[name]:
            problems.append(f"{name}: expected {want_h[name]!r}, got {have_h.get(name)!r}")
    head_want, head_got = (
        bytes.fromhex(exp.get("body_head_hex", "")),
        bytes.fromhex(got.get("body_head_hex", "")),
    )
    if head_want[:4] == b"RIFF":
        # All but the size fields (bytes 4-8 and 40-44) is the format: RIFF/WAVE, PCM, mono, 8 kHz, 16 bit.
        for lo, hi in ((0, 4), (8, 40)):
            if head_want[lo:hi] != head_got[lo:hi]:
                problems.append(
                    f"WAV header bytes {lo}-{hi}: expected {head_want[lo:hi].hex()}, "
                    f"got {head_got[lo:hi].hex()}"
                )
        rate = int.from_bytes(head_want[28:32], "little") or 16000  # bytes per second
        want_s = (exp["body_length"] - 44) / rate
        have_s = (int(got.get("body_length", 0)) - 44) / rate
        if abs(have_s - want_s) > tolerance(want_s):
            problems.append(
                f"audio length: expected {want_s:.3f} s ({exp['body_length']} bytes), got {have_s:.3f} s"
            )
        if len(head_got) >= 44:
            riff = int.from_bytes(head_got[4:8], "little")
            data = int.from_bytes(head_got[40:44], "little")
            n = int(got.get("body_length", 0))
            if riff != n - 8 or data != n - 44:
                problems.append(f"WAV sizes inconsistent with {n} bytes: RIFF {riff}, data {data}")
    elif exp.get("body_length") != got.get("body_length"):
        problems.append(f"body length: expected {exp.get('body_length')}, got {got.get('body_length')}")
    return problems


def _accept_alternative(expected: Any, actual: Any, path: list[str], values: frozenset[Any]) -> Any:
    """``actual`` with the field at ``path`` (dotted in allowances.py) set to the expected value when both
    are accepted alternatives."""
    if not isinstance(expected, dict) or not isinstance(actual, dict) or path[0] not in actual:
        return actual
    key = path[0]
    if len(path) > 1:
        return {**actual, key: _accept_alternative(expected.get(key), actual[key], path[1:], values)}
    if expected.get(key) in values and actual.get(key) in values:
        return {**actual, key: expected[key]}  # an accepted alternative (allowances.py)
    return actual


# -- extra observations --------------------------------------------------------------------------------
def _unexpected(rec: Recording) -> Iterable[Divergence]:
    last_paired = -1.0
    for obs in rec.observations:
        if obs.paired is not None and obs.kind != "ws_connect_attempt":
            last_paired = max(last_paired, float(obs.paired))
            continue
        if obs.informational:
            continue
        if obs.kind == "event" and racy_extra_event(rec.trace, obs.data.get("event") or {}):
            continue  # a recording that started because the replay won a documented race
        yield Divergence(
            last_paired + 0.5,
            "unexpected",
            None,
            f"unexpected {obs.label(rec.ids)}",
            (f"after trace step #{int(last_paired)}" if last_paired >= 0 else "before any trace step",),
            seq=obs.seq,
        )


# -- order ---------------------------------------------------------------------------------------------
def _order(rec: Recording) -> Iterable[Divergence]:
    trace = rec.trace
    pairs = sorted((i, o.seq) for i, o in rec.matcher.paired.items())
    reported: set[int] = set()
    for a in range(len(pairs)):
        i, seq_i = pairs[a]
        for b in range(a + 1, len(pairs)):
            j, seq_j = pairs[b]
            if seq_j < seq_i and i not in reported:
                step_i, step_j = trace.steps[i], trace.steps[j]
                if order_allowance(trace, step_i, step_j) is not None:
                    continue
                gap = rec.matcher.paired[i].t - rec.matcher.paired[j].t
                if rec.real and real_server_race(trace, step_i, step_j, gap) is not None:
                    continue
                reported.add(i)
                yield Divergence(
                    i,
                    "order",
                    i,
                    f"expected {rec.ids.trace_text(step_i.label())} before "
                    f"{rec.ids.trace_text(step_j.label())}; the replay delivered #{j} first",
                    (
                        f"replay: #{j} at t={rec.matcher.paired[j].t:.4f}, "
                        f"#{i} at t={rec.matcher.paired[i].t:.4f}",
                        "no documented race covers this pair (allowances.py)",
                    ),
                )


# -- timing --------------------------------------------------------------------------------------------
def _timing(rec: Recording) -> Iterable[Divergence]:
    trace = rec.trace
    for index, obs in sorted(rec.matcher.paired.items()):
        step = trace.steps[index]
        anchor = trace.anchor_action(index)
        if anchor is None or anchor.index not in rec.action_times or capture_latency(trace, index):
            continue
        gap = step.t - anchor.t
        got = obs.t - rec.action_times[anchor.index]
        lost = rec.stalled(rec.action_times[anchor.index], obs.t)
        if abs(got - gap) > tolerance(gap) + lost:
            yield Divergence(
                index,
                "timing",
                index,
                f"{rec.ids.trace_text(step.label())}: came {got:.3f} s after the preceding client "
                f"action, expected {gap:.3f} s (tolerance {tolerance(gap) * 1000:.0f} ms"
                + (f" + {lost * 1000:.0f} ms the replay stood still)" if lost else ")"),
                (f"preceding action: {rec.ids.trace_text(anchor.label())}",),
            )
        # The server's own clock: time values relative to the same client action (on the target's scale).
        origin = (rec.trace.started_wallclock + anchor.t, rec.epoch0 + rec.action_times[anchor.index])
        if step.kind == "event":
            yield from _times(rec, index, origin, step.event, (obs.data.get("event") or {}), "", obs.t)
        elif step.kind == "response" and isinstance(step.data.get("body"), dict | list):
            yield from _times(rec, index, origin, step.data["body"], obs.data.get("body"), "", obs.t)


def _times(
    rec: Recording, index: int, origin: tuple[float, float], want: Any, have: Any, path: str, seen: float
) -> Iterable[Divergence]:
    """Timestamps (and creation times made by this action) after the client action, against the trace's.

    ``seen``: the replay time the observation came; the replay's stalls since the value was made (since the
    action that made it, which may be before the anchor) and until then are not held against the target.
    """
    if isinstance(want, dict) and isinstance(have, dict):
        for key, value in want.items():
            sub = f"{path}.{key}" if path else key
            if key in TIME_KEYS:
                t_want, t_have = parse_time(value), parse_time(have.get(key))
                if t_want is None or t_have is None:
                    continue  # a malformed value already shows as a content difference
                offset_want, offset_have = t_want - origin[0], t_have - origin[1]
                if key != "timestamp" and not -0.002 <= offset_want <= 1.0:
                    continue  # made before this action (or long after): says nothing about this step
                maker = rec.trace.action_by(index, t_want - rec.trace.started_wallclock)
                since = origin[1] - rec.epoch0
                if maker is not None and maker.index in rec.action_times:
                    since = min(since, rec.action_times[maker.index])
                lost = rec.stalled(since, seen)
                # Timestamps have millisecond resolution: one more ms of slack.
                if abs(offset_have - offset_want) > tolerance(offset_want) + 0.001 + lost:
                    step = rec.trace.steps[index]
                    yield Divergence(
                        index,
                        "timestamp",
                        index,
                        f"{rec.ids.trace_text(step.label())}: {sub} is {offset_have:.3f} s after the "
                        f"preceding client action, expected {offset_want:.3f} s",
                    )
            elif key in have:
                yield from _times(rec, index, origin, value, have[key], sub, seen)
    elif isinstance(want, list) and isinstance(have, list) and len(want) == len(have) == 1:
        yield from _times(rec, index, origin, want[0], have[0], f"{path}[0]", seen)


# -- connect attempts and notes ------------------------------------------------------------------------
def _attempts_and_notes(rec: Recording) -> Iterable[Divergence]:
    trace = rec.trace
    for obs in rec.observations:
        if obs.kind == "media_ws_connect" and obs.paired is not None:
            step = trace.steps[obs.paired]
            want = (step.data.get("result"), step.data.get("status"))
            have = (obs.data.get("result"), obs.data.get("status"))
            if want[0] == "connected":
                want = (want[0], step.data.get("negotiated_protocol"))
                have = (have[0], obs.data.get("negotiated_protocol"))
            if want != have:
                yield Divergence(
                    step.index, "connect", step.index, f"{step.label()}: expected {want}, got {have}"
                )
        if obs.kind == "ws_connect_attempt" and obs.paired is not None:
            step = trace.steps[obs.paired]
            want = (step.data.get("result"), step.data.get("status"))
            have = (obs.data.get("result"), obs.data.get("status"))
            if want != have:
                yield Divergence(
                    step.index,
                    "connect",
                    step.index,
                    f"{step.label()}: expected {want[0]} {want[1]}, got {have[0]} {have[1]}",
                )
    for index, problems in frame_checks(rec.frame_checks):
        yield Divergence(index, "note", index, problems[0], tuple(problems[1:]))
    for note in rec.notes:
        if note.expected != note.got:
            yield Divergence(
                note.index,
                "note",
                note.index,
                f"socket states at {trace.steps[note.index].label()}: expected closed={note.expected}, "
                f"got closed={note.got}",
            )
