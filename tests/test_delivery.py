"""The analyst's delivery and the budget officer's workbook on district figures.

Round trip (export → new --leverance → run gives the pupil route's key), what a delivery may never hold (pupil
rows, IDs, counts of 1 to N − 1 persons – checked against counts recomputed from the pupils, and by an attack
on the hidden cells from the file alone), the stops, bad deliveries, typed district figures, all municipalities.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.io.coefficients import demo_coefficients, write_coefficients
from tildeling.need.apply import apply_model
from tildeling.need.budget import BudgetOptions, allocate
from tildeling.spec import VarType
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.share import share_workbook

from wbtools import error_cells, municipality, parts, recalculate, soffice, table

PLAN = pd.DataFrame({"Distrikt": ["2"], "Fra klassetrin": [7], "Til klassetrin": [9], "Budgetdistrikt": ["1"]})


def _files(tmp: Path, pupils: pd.DataFrame, districts: pd.DataFrame, plan: pd.DataFrame | None = None):
    pupils.to_parquet(tmp / "elever.parquet", index=False)
    districts.to_csv(tmp / "distrikter.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp / "koef.csv")
    args = [str(tmp / "elever.parquet"), str(tmp / "koef.csv"), "--distrikter", str(tmp / "distrikter.csv")]
    if plan is not None:
        plan.to_csv(tmp / "plan.csv", sep=";", index=False)
        args += ["--distriktsplan", str(tmp / "plan.csv")]
    return args


def _helsingoer(n=None, blank=0):
    pupils, districts = municipality(n)
    pupils = pupils.copy()
    pupils["Distrikt"] = pupils["Distrikt"].astype(object)
    if blank:   # pupils in grades 0–9 without a district
        young = pupils.index[pupils["Klassetrin"] <= 9]
        pupils.loc[young[::max(1, len(young) // blank)][:blank], "Distrikt"] = None
    return pupils, districts


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    """The whole synthetic Helsingør with 40 pupils without a district and a district plan."""
    tmp = tmp_path_factory.mktemp("roundtrip")
    pupils, districts = _helsingoer(blank=40)
    args = _files(tmp, pupils, districts, PLAN)
    assert main(["export", *args, "--kommune", "217", "--skoleaar", "2015/16", "--out", str(tmp / "lev.xlsx"),
                 "--quiet"]) == 0
    assert main(["new", "behovsmodel", "--leverance", str(tmp / "lev.xlsx"), "--out", str(tmp / "bud.xlsx"),
                 "--quiet"]) == 0
    wb = openpyxl.load_workbook(tmp / "bud.xlsx")
    wb[c.SHEET_SETTINGS]["B6"] = 50_000_000     # SamletBudget, as a budget officer types it
    wb.save(tmp / "bud.xlsx")
    assert main(["run", str(tmp / "bud.xlsx"), "--quiet"]) == 0
    core = apply_model(pupils, demo_coefficients(), districts, plan=PLAN)
    return tmp, pupils, districts, core


def test_key_and_budget_equal_the_pupil_route(roundtrip):
    tmp, pupils, districts, core = roundtrip
    need = table(tmp / "bud.xlsx", c.TBL_NEED)
    assert list(need["Distrikt"].astype(str)) == list(core.districts["Distrikt"])
    np.testing.assert_allclose(need["Behovsnøgle"].astype(float), core.districts["Behovsnøgle"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(need["Indeks"].astype(float), core.districts["Indeks"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(need["Elever"].astype(float), core.districts["Elever"])
    alloc = table(tmp / "bud.xlsx", c.TBL_ALLOCATION)
    expected = allocate(core.districts, BudgetOptions(total=50_000_000)).table
    assert alloc["Budget (kr.)"].astype(float).tolist() == expected["Budget (kr.)"].astype(float).tolist()
    # Tabel 4.1 counts every pupil (also the 40 without a district); Tabel 5.1 only those with one
    mb = table(tmp / "bud.xlsx", c.TBL_MUNICIPAL).set_index("Nøgletal")["Værdi"]
    want = core.municipal.set_index("Nøgletal")["Værdi"]
    for key in ("Elever i 0.-9. klasse", "Faktisk antal segregerede elever", "Forventet antal segregerede elever",
                "Forskel, elever (faktisk − forventet)"):
        assert float(mb[key]) == pytest.approx(float(want[key]), abs=1e-9), key
    assert need["Elever"].astype(float).sum() == float(want["Elever i 0.-9. klasse"]) - 40
    ext = table(tmp / "bud.xlsx", c.TBL_EXTERNAL)
    np.testing.assert_allclose(ext["Forventet henvisningsandel"].astype(float), core.external[
        "Forventet henvisningsandel"], atol=1e-12)


def test_the_district_workbook_says_where_its_figures_come_from(roundtrip):
    tmp, *_ = roundtrip
    wb = CalamineWorkbook.from_path(str(tmp / "bud.xlsx"))
    assert wb.sheet_names[:4] == [c.SHEET_GUIDE, c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_DISTRICT_FIGURES]
    settings = table(tmp / "bud.xlsx", c.TBL_SETTINGS).set_index("Navn")["Værdi"]
    assert settings["Kommune"] == "Helsingør" and settings["Skoleaar"] == "2015/16"
    assert table(tmp / "bud.xlsx", c.TBL_DISTRICTS)["Distrikt"].astype(str).tolist() == list("123456")
    log = table(tmp / "bud.xlsx", c.TBL_LOG).set_index("Felt")["Værdi"]
    assert "distriktstal på arket Distriktstal" in log["Regnet på"]
    assert "leverancen" in log["Koefficientkilde"] and demo_coefficients().fingerprint() in log["Koefficientkilde"]
    for sheet in c.OUTPUT_SHEETS:           # made with the demonstration coefficients: the banner everywhere
        rows = wb.get_sheet_by_name(sheet).to_python()
        assert rows[1][0] == c.DEMO_BANNER, sheet
    rows = wb.get_sheet_by_name(c.SHEET_BENCHMARK).to_python()
    assert any("også de 40 elever uden distrikt" in str(r[0]) for r in rows)


def _delivery_tables(path) -> dict[str, pd.DataFrame]:
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    out = {}
    for name in wb.table_names:
        t = wb.get_table_by_name(name)
        out[name] = pd.DataFrame(t.to_python(), columns=[str(x) for x in t.columns])
    return out


SMALL = re.compile(r"^<\d+$")


def _is_hidden(v) -> bool:
    return isinstance(v, str) and (v == ".." or bool(SMALL.match(v)))


def _indicator(pupils: pd.DataFrame, variable: str, category, spec) -> np.ndarray:
    """Each pupil's value behind a descriptive row, recomputed from the raw pupil columns."""
    var = spec[variable]
    if var.type is VarType.BINARY:
        return pupils[variable].to_numpy(dtype=float)
    if var.type is VarType.CATEGORICAL:
        return (pupils[variable].astype(str) == str(category)).to_numpy(dtype=float)
    if var.type is VarType.BANDED:
        cat = next(k for k in var.categories if k.label == category)
        return np.array([cat.contains(v) for v in pupils[variable].to_numpy(dtype=float)], dtype=float)
    if var.display_key and var.display_key in pupils:
        return pupils[var.display_key].to_numpy(dtype=float)
    return pupils[variable].to_numpy(dtype=float)


def check_no_small_counts(path, pupils: pd.DataFrame, districts: pd.DataFrame, N: int, plan=None) -> int:
    """Every count of 1 … N − 1 persons behind a cell of the delivery is hidden – recomputed from the pupils.

    Returns the number of cells that had to be hidden (so that a test can see the check was not empty)."""
    t = _delivery_tables(path)
    spec = demo_coefficients().spec
    keep = pupils[pupils["Klassetrin"] <= 9].reset_index(drop=True)
    live = keep["Distrikt"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    budget = live.copy()
    if plan is not None:
        for _, r in plan.iterrows():
            hit = (live == str(r["Distrikt"])) & keep["Klassetrin"].between(r["Fra klassetrin"], r["Til klassetrin"])
            budget[hit] = str(r["Budgetdistrikt"])
    hidden = 0
    d = t[c.TBL_DISTRICT_FIGURES].set_index(t[c.TBL_DISTRICT_FIGURES]["Distrikt"].astype(str))
    for code, row in d.iterrows():
        m = (budget == code).to_numpy()
        n, a = int(m.sum()), int(keep["Segregeret"].to_numpy()[m].sum())
        assert float(row["Elever"]) == n and (n == 0 or n >= N)
        if 0 < a < N or 0 < n - a < N:
            assert _is_hidden(row["Faktiske elever"]), (code, a, n)
            hidden += 1
        elif not _is_hidden(row["Faktiske elever"]):
            assert float(row["Faktiske elever"]) == a
    m = t[c.TBL_MUNICIPAL_FIGURES].iloc[0]
    A = int(keep["Segregeret"].sum())
    assert float(m["Elever"]) == len(keep)
    if 0 < A < N or 0 < len(keep) - A < N:
        assert _is_hidden(m["Faktiske elever"])
    else:   # shown, or hidden because no other cell could protect a hidden one (then it is listed)
        assert _is_hidden(m["Faktiske elever"]) or float(m["Faktiske elever"]) == A
    none = int((budget == "").sum())
    assert float(m["Elever uden distrikt"]) == none and (none == 0 or none >= N)
    # descriptives: a share (or mean) over too few persons is never shown
    long = t[c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES]
    for _, r in long.iterrows():
        x = _indicator(keep, r["Variabel"], r["Kategori"], spec)
        m = (budget == str(r["Distrikt"])).to_numpy() & np.isfinite(x)
        binary = np.isin(x[np.isfinite(x)], (0, 1)).all()
        ones = int(x[m].sum()) if binary else None
        small = (0 < ones < N or 0 < m.sum() - ones < N) if binary else 0 < m.sum() < N
        if small:
            assert _is_hidden(r["Gennemsnit"]), (r["Distrikt"], r["Beskrivelse"])
            hidden += 1
        elif not _is_hidden(r["Gennemsnit"]) and r["Gennemsnit"] not in (None, ""):
            assert float(r["Gennemsnit"]) == pytest.approx(x[m].mean(), rel=1e-9)
    # capture rates: recomputed from the pupils' probabilities
    p = demo_coefficients().predict(keep)
    order = np.argsort(p, kind="stable")
    k = int(round(0.1 * len(keep)))
    low = int(keep["Segregeret"].to_numpy()[order][:k].sum())
    high = int(keep["Segregeret"].to_numpy()[order][len(keep) - k:].sum())
    power = t[c.TBL_DELIVERY_POWER].iloc[0]
    for captured, column in ((low, "10 % med laveste sandsynlighed"), (high, "10 % med højeste sandsynlighed")):
        if 0 < captured < N or 0 < k - captured < N:
            assert _is_hidden(power[column]), column
            hidden += 1
    return hidden


def attack(path, N: int) -> None:
    """From the file alone: the districts' shown counts, the municipality's total and the labels of the hidden
    cells. Every value a primary cell's label allows must stay possible (dynamic programming over sums)."""
    t = _delivery_tables(path)
    d, m, s = t[c.TBL_DISTRICT_FIGURES], t[c.TBL_MUNICIPAL_FIGURES].iloc[0], t[c.TBL_SUPPRESSED]
    if _is_hidden(m["Faktiske elever"]):
        return                                          # no total published: nothing to subtract from
    rules = {}
    for _, r in s[s["Tabel"] == c.TBL_DISTRICT_FIGURES].iterrows():
        rules[str(r["Række"]).split(" ")[0]] = r["Regel"]
    rest_rule = next((r["Regel"] for _, r in s.iterrows() if r["Række"] == "Elever uden distrikt"), None)

    def domain(rule, size):
        if rule is None or rule.startswith("Sekundær"):
            return [v for v in range(size + 1) if not (0 < v < N or 0 < size - v < N)]
        if "uden egenskaben" in rule:
            return [v for v in range(size + 1) if 0 < size - v < N]
        return [v for v in range(1, min(N - 1, size) + 1)]

    cells, kinds = [], []
    shown = 0
    for _, r in d.iterrows():
        n = int(float(r["Elever"]))
        if _is_hidden(r["Faktiske elever"]):
            rule = rules[str(r["Distrikt"])]
            cells.append(domain(rule, n))
            kinds.append(rule)
        else:
            shown += int(float(r["Faktiske elever"]))
    none = int(float(m["Elever uden distrikt"]))
    if none:
        cells.append(domain(rest_rule, none))
        kinds.append(rest_rule)
    target = int(float(m["Faktiske elever"])) - shown
    for k, kind in enumerate(kinds):
        if kind is None or kind.startswith("Sekundær"):
            continue
        others = {0}
        for i, dom in enumerate(cells):
            if i != k:
                others = {a + v for a in others for v in dom if a + v <= target}
        possible = {v for v in cells[k] if target - v in others}
        assert possible == set(cells[k]), (kind, sorted(possible), cells[k])


def check_package(path, pupils: pd.DataFrame) -> None:
    """No pupil ID and no pupil-level table anywhere in the package."""
    ids = set(pupils["ElevID"].astype(str))
    for name, data in parts(path).items():
        text = data.decode("utf-8", errors="ignore")
        found = [i for i in ids if i in text]
        assert not found, (name, found[:3])
        assert "tblElever" not in text and "<t>ElevID</t>" not in text, name   # no pupil table, no ID column
    for name, frame in _delivery_tables(path).items():
        assert len(frame) <= 200, name     # aggregates: districts × variables, never pupils


@pytest.mark.parametrize("n, blank, N", [(None, 40, 5), (400, 0, 5), (400, 12, 3), (900, 30, 10), (250, 0, 5)])
def test_a_delivery_holds_no_pupil_and_no_small_count(tmp_path, n, blank, N):
    pupils, districts = _helsingoer(n, blank)
    plan = PLAN if n == 900 else None
    args = _files(tmp_path, pupils, districts, plan)
    out = tmp_path / "lev.xlsx"
    assert main(["export", *args, "--kommune", "217", "--min-celle", str(N), "--out", str(out), "--quiet"]) == 0
    check_package(out, pupils)
    hidden = check_no_small_counts(out, pupils, districts, N, plan)
    if n in (400, 250):
        assert hidden > 0                       # small samples: the rule really had something to hide
    attack(out, N)
    meta = _delivery_tables(out)[c.TBL_DELIVERY].set_index("Nøgle")["Værdi"]
    assert meta["Mindste celle"] == str(N) and meta["Kommune"] == "217" and meta["Demonstrationskoefficienter"] == "Ja"
    assert meta["Koefficienternes fingeraftryk"] == demo_coefficients().fingerprint()
    tables = _delivery_tables(out)
    listed = tables[c.TBL_SUPPRESSED]
    listed = listed[listed["Vist som"] != "(ikke vist)"]     # the group without a district has no cell of its own
    shown = [v for name, t in tables.items() if name != c.TBL_SUPPRESSED for v in t.to_numpy().ravel()
             if _is_hidden(v)]
    assert len(listed) == len(shown)           # every hidden cell is listed with its rule


def test_attack_on_many_small_municipalities(tmp_path):
    """Many random small samples: hidden counts can never be narrowed down from the file."""
    pupils_all, districts = _helsingoer()
    write_coefficients(demo_coefficients(), tmp_path / "koef.csv")
    districts.to_csv(tmp_path / "d.csv", sep=";", index=False)
    from tildeling.need.delivery import make_delivery
    from tildeling.workbook.need.delivery import write_delivery

    coefs = demo_coefficients()
    done = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        sample = pupils_all.sample(n=int(rng.integers(150, 500)), random_state=seed).reset_index(drop=True)
        sample.loc[rng.random(len(sample)) < 0.04, "Distrikt"] = None
        try:
            dl = make_delivery(apply_model(sample, coefs, districts), municipality="217", name="Helsingør",
                               threshold=int(rng.integers(3, 8)))
        except InputError:
            continue                             # a district or the group without one is too small: stops
        path = write_delivery(dl, tmp_path / f"l{seed}.xlsx")
        check_no_small_counts(path, sample, districts, dl.threshold)
        attack(path, dl.threshold)
        done += 1
    assert done >= 6


def test_a_small_district_stops_the_export_and_a_plan_merges_it(tmp_path, capsys):
    pupils, districts = _helsingoer(600)
    pupils.loc[pupils.index[:3], "Distrikt"] = "7"
    districts = pd.concat([districts, pd.DataFrame({"Distrikt": ["7"], "Navn": ["Lille distrikt"]})])
    args = _files(tmp_path, pupils, districts)
    out = tmp_path / "lev.xlsx"
    assert main(["export", *args, "--kommune", "217", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Distrikt 7 (Lille distrikt) har kun 3 elever i 0.-9. klasse – færre end grænsen på 5" in err
    assert "distriktsplanen (--distriktsplan)" in err and "'7;0;9;<nabodistrikt>'" in err
    assert not out.exists() and "Traceback" not in err
    plan = pd.DataFrame({"Distrikt": ["7"], "Fra klassetrin": [0], "Til klassetrin": [9], "Budgetdistrikt": ["3"]})
    args = _files(tmp_path, pupils, districts, plan)
    assert main(["export", *args, "--kommune", "217", "--out", str(out), "--quiet"]) == 0
    d = _delivery_tables(out)[c.TBL_DISTRICT_FIGURES].set_index("Distrikt")
    assert float(d.loc["7", "Elever"]) == 0


def test_too_few_pupils_without_a_district_stop_the_export(tmp_path, capsys):
    pupils, districts = _helsingoer(600)
    pupils.loc[pupils.index[:2], "Distrikt"] = None
    args = _files(tmp_path, pupils, districts)
    assert main(["export", *args, "--kommune", "217", "--out", str(tmp_path / "l.xlsx"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "2 elever i 0.-9. klasse har intet distrikt – færre end grænsen på 5" in err


@pytest.mark.parametrize("value", ["2", "11"])
def test_threshold_from_3_to_10(tmp_path, capsys, value):
    pupils, districts = _helsingoer(300)
    args = _files(tmp_path, pupils, districts)
    assert main(["export", *args, "--kommune", "217", "--min-celle", value, "--out", str(tmp_path / "l.xlsx"),
                 "--quiet"]) == 2
    assert "Mindste celle (--min-celle) skal være et helt tal fra 3 til 10" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# Bad deliveries: a Danish message with sheet, column and row, and nothing written
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lev")
    pupils, districts = _helsingoer(800)
    args = _files(tmp, pupils, districts)
    assert main(["export", *args, "--kommune", "217", "--out", str(tmp / "lev.xlsx"), "--quiet"]) == 0
    return tmp / "lev.xlsx"


def _edit_table(src: Path, dst: Path, table_name: str, column: str, row: int, value) -> int:
    """Set ``column`` of body row ``row`` (0-based) of an Excel table; returns the sheet row number."""
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        if table_name in ws.tables:
            ref = ws.tables[table_name].ref
            top = int(re.findall(r"\d+", ref)[0])
            left = openpyxl.utils.column_index_from_string(re.match(r"[A-Z]+", ref).group())
            header = [ws.cell(row=top, column=left + j).value for j in range(40)]
            ws.cell(row=top + 1 + row, column=left + header.index(column)).value = value
            wb.save(dst)
            return top + 1 + row
    raise KeyError(table_name)


@pytest.mark.parametrize("table_name, column, row, value, message", [
    (c.TBL_DISTRICT_FIGURES, "Elever", 1, 500,
     "Arket 'Distriktstal' \\(tabellen tblKommunetal\\), kolonne 'Elever', række {mrow}: kommunens 778 elever er "
     "ikke distrikternes .* tallene hænger ikke sammen"),
    (c.TBL_DISTRICT_FIGURES, "Forventede elever", 2, 3.5,
     "kolonne 'Forventede elever', række {mrow}: kommunens forventede elever .* passer ikke med distrikternes"),
    (c.TBL_DISTRICT_FIGURES, "Forventede elever", 0, "mange",
     "Arket 'Distriktstal' \\(tabellen tblDistriktstal\\), kolonne 'Forventede elever', række {row}: tekst "
     "\\('mange'\\) hvor der skal stå et tal"),
    (c.TBL_DISTRICT_FIGURES, "Elever", 3, 2.5, "kolonne 'Elever', række {row}: et antal elever skal være et helt tal"),
    (c.TBL_DISTRICT_FIGURES, "Distrikt", 4, "1", "kolonne 'Distrikt', rækkerne .*: samme distriktskode står flere"),
    (c.TBL_MUNICIPAL_FIGURES, "Faktiske elever", 0, 1,
     "kolonne 'Faktiske elever', række {mrow}: kommunens 1 faktiske elever er færre end distrikternes"),
])
def test_an_edited_delivery_is_refused_and_nothing_is_written(delivery, tmp_path, capsys, table_name, column, row,
                                                              value, message):
    edited = tmp_path / "rettet.xlsx"
    sheet_row = _edit_table(delivery, edited, table_name, column, row, value)
    mrow = _edit_table(edited, tmp_path / "probe.xlsx", c.TBL_MUNICIPAL_FIGURES, "Kommune", 0, "217")
    out = tmp_path / "bud.xlsx"
    assert main(["new", "behovsmodel", "--leverance", str(edited), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert re.search(message.format(row=sheet_row, mrow=mrow), err), err
    assert not out.exists() and "Traceback" not in err


def test_not_a_delivery(tmp_path, capsys):
    from tildeling.workbook.need.template import write_template

    write_template(tmp_path / "behov.xlsx")
    assert main(["new", "behovsmodel", "--leverance", str(tmp_path / "behov.xlsx"), "--out",
                 str(tmp_path / "x.xlsx"), "--quiet"]) == 2
    assert "er en behovsmodel-projektmappe, ikke en leverance" in capsys.readouterr().err
    (tmp_path / "skrald.xlsx").write_bytes(b"not a zip")
    assert main(["new", "behovsmodel", "--leverance", str(tmp_path / "skrald.xlsx"), "--out",
                 str(tmp_path / "x.xlsx"), "--quiet"]) == 2
    assert "er ikke en Excel-projektmappe" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_a_delivery_from_another_municipality_is_refused(delivery, tmp_path):
    out = tmp_path / "bud.xlsx"
    assert main(["new", "behovsmodel", "--leverance", str(delivery), "--out", str(out), "--quiet"]) == 0
    wb = openpyxl.load_workbook(out)
    wb[c.SHEET_SETTINGS]["B6"] = 1_000_000          # SamletBudget
    wb[c.SHEET_SETTINGS]["B4"] = "Faxe Kommune"     # Kommune
    wb.save(out)
    before = out.read_bytes()
    with pytest.raises(InputError, match="distriktstallene er fra Helsingør \\(217\\), men projektmappen er til "
                                         "'Faxe Kommune' \\(arket Indstillinger, Kommune\\)"):
        run_workbook(out)
    assert out.read_bytes() == before
    for same in ("Helsingør Kommune", "helsingør", "217"):
        wb[c.SHEET_SETTINGS]["B4"] = same
        wb.save(out)
        run_workbook(out)


def test_an_edited_district_workbook_is_refused(delivery, tmp_path):
    out = tmp_path / "bud.xlsx"
    assert main(["new", "behovsmodel", "--leverance", str(delivery), "--out", str(out), "--quiet"]) == 0
    wb = openpyxl.load_workbook(out)
    wb[c.SHEET_SETTINGS]["B6"] = 1_000_000          # SamletBudget
    wb.save(out)
    row = _edit_table(out, out, c.TBL_DISTRICT_FIGURES, "Forventede elever", 0, 99.0)
    before = out.read_bytes()
    with pytest.raises(InputError, match="tblKommunetal.*kolonne 'Forventede elever'.*hænger ikke sammen"):
        run_workbook(out)
    assert out.read_bytes() == before and row > 0


# ------------------------------------------------------------------------------------------------
# District figures typed in by the budget officer; the shared copy; LibreOffice
# ------------------------------------------------------------------------------------------------
def test_typed_district_figures(tmp_path):
    from tildeling.workbook.need.template import write_template

    path = tmp_path / "tastet.xlsx"
    write_template(path, settings={"Kommune": "Testby", "SamletBudget": 1_000_000})
    wb = openpyxl.load_workbook(path)
    ws = wb[c.SHEET_DISTRICT_FIGURES]
    top = int(re.findall(r"\d+", ws.tables[c.TBL_DISTRICT_FIGURES].ref)[0])
    for i, row in enumerate([("A", "Nord", 400, 12.5, 10), ("B", "Syd", 250, 10.0, "<5"), ("C", "Vest", 350, 7.5, 9)]):
        for j, v in enumerate(row):
            ws.cell(row=top + 1 + i, column=1 + j).value = v
    wb.save(path)
    outcome = run_workbook(path)
    need = table(path, c.TBL_NEED).set_index("Distrikt")
    np.testing.assert_allclose(need["Behovsnøgle"].astype(float), [12.5 / 30, 10 / 30, 7.5 / 30], atol=1e-12)
    assert need.loc["B", "Faktiske segregerede elever"] == "<5"
    assert need.loc["A", "Faktisk andel af segregerede elever"] == ".."    # the total of the districts is unknown
    ext = table(path, c.TBL_EXTERNAL).set_index("Distrikt")
    assert float(ext.loc["A", "Faktisk henvisningsandel"]) == pytest.approx(10 / 400)
    assert ext.loc["B", "Faktisk henvisningsandel"] == ".."
    mb = table(path, c.TBL_MUNICIPAL).set_index("Nøgletal")["Værdi"]
    assert float(mb["Elever i 0.-9. klasse"]) == 1000 and float(mb["Forventet antal segregerede elever"]) == 30
    assert float(table(path, c.TBL_ALLOCATION)["Budget (kr.)"].astype(float).sum()) == 1_000_000
    assert not outcome.demo                                   # typed figures are no demonstration


def test_shared_copy_of_a_district_workbook(roundtrip, tmp_path):
    src, pupils, *_ = roundtrip
    out = share_workbook(src / "bud.xlsx", tmp_path / "delt.xlsx")
    wb = openpyxl.load_workbook(out)
    assert c.SHEET_DISTRICT_FIGURES not in wb.sheetnames and c.SHEET_PUPILS not in wb.sheetnames
    assert c.DEMO_BANNER in [wb.worksheets[0].cell(row=r, column=1).value for r in (2, 3)]
    check_package(out, pupils)
    need = table(out, c.TBL_NEED)
    assert len(need) == 6


@pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")
def test_delivery_and_district_workbook_open_in_libreoffice_without_errors(roundtrip, tmp_path):
    src, *_ = roundtrip
    for f in (src / "lev.xlsx", src / "bud.xlsx"):
        out = recalculate(f, tmp_path / f"lo_{f.stem}")
        assert error_cells(out) == [], f
        assert openpyxl.load_workbook(out).sheetnames == openpyxl.load_workbook(f).sheetnames
    alloc = table(recalculate(src / "bud.xlsx", tmp_path / "lo2"), c.TBL_ALLOCATION)
    assert alloc["Budget (kr.)"].astype(float).sum() == 50_000_000


# ------------------------------------------------------------------------------------------------
# All municipalities of a national file
# ------------------------------------------------------------------------------------------------
def test_all_municipalities(tmp_path, capsys):
    from tildeling.synth.national import make_national

    data = make_national(seed=7, n_pupils=40_000)
    data.pupils.to_parquet(tmp_path / "land.parquet", index=False)
    write_coefficients(demo_coefficients(), tmp_path / "koef.csv")
    out = tmp_path / "leverancer"
    assert main(["export", str(tmp_path / "land.parquet"), str(tmp_path / "koef.csv"), "--alle-kommuner", "--out",
                 str(out), "--quiet"]) == 0
    files = sorted(out.glob("*.xlsx"))
    codes = sorted(data.pupils["Kommune"].astype(str).unique())
    assert [f.stem for f in files] == codes and len(files) == 98
    total = 0
    for f in files[:: 7]:
        t = _delivery_tables(f)
        assert t[c.TBL_MUNICIPAL_FIGURES]["Kommune"].astype(str).iloc[0] == f.stem
        total += 1
    keep = data.pupils[data.pupils["Klassetrin"] <= 9]
    n = sum(float(_delivery_tables(f)[c.TBL_MUNICIPAL_FIGURES]["Elever"].iloc[0]) for f in files)
    assert n == len(keep)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 98 and lines[0].startswith("København (101): ")


def test_all_municipalities_stop_together(tmp_path, capsys):
    from tildeling.synth.national import make_national

    data = make_national(seed=7, n_pupils=40_000)
    pupils = data.pupils.copy()
    first = pupils.index[pupils["Kommune"] == "101"][:2]
    pupils.loc[first, "Distrikt"] = "99"                     # a district of two pupils in Copenhagen
    pupils.to_parquet(tmp_path / "land.parquet", index=False)
    write_coefficients(demo_coefficients(), tmp_path / "koef.csv")
    out = tmp_path / "leverancer"
    assert main(["export", str(tmp_path / "land.parquet"), str(tmp_path / "koef.csv"), "--alle-kommuner", "--out",
                 str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Ingen leverancer er skrevet – 1 af 98 kommuner har fejl" in err
    assert "Kommune 101 (København): Leverancen kan ikke laves" in err and "Distrikt 99 har kun 2 elever" in err
    assert not out.exists() or not list(out.glob("*.xlsx"))


def test_intervals_equal_the_pupil_route(roundtrip):
    """The delivery carries Σ p̂(1 − p̂) and the key's standard error per district (not counts of persons), so the
    district workbook shows the pupil route's intervals (need/uncertainty.py)."""
    from tildeling.need import apply as A
    from tildeling.need.delivery import VARIANCE_FIGURE

    tmp, pupils, districts, core = roundtrip
    lev = table(tmp / "lev.xlsx", c.TBL_DISTRICT_FIGURES)
    np.testing.assert_allclose(lev[VARIANCE_FIGURE].astype(float), core.districts[A.VARIANCE], rtol=1e-12)
    np.testing.assert_allclose(lev[A.KEY_SE].astype(float), core.districts[A.KEY_SE], rtol=1e-12)
    need = table(tmp / "bud.xlsx", c.TBL_NEED)
    for column in (A.KEY_LOW, A.KEY_HIGH):
        np.testing.assert_allclose(need[column].astype(float), core.districts[column], rtol=0, atol=1e-9)
    ext = table(tmp / "bud.xlsx", c.TBL_EXTERNAL)
    known = pd.to_numeric(ext["Faktisk henvisningsandel"], errors="coerce").notna().to_numpy()
    assert known.any()
    for column in (A.EXT_LOW, A.EXT_HIGH):   # the sheet shows points, the core fractions
        np.testing.assert_allclose(ext.loc[known, column].astype(float),
                                   core.external.loc[known, column].astype(float) * 100, rtol=0, atol=1e-7)
    assert list(ext.loc[known, A.VERDICT]) == list(core.external.loc[known, A.VERDICT])
