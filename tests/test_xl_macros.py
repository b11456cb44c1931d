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
from tildeling.workbook import contract as c  # noqa: E402
from tildeling.workbook.need_sheets import RunInfo  # noqa: E402
from tildeling.workbook.reader import read_need_inputs  # noqa: E402
from tildeling.workbook.run import compute  # noqa: E402
from tildeling.workbook.template import TABLE_TOP, write_template  # noqa: E402

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
    payload["names"] = _names(payload)
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
    need_block = next(b for b in sheets[0].blocks if getattr(b, "name", None) == c.TBL_NEED)
    nh, nb = _table_values(acts, need_pos, need_block.top)
    k = nh.index("Forventet andel")
    assert [r[k] for r in nb] == pytest.approx(result.districts["Forventet andel"].tolist(), rel=1e-12)


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
    import tildeling.workbook.run as run

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
    from tildeling.workbook.template import demo_coefficients

    coefs = demo_coefficients()
    coefs.table.loc[0, "Koefficient"] = -3.25
    path = tmp_path / "nationale.csv"
    coefs.to_csv(path)
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


def test_fit_model_needs_kommune(payload):
    book = _book(payload)
    macros.fit_model(book)
    text = _only_alert(book)
    assert "Arket 'Elever' (tabellen tblElever): mangler kolonnen 'Kommune'" in text


@pytest.fixture(scope="module")
def small_model_payload(municipality, tmp_path_factory):
    """A workbook whose coefficient table has three numeric variables: fittable on 360 pupils."""
    from tildeling.model.coefficients import CoefficientTable
    from tildeling.workbook.template import demo_coefficients

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
    sheet = _sheet(payload, c.SHEET_PUPILS)
    values = sheet["values"]
    n = len(values) - TABLE_TOP
    for i, row in enumerate(values):
        if i < TABLE_TOP - 1:
            row.append("")
        elif i == TABLE_TOP - 1:
            row.append("Kommune")
        else:
            row.append(str(100 + (i % 12)))  # twelve "municipalities" (clusters)
    table = next(t for t in sheet["tables"] if t["name"] == c.TBL_PUPILS)
    last = openpyxl.utils.get_column_letter(len(values[TABLE_TOP - 1]))
    for key in ("range_address", "header_row_range_address", "data_body_range_address"):
        start, end = table[key].split(":")
        table[key] = f"{start}:${last}${end.split('$')[-1]}"
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


def test_make_shareable_copy(payload, tmp_path):
    from tildeling.workbook.share import SHARED_NOTE_SHEET

    out = tmp_path / "delt.xlsx"
    book = _book(payload)
    assert macros.make_shareable_copy(book, out=out) == out
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"] and str(out) in acts[0]["args"][0]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == SHARED_NOTE_SHEET
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
    from tildeling.workbook.share import assert_kind

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
