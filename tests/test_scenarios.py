"""Scenarier is live: four settings side by side, recalculated by LibreOffice, equal to the core to the krone.

The workbook is run once (floors, current budgets). Then, as a budget officer would, the yellow scenario table,
the total, a floor and a current budget are changed in a copy; LibreOffice recalculates it, and every scenario's
budget is compared with ``need.budget.allocate`` on the same key, pupils, floors and total – the core that
``tildeling run`` uses for Fordeling – and the change with the current budget. A scenario whose floors exceed its
total shows "–", never a number. A rerun keeps the scenarios the officer typed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from tildeling.need import budget as B
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.sheets.scenarios import budget_col, change_col

from wbtools import edit_inputs, error_cells, make_workbook, municipality, recalculate_many, soffice, table

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")

CURRENT = [2_100_000, 1_300_000, 1_700_000, 600_000, 2_000_000, 2_300_000]
FLOORS = [None, None, None, 900_000, None, None]

#: scenario rows (Navn, Andel efter elevtal, Med gulve, Samlet budget or None = keep =SamletBudget)
SCENARIOS = [("Kun behov", 0, "Ja", None), ("35 % elevtal, øre i budgettet", 0.35, "Ja", 12_345_678.5),
             ("Kun elevtal uden gulve", 1, "Nej", None), ("12,5 % elevtal", 0.125, "Ja", None)]
SETTINGS = {"SamletBudget": 9_999_999}
DISTRICT_CHANGES = {"2": {"Gulv (kr.)": 1_500_000}, "4": {"Nuværende budget (kr.)": 650_000}}


def _edit(path: Path, scenarios, settings: dict, districts: dict) -> None:
    wb = openpyxl.load_workbook(path)
    edit_inputs(wb, settings, districts)
    ws = wb[c.SHEET_SCENARIOS]
    ref = ws.tables[c.TBL_SCENARIO_SETTINGS].ref
    top = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
    cols = {ws.cell(row=top, column=j).value: j for j in range(1, 6)}
    for i, (name, weight, floors, total) in enumerate(scenarios):
        r = top + 1 + i
        ws.cell(row=r, column=cols["Navn"]).value = name
        ws.cell(row=r, column=cols["Andel efter elevtal"]).value = weight
        ws.cell(row=r, column=cols["Med gulve"]).value = floors
        if total is not None:
            ws.cell(row=r, column=cols["Samlet budget (kr.)"]).value = total
    wb.save(path)


def _districts_after(districts):
    d = districts.copy()
    for code, changes in DISTRICT_CHANGES.items():
        for column, value in changes.items():
            d.loc[d["Distrikt"].astype(str) == code, column] = value
    return d


def _expected(run_table, districts, weight, floors_on, total):
    """The core's budget: need.budget.allocate on the run's key and pupils, the changed floors and total."""
    floors = None
    if floors_on:
        floors = {str(k): float(v) for k, v in zip(districts["Distrikt"], districts["Gulv (kr.)"])
                  if v is not None and np.isfinite(float(v))}
    try:
        alloc = B.allocate(run_table[["Distrikt", B.PUPILS, B.NEED_KEY]],
                           B.BudgetOptions(total=total, head_count_weight=weight, floors=floors))
    except Exception:  # noqa: BLE001 - floors above the total
        return None
    return [float(v) for v in alloc.table[B.BUDGET]]


def _rows(frame):
    return frame[frame["Distrikt"].astype(str) != "I alt"].reset_index(drop=True)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    d = tmp_path_factory.mktemp("scen")
    _, districts = municipality(800)
    districts = districts.copy()
    districts["Nuværende budget (kr.)"] = CURRENT
    districts["Gulv (kr.)"] = FLOORS
    base = make_workbook(d / "base.xlsx", n=800, districts=districts,
                         settings={"Budgetaar": 2027, "Skoleaar": "2025/26", "Elevtalsvaegt": 0.2})
    run_workbook(base)
    edited = d / "edited.xlsx"
    shutil.copy(base, edited)
    _edit(edited, SCENARIOS, SETTINGS, DISTRICT_CHANGES)
    impossible = d / "impossible.xlsx"
    shutil.copy(base, impossible)
    _edit(impossible, [("Lille budget", 0.2, "Ja", 500_000)], {}, {})
    lo_edited, lo_impossible = recalculate_many([edited, impossible], d / "lo", danish=True)
    return {"base": base, "districts": districts, "edited": edited, "lo_edited": lo_edited,
            "impossible": impossible, "lo_impossible": lo_impossible}


def test_every_scenario_equals_the_core_to_the_krone(workbooks):
    lo = workbooks["lo_edited"]
    assert error_cells(lo) == []
    got = _rows(table(lo, c.TBL_SCENARIOS))
    run_table = _rows(table(workbooks["base"], c.TBL_ALLOCATION))     # key and pupils do not change in Excel
    districts = _districts_after(workbooks["districts"])
    assert list(got["Distrikt"].astype(str)) == list(run_table["Distrikt"].astype(str))
    current = [float(v) for v in districts["Nuværende budget (kr.)"]]
    assert [float(v) for v in got["Nuværende budget (kr.)"]] == current
    for s, (_, weight, floors, total) in enumerate(SCENARIOS, start=1):
        want = _expected(run_table, districts, weight, floors == "Ja", SETTINGS["SamletBudget"] if total is None
                         else total)
        assert want is not None
        assert [float(v) for v in got[budget_col(s)]] == want, s
        assert sum(want) == round((SETTINGS["SamletBudget"] if total is None else total) + 1e-9)
        assert [float(v) for v in got[change_col(s)]] == [w - cur for w, cur in zip(want, current)], s
    # the floors matter: scenario 1 (floors) and a floorless run of the same key differ, district 2 gets its floor
    floorless = _expected(run_table, districts, 0, False, SETTINGS["SamletBudget"])
    assert float(got[budget_col(1)][1]) == 1_500_000 != floorless[1]
    settings = table(lo, c.TBL_SCENARIO_SETTINGS)
    assert [float(v) for v in settings["Samlet budget (kr.)"]] == [SETTINGS["SamletBudget"], 12_345_678.5,
                                                                   SETTINGS["SamletBudget"], SETTINGS["SamletBudget"]]
    names = openpyxl.load_workbook(lo, data_only=True)[c.SHEET_SCENARIOS]
    texts = [str(r[0].value or "") for r in names.iter_rows(max_col=1)]
    assert any(t.startswith("Scenarie 1: Kun behov · Scenarie 2: 35 % elevtal") for t in texts)


def test_floors_above_a_scenario_total_show_a_dash(workbooks):
    lo = workbooks["lo_impossible"]
    assert error_cells(lo) == []
    got = _rows(table(lo, c.TBL_SCENARIOS))
    assert set(got[budget_col(1)]) == {"–"}
    assert set(got[change_col(1)].astype(str)) <= {"", "None"}
    assert all(isinstance(v, float) for v in got[budget_col(2)])           # the other scenarios still compute


def test_a_rerun_keeps_the_scenarios_and_writes_what_excel_computes(workbooks, tmp_path):
    rerun = tmp_path / "rerun.xlsx"
    run_workbook(workbooks["edited"], rerun)
    wb = openpyxl.load_workbook(rerun)
    ws = wb[c.SHEET_SCENARIOS]
    ref = ws.tables[c.TBL_SCENARIO_SETTINGS].ref
    top = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
    rows = [[ws.cell(row=top + 1 + i, column=j).value for j in range(2, 6)] for i in range(4)]
    assert [r[:3] for r in rows] == [[n, w, f] for n, w, f, _ in SCENARIOS]
    assert rows[1][3] == 12_345_678.5                                           # typed: stays a number
    assert all(str(rows[i][3]).startswith("=") and "SamletBudget" in rows[i][3] for i in (0, 2, 3))
    python = _rows(table(rerun, c.TBL_SCENARIOS))                               # the run's cached values …
    lo = _rows(table(workbooks["lo_edited"], c.TBL_SCENARIOS))                 # … equal LibreOffice's
    for s in range(1, 5):
        assert [float(v) for v in python[budget_col(s)]] == [float(v) for v in lo[budget_col(s)]], s


def test_a_scenario_the_run_cannot_use_gets_its_default_back_with_a_warning(workbooks, tmp_path):
    bad = tmp_path / "bad.xlsx"
    shutil.copy(workbooks["base"], bad)
    _edit(bad, [("For meget", 7, "Måske", None)], {}, {})
    res = run_workbook(bad)
    assert any("scenarie 1" in w and "Andel efter elevtal" in w and "Med gulve" in w for w in res.warnings)
    settings = table(bad, c.TBL_SCENARIO_SETTINGS)
    assert settings["Navn"][0] == "For meget" and float(settings["Andel efter elevtal"][0]) == 0.0
    assert settings["Med gulve"][0] == "Ja"
