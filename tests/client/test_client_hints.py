"""A StasisStart that never comes says why it usually does not: the app name."""

from __future__ import annotations

import pytest

import arinb


async def test_a_stasis_wait_that_times_out_names_the_sessions_apps() -> None:
    async with arinb.simulate(speed=50) as sim:
        # Extension 1000 sends calls to Stasis(channel-tones); this session registered a misspelling.
        async with arinb.connect(sim.url, "asterisk", "asterisk", apps="chanel-tones") as session:
            started = session.wait_for("StasisStart", timeout=0.5)
            await sim.call("1000")
            with pytest.raises(arinb.AriTimeoutError) as caught:
                await started
            assert "apps (chanel-tones)" in str(caught.value)
            assert "Stasis()" in str(caught.value)
            # Other waits are not about app names.
            with pytest.raises(arinb.AriTimeoutError) as other:
                await session.wait_for("PlaybackFinished", timeout=0.1)
            assert "Stasis" not in str(other.value)
