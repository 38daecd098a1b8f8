"""JupyterLab and Voilà in headless Chromium, as a student meets them.

Every notebook: open it, *Run ▸ Run All Cells*, wait until every cell ran; then no cell shows stderr (a red
box) and the browser console shows no error. The tones notebook's stepper is then stepped to its end. The
Voilà app (``arinb lab tones``) is opened and stepped, with no console error either.

Starts ``jupyter lab`` on 127.0.0.1 (a free port, a random token, a temporary copy of notebooks/), drives
Debian's ``/usr/bin/chromium`` with Playwright, and saves ``artifacts/browser/NAME.png`` for each page.
Bounded: every wait has a timeout; JupyterLab and Voilà are killed in teardown.

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
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

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


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


class Console:
    """The browser console's errors and the page's uncaught exceptions, as a student's devtools show them."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url", "")
            self.errors.append(f"{msg.text} ({where})" if where else msg.text)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _new_page(browser: Any) -> tuple[Any, Console, dict[str, bool]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    console = Console(page)
    kernel_ready = {"seen": False}

    def watch(ws: Any) -> None:
        def frame(payload: str | bytes) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            if b'"kernel_info_reply"' in data:
                kernel_ready["seen"] = True

        ws.on("framereceived", frame)

    page.on("websocket", watch)
    return page, console, kernel_ready


def _wait_for_kernel(page: Any, kernel_ready: dict[str, bool], lab: Lab) -> None:
    deadline = time.monotonic() + 60
    while not kernel_ready["seen"]:
        if time.monotonic() > deadline:
            pytest.fail(f"no kernel_info_reply within 60 s:\n{lab.log_tail()}")
        page.wait_for_timeout(200)


def _run_all(page: Any, lab: Lab, name: str) -> Any:
    """Open ``name`` in JupyterLab, Run All Cells from the Run menu, wait until every cell ran."""
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    notebook.wait_for(state="visible", timeout=60_000)
    idle = page.locator(
        ".jp-NotebookPanel:visible [data-status='idle'], .jp-NotebookPanel:visible .jp-Toolbar-kernelStatus"
    )
    idle.first.wait_for(timeout=30_000)
    n_code = notebook.locator(".jp-CodeCell").count()
    assert n_code > 3
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + 240
    stem = name.removesuffix(".ipynb")
    while True:
        texts = prompts.all_inner_texts()
        done = [t for t in texts if re.search(r"\[\d+\]", t)]
        if len(done) >= n_code and not any("*" in t for t in texts):
            break
        if time.monotonic() > deadline:
            page.screenshot(path=str(ARTIFACTS / f"{stem}-timeout.png"), full_page=True)
            pytest.fail(f"{name}: cells did not finish within 240 s; prompts: {texts}\n{lab.log_tail()}")
        page.wait_for_timeout(250)
    return notebook


def _screenshots(page: Any, stem: str, most: int = 12) -> None:
    """``STEM.png`` (the top), then ``STEM-2.png``... a page further down each, to the notebook's end:
    JupyterLab scrolls inside the notebook, so one full-page screenshot shows only the first screen."""
    scroller = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
    page.evaluate(f"document.querySelector('{scroller}').scrollTop = 0")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))
    for k in range(2, most + 1):
        moved = page.evaluate(
            f"""() => {{ const el = document.querySelector('{scroller}');
                const before = el.scrollTop; el.scrollTop += el.clientHeight - 80;
                return el.scrollTop - before; }}"""
        )
        if moved <= 0:
            break
        page.wait_for_timeout(400)
        page.screenshot(path=str(ARTIFACTS / f"{stem}-{k}.png"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_shows_no_stderr_and_no_console_error(browser: Any, lab: Lab, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, console, kernel_ready = _new_page(browser)
    try:
        page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
        _wait_for_kernel(page, kernel_ready, lab)
        notebook = _run_all(page, lab, name)
        page.wait_for_timeout(2000)  # late widget updates and live plots
        stem = name.removesuffix(".ipynb")
        _screenshots(page, stem)
        stderr = notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, f"{name}: stderr in the notebook:\n" + "\n".join(stderr.all_inner_texts())
        assert not console.errors, f"{name}: browser console errors:\n" + "\n".join(console.errors)
        if name == "02-tones.ipynb":
            _step_the_tones_stepper(page, notebook)
            assert not console.errors, "stepping: browser console errors:\n" + "\n".join(console.errors)
    finally:
        page.close()


def _step_the_tones_stepper(page: Any, notebook: Any) -> None:
    stepper = page.locator(".arinb-scenario:visible").last
    stepper.scroll_into_view_if_needed()
    step = stepper.locator("button.arinb-step:visible")
    status = stepper.locator(".arinb-status:visible")
    n_steps = 5
    for k in range(1, n_steps + 1):
        step.wait_for(state="visible")
        # Click step k only once the kernel says step k is next and the button is enabled again: on a slow
        # machine the "busy" state of the previous click may reach the browser after 150 ms, and a click
        # on a button that only looks enabled would be a second click on the same step.
        here = f"'step {k} of'"
        _wait_or_explain(page, stepper, f"el => el.innerText.includes({here})", status.last, 60_000)
        _wait_or_explain(page, stepper, "b => !b.disabled", step, 30_000)
        step.click()
        _wait_or_explain(page, stepper, f"el => !el.innerText.includes({here})", status.last, 60_000)
    _wait_or_explain(page, stepper, "el => el.innerText.includes('finished')", status.last, 60_000)
    timeline = stepper.locator(".arinb-timeline:visible")
    scope = timeline.first if timeline.count() else stepper
    # The live view polls the timeline a few times a second: its last rows may come a moment later.
    page.wait_for_function(
        "el => el.innerText.includes('StasisEnd')", arg=scope.element_handle(), timeout=15_000
    )
    text = scope.inner_text()
    for name in ("PlaybackStarted", "PlaybackFinished", "ChannelStateChange", "StasisEnd"):
        assert name in text, f"{name} missing from the timeline view:\n{text[:3000]}"
    assert re.search(r"ChannelStateChange[^\n]*Up", text), text[:3000]
    assert "as the docs say" in stepper.inner_text()
    # After the last step the stepper's player holds the whole call (9 simulated seconds: the clock
    # stands still between steps), and the browser can decode it.
    listen = stepper.locator(".arinb-listen:visible")
    listen.wait_for(state="visible", timeout=30_000)
    assert "What the caller heard so far" in listen.inner_text()
    player = listen.locator("audio")
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=player.element_handle())
    # (The clock ran between clicks before, so a slow clicker's call lasted far longer than 9 s.)
    assert 8.5 <= player.evaluate("a => a.duration") < 13.0
    # The notebook's own players (clip._repr_html_: an inline wav) decode too.
    clips = notebook.locator(".jp-OutputArea-output .arinb-audio-clip audio")
    assert clips.count() >= 2
    first = clips.first
    first.scroll_into_view_if_needed()
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=first.element_handle())
    assert first.evaluate("a => a.duration") >= 9.0
    stepper.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the live swimlanes draw
    stepper.screenshot(path=str(ARTIFACTS / "tones-stepper.png"))
    # Reset forgets the call: no events of it stay listed.
    stepper.locator("button.arinb-reset:visible").click()
    page.wait_for_function(
        "el => el.innerText.includes('step 1 of')", arg=status.last.element_handle(), timeout=30_000
    )
    events = stepper.locator(".arinb-events")
    assert "PlaybackFinished" not in events.inner_text() and "Answering" not in stepper.inner_text()


def _wait_or_explain(page: Any, stepper: Any, predicate: str, target: Any, timeout: int) -> None:
    """``page.wait_for_function(predicate, target)``; on a timeout, fail with what the stepper shows."""
    try:
        page.wait_for_function(predicate, arg=target.element_handle(), timeout=timeout)
    except Exception as exc:
        shown = stepper.inner_text()[:3000]
        pytest.fail(f"waiting for {predicate!r}: {type(exc).__name__}; the stepper shows:\n{shown}")


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("voila")
    root = tmp_path_factory.mktemp("voila")
    port = free_port()
    env = dict(os.environ, ARINB_SPEED=SPEED)
    log = root / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arinb", "lab", "tones", f"--port={port}"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(root),
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"arinb lab exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}api/status", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # serving (the status route may want a token or not exist)
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"arinb lab did not start within 90 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        _stop(proc)


def test_the_voila_app_steps_with_no_console_error(browser: Any, voila: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, console, _ = _new_page(browser)
    try:
        page.goto(voila, timeout=120_000)
        stepper = page.locator(".arinb-scenario")
        stepper.wait_for(state="visible", timeout=120_000)
        step = stepper.locator("button.arinb-step")
        for _ in range(2):
            page.wait_for_function("b => !b.disabled", arg=step.element_handle(), timeout=30_000)
            step.click()
            page.wait_for_timeout(300)
        page.wait_for_function(
            "el => el.innerText.includes('step 3 of')",
            arg=stepper.locator(".arinb-status").element_handle(),
            timeout=30_000,
        )
        # The live timeline under the stepper shows the call's events.
        timeline = stepper.locator(".arinb-timeline")
        timeline.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(
            "el => el.innerText.includes('PlaybackStarted')", arg=timeline.element_handle(), timeout=30_000
        )
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "voila-tones.png"), full_page=True)
        assert "Traceback" not in page.inner_text("body")
        # Voilà's own page template links Font Awesome from a CDN (its bundle already holds it, so the
        # icons show either way): without internet access that one request fails. Anything else counts.
        errors = [e for e in console.errors if not re.search(r"ERR_NAME_NOT_RESOLVED.*fontawesome", e)]
        assert not errors, "Voilà: browser console errors:\n" + "\n".join(errors)
    finally:
        page.close()
