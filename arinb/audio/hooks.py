"""Getting a channel's audio: from the simulator's media log, or from a real Asterisk over ARI.

* :func:`audio_for_channel` renders what a simulated channel has sent so far (no network).
* :func:`record_channel_audio` asks a real (or simulated) Asterisk for it: it snoops the channel's outgoing
  audio, records the snoop channel, fetches the stored wav over ARI and cleans up after itself. With an
  arinb session or channel handle it is :meth:`arinb.Channel.audio <arinb.client.handles.Channel.audio>`
  (the one implementation, which waits for the snoop's StasisStart); its own REST-only steps serve other
  clients, which have nothing but ``request(method, path, params)``.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from arinb.audio.clip import AudioClip
from arinb.audio.rendering import render_clip, segments_span
from arinb.errors import AriError, AriHttpError, AriTimeoutError, AriUsageError

__all__ = ["audio_for_channel", "record_channel_audio"]


class _MediaLogSource(Protocol):
    def media_log(self, channel_id: str) -> Any: ...


def audio_for_channel(
    sim_engine: _MediaLogSource,
    channel_id: str,
    start: float | None = None,
    end: float | None = None,
    rate: int = 8000,
) -> AudioClip:
    """What the simulated channel ``channel_id`` has sent to its caller, as an :class:`AudioClip`.

    ``start`` defaults to the first segment's start, ``end`` to the engine clock's ``now()`` (or the last
    segment's end when the engine has no clock). The clip's ``start`` is that epoch time, its notes say
    when sounds had no files.

    >>> clip = audio_for_channel(sim.engine, channel.id)     # doctest: +SKIP
    >>> clip                                                 # a player  # doctest: +SKIP
    """
    segments = list(sim_engine.media_log(channel_id))
    first, last = segments_span(segments)
    if start is None:
        start = first
    if end is None:
        clock = getattr(sim_engine, "clock", None)
        now = getattr(clock, "now", None)
        if callable(now):
            end = float(now())
        elif last is not None:
            end = last
        else:
            raise AriUsageError("the media log has a segment still sounding: pass end=")
    end = max(end, start)
    return render_clip(segments, start, end, rate, title=f"channel {channel_id}")


# ---------------------------------------------------------------------------------------------------------
# Real Asterisk: snoop + record + fetch


Sleep = Callable[[float], Awaitable[Any]]


async def _call(session: Any, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """``session.request(method, path, params)``, awaited whatever it returns (a coroutine or a Call)."""
    result = session.request(method, path, dict(params or {}))
    if inspect.isawaitable(result):
        result = await result
    return result


def _body_bytes(reply: Any) -> bytes:
    """The bytes of a binary reply, whether ``request`` gave bytes or a response-like object."""
    if isinstance(reply, bytes | bytearray | memoryview):
        return bytes(reply)
    for name in ("body", "content", "data"):
        value = getattr(reply, name, None)
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
    raise AriError(f"expected the recording's wav bytes from session.request, got {type(reply).__name__}")


def _field(reply: Any, name: str) -> Any:
    if isinstance(reply, Mapping):
        return reply.get(name)
    body = getattr(reply, "body", None)
    if isinstance(body, Mapping):
        return body.get(name)
    return getattr(reply, name, None)


def _app_name(session: Any, app: str | None) -> str:
    if app:
        return app
    for attribute in ("apps", "app"):
        value = getattr(session, attribute, None)
        if isinstance(value, str) and value:
            return value.split(",")[0]
        if isinstance(value, list | tuple) and value:
            return str(value[0])
    raise AriUsageError("record_channel_audio needs app=: the Stasis application the snoop channel joins")


async def record_channel_audio(
    session: Any,
    channel: Any,
    seconds: float,
    *,
    app: str | None = None,
    name: str | None = None,
    spy: str = "out",
    sleep: Sleep = asyncio.sleep,
    fetch_timeout: float = 5.0,
) -> AudioClip:
    """Record ``seconds`` of what ``channel`` sends to its caller, over ARI, and return it as an AudioClip.

    ``channel`` is an arinb channel handle or a channel id. With an arinb session (or handle) this is
    ``channel.audio(seconds, app=app, spy=spy, sleep=sleep, name=name)``, awaited; ``fetch_timeout`` is then
    the handle's own. Any other client needs only ``request(method, path, params)``, for these steps:

    1. ``POST /channels/{id}/snoop?spy=out&app=APP`` (a snoop channel on the channel's outgoing audio;
       it enters Stasis ``APP``, which must be an application this session is connected as, so your
       StasisStart handlers see it too: its name starts with ``Snoop/``, let them skip it);
    2. ``POST /channels/{snoop}/record?name=NAME&format=wav&ifExists=overwrite`` (retried for up to 2 s while
       Asterisk answers 409 or 404: the snoop enters the application just after its reply);
    3. wait ``seconds`` (with ``sleep``: pass a scaled sleep for a sped-up simulator);
    4. ``POST /recordings/live/NAME/stop``, then ``GET /recordings/stored/NAME/file`` (retried briefly
       while Asterisk closes the file; through ``session.recordings.stored.file(NAME)`` when the session
       has it, since a generic request may decode a binary body as text);
    5. ``DELETE /recordings/stored/NAME`` and ``DELETE /channels/{snoop}``, also when a step failed.

    The recording is 8 kHz 16-bit; silence in it is exact zeros (the snoop fills gaps with zero frames).
    Note Asterisk's own quirks (AUDIO.md): the last ``total mod 160`` samples of a playback never reach the
    snoop, and an occasional 20 ms zero frame is inserted.

    >>> clip = await record_channel_audio(session, ch, 5.0, app="channel-tones")   # doctest: +SKIP
    >>> clip.dominant_frequency(0.5, 1.5)                                          # doctest: +SKIP
    440.0
    """
    if seconds <= 0:
        raise AriUsageError(f"seconds must be positive, got {seconds}")
    if spy not in ("out", "in", "both"):
        raise AriUsageError(f"spy must be 'out', 'in' or 'both', got {spy!r}")
    channel_id = channel if isinstance(channel, str) else getattr(channel, "id", None)
    if not channel_id:
        raise AriUsageError("record_channel_audio needs a channel handle or a channel id")
    handle = _arinb_channel(session, channel)
    if handle is not None:
        clip: AudioClip = await handle.audio(seconds, app=app, spy=spy, sleep=sleep, name=name)
        return clip
    app_name = _app_name(session, app)
    recording = name or f"arinb-listen-{uuid.uuid4().hex[:12]}"
    snoop_id: str | None = None
    live = stored = False
    try:
        snoop = await _call(session, "POST", f"/channels/{channel_id}/snoop", {"spy": spy, "app": app_name})
        snoop_id = _field(snoop, "id")
        if not snoop_id:
            raise AriError(f"the snoop reply had no channel id: {snoop!r}")
        await _record_when_in_stasis(session, snoop_id, recording)
        live = stored = True
        await sleep(seconds)
        await _call(session, "POST", f"/recordings/live/{recording}/stop")
        live = False
        data = await _fetch_stored(session, recording, fetch_timeout)
        return AudioClip.from_wav(data, title=f"channel {channel_id} ({spy})")
    finally:
        await _cleanup(session, recording, live=live, stored=stored, snoop_id=snoop_id)


def _arinb_channel(session: Any, channel: Any) -> Any:
    """arinb's handle for ``channel`` when arinb's client is in use (a handle, or an id on an AriSession)."""
    from arinb.client.handles import Channel
    from arinb.client.session import AriSession

    if isinstance(channel, Channel):
        return channel
    if isinstance(session, AriSession) and isinstance(channel, str):
        return session.channels.channel(channel)
    return None


async def _record_when_in_stasis(session: Any, snoop_id: str, recording: str, within: float = 2.0) -> None:
    """Start the recording on the snoop channel once it is in the application.

    Asterisk answers the snoop request before the snoop channel has entered Stasis: a record sent at once
    gets 409 "Channel not in Stasis application" (or 404) now and then (ASTERISK22.md; 6 times in 25 on a
    real Asterisk 22.10.1). This function only has ``session.request``, no events, so it retries those two
    answers briefly instead of waiting for the snoop's StasisStart (which ``Channel.audio`` does).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    params = {"name": recording, "format": "wav", "ifExists": "overwrite"}
    while True:
        try:
            await _call(session, "POST", f"/channels/{snoop_id}/record", params)
            return
        except AriHttpError as exc:
            if exc.status not in (404, 409) or loop.time() >= deadline:
                raise
        await asyncio.sleep(0.02)


async def _get_file(session: Any, recording: str) -> Any:
    """The stored file's bytes: ``session.recordings.stored.file(name)`` (arinb's client asks for bytes),
    else the generic ``session.request("GET", ".../file")``."""
    recordings = getattr(session, "recordings", None)
    fetch = getattr(getattr(recordings, "stored", None), "file", None)
    if callable(fetch):
        result = fetch(recording)
        return await result if inspect.isawaitable(result) else result
    return await _call(session, "GET", f"/recordings/stored/{recording}/file")


async def _fetch_stored(session: Any, recording: str, within: float) -> bytes:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return _body_bytes(await _get_file(session, recording))
        except AriHttpError as exc:
            # Asterisk moves the file into the stored list when it closes it: a 404 can come first.
            if exc.status != 404 or loop.time() >= deadline:
                raise
        if loop.time() >= deadline:
            raise AriTimeoutError(f"stored recording {recording!r} did not appear within {within} s")
        await asyncio.sleep(0.05)


async def _cleanup(session: Any, recording: str, *, live: bool, stored: bool, snoop_id: str | None) -> None:
    # Best effort: a failure here must not hide the error (or the clip) of the main steps.
    steps = [("POST", f"/recordings/live/{recording}/stop")] if live else []
    steps += [("DELETE", f"/recordings/stored/{recording}")] if stored else []
    steps += [("DELETE", f"/channels/{snoop_id}")] if snoop_id else []
    for method, path in steps:
        try:
            await _call(session, method, path)
        except AriError:
            pass
