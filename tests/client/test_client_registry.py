"""The registry's lifecycle rules, socket-free: what each fact does to the records, and what the listener
hears (the dispatch ends waits on what it hears)."""

from __future__ import annotations

from typing import Any

import pytest

from arinb.client.registry import BridgeRecord, PlaybackRecord, Registry, failure_reason
from arinb.errors import AriError, ChannelGone, PlaybackLost


class Heard:
    """A factory and a listener that write down what they are told."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def make_handle(self, record: Any) -> Any:
        return ("handle", record.id)

    def playback_started(self, record: PlaybackRecord) -> None:
        self.calls.append(("started", record.id))

    def playback_settled(self, record: PlaybackRecord) -> None:
        self.calls.append(("settled", record.id, record.outcome))

    def object_gone(self, record: Any, error: AriError, field: str, ending: tuple[str, ...]) -> None:
        self.calls.append(("gone", record.id, type(error).__name__, field, ending))

    def forgotten(self, record: Any) -> None:
        self.calls.append(("forgotten", type(record).__name__, record.id))


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def reg(heard: Heard) -> Registry:
    return Registry(factory=heard, listener=heard)


def _in_stasis(reg: Registry, cid: str = "1.1", name: str | None = "PJSIP/a-1") -> Any:
    ch = reg.observe_channel({"id": cid, "state": "Up", **({"name": name} if name else {})})
    assert ch is not None
    reg.stasis_start(ch)
    return ch


def test_a_channel_gone_in_the_gap_ends_its_waits_and_playbacks(reg: Registry, heard: Heard) -> None:
    ch = _in_stasis(reg)
    started = reg.register_play("pb-1", "sound:beep", "channel:1.1")
    reg.playback_started(started)
    accepted = reg.register_play("pb-2", "sound:beep", "channel:1.1")
    reg.playback_accepted(accepted, None)
    pending = reg.register_play("pb-3", "sound:beep", "channel:1.1")  # neither started nor accepted
    elsewhere = reg.register_play("pb-4", "sound:beep", "channel:2.2")
    reg.playback_started(elsewhere)
    heard.calls.clear()

    error = reg.channel_gone_in_gap(ch)
    assert isinstance(error, ChannelGone)
    assert str(error) == (
        "channel 1.1 (PJSIP/a-1) ended while the events connection was down: its StasisEnd will never come"
    )
    assert ch.gone == str(error) and not ch.in_stasis
    assert "1.1" not in reg.channels
    for pb in (started, accepted):
        assert pb.outcome == "lost" and pb.reason == "its channel ended while the events connection was down"
        assert isinstance(pb.error, PlaybackLost) and "(sound:beep)" in str(pb.error)
    assert pending.outcome is None and pending.target_gone  # lost when its 201 comes
    assert elsewhere.outcome is None and not elsewhere.target_gone
    assert (
        "gone",
        "1.1",
        "ChannelGone",
        "channel",
        ("StasisEnd", "ChannelHangupRequest", "ChannelDestroyed"),
    ) in (heard.calls)
    assert heard.calls[-1] == ("forgotten", "ChannelRecord", "1.1")
    reg.playback_accepted(pending, None)
    assert pending.outcome == "lost"
    assert pending.reason == "it was accepted but its channel left the application before it started"


def test_a_channel_not_in_stasis_gone_in_the_gap_has_no_wait_to_end(reg: Registry, heard: Heard) -> None:
    ch = reg.channel("3.3")  # met in a REST reply only, nameless
    error = reg.channel_gone_in_gap(ch)
    assert str(error).startswith("channel 3.3 (?) ended")
    assert not [c for c in heard.calls if c[0] == "gone"]
    assert "3.3" not in reg.channels


def test_a_recording_gone_in_the_gap(reg: Registry, heard: Heard) -> None:
    rec = reg.observe_recording({"name": "r1", "state": "recording"})
    assert rec is not None and rec.handle == ("handle", "r1")
    error = reg.recording_gone_in_gap(rec)
    assert type(error) is AriError
    assert (
        str(error)
        == "recording r1 ended while the events connection was down: its RecordingFinished will never come"
    )
    assert heard.calls == [
        ("gone", "r1", "AriError", "recording", ("RecordingFinished", "RecordingFailed")),
        ("forgotten", "RecordingRecord", "r1"),
    ]
    assert reg.recordings == {}


def test_observed_objects_need_a_string_id_and_keep_one_record(reg: Registry) -> None:
    assert reg.observe_recording({"name": 5}) is None and reg.observe_recording({}) is None
    assert reg.observe_bridge({"id": ["x"]}) is None and reg.observe_playback({"id": None}) is None
    assert reg.observe_channel({"id": 1}) is None
    first = reg.observe_recording({"name": "r", "state": "queued"})
    again = reg.observe_recording({"name": "r", "state": "recording"})
    assert first is again and again is not None and again.json == {"name": "r", "state": "recording"}
    b1 = reg.observe_bridge({"id": "b", "bridge_type": "mixing"})
    b2 = reg.observe_bridge({"id": "b", "bridge_type": "holding"})
    assert (
        b1 is b2 and b2 is not None and b2.json["bridge_type"] == "holding" and b2.handle == ("handle", "b")
    )
    assert reg.bridge("b") is b1 and reg.bridge("b").json["bridge_type"] == "holding"
    assert reg.bridge("b", {"id": "b", "x": 1}).json == {"id": "b", "x": 1}
    assert reg.recording("r", {"name": "r", "y": 2}).json == {"name": "r", "y": 2}
    assert reg.recording("r").json == {"name": "r", "y": 2}


def test_new_records_start_empty() -> None:
    br = BridgeRecord("b1", None)
    assert (br.id, br.json, br.destroyed, br.handle) == ("b1", {"id": "b1"}, False, None)
    pb = PlaybackRecord("p1", None)
    assert (pb.json, pb.started, pb.accepted, pb.target_gone, pb.outcome, pb.target) == (
        {"id": "p1"}, False, False, False, None, "",
    )  # fmt: skip
    reg = Registry()
    assert reg.recording("r").json == {"name": "r"} and reg.recording("r").handle is None


def test_a_playbacks_json_stops_changing_once_it_settled(reg: Registry) -> None:
    pb = reg.playback("p", {"id": "p", "state": "queued"})
    assert reg.playback("p", {"id": "p", "state": "playing"}) is pb
    assert pb.json["state"] == "playing"
    reg.playback_refreshed(pb, {"id": "p", "state": "paused"})
    reg.playback_refreshed(pb, "not a dict")
    assert pb.json["state"] == "paused"
    reg.playback_finished(pb, "done")
    reg.playback_refreshed(pb, {"id": "p", "state": "x"})
    assert pb.json["state"] == "paused"
    assert reg.playback("p") is not pb  # settled and forgotten: the id is free for the next one


def test_a_destroyed_bridge_ends_its_playbacks(reg: Registry, heard: Heard) -> None:
    br = reg.bridge("b")
    pb = reg.register_play("bp", "sound:beep", "bridge:b")
    reg.playback_accepted(pb, None)
    reg.bridge_destroyed(br)  # our DELETE's 204 (without subscribeAll nothing follows it)
    assert br.destroyed and "b" not in reg.bridges
    assert pb.outcome == "lost" and pb.reason == "its bridge was destroyed before it finished"
    assert heard.calls[-1] == ("forgotten", "BridgeRecord", "b")
    late = reg.observe_bridge({"id": "b", "channels": []})  # a ChannelLeftBridge just after the 204
    assert late is br and "b" not in reg.bridges  # the same record, not registered again
    reg.bridge_destroyed(br)  # then BridgeDestroyed (subscribeAll): nothing more to do
    assert "b" not in reg.bridges and heard.calls.count(("forgotten", "BridgeRecord", "b")) == 1
    reg.started_again("bridge", "b")  # a new bridge created with the same id is a new record
    assert reg.bridge("b") is not br and not reg.bridge("b").destroyed


def test_why_a_playback_failed() -> None:
    assert failure_reason("sound:nope") == (
        "Asterisk has no sound file 'nope' (check the name with session.sounds.get('nope'))"
    )
    assert failure_reason("sound:") == "the sound name is empty ('sound:' with nothing after it)"
    assert failure_reason("recording:r1") == "Asterisk has no stored recording 'r1'"
    assert failure_reason("tone:ring") is None and failure_reason(None) is None


def test_finished_playbacks_settle_and_let_the_next_same_id_play_in(reg: Registry, heard: Heard) -> None:
    a = reg.register_play("p", "sound:a", "channel:1.1")
    b = reg.register_play("p", "sound:nope", "channel:1.1")
    c = reg.register_play("p", "sound:c", "channel:1.1")
    assert reg.queued_behind(a) is b and reg.counts()["playbacks"] == 3
    reg.playback_finished(a, "done")
    assert a.outcome == "done" and a.reason is None and reg.playbacks["p"] is b
    assert reg.queued_behind(b) is c
    reg.playback_finished(b, "failed")
    assert b.outcome == "failed" and b.reason == failure_reason("sound:nope")
    assert reg.playbacks["p"] is c and reg.queued_behind(c) is None and "p" not in reg.queued_playbacks
    assert ("settled", "p", "done") in heard.calls and ("settled", "p", "failed") in heard.calls
    # A second PlaybackFinished for a settled one only forgets it (no second settle).
    settles = len([x for x in heard.calls if x[0] == "settled"])
    reg.playback_finished(a, "failed")
    assert a.outcome == "done" and len([x for x in heard.calls if x[0] == "settled"]) == settles


def test_a_refused_play_is_an_error_and_frees_its_place(reg: Registry, heard: Heard) -> None:
    a = reg.register_play("p", "sound:a", "channel:1.1")
    b = reg.register_play("p", "sound:b", "channel:1.1")
    boom = AriError("refused")
    reg.playback_refused(b, boom)
    assert (b.outcome, b.error) == ("error", boom) and ("settled", "p", "error") in heard.calls
    assert reg.queued_behind(a) is None and reg.playbacks["p"] is a
    reg.playback_refused(b, AriError("again"))
    assert b.error is boom
    reg.playback_refused(a, boom)
    assert reg.playbacks == {} and reg.queued_playbacks == {}


def test_stasis_end_and_destroy(reg: Registry, heard: Heard) -> None:
    ch = _in_stasis(reg)
    pb = reg.register_play("p", "sound:a", "channel:1.1")
    reg.playback_started(pb)
    assert ("started", "p") in heard.calls and pb.started
    reg.stasis_end(ch)
    assert not ch.in_stasis and reg.channels["1.1"] is ch
    assert (
        pb.outcome == "lost"
        and pb.reason is not None
        and pb.reason.startswith("it started but its channel left")
    )
    reg.channel_destroyed(ch)
    assert ch.destroyed and not ch.in_stasis and "1.1" not in reg.channels
    assert heard.calls[-1] == ("forgotten", "ChannelRecord", "1.1")


def test_counts_what_is_held(reg: Registry) -> None:
    _in_stasis(reg, "1.1")
    reg.channel("2.2")
    reg.register_play("p", "sound:a", "channel:1.1")
    reg.register_play("p", "sound:b", "channel:1.1")
    reg.register_play("q", "sound:b", "channel:1.1")
    reg.bridge("b")
    reg.recording("r")
    assert reg.counts() == {
        "channels": 2,
        "channels_in_stasis": 1,
        "playbacks": 3,
        "bridges": 1,
        "recordings": 1,
    }


def test_records_start_as_nothing_happened_yet() -> None:
    from arinb.client.registry import ChannelRecord, RecordingRecord

    ch = ChannelRecord("1.1", None)
    assert ch.json == {"id": "1.1"}
    assert ch.in_stasis is False and ch.destroyed is False
    assert ch.gone is None and ch.snoop_of is None and ch.handle is None
    pb = PlaybackRecord("p", None)
    assert pb.requested is None and pb.handle is None
    assert BridgeRecord("b", {"id": "b", "x": 1}).json == {"id": "b", "x": 1}
    assert RecordingRecord("r", {"name": "r", "x": 1}).json == {"name": "r", "x": 1}
    assert Registry().keep_ended_channels == 1000  # the documented default


def test_new_records_keep_the_json_they_were_made_with(reg: Registry) -> None:
    assert reg.channel("c", {"id": "c", "name": "n"}).json == {"id": "c", "name": "n"}
    assert reg.channel("c").json == {"id": "c", "name": "n"}  # no JSON: unchanged
    assert reg.bridge("b", {"id": "b", "k": 1}).json == {"id": "b", "k": 1}
    obs_b = reg.observe_bridge({"id": "b2", "k": 2})
    assert obs_b is not None and obs_b.json == {"id": "b2", "k": 2}
    assert reg.recording("r", {"name": "r", "k": 3}).json == {"name": "r", "k": 3}
    obs_r = reg.observe_recording({"name": "r2", "k": 4})
    assert obs_r is not None and obs_r.json == {"name": "r2", "k": 4}
    pb = reg.playback("p", {"id": "p", "k": 5})
    assert pb.json == {"id": "p", "k": 5}
    assert reg.playback("p").json == {"id": "p", "k": 5}  # no JSON: unchanged
    obs_p = reg.observe_playback({"id": "p2", "k": 6})
    assert obs_p is not None and obs_p.json == {"id": "p2", "k": 6}
    play = reg.register_play("p3", "sound:a", "channel:1.1")
    assert play.json == {"id": "p3", "media_uri": "sound:a", "target_uri": "channel:1.1"}
    assert play.requested == "sound:a" and play.target == "channel:1.1"


def test_channels_outside_stasis_are_forgotten_oldest_first_beyond_the_limit() -> None:
    reg = Registry()
    reg.keep_ended_channels = 2
    # Events create channels with some slack (a StasisStart's channel is made just before it enters).
    for i in range(66):
        reg.observe_channel({"id": f"c{i}"})
    assert len(reg.channels) == 66
    reg.observe_channel({"id": "c66"})
    assert list(reg.channels) == ["c65", "c66"]
    # A channel in Stasis is never forgotten for being old.
    inside = reg.observe_channel({"id": "in"})
    assert inside is not None
    reg.stasis_start(inside)
    reg.stasis_start(inside)  # a repeated StasisStart changes nothing
    for i in range(3):
        reg.channel(f"r{i}")  # REST replies: the limit applies at once
    assert set(reg.channels) == {"in", "r1", "r2"}


def test_leaving_and_hanging_up_mark_the_channel(reg: Registry, heard: Heard) -> None:
    ch = _in_stasis(reg)
    reg.stasis_end(ch)
    assert ch.in_stasis is False
    reg.channel_hung_up(ch)  # outside Stasis: nothing more will come about it
    assert ch.gone == "hung up" and "1.1" not in reg.channels
    other = reg.channel("2.2")
    other.gone = "ended while the events connection was down"
    reg.channel_hung_up(other)
    assert other.gone == "ended while the events connection was down"
    inside = _in_stasis(reg, "3.3")
    reg.channel_hung_up(inside)  # in Stasis: its StasisEnd will tell
    assert inside.gone is None and reg.channels["3.3"] is inside
    reg.channel_destroyed(inside)
    assert inside.in_stasis is False
    gone = _in_stasis(reg, "4.4")
    reg.channel_gone_in_gap(gone)
    assert gone.in_stasis is False
    snoop = reg.channel("5.5")
    reg.mark_snoop(snoop, "4.4")
    assert snoop.snoop_of == "4.4"


def test_the_201_reply_replaces_the_json_only_before_any_event(reg: Registry) -> None:
    fresh = reg.register_play("a", "sound:a", "channel:1.1")
    reg.playback_accepted(fresh, {"id": "a", "state": "queued"})
    assert fresh.accepted and fresh.json == {"id": "a", "state": "queued"}
    started = reg.register_play("b", "sound:b", "channel:1.1")
    reg.playback_started(started)
    started.json = {"id": "b", "state": "playing"}
    reg.playback_accepted(started, {"id": "b", "state": "queued"})
    assert started.json["state"] == "playing"  # the event beat the reply: it knows more
    done = reg.register_play("c", "sound:c", "channel:1.1")
    reg.playback_finished(done, "done")
    reg.playback_accepted(done, {"id": "c", "state": "queued"})
    assert done.json["media_uri"] == "sound:c" and "state" not in done.json


def test_why_a_list_failed_names_the_item_that_failed(reg: Registry) -> None:
    # The JSON's media_uri is the item playing (events update it); the request asked for the whole list.
    pb = reg.register_play("l", "sound:a,sound:nope", "channel:1.1")
    pb.json = {"id": "l", "media_uri": "sound:nope", "target_uri": "channel:1.1"}
    reg.playback_finished(pb, "failed")
    assert pb.reason == failure_reason("sound:nope")
    lost = reg.register_play("m", "sound:a,foo:bar", "channel:1.1")
    reg.playback_started(lost)
    lost.json = {"id": "m", "media_uri": "foo:bar", "target_uri": "channel:1.1"}
    ch = _in_stasis(reg)
    reg.stasis_end(ch)
    assert lost.reason == (
        "it started but its channel left the application without PlaybackFinished: Asterisk never "
        "finishes an unsupported media scheme or a missing recording"
    )
    assert str(lost.error) == f"playback m (foo:bar): {lost.reason}"
    assert failure_reason("sound:en:odd") == failure_reason("sound:" + "en:odd")
    assert "'en:odd'" in (failure_reason("sound:en:odd") or "")


def test_a_registry_without_a_listener_works_alone() -> None:
    reg = Registry()
    pb = reg.register_play("p", "sound:a", "channel:1.1")
    reg.playback_finished(pb, "done")
    assert pb.outcome == "done" and reg.playbacks == {}
    ch = reg.observe_channel({"id": "1.1"})
    assert ch is not None
    reg.channel_destroyed(ch)
    assert reg.channels == {}


def test_the_listener_hears_every_forgotten_playback(reg: Registry, heard: Heard) -> None:
    pb = reg.register_play("p", "sound:a", "channel:1.1")
    reg.playback_finished(pb, "done")
    assert heard.calls[-2:] == [("forgotten", "PlaybackRecord", "p"), ("settled", "p", "done")]


def test_only_channels_outside_stasis_count_toward_the_limit() -> None:
    reg = Registry()
    reg.keep_ended_channels = 2
    reg.channel("old")
    inside = reg.observe_channel({"id": "in"})
    assert inside is not None
    reg.stasis_start(inside)  # in Stasis now: no longer one of the two outside
    reg.channel("new")
    assert set(reg.channels) == {"old", "in", "new"}
    # A channel forgotten (destroyed) no longer takes a place either.
    gone = reg.channel("gone")  # evicts "old": three outside
    assert set(reg.channels) == {"in", "new", "gone"}
    reg.channel_destroyed(gone)
    reg.channel("newest")
    assert set(reg.channels) == {"in", "new", "newest"}


def test_a_playbacks_target_channel_is_the_registered_record() -> None:
    reg = Registry()
    pb = reg.register_play("p", "sound:a", "channel:1.1")
    first = reg.target_channel(pb)
    assert first is not None and reg.channels["1.1"] is first and reg.target_channel(pb) is first
    reg.channel_destroyed(first)
    # Forgotten meanwhile: a later event about the playback gets the channel's new record, not the old one.
    again = reg.target_channel(pb)
    assert again is not first and again is not None and reg.channels["1.1"] is again
    assert reg.target_channel(reg.register_play("b", "sound:a", "bridge:b1")) is None


def test_a_channels_creation_reply_keeps_what_newer_events_said(reg: Registry) -> None:
    # Over the WebSocket lane the StasisStart of an originate can beat its reply: the reply's "Down" JSON
    # must not overwrite the newer event's.
    ch = reg.observe_channel({"id": "c1", "state": "Up", "name": "Local/1000@default-1;2"})
    assert ch is not None
    got = reg.channel_created("c1", {"id": "c1", "state": "Down", "name": "Local/1000@default-1;2"})
    assert got is ch and ch.json["state"] == "Up"
    # Two fields are an event's JSON too (only an id-only placeholder counts as nothing said yet).
    two = reg.observe_channel({"id": "c2", "state": "Ring"})
    assert two is not None
    reply = {"id": "c2", "state": "Down", "x": 1}
    assert reg.channel_created("c2", reply).json == {"id": "c2", "state": "Ring"}
    # A record that knows nothing but the id takes the reply's JSON.
    placeholder = reg.channel("c3", {"id": "c3"})
    created = reg.channel_created("c3", {"id": "c3", "state": "Down"})
    assert created is placeholder and created.id == "c3" and created.json == {"id": "c3", "state": "Down"}
    # A channel the session never saw: a new record with the reply's JSON, under its id.
    fresh = reg.channel_created("c4", {"id": "c4", "state": "Down"})
    assert fresh is reg.channels["c4"] and fresh.id == "c4" and fresh.json == {"id": "c4", "state": "Down"}


def test_a_creation_reply_for_the_id_of_a_gone_or_destroyed_channel_takes_the_reply(reg: Registry) -> None:
    gone = _in_stasis(reg, "g1")
    reg.channel_gone_in_gap(gone)
    assert gone.gone is not None
    reply = {"id": "g1", "state": "Down", "name": "Local/x"}
    assert reg.channel_created("g1", reply).json == reply
    dead = _in_stasis(reg, "d1")
    dead.destroyed = True
    reply2 = {"id": "d1", "state": "Down", "name": "Local/y"}
    assert reg.channel_created("d1", reply2).json == reply2


def test_ended_bridges_are_given_back_for_the_last_64_only(reg: Registry) -> None:
    # A handle asked for after its bridge was destroyed gets the ended record (its outcome), for the 64 most
    # recently ended bridges; older ones are forgotten oldest first.
    ended = []
    for i in range(70):
        rec = reg.bridge(f"b{i}", {"id": f"b{i}"})
        reg.bridge_destroyed(rec)
        ended.append(rec)
    for i in range(70):
        again = reg.bridge(f"b{i}")
        assert (again is ended[i]) == (i >= 6), i


def test_a_channel_leaving_settles_only_its_own_queued_playbacks(reg: Registry) -> None:
    a = _in_stasis(reg, "1.1")
    _in_stasis(reg, "2.2", "PJSIP/b-2")
    first = reg.register_play("p", "sound:a", "channel:2.2")
    queued = reg.register_play("p", "sound:b", "channel:2.2")
    reg.playback_accepted(queued, None)
    reg.playback_started(first)
    reg.stasis_end(a)
    assert first.outcome is None and queued.outcome is None and not queued.target_gone
