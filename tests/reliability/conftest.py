"""Fixtures for the reliability tests: a controllable loopback ARI server and a session connected to it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from reliability_server import ControlledAri

#: Distinctive, so that a leak anywhere is found by a plain substring search.
PASSWORD = "Qz7-zebra-SECRET-4711"
APP = "rel"


@pytest.fixture
async def ari() -> AsyncIterator[ControlledAri]:
    server = await ControlledAri.start(password=PASSWORD)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def session(ari: ControlledAri) -> AsyncIterator[Any]:
    import arinb

    s = await arinb.connect(ari.url, "asterisk", PASSWORD, apps=APP)
    await ari.wait_connected()
    try:
        yield s
    finally:
        await s.close()


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
    df = session.timeline.df
    return df[df["kind"] == kind]
