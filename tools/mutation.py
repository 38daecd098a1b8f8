"""Mutation testing of the modules that carry arinb's guarantees, one module at a time (mutmut 3).

Each guarded module is mutated alone and tested only with the tests that guard it, so a module takes
seconds to a few minutes instead of the whole suite per mutant. The modules and their tests are listed in
``pyproject.toml`` under ``[tool.arinb.mutation]``; ``[tool.mutmut]`` holds the settings they share.
Prints, per module, killed / total with the surviving mutants (see docs/mutation.md for the known
equivalent ones).

    python tools/mutation.py                    # every guarded module
    python tools/mutation.py credentials        # by name (or the module's path)
    python tools/mutation.py --show credentials # also print each survivor's diff
    python tools/mutation.py --list

Runs in ``.mutation/<name>/`` (gitignored): mutmut copies the tree into ``mutants/`` there and caches its
results, so a second run only retests what changed. ``--fresh`` drops that cache first. Needs mutmut
(``pip install -e '.[dev]'``). CPU heavy: ``--max-children`` (default 1) limits mutmut's workers.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
# Tests find the shared ground truth at <repo>/../shared; from .mutation/<m>/mutants/tests that is
# .mutation/<m>/shared, a link to the real one.
SHARED = (ROOT / ".." / "shared").resolve()
# A mutant's line in `mutmut results`: "    arinb.credentials.x_redact__mutmut_3: survived".
_RESULT = re.compile(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>.+?)\s*$")


@dataclass
class Guarded:
    """One guarded module: a name, its file, the tests that guard it, and which mutants count."""

    name: str
    module: str
    tests: list[str]
    mutants: list[str] = field(default_factory=list)  # globs of mutant names; empty: all of the module

    @property
    def workdir(self) -> Path:
        return WORK / self.name

    def counts(self, mutant: str) -> bool:
        return not self.mutants or any(fnmatch.fnmatchcase(mutant, p) for p in self.mutants)


@dataclass
class Score:
    """The outcome of one module's run."""

    name: str
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def killed(self) -> int:
        # mutmut counts a mutant the type checker rejects as caught; a timeout means a test noticed.
        return sum(s in ("killed", "caught by type check", "timeout") for s in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s == "survived")

    @property
    def other(self) -> dict[str, str]:
        """Mutants neither killed nor survived (no tests, suspicious, not checked...)."""
        ok = ("killed", "caught by type check", "timeout", "survived")
        return {n: s for n, s in sorted(self.statuses.items()) if s not in ok}

    def line(self) -> str:
        pct = 100.0 * self.killed / self.total if self.total else 0.0
        return f"{self.name:<20} {self.killed:>4} / {self.total:<4} killed  {pct:5.1f} %"


def load_config() -> tuple[dict[str, object], list[Guarded]]:
    """The shared ``[tool.mutmut]`` settings and the guarded modules."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    shared = dict(data["tool"]["mutmut"])
    guarded = [
        Guarded(name, entry["module"], list(entry["tests"]), list(entry.get("mutants", [])))
        for name, entry in data["tool"]["arinb"]["mutation"].items()
    ]
    return shared, guarded


def _toml_value(value: object) -> str:
    # The values are strings, numbers, booleans and lists of strings: JSON spells those as TOML does.
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def module_pyproject(shared: dict[str, object], module: str, tests: list[str]) -> str:
    """The project's pyproject.toml with a [tool.mutmut] that mutates only ``module`` with ``tests``."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    # Cut the project's own [tool.mutmut] table (up to the next table header) and write this module's.
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[)", "", text)
    settings = dict(shared, only_mutate=[module], pytest_add_cli_args_test_selection=tests)
    body = "".join(f"{key} = {_toml_value(value)}\n" for key, value in settings.items())
    return text.rstrip("\n") + "\n\n[tool.mutmut]\n" + body


def prepare(workdir: Path, pyproject: str, fresh: bool) -> None:
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for name, target in (("arinb", ROOT / "arinb"), ("tests", ROOT / "tests"), ("shared", SHARED)):
        link = workdir / name
        if not link.is_symlink():
            link.symlink_to(target, target_is_directory=True)
    path = workdir / "pyproject.toml"
    if not path.exists() or path.read_text("utf-8") != pyproject:
        path.write_text(pyproject, "utf-8")
        # A changed test selection or setting: mutmut's copy of the tests and its stats are stale.
        shutil.rmtree(workdir / "mutants", ignore_errors=True)
    # The tests change more often than the module: always test the mutants with the current tests.
    shutil.rmtree(workdir / "mutants" / "tests", ignore_errors=True)
    # mutmut picks each mutant's tests from its stats (which test called which function), collected once and
    # then only for new tests: a function added or moved since would be tested by new tests alone (survivors
    # that are not). Collect them again on every run (one traced run of the tests); verdicts stay cached.
    (workdir / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The mutated copy must be what the tests import: not the work tree (PYTHONPATH) nor an editable install.
    env.pop("PYTHONPATH", None)
    return env


def _mutmut(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A quick mutmut command whose output we read (results, show)."""
    command = [sys.executable, "-m", "mutmut", *args]
    return subprocess.run(command, cwd=workdir, env=_env(), text=True, capture_output=True, check=False)


def _mutmut_run(workdir: Path, max_children: int, names: list[str]) -> int:
    """``mutmut run``, its progress appended to ``run.log`` as it goes (tail -f it)."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names]
    with (workdir / "run.log").open("a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(command[1:])}\n")
        log.flush()
        done = subprocess.run(
            command, cwd=workdir, env=_env(), stdout=log, stderr=subprocess.STDOUT, check=False
        )
    return done.returncode


def _statuses(g: Guarded) -> dict[str, str]:
    listing = _mutmut(g.workdir, "results", "--all", "true")
    found = (_RESULT.match(line) for line in listing.stdout.splitlines())
    return {m["name"]: m["status"] for m in found if m is not None and g.counts(m["name"])}


def run_module(g: Guarded, shared: dict[str, object], args: argparse.Namespace) -> Score:
    prepare(g.workdir, module_pyproject(shared, g.module, g.tests), args.fresh)
    print(f"== {g.name}: {g.module}  (tests: {' '.join(g.tests)}; log: {g.workdir / 'run.log'})", flush=True)
    (g.workdir / "run.log").write_text("", "utf-8")
    code = _mutmut_run(g.workdir, args.max_children, g.mutants)
    statuses = _statuses(g)
    # mutmut keeps a mutant's verdict while its function is unchanged, even when the tests changed:
    # test the survivors (and any left unchecked) again with the current tests.
    again = [n for n, s in statuses.items() if s in ("survived", "not checked", "no tests")]
    if again and code == 0:
        code = _mutmut_run(g.workdir, args.max_children, again)
        statuses = _statuses(g)
    if code != 0:
        tail = (g.workdir / "run.log").read_text("utf-8").strip().splitlines()[-15:]
        print("   mutmut failed:\n   " + "\n   ".join(line[-200:] for line in tail))
    return Score(g.name, statuses)


def report(score: Score, g: Guarded, show: bool) -> None:
    print(score.line())
    for name in score.survivors:
        print(f"   survived: {name}")
        if show:
            diff = _mutmut(g.workdir, "show", name).stdout
            print("      " + "\n      ".join(diff.strip().splitlines()[1:]))
    for name, status in score.other.items():
        print(f"   {status}: {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", help="guarded modules to run (default: all)")
    parser.add_argument("--max-children", type=int, default=1, help="mutmut workers (default 1)")
    parser.add_argument("--fresh", action="store_true", help="drop the cached results first")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--list", action="store_true", help="list the guarded modules and their tests")
    args = parser.parse_args(argv)

    shared, guarded = load_config()
    if args.list:
        for g in guarded:
            only = f" [{' '.join(g.mutants)}]" if g.mutants else ""
            print(f"{g.name}: {g.module}{only}: {' '.join(g.tests)}")
        return 0
    chosen = guarded
    if args.modules:
        known = {g.name for g in guarded} | {g.module for g in guarded}
        unknown = [w for w in args.modules if w not in known]
        if unknown:
            parser.error(f"not a guarded module: {', '.join(unknown)} (see --list)")
        chosen = [g for g in guarded if g.name in args.modules or g.module in args.modules]

    scores = []
    for g in chosen:
        score = run_module(g, shared, args)
        report(score, g, args.show)
        scores.append(score)

    print("\nmutation score per module (killed / total):")
    for score in scores:
        print("  " + score.line())
    return 0 if all(s.total for s in scores) else 1


if __name__ == "__main__":
    raise SystemExit(main())
