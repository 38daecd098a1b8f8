"""The column store under the timeline: the batch timestamp decoder, the odd-row path, the vocabularies.

What goes in through ``Timeline.add_event`` must come out of ``tl.df`` as the event said, whichever path
the row took (the fast one or the one for odd values).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from array import array
from typing import Any

import pandas as pd
import pytest

from arinb.models import parse_timestamp
from arinb.timeline import Timeline
from arinb.timeline._store import STRING_COLUMNS, ColumnStore, ObjectColumn, Vocab


def _expected(text: Any) -> float:
    try:
        return parse_timestamp(text)
    except (TypeError, ValueError):
        return math.nan


def _stamps(texts: list[Any]) -> list[float]:
    """Epoch seconds the store records for one batch of events carrying these texts.

    The store itself, not ``tl.df``: a DataFrame holds nanoseconds, which cannot reach years before 1678.
    """
    store = ColumnStore()
    n = len(texts)
    store.append_batch(array("d", [1.0] * n), array("i", [0] * (n * len(STRING_COLUMNS))), texts, ["{}"] * n)
    return list(store.timestamp)


def _same_float(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or got == want  # bit for bit, as parse_timestamp


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Texts the store sent to its one-by-one parser (the vectorised decoder did not take them)."""
    seen: list[Any] = []
    slow = ColumnStore.parse_ts

    def spy(text: Any) -> float:
        seen.append(text)
        return slow(text)

    monkeypatch.setattr(ColumnStore, "parse_ts", staticmethod(spy))
    return seen


def _canonical(moment: dt.datetime) -> str:
    m = moment  # strftime's %Y does not pad years before 1000
    date = f"{m.year:04d}-{m.month:02d}-{m.day:02d}"
    return f"{date}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}+0000"


_LAST_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Valid dates at every edge the decoder checks: each month's last day, leap days (4, 100, 400 rules), the
# first and last representable instants, 0 and 9 in every digit position.
EDGES = [
    *(f"2026-{m:02d}-{d:02d}T23:59:59.999+0000" for m, d in enumerate(_LAST_DAYS, 1)),
    "2024-02-29T00:00:00.000+0000",
    "2000-02-29T12:00:00.500+0000",
    "1600-02-29T09:09:09.909+0000",
    "0001-01-01T00:00:00.000+0000",
    "9999-12-31T23:59:59.999+0000",
    "1970-01-01T00:00:00.000+0000",
    "1969-12-31T23:59:59.001+0000",
    "2026-10-10T10:10:10.100+0000",
    "1999-09-19T19:19:19.199+0000",
]  # fmt: skip

# Not a valid canonical text: each must give what parse_timestamp gives (NaN when it refuses).
INVALID = [
    "2026-11-31T00:00:00.000+0000",  # November has 30 days
    "2026-04-31T00:00:00.000+0000",
    "2026-02-29T00:00:00.000+0000",  # not a leap year
    "1900-02-29T00:00:00.000+0000",  # divisible by 100, not by 400
    "2026-00-10T00:00:00.000+0000",
    "2026-13-10T00:00:00.000+0000",
    "2026-11-00T00:00:00.000+0000",
    "2026-11-32T00:00:00.000+0000",
    "0000-01-01T00:00:00.000+0000",
    "2026-11-26T24:00:00.000+0000",
    "2026-11-26T12:60:00.000+0000",
    "2026-11-26T12:14:60.000+0000",
    "2026-11-26T12:14:4:.843+0000",  # ':' is the character after '9'
    "2026-11-26T12:14:4/.843+0000",  # '/' the one before '0'
    "2026-11-26T12:14:48.843+00000",
    "2026-11-26T12:14:48.843+000",
    "2026-11-26 12:14:48.843+0000",
    "2026-11-26T12:14:48.843-0000",
    "2026-11-26T13:14:48.844+0100",  # valid, another offset: the slow path decides
    "yesterday",
    None,
    12,
]


def test_every_canonical_timestamp_is_decoded_in_the_batch_exactly(fallbacks: list[Any]) -> None:
    rng = random.Random(14)
    start = dt.datetime(1, 1, 1)
    span_ms = int((dt.datetime(9999, 12, 31, 23, 59, 59, 999000) - start).total_seconds() * 1000)
    texts = EDGES + [
        _canonical(start + dt.timedelta(milliseconds=rng.randrange(span_ms))) for _ in range(3000)
    ]
    got = _stamps(texts)
    bad = [(t, g) for t, g in zip(texts, got, strict=True) if not _same_float(g, _expected(t))]
    assert bad == []
    assert fallbacks == []  # all of them the vectorised way


def test_a_batch_mixing_valid_and_invalid_texts_decides_each_as_parse_timestamp(fallbacks: list[Any]) -> None:
    texts = [x for pair in zip(EDGES, INVALID, strict=False) for x in pair] + INVALID[len(EDGES) :]
    got = _stamps(texts)
    for text, stamp in zip(texts, got, strict=True):
        assert _same_float(stamp, _expected(text)), text
    # Only the invalid ones went one by one: a bad row does not push its batch off the fast path.
    assert fallbacks == [t for t in texts if t in INVALID]


def test_an_odd_event_keeps_every_field_it_has() -> None:
    # An unhashable application sends the row down the odd path; everything else must still land.
    tl = Timeline()
    tl.add_event(
        {
            "type": "PlaybackStarted",
            "timestamp": "2026-11-26T12:14:48.843+0000",
            "application": ["not", "hashable"],
            "channel": {"id": "1.1", "name": "PJSIP/a", "state": "Up"},
            "playback": {
                "id": "pb",
                "state": "playing",
                "media_uri": "sound:a",
                "next_media_uri": "sound:b",
                "target_uri": "channel:1.1",
            },
            "bridge": {"id": "br"},
            "recording": {"name": "rec", "target_uri": "channel:other"},
        },
        1.0,
    )
    row = tl.df.iloc[0]
    assert row["type"] == "PlaybackStarted"
    assert row["application"] == "['not', 'hashable']"
    assert (row["channel_id"], row["channel_name"], row["channel_state"]) == ("1.1", "PJSIP/a", "Up")
    assert (row["playback_id"], row["playback_state"]) == ("pb", "playing")
    assert (row["media_uri"], row["next_media_uri"]) == ("sound:a", "sound:b")
    assert (row["bridge_id"], row["recording_name"]) == ("br", "rec")
    assert row["timestamp"] == pd.Timestamp("2026-11-26T12:14:48.843Z")


@pytest.mark.parametrize(
    ("parts", "channel_id", "bridge_id"),
    [
        # No channel object: the playback's channel target names it.
        ({"playback": {"id": "p", "target_uri": "channel:c1"}}, "c1", None),
        # A bridge target names the bridge, unless the event has its own bridge object.
        ({"playback": {"id": "p", "target_uri": "bridge:b1"}}, None, "b1"),
        ({"playback": {"id": "p", "target_uri": "bridge:b1"}, "bridge": {"id": "b2"}}, None, "b2"),
        # The recording's channel target, when nothing else named a channel.
        ({"recording": {"name": "r", "target_uri": "channel:c2"}}, "c2", None),
        ({"recording": {"name": "r", "target_uri": "bridge:b3"}}, None, None),
        # A channel object wins over both targets.
        (
            {
                "channel": {"id": "c3"},
                "playback": {"id": "p", "target_uri": "channel:c4"},
                "recording": {"name": "r", "target_uri": "channel:c5"},
            },
            "c3",
            None,
        ),
        (
            {"playback": {"id": "p", "target_uri": "channel:c6"}, "recording": {"target_uri": "channel:c7"}},
            "c6",
            None,
        ),
    ],
)
def test_an_odd_event_finds_its_channel_and_bridge_from_the_targets(
    parts: dict[str, Any], channel_id: str | None, bridge_id: str | None
) -> None:
    tl = Timeline()
    for odd in (True, False):  # the odd path must agree with the fast one
        event = {"type": "X", **parts}
        if odd:
            event["application"] = {"unhashable": 1}
        tl.add_event(event, 1.0)
    df = tl.df
    for i in range(2):
        assert _same(df["channel_id"].iloc[i], channel_id), (i, df["channel_id"].iloc[i])
        assert _same(df["bridge_id"].iloc[i], bridge_id), (i, df["bridge_id"].iloc[i])


def _same(value: Any, want: str | None) -> bool:
    return pd.isna(value) if want is None else value == want


def test_non_string_values_share_the_code_of_their_text() -> None:
    # A number where a string belongs is kept as its text, and is the same value as that text.
    tl = Timeline()
    ids: list[Any] = [7, "7", 7, "5", 5, 5, 3.5, "3.5"]
    for cid in ids:
        tl.add_event({"type": "X", "channel": {"id": cid}}, 1.0)
    got = tl.df["channel_id"]
    assert list(got) == [str(c) for c in ids]
    assert list(tl.channels()["channel_id"]) == ["7", "5", "3.5"]


def test_a_value_and_its_text_share_one_code() -> None:
    # The vocabulary does not grow for a number whose text it already holds (or the reverse).
    vocab = Vocab()
    assert vocab.add("5") == vocab.add(5) == vocab.add(5)
    assert vocab.add(7) == vocab.add("7")
    assert vocab.add(["x"]) == vocab.add("['x']")  # unhashable: keyed by its text
    assert len(vocab) == 4  # None, "5", "7", "['x']"
    assert vocab.strings == [None, "5", "7", "['x']"]


@pytest.mark.parametrize("batch", [0, 1, 2, 3, 700])
def test_object_column_keeps_every_value_in_order_across_growth(batch: int) -> None:
    # The raw frame texts of the timeline: batches of every size (one frame, two, many) and growth past the
    # first capacity must keep each value once, in order; a tuple or list value stays one value.
    col = ObjectColumn()
    expected: list[Any] = []
    k = 0
    while len(expected) < 2600:
        values: list[Any] = [f"frame-{k + i}" for i in range(batch)]
        if batch >= 2:
            values[1] = ("a", "tuple")
        col.extend(values)
        expected.extend(values)
        col.append(["one", "list"])
        expected.append(["one", "list"])
        k += batch + 1
    assert len(col) == len(expected)
    assert list(col[0 : len(col)]) == expected
    assert list(col[5:9]) == expected[5:9]
