"""Privacy rules for shared output: small-cell suppression.

Following Statistics Denmark's practice, a number based on fewer than five
persons is not shown in a table meant to be shared. Counts under the threshold
(including 0) are replaced by ``"<5"``, and values derived from them (shares,
rates, differences) are blanked. If exactly one row of a column is suppressed,
the next smallest is suppressed too (secondary suppression), so the hidden
number cannot be recovered from the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SMALL_CELL", "SUPPRESSED", "suppress_small_counts", "small_rows"]

SMALL_CELL = 5
SUPPRESSED = "<5"


def small_rows(counts, threshold: int = SMALL_CELL) -> np.ndarray:
    """Rows to suppress: counts below ``threshold``, plus one more if only one is below."""
    counts = np.asarray(counts, dtype=float)
    hide = counts < threshold
    if hide.sum() == 1 and len(counts) > 1:
        rest = np.where(hide, np.inf, counts)
        hide[int(np.argmin(rest))] = True
    return hide


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
