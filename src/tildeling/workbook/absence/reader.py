"""Read an absence workbook's input tables (python-calamine) without changing the file."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from ...errors import InputError
from . import contract as c

__all__ = ["read_inputs", "is_absence_workbook", "read_absence_tables", "AbsenceTables"]


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
    """The package bytes and a name for messages, from a path, an opened file or bytes."""
    from ...io.files import WorkbookFile, open_workbook

    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "projektmappen"
    if isinstance(source, WorkbookFile):
        return source.data, name or source.name
    opened = open_workbook(source)
    return opened.data, name or opened.name


@dataclass
class AbsenceTables:
    """The raw input tables of an absence workbook, as read (not yet validated).

    ``problems``: Excel error values inside the tables (InputErrors with sheet, column and rows), for
    :func:`~tildeling.absence.inputs.validate_inputs` to report with its own. ``warnings``: e.g. data pasted
    below a table.
    """

    raw: dict
    first_rows: dict
    warnings: list
    problems: list


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
    """The raw tables and first rows; error values in the tables are raised (all of them)."""
    from ...errors import Problems

    t = read_absence_tables(data, name)
    problems = Problems()
    problems.extend(t.problems)
    problems.raise_if_any()
    return t.raw, t.first_rows


def read_absence_tables(data: bytes, name: str) -> AbsenceTables:
    """Every input table of the absence workbook, with the problems and warnings found while reading."""
    from ..tables import read_tables

    tables = read_tables(data, name)
    raw, first_rows = {}, {}
    for d in c.INPUT_DOMAINS:
        if d.table not in tables.frames:
            if d.key == "indstillinger":
                continue
            where = f"arket '{d.sheet}'" if d.sheet in tables.sheet_names else \
                f"projektmappen (arket '{d.sheet}' mangler)"
            raise InputError(f"Tabellen {d.table} findes ikke i {where}. Brug en projektmappe lavet med "
                             "'tildeling new fravaer', og lad tabellerne blive stående.")
        frame = tables.frames[d.table]
        header = [str(h).strip() if h is not None else "" for h in frame.columns]
        block = frame.astype(object).where(frame.notna(), None)
        block.columns = header
        raw[d.key] = block.reset_index(drop=True)
        first_rows[d.key] = tables.sources[d.table].first_row
    inputs = [d.table for d in c.INPUT_DOMAINS]
    return AbsenceTables(raw, first_rows, tables.warnings_of(inputs), tables.problems_of(inputs))
