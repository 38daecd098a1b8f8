"""Where Asterisk itself is racy: the only reorderings and alternative values the comparer accepts.

Everything else is compared strictly. Each entry cites where the race is documented (README.md / MORE.md in
``../shared/ari``). A few races are not spelled out there but the captures contradict each other about them
(the same operation's event before its response in one capture, after it in another), so no server could
match all captures without them: those entries say "not in README/MORE", carry ``evidence`` (the trace steps
showing both orders), and ``tests/conformance/test_harness.py`` checks that the evidence is really there.
``CAPTURE_LATENCIES`` lists the three one-off delays of the captures whose timing is not compared.

An order allowance says: these two observations may arrive in either order. It is decided on the *trace*
steps (both observations are paired with trace steps by then), so it cannot be widened by what a target sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .trace import Step, Trace

__all__ = [
    "CAPTURE_LATENCIES",
    "EVENT_VALUE_ALTERNATIVES",
    "ORDER_ALLOWANCES",
    "RACY_OUTCOMES",
    "REAL_SERVER_RACE",
    "VALUE_ALTERNATIVES",
    "CaptureLatency",
    "CrossSocketRace",
    "CrossThreadRace",
    "DeviceStateRace",
    "EventValueAlternative",
    "LocalHalvesRace",
    "ResponseEventRace",
    "ValueAlternative",
    "about_lost_recording",
    "capture_latency",
    "event_value_alternatives",
    "lost_racy_recording",
    "order_allowance",
    "racy_extra_event",
    "racy_outcome",
    "racy_recordings",
    "real_server_race",
    "value_alternatives",
]


@dataclass(frozen=True)
class ResponseEventRace:
    """A response to ``method path`` and an event of ``events`` about the same object may swap.

    ``reach="own"``: only the request's own response. ``reach="until-event"``: the event may also come after
    the responses to later requests that the trace shows before it (it was still on its way).
    ``evidence`` lists ``(trace, response step, event step)`` showing both orders in the captures, for the
    races the docs do not spell out; test_harness.py checks every one.
    """

    name: str
    method: str
    path: re.Pattern[str]
    events: frozenset[str]
    relation: (
        str  # "channel" | "channel-or-peer" | "originated" | "bridge" | "bridge-playback" | "created-bridge"
    )
    cite: str
    reach: str = "own"
    evidence: tuple[tuple[str, int, int], ...] = ()

    def related(self, trace: Trace, response: Step, request: Step, event: Step) -> bool:
        m = self.path.match(request.path)
        if request.method != self.method or m is None or event.event_type not in self.events:
            return False
        ev = event.event
        if self.relation == "channel":
            ch = m.group("ch")
            channel = ev.get("channel") or {}
            playback = ev.get("playback") or {}
            return channel.get("id") == ch or playback.get("target_uri") == f"channel:{ch}"
        if self.relation == "channel-or-peer":
            base = _pair_base(_channel_name(trace, m.group("ch")))
            names = [o.get("name") for o in (ev.get("channel"), ev.get("peer")) if isinstance(o, dict)]
            return (ev.get("channel") or {}).get("id") == m.group("ch") or (
                base is not None and any(_pair_base(n) == base for n in names)
            )
        if self.relation == "originated":
            body = response.data.get("body") or {}
            base = _pair_base(body.get("name") if isinstance(body, dict) else None)
            return base is not None and _pair_base((ev.get("channel") or {}).get("name")) == base
        if self.relation == "bridge":
            return (ev.get("bridge") or {}).get("id") == m.group("br")
        if self.relation == "created-channel":
            body = response.data.get("body") or {}
            ident = body.get("id") if isinstance(body, dict) else None
            objects = [o for o in (ev.get("channel"), ev.get("peer")) if isinstance(o, dict)]
            return ident is not None and any(o.get("id") == ident for o in objects)
        if self.relation == "recording":
            return (ev.get("recording") or {}).get("target_uri") == f"channel:{m.group('ch')}"
        if self.relation == "bridge-playback":
            return (ev.get("playback") or {}).get("target_uri") == f"bridge:{m.group('br')}"
        if self.relation == "created-bridge":
            body = response.data.get("body") or {}
            return isinstance(body, dict) and (ev.get("bridge") or {}).get("id") == body.get("id")
        raise ValueError(self.relation)

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        """``a`` precedes ``b`` in the trace; may the replay deliver ``b`` first?"""
        for response, event in ((a, b), (b, a)):
            if response.kind != "response" or event.kind != "event":
                continue
            request = trace.steps[trace.request_of[response.index]]
            if self.related(trace, response, request, event):
                return True
            if self.reach == "until-event" and response is a:
                # The event's cause is an earlier matching request; this response came between them.
                for cause in trace.steps[event.index - 1 :: -1]:
                    if cause.kind == "request" and cause.index <= request.index:
                        cause_response = trace.steps[trace.response_of[cause.index]]
                        if self.related(trace, cause_response, cause, event):
                            return True
        return False


def _pair_base(name: Any) -> str | None:
    m = re.match(r"^(Local/.+);[12]$", name) if isinstance(name, str) else None
    return m.group(1) if m else None


def _channel_name(trace: Trace, channel_id: str) -> str | None:
    """The name the trace gives a channel id (from any event or response about it)."""
    for s in trace.steps:
        for obj in _objects(s):
            if obj.get("id") == channel_id and isinstance(obj.get("name"), str):
                return str(obj["name"])
    return None


def _objects(step: Step) -> list[dict[str, Any]]:
    if step.kind == "event":
        return [o for o in (step.event.get("channel"), step.event.get("peer")) if isinstance(o, dict)]
    body = step.data.get("body") if step.kind == "response" else None
    return [body] if isinstance(body, dict) else []


@dataclass(frozen=True)
class CrossSocketRace:
    """A media-socket message and what the other connections carry, caused by the same client action.

    An externalMedia channel's ``/media`` socket is its own TCP connection: Asterisk writes its messages
    (MEDIA_START, the close) from chan_websocket's thread and the ARI events from Stasis, so no order holds
    between the two connections within one action (ASTERISK22.md: "within 0.5 ms").
    """

    name: str
    cite: str
    evidence: tuple[tuple[str, int, int], ...] = ()

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        media = a.kind.startswith("media_ws") or b.kind.startswith("media_ws")
        return media and a.socket != b.socket and trace.anchor_action(a.index) == trace.anchor_action(b.index)


@dataclass(frozen=True)
class LocalHalvesRace:
    """Events about the two halves (``;1`` and ``;2``) of one Local channel may swap."""

    name: str
    cite: str

    @staticmethod
    def half(step: Step) -> tuple[str, str] | None:
        if step.kind != "event":
            return None
        ev = step.event
        obj = ev.get("channel") if isinstance(ev.get("channel"), dict) else ev.get("peer")
        name = obj.get("name", "") if isinstance(obj, dict) else ""
        m = re.match(r"^(Local/.+);([12])$", name)
        return (m.group(1), m.group(2)) if m else None

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        ha, hb = self.half(a), self.half(b)
        return ha is not None and hb is not None and ha[0] == hb[0] and ha[1] != hb[1]


@dataclass(frozen=True)
class DeviceStateRace:
    """A DeviceStateChanged may swap with what the same client action caused on channels of that device.

    Asterisk sends device states from its own device-state thread, so their place among the channel events
    of one operation varies. The swap is bounded: both observations follow the same client action in the
    trace, and the other one concerns a channel of that device (``Local/1000@default`` for
    ``Local/1000@default-00000043;1``), or is the response to a request on such a channel.
    """

    name: str
    cite: str
    evidence: tuple[tuple[str, int, int], ...] = ()  # (trace, earlier step, later step), both orders

    @staticmethod
    def device_of(trace: Trace, step: Step) -> str | None:
        names: list[Any] = []
        if step.kind == "event":
            names = [
                o.get("name")
                for o in (step.event.get("channel"), step.event.get("peer"))
                if isinstance(o, dict)
            ]
        elif step.kind == "response":
            request = trace.steps[trace.request_of[step.index]]
            m = re.match(r"^/ari/channels/([^/]+)", request.path)
            names = [_channel_name(trace, m.group(1))] if m else []
        for name in names:
            m = re.match(r"^(Local/[^;]+)-[0-9a-f]{8};[12]$", name) if isinstance(name, str) else None
            if m:
                return m.group(1)
        return None

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        for dsc, other in ((a, b), (b, a)):
            if dsc.kind != "event" or dsc.event_type != "DeviceStateChanged":
                continue
            device = (dsc.event.get("device_state") or {}).get("name")
            same_cause = trace.anchor_action(dsc.index) == trace.anchor_action(other.index)
            if same_cause and device is not None and self.device_of(trace, other) == device:
                return True
        return False


_CH = r"(?P<ch>[^/]+)"
_BR = r"(?P<br>[^/]+)"

ORDER_ALLOWANCES: tuple[ResponseEventRace | CrossSocketRace | LocalHalvesRace | DeviceStateRace, ...] = (
    ResponseEventRace(
        "play-201-vs-PlaybackStarted",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/play(/[^/]+)?$"),
        frozenset({"PlaybackStarted"}),
        "channel",
        'README "Playback facts": "Also, the PlaybackStarted event can arrive before the 201 response."',
    ),
    ResponseEventRace(
        "bridge-play-201-vs-PlaybackStarted",
        "POST",
        re.compile(rf"^/ari/bridges/{_BR}/play(/[^/]+)?$"),
        frozenset({"PlaybackStarted"}),
        "bridge-playback",
        'README "Playback facts" (the same stasis playback code serves bridges): "Also, the PlaybackStarted '
        'event can arrive before the 201 response."',
    ),
    ResponseEventRace(
        "bridge-membership-204-vs-event",
        "POST",
        re.compile(rf"^/ari/bridges/{_BR}/(addChannel|removeChannel)$"),
        frozenset({"ChannelEnteredBridge", "ChannelLeftBridge"}),
        "bridge",
        'MORE §1: "POST /bridges/{id}/addChannel and /removeChannel -> 204. The event can come just '
        'before or just after the 204."',
    ),
    ResponseEventRace(
        "bridge-create-vs-BridgeCreated",
        "POST",
        re.compile(r"^/ari/bridges(/[^/]+)?$"),
        frozenset({"BridgeCreated"}),
        "created-bridge",
        'MORE §1: "BridgeCreated is sent once per bridge, around each create response (bridge 1: just '
        'before its 200; test-bridge-b: 4 ms after its 200)".',
    ),
    # -- races the docs do not spell out, shown both ways by the captures (evidence checked by a test) --
    ResponseEventRace(
        "answer-vs-state-change",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/answer$"),
        frozenset({"ChannelStateChange", "ChannelVarset", "Dial"}),
        "channel-or-peer",
        "traces (not in README/MORE): the answer's ChannelStateChange comes before the 204 in 25 captures "
        "and after it in 14, even after the next play's 201 (probe-control #5/#7/#8); the Local peer's "
        "ChannelStateChange, Dial and ChannelVarset likewise (dtmf #17-#19 before #20, record-and-play "
        "#11-#13 after #9)",
        reach="until-event",
        evidence=(
            ("channel-state", 8, 7),
            ("dtmf", 20, 17),
            ("probe-answer-twice", 5, 7),
            ("probe-control", 5, 8),
            ("probe-control", 7, 8),
            ("record-and-play", 9, 11),
            ("dtmf", 20, 18),
            ("record-and-play", 9, 12),
            ("dtmf", 20, 19),
            ("record-and-play", 9, 13),
        ),
    ),
    ResponseEventRace(
        "hangup-vs-hangup-events",
        "DELETE",
        re.compile(rf"^/ari/channels/{_CH}$"),
        frozenset({"ChannelHangupRequest", "StasisEnd"}),
        "channel-or-peer",
        "traces (not in README/MORE): DELETE /channels' ChannelHangupRequest comes after the 204 in 46 "
        "captures and before it in 5 (probe-bad-scheme #20/#21), StasisEnd too "
        "(probe-dup-playback-id #17/#18); the Local peer's request, sent on the same hangup path right "
        "after, likewise (after the 204 in channel-variables #303/#309, before it when that trace was "
        "replayed against the real Asterisk 22.10.1 on 2026-12-06)",
        evidence=(
            ("tones", 14, 15),
            ("tones", 14, 16),
            ("probe-bad-scheme", 21, 20),
            ("probe-dup-playback-id", 18, 16),
            ("probe-dup-playback-id", 18, 17),
        ),
    ),
    ResponseEventRace(
        "connected-line-204-vs-ChannelConnectedLine",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/variables?$"),
        frozenset({"ChannelConnectedLine"}),
        "channel",
        "traces (not in README/MORE): a CONNECTEDLINE() write runs on the channel's control thread and its "
        "event takes another thread: ChannelConnectedLine after the 204 in channel-variables #162/#163, "
        "before it in #165/#166 (and in 8 of 8 sets of a probe run; an earlier capture also had a "
        "report_events ChannelVarset and a CALLERID() ChannelCallerId after their 204)",
        evidence=(("channel-variables", 162, 163), ("channel-variables", 166, 165)),
    ),
    ResponseEventRace(
        "originate-vs-ChannelCreated",
        "POST",
        re.compile(r"^/ari/channels$"),
        frozenset({"ChannelCreated"}),
        "originated",
        "traces (not in README/MORE): with subscribeAll, the two ChannelCreated of an originate come "
        "before its 200 in tones-subscribe-all (#2, #3 / #4) and after it in bridge-basic-subscribe-all "
        "(#2 / #3, #4)",
        evidence=(
            ("tones-subscribe-all", 4, 2),
            ("tones-subscribe-all", 4, 3),
            ("bridge-basic-subscribe-all", 2, 3),
            ("bridge-basic-subscribe-all", 2, 4),
        ),
    ),
    ResponseEventRace(
        "record-201-vs-RecordingStarted",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/record$"),
        frozenset({"RecordingStarted"}),
        "recording",
        'ASTERISK22.md (snoop-and-record): "The 201 body\'s state is either "queued" or "recording" (racy). '
        'RecordingStarted follows within about 0.5 ms"; record-max-duration has it after the 201 (#14/#15) '
        "and before it (#23/#24)",
        reach="until-event",
        evidence=(("record-max-duration", 14, 15), ("record-max-duration", 24, 23)),
    ),
    ResponseEventRace(
        "snoop-200-vs-StasisStart",
        "POST",
        re.compile(rf"^/ari/channels/{_CH}/snoop(/[^/]+)?$"),
        frozenset({"StasisStart"}),
        "created-channel",
        "ASTERISK22.md (snoop-and-record): the snoop's StasisStart \"arrives about 0.2-0.8 ms after the "
        '200"; "A record sent right after the 200 ... in 2 of them, the StasisStart arrived after the '
        "record's 201\"",
        reach="until-event",
    ),
    ResponseEventRace(
        "externalMedia-vs-Dial",
        "POST",
        re.compile(r"^/ari/channels/externalMedia$"),
        frozenset({"Dial"}),
        "created-channel",
        'ASTERISK22.md (external-media-websocket): "Event Dial(dialstatus "", dialstring "INCOMING") '
        "follows\" the 200; the dialing thread sends it, so it may pass the responses to the client's next "
        "requests (in the capture it came after the next GET's 200, #26/#28)",
        reach="until-event",
    ),
    CrossSocketRace(
        "media-socket-vs-events",
        'ASTERISK22.md: on connect "the first text frame is MEDIA_START ... Then, within 0.5 ms: '
        'ChannelStateChange(Up) ..."; the captures show both orders (ext1: MEDIA_START #38 first; ext2: '
        "ChannelStateChange #117 before MEDIA_START #118), and the client close's media_ws_closed #100 "
        "before ChannelHangupRequest #101",
        evidence=(
            ("external-media-websocket", 38, 39),
            ("external-media-websocket", 117, 118),
        ),
    ),
    DeviceStateRace(
        "device-state",
        "traces (not in README/MORE): after an answer, Dial comes before the two DeviceStateChanged in "
        "tones-subscribe-all (#22/#23) and after one in bridge-basic-subscribe-all (#25/#26); a "
        "DeviceStateChanged comes after the answer's 204 in tones-subscribe-all (#21/#23) and before it in "
        "bridge-basic-subscribe-all (#28/#32)",
        evidence=(
            ("tones-subscribe-all", 22, 23),
            ("bridge-basic-subscribe-all", 25, 26),
            ("tones-subscribe-all", 21, 23),
            ("bridge-basic-subscribe-all", 28, 32),
        ),
    ),
    LocalHalvesRace(
        "local-halves",
        "MORE §4 (dtmf): \"In an exploratory run, ;2's ChannelStateChange came first, so the relative order "
        'of the two halves\' events varies" and "(In an exploratory run, ChannelDestroyed(;1) came before '
        'StasisEnd(;2).)"',
    ),
)


@dataclass(frozen=True)
class CaptureLatency:
    """A one-off delay in one capture that the other captures of the same operation contradict.

    The delay of this step after its client action is not compared (everything else about it is); the
    replay still reacts to it when it arrives. test_harness.py checks the claim: the same operation's
    observation came within 5 ms in at least ten other captures.
    """

    trace: str
    step: int
    cite: str


CAPTURE_LATENCIES: tuple[CaptureLatency, ...] = (
    CaptureLatency("tones", 3, "StasisStart 270 ms after the originate; 1.4-4 ms in 41 other captures"),
    CaptureLatency("probe-no-media", 3, "StasisStart 63 ms after the originate; 1.4-4 ms in 41 others"),
    CaptureLatency("probe-number", 5, "answer 204 after 136 ms; 0.5-4.4 ms in 38 other captures"),
)


def capture_latency(trace: Trace, index: int) -> CaptureLatency | None:
    """The :class:`CaptureLatency` entry for this trace step, if any."""
    for entry in CAPTURE_LATENCIES:
        if entry.trace == trace.name and entry.step == index:
            return entry
    return None


def order_allowance(
    trace: Trace, a: Step, b: Step
) -> ResponseEventRace | CrossSocketRace | LocalHalvesRace | DeviceStateRace | RacyOutcome | None:
    """The allowance that lets trace steps ``a`` and ``b`` arrive in either order, if any."""
    for allowance in (*ORDER_ALLOWANCES, *RACY_OUTCOMES):
        if allowance.allows(trace, a, b):
            return allowance
    return None


@dataclass(frozen=True)
class CrossThreadRace:
    """On a real Asterisk only: a response and an event sent within ``window`` s of each other may swap.

    Asterisk writes a REST response from the HTTP request's thread and events from the Stasis threads, each on
    its own socket (or, for REST over the WebSocket, through the same socket from different threads). Two of
    them sent a fraction of a millisecond apart reach the client in either order: replaying the captures on
    Asterisk 22.10.1 (the build of ``../shared/tools/real-asterisk.sh``) swapped such pairs in 18 of 45
    traces, each pair less than 2 ms apart in the capture. The simulator is deterministic and keeps the
    captures' order, so this applies to real targets alone, and only where *both* the capture and the replay
    put the two within their windows: a response that comes tens of milliseconds late is still an order
    divergence.
    """

    name: str
    cite: str
    window: float = 0.0025  # capture: the two were sent this close together
    replay_window: float = 0.010  # replay: and they arrived this close together (a loaded client is slower)

    def allows(self, trace: Trace, a: Step, b: Step, replay_gap: float) -> bool:
        kinds = {a.kind, b.kind}
        # Sent by different threads: a response (HTTP thread) and an event; a RESTResponse (the socket's
        # request thread) and an event; a DeviceStateChanged (the device-state thread) and another event.
        other_thread = kinds == {"response", "event"} or (
            kinds == {"event"} and any(s.event_type in ("RESTResponse", "DeviceStateChanged") for s in (a, b))
        )
        if not other_thread:
            return False
        return abs(b.t - a.t) <= self.window and abs(replay_gap) <= self.replay_window


REAL_SERVER_RACE = CrossThreadRace(
    "response-vs-event-across-threads",
    "not in README/MORE: replaying the captures on a real Asterisk 22.10.1 (CrossThreadRace's docstring)",
)


def real_server_race(trace: Trace, a: Step, b: Step, replay_gap: float) -> CrossThreadRace | None:
    """The race that lets ``a`` and ``b`` swap on a real Asterisk beyond :data:`ORDER_ALLOWANCES`, if any."""
    return REAL_SERVER_RACE if REAL_SERVER_RACE.allows(trace, a, b, replay_gap) else None


@dataclass(frozen=True)
class ValueAlternative:
    """In the response to ``method path``, the body field ``field`` may take any of ``values``."""

    name: str
    method: str
    path: re.Pattern[str]
    field: str
    values: frozenset[Any]
    cite: str


VALUE_ALTERNATIVES: tuple[ValueAlternative, ...] = (
    ValueAlternative(
        "play-201-state",
        "POST",
        re.compile(r"^/ari/channels/[^/]+/play(/[^/]+)?$"),
        "state",
        frozenset({"queued", "playing"}),
        'README "Playback facts": the 201 "usually has "state":"queued". It is **racy**: in several traces '
        'it came back as "playing"".',
    ),
    ValueAlternative(
        "snoop-200-app-name",
        "POST",
        re.compile(r"^/ari/channels/[^/]+/snoop(/[^/]+)?$"),
        "dialplan.app_name",
        frozenset({"", "Stasis"}),
        'ASTERISK22.md (snoop-and-record): the 200 shows app_name "" before the snoop enters Stasis, which '
        'happens 0.2-0.8 ms later; snoop-and-record #92 caught it already in ("Stasis", "probe")',
    ),
    ValueAlternative(
        "snoop-200-app-data",
        "POST",
        re.compile(r"^/ari/channels/[^/]+/snoop(/[^/]+)?$"),
        "dialplan.app_data",
        frozenset({"", "probe"}),
        "as snoop-200-app-name (the captures' app is probe)",
    ),
    ValueAlternative(
        "record-201-state",
        "POST",
        re.compile(r"^/ari/channels/[^/]+/record$"),
        "state",
        frozenset({"queued", "recording"}),
        'ASTERISK22.md (snoop-and-record): "The 201 body\'s state is either "queued" or "recording" (racy)."',
    ),
)


@dataclass(frozen=True)
class EventValueAlternative:
    """In an event ``event_type`` whose ``match`` field (dotted) has ``match_value``, ``field`` may take
    any of ``values``."""

    name: str
    event_type: str
    match: str
    match_value: Any
    field: str
    values: frozenset[Any]
    cite: str


EVENT_VALUE_ALTERNATIVES: tuple[EventValueAlternative, ...] = (
    EventValueAlternative(
        "announcer-device-state",
        "DeviceStateChanged",
        "device_state.name",
        "Announcer/ARI",
        "device_state.state",
        frozenset({"INUSE", "UNKNOWN"}),
        "not in README/MORE: Asterisk works a device's state out on its device-state thread when it gets to "
        "the change, not when the change happened; the bridge's announcer is gone right after the playback, "
        "so the first of its two DeviceStateChanged is INUSE in bridge-basic-subscribe-all #61 and was "
        "UNKNOWN in two replays of that trace against the real Asterisk 22.10.1 (2026-12-06)",
    ),
)


def event_value_alternatives(event: dict[str, Any]) -> dict[str, frozenset[Any]]:
    """Event field -> accepted values, for this trace event."""
    out: dict[str, frozenset[Any]] = {}
    for alt in EVENT_VALUE_ALTERNATIVES:
        value: Any = event
        for key in alt.match.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if event.get("type") == alt.event_type and value == alt.match_value:
            out[alt.field] = alt.values
    return out


def value_alternatives(request: Step, status: int) -> dict[str, frozenset[Any]]:
    """Body field -> accepted values, for the response to this trace request."""
    out: dict[str, frozenset[Any]] = {}
    if status // 100 != 2:
        return out
    for alt in VALUE_ALTERNATIVES:
        if request.method == alt.method and alt.path.match(request.path):
            out[alt.field] = alt.values
    return out


# -- outcomes a real server decides by a race ------------------------------------------------------------


@dataclass(frozen=True)
class RacyOutcome:
    """A request sent while the request that creates its channel is still in flight (the trace shows it
    before that request's response): whichever the server handles first decides the status, so any of
    ``statuses`` is right, and the events of a recording that did start (when the trace's did not) are no
    surprise."""

    name: str
    path: re.Pattern[str]
    statuses: frozenset[int]
    cite: str

    def applies(self, trace: Trace, request: Step) -> bool:
        m = self.path.match(request.path) if request.method == "POST" else None
        if m is None:
            return False
        target = m.group("ch")
        response_index = trace.response_of.get(request.index)
        for step in trace.steps[: request.index]:
            if step.kind != "request" or step.method != "POST" or "/snoop" not in step.path:
                continue
            snoop_id = dict(step.query).get("snoopId") or step.path.rsplit("/snoop/", 1)[-1]
            answered = trace.response_of.get(step.index)
            if snoop_id == target and (answered is None or answered > request.index):
                return response_index is not None
            if answered is not None and "/snoop/" not in step.path and "snoopId" not in dict(step.query):
                snoop_id = (trace.steps[answered].data.get("body") or {}).get("id", snoop_id)  # server-made
            if snoop_id == target and _entered_after(trace, snoop_id, request.index):
                # Sent after the 200 but before the snoop's StasisStart: the snoop's own thread may not
                # have put it in Stasis yet (409 "Channel not in Stasis application"; snoop-and-record
                # #183/#184 got 201, its replay on the real Asterisk 22.10.1 on 2026-12-06 got 409).
                return response_index is not None
        return False

    def allows(self, trace: Trace, a: Step, b: Step) -> bool:
        """The racy request's response and the creating snoop's response or StasisStart: either order."""
        for mine, other in ((a, b), (b, a)):
            if mine.kind != "response" or mine.index not in trace.request_of:
                continue
            if not self.applies(trace, trace.steps[trace.request_of[mine.index]]):
                continue
            if other.kind == "event" and other.event_type == "StasisStart":
                return True
            if other.kind == "response" and other.index in trace.request_of:
                creator = trace.steps[trace.request_of[other.index]]
                return creator.method == "POST" and "/snoop" in creator.path
        return False


def _entered_after(trace: Trace, channel_id: str, index: int) -> bool:
    """True when the channel's StasisStart comes after trace step ``index`` (or never)."""
    for step in trace.steps:
        if (
            step.kind == "event"
            and step.event_type == "StasisStart"
            and (step.event.get("channel") or {}).get("id") == channel_id
        ):
            return step.index > index
    return True


RACY_OUTCOMES: tuple[RacyOutcome, ...] = (
    RacyOutcome(
        "record-during-snoop",
        re.compile(rf"^/ari/channels/{_CH}/record$"),
        frozenset({201, 404, 409}),
        "ASTERISK22.md (snoop-and-record): a record sent CONCURRENTLY with the snoop request (client-chosen "
        'snoopId): "In 10 such runs: 409 x3, 404 {"message":"Channel not found"} x4, 201 x3."; and one sent '
        "after the 200 but before the snoop's StasisStart (the snoop enters Stasis 0.2-0.8 ms after its "
        "200): 201 in the capture, 409 on a loaded real Asterisk",
    ),
)


def racy_outcome(trace: Trace, request: Step, status: int) -> RacyOutcome | None:
    """The racy outcome that accepts ``status`` for the response to ``request``, if any."""
    for outcome in RACY_OUTCOMES:
        if status in outcome.statuses and outcome.applies(trace, request):
            return outcome
    return None


def racy_recordings(trace: Trace) -> frozenset[str]:
    """Names of the racy records whose capture lost the race (the replay's may have won and stored one)."""
    names = set()
    for step in trace.steps:
        if step.kind != "request" or step.index not in trace.response_of:
            continue
        status = trace.steps[trace.response_of[step.index]].data.get("status")
        name = dict(step.query).get("name")
        if name and status != 201 and any(o.applies(trace, step) for o in RACY_OUTCOMES):
            names.add(name)
    return frozenset(names)


def lost_racy_recording(trace: Trace, request: Step, status: int) -> str | None:
    """The recording a racy record started in the capture (201) and not in the replay (``status``), if any:
    its events never come and the requests about it find nothing (see :func:`about_lost_recording`)."""
    if status == 201 or request.index not in trace.response_of:
        return None
    if trace.steps[trace.response_of[request.index]].data.get("status") != 201:
        return None
    if not any(o.applies(trace, request) for o in RACY_OUTCOMES):
        return None
    return dict(request.query).get("name")


_RECORDING_PATH = re.compile(r"^/ari/recordings/(live|stored)/(?P<name>[^/]+)(/.*)?$")


def about_lost_recording(step: Step, request: Step | None, lost: frozenset[str]) -> bool:
    """A trace step that a lost racy recording excuses: one of its events, or the response to a request
    about it (which the replay's server answers 404: there is no such recording)."""
    if not lost:
        return False
    if step.kind == "event":
        recording = step.event.get("recording") or {}
        return step.event_type.startswith("Recording") and recording.get("name") in lost
    if step.kind == "response" and request is not None:
        m = _RECORDING_PATH.match(request.path)
        return m is not None and m.group("name") in lost
    return False


def racy_extra_event(trace: Trace, event: dict[str, Any]) -> bool:
    """True for a RecordingStarted/Finished of a racy record whose trace answer was not 201 (the replay's
    record won the race where the capture's lost it)."""
    if event.get("type") not in ("RecordingStarted", "RecordingFinished"):
        return False
    name = (event.get("recording") or {}).get("name")
    for step in trace.steps:
        if step.kind != "request" or dict(step.query).get("name") != name:
            continue
        response = trace.steps[trace.response_of[step.index]] if step.index in trace.response_of else None
        status = response.data.get("status") if response is not None else None
        if status != 201 and any(o.applies(trace, step) for o in RACY_OUTCOMES):
            return True
    return False
