"""A handler's print() shows under the cell that is running, not under the cell that connected.

ipykernel routes output by a context variable; a reader task that inherited the connecting cell's context
would send every later handler print to that old cell (found while writing the notebooks).
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

CONNECT = """
import arinb
sim = await arinb.simulate(speed=50)
session = await arinb.connect(sim.url, "asterisk", "asterisk", apps="channel-playback-monkeys")
session.on("StasisStart", lambda ev: print("HANDLER SAW", ev.channel.name))
print("connected")
"""

CALL = """
ended = session.wait_for("StasisStart", timeout=30)
await sim.call("1001", caller="alice")
await ended
"""

CLOSE = """
await session.close()
await sim.close()
"""


def test_handler_output_lands_in_the_running_cell() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (CONNECT, CALL, CLOSE)]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    def text(cell: nbformat.NotebookNode) -> str:
        return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")

    assert "connected" in text(nb.cells[0])
    assert "HANDLER SAW" not in text(nb.cells[0])
    assert "HANDLER SAW PJSIP/alice-00000000" in text(nb.cells[1])
