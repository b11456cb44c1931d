"""The analyst's delivery: ``tildeling export`` (one municipality, or every municipality of a national file).

Runs where the pupil data are. Reads the pupils and the coefficient table, applies the model, and writes a
*leverance* workbook of aggregates only (:mod:`tildeling.need.delivery`, :mod:`tildeling.workbook.need.delivery`).
Everything is computed before anything is written: with ``--alle-kommuner`` a problem in one municipality stops
the whole export, and every problem is listed at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .. import danish as dk
from ..errors import InputError
from ._common import Progress, out_path

__all__ = ["register", "municipality_name"]


def municipality_name(code: str) -> str:
    """The official name of a municipality code (``217`` → ``Helsingør``); '' when unknown."""
    from ..synth._geography import MUNICIPALITIES

    return {c: name for c, name, *_ in MUNICIPALITIES}.get(str(code).strip(), "")


def _codes(series):
    from ..need.codes import normalise_codes

    return normalise_codes(series)


def _one(pupils, source, coefs, districts, dsource, plan, psource, *, code, name, year, threshold, demo,
         coef_source, design=None):
    from ..need.apply import apply_model
    from ..need.delivery import make_delivery

    result = apply_model(pupils, coefs, districts, source=source, district_source=dsource, plan=plan,
                         plan_source=psource, design=design)
    return make_delivery(result, municipality=code, name=name, school_year=year, threshold=threshold, demo=demo,
                         coefficient_source=coef_source)


def cmd_export(args) -> int:
    from ..io.coefficients import is_demonstration, read_coefficients
    from ..io.tables import read_table
    from ..need.delivery import check_threshold
    from ..privacy import DisclosureError
    from ..workbook.need.delivery import cleared_delivery, write_deliveries, write_delivery

    say = Progress(args.quiet)
    threshold = check_threshold(args.min_celle)
    overwrite = bool(getattr(args, "overwrite", False))
    if args.alle_kommuner:
        out = out_path(args.out, (".xlsx",), folder=True)
        if out.suffix.lower() == ".xlsx":
            raise InputError(f"Med --alle-kommuner skal --out være en mappe, ikke '{args.out}': der skrives én "
                             "leverance pr. kommune (fx 217.xlsx).")
    else:
        out = out_path(args.out, (".xlsx",), overwrite=overwrite)
        if not args.distrikter:
            raise InputError("Angiv kommunens distrikter med --distrikter FIL (kolonnerne Distrikt og Navn).")
    say(f"Læser koefficienter fra {args.koefficienter} …")
    coefs = read_coefficients(args.koefficienter)
    demo = is_demonstration(coefs)
    coef_source = coefs.metadata.get("Datakilde") or Path(args.koefficienter).name
    year = args.skoleaar or coefs.metadata.get("Skoleår", "")
    say(f"Læser elever fra {args.elever} …")
    pupils, source = read_table(args.elever, sheet=args.ark)
    districts = dsource = plan = psource = None
    if args.distrikter:
        districts, dsource = read_table(args.distrikter)
    if args.distriktsplan:
        plan, psource = read_table(args.distriktsplan)

    if not args.alle_kommuner:
        code = args.kommune or ""
        if not code and "Kommune" in pupils.columns:
            found = sorted(set(_codes(pupils["Kommune"])) - {""})
            if len(found) > 1:
                raise InputError(f"har elever fra {len(found)} kommuner ({', '.join(found[:6])} …). Brug "
                                 "--alle-kommuner for at lave én leverance pr. kommune, eller --kommune KODE.",
                                 source=source, column="Kommune")
            code = found[0] if found else ""
        if not code:
            raise InputError("Angiv kommunens kode med --kommune (fx 217), eller giv eleverne en kolonne 'Kommune'.")
        name = args.kommunenavn or municipality_name(code)
        say(f"Anvender modellen og laver leverancen for {name or code} …")
        dl = _one(pupils, source, coefs, districts, dsource, plan, psource, code=code, name=name, year=year,
                  threshold=threshold, demo=demo, coef_source=coef_source)
        say("Kontrollerer leverancen for små tal …")
        write_delivery(dl, out, pupil_ids=_ids(pupils) if "ElevID" in pupils.columns else (), overwrite=overwrite)
        _report([dl])
        for w in dl.warnings:
            say(w)
        if demo:
            _demo_warning()
        say.done(f"leverancen er skrevet til {out}")
        return 0

    # --- every municipality of a national file --------------------------------------------------------------
    if "Kommune" not in pupils.columns or "Distrikt" not in pupils.columns:
        raise InputError("skal have kolonnerne 'Kommune' og 'Distrikt' for at lave én leverance pr. kommune.",
                         source=source)
    mcode = _codes(pupils["Kommune"]).to_numpy()
    blank = np.flatnonzero(mcode == "")
    if len(blank):
        raise InputError("tom kommunekode – hver elev skal have en kommune.", source=source, column="Kommune",
                         rows=source.rows(blank))
    for table, src, what in ((districts, dsource, "distriktsfilen"), (plan, psource, "distriktsplanen")):
        if table is not None and "Kommune" not in table.columns:
            raise InputError(f"Med --alle-kommuner skal {what} have en kolonne 'Kommune' (distriktskoder gælder "
                             "inden for en kommune).", source=src)
    dcodes = _codes(districts["Kommune"]).to_numpy() if districts is not None else None
    pcodes = _codes(plan["Kommune"]).to_numpy() if plan is not None else None
    from ..model.design import design_matrix

    say("Kontrollerer elevdata og bygger designmatricen for hele filen …")
    X = design_matrix(pupils, coefs.spec, source)      # every row checked once, with the file's row numbers
    order = np.argsort(mcode, kind="stable")
    codes, starts = np.unique(mcode[order], return_index=True)
    bounds = list(starts) + [len(order)]
    if not overwrite and out.is_dir():   # before the work: which deliveries would replace existing files
        there = [f"{code}.xlsx" for code in codes if (out / f"{code}.xlsx").exists()]
        if there:
            raise InputError(f"Mappen '{out}' har allerede {'leverancen' if len(there) == 1 else 'leverancerne'} "
                             f"{', '.join(there[:6])}{' …' if len(there) > 6 else ''}, og de bliver ikke "
                             "overskrevet. Vælg en anden mappe, eller tilføj --overwrite for at erstatte dem.")
    say(f"{dk.integer(len(pupils))} elever i {len(codes)} kommuner. Anvender modellen kommune for kommune …")
    problems, deliveries = [], []
    for k, code in enumerate(codes):
        pos = np.sort(order[bounds[k]:bounds[k + 1]])
        sub = pupils.iloc[pos]
        d_sub = ds = p_sub = ps = None
        if districts is not None:
            dpos = np.flatnonzero(dcodes == code)
            d_sub, ds = districts.iloc[dpos], dsource.subset(dpos)
        if plan is not None:
            ppos = np.flatnonzero(pcodes == code)
            p_sub, ps = plan.iloc[ppos], psource.subset(ppos)
        name = municipality_name(code)
        try:
            deliveries.append(_one(sub, source.subset(pos), coefs, d_sub, ds, p_sub, ps, code=code, name=name,
                                   year=year, threshold=threshold, demo=demo, coef_source=coef_source,
                                   design=X[pos]))
        except InputError as exc:
            problems.append(f"Kommune {code}{f' ({name})' if name else ''}: {exc}")
    cleared = []
    if not problems:   # every delivery is audited before any is written
        say(f"Kontrollerer {len(deliveries)} leverancer for små tal …")
        ids = _ids(pupils)
        for dl in deliveries:
            try:
                mine = ids[mcode == dl.municipality] if ids is not None else ()
                cleared.append(cleared_delivery(dl, pupil_ids=mine))
            except DisclosureError as exc:
                problems.append(f"Kommune {dl.municipality}{f' ({dl.name})' if dl.name else ''}: {exc}")
    if problems:
        raise InputError(f"Ingen leverancer er skrevet – {len(problems)} af {len(codes)} kommuner har fejl:\n"
                         + "\n".join(problems))
    made = not out.exists()
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"Mappen '{out}' kan ikke oprettes ({exc.strerror or exc}).") from None
    say(f"Skriver {len(deliveries)} leverancer til {out} …")
    try:
        write_deliveries(deliveries, out, overwrite=overwrite, data=cleared)   # all or none
    except BaseException:
        if made:
            try:
                out.rmdir()                                        # the folder this run made, still empty
            except OSError:
                pass
        raise
    _report(deliveries)
    if demo:
        _demo_warning()
    say.done(f"{len(deliveries)} leverancer er skrevet til {out}")
    return 0


def _ids(pupils):
    """The pupils' IDs (every part of a delivery is searched for them), or None without an ID column."""
    if "ElevID" not in pupils.columns:
        return None
    return pupils["ElevID"].astype(str).to_numpy()


def _report(deliveries) -> None:
    """One line per delivery on stdout (the command's result)."""
    for dl in deliveries:
        who = f"{dl.name} ({dl.municipality})" if dl.name else dl.municipality
        n = int(dl.municipal["Elever"].iloc[0])
        k, h = len(dl.districts), len(dl.suppressed)
        print(f"{who}: {k} {'distrikt' if k == 1 else 'distrikter'}, {dk.integer(n)} elever, {h} "
              f"{'skjult tal' if h == 1 else 'skjulte tal'} (grænse {dl.threshold}).")


def _demo_warning() -> None:
    from ..workbook.need import contract as c

    print(f"Advarsel: {c.DEMO_BANNER}. Leverancen er lavet med de medfølgende demonstrationskoefficienter.",
          file=sys.stderr, flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="lav en leverance med distriktstal til budgetprojektmappen (kun aggregerede tal)",
        description="Anvender koefficienttabellen på elevdata og skriver en leverance: distriktstal, kommunetal, "
                    "forklaringskraft og beskrivende tal, med små tal skjult. Køres dér, hvor elevdataene er "
                    "(fx Danmarks Statistiks forskningsservice). Budgetmedarbejderen indlæser leverancen i sin "
                    "projektmappe.")
    p.add_argument("elever", metavar="ELEVER", help="elevdata (CSV, Parquet eller xlsx); med --alle-kommuner "
                                                     "landsdata med kolonnerne Kommune og Distrikt")
    p.add_argument("koefficienter", metavar="KOEF", help="koefficienttabel (.xlsx eller .csv)")
    p.add_argument("--out", required=True, metavar="LEVERANCE",
                   help="leverancen (.xlsx); med --alle-kommuner en mappe (én fil pr. kommune, fx 217.xlsx)")
    p.add_argument("--distrikter", metavar="FIL",
                   help="distrikterne: Distrikt og Navn (med --alle-kommuner også Kommune)")
    p.add_argument("--distriktsplan", metavar="FIL",
                   help="distriktsplan: Distrikt, Fra klassetrin, Til klassetrin, Budgetdistrikt (med "
                        "--alle-kommuner også Kommune)")
    p.add_argument("--min-celle", type=int, default=5, metavar="N",
                   help="mindste antal personer i et vist tal: 3 til 10 (standard: 5)")
    p.add_argument("--alle-kommuner", action="store_true",
                   help="lav én leverance pr. kommune i landsdata (kolonnen Kommune)")
    p.add_argument("--kommune", metavar="KODE", help="kommunekoden, fx 217 (standard: kolonnen Kommune i elevdata)")
    p.add_argument("--kommunenavn", metavar="NAVN", help="kommunens navn (standard: navnet til koden)")
    p.add_argument("--skoleaar", metavar="ÅR", help="skoleåret, fx 2015/16 (standard: koefficienttabellens)")
    p.add_argument("--ark", metavar="ARK", help="ark i en xlsx-fil med elever")
    p.add_argument("--overwrite", action="store_true",
                   help="erstat leverancer, der findes (ellers stopper kommandoen, før der regnes)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_export)
