"""The simulator's structure: it loads neither numpy nor the audio package until audio is asked for, and its
features use the kernel only through :class:`arinb.sim.services.Services`."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import arinb.sim

SIM_DIR = Path(arinb.sim.__file__).parent

_PROBE = textwrap.dedent(
    """
    import sys, urllib.request, base64
    import arinb
    sim = arinb.simulate(speed=50)
    try:
        auth = base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode()
        req = urllib.request.Request(
            sim.url + "/ari/channels?endpoint=Local/1000@default&extension=1000",
            method="POST", headers={"Authorization": "Basic " + auth})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        loaded = sorted(m for m in sys.modules if m == "numpy" or m.startswith(("numpy.", "arinb.audio")))
        print("LOADED", loaded)
        sim.engine.media_log("x")
    finally:
        sim.close()
    """
)


def test_simulator_runs_without_numpy_or_audio_loaded() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "LOADED []" in out, out


def test_features_import_the_protocol_at_the_top_and_never_the_engine() -> None:
    """No function-local import of the engine or the protocol, and no feature imports the engine module."""
    kernel = {"engine.py", "__init__.py", "server.py", "cli.py", "services.py"}
    offenders = []
    for path in sorted(SIM_DIR.glob("*.py")):
        if path.name in kernel:
            continue  # the kernel and the package's lazy loader
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.module in (
                        "arinb.sim.engine",
                        "arinb.sim.protocol",
                    ):
                        offenders.append(f"{path.name}:{inner.lineno} local import of {inner.module}")
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "arinb.sim.engine"
                and node.col_offset == 0
            ):
                offenders.append(f"{path.name}:{node.lineno} imports the engine")
    assert offenders == []
