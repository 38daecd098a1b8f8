"""The async ARI client: :func:`connect` gives an :class:`AriSession`.

Layers (see docs/architecture.md): :mod:`.transport` (aiohttp REST + events WebSocket, the only network
I/O), :mod:`.registry` (object state and lifecycle rules, its only writer), :mod:`.dispatch` (handlers,
waits, streams), :mod:`.core` (intake gluing both, socket-free), :mod:`.handles` (thin handles),
:mod:`.resources` (resource collections), :mod:`.reconcile` (after a reconnect), :mod:`.events`
(:class:`Event`), :mod:`.session` (:class:`AriSession`, :func:`connect`).
"""

from __future__ import annotations

from arinb.client.core import SessionCore
from arinb.client.dispatch import EventStream
from arinb.client.events import Event
from arinb.client.handles import Bridge, Channel, LiveRecording, Playback, StoredRecording
from arinb.client.params import HANGUP_REASONS
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
