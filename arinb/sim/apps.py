"""Stasis applications, their WebSocket connections, subscriptions, and event delivery.

An application exists while a WebSocket holds it. It sees an event when it subscribed to all events
(``subscribeAll=true``) or to one of the event's sources: a channel (while the channel is in the app, after an
originate with ``app=``, or by ``POST /applications/{app}/subscription``), a bridge (while one of its channels
is in it), a device or an endpoint. A second WebSocket for the same app takes it over: the first one gets
``ApplicationReplaced`` and then nothing more, yet stays open.

Frames are built the way Asterisk writes them: keys in Asterisk's order, compact JSON, ``application`` last
(``ChannelHangupRequest`` starts with ``cause``/``soft``; ``DeviceStateChanged`` puts ``application`` second).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from arinb.models import dumps, format_timestamp

if TYPE_CHECKING:
    from arinb.sim.engine import SimEngine

__all__ = ["AppConnection", "Application", "EventBus"]

log = logging.getLogger("arinb.sim")


class AppConnection:
    """One events WebSocket as the engine sees it: the apps it holds and where frames go.

    ``send(text)`` gets every frame in order. ``on_drop`` (optional) is called when a fault asks to drop
    the connection: the server closes the socket there. :meth:`close` unregisters the apps it still holds.
    """

    def __init__(
        self,
        bus: EventBus,
        apps: list[str],
        subscribe_all: bool,
        send: Callable[[str], Any],
        on_drop: Callable[[], Any] | None = None,
    ) -> None:
        self._bus = bus
        self.apps = apps
        self.subscribe_all = subscribe_all
        self.send = send
        self.on_drop = on_drop
        self.closed = False
        self.frames_sent = 0

    def deliver(self, text: str) -> None:
        """Send one frame (a failing send is logged, never raised into the engine)."""
        if self.closed:
            return
        self.frames_sent += 1
        try:
            self.send(text)
        except Exception:
            log.exception("sending an event frame failed")

    def close(self) -> None:
        """The socket closed: unregister every app this connection still holds."""
        if not self.closed:
            self.closed = True
            self._bus.connection_closed(self)

    def drop(self) -> None:
        """Fault injection: the server drops the socket (``on_drop``), then the connection closes."""
        if self.on_drop is not None:
            try:
                self.on_drop()
            except Exception:
                log.exception("dropping a connection failed")
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<AppConnection apps={self.apps} subscribe_all={self.subscribe_all} {state}>"


class Application:
    """A Stasis application and what it is subscribed to.

    When its WebSocket closes it goes inactive (``conn`` None): invisible to REST and to ``Stasis()``, but
    it keeps its subscriptions while it still has channels or bridges, so a client that reconnects finds
    its channels' events flowing again, as on Asterisk.
    """

    def __init__(self, name: str, conn: AppConnection) -> None:
        self.name = name
        self.name_json = dumps(name)  # the frames' last field, encoded once
        self.conn: AppConnection | None = conn
        self.channels: Counter[str] = Counter()
        self.bridges: Counter[str] = Counter()
        self.endpoints: set[str] = set()
        self.devices: set[str] = set()
        self.allowed: list[dict[str, Any]] = []
        self.disallowed: list[dict[str, Any]] = []

    @property
    def active(self) -> bool:
        """True while a WebSocket holds the app."""
        return self.conn is not None and not self.conn.closed

    @property
    def subscribe_all(self) -> bool:
        """True if the connection holding the app asked for every event."""
        return self.conn is not None and self.conn.subscribe_all

    @property
    def finished(self) -> bool:
        """Nothing keeps an inactive app around any more."""
        return not self.active and not self.channels and not self.bridges

    def to_json(self) -> dict[str, Any]:
        """The ARI ``Application`` object."""
        return {
            "name": self.name,
            "channel_ids": sorted(c for c, n in self.channels.items() if n > 0),
            "bridge_ids": sorted(b for b, n in self.bridges.items() if n > 0),
            "endpoint_ids": sorted(self.endpoints),
            "device_names": sorted(self.devices),
            "events_allowed": list(self.allowed),
            "events_disallowed": list(self.disallowed),
        }

    def wants(self, type_: str) -> bool:
        """The app's event filter (``PUT /applications/{app}/eventFilter``)."""
        if not self.allowed and not self.disallowed:
            return True  # no filter: the common case
        if self.allowed and not any(f.get("type") == type_ for f in self.allowed):
            return False
        return not any(f.get("type") == type_ for f in self.disallowed)


class EventBus:
    """Registered applications and event delivery."""

    def __init__(self, engine: SimEngine) -> None:
        self.engine = engine
        self.apps: dict[str, Application] = {}
        self.connections: list[AppConnection] = []
        #: Every (application, frame) delivered, in order: for tests and the timeline.
        self.history: list[tuple[str, str]] = []
        self.keep_history = False

    # -- connections -----------------------------------------------------------------------------------
    def connect(
        self,
        apps: Iterable[str],
        subscribe_all: bool,
        send: Callable[[str], Any],
        on_drop: Callable[[], Any] | None = None,
    ) -> AppConnection:
        """Register ``apps`` for a new WebSocket (taking them over from an older one)."""
        names = [a for a in dict.fromkeys(apps) if a]
        conn = AppConnection(self, names, subscribe_all, send, on_drop)
        self.connections.append(conn)
        for name in names:
            app = self.apps.get(name)
            if app is None:
                self.apps[name] = Application(name, conn)
                continue
            old = app.conn
            app.conn = conn
            if old is not None and old is not conn and not old.closed:
                frame = {
                    "type": "ApplicationReplaced",
                    "timestamp": format_timestamp(self.engine.clock.now()),
                    "application": name,
                    "asterisk_id": self.engine.asterisk_id,
                }
                text = dumps(frame)
                self._record(name, text)
                old.deliver(text)
        return conn

    def connection_closed(self, conn: AppConnection) -> None:
        """Unregister the apps ``conn`` still holds (a replaced app stays with its new owner)."""
        if conn in self.connections:
            self.connections.remove(conn)
        for name in conn.apps:
            app = self.apps.get(name)
            if app is not None and app.conn is conn:
                app.conn = None
                self._cleanup(app)

    def _cleanup(self, app: Application) -> None:
        if app.finished and self.apps.get(app.name) is app:
            del self.apps[app.name]

    def registered(self, name: str) -> bool:
        """True while some WebSocket holds app ``name``."""
        app = self.apps.get(name)
        return app is not None and app.active

    def active(self, name: str) -> Application | None:
        """The app if a WebSocket holds it (what REST and ``Stasis()`` see), else None."""
        app = self.apps.get(name)
        return app if app is not None and app.active else None

    def active_apps(self) -> list[Application]:
        """Apps held by a WebSocket, in registration order."""
        return [a for a in self.apps.values() if a.active]

    # -- subscriptions ---------------------------------------------------------------------------------
    def subscribe_channel(self, app_name: str, channel_id: str) -> None:
        """Count one more reason for ``app_name`` to see the channel's events."""
        app = self.apps.get(app_name)
        if app is not None:
            app.channels[channel_id] += 1

    def unsubscribe_channel(self, app_name: str, channel_id: str) -> None:
        """Drop one reason (the channel leaves the app, or an explicit unsubscribe)."""
        app = self.apps.get(app_name)
        if app is not None and app.channels.get(channel_id, 0) > 0:
            app.channels[channel_id] -= 1
            if app.channels[channel_id] <= 0:
                del app.channels[channel_id]

    def subscribe_bridge(self, app_name: str, bridge_id: str) -> None:
        """The app's channel entered the bridge."""
        app = self.apps.get(app_name)
        if app is not None:
            app.bridges[bridge_id] += 1

    def unsubscribe_bridge(self, app_name: str, bridge_id: str) -> None:
        """The app's channel left the bridge (removeChannel, bridge destroyed)."""
        app = self.apps.get(app_name)
        if app is not None and app.bridges.get(bridge_id, 0) > 0:
            app.bridges[bridge_id] -= 1
            if app.bridges[bridge_id] <= 0:
                del app.bridges[bridge_id]

    def forget_channel(self, channel_id: str) -> None:
        """The channel is destroyed: prune it from every app."""
        for app in list(self.apps.values()):
            app.channels.pop(channel_id, None)
            self._cleanup(app)

    def forget_bridge(self, bridge_id: str) -> None:
        """The bridge is destroyed: prune it from every app."""
        for app in list(self.apps.values()):
            app.bridges.pop(bridge_id, None)
            self._cleanup(app)

    # -- delivery --------------------------------------------------------------------------------------
    def emit(
        self,
        type_: str,
        fields: dict[str, Any],
        *,
        channels: Iterable[str] = (),
        bridges: Iterable[str] = (),
        devices: Iterable[str] = (),
        endpoints: Iterable[str] = (),
        only_app: str | None = None,
        pre: dict[str, Any] | None = None,
        twice_for_all: bool = False,
        targets: list[Application] | None = None,
    ) -> int:
        """Send one event to every app that should see it; returns how many frames went out.

        ``pre`` holds fields Asterisk writes before ``type`` (``cause``/``soft``, ``variable``/``value``).
        ``only_app``: StasisStart/StasisEnd go to the app the channel enters or leaves, and nobody else.
        ``twice_for_all``: a bridge playback reaches a subscribeAll app twice (observed on Asterisk 22).
        """
        if targets is None:
            targets = self._targets(type_, channels, bridges, devices, endpoints, only_app)
        if not targets:
            return 0
        timestamp = format_timestamp(self.engine.clock.now())
        if type_ == "DeviceStateChanged":
            body: dict[str, Any] = {"type": type_, "application": "\0", "timestamp": timestamp}
            body.update(fields)
            body["asterisk_id"] = self.engine.asterisk_id
            template = dumps(body)
            head, tail = template.split('"\\u0000"', 1)
            sent = 0
            for app in targets:
                text = head + app.name_json + tail
                sent += self._send(app, text)
            return sent
        body = dict(pre) if pre else {}
        body["type"] = type_
        body["timestamp"] = timestamp
        body.update(fields)
        body["asterisk_id"] = self.engine.asterisk_id
        # Encoded once for every app: only the last field, the app's name, differs.
        prefix = dumps(body)[:-1] + ',"application":'
        sent = 0
        for app in targets:
            text = prefix + app.name_json + "}"
            sent += self._send(app, text)
            if twice_for_all and app.subscribe_all:
                sent += self._send(app, text)
        return sent

    def targets(
        self,
        type_: str,
        *,
        channels: Iterable[str] = (),
        endpoints: Iterable[str] = (),
        only_app: str | None = None,
    ) -> list[Application]:
        """The apps that would receive this event (empty: nobody listens), to pass on to :meth:`emit`."""
        return self._targets(type_, channels, (), (), endpoints, only_app)

    def interested(
        self,
        type_: str,
        *,
        channels: Iterable[str] = (),
        bridges: Iterable[str] = (),
        devices: Iterable[str] = (),
        endpoints: Iterable[str] = (),
        only_app: str | None = None,
    ) -> bool:
        """True if some app would receive this event (lets callers skip building it)."""
        return bool(self._targets(type_, channels, bridges, devices, endpoints, only_app))

    def _send(self, app: Application, text: str) -> int:
        conn = app.conn
        if conn is None:
            return 0
        if self.keep_history:
            self.history.append((app.name, text))
        conn.deliver(text)
        return 1

    def _record(self, app_name: str, text: str) -> None:
        if self.keep_history:
            self.history.append((app_name, text))

    def _targets(
        self,
        type_: str,
        channels: Iterable[str],
        bridges: Iterable[str],
        devices: Iterable[str],
        endpoints: Iterable[str],
        only_app: str | None,
    ) -> list[Application]:
        if only_app is not None:
            app = self.apps.get(only_app)
            return [app] if app is not None and app.active and app.wants(type_) else []
        # The hot path of a busy simulator (every event): plain loops, no generators, no properties.
        out = []
        for app in self.apps.values():
            conn = app.conn
            if conn is None or conn.closed:
                continue  # not active
            if (app.allowed or app.disallowed) and not app.wants(type_):
                continue
            if conn.subscribe_all:
                out.append(app)
                continue
            subs = app.channels
            for c in channels:  # the common source: a channel the app has
                if subs.get(c, 0) > 0:
                    out.append(app)
                    break
            else:
                if _subscribed(app, (), bridges, devices, endpoints):
                    out.append(app)
        return out


def _subscribed(
    app: Application,
    channels: Iterable[str],
    bridges: Iterable[str],
    devices: Iterable[str],
    endpoints: Iterable[str],
) -> bool:
    """True if ``app`` is subscribed to one of the event's sources."""
    subs = app.channels
    for c in channels:
        if subs.get(c, 0) > 0:
            return True
    for b in bridges:
        if app.bridges.get(b, 0) > 0:
            return True
    for d in devices:
        if d in app.devices:
            return True
    return not app.endpoints.isdisjoint(endpoints) if app.endpoints else False
