"""System resources: ``/asterisk`` (info, ping), ``/sounds``, ``/applications``, ``/endpoints``,
``/deviceStates`` and user events; it owns the endpoints, device states and global variables.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("asterisk.ping")).body["ping"]
'pong'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arinb.ari.codec import format_timestamp
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["ASTERISK_VERSION", "System"]

ASTERISK_VERSION = "22.10.1"
_DEVICE_STATES = (
    "UNKNOWN",
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
)


class System:
    """Asterisk-wide resources (``engine.system``)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.global_vars: dict[str, str] = {}
        self.device_states: dict[str, str] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        k = self.k
        return {
            "asterisk.getInfo": self._op_info,
            "asterisk.ping": lambda r: Reply(
                200,
                {"asterisk_id": k.asterisk_id, "ping": "pong", "timestamp": format_timestamp(k.now())},
            ),
            "sounds.list": lambda r: Reply(200, k.sounds.list(r.get("lang"), r.get("format"))),
            "sounds.get": self._op_sound,
            "applications.list": lambda r: Reply(200, [a.to_json() for a in k.bus.active_apps()]),
            "applications.get": self._op_app_get,
            "applications.subscribe": self._op_subscribe,
            "applications.unsubscribe": self._op_unsubscribe,
            "applications.filter": self._op_filter,
            "endpoints.list": lambda r: Reply(200, [self._endpoint_json(e) for e in self.endpoints.values()]),
            "endpoints.listByTech": self._op_endpoints_tech,
            "endpoints.get": self._op_endpoint,
            "deviceStates.list": lambda r: Reply(
                200, [{"name": n, "state": s} for n, s in self.device_states.items()]
            ),
            "deviceStates.get": self._op_device_get,
            "deviceStates.update": self._op_device_update,
            "deviceStates.delete": self._op_device_delete,
            "events.userEvent": self._op_user_event,
        }

    # -- endpoints and devices, for the other features -----------------------------------------------------
    def endpoint_channel(self, tech: str, resource: str, channel_id: str) -> None:
        """A channel of endpoint ``tech/resource`` exists (the endpoint appears online on first use)."""
        endpoint = self.endpoints.setdefault(
            f"{tech}/{resource}",
            {"technology": tech, "resource": resource, "state": "online", "channel_ids": []},
        )
        endpoint["channel_ids"].append(channel_id)

    def channel_gone(self, channel_id: str) -> None:
        """A channel was destroyed: its endpoint no longer lists it."""
        for ep in self.endpoints.values():
            if channel_id in ep["channel_ids"]:
                ep["channel_ids"].remove(channel_id)

    def device_changed(self, device: str) -> None:
        """A Local device's state may have changed: DeviceStateChanged (twice, as Asterisk sent it)."""
        if not device or not self.k.bus.interested("DeviceStateChanged", devices=[device]):
            return  # nobody listens: skip the scan of every channel (a busy simulator's hot path)
        state = self.local_device_state(device)
        for _ in range(2):  # Asterisk sent each Local device change twice (both halves)
            self.k.emit(
                "DeviceStateChanged",
                {"device_state": {"name": device, "state": state}},
                devices=[device],
            )

    def local_device_state(self, device: str) -> str:
        """A device's state: set through ARI, else INUSE while a channel of it is up."""
        if device in self.device_states:
            return self.device_states[device]
        busy = any(c.device == device and c.state == "Up" and not c.hungup for c in self.k.channels.values())
        if busy:
            return "INUSE"
        return "NOT_INUSE" if device.startswith("Local/") else "UNKNOWN"

    # -- operations ----------------------------------------------------------------------------------------
    def _op_info(self, req: Request) -> Reply:
        started = format_timestamp(self.k.startup_time)
        info = {
            "build": {
                "os": "Linux",
                "kernel": "6.18.44-fc-v657",
                "machine": "x86_64",
                "options": "OPTIONAL_API",
                "date": "2026-11-26 12:05:19 UTC",
                "user": "root",
            },
            "system": {"version": ASTERISK_VERSION, "entity_id": self.k.asterisk_id},
            "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
            "status": {"startup_time": started, "last_reload_time": started},
        }
        only = req.get("only")
        if only:
            wanted = [w.strip() for w in only.split(",")]
            info = {k: v for k, v in info.items() if k in wanted}
        return Reply(200, info)

    def _op_sound(self, req: Request) -> Reply:
        sound = self.k.sounds.get(req.path.get("soundId", ""))
        if sound is None:
            return error(404, "Sound not found")
        return Reply(200, sound)

    # -- applications --------------------------------------------------------------------------------------
    def _op_app_get(self, req: Request) -> Reply:
        app = self.k.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        return Reply(200, app.to_json())

    def _event_sources(self, req: Request) -> list[tuple[str, str]] | Reply:
        raw = req.get("eventSource")
        if not raw:
            return error(400, "Missing parameter eventSource")
        out = []
        for source in raw.split(","):
            scheme, sep, rest = source.partition(":")
            if not sep or scheme not in ("channel", "bridge", "endpoint", "deviceState"):
                return error(400, "Invalid event source URI scheme")
            out.append((scheme, rest))
        return out

    def _source_exists(self, scheme: str, name: str) -> bool:
        if scheme == "channel":
            return name in self.k.channels
        if scheme == "bridge":
            return self.k.bridges.get(name) is not None
        if scheme == "endpoint":
            return name in self.endpoints
        return bool(name)

    def _op_subscribe(self, req: Request) -> Reply:
        sources = self._event_sources(req)
        if isinstance(sources, Reply):
            return sources
        app = self.k.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        for scheme, name in sources:
            if not self._source_exists(scheme, name):
                return error(422, "Event source does not exist")
        for scheme, name in sources:
            if scheme == "channel":
                app.channels[name] += 1
            elif scheme == "bridge":
                app.bridges[name] += 1
            elif scheme == "endpoint":
                app.endpoints.add(name)
            else:
                app.devices.add(name)
        return Reply(200, app.to_json())

    def _op_unsubscribe(self, req: Request) -> Reply:
        sources = self._event_sources(req)
        if isinstance(sources, Reply):
            return sources
        app = self.k.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        for scheme, name in sources:
            subscribed = {
                "channel": app.channels.get(name, 0) > 0,
                "bridge": app.bridges.get(name, 0) > 0,
                "endpoint": name in app.endpoints,
                "deviceState": name in app.devices,
            }[scheme]
            if not subscribed:
                if not self._source_exists(scheme, name) and scheme in ("channel", "bridge"):
                    return error(422, "Event source was not subscribed to")
                return error(422, "Event source was not subscribed to")
        for scheme, name in sources:
            if scheme == "channel":
                self.k.bus.unsubscribe_channel(app.name, name)
            elif scheme == "bridge":
                self.k.bus.unsubscribe_bridge(app.name, name)
            elif scheme == "endpoint":
                app.endpoints.discard(name)
            else:
                app.devices.discard(name)
        return Reply(200, app.to_json())

    def _op_filter(self, req: Request) -> Reply:
        app = self.k.bus.active(req.path.get("applicationName", ""))
        if app is None:
            return error(404, "Application not found")
        body = req.body if isinstance(req.body, dict) else {}
        allowed, disallowed = body.get("allowed", []), body.get("disallowed", [])
        if not isinstance(allowed, list) or not isinstance(disallowed, list):
            return error(400, "Invalid format definition")
        app.allowed = [f for f in allowed if isinstance(f, dict)]
        app.disallowed = [f for f in disallowed if isinstance(f, dict)]
        return Reply(200, app.to_json())

    # -- endpoints and device states -----------------------------------------------------------------------
    def _endpoint_json(self, ep: dict[str, Any]) -> dict[str, Any]:
        return {
            "technology": ep["technology"],
            "resource": ep["resource"],
            "state": ep["state"],
            "channel_ids": list(ep["channel_ids"]),
        }

    def _op_endpoints_tech(self, req: Request) -> Reply:
        tech = req.path.get("tech", "")
        found = [self._endpoint_json(e) for e in self.endpoints.values() if e["technology"] == tech]
        if not found:
            return error(404, f"No Endpoints found - invalid tech {tech}")
        return Reply(200, found)

    def _op_endpoint(self, req: Request) -> Reply:
        key = f"{req.path.get('tech', '')}/{req.path.get('resource', '')}"
        ep = self.endpoints.get(key)
        if ep is None:
            return error(404, "Endpoint not found")
        return Reply(200, self._endpoint_json(ep))

    def _op_device_get(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        if name.startswith("Stasis:"):
            return Reply(200, {"name": name, "state": self.device_states.get(name, "UNKNOWN")})
        return Reply(200, {"name": name, "state": self.local_device_state(name)})

    def _op_device_update(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        state = (req.get("deviceState") or "").upper()
        if not name.startswith("Stasis:"):
            return error(409, "Uncontrolled device specified")
        if state not in _DEVICE_STATES:
            return error(400, "Invalid device state")
        self.device_states[name] = state
        self.k.emit("DeviceStateChanged", {"device_state": {"name": name, "state": state}}, devices=[name])
        return Reply(204)

    def _op_device_delete(self, req: Request) -> Reply:
        name = req.path.get("deviceName", "")
        if not name.startswith("Stasis:"):
            return error(409, "Uncontrolled device specified")
        if name not in self.device_states:
            return error(404, "Device not found")
        del self.device_states[name]
        return Reply(204)

    def _op_user_event(self, req: Request) -> Reply:
        app = req.get("application")
        if not app:
            return error(400, "Missing parameter application")
        if not self.k.bus.registered(app):
            return error(404, "Application not found")
        fields: dict[str, Any] = {"eventname": req.path.get("eventName", "")}
        channels: list[str] = []
        for source in (req.get("source") or "").split(","):
            scheme, _, name = source.partition(":")
            if scheme == "channel":
                ch = self.k.channels.get(name)
                if ch is None:
                    return error(422, "Event source not found")
                fields["channel"] = ch.to_json()
                channels.append(name)
            elif scheme == "bridge":
                br = self.k.bridges.get(name)
                if br is None:
                    return error(422, "Event source not found")
                fields["bridge"] = br.to_json()
        fields["userevent"] = req.variables()
        self.k.emit("ChannelUserevent", fields, only_app=app)
        return Reply(204)
