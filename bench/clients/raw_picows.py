"""A compiled WebSocket reader as the ceiling: picows (Cython) + a JSON parser + dict dispatch.

The same workload as ``raw_aiohttp.py`` (per-type handlers; per-channel handlers unless ``--mode
intake-plain``), with picows's frame callback instead of aiohttp's ``receive()``: the measurement issue 12
asks for, to decide whether a compiled reader would pay for itself in arinb. Prints one JSON line.

    python3 bench/clients/raw_picows.py --url http://127.0.0.1:PORT --mode intake --parser orjson
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

MARKER = "bench-marker-end"


async def intake(url: str, loads: Callable[[Any], Any], plain: bool) -> dict[str, Any]:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    counts: dict[str, int] = {}
    per_channel: dict[str, Callable[[dict[str, Any]], None]] = {}
    state = {"n": 0, "per_object": 0, "t0": 0.0, "c0": 0.0, "t1": 0.0, "c1": 0.0}
    finished = asyncio.get_running_loop().create_future()

    def count(ev: dict[str, Any]) -> None:
        t = ev["type"]
        counts[t] = counts.get(t, 0) + 1

    def on_channel(ev: dict[str, Any]) -> None:
        state["per_object"] += 1

    def stasis_start(ev: dict[str, Any]) -> None:
        count(ev)
        if not plain:
            per_channel[ev["channel"]["id"]] = on_channel

    def stasis_end(ev: dict[str, Any]) -> None:
        count(ev)
        cid = ev["channel"]["id"]
        per_channel.pop(cid, None)
        if cid == MARKER and not finished.done():
            state["t1"], state["c1"] = time.perf_counter(), time.process_time()
            finished.set_result(None)

    handlers: dict[str, Callable[[dict[str, Any]], None]] = {
        "StasisStart": stasis_start,
        "StasisEnd": stasis_end,
    }
    text = WSMsgType.TEXT

    class Listener(WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type is not text:
                return
            if state["n"] == 0:
                state["t0"], state["c0"] = time.perf_counter(), time.process_time()
            state["n"] += 1
            ev = loads(frame.get_payload_as_memoryview())
            handlers.get(ev["type"], count)(ev)
            ch = ev.get("channel")
            if ch is not None:
                h = per_channel.get(ch["id"])
                if h is not None:
                    h(ev)

    ws_url = url.replace("http", "ws", 1) + "/ari/events?app=bench&api_key=asterisk:asterisk"
    transport, _listener = await ws_connect(Listener, ws_url, max_frame_size=1 << 24)
    await finished
    transport.disconnect()
    return {
        "events": state["n"],
        "seconds": state["t1"] - state["t0"],
        "cpu_seconds": state["c1"] - state["c0"],
        "per_object_calls": state["per_object"],
        "by_type": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=("intake", "intake-plain"), default="intake")
    ap.add_argument("--parser", choices=("json", "orjson"), default="orjson")
    args = ap.parse_args()
    import picows

    if args.parser == "orjson":
        import orjson

        loads: Callable[[Any], Any] = orjson.loads
        version = f"picows {picows.__version__}, orjson {orjson.__version__}"
    else:
        loads = json.loads
        version = f"picows {picows.__version__}, json (stdlib)"
    out = asyncio.run(intake(args.url, loads, args.mode == "intake-plain"))
    out["version"] = version
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
