"""A newcomer's mistakes show as one or two lines that say what to do, not a traceback through arinb.

In a notebook (a real kernel, nbclient) arinb errors use IPython's ``_render_traceback_`` hook; in a script
the traceback stops at the Call boundary (no engine-thread frames) and ends with the hint.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import nbformat
import pytest
from nbclient import NotebookClient

WRONG = "Wrong-Pass-7731"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.notebooks
@pytest.mark.slow
def test_a_notebook_shows_an_arinb_error_in_at_most_two_lines() -> None:
    cells = [
        "import arinb\nsim = await arinb.simulate(speed=50)",
        f'await arinb.connect(sim.url, "asterisk", "{WRONG}", apps="errs")',
        f'await arinb.connect("http://127.0.0.1:{closed_port()}", "asterisk", "asterisk", apps="errs")',
        'session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="errs")\n'
        'await session.channels.get("no-such-channel")',
        "1 / 0",  # not arinb's: IPython's usual traceback
        "await session.close()\nawait sim.close()",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()

    def error(i: int) -> tuple[str, list[str]]:
        errors = [o for o in nb.cells[i].outputs if o["output_type"] == "error"]
        assert len(errors) == 1, nb.cells[i].outputs
        return errors[0]["ename"], "\n".join(errors[0]["traceback"]).splitlines()

    name, lines = error(1)
    assert name == "AriAuthError"
    assert len(lines) <= 2
    assert "401" in lines[0]
    assert "check the user name and password given to arinb.connect()" in lines[1].lower()
    assert WRONG not in "\n".join(lines)

    name, lines = error(2)
    assert name == "AriConnectionError"
    assert len(lines) <= 2
    assert "Nothing listens there" in lines[1]

    name, lines = error(3)
    assert name == "AriNotFound"
    assert lines == [
        "AriNotFound: 404 Channel not found (GET /ari/channels/no-such-channel)",
        "The channel is gone or never existed (a channel leaves when it hangs up): "
        "session.channels.list() shows the live ones.",
    ]

    name, lines = error(4)
    assert name == "ZeroDivisionError"
    assert len(lines) > 2  # the hook is arinb's alone
    assert not [o for o in nb.cells[5].outputs if o["output_type"] == "error"]


def test_a_script_traceback_stops_at_the_call_and_ends_with_the_hint() -> None:
    script = textwrap.dedent(
        f"""
        import arinb
        sim = arinb.simulate(speed=50)
        try:
            arinb.connect(sim.url, "asterisk", "{WRONG}", apps="errs")
        finally:
            sim.close()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-2].startswith("arinb.errors.AriAuthError: 401 ")
    assert lines[-1].startswith("Check the user name and password given to arinb.connect()")
    # Nothing from the engine thread: the transport and concurrent.futures frames are cut at the Call.
    assert "transport.py" not in proc.stderr
    assert "concurrent/futures" not in proc.stderr
    assert WRONG not in proc.stderr
