"""The externalMedia ``/media/<connection id>`` WebSocket on a running simulator (loopback), as Asterisk
22.10.1 serves it (shared/ari/ASTERISK22.md, external-media-websocket): handshake errors as HTML pages, the
subprotocol, MEDIA_START, the close codes."""

from __future__ import annotations

import asyncio

import aiohttp

from arinb.sim import simulate

SERVER = {
    "app": "em-test",
    "format": "slin",
    "transport": "websocket",
    "encapsulation": "none",
    "connection_type": "server",
}


async def _next_event(ws: aiohttp.ClientWebSocketResponse, type_: str) -> dict[str, object]:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        event = msg.json()
        if event["type"] == type_:
            return event


async def test_media_socket_handshake_messages_and_close_codes() -> None:
    async with simulate(speed=1.0) as sim:
        auth = {"Authorization": aiohttp.encode_basic_auth(sim.username, sim.password)}
        media = sim.url.replace("http", "ws", 1) + "/media/"
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(headers=auth, timeout=timeout) as http,
            aiohttp.ClientSession(timeout=timeout) as anonymous,
        ):
            events = await http.ws_connect(f"{sim.url}/ari/events?app=em-test")
            async with http.post(f"{sim.url}/ari/channels/externalMedia", params=SERVER) as resp:
                assert resp.status == 200
                channel = await resp.json()
            conn_id = channel["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]

            # An unknown id: 404 with Asterisk's HTML page, no authentication needed at all.
            async with anonymous.get(f"{sim.url}/media/00000000-0000-0000-0000-000000000000") as resp:
                assert (resp.status, resp.reason, resp.content_type) == (404, "Not found", "text/html")
                assert "<p>WebSocket instance not found</p>" in await resp.text()
            ws = await anonymous.ws_connect(media + conn_id, protocols=("media",))
            assert ws.protocol == "media"
            first = await asyncio.wait_for(ws.receive(), 5)
            assert first.data.startswith(f"MEDIA_START connection_id:{conn_id} channel:{channel['name']} ")
            start = await _next_event(events, "StasisStart")
            assert start["channel"]["id"] == channel["id"]

            # A second connection to the same id: 409.
            try:
                await http.ws_connect(media + conn_id)
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 409
            else:  # pragma: no cover - the assertion below explains
                raise AssertionError("a second media connection was accepted")

            await ws.send_str("GET_STATUS")
            status = await asyncio.wait_for(ws.receive(), 5)
            assert status.data.startswith(f"STATUS channel_id:{channel['id']} queue_length:0 ")

            # The client closes: Asterisk answers 1001 and the channel hangs up (tech_cause 1001).
            await ws.close(code=1000)
            assert ws.close_code == 1001
            hangup = await _next_event(events, "ChannelHangupRequest")
            assert (hangup["cause"], hangup["tech_cause"]) == (16, 1001)

            # ARI hangs a connected media channel up: Asterisk closes the socket with 1000.
            async with http.post(f"{sim.url}/ari/channels/externalMedia", params=SERVER) as resp:
                second = await resp.json()
            ws2 = await http.ws_connect(media + second["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"])
            assert ws2.protocol is None
            await asyncio.wait_for(ws2.receive(), 5)  # MEDIA_START
            async with http.delete(f"{sim.url}/ari/channels/{second['id']}") as resp:
                assert resp.status == 204
            closing = await asyncio.wait_for(ws2.receive(), 5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1000
            await ws2.close()
            await events.close()


async def test_client_external_media_channel_hears_its_playback_as_binary_frames() -> None:
    """The notebook path: the client's typed handle makes the channel, the socket gets 20 ms slin frames."""
    import arinb

    async with (
        simulate(speed=1.0) as sim,
        arinb.connect(sim.url, sim.username, sim.password, apps="em-client") as session,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
    ):
        ch = await session.channels.external_media(
            app="em-client",
            format="slin",
            transport="websocket",
            encapsulation="none",
            connection_type="server",
        )
        conn_id = ch.json["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]
        started = session.expect("StasisStart", lambda e: e.channel.id == ch.id, timeout=5)
        ws = await http.ws_connect(
            sim.url.replace("http", "ws", 1) + f"/media/{conn_id}", protocols=("media",)
        )
        assert (await asyncio.wait_for(ws.receive(), 5)).data.startswith("MEDIA_START ")
        await started
        await ch.play("tone:ring;tonezone=fr", playback_id="em-client-pb")
        frames = []
        while len(frames) < 10:
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.BINARY, msg
            frames.append(msg.data)
        assert {len(f) for f in frames} == {320} and any(any(f) for f in frames)
        await ch.hangup()
        while (msg := await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.BINARY:
            pass
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1000
        await ws.close()


async def test_closing_the_simulator_closes_its_media_sockets_at_once() -> None:
    sim = await simulate(speed=1.0)
    auth = {"Authorization": aiohttp.encode_basic_auth(sim.username, sim.password)}
    try:
        async with aiohttp.ClientSession(headers=auth, timeout=aiohttp.ClientTimeout(total=10)) as http:
            events = await http.ws_connect(f"{sim.url}/ari/events?app=em-test")
            async with http.post(f"{sim.url}/ari/channels/externalMedia", params=SERVER) as resp:
                conn_id = (await resp.json())["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]
            ws = await http.ws_connect(sim.url.replace("http", "ws", 1) + f"/media/{conn_id}")
            await asyncio.wait_for(ws.receive(), 5)  # MEDIA_START
            await sim.close()  # closes the media socket first (before: it waited for the handler's timeout)
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
            await events.close()
    finally:
        await sim.close()
