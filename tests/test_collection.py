"""Any subset of the test folders collects: no two folders put a module of the same name on ``sys.path``.

pytest (``rootdir``/prepend import mode) puts each test folder without ``__init__.py`` on ``sys.path`` and
imports its modules by bare name, and ``tests/`` is on the path too (``pythonpath``, for ``testkit``). Two
modules of one name in two folders, or a ``conftest`` imported by name, resolve to whichever folder was
collected first: ``pytest tests/reliability tests/sim/test_server.py`` once failed that way.
``tools/check_collection.py`` runs ``pytest --collect-only`` on every pair of folders to prove it end to end.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _path_roots() -> list[Path]:
    """Every directory pytest may put on sys.path: tests/ and each folder below it that is not a package."""
    roots = [TESTS]
    for d in sorted(p for p in TESTS.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        if not (d / "__init__.py").exists() and any(d.glob("*.py")):
            roots.append(d)
    return roots


def test_no_two_path_roots_hold_a_module_of_the_same_name() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for root in _path_roots():
        names = {p.stem for p in root.glob("*.py") if p.stem != "conftest"}
        names |= {d.name for d in root.iterdir() if (d / "__init__.py").exists()}
        for name in names:
            owners[name].append(str(root.relative_to(TESTS.parent)))
    clashes = {name: where for name, where in owners.items() if len(where) > 1}
    assert clashes == {}, f"modules importable by the same bare name from several test folders: {clashes}"


def _imports_conftest(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and node.module == "conftest"
    return isinstance(node, ast.Import) and any(a.name == "conftest" for a in node.names)


def test_no_module_imports_a_conftest_by_name() -> None:
    offenders = [
        str(path.relative_to(TESTS.parent))
        for path in sorted(TESTS.rglob("*.py"))
        if any(_imports_conftest(node) for node in ast.walk(ast.parse(path.read_text(), str(path))))
    ]
    assert offenders == [], f"import shared helpers from testkit, not from a conftest: {offenders}"
