"""Absence analysis core: linking, verdicts, cross-tabs, flags, segmentation, bad input, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tildeling.absence import analyse, contract as c
from tildeling.privacy import suppression_mask
from tildeling.absence.rules import parse_condition
from tildeling.absence.stats import verdict
from tildeling.errors import InputError
from tildeling.synth.absence import EXPECTED_VERDICTS, generate_absence_data


@pytest.fixture(scope="module")
def data():
    return generate_absence_data()


@pytest.fixture(scope="module")
def result(data):
    return analyse(data.tables())


def tiny_tables(**over) -> dict:
    """Six pupils, one school, hand-made absence."""
    ids = ["A1", "A2", "A3", "A4", "A5", "A6"]
    t = {
        "elever": pd.DataFrame({c.PUPIL: ids, c.SCHOOL: "Skolen", c.CLASS: "1A", c.GRADE: 1, c.CHANGES: 0}),
        "fravaer": pd.DataFrame({c.PUPIL: ids, c.MONTH: "2024-09", c.SCHOOL_DAYS: 20.0, c.ILLNESS: 0.0,
                                 c.LAWFUL: 0.0, c.UNLAWFUL: 0.0}),
        "skoler": pd.DataFrame({c.SCHOOL: ["Skolen"], c.SCHOOL_SIZE: [6]}),
        "klasser": pd.DataFrame({c.SCHOOL: ["Skolen"], c.CLASS: ["1A"], c.CLASS_SIZE: [6]}),
        "social": pd.DataFrame({c.PUPIL: ["A1"], c.EVENT_TYPE: [c.EVENT_NOTIFICATION],
                                c.EVENT_DATE: [pd.Timestamp("2024-01-05")]}),
        "familie": pd.DataFrame({c.PUPIL: ids, c.TOGETHER: [1, 0, 1, 0, 1, 0], c.UNKNOWN_PARENT: 0,
                                 c.MOTHER_EMPLOYED: 1, c.FATHER_EMPLOYED: 1}),
        "sprog": pd.DataFrame({c.PUPIL: ids, c.SECOND_LANGUAGE: [0, 0, 1, 0, 0, 0]}),
        "hypoteser": pd.DataFrame({c.HYP_TEXT: ["h"], c.HYP_FACTOR: ["Underretning"], c.HYP_DIRECTION: [c.DIR_UP]}),
        "segmenter": pd.DataFrame({c.SEG_CATEGORY: ["Social"], c.SEG_CONDITION: ["[Underretninger] >= 1"],
                                   c.SEG_PRIORITY: [1]}),
    }
    t.update(over)
    return t


# --- Linking -------------------------------------------------------------------------
def test_link_report_counts_missing_and_unknown_pupils(data, result):
    rep = result.linked.report.set_index("Domæne")
    assert rep.loc[c.FAMILIE.label, "Elever uden data i domænet"] == len(data.missing["familie"])
    assert rep.loc[c.FAMILIE.label, "Ukendte elever i domænet"] == len(data.orphans["familie"])
    assert rep.loc[c.SPROG.label, "Elever uden data i domænet"] == len(data.missing["sprog"])
    assert rep.loc[c.FRAVAER.label, "Elever uden data i domænet"] == len(data.missing["fravaer"])
    assert rep.loc[c.SOCIAL.label, "Ukendte elever i domænet"] == len(data.orphans["social"])
    assert rep.loc[c.FAMILIE.label, "Koblet til elevlisten"] == len(data.elever) - len(data.missing["familie"])
    um = result.linked.unmatched
    for dom, label in (("familie", c.FAMILIE.label), ("sprog", c.SPROG.label), ("fravaer", c.FRAVAER.label)):
        assert set(um.loc[um["Domæne"] == label, c.PUPIL]) >= set(data.missing[dom])
    assert set(data.orphans["social"]) <= set(um.loc[um["Domæne"] == c.SOCIAL.label, c.PUPIL])


def test_pupils_missing_in_a_domain_are_kept_with_unknown_values(data, result):
    p = result.pupils.set_index(c.PUPIL)
    assert len(p) == len(data.elever)
    gone = data.missing["familie"][0]
    assert np.isnan(p.loc[gone, "Forældre bor ikke sammen"])
    assert not np.isnan(p.loc[gone, "Dansk som andetsprog"]) or gone in data.missing["sprog"]
    no_abs = data.missing["fravaer"][0]
    assert np.isnan(p.loc[no_abs, c.ABSENCE_PCT]) and np.isnan(p.loc[no_abs, c.WORRYING])
    # Social: no rows means no cases, not unknown
    assert (p[c.N_NOTIFICATIONS].notna()).all()


# --- Hypotheses -----------------------------------------------------------------------
@pytest.mark.parametrize("factor", list(EXPECTED_VERDICTS))
def test_each_hypothesis_verdict_recovers_the_synthetic_truth(result, factor):
    row = result.hypotheses.set_index(c.HYP_FACTOR).loc[factor]
    assert row["Vurdering"] == EXPECTED_VERDICTS[factor], row["Begrundelse"]
    assert row["Begrundelse"].startswith("Regel")


def test_effect_sizes_are_consistent(result):
    h = result.hypotheses.set_index(c.HYP_FACTOR)
    r = h.loc["Ukendt forælder"]
    assert r["Forskel (procentpoint)"] == pytest.approx(100 * (r["Bekymrende fravær med faktoren"]
                                                               - r["Bekymrende fravær uden faktoren"]))
    assert r["Risikoratio"] == pytest.approx(r["Bekymrende fravær med faktoren"] / r["Bekymrende fravær uden faktoren"])
    assert r["Forskel KI nedre"] < r["Forskel (procentpoint)"] < r["Forskel KI øvre"]
    assert r["Justeret forskel KI nedre"] < r["Justeret forskel (procentpoint)"] < r["Justeret forskel KI øvre"]
    assert r["Justeret odds-ratio KI nedre"] < r["Justeret odds-ratio"] < r["Justeret odds-ratio KI øvre"]
    assert r["Justeret p-værdi"] < 0.001


def test_adjusted_odds_ratio_matches_statsmodels(result):
    import statsmodels.api as sm
    p = result.pupils
    f = list(c.FACTOR_NAMES)
    d = p[[c.WORRYING] + f].dropna()
    fit = sm.Logit(d[c.WORRYING], sm.add_constant(d[f])).fit(disp=0)
    got = result.hypotheses.set_index(c.HYP_FACTOR)["Justeret odds-ratio"]
    for name in f:
        assert got[name] == pytest.approx(np.exp(fit.params[name]), rel=1e-6)


@pytest.mark.parametrize("direction,rd,lo,hi,expected,rule", [
    (c.DIR_UP, 5.0, 3.0, 7.0, c.CONFIRMED, "Regel 2"),
    (c.DIR_UP, 0.5, -1.0, 2.0, c.REJECTED, "Regel 1"),
    (c.DIR_UP, -5.0, -7.0, -3.5, c.REJECTED, "Regel 3"),
    (c.DIR_UP, 2.0, -1.0, 5.0, c.UNRESOLVED, "Regel 4"),
    (c.DIR_UP, 2.5, 1.0, 4.0, c.UNRESOLVED, "Regel 4"),   # above 0 but below the margin
    (c.DIR_DOWN, -5.0, -7.0, -3.5, c.CONFIRMED, "Regel 2"),
    (c.DIR_DOWN, 5.0, 3.5, 7.0, c.REJECTED, "Regel 3"),
    (c.DIR_NONE, 0.5, -1.0, 2.0, c.CONFIRMED, "Regel 1"),
    (c.DIR_NONE, 5.0, 3.5, 7.0, c.REJECTED, "Regel 2"),
    (c.DIR_NONE, 1.0, -4.0, 6.0, c.UNRESOLVED, "Regel 4"),
])
def test_verdict_rules(direction, rd, lo, hi, expected, rule):
    v, text = verdict(direction, rd, lo, hi, margin=3.0)
    assert v == expected
    assert text.startswith(rule)


# --- Cross-tabs -----------------------------------------------------------------------------
def test_crosstabs_counts_percentages_and_chi_square(result):
    p = result.pupils
    assert [t.factor for t in result.crosstabs][:2] != ["Stor skole", "Stor klasse"]
    assert len(result.crosstabs) == len(c.FACTOR_NAMES)
    for t in result.crosstabs:
        known = p[p[t.factor].notna() & p[c.ABSENCE_PCT].notna()]
        assert t.counts.to_numpy().sum() == len(known) == t.n
        assert list(t.counts.columns) == list(c.BANDS)
        np.testing.assert_allclose(t.row_pct.sum(axis=1), 100.0)
        chi2, pval, _, _ = sps.chi2_contingency(t.counts.to_numpy(), correction=False)
        assert t.chi2 == pytest.approx(chi2) and t.p == pytest.approx(pval)
    v = [t.cramers_v for t in result.crosstabs]
    assert v == sorted(v, reverse=True)
    strong = {t.factor for t in result.strongest}
    assert strong <= {"Forældre bor ikke sammen", "Ukendt forælder", "Forælder uden beskæftigelse",
                      "Underretning", "Børnesag", "PPR-henvisning", "Dansk som andetsprog"}
    assert len(result.strongest) == 4


def test_band_edges_are_inclusive_at_the_lower_bound():
    from tildeling.absence.linking import absence_band
    assert list(absence_band(np.array([0, 4.99, 5.0, 9.99, 10.0, 14.99, 15.0, 80, np.nan]))) == \
        [0, 0, 1, 1, 2, 2, 3, 3, -1]


# --- Flags at the exact thresholds ----------------------------------------------------------
def test_flags_at_exact_thresholds():
    # Quarter 2024 K3 = one month with 1000 school days (a made-up long period, for exact hundredths)
    fr = pd.DataFrame({
        c.PUPIL: ["A1", "A2", "A3", "A4", "A5", "A6"], c.MONTH: "2024-09", c.SCHOOL_DAYS: 1000.0,
        c.ILLNESS: [99.9, 100.0, 0.0, 0.0, 0.0, 0.0], c.LAWFUL: 0.0,
        c.UNLAWFUL: [0.0, 0.0, 149.9, 150.0, 0.0, 0.0],
    })
    r = analyse(tiny_tables(fravaer=fr))
    f = r.flags.set_index(c.PUPIL)
    assert not f.loc["A1", c.FLAG_TOTAL] and f.loc["A2", c.FLAG_TOTAL]          # 9.99 % vs 10.00 %
    assert not f.loc["A3", c.FLAG_UNLAWFUL] and f.loc["A4", c.FLAG_UNLAWFUL]    # 14.99 % vs 15.00 %
    assert f.loc["A3", c.FLAG_TOTAL]                                             # 14.99 % total ≥ 10 %
    assert set(r.caseworkers[c.PUPIL]) == {"A2", "A3", "A4"}
    assert r.pupils.set_index(c.PUPIL).loc["A2", c.WORRYING] == 1
    assert r.pupils.set_index(c.PUPIL).loc["A1", c.WORRYING] == 0


def test_flags_are_per_quarter_not_per_month():
    fr = pd.DataFrame({
        c.PUPIL: ["A1", "A1", "A1"], c.MONTH: ["2024-07", "2024-08", "2024-10"], c.SCHOOL_DAYS: [10.0, 10.0, 20.0],
        c.ILLNESS: 0.0, c.LAWFUL: 0.0, c.UNLAWFUL: [3.0, 0.0, 2.0],
    })
    r = analyse(tiny_tables(fravaer=fr, elever=tiny_tables()["elever"].iloc[:1]))
    f = r.flags.set_index(c.QUARTER)
    assert f.loc["2024 K3", c.UNLAWFUL_PCT_COL] == pytest.approx(15.0)   # 3 of 20 days, not 30 % of July
    assert f.loc["2024 K3", c.FLAG_UNLAWFUL] and not f.loc["2024 K4", c.FLAG_UNLAWFUL]


# --- Segmentation -----------------------------------------------------------------------------
def test_segmentation_priority_ties_and_unmatched():
    fr = tiny_tables()["fravaer"].assign(**{c.ILLNESS: [5.0, 5.0, 5.0, 5.0, 0.0, 0.0]})
    rules = pd.DataFrame({
        c.SEG_CATEGORY: ["Tosproget", "Familie", "Social", "Bred"],
        c.SEG_CONDITION: ["[Dansk som andetsprog] = 1", "[Forældre bor sammen] = 0", "Underretninger >= 1",
                          "[Fravær (%)] > 100"],
        c.SEG_PRIORITY: [2, 2, 1, 3],
    })
    r = analyse(tiny_tables(fravaer=fr, segmenter=rules))
    seg = r.pupils.set_index(c.PUPIL)[c.SEGMENT]
    assert seg["A1"] == "Social"        # priority 1 beats priority 2
    assert seg["A2"] == "Familie"       # only the family rule matches
    assert seg["A3"] == "Tosproget"     # matches the first of the priority-2 rules
    assert seg["A4"] == "Familie"
    assert seg["A5"] == "" and seg["A6"] == ""  # no worrying absence: not segmented
    fr2 = fr.assign(**{c.ILLNESS: [5.0, 5.0, 5.0, 5.0, 5.0, 0.0]})
    r2 = analyse(tiny_tables(fravaer=fr2, segmenter=rules))
    assert r2.pupils.set_index(c.PUPIL)[c.SEGMENT]["A5"] == c.UNCATEGORISED
    summ = r2.segment_rules.set_index(c.SEG_CATEGORY)
    assert summ.loc[c.UNCATEGORISED, "Placeret i kategorien"] == 1


@pytest.mark.parametrize("text,expected", [
    ("[Fravær (%)] >= 10", [False, True, True]),
    ("Skoleskift > 0 og ikke [Børnesag]", [False, False, True]),
    ("Skole = \"Nord\" eller Skoleskift >= 2", [True, False, True]),
    ("(Skoleskift = 1 or Skoleskift = 2) and not Skole <> 'Syd'", [False, True, True]),
    ("[Fravær (%)] >= 12,5", [False, True, False]),
    ("Børnesag", [False, True, False]),
])
def test_condition_language(text, expected):
    df = pd.DataFrame({"Fravær (%)": [5.0, 12.5, 10.0], "Skoleskift": [0, 1, 2], "Børnesag": [0, 1, np.nan],
                       "Skole": ["Nord", "Syd", "Syd"]})
    assert list(parse_condition(text).evaluate(df)) == expected


@pytest.mark.parametrize("text,fragment", [
    ("__import__('os').system('ls')", "ikke er tilladt"),
    ("__import__ > 1", "ukendte kolonne '__import__'"),
    ("open(1) > 1", "ukendte kolonne 'open'"),
    ("Skole(1) > 1", "uventet '('"),
    ("[Fravær (%)] >= 10; import os", "tegnet ';'"),
    ("[Fravær (%)] >=", "slutter for tidligt"),
    ("([Fravær (%)] >= 10", "slutparentes"),
    ("Skole < \"Nord\"", "kun sammenlignes med = eller <>"),
    ("1 = 1", "mindst den ene side"),
    ("[Fravær (%)].sum() > 1", "tegnet '.'"),
    ("[fravær (%)] > 1", "Mente du '[Fravær (%)]'".replace("[", "").replace("]", "")),
])
def test_condition_language_rejects_everything_else(text, fragment):
    with pytest.raises(InputError) as exc:
        parse_condition(text, allowed=("Fravær (%)", "Skole"))
    assert fragment in str(exc.value)


# --- Bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("key,change,fragments", [
    ("fravaer", lambda t: t["fravaer"].assign(**{c.SCHOOL_DAYS: ["20", "tyve", "20", "20", "20", "20"]}),
     ["Arket 'Fravær' (tabellen tblFravaer)", "kolonne 'Skoledage'", "række 3", "'tyve'"]),
    ("fravaer", lambda t: t["fravaer"].assign(**{c.MONTH: ["2024-09", "2024-09", "september", "2024-09", "2024-09", "x"]}),
     ["Arket 'Fravær'", "kolonne 'Måned'", "rækkerne 4 og 7", "ÅÅÅÅ-MM"]),
    ("fravaer", lambda t: t["fravaer"].assign(**{c.ILLNESS: [25.0, 0, 0, 0, 0, 0]}),
     ["kolonne 'Skoledage'", "række 2", "flere end skoledagene"]),
    ("familie", lambda t: t["familie"].assign(**{c.TOGETHER: [1, 0, 2, 0, 1, 0]}),
     ["Arket 'Familie'", "kolonne 'Forældre bor sammen'", "række 4", "0 (nej) eller 1 (ja)"]),
    ("elever", lambda t: t["elever"].assign(**{c.PUPIL: ["A1", "A1", "A3", "A4", "A5", "A6"]}),
     ["Arket 'Elever'", "kolonne 'Elev'", "rækkerne 2 og 3", "mere end én gang"]),
    ("hypoteser", lambda t: t["hypoteser"].assign(**{c.HYP_FACTOR: ["Skolens farve"]}),
     ["Arket 'Hypoteser'", "kolonne 'Faktor'", "række 2", "ukendt faktor 'Skolens farve'"]),
    ("segmenter", lambda t: t["segmenter"].assign(**{c.SEG_CONDITION: ["[Sygfravær] > 5"]}),
     ["Arket 'Segmentering'", "kolonne 'Betingelse'", "række 2", "ukendte kolonne 'Sygfravær'"]),
    ("social", lambda t: t["social"].assign(**{c.EVENT_TYPE: ["Anbringelse"]}),
     ["Arket 'Social'", "kolonne 'Type'", "række 2", "ukendt type 'Anbringelse'"]),
    ("skoler", lambda t: t["skoler"].rename(columns={c.SCHOOL_SIZE: "skolestørrelse"}),
     ["Arket 'Skoler'", "mangler kolonnen 'Skolestørrelse'", "'skolestørrelse' skal hedde 'Skolestørrelse'"]),
])
def test_bad_input_gives_danish_message_with_location(key, change, fragments):
    t = tiny_tables()
    t[key] = change(t)
    with pytest.raises(InputError) as exc:
        analyse(t)
    for frag in fragments:
        assert frag in str(exc.value), str(exc.value)


def test_blank_rows_are_ignored_and_row_numbers_stay_true():
    t = tiny_tables()
    blank = pd.DataFrame({col: [None] for col in t["fravaer"].columns})
    fr = pd.concat([blank, t["fravaer"]], ignore_index=True)
    fr.loc[3, c.SCHOOL_DAYS] = "x"
    with pytest.raises(InputError, match="række 5"):
        analyse(tiny_tables(fravaer=fr))


def test_empty_pupil_table_is_reported():
    t = tiny_tables(elever=pd.DataFrame({col: [None] for col in tiny_tables()["elever"].columns}))
    with pytest.raises(InputError, match="tabellen er tom"):
        analyse(t)


# --- Small cells -----------------------------------------------------------------------------
def test_suppression_primary_and_secondary():
    m = suppression_mask([[10, 3, 20], [12, 15, 30]])
    # 3 hidden; its row and column each get a second hidden cell
    assert m[0, 1] and m.sum(axis=1)[0] >= 2 and m.sum(axis=0)[1] >= 2
    assert not suppression_mask([[10, 0, 20]]).any()   # zero is not a small cell
    assert suppression_mask([[4]]).all()


def test_drill_table_is_complete_and_consistent(result):
    d = result.drill.set_index([c.SCHOOL, c.GRADE, "Faktor", "Niveau"])
    tot = d.loc[(c.ALL, c.ALL, c.ALL_PUPILS, c.ALL)]
    assert tot["Elever"] == result.pupils[c.ABSENCE_PCT].notna().sum()
    assert tot["Bekymrende fravær"] == (result.pupils[c.WORRYING] == 1).sum()
    assert tot[list(c.BANDS)].sum() == tot["Elever"]
    ja = d.loc[(c.ALL, c.ALL, "Ukendt forælder", c.YES), "Elever"]
    nej = d.loc[(c.ALL, c.ALL, "Ukendt forælder", c.NO), "Elever"]
    known = result.pupils[["Ukendt forælder", c.ABSENCE_PCT]].notna().all(axis=1).sum()
    assert ja + nej == known
    per_school = result.drill[(result.drill[c.GRADE] == c.ALL) & (result.drill["Faktor"] == c.ALL_PUPILS)
                              & (result.drill[c.SCHOOL] != c.ALL)]["Elever"].sum()
    assert per_school == tot["Elever"]
    assert not d.index.duplicated().any()


def test_too_few_pupils_with_the_factor_is_not_resolved():
    t = tiny_tables()
    r = analyse(t)   # one pupil with a notification
    row = r.hypotheses.iloc[0]
    assert row["Vurdering"] == c.UNRESOLVED
    assert "for få" in row["Begrundelse"] and row["Begrundelse"].startswith("Regel 4")


def test_school_change_count_stays_a_count_next_to_the_factor():
    el = tiny_tables()["elever"].assign(**{c.CHANGES: [0, 1, 2, 3, 0, 0]})
    r = analyse(tiny_tables(elever=el))
    p = r.pupils.set_index(c.PUPIL)
    assert list(p[c.CHANGES]) == [0, 1, 2, 3, 0, 0]
    assert list(p["Har skiftet skole"]) == [0, 1, 1, 1, 0, 0]
    assert list(parse_condition("Skoleskift >= 2").evaluate(r.pupils)) == [False, False, True, True, False, False]
