"""A teacher's round trip: students' 07-exercises notebooks, executed as Run All does, graded by
``arinb grade FOLDER`` (a subprocess, as a teacher runs it).

The students' app cells are replaced with a right solution and with common mistakes
(tests/testkit/exercise_solutions.py); the kernels run the simulator at speed 10.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from testkit import exercise_solutions as sol

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

STUDENTS = {
    "ada": {"tones": sol.TONES_RIGHT, "answer": sol.ANSWER_RIGHT, "monkeys": sol.MONKEYS_RIGHT},
    "bob": {"tones": sol.TONES_ANSWER_WHILE_PLAYING, "answer": sol.ANSWER_RIGHT,
            "monkeys": sol.MONKEYS_HANGUP_TOO_EARLY},
}  # fmt: skip


def student_notebook(solutions: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "notebooks" / "07-exercises.ipynb", as_version=4)
    for cell in nb.cells:
        for name, source in solutions.items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {name}_app("):
                cell.source = source.strip()
    assert sum(c.source.startswith("def ") and "# Your code" not in c.source for c in nb.cells) == 3
    return nb


@pytest.mark.timeout(300)
def test_arinb_grade_tables_executed_student_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("ARINB_SPEED", "10")
    folder = tmp_path / "submissions"
    folder.mkdir()
    for student, solutions in STUDENTS.items():
        nb = student_notebook(solutions)
        resources = {"metadata": {"path": str(tmp_path)}}
        NotebookClient(nb, kernel_name="python3", timeout=120, resources=resources).execute()
        nbformat.write(nb, folder / f"{student}.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "arinb", "grade", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split()[:2]): line.split()[2] for line in result.stdout.splitlines()[2:-1]}
    assert rows == {
        ("ada", "tones"): "yes", ("ada", "answer"): "yes", ("ada", "monkeys"): "yes",
        ("bob", "tones"): "no", ("bob", "answer"): "yes", ("bob", "monkeys"): "no",
    }, result.stdout  # fmt: skip
    assert result.stdout.splitlines()[-1] == "4 of 6 passed"
    lines = result.stdout.splitlines()
    bob_monkeys = next(line for line in lines if line.startswith("bob") and "monkeys" in line)
    assert "PlaybackFinished" in bob_monkeys
