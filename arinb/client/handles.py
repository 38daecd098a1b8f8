"""Handles for ARI objects: thin typed wrappers over a registry record and the session's requester.

A handle (:class:`Channel`, :class:`Playback`, :class:`Bridge`, :class:`LiveRecording`,
:class:`StoredRecording`) exists once per object, reads the object's state from its registry record (``.json``
is always the latest JSON Asterisk sent) and offers the ARI operations on that object. It writes no state: a
REST reply that tells something (a 201 to a play, a 204 to a hangup) is handed to the registry. Every method
that talks to Asterisk returns an :class:`arinb.loop.Call`: ``await`` it in a notebook or coroutine; in a
script it has already finished when it returns (and raised if ARI answered an error)::

    ch = event.channel
    await ch.answer()
    pb = ch.play(["sound:tt-monkeys", "sound:beep"])     # a Playback at once, registered before the POST
    state = await pb.finished(timeout=30)                # "done" or "failed"
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from arinb.client.params import (
    HANGUP_REASONS,
    PLAYBACK_OPERATIONS,
    ari_operation,
    ids,
    join_media,
    query,
    seg,
    vars_body,
)
from arinb.errors import AriError, AriHttpError, AriNotFound, AriTimeoutError, AriUsageError

if TYPE_CHECKING:
    from arinb.audio import AudioClip
    from arinb.client.dispatch import EventStream
    from arinb.client.events import Event
    from arinb.client.registry import (
        BridgeRecord,
        ChannelRecord,
        PlaybackRecord,
        RecordingRecord,
        Registry,
    )
    from arinb.loop import Call

__all__ = [
    "Bridge",
    "Channel",
    "HandleContext",
    "LiveRecording",
    "Playback",
    "StoredRecording",
]

T = TypeVar("T")


class HandleContext(Protocol):
    """What a handle needs from its session (the session core provides it)."""

    registry: Registry

    @property
    def apps(self) -> list[str]: ...

    def io(
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
    ) -> Call[Any]: ...

    def require_io(self) -> None: ...

    def watch(self, record: Any, since: float) -> None: ...

    def run(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...

    def expect(self, coro: Coroutine[Any, Any, T], label: str = "") -> Call[T]: ...

    def on(self, event_type: str, handler: Callable[[Event], Any], record: Any = None) -> Any: ...

    def off(self, event_type: str, handler: Callable[[Event], Any], record: Any = None) -> bool: ...

    def wait_for(
        self,
        event_type: str | Iterable[str] | None,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
        record: Any = None,
        since: float | None = None,
    ) -> Coroutine[Any, Any, Event]: ...

    def wait_playback(self, record: Any, which: str, limit: float | None) -> Coroutine[Any, Any, Any]: ...

    def events(self, event_types: Iterable[str] = (), handle: Any = None) -> EventStream: ...

    def channel(self, channel_id: str, json: dict[str, Any] | None = None) -> Channel: ...

    def playback_for_play(self, playback_id: str, media: str, target_uri: str) -> Playback: ...

    def recording(self, name: str, json: dict[str, Any] | None = None) -> LiveRecording: ...


class _Handle:
    """Shared behaviour of handles: the record's latest JSON, per-object handlers, waits."""

    __slots__ = ("__weakref__", "_asked_at", "_ctx", "_rec")
    #: ``channel``, ``playback``, ``bridge`` or ``recording``: what ARI calls this object in event sources.
    ari_kind: ClassVar[str] = "object"

    def __init__(self, ctx: HandleContext, record: Any) -> None:
        self._ctx = ctx
        self._rec = record
        # When this handle last sent a request: its waits look back at events that came after it (an event
        # can beat the reply to the request that caused it). Only its requests make its events kept.
        self._asked_at = 0.0

    @property
    def id(self) -> str:
        return str(self._rec.id)

    @property
    def json(self) -> dict[str, Any]:
        """The latest JSON Asterisk sent for this object (an event or a REST reply)."""
        json: dict[str, Any] = self._rec.json
        return json

    @property
    def registry_record(self) -> Any:
        """The session registry's record of this object (its state; read it, the registry writes it)."""
        return self._rec

    def on(self, event_type: str, handler: Callable[[Event], Any] | None = None) -> Any:
        """Call ``handler(event)`` for each event of that type naming this object (``"*"``: all of them).

        Usable as a decorator: ``@channel.on("ChannelDtmfReceived")``. Returns the handler. Registering a
        module-level function again by the same name (a re-run cell) replaces it.
        """
        if handler is None:
            return lambda fn: self._ctx.on(event_type, fn, record=self._rec)
        return self._ctx.on(event_type, handler, record=self._rec)

    def off(self, event_type: str, handler: Callable[[Event], Any]) -> bool:
        """Remove a handler registered with :meth:`on`."""
        return self._ctx.off(event_type, handler, record=self._rec)

    def wait_for(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """The next event of that type naming this object (and matching ``predicate``).

        Look-back: an event naming this object that arrived after this handle's last request (or, for a
        playback, after the play; at most the last 256 such events) and that no earlier wait on it took
        is returned at once, so
        ``await ch.answer(); await ch.wait_for("ChannelStateChange")`` does not miss the event that beat
        the 204. Older events are not looked at.

        >>> up = lambda e: e.channel.state == "Up"                            # doctest: +SKIP
        >>> ev = await channel.wait_for("ChannelStateChange", up, timeout=5)  # doctest: +SKIP
        """
        wait = self._ctx.wait_for(event_type, predicate, timeout, record=self._rec, since=self._asked_at)
        return self._ctx.run(wait, f"wait_for {event_type}")

    def events(self, *event_types: str) -> EventStream:
        """An async iterator of this object's events (all, or only these types), starting now.

        >>> async for ev in channel.events("ChannelDtmfReceived"):   # doctest: +SKIP
        ...     print(ev["digit"])
        """
        return self._ctx.events(event_types, handle=self)

    def expect(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """Like :meth:`wait_for` but never blocks where it is made (for scripts): wait, act, ``.result()``."""
        wait = self._ctx.wait_for(event_type, predicate, timeout, record=self._rec, since=self._asked_at)
        return self._ctx.expect(wait, f"expect {event_type}")

    def _recording_from(self, body: Any) -> LiveRecording:
        return self._ctx.recording(body["name"], body)

    def _io(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None, **kw: Any
    ) -> Call[Any]:
        self._asked_at = time.time()
        self._ctx.watch(self._rec, self._asked_at)
        return self._ctx.io(method, path, params, json, **kw)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))


class Channel(_Handle):
    """A channel, kept up to date from events.

    >>> ch = session.channels.channel("1795694992.1")      # doctest: +SKIP
    >>> ch.state, ch.name                                  # doctest: +SKIP
    ('Ring', 'Local/1000@default-00000001;2')
    >>> await ch.answer(); pb = ch.play("sound:beep")     # doctest: +SKIP
    """

    __slots__ = ()
    ari_kind = "channel"
    _rec: ChannelRecord

    def __init__(self, ctx: HandleContext, record: ChannelRecord) -> None:
        super().__init__(ctx, record)

    # ---- properties from the latest JSON
    @property
    def name(self) -> str | None:
        """``PJSIP/alice-00000001``, ``Local/1000@default-00000001;2``, ..."""
        return self.json.get("name")

    @property
    def state(self) -> str | None:
        """``Down``, ``Ring``, ``Ringing``, ``Up``, ... as ARI spells it."""
        return self.json.get("state")

    @property
    def caller(self) -> dict[str, str]:
        """``{"name": ..., "number": ...}``."""
        return self.json.get("caller") or {}

    @property
    def connected(self) -> dict[str, str]:
        return self.json.get("connected") or {}

    @property
    def dialplan(self) -> dict[str, Any]:
        """``{"context", "exten", "priority", "app_name", "app_data"}``."""
        return self.json.get("dialplan") or {}

    @property
    def language(self) -> str | None:
        return self.json.get("language")

    @property
    def accountcode(self) -> str | None:
        return self.json.get("accountcode")

    @property
    def creationtime(self) -> str | None:
        return self.json.get("creationtime")

    @property
    def protocol_id(self) -> str | None:
        return self.json.get("protocol_id")

    @property
    def in_stasis(self) -> bool:
        """True between StasisStart and StasisEnd (as seen by this session)."""
        return self._rec.in_stasis

    @property
    def destroyed(self) -> bool:
        """True once ChannelDestroyed arrived."""
        return self._rec.destroyed

    @property
    def gone(self) -> str | None:
        """Why the channel is known to be gone (hung up by us, ended while the events connection was down),
        or None."""
        return self._rec.gone

    def __repr__(self) -> str:
        rec = self._rec
        flags = " in-stasis" if rec.in_stasis else (" destroyed" if rec.destroyed else "")
        if rec.gone and not rec.in_stasis:
            flags += " gone"
        return f"<Channel {self.id} {self.name or '?'} {self.state or '?'}{flags}>"

    @property
    def _p(self) -> str:
        return f"/channels/{seg(self.id)}"

    def _set_json(self, body: Any) -> Channel:
        if isinstance(body, dict):
            self._ctx.registry.channel(self.id, body)
        return self

    def _gone_on_404(self, exc: BaseException) -> None:
        if isinstance(exc, AriNotFound) and not self._rec.in_stasis:
            self._ctx.registry.channel_hung_up(self._rec)

    def wait_state(self, state: str, timeout: float | None = None) -> Call[Channel]:
        """Wait until the channel's state is ``state`` (``"Up"``, ``"Ringing"``, ...); at once if it is.

        >>> await ch.answer(); await ch.wait_state("Up", timeout=5)   # doctest: +SKIP
        """
        return self._ctx.run(self._wait_state(state, timeout), f"wait_state {state} of {self.id}")

    async def _wait_state(self, state: str, limit: float | None) -> Channel:
        if self.state == state:
            return self
        await self._ctx.wait_for(
            "ChannelStateChange",
            lambda e: e.channel is self and self.state == state,
            limit,
            record=self._rec,
            since=self._asked_at,
        )
        return self

    # ---- operations
    @ari_operation("channels.get")
    def refresh(self) -> Call[Channel]:
        """``GET /channels/{id}``: fetch the latest JSON (updates ``.json``)."""
        return self._io("GET", self._p, convert=self._set_json, label=f"get channel {self.id}")

    @ari_operation("channels.answer")
    def answer(self) -> Call[None]:
        """Answer (``POST /channels/{id}/answer``). Asterisk queues it behind a running playback."""
        return self._io("POST", f"{self._p}/answer", label=f"answer {self.id}")

    @ari_operation("channels.ring")
    def ring(self) -> Call[None]:
        """Indicate ringing to the caller (no event)."""
        return self._io("POST", f"{self._p}/ring", label=f"ring {self.id}")

    @ari_operation("channels.ringStop")
    def ring_stop(self) -> Call[None]:
        """Stop the ringing indication."""
        return self._io("DELETE", f"{self._p}/ring", label=f"ring_stop {self.id}")

    @ari_operation("channels.progress")
    def progress(self) -> Call[None]:
        """Indicate progress (early media) to the caller."""
        return self._io("POST", f"{self._p}/progress", label=f"progress {self.id}")

    @ari_operation("channels.startSilence")
    def silence(self) -> Call[None]:
        """Play silence to the caller until :meth:`silence_stop`."""
        return self._io("POST", f"{self._p}/silence", label=f"silence {self.id}")

    @ari_operation("channels.stopSilence")
    def silence_stop(self) -> Call[None]:
        """Stop playing silence."""
        return self._io("DELETE", f"{self._p}/silence", label=f"silence_stop {self.id}")

    @ari_operation("channels.startMoh")
    def moh(self, moh_class: str | None = None) -> Call[None]:
        """Start music on hold (``POST /channels/{id}/moh``)."""
        return self._io("POST", f"{self._p}/moh", query(mohClass=moh_class), label=f"moh {self.id}")

    @ari_operation("channels.stopMoh")
    def moh_stop(self) -> Call[None]:
        """Stop music on hold."""
        return self._io("DELETE", f"{self._p}/moh", label=f"moh_stop {self.id}")

    @ari_operation("channels.hold")
    def hold(self) -> Call[None]:
        """Put the channel on hold (ChannelHold)."""
        return self._io("POST", f"{self._p}/hold", label=f"hold {self.id}")

    @ari_operation("channels.unhold")
    def unhold(self) -> Call[None]:
        """Take the channel off hold (ChannelUnhold)."""
        return self._io("DELETE", f"{self._p}/hold", label=f"unhold {self.id}")

    @ari_operation("channels.mute")
    def mute(self, direction: str = "both") -> Call[None]:
        """Mute audio: ``direction`` is ``both``, ``in`` or ``out``."""
        return self._io("POST", f"{self._p}/mute", query(direction=direction), label=f"mute {self.id}")

    @ari_operation("channels.unmute")
    def unmute(self, direction: str = "both") -> Call[None]:
        """Unmute audio in ``direction`` (``both``, ``in`` or ``out``)."""
        return self._io("DELETE", f"{self._p}/mute", query(direction=direction), label=f"unmute {self.id}")

    @ari_operation("channels.hangup")
    def hangup(self, reason: str | None = None, reason_code: int | str | None = None) -> Call[None]:
        """Hang up (``DELETE /channels/{id}``). ``reason`` is one of :data:`HANGUP_REASONS`
        (``"normal"``, ``"busy"``, ...); ``reason_code`` a Q.850 cause number (not both).

        >>> await ch.hangup(reason="busy")     # doctest: +SKIP
        """
        if reason is not None and reason_code is not None:
            raise AriUsageError("give reason or reason_code, not both (ARI treats them as exclusive)")
        if reason is not None and reason not in HANGUP_REASONS:
            raise AriUsageError(f"hangup reason {reason!r} is not one of: {', '.join(HANGUP_REASONS)}")
        return self._io(
            "DELETE",
            self._p,
            query(reason=reason, reason_code=reason_code),
            convert=self._hung_up,
            on_error=self._gone_on_404,
            label=f"hangup {self.id}",
        )

    def _hung_up(self, _body: Any) -> None:
        # Outside Stasis no event follows our 204 (without subscribeAll): the registry forgets it now.
        self._ctx.registry.channel_hung_up(self._rec)

    @ari_operation("channels.play", "channels.playWithId")
    def play(
        self,
        media: str | Sequence[str],
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        """Play media to the channel; returns the :class:`Playback` at once.

        ``media``: a URI (``sound:beep``, ``tone:ring;tonezone=fr``, ``number:123``, ``digits:555``,
        ``characters:abc``, ``recording:name``) or a list of them, played in order under one playback id.
        The id is always chosen here (a uuid4 unless ``playback_id`` is given) and the Playback is registered
        before the request leaves, so PlaybackStarted/Finished arriving before the 201 are not lost.
        ``await pb`` waits for the 201; in a script ``play`` itself waits and raises on error.

        >>> pb = ch.play("sound:tt-monkeys", playback_id="monkeys-1")   # doctest: +SKIP
        >>> await pb.finished()                                          # doctest: +SKIP
        'done'
        """
        value = join_media(media)
        pid = playback_id if playback_id is not None else str(uuid.uuid4())
        pb: Playback = self._ctx.playback_for_play(pid, value, f"channel:{self.id}")
        pb._send(
            self._io,
            f"{self._p}/play/{seg(pid)}",
            query(media=value, lang=lang, offsetms=offsetms, skipms=skipms),
            f"play {value} on {self.id}",
        )
        return pb

    @ari_operation("channels.record")
    def record(
        self,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> Call[LiveRecording]:
        """Record audio from the channel into ``name.format``; gives the :class:`LiveRecording`.

        ``if_exists``: ``fail`` (default in ARI), ``overwrite``, ``append``. ``terminate_on``: ``none``,
        ``any``, ``*``, ``#``.
        """
        params = query(
            name=name,
            format=format,
            maxDurationSeconds=max_duration_seconds,
            maxSilenceSeconds=max_silence_seconds,
            ifExists=if_exists,
            beep=beep,
            terminateOn=terminate_on,
        )
        # A new recording under this name: a late reply about an ended one must not be mistaken for it.
        self._ctx.registry.started_again("recording", name)
        return self._io(
            "POST",
            f"{self._p}/record",
            params,
            convert=self._recording_from,
            label=f"record {name} on {self.id}",
        )

    @ari_operation("channels.sendDTMF")
    def dtmf(
        self,
        dtmf: str,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> Call[None]:
        """Send DTMF digits (``0-9*#A-D``); times in ms. A comma is not a pause in Asterisk 22."""
        params = query(dtmf=dtmf, before=before, between=between, duration=duration, after=after)
        return self._io("POST", f"{self._p}/dtmf", params, label=f"dtmf {dtmf} on {self.id}")

    @ari_operation("channels.getChannelVar")
    def get_variable(self, variable: str) -> Call[str]:
        """The value of a channel variable or function (``CALLERID(num)``)."""
        return self._io(
            "GET",
            f"{self._p}/variable",
            query(variable=variable),
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("channels.setChannelVar")
    def set_variable(
        self, variable: str, value: str | None = None, report_events: bool | None = None
    ) -> Call[None]:
        """Set a channel variable (``value`` None unsets it)."""
        params = query(variable=variable, value=value, report_events=report_events)
        return self._io("POST", f"{self._p}/variable", params, label=f"set {variable}")

    @ari_operation("channels.getChannelVars")
    def get_variables(self, variables: Iterable[str]) -> Call[dict[str, Any]]:
        """Several variables at once (Asterisk 22.3+)."""
        names = list(variables)
        return self._io("GET", f"{self._p}/variables", query(variables=names), label="get variables")

    @ari_operation("channels.setChannelVars")
    def set_variables(self, variables: Mapping[str, Any]) -> Call[None]:
        """Set several variables at once (Asterisk 22.3+)."""
        return self._io("POST", f"{self._p}/variables", None, vars_body(variables), label="set variables")

    @ari_operation("channels.continueInDialplan")
    def continue_in_dialplan(
        self,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> Call[None]:
        """Leave Stasis and continue in the dialplan (StasisEnd follows)."""
        params = query(context=context, extension=extension, priority=priority, label=label)
        return self._io("POST", f"{self._p}/continue", params, label=f"continue {self.id}")

    @ari_operation("channels.move")
    def move(self, app: str, app_args: str | Iterable[str] | None = None) -> Call[None]:
        """Move the channel to another Stasis application."""
        return self._io("POST", f"{self._p}/move", query(app=app, appArgs=app_args), label=f"move {self.id}")

    @ari_operation("channels.redirect")
    def redirect(self, endpoint: str) -> Call[None]:
        """Redirect the channel to an endpoint (``PJSIP/bob``)."""
        return self._io("POST", f"{self._p}/redirect", query(endpoint=endpoint), label=f"redirect {self.id}")

    @ari_operation("channels.snoopChannel", "channels.snoopChannelWithId")
    def snoop(
        self,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | Iterable[str] | None = None,
        snoop_id: str | None = None,
    ) -> Call[Channel]:
        """Start a snoop channel into ``app``; ``spy``/``whisper``: ``none``, ``both``, ``out``, ``in``."""
        params = query(app=app, spy=spy, whisper=whisper, appArgs=app_args)
        path = f"{self._p}/snoop" if snoop_id is None else f"{self._p}/snoop/{seg(snoop_id)}"
        return self._io("POST", path, params, convert=self._snoop_from, label=f"snoop {self.id}")

    def _snoop_from(self, body: Any) -> Channel:
        self._ctx.registry.channel_created(body["id"], body)  # its StasisStart may have come first
        snoop = self._ctx.channel(body["id"])
        self._ctx.registry.mark_snoop(snoop._rec, self.id)
        return snoop

    @ari_operation("channels.dial")
    def dial(self, caller: str | Channel | None = None, timeout: int | None = None) -> Call[None]:
        """Dial a created (Down) channel."""
        return self._io(
            "POST", f"{self._p}/dial", query(caller=ids(caller), timeout=timeout), label=f"dial {self.id}"
        )

    @ari_operation("channels.rtpstatistics")
    def rtp_statistics(self) -> Call[dict[str, Any]]:
        """RTP statistics of a channel with an RTP instance."""
        return self._io("GET", f"{self._p}/rtp_statistics", label=f"rtp_statistics {self.id}")

    @ari_operation("channels.transfer_progress")
    def transfer_progress(self, states: str) -> Call[None]:
        """Report the progress of a REFER-based transfer (Asterisk 22)."""
        return self._io(
            "POST", f"{self._p}/transfer_progress", query(states=states), label="transfer_progress"
        )

    # ---- audio: what the caller hears, recorded over ARI

    @ari_operation(
        "channels.snoopChannel",
        "channels.record",
        "recordings.stop",
        "recordings.getStoredFile",
        "recordings.deleteStored",
        "channels.hangup",
    )
    def audio(
        self,
        seconds: float | None = None,
        *,
        app: str | None = None,
        spy: str = "out",
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        timeout: float | None = None,
        name: str | None = None,
    ) -> Call[AudioClip]:
        """Record what this channel sends to its caller and give it as an :class:`arinb.audio.AudioClip`.

        It works on any ARI server (a real Asterisk or the simulator), through ARI only: a snoop channel on
        the channel's outgoing audio (``spy="out"``; ``"in"`` or ``"both"`` also work) joins the Stasis
        application ``app`` (default: this session's first), is recorded as 8 kHz wav, and the stored
        file is fetched and deleted again; the snoop goes too.

        * ``seconds`` given: ``seconds`` of audio from now, waited with ``sleep`` (``asyncio.sleep``; on a
          sped-up simulator pass ``arinb.scenarios.sleeper(sim)`` so that they are simulated seconds).
        * ``seconds=None``: from now until the channel hangs up (the snoop ends with it, and so does the
          recording), or until ``session.recordings.live.stop(name)``. This form never blocks where it is
          made, even in a script: start it, let the call go on, then ``await`` (or ``.result()``) it.
          ``timeout`` (seconds) bounds the wait for the end of the recording.

        The snoop channel enters your application, so your ``StasisStart`` handlers see it: its name
        starts with ``Snoop/``; skip such channels. Asterisk's quirks apply (docs of
        :func:`arinb.audio.record_channel_audio`): silence is exact zeros, the last ``total mod 160``
        samples of a playback never reach the snoop.

        >>> clip = await ch.audio(5)              # 5 s of what the caller hears  # doctest: +SKIP
        >>> clip.dominant_frequency(0.6, 1.9)     # doctest: +SKIP
        440.0
        >>> whole = ch.audio()                    # records until the hangup  # doctest: +SKIP
        >>> await ch.hangup(); clip = await whole  # doctest: +SKIP
        """
        if spy not in ("out", "in", "both"):
            raise AriUsageError(f"spy must be 'out', 'in' or 'both', got {spy!r}")
        if seconds is not None and not seconds > 0:
            raise AriUsageError(f"seconds must be positive (or None: until the hangup), got {seconds!r}")
        if timeout is not None and not timeout > 0:
            raise AriUsageError(f"timeout must be positive, got {timeout!r}")
        self._ctx.require_io()
        app_name = app or next(iter(self._ctx.apps), None)
        if not app_name:
            raise AriUsageError("channel.audio needs app=: the Stasis application the snoop channel joins")
        coro = self._record_audio(app_name, spy, seconds, sleep or asyncio.sleep, timeout, name)
        if seconds is not None:
            return self._ctx.run(coro, f"audio of {self.id} for {seconds} s")
        return self._ctx.expect(coro, f"audio of {self.id} until the hangup")

    async def _record_audio(
        self,
        app: str,
        spy: str,
        seconds: float | None,
        sleep: Callable[[float], Awaitable[Any]],
        limit: float | None,
        name: str | None,
    ) -> AudioClip:
        """Snoop, wait for the snoop's StasisStart, record, stop (or wait for the end), fetch, clean up.

        Asterisk answers 409 "Channel not in Stasis application" to a record sent before the snoop channel
        entered the app (ASTERISK22.md), so the record waits for its StasisStart. Any failure hangs the snoop
        up and is raised with the step that failed, in one line.
        """
        from arinb.audio import AudioClip

        ctx = self._ctx
        recording = name or f"arinb-listen-{uuid.uuid4().hex[:12]}"
        snoop_id = f"arinb-snoop-{uuid.uuid4().hex[:12]}"
        snoop: Channel | None = None
        stored = joined = False
        step = "creating the snoop channel"

        def is_ours(ev: Event) -> bool:
            return ev.recording is not None and ev.recording.name == recording

        def is_snoop(ev: Event) -> bool:
            return ev.channel is not None and ev.channel.id == snoop_id

        # Both waits start before the requests that cause their events (an event can beat the reply).
        entered = asyncio.ensure_future(ctx.wait_for("StasisStart", is_snoop, 10.0))
        ended = (
            asyncio.ensure_future(ctx.wait_for(("RecordingFinished", "RecordingFailed"), is_ours, limit))
            if seconds is None
            else None
        )
        # The spied channel leaving ends the waits below: at once if it ended while the events connection was
        # down (ChannelGone: nothing more will come), after a grace period for a normal StasisEnd.
        left = asyncio.ensure_future(ctx.wait_for("StasisEnd", None, None, record=self._rec))

        async def unless_left(wait: asyncio.Future[Event], grace: float) -> Event:
            done, _ = await asyncio.wait({wait, left}, return_when=asyncio.FIRST_COMPLETED)
            if wait in done:
                return wait.result()
            error = left.exception()
            if error is not None:
                raise error
            try:
                return await asyncio.wait_for(asyncio.shield(wait), grace)
            except TimeoutError:
                raise AriTimeoutError(
                    f"the channel left the application and nothing came within {grace} s"
                ) from None

        await asyncio.sleep(0)
        try:
            snoop = await self.snoop(app, spy=spy, snoop_id=snoop_id)
            step = "waiting for the snoop channel's StasisStart"
            await unless_left(entered, 2.0)
            joined = True
            step = "starting the recording"
            await snoop.record(recording, format="wav", if_exists="overwrite")
            stored = True
            if ended is None:
                assert seconds is not None
                step = "recording"
                await sleep(seconds)
                step = "stopping the recording"
                await ctx.io("POST", f"/recordings/live/{seg(recording)}/stop", label=f"stop {recording}")
            else:
                step = "waiting for the end of the recording"
                event = await unless_left(ended, 5.0)
                if event.type == "RecordingFailed":
                    cause = event.recording.json.get("cause") if event.recording is not None else None
                    raise AriError(f"Asterisk reported RecordingFailed{f': {cause}' if cause else ''}")
            step = "fetching the recorded file"
            data = await self._fetch_recording(recording)
            return AudioClip.from_wav(data, title=f"channel {self.id} ({spy})")
        except AriUsageError:
            raise
        except AriError as exc:
            raise _with_step(exc, f"channel.audio of {self.id} failed while {step}") from None
        finally:
            for wait in (entered, ended, left):
                if wait is not None and not wait.done():
                    wait.cancel()
                elif wait is not None and not wait.cancelled():
                    wait.exception()  # retrieved: an ended wait's error is reported above, not logged
            # A snoop that entered the app and left it again ended with the spied channel: nothing to
            # hang up (a DELETE would only add a 404 to the timeline of every recorded call).
            snoop_left = snoop is not None and joined and not snoop.in_stasis
            await self._forget_recording(recording, stored=stored, snoop=snoop, hang_up=not snoop_left)

    async def _fetch_recording(self, recording: str, within: float = 5.0) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            try:
                data: bytes = await self._ctx.io(
                    "GET", f"/recordings/stored/{seg(recording)}/file", accept_bytes=True, label="file"
                )
                return data
            except AriHttpError as exc:
                # The file joins the stored list when Asterisk closes it: a 404 can come first.
                if exc.status != 404 or loop.time() >= deadline:
                    raise
            await asyncio.sleep(0.05)

    async def _forget_recording(
        self, recording: str, *, stored: bool, snoop: Channel | None, hang_up: bool = True
    ) -> None:
        # Best effort: a failure here must not hide the clip or the error of the main steps.
        steps = [("DELETE", f"/recordings/stored/{seg(recording)}")] if stored else []
        if hang_up and snoop is not None and not snoop.destroyed and snoop.gone is None:
            steps.append(("DELETE", f"/channels/{seg(snoop.id)}"))
        for method, path in steps:
            try:
                await self._ctx.io(method, path, label=f"clean up {recording}")
            except AriError:
                pass
        if snoop is not None:
            self._ctx.registry.channel_hung_up(snoop._rec)


def _with_step(exc: AriError, what: str) -> AriError:
    """The same kind of error, its message prefixed with the step that failed (one line)."""
    if isinstance(exc, AriHttpError):
        return type(exc)(
            exc.status,
            f"{what}: {exc.message}",
            method=exc.method,
            path=exc.path,
            reason=exc.reason,
            body=exc.body,
        )
    try:
        return type(exc)(f"{what}: {exc}")
    except TypeError:
        return AriError(f"{what}: {exc}")


class Playback(_Handle):
    """A playback: created by :meth:`Channel.play` / :meth:`Bridge.play`, or met in an event.

    Awaitable: ``await pb`` waits for ARI's 201 reply and gives the playback back.

    >>> pb = ch.play("sound:beep")                        # doctest: +SKIP
    >>> await pb.started(); await pb.finished(timeout=5)  # doctest: +SKIP
    'done'
    """

    __slots__ = ("_request",)
    ari_kind = "playback"
    _rec: PlaybackRecord

    def __init__(self, ctx: HandleContext, record: PlaybackRecord) -> None:
        super().__init__(ctx, record)
        self._request: Call[Any] | None = None

    @property
    def state(self) -> str | None:
        """``queued``, ``playing``, ``paused``, ``continuing``, ``done``, ``failed`` (latest seen)."""
        return self.json.get("state")

    @property
    def media_uri(self) -> str | None:
        return self.json.get("media_uri")

    @property
    def next_media_uri(self) -> str | None:
        return self.json.get("next_media_uri")

    @property
    def target_uri(self) -> str | None:
        """``channel:<id>`` or ``bridge:<id>``."""
        return self.json.get("target_uri")

    @property
    def language(self) -> str | None:
        return self.json.get("language")

    @property
    def outcome(self) -> str | None:
        """None while running, then ``done``, ``failed``, ``lost`` (never finishes) or ``error``."""
        return self._rec.outcome

    @property
    def reason(self) -> str | None:
        """One line on why it failed or was lost, when known (``sound:does-not-exist``: no such sound)."""
        return self._rec.reason

    @property
    def is_started(self) -> bool:
        return self._rec.started

    @property
    def channel(self) -> Channel | None:
        """The target channel's handle, for a channel playback."""
        target = self._rec.target
        return self._ctx.channel(target[8:]) if target.startswith("channel:") else None

    def __repr__(self) -> str:
        state = self._rec.outcome or self.state or "requested"
        why = f" ({self._rec.reason})" if self._rec.reason and self._rec.outcome != "done" else ""
        return f"<Playback {self.id} {self.media_uri} on {self.target_uri} {state}{why}>"

    def __await__(self) -> Generator[Any, None, Playback]:
        if self._request is not None:
            yield from self._request.__await__()
        return self

    def _send(self, io: Callable[..., Call[Any]], path: str, params: dict[str, Any], label: str) -> None:
        """Send the play request; its reply and its failure go to the registry."""
        registry = self._ctx.registry
        rec = self._rec

        def accepted(body: Any) -> Playback:
            registry.playback_accepted(rec, body)
            return self

        def refused(error: BaseException) -> None:
            registry.playback_refused(rec, error)

        self._asked_at = time.time()
        self._ctx.watch(rec, self._asked_at)
        self._request = io("POST", path, params, convert=accepted, on_error=refused, label=label)

    # ---- public waits
    def finished(self, timeout: float | None = None) -> Call[str]:
        """Wait for PlaybackFinished: ``"done"`` or ``"failed"`` (``pb.reason`` then says why, when known).

        Raises :class:`PlaybackLost` if Asterisk will never finish it (its channel left Stasis or its bridge
        was destroyed while it played, or it ended while the events connection was down), the request's
        error if the play was refused, and :class:`AriTimeoutError` after ``timeout`` seconds.
        """
        wait = self._ctx.wait_playback(self._rec, "finished", timeout)
        return self._ctx.run(wait, f"playback {self.id} finished")

    def started(self, timeout: float | None = None) -> Call[Playback]:
        """Wait for PlaybackStarted (or the end, for a playback stopped while queued)."""
        wait = self._ctx.wait_playback(self._rec, "started", timeout)
        return self._ctx.run(wait, f"playback {self.id} started")

    # ---- operations
    @ari_operation("playbacks.get")
    def refresh(self) -> Call[Playback]:
        """``GET /playbacks/{id}`` (404 once finished: Asterisk forgets finished playbacks)."""
        return self._io(
            "GET", f"/playbacks/{seg(self.id)}", convert=self._refreshed, label=f"get playback {self.id}"
        )

    def _refreshed(self, body: Any) -> Playback:
        self._ctx.registry.playback_refreshed(self._rec, body)
        return self

    @ari_operation("playbacks.stop")
    def stop(self) -> Call[None]:
        """Stop the playback (``DELETE /playbacks/{id}``); PlaybackFinished(done) follows."""
        return self._io("DELETE", f"/playbacks/{seg(self.id)}", label=f"stop playback {self.id}")

    @ari_operation("playbacks.control")
    def control(self, operation: str) -> Call[None]:
        """``restart``, ``pause``, ``unpause``, ``reverse`` or ``forward``."""
        if operation not in PLAYBACK_OPERATIONS:
            raise AriUsageError(
                f"playback operation {operation!r} is not one of: {', '.join(PLAYBACK_OPERATIONS)}"
            )
        return self._io(
            "POST",
            f"/playbacks/{seg(self.id)}/control",
            {"operation": operation},
            label=f"{operation} playback {self.id}",
        )

    def pause(self) -> Call[None]:
        """Pause (409 while queued)."""
        return self.control("pause")

    def unpause(self) -> Call[None]:
        """Resume; Asterisk sends another PlaybackStarted."""
        return self.control("unpause")

    def restart(self) -> Call[None]:
        return self.control("restart")

    def forward(self) -> Call[None]:
        """Skip forward by ``skipms`` (default 3000 ms)."""
        return self.control("forward")

    def reverse(self) -> Call[None]:
        return self.control("reverse")


class Bridge(_Handle):
    """A bridge, kept up to date from events.

    >>> br = await session.bridges.create(type="mixing")     # doctest: +SKIP
    >>> await br.add_channel([ch1, ch2]); pb = br.play("sound:beep")   # doctest: +SKIP
    """

    __slots__ = ()
    ari_kind = "bridge"
    _rec: BridgeRecord

    def __init__(self, ctx: HandleContext, record: BridgeRecord) -> None:
        super().__init__(ctx, record)

    @property
    def channels(self) -> list[str]:
        """Ids of the channels in the bridge (latest JSON; the announcer is never listed)."""
        return list(self.json.get("channels") or [])

    @property
    def technology(self) -> str | None:
        return self.json.get("technology")

    @property
    def bridge_type(self) -> str | None:
        return self.json.get("bridge_type")

    @property
    def name(self) -> str | None:
        return self.json.get("name")

    @property
    def destroyed(self) -> bool:
        """True once destroyed (by :meth:`destroy` or a BridgeDestroyed event)."""
        return self._rec.destroyed

    def __repr__(self) -> str:
        return f"<Bridge {self.id} {self.bridge_type or '?'} channels={self.channels}>"

    @property
    def _p(self) -> str:
        return f"/bridges/{seg(self.id)}"

    def _set_json(self, body: Any) -> Bridge:
        if isinstance(body, dict):
            self._ctx.registry.bridge(self.id, body)
        return self

    @ari_operation("bridges.get")
    def refresh(self) -> Call[Bridge]:
        """``GET /bridges/{id}``: fetch the latest JSON (updates ``.json``)."""
        return self._io("GET", self._p, convert=self._set_json, label=f"get bridge {self.id}")

    @ari_operation("bridges.destroy")
    def destroy(self) -> Call[None]:
        """Destroy the bridge; its channels stay in Stasis."""
        return self._io("DELETE", self._p, convert=self._gone, label=f"destroy bridge {self.id}")

    def _gone(self, _body: Any) -> None:
        # Without subscribeAll no BridgeDestroyed follows: the 204 is the last word on this bridge, and on
        # the playbacks it was playing (Asterisk sends no PlaybackFinished for them).
        self._ctx.registry.bridge_destroyed(self._rec)

    @ari_operation("bridges.addChannel")
    def add_channel(
        self,
        channel: str | Channel | Iterable[str | Channel],
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> Call[None]:
        """Add one channel or several (sent as one comma list)."""
        params = query(
            channel=ids(channel),
            role=role,
            absorbDTMF=absorb_dtmf,
            mute=mute,
            inhibitConnectedLineUpdates=inhibit_connected_line_updates,
        )
        return self._io("POST", f"{self._p}/addChannel", params, label=f"add to bridge {self.id}")

    @ari_operation("bridges.removeChannel")
    def remove_channel(self, channel: str | Channel | Iterable[str | Channel]) -> Call[None]:
        """Remove one channel or several from the bridge (they stay in Stasis)."""
        return self._io(
            "POST",
            f"{self._p}/removeChannel",
            query(channel=ids(channel)),
            label=f"remove from bridge {self.id}",
        )

    @ari_operation("bridges.play", "bridges.playWithId")
    def play(
        self,
        media: str | Sequence[str],
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        announcer_format: str | None = None,
    ) -> Playback:
        """Play media to everyone in the bridge; same contract as :meth:`Channel.play`."""
        value = join_media(media)
        pid = playback_id if playback_id is not None else str(uuid.uuid4())
        pb: Playback = self._ctx.playback_for_play(pid, value, f"bridge:{self.id}")
        params = query(
            media=value, lang=lang, offsetms=offsetms, skipms=skipms, announcer_format=announcer_format
        )
        pb._send(self._io, f"{self._p}/play/{seg(pid)}", params, f"play {value} on bridge {self.id}")
        return pb

    @ari_operation("bridges.record")
    def record(
        self,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
        recorder_format: str | None = None,
    ) -> Call[LiveRecording]:
        """Record the bridge's mixed audio."""
        params = query(
            name=name,
            format=format,
            recorder_format=recorder_format,
            maxDurationSeconds=max_duration_seconds,
            maxSilenceSeconds=max_silence_seconds,
            ifExists=if_exists,
            beep=beep,
            terminateOn=terminate_on,
        )
        # A new recording under this name: a late reply about an ended one must not be mistaken for it.
        self._ctx.registry.started_again("recording", name)
        return self._io(
            "POST",
            f"{self._p}/record",
            params,
            convert=self._recording_from,
            label=f"record bridge {self.id}",
        )

    @ari_operation("bridges.startMoh")
    def moh(self, moh_class: str | None = None) -> Call[None]:
        """Play music on hold to the bridge."""
        return self._io("POST", f"{self._p}/moh", query(mohClass=moh_class), label=f"moh bridge {self.id}")

    @ari_operation("bridges.stopMoh")
    def moh_stop(self) -> Call[None]:
        """Stop the bridge's music on hold."""
        return self._io("DELETE", f"{self._p}/moh", label=f"moh_stop bridge {self.id}")

    @ari_operation("bridges.setVideoSource")
    def set_video_source(self, channel: str | Channel) -> Call[None]:
        """Use this channel's video for everyone in the bridge."""
        return self._io("POST", f"{self._p}/videoSource/{seg(channel)}", label="set video source")

    @ari_operation("bridges.clearVideoSource")
    def clear_video_source(self) -> Call[None]:
        """Go back to automatic video source selection."""
        return self._io("DELETE", f"{self._p}/videoSource", label="clear video source")

    @ari_operation("bridges.getBridgeVar")
    def get_variable(self, variable: str) -> Call[str]:
        """The value of a bridge variable."""
        return self._io(
            "GET",
            f"{self._p}/variable",
            query(variable=variable),
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("bridges.setBridgeVar")
    def set_variable(
        self, variable: str, value: str | None = None, report_events: bool | None = None
    ) -> Call[None]:
        """Set a bridge variable."""
        params = query(variable=variable, value=value, report_events=report_events)
        return self._io("POST", f"{self._p}/variable", params, label=f"set {variable}")

    @ari_operation("bridges.getBridgeVars")
    def get_variables(self, variables: Iterable[str]) -> Call[dict[str, Any]]:
        """Several bridge variables at once."""
        return self._io(
            "GET", f"{self._p}/variables", query(variables=list(variables)), label="get variables"
        )

    @ari_operation("bridges.setBridgeVars")
    def set_variables(self, variables: Mapping[str, Any]) -> Call[None]:
        """Set several bridge variables at once."""
        return self._io("POST", f"{self._p}/variables", None, vars_body(variables), label="set variables")


class LiveRecording(_Handle):
    """A recording in progress (by name).

    >>> rec = await ch.record("greeting", max_duration_seconds=5)   # doctest: +SKIP
    >>> await rec.wait_for("RecordingFinished"); await rec.stored().file()   # doctest: +SKIP
    """

    __slots__ = ()
    ari_kind = "recording"
    _rec: RecordingRecord

    def __init__(self, ctx: HandleContext, record: RecordingRecord) -> None:
        super().__init__(ctx, record)

    @property
    def name(self) -> str:
        return self._rec.name

    @property
    def state(self) -> str | None:
        """``queued``, ``recording``, ``paused``, ``done``, ``failed``, ``canceled``."""
        return self.json.get("state")

    @property
    def format(self) -> str | None:
        return self.json.get("format")

    @property
    def target_uri(self) -> str | None:
        return self.json.get("target_uri")

    @property
    def duration(self) -> int | None:
        """Whole seconds, once finished."""
        return self.json.get("duration")

    def __repr__(self) -> str:
        return f"<LiveRecording {self.name} {self.format} {self.state}>"

    @property
    def _p(self) -> str:
        return f"/recordings/live/{seg(self.name)}"

    def _set_json(self, body: Any) -> LiveRecording:
        if isinstance(body, dict):
            self._ctx.registry.recording(self.name, body)
        return self

    def stored(self) -> StoredRecording:
        """The stored recording this one writes (a handle, no I/O)."""
        return StoredRecording(self._ctx, self.name, {"name": self.name, "format": self.format})

    @ari_operation("recordings.getLive")
    def refresh(self) -> Call[LiveRecording]:
        """``GET /recordings/live/{name}``: the latest JSON (404 once finished)."""
        return self._io("GET", self._p, convert=self._set_json, label=f"get recording {self.name}")

    @ari_operation("recordings.stop")
    def stop(self) -> Call[None]:
        """Stop and keep the recording."""
        return self._io("POST", f"{self._p}/stop", label=f"stop recording {self.name}")

    @ari_operation("recordings.cancel")
    def cancel(self) -> Call[None]:
        """Stop and discard the recording."""
        return self._io("DELETE", self._p, label=f"cancel recording {self.name}")

    @ari_operation("recordings.pause")
    def pause(self) -> Call[None]:
        """Pause recording (the paused time is not in the file)."""
        return self._io("POST", f"{self._p}/pause", label=f"pause recording {self.name}")

    @ari_operation("recordings.unpause")
    def unpause(self) -> Call[None]:
        """Resume recording."""
        return self._io("DELETE", f"{self._p}/pause", label=f"unpause recording {self.name}")

    @ari_operation("recordings.mute")
    def mute(self) -> Call[None]:
        """Record silence instead of the audio until :meth:`unmute`."""
        return self._io("POST", f"{self._p}/mute", label=f"mute recording {self.name}")

    @ari_operation("recordings.unmute")
    def unmute(self) -> Call[None]:
        """Record the audio again."""
        return self._io("DELETE", f"{self._p}/mute", label=f"unmute recording {self.name}")


class StoredRecording:
    """A recording stored on the server (by name).

    >>> rec = await session.recordings.stored.get("rec1")   # doctest: +SKIP
    >>> wav = await rec.file()                               # doctest: +SKIP
    """

    __slots__ = ("_ctx", "json", "name")

    def __init__(self, ctx: HandleContext, name: str, json: dict[str, Any] | None = None) -> None:
        self._ctx = ctx
        self.name = name
        self.json: dict[str, Any] = json if json is not None else {"name": name}

    @property
    def id(self) -> str:
        return self.name

    @property
    def format(self) -> str | None:
        return self.json.get("format")

    def __repr__(self) -> str:
        return f"<StoredRecording {self.name} {self.format}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredRecording) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("StoredRecording", self.name))

    @property
    def _p(self) -> str:
        return f"/recordings/stored/{seg(self.name)}"

    def _set_json(self, body: Any) -> StoredRecording:
        if isinstance(body, dict):
            self.json = body
        return self

    @ari_operation("recordings.getStored")
    def refresh(self) -> Call[StoredRecording]:
        """``GET /recordings/stored/{name}``."""
        return self._ctx.io("GET", self._p, convert=self._set_json, label=f"get stored {self.name}")

    @ari_operation("recordings.getStoredFile")
    def file(self) -> Call[bytes]:
        """The recording's file content (``audio/wav`` for a wav recording)."""
        return self._ctx.io("GET", f"{self._p}/file", accept_bytes=True, label=f"file {self.name}")

    @ari_operation("recordings.copyStored")
    def copy(self, destination: str) -> Call[StoredRecording]:
        """Copy to ``destination``; gives the new stored recording."""
        return self._ctx.io(
            "POST",
            f"{self._p}/copy",
            {"destinationRecordingName": destination},
            convert=lambda body: StoredRecording(self._ctx, destination, body),
            label=f"copy {self.name}",
        )

    @ari_operation("recordings.deleteStored")
    def delete(self) -> Call[None]:
        """Delete the stored recording."""
        return self._ctx.io("DELETE", self._p, label=f"delete stored {self.name}")
