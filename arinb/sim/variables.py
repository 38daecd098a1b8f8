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

    # -- reading: ast_str_retrieve_variable() and ast_func_read2() ---------------------------------------
    def _builtin(self, ch: Channel | None, name: str) -> str | None:
        """The variables Asterisk computes (main/pbx_variables.c), before channel and global variables."""
        if ch is not None:
            channel_vars = {
                "EXTEN": ch.exten,
                "CONTEXT": ch.context,
                "PRIORITY": str(ch.priority),
                "CHANNEL": ch.name,
                "UNIQUEID": ch.id,
                "HANGUPCAUSE": "0",
                "CALLINGPRES": "0",
                "CALLINGANI2": "0",
                "CALLINGTON": "0",
                "CALLINGTNS": "0",
            }
            if name in channel_vars:
                return channel_vars[name]
        if name == "EPOCH":
            return str(int(self.k.now()))
        if name == "ENTITYID":
            return self.k.asterisk_id
        if name == "SYSTEMNAME":
            return ""
        return None

    def lookup(self, ch: Channel | None, name: str) -> str | None:
        """A variable's value as ``ast_str_retrieve_variable`` finds it (None: not found).

        Built-ins first, then the channel's variables (whose names compare without the ``_``/``__``
        inheritance prefix), then the globals.
        """
        value = self._builtin(ch, name)
        if value is not None:
            return value
        if ch is not None:
            for key in (name, "_" + name, "__" + name):
                if key in ch.vars and _bare(key) == name:
                    return ch.vars[key]
        return self.k.system.global_vars.get(name)

    def _read(self, ch: Channel, name: str) -> Reply:
        if name.endswith(")"):  # a dialplan function (ast_func_read2)
            value = self._read_function(ch, name)
            if value is None:
                return error(500, "Unable to read provided function", "Error With Function")
            return Reply(200, {"value": value})
        found = self.lookup(ch, name)
        if found is None:
            return error(404, "Provided variable was not found", "Variable Not Found")
        return Reply(200, {"value": found})

    def _read_function(self, ch: Channel, call: str) -> str | None:
        m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\((.*)\)\s*", call)
        if m is None:
            return None
        func, arg = m.group(1).upper(), m.group(2).strip().lower()
        if func == "CALLERID":
            return {
                "num": ch.caller_number,
                "number": ch.caller_number,
                "name": ch.caller_name,
                "all": _cid(ch),
            }.get(arg)
        if func == "CONNECTEDLINE":
            return {"num": ch.connected_number, "number": ch.connected_number, "name": ch.connected_name}.get(
                arg
            )
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
        if func == "LEN":
            return str(len(m.group(2)))
        return None

    # -- writing: pbx_builtin_setvar_helper() ----------------------------------------------------------
    def write(self, ch: Channel | None, name: str, value: str | None) -> None:
        """Set (or, with ``value`` None, unset) a channel variable or a global, as Asterisk does.

        A name ending in ``)`` is a function write (no ChannelVarset). Setting sends ChannelVarset with
        the name as given; unsetting sends ``""`` only if the old value was not empty.
        """
        if name.endswith(")"):
            if ch is not None:
                self._write_function(ch, name, value or "")
            return
        bare = _bare(name)
        store = ch.vars if ch is not None else self.k.system.global_vars
        old = None
        for key in [k for k in store if _bare(k) == bare]:
            old = store.pop(key)
        if value is not None:
            store[name] = value
            if ch is not None:
                self.k.emit_channel("ChannelVarset", ch, pre={"variable": name, "value": value})
        elif old and ch is not None:
            self.k.emit_channel("ChannelVarset", ch, pre={"variable": name, "value": ""})

    def _write_function(self, ch: Channel, call: str, value: str) -> None:
        m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\((.*)\)\s*", call)
        if m is None:
            return  # an unknown function: the write fails, the request still answers 204
        func, arg = m.group(1).upper(), m.group(2).strip().lower()
        if func == "CALLERID" and arg in ("name", "num", "number", "all"):
            if arg == "name":
                ch.caller_name = value
            elif arg in ("num", "number"):
                ch.caller_number = value
            else:
                parsed = re.match(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$', value)
                ch.caller_name, ch.caller_number = parsed.groups() if parsed else ("", value)
            self.k.emit_channel(
                "ChannelCallerId",
                ch,
                {"caller_presentation": 0, "caller_presentation_txt": "Presentation Allowed, Not Screened"},
            )

    # -- operations ---------------------------------------------------------------------------------------
    def _op_get_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        return Reply(200, {"value": self.lookup(None, name) or ""})  # never 404 for a global

    def _op_set_global(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        self.write(None, name, req.get("value"))
        return Reply(204)

    def _op_get_var(self, req: Request) -> Reply:
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Provided channel was not found", "Channel Not Found")
        return self._read(ch, name)

    def _op_get_vars(self, req: Request) -> Reply:
        raw = req.get("variables")
        if raw is None or raw == "":
            return error(400, "At least one variable name is required")
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Provided channel was not found", "Channel Not Found")
        out: dict[str, str] = {}
        for item in raw.split(","):
            name = item.strip()
            if not name:
                return error(400, "Variable names are required")
            one = self._read(ch, name)
            if one.status != 200:
                return one
            out[name] = one.body["value"]
        return Reply(200, {"variables": out})

    async def _op_set_vars(self, req: Request) -> Reply:
        k = self.k
        if not isinstance(req.body, dict):
            return error(400, "The 'variables' field is required")
        if req.path.get("channelId", "") not in k.channels:
            return error(404, "Provided channel was not found", "Channel Not Found")
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        raw = req.body.get("variables")
        if not isinstance(raw, dict):
            return error(400, "The 'variables' field must be a JSON object")
        values: list[tuple[str, str | None]] = []
        for key, item in raw.items():
            if isinstance(item, dict):  # {"value": ..., "report_events": ...}
                item = item.get("value")
            if item is not None and not isinstance(item, str):
                item = str(item)
            values.append((str(key).strip(), item))
        target = ch

        def setvars() -> Reply:
            for name, value in values:
                self.write(target, name, value)
            return Reply(204)

        return await k.run_queued(ch, "setChannelVars", setvars)

    async def _op_set_var(self, req: Request) -> Reply:
        k = self.k
        name = req.get("variable")
        if not name:
            return error(400, "Variable name is required")
        ch = k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        value = req.get("value")  # absent: the variable is unset
        target = ch

        def setvar() -> Reply:
            self.write(target, name, value)
            return Reply(204)

        return await k.run_queued(ch, "setChannelVar", setvar)


def _bare(name: str) -> str:
    """A variable's name without the ``_``/``__`` inheritance prefix (``ast_var_name``)."""
    return name[2:] if name.startswith("__") else name[1:] if name.startswith("_") else name


def _cid(ch: Channel) -> str:
    return f'"{ch.caller_name}" <{ch.caller_number}>'
