"""Udvikling: last year against this year per district, and why each district's key changed.

Live where it can be: last year's figures are looked up in ``tblSidsteAar`` and this year's pupils, key and
budget are taken from the sheet Fordeling, so a change to last year's table or to a setting shows at once. The
model's effect (this year's key with last year's coefficients) is a value from the run. The decomposition
(:mod:`tildeling.need.development`) is the same expressions as formulas, in hidden helper columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.utils import quote_sheetname

from ....need import budget as B
from ....need import development as D
from ...layout import Chart, Sheet, TableBlock, Text
from .. import contract as c
from .allocation import year_label
from .common import INT, KEY, KRONER, PCT, Context, totals_row

__all__ = ["development_sheet"]

S0, S1 = "Andel af eleverne sidste år", "Andel af eleverne i år"
I0, IM = "Behov pr. elev sidste år", "Behov pr. elev med sidste års model"
HELPERS = (S0, S1, D.MODEL_KEY, I0, IM)
PER = "#,##0"


def _lookup(column: str, code: str) -> str:
    t = c.TBL_LAST_YEAR
    return f'SUMPRODUCT(({t}[Distrikt]&""={code}&"")*1,{t}[{column}])'


def _given(column: str, code: str) -> str:
    t = c.TBL_LAST_YEAR
    return f'SUMPRODUCT(({t}[Distrikt]&""={code}&"")*({t}[{column}]<>""))'


def _frame(ctx: Context) -> pd.DataFrame:
    dev = ctx.development
    t = dev.table.copy()
    for col in (D.DK, D.PART_PUPILS, D.PART_NEED, D.PART_MODEL):
        t[col] = t[col].astype(float)
    return t


def development_sheet(ctx: Context, allocation: Sheet | None = None) -> Sheet:
    blocks: list = [ctx.title("Udvikling fra sidste år")]
    if ctx.development is None:
        blocks += [
            Text("Ingen tal for sidste år. Brug Tildeling → Indlæs sidste år (eller 'tildeling run FIL --sidste-aar "
                 "SIDSTE.xlsx'), eller skriv sidste års tal på arket Sidste år, og beregn igen.", "normal"),
            Text("Arket viser så pr. distrikt elever, behovsnøgle og budget sidste år og i år, ændringen i kroner, i "
                 "procent og pr. elev, og hvad ændringen i nøglen skyldes: elevtal, behov pr. elev og modellen.",
                 "note"),
        ]
        return Sheet(c.SHEET_DEVELOPMENT, blocks)
    dev = ctx.development
    frame = _frame(ctx)
    blocks += [
        Text("Budgettet i år er budgetårets: med indfasning det første år af indfasningen. Sidste års tal står på "
             "arket Sidste år.", "note"),
        Text("Ændringen i behovsnøglen (i procentpoint) er delt i tre dele, der tilsammen giver hele ændringen: "
             "elevtal (distriktets andel af kommunens elever), behov pr. elev (elevernes baggrund i forhold til "
             "kommunens) og modellen (en ny koefficienttabel). Se docs/metode.md, afsnit 11.", "note"),
    ]
    blocks += [Text(note, "note") for note in dev.notes]
    fm = {D.N0: INT, D.N1: INT, D.K0: KEY, D.K1: KEY, D.B0: KRONER, D.B1: KRONER, D.CHANGE: KRONER,
          D.CHANGE_PCT: PCT, D.PER0: PER, D.PER1: PER, D.DK: "+0.00;-0.00;0.00", D.PART_PUPILS: "+0.00;-0.00;0.00",
          D.PART_NEED: "+0.00;-0.00;0.00", D.PART_MODEL: "+0.00;-0.00;0.00"}
    widths = {"Distrikt": 9, "Navn": 22}
    if ctx.shared:
        kw = totals_row(frame, shared=True, sums=(D.N0, D.N1, D.K0, D.K1, D.B0, D.B1, D.CHANGE, D.DK, D.PART_PUPILS,
                                                  D.PART_NEED, D.PART_MODEL), custom=_custom_totals(frame))
        block = TableBlock(c.TBL_DEVELOPMENT, frame, fm, widths=widths, **kw)
    else:
        block = _live_block(ctx, frame, fm, widths, allocation)
    blocks.append(block)
    blocks.append(Chart("bar", "Ændring i budgettet fra sidste år (kr.)", c.TBL_DEVELOPMENT, "Navn", (D.CHANGE,),
                        "Kroner", number_format="#,##0", width_cm=24, height_cm=8))
    return Sheet(c.SHEET_DEVELOPMENT, blocks, charts_right=False, chart_page_break=True,
                 print_title_table=c.TBL_DEVELOPMENT)


def _custom_totals(frame: pd.DataFrame) -> dict:
    def ratio(num, den):
        n = pd.to_numeric(frame[num], errors="coerce").sum()
        d = pd.to_numeric(frame[den], errors="coerce").sum()
        return n / d if d else np.nan

    pct = ratio(D.B1, D.B0) - 1 if pd.to_numeric(frame[D.B0], errors="coerce").notna().any() else np.nan
    return {
        D.CHANGE_PCT: (lambda b: f'=IF(N({b.total_cell(D.B0)})>0,{b.total_cell(D.B1)}/{b.total_cell(D.B0)}-1,"")', pct),
        D.PER0: (lambda b: f'=IF(N({b.total_cell(D.N0)})>0,{b.total_cell(D.B0)}/{b.total_cell(D.N0)},"")',
                 ratio(D.B0, D.N0)),
        D.PER1: (lambda b: f'=IF(N({b.total_cell(D.N1)})>0,{b.total_cell(D.B1)}/{b.total_cell(D.N1)},"")',
                 ratio(D.B1, D.N1)),
    }


def _live_block(ctx: Context, frame: pd.DataFrame, fm: dict, widths: dict, allocation: Sheet | None) -> TableBlock:
    dev = ctx.development
    n0 = frame[D.N0].to_numpy(float)
    n1 = frame[D.N1].to_numpy(float)
    k0 = np.nan_to_num(frame[D.K0].to_numpy(float))
    n0_all = ctx.last_year.table["Elever"].astype(float).sum()
    s0 = np.nan_to_num(n0) / n0_all if n0_all else np.zeros(len(frame))
    s1 = n1 / n1.sum() if n1.sum() else np.zeros(len(frame))
    km = dev.model_key
    with np.errstate(divide="ignore", invalid="ignore"):
        i0_raw = np.where(s0 > 0, k0 / np.where(s0 > 0, s0, 1), np.nan)
        im_raw = np.where(s1 > 0, km / np.where(s1 > 0, s1, 1), np.nan)
    i0 = np.where(np.isnan(i0_raw), np.nan_to_num(im_raw), i0_raw)
    im = np.where(np.isnan(im_raw), i0, im_raw)
    full = frame.copy()
    full[S0], full[S1], full[D.MODEL_KEY], full[I0], full[IM] = s0, s1, km, i0, im
    fm = {**fm, S0: KEY, S1: KEY, D.MODEL_KEY: KEY, I0: "0.0000", IM: "0.0000"}

    A = allocation.tables()[c.TBL_ALLOCATION] if allocation is not None else None
    P = allocation.tables().get(c.TBL_PHASE_IN) if allocation is not None else None
    sheet = quote_sheetname(c.SHEET_ALLOCATION)
    N = ctx.name("Indfasningsaar")

    def L(b, col, r):
        return f"{b.letter(col)}{r}"

    def there(block, col, r, b):
        return f"{sheet}!${block.letter(col)}${block.first_row + (r - b.first_row)}"

    def budget_now(r, b):
        target = there(A, B.BUDGET, r, b)
        if P is None:
            return f"={target}"
        first = there(P, year_label(ctx, 1), r, b)
        return f"=IF(AND(ISNUMBER({N}),{N}>=1),{first},{target})"

    code = lambda r, b: L(b, "Distrikt", r)  # noqa: E731
    formulas = {
        D.N0: lambda r, b: f'=IF({_given("Elever", code(r, b))}=0,"",{_lookup("Elever", code(r, b))})',
        D.N1: lambda r, b: f"={there(A, B.PUPILS, r, b)}",
        D.K0: lambda r, b: f'=IF({_given("Behovsnøgle", code(r, b))}=0,"",{_lookup("Behovsnøgle", code(r, b))})',
        D.K1: lambda r, b: f"={there(A, B.NEED_KEY, r, b)}",
        D.B0: lambda r, b: f'=IF({_given("Budget (kr.)", code(r, b))}=0,"",{_lookup("Budget (kr.)", code(r, b))})',
        D.B1: budget_now,
        D.CHANGE: lambda r, b: (f'=IF(AND(ISNUMBER({L(b, D.B1, r)}),ISNUMBER({L(b, D.B0, r)})),'
                                f'{L(b, D.B1, r)}-{L(b, D.B0, r)},"")'),
        D.CHANGE_PCT: lambda r, b: (f'=IF(AND(ISNUMBER({L(b, D.B1, r)}),ISNUMBER({L(b, D.B0, r)})),'
                                    f'IF({L(b, D.B0, r)}>0,{L(b, D.B1, r)}/{L(b, D.B0, r)}-1,""),"")'),
        D.PER0: lambda r, b: (f'=IF(ISNUMBER({L(b, D.B0, r)}),IF(N({L(b, D.N0, r)})>0,{L(b, D.B0, r)}/'
                              f'{L(b, D.N0, r)},""),"")'),
        D.PER1: lambda r, b: (f'=IF(ISNUMBER({L(b, D.B1, r)}),IF({L(b, D.N1, r)}>0,{L(b, D.B1, r)}/'
                              f'{L(b, D.N1, r)},""),"")'),
        S0: lambda r, b: f"=N({L(b, D.N0, r)})/SUM({c.TBL_LAST_YEAR}[Elever])",
        S1: lambda r, b: f"={L(b, D.N1, r)}/SUM({b.column_range(D.N1)})",
        I0: lambda r, b: (f'=IF({L(b, S0, r)}>0,N({L(b, D.K0, r)})/{L(b, S0, r)},IF({L(b, S1, r)}>0,'
                          f'{L(b, D.MODEL_KEY, r)}/{L(b, S1, r)},0))'),
        IM: lambda r, b: f"=IF({L(b, S1, r)}>0,{L(b, D.MODEL_KEY, r)}/{L(b, S1, r)},{L(b, I0, r)})",
        D.DK: lambda r, b: f"=({L(b, D.K1, r)}-N({L(b, D.K0, r)}))*100",
        D.PART_PUPILS: lambda r, b: (f"=({L(b, S1, r)}-{L(b, S0, r)})*({L(b, I0, r)}+{L(b, IM, r)})/2*100"),
        D.PART_NEED: lambda r, b: (f"=({L(b, IM, r)}-{L(b, I0, r)})*({L(b, S0, r)}+{L(b, S1, r)})/2*100"),
    }
    if dev.model_known:
        formulas[D.PART_MODEL] = lambda r, b: f"=({L(b, D.K1, r)}-{L(b, D.MODEL_KEY, r)})*100"
    if A is None:   # no Fordeling sheet to refer to: this year's figures stay values
        for col in (D.N1, D.K1, D.B1):
            formulas.pop(col)
    kw = totals_row(frame, shared=False, sums=(D.N0, D.N1, D.K0, D.K1, D.B0, D.B1, D.CHANGE, D.DK, D.PART_PUPILS,
                                               D.PART_NEED) + ((D.PART_MODEL,) if dev.model_known else ()),
                    custom=_custom_totals(frame))
    return TableBlock(c.TBL_DEVELOPMENT, full, fm, formulas, helper_columns=HELPERS, widths=widths, **kw)
