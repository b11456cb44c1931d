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
import os
import sys
import traceback

from .. import __version__
from ..errors import TildelingError
from ._common import command_started

#: argparse's own texts in Danish (argparse looks them up through gettext as ``argparse._``).
_ARGPARSE_DA = {
    "usage: ": "brug: ",
    "positional arguments": "argumenter",
    "options": "valgmuligheder",
    "optional arguments": "valgmuligheder",
    "show this help message and exit": "vis denne hjælp og afslut",
    "show program's version number and exit": "vis versionsnummeret og afslut",
    "the following arguments are required: %s": "disse argumenter mangler: %s",
    "unrecognized arguments: %s": "ukendte argumenter: %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fejl: %(message)s\n",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldigt valg: %(value)r (vælg mellem %(choices)s)",
    "invalid %(type)s value: %(value)r": "ugyldig værdi: %(value)r",
    "expected one argument": "forventede én værdi",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "ambiguous option: %(option)s could match %(matches)s": "tvetydigt valg: %(option)s kan være %(matches)s",
}


def _danish_argparse() -> None:
    original = getattr(argparse, "_tildeling_original_gettext", argparse._)
    argparse._tildeling_original_gettext = original
    argparse._ = lambda text: _ARGPARSE_DA.get(text, original(text))


#: Modules that add commands; each has ``register(subparsers)``.
COMMAND_MODULES = (
    "tildeling.cli.need",          # synth, fit, apply
    "tildeling.cli.delivery",      # export
    "tildeling.cli.workbook",      # new, run, demo, share
    "tildeling.cli.absence",       # absence
    "tildeling.cli.addin",         # addin build / install
)


def build_parser() -> argparse.ArgumentParser:
    _danish_argparse()
    parser = argparse.ArgumentParser(
        prog="tildeling",
        description="Socioøkonomisk behovsmodel, fordelingsnøgle og fraværsanalyse for skoler.",
    )
    parser.add_argument("--version", action="version", version=f"tildeling {__version__}",
                        help="vis versionsnummeret og afslut")
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
    command_started()
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
        print("Afbrudt. Ingen fil er ændret.", file=sys.stderr)
        return 130
    except MemoryError:
        print("Fejl: der er ikke hukommelse nok til kørslen. Ingen fil er ændret. Luk andre programmer, og prøv "
              "igen.", file=sys.stderr)
        return 2
    except OSError as exc:  # a file problem no check caught: still a Danish message, never a traceback
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"Fejl: en fil kunne ikke læses eller skrives{where}: {exc.strerror or exc}. Ingen fil er ændret.",
              file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the user never sees a traceback (TILDELING_DEBUG=1 shows it)
        if os.environ.get("TILDELING_DEBUG"):
            traceback.print_exc()
        print(f"Fejl: der skete en uventet fejl ({type(exc).__name__}: {exc}). Ingen fil er ændret. Kør igen med "
              "miljøvariablen TILDELING_DEBUG=1 for at se detaljerne, og send dem til den, der vedligeholder "
              "tildeling.", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
