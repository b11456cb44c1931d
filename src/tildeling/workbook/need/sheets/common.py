"""What the need-model result sheets share: the run's context, the run log's facts, number formats."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .... import __version__
from .... import danish as dk
from ....need.apply import NeedResult

__all__ = ["RunInfo", "Context", "PCT", "PP", "KR", "INDEX", "INT", "DEC3", "DEC2", "formats_for", "points",
           "maybe_number", "municipal_population", "district_population"]

PCT = "0.0%"
PP = '0.0" pp"'
KR = '#,##0 "kr."'
INDEX = "0.0"
INT = "#,##0"
DEC3 = "0.000"
DEC2 = "0.00"


@dataclass
class RunInfo:
    """What the run log records."""

    started: str
    fingerprint: str
    coefficient_source: str
    settings: dict
    warnings: list
    seconds: float = 0.0
    version: str = __version__


@dataclass
class Context:
    """Everything a sheet builder needs: the core results and how the sheets are meant (live or shared)."""

    result: NeedResult
    alloc: object
    info: RunInfo
    municipality: str
    school_year: str
    shared: bool = False

    @property
    def head(self) -> str:
        return f"{self.municipality}, skoleåret {self.school_year}".strip(", ")


def formats_for(frame: pd.DataFrame) -> dict[str, str]:
    from ....io.results import number_format_for

    out = {}
    for col in frame.columns:
        name = str(col)
        if "procentpoint" in name.lower():
            out[name] = PP
        elif name in ("Elever", "Faktiske", "Modtagere", "Faktiske segregerede elever"):
            out[name] = INT
        elif name == "Forventede segregerede elever":
            out[name] = "0.0"
        else:
            f = number_format_for(name)
            if f:
                out[name] = f
    return out


def points(frame: pd.DataFrame) -> pd.DataFrame:
    """Differences in percentage points are stored as points (2.3), not fractions."""
    frame = frame.copy()
    for col in frame.columns:
        if "procentpoint" in str(col).lower():
            frame[col] = frame[col] * 100
    return frame


def maybe_number(v):
    if v is None:
        return None
    try:
        return float(str(v).replace(",", "."))
    except ValueError:
        return str(v)


def _without(ctx: "Context") -> str:
    """The number of pupils without a district, as shown: a shared copy never shows a count under the threshold."""
    from ....privacy import SMALL_CELL

    k = ctx.result.without_district
    return "" if ctx.shared and k < SMALL_CELL else f"{dk.integer(k)} "


def municipal_population(ctx: "Context", table: str) -> str:
    """Which pupils a municipal table counts (Tabel 4.1, 3.2, 3.3), in Danish: every pupil in grades 0–9."""
    result = ctx.result
    text = f"{table} tæller alle kommunens {dk.integer(result.n_municipal)} elever i 0.-9. klasse"
    if result.without_district:
        text += f", også de {_without(ctx)}elever uden distrikt"
    return text + "."


def district_population(ctx: "Context", table: str) -> str:
    """Which pupils a district table counts (Tabel 5.1, benchmarks per district, Bilag 3), in Danish."""
    result = ctx.result
    text = f"{table} tæller de {dk.integer(result.n_districts)} elever i 0.-9. klasse, der har et distrikt"
    if result.plan is not None:
        text += " (i budgetdistriktet efter distriktsplanen)"
    if result.without_district:
        text += f"; {_without(ctx)}elever uden distrikt er ikke med"
    return text + "."
