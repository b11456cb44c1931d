"""Scenarier: up to four ways of splitting the budget side by side, live.

Politicians choose between scenarios, not single runs. The yellow table ``tblScenarieIndstillinger`` holds
four scenarios (a name, the share by pupil count, floors yes/no, the total); ``tblScenarier`` gives each
district's budget under each of them and the change from the current budget. Every figure is a formula with
the rules of the sheet Fordeling (mixed key, floors without iteration, whole kroner by the largest remainder),
so changing a scenario recalculates at once; the key itself and the pupils come from Fordeling. A scenario is
the full budget – without the phase-in and the loss limit, which are about the road there.

The yellow table lives on a result sheet: a new run reads it first (:func:`read_scenarios`) and writes it back,
so a budget officer's scenarios survive a rerun; a total typed as a number stays a number, a total equal to
``SamletBudget`` stays the formula ``=SamletBudget``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.utils import quote_sheetname

from ....need import budget as B
from ...layout import Chart, Sheet, TableBlock, Text
from .. import contract as c
from .allocation import DASH, HUGE, ORDER, _floors_mirror, _hamilton_mirror, rank_formula
from .common import KEY, KRONER, Context

__all__ = ["scenarios_sheet", "read_scenarios", "Scenario", "DEFAULT_SCENARIOS", "SETTING_COLUMNS"]

SCENARIO, NAME, WEIGHT, FLOORS, TOTAL = "Scenarie", "Navn", "Andel efter elevtal", "Med gulve", "Samlet budget (kr.)"
#: Columns of ``tblScenarieIndstillinger`` (a contract): one row per scenario.
SETTING_COLUMNS = (SCENARIO, NAME, WEIGHT, FLOORS, TOTAL)
#: name, share by pupil count, floors.
DEFAULT_SCENARIOS = (("Behov alene", 0.0, "Ja"), ("20 % efter elevtal", 0.2, "Ja"), ("50 % efter elevtal", 0.5, "Ja"),
                     ("20 % efter elevtal, uden gulve", 0.2, "Nej"))
N_SCENARIOS = len(DEFAULT_SCENARIOS)

HEAD, NEED, FLOOR_IN = "Elevtalsandel", "Behovsnøgle", "Gulv (kr.)"


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float             # share by pupil count, 0-1
    floors: str               # "Ja" | "Nej"
    total: float | None = None   # None: =SamletBudget


def read_scenarios(tables, warnings: list | None = None, *, current_total=None) -> list[Scenario] | None:
    """The scenarios of the workbook's ``tblScenarieIndstillinger`` (kept from the last run), or None.

    A row whose values a scenario cannot use (a share outside 0-100 %, floors not Ja/Nej, a negative total) gets
    the default back, and ``warnings`` says so (the run goes on: the table is the user's scratch pad).
    """
    frame = getattr(tables, "frames", {}).get(c.TBL_SCENARIO_SETTINGS)
    if frame is None or not {NAME, WEIGHT, FLOORS}.issubset(frame.columns):
        return None
    current_total = float(current_total) if isinstance(current_total, (int, float)) else None
    out = []
    for i in range(N_SCENARIOS):
        default = Scenario(*DEFAULT_SCENARIOS[i])
        if i >= len(frame):
            out.append(default)
            continue
        row = frame.iloc[i]
        name = "" if row.get(NAME) is None or pd.isna(row.get(NAME)) else str(row.get(NAME)).strip()
        weight = pd.to_numeric(row.get(WEIGHT), errors="coerce")
        floors = str(row.get(FLOORS) or "").strip().capitalize()
        total = pd.to_numeric(row.get(TOTAL), errors="coerce") if TOTAL in frame.columns else np.nan
        bad = []
        if not (np.isfinite(weight) and 0 <= weight <= 1):
            bad.append(WEIGHT)
        if floors not in ("Ja", "Nej"):
            bad.append(FLOORS)
        if np.isfinite(total) and total < 0:
            bad.append(TOTAL)
        if bad and warnings is not None:
            warnings.append(f"Arket {c.SHEET_SCENARIOS}, scenarie {i + 1}: {', '.join(bad)} kan ikke bruges; "
                            "standardværdien er sat ind igen.")
        typed = np.isfinite(total) and total >= 0 and (current_total is None or abs(total - current_total) > 1e-9)
        out.append(Scenario(name or default.name,
                            default.weight if WEIGHT in bad else float(weight),
                            default.floors if FLOORS in bad else floors,
                            float(total) if typed else None))
    return out


def budget_col(s: int) -> str:
    return f"Scenarie {s} (kr.)"


def change_col(s: int) -> str:
    return f"Ændring {s} (kr.)"


def _helpers(s: int) -> dict[str, str]:
    return {k: f"{k} {s}" for k in ("Nøgle", "Gulv", "Forhold", "Gulvrang", "Lambda", "Beløb", "Heltal", "Rest",
                                    "Rang")}


def _scenario_budgets(ctx: Context, weight: float, floors_on: bool, total: float):
    """The core's budget under one scenario (None where its options are impossible)."""
    t = ctx.alloc.table
    floors = None
    if floors_on and B.FLOOR in t:
        floors = {d: float(f) for d, f in zip(t["Distrikt"], pd.to_numeric(t[B.FLOOR], errors="coerce"))
                  if np.isfinite(f)}
    try:
        alloc = B.allocate(t[["Distrikt", B.PUPILS, B.NEED_KEY]],
                           B.BudgetOptions(total=total, head_count_weight=weight, floors=floors))
    except Exception:  # noqa: BLE001 - an impossible scenario shows "–", as its formulas do
        return None
    return alloc.table[B.BUDGET].to_numpy(float)


def scenarios(ctx: Context) -> list[Scenario]:
    return list(ctx.scenarios) if ctx.scenarios else [Scenario(*s) for s in DEFAULT_SCENARIOS]


def scenarios_sheet(ctx: Context, allocation: Sheet | None = None) -> Sheet:
    t = ctx.alloc.table
    total = float(ctx.alloc.options.total)
    chosen = scenarios(ctx)
    totals = [total if s.total is None else s.total for s in chosen]
    settings = pd.DataFrame({SCENARIO: list(range(1, N_SCENARIOS + 1)),
                             NAME: [s.name for s in chosen],
                             WEIGHT: [s.weight for s in chosen],
                             FLOORS: [s.floors for s in chosen],
                             TOTAL: totals})
    frame = pd.DataFrame({"Distrikt": t["Distrikt"].astype(str),
                          B.NAME: t[B.NAME] if B.NAME in t else t["Distrikt"],
                          B.CURRENT: t[B.CURRENT] if B.CURRENT in t else np.nan})
    budgets = {}
    for s, sc in enumerate(chosen, start=1):
        budgets[s] = _scenario_budgets(ctx, sc.weight, sc.floors == "Ja", totals[s - 1])
        frame[budget_col(s)] = budgets[s] if budgets[s] is not None else DASH
    cur = pd.to_numeric(frame[B.CURRENT], errors="coerce").to_numpy(float)
    for s in range(1, N_SCENARIOS + 1):
        frame[change_col(s)] = budgets[s] - cur if budgets[s] is not None else np.nan
    blocks: list = [ctx.title("Scenarier: fire måder at fordele budgettet på")]
    shown_names = " · ".join(f"Scenarie {i}: {s.name}" for i, s in enumerate(chosen, start=1))
    if ctx.shared:
        blocks.append(Text(shown_names, "normal"))
        settings_block = TableBlock(c.TBL_SCENARIO_SETTINGS, settings, {WEIGHT: "0%", TOTAL: KRONER},
                                    widths={NAME: 30, TOTAL: 16})
        blocks += [settings_block]
        fm = {col: KRONER for col in frame.columns if "(kr.)" in col}
        sums = {col: float(pd.to_numeric(frame[col], errors="coerce").sum()) for col in fm}
        blocks.append(TableBlock(c.TBL_SCENARIOS, frame, fm, widths={"Distrikt": 9, B.NAME: 24},
                                 totals={"Distrikt": "I alt", **sums}))
        blocks.append(_chart())
        return Sheet(c.SHEET_SCENARIOS, blocks, charts_right=False, chart_page_break=True)

    blocks.append(Text("Sammenlign op til fire måder at fordele budgettet på. Ret de gule felter – navn, andel efter "
                       "elevtal (0–100 %), gulve (Ja/Nej) og samlet budget – og tabellen regnes om med det samme, "
                       "efter de samme regler som arket Fordeling. Fordelingen på Fordeling ændres ikke: vælg den "
                       "nøgle, I beslutter, på arket Indstillinger.", "note"))
    settings_block = TableBlock(
        c.TBL_SCENARIO_SETTINGS, settings, {WEIGHT: "0%", TOTAL: KRONER}, widths={NAME: 30, TOTAL: 16},
        unlocked=(NAME, WEIGHT, FLOORS, TOTAL),
        formulas={TOTAL: lambda r, b: (f"={ctx.name('SamletBudget')}" if chosen[r - b.first_row].total is None
                                       else None)},
        validations={
            WEIGHT: dict(type="decimal", operator="between", formula1="0", formula2="1", showErrorMessage=True,
                         errorTitle="Tildeling", error="Andelen efter elevtal skal ligge mellem 0 % og 100 %.",
                         showInputMessage=True, promptTitle=WEIGHT,
                         prompt="0 % = kun behov, 100 % = kun elevtal."),
            FLOORS: dict(type="list", formula1='"Ja,Nej"', showErrorMessage=True, errorTitle="Tildeling",
                         error="Skriv Ja eller Nej.", showInputMessage=True, promptTitle=FLOORS,
                         prompt="Ja = gulvene fra arket Distrikter gælder i scenariet."),
            TOTAL: dict(type="decimal", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                        errorTitle="Tildeling", error="Det samlede budget skal være 0 kr. eller mere.",
                        showInputMessage=True, promptTitle=TOTAL,
                        prompt="Som udgangspunkt det samlede budget fra Indstillinger (=SamletBudget)."),
        })

    def names_formula(tables):
        sb = tables[c.TBL_SCENARIO_SETTINGS]
        parts = [f'"Scenarie {s}: "&{sb.letter(NAME)}{sb.first_row + s - 1}' for s in range(1, N_SCENARIOS + 1)]
        return "=" + '&" · "&'.join(parts)

    blocks.append(Text(shown_names, "normal", text_formula=names_formula))
    blocks.append(settings_block)
    blocks.append(_live_table(ctx, frame, settings_block, allocation, chosen, totals))
    blocks.append(_chart())
    return Sheet(c.SHEET_SCENARIOS, blocks, charts_right=False, chart_page_break=True,
                 print_title_table=c.TBL_SCENARIOS)


def _chart() -> Chart:
    return Chart("bar", "Budget pr. distrikt i de fire scenarier (kr.)", c.TBL_SCENARIOS, B.NAME,
                 tuple(budget_col(s) for s in range(1, N_SCENARIOS + 1)), "Kroner", number_format="#,##0",
                 width_cm=24, height_cm=8)


def _live_table(ctx: Context, frame: pd.DataFrame, sb: TableBlock, allocation: Sheet | None,
                chosen: list[Scenario], totals: list[float]) -> TableBlock:
    t = ctx.alloc.table
    full = frame.copy()
    full[ORDER] = B.tie_break_ranks(full["Distrikt"])
    full[HEAD] = t[B.HEAD_COUNT_SHARE].to_numpy(float)
    full[NEED] = t[B.NEED_KEY].to_numpy(float)
    full[FLOOR_IN] = pd.to_numeric(t[B.FLOOR], errors="coerce").fillna(0).to_numpy(float) if B.FLOOR in t else 0.0
    order = full[ORDER].to_numpy(float)
    helpers = [ORDER, HEAD, NEED, FLOOR_IN]
    fm = {col: KRONER for col in frame.columns if "(kr.)" in col}
    fm.update({HEAD: KEY, NEED: KEY, FLOOR_IN: KRONER, ORDER: "0"})
    for s, sc in enumerate(chosen, start=1):   # cached values of the helpers
        h = _helpers(s)
        total = int(B.BudgetOptions(total=totals[s - 1]).total_kroner)
        mix = sc.weight * full[HEAD].to_numpy(float) + (1 - sc.weight) * full[NEED].to_numpy(float)
        floors = full[FLOOR_IN].to_numpy(float) * (sc.floors == "Ja")
        ratio, frank, lam, _, amount = _floors_mirror(total, mix, floors, order)
        whole, rest, rank, _ = _hamilton_mirror(amount, total, order)
        values = {"Nøgle": mix, "Gulv": floors, "Forhold": ratio, "Gulvrang": frank, "Lambda": lam,
                  "Beløb": amount, "Heltal": whole, "Rest": rest, "Rang": rank}
        for k, col in h.items():
            full[col] = values[k]
            helpers.append(col)
        fm.update({h["Nøgle"]: KEY, h["Gulv"]: KRONER, h["Beløb"]: "#,##0.000000", h["Heltal"]: KRONER,
                   h["Rest"]: "0.000000", h["Rang"]: "0", h["Gulvrang"]: "0", h["Forhold"]: "0.00",
                   h["Lambda"]: "#,##0.00"})
    full = full[list(frame.columns) + helpers]

    A = allocation.tables()[c.TBL_ALLOCATION] if allocation is not None else None
    fs = quote_sheetname(c.SHEET_ALLOCATION)

    def L(b, col, r):
        return f"{b.letter(col)}{r}"

    def there(col, r, b):
        return f"{fs}!${A.letter(col)}${A.first_row + (r - b.first_row)}"

    def setting(col, s):
        return f"${sb.letter(col)}${sb.first_row + s - 1}"

    rank = rank_formula
    formulas = {}
    if A is not None:
        formulas.update({
            B.CURRENT: lambda r, b: f"={there(B.CURRENT, r, b)}",
            HEAD: lambda r, b: f"={there(B.HEAD_COUNT_SHARE, r, b)}",
            NEED: lambda r, b: f"={there(B.NEED_KEY, r, b)}",
            FLOOR_IN: lambda r, b: f"=N({there(B.FLOOR, r, b)})",   # a district without a floor: 0
        })
    for s in range(1, N_SCENARIOS + 1):
        h = _helpers(s)
        # the settings' cells are known once the blocks are placed: every reference is made when a formula is
        # written (inside the lambdas), never when the sheet is built

        def W(s=s):
            return setting(WEIGHT, s)

        def G(s=s):
            return setting(FLOORS, s)

        def TT(s=s):
            return f"ROUND(N({setting(TOTAL, s)}),0)"

        def ok(b, h=h, W=W, TT=TT, s=s):
            return (f"AND(ISNUMBER({W()}),{W()}>=0,{W()}<=1,N({setting(TOTAL, s)})>=0,"
                    f"SUM({b.column_range(h['Gulv'])})<={TT()})")

        def amount(r, b, h=h, TT=TT):
            return (f"MAX({L(b, h['Gulv'], r)},MIN({b.column_range(h['Lambda'])},{TT()}/SUM("
                    f"{b.column_range(h['Nøgle'])}))*{L(b, h['Nøgle'], r)})")

        formulas.update({
            h["Nøgle"]: lambda r, b, W=W: f"=N({W()})*{L(b, HEAD, r)}+(1-N({W()}))*{L(b, NEED, r)}",
            h["Gulv"]: lambda r, b, G=G: f'=IF(TRIM({G()})="Ja",{L(b, FLOOR_IN, r)},0)',
            h["Forhold"]: lambda r, b, h=h: (f"=IF({L(b, h['Gulv'], r)}=0,0,IF({L(b, h['Nøgle'], r)}<=0,{HUGE},"
                                             f"{L(b, h['Gulv'], r)}/{L(b, h['Nøgle'], r)}))"),
            h["Gulvrang"]: rank(h["Forhold"]),
            h["Lambda"]: lambda r, b, h=h, TT=TT: (
                f'=IF(SUMIF({b.column_range(h["Gulvrang"])},">"&{L(b, h["Gulvrang"], r)},'
                f'{b.column_range(h["Nøgle"])})>0,({TT()}-SUMIF({b.column_range(h["Gulvrang"])},"<="&'
                f'{L(b, h["Gulvrang"], r)},{b.column_range(h["Gulv"])}))/SUMIF({b.column_range(h["Gulvrang"])},'
                f'">"&{L(b, h["Gulvrang"], r)},{b.column_range(h["Nøgle"])}),"")'),
            h["Beløb"]: lambda r, b, amount=amount: "=" + amount(r, b),
            h["Heltal"]: lambda r, b, amount=amount: f"=ROUNDDOWN(ROUND({amount(r, b)},6),0)",
            h["Rest"]: lambda r, b, amount=amount: (f"=ROUND(ROUND({amount(r, b)},6)-ROUNDDOWN(ROUND("
                                                    f"{amount(r, b)},6),0),6)"),
            h["Rang"]: rank(h["Rest"]),
            budget_col(s): lambda r, b, h=h, TT=TT, ok=ok: (
                f'=IF({ok(b)},{L(b, h["Heltal"], r)}+IF('
                f'{L(b, h["Rang"], r)}<={TT()}-SUM({b.column_range(h["Heltal"])}),1,0),"{DASH}")'),
            change_col(s): lambda r, b, s=s: (f'=IF(AND(ISNUMBER({L(b, budget_col(s), r)}),ISNUMBER('
                                              f'{L(b, B.CURRENT, r)})),{L(b, budget_col(s), r)}-'
                                              f'{L(b, B.CURRENT, r)},"")'),
        })
    totals = {"Distrikt": "I alt", **{col: "sum" for col in frame.columns if "(kr.)" in col}}
    totals_values = {col: float(pd.to_numeric(frame[col], errors="coerce").sum()) for col in totals if col != "Distrikt"}
    return TableBlock(c.TBL_SCENARIOS, full, fm, formulas, helper_columns=tuple(helpers),
                      widths={"Distrikt": 9, B.NAME: 24}, totals=totals, totals_values=totals_values)
