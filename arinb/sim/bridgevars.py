"""Bridge variables and the bridge's video source, as Asterisk 22.10.1 answers them.

Observed on a real Asterisk 22.10.1 (arinb simops probe, 2026-12-06); read in ``res/ari/resource_bridges.c``:

* ``GET /bridges/{id}/variable``: 400 "Variable name is required"; 404 "Bridge not found" (reason "Not
  found"); 404 "Provided variable was not found"; ``{"value": ...}``.
* ``POST /bridges/{id}/variable``: the name is stripped of blanks and kept as it is (``LEN(abc)`` too); no
  ``value`` unsets it. With ``report_events`` the variable joins the bridge's ``bridgevars`` (shown in its
  JSON, after ``video_mode``); no event is sent.
* ``GET /bridges/{id}/variables?variables=a,b``: 400 "At least one variable name is required" (no list),
  404 "Provided bridge was not found" (reason "Bridge Not Found"), 400 "Variable names are required" (an
  empty name), 404 "Provided variable was not found" (reason "Variable Not Found"); else
  ``{"variables": {...}}``; a name ending in ``)`` is a dialplan function read without a channel
  (``LEN(abcd)`` -> "4"; one that needs a channel: 500 "Unable to read provided function").
* ``POST .../variables`` takes ``{"variables": {name: value | {"value", "report_events"}}}``: 400 "The
  'variables' field is required" (no body), 404 as above, 400 "The 'variables' field must be a JSON
  object".
* ``POST /bridges/{id}/videoSource/{channelId}``: 404 bridge, 400 "Channel not found", 422 "Channel not in
  Stasis application" / "Channel not in this bridge"; then ``video_mode`` "single" with ``video_source_id``
  and BridgeVideoSourceChanged (only when the source changes). ``DELETE .../videoSource`` answers 204 and
  changes nothing the bridge shows (Asterisk publishes no new snapshot); when the source channel leaves, the
  bridge goes back to "talker" and BridgeVideoSourceChanged carries ``old_video_source_id``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from arinb.sim.objects import Bridge, Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["BridgeVariables"]

_FUNCTION = re.compile(r"^\s*(\w+)\((.*)\)\s*$")


def read_function(text: str) -> str | None:
    """A dialplan function read without a channel (None: it cannot be read so)."""
    m = _FUNCTION.match(text)
    if m is None:
        return None
    name, arg = m.group(1), m.group(2)  # function names are case-sensitive (len(x) is unknown)
    if name == "LEN":
        return str(len(arg))
    if name == "TOUPPER":
        return arg.upper()
    if name == "TOLOWER":
        return arg.lower()
    return None  # functions that need a channel (CHANNEL, CALLERID...) fail without one


class BridgeVariables:
    """Bridge variables and video source (one per engine: ``engine.bridge_variables``)."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "bridges.getBridgeVar": self._op_get,
            "bridges.setBridgeVar": self._op_set,
            "bridges.getBridgeVars": self._op_get_many,
            "bridges.setBridgeVars": self._op_set_many,
            "bridges.setVideoSource": self._op_set_video,
            "bridges.clearVideoSource": self._op_clear_video,
        }

    # -- variables -----------------------------------------------------------------------------------------
    def _find(self, req: Request) -> Bridge | Reply:
        bridge = self.k.bridges.get(req.path.get("bridgeId", ""))
        return bridge if bridge is not None else error(404, "Bridge not found", "Not found")

    def _op_get(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        bridge = self._find(req)
        if isinstance(bridge, Reply):
            return bridge
        value = bridge.vars.get(name)
        if value is None:
            return error(404, "Provided variable was not found")
        return Reply(200, {"value": value})

    def _op_set(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        bridge = self._find(req)
        if isinstance(bridge, Reply):
            return bridge
        self._set(bridge, name.strip(), req.get("value"), req.bool("report_events"))
        return Reply(204)

    @staticmethod
    def _set(bridge: Bridge, name: str, value: str | None, report: bool) -> None:
        if value is None:
            bridge.vars.pop(name, None)
            bridge.reported_vars.discard(name)
            return
        bridge.vars[name] = value
        if report:
            bridge.reported_vars.add(name)

    def _op_get_many(self, req: Request) -> Reply:
        raw = req.get("variables")
        if not raw:
            return error(400, "At least one variable name is required")
        bridge = self.k.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Provided bridge was not found", "Bridge Not Found")
        out: dict[str, str] = {}
        for item in raw.split(","):
            name = item.strip()
            if not name:
                return error(400, "Variable names are required")
            if name.endswith(")"):
                value = read_function(name)
                if value is None:
                    return error(500, "Unable to read provided function", "Error With Function")
            else:
                value = bridge.vars.get(name)
                if value is None:
                    return error(404, "Provided variable was not found", "Variable Not Found")
            out[name] = value
        return Reply(200, {"variables": out})

    def _op_set_many(self, req: Request) -> Reply:
        if not isinstance(req.body, dict):
            return error(400, "The 'variables' field is required")
        bridge = self.k.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Provided bridge was not found", "Bridge Not Found")
        values = req.body.get("variables")
        if not isinstance(values, dict):
            return error(400, "The 'variables' field must be a JSON object")
        for raw_name, raw_value in values.items():
            value: Any = raw_value
            report = False
            if isinstance(raw_value, dict):
                value = raw_value.get("value")
                report = raw_value.get("report_events") is True
            self._set(bridge, str(raw_name).strip(), None if value is None else str(value), report)
        return Reply(204)

    # -- video source --------------------------------------------------------------------------------------
    def _op_set_video(self, req: Request) -> Reply:
        bridge = self._find(req)
        if isinstance(bridge, Reply):
            return bridge
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(400, "Channel not found")
        if ch.stasis_app is None:
            return error(422, "Channel not in Stasis application")
        if ch.bridge_id != bridge.id:
            return error(422, "Channel not in this bridge")
        if bridge.video_source_id != ch.id:
            bridge.video_mode = "single"
            bridge.video_source_id = ch.id
            self.k.emit("BridgeVideoSourceChanged", {"bridge": bridge.to_json()}, bridges=[bridge.id])
        return Reply(204)

    def _op_clear_video(self, req: Request) -> Reply:
        bridge = self._find(req)
        if isinstance(bridge, Reply):
            return bridge
        return Reply(204)  # back to talker mode inside; the bridge's snapshot is not republished

    def channel_left(self, bridge: Bridge, ch: Channel) -> None:
        """A member left: if it was the video source, the bridge goes back to talker mode."""
        if bridge.video_source_id != ch.id:
            return
        bridge.video_mode = "talker"
        bridge.video_source_id = None
        self.k.emit(
            "BridgeVideoSourceChanged",
            {"bridge": bridge.to_json(), "old_video_source_id": ch.id},
            bridges=[bridge.id],
        )
