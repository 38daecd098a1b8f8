"""The views' rules on a small hand-made timeline, table for table: several channels in order of first
appearance, a channel with no name, no StasisStart or no state, a span still open at the end, events after
StasisEnd, requests and connection rows in between, and counts with ties."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from arinb.models import format_timestamp
from arinb.timeline import Timeline
from arinb.timeline.frame import STRING

T0 = 1795695288.0


def at(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(round((T0 + seconds) * 1000), unit="ms", tz="UTC")


def _event(tl: Timeline, etype: str, t: float, **parts: Any) -> None:
    tl.add_event({"type": etype, "timestamp": format_timestamp(T0 + t), **parts}, T0 + t + 0.001)


def _channel(cid: str, state: str | None = None, name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": cid}
    if state is not None:
        body["state"] = state
    if name is not None:
        body["name"] = name
    return body


@pytest.fixture
def tl() -> Timeline:
    tl = Timeline()
    tl.add_connection("connect", T0 - 1.0, "ws://127.0.0.1:8088/ari/events")
    # 9.1 comes first (ids are not sorted): Ring, Up, back to Ring, StasisEnd, then a late ChannelDestroyed.
    _event(tl, "StasisStart", 0.0, channel=_channel("9.1", "Ring", "PJSIP/nine"))
    _event(tl, "ChannelStateChange", 1.0, channel=_channel("1.2", "Ring"))  # never named, never in Stasis
    tl.add_request("POST", "/ari/channels/9.1/answer", {}, 204, T0 + 1.9, 0.0125)
    _event(tl, "ChannelStateChange", 2.0, channel=_channel("9.1", "Up", "PJSIP/nine"))
    _event(tl, "ChannelVarset", 3.0, channel=_channel("9.1", "Ring", "PJSIP/nine"))
    _event(tl, "ChannelVarset", 3.5, channel=_channel("5.5"))  # a channel with no state at all
    _event(tl, "StasisEnd", 5.0, channel=_channel("9.1", "Ring", "PJSIP/nine"))
    _event(tl, "ChannelDestroyed", 6.0, channel=_channel("9.1", "Down", "PJSIP/nine"))
    _event(tl, "StasisStart", 7.0, channel=_channel("7.7", "Up", "PJSIP/seven"))
    tl.add_request("GET", "/ari/playbacks/pb-1", {}, 404, T0 + 8.0, 0.002, reason="Not Found")
    tl.add_request("DELETE", "/ari/channels/8.8", {}, 404, T0 + 8.5, 0.002)  # a channel no event named
    tl.add_connection("loss", T0 + 10.0, "closed by the server")  # the timeline's last row
    return tl


def test_state_spans_follow_each_channel_in_order_of_appearance(tl: Timeline) -> None:
    spans = tl.state_spans()
    assert list(spans.columns) == ["channel_id", "channel_name", "state", "start", "end", "seconds", "open"]
    rows = [tuple(r) for r in spans.itertuples(index=False)]
    assert rows == [
        ("9.1", "PJSIP/nine", "Ring", at(0), at(2), 2.0, False),
        ("9.1", "PJSIP/nine", "Up", at(2), at(3), 1.0, False),
        # StasisEnd closes the last span; the ChannelDestroyed after it (state Down) opens none.
        ("9.1", "PJSIP/nine", "Ring", at(3), at(5), 2.0, False),
        # Still open: it ends with the timeline (its last row, a connection change, has no timestamp).
        ("1.2", pd.NA, "Ring", at(1), pd.Timestamp(T0 + 10.0, unit="s", tz="UTC"), 9.0, True),
        ("7.7", "PJSIP/seven", "Up", at(7), pd.Timestamp(T0 + 10.0, unit="s", tz="UTC"), 3.0, True),
    ]
    assert spans["open"].dtype == bool


def test_channels_summarise_each_channel(tl: Timeline) -> None:
    table = tl.channels().set_index("channel_id")
    assert list(table.index) == ["9.1", "1.2", "5.5", "7.7"]  # first appearance, requests not counted
    nine = table.loc["9.1"]
    assert nine["channel_name"] == "PJSIP/nine"
    assert (nine["first_seen"], nine["entered_stasis"], nine["left_stasis"]) == (at(0), at(0), at(5))
    assert nine["states"] == ["Ring", "Up", "Ring"]
    assert nine["seconds_in_state"] == {"Ring": 4.0, "Up": 1.0}  # both Ring spans add up
    assert (nine["final_state"], nine["events"], nine["seconds_in_stasis"]) == ("Ring", 5, 5.0)
    nameless = table.loc["1.2"]
    assert pd.isna(nameless["channel_name"]) and nameless["first_seen"] == at(1)
    assert pd.isna(nameless["entered_stasis"]) and pd.isna(nameless["left_stasis"])
    assert pd.isna(nameless["seconds_in_stasis"])
    assert (nameless["states"], nameless["final_state"], nameless["events"]) == (["Ring"], "Ring", 1)
    stateless = table.loc["5.5"]
    assert stateless["states"] == [] and stateless["seconds_in_state"] == {}
    assert pd.isna(stateless["final_state"]) and stateless["events"] == 1
    seven = table.loc["7.7"]
    assert (seven["entered_stasis"], seven["final_state"]) == (at(7), "Up")
    assert pd.isna(seven["left_stasis"])


def test_requests_lists_the_rest_calls_with_their_latency(tl: Timeline) -> None:
    table = tl.requests()
    assert list(table.columns) == [
        "seq", "sent_at", "replied_at", "method", "path", "query", "status", "reason", "elapsed",
        "latency_ms", "error", "channel_id", "playback_id", "bridge_id", "body", "transport",
    ]  # fmt: skip
    assert list(table.index) == [0, 1, 2]
    assert list(table["method"]) == ["POST", "GET", "DELETE"]
    assert list(table["latency_ms"]) == pytest.approx([12.5, 2.0, 2.0])
    assert list(table["channel_id"].fillna("-")) == ["9.1", "-", "8.8"]
    assert list(table["playback_id"].fillna("-")) == ["-", "pb-1", "-"]
    assert table["sent_at"].iloc[0].timestamp() == pytest.approx(T0 + 1.9, abs=1e-6)


def test_counts_most_frequent_first_then_by_kind_and_type() -> None:
    tl = Timeline()
    for etype in ["Y", "X", "Z", "X", "Y"]:
        tl.add_event({"type": etype}, T0)
    tl.add_event({}, T0)  # no type at all: counted as missing
    for method in ["GET", "POST", "GET"]:
        tl.add_request(method, "/ari/channels", {}, 200, T0, 0.001)
    tl.add_connection("connect", T0)
    table = tl.counts()
    assert list(table.columns) == ["kind", "type", "count"]
    assert list(table.index) == list(range(7))
    rows = [(k, "<NA>" if pd.isna(t) else t, c) for k, t, c in table.itertuples(index=False)]
    assert rows == [
        ("event", "X", 2),
        ("event", "Y", 2),
        ("request", "GET", 2),
        ("event", "Z", 1),
        ("event", "<NA>", 1),
        ("request", "POST", 1),
        ("connection", "connect", 1),
    ]
    assert table["kind"].dtype == tl.df["kind"].dtype  # the same categories, in the same order
    assert table["type"].dtype == STRING


def _pb(pid: str, state: str, target: str, media: str, next_media: str | None = None) -> dict[str, Any]:
    body = {"id": pid, "state": state, "target_uri": target, "media_uri": media}
    if next_media is not None:
        body["next_media_uri"] = next_media
    return body


@pytest.fixture
def plays() -> Timeline:
    tl = Timeline()
    c = "channel:1.1"
    # A list played under one id: the requested order is kept, the events add nothing new.
    tl.add_request(
        "POST", "/ari/channels/1.1/play/list", {"media": "tone:ring;tonezone=fr,sound:b"}, 201, T0, 0.01
    )
    _event(tl, "PlaybackStarted", 0.1, playback=_pb("list", "playing", c, "tone:ring;tonezone=fr", "sound:b"))
    _event(tl, "PlaybackContinuing", 1.1, playback=_pb("list", "continuing", c, "sound:b"))
    _event(tl, "PlaybackFinished", 2.1, playback=_pb("list", "done", c, "sound:b"))
    # One id used twice: two instances, the k-th request belongs to the k-th; the last media value wins.
    tl.add_request("POST", "/ari/channels/1.1/play/dup", "media=sound:x&media=sound:y", 201, T0 + 3, 0.01)
    tl.add_request("POST", "/ari/channels/1.1/play/dup", {"media": "sound:z"}, 201, T0 + 3.5, 0.01)
    _event(tl, "PlaybackStarted", 3.1, playback=_pb("dup", "playing", c, "sound:y"))
    _event(tl, "PlaybackFinished", 4.0, playback=_pb("dup", "done", c, "sound:y"))
    _event(tl, "PlaybackStarted", 4.0, playback=_pb("dup", "playing", c, "sound:z"))
    _event(tl, "PlaybackFinished", 4.5, playback=_pb("dup", "failed", c, "sound:z"))
    # A bridge play refused (no events): its ids come from the request's path.
    tl.add_request("POST", "/ari/bridges/br-1/play/onbridge", {"media": "sound:w"}, 422, T0 + 5, 0.01)
    # Started, never finished, its channel left: lost at that StasisEnd.
    tl.add_request("POST", "/ari/channels/1.1/play/bad", {"media": "foo:bar"}, 201, T0 + 6, 0.01)
    _event(tl, "PlaybackStarted", 6.1, playback=_pb("bad", "playing", c, "foo:bar"))
    # Only events (started by another application): no request, so queued is NaT and it sorts last.
    _event(tl, "PlaybackStarted", 0.5, playback=_pb("other", "playing", "channel:2.2", "sound:o"))
    # Not plays: a GET of a playback, an answer, a play whose path only looks like one.
    tl.add_request("GET", "/ari/playbacks/dup", {}, 404, T0 + 7, 0.01)
    tl.add_request("POST", "/ari/channels/1.1/answer", {}, 204, T0 + 7, 0.01)
    tl.add_request("GET", "/ari/channels/1.1/play/dup", {}, 405, T0 + 7, 0.01)
    _event(tl, "StasisEnd", 8.0, channel=_channel("1.1", "Up"))
    tl.add_request("GET", "/ari/channels/1.1", {}, 404, T0 + 9, 0.01)  # names the channel, after it left
    return tl


def test_playbacks_one_row_per_instance_sorted_by_request(plays: Timeline) -> None:
    table = plays.playbacks()
    assert list(table.index) == list(range(6))
    assert list(zip(table["playback_id"], table["instance"], strict=True)) == [
        ("list", 0), ("dup", 0), ("dup", 1), ("onbridge", 0), ("bad", 0), ("other", 0),
    ]  # fmt: skip
    assert list(table["media"]) == [
        ["tone:ring;tonezone=fr", "sound:b"], ["sound:y"], ["sound:z"], ["sound:w"], ["foo:bar"], ["sound:o"],
    ]  # fmt: skip
    assert list(table["events"]) == [3, 2, 2, 0, 1, 1]
    assert [s if isinstance(s, str) else None for s in table["state"]] == [
        "done",
        "done",
        "failed",
        None,
        None,
        None,
    ]
    assert list(table["state"].cat.categories) == ["done", "failed"]
    assert list(table["status"]) == [201, 201, 201, 422, 201, pd.NA]
    assert list(table["channel_id"].fillna("-")) == ["1.1", "1.1", "1.1", "-", "1.1", "2.2"]
    assert list(table["bridge_id"].fillna("-")) == ["-", "-", "-", "br-1", "-", "-"]
    queued = [None if pd.isna(q) else round(q.timestamp(), 3) for q in table["queued"]]
    assert queued == [T0, T0 + 3, T0 + 3.5, T0 + 5, T0 + 6, None]
    assert list(table["started"].iloc[:3]) == [at(0.1), at(3.1), at(4.0)]
    assert list(table["duration"].iloc[:3]) == [2.0, 0.9, 0.5]


def test_only_a_started_playback_whose_channel_left_is_lost(plays: Timeline) -> None:
    table = plays.playbacks().set_index(["playback_id", "instance"])
    assert list(table["never_finished"]) == [False, False, False, True, True, True]
    assert table.loc[("bad", 0), "lost_at"] == at(8.0)  # the StasisEnd of its channel
    assert pd.isna(table.loc[("list", 0), "lost_at"])  # finished: not lost, though its channel left later
    assert pd.isna(table.loc[("other", 0), "lost_at"])  # its channel never left
    assert pd.isna(table.loc[("onbridge", 0), "lost_at"])  # no channel


def test_a_channel_play_without_events_takes_its_channel_from_the_request() -> None:
    tl = Timeline()
    tl.add_request("POST", "/ari/channels/3.3/play/quiet", {"media": "sound:q"}, 201, T0, 0.01)
    # Its events name no channel (a bridge target): the request's channel fills the gap.
    _event(tl, "PlaybackStarted", 0.1, playback=_pb("quiet", "playing", "bridge:br", "sound:q"))
    row = tl.playbacks().iloc[0]
    assert (row["channel_id"], row["bridge_id"]) == ("3.3", "br")
    # A query with no media at all, or an empty one, adds nothing; a tone's own '=' stays in its URI.
    tl2 = Timeline()
    tl2.add_request("POST", "/ari/channels/4.4/play/none", {"lang": "en"}, 400, T0, 0.01)
    tl2.add_request("POST", "/ari/channels/4.4/play/empty", "media=&lang=en", 400, T0 + 1, 0.01)
    tl2.add_request(
        "POST", "/ari/channels/4.4/play/tone", {"media": "tone:ring;tonezone=fr"}, 201, T0 + 2, 0.01
    )
    table = tl2.playbacks()
    assert list(table["media"]) == [[], [], ["tone:ring;tonezone=fr"]]
    # The state's categories do not depend on which states occurred.
    assert list(table["state"].cat.categories) == ["done", "failed"]


def test_a_playback_met_only_by_its_finish_has_no_start() -> None:
    # Stopped while queued, or the timeline began mid-playback: PlaybackFinished alone.
    tl = Timeline()
    _event(tl, "PlaybackFinished", 1.0, playback=_pb("late", "done", "channel:1.1", "sound:a"))
    row = tl.playbacks().iloc[0]
    assert pd.isna(row["started"]) and row["finished"] == at(1.0)
    assert row["state"] == "done" and not row["never_finished"] and pd.isna(row["duration"])
