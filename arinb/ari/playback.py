"""Playback facts: the ``control`` operations and the states a playback reports.

>>> PLAYBACK_OPERATIONS
('restart', 'pause', 'unpause', 'reverse', 'forward')
"""

from __future__ import annotations

from typing import Final

from arinb.ari.codec import PLAYBACK_STATES

__all__ = [
    "CONTROLLABLE_SCHEMES",
    "CONTROL_BY_STATE",
    "CONTROL_NOOPS",
    "MEDIA_SCHEMES",
    "PLAYBACK_OPERATIONS",
    "PLAYBACK_STATES",
]

#: ``POST /playbacks/{id}/control?operation=`` values, in the api-docs' order.
PLAYBACK_OPERATIONS: Final[tuple[str, ...]] = ("restart", "pause", "unpause", "reverse", "forward")

#: The media URI schemes Asterisk 22 plays (``res/res_stasis_playback.c``: sound, recording, number, digits,
#: characters, tone). Any other scheme, or none (``tt-monkeys``), is accepted with 201, starts, and never
#: finishes (probe-bad-scheme).
MEDIA_SCHEMES: Final[tuple[str, ...]] = ("sound", "recording", "number", "digits", "characters", "tone")

#: The control operations each playback state accepts (``res/res_stasis_playback.c``'s table; captured in
#: playback-control): any other is 409 "Can only <operation> while media is playing".
CONTROL_BY_STATE: Final[dict[str, frozenset[str]]] = {
    "queued": frozenset({"restart"}),
    "playing": frozenset(PLAYBACK_OPERATIONS),
    "continuing": frozenset(PLAYBACK_OPERATIONS),
    "paused": frozenset({"pause", "unpause"}),
}
#: (state, operation) pairs that are no-ops there: 204 whatever the media.
CONTROL_NOOPS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("queued", "restart"), ("playing", "unpause"), ("continuing", "unpause"), ("paused", "pause")}
)
#: The schemes whose items can be controlled; the others (number, digits, characters) answer 500
#: "Could not <operation> playback". Once one such item started, the playback stays controllable.
CONTROLLABLE_SCHEMES: Final[tuple[str, ...]] = ("sound", "recording", "tone")
