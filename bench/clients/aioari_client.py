"""aioari 0.10.2 driven the way its README does: typed per-type callbacks and per-channel callbacks.

Intake: ``client.on_channel_event`` for every channel event type and ``client.on_playback_event`` for the
playback ones (aioari builds a Channel/Playback object per event), plus ``channel.on_event(
"ChannelStateChange", ...)`` registered at StasisStart and closed at StasisEnd. REST: ``await
client.channels.answer(channelId=...)`` (swagger operation). Runs in ``bench/.venv-others``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from importlib.metadata import version
from typing import Any

import aioari

MARKER = "bench-marker-end"
CHANNEL_TYPES = (
    "StasisStart",
    "ChannelVarset",
    "ChannelStateChange",
    "ChannelDtmfReceived",
    "ChannelHangupRequest",
    "StasisEnd",
)
PLAYBACK_TYPES = ("PlaybackStarted", "PlaybackFinished")


async def intake_plain(url: str) -> dict[str, Any]:
    """The plain workload: a per-type handler for each type (``client.on_event``, raw dicts), no objects."""
    client = await aioari.connect(url, "asterisk", "asterisk")
    n = 0
    t0 = c0 = 0.0
    done = asyncio.Event()

    def on_event(ev: dict[str, Any]) -> None:
        nonlocal n, t0, c0
        if n == 0:
            t0 = time.perf_counter()
            c0 = time.process_time()
        n += 1
        if ev["type"] == "StasisEnd" and ev["channel"]["id"] == MARKER:
            done.set()

    for t in (*CHANNEL_TYPES, *PLAYBACK_TYPES):
        client.on_event(t, on_event)
    runner = asyncio.create_task(client.run(apps="bench"))
    await done.wait()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    runner.cancel()
    try:
        await runner
    except (asyncio.CancelledError, Exception):
        pass
    await client.close()
    return {"events": n, "seconds": elapsed, "cpu_seconds": cpu, "per_object_calls": 0}


async def intake(url: str) -> dict[str, Any]:
    client = await aioari.connect(url, "asterisk", "asterisk")
    n = 0
    t0 = c0 = 0.0
    per_object = 0
    subs: dict[str, Any] = {}
    done = asyncio.Event()

    def first() -> None:
        nonlocal n, t0, c0
        if n == 0:
            t0 = time.perf_counter()
            c0 = time.process_time()
        n += 1

    def on_state(channel: Any, ev: dict[str, Any]) -> None:
        nonlocal per_object
        per_object += 1

    def on_channel(channel: Any, ev: dict[str, Any]) -> None:
        first()
        if isinstance(channel, dict):  # events with two Channel fields (StasisStart: replace_channel)
            channel = channel["channel"]
        t = ev["type"]
        if t == "StasisStart":
            subs[channel.id] = channel.on_event("ChannelStateChange", on_state)
        elif t == "StasisEnd":
            sub = subs.pop(channel.id, None)
            if sub is not None:
                sub.close()
            if channel.id == MARKER:
                done.set()

    def on_playback(playback: Any, ev: dict[str, Any]) -> None:
        first()

    for t in CHANNEL_TYPES:
        client.on_channel_event(t, on_channel)
    for t in PLAYBACK_TYPES:
        client.on_playback_event(t, on_playback)
    runner = asyncio.create_task(client.run(apps="bench"))
    await done.wait()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    runner.cancel()
    try:
        await runner
    except (asyncio.CancelledError, Exception):
        pass
    await client.close()
    return {"events": n, "seconds": elapsed, "cpu_seconds": cpu, "per_object_calls": per_object}


async def rest(url: str, requests: int) -> dict[str, Any]:
    client = await aioari.connect(url, "asterisk", "asterisk")
    await client.channels.answer(channelId="warmup")
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(requests):
        await client.channels.answer(channelId=f"1795700000.{i % 50}")
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    await client.close()
    return {"requests": requests, "seconds": elapsed, "cpu_seconds": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=("intake", "intake-plain", "rest"), default="intake")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    if args.mode == "intake":
        out = asyncio.run(intake(args.url))
    elif args.mode == "intake-plain":
        out = asyncio.run(intake_plain(args.url))
    else:
        out = asyncio.run(rest(args.url, args.requests))
    out["version"] = (
        f"aioari {version('aioari')} (aioswagger11 {version('aioswagger11')}, aiohttp {version('aiohttp')})"
    )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
