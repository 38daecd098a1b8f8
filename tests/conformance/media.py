"""Media WebSockets in a replay: externalMedia's ``/media/<connection id>`` sockets (ASTERISK22.md kinds).

Trace steps (``connection`` names the socket; the replayer calls it ``media:<connection>``):

* actions: ``media_ws_connect`` (url, protocols; its ``result``/``status`` is compared like a connect
  attempt), ``media_ws`` with ``direction: "send"`` (a text command), ``media_ws_client_close`` (code);
* observations: ``media_ws`` with ``direction: "recv"`` (a text message), ``media_ws_closed`` (the socket
  ended: ``close_code`` is the server's code, None when the client closed it), ``media_ws_client_close_done``
  (``close_code_from_server``, the code the server answered a client close with).

Binary frames are not stored in the traces: ``note`` steps summarise them (``summary``: connection, frames,
sizes). The replay counts the frames each media socket received since the previous summary of that
connection and :func:`frame_checks` compares the counts (a frame or two of slack at the window edges).

>>> media_role({"kind": "media_ws", "direction": "send", "connection": "ext1"})
('media:ext1', True)
>>> media_role({"kind": "media_ws_closed", "connection": "ext1"})
('media:ext1', False)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from .matching import Observation, next_seq

if TYPE_CHECKING:
    from .normalize import IdMap
    from .trace import Step

__all__ = [
    "MEDIA_ACTIONS",
    "MEDIA_OBSERVATIONS",
    "FrameCheck",
    "MediaReplay",
    "frame_checks",
    "media_content",
    "media_role",
]

MEDIA_ACTIONS = frozenset({"media_ws_connect", "media_ws_client_close"})
MEDIA_OBSERVATIONS = frozenset({"media_ws_closed", "media_ws_client_close_done"})
#: A frame count may differ by this much at each edge of a summary window (when the window opened and
#: closed relative to the 20 ms frame clock differs by a fraction of a frame between capture and replay).
FRAME_SLACK = 2


def media_role(step: dict[str, Any]) -> tuple[str, bool] | None:
    """``(socket name, is_action)`` for a media step, None for any other step kind."""
    kind = step.get("kind")
    if kind == "media_ws":
        return f"media:{step.get('connection')}", step.get("direction") == "send"
    if kind in MEDIA_ACTIONS:
        return f"media:{step.get('connection')}", True
    if kind in MEDIA_OBSERVATIONS:
        return f"media:{step.get('connection')}", False
    return None


def media_content(ids: IdMap, step: Step, obs: Observation) -> list[str]:
    """How a paired media observation differs from its trace step (empty: the same)."""
    from .normalize import diff

    if step.kind == "media_ws":
        want, have = _parsed(str(step.data.get("raw", ""))), _parsed(str(obs.data.get("raw", "")))
        expected = ids.normalize(want, side="trace")
        got = ids.normalize(have, side="replay")
        return [str(d) for d in diff(expected, got)]
    if step.kind == "media_ws_closed":
        want_code, have_code = step.data.get("close_code"), obs.data.get("close_code")
        return [] if want_code == have_code else [f"close code: expected {want_code}, got {have_code}"]
    if step.kind == "media_ws_client_close_done":
        want_code = step.data.get("close_code_from_server")
        have_code = obs.data.get("close_code_from_server")
        if want_code == have_code:
            return []
        return [f"server's close code: expected {want_code}, got {have_code}"]
    return []


def _parsed(text: str) -> Any:
    """A JSON control message as its object, a plain one as its text."""
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            return json.loads(text)
    return text


@dataclass
class FrameCheck:
    """A binary-frame summary note against the frames the replay's socket received in the same window."""

    index: int
    connection: str
    expected: int
    got: int
    sizes: dict[str, int]
    got_sizes: dict[str, int]

    def problems(self) -> list[str]:
        out = []
        slack = FRAME_SLACK if self.expected else 0
        if abs(self.got - self.expected) > slack:
            out.append(f"binary frames on {self.connection}: expected {self.expected}, got {self.got}")
        if self.expected and set(self.got_sizes) - set(self.sizes):
            out.append(f"frame sizes on {self.connection}: expected {self.sizes}, got {self.got_sizes}")
        return out


def frame_checks(checks: list[FrameCheck]) -> list[tuple[int, list[str]]]:
    """``(note index, problems)`` for every frame summary that does not hold."""
    return [(c.index, p) for c in checks if (p := c.problems())]


@dataclass
class _MediaSocket:
    name: str
    ws: aiohttp.ClientWebSocketResponse
    reader: asyncio.Task[None] | None = None
    client_closing: bool = False
    frames: list[tuple[float, int]] = field(default_factory=list)  # (replay t, size)
    counted: int = 0  # frames already attributed to an earlier summary
    pongs: dict[bytes, asyncio.Future[None]] = field(default_factory=dict)


class MediaReplay:
    """The replayer's media-socket half (mixed into :class:`replay.Replayer`)."""

    # provided by the Replayer
    _http: aiohttp.ClientSession | None
    target: Any
    matcher: Any
    rec: Any

    def _init_media(self) -> None:
        self.media: dict[str, _MediaSocket] = {}

    def now(self) -> float:  # pragma: no cover - the Replayer's
        raise NotImplementedError

    def _record(self, obs: Observation) -> None:  # pragma: no cover - the Replayer's
        raise NotImplementedError

    def _spawn(self, coro: Any, index: int) -> None:  # pragma: no cover - the Replayer's
        raise NotImplementedError

    async def _perform_media(self, step: Step) -> None:
        kind = step.kind
        if kind == "media_ws_connect":
            self._spawn(self._media_connect(step), step.index)
        elif kind == "media_ws":
            sock = self.media.get(step.socket)
            if sock is not None and not sock.ws.closed:
                await sock.ws.send_str(self.matcher.ids.to_replay(str(step.data.get("raw", ""))))
        elif kind == "media_ws_client_close":
            sock = self.media.get(step.socket)
            if sock is not None:
                sock.client_closing = True
                self._spawn(self._media_client_close(sock, int(step.data.get("code", 1000))), step.index)

    def media_url(self, step: Step) -> URL:
        """The trace's media URL on the target, with the replay's connection id."""
        trace_url = URL(str(step.data.get("url", "")))
        path = self.matcher.ids.to_replay(trace_url.path)
        return URL(self.target.base_url.replace("http", "ws", 1) + path)

    async def _media_connect(self, step: Step) -> None:
        assert self._http is not None
        protocols = tuple(step.data.get("protocols") or ())
        result: dict[str, Any]
        ws = None
        try:
            ws = await self._http.ws_connect(
                self.media_url(step), protocols=protocols, autoping=False, autoclose=False, max_msg_size=0
            )
        except aiohttp.WSServerHandshakeError as exc:
            result = {"result": "handshake_error", "status": exc.status}
        except (aiohttp.ClientError, OSError) as exc:
            result = {"result": "error", "status": None, "error": str(exc)}
        else:
            result = {"result": "connected", "status": 101, "negotiated_protocol": ws.protocol}
        obs = Observation(next_seq(), "media_ws_connect", step.socket, self.now(), result, informational=True)
        obs.paired = step.index
        self.rec.observations.append(obs)
        if ws is not None:
            sock = _MediaSocket(step.socket, ws)
            self.media[step.socket] = sock
            sock.reader = asyncio.ensure_future(self._media_read(sock))

    async def _media_read(self, sock: _MediaSocket) -> None:
        ws = sock.ws
        code: int | None = None
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._record(Observation(next_seq(), "media_ws", sock.name, self.now(), {"raw": msg.data}))
            elif msg.type == aiohttp.WSMsgType.BINARY:
                sock.frames.append((self.now(), len(msg.data)))
            elif msg.type == aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type == aiohttp.WSMsgType.PONG:
                fut = sock.pongs.get(bytes(msg.data))
                if fut is not None and not fut.done():
                    fut.set_result(None)
            elif msg.type == aiohttp.WSMsgType.CLOSE:
                code = int(msg.data) if msg.data is not None else None
                if not sock.client_closing:
                    with contextlib.suppress(Exception):
                        await ws.close(code=1000)
                break
            else:  # CLOSING, CLOSED, ERROR
                break
        if not sock.client_closing:
            self._record(
                Observation(next_seq(), "media_ws_closed", sock.name, self.now(), {"close_code": code})
            )

    async def _media_client_close(self, sock: _MediaSocket, code: int) -> None:
        # The reader sees the server's answering close frame; close() then completes.
        await sock.ws.close(code=code)
        if sock.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.reader, 2.0)
        at = self.now()
        self._record(Observation(next_seq(), "media_ws_closed", sock.name, at, {"close_code": None}))
        self._record(
            Observation(
                next_seq(),
                "media_ws_client_close_done",
                sock.name,
                at,
                {"close_code_from_server": sock.ws.close_code},
            )
        )

    async def _media_barrier(self, limit: float) -> None:
        """A ping/pong round trip on every open media socket (its messages sent before are in)."""
        waits = []
        for sock in self.media.values():
            if sock.ws.closed or sock.client_closing:
                continue
            payload = f"arinb-media-barrier-{next_seq()}".encode()
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            sock.pongs[payload] = fut
            try:
                await sock.ws.ping(payload)
            except (ConnectionError, RuntimeError):
                sock.pongs.pop(payload, None)
                continue
            waits.append((sock, payload, fut))
        for sock, payload, fut in waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, limit)
            sock.pongs.pop(payload, None)

    def _check_frames(self, step: Step) -> None:
        summary = step.data.get("summary")
        if not isinstance(summary, dict) or "frames" not in summary:
            return
        name = f"media:{summary.get('connection')}"
        sock = self.media.get(name)
        frames = sock.frames[sock.counted :] if sock is not None else []
        if sock is not None:
            sock.counted = len(sock.frames)
        got_sizes: dict[str, int] = {}
        for _, size in frames:
            got_sizes[str(size)] = got_sizes.get(str(size), 0) + 1
        self.rec.frame_checks.append(
            FrameCheck(
                step.index,
                name,
                int(summary.get("frames") or 0),
                len(frames),
                {str(k): int(v) for k, v in (summary.get("sizes") or {}).items()},
                got_sizes,
            )
        )

    async def _close_media(self) -> None:
        for sock in self.media.values():
            sock.client_closing = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.ws.close(), 2.0)
            if sock.reader is not None:
                sock.reader.cancel()
