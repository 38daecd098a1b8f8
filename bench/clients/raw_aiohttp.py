"""The practical ceiling: aiohttp WebSocket + a JSON parser + dict dispatch, no client library.

Intake: per-type handlers in a dict, and a per-channel handler registered at StasisStart and dropped at
StasisEnd (what an ARI app does by hand; ``--mode intake-plain``: per-type handlers only). REST:
``POST /channels/{id}/answer`` with a shared ``ClientSession`` and Basic auth, or (``--transport
websocket``) as RESTRequest frames on the events WebSocket, each waiting for its RESTResponse. Prints one JSON line (see ``bench/run.py``).

    python3 bench/clients/raw_aiohttp.py --url http://127.0.0.1:PORT --mode intake --parser orjson
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

MARKER = "bench-marker-end"


async def intake(url: str, loads: Callable[[Any], Any], plain: bool = False) -> dict[str, Any]:
    counts: dict[str, int] = {}
    per_channel: dict[str, Callable[[dict[str, Any]], None]] = {}
    per_object_calls = 0
    done = False

    def count(ev: dict[str, Any]) -> None:
        t = ev["type"]
        counts[t] = counts.get(t, 0) + 1

    def on_channel(ev: dict[str, Any]) -> None:
        nonlocal per_object_calls
        per_object_calls += 1

    def stasis_start(ev: dict[str, Any]) -> None:
        count(ev)
        if not plain:
            per_channel[ev["channel"]["id"]] = on_channel

    def stasis_end(ev: dict[str, Any]) -> None:
        nonlocal done
        count(ev)
        cid = ev["channel"]["id"]
        per_channel.pop(cid, None)
        if cid == MARKER:
            done = True

    handlers: dict[str, Callable[[dict[str, Any]], None]] = {
        "StasisStart": stasis_start,
        "StasisEnd": stasis_end,
    }
    n = 0
    t0 = c0 = 0.0
    async with aiohttp.ClientSession() as http:
        ws_url = url.replace("http", "ws", 1) + "/ari/events?app=bench&api_key=asterisk:asterisk"
        async with http.ws_connect(ws_url, max_msg_size=0) as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                if n == 0:
                    t0 = time.perf_counter()
                    c0 = time.process_time()
                n += 1
                ev = loads(msg.data)
                handlers.get(ev["type"], count)(ev)
                ch = ev.get("channel")
                if ch is not None:
                    h = per_channel.get(ch["id"])
                    if h is not None:
                        h(ev)
                if done:
                    break
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
    return {
        "events": n,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "per_object_calls": per_object_calls,
        "by_type": counts,
    }


async def rest(url: str, requests: int) -> dict[str, Any]:
    auth = {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.post(url + "/ari/channels/warmup/answer") as r:
            assert r.status == 204, r.status
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i in range(requests):
            async with http.post(f"{url}/ari/channels/1795700000.{i % 50}/answer") as r:
                if r.status != 204:
                    raise RuntimeError(f"answer -> {r.status}")
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return {"requests": requests, "seconds": elapsed, "cpu_seconds": cpu}


async def rest_ws(url: str, requests: int, loads: Callable[[Any], Any]) -> dict[str, Any]:
    """The same answers as RESTRequest frames on the events WebSocket (Asterisk 22), one at a time."""
    import orjson

    dumps = orjson.dumps
    async with aiohttp.ClientSession() as http:
        ws_url = url.replace("http", "ws", 1) + "/ari/events?app=bench&api_key=asterisk:asterisk"
        async with http.ws_connect(ws_url, max_msg_size=0) as ws:

            async def call(i: int, uri: str) -> None:
                tid = str(i)
                msg = {"type": "RESTRequest", "transaction_id": tid, "request_id": tid, "method": "POST"}
                msg["uri"] = uri
                await ws.send_str(dumps(msg).decode())
                while True:
                    reply = loads(await ws.receive_str())
                    if reply.get("type") == "RESTResponse" and reply["transaction_id"] == tid:
                        break
                if reply["status_code"] != 204:
                    raise RuntimeError(f"answer -> {reply['status_code']}")

            await call(-1, "channels/warmup/answer")
            t0 = time.perf_counter()
            c0 = time.process_time()
            for i in range(requests):
                await call(i, f"channels/1795700000.{i % 50}/answer")
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
    return {"requests": requests, "seconds": elapsed, "cpu_seconds": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=("intake", "intake-plain", "rest"), default="intake")
    ap.add_argument("--transport", choices=("http", "websocket"), default="http", help="REST transport")
    ap.add_argument("--parser", choices=("json", "orjson"), default="json")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    if args.parser == "orjson":
        import orjson

        loads: Callable[[Any], Any] = orjson.loads
        version = f"aiohttp {aiohttp.__version__}, orjson {orjson.__version__}"
    else:
        loads = json.loads
        version = f"aiohttp {aiohttp.__version__}, json (stdlib)"
    if args.mode.startswith("intake"):
        out = asyncio.run(intake(args.url, loads, plain=args.mode == "intake-plain"))
    elif args.transport == "websocket":
        out = asyncio.run(rest_ws(args.url, args.requests, loads))
    else:
        out = asyncio.run(rest(args.url, args.requests))
    out["version"] = version
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
