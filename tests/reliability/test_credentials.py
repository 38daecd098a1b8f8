"""The password never shows: repr, str of errors (with their causes and tracebacks), DEBUG logs, timeline
rows and exports, widget state."""

from __future__ import annotations

import base64
import logging
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from reliability_server import APP, PASSWORD, ControlledAri, event
from testkit.runtime import eventually

import arinb

WRONG = "Wq9-walrus-WRONGPASS-0815"


def _forms(secret: str) -> list[str]:
    token = base64.b64encode(f"asterisk:{secret}".encode()).decode()
    return sorted({secret, quote(secret, safe=""), quote_plus(secret), token})


def _leaks(text: str) -> list[str]:
    return [f for s in (PASSWORD, WRONG) for f in _forms(s) if f in text]


def _error_text(err: BaseException) -> str:
    parts = [repr(err), str(err), "".join(traceback.format_exception(err))]
    for attr in ("message", "path", "body", "reason"):
        parts.append(repr(getattr(err, attr, None)))
    return "\n".join(parts)


async def test_no_output_surface_shows_the_password(
    ari: ControlledAri, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    surfaces: dict[str, str] = {}

    # A refused password: the error and its whole chain.
    with pytest.raises(arinb.AriError) as refused:
        await arinb.connect(ari.url, "asterisk", WRONG, apps=APP)
    assert isinstance(refused.value, arinb.AriAuthError | arinb.AriWebSocketError)
    surfaces["auth error"] = _error_text(refused.value)

    session = await arinb.connect(ari.url, "asterisk", PASSWORD, apps=APP)
    try:
        await ari.wait_connected()
        got: list[Any] = []
        session.on("*", got.append)
        await ari.send(event("StasisStart", channel="8.1"), "{broken frame")
        await eventually(lambda: got)
        channel = got[0].channel
        await channel.answer()
        ari.script("POST", "/ari/channels/8.1/answer", status=500, body={"message": "boom"}, times=1)
        with pytest.raises(arinb.AriServerError) as failed:
            await channel.answer()
        surfaces["server error"] = _error_text(failed.value)
        ari.script("GET", "/ari/channels/8.1", status=404, body={"message": "Channel not found"}, times=1)
        await ari.drop()  # a reconnect: the WebSocket URL (api_key) is built again and logged, maybe
        await ari.wait_connected(2)
        await ari.send(event("StasisEnd", channel="8.1", state="Up"))
        await eventually(lambda: len(got) == 2)

        surfaces["repr(session)"] = repr(session) + "\n" + str(session)
        surfaces["repr(channel)"] = repr(channel) + "\n" + str(channel)
        surfaces["repr(event)"] = "\n".join(repr(e) for e in got)
        surfaces["repr(call)"] = repr(channel.answer())
        tl = session.timeline
        surfaces["repr(timeline)"] = repr(tl)
        df = tl.df
        surfaces["timeline df"] = df.to_csv() + df.to_json(
            orient="records", lines=True, date_format="iso", default_handler=str
        )
        for suffix in (".csv", ".jsonl", ".parquet"):
            target = tmp_path / f"run{suffix}"
            tl.save(target)  # every format: parquet's pyarrow is a dev dependency
            surfaces[f"timeline.save({suffix})"] = target.read_bytes().decode("latin-1")
        try:
            import ipywidgets

            view = tl.widget()
            # The state of this widget and every widget under it, as the front end would receive it
            # (not the process-wide manager state: other tests leave closed widgets behind).
            stack, states, seen = [view], [], set()
            while stack:
                widget = stack.pop()
                if id(widget) in seen:
                    continue
                seen.add(id(widget))
                states.append(widget.get_state())
                stack.extend(v for v in vars(widget).values() if isinstance(v, ipywidgets.Widget))
                stack.extend(getattr(widget, "children", ()))
            surfaces["widget state"] = repr(states)
        except ImportError:
            pass
    finally:
        await session.close()

    surfaces["logs"] = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert surfaces["logs"], "DEBUG logging captured nothing: the log surface was not exercised"
    assert len(surfaces) >= 9
    leaks = {name: _leaks(text) for name, text in surfaces.items() if _leaks(text)}
    assert not leaks, f"the password shows in: {sorted(leaks)}"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_an_executed_notebook_shows_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook that starts a simulator with a custom password, connects, fails to connect with a wrong
    one, hits a 404 and displays the session, simulator, timeline and its widget: no output holds it."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # From the environment, so the password is in no cell's source either: the whole file can be searched.
    monkeypatch.setenv("ARINB_LEAK_PW", PASSWORD)
    cells = [
        "import logging, os, traceback, arinb\n"
        "logging.basicConfig(level=logging.DEBUG, force=True)\n"
        "pw = os.environ['ARINB_LEAK_PW']",
        "sim = await arinb.simulate(speed=50, password=pw)\nsim",
        "print(repr(sim), str(sim))",
        f"session = await arinb.connect(sim.url, 'asterisk', pw, apps={APP!r})\nsession",
        "try:\n"
        f"    await arinb.connect(sim.url, 'asterisk', pw + '-wrong', apps={APP!r} + '2')\n"
        "except arinb.AriError:\n"
        "    traceback.print_exc()",
        "try:\n    await session.channels.get('nope')\nexcept arinb.AriNotFound:\n    traceback.print_exc()",
        "await session.channels.get('nope')",  # an error left unhandled: the kernel shows its traceback
        "session.timeline",
        "session.timeline.df",
        "session.timeline.widget()",
        "await session.close()\nsession",
        "await sim.close()\nprint(sim)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    text = nbformat.writes(nb)
    assert "AriNotFound" in text  # the error cells ran and printed
    assert "AriSession" in text
    assert not _leaks(text), f"the password shows in the executed notebook: {_leaks(text)}"


@pytest.mark.parametrize("secret", ["p@ss", "p:/%?#[]+ w"])
async def test_percent_encoded_credentials_in_the_url_are_decoded(secret: str) -> None:
    """``http://asterisk:p%40ss@host`` means the password ``p@ss`` (RFC 3986 userinfo is percent-encoded)."""
    async with arinb.simulate(speed=50, password=secret) as sim:
        host = sim.url.split("//", 1)[1]
        url = f"http://asterisk:{quote(secret, safe='')}@{host}"
        async with await arinb.connect(url, apps="enc-creds", reconnect=False) as session:
            info = await session.asterisk.info()
            assert info["system"]["version"]
            assert session.username == "asterisk"
            assert secret not in repr(session) and quote(secret, safe="") not in repr(session)
