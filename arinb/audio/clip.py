"""``AudioClip``: a piece of 16-bit mono audio that plays, draws and measures itself in a notebook.

>>> import numpy as np
>>> from arinb.audio import AudioClip
>>> t = np.arange(8000) / 8000
>>> clip = AudioClip((np.sin(2 * np.pi * 440 * t) * 7000).astype(np.int16), title="A440")
>>> clip                                            # in Jupyter: an <audio> player with the title
AudioClip('A440', 1.000 s, 8000 Hz)
>>> round(clip.dominant_frequency())
440
>>> clip[0.25:0.5].duration
0.25
"""

from __future__ import annotations

import base64
import builtins
import html
import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arinb.audio.files import decode_wav_bytes, to_wav_bytes
from arinb.audio.plots import Backend, spectrogram_figure, waveform_figure
from arinb.errors import AriUsageError

__all__ = ["AudioClip"]


class AudioClip:
    """Mono 16-bit audio with its rate, where it sits in time, and notes about how it was made.

    ``samples`` (int16), ``rate`` (Hz), ``duration`` (s), ``start`` (epoch seconds of the first sample, if
    known), ``title``, ``notes`` (e.g. ``"no audio files installed: tt-monkeys"``; shown with the player).

    Slicing takes seconds from the clip's beginning: ``clip[1.5:3.0]``. ``len(clip)`` is the sample count.
    Two clips are equal when their rate and samples are.
    """

    __slots__ = ("notes", "rate", "samples", "start", "title")

    def __init__(
        self,
        samples: np.ndarray | Sequence[int],
        rate: int = 8000,
        *,
        start: float | None = None,
        title: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        array = np.asarray(samples)
        if array.ndim != 1:
            raise AriUsageError(f"AudioClip needs mono samples (a 1-D array), got shape {array.shape}")
        if array.dtype != np.int16:
            if array.size and not np.issubdtype(array.dtype, np.integer):
                raise AriUsageError(f"AudioClip needs int16 samples, got {array.dtype} (scale floats first)")
            if array.size and (array.min() < -32768 or array.max() > 32767):
                raise AriUsageError("AudioClip samples are out of the int16 range")
            array = array.astype(np.int16)
        if int(rate) <= 0:
            raise AriUsageError(f"sample rate must be positive, got {rate}")
        self.samples: np.ndarray = array
        self.rate = int(rate)
        self.start = start
        self.title = title
        self.notes: tuple[str, ...] = tuple(notes)

    # -- basics ---------------------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.size / self.rate

    def __len__(self) -> int:
        return int(self.samples.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AudioClip):
            return NotImplemented
        return self.rate == other.rate and np.array_equal(self.samples, other.samples)

    __hash__ = None  # type: ignore[assignment]  # mutable array inside: equal clips need not hash alike

    def __repr__(self) -> str:
        name = f"{self.title!r}, " if self.title else ""
        notes = f", notes={list(self.notes)!r}" if self.notes else ""
        return f"AudioClip({name}{self.duration:.3f} s, {self.rate} Hz{notes})"

    def _index(self, t: float | None, default: int) -> int:
        if t is None:
            return default
        return int(np.clip(round(t * self.rate), 0, self.samples.size))

    def slice(self, t0: float | None = None, t1: float | None = None) -> AudioClip:
        """The part from ``t0`` to ``t1`` seconds after the clip's beginning (either may be None)."""
        i0 = self._index(t0, 0)
        i1 = max(self._index(t1, self.samples.size), i0)
        start = None if self.start is None else self.start + i0 / self.rate
        return AudioClip(self.samples[i0:i1], self.rate, start=start, title=self.title, notes=self.notes)

    def __getitem__(self, key: builtins.slice) -> AudioClip:
        if not isinstance(key, slice) or key.step is not None:
            raise AriUsageError("slice a clip by seconds: clip[t0:t1]")
        return self.slice(key.start, key.stop)

    # -- files ----------------------------------------------------------------------------------------------

    def to_wav_bytes(self) -> bytes:
        """The clip as a 16-bit PCM wav file (44-byte header)."""
        return to_wav_bytes(self.samples, self.rate)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the clip as a wav file and return its path."""
        target = Path(path)
        target.write_bytes(self.to_wav_bytes())
        return target

    @classmethod
    def from_wav(cls, source: str | os.PathLike[str] | bytes, *, title: str = "") -> AudioClip:
        """Read a wav file (a path, or the file's bytes, e.g. a stored recording fetched over ARI).

        The whole data chunk is read: unlike Asterisk, nothing is dropped at the end.
        """
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
            name = title
        else:
            path = Path(source)
            data = path.read_bytes()
            name = title or path.stem
        samples, rate = decode_wav_bytes(data)  # AudioFileError if it is not a wav we can read
        return cls(samples, rate, title=name)

    # -- display --------------------------------------------------------------------------------------------

    def _caption(self) -> str:
        parts = [f"{self.duration:.3f} s", f"{self.rate} Hz"]
        if self.title:
            parts.insert(0, self.title)
        return " · ".join(parts)

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.to_wav_bytes()).decode("ascii")
        notes = "".join(f'<div style="color:#a15c00">⚠ {html.escape(note)}</div>' for note in self.notes)
        return (
            '<div class="arinb-audio-clip">'
            f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>'
            f'<div style="font-size:smaller">{html.escape(self._caption())}</div>{notes}</div>'
        )

    def waveform(self, backend: Backend = "auto", width: int = 800, height: int = 160) -> Any:
        """The waveform: plotly Figure if plotly is installed, else matplotlib, else an inline SVG."""
        return waveform_figure(self.samples, self.rate, self.title, backend, width, height)

    def spectrogram(self, backend: Backend = "auto", width: int = 800, height: int = 200) -> Any:
        """The spectrogram (dBFS): plotly Figure if plotly is installed, else matplotlib, else inline SVG."""
        return spectrogram_figure(self.samples, self.rate, self.title, backend, width, height)

    def widget(self) -> Any:
        """An ipywidgets box: an Audio player (the wav bytes), caption, waveform and spectrogram images."""
        widgets: Any = importlib.import_module("ipywidgets")
        player = widgets.Audio(value=self.to_wav_bytes(), format="wav", autoplay=False, loop=False)
        caption = widgets.HTML(html.escape(self._caption()))
        children = [player, caption]
        children += [
            widgets.HTML(f'<span style="color:#a15c00">⚠ {html.escape(n)}</span>') for n in self.notes
        ]
        for picture in (self.waveform(backend="svg"), self.spectrogram(backend="svg")):
            children.append(widgets.Image(value=bytes(picture), format="svg+xml"))
        return widgets.VBox(children)

    # -- analysis -------------------------------------------------------------------------------------------

    def _window(self, t0: float | None, t1: float | None) -> np.ndarray:
        i0 = self._index(t0, 0)
        return self.samples[i0 : max(self._index(t1, self.samples.size), i0)].astype(np.float64)

    def peak(self, t0: float | None = None, t1: float | None = None) -> int:
        """Largest absolute sample value between ``t0`` and ``t1`` seconds."""
        x = self._window(t0, t1)
        return int(np.abs(x).max()) if x.size else 0

    def rms_dbfs(self, t0: float | None = None, t1: float | None = None) -> float:
        """RMS level in dB relative to full scale (32768); ``-inf`` for silence."""
        x = self._window(t0, t1)
        rms = float(np.sqrt(np.mean(x * x))) if x.size else 0.0
        return 20 * float(np.log10(rms / 32768.0)) if rms > 0 else float("-inf")

    def peak_frequencies(
        self, t0: float | None = None, t1: float | None = None, count: int = 2
    ) -> list[float]:
        """The ``count`` strongest spectral peaks (Hz, strongest first), to about 0.1 Hz.

        Hann window, zero-padded FFT, parabolic interpolation on the log magnitude. ``[]`` for silence.
        """
        x = self._window(t0, t1)
        if x.size < 8 or not np.any(x):
            return []
        x = x - x.mean()
        size = 1 << int(np.ceil(np.log2(max(x.size, self.rate) * 4)))
        magnitude = np.abs(np.fft.rfft(x * np.hanning(x.size), n=size))
        log_mag = np.log(magnitude + 1e-12)
        interior = (magnitude[1:-1] > magnitude[:-2]) & (magnitude[1:-1] >= magnitude[2:])
        candidates = np.flatnonzero(interior) + 1
        candidates = candidates[np.argsort(magnitude[candidates])[::-1]]
        found: list[float] = []
        resolution = self.rate / x.size * 2  # peaks closer than the window's main lobe are one peak
        for k in candidates:
            if magnitude[k] < magnitude[candidates[0]] * 0.05:
                break
            a, b, c = log_mag[k - 1], log_mag[k], log_mag[k + 1]
            shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
            freq = (k + shift) * self.rate / size
            if all(abs(freq - f) > resolution for f in found):
                found.append(float(freq))
            if len(found) == count:
                break
        return found

    def dominant_frequency(self, t0: float | None = None, t1: float | None = None) -> float | None:
        """The strongest frequency (Hz) between ``t0`` and ``t1`` seconds, or None for silence."""
        peaks = self.peak_frequencies(t0, t1, count=1)
        return peaks[0] if peaks else None

    def bursts(self, threshold_db: float = -30.0, min_gap: float = 0.03) -> list[tuple[float, float]]:
        """Stretches of sound as ``(start, end)`` seconds from the clip's beginning.

        A sample counts as sound when its magnitude is within ``threshold_db`` of the clip's peak; quieter
        stretches shorter than ``min_gap`` seconds (a sine's zero crossings, a consonant) do not split it.
        """
        peak = self.peak()
        if peak == 0:
            return []
        loud = np.flatnonzero(np.abs(self.samples.astype(np.int32)) >= peak * 10 ** (threshold_db / 20))
        splits = np.flatnonzero(np.diff(loud) > max(1, round(min_gap * self.rate))) + 1
        return [
            (float(group[0]) / self.rate, float(group[-1] + 1) / self.rate)
            for group in np.split(loud, splits)
        ]

    def on_off_cadence(
        self, threshold_db: float = -30.0, min_gap: float = 0.03
    ) -> list[tuple[float, float | None]]:
        """The cadence as ``(on, off)`` seconds per burst; the last burst's ``off`` is None (not over yet).

        >>> # fr ring rendered for 12 s: [(1.4999, 3.5001), (1.4999, 3.5001), (1.4999, None)]
        """
        bursts = self.bursts(threshold_db, min_gap)
        cadence: list[tuple[float, float | None]] = []
        for i, (begin, end) in enumerate(bursts):
            off = bursts[i + 1][0] - end if i + 1 < len(bursts) else None
            cadence.append((end - begin, off))
        return cadence
