"""Tests of the synthetic register-data generator (``tildeling.synth.national``)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from tildeling import columns as col
from tildeling.catalogue import NATIONAL_SPEC, PUBLISHED_TOP_TEN
from tildeling.errors import InputError
from tildeling.model.design import band, design_matrix
from tildeling.spec import INTERCEPT, VarType
from tildeling.synth import _geography as geo
from tildeling.synth._population import AGE_CORRECTION
from tildeling.synth.national import (
    REFERENCE_INTERCEPT,
    TRUE_NATIONAL_RATE,
    SynthData,
    make_municipality,
    make_national,
)

N_SMALL = 100_000
HELSINGOER = {d.code: d for d in geo.HELSINGOER_DISTRICTS}

#: Tolerance on the Helsingør districts' mean true probability vs Tabel 5.1 (percentage points / 100).
PBAR_TOL = 0.0005


@pytest.fixture(scope="module")
def nat() -> SynthData:
    return make_national(2016, N_SMALL)


@pytest.fixture(scope="module")
def nat_nopractice() -> SynthData:
    return make_national(7, 60_000, practice_sd=0.0, district_practice_sd=0.0)


@pytest.fixture(scope="module")
def hel() -> SynthData:
    return make_municipality(2016)


def model_rows(data: SynthData) -> pd.DataFrame:
    return data.pupils[data.pupils[col.GRADE] < 10]


def true_p(data: SynthData, pupils: pd.DataFrame | None = None) -> np.ndarray:
    pupils = model_rows(data) if pupils is None else pupils
    X = design_matrix(pupils, NATIONAL_SPEC)
    return expit(X @ data.true_coefficients[col.COEF].to_numpy())


# --- determinism -------------------------------------------------------------------


def test_same_seed_same_data():
    a, b = make_national(11, 40_000), make_national(11, 40_000)
    pd.testing.assert_frame_equal(a.pupils, b.pupils)
    pd.testing.assert_frame_equal(a.true_coefficients, b.true_coefficients)
    pd.testing.assert_frame_equal(a.municipalities, b.municipalities)
    pd.testing.assert_frame_equal(a.districts, b.districts)
    pd.testing.assert_frame_equal(make_municipality(3).pupils, make_municipality(3).pupils)


def test_other_seed_other_data(hel):
    other = make_municipality(2017)
    assert not other.pupils[col.OUTCOME].equals(hel.pupils[col.OUTCOME])
    assert not np.allclose(other.pupils["alder"], hel.pupils["alder"])


# --- counts and geography ----------------------------------------------------------


def test_pupil_counts(nat):
    P = nat.pupils
    assert (P[col.GRADE] < 10).sum() == N_SMALL
    n10 = (P[col.GRADE] == 10).sum()
    assert n10 == pytest.approx(0.03 * N_SMALL, abs=2)
    assert P[col.GRADE].between(0, 10).all()
    assert P[col.PUPIL_ID].is_unique
    assert P[col.PUPIL_ID].str.fullmatch(r"E\d{7}").all()
    assert nat.municipalities[col.MUNICIPALITY].is_unique
    assert len(nat.municipalities) == 98
    assert set(P[col.MUNICIPALITY]) == set(nat.municipalities[col.MUNICIPALITY])
    keys = nat.districts[[col.MUNICIPALITY, col.DISTRICT]]
    assert not keys.duplicated().any()
    used = P[[col.MUNICIPALITY, col.DISTRICT]].drop_duplicates()
    assert len(used.merge(keys, how="inner")) == len(used) == len(keys)


@pytest.mark.parametrize("source", ["national", "municipality"])
def test_helsingoer_district_counts_exact(source, nat, hel):
    data = nat if source == "national" else hel
    P = model_rows(data)
    h = P[P[col.MUNICIPALITY] == geo.HELSINGOER_CODE]
    counts = h.groupby(col.DISTRICT).size()
    assert counts.to_dict() == {code: d.n for code, d in HELSINGOER.items()}
    assert counts.sum() == 7921
    # Bilag 2: Tikøb's district covers grades 0–6 only
    assert h.loc[h[col.DISTRICT] == "4", col.GRADE].max() <= 6
    names = data.districts[data.districts[col.MUNICIPALITY] == geo.HELSINGOER_CODE].set_index(col.DISTRICT)["Navn"]
    assert names["1"] == "Espegærde Skoles distrikt"
    assert names["5"] == "Skolerne i Snekkerstens distrikt"
    muni = data.municipalities.set_index(col.MUNICIPALITY)["Navn"]
    assert muni[geo.HELSINGOER_CODE] == "Helsingør"


def test_full_scale_municipality_sizes_are_skewed_like_denmark():
    _, sizes = geo.municipality_sizes(668_338 - geo.HELSINGOER_N, 98)
    assert sizes.sum() == 668_338 - geo.HELSINGOER_N
    assert 100 <= sizes.min() <= 300
    assert 50_000 <= sizes.max() <= 70_000
    assert np.median(sizes) < sizes.mean()  # right-skewed


def test_district_sizes(nat):
    P = model_rows(nat)
    sizes = P.groupby([col.MUNICIPALITY, col.DISTRICT]).size()
    big = P.groupby(col.MUNICIPALITY).size()
    # at 100k pupils the smallest municipalities are tiny; look at municipalities with several districts
    multi = sizes[sizes.index.get_level_values(0).isin(big[big > 3000].index)]
    assert multi.median() > 200


# --- the outcome and the true logit ----------------------------------------------------


def test_true_coefficients_rows(nat, hel):
    for data in (nat, hel):
        tc = data.true_coefficients
        assert list(tc.columns) == [col.VARIABLE, col.CATEGORY, col.COEF]
        assert list(zip(tc[col.VARIABLE], tc[col.CATEGORY])) == NATIONAL_SPEC.design_columns()
        assert tc[col.VARIABLE].iloc[0] == INTERCEPT
        assert np.isfinite(tc[col.COEF]).all()
    assert hel.true_coefficients[col.COEF].iloc[0] == REFERENCE_INTERCEPT


def test_true_signs_follow_tabel_3_1(nat):
    tc = nat.true_coefficients.set_index([col.VARIABLE, col.CATEGORY])[col.COEF]
    for key, cat, sign, _ in PUBLISHED_TOP_TEN:
        assert np.sign(tc[(key, cat)]) == sign, key


def test_design_matrix_accepts_frame(nat):
    X = design_matrix(nat.pupils, NATIONAL_SPEC)
    assert X.shape == (len(nat.pupils), len(NATIONAL_SPEC.design_columns()))
    for var in NATIONAL_SPEC:
        if var.type is VarType.CATEGORICAL:
            assert set(nat.pupils[var.key].astype(str)) <= {c.label for c in var.categories}
        if var.type.is_categorical:  # every category actually occurs
            if var.type is VarType.BANDED:
                codes = band(nat.pupils[var.key].to_numpy(dtype=float), var)
            else:
                full = [c.label for c in var.categories]
                nonref = [c.label for c in var.non_reference]
                remap = np.array([nonref.index(lab) if lab in nonref else -1 for lab in full])
                codes = remap[pd.Categorical(nat.pupils[var.key].astype(str), categories=full).codes]
            assert set(np.unique(codes)) == set(range(-1, len(var.non_reference))), var.key


def test_national_rate_without_practice_is_the_true_logit(nat_nopractice):
    P = model_rows(nat_nopractice)
    p = true_p(nat_nopractice)
    # the intercept is calibrated so the mean true probability is 3.9 % (Helsingør counted at its targets)
    assert p.mean() == pytest.approx(TRUE_NATIONAL_RATE, abs=2e-5)
    y = P[col.OUTCOME].to_numpy()
    sd = np.sqrt(np.sum(p * (1 - p))) / len(p)
    assert abs(y.mean() - p.mean()) < 4 * sd
    assert (nat_nopractice.municipalities["Praksiseffekt"] == 0).all()
    assert (nat_nopractice.districts["Praksiseffekt"] == 0).all()
    # calibration within probability deciles (the outcome follows the true logit)
    dec = pd.qcut(p, 10, labels=False)
    obs = pd.Series(y).groupby(dec).mean()
    exp = pd.Series(p).groupby(dec).mean()
    assert np.all(np.abs(obs - exp) < 4 * np.sqrt(exp * (1 - exp) / (len(p) / 10)) + 1e-3)


def test_national_rate_with_practice(nat):
    y = model_rows(nat)[col.OUTCOME]
    assert y.mean() == pytest.approx(TRUE_NATIONAL_RATE, abs=0.003)
    assert set(y.unique()) == {0, 1}
    eff = nat.municipalities["Praksiseffekt"]
    assert 0.1 < eff.std() < 0.45


def test_helsingoer_mean_true_probability_matches_tabel_5_1(nat, hel):
    for data in (nat, hel):
        P = model_rows(data)
        h = P[P[col.MUNICIPALITY] == geo.HELSINGOER_CODE]
        pbar = pd.Series(true_p(data, h), index=h.index).groupby(h[col.DISTRICT]).mean()
        for code, d in HELSINGOER.items():
            assert pbar[code] == pytest.approx(d.p_bar, abs=PBAR_TOL), d.short
        assert np.average(pbar[list(HELSINGOER)], weights=[d.n for d in HELSINGOER.values()]) == pytest.approx(
            0.037, abs=0.001)


def test_helsingoer_actual_rates_follow_bilag_4(hel):
    P = model_rows(hel)
    actual = P.groupby(col.DISTRICT)[col.OUTCOME].agg(["sum", "mean"])
    for code, d in HELSINGOER.items():
        assert actual.loc[code, "sum"] == d.actual_count
        assert round(actual.loc[code, "mean"] * 100, 1) == pytest.approx(d.actual_rate * 100)
        eff = hel.districts.set_index(col.DISTRICT).loc[code, "Praksiseffekt"]
        assert np.sign(eff) == np.sign(logit(d.actual_rate) - logit(d.p_bar))
    assert actual["sum"].sum() == 303


def test_helsingoer_without_practice_draws_from_true_logit():
    data = make_municipality(5, practice=False)
    P = model_rows(data)
    assert (data.districts["Praksiseffekt"] == 0).all()
    p = true_p(data)
    assert abs(P[col.OUTCOME].mean() - p.mean()) < 4 * np.sqrt(np.sum(p * (1 - p))) / len(p)


def test_generic_municipality():
    data = make_municipality(1, kind="generic", n_pupils=20_000, n_districts=12)
    P = model_rows(data)
    assert len(P) == 20_000
    assert P[col.DISTRICT].nunique() == 12 == len(data.districts)
    assert (P[col.MUNICIPALITY] == geo.GENERIC_CODE).all()
    assert P[col.OUTCOME].mean() == pytest.approx(TRUE_NATIONAL_RATE, abs=0.012)
    design_matrix(data.pupils, NATIONAL_SPEC)


def test_bad_arguments():
    with pytest.raises(InputError):
        make_municipality(kind="odense")
    with pytest.raises(InputError):
        make_municipality(kind="helsingoer", n_pupils=1000)
    with pytest.raises(InputError):
        make_national(n_pupils=5000)


# --- marginals and correlations ------------------------------------------------------

#: (column or callable, target, absolute tolerance) – Tabel 3.3's national values.
MARGINALS = [
    ("pige", 0.485, 0.01),
    ("alder", 10.7, 0.05),
    ("mor_isei_point", 44.4, 0.4),
    ("far_isei_point", 44.8, 0.4),
    ("mor_uddannelse_aar", 3.7, 0.08),
    ("far_uddannelse_aar", 3.2, 0.08),
    ("samboende", 0.665, 0.01),
    ("elev_laege", 3.3, 0.06),
    (lambda P: P["skolestart_alder"] >= 7, 0.024, 0.003),
    (lambda P: P["boern_hjemme"] == 0, 0.008, 0.002),
]


@pytest.mark.parametrize("what,target,tol", MARGINALS,
                         ids=[m[0] if isinstance(m[0], str) else f"andel_{m[1]}" for m in MARGINALS])
def test_marginals(nat, what, target, tol):
    P = model_rows(nat)
    values = what(P) if callable(what) else P[what]
    assert values.mean() == pytest.approx(target, abs=tol)


def test_other_marginals_plausible(nat):
    P = model_rows(nat)
    assert 0.01 < P["far_ukendt"].mean() < 0.05
    assert 0 < P["mor_ukendt"].mean() < 0.01
    for who in ("mor", "far"):
        emp = P[f"{who}_beskaeftigelse"].value_counts(normalize=True)
        assert emp.idxmax() == "Lønmodtager" and emp["Lønmodtager"] > 0.6
        assert P[f"{who}_sigtet"].value_counts(normalize=True)["Ingen"] > 0.85
        inc = P[f"{who}_indkomst"]
        assert (inc < -10_000).mean() > 0.15 and (inc >= 10_000).mean() > 0.15
        assert 0.03 < inc.between(-10_000, 10_000, inclusive="left").mean() < 0.3
    assert 0.5 < (P["boern_hjemme"] == 2).mean() + (P["boern_hjemme"] == 3).mean() < 0.85
    assert P["skolestart_alder"].between(4.5, 8.0).all()


def test_unknown_parent_is_at_reference(nat):
    P = nat.pupils
    for who, age_band in (("mor", "25-34 år"), ("far", "27-36 år")):
        u = P[P[f"{who}_ukendt"] == 1]
        assert len(u) > 0
        var = NATIONAL_SPEC[f"{who}_alder_foedsel"]
        assert (u[f"{who}_alder_foedsel"].map(var.category_of) == age_band).all()
        for key in ("indkomst", "uddannelse", "isei", "laege", "indlaeggelser", "skilt", "psykiatri",
                    "speciallaege", "tandlaege"):
            assert (u[f"{who}_{key}"] == 0).all(), key
        assert (u[f"{who}_beskaeftigelse"] == "Lønmodtager").all()
        assert (u[f"{who}_sigtet"] == "Ingen").all()
        assert u[f"{who}_uddannelse_aar"].isna().all() and u[f"{who}_isei_point"].isna().all()
        known = P[P[f"{who}_ukendt"] == 0]
        assert known[f"{who}_uddannelse_aar"].notna().all()
    assert (P.loc[(P["mor_ukendt"] == 1) | (P["far_ukendt"] == 1), "samboende"] == 0).all()


def test_age_correction(nat):
    P = model_rows(nat)
    for who in ("mor", "far"):
        k = P[P[f"{who}_ukendt"] == 0]
        age_now = k[f"{who}_alder_foedsel"] + k["alder"]
        for var, disp, tol in (("uddannelse", "uddannelse_aar", 0.15), ("isei", "isei_point", 1.0)):
            a, b = AGE_CORRECTION[(who, var)]
            np.testing.assert_allclose(k[f"{who}_{var}"], k[f"{who}_{disp}"] - (a + b * (age_now - 40)), atol=1e-3)
            assert abs(k[f"{who}_{var}"].mean()) < tol
            # the correction removes the age trend
            assert abs(np.corrcoef(k[f"{who}_{var}"], age_now)[0, 1]) < 0.05


def test_correlations_through_ses(nat):
    P = model_rows(nat)

    def r(a, b):
        return np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1]

    known = P[(P["mor_ukendt"] == 0) & (P["far_ukendt"] == 0)]
    assert r(known["mor_uddannelse_aar"], known["samboende"]) > 0.05
    assert r(known["mor_uddannelse_aar"], known["mor_isei_point"]) > 0.4
    assert r(known["mor_uddannelse_aar"], known["far_uddannelse_aar"]) > 0.2
    assert r(known["mor_uddannelse_aar"], known["mor_beskaeftigelse"] == "Kontanthjælp") < -0.05
    assert r(known["far_isei_point"], known["far_indkomst"]) > 0.2
    assert r(known["mor_uddannelse_aar"], known["mor_tandlaege"]) > 0.05
    # neighbourhood SES: district means of education differ more than chance
    g = known.groupby([col.MUNICIPALITY, col.DISTRICT])["mor_uddannelse_aar"].agg(["mean", "size"])
    g = g[g["size"] >= 100]
    within_sd = known["mor_uddannelse_aar"].std()
    assert (g["mean"].std() / (within_sd / np.sqrt(g["size"].mean()))) > 2
    # and the true probability falls with SES
    p = true_p(nat)
    assert r(p, P["mor_uddannelse_aar"].fillna(P["mor_uddannelse_aar"].mean())) < -0.1


def test_mcfadden_r2_plausible(nat_nopractice):
    sm = pytest.importorskip("statsmodels.api")
    P = model_rows(nat_nopractice)
    X = design_matrix(P, NATIONAL_SPEC)
    y = P[col.OUTCOME].to_numpy()
    res = sm.Logit(y, X).fit(disp=0, maxiter=100)
    assert 0.12 < res.prsquared < 0.21
    # the strongest effects are recovered with the right sign
    names = NATIONAL_SPEC.design_columns()
    for key, cat, sign, _ in PUBLISHED_TOP_TEN[:6]:
        assert np.sign(res.params[names.index((key, cat))]) == sign, key


# --- national scale (slow) --------------------------------------------------------------


@pytest.mark.slow
def test_full_scale_national_speed_and_reference_intercept():
    t0 = time.perf_counter()
    data = make_national(2016)
    elapsed = time.perf_counter() - t0
    assert elapsed <= 15.0
    P = model_rows(data)
    assert len(P) == 668_338
    assert data.true_coefficients[col.COEF].iloc[0] == pytest.approx(REFERENCE_INTERCEPT, abs=0.01)
    sizes = P.groupby(col.MUNICIPALITY).size()
    assert 100 <= sizes.min() <= 300 and 50_000 <= sizes.max() <= 70_000
    d = P.groupby([col.MUNICIPALITY, col.DISTRICT]).size()
    assert d.min() >= 100 and d.max() <= 6000
    assert P[col.OUTCOME].mean() == pytest.approx(TRUE_NATIONAL_RATE, abs=0.001)


@pytest.mark.slow
def test_coefficient_recovery():
    sm = pytest.importorskip("statsmodels.api")
    data = make_national(2016, 250_000, practice_sd=0.0, district_practice_sd=0.0)
    P = model_rows(data)
    X = design_matrix(P, NATIONAL_SPEC)
    res = sm.Logit(P[col.OUTCOME].to_numpy(), X).fit(disp=0, maxiter=100)
    true = data.true_coefficients[col.COEF].to_numpy()
    zs = (res.params - true) / res.bse
    assert np.mean(np.abs(zs) < 1.96) > 0.85
    assert np.max(np.abs(zs)) < 4.5
    assert 0.14 < res.prsquared < 0.185
