"""The resource collections of a session: ``session.channels``, ``.playbacks``, ``.bridges``, ``.sounds``,
``.recordings``, ``.applications``, ``.asterisk``, ``.endpoints``, ``.device_states``, ``.mailboxes``.

They cover every operation of Asterisk 22's ARI; each method names the ARI operation it performs in
``__ari_operations__``. Handles come from :mod:`arinb.client.handles` (re-exported here)::

    ch = await session.channels.originate("Local/1000@default", app="channel-tones", formats="slin")
    br = await session.bridges.create("mixing")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from arinb.client.handles import Bridge, Channel, LiveRecording, Playback, StoredRecording
from arinb.client.params import (
    HANGUP_REASONS,
    PLAYBACK_OPERATIONS,
    ari_operation,
    ids,
    join_media,
    query,
    seg,
    vars_body,
)
from arinb.client.params import (
    event_source as as_event_source,
)

if TYPE_CHECKING:
    from arinb.client.core import SessionCore
    from arinb.loop import Call

__all__ = [
    "HANGUP_REASONS",
    "PLAYBACK_OPERATIONS",
    "Applications",
    "Asterisk",
    "Bridge",
    "Bridges",
    "Channel",
    "Channels",
    "DeviceStates",
    "Endpoints",
    "LiveRecording",
    "LiveRecordings",
    "Mailboxes",
    "Playback",
    "Playbacks",
    "Recordings",
    "Sounds",
    "StoredRecording",
    "StoredRecordings",
    "ari_operation",
    "join_media",
]

#: A JSON array of objects (named so that classes with a ``list`` method can still say it).
JsonList = list[dict[str, Any]]


# ---------------------------------------------------------------------------------------------- resource APIs


class _Api:
    __slots__ = ("_core",)

    def __init__(self, core: SessionCore) -> None:
        self._core = core

    def _io(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None, **kw: Any
    ) -> Call[Any]:
        return self._core.io(method, path, params, json, **kw)

    def __repr__(self) -> str:
        names = [n for n in dir(self) if not n.startswith("_")]
        return f"<{type(self).__name__} API: {', '.join(names)}>"


class Channels(_Api):
    """``session.channels``: list, get, originate, create, and handles without I/O."""

    __slots__ = ()

    def channel(self, channel_id: str) -> Channel:
        """The handle for a channel id (no request; state fills in from events or :meth:`Channel.refresh`)."""
        return self._core.channel(channel_id)

    @ari_operation("channels.list")
    def list(self) -> Call[list[Channel]]:
        """Every channel Asterisk has (both halves of Local pairs included)."""
        return self._io("GET", "/channels", convert=self._core.channels_from, label="list channels")

    @ari_operation("channels.get")
    def get(self, channel_id: str) -> Call[Channel]:
        """``GET /channels/{id}`` (404 ``AriNotFound`` if unknown)."""
        return self._io(
            "GET",
            f"/channels/{seg(channel_id)}",
            convert=self._core.channel_from,
            label=f"get channel {channel_id}",
        )

    @ari_operation("channels.originate", "channels.originateWithId")
    def originate(
        self,
        endpoint: str,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        app: str | None = None,
        app_args: str | Iterable[str] | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        variables: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | Channel | None = None,
        formats: str | Iterable[str] | None = None,
    ) -> Call[Channel]:
        """Originate a call to ``endpoint``, into the dialplan (``extension``/``context``) or an app.

        >>> ch = await session.channels.originate("Local/1000@default", app="channel-tones")  # doctest: +SKIP
        """
        params = query(
            endpoint=endpoint,
            extension=extension,
            context=context,
            priority=priority,
            label=label,
            app=app,
            appArgs=app_args,
            callerId=caller_id,
            timeout=timeout,
            otherChannelId=other_channel_id,
            originator=ids(originator),
            formats=formats,
        )
        path = "/channels" if channel_id is None else f"/channels/{seg(channel_id)}"
        return self._io(
            "POST",
            path,
            params,
            vars_body(variables),
            convert=self._core.created_channel_from,
            label=f"originate {endpoint}",
        )

    @ari_operation("channels.create")
    def create(
        self,
        endpoint: str,
        app: str,
        app_args: str | Iterable[str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | Channel | None = None,
        formats: str | Iterable[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Channel]:
        """Create a channel in ``app`` without dialing it (state Down; :meth:`Channel.dial` it later)."""
        params = query(
            endpoint=endpoint,
            app=app,
            appArgs=app_args,
            channelId=channel_id,
            otherChannelId=other_channel_id,
            originator=ids(originator),
            formats=formats,
        )
        return self._io(
            "POST",
            "/channels/create",
            params,
            vars_body(variables),
            convert=self._core.created_channel_from,
            label=f"create {endpoint}",
        )

    @ari_operation("channels.externalMedia")
    def external_media(
        self,
        app: str,
        external_host: str | None = None,
        format: str = "ulaw",
        channel_id: str | None = None,
        encapsulation: str | None = None,
        transport: str | None = None,
        connection_type: str | None = None,
        direction: str | None = None,
        data: str | None = None,
        transport_data: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Channel]:
        """Create an external media channel (RTP/AudioSocket/WebSocket to ``external_host``)."""
        params = query(
            app=app,
            external_host=external_host,
            format=format,
            channelId=channel_id,
            encapsulation=encapsulation,
            transport=transport,
            connection_type=connection_type,
            direction=direction,
            data=data,
            transport_data=transport_data,
        )
        return self._io(
            "POST",
            "/channels/externalMedia",
            params,
            vars_body(variables),
            convert=self._core.created_channel_from,
            label="external media",
        )


class Playbacks(_Api):
    """``session.playbacks``: get, stop and control by id."""

    __slots__ = ()

    def playback(self, playback_id: str) -> Playback:
        """The handle for a playback id (no request)."""
        return self._core.playback(playback_id)

    @ari_operation("playbacks.get")
    def get(self, playback_id: str) -> Call[Playback]:
        """``GET /playbacks/{id}`` (404 once the playback finished)."""
        return self._io(
            "GET",
            f"/playbacks/{seg(playback_id)}",
            convert=lambda body: self._core.playback(playback_id, body),
            label=f"get playback {playback_id}",
        )

    @ari_operation("playbacks.stop")
    def stop(self, playback_id: str) -> Call[None]:
        """Stop the playback ``playback_id``."""
        return self._core.playback(playback_id).stop()

    @ari_operation("playbacks.control")
    def control(self, playback_id: str, operation: str) -> Call[None]:
        """``restart``, ``pause``, ``unpause``, ``reverse`` or ``forward`` the playback ``playback_id``."""
        return self._core.playback(playback_id).control(operation)


class Bridges(_Api):
    """``session.bridges``: list, get, create."""

    __slots__ = ()

    def bridge(self, bridge_id: str) -> Bridge:
        """The handle for a bridge id (no request)."""
        return self._core.bridge(bridge_id)

    @ari_operation("bridges.list")
    def list(self) -> Call[list[Bridge]]:
        """Every bridge (including ones other applications made)."""
        return self._io(
            "GET",
            "/bridges",
            convert=lambda body: [self._core.bridge(b["id"], b) for b in body or []],
            label="list bridges",
        )

    @ari_operation("bridges.get")
    def get(self, bridge_id: str) -> Call[Bridge]:
        """``GET /bridges/{id}`` (404 ``AriNotFound`` if unknown)."""
        return self._io(
            "GET",
            f"/bridges/{seg(bridge_id)}",
            convert=self._core.bridge_from,
            label=f"get bridge {bridge_id}",
        )

    @ari_operation("bridges.create", "bridges.createWithId")
    def create(
        self,
        type: str | Iterable[str] | None = None,
        bridge_id: str | None = None,
        name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Bridge]:
        """Create a bridge: ``type`` is ``mixing`` (default), ``holding``, or flags (``mixing,dtmf_events``).

        >>> br = await session.bridges.create("mixing", name="conference")   # doctest: +SKIP
        """
        path = "/bridges" if bridge_id is None else f"/bridges/{seg(bridge_id)}"
        if bridge_id is not None:
            self._core.registry.started_again("bridge", bridge_id)
        return self._io(
            "POST",
            path,
            query(type=type, name=name),
            vars_body(variables),
            convert=self._core.bridge_from,
            label="create bridge",
        )


class Sounds(_Api):
    """``session.sounds``: sounds (``{"id", "text", "formats": [{"language", "format"}]}``)."""

    __slots__ = ()

    @ari_operation("sounds.list")
    def list(self, lang: str | None = None, format: str | None = None) -> Call[list[dict[str, Any]]]:
        """Every sound, optionally only those in ``lang`` / ``format``."""
        return self._io("GET", "/sounds", query(lang=lang, format=format), label="list sounds")

    @ari_operation("sounds.get")
    def get(self, sound_id: str) -> Call[dict[str, Any]]:
        """One sound's formats and languages (404 ``Sound not found``)."""
        return self._io("GET", f"/sounds/{seg(sound_id)}", label=f"get sound {sound_id}")


class StoredRecordings(_Api):
    """``session.recordings.stored``."""

    __slots__ = ()

    def _from(self, body: Any) -> StoredRecording:
        return StoredRecording(self._core, body["name"], body)

    @ari_operation("recordings.listStored")
    def list(self) -> Call[list[StoredRecording]]:
        """Every stored recording."""
        return self._io(
            "GET",
            "/recordings/stored",
            convert=lambda body: [self._from(r) for r in body or []],
            label="list stored recordings",
        )

    @ari_operation("recordings.getStored")
    def get(self, name: str) -> Call[StoredRecording]:
        """``GET /recordings/stored/{name}``."""
        return self._io(
            "GET", f"/recordings/stored/{seg(name)}", convert=self._from, label=f"get stored {name}"
        )

    def recording(self, name: str) -> StoredRecording:
        """A handle without I/O."""
        return StoredRecording(self._core, name)

    @ari_operation("recordings.deleteStored")
    def delete(self, name: str) -> Call[None]:
        """Delete a stored recording."""
        return self.recording(name).delete()

    @ari_operation("recordings.getStoredFile")
    def file(self, name: str) -> Call[bytes]:
        """A stored recording's file content."""
        return self.recording(name).file()

    @ari_operation("recordings.copyStored")
    def copy(self, name: str, destination: str) -> Call[StoredRecording]:
        """Copy a stored recording to ``destination``."""
        return self.recording(name).copy(destination)


class LiveRecordings(_Api):
    """``session.recordings.live``."""

    __slots__ = ()

    def recording(self, name: str) -> LiveRecording:
        """The handle for a live recording name (no request)."""
        return self._core.recording(name)

    @ari_operation("recordings.getLive")
    def get(self, name: str) -> Call[LiveRecording]:
        """``GET /recordings/live/{name}``."""
        return self._io(
            "GET",
            f"/recordings/live/{seg(name)}",
            convert=self._core.recording_from,
            label=f"get recording {name}",
        )

    def stop(self, name: str) -> Call[None]:
        """Stop and keep a live recording."""
        return self.recording(name).stop()

    def cancel(self, name: str) -> Call[None]:
        """Stop and discard a live recording."""
        return self.recording(name).cancel()

    def pause(self, name: str) -> Call[None]:
        """Pause a live recording."""
        return self.recording(name).pause()

    def unpause(self, name: str) -> Call[None]:
        """Resume a live recording."""
        return self.recording(name).unpause()

    def mute(self, name: str) -> Call[None]:
        """Mute a live recording."""
        return self.recording(name).mute()

    def unmute(self, name: str) -> Call[None]:
        """Unmute a live recording."""
        return self.recording(name).unmute()


class Recordings:
    """``session.recordings``: ``.stored`` and ``.live``."""

    __slots__ = ("live", "stored")

    def __init__(self, core: SessionCore) -> None:
        self.stored = StoredRecordings(core)
        self.live = LiveRecordings(core)

    def __repr__(self) -> str:
        return "<Recordings API: stored, live>"


class Applications(_Api):
    """``session.applications``: Stasis applications and their subscriptions."""

    __slots__ = ()

    @ari_operation("applications.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every registered Stasis application (an app exists while a WebSocket serves it)."""
        return self._io("GET", "/applications", label="list applications")

    @ari_operation("applications.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """``GET /applications/{name}``: channel_ids, bridge_ids, endpoint_ids, device_names, filters."""
        return self._io("GET", f"/applications/{seg(name)}", label=f"get application {name}")

    @ari_operation("applications.subscribe")
    def subscribe(self, name: str, event_source: Any) -> Call[dict[str, Any]]:
        """Subscribe ``name`` to ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>/<res>``,
        ``deviceState:<name>`` (or a handle, or a list of them). Renewed automatically after a reconnect."""
        source = as_event_source(event_source)
        self._core.subscriptions.add((name, source))
        return self._io(
            "POST",
            f"/applications/{seg(name)}/subscription",
            {"eventSource": source},
            label=f"subscribe {name}",
        )

    @ari_operation("applications.unsubscribe")
    def unsubscribe(self, name: str, event_source: Any) -> Call[dict[str, Any]]:
        """Undo :meth:`subscribe` (422 if that source was not subscribed)."""
        source = as_event_source(event_source)
        self._core.subscriptions.discard((name, source))
        return self._io(
            "DELETE",
            f"/applications/{seg(name)}/subscription",
            {"eventSource": source},
            label=f"unsubscribe {name}",
        )

    @ari_operation("applications.filter")
    def filter(
        self, name: str, allowed: Iterable[str] | None = None, disallowed: Iterable[str] | None = None
    ) -> Call[dict[str, Any]]:
        """Only deliver (``allowed``) or drop (``disallowed``) these event types for the application."""
        body: dict[str, Any] = {}
        if allowed is not None:
            body["allowed"] = [{"type": t} for t in allowed]
        if disallowed is not None:
            body["disallowed"] = [{"type": t} for t in disallowed]
        return self._io("PUT", f"/applications/{seg(name)}/eventFilter", None, body, label=f"filter {name}")


class Asterisk(_Api):
    """``session.asterisk``: system info, modules, logging, global variables, dynamic config."""

    __slots__ = ()

    @ari_operation("asterisk.getInfo")
    def info(self, only: str | Iterable[str] | None = None) -> Call[dict[str, Any]]:
        """``build``, ``system``, ``config``, ``status`` (or only some of them)."""
        return self._io("GET", "/asterisk/info", query(only=only), label="asterisk info")

    @ari_operation("asterisk.ping")
    def ping(self) -> Call[dict[str, Any]]:
        """``{"ping": "pong", "timestamp", "asterisk_id"}``: a cheap liveness check."""
        return self._io("GET", "/asterisk/ping", label="ping")

    @ari_operation("asterisk.listModules")
    def modules(self) -> Call[list[dict[str, Any]]]:
        """Every loaded module."""
        return self._io("GET", "/asterisk/modules", label="list modules")

    @ari_operation("asterisk.getModule")
    def module(self, name: str) -> Call[dict[str, Any]]:
        """One module's details (``name``, ``description``, ``status``, ``use_count``, ``support_level``)."""
        return self._io("GET", f"/asterisk/modules/{seg(name)}", label=f"get module {name}")

    @ari_operation("asterisk.loadModule")
    def load_module(self, name: str) -> Call[None]:
        """Load a module (``res_musiconhold.so``)."""
        return self._io("POST", f"/asterisk/modules/{seg(name)}", label=f"load {name}")

    @ari_operation("asterisk.unloadModule")
    def unload_module(self, name: str) -> Call[None]:
        """Unload a module."""
        return self._io("DELETE", f"/asterisk/modules/{seg(name)}", label=f"unload {name}")

    @ari_operation("asterisk.reloadModule")
    def reload_module(self, name: str) -> Call[None]:
        """Reload a module."""
        return self._io("PUT", f"/asterisk/modules/{seg(name)}", label=f"reload {name}")

    @ari_operation("asterisk.listLogChannels")
    def log_channels(self) -> Call[list[dict[str, Any]]]:
        """Every log channel and its configuration."""
        return self._io("GET", "/asterisk/logging", label="list log channels")

    @ari_operation("asterisk.addLog")
    def add_log(self, name: str, configuration: str) -> Call[None]:
        """Add a log channel with a configuration such as ``notice,warning,error``."""
        return self._io(
            "POST",
            f"/asterisk/logging/{seg(name)}",
            {"configuration": configuration},
            label=f"add log {name}",
        )

    @ari_operation("asterisk.deleteLog")
    def delete_log(self, name: str) -> Call[None]:
        """Remove a log channel."""
        return self._io("DELETE", f"/asterisk/logging/{seg(name)}", label=f"delete log {name}")

    @ari_operation("asterisk.rotateLog")
    def rotate_log(self, name: str) -> Call[None]:
        """Rotate a log channel's file."""
        return self._io("PUT", f"/asterisk/logging/{seg(name)}/rotate", label=f"rotate log {name}")

    @ari_operation("asterisk.getGlobalVar")
    def get_variable(self, variable: str) -> Call[str]:
        """The value of a global variable or dialplan function."""
        return self._io(
            "GET",
            "/asterisk/variable",
            {"variable": variable},
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("asterisk.setGlobalVar")
    def set_variable(self, variable: str, value: str | None = None) -> Call[None]:
        """Set a global variable."""
        return self._io(
            "POST", "/asterisk/variable", query(variable=variable, value=value), label=f"set {variable}"
        )

    @ari_operation("asterisk.getObject")
    def get_object(self, config_class: str, object_type: str, object_id: str) -> Call[list[dict[str, Any]]]:
        """A sorcery object's fields (``res_pjsip``, ``endpoint``, ``alice``)."""
        return self._io("GET", _config_path(config_class, object_type, object_id), label="get config object")

    @ari_operation("asterisk.updateObject")
    def update_object(
        self, config_class: str, object_type: str, object_id: str, fields: Mapping[str, str] | None = None
    ) -> Call[list[dict[str, Any]]]:
        """Create or update a sorcery object from ``{attribute: value}``."""
        body = {"fields": [{"attribute": k, "value": v} for k, v in (fields or {}).items()]}
        return self._io(
            "PUT",
            _config_path(config_class, object_type, object_id),
            None,
            body,
            label="update config object",
        )

    @ari_operation("asterisk.deleteObject")
    def delete_object(self, config_class: str, object_type: str, object_id: str) -> Call[None]:
        """Delete a sorcery object created through ARI."""
        return self._io(
            "DELETE", _config_path(config_class, object_type, object_id), label="delete config object"
        )


def _config_path(config_class: str, object_type: str, object_id: str) -> str:
    return f"/asterisk/config/dynamic/{seg(config_class)}/{seg(object_type)}/{seg(object_id)}"


class Endpoints(_Api):
    """``session.endpoints``: endpoints, messages and REFERs."""

    __slots__ = ()

    @ari_operation("endpoints.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every endpoint (empty on an Asterisk with Local channels only)."""
        return self._io("GET", "/endpoints", label="list endpoints")

    @ari_operation("endpoints.listByTech")
    def list_by_tech(self, tech: str) -> Call[JsonList]:
        """The endpoints of one technology (404 for an unknown one)."""
        return self._io("GET", f"/endpoints/{seg(tech)}", label=f"list {tech} endpoints")

    @ari_operation("endpoints.get")
    def get(self, tech: str, resource: str) -> Call[dict[str, Any]]:
        """One endpoint (``PJSIP``, ``alice``)."""
        return self._io("GET", f"/endpoints/{seg(tech)}/{seg(resource)}", label=f"get {tech}/{resource}")

    @ari_operation("endpoints.sendMessage")
    def send_message(
        self, to: str, from_: str, body: str | None = None, variables: Mapping[str, Any] | None = None
    ) -> Call[None]:
        """Send a text message to ``to`` (``pjsip:alice``)."""
        return self._io(
            "PUT",
            "/endpoints/sendMessage",
            query(to=to, body=body, **{"from": from_}),
            vars_body(variables),
            label=f"message {to}",
        )

    @ari_operation("endpoints.sendMessageToEndpoint")
    def send_message_to(
        self,
        tech: str,
        resource: str,
        from_: str,
        body: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a text message to one endpoint."""
        return self._io(
            "PUT",
            f"/endpoints/{seg(tech)}/{seg(resource)}/sendMessage",
            query(body=body, **{"from": from_}),
            vars_body(variables),
            label=f"message {tech}/{resource}",
        )

    @ari_operation("endpoints.refer")
    def refer(
        self,
        to: str,
        from_: str,
        refer_to: str,
        to_self: bool | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a REFER to ``to`` asking it to call ``refer_to``."""
        return self._io(
            "POST",
            "/endpoints/refer",
            query(to=to, refer_to=refer_to, to_self=to_self, **{"from": from_}),
            vars_body(variables),
            label=f"refer {to}",
        )

    @ari_operation("endpoints.referToEndpoint")
    def refer_to(
        self,
        tech: str,
        resource: str,
        from_: str,
        refer_to: str,
        to_self: bool | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a REFER to one endpoint."""
        return self._io(
            "POST",
            f"/endpoints/{seg(tech)}/{seg(resource)}/refer",
            query(refer_to=refer_to, to_self=to_self, **{"from": from_}),
            vars_body(variables),
            label=f"refer {tech}/{resource}",
        )


class DeviceStates(_Api):
    """``session.device_states``: custom device states (``Stasis:<name>``)."""

    __slots__ = ()

    @ari_operation("deviceStates.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every device state controlled through ARI."""
        return self._io("GET", "/deviceStates", label="list device states")

    @ari_operation("deviceStates.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """One device's state (``UNKNOWN`` for a device nobody set)."""
        return self._io("GET", f"/deviceStates/{seg(name)}", label=f"get device state {name}")

    @ari_operation("deviceStates.update")
    def update(self, name: str, state: str) -> Call[None]:
        """Set ``Stasis:<name>`` to ``NOT_INUSE``, ``INUSE``, ``BUSY``, ``RINGING``, ``ONHOLD``, ..."""
        return self._io("PUT", f"/deviceStates/{seg(name)}", {"deviceState": state}, label=f"set {name}")

    @ari_operation("deviceStates.delete")
    def delete(self, name: str) -> Call[None]:
        """Remove a ``Stasis:`` device state."""
        return self._io("DELETE", f"/deviceStates/{seg(name)}", label=f"delete {name}")


class Mailboxes(_Api):
    """``session.mailboxes``: mailbox message counts."""

    __slots__ = ()

    @ari_operation("mailboxes.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every mailbox ARI knows."""
        return self._io("GET", "/mailboxes", label="list mailboxes")

    @ari_operation("mailboxes.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """One mailbox's old and new message counts."""
        return self._io("GET", f"/mailboxes/{seg(name)}", label=f"get mailbox {name}")

    @ari_operation("mailboxes.update")
    def update(self, name: str, old_messages: int, new_messages: int) -> Call[None]:
        """Set a mailbox's old and new message counts (creating it if needed)."""
        return self._io(
            "PUT",
            f"/mailboxes/{seg(name)}",
            {"oldMessages": old_messages, "newMessages": new_messages},
            label=f"update mailbox {name}",
        )

    @ari_operation("mailboxes.delete")
    def delete(self, name: str) -> Call[None]:
        """Destroy a mailbox."""
        return self._io("DELETE", f"/mailboxes/{seg(name)}", label=f"delete mailbox {name}")
