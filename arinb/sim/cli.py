"""``arinb sim``: the ARI simulator as a standalone server, until Ctrl-C.

    arinb sim --port 8088 --dialplan extensions.conf --speed 10

Point any ARI client (arinb, aioari, Node's ari-client, curl) at the printed URL.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
import threading
from types import FrameType

from arinb.sim.server import DEFAULT_PASSWORD, is_loopback

__all__ = ["add_arguments", "run"]

_PASSWORD_ENV = "ARINB_SIM_PASSWORD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8088, help="port to listen on (default: 8088; 0 = any free)"
    )
    parser.add_argument(
        "--dialplan", metavar="FILE", help="extensions.conf to run (default: the built-in demo)"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default: 1)"
    )
    parser.add_argument(
        "--sounds", metavar="DIR", help="directory of real sound files (default: built-in catalog)"
    )
    parser.add_argument("--user", default="asterisk", help="ARI user name (default: asterisk)")
    parser.add_argument(
        "--password",
        help=f"ARI password (default: ${_PASSWORD_ENV} or 'asterisk'; '-' asks without echo)",
    )


def _password(args: argparse.Namespace) -> str:
    if args.password == "-":
        return getpass.getpass("ARI password: ")
    return str(args.password or os.environ.get(_PASSWORD_ENV) or DEFAULT_PASSWORD)


def _banner(url: str, user: str, password: str, speed: float, host: str) -> None:
    if password == DEFAULT_PASSWORD:
        secret = f"password {DEFAULT_PASSWORD!r} (the default)"
    else:
        secret = "the password you set"
    print(f"arinb ARI simulator (Asterisk 22) listening on {url}/ari", flush=True)
    print(f"  user {user!r}, {secret}; speed {speed:g}", flush=True)
    print(f"  events: {url.replace('http', 'ws', 1)}/ari/events?app=<app>&api_key=<user>:<password>")
    if not is_loopback(host) and password == DEFAULT_PASSWORD:
        print("  WARNING: reachable beyond this machine with the DEFAULT password", file=sys.stderr)
    print("Ctrl-C to stop.", flush=True)


def run(args: argparse.Namespace) -> int:
    from arinb.sim import simulate

    if args.speed <= 0:
        print("arinb sim: --speed must be > 0", file=sys.stderr)
        return 2
    if args.dialplan and not os.path.isfile(args.dialplan):
        print(f"arinb sim: no such dialplan file: {args.dialplan}", file=sys.stderr)
        return 2
    if args.sounds and not os.path.isdir(args.sounds):
        print(f"arinb sim: no such sounds directory: {args.sounds}", file=sys.stderr)
        return 2
    password = _password(args)
    try:
        sim = simulate(
            speed=args.speed,
            dialplan=args.dialplan,
            sounds=args.sounds,
            host=args.host,
            port=args.port,
            username=args.user,
            password=password,
        )
    except OSError as e:
        print(f"arinb sim: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:  # from here on, Ctrl-C at any moment closes the simulator cleanly
        _banner(sim.url, args.user, password, args.speed, args.host)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.close()
        print("arinb sim: stopped.", flush=True)
    return 0
