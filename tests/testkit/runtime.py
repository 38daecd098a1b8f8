"""Waiting and resource-counting helpers for tests that run real loops, sockets and sessions."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["engine_tasks", "eventually", "open_sockets", "timeline_rows"]


async def eventually(check: Callable[[], Any], within: float = 5.0, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy (then return it) or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within} s: {what or check}")
        await asyncio.sleep(0.01)


def open_sockets() -> int:
    """Sockets this process holds (client and server ends alike)."""
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def engine_tasks() -> int:
    """Tasks alive on the shared client engine loop."""
    from arinb.loop import EngineLoop

    engine = EngineLoop.shared("arinb-engine")
    return engine.run_sync(lambda: len(asyncio.all_tasks(engine.loop)))


def timeline_rows(session: Any, kind: str) -> Any:
    """The session timeline's rows of one kind (``"connection"``, ``"request"``, ``"event"``)."""
    df = session.timeline.df
    return df[df["kind"] == kind]
