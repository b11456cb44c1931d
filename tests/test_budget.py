"""Tests for the budget split (tildeling.need.budget).

Expected figures are worked out by hand (shown in the comments), not by
re-running the module's own formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tildeling.errors import InputError, Source
from tildeling.need.budget import (
    Allocation,
    BudgetOptions,
    allocate,
    largest_remainder,
    SETTING_HEAD_COUNT_WEIGHT,
    SETTING_PHASE_IN_YEARS,
    SETTING_TOTAL,
    year_column,
)

HELSINGOR = pd.DataFrame(
    {
        "Distrikt": ["1", "2", "3", "4", "5", "6"],
        "Navn": ["Espegærde", "Hellebæk", "Helsingør", "Hornbæk", "Snekkersten", "Tikøb"],
        "Elever": [2012, 896, 2557, 672, 1569, 215],
        "Behovsnøgle": [0.184, 0.093, 0.381, 0.081, 0.241, 0.020],
    }
)


def _districts(keys, pupils=None, codes=None):
    codes = codes or [chr(ord("A") + i) for i in range(len(keys))]
    pupils = pupils if pupils is not None else [10] * len(keys)
    return pd.DataFrame({"Distrikt": codes, "Elever": pupils, "Behovsnøgle": keys})


def _by_code(alloc: Allocation, column="Budget (kr.)") -> dict[str, int]:
    return dict(zip(alloc.table["Distrikt"], alloc.table[column].tolist()))


# --- largest remainder ----------------------------------------------------------
def test_largest_remainder_hand_example_with_tie():
    # weights 5, 3, 2, 2 (sum 12), total 100:
    # quotas 41.666…, 25, 16.666…, 16.666… → floors 41, 25, 16, 16 = 98, 2 kroner left.
    # Fractional parts .667, 0, .667, .667: a three-way tie for 2 kroner → first two by position.
    assert largest_remainder([5, 3, 2, 2], 100).tolist() == [42, 25, 17, 16]
    # order puts the last element first in the tie-break: it and the first get the kroner.
    assert largest_remainder([5, 3, 2, 2], 100, order=[1, 9, 2, 0]).tolist() == [42, 25, 16, 17]


def test_largest_remainder_decimal_ties_are_exact():
    # 0.1/0.2/0.7 of 15: quotas 1.5, 3, 10.5 (exact in decimals, not in binary floats).
    # One krone left; .5 vs .5 is a tie → position 0 wins.
    assert largest_remainder([0.1, 0.2, 0.7], 15).tolist() == [2, 3, 10]
    assert largest_remainder([0.1, 0.2, 0.7], 15, order=[2, 1, 0]).tolist() == [1, 3, 11]


def test_largest_remainder_edge_cases():
    assert largest_remainder([1, 2], 0).tolist() == [0, 0]
    assert largest_remainder([0, 3, 0], 7).tolist() == [0, 7, 0]
    assert largest_remainder([1], 5.0).tolist() == [5]
    assert largest_remainder([1, 1, 1], 2).dtype == np.int64


def test_largest_remainder_sums_exactly_random():
    rng = np.random.default_rng(20240917)
    for _ in range(400):
        n = int(rng.integers(1, 40))
        w = rng.random(n) * rng.choice([1e-3, 1, 1e6])
        w[rng.random(n) < 0.1] = 0.0
        if w.sum() == 0:
            w[0] = 1.0
        total = int(rng.choice([0, 1, 7, 999, 50_000_000, 123_456_789_012]))
        out = largest_remainder(w, total)
        assert out.dtype == np.int64
        assert int(out.sum()) == total
        quotas = w / w.sum() * total
        # every element is its quota rounded down or up (allow float slack on the quota)
        assert np.all(out >= np.floor(quotas * (1 - 1e-12)) - 0)
        assert np.all(out <= np.ceil(quotas * (1 + 1e-12)))
        assert np.all(out[w == 0] == 0)


@pytest.mark.parametrize(
    "weights, total, text",
    [
        ([1, -1], 10, "vægt nummer 2 er -1"),
        ([1, float("nan")], 10, "endelige tal"),
        ([0, 0], 10, "alle vægte er 0"),
        ([1, 1], -3, "0 eller mere"),
        ([1, 1], 2.5, "helt antal kroner"),
    ],
)
def test_largest_remainder_bad_input(weights, total, text):
    with pytest.raises(InputError, match=text):
        largest_remainder(weights, total)


# --- Helsingør -------------------------------------------------------------------
def test_helsingor_need_key_budget():
    alloc = allocate(HELSINGOR, BudgetOptions(total=50_000_000))
    t = alloc.table
    # 0.184 × 50 mio. = 9,200,000 etc.; every quota is whole, nothing to round.
    assert t["Budget (kr.)"].tolist() == [9_200_000, 4_650_000, 19_050_000, 4_050_000, 12_050_000, 1_000_000]
    assert t["Budget (kr.)"].sum() == 50_000_000
    assert list(t.columns) == [
        "Distrikt", "Navn", "Elever", "Elevtalsandel", "Behovsnøgle", "Fordelingsnøgle",
        "Budget (kr.)", "Budget efter elevtal (kr.)", "Forskel (kr.)",
    ]
    assert t["Fordelingsnøgle"].tolist() == pytest.approx([0.184, 0.093, 0.381, 0.081, 0.241, 0.020])
    assert t["Behovsnøgle"].sum() == pytest.approx(1.0)


def test_helsingor_head_count_split_and_difference():
    alloc = allocate(HELSINGOR, BudgetOptions(total=50_000_000))
    t = alloc.table
    # n = 7,921 pupils. Quotas 50,000,000 · n / 7,921 (remainders in 7,921ths):
    #   2012 → 12,700,416 r 4864 (.614)   896 → 5,655,851 r 4229 (.534)
    #   2557 → 16,140,638 r 6402 (.808)   672 → 4,241,888 r 5152 (.650)
    #   1569 →  9,904,052 r 4108 (.519)   215 → 1,357,151 r 6929 (.875)
    # floors sum to 49,999,996; 4 kroner go to Tikøb, Helsingør, Hornbæk, Espegærde.
    expected = [12_700_417, 5_655_851, 16_140_639, 4_241_889, 9_904_052, 1_357_152]
    assert t["Budget efter elevtal (kr.)"].tolist() == expected
    assert t["Elevtalsandel"].tolist() == pytest.approx([2012 / 7921, 896 / 7921, 2557 / 7921,
                                                          672 / 7921, 1569 / 7921, 215 / 7921])
    assert t["Forskel (kr.)"].tolist() == [-3_500_417, -1_005_851, 2_909_361, -191_889, 2_145_948, -357_152]
    assert t["Forskel (kr.)"].sum() == 0


def test_helsingor_one_krone_more_goes_to_largest_remainder():
    # 50,000,001 kr.: fractional parts .184, .093, .381, .081, .241, .020 → Helsingør gets the krone.
    t = allocate(HELSINGOR, BudgetOptions(total=50_000_001)).table
    assert t["Budget (kr.)"].tolist() == [9_200_000, 4_650_000, 19_050_001, 4_050_000, 12_050_000, 1_000_000]


def test_percent_shares_normalise_when_within_tolerance():
    d = HELSINGOR.copy()
    d["Behovsnøgle"] = d["Behovsnøgle"] + [1e-7, 0, 0, 0, 0, 0]  # sum 1.0000001
    t = allocate(d, BudgetOptions(total=1_000_000)).table
    assert t["Budget (kr.)"].sum() == 1_000_000
    assert t["Behovsnøgle"].sum() == pytest.approx(1.0, abs=1e-12)


# --- mixed key -------------------------------------------------------------------
def test_mixed_key_hand_example():
    # h = .25, .25, .5; k = .5, .3, .2; a = .5 → k_mix = .375, .275, .35.
    # 101 kr.: quotas 37.875, 27.775, 35.35 → floors 37 + 27 + 35 = 99; 2 kroner to A (.875), B (.775).
    d = _districts([0.5, 0.3, 0.2], pupils=[1, 1, 2])
    alloc = allocate(d, BudgetOptions(total=101, head_count_weight=0.5))
    t = alloc.table
    assert t["Budget (kr.)"].tolist() == [38, 28, 35]
    assert t["Blandet nøgle"].tolist() == pytest.approx([0.375, 0.275, 0.35])
    assert t["Fordelingsnøgle"].tolist() == pytest.approx([0.375, 0.275, 0.35])
    # need key alone: 50.5, 30.3, 20.2 → 50, 30, 20 + 1 krone to A (.5)
    assert t["Budget efter behov alene (kr.)"].tolist() == [51, 30, 20]
    assert "Blandet nøgle: 50 % efter elevtal og 50 % efter behov." in alloc.explanations


def test_mixed_key_text_with_decimals():
    d = _districts([0.5, 0.5])
    alloc = allocate(d, BudgetOptions(total=100, head_count_weight=0.2))
    assert "Blandet nøgle: 20 % efter elevtal og 80 % efter behov." in alloc.explanations
    alloc = allocate(d, BudgetOptions(total=100, head_count_weight=0.125))
    assert "Blandet nøgle: 12,5 % efter elevtal og 87,5 % efter behov." in alloc.explanations


def test_mixed_key_extremes():
    plain = allocate(HELSINGOR, BudgetOptions(total=50_000_000)).table
    a0 = allocate(HELSINGOR, BudgetOptions(total=50_000_000, head_count_weight=0.0)).table
    a1 = allocate(HELSINGOR, BudgetOptions(total=50_000_000, head_count_weight=1.0)).table
    assert a0["Budget (kr.)"].tolist() == plain["Budget (kr.)"].tolist()
    assert a1["Budget (kr.)"].tolist() == plain["Budget efter elevtal (kr.)"].tolist()
    assert (a1["Forskel (kr.)"] == 0).all()
    assert a1["Budget efter behov alene (kr.)"].tolist() == plain["Budget (kr.)"].tolist()


# --- floors ----------------------------------------------------------------------
def test_floor_second_round_pushes_another_district_below():
    # keys .5/.3/.16/.04, 1,000 kr., floors C = D = 150.
    # Round 1: 500, 300, 160, 40 → D below its floor; D gets 150.
    # Round 2: 850 kr. by .5/.3/.16 (sum .96): C gets 141.67 < 150 → C gets 150 too.
    # Round 3: 700 kr. by .5/.3: 437.5 and 262.5 → tie on .5, A has the lower code → 438, 262.
    d = _districts([0.5, 0.3, 0.16, 0.04])
    alloc = allocate(d, BudgetOptions(total=1000, floors={"C": 150, "D": 150}))
    t = alloc.table
    assert t["Budget (kr.)"].tolist() == [438, 262, 150, 150]
    assert t["Gulv (kr.)"].tolist() == [0, 0, 150, 150]
    assert t["Fordelingsnøgle"].tolist() == pytest.approx([0.4375, 0.2625, 0.15, 0.15])
    assert t["Budget efter behov alene (kr.)"].tolist() == [500, 300, 160, 40]
    assert any(line.startswith("Gulv:") and "'C' og 'D'" in line for line in alloc.explanations)


def test_floor_not_binding_changes_nothing():
    d = _districts([0.5, 0.3, 0.2])
    t = allocate(d, BudgetOptions(total=1000, floors={"C": 100})).table
    assert t["Budget (kr.)"].tolist() == [500, 300, 200]


def test_floors_equal_to_total():
    d = _districts([0.5, 0.5])
    t = allocate(d, BudgetOptions(total=1000, floors={"A": 300, "B": 700})).table
    assert t["Budget (kr.)"].tolist() == [300, 700]


def test_floors_random_hold_and_sum():
    rng = np.random.default_rng(7)
    for _ in range(150):
        n = int(rng.integers(2, 15))
        keys = rng.dirichlet(np.ones(n))
        keys = np.round(keys, 6)
        keys[-1] = round(1 - keys[:-1].sum(), 6)
        if keys[-1] < 0:
            continue
        total = int(rng.integers(0, 10_000_000))
        codes = [f"D{i:02d}" for i in range(n)]
        floors = {c: float(rng.integers(0, total // n + 1)) for c in codes if rng.random() < 0.5}
        t = allocate(_districts(list(keys), codes=codes),
                     BudgetOptions(total=total, floors=floors)).table
        budget = _by_code_table(t)
        assert sum(budget.values()) == total
        for c, f in floors.items():
            assert budget[c] >= f


def _by_code_table(t):
    return dict(zip(t["Distrikt"], t["Budget (kr.)"].tolist()))


# --- current budget and phase-in ----------------------------------------------------
def test_current_budget_comparison():
    d = _districts([0.3, 0.7], codes=["A", "B"])
    alloc = allocate(d, BudgetOptions(total=1300, current={"A": 600, "B": 400}))
    t = alloc.table
    assert t["Budget (kr.)"].tolist() == [390, 910]
    assert t["Nuværende budget (kr.)"].tolist() == [600, 400]
    assert t["Forskel til nuværende (kr.)"].tolist() == [-210, 510]
    assert alloc.phase_in is None


def test_current_budget_partly_missing_without_phase_in():
    d = _districts([0.3, 0.7])
    t = allocate(d, BudgetOptions(total=1300, current={"A": 600})).table
    assert t["Nuværende budget (kr.)"].tolist()[0] == 600
    assert math.isnan(t["Nuværende budget (kr.)"].tolist()[1])
    assert math.isnan(t["Forskel til nuværende (kr.)"].tolist()[1])


def test_phase_in_hand_example_with_ties():
    # Current A 600, B 400 (1,000); target 1,300 by .3/.7 → A 390, B 910. N = 4:
    #   year 1: 547.5 / 527.5 (1,075) → tie on .5, A first → 548 / 527
    #   year 2: 495 / 655 (1,150)
    #   year 3: 442.5 / 782.5 (1,225) → 443 / 782
    #   year 4: 390 / 910 (1,300)
    # Rows given as B, A to show the tie goes by code, not by row.
    d = _districts([0.7, 0.3], codes=["B", "A"])
    alloc = allocate(d, BudgetOptions(total=1300, current={"A": 600, "B": 400}, phase_in_years=4))
    p = alloc.phase_in
    assert list(p.columns) == ["Distrikt", "Nuværende budget (kr.)", "År 1 (kr.)", "År 2 (kr.)",
                               "År 3 (kr.)", "År 4 (kr.)"]
    assert p["Distrikt"].tolist() == ["B", "A", "I alt"]
    rows = {r["Distrikt"]: [r[c] for c in p.columns[1:]] for _, r in p.iterrows()}
    assert rows["A"] == [600, 548, 495, 443, 390]
    assert rows["B"] == [400, 527, 655, 782, 910]
    assert rows["I alt"] == [1000, 1075, 1150, 1225, 1300]
    assert any(line.startswith("Indfasning over 4 år") and "1.000 kr. til 1.300 kr." in line
               for line in alloc.explanations)


def test_phase_in_properties_random():
    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(1, 10))
        codes = [str(i + 1) for i in range(n)]
        keys = rng.integers(1, 100, n).astype(float)
        keys = list(keys / keys.sum())
        total = int(rng.integers(0, 5_000_000))
        current = {c: float(rng.integers(0, 1_000_000)) for c in codes}
        if rng.random() < 0.3:
            current[codes[0]] = None  # filled in below: unchanged district
        years = int(rng.integers(1, 7))
        d = _districts(keys, codes=codes)
        target = allocate(d, BudgetOptions(total=total)).table["Budget (kr.)"].tolist()
        if current[codes[0]] is None:
            current[codes[0]] = float(target[0])
        alloc = allocate(d, BudgetOptions(total=total, current=current, phase_in_years=years))
        p = alloc.phase_in
        body = p.iloc[:-1]
        totals = p.iloc[-1]
        year_cols = [year_column(t) for t in range(1, years + 1)]
        assert body[year_column(years)].tolist() == target  # year N = target
        assert body["Nuværende budget (kr.)"].tolist() == [int(current[c]) for c in codes]  # year 0
        c_total = sum(int(v) for v in current.values())
        for t, c in enumerate(year_cols, start=1):
            assert body[c].sum() == totals[c]
            # year total = linear interpolation, rounded half up
            exact = c_total + (total - c_total) * t / years
            assert abs(totals[c] - exact) <= 0.5 + 1e-9
        # monotone between current and target, within the one krone of rounding
        values = body[["Nuværende budget (kr.)"] + year_cols].to_numpy()
        for i in range(n):
            steps = np.diff(values[i])
            sign = np.sign(target[i] - values[i, 0])
            assert np.all(steps * sign >= -1)
            lo, hi = sorted((values[i, 0], target[i]))
            assert values[i].min() >= lo - 1 and values[i].max() <= hi + 1
        # an unchanged district stays exactly the same every year
        if current[codes[0]] == target[0]:
            assert set(values[0].tolist()) == {target[0]}


def test_phase_in_monotone_when_changes_are_large():
    d = HELSINGOR
    current = dict(zip(HELSINGOR["Distrikt"], [10_000_000, 5_000_000, 17_000_000, 4_500_000, 11_000_000, 2_500_000]))
    alloc = allocate(d, BudgetOptions(total=50_000_000, current=current, phase_in_years=3))
    p = alloc.phase_in.iloc[:-1]
    values = p[["Nuværende budget (kr.)", "År 1 (kr.)", "År 2 (kr.)", "År 3 (kr.)"]].to_numpy()
    for row in values:
        steps = np.diff(row)
        assert np.all(steps >= 0) or np.all(steps <= 0)
    assert alloc.phase_in.iloc[-1]["År 3 (kr.)"] == 50_000_000


# --- order independence ------------------------------------------------------------
def test_order_independence():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(2, 12))
        codes = [f"{c}" for c in rng.choice(200, n, replace=False)]
        raw = rng.integers(1, 5, n)  # few distinct values → many ties
        keys = list(raw / raw.sum())
        pupils = list(rng.integers(0, 50, n))
        pupils[0] += 1
        floors = {codes[0]: 10.0}
        current = {c: float(rng.integers(0, 5000)) for c in codes}
        opts = BudgetOptions(total=int(rng.integers(100, 10_000)), head_count_weight=0.3, floors=floors,
                             current=current, phase_in_years=3)
        d = _districts(keys, pupils=pupils, codes=codes)
        a = allocate(d, opts)
        perm = rng.permutation(n)
        b = allocate(d.iloc[perm].reset_index(drop=True), opts)
        for column in ["Budget (kr.)", "Budget efter elevtal (kr.)", "Budget efter behov alene (kr.)"]:
            assert _by_code(a, column) == _by_code(b, column)
        pa = a.phase_in.set_index("Distrikt").sort_index()
        pb = b.phase_in.set_index("Distrikt").sort_index()
        pd.testing.assert_frame_equal(pa, pb)
        assert b.table["Distrikt"].tolist() == [codes[i] for i in perm]  # input order kept


def test_tie_break_sorts_digit_codes_as_numbers():
    # two equal shares of 1,001 kr.: the krone goes to district 9 before district 10
    d = _districts([0.5, 0.5], codes=["10", "9"])
    assert _by_code(allocate(d, BudgetOptions(total=1001))) == {"10": 500, "9": 501}


# --- output details ----------------------------------------------------------------------
def test_output_types_and_explanations():
    alloc = allocate(HELSINGOR, BudgetOptions(total=50_000_000.4))
    t = alloc.table
    assert t["Budget (kr.)"].dtype == np.int64
    assert t["Budget (kr.)"].sum() == 50_000_000  # total rounded to whole kroner
    assert t["Elever"].dtype == np.int64
    assert alloc.explanations[0].startswith("Samlet budget: 50.000.000 kr.")
    assert "Fordelingsnøgle: behovsnøglen (forventet andel) alene." in alloc.explanations
    assert alloc.phase_in is None


def test_zero_total():
    t = allocate(HELSINGOR, BudgetOptions(total=0)).table
    assert (t["Budget (kr.)"] == 0).all()
    assert (t["Budget efter elevtal (kr.)"] == 0).all()


def test_numeric_codes_from_excel_become_text():
    d = _districts([0.5, 0.5], codes=[1.0, 2.0])
    alloc = allocate(d, BudgetOptions(total=10, floors={"2": 6}))
    assert _by_code(alloc) == {"1": 4, "2": 6}


# --- bad input: Danish messages ------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(total=-5), "Indstillingen 'SamletBudget': det samlede budget er negativt (-5 kr.) – "
                         "skriv et beløb på 0 kr. eller mere."),
        (dict(total=float("nan")), "Indstillingen 'SamletBudget': det samlede budget skal være et endeligt tal"),
        (dict(total=float("inf")), "Indstillingen 'SamletBudget': det samlede budget skal være et endeligt tal"),
        (dict(total="mange"), "Indstillingen 'SamletBudget': det samlede budget skal være et tal i kroner"),
        (dict(total=100, head_count_weight=1.5),
         "Indstillingen 'Elevtalsvaegt': vægten til elevtal skal ligge mellem 0 og 1 (fx 0,2 for 20 % efter "
         "elevtal), men er 1,5."),
        (dict(total=100, head_count_weight=-0.1), "skal ligge mellem 0 og 1"),
        (dict(total=100, phase_in_years=-1),
         "Indstillingen 'Indfasningsaar': antallet af år skal være et helt tal på 0 eller mere "
         "(0 = ingen indfasning), men er -1."),
        (dict(total=100, phase_in_years=2.5), "Indfasningsaar': antallet af år skal være et helt tal"),
        (dict(total=100, floors={"Tikøb": -100}),
         "kolonne 'Gulv (kr.)': distrikt 'Tikøb': gulvet er negativt (-100 kr.)"),
        (dict(total=100, current={"Tikøb": float("inf")}),
         "kolonne 'Nuværende budget (kr.)': distrikt 'Tikøb': budgettet skal være et endeligt tal"),
    ],
)
def test_bad_options(kwargs, text):
    with pytest.raises(InputError) as err:
        BudgetOptions(**kwargs)
    assert text in str(err.value)


def test_whole_float_phase_in_years_is_accepted():
    d = _districts([0.5, 0.5])
    alloc = allocate(d, BudgetOptions(total=100, current={"A": 50, "B": 50}, phase_in_years=2.0))
    assert list(alloc.phase_in.columns)[-1] == "År 2 (kr.)"


def _message(districts, options, source=None) -> str:
    with pytest.raises(InputError) as err:
        allocate(districts, options, source=source)
    return str(err.value)


def test_floor_for_unknown_district():
    msg = _message(_districts([0.5, 0.5]), BudgetOptions(total=100, floors={"Z": 10}))
    assert msg == ("kolonne 'Gulv (kr.)': der er angivet gulv for 'Z', som ikke findes i tabellen med "
                   "distrikter – ret distriktskoden eller fjern rækken.")


def test_current_for_unknown_district():
    msg = _message(_districts([0.5, 0.5]), BudgetOptions(total=100, current={"A": 1, "B": 2, "Q": 3}))
    assert "der er angivet nuværende budget for 'Q', som ikke findes" in msg


def test_floors_above_total():
    msg = _message(_districts([0.5, 0.5]), BudgetOptions(total=1_000_000, floors={"A": 600_000, "B": 500_000}))
    assert msg == ("kolonne 'Gulv (kr.)': gulvene summer til 1.100.000 kr., som er mere end det samlede "
                   "budget på 1.000.000 kr. – sænk gulvene eller hæv 'SamletBudget'.")


def test_phase_in_needs_current_for_every_district():
    d = HELSINGOR
    opts = BudgetOptions(total=100, current={"1": 10, "2": 10, "3": 10, "4": 10, "5": 10}, phase_in_years=3)
    msg = _message(d, opts)
    assert msg == ("kolonne 'Nuværende budget (kr.)': indfasning over 3 år kræver det nuværende budget for "
                   "alle distrikter, men det mangler for 'Tikøb' – udfyld 'Nuværende budget (kr.)' eller "
                   "sæt 'Indfasningsaar' til 0.")
    assert "men det mangler for alle distrikter" in _message(d, BudgetOptions(total=100, phase_in_years=1))


def test_keys_not_summing_to_one():
    msg = _message(_districts([0.5, 0.45]), BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter, kolonne 'Behovsnøgle': andelene summer til 0,95, men skal "
                   "summe til 1 (100 %) – kontrollér at alle distrikter er med, og at andelene er skrevet "
                   "rigtigt.")


def test_keys_in_percent():
    msg = _message(_districts([18.4, 81.6]), BudgetOptions(total=100))
    assert "andelene summer til 100" in msg and "ikke som procent (18,4)" in msg


def test_negative_key():
    msg = _message(_districts([1.2, -0.2]), BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter, kolonne 'Behovsnøgle', række 3: negativ andel for 'B' – "
                   "en andel skal være 0 eller mere.")


def test_missing_key():
    msg = _message(_districts([1.0, None]), BudgetOptions(total=100))
    assert "kolonne 'Behovsnøgle', række 3: behovsnøglen mangler for 'B'" in msg


def test_text_in_pupil_column():
    d = _districts([0.5, 0.5], pupils=["12", "mange"])
    msg = _message(d, BudgetOptions(total=100), source=Source("Arket 'Distrikter'", first_row=5))
    assert msg.startswith("Arket 'Distrikter', kolonne 'Elever', række 6: tekst ('mange')")


def test_empty_districts():
    empty = pd.DataFrame({"Distrikt": [], "Elever": [], "Behovsnøgle": []})
    msg = _message(empty, BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter: er tom – der skal være mindst ét distrikt med elevtal og "
                   "behovsnøgle.")


def test_duplicate_codes():
    msg = _message(_districts([0.25, 0.25, 0.5], codes=["A", "B", "A"]), BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter, kolonne 'Distrikt', rækkerne 2 og 4: distriktskoden 'A' står "
                   "flere gange – hvert distrikt må kun stå én gang.")


def test_blank_code():
    msg = _message(_districts([0.5, 0.5], codes=["A", " "]), BudgetOptions(total=100))
    assert "kolonne 'Distrikt', række 3: distriktskoden mangler" in msg


def test_negative_pupils():
    d = HELSINGOR.copy()
    d.loc[5, "Elever"] = -215
    msg = _message(d, BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter, kolonne 'Elever', række 7: negativt elevtal for '6' – skriv 0 "
                   "eller et positivt antal elever.")


def test_all_pupils_zero():
    msg = _message(_districts([0.5, 0.5], pupils=[0, 0]), BudgetOptions(total=100))
    assert "alle elevtal er 0" in msg


def test_missing_column_with_hint():
    d = _districts([0.5, 0.5]).rename(columns={"Behovsnøgle": "behovsnøgle"})
    msg = _message(d, BudgetOptions(total=100))
    assert msg == ("Tabellen med distrikter: mangler kolonnen 'Behovsnøgle'. 'behovsnøgle' skal hedde "
                   "'Behovsnøgle'.")


def test_setting_names_match_the_workbook_contract():
    from tildeling.workbook.need import contract

    for name in (SETTING_TOTAL, SETTING_HEAD_COUNT_WEIGHT, SETTING_PHASE_IN_YEARS):
        assert name in contract.SETTING_NAMES


def test_options_from_district_table():
    from tildeling.need.budget import options_from_districts

    d = pd.DataFrame({"Distrikt": [1.0, "2", "3"], "Gulv (kr.)": [None, "1.000.000", np.nan],
                      "Nuværende budget (kr.)": [5e6, 3e6, 2e6]})
    o = options_from_districts(d, total=10e6, head_count_weight=0.25, phase_in_years=2)
    assert o.floors == {"2": 1_000_000}
    assert o.current == {"1": 5e6, "2": 3e6, "3": 2e6}
    assert (o.head_count_weight, o.phase_in_years) == (0.25, 2)
    d.loc[2, "Gulv (kr.)"] = "en mio."
    src = Source("Arket 'Distrikter' (tabellen tblDistrikter)", first_row=4)
    with pytest.raises(InputError, match=r"tblDistrikter\), kolonne 'Gulv \(kr\.\)', række 6: skal være et beløb"):
        options_from_districts(d, total=10e6, source=src)
    assert options_from_districts(None, total=1).floors is None


def test_alabama_paradox_example_in_the_method_doc():
    """docs/metode.md: Hamilton can give a district one krone less when the total grows."""
    assert largest_remainder([17, 29, 21], 33).tolist() == [9, 14, 10]
    assert largest_remainder([17, 29, 21], 34).tolist() == [8, 15, 11]


def test_quotas_are_compared_at_six_decimals():
    # Quotas 0.50000004 and 0.49999996 kr.: both round to 0.500000 (the rule the workbook formulas use too,
    # ROUND(quota; 6)), so it is a tie and the tie-break order decides – not a difference at the 8th decimal.
    assert largest_remainder([0.50000004, 0.49999996], 1, order=[2, 1]).tolist() == [0, 1]
    assert largest_remainder([0.50000004, 0.49999996], 1, order=[1, 2]).tolist() == [1, 0]
    # 0.5000006 vs 0.4999994 differ at the 6th decimal: the larger fractional part wins whatever the order.
    assert largest_remainder([0.5000006, 0.4999994], 1, order=[2, 1]).tolist() == [1, 0]


def test_former_column_name_of_the_need_key_is_accepted():
    d = HELSINGOR.rename(columns={"Behovsnøgle": "Forventet andel"})
    t = allocate(d, BudgetOptions(total=50_000_000)).table
    assert t["Budget (kr.)"].tolist() == [9_200_000, 4_650_000, 19_050_000, 4_050_000, 12_050_000, 1_000_000]


def test_floors_without_iteration_equal_the_water_fill():
    """docs/metode.md §10: lambda* = min(T/sum m, lambda_1 … lambda_n) over the districts ranked by floor/key –
    the closed form the workbook's formulas use – equals the iterative water fill, exactly."""
    from fractions import Fraction

    from tildeling.need.budget import _water_fill

    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 12))
        key = [Fraction(int(x), 1000) for x in rng.integers(0, 400, n)]
        if sum(key) == 0:
            key[0] = Fraction(1)
        total = int(rng.integers(0, 100_000))
        floors = [int(rng.integers(0, max(total // n, 1) + 1)) if rng.random() < 0.6 else 0 for _ in range(n)]
        if sum(floors) > total:
            continue
        amounts, _ = _water_fill(key, floors, total)
        big = Fraction(10) ** 300
        ratio = [Fraction(0) if f == 0 else (big if k == 0 else Fraction(f) / k) for f, k in zip(floors, key)]
        order = sorted(range(n), key=lambda i: (-ratio[i], i))
        candidates = [Fraction(total) / sum(key)]
        for j in range(1, n + 1):
            rest = sum((key[i] for i in order[j:]), Fraction(0))
            if rest > 0:
                candidates.append((total - sum(floors[i] for i in order[:j])) / rest)
        lam = min(candidates)
        assert [max(Fraction(f), lam * k) for f, k in zip(floors, key)] == amounts


# --- protection against big drops ------------------------------------------------------------
def test_protection_hand_example():
    # This year: 100 pupils each, key .25/.35/.40 of 1,000 kr. → 250, 350, 400.
    # Last year: 100 pupils each, 300, 300, 400 kr. → references 300, 300, 400; at most −2 % → 294, 294, 392.
    # A is 44 kr. short; B gains 50 kr. against its reference, C nothing: B gives 44/50 = 88 % of its gain.
    d = _districts([0.25, 0.35, 0.40], pupils=[100, 100, 100])
    last = {"A": (100, 300), "B": (100, 300), "C": (100, 400)}
    alloc = allocate(d, BudgetOptions(total=1000, last_year=last, max_loss=-0.02))
    t = alloc.table
    assert t["Budget (kr.)"].tolist() == [294, 306, 400]
    assert t["Budget før beskyttelse (kr.)"].tolist() == [250, 350, 400]
    assert t["Beskyttelse (kr.)"].tolist() == [44, -44, 0]
    assert ("Beskyttelse mod store fald: intet distrikt får mere end 2 % mindre pr. elev end sidste år; 'A' er "
            "løftet op til grænsen (i alt 44 kr.), betalt ved at skære 88 % af de øvrige distrikters fremgang."
            in alloc.explanations)
    # without a limit, or without last year's figures, nothing changes
    assert allocate(d, BudgetOptions(total=1000, last_year=last)).table["Budget (kr.)"].tolist() == [250, 350, 400]
    assert allocate(d, BudgetOptions(total=1000, max_loss=-0.02)).table["Budget (kr.)"].tolist() == [250, 350, 400]


def test_protection_that_gains_cannot_pay_for():
    d = _districts([0.25, 0.35, 0.40], pupils=[100, 100, 100])
    last = {"A": (100, 400), "B": (100, 400), "C": (100, 400)}   # last year 1,200 kr., now 1,000 kr.
    msg = _message(d, BudgetOptions(total=1000, last_year=last, max_loss=0))
    assert msg.startswith("Indstillingen 'Tabsgraense': beskyttelsen mod store fald koster 200 kr., men distrikterne "
                          "med fremgang har kun 0 kr. at give af")


def test_protection_properties_random():
    rng = np.random.default_rng(17)
    for _ in range(200):
        n = int(rng.integers(2, 10))
        codes = [f"D{i}" for i in range(n)]
        keys = rng.dirichlet(np.ones(n))
        keys = np.round(keys, 6)
        keys[-1] = round(1 - keys[:-1].sum(), 6)
        if keys[-1] <= 0:
            continue
        pupils = rng.integers(10, 500, n)
        total = int(rng.integers(100_000, 10_000_000))
        last = {c: (float(rng.integers(10, 500)), float(rng.integers(10_000, total // n + 20_000))) for c in codes}
        g = -float(rng.choice([0.0, 0.005, 0.02, 0.05, 0.2]))
        d = _districts(list(keys), pupils=list(pupils), codes=codes)
        try:
            alloc = allocate(d, BudgetOptions(total=total, last_year=last, max_loss=g))
        except InputError as exc:
            assert "at give af" in str(exc)
            continue
        t = alloc.table.set_index("Distrikt")
        assert t["Budget (kr.)"].sum() == total
        for code in codes:
            n0, b0 = last[code]
            guarantee = (1 + g) * b0 / n0 * t.loc[code, "Elever"]
            assert t.loc[code, "Budget (kr.)"] >= guarantee - 1   # at most one krone of rounding below
