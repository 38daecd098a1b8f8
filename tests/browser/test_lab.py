"""JupyterLab in headless Chromium: open the tones notebook, run it cell by cell, step the scenario widget.

Starts ``jupyter lab`` on 127.0.0.1 (a free port, a random token, a temporary copy of notebooks/), drives
Debian's ``/usr/bin/chromium`` with Playwright, and saves ``artifacts/browser/tones.png``. Bounded: every
wait has a timeout and JupyterLab is killed in teardown.

    python3 -m pytest tests/browser -m browser -q
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: simulated seconds per real second inside the browser-driven kernel: fast, yet every step is visible
SPEED = os.environ.get("ARINB_BROWSER_SPEED", "20")
ARTIFACTS = ROOT / "artifacts" / "browser"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    def __init__(self, url: str, token: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.token = token
        self.proc = proc
        self.log = log

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    root = tmp_path_factory.mktemp("lab")
    notebooks = root / "notebooks"
    source = Path(os.environ.get("ARINB_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
    shutil.copytree(source, notebooks, ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    home = root / "home"
    # No "get Jupyter news?" toast over the notebook.
    news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # Render every cell (no virtual scrolling), so each cell's prompt can be read.
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    port = free_port()
    token = secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        ARINB_SPEED=SPEED,
        # A private Jupyter home: no user settings or workspaces leak in, nothing is left behind.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
    )
    env.pop("ARINB_ARI_URL", None)
    log = root / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser", "--allow-root",
        f"--ServerApp.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={notebooks}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    lab = Lab(url, token, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{lab.log_tail()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start within 90 s:\n{lab.log_tail()}")
            time.sleep(0.3)
        yield lab
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # The server's own process group: kernels started by it go too.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def test_tones_notebook_steps_through_in_jupyterlab(lab: Lab) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kernel_ready = {"seen": False}

    def watch(ws: object) -> None:
        def frame(payload: str | bytes) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            if b'"kernel_info_reply"' in data:
                kernel_ready["seen"] = True

        ws.on("framereceived", frame)  # type: ignore[attr-defined]

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.on("websocket", watch)
            page.goto(f"{lab.url}/lab/tree/02-tones.ipynb?reset&token={lab.token}")
            notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
            notebook.wait_for(state="visible", timeout=60_000)
            deadline = time.monotonic() + 60
            while not kernel_ready["seen"]:
                if time.monotonic() > deadline:
                    pytest.fail(f"no kernel_info_reply within 60 s:\n{lab.log_tail()}")
                page.wait_for_timeout(200)
            idle = page.locator(
                ".jp-NotebookPanel:visible [data-status='idle'], "
                ".jp-NotebookPanel:visible .jp-Toolbar-kernelStatus"
            )
            idle.first.wait_for(timeout=30_000)

            cells = notebook.locator(".jp-Cell")
            count = cells.count()
            n_code = notebook.locator(".jp-CodeCell").count()
            assert count > 10 and n_code > 5
            cells.first.click()
            page.keyboard.press("Escape")  # command mode: Shift+Enter runs and moves on
            for _ in range(count):
                page.keyboard.press("Shift+Enter")
                page.wait_for_timeout(60)

            code_prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")
            deadline = time.monotonic() + 150
            while True:
                texts = code_prompts.all_inner_texts()
                done = [t for t in texts if re.search(r"\[\d+\]", t)]
                if len(done) >= n_code and not any("*" in t for t in texts):
                    break
                if time.monotonic() > deadline:
                    page.screenshot(path=str(ARTIFACTS / "tones-timeout.png"), full_page=True)
                    pytest.fail(f"cells did not finish within 150 s; prompts: {texts}")
                page.wait_for_timeout(250)
            errors = notebook.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            )
            tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
            assert not tracebacks, tracebacks

            stepper = page.locator(".arinb-scenario:visible").last
            stepper.scroll_into_view_if_needed()
            step = stepper.locator("button.arinb-step:visible")
            status = stepper.locator(".arinb-status:visible")
            waited = []
            for _ in range(5):
                step.wait_for(state="visible")
                started = time.monotonic()
                page.wait_for_function("b => !b.disabled", arg=step.element_handle(), timeout=30_000)
                waited.append(round(time.monotonic() - started, 2))
                step.click()
                page.wait_for_timeout(150)
            print("wall seconds waited for the Step button before each click:", waited)
            page.wait_for_function(
                "el => el.innerText.includes('finished')",
                arg=status.last.element_handle(),
                timeout=60_000,
            )
            timeline = stepper.locator(".arinb-timeline:visible")
            scope = timeline.first if timeline.count() else stepper
            text = scope.inner_text()
            for name in ("PlaybackStarted", "PlaybackFinished", "ChannelStateChange", "StasisEnd"):
                assert name in text, f"{name} missing from the timeline view:\n{text[:3000]}"
            assert re.search(r"ChannelStateChange[^\n]*Up", text), text[:3000]
            assert "as the docs say" in stepper.inner_text()
            # After the last step the stepper's player holds the whole call (about 9 simulated seconds,
            # more when the clicks came slowly), and the browser can decode it.
            listen = stepper.locator(".arinb-listen:visible")
            listen.wait_for(state="visible", timeout=30_000)
            assert "What the caller heard so far" in listen.inner_text()
            assert "hang up" in listen.inner_text()
            player = listen.locator("audio")
            page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=player.element_handle())
            assert player.evaluate("a => a.duration") >= 9.0
            # The notebook's own players (clip._repr_html_: an inline wav) decode too.
            clips = notebook.locator(".jp-OutputArea-output .arinb-audio-clip audio")
            assert clips.count() >= 2
            first = clips.first
            first.scroll_into_view_if_needed()
            page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=first.element_handle())
            assert first.evaluate("a => a.duration") >= 9.0
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "tones.png"), full_page=False)
            page.wait_for_timeout(1500)  # let the live swimlanes draw
            stepper.screenshot(path=str(ARTIFACTS / "tones-stepper.png"))
        finally:
            browser.close()
