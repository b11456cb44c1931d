"""Read the need-model inputs from a live workbook through xlwings' ``Book`` API.

The live-Excel twin of :func:`tildeling.workbook.need.reader.read_need_inputs`: the
Excel Tables (``tblElever``, ``tblDistrikter``, ``tblKoefficienter``,
``tblModelinfo`` …) and the defined names of :data:`contract.SETTINGS` become the
same :class:`~tildeling.workbook.need.reader.NeedInputs`. Everything after the raw
reading – which tables are required, the settings, the coefficient table – is
shared with the file reader (:func:`~tildeling.workbook.need.reader.need_inputs_from_tables`),
so both paths give the same Danish messages.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from ..errors import EXCEL_ERRORS as _ALL_ERRORS, Source
from ..workbook.need.reader import NeedInputs, need_inputs_from_tables
from ..workbook.tables import (WorkbookTables, error_value_error, mark_text_errors, name_reference, resolve_name,
                               table_frame)

__all__ = ["read_book_tables", "read_book_inputs", "inputs_fingerprint", "EXCEL_ERRORS"]

#: Excel error values as xlwings returns them with ``err_to_str=True`` (one list for the whole project).
EXCEL_ERRORS = _ALL_ERRORS

_A1 = re.compile(r"^\$?([A-Z]+)\$?(\d+)$")


def _grid(values) -> list[list]:
    """A range's value as a list of rows, whatever its shape."""
    if not isinstance(values, list):
        return [[values]]
    if not values or not isinstance(values[0], list):
        return [values]
    return values


def _book_name(book) -> str:
    try:
        return str(book.name)
    except Exception:  # noqa: BLE001 - a name is only used in messages
        return "projektmappen"


def read_book_tables(book) -> WorkbookTables:
    """Every Excel Table of a live workbook as a DataFrame, plus its defined names' values.

    Excel error values (read as text with ``err_to_str=True``) become
    :class:`~tildeling.errors.ExcelError` cells and are listed in ``problems`` (one per table column), as the
    file reader does, so that a run reports them together with every other problem.
    """
    frames, sources, sheets, problems = {}, {}, {}, []
    by_table: dict[str, list] = {}
    sheet_names = []
    for sheet in book.sheets:
        sheet_names.append(sheet.name)
        for t in sheet.tables:
            rng = t.range
            grid = _grid(rng.options(err_to_str=True).value)
            columns = [("" if h is None else str(h)).strip() for h in grid[0]]
            body = grid[1:]
            first_row = rng.row + 1
            src = Source(f"Arket '{sheet.name}' (tabellen {t.name})", first_row=first_row)
            frame, found = mark_text_errors(table_frame(body, columns))
            for j, pos in sorted(found.items()):
                if j < len(columns):
                    problem = error_value_error(str(frame.iat[pos[0], j]), src, columns[j], src.rows(pos))
                    problems.append(problem)
                    by_table.setdefault(t.name, []).append(problem)
            frames[t.name] = frame
            sources[t.name] = src
            sheets[t.name] = sheet.name
    names, refs = _book_names(book)
    return WorkbookTables(_book_name(book), frames, sources, sheets, names, sheet_names, problems, [], refs,
                          by_table, {})


def _book_names(book) -> tuple[dict[str, object], dict[str, tuple[str, str]]]:
    """Workbook-level defined names → their value (a referenced cell is read), and the cells they refer to."""

    def cell(sheet: str, row: int, col: int):
        try:
            value = book.sheets[sheet].range((row, col)).options(err_to_str=True).value
        except Exception:  # noqa: BLE001 - a name pointing at a deleted sheet: treated as missing
            return None
        if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
            from ..errors import ExcelError

            return ExcelError(value.strip())
        return value

    out, refs = {}, {}
    for n in book.names:
        try:
            name, refers_to = n.name, n.refers_to
        except Exception:  # noqa: BLE001 - a broken name: skip it, as Excel's name manager would show it
            continue
        if not name or "!" in name or refers_to is None:  # sheet-scoped names are not settings
            continue
        out[name] = resolve_name(str(refers_to), cell)
        ref = name_reference(str(refers_to))
        if ref is not None:
            refs[name] = ref
    return out, refs


def read_book_inputs(book, *, defer: bool = False) -> NeedInputs:
    """The need-model inputs of a live workbook (same checks and messages as the file reader)."""
    return need_inputs_from_tables(read_book_tables(book), defer=defer)


def inputs_fingerprint(inputs: NeedInputs) -> str:
    """A short SHA-256 of the inputs' content (the live-workbook counterpart of the file fingerprint)."""
    h = hashlib.sha256()
    frames = [inputs.pupils, inputs.districts]
    if inputs.coefficients is not None:
        frames.append(inputs.coefficients.table)
    if inputs.plan is not None:
        frames.append(inputs.plan)
    if inputs.figures is not None:
        frames += [f for f in (inputs.figures.districts, inputs.figures.descriptives, inputs.figures.power)
                   if f is not None]
    for frame in frames:
        h.update(",".join(map(str, frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    h.update(repr(sorted(inputs.settings.items())).encode())
    return h.hexdigest()[:16]
