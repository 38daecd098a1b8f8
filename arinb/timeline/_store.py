"""The append-only column store behind :class:`~arinb.timeline.Timeline` (the write side).

Writes happen on one thread (the engine loop); reads happen on others (the kernel, a widget timer).
``Timeline.add_event`` interns an event's strings to codes while the freshly parsed dict is still in the CPU
cache, and queues the row (its codes packed into one ``struct`` record); :meth:`ColumnStore.append_batch`
moves a batch of queued rows into the columns (numpy slices of the packed codes, timestamps parsed by numpy
for the whole batch) when the queue is full or a reader asks. Per-row appends to fifteen columns cost more
than four queue appends; a batch costs little per row.

Publication: a batch's columns are all computed before the first one is appended, then every column is
appended and the row count ``n`` is bumped last, so a reader that snapshots ``n`` and slices each column to
it always sees whole rows. Appends to ``list``/``array.array`` are atomic under the GIL, and readers copy
slices (never hold a buffer export, which would make the writer's append fail).

Why codes: ids, states and types repeat a lot. Interning each string to a small int code on intake makes a
row cost a few array appends, and lets the DataFrame build use ``Categorical.from_codes`` and ``take``
instead of hashing a million Python strings.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any, Final

# At import, not at the first flush: numpy's import (~0.1 s) would otherwise land in the middle of intake.
import numpy as np

from arinb.models import parse_timestamp

__all__ = ["HTTP_METHODS", "KINDS", "STRING_COLUMNS", "ColumnStore", "ObjectColumn", "Vocab"]

#: Row kinds, in code order.
KINDS: Final = ("event", "request", "connection")
KIND_EVENT: Final = 0
KIND_REQUEST: Final = 1
KIND_CONNECTION: Final = 2

#: HTTP methods a request row may have (the ``method`` categorical's categories).
HTTP_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")

#: Interned string columns, in storage order (each has its own vocabulary; code 0 means missing).
STRING_COLUMNS: Final = (
    "type",
    "application",
    "channel_id",
    "channel_name",
    "channel_state",
    "playback_id",
    "playback_state",
    "media_uri",
    "next_media_uri",
    "bridge_id",
    "recording_name",
)


class _Codes(dict[Any, int]):
    """A vocabulary's string -> code map; a lookup of an unseen value gives it the next code.

    ``codes[value]`` is the whole intern step on the hot path (one subscript, no branch in the caller);
    ``codes.get(value)`` does not add. Non-string values (a number where a string was expected) are
    kept as their text. An unhashable value raises ``TypeError`` (use :meth:`Vocab.add`).
    """

    __slots__ = ("strings",)

    def __init__(self, strings: list[str | None]) -> None:
        super().__init__({None: 0})
        self.strings = strings

    def __missing__(self, value: Any) -> int:
        strings = self.strings
        if type(value) is str:  # the common miss: a new id or name
            code = len(strings)
            strings.append(value)
            self[value] = code
            return code
        text = value if isinstance(value, str) else str(value)
        known = self.get(text)
        if known is None:
            known = len(strings)
            strings.append(text)
            self[text] = known
        self[value] = known
        return known


class Vocab:
    """Strings to small int codes, append-only. Code 0 is "missing" (None)."""

    __slots__ = ("codes", "strings")

    def __init__(self) -> None:
        self.strings: list[str | None] = [None]
        self.codes: _Codes = _Codes(self.strings)

    def add(self, value: Any) -> int:
        """The code of ``value`` (a new one if unseen); an unhashable value is keyed by its text."""
        try:
            return self.codes[value]
        except TypeError:
            return self.codes[str(value)]

    def __len__(self) -> int:
        return len(self.strings)


_NAN: Final = float("nan")


class ObjectColumn:
    """An append-only column of Python objects (the frames' texts) that the garbage collector never walks.

    A ``list`` of a million strings is a container the cyclic GC traverses on every full collection (a
    cache miss per string: ~50 ms per 200,000 frames, paid by everything the process does, intake first);
    a numpy object array is not GC-tracked. What it holds (texts, and event dicts without cycles) needs no
    cycle detection. Appends are amortised O(1) (capacity doubling); ``col[a:b]`` is a view of rows that
    never change, safe to read while the writer appends (a grown array replaces the old one whole).

    >>> col = ObjectColumn()
    >>> col.extend(["a", "b"]); col.append("c")
    >>> len(col), list(col[1:3])
    (3, ['b', 'c'])
    """

    __slots__ = ("_arr", "_n")

    def __init__(self) -> None:
        self._arr: np.ndarray = np.empty(1024, dtype=object)
        self._n = 0

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more values (so that the appends that follow cannot fail)."""
        need = self._n + extra
        if need > len(self._arr):
            grown = np.empty(max(need, 2 * len(self._arr)), dtype=object)
            grown[: self._n] = self._arr[: self._n]
            self._arr = grown

    def extend(self, values: Sequence[Any]) -> None:
        count = len(values)
        self.reserve(count)
        arr = self._arr
        n = self._n
        if count == 1:
            arr[n] = values[0]
        else:
            # Element by element: numpy would turn a list of equal-length lists or tuples into a 2-D block.
            arr[n : n + count] = np.fromiter(values, dtype=object, count=count)
        self._n = n + count

    def append(self, value: Any) -> None:
        self.reserve(1)
        self._arr[self._n] = value
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: slice) -> np.ndarray:
        start, stop, step = index.indices(self._n)
        return self._arr[start:stop:step]


class ColumnStore:
    """Append-only columns; ``n`` rows are complete. Not part of the public API: use ``Timeline``."""

    def __init__(self) -> None:
        self.n = 0
        self.kind = array("b")
        self.received_at = array("d")
        self.timestamp = array("d")  # Asterisk's timestamp, epoch seconds; NaN when absent
        self.vocabs: dict[str, Vocab] = {name: Vocab() for name in STRING_COLUMNS}
        self.codes: dict[str, array[int]] = {name: array("i") for name in STRING_COLUMNS}
        # raw JSON text per row, or the event dict itself when the caller had no text (serialised on read).
        self.raw = ObjectColumn()
        self.raw_dicts: list[int] = []  # seqs whose raw is a dict, to serialise at build time
        # Rows of kind request / connection carry extra fields; events never touch these. Append-only,
        # in seq order (readers bisect it), published with the row.
        self.extra: list[tuple[int, dict[str, Any]]] = []

    @staticmethod
    def parse_ts(text: Any) -> float:
        """Asterisk's ``%FT%T.%q%z`` (any offset) to epoch seconds; NaN if absent or invalid."""
        if type(text) is not str:
            return _NAN
        try:
            return parse_timestamp(text)
        except ValueError:
            return _NAN

    def append_batch(
        self, received: array[float], codes: array[int], stamps: list[Any], raws: list[Any]
    ) -> None:
        """Append event rows queued by ``Timeline.add_event``, then publish them (``n`` last).

        ``codes`` holds one code per :data:`STRING_COLUMNS` entry for each row, row after row; ``stamps``
        the timestamp texts; ``raws`` the frame texts, or the event dict when there was none (serialised
        when the DataFrame is built).
        """
        count = len(raws)
        if not count:
            return
        by_row = np.frombuffer(codes, dtype=np.int32).reshape(count, len(STRING_COLUMNS))
        columns = [by_row[:, j].tobytes() for j in range(len(STRING_COLUMNS))]
        seconds = self._stamps(stamps)
        start = self.n
        textless = (
            [start + i for i, r in enumerate(raws) if type(r) is dict] if dict in set(map(type, raws)) else []
        )

        self.raw.reserve(count)
        # Everything is computed: append (cannot fail half-way), then publish.
        self.kind.frombytes(bytes(count))  # KIND_EVENT is 0
        self.received_at.extend(received)
        self.timestamp.extend(seconds)
        for column, values in zip(self.codes.values(), columns, strict=True):
            column.frombytes(values)
        self.raw.extend(raws)
        self.raw_dicts.extend(textless)
        self.n = start + count

    def odd_row(self, event: Any) -> tuple[tuple[int, ...], Any, dict[str, Any]]:
        """Codes, timestamp and dict of an event the hot path choked on (a list where a string belongs...).

        Missing or odd values give missing or text values, never an exception: a frame is always recorded.
        """
        if type(event) is not dict:
            event = {}
        get = event.get

        def sub(name: str) -> dict[str, Any]:
            value = get(name)
            return value if type(value) is dict else {}

        channel, playback, recording, bridge = (
            sub("channel"),
            sub("playback"),
            sub("recording"),
            sub("bridge"),
        )
        channel_id, bridge_id = channel.get("id"), bridge.get("id")
        target = playback.get("target_uri")
        if channel_id is None and type(target) is str:
            if target.startswith("channel:"):
                channel_id = target[8:]
            elif bridge_id is None and target.startswith("bridge:"):
                bridge_id = target[7:]
        target = recording.get("target_uri")
        if channel_id is None and type(target) is str and target.startswith("channel:"):
            channel_id = target[8:]
        values = {
            "type": get("type"),
            "application": get("application"),
            "channel_id": channel_id,
            "channel_name": channel.get("name"),
            "channel_state": channel.get("state"),
            "playback_id": playback.get("id"),
            "playback_state": playback.get("state"),
            "media_uri": playback.get("media_uri"),
            "next_media_uri": playback.get("next_media_uri"),
            "bridge_id": bridge_id,
            "recording_name": recording.get("name"),
        }
        codes = tuple(self.vocabs[name].add(values[name]) for name in STRING_COLUMNS)
        return codes, get("timestamp"), event

    def _stamps(self, texts: Sequence[Any]) -> array[float]:
        """Asterisk timestamps to epoch seconds (NaN if absent or invalid).

        Vectorised: Python spends ~0.6 µs per text slicing and int()-ing; numpy reads the digits of the whole
        batch at once. A text that is not exactly ``YYYY-MM-DDTHH:MM:SS.mmm+0000`` with valid fields (another
        offset, garbage, None) goes through :meth:`parse_ts`, which decides as ``parse_timestamp`` does.
        """
        # U29: a 29th character means "too long"; non-strings become their text and fail the checks below.
        chars = np.array(texts, dtype="U29").view(np.uint32).reshape(len(texts), 29)
        digits = chars.astype(np.int64) - 48
        ok = (
            (chars[:, 27] != 0) & (chars[:, 28] == 0) & np.all(chars[:, _SEPARATOR_AT] == _SEPARATORS, axis=1)
        )
        ok &= np.all((digits[:, _DIGIT_AT] >= 0) & (digits[:, _DIGIT_AT] <= 9), axis=1)

        def number(first: int, width: int) -> np.ndarray:
            value = digits[:, first]
            for i in range(first + 1, first + width):
                value = value * 10 + digits[:, i]
            return value

        year, month, day = number(0, 4), number(5, 2), number(8, 2)
        hour, minute, second, milli = number(11, 2), number(14, 2), number(17, 2), number(20, 3)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        month_ok = (month >= 1) & (month <= 12)
        last_day = np.asarray(_MONTH_DAYS)[np.where(month_ok, month, 1)] + (leap & (month == 2))
        ok &= (
            month_ok
            & (day >= 1)
            & (day <= last_day)
            & (year >= 1)
            & (hour < 24)
            & (minute < 60)
            & (second < 60)
        )
        # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
        y = year - (month <= 2)
        era = y // 400
        yoe = y - era * 400
        doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
        days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
        whole = (days * 86400 + hour * 3600 + minute * 60 + second).astype(np.float64)
        # Same arithmetic as parse_ts (whole seconds + ms / 1000.0): the same float, bit for bit.
        out = np.where(ok, whole + milli / 1000.0, np.nan)
        for i in np.flatnonzero(~ok).tolist():
            out[i] = self.parse_ts(texts[i])
        return array("d", out.tobytes())


_SEPARATOR_AT: Final = [4, 7, 10, 13, 16, 19, 23, 24, 25, 26, 27]
_SEPARATORS: Final = [ord(c) for c in "--T::.+0000"]
_DIGIT_AT: Final = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return _NAN
