"""The network-level trace: ws-and-auth-errors.json (a real Asterisk 22.10.1) replayed over loopback."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from testkit.data import TRACES

from arinb.sim import simulate
from tests.sim.conftest import basic


def _steps(name: str) -> list[dict[str, Any]]:
    return list(json.loads((TRACES / name).read_text())["steps"])


async def test_ws_and_auth_errors_replay() -> None:
    steps = _steps("ws-and-auth-errors.json")
    async with simulate(speed=10) as sim, aiohttp.ClientSession() as http:
        ws_url = sim.url.replace("http", "ws", 1) + "/ari/events"
        good_key = f"{sim.username}:{sim.password}"
        checked = 0
        for i, step in enumerate(steps):
            if step["kind"] == "ws_connect_attempt":
                query = dict(step["query"])
                if "api_key" in query:
                    query["api_key"] = good_key if step["api_key_valid"] else f"{sim.username}:wrong"
                with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                    await http.ws_connect(ws_url, params=query)
                assert e.value.status == step["status"], step
                checked += 1
            elif step["kind"] == "request":
                response = steps[i + 1]
                assert response["kind"] == "response"
                auth = step.get("auth")
                headers = (
                    {}
                    if auth == "none"
                    else basic(sim.username, "wrong" if auth == "bad password" else sim.password)
                )
                url = sim.url + step["path"]
                async with http.request(step["method"], url, params=step["query"], headers=headers) as r:
                    body = await r.read()
                    assert (r.status, r.reason) == (response["status"], response["reason"]), step
                    assert r.headers.get("Content-Type") == response["content_type"]
                    assert body.decode() == response["raw_body"]
                    if "www_authenticate" in response:
                        assert r.headers["WWW-Authenticate"] == response["www_authenticate"]
                checked += 1
        assert checked == 8


async def test_rest_info_statuses_replay() -> None:
    """Every request of probe-rest-info.json answers with the captured status, reason and content type."""
    steps = _steps("probe-rest-info.json")
    async with simulate(speed=10) as sim, aiohttp.ClientSession(headers=basic()) as http:
        ws = await http.ws_connect(sim.url.replace("http", "ws", 1) + "/ari/events?app=probe")
        try:
            for i, step in enumerate(steps):
                if step["kind"] != "request":
                    continue
                response = steps[i + 1]
                async with http.request(step["method"], sim.url + step["path"], params=step["query"]) as r:
                    assert (r.status, r.reason) == (response["status"], response["reason"]), step["path"]
                    assert r.headers.get("Content-Type") == response["content_type"]
                    assert r.headers["Server"] == "Asterisk/22.10.1"
        finally:
            await ws.close()
