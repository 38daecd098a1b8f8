"""``arinb demo``: run the ARI docs' tones, answer and monkeys apps and print what happened.

Starts the embedded simulator (or uses a real Asterisk with ``--url``), runs each scenario whole, and
prints the lines the docs' apps print, a playback summary and the event timeline. Exits 1 if a scenario
did not end as the docs say (event order or printed lines), 2 on a usage or connection error.

    arinb demo                       # simulator at speed 4: about 9 s of wall time
    arinb demo --speed 50 --only tones
    ARINB_ARI_PASSWORD=secret arinb demo --url http://127.0.0.1:8088 --user asterisk
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

from arinb.errors import AriError

__all__ = ["add_arguments", "run"]

_PLAYBACK_COLUMNS = ("playback_id", "media", "duration", "state")

#: Printed after a successful demo: where a newcomer goes from here.
NEXT_STEPS = """
What to try next:
  arinb demo --speed 1 --only tones    the same call in real time: 8 s of ringing takes 8 s
  jupyter lab notebooks/               01-start-here, then 02-04 cell by cell, 07-exercises to write the apps
                                       (pip install -e ".[lab]" first)
  arinb lab tones                      the tones app with Step / Run / Reset buttons and the call's audio
  arinb sim --port 8088                a simulator for your own ARI code (arinb sim --help)
  arinb demo --url http://HOST:8088    the same apps against a real ARI server (see the README)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from arinb.scenarios import SCENARIOS

    parser.add_argument(
        "--speed",
        type=float,
        default=4.0,
        help="simulated seconds per real second on the embedded simulator (default 4)",
    )
    parser.add_argument(
        "--url", help="a real Asterisk's ARI URL (e.g. http://127.0.0.1:8088) instead of the simulator"
    )
    parser.add_argument("--user", default=os.environ.get("ARINB_ARI_USER", "asterisk"), help="ARI user name")
    parser.add_argument(
        "--password",
        default=None,
        help="ARI password (default: $ARINB_ARI_PASSWORD, else 'asterisk'); never printed",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeatable)",
    )
    parser.add_argument("--no-timeline", action="store_true", help="do not print the event timelines")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the scenarios; 0 if every one ended as the docs say, 1 if not, 2 if none could run."""
    out = out or sys.stdout
    if args.speed <= 0:
        print("arinb demo: --speed must be > 0", file=sys.stderr)
        return 2
    from arinb.scenarios import SCENARIOS

    names = args.only or list(SCENARIOS)
    password = (
        args.password if args.password is not None else os.environ.get("ARINB_ARI_PASSWORD", "asterisk")
    )
    sim: Any = None
    try:
        if args.url:
            target: Any = args.url
            print(f"Using the Asterisk at {_safe_url(args.url)} as {args.user}", file=out)
        else:
            import arinb

            sim = arinb.simulate(speed=args.speed)
            target = sim
            print(f"Embedded simulator at {sim.url}, speed {args.speed:g}", file=out)
    except AriError as exc:
        print(f"arinb demo: {exc}", file=sys.stderr)
        return 2
    failed: list[str] = []
    try:
        for name in names:
            ok = _run_one(SCENARIOS[name], target, args.user, password, not args.no_timeline, out)
            if not ok:
                failed.append(name)
    finally:
        if sim is not None:
            sim.close()
    print("", file=out)
    if failed:
        print(f"NOT as the docs say: {', '.join(failed)}", file=out)
        return 1
    print(f"All {len(names)} scenarios ended as the docs say.", file=out)
    print(NEXT_STEPS, file=out)
    return 0


def _run_one(cls: Any, target: Any, user: str, password: str, timeline: bool, out: TextIO) -> bool:
    print(f"\n=== {cls.title}: app {cls.app}, extension {cls.extension} ===", file=out, flush=True)
    sc = cls(target, username=user, password=password, echo=False)
    printed = [
        0
    ]  # lines already shown: each line is printed as the app says it, so a slow run shows progress

    def flush(what: str = "line") -> None:
        if what == "line":
            for line in sc.lines[printed[0] :]:
                print(f"  {line}", file=out, flush=True)
            printed[0] = len(sc.lines)

    sc.observe(flush)
    try:
        result = sc.run().result()
    except AriError as exc:
        print(f"  error: {type(exc).__name__}: {exc}", file=out)
        sc.close()
        return False
    flush()
    failed = [step for step in result.steps if not step.ok]
    if failed:
        step = failed[0]
        print(f"  step {step.name!r} failed: {type(step.error).__name__}: {step.error}", file=out)
        sc.close()
        return False
    check = result.check
    print("", file=out)
    if check is not None:
        print("  check: " + ("as the docs say" if check.ok else "; ".join(check.problems())), file=out)
    _print_playbacks(result.timeline, out)
    if timeline:
        print("  timeline (seconds after the call came in):", file=out)
        for row in sc.events:
            print(f"    {row.t:7.2f}  {row.type:<22} {row.detail}", file=out)
    sc.close()
    return bool(result.ok)


def _print_playbacks(tl: Any, out: TextIO) -> None:
    if tl is None:
        return
    try:
        pbs = tl.playbacks()
    except Exception as exc:  # the summary is a nicety; the check above is what counts
        print(f"  (no playback summary: {exc})", file=out)
        return
    if len(pbs) == 0:
        print("  playbacks: none", file=out)
        return
    print("  playbacks:", file=out)
    for _, row in pbs.iterrows():
        media = row.get("media")
        if media is not None and not isinstance(media, str) and hasattr(media, "__iter__"):
            media = ",".join(str(m) for m in media)
        duration = row.get("duration")
        took = f"{duration:.2f} s" if isinstance(duration, int | float) and duration == duration else "?"
        print(f"    {row.get('playback_id')}  {media}  {took}  {row.get('state')}", file=out)


def _safe_url(url: str) -> str:
    from arinb.credentials import strip_url_credentials

    return strip_url_credentials(url)
