"""A broadcast channel claimed through the client, end to end on a running simulator (loopback): the
dialplan's StasisBroadcast sends CallBroadcast, ``session.claim_channel`` wins it, StasisStart follows."""

from __future__ import annotations

import arinb
from arinb.sim import simulate

PLAN = """
[default]
exten => 2000,1,NoOp()
 same => n,StasisBroadcast(5000,,sales)
 same => n,Hangup()
"""


async def test_client_claims_a_broadcast_channel() -> None:
    async with (
        simulate(speed=1.0, dialplan=PLAN) as sim,
        arinb.connect(sim.url, sim.username, sim.password, apps="claimer") as session,
    ):
        offered = session.expect("CallBroadcast", timeout=5)
        await sim.call("2000", caller="alice")
        broadcast = await offered
        assert (broadcast["caller"], broadcast["called"]) == ("alice", "2000")
        started = session.expect("StasisStart", timeout=5)
        await session.claim_channel(broadcast["channel"]["id"])
        start = await started
        assert start.channel.id == broadcast["channel"]["id"] and start["args"] == ["sales"]
        again = session.claim_channel(broadcast["channel"]["id"])
        try:
            await again
        except arinb.AriError as exc:
            assert "already been claimed" in str(exc)
        else:  # pragma: no cover - the assertion explains
            raise AssertionError("a second claim of the same channel succeeded")
