"""Coefficient-table files: ``.xlsx`` (sheets ``Koefficienter`` and ``Metadata``) and ``.csv``.

``.csv`` is semicolon-separated with decimal comma and UTF-8 with BOM, so that
Danish Excel opens it directly; the metadata are leading ``# nøgle: værdi``
lines. Floats are written with 17 significant digits, so a reloaded table
predicts exactly the same probabilities.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .. import columns as col
from ..errors import InputError, Source
from ..model.coefficients import CoefficientTable
from .atomic import atomic_save, atomic_write

__all__ = ["read_coefficients", "write_coefficients", "COEF_SHEET", "META_SHEET", "cell_value", "demo_coefficients",
           "is_demonstration", "DEMO_MARK"]

COEF_SHEET = "Koefficienter"
META_SHEET = "Metadata"
#: The word that marks demonstration coefficients in their metadata (``Datakilde``, ``Bemærk``).
DEMO_MARK = "DEMONSTRATION"


def demo_coefficients() -> CoefficientTable:
    """The bundled demonstration coefficients (fitted on synthetic data, never register data)."""
    ref = resources.files("tildeling").joinpath("data/demo_koefficienter.csv")
    with resources.as_file(ref) as path:
        return read_coefficients(path)


@lru_cache(maxsize=1)
def _demo_fingerprint() -> str:
    return demo_coefficients().fingerprint()


def is_demonstration(coefs: CoefficientTable) -> bool:
    """True for the bundled demonstration coefficients: the same model (fingerprint), or metadata that say so."""
    meta = " ".join(str(coefs.metadata.get(k, "")) for k in ("Datakilde", "Bemærk")).upper()
    return DEMO_MARK in meta or coefs.fingerprint() == _demo_fingerprint()


def cell_value(v):
    """A Python value as openpyxl should write it (NaN → empty, numpy scalars → Python)."""
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_coefficients(coefs: CoefficientTable, path) -> None:
    """Write ``.csv`` or ``.xlsx`` depending on the suffix (atomically)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        _write_csv(coefs, path)
    elif suffix in (".xlsx", ".xlsm"):
        _write_xlsx(coefs, path)
    else:
        raise InputError(f"Ukendt filtype '{suffix}' – brug .xlsx eller .csv.")


def _write_csv(coefs: CoefficientTable, path) -> None:
    buf = io.StringIO()
    for k, v in coefs.metadata.items():
        buf.write(f"# {k}: {v}\n")
    coefs.to_frame().to_csv(buf, sep=";", decimal=",", index=False, float_format="%.17g")
    atomic_write(path, buf.getvalue().encode("utf-8-sig"))


def _write_xlsx(coefs: CoefficientTable, path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    frame = coefs.to_frame()
    wb = Workbook()
    ws = wb.active
    ws.title = COEF_SHEET
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([cell_value(v) for v in row])
    ref = f"A1:{get_column_letter(frame.shape[1])}{len(frame) + 1}"
    tab = Table(displayName="tblKoefficienter", ref=ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(tab)
    ws.freeze_panes = "C2"
    for j, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(str(name)) + 4))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 26
    meta = wb.create_sheet(META_SHEET)
    meta.append(["Nøgle", "Værdi"])
    meta["A1"].font = meta["B1"].font = Font(bold=True)
    for k, v in coefs.metadata.items():
        meta.append([str(k), str(v)])
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 60
    atomic_save(wb, path)


def read_coefficients(path) -> CoefficientTable:
    """Load a coefficient table from ``.xlsx`` or ``.csv`` (UTF-8, UTF-16 with BOM or Windows-1252)."""
    from .files import check_package, check_readable, text_encoding

    path = check_readable(Path(path))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InputError(f"Ukendt filtype '{suffix}' for koefficienttabellen – brug .xlsx eller .csv.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Filen {path.name} kan ikke læses ({exc.strerror or exc}).") from None
    if suffix == ".csv":
        encoding = text_encoding(path)
        try:
            return _read_csv(path, data, encoding)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"Filen {path.name} kan ikke læses som en CSV-fil med en koefficienttabel "
                             f"({type(exc).__name__}). Gem den som CSV (UTF-8, semikolonsepareret).") from None
    check_package(data, path.name, suffix)
    try:
        return _read_xlsx(path)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a package the reader trips on
        raise InputError(f"Filen {path.name} kan ikke læses som en koefficienttabel ({type(exc).__name__}: "
                         f"{exc}).") from None


#: Read every float exactly as written (pandas 3.1 does by default and deprecates the option; pandas 2 and 3.0
#: need round_trip), so a coefficient table gives the same numbers under every supported pandas (xlwings Lite
#: has pandas 3.0).
_EXACT_FLOATS = ({} if tuple(int(p) for p in pd.__version__.split(".")[:2]) >= (3, 1)
                 else {"float_precision": "round_trip"})


def _read_csv(path: Path, data: bytes | None = None, encoding: str = "utf-8-sig") -> CoefficientTable:
    text = (path.read_bytes() if data is None else data).decode(encoding)
    meta, body = {}, []
    for line in text.splitlines(keepends=True):
        if line.startswith("# ") and not body:
            k, _, v = line[2:].rstrip("\r\n").partition(": ")
            meta[k] = v
        else:
            body.append(line)
    sep = ";" if body and body[0].count(";") >= body[0].count(",") else ","
    frame = pd.read_csv(io.StringIO("".join(body)), sep=sep, decimal="," if sep == ";" else ".",
                        dtype={col.VARIABLE: str, col.CATEGORY: str, col.REFERENCE: str, col.TYPE: str},
                        keep_default_na=False, na_values=[""], **_EXACT_FLOATS)
    return CoefficientTable.from_frame(frame, meta, Source(f"Filen {path.name}", first_row=2 + len(meta)))


def _read_xlsx(path: Path) -> CoefficientTable:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    if COEF_SHEET not in wb.sheet_names:
        raise InputError(f"Filen {path.name} har intet ark '{COEF_SHEET}'.")
    rows = wb.get_sheet_by_name(COEF_SHEET).to_python(skip_empty_area=False)
    frame = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
    meta = {}
    if META_SHEET in wb.sheet_names:
        for r in wb.get_sheet_by_name(META_SHEET).to_python()[1:]:
            if r and r[0] not in ("", None):
                meta[str(r[0])] = "" if r[1] is None else str(r[1])
    return CoefficientTable.from_frame(frame, meta, Source(f"Arket '{COEF_SHEET}' i {path.name}"))
