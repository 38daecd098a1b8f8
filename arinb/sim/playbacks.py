"""Playbacks: the state machine of ``POST /channels/{id}/play`` and ``/bridges/{id}/play`` with every quirk
a real Asterisk 22.10.1 showed.

* A play is a command in the channel's control queue: a second play waits (201 ``queued``) and gets
  PlaybackStarted the instant the first one's PlaybackFinished goes out.
* A list (``media=a,b``) sends PlaybackStarted, PlaybackContinuing, PlaybackStarted ... PlaybackFinished
  with one id; an unsupported item (``foo:bar``, a missing recording) is started and skipped with no update,
  and when it is the last item no PlaybackFinished ever comes.
* ``sound:`` that does not exist: PlaybackStarted then PlaybackFinished ``failed``. Tones never end.
* Stop: ``done``; stopping a queued playback makes it ``done`` at once and it finishes when its turn comes.
* Control (res_stasis_playback.c's table of operations by state, playback-control.json): playing: every
  operation (unpause a no-op); paused: pause (a no-op) and unpause, which sends another PlaybackStarted;
  queued: restart, a no-op; anything else 409. Only sound, recording and tone items are controllable (a say
  sequence answers 500); a tone pauses, restarts its cadence, and ignores forward and reverse.
* Hangup fails the current playback and every queued one.

Timing follows AUDIO.md: a file's caller-side content is the file minus its last 22 samples, the playback
takes that plus ~4 ms, a tone's first sample comes ~18 ms after PlaybackStarted.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arinb.ari.playback import CONTROL_BY_STATE, CONTROL_NOOPS, CONTROLLABLE_SCHEMES, PLAYBACK_OPERATIONS
from arinb.media_log import MediaSegment
from arinb.sim.media import (
    FRAME,
    PAST_END_DURATION,
    PLAYBACK_OVERHEAD,
    TONE_LEAD,
    MediaUri,
    Resolved,
    parse_media,
    resolve_media,
    split_media,
)
from arinb.sim.objects import Channel, Command, Playback
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Playbacks"]


# Play ids need to be unique, not secret: a private generator seeded from the OS (again in a forked child,
# as the random module does for its own) spares a system call per play.
_RANDOM = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_RANDOM.seed)


def _uuid4() -> str:
    """A random (version 4) UUID's text, as ``str(uuid.uuid4())`` without the object (a play's default id).

    >>> import uuid
    >>> uuid.UUID(_uuid4()).version
    4
    """
    n = _RANDOM.getrandbits(128)
    n = (n & ~(0xF000 << 64) | (4 << 76)) & ~(0xC000 << 48) | (0x8000 << 48)  # version 4, RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Playbacks:
    """Every playback of one engine, by id (duplicate ids allowed, as on Asterisk)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.by_id: dict[str, list[Playback]] = {}
        self._current: dict[str, Playback] = {}  # channel id or "bridge:<id>" -> playing now
        self._queued: dict[str, list[Playback]] = {}
        self._sound_cache: dict[tuple[str, str], tuple[MediaUri, Resolved]] = {}  # see _resolve

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.play": self._op_play_channel,
            "channels.playWithId": self._op_play_channel,
            "bridges.play": self._op_play_bridge,
            "bridges.playWithId": self._op_play_bridge,
            "playbacks.get": self._op_get,
            "playbacks.stop": self._op_stop,
            "playbacks.control": self._op_control,
        }

    # -- lookups -------------------------------------------------------------------------------------------
    def get(self, playback_id: str) -> Playback | None:
        """The playback GET /playbacks/{id} shows (with duplicate ids: the first one)."""
        found = self.by_id.get(playback_id)
        return found[0] if found else None

    def current_on(self, ch: Channel) -> Playback | None:
        """The playback playing on a channel now, if any."""
        return self._current.get(ch.id)

    def is_sending(self, channel_id: str) -> bool:
        """True while the channel sends file or tone audio (a playback on it, or on its bridge)."""
        pb = self._current.get(channel_id)
        if pb is not None and pb.state == "playing":
            return True
        ch = self.k.channels.get(channel_id)
        if ch is not None and ch.bridge_id is not None:
            bpb = self._current.get(f"bridge:{ch.bridge_id}")
            return bpb is not None and bpb.state == "playing"
        return False

    # -- requests ------------------------------------------------------------------------------------------
    def _options(self, req: Request) -> tuple[float, float] | Reply:
        skipms = req.int("skipms", 3000)
        if skipms < 0:
            return error(400, "skipms cannot be negative")
        offsetms = req.int("offsetms", 0)
        if offsetms < 0:
            return error(400, "offsetms cannot be negative")
        # res_stasis_playback.c: skipms=0 means the default skip (PLAYBACK_DEFAULT_SKIPMS, 3000).
        return offsetms / 1000.0, (skipms or 3000) / 1000.0

    def _new(
        self, req: Request, target_uri: str, language: str, media: str, opts: tuple[float, float]
    ) -> Playback:
        pid = req.path.get("playbackId") or req.get("playbackId") or _uuid4()
        pb = Playback(pid, split_media(media), target_uri, language, offset=opts[0], skip=opts[1])
        self.by_id.setdefault(pid, []).append(pb)
        return pb

    def _op_play_channel(self, req: Request) -> Reply:
        k = self.k
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        bad = k.state_invalid(ch)
        if bad is not None:
            return bad
        media = req.get("media")
        opts = self._options(req)
        if not isinstance(opts, tuple):
            return opts
        if not media:
            return error(500, "Failed to queue media for playback")
        pb = self._new(req, f"channel:{ch.id}", req.get("lang") or ch.language, media, opts)
        pb.channel_id = ch.id
        body = pb.to_json()
        self._queued.setdefault(ch.id, []).append(pb)
        channel = ch
        cmd = Command(f"play {pb.id}", lambda done: self._run(pb, done, channel), lambda: self._cancelled(pb))
        # The control thread picks the play up right after the 201, which therefore says "queued".
        k.queue_of(ch).submit(cmd, defer=0.0)
        return Reply(201, body)

    def _op_play_bridge(self, req: Request) -> Reply:
        k = self.k
        bridge = k.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        media = req.get("media")
        opts = self._options(req)
        if not isinstance(opts, tuple):
            return opts
        if not media:
            return Reply(500, {"error": "Allocation failed"})
        pb = self._new(req, f"bridge:{bridge.id}", req.get("lang") or "en", media, opts)
        pb.bridge_id = bridge.id
        body = pb.to_json()
        k.bridges.announcer_join(bridge)
        key = f"bridge:{bridge.id}"
        self._queued.setdefault(key, []).append(pb)
        cmd = Command(f"play {pb.id}", lambda done: self._run(pb, done, None), lambda: self._cancelled(pb))
        k.bridges.queue_of(bridge).submit(cmd, defer=0.0)
        return Reply(201, body)

    def _op_get(self, req: Request) -> Reply:
        pb = self.get(req.path.get("playbackId", ""))
        if pb is None:
            return error(404, "Playback not found")
        return Reply(200, pb.to_json())

    def _op_stop(self, req: Request) -> Reply:
        pb = self.get(req.path.get("playbackId", ""))
        if pb is None:
            return error(404, "Playback not found")
        self.stop(pb)
        return Reply(204)

    def _op_control(self, req: Request) -> Reply:
        operation = req.get("operation")
        if not operation:
            return error(400, "Missing operation")
        if operation not in PLAYBACK_OPERATIONS:
            return error(400, f"Invalid operation {operation}")
        pb = self.get(req.path.get("playbackId", ""))
        if pb is None:
            return error(404, "Playback not found")
        if operation not in CONTROL_BY_STATE.get(pb.state, frozenset()):
            return error(409, f"Can only {operation} while media is playing")
        if (pb.state, operation) in CONTROL_NOOPS:
            return Reply(204)
        if not pb.controllable:
            return error(500, f"Could not {operation} playback")
        getattr(self, f"_{operation}")(pb)
        return Reply(204)

    # -- the state machine ---------------------------------------------------------------------------------
    def _key(self, pb: Playback) -> str:
        return pb.channel_id if pb.channel_id is not None else f"bridge:{pb.bridge_id}"

    def _emit(self, pb: Playback, type_: str) -> None:
        if pb.channel_id is not None:
            self.k.emit(type_, {"playback": pb.to_json()}, channels=[pb.channel_id])
        else:
            self.k.emit(type_, {"playback": pb.to_json()}, bridges=[str(pb.bridge_id)], twice_for_all=True)

    def _listeners(self, pb: Playback) -> list[str]:
        if pb.channel_id is not None:
            return [pb.channel_id]
        bridge = self.k.bridges.get(str(pb.bridge_id))
        return list(bridge.channels) if bridge is not None else []

    def _dequeue(self, pb: Playback) -> None:
        queued = self._queued.get(self._key(pb))
        if queued and pb in queued:
            queued.remove(pb)

    def _run(self, pb: Playback, done: Callable[[], None], ch: Channel | None) -> None:
        """Its turn in the control queue."""
        self._dequeue(pb)
        pb.done = done
        if pb.stopped_queued:
            self._emit(pb, "PlaybackFinished")
            self._finish_quietly(pb)
            return
        if ch is not None and ch.silence is not None:
            ch.silence.end = self.k.now()
            ch.silence = None
        self._current[self._key(pb)] = pb
        # Early media: Asterisk indicates progress right after the first PlaybackStarted (on a channel that
        # is not Up: indicate_progress checks, once for both).
        self._start_item(pb, progress=ch)

    def _start_item(self, pb: Playback, progress: Channel | None = None) -> None:
        k = self.k
        while True:
            pb.state = "playing"
            self._emit(pb, "PlaybackStarted")
            if progress is not None:
                k.lifecycle.indicate_progress(progress)
                progress = None
            if pb.state != "playing":  # a handler stopped it inside the emit (synchronous send)
                return
            uri, res = self._resolve(pb.media_uri, pb.language)
            pb.resolved = res
            last = pb.index + 1 >= len(pb.media)
            if uri.scheme in CONTROLLABLE_SCHEMES and res.kind != "unsupported":
                pb.controllable = True
            if res.kind == "unsupported":
                # play_on_channel() hits "continue" with no final update: no Continuing, no Finished.
                if last:
                    self._vanish(pb)
                    return
                pb.index += 1
                continue
            if res.kind == "missing":
                if last:
                    self._finish(pb, "failed")
                    return
                self._continuing(pb)
                continue
            now = k.now()
            pb.resumed_at = now
            if res.kind == "tone":
                self._open_tone(pb, now)
                return
            pb.position = pb.offset
            self._schedule(pb, now)
            return

    def _resolve(self, item: str, language: str) -> tuple[MediaUri, Resolved]:
        """What one media item is and plays. A ``sound:`` item resolves the same every time (the library
        caches its lookups), so its answer is kept: a busy simulator replays the same few sounds."""
        key = (item, language)
        found = self._sound_cache.get(key)
        if found is None:
            k = self.k
            uri = parse_media(item)
            found = (uri, resolve_media(uri, k.sounds, language, recording=k.recordings.playable))
            if uri.scheme == "sound" and len(self._sound_cache) < 4096:
                self._sound_cache[key] = found
        return found

    def _open_tone(self, pb: Playback, now: float) -> None:
        """The tone from the start of its cadence (its first sample one generator tick, TONE_LEAD, later)."""
        assert pb.resolved is not None
        pb.resumed_at = now
        for lid in self._listeners(pb):
            seg = MediaSegment(lid, now + TONE_LEAD, None, "tone", pb.resolved.tone, 0.0, pb.id, pb.media_uri)
            pb.segments.append(self.k.log_segment(lid, seg))

    def _schedule(self, pb: Playback, start: float) -> None:
        """Log segments from ``pb.position`` at ``start`` and time the item's end."""
        assert pb.resolved is not None
        content = pb.resolved.content
        if pb.position >= content:
            pb.timer = self.k.clock.call_at(start + PAST_END_DURATION, self._item_end, pb)
            return
        self._open_segments(pb, start)
        remaining = content - pb.position
        pb.timer = self.k.clock.call_at(start + remaining + PLAYBACK_OVERHEAD, self._item_end, pb)

    def _open_segments(self, pb: Playback, start: float) -> None:
        assert pb.resolved is not None
        t, cum = start, 0.0
        listeners = self._listeners(pb)
        for part in pb.resolved.parts:
            c = part.content
            if pb.position < cum + c:
                off = max(0.0, pb.position - cum)
                length = c - off
                source = str(part.path) if part.path is not None else part.name
                for lid in listeners:
                    seg = MediaSegment(lid, t, t + length, "file", source, off, pb.id, pb.media_uri)
                    pb.segments.append(self.k.log_segment(lid, seg))
                t += length
            cum += c

    def _cut_segments(self, pb: Playback, at: float) -> None:
        for seg in pb.segments:
            if seg.start >= at:
                self.k.drop_segment(seg)
            elif seg.end is None or seg.end > at:
                seg.end = at
        pb.segments = []

    def _cancel_timer(self, pb: Playback) -> None:
        if pb.timer is not None:
            pb.timer.cancel()
            pb.timer = None

    def _item_end(self, pb: Playback) -> None:
        pb.timer = None
        pb.segments = []
        if pb.index + 1 < len(pb.media):
            self._continuing(pb)
            self._start_item(pb)
        else:
            self._finish(pb, "done")

    def _continuing(self, pb: Playback) -> None:
        pb.state = "continuing"
        self._emit(pb, "PlaybackContinuing")
        pb.index += 1
        # offsetms is for the first item that plays: Asterisk resets it after an item's final update, which
        # an unsupported item skips (play_on_channel's "continue"), so the offset then goes to the next one.
        pb.offset = 0.0

    def _finish(self, pb: Playback, state: str, cut_at: float | None = None) -> None:
        self._cancel_timer(pb)
        self._cut_segments(pb, self.k.now() if cut_at is None else cut_at)
        pb.state = state
        self._emit(pb, "PlaybackFinished")
        self._finish_quietly(pb)

    def _vanish(self, pb: Playback) -> None:
        """An unsupported last item: the playback disappears with no PlaybackFinished (it sent no audio)."""
        self._finish_quietly(pb)

    def _finish_quietly(self, pb: Playback) -> None:
        key = self._key(pb)
        if self._current.get(key) is pb:
            del self._current[key]
        same = self.by_id.get(pb.id)
        if same and pb in same:
            same.remove(pb)
            if not same:
                del self.by_id[pb.id]
        done, pb.done = pb.done, None
        if done is not None:
            done()
        if pb.bridge_id is not None:
            self.k.bridges.playback_over(pb.bridge_id)

    def _cancelled(self, pb: Playback) -> None:
        """The channel hung up before this queued playback's turn: Started + Finished(failed)."""
        self._dequeue(pb)
        if pb.stopped_queued:
            self._emit(pb, "PlaybackFinished")
        else:
            pb.state = "playing"
            self._emit(pb, "PlaybackStarted")
            pb.state = "failed"
            self._emit(pb, "PlaybackFinished")
        self._finish_quietly(pb)

    # -- stop and control ----------------------------------------------------------------------------------
    def stop(self, pb: Playback) -> None:
        """DELETE /playbacks/{id}."""
        if pb.state == "queued" or pb.stopped_queued:
            pb.stopped_queued = True
            pb.state = "done"
            return
        if pb.resolved is not None and pb.resolved.kind == "tone" and pb.index + 1 < len(pb.media):
            # Stopping a tone inside a list only ends that tone: the list goes on.
            self._cancel_timer(pb)
            self._cut_segments(pb, self._stop_time(pb))
            self._continuing(pb)
            self._start_item(pb)
            return
        self._finish(pb, "done", cut_at=self._stop_time(pb))

    def _stop_time(self, pb: Playback) -> float:
        """Where a stopped playback's audio ends: at the end of its frame in progress (AUDIO.md: a tone
        DELETEd at ~9.50 had sent exactly 9.000 s, 450 frames from its first sample at 0.52)."""
        now = self.k.now()
        if pb.state != "playing" or pb.resolved is None:
            return now
        start = pb.resumed_at + (TONE_LEAD if pb.resolved.kind == "tone" else 0.0)
        if now <= start:
            return now  # no sample sent yet: nothing to finish
        return self._frame_end(start)[0]

    def _elapsed_position(self, pb: Playback) -> float:
        assert pb.resolved is not None
        return min(pb.resolved.content, pb.position + max(0.0, self.k.now() - pb.resumed_at))

    def _pause(self, pb: Playback) -> None:
        assert pb.resolved is not None
        if pb.resolved.kind == "tone":  # ast_control_tone stops the tone (and starts it again on unpause)
            self._cut_segments(pb, self._stop_time(pb))
            pb.state = "paused"
            return
        # The frame in progress still reaches the caller, whole: audio stops on the 20 ms grid that
        # started with the audio (AUDIO.md: a pause 1.0 s in stops after source 1.020 s, sample 8160).
        end, frames = self._frame_end(pb.resumed_at)
        pb.position = min(pb.resolved.content, pb.position + frames * FRAME)
        self._cancel_timer(pb)
        self._cut_segments(pb, end)
        pb.state = "paused"

    def _frame_end(self, audio_start: float) -> tuple[float, int]:
        """When the 20 ms frame in progress ends, for audio that started at ``audio_start``, and how many
        frames have then played."""
        played = max(0.0, self.k.now() - audio_start)
        frames = math.floor(played / FRAME + 1e-9) + 1
        return audio_start + frames * FRAME, frames

    def _unpause(self, pb: Playback) -> None:
        now = self.k.now()
        pb.state = "playing"
        self._emit(pb, "PlaybackStarted")
        assert pb.resolved is not None
        if pb.resolved.kind == "tone":
            self._open_tone(pb, now)
            return
        # Re-opening the file sends its first frame before seeking back to the pause point.
        first = pb.resolved.parts[0] if pb.resolved.parts else None
        if first is not None:
            source = str(first.path) if first.path is not None else first.name
            for lid in self._listeners(pb):
                seg = MediaSegment(lid, now, now + FRAME, "file", source, 0.0, pb.id, pb.media_uri)
                pb.segments.append(self.k.log_segment(lid, seg))
        pb.resumed_at = now + FRAME
        self._schedule(pb, now + FRAME)

    def _seek(self, pb: Playback, position: float) -> None:
        """A playing file goes on from ``position`` (forward, reverse and restart are 409 while paused)."""
        assert pb.resolved is not None
        now = self.k.now()
        self._cancel_timer(pb)
        self._cut_segments(pb, now)
        pb.position = max(0.0, min(position, pb.resolved.content))
        pb.resumed_at = now
        self._schedule(pb, now)

    def _restart(self, pb: Playback) -> None:
        assert pb.resolved is not None
        if pb.resolved.kind == "tone":  # the tone stops and starts again from the start of its cadence
            self._cut_segments(pb, self._stop_time(pb))
            self._open_tone(pb, self.k.now())
            return
        self._seek(pb, 0.0)

    def _forward(self, pb: Playback) -> None:
        assert pb.resolved is not None
        if pb.resolved.kind != "tone":  # a tone ignores it (app.c: "not supported for media type 'tone'")
            self._seek(pb, self._elapsed_position(pb) + pb.skip)

    def _reverse(self, pb: Playback) -> None:
        assert pb.resolved is not None
        if pb.resolved.kind != "tone":
            self._seek(pb, self._elapsed_position(pb) - pb.skip)

    # -- hangup, dialplan ----------------------------------------------------------------------------------
    def channel_hungup(self, ch: Channel) -> None:
        """The current playback fails (its queued ones fail when the queue is cancelled)."""
        pb = self._current.get(ch.id)
        if pb is not None:
            self._finish(pb, "failed")

    def bridge_destroyed(self, bridge_id: str) -> None:
        """The bridge is going: the playback playing on it fails (its announcer is hung up)."""
        pb = self._current.get(f"bridge:{bridge_id}")
        if pb is not None:
            self._finish(pb, "failed")

    def play_files_for_pbx(self, ch: Channel, files: list[str]) -> float:
        """Dialplan ``Playback(a&b)``: log the audio, return how long it takes (missing files are skipped)."""
        k = self.k
        t = k.now()
        start = t
        for name in files:
            found = k.sounds.lookup(name, ch.language)
            if found is None:
                continue
            content = max(0.0, found.duration - 22 / 8000)
            source = str(found.path) if found.path is not None else name
            k.log_segment(ch.id, MediaSegment(ch.id, t, t + content, "file", source, 0.0, None, name))
            t += content
        return (t - start) + PLAYBACK_OVERHEAD

    def queued_on(self, key: str) -> list[Playback]:
        """Playbacks waiting on a channel (by id) or a bridge (``bridge:<id>``)."""
        return list(self._queued.get(key, []))

    def describe(self) -> dict[str, Any]:
        """Counts, for debugging."""
        return {"ids": len(self.by_id), "playing": len(self._current)}
