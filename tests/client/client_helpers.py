"""Helpers for the client tests: event dicts shaped like Asterisk 22's, a recording timeline double.

(Not a conftest.py: other test folders import their own ``conftest`` by name.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

_TS = "2026-11-26T12:17:03.105+0000"


def channel(cid: str, state: str = "Ring") -> dict[str, Any]:
    return {
        "id": cid,
        "name": f"Local/1003@default-00000001;2-{cid}",
        "state": state,
        "caller": {"name": "", "number": ""},
        "dialplan": {"context": "default", "exten": "1003"},
    }


def ev(etype: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": etype, "timestamp": _TS}
    for key, value in fields.items():
        if key == "channel" and isinstance(value, str):
            value = channel(value)
        out[key] = value
    out.setdefault("application", "test")
    return out


def pb_ev(
    etype: str, pid: str, cid: str, state: str = "playing", media: str = "sound:beep"
) -> dict[str, Any]:
    return ev(
        etype,
        playback={
            "id": pid,
            "media_uri": media,
            "target_uri": f"channel:{cid}",
            "language": "en",
            "state": state,
        },
    )


async def eventually(check: Callable[[], Any], within: float = 5.0, what: str = "") -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within} s: {what or check}")
        await asyncio.sleep(0.005)


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
        transport: str | None = None,
    ) -> None:
        self.requests.append(
            {
                "transport": transport,
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


def record_of(core: Any, handle: Any) -> Any:
    """The registry record behind a handle."""
    return handle.registry_record


def accept(core: Any, handle: Any, body: Any) -> None:
    """The play request's 201 reply arrives (what the session does when it does)."""
    core.registry.playback_accepted(record_of(core, handle), body)
