"""The write side: what add_event / add_request / add_connection record, and concurrent reads."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest

from arinb.errors import AriUsageError
from arinb.models import dumps, format_timestamp, loads, parse_timestamp
from arinb.timeline import Timeline


def test_add_event_extracts_columns(event) -> None:
    tl = Timeline()
    raw = dumps(
        event(
            "StasisStart",
            "2026-11-26T12:14:48.843+0000",
            channel={"id": "1.1", "name": "PJSIP/a", "state": "Ring"},
        )
    )
    tl.add_event(
        event(
            "StasisStart",
            "2026-11-26T12:14:48.843+0000",
            channel={"id": "1.1", "name": "PJSIP/a", "state": "Ring"},
        ),
        received_at=1795695288.8455,
        raw=raw,
    )
    tl.add_event(
        event(
            "PlaybackStarted",
            "2026-11-26T12:14:48.845+0000",
            playback={
                "id": "pb-1",
                "media_uri": "sound:tt-monkeys",
                "next_media_uri": "sound:beep",
                "target_uri": "channel:1.1",
                "state": "playing",
            },
        ),
        received_at=1795695288.846,
    )
    tl.add_event(event("RecordingStarted", recording={"name": "rec1", "target_uri": "channel:1.1"}), 1.0)
    tl.add_event(event("BridgeCreated", bridge={"id": "br-1"}), 2.0)
    df = tl.df
    assert len(tl) == len(df) == 4
    first = df.iloc[0]
    assert first["type"] == "StasisStart" and first["channel_state"] == "Ring"
    assert first["channel_name"] == "PJSIP/a" and first["application"] == "demo"
    assert first["timestamp"] == pd.Timestamp("2026-11-26T12:14:48.843Z")
    assert first["received_at"] == pd.Timestamp("2026-11-26T12:14:48.8455Z")
    assert first["lag"] == pytest.approx(0.0025)
    assert first["raw"] == raw
    second = df.iloc[1]
    # A playback event names its channel only through target_uri.
    assert second["channel_id"] == "1.1" and pd.isna(second["channel_state"])
    assert (second["playback_id"], second["playback_state"]) == ("pb-1", "playing")
    assert (second["media_uri"], second["next_media_uri"]) == ("sound:tt-monkeys", "sound:beep")
    # Without raw text the dict is serialised when the frame is built.
    assert second["raw"].startswith('{"type":"PlaybackStarted"')
    assert df.iloc[2]["recording_name"] == "rec1" and df.iloc[2]["channel_id"] == "1.1"
    assert df.iloc[3]["bridge_id"] == "br-1"
    assert list(df["seq"]) == [0, 1, 2, 3]


def test_timestamps_any_offset_and_garbage() -> None:
    tl = Timeline()
    for ts in ["2026-11-26T12:14:48.843+0000", "2026-11-26T13:14:48.844+0100", "yesterday", None, 12]:
        tl.add_event({"type": "X", "timestamp": ts}, 1.0)
    stamps = tl.df["timestamp"]
    assert stamps.iloc[0] == pd.Timestamp("2026-11-26T12:14:48.843Z")
    assert stamps.iloc[1] == pd.Timestamp("2026-11-26T12:14:48.844Z")
    assert stamps.iloc[2:].isna().all()


def test_timestamp_fast_path_matches_models() -> None:
    tl = Timeline()
    epochs = [1795695288.0 + i * 0.0137 for i in range(500)]
    for t in epochs:
        tl.add_event({"type": "X", "timestamp": format_timestamp(t)}, t)
    got = tl.df["timestamp"]
    want = pd.to_datetime(
        [round(parse_timestamp(format_timestamp(t)) * 1000) for t in epochs], unit="ms", utc=True
    )
    assert (got.to_numpy() == want.to_numpy()).all()


def test_odd_values_do_not_break_intake() -> None:
    tl = Timeline()
    tl.add_event({}, 1.0)
    tl.add_event({"type": 5, "channel": "not a dict", "playback": ["x"], "bridge": 3, "recording": None}, 2.0)
    tl.add_event({"type": "X", "channel": {"id": 42, "state": None}}, 3.0)
    df = tl.df
    assert len(df) == 3
    assert df["type"].iloc[1] == "5"
    assert df["channel_id"].iloc[2] == "42"
    assert df["channel_id"].iloc[:2].isna().all()


def test_add_request_strips_credentials_and_parses_ids() -> None:
    tl = Timeline()
    tl.add_request(
        "post",
        "http://asterisk:s3cret@127.0.0.1:8088/ari/channels/1.1/play/pb-7",
        [("media", "sound:beep"), ("api_key", "asterisk:s3cret")],
        201,
        sent_at=100.0,
        elapsed=0.0021234,
        reason="Created",
        body={"id": "pb-7", "state": "queued"},
    )
    tl.add_request(
        "POST", "/ari/channels/1.1/play", "media=sound:beep", 201, 101.0, 0.001, body='{"id":"auto-1"}'
    )
    error = "timed out: http://asterisk:s3cret@127.0.0.1:8088/ari/channels/9?api_key=asterisk:s3cret"
    tl.add_request("GET", "/ari/channels/9", {"password": "s3cret"}, None, 102.0, None, error=error)
    df = tl.df
    assert "s3cret" not in df.to_csv()
    row = df.iloc[0]
    assert row["kind"] == "request" and row["method"] == "POST" and row["status"] == 201
    assert row["query"] == "media=sound:beep"
    assert (row["channel_id"], row["playback_id"]) == ("1.1", "pb-7")
    assert row["elapsed"] == 0.002123
    assert row["sent_at"] == pd.Timestamp(100.0, unit="s", tz="UTC")
    assert row["received_at"] == pd.Timestamp(100.002123, unit="s", tz="UTC")
    assert row["raw"] == '{"id":"pb-7","state":"queued"}'
    assert df.iloc[1]["playback_id"] == "auto-1"
    assert pd.isna(df.iloc[2]["status"])
    assert df.iloc[2]["error"] == "timed out: http://127.0.0.1:8088/ari/channels/9?api_key=***"
    assert df["status"].dtype == "Int64"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("FETCH", "/ari/x", None, 200, 1.0, 0.1), "method"),
        (("GET", None, None, 200, 1.0, 0.1), "path"),
    ],
)
def test_add_request_rejects_bad_input(args: tuple, message: str) -> None:
    tl = Timeline()
    with pytest.raises(AriUsageError, match=message):
        tl.add_request(*args)
    assert len(tl) == 0


def test_add_connection() -> None:
    tl = Timeline()
    tl.add_connection("connect", 1.0, "ws://asterisk:s3cret@h:8088/ari/events?api_key=asterisk:s3cret&app=x")
    tl.add_connection("loss", 2.0)
    with pytest.raises(AriUsageError, match="connection kind"):
        tl.add_connection("exploded", 3.0)
    df = tl.df
    assert list(df["kind"]) == ["connection", "connection"]
    assert list(df["type"]) == ["connect", "loss"]
    assert df["detail"].iloc[0] == "ws://h:8088/ari/events?api_key=***&app=x"
    assert df["detail"].iloc[1] == ""


def test_reader_sees_whole_rows_while_writer_appends() -> None:
    tl = Timeline()
    total = 60_000
    done = threading.Event()

    def write() -> None:
        for i in range(total):
            tl.add_event(
                {"type": f"T{i % 7}", "channel": {"id": f"c{i % 50}", "state": "Up"}}, float(i), raw=str(i)
            )
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    checks = 0
    while not done.is_set() or checks == 0:
        df = tl.df
        n = len(df)
        if n:
            # Every published row is complete and consistent with its own seq.
            last = df.iloc[-1]
            assert last["raw"] == str(n - 1)
            assert last["type"] == f"T{(n - 1) % 7}" and last["channel_id"] == f"c{(n - 1) % 50}"
            assert df["received_at"].is_monotonic_increasing
        checks += 1
    writer.join()
    assert len(tl.df) == total
    assert (tl.df["raw"].astype(int).to_numpy() == range(total)).all()


def test_len_and_reads_count_queued_events() -> None:
    # add_event queues rows; every read (len, df, the widget's store access) sees all of them, in order.
    tl = Timeline()
    for i in range(Timeline.PENDING_MAX + 10):
        tl.add_event({"type": "X", "channel": {"id": f"c{i}"}}, float(i), raw=str(i))
    assert len(tl) == Timeline.PENDING_MAX + 10
    tl.add_event({"type": "Y"}, 1e6)
    tl.add_connection("loss", at=1e6 + 1)
    tl.add_event({"type": "Z"}, 1e6 + 2)
    assert tl._s.n == len(tl) == Timeline.PENDING_MAX + 13
    df = tl.df
    assert list(df["type"].iloc[-3:]) == ["Y", "loss", "Z"]
    assert (df["seq"].to_numpy() == range(len(df))).all()
    assert df["channel_id"].iloc[Timeline.PENDING_MAX + 9] == f"c{Timeline.PENDING_MAX + 9}"


def test_odd_rows_in_a_batch_do_not_disturb_their_neighbours() -> None:
    tl = Timeline()
    tl.add_event({"type": "A", "channel": {"id": "1", "name": ["not", "hashable"]}}, 1.0, raw="a")
    tl.add_event(["not a dict"], 2.0, raw="b")  # type: ignore[arg-type]
    tl.add_event({"type": "C", "playback": {"id": {"x": 1}, "target_uri": "bridge:b1"}}, "3", raw="c")  # type: ignore[arg-type]
    tl.add_event({"type": "D", "channel": {"id": "4", "name": "PJSIP/d"}}, 4.0, raw="d")
    df = tl.df
    assert list(df["raw"]) == ["a", "b", "c", "d"]
    assert df["channel_name"].iloc[0] == "['not', 'hashable']" and df["channel_id"].iloc[0] == "1"
    assert pd.isna(df["type"].iloc[1])
    assert df["playback_id"].iloc[2] == "{'x': 1}" and df["bridge_id"].iloc[2] == "b1"
    assert df["received_at"].iloc[2] == pd.Timestamp(3.0, unit="s", tz="UTC")
    assert (df["type"].iloc[3], df["channel_name"].iloc[3]) == ("D", "PJSIP/d")


def test_readers_on_two_threads_never_lose_or_duplicate_queued_rows() -> None:
    # A writer queues without the lock while two readers flush (len / df) concurrently.
    tl = Timeline()
    total = 3 * Timeline.PENDING_MAX + 123
    done = threading.Event()
    errors: list[BaseException] = []

    def read(use_df: bool) -> None:
        try:
            seen = 0
            while not done.is_set():
                n = len(tl.df) if use_df else len(tl)
                assert n >= seen
                seen = n
        except BaseException as exc:  # reported below
            errors.append(exc)

    readers = [threading.Thread(target=read, args=(flag,)) for flag in (True, False)]
    for r in readers:
        r.start()
    for i in range(total):
        tl.add_event({"type": "T", "timestamp": "2026-11-26T12:14:48.843+0000"}, float(i), raw=str(i))
        if i % 1000 == 0:
            tl.add_request("GET", f"/ari/channels/{i}", {}, 200, float(i), 0.001)
    done.set()
    for r in readers:
        r.join()
    assert not errors
    df = tl.df
    events = df[df["kind"] == "event"]
    assert (events["raw"].astype(int).to_numpy() == range(total)).all()
    assert df["received_at"].is_monotonic_increasing
    assert len(df) == total + len(range(0, total, 1000))


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-29T23:59:59.999+0000",  # leap day
        "2026-02-29T00:00:00.000+0000",  # no such day
        "2100-02-29T00:00:00.000+0000",  # not a leap year
        "2000-02-29T12:00:00.500+0000",
        "1970-01-01T00:00:00.000+0000",
        "2026-13-01T00:00:00.000+0000",
        "2026-11-26T24:00:00.000+0000",
        "2026-11-26T12:14:48.8a3+0000",
        "2026-11-26T12:14:48.843+00000",
        "2026-11-26T13:14:48.844+0100",
    ],
)
def test_batch_timestamps_decide_as_parse_timestamp(text: str) -> None:
    tl = Timeline()
    tl.add_event({"type": "X", "timestamp": text}, 1.0)
    want: Any
    try:
        want = pd.Timestamp(round(parse_timestamp(text) * 1000), unit="ms", tz="UTC")
    except ValueError:
        want = pd.NaT
    got = tl.df["timestamp"].iloc[0]
    assert (pd.isna(got) and pd.isna(want)) or got == want


def _frame(i: int, etype: str = "ChannelVarset") -> str:
    return dumps(
        {
            "type": etype,
            "timestamp": f"2026-11-26T12:14:48.{i % 1000:03d}+0000",
            "application": "app",
            "channel": {"id": f"c{i % 7}", "name": f"PJSIP/c{i % 7}", "state": "Up"},
            "playback": {"id": f"pb{i}", "state": "playing", "target_uri": f"channel:c{i % 7}"},
        }
    )


def test_frames_become_the_same_rows_as_their_parsed_events() -> None:
    # add_frame keeps only the text; the row built later equals the one add_event makes right away.
    frames = [_frame(i, "PlaybackStarted" if i % 3 else "ChannelVarset") for i in range(50)]
    lazy, eager = Timeline(), Timeline()
    for i, text in enumerate(frames):
        lazy.add_frame(text, 1795695288.0 + i)
        eager.add_event(loads(text), 1795695288.0 + i, text)
    assert len(lazy) == 50 and lazy.pending_frames == 50  # counted, not built
    pd.testing.assert_frame_equal(lazy.df, eager.df)
    assert lazy.pending_frames == 0


def test_frames_keep_arrival_order_with_events_requests_and_connections() -> None:
    tl = Timeline()
    tl.add_frame(_frame(0), 1.0)
    tl.add_event({"type": "Eager", "channel": {"id": "e1"}}, 2.0, raw="{}")
    tl.add_frame(_frame(3), 3.0)
    tl.add_request("GET", "/ari/channels/c3", {}, 200, 4.0, 0.001)
    tl.add_frame(_frame(5), 5.0)
    tl.add_connection("loss", at=6.0)
    tl.add_frame(_frame(7), 7.0)
    df = tl.df
    assert list(df["kind"]) == ["event", "event", "event", "request", "event", "connection", "event"]
    events = ["ChannelVarset", "Eager", "ChannelVarset", "ChannelVarset", "loss", "ChannelVarset"]
    assert list(df["type"][[0, 1, 2, 4, 5, 6]]) == events
    assert list(df["channel_id"][[0, 2, 3, 4, 6]]) == ["c0", "c3", "c3", "c5", "c0"]
    assert (df["seq"].to_numpy() == range(7)).all()


def test_build_frames_takes_the_oldest_chunks_first() -> None:
    tl = Timeline()
    total = 2 * Timeline.PENDING_MAX + 5
    for i in range(total):
        tl.add_frame(_frame(i), float(i))
    assert tl.build_frames(limit=1) == Timeline.PENDING_MAX  # whole chunks
    assert tl.pending_frames == total - Timeline.PENDING_MAX and len(tl) == total
    assert tl.build_frames() == Timeline.PENDING_MAX + 5 and tl.build_frames() == 0
    assert (tl.df["playback_id"] == [f"pb{i}" for i in range(total)]).all()


def test_a_frame_that_is_not_json_is_still_a_row() -> None:
    tl = Timeline()
    tl.add_frame("{not json", 1.0)
    tl.add_frame(_frame(1), 2.0)
    df = tl.df
    assert list(df["type"]) == ["MalformedFrame", "ChannelVarset"] and df["raw"][0] == "{not json"


def test_frames_added_while_readers_build_are_never_lost_or_duplicated() -> None:
    tl = Timeline()
    total = 5 * Timeline.PENDING_MAX + 77
    done = threading.Event()
    errors: list[BaseException] = []

    def read(how: int) -> None:
        try:
            seen = 0
            while not done.is_set():
                n = (len(tl.df), len(tl), tl.build_frames())[how]
                if how < 2:
                    assert n >= seen
                    seen = n
        except BaseException as exc:  # reported below
            errors.append(exc)

    readers = [threading.Thread(target=read, args=(how,)) for how in (0, 1, 2)]
    for r in readers:
        r.start()
    for i in range(total):
        tl.add_frame(f'{{"type":"T","n":{i}}}', float(i))
        if i % 5000 == 0:
            tl.add_request("GET", f"/ari/channels/{i}", {}, 200, float(i), 0.001)
    done.set()
    for r in readers:
        r.join()
    assert not errors
    df = tl.df
    events = df[df["kind"] == "event"]
    assert [loads(r)["n"] for r in events["raw"]] == list(range(total))
    assert df["received_at"].is_monotonic_increasing
    assert len(df) == len(tl) == total + len(range(0, total, 5000))


def test_the_frames_kept_are_not_walked_by_the_garbage_collector() -> None:
    import gc

    tl = Timeline()
    for i in range(3 * Timeline.PENDING_MAX):
        tl.add_frame(_frame(i), float(i))
    gc.collect()
    queued = [chunk.raws for chunk in tl._f_chunks]
    assert len(queued) == 3 and not any(gc.is_tracked(texts) for texts in queued)
    tl.build_frames()
    assert not gc.is_tracked(tl._s.raw[0 : len(tl)])
