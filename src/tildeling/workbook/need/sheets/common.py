"""What the need-model result sheets share: the run's context, the run log's facts, number formats."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .... import __version__
from .... import danish as dk
from ....need.apply import NeedResult
from ...layout import Text

__all__ = ["RunInfo", "Context", "PCT", "PP", "PP_UNIT", "KR", "INDEX", "INT", "DEC3", "DEC2", "KEY", "KRONER", "formats_for",
           "points", "maybe_number", "head_text", "totals_row", "municipal_population", "district_population",
           "show_hidden", "HIDDEN"]

#: How a figure shows that it is hidden in the delivery or computed from a hidden count.
HIDDEN = ".."

PCT = "0.0%"
#: Percentage points: the unit stands in the header ("Forskel (procentpoint)") or the Enhed column, once.
PP = "+0.0;-0.0;0.0"
#: Percentage points where nothing else names the unit (a column that mixes units by row): once, in the cell.
PP_UNIT = '+0.0" procentpoint";-0.0" procentpoint";0.0" procentpoint"'
#: Allocation keys and shares of the budget: two decimals of a percent.
KEY = "0.00%"
#: An amount on its own (a line of text with a value): the unit in the cell.
KR = '#,##0 "kr."'
#: An amount in a column whose header says "(kr.)": the unit once, in the header.
KRONER = "#,##0"
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

    @property
    def started_text(self) -> str:
        """``2. december 2026 kl. 06.33`` (the start time in Danish)."""
        from datetime import datetime

        try:
            return dk.long_datetime(datetime.fromisoformat(str(self.started)))
        except ValueError:
            return str(self.started)


@dataclass
class Context:
    """Everything a sheet builder needs: the core results and how the sheets are meant (live or shared).

    ``names`` are the defined names the workbook has (live formulas refer to them; a name an older workbook
    lacks is replaced by its value). ``district_columns`` are the columns of ``tblDistrikter`` that live
    formulas look up (floors, current budgets).
    """

    result: NeedResult
    alloc: object
    info: RunInfo
    municipality: str
    school_year: str
    shared: bool = False
    budget_year: int | None = None
    settings: dict = field(default_factory=dict)
    names: frozenset = frozenset()
    district_columns: tuple = ()
    last_year: object = None      # need.development.LastYear
    development: object = None    # need.development.Development
    scenarios: object = None      # the workbook's tblScenarieIndstillinger (sheets.scenarios.read_scenarios)

    @property
    def live(self) -> bool:
        return not self.shared

    @property
    def head(self) -> str:
        return head_text(self.municipality, self.budget_year, self.school_year)

    def name(self, name: str) -> str:
        """A setting in a formula: its defined name, or its value where the workbook lacks the name."""
        if name in self.names:
            return name
        value = self.settings.get(name)
        if value is None or value == "":
            return '""'
        if isinstance(value, (int, float)):
            return repr(value)
        return '"' + str(value).replace('"', '""') + '"'

    def head_formula(self) -> str:
        """The formula twin of :attr:`head` (no leading ``=``)."""
        k = f'TRIM({self.name("Kommune")}&"")'
        b = f'TRIM({self.name("Budgetaar")}&"")'
        y = f'TRIM({self.name("Skoleaar")}&"")'
        period = (f'IF({b}<>"","budget "&{b}&IF({y}<>""," (data fra skoleåret "&{y}&")",""),'
                  f'IF({y}<>"","skoleåret "&{y},""))')
        return f'{k}&IF(AND({k}<>"",{period}<>""),", ","")&{period}'

    def title(self, topic: str, style: str = "title") -> Text:
        """``<topic> – <kommune>, budget 2027 (data fra skoleåret 2025/26)``; live on the settings."""
        text = f"{topic} – {self.head}" if self.head else topic
        if self.shared:
            return Text(text, style)
        topic_q = topic.replace('"', '""')
        head = self.head_formula()
        return Text(text, style, text_formula=f'="{topic_q}"&IF({head}<>""," – "&{head},"")')


def _squash(value) -> str:
    """``TRIM`` of Excel: no spaces at the ends, single spaces inside."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def head_text(municipality, budget_year, school_year) -> str:
    """``Helsingør, budget 2027 (data fra skoleåret 2025/26)``; parts that are blank are left out."""
    k, b, y = _squash(municipality), _squash(budget_year), _squash(school_year)
    if b:
        period = f"budget {b}" + (f" (data fra skoleåret {y})" if y else "")
    else:
        period = f"skoleåret {y}" if y else ""
    return ", ".join(part for part in (k, period) if part)


def totals_row(frame: pd.DataFrame, *, shared: bool, label: str = "Distrikt", sums=(), weighted=None,
               custom=None) -> dict:
    """Keyword arguments ``totals``/``totals_values`` of a :class:`TableBlock` with an ``I alt`` row.

    ``sums`` are added up (``SUBTOTAL``), ``weighted`` maps a column to the column of its weights (a weighted
    mean by ``SUMPRODUCT``, e.g. a rate weighted by pupils), ``custom`` maps a column to ``(formula(block),
    value)``. A shared copy gets the values; a column with a suppressed cell gets no total (it could reveal it).
    """
    import numpy as np

    totals, values = {label: "I alt"}, {}

    def numeric(col):
        s = pd.to_numeric(frame[col], errors="coerce")
        suppressed = bool((frame[col].notna() & s.isna()).any()) or (shared and bool(s.isna().any()))
        return s, suppressed

    for col in sums:
        s, suppressed = numeric(col)
        if suppressed:
            continue
        values[col] = float(s.sum())
        totals[col] = values[col] if shared else "sum"
    for col, w in (weighted or {}).items():
        s, suppressed = numeric(col)
        weights = pd.to_numeric(frame[w], errors="coerce")
        if suppressed or not weights.sum():
            continue
        values[col] = float(np.nansum(s * weights) / weights.sum())
        totals[col] = values[col] if shared else (
            lambda b, col=col, w=w: f"=SUMPRODUCT({b.column_range(col)},{b.column_range(w)})/SUM({b.column_range(w)})")
    for col, (formula, value) in (custom or {}).items():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        values[col] = float(value)
        totals[col] = values[col] if shared else formula
    return {"totals": totals, "totals_values": values}


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
            out[name] = "#,##0.0"
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


def show_hidden(ctx: "Context", frame: pd.DataFrame, count: str | None = None, derived=()) -> pd.DataFrame:
    """District-figures route: a delivery's hidden counts show their marker (``<5``, ``..``) and every missing
    figure derived from them shows ``..`` – instead of an empty cell. Pupil route: ``frame`` unchanged."""
    fig = ctx.result.figures
    if fig is None:
        return frame
    out = frame.copy()
    cols = [col for col in ([count] if count else []) + list(derived) if col in out.columns]
    for col in cols:
        out[col] = out[col].astype(object)
    for i, code in enumerate(out["Distrikt"].astype(str)):
        if count in out.columns and code in fig.markers:
            out.iat[i, out.columns.get_loc(count)] = fig.markers[code]
        for col in derived:
            if col in out.columns:
                v = out.iat[i, out.columns.get_loc(col)]
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    out.iat[i, out.columns.get_loc(col)] = HIDDEN
    return out
