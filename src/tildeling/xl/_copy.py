"""Copy an openpyxl workbook (a rendering or a template) into a live workbook through xlwings' Book API.

Values, formulas, number formats, fills and bold copy on every engine; column widths, hidden sheets and
dropdowns where the engine can (not in xlwings Lite, see :func:`tildeling.xl._common.on_lite`). In Lite the
formulas go in with the values, as ``"=…"`` texts (one action per sheet instead of one per cell).
"""

from __future__ import annotations

from ._common import on_lite, runs as _runs, write_formulas

__all__ = ["plain", "copy_sheet", "copy_tables", "is_blank", "build_workbook"]

TABLE_STYLE = "TableStyleMedium2"


def plain(v):
    """numpy scalars as plain Python numbers (the remote engine's JSON wants them)."""
    import numpy as np

    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _is_formula(v) -> bool:
    return isinstance(v, str) and v.startswith("=")


def copy_sheet(xl_sheet, ws) -> None:
    """Values, formulas and the looks of openpyxl sheet ``ws`` into the live sheet ``xl_sheet``."""
    lite = on_lite()
    nrow, ncol = ws.max_row, ws.max_column
    grid = [[cell for cell in row] for row in ws.iter_rows(min_row=1, max_row=nrow, max_col=ncol)]
    values = [[(cell.value if lite else None) if _is_formula(cell.value) else plain(cell.value) for cell in row]
              for row in grid]
    if values:
        xl_sheet.range((1, 1)).value = values
    if not lite:
        for row in grid:
            for cell in row:
                if _is_formula(cell.value):
                    write_formulas(xl_sheet.range(cell.coordinate), cell.value)
    for j in range(ncol):
        fmts = [grid[i][j].number_format for i in range(nrow)]
        for s, e, fmt in _runs(fmts):
            if fmt and fmt != "General":
                xl_sheet.range((s + 1, j + 1), (e, j + 1)).number_format = fmt
    for i in range(nrow):
        fills = [(grid[i][j].fill.fgColor.rgb if grid[i][j].fill and grid[i][j].fill.fill_type == "solid" else None)
                 for j in range(ncol)]
        for s, e, rgb in _runs(fills):
            if isinstance(rgb, str) and len(rgb) >= 6:
                xl_sheet.range((i + 1, s + 1), (i + 1, e)).color = "#" + rgb[-6:]
        bold = [bool(grid[i][j].font and grid[i][j].font.bold) for j in range(ncol)]
        for s, e, b in _runs(bold):
            if b:
                xl_sheet.range((i + 1, s + 1), (i + 1, e)).font.bold = True
    for letter, dim in ([] if lite else ws.column_dimensions.items()):  # Lite: no column widths
        if dim.width:
            try:
                xl_sheet.range(f"{letter}:{letter}").column_width = dim.width
            except Exception:  # noqa: BLE001 - cosmetic
                pass


def copy_tables(xl_sheet, ws) -> None:
    """The Excel Tables of ``ws`` (same names and ranges) on the live sheet; in Lite, columns fitted to them."""
    for name, ref in ws.tables.items():
        style = ws.tables[name].tableStyleInfo
        xl_sheet.tables.add(source=xl_sheet.range(ref), name=name,
                            table_style_name=(style.name if style is not None and style.name else TABLE_STYLE))
        if on_lite():  # no column widths in Lite: fit the columns to the table instead
            xl_sheet.range(ref).columns.autofit()


def is_blank(book) -> bool:
    """True for a workbook with nothing in it: no values, no tables, no defined names (a new, empty workbook)."""
    try:
        if list(book.names):
            return False
        for sheet in book.sheets:
            if list(sheet.tables):
                return False
            values = sheet.used_range.value
            flat = values if isinstance(values, list) else [values]
            flat = [v for row in flat for v in (row if isinstance(row, list) else [row])]
            if any(v not in (None, "") for v in flat):
                return False
    except Exception:  # noqa: BLE001 - anything unreadable counts as not blank: never overwrite
        return False
    return True


def build_workbook(book, wb) -> list[str]:
    """Build openpyxl workbook ``wb`` (a template) into the blank live workbook ``book``.

    Every sheet (values, formulas, formats, tables), every defined name; dropdowns and hidden sheets where
    the engine can. The blank sheets it had are removed at the end. Returns the sheet names of ``wb``
    whose data validation (dropdowns, number limits) could not be added here (only lists can be, and not in
    xlwings Lite).
    """
    old = [s.name for s in book.sheets]
    taken = set(old)
    for ws in wb.worksheets:
        name = ws.title
        if name in taken:  # a blank "Ark1" that happens to share a name: rename the blank one first
            book.sheets[name].name = f"{name}_"
            old[old.index(name)] = f"{name}_"
        xl_sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        copy_sheet(xl_sheet, ws)
        copy_tables(xl_sheet, ws)
    for name in old:
        book.sheets[name].delete()
    for name, dn in wb.defined_names.items():
        book.names.add(name, "=" + dn.attr_text)
    no_dropdowns = []
    for ws in wb.worksheets:
        validations = list(ws.data_validations.dataValidation)
        lists = [dv for dv in validations if dv.type == "list" and dv.formula1]
        if validations and (len(lists) < len(validations) or not _add_validations(book.sheets[ws.title], lists)):
            no_dropdowns.append(ws.title)
        if ws.sheet_state != "visible" and not on_lite():
            try:
                book.sheets[ws.title].visible = False
            except Exception:  # noqa: BLE001 - cosmetic
                pass
    try:
        book.sheets[wb.worksheets[0].title].activate()
    except Exception:  # noqa: BLE001 - cosmetic
        pass
    return no_dropdowns


def _add_validations(xl_sheet, validations) -> bool:
    """Dropdown lists through xlwings' data-validation API; False where the engine has none (Lite, VBA client)."""
    if on_lite():
        return False
    try:
        for dv in validations:
            for rng in str(dv.sqref).split():
                xl_sheet.range(rng).data_validation.set_list(_list_source(xl_sheet.book, dv.formula1))
    except Exception:  # noqa: BLE001 - NotImplementedError on the remote engine's VBA client
        return False
    return True


def _list_source(book, formula: str):
    """A defined name as xlwings' Name object, a literal list ``"a,b"`` as a list of strings."""
    text = formula.lstrip("=")
    if text.startswith('"') and text.endswith('"'):
        return [part.strip() for part in text.strip('"').split(",")]
    return book.names[text]
