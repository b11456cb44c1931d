"""Link the domains per pupil and derive absence measures and factors.

The pupil table (school domain) is the base: one row per pupil in it. Each
other domain is joined on the pupil pseudonym (school facts on school and class).
Nothing fails because a pupil is missing somewhere; the link report says how
many matched in each domain and lists the ones that did not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import contract as c
from .inputs import Inputs

__all__ = ["LinkResult", "link", "absence_band"]

REPORT_COLUMNS = ("Domæne", "Rækker", "Elever i domænet", "Koblet til elevlisten", "Elever uden data i domænet",
                  "Ukendte elever i domænet", "Bemærkning")
UNMATCHED_COLUMNS = (c.PUPIL, "Domæne", "Problem")


@dataclass
class LinkResult:
    """The linked data and the link report."""

    #: One row per pupil in Elever: input columns, absence measures and 0/1 factors (NaN = unknown).
    pupils: pd.DataFrame
    #: Per domain: rows, pupils, matched, missing, unknown (see :data:`REPORT_COLUMNS`).
    report: pd.DataFrame
    #: Pseudonyms (or schools/classes) that did not link, and why. Personal data.
    unmatched: pd.DataFrame
    #: Absence per pupil and month (linked pupils only) with school, class and grade.
    monthly: pd.DataFrame
    #: Cut-offs used for the size factors (median of the pupils' school/class size).
    cutoffs: dict


def absence_band(pct: np.ndarray) -> np.ndarray:
    """Index into :data:`contract.BANDS` (under 5, 5–10, 10–15, ≥15); -1 when missing."""
    pct = np.asarray(pct, dtype=float)
    out = np.searchsorted(np.asarray(c.BAND_EDGES) - c.EPS, pct, side="right")
    return np.where(np.isnan(pct), -1, out)


def _pct(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * num / den, np.nan)


def link(inp: Inputs) -> LinkResult:
    """Link the validated input tables (see :func:`tildeling.absence.inputs.validate_inputs`)."""
    el = inp.elever.copy()
    ids = set(el[c.PUPIL])
    report, unmatched = [], []

    def note(domain_label, table, key_ids, missing_ok_text=None):
        present = set(key_ids)
        matched = present & ids
        missing = sorted(ids - present)
        unknown = sorted(present - ids)
        report.append({"Domæne": domain_label, "Rækker": len(table), "Elever i domænet": len(present),
                       "Koblet til elevlisten": len(matched), "Elever uden data i domænet": len(missing),
                       "Ukendte elever i domænet": len(unknown), "Bemærkning": missing_ok_text or ""})
        for pid in unknown:
            unmatched.append({c.PUPIL: pid, "Domæne": domain_label,
                              "Problem": "Findes i domænet, men ikke i arket 'Elever' – rækken er ikke brugt"})
        if missing_ok_text is None:
            for pid in missing:
                unmatched.append({c.PUPIL: pid, "Domæne": domain_label,
                                  "Problem": "Findes i 'Elever', men mangler i domænet – tæller som ukendt"})

    report.append({"Domæne": c.ELEVER.label, "Rækker": len(el), "Elever i domænet": len(el),
                   "Koblet til elevlisten": len(el), "Elever uden data i domænet": 0,
                   "Ukendte elever i domænet": 0, "Bemærkning": "Grundlaget for koblingen"})

    # Absence
    fr = inp.fravaer
    note(c.FRAVAER.label, fr, fr[c.PUPIL])
    fr = fr[fr[c.PUPIL].isin(ids)]
    per = fr.groupby(c.PUPIL)[[c.SCHOOL_DAYS, c.ILLNESS, c.LAWFUL, c.UNLAWFUL]].sum()
    el = el.join(per, on=c.PUPIL)
    days = el[c.SCHOOL_DAYS].to_numpy(dtype=float)
    el[c.ABSENCE_DAYS] = el[c.ILLNESS] + el[c.LAWFUL] + el[c.UNLAWFUL]
    el[c.ABSENCE_PCT] = _pct(el[c.ABSENCE_DAYS].to_numpy(dtype=float), days)
    el[c.ILLNESS_PCT] = _pct(el[c.ILLNESS].to_numpy(dtype=float), days)
    el[c.LAWFUL_PCT] = _pct(el[c.LAWFUL].to_numpy(dtype=float), days)
    el[c.UNLAWFUL_PCT_COL] = _pct(el[c.UNLAWFUL].to_numpy(dtype=float), days)
    pct = el[c.ABSENCE_PCT].to_numpy(dtype=float)
    el[c.WORRYING] = np.where(np.isnan(pct), np.nan, (pct >= c.WORRYING_PCT - c.EPS).astype(float))

    # School facts (keyed on school and class; unmatched are schools/classes, not pupils)
    sk = inp.skoler.set_index(c.SCHOOL)[c.SCHOOL_SIZE]
    el[c.SCHOOL_SIZE] = el[c.SCHOOL].map(sk).astype(float)
    kl = inp.klasser.set_index([c.SCHOOL, c.CLASS])[c.CLASS_SIZE]
    el[c.CLASS_SIZE] = pd.Series(pd.MultiIndex.from_frame(el[[c.SCHOOL, c.CLASS]]).map(kl), index=el.index,
                                 dtype=float)
    miss_s = sorted(set(el[c.SCHOOL]) - set(sk.index))
    miss_k = sorted(set(map(tuple, el[[c.SCHOOL, c.CLASS]].drop_duplicates().to_numpy())) - set(kl.index))
    report.append({"Domæne": c.SKOLER.label, "Rækker": len(inp.skoler), "Elever i domænet": np.nan,
                   "Koblet til elevlisten": int(el[c.SCHOOL_SIZE].notna().sum()),
                   "Elever uden data i domænet": int(el[c.SCHOOL_SIZE].isna().sum()),
                   "Ukendte elever i domænet": np.nan,
                   "Bemærkning": ("Kobles på skole. Mangler: " + ", ".join(miss_s)) if miss_s else "Kobles på skole"})
    report.append({"Domæne": c.KLASSER.label, "Rækker": len(inp.klasser), "Elever i domænet": np.nan,
                   "Koblet til elevlisten": int(el[c.CLASS_SIZE].notna().sum()),
                   "Elever uden data i domænet": int(el[c.CLASS_SIZE].isna().sum()),
                   "Ukendte elever i domænet": np.nan,
                   "Bemærkning": (f"Kobles på skole og klasse. {len(miss_k)} klasser mangler, fx "
                                  + ", ".join(f"{s} {k}" for s, k in miss_k[:5])) if miss_k
                   else "Kobles på skole og klasse"})

    # Social events (a pupil without rows has no cases: counts are 0, not unknown)
    so = inp.social
    note(c.SOCIAL.label, so, so[c.PUPIL], missing_ok_text="Elever uden rækker har ingen sager (tæller som 0)")
    so = so[so[c.PUPIL].isin(ids)]
    counts = so.groupby([c.PUPIL, c.EVENT_TYPE]).size().unstack(fill_value=0)
    for kind, col in ((c.EVENT_NOTIFICATION, c.N_NOTIFICATIONS), (c.EVENT_PPR, c.N_PPR), (c.EVENT_CASE, c.N_CASES)):
        s = counts[kind] if kind in counts.columns else pd.Series(dtype=float)
        el[col] = el[c.PUPIL].map(s).fillna(0).astype(float)

    # Family, language
    fa = inp.familie
    note(c.FAMILIE.label, fa, fa[c.PUPIL])
    el = el.join(fa[fa[c.PUPIL].isin(ids)].set_index(c.PUPIL), on=c.PUPIL)
    sp = inp.sprog
    note(c.SPROG.label, sp, sp[c.PUPIL])
    el = el.join(sp[sp[c.PUPIL].isin(ids)].set_index(c.PUPIL), on=c.PUPIL)

    # Factors (0/1, NaN = unknown)
    cut_school = float(np.nanmedian(el[c.SCHOOL_SIZE])) if el[c.SCHOOL_SIZE].notna().any() else np.nan
    cut_class = float(np.nanmedian(el[c.CLASS_SIZE])) if el[c.CLASS_SIZE].notna().any() else np.nan

    def ge(col, cut):
        v = el[col].to_numpy(dtype=float)
        return np.where(np.isnan(v), np.nan, (v >= cut).astype(float))

    mother = el[c.MOTHER_EMPLOYED].to_numpy(dtype=float)
    father = el[c.FATHER_EMPLOYED].to_numpy(dtype=float)
    no_family = np.isnan(el[c.TOGETHER].to_numpy(dtype=float))
    no_job = ((mother == 0) | (father == 0)).astype(float)
    no_job[no_family | (np.isnan(mother) & np.isnan(father))] = np.nan
    factors = {
        "Stor skole": ge(c.SCHOOL_SIZE, cut_school),
        "Stor klasse": ge(c.CLASS_SIZE, cut_class),
        "Har skiftet skole": (el[c.CHANGES].to_numpy(dtype=float) >= 1).astype(float),
        "Forældre bor ikke sammen": 1.0 - el[c.TOGETHER].to_numpy(dtype=float),
        "Ukendt forælder": el[c.UNKNOWN_PARENT].to_numpy(dtype=float),
        "Forælder uden beskæftigelse": no_job,
        "Underretning": (el[c.N_NOTIFICATIONS].to_numpy() >= 1).astype(float),
        "PPR-henvisning": (el[c.N_PPR].to_numpy() >= 1).astype(float),
        "Børnesag": (el[c.N_CASES].to_numpy() >= 1).astype(float),
        "Dansk som andetsprog": el[c.SECOND_LANGUAGE].to_numpy(dtype=float),
    }
    assert tuple(factors) == c.FACTOR_NAMES
    for name, v in factors.items():
        el[name] = v

    monthly = fr.merge(el[[c.PUPIL, c.SCHOOL, c.CLASS, c.GRADE]], on=c.PUPIL, how="inner")
    monthly[c.ABSENCE_DAYS] = monthly[c.ILLNESS] + monthly[c.LAWFUL] + monthly[c.UNLAWFUL]

    return LinkResult(pupils=el.reset_index(drop=True), report=pd.DataFrame(report, columns=list(REPORT_COLUMNS)),
                      unmatched=pd.DataFrame(unmatched, columns=list(UNMATCHED_COLUMNS)), monthly=monthly,
                      cutoffs={"Stor skole": cut_school, "Stor klasse": cut_class})
