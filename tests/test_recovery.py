"""The fit recovers the synthetic generator's true coefficients (known truth)."""

from __future__ import annotations

import numpy as np
import pytest

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.model.national import fit_national
from tildeling.synth.national import make_national


@pytest.fixture(scope="module")
def model_and_truth():
    # no referral-practice effects: the outcome follows the true logit exactly
    data = make_national(seed=7, n_pupils=200_000, practice_sd=0.0, district_practice_sd=0.0)
    model = fit_national(data.pupils, NATIONAL_SPEC)
    return model, data


def test_true_coefficients_inside_confidence_intervals_at_the_expected_rate(model_and_truth):
    model, data = model_and_truth
    t = model.coefficients.table
    truth = data.true_coefficients.set_index(["Variabel", "Kategori"])["Koefficient"]
    true = truth.loc[list(zip(t["Variabel"], t["Kategori"]))].to_numpy()
    inside = (t["95 % KI nedre"].to_numpy() <= true) & (true <= t["95 % KI øvre"].to_numpy())
    k = len(true)
    # 95 % intervals: expect ~0.95·76 ≈ 72 inside; 3.5 binomial SDs below that is a failure
    assert inside.sum() >= 0.95 * k - 3.5 * np.sqrt(k * 0.05 * 0.95), t.loc[~inside, ["Variabel", "Kategori"]]
    # and the z-scores of (estimate − truth) look standard normal overall
    z = (t["Koefficient"].to_numpy() - true) / t["Standardfejl"].to_numpy()
    assert abs(z.mean()) < 0.5 and 0.6 < z.std() < 1.5


def test_fit_statistics_in_published_range(model_and_truth):
    model, _ = model_and_truth
    assert 0.12 < model.fit.prsquared < 0.21           # VIVE: 0.162
    assert model.power.lowest < 0.02                    # VIVE: 0.7 %
    assert 0.35 < model.power.highest < 0.55            # VIVE: 45.1 %
    top = model.weights.table.sort_values("Relativ vægt", ascending=False)["Variabel"].head(2).tolist()
    assert top == ["pige", "alder"]                      # Tabel 3.1: girl, then age
