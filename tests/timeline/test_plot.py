"""Swimlanes: what the figure holds, live updates, offline HTML export, and plotly missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from arinb import plot
from arinb.errors import AriUsageError
from arinb.timeline import Timeline


def _traces(fig) -> dict:
    return {trace.name: trace for trace in fig.data}


def test_tones_swimlanes(trace) -> None:
    fig = plot.swimlanes(trace("tones"))
    traces = _traces(fig)
    assert set(traces) == {"channel states", "playbacks", "events", "REST calls"}
    states = traces["channel states"]
    assert list(states.text) == ["Ring", "Up"]
    assert list(states.x) == pytest.approx([8.014, 1.002])
    assert set(states.y) == {"Local/1000@default-00000022;2"}
    assert states.orientation == "h"
    playback = traces["playbacks"]
    assert list(playback.text) == ["tone:ring;tonezone=fr"]
    assert playback.x[0] == pytest.approx(8.011, abs=0.001)
    assert "tones-pb-1" in playback.hovertext[0] and "done" in playback.hovertext[0]
    events = traces["events"]
    assert list(events.text) == [
        "StasisStart",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelStateChange",
        "ChannelHangupRequest",
        "StasisEnd",
    ]
    assert "tone:ring;tonezone=fr" in events.hovertext[1]
    assert [t.split(" ")[0] for t in traces["REST calls"].text] == ["POST", "POST", "DELETE"]
    assert list(fig.layout.yaxis.categoryarray) == ["Local/1000@default-00000022;2"]
    # Marks sit on the time axis in seconds since the first row.
    assert events.x[0] == pytest.approx(states.base[0])


def test_never_finished_playbacks_are_drawn_to_stasis_end(trace) -> None:
    tl = trace("probe-bad-scheme")
    playback = _traces(plot.swimlanes(tl))["playbacks"]
    assert list(playback.text) == ["foo:bar", "tt-monkeys", "sound:"]
    assert "never finished" in playback.hovertext[0]
    assert playback.marker.color[0] == plot._PLAYBACK_COLORS["never finished"]
    data = plot.lanes_data(tl)
    pbs = tl.playbacks()
    origin = data["origin"]
    end = (pbs.loc[0, "lost_at"] - origin).total_seconds()
    assert data["playbacks"]["base"][0] + data["playbacks"]["x"][0] == pytest.approx(end, abs=1e-6)


def test_bridge_playback_gets_its_own_lane(trace) -> None:
    fig = plot.swimlanes(trace("bridge-play-two-channels"))
    lanes = list(fig.layout.yaxis.categoryarray)
    assert len(lanes) == 3
    assert "bridge a151e084-e166-4cba-ba73-404f3b78f605" in lanes
    assert list(_traces(fig)["playbacks"].y) == ["bridge a151e084-e166-4cba-ba73-404f3b78f605"]


def test_empty_timeline_figure() -> None:
    fig = plot.swimlanes(Timeline())
    assert all(len(trace.x or ()) == 0 for trace in fig.data)


def test_live_figure_follows_the_timeline(trace) -> None:
    pytest.importorskip("anywidget", reason="plotly's FigureWidget is built on anywidget")
    import plotly.graph_objects as go

    tl = trace("tones")
    fig = plot.swimlanes_widget(tl, rate=50)
    try:
        assert isinstance(fig, go.FigureWidget)
        before = len(_traces(fig)["events"].x)
        tl.add_event(
            {
                "type": "StasisStart",
                "timestamp": "2026-11-26T12:15:00.000+0000",
                "channel": {"id": "n1", "name": "PJSIP/new", "state": "Ring"},
            },
            1795695300.0,
        )
        fig._arinb_throttle.flush()
        assert len(_traces(fig)["events"].x) == before + 1
        assert "PJSIP/new" in fig.layout.yaxis.categoryarray
    finally:
        plot.stop_live(fig)
    assert not fig._arinb_throttle.running


def test_html_export_is_self_contained(trace, tmp_path: Path) -> None:
    fig = plot.swimlanes(trace("tones"))
    text = plot.to_html(fig)
    assert "<script src=" not in text  # plotly.js inline: works offline, no CDN
    assert "tone:ring;tonezone=fr" in text
    path = plot.save(fig, tmp_path / "lanes.html")
    saved = path.read_text(encoding="utf-8")
    assert "<script src=" not in saved and "tone:ring;tonezone=fr" in saved
    with pytest.raises(AriUsageError, match="save swimlanes as"):
        plot.save(fig, tmp_path / "lanes.doc")


def test_live_without_anywidget_says_what_to_install(trace, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    hidden = lambda name, *a: None if name == "anywidget" else real(name, *a)  # noqa: E731
    monkeypatch.setattr(importlib.util, "find_spec", hidden)
    with pytest.raises(AriUsageError, match="anywidget"):
        plot.swimlanes(trace("tones"), live=True)
    assert plot.swimlanes(trace("tones")).data  # the static figure needs no anywidget


def test_image_export_without_kaleido_says_what_to_install(trace, tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "kaleido" else real(name, *a)
    )
    with pytest.raises(AriUsageError, match="pip install kaleido"):
        plot.save(plot.swimlanes(trace("tones")), tmp_path / "lanes.png")


def test_without_plotly_the_timeline_still_works(trace, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    tl = trace("tones")
    assert len(tl.playbacks()) == 1 and len(tl.df) == 13
    with pytest.raises(AriUsageError, match=r"pip install 'arinb\[plot\]'"):
        plot.swimlanes(tl)


def test_the_legend_sits_below_the_x_axis_title(trace) -> None:
    # Placed in plot coordinates (y=-0.2) the horizontal legend landed on the x-axis title; at the
    # container's bottom, with a bottom margin that holds both, it is below it at any height.
    fig = plot.swimlanes(trace("tones"))
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yref == "container"
    assert legend.y == 0 and legend.yanchor == "bottom"
    assert fig.layout.margin.b >= 70 and fig.layout.xaxis.title.text
