"""A fake ARI server that plays one trace back verbatim: the harness self-tests replay against it.

It knows nothing about ARI. The k-th request it receives is the trace's k-th request (method, path, query
and credentials are checked: a mismatch gets a 599 that names the difference); the k-th WebSocket handshake is
the trace's k-th ``ws_connect`` / ``ws_connect_attempt``. What the server sent in the capture (events,
responses, handshake completions) goes out in trace order, each ``t[j] - t[anchor]`` after the client action
that preceded it in the trace, on the fake's own manual clock (``now``, ``next_due``, ``advance``: the
:class:`~targets.ReplayClock` protocol). Frames and bodies are the captured ``raw`` text, so a trace replayed
unchanged must conform, and a mutated trace (see test_harness.py) must not.

With ``realtime=True`` the fake's clock is the wall clock. The replayer's actions then come a little later
than the capture's (scheduling), and that lateness adds up over a trace; a server stamps what it sends with
its own clock, so the fake moves each time value it sends (``timestamp``, ``creationtime``...) by as much as
the action that made it came late: each stays as far after that client action as in the capture.

>>> server = TraceServer(load_trace("tones"))          # doctest: +SKIP
>>> target = await server.start()                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import re
import time
from typing import Any

from aiohttp import WSMsgType, web

from .normalize import TIME_KEYS
from .targets import Target
from .trace import Step, Trace

__all__ = ["TraceServer"]

USER, PASSWORD = "asterisk", "asterisk"

#: A time value in a captured frame or body (normalize.TIMESTAMP_RE's format, under one of TIME_KEYS).
_TIME_VALUE = re.compile(
    '"(' + "|".join(sorted(TIME_KEYS)) + r')":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})([+-]\d{4})"'
)


class TraceServer:
    """Serve ``trace`` on 127.0.0.1 (see the module docstring)."""

    #: Even a quick answer waits for the clock (its captured latency): see ``Replayer._wait_inflight``.
    answers_need_time = True

    def __init__(self, trace: Trace, *, realtime: bool = False) -> None:
        self.trace = trace
        # realtime: the fake's clock is the wall clock (as a real Asterisk's), for the replayer's other mode.
        self.manual = not realtime
        self._mono0 = time.monotonic()
        self._ticker: asyncio.Task[None] | None = None
        self._now = trace.started_wallclock
        self._seen: dict[int, float] = {}  # trace action index -> fake time the server saw it
        self._outputs = [s for s in trace.steps if s.is_observation]
        self._next = 0
        self._requests = [s for s in trace.steps if s.kind == "request"]
        self._handshakes = [s for s in trace.steps if s.kind in ("ws_connect", "ws_connect_attempt")]
        self._request_count = 0
        self._handshake_count = 0
        self._waiters: dict[int, asyncio.Future[Any]] = {}  # output step -> what a handler waits for
        self._outboxes: dict[str, asyncio.Queue[str | None]] = {}
        self._closers: dict[str, list[int]] = {}
        for s in trace.steps:
            if s.is_action and s.kind in ("ws_client_close", "ws_closed"):
                self._closers.setdefault(s.socket, []).append(s.index)
        self.problems: list[str] = []
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # externalMedia's /media sockets: their handshakes in order, and the binary frames the summaries
        # count, each due like an output ``frame t - anchor t`` after the client action before it.
        self._media_handshakes = [s for s in trace.steps if s.kind == "media_ws_connect"]
        self._media_count = 0
        self._media_boxes: dict[str, asyncio.Queue[tuple[str, Any] | None]] = {}
        self._frames = _frame_schedule(trace)

    # -- the ReplayClock protocol ----------------------------------------------------------------------
    def now(self) -> float:
        if not self.manual:
            return self.trace.started_wallclock + time.monotonic() - self._mono0
        return self._now

    def next_due(self) -> float | None:
        if not self.manual or self._next >= len(self._outputs):
            return None
        return self._due(self._outputs[self._next])

    async def advance(self, dt: float) -> None:
        if not self.manual:
            await asyncio.sleep(max(0.0, dt))
            return
        self._now += max(0.0, dt)
        self._pump()
        for _ in range(3):
            await asyncio.sleep(0)

    async def _tick(self) -> None:
        # Real time: send what falls due, every millisecond.
        while True:
            self._now = self.now()
            self._pump()
            await asyncio.sleep(0.001)

    # -- life cycle ------------------------------------------------------------------------------------
    async def start(self) -> Target:
        app = web.Application()
        app.router.add_route("GET", "/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        app.router.add_route("GET", "/media/{connection_id}", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        if not self.manual:
            self._mono0 = time.monotonic()
            self._ticker = asyncio.create_task(self._tick())
        return Target("fake trace server", f"http://127.0.0.1:{port}", USER, PASSWORD, self, self.close)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for box in self._outboxes.values():
            box.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scheduling ------------------------------------------------------------------------------------
    def _due(self, step: Step) -> float | None:
        anchor = self.trace.anchor_action(step.index)
        if anchor is None:
            return self.trace.started_wallclock + step.t
        seen = self._seen.get(anchor.index)
        return None if seen is None else seen + (step.t - anchor.t)

    def _saw(self, index: int) -> None:
        self._seen.setdefault(index, self.now())
        self._pump()

    def _pump(self) -> None:
        """Send every output that is due, in trace order."""
        while self._frames:
            anchor, offset, socket = self._frames[0]
            seen = self._seen.get(anchor)
            if seen is None or seen + offset > self._now + 1e-6:
                break
            self._frames.pop(0)
            box = self._media_boxes.get(socket)
            if box is not None:
                box.put_nowait(("bytes", bytes(320)))
        while self._next < len(self._outputs):
            step = self._outputs[self._next]
            due = self._due(step)
            if due is None or due > self._now + 1e-6:
                return
            if step.kind in ("response", "ws_connected") and step.index not in self._waiters:
                return  # its request or handshake has not arrived yet
            self._next += 1
            if step.kind == "event":
                box = self._outboxes.get(step.socket)
                if box is not None:
                    box.put_nowait(self._stamped(step, step.data["raw"]))
            elif step.kind == "media_ws" or (
                step.kind == "media_ws_closed" and step.data.get("close_code") is not None
            ):
                media = self._media_boxes.get(step.socket)
                if media is not None:
                    if step.kind == "media_ws":
                        media.put_nowait(("text", self._stamped(step, step.data["raw"])))
                    else:
                        media.put_nowait(("close", int(step.data["close_code"])))
            elif step.index in self._waiters:
                fut = self._waiters.pop(step.index)
                if not fut.done():
                    fut.set_result(step)

    def _stamped(self, step: Step, text: str) -> str:
        """``text`` (what ``step`` sends) with each time value moved as late as the action that made it came.

        Real time only (see the module docstring); a value older than every action stays as it is.
        """
        if self.manual:
            return text  # the capture's own schedule: its values are right as they are
        wall0 = self.trace.started_wallclock

        def moved(m: re.Match[str]) -> str:
            at = dt.datetime.strptime(m[2] + m[3], "%Y-%m-%dT%H:%M:%S.%f%z")
            maker = self.trace.action_by(step.index, at.timestamp() - wall0)
            if maker is None or maker.index not in self._seen:
                return m[0]
            at += dt.timedelta(seconds=self._seen[maker.index] - (wall0 + maker.t))
            return f'"{m[1]}":"{at.strftime("%Y-%m-%dT%H:%M:%S.")}{at.microsecond // 1000:03d}{m[3]}"'

        return _TIME_VALUE.sub(moved, text)

    def _expect(self, step_index: int) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[step_index] = fut
        return fut

    # -- REST ------------------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        k = self._request_count
        self._request_count += 1
        if k >= len(self._requests):
            return self._mismatch(f"request #{k} beyond the trace: {request.method} {request.path_qs}")
        step = self._requests[k]
        problem = self._check_request(step, request)
        if problem:
            self._saw(step.index)
            self._outputs = [s for s in self._outputs if s.index != self.trace.response_of.get(step.index)]
            self._pump()
            return self._mismatch(problem)
        response_index = self.trace.response_of.get(step.index)
        if response_index is None:  # the capture's unrecorded cleanup request: answered, not compared
            self._saw(step.index)
            return web.Response(status=204)
        fut = self._expect(response_index)
        self._saw(step.index)
        answer: Step = await fut
        return self._response(answer)

    def _check_request(self, step: Step, request: web.Request) -> str | None:
        query = [(k, v) for k, v in request.query.items()]
        if request.method != step.method or request.path != step.path or query != step.query:
            got = f"{request.method} {request.path} {query}"
            return f"expected {step.method} {step.path} {step.query}, got {got}"
        want = {"none": None, "bad password": "bad"}.get(str(step.data.get("auth")), "good")
        header = request.headers.get("Authorization")
        good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        have = None if header is None else ("good" if header == good else "bad")
        if want != have:
            return f"expected {want} credentials, got {have}"
        return None

    def _mismatch(self, text: str) -> web.Response:
        self.problems.append(text)
        return web.json_response({"message": f"fake server: {text}"}, status=599, reason="Trace Mismatch")

    def _response(self, step: Step) -> web.Response:
        d = step.data
        headers: dict[str, str] = {}
        if d.get("www_authenticate"):
            headers["WWW-Authenticate"] = d["www_authenticate"]
        if "body_length" in d:
            head = bytes.fromhex(d.get("body_head_hex", ""))
            body = head + bytes(max(0, int(d["body_length"]) - len(head)))
            for name in ("Cache-Control",):
                if name in (d.get("headers") or {}):
                    headers[name] = d["headers"][name]
            return web.Response(
                status=d["status"],
                reason=d["reason"],
                body=body,
                headers=headers,
                content_type=d["content_type"],
            )
        raw = d.get("raw_body")
        if raw is None and "body_summary" in d:
            raw = _summary_body(d["body_summary"])
        if not raw:
            return web.Response(status=d["status"], reason=d["reason"], headers=headers)
        raw = self._stamped(step, raw)
        response = web.Response(status=d["status"], reason=d["reason"], text=raw, headers=headers)
        if d.get("content_type"):
            response.content_type = d["content_type"]
        return response

    # -- the events WebSocket --------------------------------------------------------------------------
    async def _events(self, request: web.Request) -> web.StreamResponse:
        k = self._handshake_count
        self._handshake_count += 1
        if k >= len(self._handshakes):
            return self._mismatch("WebSocket handshake beyond the trace")
        step = self._handshakes[k]
        if step.kind == "ws_connect_attempt":
            self._saw(step.index)
            status = int(step.data.get("status") or 400)
            return web.json_response(
                {"message": "fake server: handshake refused as in the trace"}, status=status
            )
        connected = [s for s in self._outputs if s.kind == "ws_connected" and s.socket == step.socket]
        fut = self._expect(connected[0].index) if connected else None
        self._saw(step.index)
        if fut is not None:
            await fut
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        box: asyncio.Queue[str | None] = asyncio.Queue()
        self._outboxes[step.socket] = box
        writer = asyncio.create_task(self._write(ws, box))
        self._tasks.add(writer)
        self._pump()
        sends = [s.index for s in self.trace.steps if s.kind == "ws_send" and s.socket == step.socket]
        async for msg in ws:
            # Pings are answered by aiohttp (autoping). A frame the client sends is the trace's next
            # ws_send (a RESTRequest): what followed it in the capture is due from now on.
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY) and sends:
                self._saw(sends.pop(0))
        closers = self._closers.get(step.socket) or []
        if closers:
            self._saw(closers.pop(0))
        box.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 1.0)
        return ws

    # -- externalMedia's media WebSockets ---------------------------------------------------------------
    async def _media(self, request: web.Request) -> web.StreamResponse:
        k = self._media_count
        self._media_count += 1
        if k >= len(self._media_handshakes):
            return self._mismatch("media WebSocket handshake beyond the trace")
        step = self._media_handshakes[k]
        self._saw(step.index)
        if step.data.get("result") != "connected":
            reply = step.data.get("http_replay") or {}
            return web.Response(
                status=int(step.data.get("status") or 404),
                reason=reply.get("reason"),
                text=reply.get("body", ""),
                content_type="text/html",
            )
        protocols = ("media",) if step.data.get("negotiated_protocol") == "media" else ()
        ws = web.WebSocketResponse(protocols=protocols, autoping=True, autoclose=False)
        await ws.prepare(request)
        box: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
        self._media_boxes[step.socket] = box
        writer = asyncio.create_task(self._write_media(ws, box))
        self._tasks.add(writer)
        self._pump()
        sends = [
            s.index
            for s in self.trace.steps
            if s.kind == "media_ws" and s.is_action and s.socket == step.socket
        ]
        closes = [
            s for s in self.trace.steps if s.kind == "media_ws_client_close" and s.socket == step.socket
        ]
        done = [
            s for s in self.trace.steps if s.kind == "media_ws_client_close_done" and s.socket == step.socket
        ]
        while True:  # not ``async for``: it stops before handing over the client's CLOSE
            msg = await ws.receive()
            if msg.type == WSMsgType.TEXT and sends:
                self._saw(sends.pop(0))
            elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
            elif msg.type == WSMsgType.CLOSE:
                if closes:
                    self._saw(closes[0].index)
                code = int(done[0].data.get("close_code_from_server") or 1000) if done else 1000
                box.put_nowait(("close", code))
                break
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 1.0)
        return ws

    @staticmethod
    async def _write_media(ws: web.WebSocketResponse, box: asyncio.Queue[tuple[str, Any] | None]) -> None:
        while (item := await box.get()) is not None:
            kind, value = item
            if ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                if kind == "text":
                    await ws.send_str(value)
                elif kind == "bytes":
                    await ws.send_bytes(value)
                else:
                    await ws.close(code=value)
                    return

    @staticmethod
    async def _write(ws: web.WebSocketResponse, box: asyncio.Queue[str | None]) -> None:
        while (text := await box.get()) is not None:
            if ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(text)


def _frame_schedule(trace: Trace) -> list[tuple[int, float, str]]:
    """``(anchor action index, seconds after it, socket)`` of every binary frame the summaries count."""
    frames: list[tuple[float, int, float, str]] = []
    for step in trace.steps:
        summary = step.data.get("summary") if step.kind == "note" else None
        if not isinstance(summary, dict) or not summary.get("frames"):
            continue
        n, first, last = int(summary["frames"]), summary.get("first_frame_t"), summary.get("last_frame_t")
        if first is None or last is None:
            continue
        for i in range(n):
            t = first + (last - first) * i / max(1, n - 1)
            anchor = next(
                (
                    a
                    for a in reversed(trace.steps[: step.index])
                    if a.is_action and a.kind != "note" and a.t <= t
                ),
                None,
            )
            if anchor is not None:
                frames.append((t, anchor.index, t - anchor.t, f"media:{summary.get('connection')}"))
    frames.sort()
    return [(a, off, sock) for _, a, off, sock in frames]


def _summary_body(summary: dict[str, Any]) -> str:
    """A list body for a summarised capture: the summarised items, then placeholders up to ``count``."""
    import json

    items = list(summary.get("first3") or [])
    items += [
        {"id": f"fake-sound-{i}", "formats": []} for i in range(len(items), int(summary.get("count", 0)))
    ]
    return json.dumps(items)
