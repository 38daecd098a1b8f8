"""Every operation in Asterisk 22's api-docs has a client method (walks testkit.data.API_DOCS)."""

from __future__ import annotations

import inspect
import json

import pytest
from testkit.data import API_DOCS, NO_API_DOCS, NO_API_DOCS_REASON

from arinb.client import handles, resources, session, transport


def declared_operations() -> set[str]:
    ops: set[str] = set()
    for doc in sorted(API_DOCS.glob("*.json")):
        data = json.loads(doc.read_text())
        for api in data.get("apis", []):
            for op in api.get("operations", []):
                ops.add(f"{doc.stem}.{op['nickname']}")
    return ops


def implemented_operations() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for module in (handles, resources, session, transport):
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for name, member in vars(cls).items():
                for op in getattr(member, "__ari_operations__", ()):
                    found.setdefault(op, []).append(f"{cls_name}.{name}")
    return found


@pytest.mark.skipif(NO_API_DOCS, reason=NO_API_DOCS_REASON)
def test_every_api_docs_operation_has_a_method() -> None:
    declared = declared_operations()
    implemented = implemented_operations()
    assert len(declared) > 90  # the walk really read the documents
    missing = sorted(declared - set(implemented))
    assert missing == [], f"ARI operations without a client method: {missing}"
    unknown = sorted(set(implemented) - declared)
    assert unknown == [], f"methods naming operations Asterisk 22 does not declare: {unknown}"


def test_marked_methods_are_public_and_documented() -> None:
    for op, where in implemented_operations().items():
        for qualname in where:
            cls_name, name = qualname.split(".")
            member = getattr(
                getattr(resources, cls_name, None)
                or getattr(handles, cls_name, None)
                or getattr(session, cls_name, None)
                or getattr(transport, cls_name),
                name,
            )
            assert not name.startswith("_") or op == "events.eventWebsocket", qualname
            assert (member.__doc__ or "").strip(), f"{qualname} ({op}) has no docstring"
