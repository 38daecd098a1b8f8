"""Every notebook runs top to bottom in a fresh python3 kernel (nbclient), at high simulated speed.

    python3 -m pytest tests/notebooks -m notebooks -q

``ARINB_SPEED`` is set for the kernel (default 50 here), so a notebook with 30 simulated seconds of calls
takes about a second of waiting. 06 runs against the simulator: ``ARINB_ARI_URL`` is removed.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SPEED = os.environ.get("ARINB_NOTEBOOK_SPEED", "50")

#: text each notebook's outputs must show when it ran as intended
EXPECT: dict[str, list[str]] = {
    "01-start-here.ipynb": ["StasisStart PJSIP/alice-00000000 Ring", "ended: done", "left the application"],
    # the scenario's own lines (alice), then the handler-style app's prints (bob), then the check
    "02-tones.ipynb": [
        "Answering channel PJSIP/alice-00000000",
        "Channel PJSIP/bob-00000001 has entered the application",
        "Answering channel PJSIP/bob-00000001",
        "Channel PJSIP/bob-00000001 just left our application",
        "as the docs say",
        # what the caller heard: the fr ring's numbers, silence after the stop, and the players
        "ringing tone: 440.0 Hz",
        "on 1.500 s, then off 3.500 s",
        "loudest sample after that: 0\n",
        "rings (start, end) in s:",
        "<audio controls",
    ],
    "03-answer.ipynb": ["Channel PJSIP/bob-00000001 is now: Up", "Hanging up channel PJSIP/bob-00000001",
                        "as the docs say"],
    "04-monkeys.ipynb": [
        "Monkeys! Attack PJSIP/carol-00000000!",
        "Monkeys successfully vanquished PJSIP/carol-00000000; hanging them up",
        "Channel PJSIP/carol-00000000 just left our application",
        "as the docs say",
        "<audio controls",
    ],
    "05-debugging.ipynb": ["'failed'", "answered? False - state: Ring", "answered? True - state: Up",
                           "same=True", "missing  #3 PlaybackStarted"],
    "06-real-asterisk.ipynb": ["No ARINB_ARI_URL", "Check ok", "Local/1000@default-", "s recorded: 440 Hz",
                               "through a snoop channel", "<audio controls"],
    # the skeletons as committed: each check runs and says what is missing (no error, no traceback)
    "07-exercises.ipynb": ["✘ tones</b>: not yet", "✘ answer</b>: not yet", "✘ monkeys</b>: not yet",
                           "Hint:", "Monkeys! Attack PJSIP/alice-"],
}  # fmt: skip


def output_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            data = out.get("data", {})
            parts.extend(str(data[k]) for k in ("text/plain", "text/html") if k in data)
    return "\n".join(parts)


def test_every_notebook_is_listed_and_committed_without_outputs() -> None:
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(EXPECT)
    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name} has outputs"


def test_every_notebook_matches_its_paired_source() -> None:
    """notebooks/NAME.py (jupytext percent format) is the source; NAME.ipynb must hold the same cells."""
    jupytext = pytest.importorskip("jupytext")
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        source = path.with_suffix(".py")
        assert source.exists(), f"{path.name} has no paired {source.name}"
        paired = jupytext.read(source)
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent", path.name
        got = [(c.cell_type, c.source) for c in nb.cells]
        want = [(c.cell_type, c.source) for c in paired.cells]
        for i, (g, w) in enumerate(zip(got, want, strict=False)):
            assert g == w, f"{path.name} cell {i} differs from {source.name}: jupytext --sync"
        assert len(got) == len(want), f"{path.name}: {len(got)} cells, {source.name}: {len(want)}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("ARINB_SPEED", SPEED)
    monkeypatch.delenv("ARINB_ARI_URL", raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    text = output_text(nb)
    expectations = list(EXPECT[name])
    if name == "04-monkeys.ipynb":
        from arinb.audio import find_sound

        if find_sound("tt-monkeys") is None:
            expectations.append("no tt-monkeys.wav installed")
        else:  # the monkeys as a real Asterisk sends them: the file minus its last 22 samples
            expectations += [
                "the file: 129440 samples; Asterisk plays 129418",
                "lasts 16.17725 s",
                "the caller heard exactly the played samples: True",
                "then silence until the hangup: True",
            ]
    for expected in expectations:
        assert expected in text, f"{name}: {expected!r} not in the outputs:\n{text[-3000:]}"
    assert "Traceback" not in text
    # A student reads a red stderr box as a failure: Run All shows none (warnings, reconnect noise, ...).
    stderr = [o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, f"{name} wrote to stderr:\n" + "\n".join(stderr)[:3000]
    # The simulator's password never shows (its reprs say password=***).
    for leak in ("password='asterisk'", "password=asterisk", "asterisk:asterisk@", "'password': 'asterisk'"):
        assert leak not in text, f"{name} shows the password: {leak!r}"
