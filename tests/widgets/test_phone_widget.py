"""The phone widget against the embedded simulator: call, state, DTMF, hang up, by clicking buttons."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import arinb
from arinb.widgets.phone import KEYS, Phone


@pytest.fixture
def sim() -> Iterator[arinb.Simulator]:
    with arinb.simulate(speed=50) as sim:
        yield sim


class App:
    """The channel-state app's session, collecting its events (the test is a plain script: no await)."""

    def __init__(self, session: arinb.AriSession) -> None:
        self.session = session
        self.events: list[arinb.Event] = []
        session.on("*", self.events.append)

    def first(self, event_type: str, timeout: float = 5.0) -> arinb.Event:
        wait_until(lambda: any(e.type == event_type for e in self.events), timeout)
        return next(e for e in self.events if e.type == event_type)


@pytest.fixture
def app(sim: arinb.Simulator) -> Iterator[App]:
    session = arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-state")
    yield App(session)
    session.close()


def wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_layout_idle(sim: arinb.Simulator) -> None:
    phone = Phone(sim, caller="alice", extension="1002")
    assert [k for row in KEYS for k in row] == list(phone.keypad)
    assert phone.caller_box.value == "alice" and phone.extension_box.value == "1002"
    assert not phone.call_button.disabled
    assert phone.hangup_button.disabled and all(b.disabled for b in phone.keypad.values())
    assert "idle" in phone.state_html.value


def test_call_shows_the_channel_and_its_state(sim: arinb.Simulator, app: App) -> None:
    phone = Phone(sim, caller="carol", extension="1002", poll=0.02)
    phone.call_button.click()
    event = app.first("StasisStart")
    assert event.channel.name == "PJSIP/carol-00000000"
    assert phone.channel_id == event.channel.id
    wait_until(lambda: "Ring" in phone.state_html.value)
    assert phone.call_button.disabled and not phone.hangup_button.disabled
    event.channel.answer()
    wait_until(lambda: "Up" in phone.state_html.value)


def test_keypad_sends_dtmf_to_the_app(sim: arinb.Simulator, app: App) -> None:
    phone = Phone(sim, caller="dave", extension="1002", poll=0.02)
    phone.call_button.click()
    app.first("StasisStart")
    phone.keypad["7"].click()
    assert app.first("ChannelDtmfReceived")["digit"] == "7"
    assert "pressed 7" in phone.log_html.value


def test_hang_up_from_the_caller_ends_the_call(sim: arinb.Simulator, app: App) -> None:
    phone = Phone(sim, caller="erin", extension="1002", poll=0.02)
    phone.call_button.click()
    app.first("StasisStart")
    phone.hangup_button.click()
    assert app.first("StasisEnd").channel.id == phone.channel_id
    assert app.first("ChannelHangupRequest")["cause"] == 16
    wait_until(lambda: "gone" in phone.state_html.value)
    assert not phone.call_button.disabled and phone.hangup_button.disabled


def test_errors_show_in_the_log_not_as_exceptions(sim: arinb.Simulator) -> None:
    phone = Phone(sim, caller="frank", extension="")
    phone.call_button.click()
    assert "dial an extension first" in phone.log_html.value
    # The hang-up button is disabled while idle; from code it is a clear usage error.
    with pytest.raises(arinb.AriUsageError, match="no call to hang up"):
        phone.hang_up()


def test_listen_plays_what_the_caller_heard() -> None:
    # A manual clock: the app's play reaches the simulator at the call's own instant however loaded the
    # machine, and "6 s later" is exact (on a sped-up clock, 0.1 s of scheduling delay is 5 s of ringing).
    with arinb.simulate(clock="manual") as sim:
        session = arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-tones")
        session.on("StasisStart", lambda ev: ev.channel.play("tone:ring;tonezone=fr"))
        playing = session.expect("PlaybackStarted", timeout=10)
        phone = Phone(sim, caller="gina", extension="1000", poll=0.02)
        assert phone.listen_button.disabled
        with pytest.raises(arinb.AriUsageError, match="dial first"):
            phone.heard()
        phone.call_button.click()
        wait_until(lambda: phone.call_started is not None and not phone.listen_button.disabled)
        assert phone.call_started is not None
        playing.result()
        sim.clock.advance(6.5)
        phone.listen_button.click()
        clip = phone.listen_clip
        assert clip is not None and clip.duration == pytest.approx(6.5)
        assert bytes(phone.listen_audio.value) == clip.to_wav_bytes()
        assert phone.listen_audio.layout.display is None and "s heard" in phone.listen_html.value
        # The fr ring, as the app played it: 440 Hz, 1.5 s on, 3.5 s off.
        assert clip.dominant_frequency(0.2, 1.3) == pytest.approx(440, abs=0.5)
        assert [round(on, 1) for on, _ in clip.on_off_cadence()[:1]] == [1.5]
        assert clip.peak(2.0, 4.5) == 0
        phone.hangup_button.click()
        wait_until(lambda: "gone" in phone.state_html.value)
        after = phone.heard()  # the last call, still: its media log outlives the channel
        assert phone.call_ended is not None and after.duration >= clip.duration
        assert after.duration == pytest.approx(phone.call_ended - phone.call_started, abs=0.001)
        session.close()
