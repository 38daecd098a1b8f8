"""Derived tables over a timeline frame: playbacks, channel states, requests, counts.

Every function takes the frame of :attr:`Timeline.df` and returns a new DataFrame. Times use Asterisk's
own ``timestamp`` when the row has one (the server's clock, millisecond resolution) and the receive time
otherwise (requests, connection changes).
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from arinb.timeline.frame import STRING, UTC_NS

__all__ = [
    "channels",
    "counts",
    "for_channel",
    "for_playback",
    "playbacks",
    "requests",
    "state_spans",
]

_END_OF_CHANNEL: Final = frozenset({"StasisEnd", "ChannelDestroyed"})
_PLAY_PATH: Final = r"/(?:channels|bridges)/[^/]+/play(?:/[^/]+)?/?$"


def _typed(table: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Cast columns; datetime columns through to_datetime (an all-NaT column arrives naive or object)."""
    for name, dtype in dtypes.items():
        if dtype == UTC_NS:
            table[name] = pd.to_datetime(table[name], utc=True).astype(UTC_NS)
    return table.astype({k: v for k, v in dtypes.items() if v != UTC_NS})


def _seconds(delta: pd.Series) -> pd.Series:
    """Timedeltas as float seconds, rounded to the microsecond (so 1.36 prints as 1.36)."""
    seconds: pd.Series = delta.dt.total_seconds().round(6)
    return seconds


def event_time(frame: pd.DataFrame) -> pd.Series:
    """Asterisk's timestamp where present, else the receive time."""
    return frame["timestamp"].fillna(frame["received_at"])


def for_channel(frame: pd.DataFrame, id_or_name: str) -> pd.DataFrame:
    """Rows about one channel, given its id or its name (events, its playbacks' events, REST calls on it)."""
    ids = set(frame.loc[frame["channel_name"] == id_or_name, "channel_id"].dropna())
    ids.add(id_or_name)
    return frame[frame["channel_id"].isin(ids).fillna(False)]


def for_playback(frame: pd.DataFrame, playback_id: str) -> pd.DataFrame:
    """Rows about one playback id (its events and the REST calls that name it)."""
    return frame[(frame["playback_id"] == playback_id).fillna(False)]


def requests(frame: pd.DataFrame) -> pd.DataFrame:
    """REST calls: when sent, how long until the reply (``elapsed`` s and ``latency_ms``), status, and
    ``transport`` (``http``, or ``websocket`` for REST over the events WebSocket)."""
    rows = frame[frame["kind"] == "request"]
    out = rows[
        [
            "seq",
            "sent_at",
            "received_at",
            "method",
            "path",
            "query",
            "status",
            "reason",
            "elapsed",
            "error",
            "channel_id",
            "playback_id",
            "bridge_id",
            "raw",
            "detail",
        ]
    ].rename(columns={"received_at": "replied_at", "raw": "body", "detail": "transport"})
    out.insert(list(out.columns).index("elapsed") + 1, "latency_ms", out["elapsed"] * 1000.0)
    return out.reset_index(drop=True)


def counts(frame: pd.DataFrame) -> pd.DataFrame:
    """How many rows of each kind and type (requests: by method), most frequent first."""
    name = frame["type"].astype("object").where(frame["kind"] != "request", frame["method"].astype("object"))
    table = (
        pd.DataFrame({"kind": frame["kind"].astype("object"), "type": name})
        .value_counts(dropna=False)
        .rename("count")
        .reset_index()
    )
    table["kind"] = table["kind"].astype(frame["kind"].dtype)
    table["type"] = table["type"].astype(STRING)
    return table.sort_values(["count", "kind", "type"], ascending=[False, True, True], ignore_index=True)


def state_spans(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (channel, state) span: start, end (NaT at the end of a live timeline), seconds.

    A span starts with the first event that shows the channel in that state and ends at the next state
    change, at StasisEnd / ChannelDestroyed, or at the last event of the timeline (``open`` is then True).
    """
    columns = ["channel_id", "channel_name", "state", "start", "end", "seconds", "open"]
    events = frame[(frame["kind"] == "event") & frame["channel_id"].notna()]
    if events.empty:
        return _typed_spans(pd.DataFrame({c: [] for c in columns}))
    times = event_time(events)
    timeline_end = event_time(frame).max()
    spans: list[dict[str, Any]] = []
    for channel_id, group in events.groupby("channel_id", sort=False):
        group_times = times.loc[group.index]
        name = group["channel_name"].dropna()
        current: dict[str, Any] | None = None
        ended = False
        for state, etype, at in zip(
            group["channel_state"].astype("object"), group["type"].astype("object"), group_times, strict=True
        ):
            if ended:
                break
            if isinstance(state, str) and (current is None or current["state"] != state):
                if current is not None:
                    current["end"] = at
                    spans.append(current)
                current = {"channel_id": channel_id, "state": state, "start": at, "end": pd.NaT}
            if etype in _END_OF_CHANNEL and current is not None:
                current["end"] = at
                ended = True
        if current is not None:
            current["open"] = not ended
            if not ended:
                current["end"] = timeline_end
            spans.append(current)
        for span in spans:
            if span["channel_id"] == channel_id:
                span["channel_name"] = name.iloc[0] if len(name) else pd.NA
                span.setdefault("open", False)
    table = _typed_spans(pd.DataFrame(spans, columns=columns))
    table["seconds"] = _seconds(table["end"] - table["start"])
    return table


def _typed_spans(table: pd.DataFrame) -> pd.DataFrame:
    return _typed(
        table,
        {
            "channel_id": STRING,
            "channel_name": STRING,
            "state": STRING,
            "start": UTC_NS,
            "end": UTC_NS,
            "seconds": "float64",
            "open": "bool",
        },
    )


def channels(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per channel: name, Stasis entry/exit, states visited in order and seconds in each."""
    spans = state_spans(frame)
    events = frame[(frame["kind"] == "event") & frame["channel_id"].notna()]
    times = event_time(events)
    rows = []
    for channel_id, group in events.groupby("channel_id", sort=False):
        group_times = times.loc[group.index]
        types = group["type"].astype("object")
        mine = spans[spans["channel_id"] == channel_id]
        seconds: dict[str, float] = {}
        for state, secs in zip(mine["state"], mine["seconds"], strict=True):
            seconds[state] = round(seconds.get(state, 0.0) + float(secs), 6)
        names = group["channel_name"].dropna()
        entered = group_times[types == "StasisStart"]
        left = group_times[types == "StasisEnd"]
        rows.append(
            {
                "channel_id": channel_id,
                "channel_name": names.iloc[0] if len(names) else pd.NA,
                "first_seen": group_times.iloc[0],
                "entered_stasis": entered.iloc[0] if len(entered) else pd.NaT,
                "left_stasis": left.iloc[-1] if len(left) else pd.NaT,
                "states": list(mine["state"]),
                "seconds_in_state": seconds,
                "final_state": mine["state"].iloc[-1] if len(mine) else pd.NA,
                "events": int((group["kind"] == "event").sum()),
            }
        )
    columns = [
        "channel_id",
        "channel_name",
        "first_seen",
        "entered_stasis",
        "left_stasis",
        "states",
        "seconds_in_state",
        "final_state",
        "events",
    ]
    table = pd.DataFrame(rows, columns=[*columns, "seconds_in_stasis"])
    table = _typed(
        table,
        {
            "channel_id": STRING,
            "channel_name": STRING,
            "first_seen": UTC_NS,
            "entered_stasis": UTC_NS,
            "left_stasis": UTC_NS,
            "final_state": STRING,
            "events": "int64",
            "seconds_in_stasis": "float64",
        },
    )
    table["seconds_in_stasis"] = _seconds(table["left_stasis"] - table["entered_stasis"])
    return table


def _media_from_query(query: Any) -> list[str]:
    """The media list of a play request's query (one ``media`` value, comma separated; last one wins)."""
    if not isinstance(query, str):
        return []
    media = None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "media":
            media = value
    return [item for item in media.split(",") if item] if media else []


def playbacks(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per playback: target, media list, queued/started/finished times, duration, final state.

    ``queued`` is when the play request was sent (client clock); ``started`` and ``finished`` are Asterisk's
    timestamps of PlaybackStarted / PlaybackFinished; ``duration`` is finished - started in seconds.

    A playback id used twice (Asterisk accepts a duplicate id and queues the second) gives two rows:
    a new instance starts at the first event after a PlaybackFinished. ``never_finished`` is True when no
    PlaybackFinished came: Asterisk 22 does that for an unsupported scheme or a missing recording.
    ``lost_at`` is then the StasisEnd of its channel (or NaT if the timeline ends with it still open).
    """
    is_pb = frame["playback_id"].notna()
    events = frame[is_pb & (frame["kind"] == "event")]
    plays = frame[
        is_pb
        & (frame["kind"] == "request")
        & (frame["method"] == "POST")
        & frame["path"].str.contains(_PLAY_PATH, regex=True).fillna(False)
    ]
    times = event_time(frame)
    stasis_end = _stasis_end_times(frame, times)

    instances: dict[str, list[dict[str, Any]]] = {}
    for at, pid, etype, state, media, next_media, channel_id, bridge_id in zip(
        times.loc[events.index],
        events["playback_id"],
        events["type"].astype("object"),
        events["playback_state"].astype("object"),
        events["media_uri"],
        events["next_media_uri"],
        events["channel_id"],
        events["bridge_id"],
        strict=True,
    ):
        runs = instances.setdefault(pid, [])
        if not runs or runs[-1]["finished"] is not pd.NaT:
            runs.append(_new_instance(pid, len(runs), channel_id, bridge_id))
        run = runs[-1]
        for item in (media, next_media):
            if isinstance(item, str) and item not in run["media"]:
                run["media"].append(item)
        if etype == "PlaybackStarted" and run["started"] is pd.NaT:
            run["started"] = at
        elif etype == "PlaybackFinished":
            run["finished"] = at
            run["state"] = state
        run["events"] += 1

    # The k-th play request naming an id belongs to that id's k-th instance.
    for key, group in plays.groupby("playback_id", sort=False):
        pid = str(key)
        runs = instances.setdefault(pid, [])
        for k, (_, req) in enumerate(group.iterrows()):
            if k >= len(runs):
                runs.append(_new_instance(pid, k, req["channel_id"], req["bridge_id"]))
            run = runs[k]
            requested = _media_from_query(req["query"])
            if requested:
                run["media"] = requested + [m for m in run["media"] if m not in requested]
            run["queued"] = req["sent_at"]  # when it was asked for (the client's clock)
            run["status"] = req["status"]
            if run["channel_id"] is pd.NA and isinstance(req["channel_id"], str):
                run["channel_id"] = req["channel_id"]

    rows = [run for runs in instances.values() for run in runs]
    for run in rows:
        run["never_finished"] = run["finished"] is pd.NaT
        end = stasis_end.get(run["channel_id"]) if isinstance(run["channel_id"], str) else None
        run["lost_at"] = end if run["never_finished"] and end is not None else pd.NaT
    columns = [
        "playback_id",
        "instance",
        "channel_id",
        "bridge_id",
        "media",
        "queued",
        "started",
        "finished",
        "duration",
        "state",
        "never_finished",
        "lost_at",
        "status",
        "events",
    ]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["queued", "started"], kind="stable", na_position="last", ignore_index=True)
    table = _typed(
        table,
        {
            "playback_id": STRING,
            "instance": "int64",
            "channel_id": STRING,
            "bridge_id": STRING,
            "queued": UTC_NS,
            "started": UTC_NS,
            "finished": UTC_NS,
            "duration": "float64",
            "state": pd.CategoricalDtype(["done", "failed"]),
            "never_finished": "bool",
            "lost_at": UTC_NS,
            "status": pd.Int64Dtype(),
            "events": "int64",
        },
    )
    table["duration"] = _seconds(table["finished"] - table["started"])
    return table


def _new_instance(pid: str, instance: int, channel_id: Any, bridge_id: Any) -> dict[str, Any]:
    return {
        "playback_id": pid,
        "instance": instance,
        "channel_id": channel_id if isinstance(channel_id, str) else pd.NA,
        "bridge_id": bridge_id if isinstance(bridge_id, str) else pd.NA,
        "media": [],
        "queued": pd.NaT,
        "started": pd.NaT,
        "finished": pd.NaT,
        "state": None,
        "status": pd.NA,
        "events": 0,
    }


def _stasis_end_times(frame: pd.DataFrame, times: pd.Series) -> dict[str, pd.Timestamp]:
    ends = frame[(frame["type"] == "StasisEnd").fillna(False) & frame["channel_id"].notna()]
    return {cid: times.loc[idx] for idx, cid in zip(ends.index, ends["channel_id"], strict=True)}
