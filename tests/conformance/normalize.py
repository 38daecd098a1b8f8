"""Normalization: server-made ids become stable placeholders, so a replay compares with the capture.

Ids the server makes up differ on every run: channel uniqueids (``1795695288.69``), the hex sequence in
channel names (``Local/1000@default-00000022;2``, ``Announcer/ARI-0000009f;2``), UUIDs (auto playback and
bridge ids), the ``asterisk_id`` (``02:fc:00:00:00:01``). They are found as *tokens* inside any string, so
``target_uri`` ``channel:<id>``, ``BRIDGEPEER`` lists and request paths are covered too.

* Each trace token gets a placeholder by first appearance in the trace (``<uid1>``, ``<seq2>``, ``<uuid1>``).
* :class:`IdMap` is the bijection trace token <-> replay token, learned as replay observations are paired
  with trace observations; a replay token shows with its trace token's placeholder, or ``<uid?1>`` if it
  never paired with anything.
* Time values (event ``timestamp``, ``creationtime``, startup times) are checked for Asterisk's format and
  replaced by ``<time>``: their values are compared as timing, not text (two things in the same ms is timing).
* A few fields describe the build host, not ARI behaviour (``GET /asterisk/info`` ``build.*``); they are
  compared by type only, since a real Asterisk on another host differs there too.
* Arrays that come out of Asterisk's hash containers (``GET /channels``, ``channel_ids``, a sound's
  ``formats``, ...) have no defined order; they are compared as multisets (see ``UNORDERED_KEYS``).

Client-chosen ids (``tones-pb-1``, ``test-bridge-b``, ``rec1``, ``my-orig-id``) are not tokens: the server
must echo them verbatim.

>>> ids = IdMap.for_trace(["1795695288.69 Local/1000@default-00000022;2"])
>>> ids.bind_text("1795695288.69", "1800000000.5")
True
>>> ids.replay_text("1800000000.5 x"), ids.trace_text("1795695288.69 x")
('<uid1> x', '<uid1> x')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TIMESTAMP_RE",
    "TIME_KEYS",
    "UNORDERED_KEYS",
    "Difference",
    "IdMap",
    "diff",
    "iter_tokens",
    "parse_time",
]

# One alternation, scanned left to right, so a UUID is never also read as a name sequence.
_TOKEN_RE = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?P<eid>(?<![0-9a-f:])[0-9a-f]{2}(?::[0-9a-f]{2}){5}(?![0-9a-f:]))"
    r"|(?P<uid>(?<![\w.])\d{9,11}\.\d+(?![\w.]))"
    r"|(?P<seq>(?<=-)[0-9a-f]{8}(?![0-9a-f]))"
    r"|(?P<ptr>(?<=/)0x[0-9a-f]{4,16}(?![0-9a-f]))"  # chan_websocket's names: WebSocket/INCOMING/0x7f..
)

#: Asterisk's ``%FT%T.%q%z`` timestamps.
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")

#: Keys whose value is a point in time (compared as timing, see compare.py), never as text.
TIME_KEYS = frozenset({"timestamp", "creationtime", "startup_time", "last_reload_time"})

#: Keys (at any depth) whose array is an Asterisk container listing: order undefined, compared as multiset.
UNORDERED_KEYS = frozenset(
    {
        "channels",
        "channel_ids",
        "bridge_ids",
        "endpoint_ids",
        "device_names",
        "formats",
        "events_allowed",
        "events_disallowed",
        "message_body",  # a RESTResponse's body: a list there is always a container listing
    }
)

#: Top-level list responses that list a container (GET /channels, /bridges, ...): order undefined.
UNORDERED_LISTS = re.compile(
    r"^GET /ari/(channels|bridges|applications|sounds|recordings/stored|endpoints(/[^/]+)?"
    r"|deviceStates|playbacks)$"
)

#: Paths (dotted) of host-specific values: compared by type only.
_BUILD_FIELDS = ("build.os", "build.kernel", "build.machine", "build.options", "build.date", "build.user")
HOST_SPECIFIC = frozenset(_BUILD_FIELDS) | frozenset(f"message_body.{f}" for f in _BUILD_FIELDS)


# A snoop channel's name counter (res_stasis_snoop's chan_idx) is its own: ``Snoop/<uid>-0000000b`` and
# ``Local/...-00000000`` may share a value on one server and not on another, so they are separate classes.
_SNOOP_BEFORE = re.compile(r"Snoop/\d+\.\d+-$")


def _kind(m: re.Match[str]) -> str:
    kind = m.lastgroup or "?"
    if kind == "seq" and _SNOOP_BEFORE.search(m.string, max(0, m.start() - 40), m.start()):
        return "snoopseq"
    return kind


def _key(kind: str, tok: str) -> str:
    """The identity of a token in the bijection: its text, in its class's own name space."""
    return "snoop:" + tok if kind == "snoopseq" else tok


def iter_tokens(text: str) -> Iterator[tuple[str, str, int, int]]:
    """``(class, token, start, end)`` for every server-made id inside ``text``.

    >>> [k for k, *_ in iter_tokens("Snoop/1796538854.27-0000000b Local/1000@default-00000007;1")]
    ['uid', 'snoopseq', 'seq']
    """
    for m in _TOKEN_RE.finditer(text):
        yield _kind(m), m.group(0), m.start(), m.end()


def _split(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Literal pieces and (class, key) of the tokens: ``text == lit[0] + tok[0] + lit[1] + ...``."""
    literals, tokens, pos = [], [], 0
    for kind, tok, start, end in iter_tokens(text):
        literals.append(text[pos:start])
        tokens.append((kind, _key(kind, tok)))
        pos = end
    literals.append(text[pos:])
    return literals, tokens


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an Asterisk timestamp string, or None if it is not one."""
    import datetime as dt

    if not isinstance(value, str) or not TIMESTAMP_RE.match(value):
        return None
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


class IdMap:
    """The trace-token <-> replay-token bijection and the placeholders (see the module docstring)."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}  # trace token -> replay token
        self.backward: dict[str, str] = {}  # replay token -> trace token
        self.placeholders: dict[str, str] = {}  # trace token -> "<uid1>"
        self._counts: dict[str, int] = {}
        self._unknown: dict[str, str] = {}  # replay tokens never bound -> "<uid?1>"
        self.conflicts: list[tuple[str, str, str]] = []  # (trace token, replay token, why)

    @classmethod
    def for_trace(cls, texts: Iterable[str]) -> IdMap:
        """Number the trace's tokens by first appearance in ``texts`` (the trace, in step order)."""
        ids = cls()
        for text in texts:
            for kind, tok, _, _ in iter_tokens(text):
                key = _key(kind, tok)
                if key not in ids.placeholders:
                    ids._counts[kind] = ids._counts.get(kind, 0) + 1
                    ids.placeholders[key] = f"<{kind}{ids._counts[kind]}>"
        return ids

    # -- binding ---------------------------------------------------------------------------------------
    def can_bind(self, trace_tok: str, replay_tok: str) -> bool:
        """True if binding would not contradict what is already known."""
        have = self.forward.get(trace_tok)
        back = self.backward.get(replay_tok)
        return (have is None or have == replay_tok) and (back is None or back == trace_tok)

    def bind(self, trace_tok: str, replay_tok: str) -> bool:
        """Bind two tokens; False (and remembered as a conflict) if either is already bound elsewhere."""
        if not self.can_bind(trace_tok, replay_tok):
            self.conflicts.append((trace_tok, replay_tok, "already bound to another id"))
            return False
        self.forward[trace_tok] = replay_tok
        self.backward[replay_tok] = trace_tok
        return True

    def texts_compatible(self, trace_text: str, replay_text: str) -> bool:
        """Same literal text around the tokens, same token classes, and no binding contradicted."""
        lt, tt = _split(trace_text)
        lr, tr = _split(replay_text)
        if lt != lr or [k for k, _ in tt] != [k for k, _ in tr]:
            return False
        seen: dict[str, str] = {}
        for (_, a), (_, b) in zip(tt, tr, strict=True):
            if seen.setdefault(a, b) != b or not self.can_bind(a, b):
                return False
        return True

    def bind_text(self, trace_text: str, replay_text: str) -> bool:
        """Bind the tokens of two strings of the same shape; False if the shapes differ."""
        if not self.texts_compatible(trace_text, replay_text):
            return False
        for (_, a), (_, b) in zip(_split(trace_text)[1], _split(replay_text)[1], strict=True):
            self.bind(a, b)
        return True

    def learn(self, trace_value: Any, replay_value: Any, *, unordered: bool = False) -> None:
        """Walk two JSON values side by side and bind the tokens found at the same places.

        Unordered arrays are skipped: their elements cannot be paired by position.
        """
        if isinstance(trace_value, str) and isinstance(replay_value, str):
            self.bind_text(trace_value, replay_value)
        elif isinstance(trace_value, dict) and isinstance(replay_value, dict):
            for key, tv in trace_value.items():
                if key in replay_value and key not in TIME_KEYS:
                    self.learn(tv, replay_value[key], unordered=key in UNORDERED_KEYS)
        elif isinstance(trace_value, list) and isinstance(replay_value, list) and not unordered:
            for tv, rv in zip(trace_value, replay_value, strict=False):
                self.learn(tv, rv)

    # -- rendering -------------------------------------------------------------------------------------
    def trace_text(self, text: str) -> str:
        """A trace string with its tokens as placeholders."""
        return _TOKEN_RE.sub(
            lambda m: self.placeholders.get(_key(_kind(m), m.group(0)), f"<{_kind(m)}:{m.group(0)}>"), text
        )

    def replay_text(self, text: str) -> str:
        """A replay string with its tokens as the placeholders of the trace tokens they are bound to."""

        def sub(m: re.Match[str]) -> str:
            kind = _kind(m)
            tok = _key(kind, m.group(0))
            trace_tok = self.backward.get(tok)
            if trace_tok is not None and trace_tok in self.placeholders:
                return self.placeholders[trace_tok]
            if tok not in self._unknown:
                self._unknown[tok] = f"<{kind}?{len(self._unknown) + 1}>"
            return self._unknown[tok]

        return _TOKEN_RE.sub(sub, text)

    def to_replay(self, text: str) -> str:
        """A trace string (a request path or query value) with its tokens replaced by the replay's ids."""

        def sub(m: re.Match[str]) -> str:
            found = self.forward.get(_key(_kind(m), m.group(0)))
            return found.removeprefix("snoop:") if found is not None else m.group(0)

        return _TOKEN_RE.sub(sub, text)

    def normalize(self, value: Any, *, side: str, unordered: bool = False, path: str = "") -> Any:
        """The comparable form of a JSON value from the ``"trace"`` or the ``"replay"`` side."""
        text = self.trace_text if side == "trace" else self.replay_text
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, v in value.items():
                sub = f"{path}.{key}" if path else key
                if key in TIME_KEYS:
                    out[key] = "<time>" if parse_time(v) is not None else f"<not a timestamp: {v!r}>"
                elif sub in HOST_SPECIFIC:
                    out[key] = f"<{type(v).__name__}>"
                else:
                    out[key] = self.normalize(v, side=side, unordered=key in UNORDERED_KEYS, path=sub)
            return out
        if isinstance(value, list):
            items = [self.normalize(v, side=side, path=path) for v in value]
            if unordered:
                items.sort(key=_listing_key)
            return items
        return value


def _listing_key(item: Any) -> tuple[str, str]:
    # Objects with an id line up by id (a placeholder, the same on both sides once learned), so that a
    # difference shows against the same channel or bridge, not against its neighbour in sort order.
    ident = json.dumps(item.get("id")) if isinstance(item, dict) and "id" in item else ""
    return ident, json.dumps(item, sort_keys=True)


@dataclass(frozen=True)
class Difference:
    """One differing place in two normalized values: a dotted ``path``, what was expected and what came."""

    path: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.path or '(value)'}: expected {_short(self.expected)}, got {_short(self.got)}"


_MISSING = "<absent>"


def _short(value: Any, limit: int = 160) -> str:
    text = value if value == _MISSING else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff(expected: Any, got: Any, path: str = "") -> list[Difference]:
    """Every place where two normalized JSON values differ (dict keys both ways, lists by index)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        out: list[Difference] = []
        for key in expected:
            sub = f"{path}.{key}" if path else key
            if key not in got:
                out.append(Difference(sub, expected[key], _MISSING))
            else:
                out.extend(diff(expected[key], got[key], sub))
        for key in got:
            if key not in expected:
                out.append(Difference(f"{path}.{key}" if path else key, _MISSING, got[key]))
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [Difference(f"{path}[len]", len(expected), len(got)), *_list_diff(expected, got, path)]
        out = []
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            same_id = isinstance(a, dict) and isinstance(b, dict) and "id" in a and a.get("id") == b.get("id")
            out.extend(diff(a, b, f"{path}[id={a['id']}]" if same_id else f"{path}[{i}]"))
        return out
    if expected != got or type(expected) is not type(got):
        return [Difference(path, expected, got)]
    return []


def _list_diff(expected: list[Any], got: list[Any], path: str) -> list[Difference]:
    # Lengths differ: say which items are missing and which are extra, rather than shifting every index.
    rest = list(got)
    missing = []
    for item in expected:
        if item in rest:
            rest.remove(item)
        else:
            missing.append(item)
    out = [Difference(f"{path}[missing]", m, _MISSING) for m in missing[:3]]
    out += [Difference(f"{path}[extra]", _MISSING, e) for e in rest[:3]]
    return out
