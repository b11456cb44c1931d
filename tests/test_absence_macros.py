"""Absence macros on xlwings' remote engine (no Excel needed)."""

from __future__ import annotations

import datetime as dt

# The remote engine is registered when xlwings is imported, and only with a licence key
# (PolyForm Noncommercial: use by a municipality counts as noncommercial).
# XLWINGS_LICENSE_KEY for the remote engine is set in conftest.py

import openpyxl  # noqa: E402
import pytest  # noqa: E402

from tildeling.workbook.absence import contract as c  # noqa: E402
from tildeling.workbook.absence import write_input_workbook  # noqa: E402
from tildeling.synth.absence import generate_absence_data  # noqa: E402

xw = pytest.importorskip("xlwings")
if "remote" not in xw.engines.engines_by_name:
    pytest.skip("xlwings was imported without a licence key: no remote engine", allow_module_level=True)


def _json_value(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    return "" if v is None else v


def payload_from(path):
    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        values = [[_json_value(v) for v in row] for row in ws.iter_rows(values_only=True)] or [[""]]
        tables = []
        for name, ref in ws.tables.items():
            a, b = ref.split(":")
            col_a, row_a = openpyxl.utils.cell.coordinate_from_string(a)
            col_b, row_b = openpyxl.utils.cell.coordinate_from_string(b)
            tables.append({"name": name, "range_address": f"${col_a}${row_a}:${col_b}${row_b}",
                           "header_row_range_address": f"${col_a}${row_a}:${col_b}${row_a}",
                           "data_body_range_address": f"${col_a}${row_a + 1}:${col_b}${row_b}",
                           "total_row_range_address": None, "show_headers": True, "show_totals": False,
                           "table_style": "TableStyleMedium2", "show_autofilter": True})
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": tables})
    return {"client": "VBA", "version": xw.__version__,
            "book": {"name": "fravaer.xlsx", "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": sheets}


@pytest.fixture(scope="module")
def input_path(tmp_path_factory):
    data = generate_absence_data(n_pupils=300, n_schools=3, missing_family=3, missing_language=2,
                                 missing_absence=1, orphans=2, seed=3)
    return write_input_workbook(tmp_path_factory.mktemp("macro") / "in.xlsx", data)


def actions(book):
    return book.json()["actions"]


def test_run_absence_analysis_writes_result_sheets_only(input_path):
    from tildeling.xl.absence_macros import run_absence_analysis

    payload = payload_from(input_path)
    book = xw.Book(json=payload)
    res = run_absence_analysis(book)
    assert res is not None
    acts = actions(book)
    added = [a["args"][1] for a in acts if a["func"] == "addSheet"]
    assert set(added) == set(c.RESULT_SHEETS)
    input_positions = {i for i, s in enumerate(payload["sheets"]) if s["name"] in [d.sheet for d in c.INPUT_DOMAINS]}
    touched = {a["sheet_position"] for a in acts if a["func"] in ("setValues", "setFormula", "clearContents")}
    assert not touched & input_positions
    alerts = [a for a in acts if a["func"] == "alert"]
    assert len(alerts) == 1 and "Fraværsanalysen er færdig" in alerts[0]["args"][0]
    names = {a["args"][0] for a in acts if a["func"] == "namesAdd"}
    assert {c.MODELTYPE_NAME, "lstSkoler", "lstKlassetrin", "lstFaktorer"} <= names
    formulas = [a["values"][0][0] for a in acts if a["func"] == "setFormula"]
    assert any(f.startswith("=IF(SUMIFS(") for f in formulas)


def test_bad_input_shows_danish_alert_and_writes_nothing(input_path, tmp_path):
    from tildeling.xl.absence_macros import run_absence_analysis

    wb = openpyxl.load_workbook(input_path)
    wb[c.FAMILIE.sheet].cell(row=7, column=2, value=7)
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    book = xw.Book(json=payload_from(bad))
    assert run_absence_analysis(book) is None
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"]
    text, title, _, mode = acts[0]["args"][:4]
    assert mode == "critical" and title == "Fraværsanalyse"
    assert "Arket 'Familie'" in text and "kolonne 'Forældre bor sammen'" in text and "række 7" in text
    assert "Traceback" not in text


def test_missing_table_is_a_danish_alert():
    from tildeling.xl.absence_macros import run_absence_analysis

    book = xw.Book(json={"client": "VBA", "version": xw.__version__,
                         "book": {"name": "x.xlsx", "active_sheet_index": 0, "selection": "A1"}, "names": [],
                         "sheets": [{"name": "Ark1", "values": [[""]], "pictures": [], "tables": []}]})
    run_absence_analysis(book)
    acts = actions(book)
    assert acts[-1]["func"] == "alert" and "tblElever" in acts[-1]["args"][0]


def test_new_absence_workbook_saves_template(tmp_path, monkeypatch):
    from tildeling.workbook.absence import is_absence_workbook
    from tildeling.xl.absence_macros import new_absence_workbook

    monkeypatch.setenv("HOME", str(tmp_path))
    book = xw.Book(json={"client": "VBA", "version": xw.__version__,
                         "book": {"name": "x.xlsx", "active_sheet_index": 0, "selection": "A1"}, "names": [],
                         "sheets": [{"name": "Ark1", "values": [[""]], "pictures": [], "tables": []}]})
    path = new_absence_workbook(book)
    assert path is not None and is_absence_workbook(path)
    second = new_absence_workbook(book)
    assert second != path and second.name == "Fraværsanalyse (2).xlsx"


def test_macro_names_match_the_ribbon_contract():
    from tildeling.xl import absence_macros
    from tildeling.xl.macros import RIBBON_MACROS

    for name in ("new_absence_workbook", "run_absence_analysis"):
        assert name in RIBBON_MACROS and callable(getattr(absence_macros, name))
