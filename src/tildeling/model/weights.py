"""Relative weights (Johnson 2000; logistic extension Tonidandel & LeBreton 2010).

Each design column (a numeric variable or one category dummy) is a predictor.
With standardised predictors X_s and their correlation matrix R = QΛQᵀ, the
orthogonal counterparts are Z = X_s·QΛ^(−1/2)Qᵀ and Λ* = QΛ^(1/2)Qᵀ links them
back. The logit of y on Z has the same fitted values as the main model, because
Z is an invertible linear transformation of X_s; its coefficients are therefore
exactly b_Z = Λ*·(s ⊙ b) where b are the main model's slopes and s the
predictors' standard deviations. No second fit is needed (the tests check this
against an explicit refit on Z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._rows import BLOCK, map_segments, one_blas_thread
from .fit import LogitFit

__all__ = ["RelativeWeights", "relative_weights"]


@dataclass(frozen=True)
class RelativeWeights:
    """Raw weights ε_j and their share of the explanatory power.

    ``table`` has one row per design column: ``Variabel``, ``Kategori``,
    ``Rå vægt`` (ε_j), ``Relativ vægt`` (ε_j/Σε, a fraction), ``Andel af McFadden R²``
    (ε_j/Σε·R²_McF) and ``Fortegn`` (+/−, the sign of the main model's coefficient).
    ``groups`` sums the categories of each variable: ``Variabel``, ``Relativ vægt``.
    """

    table: pd.DataFrame
    groups: pd.DataFrame


def relative_weights(X: np.ndarray, fit: LogitFit, y: np.ndarray | None = None) -> RelativeWeights:
    """Relative weights of every design column of a fitted logit.

    Parameters
    ----------
    X : ndarray (n, K)
        The design matrix the model was fitted on, intercept in column 0.
    fit : LogitFit
    y : ndarray (n,), optional
        The outcome (needed for the correlation R between y and p̂).
    """
    if y is None:
        raise ValueError("y is required")
    n, K = X.shape
    with one_blas_thread():
        mean = np.sum(map_segments(lambda a, b: X[a:b, 1:].sum(axis=0), n), axis=0) / n

        def cross(a: int, b: int) -> np.ndarray:   # Σ (x − x̄)(x − x̄)ᵀ over a segment, upper triangle
            C = np.zeros((K - 1, K - 1))
            buf = np.empty((min(BLOCK, b - a), K - 1))   # reused: a fresh block each time costs page faults
            for start in range(a, b, BLOCK):
                stop = min(start + BLOCK, b)
                A = buf[:stop - start]
                np.subtract(X[start:stop, 1:], mean, out=A)
                C += A.T @ A          # numpy calls BLAS syrk for a matrix times its own transpose
            return C

        C = np.sum(map_segments(cross, n), axis=0)
    C = (C + C.T) / 2
    sd = np.sqrt(np.diag(C) / (n - 1))
    R = C / (n - 1) / np.outer(sd, sd)
    lam, Q = np.linalg.eigh(R)
    lam = np.clip(lam, 0.0, None)
    lam_star = (Q * np.sqrt(lam)) @ Q.T          # Λ* = Q Λ^½ Qᵀ
    b_std = fit.params[1:] * sd                  # slopes on standardised predictors
    b_z = lam_star @ b_std                       # slopes on Z (exact, see module doc)
    eta = np.log(fit.fitted / (1 - fit.fitted))
    s_eta = eta.std(ddof=1)
    r = np.corrcoef(y, fit.fitted)[0, 1]
    s_z = 1.0                                    # Z has unit variance by construction
    beta = b_z * s_z * r / s_eta
    eps = (lam_star ** 2) @ (beta ** 2)
    share = eps / eps.sum()
    names = fit.names[1:]
    var = [nm[0] if isinstance(nm, tuple) else str(nm) for nm in names]
    cat = [nm[1] if isinstance(nm, tuple) else "" for nm in names]
    table = pd.DataFrame({
        "Variabel": var,
        "Kategori": cat,
        "Rå vægt": eps,
        "Relativ vægt": share,
        "Andel af McFadden R²": share * fit.prsquared,
        "Fortegn": np.where(fit.params[1:] >= 0, "+", "−"),
    })
    groups = (table.groupby("Variabel", sort=False)["Relativ vægt"].sum().reset_index())
    return RelativeWeights(table=table, groups=groups)
