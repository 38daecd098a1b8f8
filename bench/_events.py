"""Real-shaped ARI event streams for the intake benchmark, built from the verbatim Asterisk 22 captures.

Each simulated call replays the shapes a real Asterisk sent (``shared/ari/traces``): StasisStart,
ChannelVarset, ChannelStateChange, PlaybackStarted, ChannelDtmfReceived, PlaybackFinished,
ChannelHangupRequest, StasisEnd. Every call gets its own channel id, name and playback id, and
``window`` calls run interleaved, so a client's per-object dispatch sees many live ids at once.
The stream ends with :data:`MARKER_CHANNEL`'s StasisEnd, the event every client stops the clock on.

>>> frames = build_frames(1000)
>>> len(frames)                       # 1000 events + the marker
1001
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
SHARED_ARI = REPO / "tests" / "data" / "ari"  # the captures, kept in the repo as test data
APP = "bench"
MARKER_CHANNEL = "bench-marker-end"
#: The order one call's events come in (each shape taken verbatim from a trace).
CALL_SHAPE = (
    "StasisStart",
    "ChannelVarset",
    "ChannelStateChange",
    "PlaybackStarted",
    "ChannelDtmfReceived",
    "PlaybackFinished",
    "ChannelHangupRequest",
    "StasisEnd",
)
EVENT_TYPES = tuple(sorted(set(CALL_SHAPE)))
_BASE_EPOCH_MS = 1_795_700_000_000


def _templates() -> dict[str, dict[str, Any]]:
    """One verbatim event per type in :data:`CALL_SHAPE`, from the captures (first seen wins)."""
    wanted = set(CALL_SHAPE)
    found: dict[str, dict[str, Any]] = {}
    for name in ("tones.json", "dtmf.json", "originate-app.json", "tones-subscribe-all.json"):
        path = SHARED_ARI / "traces" / name
        for step in json.loads(path.read_text())["steps"]:
            if step.get("kind") != "event":
                continue
            ev = json.loads(step["raw"])
            etype = ev["type"]
            # ChannelVarset must carry a channel to exercise per-object dispatch (some are global).
            if etype in wanted and etype not in found and (etype != "ChannelVarset" or "channel" in ev):
                found[etype] = ev
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"traces in {SHARED_ARI} lack {sorted(missing)}")
    return found


def _stamp(ms: int) -> str:
    secs, rem = divmod(ms, 1000)
    t = dt.datetime.fromtimestamp(secs, dt.UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{rem:03d}+0000"


def iter_events(count: int, window: int = 20) -> Iterator[dict[str, Any]]:
    """``count`` events of ``window`` interleaved calls (without the marker)."""
    raw = {k: orjson.dumps(v) for k, v in _templates().items()}
    active: list[list[int]] = []  # [call number, next step]
    next_call = 0
    emitted = 0
    while emitted < count:
        while len(active) < window:
            active.append([next_call, 0])
            next_call += 1
        for slot in list(active):
            if emitted >= count:
                break
            call, step = slot
            etype = CALL_SHAPE[step]
            ev = orjson.loads(raw[etype])
            stamp = _stamp(_BASE_EPOCH_MS + emitted)
            ev["timestamp"] = stamp
            ev["application"] = APP
            ch = ev.get("channel")
            if ch is not None:
                ch["id"] = f"1795700000.{call}"
                ch["name"] = f"PJSIP/bench-{call:08x}"
                ch["creationtime"] = stamp
                if etype in ("ChannelStateChange", "PlaybackStarted", "ChannelDtmfReceived"):
                    ch["state"] = "Up"
            pb = ev.get("playback")
            if pb is not None:
                pb["id"] = f"bench-pb-{call}"
                pb["target_uri"] = f"channel:1795700000.{call}"
            yield ev
            emitted += 1
            slot[1] += 1
            if slot[1] == len(CALL_SHAPE):
                active.remove(slot)


def marker_event() -> dict[str, Any]:
    ev = orjson.loads(orjson.dumps(_templates()["StasisEnd"]))
    ev["application"] = APP
    ev["channel"]["id"] = MARKER_CHANNEL
    ev["channel"]["name"] = "PJSIP/bench-marker"
    return ev


def build_frames(count: int, window: int = 20) -> list[bytes]:
    """The serialized stream: ``count`` events then the marker, compact JSON as Asterisk writes it."""
    frames = [orjson.dumps(ev) for ev in iter_events(count, window)]
    frames.append(orjson.dumps(marker_event()))
    return frames


def ws_text_frame(payload: bytes) -> bytes:
    """A server-to-client WebSocket text frame (RFC 6455 §5.2: FIN + opcode 1, unmasked).

    Written by hand on purpose: the bench server pre-encodes the whole stream once so that sending costs
    nothing per event, which no WebSocket library exposes.
    """
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload
