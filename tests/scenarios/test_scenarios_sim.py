"""The three apps end to end: the real client against the embedded simulator (loopback only).

The manual clock makes them exact and instant: the scenario's own waits move simulated time.
"""

from __future__ import annotations

import asyncio

import pytest

import arinb
import arinb.scenarios as scenarios
from arinb.scenarios.base import AppScenario, Step

DOCS_LINES = {
    "tones": [
        "Channel {n} has entered the application",
        "Answering channel {n}",
        "Hanging up channel {n}",
        "Channel {n} just left our application",
    ],
    "answer": [
        "Channel {n} has entered the application",
        "Answering channel {n}",
        "Channel {n} is now: Up",
        "Hanging up channel {n}",
        "Channel {n} just left our application",
    ],
    "monkeys": [
        "Monkeys! Attack {n}!",
        "Monkeys successfully vanquished {n}; hanging them up",
        "Channel {n} just left our application",
    ],
}
#: (event type, simulated seconds after the call) as the traces show them
DOCS_TIMES = {
    "tones": [("StasisStart", 0), ("PlaybackStarted", 0), ("PlaybackFinished", 8), ("ChannelStateChange", 8),
              ("ChannelHangupRequest", 9), ("StasisEnd", 9)],
    "answer": [("StasisStart", 0), ("ChannelStateChange", 2), ("ChannelHangupRequest", 6), ("StasisEnd", 6)],
    "monkeys": [("StasisStart", 0), ("PlaybackStarted", 0), ("PlaybackFinished", 16.18),
                ("ChannelHangupRequest", 16.18), ("StasisEnd", 16.18)],
}  # fmt: skip


@pytest.fixture
async def sim():  # type: ignore[no-untyped-def]
    async with arinb.simulate(clock="manual") as sim:
        yield sim


def channels_in(sim: arinb.Simulator) -> list[str]:
    engine = sim.engine
    return list(arinb.loop.EngineLoop.shared("arinb-sim").run_sync(lambda: list(engine.channels)))


@pytest.mark.parametrize("name", ["tones", "answer", "monkeys"])
async def test_each_app_runs_as_the_docs_say(sim: arinb.Simulator, name: str) -> None:
    sc = scenarios.SCENARIOS[name](sim)
    result = await sc.run()
    assert result.ok, result
    n = sc.channel_name
    assert n.startswith("PJSIP/alice-")
    assert result.lines == [line.format(n=n) for line in DOCS_LINES[name]]
    assert [(e.type, round(e.t, 2)) for e in sc.events] == DOCS_TIMES[name]
    assert result.timeline is not None and len(result.timeline.playbacks()) == (0 if name == "answer" else 1)
    await sc.close()


async def test_stepping_shows_each_steps_events_and_the_channel_is_gone_at_the_end(
    sim: arinb.Simulator,
) -> None:
    sc = scenarios.tones(sim)
    seen = []
    while not sc.finished:
        r = await sc.next()
        assert r.ok, r
        seen.append((r.name, [e.type for e in r.events]))
    assert seen == [
        ("call in", ["StasisStart"]),
        ("play the ringing tone", ["PlaybackStarted"]),
        ("ring for 8 s", []),
        ("stop and answer", ["PlaybackFinished", "ChannelStateChange"]),
        ("hang up", ["ChannelHangupRequest", "StasisEnd"]),
    ]
    assert sc.channel.state == "Up"
    await sc.close()
    assert sc.session is None


async def test_reset_midway_hangs_up_and_a_new_run_is_clean(sim: arinb.Simulator) -> None:
    sc = scenarios.tones(sim)
    await sc.next()
    await sc.next()
    first_channel = sc.channel_id
    assert first_channel in channels_in(sim)
    await sc.reset()
    assert first_channel not in channels_in(sim)
    result = await sc.run()
    assert result.ok and sc.channel_id != first_channel
    await sc.close()


async def test_a_failing_step_cleans_up_the_call(sim: arinb.Simulator) -> None:
    sc = scenarios.answer(sim)

    async def bad_request() -> None:
        await sc.session.channels.get("no-such-channel")

    sc.steps[1] = Step("ring", "Asks for a channel that does not exist.", bad_request)
    await sc.next()
    channel = sc.channel_id
    result = await sc.next()
    assert result.status == "failed" and isinstance(result.error, arinb.AriNotFound)
    assert channel not in channels_in(sim)
    assert sc.check().events[-1] == "StasisEnd"
    await sc.close()


async def test_rebuilding_the_scenario_closes_the_old_one(sim: arinb.Simulator) -> None:
    old = scenarios.monkeys(sim)
    await old.next()
    await old.next()
    channel = old.channel_id
    new = scenarios.monkeys(sim)  # the notebook cell ran again
    for _ in range(200):
        if old._closed and channel not in channels_in(sim):
            break
        await asyncio.sleep(0.01)
    assert old._closed and channel not in channels_in(sim)
    assert (await new.run()).ok
    await new.close()


async def test_originate_brings_the_call_in_as_on_a_real_asterisk(sim: arinb.Simulator) -> None:
    sc = scenarios.tones(sim, originate=True)
    result = await sc.run()
    assert result.ok, result
    assert sc.channel_name.startswith("Local/1000@default-") and sc.channel_name.endswith(";2")
    await sc.close()


async def test_a_session_given_by_the_user_is_kept_open(sim: arinb.Simulator) -> None:
    session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-state")
    try:
        sc = scenarios.answer(session, sim=sim)
        assert (await sc.run()).ok
        await sc.close()
        assert sc.session is session
        assert (await session.channels.list()) == []
    finally:
        await session.close()


async def test_sped_up_clock_waits_simulated_seconds() -> None:
    async with arinb.simulate(speed=50) as sim:
        sc = scenarios.tones(sim)
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await sc.run()
        wall = loop.time() - start
        assert result.ok, result
        assert wall < 3.0  # 9 simulated seconds at speed 50 is ~0.2 s
        answer_at = dict((e.type, e.t) for e in sc.events)["ChannelStateChange"]
        assert 8.0 <= answer_at < 9.0
        await sc.close()


@pytest.mark.parametrize(
    ("install", "app", "ext", "name"),
    [
        (scenarios.channel_tones, "channel-tones", "1000", "tones"),
        (scenarios.channel_state, "channel-state", "1002", "answer"),
        (scenarios.channel_playback_monkeys, "channel-playback-monkeys", "1001", "monkeys"),
    ],
)
async def test_handler_style_apps_print_the_docs_lines(install, app, ext, name) -> None:  # type: ignore[no-untyped-def]
    async with arinb.simulate(speed=50) as sim:
        session = await arinb.connect(sim.url, "asterisk", "asterisk", apps=app)
        try:
            lines: list[str] = []
            kwargs = {} if name == "monkeys" else {"sleep": scenarios.sleeper(sim)}
            install(session, say=lines.append, **kwargs)
            left = session.wait_for("StasisEnd", timeout=30)
            await sim.call(ext, caller="bob")
            await left
            await asyncio.sleep(0.05)
            n = "PJSIP/bob-00000000"  # the first inbound channel of a fresh simulator
            assert lines == [line.format(n=n) for line in DOCS_LINES[name]]
        finally:
            await session.close()


def test_the_scenario_classes_declare_the_trace_orders() -> None:
    import json

    from testkit.data import TRACES as traces

    files = {"tones": "tones.json", "answer": "channel-state.json", "monkeys": "monkeys.json"}
    for name, file in files.items():
        trace = json.loads((traces / file).read_text())
        order = tuple(s["type"] for s in trace["steps"] if s["kind"] == "event")
        cls: type[AppScenario] = scenarios.SCENARIOS[name]
        assert cls.expected_events == order, name
        assert trace["app"] == cls.app


async def test_by_url_alone_it_runs_as_on_a_real_asterisk() -> None:
    # No simulator object: the scenario only has a URL and credentials, originates Local/1001@default
    # and waits on the wall clock. Monkeys has no timers of its own, so this stays quick at speed 50.
    async with arinb.simulate(speed=50, password="not-the-default") as sim:
        sc = scenarios.monkeys(sim.url, username="asterisk", password="not-the-default")
        assert not sc.clock.simulated and sc.originate
        result = await sc.run()
        assert result.ok, result
        assert sc.channel_name.startswith("Local/1001@default-")
        assert "not-the-default" not in repr(sc) + repr(result) + sc._repr_html_()
        await sc.close()


async def test_wrong_password_fails_the_first_step_clearly() -> None:
    async with arinb.simulate(clock="manual") as sim:
        sc = scenarios.tones(sim.url, username="asterisk", password="wrong")
        result = await sc.next()
        assert result.status == "failed" and isinstance(result.error, arinb.AriAuthError)
        assert "wrong" not in str(result.error) and "wrong" not in result._repr_html_()
        await sc.close()
