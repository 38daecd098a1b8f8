"""The wire codec: JSON as Asterisk writes it, its timestamp format, and the state names it sends.

>>> dumps({"type": "StasisStart", "args": []})
'{"type":"StasisStart","args":[]}'
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import orjson

__all__ = [
    "CHANNEL_STATES",
    "PLAYBACK_STATES",
    "dumps",
    "format_timestamp",
    "loads",
    "parse_timestamp",
]

#: Channel states as ARI spells them (``ast_state2str``).
CHANNEL_STATES: Final = (
    "Down",
    "Rsrvd",
    "OffHook",
    "Dialing",
    "Ring",
    "Ringing",
    "Up",
    "Busy",
    "Dialing Offhook",
    "Pre-ring",
    "Unknown",
)

#: Every playback ``state`` string a real Asterisk 22 sends. A stopped playback reports "done".
PLAYBACK_STATES: Final = ("queued", "playing", "paused", "continuing", "done", "failed")


def dumps(obj: Any) -> str:
    """Compact JSON, keys in insertion order, as Asterisk writes it (``{"a":1}``)."""
    return orjson.dumps(obj).decode()


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON text (orjson: the event-intake hot path depends on its speed)."""
    return orjson.loads(data)


_LAST: tuple[int | None, str] = (None, "")


def format_timestamp(epoch: float) -> str:
    """Asterisk's ``%FT%T.%q%z`` form, in UTC, millisecond resolution.

    >>> format_timestamp(1795695288.843)
    '2026-11-26T12:14:48.843+0000'
    """
    ms_total = round(epoch * 1000.0)
    secs, ms = divmod(ms_total, 1000)
    # Events come in bursts within one second: its date and time part is formatted once. One tuple,
    # replaced whole, so that threads formatting different seconds never pair a second with another's text.
    global _LAST
    cached = _LAST
    if cached[0] != secs:
        cached = (secs, f"{_dt.datetime.fromtimestamp(secs, _dt.UTC):%Y-%m-%dT%H:%M:%S}.")
        _LAST = cached
    return f"{cached[1]}{ms:03d}+0000"


def parse_timestamp(text: str) -> float:
    """Epoch seconds from Asterisk's timestamp (any ``+hhmm`` offset).

    >>> parse_timestamp("2026-11-26T12:14:48.843+0000")
    1795695288.843
    """
    # fromisoformat accepts "+0000" since 3.11.
    return _dt.datetime.fromisoformat(text).timestamp()
