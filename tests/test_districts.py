"""Populations (pupils without a district) and the district plan (grade-aware districts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.errors import InputError, Source
from tildeling.model.national import fit_national
from tildeling.need.apply import apply_model
from tildeling.need.plan import read_plan

from conftest import random_pupils

DISTRICTS = pd.DataFrame({"Distrikt": ["1", "2", "3", "4"], "Navn": ["Espegærde", "Hellebæk", "Hornbæk", "Tikøb"]})


@pytest.fixture(scope="module")
def coefs(national_small):
    frame, _ = national_small
    return fit_national(frame, NATIONAL_SPEC).coefficients


@pytest.fixture()
def pupils():
    frame, _ = random_pupils(1500, seed=31, n_districts=4)
    return frame


def test_pupils_without_a_district_count_in_the_municipal_figures_only(coefs, pupils):
    frame = pupils.copy()
    frame["Distrikt"] = frame["Distrikt"].astype(object)
    blank = np.zeros(len(frame), dtype=bool)
    blank[::37] = True                                   # 41 pupils without a district
    frame.loc[blank, "Distrikt"] = None
    frame.loc[np.flatnonzero(blank)[:3], "Distrikt"] = "  "   # blanks typed as spaces count as blank too
    r = apply_model(frame, coefs, DISTRICTS)
    p, y = coefs.predict(frame), frame["Segregeret"].to_numpy()
    assert r.without_district == blank.sum() == 41
    assert r.n_municipal == len(frame) and r.n_districts == len(frame) - 41
    # Tabel 4.1 on every pupil
    mb = r.municipal.set_index("Nøgletal")["Værdi"]
    assert mb["Elever i 0.-9. klasse"] == len(frame)
    assert mb["Faktisk antal segregerede elever"] == y.sum()
    assert mb["Forventet antal segregerede elever"] == pytest.approx(p.sum(), rel=1e-12)
    assert r.power.n == len(frame) and r.power.recipients == y.sum()
    # Tabel 5.1 on pupils with a district
    d = r.districts.set_index("Distrikt")
    assert d["Elever"].sum() == len(frame) - 41
    for code in DISTRICTS["Distrikt"]:
        m = (frame["Distrikt"] == code).to_numpy()
        assert d.loc[code, "Elever"] == m.sum()
        assert d.loc[code, "Behovsnøgle"] == pytest.approx(p[m].sum() / p[~blank].sum(), rel=1e-12)
        assert d.loc[code, "Faktisk andel af segregerede elever"] == pytest.approx(y[m].sum() / y[~blank].sum())
    # Tabel 3.3 on every pupil, Bilag 3 on pupils with a district
    girls = r.descriptives.set_index("Variabel")
    if "pige" in girls.index:
        assert girls.loc["pige", "Kommunen"] == pytest.approx(frame["pige"].mean())
        row = r.district_descriptives.set_index("Beskrivelse").loc[girls.loc["pige", "Beskrivelse"]]
        m = (frame["Distrikt"] == "1").to_numpy()
        assert row["Espegærde"] == pytest.approx(frame["pige"][m].mean())
    assert any("41 elever uden distrikt" in w and "Tabel 4.1" in w and "Tabel 5.1" in w for w in r.warnings)
    assert (r.budget_districts == "").sum() == 41


def test_no_pupil_with_a_district_is_an_error(coefs, pupils):
    frame = pupils.assign(Distrikt=None)
    with pytest.raises(InputError, match="ingen elever i 0.-9. klasse har et distrikt"):
        apply_model(frame, coefs, DISTRICTS)


PLAN = pd.DataFrame({"Distrikt": ["4"], "Fra klassetrin": [7], "Til klassetrin": [9], "Budgetdistrikt": ["1"]})


def test_district_plan_moves_grades_to_the_budget_district(coefs, pupils):
    """The note's Bilag 2: Tikøb's (4) pupils in grades 7–9 are counted in Espegærde (1)."""
    r = apply_model(pupils, coefs, DISTRICTS, plan=PLAN)
    p, y = coefs.predict(pupils), pupils["Segregeret"].to_numpy()
    live, grade = pupils["Distrikt"].to_numpy(), pupils["Klassetrin"].to_numpy()
    budget = np.where((live == "4") & (grade >= 7), "1", live)
    d = r.districts.set_index("Distrikt")
    for code in DISTRICTS["Distrikt"]:
        m = budget == code
        assert d.loc[code, "Elever"] == m.sum()
        assert d.loc[code, "Forudsagt sandsynlighed"] == pytest.approx(p[m].mean(), rel=1e-12)
        assert d.loc[code, "Behovsnøgle"] == pytest.approx(p[m].sum() / p.sum(), rel=1e-12)
        assert d.loc[code, "Faktisk andel af segregerede elever"] == pytest.approx(y[m].sum() / y.sum())
    assert d.loc["1", "Elever"] > (live == "1").sum()
    assert d.loc["4", "Elever"] == ((live == "4") & (grade <= 6)).sum()
    moved = int(((live == "4") & (grade >= 7)).sum())
    assert any(f"flytter {moved} elever" in w and "Distrikt 4, 7.-9. klasse → distrikt 1" in w for w in r.warnings)
    # the municipality as a whole does not change
    base = apply_model(pupils, coefs, DISTRICTS)
    pd.testing.assert_frame_equal(r.municipal, base.municipal)
    assert list(r.pupils["Budgetdistrikt"]) == list(budget)
    assert list(r.pupils["Distrikt"]) == list(live)


def test_plan_rules_only_apply_to_the_residence_district(coefs, pupils):
    """Rules do not chain: 4 → 1 for grades 7–9 and 1 → 2 for all grades moves 4's pupils to 1, not 2."""
    plan = pd.DataFrame({"Distrikt": ["4", "1"], "Fra klassetrin": [7, 0], "Til klassetrin": [9, 9],
                         "Budgetdistrikt": ["1", "2"]})
    r = apply_model(pupils, coefs, DISTRICTS, plan=plan)
    live, grade = pupils["Distrikt"].to_numpy(), pupils["Klassetrin"].to_numpy()
    d = r.districts.set_index("Distrikt")
    assert d.loc["1", "Elever"] == ((live == "4") & (grade >= 7)).sum()
    assert d.loc["2", "Elever"] == ((live == "2") | (live == "1")).sum()


SRC = Source("Arket 'Distrikter' (tabellen tblDistriktsplan)", first_row=4)


@pytest.mark.parametrize("rows, message", [
    ([("4", 7, 9, "1"), ("4", 9, 9, "2")], "kolonne 'Fra klassetrin', rækkerne 4 og 5: reglerne for distrikt '4' "
                                           "overlapper \\(9. klasse står i begge\\)"),
    ([("4", 0, 6, "1"), ("4", 3, 9, "2")], "kolonne 'Fra klassetrin', rækkerne 4 og 5: reglerne for distrikt '4' overlapper \\(3.-6. klasse"),
    ([("9", 7, 9, "1")], "kolonne 'Distrikt', række 4: ukendt distrikt '9'"),
    ([("4", 7, 9, "Espegærde")], "kolonne 'Budgetdistrikt', række 4: ukendt distrikt 'Espegærde'"),
    ([("4", 7, 10, "1")], "kolonne 'Til klassetrin', række 4: klassetrin skal være et helt tal fra 0 til 9 "
                          "\\(ikke '10'\\)"),
    ([("4", -1, 9, "1")], "kolonne 'Fra klassetrin', række 4: klassetrin skal være et helt tal fra 0 til 9"),
    ([("4", "syv", 9, "1")], "kolonne 'Fra klassetrin', række 4: klassetrin skal være et helt tal fra 0 til 9 \\(ikke 'syv'\\)"),
    ([("4", 7.5, 9, "1")], "kolonne 'Fra klassetrin', række 4: klassetrin skal være et helt tal"),
    ([("4", 9, 7, "1")], "kolonne 'Til klassetrin', række 4: 'Til klassetrin' \\(7\\) er mindre end"),
    ([("4", None, 9, "1")], "kolonne 'Fra klassetrin', række 4: klassetrin skal være et helt tal fra 0 til 9\\.$"),
    ([(None, 7, 9, "1")], "kolonne 'Distrikt', række 4: tom celle"),
])
def test_plan_errors_name_column_and_row(rows, message):
    frame = pd.DataFrame(rows, columns=["Distrikt", "Fra klassetrin", "Til klassetrin", "Budgetdistrikt"])
    with pytest.raises(InputError, match="^Arket 'Distrikter' \\(tabellen tblDistriktsplan\\), " + message):
        read_plan(frame, ["1", "2", "3", "4"], SRC)


def test_plan_reports_every_problem_at_once():
    frame = pd.DataFrame([("4", 7, 9, "1"), ("9", 7, 9, "1"), ("4", 8, 12, "2"), (None, None, None, None),
                          ("3", "7,0", "9", 1.0)],
                         columns=["Distrikt", "Fra klassetrin", "Til klassetrin", "Budgetdistrikt"])
    with pytest.raises(InputError) as err:
        read_plan(frame, ["1", "2", "3", "4"], SRC)
    text = str(err.value)
    assert text.startswith("Der er 2 problemer i inddata")
    assert "Arket 'Distrikter' (tabellen tblDistriktsplan), kolonne 'Distrikt', række 5: ukendt distrikt '9'" in text
    assert ("Arket 'Distrikter' (tabellen tblDistriktsplan), kolonne 'Til klassetrin', række 6: klassetrin skal være "
            "et helt tal fra 0 til 9 (ikke '12')") in text
    # the blank row is skipped, "7,0" and 1.0 are read as 7 and '1'
    plan = read_plan(frame.drop(index=[1, 2]), ["1", "2", "3", "4"], SRC)
    assert [(r.district, r.first, r.last, r.target, r.row) for r in plan.rules] == [
        ("4", 7, 9, "1", 4), ("3", 7, 9, "1", 6)]


def test_empty_plan_is_no_plan(coefs, pupils):
    empty = pd.DataFrame(columns=["Distrikt", "Fra klassetrin", "Til klassetrin", "Budgetdistrikt"])
    assert read_plan(empty, ["1"]) is None
    assert read_plan(pd.DataFrame({"Distrikt": [None], "Fra klassetrin": [None]}), ["1"]) is None
    r = apply_model(pupils, coefs, DISTRICTS, plan=empty)
    assert r.plan is None and "Budgetdistrikt" not in r.pupils


def test_plan_missing_columns():
    with pytest.raises(InputError, match="mangler kolonnen 'Budgetdistrikt'"):
        read_plan(pd.DataFrame({"Distrikt": ["4"], "Fra klassetrin": [7], "Til klassetrin": [9]}), ["4"])


# ------------------------------------------------------------------------------------------------
# The workbook (tblDistriktsplan on the sheet Distrikter, blank districts) and the command line
# ------------------------------------------------------------------------------------------------
def _helsingoer(n=900):
    from wbtools import municipality

    pupils, districts = municipality(n)
    return pupils.copy(), districts


def test_workbook_district_plan_and_pupils_without_district(tmp_path):
    from tildeling.workbook.need import contract as c
    from tildeling.workbook.need.run import run_workbook
    from tildeling.workbook.need.template import demo_coefficients
    from wbtools import make_workbook, table

    pupils, districts = _helsingoer()
    pupils["Distrikt"] = pupils["Distrikt"].astype(object)
    pupils.loc[pupils.index[:12], "Distrikt"] = None
    plan = pd.DataFrame({"Distrikt": ["2"], "Fra klassetrin": [7], "Til klassetrin": [9], "Budgetdistrikt": ["1"]})
    path = tmp_path / "plan.xlsx"
    from tildeling.workbook.need.template import write_template
    from wbtools import SETTINGS
    write_template(path, pupils=pupils, districts=districts, settings=SETTINGS, plan=plan)
    outcome = run_workbook(path)
    core = apply_model(pupils, demo_coefficients(), districts, plan=plan)
    need = table(path, c.TBL_NEED)
    np.testing.assert_allclose(need["Behovsnøgle"].astype(float), core.districts["Behovsnøgle"], rtol=1e-12)
    np.testing.assert_array_equal(need["Elever"].astype(float), core.districts["Elever"])
    keep = pupils[pupils["Klassetrin"] <= 9]
    assert need["Elever"].astype(float).sum() == keep["Distrikt"].notna().sum()
    moved = ((keep["Distrikt"] == "2") & (keep["Klassetrin"] >= 7)).sum()
    assert moved > 0 and need["Elever"].astype(float)[1] == ((keep["Distrikt"] == "2") & (keep["Klassetrin"] <= 6)).sum()
    mb = table(path, c.TBL_MUNICIPAL).set_index("Nøgletal")["Værdi"]
    assert float(mb["Elever i 0.-9. klasse"]) == len(keep)
    texts = _sheet_texts(path, c.SHEET_BENCHMARK)
    n_none = int(keep["Distrikt"].isna().sum())
    assert any(f"Tabel 4.1 tæller alle kommunens {len(keep)} elever i 0.-9. klasse, også de {n_none} elever uden distrikt"
               in t for t in texts)
    assert any(f"Tabel 5.1 tæller de {len(keep) - n_none} elever" in t and "budgetdistriktet" in t
               for t in _sheet_texts(path, c.SHEET_NEED))
    log = table(path, c.TBL_LOG)
    warnings = " ".join(str(v) for v in log.loc[log["Felt"] == "Advarsel", "Værdi"])
    assert "uden distrikt" in warnings and "Distrikt 2, 7.-9. klasse → distrikt 1" in warnings
    assert outcome.result.without_district == n_none


def _sheet_texts(path, sheet) -> list[str]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [str(r[0]) for r in rows if r and isinstance(r[0], str)]


def test_workbook_bad_plan_names_sheet_and_row_and_writes_nothing(tmp_path):
    from tildeling.workbook.need.run import run_workbook
    from tildeling.workbook.need.template import write_template
    from wbtools import SETTINGS

    pupils, districts = _helsingoer(200)
    plan = pd.DataFrame({"Distrikt": ["4", "4"], "Fra klassetrin": [7, 8], "Til klassetrin": [9, 9],
                         "Budgetdistrikt": ["1", "7"]})
    path = tmp_path / "bad.xlsx"
    write_template(path, pupils=pupils, districts=districts, settings=SETTINGS, plan=plan)
    before = path.read_bytes()
    with pytest.raises(InputError) as err:
        run_workbook(path)
    text = str(err.value)
    assert text.startswith("Der er 2 problemer i inddata")
    assert "Arket 'Distrikter' (tabellen tblDistriktsplan), kolonne 'Budgetdistrikt', række 5: ukendt distrikt '7'" \
        in text
    assert "kolonne 'Fra klassetrin', rækkerne 4 og 5: reglerne for distrikt '4' overlapper" in text
    assert path.read_bytes() == before


def test_cli_apply_with_district_plan(tmp_path):
    from tildeling.cli import main
    from tildeling.io.coefficients import write_coefficients
    from tildeling.workbook.need.template import demo_coefficients

    pupils, districts = _helsingoer(600)
    pupils.to_csv(tmp_path / "elever.csv", sep=";", decimal=",", index=False)
    districts.to_csv(tmp_path / "distrikter.csv", sep=";", index=False)
    pd.DataFrame({"Distrikt": [2], "Fra klassetrin": [7], "Til klassetrin": [9], "Budgetdistrikt": [1]}).to_csv(
        tmp_path / "plan.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp_path / "k.csv")
    out = tmp_path / "res"
    assert main(["apply", str(tmp_path / "elever.csv"), str(tmp_path / "k.csv"), "--distrikter",
                 str(tmp_path / "distrikter.csv"), "--distriktsplan", str(tmp_path / "plan.csv"), "--out", str(out),
                 "--quiet"]) == 0
    need = pd.read_csv(out / "Distriktsbehov.csv", sep=";", decimal=",", dtype={"Distrikt": str})
    core = apply_model(pupils, demo_coefficients(), districts,
                       plan=pd.DataFrame({"Distrikt": ["2"], "Fra klassetrin": [7], "Til klassetrin": [9],
                                          "Budgetdistrikt": ["1"]}))
    np.testing.assert_array_equal(need["Elever"], core.districts["Elever"])
    pd.DataFrame({"Distrikt": [2], "Fra klassetrin": [7], "Til klassetrin": [12], "Budgetdistrikt": [1]}).to_csv(
        tmp_path / "plan.csv", sep=";", index=False)
    assert main(["apply", str(tmp_path / "elever.csv"), str(tmp_path / "k.csv"), "--distrikter",
                 str(tmp_path / "distrikter.csv"), "--distriktsplan", str(tmp_path / "plan.csv"), "--out",
                 str(tmp_path / "r2"), "--quiet"]) == 2


def test_shared_copy_stops_when_few_pupils_lack_a_district(tmp_path):
    """Tabel 4.1 counts them and Tabel 5.1 does not: 1–4 pupils would follow by subtraction."""
    from tildeling.workbook.need.share import share_workbook
    from wbtools import make_workbook

    pupils, districts = _helsingoer(300)
    pupils["Distrikt"] = pupils["Distrikt"].astype(object)
    young = pupils.index[pupils["Klassetrin"] <= 9]
    pupils.loc[young[:3], "Distrikt"] = None
    path = make_workbook(tmp_path / "s.xlsx", pupils=pupils, districts=districts)
    with pytest.raises(InputError, match="Den delbare kopi kan ikke laves: 3 elever i 0.-9. klasse har intet distrikt"):
        share_workbook(path, tmp_path / "delt.xlsx")
    assert not (tmp_path / "delt.xlsx").exists()
    pupils.loc[young[3:8], "Distrikt"] = None          # eight without a district: the copy is made
    path = make_workbook(tmp_path / "s2.xlsx", pupils=pupils, districts=districts)
    assert share_workbook(path, tmp_path / "delt2.xlsx").exists()
