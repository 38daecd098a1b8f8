"""The route table and the served api-docs against Asterisk 22's own declarations (testkit.data.API_DOCS)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from testkit.data import API_DOCS, NO_API_DOCS, NO_API_DOCS_REASON

from arinb.sim.apidocs import MODELS, api_declaration, base_path, resource_listing
from arinb.sim.routes import OPERATIONS, RESOURCES, ROUTER, ROUTES, MethodNotAllowed, ResourceNotFound

pytestmark = pytest.mark.skipif(NO_API_DOCS, reason=NO_API_DOCS_REASON)


def _asterisk(resource: str) -> dict[str, Any]:
    return json.loads((API_DOCS / f"{resource}.json").read_text())


def _asterisk_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    ops = {}
    for resource in RESOURCES:
        for api in _asterisk(resource)["apis"]:
            for o in api["operations"]:
                ops[f"{resource}.{o['nickname']}"] = (o["httpMethod"], api["path"], o)
    return ops


def test_the_listing_names_the_same_resources_in_the_same_order() -> None:
    theirs = [a["path"] for a in json.loads((API_DOCS / "resources.json").read_text())["apis"]]
    ours = [a["path"] for a in resource_listing("http://h/ari")["apis"]]
    assert ours == theirs


def test_every_operation_is_in_the_table_with_the_same_method_path_and_response() -> None:
    theirs = _asterisk_operations()
    assert set(OPERATIONS) == set(theirs)
    assert len(ROUTES) == len(theirs) == 109
    for key, (method, path, o) in theirs.items():
        ours = OPERATIONS[key]
        assert (ours.method, ours.path, ours.response_class) == (method, path, o["responseClass"]), key
        assert ours.websocket == (o.get("upgrade") == "websocket"), key
        assert {c for c, _ in ours.errors} == {int(e["code"]) for e in o.get("errorResponses", [])}, key


def test_every_parameter_has_the_same_kind_type_and_constraints() -> None:
    for key, (_m, _p, o) in _asterisk_operations().items():
        ours = {p.name: p for p in OPERATIONS[key].params}
        theirs = {p["name"]: p for p in o.get("parameters", [])}
        assert set(ours) == set(theirs), key
        for name, t in theirs.items():
            p = ours[name]
            where = f"{key}({name})"
            assert p.param_type == t["paramType"], where
            assert p.data_type == t["dataType"], where
            # Asterisk leaves `required` out of a few path parameters; a path parameter is always required.
            assert p.required == bool(t.get("required", t["paramType"] == "path")), where
            assert p.allow_multiple == bool(t.get("allowMultiple")), where
            assert p.default == t.get("defaultValue"), where
            av = t.get("allowableValues")
            if av is None:
                assert p.allowable_values is None and p.min is None and p.max is None, where
            elif av["valueType"] == "LIST":
                assert p.allowable_values == tuple(av["values"]), where
            else:
                assert (p.min, p.max) == (av.get("min"), av.get("max")), where


def test_every_model_has_the_same_properties_types_and_required_flags() -> None:
    for resource in RESOURCES:
        theirs = _asterisk(resource)["models"]
        ours = {m.id: m for m in MODELS[resource]}
        assert set(ours) == set(theirs), resource
        for name, t in theirs.items():
            props = {p.name: p for p in ours[name].props}
            assert list(props) == list(t["properties"]), name
            for pname, tp in t["properties"].items():
                p = props[pname]
                assert (p.type, p.required) == (tp["type"], bool(tp.get("required"))), f"{name}.{pname}"
                av = tp.get("allowableValues")
                assert p.values == (tuple(av["values"]) if av else None), f"{name}.{pname}"
            assert sorted(s.id for s in MODELS[resource] if s.extends == name) == sorted(
                t.get("subTypes", [])
            )


def test_served_declarations_carry_the_table_in_asterisk_shape() -> None:
    for resource in RESOURCES:
        doc = api_declaration(resource, "http://127.0.0.1:8088/ari")
        assert doc is not None
        theirs = _asterisk(resource)
        assert doc["basePath"] == "http://127.0.0.1:8088/ari"
        assert doc["resourcePath"] == theirs["resourcePath"]
        assert doc["swaggerVersion"] == theirs["swaggerVersion"]
        assert [a["path"] for a in doc["apis"]] == [a["path"] for a in theirs["apis"]]
        for ours_api, their_api in zip(doc["apis"], theirs["apis"], strict=True):
            for ours_op, their_op in zip(ours_api["operations"], their_api["operations"], strict=True):
                for field in ("httpMethod", "nickname", "responseClass", "upgrade", "websocketProtocol"):
                    assert ours_op.get(field) == their_op.get(field), (resource, field)
                assert sorted(p["name"] for p in ours_op.get("parameters", [])) == sorted(
                    p["name"] for p in their_op.get("parameters", [])
                )
        assert set(doc["models"]) == set(theirs["models"])
    assert api_declaration("nope", "http://h/ari") is None


def test_base_path_follows_the_host_header_and_is_dropped_without_one() -> None:
    assert base_path("example:8088") == "http://example:8088/ari"
    assert "basePath" not in resource_listing(base_path(None))


def test_router_prefers_literal_segments_and_never_backtracks() -> None:
    m = ROUTER.match("POST", "/channels/create")
    assert m.operation.key == "channels.create" and m.path_params == {}
    m = ROUTER.match("POST", "/channels/my-id")
    assert m.operation.key == "channels.originateWithId" and m.path_params == {"channelId": "my-id"}
    with pytest.raises(MethodNotAllowed) as e:
        ROUTER.match("GET", "/channels/create")
    assert e.value.allowed == ("POST",)
    m = ROUTER.match("GET", "/recordings/stored/rec1/file")
    assert m.operation.key == "recordings.getStoredFile" and m.path_params == {"recordingName": "rec1"}
    m = ROUTER.match("GET", "/endpoints/PJSIP/alice")
    assert m.path_params == {"tech": "PJSIP", "resource": "alice"}


@pytest.mark.parametrize(
    "path", ["/nonexistent-resource", "/channels/a/b/c/d", "/channels/x/play/y/z", "/", "/channels//play"]
)
def test_router_unknown_paths(path: str) -> None:
    with pytest.raises(ResourceNotFound):
        ROUTER.match("GET", path)
