"""Fixtures for the client tests: a recording timeline double and event builders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fakeari, client_helpers


class FakeTimeline:
    """Records what the client writes, with the Timeline contract's signatures."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, Any], float, str | None]] = []
        self.requests: list[dict[str, Any]] = []
        self.connections: list[tuple[str, float, str]] = []

    def add_event(self, event: dict[str, Any], received_at: float, raw: str | None = None) -> None:
        self.events.append((event, received_at, raw))

    def add_request(
        self,
        method: str,
        path: str,
        query: Any,
        status: int | None,
        sent_at: float,
        elapsed: float | None,
        reason: str | None = None,
        error: str | None = None,
        body: Any = None,
    ) -> None:
        self.requests.append(
            {
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "sent_at": sent_at,
                "elapsed": elapsed,
                "reason": reason,
                "error": error,
                "body": body,
            }
        )

    def add_connection(self, kind: str, at: float, detail: str = "") -> None:
        self.connections.append((kind, at, detail))

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.connections]


@pytest.fixture
def timeline() -> FakeTimeline:
    return FakeTimeline()
