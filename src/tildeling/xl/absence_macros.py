"""xlwings macros for the absence analysis (ribbon: "Ny fraværsanalyse", "Kør fraværsanalyse").

Each macro resolves the calling workbook, reads, calls the core, writes, and
shows problems as a Danish message box – never a traceback. The layout of the
result sheets is the one :mod:`tildeling.workbook.absence` renders; this module
only copies that rendering into the live workbook through xlwings (values,
formulas, number formats, colours, column widths, defined names). Charts and the
drill-down dropdowns need desktop Excel; they are added best-effort and skipped
where the engine cannot (xlwings' remote engine).

Nothing is written before the whole analysis has succeeded, and input sheets are
never touched: only the result sheets are replaced.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..workbook.absence import contract as c
from ..errors import TildelingError
from . import _common
from ._common import on_lite, unique_path as _unique_path, runs as _runs, status as _status, write_formulas

__all__ = ["new_absence_workbook", "run_absence_analysis", "read_tables"]

TITLE = "Fraværsanalyse"


def _alert(book, text, mode="info") -> None:
    _common.alert(book, text, TITLE, mode)


_macro = _common.macro(TITLE, lambda exc: (
    f"Der skete en uventet fejl ({type(exc).__name__}: {exc}). Intet er ændret i input-arkene. Prøv igen, "
    "eller kør 'tildeling absence' på kommandolinjen for at se mere."))


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------
def read_tables(book) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The input tables of the live workbook as raw DataFrames (+ first data row per table)."""
    found = {}
    for sheet in book.sheets:
        for t in sheet.tables:
            found[t.name] = t
    raw, first_rows = {}, {}
    for d in c.INPUT_DOMAINS:
        t = found.get(d.table)
        if t is None:
            if d.key == "indstillinger":
                continue
            raise TildelingError(f"Tabellen {d.table} (arket '{d.sheet}') findes ikke. Brug en projektmappe lavet "
                                 "med 'Ny fraværsanalyse', og lad tabellerne blive stående.")
        values = t.range.options(err_to_str=True).value   # #REF! … as text: the validation names them
        if not isinstance(values, list) or not values or not isinstance(values[0], list):
            values = [values] if isinstance(values, list) else [[values]]
        header = [str(h).strip() if h is not None else "" for h in values[0]]
        body = [[None if (isinstance(v, str) and v == "") else v for v in row] for row in values[1:]]
        raw[d.key] = pd.DataFrame(body, columns=header, dtype=object)
        first_rows[d.key] = t.header_row_range.row + 1
    return raw, first_rows


# ------------------------------------------------------------------------------------------------
# Writing: copy the openpyxl rendering into the live book
# ------------------------------------------------------------------------------------------------
from ._copy import copy_sheet as _copy_sheet, plain as _plain  # noqa: E402,F401 - shared with the templates

_CHART_TYPES = {("bar", "percentStacked"): "bar_stacked_100", ("col", "clustered"): "column_clustered",
                ("col", "standard"): "column_clustered"}


def _anchor_cell(ch) -> tuple[int, int]:
    """The chart's top-left cell (row, column), 1-based: openpyxl keeps ``"L4"`` until the file is written."""
    from openpyxl.utils.cell import coordinate_to_tuple

    if isinstance(ch.anchor, str):
        return coordinate_to_tuple(ch.anchor)
    return ch.anchor._from.row + 1, ch.anchor._from.col + 1


def _chart_title(ch) -> str:
    try:
        return "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or []))
    except Exception:  # noqa: BLE001 - an untitled chart
        return "diagram"


def _add_charts(xl_sheet, ws) -> None:
    """Best effort: native charts in desktop Excel; skipped where xlwings cannot add charts.

    In xlwings Lite a Danish note stands in the chart's top-left cell instead.
    """
    if on_lite():
        from .render import chart_note

        for ch in getattr(ws, "_charts", []):
            refs = [s.val.numRef.f for s in ch.series if s.val is not None and s.val.numRef is not None]
            where = refs[0].split("!")[-1].replace("$", "") if refs else "ovenfor"
            xl_sheet.range(_anchor_cell(ch)).value = chart_note(_chart_title(ch), where)
        return
    for ch in getattr(ws, "_charts", []):
        try:
            refs = []
            for s in ch.series:
                if s.val is not None and s.val.numRef is not None:
                    refs.append(s.val.numRef.f.split("!")[-1].replace("$", ""))
            if not refs:
                continue
            kind = "line" if ch.tagname == "lineChart" else _CHART_TYPES.get(
                (getattr(ch, "type", "col"), getattr(ch, "grouping", "clustered")), "column_clustered")
            cell = xl_sheet.range(_anchor_cell(ch))
            chart = xl_sheet.charts.add(left=cell.left, top=cell.top, width=ch.width * 28, height=ch.height * 28)
            chart.chart_type = kind
            chart.set_source_data(xl_sheet.range(",".join(refs)))
        except Exception:  # noqa: BLE001 - remote engine / Mac differences: the numbers are there anyway
            continue


def _add_validation(xl_sheet, address, list_name) -> None:
    try:
        v = xl_sheet.range(address).api.Validation
        v.Delete()
        v.Add(3, 1, 1, f"={list_name}")  # xlValidateList, xlValidAlertStop, xlBetween
    except Exception:  # noqa: BLE001 - not available on the remote engine / macOS
        pass


def _set_name(book, name, refers_to) -> None:
    try:
        if name in [n.name for n in book.names]:
            book.names[name].delete()
    except Exception:  # noqa: BLE001
        pass
    book.names.add(name, refers_to)


def _render(book, res) -> None:
    import openpyxl

    from ..workbook.absence import write_results

    wb = openpyxl.Workbook()
    write_results(wb, res)
    order = [n for n in wb.sheetnames if n in c.RESULT_SHEETS]
    existing = [s.name for s in book.sheets]
    for name in order:
        if name in existing:
            book.sheets[name].delete()
    for k, name in enumerate(order):
        _status(book, f"{TITLE}: skriver arket '{name}' ({k + 1} af {len(order)}) …")
        xl_sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        _copy_sheet(xl_sheet, wb[name])
        if on_lite() and wb[name].max_row >= 3:  # no column widths in Lite: fit the columns below the titles
            xl_sheet.range((3, 1), (wb[name].max_row, wb[name].max_column)).columns.autofit()
        _add_charts(xl_sheet, wb[name])
        if name == c.SHEET_LISTS and not on_lite():  # Lite cannot hide a sheet
            try:
                xl_sheet.visible = False
            except Exception:  # noqa: BLE001
                pass
    for name, col in (("lstSkoler", "A"), ("lstKlassetrin", "B"), ("lstFaktorer", "C"), ("lstRetninger", "D")):
        _set_name(book, name, f"=OFFSET('{c.SHEET_LISTS}'!${col}$2,0,0,COUNTA('{c.SHEET_LISTS}'!${col}:${col})-1,1)")
    _set_name(book, c.MODELTYPE_NAME, f'="{c.MODELTYPE_VALUE}"')
    drill = book.sheets[c.SHEET_DRILL]
    for address, lst in (("B4", "lstSkoler"), ("B5", "lstKlassetrin"), ("B6", "lstFaktorer")):
        _add_validation(drill, address, lst)
    try:
        book.sheets[c.SHEET_OVERVIEW].activate()
    except Exception:  # noqa: BLE001
        pass


# ------------------------------------------------------------------------------------------------
# Macros
# ------------------------------------------------------------------------------------------------
@_macro
def run_absence_analysis(book):
    """Kør fraværsanalyse: read the input tables, analyse, replace the result sheets."""
    from ..absence.analysis import analyse

    _status(book, f"{TITLE}: læser tabellerne …")
    raw, first_rows = read_tables(book)
    _status(book, f"{TITLE}: kobler og analyserer …")
    res = analyse(raw, first_rows)       # compute first …
    _render(book, res)                   # … write last
    v = res.hypotheses["Vurdering"].value_counts()
    _alert(book, f"Fraværsanalysen er færdig. Hypoteser: {v.get(c.CONFIRMED, 0)} bekræftet, "
                 f"{v.get(c.REJECTED, 0)} afkræftet, {v.get(c.UNRESOLVED, 0)} ikke afklaret. "
                 f"Arket '{c.SHEET_CASEWORKER}' indeholder personoplysninger – del kun en delbar kopi.")
    return res


@_macro
def new_absence_workbook(book):
    """Ny fraværsanalyse: save a new absence workbook from the template and open it."""
    from ..workbook.absence import build_template, new_template

    if on_lite():
        from .macros import template_into_book

        _alert(book, template_into_book(
            book, build_template(), kind="fraværsanalyse", button="Ny fraværsanalyse",
            next_step="Indsæt data i tabellerne, og kør Kør fraværsanalyse.", check="Kør fraværsanalyse"))
        return book.name

    folder = None
    try:
        full = Path(book.fullname)
        if full.parent.is_dir() and str(full.parent) not in ("", "."):
            folder = full.parent
    except Exception:  # noqa: BLE001 - unsaved or remote book
        folder = None
    if folder is None:
        docs = Path.home() / "Documents"
        folder = docs if docs.is_dir() else Path.home()
    path = _unique_path(folder, "Fraværsanalyse")
    new_template(path)
    try:
        book.app.books.open(str(path))
    except Exception:  # noqa: BLE001 - the remote engine cannot open files
        _alert(book, f"En ny fraværsanalyse er gemt som {path}. Åbn den i Excel.")
        return path
    return path
