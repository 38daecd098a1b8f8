"""``/asterisk/modules`` and ``/asterisk/logging``: the simulated Asterisk's modules and logger channels.

The simulator has no loadable modules: it lists the modules of Asterisk 22.10.1 whose behaviour it
reproduces (names, descriptions and support levels as a real 22.10.1 lists them; ``use_count`` 0), running
for good. As observed on a real Asterisk 22.10.1 (arinb simops probe, 2026-12-06) and read in
``res/ari/resource_asterisk.c``:

* GET a module not running: 404 "Module could not be found in running modules". Load a running one: 409
  "Module is already loaded"; an unknown one: 409 "Module load declined". Unload or reload an unknown one:
  404 "Module not found in running modules". Reload one without a reload handler: 409 "Module does not
  support reloading"; with one: 204. Unloading a simulated module: 409 "Module could not be unloaded" (what
  Asterisk answers when a module refuses to go: the simulator's features cannot be taken out).
* Logger channels: ``messages.log`` (NOTICE WARNING ERROR VERBOSE) to start with, newest first. Adding one:
  400 "Configuration levels are required" without ``configuration``, 409 "Log channel already exists",
  else 204 with the known levels kept (``notice,warning`` -> "NOTICE WARNING ", unknown ones dropped).
  Rotating: 404 "Log channel does not exist", else 204 (a channel added through ARI is gone afterwards, as
  observed). Deleting: 404 or 204.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("asterisk.getModule", {"moduleName": "res_ari.so"})).body["description"]
'Asterisk RESTful Interface'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["LOG_DIR", "MODULES", "Modules"]

#: (name, description, support level, has a reload handler) of the modules the simulator stands for.
MODULES: tuple[tuple[str, str, str, bool], ...] = (
    ("app_dial.so", "Dialing Application", "core", False),
    ("app_playback.so", "Sound File Playback Application", "core", True),
    ("app_stasis.so", "Stasis dialplan application", "core", False),
    ("app_stasis_broadcast.so", "Stasis application broadcast", "extended", False),
    ("bridge_holding.so", "Holding bridge module", "core", False),
    ("bridge_simple.so", "Simple two channel bridging module", "core", False),
    ("bridge_softmix.so", "Multi-party software based channel mixing", "core", False),
    ("chan_websocket.so", "Websocket Media Channel", "core", True),
    ("format_wav.so", "Microsoft WAV/WAV16 format (8kHz/16kHz Signed Linear)", "core", False),
    ("pbx_config.so", "Text Extension Configuration", "core", True),
    ("res_ari.so", "Asterisk RESTful Interface", "core", True),
    ("res_ari_applications.so", "RESTful API module - Stasis application resources", "core", False),
    ("res_ari_asterisk.so", "RESTful API module - Asterisk resources", "core", False),
    ("res_ari_bridges.so", "RESTful API module - Bridge resources", "core", False),
    ("res_ari_channels.so", "RESTful API module - Channel resources", "core", False),
    ("res_ari_device_states.so", "RESTful API module - Device state resources", "core", False),
    ("res_ari_endpoints.so", "RESTful API module - Endpoint resources", "core", False),
    ("res_ari_events.so", "RESTful API module - WebSocket resource", "core", False),
    ("res_ari_mailboxes.so", "RESTful API module - Mailboxes resources", "core", False),
    ("res_ari_model.so", "ARI Model validators", "core", False),
    ("res_ari_playbacks.so", "RESTful API module - Playback control resources", "core", False),
    ("res_ari_recordings.so", "RESTful API module - Recording resources", "core", False),
    ("res_ari_sounds.so", "RESTful API module - Sound resources", "core", False),
    ("res_http_websocket.so", "HTTP WebSocket Support", "core", False),
    ("res_musiconhold.so", "Music On Hold Resource", "core", True),
    ("res_mwi_external.so", "Core external MWI resource", "core", False),
    ("res_stasis.so", "Stasis application support", "core", False),
    ("res_stasis_answer.so", "Stasis application answer support", "core", False),
    ("res_stasis_broadcast.so", "Stasis application broadcast", "extended", False),
    ("res_stasis_device_state.so", "Stasis application device state support", "core", False),
    ("res_stasis_mailbox.so", "Stasis application mailbox support", "core", False),
    ("res_stasis_playback.so", "Stasis application playback support", "core", False),
    ("res_stasis_recording.so", "Stasis application recording support", "core", False),
    ("res_stasis_snoop.so", "Stasis application snoop support", "core", False),
)
#: Where logger channels with a relative name go (Debian's astlogdir).
LOG_DIR = "/var/log/asterisk"
#: Logger levels in Asterisk's order (the order a channel's ``configuration`` lists them).
_LEVELS = ("DEBUG", "TRACE", "NOTICE", "WARNING", "ERROR", "VERBOSE", "DTMF", "SECURITY")


@dataclass
class _LogChannel:
    name: str
    levels: str
    dynamic: bool  # added through ARI

    def to_json(self) -> dict[str, str]:
        path = self.name if self.name.startswith("/") else f"{LOG_DIR}/{self.name}"
        return {"channel": path, "type": "File", "status": "Enabled", "configuration": self.levels}


class Modules:
    """Module list and logger channels (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.modules = {name: (desc, level, reload) for name, desc, level, reload in MODULES}
        self.logs: list[_LogChannel] = [_LogChannel("messages.log", "NOTICE WARNING ERROR VERBOSE ", False)]

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "asterisk.listModules": lambda r: Reply(200, [self._json(n) for n in sorted(self.modules)]),
            "asterisk.getModule": self._op_get,
            "asterisk.loadModule": self._op_load,
            "asterisk.unloadModule": self._op_unload,
            "asterisk.reloadModule": self._op_reload,
            "asterisk.listLogChannels": lambda r: Reply(200, [c.to_json() for c in self.logs]),
            "asterisk.addLog": self._op_add_log,
            "asterisk.deleteLog": self._op_delete_log,
            "asterisk.rotateLog": self._op_rotate_log,
        }

    # -- modules -------------------------------------------------------------------------------------------
    def _json(self, name: str) -> dict[str, str | int]:
        desc, level, _reload = self.modules[name]
        return {
            "name": name,
            "description": desc,
            "use_count": 0,
            "status": "Running",
            "support_level": level,
        }

    def _op_get(self, req: Request) -> Reply:
        name = req.path.get("moduleName", "")
        if name not in self.modules:
            return error(404, "Module could not be found in running modules")
        return Reply(200, self._json(name))

    def _op_load(self, req: Request) -> Reply:
        if req.path.get("moduleName", "") in self.modules:
            return error(409, "Module is already loaded")
        return error(409, "Module load declined")

    def _op_unload(self, req: Request) -> Reply:
        if req.path.get("moduleName", "") not in self.modules:
            return error(404, "Module not found in running modules")
        return error(409, "Module could not be unloaded")

    def _op_reload(self, req: Request) -> Reply:
        module = self.modules.get(req.path.get("moduleName", ""))
        if module is None:
            return error(404, "Module not found in running modules")
        if not module[2]:
            return error(409, "Module does not support reloading")
        return Reply(204)

    # -- logger channels -----------------------------------------------------------------------------------
    def _find_log(self, name: str) -> _LogChannel | None:
        return next((c for c in self.logs if c.name == name), None)

    def _op_add_log(self, req: Request) -> Reply:
        name = req.path.get("logChannelName", "")
        configuration = req.get("configuration")
        if not configuration:
            return error(400, "Configuration levels are required")
        if self._find_log(name) is not None:
            return error(409, "Log channel already exists")
        wanted = {part.strip().upper() for part in configuration.split(",")}
        levels = "".join(f"{level} " for level in _LEVELS if level in wanted or "*" in wanted)
        self.logs.insert(0, _LogChannel(name, levels, True))
        return Reply(204)

    def _op_delete_log(self, req: Request) -> Reply:
        channel = self._find_log(req.path.get("logChannelName", ""))
        if channel is None:
            return error(404, "Log channel does not exist")
        self.logs.remove(channel)
        return Reply(204)

    def _op_rotate_log(self, req: Request) -> Reply:
        channel = self._find_log(req.path.get("logChannelName", ""))
        if channel is None:
            return error(404, "Log channel does not exist")
        if channel.dynamic:
            self.logs.remove(channel)  # observed: after the rotation Asterisk no longer knows it
        return Reply(204)
