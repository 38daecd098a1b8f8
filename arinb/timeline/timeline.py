"""`Timeline`: every event, REST request and connection change of a session, in arrival order.

The write side (``add_event``, ``add_frame``, ``add_request``, ``add_connection``) is called on the engine
thread and is built for speed: ``add_event`` interns the row's few fields and queues it, and the columns are
extracted a batch at a time, no pandas. ``add_frame`` (the client's path) only keeps the frame's text and
receive time: its row is built from the text later, off the intake path (``build_frames``: when the engine
is idle, when a request or connection row comes, or when anything reads). Any read (``df``, views, widget,
save) flushes both queues first, under a lock, so a reader sees every event added before it and never a
half-converted batch; ``len`` counts queued rows without building them. The read side (``df``, views,
persistence, compare, widget) runs on the kernel thread and builds pandas objects incrementally.
"""

from __future__ import annotations

import re
import struct
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from arinb.credentials import strip_url_credentials
from arinb.errors import AriUsageError
from arinb.models import dumps, loads
from arinb.timeline._store import (
    HTTP_METHODS,
    KIND_CONNECTION,
    KIND_REQUEST,
    STRING_COLUMNS,
    ColumnStore,
    as_float,
)

if TYPE_CHECKING:
    import pandas as pd

    from arinb.timeline.compare import CompareResult
    from arinb.timeline.snapshot import Snapshot
    from arinb.widgets.timeline import TimelineWidget

__all__ = ["CONNECTION_KINDS", "Timeline"]

#: What ``add_connection`` accepts as ``kind``.
CONNECTION_KINDS: Final = ("connect", "loss", "reconnect", "reconciled", "replaced", "closed", "error")

_NAN: Final = float("nan")
_PACK_CODES: Final = struct.Struct(f"{len(STRING_COLUMNS)}i").pack  # one row of string codes

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
    if "@" not in text and "api_key" not in text:
        # Nothing to scrub: every rule below keys on a userinfo "@" or an api_key parameter. Most REST rows
        # take this path, and the regexes were a tenth of a REST call's client CPU.
        return text
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


def _encode_row(
    hot: tuple[Any, ...],
    odd_row: Callable[[Any], tuple[tuple[int, ...], Any, dict[str, Any]]],
    event: dict[str, Any],
    received_at: float,
    raw: str | None,
) -> None:
    """Intern one event's recorded fields to codes and queue its row in ``hot`` (a timeline's ``_hot``).

    The only place an event becomes a row: ``add_event`` calls it for each event, ``build_frames`` for
    each queued frame. A dict subscript per field (a new value gets its code inside the lookup); ``odd_row``
    (the store's) handles what the fast path chokes on.
    """
    (received, codes, pack, stamps, raws, v_type, v_app, v_cid, v_cname, v_cstate, v_pid, v_pstate,
     v_media, v_next, v_bridge, v_rec) = hot  # fmt: skip
    try:
        get = event.get
        channel = get("channel")
        if type(channel) is dict:
            cget = channel.get
            channel_id = cget("id")
            cname = v_cname[cget("name")]
            cstate = v_cstate[cget("state")]
        else:
            channel_id = None
            cname = cstate = 0
        bridge_id = get("bridge")
        if bridge_id is not None:
            bridge_id = bridge_id.get("id") if type(bridge_id) is dict else None
        playback = get("playback")
        if type(playback) is dict:
            pget = playback.get
            pid = v_pid[pget("id")]
            pstate = v_pstate[pget("state")]
            media = v_media[pget("media_uri")]
            next_media = v_next[pget("next_media_uri")]
            if channel_id is None:
                # A playback event names its channel (or bridge) only through target_uri.
                target = pget("target_uri")
                if type(target) is str:
                    if target.startswith("channel:"):
                        channel_id = target[8:]
                    elif bridge_id is None and target.startswith("bridge:"):
                        bridge_id = target[7:]
        else:
            pid = pstate = media = next_media = 0
        recording = get("recording")
        if recording is None:
            rec = 0
        elif type(recording) is dict:
            rec = v_rec[recording.get("name")]
            target = recording.get("target_uri")
            if channel_id is None and type(target) is str and target.startswith("channel:"):
                channel_id = target[8:]
        else:
            rec = 0
        # One packed row: array.extend(tuple) iterates generically, ~4x the cost of pack + frombytes.
        row = pack(v_type[get("type")], v_app[get("application")], v_cid[channel_id], cname, cstate,
                   pid, pstate, media, next_media, v_bridge[bridge_id], rec)  # fmt: skip
        stamp = get("timestamp")
    except (AttributeError, TypeError):  # not a dict, or an unhashable value where a string belongs
        odd, stamp, event = odd_row(event)
        row = pack(*odd)
    # The one append that can fail goes first, so a failure leaves no partial row behind.
    try:
        received.append(received_at)
    except TypeError:
        received.append(as_float(received_at))
    codes(row)
    stamps.append(stamp)
    raws.append(event if raw is None else raw)  # last: completes the row


class _FrameChunk:
    """Frames queued by ``add_frame``, from frame number ``start``: the writer fills one, then seals it."""

    __slots__ = ("raws", "received", "start")

    def __init__(self, start: int, received: array[float] | None = None, raws: Any = None) -> None:
        self.start = start
        self.received: array[float] = received if received is not None else array("d")
        self.raws: Sequence[str] = raws if raws is not None else []

    def sealed(self) -> _FrameChunk:
        """The same frames with the texts in a tuple (never written again; the GC stops walking it)."""
        return _FrameChunk(self.start, self.received, tuple(self.raws))


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

    #: Rows queued before they are turned into columns (a few hundred kB; bigger batches gain nothing).
    PENDING_MAX: Final = 4096

    def __init__(self) -> None:
        s = self._store = ColumnStore()
        # add_event queues rows here (receive time, codes row after row, timestamp text, raw text: the raw
        # list is appended last, so its length is the number of whole rows); _flush moves them into columns.
        self._q_received: array[float] = array("d")
        self._q_codes: array[int] = array("i")
        self._q_stamps: list[Any] = []
        self._q_raws: list[Any] = []
        # What add_event touches, unpacked into locals in one go (attribute lookups cost there).
        self._hot: tuple[Any, ...] = (
            self._q_received,
            self._q_codes.frombytes,
            _PACK_CODES,
            self._q_stamps,
            self._q_raws,
            *(s.vocabs[name].codes for name in STRING_COLUMNS),
        )
        # add_frame's queue of rows not built yet, lock-free on the writer's side: sealed chunks of
        # PENDING_MAX frames and the chunk being filled (the "tail"), each starting at a frame number. Only
        # the writer appends to the tail and seals it (the chunk goes into the deque first, then a new tail
        # replaces it); builders never change a chunk: they count the frames built (_f_built) and skip those
        # when the sealed copy of a tail they already read comes round. Every queued row is newer than every
        # row in the queues above (add_frame and add_event keep that order). Sealed texts are tuples: the
        # GC stops walking them after one look (see ObjectColumn).
        self._f_chunks: deque[_FrameChunk] = deque()
        self._f_tail = _FrameChunk(0)
        self._f_added = 0  # frames ever queued (the writer's count)
        self._f_built = 0  # frames whose rows are built (builders', under _flush_lock)
        # Serialises flushes and the rare direct appends (requests, connections). add_event and add_frame
        # never take it.
        self._flush_lock = threading.Lock()
        self._frame: Any = None  # arinb.timeline.frame.FrameCache, created on first read
        self._offset = 0  # rows read from a file (Timeline.read), before the store's rows
        self._display_widget: TimelineWidget | None = None  # the view _ipython_display_ shows

    @property
    def _s(self) -> ColumnStore:
        """The column store, with every event added so far in it (readers such as the widget use this)."""
        if self._q_raws or self._f_added != self._f_built or self._flush_lock.locked():
            self._flush()  # (locked: a build may be publishing rows right now)
        return self._store

    # ------------------------------------------------------------------ write side (engine thread)

    def add_event(self, event: dict[str, Any], received_at: float, raw: str | None = None) -> None:
        """Append one ARI event (the parsed WebSocket frame) received at ``received_at`` (epoch seconds).

        ``raw`` is the frame's text; without it the dict is kept and serialised when the DataFrame is built.
        Hot path: called for every frame, so it only interns the few fields it records to codes (a dict
        subscript each: a new value gets its code inside the lookup) and queues the row; the columns are
        filled a batch at a time, when :attr:`PENDING_MAX` rows wait or anything reads the timeline.
        """
        if self._f_added != self._f_built:
            self._flush()  # frames queued before this event become rows first (arrival order)
        _encode_row(self._hot, self._store.odd_row, event, received_at, raw)
        if len(self._q_raws) >= self.PENDING_MAX:
            self._flush()

    def add_frame(self, raw: str, received_at: float) -> None:
        """Append one event as its WebSocket frame text, received at ``received_at`` (epoch seconds).

        ``raw`` must be the text of a JSON object (as the client checked before dispatching it). The hot path
        of intake: two appends. The row's columns are built from the text later, a batch at a time
        (:meth:`build_frames`: the client calls it when the engine is idle; requests, connections and every
        read call it first), so intake does not pay for them while events pour in.

        >>> tl = Timeline()
        >>> tl.add_frame('{"type":"StasisStart","channel":{"id":"1.1","state":"Ring"}}', 1795695288.85)
        >>> len(tl), tl.pending_frames, tl.df["channel_id"][0], tl.pending_frames
        (1, 1, '1.1', 0)
        """
        if self._q_raws:
            self._flush()  # events queued by add_event before this frame become rows first
        tail = self._f_tail
        tail.received.append(received_at)
        raws: Any = tail.raws  # a list until the tail is sealed
        raws.append(raw)
        self._f_added += 1
        if len(raws) >= self.PENDING_MAX:
            self._f_chunks.append(tail.sealed())  # before the new tail: see _take_frames
            self._f_tail = _FrameChunk(self._f_added)

    @property
    def pending_frames(self) -> int:
        """How many frames ``add_frame`` queued whose rows are not built yet."""
        return self._f_added - self._f_built

    def build_frames(self, limit: int | None = None) -> int:
        """Build the rows of queued frames (about the oldest ``limit`` of them, a chunk of
        :attr:`PENDING_MAX` at a time, or all); returns how many it built.

        Any thread; readers and the other writers call it as needed. The client calls it when the events
        socket has been quiet for a moment, so a later ``tl.df`` finds the columns ready.
        """
        if self._f_added == self._f_built:
            return 0
        with self._flush_lock:
            self._flush_queue_locked()  # add_event's rows are older than every queued frame
            return self._build_frames_locked(limit)

    def _take_frames(self) -> tuple[array[float], Sequence[str], int] | None:
        """The oldest queued frames not built yet: (receive times, texts, index of the first one to build).

        Lock held; the writer may be appending meanwhile. Sealed chunks go first; the tail is read only when
        no chunk is queued after reading it (a seal puts its chunk in the deque before it replaces the tail),
        so frames are always taken in order, and a tail read before it was sealed comes round again as a
        chunk whose first frames are skipped.
        """
        built = self._f_built
        while True:
            if self._f_chunks:
                chunk = self._f_chunks.popleft()
            else:
                chunk = self._f_tail
                if self._f_chunks:
                    continue  # sealed meanwhile: its chunk comes first
            skip = built - chunk.start
            count = len(chunk.raws)  # before the times: the writer appends the time first
            if skip < count:
                return chunk.received[:count], chunk.raws[:count], skip
            if chunk is self._f_tail:
                return None

    def _build_frames_locked(self, limit: int | None = None) -> int:
        """Parse queued frames and append their rows, a chunk at a time (lock held, add_event's queue empty).

        Each frame is encoded exactly as ``add_event`` encodes a freshly parsed event, into a scratch queue
        of this call's own. ``len`` and every reader take the lock this runs under, and the built count moves
        with the published rows, so none sees a row twice or not at all.
        """
        received: array[float] = array("d")
        codes: array[int] = array("i")
        stamps: list[Any] = []
        raws: list[Any] = []
        hot = (received, codes.frombytes, _PACK_CODES, stamps, raws, *self._hot[5:])
        odd_row = self._store.odd_row
        done = 0
        while limit is None or done < limit:
            taken = self._take_frames()
            if taken is None:
                break
            times, texts, first = taken
            for i in range(first, len(texts)):
                raw = texts[i]
                try:
                    event: Any = loads(raw)
                except ValueError:  # not JSON after all (add_frame's caller checked it): kept as text
                    event = {"type": "MalformedFrame", "error": "invalid JSON"}
                _encode_row(hot, odd_row, event, times[i], raw)
            self._store.append_batch(received, codes, stamps, raws)
            count = len(raws)
            self._f_built += count
            done += count
            del received[:], codes[:], stamps[:], raws[:]
        return done

    def _flush(self) -> None:
        """Move the queued rows into the columns, in order (any thread).

        add_event appends without the lock, so this never swaps the queues (an append racing the swap
        would land in the old one and be lost): it converts the first ``count`` rows and deletes exactly
        those; rows queued meanwhile stay behind them.
        """
        with self._flush_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        self._flush_queue_locked()
        if self._f_added != self._f_built:
            self._build_frames_locked()

    def _flush_queue_locked(self) -> None:
        raws = self._q_raws
        count = len(raws)  # raws is appended last: every queue holds at least these rows
        if not count:
            return
        width = len(STRING_COLUMNS)
        self._store.append_batch(
            self._q_received[:count], self._q_codes[: count * width], self._q_stamps[:count], raws[:count]
        )
        del self._q_received[:count]
        del self._q_codes[: count * width]
        del self._q_stamps[:count]
        del raws[:count]

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
        transport: str | None = None,
    ) -> None:
        """Append one REST call: sent at ``sent_at`` (epoch s), answered ``elapsed`` s later with ``status``.

        ``transport`` (``"http"`` or ``"websocket"``: REST over the events WebSocket) goes to ``detail``.

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
        fields = {
            "method": method.upper(),
            "path": path,
            "query": _clean_query(query),
            "status": None if status is None else int(status),
            "sent_at": float(sent_at),
            "elapsed": elapsed_f,
            "reason": None if reason is None else _scrub(str(reason)),
            "error": None if error is None else _scrub(str(error)),
        }
        if transport:
            fields["detail"] = str(transport)
        self._append_row(KIND_REQUEST, done_at, None, ids, raw, fields)

    def add_connection(self, kind: str, at: float, detail: str = "") -> None:
        """Append a connection change: ``kind`` is one of connect, loss, reconnect, reconciled (what the
        check after a reconnect settled), replaced, closed, error.

        >>> tl = Timeline()
        >>> tl.add_connection("connect", at=1795695288.0, detail="ws://127.0.0.1:8088/ari/events")
        """
        if kind not in CONNECTION_KINDS:
            raise AriUsageError(f"connection kind must be one of {', '.join(CONNECTION_KINDS)}, not {kind!r}")
        self._append_row(
            KIND_CONNECTION, at, kind, {}, None, {"detail": _scrub(str(detail)) if detail else ""}
        )

    def _append_row(
        self,
        kind: int,
        at: float,
        type_: str | None,
        ids: Mapping[str, str | None],
        raw: Any,
        extra: dict[str, Any],
    ) -> None:
        at = float(at)
        with self._flush_lock:
            # The events queued before this row go first (arrival order), then the row itself.
            self._flush_locked()  # the events queued before this row go first
            s = self._store
            s.extra.append((s.n, extra))
            s.kind.append(kind)
            s.received_at.append(at)
            s.timestamp.append(_NAN)
            for name, column in s.codes.items():
                column.append(s.vocabs[name].add(type_ if name == "type" else ids.get(name)))
            s.raw.append(raw)
            s.n += 1

    # ------------------------------------------------------------------ read side (kernel thread)

    def __len__(self) -> int:
        # Every row added so far, queued ones included, without building them (intake may count in a loop).
        with self._flush_lock:
            return self._offset + self._store.n + len(self._q_raws) + self._f_added - self._f_built

    def __repr__(self) -> str:
        return f"<Timeline {len(self)} rows>"

    @property
    def df(self) -> pd.DataFrame:
        """Every row as a DataFrame (see :mod:`arinb.timeline.frame` for the columns).

        Built incrementally: a second access only converts the rows added since the first.
        """
        if self._q_raws or self._f_added != self._f_built or self._flush_lock.locked():
            self._flush()
        frame: pd.DataFrame = self._frames().frame()
        return frame

    def snapshot(self) -> Snapshot:
        """The rows added so far, read-only, for incremental readers (see :mod:`arinb.timeline.snapshot`).

        >>> tl = Timeline()
        >>> tl.add_connection("connect", at=1795695288.0)
        >>> tl.snapshot().extra(0)["detail"]
        ''
        """
        from arinb.timeline.snapshot import Snapshot

        return Snapshot(self._s, self._offset)  # _s flushes: the snapshot has every event added so far

    def _frames(self) -> Any:
        if self._frame is None:
            from arinb.timeline.frame import FrameCache

            self._frame = FrameCache(self._store)
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
        from arinb.widgets.timeline import frame_rows, render_rows

        df = self.df
        table = counts(df)
        summary = " · ".join(
            f"<b>{_html.escape(str(t if isinstance(t, str) else k))}</b> {c}"
            for k, t, c in zip(table["kind"], table["type"], table["count"], strict=True)
        )
        latest = render_rows(list(frame_rows(df.iloc[::-1].head(25))))
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
