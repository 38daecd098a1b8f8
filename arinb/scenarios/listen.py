"""The audio of a scenario's call: what the caller heard, from the simulator's media log or a snoop recording.

:class:`CallAudio` belongs to one call of one run. On the simulator it renders the engine's media log (any
time, retrospectively, from the call's ``StasisStart``); on any server with ``record_audio=True`` it holds
the snoop recording that ``channel.audio()`` makes from ``StasisStart`` until the hangup, which arrives when
the call ends. A step result keeps the :class:`CallAudio` of its own run, so a reset does not change it.

>>> clip = sc.audio()                    # the call so far  # doctest: +SKIP
>>> (await sc.next()).audio()            # the call up to the end of that step  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from typing import TYPE_CHECKING, Any

from arinb.errors import AriError, AriUsageError
from arinb.loop import Call, EngineLoop

if TYPE_CHECKING:
    from arinb.audio import AudioClip

__all__ = ["CallAudio", "is_snoop"]

_SIM_LOOP = "arinb-sim"  # the simulator's loop thread (arinb.sim.LOOP_NAME): its engine lives there


def is_snoop(channel: Any) -> bool:
    """True for a snoop channel (``Snoop/...``), e.g. the one ``channel.audio()`` makes: apps skip it."""
    name = channel.get("name") if isinstance(channel, dict) else getattr(channel, "name", None)
    return isinstance(name, str) and name.startswith("Snoop/")


def media_log_engine(sim: Any) -> Any:
    """The simulator's engine if it keeps a media log (None for a fake or closed simulator)."""
    if sim is None:
        return None
    try:
        engine = getattr(sim, "engine", None)
    except AriError:
        return None  # closed
    return engine if callable(getattr(engine, "media_log", None)) else None


class CallAudio:
    """What the caller of one scenario call heard.

    Build it with :meth:`from_media_log` (simulator) or :meth:`from_recording` (a ``channel.audio()`` call
    started at ``StasisStart``). :meth:`clip` gives an :class:`arinb.audio.AudioClip` whose ``t = 0`` is
    the call's ``StasisStart`` (media log) or the start of the recording (a few ms later).
    """

    def __init__(
        self,
        title: str,
        channel_id: str,
        *,
        engine: Any = None,
        start: float | None = None,
        recording: Call[AudioClip] | None = None,
        recording_name: str = "",
    ) -> None:
        self.title = title
        self.channel_id = channel_id
        self._engine = engine
        #: media log: the call's StasisStart, and its StasisEnd once seen (simulated epoch seconds)
        self.start = start
        self.end: float | None = None
        self.recording = recording
        self.recording_name = recording_name
        #: recording: the scenario clock's time when RecordingStarted arrived
        self.recording_started: float | None = None
        self._clip: AudioClip | None = None
        self._error: BaseException | None = None

    @classmethod
    def from_media_log(cls, title: str, engine: Any, channel_id: str, start: float) -> CallAudio:
        return cls(title, channel_id, engine=engine, start=start)

    @classmethod
    def from_recording(cls, title: str, channel_id: str, recording: Call[AudioClip], name: str) -> CallAudio:
        return cls(title, channel_id, recording=recording, recording_name=name)

    @property
    def recorded(self) -> bool:
        return self.recording is not None

    @property
    def error(self) -> BaseException | None:
        """Why the recording failed, once it has (None: no recording, still running, or it worked)."""
        if self._error is not None:
            return self._error
        recording = self.recording
        if recording is None or not recording.done():
            return None
        try:
            return recording.exception()
        except (asyncio.CancelledError, concurrent.futures.CancelledError) as exc:
            return exc

    @property
    def ready(self) -> bool:
        """True when :meth:`clip` answers now (the media log: always; a recording: once the call ended)."""
        return self.recording is None or self.recording.done()

    def clip(self, until: float | None = None) -> AudioClip:
        """The caller's audio from the call's start up to ``until`` (scenario clock; None: so far/all)."""
        if self.recording is not None:
            return self._recorded(until)
        return self._rendered(until)

    # -- simulator: the media log

    def _rendered(self, until: float | None) -> AudioClip:
        from arinb.audio import render_clip

        engine, channel_id = self._engine, self.channel_id

        def snapshot() -> tuple[list[Any], float]:
            # Copies, taken on the simulator's thread: a sounding segment's end is set later there.
            segments = [dataclasses.replace(s) for s in engine.media_log(channel_id)]
            return segments, float(engine.clock.now())

        segments, now = EngineLoop.shared(_SIM_LOOP).run_sync(snapshot)
        assert self.start is not None
        end = now if until is None else min(until, now)
        if self.end is not None:
            end = min(end, self.end)
        return render_clip(segments, self.start, max(end, self.start), title=self.title)

    # -- any server: the snoop recording

    def _recorded(self, until: float | None) -> AudioClip:
        assert self.recording is not None
        if self._clip is None:
            if self._error is not None:
                raise self._error
            if not self.recording.done():
                raise AriUsageError(
                    f"{self.title}: the call is recorded through a snoop channel, and the recording is "
                    "fetched when the call ends; run the scenario to its end, then ask again"
                )
            error = self.recording.exception()
            if error is not None:
                self._error = error
                raise error
            self._clip = self.recording.result()
            self._clip.title = self.title
        clip = self._clip
        if until is None or self.recording_started is None:
            return clip
        return clip.slice(0.0, max(until - self.recording_started, 0.0))

    async def finish(self, within: float) -> None:
        """Wait (up to ``within`` wall seconds) for the recording of a call that has ended."""
        recording = self.recording
        if recording is None or recording.done():
            return
        try:
            await asyncio.wait_for(asyncio.ensure_future(_awaited(recording)), within)
        except TimeoutError:
            recording.cancel()
            self._error = AriError(
                f"{self.title}: the recording {self.recording_name!r} did not finish within {within} s"
            )
        except Exception as exc:  # kept for clip(): the call's cleanup goes on
            self._error = exc


async def _awaited(call: Call[Any]) -> Any:
    return await call
