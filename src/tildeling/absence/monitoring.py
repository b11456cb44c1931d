"""Early warning: quarterly flags, the caseworker list, trends, segmentation, drill-down data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract as c
from ..privacy import suppression_mask
from .linking import absence_band
from .rules import Condition

__all__ = ["quarterly_flags", "caseworker_list", "trend", "segment", "segment_counts", "drill_table",
           "DRILL_COLUMNS"]


def quarterly_flags(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per pupil and calendar quarter: days, percentages and the two flags (exact thresholds, ≥)."""
    m = monthly.copy()
    m[c.QUARTER] = m[c.MONTH].dt.asfreq("Q")
    g = m.groupby([c.PUPIL, c.SCHOOL, c.CLASS, c.GRADE, c.QUARTER], sort=True)[
        [c.SCHOOL_DAYS, c.ABSENCE_DAYS, c.UNLAWFUL]].sum().reset_index()
    days = g[c.SCHOOL_DAYS].to_numpy(dtype=float)
    g[c.ABSENCE_PCT] = 100.0 * g[c.ABSENCE_DAYS].to_numpy(dtype=float) / days
    g[c.UNLAWFUL_PCT_COL] = 100.0 * g[c.UNLAWFUL].to_numpy(dtype=float) / days
    # Compare day counts, not rounded percentages: 10.00 % is flagged, 9.99 % is not.
    g[c.FLAG_TOTAL] = g[c.ABSENCE_DAYS].to_numpy(dtype=float) * 100.0 >= c.WORRYING_PCT * days - c.EPS
    g[c.FLAG_UNLAWFUL] = g[c.UNLAWFUL].to_numpy(dtype=float) * 100.0 >= c.UNLAWFUL_PCT * days - c.EPS
    g[c.QUARTER] = g[c.QUARTER].map(lambda q: f"{q.year} K{q.quarter}")
    return g


CASEWORKER_COLUMNS = (c.PUPIL, c.SCHOOL, c.CLASS, c.GRADE, c.QUARTER, c.SCHOOL_DAYS, c.ABSENCE_DAYS,
                      c.ABSENCE_PCT, c.UNLAWFUL, c.UNLAWFUL_PCT_COL, c.FLAG_TOTAL, c.FLAG_UNLAWFUL, c.SEGMENT,
                      c.N_NOTIFICATIONS, c.N_PPR, c.N_CASES)


def caseworker_list(flags: pd.DataFrame, pupils: pd.DataFrame) -> pd.DataFrame:
    """Flagged pupil-quarters, with segment and social counts. Personal data: never shared."""
    f = flags[flags[c.FLAG_TOTAL] | flags[c.FLAG_UNLAWFUL]]
    extra = pupils.set_index(c.PUPIL)[[c.SEGMENT, c.N_NOTIFICATIONS, c.N_PPR, c.N_CASES]]
    out = f.join(extra, on=c.PUPIL)
    out = out.sort_values([c.FLAG_UNLAWFUL, c.SCHOOL, c.CLASS, c.PUPIL, c.QUARTER],
                          ascending=[False, True, True, True, True])
    out[c.FLAG_TOTAL] = np.where(out[c.FLAG_TOTAL], c.YES, "")
    out[c.FLAG_UNLAWFUL] = np.where(out[c.FLAG_UNLAWFUL], c.YES, "")
    return out[list(CASEWORKER_COLUMNS)].reset_index(drop=True)


def trend(monthly: pd.DataFrame, threshold: int = c.SMALL_CELL) -> pd.DataFrame:
    """Absence % per school (columns, plus 'Alle skoler') and month (rows); None where < ``threshold`` pupils."""
    m = monthly
    parts = []
    for key, frame in [(None, m)] + list(m.groupby(c.SCHOOL, sort=True)):
        g = frame.groupby(c.MONTH).agg(n=(c.PUPIL, "nunique"), days=(c.SCHOOL_DAYS, "sum"),
                                       absent=(c.ABSENCE_DAYS, "sum"))
        val = 100.0 * g["absent"] / g["days"]
        val[g["n"] < threshold] = np.nan
        parts.append(val.rename("Alle skoler" if key is None else key))
    out = pd.concat(parts, axis=1).sort_index()
    out.index = [str(p) for p in out.index]
    out.index.name = c.MONTH
    return out


def segment(pupils: pd.DataFrame, rules: pd.DataFrame, conditions: list[Condition]) -> tuple[np.ndarray, pd.DataFrame]:
    """Cause category per pupil with worrying absence (others: empty), and matches per rule.

    The rule with the lowest ``Prioritet`` that matches wins; rules with equal
    priority are tried in table order. Pupils no rule matches are
    ``Ikke kategoriseret``.
    """
    n = len(pupils)
    high = pupils[c.WORRYING].to_numpy(dtype=float) == 1
    out = np.full(n, "", dtype=object)
    out[high] = c.UNCATEGORISED
    order = np.argsort(rules[c.SEG_PRIORITY].to_numpy(), kind="stable")
    assigned = ~high
    summary = []
    for k in order:
        hit = conditions[k].evaluate(pupils) & high
        new = hit & ~assigned
        out[new] = rules[c.SEG_CATEGORY].iloc[k]
        assigned |= new
        summary.append({c.SEG_PRIORITY: int(rules[c.SEG_PRIORITY].iloc[k]),
                        c.SEG_CATEGORY: rules[c.SEG_CATEGORY].iloc[k], c.SEG_CONDITION: conditions[k].text,
                        "Opfylder betingelsen": int(hit.sum()), "Placeret i kategorien": int(new.sum())})
    summary.append({c.SEG_PRIORITY: None, c.SEG_CATEGORY: c.UNCATEGORISED, c.SEG_CONDITION: "(ingen regel passer)",
                    "Opfylder betingelsen": None, "Placeret i kategorien": int((out == c.UNCATEGORISED).sum())})
    return out, pd.DataFrame(summary)


def segment_counts(pupils: pd.DataFrame, by: str, categories: list[str],
                   threshold: int = c.SMALL_CELL) -> tuple[pd.DataFrame, np.ndarray]:
    """Pupils with worrying absence per ``by`` (school or grade) × category, with a total column.

    Returns the true counts and the suppression mask (same shape).
    """
    high = pupils[pupils[c.WORRYING] == 1]
    t = pd.crosstab(high[by], high[c.SEGMENT]).reindex(columns=categories, fill_value=0)
    if by == c.GRADE:
        t.index = [f"{int(g)}. klasse" for g in t.index]
    t["I alt"] = t.sum(axis=1)
    mask = suppression_mask(t.to_numpy(), threshold)
    return t, mask


DRILL_COLUMNS = (c.SCHOOL, c.GRADE, "Faktor", "Niveau", "Elever", "Bekymrende fravær", c.ABSENCE_DAYS,
                 c.SCHOOL_DAYS) + c.BANDS


def grade_label(g) -> str:
    return f"{int(g)}. klasse"


def drill_table(pupils: pd.DataFrame) -> pd.DataFrame:
    """Tidy aggregate for the drill-down sheet.

    One row per school (and 'Alle') × grade (and 'Alle') × factor × level
    (Ja/Nej), plus 'Alle elever' rows per school × grade. Every selection in the
    drill-down is one row, so the sheet's formulas never add suppressed cells up.
    """
    p = pupils[pupils[c.ABSENCE_PCT].notna()].copy()
    p["_grade"] = p[c.GRADE].map(grade_label)
    band = absence_band(p[c.ABSENCE_PCT].to_numpy(dtype=float))
    for j, b in enumerate(c.BANDS):
        p[b] = (band == j).astype(int)
    p["_one"] = 1
    vals = {"Elever": ("_one", "sum"), "Bekymrende fravær": (c.WORRYING, "sum"),
            c.ABSENCE_DAYS: (c.ABSENCE_DAYS, "sum"), c.SCHOOL_DAYS: (c.SCHOOL_DAYS, "sum")}
    vals.update({b: (b, "sum") for b in c.BANDS})
    frames = []
    long_parts = [p.assign(Faktor=c.ALL_PUPILS, Niveau=c.ALL)]
    for f in c.FACTOR_NAMES:
        x = p[f].to_numpy(dtype=float)
        sub = p[~np.isnan(x)]
        long_parts.append(sub.assign(Faktor=f, Niveau=np.where(sub[f].to_numpy() == 1, c.YES, c.NO)))
    long = pd.concat(long_parts, ignore_index=True)
    for s_key in (c.SCHOOL, None):
        for g_key in ("_grade", None):
            keys = [k for k in (s_key, g_key) if k] + ["Faktor", "Niveau"]
            agg = long.groupby(keys, sort=False).agg(**vals).reset_index()
            agg[c.SCHOOL] = agg[s_key] if s_key else c.ALL
            agg[c.GRADE] = agg[g_key] if g_key else c.ALL
            frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    out = out[list(DRILL_COLUMNS)]
    for col in ("Elever", "Bekymrende fravær") + c.BANDS:
        out[col] = out[col].astype(int)
    order = {f: i for i, f in enumerate((c.ALL_PUPILS,) + c.FACTOR_NAMES)}
    out["_f"] = out["Faktor"].map(order)
    out["_s"] = out[c.SCHOOL].map(lambda s: "" if s == c.ALL else s)
    out["_g"] = out[c.GRADE].map(lambda s: "" if s == c.ALL else s.rjust(10))
    out = out.sort_values(["_s", "_g", "_f", "Niveau"]).drop(columns=["_f", "_s", "_g"])
    return out.reset_index(drop=True)
