"""Where Asterisk itself is racy: the only reorderings and alternative values the comparer accepts.

Everything else is compared strictly. Each entry cites where the race is documented (README.md / MORE.md in
``../shared/ari``) or, for ``TRACE_EVIDENCED`` entries, the captures that show both orders;
``tests/conformance/test_harness.py`` checks that this evidence really is in the traces.

An order allowance says: these two observations may arrive in either order. It is decided on the *trace*
steps (both observations are paired with trace steps by then), so it cannot be widened by what a target sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .trace import Step, Trace

__all__ = [
    "ORDER_ALLOWANCES",
    "VALUE_ALTERNATIVES",
    "LocalHalvesRace",
    "ResponseEventRace",
    "ValueAlternative",
    "order_allowance",
    "value_alternatives",
]


@dataclass(frozen=True)
class ResponseEventRace:
    """A response to ``method path`` and an event of ``events`` about the same object may swap."""

    name: str
    method: str
    path: re.Pattern[str]
    events: frozenset[str]
    relation: str  # "channel" | "bridge" | "created-bridge"
    cite: str
    evidence: tuple[tuple[str, str], ...] = ()  # (trace, "before" | "after") for TRACE_EVIDENCED entries

    def related(self, response: Step, request: Step, event: Step) -> bool:
        m = self.path.match(request.path)
        if request.method != self.method or m is None or event.event_type not in self.events:
            return False
        ev = event.event
        if self.relation == "channel":
            ch = m.group("ch")
            channel = ev.get("channel") or {}
            playback = ev.get("playback") or {}
            return channel.get("id") == ch or playback.get("target_uri") == f"channel:{ch}"
        if self.relation == "bridge":
            return (ev.get("bridge") or {}).get("id") == m.group("br")
        if self.relation == "created-bridge":
            body = response.data.get("body") or {}
            return isinstance(body, dict) and (ev.get("bridge") or {}).get("id") == body.get("id")
        raise ValueError(self.relation)

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        for response, event in ((a, b), (b, a)):
            if response.kind == "response" and event.kind == "event":
                request = trace.steps[trace.request_of[response.index]]
                if self.related(response, request, event):
                    return True
        return False


@dataclass(frozen=True)
class LocalHalvesRace:
    """Events about the two halves (``;1`` and ``;2``) of one Local channel may swap."""

    name: str
    cite: str

    @staticmethod
    def half(step: Step) -> tuple[str, str] | None:
        if step.kind != "event":
            return None
        ev = step.event
        obj = ev.get("channel") if isinstance(ev.get("channel"), dict) else ev.get("peer")
        name = obj.get("name", "") if isinstance(obj, dict) else ""
        m = re.match(r"^(Local/.+);([12])$", name)
        return (m.group(1), m.group(2)) if m else None

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        ha, hb = self.half(a), self.half(b)
        return ha is not None and hb is not None and ha[0] == hb[0] and ha[1] != hb[1]


_CH = r"(?P<ch>[^/]+)"
_BR = r"(?P<br>[^/]+)"

ORDER_ALLOWANCES: tuple[ResponseEventRace | LocalHalvesRace, ...] = (
    ResponseEventRace(
        "play-201-vs-PlaybackStarted",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/play(/[^/]+)?$"),
        frozenset({"PlaybackStarted"}),
        "channel",
        'README "Playback facts": "Also, the PlaybackStarted event can arrive before the 201 response."',
    ),
    ResponseEventRace(
        "bridge-membership-204-vs-event",
        "POST",
        re.compile(rf"^/ari/bridges/{_BR}/(addChannel|removeChannel)$"),
        frozenset({"ChannelEnteredBridge", "ChannelLeftBridge"}),
        "bridge",
        'MORE §1: "POST /bridges/{id}/addChannel and /removeChannel -> 204. The event can come just '
        'before or just after the 204."',
    ),
    ResponseEventRace(
        "bridge-create-vs-BridgeCreated",
        "POST",
        re.compile(r"^/ari/bridges(/[^/]+)?$"),
        frozenset({"BridgeCreated"}),
        "created-bridge",
        'MORE §1: "BridgeCreated is sent once per bridge, around each create response (bridge 1: just '
        'before its 200; test-bridge-b: 4 ms after its 200)".',
    ),
    LocalHalvesRace(
        "local-halves",
        "MORE §4 (dtmf): \"In an exploratory run, ;2's ChannelStateChange came first, so the relative order "
        'of the two halves\' events varies" and "(In an exploratory run, ChannelDestroyed(;1) came before '
        'StasisEnd(;2).)"',
    ),
)


def order_allowance(trace: Trace, a: Step, b: Step) -> ResponseEventRace | LocalHalvesRace | None:
    """The allowance that lets trace steps ``a`` and ``b`` arrive in either order, if any."""
    for allowance in ORDER_ALLOWANCES:
        if allowance.allows(trace, a, b):
            return allowance
    return None


@dataclass(frozen=True)
class ValueAlternative:
    """In the response to ``method path``, the body field ``field`` may take any of ``values``."""

    name: str
    method: str
    path: re.Pattern[str]
    field: str
    values: frozenset[Any]
    cite: str


VALUE_ALTERNATIVES: tuple[ValueAlternative, ...] = (
    ValueAlternative(
        "play-201-state",
        "POST",
        re.compile(r"^/ari/channels/[^/]+/play(/[^/]+)?$"),
        "state",
        frozenset({"queued", "playing"}),
        'README "Playback facts": the 201 "usually has "state":"queued". It is **racy**: in several traces '
        'it came back as "playing"".',
    ),
)


def value_alternatives(request: Step, status: int) -> dict[str, frozenset[Any]]:
    """Body field -> accepted values, for the response to this trace request."""
    out: dict[str, frozenset[Any]] = {}
    if status // 100 != 2:
        return out
    for alt in VALUE_ALTERNATIVES:
        if request.method == alt.method and alt.path.match(request.path):
            out[alt.field] = alt.values
    return out
