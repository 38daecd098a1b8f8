"""ARI facts shared by the client and the simulator, each written once.

* :mod:`arinb.ari.codec`: ``dumps``/``loads``, Asterisk's timestamp format, channel and playback states
* :mod:`arinb.ari.hangup`: hangup reasons and their causes, cause texts
* :mod:`arinb.ari.playback`: playback control operations
* :mod:`arinb.ari.operations`: the operations table (method, path, nickname, parameters, errors)
* :mod:`arinb.ari.schema`: the object and event models of the api-docs
* :mod:`arinb.ari.events`: the event catalog derived from the models

>>> from arinb.ari import HANGUP_REASONS, PLAYBACK_OPERATIONS, EVENT_TYPES
>>> "busy" in HANGUP_REASONS and "pause" in PLAYBACK_OPERATIONS and "StasisStart" in EVENT_TYPES
True
"""

from __future__ import annotations

from arinb.ari.codec import CHANNEL_STATES, PLAYBACK_STATES, dumps, format_timestamp, loads, parse_timestamp
from arinb.ari.events import EVENT_FIELDS, EVENT_TYPES
from arinb.ari.hangup import CAUSE_TEXT, HANGUP_CAUSES, HANGUP_REASONS
from arinb.ari.playback import PLAYBACK_OPERATIONS

__all__ = [
    "CAUSE_TEXT",
    "CHANNEL_STATES",
    "EVENT_FIELDS",
    "EVENT_TYPES",
    "HANGUP_CAUSES",
    "HANGUP_REASONS",
    "PLAYBACK_OPERATIONS",
    "PLAYBACK_STATES",
    "dumps",
    "format_timestamp",
    "loads",
    "parse_timestamp",
]
