"""Result tables of ``tildeling apply``: named DataFrames, written to one .xlsx (a sheet per table)
or a folder of CSV files. Nothing here computes statistics."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..need.apply import NeedResult
from .atomic import atomic_save, atomic_write_with
from .coefficients import cell_value as _clean

__all__ = ["result_tables", "write_results", "number_format_for"]

_SHARE_WORDS = ("andel", "sandsynlighed", "nøgle", "vægt", "procentpoint", "i % af")


def number_format_for(column: str) -> str | None:
    """Excel number format from a column's Danish name (shares are fractions shown as %)."""
    low = column.lower()
    if "(kr.)" in low:
        return "#,##0"  # the unit stands once, in the header
    if low == "indeks":
        return "0.0"
    if any(w in low for w in _SHARE_WORDS):
        return "0.0%"
    return None


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]\*\?/\\:]", "-", name)[:31]


def write_results(tables: dict[str, pd.DataFrame], out) -> None:
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        _write_xlsx(tables, out)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            path = out / f"{re.sub(r'[^0-9A-Za-zæøåÆØÅ_-]+', '_', name)}.csv"
            atomic_write_with(path, lambda tmp, f=frame: f.to_csv(tmp, sep=";", decimal=",", index=False,
                                                                  encoding="utf-8-sig", float_format="%.10g"))


def _write_xlsx(tables, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in tables.items():
        ws = wb.create_sheet(_sheet_name(name))
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([_clean(v) for v in row])
        for j, c in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(10, min(45, len(str(c)) + 3))
            fmt = number_format_for(str(c))
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
    atomic_save(wb, out)


def result_tables(result: NeedResult, allocation=None, *, include_pupils: bool = False) -> dict[str, pd.DataFrame]:
    """Every result table by a short Danish name (used as sheet or file name)."""
    c = result.coefficients
    out = {
        "Distriktsbehov": result.districts,
    }
    if allocation is not None:
        out["Fordeling"] = allocation.table
        if allocation.phase_in is not None:
            out["Indfasning"] = allocation.phase_in
        out["Forklaring"] = pd.DataFrame({"Forklaring": allocation.explanations})
    out.update({
        "Kommunebenchmark": result.municipal,
        "Ekstern benchmark": result.external,
        "Intern benchmark": result.internal,
        "Forklaringskraft": pd.DataFrame([
            {"Population": "Kommunen", "Elever": result.power.n, "Modtagere": result.power.recipients,
             "10 % med laveste sandsynlighed": result.power.lowest,
             "10 % med højeste sandsynlighed": result.power.highest, "AUC": result.power.auc},
        ]),
        "Deciler": result.power.deciles,
        "Beskrivende": result.descriptives,
        "Beskrivende pr distrikt": result.district_descriptives,
        "Koefficienter": c.to_frame(),
        "Advarsler": pd.DataFrame({"Advarsel": result.warnings}),
    })
    if include_pupils:
        out["Elever (persondata)"] = result.pupils
    return out
