"""What the session does after every reconnect: settle what ended while the events connection was down.

Order matters (:func:`reconcile`):

1. take in the frames the new socket already holds (``caught_up``): a PlaybackFinished sent just after the
   reconnect must reach the user's own handle, not be overtaken by a GET that says 404;
2. ask the server about everything the session still holds as alive: channels in Stasis, bridges,
   playbacks (each same-id play queued behind one that ended is checked in turn), live recordings;
3. settle what is gone through the registry (the only writer): a channel ends every wait on it with
   :class:`~arinb.errors.ChannelGone`, a playback becomes ``lost``, a bridge or recording is forgotten.

Before settling on a 404 it takes in the frames once more: the event that explains it may be on its way. It
returns one line saying what was settled (the timeline's ``reconciled`` row)::

    summary = await reconcile(core.registry, request, transport.caught_up)
    # "checked 2 channels, 1 playback: channel 1.1 gone; playback pb-1 lost"
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arinb.client.params import seg
from arinb.client.registry import PlaybackRecord, Registry
from arinb.errors import AriError, AriNotFound

__all__ = ["reconcile"]

log = logging.getLogger("arinb.client")

Request = Callable[[str, str], Awaitable[Any]]

_ENDED_IN_GAP = "it ended while the events connection was down, so its PlaybackFinished never came"


async def reconcile(registry: Registry, request: Request, caught_up: Callable[[], Awaitable[None]]) -> str:
    """Check and settle (see the module docstring); returns the one-line summary."""
    await caught_up()
    settled: list[str] = []
    checked = {"channel": 0, "bridge": 0, "playback": 0, "recording": 0}

    for ch in [c for c in registry.channels.values() if c.in_stasis]:
        checked["channel"] += 1
        try:
            body = await request("GET", f"/channels/{seg(ch.id)}")
        except AriNotFound:
            await caught_up()
            if ch.in_stasis and registry.channels.get(ch.id) is ch:  # no StasisEnd arrived meanwhile
                registry.channel_gone_in_gap(ch)
                settled.append(f"channel {ch.id} gone")
        except AriError as exc:
            log.debug("arinb: could not check channel %s after the reconnect: %s", ch.id, exc)
        else:
            if isinstance(body, dict) and registry.channels.get(ch.id) is ch:
                registry.channel(ch.id, body)

    for br in list(registry.bridges.values()):
        if br.destroyed:
            continue
        checked["bridge"] += 1
        try:
            await request("GET", f"/bridges/{seg(br.id)}")
        except AriNotFound:
            await caught_up()
            if registry.bridges.get(br.id) is br:
                registry.bridge_destroyed(br)
                settled.append(f"bridge {br.id} gone")
        except AriError as exc:
            log.debug("arinb: could not check bridge %s after the reconnect: %s", br.id, exc)

    for pb in [p for p in registry.playbacks.values() if p.outcome is None]:
        await _check_playback(registry, request, caught_up, pb, checked, settled)

    for rec in list(registry.recordings.values()):
        checked["recording"] += 1
        try:
            await request("GET", f"/recordings/live/{seg(rec.name)}")
        except AriNotFound:
            await caught_up()
            if registry.recordings.get(rec.name) is rec:
                registry.recording_gone_in_gap(rec)
                settled.append(f"recording {rec.name} gone")
        except AriError as exc:
            log.debug("arinb: could not check recording %s after the reconnect: %s", rec.name, exc)

    what = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in checked.items() if n) or "nothing"
    return f"checked {what}: " + ("; ".join(settled) if settled else "all still there")


async def _check_playback(
    registry: Registry,
    request: Request,
    caught_up: Callable[[], Awaitable[None]],
    pb: PlaybackRecord,
    checked: dict[str, int],
    settled: list[str],
) -> None:
    """One playback id: the running play, then each same-id play queued behind it that took its place."""
    current: PlaybackRecord | None = pb
    while current is not None and current.outcome is None and (current.started or current.accepted):
        checked["playback"] += 1
        try:
            body = await request("GET", f"/playbacks/{seg(current.id)}")
        except AriNotFound:
            await caught_up()
            if current.outcome is not None:
                return  # its PlaybackFinished was on the socket after all: it ended as Asterisk said
            registry.playback_lost(current, _ENDED_IN_GAP)
            settled.append(f"playback {current.id} lost")
        except AriError as exc:
            log.debug("arinb: could not check playback %s after the reconnect: %s", current.id, exc)
            return
        else:
            behind = registry.queued_behind(current)
            media = body.get("media_uri") if isinstance(body, dict) else None
            ours = current.json.get("media_uri") or current.requested
            if behind is not None and media not in (None, ours):
                # GET shows the running play of an id: another media than ours is the next one, so ours
                # ended in the gap (with the same media the two cannot be told apart: ours is kept).
                if media in (behind.json.get("media_uri"), behind.requested):
                    registry.playback_lost(current, _ENDED_IN_GAP)
                    settled.append(f"playback {current.id} lost")
                    registry.playback_refreshed(behind, body)
                    registry.playback_started(behind)
            else:
                registry.playback_refreshed(current, body)
            return
        nxt = registry.playbacks.get(pb.id)
        current = nxt if nxt is not current else None
