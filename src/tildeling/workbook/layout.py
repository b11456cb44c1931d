"""Output sheets described as plain data, rendered by openpyxl (files) or xlwings (live Excel).

A :class:`Sheet` is a list of blocks placed top-down: :class:`Text` lines,
:class:`TableBlock` (an Excel Table from a DataFrame, with number formats and
optional live formulas) and :class:`Chart`. The builders here turn core results
into sheets; they compute no statistics. Formulas are plain A1 formulas (no
structured references), so Excel, LibreOffice and Excel on the web evaluate them
alike; each formula cell also carries its Python-computed value, written as the
cached value so that viewers that do not recalculate show the right number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

__all__ = ["Text", "TableBlock", "Chart", "Sheet", "place", "resolve", "cell_value"]


@dataclass
class Text:
    """One line of text in column A; ``text_formula`` makes the line itself live (its cached value is ``text``).

    Formulas may be given as text or as a function of the placed sheet's tables (name → :class:`TableBlock`),
    called when the sheet is rendered, so a line can refer to a table's cells.
    """

    text: str
    style: str = "normal"   # title | subtitle | normal | note | warning | personal
    formula: str | Callable | None = None  # optional formula in the cell to the right of the label (column C)
    formula_format: str | None = None
    value: object = None        # cached value of the formula
    text_formula: str | Callable | None = None  # optional formula of the line itself (column A)

    @property
    def row(self) -> int:
        return self.__dict__["row"]

    @property
    def cell(self) -> str:
        """The line's own cell (``$A$5``)."""
        return f"$A${self.row}"

    @property
    def value_cell(self) -> str:
        """The cell of ``formula`` (``$C$5``)."""
        return f"$C${self.row}"


@dataclass
class TableBlock:
    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    #: column → function(row_number, columns: dict[name → letter], first, last) → formula text
    formulas: dict[str, Callable] = field(default_factory=dict)
    helper_columns: tuple[str, ...] = ()
    #: column → one number format per row (overrides ``formats``; for key/value tables)
    row_formats: dict[str, list] = field(default_factory=dict)
    title: str | None = None
    widths: dict[str, float] = field(default_factory=dict)
    #: A totals row (Excel's table totals row, label ``I alt``): column → ``"sum"`` (SUBTOTAL of the column),
    #: a text, or a function ``f(block) → formula``; ``totals_values`` holds the cached values.
    totals: dict[str, object] = field(default_factory=dict)
    totals_values: dict[str, object] = field(default_factory=dict)
    #: Columns whose cells the user may edit on a protected sheet (inputs).
    unlocked: tuple[str, ...] = ()
    #: Data validation of columns: column → keyword arguments of openpyxl's ``DataValidation``.
    validations: dict[str, dict] = field(default_factory=dict)
    #: Columns whose long texts wrap inside the column (the rows grow) instead of running over the next cells.
    wrap: tuple[str, ...] = ()
    # filled in by place():
    top: int = 0
    left: int = 1

    @property
    def header_row(self) -> int:
        return self.top

    @property
    def first_row(self) -> int:
        return self.top + 1

    @property
    def last_row(self) -> int:
        return self.top + max(len(self.frame), 1)

    def letter(self, column: str) -> str:
        return get_column_letter(self.left + list(self.frame.columns).index(column))

    @property
    def letters(self) -> dict[str, str]:
        return {c: self.letter(c) for c in self.frame.columns}

    @property
    def totals_row(self) -> int | None:
        return self.last_row + 1 if self.totals else None

    @property
    def bottom(self) -> int:
        """The last row of the table, its totals row included."""
        return self.totals_row or self.last_row

    @property
    def right(self) -> int:
        """The last column (1-based), helper columns included."""
        return self.left + self.frame.shape[1] - 1

    @property
    def visible_right(self) -> int:
        """The last column that is not a helper column (helpers sit at the right)."""
        return self.right - len(self.helper_columns)

    @property
    def ref(self) -> str:
        return (f"{get_column_letter(self.left)}{self.top}:"
                f"{get_column_letter(self.right)}{self.bottom}")

    def cell(self, column: str, i: int, absolute: bool = True) -> str:
        """The cell of data row ``i`` (0-based) in ``column``."""
        d = "$" if absolute else ""
        return f"{d}{self.letter(column)}{d}{self.first_row + i}"

    def total_cell(self, column: str) -> str:
        return f"${self.letter(column)}${self.totals_row}"

    def column_range(self, column: str, absolute: bool = True) -> str:
        L = self.letter(column)
        d = "$" if absolute else ""
        return f"{d}{L}{d}{self.first_row}:{d}{L}{d}{self.last_row}"

    def formula(self, column: str, i: int) -> str | None:
        fn = self.formulas.get(column)
        if fn is None:
            return None
        return fn(self.first_row + i, self)


@dataclass
class Chart:
    kind: str                      # bar | bar_line | hbar (horizontal bars)
    title: str
    table: str                     # name of a TableBlock on the same sheet
    categories: str                # column with category labels
    series: tuple[str, ...]        # columns with values (bar_line: last one drawn as line/markers)
    y_title: str = ""
    number_format: str = "0.0%"
    width_cm: float = 20
    height_cm: float = 11
    anchor: str = ""               # filled in by place()


@dataclass
class Sheet:
    """A result sheet: blocks top-down, printed on A4 (one page wide; ``pages_tall`` pages tall, 0 = as many as
    needed), protected without a password (formulas locked, input cells open) unless ``protect`` is False."""

    name: str
    blocks: list = field(default_factory=list)
    landscape: bool = True
    tab_color: str | None = None
    charts_right: bool = True      # put charts to the right of the tables (else below them)
    protect: bool = True
    pages_tall: int = 0
    #: The table whose header row repeats on every printed page (default: the longest table).
    print_title_table: str | None = None
    #: Charts start on a new printed page (so no chart is split by a page break).
    chart_page_break: bool = False
    #: Printed page breaks keep each table with its heading: a table (with its title and the notes right above
    #: it) that would not fit on the rest of a page starts on a new one (for sheets that stack several tables).
    keep_tables: bool = False
    #: Tables (with their title and the notes right above them) that always start a new printed page.
    page_breaks_before: tuple[str, ...] = ()

    def tables(self) -> dict[str, "TableBlock"]:
        return {b.name: b for b in self.blocks if isinstance(b, TableBlock)}


def place(sheet: Sheet, left: int = 1) -> Sheet:
    """Assign rows to the blocks (top-down, one blank row between tables)."""
    row = 1
    tables: dict[str, TableBlock] = {}
    widest = 0
    for block in sheet.blocks:
        if isinstance(block, Text):
            block_row = row
            block.__dict__["row"] = block_row
            row += 1
        elif isinstance(block, TableBlock):
            if block.title:
                block.__dict__["title_row"] = row
                row += 1
            block.top = row
            block.left = left
            row = block.bottom + 2
            tables[block.name] = block
            widest = max(widest, block.frame.shape[1])
        elif isinstance(block, Chart) and not sheet.charts_right:   # below, where it stands among the blocks
            block.anchor = f"A{row}"
            block.__dict__["row"] = row
            row += int(block.height_cm * 2) + 2
    chart_col = get_column_letter(left + widest + 1)
    chart_row = 1
    for block in sheet.blocks:
        if isinstance(block, Chart) and sheet.charts_right:
            block.anchor = f"{chart_col}{chart_row}"
            block.__dict__["row"] = chart_row
            chart_row += int(block.height_cm * 2) + 2
    return sheet


def resolve(formula, sheet: Sheet):
    """A formula given as text, or as a function of the sheet's tables, as text."""
    if formula is None or isinstance(formula, str):
        return formula
    return formula(sheet.tables())


def cell_value(v):
    """A Python value as it should go into a cell (NaN and '' → empty)."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v
