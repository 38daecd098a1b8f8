"""arinb: a Jupyter kit for the Asterisk REST Interface (ARI).

In a notebook (top-level ``await``): an embedded Asterisk 22 stand-in, the ARI docs' monkeys app run step
by step, a session of your own, and every event and request as a DataFrame::

    import arinb
    sim = await arinb.simulate(speed=10)
    result = await arinb.scenarios.monkeys(sim).run()
    session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="hello")
    session.timeline.df

Names are imported lazily, so ``import arinb`` stays fast (pandas and aiohttp load on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from arinb.errors import (
    ApplicationReplaced,
    AriAuthError,
    AriBadRequest,
    AriConflict,
    AriConnectionError,
    AriError,
    AriHttpError,
    AriInvalidState,
    AriMethodNotAllowed,
    AriNotFound,
    AriServerError,
    AriTimeoutError,
    AriUnprocessable,
    AriUsageError,
    AriWebSocketError,
    ChannelGone,
    PlaybackLost,
    ScenarioStopped,
    SessionClosed,
)
from arinb.loop import Call, enable_nested_loops

__version__ = "0.1.0"

if TYPE_CHECKING:
    from arinb.client.events import Event
    from arinb.client.resources import Bridge, Channel, LiveRecording, Playback, StoredRecording
    from arinb.client.session import AriSession, connect
    from arinb.sim import Simulator, simulate
    from arinb.timeline import Timeline

# name -> module that defines it; resolved on first attribute access.
_LAZY: dict[str, str] = {
    "AriSession": "arinb.client.session",
    "Bridge": "arinb.client.resources",
    "Channel": "arinb.client.resources",
    "Event": "arinb.client.events",
    "LiveRecording": "arinb.client.resources",
    "Playback": "arinb.client.resources",
    "Simulator": "arinb.sim",
    "StoredRecording": "arinb.client.resources",
    "Timeline": "arinb.timeline",
    "connect": "arinb.client.session",
    "simulate": "arinb.sim",
}

_SUBMODULES = ("audio", "plot", "scenarios", "sim", "timeline", "widgets")

__all__ = [
    "ApplicationReplaced",
    "AriAuthError",
    "AriBadRequest",
    "AriConflict",
    "AriConnectionError",
    "AriError",
    "AriHttpError",
    "AriInvalidState",
    "AriMethodNotAllowed",
    "AriNotFound",
    "AriServerError",
    "AriSession",
    "AriTimeoutError",
    "AriUnprocessable",
    "AriUsageError",
    "AriWebSocketError",
    "Bridge",
    "Call",
    "Channel",
    "ChannelGone",
    "Event",
    "LiveRecording",
    "Playback",
    "PlaybackLost",
    "ScenarioStopped",
    "SessionClosed",
    "Simulator",
    "StoredRecording",
    "Timeline",
    "__version__",
    "connect",
    "enable_nested_loops",
    "simulate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"arinb.{name}")
    raise AttributeError(f"module 'arinb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_SUBMODULES))
