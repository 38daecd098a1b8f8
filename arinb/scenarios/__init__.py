"""The ARI docs' playback apps as scenarios: ``tones``, ``answer``, ``monkeys``.

Each is a :class:`Scenario` of named steps that runs whole (``await sc.run()``), one step per cell
(``await sc.next()``) or from a widget (``sc.widget()``), against the embedded simulator or a real
Asterisk. The same apps in the docs' handler style are :func:`channel_tones`, :func:`channel_state` and
:func:`channel_playback_monkeys`.

>>> sim = await arinb.simulate(speed=10)        # doctest: +SKIP
>>> sc = arinb.scenarios.tones(sim)             # doctest: +SKIP
>>> await sc.next()                             # call in  # doctest: +SKIP
>>> result = await sc.run()                     # the rest  # doctest: +SKIP
>>> result.check                                # doctest: +SKIP
<Check ok: StasisStart → PlaybackStarted → PlaybackFinished → ChannelStateChange → ...>
>>> result.audio()                              # what the caller heard: a player  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from arinb.scenarios.answer import Answer, channel_state
from arinb.scenarios.base import (
    AppScenario,
    Check,
    EventRow,
    RunResult,
    Scenario,
    ScenarioClock,
    Step,
    StepResult,
)
from arinb.scenarios.monkeys import Monkeys, channel_playback_monkeys
from arinb.scenarios.tones import Tones, channel_tones

__all__ = [
    "SCENARIOS",
    "Answer",
    "AppScenario",
    "Check",
    "EventRow",
    "Monkeys",
    "RunResult",
    "Scenario",
    "ScenarioClock",
    "Step",
    "StepResult",
    "Tones",
    "answer",
    "channel_playback_monkeys",
    "channel_state",
    "channel_tones",
    "monkeys",
    "sleeper",
    "tones",
]

#: scenario name -> class, in the order the docs teach them
SCENARIOS: dict[str, type[AppScenario]] = {"tones": Tones, "answer": Answer, "monkeys": Monkeys}


def tones(target: Any = None, **kwargs: Any) -> Tones:
    """The channel-tones app (extension 1000) as a scenario. ``target``: a Simulator, a URL or a session.

    Keyword arguments go to :class:`AppScenario` (``sim=``, ``session=``, ``username=``, ``password=``,
    ``caller=``, ``echo=``, ``originate=``, ``record_audio=``).
    """
    return Tones(target, **kwargs)


def answer(target: Any = None, **kwargs: Any) -> Answer:
    """The channel-state app (extension 1002) as a scenario. ``target``: a Simulator, a URL or a session."""
    return Answer(target, **kwargs)


def monkeys(target: Any = None, **kwargs: Any) -> Monkeys:
    """The channel-playback-monkeys app (extension 1001) as a scenario.

    ``target``: a Simulator, a URL or a session.
    """
    return Monkeys(target, **kwargs)


def sleeper(sim: Any = None) -> Callable[[float], Awaitable[None]]:
    """``await sleep(seconds)`` on the simulator's clock (else the wall clock), for handler-style apps.

    >>> sleep = arinb.scenarios.sleeper(sim)        # doctest: +SKIP
    >>> await sleep(8)          # 8 simulated seconds: 0.4 s at speed=20  # doctest: +SKIP
    """
    return ScenarioClock(getattr(sim, "clock", None) if sim is not None else None).sleep
