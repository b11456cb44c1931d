"""Render :mod:`layout` sheets with openpyxl."""

from __future__ import annotations

import textwrap

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo

from .layout import Chart, Sheet, TableBlock, Text, cell_value, resolve

__all__ = ["render_sheets", "STYLES", "INPUT_FILL", "PERSONAL_FILL", "BANNER_COLUMNS", "RESULT_TAB", "protect_sheet",
           "print_setup", "page_setup"]

#: Tab colour of result sheets (blue); input sheets are yellow, the guide green.
RESULT_TAB = "2E75B6"
UNLOCKED = Protection(locked=False)
RIGHT = Alignment(horizontal="right")
TOTAL_FONT = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin", color="1F4E78"))

RIGHT = Alignment(horizontal="right")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")      # input cells: light yellow
HELPER_FONT = Font(color="808080", italic=True)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")   # explicit, so viewers without table styles show it
HEADER_FONT = Font(bold=True, color="FFFFFF")
STYLES = {
    "title": Font(size=14, bold=True, color="1F4E78"),
    "subtitle": Font(size=11, bold=True, color="1F4E78"),
    "normal": Font(size=11),
    "note": Font(size=10, italic=True, color="595959"),
    "warning": Font(size=11, bold=True, color="C00000"),
    "personal": Font(size=12, bold=True, color="FFFFFF"),
    "banner": Font(size=12, bold=True, color="FFFFFF"),
}
PERSONAL_FILL = PatternFill("solid", fgColor="C00000")
#: A banner (white on red, e.g. the demonstration warning) covers this many columns; the text runs over them.
BANNER_COLUMNS = 8


def render_sheets(wb, sheets: list[Sheet]) -> dict[tuple[str, str], object]:
    """Add each sheet to ``wb``; return the cached values of formula cells by (sheet, cell)."""
    cached: dict[tuple[str, str], object] = {}
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        tables: dict[str, TableBlock] = {}
        widths: dict[str, float] = {}
        for block in sheet.blocks:
            if isinstance(block, Text):
                row = block.row
                live = resolve(block.text_formula, sheet)
                cell = ws.cell(row=row, column=1, value=live or block.text)
                if live:
                    cached[(sheet.name, cell.coordinate)] = block.text
                cell.font = STYLES.get(block.style, STYLES["normal"])
                if block.style == "personal":
                    cell.fill = PERSONAL_FILL
                if block.style == "banner":
                    for j in range(1, BANNER_COLUMNS + 1):
                        ws.cell(row=row, column=j).fill = PERSONAL_FILL
                if block.formula:
                    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
                    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=5)
                    fc = ws.cell(row=row, column=3, value=resolve(block.formula, sheet))
                    fc.font = Font(bold=True)
                    if block.formula_format:
                        fc.number_format = block.formula_format
                    cached[(sheet.name, fc.coordinate)] = block.value
            elif isinstance(block, TableBlock):
                _render_table(ws, sheet.name, block, cached, widths)
                tables[block.name] = block
        for block in sheet.blocks:
            if isinstance(block, Chart):
                _add_chart(ws, block, tables[block.table])
        for letter, w in widths.items():
            ws.column_dimensions[letter].width = w
        _wrap_long_lines(ws, sheet, tables, widths)
        _wrap_cells(ws, tables, widths)
        for b in tables.values():  # rounding helpers: grouped and hidden (the + above the sheet shows them)
            if b.helper_columns:
                ws.column_dimensions.group(get_column_letter(b.visible_right + 1), get_column_letter(b.right),
                                           hidden=True, outline_level=1)
        ws.sheet_view.showGridLines = False
        print_setup(ws, sheet, tables)
        ws.sheet_properties.tabColor = sheet.tab_color or RESULT_TAB
        if sheet.protect:
            protect_sheet(ws)
    return cached


#: A table longer than this many rows repeats its header row on every printed page.
LONG_TABLE = 30
#: Printable height of an A4 page in cm (landscape, portrait), with the margins above.
PAGE_CM = {True: 17.0, False: 25.7}

#: Characters per unit of column width, by text style (Calibri 11 = 1).
_CHARS_PER_WIDTH = {"title": 0.72, "subtitle": 0.95, "note": 1.15, "warning": 0.95, "normal": 1.0, "personal": 0.85}
_LINE_HEIGHT = {"title": 19, "subtitle": 15, "note": 13.5, "warning": 15, "normal": 15, "personal": 16}


def _wrap_long_lines(ws, sheet: Sheet, tables: dict[str, TableBlock], widths: dict[str, float]) -> None:
    """Lines of text longer than the tables are wide wrap inside the printed width (merged, taller rows).

    The width is that of the print area (:func:`print_setup`): the tables' visible columns, at least the banner's
    – a line wider than the print area would be cut off on paper."""
    right = _text_right(tables)
    avail = sum(widths.get(get_column_letter(j), 8.43) for j in range(1, right + 1))
    for block in sheet.blocks:
        if not isinstance(block, Text) or block.formula or block.style == "title":
            continue
        per_line = avail * _CHARS_PER_WIDTH.get(block.style, 1.0)
        length = len(block.text) * (1.1 if block.text_formula else 1.0)
        if length <= per_line:
            continue
        lines = int(-(-length // per_line))
        ws.merge_cells(start_row=block.row, start_column=1, end_row=block.row, end_column=right)
        ws.cell(row=block.row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[block.row].height = lines * _LINE_HEIGHT.get(block.style, 15)


def protect_sheet(ws) -> None:
    """Protect ``ws`` without a password: locked (formula) cells cannot be typed over, unlocked (input) cells
    can; columns and rows can still be resized, and *Beskyt ikke ark* lifts it."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = False
    p.formatRows = False
    p.formatCells = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _text_right(tables: dict[str, TableBlock]) -> int:
    """The last column that lines of text use and print: the tables' last visible one, at least the banner's."""
    return max([b.visible_right for b in tables.values()] + [BANNER_COLUMNS])


def _wrap_cells(ws, tables: dict[str, TableBlock], widths: dict[str, float]) -> None:
    """Cells of a table's ``wrap`` columns wrap inside their column; each row is made as tall as its longest
    text needs (set, not left to the viewer, so that the printed pages are what :func:`print_setup` plans)."""
    for b in tables.values():
        if not b.wrap:
            continue
        cols = [(j, name) for j, name in enumerate(b.frame.columns) if name in b.wrap]
        values = b.frame.to_numpy(dtype=object)
        for i in range(len(b.frame)):
            lines = 1
            for j, name in cols:
                cell = ws.cell(row=b.first_row + i, column=b.left + j)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                text = "" if cell_value(values[i, j]) is None else str(values[i, j])
                width = widths.get(get_column_letter(b.left + j), 8.43)
                lines = max(lines, len(textwrap.wrap(text, width=max(int((width - 1) * 1.15), 1))) or 1)
            if lines > 1:
                ws.row_dimensions[b.first_row + i].height = 15 * lines
                for j in range(len(b.frame.columns)):   # the other cells of a tall row sit at its top
                    cell = ws.cell(row=b.first_row + i, column=b.left + j)
                    if not cell.alignment.wrap_text:
                        cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="top")


#: Printable width of an A4 page in cm (landscape, portrait), with the margins of :func:`page_setup`.
PAGE_WIDTH_CM = {True: 29.7 - 2.54, False: 21.0 - 2.54}


def _row_cm(ws, row: int) -> float:
    """The height of a row in cm (15 pt unless set)."""
    return (ws.row_dimensions[row].height or 15) * 2.54 / 72


def _print_scale(ws, last_col: int, landscape: bool) -> float:
    """The scale that fitting ``A:last_col`` to the page's width gives (at most 1)."""
    cm = sum(0.19 * (ws.column_dimensions[get_column_letter(j)].width or 8.43) + 0.13 for j in range(1, last_col + 1))
    return min(1.0, PAGE_WIDTH_CM[landscape] / cm)


def _table_breaks(ws, sheet: Sheet, tables: dict[str, TableBlock], last_col: int, last_row: int,
                  title: TableBlock | None) -> list[int]:
    """Rows after which a page break starts a table of ``Sheet.page_breaks_before`` on a new page, and keeps every
    table with its heading (``Sheet.keep_tables``).

    The pages are laid out as a printer would at the scale fitting the width (Calibri's column widths; a viewer
    with a wider font shrinks more, so the pages hold more than planned): a table that does not fit on the rest
    of the page starts on a new page if it fits on one; a longer table starts on a new page unless its heading
    and its first three rows fit. A table starts at its title or at the notes right above it. Where a long
    table runs over pages the viewer's own breaks may fall elsewhere, so sheets that stack several long tables
    start them on pages of their own (``page_breaks_before``)."""
    scale = _print_scale(ws, last_col, sheet.landscape) * 0.97       # a little room for the viewer's rounding
    room = PAGE_CM[sheet.landscape] / scale
    starts: dict[int, TableBlock] = {}
    previous = None
    first_table = True
    for block in sheet.blocks:
        if isinstance(block, TableBlock):
            first = block.__dict__.get("title_row", block.top)
            if isinstance(previous, int):
                first = previous
            if not first_table:       # the first table stays under the sheet's title
                starts[first] = block
            first_table = False
            previous = None
        elif isinstance(block, Text) and block.style in ("note", "normal", "subtitle"):
            previous = previous if isinstance(previous, int) else block.row
        else:
            previous = None
    repeated = _row_cm(ws, title.top) if title is not None else 0.0

    def height(a: int, b: int) -> float:
        return sum(_row_cm(ws, r) for r in range(a, b + 1))

    breaks: list[int] = []
    used = 0.0
    for row in range(1, last_row + 1):
        block = starts.get(row)
        if block is not None and used > 0:
            again = repeated if title is not None and row > title.top else 0.0
            whole = height(row, block.bottom)
            head = height(row, min(block.bottom, block.top + 3))
            if block.name in sheet.page_breaks_before or (
                    sheet.keep_tables and ((whole > room - used and whole <= room - again) or head > room - used)):
                breaks.append(row - 1)
                used = again
        h = _row_cm(ws, row)
        if used + h > room:    # the printer's own break
            used = repeated if title is not None and row > title.top else 0.0
        used += h
    return breaks


def page_setup(ws, *, header: str, landscape: bool = True, pages_tall: int = 0, fit_width: bool = True,
               area: str | None = None, title_rows: str | None = None, breaks=(), centered: bool = True) -> None:
    """The printed page of every sheet tildeling writes: A4, ``landscape`` or portrait, one page wide (unless
    ``fit_width`` is False), ``pages_tall`` pages tall (0 = as many as needed), ``title_rows`` (``"3:3"``)
    repeated on every page, page breaks after the rows ``breaks``, centred on the page (``centered``; not for a
    sheet of one wide column of text, which LibreOffice then cuts at the left), the sheet's name at the top and
    "Side x af y" at the bottom."""
    if area:
        ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows
    for row in breaks:
        ws.row_breaks.append(Break(id=row))
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = pages_tall
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.print_options.horizontalCentered = centered
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = header
    ws.oddFooter.right.text = "Side &P af &N"


def print_setup(ws, sheet: Sheet, tables: dict[str, TableBlock]) -> None:
    """A4, one page wide: the print area leaves out hidden helper columns' neighbours beyond the content, the
    header of the longest table repeats on every page, and charts can start on a page of their own."""
    charts = [b for b in sheet.blocks if isinstance(b, Chart)]
    last_col = _text_right(tables)
    last_row = max([b.bottom for b in tables.values()] + [b.row for b in sheet.blocks if isinstance(b, Text)]
                   + [1])
    for ch in charts:
        col, cm = ws[ch.anchor].column, 0.0
        while cm < ch.width_cm:   # the columns the chart covers (a unit of column width is about 0.2 cm)
            cm += 0.2 * (ws.column_dimensions[get_column_letter(col)].width or 8.43)
            col += 1
        last_col = max(last_col, col - 1)
        last_row = max(last_row, ch.__dict__.get("row", 1) + int(ch.height_cm * 2) + 1)
    if any(b.helper_columns for b in tables.values()) and not charts:
        last_col = max(b.visible_right for b in tables.values())
    title = tables.get(sheet.print_title_table) if sheet.print_title_table else None
    if title is None and tables:
        longest = max(tables.values(), key=lambda b: len(b.frame))
        title = longest if len(longest.frame) > LONG_TABLE else None
    if sheet.pages_tall == 1:
        title = None
    breaks = []
    if sheet.chart_page_break and not sheet.charts_right:
        # a page break before the first chart, and before a chart that would not fit on the page with the one
        # before it: no chart is cut by a page break
        room = PAGE_CM[sheet.landscape]
        used = None
        for ch in charts:
            row = ch.__dict__.get("row", 1)
            if used is None or used + ch.height_cm + 1 > room:
                if row > 2:
                    breaks.append(row - 2)
                used = 0.0
            used += ch.height_cm + 1
    if sheet.keep_tables or sheet.page_breaks_before:
        for row in range(1, last_row + 1):   # every row's height set, so that every viewer pages as planned
            if not ws.row_dimensions[row].height:
                ws.row_dimensions[row].height = 15
        breaks += _table_breaks(ws, sheet, tables, last_col, last_row, title)
    page_setup(ws, header=sheet.name, landscape=sheet.landscape, pages_tall=sheet.pages_tall,
               area=f"A1:{get_column_letter(last_col)}{last_row}",
               title_rows=f"{title.top}:{title.top}" if title is not None else None, breaks=breaks)


def _render_table(ws, sheet_name: str, b: TableBlock, cached: dict, widths: dict) -> None:
    if b.title:
        ws.cell(row=b.__dict__["title_row"], column=b.left, value=b.title).font = STYLES["subtitle"]
    cols = list(b.frame.columns)
    for j, name in enumerate(cols):
        cell = ws.cell(row=b.top, column=b.left + j, value=str(name))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(b.left + j)
        minimum = 12.0 if "(kr.)" in str(name) else 9.0  # room for 12.345.678
        word = max(len(w) for w in str(name).split() or [""])
        w = b.widths.get(name, max(minimum, min(18.0, max(word * 1.05 + 1.5, len(str(name)) * 0.55 + 3))))
        widths[letter] = max(widths.get(letter, 0), w)
    lines = 1
    for name in cols:
        w = widths[get_column_letter(b.left + cols.index(name))]
        lines = max(lines, -(-int(len(str(name)) * 1.1) // int(max(w - 1, 1))))
    ws.row_dimensions[b.top].height = 15 * min(4, lines)
    values = b.frame.to_numpy(dtype=object)
    helper = set(b.helper_columns)
    unlocked = set(b.unlocked)
    for i in range(len(b.frame)):
        r = b.first_row + i
        for j, name in enumerate(cols):
            f = b.formula(name, i)
            v = cell_value(values[i, j])
            cell = ws.cell(row=r, column=b.left + j, value=f if f else v)
            if f:  # a formula whose value is blank shows the empty string (a saved, calculated value)
                cached[(sheet_name, cell.coordinate)] = "" if v is None else v
            fmt = b.row_formats[name][i] if name in b.row_formats else b.formats.get(name)
            if fmt:
                cell.number_format = fmt
                if f:  # a formula may show "–" (cannot be computed): aligned like the numbers
                    cell.alignment = RIGHT
            if name in helper:
                cell.font = HELPER_FONT
            if name in unlocked:
                cell.protection = UNLOCKED
                cell.fill = INPUT_FILL
            if isinstance(v, str) and (v == ".." or (v[:1] == "<" and v[1:].isdigit())):
                cell.alignment = RIGHT   # a hidden number ('<5', '..') sits where the number would
    if len(b.frame) == 0:  # a table needs one data row
        ws.cell(row=b.first_row, column=b.left, value=None)
    tab = Table(displayName=b.name, ref=b.ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    if b.totals:
        tab.totalsRowCount = 1
        tab.tableColumns = [TableColumn(id=j + 1, name=str(name)) for j, name in enumerate(cols)]
        for j, name in enumerate(cols):
            spec = b.totals.get(name)
            cell = ws.cell(row=b.totals_row, column=b.left + j)
            cell.font = TOTAL_FONT
            cell.border = TOTAL_BORDER
            fmt = b.formats.get(name)
            if fmt:
                cell.number_format = fmt
            if spec is None:
                continue
            col = tab.tableColumns[j]
            if spec == "sum":
                col.totalsRowFunction = "sum"
                cell.value = f"=SUBTOTAL(109,{b.column_range(name)})"
                cached[(sheet_name, cell.coordinate)] = b.totals_values.get(name)
            elif callable(spec):
                col.totalsRowFunction = "custom"
                formula = spec(b)
                cell.value = formula
                col.totalsRowFormula = TableFormula(attr_text=formula.lstrip("="))
                cached[(sheet_name, cell.coordinate)] = b.totals_values.get(name)
            elif isinstance(spec, (int, float)):  # a static copy: the total as a value
                col.totalsRowFunction = "sum"
                cell.value = spec
            else:
                col.totalsRowLabel = str(spec)
                cell.value = str(spec)
    ws.add_table(tab)
    for name, kwargs in b.validations.items():
        dv = DataValidation(**kwargs)
        ws.add_data_validation(dv)
        dv.add(f"{b.letter(name)}{b.first_row}:{b.letter(name)}{b.last_row}")


def _add_chart(ws, ch: Chart, b: TableBlock) -> None:
    """A native column chart of table ``b``; ``bar_line`` draws the last series as markers."""
    bar = BarChart()
    bar.type = "bar" if ch.kind == "hbar" else "col"
    bar.title = ch.title or None
    if ch.kind == "hbar":   # horizontal bars: the categories read top-down in the table's order
        bar.x_axis.scaling.orientation = "maxMin"
        bar.x_axis.tickLblPos = "low"          # the names at the left edge, clear of negative bars
        bar.legend = None
    bar.y_axis.title = ch.y_title
    bar.y_axis.numFmt = ch.number_format
    bar.y_axis.delete = False
    bar.x_axis.delete = False
    bar.width, bar.height = ch.width_cm, ch.height_cm
    if bar.legend is not None:
        bar.legend.position = "b"
    columns = list(b.frame.columns)
    cats = Reference(ws, min_col=b.left + columns.index(ch.categories), min_row=b.first_row, max_row=b.last_row)
    series = list(ch.series)
    line_series = series[-1:] if ch.kind == "bar_line" else []
    for name in series[:len(series) - len(line_series)]:
        col = b.left + columns.index(name)
        bar.add_data(Reference(ws, min_col=col, min_row=b.top, max_row=b.last_row), titles_from_data=True)
    bar.set_categories(cats)
    if line_series:
        line = LineChart()
        for name in line_series:
            col = b.left + columns.index(name)
            line.add_data(Reference(ws, min_col=col, min_row=b.top, max_row=b.last_row), titles_from_data=True)
        line.set_categories(cats)
        for s in line.series:
            s.marker.symbol = "dash"
            s.marker.size = 20
            s.marker.graphicalProperties = GraphicalProperties(solidFill="C00000")
            s.marker.graphicalProperties.line.solidFill = "C00000"
            s.graphicalProperties.line.noFill = True
        bar += line
    ws.add_chart(bar, ch.anchor)
