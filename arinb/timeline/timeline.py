"""`Timeline`: every event, REST request and connection change of a session, in arrival order.

The write side (``add_event``, ``add_request``, ``add_connection``) is called on the engine thread and is
built for speed: a few dict lookups and array appends per event, no pandas. The read side (``df``, views,
persistence, compare, widget) runs on the kernel thread and builds pandas objects incrementally.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from arinb.credentials import strip_url_credentials
from arinb.errors import AriUsageError
from arinb.models import dumps, loads
from arinb.timeline._store import HTTP_METHODS, KIND_CONNECTION, KIND_REQUEST, STRING_COLUMNS, ColumnStore

if TYPE_CHECKING:
    import pandas as pd

    from arinb.timeline.compare import CompareResult
    from arinb.widgets.timeline import TimelineWidget

__all__ = ["CONNECTION_KINDS", "Timeline"]

#: What ``add_connection`` accepts as ``kind``.
CONNECTION_KINDS: Final = ("connect", "loss", "reconnect", "replaced", "closed", "error")

_NAN: Final = float("nan")

# Object ids named by a REST path, for requests (so for_channel/for_playback include the REST calls).
_PATH_IDS: Final = (
    ("channel_id", re.compile(r"/channels/([^/?#]+)")),
    ("playback_id", re.compile(r"/(?:playbacks|play)/([^/?#]+)")),
    ("bridge_id", re.compile(r"/bridges/([^/?#]+)")),
    ("recording_name", re.compile(r"/recordings/(?:live|stored)/([^/?#]+)")),
)
_SECRET_KEYS: Final = frozenset({"api_key", "password"})
_USERINFO: Final = re.compile(r"//[^/@\s]*@")
_API_KEY: Final = re.compile(r"(api_key=)[^&\s\"']*")


def _scrub(text: str) -> str:
    """Credentials out of free text (an error message, a URL inside a sentence)."""
    return _API_KEY.sub(r"\1***", _USERINFO.sub("//", strip_url_credentials(text)))


def _clean_query(query: Any) -> str:
    """A query (mapping, pairs or string) as display text, with ``api_key``/``password`` dropped."""
    if query is None:
        return ""
    if isinstance(query, str):
        text = query.lstrip("?")
        pairs = [p.partition("=")[::2] for p in text.split("&") if p]
    else:
        items: Iterable[Any] = query.items() if isinstance(query, Mapping) else query
        pairs = [(str(k), "" if v is None else str(v)) for k, v in items]
    return "&".join(f"{k}={v}" for k, v in pairs if k not in _SECRET_KEYS)


def _query_value(query: Any, name: str) -> str | None:
    """The last value of ``name`` in a query (a repeated parameter: the last wins, as in Asterisk)."""
    found = None
    for pair in _clean_query(query).split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            found = value
    return found


def _body_id(body: Any) -> str | None:
    if isinstance(body, str | bytes):
        try:
            body = loads(body)
        except ValueError:
            return None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


class Timeline:
    """Every event, request and connection change of an ARI session, as rows.

    Written by the client on its engine thread; read from the kernel as pandas objects::

        tl = session.timeline
        tl.df                       # one row per event/request/connection change (built incrementally)
        tl.playbacks()              # one row per playback, with its duration and final state
        tl.save("run.parquet"); Timeline.read("run.parquet").compare(tl)

    >>> tl = Timeline()
    >>> tl.add_event({"type": "StasisStart", "timestamp": "2026-11-26T12:14:48.843+0000",
    ...               "channel": {"id": "1.1", "name": "PJSIP/alice-00000000", "state": "Ring"},
    ...               "application": "demo"}, received_at=1795695288.85)
    >>> len(tl)
    1
    """

    def __init__(self) -> None:
        s = self._s = ColumnStore()
        v, c = s.vocabs, s.codes
        # Everything add_event touches, unpacked into locals in one go (attribute lookups cost there).
        interned = (x for name in STRING_COLUMNS for x in (c[name], v[name].codes))
        self._hot: tuple[Any, ...] = (s.kind, s.received_at, s.timestamp, s.ts_seconds, s.raw, *interned)
        self._frame: Any = None  # arinb.timeline.frame.FrameCache, created on first read
        self._offset = 0  # rows read from a file (Timeline.read), before the store's rows
        self._display_widget: TimelineWidget | None = None  # the view _ipython_display_ shows

    # ------------------------------------------------------------------ write side (engine thread)

    def add_event(self, event: dict[str, Any], received_at: float, raw: str | None = None) -> None:
        """Append one ARI event (the parsed WebSocket frame) received at ``received_at`` (epoch seconds).

        ``raw`` is the frame's text; without it the dict is kept and serialised when the DataFrame is built.
        Hot path: called for every frame, so it only extracts a few fields and interns strings to codes.
        """
        (kinds, recv, stamps, seconds, raws, c_type, v_type, c_app, v_app, c_cid, v_cid, c_cname, v_cname,
         c_cstate, v_cstate, c_pid, v_pid, c_pstate, v_pstate, c_media, v_media, c_next, v_next,
         c_bridge, v_bridge, c_rec, v_rec) = self._hot  # fmt: skip
        s = self._s
        get = event.get

        kinds.append(0)  # KIND_EVENT
        recv.append(received_at)
        ts = get("timestamp")
        if type(ts) is str and len(ts) == 28:
            epoch = seconds.get(ts[:19])
            stamps.append(s.parse_ts(ts) if epoch is None else epoch + int(ts[20:23]) / 1000.0)
        else:
            stamps.append(s.parse_ts(ts))

        # Each string column: code = vocab.get(value), or a new code on a miss (vocab.add).
        value = get("type")
        code = v_type.get(value)
        c_type.append(self._intern("type", value) if code is None else code)
        value = get("application")
        code = v_app.get(value)
        c_app.append(self._intern("application", value) if code is None else code)

        channel = get("channel")
        channel_id = None
        if type(channel) is dict:
            channel_id = channel.get("id")
            value = channel.get("name")
            code = v_cname.get(value)
            c_cname.append(self._intern("channel_name", value) if code is None else code)
            value = channel.get("state")
            code = v_cstate.get(value)
            c_cstate.append(self._intern("channel_state", value) if code is None else code)
        else:
            c_cname.append(0)
            c_cstate.append(0)

        bridge_id = get("bridge")
        if bridge_id is not None:
            bridge_id = bridge_id.get("id") if type(bridge_id) is dict else None

        playback = get("playback")
        if type(playback) is dict:
            pget = playback.get
            value = pget("id")
            code = v_pid.get(value)
            c_pid.append(self._intern("playback_id", value) if code is None else code)
            value = pget("state")
            code = v_pstate.get(value)
            c_pstate.append(self._intern("playback_state", value) if code is None else code)
            value = pget("media_uri")
            code = v_media.get(value)
            c_media.append(self._intern("media_uri", value) if code is None else code)
            value = pget("next_media_uri")
            code = v_next.get(value)
            c_next.append(self._intern("next_media_uri", value) if code is None else code)
            # A playback event names its channel (or bridge) only through target_uri.
            target = pget("target_uri")
            if channel_id is None and type(target) is str:
                if target.startswith("channel:"):
                    channel_id = target[8:]
                elif bridge_id is None and target.startswith("bridge:"):
                    bridge_id = target[7:]
        else:
            c_pid.append(0)
            c_pstate.append(0)
            c_media.append(0)
            c_next.append(0)

        recording = get("recording")
        if type(recording) is dict:
            value = recording.get("name")
            code = v_rec.get(value)
            c_rec.append(self._intern("recording_name", value) if code is None else code)
            target = recording.get("target_uri")
            if channel_id is None and type(target) is str and target.startswith("channel:"):
                channel_id = target[8:]
        else:
            c_rec.append(0)

        code = v_cid.get(channel_id)
        c_cid.append(self._intern("channel_id", channel_id) if code is None else code)
        code = v_bridge.get(bridge_id)
        c_bridge.append(self._intern("bridge_id", bridge_id) if code is None else code)

        if raw is None:
            s.raw_dicts.append(s.n)
            raws.append(event)
        else:
            raws.append(raw)
        # Last: publishes the row to readers.
        s.n += 1

    def _intern(self, column: str, value: Any) -> int:
        return self._s.vocabs[column].add(value)

    def add_request(
        self,
        method: str,
        path: str,
        query: Any,
        status: int | None,
        sent_at: float,
        elapsed: float | None,
        reason: str | None = None,
        error: str | None = None,
        body: Any = None,
    ) -> None:
        """Append one REST call: sent at ``sent_at`` (epoch s), answered ``elapsed`` s later with ``status``.

        ``status`` is None when no response came (``error`` says why). ``query`` is a mapping, a list of pairs
        or a query string; ``api_key`` and any credentials in ``path`` are dropped. ``body`` is the response
        body (JSON text or a JSON-able value), kept as the row's raw JSON.

        >>> tl = Timeline()
        >>> tl.add_request("POST", "/ari/channels/1.1/answer", {}, 204, sent_at=1795695290.0, elapsed=0.002)
        """
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            raise AriUsageError(f"add_request: method must be one of {', '.join(HTTP_METHODS)}: {method!r}")
        if not isinstance(path, str):
            raise AriUsageError(f"add_request: path must be a string, not {path!r}")
        path = _scrub(path)
        s = self._s
        ids: dict[str, str | None] = {name: None for name, _ in _PATH_IDS}
        for name, pattern in _PATH_IDS:
            match = pattern.search(path)
            if match:
                ids[name] = match.group(1)
        if ids["playback_id"] is None and path.rstrip("/").endswith("/play"):
            # POST /channels/{id}/play without an id in the path: the id is in the query or the reply.
            ids["playback_id"] = _query_value(query, "playbackId") or _body_id(body)
        raw: Any = body if body not in ("", b"") else None
        if body is not None and not isinstance(body, str | bytes):
            try:
                raw = dumps(body)
            except TypeError:
                raw = str(body)
        elif isinstance(body, bytes):
            raw = body.decode("utf-8", "replace")
        # Microseconds: finer is clock noise, and short decimals survive text formats exactly.
        elapsed_f = _NAN if elapsed is None else round(float(elapsed), 6)
        done_at = sent_at if elapsed is None else sent_at + elapsed_f
        s.extra.append(
            (
                s.n,
                {
                    "method": method.upper(),
                    "path": path,
                    "query": _clean_query(query),
                    "status": None if status is None else int(status),
                    "sent_at": float(sent_at),
                    "elapsed": elapsed_f,
                    "reason": None if reason is None else _scrub(str(reason)),
                    "error": None if error is None else _scrub(str(error)),
                },
            )
        )
        self._append_row(KIND_REQUEST, done_at, None, ids, raw)

    def add_connection(self, kind: str, at: float, detail: str = "") -> None:
        """Append a connection change: ``kind`` is one of connect, loss, reconnect, replaced, closed, error.

        >>> tl = Timeline()
        >>> tl.add_connection("connect", at=1795695288.0, detail="ws://127.0.0.1:8088/ari/events")
        """
        if kind not in CONNECTION_KINDS:
            raise AriUsageError(f"connection kind must be one of {', '.join(CONNECTION_KINDS)}, not {kind!r}")
        s = self._s
        s.extra.append((s.n, {"detail": _scrub(str(detail)) if detail else ""}))
        self._append_row(KIND_CONNECTION, at, kind, {}, None)

    def _append_row(
        self, kind: int, at: float, type_: str | None, ids: Mapping[str, str | None], raw: Any
    ) -> None:
        s = self._s
        s.kind.append(kind)
        s.received_at.append(float(at))
        s.timestamp.append(_NAN)
        for name, column in s.codes.items():
            value = type_ if name == "type" else ids.get(name)
            column.append(s.vocabs[name].add(value))
        s.raw.append(raw)
        s.n += 1

    # ------------------------------------------------------------------ read side (kernel thread)

    def __len__(self) -> int:
        return self._offset + self._s.n

    def __repr__(self) -> str:
        return f"<Timeline {len(self)} rows>"

    @property
    def df(self) -> pd.DataFrame:
        """Every row as a DataFrame (see :mod:`arinb.timeline.frame` for the columns).

        Built incrementally: a second access only converts the rows added since the first.
        """
        return self._frames().frame()

    def _frames(self) -> Any:
        if self._frame is None:
            from arinb.timeline.frame import FrameCache

            self._frame = FrameCache(self._s)
        return self._frame

    @staticmethod
    def now() -> float:
        """The current wall clock as epoch seconds (what ``received_at`` should be)."""
        return time.time()

    # ------------------------------------------------------------------ views

    def for_channel(self, id_or_name: str) -> pd.DataFrame:
        """Rows about one channel (by id or name): its events, its playbacks' events, REST calls on it."""
        from arinb.timeline import views

        return views.for_channel(self.df, id_or_name)

    def for_playback(self, playback_id: str) -> pd.DataFrame:
        """Rows about one playback id: its events and the REST calls naming it."""
        from arinb.timeline import views

        return views.for_playback(self.df, playback_id)

    def playbacks(self) -> pd.DataFrame:
        """One row per playback: channel, media list, queued/started/finished, duration, final state.

        ``never_finished`` is True when Asterisk never sent PlaybackFinished (Asterisk 22 does that for an
        unsupported media scheme); ``lost_at`` is then the channel's StasisEnd.

        >>> Timeline.from_trace("../shared/ari/traces/tones.json").playbacks()[["media", "duration", "state"]]
        ... # doctest: +SKIP
                             media  duration state
        0  [tone:ring;tonezone=fr]     8.011  done
        """
        from arinb.timeline import views

        return views.playbacks(self.df)

    def channels(self) -> pd.DataFrame:
        """One row per channel: name, Stasis entry/exit, states visited and seconds spent in each."""
        from arinb.timeline import views

        return views.channels(self.df)

    def state_spans(self) -> pd.DataFrame:
        """One row per channel state span (channel, state, start, end, seconds): what swimlanes draw."""
        from arinb.timeline import views

        return views.state_spans(self.df)

    def requests(self) -> pd.DataFrame:
        """REST calls with their status and latency (``elapsed`` seconds, ``latency_ms``)."""
        from arinb.timeline import views

        return views.requests(self.df)

    def counts(self) -> pd.DataFrame:
        """Rows per kind and type (requests: per HTTP method), most frequent first."""
        from arinb.timeline import views

        return views.counts(self.df)

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_trace(cls, path: str | Path) -> Timeline:
        """A timeline of a shared trace file (``traces/*.json``): its events, requests and connections.

        >>> tl = Timeline.from_trace("../shared/ari/traces/monkeys.json")  # doctest: +SKIP
        >>> tl.playbacks().loc[0, "duration"]                                # doctest: +SKIP
        16.18
        """
        from arinb.timeline.trace import load_trace

        return load_trace(cls(), path)

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> Path:
        """Write every row to ``path``: ``.csv``, ``.jsonl`` or ``.parquet`` (needs ``arinb[parquet]``).

        The round trip is exact: ``Timeline.read(path).df`` equals ``tl.df``, dtypes and raw JSON included.

        >>> tl.save("run.parquet")          # doctest: +SKIP
        """
        from arinb.timeline.io import write_frame

        return write_frame(self.df, path)

    @classmethod
    def read(cls, path: str | Path) -> Timeline:
        """A timeline from a file written by :meth:`save`; new rows can still be appended to it.

        >>> real = Timeline.read("asterisk-run.csv")     # doctest: +SKIP
        >>> print(sim_timeline.compare(real).summary())  # doctest: +SKIP
        """
        from arinb.timeline.io import read_frame

        frame = read_frame(path)
        timeline = cls()
        timeline._frames().adopt(frame)
        timeline._offset = len(frame)
        return timeline

    def compare(
        self, other: Timeline | pd.DataFrame, tolerance: float = 0.05, include_requests: bool = False
    ) -> CompareResult:
        """What differs between this timeline and ``other``: events missing, extra, changed, moved in time.

        Ids are normalised by first appearance, so a simulator run compares with a real Asterisk run.
        ``tolerance`` (seconds) bounds how far the gap between two consecutive matched events may move.

        >>> result = Timeline.from_trace(sim_path).compare(Timeline.from_trace(real_path))  # doctest: +SKIP
        >>> print(result.summary())                                                         # doctest: +SKIP
        6 of 6 events matched 6 (timing tolerance 0.05 s): no difference.
        """
        from arinb.timeline.compare import compare_frames

        other_frame = other.df if isinstance(other, Timeline) else other
        return compare_frames(self.df, other_frame, tolerance=tolerance, include_requests=include_requests)

    # ------------------------------------------------------------------ display

    def widget(self, rows: int = 25, rate: float = 8.0) -> TimelineWidget:
        """A live view (ipywidgets): latest ``rows`` rows, counts per type, filters, pause.

        It refreshes itself ``rate`` times a second at most, touching only the rows added since.

        >>> tl.widget()                  # doctest: +SKIP
        """
        from arinb.widgets.timeline import TimelineWidget

        return TimelineWidget(self, rows=rows, rate=rate)

    def _repr_html_(self) -> str:
        """A static summary (counts and the latest rows), for HTML exports and non-widget frontends."""
        import html as _html

        from arinb.timeline.views import counts
        from arinb.widgets.timeline import _frame_rows, render_rows

        df = self.df
        table = counts(df)
        summary = " · ".join(
            f"<b>{_html.escape(str(t if isinstance(t, str) else k))}</b> {c}"
            for k, t, c in zip(table["kind"], table["type"], table["count"], strict=True)
        )
        latest = render_rows(list(_frame_rows(df.iloc[::-1].head(25))))
        return f"<div><b>Timeline</b>: {len(df)} rows<br><small>{summary}</small>{latest}</div>"

    def _ipython_display_(self) -> None:
        # The live widget where widgets render, and the static table in the same bundle for the rest
        # (nbconvert, GitHub), so the notebook reads well either way.
        from IPython.display import display

        bundle: dict[str, Any] = {}
        try:
            # One live view per timeline however often it is displayed (each view costs a polling thread).
            view = self._display_widget
            if view is None or getattr(view, "comm", None) is None:
                view = self._display_widget = self.widget()
            bundle.update(view._repr_mimebundle_() or {})
        except Exception:  # no ipywidgets / no comm: the static view is still right
            pass
        bundle.update({"text/plain": repr(self), "text/html": self._repr_html_()})
        display(bundle, raw=True)
