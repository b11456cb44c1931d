"""Privacy rules for shared output: small-cell suppression.

Following Statistics Denmark's practice, a number based on fewer than five
persons is not shown in a table meant to be shared. Counts of 1 to 4 are
replaced by ``"<5"`` (0 is shown: it describes nobody), and values derived from
them (shares, rates, differences) are blanked. Where a row or column has exactly
one hidden cell, its smallest other cell is hidden too (secondary suppression),
so the hidden number cannot be recovered from the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checker import (DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD, DisclosureError, Finding, Suppressed, audit,
                      check_threshold, findings_message, require_clear, suppress, text_findings)
from .registry import SECONDARY_MARKER, primary_marker, register, register_identities

__all__ = ["SMALL_CELL", "SUPPRESSED", "suppress_small_counts", "small_rows", "suppression_mask", "audit", "Finding",
           "suppress", "Suppressed", "require_clear", "DisclosureError", "check_threshold", "findings_message",
           "text_findings", "DEFAULT_THRESHOLD", "MIN_THRESHOLD", "MAX_THRESHOLD", "SECONDARY_MARKER",
           "primary_marker", "register", "register_identities"]

#: The default threshold (``SMALL_CELL`` is its old name): counts of 1 … 4 persons are hidden.
SMALL_CELL = DEFAULT_THRESHOLD
SUPPRESSED = primary_marker(DEFAULT_THRESHOLD)


def small_rows(counts, threshold: int = SMALL_CELL) -> np.ndarray:
    """Rows of a column of counts to hide (primary and secondary suppression)."""
    return suppression_mask(np.asarray(counts, dtype=float)[:, None], threshold)[:, 0]


def suppression_mask(counts, threshold: int = SMALL_CELL, *, secondary: bool = True) -> np.ndarray:
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


def suppress_small_counts(frame: pd.DataFrame, count_columns=(), dependent_columns=(), *,
                          threshold: int = SMALL_CELL, threshold_counts=None) -> pd.DataFrame:
    """Replace small counts by ``"<5"`` and blank the values derived from them.

    Parameters
    ----------
    count_columns : columns holding counts of persons; each is checked.
    dependent_columns : columns computed from the suppressed counts (blanked).
    threshold_counts : optional counts (one per row) that decide suppression
        instead of ``count_columns`` – e.g. the number of referred pupils behind a rate.
    """
    out = frame.copy()
    masks = []
    if threshold_counts is not None:
        masks.append(small_rows(threshold_counts, threshold))
    for col in count_columns:
        masks.append(small_rows(pd.to_numeric(out[col], errors="coerce").fillna(0).to_numpy(), threshold))
    if not masks:
        return out
    hide = np.logical_or.reduce(masks)
    for col in list(count_columns) + list(dependent_columns):
        if col in out.columns:
            out[col] = out[col].astype(object)
            out.loc[hide, col] = SUPPRESSED if col in count_columns else None
    return out
