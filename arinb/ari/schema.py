"""The ARI object models Asterisk 22 declares in its api-docs (``Channel``, ``Playback``, every event).

Each model is written once here; the simulator serves them in ``/ari/api-docs`` and :mod:`arinb.ari.events`
derives the event catalog from them.

>>> [p.name for p in MODEL_BY_ID["PlaybackFinished"].props]
['playback']
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODELS", "MODEL_BY_ID", "Model", "Prop", "model"]


@dataclass(frozen=True, slots=True)
class Prop:
    """One property of a model."""

    name: str
    type: str = "string"
    required: bool = True
    values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Model:
    """A JSON object shape (``Channel``, ``Playback``, ``StasisStart``, ...)."""

    id: str
    props: tuple[Prop, ...]
    extends: str | None = None
    discriminator: str | None = None


def model(
    id: str,
    props: str,
    *,
    extends: str | None = None,
    values: dict[str, tuple[str, ...]] | None = None,
    discriminator: str | None = None,
) -> Model:
    """Declare a model from ``"name other?:int more:List[string]"``.

    Each word is a property: ``?`` marks it optional, ``:type`` gives a type other than ``string``.

    >>> model("CallerID", "name number?:int").props[1]
    Prop(name='number', type='int', required=False, values=None)
    """
    parsed = []
    for word in props.split():
        name, _, type_ = word.partition(":")
        optional = name.endswith("?")
        name = name.rstrip("?")
        parsed.append(Prop(name, type_ or "string", not optional, (values or {}).get(name)))
    return Model(id, tuple(parsed), extends, discriminator)


# The models of each declaration, as Asterisk 22 groups them (a model is declared once, in one resource).
MODELS: dict[str, tuple[Model, ...]] = {
    "asterisk": (
        model("BuildInfo", "os kernel options machine date user"),
        model("SystemInfo", "version entity_id"),
        model("SetId", "user group"),
        model(
            "ConfigInfo",
            "name default_language max_channels?:int max_open_files?:int max_load?:double setid:SetId",
        ),
        model("StatusInfo", "startup_time:Date last_reload_time:Date"),
        model("AsteriskInfo", "build?:BuildInfo system?:SystemInfo config?:ConfigInfo status?:StatusInfo"),
        model("AsteriskPing", "asterisk_id ping timestamp"),
        model("Module", "name description use_count:int status support_level"),
        model("LogChannel", "channel type status configuration"),
        model("Variable", "value"),
        model("Variables", "variables:object"),
        model("ConfigTuple", "attribute value"),
    ),
    "endpoints": (
        model(
            "Endpoint",
            "technology resource state? channel_ids:List[string]",
            values={"state": ("unknown", "offline", "online")},
        ),
        model("TextMessage", "from to body variables?:object"),
    ),
    "channels": (
        model("Dialed", ""),
        model("DialplanCEP", "context exten priority:long app_name app_data"),
        model("CallerID", "name number"),
        model(
            "RTPstat",
            "txcount:int rxcount:int txjitter?:double rxjitter?:double remote_maxjitter?:double "
            "remote_minjitter?:double remote_normdevjitter?:double remote_stdevjitter?:double "
            "local_maxjitter?:double local_minjitter?:double local_normdevjitter?:double "
            "local_stdevjitter?:double txploss:int rxploss:int remote_maxrxploss?:double "
            "remote_minrxploss?:double remote_normdevrxploss?:double remote_stdevrxploss?:double "
            "local_maxrxploss?:double local_minrxploss?:double local_normdevrxploss?:double "
            "local_stdevrxploss?:double rtt?:double maxrtt?:double minrtt?:double normdevrtt?:double "
            "stdevrtt?:double local_ssrc:int remote_ssrc:int txoctetcount:int rxoctetcount:int "
            "channel_uniqueid",
        ),
        model(
            "Channel",
            "id protocol_id name state caller:CallerID connected:CallerID accountcode "
            "dialplan:DialplanCEP creationtime:Date language channelvars?:object caller_rdnis? "
            "tenantid?",
            values={
                "state": (
                    "Down",
                    "Rsrved",
                    "OffHook",
                    "Dialing",
                    "Ring",
                    "Ringing",
                    "Up",
                    "Busy",
                    "Dialing Offhook",
                    "Pre-ring",
                    "Unknown",
                )
            },
        ),
    ),
    "bridges": (
        model(
            "Bridge",
            "id technology bridge_type bridge_class creator name channels:List[string] video_mode? "
            "video_source_id? creationtime:Date bridgevars?:object",
            values={"bridge_type": ("mixing", "holding")},
        ),
    ),
    "recordings": (
        model("StoredRecording", "name format"),
        model(
            "LiveRecording",
            "name format target_uri state duration?:int talking_duration?:int silence_duration?:int cause?",
            values={"state": ("queued", "recording", "paused", "done", "failed", "canceled")},
        ),
    ),
    "sounds": (
        model("FormatLangPair", "language format"),
        model("Sound", "id text? formats:List[FormatLangPair]"),
    ),
    "playbacks": (
        model(
            "Playback",
            "id media_uri next_media_uri? target_uri language? state",
            values={"state": ("queued", "playing", "continuing", "done", "failed")},
        ),
    ),
    "deviceStates": (
        model(
            "DeviceState",
            "name state",
            values={
                "state": (
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
            },
        ),
    ),
    "mailboxes": (model("Mailbox", "name old_messages:int new_messages:int"),),
    "events": (
        model("Message", "type asterisk_id?", discriminator="type"),
        model("MissingParams", "params:List[string]", extends="Message"),
        model("Event", "application timestamp:Date", extends="Message"),
        model(
            "ContactInfo",
            "uri contact_status aor roundtrip_usec?",
            values={"contact_status": ("Unreachable", "Reachable", "Unknown", "NonQualified", "Removed")},
        ),
        model("Peer", "peer_status cause? address? port? time?"),
        model("DeviceStateChanged", "device_state:DeviceState", extends="Event"),
        model("PlaybackStarted", "playback:Playback", extends="Event"),
        model("PlaybackContinuing", "playback:Playback", extends="Event"),
        model("PlaybackFinished", "playback:Playback", extends="Event"),
        model("RecordingStarted", "recording:LiveRecording", extends="Event"),
        model("RecordingFinished", "recording:LiveRecording", extends="Event"),
        model("RecordingFailed", "recording:LiveRecording", extends="Event"),
        model("ApplicationMoveFailed", "channel:Channel destination args:List[string]", extends="Event"),
        model("ApplicationRegistered", "", extends="Event"),
        model("ApplicationUnregistered", "", extends="Event"),
        model("ApplicationReplaced", "", extends="Event"),
        model("BridgeCreated", "bridge:Bridge", extends="Event"),
        model("BridgeDestroyed", "bridge:Bridge", extends="Event"),
        model("BridgeMerged", "bridge:Bridge bridge_from:Bridge", extends="Event"),
        model("BridgeVideoSourceChanged", "bridge:Bridge old_video_source_id?", extends="Event"),
        model(
            "BridgeBlindTransfer",
            "channel:Channel replace_channel?:Channel transferee?:Channel exten context result "
            "is_external:boolean bridge?:Bridge",
            extends="Event",
        ),
        model(
            "BridgeAttendedTransfer",
            "transferer_first_leg:Channel transferer_second_leg:Channel replace_channel?:Channel "
            "transferee?:Channel transfer_target?:Channel result is_external:boolean "
            "transferer_first_leg_bridge?:Bridge transferer_second_leg_bridge?:Bridge "
            "destination_type destination_bridge? destination_application? "
            "destination_link_first_leg?:Channel destination_link_second_leg?:Channel "
            "destination_threeway_channel?:Channel destination_threeway_bridge?:Bridge",
            extends="Event",
        ),
        model("ChannelCreated", "channel:Channel", extends="Event"),
        model("ChannelDestroyed", "cause:int cause_txt tech_cause?:int channel:Channel", extends="Event"),
        model("ChannelEnteredBridge", "bridge:Bridge channel?:Channel", extends="Event"),
        model("ChannelLeftBridge", "bridge:Bridge channel:Channel", extends="Event"),
        model("ChannelStateChange", "channel:Channel", extends="Event"),
        model("ChannelDtmfReceived", "digit duration_ms:int channel:Channel", extends="Event"),
        model("ChannelDialplan", "channel:Channel dialplan_app dialplan_app_data", extends="Event"),
        model(
            "ChannelCallerId",
            "caller_presentation:int caller_presentation_txt channel:Channel",
            extends="Event",
        ),
        model(
            "ChannelUserevent",
            "eventname channel?:Channel bridge?:Bridge endpoint?:Endpoint userevent:object",
            extends="Event",
        ),
        model(
            "ChannelHangupRequest",
            "cause?:int tech_cause?:int soft?:boolean channel:Channel",
            extends="Event",
        ),
        model("ChannelVarset", "variable value channel?:Channel", extends="Event"),
        model("ChannelHold", "channel:Channel musicclass?", extends="Event"),
        model("ChannelUnhold", "channel:Channel", extends="Event"),
        model("ChannelToneDetected", "channel:Channel", extends="Event"),
        model("ChannelTalkingStarted", "channel:Channel", extends="Event"),
        model("ChannelTalkingFinished", "channel:Channel duration:int", extends="Event"),
        model("ContactStatusChange", "endpoint:Endpoint contact_info:ContactInfo", extends="Event"),
        model("PeerStatusChange", "endpoint:Endpoint peer:Peer", extends="Event"),
        model("EndpointStateChange", "endpoint:Endpoint", extends="Event"),
        model(
            "Dial",
            "caller?:Channel peer:Channel forward? forwarded?:Channel dialstring? dialstatus",
            extends="Event",
        ),
        model("StasisEnd", "channel:Channel", extends="Event"),
        model("StasisStart", "args:List[string] channel:Channel replace_channel?:Channel", extends="Event"),
        model("TextMessageReceived", "message:TextMessage endpoint?:Endpoint", extends="Event"),
        model("ChannelConnectedLine", "channel:Channel", extends="Event"),
        model("ChannelTransfer", "state? refer_to:ReferTo referred_by:ReferredBy", extends="Event"),
        model(
            "ReferTo",
            "requested_destination:RequiredDestination destination_channel?:Channel "
            "connected_channel?:Channel bridge?:Bridge",
        ),
        model("ReferredBy", "source_channel:Channel connected_channel?:Channel bridge?:Bridge"),
        model(
            "RequiredDestination",
            "protocol_id? destination? additional_protocol_params?:List[AdditionalParam]",
        ),
        model("AdditionalParam", "parameter_name parameter_value"),
        model("RESTHeader", "name value"),
        model("RESTQueryStringParameter", "name value"),
        model(
            "RESTRequest",
            "type transaction_id request_id method uri content_type? "
            "query_strings?:List[RESTQueryStringParameter] message_body?",
        ),
        model(
            "RESTResponse",
            "transaction_id request_id status_code:int reason_phrase uri content_type? message_body?",
            extends="Event",
        ),
        model("CallBroadcast", "channel:Channel caller? called?", extends="Event"),
        model("CallClaimed", "channel:Channel winner_app", extends="Event"),
    ),
    "applications": (
        model(
            "Application",
            "name channel_ids:List[string] bridge_ids:List[string] endpoint_ids:List[string] "
            "device_names:List[string] events_allowed:List[object] events_disallowed:List[object]",
        ),
    ),
}


#: Every model by its id.
MODEL_BY_ID: dict[str, Model] = {m.id: m for group in MODELS.values() for m in group}
