"""AudioClip: wav round trips, notebook display without extras, slicing and the analysis helpers."""

from __future__ import annotations

import base64
import importlib.util
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from arinb.audio import AudioClip, AudioFileError, MediaSegment, render_clip, tone_spec
from arinb.audio.plots import SvgImage
from arinb.errors import AriUsageError


def sine(freq: float, seconds: float, amplitude: float = 10000, rate: int = 8000) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)


@pytest.fixture(scope="module")
def ring() -> AudioClip:
    segment = MediaSegment("ch", 100.0, 112.0, "tone", tone_spec("fr", "ring"))
    return render_clip([segment], 100.0, 112.0, title="fr ring")


def test_render_to_wav_and_back_is_identical(ring: AudioClip, tmp_path: Path) -> None:
    assert AudioClip.from_wav(ring.to_wav_bytes()) == ring
    saved = ring.save(tmp_path / "ring.wav")
    again = AudioClip.from_wav(saved)
    assert again == ring and again.title == "ring" and again.rate == 8000
    assert len(saved.read_bytes()) == 44 + 2 * len(ring)


def test_basic_properties_and_repr(ring: AudioClip) -> None:
    assert (len(ring), ring.rate, ring.duration, ring.start) == (96000, 8000, 12.0, 100.0)
    assert repr(ring) == "AudioClip('fr ring', 12.000 s, 8000 Hz)"
    assert AudioClip(np.zeros(3, np.int16)) != ring


def test_slicing_by_seconds(ring: AudioClip) -> None:
    part = ring[0.5:2.0]
    assert part.duration == 1.5 and part.start == 100.5
    assert np.array_equal(part.samples, ring.samples[4000:16000])
    assert ring[11.0:].duration == 1.0 and ring[:20.0] == ring and ring[5.0:1.0].duration == 0
    with pytest.raises(AriUsageError, match="slice a clip by seconds"):
        ring[3]  # type: ignore[index]


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (np.zeros((2, 2), np.int16), 8000, "mono"),
        (np.zeros(4, np.float32) + 0.5, 8000, "int16"),
        (np.array([40000]), 8000, "int16 range"),
        (np.zeros(4, np.int16), 0, "positive"),
    ],
)
def test_bad_samples_are_refused(samples: np.ndarray, rate: int, message: str) -> None:
    with pytest.raises(AriUsageError, match=message):
        AudioClip(samples, rate)


def test_plain_int_lists_are_accepted() -> None:
    assert AudioClip([0, 1, -1]).samples.dtype == np.int16


def test_from_wav_refuses_a_non_wav() -> None:
    with pytest.raises(AudioFileError):
        AudioClip.from_wav(b"hello")


# -- display ------------------------------------------------------------------------------------------------


def test_html_is_a_self_contained_audio_element(ring: AudioClip) -> None:
    clip = AudioClip(ring.samples[:800], notes=["no audio files installed: <tt-monkeys>"], title="x&y")
    page = clip._repr_html_()
    match = re.search(r'<audio controls[^>]* src="data:audio/wav;base64,([^"]+)"', page)
    assert match is not None
    assert base64.b64decode(match.group(1)) == clip.to_wav_bytes()
    assert "http" not in page  # no CDN, works offline
    assert "&lt;tt-monkeys&gt;" in page and "x&amp;y" in page


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    raw = zlib.decompress(png[idat + 4 : idat + 4 + length])
    assert len(raw) == height * (1 + 3 * width)
    return width, height


def test_svg_pictures_need_no_extras(ring: AudioClip) -> None:
    wave = ring.waveform(backend="svg")
    assert isinstance(wave, SvgImage) and wave._repr_svg_().startswith("<svg") and "polygon" in wave.data
    spec = ring.spectrogram(backend="svg")
    png = base64.b64decode(re.search(r"base64,([^\"]+)", spec.data).group(1))  # type: ignore[union-attr]
    width, height = png_size(png)
    assert width == 784 and height == 129  # 256-point FFT bins, one column per pixel
    # The 440 Hz row is bright in the first burst: check the colour there against a silent stretch.
    rows = np.frombuffer(zlib.decompress(png[png.index(b"IDAT") + 4 : -12]), np.uint8).reshape(height, -1)
    pixel = rows[:, 1:].reshape(height, width, 3).astype(int).sum(axis=2)
    row_440 = height - 1 - round(440 / 4000 * 128)
    assert pixel[row_440, 50] > pixel[row_440, 300] + 200  # 0.77 s (tone) vs 4.6 s (silence)


def test_plotly_figures_when_plotly_is_installed(ring: AudioClip) -> None:
    pytest.importorskip("plotly")
    wave = ring.waveform()
    spec = ring.spectrogram()
    assert type(wave).__name__ == "Figure" and len(wave.data) == 2
    assert spec.data[0].type == "heatmap" and max(spec.data[0].y) == 4000


def test_unknown_or_missing_backends_are_clear_errors(ring: AudioClip) -> None:
    with pytest.raises(AriUsageError, match="backend must be"):
        ring.waveform(backend="ascii")  # type: ignore[arg-type]
    if importlib.util.find_spec("matplotlib") is None:
        with pytest.raises(AriUsageError, match="pip install matplotlib"):
            ring.spectrogram(backend="matplotlib")


def test_matplotlib_figures_when_matplotlib_is_installed(ring: AudioClip) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (optional)")
    assert type(ring.waveform(backend="matplotlib")).__name__ == "Figure"
    assert type(ring.spectrogram(backend="matplotlib")).__name__ == "Figure"


def test_widget_has_player_and_pictures(ring: AudioClip) -> None:
    box = AudioClip(ring.samples[:8000], notes=["a note"]).widget()
    kinds = [type(child).__name__ for child in box.children]
    assert kinds == ["Audio", "HTML", "HTML", "Image", "Image"]
    assert box.children[0].value == AudioClip(ring.samples[:8000]).to_wav_bytes()
    assert box.children[3].format == "svg+xml" and bytes(box.children[3].value).startswith(b"<svg")


# -- analysis -----------------------------------------------------------------------------------------------


def test_levels() -> None:
    clip = AudioClip(sine(1000, 1.0, amplitude=32767))
    assert clip.peak() == 32767
    assert clip.rms_dbfs() == pytest.approx(-3.01, abs=0.01)
    silent = AudioClip(np.zeros(800, np.int16))
    assert silent.rms_dbfs() == float("-inf") and silent.peak() == 0
    assert silent.dominant_frequency() is None and silent.bursts() == [] and silent.on_off_cadence() == []


def test_frequencies_of_a_dual_tone() -> None:
    clip = AudioClip(sine(697, 0.5) + sine(1209, 0.5, amplitude=8000))  # DTMF "1"
    assert clip.dominant_frequency() == pytest.approx(697, abs=0.2)
    assert clip.peak_frequencies(count=2) == pytest.approx([697, 1209], abs=0.2)


def test_bursts_and_cadence_of_a_synthetic_pattern() -> None:
    pattern = np.concatenate(
        [sine(500, 0.25), np.zeros(2000, np.int16), sine(500, 0.5), np.zeros(800, np.int16)]
    )
    clip = AudioClip(pattern)
    bursts = clip.bursts()
    assert [(round(a, 3), round(b, 3)) for a, b in bursts] == [(0.0, 0.25), (0.5, 1.0)]
    cadence = clip.on_off_cadence()
    assert cadence[0] == pytest.approx((0.25, 0.25), abs=0.001) and cadence[1][1] is None
    # A gap shorter than min_gap does not split a burst.
    assert len(clip.bursts(min_gap=0.3)) == 1
