"""The event catalog: every message type Asterisk 22's ``events.json`` declares, derived from the models.

>>> "PlaybackFinished" in EVENT_TYPES, "Channel" in EVENT_TYPES
(True, False)
>>> EVENT_FIELDS["PlaybackStarted"]
{'playback': 'Playback'}
"""

from __future__ import annotations

from typing import Final

from arinb.ari.schema import MODEL_BY_ID, Model

__all__ = ["EVENT_FIELDS", "EVENT_TYPES"]


def _is_message(m: Model) -> bool:
    if m.id == "Event":
        return False  # the abstract base of every event
    parent = m
    while parent.extends is not None:
        if parent.extends == "Message":
            return True
        parent = MODEL_BY_ID[parent.extends]
    return False


#: Every concrete message type (``Event`` subtypes and ``MissingParams``).
EVENT_TYPES: Final[frozenset[str]] = frozenset(m.id for m in MODEL_BY_ID.values() if _is_message(m))

#: Event type -> {field: model id} for the fields that hold an ARI object (``Channel``, ``Playback``...).
EVENT_FIELDS: Final[dict[str, dict[str, str]]] = {
    t: {
        p.name: p.type for p in MODEL_BY_ID[t].props if p.type[:1].isupper() and not p.type.startswith("List")
    }
    for t in sorted(EVENT_TYPES)
}
