"""The real shared copies (need model and absence analysis), built from synthetic data with small groups,
pass the disclosure checker; a tampered copy fails it; the threshold is a setting; a writer that cannot
clear its file writes nothing."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tildeling.cli import main
from tildeling.privacy import DisclosureError
from tildeling.synth.absence import generate_absence_data
from tildeling.workbook.absence import contract as ac
from tildeling.workbook.absence import run_workbook as run_absence, share as share_absence, write_input_workbook
from tildeling.workbook.audit import audit_package, require_clear
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.share import share_workbook

from wbtools import make_workbook, municipality, table


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def edit_cell(src: Path, dst: Path, table_name: str, row: int, column: str, value) -> Path:
    """Write ``value`` into a table cell of a copy (what a careless or malicious hand would do)."""
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        if table_name in ws.tables:
            ref = ws.tables[table_name].ref
            first = openpyxl.utils.range_boundaries(ref)
            header = [ws.cell(row=first[1], column=j).value for j in range(first[0], first[2] + 1)]
            ws.cell(row=first[1] + 1 + row, column=first[0] + header.index(column), value=value)
    wb.save(dst)
    return dst


# --- the need model ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def need(tmp_path_factory):
    """300 pupils (districts with few referrals) and a district of one pupil."""
    d = tmp_path_factory.mktemp("need")
    pupils, districts = municipality(300)
    pupils = pupils.copy()
    districts = pd.concat([districts, pd.DataFrame({"Distrikt": ["7"], "Navn": ["Lilleby"]})], ignore_index=True)
    pupils.loc[0, "Distrikt"] = "7"
    path = make_workbook(d / "behov.xlsx", pupils=pupils, districts=districts)
    run_workbook(path)
    out = share_workbook(path, d / "delt.xlsx")
    return path, out, pupils


def test_need_shared_copy_passes_the_checker(need):
    _, out, pupils = need
    assert audit_package(out, pupil_ids=pupils["ElevID"].astype(str)) == []


def test_need_group_of_one_shows_no_figure_of_its_own(need):
    _, out, _ = need
    row = table(out, c.TBL_NEED).set_index("Distrikt").loc["7"]
    assert row["Elever"] == "<5"
    for col in ("Forudsagt sandsynlighed", "Indeks", "Behovsnøgle", "Forventede segregerede elever", "Andel af elever"):
        assert row[col] in ("", None), col
    alloc = table(out, c.TBL_ALLOCATION).set_index("Distrikt").loc["7"]
    assert alloc["Budget (kr.)"] in ("", None) and alloc["Fordelingsnøgle"] in ("", None)
    counts = table(out, c.TBL_NEED)["Faktiske segregerede elever"]
    assert all(v in ("<5", "..") or float(v) == 0 or float(v) >= 5 for v in counts)


def test_need_capture_rates_and_district_shares_are_no_small_counts(need):
    """A capture rate times the segregated pupils, and a district's share times its pupils, are counts."""
    _, out, _ = need
    ok = lambda k, total: (k == 0 or k >= 5) and (total - k == 0 or total - k >= 5)  # noqa: E731
    power = table(out, c.TBL_POWER)
    a = float(table(out, c.TBL_MUNICIPAL).set_index("Nøgletal")["Værdi"]["Faktisk antal segregerede elever"])
    for col in ("10 % med laveste sandsynlighed", "10 % med højeste sandsynlighed"):
        v = power.at[0, col]
        if v not in ("", None):
            assert ok(round(float(v) * a), a), col
    desc = table(out, c.TBL_DISTRICT_DESCRIPTIVES)
    need_t = table(out, c.TBL_NEED)
    checked = 0
    for _, r in desc[desc["Enhed"] == "Andel"].iterrows():
        for name, n in zip(need_t["Navn"], need_t["Elever"]):
            v = r.get(name)
            if v in ("", None) or isinstance(n, str):
                continue
            assert ok(round(float(v) * float(n)), float(n)), (r["Beskrivelse"], name)
            checked += 1
    assert checked > 10


def test_tampered_need_copy_fails_the_checker(need, tmp_path):
    path, out, _ = need
    need_t = table(out, c.TBL_NEED)
    i = list(need_t["Faktiske segregerede elever"]).index("<5")
    bad = edit_cell(out, tmp_path / "rettet.xlsx", c.TBL_NEED, i, "Faktiske segregerede elever", 2)
    findings = audit_package(bad)
    assert any("viser 2" in f.message for f in findings)
    with pytest.raises(DisclosureError, match="kan ikke godkendes"):
        require_clear(bad)
    # a secondary cell put back makes a hidden one recoverable
    j = list(need_t["Faktiske segregerede elever"]).index("..") if ".." in list(need_t["Faktiske segregerede elever"]) else None
    if j is not None:
        true = table(path, c.TBL_NEED)["Faktiske segregerede elever"][j]
        bad2 = edit_cell(out, tmp_path / "rettet2.xlsx", c.TBL_NEED, j, "Faktiske segregerede elever", true)
        assert any(f.rule in ("skjult-kan-regnes-ud", "sum-af-skjulte") for f in audit_package(bad2))


def test_threshold_from_the_workbook_and_the_command_line(tmp_path, capsys):
    path = make_workbook(tmp_path / "t.xlsx", n=300, settings={c.MIN_CELL_NAME: 8})
    run_workbook(path)
    assert main(["share", str(path), "--out", str(tmp_path / "d8.xlsx"), "--quiet"]) == 0
    counts8 = table(tmp_path / "d8.xlsx", c.TBL_NEED)["Faktiske segregerede elever"].tolist()
    assert "<8" in counts8 and "<5" not in counts8
    assert main(["share", str(path), "--out", str(tmp_path / "d3.xlsx"), "--min-celle", "3", "--quiet"]) == 0
    counts3 = table(tmp_path / "d3.xlsx", c.TBL_NEED)["Faktiske segregerede elever"].tolist()
    assert all(v in ("<3", "..") or float(v) == 0 or float(v) >= 3 for v in counts3)
    assert sum(isinstance(v, str) for v in counts3) < sum(isinstance(v, str) for v in counts8)
    capsys.readouterr()
    for bad in ("2", "11", "fem"):
        assert main(["share", str(path), "--out", str(tmp_path / f"x{bad}.xlsx"), "--min-celle", bad]) == 2
        err = capsys.readouterr().err
        assert "--min-celle" in err and "3" in err and "10" in err and "Traceback" not in err
        assert not (tmp_path / f"x{bad}.xlsx").exists()


def test_a_copy_that_cannot_be_cleared_is_not_written(need, tmp_path, monkeypatch, capsys):
    """A writer bug (no suppression at all) is caught by the audit: exit 2, a Danish message, nothing on disk."""
    path, _, _ = need
    out = tmp_path / "delt.xlsx"
    out.write_bytes(b"den gamle fil")
    before = md5(out)
    import tildeling.privacy.checker as checker
    from tildeling.privacy import Suppressed

    monkeypatch.setattr("tildeling.workbook.need.sheets.suppress",
                        lambda tables, **kw: Suppressed(dict(tables), pd.DataFrame(columns=checker.CELL_COLUMNS)))
    assert main(["share", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "kan ikke godkendes" in err and "personer under 5" in err and "Traceback" not in err
    assert md5(out) == before


# --- the absence analysis ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def absence(tmp_path_factory):
    d = tmp_path_factory.mktemp("fravaer")
    data = generate_absence_data(n_pupils=800, n_schools=4, missing_family=6, missing_language=4,
                                 missing_absence=2, orphans=3, seed=7)
    # a rare factor: three pupils with an unknown parent (a hypothesis group of three)
    data.familie[ac.UNKNOWN_PARENT] = 0
    data.familie.loc[data.familie.index[:3], ac.UNKNOWN_PARENT] = 1
    src = write_input_workbook(d / "input.xlsx", data)
    ran = d / "analyse.xlsx"
    shutil.copy(src, ran)
    res = run_absence(ran)
    out = share_absence(ran, d / "delt.xlsx")
    return ran, out, data, res


def test_absence_shared_copy_passes_the_checker(absence):
    _, out, data, _ = absence
    ids = set(data.elever[ac.PUPIL]) | set(data.orphans["social"])
    assert audit_package(out, pupil_ids=ids) == []
    wb = openpyxl.load_workbook(out)
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)


def test_absence_outcome_counts_in_the_drill_down_are_suppressed(absence):
    _, out, _, res = absence
    dd = table(out, "tblDrilldata")
    counts = ["Elever", "Bekymrende fravær", *ac.BANDS]
    for col in counts:
        vals = [v for v in dd[col] if not isinstance(v, str) and v is not None]
        assert all(v == 0 or v >= 5 for v in vals), col
    assert (dd["Bekymrende fravær"] == "<5").any()           # outcome counts, not only group sizes
    # no row of a school and a grade together (a class, in effect)
    assert not ((dd["Skole"] != ac.ALL) & (dd["Klassetrin"] != ac.ALL)).any()


def test_absence_hypotheses_give_no_small_group_away(absence):
    _, out, _, res = absence
    h = table(out, "tblHypotesetest")
    assert not h["Begrundelse"].astype(str).str.contains(r"kun \d", regex=True).any()
    small = h["Elever med faktoren"] == "<5"
    assert small.any()
    for col in ("Bekymrende fravær med faktoren", "Forskel (procentpoint)", "Risikoratio", "Odds-ratio",
                "Justeret odds-ratio"):
        assert h.loc[small, col].isin(["", None]).all(), col


def test_tampered_absence_copy_fails_the_checker(absence, tmp_path):
    _, out, _, res = absence
    dd = table(out, "tblDrilldata")
    i = next(i for i, v in enumerate(dd["Bekymrende fravær"]) if v == "<5")
    key = tuple(dd.loc[i, ["Skole", "Klassetrin", "Faktor", "Niveau"]])
    true = res.drill.set_index(["Skole", "Klassetrin", "Faktor", "Niveau"]).loc[key, "Bekymrende fravær"]
    bad = edit_cell(out, tmp_path / "rettet.xlsx", "tblDrilldata", i, "Bekymrende fravær", int(true))
    assert any(f.rule == "lille-tal" for f in audit_package(bad))
    wb = openpyxl.load_workbook(out)
    wb[ac.SHEET_LISTS].sheet_state = "hidden"
    wb.save(tmp_path / "skjult.xlsx")
    assert any(f.rule == "skjult-ark" for f in audit_package(tmp_path / "skjult.xlsx"))


def test_absence_threshold_setting_and_option(absence, tmp_path):
    ran, _, _, _ = absence
    out = share_absence(ran, tmp_path / "d10.xlsx", threshold=10)
    x = table(out, "tblKryds1")
    assert "<10" in set(x.astype(str).to_numpy().ravel()) or all(
        not isinstance(v, (int, float)) or v == 0 or v >= 10 for v in x[list(ac.BANDS)].to_numpy().ravel())
    assert audit_package(out, threshold=10) == []


def test_need_shared_copy_with_last_year_floors_and_phase_in_passes(tmp_path):
    """Udvikling, protection against big drops, floors, a mixed key and a phase-in in a shared copy."""
    pupils, districts = municipality(300)
    d = districts.copy()
    d["Nuværende budget (kr.)"] = [2_100_000, 1_300_000, 1_700_000, 600_000, 2_000_000, 2_300_000]
    d["Gulv (kr.)"] = [0, 900_000, 0, 0, 0, 0]
    last = make_workbook(tmp_path / "sidste.xlsx", n=250, districts=d,
                         settings={"Budgetaar": 2026, "SamletBudget": 10_000_000})
    run_workbook(last)
    this = make_workbook(tmp_path / "i_aar.xlsx", pupils=pupils, districts=d,
                         settings={"Budgetaar": 2027, "Tabsgraense": -0.5, "Elevtalsvaegt": 0.3,
                                   "Indfasningsaar": 3})
    assert main(["run", str(this), "--sidste-aar", str(last), "--quiet"]) == 0
    out = tmp_path / "delt.xlsx"
    assert main(["share", str(this), "--out", str(out), "--quiet"]) == 0
    assert audit_package(out, pupil_ids=pupils["ElevID"].astype(str)) == []
    names = openpyxl.load_workbook(out).sheetnames
    assert c.SHEET_DEVELOPMENT in names
    dev = table(out, c.TBL_DEVELOPMENT)
    for col in ("Elever sidste år", "Elever i år"):
        assert all(isinstance(v, str) or float(v) == 0 or float(v) >= 5 for v in dev[col]), col
