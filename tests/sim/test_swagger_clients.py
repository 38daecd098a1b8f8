"""Third-party, swagger-driven ARI clients run the ARI docs' monkeys app, unmodified, against the simulator.

* Python: ``aioari`` (0.10.2, through ``aioswagger11``). Skipped when it is not installed; nothing is
  installed at test time.
* Node: ``ari-client`` 2.2.0 from ``bench/node/node_modules`` (``npm ci --prefix bench/node``). Skipped when
  node or the module is missing.

Both load ``/ari/api-docs`` from the simulator, build their operations and event models from it, connect the
events WebSocket, and drive a call: StasisStart -> play sound:tt-monkeys -> PlaybackFinished -> hang up.
The clock runs 40x, so the 16.18 s of monkeys take about 0.4 s of wall time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from arinb.models import parse_timestamp
from arinb.sim import Simulator, simulate
from tests.sim.conftest import basic

APP = "channel-playback-monkeys"
DIALPLAN = f"""
[default]
exten => 1001,1,NoOp()
 same => n,Stasis({APP})
 same => n,Hangup()
"""
MONKEYS_SECONDS = 16.18
NODE_MODULES = Path(__file__).resolve().parents[2] / "bench" / "node" / "node_modules"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulate(speed=40, dialplan=DIALPLAN) as s:
        yield s


async def _wait_registered(sim: Simulator, app: str) -> None:
    """Until the client's WebSocket has registered the application (GET /applications/{app} -> 200)."""
    import aiohttp

    deadline = time.monotonic() + 10.0
    async with aiohttp.ClientSession(headers=basic(sim.username, sim.password)) as http:
        while time.monotonic() < deadline:
            async with http.get(f"{sim.url}/ari/applications/{app}") as r:
                if r.status == 200:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError(f"application {app} never registered")


async def test_aioari_runs_the_monkeys_example(sim: Simulator) -> None:
    aioari = pytest.importorskip("aioari", reason="aioari is not installed (add it to the dev extras)")
    client = await aioari.connect(sim.url, sim.username, sim.password)
    seen: list[tuple[str, str, str]] = []
    done = asyncio.Event()

    # The ARI docs' example, as written for aioari (handlers unchanged apart from recording what happened).
    async def stasis_start_cb(channel_obj: dict[str, Any], ev: dict[str, Any]) -> None:
        channel = channel_obj["channel"]
        seen.append(("StasisStart", ev["timestamp"], channel.id))
        playback = await channel.play(media="sound:tt-monkeys")

        async def playback_finished(playback: Any, ev: dict[str, Any]) -> None:
            target_uri = playback.json.get("target_uri")
            channel_id = target_uri.replace("channel:", "")
            channel = await client.channels.get(channelId=channel_id)
            seen.append(("PlaybackFinished", ev["timestamp"], channel_id))
            await channel.hangup()

        playback.on_event("PlaybackFinished", playback_finished)

    async def stasis_end_cb(channel: Any, ev: dict[str, Any]) -> None:
        seen.append(("StasisEnd", ev["timestamp"], channel.id))
        done.set()

    client.on_channel_event("StasisStart", stasis_start_cb)
    client.on_channel_event("StasisEnd", stasis_end_cb)
    # Not part of the example: an observer for timing (PlaybackStarted can arrive before play's 201).
    started: list[str] = []
    client.on_event("PlaybackStarted", lambda ev: started.append(ev["timestamp"]))
    runner = asyncio.create_task(client.run(apps=APP))
    try:
        await _wait_registered(sim, APP)
        channel_id = await sim.call("1001", caller="alice")
        await asyncio.wait_for(done.wait(), 20)
    finally:
        await client.close()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert [kind for kind, _, _ in seen] == ["StasisStart", "PlaybackFinished", "StasisEnd"]
    assert {cid for _, _, cid in seen} == {channel_id}
    assert len(started) == 1
    played = parse_timestamp(seen[1][1]) - parse_timestamp(started[0])
    assert played == pytest.approx(MONKEYS_SECONDS, abs=0.05)


NODE_MONKEYS = r"""
// The ARI docs' channel-playback-monkeys example for ari-client, plus progress lines for the test.
var ari = require('ari-client');
var util = require('util');

ari.connect(process.argv[2], process.argv[3], process.argv[4], clientLoaded);

function clientLoaded (err, client) {
  if (err) { console.log('ERROR ' + err); process.exit(2); }
  client.on('StasisStart', stasisStart);
  client.on('StasisEnd', stasisEnd);
  client.on('WebSocketConnected', function () { console.log('CONNECTED'); });
  // Not part of the example: an observer for timing.
  client.on('PlaybackStarted', function (event) { console.log('PLAYING ' + event.timestamp); });

  function stasisStart(event, channel) {
    console.log(util.format('STARTED %s %s', event.timestamp, channel.name));
    var playback = client.Playback();
    channel.play({media: 'sound:tt-monkeys'}, playback, function(err, newPlayback) {
      if (err) { throw err; }
    });
    playback.on('PlaybackFinished', playbackFinished);

    function playbackFinished(event, completedPlayback) {
      console.log(util.format('FINISHED %s %s', event.timestamp, completedPlayback.state));
      channel.hangup(function(err) {
        if (err) { throw err; }
      });
    }
  }

  function stasisEnd(event, channel) {
    console.log(util.format('ENDED %s', channel.name));
    process.exit(0);
  }

  client.start('channel-playback-monkeys');
}
"""


async def test_node_ari_client_runs_the_monkeys_example(sim: Simulator, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "ari-client").is_dir():
        missing = "node or bench/node/node_modules/ari-client missing (bash tools/setup-dev.sh installs both)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{missing}: CI must run the Node ari-client against the simulator")
        pytest.skip(missing)
    script = tmp_path / "monkeys.js"
    script.write_text(NODE_MONKEYS)
    proc = await asyncio.create_subprocess_exec(
        node,
        str(script),
        sim.url,
        sim.username,
        sim.password,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"},
    )
    lines: list[str] = []
    try:

        async def read_until(prefix: str) -> str:
            assert proc.stdout is not None
            while True:
                raw = await asyncio.wait_for(proc.stdout.readline(), 20)
                if not raw:
                    raise AssertionError(f"node exited before {prefix}: {lines}")
                line = raw.decode().strip()
                lines.append(line)
                if line.startswith(prefix):
                    return line

        await read_until("CONNECTED")
        await sim.call("1001", caller="bob")
        started = (await read_until("STARTED")).split()
        playing = (await read_until("PLAYING")).split()
        finished = (await read_until("FINISHED")).split()
        ended = await read_until("ENDED")
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert finished[2] == "done"
    assert parse_timestamp(finished[1]) - parse_timestamp(playing[1]) == pytest.approx(
        MONKEYS_SECONDS, abs=0.05
    )
    assert started[2] == ended.split()[1]
