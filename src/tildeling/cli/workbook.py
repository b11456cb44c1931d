"""Workbook commands: ``new``, ``run``, ``demo``, ``share`` (need model and absence analysis)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ..io.files import WORKBOOK_SUFFIXES
from ..workbook.need import contract as c
from ._common import Progress, out_path

__all__ = ["register"]

KINDS = ("behovsmodel", "fravaer")


def warn(warnings) -> None:
    """Warnings of a run on stderr (the run went through; the user should look)."""
    for w in warnings or []:
        print(f"Advarsel: {w}", file=sys.stderr)


def cmd_new(args) -> int:
    overwrite = getattr(args, "overwrite", False)
    out = out_path(args.out, overwrite=overwrite)
    if args.type == "fravaer":
        if args.leverance:
            raise InputError("--leverance hører til en behovsmodel: 'tildeling new behovsmodel --leverance FIL'.")
        from ..workbook.absence import new_template

        new_template(out, overwrite=overwrite)
    elif args.leverance:
        from ..workbook.need.delivery import new_from_delivery

        figures = new_from_delivery(args.leverance, out, overwrite=overwrite)
        who = figures.municipality_name or figures.municipality
        print(f"Projektmappen regner på leverancens distriktstal for {who}: {len(figures.districts)} distrikter. "
              f"Skriv det samlede budget på arket Indstillinger, og tryk Beregn fordeling (eller 'tildeling run').")
        if figures.demo:
            print(f"Advarsel: {c.DEMO_BANNER}. Leverancen er lavet med demonstrationskoefficienterne.",
                  file=sys.stderr, flush=True)
    else:
        from ..workbook.need.template import write_template

        write_template(out, overwrite=overwrite)
    Progress(args.quiet).done(f"ny projektmappe ({args.type}): {out}")
    return 0


def cmd_run(args) -> int:
    from ..workbook.need.run import run_workbook

    say = Progress(args.quiet)
    out = out_path(args.out, WORKBOOK_SUFFIXES) if args.out else None
    outcome = run_workbook(args.file, out, last_year=args.sidste_aar, progress=say)
    warn(outcome.warnings)
    say.done(outcome.path)
    return 0


def cmd_demo(args) -> int:
    say = Progress(args.quiet)
    overwrite = getattr(args, "overwrite", False)
    if args.type == "fravaer":
        from ..workbook.absence.demo import make_absence_demo

        out = out_path(args.out or "tildeling-fravaer-demo.xlsx", overwrite=overwrite)
        make_absence_demo(out, progress=say, overwrite=overwrite)
    else:
        from ..workbook.need.demo import make_demo

        out = out_path(args.out or "tildeling-demo.xlsx", overwrite=overwrite)
        make_demo(out, seed=args.seed, progress=say, overwrite=overwrite)
    say.done(out)
    return 0


def cmd_share(args) -> int:
    from ..io.files import open_workbook
    from ..workbook.need.share import assert_kind, share_workbook

    say = Progress(args.quiet)
    out = out_path(args.out)
    if Path(out).resolve() == Path(args.file).resolve():
        raise InputError("Den delbare kopi skal have et andet filnavn end originalen.")
    threshold = None
    if args.min_celle is not None:
        from ..privacy import check_threshold

        threshold = check_threshold(args.min_celle, where="--min-celle")
    source = open_workbook(args.file)
    if assert_kind(source.data, source.name) == "fravaer":
        from ..workbook.absence import share

        say(f"Læser, analyserer og skjuler små tal i {Path(args.file).name} …")
        share(source, out, threshold=threshold)
    else:
        share_workbook(source, out, threshold=threshold, progress=say)
    say.done(f"den delbare kopi er gemt som {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="ny projektmappe fra skabelonen",
                       description="Laver en ny projektmappe: 'behovsmodel' (fordeling af specialundervisning) "
                                   "eller 'fravaer' (fraværsanalyse).")
    p.add_argument("type", choices=KINDS, metavar="TYPE", help="behovsmodel eller fravaer")
    p.add_argument("--out", required=True, metavar="FIL", help="filnavn (.xlsx)")
    p.add_argument("--leverance", metavar="LEVERANCE",
                   help="behovsmodel: fyld arkene Distriktstal, Distrikter og Indstillinger fra analytikerens "
                        "leverance (.xlsx fra 'tildeling export')")
    p.add_argument("--overwrite", action="store_true", help="erstat filen, hvis den findes (ellers stopper kommandoen)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("run", help="beregn alle resultater i en projektmappe",
                       description="Læser inputarkene, beregner alt og skriver resultatarkene (erstatter en "
                                   "tidligere kørsel). Inputark ændres aldrig; ved fejl røres filen ikke.")
    p.add_argument("file", metavar="FIL", help="projektmappen (.xlsx eller .xlsm)")
    p.add_argument("--out", metavar="ANDEN", help="skriv resultatet til en anden fil i stedet for at opdatere FIL")
    p.add_argument("--sidste-aar", metavar="SIDSTE", dest="sidste_aar",
                   help="indlæs sidste års tal (projektmappe, delbar kopi eller leverance) på arket 'Sidste år' "
                        "først; arket Udvikling sammenligner så med sidste år")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="lav en demo-projektmappe med syntetiske data og beregn den",
                       description="Laver en beregnet projektmappe med syntetiske data: uden TYPE (eller "
                                   "'behovsmodel') en behovsmodel for en syntetisk kommune (spejl af Helsingør), "
                                   "med 'fravaer' en fraværsanalyse med syntetiske, koblede data.")
    p.add_argument("type", nargs="?", choices=KINDS, default="behovsmodel", metavar="TYPE",
                   help="behovsmodel (standard) eller fravaer")
    p.add_argument("--out", metavar="FIL",
                   help="filnavn (standard: tildeling-demo.xlsx eller tildeling-fravaer-demo.xlsx)")
    p.add_argument("--seed", type=int, default=2016, metavar="N", help="frø for de syntetiske data")
    p.add_argument("--overwrite", action="store_true", help="erstat filen, hvis den findes (ellers stopper kommandoen)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("share", help="lav en delbar kopi uden elevdata og med skjulte små tal",
                       description="Laver en ny projektmappe med resultaterne, uden elevdata, og med antal under "
                                   "grænsen (standard 5 personer) skjult – også tal, de kan regnes ud fra. Filen "
                                   "kontrolleres, før den gemmes. Virker for behovsmodel og fraværsanalyse.")
    p.add_argument("file", metavar="FIL", help="projektmappen (.xlsx)")
    p.add_argument("--out", required=True, metavar="DELT", help="den delbare kopi (.xlsx)")
    p.add_argument("--min-celle", metavar="N", dest="min_celle",
                   help="mindste antal personer i en celle, 3–10 (standard: projektmappens indstilling, ellers 5)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_share)
