"""Uncertainty that the VIVE note does not give: the benchmark's chance variation and the key's model uncertainty.

Both are computed from per-district aggregates only, so that a delivery of district
figures gives exactly what the pupil route gives:

* the **external benchmark**. Under the model (national practice) the number of pupils in
  segregated special education in district d is a sum of independent Bernoulli(p̂ᵢ), with mean
  E_d = Σ p̂ᵢ and variance V_d = Σ p̂ᵢ(1 − p̂ᵢ). The difference A_d − E_d gets the 95 % interval
  (A_d − E_d) ± 1.96·√V_d (normal approximation); when it excludes 0 the district's practice
  differs from the national one by more than chance.
* the **allocation key** k_d = E_d / Σ_e E_e depends on the estimated coefficients β̂. With
  G_d = ∂E_d/∂β = Σ_{i∈d} p̂ᵢ(1 − p̂ᵢ) xᵢ (one row per district) the delta method gives the
  gradient J_d = (G_d − k_d Σ_e G_e) / Σ_e E_e and Cov(k) = J V Jᵀ, V the coefficients'
  covariance (cluster-robust, from the coefficient table). The interval k_d ± 1.96·SE(k_d),
  times the budget, is the key's uncertainty in kroner.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Z95", "ABOVE", "BELOW", "WITHIN", "benchmark_interval", "district_gradients", "key_covariance"]

#: The 97.5 % quantile of the standard normal distribution.
Z95 = 1.959963984540054

ABOVE = "Flere end forventet – mere end tilfældig variation"
BELOW = "Færre end forventet – mere end tilfældig variation"
WITHIN = "Inden for tilfældig variation"
NO_PUPILS = ""


def benchmark_interval(actual, expected, variance):
    """The difference A − E, its 95 % interval under the model, and a plain Danish verdict.

    Parameters
    ----------
    actual, expected, variance : array-like
        A_d, E_d = Σ p̂ and V_d = Σ p̂(1 − p̂) per district (or for the municipality).

    Returns
    -------
    diff, lower, upper : ndarray
        In pupils (divide by n_d for percentage points of the rate).
    verdict : ndarray of str
        :data:`ABOVE`, :data:`BELOW` or :data:`WITHIN` (empty where V_d = 0 – no pupils – or where the
        actual count is unknown, NaN).
    """
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    v = np.asarray(variance, dtype=float)
    diff = a - e
    half = Z95 * np.sqrt(np.clip(v, 0.0, None))
    lower, upper = diff - half, diff + half
    verdict = np.where(lower > 0, ABOVE, np.where(upper < 0, BELOW, WITHIN)).astype(object)
    verdict[~(v > 0) | ~np.isfinite(diff)] = NO_PUPILS    # no pupils, or the actual count is unknown (hidden)
    return diff, lower, upper, verdict


def district_gradients(X: np.ndarray, p: np.ndarray, codes: np.ndarray, n_districts: int) -> np.ndarray:
    """G (D × K): row d is ∂E_d/∂β = Σ_{i∈d} p̂ᵢ(1 − p̂ᵢ)·xᵢ. ``codes`` are district indices 0…D−1."""
    from scipy import sparse

    w = p * (1.0 - p)
    M = sparse.csr_matrix((w, (codes, np.arange(len(p)))), shape=(n_districts, len(p)))
    return np.asarray(M @ X)


def key_covariance(expected, gradients, cov) -> np.ndarray:
    """Cov(k) (D × D) of the key k_d = E_d / Σ E by the delta method (module doc)."""
    E = np.asarray(expected, dtype=float)
    G = np.asarray(gradients, dtype=float)
    S = E.sum()
    J = (G - np.outer(E / S, G.sum(axis=0))) / S
    C = J @ np.asarray(cov, dtype=float) @ J.T
    return (C + C.T) / 2
