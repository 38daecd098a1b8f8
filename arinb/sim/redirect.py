"""Transfers: ``POST /channels/{id}/redirect`` and ``/transfer_progress``, and ``GET .../rtp_statistics``.

``redirect`` hands the call to another endpoint, as Asterisk 22.10.1 does it.

``ast_ari_channels_redirect`` checks, in order: 404/409 (channel unknown / not in Stasis), 412 (Down,
Rsrvd, Ringing), 400 "Required parameter 'endpoint' not provided." (with the reason phrase "Not Found", as
Asterisk writes it), 422 "Endpoint parameter '<e>' does not contain tech/resource", 422 "No resource
provided in endpoint parameter '<e>'", 422 "Endpoint technology '<t>' does not match channel technology
'<T>'" (the first ``len(t)`` letters compared without case, as ``strncasecmp`` does). It then answers 204
and queues ``ast_transfer`` on the channel's control thread.

What the transfer does depends on the channel driver. Local, WebSocket, Snoop and Announcer channels have
no transfer: Asterisk logs "Unsupported transfer requested" and nothing else happens (observed on a real
Asterisk 22.10.1 with a Local channel). A simulated phone (``PJSIP/<name>``) accepts it: the SIP dialog
ends (a 302 before answer, a REFER then BYE after), so the channel is hung up from the far end.

``transfer_progress`` (observed): 404/409 as for any channel operation, 400 "states must not be empty",
400 "Invalid states value" (one of channel_progress, channel_answered, channel_unavailable,
channel_declined), else 204 with no event (an indication to the channel's driver).

``rtp_statistics`` (observed): 404 "Channel not found"; 403 "Unsupported channel type" for a channel
without RTP (Local, WebSocket, Snoop...). A simulated phone's channel would have RTP on Asterisk; the
simulator has no RTP stack, so that one answers 501 (README).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from arinb.sim.objects import Channel, Command
from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from collections.abc import Callable

    from arinb.sim.services import Services

__all__ = ["Redirect", "channel_technology"]

log = logging.getLogger("arinb.sim")

_TRANSFER_STATES = ("channel_progress", "channel_answered", "channel_unavailable", "channel_declined")
#: How long the simulated phone takes to end the dialog after accepting the transfer.
PHONE_TRANSFER_DELAY = 0.05
_TECH = {
    "local1": "Local",
    "local2": "Local",
    "pjsip": "PJSIP",
    "snoop": "Snoop",
    "announcer": "Announcer",
    "websocket": "WebSocket",
}


def channel_technology(ch: Channel) -> str:
    """The channel driver's type name (``ast_channel_tech(chan)->type``)."""
    return _TECH.get(ch.kind, ch.name.split("/", 1)[0])


class Redirect:
    """The redirect operation (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "channels.redirect": self._op_redirect,
            "channels.transfer_progress": self._op_transfer_progress,
            "channels.rtpstatistics": self._op_rtp_statistics,
        }

    def _op_redirect(self, req: Request) -> Reply:
        ch = self.k.checked(req)
        if isinstance(ch, Reply):
            return ch
        endpoint = req.get("endpoint")
        if not endpoint:
            return error(400, "Required parameter 'endpoint' not provided.", "Not Found")
        tech, slash, resource = endpoint.partition("/")
        if not slash or not tech:
            return error(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
        if not resource:
            return error(422, f"No resource provided in endpoint parameter '{endpoint}'")
        channel_tech = channel_technology(ch)
        if channel_tech[: len(tech)].lower() != tech.lower() or len(tech) > len(channel_tech):
            return error(
                422, f"Endpoint technology '{tech}' does not match channel technology '{channel_tech}'"
            )
        target = ch
        self.k.queue_of(ch).submit(Command("redirect", lambda done: self._transfer(target, resource, done)))
        return Reply(204)

    def _op_transfer_progress(self, req: Request) -> Reply:
        ch = self.k.find_control(req.path.get("channelId"))
        if isinstance(ch, Reply):
            return ch
        states = req.get("states")
        if not states:
            return error(400, "states must not be empty")
        if states.lower() not in _TRANSFER_STATES:
            return error(400, "Invalid states value")
        return Reply(204)

    def _op_rtp_statistics(self, req: Request) -> Reply:
        ch = self.k.channels.get(req.path.get("channelId", ""))
        if ch is None:
            return error(404, "Channel not found")
        if ch.kind != "pjsip":
            return error(403, "Unsupported channel type")
        return error(
            501,
            "The arinb simulator has no RTP stack (res_rtp_asterisk): no RTP statistics for this channel",
            "Not Implemented",
        )

    def _transfer(self, ch: Channel, resource: str, done: Callable[[], None]) -> None:
        if ch.kind == "pjsip" and not ch.hungup:
            # The phone takes the call elsewhere and ends this dialog.
            self.k.later(ch, PHONE_TRANSFER_DELAY, self.k.remote_hangup, ch.id, 16)
        else:
            log.info("Unsupported transfer requested on channel '%s' (to %s)", ch.name, resource)
        done()
