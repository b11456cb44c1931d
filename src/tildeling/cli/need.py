"""Analyst commands of the need model: ``synth``, ``fit``, ``apply``.

Commands parse options, call the core, print progress to stderr and write files
atomically. They compute nothing themselves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import danish as dk
from ._common import Progress, out_path

__all__ = ["register"]


# ----------------------------------------------------------------- synth
def cmd_synth(args) -> int:
    from ..synth.national import make_municipality, make_national

    say = Progress(args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say(f"Danner syntetiske landsdata ({dk.integer(args.elever)} elever, frø {args.seed}) …")
    data = make_national(seed=args.seed, n_pupils=args.elever)
    nat = out / f"landsdata.{args.format}"
    _write_frame(data.pupils, nat)
    say(f"Skrev {nat}")
    say("Danner syntetisk kommune (Helsingør-spejl) …")
    mun = make_municipality(seed=args.seed)
    _write_frame(mun.pupils.drop(columns=["Kommune"], errors="ignore"), out / f"kommune_elever.{args.format}")
    mun.districts[["Distrikt", "Navn"]].to_csv(out / "kommune_distrikter.csv", sep=";", index=False,
                                               encoding="utf-8-sig")
    data.true_coefficients.to_csv(out / "sande_koefficienter.csv", sep=";", decimal=",", index=False,
                                  encoding="utf-8-sig", float_format="%.17g")
    say.done(out)
    return 0


def _write_frame(frame, path: Path) -> None:
    from ..io.atomic import atomic_write_with

    if path.suffix == ".parquet":
        atomic_write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        atomic_write_with(path, lambda tmp: frame.to_csv(tmp, sep=";", decimal=",", index=False,
                                                         encoding="utf-8-sig"))


# ------------------------------------------------------------------- fit
def cmd_fit(args) -> int:
    from ..catalogue import NATIONAL_SPEC
    from ..columns import fit_columns

    say = Progress(args.quiet)
    out = out_path(args.out, (".xlsx", ".csv"))
    prefetch = None
    if not args.spec and Path(args.data).suffix.lower() == ".parquet":
        # Arrow reads the file in the background while pandas and the model are imported (io/parquet.py)
        from ..io.parquet import Prefetch

        prefetch = Prefetch(args.data, fit_columns(NATIONAL_SPEC))
    from ..io.tables import read_table, release_memory
    from ..io.coefficients import read_coefficients
    from ..io.coefficients import write_coefficients
    from ..model.national import fit_national, model_rows

    spec = NATIONAL_SPEC
    if args.spec:
        spec = read_coefficients(args.spec).spec
        say(f"Bruger variablerne fra {args.spec} ({len(spec)} variable).")
    say(f"Læser {args.data} …")
    pupils, source = read_table(args.data, sheet=args.ark, columns=fit_columns(spec), prefetched=prefetch)
    # Take the rows of grades 0-9 here and let go of the full table before the design matrix is
    # built: on the national data that keeps the whole command under 1 GB.
    pupils, source, excluded = model_rows(pupils, source)
    release_memory()
    model = fit_national(pupils, spec, source=source, school_year=args.skoleaar, excluded_grade10=excluded,
                         data_source=args.datakilde or Path(args.data).name, progress=say)
    for w in model.fit.warnings:
        say(f"Advarsel: {w}")
    write_coefficients(model.coefficients, out)
    f = model.fit
    say(f"N = {dk.integer(f.nobs)}, McFadden R² = {dk.number(f.prsquared, 3)}, andel fanget blandt laveste/højeste "
        f"10 %: {dk.percent(model.power.lowest)} / {dk.percent(model.power.highest)}")
    say.done(f"koefficienttabellen er skrevet til {out}")
    return 0


# ----------------------------------------------------------------- apply
def _budget_options(args, districts, source):
    from ..need.budget import options_from_districts

    if args.budget is None:
        return None
    return options_from_districts(districts, total=args.budget, head_count_weight=args.andel_elevtal,
                                  phase_in_years=args.indfasning, source=source)


def cmd_apply(args) -> int:
    from ..io.tables import read_table
    from ..io.results import write_results
    from ..io.coefficients import read_coefficients
    from ..need.apply import apply_model
    from ..need.budget import allocate
    from ..io.results import result_tables

    say = Progress(args.quiet)
    out = out_path(args.out, (".xlsx",), folder=True)
    say(f"Læser koefficienter fra {args.koefficienter} …")
    coefs = read_coefficients(args.koefficienter)
    say(f"Læser elever fra {args.elever} …")
    pupils, source = read_table(args.elever, sheet=args.ark)
    districts = dsource = None
    if args.distrikter:
        districts, dsource = read_table(args.distrikter)
    plan = psource = None
    if args.distriktsplan:
        plan, psource = read_table(args.distriktsplan)
    say("Beregner sandsynligheder, distriktstabel og benchmarks …")
    result = apply_model(pupils, coefs, districts, source=source, district_source=dsource, plan=plan,
                         plan_source=psource)
    allocation = None
    opts = _budget_options(args, districts, dsource)
    if opts is not None:
        say("Fordeler budgettet …")
        allocation = allocate(result.districts, opts)
    for w in result.warnings:
        say(f"Advarsel: {w}")
    tables = result_tables(result, allocation, include_pupils=args.med_elever)
    write_results(tables, out)
    say.done(f"resultaterne er skrevet til {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="dan syntetiske lands- og kommunedata",
                       description="Danner syntetiske registerdata: landsdata (til 'fit') og en kommune, "
                                   "der spejler Helsingør (til 'apply').")
    p.add_argument("--out", default="syntetiske_data", metavar="MAPPE", help="mappe til filerne (standard: syntetiske_data)")
    p.add_argument("--seed", type=int, default=2016, metavar="N", help="frø for tilfældighedsgeneratoren (standard: 2016)")
    p.add_argument("--elever", type=int, default=668_338, metavar="N",
                   help="elever i 0.-9. klasse på landsplan (standard: 668.338)")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet", metavar="FORMAT",
                   help="parquet (standard) eller csv")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("fit", help="estimér den nationale model → koefficienttabel",
                       description="Estimerer logitmodellen på elevdata (CSV, Parquet eller xlsx) med "
                                   "klyngerobuste standardfejl efter kommune og skriver koefficienttabellen.")
    p.add_argument("data", metavar="DATA", help="elevdata med Kommune, Klassetrin, Segregeret og modellens variable")
    p.add_argument("--out", required=True, metavar="KOEF", help="koefficienttabel (.xlsx eller .csv)")
    p.add_argument("--ark", metavar="ARK", help="ark i en xlsx-fil (standard: det første)")
    p.add_argument("--spec", metavar="KOEF", help="brug variablerne fra en eksisterende koefficienttabel")
    p.add_argument("--skoleaar", default="", metavar="ÅR", help="skoleår, fx 2015/16")
    p.add_argument("--datakilde", default="", metavar="TEKST", help="beskrivelse af datakilden")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("apply", help="anvend en koefficienttabel på kommunens elever",
                       description="Beregner sandsynligheder, distriktstabel (Tabel 5.1), benchmarks, "
                                   "forklaringskraft, beskrivende tabeller og evt. budgetfordeling.")
    p.add_argument("elever", metavar="ELEVER", help="kommunens elever (CSV, Parquet eller xlsx)")
    p.add_argument("koefficienter", metavar="KOEF", help="koefficienttabel (.xlsx eller .csv)")
    p.add_argument("--out", required=True, metavar="RES",
                   help="resultater: en .xlsx-fil (et ark pr. tabel) eller en mappe (en CSV-fil pr. tabel; "
                        "mappen oprettes)")
    p.add_argument("--ark", metavar="ARK", help="ark i en xlsx-fil med elever")
    p.add_argument("--distrikter", metavar="FIL", help="fil med Distrikt, Navn og evt. 'Nuværende budget (kr.)', 'Gulv (kr.)'")
    p.add_argument("--distriktsplan", metavar="FIL",
                   help="fil med Distrikt, Fra klassetrin, Til klassetrin, Budgetdistrikt: klassetrin, der tæller "
                        "i et andet distrikt end bopælsdistriktet")
    p.add_argument("--budget", type=float, metavar="KR", help="samlet budget i kr. der skal fordeles")
    p.add_argument("--andel-elevtal", type=float, default=0.0, metavar="A",
                   help="blandet nøgle: andel (0-1) der fordeles efter elevtal")
    p.add_argument("--indfasning", type=int, default=0, metavar="N", help="indfas over N år fra det nuværende budget")
    p.add_argument("--med-elever", action="store_true",
                   help="medtag elevniveau (persondata!) i resultatfilen – aldrig i filer der deles")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_apply)

