"""`AriSession` and `connect()`: one ARI connection (REST + events) for a notebook or a script.

>>> session = await arinb.connect("http://127.0.0.1:8088", apps="channel-tones")  # doctest: +SKIP
>>> @session.on("StasisStart")                                                  # doctest: +SKIP
... async def ring(ev):
...     pb = ev.channel.play("tone:ring;tonezone=fr")
...     await asyncio.sleep(8); await pb.stop(); await ev.channel.answer()

The session runs on the shared engine loop (a daemon thread, see :mod:`arinb.loop`), so a cell that blocks
does not stop event intake. ``connect()`` returns at once in a notebook (``await`` it, or ``async with``)
and blocks until connected in a script (or ``with connect(...) as s:``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from arinb.client.core import EventStream, SessionCore, TimelineLike
from arinb.client.dispatch import Registered
from arinb.client.events import Event
from arinb.client.params import ari_operation, seg
from arinb.client.reconcile import reconcile
from arinb.client.resources import (
    Applications,
    Asterisk,
    Bridges,
    Channels,
    DeviceStates,
    Endpoints,
    Mailboxes,
    Playbacks,
    Recordings,
    Sounds,
)
from arinb.client.transport import Transport, parse_base_url
from arinb.credentials import Credentials, strip_url_credentials
from arinb.errors import AriError, AriUsageError
from arinb.loop import Call, EngineLoop, in_running_loop

if TYPE_CHECKING:
    from arinb.timeline import Timeline

__all__ = ["AriSession", "connect"]

log = logging.getLogger("arinb.client")
T = TypeVar("T")


def _apps(apps: str | Iterable[str] | None) -> list[str]:
    if apps is None:
        raise AriUsageError(
            "give at least one Stasis application name: apps='my-app' (ARI refuses a WebSocket without one)"
        )
    items = apps.split(",") if isinstance(apps, str) else list(apps)
    names = [a.strip() for a in items if isinstance(a, str) and a.strip()]
    if not names or len(names) != len(items):
        raise AriUsageError(f"application names must be non-empty strings, got {apps!r}")
    return names


def _make_timeline(timeline: bool | TimelineLike | None) -> TimelineLike | None:
    if timeline is None or timeline is False:
        return None
    if timeline is True:
        try:
            from arinb.timeline import Timeline
        except ImportError:  # the timeline package is optional for a bare client
            log.debug("arinb: arinb.timeline is not available; the session keeps no timeline")
            return None
        return Timeline()
    return timeline


class _Requester:
    """The session's side of the core's I/O: requests through the transport, waits on the engine loop."""

    __slots__ = ("apps", "engine", "started", "transport")

    def __init__(
        self, engine: EngineLoop, transport: Transport, started: Call[None], apps: list[str]
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.started = started
        self.apps = apps

    def perform(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        *,
        convert: Callable[[Any], Any] | None = None,
        label: str = "",
        accept_bytes: bool = False,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Call[Any]:
        transport = self.transport
        started = self.started

        async def go() -> Any:
            try:
                if not started.done():
                    await started
                body = await transport.request(method, path, params, json, accept_bytes=accept_bytes)
            except BaseException as exc:
                if on_error is not None:
                    on_error(exc)
                raise
            return convert(body) if convert is not None else body

        return self.engine.call(go(), label=label or f"{method} {path}")

    def run_wait(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        return self.engine.call(coro, label=label)

    def start_wait(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        # A Call that is not waited for where it is made (EngineLoop.call would block in a script).
        return Call(self.engine.submit(coro), engine=self.engine, label=label)


class AriSession:
    """A connection to ARI: REST resource APIs, event handlers and waits, and a timeline of everything.

    Create it with :func:`connect`. Attributes: ``channels``, ``playbacks``, ``bridges``, ``sounds``,
    ``recordings`` (``.stored``, ``.live``), ``applications``, ``asterisk``, ``endpoints``, ``device_states``,
    ``mailboxes``; ``timeline``; ``connected``, ``replaced``, ``closed``.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8088",
        username: str | None = None,
        password: str | None = None,
        apps: str | Iterable[str] | None = None,
        *,
        subscribe_all: bool = False,
        timeline: bool | TimelineLike | None = True,
        reconnect: bool = True,
        request_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        backoff: tuple[float, float] = (0.5, 30.0),
        heartbeat: float | None = 20.0,
        engine: EngineLoop | None = None,
        rest: str = "auto",
    ) -> None:
        urls = parse_base_url(url)
        user = username if username is not None else (urls.username or "asterisk")
        secret = password if password is not None else (urls.password or "asterisk")
        self._credentials = Credentials(user, secret)
        self.url = urls.root
        self.apps = _apps(apps)
        self.subscribe_all = bool(subscribe_all)
        self._engine = engine if engine is not None else EngineLoop.shared()
        self.timeline: Timeline | Any = _make_timeline(timeline)
        self._core = SessionCore(self.timeline, on_replaced=self._on_replaced)
        self._core.loop = self._engine.loop
        self._done = threading.Event()
        self._gone_error: BaseException | None = None
        core = self._core
        self.channels = Channels(core)
        self.playbacks = Playbacks(core)
        self.bridges = Bridges(core)
        self.sounds = Sounds(core)
        self.recordings = Recordings(core)
        self.applications = Applications(core)
        self.asterisk = Asterisk(core)
        self.endpoints = Endpoints(core)
        self.device_states = DeviceStates(core)
        self.mailboxes = Mailboxes(core)
        self._transport = Transport(
            urls,
            self._credentials,
            self.apps,
            self.subscribe_all,
            core,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            backoff_initial=backoff[0],
            backoff_max=backoff[1],
            heartbeat=heartbeat,
            on_reconnected=self._after_reconnect,
            on_gone=self._on_gone,
            rest=rest,
        )
        self._closing: Call[None] | None = None
        # Last: in a script this blocks until connected and raises if the connection is refused.
        self._started: Call[None] = self._engine.call(self._start(), label=f"connect {self.url}")
        self._requester = _Requester(self._engine, self._transport, self._started, self.apps)
        core.runner = self._requester

    # ------------------------------------------------------------------ lifecycle

    async def _start(self) -> None:
        await self._transport.start()
        log.info(
            "arinb: connected to %s as %s, apps %s", self.url, self._credentials.username, ",".join(self.apps)
        )

    def __await__(self) -> Generator[Any, None, AriSession]:
        yield from self._started.__await__()
        return self

    async def __aenter__(self) -> AriSession:
        return await self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __enter__(self) -> AriSession:
        self._started.result()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close().result()

    def close(self) -> Call[None]:
        """Close the WebSocket and the HTTP session. Pending waits get :class:`SessionClosed`."""
        if self._closing is None:
            self._closing = self._engine.call(self._close(), label=f"close {self.url}")
        return self._closing

    async def _close(self) -> None:
        # Runs to the end even when cancelled: awaited from an async handler, close() is cancelled by
        # core.close() itself (it cancels handler tasks, and a cancelled task cancels what it awaits), and
        # a close stopped half-way would leave the WebSocket, the HTTP session and the reader running.
        shut = asyncio.ensure_future(self._shut())
        while not shut.done():
            try:
                await asyncio.shield(shut)
            except asyncio.CancelledError:
                continue
        shut.result()

    async def _shut(self) -> None:
        try:
            await self._started
        except Exception:
            pass  # a session that never connected still closes cleanly
        self._core.close()
        await self._transport.close()
        self._done.set()

    def run_forever(self, timeout: float | None = None) -> None:
        """Block this thread while events are handled (for scripts); Ctrl-C closes the session.

        Returns when the session is closed, replaced, or lost for good (or after ``timeout`` seconds).
        """
        if in_running_loop():
            raise AriUsageError(
                "run_forever() blocks its thread: in a notebook or coroutine the session already runs"
            )
        self._started.result()
        try:
            self._done.wait(timeout)
        except KeyboardInterrupt:
            self.close().result(10)
            return
        if self._gone_error is not None:
            raise self._gone_error

    def _on_replaced(self, ev: Event) -> None:
        self._transport.stop_reading()
        self._done.set()

    def _on_gone(self, error: BaseException | None) -> None:
        # The reader ended for good without close(): nobody should keep waiting on events.
        if error is not None and not self._core.replaced:
            self._gone_error = error
            if isinstance(error, AriError):
                self._core.events_gone(error)
        self._done.set()

    async def _after_reconnect(self) -> None:
        """Renew explicit subscriptions, then reconcile: settle what ended while the socket was down."""
        for app, source in sorted(self._core.subscriptions):
            try:
                await self._transport.request(
                    "POST", f"/applications/{seg(app)}/subscription", {"eventSource": source}
                )
            except AriError as exc:
                log.warning("arinb: could not renew the subscription of %s to %s: %s", app, source, exc)
        summary = await reconcile(self._core.registry, self._transport.request, self._transport.caught_up)
        self._core.record_connection("reconciled", summary)
        log.info("arinb: after the reconnect %s", summary)

    # ------------------------------------------------------------------ runner (used by handles)

    def _io(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        *,
        label: str = "",
    ) -> Call[Any]:
        return self._requester.perform(method, path, params, json, label=label)

    def _run(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        return self._engine.call(coro, label=label)

    def _expect(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        return self._requester.start_wait(coro, label)

    # ------------------------------------------------------------------ events

    def on(self, event_type: str, handler: Callable[[Event], Any] | None = None) -> Any:
        """Call ``handler(event)`` for each event of that type (``"*"``: every event).

        Sync handlers run inline on the engine loop in arrival order (keep them quick); an ``async def``
        handler runs in its own ordered queue, so a slow one delays only itself. An exception in a handler
        is logged with the event type and does not stop the others. Works as a decorator.

        >>> session.on("StasisStart", lambda ev: print(ev.channel.name))   # doctest: +SKIP
        """
        if handler is None:
            return lambda fn: self._core.on(event_type, fn)
        return self._core.on(event_type, handler)

    def off(self, event_type: str, handler: Callable[[Event], Any]) -> bool:
        """Remove a handler added with :meth:`on` (a function of the same module and name counts as the
        same: the one a re-run cell defined)."""
        return self._core.off(event_type, handler)

    def handlers(self) -> list[Registered]:
        """What is registered: ``(event_type, name, on)`` rows, ``on`` being the handle for ``channel.on``.

        Registering a module-level function again under the same name (re-running the cell that defines
        and registers it) replaces the earlier one, so each event is still handled once.

        >>> session.handlers()      # doctest: +SKIP
        [Registered(event_type='StasisStart', name='on_start', on=None)]
        """
        return self._core.handlers()

    def wait_for(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """The next event of that type for which ``predicate(event)`` is true.

        The wait starts when this is called, so in async code create it *before* the action that causes
        the event (``up = ch.wait_for("ChannelStateChange"); await ch.answer(); await up``): an event may
        arrive before the reply to the request that caused it. In a script a Call blocks where it is made;
        use :meth:`expect` there to start waiting without blocking.

        >>> mine = lambda e: e.channel.id == ch.id                          # doctest: +SKIP
        >>> ev = await session.wait_for("StasisEnd", mine, timeout=5)      # doctest: +SKIP
        """
        hint = self._stasis_hint(event_type)
        if not in_running_loop():
            hint = (
                ": in a script wait_for() blocks until the event comes, so what follows it has not run yet; "
                "start the wait with session.expect(...), act, then take .result()"
            ) + hint.replace(": ", "; ", 1)
        wait = self._core.wait_for(event_type, predicate, timeout, hint=hint)
        return self._run(wait, f"wait_for {event_type}")

    def expect(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """Like :meth:`wait_for`, but never blocks where it is made, even in a script: start waiting, act,
        then take the event with ``.result()`` (or ``await``).

        >>> up = session.expect("ChannelStateChange", timeout=5)   # doctest: +SKIP
        >>> ch.answer()                                              # doctest: +SKIP
        >>> up.result().channel.state                                # doctest: +SKIP
        'Up'
        """
        wait = self._core.wait_for(event_type, predicate, timeout, hint=self._stasis_hint(event_type))
        return self._expect(wait, f"expect {event_type}")

    def _stasis_hint(self, event_type: str | Iterable[str]) -> str:
        # The usual cause of a StasisStart that never comes: the dialplan sends calls to another app's name.
        kinds = {event_type} if isinstance(event_type, str) else set(event_type)
        if "StasisStart" not in kinds:
            return ""
        return (
            f": StasisStart comes only for this session's apps ({', '.join(self.apps)}); "
            "check that the dialplan's Stasis() or the originate's app= names one of them"
        )

    def events(self, *event_types: str) -> EventStream:
        """An async iterator of events (all, or only these types), starting now.

        >>> async for ev in session.events("PlaybackFinished"):   # doctest: +SKIP
        ...     print(ev.playback.id, ev["playback"]["state"])
        """
        return self._core.events(event_types)

    # ------------------------------------------------------------------ REST escape hatch and /events

    def request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Call[Any]:
        """Any ARI call: ``path`` below ``/ari`` (``"/channels"`` or ``"/ari/channels"``), typed errors.

        >>> await session.request("GET", "/asterisk/ping")   # doctest: +SKIP
        """
        if not isinstance(path, str) or not path:
            raise AriUsageError("path must be a string such as '/channels'")
        if not path.startswith("/"):
            path = "/" + path
        prefix = self._transport.urls.path_prefix
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return self._io(method.upper(), quote(path, safe="/:@%;,=+!$&'()*~"), dict(params or {}), json)

    @ari_operation("events.userEvent")
    def user_event(
        self,
        name: str,
        application: str | None = None,
        source: str | Iterable[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a ChannelUserevent-style user event to an application (default: this session's first app)."""
        params: dict[str, Any] = {"application": application or self.apps[0]}
        if source is not None:
            params["source"] = source
        body = None if variables is None else {"variables": dict(variables)}
        return self._io("POST", f"/events/user/{seg(name)}", params, body, label=f"user event {name}")

    @ari_operation("events.claimChannel")
    def claim_channel(self, channel_id: str, application: str | None = None) -> Call[None]:
        """Claim a channel offered by a CallBroadcast (Asterisk 22)."""
        params = {"channelId": channel_id, "application": application or self.apps[0]}
        return self._io("POST", "/events/claim", params, label=f"claim {channel_id}")

    # ------------------------------------------------------------------ state

    @property
    def username(self) -> str:
        return self._credentials.username

    @property
    def rest(self) -> str:
        """Where REST requests go now: ``"websocket"`` (Asterisk 22's REST over the events WebSocket, for
        the requests that cannot wait on media) or ``"http"``."""
        return self._transport.rest_transport

    @property
    def connected(self) -> bool:
        """True while the events WebSocket is up."""
        return self._transport.connected

    @property
    def replaced(self) -> bool:
        """True once another connection took over the application (ApplicationReplaced); no reconnect."""
        return self._core.replaced

    @property
    def closed(self) -> bool:
        return self._core.closed

    @property
    def reconnects(self) -> int:
        """How many times the events WebSocket was re-established."""
        return self._transport.reconnects

    @property
    def events_received(self) -> int:
        return self._core.events_received

    @property
    def last_event(self) -> Event | None:
        return self._core.last_event

    @property
    def core(self) -> SessionCore:
        """The socket-free state (objects by id, handlers, waiters)."""
        return self._core

    @property
    def engine(self) -> EngineLoop:
        return self._engine

    def __repr__(self) -> str:
        if self._core.replaced:
            state = "replaced"
        elif self._core.closed:
            state = "closed"
        elif self._transport.connected:
            state = "connected"
        elif self._started.done() and self._started.exception() is not None:
            state = "failed"
        else:
            state = "connecting" if not self._started.done() else "disconnected"
        return (
            f"<AriSession {strip_url_credentials(self.url)} user={self._credentials.username!r} "
            f"apps={','.join(self.apps)} {state} events={self._core.events_received} "
            f"channels={len(self._core.channels)}>"
        )

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("an AriSession holds a live connection and cannot be pickled")


def connect(
    url: str = "http://127.0.0.1:8088",
    username: str | None = "asterisk",
    password: str | None = "asterisk",
    apps: str | Iterable[str] | None = None,
    *,
    subscribe_all: bool = False,
    timeline: bool | TimelineLike | None = True,
    reconnect: bool = True,
    request_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    backoff: tuple[float, float] = (0.5, 30.0),
    heartbeat: float | None = 20.0,
    engine: EngineLoop | None = None,
    rest: str = "auto",
) -> AriSession:
    """Connect to ARI and return the :class:`AriSession`.

    ``url``: ``http://host:8088`` (or ``.../ari``; ``https`` gives ``wss``). ``apps``: one Stasis application
    name, a comma-separated string or a list. ``subscribe_all``: receive every event of the system.
    ``timeline``: keep an :class:`arinb.timeline.Timeline` (True), none (False), or use the one given.
    ``reconnect``: re-establish a lost events WebSocket with backoff ``(initial, max)`` seconds.
    ``rest``: ``"auto"`` sends REST requests over the events WebSocket once the server answered a probe
    (Asterisk 22 does; until then, and on older servers, HTTP), ``"websocket"`` requires it (connect fails
    otherwise), ``"http"`` never uses it. Either way every call behaves the same; a request whose reply
    can wait on the channel's media (answer behind a tone) never holds the others up.

    In a notebook or coroutine it returns at once (``await`` it, or ``async with``); in a script it blocks
    until connected and raises :class:`AriConnectionError` / :class:`AriAuthError` if refused.

    >>> session = await arinb.connect("http://127.0.0.1:8088", apps="channel-tones")  # doctest: +SKIP
    >>> with arinb.connect(sim.url, apps="demo") as s:    # a script   # doctest: +SKIP
    ...     s.run_forever()
    """
    # Credentials in the URL itself win over the defaults (but not over explicit non-default values).
    urls = parse_base_url(url)
    if urls.username is not None and username == "asterisk" and password == "asterisk":
        username, password = urls.username, urls.password
    return AriSession(
        url,
        username,
        password,
        apps,
        subscribe_all=subscribe_all,
        timeline=timeline,
        reconnect=reconnect,
        request_timeout=request_timeout,
        connect_timeout=connect_timeout,
        backoff=backoff,
        heartbeat=heartbeat,
        engine=engine,
        rest=rest,
    )
