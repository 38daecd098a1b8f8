"""Check that every pair of test folders collects on its own (``pytest --collect-only A B``).

Test folders are not packages: pytest puts each one on ``sys.path`` and imports its helpers by bare name, so
two helpers (or a ``conftest`` imported by name) sharing a name shadow each other depending on which folders
are collected together. The full run can pass while ``pytest tests/reliability tests/sim`` does not; this
script tries every pair, two at a time, each in a child forked from a process that has already imported arinb
and the libraries (so a check costs only the tests' own imports), and prints each failure's first error.

    python3 tools/check_collection.py            # exit 1 if any pair fails to collect
"""

from __future__ import annotations

import itertools
import os
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


def preload() -> None:
    """Import arinb and the libraries the tests use once, so each forked check pays only for the tests.

    Test folders' own modules are not preloaded: their import, by bare name, is what is being checked.
    """
    import pkgutil

    import arinb

    for info in pkgutil.walk_packages(arinb.__path__, "arinb."):
        if info.name.endswith("__main__"):  # runs the command line
            continue
        try:
            __import__(info.name)
        except Exception:  # an optional extra missing: the test that needs it says so
            pass
    for name in ("nbformat", "nbclient", "aiohttp", "IPython", "ipywidgets", "plotly"):
        try:
            __import__(name)
        except ImportError:
            pass
    # pytest's plugins (hypothesis, anyio, asyncio, timeout) load at start: a run that collects nothing here
    # imports them once for every child.
    import contextlib
    import io

    import pytest

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", __file__])


def collect(pair: tuple[str, str]) -> tuple[tuple[str, str], int, str]:
    """``pytest --collect-only`` on the pair, in a forked child of the preloaded process."""
    args = [a for unit in pair for a in unit.split()]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: pytest's output into the pipe, its exit code as ours
        os.close(read)
        os.dup2(write, 1)
        os.dup2(write, 2)
        code = 3
        try:
            import pytest

            code = int(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *args]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read, errors="replace") as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return pair, os.waitstatus_to_exitcode(status), output


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    preload()
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
