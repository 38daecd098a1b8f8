"""Helpers for the audio tests: real Asterisk sounds when installed, small synthetic files otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arinb.audio import to_wav_bytes

SOUNDS_EN = Path("/usr/share/asterisk/sounds/en")


def real_sound(name: str, ext: str = "wav") -> Path:
    """The installed Asterisk sound file, or skip the test saying which package provides it."""
    path = SOUNDS_EN / f"{name}.{ext}"
    if not path.is_file():
        package = "asterisk-core-sounds-en-gsm" if ext == "gsm" else "asterisk-core-sounds-en-wav"
        pytest.skip(f"{path} is not installed (Debian package {package})")
    return path


def make_wav(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_wav_bytes(np.asarray(samples, dtype=np.int16), rate))
    return path


def ramp(count: int, start: int = 1) -> np.ndarray:
    """Distinct, recognisable samples (no zeros), so misplaced audio shows up exactly."""
    return ((np.arange(count) + start) % 30000 + 1).astype(np.int16)
