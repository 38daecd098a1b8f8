"""A read-only, fixed-length view of a timeline's rows, for incremental readers (the live widget).

:meth:`Timeline.snapshot <arinb.timeline.Timeline.snapshot>` flushes the queued events and returns a
:class:`Snapshot` of the rows complete at that moment. Its columns are read as numpy copies of row ranges,
without building the DataFrame, so a reader polling a few times a second pays only for the rows it asks
for. String columns come as small int codes (0 = missing) and a vocabulary to turn them back into text.

Rows read from a file (``Timeline.read``) are not in the snapshot's columns: ``offset`` counts them, and
``tl.df.iloc[:offset]`` has them. Snapshot row ``i`` is timeline row (``seq``) ``offset + i``.

>>> from arinb.timeline import Timeline
>>> tl = Timeline()
>>> tl.add_event({"type": "StasisStart", "channel": {"id": "1.1", "state": "Ring"}}, received_at=1.0)
>>> snap = tl.snapshot()
>>> snap.n, snap.kind(0) == EVENT, snap.text("type", 0), snap.code_of("channel_id", "nope")
(1, True, 'StasisStart', -1)
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, Final

# numpy, not pandas: the engine thread imports arinb.timeline and must stay pandas-free.
import numpy as np

from arinb.timeline._store import (
    KIND_CONNECTION,
    KIND_EVENT,
    KIND_REQUEST,
    KINDS,
    STRING_COLUMNS,
    ColumnStore,
)

__all__ = ["CONNECTION", "EVENT", "KINDS", "REQUEST", "STRING_COLUMNS", "Snapshot"]

#: Kind codes of :meth:`Snapshot.kinds` (``KINDS[code]`` is the kind's name).
EVENT: Final = KIND_EVENT
REQUEST: Final = KIND_REQUEST
CONNECTION: Final = KIND_CONNECTION


class Snapshot:
    """The first ``n`` rows of a timeline's store, read-only (see the module docstring).

    The store only ever appends, so a snapshot stays valid while the engine keeps writing: it simply does not
    see rows added after it was taken. Take a new one to see them.
    """

    __slots__ = ("_store", "n", "offset")

    def __init__(self, store: ColumnStore, offset: int) -> None:
        self._store = store
        self.n: int = store.n  # first: every column and vocabulary read later covers these rows
        self.offset: int = offset

    @property
    def total(self) -> int:
        """Rows of the timeline: file rows plus store rows."""
        return self.offset + self.n

    def _range(self, start: int, stop: int) -> slice:
        return slice(max(0, start), min(stop, self.n))

    # -- column ranges (numpy copies)

    def kinds(self, start: int, stop: int) -> np.ndarray:
        """Kind codes (:data:`EVENT`, :data:`REQUEST`, :data:`CONNECTION`) of rows [start, stop), int8."""
        return np.frombuffer(self._store.kind[self._range(start, stop)], dtype=np.int8)

    def codes(self, column: str, start: int, stop: int) -> np.ndarray:
        """Codes of string column ``column`` (one of :data:`STRING_COLUMNS`) for rows [start, stop), int32."""
        return np.frombuffer(self._store.codes[column][self._range(start, stop)], dtype=np.int32)

    def received_at(self, start: int, stop: int) -> np.ndarray:
        """Receive times (wall clock, epoch seconds) of rows [start, stop)."""
        return np.frombuffer(self._store.received_at[self._range(start, stop)], dtype=np.float64)

    def timestamps(self, start: int, stop: int) -> np.ndarray:
        """Server timestamps (epoch seconds of the server's clock; NaN if none) of rows [start, stop)."""
        return np.frombuffer(self._store.timestamp[self._range(start, stop)], dtype=np.float64)

    # -- vocabularies

    def strings(self, column: str) -> Sequence[str | None]:
        """Column ``column``'s vocabulary: ``strings(column)[code]`` is the text (None for code 0).

        Read-only for callers. It may hold values of rows newer than the snapshot (never fewer).
        """
        return self._store.vocabs[column].strings

    def code_of(self, column: str, value: str) -> int:
        """The code of ``value`` in ``column``, or -1 if no row has it (never adds it)."""
        return self._store.vocabs[column].codes.get(value, -1)

    # -- one row

    def kind(self, i: int) -> int:
        """Row ``i``'s kind code."""
        return int(self._store.kind[self._check(i)])

    def text(self, column: str, i: int) -> str | None:
        """Row ``i``'s value of string column ``column`` (None when missing)."""
        store = self._store
        return store.vocabs[column].strings[store.codes[column][self._check(i)]]

    def extra(self, i: int) -> dict[str, Any]:
        """Row ``i``'s request or connection fields (``status``, ``elapsed``, ``detail``...); {} for events.

        The dict is the store's own: do not change it.
        """
        extra = self._store.extra
        k = bisect.bisect_left(extra, self._check(i), key=lambda item: item[0])
        return extra[k][1] if k < len(extra) and extra[k][0] == i else {}

    def _check(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(f"row {i} is not in this snapshot of {self.n} rows")
        return i
