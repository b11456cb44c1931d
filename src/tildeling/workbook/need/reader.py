"""Read a need-model workbook's inputs (fast: python-calamine) without changing the file.

Problems that do not stop the reading (Excel error values in a table, a bad setting, a broken
coefficient table) are collected in :attr:`NeedInputs.problems`; :func:`~tildeling.workbook.need.run.compute`
adds the problems of the pupil data, the districts and the budget options and reports them all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from ...danish import NumberError, cell_number
from ...errors import InputError, Problems, Source, format_names, is_excel_error
from ...model.coefficients import CoefficientTable
from ...model.design import check_required_columns
from ...need.figures import ROUTE_FIGURES, ROUTE_PUPILS, DistrictFigures, figures_from_tables, same_municipality
from ...need.development import LastYear, last_year_from_frame
from ..tables import WorkbookTables, read_tables
from . import contract as c

__all__ = ["NeedInputs", "read_need_inputs", "need_inputs_from_tables", "coefficients_from_tables"]


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
    problems: list = field(default_factory=list)
    plan: pd.DataFrame | None = None          # tblDistriktsplan (optional)
    plan_source: Source | None = None
    last_year: LastYear | None = None         # tblSidsteAar (optional, validated)
    last_year_coefficients: CoefficientTable | None = None   # tblSidsteAarKoefficienter (optional)
    figures: DistrictFigures | None = None    # the district-figures route (no pupil rows); then coefficients is None
    by_figures: bool = False                  # no pupil rows, district figures given (even if they had problems)

    @property
    def route(self) -> str:
        return ROUTE_FIGURES if self.by_figures or self.figures is not None else ROUTE_PUPILS

    @property
    def demo(self) -> bool:
        """Computed with the bundled demonstration coefficients (a delivery says so in tblLeverance)."""
        if self.figures is not None:
            return self.figures.demo
        from ...io.coefficients import is_demonstration

        return self.coefficients is not None and is_demonstration(self.coefficients)

    @property
    def coefficient_source(self) -> str:
        if self.figures is not None:
            meta = self.figures.metadata
            source = meta.get("Koefficientkilde") or "ukendt"
            mark = meta.get("Koefficienternes fingeraftryk")
            return f"leverancen på arket {c.SHEET_DISTRICT_FIGURES}: {source}" + (f" (fingeraftryk {mark})"
                                                                                 if mark else "") \
                if self.figures.from_delivery else f"distriktstal skrevet på arket {c.SHEET_DISTRICT_FIGURES}"
        if self.coefficients is None:
            return ""
        return self.coefficients.metadata.get("Datakilde", "arket Koefficienter")

    def raise_problems(self) -> None:
        """Raise the problems found while reading (one InputError, or InputErrors listing them)."""
        p = Problems()
        p.extend(self.problems)
        p.raise_if_any()


#: The tables a run reads: their Excel error values and pasted rows are reported (result tables are not).
READ_TABLES = c.INPUT_TABLES

#: The largest whole number a setting of kind ``int`` may have (phase-in years and the like).
MAX_INT_SETTING = 1_000_000


def setting_source(setting: c.Setting, tables: WorkbookTables | None = None) -> Source:
    """Where a setting is, for messages: the sheet, its cell and its label."""
    ref = (getattr(tables, "references", None) or {}).get(setting.name) if tables is not None else None
    where = f"Arket '{c.SHEET_SETTINGS}'"
    if ref:
        sheet, cell = ref
        where = f"Arket '{sheet}', celle {cell}"
    return Source(f"{where} ('{setting.label}', navnet {setting.name})")


def _setting_value(setting: c.Setting, value, source: Source):
    """The value of one setting, checked; an InputError names the setting and its cell."""
    if is_excel_error(value):
        raise InputError(f"fejlværdien '{str(value).strip()}' – ret formlen eller skriv en værdi.", source=source,
                         kind="excel_error")
    if setting.kind == "text":
        if value is None:
            return ""
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, (datetime, date)):
            value = value.strftime("%d-%m-%Y")
        return str(value).strip()
    if value is None or (isinstance(value, str) and not value.strip()):
        if setting.optional:
            return None
        raise InputError("er tom – skriv en værdi.", source=source)
    try:
        number = cell_number(value, percent=setting.kind == "fraction")
    except NumberError as exc:
        raise InputError(f"skal være et tal: {exc}.", source=source) from None
    if number is None:
        if setting.optional:
            return None
        raise InputError("er tom – skriv en værdi.", source=source)
    if setting.kind == "int":
        if not number.is_integer():
            raise InputError(f"skal være et helt tal, ikke {str(number).replace('.', ',')}.", source=source)
        if abs(number) > MAX_INT_SETTING:
            raise InputError(f"tallet er alt for stort ({value}) – skriv et helt tal som 0, 1, 2 …", source=source)
        return int(number)
    return number


def read_need_inputs(data: bytes, name: str = "projektmappen", *, defer: bool = False) -> NeedInputs:
    """Inputs of a need-model workbook, checked for presence and shape (values are checked by the core).

    ``defer=True``: problems in the values are left in :attr:`NeedInputs.problems` for
    :func:`~tildeling.workbook.need.run.compute` to report together with its own; otherwise they are raised
    here, all at once.
    """
    return need_inputs_from_tables(read_tables(data, name), defer=defer)


def coefficients_from_tables(tables: WorkbookTables) -> CoefficientTable:
    """The coefficient table on Koefficienter (tblKoefficienter, metadata from tblModelinfo), checked."""
    coef_frame = tables.require(c.TBL_COEFS, c.SHEET_COEFS)
    return CoefficientTable.from_frame(coef_frame, model_info(tables), tables.sources[c.TBL_COEFS])


def model_info(tables: WorkbookTables) -> dict[str, str]:
    """The coefficient table's metadata from tblModelinfo (Nøgle → Værdi); empty without the table."""
    if c.TBL_MODEL_INFO in tables.frames:
        m = tables.frames[c.TBL_MODEL_INFO]
        if {"Nøgle", "Værdi"} <= set(m.columns):
            return {str(k): ("" if v is None else str(v)) for k, v in zip(m["Nøgle"], m["Værdi"]) if k}
    return {}


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0 and bool(frame.notna().to_numpy().any())


def need_inputs_from_tables(tables: WorkbookTables, *, defer: bool = False) -> NeedInputs:
    """:class:`NeedInputs` from a workbook's tables and defined names (a file or a live Excel workbook).

    Two routes: with pupil rows on the sheet Elever, the model is applied to them (the coefficient table is
    needed); without pupil rows, the district figures on the sheet Distriktstal are used (a delivery's, or typed
    in), and they are checked here (:func:`~tildeling.need.figures.figures_from_tables`).

    Missing tables or defined names raise at once (nothing else can be checked without them), and so does
    a coefficient table that cannot be read on the pupil route (the pupil data cannot be checked without it).
    Other problems are raised all at once – or, with ``defer=True``, left in :attr:`NeedInputs.problems`.
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
    by_figures = figure_rows and not pupil_rows
    problems = Problems(limit=10**9)  # all of them: compute() adds its own and applies the limit
    problems.extend(tables.problems_of(READ_TABLES))   # result sheets are replaced by the run anyway
    warnings = tables.warnings_of(READ_TABLES)
    needed = [(c.TBL_DISTRICTS, c.SHEET_DISTRICTS)]
    if not by_figures:
        needed = [(c.TBL_PUPILS, c.SHEET_PUPILS), *needed, (c.TBL_COEFS, c.SHEET_COEFS)]
    for table, sheet in needed:
        with problems.collect():
            tables.require(table, sheet)
    missing = [s.name for s in c.SETTINGS if s.name not in tables.names and s.kind != "text" and not s.optional]
    if missing:
        problems.add(InputError(f"Projektmappen mangler de definerede navne {format_names(missing)} (på arket "
                                f"'{c.SHEET_SETTINGS}'). Lav en ny projektmappe med 'tildeling new behovsmodel'."))
    if missing or any(t not in tables.frames for t, _ in needed):
        problems.raise_if_any()
    pupils = tables.frames.get(c.TBL_PUPILS, pd.DataFrame())
    pupil_source = tables.sources.get(c.TBL_PUPILS, Source(f"Arket '{c.SHEET_PUPILS}'"))
    if not pupil_rows and not figure_rows and c.TBL_DISTRICT_FIGURES in tables.frames:
        problems.add(InputError("indeholder ingen elever, og arket Distriktstal har ingen distriktstal – indsæt "
                                "elever, eller indlæs analytikerens leverance (Tildeling → Indlæs leverance).",
                                source=pupil_source))
    if pupil_rows and figure_rows:
        warnings.append(f"Arket {c.SHEET_DISTRICT_FIGURES} bruges ikke, fordi arket {c.SHEET_PUPILS} har elever. "
                        "Slet eleverne for at regne på distriktstallene.")
    districts = tables.frames[c.TBL_DISTRICTS]
    dsrc = tables.sources[c.TBL_DISTRICTS]
    problems.attempt(check_required_columns, districts, list(c.DISTRICT_REQUIRED), dsrc)
    coefs = figures = None
    if not by_figures:
        coefs = problems.attempt(CoefficientTable.from_frame, tables.frames[c.TBL_COEFS], model_info(tables),
                                 tables.sources[c.TBL_COEFS])
    settings = {}
    for s in c.SETTINGS:
        settings[s.name] = problems.attempt(_setting_value, s, tables.names.get(s.name, s.default),
                                            setting_source(s, tables))
    year = settings.get("Budgetaar")
    if year is not None and not 1900 <= year <= 2200:
        problems.add(InputError(f"skal være et årstal, fx 2027, ikke {year}.",
                                source=setting_source(c.SETTING_BY_NAME["Budgetaar"], tables)))
    last_year = problems.attempt(last_year_from_frame, tables.frames.get(c.TBL_LAST_YEAR),
                                 tables.sources.get(c.TBL_LAST_YEAR))
    last_coefs = None
    if last_year is not None and c.TBL_LAST_YEAR_COEFS in tables.frames and len(tables.frames[c.TBL_LAST_YEAR_COEFS]):
        last_coefs = problems.attempt(CoefficientTable.from_frame, tables.frames[c.TBL_LAST_YEAR_COEFS], {},
                                      tables.sources[c.TBL_LAST_YEAR_COEFS])
    if by_figures:
        frames = {t: tables.frames[t] for t in c.DELIVERY_TABLES if t in tables.frames}
        figures = problems.attempt(figures_from_tables, frames, {t: tables.sources[t] for t in frames})
        if figures is not None:
            problems.attempt(_check_municipality, settings.get("Kommune") or "", figures, tables)
            problems.attempt(_check_same_districts, districts, dsrc, figures, tables.sources[c.TBL_DISTRICT_FIGURES])
    if not defer or (coefs is None and not by_figures):
        problems.raise_if_any()
    return NeedInputs(pupils, pupil_source, districts, dsrc, coefs, settings, tables, warnings=warnings,
                      problems=list(problems.items), plan=tables.frames.get(c.TBL_PLAN),
                      plan_source=tables.sources.get(c.TBL_PLAN), last_year=last_year,
                      last_year_coefficients=last_coefs, figures=figures, by_figures=by_figures)


def _check_municipality(setting: str, figures: DistrictFigures, tables: WorkbookTables) -> None:
    """The district figures must be the workbook's municipality's (the setting Kommune, by name or code)."""
    if same_municipality(setting, figures):
        return
    who = figures.municipality_name or figures.municipality
    if figures.municipality_name and figures.municipality:
        who = f"{figures.municipality_name} ({figures.municipality})"
    raise InputError(f"distriktstallene er fra {who}, men projektmappen er til '{setting}' (arket "
                     f"{c.SHEET_SETTINGS}, Kommune). Indlæs leverancen for {setting}, eller ret kommunen på arket "
                     f"{c.SHEET_SETTINGS}.",
                     source=tables.sources.get(c.TBL_MUNICIPAL_FIGURES, tables.sources[c.TBL_DISTRICT_FIGURES]),
                     column="Kommune" if c.TBL_MUNICIPAL_FIGURES in tables.frames else None)


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
