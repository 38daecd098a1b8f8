"""Pictures of a clip: waveform and spectrogram, with plotly, matplotlib, or plain SVG drawn with numpy.

The SVG form needs nothing beyond numpy and the standard library (the spectrogram raster is a PNG written
with ``zlib``), so a clip can always show itself. ``backend="auto"`` picks plotly, then matplotlib, then SVG.
"""

from __future__ import annotations

import base64
import html
import importlib
import struct
import zlib
from typing import Any, Literal

import numpy as np

from arinb.errors import AriUsageError

__all__ = ["Backend", "SvgImage", "spectrogram_data", "spectrogram_figure", "waveform_figure"]

Backend = Literal["auto", "plotly", "matplotlib", "svg"]

# A few anchor colours of the viridis map; between them we interpolate linearly.
_VIRIDIS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
    dtype=np.float64,
)
_BLUE = "#1f77b4"


class SvgImage:
    """An SVG picture Jupyter shows inline (``_repr_svg_``); ``.data`` is the text, ``bytes(img)`` UTF-8."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data

    def __bytes__(self) -> bytes:
        return self.data.encode("utf-8")

    def __repr__(self) -> str:
        return f"SvgImage({len(self.data)} chars)"

    def save(self, path: str) -> None:
        """Write the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.data)


def _pick(backend: Backend) -> str:
    if backend == "svg":
        return backend
    if backend in ("plotly", "matplotlib"):
        try:
            importlib.import_module(backend)
        except ImportError:
            raise AriUsageError(
                f"backend={backend!r} needs {backend} installed (pip install {backend})"
            ) from None
        return backend
    if backend != "auto":
        raise AriUsageError(f"backend must be 'auto', 'plotly', 'matplotlib' or 'svg', not {backend!r}")
    for name in ("plotly", "matplotlib"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name
    return "svg"


def _envelope(samples: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column min and max (so a 1-hour clip draws as fast as a 1-second one) and column indices."""
    n = samples.size
    columns = max(1, min(columns, n))
    edges = np.linspace(0, n, columns + 1).astype(np.int64)
    starts = edges[:-1]
    lows = np.minimum.reduceat(samples, starts) if n else np.zeros(columns)
    highs = np.maximum.reduceat(samples, starts) if n else np.zeros(columns)
    return starts, lows.astype(np.float64), highs.astype(np.float64)


def waveform_figure(
    samples: np.ndarray,
    rate: int,
    title: str = "",
    backend: Backend = "auto",
    width: int = 800,
    height: int = 160,
) -> Any:
    """The waveform: a plotly Figure, a matplotlib Figure or an :class:`SvgImage` (see ``backend``)."""
    chosen = _pick(backend)
    starts, lows, highs = _envelope(samples, 2000)
    times = starts / rate
    if chosen == "plotly":
        go: Any = importlib.import_module("plotly.graph_objects")
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(x=times, y=highs, mode="lines", line={"width": 0.6, "color": _BLUE}, name="max")
        )
        fig.add_trace(
            go.Scatter(
                x=times, y=lows, mode="lines", line={"width": 0.6, "color": _BLUE}, fill="tonexty", name="min"
            )
        )
        fig.update_layout(
            title=title or None,
            height=height + 60,
            width=width,
            showlegend=False,
            xaxis_title="seconds",
            yaxis={"range": [-32768, 32767], "title": "sample"},
            margin={"l": 60, "r": 10, "t": 40 if title else 10, "b": 40},
        )
        return fig
    if chosen == "matplotlib":
        plt: Any = importlib.import_module("matplotlib.pyplot")
        fig, ax = plt.subplots(figsize=(width / 100, height / 100 + 0.6))
        ax.fill_between(times, lows, highs, linewidth=0.5, color=_BLUE)
        ax.set_ylim(-32768, 32767)
        ax.set_xlabel("seconds")
        if title:
            ax.set_title(title)
        plt.close(fig)
        return fig
    return SvgImage(_waveform_svg(times, lows, highs, samples.size / rate, title, width, height))


def _axis_ticks(duration: float) -> list[float]:
    if duration <= 0:
        return [0.0]
    raw = duration / 8
    step = 10 ** np.floor(np.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    return [float(t) for t in np.arange(0, duration + 1e-9, step)]


def _frame_svg(body: str, duration: float, title: str, width: int, height: int) -> str:
    left, bottom, top = 8, 20, 18 if title else 4
    plot_w, plot_h = width - 2 * left, height
    ticks = "".join(
        f'<line x1="{left + t / duration * plot_w:.1f}" y1="{top + plot_h}" '
        f'x2="{left + t / duration * plot_w:.1f}" y2="{top + plot_h + 4}" stroke="#666"/>'
        f'<text x="{left + t / duration * plot_w:.1f}" y="{top + plot_h + 15}" font-size="10" '
        f'text-anchor="middle" fill="#444">{t:g}s</text>'
        for t in (_axis_ticks(duration) if duration > 0 else [])
    )
    heading = (
        f'<text x="{left}" y="13" font-size="12" fill="#222">{html.escape(title)}</text>' if title else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + plot_h + bottom}" '
        f'viewBox="0 0 {width} {top + plot_h + bottom}" font-family="sans-serif">{heading}'
        f'<g transform="translate({left},{top})">{body}</g>'
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>'
        f"{ticks}</svg>"
    )


def _waveform_svg(
    times: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    duration: float,
    title: str,
    width: int,
    height: int,
) -> str:
    plot_w = width - 16
    span = duration if duration > 0 else 1.0
    xs = times / span * plot_w
    mid = height / 2

    def ys(values: np.ndarray) -> np.ndarray:
        return mid - values / 32768.0 * mid

    upper = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys(highs), strict=True))
    lower = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[::-1], ys(lows)[::-1], strict=True))
    body = (
        f'<line x1="0" y1="{mid}" x2="{plot_w}" y2="{mid}" stroke="#ddd"/>'
        f'<polygon points="{upper} {lower}" fill="{_BLUE}" stroke="{_BLUE}" stroke-width="0.5"/>'
    )
    return _frame_svg(body, duration, title, width, height)


def spectrogram_data(
    samples: np.ndarray, rate: int, window: int = 256, hop: int = 80
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Short-time spectrum in dBFS: ``(times, freqs, db)`` with ``db[freq, time]``. Hann window, 10 ms hop."""
    x = samples.astype(np.float64) / 32768.0
    if x.size < window:
        x = np.pad(x, (0, window - x.size))
    count = 1 + (x.size - window) // hop
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(count, window), strides=(x.strides[0] * hop, x.strides[0])
    )
    taper = np.hanning(window)
    spectrum = np.abs(np.fft.rfft(frames * taper, axis=1)) / (taper.sum() / 2)
    db = 20 * np.log10(np.maximum(spectrum, 1e-6)).T
    times = (np.arange(count) * hop + window / 2) / rate
    freqs = np.fft.rfftfreq(window, 1 / rate)
    return times, freqs, db


def spectrogram_figure(
    samples: np.ndarray,
    rate: int,
    title: str = "",
    backend: Backend = "auto",
    width: int = 800,
    height: int = 200,
) -> Any:
    """The spectrogram (dBFS, -90..0): a plotly Figure, a matplotlib Figure or an :class:`SvgImage`."""
    chosen = _pick(backend)
    times, freqs, db = spectrogram_data(samples, rate)
    if chosen == "plotly":
        go: Any = importlib.import_module("plotly.graph_objects")
        step = max(1, times.size // 2000)
        fig = go.Figure(
            go.Heatmap(
                x=times[::step],
                y=freqs,
                z=db[:, ::step],
                zmin=-90,
                zmax=0,
                colorscale="Viridis",
                colorbar={"title": "dBFS"},
            )
        )
        fig.update_layout(
            title=title or None,
            height=height + 60,
            width=width,
            xaxis_title="seconds",
            yaxis_title="Hz",
            margin={"l": 60, "r": 10, "t": 40 if title else 10, "b": 40},
        )
        return fig
    if chosen == "matplotlib":
        plt: Any = importlib.import_module("matplotlib.pyplot")
        fig, ax = plt.subplots(figsize=(width / 100, height / 100 + 0.6))
        extent = (0.0, samples.size / rate, 0.0, rate / 2)
        ax.imshow(db, origin="lower", aspect="auto", extent=extent, vmin=-90, vmax=0, cmap="viridis")
        ax.set_xlabel("seconds")
        ax.set_ylabel("Hz")
        if title:
            ax.set_title(title)
        plt.close(fig)
        return fig
    png = _png_rgb(_colour(db, columns=min(width - 16, max(times.size, 1))))
    plot_w = width - 16
    body = (
        f'<image width="{plot_w}" height="{height}" preserveAspectRatio="none" '
        f'href="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
        f'<text x="4" y="12" font-size="10" fill="#fff">{rate // 2} Hz</text>'
        f'<text x="4" y="{height - 4}" font-size="10" fill="#fff">0 Hz</text>'
    )
    return SvgImage(_frame_svg(body, samples.size / rate, title, width, height))


def _colour(db: np.ndarray, columns: int) -> np.ndarray:
    """dB matrix -> RGB rows (high frequencies on top), at most ``columns`` wide (keeping column maxima)."""
    if db.shape[1] > columns:
        edges = np.linspace(0, db.shape[1], columns + 1).astype(np.int64)[:-1]
        db = np.maximum.reduceat(db, edges, axis=1)
    level = np.clip((db + 90.0) / 90.0, 0.0, 1.0)[::-1]
    position = level * (len(_VIRIDIS) - 1)
    low = np.floor(position).astype(np.int64).clip(0, len(_VIRIDIS) - 2)
    frac = (position - low)[..., None]
    rgb = _VIRIDIS[low] * (1 - frac) + _VIRIDIS[low + 1] * frac
    out: np.ndarray = rgb.round().astype(np.uint8)
    return out


def _png_rgb(rgb: np.ndarray) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 array as PNG (filter 0 rows, one zlib stream)."""
    height, width, _ = rgb.shape
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rgb.reshape(height, width * 3)], axis=1)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
