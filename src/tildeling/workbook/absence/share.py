"""The shareable copy of an absence workbook: a *new* workbook rendered from the results."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Font

from ... import danish as dk
from ...absence.analysis import AbsenceResult, analyse
from ...errors import InputError
from ...io.atomic import atomic_save
from . import contract as c
from ._write import _print_setup
from .reader import _require_absence_workbook, read_absence_tables
from .sheets import write_results
from .template import _guide, _input_sheet

__all__ = ["shared_workbook", "share"]


#: Input sheets without pupil rows: the shared copy shows them (from the validated tables).
_SHARED_INPUTS = (c.SKOLER, c.KLASSER, c.HYPOTESER, c.SEGMENTER, c.INDSTILLINGER)

def shared_workbook(res: AbsenceResult) -> openpyxl.Workbook:
    """The shareable workbook: a *new* workbook rendered from ``res``.

    Nothing of the original package is copied, so no pupil row, pseudonym,
    hidden sheet, shared string or cache of the original can travel along. Left
    out: the caseworker list, the unmatched list and every input sheet with pupil
    rows (Elever, Fravær, Social, Familie, Sprog). In the drill-down data, rows for
    fewer than 5 pupils (and the other level of the same factor) are blanked, so
    the suppression does not rely on the formulas alone.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = c.SHEET_GUIDE
    _guide(ws)
    removed = [*c.PERSONAL_SHEETS, *c.PUPIL_LEVEL_SHEETS]
    ws.insert_rows(2)
    ws["A2"] = (f"DELBAR KOPI lavet {dk.long_date(_dt.date.today())}: uden elevrækker og personoplysninger "
                f"(fjernet: {', '.join(removed)}). Analysen kan ikke køres igen fra denne kopi.")
    ws["A2"].font = Font(bold=True, color="C00000")
    inp = res.inputs
    frames = {"skoler": inp.skoler, "klasser": inp.klasser, "hypoteser": inp.hypoteser,
              "segmenter": inp.segmenter,
              "indstillinger": pd.DataFrame({c.SETTING: list(inp.settings), c.VALUE: list(inp.settings.values())})}
    for d in _SHARED_INPUTS:
        _input_sheet(wb, d, frames[d.key]).sheet_properties.tabColor = "FFC000"
    _print_setup(wb.worksheets)
    write_results(wb, res, shared=True)
    wb.properties.title = "Delt version – fraværsanalyse"
    wb.properties.creator = "tildeling"
    return wb

def share(path, out_path) -> Path:
    """Write the shareable copy of the absence workbook ``path`` to ``out_path`` (see :func:`shared_workbook`).

    The copy is computed from the workbook's input tables, like a run.
    """
    from ...io.atomic import check_target
    from ...io.files import WorkbookFile, open_workbook

    source = path if isinstance(path, WorkbookFile) else open_workbook(path)
    out = Path(out_path)
    if source.path.resolve() == out.resolve():
        raise InputError("Den delbare kopi skal gemmes i en anden fil end originalen.")
    check_target(out)
    data, name = source.data, source.name
    _require_absence_workbook(data, name)
    t = read_absence_tables(data, name)
    res = analyse(t.raw, t.first_rows, problems=t.problems)
    atomic_save(shared_workbook(res), out)
    return out
