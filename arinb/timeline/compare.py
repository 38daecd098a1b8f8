"""Comparing two timelines: did the same things happen, in the same order, with the same timing?

Made for checking a simulator run against a real Asterisk run. Events are reduced to a *signature*
that leaves out what legitimately differs between runs: channel, playback and bridge ids are replaced by
their order of first appearance (``channel#1``, ``playback#2``), channel names and Asterisk's clock are
dropped. The two signature sequences are aligned (difflib), which gives events that are missing, extra
or changed. For the aligned events, the time since the previous aligned event is compared: a gap that
differs by more than ``tolerance`` seconds is reported as moved.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from arinb.timeline.frame import STRING
from arinb.timeline.views import event_time

__all__ = ["CompareResult", "compare_frames", "signatures"]

_ID_COLUMNS: Final = (("channel_id", "channel"), ("playback_id", "playback"), ("bridge_id", "bridge"))
_KEPT: Final = ("channel_state", "playback_state", "media_uri", "next_media_uri", "recording_name")
_NAN: Final = float("nan")
DIFF_COLUMNS: Final = ("change", "type", "self_seq", "other_seq", "self_t", "other_t", "delta", "detail")


def signatures(
    frame: pd.DataFrame, include_requests: bool = False
) -> tuple[pd.DataFrame, list[tuple[Any, ...]]]:
    """The rows compared, and one hashable signature per row (ids normalised by first appearance)."""
    rows = frame[frame["kind"].isin(["event", "request"] if include_requests else ["event"])]
    names: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}

    def norm(prefix: str, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        key = (prefix, value)
        if key not in names:
            counters[prefix] = counters.get(prefix, 0) + 1
            names[key] = f"{prefix}#{counters[prefix]}"
        return names[key]

    columns = {name: rows[name].astype("object").where(rows[name].notna(), None) for name in rows.columns}
    sigs: list[tuple[Any, ...]] = []
    for i in range(len(rows)):
        ids = tuple(norm(prefix, columns[col].iat[i]) for col, prefix in _ID_COLUMNS)
        kept = tuple(columns[col].iat[i] for col in _KEPT)
        if columns["kind"].iat[i] == "request":
            # Paths hold ids: compare the method and the normalised ids, plus the status.
            sigs.append(("request", columns["method"].iat[i], columns["status"].iat[i], *ids))
        else:
            sigs.append((columns["type"].iat[i], *ids, *kept))
    return rows, sigs


def _describe(sig: tuple[Any, ...]) -> str:
    if sig and sig[0] == "request":
        return f"{sig[1]} -> {sig[2]} " + " ".join(str(x) for x in sig[3:] if x)
    labels = [x for x in sig[1:] if x is not None]
    return " ".join(str(x) for x in labels)


@dataclass
class CompareResult:
    """What differs between two timelines (``self`` and ``other`` as passed to ``compare``).

    ``differences`` has one row per difference: ``change`` is ``missing`` (in self, not in other),
    ``extra`` (in other only), ``changed`` (same place, different content) or ``moved`` (same event,
    its gap to the previous matched event differs by more than ``tolerance`` s; ``delta`` = other - self).

    >>> result = sim_tl.compare(real_tl)        # doctest: +SKIP
    >>> result.same, len(result.differences)    # doctest: +SKIP
    (False, 1)
    >>> print(result.summary())                  # doctest: +SKIP
    """

    tolerance: float
    matched: int
    self_count: int
    other_count: int
    differences: pd.DataFrame = field(repr=False)

    @property
    def same(self) -> bool:
        """True when every event matched and no timing moved beyond the tolerance."""
        return self.differences.empty

    def __bool__(self) -> bool:
        return self.same

    def by_change(self, change: str) -> pd.DataFrame:
        """The differences of one kind: missing, extra, changed or moved."""
        return self.differences[self.differences["change"] == change]

    def summary(self) -> str:
        """A readable account of the differences, one line each."""
        head = (
            f"{self.matched} of {self.self_count} events matched {self.other_count} "
            f"(timing tolerance {self.tolerance:g} s)"
        )
        if self.same:
            return head + ": no difference."
        lines = [head + f": {len(self.differences)} difference(s)."]
        for row in self.differences.itertuples(index=False):
            if row.change == "moved":
                lines.append(f"  moved    #{row.self_seq} {row.type}: {row.delta:+.3f} s ({row.detail})")
            elif row.change == "missing":
                lines.append(f"  missing  #{row.self_seq} {row.type} {row.detail}".rstrip())
            elif row.change == "extra":
                lines.append(f"  extra    #{row.other_seq} {row.type} {row.detail}".rstrip())
            else:
                lines.append(f"  changed  #{row.self_seq}/#{row.other_seq} {row.type}: {row.detail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CompareResult same={self.same} matched={self.matched} differences={len(self.differences)}>"

    def _repr_html_(self) -> str:
        import html

        body = self.differences.to_html(index=False) if not self.same else ""
        return f"<pre>{html.escape(self.summary())}</pre>{body}"


def compare_frames(
    mine: pd.DataFrame, other: pd.DataFrame, tolerance: float = 0.05, include_requests: bool = False
) -> CompareResult:
    """Compare two timeline frames (see :meth:`Timeline.compare`)."""
    if tolerance < 0:
        from arinb.errors import AriUsageError

        raise AriUsageError(f"tolerance must be >= 0 seconds, not {tolerance}")
    rows_a, sig_a = signatures(mine, include_requests)
    rows_b, sig_b = signatures(other, include_requests)
    t_a = event_time(rows_a).reset_index(drop=True)
    t_b = event_time(rows_b).reset_index(drop=True)
    seq_a = rows_a["seq"].to_numpy()
    seq_b = rows_b["seq"].to_numpy()

    diffs: list[dict[str, Any]] = []

    def add(
        change: str,
        sig: tuple[Any, ...],
        i: int | None,
        j: int | None,
        detail: str,
        at: float,
        delta: float = float("nan"),
    ) -> None:
        # ``at``: position in self's sequence, so that extras sort where they would have been.
        diffs.append(
            {
                "order": at,
                "change": change,
                "type": sig[0] if sig[0] != "request" else f"{sig[1]} request",
                "self_seq": None if i is None else int(seq_a[i]),
                "other_seq": None if j is None else int(seq_b[j]),
                "self_t": pd.NaT if i is None else t_a[i],
                "other_t": pd.NaT if j is None else t_b[j],
                "delta": delta,
                "detail": detail,
            }
        )

    matcher = difflib.SequenceMatcher(None, sig_a, sig_b, autojunk=False)
    matched: list[tuple[int, int]] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            matched.extend(zip(range(a0, a1), range(b0, b1), strict=True))
            continue
        pairs = min(a1 - a0, b1 - b0) if op == "replace" else 0
        for k in range(pairs):
            i, j = a0 + k, b0 + k
            if sig_a[i][0] == sig_b[j][0]:
                changed = [f"{x} -> {y}" for x, y in zip(sig_a[i][1:], sig_b[j][1:], strict=False) if x != y]
                add("changed", sig_a[i], i, j, ", ".join(changed), i)
            else:
                add("missing", sig_a[i], i, None, _describe(sig_a[i]), i)
                add("extra", sig_b[j], None, j, _describe(sig_b[j]), i + 0.5)
        for i in range(a0 + pairs, a1):
            add("missing", sig_a[i], i, None, _describe(sig_a[i]), i)
        for j in range(b0 + pairs, b1):
            add("extra", sig_b[j], None, j, _describe(sig_b[j]), a1 - 0.5)

    # Timing: compare each matched event's gap to the previous matched event.
    for (i0, j0), (i1, j1) in itertools.pairwise(matched):
        gap_a = (t_a[i1] - t_a[i0]).total_seconds()
        gap_b = (t_b[j1] - t_b[j0]).total_seconds()
        if abs(gap_b - gap_a) > tolerance + 1e-9:
            detail = f"{gap_a:.3f} s in self, {gap_b:.3f} s in other, after {sig_a[i0][0]}"
            add("moved", sig_a[i1], i1, j1, detail, i1 + 0.25, round(gap_b - gap_a, 6))

    table = pd.DataFrame(diffs, columns=["order", *DIFF_COLUMNS])
    table = table.sort_values("order", kind="stable", ignore_index=True).drop(columns="order")
    table = table.astype(
        {"change": pd.CategoricalDtype(["missing", "extra", "changed", "moved"]), "type": STRING}
    ).astype(
        {"self_seq": pd.Int64Dtype(), "other_seq": pd.Int64Dtype(), "delta": "float64", "detail": STRING}
    )
    for name in ("self_t", "other_t"):
        table[name] = pd.to_datetime(table[name], utc=True)
    return CompareResult(
        tolerance=tolerance,
        matched=len(matched),
        self_count=len(sig_a),
        other_count=len(sig_b),
        differences=table,
    )
