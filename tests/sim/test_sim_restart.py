"""``Simulator.restart()``: the server goes down and comes back on the same port with an empty world, as an
Asterisk restart does; a connected client sees the loss, reconnects and registers its app again."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

import arinb
from arinb.loop import EngineLoop


def sim_channels(sim: arinb.Simulator) -> list[str]:
    engine = sim.engine
    return EngineLoop.shared("arinb-sim").run_sync(lambda: list(engine.channels))


async def test_restart_keeps_the_port_drops_the_world_and_the_client_comes_back() -> None:
    async with arinb.simulate(clock="manual") as sim:
        url = sim.url
        session = await arinb.connect(sim.url, apps="restart-app", backoff=(0.02, 0.1))
        try:
            first = session.expect("StasisStart")
            ch = await session.channels.originate("Local/wait@default", app="restart-app")
            sim.clock.advance(0.1)  # a manual clock: the call enters the app on the next tick
            assert (await first).channel.id == ch.id
            assert sim_channels(sim)
            old_engine = sim.engine

            down = time.monotonic()
            restarting = sim.restart(downtime=0.2)
            await asyncio.sleep(0.1)
            # While down, the port refuses connections.
            with pytest.raises(aiohttp.ClientConnectionError):
                async with aiohttp.ClientSession() as http:
                    await http.get(url + "/ari/asterisk/info")
            await restarting
            assert time.monotonic() - down >= 0.2
            assert sim.url == url
            assert sim.engine is not old_engine and sim_channels(sim) == []

            # The client noticed, reconnected and registered its app again: a new call reaches it.
            df = session.timeline.df
            deadline = time.monotonic() + 5
            while not (df["type"] == "reconnect").any():
                assert time.monotonic() < deadline, "no reconnect after the restart"
                await asyncio.sleep(0.02)
                df = session.timeline.df
            assert (df["type"] == "loss").any()
            second = session.expect("StasisStart")
            again = await session.channels.originate("Local/wait@default", app="restart-app")
            sim.clock.advance(0.1)
            ev = await asyncio.wait_for(_awaited(second), 5)
            assert ev.channel.id == again.id != ch.id
        finally:
            await session.close()


async def _awaited(call):  # type: ignore[no-untyped-def]
    return await call


async def test_restart_of_a_closed_simulator_says_so() -> None:
    sim = await arinb.simulate(clock="manual")
    await sim.close()
    with pytest.raises(arinb.AriUsageError):
        await sim.restart()
