"""Playback facts: the ``control`` operations and the states a playback reports.

>>> PLAYBACK_OPERATIONS
('restart', 'pause', 'unpause', 'reverse', 'forward')
"""

from __future__ import annotations

from typing import Final

from arinb.ari.codec import PLAYBACK_STATES

__all__ = ["PLAYBACK_OPERATIONS", "PLAYBACK_STATES"]

#: ``POST /playbacks/{id}/control?operation=`` values, in the api-docs' order.
PLAYBACK_OPERATIONS: Final[tuple[str, ...]] = ("restart", "pause", "unpause", "reverse", "forward")
