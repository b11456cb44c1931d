"""Read the Excel Tables and defined names of a workbook package (fast: python-calamine).

Shared by the need-model and the absence workbooks: the file is never changed,
Excel error values inside a table are reported with sheet, column and rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree
from openpyxl.utils import column_index_from_string, range_boundaries

from ..errors import InputError, Source
from .graft import NS, _Package

__all__ = ["WorkbookTables", "read_tables", "defined_names", "error_value_error", "table_frame", "error_cells",
           "resolve_name"]


@dataclass
class WorkbookTables:
    """The Excel Tables of a workbook as DataFrames, with Sources for messages."""

    name: str
    frames: dict[str, pd.DataFrame]
    sources: dict[str, Source]
    sheets: dict[str, str]            # table → sheet
    names: dict[str, object]          # defined names → value
    sheet_names: list[str]

    def require(self, table: str, sheet: str) -> pd.DataFrame:
        if table not in self.frames:
            if sheet not in self.sheet_names:
                raise InputError(f"Projektmappen {self.name} mangler arket '{sheet}' (med tabellen {table}). "
                                 "Lav en ny projektmappe med 'tildeling new', og kopiér dine data over.")
            raise InputError(f"Arket '{sheet}' mangler tabellen {table}. Gør området til en tabel (Ctrl+T) og "
                             f"giv den navnet {table} (Tabeldesign → Tabelnavn).")
        return self.frames[table]


def defined_names(pkg: _Package) -> dict[str, str]:
    wb = etree.fromstring(pkg.parts[pkg.workbook_part])
    out = {}
    dn = wb.find("m:definedNames", NS)
    if dn is not None:
        for d in dn:
            if d.get("localSheetId") is None and d.text:
                out[d.get("name")] = d.text
    return out


_REF = re.compile(r"^'?(?P<sheet>[^'!]+(?:''[^'!]*)*)'?!\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)$")


def resolve_name(text: str, cell) -> object:
    """The value of a defined name's formula; ``cell(sheet, row, col)`` (1-based) reads a referenced cell."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:].strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    m = _REF.match(text)
    if not m:
        try:
            return float(text)
        except ValueError:
            return text
    sheet = m.group("sheet").replace("''", "'")
    return cell(sheet, int(m.group("row")), column_index_from_string(m.group("col")))


def _calamine_cells(wb):
    grids: dict = {}

    def cell(sheet: str, row: int, col: int):
        if sheet not in grids:
            if sheet not in wb.sheet_names:
                return None
            grids[sheet] = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        grid = grids[sheet]
        if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return None

    return cell


def error_value_error(text: str, source: Source, column: str | None, rows) -> InputError:
    """The message for Excel error values (#DIV/0! …) inside an input table (files and live Excel)."""
    return InputError(f"fejlværdien '{text}' – ret formlen eller skriv en værdi.", source=source, column=column,
                      rows=rows)


def error_cells(pkg: _Package, sheet_part: str, ref: str) -> list[tuple[int, int, str]]:
    """(row, col, error text) of cells with an Excel error value inside ``ref``."""
    data = pkg.parts.get(sheet_part, b"")
    if b't="e"' not in data:
        return []
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    out = []
    for m in re.finditer(rb'<c r="([A-Z]+)(\d+)"([^>]*)>(.*?)</c>', data, re.S):
        if b't="e"' not in m.group(3):
            continue
        col, row = column_index_from_string(m.group(1).decode()), int(m.group(2))
        if min_col <= col <= max_col and min_row < row <= max_row:
            v = re.search(rb"<v>([^<]*)</v>", m.group(4))
            out.append((row, col, v.group(1).decode() if v else "#FEJL"))
    return out


def table_frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """A table body as a DataFrame: empty strings become missing, blank rows at the end are dropped."""
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    frame = frame.replace({"": None}) if len(frame) else frame
    if len(frame):
        filled = frame.notna().any(axis=1).to_numpy()
        last = np.flatnonzero(filled)
        frame = frame.iloc[: (last[-1] + 1 if len(last) else 0)]
    return frame


def read_tables(data: bytes, name: str = "projektmappen") -> WorkbookTables:
    """Every Excel Table of the package as a DataFrame (blank trailing rows dropped)."""
    from python_calamine import CalamineWorkbook

    try:
        pkg = _Package(data)
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{name} er ikke en gyldig Excel-projektmappe (.xlsx): {exc}") from exc
    sheet_parts = pkg.sheets()
    table_refs = {}
    for sheet, part in sheet_parts.items():
        for t in pkg.related(part):
            if "/tables/" in t:
                root = etree.fromstring(pkg.parts[t])
                table_refs[root.get("displayName")] = (sheet, root.get("ref"), part)
    frames, sources, sheets = {}, {}, {}
    for tname in wb.table_names:
        t = wb.get_table_by_name(tname)
        cols = [str(x).strip() for x in t.columns]
        frame = table_frame(t.to_python(), cols)
        first_row = t.start[0] + 1
        src = Source(f"Arket '{t.sheet}' (tabellen {tname})", first_row=first_row)
        if tname in table_refs:
            sheet, ref, part = table_refs[tname]
            errors = error_cells(pkg, part, ref)
            if errors:
                min_col = range_boundaries(ref)[0]
                row, col, text = errors[0]
                column = cols[col - min_col] if 0 <= col - min_col < len(cols) else None
                rows_with = [r for r, cc, _ in errors if cc == col]
                raise error_value_error(text, src, column, rows_with)
        frames[tname], sources[tname], sheets[tname] = frame, src, t.sheet
    cell = _calamine_cells(wb)
    names = {k: resolve_name(v, cell) for k, v in defined_names(pkg).items()}
    return WorkbookTables(name, frames, sources, sheets, names, list(wb.sheet_names))
