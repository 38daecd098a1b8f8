"""REST over the events WebSocket (Asterisk 22): ``RESTRequest`` frames out, ``RESTResponse`` frames back.

Asterisk runs the requests of one socket strictly one at a time, in order. A request whose reply waits for
the channel's control queue (answer, setting a variable, adding to or removing from a bridge: Asterisk's
synchronous ``stasis_app_send_command``) waits behind a playing tone, and over the socket it would hold
every request behind it. So the lane takes such an operation only when nothing else is in flight on it,
and while one is in flight every other request goes over HTTP (see :meth:`WsRequests.takes`). The 05
notebook's "answer stuck behind the tone" then still unblocks when the tone is stopped: the stop goes
over HTTP.

Replies are matched by their ``transaction_id``; each request has its own timer (``request_timeout``).
A request in flight when the socket drops fails with :class:`WsRequestDropped` (an
:class:`~arinb.errors.AriConnectionError`); the transport retries it once over HTTP only if
:func:`retries_over_http` says so (an idempotent GET). This module is the whole socket-or-HTTP policy:
:meth:`WsRequests.takes` picks the way, :func:`retries_over_http` the fallback, and a probe dropped with the
socket says nothing about the server (:func:`probe_settles`), so the transport probes again after the
reconnect.

>>> lane = WsRequests(timeout=30.0)                       # doctest: +SKIP
>>> lane.attach(ws)                                         # doctest: +SKIP
>>> status, reason, ctype, body = await lane.request("GET", "/asterisk/ping", {}, None)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from typing import Any, Final

from arinb.errors import AriConnectionError, AriTimeoutError
from arinb.models import dumps, loads

__all__ = [
    "RESPONSE_PREFIX",
    "WsRequestDropped",
    "WsRequests",
    "may_wait",
    "probe_settles",
    "retries_over_http",
]

#: How Asterisk starts every RESTResponse frame (``type`` is its first key): the reader's cheap test.
RESPONSE_PREFIX: Final = '{"type":"RESTResponse"'

# POST operations whose reply waits for the channel's control queue (stasis_app_send_command, not _async,
# in Asterisk 22.10.1: res_stasis_answer.c, control.c set_channel_var / add / remove, resource_bridges.c
# videoSource). Everything else is answered by the request thread at once.
_MAY_WAIT = re.compile(
    r"^/(?:channels/[^/]+/(?:answer|variable)|bridges/[^/]+/(?:addChannel|removeChannel|videoSource/[^/]+))$"
)


def may_wait(method: str, path: str) -> bool:
    """True if Asterisk's reply to this request can wait behind the channel's media (a playing tone).

    >>> may_wait("POST", "/channels/1.2/answer"), may_wait("DELETE", "/playbacks/pb-1")
    (True, False)
    """
    return method == "POST" and _MAY_WAIT.match(path) is not None


class WsRequestDropped(AriConnectionError):
    """The events WebSocket closed while this request waited for its RESTResponse."""


def retries_over_http(method: str) -> bool:
    """Whether a request that :class:`WsRequestDropped` caught is sent once more over HTTP.

    Only a GET: it changes nothing, so running it twice is harmless. Any other request may have run on the
    server before the socket dropped; sending it again could do it twice, so its caller gets the error.

    >>> retries_over_http("GET"), retries_over_http("POST")
    (True, False)
    """
    return method == "GET"


def probe_settles(error: BaseException | None) -> bool:
    """Whether the connect-time probe's outcome (``error``, None if it was answered) decides the lane.

    An answer, no answer in time, or an error frame does; a socket that dropped under the probe does not
    (that says nothing about the server): the lane stays, unconfirmed, and is probed again on the next
    socket.

    >>> probe_settles(None), probe_settles(TimeoutError()), probe_settles(WsRequestDropped("gone"))
    (True, True, False)
    """
    return not isinstance(error, WsRequestDropped)


#: A lane whose oldest request has waited this long is stalled (Asterisk answers most requests in well
#: under a millisecond): new requests go over HTTP until it answers, so that they do not queue behind it.
STALL_AFTER: Final = 0.2


class _Pending:
    __slots__ = ("future", "sent", "timer", "waits")

    def __init__(self, future: asyncio.Future[Any], waits: bool, sent: float) -> None:
        self.future = future
        self.waits = waits
        self.sent = sent
        self.timer: asyncio.TimerHandle | None = None


class WsRequests:
    """The request lane of one session's events WebSocket. Lives on the engine loop.

    ``attach(ws)`` after each (re)connect, ``detach(why)`` when the socket ends (fails what is in flight),
    ``feed(text)`` for every RESTResponse frame the reader sees.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.ws: Any = None
        self.pending: dict[str, _Pending] = {}
        self.waiting = 0  # requests in flight that may wait on media (timed-out ones included)
        self.confirmed = False  # the server answered the probe: requests may use the lane
        self._ids = itertools.count(1)
        self._prefix = f"arinb-{os.getpid():x}-{id(self) & 0xFFFFFF:x}-"

    # ------------------------------------------------------------------ socket

    def attach(self, ws: Any) -> None:
        self.ws = ws

    def detach(self, why: str) -> None:
        """The socket ended: every request in flight fails (a typed error, never a hang)."""
        self.ws = None
        pending, self.pending = self.pending, {}
        self.waiting = 0
        for p in pending.values():
            if p.timer is not None:
                p.timer.cancel()
            if not p.future.done():
                p.future.set_exception(
                    WsRequestDropped(f"the events WebSocket closed ({why}) before the reply came")
                )

    @property
    def up(self) -> bool:
        ws = self.ws
        return ws is not None and not ws.closed

    def takes(self, method: str, path: str) -> bool:
        """Whether this request goes over the socket now (else HTTP).

        Nothing ever queues behind a request that may wait on media: such a request is sent only on an
        idle lane, and while it is in flight the lane takes nothing. Nor behind one held up for another
        reason (``STALL_AFTER``), or one that timed out or whose caller gave up waiting (it stays on the
        server's lane, and may hold it long: a request behind it would wait its whole timeout).
        """
        if self.waiting or not self.confirmed or not self.up:
            return False
        if not self.pending:
            return True
        if may_wait(method, path):
            return False
        if any(p.future.done() for p in self.pending.values()):
            return False  # abandoned (timed out, cancelled): the server still runs it first
        # Held up by something (a slow server, a request that timed out): do not queue behind it.
        oldest = next(iter(self.pending.values()))
        return asyncio.get_running_loop().time() - oldest.sent < STALL_AFTER

    # ------------------------------------------------------------------ requests

    async def request(
        self, method: str, path: str, query: dict[str, str], body: Any, *, probe: bool = False
    ) -> tuple[int, str, str | None, str | None]:
        """Send one RESTRequest; ``(status, reason phrase, content type, message body text)``.

        ``path`` is below ``/ari`` with a leading slash, percent-encoded as for HTTP. The connect-time
        probe's id ends in ``-probe`` (a test server can tell it from the session's own requests).
        """
        ws = self.ws
        if ws is None or ws.closed:
            raise WsRequestDropped("the events WebSocket is not connected")
        tid = self._prefix + ("probe" if probe else str(next(self._ids)))
        msg: dict[str, Any] = {
            "type": "RESTRequest",
            "transaction_id": tid,
            "request_id": tid,
            "method": method,
            "uri": path[1:],
        }
        if query:
            msg["query_strings"] = [{"name": k, "value": v} for k, v in query.items()]
        if body is not None:
            msg["content_type"] = "application/json"
            msg["message_body"] = dumps(body)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        waits = may_wait(method, path)
        entry = _Pending(future, waits, loop.time())
        self.pending[tid] = entry
        if waits:
            self.waiting += 1
        entry.timer = loop.call_later(self.timeout, self._expire, tid)
        try:
            await ws.send_str(dumps(msg))
        except (ConnectionError, RuntimeError) as exc:
            self._settle(tid)
            raise WsRequestDropped(f"could not send on the events WebSocket ({exc})") from None
        reply: dict[str, Any] = await future
        status = reply.get("status_code")
        return (
            int(status) if isinstance(status, int) else 500,
            str(reply.get("reason_phrase") or ""),
            reply.get("content_type"),
            reply.get("message_body"),
        )

    def feed(self, text: str) -> bool:
        """A RESTResponse frame: hand it to its request. False if it answers none of ours."""
        try:
            reply = loads(text)
        except ValueError:
            return False
        if not isinstance(reply, dict):
            return False
        entry = self._settle(reply.get("transaction_id"))
        if entry is None:
            return False  # a late reply to a timed-out request, or not ours
        if not entry.future.done():
            entry.future.set_result(reply)
        return True

    def _settle(self, tid: Any) -> _Pending | None:
        entry = self.pending.pop(tid, None) if isinstance(tid, str) else None
        if entry is None:
            return None
        if entry.timer is not None:
            entry.timer.cancel()
        if entry.waits:
            self.waiting -= 1
        return entry

    def _expire(self, tid: str) -> None:
        # The request stays on the lane (Asterisk still runs it, and everything queued behind it): only its
        # caller stops waiting. Its late reply is then dropped by feed().
        entry = self.pending.get(tid)
        if entry is not None and not entry.future.done():
            entry.future.set_exception(AriTimeoutError(f"no RESTResponse within {self.timeout} s"))
