"""Swimlanes: one lane per channel, its state spans, its playbacks and its events, on one time axis.

Needs plotly (the ``plot`` extra: ``pip install 'arinb[plot]'``); everything else in arinb works without it.

>>> fig = arinb.plot.swimlanes(tl)         # a static go.Figure               # doctest: +SKIP
>>> arinb.plot.swimlanes(tl, live=True)    # a FigureWidget following tl      # doctest: +SKIP
>>> arinb.plot.save(fig, "run.html")       # self-contained (plotly.js inline)  # doctest: +SKIP

What is drawn (x = seconds since the timeline's first row; hover shows the UTC time):

* channel state spans (Ring, Up, ...) as wide bars, coloured by state, labelled with the state;
* playback spans as thin bars inside the lane, labelled with the media; a playback Asterisk never finished
  is drawn to its channel's StasisEnd (or the end) in red, and its hover says so;
* events as markers, REST calls on the channel as diamonds, with the details on hover.
Bridge playbacks get a lane of their own (``bridge <id>``).
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from arinb.errors import AriUsageError

if TYPE_CHECKING:
    import pandas as pd

    from arinb.timeline import Timeline

__all__ = ["lanes_data", "save", "stop_live", "swimlanes", "swimlanes_widget", "to_html"]

STATE_COLORS: Final = {
    "Down": "#9e9e9e",
    "Rsrvd": "#bdbdbd",
    "OffHook": "#90caf9",
    "Dialing": "#64b5f6",
    "Ring": "#ffb74d",
    "Ringing": "#ffa726",
    "Up": "#81c784",
    "Busy": "#e57373",
    "Dialing Offhook": "#42a5f5",
    "Pre-ring": "#ffe082",
}
_OTHER_STATE: Final = "#ce93d8"
_PLAYBACK_COLORS: Final = {"done": "#1e88e5", "failed": "#f4511e", "never finished": "#c62828", "": "#5c6bc0"}
MAX_LANES: Final = 40  # channels drawn at most (the latest); more lanes are unreadable
MAX_MARKS: Final = 5000  # events drawn at most (the latest); a lane plot of more is unreadable anyway
TRACE_NAMES: Final = ("channel states", "playbacks", "events", "REST calls")


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise AriUsageError("swimlanes need plotly: pip install 'arinb[plot]'") from exc
    return go


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _first(*values: Any) -> Any:
    """The first value that is not NA/NaT (None if all are)."""
    return next((v for v in values if not _missing(v)), None)


def _seconds(times: pd.Series, origin: pd.Timestamp) -> list[float]:
    return [round(x, 6) for x in ((times - origin).dt.total_seconds()).tolist()]


def _clock(times: pd.Series) -> list[str]:
    return ["" if _missing(t) else t.strftime("%H:%M:%S.%f")[:-3] for t in times]


def lanes_data(timeline: Timeline) -> dict[str, Any]:
    """What the swimlanes draw, as plain lists (lanes, and x/y/text/hover per trace). Used by the figure
    and by tests; x values are seconds since the first row."""
    from arinb.timeline.views import event_time, playbacks, state_spans

    df = timeline.df
    out: dict[str, Any] = {"lanes": [], "origin": None, "hidden_lanes": 0}
    for name in TRACE_NAMES:
        out[name] = {"x": [], "y": [], "base": [], "text": [], "hover": [], "color": []}
    if df.empty:
        return out
    times = event_time(df)
    origin = times.min()
    out["origin"] = origin

    # Lanes: channels in order of first appearance (the latest MAX_LANES), labelled by their first name.
    ids = df.loc[df["channel_id"].notna(), ["channel_id", "channel_name"]]
    order = list(ids["channel_id"].drop_duplicates())
    hidden = max(0, len(order) - MAX_LANES)
    order = order[hidden:]
    names = ids.dropna().drop_duplicates("channel_id").set_index("channel_id")["channel_name"]
    labels = {cid: str(names.get(cid, cid)) for cid in order}
    if len(set(labels.values())) < len(labels):  # two channels with one name: show the ids too
        labels = {cid: f"{label} ({cid})" for cid, label in labels.items()}
    lanes = list(labels.values())
    out["hidden_lanes"] = hidden
    if hidden:  # draw only the shown channels' rows (and bridge-only rows): cheaper views
        keep = df["channel_id"].isin(order).fillna(False) | (
            df["channel_id"].isna() & (df["playback_id"].notna() | df["bridge_id"].notna())
        )
        df = df[keep]
        times = times[keep]

    spans = state_spans(df)
    end_of_timeline = times.max()
    still = spans["open"].to_numpy()
    if still.any():  # open spans run to the end of the whole timeline
        spans.loc[still, "end"] = end_of_timeline
        spans["seconds"] = (spans["end"] - spans["start"]).dt.total_seconds().round(6)
    trace = out["channel states"]
    trace["base"] = _seconds(spans["start"], origin)
    trace["x"] = [round(s, 6) for s in spans["seconds"].tolist()]
    trace["y"] = [labels.get(c, c) for c in spans["channel_id"]]
    trace["text"] = list(spans["state"])
    trace["color"] = [STATE_COLORS.get(s, _OTHER_STATE) for s in spans["state"]]
    trace["hover"] = [
        f"{html.escape(label)}<br><b>{html.escape(state)}</b> {secs:.3f} s" + (" (still)" if still else "")
        for label, state, secs, still in zip(
            trace["y"], spans["state"], spans["seconds"], spans["open"], strict=True
        )
    ]

    pbs = playbacks(df)
    trace = out["playbacks"]
    pb_rows: Any = pbs.itertuples(index=False)
    for row in pb_rows:
        if isinstance(row.channel_id, str):
            lane = labels.setdefault(row.channel_id, row.channel_id)
        elif isinstance(row.bridge_id, str):
            lane = f"bridge {row.bridge_id}"
        else:
            continue
        if lane not in lanes:
            lanes.append(lane)
        start = _first(row.started, row.queued)
        if start is None:
            continue
        # A playback Asterisk never finished runs until its channel left, or the timeline ends.
        end = _first(row.finished, row.lost_at, end_of_timeline)
        state = "never finished" if row.never_finished else (row.state if isinstance(row.state, str) else "")
        media = ", ".join(row.media)
        trace["base"].append(round((start - origin).total_seconds(), 6))
        trace["x"].append(round((end - start).total_seconds(), 6))
        trace["y"].append(lane)
        trace["text"].append(media)
        trace["color"].append(_PLAYBACK_COLORS.get(state, _PLAYBACK_COLORS[""]))
        took = "—" if _missing(row.duration) else f"{row.duration:.3f} s"
        name, what = html.escape(row.playback_id), html.escape(media)
        trace["hover"].append(f"playback <b>{name}</b><br>{what}<br>{html.escape(state)} {took}")

    rows = df[df["channel_id"].notna()]
    rows = rows.iloc[-MAX_MARKS:]
    at = _seconds(times.loc[rows.index], origin)
    clock = _clock(times.loc[rows.index])
    mark_rows: Any = rows.itertuples(index=False)
    for i, row in enumerate(mark_rows):
        lane = labels.get(row.channel_id, row.channel_id)
        if row.kind == "request":
            trace = out["REST calls"]
            status = "no reply" if _missing(row.status) else str(row.status)
            text = f"{row.method} {row.path} → {status}"
            hover = f"{clock[i]}<br><b>{html.escape(text)}</b>"
            if not _missing(row.elapsed):
                hover += f"<br>{row.elapsed * 1000:.1f} ms"
        else:
            trace = out["events"]
            text = str(row.type)
            details = [
                f"{label}: {value}"
                for label, value in (
                    ("state", row.channel_state),
                    ("playback", row.playback_id),
                    ("playback state", row.playback_state),
                    ("media", row.media_uri),
                )
                if isinstance(value, str)
            ]
            hover = f"{clock[i]}<br><b>{html.escape(text)}</b><br>" + "<br>".join(
                html.escape(d) for d in details
            )
        trace["x"].append(at[i])
        trace["y"].append(lane)
        trace["text"].append(text)
        trace["hover"].append(hover)
    out["lanes"] = lanes
    return out


def _apply(fig: Any, data: dict[str, Any], title: str | None) -> None:
    """Set the four traces' data and the lane order on ``fig`` (new figure or live update)."""
    states, plays = data["channel states"], data["playbacks"]
    events, calls = data["events"], data["REST calls"]
    updates = {
        "channel states": {
            "x": states["x"],
            "y": states["y"],
            "base": states["base"],
            "text": states["text"],
            "hovertext": states["hover"],
            "marker": {"color": states["color"]},
        },
        "playbacks": {
            "x": plays["x"],
            "y": plays["y"],
            "base": plays["base"],
            "text": plays["text"],
            "hovertext": plays["hover"],
            "marker": {"color": plays["color"]},
        },
        "events": {"x": events["x"], "y": events["y"], "text": events["text"], "hovertext": events["hover"]},
        "REST calls": {"x": calls["x"], "y": calls["y"], "text": calls["text"], "hovertext": calls["hover"]},
    }
    for trace in fig.data:
        trace.update(updates[trace.name])
    lanes = data["lanes"]
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(lanes)))
    fig.update_layout(height=max(220, 90 + 60 * len(lanes)))
    origin = data["origin"]
    if title is None:
        title = "Timeline swimlanes" + (
            f" — from {origin:%Y-%m-%d %H:%M:%S} UTC" if origin is not None else ""
        )
    fig.update_layout(title=title)


def _empty_figure(go: Any, live: bool) -> Any:
    if live:
        import importlib.util

        # plotly >= 6 builds FigureWidget on anywidget (its JavaScript ships inside plotly: no CDN).
        if importlib.util.find_spec("anywidget") is None:
            raise AriUsageError("live swimlanes need anywidget: pip install 'arinb[plot]' (or anywidget)")
    fig = (go.FigureWidget if live else go.Figure)()
    common = {"orientation": "h", "hoverinfo": "text", "textposition": "inside", "insidetextanchor": "start"}
    fig.add_trace(go.Bar(name="channel states", width=0.7, opacity=0.55, **common))
    fig.add_trace(go.Bar(name="playbacks", width=0.28, **common))
    fig.add_trace(
        go.Scatter(
            name="events",
            mode="markers",
            hoverinfo="text",
            marker={"size": 9, "color": "#263238", "symbol": "circle"},
        )
    )
    fig.add_trace(
        go.Scatter(
            name="REST calls",
            mode="markers",
            hoverinfo="text",
            marker={"size": 8, "color": "#1565c0", "symbol": "diamond-open"},
        )
    )
    fig.update_layout(
        barmode="overlay",
        xaxis_title="seconds since the first row",
        # The legend sits at the bottom of the whole figure (container coordinates), below the x-axis
        # title: placed in plot coordinates it lands on the title at some heights.
        margin={"l": 10, "r": 10, "t": 50, "b": 80},
        legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0},
        template="plotly_white",
    )
    fig.update_yaxes(automargin=True, type="category")
    return fig


def swimlanes(timeline: Timeline, *, live: bool = False, rate: float = 4.0, title: str | None = None) -> Any:
    """The swimlanes of ``timeline``: a ``go.Figure``, or with ``live=True`` a ``go.FigureWidget``
    that redraws when the timeline grows (at most ``rate`` times a second, only when rows were added;
    :func:`stop_live` or closing the widget stops it).

    Raises :class:`~arinb.AriUsageError` when plotly is not installed.
    """
    go = _plotly()
    fig = _empty_figure(go, live)
    _apply(fig, lanes_data(timeline), title)
    if live:
        from arinb.widgets.throttle import Throttle

        drawn = [len(timeline)]
        cost = [0.0, 0.0]  # seconds the last redraw took, and when it ended
        throttle: Throttle | None = None

        def refresh() -> None:
            if getattr(fig, "comm", True) is None and throttle is not None:
                throttle.stop()  # the widget was closed: stop following the timeline
                return
            # A redraw recomputes the views (O(rows)): keep it under ~10% of the time, so a long
            # timeline under a flood slows the plot down instead of starving the engine thread.
            if len(timeline) == drawn[0] or time.monotonic() < cost[1] + 9 * cost[0]:
                return
            started = time.monotonic()
            drawn[0] = len(timeline)
            data = lanes_data(timeline)
            with fig.batch_update():
                _apply(fig, data, title)
            cost[1] = time.monotonic()
            cost[0] = cost[1] - started

        throttle = Throttle(refresh, rate=rate, poll=True, name="swimlanes")
        fig._arinb_throttle = throttle  # plotly only lets underscore attributes be added
    return fig


def stop_live(fig: Any) -> None:
    """Stop a live swimlanes figure from following its timeline (closing the widget does it too)."""
    throttle = getattr(fig, "_arinb_throttle", None)
    if throttle is not None:
        throttle.stop()


def swimlanes_widget(timeline: Timeline, rate: float = 4.0) -> Any:
    """A live swimlanes ``FigureWidget`` (same as ``swimlanes(timeline, live=True)``)."""
    return swimlanes(timeline, live=True, rate=rate)


def to_html(fig: Any, *, full_html: bool = True) -> str:
    """Self-contained HTML for a figure: plotly.js is inlined, so it works offline and in reports."""
    _plotly()
    return str(fig.to_html(include_plotlyjs=True, full_html=full_html))


def save(fig: Any, path: str | Path) -> Path:
    """Write a figure: ``.html`` (self-contained) or an image (``.png``, ``.svg``, ``.pdf``, ``.jpg``,
    ``.webp``; these need the ``kaleido`` package)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        path.write_text(to_html(fig), encoding="utf-8")
        return path
    if suffix not in (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".webp"):
        raise AriUsageError(f"{path}: save swimlanes as .html, .png, .svg, .pdf, .jpg or .webp")
    import importlib.util

    if importlib.util.find_spec("kaleido") is None:
        raise AriUsageError("image export needs kaleido: pip install kaleido (or save as .html)")
    fig.write_image(str(path))
    return path
