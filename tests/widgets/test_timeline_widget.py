"""The live timeline widget and the shared Throttle, driven without a kernel (set traits, assert state)."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from testkit.data import TRACES

from arinb.errors import AriUsageError
from arinb.models import format_timestamp
from arinb.timeline import Timeline
from arinb.widgets.throttle import Throttle
from arinb.widgets.timeline import ALL, REQUESTS, TimelineWidget


@pytest.fixture
def tones() -> Timeline:
    return Timeline.from_trace(TRACES / "tones.json")


@pytest.fixture
def make_widget():
    made: list[TimelineWidget] = []

    def make(tl: Timeline, **kw) -> TimelineWidget:
        kw.setdefault("live", False)
        widget = TimelineWidget(tl, **kw)
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.close()


def _flood(tl: Timeline, count: int, start: int = 0, channels: int = 10) -> None:
    for i in range(start, start + count):
        c = i % channels
        tl.add_event(
            {
                "type": "ChannelDtmfReceived",
                "digit": "1",
                "channel": {"id": f"f{c}", "name": f"PJSIP/f{c}", "state": "Up"},
            },
            time.time(),
        )


def _stamped(tl: Timeline, received_at: float, stamp: float) -> None:
    """One event stamped ``stamp`` by the server's clock, received at ``received_at`` (wall clock)."""
    event = {"type": "ChannelDtmfReceived", "timestamp": format_timestamp(stamp), "channel": {"id": "c1"}}
    tl.add_event(event, received_at)


T0 = 1795695288.0


def test_lag_is_receive_time_minus_timestamp_on_a_real_time_server(make_widget) -> None:
    tl = Timeline()
    for k in range(5):
        _stamped(tl, T0 + k + 0.012, T0 + k)  # the server's clock keeps wall pace; 12 ms on the way
    wd = make_widget(tl)
    assert [row[8] for row in wd.shown] == ["12.0"] * 5
    assert "lag hidden" not in wd.status_html.value and wd.lag_in_real_time


def test_lag_is_not_mixed_with_a_sped_up_servers_simulated_time(tmp_path: Path, make_widget) -> None:
    tl = Timeline()
    _stamped(tl, T0 + 0.012, T0)
    wd = make_widget(tl)
    assert wd.shown[0][8] == "12.0"  # one event: nothing says the clock is not real time yet
    for k in range(1, 5):  # a simulator at speed 50: 0.1 s of wall time is 5 simulated seconds
        _stamped(tl, T0 + 0.1 * k + 0.012, T0 + 5.0 * k)
    wd.refresh()
    # Before: received_at - timestamp gave -4888.0 ms and worse. Now no lag, also on the row shown before.
    assert [row[8] for row in wd.shown] == [""] * 5
    assert not wd.lag_in_real_time and "lag hidden" in wd.status_html.value
    # The same rows read back from a file: the widget sees the pace there too.
    back = make_widget(Timeline.read(tl.save(tmp_path / "fast.jsonl")))
    assert [row[8] for row in back.shown] == [""] * 5 and "lag hidden" in back.status_html.value


def test_a_receive_time_in_milliseconds_does_not_break_the_view(make_widget) -> None:
    tl = Timeline()
    tl.add_event({"type": "StasisStart", "channel": {"id": "c1"}}, received_at=T0 * 1000)
    wd = make_widget(tl)
    assert wd.shown[0][2] == "?" and wd.shown[0][4] == "StasisStart"


def test_initial_state(tones: Timeline, make_widget) -> None:
    wd = make_widget(tones, rows=5)
    assert wd.counts() == {
        "StasisStart": 1,
        "PlaybackStarted": 1,
        "PlaybackFinished": 1,
        "ChannelStateChange": 1,
        "ChannelHangupRequest": 1,
        "StasisEnd": 1,
        "connect": 1,
        "closed": 1,
        "requests": 5,
    }
    shown = wd.shown
    assert [row[1] for row in shown] == ["12", "11", "10", "9", "8"]  # newest first
    assert shown[1][4] == "StasisEnd" and shown[1][5] == "Local/1000@default-00000022;2"
    assert "DELETE /ari/channels/1795695288.69 → 204" in shown[3][4]
    assert "StasisEnd" in wd.table_html.value and "<table" in wd.table_html.value
    assert "<b>requests</b> 5" in wd.counts_html.value
    assert "13 rows" in wd.status_html.value
    values = [value for _, value in wd.type_filter.options]
    assert values[:2] == [ALL, REQUESTS] and "PlaybackStarted" in values
    assert wd.channel_filter.options[1] == ("Local/1000@default-00000022;2 (1795695288.69)", "1795695288.69")


def test_filters(tones: Timeline, make_widget) -> None:
    wd = make_widget(tones)
    wd.type_filter.value = "PlaybackStarted"
    wd.refresh()
    assert [row[4] for row in wd.shown] == ["PlaybackStarted"]
    assert wd.shown[0][7] == "tones-pb-1 tone:ring;tonezone=fr"
    wd.type_filter.value = REQUESTS
    wd.refresh()
    assert [row[0] for row in wd.shown] == ["request"] * 5
    wd.type_filter.value = ALL
    wd.channel_filter.value = "1795695288.69"
    wd.refresh()
    assert len(wd.shown) == 9  # six events, play/answer/hangup requests; not the originate
    assert all(row[5] in ("Local/1000@default-00000022;2", "1795695288.69") for row in wd.shown)
    wd.channel_filter.value = ALL
    wd.refresh()
    assert len(wd.shown) == 13


def test_new_rows_reach_the_view_and_only_they_are_read(make_widget) -> None:
    tl = Timeline()
    _flood(tl, 50_000)
    wd = make_widget(tl, rows=20)
    assert wd.counts() == {"ChannelDtmfReceived": 50_000}
    scanned = wd.rows_scanned
    _flood(tl, 7_000, start=50_000)
    wd.refresh()
    assert wd.counts() == {"ChannelDtmfReceived": 57_000}
    assert wd.shown[0][1] == "56999" and len(wd.shown) == 20
    # Unfiltered, a refresh reads only the newest rows it shows, not the 7,000 that came in.
    assert wd.rows_scanned - scanned == 20
    # Filtered, it scans only rows added since the last refresh.
    wd.channel_filter.value = "f3"
    wd.refresh()
    assert all(row[5] == "PJSIP/f3" for row in wd.shown) and len(wd.shown) == 20
    scanned = wd.rows_scanned
    _flood(tl, 100, start=57_000)
    wd.refresh()
    assert wd.rows_scanned - scanned == 100
    assert wd.shown[0][1] == "57093"  # the newest f3 row


def test_pause_and_resume(tones: Timeline, make_widget) -> None:
    wd = make_widget(tones)
    wd.pause_button.value = True
    assert wd.pause_button.description == "Resume"
    before = wd.table_html.value
    _flood(tones, 30)
    wd.refresh()
    assert wd.table_html.value == before
    assert "paused (30 new rows waiting)" in wd.status_html.value
    wd.pause_button.value = False
    wd.refresh()
    assert wd.shown[0][1] == str(len(tones) - 1)
    assert wd.counts()["ChannelDtmfReceived"] == 30


def test_unchanged_traits_are_not_sent(tones: Timeline, make_widget) -> None:
    wd = make_widget(tones)
    sent: list[str] = []
    wd.table_html.observe(lambda change: sent.append(change["name"]), "value")
    wd.refresh()
    wd.refresh()
    assert sent == []
    _flood(tones, 1)
    wd.refresh()
    assert sent == ["value"]


def test_live_refresh_from_a_writer_thread(make_widget) -> None:
    tl = Timeline()
    wd = make_widget(tl, rate=20, live=True)
    writer = threading.Thread(target=_flood, args=(tl, 20_000))
    writer.start()
    writer.join()
    deadline = time.monotonic() + 5
    while wd.counts().get("ChannelDtmfReceived") != 20_000 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert wd.counts() == {"ChannelDtmfReceived": 20_000}
    assert wd.shown[0][1] == "19999"
    assert wd.throttle.running and wd.throttle.last_error is None
    wd.close()
    assert not wd.throttle.running


def test_widget_on_a_timeline_read_from_a_file(tones: Timeline, tmp_path: Path, make_widget) -> None:
    back = Timeline.read(tones.save(tmp_path / "t.jsonl"))
    _flood(back, 2)
    wd = make_widget(back, rows=4)
    assert wd.counts()["StasisEnd"] == 1 and wd.counts()["requests"] == 5
    assert wd.counts()["ChannelDtmfReceived"] == 2
    assert [row[1] for row in wd.shown] == ["14", "13", "12", "11"]
    wd.channel_filter.value = "1795695288.69"
    wd.refresh()
    assert [row[4] for row in wd.shown][:2] == ["StasisEnd", "ChannelHangupRequest"]


def test_ipython_display_gives_widget_and_html(tones: Timeline, monkeypatch) -> None:
    import IPython.display

    shown: list[dict] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    tones._ipython_display_()
    bundle = shown[0]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "StasisEnd" in bundle["text/html"] and "<table" in bundle["text/html"]
    assert bundle["text/plain"] == "<Timeline 13 rows>"
    # Displaying again shows the same live view (one polling thread per timeline, not per display).
    tones._ipython_display_()
    assert (
        shown[1]["application/vnd.jupyter.widget-view+json"]
        == bundle["application/vnd.jupyter.widget-view+json"]
    )
    tones._display_widget.close()
    assert not tones._display_widget.throttle.running


def test_throttle_coalesces_pokes() -> None:
    calls: list[float] = []
    with Throttle(lambda: calls.append(time.monotonic()), rate=20) as throttle:
        for _ in range(10_000):
            throttle.poke()
        time.sleep(0.3)
        throttle.poke()
        time.sleep(0.2)
    assert 1 <= len(calls) <= 4
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(gap >= 0.045 for gap in gaps)
    assert not throttle.running


def test_throttle_poll_mode_and_errors() -> None:
    ticks: list[int] = []

    def refresh() -> None:
        ticks.append(1)
        if len(ticks) == 2:
            raise RuntimeError("boom")

    throttle = Throttle(refresh, rate=50, poll=True)
    deadline = time.monotonic() + 3
    while len(ticks) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    throttle.stop()
    throttle.stop()  # idempotent
    assert len(ticks) >= 5  # kept going after the error
    assert isinstance(throttle.last_error, RuntimeError)
    count = len(ticks)
    throttle.poke()
    time.sleep(0.05)
    assert len(ticks) == count
    throttle.flush()
    assert len(ticks) == count + 1


def test_throttle_rejects_bad_rate() -> None:
    with pytest.raises(AriUsageError):
        Throttle(lambda: None, rate=0)


def test_a_wide_table_scrolls_sideways_instead_of_being_cut() -> None:
    from arinb.widgets.timeline import render_rows

    row = ("event", "1", "12:00:00.000", "event", "PlaybackStarted", "PJSIP/alice-0", "", "x" * 200, "")
    html_text = render_rows([row])
    scroller = html_text.index("overflow-x:auto")
    assert scroller < html_text.index("<table") and html_text.rstrip().endswith("</table></div>")
