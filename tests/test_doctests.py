"""The examples in arinb's docstrings run, as doctests (the notebook-only ``await`` ones are marked +SKIP).

One test per module holding ``>>>`` examples, so a new example is checked as soon as it is written.
``pytest --doctest-modules arinb`` runs the same examples.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

ARINB = Path(__file__).resolve().parents[1] / "arinb"
MODULES = sorted(
    ".".join(path.relative_to(ARINB.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in ARINB.rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8") and path.name != "__main__.py"
)


def test_the_modules_with_examples_are_found() -> None:
    assert {"arinb.errors", "arinb.models", "arinb.sim.routes"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()
