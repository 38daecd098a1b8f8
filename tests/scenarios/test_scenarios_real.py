"""The docs' apps and the client's new-channel state on a real Asterisk 22 (opt-in: ``ARINB_REAL_ARI_URL``).

    ARINB_REAL_ARI_URL=http://127.0.0.1:8088 python3 -m pytest -m real_asterisk tests/scenarios

``ARINB_REAL_ARI_USER`` / ``ARINB_REAL_ARI_PASSWORD`` default to asterisk / asterisk. The server needs the
dialplan of ``notebooks/06-real-asterisk.ipynb`` (1000 -> Stasis(channel-tones), ``wait``: Answer, Wait).
A shared server is fine: the channel-state test uses an app name of its own.
"""

from __future__ import annotations

import os
import uuid

import pytest

import arinb
from arinb import scenarios

pytestmark = pytest.mark.real_asterisk


def real() -> tuple[str, str, str]:
    url = os.environ.get("ARINB_REAL_ARI_URL")
    if not url:
        pytest.skip("a real Asterisk: set ARINB_REAL_ARI_URL (opt-in)")
    return (
        url,
        os.environ.get("ARINB_REAL_ARI_USER", "asterisk"),
        os.environ.get("ARINB_REAL_ARI_PASSWORD", "asterisk"),
    )


@pytest.mark.timeout(120)
async def test_tones_with_record_audio_heard_as_asterisk_sends_it() -> None:
    url, user, password = real()
    sc = scenarios.tones(url, username=user, password=password, record_audio=True)
    try:
        result = await sc.run()
        assert result.ok, result
        clip = result.audio()
        # formats=slin: the fr ring at Asterisk's own level (ASTERISK22.md), 1.5 s on / 3.5 s off
        assert 8.5 < clip.duration < 9.5
        assert clip.peak(0.0, 1.4) == pytest.approx(7233, abs=40)
        assert clip.dominant_frequency(0.2, 1.4) == pytest.approx(440, abs=1)
        # Nothing failed along the way: not the snoop's record (409 before its StasisStart), not its cleanup.
        requests = sc.timeline.requests()
        failed = requests[requests["status"] >= 400]
        assert list(zip(failed["method"], failed["path"], strict=True)) == []
    finally:
        await sc.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("rest", ["http", "websocket"])
async def test_an_originated_channel_keeps_the_state_its_events_gave_it(rest: str) -> None:
    # Over the WebSocket lane Asterisk sends the StasisStart (Up) before the originate's reply (Down).
    url, user, password = real()
    app = f"arinb-test-{uuid.uuid4().hex[:8]}"
    async with arinb.connect(url, user, password, apps=app, rest=rest) as session:
        start = session.expect("StasisStart")
        ch = await session.channels.originate("Local/wait@default", app=app, timeout=10)
        try:
            assert (await start).channel is ch
            assert ch.state == "Up"
            assert await ch.wait_state("Up", timeout=2) is ch
        finally:
            await ch.hangup()
