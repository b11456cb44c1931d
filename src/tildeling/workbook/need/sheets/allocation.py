"""Fordeling: the budget split with live Excel formulas, and the phase-in."""

from __future__ import annotations

import numpy as np

from ....need import budget as B
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import KR, Context, formats_for

__all__ = ["allocation_sheet", "allocation_block"]


def allocation_block(alloc, *, live: bool = True) -> TableBlock:
    """tblFordeling with live Hamilton formulas on ``SamletBudget`` and the key.

    Without floors the key itself is a formula (``Elevtalsvaegt`` mixes head
    count and need), so changing ``SamletBudget`` or ``Elevtalsvaegt`` in Excel
    updates the split without Python. With floors the key is the effective
    share computed at the last run.
    """
    t = alloc.table.copy()
    floors = B.FLOOR in t.columns
    t["Rækkefølge"] = B.tie_break_ranks(t["Distrikt"])
    helpers = ("Heltal (kr.)", "Rest", "Rang", "Heltal efter elevtal (kr.)", "Rest efter elevtal",
               "Rang efter elevtal", "Rækkefølge")
    for h in helpers[:-1]:
        t[h] = np.nan
    t = t[[col for col in t.columns if col not in helpers] + list(helpers)]

    def key_formula(r, b):
        if floors:
            return None
        L = b.letters
        return f"=Elevtalsvaegt*{L[B.HEAD_COUNT_SHARE]}{r}+(1-Elevtalsvaegt)*{L[B.NEED_KEY]}{r}"

    def share_formula(r, b):
        L = b.letters
        return f"={L['Elever']}{r}/SUM({b.column_range('Elever')})"

    def whole(key_col):
        def f(r, b):
            return f"=ROUNDDOWN(ROUND(SamletBudget*{b.letter(key_col)}{r},6),0)"
        return f

    def rest(key_col, whole_col):
        def f(r, b):
            return f"=ROUND(SamletBudget*{b.letter(key_col)}{r},6)-{b.letter(whole_col)}{r}"
        return f

    def rank(rest_col):
        def f(r, b):
            R, T = b.column_range(rest_col), b.column_range("Rækkefølge")
            x, o = f"{b.letter(rest_col)}{r}", f"{b.letter('Rækkefølge')}{r}"
            return f'=COUNTIF({R},">"&{x})+COUNTIFS({R},{x},{T},"<"&{o})+1'
        return f

    def budget(whole_col, rank_col):
        def f(r, b):
            W = b.column_range(whole_col)
            return (f"={b.letter(whole_col)}{r}+IF({b.letter(rank_col)}{r}<=ROUND(SamletBudget,0)-SUM({W}),1,0)")
        return f

    formulas = {
        B.HEAD_COUNT_SHARE: share_formula,
        "Heltal (kr.)": whole(B.KEY),
        "Rest": rest(B.KEY, "Heltal (kr.)"),
        "Rang": rank("Rest"),
        "Heltal efter elevtal (kr.)": whole(B.HEAD_COUNT_SHARE),
        "Rest efter elevtal": rest(B.HEAD_COUNT_SHARE, "Heltal efter elevtal (kr.)"),
        "Rang efter elevtal": rank("Rest efter elevtal"),
        B.BUDGET: budget("Heltal (kr.)", "Rang"),
        B.BUDGET_HEAD_COUNT: budget("Heltal efter elevtal (kr.)", "Rang efter elevtal"),
        B.DIFFERENCE: lambda r, b: f"={b.letter(B.BUDGET)}{r}-{b.letter(B.BUDGET_HEAD_COUNT)}{r}",
    }
    if not floors:
        formulas[B.KEY] = key_formula
        if B.MIXED_KEY in t.columns:
            formulas[B.MIXED_KEY] = key_formula
    if B.DIFFERENCE_CURRENT in t.columns:
        formulas[B.DIFFERENCE_CURRENT] = lambda r, b: f"={b.letter(B.BUDGET)}{r}-{b.letter(B.CURRENT)}{r}"
    # cached values of the helper columns (what the formulas evaluate to)
    total = alloc.options.total_kroner
    for key_col, w, rs in ((B.KEY, "Heltal (kr.)", "Rest"),
                           (B.HEAD_COUNT_SHARE, "Heltal efter elevtal (kr.)", "Rest efter elevtal")):
        exact = np.round(total * t[key_col].to_numpy(float), 6)
        t[w] = np.floor(exact)
        t[rs] = exact - np.floor(exact)
    for rs, rk in (("Rest", "Rang"), ("Rest efter elevtal", "Rang efter elevtal")):
        vals, order = t[rs].to_numpy(), t["Rækkefølge"].to_numpy()
        t[rk] = [int((vals > v).sum() + ((vals == v) & (order < o)).sum() + 1) for v, o in zip(vals, order)]
    fm = formats_for(t)
    fm.update({"Heltal (kr.)": KR, "Heltal efter elevtal (kr.)": KR, "Rest": "0.000000",
               "Rest efter elevtal": "0.000000", "Rang": "0", "Rang efter elevtal": "0", "Rækkefølge": "0"})
    if not live:  # a static copy: values only, no helper columns
        return TableBlock(c.TBL_ALLOCATION, t.drop(columns=list(helpers)), fm, widths={"Navn": 26})
    return TableBlock(c.TBL_ALLOCATION, t, fm, formulas, helper_columns=helpers,
                      widths={"Navn": 26})


def allocation_sheet(ctx: Context) -> Sheet:
    alloc, shared, head = ctx.alloc, ctx.shared, ctx.head
    blocks = [Text(f"Fordeling af budgettet – {head}", "title")]
    if shared:
        blocks.append(Text(f"Samlet budget: {alloc.options.total_kroner:,} kr.".replace(",", "."), "normal"))
    else:
        blocks.append(Text("Samlet budget", "normal", formula="=SamletBudget", formula_format=KR,
                           value=float(alloc.options.total)))
    blocks += [Text(line, "note") for line in alloc.explanations]
    if not shared:
        blocks.append(Text("Budgetkolonnerne er formler: ret 'Samlet budget' eller 'Andel fordelt efter elevtal' på "
                           "arket Indstillinger, og fordelingen opdateres uden Python. Hele kroner; summen er præcis "
                           "det samlede budget (største brøkdel, jf. kolonnerne til højre).", "note"))
    if B.FLOOR in alloc.table.columns and not shared:
        blocks.append(Text(f"Gulve er beregnet ved sidste kørsel med et samlet budget på "
                           f"{alloc.options.total:,.0f} kr. Kør beregningen igen, hvis du ændrer budgettet."
                           .replace(",", "."), "warning"))
    blocks.append(allocation_block(alloc, live=not shared))
    if alloc.phase_in is not None:
        ph = alloc.phase_in
        blocks.append(TableBlock(c.TBL_PHASE_IN, ph, formats_for(ph), title="Indfasning år for år",
                                 widths={"Navn": 26}))
    return Sheet(c.SHEET_ALLOCATION, blocks)
