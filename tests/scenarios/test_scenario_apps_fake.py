"""The three apps' steps against a fake driver that behaves like the captured traces (no network)."""

from __future__ import annotations

import asyncio

import pytest
from testkit.scenario_fakes import FakeSim

import arinb.scenarios as scenarios
from arinb.errors import AriUsageError


def make(kind: str) -> tuple[scenarios.AppScenario, FakeSim]:
    sim = FakeSim()
    cls = scenarios.SCENARIOS[kind]
    session = sim.session(cls.app)
    return cls(session=session, sim=sim), sim


async def test_tones_runs_as_the_docs_say() -> None:
    sc, sim = make("tones")
    result = await sc.run()
    assert result.ok, result.check
    name = sc.channel_name
    assert result.lines == [
        f"Channel {name} has entered the application",
        f"Answering channel {name}",
        f"Hanging up channel {name}",
        f"Channel {name} just left our application",
    ]
    ch = sim.sessions[0].by_id[sc.channel_id]
    assert ch.requests == ["play tone:ring;tonezone=fr", "answer", "hangup"]
    assert sc.playback.id.startswith("tones-")
    # Times are simulated: the answer came 8 s after the call, the hang-up 1 s later.
    rows = {r.type: r.t for r in sc.events}
    assert rows["ChannelStateChange"] == pytest.approx(8.0, abs=0.01)
    assert rows["StasisEnd"] == pytest.approx(9.0, abs=0.01)


async def test_tones_step_by_step_shows_each_steps_events() -> None:
    sc, _ = make("tones")
    first = await sc.next()
    assert first.name == "call in" and [e.type for e in first.events] == ["StasisStart"]
    assert first.lines == [f"Channel {sc.channel_name} has entered the application"]
    second = await sc.next()
    assert [e.type for e in second.events] == ["PlaybackStarted"]
    third = await sc.next()
    assert third.events == [] and sc.channel.state == "Ring"
    fourth = await sc.next()
    assert [e.type for e in fourth.events] == ["PlaybackFinished", "ChannelStateChange"]
    assert "ChannelStateChange" in fourth._repr_html_()
    await sc.next()
    assert sc.finished and sc.check().ok


async def test_answer_prints_the_state_change() -> None:
    sc, sim = make("answer")
    result = await sc.run()
    assert result.ok, result.check
    assert f"Channel {sc.channel_name} is now: Up" in result.lines
    assert result.lines.index(f"Answering channel {sc.channel_name}") < result.lines.index(
        f"Channel {sc.channel_name} is now: Up"
    )
    ch = sim.sessions[0].by_id[sc.channel_id]
    assert ch.requests == ["ring", "answer", "silence", "hangup"]
    rows = {r.type: r.t for r in sc.events}
    assert rows["ChannelStateChange"] == pytest.approx(2.0, abs=0.01)
    assert rows["StasisEnd"] == pytest.approx(6.0, abs=0.01)


async def test_monkeys_hang_up_after_the_sound() -> None:
    sc, _ = make("monkeys")
    result = await sc.run()
    assert result.ok, result.check
    assert result.lines[0] == f"Monkeys! Attack {sc.channel_name}!"
    assert result.lines[1] == f"Monkeys successfully vanquished {sc.channel_name}; hanging them up"
    rows = {r.type: r.t for r in sc.events}
    assert rows["PlaybackFinished"] == pytest.approx(16.18, abs=0.06)


async def test_a_failed_step_hangs_up_the_call() -> None:
    sc, sim = make("tones")
    await sc.next()
    await sc.next()

    async def broken() -> None:
        raise RuntimeError("answer exploded")

    sc.steps[2] = scenarios.Step("broken", "A step that fails.", broken)
    result = await sc.next()
    assert result.status == "failed"
    ch = sim.sessions[0].by_id[sc.channel_id]
    assert ch.gone and ch.requests[-1] == "hangup"
    assert sc.check().events[-1] == "StasisEnd"
    assert not sc.check().ok


async def test_building_the_scenario_again_closes_the_old_one() -> None:
    sim = FakeSim()
    session = sim.session("channel-tones")
    old = scenarios.tones(session, sim=sim)
    await old.next()
    await old.next()
    ch = session.by_id[old.channel_id]
    scenarios.tones(session, sim=sim)  # the cell was re-run
    for _ in range(100):
        if ch.gone and old._closed:  # the hang-up comes first, the close just after
            break
        await asyncio.sleep(0.01)
    assert ch.gone and old._closed
    assert session.handlers["StasisStart"] == [] or all(
        h.__name__ == "guarded" for h in session.handlers["StasisStart"]
    )


async def test_events_of_other_channels_and_apps_are_not_mine() -> None:
    from testkit.scenario_fakes import FakeChannel

    sc, sim = make("tones")
    await sc.next()
    session = sim.sessions[0]
    stranger = FakeChannel(session, "999.1", "PJSIP/mallory-00000009")
    session._emit("ChannelStateChange", channel=stranger)  # same app, another channel
    session.app = "channel-state"
    session._emit("ChannelStateChange", channel=sc.channel)  # our channel id, but another app's event
    await asyncio.sleep(0.05)
    assert [e.type for e in sc.events] == ["StasisStart"]


def test_bad_target_is_a_usage_error() -> None:
    with pytest.raises(AriUsageError, match="cannot run a scenario against 42"):
        scenarios.tones(42)
    with pytest.raises(ValueError, match="needs a target"):
        scenarios.tones()


async def test_handler_style_tones_gives_the_same_lines() -> None:
    sim = FakeSim()
    session = sim.session("channel-tones")
    lines: list[str] = []
    scenarios.channel_tones(session, sleep=scenarios.sleeper(sim), say=lines.append)
    await sim.call("1000")
    for _ in range(200):
        if lines and lines[-1].endswith("just left our application"):
            break
        await asyncio.sleep(0.005)
    name = next(iter(session.by_id.values())).name
    assert lines == [
        f"Channel {name} has entered the application",
        f"Answering channel {name}",
        f"Hanging up channel {name}",
        f"Channel {name} just left our application",
    ]


async def test_a_scenario_shows_its_steps_and_where_it_runs() -> None:
    sc, _ = make("answer")
    html = sc._repr_html_()
    assert "channel-state" in html and "extension 1002" in html and "▶ <b>call in</b>" in html
    await sc.next()
    html = sc._repr_html_()
    assert "✔ <b>call in</b>" in html and "▶ <b>ring</b>" in html
    assert "next: ring" in repr(sc)
