"""A socket-free harness for engine tests: a manual clock, one app connection, helpers to drive calls."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from arinb.models import loads, parse_timestamp
from arinb.sim.clock import Clock
from arinb.sim.engine import Reply, SimEngine

START = 1_795_695_288.0


class Harness:
    """An engine on a manual clock with app ``app`` (default "probe") connected and 1003 -> Stasis(probe)."""

    def __init__(self, app: str = "probe", *, subscribe_all: bool = False, **engine_kw: Any) -> None:
        self.clock = Clock.manual(start=START)
        self.engine = SimEngine(clock=self.clock, **engine_kw)
        self.engine.dialplan.add_extension("default", "1003", ["NoOp()", f"Stasis({app})", "Hangup()"])
        self.frames: list[str] = []
        self.conn = self.engine.connect_app([app], subscribe_all, self.frames.append)

    async def op(self, key: str, path: dict[str, str] | None = None, body: Any = None, **query: Any) -> Reply:
        return await self.engine.handle(key, path or {}, {k: str(v) for k, v in query.items()}, body)

    def advance(self, dt: float) -> None:
        self.clock.advance(dt)

    def events(self) -> list[dict[str, Any]]:
        return [loads(f) for f in self.frames]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def take(self) -> list[str]:
        """Types of the events since the last take()."""
        out = self.types()
        self.frames.clear()
        return out

    def times(self, type_: str) -> list[float]:
        return [parse_timestamp(e["timestamp"]) for e in self.events() if e["type"] == type_]

    async def channel(self, exten: str = "1003", *, answer: bool = True) -> str:
        """Originate Local/<exten>@default into the app; returns the ;2 id (answered unless told)."""
        reply = await self.op(
            "channels.originate", endpoint=f"Local/{exten}@default", context="default", extension="wait"
        )
        assert reply.status == 200, reply
        self.advance(0.01)
        starts = [e for e in self.events() if e["type"] == "StasisStart"]
        cid = starts[-1]["channel"]["id"]
        if answer:
            assert (await self.op("channels.answer", {"channelId": cid})).status == 204
        self.frames.clear()
        return cid

    async def play(self, cid: str, media: str, pid: str | None = None, **query: Any) -> Reply:
        if pid is None:
            return await self.op("channels.play", {"channelId": cid}, media=media, **query)
        return await self.op(
            "channels.playWithId", {"channelId": cid, "playbackId": pid}, media=media, **query
        )


def write_wav(path: Path, seconds: float) -> Path:
    """A silent 8 kHz mono 16-bit wav of ``seconds`` (a sound file as Asterisk's sound folders hold them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * round(seconds * 8000))
    return path
