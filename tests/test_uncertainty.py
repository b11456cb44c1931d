"""The uncertainty the note does not give: the external benchmark's 95 % interval under the model and the key's
interval from the coefficients' covariance – by hand, by simulation, against R and against a known truth."""

from __future__ import annotations

import shutil
import subprocess
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from tildeling import columns as col
from tildeling.catalogue import NATIONAL_SPEC
from tildeling.errors import InputError
from tildeling.io.coefficients import read_coefficients, write_coefficients
from tildeling.model.coefficients import CoefficientTable
from tildeling.model.design import design_matrix
from tildeling.model.national import fit_national
from tildeling.need import apply as A
from tildeling.need.apply import apply_model
from tildeling.need.uncertainty import ABOVE, BELOW, WITHIN, Z95, benchmark_interval
from tildeling.synth.national import make_municipality, make_national

from conftest import random_pupils

DEMO = files("tildeling") / "data" / "demo_koefficienter.csv"


@pytest.fixture(scope="module")
def muni():
    m = make_municipality(seed=2016)
    return m.pupils.drop(columns=["Kommune"]), m.districts[["Distrikt", "Navn"]]


@pytest.fixture(scope="module")
def demo():
    return read_coefficients(DEMO)


def test_benchmark_interval_by_hand():
    # district 1: 4 pupils with p = 0.1, 0.2, 0.3, 0.4 and 3 segregated: E = 1, V = .09+.16+.21+.24 = .70
    diff, lo, hi, verdict = benchmark_interval([3, 1, 0], [1.0, 1.0, 0.0], [0.70, 0.70, 0.0])
    assert diff[0] == 2 and lo[0] == pytest.approx(2 - 1.96 * np.sqrt(0.7), abs=1e-3)
    assert hi[0] == pytest.approx(2 + Z95 * np.sqrt(0.7))
    assert verdict[0] == ABOVE and verdict[1] == WITHIN and verdict[2] == ""
    assert benchmark_interval([0], [5.0], [4.0])[3][0] == BELOW          # −5 ± 3.92: below
    assert benchmark_interval([np.nan], [5.0], [4.0])[3][0] == ""        # a hidden actual count: no verdict


def test_external_interval_in_apply_equals_the_formula(muni, demo):
    pupils, districts = muni
    r = apply_model(pupils, demo, districts)
    keep = pupils[pupils["Klassetrin"] <= 9]
    p = demo.predict(keep)
    ext = r.external.set_index("Distrikt")
    for code in ext.index:
        m = keep["Distrikt"].astype(str).to_numpy() == code
        n, A_d, E_d, V_d = m.sum(), keep["Segregeret"].to_numpy()[m].sum(), p[m].sum(), (p[m] * (1 - p[m])).sum()
        assert ext.loc[code, A.EXT_LOW] == pytest.approx((A_d - E_d - Z95 * np.sqrt(V_d)) / n)
        assert ext.loc[code, A.EXT_HIGH] == pytest.approx((A_d - E_d + Z95 * np.sqrt(V_d)) / n)
        assert r.districts.set_index("Distrikt").loc[code, A.VARIANCE] == pytest.approx(V_d)
    assert set(ext[A.VERDICT]) <= {ABOVE, BELOW, WITHIN}


def test_external_interval_flags_about_5_percent_when_practice_is_national(muni, demo):
    # Simulate the municipality 4,000 times with every pupil referred with exactly p̂: a district's verdict
    # should say "more than chance" in about 5 % of the simulations (the interval's coverage of 0).
    pupils, districts = muni
    keep = pupils[pupils["Klassetrin"] <= 9]
    p = demo.predict(keep)
    codes, uniq = pd.factorize(keep["Distrikt"].astype(str))
    E = np.bincount(codes, weights=p)
    V = np.bincount(codes, weights=p * (1 - p))
    rng = np.random.default_rng(5)
    flagged = np.zeros(len(uniq))
    sims = 4000
    for _ in range(sims):
        actual = np.bincount(codes, weights=(rng.random(len(p)) < p).astype(float), minlength=len(uniq))
        flagged += benchmark_interval(actual, E, V)[3] != WITHIN
    rate = flagged / sims
    assert 0.035 < rate.mean() < 0.065, rate
    assert (rate < 0.09).all(), rate


def _keys(X, beta, codes, D):
    E = np.bincount(codes, weights=expit(X @ beta), minlength=D)
    return E / E.sum()


def test_key_standard_error_is_the_delta_method_and_matches_simulation(muni, demo):
    pupils, districts = muni
    r = apply_model(pupils, demo, districts)
    keep = pupils[pupils["Klassetrin"] <= 9]
    X = design_matrix(keep, demo.spec)
    order = list(r.districts["Distrikt"])
    codes = pd.Index(order).get_indexer(keep["Distrikt"].astype(str))
    b, V = demo.coefficients, demo.covariance
    # the gradient of the key by central differences, independent of the analytic formula
    h = 1e-6
    J = np.column_stack([(_keys(X, b + h * e, codes, len(order)) - _keys(X, b - h * e, codes, len(order))) / (2 * h)
                         for e in np.eye(len(b))])
    se = np.sqrt(np.diag(J @ V @ J.T))
    np.testing.assert_allclose(r.districts[A.KEY_SE], se, rtol=1e-5)
    k = r.districts["Behovsnøgle"].to_numpy()
    np.testing.assert_allclose(r.districts[A.KEY_LOW], k - Z95 * se, rtol=1e-5)
    # and by simulation: keys under β ~ N(β̂, V)
    draws = np.random.default_rng(3).multivariate_normal(b, V, size=2000)
    sims = np.array([_keys(X, d, codes, len(order)) for d in draws])
    np.testing.assert_allclose(sims.std(axis=0, ddof=1), se, rtol=0.08)
    inside = (sims >= r.districts[A.KEY_LOW].to_numpy()) & (sims <= r.districts[A.KEY_HIGH].to_numpy())
    assert 0.93 < inside.mean() < 0.97


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R er ikke installeret")
def test_key_standard_error_against_r(tmp_path):
    if subprocess.run(["Rscript", "-e", "library(sandwich)"], capture_output=True).returncode != 0:
        pytest.skip("R-pakken sandwich mangler")
    frame, _ = random_pupils(6000, seed=31, n_districts=5, n_groups=30)
    model = fit_national(frame, NATIONAL_SPEC)
    muni = frame[frame["Kommune"] == frame["Kommune"].iloc[0]].copy()
    r = apply_model(muni, model.coefficients)
    X = design_matrix(frame, NATIONAL_SPEC)
    Xm = design_matrix(muni[muni["Klassetrin"] <= 9], NATIONAL_SPEC)
    d = pd.DataFrame(X[:, 1:], columns=[f"x{j}" for j in range(1, X.shape[1])])
    d["y"], d["g"] = frame["Segregeret"].to_numpy(), frame["Kommune"].to_numpy()
    d.to_csv(tmp_path / "d.csv", index=False)
    m = pd.DataFrame(Xm, columns=[f"x{j}" for j in range(X.shape[1])])
    m["distrikt"] = muni.loc[muni["Klassetrin"] <= 9, "Distrikt"].astype(str).to_numpy()
    m.to_csv(tmp_path / "m.csv", index=False)
    script = f"""
    library(sandwich)
    d <- read.csv("{tmp_path / 'd.csv'}")
    fit <- glm(y ~ ., data = d[, setdiff(names(d), "g")], family = binomial,
               control = glm.control(epsilon = 1e-14, maxit = 50))
    V <- vcovCL(fit, cluster = d$g, type = "HC1")
    m <- read.csv("{tmp_path / 'm.csv'}")
    X <- as.matrix(m[, grep("^x", names(m))])
    p <- as.vector(plogis(X %*% coef(fit)))
    ds <- sort(unique(as.character(m$distrikt)))
    E <- sapply(ds, function(k) sum(p[m$distrikt == k]))
    G <- t(sapply(ds, function(k) colSums(X[m$distrikt == k, , drop = FALSE] * (p * (1 - p))[m$distrikt == k])))
    S <- sum(E)
    J <- (G - outer(E / S, colSums(G))) / S
    se <- sqrt(diag(J %*% V %*% t(J)))
    write.csv(data.frame(distrikt = ds, key = E / S, se = se), "{tmp_path / 'r.csv'}", row.names = FALSE)
    """
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    ref = pd.read_csv(tmp_path / "r.csv", dtype={"distrikt": str}).set_index("distrikt")
    ours = r.districts.set_index("Distrikt")
    np.testing.assert_allclose(ours.loc[ref.index, "Behovsnøgle"], ref["key"], rtol=1e-7)
    np.testing.assert_allclose(ours.loc[ref.index, A.KEY_SE], ref["se"], rtol=1e-5)


def test_covariance_travels_with_the_table_and_old_tables_still_work(muni, demo, tmp_path):
    pupils, districts = muni
    assert demo.covariance is not None and demo.covariance.shape == (len(demo.table),) * 2
    for suffix in ("csv", "xlsx"):
        path = tmp_path / f"k.{suffix}"
        write_coefficients(demo, path)
        back = read_coefficients(path)
        np.testing.assert_allclose(back.covariance, demo.covariance, rtol=1e-15, atol=0)
        heads = [c for c in back.to_frame().columns if c.startswith(col.COV_PREFIX)]
        assert heads[0] == "Kov. Konstant" and len(heads) == len(demo.table)
    # rows in another order: the matrix follows its rows
    rev = CoefficientTable.from_frame(demo.to_frame().iloc[::-1].reset_index(drop=True))
    keys = lambda t: list(zip(t.table[col.VARIABLE], t.table[col.CATEGORY]))  # noqa: E731
    idx = [keys(demo).index(k) for k in keys(rev)]
    np.testing.assert_array_equal(rev.coefficients, demo.coefficients[idx])
    np.testing.assert_array_equal(rev.covariance, demo.covariance[np.ix_(idx, idx)])
    # an old table without the columns: no interval, a warning and the rest unchanged
    old = CoefficientTable.from_frame(demo.to_frame().drop(columns=[c for c in demo.to_frame().columns
                                                                      if c.startswith(col.COV_PREFIX)]))
    assert old.covariance is None
    a, b = apply_model(pupils, demo, districts), apply_model(pupils, old, districts)
    assert A.KEY_SE not in b.districts and A.KEY_SE in a.districts
    assert A.NO_COVARIANCE in b.warnings and A.NO_COVARIANCE not in a.warnings
    pd.testing.assert_frame_equal(a.districts[b.districts.columns], b.districts)


def test_incomplete_or_foreign_covariance_is_refused(demo):
    frame = demo.to_frame()
    with pytest.raises(InputError, match="mangler kolonnen 'Kov. pige'"):
        CoefficientTable.from_frame(frame.drop(columns=["Kov. pige"]))
    bad = frame.copy()
    bad["Kov. alder"] = bad["Kov. alder"].astype(object)
    bad.loc[3, "Kov. alder"] = "x"
    with pytest.raises(InputError, match=r"kolonne 'Kov. alder', række 5"):
        CoefficientTable.from_frame(bad)
    bad = frame.copy()
    bad.loc[2, "Kov. Konstant"] = 5.0          # no longer symmetric
    with pytest.raises(InputError, match="ikke symmetrisk"):
        CoefficientTable.from_frame(bad)


@pytest.mark.slow
def test_key_interval_covers_the_true_key(muni):
    """Coverage against the synthetic generator's known truth: national data without practice effects follow
    the true logit, so the fitted model is correct and the true key of the municipality is known."""
    pupils, districts = muni
    keep = pupils[pupils["Klassetrin"] <= 9]
    X = design_matrix(keep, NATIONAL_SPEC)
    order = list(districts["Distrikt"].astype(str))
    codes = pd.Index(order).get_indexer(keep["Distrikt"].astype(str))
    covered, total = 0, 0
    for rep in range(40):
        data = make_national(seed=5000 + rep, n_pupils=150_000, practice_sd=0.0, district_practice_sd=0.0)
        truth = _keys(X, data.true_coefficients[col.COEF].to_numpy(), codes, len(order))
        coefs = fit_national(data.pupils, NATIONAL_SPEC).coefficients
        r = apply_model(pupils, coefs, districts).districts.set_index("Distrikt").loc[order]
        covered += int(((truth >= r[A.KEY_LOW]) & (truth <= r[A.KEY_HIGH])).sum())
        total += len(order)
    assert 0.88 <= covered / total <= 0.995, covered / total
