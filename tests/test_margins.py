"""Suppression in a column with a published total (privacy.margins), checked by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tildeling.privacy.margins import (COMPLEMENT, PRIMARY, SECONDARY, label_domain, possible_values, protect_counts,
                                       protect_means, sensitivity)


def brute_label(value, size, t):
    """The label's meaning, written out: which values a reader may assume for a hidden cell."""
    def sens(v):
        return 0 < v < t or 0 < size - v < t
    return {
        PRIMARY: [v for v in range(size + 1) if 0 < v < t],
        COMPLEMENT: [v for v in range(size + 1) if 0 < size - v < t and not 0 < v < t]
        + [v for v in range(size + 1) if 0 < size - v < t and 0 < v < t],
        SECONDARY: [v for v in range(size + 1) if not sens(v)],
        None: list(range(size + 1)),
    }


def brute_possible(target, sets, k):
    """Every value of cell k in some assignment of all cells (each from its set) that sums to target."""
    out = set()
    for combo in itertools.product(*sets):
        if sum(combo) == target:
            out.add(combo[k])
    return out


@pytest.mark.parametrize("size", [0, 1, 3, 5, 8, 9, 12, 30])
@pytest.mark.parametrize("label", [PRIMARY, COMPLEMENT, SECONDARY, None])
def test_label_domain_is_the_labels_meaning(label, size):
    t = 5
    dom = label_domain(label, size, t)
    values = sorted({v for lo, hi in dom for v in range(lo, hi + 1)})
    expected = sorted(set(brute_label(0, size, t)[label]))
    if label == COMPLEMENT:       # complement: size − v in 1 … t − 1
        expected = sorted(v for v in range(size + 1) if 0 < size - v < t)
    assert values == expected


def test_sensitivity():
    assert sensitivity(3, 40, 5) == PRIMARY
    assert sensitivity(0, 40, 5) is None          # zero describes nobody
    assert sensitivity(37, 40, 5) == COMPLEMENT    # three pupils without the property
    assert sensitivity(5, 40, 5) is None and sensitivity(35, 40, 5) is None
    assert sensitivity(2, 40, 3) == PRIMARY and sensitivity(3, 40, 3) is None


def test_possible_values_equal_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(300):
        k = rng.integers(1, 4)
        sizes = rng.integers(0, 14, k)
        labels = rng.choice([PRIMARY, COMPLEMENT, SECONDARY, None], k)
        domains = [label_domain(lab, int(s), 4) for lab, s in zip(labels, sizes)]
        sets = [[v for lo, hi in d for v in range(lo, hi + 1)] for d in domains]
        if any(not s for s in sets):
            continue
        target = int(sum(rng.choice(s) for s in sets))
        for i in range(k):
            got = {v for lo, hi in possible_values(target, domains, i) for v in range(lo, hi + 1)}
            assert got == brute_possible(target, sets, i)


def reader_learns_nothing(values, sizes, prot, t, rest=None):
    """Brute force: with the total, the shown cells and the labels, every primary value stays possible."""
    unknown = [i for i, r in enumerate(prot.reasons) if r is not None]
    sets, kinds = [], []
    for i in unknown:
        dom = label_domain(prot.reasons[i], sizes[i], t)
        sets.append([v for lo, hi in dom for v in range(lo, hi + 1)])
        kinds.append(prot.reasons[i])
        assert values[i] in sets[-1]           # the true value agrees with its label
    if rest is not None and rest[1] > 0:
        dom = label_domain(prot.rest or SECONDARY, rest[1], t)
        sets.append([v for lo, hi in dom for v in range(lo, hi + 1)])
        kinds.append(prot.rest)
    if prot.total is not None:
        return True
    target = sum(values) + (rest[0] if rest else 0) - sum(v for v, r in zip(values, prot.reasons) if r is None)
    for k, kind in enumerate(kinds):
        if kind in (PRIMARY, COMPLEMENT):
            if brute_possible(target, sets, k) != set(sets[k]):
                return False
    return True


def test_every_sensitive_cell_is_hidden_and_nothing_can_be_narrowed_down():
    rng = np.random.default_rng(9)
    checked = 0
    for _ in range(400):
        t = int(rng.integers(3, 6))
        k = int(rng.integers(2, 5))
        sizes = [int(s) for s in rng.integers(t, 16, k)]
        values = [int(rng.integers(0, s + 1)) if rng.random() < 0.5 else int(rng.integers(0, min(s, t) + 1))
                  for s in sizes]
        rest = None
        if rng.random() < 0.5:
            rs = int(rng.integers(t, 10))
            rest = (int(rng.integers(0, rs + 1)), rs)
        prot = protect_counts(values, sizes, t, rest=rest)
        for v, s, r in zip(values, sizes, prot.reasons):
            if sensitivity(v, s, t):
                assert r in (PRIMARY, COMPLEMENT)
        assert reader_learns_nothing(values, sizes, prot, t, rest)
        checked += any(prot.reasons)
    assert checked > 100


def test_one_small_district_gets_the_smallest_partner_that_covers_it():
    # 3 of district 1's pupils are segregated; the smallest partner that covers it is district 2 with 6: the reader
    # knows 3 + 6 = 9, and the partner's 5 … 8 are all "not small", so the primary may be anything from 1 to 4
    prot = protect_counts([3, 6, 40, 55], [60, 80, 900, 1200], 5)
    assert prot.reasons == [PRIMARY, SECONDARY, None, None]
    assert reader_learns_nothing([3, 6, 40, 55], [60, 80, 900, 1200], prot, 5)


def test_a_shallow_partner_is_not_enough():
    # total 3 + 5 = 8: if the partner's label says "not small" (0 or ≥ 5), the primary could only be 1, 2 or 3 –
    # a reader would learn that it is not 4. A deeper partner is chosen instead.
    values, sizes = [3, 5, 30], [50, 50, 400]
    prot = protect_counts(values, sizes, 5)
    assert prot.reasons[1] is None and prot.reasons[2] == SECONDARY
    assert reader_learns_nothing(values, sizes, prot, 5)


def test_the_unshown_rest_is_protected_by_a_district():
    # pupils without a district: 2 of 20 segregated; the total is published, so one district is hidden too
    values, sizes = [40, 60, 12], [900, 1000, 300]
    prot = protect_counts(values, sizes, 5, rest=(2, 20))
    assert prot.rest == PRIMARY and sum(r == SECONDARY for r in prot.reasons) == 1
    assert reader_learns_nothing(values, sizes, prot, 5, rest=(2, 20))


def test_small_total_is_hidden_with_the_column():
    prot = protect_counts([1, 2, 0], [30, 30, 30], 5)
    assert prot.total == PRIMARY and prot.reasons == [PRIMARY, PRIMARY, None]


def test_means():
    prot = protect_means([120, 3, 80], 5)
    assert prot.reasons == [None, PRIMARY, SECONDARY]
    prot = protect_means([120, 3, 80], 5, rest=25)       # the rest is a second unknown already
    assert prot.reasons == [None, PRIMARY, None]
    assert protect_means([120, 30, 80], 5).reasons == [None, None, None]
