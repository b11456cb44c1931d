"""Fordeling is live: what a budget officer changes in Excel gives, to the krone, what ``tildeling run`` writes.

The workbook is run once (floors, a mixed key, a phase-in, a budget year). Then, as a budget officer would,
settings and district inputs are changed in several copies; LibreOffice recalculates every copy (in a Danish
locale, as Danish Excel would format the texts), and each recalculated sheet is compared with a fresh
``tildeling run`` of the same copy: every amount to the krone, the keys to 1e-12, the Danish lines above the
tables word for word. Copies whose inputs a formula cannot handle must show it (a red status line, ``–``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook

from wbtools import edit_inputs, error_cells, make_workbook, municipality, recalculate_many, soffice, table

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")

CURRENT = [2_100_000, 1_300_000, 1_700_000, 600_000, 2_000_000, 2_300_000]
KRONER = ["Gulv (kr.)", "Budget (kr.)", "Budget efter elevtal (kr.)", "Forskel (kr.)", "Budget efter behov alene (kr.)",
          "Nuværende budget (kr.)", "Forskel til nuværende (kr.)"]
KEYS = ["Elevtalsandel", "Behovsnøgle", "Blandet nøgle", "Fordelingsnøgle"]

#: name → (settings, {district code: {column: value}})
VARIANTS = {
    "mixed_floors_total_with_oere": (
        {"SamletBudget": 12_345_678.5, "Elevtalsvaegt": 0.35, "Indfasningsaar": 2},
        {"2": {"Gulv (kr.)": 1_500_000}, "4": {"Nuværende budget (kr.)": 650_000}}),
    "head_count_only_three_floors": (
        {"SamletBudget": 7_654_321, "Elevtalsvaegt": 1},
        {"2": {"Gulv (kr.)": 1_000_000}, "3": {"Gulv (kr.)": 1_100_000}, "4": {"Gulv (kr.)": 1_200_000}}),
    "need_only_no_floors_one_year": (
        {"SamletBudget": 9_999_999, "Elevtalsvaegt": 0, "Indfasningsaar": 1},
        {"4": {"Gulv (kr.)": None}}),
    "weight_with_decimals_budget_year": (
        {"SamletBudget": 50_000_001, "Elevtalsvaegt": 0.125, "Budgetaar": 2030},
        {"1": {"Gulv (kr.)": 12_000_000}, "6": {"Nuværende budget (kr.)": 2_345_678.4}}),
    "floors_above_total": ({"SamletBudget": 1_000_000}, {"1": {"Gulv (kr.)": 900_000}}),
    "more_years_than_columns": ({"Indfasningsaar": 5}, {}),
}
STALE = {"floors_above_total", "more_years_than_columns"}


def _edit(path: Path, settings: dict, districts: dict) -> None:
    wb = openpyxl.load_workbook(path)
    edit_inputs(wb, settings, districts)
    wb.save(path)


def _lines(path: Path) -> list[str]:
    """The lines of text above and between the tables of Fordeling (their values, as last calculated)."""
    ws = openpyxl.load_workbook(path, data_only=True)[c.SHEET_ALLOCATION]
    tables = [ws.tables[t].ref for t in ws.tables]
    inside = set()
    for ref in tables:
        lo, hi = ref.split(":")
        top, bottom = int("".join(ch for ch in lo if ch.isdigit())), int("".join(ch for ch in hi if ch.isdigit()))
        inside.update(range(top, bottom + 1))
    return [str(ws.cell(row=r, column=1).value or "") for r in range(1, ws.max_row + 1) if r not in inside]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    d = tmp_path_factory.mktemp("live")
    _, districts = municipality(800)
    districts = districts.copy()
    districts["Nuværende budget (kr.)"] = CURRENT
    districts["Gulv (kr.)"] = [None, None, None, 900_000, None, None]
    base = make_workbook(d / "base.xlsx", n=800, districts=districts,
                         settings={"Budgetaar": 2027, "Skoleaar": "2025/26", "Elevtalsvaegt": 0.2,
                                   "Indfasningsaar": 3})
    run_workbook(base)
    copies = []
    for name, (settings, changes) in VARIANTS.items():
        path = d / f"{name}.xlsx"
        shutil.copy(base, path)
        _edit(path, settings, changes)
        copies.append(path)
    outs = recalculate_many(copies, d / "lo", danish=True)
    return {name: (copy, out) for name, copy, out in zip(VARIANTS, copies, outs)}


@pytest.mark.parametrize("name", [n for n in VARIANTS if n not in STALE])
def test_excel_gives_what_run_writes(recalculated, name, tmp_path):
    copy, lo = recalculated[name]
    assert error_cells(lo) == []
    expected = run_workbook(copy, tmp_path / "python.xlsx")       # the reference: a run on the changed inputs
    got = table(lo, c.TBL_ALLOCATION)
    want = table(tmp_path / "python.xlsx", c.TBL_ALLOCATION)
    assert list(got["Distrikt"]) == list(want["Distrikt"])
    for col in KRONER:
        g = [None if v in ("", None) else float(v) for v in got[col]]
        w = [None if v in ("", None) else float(v) for v in want[col]]
        assert g == w, col
    for col in KEYS:
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), rtol=0, atol=1e-12)
    core = expected.allocation.table
    assert got["Budget (kr.)"].astype(float).tolist() == core["Budget (kr.)"].astype(float).tolist()
    assert got["Budget (kr.)"].astype(float).sum() == expected.allocation.options.total_kroner
    # the phase-in: every year to the krone, the year totals too
    phase = expected.allocation.phase_in
    lo_phase = table(lo, c.TBL_PHASE_IN)
    if phase is None:
        assert c.TBL_PHASE_IN not in openpyxl.load_workbook(copy)[c.SHEET_ALLOCATION].tables
    else:
        body = phase[phase["Distrikt"] != "I alt"]
        years = [col for col in body.columns if col.startswith("År ")]
        lo_years = [col for col in lo_phase.columns if col.endswith("(kr.)") and col != "Nuværende budget (kr.)"]
        for t, col in enumerate(years):
            assert lo_phase[lo_years[t]].astype(float).tolist() == body[col].astype(float).tolist(), col
        for col in lo_years[len(years):]:   # fewer years than the run had: the extra columns say so
            assert set(lo_phase[col]) == {"–"}
    # Sammenfatning follows Fordeling: every figure as the run writes it
    gs, ws_ = table(lo, c.TBL_SUMMARY), table(tmp_path / "python.xlsx", c.TBL_SUMMARY)
    for col in ("Elever", "Nyt budget (kr.)", "Nuværende budget (kr.)", "Ændring (kr.)"):
        assert [None if v in ("", None) else float(v) for v in gs[col]] == \
            [None if v in ("", None) else float(v) for v in ws_[col]], col
    for col in ("Behovsindeks", "Ændring (%)", "Kr. pr. elev"):
        np.testing.assert_allclose(pd.to_numeric(gs[col]), pd.to_numeric(ws_[col]), rtol=1e-12)
    # the Danish lines above the tables: LibreOffice's text equals what the run writes for the same inputs
    # (except the note that asks for a new run, which a run answers)
    def current(lines):
        return [line for line in lines if line and "kør beregningen igen" not in line]
    assert current(_lines(lo)) == current(_lines(tmp_path / "python.xlsx"))


def test_a_total_with_oere_is_rounded_first(recalculated):
    _, lo = recalculated["mixed_floors_total_with_oere"]
    budget = table(lo, c.TBL_ALLOCATION)["Budget (kr.)"].astype(float)
    assert budget.sum() == 12_345_679        # 12.345.678,50 kr. → 12.345.679 kr., in Python and in the formulas
    assert "Samlet budget: 12.345.679 kr. fordelt i hele kroner" in "\n".join(_lines(lo))


def test_floors_above_the_total_show_instead_of_a_wrong_number(recalculated):
    _, lo = recalculated["floors_above_total"]
    got = table(lo, c.TBL_ALLOCATION)
    assert set(got["Budget (kr.)"]) == {"–"}
    assert set(table(lo, c.TBL_PHASE_IN)["2027 (kr.)"]) == {"–"}
    status = [line for line in _lines(lo) if line.startswith("Kan ikke beregnes")]
    assert status and "Gulvene summer til 1.800.000 kr." in status[0]


def test_more_years_than_columns_say_so_and_show_the_right_first_years(recalculated, tmp_path):
    copy, lo = recalculated["more_years_than_columns"]
    lines = "\n".join(_lines(lo))
    assert "Indfasningen er sat til 5 år, men tabellen har kolonner for 3 år – kør beregningen igen" in lines
    expected = run_workbook(copy, tmp_path / "python.xlsx").allocation.phase_in   # five years
    body = expected[expected["Distrikt"] != "I alt"]
    got = table(lo, c.TBL_PHASE_IN)
    for t, label in enumerate(["2027 (kr.)", "2028 (kr.)", "2029 (kr.)"], start=1):
        assert got[label].astype(float).tolist() == body[f"År {t} (kr.)"].astype(float).tolist()


def test_titles_carry_the_budget_year(recalculated):
    _, lo = recalculated["weight_with_decimals_budget_year"]
    lines = _lines(lo)
    assert lines[0] == "Fordeling af budgettet – Testkommune, budget 2030 (data fra skoleåret 2025/26)"
    assert any("Budgetåret er ændret – kør beregningen igen" in line for line in lines)
    assert "Blandet nøgle: 12,5 % efter elevtal og 87,5 % efter behov." in lines
