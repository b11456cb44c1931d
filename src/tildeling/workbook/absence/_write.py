"""Writing helpers of the absence workbook (openpyxl): headers, frames, titles, banners, print setup."""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from . import contract as c


HEADER_FILL = PatternFill("solid", fgColor="1F4E78")

HEADER_FONT = Font(bold=True, color="FFFFFF")

TITLE_FONT = Font(bold=True, size=14, color="1F4E78")

NOTE_FONT = Font(italic=True, color="595959")

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")

BANNER_FILL = PatternFill("solid", fgColor="C00000")

BANNER_FONT = Font(bold=True, color="FFFFFF", size=12)

VERDICT_FILL = {c.CONFIRMED: PatternFill("solid", fgColor="C6EFCE"), c.REJECTED: PatternFill("solid", fgColor="FFC7CE"),
                c.UNRESOLVED: PatternFill("solid", fgColor="EDEDED")}

SUPPRESSED = "<5"

_NUMBER_FORMATS = {
    "share": "0.0%", "pct": "0.0", "pp": "+0.0;-0.0;0.0", "ratio": "0.00", "p": "0.0000", "int": "0", "days": "0.0",
}

def _clean(v):
    t = type(v)
    if t is str or t is int:
        return v
    if t is float:
        return None if v != v else v
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if isinstance(v, pd.Period):
        return str(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v

def _header(ws, row, col, names):
    for j, name in enumerate(names):
        cell = ws.cell(row=row, column=col + j, value=str(name))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if any(len(str(n)) > 14 for n in names):
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 45)

def _write_frame(ws, df: pd.DataFrame, row: int, col: int = 1, *, formats: dict | None = None,
                 table: str | None = None, header: bool = True) -> tuple[int, int]:
    """Write ``df`` with its header at (row, col); return (first data row, last data row)."""
    formats = formats or {}
    if header:
        _header(ws, row, col, df.columns)
    r0 = row + 1 if header else row
    values = df.to_numpy(dtype=object)
    fmts = [formats.get(name) for name in df.columns]
    fmts = [_NUMBER_FORMATS.get(f, f) if f else None for f in fmts]
    right = Alignment(horizontal="right")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            cell = ws.cell(row=r0 + i, column=col + j, value=_clean(v))
            if isinstance(v, str) and v == SUPPRESSED:
                cell.alignment = right
            if fmts[j]:
                cell.number_format = fmts[j]
    last = r0 + max(values.shape[0], 1) - 1
    if table:
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(df.columns) - 1)}{last}"
        t = Table(displayName=table, ref=ref)
        t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(t)
    return r0, last

TOTAL_LABEL = "I alt"


def _total_row(ws, row: int, values: list, formats: list | None = None) -> None:
    """An ``I alt`` row under a table (bold, a line above): ``values`` from column A on (A is the label)."""
    from openpyxl.styles import Border, Side

    line = Border(top=Side(style="thin"), bottom=Side(style="double"))
    for j, v in enumerate([TOTAL_LABEL, *values], start=1):
        cell = ws.cell(row=row, column=j, value=_clean(v))
        cell.font, cell.border = Font(bold=True), line
        if isinstance(v, str) and v == SUPPRESSED:
            cell.alignment = Alignment(horizontal="right")
        fmt = (formats or [None] * len(values))[j - 2] if j > 1 else None
        if fmt:
            cell.number_format = _NUMBER_FORMATS.get(fmt, fmt)


def _widths(ws, widths: dict):
    for col, w in widths.items():
        ws.column_dimensions[col].width = w

def _title(ws, text, note=None):
    ws["A1"] = text
    ws["A1"].font = TITLE_FONT
    if note:
        ws["A2"] = note
        ws["A2"].font = NOTE_FONT

def _banner(ws, row, ncols):
    ws.cell(row=row, column=1, value=c.PERSONAL_BANNER)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ncols, 8))
    cell = ws.cell(row=row, column=1)
    cell.fill, cell.font = BANNER_FILL, BANNER_FONT
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[row].height = 36

def _print_setup(sheets):
    """Landscape A4, one page wide (Hypotesetest: three, its label columns repeated), page numbers, and a print
    area on sheets without charts: the sheets print (and render to PDF) readably."""
    for ws in sheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 3 if ws.title == c.SHEET_HYPOTHESES else 1
        ws.page_setup.fitToHeight = 0
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.oddHeader.center.text = ws.title
        ws.oddFooter.right.text = "Side &P af &N"
        if not ws._charts and ws.max_row > 1 and ws.title not in (c.SHEET_DRILLDATA, c.SHEET_LISTS):
            ws.print_area = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def protect_result_sheet(ws, open_cells=()) -> None:
    """Protect a result sheet without a password (formulas and results locked); ``open_cells`` stay editable."""
    from openpyxl.styles import Protection

    for ref in open_cells:
        ws[ref].protection = Protection(locked=False)
    p = ws.protection
    p.sheet = True
    p.formatColumns = p.formatRows = p.formatCells = False
    p.selectLockedCells = p.selectUnlockedCells = False
