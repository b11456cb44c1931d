"""Result tables of ``tildeling apply``: named DataFrames, written to one .xlsx (a sheet per table)
or a folder of CSV files. Nothing here computes statistics."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..need.apply import NeedResult
from .atomic import atomic_save, atomic_write_with
from .coefficients import cell_value as _clean

__all__ = ["result_tables", "write_results", "number_format_for", "as_points"]

_SHARE_WORDS = ("andel", "sandsynlighed", "nøgle", "vægt", "i % af")
#: Differences of shares in percentage points, written as points (0,134), not as fractions (0,00134).
PP_FORMAT = "0.000"
#: Number format of a ``Værdi`` cell by the row's ``Enhed`` (Kommunebenchmark).
UNIT_FORMATS = {"andel": "0.0%", "procentpoint": PP_FORMAT, "elever": "#,##0.0"}


def number_format_for(column: str) -> str | None:
    """Excel number format from a column's Danish name (shares are fractions shown as %).

    Only numbers get it (a text column such as ``Nøgletal`` keeps the general format).
    """
    low = column.lower()
    if "procentpoint" in low:
        return PP_FORMAT
    if "(kr.)" in low:
        return "#,##0"  # the unit stands once, in the header
    if low == "indeks":
        return "0.0"
    if any(w in low for w in _SHARE_WORDS):
        return "0.0%"
    return None


def as_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The core's differences of shares are fractions; under a "procentpoint" label they are written ×100.

    Columns whose name says ``procentpoint`` and rows whose ``Enhed`` is ``procentpoint`` are converted.
    """
    frame = frame.copy()
    for c in frame.columns:
        if "procentpoint" in str(c).lower():
            frame[c] = pd.to_numeric(frame[c], errors="coerce") * 100
    if "Enhed" in frame.columns and "Værdi" in frame.columns:
        rows = (frame["Enhed"] == "procentpoint").to_numpy()
        if rows.any():
            frame["Værdi"] = frame["Værdi"].astype(float)
            frame.loc[rows, "Værdi"] = frame.loc[rows, "Værdi"] * 100
    return frame


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
        units = list(frame["Enhed"]) if "Enhed" in frame.columns else None
        for j, c in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(10, min(45, len(str(c)) + 3))
            fmt = number_format_for(str(c))
            by_unit = units is not None and str(c) == "Værdi"
            if fmt or by_unit:
                for i, (cell,) in enumerate(ws.iter_rows(min_row=2, min_col=j, max_col=j)):
                    if isinstance(cell.value, bool) or not isinstance(cell.value, (int, float)):
                        continue  # text keeps the general format
                    f = UNIT_FORMATS.get(units[i]) if by_unit else fmt
                    if f:
                        cell.number_format = f
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
        "Kommunebenchmark": as_points(result.municipal),
        "Ekstern benchmark": as_points(result.external),
        "Intern benchmark": as_points(result.internal),
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
