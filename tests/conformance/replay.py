"""The replayer: re-issue a trace's client actions against a target, in the capture's causal order.

Rules (all in target time, see ``targets.py``):

* An action (request, WebSocket connect/close, note) waits until **every step before it in the trace** has
  happened: earlier actions performed, earlier observations received (in any order). That is the causal
  relation of the capture: the client played *after* it saw StasisStart, answered *after* the DELETE's 204.
* It is then sent ``t[i] - t[i-1]`` after its predecessor happened in the replay: a client that slept 8 s
  after PlaybackStarted sleeps 8 simulated seconds after the replay's PlaybackStarted.
* Actions never wait for their own response: a request whose response comes after later steps in the trace
  (an answer queued behind a playback) is in flight while those steps are replayed, as in the capture.
* Ids are learned from responses and events (``matching.Matcher``) and substituted into later paths, query
  values and JSON bodies.
* With a manual clock, time only moves when nothing is in flight: before each step the replayer waits for
  the answers to its requests (a short real-time grace; an answer still missing after it counts as blocked by
  the server) and for a ping/pong round trip on every socket (frames sent before the pong have arrived). It
  then advances the clock straight to the next due action or target timer, so events carry exact times.
* An observation that does not come within ``max(1 s, 50 %)`` of its expected time ends the replay; the
  comparer reports it as missing.
* With a running clock, a watcher notes every time the replay's event loop could not run when it should
  have (a loaded machine): ``Recording.stalls``. The comparer does not count time the replay itself lost
  against the target.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from .allowances import about_lost_recording, lost_racy_recording
from .matching import Matcher, Observation, next_seq
from .media import FrameCheck, MediaReplay
from .normalize import IdMap, parse_time
from .targets import Target
from .trace import Step, Trace, decode_rest_response

__all__ = ["Recording", "Replayer", "replay"]

#: For a target whose answers wait for its clock (the fake server replays captured latencies): an answer
#: due within this many target seconds is waited for by moving the clock rather than by waiting.
IMMINENT = 0.005

#: The stall watcher's period, and the lateness beyond it that counts as a stall (an idle loop wakes well
#: within a millisecond of its timer).
STALL_PERIOD = 0.005
STALL_MIN = 0.001


@dataclass
class NoteCheck:
    """A ``note`` step that recorded socket states, against the replay's socket states at that point."""

    index: int
    expected: dict[str, bool]
    got: dict[str, bool]


@dataclass
class Recording:
    """Everything a replay produced, ready for :func:`compare.compare`."""

    trace: Trace
    target: str
    epoch0: float  # target epoch seconds at trace t = 0
    matcher: Matcher
    observations: list[Observation] = field(default_factory=list)
    action_times: dict[int, float] = field(default_factory=dict)  # trace action index -> replay t
    notes: list[NoteCheck] = field(default_factory=list)
    aborted: str | None = None
    barrier: str = "ping/pong"
    real: bool = False  # replayed on a real Asterisk (allowances.CrossThreadRace applies)
    blocked: list[int] = field(default_factory=list)  # requests still unanswered when time had to move on
    frame_checks: list[FrameCheck] = field(default_factory=list)  # media binary-frame summaries (media.py)
    # racy records the capture's won and the replay's lost (allowances.lost_racy_recording): never started
    lost_recordings: set[str] = field(default_factory=set)
    # running clocks: (replay t when the loop ran again, seconds it could not run) of each stall
    stalls: list[tuple[float, float]] = field(default_factory=list)

    def stalled(self, start: float, end: float) -> float:
        """Seconds the replay's loop stood still between replay times ``start`` and ``end``.

        >>> rec.stalls = [(1.10, 0.06), (3.0, 0.02)]; rec.stalled(1.0, 2.0)   # doctest: +SKIP
        0.06
        """
        return sum(lost for at, lost in self.stalls if at - lost < end and at > start)

    @property
    def ids(self) -> IdMap:
        return self.matcher.ids

    def time_of(self, index: int) -> float | None:
        if index in self.action_times:
            return self.action_times[index]
        obs = self.matcher.paired.get(index)
        return None if obs is None else obs.t


@dataclass
class _Socket:
    name: str
    ws: aiohttp.ClientWebSocketResponse
    reader: asyncio.Task[None] | None = None
    client_closing: bool = False
    server_closed: bool = False
    pongs: dict[bytes, asyncio.Future[None]] = field(default_factory=dict)
    pong_ok: bool = True
    # RESTRequests sent on this socket, waiting for their RESTResponse (answered in order, one at a time)
    rest_waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


class Replayer(MediaReplay):
    """Replays one trace against one target; :meth:`run` returns the :class:`Recording`."""

    def __init__(
        self,
        trace: Trace,
        target: Target,
        *,
        grace: float = 1.0,
        barrier_timeout: float = 2.0,
        real_timeout: float | None = None,
    ) -> None:
        self.trace = trace
        self.target = target
        self.clock = target.clock
        self.grace = grace
        self.barrier_timeout = barrier_timeout
        if real_timeout is None:
            # A manual clock replays any capture in well under a second of real time; a stall must not
            # cost minutes. A running clock needs the capture's own duration.
            real_timeout = 20.0 if target.clock.manual else 30.0 + 2.0 * trace.duration / _speed(target.clock)
        self.real_timeout = real_timeout
        self.matcher = Matcher.for_trace(trace)
        self.rec = Recording(trace, target.name, 0.0, self.matcher, real=target.real)
        self.sockets: dict[str, _Socket] = {}
        self.inflight: dict[asyncio.Task[None], int] = {}
        self.blocked: set[asyncio.Task[None]] = set()
        self.performed: set[int] = set()
        self._activity = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._t0 = 0.0
        self._pings = 0
        self._init_media()

    # -- time ------------------------------------------------------------------------------------------
    def now(self) -> float:
        """Target seconds since the replay started."""
        return self.clock.now() - self._t0

    async def _align_second(self) -> None:
        """A manual clock starts at the capture's fraction of a wall-clock second.

        Some behaviour follows whole wall-clock seconds (``maxDurationSeconds`` ends on a second boundary,
        record-max-duration), so the replay's t=0 must sit at the same point of its second as the capture's.
        The capture's t=0 in epoch seconds is its first event's timestamp minus that event's ``t``.
        """
        if not self.target.align_second:
            return
        if not self.clock.manual and not _follows_wall_seconds(self.trace):
            return  # a real clock is aligned by waiting (up to 1 s): only where it matters
        for step in self.trace.steps:
            stamp = step.event.get("timestamp") if step.kind == "event" else None
            epoch = parse_time(stamp)
            if epoch is not None:
                before = self.clock.now()
                shift = (epoch - step.t - before) % 1.0
                if not self.clock.manual:
                    # A real Asterisk's seconds are the wall clock's: wait for the capture's fraction
                    # (record-and-play's maxDurationSeconds=2 then ends 2.8 s after RecordingStarted, as
                    # captured, instead of anywhere from 2.0 to 3.0 s).
                    await asyncio.sleep(shift)
                    return
                await self.clock.advance(shift)
                for _ in range(1000):  # the advance runs on the simulator's loop: wait until it shows
                    if self.clock.now() >= before + shift - 1e-6:
                        break
                    await asyncio.sleep(0.001)
                return

    # -- the main loop ---------------------------------------------------------------------------------
    async def run(self) -> Recording:
        await self._align_second()
        self._t0 = self.rec.epoch0 = self.clock.now()
        started = time.monotonic()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        watcher = None if self.clock.manual else asyncio.ensure_future(self._watch_stalls())
        try:
            while (i := self._first_pending()) is not None:
                if time.monotonic() - started > self.real_timeout:
                    self.rec.aborted = (
                        f"real-time limit of {self.real_timeout:.0f} s reached at trace step #{i}"
                    )
                    break
                await self._settle()
                if (i := self._first_pending()) is None:
                    break
                due = self.clock.next_due() if self.clock.manual else None
                if due is not None and due <= self.clock.now() + 1e-6:
                    # What the target has due now happens before we act. Epoch-scale floats are ~0.24 us
                    # apart: step a microsecond past the due time so that the timer really runs.
                    await self.clock.advance(max(0.0, due - self.clock.now()) + 1e-6)
                    continue
                step = self.trace.steps[i]
                if step.is_action:
                    due = self._due(i)
                    if self.now() >= due - 1e-6:
                        await self._perform(step)
                        continue
                    await self._pass_time(due)
                else:
                    expected, give_up = self._expected(i)
                    if self.now() >= give_up - 1e-6:
                        self.rec.aborted = (
                            f"trace step {step.label()} did not come: expected at replay t={expected:.3f}, "
                            f"waited until t={self.now():.3f}"
                        )
                        break
                    await self._pass_time(give_up)
            await self._settle()
        finally:
            if watcher is not None:
                watcher.cancel()
            await self._shutdown()
        self.rec.observations.sort(key=lambda o: o.seq)
        return self.rec

    async def _watch_stalls(self) -> None:
        """Running clocks: note each time this loop woke later than asked (it could not run meanwhile)."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(STALL_PERIOD)
            late = loop.time() - before - STALL_PERIOD
            if late > STALL_MIN:
                self.rec.stalls.append((self.now(), late))

    def _first_pending(self) -> int | None:
        lost = frozenset(self.rec.lost_recordings)
        for s in self.trace.steps:
            if s.index not in self.performed and not self.matcher.is_done(s.index):
                if not s.is_action and about_lost_recording(s, None, lost):
                    continue  # the events of a racy recording that never started here do not come
                return s.index
        return None

    def _due(self, i: int) -> float:
        if i == 0:
            return self.trace.steps[0].t
        lost = frozenset(self.rec.lost_recordings)
        k = i - 1
        while k > 0 and self.rec.time_of(k) is None and about_lost_recording(self.trace.steps[k], None, lost):
            k -= 1  # an event of a racy recording that never started here: time from the step before it
        prev = self.trace.steps[k]
        at = self.rec.time_of(prev.index)
        assert at is not None  # every step before i has happened
        return at + (self.trace.steps[i].t - prev.t)

    def _expected(self, i: int) -> tuple[float, float]:
        step = self.trace.steps[i]
        anchor = self.trace.anchor_action(i)
        if anchor is None:
            return step.t, step.t + 1.0
        gap = step.t - anchor.t
        expected = self.rec.action_times[anchor.index] + gap
        return expected, expected + max(1.0, 0.5 * gap)

    async def _pass_time(self, until: float) -> None:
        """Let target time pass up to ``until`` (replay seconds); stop early at the target's next timer."""
        if self.clock.manual:
            goal = until
            due = self.clock.next_due()
            if due is not None:
                goal = min(goal, due - self._t0)
            await self.clock.advance(max(0.0, goal - self.now()))
            return
        # A running clock: wait for the time or for anything to arrive, whichever is first.
        self._activity.clear()
        wait = max(0.0, until - self.now())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._activity.wait(), timeout=min(wait / _speed(self.clock), 0.05))

    async def _settle(self) -> None:
        """Wait until the target has said everything it had to say at this instant (manual clocks)."""
        for _ in range(50):
            before = len(self.rec.observations)
            if self.clock.manual:
                await self._wait_inflight()
            await self._barrier()
            if len(self.rec.observations) == before:
                return

    async def _wait_inflight(self) -> None:
        """Manual clock: give in-flight requests a real-time grace to be answered before time moves."""
        waited = 0.0
        quick_answers_need_time = getattr(self.clock, "answers_need_time", False)
        while waiting := [t for t in self.inflight if not t.done() and t not in self.blocked]:
            due = self.clock.next_due() if quick_answers_need_time else None
            if due is not None and due - self.clock.now() <= IMMINENT:
                return  # this target answers after its clock moves, and the answer is due: let time pass
            if waited >= self.grace:
                self.blocked.update(waiting)  # held by the server, e.g. an answer queued behind a playback
                self.rec.blocked += [self.inflight[t] for t in waiting]
                return
            await asyncio.wait(waiting, timeout=0.01, return_when=asyncio.FIRST_COMPLETED)
            waited += 0.01

    async def _barrier(self) -> None:
        """A ping/pong round trip on every open socket: frames sent before the pong are in."""
        waits = []
        for sock in self.sockets.values():
            if sock.ws.closed or sock.client_closing or not sock.pong_ok:
                continue
            self._pings += 1
            payload = f"arinb-barrier-{self._pings}".encode()
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            sock.pongs[payload] = fut
            try:
                await sock.ws.ping(payload)
            except (ConnectionError, RuntimeError):
                sock.pongs.pop(payload, None)
                continue
            waits.append((sock, payload, fut))
        for sock, payload, fut in waits:
            try:
                await asyncio.wait_for(fut, self.barrier_timeout)
            except TimeoutError:
                # This target does not answer pings: fall back to a short real-time pause.
                sock.pong_ok = False
                self.rec.barrier = "sleep (no pong)"
            finally:
                sock.pongs.pop(payload, None)
        await self._media_barrier(self.barrier_timeout)
        if not waits or any(not s.pong_ok for s in self.sockets.values()):
            await asyncio.sleep(0.005)
        for _ in range(3):
            await asyncio.sleep(0)

    # -- actions ---------------------------------------------------------------------------------------
    async def _perform(self, step: Step) -> None:
        self.performed.add(step.index)
        self.rec.action_times[step.index] = self.now()
        kind = step.kind
        if kind == "request":
            self._spawn(self._request(step), step.index)
        elif kind == "ws_connect":
            # In flight like a request: a server may complete a handshake only after sending other frames.
            self._spawn(self._connect(step), step.index)
        elif kind == "ws_connect_attempt":
            await self._attempt(step)
        elif kind == "ws_client_close":
            sock = self.sockets.get(step.socket)
            if sock is not None:
                sock.client_closing = True
                self._spawn(self._client_close(sock), step.index)
        elif kind == "ws_closed":
            sock = self.sockets.get(step.socket)
            if sock is not None:
                sock.client_closing = True
                await sock.ws.close()
        elif kind.startswith("media_ws"):
            await self._perform_media(step)
        elif kind == "ws_send":
            sock = self.sockets.get(step.socket)
            if sock is not None:
                self._spawn(self._ws_send(sock, step), step.index)
        elif kind == "note":
            self._check_note(step)
            self._check_frames(step)

    def _spawn(self, coro: Any, index: int) -> None:
        task = asyncio.ensure_future(coro)
        self.inflight[task] = index
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._activity.set()
        if not task.cancelled() and task.exception() is not None:
            # A harness bug must not pass as a slow server: stop, and say what broke.
            exc = task.exception()
            self._abort(f"harness error in step #{self.inflight[task]}: {type(exc).__name__}: {exc}")

    def _abort(self, why: str) -> None:
        """Stop the replay: nothing more can be replayed faithfully."""
        if self.rec.aborted is None:
            self.rec.aborted = why
        self.performed.update(s.index for s in self.trace.steps)

    def _record(self, obs: Observation) -> None:
        self.rec.observations.append(obs)
        if not obs.informational:
            self.matcher.observe(obs)
        self._activity.set()

    def _auth(self, step: Step) -> dict[str, str]:
        """The Authorization header the capture sent: good, a bad password, or none."""
        how = step.data.get("auth")
        if how == "none":
            return {}
        secret = self.target.password + ("-wrong" if how == "bad password" else "")
        return {"Authorization": basic_auth(self.target.username, secret)}

    def _substitute(self, value: Any) -> Any:
        ids = self.matcher.ids
        if isinstance(value, str):
            return ids.to_replay(value)
        if isinstance(value, dict):
            return {k: self._substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._substitute(v) for v in value]
        return value

    def request_url(self, step: Step) -> URL:
        """The URL to send for a trace request, with the replay's ids (yarl encodes as the capture did)."""
        path = self.matcher.ids.to_replay(step.path)
        query = [(k, self.matcher.ids.to_replay(v)) for k, v in step.query]
        url = URL(self.target.base_url + path)
        return url.with_query(query) if query else url

    async def _request(self, step: Step) -> None:
        assert self._http is not None
        url = self.request_url(step)
        kwargs: dict[str, Any] = {"headers": self._auth(step)}
        if "json_body" in step.data:
            kwargs["json"] = self._substitute(step.data["json_body"])
        data: dict[str, Any] = {"method": step.method, "path": url.path}
        seq = None
        try:
            async with self._http.request(step.method, url, **kwargs) as resp:
                seq, at = next_seq(), self.now()
                raw = await resp.read()
                data.update(
                    status=resp.status,
                    reason=resp.reason,
                    content_type=resp.headers.get("Content-Type"),
                    headers=dict(resp.headers),
                    body_length=len(raw),
                )
                mime = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
                if mime == "application/json" and raw:
                    text = raw.decode()
                    data["raw_body"] = text
                    try:
                        data["body"] = json.loads(text)
                    except ValueError:
                        data["body_error"] = "not JSON"
                elif not raw:
                    data["raw_body"] = ""
                    data["body"] = None
                else:
                    data["body_head_hex"] = raw[:48].hex()
        except (aiohttp.ClientError, OSError) as exc:
            seq, at = next_seq() if seq is None else seq, self.now()
            data["error"] = f"{type(exc).__name__}: {exc}"
        lost = lost_racy_recording(self.trace, step, int(data.get("status") or 0))
        if lost is not None:
            self.rec.lost_recordings.add(lost)
        # A synthetic request (the capture's unrecorded cleanup) has no response to compare with.
        synthetic = bool(step.data.get("synthetic"))
        self._record(
            Observation(seq, "response", "", at, data, request_index=step.index, informational=synthetic)
        )

    async def _ws_send(self, sock: _Socket, step: Step) -> None:
        """Send a frame on the events socket (a RESTRequest); in flight until its RESTResponse comes.

        A binary frame gets no answer from Asterisk, so it is not waited for.
        """
        text = self.matcher.ids.to_replay(str(step.data.get("raw", "")))
        if step.data.get("binary"):
            await sock.ws.send_bytes(text.encode())
            return
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sock.rest_waiters.append(answered)
        await sock.ws.send_str(text)
        await answered

    async def _connect(self, step: Step) -> None:
        assert self._http is not None
        query = dict(step.data.get("query") or {})
        query["api_key"] = f"{self.target.username}:{self.target.password}"
        url = URL(self.target.base_url.replace("http", "ws", 1) + "/ari/events").with_query(query)
        has_connected_step = any(
            s.kind == "ws_connected" and s.socket == step.socket for s in self.trace.steps
        )
        try:
            ws = await self._http.ws_connect(url, autoping=False, autoclose=True, max_msg_size=0)
        except (aiohttp.ClientError, OSError) as exc:
            why = (
                f"handshake failed: {exc.status} {exc.message}"
                if isinstance(exc, aiohttp.WSServerHandshakeError)
                else f"{type(exc).__name__}: {exc}"
            )
            self._record(
                Observation(
                    next_seq(), "ws_connected", step.socket, self.now(), {"error": why}, informational=True
                )
            )
            self._abort(f"WebSocket {step.socket!r} could not connect: {why}")
            return
        sock = _Socket(step.socket, ws)
        self.sockets[step.socket] = sock
        self._record(
            Observation(
                next_seq(), "ws_connected", step.socket, self.now(), {}, informational=not has_connected_step
            )
        )
        sock.reader = asyncio.ensure_future(self._read(sock))

    async def _read(self, sock: _Socket) -> None:
        ws = sock.ws
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                seq, at = next_seq(), self.now()
                try:
                    event = json.loads(msg.data)
                except ValueError:
                    event = {"type": "<not JSON>", "text": msg.data}
                if isinstance(event, dict) and event.get("type") == "RESTResponse":
                    event = decode_rest_response(event)
                    if sock.rest_waiters:
                        answered = sock.rest_waiters.popleft()
                        if not answered.done():
                            answered.set_result(None)
                self._record(Observation(seq, "event", sock.name, at, {"event": event, "raw": msg.data}))
            elif msg.type == aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type == aiohttp.WSMsgType.PONG:
                fut = sock.pongs.get(bytes(msg.data))
                if fut is not None and not fut.done():
                    fut.set_result(None)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self._record(
                    Observation(
                        next_seq(), "event", sock.name, self.now(), {"event": {"type": "<binary frame>"}}
                    )
                )
        if not sock.client_closing:
            sock.server_closed = True
            self._record(
                Observation(
                    next_seq(), "ws_closed", sock.name, self.now(), {"by": "server", "code": ws.close_code}
                )
            )

    async def _client_close(self, sock: _Socket) -> None:
        await sock.ws.close()
        self._record(
            Observation(
                next_seq(), "ws_closed", sock.name, self.now(), {"by": "client", "code": sock.ws.close_code}
            )
        )

    async def _attempt(self, step: Step) -> None:
        assert self._http is not None
        query = {k: v for k, v in (step.data.get("query") or {}).items()}
        if "api_key" in query:
            secret = (
                self.target.password if step.data.get("api_key_valid") else self.target.password + "-wrong"
            )
            query["api_key"] = f"{self.target.username}:{secret}"
        url = URL(self.target.base_url.replace("http", "ws", 1) + "/ari/events").with_query(query)
        result: dict[str, Any]
        try:
            ws = await self._http.ws_connect(url, autoping=True)
        except aiohttp.WSServerHandshakeError as exc:
            result = {"result": "handshake_error", "status": exc.status}
        except (aiohttp.ClientError, OSError) as exc:
            result = {"result": "error", "status": None, "error": str(exc)}
        else:
            result = {"result": "connected", "status": 101}
            await ws.close()
        obs = Observation(next_seq(), "ws_connect_attempt", "", self.now(), result, informational=True)
        obs.paired = step.index
        self.rec.observations.append(obs)

    def _check_note(self, step: Step) -> None:
        expected = {
            name: bool(state.get("closed"))
            for name, state in step.data.items()
            if isinstance(state, dict) and "closed" in state
        }
        if expected:
            got = {name: self._socket_closed(name) for name in expected}
            self.rec.notes.append(NoteCheck(step.index, expected, got))

    def _socket_closed(self, name: str) -> bool:
        sock = self.sockets.get(name)
        return sock is None or sock.ws.closed or sock.server_closed

    # -- the end ---------------------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        if self.target.real:
            await self._cleanup_real()
        await self._close_media()
        for sock in self.sockets.values():
            sock.client_closing = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.ws.close(), 2.0)
            if sock.reader is not None:
                sock.reader.cancel()
        for task in self.inflight:
            task.cancel()
        await asyncio.gather(*self.inflight, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def _cleanup_real(self) -> None:
        """A real Asterisk keeps state between traces: remove what this replay made (and nothing else).

        Ours: channels and bridges whose id appeared in what the server sent us during the replay, and the
        stored recordings the trace records by name. Others' channels on a shared Asterisk are left alone.
        """
        assert self._http is not None
        auth = {"Authorization": basic_auth(self.target.username, self.target.password)}
        base = self.target.base_url + "/ari"
        seen = "\n".join(json.dumps(o.data) for o in self.rec.observations)
        with contextlib.suppress(Exception):
            for kind in ("channels", "bridges"):
                async with self._http.get(f"{base}/{kind}", headers=auth) as resp:
                    items = await resp.json() if resp.status == 200 else []
                for item in items:
                    if f'"{item["id"]}"' in seen:
                        async with self._http.delete(f"{base}/{kind}/{item['id']}", headers=auth):
                            pass
            names = {dict(s.query).get("name") for s in self.trace.steps if s.path.endswith("/record")}
            for name in names - {None}:
                async with self._http.delete(f"{base}/recordings/stored/{name}", headers=auth):
                    pass


def _speed(clock: Any) -> float:
    return float(getattr(clock, "speed", 1.0))


def basic_auth(user: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def replay(trace: Trace, target: Target, **options: Any) -> Recording:
    """Replay ``trace`` against ``target`` (see :class:`Replayer` for the options)."""
    return await Replayer(trace, target, **options).run()


def _follows_wall_seconds(trace: Trace) -> bool:
    """True when the trace asks for behaviour that follows whole wall-clock seconds (a record's
    ``maxDurationSeconds``/``maxSilenceSeconds``: Asterisk compares ``time(NULL)`` values)."""
    limits = ("maxDurationSeconds", "maxSilenceSeconds")
    return any(step.kind == "request" and any(k in limits for k, _ in step.query) for step in trace.steps)
