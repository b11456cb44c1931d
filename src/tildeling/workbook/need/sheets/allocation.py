"""Fordeling: the budget split with every figure a live Excel formula, and the phase-in year by year.

What a budget officer may change in Excel – ``SamletBudget``, ``Elevtalsvaegt``, ``Indfasningsaar``, a floor or
a current budget in ``tblDistrikter`` – drives formulas that give, to the krone, what ``tildeling run`` writes
(:mod:`tildeling.need.budget` is the reference; a LibreOffice recalculation test holds them together). Only the
need key and the pupil counts are values: they change with a run.

The rules, as formulas (``T = ROUND(N(SamletBudget), 0)``, the total rounded half up to whole kroner):

* **Mixed key** ``m = a·h + (1 − a)·k``; ``h`` = pupils / all pupils, ``k`` = the need key.
* **Floors without iteration.** The amounts are ``max(f, λ·m)`` with one λ. Rank the districts by ``f/m``
  (largest first; the tie-break order breaks ties). For the districts ranked 1 … j held at their floors,
  ``λ_j = (T − Σ_{rank ≤ j} f) / Σ_{rank > j} m``. For *any* set S, ``Σ_S f + λ*·Σ_{not S} m ≤ Σ max(f, λ*·m)
  = T``, so λ* ≤ λ_S, with equality for S = the districts that end at their floor – which is the first j of the
  ranking. Hence λ* = min(T/Σm, λ_1, …, λ_n): one ``MIN`` over a helper column, no iteration.
* **Whole kroner** (Hamilton): quota ``q = ROUND(amount, 6)``; each district gets ``ROUNDDOWN(q, 0)``, and the
  ``T − Σ ROUNDDOWN(q, 0)`` kroner left go to the largest fractional parts ``ROUND(q − ROUNDDOWN(q, 0), 6)``,
  ties by district code
  (``Rækkefølge``). Ranks use ``SUMPRODUCT`` comparisons (exact), not ``COUNTIF`` criteria (text, 15 digits).
* **Phase-in** year t of N: ``C + (B − C)·t/N`` per district, the year total ``ROUND(ΣC + (ΣB − ΣC)·t/N, 0)``,
  rounded by Hamilton in the cell itself (SUMPRODUCT over the column).

What a formula cannot express shows as a visible state computed by a formula: a red status line and ``–`` in
the budget cells (floors above the total, a weight outside 0–1, districts added on the Distrikter sheet since
the run), or a note on the phase-in table (more years than it has columns, a changed budget year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .... import danish as dk
from ....need import budget as B
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import INT, KEY, KR, KRONER, Context

__all__ = ["allocation_sheet", "allocation_block", "VISIBLE", "HELPERS", "percent_text", "percent_formula"]

ORDER = "Rækkefølge"
RATIO, FLOOR_RANK, LAMBDA, AMOUNT = "Gulvforhold", "Gulvrang", "Lambda", "Beløb (kr.)"
WHOLE, REST, RANK = "Heltal (kr.)", "Rest", "Rang"
WHOLE_H, REST_H, RANK_H = "Heltal efter elevtal (kr.)", "Rest efter elevtal", "Rang efter elevtal"
WHOLE_N, REST_N, RANK_N = "Heltal efter behov (kr.)", "Rest efter behov", "Rang efter behov"

PER0, REFERENCE, GUARANTEE = "Sidste års kr. pr. elev", "Reference (kr.)", "Garanti (kr.)"
SHORT, GAIN, PROTECTED = "Mangel (kr.)", "Fremgang (kr.)", "Beløb efter beskyttelse (kr.)"
WHOLE_U, REST_U, RANK_U = "Heltal før beskyttelse (kr.)", "Rest før beskyttelse", "Rang før beskyttelse"

VISIBLE = ("Distrikt", B.NAME, B.PUPILS, B.HEAD_COUNT_SHARE, B.NEED_KEY, B.MIXED_KEY, B.FLOOR, B.KEY, B.BUDGET,
           B.BUDGET_HEAD_COUNT, B.DIFFERENCE, B.BUDGET_NEED_ONLY, B.CURRENT, B.DIFFERENCE_CURRENT)
#: With last year's figures: the protection against big drops (live on the setting Tabsgraense).
PROTECTION_VISIBLE = (B.BUDGET_UNPROTECTED, B.PROTECTION)
HELPERS = (ORDER, RATIO, FLOOR_RANK, LAMBDA, AMOUNT, WHOLE, REST, RANK, WHOLE_H, REST_H, RANK_H, WHOLE_N, REST_N,
           RANK_N)
PROTECTION_HELPERS = (PER0, REFERENCE, GUARANTEE, SHORT, GAIN, PROTECTED, WHOLE_U, REST_U, RANK_U)
DASH = "–"
#: A floor/key ratio that stands for "infinite" (a floor on a district whose key is 0).
HUGE = "9.99E+307"


# --- Danish texts and their formula twins -------------------------------------------------------------------
def percent_text(fraction) -> str:
    """``20 %``, ``12,5 %``, ``12,34 %`` (up to two decimals, none shown when not needed)."""
    value = round(float(fraction) * 100 + 0.0, 2)
    for d in (0, 1):
        if round(value, d) == value:
            return f"{dk.number(value, d)} %"
    return f"{dk.number(value, 2)} %"


def percent_formula(expr: str) -> str:
    """The formula twin of :func:`percent_text` (``FIXED`` follows the user's locale: ``12,5`` in Danish)."""
    x = f"ROUND(({expr})*100,2)"
    return (f'IF(ROUND({x},0)={x},FIXED({x},0),IF(ROUND({x},1)={x},FIXED({x},1),FIXED({x},2)))&" %"')


def _count_text(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _count_formula(expr: str, one: str, many: str) -> str:
    return f'{expr}&IF({expr}=1," {one}"," {many}")'


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# --- The mirror: what the formulas evaluate to, in floating point (cached values of helper cells) ----------------
def _ranks(values: np.ndarray, order: np.ndarray, descending: bool = True) -> np.ndarray:
    v = -values if descending else values
    return np.array([1 + int((v < x).sum()) + int(((v == x) & (order < o)).sum()) for x, o in zip(v, order)])


def _hamilton_mirror(amounts: np.ndarray, total: int, order: np.ndarray):
    q = np.round(amounts, 6)
    whole = np.floor(q)
    rest = np.round(q - whole, 6)
    rank = _ranks(rest, order)
    return whole, rest, rank, whole + (rank <= total - whole.sum())


def rank_formula(rest_col):
    """The formula builder of a rank column: 1 + the rows with a larger ``rest_col``, ties broken by ``ORDER`` –
    the largest-remainder order of :mod:`tildeling.need.budget` (one formula for Fordeling and Scenarier)."""
    def f(r, b):
        R, O = b.column_range(rest_col), b.column_range(ORDER)
        x, o = f"{b.letter(rest_col)}{r}", f"{b.letter(ORDER)}{r}"
        return f"=1+SUMPRODUCT(--({R}>{x}))+SUMPRODUCT(({R}={x})*({O}<{o}))"
    return f


def _floors_mirror(total: int, mix: np.ndarray, floors: np.ndarray, order: np.ndarray):
    ratio = np.where(floors == 0, 0.0, np.where(mix <= 0, 9.99e307, floors / np.where(mix <= 0, 1, mix)))
    rank = _ranks(ratio, order)
    lam = np.full(len(mix), np.nan)
    for i, j in enumerate(rank):
        free = mix[rank > j].sum()
        if free > 0:
            lam[i] = (total - floors[rank <= j].sum()) / free
    lam_star = np.nanmin(np.append(lam, total / mix.sum()))
    return ratio, rank, lam, lam_star, np.maximum(floors, lam_star * mix)


# --- The live table -----------------------------------------------------------------------------------------------
class _Refs:
    """What the formulas refer to: the total in whole kroner, and the status line (known once placed)."""

    def __init__(self, total_name: str, status: Text):
        self.total_name, self.status_line = total_name, status

    @property
    def T(self) -> str:
        """The total rounded half up to whole kroner (a text in the setting counts as 0; the status says so)."""
        return f"ROUND(N({self.total_name}),0)"

    @property
    def ok(self) -> str:
        return f'{self.status_line.cell}=""'


def _frame(ctx: Context) -> pd.DataFrame:
    """The visible columns with the values ``tildeling run`` computes (the formulas' cached values)."""
    alloc = ctx.alloc
    t = alloc.table
    total = alloc.options.total_kroner
    a = float(alloc.options.head_count_weight)
    out = pd.DataFrame({"Distrikt": t["Distrikt"].astype(str)})
    out[B.NAME] = t[B.NAME] if B.NAME in t else t["Distrikt"]
    for col in (B.PUPILS, B.HEAD_COUNT_SHARE, B.NEED_KEY):
        out[col] = t[col]
    out[B.MIXED_KEY] = t[B.MIXED_KEY] if B.MIXED_KEY in t else a * t[B.HEAD_COUNT_SHARE] + (1 - a) * t[B.NEED_KEY]
    out[B.FLOOR] = t[B.FLOOR] if B.FLOOR in t else 0
    out[B.KEY] = t[B.KEY]
    for col in (B.BUDGET, B.BUDGET_HEAD_COUNT, B.DIFFERENCE):
        out[col] = t[col]
    if B.BUDGET_NEED_ONLY in t:
        out[B.BUDGET_NEED_ONLY] = t[B.BUDGET_NEED_ONLY]
    else:  # the need key alone: the core's split without mixing and floors
        plain = B.allocate(t[["Distrikt", B.PUPILS, B.NEED_KEY]], B.BudgetOptions(total=total))
        out[B.BUDGET_NEED_ONLY] = plain.table[B.BUDGET].to_numpy()
    if ctx.last_year is not None:
        out[B.BUDGET_UNPROTECTED] = t[B.BUDGET_UNPROTECTED] if B.BUDGET_UNPROTECTED in t else t[B.BUDGET]
        out[B.PROTECTION] = t[B.PROTECTION] if B.PROTECTION in t else 0
    out[B.CURRENT] = t[B.CURRENT] if B.CURRENT in t else np.nan
    out[B.DIFFERENCE_CURRENT] = t[B.DIFFERENCE_CURRENT] if B.DIFFERENCE_CURRENT in t else np.nan
    return out.reset_index(drop=True)


def _last_year_per_pupil(ctx: Context, codes) -> np.ndarray:
    """Last year's kroner per pupil by district (NaN where last year has no budget or no pupils)."""
    got = ctx.last_year.budgets() if ctx.last_year is not None else {}
    return np.array([got[c][1] / got[c][0] if c in got and got[c][0] > 0 else np.nan for c in codes])


def _protection_mirror(ctx: Context, frame: pd.DataFrame, amount: np.ndarray):
    """What the protection formulas evaluate to (floats)."""
    g = ctx.settings.get(B.SETTING_MAX_LOSS)
    per0 = _last_year_per_pupil(ctx, frame["Distrikt"])
    ref = per0 * frame[B.PUPILS].to_numpy(float)
    active = g is not None and -1 <= g <= 0
    guar = (1 + g) * ref if active else np.full(len(frame), np.nan)
    short = np.where(np.isnan(guar), 0.0, np.maximum(0, guar - amount))
    floors = frame[B.FLOOR].to_numpy(float)
    gain = np.where(np.isnan(ref) | (not active), 0.0, np.maximum(0, amount - np.maximum(np.nan_to_num(ref), floors)))
    theta = short.sum() / gain.sum() if gain.sum() > 0 else 0.0
    return per0, ref, guar, short, gain, amount + short - theta * gain, theta


def _lookup(column: str, code: str, table: str = c.TBL_DISTRICTS) -> str:
    """SUMPRODUCT lookup of ``column`` in ``table`` by district code (codes typed as numbers match too)."""
    return f'SUMPRODUCT(({table}[Distrikt]&""={code}&"")*1,{table}[{column}])'


def _given(column: str, code: str, table: str = c.TBL_DISTRICTS) -> str:
    """How many rows of ``table`` for district ``code`` have ``column`` filled in (0 or 1)."""
    return f'SUMPRODUCT(({table}[Distrikt]&""={code}&"")*({table}[{column}]<>""))'


def last_year_per_pupil_formula(code: str) -> str:
    """Last year's kroner per pupil of district ``code`` from tblSidsteAar, ``""`` where it has none."""
    t = c.TBL_LAST_YEAR
    n0, b0 = _lookup("Elever", code, t), _lookup("Budget (kr.)", code, t)
    return f'IF(OR({_given("Budget (kr.)", code, t)}=0,{n0}<=0),"",{b0}/{n0})'


def allocation_block(ctx: Context, refs: _Refs | None = None) -> TableBlock:
    """``tblFordeling``: live formulas (``refs`` given) or static values (a shared copy)."""
    frame = _frame(ctx)
    protect = ctx.last_year is not None
    fm = {B.PUPILS: INT, B.HEAD_COUNT_SHARE: KEY, B.NEED_KEY: KEY, B.MIXED_KEY: KEY, B.KEY: KEY}
    fm.update({col: KRONER for col in frame.columns if "(kr.)" in col})
    widths = {"Distrikt": 9, B.NAME: 22, B.PUPILS: 11}
    totals_cols = [col for col in frame.columns[2:]]
    if refs is None:
        totals = {"Distrikt": "I alt"}
        for col in totals_cols:
            s = pd.to_numeric(frame[col], errors="coerce")
            totals[col] = float(s.sum()) if s.notna().any() else None
        return TableBlock(c.TBL_ALLOCATION, frame, fm, widths=widths,
                          totals={k: v for k, v in totals.items() if v is not None})

    total = ctx.alloc.options.total_kroner
    order = np.asarray(B.tie_break_ranks(frame["Distrikt"]), dtype=float)
    mix = frame[B.MIXED_KEY].to_numpy(float)
    floors = frame[B.FLOOR].to_numpy(float)
    ratio, frank, lam, _, amount = _floors_mirror(total, mix, floors, order)
    full = frame.copy()
    full[ORDER] = order.astype(int)
    full[RATIO], full[FLOOR_RANK], full[LAMBDA], full[AMOUNT] = ratio, frank, lam, amount
    final = amount
    if protect:
        per0, ref, guar, short, gain, final, _ = _protection_mirror(ctx, frame, amount)
        full[PER0], full[REFERENCE], full[GUARANTEE], full[SHORT], full[GAIN], full[PROTECTED] = (
            per0, ref, guar, short, gain, final)
        full[WHOLE_U], full[REST_U], full[RANK_U], _ = _hamilton_mirror(amount, total, order)
    full[WHOLE], full[REST], full[RANK], _ = _hamilton_mirror(final, total, order)
    head = frame[B.HEAD_COUNT_SHARE].to_numpy(float) * total
    full[WHOLE_H], full[REST_H], full[RANK_H], _ = _hamilton_mirror(head, total, order)
    need = frame[B.NEED_KEY].to_numpy(float) * total
    full[WHOLE_N], full[REST_N], full[RANK_N], _ = _hamilton_mirror(need, total, order)
    fm.update({WHOLE: KRONER, WHOLE_H: KRONER, WHOLE_N: KRONER, AMOUNT: "#,##0.000000", REST: "0.000000",
               REST_H: "0.000000", REST_N: "0.000000", RANK: "0", RANK_H: "0", RANK_N: "0", ORDER: "0",
               FLOOR_RANK: "0", RATIO: "0.00", LAMBDA: "#,##0.00", PER0: "#,##0.00", REFERENCE: "#,##0.00",
               GUARANTEE: "#,##0.00", SHORT: "#,##0.00", GAIN: "#,##0.00", PROTECTED: "#,##0.000000",
               WHOLE_U: KRONER, REST_U: "0.000000", RANK_U: "0"})
    helpers = list(HELPERS) + (list(PROTECTION_HELPERS) if protect else [])
    full = full[list(frame.columns) + helpers]

    W = ctx.name("Elevtalsvaegt")
    has = set(ctx.district_columns)

    def L(b, col, r):
        return f"{b.letter(col)}{r}"

    rank = rank_formula
    def quota(expr):
        return f"ROUND({expr},6)"

    def whole(expr_of):
        return lambda r, b: f"=ROUNDDOWN({quota(expr_of(r, b))},0)"

    def rest(expr_of):
        return lambda r, b: f"=ROUND({quota(expr_of(r, b))}-ROUNDDOWN({quota(expr_of(r, b))},0),6)"

    def amount(r, b):
        return (f"MAX({L(b, B.FLOOR, r)},MIN({b.column_range(LAMBDA)},{refs.T}/SUM({b.column_range(B.MIXED_KEY)}))"
                f"*{L(b, B.MIXED_KEY, r)})")

    def budget(whole_col, rank_col):
        def f(r, b):
            return (f'=IF({refs.ok},{L(b, whole_col, r)}+IF({L(b, rank_col, r)}<={refs.T}-SUM('
                    f'{b.column_range(whole_col)}),1,0),"{DASH}")')
        return f

    formulas = {
        B.HEAD_COUNT_SHARE: lambda r, b: f"={L(b, B.PUPILS, r)}/SUM({b.column_range(B.PUPILS)})",
        B.MIXED_KEY: lambda r, b: f"={W}*{L(b, B.HEAD_COUNT_SHARE, r)}+(1-{W})*{L(b, B.NEED_KEY, r)}",
        RATIO: lambda r, b: (f"=IF({L(b, B.FLOOR, r)}=0,0,IF({L(b, B.MIXED_KEY, r)}<=0,{HUGE},"
                             f"{L(b, B.FLOOR, r)}/{L(b, B.MIXED_KEY, r)}))"),
        FLOOR_RANK: rank(RATIO),
        LAMBDA: lambda r, b: (
            f'=IF(SUMIF({b.column_range(FLOOR_RANK)},">"&{L(b, FLOOR_RANK, r)},{b.column_range(B.MIXED_KEY)})>0,'
            f'({refs.T}-SUMIF({b.column_range(FLOOR_RANK)},"<="&{L(b, FLOOR_RANK, r)},{b.column_range(B.FLOOR)}))/'
            f'SUMIF({b.column_range(FLOOR_RANK)},">"&{L(b, FLOOR_RANK, r)},{b.column_range(B.MIXED_KEY)}),"")'),
        AMOUNT: lambda r, b: "=" + amount(r, b),
        B.KEY: lambda r, b: f"=IF({refs.T}>0,{L(b, AMOUNT, r)}/{refs.T},{L(b, B.MIXED_KEY, r)})",
        WHOLE: whole(lambda r, b: L(b, PROTECTED, r) if protect else amount(r, b)),
        REST: rest(lambda r, b: L(b, PROTECTED, r) if protect else amount(r, b)),
        RANK: rank(REST),
        B.BUDGET: budget(WHOLE, RANK),
        WHOLE_H: whole(lambda r, b: f"{refs.T}*{L(b, B.HEAD_COUNT_SHARE, r)}"),
        REST_H: rest(lambda r, b: f"{refs.T}*{L(b, B.HEAD_COUNT_SHARE, r)}"),
        RANK_H: rank(REST_H),
        B.BUDGET_HEAD_COUNT: budget(WHOLE_H, RANK_H),
        WHOLE_N: whole(lambda r, b: f"{refs.T}*{L(b, B.NEED_KEY, r)}"),
        REST_N: rest(lambda r, b: f"{refs.T}*{L(b, B.NEED_KEY, r)}"),
        RANK_N: rank(REST_N),
        B.BUDGET_NEED_ONLY: budget(WHOLE_N, RANK_N),
        B.DIFFERENCE: lambda r, b: (f'=IF(ISNUMBER({L(b, B.BUDGET, r)}),{L(b, B.BUDGET, r)}-'
                                    f'{L(b, B.BUDGET_HEAD_COUNT, r)},"{DASH}")'),
        B.DIFFERENCE_CURRENT: lambda r, b: (f'=IF(OR({L(b, B.CURRENT, r)}="",NOT(ISNUMBER({L(b, B.BUDGET, r)}))),"",'
                                            f'{L(b, B.BUDGET, r)}-{L(b, B.CURRENT, r)})'),
    }
    if protect:
        g = ctx.name(B.SETTING_MAX_LOSS)
        on = f"AND(ISNUMBER({g}),{g}>=-1,{g}<=0)"
        formulas.update({
            PER0: lambda r, b: "=" + last_year_per_pupil_formula(L(b, "Distrikt", r)),
            REFERENCE: lambda r, b: f'=IF({L(b, PER0, r)}="","",{L(b, PER0, r)}*{L(b, B.PUPILS, r)})',
            GUARANTEE: lambda r, b: (f'=IF({L(b, REFERENCE, r)}="","",IF({on},(1+{g})*{L(b, REFERENCE, r)},""))'),
            SHORT: lambda r, b: f'=IF({L(b, GUARANTEE, r)}="",0,MAX(0,{L(b, GUARANTEE, r)}-{L(b, AMOUNT, r)}))',
            GAIN: lambda r, b: (f'=IF({L(b, GUARANTEE, r)}="",0,MAX(0,{L(b, AMOUNT, r)}-MAX({L(b, REFERENCE, r)},'
                                f'{L(b, B.FLOOR, r)})))'),
            PROTECTED: lambda r, b: (f"={L(b, AMOUNT, r)}+{L(b, SHORT, r)}-IF(SUM({b.column_range(GAIN)})>0,"
                                     f"SUM({b.column_range(SHORT)})/SUM({b.column_range(GAIN)}),0)*{L(b, GAIN, r)}"),
            WHOLE_U: whole(lambda r, b: L(b, AMOUNT, r)),
            REST_U: rest(lambda r, b: L(b, AMOUNT, r)),
            RANK_U: rank(REST_U),
            B.BUDGET_UNPROTECTED: budget(WHOLE_U, RANK_U),
            B.PROTECTION: lambda r, b: (f'=IF(ISNUMBER({L(b, B.BUDGET, r)}),{L(b, B.BUDGET, r)}-'
                                        f'{L(b, B.BUDGET_UNPROTECTED, r)},"{DASH}")'),
        })
        formulas[B.KEY] = lambda r, b: f"=IF({refs.T}>0,{L(b, PROTECTED, r)}/{refs.T},{L(b, B.MIXED_KEY, r)})"
    if B.FLOOR in has:
        formulas[B.FLOOR] = lambda r, b: f"=ROUND({_lookup(B.FLOOR, L(b, 'Distrikt', r))},0)"
    if B.CURRENT in has:
        def current(r, b):
            code = L(b, "Distrikt", r)
            given = (f'SUMPRODUCT(({c.TBL_DISTRICTS}[Distrikt]&""={code}&"")*'
                     f'({c.TBL_DISTRICTS}[{B.CURRENT}]<>""))')
            return f'=IF({given}=0,"",ROUND({_lookup(B.CURRENT, code)},0))'
        formulas[B.CURRENT] = current
    totals = {"Distrikt": "I alt", **{col: "sum" for col in totals_cols}}
    totals_values = {}
    for col in totals_cols:
        s = pd.to_numeric(frame[col], errors="coerce")
        totals_values[col] = float(s.sum()) if s.notna().any() else 0.0
    return TableBlock(c.TBL_ALLOCATION, full, fm, formulas, helper_columns=tuple(helpers), widths=widths,
                      totals=totals, totals_values=totals_values)


# --- Explanations above the table ---------------------------------------------------------------------------------
def _lines(ctx: Context, refs: _Refs | None, frame: pd.DataFrame) -> list[Text]:
    """The Danish lines above the table: live formulas (with their current text as cached value) or static."""
    alloc = ctx.alloc
    total = alloc.options.total_kroner
    a = float(alloc.options.head_count_weight)
    n = len(frame)
    lines: list[tuple[str, str | None, str]] = []   # (text, formula, style)

    def add(text, formula=None, style="note"):
        lines.append((text, formula, style))

    # 1. total and rounding
    text = (f"Samlet budget: {dk.kroner(total)} fordelt i hele kroner efter største brøkdels metode (Hamilton); "
            "ved lighed får distriktet med den laveste distriktskode kronen først.")
    add(text, refs and (lambda tables: f'="Samlet budget: "&FIXED({refs.T},0)&" kr. fordelt i hele kroner efter '
                        f'største brøkdels metode (Hamilton); ved lighed får distriktet med den laveste distriktskode '
                        f'kronen først."'))
    # 2. the key
    if a == 0:
        text = "Fordelingsnøgle: behovsnøglen alene."
    elif a == 1:
        text = "Fordelingsnøgle: elevtalsandelen alene (100 % efter elevtal)."
    else:
        text = f"Blandet nøgle: {percent_text(a)} efter elevtal og {percent_text(1 - a)} efter behov."
    W = ctx.name("Elevtalsvaegt")
    add(text, refs and (f'=IF(ISNUMBER({W}),IF(OR({W}<0,{W}>1),"",IF({W}=0,"Fordelingsnøgle: behovsnøglen alene.",IF({W}=1,'
                        f'"Fordelingsnøgle: elevtalsandelen alene (100 % efter elevtal).","Blandet nøgle: "&'
                        f'{percent_formula(W)}&" efter elevtal og "&{percent_formula("1-" + W)}&" efter behov.")))'
                        f',"")'))
    # 3. floors
    floors = frame[B.FLOOR].to_numpy(float)
    mix = frame[B.MIXED_KEY].to_numpy(float)
    order = np.asarray(B.tie_break_ranks(frame["Distrikt"]), dtype=float)
    *_, lam_star, _ = _floors_mirror(total, mix, floors, order)
    lifted = floors > lam_star * mix
    k, m = int((floors > 0).sum()), int(lifted.sum())
    if k == 0:
        text = ""
    else:
        text = f"Gulv: {_count_text(k, 'distrikt har', 'distrikter har')} et minimumsbudget"
        if m == 0:
            text += ", men alle ligger over gulvet, så gulvene ændrer ikke fordelingen."
        else:
            text += (f"; {_count_text(m, 'distrikt er løftet op til sit gulv', 'distrikter er løftet op til deres gulv')}"
                     f" (i alt {dk.kroner(floors[lifted].sum())}), og resten er fordelt mellem de øvrige distrikter "
                     "efter nøglen.")

    def floors_formula(tables):
        b = tables[c.TBL_ALLOCATION]
        F, M, Lm = b.column_range(B.FLOOR), b.column_range(B.MIXED_KEY), b.column_range(LAMBDA)
        lam = f"MIN({Lm},{refs.T}/SUM({M}))"
        kk, mm = f'COUNTIF({F},">0")', f"SUMPRODUCT(--({F}>{lam}*{M}))"
        lifted_sum = f"SUMPRODUCT(({F}>{lam}*{M})*{F})"
        return (f'=IF({kk}=0,"","Gulv: "&{_count_formula(kk, "distrikt har", "distrikter har")}&" et minimumsbudget"'
                f'&IF({mm}=0,", men alle ligger over gulvet, så gulvene ændrer ikke fordelingen.","; "&'
                f'{_count_formula(mm, "distrikt er løftet op til sit gulv", "distrikter er løftet op til deres gulv")}'
                f'&" (i alt "&FIXED({lifted_sum},0)&" kr.), og resten er fordelt mellem de øvrige distrikter efter '
                f'nøglen."))')
    add(text, refs and floors_formula)
    # 4. current budget
    cur = pd.to_numeric(frame[B.CURRENT], errors="coerce")
    given = int(cur.notna().sum())
    if given == 0:
        text = ""
    else:
        text = (f"Nuværende budget: i alt {dk.kroner(cur.sum())}; kolonnen '{B.DIFFERENCE_CURRENT}' viser ændringen "
                "for hvert distrikt")
        if given < n:
            text += f" (mangler for {_count_text(n - given, 'distrikt', 'distrikter')})"
        text += "."

    def current_formula(tables):
        b = tables[c.TBL_ALLOCATION]
        C = b.column_range(B.CURRENT)
        missing = f"({n}-COUNT({C}))"
        return (f'=IF(COUNT({C})=0,"","Nuværende budget: i alt "&FIXED(SUM({C}),0)&" kr.; kolonnen '
                f"'{B.DIFFERENCE_CURRENT}' viser ændringen for hvert distrikt\"&IF(COUNT({C})<{n},\" (mangler for "
                f'"&{_count_formula(missing, "distrikt", "distrikter")}&")","")&".")')
    add(text, refs and current_formula)
    # 5. protection against big drops (with last year's figures)
    if ctx.last_year is not None:
        g = ctx.settings.get(B.SETTING_MAX_LOSS)
        text = ""
        if g is not None and -1 <= g <= 0:
            mirror_amount = _floors_mirror(total, mix, floors, order)[-1]
            *_, short, gain, _, theta = _protection_mirror(ctx, frame, mirror_amount)
            m = int((short > 0).sum())
            text = (f"Beskyttelse mod store fald: intet distrikt får mere end {percent_text(-g)} mindre pr. elev end "
                    "sidste år; ")
            if m == 0:
                text += "ingen var under grænsen, så beskyttelsen ændrer ikke fordelingen."
            elif gain.sum() > 0:
                text += (f"{_count_text(m, 'distrikt er løftet', 'distrikter er løftet')} op til grænsen (i alt "
                         f"{dk.kroner(round(short.sum()))}), betalt ved at skære {percent_text(theta)} af de øvrige "
                         "distrikters fremgang.")
            else:
                text = ""

        def protection_formula(tables):
            b = tables[c.TBL_ALLOCATION]
            G = ctx.name(B.SETTING_MAX_LOSS)
            S, P = b.column_range(SHORT), b.column_range(GAIN)
            lifted = f'COUNTIF({S},">0")'
            return (f'=IF(AND(ISNUMBER({G}),{G}>=-1,{G}<=0),"Beskyttelse mod store fald: intet distrikt får mere '
                    f'end "&{percent_formula("-" + G)}&" mindre pr. elev end sidste år; "&IF({lifted}=0,"ingen var '
                    f'under grænsen, så beskyttelsen ændrer ikke fordelingen.",IF(SUM({P})>0,'
                    f'{_count_formula(lifted, "distrikt er løftet", "distrikter er løftet")}&" op til grænsen (i alt "'
                    f'&FIXED(SUM({S}),0)&" kr.), betalt ved at skære "&{percent_formula(f"SUM({S})/SUM({P})")}&'
                    f'" af de øvrige distrikters fremgang.","")),"")')
        add(text, refs and protection_formula)
    return [Text(text, style, text_formula=formula) for text, formula, style in lines]


def _status_formula(ctx: Context, n: int, refs: _Refs):
    """The red line that says why the budget cells show ``–`` (empty when everything can be computed)."""
    S, W = ctx.name("SamletBudget"), ctx.name("Elevtalsvaegt")

    def f(tables):
        F = tables[c.TBL_ALLOCATION].column_range(B.FLOOR)
        parts = [
            f'IF(ISNUMBER({S}),IF({S}<0,"Det samlede budget er negativt. ",""),'
            f'"Det samlede budget skal være et tal. ")',
            f'IF(ISNUMBER({W}),IF(OR({W}<0,{W}>1),"Andelen fordelt efter elevtal skal ligge mellem 0 % og 100 %. ",""),'
            f'"Andelen fordelt efter elevtal skal være et tal. ")',
            f'IF(SUM({F})>{refs.T},"Gulvene summer til "&FIXED(SUM({F}),0)&'
            f'" kr., mere end det samlede budget – sænk gulvene eller hæv det samlede budget. ","")',
            f'IF(COUNTA({c.TBL_DISTRICTS}[Distrikt])<>{n},"Distrikterne på arket {c.SHEET_DISTRICTS} '
            f'er ændret siden beregningen – kør beregningen igen. ","")',
        ]
        if ctx.last_year is not None:
            b = tables[c.TBL_ALLOCATION]
            G = ctx.name(B.SETTING_MAX_LOSS)
            Sh, Ga = b.column_range(SHORT), b.column_range(GAIN)
            parts += [
                f'IF(ISNUMBER({G}),IF(OR({G}<-1,{G}>0),"Største fald pr. elev skal ligge mellem -100 % og 0 %. ",""),'
                f'"")',
                f'IF(SUM({Sh})>SUM({Ga}),"Beskyttelsen mod store fald koster "&FIXED(SUM({Sh}),0)&" kr., men '
                f'distrikterne med fremgang har kun "&FIXED(SUM({Ga}),0)&" kr. at give af – sænk grænsen eller lad den '
                f'stå tom. ","")',
            ]
        body = "&".join(parts)
        return f'=IF(({body})="","","Kan ikke beregnes: "&TRIM({body}))'
    return f


# --- The phase-in ---------------------------------------------------------------------------------------------------
def year_label(ctx: Context, t: int) -> str:
    """Header of phase-in year ``t``: ``2027 (kr.)`` with a budget year, else ``År 1 (kr.)``."""
    if ctx.budget_year:
        return f"{int(ctx.budget_year) + t - 1} (kr.)"
    return B.year_column(t)


def _phase_in_blocks(ctx: Context, refs: _Refs | None, alloc_block: TableBlock) -> list:
    alloc = ctx.alloc
    N = ctx.name("Indfasningsaar")
    if alloc.phase_in is None:
        if refs is None:
            return []
        return [Text("", "warning", text_formula=(
            f'=IF(ISNUMBER({N}),IF({N}>0,"Indfasning over "&{N}&" år: kør beregningen igen for at se indfasningen '
            f'år for år.",""),"")'))]
    ph = alloc.phase_in
    years = int(alloc.options.phase_in_years)
    body = ph[ph["Distrikt"] != B.TOTAL_ROW].reset_index(drop=True)
    last = ph[ph["Distrikt"] == B.TOTAL_ROW].iloc[0]
    labels = {B.year_column(t): year_label(ctx, t) for t in range(1, years + 1)}
    frame = body.rename(columns=labels)
    cols = [col for col in frame.columns]
    fm = {col: KRONER for col in cols if "(kr.)" in col}
    totals_values = {labels.get(col, col): float(last[col]) for col in ph.columns if "(kr.)" in str(col)}
    n = len(frame)
    total = alloc.options.total_kroner
    c_total = float(last[B.CURRENT])
    text = (f"Indfasning over {years} år: år t får nuværende budget + (nyt budget − nuværende budget) · t/{years}; "
            f"årets samlede budget går lineært fra {dk.kroner(c_total)} til {dk.kroner(total)}, og hvert år er "
            "afrundet til hele kroner.")
    if ctx.budget_year:
        text += (f" Første år ({ctx.budget_year}) er budgetåret; fuldt indfaset i "
                 f"{int(ctx.budget_year) + years - 1}.")
    if refs is None:
        totals = {"Distrikt": "I alt", **totals_values}
        return [Text("Indfasning år for år", "subtitle"), Text(text, "note"),
                TableBlock(c.TBL_PHASE_IN, frame, fm, widths={"Distrikt": 9, B.NAME: 22}, totals=totals)]

    by = ctx.name("Budgetaar")
    explain = (f'=IF(ISNUMBER({N}),IF({N}>=1,"Indfasning over "&{N}&" år: år t får nuværende budget + (nyt budget '
               f'− nuværende budget) · t/"&{N}&"; årets samlede budget går lineært fra "&FIXED(SUM(#C#),0)&" kr. til "'
               f'&FIXED(#T#,0)&" kr., og hvert år er afrundet til hele kroner."')
    if ctx.budget_year:
        explain += (f'&IF(ISNUMBER({by})," Første år ("&{by}&") er budgetåret; fuldt indfaset i "&({by}+{N}-1)&".",'
                    f'"")')
    explain += ',""),"")'

    def explain_formula(tables):
        return explain.replace("#C#", tables[c.TBL_ALLOCATION].column_range(B.CURRENT)).replace("#T#", refs.T)

    def status_formula(tables):
        C = tables[c.TBL_ALLOCATION].column_range(B.CURRENT)
        checks = (f'IF(NOT(ISNUMBER({N})),"Indfasningsaar skal være et tal.",'
                  f'IF(OR({N}<0,{N}<>INT({N})),"Indfasningsaar skal være et helt tal på 0 eller mere.",'
                  f'IF({N}=0,"Indfasningsaar er nu 0: ingen indfasning – det nye budget gælder fuldt fra første år.",'
                  f'IF(COUNT({C})<{n},"Indfasning kræver det nuværende budget for alle distrikter – udfyld '
                  f"'{B.CURRENT}' på arket {c.SHEET_DISTRICTS}.\","
                  f'IF({N}>{years},"Indfasningen er sat til "&{N}&" år, men tabellen har kolonner for {years} år – '
                  f'kør beregningen igen for at se alle år.","")))))')
        if ctx.budget_year:
            checks += (f'&IF(ISNUMBER({by}),IF({by}<>{int(ctx.budget_year)}," Budgetåret er ændret – kør '
                       f'beregningen igen, så kolonnerne får de rigtige årstal.",""),"")')
        return "=TRIM(" + checks + ")"

    explain_text = Text(text, "note", text_formula=explain_formula)
    status = Text("", "warning", text_formula=status_formula)

    A = alloc_block

    def current_cell(r, b):
        return f"={A.letter(B.CURRENT)}{A.first_row + (r - b.first_row)}"

    def year_formula(t: int):
        def f(r, b):
            i = r - b.first_row
            CR, BR, OR = A.column_range(B.CURRENT), A.column_range(B.BUDGET), A.column_range(ORDER)
            cd, bd, od = (f"{A.letter(B.CURRENT)}{A.first_row + i}", f"{A.letter(B.BUDGET)}{A.first_row + i}",
                          f"{A.letter(ORDER)}{A.first_row + i}")
            qd = f"ROUND({cd}+({bd}-{cd})*{t}/{N},6)"
            qr = f"ROUND({CR}+({BR}-{CR})*{t}/{N},6)"
            rd, rr = f"ROUND({qd}-INT({qd}),6)", f"ROUND({qr}-INT({qr}),6)"
            rank = f"1+SUMPRODUCT(--({rr}>{rd}))+SUMPRODUCT(({rr}={rd})*({OR}<{od}))"
            year_total = f"ROUND(SUM({CR})+(SUM({BR})-SUM({CR}))*{t}/{N},0)"
            value = f"INT({qd})+IF({rank}<={year_total}-SUMPRODUCT(INT({qr})),1,0)"
            return (f'=IF(NOT({refs.ok}),"{DASH}",IF(NOT(ISNUMBER({N})),"{DASH}",IF(OR({N}<>INT({N}),{N}<{t},'
                    f'COUNT({CR})<{n}),"{DASH}",{value})))')
        return f

    formulas = {B.CURRENT: current_cell}
    for t in range(1, years + 1):
        formulas[labels[B.year_column(t)]] = year_formula(t)
    totals = {"Distrikt": "I alt", **{col: "sum" for col in fm}}
    block = TableBlock(c.TBL_PHASE_IN, frame, fm, formulas, widths={"Distrikt": 9, B.NAME: 22}, totals=totals,
                       totals_values=totals_values)
    return [Text("Indfasning år for år", "subtitle"), explain_text, status, block]


def allocation_sheet(ctx: Context) -> Sheet:
    alloc = ctx.alloc
    total = alloc.options.total_kroner
    blocks: list = [ctx.title("Fordeling af budgettet")]
    if ctx.shared:
        frame = _frame(ctx)
        blocks.append(Text(f"Samlet budget: {dk.kroner(total)}", "normal"))
        blocks += [line for line in _lines(ctx, None, frame) if line.text]
        blocks.append(allocation_block(ctx))
        blocks += _phase_in_blocks(ctx, None, None)
        return Sheet(c.SHEET_ALLOCATION, blocks)

    S = ctx.name("SamletBudget")
    total_line = Text("Samlet budget", "normal", formula=f"={S}", formula_format=KR, value=float(alloc.options.total))
    status_line = Text("", "warning")
    refs = _Refs(S, status_line)
    block = allocation_block(ctx, refs)
    frame = _frame(ctx)
    status_line.text_formula = _status_formula(ctx, len(frame), refs)
    blocks.append(total_line)
    blocks += _lines(ctx, refs, frame)
    blocks.append(Text("Alle tal i tabellerne er formler: ret det samlede budget, andelen efter elevtal eller "
                       "indfasningen på arket Indstillinger – eller et gulv eller et nuværende budget på arket "
                       "Distrikter – og fordelingen regnes om uden Python, i hele kroner, der summer præcis til det "
                       "samlede budget. Hjælpekolonnerne til afrundingen er skjult (+ over kolonnerne viser dem).",
                       "note"))
    blocks.append(status_line)
    blocks.append(block)
    blocks += _phase_in_blocks(ctx, refs, block)
    return Sheet(c.SHEET_ALLOCATION, blocks, print_title_table=c.TBL_ALLOCATION)
