"""The wire codec, kept under its old name: the facts live in :mod:`arinb.ari.codec`.

>>> from arinb.models import dumps
>>> dumps({"a": 1})
'{"a":1}'
"""

from __future__ import annotations

from arinb.ari.codec import CHANNEL_STATES, PLAYBACK_STATES, dumps, format_timestamp, loads, parse_timestamp

__all__ = [
    "CHANNEL_STATES",
    "PLAYBACK_STATES",
    "dumps",
    "format_timestamp",
    "loads",
    "parse_timestamp",
]
