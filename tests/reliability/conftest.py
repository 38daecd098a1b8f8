"""Fixtures for the reliability tests: a controllable loopback ARI server and a session connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from reliability_server import APP, PASSWORD, ControlledAri


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
