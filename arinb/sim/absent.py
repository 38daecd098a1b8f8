"""Operations whose work needs modules the simulator does not have, answered as an Asterisk 22.10.1 without
them answers (the reference build of shared/ari: ARI, Local channels, no SIP stack).

* ``GET/PUT/DELETE /asterisk/config/dynamic/{configClass}/{objectType}/{id}``: no module registers a sorcery
  configuration class (res_pjsip is the usual one), so every class is 404 "configClass '<c>' not found"
  (observed for res_pjsip, res_musiconhold, res_stasis).
* ``PUT /endpoints/sendMessage`` and ``POST /endpoints/refer``: 400 "To must be specified", 400 "Only string
  values in the 'variables' object allowed"; then no message (or refer) technology takes the destination:
  404 "Endpoint not found" (observed). The ``/endpoints/{tech}/{resource}/...`` forms first look the
  endpoint up (404 "Endpoint not found" when unknown), then fail the same way: a simulated phone's endpoint
  exists, but there is no SIP stack to carry the MESSAGE or REFER.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> path = {"configClass": "res_pjsip", "objectType": "endpoint", "id": "alice"}
>>> asyncio.run(engine.handle("asterisk.getObject", path)).body
{'message': "configClass 'res_pjsip' not found"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Absent"]


class Absent:
    """Configuration objects and out-of-call messaging, without the modules behind them (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "asterisk.getObject": self._op_config,
            "asterisk.updateObject": self._op_config,
            "asterisk.deleteObject": self._op_config,
            "endpoints.sendMessage": self._op_send,
            "endpoints.sendMessageToEndpoint": self._op_send_to_endpoint,
            "endpoints.refer": self._op_send,
            "endpoints.referToEndpoint": self._op_send_to_endpoint,
        }

    @staticmethod
    def _op_config(req: Request) -> Reply:
        return error(404, f"configClass '{req.path.get('configClass', '')}' not found")

    def _op_send(self, req: Request) -> Reply:
        if not req.get("to"):
            return error(400, "To must be specified")
        return self._deliver(req)

    def _op_send_to_endpoint(self, req: Request) -> Reply:
        tech, resource = req.path.get("tech", ""), req.path.get("resource", "")
        if f"{tech}/{resource}" not in self.k.system.endpoints:
            return error(404, "Endpoint not found")
        return self._deliver(req)

    @staticmethod
    def _deliver(req: Request) -> Reply:
        variables = req.body.get("variables") if isinstance(req.body, dict) else None
        if isinstance(variables, dict) and not all(isinstance(v, str) for v in variables.values()):
            return error(400, "Only string values in the 'variables' object allowed")
        # ast_msg_send / ast_refer_send: no technology registered for the destination.
        return error(404, "Endpoint not found")
