"""Last year against this year (tildeling.need.development): the decomposition of the change in key.

Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from tildeling.errors import InputError, Source
from tildeling.need.development import compare_years, exact_parts, last_year_from_frame

LAST = pd.DataFrame({"Distrikt": ["A", "B"], "Elever": [100, 100], "Behovsnøgle": [0.4, 0.6],
                     "Budget (kr.)": [400_000, 600_000]})
THIS = pd.DataFrame({"Distrikt": ["A", "B"], "Navn": ["Aby", "Bby"], "Elever": [150, 100],
                     "Behovsnøgle": [0.5, 0.5], "Budget (kr.)": [550_000, 550_000]})


def test_decomposition_by_hand():
    # last year: s0 = .5/.5, i0 = k0/s0 = .8/1.2; this year: s1 = .6/.4; key with last year's model .45/.55,
    # so i_m = .75/1.375.
    # A: (a) = (.6 − .5)(.8 + .75)/2 = .0775, (b) = (.75 − .8)(.5 + .6)/2 = −.0275, (c) = .5 − .45 = .05 → .1
    # B: (a) = (.4 − .5)(1.2 + 1.375)/2 = −.12875, (b) = (1.375 − 1.2)(.5 + .4)/2 = .07875, (c) = −.05 → −.1
    dev = compare_years(THIS, last_year_from_frame(LAST), model_key=[0.45, 0.55])
    t = dev.table.set_index("Distrikt")
    assert t.loc["A", "Heraf elevtal (procentpoint)"] == pytest.approx(7.75)
    assert t.loc["A", "Heraf behov pr. elev (procentpoint)"] == pytest.approx(-2.75)
    assert t.loc["A", "Heraf modellen (procentpoint)"] == pytest.approx(5)
    assert t.loc["B", "Heraf elevtal (procentpoint)"] == pytest.approx(-12.875)
    assert t.loc["B", "Heraf behov pr. elev (procentpoint)"] == pytest.approx(7.875)
    assert t.loc["B", "Heraf modellen (procentpoint)"] == pytest.approx(-5)
    assert t["Ændring i nøglen (procentpoint)"].tolist() == pytest.approx([10, -10])
    # budget: 400.000 → 550.000 (+150.000, +37,5 %); kr. per pupil 4.000 → 3.666,67
    assert t.loc["A", "Ændring (kr.)"] == 150_000
    assert t.loc["A", "Ændring (%)"] == pytest.approx(0.375)
    assert t.loc["A", "Kr. pr. elev sidste år"] == 4000
    assert t.loc["A", "Kr. pr. elev i år"] == pytest.approx(550_000 / 150)


def test_parts_add_up_exactly():
    rng = np.random.default_rng(3)
    for _ in range(500):
        s0, s1 = (Fraction(int(x), 997) for x in rng.integers(0, 997, 2))
        k0, k1, km = (Fraction(int(x), 1009) for x in rng.integers(0, 1009, 3))
        if s0 == 0:
            k0 = Fraction(0)
        if s1 == 0:
            k1 = km = Fraction(0)
        a, b, c = exact_parts(s0, k0, s1, k1, km)
        assert a + b + c == k1 - k0


def test_without_the_old_model_the_model_part_is_unknown_and_need_absorbs_it():
    dev = compare_years(THIS, last_year_from_frame(LAST))
    t = dev.table
    assert t["Heraf modellen (procentpoint)"].isna().all()
    np.testing.assert_allclose(t["Heraf elevtal (procentpoint)"] + t["Heraf behov pr. elev (procentpoint)"],
                               t["Ændring i nøglen (procentpoint)"], atol=1e-12)


def test_new_and_removed_districts():
    this = pd.concat([THIS, pd.DataFrame({"Distrikt": ["C"], "Navn": ["Cby"], "Elever": [50],
                                          "Behovsnøgle": [0.0], "Budget (kr.)": [0]})], ignore_index=True)
    last = pd.concat([LAST, pd.DataFrame({"Distrikt": ["D"], "Elever": [1], "Behovsnøgle": [0.0],
                                          "Budget (kr.)": [0]})], ignore_index=True)
    dev = compare_years(this, last_year_from_frame(last))
    assert any("Nye distrikter i år: 'C'" in n for n in dev.notes)
    assert any("ikke er med i år: 'D'" in n for n in dev.notes)
    c = dev.table.set_index("Distrikt").loc["C"]
    assert np.isnan(c["Elever sidste år"]) and np.isnan(c["Budget sidste år (kr.)"])


def test_bad_last_year_lists_every_problem_with_rows():
    bad = pd.DataFrame({"Distrikt": ["A", "A", None], "Elever": [10, "mange", 5], "Behovsnøgle": [0.5, 0.5, None],
                        "Budget (kr.)": [1, -2, None]})
    with pytest.raises(InputError) as err:
        last_year_from_frame(bad, Source("Arket 'Sidste år' (tabellen tblSidsteAar)", first_row=4))
    msg = str(err.value)
    assert msg.startswith("Arket 'Sidste år' (tabellen tblSidsteAar): ")
    for part in ("kolonne 'Distrikt', række 6: distriktskoden mangler",
                 "kolonne 'Distrikt', rækkerne 4, 5: samme distrikt står flere gange",
                 "kolonne 'Elever', række 5: skal være et tal på 0 eller mere",
                 "kolonne 'Behovsnøgle', række 6: tom celle",
                 "kolonne 'Budget (kr.)', række 5: skal være et tal på 0 eller mere"):
        assert part in msg, part
    assert last_year_from_frame(pd.DataFrame({"Distrikt": [None], "Elever": [None], "Behovsnøgle": [None],
                                              "Budget (kr.)": [None]})) is None
    with pytest.raises(InputError, match="ikke som procent"):
        last_year_from_frame(LAST.assign(Behovsnøgle=[40, 60]))
