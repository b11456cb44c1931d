"""Need-model commands: ``synth``, ``fit``, ``apply`` (and the workbook commands).

Commands parse options, call the core, print progress to stderr and write files
atomically. They compute nothing themselves.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import InputError

__all__ = ["register"]


class Progress:
    """Prints numbered steps with elapsed time to stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {message}", file=sys.stderr, flush=True)


def _out_path(value: str, suffixes=(".xlsx", ".csv")) -> Path:
    path = Path(value)
    if path.suffix.lower() not in suffixes and not (path.is_dir() or value.endswith(("/", "\\"))):
        raise InputError(f"Uddatafilen '{value}' skal ende på {' eller '.join(suffixes)}.")
    parent = path if path.suffix == "" else path.parent
    if str(parent) and not parent.exists():
        raise InputError(f"Mappen '{parent}' findes ikke.")
    return path


# ----------------------------------------------------------------- synth
def cmd_synth(args) -> int:
    from .synth.national import make_municipality, make_national

    say = Progress(args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say(f"Danner syntetiske landsdata ({args.elever:,} elever, frø {args.seed}) …".replace(",", "."))
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
    say(f"Færdig: {out}")
    return 0


def _write_frame(frame, path: Path) -> None:
    from .io.atomic import atomic_write_with

    if path.suffix == ".parquet":
        atomic_write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        atomic_write_with(path, lambda tmp: frame.to_csv(tmp, sep=";", decimal=",", index=False,
                                                         encoding="utf-8-sig"))


# ------------------------------------------------------------------- fit
def cmd_fit(args) -> int:
    from .catalogue import NATIONAL_SPEC
    from .io.tables import read_table
    from .model.coefficients import read_coefficients
    from .model.national import fit_national

    say = Progress(args.quiet)
    out = _out_path(args.out)
    say(f"Læser {args.data} …")
    pupils, source = read_table(args.data, sheet=args.ark)
    spec = NATIONAL_SPEC
    if args.spec:
        spec = read_coefficients(args.spec).spec
        say(f"Bruger variablerne fra {args.spec} ({len(spec)} variable).")
    model = fit_national(pupils, spec, source=source, school_year=args.skoleaar,
                         data_source=args.datakilde or Path(args.data).name, progress=say)
    for w in model.fit.warnings:
        say(f"Advarsel: {w}")
    model.coefficients.save(out)
    f = model.fit
    say(f"N = {f.nobs:,}, McFadden R² = {f.prsquared:.3f}, laveste/højeste 10 %: "
        f"{model.power.lowest:.1%} / {model.power.highest:.1%}".replace(",", "."))
    say(f"Skrev koefficienttabellen til {out}")
    return 0


# ----------------------------------------------------------------- apply
def _budget_options(args, districts, source):
    from .need.budget import options_from_districts

    if args.budget is None:
        return None
    return options_from_districts(districts, total=args.budget, head_count_weight=args.andel_elevtal,
                                  phase_in_years=args.indfasning, source=source)


def cmd_apply(args) -> int:
    from .io.tables import read_table
    from .io.results import write_results
    from .model.coefficients import read_coefficients
    from .need.apply import apply_model
    from .need.budget import allocate
    from .report import result_tables

    say = Progress(args.quiet)
    out = _out_path(args.out)
    say(f"Læser koefficienter fra {args.koefficienter} …")
    coefs = read_coefficients(args.koefficienter)
    say(f"Læser elever fra {args.elever} …")
    pupils, source = read_table(args.elever, sheet=args.ark)
    districts = dsource = None
    if args.distrikter:
        districts, dsource = read_table(args.distrikter)
    say("Beregner sandsynligheder, distriktstabel og benchmarks …")
    result = apply_model(pupils, coefs, districts, source=source, district_source=dsource)
    allocation = None
    opts = _budget_options(args, districts, dsource)
    if opts is not None:
        say("Fordeler budgettet …")
        allocation = allocate(result.districts, opts)
    for w in result.warnings:
        say(f"Advarsel: {w}")
    tables = result_tables(result, allocation, include_pupils=args.med_elever)
    write_results(tables, out)
    say(f"Skrev resultaterne til {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="dan syntetiske lands- og kommunedata",
                       description="Danner syntetiske registerdata: landsdata (til 'fit') og en kommune, "
                                   "der spejler Helsingør (til 'apply').")
    p.add_argument("--out", default="syntetiske_data", help="mappe til filerne (standard: syntetiske_data)")
    p.add_argument("--seed", type=int, default=2016, help="frø for tilfældighedsgeneratoren")
    p.add_argument("--elever", type=int, default=668_338, help="elever i 0.-9. klasse på landsplan")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("fit", help="estimér den nationale model → koefficienttabel",
                       description="Estimerer logitmodellen på elevdata (CSV, Parquet eller xlsx) med "
                                   "klyngerobuste standardfejl efter kommune og skriver koefficienttabellen.")
    p.add_argument("data", help="elevdata med Kommune, Klassetrin, Segregeret og modellens variable")
    p.add_argument("--out", required=True, help="koefficienttabel (.xlsx eller .csv)")
    p.add_argument("--ark", help="ark i en xlsx-fil (standard: det første)")
    p.add_argument("--spec", help="brug variablerne fra en eksisterende koefficienttabel")
    p.add_argument("--skoleaar", default="", help="skoleår, fx 2015/16")
    p.add_argument("--datakilde", default="", help="beskrivelse af datakilden")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("apply", help="anvend en koefficienttabel på kommunens elever",
                       description="Beregner sandsynligheder, distriktstabel (Tabel 5.1), benchmarks, "
                                   "forklaringskraft, beskrivende tabeller og evt. budgetfordeling.")
    p.add_argument("elever", help="kommunens elever (CSV, Parquet eller xlsx)")
    p.add_argument("koefficienter", help="koefficienttabel (.xlsx eller .csv)")
    p.add_argument("--out", required=True, help="resultater: .xlsx (et ark pr. tabel) eller en mappe til CSV")
    p.add_argument("--ark", help="ark i en xlsx-fil med elever")
    p.add_argument("--distrikter", help="fil med Distrikt, Navn og evt. 'Nuværende budget (kr.)', 'Gulv (kr.)'")
    p.add_argument("--budget", type=float, help="samlet budget i kr. der skal fordeles")
    p.add_argument("--andel-elevtal", type=float, default=0.0,
                   help="blandet nøgle: andel (0-1) der fordeles efter elevtal")
    p.add_argument("--indfasning", type=int, default=0, help="indfas over N år fra det nuværende budget")
    p.add_argument("--med-elever", action="store_true",
                   help="medtag elevniveau (persondata!) i resultatfilen – aldrig i filer der deles")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_apply)

    register_workbook_commands(sub)


# ------------------------------------------------------------ workbook commands
def cmd_new(args) -> int:
    out = _out_path(args.out, (".xlsx",))
    if args.type == "fravaer":
        from .absence.commands import new_template

        new_template(out)
    else:
        from .workbook.template import write_template

        write_template(out)
    print(f"Skrev skabelonen {out}", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from .workbook.run import run_workbook

    out = _out_path(args.out, (".xlsx",)) if args.out else None
    run_workbook(args.file, out, progress=Progress(args.quiet))
    return 0


def cmd_demo(args) -> int:
    from .workbook.demo import make_demo

    out = _out_path(args.out, (".xlsx",))
    make_demo(out, seed=args.seed, progress=Progress(args.quiet))
    return 0


def cmd_share(args) -> int:
    from .workbook.share import assert_kind, share_workbook

    out = _out_path(args.out, (".xlsx",))
    if Path(out).resolve() == Path(args.file).resolve():
        raise InputError("Den delbare kopi skal have et andet filnavn end originalen.")
    if not Path(args.file).exists():
        raise InputError(f"Filen '{args.file}' findes ikke.")
    if assert_kind(args.file) == "fravaer":
        from .absence.commands import share

        share(Path(args.file), out)
    else:
        share_workbook(args.file, out, progress=Progress(args.quiet))
    return 0


def register_workbook_commands(sub) -> None:
    p = sub.add_parser("new", help="ny projektmappe fra skabelon",
                       description="Laver en ny projektmappe: 'behovsmodel' (fordeling af specialundervisning) "
                                   "eller 'fravaer' (fraværsanalyse).")
    p.add_argument("type", choices=["behovsmodel", "fravaer"])
    p.add_argument("--out", required=True, help="filnavn (.xlsx)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("run", help="beregn alle resultater i en projektmappe",
                       description="Læser inputarkene, beregner alt og skriver resultatarkene (erstatter en "
                                   "tidligere kørsel). Inputark ændres aldrig; ved fejl røres filen ikke.")
    p.add_argument("file", help="projektmappen (.xlsx)")
    p.add_argument("--out", help="skriv resultatet til en anden fil i stedet for at opdatere FILE")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="lav en demo-projektmappe med en syntetisk kommune og kør den")
    p.add_argument("--out", default="tildeling-demo.xlsx", help="filnavn (standard: tildeling-demo.xlsx)")
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("share", help="lav en delbar kopi uden elevdata og med skjulte små tal")
    p.add_argument("file", help="projektmappen (.xlsx)")
    p.add_argument("--out", required=True, help="den delbare kopi (.xlsx)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_share)
