"""How much rendering a caller's audio costs: per simulated channel-second, and channels in real time.

Run: ``python bench/bench_audio.py [--seconds 60] [--repeat 3]``

Workloads (one channel each; real Asterisk sounds when /usr/share/asterisk/sounds/en has them, else
synthetic files of the same lengths):

* ``ring-fr``   tone:ring;tonezone=fr for the whole window (playtones emulation, cadence tiled);
* ``dial-us``   tone:dial (350+440 continuous: two oscillators with long periods);
* ``monkeys``   sound:tt-monkeys played back to back (file decode is cached after the first);
* ``say``       number:123 + digits:5551212 + a pause/unpause, repeated (many short segments);
* ``mixed``     the four above in turn, one per channel.

Prints: cold cost (empty caches) and warm cost per simulated channel-second, the whole-window render time,
then "live monitoring": every channel's last second rendered once per second, and the largest channel
count that keeps up in real time on this machine (one core), checked by timing that many renders.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from arinb.audio import MediaSegment, render, to_wav_bytes, tone_spec
from arinb.audio import files as audio_files
from arinb.audio import tones as audio_tones

SOUNDS = Path("/usr/share/asterisk/sounds/en")
T0 = 1_795_000_000.0


def sound(name: str, samples: int, scratch: Path) -> str:
    real = SOUNDS / f"{name}.wav"
    if real.is_file():
        return str(real)
    fake = scratch / f"{name.replace('/', '_')}.wav"
    if not fake.exists():
        rng = np.random.default_rng(len(name))
        fake.write_bytes(to_wav_bytes((rng.standard_normal(samples) * 3000).astype(np.int16)))
    return str(fake)


def length_of(path: str) -> float:
    return audio_files.playable_samples(path).size / 8000


def workload(kind: str, seconds: float, scratch: Path, channel: str) -> list[MediaSegment]:
    end = T0 + seconds
    if kind == "ring-fr":
        return [MediaSegment(channel, T0, None, "tone", tone_spec("fr", "ring"))]
    if kind == "dial-us":
        return [MediaSegment(channel, T0, None, "tone", tone_spec("us", "dial"))]
    segments: list[MediaSegment] = []
    t = T0
    if kind == "monkeys":
        path = sound("tt-monkeys", 129440, scratch)
        while t < end:
            segments.append(MediaSegment(channel, t, t + length_of(path), "file", path, playback_id=f"p{t}"))
            t += length_of(path) + 0.004
        return segments
    say = ["digits/1", "digits/hundred", "digits/20", "digits/3"] + [f"digits/{d}" for d in "5551212"]
    paths = [sound(name, 6000, scratch) for name in say]
    weasels = sound("tt-weasels", 23608, scratch)
    while t < end:
        for path in paths:
            segments.append(MediaSegment(channel, t, t + length_of(path), "file", path, playback_id=f"s{t}"))
            t += length_of(path)
        segments.append(MediaSegment(channel, t, t + 1.0, "file", weasels, playback_id=f"w{t}"))
        segments.append(
            MediaSegment(channel, t + 2.0, t + 4.0, "file", weasels, offset=1.0, playback_id=f"w{t}")
        )
        t += 4.5
    return segments


def clear_caches() -> None:
    audio_files._playable_cached.cache_clear()
    audio_tones._oscillator.cache_clear()
    audio_tones.tone_program.cache_clear()


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated seconds per channel")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seconds = args.seconds
    print(
        f"python {platform.python_version()} numpy {np.__version__} on {platform.machine()}, {os.cpu_count()} cpus"
    )
    print(f"real sounds: {'yes' if (SOUNDS / 'tt-monkeys.wav').is_file() else 'no (synthetic stand-ins)'}")
    kinds = ["ring-fr", "dial-us", "monkeys", "say"]
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        logs = {kind: workload(kind, seconds, scratch, f"ch-{kind}") for kind in kinds}
        print(f"\nwhole window: {seconds:g} simulated s per channel, best of {args.repeat}")
        print(
            f"{'workload':10} {'segments':>8} {'cold ms':>9} {'warm ms':>9} {'warm µs per ch-s':>17} {'x real time':>12}"
        )
        warm_costs = {}
        for kind in kinds:
            segments = logs[kind]
            clear_caches()
            started = time.perf_counter()
            render(segments, T0, T0 + seconds)
            cold = time.perf_counter() - started
            warm = timed(lambda segments=segments: render(segments, T0, T0 + seconds), args.repeat)
            warm_costs[kind] = warm / seconds
            print(
                f"{kind:10} {len(segments):8d} {cold * 1e3:9.1f} {warm * 1e3:9.2f} "
                f"{warm / seconds * 1e6:17.1f} {seconds / warm:12.0f}"
            )

        # Live monitoring: each channel's newest second, rendered every second (window slides; caches warm).
        print("\nlive: each channel's last 1 s rendered once per simulated second (warm caches)")
        chunk_costs = {}
        for kind in kinds:
            segments = logs[kind]
            windows = [T0 + s for s in np.arange(1.0, seconds, max(1.0, seconds / 20))]
            cost = timed(
                lambda segments=segments, windows=windows: [render(segments, w - 1.0, w) for w in windows],
                args.repeat,
            )
            chunk_costs[kind] = cost / len(windows)
            print(f"{kind:10} {chunk_costs[kind] * 1e6:9.0f} µs per channel per 1 s chunk")
        mixed = statistics.mean(chunk_costs.values())
        capacity = int(1.0 / mixed)
        # Check: render `capacity` channels' 1 s chunks (mixed kinds) and time it.
        plan = [logs[kinds[i % len(kinds)]] for i in range(capacity)]
        window = T0 + seconds / 2
        elapsed = timed(lambda: [render(segments, window - 1.0, window) for segments in plan], args.repeat)
        print(
            f"\nmixed: {mixed * 1e6:.0f} µs per channel-second chunk -> about {capacity} channels in real time"
        )
        print(f"check: {capacity} channels' 1 s chunks rendered in {elapsed * 1e3:.0f} ms (needs < 1000 ms)")


if __name__ == "__main__":
    main()
