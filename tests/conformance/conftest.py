"""Fixtures for the conformance suite: replay a trace against a target and compare.

``conformance_run(trace, target)`` replays and returns the :class:`~conformance.compare.Report`; the
simulator and the real Asterisk (opt-in, ``ARINB_REAL_ARI_URL``) are described in ``targets.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from .compare import Report, compare
from .replay import replay
from .targets import Target
from .trace import Trace

Run = Callable[[Trace, Target], Awaitable[Report]]


@pytest.fixture
def conformance_run() -> Run:
    """Replay a trace against a target, close the target, and compare."""

    async def run(trace: Trace, target: Target) -> Report:
        try:
            recording = await replay(trace, target)
        finally:
            await target.close()
        return compare(recording)

    return run
