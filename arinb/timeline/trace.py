"""Loading the shared trace files (``traces/*.json``: what a real Asterisk sent, step by step).

A trace is ``{"scenario", "app", "description", "asterisk_version", "started_wallclock", "steps"}``;
each step has ``kind`` (``event``, ``request``, ``response``, ``ws_connect``, ``ws_closed``, ...) and ``t``,
seconds since ``started_wallclock``. Requests are paired with the next response of the same method and
path and become one request row at the response's time.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arinb.errors import AriUsageError
from arinb.models import dumps, loads

if TYPE_CHECKING:
    from arinb.timeline.timeline import Timeline

__all__ = ["load_trace"]

_CONNECTION_STEPS = {"ws_connect": "connect", "ws_closed": "closed"}


def load_trace(timeline: Timeline, path: str | Path) -> Timeline:
    """Append every step of a trace file to ``timeline`` (see :meth:`Timeline.from_trace`)."""
    try:
        data = loads(Path(path).read_bytes())
        steps = data["steps"]
        start = float(data.get("started_wallclock") or 0.0)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AriUsageError(f"{path}: not a trace file ({exc})") from exc
    pending: dict[tuple[str, str], deque[dict[str, Any]]] = {}
    for step in steps:
        kind = step.get("kind")
        at = start + float(step.get("t", 0.0))
        if kind == "event":
            timeline.add_event(step["event"], received_at=at, raw=step.get("raw"))
        elif kind == "request":
            pending.setdefault((step["method"], step["path"]), deque()).append(step)
        elif kind == "response":
            queue = pending.get((step["method"], step["path"]))
            request = queue.popleft() if queue else None
            sent = start + float(request["t"]) if request else at
            body = step.get("raw_body")
            if body is None and "body" in step and step["body"] is not None:
                body = dumps(step["body"])
            elif body is None and "body_summary" in step:
                body = dumps(step["body_summary"])
            timeline.add_request(
                step["method"],
                step["path"],
                request.get("query") if request else None,
                step.get("status"),
                sent_at=sent,
                elapsed=at - sent,
                reason=step.get("reason"),
                body=body,
            )
        elif kind in _CONNECTION_STEPS:
            socket = f"socket {step['socket']}: " if "socket" in step else ""
            timeline.add_connection(_CONNECTION_STEPS[kind], at, socket + str(step.get("url", "")))
    # A request that never got its response (the capture ended first).
    for queue in pending.values():
        for request in queue:
            sent = start + float(request["t"])
            timeline.add_request(
                request["method"],
                request["path"],
                request.get("query"),
                None,
                sent,
                None,
                error="no response",
            )
    return timeline
