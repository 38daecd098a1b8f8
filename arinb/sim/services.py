"""The one interface features use: what the kernel (:class:`~arinb.sim.engine.SimEngine`) offers them.

A feature module (channels, originate, the dialplan runner, playbacks, recordings, bridges, snoop,
variables, system resources, and any new one) receives a :class:`Services` at construction and uses only
what is declared here: the shared state (clock, channels, event bus), the kernel's helpers (new channels,
media log, event emission, deferred work, control queues, the lookups that answer 404/409/412) and the
other features by name. Nothing else of the engine is reachable, so mypy catches a reach-in.

>>> from arinb.sim.engine import SimEngine
>>> from arinb.sim.clock import Clock
>>> services: Services = SimEngine(clock=Clock.manual(start=0.0))
>>> services.now()
0.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from arinb.media_log import MediaSegment
    from arinb.sim.apps import EventBus
    from arinb.sim.bridgerec import BridgeRecording
    from arinb.sim.bridges import Bridges
    from arinb.sim.bridgevars import BridgeVariables
    from arinb.sim.broadcast import Broadcast
    from arinb.sim.catalog import SoundLibrary
    from arinb.sim.channels import Lifecycle
    from arinb.sim.clock import Clock
    from arinb.sim.dialplan import Dialplan
    from arinb.sim.extmedia import ExternalMedia
    from arinb.sim.moh import MusicOnHold
    from arinb.sim.objects import Channel, ChannelKind, ControlQueue
    from arinb.sim.originate import Originate
    from arinb.sim.pbx import Pbx
    from arinb.sim.playbacks import Playbacks
    from arinb.sim.protocol import Reply, Request
    from arinb.sim.recordings import Recordings
    from arinb.sim.snoop import Snoop
    from arinb.sim.system import System

__all__ = ["Services"]


class Services(Protocol):
    """What a feature may use (see the module docstring)."""

    clock: Clock
    dialplan: Dialplan
    sounds: SoundLibrary
    bus: EventBus
    channels: dict[str, Channel]
    asterisk_id: str
    startup_time: float
    # the features, for the calls one feature makes to another
    lifecycle: Lifecycle
    originator: Originate
    pbx: Pbx
    playbacks: Playbacks
    bridges: Bridges
    recordings: Recordings
    system: System
    external_media: ExternalMedia
    moh: MusicOnHold
    bridge_recording: BridgeRecording
    bridge_variables: BridgeVariables
    broadcast: Broadcast
    snoop: Snoop

    def now(self) -> float:
        """Simulated epoch seconds."""
        ...

    def new_uid(self) -> str:
        """Asterisk's next unique id."""
        ...

    def next_unreal(self) -> int:
        """The counter Local and Announcer names share."""
        ...

    def next_tech(self, tech: str) -> int:
        """The per-technology name counter (``PJSIP/alice-00000003``)."""
        ...

    def new_channel(
        self,
        name: str,
        state: str,
        kind: ChannelKind,
        *,
        channel_id: str | None = None,
        context: str = "default",
        exten: str = "",
        priority: int = 1,
    ) -> Channel:
        """A new channel, registered (announcers are not listed); no event sent."""
        ...

    def log_segment(self, channel_id: str, segment: MediaSegment) -> MediaSegment:
        """Append to a channel's media log."""
        ...

    def media_log(self, channel_id: str) -> list[MediaSegment]:
        """A copy of a channel's media log."""
        ...

    def remote_hangup(self, channel_id: str, cause: int = 16) -> None:
        """The far end hangs the channel up (ChannelHangupRequest with ``cause``, no ``soft``)."""
        ...

    def indicate_progress(self, ch: Channel) -> None:
        """Early media on a channel that is not up (Dial PROGRESS for its dialer once)."""
        ...

    def drop_segment(self, segment: MediaSegment) -> None:
        """Remove a segment that never played from its channel's media log."""
        ...

    def emit(self, type_: str, fields: dict[str, Any], **kw: Any) -> int:
        """Deliver an event to the apps that see it."""
        ...

    def emit_channel(
        self,
        type_: str,
        ch: Channel,
        fields: dict[str, Any] | None = None,
        *,
        pre: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        only_app: str | None = None,
    ) -> None:
        """Deliver an event about one channel (built only when somebody listens)."""
        ...

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        """Set a channel variable and send ChannelVarset."""
        ...

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` just after the current request's reply."""
        ...

    def later(self, ch: Channel, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` ``delay`` simulated seconds from now unless ``ch`` hangs up first."""
        ...

    def new_queue(self) -> ControlQueue:
        """A control queue on the kernel's clock."""
        ...

    def queue_of(self, ch: Channel) -> ControlQueue:
        """The channel's control queue."""
        ...

    async def run_queued(self, ch: Channel, name: str, action: Callable[[], Reply]) -> Reply:
        """Run ``action`` in the channel's control queue; answer when it ran."""
        ...

    def find_control(self, channel_id: str | None) -> Channel | Reply:
        """The channel if it is in Stasis, else 404/409."""
        ...

    def state_invalid(self, ch: Channel) -> Reply | None:
        """412 for a channel in Down, Rsrvd or Ringing."""
        ...

    def checked(self, req: Request) -> Channel | Reply:
        """``find_control`` then ``state_invalid`` on the request's ``channelId``."""
        ...
