"""compare: identical runs, shifted timings, missing events, ids from another run."""

from __future__ import annotations

import json

import pytest
from testkit.data import TRACES

from arinb.errors import AriUsageError
from arinb.models import format_timestamp, parse_timestamp
from arinb.timeline import Timeline


def _replay(
    name: str, shift: dict[str, float] | None = None, drop: str | None = None, ids: dict | None = None
):
    """A trace's events as a timeline; shift event types (both clocks), drop one type, rename ids."""
    data = json.loads((TRACES / f"{name}.json").read_text())
    tl = Timeline()
    for step in data["steps"]:
        if step["kind"] != "event" or step["type"] == drop:
            continue
        event = json.loads(json.dumps(step["event"]))
        offset = (shift or {}).get(step["type"], 0.0)
        if offset:
            event["timestamp"] = format_timestamp(parse_timestamp(event["timestamp"]) + offset)
        text = json.dumps(event)
        for old, new in (ids or {}).items():
            text = text.replace(old, new)
        tl.add_event(json.loads(text), data["started_wallclock"] + step["t"] + offset)
    return tl


def test_identical_runs_have_no_difference(trace) -> None:
    result = trace("tones").compare(trace("tones"))
    assert result.same and bool(result)
    assert result.differences.empty
    assert result.matched == result.self_count == 6
    assert "no difference" in result.summary()


def test_other_ids_are_not_differences() -> None:
    renamed = _replay("tones", ids={"1795695288.69": "sim-0001", "tones-pb-1": "9c0ffee"})
    assert _replay("tones").compare(renamed).same


def test_shifted_timing_is_reported() -> None:
    base = _replay("tones")
    # The tone plays 0.5 s longer: PlaybackFinished and everything after it move.
    later = _replay(
        "tones",
        shift={
            k: 0.5 for k in ("PlaybackFinished", "ChannelStateChange", "ChannelHangupRequest", "StasisEnd")
        },
    )
    result = base.compare(later, tolerance=0.05)
    assert not result.same
    moved = result.by_change("moved")
    assert list(moved["type"]) == ["PlaybackFinished"]
    assert moved["delta"].iloc[0] == pytest.approx(0.5, abs=0.002)
    assert "moved" in result.summary() and "PlaybackFinished" in result.summary()
    # Within tolerance it is the same run.
    assert base.compare(later, tolerance=0.6).same


def test_missing_and_extra_events_are_reported() -> None:
    full, short = _replay("tones"), _replay("tones", drop="ChannelStateChange")
    result = full.compare(short)
    missing = result.by_change("missing")
    assert list(missing["type"]) == ["ChannelStateChange"]
    assert missing["self_seq"].iloc[0] == 3 and missing["other_seq"].isna().all()
    assert "missing" in result.summary() and "ChannelStateChange" in result.summary()
    reverse = short.compare(full).by_change("extra")
    assert list(reverse["type"]) == ["ChannelStateChange"]


def test_changed_content_is_reported(trace) -> None:
    result = trace("tones").compare(trace("monkeys"))
    changed = result.by_change("changed")
    assert "PlaybackStarted" in set(changed["type"])
    assert any("tone:ring;tonezone=fr -> sound:tt-monkeys" in d for d in changed["detail"])


def test_compare_against_a_saved_run(trace, tmp_path) -> None:
    tl = trace("channel-state")
    saved = Timeline.read(tl.save(tmp_path / "real.jsonl"))
    assert tl.compare(saved).same
    assert tl.compare(saved.df, include_requests=True).same


def test_negative_tolerance_is_refused(trace) -> None:
    with pytest.raises(AriUsageError):
        trace("tones").compare(trace("tones"), tolerance=-1)


async def test_simulator_run_matches_the_real_tones_trace(trace) -> None:
    """The channel-tones flow on the simulator gives the real Asterisk's events, in the same order."""
    import arinb

    async with (
        arinb.simulate(speed=20) as sim,
        arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as session,
    ):
        started = session.wait_for("StasisStart", timeout=10)
        await session.channels.originate(
            endpoint="Local/1000@default", context="default", extension="wait", priority=1, timeout=120
        )
        channel = (await started).channel
        playback = channel.play("tone:ring;tonezone=fr", playback_id="tones-pb-1")
        await playback
        await sim.clock.sleep(8.0)
        await playback.stop()
        await playback.finished(timeout=5)
        await channel.answer()
        await sim.clock.sleep(1.0)
        ended = channel.wait_for("StasisEnd", timeout=5)
        await channel.hangup()
        await ended
        simulated = session.timeline

    # At speed 20 the client's own milliseconds become simulated tenths (more on a busy machine): check
    # the sequence exactly and the timing loosely.
    result = simulated.compare(trace("tones"), tolerance=0.05)
    assert result.matched == 6, result.summary()
    assert set(result.differences["change"]) <= {"moved"}, result.summary()
    assert simulated.playbacks().loc[0, "duration"] == pytest.approx(8.0, abs=1.0)
