"""Timeline.df: dtypes, incremental building, read-only views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arinb.timeline import Timeline
from arinb.timeline.frame import COLUMNS


def _fill(tl: Timeline, start: int, count: int) -> None:
    for i in range(start, start + count):
        tl.add_event(
            {
                "type": ("StasisStart", "ChannelStateChange", "PlaybackStarted")[i % 3],
                "timestamp": "2026-11-26T12:14:48.843+0000",
                "channel": {"id": f"c{i % 5}", "name": f"PJSIP/c{i % 5}", "state": ("Ring", "Up")[i % 2]},
            },
            received_at=1795695288.85 + i,
            raw=f'{{"i":{i}}}',
        )


def test_dtypes() -> None:
    tl = Timeline()
    _fill(tl, 0, 10)
    tl.add_request("GET", "/ari/channels", None, 200, 1.0, 0.01)
    df = tl.df
    assert tuple(df.columns) == COLUMNS
    dtypes = df.dtypes.astype(str).to_dict()
    assert dtypes["seq"] == "int64"
    for name in ("received_at", "timestamp", "sent_at"):
        assert dtypes[name] == "datetime64[ns, UTC]"
    for name in ("kind", "type", "application", "channel_state", "playback_state", "method"):
        assert isinstance(df[name].dtype, pd.CategoricalDtype), name
    for name in ("channel_id", "channel_name", "playback_id", "media_uri", "path", "query", "raw"):
        assert df[name].dtype == pd.StringDtype("python"), name
    assert dtypes["status"] == "Int64"
    assert dtypes["lag"] == dtypes["elapsed"] == "float64"
    assert list(df["kind"].cat.categories) == ["event", "request", "connection"]
    # Open categoricals list the values seen, sorted.
    assert list(df["type"].cat.categories) == ["ChannelStateChange", "PlaybackStarted", "StasisStart"]


def test_empty_timeline_has_the_schema() -> None:
    df = Timeline().df
    assert df.empty and tuple(df.columns) == COLUMNS
    assert str(df["received_at"].dtype) == "datetime64[ns, UTC]"


def test_second_df_converts_only_new_rows() -> None:
    tl = Timeline()
    _fill(tl, 0, 5_000)
    first = tl.df
    cache = tl._frames()
    assert cache.rows_converted == 5_000
    assert tl.df is first  # nothing new: the same object, no work
    _fill(tl, 5_000, 123)
    second = tl.df
    assert cache.rows_converted == 5_123  # touched exactly the 123 new rows
    assert len(second) == 5_123 and len(first) == 5_000
    # Earlier frames stay as they were, and the new one continues them.
    pd.testing.assert_frame_equal(second.iloc[:5_000], first)
    assert second["raw"].iloc[-1] == '{"i":5122}'


def test_new_category_recodes_old_rows() -> None:
    tl = Timeline()
    tl.add_event({"type": "StasisStart", "channel": {"id": "a", "state": "Up"}}, 1.0)
    tl.add_event({"type": "StasisEnd", "channel": {"id": "a", "state": "Up"}}, 2.0)
    assert list(tl.df["type"]) == ["StasisStart", "StasisEnd"]
    tl.add_event({"type": "ChannelDtmfReceived", "channel": {"id": "a", "state": "Down"}}, 3.0)
    df = tl.df
    assert list(df["type"]) == ["StasisStart", "StasisEnd", "ChannelDtmfReceived"]
    assert list(df["type"].cat.categories) == ["ChannelDtmfReceived", "StasisEnd", "StasisStart"]
    assert list(df["channel_state"]) == ["Up", "Up", "Down"]


def test_buffers_grow_past_their_capacity() -> None:
    tl = Timeline()
    sizes = [1, 1023, 1, 2000, 5000]
    total = 0
    for size in sizes:
        _fill(tl, total, size)
        total += size
        df = tl.df
        assert len(df) == total
        assert (df["seq"].to_numpy() == np.arange(total)).all()
        assert df["raw"].iloc[-1] == f'{{"i":{total - 1}}}'


def test_df_is_read_only() -> None:
    tl = Timeline()
    _fill(tl, 0, 3)
    df = tl.df
    with pytest.raises(ValueError, match="read-only"):
        df.loc[0, "lag"] = 99.0
    editable = df.copy()
    editable.loc[0, "lag"] = 99.0
    assert tl.df["lag"].iloc[0] != 99.0


def test_times_outside_datetime64_ns_are_never_shifted_to_another_date() -> None:
    from arinb.errors import AriUsageError

    tl = Timeline()
    now = 1795695288.0
    # A server timestamp pandas cannot hold (2300, 1600): NaT like an invalid one, the raw text keeps it.
    tl.add_event({"type": "A", "timestamp": "2300-01-01T00:00:00.000+0000"}, received_at=now)
    tl.add_event({"type": "B", "timestamp": "1600-01-01T00:00:00.000+0000"}, received_at=now)
    tl.add_event({"type": "C", "timestamp": "2262-04-10T00:00:00.000+0000"}, received_at=now)  # in range
    df = tl.df
    assert df["timestamp"].isna().tolist() == [True, True, False]
    assert df["lag"].isna().tolist() == [True, True, False]
    assert df["timestamp"].iloc[2].year == 2262 and "2300-01-01" in df["raw"].iloc[0]
    # Our own clock out of range (milliseconds passed as seconds): a clear error, not a date in 1702.
    tl.add_event({"type": "D"}, received_at=now * 1000)
    with pytest.raises(AriUsageError, match=r"row 3: received_at 1\.79\d+e\+12 is not epoch seconds.*milli"):
        tl.df  # noqa: B018
    bad = Timeline()
    bad.add_request("GET", "/ari/asterisk/info", {}, 200, sent_at=-1e10, elapsed=0.001)
    with pytest.raises(AriUsageError, match="row 0: received_at"):
        bad.df  # noqa: B018
