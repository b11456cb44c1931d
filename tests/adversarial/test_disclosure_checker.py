"""The disclosure checker on hand-made tables: every attack class finds its leak; clean tables pass.

Attack classes (issue 11): subtraction from totals (rows and margins), inverting ratios (rate × population,
differences in percentage points, odds and risk ratios, capture rates), differencing across tables and
levels, numbers of persons in text, percentages of small groups, a group of one person. Each has at least
three cases with a known leak, and the same tables without the leak pass.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tildeling.errors import InputError
from tildeling.privacy import (DisclosureError, SECONDARY_MARKER, audit, check_threshold, require_clear, suppress,
                               text_findings)

Z = 1.959963984540054


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


def about(findings, *words) -> list:
    return [f for f in findings if all(w in f.message for w in words)]


# --- builders of consistent tables -----------------------------------------------------------------------------------
def need_tables(n=(300, 200, 250), a=(10, 3, 12), e=(9.0, 8.0, 5.0), names=("A", "B", "C")):
    """Tabel 5.1, 4.1 and the benchmarks of a municipality whose pupils all live in a district."""
    codes = [str(i + 1) for i in range(len(n))]
    N, A, E = sum(n), sum(a), sum(e)
    pbar = [ei / ni for ei, ni in zip(e, n)]
    need = pd.DataFrame({
        "Distrikt": codes, "Navn": list(names), "Elever": list(n), "Andel af elever": [x / N for x in n],
        "Faktisk andel af segregerede elever": [x / A for x in a], "Forudsagt sandsynlighed": pbar,
        "Indeks": [p / (E / N) * 100 for p in pbar], "Behovsnøgle": [x / E for x in e],
        "Faktiske segregerede elever": list(a), "Forventede segregerede elever": list(e)}).astype(object)
    ext = pd.DataFrame({
        "Distrikt": codes, "Navn": list(names), "Elever": list(n), "Forventet henvisningsandel": pbar,
        "Faktisk henvisningsandel": [x / y for x, y in zip(a, n)],
        "Forskel (procentpoint)": [100 * (x / y - p) for x, y, p in zip(a, n, pbar)]}).astype(object)
    internal = pd.DataFrame({
        "Distrikt": codes, "Navn": list(names), "Behovsnøgle": [x / E for x in e],
        "Faktisk andel": [x / A for x in a],
        "Forskel (procentpoint)": [100 * (x / A - y / E) for x, y in zip(a, e)]}).astype(object)
    mun = pd.DataFrame({"Nøgletal": ["Elever i 0.-9. klasse", "Faktisk antal segregerede elever",
                                     "Faktisk henvisningsandel", "Forventet antal segregerede elever"],
                        "Værdi": [N, A, A / N, E], "Enhed": ["elever", "elever", "andel", "elever"]}).astype(object)
    return {"tblDistriktsbehov": need, "tblEksternBenchmark": ext, "tblInternBenchmark": internal,
            "tblKommunebenchmark": mun}


def hide(frame: pd.DataFrame, row: int, *columns: str, mark="<5") -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame.at[row, c] = mark
    return frame


def blank(frame: pd.DataFrame, row: int, *columns: str) -> pd.DataFrame:
    return hide(frame, row, *columns, mark=None)


def hypothesis_row(n1=40, n0=400, a=8, c=40, **overrides):
    """One row of tblHypotesetest with the unadjusted statistics of the 2×2 table (a of n1, c of n0)."""
    b, d = n1 - a, n0 - c
    p1, p0 = a / n1, c / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rr, s_rr = p1 / p0, math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    orr, s_or = (a * d / (b * c), math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)) if min(a, b, c, d) else (1.0, 1.0)
    row = {"Hypotese": "Børn med en sag har mere fravær", "Faktor": "Børnesag", "Forventet retning": "Øger fraværet",
           "Vurdering": "ikke afklaret", "Begrundelse": "Regel 4: intervallet er for bredt.",
           "Elever": n1 + n0, "Elever med faktoren": n1,
           "Bekymrende fravær med faktoren": p1, "Bekymrende fravær uden faktoren": p0,
           "Gns. fravær med faktoren (%)": 7.5, "Gns. fravær uden faktoren (%)": 5.1,
           "Forskel (procentpoint)": 100 * (p1 - p0), "Forskel KI nedre": 100 * (p1 - p0 - Z * se),
           "Forskel KI øvre": 100 * (p1 - p0 + Z * se), "Risikoratio": rr,
           "Risikoratio KI nedre": rr * math.exp(-Z * s_rr), "Risikoratio KI øvre": rr * math.exp(Z * s_rr),
           "Odds-ratio": orr, "Odds-ratio KI nedre": orr * math.exp(-Z * s_or),
           "Odds-ratio KI øvre": orr * math.exp(Z * s_or),
           "P-værdi": math.erfc(abs(math.log(orr)) / s_or / math.sqrt(2)),
           "Justeret forskel (procentpoint)": 100 * (p1 - p0) - 0.3}
    row.update(overrides)
    return pd.DataFrame([row]).astype(object)


UNADJUSTED = ["Bekymrende fravær med faktoren", "Bekymrende fravær uden faktoren", "Forskel (procentpoint)",
              "Forskel KI nedre", "Forskel KI øvre", "Risikoratio", "Risikoratio KI nedre", "Risikoratio KI øvre",
              "Odds-ratio", "Odds-ratio KI nedre", "Odds-ratio KI øvre", "P-værdi"]


def drill(rows) -> pd.DataFrame:
    """tblDrilldata from (school, grade, factor, level, pupils, worrying, *bands) tuples."""
    cols = ["Skole", "Klassetrin", "Faktor", "Niveau", "Elever", "Bekymrende fravær", "Fraværsdage", "Skoledage",
            "Under 5 %", "5–10 %", "10–15 %", "15 % og derover"]
    out = []
    for r in rows:
        s, g, f, lv, n, w = r[:6]
        bands = list(r[6:10]) if len(r) >= 10 else [None] * 4
        days = r[10] if len(r) > 10 else None
        out.append([s, g, f, lv, n, w, days, None if days is None else 200.0 * (n if isinstance(n, int) else 1),
                    *bands])
    return pd.DataFrame(out, columns=cols).astype(object)


def crosstab(factor="Børnesag", nej=(300, 80, 40, 20), ja=(10, 12, 10, 10)):
    rows = []
    for lv, counts in (("Nej", nej), ("Ja", ja)):
        if all(isinstance(x, int) for x in counts):
            total = sum(counts)
            rows.append([lv, *counts, total, *[x / total for x in counts]])
        else:
            rows.append([lv, *counts, None, None, None, None, None])
    cols = [factor, "Under 5 %", "5–10 %", "10–15 %", "15 % og derover", "I alt", "Andel under 5 %",
            "Andel 5–10 %", "Andel 10–15 %", "Andel 15 % og derover"]
    return pd.DataFrame(rows, columns=cols).astype(object)


# --- clean tables pass ----------------------------------------------------------------------------------------------
def test_clean_need_tables_pass():
    assert audit(need_tables(a=(10, 13, 12))) == []


def test_clean_absence_tables_pass():
    tables = {"tblKryds1": crosstab(), "tblHypotesetest": hypothesis_row(n1=42, n0=440, a=20, c=60),
              "tblDrilldata": drill([("Alle", "Alle", "Børnesag", "Ja", 42, 20, 10, 12, 10, 10),
                                     ("Nord", "Alle", "Børnesag", "Ja", 21, 10, 5, 6, 5, 5),
                                     ("Syd", "Alle", "Børnesag", "Ja", 21, 10, 5, 6, 5, 5)])}
    assert audit(tables) == [], audit(tables)


def test_zero_is_shown_and_describes_nobody():
    assert audit(need_tables(a=(10, 0, 12))) == []


# --- 1. subtraction from totals -------------------------------------------------------------------------------------
def test_total_minus_the_shown_districts():
    t = need_tables()
    t["tblDistriktsbehov"] = blank(hide(t["tblDistriktsbehov"], 1, "Faktiske segregerede elever"), 1,
                                   "Faktisk andel af segregerede elever")
    t["tblEksternBenchmark"] = blank(t["tblEksternBenchmark"], 1, "Faktisk henvisningsandel", "Forskel (procentpoint)")
    t["tblInternBenchmark"] = blank(t["tblInternBenchmark"], 1, "Faktisk andel", "Forskel (procentpoint)")
    found = audit(t)
    assert about(found, "distrikt '2'", "Faktiske segregerede elever", "kan regnes ud (= 3)")


def test_crosstab_row_total_minus_the_other_bands():
    t = crosstab(ja=(10, 3, 9, 9))
    t = blank(hide(t, 1, "5–10 %"), 1, "Andel 5–10 %")
    found = audit({"tblKryds1": t})
    assert about(found, "tblKryds1", "5–10 %", "(= 3)")


def test_school_margin_in_the_drill_down():
    rows = [("Alle", "Alle", "Børnesag", "Ja", 30, 12), ("Nord", "Alle", "Børnesag", "Ja", 14, 6),
            ("Syd", "Alle", "Børnesag", "Ja", 12, 5), ("Vest", "Alle", "Børnesag", "Ja", "<5", 1)]
    found = audit({"tblDrilldata": drill(rows)})
    assert about(found, "skole 'Vest'", "Elever", "(= 4)")
    assert about(found, "skole 'Vest'", "Bekymrende fravær", "viser 1")


def test_segment_total_minus_the_other_categories():
    seg = pd.DataFrame({"Skole": ["Nord"], "Sygdom": [12], "Ulovligt": ["<5"], "Ikke kategoriseret": [7],
                        "I alt": [21]}).astype(object)
    found = audit({"tblSegmenterSkole": seg})
    assert about(found, "Ulovligt", "(= 2)")


def test_two_hidden_cells_whose_sum_is_under_the_threshold():
    t = need_tables(a=(10, 1, 2))
    t["tblDistriktsbehov"] = hide(hide(t["tblDistriktsbehov"], 1, "Faktiske segregerede elever"), 2, "Faktiske segregerede elever")
    for i in (1, 2):
        t["tblDistriktsbehov"] = blank(t["tblDistriktsbehov"], i, "Faktisk andel af segregerede elever")
        t["tblEksternBenchmark"] = blank(t["tblEksternBenchmark"], i, "Faktisk henvisningsandel",
                                         "Forskel (procentpoint)")
        t["tblInternBenchmark"] = blank(t["tblInternBenchmark"], i, "Faktisk andel", "Forskel (procentpoint)")
    assert "sum-af-skjulte" in rules(audit(t))


def test_hidden_cells_pinned_by_their_marks():
    """Four schools each '<5' and a total '<5': every school has exactly 1 (each mark says at least 1)."""
    rows = [("Alle", "Alle", "Børnesag", "Ja", "<5", 0)] + \
        [(s, "Alle", "Børnesag", "Ja", "<5", 0) for s in ("Nord", "Syd", "Vest", "Øst")]
    found = audit({"tblDrilldata": drill(rows)})
    assert about(found, "skole 'Nord'", "(= 1)")
    # a fifth school hidden as '<5' although it has none breaks the pin
    rows.append(("Midt", "Alle", "Børnesag", "Ja", "<5", 0))
    assert not about(audit({"tblDrilldata": drill(rows)}), "(= 1)")


# --- 2. inverting ratios --------------------------------------------------------------------------------------------
def test_rate_times_pupils():
    t = need_tables(n=(300, 40, 250), a=(10, 2, 12))
    t["tblDistriktsbehov"] = blank(hide(t["tblDistriktsbehov"], 1, "Faktiske segregerede elever"), 1,
                                   "Faktisk andel af segregerede elever")
    found = audit({"tblDistriktsbehov": t["tblDistriktsbehov"], "tblEksternBenchmark": t["tblEksternBenchmark"]})
    assert about(found, "distrikt '2'", "Faktiske segregerede elever", "kan regnes ud (= 2)")


def test_difference_in_percentage_points():
    t = need_tables(n=(300, 40, 250), a=(10, 2, 12))
    ext = blank(t["tblEksternBenchmark"], 1, "Faktisk henvisningsandel")   # rate hidden, difference shown
    found = audit({"tblEksternBenchmark": ext})
    assert about(found, "egregerede elever i distrikt 2", "kan regnes ud til 2")


def test_share_of_all_segregated_pupils():
    t = need_tables(a=(10, 2, 12))
    need = hide(t["tblDistriktsbehov"], 1, "Faktiske segregerede elever")
    found = audit({"tblDistriktsbehov": need, "tblKommunebenchmark": t["tblKommunebenchmark"]})
    assert about(found, "distrikt '2'", "Faktiske segregerede elever", "(= 2)")
    assert "afledt-af-skjult" in rules(found)


def test_odds_ratio_inverts_to_a_hidden_share():
    h = blank(hypothesis_row(a=3), 0, "Bekymrende fravær med faktoren", "Forskel (procentpoint)", "Forskel KI nedre",
              "Forskel KI øvre", "Risikoratio", "Risikoratio KI nedre", "Risikoratio KI øvre")
    found = audit({"tblHypotesetest": h})
    assert about(found, "bekymrende fravær", "'Børnesag'", "kan regnes ud til 3")


def test_risk_ratio_inverts_to_a_hidden_share():
    h = blank(hypothesis_row(a=4), 0, "Bekymrende fravær med faktoren", "Forskel (procentpoint)", "Forskel KI nedre",
              "Forskel KI øvre", "Odds-ratio", "Odds-ratio KI nedre", "Odds-ratio KI øvre", "P-værdi")
    assert about(audit({"tblHypotesetest": h}), "kan regnes ud til 4")


def test_confidence_interval_alone_gives_the_table_away():
    keep = {"Forskel KI nedre", "Forskel KI øvre"}
    h = blank(hypothesis_row(a=2, c=30), 0, *[c for c in UNADJUSTED if c not in keep])
    assert about(audit({"tblHypotesetest": h}), "kan regnes ud til 2")


def test_capture_rate_times_the_segregated_pupils():
    """0,6 % of 314 is 2 pupils."""
    mun = pd.DataFrame({"Nøgletal": ["Faktisk antal segregerede elever"], "Værdi": [314],
                        "Enhed": ["elever"]}).astype(object)
    power = pd.DataFrame({"Population": ["Elever i Kommunen"], "10 % med laveste sandsynlighed": [2 / 314],
                          "10 % med højeste sandsynlighed": [140 / 314], "AUC": [0.8]}).astype(object)
    found = audit({"tblKommunebenchmark": mun, "tblForklaringskraft": power})
    assert about(found, "laveste", "kan regnes ud til 2")


def test_share_of_a_characteristic_times_the_pupils():
    mun = pd.DataFrame({"Nøgletal": ["Elever i 0.-9. klasse"], "Værdi": [500], "Enhed": ["elever"]}).astype(object)
    desc = pd.DataFrame({"Beskrivelse": ["Moderen er sigtet"], "Enhed": ["Andel"], "Kommunen": [3 / 500],
                         "Hele landet": [0.01], "Forskel (i enheden)": [100 * (3 / 500 - 0.01)],
                         "Forskel (i % af landstal)": [(3 / 500 - 0.01) / 0.01]}).astype(object)
    found = audit({"tblKommunebenchmark": mun, "tblBeskrivende": desc})
    assert about(found, "Moderen er sigtet", "kan regnes ud til 3")


def test_difference_to_the_nation_in_percentage_points_gives_the_share_away():
    mun = pd.DataFrame({"Nøgletal": ["Elever i 0.-9. klasse"], "Værdi": [500], "Enhed": ["elever"]}).astype(object)
    desc = pd.DataFrame({"Beskrivelse": ["Moderen er sigtet"], "Enhed": ["Andel"], "Kommunen": [None],
                         "Hele landet": [0.01], "Forskel (i enheden)": [100 * (3 / 500 - 0.01)],
                         "Forskel (i % af landstal)": [None]}).astype(object)
    assert about(audit({"tblKommunebenchmark": mun, "tblBeskrivende": desc}), "kan regnes ud til 3")


# --- 3. differencing across tables and levels -------------------------------------------------------------------------
def test_municipal_share_minus_the_district_shares():
    need = need_tables(n=(300, 200, 250), a=(10, 13, 12))
    desc = pd.DataFrame({"Beskrivelse": ["Pige"], "Enhed": ["Andel"], "Kommunen": [(150 + 100 + 120) / 750],
                         "Hele landet": [0.485], "Forskel (i enheden)": [100 * ((370 / 750) - 0.485)],
                         "Forskel (i % af landstal)": [((370 / 750) - 0.485) / 0.485]}).astype(object)
    ddesc = pd.DataFrame({"Beskrivelse": ["Pige"], "Enhed": ["Andel"], "A": [150 / 300], "B": [None],
                          "C": [120 / 250]}).astype(object)
    tables = {**need, "tblBeskrivende": desc, "tblBeskrivendeDistrikter": ddesc}
    assert audit(tables) == []   # 100 girls in B can be worked out: not a small count
    # with 2 girls in B the same subtraction gives a small count away
    desc.at[0, "Kommunen"] = (150 + 2 + 120) / 750
    assert about(audit({**need, "tblBeskrivende": desc, "tblBeskrivendeDistrikter": ddesc}), "Pige",
                 "kan regnes ud til 2")


def test_three_tables_together_give_a_hidden_group_away():
    """Hypothesis table: all pupils; cross-tab: pupils without the factor → pupils with it (hidden)."""
    h = hide(blank(hypothesis_row(n1=3, n0=47, a=1, c=10), 0, *UNADJUSTED, "Gns. fravær med faktoren (%)"), 0,
             "Elever med faktoren")
    x = crosstab(nej=(20, 10, 10, 7), ja=("<5", 0, 0, "<5"))
    x.loc[1, "I alt"] = "<5"
    x = blank(x, 1, "Andel under 5 %", "Andel 5–10 %", "Andel 10–15 %", "Andel 15 % og derover")
    found = audit({"tblHypotesetest": h, "tblKryds1": x})
    assert about(found, "Elever med faktoren", "(= 3)")


def test_grades_add_up_to_the_school():
    rows = [("Nord", "Alle", "Børnesag", "Ja", 19, 5), ("Nord", "1. klasse", "Børnesag", "Ja", 8, 2),
            ("Nord", "2. klasse", "Børnesag", "Ja", 9, 2), ("Nord", "3. klasse", "Børnesag", "Ja", "<5", 1)]
    rows = [r[:5] + ("<5" if r[5] < 5 else r[5],) for r in rows]
    found = audit({"tblDrilldata": drill(rows)})
    assert about(found, "3. klasse", "Elever", "(= 2)")


def test_a_total_shown_in_one_table_gives_a_cell_hidden_in_another_away():
    x = crosstab(ja=(10, "<5", 9, 9))            # the cross-tab hides the band and its total ...
    d = drill([("Alle", "Alle", "Børnesag", "Ja", 31, 18)])   # ... the drill-down data show the total
    found = audit({"tblKryds1": x, "tblDrilldata": d})
    assert about(found, "tblKryds1", "5–10 %", "kan regnes ud (= 3)")
    x2 = crosstab(ja=(10, 3, 9, 9))
    assert about(audit({"tblKryds1": x2, "tblDrilldata": drill([("Alle", "Alle", "Børnesag", "Ja", "<5", 18)])}),
                 "viser 3")


# --- 4. text ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, count", [
    ("Regel 4: kun 3 elever med faktoren – for få til at afgøre noget.", 3),
    ("Der er 2 elever uden distrikt.", 2),
    ("I distriktet er der kun én elev med en børnesag.", 1),
    ("4 børn har en underretning", 4),
    ("heraf to piger", 2),
])
def test_numbers_of_persons_in_text(text, count):
    found = text_findings(text, 5)
    assert found and str(count) in found[0].message or found[0].message.count("'") >= 2


@pytest.mark.parametrize("text", [
    "Tal for under 5 elever vises ikke.", "mindst 10 i hver gruppe", "Elever i 0.-9. klasse",
    "Tabel 3.3 og Bilag 3", "10 % med laveste sandsynlighed", "Hver elev med bekymrende fravær får en kategori",
    "0 elever", "12 elever", "Estimeret på 668.338 elever",
])
def test_texts_without_small_numbers_of_persons(text):
    assert text_findings(text, 5) == []


def test_text_in_a_table_and_outside():
    h = hypothesis_row(Begrundelse="Regel 4: kun 3 elever med faktoren – for få til at afgøre noget.")
    assert "tekst" in rules(audit({"tblHypotesetest": h}))
    assert "tekst" in rules(audit({}, texts=[("arket 'Resultat', celle A2", "Kun 2 elever har fravær over 15 %")]))
    cats = pd.DataFrame({"Variabel": ["boern"], "Kategori": ["1 barn"], "Beskrivelse": ["Hjemmeboende børn: 1 barn"],
                         "Fortegn": ["+"], "Signifikans": ["***"], "Relativ vægt": [0.02],
                         "Relativ vægt (variabel i alt)": [0.03]})
    assert audit({"tblRelativeVaegte": cats}) == []   # a category name is not a count


def test_a_reason_may_not_quote_a_hidden_difference():
    h = blank(hypothesis_row(Begrundelse="Regel 2: forskellen er +6,4 procentpoint (95 % KI 1,0 til 11,8)."), 0,
              "Forskel (procentpoint)", "Justeret forskel (procentpoint)")
    assert about(audit({"tblHypotesetest": h}), "begrundelsen")


# --- 5. percentages of small groups -----------------------------------------------------------------------------------
def test_shares_of_a_small_district():
    need = {"tblDistriktsbehov": pd.DataFrame({"Distrikt": ["1", "2", "3"], "Navn": ["A", "B", "C"],
                                               "Elever": [300, "<5", 250]}).astype(object)}
    ddesc = pd.DataFrame({"Beskrivelse": ["Pige", "Elevens alder"], "Enhed": ["Andel", "år"], "A": [0.5, 10.2],
                          "B": [0.5, 11.0], "C": [0.48, 10.9]}).astype(object)
    found = audit({"tblDistriktsbehov": need["tblDistriktsbehov"][["Distrikt", "Navn", "Elever"]],
                   "tblBeskrivendeDistrikter": ddesc})
    assert about(found, "distrikt '2'", "gruppe på under 5")


def test_row_shares_of_a_small_crosstab_row():
    x = crosstab()
    x.loc[1] = ["Ja", "<5", 0, "<5", 0, "<5", 0.5, 0.0, 0.5, 0.0]
    found = audit({"tblKryds1": x})
    assert about(found, "rækken 'Ja'", "Andel", "gruppe på under 5")


def test_group_share_when_the_group_is_hidden():
    h = hide(hypothesis_row(n1=4, a=1), 0, "Elever med faktoren")
    found = audit({"tblHypotesetest": h})
    assert about(found, "Bekymrende fravær med faktoren", "gruppe på under 5")
    assert about(found, "Odds-ratio", "skjult antal")


# --- 6. a group of one person -------------------------------------------------------------------------------------------
def test_a_district_of_one_pupil():
    t = need_tables(n=(300, 1, 250), a=(10, 0, 12), e=(9.0, 0.08, 5.0))
    found = audit({"tblDistriktsbehov": t["tblDistriktsbehov"]})
    assert about(found, "distrikt '2'", "Elever", "viser 1")
    hidden = hide(t["tblDistriktsbehov"], 1, "Elever")
    found = audit({"tblDistriktsbehov": hidden})
    assert about(found, "distrikt '2'", "Forudsagt sandsynlighed", "gruppe på 1 person")


def test_absence_days_of_one_pupil():
    d = drill([("Nord", "3. klasse", "Alle elever", "Alle", "<5", 0, None, None, None, None, 31.0)])
    assert about(audit({"tblDrilldata": d}), "Fraværsdage", "gruppe på under 5")


def test_mean_absence_of_one_pupil_with_the_factor():
    h = hide(blank(hypothesis_row(n1=1, a=1), 0, *UNADJUSTED), 0, "Elever med faktoren")
    assert about(audit({"tblHypotesetest": h}), "Gns. fravær med faktoren", "gruppe på under 5")


def test_mean_of_a_district_of_one_pupil_in_the_descriptives():
    need = pd.DataFrame({"Distrikt": ["1", "2"], "Navn": ["A", "B"], "Elever": [300, "<5"]}).astype(object)
    ddesc = pd.DataFrame({"Beskrivelse": ["Elevens alder"], "Enhed": ["år"], "A": [10.7], "B": [12.0]}).astype(object)
    assert about(audit({"tblDistriktsbehov": need, "tblBeskrivendeDistrikter": ddesc}), "distrikt '2'",
                 "gruppe på under 5")


# --- what the checker does not understand is refused ------------------------------------------------------------------
def test_unknown_table_column_and_row_are_findings():
    assert rules(audit({"tblUkendt": pd.DataFrame({"Antal": [12]})})) == ["ukendt-tabel"]
    need = need_tables()["tblDistriktsbehov"].assign(Hemmeligt=[1, 2, 3])
    assert "ukendt-kolonne" in rules(audit({"tblDistriktsbehov": need}))
    mun = pd.DataFrame({"Nøgletal": ["Elever med sigtet far"], "Værdi": [3], "Enhed": ["elever"]})
    assert "uforståelig" in rules(audit({"tblKommunebenchmark": mun}))


def test_require_clear_raises_a_danish_error_listing_the_findings():
    found = audit(need_tables(a=(10, 3, 12)))
    with pytest.raises(DisclosureError) as err:
        require_clear(found, what="Den delbare kopi")
    assert "kan ikke godkendes" in str(err.value) and "viser 3" in str(err.value)
    require_clear([])


# --- the threshold ----------------------------------------------------------------------------------------------------
def test_threshold_from_3_to_10():
    assert check_threshold(3) == 3 and check_threshold("10") == 10
    for bad in (2, 11, 4.5, "fem"):
        with pytest.raises(InputError, match="3"):
            check_threshold(bad)
    t = need_tables(a=(10, 4, 12))
    assert audit(t, threshold=3) == []
    assert about(audit(t, threshold=5), "viser 4")
    t = need_tables(a=(10, 7, 12))
    assert audit(t, threshold=5) == [] and about(audit(t, threshold=10), "viser 7")


# --- suppression passes the checker -----------------------------------------------------------------------------------
def test_suppression_hides_small_counts_their_shares_and_a_partner():
    t = need_tables(a=(10, 3, 12))
    s = suppress(t)
    assert audit(s.tables) == [] and s.findings == []
    need = s.tables["tblDistriktsbehov"]
    assert need.at[1, "Faktiske segregerede elever"] == "<5"
    assert need.at[1, "Faktisk andel af segregerede elever"] is None
    assert s.tables["tblEksternBenchmark"].at[1, "Faktisk henvisningsandel"] is None
    partners = [v for v in need["Faktiske segregerede elever"] if v == SECONDARY_MARKER]
    assert len(partners) == 1   # the municipal total would give one hidden district away
    assert set(s.cells["Tabel"]) >= {"tblDistriktsbehov", "tblEksternBenchmark", "tblInternBenchmark"}
    assert s.cells["Regel"].str.startswith("primær").any() and s.cells["Regel"].str.startswith("sekundær").any()


def test_secondary_cells_keep_the_sum_of_hidden_cells_at_the_threshold():
    t = need_tables(n=(300, 200, 250, 100), a=(10, 1, 2, 30), e=(9.0, 8.0, 5.0, 4.0), names=("A", "B", "C", "D"))
    s = suppress(t)
    assert audit(s.tables) == []
    need, true = s.tables["tblDistriktsbehov"], t["tblDistriktsbehov"]
    hidden = [i for i, v in enumerate(need["Faktiske segregerede elever"]) if isinstance(v, str)]
    assert sum(true.at[i, "Faktiske segregerede elever"] for i in hidden) >= 5


def test_suppression_at_threshold_10_and_3():
    t = need_tables(a=(10, 7, 12))
    assert (suppress(t, threshold=10).tables["tblDistriktsbehov"]["Faktiske segregerede elever"] == "<10").sum() == 1
    assert suppress(t, threshold=3).cells.empty


def test_suppressed_absence_tables_pass():
    tables = {"tblKryds1": crosstab(ja=(10, 3, 9, 1)), "tblHypotesetest": hypothesis_row(n1=23, n0=440, a=10, c=60),
              "tblDrilldata": drill([("Alle", "Alle", "Børnesag", "Ja", 23, 10, 10, 3, 9, 1),
                                     ("Nord", "Alle", "Børnesag", "Ja", 12, 5, 6, 1, 4, 1),
                                     ("Syd", "Alle", "Børnesag", "Ja", 11, 5, 4, 2, 5, 0)])}
    s = suppress(tables)
    assert s.findings == [] and audit(s.tables) == []
    assert s.tables["tblKryds1"].at[1, "5–10 %"] == "<5"
    assert isinstance(s.tables["tblHypotesetest"].at[0, "Odds-ratio"], float)   # 10/13 vs 60/380: nothing small


def test_the_delivery_district_figures_are_known_and_linked_to_tabel_4_1():
    figures = pd.DataFrame({"Distrikt": ["1", "2", "3"], "Navn": ["A", "B", "C"], "Elever": [300, 200, 250],
                            "Forventede elever": [9.0, 8.0, 5.0], "Faktiske elever": [10, "<5", 12]}).astype(object)
    mun = need_tables(a=(10, 3, 12))["tblKommunebenchmark"]
    found = audit({"tblDistriktstal": figures, "tblKommunebenchmark": mun})
    assert about(found, "tblDistriktstal", "distrikt '2'", "Faktiske elever", "(= 3)")
    s = suppress({"tblDistriktstal": figures.assign(**{"Faktiske elever": [10, 3, 12]}), "tblKommunebenchmark": mun})
    assert s.findings == [] and list(s.tables["tblDistriktstal"]["Faktiske elever"]).count("<5") == 1
    assert audit(s.tables) == []
