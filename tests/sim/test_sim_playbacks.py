"""Playback paths, driven on the engine directly with a manual clock (README.md "Playback facts")."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sim_helpers import Harness

from arinb.sim.media import FILE_TAIL, PLAYBACK_OVERHEAD, TONE_LEAD


def _pb_states(h: Harness) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["playback"]["media_uri"], e["playback"]["state"])
        for e in h.events()
        if e["type"].startswith("Playback")
    ]


async def test_monkeys_without_answer_takes_16_18_s_and_stays_ring() -> None:
    h = Harness("channel-playback-monkeys")
    reply = await h.op(
        "channels.originate", endpoint="Local/1001@default", context="default", extension="wait"
    )
    assert reply.body["name"] == "Local/1001@default-00000000;1"
    h.advance(0.01)
    cid = h.events()[0]["channel"]["id"]
    reply = await h.play(cid, "sound:tt-monkeys", "monkeys-pb-1")
    assert reply.status == 201 and reply.body["state"] == "queued"
    h.advance(20)
    assert h.types() == ["StasisStart", "PlaybackStarted", "PlaybackFinished"]
    (start,), (end,) = h.times("PlaybackStarted"), h.times("PlaybackFinished")
    assert end - start == pytest.approx(16.18, abs=0.006)
    assert (await h.op("channels.get", {"channelId": cid})).body["state"] == "Ring"  # early media: no change
    assert (await h.op("channels.hangup", {"channelId": cid})).status == 204
    assert h.types()[-2:] == ["ChannelHangupRequest", "StasisEnd"]
    assert h.events()[-2]["channel"]["state"] == "Ring"


async def test_answer_waits_behind_the_playback() -> None:
    h = Harness()
    cid = await h.channel(answer=False)
    await h.play(cid, "sound:tt-monkeys", "pb")
    h.advance(2.0)
    answer = asyncio.ensure_future(h.op("channels.answer", {"channelId": cid}))
    await asyncio.sleep(0)
    assert not answer.done()
    # ring, GET and a second play answer at once meanwhile
    assert (await h.op("channels.ring", {"channelId": cid})).status == 204
    assert (await h.op("channels.get", {"channelId": cid})).body["state"] == "Ring"
    h.advance(15.0)
    await asyncio.sleep(0)
    assert answer.done() and answer.result().status == 204
    assert h.take() == ["PlaybackStarted", "PlaybackFinished", "ChannelStateChange"]


async def test_answer_blocked_by_a_tone_until_the_playback_is_stopped() -> None:
    h = Harness()
    cid = await h.channel(answer=False)
    await h.play(cid, "tone:ring;tonezone=fr", "tones-pb-1")
    h.advance(1.2)
    answer = asyncio.ensure_future(h.op("channels.answer", {"channelId": cid}))
    h.advance(25.0)  # tones never end by themselves (and the originate's 30 s timeout is still ahead)
    await asyncio.sleep(0)
    assert not answer.done()
    assert (await h.op("playbacks.stop", {"playbackId": "tones-pb-1"})).status == 204
    await asyncio.sleep(0)
    assert answer.result().status == 204
    assert h.take() == ["PlaybackStarted", "PlaybackFinished", "ChannelStateChange"]


async def test_set_variable_waits_and_get_meanwhile_is_404() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "pb")
    h.advance(0.5)
    setvar = asyncio.ensure_future(
        h.op("channels.setChannelVar", {"channelId": cid}, variable="X", value="1")
    )
    await asyncio.sleep(0)
    got = await h.op("channels.getChannelVar", {"channelId": cid}, variable="X")
    assert (got.status, got.reason, got.body) == (
        404,
        "Variable Not Found",
        {"message": "Provided variable was not found"},
    )
    h.advance(3.0)
    await asyncio.sleep(0)
    assert setvar.result().status == 204
    assert h.take() == ["PlaybackStarted", "PlaybackFinished", "ChannelVarset"]
    assert (await h.op("channels.getChannelVar", {"channelId": cid}, variable="X")).body == {"value": "1"}


async def test_second_play_is_queued_and_starts_the_instant_the_first_finishes() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "pb-first")
    second = await h.play(cid, "sound:beep", "pb-second")
    assert second.body["state"] == "queued"
    h.advance(0.1)
    assert (await h.op("playbacks.get", {"playbackId": "pb-first"})).body["state"] == "playing"
    assert (await h.op("playbacks.get", {"playbackId": "pb-second"})).body["state"] == "queued"
    h.advance(5)
    events = [e for e in h.events() if e["type"].startswith("Playback")]
    assert [(e["type"], e["playback"]["id"]) for e in events] == [
        ("PlaybackStarted", "pb-first"),
        ("PlaybackFinished", "pb-first"),
        ("PlaybackStarted", "pb-second"),
        ("PlaybackFinished", "pb-second"),
    ]
    assert events[1]["timestamp"] == events[2]["timestamp"]
    assert (await h.op("playbacks.get", {"playbackId": "pb-first"})).status == 404


async def test_stopping_a_queued_playback() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "a")
    await h.play(cid, "sound:beep", "b")
    h.advance(0.1)
    paused = await h.op("playbacks.control", {"playbackId": "b"}, operation="pause")
    assert (paused.status, paused.body) == (409, {"message": "Can only pause while media is playing"})
    assert (await h.op("playbacks.stop", {"playbackId": "b"})).status == 204
    assert (await h.op("playbacks.get", {"playbackId": "b"})).body["state"] == "done"
    h.advance(5)
    assert _pb_states(h) == [
        ("PlaybackStarted", "sound:tt-weasels", "playing"),
        ("PlaybackFinished", "sound:tt-weasels", "done"),
        ("PlaybackFinished", "sound:beep", "done"),
    ]


async def test_control_matrix() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys", "ctl")
    h.advance(1.0)

    async def control(op: str | None, pid: str = "ctl") -> tuple[int, object]:
        query = {} if op is None else {"operation": op}
        reply = await h.op("playbacks.control", {"playbackId": pid}, **query)
        return reply.status, reply.body

    assert await control("pause") == (204, None)
    assert (await h.op("playbacks.get", {"playbackId": "ctl"})).body["state"] == "paused"
    assert await control("pause") == (204, None)
    assert await control("unpause") == (204, None)
    assert await control("unpause") == (204, None)
    for op in ("restart", "forward", "reverse"):
        assert await control(op) == (204, None)
    assert await control("bogus") == (400, {"message": "Invalid operation bogus"})
    assert await control(None) == (400, {"message": "Missing operation"})
    assert await control("pause", "nope") == (404, {"message": "Playback not found"})
    assert (await h.op("playbacks.stop", {"playbackId": "ctl"})).status == 204
    assert await control("pause") == (404, {"message": "Playback not found"})
    # unpause sends another PlaybackStarted; no event for pause, restart, forward, reverse
    assert h.types() == ["PlaybackStarted", "PlaybackStarted", "PlaybackFinished"]


async def test_tones_cannot_be_controlled_and_never_end() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "tone:busy", "busy")
    h.advance(100)
    assert (await h.op("playbacks.control", {"playbackId": "busy"}, operation="pause")).status == 409
    assert (await h.op("playbacks.get", {"playbackId": "busy"})).body["state"] == "playing"
    await h.op("playbacks.stop", {"playbackId": "busy"})
    assert _pb_states(h)[-1] == ("PlaybackFinished", "tone:busy", "done")


async def test_pause_and_unpause_timing_and_media_log() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "w")
    h.advance(1.0)
    started = h.engine.playbacks.get("w").resumed_at
    paused_at = h.clock.now()
    await h.op("playbacks.control", {"playbackId": "w"}, operation="pause")
    h.advance(1.5)
    await h.op("playbacks.control", {"playbackId": "w"}, operation="unpause")
    resumed = h.clock.now()
    h.advance(5)
    (finished,) = h.times("PlaybackFinished")
    content = 2.951 - FILE_TAIL
    played = paused_at - started + 0.02  # the frame in flight still reaches the caller
    # then 1.5 s of nothing, one replayed frame from the start of the file, and the rest
    assert finished - resumed == pytest.approx(0.02 + content - played + PLAYBACK_OVERHEAD, abs=0.002)
    segs = [s for s in h.engine.media_log(cid) if s.kind == "file"]
    assert len(segs) == 3
    first, replay_frame, rest = segs
    assert first.end - first.start == pytest.approx(1.02, abs=0.002)
    assert replay_frame.start == pytest.approx(resumed)
    assert replay_frame.end - replay_frame.start == pytest.approx(0.02)
    assert rest.offset == pytest.approx(1.02, abs=0.002)
    assert rest.start == pytest.approx(resumed + 0.02)
    # AUDIO.md: the caller received 23746 samples = 8160 + 160 + 15426
    total = sum(round((s.end - s.start) * 8000) for s in segs)
    assert abs(total - 23746) <= 8


async def test_offsetms_skipms_and_validation() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "o", offsetms=1000)
    h.advance(5)
    s, f = h.times("PlaybackStarted")[-1], h.times("PlaybackFinished")[-1]
    assert f - s == pytest.approx(2.951 - FILE_TAIL - 1.0 + PLAYBACK_OVERHEAD, abs=0.002)
    await h.play(cid, "sound:tt-weasels", "big", offsetms=10000)
    h.advance(1)
    s, f = h.times("PlaybackStarted")[-1], h.times("PlaybackFinished")[-1]
    assert f - s == pytest.approx(0.025, abs=1e-3)
    await h.play(cid, "sound:tt-weasels", "skip", skipms=500)
    h.advance(0.5)
    await h.op("playbacks.control", {"playbackId": "skip"}, operation="forward")
    h.advance(0.5)
    await h.op("playbacks.control", {"playbackId": "skip"}, operation="forward")
    h.advance(5)
    s, f = h.times("PlaybackStarted")[-1], h.times("PlaybackFinished")[-1]
    assert f - s == pytest.approx(1.955, abs=0.05)  # MORE.md: 2.95 - 2 x 0.5
    bad = await h.play(cid, "sound:beep", "n1", offsetms=-1)
    assert (bad.status, bad.body) == (400, {"message": "offsetms cannot be negative"})
    bad = await h.play(cid, "sound:beep", "n2", skipms=-1)
    assert (bad.status, bad.body) == (400, {"message": "skipms cannot be negative"})
    ok = await h.play(cid, "sound:beep", "nan", offsetms="abc")
    assert ok.status == 201


async def test_media_list_with_continuing_and_stop_of_the_whole_list() -> None:
    h = Harness()
    cid = await h.channel()
    reply = await h.play(cid, "sound:tt-monkeys,sound:beep", "list")
    assert reply.body["media_uri"] == "sound:tt-monkeys" and reply.body["next_media_uri"] == "sound:beep"
    h.advance(20)
    assert _pb_states(h) == [
        ("PlaybackStarted", "sound:tt-monkeys", "playing"),
        ("PlaybackContinuing", "sound:tt-monkeys", "continuing"),
        ("PlaybackStarted", "sound:beep", "playing"),
        ("PlaybackFinished", "sound:beep", "done"),
    ]
    assert (
        "next_media_uri" in h.events()[1]["playback"] and "next_media_uri" not in h.events()[-1]["playback"]
    )
    h.frames.clear()
    await h.play(cid, "sound:tt-monkeys,sound:beep", "list2")
    h.advance(1)
    await h.op("playbacks.stop", {"playbackId": "list2"})
    last = h.events()[-1]["playback"]
    assert (last["state"], last["media_uri"], last["next_media_uri"]) == (
        "done",
        "sound:tt-monkeys",
        "sound:beep",
    )


async def test_stopping_a_tone_in_a_list_skips_to_the_next_item() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "tone:busy,sound:beep", "tl")
    h.advance(1)
    await h.op("playbacks.stop", {"playbackId": "tl"})
    h.advance(1)
    assert [t for t, _, _ in _pb_states(h)] == [
        "PlaybackStarted",
        "PlaybackContinuing",
        "PlaybackStarted",
        "PlaybackFinished",
    ]


async def test_bad_items_failures_and_vanishing_playbacks() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "foo:bar,sound:beep,sound:does-not-exist", "lb")
    h.advance(1)
    assert _pb_states(h) == [
        ("PlaybackStarted", "foo:bar", "playing"),
        ("PlaybackStarted", "sound:beep", "playing"),
        ("PlaybackContinuing", "sound:beep", "continuing"),
        ("PlaybackStarted", "sound:does-not-exist", "playing"),
        ("PlaybackFinished", "sound:does-not-exist", "failed"),
    ]
    for media in ("recording:does-not-exist", "foo:bar", "tt-monkeys"):
        h.frames.clear()
        await h.play(cid, media, "gone")
        h.advance(5)
        assert h.types() == ["PlaybackStarted"]  # and never a PlaybackFinished
        assert (await h.op("playbacks.get", {"playbackId": "gone"})).status == 404
    h.frames.clear()
    await h.play(cid, "sound:", "empty")
    h.advance(0.01)
    assert _pb_states(h)[-1] == ("PlaybackFinished", "sound:", "failed")
    nomedia = await h.op("channels.playWithId", {"channelId": cid, "playbackId": "x"})
    assert (nomedia.status, nomedia.body) == (500, {"message": "Failed to queue media for playback"})


async def test_duplicate_ids_and_generated_ids() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "dup")
    h.advance(0.3)
    assert (await h.play(cid, "sound:beep", "dup")).status == 201
    assert (await h.op("playbacks.get", {"playbackId": "dup"})).body["media_uri"] == "sound:tt-weasels"
    await h.op("playbacks.stop", {"playbackId": "dup"})  # stops the first one
    h.advance(1)
    assert [(t, m) for t, m, _ in _pb_states(h)] == [
        ("PlaybackStarted", "sound:tt-weasels"),
        ("PlaybackFinished", "sound:tt-weasels"),
        ("PlaybackStarted", "sound:beep"),
        ("PlaybackFinished", "sound:beep"),
    ]
    auto = await h.play(cid, "sound:beep")
    assert len(auto.body["id"]) == 36 and auto.body["id"].count("-") == 4
    by_query = await h.op("channels.play", {"channelId": cid}, media="sound:beep", playbackId="pb-query-id")
    assert by_query.body["id"] == "pb-query-id"
    lang = await h.play(cid, "sound:tt-weasels", "fr", lang="fr")
    assert lang.body["language"] == "fr"


async def test_hangup_fails_current_and_queued_playbacks() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys", "cur")
    await h.play(cid, "sound:beep", "next")
    h.advance(1.0)
    h.frames.clear()
    assert (await h.op("channels.hangup", {"channelId": cid}, reason="busy")).status == 204
    assert [(e["type"], e.get("playback", {}).get("state")) for e in h.events()] == [
        ("ChannelHangupRequest", None),
        ("PlaybackFinished", "failed"),
        ("PlaybackStarted", "playing"),
        ("PlaybackFinished", "failed"),
        ("StasisEnd", None),
    ]
    assert h.events()[0]["cause"] == 32 and h.events()[0]["soft"] is True
    assert (await h.op("playbacks.get", {"playbackId": "cur"})).status == 404
    for key in ("channels.play", "channels.answer", "channels.get", "channels.hangup"):
        reply = await h.op(key, {"channelId": cid}, media="sound:beep")
        assert (reply.status, reply.body) == (404, {"message": "Channel not found"})


async def test_media_log_records_files_tones_and_silence() -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("channels.startSilence", {"channelId": cid})
    h.advance(2.0)
    await h.op("channels.stopSilence", {"channelId": cid})
    await h.play(cid, "number:123", "n")
    h.advance(5)
    await h.play(cid, "tone:ring;tonezone=fr", "t")
    h.advance(3)
    (tone_started,) = [t for t in h.times("PlaybackStarted")][-1:]
    await h.op("playbacks.stop", {"playbackId": "t"})
    log = h.engine.media_log(cid)
    assert [s.kind for s in log] == ["silence"] + ["file"] * 4 + ["tone"]
    assert log[0].end - log[0].start == pytest.approx(2.0)
    files = log[1:5]
    assert [s.media_uri for s in files] == ["number:123"] * 4
    assert all(b.start == pytest.approx(a.end) for a, b in itertools.pairwise(files))
    tone = log[5]
    assert tone.source == "440/1500,0/3500" and tone.start == pytest.approx(tone_started + TONE_LEAD)
    assert tone.end == pytest.approx(h.clock.now())
    assert h.engine.media_log("nonexistent") == []


async def test_play_on_a_down_channel_is_412_and_unknown_channel_404() -> None:
    h = Harness()
    created = await h.op("channels.create", endpoint="Local/wait@default", app="probe", appArgs="created")
    cid = created.body["id"]
    h.advance(0.01)
    for key in (
        "channels.play",
        "channels.answer",
        "channels.ring",
        "channels.progress",
        "channels.sendDTMF",
    ):
        reply = await h.op(key, {"channelId": cid}, media="sound:beep", dtmf="1")
        assert (reply.status, reply.body) == (412, {"message": "Channel in invalid state"}), key
    reply = await h.op("channels.continueInDialplan", {"channelId": cid})
    assert reply.status == 412
