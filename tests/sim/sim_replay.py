"""Replay a captured real-Asterisk trace (tests/data/ari/traces) against the engine, socket-free.

The engine starts with the trace's clock and counters, so channel ids and names match the capture; every
request is sent at its recorded time (requests the real server answered late, like an answer blocked behind
a playback, stay pending while simulated time runs). The result holds what the engine sent and answered,
side by side with what the real server did.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from testkit.data import API_DOCS, NO_API_DOCS, TRACES

from arinb.models import loads, parse_timestamp
from arinb.sim.clock import Clock
from arinb.sim.engine import Reply, SimEngine


def _routes() -> list[tuple[str, re.Pattern[str], str, list[str]]]:
    """(method, path regex, operation key, path params) for every ARI operation.

    From Asterisk's own api-docs when they are beside the repository, else from the simulator's route table
    (which tests/sim/test_apidocs.py checks against those api-docs wherever they are present).
    """
    declared: list[tuple[str, str, str]] = []  # (method, path template, operation key)
    if not NO_API_DOCS:
        for doc in sorted(API_DOCS.glob("*.json")):
            data = json.loads(doc.read_text())
            for api in data.get("apis", []):
                for op in api.get("operations", []):
                    declared.append((op["httpMethod"], api["path"], f"{doc.stem}.{op['nickname']}"))
    else:
        from arinb.sim.routes import ROUTES as TABLE

        declared = [(op.method, op.path, op.key) for op in TABLE]
    routes = []
    for method, template, key in declared:
        names = re.findall(r"\{(\w+)\}", template)
        regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
        routes.append((method, regex, key, names))
    # literal segments win over parameters (/channels/create before /channels/{channelId})
    routes.sort(key=lambda r: len(r[3]))
    return routes


ROUTES = _routes()


def route(method: str, path: str) -> tuple[str, dict[str, str]]:
    """(operation key, path params) for a trace request."""
    if path.startswith("/ari"):
        path = path[4:]
    from urllib.parse import unquote

    for m, regex, key, _names in ROUTES:
        if m != method:
            continue
        found = regex.match(path)
        if found:
            return key, {k: unquote(v) for k, v in found.groupdict().items()}
    raise KeyError(f"{method} {path}")


@dataclass
class Replay:
    """What the engine did for one trace."""

    trace: dict[str, Any]
    frames: list[tuple[float, str, str]] = field(default_factory=list)  # (t, socket, raw)
    replies: list[tuple[float, dict[str, Any], Reply]] = field(default_factory=list)
    engine: SimEngine | None = None
    ids: dict[str, str] = field(default_factory=dict)  # trace id -> engine id (generated ids)

    def events(self, socket: str | None = None) -> list[dict[str, Any]]:
        return [loads(raw) for _, s, raw in self.frames if socket is None or s == socket]

    def types(self, socket: str | None = None) -> list[str]:
        return [e["type"] for e in self.events(socket)]

    def trace_events(self, socket: str | None = None) -> list[dict[str, Any]]:
        return [
            s["event"]
            for s in self.trace["steps"]
            if s["kind"] == "event" and (socket is None or s.get("socket", "") == socket)
        ]

    def trace_types(self, socket: str | None = None) -> list[str]:
        return [e["type"] for e in self.trace_events(socket)]


def load(name: str) -> dict[str, Any]:
    return json.loads((TRACES / f"{name}.json").read_text())


def _seed(engine: SimEngine, trace: dict[str, Any]) -> None:
    """Counters as the real server had them when the trace started."""
    seeded = False
    for step in trace["steps"]:
        if step["kind"] != "response":
            continue
        body = step.get("body") if isinstance(step.get("body"), dict) else {}
        name = str(body.get("name", ""))
        if not seeded and step.get("path") in ("/ari/channels", "/ari/channels/create"):
            m = re.match(r"^\d+\.(\d+)$", str(body.get("id", "")))
            n = re.search(r"-([0-9a-f]{8});1$", name)
            if m and n:
                engine.seed_counters(uid=int(m.group(1)), unreal=int(n.group(1), 16))
                seeded = True
        snoop = re.match(r"^Snoop/.*-([0-9a-f]{8})$", name)
        if snoop:
            engine.seed_counters(tech={"Snoop": int(snoop.group(1), 16)})
            return


async def replay(name: str, *, tail: float = 2.0) -> Replay:
    """Run trace ``name`` against a fresh engine with a manual clock."""
    trace = load(name)
    start = float(trace["started_wallclock"])
    # The trace's t=0 is started_wallclock; event timestamps say the same within a few ms.
    for step in trace["steps"]:
        if step["kind"] == "event":
            start = parse_timestamp(step["event"]["timestamp"]) - step["t"]
            break
    clock = Clock.manual(start=start)
    engine = SimEngine(clock=clock)
    engine.dialplan.add_extension("default", "1003", ["NoOp()", "Stasis(probe)", "Hangup()"])
    _seed(engine, trace)
    result = Replay(trace, engine=engine)
    conns: dict[str, Any] = {}
    pending: list[asyncio.Task[None]] = []

    def sender(sock: str):
        return lambda raw: result.frames.append((clock.now() - start, sock, raw))

    ids = result.ids  # trace id -> engine id, for ids the server generates (bridge, playback)
    expected = {id(req): resp for req, resp in paired_responses(trace)}

    def mapped(text: str) -> str:
        for theirs, mine in ids.items():
            text = text.replace(theirs, mine)
        return text

    async def do_request(step: dict[str, Any]) -> None:
        key, params = route(step["method"], mapped(step["path"]))
        query = {k: mapped(v) for k, v in step["query"]}
        body = step.get("json_body")
        reply = await engine.handle(key, params, query, body)
        result.replies.append((clock.now() - start, step, reply))
        resp = expected.get(id(step))
        if resp is not None and isinstance(resp.get("body"), dict) and isinstance(reply.body, dict):
            theirs, mine = resp["body"].get("id"), reply.body.get("id")
            if isinstance(theirs, str) and isinstance(mine, str) and theirs != mine:
                ids[theirs] = mine

    for step in trace["steps"]:
        t = step["t"]
        now_t = clock.now() - start
        if t > now_t:
            await clock.run_for(t - now_t)
        kind = step["kind"]
        sock = step.get("socket", "")
        if kind == "ws_connect":
            q = step["query"]
            conns[sock] = engine.connect_app(
                q["app"].split(","), q.get("subscribeAll") == "true", sender(sock)
            )
        elif kind in ("ws_client_close", "ws_closed") and sock in conns and kind == "ws_client_close":
            conns.pop(sock).close()
        elif kind == "request" and "auth" not in step:
            try:
                route(step["method"], step["path"])
            except KeyError:
                continue
            pending.append(asyncio.ensure_future(do_request(step)))
            for _ in range(3):
                await asyncio.sleep(0)
    await clock.run_for(tail)
    for task in pending:
        if not task.done():
            task.cancel()
    return result


def paired_responses(trace: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(request step, response step) pairs of a trace, matched in order by method and path."""
    out = []
    used: set[int] = set()
    steps = trace["steps"]
    for i, step in enumerate(steps):
        if step["kind"] != "request" or "auth" in step:
            continue
        for j in range(i + 1, len(steps)):
            other = steps[j]
            if (
                j not in used
                and other["kind"] == "response"
                and other["method"] == step["method"]
                and other["path"] == step["path"]
            ):
                used.add(j)
                out.append((step, other))
                break
    return out
