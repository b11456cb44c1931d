"""Logit fit and cluster-robust SEs against independent implementations (statsmodels, R)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.errors import ModelError
from tildeling.model.design import design_matrix
from tildeling.model.fit import fit_logit, stars
from tildeling.model.power import auc, explanatory_power
from tildeling.model.weights import relative_weights

from conftest import random_pupils


@pytest.fixture(scope="module")
def fitted(national_small):
    frame, beta = national_small
    X = design_matrix(frame, NATIONAL_SPEC)
    y = frame["Segregeret"].to_numpy(float)
    g = frame["Kommune"].to_numpy()
    return X, y, g, fit_logit(X, y, g, NATIONAL_SPEC.design_columns())


def test_design_matrix_matches_independent_coding():
    frame, _, X = random_pupils(3000, seed=5, return_design=True)
    np.testing.assert_array_equal(design_matrix(frame, NATIONAL_SPEC), X)


def test_matches_statsmodels_cluster(fitted):
    X, y, g, f = fitted
    ref = sm.Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(g)[0]})
    np.testing.assert_allclose(f.params, ref.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(f.bse, ref.bse, rtol=1e-7)
    np.testing.assert_allclose(f.llf, ref.llf, rtol=1e-12)
    np.testing.assert_allclose(f.llnull, ref.llnull, rtol=1e-9)
    np.testing.assert_allclose(f.prsquared, ref.prsquared, rtol=1e-8)
    np.testing.assert_allclose(f.aic, ref.aic, rtol=1e-12)
    np.testing.assert_allclose(f.bic, ref.bic, rtol=1e-12)
    np.testing.assert_allclose(f.pvalues, ref.pvalues, rtol=1e-6, atol=1e-300)


def test_cluster_covariance_by_hand_formula():
    # V = c·H⁻¹(Σ s_g s_gᵀ)H⁻¹ written out with explicit loops over clusters (methods.md)
    rng = np.random.default_rng(4)
    n = 600
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.4])
    y = (rng.random(n) < 0.3).astype(float)
    g = rng.integers(0, 7, n)
    f = fit_logit(X, y, g)
    p = f.fitted
    H = (X * (p * (1 - p))[:, None]).T @ X
    meat = np.zeros((3, 3))
    for grp in np.unique(g):
        s = (X[g == grp] * (y - p)[g == grp, None]).sum(axis=0)
        meat += np.outer(s, s)
    G, K = 7, 3
    c = G / (G - 1) * (n - 1) / (n - K)
    Hi = np.linalg.inv(H)
    np.testing.assert_allclose(f.cov_params, c * Hi @ meat @ Hi, rtol=1e-9)
    assert f.warnings and "under 30" in f.warnings[0]


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R er ikke installeret")
def test_matches_r_glm_sandwich(tmp_path, fitted):
    X, y, g, f = fitted
    r_ok = subprocess.run(["Rscript", "-e", "library(sandwich)"], capture_output=True)
    if r_ok.returncode != 0:
        pytest.skip("R-pakken sandwich mangler")
    cols = [f"x{j}" for j in range(1, X.shape[1])]
    frame = pd.DataFrame(X[:, 1:], columns=cols)
    frame["y"], frame["g"] = y, g
    frame.to_csv(tmp_path / "d.csv", index=False)
    script = f"""
    library(sandwich)
    d <- read.csv("{tmp_path / 'd.csv'}")
    m <- glm(y ~ ., data = d[, setdiff(names(d), "g")], family = binomial, control = glm.control(epsilon = 1e-14, maxit = 50))
    v <- vcovCL(m, cluster = d$g, type = "HC1")
    write.csv(data.frame(b = coef(m), se = sqrt(diag(v))), "{tmp_path / 'r.csv'}", row.names = FALSE)
    """
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    r = pd.read_csv(tmp_path / "r.csv")
    np.testing.assert_allclose(f.params, r["b"], atol=1e-8)
    np.testing.assert_allclose(f.bse, r["se"], rtol=1e-6)


def test_stars():
    assert list(stars([0.2, 0.04, 0.009, 0.0009])) == ["", "*", "**", "***"]


def test_separation_is_reported_in_words():
    frame, _ = random_pupils(3000, seed=2)
    frame.loc[frame["mor_sigtet"] == "Voldsforbrydelse", "Segregeret"] = 0
    X = design_matrix(frame, NATIONAL_SPEC)
    with pytest.raises(ModelError, match="Perfekt separation.*'mor_sigtet' \\(kategori 'Voldsforbrydelse'\\)"):
        fit_logit(X, frame["Segregeret"].to_numpy(float), names=NATIONAL_SPEC.design_columns())


def test_empty_category_and_missing_reference_and_constant():
    frame, _ = random_pupils(3000, seed=3)
    names = NATIONAL_SPEC.design_columns()
    f2 = frame.copy()
    f2.loc[f2["far_sigtet"] == "Mindre lovovertrædelse", "far_sigtet"] = "Ingen"
    with pytest.raises(ModelError, match="Kategorien 'far_sigtet' \\(kategori 'Mindre lovovertrædelse'\\) har ingen"):
        fit_logit(design_matrix(f2, NATIONAL_SPEC), f2["Segregeret"].to_numpy(float), names=names)
    f3 = frame.copy()
    f3["far_sigtet"] = "Mindre lovovertrædelse"
    with pytest.raises(ModelError):
        # the other categories are empty first; either way a plain-words ModelError
        fit_logit(design_matrix(f3, NATIONAL_SPEC), f3["Segregeret"].to_numpy(float), names=names)
    f4 = frame.copy()
    f4["alder"] = 10.0
    with pytest.raises(ModelError, match="'alder' har samme værdi"):
        fit_logit(design_matrix(f4, NATIONAL_SPEC), f4["Segregeret"].to_numpy(float), names=names)


def test_missing_reference_category_named():
    rng = np.random.default_rng(0)
    n = 500
    a = rng.random(n) < 0.5
    X = np.column_stack([np.ones(n), a, ~a]).astype(float)  # dummies cover everyone: no reference rows
    X = np.column_stack([X, rng.normal(size=n)])
    y = (rng.random(n) < 0.3).astype(float)
    with pytest.raises(ModelError, match="lineært afhængige"):
        fit_logit(X, y, names=[("Konstant", ""), ("v", "a"), ("v", "b"), ("x", "")])


def test_non_convergence_reported():
    frame, _ = random_pupils(2000, seed=4)
    X = design_matrix(frame, NATIONAL_SPEC)
    with pytest.raises(ModelError, match="konvergerede ikke"):
        fit_logit(X, frame["Segregeret"].to_numpy(float), maxiter=1)


def test_relative_weights_equal_explicit_refit_on_z(fitted):
    X, y, g, f = fitted
    w = relative_weights(X, f, y)
    assert w.table["Relativ vægt"].sum() == pytest.approx(1.0)
    assert w.groups["Relativ vægt"].sum() == pytest.approx(1.0)
    # the method of methods.md, step by step, with a second logistic regression on Z
    Xp = X[:, 1:]
    Xs = (Xp - Xp.mean(0)) / Xp.std(0, ddof=1)
    R = np.corrcoef(Xs, rowvar=False)
    lam, Q = np.linalg.eigh(R)
    Z = Xs @ Q @ np.diag(lam ** -0.5) @ Q.T
    L = Q @ np.diag(lam ** 0.5) @ Q.T
    r = sm.Logit(y, sm.add_constant(Z)).fit(disp=0, tol=1e-12)
    p = r.predict()
    beta = r.params[1:] * Z.std(0, ddof=1) * np.corrcoef(y, p)[0, 1] / np.log(p / (1 - p)).std(ddof=1)
    eps = (L ** 2) @ (beta ** 2)
    np.testing.assert_allclose(w.table["Relativ vægt"], eps / eps.sum(), rtol=1e-6, atol=1e-9)
    # categorical group totals are the sums of their categories
    sk = w.table[w.table["Variabel"] == "skolestart_alder"]["Relativ vægt"].sum()
    assert w.groups.set_index("Variabel").loc["skolestart_alder", "Relativ vægt"] == pytest.approx(sk)


def test_relative_weights_uncorrelated_predictors_are_squared_standardised_slopes():
    # With uncorrelated predictors Λ* = I, so ε_j ∝ (b_j·s_j)²
    rng = np.random.default_rng(9)
    n = 40_000
    Z = rng.normal(size=(n, 3))
    Z = (Z - Z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False))).T
    X = np.column_stack([np.ones(n), Z])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-2, 1.0, -0.5, 0.2])))).astype(float)
    f = fit_logit(X, y)
    w = relative_weights(X, f, y).table["Relativ vægt"].to_numpy()
    expect = (f.params[1:] * Z.std(0, ddof=1)) ** 2
    np.testing.assert_allclose(w, expect / expect.sum(), rtol=1e-6)


def test_capture_rates_hand_example():
    # 20 pupils, p rising; recipients at ranks 1, 19, 20 → lowest 10 % (2 pupils) hold 1 of 3
    p = np.linspace(0.01, 0.2, 20)
    y = np.zeros(20)
    y[[0, 18, 19]] = 1
    pw = explanatory_power(y, p)
    assert pw.lowest == pytest.approx(1 / 3)
    assert pw.highest == pytest.approx(2 / 3)
    assert pw.deciles["Elever"].sum() == 20
    assert pw.deciles["Faktiske"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]


def test_capture_rates_ignore_row_order():
    rng = np.random.default_rng(1)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(float)
    a = explanatory_power(y, p)
    perm = rng.permutation(1000)
    b = explanatory_power(y[perm], p[perm])
    assert (a.lowest, a.highest, a.auc) == pytest.approx((b.lowest, b.highest, b.auc))


def test_auc_against_pair_count():
    rng = np.random.default_rng(2)
    p = rng.integers(0, 20, 300) / 20  # many ties
    y = rng.random(300) < p
    pos, neg = p[y], p[~y]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert auc(y, p) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_capture_rates_split_tied_pupils_at_the_cut():
    # 20 pupils; the four lowest share p̂ = 0.01 and one of them is a recipient. The lowest 10 %
    # (2 places) take 2 of the 4 tied places, so half of that recipient: 0.5 of 3 recipients.
    p = np.r_[np.full(4, 0.01), np.linspace(0.02, 0.2, 16)]
    y = np.zeros(20)
    y[[0, 18, 19]] = 1
    for order in (np.arange(20), np.r_[3, 2, 1, 0, np.arange(4, 20)]):
        pw = explanatory_power(y[order], p[order])
        assert pw.lowest == pytest.approx(0.5 / 3)
        assert pw.highest == pytest.approx(2 / 3)
        # deciles of 2 places: the tie group fills deciles 1 and 2, half a recipient each
        assert pw.deciles["Faktiske"].tolist() == pytest.approx([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 2])
        assert pw.deciles["Elever"].tolist() == [2] * 10
        assert pw.deciles["Gns. forudsagt sandsynlighed"].iloc[0] == pytest.approx(0.01)


def test_capture_rates_and_deciles_ignore_row_order_with_ties():
    # a subset model: five distinct probabilities for 1,003 pupils
    rng = np.random.default_rng(7)
    p = rng.choice([0.01, 0.02, 0.05, 0.1, 0.3], size=1003, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    y = (rng.random(1003) < p).astype(float)
    a = explanatory_power(y, p)
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(1003)
        b = explanatory_power(y[perm], p[perm])
        assert (b.lowest, b.highest, b.auc) == pytest.approx((a.lowest, a.highest, a.auc), rel=1e-12)
        pd.testing.assert_frame_equal(a.deciles, b.deciles, rtol=1e-12)
    # the tie-split value is the average over all orders of the tied pupils (here: by simulation)
    sims = []
    for seed in range(400):
        jitter = np.random.default_rng(100 + seed).random(1003) * 1e-9   # a random order within ties
        sims.append(explanatory_power(y, p + jitter).lowest)
    assert a.lowest == pytest.approx(np.mean(sims), abs=3 * np.std(sims) / np.sqrt(400) + 1e-12)
    assert a.deciles["Faktiske"].sum() == pytest.approx(y.sum())


def test_special_functions_match_scipy():
    # the fit avoids importing scipy (half a second of `tildeling fit`); its own functions must agree with it
    from scipy import special

    from tildeling.model import _math

    x = np.linspace(-40, 40, 20001)
    np.testing.assert_allclose(_math.expit(x), special.expit(x), rtol=1e-15, atol=0)
    z = np.linspace(-30, 8, 3801)
    np.testing.assert_allclose(_math.ndtr(z), special.ndtr(z), rtol=1e-12, atol=0)
    for q in (0.5, 0.9, 0.975, 0.995, 1 - 1e-10):
        assert abs(_math.ndtri(q) - special.ndtri(q)) < 1e-12
    rng = np.random.default_rng(9)
    A = rng.normal(size=(30, 12))
    H = A.T @ A
    L = _math.cholesky(H)
    np.testing.assert_allclose(_math.spd_inverse(L), np.linalg.inv(H), rtol=1e-10)
    b = rng.normal(size=12)
    np.testing.assert_allclose(H @ _math.spd_solve(L, b), b, rtol=1e-10)


def test_cluster_scores_do_not_depend_on_row_order():
    # sorted by municipality (a product per run of rows) and shuffled (many short runs): the same covariance
    rng = np.random.default_rng(12)
    n = 30_000
    g = np.sort(rng.integers(0, 40, n))
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.3, rng.random(n) < 0.1])
    y = (rng.random(n) < 0.2).astype(float)
    a = fit_logit(X, y, g)
    order = rng.permutation(n)
    b = fit_logit(X[order], y[order], g[order])
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.cov_params, a.cov_params, rtol=1e-10)
    # and both equal the sum over clusters written out
    p = a.fitted
    S = np.array([((y - p)[g == k, None] * X[g == k]).sum(axis=0) for k in np.unique(g)])
    Hi = np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X)
    G, K = 40, 4
    c = G / (G - 1) * (n - 1) / (n - K)
    np.testing.assert_allclose(a.cov_params, c * Hi @ (S.T @ S) @ Hi, rtol=1e-9)
