"""Seeded random operation sequences: the engine never raises, and no control queue is left stuck on a
command that already ended (a stuck queue would block every later answer on that channel forever)."""

from __future__ import annotations

import asyncio
import random

import pytest
from sim_helpers import Harness

OPS = [
    "channels.answer", "channels.hangup", "channels.play", "channels.playWithId", "channels.ring",
    "channels.ringStop", "channels.progress", "channels.startSilence", "channels.stopSilence",
    "channels.sendDTMF", "channels.continueInDialplan", "channels.dial", "channels.record",
    "channels.setChannelVar", "channels.getChannelVar", "channels.snoopChannel", "channels.move",
    "playbacks.stop", "playbacks.control", "playbacks.get", "bridges.create", "bridges.addChannel",
    "bridges.removeChannel", "bridges.play", "bridges.destroy", "recordings.stop", "recordings.cancel",
    "recordings.pause", "recordings.unpause", "recordings.deleteStored", "recordings.getStoredFile",
    "applications.subscribe", "applications.unsubscribe", "channels.create", "channels.originate",
    "channels.list", "channels.get",
]  # fmt: skip
MEDIA = [
    "sound:beep",
    "sound:tt-weasels",
    "tone:busy",
    "foo:bar",
    "sound:x",
    "number:42",
    "sound:beep,tone:ring",
]
MEDIA += ["recording:r1", ""]


def _check_queues(h: Harness) -> None:
    engine = h.engine
    for ch in engine.channels.values():
        busy = ch.queue.busy if ch.queue is not None else None
        if busy is None:
            continue
        kind, _, name = busy.name.partition(" ")
        if kind == "play":
            assert any(
                p.state in ("playing", "paused", "continuing") for p in engine.playbacks.by_id.get(name, [])
            )
        elif kind == "record":
            assert name in engine.recordings.live


async def _run(seed: int, steps: int = 250) -> None:
    rnd = random.Random(seed)
    h = Harness(subscribe_all=rnd.random() < 0.5)
    playback_ids: list[str] = []
    bridge_ids: list[str] = []
    waiting: list[asyncio.Future[object]] = []
    for i in range(steps):
        chans = list(h.engine.channels)
        cid = rnd.choice(chans) if chans and rnd.random() < 0.9 else "nope"
        op = rnd.choice(OPS)
        query = {
            "media": rnd.choice(MEDIA),
            "dtmf": rnd.choice(["1", "12#", "", "Zx"]),
            "operation": rnd.choice(["pause", "unpause", "forward", "reverse", "restart", "bogus"]),
            "name": rnd.choice(["r1", "r2"]),
            "format": "wav",
            "maxDurationSeconds": str(rnd.choice([0, 1, 2])),
            "ifExists": rnd.choice(["overwrite", "fail"]),
            "variable": "V",
            "value": "1",
            "app": "probe",
            "spy": "out",
            "channel": ",".join(rnd.sample(chans, min(len(chans), 2))) if chans else "x",
            "endpoint": rnd.choice(["Local/1003@default", "Local/wait@default", "Bogus/x"]),
            "extension": "wait",
            "context": "default",
            "type": "mixing",
            "eventSource": f"channel:{cid}",
        }
        path = {
            "channelId": cid,
            "playbackId": rnd.choice(playback_ids) if playback_ids and rnd.random() < 0.8 else f"pb{i}",
            "bridgeId": rnd.choice(bridge_ids) if bridge_ids else "b",
            "recordingName": "r1",
            "applicationName": "probe",
        }
        task = asyncio.ensure_future(h.engine.handle(op, path, query))
        await asyncio.sleep(0)
        if task.done():
            reply = task.result()  # raises if the engine did
            if reply.status == 201 and isinstance(reply.body, dict) and "media_uri" in reply.body:
                playback_ids.append(reply.body["id"])
            if op == "bridges.create" and reply.status == 200:
                bridge_ids.append(reply.body["id"])
        else:
            waiting.append(task)  # an answer or a variable behind a playback
        h.advance(rnd.choice([0, 0.001, 0.1, 0.5, 2, 5]))
        _check_queues(h)
    h.advance(400)
    await asyncio.sleep(0)
    _check_queues(h)
    for task in waiting:
        if task.done():
            task.result()
        else:
            task.cancel()


@pytest.mark.parametrize("seed", range(8))
async def test_random_operations(seed: int) -> None:
    await _run(seed)
