"""Read an absence workbook's input tables (python-calamine) without changing the file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from ...absence.inputs import source_for
from ...errors import InputError
from . import contract as c

__all__ = ["read_inputs", "is_absence_workbook"]


def is_absence_workbook(path_or_wb) -> bool:
    """True when the workbook carries the defined name ``Modeltype`` = ``"fravaer"``.

    ``path_or_wb`` : a path, the file's bytes, or an openpyxl Workbook.
    """
    if isinstance(path_or_wb, openpyxl.Workbook):
        dn = path_or_wb.defined_names.get(c.MODELTYPE_NAME)
        return dn is not None and str(dn.attr_text).strip().strip('"') == c.MODELTYPE_VALUE
    name = "projektmappen" if isinstance(path_or_wb, (bytes, bytearray)) else Path(path_or_wb).name
    return _model_type(path_or_wb, name) == c.MODELTYPE_VALUE

def _model_type(source, name: str) -> str:
    return _global_names(source, name).get(c.MODELTYPE_NAME, "").strip().strip('"')

def _not_readable(name: str, exc: Exception) -> InputError:
    return InputError(f"Filen {name} kan ikke læses som en Excel-projektmappe ({exc}).")

def _global_names(source, name: str) -> dict[str, str]:
    """Workbook-level defined names (name → formula text), reading only the workbook part of the package."""
    from lxml import etree

    from ..graft import NS

    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source) as z:
            rels = etree.fromstring(z.read("_rels/.rels"))
            part = next(r.get("Target").lstrip("/") for r in rels.findall("pr:Relationship", NS)
                        if r.get("Type").endswith("/officeDocument"))
            wb = etree.fromstring(z.read(part))
    except (zipfile.BadZipFile, KeyError, StopIteration, ValueError, etree.XMLSyntaxError) as exc:
        raise _not_readable(name, exc) from None
    dn = wb.find("m:definedNames", NS)
    return {d.get("name"): (d.text or "") for d in ([] if dn is None else dn)
            if isinstance(d.tag, str) and d.get("localSheetId") is None}

def _require_absence_workbook(data: bytes, name: str, hint: str = "") -> None:
    if _model_type(data, name) != c.MODELTYPE_VALUE:
        raise InputError(f"Filen {name} er ikke en fraværsanalyse (navnet '{c.MODELTYPE_NAME}' mangler).{hint}")

def _load(source, name: str | None = None) -> tuple[bytes, str]:
    """The package bytes and a name for messages, from a path or from bytes."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "projektmappen"
    path = Path(source)
    if not path.exists():
        raise InputError(f"Filen {path} findes ikke.")
    return path.read_bytes(), name or path.name

def read_inputs(source, name: str | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read every input table of the workbook (a path or the file's bytes): values, not formulas.

    Fast: python-calamine reads the tables; the file is not changed. Returns the
    raw tables by domain key (object columns, empty cells as ``None``) and the
    sheet row of each table's first data row.

    Raises
    ------
    InputError
        The file is not a workbook, a table is missing, or a table holds an
        Excel error value (``#DIV/0!`` …) – with sheet, column and rows.
    """
    data, name = _load(source, name)
    return _read_tables(data, name)

def _read_tables(data: bytes, name: str) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    from openpyxl.utils.cell import get_column_letter as letter
    from python_calamine import CalamineWorkbook

    from ..graft import _Package
    from ..tables import error_cells as _error_cells, error_value_error

    try:
        pkg = _Package(data)
        parts = pkg.sheets()
        cw = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
        tables = set(cw.table_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure means "not a workbook we can read"
        raise _not_readable(name, exc) from None
    raw, first_rows = {}, {}
    for d in c.INPUT_DOMAINS:
        if d.table not in tables:
            if d.key == "indstillinger":
                continue
            where = f"arket '{d.sheet}'" if d.sheet in cw.sheet_names else f"projektmappen (arket '{d.sheet}' mangler)"
            raise InputError(f"Tabellen {d.table} findes ikke i {where}. Brug en projektmappe lavet med "
                             "'tildeling new fravaer', og lad tabellerne blive stående.")
        t = cw.get_table_by_name(d.table)
        (r0, c0), (r1, c1) = t.start, t.end          # 0-based: first data row, last row (inclusive)
        header = [str(h).strip() if h is not None else "" for h in t.columns]
        first_rows[d.key] = r0 + 1
        src = source_for(d, r0 + 1)
        errors = _error_cells(pkg, parts.get(t.sheet, ""), f"{letter(c0 + 1)}{r0}:{letter(c1 + 1)}{r1 + 1}")
        if errors:
            row, col, text = errors[0]
            column = header[col - c0 - 1] if 0 <= col - c0 - 1 < len(header) else None
            raise error_value_error(text, src, column, [r for r, k, _ in errors if k == col])
        width = len(header)
        block = [[None if (isinstance(v, str) and v == "") else v for v in row[:width]] + [None] * (width - len(row))
                 for row in t.to_python()]
        raw[d.key] = pd.DataFrame(block, columns=header, dtype=object) if block else \
            pd.DataFrame(columns=header, dtype=object)
    return raw, first_rows
