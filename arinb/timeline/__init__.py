"""Event timelines: every event, REST call and connection change of a session, as pandas tables.

>>> from arinb.timeline import Timeline
>>> tl = Timeline()
>>> tl.add_event({"type": "StasisStart", "channel": {"id": "1.1", "state": "Ring"}}, received_at=1.0)
>>> len(tl)
1
"""

from __future__ import annotations

from arinb.timeline.timeline import CONNECTION_KINDS, Timeline

__all__ = ["CONNECTION_KINDS", "Timeline"]
