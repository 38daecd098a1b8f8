"""``POST /bridges/{bridgeId}/record``: record what a bridge mixes, as Asterisk 22.10.1 does it.

Asterisk puts a ``Recorder/ARI-<n>;2`` channel in the bridge (its number comes from the counter Local and
Announcer channels share; it is never listed in the bridge) and records what it hears. Observed on a real
Asterisk 22.10.1 (arinb simops probe, 2026-12-06) and read in ``ast_ari_bridges_record``:

* Checks, in order: 404 "Bridge not found" (reason "Not found"); 422 "specified format is unknown on this
  system"; 422 "specified recorder_format is unknown on this system". The recorder then joins (the
  members' ``BRIDGEPEER`` changes before the reply), and the remaining checks make it leave again:
  400 "terminateOn invalid", 400 "ifExists invalid", 500 "Error parsing request" (no name, a negative
  ``maxDurationSeconds``/``maxSilenceSeconds``, a name going up with ``..``), 409 "Recording '<name>'
  already exists and can not be overwritten".
* 201 with the LiveRecording (``state`` "queued", ``target_uri`` "bridge:<id>"); RecordingStarted follows.
  Recording events reach the apps subscribed to the bridge (through its members). The recording lives in
  ``/recordings/live`` and ``/recordings/stored`` like a channel's; when it ends, the recorder leaves.
* Destroying the bridge ends the recording (the stored file stays): its apps get RecordingFinished after
  their channels' ChannelLeftBridge (in one of three probes it did not come at all).

(Asterisk 22.10.1 crashes on a bridge record with no ``format``; the simulator answers 422 instead.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arinb.sim.objects import Bridge, Channel, LiveRecording
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["CODECS", "BridgeRecording"]

#: Codec names ``recorder_format`` accepts (``ast_format_cache_get``).
CODECS = frozenset(
    {
        "slin", "slin12", "slin16", "slin24", "slin32", "slin44", "slin48", "slin96", "slin192",
        "ulaw", "alaw", "gsm", "g722", "g723", "g726", "g726aal2", "g729", "ilbc", "lpc10", "speex",
        "speex16", "speex32", "adpcm", "siren7", "siren14", "testlaw", "opus",
    }
)  # fmt: skip
_TERMINATE = ("none", "any", "*", "#")
_IF_EXISTS = ("fail", "overwrite", "append")


class BridgeRecording:
    """Bridge recordings (one per engine): the operation and each recorder channel's stay in its bridge."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.recorders: dict[str, tuple[str, Channel]] = {}  # recording name -> (bridge id, recorder)

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {"bridges.record": self._op_record}

    def _op_record(self, req: Request) -> Reply:
        k = self.k
        bridge = k.bridges.get(req.path.get("bridgeId", ""))
        if bridge is None:
            return error(404, "Bridge not found", "Not found")
        fmt = req.get("format") or ""
        if not k.recordings.known_format(fmt):
            return error(422, "specified format is unknown on this system")
        recorder_format = req.get("recorder_format")
        if recorder_format and recorder_format not in CODECS:
            return error(422, "specified recorder_format is unknown on this system")
        recorder = self._recorder_joins(bridge)
        problem = self._check(req, fmt)
        if problem is not None:
            self._recorder_leaves(bridge.id, recorder)
            return problem
        name = req.get("name") or ""
        rec = LiveRecording(
            name,
            fmt,
            f"bridge:{bridge.id}",
            recorder.id,
            max_duration=float(req.int("maxDurationSeconds", 0)),
            max_silence=float(req.int("maxSilenceSeconds", 0)),
            if_exists=req.get("ifExists") or "fail",
            beep=req.bool("beep"),
            terminate_on=req.get("terminateOn") or "none",
        )
        rec.bridge_id = bridge.id
        rec.on_end = lambda: self._finished(name)
        k.recordings.live[name] = rec
        self.recorders[name] = (bridge.id, recorder)
        body = rec.to_json()
        # The recorder's own control thread starts it right after the 201.
        k.soon(self._start, rec, bridge.id)
        return Reply(201, body)

    def _check(self, req: Request, fmt: str) -> Reply | None:
        """The checks that come after the recorder joined (its control and the recording options)."""
        if (req.get("terminateOn") or "none") not in _TERMINATE:
            return error(400, "terminateOn invalid")
        if (req.get("ifExists") or "fail") not in _IF_EXISTS:
            return error(400, "ifExists invalid")
        name = req.get("name") or ""
        if (
            not name
            or req.int("maxDurationSeconds", 0) < 0
            or req.int("maxSilenceSeconds", 0) < 0
            or ".." in name.split("/")
        ):
            return error(500, "Error parsing request")
        recordings = self.k.recordings
        if name in recordings.live or (
            name in recordings.stored and (req.get("ifExists") or "fail") == "fail"
        ):
            return error(409, f"Recording '{name}' already exists and can not be overwritten")
        del fmt
        return None

    def _start(self, rec: LiveRecording, bridge_id: str) -> None:
        k = self.k
        bridge = k.bridges.get(bridge_id)
        if bridge is None or k.recordings.live.get(rec.name) is not rec:
            self._finished(rec.name)  # stopped before it started: the recorder leaves
            return
        # What the recorder hears is what the bridge mixes: a member's media log stands for it.
        source = bridge.channels[0] if bridge.channels else None
        has_audio = any(k.playbacks.is_sending(cid) for cid in bridge.channels) or k.moh.plays_on(bridge.id)
        k.recordings.begin(rec, source, has_audio, None)

    def _recorder_joins(self, bridge: Bridge) -> Channel:
        k = self.k
        k.new_uid()  # an unreal pair: ;1 and ;2 both take a unique id
        n = k.next_unreal()
        recorder = k.new_channel(f"Recorder/ARI-{n:08x};2", "Up", "announcer")
        k.bridges.media_channel_join(bridge, recorder.id, recorder.name)
        return recorder

    def _recorder_leaves(self, bridge_id: str, recorder: Channel) -> None:
        bridge = self.k.bridges.get(bridge_id)
        if bridge is not None:
            self.k.bridges.media_channel_leave(bridge, recorder.id)

    def _finished(self, name: str) -> None:
        entry = self.recorders.pop(name, None)
        if entry is not None:
            self._recorder_leaves(*entry)

    def bridge_gone(self, bridge_id: str) -> None:
        """The bridge was destroyed: its recordings end (nobody sees the bridge any more)."""
        for name, (bid, _recorder) in list(self.recorders.items()):
            if bid == bridge_id:
                del self.recorders[name]
                self.k.recordings.end(name, "done")
