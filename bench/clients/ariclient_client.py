"""ari-client 0.9.0 (PyPI; pydantic models, websockets, httpx) driven the way its README does.

Intake: one async handler per event type (``client.on_event(type)``; the library validates every event
into a pydantic model and runs each handler as its own task). The library has no per-object handlers, so
the StasisStart handler keeps a dict of per-channel callbacks, as an app using it must. REST:
``await client.ari.answer_channel(id)``. Runs in ``bench/.venv-others``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from ari_client import AriClient

MARKER = "bench-marker-end"
TYPES = (
    "StasisStart",
    "ChannelVarset",
    "ChannelStateChange",
    "PlaybackStarted",
    "ChannelDtmfReceived",
    "PlaybackFinished",
    "ChannelHangupRequest",
    "StasisEnd",
)


def _client(url: str) -> AriClient:
    parts = urlsplit(url)
    return AriClient(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 8088,
        ari_user="asterisk",
        ari_password="asterisk",
    )


async def intake(url: str, plain: bool = False) -> dict[str, Any]:
    """``plain``: per-type handlers only (the per-channel dict is never filled)."""
    client = _client(url)
    n = 0
    t0 = c0 = 0.0
    per_object = 0
    per_channel: dict[str, Callable[[Any], None]] = {}
    done = asyncio.Event()

    def on_state(ev: Any) -> None:
        nonlocal per_object
        per_object += 1

    async def handler(ev: Any) -> None:
        nonlocal n, t0, c0
        if n == 0:
            t0 = time.perf_counter()
            c0 = time.process_time()
        n += 1
        t = ev.type if isinstance(ev.type, str) else ev.type.value
        ch = getattr(ev, "channel", None)
        if t == "StasisStart":
            if not plain:
                per_channel[ch.id] = on_state
        elif t == "StasisEnd":
            per_channel.pop(ch.id, None)
            if ch.id == MARKER:
                done.set()
        elif ch is not None:
            h = per_channel.get(ch.id)
            if h is not None:
                h(ev)

    for t in TYPES:
        client.on_event(t)(handler)
    await client.connect(app="bench")
    await done.wait()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    await client.disconnect()
    return {"events": n, "seconds": elapsed, "cpu_seconds": cpu, "per_object_calls": per_object}


async def rest(url: str, requests: int) -> dict[str, Any]:
    client = _client(url)
    await client.connect(app="bench")
    await client.ari.answer_channel("warmup")
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(requests):
        await client.ari.answer_channel(f"1795700000.{i % 50}")
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    await client.disconnect()
    return {"requests": requests, "seconds": elapsed, "cpu_seconds": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=("intake", "intake-plain", "rest"), default="intake")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    logging.disable(logging.INFO)  # the library logs at INFO on every connect/cancel
    if args.mode == "rest":
        out = asyncio.run(rest(args.url, args.requests))
    else:
        out = asyncio.run(intake(args.url, plain=args.mode == "intake-plain"))
    out["version"] = (
        f"ari-client {version('ari-client')} (pydantic {version('pydantic')}, websockets {version('websockets')}, httpx {version('httpx')})"
    )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
