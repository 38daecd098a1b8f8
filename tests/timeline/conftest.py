from __future__ import annotations

from pathlib import Path

import pytest
from testkit.data import TRACES

from arinb.timeline import Timeline


@pytest.fixture
def traces_dir() -> Path:
    return TRACES


@pytest.fixture
def trace():
    """Load a shared real-Asterisk trace by name (``trace("tones")``)."""

    def load(name: str) -> Timeline:
        path = TRACES / f"{name}.json"
        assert path.exists(), f"shared trace missing: {path}"
        return Timeline.from_trace(path)

    return load


def make_event(etype: str, ts: str | None = None, **parts: object) -> dict:
    """A small ARI event dict: make_event("StasisStart", channel={"id": "1.1", "state": "Ring"})."""
    body: dict = {"type": etype}
    if ts is not None:
        body["timestamp"] = ts
    body.update(parts)
    body.setdefault("application", "demo")
    return body


@pytest.fixture
def event():
    return make_event
