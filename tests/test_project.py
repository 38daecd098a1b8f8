"""Project housekeeping that tooling relies on: one version, a changelog that names it."""

from __future__ import annotations

import re
import tomllib

from testkit.data import REPO

import arinb


def test_the_version_lives_in_one_place() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    source = REPO / project["tool"]["hatch"]["version"]["path"]
    assert re.findall(r'^__version__ = "([^"]+)"$', source.read_text(), re.M) == [arinb.__version__]


def test_the_changelog_has_unreleased_and_the_current_version() -> None:
    headings = re.findall(r"^## \[([^\]]+)\]", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert headings[0] == "Unreleased"
    assert arinb.__version__ in headings
