"""A phone for the simulator: call an extension as a named caller, hang up, send DTMF, see the state.

The phone is the caller's side of an inbound call (``PJSIP/<caller>-0000000N``): what the ARI app sees is
its channel entering ``Stasis`` through the dialplan. The view is refreshed by setting traits on a
throttle while a call is up; nothing is written into an output area.

>>> phone = arinb.widgets.phone.Phone(sim, caller="alice", extension="1000")   # doctest: +SKIP
>>> phone                                   # the widget                        # doctest: +SKIP
>>> phone.dial(); phone.press("1"); phone.hang_up()     # the same from code    # doctest: +SKIP
>>> phone.heard()                           # what the caller heard: an AudioClip  # doctest: +SKIP
"""

from __future__ import annotations

import html
import inspect
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from arinb.errors import AriError, AriUsageError
from arinb.loop import Call, EngineLoop

if TYPE_CHECKING:
    from arinb.audio import AudioClip

__all__ = ["KEYS", "Phone"]

_SIM_LOOP = "arinb-sim"  # the simulator's loop thread (arinb.sim.LOOP_NAME); its engine lives there

#: the keypad, row by row
KEYS = ("123", "456", "789", "*0#")

_STATE_COLOR = {"Ring": "#ef6c00", "Ringing": "#ef6c00", "Up": "#2e7d32", "Down": "#555", "gone": "#888"}


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class Phone(w.VBox):
    """A caller on the simulator.

    ``caller`` and ``extension`` are text boxes (``caller_box``, ``extension_box``); ``call_button``,
    ``hangup_button`` and the keypad's ``keypad["5"]`` are buttons; ``state_html`` shows the channel and
    its state; ``log_html`` lists what happened. ``channel_id`` is the current call's channel.
    ``listen_button`` puts what the caller has heard so far into ``listen_audio`` (a player), and
    ``listen_clip`` (an :class:`~arinb.audio.AudioClip`); :meth:`heard` gives it from code.
    """

    def __init__(
        self, sim: Any, caller: str = "alice", extension: str = "1000", *, poll: float = 0.25
    ) -> None:
        self.sim = sim
        self.poll = poll
        self.channel_id: str | None = None
        self.call_started: float | None = None  # simulated time the current call was placed
        self.call_ended: float | None = None  # ...and when the phone saw it gone
        self.state = ""
        self.history: list[str] = []
        self._engine = EngineLoop.shared()
        self._lock = threading.Lock()
        self._polling = False

        self.caller_box = w.Text(value=caller, description="Caller", layout=w.Layout(width="14em"))
        self.extension_box = w.Text(value=extension, description="Dial", layout=w.Layout(width="14em"))
        self.call_button = w.Button(description="Call", icon="phone", button_style="success")
        self.hangup_button = w.Button(description="Hang up", icon="phone-slash", button_style="danger")
        self.call_button.add_class("arinb-phone-call")
        self.hangup_button.add_class("arinb-phone-hangup")
        self.keypad: dict[str, w.Button] = {}
        rows = []
        for row in KEYS:
            buttons = []
            for key in row:
                b = w.Button(description=key, layout=w.Layout(width="3em", height="2.4em"))
                b.on_click(lambda _b, k=key: self._act(self.press, k))
                self.keypad[key] = b
                buttons.append(b)
            rows.append(w.HBox(buttons))
        self.state_html = w.HTML()
        self.log_html = w.HTML()
        self.listen_button = w.Button(description="Listen", icon="volume-up", tooltip="What I heard so far")
        self.listen_button.add_class("arinb-phone-listen")
        self.listen_html = w.HTML()
        self.listen_audio = w.Audio(format="wav", autoplay=False, loop=False)
        self.listen_audio.layout.display = "none"
        # The player joins the view with its first sound: an Audio view with no bytes makes the browser
        # fetch an empty blob, which the console reports as an error.
        self._listen_slot = w.Box([])
        self.listen_clip: Any = None
        self.call_button.on_click(lambda _b: self._act(self.dial))
        self.hangup_button.on_click(lambda _b: self._act(self.hang_up))
        self.listen_button.on_click(lambda _b: self.listen())
        super().__init__(
            children=[
                w.HTML("<b>☎ phone</b> <span style='color:#888'>(simulator caller)</span>"),
                w.HBox([self.caller_box, self.extension_box]),
                w.HBox([self.call_button, self.hangup_button, self.listen_button]),
                self.state_html,
                w.VBox(rows),
                self.listen_html,
                self._listen_slot,
                self.log_html,
            ],
            layout=w.Layout(border="1px solid #ccc", padding="6px", width="max-content"),
        )
        self.add_class("arinb-phone")
        self._render()

    # -- actions (also usable from code) -------------------------------------------------------------

    def dial(self) -> Call[str]:
        """Call ``extension_box.value`` as ``caller_box.value``; gives the new channel's id."""
        return self._engine.call(self._dial(), label="phone.dial")

    def hang_up(self) -> Call[None]:
        """Hang up the current call from the caller's side."""
        return self._engine.call(self._hang_up(), label="phone.hang_up")

    def press(self, digits: str) -> Call[None]:
        """Send DTMF ``digits`` (0-9, *, #, A-D) from the caller."""
        return self._engine.call(self._press(digits), label=f"phone.press {digits}")

    async def _dial(self) -> str:
        if self.channel_id is not None and self.state not in ("", "gone"):
            raise AriUsageError("the phone is already in a call: hang up first")
        caller = self.caller_box.value.strip() or "anonymous"
        extension = self.extension_box.value.strip()
        if not extension:
            raise AriUsageError("dial an extension first")
        started = _sim_now(self.sim)
        channel_id = await self.sim.call(extension, caller=caller)
        self.call_started, self.call_ended = started, None
        self.channel_id = str(channel_id)
        self.state = self._read_state() or "Ring"
        self._say(f"called {extension} as {caller}: channel {self.channel_id}")
        self._start_polling()
        return self.channel_id

    async def _hang_up(self) -> None:
        if self.channel_id is None or self.state == "gone":
            raise AriUsageError("no call to hang up")
        await _maybe_await(self._sim_op("remote_hangup", self.channel_id))
        self._say("hung up")
        self.state = self._read_state() or "gone"
        self._note_end()
        self._render()

    async def _press(self, digits: str) -> None:
        if self.channel_id is None or self.state == "gone":
            raise AriUsageError("no call to send DTMF on")
        await _maybe_await(self._sim_op("caller_dtmf", self.channel_id, digits))
        self._say(f"pressed {digits}")

    def heard(self) -> AudioClip:
        """What the caller has heard in the current (or last) call so far, from the simulator's media log.

        >>> phone.heard().dominant_frequency(0.1, 1.4)     # ringing in France   # doctest: +SKIP
        440.0
        """
        from arinb.scenarios.listen import CallAudio, media_log_engine

        if self.channel_id is None or self.call_started is None:
            raise AriUsageError("no call yet: dial first")
        engine = media_log_engine(self.sim)
        if engine is None:
            raise AriUsageError("this simulator keeps no media log to listen to")
        title = f"what {self.caller_box.value.strip() or 'the caller'} heard"
        audio = CallAudio.from_media_log(title, engine, self.channel_id, self.call_started)
        audio.end = self.call_ended
        return audio.clip()

    def listen(self) -> None:
        """Put what the caller heard so far into the player (the Listen button)."""
        try:
            clip = self.heard()
        except AriError as exc:
            self._say(f"{type(exc).__name__}: {exc}", error=True)
            return
        self.listen_clip = clip
        self.listen_html.value = f"<span style='font-size:85%'>{clip.duration:.2f} s heard</span>"
        if len(clip):
            self.listen_audio.value = clip.to_wav_bytes()
            self.listen_audio.layout.display = None
            self._listen_slot.children = (self.listen_audio,)
        self._render()

    def _sim_op(self, name: str, *args: Any) -> Any:
        """The simulator engine's caller-side operation (``remote_hangup``, ``caller_dtmf``), on its loop."""
        engine = self.sim.engine
        fn = getattr(engine, name, None)
        if fn is None:
            raise AriUsageError(f"this simulator has no caller-side {name}()")
        return EngineLoop.shared(_SIM_LOOP).run_sync(lambda: fn(*args))

    def _act(self, action: Any, *args: Any) -> None:
        try:
            call = action(*args)
        except AriError as exc:
            self._say(f"{type(exc).__name__}: {exc}", error=True)
            return
        call.add_done_callback(self._done)

    def _done(self, call: Call[Any]) -> None:
        exc = call.exception()
        if exc is not None:
            self._say(f"{type(exc).__name__}: {exc}", error=True)

    # -- state -----------------------------------------------------------------------------------------

    def _read_state(self) -> str:
        """The channel's state in the simulator ("" if unknown, "gone" once hung up)."""
        if self.channel_id is None:
            return ""
        try:
            engine = self.sim.engine
        except Exception:
            return ""
        channel_id = self.channel_id

        def lookup() -> str:
            getter = getattr(engine, "get_channel", None)
            if getter is not None:
                ch = getter(channel_id)
            else:
                channels = getattr(engine, "channels", {})
                ch = channels.get(channel_id) if hasattr(channels, "get") else None
            if ch is None:
                return "gone"
            return str(_field(ch, "state") or "")

        try:
            return EngineLoop.shared(_SIM_LOOP).run_sync(lookup)
        except Exception:
            return ""

    def _note_end(self) -> None:
        # When the call ended, for heard(): the first time the phone sees it gone.
        if self.state == "gone" and self.call_ended is None:
            self.call_ended = _sim_now(self.sim)

    def _start_polling(self) -> None:
        with self._lock:
            if self._polling:
                return
            self._polling = True
        self._engine.call_soon(self._poll)

    def _poll(self) -> None:
        state = self._read_state()
        if state:
            self.state = state
        self._note_end()
        self._render()
        if self.state == "gone":
            with self._lock:
                self._polling = False
            return
        self._engine.loop.call_later(self.poll, self._poll)

    def refresh(self) -> None:
        """Read the channel's state now and update the view."""
        state = self._read_state()
        if state:
            self.state = state
        self._note_end()
        self._render()

    def _say(self, line: str, *, error: bool = False) -> None:
        style = "color:#c62828" if error else "color:#333"
        self.history.append(line)
        self.history = self.history[-8:]
        entries = [
            f"<div style='{style if i == len(self.history) - 1 else 'color:#333'}'>{html.escape(x)}</div>"
            for i, x in enumerate(self.history)
        ]
        self.log_html.value = "<div style='font-size:85%'>" + "".join(entries) + "</div>"
        self._render()

    def _render(self) -> None:
        in_call = self.channel_id is not None and self.state not in ("", "gone")
        self.call_button.disabled = in_call
        self.hangup_button.disabled = not in_call
        self.listen_button.disabled = self.channel_id is None
        for b in self.keypad.values():
            b.disabled = not in_call
        if self.channel_id is None:
            self.state_html.value = "<span style='color:#888'>idle</span>"
            return
        color = _STATE_COLOR.get(self.state, "#333")
        self.state_html.value = (
            f"channel <code>{html.escape(self.channel_id)}</code>: "
            f"<b class='arinb-phone-state' style='color:{color}'>{html.escape(self.state or '?')}</b>"
        )


def _sim_now(sim: Any) -> float | None:
    """The simulator clock's time (None if it has none: then the phone cannot listen)."""
    clock = getattr(sim, "clock", None)
    now = getattr(clock, "now", None)
    try:
        return float(now()) if callable(now) else None
    except Exception:
        return None


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
