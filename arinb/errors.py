"""The arinb exception tree.

Every error arinb raises is an :class:`AriError`::

    AriError
    ├── AriUsageError            (also ValueError) a call that cannot be sent as written
    ├── AriConnectionError       the ARI URL cannot be reached (hints at http.conf / ari.conf)
    │   └── AriWebSocketError    the events WebSocket was refused or lost for good
    ├── AriHttpError             ARI answered with a status >= 400; carries status, message, method, path
    │   ├── AriBadRequest        400
    │   ├── AriAuthError         401 (wrong user or password)
    │   ├── AriNotFound          404
    │   ├── AriMethodNotAllowed  405
    │   ├── AriConflict          409
    │   ├── AriInvalidState      412
    │   ├── AriUnprocessable     422
    │   └── AriServerError       5xx
    ├── AriTimeoutError          (also TimeoutError) a wait or a request ran out of time
    ├── PlaybackLost             Asterisk will never finish this playback (see below)
    ├── ChannelGone              the channel ended while the events connection was down
    ├── ApplicationReplaced      another connection registered the same application
    └── SessionClosed            the session was closed while a call waited on it

Example::

    try:
        await session.channels.get("nope")
    except arinb.AriNotFound as e:
        print(e.status, e.message)      # 404 Channel not found

No error message ever holds a password: URLs in messages have their credentials stripped.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApplicationReplaced",
    "AriAuthError",
    "AriBadRequest",
    "AriConflict",
    "AriConnectionError",
    "AriError",
    "AriHttpError",
    "AriInvalidState",
    "AriMethodNotAllowed",
    "AriNotFound",
    "AriServerError",
    "AriTimeoutError",
    "AriUnprocessable",
    "AriUsageError",
    "AriWebSocketError",
    "ChannelGone",
    "PlaybackLost",
    "SessionClosed",
    "http_error",
]


class AriError(Exception):
    """Root of every error arinb raises."""


class AriUsageError(AriError, ValueError):
    """The call cannot be sent as written (for example a media item that contains a comma)."""


class AriConnectionError(AriError):
    """The ARI server cannot be reached.

    The message says which URL was tried and what to check on a real Asterisk
    (``http.conf``: ``enabled=yes``, ``bindaddr``, ``bindport``; ``ari.conf``: ``enabled=yes`` and a user).
    """


class AriWebSocketError(AriConnectionError):
    """The events WebSocket was refused (e.g. 400 without ``app``) or lost and could not be re-established."""


class AriHttpError(AriError):
    """ARI answered a REST call with an error status.

    Attributes: ``status`` (int), ``message`` (ARI's ``message`` or ``error`` field, or the reason phrase),
    ``method``, ``path`` (without query string or credentials), ``reason`` (the HTTP reason phrase)
    and ``body`` (the parsed JSON body, if any).
    """

    status: int = 0

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        path: str = "",
        reason: str = "",
        body: Any = None,
    ) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        self.reason = reason
        self.body = body
        where = f" ({method} {path})" if method or path else ""
        super().__init__(f"{status} {message}{where}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_http_error,
            (type(self), self.status, self.message, self.method, self.path, self.reason, self.body),
        )


def _rebuild_http_error(
    cls: type[AriHttpError], status: int, message: str, method: str, path: str, reason: str, body: Any
) -> AriHttpError:
    return cls(status, message, method=method, path=path, reason=reason, body=body)


class AriBadRequest(AriHttpError):
    """400: a parameter is missing or invalid."""


class AriAuthError(AriHttpError):
    """401: the user name or password was refused (the password itself is never shown)."""


class AriNotFound(AriHttpError):
    """404: the channel, playback, bridge, recording, sound or resource does not exist."""


class AriMethodNotAllowed(AriHttpError):
    """405: the resource exists but not with this HTTP method."""


class AriConflict(AriHttpError):
    """409: the object is not in a state that allows this (e.g. pausing a queued playback)."""


class AriInvalidState(AriHttpError):
    """412: the channel is in an invalid state for this operation (e.g. play on a Down channel)."""


class AriUnprocessable(AriHttpError):
    """422: the request is well formed but refers to something unusable (e.g. a channel not in Stasis)."""


class AriServerError(AriHttpError):
    """5xx: Asterisk failed (it answers 500 for a play with no media, for example)."""


class AriTimeoutError(AriError, TimeoutError):
    """A wait (``wait_for``, ``finished``) or a request did not complete in time."""


class PlaybackLost(AriError):
    """Asterisk will never send PlaybackFinished for this playback.

    Asterisk 22 sends PlaybackStarted and then nothing for an unsupported media scheme or a missing
    recording; arinb notices when the channel leaves the application and raises this from
    ``await playback.finished()`` instead of waiting forever.
    """


class ChannelGone(AriError):
    """The channel ended while the events connection was down: its StasisEnd will never come.

    After a reconnect arinb asks Asterisk about the channels still in the application; one it no longer
    knows ends every wait on it (``channel.wait_for``, a ``wait_for("StasisEnd", ...)`` that would have
    matched it, ``playback.finished()`` on it) with this error, also waits made with ``timeout=None``.
    """


class ApplicationReplaced(AriError):
    """Another WebSocket registered the same Stasis application; this session gets no more of its events."""


class SessionClosed(AriError):
    """The session was closed while the call was waiting."""


_BY_STATUS: dict[int, type[AriHttpError]] = {
    400: AriBadRequest,
    401: AriAuthError,
    404: AriNotFound,
    405: AriMethodNotAllowed,
    409: AriConflict,
    412: AriInvalidState,
    422: AriUnprocessable,
}


def http_error(
    status: int, body: Any = None, *, method: str = "", path: str = "", reason: str = ""
) -> AriHttpError:
    """Build the typed error for an ARI error response.

    ARI's error bodies are ``{"message": ...}``, except a few 500s that say ``{"error": ...}``.

    >>> http_error(404, {"message": "Channel not found"}, method="GET", path="/ari/channels/x")
    AriNotFound('404 Channel not found (GET /ari/channels/x)')
    """
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
    message = message or reason or "HTTP error"
    cls = _BY_STATUS.get(status) or (AriServerError if status >= 500 else AriHttpError)
    return cls(status, message, method=method, path=path, reason=reason, body=body)
