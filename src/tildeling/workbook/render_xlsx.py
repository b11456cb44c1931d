"""Render :mod:`layout` sheets with openpyxl."""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from .layout import Chart, Sheet, TableBlock, Text, cell_value

__all__ = ["render_sheets", "STYLES", "INPUT_FILL", "PERSONAL_FILL", "BANNER_COLUMNS"]

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
                row = block.__dict__["row"]
                cell = ws.cell(row=row, column=1, value=block.text)
                cell.font = STYLES.get(block.style, STYLES["normal"])
                if block.style == "personal":
                    cell.fill = PERSONAL_FILL
                if block.style == "banner":
                    for j in range(1, BANNER_COLUMNS + 1):
                        ws.cell(row=row, column=j).fill = PERSONAL_FILL
                if block.formula:
                    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
                    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=5)
                    fc = ws.cell(row=row, column=3, value=block.formula)
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
        helpers = [b for b in tables.values() if b.helper_columns]
        if helpers:  # print the table without its helper columns (they sit at the right)
            b = helpers[0]
            last = get_column_letter(b.left + len(b.frame.columns) - len(b.helper_columns) - 1)
            ws.print_area = f"A1:{last}{ws.max_row}"
        ws.sheet_view.showGridLines = False
        ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.oddHeader.center.text = sheet.name
        ws.oddFooter.right.text = "Side &P af &N"
        if sheet.tab_color:
            ws.sheet_properties.tabColor = sheet.tab_color
    return cached


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
        minimum = 16.0 if "kr." in str(b.formats.get(name, "")) else 10.0  # room for 12.345.678 kr.
        w = b.widths.get(name, max(minimum, min(22.0, len(str(name)) * 0.9 + 2)))
        widths[letter] = max(widths.get(letter, 0), w)
    ws.row_dimensions[b.top].height = 32
    values = b.frame.to_numpy(dtype=object)
    helper = set(b.helper_columns)
    for i in range(len(b.frame)):
        r = b.first_row + i
        for j, name in enumerate(cols):
            f = b.formula(name, i)
            v = cell_value(values[i, j])
            cell = ws.cell(row=r, column=b.left + j, value=f if f else v)
            if f:
                cached[(sheet_name, cell.coordinate)] = v
            fmt = b.row_formats[name][i] if name in b.row_formats else b.formats.get(name)
            if fmt:
                cell.number_format = fmt
            if name in helper:
                cell.font = HELPER_FONT
    if len(b.frame) == 0:  # a table needs one data row
        ws.cell(row=b.first_row, column=b.left, value=None)
    tab = Table(displayName=b.name, ref=b.ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(tab)


def _add_chart(ws, ch: Chart, b: TableBlock) -> None:
    """A native column chart of table ``b``; ``bar_line`` draws the last series as markers."""
    bar = BarChart()
    bar.type = "col"
    bar.title = ch.title
    bar.y_axis.title = ch.y_title
    bar.y_axis.numFmt = ch.number_format
    bar.y_axis.delete = False
    bar.x_axis.delete = False
    bar.width, bar.height = ch.width_cm, ch.height_cm
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
