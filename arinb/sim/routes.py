"""The router the simulator's server uses: method and path -> operation of :mod:`arinb.ari.operations`.

>>> match = ROUTER.match("POST", "/channels/1795694992.1/play/pb-1")
>>> match.operation.key, match.path_params
('channels.playWithId', {'channelId': '1795694992.1', 'playbackId': 'pb-1'})
"""

from __future__ import annotations

from typing import NamedTuple

from arinb.ari.operations import OPERATIONS, RESOURCES, ROUTES, TEMPLATE_PARAM, Operation, Param

__all__ = [
    "OPERATIONS",
    "RESOURCES",
    "ROUTER",
    "ROUTES",
    "MethodNotAllowed",
    "Operation",
    "Param",
    "ResourceNotFound",
    "RouteMatch",
    "Router",
]


class ResourceNotFound(LookupError):
    """No route has this path (Asterisk: 404 ``Resource not found``)."""


class MethodNotAllowed(LookupError):
    """The path exists but not with this HTTP method (Asterisk: 405 ``Invalid method``)."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class RouteMatch(NamedTuple):
    operation: Operation
    path_params: dict[str, str]


class _Node:
    __slots__ = ("literal", "methods", "wildcard")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.wildcard: _Node | None = None
        self.methods: dict[str, Operation] = {}


class Router:
    """Finds the operation for a method and a path below ``/ari``, the way Asterisk does.

    Asterisk walks the path one segment at a time, preferring a literal segment over a ``{param}`` one and
    never backing up: ``GET /channels/create`` is 405 (``create`` exists for POST only), not ``channels.get``.
    Segments arrive already percent-decoded.
    """

    def __init__(self, operations: tuple[Operation, ...]) -> None:
        self._root = _Node()
        # Where each operation's path parameters are: (segment index, name), found once here.
        self._params: dict[str, tuple[tuple[int, str], ...]] = {
            op.key: tuple(
                (k, m.group(1)) for k, seg in enumerate(op.segments) if (m := TEMPLATE_PARAM.match(seg))
            )
            for op in operations
        }
        for operation in operations:
            node = self._root
            for seg in operation.segments:
                if TEMPLATE_PARAM.match(seg):
                    node.wildcard = node.wildcard or _Node()
                    node = node.wildcard
                else:
                    node = node.literal.setdefault(seg, _Node())
            if operation.method in node.methods:
                raise ValueError(f"two operations for {operation.method} {operation.path}")
            node.methods[operation.method] = operation

    def _node(self, segments: list[str]) -> _Node:
        node = self._root
        for seg in segments:
            nxt = node.literal.get(seg)
            if nxt is None and seg:
                nxt = node.wildcard
            if nxt is None:
                raise ResourceNotFound("/".join(segments))
            node = nxt
        if not node.methods:
            raise ResourceNotFound("/".join(segments))
        return node

    def allowed_methods(self, segments: list[str]) -> tuple[str, ...]:
        """The methods declared for this path (ResourceNotFound if none)."""
        return tuple(self._node(segments).methods)

    def match(self, method: str, path: str | list[str]) -> RouteMatch:
        """The operation and its path parameters; raises ResourceNotFound or MethodNotAllowed."""
        segments = path.strip("/").split("/") if isinstance(path, str) else path
        node = self._node(segments)
        operation = node.methods.get(method)
        if operation is None:
            raise MethodNotAllowed(tuple(node.methods))
        return RouteMatch(operation, {name: segments[k] for k, name in self._params[operation.key]})


ROUTER = Router(ROUTES)
