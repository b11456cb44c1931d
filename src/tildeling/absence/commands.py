"""CLI: ``tildeling absence FILE [--out OTHER]``.

Also the functions the shared commands call for absence workbooks:
:func:`new_template` (``tildeling new fravaer``) and :func:`share`
(``tildeling share`` when :func:`is_absence_workbook` is true).
"""

from __future__ import annotations

from pathlib import Path

from . import contract as c

__all__ = ["register", "new_template", "share", "is_absence_workbook", "run"]


def new_template(out_path) -> Path:
    """Write an empty absence workbook to ``out_path``."""
    from .workbook import new_template as _new

    return _new(out_path)


def share(path, out_path) -> Path:
    """Write the shared copy of an absence workbook (no pupil rows, no personal-data sheets)."""
    from .workbook import share as _share

    return _share(path, out_path)


def is_absence_workbook(path) -> bool:
    """True when the workbook has the defined name ``Modeltype`` = ``"fravaer"``."""
    from .workbook import is_absence_workbook as _is

    return _is(path)


def run(args) -> int:
    from .workbook import run_workbook

    target = Path(args.out) if args.out else Path(args.file)
    res = run_workbook(args.file, args.out)
    verdicts = res.hypotheses["Vurdering"].value_counts()
    n = int(res.summary.set_index("Nøgletal").loc["Elever med fraværsdata", "Værdi"])
    print(f"Fraværsanalysen er kørt for {n} elever og gemt i {target}.")
    print(f"Hypoteser: {verdicts.get(c.CONFIRMED, 0)} bekræftet, {verdicts.get(c.REJECTED, 0)} afkræftet, "
          f"{verdicts.get(c.UNRESOLVED, 0)} ikke afklaret.")
    unmatched = int(res.linked.report["Elever uden data i domænet"].sum())
    if unmatched:
        print(f"Bemærk: {unmatched} manglende koblinger – se arket '{c.SHEET_LINK}'.")
    print(f"Arket '{c.SHEET_CASEWORKER}' indeholder personoplysninger; del kun en kopi lavet med 'tildeling share'.")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "absence",
        help="kør fraværsanalysen i en fraværs-projektmappe",
        description="Læser input-tabellerne i FIL, kobler domænerne, tester hypoteserne og skriver resultatarkene "
                    "(input-arkene ændres ikke). Lav en tom projektmappe med 'tildeling new fravaer'.",
    )
    p.add_argument("file", metavar="FIL", help="fraværs-projektmappen (.xlsx)")
    p.add_argument("--out", metavar="ANDEN", help="gem resultatet i en anden fil (ellers opdateres FIL)")
    p.set_defaults(func=run)
