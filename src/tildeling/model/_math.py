"""The few special functions the model needs, on numpy and the standard library alone.

``scipy.special`` and ``scipy.linalg`` would do the same, but importing them costs about half a second, a
noticeable part of ``tildeling fit`` on the national data (issue 9: the whole command in ≤ 4 s). The functions are
exact to a few units in the last place (the tests compare them with scipy).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = ["expit", "ndtr", "ndtri", "cholesky", "spd_inverse", "spd_solve"]


def expit(x):
    """The logistic function 1/(1 + e^(−x)), elementwise; no overflow warning for very negative x (gives 0)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def ndtr(x) -> np.ndarray:
    """The standard normal distribution function Φ(x), elementwise (``0.5·erfc(−x/√2)``)."""
    x = np.asarray(x, dtype=float)
    out = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) if not math.isnan(v) else math.nan for v in x.ravel()])
    return out.reshape(x.shape)


def ndtri(q: float) -> float:
    """The standard normal quantile Φ⁻¹(q)."""
    return NormalDist().inv_cdf(q)


def cholesky(H: np.ndarray) -> np.ndarray:
    """The lower Cholesky factor L of a symmetric positive definite H (``np.linalg.LinAlgError`` if H is not)."""
    return np.linalg.cholesky(H)


def spd_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with H x = b, from the Cholesky factor L of H (two triangular solves)."""
    return np.linalg.solve(L.T, np.linalg.solve(L, b))


def spd_inverse(L: np.ndarray) -> np.ndarray:
    """H⁻¹ from the Cholesky factor L of H: (L⁻¹)ᵀ L⁻¹, symmetric by construction."""
    Linv = np.linalg.solve(L, np.eye(len(L)))
    return Linv.T @ Linv
