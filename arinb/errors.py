"""The arinb exception tree.

Every error arinb raises is an :class:`AriError`::

    AriError
    ├── AriUsageError            (also ValueError) a call that cannot be sent as written
    │   └── ScenarioStopped      a scenario's next()/run() was stopped by its reset() or close()
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

In a notebook an arinb error shows as one or two lines, the message and what to do, instead of a traceback
through arinb's internals (IPython's ``_render_traceback_`` hook); the exception keeps every detail
(``status``, ``message``, ``method``, ``path``), ``%debug`` still works, and
``arinb.errors.FULL_TRACEBACKS = True`` brings the full traceback back::

    AriAuthError: 401 Authentication required: ARI refused the user name or password (GET /ari/events)
    Check the user name and password given to arinb.connect() (on Asterisk: a user section in ari.conf).
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
    "ScenarioStopped",
    "SessionClosed",
    "http_error",
]


#: Show arinb errors in a notebook with IPython's full traceback instead of one or two lines.
FULL_TRACEBACKS = False


class AriError(Exception):
    """Root of every error arinb raises.

    ``hint`` is one line saying what to do, shown under the message in a notebook (empty when the message
    already says it).

    >>> for line in AriAuthError(401, "Authentication required")._render_traceback_():
    ...     print(line)
    AriAuthError: 401 Authentication required
    Check the user name and password given to arinb.connect() (on Asterisk: a user section in ari.conf).
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if self.hint:  # a note: Python prints it under the message in a script's traceback (PEP 678)
            self.add_note(self.hint)

    @property
    def hint(self) -> str:
        """What to do about it, in one line ("" when the message says it)."""
        return ""

    def _render_traceback_(self) -> list[str]:
        # IPython's documented hook (InteractiveShell.showtraceback): the lines shown instead of a traceback.
        # The frames would run through arinb's loop thread and transport, which says nothing to the caller.
        if FULL_TRACEBACKS:
            return _ipython_traceback(self)
        lines = [f"{type(self).__name__}: {self}"]
        if self.hint:
            lines.append(self.hint)
        return lines


def _ipython_traceback(error: BaseException) -> list[str]:
    try:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return list(shell.InteractiveTB.structured_traceback(type(error), error, error.__traceback__))
    except Exception:  # no IPython: the plain traceback below is as good
        pass
    import traceback

    return traceback.format_exception(error)


class AriUsageError(AriError, ValueError):
    """The call cannot be sent as written (for example a media item that contains a comma)."""


class AriConnectionError(AriError):
    """The ARI server cannot be reached.

    The message says which URL was tried and what to check on a real Asterisk
    (``http.conf``: ``enabled=yes``, ``bindaddr``, ``bindport``; ``ari.conf``: ``enabled=yes`` and a user).
    """

    @property
    def hint(self) -> str:
        if "ConnectionRefusedError" in str(self):
            return (
                "Nothing listens there: check the URL and port, or use the simulator "
                "(sim = arinb.simulate(); arinb.connect(sim.url, ...))."
            )
        return ""


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

    @property
    def hint(self) -> str:
        return (
            "Check the user name and password given to arinb.connect() "
            "(on Asterisk: a user section in ari.conf)."
        )


class AriNotFound(AriHttpError):
    """404: the channel, playback, bridge, recording, sound or resource does not exist.

    >>> print(http_error(404, {"message": "Channel not found"}, path="/ari/channels/x").hint)
    The channel is gone or never existed (a channel leaves when it hangs up): session.channels.list() ...
    """

    @property
    def hint(self) -> str:
        if self.message == "Resource not found":
            return "ARI has no such URL: check the path (session.request() paths are relative to /ari)."
        resource = _resource_of(self.path)
        if resource in _GONE:
            return _GONE[resource]
        return ""


class AriMethodNotAllowed(AriHttpError):
    """405: the resource exists but not with this HTTP method."""


class AriConflict(AriHttpError):
    """409: the object is not in a state that allows this (e.g. pausing a queued playback)."""


class AriInvalidState(AriHttpError):
    """412: the channel is in an invalid state for this operation (e.g. play on a Down channel)."""

    @property
    def hint(self) -> str:
        return "The channel is not in a state that allows this yet (or any more): check channel.state first."


class AriUnprocessable(AriHttpError):
    """422: the request is well formed but refers to something unusable (e.g. a channel not in Stasis)."""

    @property
    def hint(self) -> str:
        if "Stasis" in self.message:
            return (
                "Only channels in one of this session's apps can be controlled: "
                "send the call to Stasis(<app>) in the dialplan, or originate it with app=<app>."
            )
        return ""


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


class ScenarioStopped(AriUsageError):
    """A scenario's ``next()``/``run()`` was stopped by ``reset()`` or ``close()`` while a step ran.

    >>> raise ScenarioStopped("tones: step 'ring' was stopped by reset() while it ran; ...")  # doctest: +SKIP
    """


#: What a 404 on each resource means and what to do about it.
_GONE: dict[str, str] = {
    "channels": (
        "The channel is gone or never existed (a channel leaves when it hangs up): "
        "session.channels.list() shows the live ones."
    ),
    "playbacks": "The playback is gone or never existed: a playback is forgotten once it finished.",
    "bridges": "The bridge is gone or never existed: session.bridges.list() shows the live ones.",
    "recordings": "No such recording: session.recordings.list() shows the stored ones.",
    "sounds": "No such sound: session.sounds.list() shows the sounds Asterisk has.",
}


def _resource_of(path: str) -> str:
    """``"/ari/channels/x/play"`` -> ``"channels"``."""
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "ari":
        parts = parts[1:]
    return parts[0] if parts else ""


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
