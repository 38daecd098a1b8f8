"""Did a scenario run as the docs say? The events and the printed lines, compared in the docs' order.

"As the docs say" means the same items, as many times, in the same order: a run whose events arrive in
another order fails its check, even when every event is there.

>>> Check(["StasisStart", "StasisEnd"], ["StasisStart", "StasisEnd"], ["hi"], ["hi"])
<Check ok: StasisStart → StasisEnd>
>>> bool(Check(["A", "B"], ["B", "A"], [], []))
False
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Check", "in_docs_order"]


def in_docs_order(expected: Sequence[str], seen: Sequence[str]) -> bool:
    """True when ``seen`` is ``expected`` item for item: same items, same counts, same order.

    >>> in_docs_order(["A", "B"], ["B", "A"])
    False
    """
    return list(seen) == list(expected)


def _line_problem(expected: Sequence[str], seen: Sequence[str]) -> str:
    """What differs between the expected and the printed lines (they are known to differ)."""
    missing = [x for x in expected if x not in seen]
    extra = [x for x in seen if x not in expected]
    detail = []
    if missing:
        detail.append(f"missing {missing}")
    if extra:
        detail.append(f"unexpected {extra}")
    # Neither missing nor extra: the same lines, in another order or another count.
    return "lines: " + ("; ".join(detail) or "same lines, different order")


@dataclass
class Check:
    """Did the run end as the docs say? Compares the event order and the printed lines.

    Truthy when both match. Renders as a two-column table (expected / seen).
    """

    expected_events: list[str]
    events: list[str]
    expected_lines: list[str]
    lines: list[str]

    @property
    def events_ok(self) -> bool:
        return in_docs_order(self.expected_events, self.events)

    @property
    def lines_ok(self) -> bool:
        return in_docs_order(self.expected_lines, self.lines)

    @property
    def ok(self) -> bool:
        return self.events_ok and self.lines_ok

    def __bool__(self) -> bool:
        return self.ok

    def problems(self) -> list[str]:
        """Human-readable differences (empty when ok)."""
        out = []
        if not self.events_ok:
            out.append(f"events: expected {' → '.join(self.expected_events)}; saw {' → '.join(self.events)}")
        if not self.lines_ok:
            out.append(_line_problem(self.expected_lines, self.lines))
        return out

    def __repr__(self) -> str:
        if self.ok:
            return f"<Check ok: {' → '.join(self.events)}>"
        return "<Check FAILED: " + " | ".join(self.problems()) + ">"

    def _repr_html_(self) -> str:
        mark = "<span style='color:#2e7d32'>✔ as the docs say</span>"
        if not self.ok:
            mark = "<span style='color:#c62828'>✘ not as the docs say</span>"
        n = max(len(self.expected_events), len(self.events))
        rows = []
        for i in range(n):
            exp = self.expected_events[i] if i < len(self.expected_events) else ""
            got = self.events[i] if i < len(self.events) else ""
            style = "" if exp == got else " style='color:#c62828'"
            rows.append(f"<tr{style}><td>{html.escape(exp)}</td><td>{html.escape(got)}</td></tr>")
        return (
            f"<div><b>Check</b>: {mark}</div><table style='font-size:90%'>"
            "<tr><th>expected event</th><th>seen</th></tr>"
            + "".join(rows)
            + "</table>"
            + "".join(f"<div style='color:#c62828'>{html.escape(p)}</div>" for p in self.problems())
        )
