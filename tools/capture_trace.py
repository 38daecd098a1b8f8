"""Capture a trace (the format of ``tests/data/ari/traces``) from a real Asterisk: one scenario of requests.

Usage (a real Asterisk 22 with the shared dialplan on 127.0.0.1:8088, user asterisk/asterisk)::

    python3 tools/capture_trace.py channel-variables tests/data/ari/traces/channel-variables.json

Each request waits for its response and then ``SETTLE`` seconds, so the events it caused are recorded before
the next request. The scenarios use their own app names (the server may be shared).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from yarl import URL

HOST = "127.0.0.1:8088"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}
SETTLE = 0.2


class Capture:
    """A client that records what it sends and what it receives as trace steps."""

    def __init__(self, session: aiohttp.ClientSession, app: str) -> None:
        self.session, self.app = session, app
        self.t0 = time.time()
        self.steps: list[dict[str, Any]] = []
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def t(self) -> float:
        return round(time.time() - self.t0, 4)

    async def connect(self, apps: str) -> None:
        query = {"app": apps, "subscribeAll": "false"}
        self.steps.append(
            {"kind": "ws_connect", "t": self.t(), "url": f"ws://{HOST}/ari/events", "query": query}
        )
        self.ws = await self.session.ws_connect(f"ws://{HOST}/ari/events?{urlencode(query)}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            event = json.loads(msg.data)
            self.steps.append(
                {"kind": "event", "t": self.t(), "type": event["type"], "raw": msg.data, "event": event}
            )
            await self.events.put(event)

    async def local_pair(self, cid: str) -> str:
        """Originate ``Local/wait@default`` into the app as ``cid`` (its peer ``cid-b``); its path once in."""
        ids = {"channelId": cid, "otherChannelId": cid + "-b"}
        await self.req("POST", "/channels", {"endpoint": "Local/wait@default", "app": self.app, **ids})
        await self.wait_event("StasisStart")
        await asyncio.sleep(SETTLE)
        return f"/channels/{cid}"

    async def wait_event(self, type_: str, within: float = 5.0) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                event = await self.events.get()
                if event["type"] == type_:
                    return event

        return await asyncio.wait_for(find(), within)

    async def req(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> Any:
        pairs = list((query or {}).items())
        target = URL(f"http://{HOST}/ari{path}")  # encoded as the other captures (yarl: "@" and "/" as is)
        url = str(target.with_query(pairs) if pairs else target)
        step: dict[str, Any] = {"kind": "request", "t": self.t(), "method": method, "path": f"/ari{path}"}
        step.update({"query": [list(p) for p in pairs], "url": url})
        kw: dict[str, Any] = {}
        if body is not None:
            step["json_body"] = body
            kw["json"] = body
        self.steps.append(step)
        async with self.session.request(method, url, **kw) as r:
            text = await r.text()
            ctype = r.headers.get("Content-Type", "").split(";")[0] or None
            parsed = json.loads(text) if text and ctype == "application/json" else None
            self.steps.append(
                {
                    "kind": "response",
                    "t": self.t(),
                    "method": method,
                    "path": f"/ari{path}",
                    "status": r.status,
                    "reason": r.reason,
                    "content_type": ctype,
                    "body": parsed,
                    "raw_body": text,
                }
            )
        await asyncio.sleep(SETTLE)
        return parsed

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        self.steps.append({"kind": "ws_closed", "t": self.t()})


async def channel_variables(c: Capture) -> None:
    """Get/set of variables and functions, unset and unknown ones, report_events, every error case."""
    await c.connect(c.app)
    cid = "vars-1"
    ch = await c.local_pair(cid)
    other = f"/channels/{cid}-b"
    get = lambda name, path=ch: c.req("GET", path + "/variable", {"variable": name})  # noqa: E731
    setv = lambda q, path=ch: c.req("POST", path + "/variable", q)  # noqa: E731
    await c.req("GET", ch + "/variable")
    await get("NOPE")
    await get("X", "/channels/nope")
    await get("CHANNEL", other)  # not in Stasis: a read still works
    await setv({"variable": "X", "value": "1"}, other)
    await setv({"variable": "X", "value": "1"}, "/channels/nope")
    for name in (
        "CHANNEL",
        "UNIQUEID",
        "EXTEN",
        "CONTEXT",
        "PRIORITY",
        "HANGUPCAUSE",
        "CALLINGPRES",
        "CALLINGANI2",
        "CALLINGTON",
        "CALLINGTNS",
        "SYSTEMNAME",
        "ENTITYID",
        "ASTVERSION",
        "channel",
    ):
        await get(name)
    for name in (
        "CALLERID(name)",
        "CALLERID(num)",
        "CALLERID(number)",
        "CALLERID(all)",
        "CALLERID(bogus)",
        "CALLERID()",
        "CONNECTEDLINE(name)",
        "CHANNEL(name)",
        "CHANNEL(state)",
        "CHANNEL(language)",
        "CHANNEL(bogus)",
        "CHANNEL(channeltype)",
        "LEN(abc)",
        "LEN()",
        "TOUPPER(abc)",
        "NOPE(x)",
        "FOO)",
        ")",
        "CALLERID(",
        "callerid(name)",
    ):
        await get(name)
    await setv({"variable": "FOO", "value": "bar"})
    await get("FOO")
    await get("foo")
    await setv({"variable": "FOO", "value": ""})
    await get("FOO")
    await setv({"variable": "FOO"})  # unset an empty one: no event
    await setv({"variable": "FOO", "value": "x"})
    await setv({"variable": "FOO"})
    await setv({"variable": "FOO"})
    await get("FOO")
    await setv({"variable": "__INH", "value": "1"})
    for name in ("INH", "_INH", "__INH"):
        await get(name)
    await setv({"variable": "INH", "value": "2"})
    await get("INH")
    await setv({"variable": " SP ", "value": "1"})
    await get("SP")
    await get(" SP ")
    await setv({"variable": "", "value": "1"})
    await setv({"value": "1"})
    await setv({"variable": "CALLERID(name)", "value": "Bob"})
    await get("CALLERID(name)")
    await setv({"variable": "CALLERID(num)", "value": "555"})
    await setv({"variable": "CALLERID(all)", "value": '"Al" <123>'})
    await setv({"variable": "CALLERID(name)"})
    await get("CALLERID(all)")
    await setv({"variable": "CALLERID(bogus)", "value": "1"})
    await setv({"variable": "NOPE(x)", "value": "1"})
    await setv({"variable": "FOO)", "value": "1"})
    await setv({"variable": "CONNECTEDLINE(name)", "value": "Carl"})
    await setv({"variable": "CONNECTEDLINE(num)", "value": "77"})
    await setv({"variable": "CONNECTEDLINE(name)", "value": "Carla"})
    await setv({"variable": "CHANNEL(language)", "value": "fr"})
    await get("CHANNEL(language)")
    await setv({"variable": "LEN(x)", "value": "1"})
    # report_events: the variable is shown in the channel's snapshots (channelvars) while it is reportable
    await setv({"variable": "REP", "value": "1", "report_events": "true"})
    await setv({"variable": "REP", "value": "2"})  # report_events defaults to false: no longer reportable
    await setv({"variable": "OTHER", "value": "1"})
    await c.req("GET", ch)
    await setv({"variable": "CALLERID(name)", "value": "Rep", "report_events": "true"})
    await setv({"variable": "NOPE(x)", "value": "1", "report_events": "true"})
    await c.req("GET", ch)
    await setv({"variable": "NOPE(x)", "value": "1"})
    await setv({"variable": "CALLERID(name)", "value": "Rep2"})
    await c.req("GET", ch)
    await setv({"variable": "UNS", "report_events": "true"})
    await c.req("GET", ch)
    await setv({"variable": "UNS"})
    await setv({"variable": "X", "value": "1", "report_events": "bogus"})
    # the plural forms
    gets = lambda names, path=ch: c.req("GET", path + "/variables", {"variables": names})  # noqa: E731
    sets = lambda body, path=ch: c.req("POST", path + "/variables", None, body)  # noqa: E731
    await gets("CHANNEL,FOO")
    await gets("CHANNEL,REP")
    await gets("CHANNEL, REP ,CALLERID(name)")
    await gets("CHANNEL,,REP")
    await gets("")
    await c.req("GET", ch + "/variables")
    await gets("NOPE(x)")
    await gets("CHANNEL", other)
    await c.req("POST", ch + "/variables")
    await sets({"variables": {"A": "1", "B": "2"}})
    await sets({"variables": {"A": {"value": "3", "report_events": True}, "B": {"value": "4"}}})
    await c.req("GET", ch)
    await sets({"variables": {"A": 5}})
    await sets({"variables": {"A": None}})
    await sets({"variables": {"A": {"value": 6}}})
    await sets({"variables": {"A": {}}})
    await sets({"variables": {"A": {"value": "7", "report_events": "yes"}}})
    await sets({"variables": {"C": "1", "": "2", "D": "3"}})
    await sets({"variables": {"E": "1", "  ": "2", "F": "3"}})
    await sets({"variables": {" G ": "1"}})
    await sets({"variables": {"H": "1", "I": 5}})
    await gets("H")
    await sets({"variables": "x"})
    await sets({"other": 1})
    await sets({"variables": {"CALLERID(name)": "Zed"}})
    await sets({"variables": {"A": "1"}}, "/channels/nope")
    await sets({"variables": {"A": "1"}}, other)
    await c.req("POST", "/channels/nope/variables")
    # globals
    await c.req("GET", "/asterisk/variable", {"variable": "VARS_NOPE"})
    await c.req("GET", "/asterisk/variable")
    await c.req("POST", "/asterisk/variable", {"variable": "VARS_G", "value": "1"})
    await c.req("GET", "/asterisk/variable", {"variable": "VARS_G"})
    await get("VARS_G")
    await c.req("POST", "/asterisk/variable", {"variable": "VARS_G"})
    await get("VARS_G")
    for name in ("LEN(abc)", "CALLERID(name)", "NOPE(x)"):
        await c.req("GET", "/asterisk/variable", {"variable": name})
    await c.req("POST", "/asterisk/variable", {"variable": "NOPE(x)", "value": "1"})
    await c.req("POST", "/asterisk/variable", {"variable": "", "value": "1"})
    await c.req("POST", "/asterisk/variable")
    await c.req("DELETE", ch)
    await asyncio.sleep(0.5)
    await c.close()


async def channel_continue_move(c: Capture) -> None:
    """continueInDialplan to places that do not exist, labels, and move to apps that do and do not exist."""
    second = c.app + "-2"
    await c.connect(f"{c.app},{second}")
    n = 0

    async def fresh() -> str:
        nonlocal n
        n += 1
        return await c.local_pair(f"cont-{n}")

    ch = await fresh()
    await c.req("POST", "/channels/nope/continue")
    await c.req("POST", ch.replace("cont-1", "cont-1-b") + "/continue")  # not in Stasis
    await c.req("POST", ch + "/continue", {"label": "nolabel"})
    await c.req("POST", ch + "/continue", {"context": "default", "extension": "wait", "label": "nolabel"})
    await c.req("POST", ch + "/continue", {"label": "0"})
    await c.req("POST", ch + "/continue", {"context": "nocontext", "extension": "s", "label": "x"})
    # Never POST .../move without app: Asterisk 22.10.1 crashes (stasis_app_control_move gets a NULL app).
    await c.req("POST", ch + "/move", {"app": "nosuchapp"})
    await c.req("POST", ch + "/move", {"app": second, "appArgs": "a,b"})
    await c.req("POST", ch + "/move", {"app": c.app})
    await c.req("POST", "/channels/nope/move", {"app": c.app})
    await c.req("POST", ch + "/continue", {"context": "default", "extension": "nosuchexten", "priority": "1"})
    await asyncio.sleep(0.5)
    ch = await fresh()
    await c.req("POST", ch + "/continue", {"context": "default", "extension": "wait", "priority": "99"})
    await asyncio.sleep(0.5)
    ch = await fresh()
    await c.req("POST", ch + "/continue", {"context": "nosuchcontext"})
    await asyncio.sleep(0.5)
    ch = await fresh()
    await c.req("POST", ch + "/continue", {"label": "3x"})  # sscanf reads 3: priority 3 of default,wait
    await asyncio.sleep(0.5)
    ch = await fresh()
    await c.req("POST", ch + "/continue", {"priority": "-1"})
    await asyncio.sleep(0.5)
    await c.close()


async def playback_control(c: Capture) -> None:
    """Playback control by state and media: a tone, a paused and a queued sound, a say sequence, bad ids."""
    await c.connect(c.app)
    reply = await c.req("POST", "/channels", {"endpoint": "Local/wait@default", "app": c.app})
    await c.wait_event("StasisStart")
    # Answer() on ;2 waits up to 500 ms for the first audio frame: play only once it went on to Wait().
    await c.wait_event("ChannelDialplan")
    await asyncio.sleep(SETTLE)
    ch = f"/channels/{reply['id']}"
    control = lambda pid, op: c.req("POST", f"/playbacks/{pid}/control", {"operation": op})  # noqa: E731
    await c.req("POST", ch + "/play/ctl-tone", {"media": "tone:busy"})
    for op in ("pause", "pause"):
        await control("ctl-tone", op)
    await c.req("GET", "/playbacks/ctl-tone")
    for op in ("unpause", "unpause", "forward", "reverse", "restart", "pause"):
        await control("ctl-tone", op)
    await c.req("DELETE", "/playbacks/ctl-tone")
    await c.req("POST", ch + "/play/ctl-snd", {"media": "sound:tt-monkeys"})
    await asyncio.sleep(0.5)
    for op in ("pause", "forward", "reverse", "restart", "pause"):
        await control("ctl-snd", op)
    await c.req("POST", ch + "/play/ctl-q", {"media": "sound:beep"})
    for op in ("restart", "forward", "pause", "unpause"):
        await control("ctl-q", op)
    await control("ctl-snd", "unpause")
    await c.req("DELETE", "/playbacks/ctl-snd")
    await asyncio.sleep(1.0)
    await c.req("POST", ch + "/play/ctl-num", {"media": "number:123"})
    await asyncio.sleep(0.5)
    await control("ctl-num", "pause")  # forward/restart on a say sequence hung the call up once: not captured
    await asyncio.sleep(4.0)
    await control("ctl-nope", "bogus")
    await c.req("POST", "/playbacks/ctl-nope/control")
    await control("ctl-nope", "pause")
    await c.req("DELETE", ch)
    await asyncio.sleep(0.5)
    await c.close()


SCENARIOS: dict[str, tuple[str, Callable[[Capture], Awaitable[None]]]] = {
    "channel-variables": ("vars-capture", channel_variables),
    "channel-continue-move": ("cont-capture", channel_continue_move),
    "playback-control": ("ctl-capture", playback_control),
}


async def main(name: str, out: str) -> None:
    app, run = SCENARIOS[name]
    async with aiohttp.ClientSession(headers=AUTH) as session:
        c = Capture(session, app)
        started = c.t0
        await run(c)
    trace = {
        "scenario": name,
        "app": app,
        "description": (run.__doc__ or "").strip(),
        "asterisk_version": "22.10.1",
        "started_wallclock": started,
        "steps": c.steps,
    }
    write_trace(out, trace)


def write_trace(out: str, trace: dict[str, Any]) -> None:
    """Save ``trace`` as the captures in tests/data/ari are saved (one space of indent, a final newline)."""
    with open(out, "w") as f:
        json.dump(trace, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
