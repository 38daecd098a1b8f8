"""``arinb lab``: resolves notebooks, builds the Voilà command, and serves an app with its code hidden."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from arinb.scenarios.lab import resolve_notebook, voila_command

ROOT = Path(__file__).resolve().parents[2]


def test_a_scenario_name_becomes_an_app_notebook(tmp_path: Path) -> None:
    path = resolve_notebook("monkeys", tmp_path)
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "arinb.scenarios.monkeys(sim)" in code and "scenario.widget()" in code and "Phone(" in code
    assert 'extension="1001"' in code


def test_a_path_is_used_as_given_and_unknown_names_are_refused(tmp_path: Path) -> None:
    nb = ROOT / "notebooks" / "02-tones.ipynb"
    assert resolve_notebook(str(nb), tmp_path) == nb.resolve()
    with pytest.raises(FileNotFoundError, match="neither a notebook nor a scenario"):
        resolve_notebook("weasels", tmp_path)
    with pytest.raises(FileNotFoundError, match="no notebook"):
        resolve_notebook(str(tmp_path / "missing.ipynb"), tmp_path)


def test_voila_command_hides_code_and_binds_loopback(tmp_path: Path) -> None:
    cmd = voila_command(tmp_path / "x.ipynb", 9999)
    assert cmd[1:3] == ["-m", "voila"]
    assert "--strip_sources=True" in cmd and "--no-browser" in cmd and "--Voila.ip=127.0.0.1" in cmd
    assert "--strip_sources=False" in voila_command(tmp_path / "x.ipynb", 9999, show_code=True)
    # jupytext's JupyterLab extension cannot load in Voilà's page (a console error): it stays out.
    assert "--VoilaConfiguration.extension_denylist=['jupyterlab-jupytext']" in cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_arinb_lab_serves_the_app_without_its_code(tmp_path: Path) -> None:
    pytest.importorskip("voila")
    port = _free_port()
    env = dict(os.environ, ARINB_SPEED="50", JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arinb.cli", "lab", "tones", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        page = ""
        while not page:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=90) as r:
                    assert r.status == 200
                    page = r.read().decode()
            except ConnectionError:
                time.sleep(0.3)
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionError):
                    raise
                time.sleep(0.3)
        # Voilà ran the notebook: the widgets' views are in the page, the code is not.
        assert page.count('"model_id"') >= 2, page[-3000:]
        assert "channel-tones" in page
        assert "arinb.scenarios.tones(sim)" not in page
        assert "error when executing cell" not in page, page[-2000:]
        assert "Traceback" not in page and "Traceback" not in log.read_text(), log.read_text()[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
