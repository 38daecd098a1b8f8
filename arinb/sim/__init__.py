"""An embedded Asterisk 22 ARI stand-in: REST, the events WebSocket and api-docs, on a loop of its own.

>>> import arinb
>>> sim = arinb.simulate(speed=50)            # doctest: +SKIP
>>> sim.url, sim.username                     # doctest: +SKIP
('http://127.0.0.1:40123', 'asterisk')
>>> channel_id = sim.call("1000", caller="alice").result()   # doctest: +SKIP
>>> sim.close()                               # doctest: +SKIP

In a notebook or coroutine: ``sim = await arinb.simulate(clock="manual")`` or
``async with arinb.simulate() as sim: ...``; ``with arinb.simulate() as sim:`` works in plain code.

The simulator always runs on the ``arinb-sim`` loop thread, so it behaves like a separate server: a client
handler that blocks cannot stall it, and its timing does not depend on the notebook's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import inspect
import os
from collections.abc import Callable, Generator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from arinb.credentials import Credentials
from arinb.errors import AriUsageError
from arinb.loop import Call, EngineLoop, in_running_loop

if TYPE_CHECKING:
    from arinb.sim.clock import Clock
    from arinb.sim.engine import SimEngine
    from arinb.sim.server import SimServer

__all__ = ["ClockHandle", "LoopBound", "Simulator", "simulate"]

LOOP_NAME = "arinb-sim"
DEFAULT_USER = "asterisk"
DEFAULT_PASSWORD = "asterisk"


def _dialplan_text(dialplan: str | os.PathLike[str] | None) -> str | None:
    """Accept extensions.conf text or a path to it."""
    if dialplan is None:
        return None
    if isinstance(dialplan, os.PathLike):
        return Path(dialplan).read_text()
    if "\n" not in dialplan and "=>" not in dialplan and Path(dialplan).is_file():
        return Path(dialplan).read_text()
    return dialplan


class LoopBound:
    """An engine-side object (the clock, the faults) made callable from any thread.

    The engine's objects belong to the ``arinb-sim`` loop; this handle runs each call there. Plain methods
    return their value; coroutine methods (``clock.run_for``, ``clock.sleep``) return a
    :class:`~arinb.loop.Call`.

    >>> sim.clock.now()              # doctest: +SKIP
    >>> sim.clock.advance(2.0)       # manual clock: due timers run, events go out   # doctest: +SKIP
    >>> sim.faults.fail("channels.answer", 503, "Service Unavailable", times=1)     # doctest: +SKIP
    """

    __slots__ = ("_loop", "_target")

    def __init__(self, target: Any, loop: EngineLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return self._loop.run_sync(getattr, self._target, name)
        if inspect.iscoroutinefunction(value):

            def call_async(*args: Any, **kwargs: Any) -> Call[Any]:
                return self._loop.call(value(*args, **kwargs), label=name)

            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_sync(lambda: value(*args, **kwargs))

        return call

    def __repr__(self) -> str:
        return repr(self._target)


#: The simulator's clock as handed to users (:class:`LoopBound` around :class:`arinb.sim.clock.Clock`).
ClockHandle = LoopBound


class Simulator:
    """A running simulator: ``url``, ``username``, ``password``, ``engine``, ``clock``, ``call()``.

    Build it with :func:`simulate`. It is awaitable (gives itself back once listening) and an async and
    sync context manager. ``repr`` never shows the password.
    """

    def __init__(
        self,
        *,
        speed: float = 1.0,
        clock: Literal["real", "manual"] = "real",
        dialplan: str | os.PathLike[str] | None = None,
        sounds: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
        engine_factory: Callable[[Clock], Any] | None = None,
    ) -> None:
        if clock not in ("real", "manual"):
            raise AriUsageError(f'clock must be "real" or "manual", not {clock!r}')
        if speed <= 0:
            raise AriUsageError(f"speed must be > 0, not {speed!r}")
        self._loop = EngineLoop.shared(LOOP_NAME)
        self._credentials = Credentials(username, password)
        self._speed = float(speed)
        self._clock_mode = clock
        self._dialplan = _dialplan_text(dialplan)
        self._sounds = None if sounds is None else Path(sounds)
        self._host = host
        self._port = port
        self._engine_factory = engine_factory
        self._engine: Any = None
        self._clock: Clock | None = None
        self._server: SimServer | None = None
        self._last_url = ""
        self._closing: concurrent.futures.Future[None] | None = None
        self._started = self._loop.submit(self._start())

    # ---- life cycle -------------------------------------------------------------------------------

    def _make_engine(self, clock: Clock) -> Any:
        if self._engine_factory is not None:
            return self._engine_factory(clock)
        from arinb.sim.engine import SimEngine

        return SimEngine(clock=clock, dialplan=self._dialplan, sounds=self._sounds)

    async def _start(self) -> None:
        from arinb.sim.clock import Clock
        from arinb.sim.server import SimServer

        clock = Clock.manual() if self._clock_mode == "manual" else Clock(speed=self._speed)
        engine = self._make_engine(clock)
        server = SimServer(engine, self._credentials, host=self._host, port=self._port)
        await server.start()
        self._clock, self._engine, self._server = clock, engine, server
        self._last_url = server.url

    def _ready(self) -> SimServer:
        if not self._started.done():
            if self._loop.is_current():
                raise AriUsageError("the simulator is still starting: `await sim` first")
            self._started.result(30)
        self._started.result()  # raises the start error, if any
        if self._server is None:
            raise AriUsageError("the simulator is closed")
        return self._server

    def __await__(self) -> Generator[Any, None, Simulator]:
        yield from asyncio.wrap_future(self._started).__await__()
        return self

    async def __aenter__(self) -> Simulator:
        return await self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __enter__(self) -> Simulator:
        self._ready()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close().result(30)

    async def _aclose(self) -> None:
        try:
            await asyncio.wrap_future(self._started)
        except Exception:
            return  # never started: nothing to close
        server, self._server = self._server, None
        if server is not None:
            await server.close()
        closer = getattr(self._engine, "close", None)
        if closer is not None:
            result = closer()
            if inspect.isawaitable(result):
                await result
        if self._clock is not None:
            # The loop is shared and outlives this simulator: pending timers would keep its world running.
            self._clock.cancel_all()

    def close(self) -> Call[None]:
        """Close every WebSocket and stop listening (idempotent). Awaitable; blocks in a script."""
        if self._closing is None:
            self._closing = self._loop.submit(self._aclose())
        call = Call(self._closing, engine=self._loop, label="sim.close")
        if not in_running_loop():
            call.result(30)
        return call

    def restart(self, downtime: float = 0.0) -> Call[None]:
        """Restart the server on the same port, as ``core restart now`` does to an Asterisk.

        Every events WebSocket is closed (1001 "Server shutdown"), the port stops listening for
        ``downtime`` wall seconds, and the world starts again empty: no channels, bridges, playbacks,
        recordings or registered applications (clients reconnect and register again). The clock goes on
        (its pending timers are dropped with the old world; a manual clock is moved on by the downtime, at
        least 1 s, so that new channel ids differ from the old ones) and fault rules are not carried over.
        Awaitable; blocks in a script.

        >>> await sim.restart(downtime=0.2)     # doctest: +SKIP
        """
        self._ready()
        if downtime < 0:
            raise AriUsageError(f"downtime must be >= 0, not {downtime!r}")
        call = self._loop.call(self._restart(float(downtime)), label="sim.restart")
        if not in_running_loop():
            call.result(30 + downtime)
        return call

    async def _restart(self, downtime: float) -> None:
        from arinb.sim.server import SimServer

        old = self._server
        if old is None or self._closing is not None:
            raise AriUsageError("the simulator is closed")
        assert self._clock is not None
        # The old world's timers (and requests sleeping on them) end first, so that no handler keeps the
        # listener's shutdown waiting; then the sockets close and the port is released.
        self._clock.cancel_all()
        await old.close()
        if self._clock.is_manual:
            # Channel ids are "<epoch>.<n>" with n from 0 again: a restart takes seconds on Asterisk, so
            # the new world's ids never repeat the old world's. A manual clock is moved on likewise.
            self._clock.advance(max(downtime, 1.0))
        engine = self._make_engine(self._clock)
        server = SimServer(engine, self._credentials, host=old.host, port=old.port)
        if downtime:
            await asyncio.sleep(downtime)
        if self._closing is not None:
            return  # closed while down: stay down
        await server.start()
        self._engine, self._server = engine, server

    @property
    def closed(self) -> bool:
        return self._closing is not None and self._closing.done()

    # ---- what users read --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: give it to a client with the user name and password."""
        return self._ready().url

    @property
    def username(self) -> str:
        return self._credentials.username

    @property
    def password(self) -> str:
        return self._credentials.password

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    @property
    def engine(self) -> SimEngine:
        """The socket-free engine (lives on the ``arinb-sim`` loop)."""
        self._ready()
        engine: SimEngine = self._engine
        return engine

    @property
    def clock(self) -> ClockHandle:
        """The simulated clock, callable from any thread (``now()``, ``advance(dt)`` for a manual clock)."""
        self._ready()
        return LoopBound(self._clock, self._loop)

    @property
    def faults(self) -> LoopBound:
        """The engine's fault injection: ``fail``, ``delay``, ``hangup_at``, ``drop_connections_at``...

        >>> sim.faults.fail("channels.answer", 503, "Service Unavailable", times=1)   # doctest: +SKIP
        """
        return LoopBound(self.engine.faults, self._loop)

    def call(self, exten: str, caller: str | None = None) -> Call[str]:
        """An inbound call to ``exten`` from ``caller``; gives the new channel's id.

        >>> channel_id = await sim.call("1000", caller="alice")      # doctest: +SKIP
        """
        self._ready()

        async def go() -> str:
            result = self._engine.call_in(exten, caller=caller)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, dict):
                return str(result["id"])
            return str(getattr(result, "id", result))

        return self._loop.call(go(), label=f"sim.call {exten}")

    def _state(self) -> str:
        if self._closing is not None:
            return "closed" if self._closing.done() else "closing"
        if not self._started.done():
            return "starting"
        return "failed" if self._started.exception() is not None else "running"

    def _clock_text(self) -> str:
        return "manual clock" if self._clock_mode == "manual" else f"speed {self._speed:g}"

    def __repr__(self) -> str:
        where = self._last_url or f"{self._host}:{self._port or '?'}"
        return f"<Simulator {where} user={self.username!r} password=*** {self._clock_text()} {self._state()}>"

    def _repr_html_(self) -> str:
        state = self._state()
        url = self._server.url if self._server is not None else "(not listening)"
        if self.password == DEFAULT_PASSWORD:
            secret = f"password <code>{html.escape(DEFAULT_PASSWORD)}</code> (the default)"
            connect = (
                f'arinb.connect(sim.url, "{html.escape(self.username)}", "{DEFAULT_PASSWORD}", apps=...)'
            )
        else:
            secret = "password set by you (hidden)"
            connect = f'arinb.connect(sim.url, "{html.escape(self.username)}", sim.password, apps=...)'
        activity = ""
        if self._server is not None:
            channels = len(getattr(self._engine, "channels", ()))
            activity = f"{channels} channel(s), {self._server.websocket_count} events WebSocket(s)<br>"
        return (
            "<div style='font-family:monospace'>"
            f"<b>arinb simulator</b> ({html.escape(state)}, Asterisk 22 ARI, {self._clock_text()})<br>"
            f"ARI URL: <code>{html.escape(url)}</code><br>"
            f"{activity}"
            f"user <code>{html.escape(self.username)}</code>, {secret}<br>"
            f"connect: <code>{connect}</code><br>"
            "place a call: <code>await sim.call(&quot;1000&quot;, caller=&quot;alice&quot;)</code>"
            "</div>"
        )


def simulate(
    speed: float = 1.0,
    clock: Literal["real", "manual"] = "real",
    dialplan: str | os.PathLike[str] | None = None,
    sounds: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    username: str = DEFAULT_USER,
    password: str = DEFAULT_PASSWORD,
) -> Simulator:
    """Start a simulator and return it at once (in a script: once it listens).

    ``speed``: simulated seconds per wall second; ``clock="manual"``: time moves only with
    ``sim.clock.advance(dt)``; ``dialplan``: extensions.conf text or path; ``sounds``: a directory of
    real sound files to use instead of the built-in catalog.

    >>> sim = await arinb.simulate(speed=20)          # doctest: +SKIP
    >>> async with arinb.simulate(clock="manual") as sim: ...   # doctest: +SKIP
    """
    sim = Simulator(
        speed=speed,
        clock=clock,
        dialplan=dialplan,
        sounds=sounds,
        host=host,
        port=port,
        username=username,
        password=password,
    )
    if not in_running_loop():
        sim._ready()
    return sim
