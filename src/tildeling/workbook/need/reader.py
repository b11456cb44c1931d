"""Read a need-model workbook's inputs (fast: python-calamine) without changing the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...errors import InputError, Source, format_names
from ...model.coefficients import CoefficientTable
from ...model.design import check_required_columns
from ...need.figures import ROUTE_FIGURES, ROUTE_PUPILS, DistrictFigures, figures_from_tables, same_municipality
from ..tables import WorkbookTables, read_tables
from . import contract as c

__all__ = ["NeedInputs", "read_need_inputs", "need_inputs_from_tables"]


@dataclass
class NeedInputs:
    pupils: pd.DataFrame
    pupil_source: Source
    districts: pd.DataFrame
    district_source: Source
    coefficients: CoefficientTable | None
    settings: dict
    tables: WorkbookTables
    warnings: list = field(default_factory=list)
    plan: pd.DataFrame | None = None          # tblDistriktsplan (optional)
    plan_source: Source | None = None
    figures: DistrictFigures | None = None    # the district-figures route (no pupil rows); then coefficients is None

    @property
    def route(self) -> str:
        return ROUTE_PUPILS if self.figures is None else ROUTE_FIGURES

    @property
    def demo(self) -> bool:
        """Computed with the bundled demonstration coefficients (a delivery says so in tblLeverance)."""
        if self.figures is not None:
            return self.figures.demo
        from ...io.coefficients import is_demonstration

        return is_demonstration(self.coefficients)

    @property
    def coefficient_source(self) -> str:
        if self.figures is not None:
            meta = self.figures.metadata
            source = meta.get("Koefficientkilde") or "ukendt"
            mark = meta.get("Koefficienternes fingeraftryk")
            return f"leverancen på arket {c.SHEET_DISTRICT_FIGURES}: {source}" + (f" (fingeraftryk {mark})"
                                                                                 if mark else "") \
                if self.figures.from_delivery else f"distriktstal skrevet på arket {c.SHEET_DISTRICT_FIGURES}"
        return self.coefficients.metadata.get("Datakilde", "arket Koefficienter")


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


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0 and bool(frame.notna().to_numpy().any())


def need_inputs_from_tables(tables: WorkbookTables) -> NeedInputs:
    """:class:`NeedInputs` from a workbook's tables and defined names (a file or a live Excel workbook).

    Two routes: with pupil rows on the sheet Elever, the model is applied to them (the coefficient table is
    needed); without pupil rows, the district figures on the sheet Distriktstal are used (a delivery's, or typed
    in), and they are checked here (:func:`~tildeling.need.figures.figures_from_tables`).
    """
    name = tables.name
    kind = tables.names.get(c.KIND_NAME)
    if kind == c.DELIVERY_KIND:
        raise InputError(f"{name} er en leverance (distriktstal fra analytikeren), ikke en behovsmodel. Lav en "
                         "projektmappe ud fra den med 'tildeling new behovsmodel --leverance FIL --out "
                         "PROJEKTMAPPE.xlsx', eller indlæs den i en projektmappe med Tildeling → Indlæs leverance.")
    if kind not in (None, c.KIND):
        raise InputError(f"{name} er en projektmappe af typen '{kind}', ikke en behovsmodel.")
    pupil_rows = _has_rows(tables.frames.get(c.TBL_PUPILS))
    figure_rows = _has_rows(tables.frames.get(c.TBL_DISTRICT_FIGURES))
    warnings = []
    if pupil_rows or not figure_rows:
        pupils = tables.require(c.TBL_PUPILS, c.SHEET_PUPILS)
        if not pupil_rows and c.TBL_DISTRICT_FIGURES in tables.frames:
            raise InputError("indeholder ingen elever, og arket Distriktstal har ingen distriktstal – indsæt "
                             "elever, eller indlæs analytikerens leverance (Tildeling → Indlæs leverance).",
                             source=tables.sources[c.TBL_PUPILS])
        if figure_rows:
            warnings.append(f"Arket {c.SHEET_DISTRICT_FIGURES} bruges ikke, fordi arket {c.SHEET_PUPILS} har elever. "
                            f"Slet eleverne for at regne på distriktstallene.")
    else:
        pupils = tables.frames.get(c.TBL_PUPILS, pd.DataFrame())
    districts = tables.require(c.TBL_DISTRICTS, c.SHEET_DISTRICTS)
    dsrc = tables.sources[c.TBL_DISTRICTS]
    check_required_columns(districts, list(c.DISTRICT_REQUIRED), dsrc)
    coefs = figures = None
    if pupil_rows or not figure_rows:
        coef_frame = tables.require(c.TBL_COEFS, c.SHEET_COEFS)
        meta = {}
        if c.TBL_MODEL_INFO in tables.frames:
            m = tables.frames[c.TBL_MODEL_INFO]
            if {"Nøgle", "Værdi"} <= set(m.columns):
                meta = {str(k): ("" if v is None else str(v)) for k, v in zip(m["Nøgle"], m["Værdi"]) if k}
        coefs = CoefficientTable.from_frame(coef_frame, meta, tables.sources[c.TBL_COEFS])
    settings = {}
    ssrc = Source(f"Arket '{c.SHEET_SETTINGS}'")
    missing = [s.name for s in c.SETTINGS if s.name not in tables.names and s.kind != "text"]
    if missing:
        raise InputError(f"Projektmappen mangler de definerede navne {format_names(missing)} (på arket "
                         f"'{c.SHEET_SETTINGS}'). Lav en ny projektmappe med 'tildeling new behovsmodel'.")
    for s in c.SETTINGS:
        settings[s.name] = _setting_value(s, tables.names.get(s.name, s.default), ssrc)
    if not (pupil_rows or not figure_rows):
        frames = {t: tables.frames[t] for t in c.DELIVERY_TABLES if t in tables.frames}
        figures = figures_from_tables(frames, {t: tables.sources[t] for t in frames})
        if not same_municipality(settings.get("Kommune", ""), figures):
            who = figures.municipality_name or figures.municipality
            if figures.municipality_name and figures.municipality:
                who = f"{figures.municipality_name} ({figures.municipality})"
            raise InputError(f"distriktstallene er fra {who}, men projektmappen er til '{settings['Kommune']}' "
                             f"(arket {c.SHEET_SETTINGS}, Kommune). Indlæs leverancen for "
                             f"{settings['Kommune']}, eller ret kommunen på arket {c.SHEET_SETTINGS}.",
                             source=tables.sources.get(c.TBL_MUNICIPAL_FIGURES, tables.sources[c.TBL_DISTRICT_FIGURES]),
                             column="Kommune" if c.TBL_MUNICIPAL_FIGURES in tables.frames else None)
        _check_same_districts(districts, dsrc, figures, tables.sources[c.TBL_DISTRICT_FIGURES])
    return NeedInputs(pupils, tables.sources.get(c.TBL_PUPILS, Source(f"Arket '{c.SHEET_PUPILS}'")), districts, dsrc,
                      coefs, settings, tables, warnings=warnings, plan=tables.frames.get(c.TBL_PLAN),
                      plan_source=tables.sources.get(c.TBL_PLAN), figures=figures)


def _check_same_districts(districts: pd.DataFrame, dsrc: Source, figures: DistrictFigures, fsrc: Source) -> None:
    """The district table (budgets, floors) and the district figures must list the same districts (the district
    table may be left empty: then the figures' districts are used)."""
    from ...need.codes import normalise_codes

    codes = normalise_codes(districts["Distrikt"]) if len(districts) else pd.Series([], dtype=object)
    listed = [x for x in codes if x]
    if not listed:
        return
    have = list(figures.districts["Distrikt"])
    extra = [x for x in listed if x not in have]
    lacking = [x for x in have if x not in listed]
    lines = []
    if lacking:
        lines.append(f"{'distriktet' if len(lacking) == 1 else 'distrikterne'} {format_names(lacking)} har "
                     f"distriktstal ({fsrc.label}), men står ikke på arket {c.SHEET_DISTRICTS}")
    if extra:
        rows = dsrc.rows([i for i, x in enumerate(codes) if x in extra])
        lines.append(f"{'distriktet' if len(extra) == 1 else 'distrikterne'} {format_names(extra)} på arket "
                     f"{c.SHEET_DISTRICTS} (række {', '.join(map(str, rows))}) har ingen distriktstal")
    if lines:
        raise InputError("Distrikterne passer ikke sammen: " + "; ".join(lines) + ". Ret arket "
                         f"{c.SHEET_DISTRICTS}, eller indlæs leverancen igen (Tildeling → Indlæs leverance), så "
                         "distrikterne skrives fra den.", source=dsrc, column="Distrikt")
