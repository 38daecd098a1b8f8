"""The ARI operations table of Asterisk 22, as data.

Each of the 109 operations that Asterisk 22 declares is one :class:`Operation`: HTTP method, path template,
resource, Asterisk's nickname (the engine's operation key is ``"<resource>.<nickname>"``), parameters with
their Swagger types, response class and documented error codes. The simulator routes requests with it and
writes ``/ari/api-docs`` from it; a test checks it against Asterisk's own declarations.

>>> OPERATIONS["channels.play"].param("media").allow_multiple
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from arinb.ari.hangup import HANGUP_REASONS
from arinb.ari.playback import PLAYBACK_OPERATIONS

__all__ = ["OPERATIONS", "RESOURCES", "ROUTES", "TEMPLATE_PARAM", "Operation", "Param", "body", "op", "query"]

ParamType = Literal["path", "query", "body"]

TEMPLATE_PARAM = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True, slots=True)
class Param:
    """One declared parameter of an operation (Swagger 1.1 terms: paramType, dataType, allowMultiple)."""

    name: str
    param_type: ParamType
    data_type: str = "string"
    required: bool = False
    allow_multiple: bool = False
    allowable_values: tuple[str, ...] | None = None
    min: int | None = None
    max: int | None = None
    default: str | int | bool | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One ARI operation: ``POST /channels/{channelId}/play`` is ``channels.play``."""

    method: str
    path: str
    resource: str
    nickname: str
    response_class: str
    summary: str
    params: tuple[Param, ...] = ()
    errors: tuple[tuple[int, str], ...] = ()
    websocket: bool = False
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")))

    @property
    def key(self) -> str:
        """The engine's operation key, ``"<resource>.<nickname>"``."""
        return f"{self.resource}.{self.nickname}"

    def param(self, name: str) -> Param:
        """The declared parameter of that name (KeyError if the operation has none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.key} has no parameter {name!r}")

    def params_of(self, param_type: ParamType) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.param_type == param_type)


def query(
    name: str,
    data_type: str = "string",
    *,
    required: bool = False,
    multiple: bool = False,
    values: tuple[str, ...] | None = None,
    min: int | None = None,
    max: int | None = None,
    default: str | int | bool | None = None,
) -> Param:
    """A query parameter (Asterisk also reads each of them from a JSON body object of the same name)."""
    return Param(name, "query", data_type, required, multiple, values, min, max, default)


def body(name: str, data_type: str = "containers", *, required: bool = False) -> Param:
    """A field of the JSON request body (``variables``, ``fields``, ``filter``)."""
    return Param(name, "body", data_type, required)


def op(
    route: str,
    nickname: str,
    response_class: str,
    summary: str,
    *params: Param,
    errors: tuple[tuple[int, str], ...] = (),
    websocket: bool = False,
) -> Operation:
    """Declare one operation; ``route`` is ``"METHOD /path/{param}"`` and path params come from it."""
    method, path = route.split(" ", 1)
    resource = path.strip("/").split("/")[0]
    path_params = tuple(
        Param(m.group(1), "path", required=True)
        for seg in path.strip("/").split("/")
        if (m := TEMPLATE_PARAM.match(seg))
    )
    return Operation(
        method, path, resource, nickname, response_class, summary, path_params + params, errors, websocket
    )


# The resources in the order Asterisk lists them in /ari/api-docs/resources.json, with our descriptions.
RESOURCES: dict[str, str] = {
    "asterisk": "Asterisk itself: system information, modules, logging, global variables",
    "endpoints": "Endpoints (PJSIP/alice, ...) and out-of-call messages",
    "channels": "Channels: originate, answer, play, record, hang up",
    "bridges": "Bridges that mix or hold channels",
    "recordings": "Live and stored recordings",
    "sounds": "Installed sound prompts",
    "playbacks": "Media playbacks in progress",
    "deviceStates": "Device states controlled through ARI",
    "mailboxes": "Mailboxes controlled through ARI",
    "events": "The events WebSocket and user events",
    "applications": "Stasis applications and their subscriptions",
}

ROUTES: tuple[Operation, ...] = (
    # asterisk
    op(
        "GET /asterisk/config/dynamic/{configClass}/{objectType}/{id}",
        "getObject",
        "List[ConfigTuple]",
        "Read one dynamic configuration object (sorcery).",
        errors=((404, "{configClass|objectType|id} not found"),),
    ),
    op(
        "PUT /asterisk/config/dynamic/{configClass}/{objectType}/{id}",
        "updateObject",
        "List[ConfigTuple]",
        "Create or change one dynamic configuration object.",
        body("fields"),
        errors=(
            (400, "Bad request body"),
            (403, "Could not create or update object"),
            (404, "{configClass|objectType} not found"),
        ),
    ),
    op(
        "DELETE /asterisk/config/dynamic/{configClass}/{objectType}/{id}",
        "deleteObject",
        "void",
        "Remove one dynamic configuration object.",
        errors=((403, "Could not delete object"), (404, "{configClass|objectType|id} not found")),
    ),
    op(
        "GET /asterisk/info",
        "getInfo",
        "AsteriskInfo",
        "Build, system, configuration and status facts about this Asterisk.",
        query("only", multiple=True, values=("build", "system", "config", "status")),
    ),
    op("GET /asterisk/ping", "ping", "AsteriskPing", "Liveness check; answers with a pong."),
    op("GET /asterisk/modules", "listModules", "List[Module]", "Every loaded module."),
    op(
        "GET /asterisk/modules/{moduleName}",
        "getModule",
        "Module",
        "One loaded module.",
        errors=(
            (404, "Module could not be found in running modules."),
            (409, "Module information could not be retrieved."),
        ),
    ),
    op(
        "POST /asterisk/modules/{moduleName}",
        "loadModule",
        "void",
        "Load a module.",
        errors=((409, "Module could not be loaded."),),
    ),
    op(
        "DELETE /asterisk/modules/{moduleName}",
        "unloadModule",
        "void",
        "Unload a module.",
        errors=((404, "Module not found in running modules."), (409, "Module could not be unloaded.")),
    ),
    op(
        "PUT /asterisk/modules/{moduleName}",
        "reloadModule",
        "void",
        "Reload a module.",
        errors=((404, "Module not found in running modules."), (409, "Module could not be reloaded.")),
    ),
    op("GET /asterisk/logging", "listLogChannels", "List[LogChannel]", "Every logger channel."),
    op(
        "POST /asterisk/logging/{logChannelName}",
        "addLog",
        "void",
        "Add a logger channel.",
        query("configuration", required=True),
        errors=((400, "Bad request body"), (409, "Log channel could not be created.")),
    ),
    op(
        "DELETE /asterisk/logging/{logChannelName}",
        "deleteLog",
        "void",
        "Remove a logger channel.",
        errors=((404, "Log channel does not exist."),),
    ),
    op(
        "PUT /asterisk/logging/{logChannelName}/rotate",
        "rotateLog",
        "void",
        "Rotate a logger channel's file.",
        errors=((404, "Log channel does not exist."),),
    ),
    op(
        "GET /asterisk/variable",
        "getGlobalVar",
        "Variable",
        "Read a global dialplan variable or function.",
        query("variable", required=True),
        errors=((400, "Missing variable parameter."),),
    ),
    op(
        "POST /asterisk/variable",
        "setGlobalVar",
        "void",
        "Write a global dialplan variable or function.",
        query("variable", required=True),
        query("value"),
        errors=((400, "Missing variable parameter."),),
    ),
    # endpoints
    op("GET /endpoints", "list", "List[Endpoint]", "Every endpoint."),
    op(
        "PUT /endpoints/sendMessage",
        "sendMessage",
        "void",
        "Send an out-of-call text message to any destination URI.",
        query("to", required=True),
        query("from", required=True),
        query("body"),
        body("variables"),
        errors=((400, "Invalid parameters for sending a message."), (404, "Endpoint not found")),
    ),
    op(
        "POST /endpoints/refer",
        "refer",
        "void",
        "Refer an endpoint or technology URI to another destination.",
        query("to", required=True),
        query("from", required=True),
        query("refer_to", required=True),
        query("to_self", "boolean", default=False),
        body("variables"),
        errors=((400, "Invalid parameters for referring."), (404, "Endpoint not found")),
    ),
    op(
        "GET /endpoints/{tech}",
        "listByTech",
        "List[Endpoint]",
        "The endpoints of one channel technology.",
        errors=((404, "Endpoints not found"),),
    ),
    op(
        "GET /endpoints/{tech}/{resource}",
        "get",
        "Endpoint",
        "One endpoint.",
        errors=((400, "Invalid parameters for sending a message."), (404, "Endpoints not found")),
    ),
    op(
        "PUT /endpoints/{tech}/{resource}/sendMessage",
        "sendMessageToEndpoint",
        "void",
        "Send an out-of-call text message to one endpoint.",
        query("from", required=True),
        query("body"),
        body("variables"),
        errors=((400, "Invalid parameters for sending a message."), (404, "Endpoint not found")),
    ),
    op(
        "POST /endpoints/{tech}/{resource}/refer",
        "referToEndpoint",
        "void",
        "Refer one endpoint to another destination.",
        query("from", required=True),
        query("refer_to", required=True),
        query("to_self", "boolean", default=False),
        body("variables"),
        errors=((400, "Invalid parameters for referring."), (404, "Endpoint not found")),
    ),
    # channels
    op("GET /channels", "list", "List[Channel]", "Every active channel."),
    op(
        "POST /channels",
        "originate",
        "Channel",
        "Create a channel, dial it, and hand it to the dialplan or to an application.",
        query("endpoint", required=True),
        query("extension"),
        query("context"),
        query("priority", "long"),
        query("label"),
        query("app"),
        query("appArgs"),
        query("callerId"),
        query("timeout", "int", default=30),
        body("variables"),
        query("channelId"),
        query("otherChannelId"),
        query("originator"),
        query("formats"),
        errors=(
            (400, "Invalid parameters for originating a channel."),
            (409, "Channel with given unique ID already exists."),
        ),
    ),
    op(
        "POST /channels/create",
        "create",
        "Channel",
        "Create a channel without dialing it (dial it later).",
        query("endpoint", required=True),
        query("app", required=True),
        query("appArgs"),
        query("channelId"),
        query("otherChannelId"),
        query("originator"),
        query("formats"),
        body("variables"),
        errors=((409, "Channel with given unique ID already exists."),),
    ),
    op("GET /channels/{channelId}", "get", "Channel", "One channel.", errors=((404, "Channel not found"),)),
    op(
        "POST /channels/{channelId}",
        "originateWithId",
        "Channel",
        "Originate, choosing the new channel's id.",
        query("endpoint", required=True),
        query("extension"),
        query("context"),
        query("priority", "long"),
        query("label"),
        query("app"),
        query("appArgs"),
        query("callerId"),
        query("timeout", "int", default=30),
        body("variables"),
        query("otherChannelId"),
        query("originator"),
        query("formats"),
        errors=(
            (400, "Invalid parameters for originating a channel."),
            (409, "Channel with given unique ID already exists."),
        ),
    ),
    op(
        "DELETE /channels/{channelId}",
        "hangup",
        "void",
        "Hang up a channel.",
        query("reason_code"),
        query(
            "reason",
            values=HANGUP_REASONS,
        ),
        errors=((400, "Invalid reason for hangup provided"), (404, "Channel not found")),
    ),
    op(
        "POST /channels/{channelId}/continue",
        "continueInDialplan",
        "void",
        "Leave the application and continue in the dialplan.",
        query("context"),
        query("extension"),
        query("priority", "int"),
        query("label"),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/move",
        "move",
        "void",
        "Move a channel to another Stasis application.",
        query("app", required=True),
        query("appArgs"),
        errors=((404, "Channel not found"), (409, "Channel not in a Stasis application")),
    ),
    op(
        "POST /channels/{channelId}/redirect",
        "redirect",
        "void",
        "Redirect a channel to another endpoint (transfer).",
        query("endpoint", required=True),
        errors=(
            (400, "Endpoint parameter not provided"),
            (404, "Channel or endpoint not found"),
            (409, "Channel not in a Stasis application"),
            (422, "Endpoint is not the same type as the channel"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/answer",
        "answer",
        "void",
        "Answer a channel.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/ring",
        "ring",
        "void",
        "Indicate ringing to a channel.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "DELETE /channels/{channelId}/ring",
        "ringStop",
        "void",
        "Stop the ringing indication.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/progress",
        "progress",
        "void",
        "Indicate call progress (early media) to a channel.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/dtmf",
        "sendDTMF",
        "void",
        "Send DTMF digits to a channel.",
        query("dtmf"),
        query("before", "int", default=0),
        query("between", "int", default=100),
        query("duration", "int", default=100),
        query("after", "int", default=0),
        errors=(
            (400, "DTMF is required"),
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/mute",
        "mute",
        "void",
        "Mute a channel's audio in one or both directions.",
        query("direction", values=("both", "in", "out"), default="both"),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "DELETE /channels/{channelId}/mute",
        "unmute",
        "void",
        "Unmute a channel's audio.",
        query("direction", values=("both", "in", "out"), default="both"),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/hold",
        "hold",
        "void",
        "Put a channel on hold.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "DELETE /channels/{channelId}/hold",
        "unhold",
        "void",
        "Take a channel off hold.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/moh",
        "startMoh",
        "void",
        "Start music on hold for a channel.",
        query("mohClass"),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "DELETE /channels/{channelId}/moh",
        "stopMoh",
        "void",
        "Stop music on hold.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/silence",
        "startSilence",
        "void",
        "Play silence to a channel.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "DELETE /channels/{channelId}/silence",
        "stopSilence",
        "void",
        "Stop playing silence.",
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/play",
        "play",
        "Playback",
        "Play media to a channel; the server picks the playback id.",
        query("media", required=True, multiple=True),
        query("lang"),
        query("offsetms", "int"),
        query("skipms", "int", default=3000),
        query("playbackId"),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/play/{playbackId}",
        "playWithId",
        "Playback",
        "Play media to a channel under the given playback id.",
        query("media", required=True, multiple=True),
        query("lang"),
        query("offsetms", "int"),
        query("skipms", "int", default=3000),
        errors=(
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    op(
        "POST /channels/{channelId}/record",
        "record",
        "LiveRecording",
        "Record a channel's audio.",
        query("name", required=True),
        query("format", required=True),
        query("maxDurationSeconds", "int", min=0, default=0),
        query("maxSilenceSeconds", "int", min=0, default=0),
        query("ifExists", values=("fail", "overwrite", "append"), default="fail"),
        query("beep", "boolean", default=False),
        query("terminateOn", values=("none", "any", "*", "#"), default="none"),
        errors=(
            (400, "Invalid parameters"),
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application or bridged, or the recording may not be overwritten"),
            (422, "The format specified is unknown on this system"),
        ),
    ),
    op(
        "GET /channels/{channelId}/variable",
        "getChannelVar",
        "Variable",
        "Read a channel variable or function.",
        query("variable", required=True),
        errors=(
            (400, "Missing variable parameter."),
            (404, "Channel or variable not found"),
            (409, "Channel not in a Stasis application"),
        ),
    ),
    op(
        "POST /channels/{channelId}/variable",
        "setChannelVar",
        "void",
        "Write a channel variable or function.",
        query("variable", required=True),
        query("value"),
        query("report_events", "boolean", default=False),
        errors=(
            (400, "Missing variable parameter."),
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
        ),
    ),
    op(
        "GET /channels/{channelId}/variables",
        "getChannelVars",
        "Variables",
        "Read several channel variables at once.",
        query("variables", required=True, multiple=True),
        errors=(
            (400, "Missing variables parameter."),
            (404, "Channel or variable not found"),
            (409, "Channel not in a Stasis application"),
        ),
    ),
    op(
        "POST /channels/{channelId}/variables",
        "setChannelVars",
        "void",
        "Write several channel variables at once.",
        body("variables", required=True),
        errors=(
            (400, "Missing variables parameter."),
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
        ),
    ),
    op(
        "POST /channels/{channelId}/snoop",
        "snoopChannel",
        "Channel",
        "Start snooping (spy/whisper) on a channel.",
        query("spy", values=("none", "both", "out", "in"), default="none"),
        query("whisper", values=("none", "both", "out", "in"), default="none"),
        query("app", required=True),
        query("appArgs"),
        query("snoopId"),
        errors=((400, "Invalid parameters"), (404, "Channel not found")),
    ),
    op(
        "POST /channels/{channelId}/snoop/{snoopId}",
        "snoopChannelWithId",
        "Channel",
        "Start snooping on a channel, choosing the snoop channel's id.",
        query("spy", values=("none", "both", "out", "in"), default="none"),
        query("whisper", values=("none", "both", "out", "in"), default="none"),
        query("app", required=True),
        query("appArgs"),
        errors=((400, "Invalid parameters"), (404, "Channel not found")),
    ),
    op(
        "POST /channels/{channelId}/dial",
        "dial",
        "void",
        "Dial a channel created with create.",
        query("caller"),
        query("timeout", "int", min=0, default=0),
        errors=((404, "Channel cannot be found."), (409, "Channel cannot be dialed.")),
    ),
    op(
        "GET /channels/{channelId}/rtp_statistics",
        "rtpstatistics",
        "RTPstat",
        "RTP statistics of a channel.",
        errors=((404, "Channel cannot be found."),),
    ),
    op(
        "POST /channels/externalMedia",
        "externalMedia",
        "Channel",
        "Create a channel that exchanges media with an external server.",
        query("channelId"),
        query("app", required=True),
        body("variables"),
        query("external_host"),
        query("encapsulation", values=("rtp", "audiosocket", "none"), default="rtp"),
        query("transport", values=("udp", "tcp", "websocket"), default="udp"),
        query("connection_type", values=("client", "server"), default="client"),
        query("format", required=True),
        query("direction", values=("both",), default="both"),
        query("data"),
        query("transport_data"),
        errors=(
            (400, "Invalid parameters"),
            (409, "Channel is not in a Stasis application; Channel is already bridged"),
        ),
    ),
    op(
        "POST /channels/{channelId}/transfer_progress",
        "transfer_progress",
        "void",
        "Tell a channel how its attended or blind transfer is going.",
        query("states", required=True),
        errors=(
            (400, "Endpoint parameter not provided"),
            (404, "Channel or endpoint not found"),
            (409, "Channel not in a Stasis application"),
            (412, "Channel in invalid state"),
        ),
    ),
    # bridges
    op("GET /bridges", "list", "List[Bridge]", "Every bridge."),
    op(
        "POST /bridges",
        "create",
        "Bridge",
        "Create a bridge.",
        query("type"),
        query("bridgeId"),
        query("name"),
        body("variables"),
        errors=((409, "Bridge with the same bridgeId already exists"),),
    ),
    op(
        "POST /bridges/{bridgeId}",
        "createWithId",
        "Bridge",
        "Create a bridge with the given id, or update it.",
        query("type"),
        query("name"),
        body("variables"),
        errors=((409, "Bridge with the same bridgeId already exists"),),
    ),
    op("GET /bridges/{bridgeId}", "get", "Bridge", "One bridge.", errors=((404, "Bridge not found"),)),
    op(
        "DELETE /bridges/{bridgeId}",
        "destroy",
        "void",
        "Destroy a bridge; its channels stay in their application.",
        errors=((404, "Bridge not found"),),
    ),
    op(
        "GET /bridges/{bridgeId}/variable",
        "getBridgeVar",
        "Variable",
        "Read a bridge variable.",
        query("variable", required=True),
        errors=(
            (400, "Missing variable parameter."),
            (404, "Bridge or variable not found"),
            (409, "Bridge not in a Stasis application"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/variable",
        "setBridgeVar",
        "void",
        "Write a bridge variable.",
        query("variable", required=True),
        query("value"),
        query("report_events", "boolean", default=False),
        errors=(
            (400, "Missing variable parameter."),
            (404, "Bridge not found"),
            (409, "Bridge not in a Stasis application"),
        ),
    ),
    op(
        "GET /bridges/{bridgeId}/variables",
        "getBridgeVars",
        "Variables",
        "Read several bridge variables at once.",
        query("variables", required=True, multiple=True),
        errors=(
            (400, "Missing variables parameter."),
            (404, "Bridge or variable not found"),
            (409, "Bridge not in a Stasis application"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/variables",
        "setBridgeVars",
        "void",
        "Write several bridge variables at once.",
        body("variables", required=True),
        errors=(
            (400, "Missing variables parameter."),
            (404, "Bridge not found"),
            (409, "Bridge not in a Stasis application"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/addChannel",
        "addChannel",
        "void",
        "Put channels into a bridge.",
        query("channel", required=True, multiple=True),
        query("role"),
        query("absorbDTMF", "boolean", default=False),
        query("mute", "boolean", default=False),
        query("inhibitConnectedLineUpdates", "boolean", default=False),
        errors=(
            (400, "Channel not found"),
            (404, "Bridge not found"),
            (409, "Bridge not in Stasis application; Channel currently recording"),
            (422, "Channel not in Stasis application"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/removeChannel",
        "removeChannel",
        "void",
        "Take channels out of a bridge.",
        query("channel", required=True, multiple=True),
        errors=(
            (400, "Channel not found"),
            (404, "Bridge not found"),
            (409, "Bridge not in Stasis application"),
            (422, "Channel not in this bridge"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/videoSource/{channelId}",
        "setVideoSource",
        "void",
        "Make one channel the video source of a bridge.",
        errors=(
            (404, "Bridge or Channel not found"),
            (409, "Channel not in Stasis application"),
            (422, "Channel not in this Bridge"),
        ),
    ),
    op(
        "DELETE /bridges/{bridgeId}/videoSource",
        "clearVideoSource",
        "void",
        "Go back to the bridge's automatic video source.",
        errors=((404, "Bridge not found"),),
    ),
    op(
        "POST /bridges/{bridgeId}/moh",
        "startMoh",
        "void",
        "Start music on hold in a bridge.",
        query("mohClass"),
        errors=((404, "Bridge not found"), (409, "Bridge not in Stasis application")),
    ),
    op(
        "DELETE /bridges/{bridgeId}/moh",
        "stopMoh",
        "void",
        "Stop music on hold in a bridge.",
        errors=((404, "Bridge not found"), (409, "Bridge not in Stasis application")),
    ),
    op(
        "POST /bridges/{bridgeId}/play",
        "play",
        "Playback",
        "Play media to everyone in a bridge; the server picks the playback id.",
        query("media", required=True, multiple=True),
        query("announcer_format"),
        query("lang"),
        query("offsetms", "int", min=0, default=0),
        query("skipms", "int", min=0, default=3000),
        query("playbackId"),
        errors=(
            (404, "Bridge not found"),
            (409, "Bridge not in a Stasis application"),
            (422, "The format specified is unknown on this system"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/play/{playbackId}",
        "playWithId",
        "Playback",
        "Play media to everyone in a bridge under the given playback id.",
        query("media", required=True, multiple=True),
        query("announcer_format"),
        query("lang"),
        query("offsetms", "int", min=0, default=0),
        query("skipms", "int", min=0, default=3000),
        errors=(
            (404, "Bridge not found"),
            (409, "Bridge not in a Stasis application"),
            (422, "The format specified is unknown on this system"),
        ),
    ),
    op(
        "POST /bridges/{bridgeId}/record",
        "record",
        "LiveRecording",
        "Record a bridge's mixed audio.",
        query("name", required=True),
        query("format", required=True),
        query("recorder_format"),
        query("maxDurationSeconds", "int", min=0, default=0),
        query("maxSilenceSeconds", "int", min=0, default=0),
        query("ifExists", values=("fail", "overwrite", "append"), default="fail"),
        query("beep", "boolean", default=False),
        query("terminateOn", values=("none", "any", "*", "#"), default="none"),
        errors=(
            (400, "Invalid parameters"),
            (404, "Bridge not found"),
            (409, "Bridge not in a Stasis application, or the recording may not be overwritten"),
            (422, "The format specified is unknown on this system"),
        ),
    ),
    # recordings
    op("GET /recordings/stored", "listStored", "List[StoredRecording]", "Every stored recording."),
    op(
        "GET /recordings/stored/{recordingName}",
        "getStored",
        "StoredRecording",
        "One stored recording.",
        errors=((404, "Recording not found"),),
    ),
    op(
        "DELETE /recordings/stored/{recordingName}",
        "deleteStored",
        "void",
        "Delete a stored recording.",
        errors=((404, "Recording not found"),),
    ),
    op(
        "GET /recordings/stored/{recordingName}/file",
        "getStoredFile",
        "binary",
        "The audio file of a stored recording.",
        errors=((403, "The recording file could not be opened"), (404, "Recording not found")),
    ),
    op(
        "POST /recordings/stored/{recordingName}/copy",
        "copyStored",
        "StoredRecording",
        "Copy a stored recording under a new name.",
        query("destinationRecordingName", required=True),
        errors=(
            (404, "Recording not found"),
            (409, "A recording with the same name already exists on the system"),
        ),
    ),
    op(
        "GET /recordings/live/{recordingName}",
        "getLive",
        "LiveRecording",
        "A recording in progress.",
        errors=((404, "Recording not found"),),
    ),
    op(
        "DELETE /recordings/live/{recordingName}",
        "cancel",
        "void",
        "Stop a live recording and throw it away.",
        errors=((404, "Recording not found"),),
    ),
    op(
        "POST /recordings/live/{recordingName}/stop",
        "stop",
        "void",
        "Stop a live recording and keep it.",
        errors=((404, "Recording not found"),),
    ),
    op(
        "POST /recordings/live/{recordingName}/pause",
        "pause",
        "void",
        "Pause a live recording.",
        errors=((404, "Recording not found"), (409, "Recording not in session")),
    ),
    op(
        "DELETE /recordings/live/{recordingName}/pause",
        "unpause",
        "void",
        "Resume a paused recording.",
        errors=((404, "Recording not found"), (409, "Recording not in session")),
    ),
    op(
        "POST /recordings/live/{recordingName}/mute",
        "mute",
        "void",
        "Record silence until unmuted.",
        errors=((404, "Recording not found"), (409, "Recording not in session")),
    ),
    op(
        "DELETE /recordings/live/{recordingName}/mute",
        "unmute",
        "void",
        "Record audio again after a mute.",
        errors=((404, "Recording not found"), (409, "Recording not in session")),
    ),
    # sounds
    op(
        "GET /sounds",
        "list",
        "List[Sound]",
        "Every installed sound, optionally filtered by language or format.",
        query("lang"),
        query("format"),
    ),
    op("GET /sounds/{soundId}", "get", "Sound", "One sound and its languages and formats."),
    # playbacks
    op(
        "GET /playbacks/{playbackId}",
        "get",
        "Playback",
        "One playback.",
        errors=((404, "The playback cannot be found"),),
    ),
    op(
        "DELETE /playbacks/{playbackId}",
        "stop",
        "void",
        "Stop a playback (or drop it if still queued).",
        errors=((404, "The playback cannot be found"),),
    ),
    op(
        "POST /playbacks/{playbackId}/control",
        "control",
        "void",
        "Pause, unpause, restart, forward or reverse a playback.",
        query("operation", required=True, values=PLAYBACK_OPERATIONS),
        errors=(
            (400, "The provided operation parameter was invalid"),
            (404, "The playback cannot be found"),
            (409, "The operation cannot be performed in the playback's current state"),
        ),
    ),
    # deviceStates
    op("GET /deviceStates", "list", "List[DeviceState]", "Every device state controlled through ARI."),
    op("GET /deviceStates/{deviceName}", "get", "DeviceState", "One device state."),
    op(
        "PUT /deviceStates/{deviceName}",
        "update",
        "void",
        "Change a device state controlled through ARI.",
        query(
            "deviceState",
            required=True,
            values=("NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"),
        ),
        errors=((404, "Device name is missing"), (409, "Uncontrolled device specified")),
    ),
    op(
        "DELETE /deviceStates/{deviceName}",
        "delete",
        "void",
        "Forget a device state controlled through ARI.",
        errors=((404, "Device name is missing"), (409, "Uncontrolled device specified")),
    ),
    # mailboxes
    op("GET /mailboxes", "list", "List[Mailbox]", "Every mailbox."),
    op(
        "GET /mailboxes/{mailboxName}", "get", "Mailbox", "One mailbox.", errors=((404, "Mailbox not found"),)
    ),
    op(
        "PUT /mailboxes/{mailboxName}",
        "update",
        "void",
        "Change a mailbox's message counts.",
        query("oldMessages", "int", required=True),
        query("newMessages", "int", required=True),
        errors=((404, "Mailbox not found"),),
    ),
    op(
        "DELETE /mailboxes/{mailboxName}",
        "delete",
        "void",
        "Remove a mailbox.",
        errors=((404, "Mailbox not found"),),
    ),
    # events
    op(
        "GET /events",
        "eventWebsocket",
        "Message",
        "The WebSocket that carries an application's events.",
        query("app", required=True, multiple=True),
        query("subscribeAll", "boolean"),
        websocket=True,
    ),
    op(
        "POST /events/user/{eventName}",
        "userEvent",
        "void",
        "Send a user event to an application.",
        query("application", required=True),
        query("source", multiple=True),
        body("variables"),
        errors=(
            (404, "Application does not exist."),
            (422, "Event source not found."),
            (400, "Invalid even tsource URI or userevent data."),
        ),
    ),
    op(
        "POST /events/claim",
        "claimChannel",
        "void",
        "Claim a broadcast channel for an application (the first claim wins).",
        query("channelId", required=True),
        query("application", required=True),
        errors=(
            (404, "Channel not found or not in broadcast state."),
            (409, "Channel has already been claimed by another application."),
        ),
    ),
    # applications
    op("GET /applications", "list", "List[Application]", "Every application registered by a WebSocket."),
    op(
        "GET /applications/{applicationName}",
        "get",
        "Application",
        "One application and what it is subscribed to.",
        errors=((404, "Application does not exist."),),
    ),
    op(
        "POST /applications/{applicationName}/subscription",
        "subscribe",
        "Application",
        "Subscribe an application to a channel, bridge, endpoint or device state.",
        query("eventSource", required=True, multiple=True),
        errors=(
            (400, "Missing parameter."),
            (404, "Application does not exist."),
            (422, "Event source does not exist."),
        ),
    ),
    op(
        "DELETE /applications/{applicationName}/subscription",
        "unsubscribe",
        "Application",
        "Undo a subscription.",
        query("eventSource", required=True, multiple=True),
        errors=(
            (400, "Missing parameter; event source scheme not recognized."),
            (404, "Application does not exist."),
            (409, "Application not subscribed to event source."),
            (422, "Event source does not exist."),
        ),
    ),
    op(
        "PUT /applications/{applicationName}/eventFilter",
        "filter",
        "Application",
        "Choose which event types an application receives.",
        body("filter", "object"),
        errors=((400, "Bad request."), (404, "Application does not exist.")),
    ),
)

OPERATIONS: dict[str, Operation] = {o.key: o for o in ROUTES}
