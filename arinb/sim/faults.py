"""Fault injection for tests and labs: things a real network and a real far end do to an ARI client.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> rule = engine.faults.fail("channels.answer", 503, "Service Unavailable", times=1)
>>> asyncio.run(engine.handle("channels.answer", {"channelId": "x"})).status
503
>>> asyncio.run(engine.handle("channels.answer", {"channelId": "x"})).status   # once only
404
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from arinb.sim.protocol import Reply, Request

if TYPE_CHECKING:
    from arinb.sim.clock import TimerHandle
    from arinb.sim.engine import SimEngine

__all__ = ["FaultRule", "Faults"]


@dataclass(eq=False)
class FaultRule:
    """One REST fault: requests whose operation key matches ``pattern`` (a glob such as ``"channels.*"``)
    and whose path parameters match ``where`` (globs too) are delayed by ``delay`` simulated seconds and/or
    answered with ``status`` and ``body`` instead of the real reply. ``times``: how many requests it hits
    (None: all); ``hits`` counts them."""

    pattern: str
    status: int | None = None
    body: Any = None
    reason: str | None = None
    delay: float = 0.0
    times: int | None = None
    where: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, req: Request) -> bool:
        """True if this rule applies to ``req`` (and has hits left)."""
        if self.times is not None and self.hits >= self.times:
            return False
        if not fnmatch.fnmatchcase(req.op, self.pattern):
            return False
        return all(fnmatch.fnmatchcase(req.path.get(k, ""), v) for k, v in self.where.items())


class Faults:
    """The engine's fault hooks (``engine.faults``)."""

    def __init__(self, engine: SimEngine) -> None:
        self.engine = engine
        self.rules: list[FaultRule] = []
        self._timers: list[TimerHandle] = []

    def fail(
        self,
        pattern: str,
        status: int = 500,
        message: str = "Internal Server Error",
        *,
        times: int | None = None,
        where: dict[str, str] | None = None,
        body: Any = None,
        reason: str | None = None,
    ) -> FaultRule:
        """Answer matching requests with ``status`` and ``{"message": message}`` (or ``body``)."""
        rule = FaultRule(
            pattern,
            status,
            body if body is not None else {"message": message},
            reason,
            times=times,
            where=dict(where or {}),
        )
        self.rules.append(rule)
        return rule

    def delay(
        self, pattern: str, seconds: float, *, times: int | None = None, where: dict[str, str] | None = None
    ) -> FaultRule:
        """Hold matching requests ``seconds`` (simulated) before the engine handles them."""
        rule = FaultRule(pattern, None, None, None, float(seconds), times, dict(where or {}))
        self.rules.append(rule)
        return rule

    def hangup_at(
        self, channel_id: str, at: float | None = None, *, after: float | None = None, cause: int = 16
    ) -> TimerHandle:
        """The far end hangs the channel up at simulated time ``at`` (or ``after`` seconds from now)."""
        when = self._when(at, after)
        handle = self.engine.clock.call_at(when, self.engine.remote_hangup, channel_id, cause)
        self._timers.append(handle)
        return handle

    def drop_connections_at(
        self, at: float | None = None, *, after: float | None = None, apps: Iterable[str] | None = None
    ) -> TimerHandle:
        """Drop the events WebSockets (all, or those holding one of ``apps``) at simulated time ``at``."""
        wanted = set(apps) if apps is not None else None
        when = self._when(at, after)

        def drop() -> None:
            for conn in list(self.engine.bus.connections):
                if wanted is None or wanted.intersection(conn.apps):
                    conn.drop()

        handle = self.engine.clock.call_at(when, drop)
        self._timers.append(handle)
        return handle

    def clear(self) -> None:
        """Remove every rule and cancel every scheduled fault."""
        self.rules.clear()
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    def _when(self, at: float | None, after: float | None) -> float:
        if at is None and after is None:
            raise ValueError("give at= (simulated epoch seconds) or after= (seconds from now)")
        return at if at is not None else self.engine.clock.now() + float(after or 0.0)

    async def before(self, req: Request) -> Reply | None:
        """Apply the first matching rules: wait their delays, return a fault reply if one fails."""
        for rule in list(self.rules):
            if not rule.matches(req):
                continue
            rule.hits += 1
            if rule.delay > 0:
                await self.engine.clock.sleep(rule.delay)
            if rule.status is not None:
                return Reply(rule.status, rule.body, rule.reason)
        return None
