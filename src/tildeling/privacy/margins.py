"""Small-cell suppression in a column of counts whose total is published, audited against interval attacks.

The delivery (``tildeling export``) publishes, per district, counts of persons (e.g. pupils in segregated special
education) next to the district's number of pupils, and the municipality's total elsewhere. The total also covers
a group that no row shows (pupils without a district). A count is *sensitive* when it, or its complement within the
row (pupils without the property), is 1 to ``threshold − 1`` persons. Sensitive cells are hidden (primary
suppression). Because the total is published, a reader knows the sum of the hidden cells and the unshown group;
so further cells are hidden (secondary suppression) until, for every primary cell, **every value its label allows
stays possible** – given everything the file shows, including which cells are primary and which secondary
(the file lists each hidden cell with its rule). A reader then learns nothing about a primary cell beyond
"fewer than the threshold".

The audit is exact integer interval arithmetic: each hidden cell's possible values form a union of intervals
(its label's domain within ``[0, size]``), the possible sums of a set of cells are the Minkowski sum of those
unions, and a value *v* of a primary cell is possible when the remaining sum minus *v* is a possible sum of the
other unknown cells.

Means (the descriptive tables) are protected by their number of contributors: a mean over 1 to ``threshold − 1``
persons is hidden, and while the total is published, never exactly one unknown cell may remain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PRIMARY", "COMPLEMENT", "SECONDARY", "MIN_THRESHOLD", "MAX_THRESHOLD", "DEFAULT_THRESHOLD",
           "sensitivity", "label_domain", "Protection", "protect_counts", "protect_means", "possible_values"]

#: Why a cell is hidden.
PRIMARY = "primær"          # the count itself is 1 … threshold − 1
COMPLEMENT = "komplement"   # size − count (persons without the property) is 1 … threshold − 1
SECONDARY = "sekundær"      # hidden so that a primary cell cannot be recovered from the total

MIN_THRESHOLD, MAX_THRESHOLD, DEFAULT_THRESHOLD = 3, 10, 5

Intervals = list[tuple[int, int]]   # disjoint, sorted, closed integer intervals


def sensitivity(value: float, size: float | None, threshold: int) -> str | None:
    """``PRIMARY``, ``COMPLEMENT`` or None for a count of ``value`` persons among ``size``."""
    if 0 < value < threshold:
        return PRIMARY
    if size is not None and 0 < size - value < threshold:
        return COMPLEMENT
    return None


def _merge(iv: Intervals) -> Intervals:
    out: Intervals = []
    for lo, hi in sorted(i for i in iv if i[0] <= i[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def label_domain(label: str | None, size: int, threshold: int) -> Intervals:
    """The values a hidden cell of ``size`` persons can have, given its label (None: no label is known)."""
    size = int(size)
    t = threshold
    if label == PRIMARY:
        return _merge([(1, min(t - 1, size))])
    if label == COMPLEMENT:
        return _merge([(max(0, size - t + 1), size - 1)])
    if label == SECONDARY:   # neither the count nor its complement is 1 … t − 1
        if size == 0:
            return [(0, 0)]
        return _merge([(0, 0), (t, size - t), (size, size)]) if size >= t else []
    return [(0, size)]


def _add(a: Intervals, b: Intervals) -> Intervals:
    return _merge([(x0 + y0, x1 + y1) for x0, x1 in a for y0, y1 in b])


def _contains(iv: Intervals, lo: int, hi: int) -> bool:
    """Is every integer of [lo, hi] in ``iv``?"""
    return any(a <= lo and hi <= b for a, b in iv)


def _sums(domains: list[Intervals]) -> Intervals:
    acc: Intervals = [(0, 0)]
    for d in domains:
        acc = _add(acc, d)
    return acc


def possible_values(target: int, domains: list[Intervals], index: int) -> Intervals:
    """Values of unknown cell ``index`` consistent with: the unknown cells sum to ``target``, each in its domain."""
    others = _sums([d for i, d in enumerate(domains) if i != index])
    out = []
    for lo, hi in domains[index]:
        for s_lo, s_hi in others:
            a, b = max(lo, target - s_hi), min(hi, target - s_lo)
            if a <= b:
                out.append((a, b))
    return _merge(out)


@dataclass
class Protection:
    """The suppression of one column: a reason per row (None = shown), for the unshown rest and for the total."""

    reasons: list[str | None]
    rest: str | None = None
    total: str | None = None          # PRIMARY/COMPLEMENT when the total itself is hidden
    notes: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> np.ndarray:
        return np.array([r is not None for r in self.reasons], dtype=bool)


def _audit(values, sizes, reasons, rest, rest_reason, total, threshold) -> bool:
    """True when every primary cell can still take every value its label allows."""
    unknown = [i for i, r in enumerate(reasons) if r is not None]
    domains = [label_domain(reasons[i], sizes[i], threshold) for i in unknown]
    kinds = [reasons[i] for i in unknown]
    if rest is not None and rest[1] > 0:
        domains.append(label_domain(rest_reason or SECONDARY, rest[1], threshold))
        kinds.append(rest_reason)
    target = int(total - sum(v for v, r in zip(values, reasons) if r is None))
    for k, kind in enumerate(kinds):
        if kind in (PRIMARY, COMPLEMENT):
            want = domains[k]
            got = possible_values(target, domains, k)
            if any(not _contains(got, lo, hi) for lo, hi in want):
                return False
    return True


def protect_counts(values, sizes, threshold: int, *, rest: tuple[int, int] | None = None,
                   total_published: bool = True) -> Protection:
    """Hide sensitive counts and enough others that no primary cell can be narrowed down.

    Parameters
    ----------
    values, sizes : per row, the count of persons with the property and the row's number of persons
        (both whole numbers, ``0 ≤ value ≤ size``; the sizes are published).
    rest : (value, size) of a group that no row shows but the total includes (pupils without a district).
    total_published : whether the column total (Σ values + rest) is published.
    """
    values = [int(round(v)) for v in values]
    sizes = [int(round(s)) for s in sizes]
    reasons = [sensitivity(v, s, threshold) for v, s in zip(values, sizes)]
    rest_reason = sensitivity(*rest, threshold) if rest is not None and rest[1] > 0 else None
    total = sum(values) + (rest[0] if rest else 0)
    total_size = sum(sizes) + (rest[1] if rest else 0)
    prot = Protection(reasons, rest_reason)
    if not total_published:
        return prot
    prot.total = sensitivity(total, total_size, threshold)
    if prot.total is not None:       # the total is hidden too: no sum constraint is published
        return prot
    while not _audit(values, sizes, reasons, rest, rest_reason, total, threshold):
        shown = [i for i, r in enumerate(reasons) if r is None]
        if not shown:                  # nothing left to hide in the column: hide its total as well
            prot.total = SECONDARY
            return prot
        # the smallest cell that makes the column safe on its own; else the deepest cell, and try again
        order = sorted(shown, key=lambda i: (values[i] == 0, values[i], i))
        for i in order:
            trial = list(reasons)
            trial[i] = SECONDARY
            if _audit(values, sizes, trial, rest, rest_reason, total, threshold):
                reasons[i] = SECONDARY
                break
        else:
            i = max(shown, key=lambda j: (min(values[j], sizes[j] - values[j]), -j))
            reasons[i] = SECONDARY
    prot.reasons = reasons
    return prot


def protect_means(contributors, threshold: int, *, rest: int = 0, total_published: bool = True) -> Protection:
    """Hide means over 1 … threshold − 1 persons; while the total is published, never leave exactly one unknown.

    ``contributors``: per row, the number of persons behind the mean; ``rest``: those of the unshown group.
    """
    counts = [int(round(m)) for m in contributors]
    reasons = [PRIMARY if 0 < m < threshold else None for m in counts]
    rest_reason = PRIMARY if 0 < rest < threshold else None
    prot = Protection(reasons, rest_reason)
    total = sum(counts) + rest
    if not total_published:
        return prot
    if 0 < total < threshold:
        prot.total = PRIMARY
        return prot
    unknown = sum(r is not None for r in reasons) + (1 if rest > 0 else 0)
    primary = any(r is not None for r in reasons) or rest_reason is not None
    if primary and unknown == 1:
        shown = [i for i, r in enumerate(reasons) if r is None and counts[i] > 0]
        if shown:
            reasons[min(shown, key=lambda i: (counts[i], i))] = SECONDARY
        else:
            prot.total = SECONDARY
    prot.reasons = reasons
    return prot
