"""Jupyter widgets: the live timeline, the scenario stepper, the phone; and the throttle they share.

All of them update by setting traits from a :class:`Throttle` (a few times a second at most), never by
printing into an ``Output`` from a background task. Names load lazily (ipywidgets is imported on use).

>>> from arinb.widgets import TimelineWidget, Throttle   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arinb.widgets.phone import Phone
    from arinb.widgets.scenario import ScenarioWidget
    from arinb.widgets.throttle import Throttle
    from arinb.widgets.timeline import TimelineWidget

__all__ = ["Phone", "ScenarioWidget", "Throttle", "TimelineWidget"]

_LAZY: dict[str, str] = {
    "Phone": "arinb.widgets.phone",
    "ScenarioWidget": "arinb.widgets.scenario",
    "Throttle": "arinb.widgets.throttle",
    "TimelineWidget": "arinb.widgets.timeline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arinb.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
