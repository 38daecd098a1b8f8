"""The async ARI client: :func:`connect` gives an :class:`AriSession`.

Layers (see docs/architecture.md): :mod:`.transport` (aiohttp REST + events WebSocket, the only network
I/O), :mod:`.core` (socket-free state, dispatch and waiters), :mod:`.events` (:class:`Event`),
:mod:`.resources` (handles and resource APIs), :mod:`.session` (:class:`AriSession`, :func:`connect`).
"""

from __future__ import annotations

from arinb.client.core import EventStream, SessionCore
from arinb.client.events import Event
from arinb.client.resources import HANGUP_REASONS, Bridge, Channel, LiveRecording, Playback, StoredRecording
from arinb.client.session import AriSession, connect

__all__ = [
    "HANGUP_REASONS",
    "AriSession",
    "Bridge",
    "Channel",
    "Event",
    "EventStream",
    "LiveRecording",
    "Playback",
    "SessionCore",
    "StoredRecording",
    "connect",
]
