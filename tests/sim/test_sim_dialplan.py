"""extensions.conf subset: parsing, lookups, patterns, labels, errors."""

from __future__ import annotations

import pytest

from arinb.sim.dialplan import Dialplan, DialplanError, Step

CONF = """
[general]
static=yes

[default] ; the main context
exten => 1000,1,NoOp()
 same => n,Stasis(channel-tones)
 same => n,Hangup()
exten => _5XX,1,Answer()
 same => n(loop),Playback(beep&tt-weasels)
 same => n,Goto(loop)
exten => _9.,1,Stasis(lab,${EXTEN})
include => other

[other]
exten => 7000,1,Wait(1.5)
"""


def test_parse_contexts_priorities_and_same() -> None:
    dp = Dialplan.parse(CONF)
    assert dp.find("default", "1000", 1) == Step(1, "NoOp", "")
    assert dp.find("default", "1000", 2) == Step(2, "Stasis", "channel-tones")
    assert dp.find("default", "1000", 4) is None
    assert dp.has_context("general") and not dp.has_context("nope")


def test_patterns_labels_and_includes() -> None:
    dp = Dialplan.parse(CONF)
    assert dp.find("default", "512", 1) == Step(1, "Answer", "")
    assert dp.find("default", "512", 2) == Step(2, "Playback", "beep&tt-weasels", "loop")
    assert dp.find_label("default", "599", "loop") == 2
    assert dp.find("default", "5123", 1) is None  # _5XX is exactly three digits
    assert dp.find("default", "9", 1) is None  # "." needs at least one more character
    assert dp.find("default", "91", 1).data == "lab,${EXTEN}"
    assert dp.find("default", "7000", 1) == Step(1, "Wait", "1.5")  # through include
    assert dp.exists("other", "7000")


def test_default_dialplan_is_the_captures_minus_the_probe() -> None:
    dp = Dialplan.default()
    assert dp.find("default", "1001", 2).data == "channel-playback-monkeys"
    assert dp.find("default", "1002", 2).data == "channel-state"
    assert [dp.find("default", "wait", p).app for p in (1, 2, 3)] == ["Answer", "Wait", "Hangup"]
    assert dp.find("default", "1003", 1) is None


def test_add_extension_programmatically_and_round_trip() -> None:
    dp = Dialplan.default()
    dp.add_extension("default", "2000", ["NoOp()", "Stasis(lab,a,b)"])
    dp.add("default", "2000", "n", "Hangup")
    assert dp.find("default", "2000", 3).app == "Hangup"
    again = Dialplan.parse(dp.to_text())
    assert again.find("default", "2000", 2) == Step(2, "Stasis", "lab,a,b")


@pytest.mark.parametrize(
    "text",
    [
        "exten => 1,1,NoOp()",  # outside a context
        "[c]\nsame => n,NoOp()",  # same without exten
        "[c]\nexten => 1,1",  # no app
        "[c]\nexten => 1,x,NoOp()",  # bad priority
        "[c]\nexten => 1,1,No-Op(",  # bad app
    ],
)
def test_errors_name_the_line(text: str) -> None:
    with pytest.raises(DialplanError, match="line"):
        Dialplan.parse(text)
