"""Read a need-model workbook's inputs (fast: python-calamine) without changing the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...errors import InputError, Source, format_names
from ...model.coefficients import CoefficientTable
from ...model.design import check_required_columns
from ..tables import WorkbookTables, read_tables
from . import contract as c

__all__ = ["NeedInputs", "read_need_inputs", "need_inputs_from_tables", "coefficients_from_tables"]


@dataclass
class NeedInputs:
    pupils: pd.DataFrame
    pupil_source: Source
    districts: pd.DataFrame
    district_source: Source
    coefficients: CoefficientTable
    settings: dict
    tables: WorkbookTables
    warnings: list = field(default_factory=list)
    plan: pd.DataFrame | None = None          # tblDistriktsplan (optional)
    plan_source: Source | None = None


def _setting_value(setting: c.Setting, value, source: Source):
    if setting.kind == "text":
        return "" if value is None else str(value).strip()
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"'{setting.label}' er tom – skriv en værdi.", source=source)
    if isinstance(value, str):
        try:
            value = float(value.replace(".", "").replace(",", ".")) if setting.kind == "number" else \
                float(value.replace(",", ".").rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise InputError(f"'{setting.label}' skal være et tal, ikke '{value}'.", source=source) from None
    value = float(value)
    if setting.kind == "int":
        if not value.is_integer():
            raise InputError(f"'{setting.label}' skal være et helt tal.", source=source)
        return int(value)
    return value


def read_need_inputs(data: bytes, name: str = "projektmappen") -> NeedInputs:
    """Inputs of a need-model workbook, checked for presence and shape (values are checked by the core)."""
    return need_inputs_from_tables(read_tables(data, name))


def coefficients_from_tables(tables: WorkbookTables) -> CoefficientTable:
    """The coefficient table on Koefficienter (tblKoefficienter, metadata from tblModelinfo), checked."""
    coef_frame = tables.require(c.TBL_COEFS, c.SHEET_COEFS)
    meta = {}
    if c.TBL_MODEL_INFO in tables.frames:
        m = tables.frames[c.TBL_MODEL_INFO]
        if {"Nøgle", "Værdi"} <= set(m.columns):
            meta = {str(k): ("" if v is None else str(v)) for k, v in zip(m["Nøgle"], m["Værdi"]) if k}
    return CoefficientTable.from_frame(coef_frame, meta, tables.sources[c.TBL_COEFS])


def need_inputs_from_tables(tables: WorkbookTables) -> NeedInputs:
    """:class:`NeedInputs` from a workbook's tables and defined names (a file or a live Excel workbook)."""
    name = tables.name
    kind = tables.names.get(c.KIND_NAME)
    if kind not in (None, c.KIND):
        raise InputError(f"{name} er en projektmappe af typen '{kind}', ikke en behovsmodel.")
    pupils = tables.require(c.TBL_PUPILS, c.SHEET_PUPILS)
    districts = tables.require(c.TBL_DISTRICTS, c.SHEET_DISTRICTS)
    dsrc = tables.sources[c.TBL_DISTRICTS]
    check_required_columns(districts, list(c.DISTRICT_REQUIRED), dsrc)
    coefs = coefficients_from_tables(tables)
    settings = {}
    ssrc = Source(f"Arket '{c.SHEET_SETTINGS}'")
    missing = [s.name for s in c.SETTINGS if s.name not in tables.names and s.kind != "text"]
    if missing:
        raise InputError(f"Projektmappen mangler de definerede navne {format_names(missing)} (på arket "
                         f"'{c.SHEET_SETTINGS}'). Lav en ny projektmappe med 'tildeling new behovsmodel'.")
    for s in c.SETTINGS:
        settings[s.name] = _setting_value(s, tables.names.get(s.name, s.default), ssrc)
    return NeedInputs(pupils, tables.sources[c.TBL_PUPILS], districts, dsrc, coefs, settings, tables,
                      plan=tables.frames.get(c.TBL_PLAN), plan_source=tables.sources.get(c.TBL_PLAN))
