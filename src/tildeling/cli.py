"""Command line: ``tildeling <kommando>``.

Each command family lives in its own module with a ``register(subparsers)``
function that adds its sub-commands and sets ``func`` on the parsed arguments.
Commands parse options, call the core, print and set the exit code; they compute
nothing themselves. A :class:`~tildeling.errors.TildelingError` becomes a Danish
message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import TildelingError

#: Modules that add commands; each has ``register(subparsers)``.
COMMAND_MODULES = (
    "tildeling.commands",          # synth, fit, apply, new, run, demo, share
    "tildeling.absence.commands",  # absence
    "tildeling.addin.commands",    # addin build / install
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tildeling",
        description="Socioøkonomisk behovsmodel, fordelingsnøgle og fraværsanalyse for skoler.",
    )
    parser.add_argument("--version", action="version", version=f"tildeling {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command family not installed yet
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except TildelingError as exc:
        print(f"Fejl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Afbrudt.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
