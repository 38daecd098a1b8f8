"""Timeline.snapshot(): the read-only row view incremental readers (the live widget) use."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit.data import TRACES

from arinb.timeline import Snapshot, Timeline
from arinb.timeline.snapshot import CONNECTION, EVENT, KINDS, REQUEST


def test_a_snapshot_has_the_rows_added_so_far_and_only_those() -> None:
    tl = Timeline()
    channel = {"id": "1.1", "name": "PJSIP/a", "state": "Ring"}
    stamp = "2026-11-26T12:14:48.843+0000"
    tl.add_event({"type": "StasisStart", "timestamp": stamp, "channel": channel}, received_at=1795695288.85)
    tl.add_request("POST", "/ari/channels/1.1/answer", {}, 204, sent_at=1795695289.0, elapsed=0.002)
    tl.add_connection("loss", at=1795695290.0, detail="gone")
    snap = tl.snapshot()
    assert isinstance(snap, Snapshot) and (snap.n, snap.offset, snap.total) == (3, 0, 3)
    tl.add_event({"type": "StasisEnd", "channel": {"id": "1.2"}}, received_at=1795695291.0)
    # Taken before the fourth row: it does not see it (the columns did grow), a new snapshot does.
    assert snap.n == 3 and len(snap.kinds(0, 10)) == 3 and tl.snapshot().n == 4
    assert snap.kinds(0, 3).tolist() == [EVENT, REQUEST, CONNECTION]
    assert [KINDS[k] for k in snap.kinds(0, 3)] == ["event", "request", "connection"]
    assert snap.text("type", 0) == "StasisStart" and snap.text("channel_id", 1) == "1.1"
    assert snap.text("type", 2) == "loss" and snap.text("playback_id", 0) is None
    assert snap.codes("channel_id", 0, 2).tolist() == [snap.code_of("channel_id", "1.1")] * 2
    assert snap.code_of("channel_id", "9.9") == -1 and "9.9" not in snap.strings("channel_id")
    assert snap.timestamps(0, 1)[0] == pytest.approx(1795695288.843)
    assert snap.received_at(0, 3).tolist() == [1795695288.85, 1795695289.002, 1795695290.0]
    assert snap.extra(1)["status"] == 204 and snap.extra(2)["detail"] == "gone" and snap.extra(0) == {}
    with pytest.raises(IndexError, match="row 3 is not in this snapshot of 3 rows"):
        snap.text("type", 3)


def test_file_rows_are_counted_by_offset(tmp_path: Path) -> None:
    tones = Timeline.from_trace(TRACES / "tones.json")
    back = Timeline.read(tones.save(tmp_path / "t.jsonl"))
    back.add_connection("connect", at=1795695300.0)
    snap = back.snapshot()
    assert (snap.offset, snap.n, snap.total) == (len(tones), 1, len(tones) + 1)
    assert snap.text("type", 0) == "connect"
