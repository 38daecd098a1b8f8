"""Event timelines: every event, REST call and connection change of a session, as pandas tables.

>>> from arinb.timeline import Timeline
>>> tl = Timeline()
>>> tl.add_event({"type": "StasisStart", "channel": {"id": "1.1", "state": "Ring"}}, received_at=1.0)
>>> len(tl)
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arinb.timeline.snapshot import Snapshot
from arinb.timeline.timeline import CONNECTION_KINDS, Timeline

if TYPE_CHECKING:
    from arinb.timeline.compare import CompareResult

__all__ = ["CONNECTION_KINDS", "CompareResult", "Snapshot", "Timeline"]


def __getattr__(name: str) -> Any:
    # CompareResult lives with pandas; importing arinb.timeline must stay pandas-free (engine thread).
    if name == "CompareResult":
        from arinb.timeline.compare import CompareResult

        return CompareResult
    raise AttributeError(f"module 'arinb.timeline' has no attribute {name!r}")
