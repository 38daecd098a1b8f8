"""Views over the shared real-Asterisk traces (what a real Asterisk 22.10.1 did)."""

from __future__ import annotations

import pandas as pd
import pytest


def test_tones_playback(trace) -> None:
    pbs = trace("tones").playbacks()
    assert len(pbs) == 1
    pb = pbs.iloc[0]
    assert pb["playback_id"] == "tones-pb-1"
    assert pb["media"] == ["tone:ring;tonezone=fr"]
    assert pb["state"] == "done" and not pb["never_finished"]
    assert pb["duration"] == pytest.approx(8.0, abs=0.05)
    assert pb["channel_id"] == "1795695288.69"
    assert pb["status"] == 201
    assert pb["queued"] < pb["started"] < pb["finished"]


def test_monkeys_playback(trace) -> None:
    pb = trace("monkeys").playbacks().iloc[0]
    assert pb["media"] == ["sound:tt-monkeys"]
    assert pb["state"] == "done"
    assert pb["duration"] == pytest.approx(16.18, abs=0.01)


def test_channel_state_spans(trace) -> None:
    tl = trace("channel-state")
    spans = tl.state_spans()
    assert list(spans["state"]) == ["Ring", "Up"]
    assert spans["seconds"].tolist() == pytest.approx([2.004, 4.008])
    assert not spans["open"].any()
    ch = tl.channels().iloc[0]
    assert ch["channel_name"] == "Local/1002@default-00000024;2"
    assert ch["states"] == ["Ring", "Up"]
    assert ch["seconds_in_state"] == pytest.approx({"Ring": 2.004, "Up": 4.008})
    assert ch["seconds_in_stasis"] == pytest.approx(6.012)
    assert ch["entered_stasis"] == pd.Timestamp("2026-11-26T12:15:18.466Z")


def test_monkeys_channel_stays_ring(trace) -> None:
    ch = trace("monkeys").channels().iloc[0]
    assert ch["states"] == ["Ring"] and ch["final_state"] == "Ring"


def test_bad_scheme_never_finished(trace) -> None:
    tl = trace("probe-bad-scheme")
    pbs = tl.playbacks().set_index("playback_id")
    assert pbs.loc["pb-foo", "never_finished"] and pbs.loc["pb-noscheme", "never_finished"]
    assert pd.isna(pbs.loc["pb-foo", "state"]) and pd.isna(pbs.loc["pb-foo", "duration"])
    stasis_end = tl.df.loc[tl.df["type"] == "StasisEnd", "timestamp"].iloc[0]
    assert pbs.loc["pb-foo", "lost_at"] == stasis_end
    # An empty sound: fails at once, and does finish.
    assert pbs.loc["pb-empty", "state"] == "failed" and not pbs.loc["pb-empty", "never_finished"]


def test_playback_open_at_end_of_timeline(trace) -> None:
    tl = trace("probe-recording-missing")
    pb = tl.playbacks().iloc[0]
    assert pb["never_finished"]


def test_duplicate_playback_id_gives_two_rows(trace) -> None:
    pbs = trace("probe-dup-playback-id").playbacks()
    assert list(pbs["playback_id"]) == ["pb-dup", "pb-dup"]
    assert list(pbs["instance"]) == [0, 1]
    assert [m[0] for m in pbs["media"]] == ["sound:tt-weasels", "sound:beep"]
    assert pbs["duration"].tolist() == pytest.approx([2.955, 0.427], abs=0.002)


def test_media_list_and_auto_id(trace) -> None:
    pb = trace("probe-media-list").playbacks().iloc[0]
    assert pb["media"] == ["sound:tt-monkeys", "sound:beep"]
    auto = trace("probe-auto-playback-id").playbacks()
    assert auto["playback_id"].iloc[0] == "790cd800-4f40-4a05-93ba-ba49ff5e7854"
    assert auto["status"].tolist() == [201, 201]


def test_bridge_playback_has_bridge_target(trace) -> None:
    pb = trace("bridge-play-two-channels").playbacks().iloc[0]
    assert pd.isna(pb["channel_id"]) and pb["bridge_id"] == "a151e084-e166-4cba-ba73-404f3b78f605"


def test_for_channel_by_id_and_name(trace) -> None:
    tl = trace("tones")
    by_name = tl.for_channel("Local/1000@default-00000022;2")
    by_id = tl.for_channel("1795695288.69")
    pd.testing.assert_frame_equal(by_name, by_id)
    assert set(by_id["type"].dropna()) == {
        "StasisStart",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelStateChange",
        "ChannelHangupRequest",
        "StasisEnd",
    }
    # REST calls on the channel are included (play, answer, hangup); the originate is not.
    assert list(by_id.loc[by_id["kind"] == "request", "method"]) == ["POST", "POST", "DELETE"]
    assert tl.for_channel("nope").empty


def test_for_playback(trace) -> None:
    rows = trace("tones").for_playback("tones-pb-1")
    assert list(rows["type"].dropna()) == ["PlaybackStarted", "PlaybackFinished"]
    assert list(rows.loc[rows["kind"] == "request", "method"]) == ["POST", "DELETE"]


def test_requests_and_counts(trace) -> None:
    tl = trace("tones")
    reqs = tl.requests()
    assert list(reqs["method"]) == ["POST", "POST", "DELETE", "POST", "DELETE"]
    assert list(reqs["status"]) == [200, 201, 204, 204, 204]
    assert (reqs["latency_ms"] > 0).all() and (reqs["latency_ms"] < 10).all()
    assert (reqs["replied_at"] >= reqs["sent_at"]).all()
    counts = tl.counts().set_index(["kind", "type"])["count"]
    assert counts[("request", "POST")] == 3 and counts[("event", "StasisStart")] == 1
    assert counts[("connection", "connect")] == 1
    assert counts.sum() == len(tl)


def test_views_on_an_empty_timeline(trace) -> None:
    from arinb.timeline import Timeline

    tl = Timeline()
    assert tl.playbacks().empty and tl.channels().empty and tl.requests().empty
    assert tl.state_spans().empty and tl.counts().empty
    rest = trace("probe-rest-info")
    assert rest.playbacks().empty and not rest.requests().empty
