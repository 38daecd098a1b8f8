"""The ``/ari/api-docs`` documents, written from the route table and the models below.

Swagger-driven ARI clients (Python ``aioari`` through ``aioswagger11``, Node ``ari-client`` through
``swagger-client``) load ``/ari/api-docs/resources.json``, then one declaration per resource, and build their
operations and event handlers from them. The documents have the shape Asterisk 22 serves: Swagger 1.1 field
names (``httpMethod``, ``responseClass``, ``dataType``, ``errorResponses``; ``aioswagger11`` refuses any other
``swaggerVersion`` on the listing), ``basePath`` taken from the request's ``Host`` header, and a ``models``
section per declaration. The event models matter most: a client finds which fields of ``StasisStart`` hold a
``Channel`` or which of ``PlaybackFinished`` hold a ``Playback`` from them.

>>> doc = api_declaration("playbacks", "http://127.0.0.1:8088/ari")
>>> [o["nickname"] for a in doc["apis"] for o in a["operations"]]
['get', 'stop', 'control']
>>> doc["models"]["Playback"]["properties"]["state"]["type"]
'string'
"""

from __future__ import annotations

from typing import Any

from arinb.ari.operations import RESOURCES, ROUTES, Operation, Param
from arinb.ari.schema import MODELS, Model, Prop, model

__all__ = ["MODELS", "Model", "Prop", "api_declaration", "base_path", "model", "resource_listing"]

# What Asterisk 22 reports: the resource listing is ARI 10.0.0, each declaration 2.0.0; the events declaration
# alone says Swagger 1.2 (it uses subTypes and a discriminator).
ARI_VERSION = "10.0.0"
DECLARATION_VERSION = "2.0.0"


def base_path(host: str | None) -> str | None:
    """``http://<host>/ari`` from the request's Host header, as Asterisk writes it (None without a Host)."""
    return f"http://{host}/ari" if host else None


def _with_base(doc: dict[str, Any], base: str | None) -> dict[str, Any]:
    # Asterisk drops basePath when the request had no Host header.
    if base is not None:
        doc["basePath"] = base
    return doc


def resource_listing(base: str | None) -> dict[str, Any]:
    """The document served at ``/ari/api-docs/resources.json``."""
    doc: dict[str, Any] = {"apiVersion": ARI_VERSION, "swaggerVersion": "1.1"}
    _with_base(doc, base)
    doc["apis"] = [
        {"path": f"/api-docs/{name}.{{format}}", "description": description}
        for name, description in RESOURCES.items()
    ]
    return doc


def _param_doc(p: Param) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": p.name,
        "paramType": p.param_type,
        "required": p.required,
        "allowMultiple": p.allow_multiple,
        "dataType": p.data_type,
    }
    if p.default is not None:
        doc["defaultValue"] = p.default
    if p.allowable_values is not None:
        doc["allowableValues"] = {"valueType": "LIST", "values": list(p.allowable_values)}
    elif p.min is not None or p.max is not None:
        bounds = {k: v for k, v in (("min", p.min), ("max", p.max)) if v is not None}
        doc["allowableValues"] = {"valueType": "RANGE", **bounds}
    return doc


def _operation_doc(o: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"httpMethod": o.method}
    if o.websocket:
        doc["upgrade"] = "websocket"
        doc["websocketProtocol"] = "ari"
    doc["summary"] = o.summary
    doc["nickname"] = o.nickname
    doc["responseClass"] = o.response_class
    if o.params:
        doc["parameters"] = [_param_doc(p) for p in o.params]
    if o.errors:
        doc["errorResponses"] = [{"code": code, "reason": reason} for code, reason in o.errors]
    return doc


def _model_doc(m: Model, subtypes: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for p in m.props:
        prop: dict[str, Any] = {"required": p.required, "type": p.type}
        if p.values is not None:
            prop["allowableValues"] = {"valueType": "LIST", "values": list(p.values)}
        props[p.name] = prop
    doc: dict[str, Any] = {"id": m.id}
    if m.discriminator:
        doc["discriminator"] = m.discriminator
    doc["properties"] = props
    if subtypes:
        doc["subTypes"] = subtypes
    return doc


def api_declaration(resource: str, base: str | None) -> dict[str, Any] | None:
    """The document served at ``/ari/api-docs/<resource>.json``, or None for an unknown resource."""
    if resource not in RESOURCES:
        return None
    doc: dict[str, Any] = {
        "apiVersion": DECLARATION_VERSION,
        "swaggerVersion": "1.2" if resource == "events" else "1.1",
    }
    _with_base(doc, base)
    doc["resourcePath"] = f"/api-docs/{resource}.{{format}}"
    apis: dict[str, dict[str, Any]] = {}
    for o in ROUTES:
        if o.resource == resource:
            api = apis.setdefault(o.path, {"path": o.path, "operations": []})
            api["operations"].append(_operation_doc(o))
    doc["apis"] = list(apis.values())
    models = MODELS.get(resource, ())
    doc["models"] = {m.id: _model_doc(m, [s.id for s in models if s.extends == m.id]) for m in models}
    return doc
