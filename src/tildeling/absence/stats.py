"""Hypothesis tests and cross-tabulations on the linked data.

Outcome: *bekymrende fravær*, total absence ≥ 10 % over the period (0/1).

For each hypothesis (factor, expected direction):

- **Unadjusted**: the 2×2 table of factor × outcome gives the share with
  worrying absence with and without the factor, their difference in percentage
  points (Wald CI), the risk ratio (log CI) and the odds ratio (log CI, Wald p).
- **Adjusted**: a logit of the outcome on all the hypotheses' factors
  (complete cases). The odds ratio and p-value are the factor's coefficient;
  the adjusted difference and risk ratio are standardised (g-computation: every
  pupil with vs without the factor, the others as they are) with delta-method CIs.
- **Verdict** from the adjusted difference and its 95 % CI against a relevance
  margin *m* (percentage points, setting ``Relevansgrænse``), see :func:`verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import contract as c
from .linking import absence_band

__all__ = ["verdict", "test_hypotheses", "CrossTab", "crosstab", "crosstabs", "HYPOTHESIS_COLUMNS"]

Z = sps.norm.ppf(0.975)

HYPOTHESIS_COLUMNS = (
    c.HYP_TEXT, c.HYP_FACTOR, c.HYP_DIRECTION, "Elever", "Elever med faktoren",
    "Bekymrende fravær med faktoren", "Bekymrende fravær uden faktoren", "Gns. fravær med faktoren (%)",
    "Gns. fravær uden faktoren (%)",
    "Forskel (procentpoint)", "Forskel KI nedre", "Forskel KI øvre", "Risikoratio", "Risikoratio KI nedre",
    "Risikoratio KI øvre", "Odds-ratio", "Odds-ratio KI nedre", "Odds-ratio KI øvre", "P-værdi",
    "Justeret forskel (procentpoint)", "Justeret forskel KI nedre", "Justeret forskel KI øvre",
    "Justeret risikoratio", "Justeret risikoratio KI nedre", "Justeret risikoratio KI øvre",
    "Justeret odds-ratio", "Justeret odds-ratio KI nedre", "Justeret odds-ratio KI øvre", "Justeret p-værdi",
    "Vurdering", "Begrundelse",
)


def verdict(direction: str, rd: float, lo: float, hi: float, margin: float) -> tuple[str, str]:
    """The verdict and the rule that produced it (Danish), from a difference in pp and its 95 % CI.

    Rules, in order (m = relevance margin):

    1. CI entirely inside (−m, +m): no relevant relation → *bekræftet* if the
       hypothesis expects none, else *afkræftet*.
    2. CI entirely on the expected side of 0 and |difference| ≥ m → *bekræftet*
       (for "Ingen sammenhæng": *afkræftet*).
    3. CI entirely on the other side of 0 → *afkræftet*.
    4. Otherwise → *ikke afklaret* (the data cannot tell).
    """
    ci = f"{c.signed(rd)} procentpoint (95 % KI {c.pct(lo)} til {c.pct(hi)})"
    mtxt = c.pct(margin)
    if any(np.isnan(v) for v in (rd, lo, hi)):
        return c.UNRESOLVED, "Effekten kan ikke beregnes (for få elever med eller uden faktoren)."
    inside = lo > -margin and hi < margin
    if inside:
        v = c.CONFIRMED if direction == c.DIR_NONE else c.REJECTED
        return v, (f"Regel 1: forskellen er {ci}; hele intervallet ligger inden for ±{mtxt} procentpoint, "
                   "så faktoren har ingen betydende sammenhæng med fraværet.")
    if direction == c.DIR_NONE:
        if (lo > 0 or hi < 0) and abs(rd) >= margin:
            return c.REJECTED, (f"Regel 2: forskellen er {ci}; intervallet udelukker 0, og forskellen er mindst "
                                f"{mtxt} procentpoint – der er en sammenhæng.")
        return c.UNRESOLVED, (f"Regel 4: forskellen er {ci}; intervallet er for bredt til at afgøre, om "
                              f"forskellen er under {mtxt} procentpoint.")
    sign = 1.0 if direction == c.DIR_UP else -1.0
    s_rd, s_lo, s_hi = sign * rd, min(sign * lo, sign * hi), max(sign * lo, sign * hi)
    side = "over" if sign > 0 else "under"
    other = "under" if sign > 0 else "over"
    if s_lo > 0 and s_rd >= margin:
        return c.CONFIRMED, (f"Regel 2: forskellen er {ci}; hele intervallet ligger {side} 0, og forskellen er "
                             f"mindst {mtxt} procentpoint.")
    if s_hi < 0:
        return c.REJECTED, (f"Regel 3: forskellen er {ci}; hele intervallet ligger {other} 0 – sammenhængen går "
                            "den modsatte vej.")
    return c.UNRESOLVED, (f"Regel 4: forskellen er {ci}; intervallet er for bredt til at afgøre det "
                          f"(hverken helt {side} 0 med en forskel på mindst {mtxt} procentpoint eller helt inden "
                          f"for ±{mtxt}).")


def _unadjusted(x: np.ndarray, y: np.ndarray) -> dict:
    a = float(np.sum((x == 1) & (y == 1)))
    n1 = float(np.sum(x == 1))
    cc = float(np.sum((x == 0) & (y == 1)))
    n0 = float(np.sum(x == 0))
    b, d = n1 - a, n0 - cc
    out = dict.fromkeys(["p1", "p0", "rd", "rd_lo", "rd_hi", "rr", "rr_lo", "rr_hi", "or", "or_lo", "or_hi", "p"],
                        np.nan)
    if n1 == 0 or n0 == 0:
        return out
    p1, p0 = a / n1, cc / n0
    se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    out.update(p1=p1, p0=p0, rd=100 * (p1 - p0), rd_lo=100 * (p1 - p0 - Z * se), rd_hi=100 * (p1 - p0 + Z * se))
    if a > 0 and cc > 0:
        rr = p1 / p0
        se_rr = np.sqrt(1 / a - 1 / n1 + 1 / cc - 1 / n0)
        out.update(rr=rr, rr_lo=rr * np.exp(-Z * se_rr), rr_hi=rr * np.exp(Z * se_rr))
    if min(a, b, cc, d) > 0:
        orr = a * d / (b * cc)
        se_or = np.sqrt(1 / a + 1 / b + 1 / cc + 1 / d)
        out.update(**{"or": orr, "or_lo": orr * np.exp(-Z * se_or), "or_hi": orr * np.exp(Z * se_or),
                      "p": 2 * sps.norm.sf(abs(np.log(orr)) / se_or)})
    return out


def _fit_logit(X: np.ndarray, y: np.ndarray, max_iter: int = 50):
    """Maximum likelihood logit by Newton–Raphson; returns (beta, covariance) or None."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        H = X.T @ (X * w[:, None])
        g = X.T @ (y - p)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        return None
    if np.max(np.abs(beta)) > 15:  # (quasi-)separation
        return None
    eta = X @ beta
    p = 1 / (1 + np.exp(-eta))
    H = X.T @ (X * (p * (1 - p))[:, None])
    try:
        return beta, np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return None


def _standardised(X: np.ndarray, beta: np.ndarray, V: np.ndarray, j: int) -> dict:
    X1, X0 = X.copy(), X.copy()
    X1[:, j], X0[:, j] = 1.0, 0.0
    p1 = 1 / (1 + np.exp(-(X1 @ beta)))
    p0 = 1 / (1 + np.exp(-(X0 @ beta)))
    m1, m0 = p1.mean(), p0.mean()
    g1 = (X1 * (p1 * (1 - p1))[:, None]).mean(axis=0)
    g0 = (X0 * (p0 * (1 - p0))[:, None]).mean(axis=0)
    g = g1 - g0
    se_rd = float(np.sqrt(g @ V @ g))
    glr = g1 / m1 - g0 / m0
    se_lrr = float(np.sqrt(glr @ V @ glr))
    rr = m1 / m0
    b, se_b = beta[j], float(np.sqrt(V[j, j]))
    return {"rd": 100 * (m1 - m0), "rd_lo": 100 * (m1 - m0 - Z * se_rd), "rd_hi": 100 * (m1 - m0 + Z * se_rd),
            "rr": rr, "rr_lo": rr * np.exp(-Z * se_lrr), "rr_hi": rr * np.exp(Z * se_lrr),
            "or": np.exp(b), "or_lo": np.exp(b - Z * se_b), "or_hi": np.exp(b + Z * se_b),
            "p": 2 * sps.norm.sf(abs(b) / se_b)}


def test_hypotheses(pupils: pd.DataFrame, hypotheses: pd.DataFrame, margin: float) -> tuple[pd.DataFrame, str]:
    """One row per hypothesis (:data:`HYPOTHESIS_COLUMNS`) and a note on the adjusted model."""
    y_all = pupils[c.WORRYING].to_numpy(dtype=float)
    pct = pupils[c.ABSENCE_PCT].to_numpy(dtype=float)
    factors = list(dict.fromkeys(hypotheses[c.HYP_FACTOR]))
    F = pupils[factors].to_numpy(dtype=float) if factors else np.zeros((len(pupils), 0))
    complete = ~np.isnan(y_all) & ~np.isnan(F).any(axis=1)
    # Drop factors without variation from the adjusted model
    usable = [k for k, f in enumerate(factors) if len(np.unique(F[complete, k])) == 2]
    Xa = np.column_stack([np.ones(int(complete.sum()))] + [F[complete, k] for k in usable])
    fit = _fit_logit(Xa, y_all[complete]) if usable else None
    if fit is None:
        note = "Den justerede model kunne ikke estimeres; vurderingen bygger på de ujusterede tal."
    else:
        note = (f"Justeret model: logit for bekymrende fravær (≥ 10 %) med {len(usable)} faktorer, "
                f"{int(complete.sum())} elever med oplysninger om alle faktorer.")
    rows = []
    for _, h in hypotheses.iterrows():
        f = h[c.HYP_FACTOR]
        x = pupils[f].to_numpy(dtype=float)
        ok = ~np.isnan(x) & ~np.isnan(y_all)
        u = _unadjusted(x[ok], y_all[ok])
        k = factors.index(f)
        adj = None
        if fit is not None and k in usable:
            adj = _standardised(Xa, fit[0], fit[1], 1 + usable.index(k))
        base = adj if adj is not None else u
        n1 = int(np.sum(x[ok] == 1))
        n0 = int(ok.sum()) - n1
        if min(n1, n0) < c.MIN_GROUP:
            v, rule = c.UNRESOLVED, (f"Regel 4: kun {min(n1, n0)} elever {'med' if n1 < n0 else 'uden'} faktoren – "
                                     f"for få til at afgøre noget (mindst {c.MIN_GROUP} i hver gruppe).")
        else:
            v, rule = verdict(h[c.HYP_DIRECTION], base["rd"], base["rd_lo"], base["rd_hi"], margin)
            if adj is None and not np.isnan(u["rd"]):
                rule += " (Ujusteret: den justerede model kunne ikke estimeres.)"
        m1 = np.nanmean(pct[ok & (x == 1)]) if n1 else np.nan
        m0 = np.nanmean(pct[ok & (x == 0)]) if n1 < ok.sum() else np.nan
        a = adj or dict.fromkeys(u, np.nan)
        rows.append([h[c.HYP_TEXT], f, h[c.HYP_DIRECTION], int(ok.sum()), n1, u["p1"], u["p0"], m1, m0,
                     u["rd"], u["rd_lo"], u["rd_hi"], u["rr"], u["rr_lo"], u["rr_hi"], u["or"], u["or_lo"],
                     u["or_hi"], u["p"], a["rd"], a["rd_lo"], a["rd_hi"], a["rr"], a["rr_lo"], a["rr_hi"],
                     a["or"], a["or_lo"], a["or_hi"], a["p"], v, rule])
    return pd.DataFrame(rows, columns=list(HYPOTHESIS_COLUMNS)), note


@dataclass
class CrossTab:
    """A factor (rows Nej/Ja) against the absence bands."""

    factor: str
    counts: pd.DataFrame          # index [Nej, Ja], columns BANDS; true counts
    row_pct: pd.DataFrame         # % of the row, 0–100
    n: int
    chi2: float
    dof: int
    p: float
    cramers_v: float


def crosstab(pupils: pd.DataFrame, factor: str) -> CrossTab:
    x = pupils[factor].to_numpy(dtype=float)
    band = absence_band(pupils[c.ABSENCE_PCT].to_numpy(dtype=float))
    ok = ~np.isnan(x) & (band >= 0)
    table = np.zeros((2, len(c.BANDS)), dtype=np.int64)
    np.add.at(table, (x[ok].astype(int), band[ok]), 1)
    counts = pd.DataFrame(table, index=[c.NO, c.YES], columns=list(c.BANDS))
    with np.errstate(invalid="ignore", divide="ignore"):
        row_pct = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0) * 100
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    chi2 = p = v = np.nan
    dof = 0
    if t.shape[0] >= 2 and t.shape[1] >= 2:
        chi2, p, dof, _ = sps.chi2_contingency(t, correction=False)
        v = float(np.sqrt(chi2 / (t.sum() * (min(t.shape) - 1))))
    return CrossTab(factor, counts, row_pct, int(ok.sum()), float(chi2), int(dof), float(p), v)


def crosstabs(pupils: pd.DataFrame) -> list[CrossTab]:
    """Every factor against the absence bands, strongest association (Cramér's V) first."""
    tabs = [crosstab(pupils, f) for f in c.FACTOR_NAMES]
    return sorted(tabs, key=lambda t: -(t.cramers_v if not np.isnan(t.cramers_v) else -1))
