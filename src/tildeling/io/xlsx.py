"""Coefficient workbook (.xlsx): sheets ``Koefficienter`` and ``Metadata``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Source
from .atomic import atomic_save

__all__ = ["write_coefficient_workbook", "read_coefficient_workbook", "COEF_SHEET", "META_SHEET"]

COEF_SHEET = "Koefficienter"
META_SHEET = "Metadata"


def _clean(v):
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_coefficient_workbook(coefs, path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.table import Table, TableStyleInfo
    from openpyxl.utils import get_column_letter

    frame = coefs.to_frame()
    wb = Workbook()
    ws = wb.active
    ws.title = COEF_SHEET
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([_clean(v) for v in row])
    ref = f"A1:{get_column_letter(frame.shape[1])}{len(frame) + 1}"
    tab = Table(displayName="tblKoefficienter", ref=ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(tab)
    ws.freeze_panes = "C2"
    for j, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(str(name)) + 4))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 26
    meta = wb.create_sheet(META_SHEET)
    meta.append(["Nøgle", "Værdi"])
    meta["A1"].font = meta["B1"].font = Font(bold=True)
    for k, v in coefs.metadata.items():
        meta.append([str(k), str(v)])
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 60
    atomic_save(wb, path)


def read_coefficient_workbook(path):
    from python_calamine import CalamineWorkbook

    from ..model.coefficients import CoefficientTable

    path = Path(path)
    wb = CalamineWorkbook.from_path(str(path))
    if COEF_SHEET not in wb.sheet_names:
        raise InputError(f"Filen {path.name} har intet ark '{COEF_SHEET}'.")
    rows = wb.get_sheet_by_name(COEF_SHEET).to_python(skip_empty_area=False)
    frame = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
    meta = {}
    if META_SHEET in wb.sheet_names:
        for r in wb.get_sheet_by_name(META_SHEET).to_python()[1:]:
            if r and r[0] not in ("", None):
                meta[str(r[0])] = "" if r[1] is None else str(r[1])
    return CoefficientTable.from_frame(frame, meta, Source(f"Arket '{COEF_SHEET}' i {path.name}"))
