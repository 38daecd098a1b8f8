"""Check that every pair of test folders collects on its own (``pytest --collect-only A B``).

Test folders are not packages: pytest puts each one on ``sys.path`` and imports its helpers by bare name, so
two helpers (or a ``conftest`` imported by name) sharing a name shadow each other depending on which folders
are collected together. The full run can pass while ``pytest tests/reliability tests/sim`` does not; this
script tries every pair, in parallel, and prints each failure's first error.

    python3 tools/check_collection.py            # exit 1 if any pair fails to collect
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Folders under tests/ that hold helpers or data, not tests.
NOT_TESTS = {"data", "testkit", "__pycache__"}


def folders() -> list[str]:
    """tests/<folder> for every folder holding test modules, plus the top-level test modules as one unit."""
    tests = ROOT / "tests"
    found = [
        f"tests/{d.name}"
        for d in sorted(tests.iterdir())
        if d.is_dir() and d.name not in NOT_TESTS and any(d.glob("test_*.py"))
    ]
    top = " ".join(f"tests/{p.name}" for p in sorted(tests.glob("test_*.py")))
    return [*found, top] if top else found


def collect(pair: tuple[str, str]) -> tuple[tuple[str, str], int, str]:
    args = [a for unit in pair for a in unit.split()]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return pair, proc.returncode, proc.stdout + proc.stderr


def main() -> int:
    pairs = list(itertools.combinations(folders(), 2))
    failed = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for pair, code, output in pool.map(collect, pairs):
            if code != 0:
                failed += 1
                errors = [ln for ln in output.splitlines() if ln.startswith(("E ", "ERROR"))][:5]
                print(f"FAIL pytest --collect-only {' '.join(pair)} (exit {code})", *errors, sep="\n  ")
    print(f"check_collection: {len(pairs) - failed} of {len(pairs)} pairs of test folders collect")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
