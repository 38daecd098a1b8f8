from __future__ import annotations

import json

from testkit.data import TRACES

from arinb.models import dumps, format_timestamp, loads, parse_timestamp


def test_timestamp_round_trip() -> None:
    text = "2026-11-26T12:14:48.843+0000"
    assert format_timestamp(parse_timestamp(text)) == text


def test_timestamp_rounds_to_milliseconds() -> None:
    assert format_timestamp(1795695288.8434) == "2026-11-26T12:14:48.843+0000"
    assert format_timestamp(1795695288.9996) == "2026-11-26T12:14:49.000+0000"


def test_every_trace_timestamp_parses_and_formats_back() -> None:
    seen = 0
    for path in sorted(TRACES.glob("*.json")):
        for step in json.loads(path.read_text())["steps"]:
            ts = (step.get("event") or {}).get("timestamp")
            if ts:
                assert format_timestamp(parse_timestamp(ts)) == ts
                seen += 1
    assert seen > 400


def test_dumps_is_compact_and_ordered_like_asterisk() -> None:
    obj = {"cause": 32, "soft": True, "type": "ChannelHangupRequest"}
    assert dumps(obj) == '{"cause":32,"soft":true,"type":"ChannelHangupRequest"}'
    assert loads(dumps(obj)) == obj
