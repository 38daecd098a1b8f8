"""End to end: the client against the embedded simulator (arinb.sim), sped up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import arinb

SPEED = 50.0


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    async with arinb.simulate(speed=SPEED) as s:
        yield s


async def inbound(session: arinb.AriSession, sim: Any, exten: str) -> arinb.Channel:
    started = session.wait_for("StasisStart", timeout=5)  # registered before the call is placed
    await sim.call(exten, caller="alice")
    ev = await started
    assert ev.channel is not None
    return ev.channel


async def test_channel_tones_flow_with_a_real_timeline(sim: Any) -> None:
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as s:
        ch = await inbound(s, sim, "1000")
        assert ch.state == "Ring" and ch.in_stasis and ch.caller.get("number") in ("alice", "")
        pb = ch.play("tone:ring;tonezone=fr")
        assert (await pb).state in ("queued", "playing")
        await pb.started(timeout=5)
        await pb.stop()
        assert await pb.finished(timeout=5) == "done"
        up = ch.wait_for("ChannelStateChange", timeout=5)
        await ch.answer()
        assert (await up).channel is ch and ch.state == "Up"
        end = ch.wait_for("StasisEnd", timeout=5)
        await ch.hangup(reason="normal")
        await end
        assert not ch.in_stasis
        df = s.timeline.df
        events = list(df[df["kind"] == "event"]["type"])
        assert events == [
            "StasisStart", "PlaybackStarted", "PlaybackFinished", "ChannelStateChange",
            "ChannelHangupRequest", "StasisEnd",
        ]  # fmt: skip
        assert len(df[df["kind"] == "request"]) == 4


async def test_monkeys_play_to_the_end_in_simulated_time(sim: Any) -> None:
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-playback-monkeys") as s:
        ch = await inbound(s, sim, "1001")
        started = s.wait_for("PlaybackStarted", timeout=5)
        finished_ev = s.wait_for("PlaybackFinished", timeout=10)
        pb = ch.play("sound:tt-monkeys")
        assert await pb.finished(timeout=10) == "done"
        t0, t1 = (await started).time, (await finished_ev).time
        assert t0 is not None and t1 is not None
        assert t1 - t0 == pytest.approx(16.18, abs=0.3)  # the file's length, on Asterisk's clock
        await ch.hangup()


async def test_a_missing_recording_is_reported_lost_at_hangup(sim: Any) -> None:
    # Asterisk starts recording:does-not-exist and never finishes it (README, probe-recording-missing).
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as s:
        ch = await inbound(s, sim, "1000")
        await ch.answer()
        pb = ch.play("recording:does-not-exist")
        await pb.started(timeout=5)
        waiting = pb.finished(timeout=10)
        await ch.hangup()
        with pytest.raises(arinb.PlaybackLost, match="recording:does-not-exist"):
            await waiting


async def test_an_unknown_scheme_or_no_scheme_is_refused_before_it_is_sent(sim: Any) -> None:
    # Asterisk answers 201 to foo:bar and tt-monkeys and never finishes them (probe-bad-scheme).
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as s:
        ch = await inbound(s, sim, "1000")
        sent = len(s.timeline.requests())
        with pytest.raises(arinb.AriUsageError, match=r"no 'foo' scheme.*schemes: sound, recording"):
            ch.play("foo:bar")
        with pytest.raises(arinb.AriUsageError, match="has no scheme: write 'sound:tt-monkeys'"):
            ch.play("tt-monkeys")
        assert len(s.timeline.requests()) == sent and not s.core.playbacks


async def test_media_lists_and_simulator_errors_are_typed(sim: Any) -> None:
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as s:
        ch = await inbound(s, sim, "1000")
        up = ch.wait_for("ChannelStateChange", timeout=5)
        await ch.answer()
        await up  # (it may come just after the 204)
        seen: list[str] = []
        ch.on("*", lambda e: seen.append(e.type))
        pb = ch.play(["sound:beep", "sound:beep"])
        assert await pb.finished(timeout=5) == "done"
        assert seen == ["PlaybackStarted", "PlaybackContinuing", "PlaybackStarted", "PlaybackFinished"]
        with pytest.raises(arinb.AriNotFound, match="Channel not found") as nf:
            await s.channels.get("nope")
        assert nf.value.path == "/ari/channels/nope" and nf.value.method == "GET"
        with pytest.raises(arinb.AriBadRequest, match="Invalid reason"):
            await s.request("DELETE", f"/channels/{ch.id}", {"reason": "bogus"})
        with pytest.raises(arinb.AriNotFound, match="Playback not found"):
            await s.playbacks.get("no-such-playback")
        listed = await s.channels.list()
        assert ch in listed
        assert (await s.asterisk.ping())["ping"] == "pong"
        await ch.hangup()


async def test_a_second_session_for_the_same_app_replaces_the_first(sim: Any) -> None:
    first = await arinb.connect(sim.url, sim.username, sim.password, apps="channel-state")
    try:
        waiting = first.wait_for("StasisStart", timeout=10)
        second = await arinb.connect(sim.url, sim.username, sim.password, apps="channel-state")
        try:
            with pytest.raises(arinb.ApplicationReplaced):
                await waiting
            assert first.replaced and not second.replaced
            ch = await inbound(second, sim, "1002")  # new calls go to the new owner
            assert ch.in_stasis and first.events_received == 1
            await asyncio.sleep(0.2)
            assert first.reconnects == 0
        finally:
            await second.close()
    finally:
        await first.close()


async def test_bridge_play_reaches_the_bridge_and_its_playback(sim: Any) -> None:
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-state") as s:
        ch = await inbound(s, sim, "1002")
        await ch.answer()
        br = await s.bridges.create("mixing", name="room")
        entered = ch.wait_for("ChannelEnteredBridge", timeout=5)
        await br.add_channel(ch)
        assert (await entered).bridge is br
        pb = br.play("sound:beep")
        assert pb.target_uri == f"bridge:{br.id}"
        assert await pb.finished(timeout=5) == "done"
        await br.destroy()
        assert br.destroyed and br.id not in s.core.bridges  # gone from the registry at the 204
        assert s.core.bridge(br.id) is br  # ... and a late ChannelLeftBridge still finds the same handle
        await ch.hangup()


@pytest.mark.parametrize("subscribe_all", [False, True])
async def test_a_bridge_playback_ends_when_its_bridge_is_destroyed(sim: Any, subscribe_all: bool) -> None:
    # Asterisk sends no PlaybackFinished for a bridge's playback when the bridge goes (issue 10).
    async with arinb.connect(
        sim.url, sim.username, sim.password, apps="channel-state", subscribe_all=subscribe_all
    ) as s:
        ch = await inbound(s, sim, "1002")
        await ch.answer()
        br = await s.bridges.create("mixing")
        await br.add_channel(ch)
        pb = br.play("tone:ring;tonezone=fr")  # never ends by itself
        await pb.started(timeout=5)
        waiting = pb.finished()  # no timeout: it must still end
        await br.destroy()
        try:
            state = await asyncio.wait_for(_awaited(waiting), 5)
        except arinb.PlaybackLost as lost:
            state = str(lost)
        # It settles either way: lost (no PlaybackFinished, as without subscribeAll), or as Asterisk says
        # if a PlaybackFinished does come (the BridgeDestroyed and the playback's end may race).
        assert "bridge was destroyed" in state or (subscribe_all and state in ("done", "failed")), state
        await ch.hangup()


async def _awaited(call: Any) -> Any:
    return await call


async def test_record_then_fetch_copy_and_delete_the_file(sim: Any) -> None:
    async with arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones") as s:
        ch = await inbound(s, sim, "1000")
        await ch.answer()
        done = s.wait_for(("RecordingFinished", "RecordingFailed"), timeout=10)
        rec = await ch.record("e2e-rec", max_duration_seconds=1, if_exists="overwrite")
        assert isinstance(rec, arinb.LiveRecording) and rec.name == "e2e-rec"
        ended = await done
        assert ended.recording is rec and rec.state == "done" and rec.duration == 1
        data = await rec.stored().file()
        assert data[:4] == b"RIFF" and len(data) > 44
        copy = await rec.stored().copy("e2e-copy")
        assert {r.name for r in await s.recordings.stored.list()} >= {"e2e-rec", "e2e-copy"}
        await copy.delete()
        with pytest.raises(arinb.AriNotFound):
            await s.recordings.stored.get("e2e-copy")
        assert await ch.get_variable("CALLERID(num)") == "alice"
        await ch.hangup()


async def test_closing_the_session_from_an_async_handler_closes_the_transport(sim: Any) -> None:
    # close() drops queued handler work and cancels handler tasks, including the one that called it:
    # that must not cancel the close half-way and leave the WebSocket and HTTP session open.
    s = await arinb.connect(sim.url, sim.username, sim.password, apps="channel-tones")
    closed = asyncio.Event()
    loop = asyncio.get_running_loop()

    @s.on("StasisStart")
    async def close_it(ev: Any) -> None:
        try:
            await s.close()
        finally:
            loop.call_soon_threadsafe(closed.set)

    await sim.call("1000", caller="alice")
    await asyncio.wait_for(closed.wait(), 5)
    await asyncio.wait_for(asyncio.wrap_future(s._closing._future), 5)  # type: ignore[union-attr]
    transport = s._transport
    assert transport.ws is not None and transport.ws.closed
    assert transport.http is not None and transport.http.closed
    assert not s.connected
