"""The rule "no module reaches into another module's underscored names", checked on the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import arinb

ROOT = Path(arinb.__file__).parent
# IPython's display protocol (_repr_html_, _repr_mimebundle_...) is public API despite the underscore.
_PROTOCOL = re.compile(r"^_repr_\w+_$|^_ipython_\w+_$")
#: Deliberate reaches into a library's internals, each for a measured reason (see the code there).
ALLOWED = {
    ("timeline/frame.py", "_from_backing_data"),  # a StringArray without the O(N) re-check per refresh
    ("timeline/frame.py", "_simple_new"),  # a DatetimeArray from int64 ns without the O(N) validation
}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and not _PROTOCOL.match(name)


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(ROOT.rglob("*.py"))
    ]


def test_no_package_imports_another_packages_private_names_or_modules() -> None:
    found = []
    for where, tree in _modules():
        package = ".".join(["arinb", *Path(where).parent.parts])
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("arinb"):
                continue
            module = str(node.module)
            parts = module.split(".")
            private_at = next((i for i, part in enumerate(parts) if _private(part)), None)
            names = [alias.name for alias in node.names if _private(alias.name)]
            # A private module may be imported from its own package; a private name only from within it.
            if private_at is not None and ".".join(parts[:private_at]) != package:
                found.append(f"{where}:{node.lineno} imports {module}")
            elif names and not (module == package or module.startswith(package + ".")):
                found.append(f"{where}:{node.lineno} imports {names} from {module}")
    assert found == []


def _defined_in(tree: ast.Module) -> set[str]:
    """Names a module defines itself: functions, classes, assigned names and attributes, slots, keywords."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)  # argparse's set_defaults(_module=...), dataclass fields by keyword
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return names


def test_no_module_reads_an_underscored_attribute_it_does_not_define() -> None:
    found = []
    for where, tree in _modules():
        own = _defined_in(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not _private(node.attr) or node.attr in own:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if (where, node.attr) not in ALLOWED:
                found.append(f"{where}:{node.lineno} {ast.unparse(node)}")
    assert found == []
