"""``arinb grade FOLDER``: a table of the exercises' results in a folder of executed student notebooks.

Each ``*.ipynb`` under FOLDER is one student (the file name without ``.ipynb``; a notebook alone in a
sub-folder is named after the folder). The table has one row per student and exercise: whether the last
check of it passed, and the first difference it found. The notebooks are read, not run: they hold the
results of ``arinb.scenarios.exercises.check(...)`` as the student last ran them.

    arinb grade submissions/            # a table on stdout
    arinb grade submissions/ --csv      # the same as CSV

>>> rows = grade("submissions")                  # doctest: +SKIP
>>> print(format_table(rows))                    # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arinb.scenarios.exercises import EXERCISES, MIME_TYPE

__all__ = ["GradeRow", "add_arguments", "format_table", "grade", "run"]


@dataclass(frozen=True)
class GradeRow:
    """One student's result for one exercise."""

    student: str
    exercise: str
    passed: bool
    difference: str


def _results(path: Path) -> dict[str, dict[str, Any]]:
    """exercise -> the last result of it in the notebook's outputs."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data", {}).get(MIME_TYPE)
            if isinstance(data, str):
                data = json.loads(data)
            if isinstance(data, dict) and data.get("exercise") in EXERCISES:
                found[str(data["exercise"])] = data
    return found


def _student(path: Path, folder: Path, siblings: int) -> str:
    rel = path.relative_to(folder)
    if len(rel.parts) > 1 and siblings == 1:
        return str(rel.parent)
    return str(rel.with_suffix(""))


def grade(folder: str | Path) -> list[GradeRow]:
    """One row per notebook under ``folder`` and exercise, sorted by student."""
    root = Path(folder)
    paths = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    rows = []
    for path in paths:
        siblings = sum(1 for p in paths if p.parent == path.parent)
        student = _student(path, root, siblings)
        try:
            results = _results(path)
        except (OSError, ValueError) as exc:
            for name in EXERCISES:
                rows.append(GradeRow(student, name, False, f"unreadable notebook: {exc}"))
            continue
        for name in EXERCISES:
            r = results.get(name)
            if r is None:
                rows.append(GradeRow(student, name, False, "not checked (the check cell did not run)"))
            else:
                rows.append(GradeRow(student, name, bool(r.get("passed")), str(r.get("difference", ""))))
    return rows


def format_table(rows: list[GradeRow], *, width: int = 100) -> str:
    """A plain-text table: student, exercise, pass, first difference (cut to fit ``width``)."""
    head = ("student", "exercise", "pass", "first difference")
    body = [(r.student, r.exercise, "yes" if r.passed else "no", r.difference) for r in rows]
    w0 = max([len(head[0])] + [len(b[0]) for b in body])
    w1 = max([len(head[1])] + [len(b[1]) for b in body])
    room = max(width - w0 - w1 - 10, 20)

    def line(cols: tuple[str, str, str, str]) -> str:
        diff = cols[3] if len(cols[3]) <= room else cols[3][: room - 1] + "…"
        return f"{cols[0]:<{w0}}  {cols[1]:<{w1}}  {cols[2]:<4}  {diff}".rstrip()

    out = [line(head), line(("-" * w0, "-" * w1, "----", "-" * min(room, 16)))]
    out += [line(b) for b in body]
    passed = sum(r.passed for r in rows)
    out.append(f"{passed} of {len(rows)} passed")
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="a folder of executed student notebooks (*.ipynb)")
    parser.add_argument("--csv", action="store_true", help="print CSV (full differences) instead of a table")


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"arinb grade: {folder} is not a folder")
        return 2
    rows = grade(folder)
    if not rows:
        print(f"arinb grade: no notebooks (*.ipynb) under {folder}")
        return 1
    if args.csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["student", "exercise", "pass", "first difference"])
        for r in rows:
            writer.writerow([r.student, r.exercise, "yes" if r.passed else "no", r.difference])
        print(buf.getvalue(), end="")
    else:
        print(format_table(rows))
    return 0
