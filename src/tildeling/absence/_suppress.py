"""Small-cell suppression (Statistics Denmark practice: no cells from very few persons).

Candidate for a shared ``tildeling.privacy`` module.
"""

from __future__ import annotations

import numpy as np

from . import contract as c

__all__ = ["suppression_mask"]


def suppression_mask(counts, threshold: int = c.SMALL_CELL, *, secondary: bool = True) -> np.ndarray:
    """Cells to hide in a table of counts.

    Primary: cells with 1 to ``threshold − 1`` persons. Secondary (when the
    table's row and column totals are shown): while a row or column has exactly
    one hidden cell, also hide its smallest other non-zero cell (or, failing that,
    the smallest other cell), so a hidden cell cannot be recovered by subtraction.
    """
    a = np.asarray(counts, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    mask = (a > 0) & (a < threshold)
    if not secondary:
        return mask

    def fix(m, arr):
        changed = False
        for i in range(arr.shape[0]):
            if m[i].sum() == 1 and arr.shape[1] > 1:
                cand = np.where(~m[i], np.where(arr[i] > 0, arr[i], np.inf), np.nan)
                if np.all(np.isnan(cand) | np.isinf(cand)):
                    cand = np.where(~m[i], arr[i] + 1e9, np.nan)
                j = int(np.nanargmin(cand))
                m[i, j] = True
                changed = True
        return changed

    for _ in range(100):
        ch1 = fix(mask, a)
        mt = mask.T.copy()
        ch2 = fix(mt, a.T)
        mask = mt.T.copy()
        if not (ch1 or ch2):
            break
    return mask
