"""Request-building helpers shared by handles, resource collections and the session (no I/O, no state).

>>> seg("1795694992.1"), query(reason="busy", reason_code=None)
('1795694992.1', {'reason': 'busy'})
>>> check_media("tt-monkeys")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
arinb.errors.AriUsageError: media 'tt-monkeys' has no scheme: write 'sound:tt-monkeys' (schemes: sound, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from arinb.ari.hangup import HANGUP_REASONS
from arinb.ari.playback import MEDIA_SCHEMES, PLAYBACK_OPERATIONS
from arinb.errors import AriUsageError

__all__ = [
    "HANGUP_REASONS",
    "PLAYBACK_OPERATIONS",
    "ari_operation",
    "check_media",
    "event_source",
    "ids",
    "join_media",
    "query",
    "seg",
    "vars_body",
]

F = TypeVar("F", bound=Callable[..., Any])


def ari_operation(*operations: str) -> Callable[[F], F]:
    """Mark a method with the ARI operations (``"<resource>.<nickname>"``) it performs."""

    def mark(fn: F) -> F:
        setattr(fn, "__ari_operations__", operations)  # noqa: B010 - a function attribute mypy cannot see
        return fn

    return mark


def seg(value: Any) -> str:
    """One path segment, percent-encoded (ids may hold ``/``, ``;`` or spaces)."""
    if isinstance(getattr(value, "ari_kind", None), str):
        value = value.id
    text = str(value)
    if not text:
        raise AriUsageError("an id in a request path cannot be empty")
    return quote(text, safe=":@")


def query(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def vars_body(variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if variables is None else {"variables": dict(variables)}


def join_media(media: str | Iterable[str]) -> str:
    """One ``media`` query value from a URI or a list of URIs (comma-joined: ARI's list form).

    A repeated ``media`` parameter is not a list for Asterisk (only the last one plays), so a list is always
    sent as one comma-joined value, and an item that itself holds a comma is refused before any request.

    >>> join_media(["sound:tt-monkeys", "sound:beep"])
    'sound:tt-monkeys,sound:beep'
    """
    items = [media] if isinstance(media, str) else list(media)
    if not items:
        raise AriUsageError("media is empty: give a URI such as 'sound:beep' or a list of URIs")
    for item in items:
        if not isinstance(item, str) or not item:
            raise AriUsageError(f"each media item must be a non-empty string, not {item!r}")
    if len(items) > 1:
        for item in items:
            if "," in item:
                raise AriUsageError(
                    f"media item {item!r} contains a comma: ARI splits the media value on commas, so it "
                    "would play as several items; tone lists such as 'tone:440/200,0/300' cannot be "
                    "combined with other items"
                )
    for item in items:
        check_media(item)
    return ",".join(items)


def event_source(source: Any) -> str:
    kind = getattr(source, "ari_kind", None)
    if kind in ("channel", "bridge"):
        return f"{kind}:{source.id}"
    if isinstance(source, str):
        return source
    if isinstance(source, Iterable):
        return ",".join(event_source(s) for s in source)
    raise AriUsageError(f"an event source is 'channel:<id>', 'bridge:<id>', ... or a handle, not {source!r}")


def ids(value: Any) -> Any:
    if isinstance(getattr(value, "ari_kind", None), str):
        return value.id
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return [ids(v) for v in value]
    return value


def check_media(item: str) -> None:
    """Refuse, before any request, a media URI Asterisk 22 would accept and then never play.

    Asterisk answers 201 to ``foo:bar`` or ``tt-monkeys`` (no scheme), sends PlaybackStarted and then nothing:
    the playback never finishes. Only the schemes of ``res_stasis_playback.c`` play.
    """
    scheme, colon, _ = item.partition(":")
    known = ", ".join(MEDIA_SCHEMES)
    if not colon:
        raise AriUsageError(f"media {item!r} has no scheme: write 'sound:{item}' (schemes: {known})")
    if scheme not in MEDIA_SCHEMES:
        raise AriUsageError(
            f"media {item!r}: Asterisk 22 plays no {scheme!r} scheme and would never finish it "
            f"(schemes: {known})"
        )
