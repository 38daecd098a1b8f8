"""``arinb sim``: starts, prints where it listens (never a chosen password), serves, stops on Ctrl-C."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from arinb.cli import build_parser

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_arguments_parse() -> None:
    args = build_parser().parse_args(["sim", "--port", "0", "--speed", "5", "--user", "u", "--password", "p"])
    assert (args.port, args.speed, args.user, args.password, args.host) == (0, 5.0, "u", "p", "127.0.0.1")


def _start(*extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "arinb.cli", "sim", "--port", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _get(url: str, user: str, password: str) -> int:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(r.status)


def test_serves_until_ctrl_c_and_hides_a_chosen_password() -> None:
    proc = _start("--user", "bob", "--password", "hunter2-secret")
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        url = first.split("listening on ", 1)[1].strip().removesuffix("/ari")
        banner = first
        while "Ctrl-C to stop." not in banner:
            banner += proc.stdout.readline()
        assert "hunter2-secret" not in banner and "'bob'" in banner
        assert _get(f"{url}/ari/asterisk/info", "bob", "hunter2-secret") == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "stopped" in out and "hunter2-secret" not in out


def test_missing_dialplan_file_is_a_clear_error() -> None:
    proc = _start("--dialplan", "/nonexistent/extensions.conf")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "no such dialplan file" in out
