"""Need-model macros on xlwings' remote engine (no Excel needed).

The payload is built from a real template (``write_template``) filled with a
subset of a synthetic municipality; the macros run on ``xw.Book(json=...)`` and
the tests assert on the actions xlwings would send to Excel.
"""

from __future__ import annotations

import copy

# The remote engine is registered when xlwings is imported, and only with a licence key
# (PolyForm Noncommercial: use by a municipality counts as noncommercial).
# XLWINGS_LICENSE_KEY for the remote engine is set in conftest.py

import openpyxl  # noqa: E402
import pytest  # noqa: E402

from test_absence_macros import payload_from  # noqa: E402  (the colleague's payload builder)
from tildeling.need import budget as B  # noqa: E402
from tildeling.workbook.need import contract as c  # noqa: E402
from tildeling.workbook.need.sheets import RunInfo  # noqa: E402
from tildeling.workbook.need.reader import read_need_inputs  # noqa: E402
from tildeling.workbook.need.run import compute  # noqa: E402
from tildeling.workbook.need.template import LAST_ROW, TABLE_TOP, write_template  # noqa: E402
from tildeling.io.coefficients import write_coefficients  # noqa: E402

xw = pytest.importorskip("xlwings")
if "remote" not in xw.engines.engines_by_name:
    pytest.skip("xlwings was imported without a licence key: no remote engine", allow_module_level=True)

from tildeling.xl import macros  # noqa: E402
from tildeling.xl.read import read_book_inputs  # noqa: E402

INPUT_SHEETS = {c.SHEET_GUIDE, c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_PUPILS, c.SHEET_COEFS, c.SHEET_LISTS}
WRITES = {"setValues", "setFormula", "clearContents", "addSheet", "sheetDelete", "addTable", "setNumberFormat"}


@pytest.fixture(autouse=True)
def _licence(monkeypatch):
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")


def _names(payload) -> list[dict]:
    """The settings' defined names as a VBA client sends them."""
    sheets = [s["name"] for s in payload["sheets"]]
    out = []
    for i, s in enumerate(c.SETTINGS):
        row = TABLE_TOP + 1 + i
        out.append({"name": s.name, "sheet_index": sheets.index(c.SHEET_SETTINGS), "address": f"B{row}",
                    "book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None,
                    "refers_to": f"={c.SHEET_SETTINGS}!$B${row}"})
    out.append({"name": c.KIND_NAME, "sheet_index": None, "address": None, "book_scope": True,
                "scope_sheet_name": None, "scope_sheet_index": None, "refers_to": f'="{c.KIND}"'})
    return out


def _list_names(path, payload) -> list[dict]:
    """The template's category-list names (``Liste_<key>``) as a VBA client sends them."""
    sheets = [s["name"] for s in payload["sheets"]]
    out = []
    for name, dn in openpyxl.load_workbook(path).defined_names.items():
        if name.startswith(c.LIST_NAME_PREFIX):
            address = dn.attr_text.split("!")[1]
            out.append({"name": name, "sheet_index": sheets.index(c.SHEET_LISTS), "address": address.replace("$", ""),
                        "book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None,
                        "refers_to": f"={c.SHEET_LISTS}!{address}"})
    return out


@pytest.fixture(scope="module")
def municipality():
    from tildeling.synth.national import make_municipality

    m = make_municipality(seed=2016)
    pupils = m.pupils.groupby("Distrikt").head(60).reset_index(drop=True)   # 360 pupils, 6 districts
    return pupils, m.districts[["Distrikt", "Navn"]].copy()


@pytest.fixture(scope="module")
def workbook(municipality, tmp_path_factory):
    pupils, districts = municipality
    districts = districts.copy()
    districts["Nuværende budget (kr.)"] = [1_100_000, 900_000, 700_000, 600_000, 1_000_000, 700_000]
    path = tmp_path_factory.mktemp("need") / "behovsmodel.xlsx"
    return write_template(path, pupils=pupils.drop(columns=["Kommune"]), districts=districts,
                          settings={"Kommune": "Testby", "SamletBudget": 5_000_003})


@pytest.fixture(scope="module")
def base_payload(workbook):
    payload = payload_from(workbook)
    payload["book"]["name"] = workbook.name
    payload["names"] = _names(payload) + _list_names(workbook, payload)
    assert len(payload["names"]) == len(c.SETTINGS) + 1 + 4   # the demo model has four categorical variables
    return payload


@pytest.fixture
def payload(base_payload):
    return copy.deepcopy(base_payload)


def _book(payload):
    return xw.Book(json=payload)


def actions(book):
    return book.json()["actions"]


def _sheet(payload, name):
    return next(s for s in payload["sheets"] if s["name"] == name)


def _pupil_cell(payload, column: str, k: int, value):
    """Put ``value`` in pupil ``k`` (0-based) of ``column``; return the Excel row number."""
    sheet = _sheet(payload, c.SHEET_PUPILS)
    header = sheet["values"][TABLE_TOP - 1]
    sheet["values"][TABLE_TOP + k][header.index(column)] = value
    return TABLE_TOP + 1 + k


def _add_pupil_column(payload, name: str, value) -> None:
    """Append column ``name`` to tblElever (``value(i)`` for body row i) and widen the table."""
    sheet = _sheet(payload, c.SHEET_PUPILS)
    values = sheet["values"]
    for i, row in enumerate(values):
        if i < TABLE_TOP - 1:
            row.append("")
        elif i == TABLE_TOP - 1:
            row.append(name)
        else:
            row.append(value(i))
    table = next(t for t in sheet["tables"] if t["name"] == c.TBL_PUPILS)
    last = openpyxl.utils.get_column_letter(len(values[TABLE_TOP - 1]))
    for key in ("range_address", "header_row_range_address", "data_body_range_address"):
        start, end = table[key].split(":")
        table[key] = f"{start}:${last}${end.split('$')[-1]}"


def _file_result(workbook):
    inputs = read_need_inputs(workbook.read_bytes(), workbook.name)
    return compute(inputs, info=RunInfo(started="", fingerprint="", coefficient_source="", settings={}, warnings=[]))


def _only_alert(book):
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"], [a["func"] for a in acts]
    text, title, _, mode = acts[0]["args"][:4]
    assert title == "Tildeling" and mode == "critical"
    assert "Traceback" not in text
    return text


# ------------------------------------------------------------------------------------------------
# Reading: the live book gives the same inputs as the file
# ------------------------------------------------------------------------------------------------
def test_live_inputs_equal_file_inputs(workbook, payload):
    live = read_book_inputs(_book(payload))
    file = read_need_inputs(workbook.read_bytes(), workbook.name)
    assert live.settings == file.settings
    assert live.pupil_source == file.pupil_source and live.district_source == file.district_source
    assert live.coefficients.spec.design_columns() == file.coefficients.spec.design_columns()
    assert live.coefficients.coefficients.tolist() == file.coefficients.coefficients.tolist()
    assert list(live.pupils.columns) == list(file.pupils.columns) and len(live.pupils) == len(file.pupils)


# ------------------------------------------------------------------------------------------------
# compute_allocation
# ------------------------------------------------------------------------------------------------
def test_compute_allocation_writes_the_output_sheets(workbook, payload):
    book = _book(payload)
    out = macros.compute_allocation(book)
    assert out is not None
    acts = actions(book)
    added = [a["args"][1] for a in acts if a["func"] == "addSheet"]
    assert added == list(c.OUTPUT_SHEETS)
    deleted = [a for a in acts if a["func"] == "sheetDelete"]
    assert len(deleted) == len(c.OUTPUT_SHEETS)  # the template's placeholders are replaced
    tables = {a["args"][3] for a in acts if a["func"] == "addTable"}
    assert {c.TBL_NEED, c.TBL_ALLOCATION, c.TBL_MUNICIPAL, c.TBL_EXTERNAL, c.TBL_INTERNAL, c.TBL_FIT,
            c.TBL_POWER, c.TBL_DESCRIPTIVES, c.TBL_DISTRICT_DESCRIPTIVES, c.TBL_LOG} <= tables
    # sheets keep their places: the input sheets (0-5) are never written
    order = [s["name"] for s in payload["sheets"]]
    inputs = {order.index(n) for n in INPUT_SHEETS}
    assert not {a["sheet_position"] for a in acts if a["func"] in WRITES - {"addSheet", "sheetDelete"}} & inputs
    assert [a["args"][0] for a in acts if a["func"] == "addSheet"] == [order.index(n) for n in c.OUTPUT_SHEETS]
    alerts = [a for a in acts if a["func"] == "alert"]
    assert len(alerts) == 1 and alerts[0]["args"][3] == "info"
    assert "Fordelingen er beregnet for 360 elever i 6 distrikter" in alerts[0]["args"][0]
    # headers are bold
    assert any(a["func"] == "setFontProperty" and a["args"][:2] == ["bold", True] for a in acts)


def _table_values(acts, sheet_position, header_row):
    """(header, body) written for a table whose header is on ``header_row`` (1-based)."""
    header = next(a["values"][0] for a in acts if a["func"] == "setValues"
                  and a["sheet_position"] == sheet_position and a["start_row"] == header_row - 1)
    body = next(a["values"] for a in acts if a["func"] == "setValues"
                and a["sheet_position"] == sheet_position and a["start_row"] == header_row)
    return header, body


def test_budget_cells_are_formulas_and_values_equal_the_core(workbook, payload):
    book = _book(payload)
    result, alloc, sheets = macros.compute_allocation(book)
    acts = actions(book)
    position = [s["name"] for s in payload["sheets"]].index(c.SHEET_ALLOCATION)
    block = next(b for s in sheets if s.name == c.SHEET_ALLOCATION for b in s.blocks
                 if getattr(b, "name", None) == c.TBL_ALLOCATION)
    header, body = _table_values(acts, position, block.top)
    assert header == [str(x) for x in block.frame.columns]
    # the values written (cached under the formulas) are the core's whole-krone budgets
    j = header.index(B.BUDGET)
    assert [int(r[j]) for r in body] == alloc.table[B.BUDGET].tolist()
    assert sum(int(r[j]) for r in body) == 5_000_003
    # ... and the budget column itself is a live formula on SamletBudget
    formulas = {a["start_column"]: a["values"] for a in acts if a["func"] == "setFormula"
                and a["sheet_position"] == position and a["start_row"] == block.first_row - 1}
    budget = formulas[j]
    assert len(budget) == len(alloc.table)
    assert all(f[0].startswith("=") and "SamletBudget" in f[0] for f in budget)
    assert all("SamletBudget" in f[0] for f in formulas[header.index("Heltal (kr.)")])
    # the total on the sheet is =SamletBudget
    assert any(a["func"] == "setFormula" and a["values"] == [["=SamletBudget"]] for a in acts)
    # same as the file path (tildeling run)
    _, file_alloc, _ = _file_result(workbook)
    assert file_alloc.table[B.BUDGET].tolist() == alloc.table[B.BUDGET].tolist()
    need_pos = [s["name"] for s in payload["sheets"]].index(c.SHEET_NEED)
    need_block = next(b for s in sheets if s.name == c.SHEET_NEED for b in s.blocks
                      if getattr(b, "name", None) == c.TBL_NEED)
    nh, nb = _table_values(acts, need_pos, need_block.top)
    k = nh.index("Behovsnøgle")
    assert [r[k] for r in nb] == pytest.approx(result.districts["Behovsnøgle"].tolist(), rel=1e-12)


def test_second_run_replaces_the_output_sheets(payload):
    book = _book(payload)
    macros.compute_allocation(book)
    n_sheets = len(book.sheets)
    first = len(actions(book))
    macros.compute_allocation(book)
    acts = actions(book)[first:]
    assert len(book.sheets) == n_sheets
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == list(c.OUTPUT_SHEETS)
    assert len([a for a in acts if a["func"] == "sheetDelete"]) == len(c.OUTPUT_SHEETS)
    names = [t.name for s in book.sheets for t in s.tables]
    assert len(names) == len(set(names)), "a table name is used twice"


# ------------------------------------------------------------------------------------------------
# Bad input: one Danish alert, nothing written
# ------------------------------------------------------------------------------------------------
def test_text_in_a_numeric_pupil_column(workbook, payload):
    row = _pupil_cell(payload, "Klassetrin", 11, "tre")
    book = _book(payload)
    assert macros.compute_allocation(book) is None
    text = _only_alert(book)
    assert "Arket 'Elever'" in text and "kolonne 'Klassetrin'" in text and f"række {row}" in text
    assert "'tre'" in text


def test_same_message_as_the_file_reader(workbook, payload, tmp_path):
    from tildeling.errors import TildelingError

    column = "mor_sigtet" if "mor_sigtet" in _sheet(payload, c.SHEET_PUPILS)["values"][TABLE_TOP - 1] else None
    if column is None:
        pytest.skip("the demo coefficients have no 'mor_sigtet'")
    _pupil_cell(payload, column, 4, "måske")
    book = _book(payload)
    macros.compute_allocation(book)
    text = _only_alert(book)
    wb = openpyxl.load_workbook(workbook)
    ws = wb[c.SHEET_PUPILS]
    header = [cell.value for cell in ws[TABLE_TOP]]
    ws.cell(row=TABLE_TOP + 5, column=header.index(column) + 1, value="måske")
    bad = tmp_path / workbook.name
    wb.save(bad)
    with pytest.raises(TildelingError) as info:
        _file_result(bad)
    assert str(info.value) == text
    assert "ukendt kategori 'måske'" in text


def test_error_value_in_a_table(payload):
    row = _pupil_cell(payload, "Klassetrin", 2, "#DIV/0!")
    book = _book(payload)
    macros.validate_data(book)
    text = _only_alert(book)
    assert "fejlværdien '#DIV/0!'" in text and "kolonne 'Klassetrin'" in text and f"række {row}" in text


def test_missing_table(payload):
    for sheet in payload["sheets"]:
        sheet["tables"] = [t for t in sheet["tables"] if t["name"] != c.TBL_DISTRICTS]
    book = _book(payload)
    macros.compute_allocation(book)
    text = _only_alert(book)
    assert "Arket 'Distrikter' mangler tabellen tblDistrikter" in text


def test_missing_setting_name(payload):
    payload["names"] = [n for n in payload["names"] if n["name"] != "SamletBudget"]
    book = _book(payload)
    macros.compute_allocation(book)
    assert "'SamletBudget'" in _only_alert(book)


def test_unexpected_error_is_a_danish_alert(payload, monkeypatch):
    import tildeling.workbook.need.run as run

    def boom(*a, **k):
        raise RuntimeError("noget gik galt")

    monkeypatch.setattr(run, "compute", boom)
    book = _book(payload)
    assert macros.compute_allocation(book) is None
    text = _only_alert(book)
    assert text.startswith("Der skete en uventet fejl (RuntimeError: noget gik galt)")


# ------------------------------------------------------------------------------------------------
# The other macros
# ------------------------------------------------------------------------------------------------
def test_validate_data_writes_nothing(payload):
    book = _book(payload)
    assert macros.validate_data(book) is not None
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"]
    assert acts[0]["args"][0].startswith("Data er i orden: 360 elever, 6 distrikter")
    assert acts[0]["args"][3] == "info"


def test_refresh_benchmarks_replaces_only_that_sheet(payload):
    book = _book(payload)
    macros.refresh_benchmarks(book)
    acts = actions(book)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_BENCHMARK]
    assert {a["args"][3] for a in acts if a["func"] == "addTable"} == {c.TBL_MUNICIPAL, c.TBL_EXTERNAL,
                                                                         c.TBL_INTERNAL}
    position = [s["name"] for s in payload["sheets"]].index(c.SHEET_BENCHMARK)
    assert {a["sheet_position"] for a in acts if a["func"] in ("setValues", "addTable")} == {position}


def _coef_tables(acts, position):
    return {a["args"][3]: a["args"][0] for a in acts if a["func"] == "addTable" and a["sheet_position"] == position}


def test_load_coefficients_from_a_file(payload, tmp_path):
    from tildeling.workbook.need.template import demo_coefficients

    coefs = demo_coefficients()
    coefs.table.loc[0, "Koefficient"] = -3.25
    path = tmp_path / "nationale.csv"
    write_coefficients(coefs, path)
    book = _book(payload)
    loaded = macros.load_coefficients(book, path=path)
    assert loaded is not None
    acts = actions(book)
    position = [s["name"] for s in payload["sheets"]].index(c.SHEET_COEFS)
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_COEFS]
    assert [a["args"][0] for a in acts if a["func"] == "addSheet"] == [position]
    tables = _coef_tables(acts, position)
    assert set(tables) == {c.TBL_COEFS, c.TBL_MODEL_INFO}
    assert tables[c.TBL_COEFS].startswith(f"$A${TABLE_TOP}:")
    header, body = _table_values(acts, position, TABLE_TOP)
    assert header[:3] == ["Variabel", "Kategori", "Koefficient"]
    assert body[0][:3] == ["Konstant", "", -3.25] or body[0][:3] == ["Konstant", None, -3.25]
    assert "er indlæst" in [a for a in acts if a["func"] == "alert"][0]["args"][0]
    j = header.index("Koefficient")
    assert [r[j] for r in body] == loaded.coefficients.tolist()


def test_load_coefficients_bad_file(payload, tmp_path):
    book = _book(payload)
    macros.load_coefficients(book, path=tmp_path / "findes-ikke.csv")
    assert "findes ikke" in _only_alert(book)


# ------------------------------------------------------------------------------------------------
# The category lists behind the pupil dropdowns (sheet Lister, names Liste_<key>)
# ------------------------------------------------------------------------------------------------
def test_template_dropdowns_use_the_list_names(workbook):
    from tildeling.workbook.need.template import category_lists, demo_coefficients

    lists = category_lists(demo_coefficients().spec)
    assert list(lists) == ["mor_beskaeftigelse", "mor_sigtet", "far_beskaeftigelse", "far_sigtet"]
    wb = openpyxl.load_workbook(workbook)
    ws, lister = wb[c.SHEET_PUPILS], wb[c.SHEET_LISTS]
    header = [cell.value for cell in ws[TABLE_TOP]]
    formula_of = {str(dv.sqref).split(":")[0].rstrip("0123456789"): str(dv.formula1)
                  for dv in ws.data_validations.dataValidation}
    assert not [f for f in formula_of.values() if c.SHEET_LISTS in f], "a dropdown points at a fixed range"
    for key, labels in lists.items():
        name = c.list_name(key)
        assert formula_of[openpyxl.utils.get_column_letter(header.index(key) + 1)] == name
        sheet, cells = wb.defined_names[name].attr_text.split("!")
        assert sheet.strip("'") == c.SHEET_LISTS
        first, last = cells.replace("$", "").split(":")
        assert lister[first].offset(row=-1).value == key
        assert [row[0].value for row in lister[f"{first}:{last}"]] == labels


def _changed_coefficients():
    """The demo coefficients with other categorical variables: mor_sigtet loses a category and renames
    another, far_sigtet is gone, and the new categorical variable 'herkomst' comes in."""
    import pandas as pd

    from tildeling.model.coefficients import CoefficientTable
    from tildeling.workbook.need.template import demo_coefficients

    demo = demo_coefficients()
    t = demo.table
    t = t[(t["Variabel"] != "far_sigtet")
          & ~((t["Variabel"] == "mor_sigtet") & (t["Kategori"] == "Alvorlig lovovertrædelse"))].copy()
    t.loc[(t["Variabel"] == "mor_sigtet") & (t["Kategori"] == "Voldsforbrydelse"), "Kategori"] = "Grov vold"
    new = pd.DataFrame({"Variabel": ["herkomst", "herkomst"], "Kategori": ["Indvandrer", "Efterkommer"],
                        "Koefficient": [0.1, 0.2], "Type": ["kategorisk"] * 2, "Reference": ["Dansk"] * 2})
    return CoefficientTable.from_frame(pd.concat([t, new], ignore_index=True), demo.metadata)


NEW_LISTS = {"mor_beskaeftigelse": 7, "mor_sigtet": 3, "far_beskaeftigelse": 7, "herkomst": 3}


def _lister_grid(acts, position):
    writes = [a for a in acts if a["sheet_position"] == position]
    assert [a["func"] for a in writes][:2] == ["sheetClearContents", "setValues"], [a["func"] for a in writes]
    grid = writes[1]["values"]
    assert (writes[1]["start_row"], writes[1]["start_column"]) == (0, 0)
    return grid


def test_load_coefficients_refreshes_the_category_lists(payload, tmp_path):
    path = tmp_path / "andre_kategorier.csv"
    write_coefficients(_changed_coefficients(), path)
    order = [s["name"] for s in payload["sheets"]]
    book = _book(payload)
    assert macros.load_coefficients(book, path=path) is not None
    acts = actions(book)
    # Lister: one column per categorical variable, header = key, then every category (the reference too)
    grid = _lister_grid(acts, order.index(c.SHEET_LISTS))
    assert grid[0] == list(NEW_LISTS)
    columns = {key: [row[j] for row in grid[1:] if row[j] not in (None, "")] for j, key in enumerate(grid[0])}
    assert sorted(columns["mor_sigtet"]) == ["Grov vold", "Ingen", "Mindre lovovertrædelse"]
    assert sorted(columns["herkomst"]) == ["Dansk", "Efterkommer", "Indvandrer"]
    assert {k: len(v) for k, v in columns.items()} == NEW_LISTS
    assert "Voldsforbrydelse" not in str(grid) and "far_sigtet" not in str(grid)
    # the names: each list (re)defined on its column; the stale one deleted; nothing else renamed
    added = {a["args"][0]: a["args"][1] for a in acts if a["func"] == "namesAdd"}
    assert added == {c.list_name(k): f"='{c.SHEET_LISTS}'!${L}$2:${L}${n + 1}"
                     for L, (k, n) in zip("ABCD", NEW_LISTS.items())}
    deleted = [a["args"][0] for a in acts if a["func"] == "nameDelete"]
    assert sorted(deleted) == sorted(["Liste_mor_beskaeftigelse", "Liste_mor_sigtet", "Liste_far_beskaeftigelse",
                                      "Liste_far_sigtet"])   # redefined ones are replaced: delete, then add
    names = [nm.name for nm in book.names]
    assert "Liste_far_sigtet" not in names and "Liste_herkomst" in names and "SamletBudget" in names
    # only Koefficienter and Lister are written
    written = {a["sheet_position"] for a in acts if a["func"] in WRITES - {"addSheet"}}
    assert written == {order.index(c.SHEET_COEFS), order.index(c.SHEET_LISTS)}
    assert [a["args"][1] for a in acts if a["func"] == "addSheet"] == [c.SHEET_COEFS]
    # the VBA client cannot remove far_sigtet's dropdown: the message says how; 'herkomst' has no column
    text = [a for a in acts if a["func"] == "alert"][-1]["args"][0]
    assert "er indlæst" in text
    assert "Kolonnen 'far_sigtet' på arket Elever har ikke længere en kategoriliste" in text
    assert "herkomst" not in text and "kunne ikke oprettes" not in text


def test_load_coefficients_sets_new_dropdowns_where_the_client_can(payload, tmp_path):
    """With the Office.js client, a new categorical column gets a dropdown on its name; a stale one loses it."""
    path = tmp_path / "andre_kategorier.csv"
    write_coefficients(_changed_coefficients(), path)
    payload["client"] = "Office.js"
    _add_pupil_column(payload, "herkomst", lambda i: "Dansk")
    header = _sheet(payload, c.SHEET_PUPILS)["values"][TABLE_TOP - 1]
    pupils = [s["name"] for s in payload["sheets"]].index(c.SHEET_PUPILS)
    book = _book(payload)
    macros.load_coefficients(book, path=path)
    acts = actions(book)
    on_pupils = [a for a in acts if a["sheet_position"] == pupils]
    assert [(a["func"], a["start_column"]) for a in on_pupils] == [
        ("deleteDataValidation", header.index("herkomst")),
        ("setDataValidationList", header.index("herkomst")),
        ("deleteDataValidation", header.index("far_sigtet"))]
    new = on_pupils[1]
    assert new["args"][0] == {"type": "name", "name": "Liste_herkomst"}
    # the pupils and every row below them (the whole column, as in the template)
    assert (new["start_row"], new["row_count"]) == (TABLE_TOP, LAST_ROW - TABLE_TOP)
    text = [a for a in acts if a["func"] == "alert"][-1]["args"][0]
    assert text.endswith("Tryk Beregn fordeling for at bruge dem.")   # nothing left to do by hand


def test_load_coefficients_in_a_workbook_without_list_names(payload, tmp_path):
    """A workbook from before the names: every list gets its name; the VBA client says how to add dropdowns."""
    from tildeling.workbook.need.template import demo_coefficients

    payload["names"] = [nm for nm in payload["names"] if not nm["name"].startswith(c.LIST_NAME_PREFIX)]
    path = tmp_path / "demo.csv"
    write_coefficients(demo_coefficients(), path)
    book = _book(payload)
    macros.load_coefficients(book, path=path)
    acts = actions(book)
    assert [a["args"][0] for a in acts if a["func"] == "namesAdd"] == [
        "Liste_mor_beskaeftigelse", "Liste_mor_sigtet", "Liste_far_beskaeftigelse", "Liste_far_sigtet"]
    assert not [a for a in acts if a["func"] == "nameDelete"]
    text = [a for a in acts if a["func"] == "alert"][-1]["args"][0]
    assert ("Rullelisterne i kolonnerne 'mor_beskaeftigelse', 'mor_sigtet', 'far_beskaeftigelse' og 'far_sigtet' "
            "på arket Elever kunne ikke oprettes herfra") in text
    assert "=Liste_mor_beskaeftigelse" in text


def test_desktop_excel_redefines_a_list_name_in_place():
    """In desktop Excel an existing name gets a new formula (dropdowns using it stay linked); no delete."""
    from tildeling.xl.render import define_name

    class Name:
        refers_to = "='Lister'!$B$2:$B$5"

        def delete(self):
            raise AssertionError("an existing name must not be deleted in desktop Excel")

    class Names(list):
        def add(self, name, refers_to):
            self.append((name, refers_to))

    class Book:
        api = object()   # a COM object, not the remote engine's payload
        names = Names()

    old = Name()
    define_name(Book, "Liste_mor_sigtet", "='Lister'!$B$2:$B$4", old)
    assert old.refers_to == "='Lister'!$B$2:$B$4" and Book.names == []
    define_name(Book, "Liste_herkomst", "='Lister'!$D$2:$D$4")
    assert Book.names == [("Liste_herkomst", "='Lister'!$D$2:$D$4")]


def test_fit_model_needs_kommune(payload):
    book = _book(payload)
    macros.fit_model(book)
    text = _only_alert(book)
    assert "Arket 'Elever' (tabellen tblElever): mangler kolonnen 'Kommune'" in text


@pytest.fixture(scope="module")
def small_model_payload(municipality, tmp_path_factory):
    """A workbook whose coefficient table has three numeric variables: fittable on 360 pupils."""
    from tildeling.model.coefficients import CoefficientTable
    from tildeling.workbook.need.template import demo_coefficients

    demo = demo_coefficients()
    t = demo.table[demo.table["Variabel"].isin(["Konstant", "alder", "elev_laege", "mor_uddannelse"])]
    coefs = CoefficientTable.from_frame(t, demo.metadata)
    pupils, districts = municipality
    path = write_template(tmp_path_factory.mktemp("fit") / "fit.xlsx", coefs=coefs,
                          pupils=pupils[["ElevID", "Distrikt", "Klassetrin", "Segregeret", "alder", "elev_laege",
                                         "mor_uddannelse"]], districts=districts)
    payload = payload_from(path)
    payload["names"] = _names(payload)
    return payload


def test_fit_model_writes_the_coefficient_table(small_model_payload):
    payload = copy.deepcopy(small_model_payload)
    n = len(_sheet(payload, c.SHEET_PUPILS)["values"]) - TABLE_TOP
    _add_pupil_column(payload, "Kommune", lambda i: str(100 + (i % 12)))  # twelve "municipalities" (clusters)
    lists = [s["name"] for s in payload["sheets"]].index(c.SHEET_LISTS)
    payload["names"].append({"name": "Liste_mor_sigtet", "sheet_index": lists, "address": "A2:A5", "book_scope": True,
                             "scope_sheet_name": None, "scope_sheet_index": None,
                             "refers_to": f"={c.SHEET_LISTS}!$A$2:$A$5"})   # left over from an older model
    book = _book(payload)
    model = macros.fit_model(book)
    acts = actions(book)
    assert model is not None, [a["args"][0] for a in acts if a["func"] == "alert"]
    assert model.fit.nobs == n and model.fit.n_clusters == 12
    position = [s["name"] for s in payload["sheets"]].index(c.SHEET_COEFS)
    assert set(_coef_tables(acts, position)) == {c.TBL_COEFS, c.TBL_MODEL_INFO}
    header, body = _table_values(acts, position, TABLE_TOP)
    j = header.index("Koefficient")
    assert [r[j] for r in body] == pytest.approx(model.coefficients.coefficients.tolist())
    alert = [a for a in acts if a["func"] == "alert"][-1]["args"][0]
    assert alert.startswith(f"Modellen er estimeret på {n} elever fra 12 kommuner")
    # the category lists follow the new model (no categorical variables): Lister is emptied, the old name goes
    assert [a["func"] for a in acts if a["sheet_position"] == lists] == ["sheetClearContents"]
    assert [a["args"][0] for a in acts if a["func"] == "nameDelete"] == ["Liste_mor_sigtet"]
    assert not [a for a in acts if a["func"] == "namesAdd"]
    assert "Liste_mor_sigtet" not in [nm.name for nm in book.names]


def test_make_shareable_copy(payload, tmp_path):
    from tildeling.workbook.need.share import SHARED_NOTE_SHEET

    out = tmp_path / "delt.xlsx"
    book = _book(payload)
    assert macros.make_shareable_copy(book, out=out) == out
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"] and str(out) in acts[0]["args"][0]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == c.SHEET_SUMMARY and SHARED_NOTE_SHEET in wb.sheetnames   # opens on Sammenfatning
    assert c.SHEET_PUPILS not in wb.sheetnames and c.SHEET_PUPIL_RESULTS not in wb.sheetnames
    import zipfile

    ids = [str(row[0]).encode() for row in _sheet(payload, c.SHEET_PUPILS)["values"][TABLE_TOP:TABLE_TOP + 50]]
    with zipfile.ZipFile(out) as z:
        parts = b"".join(z.read(n) for n in z.namelist())
    assert b'name="ElevID"' not in parts and not any(i in parts for i in ids)


def test_make_shareable_copy_default_place(payload, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    book = _book(payload)
    out = macros.make_shareable_copy(book)
    assert out == tmp_path / "behovsmodel - delt.xlsx" and out.is_file()


def test_new_need_workbook(tmp_path, monkeypatch, payload):
    from tildeling.workbook.need.share import assert_kind

    monkeypatch.setenv("HOME", str(tmp_path))
    book = _book(payload)
    path = macros.new_need_workbook(book)
    assert path == tmp_path / "Behovsmodel.xlsx" and assert_kind(path) == c.KIND
    alert = [a for a in actions(book) if a["func"] == "alert"]
    assert len(alert) == 1 and str(path) in alert[0]["args"][0]
    assert macros.new_need_workbook(book).name == "Behovsmodel (2).xlsx"


def test_show_help(payload):
    book = _book(payload)
    text = macros.show_help(book)
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"] and acts[0]["args"][0] == text
    assert "Beregn fordeling" in text and "Vejledning:" in text and "TILDELING_BUDGET" in text


def test_every_ribbon_tag_is_a_macro():
    for tag in macros.RIBBON_MACROS:
        assert callable(getattr(macros, tag)), tag
    from tildeling.xl import absence_macros

    assert macros.run_absence_analysis is absence_macros.run_absence_analysis
    assert macros.new_absence_workbook is absence_macros.new_absence_workbook


def test_load_last_year_writes_the_sheet_and_nothing_else(payload, tmp_path):
    """Indlæs sidste år: reads last year's computed workbook and writes tblSidsteAar on the sheet Sidste år."""
    from tildeling.workbook.need.run import run_workbook

    last = tmp_path / "sidste.xlsx"
    pupils, districts = _municipality_for_last_year()
    write_template(last, pupils=pupils, districts=districts,
                   settings={"Kommune": "Testby", "SamletBudget": 4_000_000, "Budgetaar": 2026})
    run_workbook(last)
    book = _book(payload)
    imp = macros.load_last_year(book, path=last)
    assert imp is not None
    acts = actions(book)
    added = [a for a in acts if a["func"] == "addSheet"]
    assert [a["args"][1] for a in added] == [c.SHEET_LAST_YEAR]
    position = [s["name"] for s in payload["sheets"]].index(c.SHEET_LAST_YEAR)
    assert {a["args"][3] for a in acts if a["func"] == "addTable"} == {c.TBL_LAST_YEAR, c.TBL_LAST_YEAR_COEFS}
    header, body = _table_values(acts, position, TABLE_TOP)
    assert header == ["Distrikt", "Elever", "Behovsnøgle", "Budget (kr.)"]
    assert sum(r[3] for r in body) == 4_000_000
    writes = {a["sheet_position"] for a in acts if a["func"] in WRITES and a.get("sheet_position") is not None}
    assert writes == {position}
    text = [a for a in acts if a["func"] == "alert"][-1]["args"][0]
    assert text.startswith("Sidste års tal fra sidste.xlsx (projektmappe, budget 2026) er indlæst på arket Sidste år: "
                           "6 distrikter.")


def _municipality_for_last_year():
    from tildeling.synth.national import make_municipality

    m = make_municipality(seed=2015)
    pupils = m.pupils.groupby("Distrikt").head(50).reset_index(drop=True).drop(columns=["Kommune"])
    return pupils, m.districts[["Distrikt", "Navn"]].copy()
