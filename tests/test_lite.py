"""xlwings Lite: every ribbon macro as a Lite script, every worksheet function as a Lite function.

Run in CPython the way xlwings Lite runs them: through xlwings' own Office.js call helpers
(``xlwings.server.custom_scripts_call`` with the remote-engine ``xw.Book`` injected for the ``xw.Book``
type hint, and ``xlwings.server.custom_functions_call``), as xlwings' own tests do
(tests/test_custom_scripts_call.py and tests/test_custom_functions_officejs.py in the xlwings repository).
Those helpers are xlwings PRO code under the PolyForm Noncommercial licence (see docs/lite.md).

The actions a script leaves are what Lite would send to Excel; they must all be actions Lite's client
understands (``LITE_ACTIONS``), and every message goes to Lite's output pane (printed), never a message box.
"""

from __future__ import annotations

import asyncio
import copy
import math
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from test_absence_macros import input_path, payload_from  # noqa: F401 - fixtures and the payload builder
from test_delivery_macros import files  # noqa: F401 - a delivery and an empty need workbook (module fixture)
from test_xl_macros import (_add_pupil_column, _names, _pupil_cell, _sheet, base_payload,  # noqa: F401
                            municipality, small_model_payload, workbook)
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.template import TABLE_TOP

xw = pytest.importorskip("xlwings")
srv = pytest.importorskip("xlwings.server")

from tildeling.xl import lite, macros  # noqa: E402
from tildeling.xl.macros import RIBBON_MACROS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
UNSUPPORTED_IN_LITE = {"setFormula", "setColumnWidth", "addChart", "setChartSourceData", "save", "alert",
                       "setSheetVisibility", "setWrapText", "setDataValidationList", "deleteDataValidation"}


# ------------------------------------------------------------------------------------------------
# Helpers: payloads as Lite sends them, and the Office.js call path
# ------------------------------------------------------------------------------------------------
def office_js(payload: dict) -> dict:
    """The same workbook as xlwings Lite sends it (the Office.js client)."""
    payload = copy.deepcopy(payload)
    payload["client"] = "Office.js"
    return payload


def blank_payload(name: str = "Mappe1.xlsx") -> dict:
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"}, "names": [],
            "sheets": [{"name": "Ark1", "values": [[""]], "pictures": [], "tables": []}]}


def run_script(name: str, payload: dict):
    """Run Lite script ``name`` as xlwings Lite does; return (actions, the book). ``payload`` stays as it was."""
    book = xw.Book(json=copy.deepcopy(payload))
    result = asyncio.run(srv.custom_scripts_call(lite, name, typehint_to_value={xw.Book: book}))
    assert result is book
    return result.json()["actions"], book


def call_function(name: str, *args):
    """Call Lite function ``name`` as Excel's Office.js runtime would (one value per argument)."""
    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "caller_address": "Ark1!A1", "culture_info_name": "da-DK", "date_format": "dd-mm-yyyy"}
    return asyncio.run(srv.custom_functions_call(data, lite))


def funcs(acts) -> list[str]:
    return [a["func"] for a in acts]


def assert_lite_only(acts) -> None:
    bad = sorted({a["func"] for a in acts} - lite.LITE_ACTIONS)
    assert not bad, f"actions Lite cannot do: {bad}"


def positions(payload) -> dict[str, int]:
    return {s["name"]: i for i, s in enumerate(payload["sheets"])}


@pytest.fixture(autouse=True)
def _no_lite_file_area(tmp_path, monkeypatch):
    """No /data unless a test sets up Lite's file area (``lite_files``): the machine's own /data is never read."""
    monkeypatch.setattr(macros, "LITE_FILES", tmp_path / "no-lite-files")


@pytest.fixture
def need(base_payload):
    return office_js(base_payload)


@pytest.fixture
def no_files(tmp_path, monkeypatch):
    """Home and working folder in an empty directory: a Lite code path must leave it empty."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "Documents").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    yield home
    left = [str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()]
    assert not left, f"a Lite script wrote files: {left}"


# ------------------------------------------------------------------------------------------------
# Registration: every ribbon macro a script, every worksheet function a function
# ------------------------------------------------------------------------------------------------
def test_every_ribbon_macro_is_a_lite_script_with_its_danish_label():
    from tildeling.addin import build, ribbon

    meta = {m["function_name"]: m for m in srv.custom_scripts_meta(lite)}
    assert set(meta) == set(RIBBON_MACROS)
    labels = {b.tag: b.label for b in ribbon.buttons(ribbon.parse(build.find_sources().customui.read_bytes()))
              if b.tag}
    for name in RIBBON_MACROS:
        assert meta[name]["name"] == labels[name], name          # the button's label in the ribbon
        assert callable(getattr(lite, name)) and name in lite.__all__


def test_main_py_of_the_guide_registers_everything():
    """The main.py in docs/lite.md, run as Lite runs it (a module made from the text), registers it all."""
    import importlib.util

    guide = (ROOT / "docs" / "lite.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    main_py = next(b for b in blocks if "tildeling.xl.lite" in b)
    spec = importlib.util.spec_from_loader("main", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(main_py, module.__dict__)
    assert {m["function_name"] for m in srv.custom_scripts_meta(module)} == set(RIBBON_MACROS)
    assert {f["name"] for f in srv.custom_functions_meta(module)["functions"]} == {
        "TILDELING.SANDSYNLIGHED", "TILDELING.INDEKS", "TILDELING.NOEGLE", "TILDELING.BUDGET"}
    requirements = re.search(r"```text\n(.*?)```", guide, re.S).group(1).split()
    assert requirements and requirements[0].startswith("tildeling")


def test_the_guide_names_every_button():
    """docs/lite.md lists the scripts by their labels in Lite (the ribbon's labels): every one of them."""
    guide = (ROOT / "docs" / "lite.md").read_text(encoding="utf-8")
    where = guide[guide.index("## 3. Hvor du trykker"):guide.index("## Hvad virker hvor")]
    listed = re.sub(r"\s+", " ", where)
    for name, label in lite.script_names().items():
        assert f"*{label}*" in listed, (name, label)


def test_a_new_ribbon_macro_gets_its_lite_script_without_code(monkeypatch):
    """Scripts are generated from RIBBON_MACROS: a macro added there (e.g. load_delivery) is in Lite too."""
    import importlib.util

    @macros._macro
    def extra_macro(book):
        """Ekstra knap: a macro another helper adds."""
        book.sheets[0].range("A1").value = "ok"
        macros._alert(book, "Færdig.")

    monkeypatch.setattr(macros, "extra_macro", extra_macro, raising=False)
    monkeypatch.setattr(macros, "RIBBON_MACROS", (*RIBBON_MACROS, "extra_macro"))
    spec = importlib.util.spec_from_file_location("tildeling.xl._lite_probe", lite.__file__)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    meta = {m["function_name"]: m["name"] for m in srv.custom_scripts_meta(probe)}
    assert meta["extra_macro"] == "Ekstra knap"
    book = xw.Book(json=blank_payload())
    asyncio.run(srv.custom_scripts_call(probe, "extra_macro", typehint_to_value={xw.Book: book}))
    assert funcs(book.json()["actions"]) == ["setValues"]


def test_functions_are_registered_in_the_tildeling_namespace():
    from tildeling.xl import udfs

    meta = {f["id"]: f for f in srv.custom_functions_meta(lite)["functions"]}
    assert {f["name"] for f in meta.values()} == {"TILDELING.SANDSYNLIGHED", "TILDELING.INDEKS",
                                                  "TILDELING.NOEGLE", "TILDELING.BUDGET"}
    for fid, f in meta.items():
        assert f["description"] == getattr(udfs, fid).__doc__       # the same Danish text as the classic one
    budget = meta["TILDELING_BUDGET"]
    assert [p["name"] for p in budget["parameters"]] == ["samlet_budget", "noegle", "raekkefoelge"]
    assert budget["parameters"][2].get("optional") is True
    assert budget["parameters"][0]["description"] == udfs.DOC_TOTAL
    assert [p["name"] for p in meta["TILDELING_SANDSYNLIGHED"]["parameters"]] == ["koefficienter", "elever"]


# ------------------------------------------------------------------------------------------------
# Every button through the Office.js path: Lite's actions only, a Danish message, no file, no traceback
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", RIBBON_MACROS)
def test_every_button_runs_in_lite(name, need, no_files, capsys):
    acts, _ = run_script(name, need)
    out = capsys.readouterr()
    assert_lite_only(acts)
    assert "Traceback" not in out.out + out.err
    assert out.out.strip(), "no message in Lite's output pane"
    assert out.out.startswith(("Tildeling", "Fraværsanalyse")), out.out
    assert "kan ikke udføres i xlwings Lite" not in out.out      # the safety net had nothing to drop


@pytest.mark.parametrize("name", RIBBON_MACROS)
def test_every_macro_body_degrades_by_itself(name, need, no_files, capsys):
    """Without the safety net: the macro itself emits only what Lite understands (no setFormula to translate)."""
    from tildeling.xl._common import lite_engine

    book = xw.Book(json=copy.deepcopy(need))
    with lite_engine():
        getattr(macros, name)(book)
    assert_lite_only(book.json()["actions"])
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("name", RIBBON_MACROS)
def test_every_button_in_a_blank_workbook(name, no_files, capsys):
    """Nothing to work on: a Danish message (or the template, for the two 'Ny …' buttons), never a failure."""
    acts, _ = run_script(name, blank_payload())
    out = capsys.readouterr()
    assert_lite_only(acts)
    assert out.out.strip() and "Traceback" not in out.out + out.err
    if name not in ("new_need_workbook", "new_absence_workbook", "show_help", "make_shareable_copy"):
        assert not acts, funcs(acts)     # an error: nothing written


# ------------------------------------------------------------------------------------------------
# The need model in Lite
# ------------------------------------------------------------------------------------------------
def test_compute_allocation_in_lite_writes_formulas_as_values(need, capsys):
    from tildeling.need import budget as B

    acts, _ = run_script("compute_allocation", need)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Fordelingen er beregnet for 360 elever i 6 distrikter")
    assert "setFormula" not in funcs(acts)
    pos = positions(need)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == list(c.OUTPUT_SHEETS)
    inputs = {pos[n] for n in (c.SHEET_GUIDE, c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_PUPILS, c.SHEET_COEFS,
                               c.SHEET_LISTS)}
    assert not {a["sheet_position"] for a in acts if a["func"] not in ("addSheet", "sheetDelete", "activateSheet")} \
        & inputs
    # the budget column: live formulas on SamletBudget, written in the same block as the numbers
    fordeling = pos[c.SHEET_ALLOCATION]
    blocks = [a for a in acts if a["func"] == "setValues" and a["sheet_position"] == fordeling]
    header_block = next(b for b in blocks if B.BUDGET in (b["values"][0] or []))
    header = header_block["values"][0]
    body = next(b for b in blocks if b["start_row"] == header_block["start_row"] + 1)["values"]
    budget = [row[header.index(B.BUDGET)] for row in body]
    assert len(budget) == 6 and all(isinstance(f, str) and f.startswith("=") and "SamletBudget" in f
                                    for f in budget)
    assert any(a["values"] == [["=SamletBudget"]] for a in blocks)


def test_lite_numbers_equal_the_classic_add_in(base_payload, need, capsys):
    """Same macro body: every value Lite writes is the value the classic run writes (formulas aside)."""
    classic_book = xw.Book(json=copy.deepcopy(base_payload))
    macros.compute_allocation(classic_book)
    classic = {(a["sheet_position"], a["start_row"], a["start_column"]): a["values"]
               for a in classic_book.json()["actions"] if a["func"] == "setValues"}
    formulas = {(a["sheet_position"], a["start_row"] + i, a["start_column"])
                for a in classic_book.json()["actions"] if a["func"] == "setFormula" for i in range(len(a["values"]))}
    acts, _ = run_script("compute_allocation", need)
    lite_values = {(a["sheet_position"], a["start_row"], a["start_column"]): a["values"]
                   for a in acts if a["func"] == "setValues"}
    compared = 0
    for key, values in classic.items():
        assert key in lite_values, key
        for i, (row_c, row_l) in enumerate(zip(values, lite_values[key])):
            for j, (vc, vl) in enumerate(zip(row_c, row_l)):
                if (key[0], key[1] + i, key[2] + j) in formulas:
                    assert isinstance(vl, str) and vl.startswith("=")
                    continue
                if isinstance(vl, str) and (vl.startswith("Diagram:") or re.match(r"\d{4}-\d\d-\d\dT", vl)):
                    continue   # a chart's place; the run's start time
                if isinstance(vc, str) and isinstance(vl, str):   # the two runs may fall in different minutes
                    vc, vl = (re.sub(r"kl\. \d{1,2}[.:]\d\d", "kl. TT.MM", v) for v in (vc, vl))
                assert vc == vl or (isinstance(vc, float) and math.isclose(vc, vl, rel_tol=1e-12)), (key, i, j)
                compared += 1
    assert compared > 500


def test_charts_become_danish_notes_in_lite(need, capsys):
    from tildeling.xl.render import chart_note

    acts, _ = run_script("compute_allocation", need)
    bench = positions(need)[c.SHEET_BENCHMARK]
    notes = [a["values"][0][0] for a in acts if a["func"] == "setValues" and a["sheet_position"] == bench
             and isinstance(a["values"][0][0], str) and a["values"][0][0].startswith("Diagram:")]
    assert len(notes) == 2
    assert notes[0] == chart_note("Ekstern benchmarking: forventet og faktisk henvisningsandel", c.TBL_EXTERNAL)
    assert "Indsæt → Diagram" in notes[1] and c.TBL_INTERNAL in notes[1]
    assert not {"addChart", "setColumnWidth", "setWrapText"} & set(funcs(acts))
    # no column widths in Lite, but the columns are fitted to every table
    fitted = {(a["sheet_position"], a["start_row"], a["start_column"]) for a in acts if a["func"] == "setAutofit"}
    tables = {(a["sheet_position"], int(re.search(r"\$(\d+):", a["args"][0]).group(1)) - 1) for a in acts
              if a["func"] == "addTable"}
    assert tables and {(pos, row) for pos, row, _ in fitted} == tables


def test_validate_data_in_lite(need, capsys):
    acts, _ = run_script("validate_data", need)
    assert acts == []
    assert capsys.readouterr().out.startswith("Tildeling: Data er i orden: 360 elever, 6 distrikter")


def test_bad_input_in_lite_names_sheet_column_and_row(need, capsys):
    row = _pupil_cell(need, "Klassetrin", 11, "tre")
    acts, _ = run_script("compute_allocation", need)
    out = capsys.readouterr()
    assert acts == []
    assert out.out.startswith("Tildeling – fejl: ")
    assert "Arket 'Elever'" in out.out and "kolonne 'Klassetrin'" in out.out and f"række {row}" in out.out
    assert "Traceback" not in out.out + out.err


def test_a_failure_halfway_leaves_nothing_half_written(need, capsys, monkeypatch):
    from tildeling.xl import render

    def boom(*args, **kwargs):
        raise RuntimeError("diagrammet gik galt")

    monkeypatch.setattr(render, "_chart_note", boom)   # after Distriktsbehov and Fordeling are written
    acts, _ = run_script("compute_allocation", need)
    out = capsys.readouterr()
    assert acts == []
    assert "uventet fejl (RuntimeError: diagrammet gik galt)" in out.out and "Traceback" not in out.err


def test_load_coefficients_in_lite_checks_the_table_and_refreshes_the_lists(need, capsys):
    need["names"] = [n for n in need["names"] if not n["name"].startswith(c.LIST_NAME_PREFIX)]
    acts, _ = run_script("load_coefficients", need)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Koefficienttabellen på arket Koefficienter er i orden: ")
    assert "Import/Export" in out      # no file in Lite's files: how to bring one
    # the lists and their names, as in the classic add-in; the dropdowns: a note how to add them by hand
    assert sorted(a["args"][0] for a in acts if a["func"] == "namesAdd") == sorted(
        ["Liste_mor_beskaeftigelse", "Liste_mor_sigtet", "Liste_far_beskaeftigelse", "Liste_far_sigtet"])
    assert "Rullelisterne i kolonnerne" in out and "=Liste_" in out
    pos = positions(need)
    assert {a["sheet_position"] for a in acts if a["func"] in ("setValues", "sheetClearContents")} == \
        {pos[c.SHEET_LISTS]}
    assert_lite_only(acts)


def test_load_coefficients_in_lite_with_a_broken_table(need, capsys):
    sheet = _sheet(need, c.SHEET_COEFS)
    header = sheet["values"][TABLE_TOP - 1]
    sheet["values"][TABLE_TOP - 1] = ["Koef" if h == "Koefficient" else h for h in header]
    acts, _ = run_script("load_coefficients", need)
    out = capsys.readouterr().out
    assert acts == [] and "mangler kolonnen 'Koefficient'" in out and "Koefficienter" in out


def test_fit_model_in_lite(small_model_payload, capsys):
    payload = office_js(small_model_payload)
    _add_pupil_column(payload, "Kommune", lambda i: str(100 + (i % 12)))
    acts, _ = run_script("fit_model", payload)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Modellen er estimeret på 360 elever fra 12 kommuner")
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_COEFS]
    assert_lite_only(acts)


def test_make_shareable_copy_says_what_to_do_in_a_lite_without_files(need, no_files, capsys):
    acts, _ = run_script("make_shareable_copy", need)
    out = capsys.readouterr().out
    assert acts == []
    assert "denne udgave af xlwings Lite har ingen filer" in out and "tildeling share" in out


# ------------------------------------------------------------------------------------------------
# Files in Lite: what the user drops into ☰ → Files → Import/Export (Python sees it in /data)
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def lite_files(tmp_path, monkeypatch):
    """xlwings Lite's file area (/data in Lite) in an empty folder."""
    area = tmp_path / "data"
    area.mkdir()
    monkeypatch.setattr(macros, "LITE_FILES", area)
    return area


def _lite_last_year_file(path):
    from test_xl_macros import _municipality_for_last_year
    from tildeling.workbook.need.run import run_workbook
    from tildeling.workbook.need.template import write_template

    pupils, districts = _municipality_for_last_year()
    write_template(path, pupils=pupils, districts=districts,
                   settings={"Kommune": "Testby", "SamletBudget": 4_000_000, "Budgetaar": 2026})
    run_workbook(path)
    return path


def test_load_delivery_in_lite_takes_the_delivery_from_lites_files(files, lite_files, no_files, capsys):
    import shutil

    from test_delivery_macros import _payload

    shutil.copy(files / "lev.xlsx", lite_files / "leverance 2026.xlsx")
    shutil.copy(files / "tom.xlsx", lite_files / "noget andet.xlsx")        # not a delivery: not a candidate
    shutil.copy(files / "koef.csv", lite_files / "koef.csv")
    payload = office_js(_payload(files / "tom.xlsx"))
    acts, _ = run_script("load_delivery", payload)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Leverancen for Helsingør (217) er indlæst: 6 distrikter"), out
    assert_lite_only(acts)
    # Distriktstal; and Koefficienter, which held the template's demonstration table (see test_delivery_macros)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_DISTRICT_FIGURES, c.SHEET_COEFS]
    assert {c.TBL_DISTRICT_FIGURES, c.TBL_MODEL_INFO} <= {a["args"][3] for a in acts if a["func"] == "addTable"}


def test_load_delivery_in_lite_without_a_file_says_where_to_put_it(files, lite_files, capsys):
    from test_delivery_macros import _payload

    acts, _ = run_script("load_delivery", office_js(_payload(files / "tom.xlsx")))
    out = capsys.readouterr().out
    assert acts == []
    assert out.startswith("Tildeling – fejl: xlwings Lite kan ikke vise en fildialog. Læg leverancen fra "
                          "analytikeren i xlwings Lite: menuen ☰ → Files → Import/Export")
    assert "tryk Indlæs leverance igen" in out


def test_load_delivery_in_lite_with_two_deliveries_names_them_and_writes_nothing(files, lite_files, capsys):
    import shutil

    from test_delivery_macros import _payload

    shutil.copy(files / "lev.xlsx", lite_files / "a.xlsx")
    (lite_files / "gammel").mkdir()
    shutil.copy(files / "lev.xlsx", lite_files / "gammel" / "b.xlsx")
    acts, _ = run_script("load_delivery", office_js(_payload(files / "tom.xlsx")))
    out = capsys.readouterr().out
    assert acts == []
    assert "Der ligger 2 filer i xlwings Lite" in out and "a.xlsx og gammel/b.xlsx" in out
    assert "Intet er ændret" in out


def test_load_last_year_in_lite_takes_the_file_from_lites_files(need, lite_files, no_files, capsys):
    _lite_last_year_file(lite_files / "sidste.xlsx")
    acts, _ = run_script("load_last_year", need)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Sidste års tal fra sidste.xlsx (projektmappe, budget 2026) er indlæst"), out
    assert_lite_only(acts)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_LAST_YEAR]
    inputs = {positions(need)[n] for n in (c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_PUPILS, c.SHEET_COEFS)}
    assert not {a["sheet_position"] for a in acts if a["func"] == "setValues"} & inputs


def test_load_last_year_in_lite_leaves_out_this_years_own_files(need, lite_files, capsys):
    """A file of the workbook's own school year (e.g. its shared copy) is not last year's."""
    _lite_last_year_file(lite_files / "sidste.xlsx")
    wb = openpyxl.load_workbook(lite_files / "sidste.xlsx")
    own = next(n for n in need["names"] if n["name"] == "Skoleaar")
    settings = _sheet(need, c.SHEET_SETTINGS)
    row = int(own["address"][1:])
    settings["values"][row - 1][1] = "2025/26"
    wb[c.SHEET_SETTINGS][own["address"]] = "2025/26"
    wb.save(lite_files / "i år.xlsx")
    acts, _ = run_script("load_last_year", need)
    out = capsys.readouterr().out
    assert "sidste.xlsx" in out and "i år.xlsx" not in out and "Der ligger" not in out
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_LAST_YEAR]


def test_load_last_year_in_lite_without_a_file(need, lite_files, capsys):
    acts, _ = run_script("load_last_year", need)
    out = capsys.readouterr().out
    assert acts == [] and "Læg sidste års projektmappe, delbare kopi eller leverance i xlwings Lite" in out


def test_load_coefficients_in_lite_from_lites_files(need, lite_files, no_files, capsys):
    from tildeling.io.coefficients import demo_coefficients, write_coefficients

    write_coefficients(demo_coefficients(), lite_files / "koefficienter.csv")
    acts, _ = run_script("load_coefficients", need)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Koefficienterne fra koefficienter.csv er indlæst: "), out
    assert_lite_only(acts)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_COEFS]
    assert {c.TBL_COEFS, c.TBL_MODEL_INFO} <= {a["args"][3] for a in acts if a["func"] == "addTable"}


def test_make_shareable_copy_in_lite_goes_to_lites_files(need, lite_files, no_files, capsys):
    import zipfile

    acts, _ = run_script("make_shareable_copy", need)
    out = capsys.readouterr().out
    copy_ = lite_files / "behovsmodel - delt.xlsx"
    assert acts == [] and copy_.is_file()
    assert "Den delbare kopi er gemt som behovsmodel - delt.xlsx i xlwings Lite" in out and "download" in out
    wb = openpyxl.load_workbook(copy_)
    assert c.SHEET_PUPILS not in wb.sheetnames
    ids = [str(row[0]).encode() for row in _sheet(need, c.SHEET_PUPILS)["values"][TABLE_TOP:TABLE_TOP + 50]]
    with zipfile.ZipFile(copy_) as z:
        parts = b"".join(z.read(n) for n in z.namelist())
    assert not any(i in parts for i in ids)


def test_show_help_in_lite(need, no_files, capsys):
    acts, _ = run_script("show_help", need)
    out = capsys.readouterr().out
    assert acts == [] and "Beregn fordeling" in out and "Vejledning:" in out
    assert "TILDELING.BUDGET" in out and "TILDELING_" not in out and "I xlwings Lite:" in out


# ------------------------------------------------------------------------------------------------
# "Ny behovsmodel" / "Ny fraværsanalyse" in Lite: the template is built into the blank workbook
# ------------------------------------------------------------------------------------------------
def replay(payload: dict, acts: list[dict]) -> openpyxl.Workbook:
    """Apply Lite's actions to an openpyxl copy of the payload: what Excel would hold afterwards."""
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for s in payload["sheets"]:
        ws = wb.create_sheet(s["name"])
        for r, row in enumerate(s["values"], start=1):
            for k, v in enumerate(row, start=1):
                if v not in ("", None):
                    ws.cell(r, k, v)
    for n in payload.get("names", []):
        wb.defined_names[n["name"]] = DefinedName(n["name"], attr_text=n["refers_to"].lstrip("="))
    for a in acts:
        ws = wb.worksheets[a["sheet_position"]] if a.get("sheet_position") is not None else None
        if a["func"] == "addSheet":
            wb.create_sheet(a["args"][1], a["args"][0])
        elif a["func"] == "sheetDelete":
            wb.remove(ws)
        elif a["func"] == "setValues":
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    ws.cell(a["start_row"] + i + 1, a["start_column"] + j + 1, None if v == "" else v)
        elif a["func"] == "addTable":
            ws.add_table(Table(displayName=a["args"][3], ref=a["args"][0].replace("$", "")))
        elif a["func"] == "namesAdd":
            wb.defined_names[a["args"][0]] = DefinedName(a["args"][0], attr_text=a["args"][1].lstrip("="))
    return wb


def test_new_need_workbook_builds_the_template_into_a_blank_workbook(no_files, tmp_path, capsys):
    from tildeling.workbook.need.reader import read_need_inputs
    from tildeling.workbook.need.template import build_template

    payload = blank_payload()
    acts, _ = run_script("new_need_workbook", payload)
    out = capsys.readouterr().out
    assert out.startswith("Tildeling: Projektmappen er nu en behovsmodel bygget fra skabelonen")
    template = build_template()
    validated = [ws.title for ws in template.worksheets if ws.data_validations.dataValidation]
    assert len(validated) >= 2 and {"Indstillinger", "Elever"} <= set(validated)
    listed = ", ".join(f"'{n}'" for n in validated[:-1]) + f" og '{validated[-1]}'"
    assert f"Datavalideringen (rullelister og talgrænser) på arkene {listed} kan ikke oprettes" in out
    assert_lite_only(acts)
    built = replay(payload, acts)
    assert built.sheetnames == template.sheetnames            # the blank sheet is gone
    assert set(built.defined_names) == set(template.defined_names)
    for ws in template.worksheets:
        assert set(built[ws.title].tables) == set(ws.tables), ws.title
        for row in ws.iter_rows():
            for cell in row:
                got = built[ws.title][cell.coordinate].value
                assert got == cell.value or (got is None and cell.value == ""), (ws.title, cell.coordinate)
    # ... and it is a need-model workbook the readers accept (the file the user saves with Ctrl+S)
    saved = tmp_path / "bygget.xlsx"
    built.save(saved)
    # (defer=True: the blank template's empty SamletBudget is a problem a run reports, not one that stops reading)
    inputs = read_need_inputs(saved.read_bytes(), saved.name, defer=True)
    assert inputs.settings["SamletBudget"] == read_need_inputs(
        (ROOT / "workbook_templates" / "behovsmodel.xlsx").read_bytes(), "behovsmodel.xlsx",
        defer=True).settings["SamletBudget"]


def test_new_absence_workbook_builds_the_template_into_a_blank_workbook(no_files, tmp_path, capsys):
    from tildeling.workbook.absence import build_template, is_absence_workbook

    payload = blank_payload()
    acts, _ = run_script("new_absence_workbook", payload)
    out = capsys.readouterr().out
    assert out.startswith("Fraværsanalyse: Projektmappen er nu en fraværsanalyse bygget fra skabelonen")
    assert_lite_only(acts)
    built = replay(payload, acts)
    assert built.sheetnames == build_template().sheetnames
    saved = tmp_path / "fravaer.xlsx"
    built.save(saved)
    assert is_absence_workbook(saved)


def test_new_workbook_never_overwrites_a_workbook_with_content(need, no_files, capsys):
    acts, _ = run_script("new_need_workbook", need)
    out = capsys.readouterr().out
    assert acts == []
    assert "er ikke tom" in out and "Åbn en ny, tom projektmappe" in out


# ------------------------------------------------------------------------------------------------
# The absence analysis in Lite
# ------------------------------------------------------------------------------------------------
def test_run_absence_analysis_in_lite(input_path, capsys):
    from tildeling.workbook.absence import contract as ac

    payload = office_js(payload_from(input_path))
    acts, _ = run_script("run_absence_analysis", payload)
    out = capsys.readouterr().out
    assert out.startswith("Fraværsanalyse: Fraværsanalysen er færdig.")
    assert_lite_only(acts)
    assert set(a["args"][1] for a in acts if a["func"] == "addSheet") == set(ac.RESULT_SHEETS)
    written = [v for a in acts if a["func"] == "setValues" for row in a["values"] for v in row]
    assert any(isinstance(v, str) and v.startswith("=IF(SUMIFS(") for v in written)   # live formulas, as values
    assert any(isinstance(v, str) and v.startswith("Diagram:") for v in written)       # charts → notes
    inputs = {i for i, s in enumerate(payload["sheets"]) if s["name"] in [d.sheet for d in ac.INPUT_DOMAINS]}
    assert not {a["sheet_position"] for a in acts if a["func"] in ("setValues", "rangeClearContents")} & inputs


def test_run_absence_analysis_bad_input_in_lite(input_path, tmp_path, capsys):
    from tildeling.workbook.absence import contract as ac

    wb = openpyxl.load_workbook(input_path)
    wb[ac.FAMILIE.sheet].cell(row=7, column=2, value=7)
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    acts, _ = run_script("run_absence_analysis", office_js(payload_from(bad)))
    out = capsys.readouterr().out
    assert acts == []
    assert "Arket 'Familie'" in out and "kolonne 'Forældre bor sammen'" in out and "række 7" in out


# ------------------------------------------------------------------------------------------------
# The safety net
# ------------------------------------------------------------------------------------------------
def test_lite_actions_translates_and_drops(capsys):
    acts = [{"func": "setFormula", "values": [["=1+1"]], "sheet_position": 0, "start_row": 0, "start_column": 0},
            {"func": "setColumnWidth", "args": [12]},
            {"func": "addChart", "args": []},
            {"func": "alert", "args": ["Hej", "Tildeling", "", "info", ""]},
            {"func": "setValues", "values": [[1]]}]
    kept, dropped = lite.lite_actions(acts)
    assert [a["func"] for a in kept] == ["setValues", "setValues"]
    assert kept[0]["values"] == [["=1+1"]] and kept[0]["start_row"] == 0
    assert dropped == ["addChart"]
    assert capsys.readouterr().out == "Tildeling: Hej\n"


def test_a_macro_that_emits_unsupported_actions_still_runs(monkeypatch, capsys):
    @macros._macro
    def charty(book):
        """Diagram: a macro that does things Lite cannot."""
        rng = book.sheets[0].range("A1:A2")
        rng.value = [[1], [2]]
        rng.column_width = 30
        book.sheets[0].range("B1").formula = "=A1*2"
        macros._alert(book, "Færdig.")

    monkeypatch.setattr(macros, "charty", charty, raising=False)
    book = xw.Book(json=blank_payload())
    lite._run("charty", book)
    acts = book.json()["actions"]
    assert funcs(acts) == ["setValues", "setValues"] and acts[1]["values"] == [["=A1*2"]]
    assert capsys.readouterr().out == "Tildeling: Færdig.\n"


def test_the_lite_action_set_is_what_xlwings_own_clients_implement():
    """LITE_ACTIONS: the callbacks of xlwings' own JavaScript client in the xlwings package, plus font."""
    js = (Path(xw.__file__).parent / "js" / "xlwings.ts").read_text(encoding="utf-8")
    callbacks = set(re.findall(r"registerCallback\((\w+)\);", js))
    assert "setValues" in callbacks and "setFormula" not in callbacks
    assert lite.LITE_ACTIONS <= (callbacks | {"setFontProperty"}) - {"alert", "runMacro"}
    assert not UNSUPPORTED_IN_LITE & lite.LITE_ACTIONS


# ------------------------------------------------------------------------------------------------
# Worksheet functions through the Office.js call path
# ------------------------------------------------------------------------------------------------
COEFS = [["Variabel", "Kategori", "Koefficient", "Type", "Reference"],
         ["Konstant", None, -2.0, None, None],
         ["alder", None, 0.5, "numerisk", None],
         ["mor_sigtet", "Sigtet", 1.0, "kategorisk", "Ikke sigtet"]]
PUPILS = [["ElevID", "alder", "mor_sigtet"],
          ["a", 1.0, "Sigtet"],        # logit -2 + 0.5 + 1 = -0.5
          ["b", 2.0, "Ikke sigtet"],   # -2 + 1 = -1
          ["c", 0.0, "Ikke sigtet"]]   # -2


def expit(x):
    return 1 / (1 + math.exp(-x))


def test_sandsynlighed_by_hand():
    out = call_function("TILDELING_SANDSYNLIGHED", COEFS, PUPILS)
    assert [r[0] for r in out] == pytest.approx([expit(-0.5), expit(-1.0), expit(-2.0)], abs=1e-15)


def test_indeks_and_noegle_by_hand():
    districts, probs = [["1"], [2.0], ["1"], ["2"]], [[0.1], [0.2], [0.3], [0.4]]   # means 0.2, 0.3; all 0.25
    assert [r[0] for r in call_function("TILDELING_INDEKS", districts, probs, [["1"], ["2"]])] == \
        pytest.approx([80.0, 120.0])
    assert call_function("TILDELING_NOEGLE", districts, probs, [["2", "1"]]) == [pytest.approx([0.6, 0.4])]


def test_budget_by_hand():
    assert call_function("TILDELING_BUDGET", [[100]], [[1 / 3], [1 / 3], [1 / 3]]) == [[34], [33], [33]]
    assert call_function("TILDELING_BUDGET", [[100]], [[1 / 3], [1 / 3], [1 / 3]], [["3"], ["2"], ["1"]]) == \
        [[33], [33], [34]]


@pytest.mark.parametrize("name, args, expected", [
    ("TILDELING_SANDSYNLIGHED", (COEFS, PUPILS + [["d", 3.0, "X"]]),
     "#TILDELING: ukendt kategori 'X'. Tilladte værdier: 'Sigtet' og 'Ikke sigtet'. "
     "(kolonne 'mor_sigtet', række 5 i elevområdet)"),
    ("TILDELING_SANDSYNLIGHED", ([r[:2] for r in COEFS], PUPILS), "mangler kolonnen 'Koefficient'"),
    ("TILDELING_INDEKS", ([["7"]], [[0.1]], [["1"]]), "ukendt distrikt '7'"),
    ("TILDELING_NOEGLE", ([["1"]], [[1.5]], [["1"]]), "mellem 0 og 1"),
    ("TILDELING_BUDGET", ([[-5]], [[1]]), "negativt"),
    ("TILDELING_BUDGET", ([["mange"]], [[1]]), "et tal"),
    ("TILDELING_BUDGET", ([[100]], [[0.5], [None]]), "tom celle"),
])
def test_functions_bad_input_is_a_danish_text(name, args, expected):
    out = call_function(name, *args)
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    assert out[0][0].startswith("#TILDELING: ") and expected in out[0][0]


# ------------------------------------------------------------------------------------------------
# Light and installable
# ------------------------------------------------------------------------------------------------
HEAVY = ("scipy", "statsmodels", "openpyxl", "lxml", "python_calamine")


def test_importing_the_lite_module_is_light():
    """Lite imports main.py before the first script: the statistics and the file libraries come later."""
    code = ("import sys; import tildeling.xl.lite as L; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    env = {**__import__("os").environ, "XLWINGS_LICENSE_KEY": "noncommercial"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[name.strip().lower()] = version.strip()
    return out


def test_minimum_versions_are_pinned_and_tested():
    """Every dependency has a minimum; .ci/versions.sh installs exactly those; Lite's versions satisfy them."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = {Requirement(d).name.lower(): Requirement(d) for d in project["dependencies"]}
    minimum = _pins(ROOT / ".ci" / "versions-minimum.txt")
    assert set(minimum) == set(deps)
    for name, req in deps.items():
        (spec,) = req.specifier            # exactly one: the tested minimum
        assert spec.operator == ">=" and Version(minimum[name]) == Version(spec.version), name
        assert req.specifier.contains(metadata.version(name)), f"installed {name} is below the pin"
    lite_versions = _pins(ROOT / ".ci" / "versions-lite.txt")
    # xlwings Lite's distribution as the issue states it (scipy 1.18 is not released yet: 1.17 is tested)
    published = {"numpy": "2.4", "pandas": "3.0", "scipy": "1.18", "statsmodels": "0.14.6"}
    for name, version in published.items():
        assert deps[name].specifier.contains(version), f"Lite's {name} {version} is below our pin"
        assert lite_versions[name].rstrip(".*").startswith(version.rsplit(".", 1)[0])
    assert (ROOT / ".ci" / "versions.sh").read_text().count("versions-${which}.txt") == 1
    assert "bash .ci/versions.sh minimum" in (ROOT / ".ci" / "run").read_text()
    assert "bash .ci/versions.sh lite" in (ROOT / ".ci" / "run").read_text()


def test_the_package_is_pure_python():
    """Nothing to compile: only Python modules and data files in the package (the wheel is py3-none-any;
    .ci/versions.sh lite builds it and checks the name)."""
    package = ROOT / "src" / "tildeling"
    if not package.is_dir():
        pytest.skip("run from an installed wheel: .ci/versions.sh lite checked the wheel itself")
    compiled = [p for p in package.rglob("*") if p.suffix in {".c", ".cpp", ".pyx", ".pxd", ".rs", ".so", ".pyd"}]
    assert not compiled
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "ext-modules" not in text and "ext_modules" not in text
