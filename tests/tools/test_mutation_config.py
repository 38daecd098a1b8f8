"""tools/mutation.py's configuration stays true to the tree: every guarded module and test exists, and the
pyproject.toml it writes for one module mutates that module only, with that module's tests."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("arinb_mutation_tool", ROOT / "tools" / "mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_guarded_module_and_its_tests_exist() -> None:
    shared, guarded = _tool().load_config()
    assert {g.name for g in guarded} >= {"credentials", "timeline-store", "timeline-views", "scenario-check"}
    for g in guarded:
        assert (ROOT / g.module).is_file(), g.module
        assert g.tests, g.name
        for test in g.tests:
            assert (ROOT / test).exists(), test
    assert "only_mutate" not in shared and "pytest_add_cli_args_test_selection" not in shared


def test_the_pyproject_of_one_module_mutates_only_it_with_its_tests() -> None:
    tool = _tool()
    shared, guarded = tool.load_config()
    g = guarded[0]
    data = tomllib.loads(tool.module_pyproject(shared, g.module, g.tests))
    mutmut = data["tool"]["mutmut"]
    assert mutmut["only_mutate"] == [g.module]
    assert mutmut["pytest_add_cli_args_test_selection"] == g.tests
    assert mutmut["source_paths"] == shared["source_paths"]
    # The rest of the project's configuration (pytest's options above all) is kept as it is.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert data["tool"]["pytest"] == project["tool"]["pytest"]
    assert data["project"] == project["project"]


def test_a_mutant_counts_only_when_it_matches_the_modules_globs() -> None:
    tool = _tool()
    part = tool.Guarded("part", "arinb/x.py", ["tests/x"], ["*ǁAǁcheck__mutmut_*"])
    assert part.counts("arinb.x.xǁAǁcheck__mutmut_3")
    assert not part.counts("arinb.x.xǁAǁother__mutmut_3")
    assert tool.Guarded("all", "arinb/x.py", ["tests/x"]).counts("arinb.x.x_anything__mutmut_1")


def test_each_run_keeps_the_verdicts_but_maps_tests_to_functions_again(tmp_path: Path) -> None:
    tool = _tool()
    shared, guarded = tool.load_config()
    g = guarded[0]
    pyproject = tool.module_pyproject(shared, g.module, g.tests)
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    (tmp_path / "pyproject.toml").write_text(pyproject, "utf-8")
    verdict = mutants / "arinb" / "x.py.meta"
    verdict.parent.mkdir()
    verdict.write_text("{}", "utf-8")
    (mutants / "mutmut-stats.json").write_text("{}", "utf-8")
    tool.prepare(tmp_path, pyproject, fresh=False)
    # a function added since the last run is then tested by every test that reaches it, not only new ones
    assert not (mutants / "mutmut-stats.json").exists()
    assert verdict.exists()
