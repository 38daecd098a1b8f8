"""save/read round trips through every format, and clear errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from arinb.errors import AriUsageError
from arinb.timeline import Timeline

FORMATS = [".csv", ".jsonl", ".parquet"]


def _awkward(tl: Timeline) -> Timeline:
    """Values text formats like to lose: empty vs missing strings, quotes, newlines, unicode, no timestamp."""
    tl.add_event({"type": "ChannelVarset", "variable": "X", "value": 'a,"b"\nc ☎'}, 1795695300.123456)
    tl.add_request("GET", "/ari/channels", {"x": ""}, None, 1795695300.2, None, error='boom, "quoted"\nline')
    tl.add_request(
        "DELETE", "/ari/channels/1.1", None, 204, 1795695300.3, 0.0011, reason="No Content", body=""
    )
    tl.add_connection("loss", 1795695300.4)
    return tl


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("name", ["tones", "probe-bad-scheme", "record-and-play", "app-replaced"])
def test_round_trip_is_exact(trace, tmp_path: Path, name: str, suffix: str) -> None:
    tl = _awkward(trace(name))
    path = tl.save(tmp_path / f"run{suffix}")
    back = Timeline.read(path)
    pd.testing.assert_frame_equal(back.df, tl.df, check_exact=True)
    assert len(back) == len(tl)
    # Views work the same on the read-back timeline.
    pd.testing.assert_frame_equal(back.playbacks(), tl.playbacks())


@pytest.mark.parametrize("suffix", FORMATS)
def test_read_timeline_keeps_growing(trace, tmp_path: Path, suffix: str) -> None:
    tl = trace("tones")
    back = Timeline.read(tl.save(tmp_path / f"t{suffix}"))
    back.add_event({"type": "StasisStart", "channel": {"id": "new", "state": "Ring"}}, 1795695400.0)
    back.add_event({"type": "Brand new", "channel": {"id": "new", "state": "Up"}}, 1795695401.0)
    df = back.df
    assert len(df) == len(tl) + 2 == len(back)
    assert list(df["seq"]) == list(range(len(df)))
    assert list(df["type"].iloc[-2:]) == ["StasisStart", "Brand new"]
    assert list(df["channel_state"].iloc[-2:]) == ["Ring", "Up"]
    pd.testing.assert_frame_equal(df.iloc[: len(tl)], tl.df, check_categorical=False)


@pytest.mark.parametrize("suffix", FORMATS)
def test_empty_round_trip(tmp_path: Path, suffix: str) -> None:
    tl = Timeline()
    pd.testing.assert_frame_equal(Timeline.read(tl.save(tmp_path / f"e{suffix}")).df, tl.df)


def test_unknown_format_and_bad_files(tmp_path: Path) -> None:
    tl = Timeline()
    with pytest.raises(AriUsageError, match="unknown timeline format"):
        tl.save(tmp_path / "run.xlsx")
    with pytest.raises(AriUsageError, match="no such timeline file"):
        Timeline.read(tmp_path / "missing.csv")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(AriUsageError, match="missing columns: seq"):
        Timeline.read(other)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n")
    with pytest.raises(AriUsageError, match="cannot read"):
        Timeline.read(garbage)


def test_parquet_without_pyarrow_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    with pytest.raises(AriUsageError, match=r"pip install 'arinb\[parquet\]'"):
        Timeline().save(tmp_path / "x.parquet")


def test_no_password_in_saved_files(tmp_path: Path) -> None:
    tl = Timeline()
    tl.add_connection(
        "connect", 1.0, "ws://asterisk:s3cret@127.0.0.1:8088/ari/events?api_key=asterisk:s3cret"
    )
    tl.add_request("GET", "/ari/asterisk/info", {"api_key": "asterisk:s3cret"}, 200, 1.0, 0.001)
    for suffix in (".csv", ".jsonl"):
        assert "s3cret" not in tl.save(tmp_path / f"p{suffix}").read_text()


#: Strings a text format may mistake for "missing" (or for a line end): each must come back as itself.
LOOKALIKES = ["\\N", "\\\\N", "\\", "\\x", "NA", "N/A", "null", "None", "nan", "NaN", "", " ", "a\rb", "\r"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_keeps_strings_that_look_missing(tmp_path: Path, suffix: str) -> None:
    tl = Timeline()
    for i, text in enumerate(LOOKALIKES):
        event = {"type": "StasisStart", "channel": {"id": text, "name": text, "state": "Ring"}}
        tl.add_event(event, 1795695300.0 + i, raw=text)
        tl.add_request(
            "GET", "/channels", None, 500, 1795695300.0 + i, 0.01, reason=text, error=text, body=text
        )
        tl.add_connection("loss", 1795695300.0 + i, detail=text)
    back = Timeline.read(tl.save(tmp_path / f"lookalikes{suffix}")).df
    pd.testing.assert_frame_equal(back, tl.df, check_exact=True)
    assert list(back["channel_id"].dropna()) == LOOKALIKES
    assert back["raw"].isna().sum() == tl.df["raw"].isna().sum()
