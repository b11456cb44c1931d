"""Privacy rules for shared output: the one disclosure checker and the suppression that passes it.

Following Statistics Denmark's practice, no figure in a shared file may show or give away a number of
1 … N − 1 persons (N, the threshold, from 3 to 10; default 5). :mod:`.checker` audits the published tables
(:func:`audit`) with the registry of what each table means (:mod:`.registry`, :mod:`.tables_need`,
:mod:`.tables_absence`) and hides what must be hidden (:func:`suppress`; the delivery's column suppression
:func:`~.checker.protect_counts`). :func:`suppression_mask` is only a quick cell mask for the analyst's own
(unshared) absence workbook.
"""

from __future__ import annotations

import numpy as np

from .checker import (DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD, DisclosureError, Finding, Suppressed, audit,
                      check_threshold, findings_message, require_clear, suppress, text_findings)
from .registry import SECONDARY_MARKER, primary_marker, register, register_identities

__all__ = ["SMALL_CELL", "SUPPRESSED", "suppression_mask", "audit", "Finding",
           "suppress", "Suppressed", "require_clear", "DisclosureError", "check_threshold", "findings_message",
           "text_findings", "DEFAULT_THRESHOLD", "MIN_THRESHOLD", "MAX_THRESHOLD", "SECONDARY_MARKER",
           "primary_marker", "register", "register_identities"]

#: The default threshold (``SMALL_CELL`` is its old name): counts of 1 … 4 persons are hidden.
SMALL_CELL = DEFAULT_THRESHOLD
SUPPRESSED = primary_marker(DEFAULT_THRESHOLD)


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
