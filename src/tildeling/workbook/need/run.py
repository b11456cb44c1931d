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
from ...errors import InputError
from ...need.apply import NeedResult, apply_model
from ...need.budget import Allocation, BudgetOptions, allocate, options_from_districts
from . import contract as c
from ...io.atomic import atomic_write
from ..graft import graft_sheets
from ..layout import Sheet, TableBlock, Text, place
from .sheets import RunInfo, output_sheets
from .reader import NeedInputs, read_need_inputs
from ..render_xlsx import render_sheets

__all__ = ["RunOutcome", "compute", "run_workbook", "budget_options", "render_package"]


@dataclass
class RunOutcome:
    path: Path
    result: NeedResult
    allocation: Allocation
    sheets: list[Sheet]
    seconds: float


def budget_options(inputs: NeedInputs) -> BudgetOptions:
    """Budget options from the settings and the district table."""
    s = inputs.settings
    return options_from_districts(inputs.districts, total=s["SamletBudget"], head_count_weight=s["Elevtalsvaegt"],
                                  phase_in_years=s["Indfasningsaar"], source=inputs.district_source)


def compute(inputs: NeedInputs, *, info: RunInfo, shared: bool = False):
    """Core results and the output sheets (no I/O)."""
    result = apply_model(inputs.pupils, inputs.coefficients, inputs.districts, source=inputs.pupil_source,
                         district_source=inputs.district_source, plan=inputs.plan, plan_source=inputs.plan_source)
    alloc = allocate(result.districts, budget_options(inputs), source=inputs.district_source)
    info.warnings = list(result.warnings)
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


def run_workbook(path, out=None, *, progress: Callable[[str], None] | None = None) -> RunOutcome:
    """Compute every result of a need-model workbook and write the output sheets.

    Parameters
    ----------
    path : the workbook (never modified when ``out`` is given).
    out : where to write; default: ``path`` itself (rerunnable: outputs are replaced).
    """
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise InputError(f"Filen '{path}' findes ikke.")
    data = path.read_bytes()
    say(f"Læser {path.name} …")
    inputs = read_need_inputs(data, path.name)
    say(f"{dk.integer(len(inputs.pupils))} elever, {len(inputs.districts)} distrikter. Beregner …")
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=fingerprint(data),
                   coefficient_source=inputs.coefficients.metadata.get("Datakilde", "arket Koefficienter"),
                   settings={s.label: inputs.settings[s.name] for s in c.SETTINGS}, warnings=[])
    result, alloc, sheets = compute(inputs, info=info)
    info.seconds = time.perf_counter() - t0
    say("Skriver resultatark …")
    rendered, cached = render_package(sheets)
    names = [s.name for s in sheets]
    remove = [] if c.SHEET_PUPIL_RESULTS in names else [c.SHEET_PUPIL_RESULTS]
    new = graft_sheets(data, rendered, names, cached, remove=remove)
    target = Path(out) if out else path
    atomic_write(target, new)
    seconds = time.perf_counter() - t0
    return RunOutcome(target, result, alloc, sheets, seconds)
