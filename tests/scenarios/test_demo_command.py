"""``arinb demo``: runs the three apps on the simulator, prints the docs' lines, exits 0 only if all match."""

from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys

import pytest

from arinb.scenarios import Tones, demo


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_demo_prints_the_docs_lines_playbacks_and_timeline() -> None:
    out = io.StringIO()
    code = demo.run(parse("--speed", "100"), out=out)
    text = out.getvalue()
    assert code == 0, text
    for line in (
        "=== tones: app channel-tones, extension 1000 ===",
        "Channel PJSIP/alice-00000000 has entered the application",
        "Answering channel PJSIP/alice-00000000",
        "Channel PJSIP/alice-00000001 is now: Up",
        "Monkeys! Attack PJSIP/alice-00000002!",
        "Monkeys successfully vanquished PJSIP/alice-00000002; hanging them up",
        "check: as the docs say",
        "sound:tt-monkeys",
        "All 3 scenarios ended as the docs say.",
    ):
        assert line in text, text
    # It ends with what to try next, each a command that exists.
    tail = text.rstrip().split("All 3 scenarios ended as the docs say.", 1)[1]
    assert tail.lstrip().startswith("What to try next:")
    for command in ("arinb demo --speed 1", "jupyter lab notebooks/", "arinb lab tones", "arinb sim --port"):
        assert command in tail
    assert "tone:ring;tonezone=fr" in text and "PlaybackFinished" in text
    assert "asterisk" not in text.split("\n", 1)[1].lower().replace("asterisk 22", "")  # no credentials


def test_only_and_no_timeline() -> None:
    out = io.StringIO()
    assert demo.run(parse("--speed", "100", "--only", "answer", "--no-timeline"), out=out) == 0
    text = out.getvalue()
    assert "=== answer" in text and "=== tones" not in text and "timeline" not in text
    assert "All 1 scenarios ended as the docs say." in text


def test_a_scenario_that_does_not_end_as_the_docs_say_fails_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Tones, "expected_events", ("StasisStart", "StasisEnd"))
    out = io.StringIO()
    assert demo.run(parse("--speed", "100", "--only", "tones", "--no-timeline"), out=out) == 1
    assert "NOT as the docs say: tones" in out.getvalue()


def test_an_unreachable_asterisk_is_a_clear_error_not_a_traceback() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    out = io.StringIO()
    code = demo.run(
        parse("--url", f"http://127.0.0.1:{port}", "--password", "s3cret", "--only", "tones"), out=out
    )
    text = out.getvalue()
    assert code == 1
    assert "step 'call in' failed: AriConnectionError" in text, text
    assert "Traceback" not in text and "s3cret" not in text


def test_bad_speed_is_a_usage_error() -> None:
    assert demo.run(parse("--speed", "0")) == 2


@pytest.mark.slow
def test_the_cli_entry_point_runs_the_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "arinb.cli", "demo", "--speed", "100", "--no-timeline"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 3 scenarios ended as the docs say." in result.stdout
