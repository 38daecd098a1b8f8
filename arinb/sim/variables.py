"""Channel and global variables: ``GET/POST /channels/{id}/variable``, ``/channels/{id}/variables``,
``/asterisk/variable``, and the dialplan functions they can read and write.

As a real Asterisk 22.10.1 answered them (``tests/data/ari/traces/channel-variables.json``, read in
res/ari/resource_channels.c, res/stasis/control.c, main/pbx_variables.c, main/channel.c):

* Names are case-sensitive, blanks included (``" SP "`` is its own variable); ``_``/``__`` prefixes are
  dropped for reading (``__INH`` is read as ``INH``). Built-ins first (``CALLINGPRES`` is 67, "number not
  available", while the caller id has neither name nor number), then the channel's, then globals.
* A name ending in ``)`` is a function: unknown (``callerid(name)`` too: function names are case-sensitive),
  malformed or with a bad argument it reads as 500 "Unable to read provided function"
  (``CALLERID(bogus)`` reads ""); written, it answers 204 whatever happens, sends no ChannelVarset, and an
  unset (no value) does nothing. ``CALLERID(...)`` sends ChannelCallerId, ``CONNECTEDLINE(...)``
  ChannelConnectedLine (a Local pair makes it the other half's caller id, shown at that half's next
  snapshot), ``CHANNEL(language)`` sets both halves of a Local pair (a snapshot each, no event of its own).
* ``report_events``: the variable (or function) joins the channel's reportable list, shown as
  ``channelvars`` in the channel's snapshots; any set without it takes it off the list. A snapshot is made
  when a variable is set while the list is not empty and when a function changes the caller id, connected
  line or language; in between, the channel JSON keeps the last snapshot's ``channelvars``.
* ``POST .../variables``: every value is checked first (a string, or ``{"value": string, "report_events":
  bool}``); an empty key is skipped, a blank one stops the sets there with 400 "Failed to execute function".
* Globals (``/asterisk/variable``) are read without functions: a function name reads as "".

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

from arinb.sim.bridgevars import read_function
from arinb.sim.objects import Channel
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Variables"]

_FUNCTION = re.compile(r"^([A-Za-z_][\w.]*)\((.*)\)$")
#: ``CALLINGPRES`` while the caller id is not valid: AST_PRES_NUMBER_NOT_AVAILABLE.
_PRES_NOT_AVAILABLE = "67"
_BAD_VALUE = (
    "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'"
)


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
                "CALLINGPRES": "0" if ch.caller_name or ch.caller_number else _PRES_NOT_AVAILABLE,
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
        """``ast_func_read2``: the value, or None when the read fails (unknown function, bad argument)."""
        m = _FUNCTION.match(call)
        if m is None:
            return None
        func, arg = m.group(1), m.group(2).strip().lower()
        if func == "CALLERID":
            if not arg:
                return None
            values = {
                "num": ch.caller_number,
                "number": ch.caller_number,
                "name": ch.caller_name,
                "all": _cid(ch),
            }
            return values.get(arg, "")  # an unknown datatype reads as ""
        if func == "CONNECTEDLINE":
            if not arg:
                return None
            return {"num": ch.connected_number, "number": ch.connected_number, "name": ch.connected_name}.get(
                arg, ""
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
        return read_function(call)  # the ones that need no channel (LEN, TOUPPER, ...)

    # -- writing: pbx_builtin_setvar_helper() ----------------------------------------------------------
    def write(self, ch: Channel | None, name: str, value: str | None) -> None:
        """Set (or, with ``value`` None, unset) a channel variable or a global, as Asterisk does.

        A name ending in ``)`` is a function write (no ChannelVarset). Setting sends ChannelVarset with
        the name as given; unsetting sends ``""`` only if the old value was not empty.
        """
        if name.endswith(")"):
            if ch is not None and value is not None:  # ast_func_write() with no value does nothing
                self._write_function(ch, name, value)
            return
        bare = _bare(name)
        store = ch.vars if ch is not None else self.k.system.global_vars
        old = None
        for key in [k for k in store if _bare(k) == bare]:
            old = store.pop(key)
        if value is not None:
            store[name] = value
            if ch is not None:
                self.varset(ch, name, value)
        elif old and ch is not None:
            self.varset(ch, name, "")

    def varset(self, ch: Channel, name: str, value: str) -> None:
        """ChannelVarset for a channel variable just set (``ast_channel_publish_varset``): with reportable
        variables, a new snapshot (``channelvars``) first."""
        if ch.reported:
            self._snapshot(ch)
        self.k.emit_channel("ChannelVarset", ch, pre={"variable": name, "value": value})

    def _snapshot(self, ch: Channel) -> None:
        """A new channel snapshot: ``channelvars`` as the reportable list reads now (absent if empty)."""
        if not ch.reported:
            ch.channelvars = None
            return
        out: dict[str, str] = {}
        for name in ch.reported:
            value = self._read_function(ch, name) if "(" in name else self.lookup(ch, name)
            out[name] = value or ""
        ch.channelvars = out

    def _reportable(self, ch: Channel, name: str, report: bool) -> None:
        """``ast_channel_set_ari_var_reportable``: every set puts the name on the list or takes it off."""
        if report and name not in ch.reported:
            ch.reported.append(name)
        elif not report and name in ch.reported:
            ch.reported.remove(name)

    def _write_function(self, ch: Channel, call: str, value: str) -> None:
        m = _FUNCTION.match(call)
        if m is None:
            return  # malformed: the write fails, the request still answers 204
        func, arg = m.group(1), m.group(2).strip().lower()
        k = self.k
        if func == "CALLERID" and arg in ("name", "num", "number", "all"):
            ch.caller_name, ch.caller_number = _id_write(arg, value, ch.caller_name, ch.caller_number)
            self._snapshot(ch)
            k.emit_channel("ChannelCallerId", ch, _PRESENTATION)
        elif func == "CONNECTEDLINE" and arg in ("name", "num", "number", "all"):
            ch.connected_name, ch.connected_number = _id_write(
                arg, value, ch.connected_name, ch.connected_number
            )
            self._snapshot(ch)
            k.emit_channel("ChannelConnectedLine", ch)
            peer = _local_peer(ch)
            if peer is not None:
                # The Local pair passes it on: the other half's caller id is now this connected line, and
                # shows in its next snapshot (channel-variables #163, #166).
                peer.caller_name, peer.caller_number = ch.connected_name, ch.connected_number
                peer.callerid_unpublished = True
        elif func == "CHANNEL" and arg == "language":
            # A Local half passes CHANNEL() writes to its other half (AST_OPTION_CHANNEL_WRITE): both get the
            # language and a new snapshot, which shows a caller id changed since the last one.
            peer = _local_peer(ch)
            for target in (ch, peer) if peer is not None else (ch,):
                target.language = value
                self._snapshot(target)
                if target.callerid_unpublished:
                    target.callerid_unpublished = False
                    k.emit_channel("ChannelCallerId", target, _PRESENTATION)

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
        if raw is None:  # (``variables=`` is a list of one empty name: "Variable names are required")
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
        # ast_ari_channels_set_channel_vars() and json_to_ast_variables(), in their order.
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
        values: list[tuple[str, str, bool]] = []
        for key, item in raw.items():
            report = False
            if isinstance(item, dict):
                value = item.get("value")
                if not isinstance(value, str):
                    return error(400, "Each object value in 'variables' must include string field 'value'")
                if "report_events" in item:
                    if not isinstance(item["report_events"], bool):
                        return error(400, "Field 'report_events' in 'variables' entries must be boolean")
                    report = item["report_events"]
                item = value
            elif not isinstance(item, str):
                return error(400, _BAD_VALUE)
            if key:
                values.append((str(key), item, report))
        target = ch

        def setvars() -> Reply:
            for name, value, report in values:
                name = name.strip()
                if not name:  # ast_channel_set_ari_var_reportable() refuses it; the ones before are set
                    return error(400, "Failed to execute function")
                self._reportable(target, name, report)
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
        report = req.bool("report_events")
        target = ch

        def setvar() -> Reply:
            self._reportable(target, name, report)
            self.write(target, name, value)
            return Reply(204)

        return await k.run_queued(ch, "setChannelVar", setvar)


_NAME_AND_NUMBER = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


def _id_write(arg: str, value: str, name: str, number: str) -> tuple[str, str]:
    """(name, number) after writing ``value`` to ``CALLERID(arg)`` or ``CONNECTEDLINE(arg)``.

    ``all`` takes ``"Name" <number>``; anything else there is a number with no name.

    >>> _id_write("all", '"Alice" <1001>', "", "")
    ('Alice', '1001')
    >>> _id_write("num", "42", "Bob", "7")
    ('Bob', '42')
    """
    if arg == "name":
        return value, number
    if arg in ("num", "number"):
        return name, value
    parsed = _NAME_AND_NUMBER.match(value)
    return (parsed.group(1), parsed.group(2)) if parsed else ("", value)


def _bare(name: str) -> str:
    """A variable's name without the ``_``/``__`` inheritance prefix (``ast_var_name``)."""
    return name[2:] if name.startswith("__") else name[1:] if name.startswith("_") else name


_PRESENTATION = {"caller_presentation": 0, "caller_presentation_txt": "Presentation Allowed, Not Screened"}


def _local_peer(ch: Channel) -> Channel | None:
    """The other half of a Local pair (None for any other channel, or once it is gone)."""
    if ch.kind not in ("local1", "local2") or ch.peer is None or ch.peer.hungup:
        return None
    return ch.peer


def _cid(ch: Channel) -> str:
    return f'"{ch.caller_name}" <{ch.caller_number}>'
