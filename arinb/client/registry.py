"""`Registry`: what the session knows about ARI objects, and the lifecycle rules. Socket-free, no asyncio.

The registry is the only writer of object state: channels (in or out of Stasis, gone), playbacks (queued,
playing, done, failed, lost, error) with Asterisk's same-id play queue, bridges, live recordings and snoops.
Everything else reads the records and asks the registry to apply a fact (an event, a REST reply, the result
of a check after a reconnect)::

    reg = Registry()
    ch = reg.observe_channel({"id": "1.1", "state": "Ring"})
    reg.stasis_start(ch)
    pb = reg.register_play("pb-1", "sound:beep", "channel:1.1")
    reg.stasis_end(ch)                    # pb was neither accepted nor started: it stays pending
    reg.playback_accepted(pb, None)       # ... and is lost now: its channel is gone

It imports no handle class: a ``factory`` (the session core) makes the user-facing handle of each
record, and a ``listener`` (the dispatch) hears when a playback starts or settles, when an object is
forgotten and when an object turned out to be gone while the events connection was down. Records are
plain objects whose fields are read anywhere and written here only.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any, Protocol, TypeVar

from arinb.errors import AriError, ChannelGone, PlaybackLost

__all__ = [
    "BridgeRecord",
    "ChannelRecord",
    "HandleFactory",
    "Listener",
    "PlaybackRecord",
    "RecordingRecord",
    "Registry",
]


R = TypeVar("R", "ChannelRecord", "PlaybackRecord", "BridgeRecord", "RecordingRecord")


class ChannelRecord:
    """A channel as the session knows it. ``gone``: why it is known to be gone (None while it may live)."""

    __slots__ = ("destroyed", "gone", "handle", "id", "in_stasis", "json", "snoop_of")

    def __init__(self, channel_id: str, json: dict[str, Any] | None) -> None:
        self.id = channel_id
        self.json: dict[str, Any] = json if json is not None else {"id": channel_id}
        self.in_stasis = False
        self.destroyed = False
        self.gone: str | None = None
        self.snoop_of: str | None = None  # the spied channel's id, for a snoop this session made
        self.handle: Any = None


class PlaybackRecord:
    """A playback. ``outcome``: None while it runs, then ``done``, ``failed``, ``lost`` or ``error``."""

    __slots__ = (
        "accepted",
        "channel",
        "error",
        "handle",
        "id",
        "json",
        "outcome",
        "reason",
        "requested",
        "started",
        "target_gone",
    )

    def __init__(self, playback_id: str, json: dict[str, Any] | None) -> None:
        self.id = playback_id
        self.json: dict[str, Any] = json if json is not None else {"id": playback_id}
        self.started = False  # PlaybackStarted seen
        self.accepted = False  # the play request's 201 arrived
        self.target_gone = False  # its channel left / its bridge was destroyed
        self.outcome: str | None = None
        self.error: BaseException | None = None  # what waits on it raise (lost, refused)
        self.reason: str | None = None  # one line on why it failed, when known
        self.requested: str | None = None  # the media this session asked for (None: met in an event)
        self.channel: ChannelRecord | None = None  # the target channel's record, once looked up
        self.handle: Any = None

    @property
    def target(self) -> str:
        target = self.json.get("target_uri")
        return target if type(target) is str else ""


class BridgeRecord:
    __slots__ = ("destroyed", "handle", "id", "json")

    def __init__(self, bridge_id: str, json: dict[str, Any] | None) -> None:
        self.id = bridge_id
        self.json: dict[str, Any] = json if json is not None else {"id": bridge_id}
        self.destroyed = False
        self.handle: Any = None


class RecordingRecord:
    __slots__ = ("handle", "json", "name")

    def __init__(self, name: str, json: dict[str, Any] | None) -> None:
        self.name = name
        self.json: dict[str, Any] = json if json is not None else {"name": name}
        self.handle: Any = None

    @property
    def id(self) -> str:
        return self.name


class HandleFactory(Protocol):
    """Makes the one user-facing handle of a new record."""

    def make_handle(self, record: Any) -> Any: ...


class Listener(Protocol):
    """Who hears lifecycle changes (the dispatch: it resolves and fails waits)."""

    def playback_started(self, record: PlaybackRecord) -> None: ...

    def playback_settled(self, record: PlaybackRecord) -> None: ...

    def object_gone(self, record: Any, error: AriError, field: str, ending: tuple[str, ...]) -> None:
        """``record`` ended while the events connection was down: waits for one of the ``ending`` event
        types that would have named it (in the event's ``field``) must end with ``error``."""

    def forgotten(self, record: Any) -> None: ...


def failure_reason(media: str | None) -> str | None:
    """Why Asterisk 22 ends a playback ``failed`` for this media, in one line (None if it gives no cause).

    >>> failure_reason("sound:does-not-exist")
    "Asterisk has no sound file 'does-not-exist' (check the name with session.sounds.get('does-not-exist'))"
    """
    if not isinstance(media, str):
        return None
    scheme, _, rest = media.partition(":")
    if scheme == "sound":
        if not rest:
            return "the sound name is empty ('sound:' with nothing after it)"
        return f"Asterisk has no sound file {rest!r} (check the name with session.sounds.get({rest!r}))"
    if scheme == "recording":
        return f"Asterisk has no stored recording {rest!r}"
    return None


class Registry:
    """Objects by id and their lifecycle (see the module docstring). Not thread-safe: one loop writes."""

    def __init__(self, factory: HandleFactory | None = None, listener: Listener | None = None) -> None:
        self.factory = factory
        self.listener = listener
        self.channels: dict[str, ChannelRecord] = {}
        self.playbacks: dict[str, PlaybackRecord] = {}
        # Plays sent with an id whose playback still runs: Asterisk queues them behind it, and their events
        # carry the same id only after the running one's PlaybackFinished.
        self.queued_playbacks: dict[str, deque[PlaybackRecord]] = {}
        self.bridges: dict[str, BridgeRecord] = {}
        self.recordings: dict[str, RecordingRecord] = {}
        #: How many channels outside Stasis (left it, or only met in a REST reply) stay known, oldest first.
        self.keep_ended_channels = 1000
        self._outside: OrderedDict[str, None] = OrderedDict()
        # Bridges and recordings that ended lately, out of the tables: a late event or REST reply about
        # one (ChannelLeftBridge after our DELETE's 204, a record's 201 after its RecordingFinished) gets
        # the old record back instead of registering the object again for good.
        self._ended: OrderedDict[tuple[str, str], Any] = OrderedDict()

    # ------------------------------------------------------------------ records

    def _new(self, record: R) -> R:
        if self.factory is not None:
            record.handle = self.factory.make_handle(record)
        return record

    def channel(self, channel_id: str, json: dict[str, Any] | None = None) -> ChannelRecord:
        """The record for a channel id (created on first use; ``json`` replaces its JSON)."""
        rec = self.channels.get(channel_id)
        if rec is None:
            rec = self.channels[channel_id] = self._new(ChannelRecord(channel_id, json))
            self._note_outside(rec)
        elif json is not None:
            rec.json = json
        return rec

    def channel_created(self, channel_id: str, json: dict[str, Any]) -> ChannelRecord:
        """The reply of the request that made a channel (originate, create, snoop): its JSON at creation.

        Events about the new channel can beat that reply (over the WebSocket lane Asterisk sends the
        StasisStart of an originate to ``Local/...`` before the RESTResponse): they are newer, so a record
        they already filled keeps their JSON instead of going back to the reply's ``Down``.
        """
        rec = self.channels.get(channel_id)
        if rec is not None and rec.gone is None and not rec.destroyed and len(rec.json) > 1:
            return rec
        return self.channel(channel_id, json)

    def observe_channel(self, obj: dict[str, Any]) -> ChannelRecord | None:
        """An event's channel object: the record, JSON updated (None if it has no string id)."""
        cid = obj.get("id")
        if type(cid) is not str:
            return None
        rec = self.channels.get(cid)
        if rec is None:
            rec = self.channels[cid] = self._new(ChannelRecord(cid, obj))
            # Not evicting here: a StasisStart's channel is created just before it enters Stasis.
            self._outside[cid] = None
            if len(self._outside) > self.keep_ended_channels + 64:
                self._evict()
        else:
            rec.json = obj
        return rec

    def bridge(self, bridge_id: str, json: dict[str, Any] | None = None) -> BridgeRecord:
        rec = self.bridges.get(bridge_id)
        if rec is None:
            rec = self._ended.get(("bridge", bridge_id))
            if rec is None:
                rec = self.bridges[bridge_id] = self._new(BridgeRecord(bridge_id, json))
        if json is not None:
            rec.json = json
        return rec

    def observe_bridge(self, obj: dict[str, Any]) -> BridgeRecord | None:
        bid = obj.get("id")
        if type(bid) is not str:
            return None
        return self.bridge(bid, obj)

    def recording(self, name: str, json: dict[str, Any] | None = None) -> RecordingRecord:
        rec = self.recordings.get(name)
        if rec is None:
            rec = self._ended.get(("recording", name))
            if rec is None:
                rec = self.recordings[name] = self._new(RecordingRecord(name, json))
        if json is not None:
            rec.json = json
        return rec

    def observe_recording(self, obj: dict[str, Any]) -> RecordingRecord | None:
        name = obj.get("name")
        if type(name) is not str:
            return None
        return self.recording(name, obj)

    def _remember_ended(self, kind: str, key: str, rec: Any) -> None:
        ended = self._ended
        ended[(kind, key)] = rec
        ended.move_to_end((kind, key))
        while len(ended) > 64:
            ended.popitem(last=False)

    def started_again(self, kind: str, key: str) -> None:
        """A new object under an ended one's id (a bridge created with the same id, a recording name
        reused): the ended record is no longer the one to give back."""
        self._ended.pop((kind, key), None)

    def playback(self, playback_id: str, json: dict[str, Any] | None = None) -> PlaybackRecord:
        rec = self.playbacks.get(playback_id)
        if rec is None:
            rec = self.playbacks[playback_id] = self._new(PlaybackRecord(playback_id, json))
        elif json is not None and rec.outcome is None:
            rec.json = json
        return rec

    def observe_playback(self, obj: dict[str, Any]) -> PlaybackRecord | None:
        pid = obj.get("id")
        if type(pid) is not str:
            return None
        rec = self.playbacks.get(pid)
        if rec is None:
            rec = self.playbacks[pid] = self._new(PlaybackRecord(pid, obj))
        elif rec.outcome is None:
            rec.json = obj
        return rec

    def target_channel(self, pb: PlaybackRecord) -> ChannelRecord | None:
        """The record of a playback's target channel (None for a bridge playback)."""
        ch = pb.channel
        if ch is not None and self.channels.get(ch.id) is ch:
            return ch
        target = pb.target
        if target.startswith("channel:"):
            ch = pb.channel = self.channel(target[8:])
            return ch
        return None

    # ------------------------------------------------------------------ channels

    def _note_outside(self, rec: ChannelRecord) -> None:
        """A channel not in Stasis: remembered in a bounded list (without subscribeAll no ChannelDestroyed
        ever comes for it), so a long session does not keep every channel it ever met."""
        if rec.in_stasis:
            return
        outside = self._outside
        outside[rec.id] = None
        outside.move_to_end(rec.id)
        self._evict()

    def _evict(self) -> None:
        outside = self._outside
        while len(outside) > self.keep_ended_channels:
            old_id, _ = outside.popitem(last=False)
            old = self.channels.get(old_id)
            if old is not None and not old.in_stasis:
                self._drop_channel(old)

    def _drop_channel(self, rec: ChannelRecord) -> None:
        if self.channels.get(rec.id) is rec:
            del self.channels[rec.id]
        self._outside.pop(rec.id, None)
        if self.listener is not None:
            self.listener.forgotten(rec)

    def stasis_start(self, rec: ChannelRecord) -> None:
        rec.in_stasis = True
        rec.gone = None
        self._outside.pop(rec.id, None)

    def stasis_end(self, rec: ChannelRecord) -> None:
        """The channel left the application: playbacks on it that started (or were accepted) never finish."""
        rec.in_stasis = False
        self._note_outside(rec)
        self._target_left("channel:" + rec.id, None)

    def channel_destroyed(self, rec: ChannelRecord) -> None:
        rec.destroyed = True
        rec.in_stasis = False
        self._drop_channel(rec)

    def channel_hung_up(self, rec: ChannelRecord) -> None:
        """Our DELETE got its 204. A channel outside Stasis gets no further event: forget it now."""
        if not rec.in_stasis:
            rec.gone = rec.gone or "hung up"
            self._drop_channel(rec)

    def channel_gone_in_gap(self, rec: ChannelRecord) -> ChannelGone:
        """After a reconnect, Asterisk no longer knows this channel: it ended while the socket was down."""
        name = rec.json.get("name") or "?"
        error = ChannelGone(
            f"channel {rec.id} ({name}) ended while the events connection was down: "
            "its StasisEnd will never come"
        )
        rec.gone = str(error)
        was_in_stasis = rec.in_stasis
        rec.in_stasis = False
        self._target_left("channel:" + rec.id, "its channel ended while the events connection was down")
        if self.listener is not None and was_in_stasis:
            self.listener.object_gone(
                rec, error, "channel", ("StasisEnd", "ChannelHangupRequest", "ChannelDestroyed")
            )
        self._drop_channel(rec)
        return error

    def mark_snoop(self, snoop: ChannelRecord, spied: str) -> None:
        snoop.snoop_of = spied

    # ------------------------------------------------------------------ bridges and recordings

    def bridge_destroyed(self, rec: BridgeRecord) -> None:
        """BridgeDestroyed, or our DELETE's 204 (without subscribeAll no event follows it): its playbacks
        end (Asterisk sends no PlaybackFinished for them) and it leaves the table; a ChannelLeftBridge
        arriving just after still finds the same record."""
        rec.destroyed = True
        self._target_left("bridge:" + rec.id, "its bridge was destroyed before it finished")
        if self.bridges.get(rec.id) is rec:
            del self.bridges[rec.id]
            self._remember_ended("bridge", rec.id, rec)
            if self.listener is not None:
                self.listener.forgotten(rec)

    def recording_gone_in_gap(self, rec: RecordingRecord) -> AriError:
        error = AriError(
            f"recording {rec.name} ended while the events connection was down: "
            "its RecordingFinished will never come"
        )
        if self.listener is not None:
            self.listener.object_gone(rec, error, "recording", ("RecordingFinished", "RecordingFailed"))
        self.recording_done(rec)
        return error

    def recording_done(self, rec: RecordingRecord) -> None:
        if self.recordings.get(rec.name) is rec:
            del self.recordings[rec.name]
            self._remember_ended("recording", rec.name, rec)
        if self.listener is not None:
            self.listener.forgotten(rec)

    # ------------------------------------------------------------------ playbacks

    def register_play(self, playback_id: str, media: str, target_uri: str) -> PlaybackRecord:
        """A fresh playback for a play request about to be sent (its events may beat the reply)."""
        rec = self._new(
            PlaybackRecord(playback_id, {"id": playback_id, "media_uri": media, "target_uri": target_uri})
        )
        rec.requested = media
        current = self.playbacks.get(playback_id)
        if current is not None and current.outcome is None:
            self.queued_playbacks.setdefault(playback_id, deque()).append(rec)
        else:
            self.playbacks[playback_id] = rec
        return rec

    def queued_behind(self, pb: PlaybackRecord) -> PlaybackRecord | None:
        queue = self.queued_playbacks.get(pb.id)
        return queue[0] if queue else None

    def playback_accepted(self, rec: PlaybackRecord, body: Any) -> None:
        """The 201 reply: keep its JSON unless events already told more (they can beat the reply)."""
        rec.accepted = True
        if isinstance(body, dict) and not rec.started and rec.outcome is None:
            rec.json = body
        if rec.target_gone and rec.outcome is None:
            # Its target already went away: no PlaybackFinished will come.
            self._lose(rec, None)

    def playback_refused(self, rec: PlaybackRecord, error: BaseException) -> None:
        if rec.outcome is None:
            rec.outcome = "error"
            rec.error = error
            self._settled(rec)

    def playback_refreshed(self, rec: PlaybackRecord, body: Any) -> None:
        if isinstance(body, dict) and rec.outcome is None:
            rec.json = body

    def playback_started(self, rec: PlaybackRecord) -> None:
        rec.started = True
        if self.listener is not None:
            self.listener.playback_started(rec)

    def playback_finished(self, rec: PlaybackRecord, state: str | None) -> None:
        if rec.outcome is None:
            rec.outcome = "failed" if state == "failed" else "done"
            if rec.outcome == "failed":
                rec.reason = failure_reason(rec.json.get("media_uri") or rec.requested)
            self._settled(rec)
        else:
            self._forget_playback(rec)

    def playback_lost(self, rec: PlaybackRecord, why: str) -> None:
        if rec.outcome is None:
            self._lose(rec, why)

    def _target_left(self, target: str, why: str | None) -> None:
        # Every StasisEnd comes here: pick the few playbacks on that target in one pass (not a copy of every
        # running playback of the session first), then settle them.
        hits = [
            pb for pb in self.playbacks.values() if pb.outcome is None and pb.json.get("target_uri") == target
        ]
        for queue in self.queued_playbacks.values():
            hits.extend(pb for pb in queue if pb.outcome is None and pb.json.get("target_uri") == target)
        for pb in hits:
            pb.target_gone = True
            if pb.started or pb.accepted:
                self._lose(pb, why)

    def _lose(self, rec: PlaybackRecord, why: str | None) -> None:
        if why is None:
            why = (
                "it started but its channel left the application without PlaybackFinished: Asterisk never "
                "finishes an unsupported media scheme or a missing recording"
                if rec.started
                else "it was accepted but its channel left the application before it started"
            )
        rec.outcome = "lost"
        rec.reason = why
        media = rec.json.get("media_uri") or rec.requested
        rec.error = PlaybackLost(f"playback {rec.id} ({media}): {why}")
        self._settled(rec)

    def _settled(self, rec: PlaybackRecord) -> None:
        # Asterisk forgets a finished playback (GET -> 404): a later event with this id is the next one.
        self._forget_playback(rec)
        if self.listener is not None:
            self.listener.playback_settled(rec)

    def _forget_playback(self, rec: PlaybackRecord) -> None:
        queued = self.queued_playbacks.get(rec.id)
        if self.playbacks.get(rec.id) is rec:
            del self.playbacks[rec.id]
            if queued:
                self.playbacks[rec.id] = queued.popleft()
        elif queued and rec in queued:
            queued.remove(rec)
        if queued is not None and not queued:
            del self.queued_playbacks[rec.id]
        if self.listener is not None:
            self.listener.forgotten(rec)

    # ------------------------------------------------------------------ inspection

    def counts(self) -> dict[str, int]:
        """How many records of each kind are held (the chaos test checks nothing of finished calls stays)."""
        return {
            "channels": len(self.channels),
            "channels_in_stasis": sum(1 for c in self.channels.values() if c.in_stasis),
            "playbacks": len(self.playbacks) + sum(len(q) for q in self.queued_playbacks.values()),
            "bridges": len(self.bridges),
            "recordings": len(self.recordings),
        }
