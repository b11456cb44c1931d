"""Sammenfatning: one printed A4 page for the city council – the budget year, the total, a table per district,
a chart of the change, the method in four plain lines and the note's caveats.

In the workbook every figure refers to the sheets Fordeling and Distriktsbehov, so it follows a change of the
budget in Excel; in a shared copy the values are static.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.utils import quote_sheetname

from .... import danish as dk
from ....need import budget as B
from ...layout import Chart, Sheet, TableBlock, Text
from .. import contract as c
from .allocation import percent_formula, percent_text, year_label
from .common import INDEX, INT, KR, KRONER, PCT, Context, totals_row

__all__ = ["summary_sheet", "SUMMARY_COLUMNS"]

NAME, PUPILS, INDEX_COL = "Distrikt", "Elever", "Behovsindeks"
NEW, CURRENT, CHANGE, CHANGE_PCT, PER_PUPIL = ("Nyt budget (kr.)", "Nuværende budget (kr.)", "Ændring (kr.)",
                                              "Ændring (%)", "Kr. pr. elev")
#: Columns of ``tblSammenfatning`` (a contract). ``Distrikt`` is the district's name.
SUMMARY_COLUMNS = (NAME, PUPILS, INDEX_COL, NEW, CURRENT, CHANGE, CHANGE_PCT, PER_PUPIL)

METHOD = (
    "Hver elev får en sandsynlighed for at gå i segregeret specialundervisning ud fra sin og forældrenes baggrund "
    "(fx køn, alder, forældrenes uddannelse, beskæftigelse og helbred) – den sandsynlighed, landets kommuner i "
    "gennemsnit ville give en elev med den baggrund.",
    "Et distrikts behov er summen af dets elevers sandsynligheder. Behovsnøglen er distriktets andel af kommunens "
    "samlede behov, og behovsindekset er behovet pr. elev i forhold til kommunens gennemsnit (100).",
)
CAVEATS = (
    "Landsgennemsnittet er et gennemsnit af kommunernes praksis – ikke en faglig norm for, hvor mange elever der "
    "bør gå i segregeret specialundervisning.",
    "Sandsynlighederne afspejler praksis i det år, modellen er estimeret på{year}.",
    "Distrikterne er der, hvor eleverne bor – ikke nødvendigvis der, hvor de går i skole.",
    "Budgettet følger behovet, ikke antallet af henvisninger: et distrikt, der henviser flere elever, får ikke "
    "flere penge af den grund.",
)


def _budget_rules(ctx: Context) -> str:
    """The third method line, from the options in force (its formula twin is :func:`_budget_rules_formula`)."""
    o = ctx.alloc.options
    a = float(o.head_count_weight)
    text = "Budgettet fordeles efter behovsnøglen i hele kroner"
    if a == 1:
        text = "Budgettet fordeles efter elevtal i hele kroner"
    elif a > 0:
        text += f", blandet med {percent_text(a)} efter elevtal"
    if B.FLOOR in ctx.alloc.table and (ctx.alloc.table[B.FLOOR] > 0).any():
        text += "; intet distrikt kommer under sit gulv"
    g = ctx.settings.get(B.SETTING_MAX_LOSS)
    if ctx.last_year is not None and g is not None and -1 <= g <= 0:
        text += f"; intet distrikt får mere end {percent_text(-g)} mindre pr. elev end sidste år"
    n = int(o.phase_in_years)
    if n > 0:
        text += f"; den nye fordeling indfases over {n} år"
    return text + "."


def _budget_rules_formula(ctx: Context, floors_range: str) -> str:
    W, G, N = ctx.name("Elevtalsvaegt"), ctx.name(B.SETTING_MAX_LOSS), ctx.name("Indfasningsaar")
    text = (f'IF(N({W})=1,"Budgettet fordeles efter elevtal i hele kroner","Budgettet fordeles efter behovsnøglen i '
            f'hele kroner"&IF(AND(N({W})>0,N({W})<1),", blandet med "&{percent_formula(f"N({W})")}&" efter elevtal",'
            f'""))')
    text += f'&IF(COUNTIF({floors_range},">0")>0,"; intet distrikt kommer under sit gulv","")'
    if ctx.last_year is not None:
        text += (f'&IF(AND(ISNUMBER({G}),{G}>=-1,{G}<=0),"; intet distrikt får mere end "&'
                 f'{percent_formula("-N(" + G + ")")}&" mindre pr. elev end sidste år","")')
    text += f'&IF(N({N})>0,"; den nye fordeling indfases over "&{N}&" år","")&"."'
    return "=" + text


def _frame(ctx: Context) -> pd.DataFrame:
    t = ctx.alloc.table
    names = t[B.NAME] if B.NAME in t else t["Distrikt"]
    if ctx.alloc.phase_in is not None:
        body = ctx.alloc.phase_in[ctx.alloc.phase_in["Distrikt"] != B.TOTAL_ROW]
        new = body[B.year_column(1)].to_numpy(float)
    else:
        new = t[B.BUDGET].to_numpy(float)
    pupils = t[B.PUPILS].to_numpy(float)
    index = ctx.result.districts.set_index("Distrikt")["Indeks"].reindex(t["Distrikt"]).to_numpy(float)
    current = t[B.CURRENT].to_numpy(float) if B.CURRENT in t else np.full(len(t), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change_pct = np.where(current > 0, new / current - 1, np.nan)
        per = np.where(pupils > 0, new / pupils, np.nan)
    return pd.DataFrame({NAME: names.to_numpy(), PUPILS: pupils, INDEX_COL: index, NEW: new, CURRENT: current,
                         CHANGE: new - current, CHANGE_PCT: change_pct, PER_PUPIL: per,
                         "Kode": t["Distrikt"].to_numpy()})


def summary_sheet(ctx: Context, need: Sheet | None = None, allocation: Sheet | None = None) -> Sheet:
    """The first sheet: one A4 page (portrait) for the city council."""
    alloc = ctx.alloc
    total = alloc.options.total_kroner
    frame = _frame(ctx)
    has_current = bool(np.isfinite(frame[CURRENT].to_numpy(float)).any())
    by = ctx.budget_year
    n = len(frame)
    blocks: list = [ctx.title("Sammenfatning")]
    year_txt = f" {by}" if by else ""
    line = (f"Samlet budget{year_txt}: {dk.kroner(total)} til specialundervisning, fordelt mellem {n} skoledistrikter "
            "efter elevernes behov.")
    if ctx.shared:
        blocks.append(Text(line, "subtitle"))
    else:
        B_ = ctx.name("Budgetaar")
        T = f"ROUND(N({ctx.name('SamletBudget')}),0)"
        blocks.append(Text(line, "subtitle", text_formula=(
            f'="Samlet budget"&IF(TRIM({B_}&"")<>""," "&{B_},"")&": "&FIXED({T},0)&" kr. til specialundervisning, '
            f'fordelt mellem {n} skoledistrikter efter elevernes behov."')))
    fm = {PUPILS: INT, INDEX_COL: INDEX, NEW: KRONER, CURRENT: KRONER, CHANGE: KRONER, CHANGE_PCT: PCT,
          PER_PUPIL: KRONER}
    shown = frame.drop(columns=["Kode"])
    if ctx.shared or need is None or allocation is None:
        kw = totals_row(shown, shared=True, label=NAME, sums=(PUPILS, NEW, CURRENT, CHANGE),
                        weighted={INDEX_COL: PUPILS}, custom=_custom_totals(shown))
        table = TableBlock(c.TBL_SUMMARY, shown, fm, widths=_WIDTHS, **kw)
    else:
        table = _live_table(ctx, shown, fm, need, allocation)
    blocks.append(table)
    blocks.append(Text(_phase_note(ctx), "note"))
    blocks.append(Text("Ændring i forhold til nuværende budget (kr.)" if has_current else
                       "Nyt budget pr. distrikt (kr.)", "subtitle"))
    blocks.append(Chart("hbar", "", c.TBL_SUMMARY, NAME, (CHANGE if has_current else NEW,), "",
                        number_format="#,##0", width_cm=17, height_cm=max(4.0, 1.2 + 0.55 * n)))
    blocks += method_blocks(ctx, allocation)
    blocks.append(Text(f"Beregnet {ctx.info.started_text} med tildeling {ctx.info.version}.", "note"))
    return Sheet(c.SHEET_SUMMARY, blocks, landscape=False, pages_tall=1, charts_right=False,
                 chart_page_break=False, print_title_table=None)


_WIDTHS = {NAME: 26, PUPILS: 8, INDEX_COL: 12.5, NEW: 13, CURRENT: 13, CHANGE: 12, CHANGE_PCT: 9, PER_PUPIL: 10}


def _phase_note(ctx: Context) -> str:
    n = int(ctx.alloc.options.phase_in_years)
    by = ctx.budget_year
    text = ("Nyt budget er det, distriktet får i budgetåret" + (f" {by}" if by else "") + "; nuværende budget er "
            "distriktets budget i dag.")
    if n > 0:
        text += (f" Med indfasning over {n} år er det første år af indfasningen" +
                 (f"; fuldt indfaset i {int(by) + n - 1}" if by else "") + ".")
    return text + " Alle beregninger står på arket Fordeling."


def _custom_totals(frame: pd.DataFrame) -> dict:
    def ratio(a, b):
        x, y = pd.to_numeric(frame[a], errors="coerce").sum(), pd.to_numeric(frame[b], errors="coerce").sum()
        return x / y if y else np.nan

    has_current = pd.to_numeric(frame[CURRENT], errors="coerce").notna().any()
    return {
        CHANGE_PCT: (lambda b: f'=IF(N({b.total_cell(CURRENT)})>0,{b.total_cell(NEW)}/{b.total_cell(CURRENT)}-1,"")',
                     ratio(NEW, CURRENT) - 1 if has_current else np.nan),
        PER_PUPIL: (lambda b: f'=IF(N({b.total_cell(PUPILS)})>0,{b.total_cell(NEW)}/{b.total_cell(PUPILS)},"")',
                    ratio(NEW, PUPILS)),
    }


def _live_table(ctx: Context, frame: pd.DataFrame, fm: dict, need: Sheet, allocation: Sheet) -> TableBlock:
    A = allocation.tables()[c.TBL_ALLOCATION]
    P = allocation.tables().get(c.TBL_PHASE_IN)
    Nd = need.tables()[c.TBL_NEED]
    fs, ns = quote_sheetname(c.SHEET_ALLOCATION), quote_sheetname(c.SHEET_NEED)
    N = ctx.name("Indfasningsaar")

    def at(block, sheet, col, r, b):
        return f"{sheet}!${block.letter(col)}${block.first_row + (r - b.first_row)}"

    def L(b, col, r):
        return f"{b.letter(col)}{r}"

    def new(r, b):
        target = at(A, fs, B.BUDGET, r, b)
        if P is None:
            return f"={target}"
        return f"=IF(AND(ISNUMBER({N}),{N}>=1),{at(P, fs, year_label(ctx, 1), r, b)},{target})"

    formulas = {
        PUPILS: lambda r, b: f"={at(A, fs, B.PUPILS, r, b)}",
        INDEX_COL: lambda r, b: f"={at(Nd, ns, 'Indeks', r, b)}",
        NEW: new,
        CURRENT: lambda r, b: f"={at(A, fs, B.CURRENT, r, b)}",
        CHANGE: lambda r, b: (f'=IF(AND(ISNUMBER({L(b, NEW, r)}),ISNUMBER({L(b, CURRENT, r)})),'
                              f'{L(b, NEW, r)}-{L(b, CURRENT, r)},"")'),
        CHANGE_PCT: lambda r, b: (f'=IF(AND(ISNUMBER({L(b, NEW, r)}),ISNUMBER({L(b, CURRENT, r)})),'
                                  f'IF({L(b, CURRENT, r)}>0,{L(b, NEW, r)}/{L(b, CURRENT, r)}-1,""),"")'),
        PER_PUPIL: lambda r, b: (f'=IF(ISNUMBER({L(b, NEW, r)}),IF({L(b, PUPILS, r)}>0,{L(b, NEW, r)}/'
                                 f'{L(b, PUPILS, r)},""),"")'),
    }
    kw = totals_row(frame, shared=False, label=NAME, sums=(PUPILS, NEW, CURRENT, CHANGE),
                    weighted={INDEX_COL: PUPILS}, custom=_custom_totals(frame))
    return TableBlock(c.TBL_SUMMARY, frame, fm, formulas, widths=_WIDTHS, **kw)


def method_blocks(ctx: Context, allocation: Sheet | None) -> list:
    """'Sådan er fordelingen lavet' (four lines) and 'Forbehold' (the note's caveats)."""
    blocks: list = [Text("Sådan er fordelingen lavet", "subtitle")]
    blocks += [Text(line, "normal") for line in METHOD]
    rules = _budget_rules(ctx)
    if ctx.shared or allocation is None:
        blocks.append(Text(rules, "normal"))
    else:
        A = allocation.tables()[c.TBL_ALLOCATION]
        floors = f"{quote_sheetname(c.SHEET_ALLOCATION)}!{A.column_range(B.FLOOR)}"
        blocks.append(Text(rules, "normal", text_formula=_budget_rules_formula(ctx, floors)))
    blocks.append(Text("Tallene er beregnet med den nationale behovsmodel (VIVE 2017) på kommunens egne elever; "
                       "formlerne står i metodebeskrivelsen.", "normal"))
    blocks.append(Text("Forbehold", "subtitle"))
    coefs = ctx.result.coefficients                  # None on the district-figures route (a delivery)
    model_year = str((coefs.metadata if coefs is not None else {}).get("Skoleår", "") or "").strip()
    for line in CAVEATS:
        blocks.append(Text(line.format(year=f" – skoleåret {model_year}" if model_year else ""), "normal"))
    return blocks
