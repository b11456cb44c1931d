"""The shareable copy of an absence workbook: a *new* workbook rendered from the results."""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font

from ... import danish as dk
from ...absence.analysis import AbsenceResult, analyse
from ...errors import InputError
from ...privacy import check_threshold
from ..audit import save_cleared
from . import contract as c
from ._write import _print_setup
from .reader import _require_absence_workbook, read_absence_tables
from .sheets import legend, shared_tables, write_results
from .template import _guide, _input_sheet

__all__ = ["shared_workbook", "share"]


#: Input sheets without pupil rows: the shared copy shows them (from the validated tables).
_SHARED_INPUTS = (c.SKOLER, c.KLASSER, c.HYPOTESER, c.SEGMENTER, c.INDSTILLINGER)


def _input_frames(res: AbsenceResult) -> dict[str, pd.DataFrame]:
    inp = res.inputs
    frames = {"skoler": inp.skoler, "klasser": inp.klasser, "hypoteser": inp.hypoteser,
              "segmenter": inp.segmenter,
              "indstillinger": pd.DataFrame({c.SETTING: list(inp.settings), c.VALUE: list(inp.settings.values())})}
    return {d.table: frames[d.key][list(d.columns)].astype(object).reset_index(drop=True) for d in _SHARED_INPUTS}


def shared_workbook(res: AbsenceResult, threshold: int | None = None) -> openpyxl.Workbook:
    """The shareable workbook: a *new* workbook rendered from ``res``.

    Nothing of the original package is copied, so no pupil row, pseudonym,
    hidden sheet, shared string or cache of the original can travel along. Left
    out: the caseworker list, the unmatched list and every input sheet with pupil
    rows (Elever, Fravær, Social, Familie, Sprog). Every table – results, drill-down
    data and the input tables shown – is suppressed together
    (:func:`~tildeling.workbook.absence.sheets.shared_tables`): counts of 1 … N−1 as
    ``<N``, what is computed from them left out, and secondary cells ``..`` so that
    nothing can be worked out across levels and tables. ``threshold`` (3–10)
    overrides the workbook's setting.
    """
    if threshold is not None:
        res.inputs.settings[c.SET_MIN_CELL] = check_threshold(threshold, where="--min-celle")
    n = res.threshold
    tables, _ = shared_tables(res, n, inputs=_input_frames(res))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = c.SHEET_GUIDE
    _guide(ws, n)
    removed = [*c.PERSONAL_SHEETS, *c.PUPIL_LEVEL_SHEETS]
    ws.insert_rows(2)
    ws["A2"] = (f"DELBAR KOPI lavet {dk.long_date(_dt.date.today())}: uden elevrækker og personoplysninger "
                f"(fjernet: {', '.join(removed)}). Analysen kan ikke køres igen fra denne kopi. "
                f"Kontrolleret for små tal med grænsen {n}. {legend(n)}")
    ws["A2"].font = Font(bold=True, color="C00000")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 45
    for d in _SHARED_INPUTS:
        _input_sheet(wb, d, tables[d.table]).sheet_properties.tabColor = "FFC000"
    _print_setup(wb.worksheets)
    write_results(wb, res, shared=True, tables=tables)
    wb.properties.title = "Delt version – fraværsanalyse"
    wb.properties.creator = "tildeling"
    return wb


def share(path, out_path, *, threshold=None) -> Path:
    """Write the shareable copy of the absence workbook ``path`` to ``out_path`` (see :func:`shared_workbook`).

    The copy is computed from the workbook's input tables, like a run, rendered, audited by the
    disclosure checker (tables, texts, package, pseudonyms) and only then saved: if the audit finds
    anything, nothing is written.
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
    wb = shared_workbook(res, threshold)
    buf = io.BytesIO()
    wb.save(buf)
    ids = list(res.inputs.elever[c.PUPIL]) + list(res.linked.unmatched[c.PUPIL])
    save_cleared(out, buf.getvalue(), threshold=res.threshold, pupil_ids=ids)
    return out
