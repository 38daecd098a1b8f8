"""The append-only column store behind :class:`~arinb.timeline.Timeline` (the write side).

Writes happen on one thread (the engine loop); reads happen on another (the kernel). There is no lock:
every column is appended first and the row count ``n`` is bumped last, so a reader that snapshots ``n``
and slices each column to it always sees whole rows. Appends to ``list``/``array.array`` are atomic under
the GIL, and readers copy slices (never hold a buffer export, which would make the writer's append fail).

Why codes: ids, states and types repeat a lot. Interning each string to a small int code on intake makes a
row cost a few array appends, and lets the DataFrame build use ``Categorical.from_codes`` and ``take``
instead of hashing a million Python strings.
"""

from __future__ import annotations

import datetime as _dt
from array import array
from typing import Any, Final

from arinb.models import parse_timestamp

__all__ = ["HTTP_METHODS", "KINDS", "STRING_COLUMNS", "ColumnStore", "Vocab"]

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


class Vocab:
    """Strings to small int codes, append-only. Code 0 is "missing" (None)."""

    __slots__ = ("codes", "strings")

    def __init__(self) -> None:
        self.codes: dict[Any, int] = {None: 0}
        self.strings: list[str | None] = [None]

    def add(self, value: Any) -> int:
        """The code of ``value`` (a new one if unseen). add_event inlines the lookup, calls this on a miss."""
        code = self.codes.get(value)
        if code is None:
            # Non-string values (a number where a string was expected) are kept as their text.
            text = value if isinstance(value, str) else str(value)
            code = self.codes.get(text)
            if code is None:
                code = len(self.strings)
                self.strings.append(text)
                self.codes[text] = code
            self.codes[value] = code
        return code

    def __len__(self) -> int:
        return len(self.strings)


_NAN: Final = float("nan")


def _epoch_prefix(prefix: str) -> float:
    return _dt.datetime.fromisoformat(prefix + "+00:00").timestamp()


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
        self.raw: list[Any] = []
        self.raw_dicts: list[int] = []  # seqs whose raw is a dict, to serialise at build time
        # Rows of kind request / connection carry extra fields; events never touch these. Append-only,
        # in seq order (readers bisect it), published with the row.
        self.extra: list[tuple[int, dict[str, Any]]] = []
        # Epoch of each "YYYY-MM-DDTHH:MM:SS" prefix seen (events share seconds; one entry per second).
        self.ts_seconds: dict[str, float] = {}

    def parse_ts(self, text: Any) -> float:
        """Asterisk's ``%FT%T.%q%z`` to epoch seconds; NaN if absent or invalid. (Slow path of add_event.)"""
        if type(text) is not str:
            return _NAN
        if len(text) == 28 and text[19] == "." and text.endswith("+0000") and text[20:23].isdigit():
            prefix = text[:19]
            try:
                epoch = _epoch_prefix(prefix)
            except ValueError:
                return _NAN
            if len(self.ts_seconds) > 100_000:  # a long run: keep the cache small
                self.ts_seconds.clear()
            self.ts_seconds[prefix] = epoch
            return epoch + int(text[20:23]) / 1000.0
        try:
            return parse_timestamp(text)
        except ValueError:
            return _NAN
