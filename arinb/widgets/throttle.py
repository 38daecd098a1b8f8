"""A trait-update throttle shared by arinb's widgets.

Widgets must not redraw per event: a burst of thousands of events would flood the browser and the
kernel. Instead a widget hands its ``refresh`` function to a :class:`Throttle`, which runs it on a daemon
thread at most ``rate`` times a second:

* poked: ``throttle.poke()`` (cheap, from any thread: an event handler on the engine loop) asks for a
  refresh; any number of pokes between two runs give one run;
* polling: ``Throttle(refresh, rate=8, poll=True)`` runs ``refresh`` every ``1/rate`` s and the
  function itself checks whether anything changed (e.g. a timeline's row count).

``refresh`` sets widget traits (``html.value = ...``); trait updates made from a non-kernel thread do
reach the browser. Nothing is ever printed into an ``Output`` from the thread.

>>> from arinb.widgets.throttle import Throttle
>>> calls = []
>>> t = Throttle(lambda: calls.append(1), rate=10)
>>> for _ in range(1000):
...     t.poke()
>>> t.flush(); t.stop()
>>> len(calls) <= 2
True
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import ClassVar

from arinb.errors import AriUsageError

__all__ = ["Throttle"]

log = logging.getLogger("arinb.widgets")


class Throttle:
    """Run ``fn`` at most ``rate`` times per second on a daemon thread, when poked or on a timer.

    ``runs`` counts calls, ``last_error`` keeps the last exception ``fn`` raised (it is logged and the
    throttle keeps going), ``last_duration`` is how long the last call took, in seconds.
    """

    _live: ClassVar[weakref.WeakSet[Throttle]] = weakref.WeakSet()

    def __init__(
        self, fn: Callable[[], object], rate: float = 8.0, *, poll: bool = False, name: str = ""
    ) -> None:
        if not rate > 0:
            raise AriUsageError(f"rate must be > 0 refreshes per second, not {rate!r}")
        self.fn = fn
        self.interval = 1.0 / rate
        self.poll = poll
        self.name = name or getattr(fn, "__qualname__", "refresh")
        self.runs = 0
        self.last_error: BaseException | None = None
        self.last_duration = 0.0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._run_lock = threading.Lock()  # one call of fn at a time (thread vs flush)
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_run = 0.0
        Throttle._live.add(self)
        if poll:
            self._ensure_thread()

    @property
    def rate(self) -> float:
        """Maximum runs per second."""
        return 1.0 / self.interval

    @property
    def running(self) -> bool:
        """True while the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def poke(self) -> None:
        """Ask for a run soon (within ``1/rate`` s). Cheap and safe from any thread."""
        if self._stopped.is_set():
            return
        self._wake.set()
        if self._thread is None:
            self._ensure_thread()

    def flush(self) -> None:
        """Run ``fn`` now, in the calling thread (tests, and a final refresh before closing)."""
        self._wake.clear()
        self._call()

    def stop(self) -> None:
        """Stop the thread (idempotent). ``poke`` does nothing afterwards; ``flush`` still works."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    close = stop

    @classmethod
    def stop_all(cls) -> None:
        """Stop every live throttle (e.g. when a notebook is done with its widgets)."""
        for throttle in list(cls._live):
            throttle.stop()

    def __enter__(self) -> Throttle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped.is_set() else ("running" if self.running else "idle")
        mode = "poll" if self.poll else "poke"
        return f"<Throttle {self.name} {self.rate:g}/s {mode} {state} runs={self.runs}>"

    # -- internals

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopped.is_set():
                name = f"arinb-throttle-{self.name}"
                self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            if self.poll:
                self._stopped.wait(self.interval)
            else:
                self._wake.wait()
                # Coalesce: wait out the rest of the interval so a burst gives one run.
                remaining = self._last_run + self.interval - time.monotonic()
                if remaining > 0:
                    self._stopped.wait(remaining)
            if self._stopped.is_set():
                break
            self._wake.clear()
            self._call()

    def _call(self) -> None:
        with self._run_lock:
            started = time.monotonic()
            self._last_run = started
            try:
                self.fn()
            except Exception as exc:  # a refresh error must not kill the widget's updates
                self.last_error = exc
                log.exception("arinb: widget refresh %s failed", self.name)
            finally:
                self.runs += 1
                self.last_duration = time.monotonic() - started
