"""The live timeline view: latest rows as a table, counts per type, filters, pause.

A :class:`~arinb.widgets.throttle.Throttle` polls the timeline a few times a second (8 Hz by default) and
sets the widgets' ``value`` traits when something changed. Each refresh reads only the rows added since
the previous one, through a :class:`~arinb.timeline.Snapshot` (counts are updated with ``numpy.bincount``
on their type codes; the table needs at most ``rows`` of them), so a burst of thousands of events costs the
kernel next to nothing.

"lag ms" is real time: the receive time (wall clock) minus the server's timestamp, shown only while the
server's clock keeps the wall clock's pace. A sped-up or hand-driven simulator stamps events with simulated
time; subtracting that from a wall-clock time gives nonsense (seconds, negative), so the column stays empty
and the status line says why.

>>> tl.widget()    # or TimelineWidget(tl), or `tl` as a cell's last line  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import html
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as w
import numpy as np

from arinb.timeline.snapshot import CONNECTION, EVENT, KINDS, REQUEST
from arinb.widgets.throttle import Throttle

if TYPE_CHECKING:
    from arinb.timeline import Snapshot, Timeline

__all__ = ["TimelineWidget", "frame_rows", "render_rows"]

REQUESTS: Final = "\x00requests"  # the type-filter value that selects REST calls
#: the filters' "all" choice. Not None: ipywidgets 8 shows a None value as an empty selection.
ALL: Final = ""
_SCAN_CHUNK: Final = 4096
_MAX_CHANNELS: Final = 100  # channels offered in the filter (the most recent ones)
# How far the server's clock may drift from the wall clock (seconds, plus a share of the wall time elapsed)
# before its timestamps count as another clock's: delivery jitter and a busy kernel stay well below it, a
# simulator at speed 2 crosses it within a second, at speed 50 within 20 ms.
_PACE_SLACK: Final = 0.5
_PACE_SHARE: Final = 0.05
_NOT_REAL_TIME: Final = "lag hidden: the server's clock does not run in real time (a sped-up simulator?)"
_HEAD: Final = ("#", "time (UTC)", "kind", "what", "channel", "state", "playback / media", "lag ms")
_STYLE: Final = (
    "<style>.arinb-tl{border-collapse:collapse;font:12px monospace}"
    ".arinb-tl td,.arinb-tl th{padding:1px 6px;border-bottom:1px solid #eee;text-align:left;"
    "white-space:nowrap;max-width:30em;overflow:hidden;text-overflow:ellipsis}"
    ".arinb-tl tr.request td{color:#1565c0}.arinb-tl tr.connection td{color:#6a1b9a}"
    ".arinb-counts span{display:inline-block;margin:0 8px 2px 0;font:12px monospace}</style>"
)


def _clock(epoch: float) -> str:
    if epoch != epoch:  # NaN
        return ""
    try:
        t = _dt.datetime.fromtimestamp(epoch, _dt.UTC)
    except (OverflowError, OSError, ValueError):  # beyond year 9999: not seconds (milliseconds?)
        return "?"
    return f"{t:%H:%M:%S}.{t.microsecond // 1000:03d}"


def render_rows(rows: list[tuple[str, ...]]) -> str:
    """The table HTML for display rows (``(css class, cell, cell, ...)`` tuples, newest first)."""
    head = "".join(f"<th>{h}</th>" for h in _HEAD)
    body = "".join(
        f"<tr class='{row[0]}'>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row[1:]) + "</tr>"
        for row in rows
    )
    # A view narrower than the table scrolls it sideways instead of cutting its right-hand columns off.
    table = f"<table class='arinb-tl'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"{_STYLE}<div class='arinb-tl-scroll' style='overflow-x:auto;max-width:100%'>{table}</div>"


class TimelineWidget(w.VBox):
    """A live view of a :class:`~arinb.timeline.Timeline`.

    Children, all plain ipywidgets: ``type_filter`` and ``channel_filter`` (Dropdowns; ``ALL`` = all),
    ``pause_button`` (ToggleButton), ``counts_html``, ``table_html`` (latest rows, newest first) and
    ``status_html``. Set a filter's ``value`` or the button's ``value`` from Python and call
    :meth:`refresh` to see the result at once; otherwise the throttle picks it up within ``1/rate`` s.
    """

    def __init__(self, timeline: Timeline, *, rows: int = 25, rate: float = 8.0, live: bool = True) -> None:
        self.timeline = timeline
        self.max_rows = rows
        self.counts_html = w.HTML()
        self.table_html = w.HTML()
        self.status_html = w.HTML()
        self.type_filter = w.Dropdown(options=[("all types", ALL)], value=ALL, layout=w.Layout(width="16em"))
        self.channel_filter = w.Dropdown(
            options=[("all channels", ALL)], value=ALL, layout=w.Layout(width="22em")
        )
        self.pause_button = w.ToggleButton(
            value=False, description="Pause", icon="pause", tooltip="Freeze the view"
        )
        super().__init__(
            [
                w.HBox([self.type_filter, self.channel_filter, self.pause_button]),
                self.counts_html,
                self.table_html,
                self.status_html,
            ]
        )
        self._lock = threading.RLock()
        self._seen = 0  # store rows already folded into counts and rows
        self._base_done = False  # rows read from a file (Timeline.read) folded in
        self._rows: list[tuple[str, ...]] = []
        self._type_counts = np.zeros(0, dtype=np.int64)  # by type vocab code, events + connections
        self._kind_counts = np.zeros(len(KINDS), dtype=np.int64)
        self._base_type_counts: dict[str, int] = {}
        self._base_requests = 0
        self._labels: dict[str, str] = {}  # channel id -> "name (id)"
        self._dirty = True  # filters changed: rebuild rows from the whole timeline
        # The first timestamped event (wall receive time, server timestamp): the server clock's pace is
        # measured from it. Once the server clock is seen not to keep the wall clock's pace, lag is hidden.
        self._pace_ref: tuple[float, float] | None = None
        self.lag_in_real_time = True
        self._snap: Snapshot = timeline.snapshot()
        self.refreshes = 0
        self.last_refresh_ms = 0.0
        self.rows_scanned = 0  # store rows read to build display rows (instrumentation)
        self.type_filter.observe(self._filters_changed, "value")
        self.channel_filter.observe(self._filters_changed, "value")
        self.pause_button.observe(self._pause_changed, "value")
        self.throttle = Throttle(self.refresh, rate=rate, poll=live, name="timeline")
        self.refresh()

    # -- state

    @property
    def paused(self) -> bool:
        return bool(self.pause_button.value)

    @property
    def shown(self) -> list[tuple[str, ...]]:
        """The display rows in the table, newest first: ``(css class, seq, time, kind, what, ...)``."""
        with self._lock:  # a refresh on the throttle thread swaps rows and counts together
            return list(self._rows)

    def counts(self) -> dict[str, int]:
        """Rows per type so far (events and connection kinds by type; REST calls as ``requests``)."""
        with self._lock:
            return self._counts()

    def _counts(self) -> dict[str, int]:
        vocab = self._snap.strings("type")
        out = dict(self._base_type_counts)
        for code in np.flatnonzero(self._type_counts).tolist():
            name = vocab[code] if code < len(vocab) else None
            if name is not None:
                out[name] = out.get(name, 0) + int(self._type_counts[code])
        requests = int(self._kind_counts[REQUEST]) + self._base_requests
        if requests:
            out["requests"] = requests
        return out

    # -- events from the widgets

    def _filters_changed(self, change: dict[str, Any]) -> None:
        with self._lock:
            self._dirty = True
        self.throttle.poke()

    def _pause_changed(self, change: dict[str, Any]) -> None:
        self.pause_button.description = "Resume" if change["new"] else "Pause"
        self.pause_button.icon = "play" if change["new"] else "pause"
        if not change["new"]:
            self.throttle.poke()

    # -- the refresh (throttle thread, or called directly)

    def refresh(self) -> None:
        """Fold in the rows added since the last refresh and update the traits that changed."""
        with self._lock:
            snap = self._snap = self.timeline.snapshot()
            n = snap.n
            if self.paused:
                waiting = n - self._seen
                self._set(self.status_html, self._status(f"paused ({waiting} new rows waiting)"))
                return
            if n == self._seen and not self._dirty and self._base_done:
                return
            started = time.perf_counter()
            self.refreshes += 1
            if not self._base_done:
                self._fold_base()
            start = self._seen
            self._fold_counts(start, n)
            if self._dirty:
                self._rows = self._latest(n, self.max_rows, floor=0)
                self._dirty = False
            elif n > start:
                fresh = self._latest(n, self.max_rows, floor=start)
                self._rows = (fresh + self._rows)[: self.max_rows]
            self._seen = n
            self._update_options()
            self._set(self.counts_html, self._counts_html())
            self._set(self.table_html, render_rows(self._rows))
            self.last_refresh_ms = (time.perf_counter() - started) * 1000.0
            self._set(self.status_html, self._status(""))

    @staticmethod
    def _set(widget: w.HTML, value: str) -> None:
        if widget.value != value:  # an unchanged trait is not sent to the browser
            widget.value = value

    def _status(self, note: str) -> str:
        parts = [
            f"{self._snap.total} rows",
            f"showing {len(self._rows)} latest",
            f"refresh {self.last_refresh_ms:.1f} ms",
        ]
        if not self.lag_in_real_time:
            parts.append(_NOT_REAL_TIME)
        if note:
            parts.append(note)
        return "<small>" + " · ".join(html.escape(p) for p in parts) + "</small>"

    def _fold_counts(self, start: int, stop: int) -> None:
        if stop <= start:
            return
        snap = self._snap
        kinds = snap.kinds(start, stop)
        codes = snap.codes("type", start, stop)
        self._kind_counts += np.bincount(kinds, minlength=len(KINDS))[: len(KINDS)]
        typed = codes[kinds != REQUEST]
        size = max(len(self._type_counts), int(codes.max(initial=0)) + 1)
        grown = np.zeros(size, dtype=np.int64)
        grown[: len(self._type_counts)] = self._type_counts
        grown += np.bincount(typed, minlength=size)
        self._type_counts = grown
        self._label_channels(start, stop)
        events = kinds == EVENT
        self._check_pace(snap.received_at(start, stop)[events], snap.timestamps(start, stop)[events])

    def _check_pace(self, received: np.ndarray, stamps: np.ndarray) -> None:
        """Whether the server's timestamps still keep the wall clock's pace (else lag is hidden from now on).

        Measured from the first timestamped event, so a constant clock offset (skew) does not count.
        """
        if not self.lag_in_real_time:
            return
        stamped = ~np.isnan(stamps) & ~np.isnan(received)
        if not stamped.any():
            return
        received, stamps = received[stamped], stamps[stamped]
        if self._pace_ref is None:
            self._pace_ref = (float(received[0]), float(stamps[0]))
        wall = received - self._pace_ref[0]
        drift = (stamps - self._pace_ref[1]) - wall
        if np.any(np.abs(drift) > _PACE_SLACK + _PACE_SHARE * np.abs(wall)):
            self.lag_in_real_time = False
            self._dirty = True  # rows already shown lose their lag too

    def _label_channels(self, start: int, stop: int) -> None:
        """``name (id)`` labels for channels first named in rows [start, stop)."""
        snap = self._snap
        names = snap.codes("channel_name", start, stop)
        ids = snap.codes("channel_id", start, stop)
        named = (names > 0) & (ids > 0)
        if not named.any():
            return
        id_codes, first = np.unique(ids[named], return_index=True)
        id_strings, name_strings = snap.strings("channel_id"), snap.strings("channel_name")
        for code, row in zip(id_codes, first, strict=True):
            cid = id_strings[code]
            if cid is not None and cid not in self._labels:
                self._labels[cid] = f"{name_strings[names[named][row]]} ({cid})"

    def _fold_base(self) -> None:
        """Counts and rows of a timeline read from a file (rows before the store's first)."""
        self._base_done = True
        if not self._snap.offset:
            return
        base = self.timeline.df.iloc[: self._snap.offset]
        events = base[base["kind"] != "request"]
        for etype, count in events["type"].value_counts().items():
            if count:
                self._base_type_counts[str(etype)] = int(count)
        self._base_requests = int((base["kind"] == "request").sum())
        for cid, name in zip(base["channel_id"], base["channel_name"], strict=True):
            if isinstance(cid, str) and cid not in self._labels and isinstance(name, str):
                self._labels[cid] = f"{name} ({cid})"
        stamped = base[base["kind"] == "event"]
        self._check_pace(_epoch(stamped["received_at"]), _epoch(stamped["timestamp"]))

    # -- choosing and rendering rows

    def _mask(self, start: int, stop: int) -> np.ndarray | None:
        """Which store rows in [start, stop) pass the filters (None = all)."""
        snap = self._snap
        mask: np.ndarray | None = None
        wanted_type = self.type_filter.value
        if wanted_type == REQUESTS:
            mask = snap.kinds(start, stop) == REQUEST
        elif wanted_type != ALL:
            mask = snap.codes("type", start, stop) == snap.code_of("type", wanted_type)
        wanted_channel = self.channel_filter.value
        if wanted_channel != ALL:
            on_channel = snap.codes("channel_id", start, stop) == snap.code_of("channel_id", wanted_channel)
            mask = on_channel if mask is None else mask & on_channel
        return mask

    def _latest(self, stop: int, limit: int, floor: int) -> list[tuple[str, ...]]:
        """Up to ``limit`` display rows, newest first, from store rows [floor, stop) (then file rows)."""
        picked: list[int] = []
        hi = stop
        while hi > floor and len(picked) < limit:
            # Unfiltered, the newest rows are the answer; filtered, scan back a chunk at a time.
            lo = max(floor, hi - (limit - len(picked) if self._unfiltered() else _SCAN_CHUNK))
            mask = self._mask(lo, hi)
            self.rows_scanned += hi - lo
            rows = np.arange(hi - 1, lo - 1, -1) if mask is None else lo + np.flatnonzero(mask)[::-1]
            picked.extend(int(i) for i in rows[: limit - len(picked)])
            hi = lo
        out = [self._store_row(i) for i in picked]
        if floor == 0 and len(out) < limit and self._snap.offset:
            out.extend(self._base_rows(limit - len(out)))
        return out

    def _unfiltered(self) -> bool:
        return bool(self.type_filter.value == ALL and self.channel_filter.value == ALL)

    def _store_row(self, i: int) -> tuple[str, ...]:
        snap = self._snap

        def text(name: str) -> str:
            value = snap.text(name, i)
            return "" if value is None else value

        kind = snap.kind(i)
        seq = str(snap.offset + i)
        received = float(snap.received_at(i, i + 1)[0])
        at = _clock(received)
        channel = text("channel_name") or text("channel_id")
        state = text("channel_state") or text("playback_state")
        playback = " ".join(x for x in (text("playback_id"), text("media_uri")) if x)
        if kind == REQUEST:
            extra = snap.extra(i)
            status = extra.get("status")
            elapsed = extra.get("elapsed", float("nan"))
            reply = f"{status}" if status is not None else (extra.get("error") or "no reply")
            took = f" ({elapsed * 1000:.1f} ms)" if elapsed == elapsed else ""
            what = f"{extra.get('method', '')} {extra.get('path', '')} → {reply}{took}"
            return ("request", seq, at, "request", what, channel, state, playback, "")
        if kind == CONNECTION:
            detail = snap.extra(i).get("detail") or ""
            return ("connection", seq, at, "connection", f"{text('type')} {detail}".strip(), "", "", "", "")
        lag = received - float(snap.timestamps(i, i + 1)[0])
        lag_ms = f"{lag * 1000:.1f}" if lag == lag and self.lag_in_real_time else ""
        return ("event", seq, at, "event", text("type"), channel, state, playback, lag_ms)

    def _base_rows(self, limit: int) -> list[tuple[str, ...]]:
        """Display rows from a timeline's file rows (Timeline.read), newest first."""
        base = self.timeline.df.iloc[: self._snap.offset]
        wanted_type, wanted_channel = self.type_filter.value, self.channel_filter.value
        if wanted_type == REQUESTS:
            base = base[base["kind"] == "request"]
        elif wanted_type != ALL:
            base = base[(base["type"] == wanted_type).fillna(False)]
        if wanted_channel != ALL:
            base = base[(base["channel_id"] == wanted_channel).fillna(False)]
        return list(frame_rows(base.iloc[::-1].head(limit), lag=self.lag_in_real_time))

    # -- filter options

    def _update_options(self) -> None:
        snap = self._snap
        types = sorted({t for t in snap.strings("type") if t is not None} | set(self._base_type_counts))
        type_options = [("all types", ALL), ("REST requests", REQUESTS)] + [(t, t) for t in types]
        if [o[1] for o in self.type_filter.options] != [o[1] for o in type_options]:
            value = self.type_filter.value
            with self.type_filter.hold_trait_notifications():
                self.type_filter.options = type_options
                self.type_filter.value = value
        ids = [c for c in snap.strings("channel_id")[-_MAX_CHANNELS:] if c is not None]
        base_ids = [c for c in self._labels if snap.code_of("channel_id", c) < 0]
        ids = (base_ids + ids)[-_MAX_CHANNELS:]
        options = [("all channels", ALL)] + [(self._labels.get(c, c), c) for c in ids]
        if self.channel_filter.options != tuple(options):
            value = self.channel_filter.value
            if value != ALL and value not in ids:
                options.append((self._labels.get(value, value), value))
            with self.channel_filter.hold_trait_notifications():
                self.channel_filter.options = options
                self.channel_filter.value = value

    def _counts_html(self) -> str:
        counts = self._counts()
        if not counts:
            return "<div class='arinb-counts'><i>no rows yet</i></div>"
        parts = "".join(
            f"<span><b>{html.escape(name)}</b> {count}</span>"
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        )
        return f"<div class='arinb-counts'>{parts}</div>"

    # -- lifecycle

    def close(self) -> None:
        """Stop the refresh thread and close the widgets."""
        self.throttle.stop()
        for child in (self.type_filter, self.channel_filter, self.pause_button):
            child.close()
        for view in (self.counts_html, self.table_html, self.status_html):
            view.close()
        super().close()


def _epoch(times: Any) -> np.ndarray:
    """A datetime64 column as epoch seconds (NaN for NaT)."""
    values = times.to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(values), np.nan, values.astype(np.int64) / 1e9)


def frame_rows(frame: Any, *, lag: bool = True) -> Iterator[tuple[str, ...]]:
    """Display rows (for :func:`render_rows`) from timeline frame rows, e.g. ``tl.df.iloc[::-1].head(25)``.

    ``lag=False`` leaves the lag cells empty (timestamps of a server clock that is not real time).
    """
    import pandas as pd

    def text(value: Any) -> str:
        return "" if value is None or pd.isna(value) else str(value)

    for row in frame.itertuples(index=False):
        kind = str(row.kind)
        at = _clock(row.received_at.timestamp()) if not pd.isna(row.received_at) else ""
        channel = text(row.channel_name) or text(row.channel_id)
        state = text(row.channel_state) or text(row.playback_state)
        playback = " ".join(x for x in (text(row.playback_id), text(row.media_uri)) if x)
        if kind == "request":
            reply = text(row.status) or text(row.error) or "no reply"
            took = f" ({row.elapsed * 1000:.1f} ms)" if not pd.isna(row.elapsed) else ""
            what = f"{text(row.method)} {text(row.path)} → {reply}{took}"
            yield ("request", str(row.seq), at, kind, what, channel, state, playback, "")
        elif kind == "connection":
            what = f"{text(row.type)} {text(row.detail)}".strip()
            yield ("connection", str(row.seq), at, kind, what, "", "", "", "")
        else:
            lag_ms = f"{row.lag * 1000:.1f}" if lag and not pd.isna(row.lag) else ""
            yield ("event", str(row.seq), at, kind, text(row.type), channel, state, playback, lag_ms)
