"""Hangup reasons: what ``DELETE /channels/{id}?reason=`` accepts, and the Q.850 cause each one means.

Written from ``convert_reason_to_hangup_code()`` in Asterisk 22's ``res/ari/resource_channels.c``; any other
reason answers 400 "Invalid reason for hangup reason provided" (reason phrase "Invalid Reason").

>>> HANGUP_CAUSES["busy"], "normal" in HANGUP_REASONS
(17, True)
"""

from __future__ import annotations

from typing import Final

__all__ = ["CAUSE_TEXT", "HANGUP_CAUSES", "HANGUP_REASONS"]

#: reason -> Q.850 cause code (``AST_CAUSE_*``), in Asterisk's order.
HANGUP_CAUSES: Final[dict[str, int]] = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}

#: The reasons, in Asterisk's order (the api-docs' allowable values).
HANGUP_REASONS: Final[tuple[str, ...]] = tuple(HANGUP_CAUSES)

#: ``cause_txt`` of ChannelDestroyed for the causes the simulator sends (``ast_cause2str``).
CAUSE_TEXT: Final[dict[int, str]] = {
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
}
