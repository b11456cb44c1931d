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
from ...io.atomic import check_target, save
from ...io.files import open_workbook
from ..graft import graft_sheets
from . import contract as c
from .reader import _require_absence_workbook, read_absence_tables
from .sheets import render_results

__all__ = ["run_workbook", "run_package"]


def run_package(data: bytes, name: str) -> tuple[bytes, AbsenceResult]:
    """Analyse an absence workbook held in memory: the new package bytes and the result (nothing written)."""
    _require_absence_workbook(data, name, " Lav en med 'tildeling new fravaer'.")
    t = read_absence_tables(data, name)
    res = analyse(t.raw, t.first_rows, problems=t.problems)
    res.warnings = list(t.warnings) + list(res.warnings)
    rendered, sheets, names = render_results(res)
    notes: list[str] = []
    new = graft_sheets(data, rendered, sheets, defined_names=names, active=c.SHEET_OVERVIEW, keep_order=True,
                       notes=notes)
    res.warnings = list(res.warnings) + notes
    return new, res


def run_workbook(path, out=None) -> AbsenceResult:
    """Read ``path``, analyse, and write the results into ``out`` (default: ``path`` itself).

    Compute first, write last: if anything fails, no file is changed. The file is checked before any work
    (:func:`tildeling.io.files.open_workbook`); if it changed on disk during the analysis, nothing is
    written. The input sheets' parts of the package are copied byte for byte; the result sheets are
    replaced (a rerun does not grow the file).
    """
    from ..need.run import check_same_kind

    source = open_workbook(path, update=out is None)
    target = source.path
    if out is not None:
        target = check_target(Path(out))
        check_same_kind(source.path, target)
    new, res = run_package(source.data, source.name)
    save(target, new, replaces=source.state if out is None or _same_file(target, source.path) else None)
    return res


#: Input sheets without pupil rows: the shared copy shows them (from the validated tables).


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
