"""Music on hold (channels and bridges) and redirect on the engine, as a real Asterisk 22.10.1 answered them
(arinb simops probe, 2026-12-06: statuses, messages, BRIDGEPEER changes, no events for channel MOH) and as
``res/ari/resource_{channels,bridges}.c`` check them."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from tests.sim.sim_helpers import Harness


@pytest.fixture
def moh_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A moh folder with two short wav files (the default class plays them in name order, looping)."""
    for name, seconds in (("a-first.wav", 0.5), ("b-second.wav", 0.25)):
        with wave.open(str(tmp_path / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x10\x00" * int(8000 * seconds))
    monkeypatch.setenv("ARINB_MOH_DIR", str(tmp_path))
    return tmp_path


async def test_channel_moh_answers_204_without_events_and_logs_the_music(moh_dir: Path) -> None:
    h = Harness()
    assert (await h.op("channels.startMoh", {"channelId": "nope"})).body == {"message": "Channel not found"}
    assert (await h.op("channels.stopMoh", {"channelId": "nope"})).status == 404
    cid = await h.channel()
    start = h.clock.now()
    assert (await h.op("channels.startMoh", {"channelId": cid})).status == 204
    h.advance(1.0)
    assert h.types() == []
    log = [s for s in h.engine.media_log(cid) if s.start >= start]
    assert [Path(s.source).name for s in log] == ["a-first.wav", "b-second.wav", "a-first.wav"]
    assert log[1].start == pytest.approx(log[0].end)
    # stop twice and an unknown class: 204, still no event
    assert (await h.op("channels.stopMoh", {"channelId": cid})).status == 204
    assert (await h.op("channels.stopMoh", {"channelId": cid})).status == 204
    h.advance(0.001)
    assert h.engine.media_log(cid)[-1].end == pytest.approx(h.clock.now(), abs=0.002)
    n = len(h.engine.media_log(cid))
    assert (await h.op("channels.startMoh", {"channelId": cid}, mohClass="nonexistent")).status == 204
    h.advance(1.0)
    assert len(h.engine.media_log(cid)) == n and h.types() == []


async def test_a_play_replaces_channel_moh_for_good(moh_dir: Path) -> None:
    h = Harness()
    cid = await h.channel()
    await h.op("channels.startMoh", {"channelId": cid})
    h.advance(0.1)
    assert (await h.play(cid, "sound:beep", "pb")).status == 201
    h.advance(2.0)
    music = [s for s in h.engine.media_log(cid) if s.media_uri and s.media_uri.startswith("moh:")]
    beep = next(s for s in h.engine.media_log(cid) if s.playback_id == "pb")
    assert len(music) == 1 and music[0].end == pytest.approx(beep.start, abs=0.001)


async def test_channel_moh_needs_stasis_and_a_usable_state() -> None:
    h = Harness()
    ring = await h.channel(answer=False)
    # Ring is not one of Down/Rsrvd/Ringing: allowed (the command indicates progress first)
    assert (await h.op("channels.startMoh", {"channelId": ring})).status == 204
    reply = await h.op("channels.externalMedia", app="probe", format="slin", transport="websocket",
                       encapsulation="none", connection_type="server")  # fmt: skip
    down = reply.body["id"]  # Down and not in Stasis yet
    assert (await h.op("channels.startMoh", {"channelId": down})).body == {
        "message": "Channel not in Stasis application"
    }


async def test_bridge_moh_brings_an_announcer_channel_in(moh_dir: Path) -> None:
    h = Harness()
    assert (await h.op("bridges.startMoh", {"bridgeId": "nope"})).body == {"message": "Bridge not found"}
    assert (await h.op("bridges.stopMoh", {"bridgeId": "nope"})).reason == "Not found"
    cid = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="b1")
    stop = await h.op("bridges.stopMoh", {"bridgeId": "b1"})
    assert (stop.status, stop.body) == (409, {"message": "Bridge isn't playing music"})
    await h.op("bridges.addChannel", {"bridgeId": "b1"}, channel=cid)
    h.frames.clear()
    assert (await h.op("bridges.startMoh", {"bridgeId": "b1"})).status == 204
    (peer,) = h.events()
    assert peer["type"] == "ChannelVarset" and peer["variable"] == "BRIDGEPEER"
    assert peer["value"].startswith("Announcer/ARI_MOH-") and peer["value"].endswith(";2")
    bridge = await h.op("bridges.get", {"bridgeId": "b1"})
    assert bridge.body["channels"] == [cid]  # never listed
    assert (await h.op("bridges.startMoh", {"bridgeId": "b1"}, mohClass="default")).status == 204
    assert len(h.events()) == 1  # the same music channel: nothing new
    h.advance(0.2)
    assert any(s.media_uri == "moh:a-first" for s in h.engine.media_log(cid))
    # a bridge playback: the announcer joins beside the music channel (latest first)
    assert (
        await h.op("bridges.playWithId", {"bridgeId": "b1", "playbackId": "bp"}, media="sound:beep")
    ).status == 201
    assert h.events()[-1]["value"] == f"{h.engine.bridges.get('b1').announcer.name},{peer['value']}"
    h.advance(1.0)
    h.frames.clear()
    assert (await h.op("bridges.stopMoh", {"bridgeId": "b1"})).status == 204
    assert h.types() == []  # alone again: BRIDGEPEER stays as it was
    assert (await h.op("bridges.stopMoh", {"bridgeId": "b1"})).status == 409
    assert (await h.op("bridges.startMoh", {"bridgeId": "b1"})).status == 204
    second = h.events()[-1]["value"]
    assert second != peer["value"] and second.startswith("Announcer/ARI_MOH-")
    h.frames.clear()
    assert (await h.op("bridges.destroy", {"bridgeId": "b1"})).status == 204
    assert [(e["type"], e.get("value")) for e in h.events()][:2] == [
        ("ChannelVarset", ""),
        ("ChannelLeftBridge", None),
    ]


@pytest.mark.parametrize(
    ("endpoint", "status", "reason", "message"),
    [
        (None, 400, "Not Found", "Required parameter 'endpoint' not provided."),
        ("Local", 422, None, "Endpoint parameter 'Local' does not contain tech/resource"),
        ("/x", 422, None, "Endpoint parameter '/x' does not contain tech/resource"),
        ("Local/", 422, None, "No resource provided in endpoint parameter 'Local/'"),
        ("PJSIP/alice", 422, None, "Endpoint technology 'PJSIP' does not match channel technology 'Local'"),
        ("Localx/x", 422, None, "Endpoint technology 'Localx' does not match channel technology 'Local'"),
        ("loc/x", 204, None, None),
        ("Local/1000@default", 204, None, None),
    ],
)
async def test_redirect_checks_as_a_real_asterisk(
    endpoint: str | None, status: int, reason: str | None, message: str | None
) -> None:
    h = Harness()
    cid = await h.channel()
    query = {} if endpoint is None else {"endpoint": endpoint}
    reply = await h.op("channels.redirect", {"channelId": cid}, **query)
    assert reply.status == status
    if reason is not None:
        assert reply.reason == reason
    if message is not None:
        assert reply.body == {"message": message}
    h.advance(1.0)
    assert h.types() == [] and cid in h.engine.channels  # a Local channel cannot be transferred


async def test_redirect_of_unknown_or_unready_channels() -> None:
    h = Harness()
    assert (await h.op("channels.redirect", {"channelId": "nope"}, endpoint="Local/x")).status == 404
    cid = await h.channel()
    await h.op("channels.continueInDialplan", {"channelId": cid})
    h.advance(0.01)
    assert (await h.op("channels.redirect", {"channelId": cid}, endpoint="Local/x")).status in (404, 409)


async def test_redirect_of_a_simulated_phone_ends_its_call() -> None:
    h = Harness()
    cid = await h.engine.call_in("1003", caller="alice")
    h.advance(0.01)
    await h.op("channels.answer", {"channelId": cid})
    h.frames.clear()
    assert (await h.op("channels.redirect", {"channelId": cid}, endpoint="PJSIP/bob")).status == 204
    h.advance(0.2)
    assert h.types()[:2] == ["ChannelHangupRequest", "StasisEnd"]
    hangup = h.events()[0]
    assert hangup["cause"] == 16 and "soft" not in hangup


async def test_bridge_music_reaches_who_joins_and_stops_for_who_leaves(moh_dir: Path) -> None:
    h = Harness()
    first = await h.channel()
    await h.op("bridges.create", type="mixing", bridgeId="bm")
    await h.op("bridges.addChannel", {"bridgeId": "bm"}, channel=first)
    await h.op("bridges.startMoh", {"bridgeId": "bm"})
    h.advance(0.2)
    late = await h.channel()
    joined = h.clock.now()
    await h.op("bridges.addChannel", {"bridgeId": "bm"}, channel=late)
    heard = [s for s in h.engine.media_log(late) if (s.media_uri or "").startswith("moh:")]
    assert len(heard) == 1 and heard[0].start == pytest.approx(joined)
    assert heard[0].offset == pytest.approx(0.2, abs=0.02)  # in the middle of the first file
    h.advance(0.1)
    await h.op("bridges.removeChannel", {"bridgeId": "bm"}, channel=late)
    left = h.clock.now()
    h.advance(1.0)
    heard = [s for s in h.engine.media_log(late) if (s.media_uri or "").startswith("moh:")]
    assert len(heard) == 1 and heard[0].end == pytest.approx(left)
    assert len([s for s in h.engine.media_log(first) if (s.media_uri or "").startswith("moh:")]) >= 3
