"""Music on hold: ``POST/DELETE /channels/{id}/moh`` and ``/bridges/{id}/moh``, as Asterisk 22.10.1 does them.

Observed on a real Asterisk 22.10.1 (arinb simops probe, 2026-12-06) and read in ``res/ari/resource_*.c``
and ``res/stasis/control.c``:

* Channel MOH is a command in the channel's control queue; the REST call answers 204 at once (404/409
  without the channel in Stasis, 412 in Down/Rsrvd/Ringing) and sends no event, for an unknown
  ``mohClass`` too (that class plays nothing) and for a stop with no music playing. On a channel that is not
  up, the command first indicates progress (early media). A play (or silence) on the channel replaces the
  music, which does not come back by itself.
* Bridge MOH puts an ``Announcer/ARI_MOH-<n>;2`` channel in the bridge (never listed in it), which changes
  the members' ``BRIDGEPEER`` before the 204; a second start keeps that channel. Stop takes it out (404
  "Bridge not found"; 409 "Bridge isn't playing music" when none plays). Its name takes a number from the
  counter Local and Announcer channels share.
* The music is the class's files (``default``: the ``moh`` folder of Asterisk's data, Debian's
  asterisk-moh-opsound-wav), one after the other in a loop. It goes to each channel's media log, so
  recordings, the audio renderer and externalMedia sockets hear it; without files it is silence.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("bridges.stopMoh", {"bridgeId": "nope"})).body
{'message': 'Bridge not found'}
"""

from __future__ import annotations

import os
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from arinb.media_log import MediaSegment
from arinb.sim.objects import Bridge, Channel, Command
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.clock import TimerHandle
    from arinb.sim.services import Services

__all__ = ["MOH_DIRS", "MusicOnHold", "moh_files"]

#: Where Asterisk's ``default`` class (mode=files, directory=moh) finds its files on Debian and in a
#: source build; ``ARINB_MOH_DIR`` is searched first.
MOH_DIRS = ("/usr/share/asterisk/moh", "/var/lib/asterisk/moh")
_MOH_TOKEN = "\0moh"


@lru_cache(maxsize=8)
def moh_files(extra: str | None = None) -> tuple[tuple[str, float], ...]:
    """``(path, seconds)`` of the default class's wav files, sorted by name (empty when none is installed)."""
    dirs = ([extra] if extra else []) + list(MOH_DIRS)
    for folder in dirs:
        found = []
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not name.endswith(".wav"):
                continue
            path = os.path.join(folder, name)
            try:
                with wave.open(path) as w:
                    seconds = w.getnframes() / float(w.getframerate() or 8000)
            except (OSError, EOFError, wave.Error):
                continue
            if seconds > 0:
                found.append((path, seconds))
        if found:
            return tuple(found)
    return ()


@dataclass(eq=False)
class _Music:
    """Music playing to some listeners: which file, and the timer for the next one."""

    klass: str
    listeners: list[str]  # channel ids that hear it (a channel, or a bridge's members)
    index: int = 0
    timer: TimerHandle | None = None
    segments: list[MediaSegment] = field(default_factory=list)
    playing: tuple[str, float, float, str] | None = None  # (path, start, end, media uri) of the current file


class MusicOnHold:
    """Channel and bridge music on hold (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.on_channel: dict[str, _Music] = {}  # channel id -> its music
        self.on_bridge: dict[str, tuple[Channel, _Music]] = {}  # bridge id -> (moh channel, music)

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.startMoh": self._op_channel_start,
            "channels.stopMoh": self._op_channel_stop,
            "bridges.startMoh": self._op_bridge_start,
            "bridges.stopMoh": self._op_bridge_stop,
        }

    # -- channels ------------------------------------------------------------------------------------------
    def _op_channel_start(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        klass = req.get("mohClass") or "default"
        target = ch
        self.k.queue_of(ch).submit(
            Command("moh start", lambda done: self._channel_start(target, klass, done))
        )
        return Reply(204)

    def _op_channel_stop(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        target = ch
        self.k.queue_of(ch).submit(Command("moh stop", lambda done: self._channel_stop(target, done)))
        return Reply(204)

    def _channel_start(self, ch: Channel, klass: str, done: Callable[[], None]) -> None:
        if ch.state != "Up":
            self.k.indicate_progress(ch)
        self._stop(self.on_channel.pop(ch.id, None))
        music = _Music(klass, [ch.id])
        self.on_channel[ch.id] = music
        self._next_file(music)
        done()

    def _channel_stop(self, ch: Channel, done: Callable[[], None]) -> None:
        self._stop(self.on_channel.pop(ch.id, None))
        done()

    def segment_logged(self, channel_id: str, segment: MediaSegment) -> None:
        """Other audio for the channel (a play, silence): its music stops for good, as on Asterisk."""
        music = self.on_channel.get(channel_id)
        if music is not None and segment not in music.segments:
            del self.on_channel[channel_id]
            self._stop(music, at=segment.start)

    def channel_gone(self, ch: Channel) -> None:
        """The channel hung up: its music ends."""
        self._stop(self.on_channel.pop(ch.id, None))

    # -- bridges -------------------------------------------------------------------------------------------
    def _find_bridge(self, req: Request) -> Bridge | Reply:
        bridge = self.k.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        return bridge

    def _op_bridge_start(self, req: Request) -> Reply:
        bridge = self._find_bridge(req)
        if isinstance(bridge, Reply):
            return bridge
        klass = req.get("mohClass") or "default"
        held = self.on_bridge.get(bridge.id)
        if held is not None:
            moh_channel, music = held
            self._stop(music)
        else:
            k = self.k
            k.new_uid()  # an unreal pair: ;1 and ;2 both take a unique id
            n = k.next_unreal()
            moh_channel = k.new_channel(f"Announcer/ARI_MOH-{n:08x};2", "Up", "announcer")
            k.bridges.media_channel_join(bridge, _MOH_TOKEN, moh_channel.name)
        music = _Music(klass, list(bridge.channels))
        self.on_bridge[bridge.id] = (moh_channel, music)
        self._next_file(music, bridge_id=bridge.id)
        return Reply(204)

    def _op_bridge_stop(self, req: Request) -> Reply:
        bridge = self._find_bridge(req)
        if isinstance(bridge, Reply):
            return bridge
        held = self.on_bridge.pop(bridge.id, None)
        if held is None:
            return error(409, "Bridge isn't playing music")
        self._stop(held[1])
        self.k.bridges.media_channel_leave(bridge, _MOH_TOKEN)
        return Reply(204)

    def plays_on(self, bridge_id: str) -> bool:
        """True while music plays to the bridge."""
        return bridge_id in self.on_bridge

    def bridge_gone(self, bridge_id: str) -> None:
        """The bridge was destroyed: its music channel goes with it."""
        held = self.on_bridge.pop(bridge_id, None)
        if held is not None:
            self._stop(held[1])

    # -- the music -----------------------------------------------------------------------------------------
    def _next_file(self, music: _Music, bridge_id: str | None = None) -> None:
        """Log the next file for every listener and time the one after (files loop)."""
        music.timer = None
        files = moh_files(os.environ.get("ARINB_MOH_DIR")) if music.klass == "default" else ()
        if not files:
            return  # an unknown class, or no files installed: ast_moh_start plays nothing
        if bridge_id is not None:
            bridge = self.k.bridges.get(bridge_id)
            music.listeners = list(bridge.channels) if bridge is not None else []
        path, seconds = files[music.index % len(files)]
        music.index += 1
        now = self.k.now()
        music.segments = []
        music.playing = (path, now, now + seconds, f"moh:{Path(path).stem}")
        for cid in music.listeners:
            self._hear(music, cid)
        music.timer = self.k.clock.call_later(seconds, self._next_file, music, bridge_id)

    def _hear(self, music: _Music, channel_id: str) -> None:
        """``channel_id`` hears the current file from now to its end."""
        if music.playing is None:
            return
        path, start, end, uri = music.playing
        now = self.k.now()
        if now >= end:
            return
        seg = MediaSegment(channel_id, now, end, "file", path, now - start, None, uri)
        music.segments.append(seg)
        self.k.log_segment(channel_id, seg)

    def member_joined(self, bridge_id: str, channel_id: str) -> None:
        """A channel entered a bridge with music: it hears the music from now on (the bridge mixes it in)."""
        held = self.on_bridge.get(bridge_id)
        if held is not None and channel_id not in held[1].listeners:
            held[1].listeners.append(channel_id)
            self._hear(held[1], channel_id)

    def member_left(self, bridge_id: str, channel_id: str) -> None:
        """A channel left a bridge with music: it no longer hears it."""
        held = self.on_bridge.get(bridge_id)
        if held is None or channel_id not in held[1].listeners:
            return
        music = held[1]
        music.listeners.remove(channel_id)
        now = self.k.now()
        for seg in [s for s in music.segments if s.channel_id == channel_id]:
            music.segments.remove(seg)
            if seg.start >= now:
                self.k.drop_segment(seg)
            elif seg.end is None or seg.end > now:
                seg.end = now

    def _stop(self, music: _Music | None, at: float | None = None) -> None:
        if music is None:
            return
        if music.timer is not None:
            music.timer.cancel()
            music.timer = None
        end = self.k.now() if at is None else at
        for seg in music.segments:
            if seg.start >= end:
                self.k.drop_segment(seg)
            elif seg.end is None or seg.end > end:
                seg.end = end
        music.segments = []
