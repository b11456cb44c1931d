"""``tildeling absence FIL [--out ANDEN]``: run the absence analysis in an absence workbook."""

from __future__ import annotations

from pathlib import Path

from .. import danish as dk
from ._common import Progress, out_path

__all__ = ["register"]


def run(args) -> int:
    # imported here, not at the top: the absence package loads scipy.stats, which every other
    # command would otherwise pay for at start-up (about 0.6 s)
    from ..workbook.absence import contract as c
    from ..workbook.absence import run_workbook

    from ..io.files import WORKBOOK_SUFFIXES
    from .workbook import warn

    say = Progress(args.quiet)
    out = out_path(args.out, WORKBOOK_SUFFIXES) if args.out else None
    target = Path(out) if out else Path(args.file)
    say(f"Læser og analyserer {Path(args.file).name} …")
    res = run_workbook(args.file, out)
    warn(res.warnings)
    verdicts = res.hypotheses["Vurdering"].value_counts()
    n = int(res.summary.set_index("Nøgletal").loc["Elever med fraværsdata", "Værdi"])
    # The summary is the command's result (stdout); progress goes to stderr.
    print(f"Fraværsanalysen er kørt for {dk.integer(n)} elever og gemt i {target}.")
    print(f"Hypoteser: {verdicts.get(c.CONFIRMED, 0)} bekræftet, {verdicts.get(c.REJECTED, 0)} afkræftet, "
          f"{verdicts.get(c.UNRESOLVED, 0)} ikke afklaret.")
    # pupils missing from a domain, and pseudonyms a domain has that the pupil list lacks; a pupil without rows
    # in Social simply has no case – that is normal and not counted
    report = res.linked.report
    missing = report["Elever uden data i domænet"].where(~report["Domæne"].eq(c.SOCIAL.label), 0)
    unmatched = int(missing.fillna(0).sum() + report["Ukendte elever i domænet"].fillna(0).sum())
    if unmatched:
        print(f"Bemærk: {dk.integer(unmatched)} manglende koblinger – se arket '{c.SHEET_LINK}'.")
    print(f"Arket '{c.SHEET_CASEWORKER}' indeholder personoplysninger; del kun en kopi lavet med 'tildeling share'.")
    say.done(target)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "absence",
        help="kør fraværsanalysen i en fraværs-projektmappe",
        description="Læser input-tabellerne i FIL, kobler domænerne, tester hypoteserne og skriver resultatarkene "
                    "(input-arkene ændres ikke). Lav en tom projektmappe med 'tildeling new fravaer'.",
    )
    p.add_argument("file", metavar="FIL", help="fraværs-projektmappen (.xlsx eller .xlsm)")
    p.add_argument("--out", metavar="ANDEN", help="gem resultatet i en anden fil (ellers opdateres FIL)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=run)
