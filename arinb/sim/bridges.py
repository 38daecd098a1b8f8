"""Bridges: create, add and remove channels, play to a bridge through an announcer, destroy.

Observed on Asterisk 22.10.1 (MORE.md), and reproduced here:

* An app is subscribed to a bridge only through its channels: with ``subscribeAll=false`` it never sees
  BridgeCreated, and sees BridgeDestroyed only if one of its channels hung up while in the bridge (the
  subscription a hangup leaves behind); removeChannel and bridge DELETE drop it.
* Every channel with company in the bridge gets ``BRIDGEPEER`` (the others' names, latest first); leaving
  clears it with a ChannelVarset before ChannelLeftBridge; a channel left alone keeps its old value.
* A bridge playback brings an ``Announcer/ARI-<n>;2`` channel in (it is never listed in the bridge), which
  changes everybody's BRIDGEPEER until the playback ends.
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING

from arinb.sim.objects import Bridge, Channel, ControlQueue
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Bridges"]

_FLAGS = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}
_ANNOUNCER = "\0announcer"


class Bridges:
    """The engine's bridges."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.bridges: dict[str, Bridge] = {}
        self._order: dict[str, list[str]] = {}  # join order, announcer included
        # Media channels in a bridge that it never lists (MOH, recorder): (bridge id, token) -> name.
        self._media: dict[tuple[str, str], str] = {}

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "bridges.list": lambda r: Reply(200, [b.to_json() for b in self.bridges.values()]),
            "bridges.create": lambda r: self._op_create(r, r.get("bridgeId")),
            "bridges.createWithId": lambda r: self._op_create(r, r.path.get("bridgeId")),
            "bridges.get": self._op_get,
            "bridges.destroy": self._op_destroy,
            "bridges.addChannel": self._op_add,
            "bridges.removeChannel": self._op_remove,
        }

    def get(self, bridge_id: str) -> Bridge | None:
        """A bridge by id."""
        return self.bridges.get(bridge_id)

    def queue_of(self, bridge: Bridge) -> ControlQueue:
        """The bridge announcer's control queue (bridge playbacks run one at a time)."""
        if bridge.queue is None:
            bridge.queue = self.k.new_queue()
        return bridge.queue

    # -- operations ----------------------------------------------------------------------------------------
    def _op_create(self, req: Request, bridge_id: str | None) -> Reply:
        type_ = req.get("type")
        flags = [f.strip() for f in type_.split(",")] if type_ else ["mixing"]
        if not any(f in _FLAGS for f in flags):
            shown = bridge_id if bridge_id else "(null)"
            return error(
                500, f"Unable to create bridge. Possible duplicate bridge id '{shown}'", "Internal Error"
            )
        if bridge_id and bridge_id in self.bridges:
            return error(409, f"Bridge with id '{bridge_id}' already exists")
        holding = "holding" in flags
        video = "sfu" if "video_sfu" in flags else "talker"
        bridge = Bridge(
            id=bridge_id or str(uuid.uuid4()),
            bridge_type="holding" if holding else "mixing",
            technology="holding_bridge" if holding else "simple_bridge",
            name=req.get("name") or "",
            created=self.k.now(),
            video_mode=video,
        )
        self.bridges[bridge.id] = bridge
        self._order[bridge.id] = []
        self.k.emit("BridgeCreated", {"bridge": bridge.to_json()}, bridges=[bridge.id])
        return Reply(200, bridge.to_json())

    def _op_get(self, req: Request) -> Reply:
        bridge = self.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found")
        return Reply(200, bridge.to_json())

    def _op_destroy(self, req: Request) -> Reply:
        bridge = self.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        self.destroy(bridge)
        return Reply(204)

    def _channels_param(self, req: Request) -> list[str] | Reply:
        raw = req.get("channel")
        if not raw:
            return error(400, "Missing parameter channel")
        return [c for c in raw.split(",") if c]

    async def _op_add(self, req: Request) -> Reply:
        bridge = self.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        ids = self._channels_param(req)
        if isinstance(ids, Reply):
            return ids
        chans = []
        for cid in ids:
            ch = self.k.channels.get(cid)
            if ch is None:
                return error(400, "Channel not found")
            if ch.stasis_app is None:
                return error(422, "Channel not in Stasis application")
            chans.append(ch)
        # Joining is a command in each channel's control queue: a channel that is busy (an endless tone)
        # joins only when its current command ends, and the reply waits for it (external-media-websocket).
        busy = [ch for ch in chans if ch.queue is not None and not ch.queue.idle]
        self._add(bridge, [ch for ch in chans if ch not in busy])
        for ch in busy:
            reply = await self.k.run_queued(ch, "addChannel", functools.partial(self._add_queued, bridge, ch))
            if reply.status != 204:
                return reply
        return Reply(204)

    def _add_queued(self, bridge: Bridge, ch: Channel) -> Reply:
        if bridge.id not in self.bridges:
            return error(404, "Bridge not found", "Not found")
        self._add(bridge, [ch])
        return Reply(204)

    def _add(self, bridge: Bridge, chans: list[Channel]) -> None:
        if not chans:
            return
        touched = []
        for ch in chans:
            if ch.bridge_id is not None and ch.bridge_id in self.bridges:
                old = self.bridges[ch.bridge_id]
                self._leave(old, ch, keep_subscription=False)
                if old is not bridge:
                    touched.append(old)
            self._enter(bridge, ch)
        for old in touched:
            self._update_peers(old)
        self._update_peers(bridge)

    def _op_remove(self, req: Request) -> Reply:
        bridge = self.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        ids = self._channels_param(req)
        if isinstance(ids, Reply):
            return ids
        chans = []
        for cid in ids:
            ch = self.k.channels.get(cid)
            if ch is None:
                return error(400, "Channel not found")
            if ch.stasis_app is None:
                return error(422, "Channel not in Stasis application")
            if ch.bridge_id != bridge.id:
                return error(422, "Channel not in this bridge")
            chans.append(ch)
        for ch in chans:
            self._leave(bridge, ch, keep_subscription=False)
        self._update_peers(bridge)
        return Reply(204)

    # -- membership ----------------------------------------------------------------------------------------
    def _enter(self, bridge: Bridge, ch: Channel) -> None:
        bridge.channels.append(ch.id)
        self._order[bridge.id].append(ch.id)
        ch.bridge_id = bridge.id
        if ch.stasis_app is not None:
            self.k.bus.subscribe_bridge(ch.stasis_app, bridge.id)
        self.k.moh.member_joined(bridge.id, ch.id)
        self.k.emit(
            "ChannelEnteredBridge",
            {"bridge": bridge.to_json(), "channel": ch.to_json()},
            channels=[ch.id],
            bridges=[bridge.id],
        )

    def _leave(self, bridge: Bridge, ch: Channel, *, keep_subscription: bool) -> None:
        if ch.bridgepeer:
            ch.bridgepeer = ""
            self.k.set_var(ch, "BRIDGEPEER", "")
        if ch.id in bridge.channels:
            bridge.channels.remove(ch.id)
        order = self._order.get(bridge.id, [])
        if ch.id in order:
            order.remove(ch.id)
        ch.bridge_id = None
        self.k.moh.member_left(bridge.id, ch.id)
        self.k.bridge_variables.channel_left(bridge, ch)
        self.k.emit(
            "ChannelLeftBridge",
            {"bridge": bridge.to_json(), "channel": ch.to_json()},
            channels=[ch.id],
            bridges=[bridge.id],
        )
        if not keep_subscription and ch.stasis_app is not None:
            self.k.bus.unsubscribe_bridge(ch.stasis_app, bridge.id)

    def _update_peers(self, bridge: Bridge) -> None:
        order = self._order.get(bridge.id, [])
        names = {cid: self._name(bridge, cid) for cid in order}
        for cid in order:
            if cid == _ANNOUNCER or (bridge.id, cid) in self._media:
                continue
            ch = self.k.channels.get(cid)
            others = [names[o] for o in order if o != cid]
            if ch is None or not others:
                continue  # alone: Asterisk leaves BRIDGEPEER as it was
            value = ",".join(reversed(others))
            if value != ch.bridgepeer:
                ch.bridgepeer = value
                self.k.set_var(ch, "BRIDGEPEER", value)

    def _name(self, bridge: Bridge, cid: str) -> str:
        if cid == _ANNOUNCER:
            return bridge.announcer.name if bridge.announcer is not None else "Announcer/ARI"
        media = self._media.get((bridge.id, cid))
        if media is not None:
            return media
        ch = self.k.channels.get(cid)
        return ch.name if ch is not None else cid

    def channel_hungup(self, ch: Channel) -> None:
        """A hung-up channel leaves its bridge (its app stays subscribed to the bridge, as observed)."""
        bridge = self.bridges.get(ch.bridge_id or "")
        if bridge is not None:
            self._leave(bridge, ch, keep_subscription=True)
            self._update_peers(bridge)

    def channel_left_stasis(self, ch: Channel) -> None:
        """``continueInDialplan``: the channel leaves its bridge first."""
        bridge = self.bridges.get(ch.bridge_id or "")
        if bridge is not None:
            self._leave(bridge, ch, keep_subscription=False)
            self._update_peers(bridge)

    def destroy(self, bridge: Bridge) -> None:
        """DELETE /bridges/{id}: every channel leaves (still in Stasis), then BridgeDestroyed."""
        members = [ch for cid in list(bridge.channels) if (ch := self.k.channels.get(cid)) is not None]
        for ch in members:
            self._leave(bridge, ch, keep_subscription=True)
        # A bridge recording ends as its recorder is hung up: its apps still see that RecordingFinished
        # (observed after ChannelLeftBridge), and then no longer see the bridge.
        self.k.bridge_recording.bridge_gone(bridge.id)
        for ch in members:
            if ch.stasis_app is not None:
                self.k.bus.unsubscribe_bridge(ch.stasis_app, bridge.id)
        # The announcer is kicked out and hung up: its playback fails as on any hangup (res_stasis_playback's
        # playback_final_update), then the plays still queued behind it fail too.
        pending = bridge.queue.close() if bridge.queue is not None else []
        self.k.playbacks.bridge_destroyed(bridge.id)
        for cmd in pending:
            if cmd.cancel is not None:
                cmd.cancel()
        bridge.announcer = None
        # Its music channel goes with it.
        self.k.moh.bridge_gone(bridge.id)
        for key in [key for key in self._media if key[0] == bridge.id]:
            del self._media[key]
        self.k.emit("BridgeDestroyed", {"bridge": bridge.to_json()}, bridges=[bridge.id])
        del self.bridges[bridge.id]
        self._order.pop(bridge.id, None)
        self.k.bus.forget_bridge(bridge.id)

    # -- media channels: music on hold, recorders ----------------------------------------------------------
    def media_channel_join(self, bridge: Bridge, token: str, name: str) -> None:
        """An unlisted media channel (``Announcer/ARI_MOH-...``, ``Recorder/ARI-...``) enters the bridge.

        Like the playback announcer, it is never in ``channels`` but changes everybody's BRIDGEPEER.
        """
        self._media[(bridge.id, token)] = name
        self._order.setdefault(bridge.id, []).append(token)
        self._update_peers(bridge)

    def media_channel_leave(self, bridge: Bridge, token: str) -> None:
        """That media channel leaves (a member left alone keeps its BRIDGEPEER, as Asterisk does)."""
        if self._media.pop((bridge.id, token), None) is None:
            return
        order = self._order.get(bridge.id, [])
        if token in order:
            order.remove(token)
        self._update_peers(bridge)

    # -- the announcer -------------------------------------------------------------------------------------
    def announcer_join(self, bridge: Bridge) -> None:
        """A bridge playback: the announcer channel enters (everybody's BRIDGEPEER changes)."""
        if bridge.announcer is not None:
            return
        k = self.k
        k.new_uid()  # the announcer is an unreal pair: ;1 and ;2 both take a unique id
        n = k.next_unreal()
        bridge.announcer = k.new_channel(f"Announcer/ARI-{n:08x};2", "Up", "announcer")
        self._order[bridge.id].append(_ANNOUNCER)
        self._update_peers(bridge)

    def playback_over(self, bridge_id: str) -> None:
        """After a bridge playback: when nothing else is queued, the announcer leaves."""
        bridge = self.bridges.get(bridge_id)
        if bridge is None or bridge.announcer is None:
            return
        if bridge.queue is not None and not bridge.queue.idle:
            return
        bridge.announcer = None
        order = self._order.get(bridge.id, [])
        if _ANNOUNCER in order:
            order.remove(_ANNOUNCER)
        for state in ("INUSE", "UNKNOWN"):
            self.k.emit(
                "DeviceStateChanged",
                {"device_state": {"name": "Announcer/ARI", "state": state}},
                devices=["Announcer/ARI"],
            )
        self._update_peers(bridge)
