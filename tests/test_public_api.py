"""The public surface: a sorted __all__, every name importable, nothing private leaking."""

from __future__ import annotations

import importlib
import subprocess
import sys

import arinb


def test_all_is_sorted_and_unique() -> None:
    assert list(arinb.__all__) == sorted(set(arinb.__all__))


def test_every_public_name_resolves() -> None:
    for name in arinb.__all__:
        assert getattr(arinb, name) is not None, name


def test_exception_tree_is_rooted_at_arierror() -> None:
    errors = importlib.import_module("arinb.errors")
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, arinb.AriError), name
    assert issubclass(arinb.AriTimeoutError, TimeoutError)
    assert issubclass(arinb.AriUsageError, ValueError)


def test_dir_lists_public_names_and_submodules() -> None:
    listed = dir(arinb)
    assert "connect" in listed and "simulate" in listed and "timeline" in listed


def test_unknown_attribute_raises() -> None:
    try:
        arinb.no_such_thing  # noqa: B018
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_is_light() -> None:
    # `import arinb` must not pull pandas or aiohttp: notebooks import it first thing.
    code = "import sys, arinb; print('pandas' in sys.modules, 'aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
