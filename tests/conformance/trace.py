"""Load the captures in ``tests/data/ari/traces`` (format: README.md "Trace file format", MORE.md additions).

A trace is a list of steps in the order the capturing client saw them. The replayer splits them in two:

* **actions**, what the client did (``ws_connect``, ``ws_connect_attempt``, ``request``, ``ws_client_close``,
  ``note``, and the final ``ws_closed`` of a socket the client simply closed at the end);
* **observations**, what the server sent (``event``, ``response``, ``ws_connected``, and the ``ws_closed``
  that completes a ``ws_client_close``).

>>> trace = load_trace("tones")
>>> [s.kind for s in trace.steps[:3]]
['ws_connect', 'request', 'response']
>>> trace.request_of[2]
1
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from testkit.data import ARI

__all__ = [
    "MAIN_SOCKET",
    "SHARED_ARI",
    "TRACES_DIR",
    "Step",
    "Trace",
    "capture_dialplan",
    "decode_rest_response",
    "load_trace",
    "trace_names",
]

#: The ground truth: ``tests/data/ari`` in the repo, or the copy ARINB_SHARED_ARI names (testkit.data).
SHARED_ARI = ARI
TRACES_DIR = SHARED_ARI / "traces"

#: Single-socket traces do not name their socket; the replayer calls it this.
MAIN_SOCKET = "main"

ACTION_KINDS = frozenset(
    {"ws_connect", "ws_connect_attempt", "request", "ws_client_close", "note", "ws_send"}
)
OBSERVATION_KINDS = frozenset({"event", "response", "ws_connected"})


@dataclass(frozen=True)
class Step:
    """One trace step: ``kind``, ``t`` (seconds since the scenario started), ``socket`` and the raw dict."""

    index: int
    kind: str
    t: float
    socket: str
    data: dict[str, Any] = field(repr=False, compare=False)
    is_action: bool = False

    @property
    def is_observation(self) -> bool:
        return not self.is_action

    @property
    def event(self) -> dict[str, Any]:
        """The parsed event of an ``event`` step."""
        ev: dict[str, Any] = self.data["event"]
        return ev

    @property
    def event_type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def method(self) -> str:
        return str(self.data.get("method", ""))

    @property
    def path(self) -> str:
        return str(self.data.get("path", ""))

    @property
    def query(self) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in self.data.get("query", [])]

    def label(self) -> str:
        """A one-line description for reports: ``#12 t=1.207 EV PlaybackStarted`` and so on."""
        where = f" [{self.socket}]" if self.socket != MAIN_SOCKET else ""
        head = f"#{self.index} t={self.t:.4f}{where}"
        d = self.data
        if self.kind == "event":
            return f"{head} EV {self.event_type}{_event_hint(self.event)}"
        if self.kind == "request":
            q = "&".join(f"{k}={v}" for k, v in self.query)
            return f"{head} REQ {self.method} {self.path}{'?' + q if q else ''}"
        if self.kind == "response":
            return f"{head} RSP {self.method} {self.path} -> {d.get('status')} {d.get('reason')}"
        if self.kind == "note":
            return f"{head} note {d.get('text', '')!r}"
        if self.kind == "ws_connect_attempt":
            return f"{head} ws_connect_attempt {d.get('query')} -> {d.get('status')}"
        return f"{head} {self.kind}"


def _event_hint(ev: dict[str, Any]) -> str:
    parts = []
    if isinstance(ev.get("channel"), dict):
        ch = ev["channel"]
        parts.append(f"{ch.get('name')} {ch.get('state')}")
    if isinstance(ev.get("playback"), dict):
        pb = ev["playback"]
        parts.append(f"{pb.get('id')} {pb.get('media_uri')} {pb.get('state')}")
    for key in ("variable", "value", "digit", "dialstatus", "cause"):
        if key in ev:
            parts.append(f"{key}={ev[key]!r}")
    return f" ({', '.join(parts)})" if parts else ""


@dataclass
class Trace:
    """A loaded capture. ``steps`` in capture order; ``request_of[response index] = request index``."""

    name: str
    app: str
    description: str
    started_wallclock: float
    steps: list[Step]
    raw: dict[str, Any] = field(repr=False)
    request_of: dict[int, int] = field(default_factory=dict)
    response_of: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str | None = None) -> Trace:
        from .media import media_role  # media.py builds on matching.py, which needs this module

        raw_steps = _with_cleanup_requests(data["steps"])
        steps: list[Step] = []
        client_closing: set[str] = set()
        for i, s in enumerate(raw_steps):
            kind = s["kind"]
            socket = str(s.get("socket", MAIN_SOCKET))
            media = media_role(s)
            if media is not None:
                socket, is_action = media  # externalMedia's /media sockets (media.py)
            elif kind == "ws_closed":
                # After ws_client_close it is the server's acknowledgement (an observation); otherwise the
                # capturing client simply closed its socket at the end of the scenario (an action).
                is_action = socket not in client_closing
            else:
                is_action = kind in ACTION_KINDS
                if kind not in ACTION_KINDS and kind not in OBSERVATION_KINDS:
                    raise ValueError(f"step {i}: unknown step kind {kind!r}")
            if kind == "ws_client_close":
                client_closing.add(socket)
            if kind == "event" and isinstance(s.get("event"), dict):
                s = {**s, "event": decode_rest_response(s["event"])}
            steps.append(Step(i, kind, float(s["t"]), socket, s, is_action))
        trace = cls(
            name=name or str(data.get("scenario", "?")),
            app=str(data.get("app", "")),
            description=str(data.get("description", "")),
            started_wallclock=float(data.get("started_wallclock", 0.0)),
            steps=steps,
            raw=data,
        )
        trace._pair_requests()
        return trace

    def _pair_requests(self) -> None:
        # A response answers the oldest pending request with the same method and path.
        pending: list[int] = []
        for step in self.steps:
            if step.kind == "request" and not step.data.get("synthetic"):
                pending.append(step.index)
            elif step.kind == "response":
                for req in pending:
                    r = self.steps[req]
                    if r.method == step.method and r.path == step.path:
                        pending.remove(req)
                        self.request_of[step.index] = req
                        self.response_of[req] = step.index
                        break
                else:
                    raise ValueError(f"{self.name}: response #{step.index} answers no pending request")

    @cached_property
    def sockets(self) -> list[str]:
        """Socket names in the order they were opened."""
        return [s.socket for s in self.steps if s.kind == "ws_connect"]

    @property
    def duration(self) -> float:
        return self.steps[-1].t if self.steps else 0.0

    def observations(self) -> Iterator[Step]:
        return (s for s in self.steps if s.is_observation)

    def anchor_action(self, index: int) -> Step | None:
        """The latest client action before step ``index`` that the server could react to (not a note)."""
        for j in range(index - 1, -1, -1):
            s = self.steps[j]
            if s.is_action and s.kind != "note":
                return s
        return None

    def action_by(self, index: int, t: float) -> Step | None:
        """The latest client action before step ``index`` that the capture had sent by its time ``t``.

        The action a time value in step ``index`` (``t`` = that value in capture seconds) can come from: a
        ``creationtime`` slightly before the anchor action was made by an earlier one.
        """
        for j in range(index - 1, -1, -1):
            s = self.steps[j]
            if s.is_action and s.kind != "note" and s.t <= t:
                return s
        return None


_CLEANUP = re.compile(r"^cleanup pass \(not part of the scenario\) removed: (.+)$")
_CLEANUP_PATHS = {"bridge": "/ari/bridges/{}", "channel": "/ari/channels/{}"}


def _with_cleanup_requests(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put back the unrecorded cleanup DELETEs whose events the capture did record.

    MORE.md: "Each scenario ends with a cleanup pass that is not recorded. It leaves a note only if it had to
    remove something". Its events (bridge-play-two-channels: BridgeDestroyed) are in the trace, just before
    that note; the replay must send the same DELETE for them to come. The synthetic request (``synthetic``:
    True) goes 1 ms before those events; it has no recorded response, so its answer is not compared.
    """
    out = list(steps)
    for i in range(len(out) - 1, -1, -1):
        m = _CLEANUP.match(str(out[i].get("text", ""))) if out[i]["kind"] == "note" else None
        if m is None:
            continue
        first = i
        while first > 0 and out[first - 1]["kind"] == "event" and out[i]["t"] - out[first - 1]["t"] < 0.1:
            first -= 1
        at = out[first]["t"] - 0.001
        requests = []
        for item in m.group(1).split(","):
            kind, _, ident = item.strip().partition(" ")
            if kind in _CLEANUP_PATHS and ident:
                path = _CLEANUP_PATHS[kind].format(ident)
                requests.append(
                    {
                        "kind": "request",
                        "t": at,
                        "method": "DELETE",
                        "path": path,
                        "query": [],
                        "synthetic": True,
                    }
                )
        out[first:first] = requests
    return out


def decode_rest_response(event: dict[str, Any]) -> dict[str, Any]:
    """A RESTResponse with its JSON ``message_body`` parsed, so that its ids and times compare as fields.

    Both sides (the trace and the replay) go through this; anything else is returned as it is.
    """
    body = event.get("message_body")
    if event.get("type") != "RESTResponse" or event.get("content_type") != "application/json":
        return event
    if not isinstance(body, str):
        return event
    try:
        return {**event, "message_body": json.loads(body)}
    except ValueError:
        return event


def capture_dialplan() -> str:
    """The extensions.conf the captures ran with, as README.md gives it (the simulator gets the same)."""
    text = (SHARED_ARI / "README.md").read_text()
    m = re.search(r"Dialplan used for the captures.*?```\n(.*?)```", text, re.S)
    if m is None:
        raise ValueError("README.md has no dialplan block")
    return m.group(1)


def trace_names() -> list[str]:
    """Every capture's file stem, sorted (41 or more)."""
    return sorted(p.stem for p in TRACES_DIR.glob("*.json"))


def load_trace(name: str | Path) -> Trace:
    """Load ``traces/<name>.json`` (or a path)."""
    path = (
        Path(name) if isinstance(name, Path) or str(name).endswith(".json") else TRACES_DIR / f"{name}.json"
    )
    with path.open() as f:
        data = json.load(f)
    return Trace.from_dict(data, name=path.stem)
