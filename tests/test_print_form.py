"""Print and form of the result sheets: A4 print setup that survives the graft, protection, totals, colours."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook

from wbtools import make_workbook, municipality, soffice


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    d = tmp_path_factory.mktemp("form")
    _, districts = municipality(300)
    districts = districts.copy()
    districts["Nuværende budget (kr.)"] = [2_100_000, 1_300_000, 1_700_000, 600_000, 2_000_000, 2_300_000]
    path = make_workbook(d / "form.xlsx", n=300, districts=districts,
                         settings={"Budgetaar": 2027, "Indfasningsaar": 2})
    run_workbook(path)
    run_workbook(path)   # a rerun replaces the sheets and their print setup (no duplicate names)
    return path


def test_print_areas_and_titles_survive_the_graft(ran):
    wb = openpyxl.load_workbook(ran)
    for name in (c.SHEET_NEED, c.SHEET_ALLOCATION, c.SHEET_BENCHMARK, c.SHEET_MODEL, c.SHEET_DESCRIPTIVES):
        ws = wb[name]
        assert ws.print_area, name
        assert int(ws.page_setup.paperSize) == 9   # A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    fordeling = wb[c.SHEET_ALLOCATION]
    table = fordeling.tables[c.TBL_ALLOCATION]
    header_row = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))
    assert fordeling.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
    # the print area stops at the last visible column: the rounding helpers are not printed
    last_visible = [col.name for col in table.tableColumns].index("Forskel til nuværende (kr.)")
    first_col = openpyxl.utils.column_index_from_string(table.ref.split(":")[0].rstrip("0123456789"))
    area_end = fordeling.print_area.split(":")[-1].replace("$", "").rstrip("0123456789")
    assert openpyxl.utils.column_index_from_string(area_end) == first_col + last_visible
    names = [n for n in wb.defined_names]   # workbook-level names only: print names are sheet-local
    assert "_xlnm.Print_Area" not in names


def test_result_sheets_are_protected_without_a_password_and_coloured(ran):
    wb = openpyxl.load_workbook(ran)
    for name in c.OUTPUT_SHEETS:
        ws = wb[name]
        assert ws.protection.sheet, name
        assert not ws.protection.password, name
        assert ws.sheet_properties.tabColor is not None and ws.sheet_properties.tabColor.rgb.endswith("2E75B6"), name
    for name in (c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_PUPILS):   # input sheets stay open
        assert not wb[name].protection.sheet


def test_budget_cells_are_locked_and_helpers_hidden(ran):
    ws = openpyxl.load_workbook(ran)[c.SHEET_ALLOCATION]
    table = ws.tables[c.TBL_ALLOCATION]
    cols = [col.name for col in table.tableColumns]
    first = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit())) + 1
    left = openpyxl.utils.column_index_from_string(table.ref.split(":")[0].rstrip("0123456789"))
    budget = ws.cell(row=first, column=left + cols.index("Budget (kr.)"))
    assert budget.protection.locked
    helper = openpyxl.utils.get_column_letter(left + cols.index("Rest"))
    assert ws.column_dimensions[helper].hidden or any(
        dim.hidden and dim.min <= left + cols.index("Rest") <= dim.max for dim in ws.column_dimensions.values())


def test_tables_have_a_total_row(ran):
    wb = openpyxl.load_workbook(ran)
    for sheet, name in ((c.SHEET_ALLOCATION, c.TBL_ALLOCATION), (c.SHEET_ALLOCATION, c.TBL_PHASE_IN),
                        (c.SHEET_NEED, c.TBL_NEED), (c.SHEET_BENCHMARK, c.TBL_EXTERNAL),
                        (c.SHEET_BENCHMARK, c.TBL_INTERNAL)):
        ws = wb[sheet]
        t = ws.tables[name]
        assert t.totalsRowCount == 1, name
        last = int("".join(ch for ch in t.ref.split(":")[1] if ch.isdigit()))
        first_col = t.ref.split(":")[0].rstrip("0123456789")
        assert ws[f"{first_col}{last}"].value == "I alt", name


def test_no_unit_twice(ran):
    wb = openpyxl.load_workbook(ran)
    for ws in wb.worksheets:
        for t in ws.tables.values():
            cols = [col.name for col in t.tableColumns]
            top = int("".join(ch for ch in t.ref.split(":")[0] if ch.isdigit()))
            left = openpyxl.utils.column_index_from_string(t.ref.split(":")[0].rstrip("0123456789"))
            for j, name in enumerate(cols):
                fmt = ws.cell(row=top + 1, column=left + j).number_format
                if "(kr.)" in str(name):
                    assert "kr" not in fmt, (t.name, name, fmt)
                if "procentpoint" in str(name):
                    assert "pp" not in fmt, (t.name, name, fmt)


def test_summary_is_one_portrait_page_with_a_chart(ran):
    ws = openpyxl.load_workbook(ran)[c.SHEET_SUMMARY]
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToHeight == 1 and ws.page_setup.fitToWidth == 1
    assert ws._charts
    assert openpyxl.load_workbook(ran).sheetnames.index(c.SHEET_SUMMARY) < \
        openpyxl.load_workbook(ran).sheetnames.index(c.SHEET_NEED)


@pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None, reason="LibreOffice/poppler mangler")
def test_shared_copy_opens_on_one_page_of_summary(ran, tmp_path):
    """Rendered by LibreOffice: the shared copy's first sheet, Sammenfatning, is exactly one printed page."""
    import subprocess

    from tildeling.workbook.need.share import share_workbook

    shared = share_workbook(ran, tmp_path / "delt.xlsx")
    assert openpyxl.load_workbook(shared).active.title == c.SHEET_SUMMARY
    out = tmp_path / "pdf"
    subprocess.run([soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "pdf", "--outdir", str(out), str(shared)], check=True, capture_output=True, timeout=240,
                   env={**__import__("os").environ, "LANG": "da_DK.UTF-8"})
    pdf = out / "delt.pdf"
    headers = []
    for page in range(1, 40):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              capture_output=True, text=True).stdout
        if not text.strip():
            break
        headers.append(text.strip().splitlines()[0].strip())   # the page header is the sheet's name
    assert headers[0] == c.SHEET_SUMMARY
    assert headers.count(c.SHEET_SUMMARY) == 1
    assert "Samlet budget 2027: " in subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                                                    capture_output=True, text=True).stdout
