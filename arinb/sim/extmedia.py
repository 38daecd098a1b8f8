"""``POST /channels/externalMedia``: a channel whose media goes to an outside program (Asterisk 22.10.1).

Asterisk picks a channel driver from ``transport``/``encapsulation``: chan_rtp (udp/rtp), chan_audiosocket
(tcp/audiosocket) or chan_websocket (websocket/none). The simulator has no RTP or AudioSocket peer to talk
to, so it validates every request exactly as ``ast_ari_channels_external_media`` does (same checks, same
order, same messages) and then carries out the WebSocket server mode: the one a notebook can use with
nothing else installed. The other transports answer 501 "... needs chan_rtp/chan_audiosocket" once their
parameters are valid.

The WebSocket server mode (``connection_type=server``), as captured (shared/ari/ASTERISK22.md):

* 200 with the channel ``WebSocket/INCOMING/0x<hex>`` (Down, dialplan AppDial2) plus ``channelvars``
  ``MEDIA_WEBSOCKET_CONNECTION_ID`` (a UUID) and ``MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE``; the app is
  subscribed to the channel for its life; ``Dial`` (dialstatus "", dialstring ``INCOMING``) follows.
* The client connects to ``ws://<server>/media/<connection id>`` (:mod:`arinb.sim.mediasocket`): the text
  message ``MEDIA_START ...`` first, then ChannelStateChange(Up), Dial ANSWER, STASISSTATUS "",
  StasisStart. Never connected: ChannelDestroyed (19, "User alerting, no answer") 30.9 s later, no other
  event.
* Text commands (``GET_STATUS``, ``MARK_MEDIA``, ``HANGUP`` ...; JSON with ``transport_data=f(json)``), and
  ``DTMF_END`` for each digit ARI sends the channel.
* Binary frames: 20 ms of what the channel hears (its media log: a playback on it, on its bridge, music on
  hold), in the channel's format (slin: 320 bytes), one every 20 ms while something sounds, none otherwise.
* The client closes the socket: the channel hangs up (cause 16, ``tech_cause`` 1001) and Asterisk answers
  the close with 1001. ARI hangs the channel up: Asterisk closes the socket with 1000.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=1796539687.0))
>>> conn = engine.connect_app(["probe"])
>>> reply = asyncio.run(engine.handle("channels.externalMedia", query={"app": "probe", "format": "slin",
...     "transport": "websocket", "encapsulation": "none", "connection_type": "server"}))
>>> reply.status, reply.body["name"].startswith("WebSocket/INCOMING/0x"), sorted(reply.body["channelvars"])
(200, True, ['MEDIA_WEBSOCKET_CONNECTION_ID', 'MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE'])
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import sys
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from arinb.media_log import MediaSegment
from arinb.sim.catalog import tone_zones
from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.clock import TimerHandle
    from arinb.sim.services import Services

__all__ = [
    "DIAL_TIMEOUT",
    "FORMATS",
    "ExternalMedia",
    "MediaSession",
    "MediaSink",
]

log = logging.getLogger("arinb.sim")

#: A media channel never connected is destroyed this long after it was made (observed 30.956 s: the
#: originate's 30 s dial timeout, then chan_websocket's last wait for the connection).
DIAL_TIMEOUT = 30.95
#: One frame: chan_websocket's ptime for every format the simulator speaks.
PTIME = 0.020
#: Bytes per 20 ms frame (``MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE``) and sample rate, by Asterisk format name.
FORMATS: dict[str, tuple[int, int]] = {
    "slin": (320, 8000),
    "slin12": (480, 12000),
    "slin16": (640, 16000),
    "slin24": (960, 24000),
    "slin32": (1280, 32000),
    "slin44": (1764, 44100),
    "slin48": (1920, 48000),
    "slin96": (3840, 96000),
    "slin192": (7680, 192000),
    "ulaw": (160, 8000),
    "alaw": (160, 8000),
}
_DIRECTIONS = ("both", "in", "out")
#: chan_websocket's frame queue (frames the client sent, played to the channel one per 20 ms).
QUEUE_MAX, XOFF_LEVEL, XON_LEVEL = 1000, 900, 800
#: chan_websocket ignores a text message longer than this.
MAX_TEXT = 128
#: How far ahead the frames are rendered at once (a file is decoded once per block, not per frame).
RENDER_BLOCK = 1.0
#: WebSocket close codes chan_websocket uses.
CLOSE_NORMAL, CLOSE_GOING_AWAY = 1000, 1001


class MediaSink(Protocol):
    """The network side of one media socket (:class:`arinb.sim.mediasocket.WebSocketSink`)."""

    def send_text(self, text: str) -> None: ...

    def send_bytes(self, data: bytes) -> None: ...

    def close(self, code: int) -> None: ...


@dataclass(eq=False)
class MediaSession:
    """One externalMedia WebSocket channel: its connection id, format, and the socket once connected."""

    feature: ExternalMedia
    channel: Channel
    connection_id: str
    app: str
    args: list[str]
    fmt: str
    json_control: bool
    direction: str = "both"
    sink: MediaSink | None = None
    closed: bool = False
    queue: list[bytes] = field(default_factory=list)  # frames from the client, not yet played
    marks: list[tuple[int, str]] = field(default_factory=list)  # (frames before it, correlation id)
    leftover: bytes = b""
    bulk: bool = False
    paused: bool = False
    queue_full: bool = False
    report_drained: bool = False
    drain_timer: TimerHandle | None = None
    frame_timer: TimerHandle | None = None
    rendered: tuple[float, bytes, Any] | None = None  # (block start, pcm bytes, log signature)
    ring: MediaSegment | None = None  # the ring indication tone Asterisk plays to it

    # -- the client's messages ---------------------------------------------------------------------------
    def receive_text(self, text: str) -> None:
        """A text message from the client: a command (plain ``NAME data`` or JSON ``{"command": ...}``)."""
        if self.closed or not text or len(text) > MAX_TEXT:
            return  # chan_websocket logs a warning and ignores it
        self.feature.command(self, text.strip())

    def receive_bytes(self, data: bytes) -> None:
        """Audio from the client: queued as frames, played to the channel one per 20 ms."""
        if not self.closed:
            self.feature.client_audio(self, data)

    def client_closed(self, code: int | None) -> None:
        """The client closed the socket (or the connection dropped): the channel hangs up."""
        if not self.closed:
            self.closed = True
            self.feature.hangup_from_client(self)

    # -- messages to the client --------------------------------------------------------------------------
    def event(self, name: str, **fields: Any) -> None:
        """Send one control message in the session's format (plain text or JSON)."""
        if self.sink is None or self.closed:
            return
        if self.json_control:
            body: dict[str, Any] = {"event": name}
            if name not in ("MEDIA_START",):
                body["channel_id"] = self.channel.id
            body.update(fields)
            self.sink.send_text(json.dumps(body, separators=(",", ":")))
        else:
            self.sink.send_text(_plain(name, self.channel.id, fields))


def _plain(name: str, channel_id: str, fields: dict[str, Any]) -> str:
    """chan_websocket's plain-text form of a control message."""
    if name == "MEDIA_START":
        return "MEDIA_START " + " ".join(f"{k}:{v}" for k, v in fields.items() if k != "channel_variables")
    if name == "STATUS":
        parts = [f"channel_id:{channel_id}"] + [f"{k}:{_word(v)}" for k, v in fields.items()]
        return "STATUS " + " ".join(parts)
    if name == "DTMF_END":
        return f"DTMF_END digit:{fields['digit']} channel_id:{channel_id}"
    if name == "ERROR":
        return f"ERROR channel_id:{channel_id} error_text:{fields['error_text']}"
    if name in ("MEDIA_MARK_PROCESSED", "MEDIA_BUFFERING_COMPLETED"):
        ident = fields.get("correlation_id") or ""
        return f"{name} {ident}" if ident else name
    return name  # MEDIA_XON, MEDIA_XOFF, QUEUE_DRAINED


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ExternalMedia:
    """The externalMedia operation and its WebSocket media sessions (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.sessions: dict[str, MediaSession] = {}  # connection id -> session
        self.by_channel: dict[str, MediaSession] = {}
        self._pointer = 0x7F8BCC00B2C0

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {"channels.externalMedia": self._op_external_media}

    # -- the operation -----------------------------------------------------------------------------------
    def _op_external_media(self, req: Request) -> Reply:
        # The checks of ast_ari_channels_external_media, in its order.
        app = req.get("app")
        if not app:
            return error(400, "app cannot be empty")
        transport = req.get("transport") or "udp"
        encapsulation = req.get("encapsulation") or "rtp"
        if transport == "websocket" and encapsulation != "none":
            return error(400, "encapsulation must be 'none' for websocket transport")
        if encapsulation == "rtp" and transport != "udp":
            return error(400, "transport must be 'udp' for rtp encapsulation")
        if encapsulation == "audiosocket" and transport != "tcp":
            return error(400, "transport must be 'tcp' for audiosocket encapsulation")
        connection_type = req.get("connection_type") or "client"
        if transport != "websocket" and connection_type == "server":
            return error(400, "'server' connection_type can only be used with the websocket transport")
        host = req.get("external_host") or ""
        if not host:
            if connection_type == "client":
                return error(400, "external_host is required for all but websocket server connections")
            host = "INCOMING"
        if transport == "websocket":
            if connection_type == "client":
                # res_websocket_client's websocket_client.conf: the simulator has no connections defined.
                return error(400, "external_host must be a valid websocket_client connection id.")
        elif not _host_port(host):
            return error(400, "external_host must be <host>:<port> for all transports other than websocket")
        fmt = req.get("format")
        if not fmt:
            return error(400, "format cannot be empty")
        direction = req.get("direction")
        if direction and direction not in _DIRECTIONS:
            return error(400, "Invalid direction specified")
        if encapsulation == "rtp" and transport == "udp":
            return self._not_simulated("chan_rtp (UnicastRTP)")
        if encapsulation == "audiosocket" and transport == "tcp":
            if not req.get("data"):
                return error(400, "data can not be empty")
            return self._not_simulated("chan_audiosocket")
        if encapsulation == "none" and transport == "websocket":
            return self._websocket(req, app, host, fmt, direction)
        return error(501, "The encapsulation and/or transport is not supported", "Not Implemented")

    @staticmethod
    def _not_simulated(driver: str) -> Reply:
        # Asterisk would create the channel and send media to external_host: the simulator has no network
        # peer for it. 501 says so plainly (README "Operations the simulator does not implement").
        return error(
            501,
            f"The arinb simulator does not implement this transport ({driver} sends media to "
            "external_host); use transport=websocket, encapsulation=none, connection_type=server",
            "Not Implemented",
        )

    def _websocket(self, req: Request, app: str, host: str, fmt: str, direction: str | None) -> Reply:
        k = self.k
        if fmt not in FORMATS:
            return error(500, "An internal error prevented this request from being handled")
        _load_renderer()
        channel_id = req.get("channelId")
        if channel_id and channel_id in k.channels:
            return error(409, "Channel with given unique ID already exists")
        transport_data = req.get("transport_data") or ""
        dialstring = host
        if transport_data:
            dialstring += "/" + transport_data
        if direction:
            dialstring += ("" if transport_data else "/") + f"d({direction})"
        # chan_websocket names the channel after its private structure's address.
        self._pointer += 0x1F090
        ch = k.new_channel(
            f"WebSocket/{host}/0x{self._pointer:012x}", "Down", "websocket", channel_id=channel_id
        )
        ch.context, ch.exten, ch.priority = "default", "s", 1
        ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        ch.outgoing = "app"
        ch.dialstring = dialstring
        for name, value in req.variables().items():
            ch.vars[name] = value
        connection_id = str(uuid.uuid4())
        size, _rate = FORMATS[fmt]
        ch.vars["MEDIA_WEBSOCKET_CONNECTION_ID"] = connection_id
        ch.vars["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] = str(size)
        # ``data`` is the originate's appArgs (ari_channels_handle_originate_with_id): StasisStart's args.
        data = req.get("data")
        session = MediaSession(
            self,
            ch,
            connection_id,
            app,
            data.split(",") if data else [],
            fmt,
            json_control="f(json)" in transport_data.replace(" ", ""),
            direction=direction or "both",
        )
        self.sessions[connection_id] = session
        self.by_channel[ch.id] = session
        k.emit_channel("ChannelCreated", ch)
        k.bus.subscribe_channel(app, ch.id)  # like originate with app=: for the channel's whole life
        body = ch.to_json()
        body["channelvars"] = _sorted_vars(ch.vars)
        k.soon(self._dialed, session)
        k.later(ch, DIAL_TIMEOUT, self._never_connected, session)
        return Reply(200, body)

    def _dialed(self, session: MediaSession) -> None:
        if not session.channel.hungup:
            self.k.lifecycle.emit_dial(session.channel, "")

    def _never_connected(self, session: MediaSession) -> None:
        ch = session.channel
        if session.sink is not None or ch.hungup:
            return
        self._forget(session)
        # No hangup request, no Dial NOANSWER: only ChannelDestroyed (19, "User alerting, no answer").
        self.k.lifecycle.hangup(ch, cause=19, soft=None, quiet=True, destroy_cause=19)

    # -- the media socket --------------------------------------------------------------------------------
    def check_connect(self, connection_id: str) -> int:
        """200 if ``/media/<connection_id>`` may connect now; 404 unknown id; 409 already connected."""
        session = self.sessions.get(connection_id)
        if session is None or session.channel.hungup:
            return 404
        return 409 if session.sink is not None else 200

    def attach(self, connection_id: str, sink: MediaSink) -> MediaSession | None:
        """The client connected: MEDIA_START, then the channel answers and enters its app."""
        if self.check_connect(connection_id) != 200:
            return None
        session = self.sessions[connection_id]
        session.sink = sink
        ch = session.channel
        size, _rate = FORMATS[session.fmt]
        start: dict[str, Any] = {
            "connection_id": connection_id,
            "channel": ch.name,
            "channel_id": ch.id,
            "format": session.fmt,
            "optimal_frame_size": size,
            "ptime": int(PTIME * 1000),
        }
        if session.json_control:
            start["channel_variables"] = _sorted_vars(ch.vars)
        session.event("MEDIA_START", **start)
        k = self.k
        ch.state = "Up"
        k.emit_channel("ChannelStateChange", ch)
        k.lifecycle.emit_dial(ch, "ANSWER")
        ch.app_name, ch.app_data = "Stasis", ",".join([session.app, *session.args])
        if not k.lifecycle.enter_stasis(ch, session.app, session.args):
            k.lifecycle.hangup(ch, cause=16, soft=None, quiet=True)
            return session
        if self._audible(session, k.now()):
            self._start_frames(session)
        return session

    # -- commands ----------------------------------------------------------------------------------------
    def command(self, session: MediaSession, text: str) -> None:
        """One text command from the client (chan_websocket's ``handle_command``)."""
        data: str | None = None
        parsed: dict[str, Any] = {}
        if session.json_control:
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                session.event("ERROR", error_text="Unable to parse JSON command")
                return
            parsed = value
            command = parsed.get("command")
            data = parsed.get("correlation_id") if isinstance(parsed.get("correlation_id"), str) else None
        else:
            command, _, rest = text.partition(" ")
            data = rest or None
        if command == "GET_STATUS":
            session.event(
                "STATUS",
                queue_length=len(session.queue),
                xon_level=XON_LEVEL,
                xoff_level=XOFF_LEVEL,
                queue_full=session.queue_full,
                bulk_media=session.bulk,
                media_paused=session.paused,
            )
        elif command == "HANGUP":
            # Observed: ChannelHangupRequest (16, tech_cause 1000), ChannelDestroyed (0 "Unknown", 1000),
            # and Asterisk closes the socket with 1000.
            session.closed = True
            self._hangup(session, tech_cause=CLOSE_NORMAL, close_code=CLOSE_NORMAL, destroy_cause=0)
        elif command == "ANSWER":
            pass  # the channel is already up once the socket is connected
        elif command == "START_MEDIA_BUFFERING":
            if self._direction_refused(session, command):
                return
            session.bulk = True
        elif command == "STOP_MEDIA_BUFFERING":
            if self._direction_refused(session, command):
                return
            session.bulk = False
            if session.leftover:
                self._queue_frames(session, [session.leftover.ljust(FORMATS[session.fmt][0], b"\0")])
                session.leftover = b""
            self._mark(session, "MEDIA_BUFFERING_COMPLETED", data)
        elif command == "MARK_MEDIA":
            if self._direction_refused(session, command):
                return
            self._mark(session, "MEDIA_MARK_PROCESSED", data)
        elif command == "FLUSH_MEDIA":
            session.queue.clear()
            session.marks.clear()
            session.bulk = False
            session.leftover = b""
        elif command == "REPORT_QUEUE_DRAINED":
            session.report_drained = True
        elif command == "PAUSE_MEDIA":
            if not self._direction_refused(session, command):
                session.paused = True
        elif command == "CONTINUE_MEDIA":
            if not self._direction_refused(session, command):
                session.paused = False
                self._start_drain(session)
        elif command == "SET_MEDIA_DIRECTION":
            if not session.json_control:
                session.event("ERROR", error_text=f"{command} only supports JSON format.\n")
                return
            direction = parsed.get("direction")
            if not isinstance(direction, str):
                session.event("ERROR", error_text=f"{command} requires a 'direction' parameter.\n")
            elif direction not in _DIRECTIONS:
                session.event("ERROR", error_text=f"'{direction}' is not a valid direction for {command}.\n")
            else:
                session.direction = direction
                if self._audible(session, self.k.now()):
                    self._start_frames(session)
        else:
            log.debug("media WebSocket %s: unknown command %r ignored", session.channel.name, command)

    @staticmethod
    def _direction_refused(session: MediaSession, command: str) -> bool:
        # Commands about media the client sends make no sense while the channel only sends ("in").
        if session.direction == "in":
            session.event("ERROR", error_text=f"{command} not supported while media direction is 'in'")
            return True
        return False

    def _mark(self, session: MediaSession, name: str, correlation_id: str | None) -> None:
        """A mark in the frame queue: reported when the frames queued before it have played."""
        if not session.queue:
            session.event(name, correlation_id=correlation_id or "")
            return
        session.marks.append((len(session.queue), f"{name}\0{correlation_id or ''}"))
        self._start_drain(session)

    # -- audio from the client ---------------------------------------------------------------------------
    def client_audio(self, session: MediaSession, data: bytes) -> None:
        """Binary frames from the client go to the channel's frame queue (what the channel sends)."""
        if len(session.queue) >= QUEUE_MAX or session.direction == "in":
            return
        size = FORMATS[session.fmt][0]
        buf = session.leftover + data if session.bulk else data
        frames = [buf[i : i + size] for i in range(0, len(buf) - len(buf) % size, size)]
        rest = buf[len(frames) * size :]
        if session.bulk:
            session.leftover = rest
        elif rest:
            frames.append(rest.ljust(size, b"\0"))
        self._queue_frames(session, frames)

    def _queue_frames(self, session: MediaSession, frames: list[bytes]) -> None:
        for frame in frames:
            if len(session.queue) >= QUEUE_MAX:
                break
            session.queue.append(frame)
        if not session.queue_full and len(session.queue) >= XOFF_LEVEL:
            session.queue_full = True
            session.event("MEDIA_XOFF")
        self._start_drain(session)

    def _start_drain(self, session: MediaSession) -> None:
        if session.drain_timer is None and not session.closed:
            session.drain_timer = self.k.clock.call_later(PTIME, self._drain, session)

    def _drain(self, session: MediaSession) -> None:
        """Play one queued frame to the channel (every 20 ms while frames are queued and not paused)."""
        session.drain_timer = None
        if session.closed or session.channel.hungup or session.paused:
            return  # CONTINUE_MEDIA starts the clock again
        if session.queue:
            session.queue.pop(0)
            session.marks = [(n - 1, m) for n, m in session.marks]
        while session.marks and session.marks[0][0] <= 0:
            name, _, ident = session.marks.pop(0)[1].partition("\0")
            session.event(name, correlation_id=ident)
        if session.queue_full and len(session.queue) < XON_LEVEL:
            session.queue_full = False
            session.event("MEDIA_XON")
        if not session.queue:
            if session.report_drained:
                session.report_drained = False
                session.event("QUEUE_DRAINED")
            if not session.marks:
                return
        self._start_drain(session)

    # -- DTMF and hangup ---------------------------------------------------------------------------------
    def indicate(self, ch: Channel, ringing: bool) -> None:
        """``POST/DELETE /channels/{id}/ring`` on a media channel: chan_websocket has no indication of its
        own, so Asterisk plays the ring tone (default country) to it; stopping ends it (observed: frames)."""
        session = self.by_channel.get(ch.id)
        if session is None:
            return
        now = self.k.now()
        if session.ring is not None:
            if session.ring.end is None or session.ring.end > now:
                session.ring.end = now
            session.ring = None
        if ringing:
            spec = tone_zones().tone(None, "ring") or ""
            session.ring = MediaSegment(ch.id, now, None, "tone", spec, 0.0, None, "indication:ring")
            self.k.log_segment(ch.id, session.ring)

    def session_of(self, ch: Channel) -> MediaSession | None:
        """The media session of a WebSocket channel, if ``ch`` is one."""
        return self.by_channel.get(ch.id)

    def dtmf(self, ch: Channel, digit: str) -> None:
        """ARI sent a digit to the channel: ``DTMF_END`` on its socket (chan_websocket has no digit begin)."""
        session = self.by_channel.get(ch.id)
        if session is not None and not ch.hungup:
            session.event("DTMF_END", digit=digit)

    def hangup_from_client(self, session: MediaSession) -> None:
        self._hangup(session, tech_cause=CLOSE_GOING_AWAY, close_code=None)

    def _hangup(
        self, session: MediaSession, *, tech_cause: int, close_code: int | None, destroy_cause: int = 16
    ) -> None:
        ch = session.channel
        self._forget(session, close_code)
        if not ch.hungup:
            self.k.lifecycle.hangup(
                ch, cause=16, soft=None, tech_cause=tech_cause, destroy_cause=destroy_cause
            )

    def channel_gone(self, ch: Channel) -> None:
        """The channel hung up (ARI DELETE, its bridge's end...): Asterisk closes the socket with 1000."""
        session = self.by_channel.get(ch.id)
        if session is not None:
            self._forget(session, CLOSE_NORMAL)

    def _forget(self, session: MediaSession, close_code: int | None = None) -> None:
        self.sessions.pop(session.connection_id, None)
        self.by_channel.pop(session.channel.id, None)
        for timer in (session.frame_timer, session.drain_timer):
            if timer is not None:
                timer.cancel()
        session.frame_timer = session.drain_timer = None
        sink, session.sink = session.sink, None
        session.closed = True
        if sink is not None and close_code is not None:
            sink.close(close_code)

    # -- what the channel hears: binary frames -----------------------------------------------------------
    def segment_logged(self, channel_id: str, segment: MediaSegment) -> None:
        """The kernel logged audio for a channel: a connected media channel starts sending frames."""
        session = self.by_channel.get(channel_id)
        if session is not None and session.ring is not None and segment is not session.ring:
            session.ring.end = segment.start  # other audio replaces the ring tone generator
            session.ring = None
        idle = session is not None and session.sink is not None and session.frame_timer is None
        if idle and session is not None and self._audible(session, self.k.now()):
            self._start_frames(session)

    def _audible(self, session: MediaSession, t: float) -> bool:
        if session.sink is None:
            return False
        if session.direction == "in":
            return False  # d(in): the channel only receives media from the client
        for seg in self.k.media_log(session.channel.id):
            if seg.start <= t + PTIME and (seg.end is None or seg.end > t):
                return True
        return False

    def _start_frames(self, session: MediaSession) -> None:
        if session.frame_timer is None:
            self._frame(session)

    def _frame(self, session: MediaSession) -> None:
        """Send the next 20 ms of what the channel hears, and come back in 20 ms while anything sounds."""
        session.frame_timer = None
        if session.sink is None or session.closed:
            return
        now = self.k.now()
        if not self._audible(session, now):
            session.rendered = None
            return
        frame = self._pcm(session, now)
        last = self._sound_ends(session, now)
        if last is not None and last < now + PTIME:
            # A file's last, partial frame goes out short (observed: beep's 21 frames of 320 bytes + 44).
            _size, rate = FORMATS[session.fmt]
            width = 1 if session.fmt in ("ulaw", "alaw") else 2
            frame = frame[: max(0, round((last - now) * rate)) * width]
            if frame:
                session.sink.send_bytes(frame)
            session.rendered = None
            return
        session.sink.send_bytes(frame)
        session.frame_timer = self.k.clock.call_later(PTIME, self._frame, session)

    def _sound_ends(self, session: MediaSession, t: float) -> float | None:
        """When what the channel hears from ``t`` on ends (None: something sounds with no end yet)."""
        last = t
        for seg in self.k.media_log(session.channel.id):
            if seg.end is not None and seg.end <= t:
                continue
            if seg.end is None:
                return None
            last = max(last, seg.end)
        return last

    def _pcm(self, session: MediaSession, t: float) -> bytes:
        size, rate = FORMATS[session.fmt]
        segments = self.k.media_log(session.channel.id)
        signature = tuple((seg.start, seg.end, seg.source) for seg in segments[-8:]), len(segments)
        cached = session.rendered
        samples_per_frame = round(rate * PTIME)
        if cached is not None:
            start, pcm, sig = cached
            offset = round((t - start) * rate)
            if sig == signature and offset >= 0 and (offset + samples_per_frame) * 2 <= len(pcm):
                return _encode(pcm[offset * 2 : (offset + samples_per_frame) * 2], session.fmt, size)
        pcm = _render(segments, t, t + RENDER_BLOCK, rate)
        session.rendered = (t, pcm, signature)
        return _encode(pcm[: samples_per_frame * 2], session.fmt, size)


def _sorted_vars(values: dict[str, str]) -> dict[str, str]:
    """The channel's variables as Asterisk lists them in ``channelvars`` and MEDIA_START: by name."""
    return {name: values[name] for name in sorted(values)}


def _host_port(text: str) -> bool:
    """``host:port`` with a port (``ast_sockaddr_split_hostport`` with PARSE_PORT_REQUIRE)."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    return bool(host and sep and port.isdigit())


def _load_renderer() -> None:
    """Import the audio renderer (numpy) when a media channel is made, not at its first frame.

    The import takes a few hundred milliseconds once: paid by the externalMedia request, it does not hold
    the first frames back. (A background import would let other code see a half-imported numpy.)
    """
    if "arinb.audio" not in sys.modules and importlib.util.find_spec("numpy") is not None:
        importlib.import_module("arinb.audio")


def _render(segments: list[MediaSegment], start: float, end: float, rate: int) -> bytes:
    """Little-endian int16 PCM of what the segments sound like (silence when numpy is missing)."""
    n = round((end - start) * rate)
    try:
        from arinb.audio import render  # numpy: loaded only once a media socket hears something
    except ImportError:
        return b"\0\0" * n
    try:
        data = render(segments, start, end, rate).astype("<i2").tobytes()
    except Exception:  # a renderer problem must not stop the frames
        log.exception("rendering media frames failed; sending silence")
        return b"\0\0" * n
    return bytes(data[: 2 * n]).ljust(2 * n, b"\0")


def _encode(pcm: bytes, fmt: str, size: int) -> bytes:
    """One frame in the channel's format: slin as is, G.711 companded."""
    if fmt == "ulaw":
        return bytes(
            _ulaw(int.from_bytes(pcm[i : i + 2], "little", signed=True)) for i in range(0, len(pcm), 2)
        )
    if fmt == "alaw":
        return bytes(
            _alaw(int.from_bytes(pcm[i : i + 2], "little", signed=True)) for i in range(0, len(pcm), 2)
        )
    return pcm[:size].ljust(size, b"\0")


def _ulaw(sample: int) -> int:
    """G.711 mu-law of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw(sample: int) -> int:
    """G.711 A-law of one 16-bit sample."""
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55
