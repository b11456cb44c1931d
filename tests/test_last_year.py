"""Last year: --sidste-aar / load_last_year, the sheet Udvikling, and the protection against big drops (live)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.need import development as D
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.last_year import read_last_year
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.template import TABLE_TOP

from test_live_budget import _edit, _lines
from wbtools import error_cells, make_workbook, municipality, parts, recalculate_many, soffice, table

CURRENT = [2_100_000, 1_300_000, 1_700_000, 600_000, 2_000_000, 2_300_000]


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    d = tmp_path_factory.mktemp("years")
    _, districts = municipality(800)
    districts = districts.copy()
    districts["Nuværende budget (kr.)"] = CURRENT
    last = make_workbook(d / "last.xlsx", n=700, districts=districts,
                         settings={"Budgetaar": 2026, "Skoleaar": "2024/25", "SamletBudget": 8_000_000})
    run_workbook(last)
    this = make_workbook(d / "this.xlsx", n=800, districts=districts,
                         settings={"Budgetaar": 2027, "Skoleaar": "2025/26", "Tabsgraense": -0.02})
    return d, last, this


def test_cli_run_with_last_year_fills_the_sheet_and_compares(years, tmp_path):
    d, last, this = years
    path = tmp_path / "this.xlsx"
    shutil.copy(this, path)
    assert main(["run", str(path), "--sidste-aar", str(last), "--quiet"]) == 0
    got = table(path, c.TBL_LAST_YEAR)
    want = table(last, c.TBL_ALLOCATION)
    assert list(got.columns) == ["Distrikt", "Elever", "Behovsnøgle", "Budget (kr.)"]
    assert got["Budget (kr.)"].astype(float).tolist() == want["Budget (kr.)"].astype(float).tolist()
    np.testing.assert_allclose(got["Behovsnøgle"].astype(float), want["Behovsnøgle"].astype(float), rtol=1e-12)
    dev = table(path, c.TBL_DEVELOPMENT)
    assert list(dev.columns[:2]) == ["Distrikt", "Navn"] and list(dev.columns[2:16]) == list(D.DEVELOPMENT_COLUMNS)
    # the decomposition adds up: pupils + need per pupil + model = the change in key
    parts_sum = dev[[D.PART_PUPILS, D.PART_NEED, D.PART_MODEL]].astype(float).sum(axis=1)
    np.testing.assert_allclose(parts_sum, dev[D.DK].astype(float), atol=1e-12)
    # the same coefficient table both years: the model has no effect
    assert (dev[D.PART_MODEL].astype(float) == 0).all()
    change = dev[D.B1].astype(float) - dev[D.B0].astype(float)
    assert dev[D.CHANGE].astype(float).tolist() == change.tolist()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.index(c.SHEET_LAST_YEAR) < wb.sheetnames.index(c.SHEET_NEED)
    assert wb[c.SHEET_DEVELOPMENT]._charts, "Udvikling has a chart of the change"
    # every formula cell has a saved value (blank results as the empty string): nothing looks uncalculated
    from tildeling.workbook.tables import read_tables
    assert read_tables(path.read_bytes()).table_problems == {}
    # the run without --sidste-aar reads the sheet again and leaves it as it is
    before = parts(path)
    run_workbook(path)
    from tildeling.workbook.graft import read_package_names
    part = read_package_names(open(path, "rb").read())[c.SHEET_LAST_YEAR]
    assert parts(path)[part] == before[part]


def test_last_year_from_a_delivery_and_bad_files(tmp_path):
    delivery = tmp_path / "leverance.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Distrikt", "Navn", "Elever", "Forventede elever", "Faktiske elever"])
    for row in (["1", "A", 100, 3.0, 4], ["2", "B", 300, 9.0, 8]):
        ws.append(row)
    from openpyxl.worksheet.table import Table
    ws.add_table(Table(displayName="tblDistriktstal", ref="A1:E3"))
    wb.save(delivery)
    imp = read_last_year(delivery)
    assert imp.frame["Behovsnøgle"].tolist() == [0.25, 0.75]
    assert imp.frame["Budget (kr.)"].isna().all()
    assert "(leverance" in imp.origin and any("intet budget" in n for n in imp.notes)
    other = tmp_path / "andet.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(InputError, match="indeholder hverken en fordeling"):
        read_last_year(other)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")
def test_udvikling_and_protection_are_live(years, tmp_path):
    d, last, this = years
    base = tmp_path / "base.xlsx"
    shutil.copy(this, base)
    run_workbook(base, last_year=last)
    # make last year's budget of district 1 high, so that it would lose far more than 2 % per pupil
    wb = openpyxl.load_workbook(base)
    ws = wb[c.SHEET_LAST_YEAR]
    header = {cell.value: cell.column for cell in ws[TABLE_TOP]}
    ws.cell(row=TABLE_TOP + 1, column=header["Budget (kr.)"]).value = 2_000_000
    wb.save(base)
    run_workbook(base)
    variants = {
        "protected": {"SamletBudget": 10_500_000},
        "five_percent_mixed": {"Tabsgraense": -0.05, "Elevtalsvaegt": 0.3},
        "no_protection": {"Tabsgraense": None, "Indfasningsaar": 0},
    }
    copies = []
    for name, settings in variants.items():
        path = tmp_path / f"{name}.xlsx"
        shutil.copy(base, path)
        _edit(path, settings, {})
        copies.append(path)
    outs = recalculate_many(copies, tmp_path / "lo", danish=True)
    for path, lo in zip(copies, outs):
        assert error_cells(lo) == [], path.name
        expected = run_workbook(path, tmp_path / f"py_{path.name}")
        got, want = table(lo, c.TBL_ALLOCATION), table(tmp_path / f"py_{path.name}", c.TBL_ALLOCATION)
        for col in ("Budget (kr.)", "Budget før beskyttelse (kr.)", "Beskyttelse (kr.)"):
            assert got[col].astype(float).tolist() == want[col].astype(float).tolist(), (path.name, col)
        assert got["Budget (kr.)"].astype(float).tolist() == expected.allocation.table["Budget (kr.)"].tolist()
        gd, wd = table(lo, c.TBL_DEVELOPMENT), table(tmp_path / f"py_{path.name}", c.TBL_DEVELOPMENT)
        for col in D.DEVELOPMENT_COLUMNS:
            g = pd.to_numeric(gd[col], errors="coerce").to_numpy(float)
            w = pd.to_numeric(wd[col], errors="coerce").to_numpy(float)
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9, err_msg=f"{path.name} {col}")
        assert [x for x in _lines(lo) if x] == [x for x in _lines(tmp_path / f"py_{path.name}") if x]
    protected = table(outs[0], c.TBL_ALLOCATION).set_index("Distrikt")
    assert protected.loc["1", "Beskyttelse (kr.)"] > 0          # district 1 is lifted …
    assert protected["Beskyttelse (kr.)"].astype(float).sum() == 0   # … paid for by the others
    lines = "\n".join(_lines(outs[0]))
    assert "Beskyttelse mod store fald: intet distrikt får mere end 2 % mindre pr. elev end sidste år; 1 distrikt " \
           "er løftet op til grænsen" in lines
    assert (table(outs[2], c.TBL_ALLOCATION)["Beskyttelse (kr.)"].astype(float) == 0).all()
