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

from openpyxl import Workbook

from ... import danish as dk
from ...errors import InputError, Problems
from ...io.atomic import check_target, save
from ...io.files import open_workbook
from ...need.apply import NeedResult, apply_model
from ...need.budget import Allocation, BudgetOptions, allocate, options_from_districts
from . import contract as c
from ..graft import graft_sheets
from ..layout import Sheet, TableBlock, Text, place
from .sheets import RunInfo, output_sheets
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


def budget_options(inputs: NeedInputs) -> BudgetOptions:
    """Budget options from the settings and the district table.

    A setting that could not be read (None: its problem is already reported) is replaced by a neutral value,
    so that the floors and current budgets are still checked in the same run.
    """
    s = inputs.settings

    def value(key, neutral):
        v = s.get(key)
        return neutral if v is None else v

    return options_from_districts(inputs.districts, total=value("SamletBudget", 0),
                                  head_count_weight=value("Elevtalsvaegt", 0.0),
                                  phase_in_years=value("Indfasningsaar", 0), source=inputs.district_source)


def compute(inputs: NeedInputs, *, info: RunInfo, shared: bool = False):
    """Core results and the output sheets (no I/O).

    Every input problem – found while reading, in the pupil data, the districts, the district plan and the
    budget options – is reported at once (up to :data:`~tildeling.errors.MAX_PROBLEMS`) before anything is
    computed further.
    """
    problems = Problems()
    problems.extend(inputs.problems)
    result = None
    if inputs.coefficients is not None:
        result = problems.attempt(apply_model, inputs.pupils, inputs.coefficients, inputs.districts,
                                  source=inputs.pupil_source, district_source=inputs.district_source,
                                  plan=inputs.plan, plan_source=inputs.plan_source)
    options = problems.attempt(budget_options, inputs)
    problems.raise_if_any()
    alloc = allocate(result.districts, options, source=inputs.district_source)
    info.warnings = list(inputs.warnings) + list(result.warnings)
    sheets = output_sheets(result, alloc, info, municipality=inputs.settings["Kommune"],
                           school_year=inputs.settings["Skoleaar"], shared=shared)
    if not shared and inputs.settings.get("MedElevsandsynligheder") == "Ja":
        sheets.append(place(Sheet(c.SHEET_PUPIL_RESULTS, [
            Text("Elevresultater – PERSONDATA, må ikke deles", "personal"),
            Text("Hver elevs forudsagte sandsynlighed ved landsgennemsnitlig henvisningspraksis. Arket fjernes i "
                 "den delbare kopi.", "note"),
            TableBlock(c.TBL_PUPIL_RESULTS, result.pupils, {"Sandsynlighed": "0.00%"}),
        ], landscape=False)))
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


def check_same_kind(source: Path, out: Path) -> None:
    """A macro-enabled workbook (.xlsm) is saved as .xlsm (its macros kept), a plain one as .xlsx."""
    src, dst = source.suffix.lower(), out.suffix.lower()
    if src == ".xlsm" and dst != ".xlsm":
        raise InputError(f"Projektmappen {source.name} er makroaktiveret (.xlsm). Resultatet skal også gemmes som "
                         f".xlsm, så makroerne bevares – skriv fx --out {out.with_suffix('.xlsm').name}.")
    if src != ".xlsm" and dst == ".xlsm":
        raise InputError(f"Projektmappen {source.name} har ingen makroer og skal gemmes som .xlsx, ikke .xlsm – "
                         f"skriv fx --out {out.with_suffix('.xlsx').name}.")


def run_package(data: bytes, name: str, *, progress: Callable[[str], None] | None = None, t0: float | None = None):
    """Run a need-model workbook held in memory: ``(new package bytes, result, allocation, sheets)``.

    Nothing is written; the caller saves the bytes (:func:`tildeling.io.atomic.save`).
    """
    say = progress or (lambda m: None)
    t0 = time.perf_counter() if t0 is None else t0
    say(f"Læser {name} …")
    inputs = read_need_inputs(data, name, defer=True)
    say(f"{dk.integer(len(inputs.pupils))} elever, {len(inputs.districts)} distrikter. Beregner …")
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=fingerprint(data),
                   coefficient_source=(inputs.coefficients.metadata.get("Datakilde", "arket Koefficienter")
                                       if inputs.coefficients is not None else ""),
                   settings={s.label: inputs.settings.get(s.name) for s in c.SETTINGS}, warnings=[])
    result, alloc, sheets = compute(inputs, info=info)
    info.seconds = time.perf_counter() - t0
    say("Skriver resultatark …")
    rendered, cached = render_package(sheets)
    names = [s.name for s in sheets]
    remove = [] if c.SHEET_PUPIL_RESULTS in names else [c.SHEET_PUPIL_RESULTS]
    notes: list[str] = []
    new = graft_sheets(data, rendered, names, cached, remove=remove, notes=notes)
    if notes:  # a kept sheet's table was renamed: say so on Kørselslog too (rare; render once more)
        from ..layout import place
        from .sheets.common import Context
        from .sheets.log import log_sheet

        info.warnings = list(info.warnings) + notes
        ctx = Context(result, alloc, info, inputs.settings["Kommune"], inputs.settings["Skoleaar"], False)
        sheets = [place(log_sheet(ctx)) if s.name == c.SHEET_LOG else s for s in sheets]
        rendered, cached = render_package(sheets)
        new = graft_sheets(data, rendered, names, cached, remove=remove)
    return new, result, alloc, sheets, info


def run_workbook(path, out=None, *, progress: Callable[[str], None] | None = None) -> RunOutcome:
    """Compute every result of a need-model workbook and write the output sheets.

    Parameters
    ----------
    path : the workbook (never modified when ``out`` is given).
    out : where to write; default: ``path`` itself (rerunnable: outputs are replaced).

    The file is checked before any work (:func:`tildeling.io.files.open_workbook`) and saved through a
    temporary file; if it changed on disk while the run computed, nothing is written.
    """
    t0 = time.perf_counter()
    source = open_workbook(path, update=out is None)
    target = source.path
    if out is not None:
        target = check_target(Path(out))
        check_same_kind(source.path, target)
    new, result, alloc, sheets, info = run_package(source.data, source.name, progress=progress, t0=t0)
    save(target, new, replaces=source.state if out is None or _same_file(target, source.path) else None)
    seconds = time.perf_counter() - t0
    outcome = RunOutcome(target, result, alloc, sheets, seconds)
    outcome.warnings = list(info.warnings)
    return outcome


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
