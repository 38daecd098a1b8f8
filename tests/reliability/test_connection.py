"""The events WebSocket goes away mid-stream: reconnect with backoff, resubscribe, record the gap,
lose nothing that arrived, keep handlers working, and leak no task or socket."""

from __future__ import annotations

import itertools
from typing import Any

from reliability_server import APP, PASSWORD, ControlledAri, event
from testkit.runtime import engine_tasks, eventually, open_sockets, timeline_rows


def varset(channel: str, i: int) -> dict[str, Any]:
    return event("ChannelVarset", channel=channel, state="Up", variable="N", value=str(i))


def _values(events: list[Any]) -> list[str]:
    return [e["value"] for e in events if e.type == "ChannelVarset"]


async def test_server_closes_socket_mid_stream_reconnects_and_keeps_every_event(
    ari: ControlledAri, session: Any
) -> None:
    everything: list[Any] = []
    on_channel: list[Any] = []
    session.on("*", everything.append)

    def started(ev: Any) -> None:
        ev.channel.on("ChannelVarset", on_channel.append)

    session.on("StasisStart", started)
    await ari.send(event("StasisStart", channel="1.1"), *(varset("1.1", i) for i in range(20)))
    await eventually(lambda: len(everything) == 21, what="first half delivered")

    await ari.drop()
    await ari.wait_connected(2)
    # Resubscribed to the same application, with the same options.
    assert ari.ws_connects[1]["app"] == APP
    assert ari.ws_connects[1].get("subscribeAll", "false") == ari.ws_connects[0].get("subscribeAll", "false")

    await ari.send(*(varset("1.1", i) for i in range(20, 40)), event("StasisEnd", channel="1.1", state="Up"))
    await eventually(lambda: len(everything) == 42, what="second half delivered")

    assert _values(everything) == [str(i) for i in range(40)]
    # The per-channel handler registered before the drop still fires after it.
    assert _values(on_channel) == [str(i) for i in range(40)]

    df = session.timeline.df
    events = df[df["kind"] == "event"]
    assert len(events) == 42
    assert list(events["type"][:2]) == ["StasisStart", "ChannelVarset"]
    # The gap is in the timeline, between the last event before the drop and the first after it.
    conn = df[df["kind"] == "connection"]
    kinds = list(conn["type"])
    assert "loss" in kinds
    assert "reconnect" in kinds
    loss_seq = int(conn[conn["type"] == "loss"]["seq"].iloc[0])
    reconnect_seq = int(conn[conn["type"] == "reconnect"]["seq"].iloc[0])
    seq_of_21st = int(events["seq"].iloc[20])
    seq_of_22nd = int(events["seq"].iloc[21])
    assert seq_of_21st < loss_seq < reconnect_seq < seq_of_22nd


async def test_server_restart_on_same_port_reconnects_and_rest_works_again(
    ari: ControlledAri, session: Any
) -> None:
    got: list[Any] = []
    session.on("StasisStart", got.append)
    await ari.send(event("StasisStart", channel="2.1"))
    await eventually(lambda: got, what="StasisStart")
    channel = got[0].channel

    await ari.restart(down_for=0.5)
    await ari.wait_connected(2, within=15)

    await ari.send(event("StasisStart", channel="2.2"))
    await eventually(lambda: len(got) == 2, what="event after restart")
    # REST goes through a fresh connection: the pooled one died with the old server.
    await channel.answer()
    assert ari.count("POST", "/ari/channels/2.1/answer") == 1
    kinds = list(timeline_rows(session, "connection")["type"])
    assert kinds.count("loss") == 1
    assert kinds.count("reconnect") == 1


async def test_reconnect_backs_off_while_the_server_refuses(ari: ControlledAri) -> None:
    import arinb

    # A small first delay keeps the test short; the doubling is what is checked.
    session = await arinb.connect(ari.url, "asterisk", PASSWORD, apps=APP, backoff=(0.05, 2.0))
    try:
        await ari.wait_connected()
        ari.refuse_ws = 4  # the next four handshakes get 503
        await ari.drop()
        await ari.wait_connected(2, within=30)
        attempts = ari.ws_attempts[1:]
        assert len(attempts) == 5  # four refused, then the one that worked: nothing in between, no hammering
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        # Backoff: later waits are longer than the first one, and the whole thing is not a tight loop.
        assert max(gaps[1:]) > gaps[0]
        assert attempts[-1] - attempts[0] > 0.2
        assert session.reconnects == 1
    finally:
        await session.close()


async def test_no_task_or_socket_leaks_across_drops_and_close(ari: ControlledAri) -> None:
    import arinb

    sockets_before = open_sockets()
    tasks_before = engine_tasks()
    session = await arinb.connect(ari.url, "asterisk", PASSWORD, apps=APP)
    await ari.wait_connected(1)
    got: list[Any] = []
    session.on("*", got.append)
    await ari.send(event("StasisStart", channel="3.1"))
    await eventually(lambda: got)
    await got[0].channel.answer()  # a pooled REST connection too
    sockets_connected = open_sockets()
    tasks_connected = engine_tasks()

    for cycle in range(5):
        await ari.drop()
        await ari.wait_connected(cycle + 2, within=15)
        await ari.send(varset("3.1", cycle))
        expected = cycle + 2  # StasisStart plus one event per completed cycle
        await eventually(lambda: len(got) == expected, what=f"event after drop {cycle}")  # noqa: B023

    # Same number of sockets and tasks as before the drops: every dead socket and reader was cleaned up.
    await eventually(lambda: open_sockets() <= sockets_connected, what="sockets back to the connected count")
    await eventually(lambda: engine_tasks() <= tasks_connected, what="engine tasks back to before")

    await session.close()
    await eventually(lambda: not ari.sockets, what="server sees the socket closed")
    await eventually(lambda: open_sockets() <= sockets_before, what="every socket closed after close()")
    await eventually(lambda: engine_tasks() <= tasks_before, what="every engine task ended after close()")


async def test_explicit_subscriptions_are_renewed_after_a_reconnect(ari: ControlledAri, session: Any) -> None:
    path = f"/ari/applications/{APP}/subscription"
    ari.script("POST", path, status=200, body={"name": APP, "channel_ids": ["7.7"]})
    await session.applications.subscribe(APP, "channel:7.7")
    assert ari.count("POST", path) == 1
    await ari.drop()
    await ari.wait_connected(2, within=15)
    await eventually(lambda: ari.count("POST", path) == 2, what="subscription renewed")
    renewed = [r for r in ari.requests if r.path == path][-1]
    assert renewed.query["eventSource"] == "channel:7.7"
    # An unsubscribed source is not renewed on the next reconnect.
    ari.script("DELETE", path, status=200, body={"name": APP, "channel_ids": []})
    await session.applications.unsubscribe(APP, "channel:7.7")
    await ari.drop()
    await ari.wait_connected(3, within=15)
    got: list[Any] = []
    session.on("StasisStart", got.append)
    await ari.send(event("StasisStart", channel="7.8"))
    await eventually(lambda: got, what="events after the second reconnect")
    assert ari.count("POST", path) == 2
