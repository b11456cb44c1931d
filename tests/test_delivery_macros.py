"""Indlæs leverance (``load_delivery``) and Beregn fordeling on district figures, on xlwings' remote engine."""

from __future__ import annotations

import copy

import openpyxl
import pandas as pd
import pytest

from tildeling.cli import main
from tildeling.io.coefficients import demo_coefficients
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.reader import read_need_inputs
from tildeling.workbook.need.template import TABLE_TOP, write_template

from test_absence_macros import payload_from  # noqa: E402
from test_xl_macros import _names, _only_alert, actions  # noqa: E402

xw = pytest.importorskip("xlwings")
if "remote" not in xw.engines.engines_by_name:
    pytest.skip("xlwings was imported without a licence key: no remote engine", allow_module_level=True)

from tildeling.xl import macros  # noqa: E402
from tildeling.xl.read import read_book_inputs  # noqa: E402


@pytest.fixture(autouse=True)
def _licence(monkeypatch):
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from wbtools import delivery_file

    tmp = tmp_path_factory.mktemp("levmacro")
    delivery_file(tmp)
    # an empty workbook whose district table has other rows and a current budget for district 3
    old = pd.DataFrame({"Distrikt": ["3", "9", "10", "11", "12", "13", "14"], "Navn": ["Hornbæk", "X", "Y", "Z", "Æ",
                                                                                       "Ø", "Å"],
                        "Nuværende budget (kr.)": [1_234_567, None, None, None, None, None, None]})
    write_template(tmp / "tom.xlsx", districts=old, settings={"SamletBudget": 2_000_000})
    assert main(["new", "behovsmodel", "--leverance", str(tmp / "lev.xlsx"), "--out", str(tmp / "bud.xlsx"),
                 "--quiet"]) == 0
    return tmp


def _payload(path, kommune=None):
    payload = payload_from(path)
    payload["book"]["name"] = path.name
    payload["names"] = _names(payload)
    if kommune is not None:
        sheet = next(s for s in payload["sheets"] if s["name"] == c.SHEET_SETTINGS)
        sheet["values"][TABLE_TOP][1] = kommune      # the value of Kommune (first setting)
    return payload


def test_load_delivery_fills_figures_districts_and_settings(files):
    payload = _payload(files / "tom.xlsx")
    book = xw.Book(json=copy.deepcopy(payload))
    figures = macros.load_delivery(book, path=files / "lev.xlsx")
    assert figures is not None
    acts = actions(book)
    order = [s["name"] for s in payload["sheets"]]
    # the sheet Distriktstal is replaced where it was, with the delivery's tables; so is Koefficienter, which held
    # the template's demonstration table (no pupils: the figures are used, and they were made at the analyst's)
    added = [a for a in acts if a["func"] == "addSheet"]
    assert [a["args"][1] for a in added] == [c.SHEET_DISTRICT_FIGURES, c.SHEET_COEFS]
    assert added[0]["args"][0] == order.index(c.SHEET_DISTRICT_FIGURES)
    assert added[1]["args"][0] == order.index(c.SHEET_COEFS)
    tables = {a["args"][3] for a in acts if a["func"] == "addTable"}
    assert {c.TBL_DISTRICT_FIGURES, c.TBL_MUNICIPAL_FIGURES, c.TBL_DELIVERY, c.TBL_SUPPRESSED} <= tables
    assert c.TBL_MODEL_INFO in tables and c.TBL_COEFS not in tables
    cpos = order.index(c.SHEET_COEFS)
    info = next(a["values"] for a in acts if a["func"] == "setValues" and a["sheet_position"] == cpos
                and len(a["values"]) == 3 and a["values"][0][0] == "Koefficientkilde")
    assert info[1] == ["Koefficienternes fingeraftryk", demo_coefficients().fingerprint()]
    # tblDistrikter gets the delivery's six districts; district 3 keeps its current budget; the table shrinks
    pos = order.index(c.SHEET_DISTRICTS)
    body = next(a["values"] for a in acts if a["func"] == "setValues" and a["sheet_position"] == pos
                and a["start_row"] == TABLE_TOP)
    assert [r[0] for r in body] == ["1", "2", "3", "4", "5", "6"]
    assert body[2][2] == 1_234_567 and body[0][2] in (None, "")
    assert any(a["func"] == "resizeTable" for a in acts)
    assert any(a["func"] == "rangeClearContents" and a["sheet_position"] == pos for a in acts)
    # the settings: Kommune and Skoleår
    spos = order.index(c.SHEET_SETTINGS)
    written = {(a["start_row"], a["start_column"]): a["values"] for a in acts if a["func"] == "setValues"
               and a["sheet_position"] == spos}
    assert written[(TABLE_TOP, 1)] == [["Helsingør"]]
    text = [a for a in acts if a["func"] == "alert"][0]["args"][0]
    assert "Leverancen for Helsingør (217) er indlæst: 6 distrikter" in text
    assert c.DEMO_BANNER in text


@pytest.mark.parametrize("case", ["own coefficients", "pupils"])
def test_load_delivery_keeps_a_coefficient_table_that_may_be_used(files, tmp_path, case):
    """The municipality's own coefficient table, or any table when the sheet Elever has pupils, stays as it is."""
    from wbtools import municipality

    coefs = demo_coefficients()
    if case == "own coefficients":
        coefs.table["Koefficient"] = coefs.table["Koefficient"] * 1.01
        coefs.metadata.update({"Datakilde": "Kommunens egen model", "Bemærk": ""})
        write_template(tmp_path / "b.xlsx", coefs=coefs, settings={"Kommune": "Helsingør"})
    else:
        pupils, districts = municipality(60)
        write_template(tmp_path / "b.xlsx", pupils=pupils.drop(columns=["Kommune"], errors="ignore"),
                       districts=districts, settings={"Kommune": "Helsingør"})
    book = xw.Book(json=_payload(tmp_path / "b.xlsx"))
    assert macros.load_delivery(book, path=files / "lev.xlsx") is not None
    acts = actions(book)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_DISTRICT_FIGURES]
    text = [a for a in acts if a["func"] == "alert"][0]["args"][0]
    if case == "own coefficients":
        assert "Arket Koefficienter har en koefficienttabel, som ikke er ændret" in text
    else:
        assert "arket Elever har elever" in text and "koefficienttabel, som ikke er ændret" not in text


def test_load_delivery_into_another_municipality_writes_nothing(files):
    book = xw.Book(json=_payload(files / "tom.xlsx", kommune="Faxe"))
    assert macros.load_delivery(book, path=files / "lev.xlsx") is None
    text = _only_alert(book)
    assert "Leverancen lev.xlsx er fra Helsingør (217), men projektmappen er til 'Faxe'" in text
    assert "Intet er ændret" in text


def test_load_delivery_refuses_a_need_workbook(files):
    book = xw.Book(json=_payload(files / "tom.xlsx"))
    assert macros.load_delivery(book, path=files / "tom.xlsx") is None
    assert "er en behovsmodel-projektmappe, ikke en leverance" in _only_alert(book)


def test_live_district_figures_equal_the_file_and_compute_writes_the_results(files):
    path = files / "bud.xlsx"
    wb = openpyxl.load_workbook(path)
    wb[c.SHEET_SETTINGS]["B6"] = 2_000_000          # SamletBudget, as the budget officer types it
    wb.save(path)
    payload = _payload(path)
    live = read_book_inputs(xw.Book(json=copy.deepcopy(payload)))
    file = read_need_inputs(path.read_bytes(), path.name)
    assert live.route == file.route == "distriktstal"
    pd.testing.assert_frame_equal(live.figures.districts, file.figures.districts)
    assert live.figures.metadata == file.figures.metadata
    book = xw.Book(json=payload)
    result, alloc, sheets = macros.compute_allocation(book)
    acts = actions(book)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == list(c.OUTPUT_SHEETS)
    alert = [a for a in acts if a["func"] == "alert"][0]["args"][0]
    assert "Fordelingen er beregnet" in alert
    from tildeling.workbook.need.run import compute
    from tildeling.workbook.need.sheets import RunInfo

    _, file_alloc, _ = compute(file, info=RunInfo(started="", fingerprint="", coefficient_source="", settings={},
                                                  warnings=[]))
    assert alloc.table["Budget (kr.)"].tolist() == file_alloc.table["Budget (kr.)"].tolist()
    book = xw.Book(json=_payload(path))
    macros.validate_data(book)
    text = [a for a in actions(book) if a["func"] == "alert"][0]["args"][0]
    assert text.startswith("Data er i orden: distriktstal for 6 distrikter")


def test_ribbon_has_the_button():
    from pathlib import Path

    xml = (Path(__file__).resolve().parents[1] / "addin" / "customUI14.xml").read_text(encoding="utf-8")
    assert 'tag="load_delivery"' in xml and 'label="Indlæs leverance"' in xml
    assert "load_delivery" in macros.RIBBON_MACROS
