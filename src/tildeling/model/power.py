"""Explanatory power: capture rates of the lowest/highest 10 %, decile table, AUC (Tabel 3.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

__all__ = ["Power", "explanatory_power", "auc"]


@dataclass(frozen=True)
class Power:
    """``lowest``/``highest``: share of all actual recipients among the 10 % of pupils
    with the lowest/highest p̂ (a model without information gives 0.10/0.10).
    ``deciles``: ``Decil``, ``Elever``, ``Faktiske``, ``Gns. forudsagt sandsynlighed``,
    ``Faktisk andel``, ``Andel af modtagere``. ``auc``: area under the ROC curve."""

    n: int
    recipients: int
    lowest: float
    highest: float
    auc: float
    deciles: pd.DataFrame


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """AUC by the Mann–Whitney statistic (ties count one half)."""
    y = np.asarray(y, dtype=bool)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def explanatory_power(y, p, share: float = 0.10) -> Power:
    """Capture rates and deciles.

    Pupils are ranked by p̂ with ties kept in their input order (stable sort); the
    lowest and highest ``round(share·n)`` pupils form the two groups.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n = y.size
    order = np.argsort(p, kind="stable")
    ys, ps = y[order], p[order]
    total = ys.sum()
    k = int(round(share * n))
    lowest = ys[:k].sum() / total if total else float("nan")
    highest = ys[n - k:].sum() / total if total and k else float("nan")
    rows = []
    for d, idx in enumerate(np.array_split(np.arange(n), 10), start=1):
        yy, pp = ys[idx], ps[idx]
        rows.append({
            "Decil": d,
            "Elever": idx.size,
            "Faktiske": int(yy.sum()),
            "Gns. forudsagt sandsynlighed": pp.mean() if idx.size else float("nan"),
            "Faktisk andel": yy.mean() if idx.size else float("nan"),
            "Andel af modtagere": yy.sum() / total if total else float("nan"),
        })
    return Power(n=n, recipients=int(total), lowest=float(lowest), highest=float(highest),
                 auc=auc(y, p), deciles=pd.DataFrame(rows))
