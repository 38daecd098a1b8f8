"""Building the timeline's DataFrame from the column store, incrementally.

Columns of ``Timeline.df`` (one row per event, REST request or connection change, in arrival order):

============== ============================ ==========================================================
column         dtype                        meaning
============== ============================ ==========================================================
seq            int64                        arrival order, from 0
kind           category                     event, request or connection
received_at    datetime64[ns, UTC]          wall clock when the frame arrived (requests: the reply)
timestamp      datetime64[ns, UTC]          Asterisk's own ``timestamp`` (events only; NaT if unusable)
lag            float64                      received_at - timestamp, seconds
type           category                     event type; for connection rows the connection kind
application    category                     the Stasis application
channel_id     string                       channel id (playback events: from ``target_uri``)
channel_name   string
channel_state  category                     Ring, Up, ...
playback_id    string
playback_state category                     queued, playing, continuing, done, failed, ...
media_uri      string
next_media_uri string
bridge_id      string
recording_name string
method         category                     requests: HTTP method
path           string                       requests: path (no credentials)
query          string                       requests: query string (no ``api_key``)
status         Int64                        requests: HTTP status (NA when no reply)
sent_at        datetime64[ns, UTC]          requests: when the request went out
elapsed        float64                      requests: seconds until the reply
reason         string                       requests: HTTP reason phrase
error          string                       requests: why there was no reply
detail         string                       connection rows: URL or message
raw            string                       the verbatim JSON frame (requests: the response body)
============== ============================ ==========================================================

Times outside what ``datetime64[ns]`` holds (years 1678-2262): a server ``timestamp`` there is NaT, as an
invalid one is (``raw`` keeps its text); a ``received_at`` there (the caller's clock, often milliseconds
passed as seconds) makes ``tl.df`` raise :class:`~arinb.errors.AriUsageError` naming the row, rather than
wrap around to another date.

Strings use pandas' ``string[python]`` dtype: building it from a million raw frames takes milliseconds,
where the pyarrow storage would copy every byte (~2 s per million frames measured).

How it stays incremental: :class:`FrameCache` keeps one growing numpy buffer per column. Asking for the
frame converts only the rows the store gained since the last time into those buffers, then wraps the
first N entries of each buffer (views, no copy) in a DataFrame. The views are read-only, so an edit of
``tl.df`` cannot corrupt the cache (edit ``tl.df.copy()``); rows never change once written.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from arinb.errors import AriUsageError
from arinb.models import dumps
from arinb.timeline._store import HTTP_METHODS, KINDS, STRING_COLUMNS, ColumnStore

__all__ = ["COLUMNS", "DTYPES", "FrameCache", "coerce_frame", "empty_frame"]

STRING: Final = pd.StringDtype("python")
UTC_NS: Final = pd.DatetimeTZDtype("ns", "UTC")
KIND_DTYPE: Final = pd.CategoricalDtype(list(KINDS))
METHOD_DTYPE: Final = pd.CategoricalDtype(list(HTTP_METHODS))

#: Columns whose categories are the (sorted) values seen, not a fixed list.
OPEN_CATEGORIES: Final = ("type", "application", "channel_state", "playback_state")
_EXTRA_STRINGS: Final = ("path", "query", "reason", "error", "detail")

COLUMNS: Final = (
    "seq",
    "kind",
    "received_at",
    "timestamp",
    "lag",
    *STRING_COLUMNS,
    "method",
    "path",
    "query",
    "status",
    "sent_at",
    "elapsed",
    "reason",
    "error",
    "detail",
    "raw",
)

#: dtype of every column except the open categoricals (see :func:`coerce_frame`).
DTYPES: Final[dict[str, Any]] = {
    "seq": np.dtype("int64"),
    "kind": KIND_DTYPE,
    "received_at": UTC_NS,
    "timestamp": UTC_NS,
    "lag": np.dtype("float64"),
    **{name: STRING for name in STRING_COLUMNS if name not in OPEN_CATEGORIES},
    "method": METHOD_DTYPE,
    **{name: STRING for name in _EXTRA_STRINGS},
    "status": pd.Int64Dtype(),
    "sent_at": UTC_NS,
    "elapsed": np.dtype("float64"),
    "raw": STRING,
}
_NAT: Final = np.iinfo(np.int64).min


# A python-storage StringArray, used to wrap buffers without re-validating every row (see _strings).
_STRING_TEMPLATE: Final[Any] = cast(Any, pd.arrays.StringArray)(np.array(["a"], dtype=object), dtype=STRING)


def _strings(values: np.ndarray) -> pd.arrays.StringArray:
    """Wrap an object array of str / pd.NA as a string array, without a copy.

    The public constructor re-checks every element (O(N) per refresh); the buffers only ever hold str or
    pd.NA (written by this module), so the check is skipped.
    """
    return cast(pd.arrays.StringArray, _STRING_TEMPLATE._from_backing_data(values))


#: The epoch seconds ``datetime64[ns]`` holds (1677-09-21 to 2262-04-11), less a margin for the rounding.
NS_LIMIT: Final = 9_223_372_035.0


def _usable(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds with the ones ``datetime64[ns]`` cannot hold made NaN (missing)."""
    return np.where(np.abs(seconds) <= NS_LIMIT, seconds, np.nan)


def _check_wall_times(seconds: np.ndarray, column: str, first_seq: int) -> None:
    """Raise if a receive time cannot be held: it would wrap around to another date."""
    bad = np.flatnonzero(np.abs(seconds) > NS_LIMIT)  # NaN compares False: missing is fine
    if bad.size:
        value = float(seconds[bad[0]])
        raise AriUsageError(
            f"timeline row {first_seq + int(bad[0])}: {column} {value:g} is not epoch seconds between the "
            "years 1678 and 2262 (what pandas' datetime64[ns] holds); pass seconds, e.g. time.time(), "
            "not milliseconds"
        )


def _datetime_ns(seconds: np.ndarray, resolution: float) -> np.ndarray:
    """Epoch seconds (NaN = missing) as int64 nanoseconds rounded to ``resolution`` s (NaT for NaN).

    Rounding matters: 1795695288.843 as a float is ...842999808 ns; Asterisk meant .843.
    """
    missing = np.isnan(seconds)
    steps = np.round(np.where(missing, 0.0, seconds) / resolution).astype(np.int64)
    ns = steps * np.int64(round(resolution * 1e9))
    ns[missing] = _NAT
    return ns


def _as_datetimes(ns: np.ndarray) -> pd.arrays.DatetimeArray:
    # _simple_new: the values are already int64 ns, so skip the O(N) validation of the public path.
    return cast(
        pd.arrays.DatetimeArray,
        cast(Any, pd.arrays.DatetimeArray)._simple_new(ns.view("M8[ns]"), dtype=UTC_NS),
    )


def _sorted_categories(strings: list[str | None]) -> tuple[pd.CategoricalDtype, np.ndarray]:
    """Sorted categories of a vocabulary, and the lookup table vocab code -> category code (-1 = NA)."""
    values = cast(list[str], strings[1:])
    order = sorted(range(len(values)), key=values.__getitem__)
    lut = np.empty(len(strings), dtype=np.int32)
    lut[0] = -1
    lut[np.asarray(order, dtype=np.int64) + 1] = np.arange(len(values), dtype=np.int32)
    return pd.CategoricalDtype([values[i] for i in order]), lut


def empty_frame() -> pd.DataFrame:
    """A timeline frame with no rows and every column at its dtype."""
    return FrameCache(ColumnStore()).frame()


def coerce_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame read back from a file the timeline's column order and dtypes.

    Raises ``KeyError`` naming the missing columns.
    """
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise KeyError(", ".join(missing))
    out = {}
    for name in COLUMNS:
        col = frame[name]
        if name in OPEN_CATEGORIES:
            values = col.astype("object").where(col.notna(), None)
            present = sorted({v for v in values if v is not None})
            col = values.astype(pd.CategoricalDtype(present))
        elif DTYPES[name] == UTC_NS:
            if not isinstance(col.dtype, pd.DatetimeTZDtype):
                col = pd.to_datetime(col, utc=True, format="ISO8601")
            col = col.dt.tz_convert("UTC").astype(UTC_NS)
        elif DTYPES[name] == STRING:
            values = col.astype("object")
            col = values.where(values.notna(), None).astype(STRING)
        else:
            numeric = not isinstance(DTYPES[name], pd.CategoricalDtype)
            if numeric and (col.dtype == object or isinstance(col.dtype, pd.StringDtype)):
                col = pd.to_numeric(col)  # text formats: "201", "0.0021", "" / None for missing
            col = col.astype(DTYPES[name])
        out[name] = col.reset_index(drop=True)
    result = pd.DataFrame(out)
    # lag is derived: recompute it exactly as the store does, whatever a text format did to the float.
    received, stamps = result["received_at"].array.asi8, result["timestamp"].array.asi8
    result["lag"] = np.where(stamps == _NAT, np.nan, (received - stamps) / 1e9)
    return result


class FrameCache:
    """Column buffers filled from the store incrementally, and the DataFrame view over them.

    ``rows_converted`` counts rows taken from the store (the per-row work): a second ``frame()`` after N
    new rows adds exactly N. Everything else a refresh does is O(1) wrapping of buffer views, plus an O(N)
    vectorised recode of an open categorical column on the rare refresh that meets a new category.
    """

    def __init__(self, store: ColumnStore) -> None:
        self._store = store
        self._lock = threading.Lock()  # the kernel and a widget timer thread may both read
        self._offset = 0  # rows adopted from a file before the store's first row
        self._built = 0  # store rows converted into the buffers
        self._cap = 0
        self._buf: dict[str, np.ndarray] = {}
        self._tables: dict[str, np.ndarray] = {}  # vocab code -> str / NA, for string columns
        self._cats: dict[str, tuple[int, pd.CategoricalDtype, np.ndarray]] = {}
        self._frame: pd.DataFrame | None = None
        self.rows_converted = 0

    # -- buffers

    _LAYOUT: Final[dict[str, Any]] = {
        "seq": np.int64,
        "kind": np.int8,
        "received_at": np.int64,
        "timestamp": np.int64,
        "lag": np.float64,
        **{name: (np.int32 if name in OPEN_CATEGORIES else object) for name in STRING_COLUMNS},
        **{"vocab_" + name: np.int32 for name in OPEN_CATEGORIES},
        "method": np.int8,
        **{name: object for name in _EXTRA_STRINGS},
        "status": np.int64,
        "status_na": np.bool_,
        "sent_at": np.int64,
        "elapsed": np.float64,
        "raw": object,
    }

    def _reserve(self, rows: int) -> None:
        if rows <= self._cap and self._buf:
            return
        cap = max(1024, rows + rows // 4, self._cap * 2)
        for name, dtype in self._LAYOUT.items():
            new = np.empty(cap, dtype=dtype)
            old = self._buf.get(name)
            if old is not None:
                new[: len(old)] = old
            self._buf[name] = new
        self._cap = cap

    def adopt(self, frame: pd.DataFrame) -> None:
        """Start from rows read back from a file (a frame with the timeline's columns and dtypes)."""
        with self._lock:
            if self._built or self._offset:
                raise RuntimeError("adopt() only on a fresh timeline")
            count = len(frame)
            self._reserve(count + 1024)
            b = self._buf
            b["seq"][:count] = frame["seq"].to_numpy("int64")
            b["kind"][:count] = frame["kind"].cat.codes.to_numpy()
            b["method"][:count] = frame["method"].cat.codes.to_numpy()
            for name in ("received_at", "timestamp", "sent_at"):
                b[name][:count] = frame[name].array.asi8
            for name in ("lag", "elapsed"):
                b[name][:count] = frame[name].to_numpy("float64")
            b["status"][:count] = frame["status"].to_numpy("int64", na_value=0)
            b["status_na"][:count] = frame["status"].isna().to_numpy()
            for name in (*STRING_COLUMNS, *_EXTRA_STRINGS, "raw"):
                col = frame[name]
                if name in OPEN_CATEGORIES:
                    # Register the file's categories in the store's vocabulary: appended rows share codes.
                    vocab = self._store.vocabs[name]
                    to_vocab = np.array([0] + [vocab.add(c) for c in col.cat.categories], dtype=np.int32)
                    b["vocab_" + name][:count] = to_vocab[col.cat.codes.to_numpy() + 1]
                else:
                    b[name][:count] = cast(Any, col).to_numpy(object, na_value=pd.NA)
            self._offset = count
            self._refresh_categories(0, count)
            self._frame = None

    # -- conversion

    def frame(self) -> pd.DataFrame:
        """The whole timeline as a DataFrame (file rows, then every store row published so far)."""
        with self._lock:
            n = self._store.n  # snapshot first: vocabularies read after it know every code below n
            if self._frame is not None and n == self._built:
                return self._frame
            done, total = self._offset + self._built, self._offset + n
            self._reserve(total)
            self._fill(self._built, n)
            self._built = n
            self._refresh_categories(done, total)
            self._frame = self._view(total)
            return self._frame

    def _fill(self, start: int, stop: int) -> None:
        """Convert store rows ``[start, stop)`` into the buffers (the only per-row work)."""
        if stop <= start:
            return
        s, b = self._store, self._buf
        lo, hi = self._offset + start, self._offset + stop
        received = np.frombuffer(s.received_at[start:stop], dtype=np.float64)
        _check_wall_times(received, "received_at", lo)  # before any buffer is written
        self.rows_converted += stop - start
        b["seq"][lo:hi] = np.arange(lo, hi, dtype=np.int64)
        b["kind"][lo:hi] = np.frombuffer(s.kind[start:stop], dtype=np.int8)
        stamps = _usable(np.frombuffer(s.timestamp[start:stop], dtype=np.float64))
        received_ns = b["received_at"][lo:hi] = _datetime_ns(received, 1e-6)
        stamps_ns = b["timestamp"][lo:hi] = _datetime_ns(stamps, 1e-3)
        # From the rounded times, so that a frame read back from a file recomputes the same lag.
        missing = (stamps_ns == _NAT) | (received_ns == _NAT)
        b["lag"][lo:hi] = np.where(missing, np.nan, (received_ns - stamps_ns) / 1e9)
        for name in STRING_COLUMNS:
            codes = np.frombuffer(s.codes[name][start:stop], dtype=np.int32)
            if name in OPEN_CATEGORIES:
                b["vocab_" + name][lo:hi] = codes
            else:
                b[name][lo:hi] = self._table(name).take(codes)
        self._fill_extra(start, stop)
        raw = b["raw"]
        raw[lo:hi] = s.raw[start:stop]
        first = bisect.bisect_left(s.raw_dicts, start)
        for seq in s.raw_dicts[first : bisect.bisect_left(s.raw_dicts, stop)]:
            raw[self._offset + seq] = dumps(raw[self._offset + seq])
        chunk = raw[lo:hi]
        chunk[pd.isna(chunk)] = pd.NA

    def _table(self, name: str) -> np.ndarray:
        """The vocabulary of a string column as an object array (extended with new strings only)."""
        strings = self._store.vocabs[name].strings
        table = self._tables.get(name)
        if table is None or len(table) < len(strings):
            known = 0 if table is None else len(table)
            grown = np.empty(len(strings), dtype=object)
            if table is not None:
                grown[:known] = table
            grown[known:] = strings[known : len(grown)]
            grown[0] = pd.NA
            table = self._tables[name] = grown
        return table

    def _fill_extra(self, start: int, stop: int) -> None:
        """Request and connection fields: NA everywhere but on the (few) rows that have them."""
        b, lo, hi = self._buf, self._offset + start, self._offset + stop
        for name in _EXTRA_STRINGS:
            b[name][lo:hi] = pd.NA
        b["method"][lo:hi] = -1
        b["status"][lo:hi] = 0
        b["status_na"][lo:hi] = True
        b["sent_at"][lo:hi] = _NAT
        b["elapsed"][lo:hi] = np.nan
        extra = self._store.extra
        first = bisect.bisect_left(extra, start, key=lambda item: item[0])
        last = bisect.bisect_left(extra, stop, key=lambda item: item[0])
        for seq, fields in extra[first:last]:
            i = self._offset + seq
            for name in _EXTRA_STRINGS:
                value = fields.get(name)
                if value is not None:
                    b[name][i] = value
            if "method" in fields:
                b["method"][i] = HTTP_METHODS.index(fields["method"])
                if fields["status"] is not None:
                    b["status"][i] = fields["status"]
                    b["status_na"][i] = False
                b["sent_at"][i] = _datetime_ns(np.array([fields["sent_at"]]), 1e-6)[0]
                b["elapsed"][i] = fields["elapsed"]

    def _refresh_categories(self, done: int, total: int) -> None:
        """Keep each open categorical's sorted codes; recode all rows only when a category appeared."""
        for name in OPEN_CATEGORIES:
            strings = self._store.vocabs[name].strings
            known = self._cats.get(name)
            vocab_codes = self._buf["vocab_" + name]
            if known is None or known[0] != len(strings):
                dtype, lut = _sorted_categories(strings[:])
                self._cats[name] = (len(lut), dtype, lut)
                self._buf[name][:total] = lut.take(vocab_codes[:total])
            else:
                self._buf[name][done:total] = known[2].take(vocab_codes[done:total])

    def _view(self, total: int) -> pd.DataFrame:
        """Read-only views of the first ``total`` buffer rows, as a DataFrame (no copy)."""
        b = self._buf

        def ro(name: str) -> np.ndarray:
            view = b[name][:total]
            view.flags.writeable = False
            return view

        cols: dict[str, Any] = {
            "seq": ro("seq"),
            "kind": pd.Categorical.from_codes(ro("kind"), dtype=KIND_DTYPE, validate=False),
            "received_at": _as_datetimes(ro("received_at")),
            "timestamp": _as_datetimes(ro("timestamp")),
            "lag": ro("lag"),
        }
        for name in STRING_COLUMNS:
            if name in OPEN_CATEGORIES:
                dtype = self._cats[name][1]
                cols[name] = pd.Categorical.from_codes(ro(name), dtype=dtype, validate=False)
            else:
                cols[name] = _strings(ro(name))
        cols["method"] = pd.Categorical.from_codes(ro("method"), dtype=METHOD_DTYPE, validate=False)
        cols["path"] = _strings(ro("path"))
        cols["query"] = _strings(ro("query"))
        cols["status"] = pd.arrays.IntegerArray(ro("status"), ro("status_na"))
        cols["sent_at"] = _as_datetimes(ro("sent_at"))
        cols["elapsed"] = ro("elapsed")
        for name in ("reason", "error", "detail", "raw"):
            cols[name] = _strings(ro(name))
        return pd.DataFrame(cols, index=pd.RangeIndex(total), copy=False)
