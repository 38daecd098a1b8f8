"""The ``arinb`` command: ``arinb sim``, ``arinb demo``, ``arinb lab``, ``arinb grade``.

Each subcommand lives with the code it drives; this module only wires them up, importing lazily so that
``arinb --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module, help). The module provides add_arguments(parser) and run(args) -> int.
_COMMANDS: dict[str, tuple[str, str]] = {
    "sim": ("arinb.sim.cli", "run the ARI simulator as a standalone server"),
    "demo": ("arinb.scenarios.demo", "run the tones, answer and monkeys scenarios and print what happened"),
    "lab": ("arinb.scenarios.lab", "serve a scenario notebook as an app with its code hidden"),
    "grade": ("arinb.scenarios.grade", "grade a folder of executed student notebooks (the exercises)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arinb", description="A Jupyter kit for the Asterisk REST Interface."
    )
    from arinb import __version__

    parser.add_argument("--version", action="version", version=f"arinb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).add_arguments(p)
        except ImportError:  # a subcommand whose optional dependencies are missing still shows in --help
            p.set_defaults(_import_error=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
