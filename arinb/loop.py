"""The engine loop: an asyncio loop in a daemon thread, and :class:`Call`, the handle for work sent to it.

Why a thread: in Jupyter a cell that blocks (``time.sleep``) freezes every task on the kernel's own loop, so
WebSocket frames would pile up and get wrong receive times. A loop in a daemon thread keeps receiving while a
cell blocks, and widget trait updates made from it still reach the browser (both measured). The client
session runs on the shared ``arinb-engine`` loop; the embedded simulator runs on a loop of its own
(``arinb-sim``) so that it behaves like a separate server.

Every public I/O method returns a :class:`Call`, which works the three ways people reach for:

* ``await channel.answer()`` on any event loop (notebook top-level ``await``, async code, handlers);
* ``channel.answer()`` in a plain script or thread with no running loop: the call blocks until done and
  raises on error; ``.result()`` then gives the value at once;
* ``channel.answer()`` without ``await`` in a notebook: the request is already on its way; the Call's repr
  shows how it ended, and an error nobody looked at is logged rather than lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, ClassVar, Generic, TypeVar

from arinb.errors import AriError, AriTimeoutError, AriUsageError

__all__ = ["Call", "EngineLoop", "enable_nested_loops", "in_running_loop"]

T = TypeVar("T")
log = logging.getLogger("arinb")


def in_running_loop() -> bool:
    """True if the calling thread runs an asyncio event loop (a notebook cell, a coroutine, a handler)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class EngineLoop:
    """An asyncio event loop running forever in a daemon thread.

    >>> engine = EngineLoop.shared()
    >>> async def answer() -> int:
    ...     return 42
    >>> engine.call(answer()).result()
    42
    """

    _instances: ClassVar[dict[str, EngineLoop]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str = "arinb-engine") -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        # Work submitted from other threads (see submit) and the batched replies to other loops.
        self._inbox: deque[tuple[Coroutine[Any, Any, Any], concurrent.futures.Future[Any], Any]] = deque()
        self._drain_scheduled = False
        self._returns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Returns] = (
            weakref.WeakKeyDictionary()
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    @classmethod
    def shared(cls, name: str = "arinb-engine") -> EngineLoop:
        """The process-wide loop of that name, started on first use."""
        with cls._lock:
            engine = cls._instances.get(name)
            if engine is None or not engine.is_alive():
                engine = cls._instances[name] = cls(name)
            return engine

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def is_alive(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def is_current(self) -> bool:
        """True when called from this loop's own thread."""
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the loop from any thread.

        Like ``asyncio.run_coroutine_threadsafe`` but batched: coroutines submitted while the loop has not
        yet picked up the previous ones share one wake-up (a self-pipe write and a thread switch, the
        dominant cost of a call from a notebook cell). The task runs in a copy of the caller's context.
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._inbox.append((coro, future, contextvars.copy_context()))
        # Lock-free under the GIL: the drain clears the flag BEFORE it empties the inbox, so an item
        # appended while the flag was still set is taken by that drain, and one appended later sees the
        # flag clear and schedules the next drain.
        if not self._drain_scheduled:
            self._drain_scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._drain_inbox)
            except RuntimeError:  # the loop is closed
                self._drain_scheduled = False
                self._inbox.clear()
                coro.close()
                raise
        return future

    def _drain_inbox(self) -> None:
        self._drain_scheduled = False
        inbox = self._inbox
        loop = self.loop
        while inbox:
            coro, future, context = inbox.popleft()
            # The future stays PENDING while the task runs (as with run_coroutine_threadsafe): a RUNNING
            # concurrent future cannot be cancelled, so an awaiter elsewhere could no longer stop the task,
            # and a task cancelled here could no longer say so (_mirror_task).
            if future.cancelled():
                coro.close()  # cancelled before it started
                continue
            task = loop.create_task(coro, context=context)
            task.add_done_callback(functools.partial(_mirror_task, future))
            future.add_done_callback(functools.partial(_cancel_task_with, loop, task))

    def returns_to(self, loop: asyncio.AbstractEventLoop) -> _Returns:
        """The batched way back from this engine to ``loop`` (one per loop)."""
        returns = self._returns.get(loop)
        if returns is None:
            returns = self._returns[loop] = _Returns(loop)
        return returns

    def call(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]:
        """Schedule a coroutine and return its :class:`Call` (blocking first when no loop runs here)."""
        if self.is_current():
            # From a handler on this loop: a plain task, no self-pipe wake-ups there and back (a REST call
            # made from a handler costs about half as much CPU this way).
            task = self.loop.create_task(coro)
            mirror: concurrent.futures.Future[T] = concurrent.futures.Future()
            task.add_done_callback(functools.partial(_mirror_task, mirror))
            # An awaiter on another loop that gives up (cancelled, or its timeout) cancels the mirror: the
            # task must stop too, or it and what it waits on would run until the session closes.
            mirror.add_done_callback(functools.partial(_cancel_task_with, self.loop, task))
            return Call(mirror, engine=self, label=label, task=task)
        call = Call(self.submit(coro), engine=self, label=label)
        if not in_running_loop():
            call._wait()
        return call

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the loop's thread and return its result (thread-safe state access)."""
        if self.is_current():
            return fn(*args)

        async def _go() -> T:
            return fn(*args)

        return self.submit(_go()).result()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Thread-safe ``loop.call_soon``."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        """Stop the loop and wait for its thread (used by tests; shared loops normally live until exit)."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.is_current():
            self._thread.join(5)
            if not self._thread.is_alive():
                # Closing releases the loop's self-pipe; a stopped-but-open loop leaks two sockets.
                self.loop.close()
        with self._lock:
            if self._instances.get(self.name) is self:
                del self._instances[self.name]

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else "stopped"
        return f"<EngineLoop {self.name!r} {state}>"


class _Returns:
    """Results crossing back from the engine thread to one other loop, many per wake-up.

    A finished Call pushes ``(asyncio future, concurrent future)``; the first push since the last drain
    wakes the loop once, and the drain settles every awaiting future it finds (``asyncio.wrap_future``
    wakes the loop once per call).
    """

    __slots__ = ("__weakref__", "items", "loop", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[tuple[asyncio.Future[Any], concurrent.futures.Future[Any]]] = deque()
        self.scheduled = False

    def push(self, waiter: asyncio.Future[Any], source: concurrent.futures.Future[Any]) -> None:
        self.items.append((waiter, source))
        if not self.scheduled:
            self.scheduled = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # that loop is closed: nobody waits any more
                self.scheduled = False
                self.items.clear()

    def drain(self) -> None:
        self.scheduled = False
        items = self.items
        while items:
            waiter, source = items.popleft()
            if waiter.done():
                continue  # the awaiter gave up (cancelled, timed out)
            if source.cancelled():
                waiter.cancel()
            elif (exc := source.exception()) is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(source.result())


def _await_across(engine: EngineLoop, source: concurrent.futures.Future[T]) -> Generator[Any, None, T]:
    """Await an engine-thread outcome from another loop: one batched wake-up back, no per-call chaining."""
    if source.done():
        if source.cancelled():
            raise asyncio.CancelledError
        return source.result()
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()
    source.add_done_callback(functools.partial(engine.returns_to(loop).push, waiter))
    try:
        return (yield from waiter)
    except asyncio.CancelledError:
        source.cancel()  # the awaiter gave up: so does the engine-side work (see _cancel_task_with)
        raise


def _cancel_task_with(
    loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], mirror: concurrent.futures.Future[Any]
) -> None:
    """The mirror of an engine-loop task was cancelled (by an awaiter elsewhere): cancel the task."""
    if mirror.cancelled() and not task.done():
        try:
            loop.call_soon_threadsafe(task.cancel)
        except RuntimeError:  # the loop is closed: the task is gone with it
            pass


def _mirror_task(mirror: concurrent.futures.Future[Any], task: asyncio.Task[Any]) -> None:
    """Copy a finished engine-loop task's outcome into the thread-safe future other threads wait on."""
    if task.cancelled():
        mirror.cancel()
        return
    if not mirror.set_running_or_notify_cancel():
        return  # cancelled by an awaiter on another loop (a timeout there): nobody wants the outcome
    if (exc := task.exception()) is not None:
        mirror.set_exception(exc)
    else:
        mirror.set_result(task.result())


class Call(Generic[T], Awaitable[T]):
    """A request running on the engine loop: ``await`` it, or ask for ``.result()``.

    >>> call = session.channels.list()      # doctest: +SKIP
    >>> channels = await call               # in a notebook  # doctest: +SKIP
    >>> channels = call.result()            # in a script  # doctest: +SKIP
    """

    __slots__ = ("_engine", "_future", "_label", "_retrieved", "_task")

    def __init__(
        self,
        future: concurrent.futures.Future[T],
        *,
        engine: EngineLoop,
        label: str = "",
        task: asyncio.Task[T] | None = None,
    ) -> None:
        self._future = future
        self._engine = engine
        self._label = label
        self._retrieved = False
        self._task = task

    @property
    def label(self) -> str:
        return self._label

    def _wait(self) -> None:
        # Script mode: block until done, so errors surface at the call site and calls keep their order.
        self._retrieved = True
        try:
            self._future.result()
        except AriError as exc:
            # The typed error says what to do; the engine thread's frames (transport, core) do not.
            raise exc.with_traceback(None) from None

    def __await__(self) -> Generator[Any, None, T]:
        self._retrieved = True
        if self._task is not None and self._engine.is_current():
            return self._task.__await__()
        return _await_across(self._engine, self._future)

    def result(self, timeout: float | None = None) -> T:
        """The value, waiting up to ``timeout`` seconds; raises the call's error."""
        self._retrieved = True
        if not self._future.done() and self._engine.is_current():
            raise AriUsageError(
                "cannot wait for a result on the engine loop (inside a handler): "
                "use an async handler and `await` the call instead"
            )
        try:
            return self._future.result(timeout)
        except AriError as exc:  # before TimeoutError: AriTimeoutError is one, and is the call's own outcome
            raise exc.with_traceback(None) from None
        except concurrent.futures.TimeoutError:
            raise AriTimeoutError(f"{self._label or 'call'} did not finish within {timeout} s") from None

    def done(self) -> bool:
        return self._future.done()

    def exception(self) -> BaseException | None:
        """The error the call ended with, or None (waits for the call to finish)."""
        self._retrieved = True
        return self._future.exception()

    def add_done_callback(self, fn: Callable[[Call[T]], Any]) -> None:
        self._future.add_done_callback(lambda _f: fn(self))

    def cancel(self) -> bool:
        if self._task is not None:
            if self._engine.is_current():
                return self._task.cancel()
            self._engine.call_soon(self._task.cancel)
            return not self._task.done()
        return self._future.cancel()

    def __repr__(self) -> str:
        label = f" {self._label}" if self._label else ""
        f = self._future
        if not f.done():
            return f"<Call{label}: pending>"
        if f.cancelled():
            return f"<Call{label}: cancelled>"
        exc = f.exception()
        if exc is not None:
            self._retrieved = True
            return f"<Call{label}: failed {type(exc).__name__}: {exc}>"
        return f"<Call{label}: {f.result()!r}>"

    def __del__(self) -> None:
        # The notebook "forgot to await" case: do not let an error vanish silently.
        try:
            if not self._retrieved:
                # Still pending (a statement like `ch.hangup()` dropped before the reply): log when it ends.
                self._future.add_done_callback(functools.partial(_log_unretrieved, self._label or "call"))
        except Exception:
            pass


def _log_unretrieved(label: str, f: concurrent.futures.Future[Any]) -> None:
    """Log the error of a Call nobody awaited or asked for (its object is already gone)."""
    if not f.cancelled() and f.exception() is not None:
        log.error("arinb: %s failed and nobody awaited it: %s", label, f.exception())


def enable_nested_loops() -> None:
    """Let ``asyncio.run()`` and ``loop.run_until_complete()`` work inside a running loop (a notebook cell).

    arinb itself never needs this (its own work runs on the engine thread) and never applies it at import:
    under ipykernel 7 the archived ``nest_asyncio`` broke Run All. This applies its maintained successor,
    ``nest-asyncio2``, to the current thread's loop, on request only.

    >>> arinb.enable_nested_loops()   # doctest: +SKIP
    >>> asyncio.run(main())           # works in a cell  # doctest: +SKIP
    """
    import nest_asyncio2

    nest_asyncio2.apply()
