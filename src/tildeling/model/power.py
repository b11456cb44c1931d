"""Explanatory power: capture rates of the lowest/highest 10 %, decile table, AUC (Tabel 3.2).

Ties. A model with few variables (or a municipality's subset of them) gives many
pupils exactly the same p̂. Ranking them in input order would make the capture
rates and the deciles depend on the order of the rows. Here a group of tied
pupils that straddles a cut is split fractionally: if the cut leaves j of the
group's m places below it, each of the group's pupils counts j/m below and
(m − j)/m above. That equals the average over every order of the tied pupils,
and it does not depend on the order of the rows. Without ties nothing changes.

The cut-offs are those of the pupils passed in: for a municipality its own 10 %
(as the VIVE note's Tabel 3.2 does for Helsingør), not the national p̂ limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Power", "explanatory_power", "auc"]


@dataclass(frozen=True)
class Power:
    """``lowest``/``highest``: share of all actual recipients among the 10 % of pupils
    with the lowest/highest p̂ (a model without information gives 0.10/0.10).
    ``deciles``: ``Decil``, ``Elever``, ``Faktiske`` (fractional where tied pupils are
    split between two deciles), ``Gns. forudsagt sandsynlighed``, ``Faktisk andel``,
    ``Andel af modtagere``. ``auc``: area under the ROC curve."""

    n: int
    recipients: int
    lowest: float
    highest: float
    auc: float
    deciles: pd.DataFrame


class _TieGroups:
    """Pupils sorted by p̂ and gathered in groups of equal p̂.

    Group g holds the places ``start[g] … start[g] + size[g] − 1`` of the ranking,
    ``ysum[g]`` recipients and the common value ``value[g]``.
    """

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        order = np.argsort(p)  # any order within ties: only group sums are used
        ps, ys = p[order], y[order]
        n = p.size
        self.n = n
        self.start = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]]) if n else np.zeros(0, dtype=np.int64)
        self.size = np.diff(np.r_[self.start, n])
        self.value = ps[self.start] if n else np.zeros(0)
        self.ysum = np.add.reduceat(ys, self.start) if n else np.zeros(0)
        # sums over the groups before each group (in ranking order), for the cumulative functions
        self._ybefore = np.r_[0.0, np.cumsum(self.ysum)]
        self._pbefore = np.r_[0.0, np.cumsum(self.value * self.size)]

    def below(self, cut: float, what: str = "y") -> float:
        """Recipients (``"y"``) or Σ p̂ (``"p"``) in the first ``cut`` places, tied groups split pro rata."""
        if cut <= 0 or self.n == 0:
            return 0.0
        if cut >= self.n:
            return float(self._ybefore[-1] if what == "y" else self._pbefore[-1])
        g = int(np.searchsorted(self.start, cut, side="right") - 1)   # the group holding place `cut`
        frac = (cut - self.start[g]) / self.size[g]
        if what == "y":
            return float(self._ybefore[g] + self.ysum[g] * frac)
        return float(self._pbefore[g] + self.value[g] * self.size[g] * frac)

    def midranks(self) -> np.ndarray:
        """The average rank (1-based) of each group's places."""
        return self.start + (self.size + 1) / 2.0


def auc(y: np.ndarray, p: np.ndarray, _groups: _TieGroups | None = None) -> float:
    """AUC by the Mann–Whitney statistic (ties count one half)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n1 = float(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    groups = _groups if _groups is not None else _TieGroups(y, p)
    rank_sum = float(np.dot(groups.ysum, groups.midranks()))
    return float((rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0))


def explanatory_power(y, p, share: float = 0.10) -> Power:
    """Capture rates and deciles, independent of the order of the rows.

    The lowest and highest ``round(share·n)`` places of the ranking by p̂ form the two
    groups; the deciles have ``n // 10`` or ``n // 10 + 1`` places each (the first
    ``n % 10`` one more). Tied pupils at a cut are split fractionally (module doc).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n = y.size
    groups = _TieGroups(y, p)
    total = float(y.sum())
    k = int(round(share * n))
    lowest = groups.below(k) / total if total else float("nan")
    highest = (total - groups.below(n - k)) / total if total and k else float("nan")
    sizes = np.array([len(a) for a in np.array_split(np.arange(n), 10)])
    edges = np.r_[0, np.cumsum(sizes)]
    ycum = np.array([groups.below(e) for e in edges])
    pcum = np.array([groups.below(e, "p") for e in edges])
    actual = np.diff(ycum)
    psum = np.diff(pcum)
    with np.errstate(invalid="ignore", divide="ignore"):
        deciles = pd.DataFrame({
            "Decil": np.arange(1, 11),
            "Elever": sizes.astype(np.int64),
            "Faktiske": actual,
            "Gns. forudsagt sandsynlighed": np.where(sizes > 0, psum / np.maximum(sizes, 1), np.nan),
            "Faktisk andel": np.where(sizes > 0, actual / np.maximum(sizes, 1), np.nan),
            "Andel af modtagere": actual / total if total else np.full(10, np.nan),
        })
    return Power(n=n, recipients=int(round(total)), lowest=float(lowest), highest=float(highest),
                 auc=auc(y, p, groups), deciles=deciles)
