"""The simulator's request/reply protocol: the leaf module every feature imports (it imports nothing of
the simulator).

>>> req = Request("channels.play", {"channelId": "c1"}, {"offsetms": "99999999999999999999999"})
>>> req.int("offsetms")        # C's atoi, as Asterisk parses it: saturates, then keeps the low 32 bits
-1
>>> error(404, "Channel not found")
Reply(status=404, body={'message': 'Channel not found'}, reason=None, content_type=None, headers=None)
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REPLY_GATE", "Handler", "Reply", "ReplyGate", "Request", "atoi", "error"]

_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)
_LEADING_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?)0*(\d*)")


def atoi(text: str) -> int:
    """C's ``atoi`` as glibc runs it on x86-64: ``(int) strtol(text, NULL, 10)``.

    Leading blanks and a sign, then digits up to the first non-digit ("12abc" -> 12, "abc" -> 0); a value
    beyond ``long`` saturates, and the cast keeps its low 32 bits (so hundreds of 9s give -1, as on
    Asterisk, whose ARI handlers read every integer parameter this way).

    >>> atoi("42"), atoi(" -7x"), atoi("abc"), atoi("9" * 300), atoi("-" + "9" * 300), atoi("4294967297")
    (42, -7, 0, -1, 0, 1)
    """
    m = _LEADING_INT.match(text)
    if m is None:  # pragma: no cover - the pattern matches every string
        return 0
    sign, digits = m.group(1), m.group(2)
    if not digits:
        return 0
    if len(digits) > 19:  # beyond long: strtol saturates (and int() on thousands of digits would refuse)
        value = _LONG_MIN if sign == "-" else _LONG_MAX
    else:
        value = int(digits)
        value = -value if sign == "-" else value
        value = max(_LONG_MIN, min(_LONG_MAX, value))
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


@dataclass(slots=True)
class Reply:
    """What the engine answers to one REST request.

    ``body`` is JSON-able, or ``bytes`` for a binary body; ``reason`` is the HTTP reason phrase when
    Asterisk's differs from the standard one ("Invalid Reason", "Variable Not Found", "Not found").
    """

    status: int
    body: Any = None
    reason: str | None = None
    content_type: str | None = None
    headers: dict[str, str] | None = None


class ReplyGate:
    """Opens once the server has written the reply of one HTTP request (set in :data:`REPLY_GATE`).

    What the request sets off "right after its reply" (``SimEngine.soon``) waits for it: a reply whose
    write takes long (a loaded machine, events flushed first) still goes out before that work's events.

    >>> gate = ReplyGate(); gate.when_open(lambda: print("after the reply")); gate.release()
    after the reply
    """

    __slots__ = ("_waiters", "open")

    def __init__(self) -> None:
        self.open = False
        self._waiters: list[Callable[[], None]] = []

    def when_open(self, fn: Callable[[], None]) -> None:
        """Call ``fn()`` once the gate opens (at once if it is open)."""
        if self.open:
            fn()
        else:
            self._waiters.append(fn)

    def release(self) -> None:
        """The reply is written: open, and call the waiters."""
        self.open = True
        waiters, self._waiters = self._waiters, []
        for fn in waiters:
            fn()


#: The :class:`ReplyGate` of the HTTP request being handled in this context (None: no reply to wait for).
REPLY_GATE: ContextVar[ReplyGate | None] = ContextVar("arinb_sim_reply_gate", default=None)


def error(status: int, message: str, reason: str | None = None) -> Reply:
    """An ARI error reply: ``{"message": ...}``."""
    return Reply(status, {"message": message}, reason)


@dataclass(slots=True)
class Request:
    """One REST call as the engine sees it (query: one value per name, the last one wins)."""

    op: str
    path: dict[str, str]
    query: dict[str, str]
    body: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        """A parameter (query first, then a JSON body field), or ``default``."""
        if name in self.query:
            return self.query[name]
        if isinstance(self.body, dict) and name in self.body:
            value = self.body[name]
            if isinstance(value, str):
                return value
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, int | float):
                return str(value)
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
        return default

    def int(self, name: str, default: int = 0) -> int:
        """An integer parameter read as Asterisk reads it (:func:`atoi`), or ``default`` when absent."""
        text = self.get(name)
        if text is None or text == "":
            return default
        return atoi(text)

    def bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (Asterisk's ``ast_true``)."""
        text = self.get(name)
        if text is None:
            return default
        return text.strip().lower() in ("1", "true", "yes", "on", "y", "t")

    def variables(self) -> dict[str, str]:
        """The ``variables`` object of a JSON body (``{"variables": {"FOO": "bar"}}``)."""
        if isinstance(self.body, dict):
            value = self.body.get("variables")
            if isinstance(value, dict):
                out = {}
                for k, v in value.items():
                    if isinstance(v, dict):  # {"value": ..., "report_events": ...}
                        v = v.get("value", "")
                    if not isinstance(v, list):
                        out[str(k)] = str(v)
                return out
        return {}


#: An operation handler: a Request in, a Reply out (or an awaitable of one, for queued operations).
Handler = Callable[[Request], "Reply | Awaitable[Reply]"]
