"""Render :mod:`tildeling.workbook.layout` sheets into a live workbook through xlwings.

The sibling of :mod:`tildeling.workbook.render_xlsx`: the same blocks (Text,
TableBlock, Chart) at the same cells, written through xlwings' ``Book`` API so
that it works in desktop Excel and on xlwings' remote engine alike. Values are
written one block at a time; formulas one column at a time (the budget columns
stay live formulas on ``SamletBudget``); Excel Tables get their contract names.

Cosmetics that an engine cannot do (colours on some engines, native charts on
the remote engine) are skipped silently: the numbers are there anyway.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from ..workbook import contract as c
from ._common import runs as _runs
from ..workbook.layout import Chart, Sheet, TableBlock, Text, cell_value

__all__ = ["render_sheets", "replace_sheet", "delete_sheet", "coefficient_sheet"]

HEADER_FILL = "#1F4E78"
HEADER_FONT = "#FFFFFF"
HELPER_FONT = "#808080"
PERSONAL_FILL = "#C00000"
TABLE_STYLE = "TableStyleMedium2"
#: Text style → (bold, colour, size)
TEXT_STYLES = {
    "title": (True, "#1F4E78", 14),
    "subtitle": (True, "#1F4E78", 11),
    "normal": (False, None, None),
    "note": (False, "#595959", 10),
    "warning": (True, "#C00000", None),
    "personal": (True, "#FFFFFF", 12),
}
_CM = 28.35  # points per centimetre


def _cosmetic(fn, *args) -> None:
    """Run a purely visual step; skip it where the engine cannot (remote engine, macOS differences)."""
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - NotImplementedError on the remote engine; formatting never stops a run
        pass


def _sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def delete_sheet(book, name: str) -> int | None:
    """Delete sheet ``name`` if it exists; return its former 0-based position."""
    names = _sheet_names(book)
    if name not in names:
        return None
    book.sheets[name].delete()
    return names.index(name)


def replace_sheet(book, name: str, position: int | None = None):
    """A fresh, empty sheet ``name`` at ``position`` (default: where it was, else last)."""
    old = delete_sheet(book, name)
    pos = old if position is None else position
    n = len(book.sheets)
    if pos is None or pos >= n:
        pos = n
    if pos == 0:
        return book.sheets.add(name, before=book.sheets[0])
    # 'after' the previous sheet: the remote engine places 'before=' one position too early
    return book.sheets.add(name, after=book.sheets[pos - 1])


def _font(rng, bold=None, color=None, size=None, italic=None) -> None:
    if bold:
        rng.font.bold = True
    if italic:
        _cosmetic(setattr, rng.font, "italic", True)
    if color:
        _cosmetic(setattr, rng.font, "color", color)
    if size:
        _cosmetic(setattr, rng.font, "size", size)


def _render_text(ws, block: Text) -> None:
    row = block.__dict__["row"]
    cell = ws.range((row, 1))
    cell.value = block.text
    bold, color, size = TEXT_STYLES.get(block.style, TEXT_STYLES["normal"])
    _font(cell, bold=bold, color=color, size=size)
    if block.style == "personal":
        _cosmetic(setattr, cell, "color", PERSONAL_FILL)
    if block.formula:
        fc = ws.range((row, 3))
        fc.formula = block.formula
        fc.font.bold = True
        if block.formula_format:
            fc.number_format = block.formula_format


def _render_table(ws, b: TableBlock, widths: dict) -> None:
    if b.title:
        title = ws.range((b.__dict__["title_row"], b.left))
        title.value = b.title
        _font(title, *TEXT_STYLES["subtitle"])
    cols = [str(x) for x in b.frame.columns]
    ncol = len(cols)
    header = ws.range((b.top, b.left), (b.top, b.left + ncol - 1))
    header.value = [cols]
    header.font.bold = True
    _cosmetic(setattr, header, "color", HEADER_FILL)
    _font(header, color=HEADER_FONT)
    _cosmetic(setattr, header, "wrap_text", True)
    for j, name in enumerate(cols):
        letter = get_column_letter(b.left + j)
        w = b.widths.get(name, max(10.0, min(22.0, len(name) * 0.9 + 2)))
        widths[letter] = max(widths.get(letter, 0), w)

    n = len(b.frame)
    if n:
        values = b.frame.to_numpy(dtype=object)
        body = [[cell_value(values[i, j]) for j in range(ncol)] for i in range(n)]
        ws.range((b.first_row, b.left), (b.last_row, b.left + ncol - 1)).value = body
        for j, name in enumerate(b.frame.columns):
            column = ws.range((b.first_row, b.left + j), (b.last_row, b.left + j))
            if name in b.formulas:
                column.formula = [[b.formula(name, i)] for i in range(n)]
            if name in b.row_formats:
                for s, e, fmt in _runs(list(b.row_formats[name])):
                    if fmt:
                        ws.range((b.first_row + s, b.left + j), (b.first_row + e - 1, b.left + j)).number_format = fmt
            elif b.formats.get(name):
                column.number_format = b.formats[name]
            if name in b.helper_columns:
                _font(column, color=HELPER_FONT, italic=True)
    ws.tables.add(source=ws.range(b.ref), name=b.name, table_style_name=TABLE_STYLE)


def _add_chart(ws, ch: Chart, b: TableBlock) -> None:
    """A native clustered column chart of table ``b`` (desktop Excel; skipped where unsupported)."""
    names = (ch.categories, *ch.series)
    idx = [list(b.frame.columns).index(name) for name in names]
    if idx == list(range(idx[0], idx[0] + len(idx))):  # one block: every engine can take it
        areas = [f"{b.letter(names[0])}{b.top}:{b.letter(names[-1])}{b.last_row}"]
    else:  # several areas: desktop Excel
        areas = [f"{b.letter(name)}{b.top}:{b.letter(name)}{b.last_row}" for name in names]
    chart = ws.charts.add(anchor=ws.range(ch.anchor), width=ch.width_cm * _CM, height=ch.height_cm * _CM,
                          chart_type="column_clustered")
    chart.set_source_data(ws.range(",".join(areas)))


def _tab_color(ws, rgb: str) -> None:
    """Desktop Excel only (Windows COM: a BGR integer); skipped elsewhere."""
    api = ws.api
    if isinstance(api, dict):  # remote engine
        return
    r, g, b = int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16)
    api.Tab.Color = r + (g << 8) + (b << 16)


def render_sheet(book, sheet: Sheet, position: int | None = None):
    """Replace (or add) one layout sheet in ``book``; return the xlwings sheet."""
    ws = replace_sheet(book, sheet.name, position)
    tables: dict[str, TableBlock] = {}
    widths: dict[str, float] = {}
    for block in sheet.blocks:
        if isinstance(block, Text):
            _render_text(ws, block)
        elif isinstance(block, TableBlock):
            _render_table(ws, block, widths)
            tables[block.name] = block
    for letter, w in widths.items():
        _cosmetic(setattr, ws.range(f"{letter}:{letter}"), "column_width", w)
    for block in sheet.blocks:
        if isinstance(block, Chart) and block.table in tables:
            try:
                _add_chart(ws, block, tables[block.table])
            except Exception:  # noqa: BLE001 - no native charts on this engine: the tables carry the numbers
                pass
    if sheet.tab_color:
        _cosmetic(_tab_color, ws, sheet.tab_color)
    return ws


def render_sheets(book, sheets: list[Sheet], progress=None) -> None:
    """Replace the given output sheets, keeping each where it was (new ones go last)."""
    say = progress or (lambda m: None)
    for k, sheet in enumerate(sheets):
        say(f"Skriver arket '{sheet.name}' ({k + 1} af {len(sheets)}) …")
        render_sheet(book, sheet)


def coefficient_sheet(coefs, *, title: str, note: str) -> Sheet:
    """The Koefficienter input sheet as layout data: tblKoefficienter and, beside it, tblModelinfo.

    Same cells as the template (title in A1, note in A2, tables from row 3), so
    the file reader and the template's freeze panes keep working.
    """
    import pandas as pd

    from ..workbook.template import TABLE_TOP

    frame = coefs.to_frame()
    meta = pd.DataFrame({"Nøgle": [str(k) for k in coefs.metadata.keys()],
                         "Værdi": [str(v) for v in coefs.metadata.values()]})
    t = Text(title, "title")
    t.__dict__["row"] = 1
    nt = Text(note, "note")
    nt.__dict__["row"] = 2
    coef_block = TableBlock(c.TBL_COEFS, frame, {"Relativ vægt": "0.0%", "Relativ vægt (variabel i alt)": "0.0%",
                                                 "P-værdi": "0.0000"}, widths={"Variabel": 22, "Kategori": 26})
    coef_block.top, coef_block.left = TABLE_TOP, 1
    info_block = TableBlock(c.TBL_MODEL_INFO, meta, widths={"Nøgle": 30, "Værdi": 60})
    info_block.top, info_block.left = TABLE_TOP, frame.shape[1] + 2
    return Sheet(c.SHEET_COEFS, [t, nt, coef_block, info_block], tab_color="FFC000")
