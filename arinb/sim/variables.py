"""Channel and global variables: ``GET/POST /channels/{id}/variable``, ``/channels/{id}/variables``,
``/asterisk/variable``, and the dialplan functions they can read and write.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("asterisk.getGlobalVar", query={})).body
{'message': 'Variable name is required'}
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Variables"]


class Variables:
    """Variable operations (``engine.variables``); global variables live in ``engine.system``."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.getChannelVar": self._op_get_var,
            "channels.setChannelVar": self._op_set_var,
            "channels.getChannelVars": self._op_get_vars,
            "channels.setChannelVars": self._op_set_vars,
            "asterisk.getGlobalVar": self._op_get_global,
            "asterisk.setGlobalVar": self._op_set_global,
        }

    def _op_get_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        return Reply(200, {"value": self.k.system.global_vars.get(name, "")})

    def _op_set_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        self.k.system.global_vars[name] = req.get("value") or ""
        return Reply(204)

    def _op_get_var(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Provided channel was not found", "Channel Not Found")
        m = re.fullmatch(r"(\w+)\((.*)\)", name)
        if m is not None:
            value = self._read_function(ch, m.group(1).upper(), m.group(2))
            if value is None:
                return error(500, "Unable to read provided function", "Error With Function")
            return Reply(200, {"value": value})
        if name in ch.vars:
            return Reply(200, {"value": ch.vars[name]})
        if name in self.k.system.global_vars:
            return Reply(200, {"value": self.k.system.global_vars[name]})
        return error(404, "Provided variable was not found", "Variable Not Found")

    def _op_get_vars(self, req: Request) -> Reply:
        names = [n for n in (req.get("variables") or "").split(",") if n]
        if not names:
            return error(400, "Missing variables parameter.")
        out: dict[str, str] = {}
        for name in names:
            one = self._op_get_var(Request(req.op, req.path, {"variable": name}))
            if one.status != 200:
                return one
            out[name] = one.body["value"]
        return Reply(200, {"variables": out})

    async def _op_set_vars(self, req: Request) -> Reply:
        k = self.k
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        values = req.variables()
        if not values:
            return error(400, "Missing variables parameter.")
        target = ch

        def setvars() -> Reply:
            for name, value in values.items():
                k.set_var(target, name, value)
            return Reply(204)

        return await k.run_queued(ch, "setChannelVars", setvars)

    def _read_function(self, ch: Channel, func: str, arg: str) -> str | None:
        arg = arg.strip().lower()
        if func == "CALLERID":
            return {"num": ch.caller_number, "name": ch.caller_name, "all": _cid(ch)}.get(arg)
        if func == "CONNECTEDLINE":
            return {"num": ch.connected_number, "name": ch.connected_name}.get(arg)
        if func == "CHANNEL":
            return {
                "name": ch.name,
                "uniqueid": ch.id,
                "state": ch.state,
                "language": ch.language,
                "context": ch.context,
                "exten": ch.exten,
                "channeltype": ch.name.split("/", 1)[0],
            }.get(arg)
        return None

    async def _op_set_var(self, req: Request) -> Reply:
        k = self.k
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        value = req.get("value") or ""
        target = ch

        def setvar() -> Reply:
            if name.upper().startswith("CALLERID("):
                field_ = name[9:-1].lower()
                if field_ == "name":
                    target.caller_name = value
                elif field_ in ("num", "number"):
                    target.caller_number = value
            k.set_var(target, name, value)
            return Reply(204)

        return await k.run_queued(ch, "setChannelVar", setvar)


def _cid(ch: Channel) -> str:
    return f'"{ch.caller_name}" <{ch.caller_number}>'
