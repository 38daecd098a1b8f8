"""Playback facts: the ``control`` operations and the states a playback reports.

>>> PLAYBACK_OPERATIONS
('restart', 'pause', 'unpause', 'reverse', 'forward')
"""

from __future__ import annotations

from typing import Final

from arinb.ari.codec import PLAYBACK_STATES

__all__ = ["MEDIA_SCHEMES", "PLAYBACK_OPERATIONS", "PLAYBACK_STATES"]

#: ``POST /playbacks/{id}/control?operation=`` values, in the api-docs' order.
PLAYBACK_OPERATIONS: Final[tuple[str, ...]] = ("restart", "pause", "unpause", "reverse", "forward")

#: The media URI schemes Asterisk 22 plays (``res/res_stasis_playback.c``: sound, recording, number, digits,
#: characters, tone). Any other scheme, or none (``tt-monkeys``), is accepted with 201, starts, and never
#: finishes (probe-bad-scheme).
MEDIA_SCHEMES: Final[tuple[str, ...]] = ("sound", "recording", "number", "digits", "characters", "tone")
