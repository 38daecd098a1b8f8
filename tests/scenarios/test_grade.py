"""``arinb grade FOLDER``: a table of the exercise results saved in executed student notebooks.

The results are made by real checks (loopback simulator, speed 5) of a right solution and three wrong
ones, then saved in notebooks as Jupyter saves a displayed result.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from testkit import exercise_solutions as sol

import arinb
from arinb.cli import main
from arinb.scenarios import exercises
from arinb.scenarios.grade import grade

STUDENTS = {
    # student -> (tones, answer, monkeys) solutions; None: that check cell was never run
    "ada": (sol.TONES_RIGHT, sol.ANSWER_RIGHT, sol.MONKEYS_RIGHT),
    "bob": (sol.TONES_ANSWER_WHILE_PLAYING, sol.ANSWER_RIGHT, None),
    "cyd": (sol.TONES_HANGUP_TOO_EARLY, None, None),
    "dee": (sol.TONES_MISSING_PLAYBACK_ID, None, None),
}


def saved_output(result: exercises.ExerciseResult) -> nbformat.NotebookNode:
    """The output cell Jupyter saves for a displayed result (its mime bundle)."""
    bundle = result._repr_mimebundle_()
    return nbformat.v4.new_output("execute_result", data=bundle, execution_count=1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    sim = arinb.simulate(speed=5)
    try:
        for student, sources in STUDENTS.items():
            nb = nbformat.v4.new_notebook()
            for name, source in zip(("tones", "answer", "monkeys"), sources, strict=True):
                nb.cells.append(nbformat.v4.new_code_cell(source or f"def {name}_app(session, sleep): ..."))
                cell = nbformat.v4.new_code_cell(f"await check({name!r}, {name}_app, sim)")
                if source is not None:
                    cell.outputs = [saved_output(exercises.check(name, sol.load(source), sim).result())]
                nb.cells.append(cell)
            # a notebook alone in its folder is named after the folder
            (root / student).mkdir()
            nbformat.write(nb, root / student / "07-exercises.ipynb")
    finally:
        sim.close()
    return root


def test_grade_reads_each_students_results(folder: Path) -> None:
    rows = {(r.student, r.exercise): r for r in grade(folder)}
    assert len(rows) == 12
    assert all(rows["ada", name].passed for name in ("tones", "answer", "monkeys")), rows
    assert not rows["bob", "tones"].passed and "PlaybackFinished" in rows["bob", "tones"].difference
    assert rows["bob", "monkeys"].difference == "not checked (the check cell did not run)"
    assert rows["cyd", "tones"].difference.startswith("ChannelHangupRequest came at 8.")
    assert not rows["dee", "tones"].passed and "PlaybackFinished" in rows["dee", "tones"].difference
    assert [r.passed for r in grade(folder) if r.exercise == "answer"] == [True, True, False, False]


def test_arinb_grade_prints_a_table(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["student", "exercise", "pass", "first", "difference"]
    ada_tones = next(line for line in out if line.startswith("ada") and " tones " in line)
    assert ada_tones.split()[:3] == ["ada", "tones", "yes"]
    bob_tones = next(line for line in out if line.startswith("bob") and " tones " in line)
    assert bob_tones.split()[:3] == ["bob", "tones", "no"] and "PlaybackFinished" in bob_tones
    assert out[-1] == "4 of 12 passed"


def test_arinb_grade_csv_and_a_wrong_folder(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(folder), "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "student,exercise,pass,first difference" and len(lines) == 13
    assert main(["grade", str(folder / "nobody")]) == 2
    assert "is not a folder" in capsys.readouterr().out
