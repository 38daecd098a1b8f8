"""Run every arinb benchmark and write a results table.

    python3 bench/run.py            # full run (~10 min on 2 cores): markdown to stdout and bench/results/latest.md
    python3 bench/run.py --quick    # smaller counts and fewer repetitions (~2 min)
    python3 bench/run.py --only intake,rest --events 100000 --reps 3

Sections:

* **Event intake**: ``bench/intake_server.py`` (its own process) streams N real-shaped ARI events built
  from the Asterisk 22 captures as fast as the socket takes them, then a marker. Each client runs in its
  own process, is timed from its first event to the marker, and the median of ``--reps`` runs is reported
  with its ratio to the raw ``aiohttp + json.loads`` reader. Clients: raw aiohttp + json / orjson, arinb's
  full path (receive, parse, per-type and per-object dispatch, timeline row; the timeline must hold every
  event at the end), aioari 0.10.2, ari-client 0.9.0 (PyPI), Node's ari-client 2.2.0 and Node's raw ``ws``.
* Intake runs two workloads: plain (per-type handlers only) and per-object (also a per-channel handler from
  StasisStart to StasisEnd).
* **REST round trips**: 2,000 sequential ``POST /channels/{id}/answer`` (204) through each client's API, over
  HTTP and, for arinb and a raw aiohttp ceiling, as RESTRequest frames on the events WebSocket (Asterisk 22).
* **Memory**: bytes per retained event in arinb's timeline at 1,000,000 events.
* **Simulator**: ``bench/bench_sim.py`` (channels and events/s, REST latency, CPU, 10..1000 channels).
* **Timeline**: ``bench/bench_timeline.py`` when present (the timeline's own benchmark).
* **Audio**: ``bench/bench_audio.py`` when present (rendering what a caller hears).

The other clients are installed on first use, away from the project's environment: a venv in
``bench/.venv-others`` (``python3 -m venv`` + pip, pinned versions) and ``npm install --prefix bench/node``
(pinned in ``bench/node/package.json``). A client that cannot be installed or fails to run gets its error
in the table instead of a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
VENV = BENCH / ".venv-others"
NODE = BENCH / "node"
VENV_PY = VENV / "bin" / "python"
#: What the comparison venv holds (pinned: the known numbers in the issue are for these versions).
VENV_PINS = ("aioari==0.10.2", "ari-client==0.9.0", "orjson", "aiohttp")
CLIENT_TIMEOUT = 300.0
SLOW_RUN = 5.0  # seconds: a client this slow gets three repetitions, not --reps


@dataclass
class Client:
    name: str
    argv: Callable[[str, str], list[str]]  # (url, mode) -> command line
    driven: str
    needs: str = ""  # "venv" | "node" | ""
    rest: bool = True
    intake: bool = True


def _py(script: str, *extra: str) -> Callable[[str, str], list[str]]:
    return lambda url, mode: [
        sys.executable,
        str(BENCH / "clients" / script),
        "--url",
        url,
        "--mode",
        mode,
        *extra,
    ]


def _venv(script: str, requests: int) -> Callable[[str, str], list[str]]:
    return lambda url, mode: [
        str(VENV_PY),
        str(BENCH / "clients" / script),
        "--url",
        url,
        "--mode",
        mode,
        "--requests",
        str(requests),
    ]


def _node(script: str, requests: int) -> Callable[[str, str], list[str]]:
    return lambda url, mode: [
        "node",
        str(NODE / script),
        "--url",
        url,
        "--mode",
        mode,
        "--requests",
        str(requests),
    ]


def _failing(error: str) -> Callable[[str, str], list[str]]:
    """A stand-in command for a client that could not be installed: it exits with the install error."""
    return lambda url, mode: [sys.executable, "-c", f"raise SystemExit({error!r})"]


def clients(events: int, requests: int) -> list[Client]:
    arinb_intake = _py("arinb_client.py", "--expect", str(events + 1), "--requests", str(requests))
    return [
        Client(
            "raw aiohttp + json.loads",
            _py("raw_aiohttp.py", "--parser", "json", "--requests", str(requests)),
            "`ws_connect` loop, `json.loads`, dict of per-type handlers + dict of per-channel handlers; REST: shared `ClientSession`, Basic auth",
        ),
        Client(
            "raw aiohttp + orjson",
            _py("raw_aiohttp.py", "--parser", "orjson", "--requests", str(requests)),
            "as above with `orjson.loads`",
            rest=False,
        ),
        Client(
            "raw picows + orjson (compiled reader)",
            _py("raw_picows.py", "--parser", "orjson"),
            "picows 2.3 (Cython) frame callback, `orjson.loads` of the payload memoryview, the same dict dispatch; "
            "measured only (issue 12: would a compiled reader pay?), `pip install picows` to run it",
            rest=False,
        ),
        Client(
            "raw aiohttp, REST over WebSocket",
            _py(
                "raw_aiohttp.py",
                "--parser",
                "orjson",
                "--transport",
                "websocket",
                "--requests",
                str(requests),
            ),
            "RESTRequest frames on the events WebSocket (Asterisk 22), each awaiting its RESTResponse; orjson",
            intake=False,
        ),
        Client(
            "arinb",
            arinb_intake,
            "full path: `arinb.connect` (script form, engine thread), `session.on(type)` for each type + `event.channel.on('ChannelStateChange')` at StasisStart (not in the plain workload); the timeline must hold every event, type by type, marker last; REST: `await channel.answer()` from the caller's loop, `rest='http'`",
        ),
        Client(
            "arinb (script form)",
            _py("arinb_client.py", "--form", "sync", "--requests", str(requests)),
            "`channel.answer()` blocking in a plain script (each call waits for the engine thread), HTTP",
            intake=False,
        ),
        Client(
            "arinb (in a handler)",
            _py("arinb_client.py", "--form", "engine", "--requests", str(requests)),
            "`await channel.answer()` inside a coroutine on the engine loop, as an async event handler runs, HTTP",
            intake=False,
        ),
        Client(
            "arinb over WebSocket (notebook cell)",
            _py("arinb_client.py", "--rest", "websocket", "--requests", str(requests)),
            "`connect(rest='websocket')`; `await channel.answer()` from the caller's loop",
            intake=False,
        ),
        Client(
            "arinb over WebSocket (in a handler)",
            _py("arinb_client.py", "--rest", "websocket", "--form", "engine", "--requests", str(requests)),
            "`connect(rest='websocket')`; awaited on the engine loop, as an async handler does",
            intake=False,
        ),
        Client(
            "arinb over WebSocket (script form)",
            _py("arinb_client.py", "--rest", "websocket", "--form", "sync", "--requests", str(requests)),
            "`connect(rest='websocket')`; `channel.answer()` blocking in a plain script",
            intake=False,
        ),
        Client(
            "aioari 0.10.2",
            _venv("aioari_client.py", requests),
            "`on_channel_event`/`on_playback_event` per type + `channel.on_event('ChannelStateChange')` at StasisStart (closed at StasisEnd); REST: `client.channels.answer(channelId=)`",
            needs="venv",
        ),
        Client(
            "ari-client 0.9.0 (PyPI)",
            _venv("ariclient_client.py", requests),
            "`client.on_event(type)` async handler per type (library validates a pydantic model and spawns a task per event); no per-object API, so a dict in the handler; REST: `client.ari.answer_channel(id)`",
            needs="venv",
        ),
        Client(
            "Node ari-client 2.2.0",
            _node("ari_client.js", requests),
            "`client.on(type)` per type + `channel.on('ChannelStateChange')` at StasisStart (removed at StasisEnd); REST: `client.channels.answer({channelId})`",
            needs="node",
        ),
        Client(
            "Node raw ws",
            _node("raw_ws.js", requests),
            "`ws` 8 + `JSON.parse` + per-type and per-channel handler maps",
            needs="node",
            rest=False,
        ),
    ]


# ---------------------------------------------------------------------------------------------- setup


def ensure_venv() -> str:
    """Create ``bench/.venv-others`` with the pinned Python clients; '' when ready, else the error."""
    stamp = VENV / "arinb-bench-pins.txt"
    wanted = "\n".join(VENV_PINS)
    if VENV_PY.exists() and stamp.exists() and stamp.read_text() == wanted:
        return ""
    try:
        if not VENV_PY.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True
            )
        subprocess.run(
            [str(VENV_PY), "-m", "pip", "install", "-q", *VENV_PINS],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as e:
        return f"venv install failed: {(e.stderr or e.stdout or '').strip()[-300:]}"
    stamp.write_text(wanted)
    return ""


def ensure_node() -> str:
    """``npm install --prefix bench/node`` (pinned in package.json); '' when ready, else the error."""
    if (NODE / "node_modules" / "ari-client").exists() and (NODE / "node_modules" / "ws").exists():
        return ""
    try:
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        return "node/npm not installed"
    except subprocess.CalledProcessError as e:
        return f"npm install failed: {(e.stderr or e.stdout or '').strip()[-300:]}"
    return ""


# --------------------------------------------------------------------------------------------- running


class Server:
    """``intake_server.py`` in its own process; stops when its stdin closes."""

    def __init__(self, mode: str, events: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "intake_server.py"), "--mode", mode, "--events", str(events)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "PORT":
            self.close()
            raise RuntimeError("bench server did not start")
        self.url = f"http://127.0.0.1:{line[1]}"
        self.docs = line[3] if len(line) > 3 else "?"

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_client(argv: list[str]) -> dict[str, Any]:
    """Run one client process; its last stdout line is a JSON result, else the error is returned."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT, cwd=REPO)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        tail = [ln for ln in err.strip().splitlines() if ln.strip()]
        return {
            "error": f"timed out after {CLIENT_TIMEOUT:.0f} s"
            + (f"; stderr: {tail[-1][-200:]}" if tail else "")
        }
    except OSError as e:
        return {"error": str(e)}
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                out: dict[str, Any] = json.loads(line)
            except json.JSONDecodeError:
                break
            if p.returncode == 0:
                return out
            break
    tail = [ln for ln in (p.stderr or p.stdout).strip().splitlines() if ln.strip()]
    return {"error": f"exit {p.returncode}: " + (tail[-1] if tail else "no output")[-300:]}


@dataclass
class Measured:
    client: Client
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def median(self, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in self.runs)

    @property
    def version(self) -> str:
        return next((str(r["version"]) for r in self.runs if "version" in r), "")


def measure(
    kind: str, chosen: list[Client], server: Server, reps: int, check: Callable[[dict[str, Any]], str]
) -> list[Measured]:
    results = [Measured(c) for c in chosen]
    # Round-robin the repetitions so that a noisy moment on the shared machine hits every client alike.
    for rep in range(reps):
        for m in results:
            if m.error and not m.runs:
                continue  # failed on its first try: do not waste the time budget
            if rep >= 3 and m.median() > SLOW_RUN:
                continue  # three runs of a slow client are enough for a median; keeps a full run ~10 min
            out = run_client(m.client.argv(server.url, kind))
            problem = out.get("error") or check(out)
            if problem:
                m.error = str(problem)
                print(
                    f"  {kind} {m.client.name}: rep {rep + 1} FAILED: {problem}", file=sys.stderr, flush=True
                )
            else:
                m.runs.append(out)
                print(
                    f"  {kind} {m.client.name}: rep {rep + 1} {out['seconds']:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def _cpu(m: Measured) -> float | None:
    """Median process CPU seconds of a client's runs (None if it does not report them)."""
    if not m.runs or any("cpu_seconds" not in r for r in m.runs):
        return None
    return statistics.median(r["cpu_seconds"] for r in m.runs)


def _verdict(value: float, target: float) -> str:
    return f"{value:.2f}, **{'met' if value >= target else 'MISSED'}**"


WORKLOADS = {
    "intake": "per-object workload: per-type handlers + a per-channel handler from StasisStart to StasisEnd",
    "intake-plain": "plain workload: per-type handlers only, no per-object handler",
}


def intake_section(
    chosen: list[Client], events: int, reps: int, mode: str = "intake"
) -> tuple[list[str], dict[str, Any]]:
    expect = events + 1

    def check(out: dict[str, Any]) -> str:
        if out.get("events") != expect:
            return f"received {out.get('events')} events, expected {expect}"
        if "timeline_events" in out and out["timeline_events"] != expect:
            return f"timeline holds {out['timeline_events']} events, expected {expect}"
        return ""

    with Server("intake", events) as server:
        results = measure(mode, [c for c in chosen if c.intake], server, reps, check)
        docs = server.docs
    ok = [m for m in results if m.runs]
    wall = {m.client.name: expect / m.median() for m in ok}
    cpu = {m.client.name: expect / c for m in ok if (c := _cpu(m))}
    base = next((m.client.name for m in ok if m.client.name.startswith("raw aiohttp + json")), None)
    lines = [
        f"### Event intake, {WORKLOADS[mode]}: {events:,} events + marker, median of {reps} runs "
        f"(3 for clients slower than {SLOW_RUN:g} s)",
        "",
        "Wall rate: first event to marker. CPU rate: events per second of the client process's CPU time "
        "(all its threads) over the same span, which a busy shared machine disturbs far less.",
        "",
        "| client | events/s (wall) | ratio to raw json.loads | events per CPU-s | ratio (CPU) | runs (s) "
        "| version | how driven |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    raw: dict[str, Any] = {"events": events, "reps": reps, "apidocs": docs, "clients": {}}
    for m in results:
        name = m.client.name
        if m.runs:
            ratio = f"{wall[name] / wall[base]:.2f}" if base else "n/a"
            c_rate = f"{cpu[name]:,.0f}" if name in cpu else "n/a"
            c_ratio = f"{cpu[name] / cpu[base]:.2f}" if base in cpu and name in cpu else "n/a"
            runs = ", ".join(f"{r['seconds']:.2f}" for r in m.runs)
            err = f" (a later run failed: {m.error})" if m.error else ""
            lines.append(
                f"| {name} | {wall[name]:,.0f} | {ratio} | {c_rate} | {c_ratio} | {runs}{err} | {m.version} "
                f"| {m.client.driven} |"
            )
            raw["clients"][name] = {
                "events_per_s": wall[name],
                "events_per_cpu_s": cpu.get(name),
                "runs": m.runs,
            }
        else:
            lines.append(f"| {name} | **failed** | | | | {m.error} | | {m.client.driven} |")
            raw["clients"][name] = {"error": m.error}
    lines.append("")
    arinb = next((m for m in ok if m.client.name.startswith("arinb")), None)
    others = [m.client.name for m in ok if m.client.name.split()[0] in ("aioari", "ari-client")]
    if arinb and others:
        a = arinb.client.name
        best_wall = max(others, key=lambda k: wall[k])
        # Issue 12: the plain workload >= 2x aioari and >= 0.9x the raw json.loads reader; the per-object
        # workload keeps its lead (> 1x the fastest other Python client).
        goal = 2.0 if mode == "intake-plain" else 1.0
        text = (
            f"Target arinb >= {goal:g}x the fastest other Python client: wall "
            f"{_verdict(wall[a] / wall[best_wall], goal)} ({best_wall})"
        )
        cpu_others = [k for k in others if k in cpu]
        if a in cpu and cpu_others:
            best_cpu = max(cpu_others, key=lambda k: cpu[k])
            text += f"; CPU {_verdict(cpu[a] / cpu[best_cpu], goal)} ({best_cpu})"
        if base and mode == "intake-plain":
            text += f". Target >= 0.9x raw json.loads: wall {_verdict(wall[a] / wall[base], 0.9)}"
            if a in cpu and base in cpu:
                text += f"; CPU {_verdict(cpu[a] / cpu[base], 0.9)}"
        in_tl = all(r.get("timeline_events") == expect for r in arinb.runs)
        lines.append(
            f"{text}. Every event in arinb's timeline at the end of every run: {'yes' if in_tl else 'NO'}."
        )
        builds = [r["timeline_build_cpu_seconds"] for r in arinb.runs if "timeline_build_cpu_seconds" in r]
        if builds and a in cpu:
            later = 1e6 * statistics.median(builds) / expect
            now_us = 1e6 / cpu[a]
            lines.append(
                f"arinb's intake leaves the timeline rows' columns to build later, off the intake path (when "
                f"the socket is quiet or a reader asks): {later:.2f} µs of CPU per event, after "
                f"{now_us:.2f} on the intake path. Both together: {1e6 / (now_us + later):,.0f} events per "
                f"CPU-s"
                + (f", {1e6 / (now_us + later) / cpu[base]:.2f}x raw json.loads" if base in cpu else "")
                + "."
            )
            raw["clients"][a]["timeline_build_us_per_event"] = later
    lines.append(f"Swagger documents served from `{docs}`.")
    return lines, raw


def rest_section(chosen: list[Client], requests: int, reps: int) -> tuple[list[str], dict[str, Any]]:
    def check(out: dict[str, Any]) -> str:
        got = out.get("requests")
        return "" if got == requests else f"made {got} requests, expected {requests}"

    with Server("rest") as server:
        results = measure("rest", [c for c in chosen if c.rest], server, reps, check)
    ok = [m for m in results if m.runs]
    base = next((m for m in ok if m.client.name.startswith("raw aiohttp")), None)
    lines = [
        f"### REST round trips: {requests:,} sequential `POST /channels/{{id}}/answer` (204), "
        f"median of {reps} runs (3 for clients slower than {SLOW_RUN:g} s)",
        "",
        "| client | requests/s | µs per call (wall) | ratio to raw aiohttp | client CPU µs per call | ratio (CPU) "
        "| version |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    raw: dict[str, Any] = {"requests": requests, "reps": reps, "clients": {}}
    base_cpu = _cpu(base) if base else None
    for m in results:
        if m.runs:
            rate = requests / m.median()
            ratio = f"{base.median() / m.median():.2f}" if base else "n/a"
            c = _cpu(m)
            c_us = f"{1e6 * c / requests:.0f}" if c else "n/a"
            c_ratio = f"{base_cpu / c:.2f}" if c and base_cpu else "n/a"
            lines.append(
                f"| {m.client.name} | {rate:,.0f} | {1e6 / rate:.0f} | {ratio} | {c_us} | {c_ratio} | {m.version} |"
            )
            raw["clients"][m.client.name] = {"requests_per_s": rate, "runs": m.runs}
        else:
            lines.append(f"| {m.client.name} | **failed** | | | | | {m.error} |")
            raw["clients"][m.client.name] = {"error": m.error}
    by_name = {m.client.name: m for m in ok}
    if base:
        # Issue 12's targets, as ratios to raw aiohttp over HTTP within this run.
        texts = []
        for name, goal in (
            ("arinb over WebSocket (notebook cell)", 1.0),
            ("arinb over WebSocket (in a handler)", 1.5),
        ):
            if name in by_name:
                texts.append(f"{name} >= {goal:g}x: {_verdict(base.median() / by_name[name].median(), goal)}")
        aioari = next((m for m in ok if m.client.name.startswith("aioari")), None)
        if "arinb" in by_name and aioari is not None:
            want = base.median() / aioari.median()
            got = base.median() / by_name["arinb"].median()
            texts.append(f"arinb over HTTP (notebook cell) >= aioari's {want:.2f}: {_verdict(got, want)}")
        if texts:
            lines += ["", "Targets (ratio to raw aiohttp over HTTP, wall): " + "; ".join(texts) + "."]
    return lines, raw


def script_section(title: str, argv: list[str], timeout: float) -> tuple[list[str], dict[str, Any]]:
    """Run a bench script that prints markdown (and optionally a final JSON line) and embed its output."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return [f"### {title}", "", f"**failed**: timed out after {timeout:.0f} s"], {"error": "timeout"}
    body = [ln for ln in p.stdout.rstrip().splitlines() if not ln.startswith("{")]
    if body and not any(ln.startswith("|") for ln in body):
        body = ["```text", *body, "```"]  # plain-text report: keep its columns in the markdown
    raw: dict[str, Any] = {"seconds": time.perf_counter() - t0, "exit": p.returncode}
    for ln in p.stdout.splitlines():
        if ln.startswith("{"):
            try:
                raw.update(json.loads(ln))
            except json.JSONDecodeError:
                pass
    if p.returncode != 0:
        tail = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
        body.append(f"**failed** (exit {p.returncode}): {tail[-1] if tail else ''}")
        raw["error"] = tail[-1] if tail else f"exit {p.returncode}"
    return [f"### {title}", "", *body], raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller counts, fewer repetitions (~2 min)")
    ap.add_argument("--events", type=int, help="events per intake run (default 200,000; quick 50,000)")
    ap.add_argument("--requests", type=int, help="REST round trips per run (default 2,000; quick 500)")
    ap.add_argument("--reps", type=int, help="repetitions per client (default 5; quick 2)")
    ap.add_argument(
        "--only", default="intake,rest,memory,timeline,audio,sim", help="comma-separated sections"
    )
    ap.add_argument("--clients", default="", help="comma-separated name prefixes to keep (e.g. 'raw,arinb')")
    args = ap.parse_args()
    events = args.events or (50_000 if args.quick else 200_000)
    requests = args.requests or (500 if args.quick else 2_000)
    reps = args.reps or (2 if args.quick else 5)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}

    started = dt.datetime.now(dt.UTC)
    chosen = clients(events, requests)
    if args.clients:
        keep = [k.strip().lower() for k in args.clients.split(",")]
        chosen = [c for c in chosen if any(c.name.lower().startswith(k) for k in keep)]
    if sections & {"intake", "rest"}:
        problems = {"venv": ensure_venv() if any(c.needs == "venv" for c in chosen) else ""}
        problems["node"] = ensure_node() if any(c.needs == "node" for c in chosen) else ""
        for c in chosen:
            if c.needs and problems[c.needs]:
                c.argv = _failing(problems[c.needs])

    out = [
        f"## arinb benchmarks, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"`python3 bench/run.py{' --quick' if args.quick else ''}` on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}; load average at start "
        f"{os.getloadavg()[0]:.1f} (the machine is shared: a load above ~1 makes every number noisier).",
        "",
    ]
    raw: dict[str, Any] = {"started": started.isoformat(), "quick": args.quick}
    if "intake" in sections:
        for mode in ("intake-plain", "intake"):
            print(f"{mode}: {events:,} events x {reps} reps", file=sys.stderr, flush=True)
            lines, raw[mode] = intake_section(chosen, events, reps, mode)
            out += [*lines, ""]
    if "rest" in sections:
        print(f"rest: {requests:,} requests x {reps} reps", file=sys.stderr, flush=True)
        lines, raw["rest"] = rest_section(chosen, requests, reps)
        out += [*lines, ""]
    if "memory" in sections:
        n = 200_000 if args.quick else 1_000_000
        print(f"memory: {n:,} events", file=sys.stderr, flush=True)
        lines, raw["memory"] = script_section(
            f"Memory: arinb timeline at {n:,} events",
            [sys.executable, str(BENCH / "bench_memory.py"), "--events", str(n), "--variants", "raw"],
            300,
        )
        out += [*lines, ""]
    if "timeline" in sections and (BENCH / "bench_timeline.py").exists():
        print("timeline: bench/bench_timeline.py", file=sys.stderr, flush=True)
        argv = [sys.executable, str(BENCH / "bench_timeline.py"), *(["--quick"] if args.quick else [])]
        lines, raw["timeline"] = script_section("Timeline (bench/bench_timeline.py)", argv, 300)
        out += [*lines, ""]
    if "audio" in sections and (BENCH / "bench_audio.py").exists():
        print("audio: bench/bench_audio.py", file=sys.stderr, flush=True)
        argv = [sys.executable, str(BENCH / "bench_audio.py"), "--seconds", "10" if args.quick else "60"]
        lines, raw["audio"] = script_section("Audio rendering (bench/bench_audio.py)", argv, 300)
        out += [*lines, ""]
    if "sim" in sections:
        print("sim: bench/bench_sim.py", file=sys.stderr, flush=True)
        argv = [sys.executable, str(BENCH / "bench_sim.py"), *(["--quick"] if args.quick else [])]
        lines, raw["sim"] = script_section("Simulator (bench/bench_sim.py)", argv, 300)
        out += [*lines, ""]
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    out.append(f"Total bench time {elapsed:.0f} s; load average at the end {os.getloadavg()[0]:.1f}.")
    text = "\n".join(out) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    (RESULTS / "latest.json").write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
