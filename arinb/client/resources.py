"""Handles for ARI objects and the resource APIs of a session.

A handle (:class:`Channel`, :class:`Playback`, :class:`Bridge`, :class:`LiveRecording`,
:class:`StoredRecording`) is created once per id, kept up to date from events (``.json`` is always the latest
JSON Asterisk sent), and offers the ARI operations on that object. Every method that talks to Asterisk returns
an :class:`arinb.loop.Call`: ``await`` it in a notebook or coroutine; in a script it has already finished when
it returns (and raised if ARI answered an error)::

    ch = event.channel
    await ch.answer()
    pb = ch.play(["sound:tt-monkeys", "sound:beep"])     # a Playback at once, registered before the POST
    state = await pb.finished(timeout=30)                # "done" or "failed"

The resource APIs (``session.channels``, ``.playbacks``, ``.bridges``, ``.sounds``, ``.recordings``,
``.applications``, ``.asterisk``, ``.endpoints``, ``.device_states``, ``.mailboxes``) cover every operation of
Asterisk 22's ARI; each method names the ARI operation it performs in ``__ari_operations__``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar
from urllib.parse import quote

from arinb.errors import AriError, AriHttpError, AriTimeoutError, AriUsageError, PlaybackLost

if TYPE_CHECKING:
    from arinb.audio import AudioClip
    from arinb.client.core import EventStream, SessionCore, _Handler
    from arinb.client.events import Event
    from arinb.loop import Call

__all__ = [
    "HANGUP_REASONS",
    "PLAYBACK_OPERATIONS",
    "Applications",
    "Asterisk",
    "Bridge",
    "Bridges",
    "Channel",
    "Channels",
    "DeviceStates",
    "Endpoints",
    "LiveRecording",
    "LiveRecordings",
    "Mailboxes",
    "Playback",
    "Playbacks",
    "Recordings",
    "Sounds",
    "StoredRecording",
    "StoredRecordings",
    "ari_operation",
    "join_media",
]

F = TypeVar("F", bound=Callable[..., Any])
#: A JSON array of objects (named so that classes with a ``list`` method can still say it).
JsonList = list[dict[str, Any]]
T = TypeVar("T")

#: The ``reason`` values ``DELETE /channels/{id}`` accepts (others: 400 "Invalid Reason").
HANGUP_REASONS: Final = (
    "normal",
    "busy",
    "congestion",
    "no_answer",
    "timeout",
    "rejected",
    "unallocated",
    "normal_unspecified",
    "number_incomplete",
    "codec_mismatch",
    "interworking",
    "failure",
    "answered_elsewhere",
)

#: ``POST /playbacks/{id}/control`` operations.
PLAYBACK_OPERATIONS: Final = ("restart", "pause", "unpause", "reverse", "forward")


def ari_operation(*operations: str) -> Callable[[F], F]:
    """Mark a method with the ARI operations (``"<resource>.<nickname>"``) it performs."""

    def mark(fn: F) -> F:
        setattr(fn, "__ari_operations__", operations)  # noqa: B010 - a function attribute mypy cannot see
        return fn

    return mark


def _seg(value: Any) -> str:
    """One path segment, percent-encoded (ids may hold ``/``, ``;`` or spaces)."""
    if isinstance(value, _Handle):
        value = value.id
    text = str(value)
    if not text:
        raise AriUsageError("an id in a request path cannot be empty")
    return quote(text, safe=":@")


def _params(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def _vars_body(variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if variables is None else {"variables": dict(variables)}


def join_media(media: str | Iterable[str]) -> str:
    """One ``media`` query value from a URI or a list of URIs (comma-joined: ARI's list form).

    A repeated ``media`` parameter is not a list for Asterisk (only the last one plays), so a list is always
    sent as one comma-joined value, and an item that itself holds a comma is refused before any request.

    >>> join_media(["sound:tt-monkeys", "sound:beep"])
    'sound:tt-monkeys,sound:beep'
    """
    items = [media] if isinstance(media, str) else list(media)
    if not items:
        raise AriUsageError("media is empty: give a URI such as 'sound:beep' or a list of URIs")
    for item in items:
        if not isinstance(item, str) or not item:
            raise AriUsageError(f"each media item must be a non-empty string, not {item!r}")
    if len(items) > 1:
        for item in items:
            if "," in item:
                raise AriUsageError(
                    f"media item {item!r} contains a comma: ARI splits the media value on commas, so it "
                    "would play as several items; tone lists such as 'tone:440/200,0/300' cannot be "
                    "combined with other items"
                )
    return ",".join(items)


def _event_source(source: Any) -> str:
    if isinstance(source, Channel):
        return f"channel:{source.id}"
    if isinstance(source, Bridge):
        return f"bridge:{source.id}"
    if isinstance(source, str):
        return source
    if isinstance(source, Iterable):
        return ",".join(_event_source(s) for s in source)
    raise AriUsageError(f"an event source is 'channel:<id>', 'bridge:<id>', ... or a handle, not {source!r}")


def _ids(value: Any) -> Any:
    if isinstance(value, _Handle):
        return value.id
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return [_ids(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- handles


class _Handle:
    """Shared behaviour of handles: latest JSON, per-object handlers, waits."""

    __slots__ = ("__weakref__", "_core", "_handlers", "json")
    _kind: ClassVar[str] = "object"

    def __init__(self, core: SessionCore, json: dict[str, Any] | None = None) -> None:
        self._core = core
        self._handlers: dict[str, tuple[_Handler, ...]] | None = None
        self.json: dict[str, Any] = json if json is not None else {}

    @property
    def id(self) -> str:  # overridden by a slot in subclasses
        raise NotImplementedError

    def on(self, event_type: str, handler: Callable[[Event], Any] | None = None) -> Any:
        """Call ``handler(event)`` for each event of that type naming this object (``"*"``: all of them).

        Usable as a decorator: ``@channel.on("ChannelDtmfReceived")``. Returns the handler.
        """
        if handler is None:
            return lambda fn: self._core.on(event_type, fn, obj=self)
        return self._core.on(event_type, handler, obj=self)

    def off(self, event_type: str, handler: Callable[[Event], Any]) -> bool:
        """Remove a handler registered with :meth:`on`."""
        return self._core.off(event_type, handler, obj=self)

    def wait_for(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """The next event of that type naming this object (and matching ``predicate``).

        >>> up = lambda e: e.channel.state == "Up"                            # doctest: +SKIP
        >>> ev = await channel.wait_for("ChannelStateChange", up, timeout=5)  # doctest: +SKIP
        """
        return self._core.run(
            self._core.wait_for(event_type, predicate, timeout, obj=self), f"wait_for {event_type}"
        )

    def events(self, *event_types: str) -> EventStream:
        """An async iterator of this object's events (all, or only these types), starting now.

        >>> async for ev in channel.events("ChannelDtmfReceived"):   # doctest: +SKIP
        ...     print(ev["digit"])
        """
        return self._core.events(event_types, obj=self)

    def expect(
        self,
        event_type: str | Iterable[str] = "*",
        predicate: Callable[[Event], bool] | None = None,
        timeout: float | None = None,
    ) -> Call[Event]:
        """Like :meth:`wait_for` but never blocks where it is made (for scripts): wait, act, ``.result()``."""
        wait = self._core.wait_for(event_type, predicate, timeout, obj=self)
        return self._core.expect(wait, f"expect {event_type}")

    def _io(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None, **kw: Any
    ) -> Call[Any]:
        return self._core.io(method, path, params, json, **kw)

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

    __slots__ = ("_destroyed", "_in_stasis", "id")
    _kind = "channel"

    def __init__(self, core: SessionCore, channel_id: str, json: dict[str, Any] | None = None) -> None:
        self._core = core
        self._handlers = None
        self.json = json if json is not None else {"id": channel_id}
        self.id: str = channel_id
        self._in_stasis = False
        self._destroyed = False

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
        return self._in_stasis

    @property
    def destroyed(self) -> bool:
        """True once ChannelDestroyed arrived."""
        return self._destroyed

    def __repr__(self) -> str:
        flags = " in-stasis" if self._in_stasis else (" destroyed" if self._destroyed else "")
        return f"<Channel {self.id} {self.name or '?'} {self.state or '?'}{flags}>"

    @property
    def _p(self) -> str:
        return f"/channels/{_seg(self.id)}"

    def _set_json(self, body: Any) -> Channel:
        if isinstance(body, dict):
            self.json = body
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
        return self._io("POST", f"{self._p}/moh", _params(mohClass=moh_class), label=f"moh {self.id}")

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
        return self._io("POST", f"{self._p}/mute", _params(direction=direction), label=f"mute {self.id}")

    @ari_operation("channels.unmute")
    def unmute(self, direction: str = "both") -> Call[None]:
        """Unmute audio in ``direction`` (``both``, ``in`` or ``out``)."""
        return self._io("DELETE", f"{self._p}/mute", _params(direction=direction), label=f"unmute {self.id}")

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
            "DELETE", self._p, _params(reason=reason, reason_code=reason_code), label=f"hangup {self.id}"
        )

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
        pb = self._core.register_playback(pid, value, f"channel:{self.id}")
        pb._request = self._io(
            "POST",
            f"{self._p}/play/{_seg(pid)}",
            _params(media=value, lang=lang, offsetms=offsetms, skipms=skipms),
            convert=pb._created,
            on_error=pb._request_failed,
            label=f"play {value} on {self.id}",
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
        params = _params(
            name=name,
            format=format,
            maxDurationSeconds=max_duration_seconds,
            maxSilenceSeconds=max_silence_seconds,
            ifExists=if_exists,
            beep=beep,
            terminateOn=terminate_on,
        )
        return self._io(
            "POST",
            f"{self._p}/record",
            params,
            convert=self._core._recording_from,
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
        params = _params(dtmf=dtmf, before=before, between=between, duration=duration, after=after)
        return self._io("POST", f"{self._p}/dtmf", params, label=f"dtmf {dtmf} on {self.id}")

    @ari_operation("channels.getChannelVar")
    def get_variable(self, variable: str) -> Call[str]:
        """The value of a channel variable or function (``CALLERID(num)``)."""
        return self._io(
            "GET",
            f"{self._p}/variable",
            _params(variable=variable),
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("channels.setChannelVar")
    def set_variable(
        self, variable: str, value: str | None = None, report_events: bool | None = None
    ) -> Call[None]:
        """Set a channel variable (``value`` None unsets it)."""
        params = _params(variable=variable, value=value, report_events=report_events)
        return self._io("POST", f"{self._p}/variable", params, label=f"set {variable}")

    @ari_operation("channels.getChannelVars")
    def get_variables(self, variables: Iterable[str]) -> Call[dict[str, Any]]:
        """Several variables at once (Asterisk 22.3+)."""
        names = list(variables)
        return self._io("GET", f"{self._p}/variables", _params(variables=names), label="get variables")

    @ari_operation("channels.setChannelVars")
    def set_variables(self, variables: Mapping[str, Any]) -> Call[None]:
        """Set several variables at once (Asterisk 22.3+)."""
        return self._io("POST", f"{self._p}/variables", None, _vars_body(variables), label="set variables")

    @ari_operation("channels.continueInDialplan")
    def continue_in_dialplan(
        self,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> Call[None]:
        """Leave Stasis and continue in the dialplan (StasisEnd follows)."""
        params = _params(context=context, extension=extension, priority=priority, label=label)
        return self._io("POST", f"{self._p}/continue", params, label=f"continue {self.id}")

    @ari_operation("channels.move")
    def move(self, app: str, app_args: str | Iterable[str] | None = None) -> Call[None]:
        """Move the channel to another Stasis application."""
        return self._io(
            "POST", f"{self._p}/move", _params(app=app, appArgs=app_args), label=f"move {self.id}"
        )

    @ari_operation("channels.redirect")
    def redirect(self, endpoint: str) -> Call[None]:
        """Redirect the channel to an endpoint (``PJSIP/bob``)."""
        return self._io(
            "POST", f"{self._p}/redirect", _params(endpoint=endpoint), label=f"redirect {self.id}"
        )

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
        params = _params(app=app, spy=spy, whisper=whisper, appArgs=app_args)
        path = f"{self._p}/snoop" if snoop_id is None else f"{self._p}/snoop/{_seg(snoop_id)}"
        return self._io("POST", path, params, convert=self._core._channel_from, label=f"snoop {self.id}")

    @ari_operation("channels.dial")
    def dial(self, caller: str | Channel | None = None, timeout: int | None = None) -> Call[None]:
        """Dial a created (Down) channel."""
        return self._io(
            "POST", f"{self._p}/dial", _params(caller=_ids(caller), timeout=timeout), label=f"dial {self.id}"
        )

    @ari_operation("channels.rtpstatistics")
    def rtp_statistics(self) -> Call[dict[str, Any]]:
        """RTP statistics of a channel with an RTP instance."""
        return self._io("GET", f"{self._p}/rtp_statistics", label=f"rtp_statistics {self.id}")

    @ari_operation("channels.transfer_progress")
    def transfer_progress(self, states: str) -> Call[None]:
        """Report the progress of a REFER-based transfer (Asterisk 22)."""
        return self._io(
            "POST", f"{self._p}/transfer_progress", _params(states=states), label="transfer_progress"
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

        >>> clip = await ch.audio(5)              # doctest: +SKIP   (5 s of what the caller hears)
        >>> clip.dominant_frequency(0.6, 1.9)     # doctest: +SKIP
        440.0
        >>> whole = ch.audio()                    # doctest: +SKIP   (records until the hangup)
        >>> await ch.hangup(); clip = await whole  # doctest: +SKIP
        """
        if spy not in ("out", "in", "both"):
            raise AriUsageError(f"spy must be 'out', 'in' or 'both', got {spy!r}")
        if seconds is not None and not seconds > 0:
            raise AriUsageError(f"seconds must be positive (or None: until the hangup), got {seconds!r}")
        if timeout is not None and not timeout > 0:
            raise AriUsageError(f"timeout must be positive, got {timeout!r}")
        session = self._core.runner
        if session is None:
            raise AriUsageError(
                "this channel handle is not attached to a connected session (no I/O possible)"
            )
        app_name = app or next(iter(getattr(session, "apps", ()) or ()), None)
        if not app_name:
            raise AriUsageError("channel.audio needs app=: the Stasis application the snoop channel joins")
        if seconds is not None:
            from arinb.audio import record_channel_audio

            coro = record_channel_audio(
                session, self, seconds, app=app_name, name=name, spy=spy, sleep=sleep or asyncio.sleep
            )
            return self._core.run(coro, f"audio of {self.id} for {seconds} s")
        until_hangup = self._audio_until_hangup(app_name, spy, timeout, name)
        return self._core.expect(until_hangup, f"audio of {self.id} until the hangup")

    async def _audio_until_hangup(
        self, app: str, spy: str, limit: float | None, name: str | None
    ) -> AudioClip:
        from arinb.audio import AudioClip

        recording = name or f"arinb-listen-{uuid.uuid4().hex[:12]}"
        snoop: Channel | None = None
        stored = False

        def is_ours(ev: Event) -> bool:
            return ev.recording is not None and ev.recording.name == recording

        # Registered before the recording starts: a call that ends at once must not slip past.
        ended = asyncio.ensure_future(
            self._core.wait_for(("RecordingFinished", "RecordingFailed"), is_ours, limit)
        )
        await asyncio.sleep(0)
        try:
            snoop = await self.snoop(app, spy=spy)
            await snoop.record(recording, format="wav", if_exists="overwrite")
            stored = True
            event = await ended
            if event.type == "RecordingFailed":
                cause = event.recording.json.get("cause") if event.recording is not None else None
                raise AriError(
                    f"recording {recording!r} of {self.id} failed" + (f": {cause}" if cause else "")
                )
            data = await self._fetch_recording(recording)
            return AudioClip.from_wav(data, title=f"channel {self.id} ({spy})")
        finally:
            ended.cancel()
            await self._forget_recording(recording, stored=stored, snoop=snoop)

    async def _fetch_recording(self, recording: str, within: float = 5.0) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            try:
                data: bytes = await self._core.io(
                    "GET", f"/recordings/stored/{_seg(recording)}/file", accept_bytes=True, label="file"
                )
                return data
            except AriHttpError as exc:
                # The file joins the stored list when Asterisk closes it: a 404 can come first.
                if exc.status != 404 or loop.time() >= deadline:
                    raise
            await asyncio.sleep(0.05)

    async def _forget_recording(self, recording: str, *, stored: bool, snoop: Channel | None) -> None:
        # Best effort: a failure here must not hide the clip or the error of the main steps.
        steps = [("DELETE", f"/recordings/stored/{_seg(recording)}")] if stored else []
        if snoop is not None and not snoop.destroyed:
            steps.append(("DELETE", f"/channels/{_seg(snoop.id)}"))
        for method, path in steps:
            try:
                await self._core.io(method, path, label=f"clean up {recording}")
            except AriError:
                pass


class Playback(_Handle):
    """A playback: created by :meth:`Channel.play` / :meth:`Bridge.play`, or met in an event.

    Awaitable: ``await pb`` waits for ARI's 201 reply and gives the playback back.

    >>> pb = ch.play("sound:beep")                        # doctest: +SKIP
    >>> await pb.started(); await pb.finished(timeout=5)  # doctest: +SKIP
    'done'
    """

    __slots__ = (
        "_channel",
        "_created_ok",
        "_error",
        "_finish_waiters",
        "_outcome",
        "_request",
        "_start_waiters",
        "_started",
        "_target_gone",
        "id",
    )
    _kind = "playback"

    def __init__(self, core: SessionCore, playback_id: str, json: dict[str, Any] | None = None) -> None:
        self._core = core
        self._handlers = None
        self.json = json if json is not None else {"id": playback_id}
        self.id: str = playback_id
        self._request: Call[Any] | None = None
        self._channel: Channel | None = None  # the target channel's handle, once known
        self._started = False
        self._created_ok = False
        self._target_gone = False
        self._outcome: str | None = None
        self._error: BaseException | None = None
        self._finish_waiters: list[asyncio.Future[str]] = []
        self._start_waiters: list[asyncio.Future[Playback]] = []  # (the base __init__ is inlined: hot path)

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
        return self._outcome

    @property
    def is_started(self) -> bool:
        return self._started

    @property
    def channel(self) -> Channel | None:
        """The target channel's handle, for a channel playback."""
        return self._target_channel()

    def _target_channel(self) -> Channel | None:
        ch = self._channel
        if ch is None:
            target = self.json.get("target_uri")
            if type(target) is str and target.startswith("channel:"):
                ch = self._channel = self._core.channel(target[8:])
        return ch

    def __repr__(self) -> str:
        state = self._outcome or self.state or "requested"
        return f"<Playback {self.id} {self.media_uri} on {self.target_uri} {state}>"

    def __await__(self) -> Generator[Any, None, Playback]:
        if self._request is not None:
            yield from self._request.__await__()
        return self

    # ---- state changes (called by the core on its loop)
    def _created(self, body: Any) -> Playback:
        """The 201 reply: keep its JSON unless events already told us more (they can beat the reply)."""
        self._created_ok = True
        if isinstance(body, dict) and not self._started and self._outcome is None:
            self.json = body
        if self._target_gone and self._outcome is None:
            self._lose()
            # Its channel already left: no PlaybackFinished will come to take it out of the core.
            self._core._forget_playback(self)
        return self

    def _request_failed(self, error: BaseException) -> None:
        if self._outcome is None:
            self._outcome = "error"
            self._error = error
            self._fail_waiters(error)
        self._core._forget_playback(self)

    def _set_started(self) -> None:
        self._started = True
        waiters, self._start_waiters = self._start_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(self)

    def _set_outcome(self, state: str) -> None:
        if self._outcome is not None:
            return
        self._outcome = state
        self._set_started_waiters_done()
        waiters, self._finish_waiters = self._finish_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(state)

    def _set_started_waiters_done(self) -> None:
        waiters, self._start_waiters = self._start_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(self)

    def _channel_left(self) -> None:
        """StasisEnd for the target channel: a started (or accepted) playback will never finish now."""
        self._target_gone = True
        if self._started or self._created_ok:
            self._lose()

    def _lose(self, why: str | None = None) -> None:
        self._outcome = "lost"
        if why is None:
            why = (
                "it started but its channel left the application without PlaybackFinished: Asterisk never "
                "finishes an unsupported media scheme or a missing recording"
                if self._started
                else "it was accepted but its channel left the application before it started"
            )
        self._error = PlaybackLost(f"playback {self.id} ({self.media_uri}): {why}")
        self._fail_waiters(self._error)

    def _fail_waiters(self, error: BaseException) -> None:
        for waiters in (self._finish_waiters, self._start_waiters):
            for fut in waiters:
                if not fut.done():
                    fut.set_exception(error)
            waiters.clear()

    async def _wait_finished(self, limit: float | None) -> str:
        if self._error is not None:
            raise self._error
        if self._outcome is not None:
            return self._outcome
        self._core._check_open()
        fut: asyncio.Future[str] = self._core._loop_for_tasks().create_future()
        self._finish_waiters.append(fut)
        try:
            return await _with_timeout(fut, limit, f"playback {self.id} did not finish within {limit} s")
        finally:
            if fut in self._finish_waiters:
                self._finish_waiters.remove(fut)

    async def _wait_started(self, limit: float | None) -> Playback:
        if self._error is not None:
            raise self._error
        if self._started or self._outcome is not None:
            return self
        self._core._check_open()
        fut: asyncio.Future[Playback] = self._core._loop_for_tasks().create_future()
        self._start_waiters.append(fut)
        try:
            return await _with_timeout(fut, limit, f"playback {self.id} did not start within {limit} s")
        finally:
            if fut in self._start_waiters:
                self._start_waiters.remove(fut)

    # ---- public waits
    def finished(self, timeout: float | None = None) -> Call[str]:
        """Wait for PlaybackFinished: ``"done"`` or ``"failed"``.

        Raises :class:`PlaybackLost` if the channel left Stasis while the playback was started but never
        finished (Asterisk 22 does that for an unsupported scheme or a missing recording), the request's
        error if the play was refused, and :class:`AriTimeoutError` after ``timeout`` seconds.
        """
        return self._core.run(self._wait_finished(timeout), f"playback {self.id} finished")

    def started(self, timeout: float | None = None) -> Call[Playback]:
        """Wait for PlaybackStarted (or the end, for a playback stopped while queued)."""
        return self._core.run(self._wait_started(timeout), f"playback {self.id} started")

    # ---- operations
    @ari_operation("playbacks.get")
    def refresh(self) -> Call[Playback]:
        """``GET /playbacks/{id}`` (404 once finished: Asterisk forgets finished playbacks)."""
        return self._io(
            "GET", f"/playbacks/{_seg(self.id)}", convert=self._refreshed, label=f"get playback {self.id}"
        )

    def _refreshed(self, body: Any) -> Playback:
        if isinstance(body, dict) and self._outcome is None:
            self.json = body
        return self

    @ari_operation("playbacks.stop")
    def stop(self) -> Call[None]:
        """Stop the playback (``DELETE /playbacks/{id}``); PlaybackFinished(done) follows."""
        return self._io("DELETE", f"/playbacks/{_seg(self.id)}", label=f"stop playback {self.id}")

    @ari_operation("playbacks.control")
    def control(self, operation: str) -> Call[None]:
        """``restart``, ``pause``, ``unpause``, ``reverse`` or ``forward``."""
        if operation not in PLAYBACK_OPERATIONS:
            raise AriUsageError(
                f"playback operation {operation!r} is not one of: {', '.join(PLAYBACK_OPERATIONS)}"
            )
        return self._io(
            "POST",
            f"/playbacks/{_seg(self.id)}/control",
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


async def _with_timeout(fut: asyncio.Future[T], limit: float | None, message: str) -> T:
    if limit is None:
        return await fut
    try:
        return await asyncio.wait_for(asyncio.shield(fut), limit)
    except TimeoutError:
        raise AriTimeoutError(message) from None


class Bridge(_Handle):
    """A bridge, kept up to date from events.

    >>> br = await session.bridges.create(type="mixing")     # doctest: +SKIP
    >>> await br.add_channel([ch1, ch2]); pb = br.play("sound:beep")   # doctest: +SKIP
    """

    __slots__ = ("_destroyed", "id")
    _kind = "bridge"

    def __init__(self, core: SessionCore, bridge_id: str, json: dict[str, Any] | None = None) -> None:
        self._core = core
        self._handlers = None
        self.json = json if json is not None else {"id": bridge_id}
        self.id: str = bridge_id
        self._destroyed = False

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
        return self._destroyed

    def __repr__(self) -> str:
        return f"<Bridge {self.id} {self.bridge_type or '?'} channels={self.channels}>"

    @property
    def _p(self) -> str:
        return f"/bridges/{_seg(self.id)}"

    def _set_json(self, body: Any) -> Bridge:
        if isinstance(body, dict):
            self.json = body
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
        # Without subscribeAll no BridgeDestroyed follows: the 204 is the last word on this bridge. The
        # handle stays registered, so a ChannelLeftBridge arriving just after the 204 still finds it.
        self._destroyed = True

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
        params = _params(
            channel=_ids(channel),
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
            _params(channel=_ids(channel)),
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
        pb = self._core.register_playback(pid, value, f"bridge:{self.id}")
        params = _params(
            media=value, lang=lang, offsetms=offsetms, skipms=skipms, announcer_format=announcer_format
        )
        pb._request = self._io(
            "POST",
            f"{self._p}/play/{_seg(pid)}",
            params,
            convert=pb._created,
            on_error=pb._request_failed,
            label=f"play {value} on bridge {self.id}",
        )
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
        params = _params(
            name=name,
            format=format,
            recorder_format=recorder_format,
            maxDurationSeconds=max_duration_seconds,
            maxSilenceSeconds=max_silence_seconds,
            ifExists=if_exists,
            beep=beep,
            terminateOn=terminate_on,
        )
        return self._io(
            "POST",
            f"{self._p}/record",
            params,
            convert=self._core._recording_from,
            label=f"record bridge {self.id}",
        )

    @ari_operation("bridges.startMoh")
    def moh(self, moh_class: str | None = None) -> Call[None]:
        """Play music on hold to the bridge."""
        return self._io("POST", f"{self._p}/moh", _params(mohClass=moh_class), label=f"moh bridge {self.id}")

    @ari_operation("bridges.stopMoh")
    def moh_stop(self) -> Call[None]:
        """Stop the bridge's music on hold."""
        return self._io("DELETE", f"{self._p}/moh", label=f"moh_stop bridge {self.id}")

    @ari_operation("bridges.setVideoSource")
    def set_video_source(self, channel: str | Channel) -> Call[None]:
        """Use this channel's video for everyone in the bridge."""
        return self._io("POST", f"{self._p}/videoSource/{_seg(channel)}", label="set video source")

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
            _params(variable=variable),
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("bridges.setBridgeVar")
    def set_variable(
        self, variable: str, value: str | None = None, report_events: bool | None = None
    ) -> Call[None]:
        """Set a bridge variable."""
        params = _params(variable=variable, value=value, report_events=report_events)
        return self._io("POST", f"{self._p}/variable", params, label=f"set {variable}")

    @ari_operation("bridges.getBridgeVars")
    def get_variables(self, variables: Iterable[str]) -> Call[dict[str, Any]]:
        """Several bridge variables at once."""
        return self._io(
            "GET", f"{self._p}/variables", _params(variables=list(variables)), label="get variables"
        )

    @ari_operation("bridges.setBridgeVars")
    def set_variables(self, variables: Mapping[str, Any]) -> Call[None]:
        """Set several bridge variables at once."""
        return self._io("POST", f"{self._p}/variables", None, _vars_body(variables), label="set variables")


class LiveRecording(_Handle):
    """A recording in progress (by name).

    >>> rec = await ch.record("greeting", max_duration_seconds=5)   # doctest: +SKIP
    >>> await rec.wait_for("RecordingFinished"); await rec.stored().file()   # doctest: +SKIP
    """

    __slots__ = ("name",)
    _kind = "recording"

    def __init__(self, core: SessionCore, name: str, json: dict[str, Any] | None = None) -> None:
        self._core = core
        self._handlers = None
        self.json = json if json is not None else {"name": name}
        self.name = name

    @property
    def id(self) -> str:
        return self.name

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
        return f"/recordings/live/{_seg(self.name)}"

    def _set_json(self, body: Any) -> LiveRecording:
        if isinstance(body, dict):
            self.json = body
        return self

    def stored(self) -> StoredRecording:
        """The stored recording this one writes (a handle, no I/O)."""
        return StoredRecording(self._core, self.name, {"name": self.name, "format": self.format})

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

    __slots__ = ("_core", "json", "name")

    def __init__(self, core: SessionCore, name: str, json: dict[str, Any] | None = None) -> None:
        self._core = core
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
        return f"/recordings/stored/{_seg(self.name)}"

    def _set_json(self, body: Any) -> StoredRecording:
        if isinstance(body, dict):
            self.json = body
        return self

    @ari_operation("recordings.getStored")
    def refresh(self) -> Call[StoredRecording]:
        """``GET /recordings/stored/{name}``."""
        return self._core.io("GET", self._p, convert=self._set_json, label=f"get stored {self.name}")

    @ari_operation("recordings.getStoredFile")
    def file(self) -> Call[bytes]:
        """The recording's file content (``audio/wav`` for a wav recording)."""
        return self._core.io("GET", f"{self._p}/file", accept_bytes=True, label=f"file {self.name}")

    @ari_operation("recordings.copyStored")
    def copy(self, destination: str) -> Call[StoredRecording]:
        """Copy to ``destination``; gives the new stored recording."""
        return self._core.io(
            "POST",
            f"{self._p}/copy",
            {"destinationRecordingName": destination},
            convert=lambda body: StoredRecording(self._core, destination, body),
            label=f"copy {self.name}",
        )

    @ari_operation("recordings.deleteStored")
    def delete(self) -> Call[None]:
        """Delete the stored recording."""
        return self._core.io("DELETE", self._p, label=f"delete stored {self.name}")


# ---------------------------------------------------------------------------------------------- resource APIs


class _Api:
    __slots__ = ("_core",)

    def __init__(self, core: SessionCore) -> None:
        self._core = core

    def _io(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None, **kw: Any
    ) -> Call[Any]:
        return self._core.io(method, path, params, json, **kw)

    def __repr__(self) -> str:
        names = [n for n in dir(self) if not n.startswith("_")]
        return f"<{type(self).__name__} API: {', '.join(names)}>"


class Channels(_Api):
    """``session.channels``: list, get, originate, create, and handles without I/O."""

    __slots__ = ()

    def channel(self, channel_id: str) -> Channel:
        """The handle for a channel id (no request; state fills in from events or :meth:`Channel.refresh`)."""
        return self._core.channel(channel_id)

    @ari_operation("channels.list")
    def list(self) -> Call[list[Channel]]:
        """Every channel Asterisk has (both halves of Local pairs included)."""
        return self._io("GET", "/channels", convert=self._core._channels_from, label="list channels")

    @ari_operation("channels.get")
    def get(self, channel_id: str) -> Call[Channel]:
        """``GET /channels/{id}`` (404 ``AriNotFound`` if unknown)."""
        return self._io(
            "GET",
            f"/channels/{_seg(channel_id)}",
            convert=self._core._channel_from,
            label=f"get channel {channel_id}",
        )

    @ari_operation("channels.originate", "channels.originateWithId")
    def originate(
        self,
        endpoint: str,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        app: str | None = None,
        app_args: str | Iterable[str] | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        variables: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | Channel | None = None,
        formats: str | Iterable[str] | None = None,
    ) -> Call[Channel]:
        """Originate a call to ``endpoint``, into the dialplan (``extension``/``context``) or an app.

        >>> ch = await session.channels.originate("Local/1000@default", app="channel-tones")  # doctest: +SKIP
        """
        params = _params(
            endpoint=endpoint,
            extension=extension,
            context=context,
            priority=priority,
            label=label,
            app=app,
            appArgs=app_args,
            callerId=caller_id,
            timeout=timeout,
            otherChannelId=other_channel_id,
            originator=_ids(originator),
            formats=formats,
        )
        path = "/channels" if channel_id is None else f"/channels/{_seg(channel_id)}"
        return self._io(
            "POST",
            path,
            params,
            _vars_body(variables),
            convert=self._core._channel_from,
            label=f"originate {endpoint}",
        )

    @ari_operation("channels.create")
    def create(
        self,
        endpoint: str,
        app: str,
        app_args: str | Iterable[str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | Channel | None = None,
        formats: str | Iterable[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Channel]:
        """Create a channel in ``app`` without dialing it (state Down; :meth:`Channel.dial` it later)."""
        params = _params(
            endpoint=endpoint,
            app=app,
            appArgs=app_args,
            channelId=channel_id,
            otherChannelId=other_channel_id,
            originator=_ids(originator),
            formats=formats,
        )
        return self._io(
            "POST",
            "/channels/create",
            params,
            _vars_body(variables),
            convert=self._core._channel_from,
            label=f"create {endpoint}",
        )

    @ari_operation("channels.externalMedia")
    def external_media(
        self,
        app: str,
        external_host: str | None = None,
        format: str = "ulaw",
        channel_id: str | None = None,
        encapsulation: str | None = None,
        transport: str | None = None,
        connection_type: str | None = None,
        direction: str | None = None,
        data: str | None = None,
        transport_data: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Channel]:
        """Create an external media channel (RTP/AudioSocket/WebSocket to ``external_host``)."""
        params = _params(
            app=app,
            external_host=external_host,
            format=format,
            channelId=channel_id,
            encapsulation=encapsulation,
            transport=transport,
            connection_type=connection_type,
            direction=direction,
            data=data,
            transport_data=transport_data,
        )
        return self._io(
            "POST",
            "/channels/externalMedia",
            params,
            _vars_body(variables),
            convert=self._core._channel_from,
            label="external media",
        )


class Playbacks(_Api):
    """``session.playbacks``: get, stop and control by id."""

    __slots__ = ()

    def playback(self, playback_id: str) -> Playback:
        """The handle for a playback id (no request)."""
        return self._core.playback(playback_id)

    @ari_operation("playbacks.get")
    def get(self, playback_id: str) -> Call[Playback]:
        """``GET /playbacks/{id}`` (404 once the playback finished)."""
        return self._io(
            "GET",
            f"/playbacks/{_seg(playback_id)}",
            convert=lambda body: self._core.playback(playback_id, body),
            label=f"get playback {playback_id}",
        )

    @ari_operation("playbacks.stop")
    def stop(self, playback_id: str) -> Call[None]:
        """Stop the playback ``playback_id``."""
        return self._core.playback(playback_id).stop()

    @ari_operation("playbacks.control")
    def control(self, playback_id: str, operation: str) -> Call[None]:
        """``restart``, ``pause``, ``unpause``, ``reverse`` or ``forward`` the playback ``playback_id``."""
        return self._core.playback(playback_id).control(operation)


class Bridges(_Api):
    """``session.bridges``: list, get, create."""

    __slots__ = ()

    def bridge(self, bridge_id: str) -> Bridge:
        """The handle for a bridge id (no request)."""
        return self._core.bridge(bridge_id)

    @ari_operation("bridges.list")
    def list(self) -> Call[list[Bridge]]:
        """Every bridge (including ones other applications made)."""
        return self._io(
            "GET",
            "/bridges",
            convert=lambda body: [self._core.bridge(b["id"], b) for b in body or []],
            label="list bridges",
        )

    @ari_operation("bridges.get")
    def get(self, bridge_id: str) -> Call[Bridge]:
        """``GET /bridges/{id}`` (404 ``AriNotFound`` if unknown)."""
        return self._io(
            "GET",
            f"/bridges/{_seg(bridge_id)}",
            convert=self._core._bridge_from,
            label=f"get bridge {bridge_id}",
        )

    @ari_operation("bridges.create", "bridges.createWithId")
    def create(
        self,
        type: str | Iterable[str] | None = None,
        bridge_id: str | None = None,
        name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Bridge]:
        """Create a bridge: ``type`` is ``mixing`` (default), ``holding``, or flags (``mixing,dtmf_events``).

        >>> br = await session.bridges.create("mixing", name="conference")   # doctest: +SKIP
        """
        path = "/bridges" if bridge_id is None else f"/bridges/{_seg(bridge_id)}"
        return self._io(
            "POST",
            path,
            _params(type=type, name=name),
            _vars_body(variables),
            convert=self._core._bridge_from,
            label="create bridge",
        )


class Sounds(_Api):
    """``session.sounds``: sounds (``{"id", "text", "formats": [{"language", "format"}]}``)."""

    __slots__ = ()

    @ari_operation("sounds.list")
    def list(self, lang: str | None = None, format: str | None = None) -> Call[list[dict[str, Any]]]:
        """Every sound, optionally only those in ``lang`` / ``format``."""
        return self._io("GET", "/sounds", _params(lang=lang, format=format), label="list sounds")

    @ari_operation("sounds.get")
    def get(self, sound_id: str) -> Call[dict[str, Any]]:
        """One sound's formats and languages (404 ``Sound not found``)."""
        return self._io("GET", f"/sounds/{_seg(sound_id)}", label=f"get sound {sound_id}")


class StoredRecordings(_Api):
    """``session.recordings.stored``."""

    __slots__ = ()

    def _from(self, body: Any) -> StoredRecording:
        return StoredRecording(self._core, body["name"], body)

    @ari_operation("recordings.listStored")
    def list(self) -> Call[list[StoredRecording]]:
        """Every stored recording."""
        return self._io(
            "GET",
            "/recordings/stored",
            convert=lambda body: [self._from(r) for r in body or []],
            label="list stored recordings",
        )

    @ari_operation("recordings.getStored")
    def get(self, name: str) -> Call[StoredRecording]:
        """``GET /recordings/stored/{name}``."""
        return self._io(
            "GET", f"/recordings/stored/{_seg(name)}", convert=self._from, label=f"get stored {name}"
        )

    def recording(self, name: str) -> StoredRecording:
        """A handle without I/O."""
        return StoredRecording(self._core, name)

    @ari_operation("recordings.deleteStored")
    def delete(self, name: str) -> Call[None]:
        """Delete a stored recording."""
        return self.recording(name).delete()

    @ari_operation("recordings.getStoredFile")
    def file(self, name: str) -> Call[bytes]:
        """A stored recording's file content."""
        return self.recording(name).file()

    @ari_operation("recordings.copyStored")
    def copy(self, name: str, destination: str) -> Call[StoredRecording]:
        """Copy a stored recording to ``destination``."""
        return self.recording(name).copy(destination)


class LiveRecordings(_Api):
    """``session.recordings.live``."""

    __slots__ = ()

    def recording(self, name: str) -> LiveRecording:
        """The handle for a live recording name (no request)."""
        return self._core.recording(name)

    @ari_operation("recordings.getLive")
    def get(self, name: str) -> Call[LiveRecording]:
        """``GET /recordings/live/{name}``."""
        return self._io(
            "GET",
            f"/recordings/live/{_seg(name)}",
            convert=self._core._recording_from,
            label=f"get recording {name}",
        )

    def stop(self, name: str) -> Call[None]:
        """Stop and keep a live recording."""
        return self.recording(name).stop()

    def cancel(self, name: str) -> Call[None]:
        """Stop and discard a live recording."""
        return self.recording(name).cancel()

    def pause(self, name: str) -> Call[None]:
        """Pause a live recording."""
        return self.recording(name).pause()

    def unpause(self, name: str) -> Call[None]:
        """Resume a live recording."""
        return self.recording(name).unpause()

    def mute(self, name: str) -> Call[None]:
        """Mute a live recording."""
        return self.recording(name).mute()

    def unmute(self, name: str) -> Call[None]:
        """Unmute a live recording."""
        return self.recording(name).unmute()


class Recordings:
    """``session.recordings``: ``.stored`` and ``.live``."""

    __slots__ = ("live", "stored")

    def __init__(self, core: SessionCore) -> None:
        self.stored = StoredRecordings(core)
        self.live = LiveRecordings(core)

    def __repr__(self) -> str:
        return "<Recordings API: stored, live>"


class Applications(_Api):
    """``session.applications``: Stasis applications and their subscriptions."""

    __slots__ = ()

    @ari_operation("applications.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every registered Stasis application (an app exists while a WebSocket serves it)."""
        return self._io("GET", "/applications", label="list applications")

    @ari_operation("applications.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """``GET /applications/{name}``: channel_ids, bridge_ids, endpoint_ids, device_names, filters."""
        return self._io("GET", f"/applications/{_seg(name)}", label=f"get application {name}")

    @ari_operation("applications.subscribe")
    def subscribe(self, name: str, event_source: Any) -> Call[dict[str, Any]]:
        """Subscribe ``name`` to ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>/<res>``,
        ``deviceState:<name>`` (or a handle, or a list of them). Renewed automatically after a reconnect."""
        source = _event_source(event_source)
        self._core._subscriptions.add((name, source))
        return self._io(
            "POST",
            f"/applications/{_seg(name)}/subscription",
            {"eventSource": source},
            label=f"subscribe {name}",
        )

    @ari_operation("applications.unsubscribe")
    def unsubscribe(self, name: str, event_source: Any) -> Call[dict[str, Any]]:
        """Undo :meth:`subscribe` (422 if that source was not subscribed)."""
        source = _event_source(event_source)
        self._core._subscriptions.discard((name, source))
        return self._io(
            "DELETE",
            f"/applications/{_seg(name)}/subscription",
            {"eventSource": source},
            label=f"unsubscribe {name}",
        )

    @ari_operation("applications.filter")
    def filter(
        self, name: str, allowed: Iterable[str] | None = None, disallowed: Iterable[str] | None = None
    ) -> Call[dict[str, Any]]:
        """Only deliver (``allowed``) or drop (``disallowed``) these event types for the application."""
        body: dict[str, Any] = {}
        if allowed is not None:
            body["allowed"] = [{"type": t} for t in allowed]
        if disallowed is not None:
            body["disallowed"] = [{"type": t} for t in disallowed]
        return self._io("PUT", f"/applications/{_seg(name)}/eventFilter", None, body, label=f"filter {name}")


class Asterisk(_Api):
    """``session.asterisk``: system info, modules, logging, global variables, dynamic config."""

    __slots__ = ()

    @ari_operation("asterisk.getInfo")
    def info(self, only: str | Iterable[str] | None = None) -> Call[dict[str, Any]]:
        """``build``, ``system``, ``config``, ``status`` (or only some of them)."""
        return self._io("GET", "/asterisk/info", _params(only=only), label="asterisk info")

    @ari_operation("asterisk.ping")
    def ping(self) -> Call[dict[str, Any]]:
        """``{"ping": "pong", "timestamp", "asterisk_id"}``: a cheap liveness check."""
        return self._io("GET", "/asterisk/ping", label="ping")

    @ari_operation("asterisk.listModules")
    def modules(self) -> Call[list[dict[str, Any]]]:
        """Every loaded module."""
        return self._io("GET", "/asterisk/modules", label="list modules")

    @ari_operation("asterisk.getModule")
    def module(self, name: str) -> Call[dict[str, Any]]:
        """One module's details (``name``, ``description``, ``status``, ``use_count``, ``support_level``)."""
        return self._io("GET", f"/asterisk/modules/{_seg(name)}", label=f"get module {name}")

    @ari_operation("asterisk.loadModule")
    def load_module(self, name: str) -> Call[None]:
        """Load a module (``res_musiconhold.so``)."""
        return self._io("POST", f"/asterisk/modules/{_seg(name)}", label=f"load {name}")

    @ari_operation("asterisk.unloadModule")
    def unload_module(self, name: str) -> Call[None]:
        """Unload a module."""
        return self._io("DELETE", f"/asterisk/modules/{_seg(name)}", label=f"unload {name}")

    @ari_operation("asterisk.reloadModule")
    def reload_module(self, name: str) -> Call[None]:
        """Reload a module."""
        return self._io("PUT", f"/asterisk/modules/{_seg(name)}", label=f"reload {name}")

    @ari_operation("asterisk.listLogChannels")
    def log_channels(self) -> Call[list[dict[str, Any]]]:
        """Every log channel and its configuration."""
        return self._io("GET", "/asterisk/logging", label="list log channels")

    @ari_operation("asterisk.addLog")
    def add_log(self, name: str, configuration: str) -> Call[None]:
        """Add a log channel with a configuration such as ``notice,warning,error``."""
        return self._io(
            "POST",
            f"/asterisk/logging/{_seg(name)}",
            {"configuration": configuration},
            label=f"add log {name}",
        )

    @ari_operation("asterisk.deleteLog")
    def delete_log(self, name: str) -> Call[None]:
        """Remove a log channel."""
        return self._io("DELETE", f"/asterisk/logging/{_seg(name)}", label=f"delete log {name}")

    @ari_operation("asterisk.rotateLog")
    def rotate_log(self, name: str) -> Call[None]:
        """Rotate a log channel's file."""
        return self._io("PUT", f"/asterisk/logging/{_seg(name)}/rotate", label=f"rotate log {name}")

    @ari_operation("asterisk.getGlobalVar")
    def get_variable(self, variable: str) -> Call[str]:
        """The value of a global variable or dialplan function."""
        return self._io(
            "GET",
            "/asterisk/variable",
            {"variable": variable},
            convert=lambda body: (body or {}).get("value"),
            label=f"get {variable}",
        )

    @ari_operation("asterisk.setGlobalVar")
    def set_variable(self, variable: str, value: str | None = None) -> Call[None]:
        """Set a global variable."""
        return self._io(
            "POST", "/asterisk/variable", _params(variable=variable, value=value), label=f"set {variable}"
        )

    @ari_operation("asterisk.getObject")
    def get_object(self, config_class: str, object_type: str, object_id: str) -> Call[list[dict[str, Any]]]:
        """A sorcery object's fields (``res_pjsip``, ``endpoint``, ``alice``)."""
        return self._io("GET", _config_path(config_class, object_type, object_id), label="get config object")

    @ari_operation("asterisk.updateObject")
    def update_object(
        self, config_class: str, object_type: str, object_id: str, fields: Mapping[str, str] | None = None
    ) -> Call[list[dict[str, Any]]]:
        """Create or update a sorcery object from ``{attribute: value}``."""
        body = {"fields": [{"attribute": k, "value": v} for k, v in (fields or {}).items()]}
        return self._io(
            "PUT",
            _config_path(config_class, object_type, object_id),
            None,
            body,
            label="update config object",
        )

    @ari_operation("asterisk.deleteObject")
    def delete_object(self, config_class: str, object_type: str, object_id: str) -> Call[None]:
        """Delete a sorcery object created through ARI."""
        return self._io(
            "DELETE", _config_path(config_class, object_type, object_id), label="delete config object"
        )


def _config_path(config_class: str, object_type: str, object_id: str) -> str:
    return f"/asterisk/config/dynamic/{_seg(config_class)}/{_seg(object_type)}/{_seg(object_id)}"


class Endpoints(_Api):
    """``session.endpoints``: endpoints, messages and REFERs."""

    __slots__ = ()

    @ari_operation("endpoints.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every endpoint (empty on an Asterisk with Local channels only)."""
        return self._io("GET", "/endpoints", label="list endpoints")

    @ari_operation("endpoints.listByTech")
    def list_by_tech(self, tech: str) -> Call[JsonList]:
        """The endpoints of one technology (404 for an unknown one)."""
        return self._io("GET", f"/endpoints/{_seg(tech)}", label=f"list {tech} endpoints")

    @ari_operation("endpoints.get")
    def get(self, tech: str, resource: str) -> Call[dict[str, Any]]:
        """One endpoint (``PJSIP``, ``alice``)."""
        return self._io("GET", f"/endpoints/{_seg(tech)}/{_seg(resource)}", label=f"get {tech}/{resource}")

    @ari_operation("endpoints.sendMessage")
    def send_message(
        self, to: str, from_: str, body: str | None = None, variables: Mapping[str, Any] | None = None
    ) -> Call[None]:
        """Send a text message to ``to`` (``pjsip:alice``)."""
        return self._io(
            "PUT",
            "/endpoints/sendMessage",
            _params(to=to, body=body, **{"from": from_}),
            _vars_body(variables),
            label=f"message {to}",
        )

    @ari_operation("endpoints.sendMessageToEndpoint")
    def send_message_to(
        self,
        tech: str,
        resource: str,
        from_: str,
        body: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a text message to one endpoint."""
        return self._io(
            "PUT",
            f"/endpoints/{_seg(tech)}/{_seg(resource)}/sendMessage",
            _params(body=body, **{"from": from_}),
            _vars_body(variables),
            label=f"message {tech}/{resource}",
        )

    @ari_operation("endpoints.refer")
    def refer(
        self,
        to: str,
        from_: str,
        refer_to: str,
        to_self: bool | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a REFER to ``to`` asking it to call ``refer_to``."""
        return self._io(
            "POST",
            "/endpoints/refer",
            _params(to=to, refer_to=refer_to, to_self=to_self, **{"from": from_}),
            _vars_body(variables),
            label=f"refer {to}",
        )

    @ari_operation("endpoints.referToEndpoint")
    def refer_to(
        self,
        tech: str,
        resource: str,
        from_: str,
        refer_to: str,
        to_self: bool | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[None]:
        """Send a REFER to one endpoint."""
        return self._io(
            "POST",
            f"/endpoints/{_seg(tech)}/{_seg(resource)}/refer",
            _params(refer_to=refer_to, to_self=to_self, **{"from": from_}),
            _vars_body(variables),
            label=f"refer {tech}/{resource}",
        )


class DeviceStates(_Api):
    """``session.device_states``: custom device states (``Stasis:<name>``)."""

    __slots__ = ()

    @ari_operation("deviceStates.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every device state controlled through ARI."""
        return self._io("GET", "/deviceStates", label="list device states")

    @ari_operation("deviceStates.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """One device's state (``UNKNOWN`` for a device nobody set)."""
        return self._io("GET", f"/deviceStates/{_seg(name)}", label=f"get device state {name}")

    @ari_operation("deviceStates.update")
    def update(self, name: str, state: str) -> Call[None]:
        """Set ``Stasis:<name>`` to ``NOT_INUSE``, ``INUSE``, ``BUSY``, ``RINGING``, ``ONHOLD``, ..."""
        return self._io("PUT", f"/deviceStates/{_seg(name)}", {"deviceState": state}, label=f"set {name}")

    @ari_operation("deviceStates.delete")
    def delete(self, name: str) -> Call[None]:
        """Remove a ``Stasis:`` device state."""
        return self._io("DELETE", f"/deviceStates/{_seg(name)}", label=f"delete {name}")


class Mailboxes(_Api):
    """``session.mailboxes``: mailbox message counts."""

    __slots__ = ()

    @ari_operation("mailboxes.list")
    def list(self) -> Call[list[dict[str, Any]]]:
        """Every mailbox ARI knows."""
        return self._io("GET", "/mailboxes", label="list mailboxes")

    @ari_operation("mailboxes.get")
    def get(self, name: str) -> Call[dict[str, Any]]:
        """One mailbox's old and new message counts."""
        return self._io("GET", f"/mailboxes/{_seg(name)}", label=f"get mailbox {name}")

    @ari_operation("mailboxes.update")
    def update(self, name: str, old_messages: int, new_messages: int) -> Call[None]:
        """Set a mailbox's old and new message counts (creating it if needed)."""
        return self._io(
            "PUT",
            f"/mailboxes/{_seg(name)}",
            {"oldMessages": old_messages, "newMessages": new_messages},
            label=f"update mailbox {name}",
        )

    @ari_operation("mailboxes.delete")
    def delete(self, name: str) -> Call[None]:
        """Destroy a mailbox."""
        return self._io("DELETE", f"/mailboxes/{_seg(name)}", label=f"delete mailbox {name}")
