"""The rule "no module reaches into another module's underscored names", checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import arinb

ROOT = Path(arinb.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_package_imports_another_packages_private_names_or_modules() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        package = ".".join(path.relative_to(ROOT.parent).parent.parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("arinb"):
                continue
            module = str(node.module)
            parts = module.split(".")
            private_at = next((i for i, part in enumerate(parts) if _private(part)), None)
            names = [alias.name for alias in node.names if _private(alias.name)]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            # A private module may be imported from its own package; a private name only from within it.
            if private_at is not None and ".".join(parts[:private_at]) != package:
                found.append(f"{where} imports {module}")
            elif names and not (module == package or module.startswith(package + ".")):
                found.append(f"{where} imports {names} from {module}")
    assert found == []


def test_the_timeline_widget_reads_the_timeline_through_its_public_api() -> None:
    tree = ast.parse((ROOT / "widgets" / "timeline.py").read_text(encoding="utf-8"))
    reaches = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and _private(node.attr)
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert reaches == []
