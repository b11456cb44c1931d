"""Run a need-model workbook in place: read → compute → render → graft → save atomically.

Compute first, write last: if anything fails, the file on disk is untouched.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import pandas as pd
from openpyxl import Workbook

from ... import danish as dk
from ...errors import InputError, Problems
from ...io.atomic import check_target, save
from ...io.files import open_workbook
from ...need.apply import NeedResult, apply_model
from ...need.figures import result_from_figures
from ...need.budget import (BUDGET, TOTAL_ROW, Allocation, BudgetOptions, allocate, options_from_districts,
                            year_column)
from ...need.development import compare_years
from . import contract as c
from ..graft import graft_sheets
from ..layout import Sheet, TableBlock, Text, place
from .sheets import RunInfo, add_demo_banner, output_sheets
from .sheets.scenarios import read_scenarios
from .reader import NeedInputs, read_need_inputs
from ..render_xlsx import render_sheets

__all__ = ["RunOutcome", "compute", "run_workbook", "run_package", "budget_options", "render_package",
           "check_same_kind"]


@dataclass
class RunOutcome:
    path: Path
    result: NeedResult
    allocation: Allocation
    sheets: list[Sheet]
    seconds: float
    warnings: list = None
    demo: bool = False      # computed with the bundled demonstration coefficients


def budget_options(inputs: NeedInputs) -> BudgetOptions:
    """Budget options from the settings, the district table and last year's figures.

    A setting that could not be read (None: its problem is already reported) is replaced by a neutral value,
    so that the floors and current budgets are still checked in the same run.
    """
    s = inputs.settings

    def value(key, neutral):
        v = s.get(key)
        return neutral if v is None else v

    last = inputs.last_year.budgets() if inputs.last_year is not None else None
    return options_from_districts(inputs.districts, total=value("SamletBudget", 0),
                                  head_count_weight=value("Elevtalsvaegt", 0.0),
                                  phase_in_years=value("Indfasningsaar", 0), source=inputs.district_source,
                                  last_year=last, max_loss=s.get("Tabsgraense"))


def budget_year_budget(alloc: Allocation) -> pd.Series:
    """What each district gets in the budget year: the first year of the phase-in, else the new budget."""
    if alloc.phase_in is not None:
        body = alloc.phase_in[alloc.phase_in["Distrikt"] != TOTAL_ROW]
        return body[year_column(1)].reset_index(drop=True)
    return alloc.table[BUDGET].reset_index(drop=True)


def _model_key(inputs: NeedInputs, result: NeedResult, alloc: Allocation):
    """This year's key with last year's coefficient table, for the model's share of the change in key.

    ``(key, note)``: the key is None when it cannot be known (no table from last year, no pupils, or a table
    that does not fit this year's pupil data); the key equals this year's when the table is unchanged.
    """
    old = inputs.last_year_coefficients
    if old is None:
        return None, ("Sidste års koefficienttabel kendes ikke, så modellens effekt kan ikke skilles ud – den "
                      "indgår i 'Heraf behov pr. elev'. Indlæs sidste års projektmappe med Indlæs sidste år for "
                      "at få den med.")
    if old.table.equals(inputs.coefficients.table) or _same_coefficients(old, inputs.coefficients):
        return alloc.table["Behovsnøgle"].to_numpy(), ("Koefficienttabellen er den samme som sidste år, så "
                                                            "modellen har ingen effekt på ændringen.")
    if inputs.pupils is None or len(inputs.pupils) == 0:
        return None, ("Koefficienttabellen er skiftet, men modellens effekt kræver elevdata – den indgår i "
                      "'Heraf behov pr. elev'.")
    try:
        old_result = apply_model(inputs.pupils, old, inputs.districts, source=inputs.pupil_source,
                                 district_source=inputs.district_source, plan=inputs.plan,
                                 plan_source=inputs.plan_source)
    except InputError as exc:
        return None, (f"Sidste års koefficienttabel passer ikke til årets elevdata ({exc}); modellens effekt "
                      "indgår derfor i 'Heraf behov pr. elev'.")
    key = old_result.districts.set_index("Distrikt")["Behovsnøgle"]
    return key.reindex(result.districts["Distrikt"]).fillna(0).to_numpy(), (
        "Koefficienttabellen er skiftet siden sidste år: 'Heraf modellen' er forskellen mellem årets nøgle og "
        "nøglen med sidste års koefficienter på årets elever.")


def _same_coefficients(a, b) -> bool:
    cols = ["Variabel", "Kategori", "Koefficient"]
    try:
        x, y = a.table[cols].reset_index(drop=True), b.table[cols].reset_index(drop=True)
    except KeyError:
        return False
    return x.astype(str).equals(y.astype(str))


def development(inputs: NeedInputs, result: NeedResult, alloc: Allocation):
    """Last year against this year (None without last year's figures)."""
    if inputs.last_year is None:
        return None
    key, note = _model_key(inputs, result, alloc)
    this = alloc.table[["Distrikt", "Elever", "Behovsnøgle"]].copy()
    this.insert(1, "Navn", alloc.table["Navn"] if "Navn" in alloc.table else alloc.table["Distrikt"])
    this["Budget (kr.)"] = budget_year_budget(alloc).to_numpy()
    dev = compare_years(this, inputs.last_year, model_key=key)
    dev.notes.insert(0, note)
    return dev


def compute(inputs: NeedInputs, *, info: RunInfo, shared: bool = False, threshold: int = 5):
    """Core results and the output sheets (no I/O): from the pupil rows, or from the district figures.

    Every input problem – found while reading, in the pupil data, the districts, the district plan and the
    budget options – is reported at once (up to :data:`~tildeling.errors.MAX_PROBLEMS`) before anything is
    computed further.
    """
    problems = Problems()
    problems.extend(inputs.problems)
    result = None
    if inputs.figures is not None:
        result = problems.attempt(result_from_figures, inputs.figures)
    elif inputs.coefficients is not None and not inputs.by_figures and (
            len(inputs.pupils) or c.TBL_DISTRICT_FIGURES not in inputs.tables.frames):
        result = problems.attempt(apply_model, inputs.pupils, inputs.coefficients, inputs.districts,
                                  source=inputs.pupil_source, district_source=inputs.district_source,
                                  plan=inputs.plan, plan_source=inputs.plan_source)
    options = problems.attempt(budget_options, inputs)
    problems.raise_if_any()
    alloc = allocate(result.districts, options, source=inputs.district_source)
    demo = inputs.demo
    info.warnings = ([c.DEMO_BANNER + ". " + c.DEMO_BANNER_NOTE] if demo else []) + list(inputs.warnings) \
        + list(result.warnings)
    sheets = output_sheets(result, alloc, info, municipality=inputs.settings["Kommune"],
                           school_year=inputs.settings["Skoleaar"], shared=shared, threshold=threshold,
                           settings=inputs.settings,
                           names=[n for n in c.SETTING_NAMES if n in inputs.tables.names],
                           district_columns=[str(col) for col in inputs.districts.columns],
                           last_year=inputs.last_year, development=development(inputs, result, alloc), demo=demo,
                           scenarios=read_scenarios(inputs.tables, info.warnings,
                                                    current_total=inputs.settings.get("SamletBudget")))
    if not shared and inputs.settings.get("MedElevsandsynligheder") == "Ja" and inputs.figures is None:
        sheet = Sheet(c.SHEET_PUPIL_RESULTS, [
            Text("Elevresultater – PERSONDATA, må ikke deles", "personal"),
            Text("Hver elevs forudsagte sandsynlighed ved landsgennemsnitlig henvisningspraksis. Arket fjernes i "
                 "den delbare kopi.", "note"),
            TableBlock(c.TBL_PUPIL_RESULTS, result.pupils, {"Sandsynlighed": "0.00%"}),
        ], landscape=False)
        sheets.append(place(add_demo_banner(sheet) if demo else sheet))
    return result, alloc, sheets


def render_package(sheets: list[Sheet]) -> tuple[bytes, dict]:
    wb = Workbook()
    wb.remove(wb.active)
    cached = render_sheets(wb, sheets)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), cached


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def with_last_year(inputs: NeedInputs, imp) -> NeedInputs:
    """``inputs`` with last year's figures from an import (:func:`~.last_year.read_last_year`) instead of the
    workbook's own ``tblSidsteAar``."""
    from ...errors import Source
    from ...model.coefficients import CoefficientTable
    from ...need.development import last_year_from_frame

    inputs.last_year = last_year_from_frame(imp.frame, Source(imp.origin), origin=imp.origin)
    inputs.last_year_coefficients = None
    if imp.coefficients is not None:
        try:
            inputs.last_year_coefficients = CoefficientTable.from_frame(imp.coefficients)
        except InputError:
            imp.notes.append("Sidste års koefficienttabel kunne ikke læses, så modellens effekt indgår i 'Heraf "
                             "behov pr. elev'.")
            imp.coefficients = None
    return inputs


def check_same_kind(source: Path, out: Path) -> None:
    """A macro-enabled workbook (.xlsm) is saved as .xlsm (its macros kept), a plain one as .xlsx."""
    src, dst = source.suffix.lower(), out.suffix.lower()
    if src == ".xlsm" and dst != ".xlsm":
        raise InputError(f"Projektmappen {source.name} er makroaktiveret (.xlsm). Resultatet skal også gemmes som "
                         f".xlsm, så makroerne bevares – skriv fx --out {out.with_suffix('.xlsm').name}.")
    if src != ".xlsm" and dst == ".xlsm":
        raise InputError(f"Projektmappen {source.name} har ingen makroer og skal gemmes som .xlsx, ikke .xlsm – "
                         f"skriv fx --out {out.with_suffix('.xlsx').name}.")


def run_package(data: bytes, name: str, *, progress: Callable[[str], None] | None = None, t0: float | None = None,
                last_year=None, with_inputs: bool = False):
    """Run a need-model workbook held in memory: ``(new package bytes, result, allocation, sheets)``.

    Nothing is written; the caller saves the bytes (:func:`tildeling.io.atomic.save`). ``last_year``: a file
    whose district figures replace the sheet *Sidste år* first (see :func:`run_workbook`).
    """
    say = progress or (lambda m: None)
    t0 = time.perf_counter() if t0 is None else t0
    say(f"Læser {name} …")
    inputs = read_need_inputs(data, name, defer=True)
    extra: list[Sheet] = []
    if last_year is not None:
        from .last_year import last_year_sheet, read_last_year

        say(f"Læser sidste års tal fra {Path(last_year).name} …")
        imp = read_last_year(last_year)
        inputs = with_last_year(inputs, imp)
        extra.append(place(last_year_sheet(imp)))
    if inputs.by_figures:
        say(f"Distriktstal for {len(inputs.tables.frames[c.TBL_DISTRICT_FIGURES])} distrikter (arket "
            f"{c.SHEET_DISTRICT_FIGURES}, ingen elevrækker). Beregner …")
    else:
        say(f"{dk.integer(len(inputs.pupils))} elever, {len(inputs.districts)} distrikter. Beregner …")
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=fingerprint(data),
                   coefficient_source=inputs.coefficient_source,
                   settings={s.label: inputs.settings.get(s.name) for s in c.SETTINGS}, warnings=[])
    result, alloc, sheets = compute(inputs, info=info)
    info.seconds = time.perf_counter() - t0
    say("Skriver resultatark …")
    sheets = extra + sheets
    rendered, cached = render_package(sheets)
    names = [s.name for s in sheets]
    remove = [] if c.SHEET_PUPIL_RESULTS in names else [c.SHEET_PUPIL_RESULTS]
    notes: list[str] = []
    new = graft_sheets(data, rendered, names, cached, remove=remove, notes=notes, keep_order=True)
    if notes:  # a kept sheet's table was renamed: say so on Kørselslog too (rare; computed once more)
        inputs.warnings = list(inputs.warnings) + notes
        result, alloc, sheets = compute(inputs, info=info)
        sheets = extra + sheets
        rendered, cached = render_package(sheets)
        new = graft_sheets(data, rendered, names, cached, remove=remove, keep_order=True)
    if with_inputs:
        return new, result, alloc, sheets, info, inputs
    return new, result, alloc, sheets, info


def run_workbook(path, out=None, *, last_year=None, progress: Callable[[str], None] | None = None) -> RunOutcome:
    """Compute every result of a need-model workbook and write the output sheets.

    Parameters
    ----------
    path : the workbook (never modified when ``out`` is given).
    out : where to write; default: ``path`` itself (rerunnable: outputs are replaced).
    last_year : last year's workbook, shared copy or delivery (``--sidste-aar``): its district figures replace
        the sheet *Sidste år* (``tblSidsteAar``) before the computation.

    The file is checked before any work (:func:`tildeling.io.files.open_workbook`) and saved through a
    temporary file; if it changed on disk while the run computed, nothing is written.
    """
    t0 = time.perf_counter()
    source = open_workbook(path, update=out is None)
    target = source.path
    if out is not None:
        target = check_target(Path(out))
        check_same_kind(source.path, target)
    new, result, alloc, sheets, info, inputs = run_package(source.data, source.name, progress=progress, t0=t0,
                                                           last_year=last_year, with_inputs=True)
    save(target, new, replaces=source.state if out is None or _same_file(target, source.path) else None)
    seconds = time.perf_counter() - t0
    outcome = RunOutcome(target, result, alloc, sheets, seconds, demo=inputs.demo)
    outcome.warnings = list(info.warnings)
    return outcome


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
