"""The need-model workbook: template, run in place, rerun, bad input, LibreOffice, shared copy."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.need.apply import apply_model
from tildeling.need.budget import BudgetOptions, allocate, largest_remainder
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.reader import read_need_inputs
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.share import share_workbook
from tildeling.workbook.need.template import build_template, demo_coefficients

from wbtools import error_cells, make_workbook, municipality, parts, recalculate, soffice, table

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook_templates" / "behovsmodel.xlsx"


def _v(value):
    # openpyxl stores floats with ~16 significant digits; compare at 12
    return float(f"{value:.12g}") if isinstance(value, float) else value


def describe(wb) -> dict:
    """Structure and content of a workbook, for comparing templates (zip timestamps differ)."""
    out = {"sheets": wb.sheetnames, "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows())
        while rows and all(cell.value is None for cell in rows[-1]):
            rows.pop()  # empty cells are not saved: ignore trailing empty rows
        out[ws.title] = {
            "tables": sorted((t.displayName, t.ref) for t in ws.tables.values()),
            "validations": sorted((dv.type or "", str(dv.formula1), str(dv.sqref)) for dv in ws.data_validations
                                  .dataValidation),
            "values": [[_v(cell.value) for cell in row] for row in rows],
            "formats": [[cell.number_format for cell in row] for row in rows],
            "state": ws.sheet_state,
            "freeze": ws.freeze_panes,
        }
    return out


def test_committed_template_equals_generator():
    committed = openpyxl.load_workbook(TEMPLATE)
    made = build_template()
    assert describe(committed) == describe(made)


def test_template_contract():
    wb = openpyxl.load_workbook(TEMPLATE)
    assert wb.sheetnames[:6] == [c.SHEET_GUIDE, c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_DISTRICT_FIGURES,
                                 c.SHEET_PUPILS, c.SHEET_COEFS]
    for name in c.OUTPUT_SHEETS:
        assert name in wb.sheetnames
    assert wb[c.SHEET_LISTS].sheet_state == "hidden"
    tables = {t: ws.title for ws in wb.worksheets for t in ws.tables}
    assert tables[c.TBL_PUPILS] == c.SHEET_PUPILS
    assert tables[c.TBL_DISTRICTS] == c.SHEET_DISTRICTS
    assert tables[c.TBL_COEFS] == c.SHEET_COEFS
    for s in c.SETTINGS:
        assert s.name in wb.defined_names
    assert wb.defined_names["SamletBudget"].attr_text.replace("'", "") == "Indstillinger!$B$6"
    assert wb.defined_names[c.KIND_NAME].attr_text == '"behovsmodel"'
    header = [cell.value for cell in wb[c.SHEET_PUPILS][3]]
    assert header[:4] == ["ElevID", "Distrikt", "Klassetrin", "Segregeret"]
    assert [cell.value for cell in wb[c.SHEET_DISTRICTS][3]][:3] == ["Distrikt", "Navn", "Nuværende budget (kr.)"]
    assert c.DEMO_COEF_LABEL in wb[c.SHEET_COEFS]["A1"].value
    coef_header = [cell.value for cell in wb[c.SHEET_COEFS][3]]
    assert coef_header[:4] == ["Variabel", "Kategori", "Koefficient", "Standardfejl"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    src = make_workbook(d / "in.xlsx", n=None)  # the whole synthetic municipality
    before = parts(src)
    out = run_workbook(src, d / "out.xlsx")
    return src, d / "out.xlsx", before, out


def test_run_writes_contract_tables_equal_to_core(ran):
    src, out, before, outcome = ran
    assert parts(src) == before  # --out leaves the original untouched
    pupils, districts = municipality(None)
    core = apply_model(pupils, demo_coefficients(), districts)
    need = table(out, c.TBL_NEED)
    assert list(need.columns)[:8] == list(c.NEED_COLUMNS)
    np.testing.assert_allclose(need["Behovsnøgle"].astype(float), core.districts["Behovsnøgle"], rtol=1e-12)
    np.testing.assert_allclose(need["Indeks"].astype(float), core.districts["Indeks"], rtol=1e-12)
    assert need["Andel af elever"].astype(float).sum() == pytest.approx(1)
    alloc = table(out, c.TBL_ALLOCATION)
    for col in ["Distrikt", "Navn", "Fordelingsnøgle", "Budget (kr.)", "Budget efter elevtal (kr.)", "Forskel (kr.)"]:
        assert col in alloc.columns
    # cached values of the live formulas equal Python's whole-krone split
    expected = allocate(core.districts, BudgetOptions(total=10_000_000)).table
    assert alloc["Budget (kr.)"].astype(float).tolist() == expected["Budget (kr.)"].astype(float).tolist()
    assert alloc["Budget (kr.)"].astype(float).sum() == 10_000_000
    for name in (c.TBL_MUNICIPAL, c.TBL_EXTERNAL, c.TBL_INTERNAL, c.TBL_FIT, c.TBL_POWER, c.TBL_WEIGHTS,
                 c.TBL_DESCRIPTIVES, c.TBL_DISTRICT_DESCRIPTIVES, c.TBL_LOG):
        assert len(table(out, name)) > 0, name
    log = table(out, c.TBL_LOG).set_index("Felt")["Værdi"]
    assert log["Pakkeversion"].startswith("tildeling ")
    assert len(log["Fingeraftryk af input (SHA-256)"]) == 16


def test_budget_cells_are_formulas_on_samletbudget(ran):
    _, out, _, _ = ran
    wb = openpyxl.load_workbook(out, read_only=False)
    ws = wb[c.SHEET_ALLOCATION]
    t = ws.tables[c.TBL_ALLOCATION]
    first_row = int(''.join(ch for ch in t.ref.split(":")[0] if ch.isdigit()))
    cols = {ws.cell(row=first_row, column=j).value: j for j in range(1, ws.max_column + 1)}
    budget = ws.cell(row=first_row + 1, column=cols["Budget (kr.)"]).value
    whole = ws.cell(row=first_row + 1, column=cols["Heltal (kr.)"]).value
    assert budget.startswith("=") and "SamletBudget" in budget
    assert "SamletBudget" in whole and "ROUNDDOWN" in whole


def test_input_parts_unchanged_by_run(tmp_path):
    src = make_workbook(tmp_path / "a.xlsx")
    before = parts(src)
    sheets_before = read_package_sheets(before)
    run_workbook(src)
    after = parts(src)
    for name in c.INPUT_SHEETS:
        part = sheets_before[name]
        assert after[part] == before[part], name
    # rerun: same outputs, input parts still identical, no parts pile up
    first = {n: table(src, n) for n in (c.TBL_NEED, c.TBL_ALLOCATION, c.TBL_EXTERNAL)}
    run_workbook(src)
    again = parts(src)
    assert set(again) == set(after)
    for name in c.INPUT_SHEETS:
        assert again[sheets_before[name]] == before[sheets_before[name]]
    assert again["xl/styles.xml"] == after["xl/styles.xml"]
    for n, frame in first.items():
        pd.testing.assert_frame_equal(table(src, n), frame)


def read_package_sheets(p: dict) -> dict[str, str]:
    from tildeling.workbook.graft import read_package_names
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in p.items():
            z.writestr(k, v)
    return read_package_names(buf.getvalue())


def _edit(path: Path, fn) -> None:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)


def _pupil_col(wb, name):
    ws = wb[c.SHEET_PUPILS]
    for j, cell in enumerate(ws[3], start=1):
        if cell.value == name:
            return ws, j
    raise KeyError(name)


def _set_pupil(name, row, value):
    def fn(wb):
        ws, j = _pupil_col(wb, name)
        ws.cell(row=row, column=j).value = value  # ws.cell(value=None) would not clear it
    return fn


def _rename_header(old, new):
    def fn(wb):
        ws, j = _pupil_col(wb, old)
        ws.cell(row=3, column=j, value=new)
        t = ws.tables[c.TBL_PUPILS]
        for col in t.tableColumns:
            if col.name == old:
                col.name = new
    return fn


def _drop_table(sheet, table_name):
    def fn(wb):
        del wb[sheet].tables[table_name]
    return fn


def _delete_sheet(sheet):
    def fn(wb):
        del wb[sheet]
    return fn


def _empty_pupils(wb):
    ws = wb[c.SHEET_PUPILS]
    t = ws.tables[c.TBL_PUPILS]
    last_col = t.ref.split(":")[1].rstrip("0123456789")
    for row in ws.iter_rows(min_row=4, max_row=ws.max_row):
        for cell in row:
            cell.value = None
    t.ref = f"A3:{last_col}4"


BAD = [
    (_set_pupil("alder", 10, "ti år"), r"Arket 'Elever' \(tabellen tblElever\), kolonne 'alder', række 10: tekst"),
    (_set_pupil("alder", 12, "=NA()"), "kolonne 'alder', række 12: fejlværdien '#N/A'"),
    (_set_pupil("Distrikt", 9, "99"), "kolonne 'Distrikt', række 9: ukendt distrikt '99'"),
    (_set_pupil("ElevID", 7, None), "kolonne 'ElevID', række 7: tom celle"),
    (_set_pupil("mor_sigtet", 8, "Mord"), "kolonne 'mor_sigtet', række 8: ukendt kategori 'Mord'"),
    (_set_pupil("far_laege", 11, None), "kolonne 'far_laege', række 11: tom celle"),
    (_rename_header("alder", "Alder"), "Kolonnen 'Alder' skal hedde 'alder'"),
    (_drop_table(c.SHEET_DISTRICTS, c.TBL_DISTRICTS), "Arket 'Distrikter' mangler tabellen tblDistrikter"),
    (_delete_sheet(c.SHEET_COEFS), "mangler arket 'Koefficienter'"),
    (_empty_pupils, "indeholder ingen elever"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m[:30] for _, m in BAD])
def test_bad_input_leaves_file_byte_for_byte(tmp_path, change, message):
    path = make_workbook(tmp_path / "bad.xlsx", n=60)
    _edit(path, change)
    if "NA()" in message or "fejlværdien" in message:
        # a formula error needs a calculated value: let LibreOffice compute it
        if soffice() is None:
            pytest.skip("LibreOffice mangler")
        path = recalculate(path, tmp_path / "lo")
    before = path.read_bytes()
    with pytest.raises(InputError, match=message):
        run_workbook(path)
    assert path.read_bytes() == before


def test_duplicate_pupil_id(tmp_path):
    pupils, districts = municipality(60)
    pupils = pupils.copy()
    pupils.loc[5, "ElevID"] = pupils.loc[2, "ElevID"]
    path = make_workbook(tmp_path / "dup.xlsx", pupils=pupils)
    before = path.read_bytes()
    with pytest.raises(InputError, match="rækkerne 6 og 9: ElevID '.*' står flere gange"):
        run_workbook(path)
    assert path.read_bytes() == before


def test_negative_budget_named(tmp_path):
    path = make_workbook(tmp_path / "neg.xlsx", n=60, settings={"SamletBudget": -5})
    with pytest.raises(InputError, match="SamletBudget"):
        run_workbook(path)


def test_cli_run_exit_code_and_message(tmp_path, capsys):
    path = make_workbook(tmp_path / "cli.xlsx", n=60)
    _edit(path, _set_pupil("alder", 10, "ti år"))
    assert main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fejl: Arket 'Elever' (tabellen tblElever), kolonne 'alder', række 10")
    assert "Traceback" not in err


@pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")
def test_libreoffice_recalculates_without_errors_and_budget_follows_total(tmp_path):
    path = make_workbook(tmp_path / "lo.xlsx", n=800)
    run_workbook(path)
    # change the total in the settings sheet (what a budget officer does) and recalculate in LibreOffice
    _edit(path, lambda wb: wb[c.SHEET_SETTINGS].__setitem__("B6", 12_345_679))
    out = recalculate(path, tmp_path / "lo_out")
    assert error_cells(out) == []
    alloc = table(out, c.TBL_ALLOCATION)
    budget = alloc["Budget (kr.)"].astype(float).to_numpy()
    assert budget.sum() == 12_345_679
    inputs = read_need_inputs(path.read_bytes())
    key = alloc["Fordelingsnøgle"].astype(float).to_numpy()
    np.testing.assert_array_equal(budget, largest_remainder(key, 12_345_679, order=alloc["Rækkefølge"].tolist()))
    head = alloc["Budget efter elevtal (kr.)"].astype(float).to_numpy()
    assert head.sum() == 12_345_679
    assert inputs.settings["SamletBudget"] == 12_345_679


def test_shared_copy_has_no_pupil_data_and_suppresses_small_counts(tmp_path):
    pupils, districts = municipality(300)
    path = make_workbook(tmp_path / "s.xlsx", pupils=pupils)
    run_workbook(path)
    out = share_workbook(path, tmp_path / "delt.xlsx")
    wb = openpyxl.load_workbook(out)
    assert c.SHEET_PUPILS not in wb.sheetnames and c.SHEET_PUPIL_RESULTS not in wb.sheetnames
    assert wb.sheetnames[0] == c.SHEET_SUMMARY          # the copy opens on the page for the city council …
    assert wb.active.title == c.SHEET_SUMMARY
    assert "Delt version" in wb["Om denne kopi"]["A1"].value   # … and still says what it is
    assert not wb.defined_names
    ids = set(pupils["ElevID"].astype(str))
    for name, data in parts(out).items():
        text = data.decode("utf-8", errors="ignore")
        assert not any(i in text for i in list(ids)[:300]), name
        assert "tblElever" not in text
    need = table(out, c.TBL_NEED)
    counts = need["Faktiske segregerede elever"].tolist()
    assert all(v == "<5" or float(v) >= 5 or float(v) == 0 for v in counts)  # 1–4 hidden, 0 describes nobody
    assert any(v == "<5" for v in counts)  # 300 pupils: some district has fewer than five referrals
    hidden = [i for i, v in enumerate(counts) if v == "<5"]
    assert all(need["Faktisk andel af segregerede elever"][i] in ("", None) for i in hidden)
    assert len(hidden) >= 2  # secondary suppression: one hidden cell could be recovered from the total
    ext = table(out, c.TBL_EXTERNAL)
    assert all(ext["Faktisk henvisningsandel"][i] in ("", None) for i in hidden)


def test_cli_share_refuses_same_name(tmp_path, capsys):
    path = make_workbook(tmp_path / "x.xlsx", n=60)
    assert main(["share", str(path), "--out", str(path)]) == 2
    assert "andet filnavn" in capsys.readouterr().err


@pytest.mark.skipif(soffice() is None, reason="LibreOffice mangler")
def test_template_and_shared_copy_open_in_libreoffice_without_errors(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", n=200)
    run_workbook(path)
    shared = share_workbook(path, tmp_path / "delt.xlsx")
    for f in (TEMPLATE, shared):
        out = recalculate(f, tmp_path / f"lo_{f.stem}")
        assert error_cells(out) == [], f
        assert openpyxl.load_workbook(out).sheetnames == openpyxl.load_workbook(f).sheetnames
