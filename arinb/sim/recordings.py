"""Live and stored recordings (``POST /channels/{id}/record``, ``/recordings/...``).

As observed on Asterisk 22.10.1 (MORE.md): 201 ``queued`` and RecordingStarted in the same instant; the
stored recording is listed as soon as the recording starts; ``maxDurationSeconds`` is checked with a
1-second granularity (the 2 s recording stopped 2.8 s after it started and reported ``duration`` 2); a
channel that receives no audio at all (a Local half whose other half sits in ``Wait()``) stops after
4 s with ``duration`` 0 (two 2-s ``ast_waitfor`` timeouts). The stored file is a 16-bit 8 kHz wav rendered
from what the recorded channel heard (with :mod:`arinb.audio` when it is installed, else silence).
"""

from __future__ import annotations

import io
import logging
import math
import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arinb.media_log import MediaSegment
from arinb.sim.media import FRAME
from arinb.sim.objects import Channel, Command, LiveRecording, StoredRecording
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["RECORDING_PHASE", "Recordings", "on_recording_grid", "wav_bytes"]

log = logging.getLogger("arinb.sim")


def _renderer() -> Callable[..., Any] | None:
    """``arinb.audio.render`` when the audio package (numpy) is usable, else None (silent files)."""
    try:
        from arinb.audio import render
    except ImportError:
        return None
    return render


#: maxDurationSeconds ends on the frame after the whole-second boundary, ~8 ms in (record-max-duration).
MAX_DURATION_FRAME_LAG = 0.008
#: Audio a recording ended by its limit holds beyond its RecordingStarted-RecordingFinished gap.
LIMIT_EXTRA_AUDIO = 0.015
#: A recording takes its frame n at RecordingStarted + RECORDING_PHASE + n * 20 ms, holding what the channel
#: sent in the 20 ms before: audio sent at t lands on frame ceil((t - started - phase) / 20 ms). Measured on
#: snoop recordings of a real Asterisk 22.10.1 (55 plays at known phases, 6 snoops): the step between frames
#: fell 12-20 ms after the playback's PlaybackStarted phase (also with the snoop made 10 ms before the record,
#: so the phase follows the recording, not the snoop's creation); 16 ms is the middle. A play 0.502 s after
#: RecordingStarted sounds at 0.500, a tone (first sample 18 ms later) at 0.520, as in AUDIO.md.
RECORDING_PHASE = 0.016
#: A recording that hears nothing ends after two 2-s waits for audio.
NO_AUDIO_TIMEOUT = 4.0
_FORMATS = {"wav", "wav16", "gsm", "ulaw", "alaw", "sln", "slin", "sln16", "g722", "g729", "ilbc", "ogg"}
_CONTENT_TYPES = {"wav": "audio/wav", "wav16": "audio/wav", "gsm": "audio/x-gsm", "ulaw": "audio/basic"}


def _audience(rec: LiveRecording) -> dict[str, list[str]]:
    """Who sees a recording's events: the apps of its channel, or of its bridge."""
    return {"bridges": [rec.bridge_id]} if rec.bridge_id is not None else {"channels": [rec.channel_id]}


def wav_bytes(samples: bytes, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM RIFF/WAVE file around ``samples`` (little-endian int16)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return buf.getvalue()


def on_recording_grid(segments: list[MediaSegment], started: float) -> list[MediaSegment]:
    """``segments`` (a channel's media log) as a recording that started at ``started`` holds them.

    A recording is a run of whole 20 ms frames (AUDIO.md: "a continuous run of 160-sample frames"), so each
    stretch of audio starts on one of its frames (see :data:`RECORDING_PHASE`), the pieces of a stretch
    follow each other with no gap (a gap shorter than a frame is absorbed by the frames in flight: a list's
    next item), and a stretch keeps whole frames only (AUDIO.md: "the last (total mod 160) samples of a
    playback never appear"). Silence segments are left out: the recording is zeros there anyway.

    >>> from arinb.media_log import MediaSegment as S
    >>> [seg] = on_recording_grid([S("c", 10.502, 10.925, "file")], 10.0)
    >>> round(seg.start, 3), round(seg.end, 3)
    (10.5, 10.92)
    """
    view: list[MediaSegment] = []
    run_end: float | None = None  # where the current stretch ends in the log (None: no stretch yet, or open)
    placed = 0.0  # where the current stretch's next piece goes in the recording
    run_start = 0.0
    members: list[MediaSegment] = []

    def close() -> None:
        if not members:
            return
        last = members[-1]
        if last.end is not None:  # a finished stretch keeps whole frames only
            keep = run_start + math.floor((last.end - run_start) / FRAME + 1e-6) * FRAME
            for seg in members:
                if seg.end is not None and seg.end > keep:
                    seg.end = max(seg.start, keep)
        view.extend(s for s in members if s.end is None or s.end > s.start)
        members.clear()

    for seg in sorted((s for s in segments if s.kind != "silence"), key=lambda s: s.start):
        joins = members and run_end is not None and seg.start - run_end < FRAME - 1e-9
        if not joins:
            close()
            frames = math.ceil((seg.start - started - RECORDING_PHASE) / FRAME - 1e-9)
            run_start = placed = started + frames * FRAME
        length = None if seg.end is None else max(0.0, seg.end - seg.start)
        members.append(replace(seg, start=placed, end=None if length is None else placed + length))
        if length is not None:
            placed += length
        run_end = seg.end
    close()
    return view


class Recordings:
    """Live recordings by name, and the stored ones."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.live: dict[str, LiveRecording] = {}
        self.stored: dict[str, StoredRecording] = {}

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.record": self._op_record,
            "recordings.listStored": lambda r: Reply(
                200, [self.stored[n].to_json() for n in sorted(self.stored)]
            ),
            "recordings.getStored": self._op_get_stored,
            "recordings.deleteStored": self._op_delete_stored,
            "recordings.getStoredFile": self._op_file,
            "recordings.copyStored": self._op_copy,
            "recordings.getLive": self._op_get_live,
            "recordings.cancel": lambda r: self._op_live(r, "cancel"),
            "recordings.stop": lambda r: self._op_live(r, "stop"),
            "recordings.pause": lambda r: self._op_live(r, "pause"),
            "recordings.unpause": lambda r: self._op_live(r, "unpause"),
            "recordings.mute": lambda r: self._op_live(r, "mute"),
            "recordings.unmute": lambda r: self._op_live(r, "unmute"),
        }

    def playable(self, name: str) -> tuple[float, Path | None] | None:
        """``recording:NAME`` for the playback code: (seconds, path) or None when it does not exist."""
        stored = self.stored.get(name)
        if stored is None or name in self.live:
            return None
        return stored.duration, stored.path

    # -- record --------------------------------------------------------------------------------------------
    def _op_record(self, req: Request) -> Reply:
        k = self.k
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        bad = k.state_invalid(ch)
        if bad is not None:
            return bad
        name = req.get("name")
        if not name:
            return error(500, "Error parsing request")
        if_exists = req.get("ifExists") or "fail"
        if if_exists not in ("fail", "overwrite", "append"):
            return error(400, "ifExists invalid")
        fmt = req.get("format")
        if not fmt or fmt not in _FORMATS:
            return error(422, "specified format is unknown on this system")
        max_duration = req.int("maxDurationSeconds", 0)
        if max_duration < 0:
            return error(400, "max_duration_seconds cannot be negative")
        max_silence = req.int("maxSilenceSeconds", 0)
        if max_silence < 0:
            return error(400, "max_silence_seconds cannot be negative")
        terminate_on = req.get("terminateOn") or "none"
        if terminate_on not in ("none", "any", "*", "#"):
            return error(400, "terminateOn invalid")
        if name.startswith("/") or ".." in name.split("/"):
            return error(400, "Recording name invalid")
        if name in self.live or (name in self.stored and if_exists == "fail"):
            return error(409, f"Recording '{name}' already exists and can not be overwritten")
        rec = LiveRecording(
            name,
            fmt,
            f"channel:{ch.id}",
            ch.id,
            max_duration=float(max_duration),
            max_silence=float(max_silence),
            if_exists=if_exists,
            beep=req.bool("beep"),
            terminate_on=terminate_on,
        )
        self.live[name] = rec
        body = rec.to_json()
        channel = ch
        k.queue_of(ch).submit(
            Command(f"record {name}", lambda done: self._start(rec, channel, done), lambda: self._drop(rec)),
            defer=0.0,
        )
        return Reply(201, body)

    def _source_of(self, ch: Channel) -> tuple[str | None, bool]:
        """Whose audio the recording hears, and whether any arrives at all."""
        k = self.k
        if ch.kind == "snoop":
            # The snoop fills gaps with zero frames, so it always "hears" something. spy=out: what the
            # target sends; spy=in: what it receives (for a Local half, what its other half sends).
            target_id = ch.snoop_target
            target = k.channels.get(target_id or "")
            if ch.snoop_spy == "in" and target is not None and target.peer is not None:
                return target.peer.id, True
            return target_id, True
        if ch.kind in ("local1", "local2") and ch.peer is not None:
            peer = ch.peer
            sending = k.playbacks.is_sending(peer.id) or peer.silence is not None
            return peer.id, sending
        return None, True  # an inbound call: the phone keeps sending audio

    def known_format(self, fmt: str) -> bool:
        """True for a file format recordings can be written in (``ast_get_format_for_file_ext``)."""
        return fmt in _FORMATS

    def _start(self, rec: LiveRecording, ch: Channel, done: Callable[[], None]) -> None:
        if self.live.get(rec.name) is not rec:  # stopped or cancelled before its turn
            done()
            return
        source, has_audio = self._source_of(ch)
        self.begin(rec, source, has_audio, done)

    def begin(
        self, rec: LiveRecording, source: str | None, has_audio: bool, done: Callable[[], None] | None
    ) -> None:
        """Start ``rec`` (already in ``live``): ``source`` is the channel whose media log it hears.

        Channel recordings start from their control queue; a bridge recording (``rec.bridge_id``) from
        its recorder channel, and its events go to the bridge's apps.
        """
        k = self.k
        now = k.now()
        rec.state = "recording"
        rec.started = now
        rec.done = done
        rec.has_audio = has_audio
        previous = self.stored.get(rec.name)
        stored = StoredRecording(rec.name, rec.format, 0.0, source, now)
        if previous is not None and rec.if_exists == "append":
            stored.duration = previous.duration
        self.stored[rec.name] = stored
        rec.stored = stored
        k.emit("RecordingStarted", {"recording": rec.to_json()}, **_audience(rec))
        if not rec.has_audio:
            rec.timer = k.clock.call_later(NO_AUDIO_TIMEOUT, self._finish, rec, "done")
        elif rec.max_duration > 0:
            # Asterisk compares whole wall-clock seconds (time(NULL) - start > maxtime) on each frame: the
            # recording ends on the first frame of second floor(start) + max + 1 (record-max-duration).
            end = math.floor(now) + rec.max_duration + 1 + MAX_DURATION_FRAME_LAG
            rec.timer = k.clock.call_at(end, self._finish, rec, "done", True)

    def _drop(self, rec: LiveRecording) -> None:
        self.live.pop(rec.name, None)

    def _finish(self, rec: LiveRecording, state: str, at_limit: bool = False) -> None:
        """End ``rec``. The file holds the 20 ms frames completed before a stop or hangup; at the
        ``maxDurationSeconds`` limit it also holds the frame whose arrival ended it."""
        if self.live.get(rec.name) is not rec:
            return
        k = self.k
        now = k.now()
        if rec.timer is not None:
            rec.timer.cancel()
            rec.timer = None
        if rec.paused_at is not None:
            rec.paused_total += now - rec.paused_at
            rec.paused_at = None
        elapsed = max(0.0, now - rec.started - rec.paused_total)
        # A stop keeps the frames completed before it (AUDIO.md: the length is the time to the stop minus
        # 0-17 ms); the limit's end also keeps what the recorder had buffered (record-max-duration: about
        # 15 ms more than the RecordingStarted-RecordingFinished gap).
        extra = LIMIT_EXTRA_AUDIO if at_limit else 0.0
        frames = math.floor((elapsed + extra) / FRAME + 1e-6)
        rec.state = state
        stored = rec.stored
        if stored is not None and rec.has_audio:  # a channel that hears nothing writes no frames
            stored.duration += frames * FRAME
            stored.data = None
        if state == "canceled" and stored is not None:
            self.stored.pop(rec.name, None)
        reported = int(elapsed) if rec.has_audio else 0
        if rec.max_duration > 0:
            reported = min(reported, int(rec.max_duration))
        del self.live[rec.name]
        k.emit("RecordingFinished", {"recording": rec.to_json(duration=reported)}, **_audience(rec))
        done, rec.done = rec.done, None
        if done is not None:
            done()
        on_end, rec.on_end = rec.on_end, None
        if on_end is not None:
            on_end()

    def end(self, name: str, state: str) -> None:
        """End the live recording ``name`` now (``done`` or ``canceled``), e.g. when its bridge goes."""
        rec = self.live.get(name)
        if rec is None:
            return
        if rec.state == "queued":
            del self.live[name]
            return
        self._finish(rec, state)

    def dtmf(self, ch: Channel, digit: str) -> None:
        """A digit arrived on ``ch``: a recording with a matching ``terminateOn`` stops."""
        for rec in list(self.live.values()):
            if rec.channel_id != ch.id or rec.state not in ("recording", "paused"):
                continue
            if rec.terminate_on == "any" or rec.terminate_on == digit:
                self._finish(rec, "done")

    def channel_hungup(self, ch: Channel) -> None:
        """The recorded channel hung up: its recording ends."""
        for rec in list(self.live.values()):
            if rec.channel_id == ch.id and rec.state in ("recording", "paused"):
                self._finish(rec, "done")

    # -- stored --------------------------------------------------------------------------------------------
    def _op_get_stored(self, req: Request) -> Reply:
        stored = self.stored.get(req.path.get("recordingName", ""))
        if stored is None:
            return error(404, "Recording not found")
        return Reply(200, stored.to_json())

    def _op_delete_stored(self, req: Request) -> Reply:
        name = req.path.get("recordingName", "")
        if name not in self.stored:
            return error(404, "Recording not found")
        del self.stored[name]
        return Reply(204)

    def _op_copy(self, req: Request) -> Reply:
        stored = self.stored.get(req.path.get("recordingName", ""))
        if stored is None:
            return error(404, "Recording not found")
        dest = req.get("destinationRecordingName")
        if not dest:
            return error(400, "Missing parameter destinationRecordingName")
        if dest in self.stored:
            return error(409, "A recording with the same name already exists on the system")
        copy = StoredRecording(dest, stored.format, stored.duration, stored.source_channel, stored.start)
        copy.data = stored.data
        self.stored[dest] = copy
        return Reply(200, copy.to_json())

    def _op_file(self, req: Request) -> Reply:
        stored = self.stored.get(req.path.get("recordingName", ""))
        if stored is None:
            return error(404, "Recording not found")
        data = self.file_bytes(stored)
        return Reply(
            200,
            data,
            content_type=_CONTENT_TYPES.get(stored.format, "application/octet-stream"),
            headers={"Cache-Control": "no-cache, no-store"},
        )

    def file_bytes(self, stored: StoredRecording) -> bytes:
        """The stored recording as a 16-bit 8 kHz wav (rendered once, then cached)."""
        if stored.data is None:
            n = round(stored.duration * 8000)
            stored.data = wav_bytes(self._render(stored, n))
        return stored.data

    def _render(self, stored: StoredRecording, n: int) -> bytes:
        if n <= 0:
            return b""
        if stored.source_channel is not None:
            render = _renderer()
            if render is not None:
                segments = on_recording_grid(self.k.media_log(stored.source_channel), stored.start)
                try:
                    pcm: Any = render(segments, stored.start, stored.start + n / 8000, 8000)
                    data = bytes(pcm.astype("<i2").tobytes())
                    if len(data) >= 2 * n:
                        return data[: 2 * n]
                    return data + b"\0\0" * (n - len(data) // 2)
                except Exception:  # a renderer problem must not break GET .../file
                    log.exception("rendering recording %s failed; writing silence", stored.name)
        return b"\0\0" * n

    # -- live ----------------------------------------------------------------------------------------------
    def _op_get_live(self, req: Request) -> Reply:
        rec = self.live.get(req.path.get("recordingName", ""))
        if rec is None:
            return error(404, "Recording not found")
        return Reply(200, rec.to_json())  # a record waiting behind a playback says "queued" (ASTERISK22.md)

    def _op_live(self, req: Request, action: str) -> Reply:
        rec = self.live.get(req.path.get("recordingName", ""))
        if rec is None:
            return error(404, "Recording not found")
        now = self.k.now()
        if rec.state == "queued":  # still waiting in the channel's queue: it never starts
            if action in ("stop", "cancel"):
                del self.live[rec.name]
                rec.state = "canceled"
                return Reply(204)
            return error(409, "Recording not in session")
        if action == "stop":
            self._finish(rec, "done")
        elif action == "cancel":
            self._finish(rec, "canceled")
        elif action == "pause":
            if rec.state != "recording":
                return error(409, "Recording not in session")
            rec.state = "paused"
            rec.paused_at = now
        elif action == "unpause":
            if rec.state != "paused":
                return error(409, "Recording not paused")
            rec.state = "recording"
            if rec.paused_at is not None:
                rec.paused_total += now - rec.paused_at
            rec.paused_at = None
        else:
            rec.muted = action == "mute"
        return Reply(204)
