"""The server misbehaves: 5xx, hangs, malformed frames, unknown event types, ApplicationReplaced, slow
handlers. Each gives a typed error or a recorded row, and the session stays usable."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from reliability_server import APP, PASSWORD, ControlledAri, event
from testkit.runtime import eventually, timeline_rows

import arinb


async def _channel(ari: ControlledAri, session: Any, channel_id: str = "9.1") -> Any:
    got: list[Any] = []
    session.on("StasisStart", got.append)
    await ari.send(event("StasisStart", channel=channel_id))
    await eventually(lambda: got, what="StasisStart")
    return got[0].channel


# ---------------------------------------------------------------------------------------------- REST


@pytest.mark.parametrize(
    ("status", "script", "message"),
    [
        (500, {"body": {"message": "Failed to queue media"}}, "Failed to queue media"),
        (500, {"body": {"error": "Allocation failed"}}, "Allocation failed"),
        (503, {"raw_body": "<html>Service Unavailable</html>"}, ""),
        (502, {}, ""),
    ],
)
async def test_5xx_is_a_typed_error_and_the_session_stays_usable(
    ari: ControlledAri, session: Any, status: int, script: dict[str, Any], message: str
) -> None:
    channel = await _channel(ari, session)
    path = f"/ari/channels/{channel.id}/answer"
    ari.script("POST", path, status=status, times=1, **script)
    with pytest.raises(arinb.AriServerError) as info:
        await channel.answer()
    err = info.value
    assert err.status == status
    assert err.method == "POST"
    assert path.endswith(err.path) or err.path.endswith(path.removeprefix("/ari"))
    if message:
        assert err.message == message
    # Next call works, on the same session and socket.
    await channel.answer()
    assert ari.count("POST", path) == 2
    statuses = [int(s) for s in timeline_rows(session, "request")["status"].dropna()]
    assert statuses[-2:] == [status, 204]
    assert len(ari.ws_connects) == 1


async def test_a_hanging_request_times_out_with_a_typed_error(ari: ControlledAri) -> None:
    session = await arinb.connect(ari.url, "asterisk", PASSWORD, apps=APP, request_timeout=0.5)
    try:
        await ari.wait_connected()
        channel = await _channel(ari, session)
        path = f"/ari/channels/{channel.id}/answer"
        ari.script("POST", path, hang=True, times=1)
        t0 = time.monotonic()
        with pytest.raises(arinb.AriTimeoutError) as info:
            await channel.answer()
        assert time.monotonic() - t0 < 5
        assert isinstance(info.value, TimeoutError)
        # The session is still usable, and the timeout is on the timeline.
        await channel.answer()
        requests = timeline_rows(session, "request")
        assert requests["error"].notna().any()
    finally:
        await session.close()


# ---------------------------------------------------------------------------------------------- events


async def test_malformed_frames_and_unknown_types_are_recorded_and_the_stream_goes_on(
    ari: ControlledAri, session: Any
) -> None:
    from arinb.client.events import MALFORMED

    seen: list[Any] = []
    session.on("*", seen.append)
    await ari.send(
        "{not json",
        "[1, 2, 3]",
        '"just a string"',
        event("FutureThingHappened", detail={"x": 1}),
        event("StasisStart", channel="5.1"),
    )
    await eventually(lambda: len(seen) == 2, what="the two well-formed events")
    assert [e.type for e in seen] == ["FutureThingHappened", "StasisStart"]
    assert seen[0]["detail"] == {"x": 1}
    rows = timeline_rows(session, "event")
    assert list(rows["type"]) == [MALFORMED, MALFORMED, MALFORMED, "FutureThingHappened", "StasisStart"]
    # Same socket throughout, and REST still works.
    assert len(ari.ws_connects) == 1
    await seen[1].channel.answer()


async def test_a_handler_that_raises_does_not_stop_delivery(ari: ControlledAri, session: Any) -> None:
    after: list[Any] = []

    def broken(ev: Any) -> None:
        raise RuntimeError("handler bug")

    session.on("ChannelVarset", broken)
    session.on("ChannelVarset", after.append)
    await ari.send(*(event("ChannelVarset", channel="6.1", variable="N", value=str(i)) for i in range(5)))
    await eventually(lambda: len(after) == 5, what="events after a raising handler")
    assert [e["value"] for e in after] == ["0", "1", "2", "3", "4"]


async def test_application_replaced_ends_the_session_cleanly_and_says_why(
    ari: ControlledAri, session: Any
) -> None:
    waiting = asyncio.ensure_future(session.wait_for("StasisEnd", timeout=10))
    await asyncio.sleep(0.05)
    replaced = {
        "type": "ApplicationReplaced",
        "timestamp": "2026-11-26T12:20:00.000+0000",
        "application": APP,
    }
    await ari.send(replaced)
    with pytest.raises(arinb.ApplicationReplaced) as info:
        await waiting
    assert APP in str(info.value)
    assert session.replaced
    assert "replaced" in repr(session)
    # It lets go of the events socket (Asterisk itself would keep it open, delivering nothing).
    await eventually(lambda: not ari.sockets, what="replaced session closes its events socket")
    kinds = list(timeline_rows(session, "connection")["type"])
    assert "replaced" in kinds
    # Asterisk keeps the old socket open; the session must not fight the new owner by reconnecting.
    await asyncio.sleep(0.5)
    assert len(ari.ws_connects) == 1
    # Waiting on a replaced session fails at once, with the same reason.
    with pytest.raises(arinb.ApplicationReplaced):
        await session.wait_for("StasisStart", timeout=5)
    await session.close()


# ---------------------------------------------------------------------------------------------- handlers


SLOW = 2.0  # seconds; far longer than delivering 30 loopback frames, even on a busy CI machine


async def test_a_slow_async_handler_delays_only_itself(ari: ControlledAri, session: Any) -> None:
    slow_seen: list[str] = []
    fast_seen: list[str] = []
    async_seen: list[str] = []

    async def slow(ev: Any) -> None:
        slow_seen.append(ev["value"])
        if ev["value"] == "0":
            await asyncio.sleep(SLOW)

    async def quick_async(ev: Any) -> None:
        async_seen.append(ev["value"])

    session.on("ChannelVarset", slow)
    session.on("ChannelVarset", lambda ev: fast_seen.append(ev["value"]))
    session.on("ChannelVarset", quick_async)
    channel = await _channel(ari, session, "7.1")
    expected = [str(i) for i in range(30)]
    await ari.send(*(event("ChannelVarset", channel="7.1", variable="N", value=v) for v in expected))

    await eventually(lambda: fast_seen == expected and async_seen == expected, what="others")
    assert slow_seen == ["0"]  # still inside its long first call
    # The API answers while the slow handler sleeps.
    await channel.answer()
    assert slow_seen == ["0"]
    # The slow handler then gets every event, in order.
    await eventually(lambda: slow_seen == expected, what="slow handler catches up")
