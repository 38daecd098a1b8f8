"""Dialplan ``Playback(a&b)`` and the playback registry's read-outs, on the engine with a manual clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_helpers import Harness, write_wav

from arinb.models import parse_timestamp
from arinb.sim.catalog import SoundLibrary
from arinb.sim.media import FILE_TAIL, PLAYBACK_OVERHEAD

# tests/data/ari/sounds-en.tsv: the captured durations of the English sounds
BEEP, WEASELS = 0.4255, 2.951


def _playback_step_time(h: Harness, channel_id: str) -> float:
    """When the channel's dialplan reached its Playback step (its ChannelDialplan event)."""
    (t,) = [
        parse_timestamp(e["timestamp"])
        for e in h.events()
        if e["type"] == "ChannelDialplan"
        and e["channel"]["id"] == channel_id
        and e["channel"]["dialplan"]["app_name"] == "Playback"
    ]
    return t


async def test_dialplan_playback_sends_each_found_file_back_to_back_then_goes_on() -> None:
    h = Harness(subscribe_all=True)
    h.engine.dialplan.add_extension(
        "default", "2000", ["Answer()", "Playback(beep&no-such-sound&&tt-weasels,noanswer)", "Stasis(probe)"]
    )
    reply = await h.op(
        "channels.originate", endpoint="Local/2000@default", context="default", extension="wait"
    )
    assert reply.status == 200
    h.advance(1.0)  # Answer() takes 0.5 s
    assert "StasisStart" not in h.types()
    two = next(c.id for c in h.engine.channels.values() if c.name.endswith(";2"))
    begin = _playback_step_time(h, two)
    h.advance(10.0)
    # the missing sound is skipped; the others play one after the other, each without its 22-sample tail
    log = h.engine.media_log(two)
    assert [(s.kind, s.media_uri) for s in log] == [("file", "beep"), ("file", "tt-weasels")]
    assert all(s.channel_id == two and s.offset == 0.0 and s.playback_id is None for s in log)
    # the resolved file when the sounds are installed, else the sound's name (arinb/media_log.py)
    assert all(s.source == s.media_uri or s.source.endswith(f"/{s.media_uri}.wav") for s in log)
    assert log[0].start == begin
    assert log[0].end - log[0].start == pytest.approx(BEEP - FILE_TAIL, abs=1e-6)
    assert log[1].start == log[0].end
    assert log[1].end - log[1].start == pytest.approx(WEASELS - FILE_TAIL, abs=1e-6)
    # the dialplan goes on (into Stasis) once both files and the playback overhead have passed
    (start,) = h.times("StasisStart")
    assert start - begin == pytest.approx(BEEP + WEASELS - 2 * FILE_TAIL + PLAYBACK_OVERHEAD, abs=2e-3)


@pytest.mark.parametrize("installed", [False, True], ids=["catalog", "sound-file"])
async def test_dialplan_playback_segments_name_the_file_played_or_the_sound(
    tmp_path: Path, installed: bool
) -> None:
    if installed:  # a sound folder: the segment names the file (arinb/media_log.py), with its own duration
        path = write_wav(tmp_path / "en" / "beep.wav", 1.0)
        sounds, source, duration = SoundLibrary([tmp_path], use_system=False), str(path), 1.0
    else:  # only the built-in catalog: the sound's name and its captured duration
        sounds, source, duration = SoundLibrary(use_system=False), "beep", BEEP
    h = Harness(subscribe_all=True, sounds=sounds)
    h.engine.dialplan.add_extension("default", "2002", ["Answer()", "Playback(beep)", "Stasis(probe)"])
    await h.op("channels.originate", endpoint="Local/2002@default", context="default", extension="wait")
    h.advance(5.0)
    two = next(c.id for c in h.engine.channels.values() if c.name.endswith(";2"))
    [seg] = h.engine.media_log(two)
    assert (seg.source, seg.media_uri) == (source, "beep")
    assert seg.end - seg.start == pytest.approx(duration - FILE_TAIL, abs=1e-6)


async def test_dialplan_playback_of_missing_files_only_takes_the_overhead() -> None:
    h = Harness(subscribe_all=True)
    h.engine.dialplan.add_extension("default", "2001", ["Answer()", "Playback(nope)", "Stasis(probe)"])
    await h.op("channels.originate", endpoint="Local/2001@default", context="default", extension="wait")
    h.advance(5.0)
    two = next(c.id for c in h.engine.channels.values() if c.name.endswith(";2"))
    assert h.engine.media_log(two) == []
    (start,) = h.times("StasisStart")
    assert start - _playback_step_time(h, two) == pytest.approx(PLAYBACK_OVERHEAD, abs=1e-6)


async def test_queued_on_lists_the_waiting_playbacks_in_order_and_describe_counts() -> None:
    h = Harness()
    cid = await h.channel()
    assert h.engine.playbacks.queued_on(cid) == []
    assert h.engine.playbacks.describe() == {"ids": 0, "playing": 0}
    for pid in ("p1", "p2", "p3"):
        assert (await h.play(cid, "sound:tt-weasels", pid)).status == 201
    h.advance(0.01)
    assert [pb.id for pb in h.engine.playbacks.queued_on(cid)] == ["p2", "p3"]
    assert h.engine.playbacks.queued_on("bridge:" + cid) == []
    assert h.engine.playbacks.describe() == {"ids": 3, "playing": 1}
    h.advance(WEASELS)
    assert [pb.id for pb in h.engine.playbacks.queued_on(cid)] == ["p3"]
    assert h.engine.playbacks.describe() == {"ids": 2, "playing": 1}
    h.advance(2 * WEASELS)
    assert h.engine.playbacks.queued_on(cid) == []
    assert h.engine.playbacks.describe() == {"ids": 0, "playing": 0}


async def test_bridge_play_as_captured_and_its_end_when_the_bridge_goes() -> None:
    h = Harness()
    cid = await h.channel()
    bid = (await h.op("bridges.create", type="mixing")).body["id"]
    assert (await h.op("bridges.addChannel", {"bridgeId": bid}, channel=cid)).status == 204
    # bridge-errors.json: an unknown bridge, a play without media
    missing = await h.op("bridges.playWithId", {"bridgeId": "nope", "playbackId": "x"}, media="sound:beep")
    assert (missing.status, missing.body) == (404, {"message": "Bridge not found"})
    nomedia = await h.op("bridges.playWithId", {"bridgeId": bid, "playbackId": "x"})
    assert (nomedia.status, nomedia.body) == (500, {"error": "Allocation failed"})
    bad = await h.op("bridges.play", {"bridgeId": bid}, media="sound:beep", skipms=-1)
    assert bad.status == 400
    h.take()
    assert not h.engine.playbacks.is_sending(cid)
    reply = await h.op("bridges.playWithId", {"bridgeId": bid, "playbackId": "br-pb"}, media="sound:beep")
    assert (reply.status, reply.body) == (
        201,
        {
            "id": "br-pb",
            "media_uri": "sound:beep",
            "target_uri": f"bridge:{bid}",
            "language": "en",
            "state": "queued",
        },
    )
    assert h.engine.playbacks.queued_on(f"bridge:{bid}")[0].id == "br-pb"
    h.advance(0.01)
    assert (await h.op("playbacks.get", {"playbackId": "br-pb"})).body["state"] == "playing"
    assert h.engine.playbacks.is_sending(cid)
    h.advance(BEEP)
    assert not h.engine.playbacks.is_sending(cid)
    finished = [e["playback"] for e in h.events() if e["type"] == "PlaybackFinished"]
    assert [(p["id"], p["target_uri"], p["state"]) for p in finished] == [("br-pb", f"bridge:{bid}", "done")]
    assert (await h.op("playbacks.get", {"playbackId": "br-pb"})).status == 404
    # a bridge destroyed while it plays: the playback fails
    h.take()
    reply = await h.op("bridges.play", {"bridgeId": bid}, media="sound:tt-weasels", lang="fr")
    assert reply.body["language"] == "fr"
    h.advance(0.5)
    playing = h.engine.playbacks.get(reply.body["id"])
    assert playing is not None and playing.state == "playing"
    assert (await h.op("bridges.destroy", {"bridgeId": bid})).status == 204
    h.advance(0.01)
    assert playing.state == "failed"
    assert (await h.op("playbacks.get", {"playbackId": playing.id})).status == 404
    assert not h.engine.playbacks.is_sending(cid)


async def test_get_and_stop_of_an_unknown_playback_are_404_and_skipms_zero_is_allowed() -> None:
    h = Harness()
    cid = await h.channel()
    # probe-get-playback.json: an unknown id is a 404 with ARI's message
    for key in ("playbacks.get", "playbacks.stop"):
        reply = await h.op(key, {"playbackId": "nope"})
        assert (reply.status, reply.body) == (404, {"message": "Playback not found"})
    assert (await h.play(cid, "sound:tt-weasels", "pb", skipms=0)).status == 201
    got = await h.op("playbacks.get", {"playbackId": "pb"})
    assert (got.status, got.body["id"]) == (200, "pb")


async def test_dialplan_playback_looks_the_sound_up_in_the_channels_language(tmp_path: Path) -> None:
    en = write_wav(tmp_path / "en" / "beep.wav", 1.0)
    write_wav(tmp_path / "fr" / "beep.wav", 0.5)
    # a library whose fallback language is fr: the channel (language en) still gets the en file
    h = Harness(subscribe_all=True, sounds=SoundLibrary([tmp_path], use_system=False, default_language="fr"))
    h.engine.dialplan.add_extension("default", "2003", ["Answer()", "Playback(beep)", "Stasis(probe)"])
    await h.op("channels.originate", endpoint="Local/2003@default", context="default", extension="wait")
    h.advance(5.0)
    two = next(c.id for c in h.engine.channels.values() if c.name.endswith(";2"))
    assert [s.source for s in h.engine.media_log(two)] == [str(en)]
