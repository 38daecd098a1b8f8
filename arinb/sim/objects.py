"""The simulator's state objects and their ARI JSON: channels, bridges, playbacks, recordings.

Plain classes with no I/O. Their ``to_json()`` methods write the fields in the order a real Asterisk 22
does (``id, name, state, protocol_id, caller, connected, accountcode, dialplan, creationtime, language``),
because the simulator's frames must look byte-for-byte like Asterisk's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from arinb.media_log import MediaSegment
from arinb.models import format_timestamp

if TYPE_CHECKING:
    from arinb.sim.clock import TimerHandle
    from arinb.sim.media import Resolved

__all__ = [
    "Bridge",
    "Channel",
    "ChannelKind",
    "Command",
    "ControlQueue",
    "LiveRecording",
    "Playback",
    "StoredRecording",
]

ChannelKind = Literal["local1", "local2", "pjsip", "announcer", "snoop", "websocket"]
#: How a Local ``;1`` half came to be: originate to an extension, originate to an app, or channels/create.
OutgoingMode = Literal["exten", "app", "create", "dial"]


class Command:
    """One item of a channel's control queue (Asterisk's stasis control queue).

    ``run(done)`` starts it; a long command (a playback, DTMF, a recording) calls ``done()`` when it ends,
    an instant one (answer, setting a variable) calls it at once. ``cancel()`` runs when the channel hangs
    up before the command's turn.
    """

    __slots__ = ("cancel", "name", "run")

    def __init__(
        self, name: str, run: Callable[[Callable[[], None]], None], cancel: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self.run = run
        self.cancel = cancel


class ControlQueue:
    """Commands for one channel (or a bridge's announcer), run one at a time in arrival order.

    This is why, on a real Asterisk, ``POST answer`` during a playback only returns when the playback ends:
    the answer waits its turn behind the playback in the channel's control queue.
    """

    def __init__(self, schedule: Callable[[float, Callable[[], None]], Any]) -> None:
        self._schedule = schedule
        self.items: deque[Command] = deque()
        self.busy: Command | None = None
        self._pump_pending = False
        self.closed = False

    @property
    def idle(self) -> bool:
        """Nothing running and nothing waiting."""
        return self.busy is None and not self.items and not self._pump_pending

    def submit(self, cmd: Command, *, defer: float | None = None) -> None:
        """Queue ``cmd``. On an idle queue it runs at once, or after ``defer`` seconds when given."""
        if self.closed:
            if cmd.cancel:
                cmd.cancel()
            return
        self.items.append(cmd)
        if self.busy is None and not self._pump_pending:
            if defer is None:
                self._next()
            else:
                self._pump_pending = True
                self._schedule(defer, self._pump)

    def _pump(self) -> None:
        self._pump_pending = False
        if self.busy is None:
            self._next()

    def _next(self) -> None:
        while self.busy is None and self.items and not self.closed:
            cmd = self.items.popleft()
            self.busy = cmd
            flags = {"sync": True, "done": False}

            def done(cmd: Command = cmd, flags: dict[str, bool] = flags) -> None:
                if flags["done"]:
                    return
                flags["done"] = True
                if self.busy is cmd:
                    self.busy = None
                if not flags["sync"]:
                    self._next()  # the next command starts in the same instant, as on Asterisk

            cmd.run(done)
            flags["sync"] = False
            if not flags["done"]:
                return  # a long command: its done() restarts the queue

    def close(self) -> list[Command]:
        """Stop the queue (hangup): returns the commands that never ran."""
        self.closed = True
        pending = list(self.items)
        self.items.clear()
        return pending


@dataclass(eq=False)
class Channel:
    """A channel as the simulator tracks it (ARI JSON via :meth:`to_json`)."""

    id: str
    name: str
    state: str
    created: float
    kind: ChannelKind
    context: str = "default"
    exten: str = ""
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    caller_name: str = ""
    caller_number: str = ""
    connected_name: str = ""
    connected_number: str = ""
    language: str = "en"
    accountcode: str = ""
    protocol_id: str = ""
    peer: Channel | None = None
    outgoing: OutgoingMode | None = None
    dialstring: str = ""
    device: str = ""
    target: tuple[str, str, int] | None = None  # originate's context/extension/priority for ;1
    target_app: tuple[str, list[str]] | None = None  # originate's app and args for ;1
    vars: dict[str, str] = field(default_factory=dict)
    snoop_target: str | None = None  # a snoop channel: the id of the channel it spies on
    snoop_spy: str = ""  # a snoop channel: its spy direction (in, out, both, none)
    stasis_app: str | None = None
    stasis_args: list[str] = field(default_factory=list)
    runs_pbx: bool = False
    # continued from Stasis with no dialplan of its own (a ;1 originated to an app): the dialplan runs inside
    # Stasis' exec, and STASISSTATUS is set when it ends (res_stasis.c: ast_pbx_run_args in stasis_app_exec)
    pbx_in_stasis: bool = False
    reported: list[str] = field(default_factory=list)  # set with report_events (ARI reportable variables)
    channelvars: dict[str, str] | None = None  # the reportable variables in the channel's last snapshot
    callerid_unpublished: bool = (
        False  # its caller id changed with no snapshot (a Local peer's connected line)
    )
    stasis_place: tuple[str, str, int, str, str] | None = None  # its dialplan place while in Stasis
    progress_sent: bool = False
    hungup: bool = False
    tech_cause: int | None = None  # the driver's own hangup cause (chan_websocket: the close code)
    bridge_id: str | None = None
    bridgepeer: str = ""
    queue: ControlQueue | None = None
    pbx_timer: TimerHandle | None = None
    silence: MediaSegment | None = None
    timers: list[TimerHandle] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ARI ``Channel`` object."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": {"name": self.caller_name, "number": self.caller_number},
            "connected": {"name": self.connected_name, "number": self.connected_number},
            "accountcode": self.accountcode,
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": self.priority,
                "app_name": self.app_name,
                "app_data": self.app_data,
            },
            "creationtime": format_timestamp(self.created),
            "language": self.language,
        } | ({} if self.channelvars is None else {"channelvars": dict(self.channelvars)})

    @property
    def is_up(self) -> bool:
        """State "Up"."""
        return self.state == "Up"


@dataclass(eq=False)
class Bridge:
    """A bridge (``technology`` simple_bridge or holding_bridge, class stasis)."""

    id: str
    bridge_type: str
    technology: str
    name: str
    created: float
    video_mode: str = "talker"
    video_source_id: str | None = None  # set by POST videoSource ("single" video mode)
    vars: dict[str, str] = field(default_factory=dict)  # bridge variables
    reported_vars: set[str] = field(default_factory=set)  # set with report_events: shown as bridgevars
    channels: list[str] = field(default_factory=list)
    announcer: Channel | None = None
    queue: ControlQueue | None = None

    def to_json(self) -> dict[str, Any]:
        """The ARI ``Bridge`` object (the announcer is never listed)."""
        out: dict[str, Any] = {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
            "creationtime": format_timestamp(self.created),
            "video_mode": self.video_mode,
        }
        if self.video_source_id is not None:
            out["video_source_id"] = self.video_source_id
        reported = {n: v for n, v in self.vars.items() if n in self.reported_vars}
        if reported:
            out["bridgevars"] = reported
        return out


@dataclass(eq=False)
class Playback:
    """One playback (a media list played on a channel or a bridge)."""

    id: str
    media: list[str]
    target_uri: str
    language: str
    offset: float = 0.0
    skip: float = 3.0
    state: str = "queued"
    index: int = 0
    channel_id: str | None = None
    bridge_id: str | None = None
    # while an item plays
    resolved: Resolved | None = None
    position: float = 0.0  # seconds into the current item's content
    resumed_at: float = 0.0  # when the audio (re)started at ``position``
    timer: TimerHandle | None = None
    segments: list[MediaSegment] = field(default_factory=list)
    stopped_queued: bool = False
    # Asterisk's ``controllable``: set once a sound, recording or tone item starts, never unset
    controllable: bool = False
    done: Callable[[], None] | None = None

    @property
    def media_uri(self) -> str:
        """The item playing now (the first one before it starts)."""
        media = self.media
        return media[min(self.index, len(media) - 1)]

    def to_json(self) -> dict[str, Any]:
        """The ARI ``Playback`` object; ``next_media_uri`` only while another item is pending."""
        media, index = self.media, self.index
        if index + 1 < len(media):  # every event of a list but its last item's: keep it quick
            return {
                "id": self.id,
                "media_uri": media[index],
                "next_media_uri": media[index + 1],
                "target_uri": self.target_uri,
                "language": self.language,
                "state": self.state,
            }
        return {
            "id": self.id,
            "media_uri": media[-1],
            "target_uri": self.target_uri,
            "language": self.language,
            "state": self.state,
        }


@dataclass(eq=False)
class StoredRecording:
    """A recording on disk (in the simulator: its length, and how to render it)."""

    name: str
    format: str
    duration: float = 0.0
    source_channel: str | None = None  # whose media log holds the audio the recording heard
    start: float = 0.0
    data: bytes | None = None  # rendered file bytes, cached
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """The ARI ``StoredRecording`` object."""
        return {"name": self.name, "format": self.format}


@dataclass(eq=False)
class LiveRecording:
    """A recording in progress on a channel."""

    name: str
    format: str
    target_uri: str
    channel_id: str
    max_duration: float = 0.0
    max_silence: float = 0.0
    if_exists: str = "fail"
    beep: bool = False
    terminate_on: str = "none"
    state: str = "queued"
    started: float = 0.0
    paused_total: float = 0.0
    paused_at: float | None = None
    muted: bool = False
    has_audio: bool = True
    timer: TimerHandle | None = None
    done: Callable[[], None] | None = None
    stored: StoredRecording | None = None
    bridge_id: str | None = None  # a bridge recording (its channel_id is the recorder's)
    on_end: Callable[[], None] | None = None  # after RecordingFinished (the recorder leaves its bridge)

    def to_json(self, *, duration: int | None = None) -> dict[str, Any]:
        """The ARI ``LiveRecording`` object (``duration`` in RecordingFinished)."""
        out: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        }
        if duration is not None:
            out["duration"] = duration
        return out
