"""Deterministic synthetic register data for the national need model.

:func:`make_national` draws a synthetic Denmark: 98 municipalities with school
districts, 668,338 pupils in grades 0–9 (plus grade-10 pupils), every variable of
the national catalogue, and an outcome drawn from a known true logit plus
municipal and district referral-practice effects. One municipality mirrors
Helsingør as published in the VIVE note (Tabel 5.1, Bilag 2–4).
:func:`make_municipality` draws one municipality alone (the Helsingør mirror, or
a generic municipality of any size) with the national true logit.

The same seed gives the same data. See docs/analytiker.md and docs/udvikling.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from .. import columns as col
from ..catalogue import NATIONAL_SPEC
from ..errors import InputError
from ..spec import VarType
from . import _geography as geo
from ._population import draw_population
from ._truth import calibrate_intercept, coefficient_table, linear_predictor, true_slopes

__all__ = ["SynthData", "make_national", "make_municipality", "TRUE_NATIONAL_RATE", "REFERENCE_INTERCEPT"]

#: Share of grade 0–9 pupils in segregated special education nationally (Tabel 4.1: 3.9 %).
TRUE_NATIONAL_RATE = 0.039

#: Intercept of the true logit as calibrated by ``make_national(2016)`` at full size.
#: :func:`make_municipality` uses it, so one municipality alone gets the national
#: true logit without drawing the whole country (checked by a slow test).
REFERENCE_INTERCEPT = -5.277

DISPLAY_COLUMNS = ("mor_uddannelse_aar", "far_uddannelse_aar", "mor_isei_point", "far_isei_point")

# Independent random streams (SeedSequence children), so that e.g. the Helsingør
# block is the same whatever the size of the rest of the country.
_GEO, _REST, _HEL_GRADES, _HEL_POP, _PRACTICE, _OUTCOME, _HEL_OUTCOME = range(7)


@dataclass
class SynthData:
    """Synthetic pupils with the truth behind them.

    Attributes
    ----------
    pupils : DataFrame
        One row per pupil: ``ElevID``, ``Kommune``, ``Distrikt``, ``Klassetrin``,
        ``Segregeret``, every catalogue variable (categorical variables as their
        Danish labels, banded variables as raw numbers) and the display columns
        ``mor_uddannelse_aar``, ``far_uddannelse_aar``, ``mor_isei_point``,
        ``far_isei_point`` (uncorrected; NaN for an unknown parent).
    true_coefficients : DataFrame
        ``Variabel``, ``Kategori``, ``Koefficient`` – the true logit (without
        referral practice), one row per design column of the national model.
    municipalities : DataFrame
        ``Kommune``, ``Navn``, ``Praksiseffekt`` (logit shift of the referral practice).
    districts : DataFrame
        ``Kommune``, ``Distrikt``, ``Navn``, ``Praksiseffekt``.
    """

    pupils: pd.DataFrame
    true_coefficients: pd.DataFrame
    municipalities: pd.DataFrame
    districts: pd.DataFrame

    def true_probability(self) -> np.ndarray:
        """Each pupil's true probability under the national average practice."""
        from ..model.design import design_matrix

        X = design_matrix(self.pupils, NATIONAL_SPEC)
        return expit(X @ self.true_coefficients[col.COEF].to_numpy())


# --- helpers -----------------------------------------------------------------------


def _rngs(seed: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(7)


def _grades(rng: np.random.Generator, counts: np.ndarray, top: np.ndarray, grade10: np.ndarray) -> np.ndarray:
    """Grades for consecutive blocks: ``counts[i]`` pupils in 0..top[i], then ``grade10[i]`` in grade 10."""
    n0 = int(counts.sum())
    hi = np.repeat(top + 1, counts)
    g = np.floor(rng.random(n0) * hi).astype(np.int64)
    block = np.repeat(np.arange(len(counts)), counts)
    g10_block = np.repeat(np.arange(len(counts)), grade10)
    grade = np.concatenate([g, np.full(int(grade10.sum()), 10, dtype=np.int64)])
    blocks = np.concatenate([block, g10_block])
    order = np.argsort(blocks, kind="stable")
    return grade[order], blocks[order]


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _helsingoer_grades(seq: np.random.SeedSequence, grade10_share: float):
    ds = geo.HELSINGOER_DISTRICTS
    counts = np.array([d.n for d in ds])
    top = np.array([d.top_grade for d in ds])
    w10 = np.where(top == 9, counts, 0)
    g10 = geo.largest_remainder(w10, int(round(grade10_share * counts.sum())))
    return _grades(np.random.default_rng(seq), counts, top, g10)


def _helsingoer_population(seq: np.random.SeedSequence, grade: np.ndarray, dist: np.ndarray,
                           intercept: float, slopes: np.ndarray):
    """Draw the Helsingør mirror, its districts' SES calibrated to the published p̄_d.

    Vectorised bisection over the six district SES offsets with common random
    numbers: every trial redraws from the same generator state, so only the
    offsets change.
    """
    ds = geo.HELSINGOER_DISTRICTS
    target = np.array([d.p_bar for d in ds])
    girl_p = np.array([d.girl_share for d in ds])[dist]
    in_model = grade < 10
    counts = np.bincount(dist[in_model], minlength=len(ds))

    def trial(delta):
        pop = draw_population(np.random.default_rng(seq), grade, delta[dist], girl_p)
        p = expit(intercept + linear_predictor(pop, slopes))
        pbar = np.bincount(dist[in_model], weights=p[in_model], minlength=len(ds)) / counts
        return pop, p, pbar

    lo = np.array([d.ses_start for d in ds]) - 2.5
    hi = lo + 5.0
    for _ in range(22):
        mid = 0.5 * (lo + hi)
        _, _, pbar = trial(mid)
        too_high = pbar > target  # need more SES
        lo = np.where(too_high, mid, lo)
        hi = np.where(too_high, hi, mid)
    delta = 0.5 * (lo + hi)
    pop, p, _ = trial(delta)
    return pop, p, delta


def _helsingoer_practice() -> tuple[float, np.ndarray]:
    """Municipal and district logit shifts implied by Bilag 4 (actual vs expected rate)."""
    ds = geo.HELSINGOER_DISTRICTS
    d_eff = np.array([logit(d.actual_rate) - logit(d.p_bar) for d in ds]) - geo.HELSINGOER_PRACTICE
    return geo.HELSINGOER_PRACTICE, d_eff


def _exact_draw(rng: np.random.Generator, p: np.ndarray, group: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Exactly ``k[g]`` ones per group, drawn with probability proportional to the odds of ``p``.

    Weighted sampling without replacement by exponential keys (Efraimidis & Spirakis).
    """
    w = p / (1 - p)
    key = rng.exponential(size=len(p)) / w  # smallest keys win
    order = np.lexsort((key, group))
    g_sorted = group[order]
    starts = np.searchsorted(g_sorted, np.arange(len(k)))
    rank = np.arange(len(p)) - starts[g_sorted]
    y = np.zeros(len(p), dtype=np.int8)
    y[order[rank < k[g_sorted]]] = 1
    return y


def _frame(pop: dict[str, np.ndarray], ids_from: int, kommune: np.ndarray, distrikt: np.ndarray,
           grade: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """The pupil frame; consumes ``pop`` (emptied to free memory)."""
    n = len(grade)
    num = np.arange(ids_from, ids_from + n).astype("U7")
    data: dict[str, object] = {
        col.PUPIL_ID: pd.array(np.strings.add("E", np.strings.zfill(num, 7)), dtype="str"),
        col.MUNICIPALITY: kommune,
        col.DISTRICT: distrikt,
        col.GRADE: grade.astype(np.int64),
        col.OUTCOME: y.astype(np.int8),
    }
    for var in NATIONAL_SPEC:
        v = pop[var.key]
        if var.type is VarType.CATEGORICAL:
            data[var.key] = pd.Categorical.from_codes(v, categories=[c.label for c in var.categories])
        elif var.type is VarType.BINARY:
            data[var.key] = v.astype(np.int8, copy=False)
        elif var.key == "boern_hjemme":
            data[var.key] = v.astype(np.int64, copy=False)
        else:
            data[var.key] = v.astype(np.float64, copy=False)
    for k in DISPLAY_COLUMNS:
        data[k] = pop[k].astype(np.float64, copy=False)
    pop.clear()
    return pd.DataFrame(data, copy=False)


def _str_codes(codes: list[str], idx: np.ndarray) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(idx, categories=codes)).astype("str")


# --- public API --------------------------------------------------------------------


def make_national(seed: int = 2016, n_pupils: int = 668_338, *, n_municipalities: int = 98,
                  grade10_share: float = 0.03, practice_sd: float = 0.25,
                  district_practice_sd: float = 0.15) -> SynthData:
    """Draw a synthetic Denmark.

    Parameters
    ----------
    seed : int, default=2016
        Same seed, same data.
    n_pupils : int, default=668_338
        Pupils in grades 0–9 (the model population); grade-10 pupils come on top.
    n_municipalities : int, default=98
        Helsingør (code ``217``) is always one of them, with exactly the
        published district counts (7,921 pupils).
    grade10_share : float, default=0.03
        Grade-10 pupils as a share of ``n_pupils``.
    practice_sd, district_practice_sd : float
        Standard deviations of the municipal and district referral-practice
        effects (logit scale). With both 0 the outcome follows the true logit
        exactly, also in Helsingør.

    Returns
    -------
    SynthData
    """
    n_other = n_pupils - geo.HELSINGOER_N
    if not 2 <= n_municipalities <= len(geo.MUNICIPALITIES):
        raise InputError(f"Antallet af kommuner skal være mellem 2 og {len(geo.MUNICIPALITIES)}.")
    if n_other < 20 * (n_municipalities - 1):
        raise InputError(f"Antallet af elever skal være mindst {geo.HELSINGOER_N + 20 * (n_municipalities - 1)} "
                         f"(Helsingør alene har {geo.HELSINGOER_N} elever i 0.-9. klasse).")
    seqs = _rngs(seed)
    rng_geo = np.random.default_rng(seqs[_GEO])
    slopes = true_slopes()

    # Geography of the rest of the country
    m_idx, m_sizes = geo.municipality_sizes(n_other, n_municipalities)
    m_ses = np.array([geo.MUNICIPALITIES[i][3] if geo.MUNICIPALITIES[i][3] is not None
                      else 0.2 * rng_geo.standard_normal() for i in m_idx])
    d_sizes = [geo.split_districts(rng_geo, int(s)) for s in m_sizes]
    d_muni = np.concatenate([np.full(len(s), j) for j, s in enumerate(d_sizes)])
    d_num = np.concatenate([np.arange(1, len(s) + 1) for s in d_sizes])
    d_count = np.concatenate(d_sizes)
    d_ses = m_ses[d_muni] + 0.25 * rng_geo.standard_normal(len(d_count))
    d_g10 = geo.largest_remainder(d_count, int(round(grade10_share * n_other)))
    grade_r, dist_r = _grades(rng_geo, d_count, np.full(len(d_count), 9), d_g10)

    # Pupils outside Helsingør, then the intercept (Helsingør counted at its published targets)
    pop_r = draw_population(np.random.default_rng(seqs[_REST]), grade_r, d_ses[dist_r])
    eta_r = linear_predictor(pop_r, slopes)
    in_r = grade_r < 10
    hel_sum = sum(d.n * d.p_bar for d in geo.HELSINGOER_DISTRICTS)
    b0 = calibrate_intercept(eta_r[in_r], TRUE_NATIONAL_RATE, extra_n=geo.HELSINGOER_N, extra_sum=hel_sum)

    # Helsingør
    grade_h, dist_h = _helsingoer_grades(seqs[_HEL_GRADES], grade10_share)
    pop_h, p_h, _ = _helsingoer_population(seqs[_HEL_POP], grade_h, dist_h, b0, slopes)

    # Referral practice
    rng_pr = np.random.default_rng(seqs[_PRACTICE])
    m_eff = practice_sd * rng_pr.standard_normal(len(m_idx))
    d_eff = m_eff[d_muni] + district_practice_sd * rng_pr.standard_normal(len(d_count))
    practice = practice_sd > 0 or district_practice_sd > 0
    if practice:
        hm_eff, hd_rel = _helsingoer_practice()
        hd_eff = hm_eff + hd_rel
    else:
        hm_eff, hd_eff = 0.0, np.zeros(len(geo.HELSINGOER_DISTRICTS))
    lin_r = b0 + eta_r
    if practice:  # centre the practice effects so the actual national rate stays at 3.9 %
        h_extra = float(np.sum(expit(logit(p_h[grade_h < 10]) + hd_eff[dist_h[grade_h < 10]])))
        lin_in = lin_r[in_r]
        eff_in = d_eff[dist_r[in_r]]

        def f(s):
            return (expit(lin_in + eff_in + s).sum() + h_extra) / n_pupils - TRUE_NATIONAL_RATE

        shift = brentq(f, -3.0, 3.0, xtol=1e-10)
        m_eff = m_eff + shift
        d_eff = d_eff + shift

    # Outcome
    rng_y = np.random.default_rng(seqs[_OUTCOME])
    y_r = (rng_y.random(len(grade_r)) < expit(lin_r + d_eff[dist_r])).astype(np.int8)
    y_h = _helsingoer_outcome(seqs[_HEL_OUTCOME], p_h, grade_h, dist_h, hd_eff, practice)

    # Assemble, municipalities in code order with Helsingør in its place
    codes = [geo.MUNICIPALITIES[i][0] for i in m_idx]
    names = [geo.MUNICIPALITIES[i][1] for i in m_idx]
    pos = int(np.searchsorted(np.array(codes), geo.HELSINGOER_CODE))
    cut = int(np.searchsorted(d_muni[dist_r], pos))  # first pupil of a municipality after Helsingør
    mun_codes = codes[:pos] + [geo.HELSINGOER_CODE] + codes[pos:]
    mun_names = names[:pos] + [geo.HELSINGOER_NAME] + names[pos:]
    muni_r = d_muni[dist_r]
    muni_all = np.concatenate([muni_r[:cut], np.full(len(grade_h), pos), muni_r[cut:] + 1])
    hel_codes = [d.code for d in geo.HELSINGOER_DISTRICTS]
    dnum_all = np.concatenate([d_num[dist_r[:cut]].astype(str), np.array(hel_codes)[dist_h],
                               d_num[dist_r[cut:]].astype(str)])
    sl = [slice(0, cut), slice(cut, None)]
    pop = _concat([{k: v[sl[0]] for k, v in pop_r.items()}, pop_h, {k: v[sl[1]] for k, v in pop_r.items()}])
    del pop_r, pop_h
    grade = np.concatenate([grade_r[:cut], grade_h, grade_r[cut:]])
    y = np.concatenate([y_r[:cut], y_h, y_r[cut:]])
    kommune = _str_codes(mun_codes, muni_all)
    distrikt = pd.Series(dnum_all, dtype="str")
    pupils = _frame(pop, 1, kommune, distrikt, grade, y)

    municipalities = pd.DataFrame({
        col.MUNICIPALITY: pd.Series(mun_codes, dtype="str"),
        "Navn": pd.Series(mun_names, dtype="str"),
        "Praksiseffekt": np.concatenate([m_eff[:pos], [hm_eff], m_eff[pos:]]),
    })
    d_rows = pd.DataFrame({
        col.MUNICIPALITY: [codes[j] for j in d_muni],
        col.DISTRICT: d_num.astype(str),
        "Navn": [f"{names[j]} distrikt {k}" for j, k in zip(d_muni, d_num)],
        "Praksiseffekt": d_eff,
    })
    h_rows = _helsingoer_district_frame(hd_eff)
    first_after = int(np.searchsorted(d_muni, pos))
    districts = pd.concat([d_rows.iloc[:first_after], h_rows, d_rows.iloc[first_after:]], ignore_index=True)
    districts = districts.astype({col.MUNICIPALITY: "str", col.DISTRICT: "str", "Navn": "str"})
    return SynthData(pupils, coefficient_table(b0, slopes), municipalities, districts)


def _helsingoer_outcome(seq, p_h, grade_h, dist_h, hd_eff, practice: bool) -> np.ndarray:
    """Helsingør's outcome: with practice, exactly the published counts of segregated pupils per district."""
    rng = np.random.default_rng(seq)
    p_eff = expit(logit(p_h) + hd_eff[dist_h])
    y = (rng.random(len(p_h)) < p_eff).astype(np.int8)
    if practice:
        m = grade_h < 10
        k = np.array([d.actual_count for d in geo.HELSINGOER_DISTRICTS])
        y[m] = _exact_draw(rng, p_eff[m], dist_h[m], k)
    return y


def _helsingoer_district_frame(hd_eff: np.ndarray) -> pd.DataFrame:
    ds = geo.HELSINGOER_DISTRICTS
    order = np.argsort([int(d.code) for d in ds])  # Bilag 2's codes 1–6
    return pd.DataFrame({
        col.MUNICIPALITY: [geo.HELSINGOER_CODE] * len(ds),
        col.DISTRICT: [ds[i].code for i in order],
        "Navn": [ds[i].name for i in order],
        "Praksiseffekt": np.asarray(hd_eff)[order],
    })


def make_municipality(seed: int = 2016, *, kind: str = "helsingoer", n_pupils: int | None = None,
                      n_districts: int | None = None, practice: bool = True) -> SynthData:
    """Draw one municipality with the national true logit.

    Parameters
    ----------
    seed : int, default=2016
    kind : {"helsingoer", "generic"}
        ``"helsingoer"``: the Helsingør mirror (code ``217``, six districts with
        the published counts, p̄_d calibrated to Tabel 5.1 and, with practice,
        exactly the published numbers of segregated pupils per district).
        ``"generic"``: ``Eksempelkommune`` (code ``999``) of ``n_pupils`` pupils
        (default 60,000) in ``n_districts`` districts (default one per ~1,300 pupils).
    practice : bool, default=True
        Add referral-practice effects; without them the outcome follows the true logit.

    Returns
    -------
    SynthData
        ``true_coefficients`` has the intercept :data:`REFERENCE_INTERCEPT`.
    """
    seqs = _rngs(seed)
    slopes = true_slopes()
    b0 = REFERENCE_INTERCEPT
    if kind == "helsingoer":
        if n_pupils is not None or n_districts is not None:
            raise InputError("Helsingør-spejlet har faste elevtal og distrikter. Brug kind='generic' for at vælge dem.")
        grade, dist = _helsingoer_grades(seqs[_HEL_GRADES], 0.03)
        pop, p, _ = _helsingoer_population(seqs[_HEL_POP], grade, dist, b0, slopes)
        if practice:
            m_eff, d_rel = _helsingoer_practice()
            d_eff = m_eff + d_rel
        else:
            m_eff, d_eff = 0.0, np.zeros(len(geo.HELSINGOER_DISTRICTS))
        y = _helsingoer_outcome(seqs[_HEL_OUTCOME], p, grade, dist, d_eff, practice)
        codes = np.array([d.code for d in geo.HELSINGOER_DISTRICTS])
        pupils = _frame(pop, 1, pd.Series([geo.HELSINGOER_CODE] * len(grade), dtype="str"),
                        pd.Series(codes[dist], dtype="str"), grade, y)
        municipalities = pd.DataFrame({col.MUNICIPALITY: [geo.HELSINGOER_CODE], "Navn": [geo.HELSINGOER_NAME],
                                       "Praksiseffekt": [m_eff]}).astype({col.MUNICIPALITY: "str", "Navn": "str"})
        districts = _helsingoer_district_frame(d_eff).astype({col.MUNICIPALITY: "str", col.DISTRICT: "str",
                                                              "Navn": "str"})
        return SynthData(pupils, coefficient_table(b0, slopes), municipalities, districts)
    if kind != "generic":
        raise InputError(f"Ukendt kommunetype {kind!r}. Vælg 'helsingoer' eller 'generic'.")

    n = 60_000 if n_pupils is None else int(n_pupils)
    k = max(1, int(round(n / geo.DISTRICT_SIZE))) if n_districts is None else int(n_districts)
    if n < k or k < 1:
        raise InputError("Der skal være mindst ét distrikt og mindst én elev pr. distrikt.")
    rng_geo = np.random.default_rng(seqs[_GEO])
    d_count = geo.largest_remainder(rng_geo.gamma(4.0, 1.0, size=k), n)
    d_ses = 0.3 * rng_geo.standard_normal(k)
    d_g10 = geo.largest_remainder(d_count, int(round(0.03 * n)))
    grade, dist = _grades(rng_geo, d_count, np.full(k, 9), d_g10)
    pop = draw_population(np.random.default_rng(seqs[_REST]), grade, d_ses[dist])
    lin = b0 + linear_predictor(pop, slopes)
    rng_pr = np.random.default_rng(seqs[_PRACTICE])
    m_eff = 0.25 * rng_pr.standard_normal() if practice else 0.0
    d_eff = m_eff + (0.15 * rng_pr.standard_normal(k) if practice else np.zeros(k))
    y = (np.random.default_rng(seqs[_OUTCOME]).random(len(grade)) < expit(lin + d_eff[dist])).astype(np.int8)
    codes = np.arange(1, k + 1).astype(str)
    pupils = _frame(pop, 1, pd.Series([geo.GENERIC_CODE] * len(grade), dtype="str"),
                    _str_codes(list(codes), dist), grade, y)
    municipalities = pd.DataFrame({col.MUNICIPALITY: [geo.GENERIC_CODE], "Navn": [geo.GENERIC_NAME],
                                   "Praksiseffekt": [m_eff]}).astype({col.MUNICIPALITY: "str", "Navn": "str"})
    districts = pd.DataFrame({col.MUNICIPALITY: [geo.GENERIC_CODE] * k, col.DISTRICT: codes,
                              "Navn": [f"Distrikt {c}" for c in codes], "Praksiseffekt": d_eff})
    districts = districts.astype({col.MUNICIPALITY: "str", col.DISTRICT: "str", "Navn": "str"})
    return SynthData(pupils, coefficient_table(b0, slopes), municipalities, districts)
