"""The true logit of the synthetic data: one coefficient per design column of the national model.

Signs and rough sizes follow Tabel 3.1 and Bilag 1 of the VIVE note (girl strongly
negative, age positive, parents' education and job prestige negative, school start
after 7 positive, GP contacts positive, cohabiting negative, no children at home
positive …). The slopes are multiplied by :data:`SCALE`, chosen so that a logit
fitted to the national data has McFadden's pseudo-R² ≈ 0.16. The intercept is
calibrated numerically (see :func:`calibrate_intercept`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from .. import columns as col
from ..catalogue import NATIONAL_SPEC
from ..model.design import band
from ..spec import INTERCEPT, ModelSpec, VarType

#: Common multiplier of all slopes (tuned for McFadden's R² ≈ 0.16 on national data).
SCALE = 0.94

_PUPIL = {
    ("pige", ""): -1.20,
    ("alder", ""): 0.16,
    ("adopteret", ""): 0.55,
    ("lav_foedselsvaegt", ""): 0.45,
    ("elev_laege", ""): 0.12,
    ("elev_speciallaege", ""): 0.15,
    ("elev_indlaeggelser", ""): 0.55,
    ("skolestart_alder", "Under 5,5 år"): 0.40,
    ("skolestart_alder", "6,5-7 år"): 0.30,
    ("skolestart_alder", "Over 7 år"): 1.30,
    ("boern_hjemme", "0 børn"): 1.70,
    ("boern_hjemme", "1 barn"): 0.28,
    ("boern_hjemme", "3 børn"): -0.07,
    ("boern_hjemme", "4 børn"): 0.0,
    ("boern_hjemme", "5 eller flere børn"): -0.20,
    ("samboende", ""): -0.38,
    ("foraelder_doed", ""): 0.10,
    ("mor_ukendt", ""): -0.50,
    ("far_ukendt", ""): -0.20,
}

_PARENT = {
    "mor": {
        "alder_foedsel": {"20 år eller yngre": 0.20, "21-24 år": 0.12, "35-38 år": 0.05, "39 år eller ældre": 0.15},
        "skilt": 0.15,
        "indkomst": {"Under -150.000 kr.": 0.05, "-150.000 til -50.000 kr.": 0.25, "-50.000 til -10.000 kr.": 0.15,
                     "10.000 til 50.000 kr.": -0.08, "50.000 til 150.000 kr.": -0.18,
                     "150.000 til 250.000 kr.": -0.20, "Over 250.000 kr.": -0.10},
        "uddannelse": -0.08,
        "isei": -0.011,
        "beskaeftigelse": {"Selvstændig": -0.25, "Topleder": -0.10, "Ledig": 0.15, "Førtidspension": 0.35,
                           "Kontanthjælp": 0.40, "Andet": 0.05},
        "laege": 0.02,
        "psykiatri": 0.20,
        "speciallaege": -0.08,
        "tandlaege": -0.20,
        "indlaeggelser": 0.15,
        "sigtet": {"Mindre lovovertrædelse": 0.05, "Alvorlig lovovertrædelse": 0.05, "Voldsforbrydelse": 0.35},
    },
    "far": {
        "alder_foedsel": {"22 år eller yngre": 0.10, "23-26 år": 0.10, "37-41 år": 0.0, "42 år eller ældre": 0.08},
        "skilt": 0.12,
        "indkomst": {"Under -150.000 kr.": 0.20, "-150.000 til -50.000 kr.": 0.25, "-50.000 til -10.000 kr.": 0.03,
                     "10.000 til 50.000 kr.": -0.03, "50.000 til 150.000 kr.": -0.07,
                     "150.000 til 250.000 kr.": -0.12, "Over 250.000 kr.": -0.25},
        "uddannelse": -0.07,
        "isei": -0.008,
        "beskaeftigelse": {"Selvstændig": -0.20, "Topleder": -0.30, "Ledig": 0.12, "Førtidspension": 0.25,
                           "Kontanthjælp": 0.25, "Andet": -0.10},
        "laege": 0.02,
        "psykiatri": 0.25,
        "speciallaege": -0.05,
        "tandlaege": -0.20,
        "indlaeggelser": 0.10,
        "sigtet": {"Mindre lovovertrædelse": 0.08, "Alvorlig lovovertrædelse": 0.08, "Voldsforbrydelse": 0.30},
    },
}


def _slopes() -> dict[tuple[str, str], float]:
    out = dict(_PUPIL)
    for who, d in _PARENT.items():
        for name, v in d.items():
            key = f"{who}_{name}"
            if isinstance(v, dict):
                out.update({(key, lab): c for lab, c in v.items()})
            else:
                out[(key, "")] = v
    return out


def true_slopes(spec: ModelSpec = NATIONAL_SPEC) -> np.ndarray:
    """Slopes in ``spec.design_columns(intercept=False)`` order (scaled by :data:`SCALE`)."""
    table = _slopes()
    cols = spec.design_columns(intercept=False)
    missing = [c for c in cols if c not in table]
    extra = [c for c in table if c not in cols]
    if missing or extra:  # pragma: no cover - a catalogue change must be mirrored here
        raise RuntimeError(f"true coefficients out of step with the catalogue: missing {missing}, extra {extra}")
    return SCALE * np.array([table[c] for c in cols])


def linear_predictor(pop: dict[str, np.ndarray], slopes: np.ndarray, spec: ModelSpec = NATIONAL_SPEC) -> np.ndarray:
    """``x·β`` without the intercept, from the generator's internal arrays (no design matrix)."""
    n = len(pop["pige"])
    eta = np.zeros(n)
    j = 0
    for var in spec:
        if var.type in (VarType.NUMERIC, VarType.BINARY):
            eta += slopes[j] * pop[var.key]
            j += 1
            continue
        k = len(var.non_reference)
        coef = np.append(slopes[j:j + k], 0.0)  # index -1 = reference → 0
        if var.type is VarType.BANDED:
            codes = band(np.asarray(pop[var.key], dtype=np.float64), var)
        else:  # full-category codes → non-reference index, reference → -1
            labels = [c.label for c in var.categories]
            nonref = [c.label for c in var.non_reference]
            remap = np.array([nonref.index(lab) if lab in nonref else -1 for lab in labels])
            codes = remap[pop[var.key]]
        eta += coef[codes]
        j += k
    return eta


def calibrate_intercept(eta: np.ndarray, rate: float, *, extra_n: int = 0, extra_sum: float = 0.0) -> float:
    """Intercept ``b0`` with ``(Σ expit(b0 + eta) + extra_sum) / (n + extra_n) = rate`` (Brent's method)."""
    n = len(eta) + extra_n

    def f(b0: float) -> float:
        return (expit(b0 + eta).sum() + extra_sum) / n - rate

    return float(brentq(f, -20.0, 10.0, xtol=1e-10))


def coefficient_table(intercept: float, slopes: np.ndarray, spec: ModelSpec = NATIONAL_SPEC) -> pd.DataFrame:
    """``Variabel``, ``Kategori``, ``Koefficient`` – one row per design column, ``Konstant`` first."""
    cols = spec.design_columns(intercept=True)
    assert cols[0][0] == INTERCEPT
    return pd.DataFrame({
        col.VARIABLE: [c[0] for c in cols],
        col.CATEGORY: [c[1] for c in cols],
        col.COEF: np.concatenate([[intercept], slopes]),
    })
