"""A fake ARI driver for the scenario framework: a session and a simulator that behave like the traces.

Only what the scenarios use. Events are dispatched on the running loop a tick after the request, like
frames arriving after a REST reply, with simulated timestamps from a manual clock.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, ClassVar

from arinb.errors import AriNotFound
from arinb.models import format_timestamp


class ManualClock:
    def __init__(self, start: float = 1795695288.0) -> None:
        self.t = start
        self.manual = True
        self.speed = 0.0
        self.timers: list[tuple[float, Callable[[], None]]] = []

    def now(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        end = self.t + dt
        while True:
            due = sorted((t for t in self.timers if t[0] <= end), key=lambda x: x[0])
            if not due:
                break
            at, fn = due[0]
            self.timers.remove(due[0])
            self.t = at  # like the simulator's clock: a timer fires at its own due time
            fn()
        self.t = end

    def at(self, delay: float, fn: Callable[[], None]) -> None:
        self.timers.append((self.t + delay, fn))


async def _done(value: Any = None) -> Any:
    return value


class FakePlayback:
    def __init__(self, channel: FakeChannel, media: str, playback_id: str) -> None:
        self.channel = channel
        self.id = playback_id
        self.media_uri = media
        self.target_uri = f"channel:{channel.id}"
        self.state = "queued"
        self._handlers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)

    def on(self, event_type: str, handler: Callable[[Any], Any]) -> None:
        self._handlers[event_type].append(handler)

    def __await__(self):  # type: ignore[no-untyped-def]
        return _done(self).__await__()

    def _json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "media_uri": self.media_uri,
            "target_uri": self.target_uri,
            "state": self.state,
        }

    def stop(self) -> Any:
        if self.state in ("playing", "queued"):
            self.state = "done"
            self.channel.session._emit("PlaybackFinished", playback=self)
            self.channel._unblock()
        return _done()


class FakeChannel:
    def __init__(self, session: FakeSession, cid: str, name: str) -> None:
        self.session = session
        self.id = cid
        self.name = name
        self.state = "Ring"
        self.gone = False
        self.current: FakePlayback | None = None
        self._blocked: list[Callable[[], None]] = []
        self.requests: list[str] = []

    def _json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "state": self.state}

    def play(self, media: str, playback_id: str) -> FakePlayback:
        self.requests.append(f"play {media}")
        pb = FakePlayback(self, media, playback_id)
        self.current = pb
        pb.state = "playing"
        self.session._emit("PlaybackStarted", playback=pb)
        clock = self.session.sim.clock
        if media == "sound:tt-monkeys":

            def finish() -> None:
                if pb.state == "playing":
                    pb.state = "done"
                    self.session._emit("PlaybackFinished", playback=pb)
                    self._unblock()

            clock.at(16.18, finish)
        return pb

    def _unblock(self) -> None:
        self.current = None
        for fn in self._blocked:
            fn()
        self._blocked = []

    def answer(self) -> Any:
        self.requests.append("answer")
        if self.gone:
            raise AriNotFound(404, "Channel not found")

        def up() -> None:
            if self.state != "Up":
                self.state = "Up"
                self.session._emit("ChannelStateChange", channel=self)

        # Like Asterisk: an answer waits behind the playback in progress.
        if self.current is not None:
            self._blocked.append(up)
        else:
            up()
        return _done()

    def ring(self) -> Any:
        self.requests.append("ring")
        return _done()

    def silence(self) -> Any:
        self.requests.append("silence")
        return _done()

    def hangup(self, reason: str = "normal") -> Any:
        self.requests.append("hangup")
        if self.gone:
            raise AriNotFound(404, "Channel not found")
        self.gone = True
        self.session._emit("ChannelHangupRequest", channel=self, cause=32)
        if self.current is not None:
            self.current.state = "failed"
            self.session._emit("PlaybackFinished", playback=self.current)
        self.session._emit("StasisEnd", channel=self)
        return _done()


class FakeSession:
    def __init__(self, sim: FakeSim, app: str) -> None:
        self.sim = sim
        self.app = app
        self.handlers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)
        self.timeline = SimpleNamespace(rows=[])
        self.closed = False
        self.tasks: set[asyncio.Future[Any]] = set()  # async handlers in flight (kept referenced)
        self.channels = SimpleNamespace(get=self._get)
        self.by_id: dict[str, FakeChannel] = {}

    def _get(self, cid: str) -> Any:
        return _done(self.by_id[cid])

    def on(self, event_type: str, handler: Callable[[Any], Any]) -> None:
        self.handlers[event_type].append(handler)

    def off(self, event_type: str, handler: Callable[[Any], Any]) -> None:
        self.handlers[event_type].remove(handler)

    async def close(self) -> None:
        self.closed = True

    def _emit(
        self,
        event_type: str,
        *,
        channel: FakeChannel | None = None,
        playback: FakePlayback | None = None,
        **extra: Any,
    ) -> None:
        ev = SimpleNamespace(
            type=event_type,
            application=self.app,
            timestamp=format_timestamp(self.sim.clock.now()),
            channel=channel,
            playback=playback,
            **extra,
        )
        self.timeline.rows.append(event_type)
        loop = asyncio.get_running_loop()
        targets = list(self.handlers["*"]) + list(self.handlers[event_type])
        if playback is not None:
            targets += playback._handlers[event_type]

        def deliver() -> None:
            for h in targets:
                r = h(ev)
                if asyncio.iscoroutine(r):
                    self.tasks.add(asyncio.ensure_future(r))

        loop.call_soon(deliver)


class FakeSim:
    """Stands in for arinb.simulate(): a manual clock, a dialplan of the three apps, sim.call()."""

    DIALPLAN: ClassVar[dict[str, str]] = {
        "1000": "channel-tones",
        "1001": "channel-playback-monkeys",
        "1002": "channel-state",
    }

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.url = "http://fake"
        self.username = "asterisk"
        self.password = "asterisk"
        self.sessions: list[FakeSession] = []
        self.n = 0
        self.calls: list[str] = []

    def session(self, app: str) -> FakeSession:
        s = FakeSession(self, app)
        self.sessions.append(s)
        return s

    async def call(self, extension: str, caller: str = "alice") -> None:
        self.calls.append(extension)
        app = self.DIALPLAN[extension]
        for s in self.sessions:
            if s.app == app and not s.closed:
                ch = FakeChannel(s, f"1795695288.{self.n}", f"PJSIP/{caller}-{self.n:08x}")
                s.by_id[ch.id] = ch
                self.n += 1
                s._emit("StasisStart", channel=ch)
