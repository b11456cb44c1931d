"""The analyst's delivery: ``tildeling export`` (one municipality, or every municipality of a national file).

Runs where the pupil data are. Reads the pupils and the coefficient table, applies the model, and writes a
*leverance* workbook of aggregates only (:mod:`tildeling.need.delivery`, :mod:`tildeling.workbook.need.delivery`).
Everything is computed before anything is written: with ``--alle-kommuner`` a problem in one municipality stops
the whole export, and every problem is listed at once.

With ``--alle-kommuner`` the main process reads and checks the national file and builds its design matrix once;
the municipalities are then shared out over worker processes, one per core (``--processer N``; one process in
xlwings Lite, on one core or for fewer than :data:`MIN_PARALLEL` municipalities). A worker applies the model to a
municipality, makes its delivery and renders and audits the workbook (:func:`_deliver`), and sends back the
delivery and its cleared bytes; only the main process writes, all or none (:func:`tildeling.io.atomic.save_all`).
On Linux the workers are forked after the file is checked and inherit it (nothing is copied or sent but the
municipality's number); elsewhere (Windows, macOS) they are spawned and get each municipality's rows in memory –
no pupil row goes through a file. The workers run the same code on the same rows as one process does, so the
deliveries are the same to the last digit. A worker that dies stops the export with a Danish message.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
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
                         plan_source=psource, design=design, check_outliers=False)   # not shown by export
    return make_delivery(result, municipality=code, name=name, school_year=year, threshold=threshold, demo=demo,
                         coefficient_source=coef_source)


def cmd_export(args) -> int:
    from ..io.coefficients import is_demonstration, read_coefficients
    from ..io.tables import read_table
    from ..need.delivery import check_threshold
    from ..workbook.need.delivery import write_deliveries, write_delivery

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

    workers = _workers(args.processer, len(set(mcode)))
    pool = _start_pool(workers)      # spawned workers import tildeling now, while the file is checked
    try:
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
        export = _Export(pupils=pupils, source=source, design=X, codes=codes, order=order, bounds=bounds,
                         districts=districts, dsource=dsource, dcodes=dcodes, plan=plan, psource=psource,
                         pcodes=pcodes, coefs=coefs, year=year, threshold=threshold, demo=demo,
                         coef_source=coef_source)
        say(f"{dk.integer(len(pupils))} elever i {len(codes)} kommuner. Anvender modellen og kontrollerer "
            "leverancerne kommune for kommune" + (f" i {workers} processer" if pool is not None else "") + " …")
        outcomes = _deliver_all(export, pool)
    finally:
        if pool is not None:
            pool.executor.shutdown(wait=True, cancel_futures=True)
    problems = [o.problem for o in outcomes if o.problem and o.stage == "beregning"]
    if not problems:   # every delivery is audited before any is written (in the same step as its computation)
        problems = [o.problem for o in outcomes if o.problem]
    if problems:
        raise InputError(f"Ingen leverancer er skrevet – {len(problems)} af {len(codes)} kommuner har fejl:\n"
                         + "\n".join(problems))
    deliveries = [o.delivery for o in outcomes]
    cleared = [o.data for o in outcomes]
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


# --- every municipality: the work per municipality, on one core or several --------------------------------------
#: Below this many municipalities the export runs in one process (starting workers would cost more than it saves).
MIN_PARALLEL = 4


@dataclass
class _Job:
    """One municipality's inputs: its pupil rows (in memory), their design rows, its districts and plan."""

    k: int
    code: str
    pupils: object
    source: object
    design: np.ndarray
    districts: object
    dsource: object
    plan: object
    psource: object
    coefs: object
    year: str
    threshold: int
    demo: bool
    coef_source: str


@dataclass
class _Export:
    """The national file, checked, and its municipalities (``order[bounds[k]:bounds[k+1]]``: the rows of
    ``codes[k]``)."""

    pupils: object
    source: object
    design: np.ndarray
    codes: np.ndarray
    order: np.ndarray
    bounds: list
    districts: object
    dsource: object
    dcodes: object
    plan: object
    psource: object
    pcodes: object
    coefs: object
    year: str
    threshold: int
    demo: bool
    coef_source: str

    def size(self, k: int) -> int:
        return int(self.bounds[k + 1] - self.bounds[k])

    def job(self, k: int) -> _Job:
        code = self.codes[k]
        pos = np.sort(self.order[self.bounds[k]:self.bounds[k + 1]])
        d_sub = ds = p_sub = ps = None
        if self.districts is not None:
            dpos = np.flatnonzero(self.dcodes == code)
            d_sub, ds = self.districts.iloc[dpos], self.dsource.subset(dpos)
        if self.plan is not None:
            ppos = np.flatnonzero(self.pcodes == code)
            p_sub, ps = self.plan.iloc[ppos], self.psource.subset(ppos)
        return _Job(k, code, self.pupils.iloc[pos], self.source.subset(pos), self.design[pos], d_sub, ds, p_sub, ps,
                    self.coefs, self.year, self.threshold, self.demo, self.coef_source)


@dataclass
class _Outcome:
    """What a municipality's work gives: the delivery and its audited bytes, or a Danish problem (``stage``:
    "beregning" – the model or the suppression – or "kontrol", the audit of the finished file)."""

    k: int
    delivery: object = None
    data: bytes | None = None
    problem: str = ""
    stage: str = ""


#: The export being worked on, in the process that forks the workers: a forked worker inherits it (nothing is
#: copied or sent), and is then sent only the municipality's number. A spawned worker (Windows, macOS) gets the
#: municipality's rows in memory instead.
_STATE: list = [None]


def _deliver(job) -> _Outcome:
    """Apply the model to one municipality, make its delivery and audit the finished workbook (in a worker or in
    the main process). Danish problems are returned, not raised, so that every municipality's are reported."""
    from ..privacy import DisclosureError
    from ..workbook.need.delivery import cleared_delivery

    if not isinstance(job, _Job):
        job = _STATE[0].job(job)
    name = municipality_name(job.code)
    who = f"Kommune {job.code}{f' ({name})' if name else ''}"
    try:
        dl = _one(job.pupils, job.source, job.coefs, job.districts, job.dsource, job.plan, job.psource,
                  code=job.code, name=name, year=job.year, threshold=job.threshold, demo=job.demo,
                  coef_source=job.coef_source, design=job.design)
    except InputError as exc:
        return _Outcome(job.k, problem=f"{who}: {exc}", stage="beregning")
    ids = _ids(job.pupils)
    try:
        data = cleared_delivery(dl, pupil_ids=ids if ids is not None else ())
    except DisclosureError as exc:
        return _Outcome(job.k, dl, problem=f"{who}: {exc}", stage="kontrol")
    return _Outcome(job.k, dl, data)


def _workers(requested, municipalities: int) -> int:
    """How many processes: ``--processer`` if given, else one per core; one in xlwings Lite (Pyodide has no
    processes), on one core, or for fewer than :data:`MIN_PARALLEL` municipalities."""
    import os

    if sys.platform == "emscripten" or municipalities < MIN_PARALLEL:
        return 1
    if requested is not None:
        if requested < 1:
            raise InputError(f"--processer skal være mindst 1, ikke {requested}.")
        return min(int(requested), municipalities)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, municipalities))


def _context():
    """Fork where it is safe and the default (Linux): the workers inherit the checked file without a copy.
    Elsewhere spawn (Windows, macOS): the workers import tildeling afresh and get each municipality's rows."""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _warm() -> None:
    """A spawned worker imports what the work needs while the main process still reads and checks the file."""
    from ..need import delivery as _a  # noqa: F401
    from ..workbook.need import delivery as _b  # noqa: F401


@dataclass
class _Pool:
    executor: object
    workers: int
    inherit: bool       # forked workers: they inherit the export and are sent the municipality's number only


def _start_pool(workers: int, context=None) -> _Pool | None:
    """A process pool of ``workers`` (None for one process). A spawned pool is started at once, so that its
    workers import tildeling while the file is read; a forked one at its first task, after the file is read."""
    if workers < 2:
        return None
    from concurrent.futures import ProcessPoolExecutor

    ctx = context or _context()
    inherit = ctx.get_start_method() == "fork"
    try:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        if not inherit:
            for _ in range(workers):
                executor.submit(_warm)
    except (OSError, NotImplementedError, ImportError):   # no processes here: one process does it all
        return None
    return _Pool(executor, workers, inherit)


WORKER_DIED = ("En af de processer, der laver leverancerne, stoppede uventet (fx fordi hukommelsen slap op). "
               "Ingen leverancer er skrevet. "
               "Prøv igen – eventuelt med --processer 1 (én proces, mindre hukommelse).")


def _deliver_all(export: _Export, pool) -> list[_Outcome]:
    """Every municipality's outcome, in the order of ``export.codes``. The largest municipalities go first, so
    that the processes finish together; at most two tasks per worker are handed out at a time (a spawned worker's
    task holds the municipality's rows: the main process never holds a second copy of the whole file)."""
    n = len(export.codes)
    if pool is None:
        return [_deliver(export.job(k)) for k in range(n)]
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    todo = iter(sorted(range(n), key=lambda k: (-export.size(k), k)))
    running: set = set()

    def hand_out() -> None:
        k = next(todo, None)
        if k is not None:
            running.add(pool.executor.submit(_deliver, k if pool.inherit else export.job(k)))

    _STATE[0] = export if pool.inherit else None
    outcomes: list = [None] * n
    try:
        try:
            for _ in range(2 * pool.workers):
                hand_out()
        except OSError:          # the processes could not be started (a limit on processes): one process
            pool.executor.shutdown(wait=True, cancel_futures=True)
            return [_deliver(export.job(k)) for k in range(n)]
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                o = f.result()
                outcomes[o.k] = o
                hand_out()
    except BrokenProcessPool:
        raise InputError(WORKER_DIED) from None
    finally:
        _STATE[0] = None
    return outcomes


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
    p.add_argument("--processer", type=int, metavar="N",
                   help="med --alle-kommuner: antal processer, der laver leverancerne samtidig (standard: én pr. "
                        "kerne; 1 = én proces, mindst hukommelse)")
    p.add_argument("--overwrite", action="store_true",
                   help="erstat leverancer, der findes (ellers stopper kommandoen, før der regnes)")
    p.add_argument("--quiet", action="store_true", help="vis ingen fremdrift")
    p.set_defaults(func=cmd_export)
