"""Playback paths, driven on the engine directly with a manual clock (README.md "Playback facts")."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from sim_helpers import Harness, write_wav

from arinb.media_log import MediaSegment
from arinb.sim.catalog import SoundLibrary
from arinb.sim.media import FILE_TAIL, FRAME, PLAYBACK_OVERHEAD, TONE_LEAD


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
    # cancelled (res_stasis_playback.c: no operation but stop in that state), even restart is refused now
    restart = await h.op("playbacks.control", {"playbackId": "b"}, operation="restart")
    assert (restart.status, restart.body) == (409, {"message": "Can only restart while media is playing"})
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


async def test_a_tone_never_ends_and_pauses_restarts_or_ignores_a_skip() -> None:
    h = Harness()
    cid = await h.channel()

    async def control(operation: str) -> int:
        return (await h.op("playbacks.control", {"playbackId": "busy"}, operation=operation)).status

    await h.play(cid, "tone:busy", "busy")
    h.advance(0.0)
    h.advance(100)
    assert (await h.op("playbacks.get", {"playbackId": "busy"})).body["state"] == "playing"
    # playback-control.json: 204 for each; pause shows "paused", unpause sends PlaybackStarted again
    assert await control("pause") == 204
    assert (await h.op("playbacks.get", {"playbackId": "busy"})).body["state"] == "paused"
    assert await control("restart") == 409  # not while paused
    h.advance(1.0)
    unpaused = h.clock.now()
    assert await control("unpause") == 204
    h.advance(1.0)
    restarted = h.clock.now()
    for operation in ("forward", "reverse", "restart"):
        assert await control(operation) == 204
    h.advance(1.0)
    await h.op("playbacks.stop", {"playbackId": "busy"})
    assert [t for t, _, _ in _pb_states(h)] == ["PlaybackStarted", "PlaybackStarted", "PlaybackFinished"]
    # app.c ast_control_tone: pause stops the tone, unpause and restart start it from its cadence's start
    # (its first sample a generator tick later); forward and reverse do nothing
    first, resumed, again = _segments(h, cid, "busy")
    assert first.end - first.start == pytest.approx(100.0, abs=1e-6)  # stopped with its frame in flight
    assert resumed.start == pytest.approx(unpaused + TONE_LEAD, abs=1e-6)
    assert resumed.end - resumed.start == pytest.approx(
        1.0, abs=1e-6
    )  # 0.982 s, the frame in flight completes
    assert again.start == pytest.approx(restarted + TONE_LEAD, abs=1e-6)
    assert all(s.source == "480+620/500,0/500" and s.offset == 0.0 for s in (first, resumed, again))


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
    assert replay_frame.start == pytest.approx(resumed, abs=1e-6)
    assert replay_frame.end - replay_frame.start == pytest.approx(0.02)
    assert rest.offset == pytest.approx(1.02, abs=0.002)
    assert rest.start == pytest.approx(resumed + 0.02, abs=1e-6)
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
    assert all(b.start == pytest.approx(a.end, abs=1e-6) for a, b in itertools.pairwise(files))
    tone = log[5]
    assert (tone.channel_id, tone.source, tone.offset, tone.playback_id, tone.media_uri) == (
        cid,
        "440/1500,0/3500",
        0.0,
        "t",
        "tone:ring;tonezone=fr",
    )
    assert tone.start == pytest.approx(tone_started + TONE_LEAD, abs=1e-6)
    # stopped 2.982 s after its first sample: the frame in progress still goes out (150 frames, AUDIO.md)
    assert tone.end - tone.start == pytest.approx(3.0, abs=1e-6)
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


# -- what the mutation run (docs/mutation.md) found no test guarding -----------------------------------------


def _segments(h: Harness, cid: str, pid: str) -> list[MediaSegment]:
    return [s for s in h.engine.media_log(cid) if s.playback_id == pid]


async def test_a_stopped_file_ends_with_its_frame_in_flight_and_a_stop_before_any_sample_sends_nothing() -> (
    None
):
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "w")
    h.advance(0.0)  # its turn: PlaybackStarted, and the file's first frame goes out at once
    h.advance(0.5037)
    await h.op("playbacks.stop", {"playbackId": "w"})
    [seg] = _segments(h, cid, "w")
    # on the 20 ms grid of the file's own audio, the frame in flight (the 26th) completes (AUDIO.md)
    assert seg.end - seg.start == pytest.approx(0.52, abs=1e-6)
    # stopped in the instant a file starts, or before a tone's first sample (TONE_LEAD after its start)
    for media, pid, wait in (("sound:tt-weasels", "f0", 0.0), ("tone:busy", "t0", TONE_LEAD / 2)):
        await h.play(cid, media, pid)
        h.advance(0.0)
        h.advance(wait)
        assert h.engine.playbacks.get(pid).state == "playing"
        await h.op("playbacks.stop", {"playbackId": pid})
        assert _segments(h, cid, pid) == [], media
    assert [t for t, _, state in _pb_states(h)] == ["PlaybackStarted", "PlaybackFinished"] * 3


@pytest.mark.parametrize("installed", [False, True], ids=["catalog", "sound-file"])
async def test_unpause_sends_the_first_frame_again_then_the_file_from_where_it_paused(
    tmp_path: Path, installed: bool
) -> None:
    if installed:  # a sound folder: the segments name the file
        source = str(write_wav(tmp_path / "en" / "tt-weasels.wav", 2.951))
        h = Harness(sounds=SoundLibrary([tmp_path], use_system=False))
    else:  # only the built-in catalog (durations, no audio): the segments name the sound
        source = "tt-weasels"
        h = Harness(sounds=SoundLibrary(use_system=False))
    cid = await h.channel()

    async def control(operation: str) -> None:
        assert (await h.op("playbacks.control", {"playbackId": "w"}, operation=operation)).status == 204

    await h.play(cid, "sound:tt-weasels", "w")
    h.advance(0.0)
    h.advance(1.0037)
    await control("pause")  # frame 51 completes: paused 1.020 s in (AUDIO.md)
    h.advance(1.5)
    unpaused = h.clock.now()
    await control("unpause")
    h.advance(0.5037)
    await control("pause")  # 0.4837 s after the replayed frame: 25 more frames, 1.520 s in
    h.advance(1.0)
    again = h.clock.now()
    await control("unpause")
    first, replay, rest, replay2, rest2 = _segments(h, cid, "w")
    for seg in (first, replay, rest, replay2, rest2):
        assert (seg.channel_id, seg.kind, seg.source, seg.media_uri) == (
            cid,
            "file",
            source,
            "sound:tt-weasels",
        )
    # AUDIO.md: at the unpause the caller hears one 20 ms frame from the start of the file ...
    assert (replay.offset, replay2.offset) == (0.0, 0.0)
    assert replay.start == pytest.approx(unpaused, abs=1e-6)
    assert replay.end - replay.start == pytest.approx(FRAME, abs=1e-6)
    # ... then the file from the pause point, right after that frame
    assert rest.offset == pytest.approx(1.02, abs=1e-9)
    assert rest.start == pytest.approx(unpaused + FRAME, abs=1e-6)
    assert rest.end - rest.start == pytest.approx(0.5, abs=1e-6)
    assert rest2.offset == pytest.approx(1.52, abs=1e-9)
    assert rest2.start == pytest.approx(again + FRAME, abs=1e-6)


async def test_forward_reverse_and_restart_while_playing_move_from_what_has_played() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys", "m", skipms=500)
    h.advance(0.0)
    for dt, operation in ((1.0, "forward"), (1.0, "reverse"), (0.5, "restart")):
        h.advance(dt)
        assert (await h.op("playbacks.control", {"playbackId": "m"}, operation=operation)).status == 204
    segs = _segments(h, cid, "m")
    # 1.0 s played, +0.5; 1.0 s more (2.5), -0.5; then back to the start: each from the control's instant
    assert [round(s.offset, 9) for s in segs] == [0.0, 1.5, 2.0, 0.0]
    assert [round(s.end - s.start, 9) for s in segs[:-1]] == [1.0, 1.0, 0.5]
    assert all(b.start == a.end for a, b in itertools.pairwise(segs))


async def test_while_paused_only_pause_and_unpause_work_and_the_pause_point_stays() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys", "m", skipms=500)

    async def control(operation: str) -> tuple[int, object]:
        reply = await h.op("playbacks.control", {"playbackId": "m"}, operation=operation)
        return reply.status, reply.body

    h.advance(0.0)
    h.advance(1.0037)
    assert await control("pause") == (204, None)  # paused 1.020 s in
    h.advance(2.0)
    # playback-control.json: forward, reverse and restart are 409 while paused; pause again is a no-op
    for operation in ("forward", "reverse", "restart"):
        assert await control(operation) == (409, {"message": f"Can only {operation} while media is playing"})
    assert await control("pause") == (204, None)
    assert len(_segments(h, cid, "m")) == 1  # nothing is sent while paused
    assert await control("unpause") == (204, None)
    assert _segments(h, cid, "m")[-1].offset == pytest.approx(1.02, abs=1e-9)
    assert [t for t, _, _ in _pb_states(h)] == ["PlaybackStarted", "PlaybackStarted"]


async def test_a_queued_playback_takes_only_restart_and_a_say_sequence_cannot_be_controlled() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "first")
    await h.play(cid, "number:123", "num")
    h.advance(0.0)

    async def control(operation: str, pid: str = "num") -> tuple[int, object]:
        reply = await h.op("playbacks.control", {"playbackId": pid}, operation=operation)
        return reply.status, reply.body

    # playback-control.json: a queued playback: restart is a no-op, the rest 409
    assert await control("restart") == (204, None)
    for operation in ("forward", "pause", "unpause"):
        assert await control(operation) == (409, {"message": f"Can only {operation} while media is playing"})
    h.advance(3.0)
    assert (await h.op("playbacks.get", {"playbackId": "num"})).body["state"] == "playing"
    # number:, digits:, characters: are not controllable (unpause while playing is a no-op all the same)
    for operation in ("pause", "forward", "reverse", "restart"):
        assert await control(operation) == (500, {"message": f"Could not {operation} playback"})
    assert await control("unpause") == (204, None)
    # an unknown operation is refused before the playback is looked up
    assert await control("bogus", "nope") == (400, {"message": "Invalid operation bogus"})
    assert await control("pause", "nope") == (404, {"message": "Playback not found"})
    h.advance(5.0)
    assert _pb_states(h)[-1] == ("PlaybackFinished", "number:123", "done")


async def test_skipms_defaults_to_three_seconds_and_offsetms_is_exact() -> None:
    h = Harness()
    cid = await h.channel()
    # res_stasis_playback.c: no skipms, or skipms=0, skips PLAYBACK_DEFAULT_SKIPMS (3000 ms)
    for pid, query in (("d", {}), ("zero", {"skipms": 0}), ("q", {"skipms": 250})):
        await h.play(cid, "sound:tt-monkeys", pid, **query)
        h.advance(0.0)
        h.advance(1.0)
        await h.op("playbacks.control", {"playbackId": pid}, operation="forward")
        first, skipped = _segments(h, cid, pid)
        assert first.offset == 0.0
        assert skipped.offset == pytest.approx(1.0 + (0.25 if pid == "q" else 3.0), abs=1e-9)
        await h.op("playbacks.stop", {"playbackId": pid})
    await h.play(cid, "sound:tt-monkeys", "o", offsetms=1000)
    h.advance(0.0)
    assert [s.offset for s in _segments(h, cid, "o")] == [pytest.approx(1.0, abs=1e-9)]


async def test_offsetms_is_for_the_first_item_that_plays_a_skipped_item_passes_it_on() -> None:
    h = Harness()
    cid = await h.channel()
    # play_on_channel (res_stasis_playback.c) resets offsetms after an item's final update; an unsupported
    # item is skipped with "continue" before that update, a missing sound fails through it.
    cases = [
        ("sound:beep,sound:tt-weasels", [0.2, 0.0]),
        ("foo:bar,sound:tt-weasels", [0.2]),
        ("sound:does-not-exist,sound:tt-weasels", [0.0]),
    ]
    for n, (media, offsets) in enumerate(cases):
        await h.play(cid, media, f"l{n}", offsetms=200)
        h.advance(5.0)
        assert [round(s.offset, 9) for s in _segments(h, cid, f"l{n}")] == offsets, media


async def test_each_list_item_gets_its_turn_past_missing_and_unsupported_items() -> None:
    h = Harness()
    cid = await h.channel()
    cases = {
        "sound:beep,sound:beep,sound:tt-weasels": [
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackContinuing", "sound:beep", "continuing"),
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackContinuing", "sound:beep", "continuing"),
            ("PlaybackStarted", "sound:tt-weasels", "playing"),
            ("PlaybackFinished", "sound:tt-weasels", "done"),
        ],
        # probe-media-list-bad-item.json: an unsupported item is started and skipped with no update
        "foo:bar,sound:beep": [
            ("PlaybackStarted", "foo:bar", "playing"),
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackFinished", "sound:beep", "done"),
        ],
        "sound:beep,foo:bar,sound:beep": [
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackContinuing", "sound:beep", "continuing"),
            ("PlaybackStarted", "foo:bar", "playing"),
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackFinished", "sound:beep", "done"),
        ],
        # a missing sound that is not the last item: its final update says continuing (playback_final_update)
        "sound:does-not-exist,sound:beep": [
            ("PlaybackStarted", "sound:does-not-exist", "playing"),
            ("PlaybackContinuing", "sound:does-not-exist", "continuing"),
            ("PlaybackStarted", "sound:beep", "playing"),
            ("PlaybackFinished", "sound:beep", "done"),
        ],
    }
    for media, expected in cases.items():
        h.frames.clear()
        await h.play(cid, media, "list")
        h.advance(10.0)
        assert _pb_states(h) == expected, media


async def test_early_media_indicates_progress_once_before_the_first_item() -> None:
    h = Harness(subscribe_all=True)
    cid = await h.channel(answer=False)
    await h.play(cid, "foo:bar,sound:beep", "e")
    h.advance(1.0)
    # tones-subscribe-all.json: the dialing side sees Dial PROGRESS right after the first PlaybackStarted
    seen = [e for e in h.events() if e["type"] in ("PlaybackStarted", "PlaybackFinished", "Dial")]
    assert [e["type"] for e in seen] == ["PlaybackStarted", "Dial", "PlaybackStarted", "PlaybackFinished"]
    assert seen[1]["dialstatus"] == "PROGRESS" and seen[1]["peer"]["name"].endswith(";1")
    assert (await h.op("channels.get", {"channelId": cid})).body["state"] == "Ring"


async def test_a_play_ends_the_silence_when_its_turn_comes() -> None:
    h = Harness()
    cid = await h.channel()
    assert (await h.op("channels.startSilence", {"channelId": cid})).status == 204
    h.advance(1.0)
    await h.play(cid, "sound:beep", "b1")
    h.advance(0.0)
    (started,) = h.times("PlaybackStarted")
    # main/file.c: opening a file deactivates the channel's generator (the silence)
    silence, beep = h.engine.media_log(cid)
    assert silence.kind == "silence" and silence.end == pytest.approx(started, abs=1e-6)
    assert beep.start == silence.end
    # a start of silence while a file plays adds none under it
    assert (await h.op("channels.startSilence", {"channelId": cid})).status == 204
    assert [s.kind for s in h.engine.media_log(cid)] == ["silence", "file"]
    h.advance(1.0)
    await h.play(cid, "sound:beep", "b2")
    h.advance(1.0)
    assert (await h.op("channels.stopSilence", {"channelId": cid})).status == 204
    assert [s.kind for s in h.engine.media_log(cid)] == ["silence", "file", "file"]


async def test_hangup_with_a_stopped_queued_playback_finishes_it_once_as_done() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-monkeys", "cur")
    await h.play(cid, "sound:beep", "stopped")
    h.advance(1.0)
    assert (await h.op("playbacks.stop", {"playbackId": "stopped"})).status == 204
    h.frames.clear()
    assert (await h.op("channels.hangup", {"channelId": cid})).status == 204
    assert [
        (e["type"], e.get("playback", {}).get("id"), e.get("playback", {}).get("state")) for e in h.events()
    ] == [
        ("ChannelHangupRequest", None, None),
        ("PlaybackFinished", "cur", "failed"),
        ("PlaybackFinished", "stopped", "done"),
        ("StasisEnd", None, None),
    ]
    assert (await h.op("playbacks.get", {"playbackId": "stopped"})).status == 404


async def test_a_stopped_queued_playback_finishes_at_its_turn_and_the_queue_goes_on() -> None:
    h = Harness()
    cid = await h.channel()
    for pid in ("a", "b", "c"):
        await h.play(cid, "sound:beep", pid)
    await h.op("playbacks.stop", {"playbackId": "b"})
    h.advance(5.0)
    assert [(e["type"], e["playback"]["id"]) for e in h.events() if e["type"].startswith("Playback")] == [
        ("PlaybackStarted", "a"),
        ("PlaybackFinished", "a"),
        ("PlaybackFinished", "b"),
        ("PlaybackStarted", "c"),
        ("PlaybackFinished", "c"),
    ]
    assert (await h.op("playbacks.get", {"playbackId": "b"})).status == 404


async def test_the_201_goes_out_before_the_playback_starts_in_the_same_instant() -> None:
    h = Harness(subscribe_all=True)  # subscribeAll: the events of a bridge with nobody in it too
    cid = await h.channel()
    bid = (await h.op("bridges.create", type="mixing")).body["id"]
    # probe-sound-missing.json, media-options.json, bridge-play-two-channels.json: 201 (queued), then Started
    for key, path in (("channels.playWithId", {"channelId": cid}), ("bridges.playWithId", {"bridgeId": bid})):
        h.frames.clear()
        posted = h.clock.now()
        reply = await h.op(key, {**path, "playbackId": key}, media="tone:busy")
        assert (reply.status, reply.body["state"]) == (201, "queued")
        assert "PlaybackStarted" not in h.types()
        h.advance(0.0)
        assert posted in h.times("PlaybackStarted")
        await h.op("playbacks.stop", {"playbackId": key})


async def test_a_destroyed_bridge_fails_its_playback_and_the_ones_queued_behind_it() -> None:
    h = Harness(subscribe_all=True)  # the channels have left when the playbacks fail: seen with subscribeAll
    cid = await h.channel()
    bid = (await h.op("bridges.create", type="mixing")).body["id"]
    assert (await h.op("bridges.addChannel", {"bridgeId": bid}, channel=cid)).status == 204
    for pid in ("first", "second"):
        await h.op("bridges.playWithId", {"bridgeId": bid, "playbackId": pid}, media="sound:tt-weasels")
    h.advance(1.0)
    h.frames.clear()
    assert (await h.op("bridges.destroy", {"bridgeId": bid})).status == 204
    h.advance(0.01)
    # as on a channel that hangs up: the current one fails, each queued one starts and fails at once;
    # MORE.md: a subscribeAll app gets each event of a bridge playback twice
    assert _pb_ids_states(h) == [
        ("PlaybackFinished", "first", "failed"),
        ("PlaybackFinished", "first", "failed"),
        ("PlaybackStarted", "second", "playing"),
        ("PlaybackStarted", "second", "playing"),
        ("PlaybackFinished", "second", "failed"),
        ("PlaybackFinished", "second", "failed"),
    ]
    assert (await h.op("playbacks.get", {"playbackId": "second"})).status == 404


def _pb_ids_states(h: Harness) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["playback"]["id"], e["playback"]["state"])
        for e in h.events()
        if e["type"].startswith("Playback")
    ]


async def test_the_playbacks_language_picks_the_sound_file(tmp_path: Path) -> None:
    en = write_wav(tmp_path / "en" / "beep.wav", 1.0)
    fr = write_wav(tmp_path / "fr" / "beep.wav", 0.5)
    h = Harness(sounds=SoundLibrary([tmp_path], use_system=False))
    cid = await h.channel()
    for pid, query, path, seconds in (("en", {}, en, 1.0), ("fr", {"lang": "fr"}, fr, 0.5)):
        await h.play(cid, "sound:beep", pid, **query)
        h.advance(2.0)
        [seg] = _segments(h, cid, pid)
        assert seg.source == str(path) and seg.end - seg.start == pytest.approx(seconds - FILE_TAIL, abs=1e-6)


async def test_an_offset_inside_a_say_sequence_starts_in_the_right_file(tmp_path: Path) -> None:
    # digits/1, digits/2, digits/3 whose content (the file minus its 22-sample tail) is 1.0, 0.5, 0.25 s
    for digit, seconds in (("1", 1.0), ("2", 0.5), ("3", 0.25)):
        write_wav(tmp_path / "en" / "digits" / f"{digit}.wav", seconds + FILE_TAIL)
    h = Harness(sounds=SoundLibrary([tmp_path], use_system=False))
    cid = await h.channel()
    for pid, offsetms, expected in (
        ("mid", 1200, [("digits/2", 0.2, 0.3), ("digits/3", 0.0, 0.25)]),
        ("edge", 1000, [("digits/2", 0.0, 0.5), ("digits/3", 0.0, 0.25)]),  # exactly at a file's end
    ):
        await h.play(cid, "digits:123", pid, offsetms=offsetms)
        h.advance(0.0)
        (started,) = h.times("PlaybackStarted")[-1:]
        h.advance(2.0)
        segs = _segments(h, cid, pid)
        assert [
            (Path(s.source).relative_to(tmp_path / "en").with_suffix("").as_posix(), s.offset) for s in segs
        ] == [(name, pytest.approx(offset, abs=1e-9)) for name, offset, _ in expected]
        assert [s.end - s.start for s in segs] == [
            pytest.approx(length, abs=1e-6) for _, _, length in expected
        ]
        # back to back from the start of the playback
        assert segs[0].start == started and all(b.start == a.end for a, b in itertools.pairwise(segs))


async def test_a_forward_past_the_end_finishes_as_an_offset_past_the_end_does() -> None:
    h = Harness()
    cid = await h.channel()
    await h.play(cid, "sound:tt-weasels", "far")
    h.advance(0.0)
    h.advance(0.5)
    forwarded = h.clock.now()
    await h.op("playbacks.control", {"playbackId": "far"}, operation="forward")  # 0.5 + 3 s > 2.948 s
    h.advance(1.0)
    # MORE.md: offsetms beyond the end: Started, then Finished(done) 25 ms later
    (finished,) = h.times("PlaybackFinished")
    assert finished - forwarded == pytest.approx(0.025, abs=1e-6)
    assert _pb_states(h)[-1] == ("PlaybackFinished", "sound:tt-weasels", "done")
