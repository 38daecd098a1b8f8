"""What a replay observed, and how each observation is paired with the trace step it stands for.

Pairing happens online (the replayer needs the learned ids for its next request) and is deliberately simple:

* a response pairs with the trace response of the request that was sent;
* an event pairs with the earliest unpaired trace event on the same socket, of the same type, whose
  identity fields (channel, playback, bridge, peer, recording, variable, device) agree with the ids learned
  so far (or can be learned now). Its content is compared later, so a wrong value shows as a content
  difference, not as a missing event;
* ``ws_connected`` / client-initiated ``ws_closed`` pair with that socket's step.

Anything left unpaired is reported as unexpected (or, on the trace side, missing).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .normalize import UNORDERED_LISTS, IdMap
from .trace import Step, Trace

__all__ = ["IDENTITY_PATHS", "Matcher", "Observation"]

#: Fields that say *which* object an event is about.
IDENTITY_PATHS: tuple[tuple[str, ...], ...] = (
    ("channel", "id"),
    ("channel", "name"),
    ("playback", "id"),
    ("bridge", "id"),
    ("peer", "id"),
    ("peer", "name"),
    ("recording", "name"),
    ("variable",),
    ("device_state", "name"),
)

_seq = itertools.count()

#: Observations that pair with the next unpaired trace step of the same kind on the same socket.
_BY_SOCKET = frozenset(
    {"ws_connected", "ws_closed", "media_ws", "media_ws_closed", "media_ws_client_close_done"}
)


def next_seq() -> int:
    """Arrival order across every socket and HTTP response of a replay."""
    return next(_seq)


@dataclass
class Observation:
    """One thing the target sent (``kind``: event, response, ws_connected, ws_closed, ws_connect_attempt)."""

    seq: int
    kind: str
    socket: str
    t: float  # target seconds since the replay started
    data: dict[str, Any]
    request_index: int | None = None  # for responses: the trace request it answers
    paired: int | None = None  # the trace step it stands for
    informational: bool = False  # recorded for the report, never "unexpected"

    def label(self, ids: IdMap | None = None) -> str:
        def show(text: str) -> str:
            return ids.replay_text(text) if ids is not None else text

        where = f" [{self.socket}]" if self.socket not in ("", "main") else ""
        head = f"@{self.t:.4f}{where}"
        if self.kind == "event":
            ev = self.data.get("event") or {}
            hint = []
            if isinstance(ev.get("channel"), dict):
                hint.append(f"{show(str(ev['channel'].get('name')))} {ev['channel'].get('state')}")
            if isinstance(ev.get("playback"), dict):
                pb = ev["playback"]
                hint.append(f"{show(str(pb.get('id')))} {pb.get('media_uri')} {pb.get('state')}")
            for key in ("variable", "value", "digit", "dialstatus", "cause"):
                if key in ev:
                    value = ev[key]
                    hint.append(f"{key}={show(value) if isinstance(value, str) else value!r}")
            text = f" ({', '.join(hint)})" if hint else ""
            return f"{head} EV {ev.get('type')}{text}"
        if self.kind == "response":
            d = self.data
            if d.get("error"):
                return f"{head} RSP {d.get('method')} {show(str(d.get('path')))} -> error {d['error']}"
            request = f"{d.get('method')} {show(str(d.get('path')))}"
            return f"{head} RSP {request} -> {d.get('status')} {d.get('reason')}"
        if self.kind == "ws_closed":
            return f"{head} ws_closed by {self.data.get('by')} code={self.data.get('code')}"
        return f"{head} {self.kind} {self.data}"


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _ABSENT
        obj = obj[key]
    return obj


_ABSENT = object()


@dataclass
class Matcher:
    """Pairs observations with trace steps and learns the id bijection as it goes."""

    trace: Trace
    ids: IdMap
    paired: dict[int, Observation] = field(default_factory=dict)  # trace step -> observation

    @classmethod
    def for_trace(cls, trace: Trace) -> Matcher:
        import json

        texts = (json.dumps(s.data) for s in trace.steps)
        return cls(trace, IdMap.for_trace(texts))

    def is_done(self, index: int) -> bool:
        return index in self.paired

    def observe(self, obs: Observation) -> int | None:
        """Pair ``obs`` with a trace step (returns its index) and learn ids from it; None if unexpected."""
        index = self._find(obs)
        if index is None:
            return None
        obs.paired = index
        self.paired[index] = obs
        self._learn(self.trace.steps[index], obs)
        return index

    def _find(self, obs: Observation) -> int | None:
        steps = self.trace.steps
        if obs.kind == "response" and obs.request_index is not None:
            index = self.trace.response_of.get(obs.request_index)
            return index if index is not None and index not in self.paired else None
        if obs.kind in _BY_SOCKET:
            for s in steps:
                if (
                    s.kind == obs.kind
                    and s.is_observation
                    and s.socket == obs.socket
                    and s.index not in self.paired
                ):
                    return s.index
            return None
        if obs.kind == "event":
            ev = obs.data.get("event") or {}
            for s in steps:
                if (
                    s.kind == "event"
                    and s.index not in self.paired
                    and s.socket == obs.socket
                    and s.event_type == ev.get("type")
                    and self._same_objects(s.event, ev)
                ):
                    return s.index
        return None

    def _same_objects(self, expected: dict[str, Any], got: dict[str, Any]) -> bool:
        for path in IDENTITY_PATHS:
            want = _get(expected, path)
            if want is _ABSENT:
                continue
            have = _get(got, path)
            if have is _ABSENT:
                return False
            if isinstance(want, str) and isinstance(have, str):
                if not self.ids.texts_compatible(want, have):
                    return False
            elif want != have:
                return False
        return True

    def _learn(self, step: Step, obs: Observation) -> None:
        if step.kind == "media_ws":
            self.ids.bind_text(str(step.data.get("raw", "")), str(obs.data.get("raw", "")))
        elif step.kind == "event":
            ev = obs.data.get("event") or {}
            # Identity fields first: they decide which channel is which when both halves appear at once.
            for path in IDENTITY_PATHS:
                want, have = _get(step.event, path), _get(ev, path)
                if isinstance(want, str) and isinstance(have, str):
                    self.ids.bind_text(want, have)
            self.ids.learn(step.event, ev)
        elif step.kind == "response" and "body" in step.data and "body" in obs.data:
            request = self.trace.steps[self.trace.request_of[step.index]]
            unordered = bool(UNORDERED_LISTS.match(f"{request.method} {request.path}"))
            self.ids.learn(step.data["body"], obs.data["body"], unordered=unordered)
