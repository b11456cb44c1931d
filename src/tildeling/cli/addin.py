"""CLI: ``tildeling addin build`` and ``tildeling addin install``."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers) -> None:
    """Add ``addin build`` and ``addin install`` to the ``tildeling`` command."""
    addin = subparsers.add_parser(
        "addin",
        help="byg og installér Excel-tilføjelsesprogrammet tildeling.xlam",
        description="Byg og installér Excel-tilføjelsesprogrammet tildeling.xlam (fanen Tildeling).",
    )
    sub = addin.add_subparsers(dest="addin_command", metavar="KOMMANDO")
    addin.set_defaults(func=lambda args: (addin.print_help(), 1)[1])

    build = sub.add_parser(
        "build",
        help="byg tildeling.xlam fra kilderne i addin/",
        description="Byg tildeling.xlam fra kilderne i addin/ og xlwings' egen skabelon.",
    )
    build.add_argument("--out", required=True, metavar="MAPPE",
                       help="mappe, som tildeling.xlam skrives til")
    build.add_argument("--src", metavar="MAPPE",
                       help="mappen med kilderne (standard: addin/ i tildeling-projektet)")
    build.add_argument("--interpreter", metavar="STI",
                       help="Python-fortolker, der skrives i tilføjelsesprogrammets indstillinger "
                            "(standard: ingen; så bruges brugerens indstillingsfil eller python)")
    build.set_defaults(func=_build)

    install = sub.add_parser(
        "install",
        help="installér tildeling.xlam, så Excel åbner det ved start",
        description="Kopiér tildeling.xlam til Excels startmappe (XLSTART) på Windows eller macOS, "
                    "og skriv denne Python-fortolker i xlwings' indstillinger for tilføjelsesprogrammet.",
    )
    install.add_argument("--xlam", metavar="FIL",
                         help="en færdigbygget tildeling.xlam (standard: byg den først)")
    install.add_argument("--src", metavar="MAPPE",
                         help="mappen med kilderne, hvis filen skal bygges")
    install.add_argument("--dest", metavar="MAPPE",
                         help="læg filen i denne mappe i stedet for Excels startmappe")
    install.add_argument("--force", action="store_true",
                         help="installér, selv om filen er bygget med en anden xlwings-version")
    install.set_defaults(func=_install)


def _build(args: argparse.Namespace) -> int:
    from ..addin.build import build_addin, find_sources

    path = build_addin(args.out, sources=find_sources(args.src), interpreter=args.interpreter)
    print(f"Bygget: {path}")
    return 0


def _install(args: argparse.Namespace) -> int:
    import tempfile

    from ..addin.build import build_addin, find_sources
    from ..addin.install import install_addin

    if args.xlam is None and args.src is not None:
        with tempfile.TemporaryDirectory(prefix="tildeling-addin-") as tmp:
            built = build_addin(tmp, sources=find_sources(args.src))
            result = install_addin(built, dest=args.dest, force=args.force)
    else:
        result = install_addin(args.xlam, dest=args.dest, force=args.force)
    print(f"Installeret: {result.addin}")
    if result.config:
        print(f"Python-fortolkeren er skrevet i {result.config}")
    for note in result.notes:
        print(note)
    return 0
