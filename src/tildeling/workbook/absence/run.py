"""Run an absence workbook in place (``tildeling absence``).

Input sheets are never modified: the input tables are read with python-calamine,
the result sheets are rendered into a small separate workbook and grafted into
the user's package (:func:`tildeling.workbook.graft.graft_sheets`: every other
part is copied byte for byte) after the whole analysis has succeeded, and the
file is saved through a temporary file (untouched if anything fails).
"""

from __future__ import annotations

from pathlib import Path

from ...absence.analysis import AbsenceResult, analyse
from ...io.atomic import atomic_write
from ..graft import graft_sheets
from . import contract as c
from .reader import _load, _read_tables, _require_absence_workbook
from .sheets import render_results

__all__ = ["run_workbook"]


def run_workbook(path, out=None) -> AbsenceResult:
    """Read ``path``, analyse, and write the results into ``out`` (default: ``path`` itself).

    Compute first, write last: if anything fails, no file is changed. The input
    sheets' parts of the package are copied byte for byte; the result sheets are
    replaced (a rerun does not grow the file).
    """
    data, name = _load(path)
    _require_absence_workbook(data, name, " Lav en med 'tildeling new fravaer'.")
    raw, first_rows = _read_tables(data, name)
    res = analyse(raw, first_rows)
    rendered, sheets, names = render_results(res)
    new = graft_sheets(data, rendered, sheets, defined_names=names, active=c.SHEET_OVERVIEW, keep_order=True)
    atomic_write(Path(out) if out else Path(path), new)
    return res


#: Input sheets without pupil rows: the shared copy shows them (from the validated tables).
