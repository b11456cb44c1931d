"""The printed pages of a workbook made with ``tildeling new behovsmodel --leverance`` and its Koefficienter sheet.

The print setup is what the pages rely on (checked in the file, as Excel and LibreOffice read it): every input
sheet on A4 with the sheet's name at the top and the page number at the bottom; Distriktstal one page wide but
as many tall as needed, landscape, the figures on the first page and every other delivery table from the top of
a page of its own, the districts' descriptives (the long table, last) with its heading repeated; the Koefficienter
sheet of a delivery workbook says which coefficient table made the figures instead of showing one that did not.
"""

from __future__ import annotations

import openpyxl
import pytest

from tildeling.cli import main
from tildeling.io.coefficients import demo_coefficients
from tildeling.workbook.need import contract as c

from wbtools import delivery_file, table


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    delivery_file(tmp)
    assert main(["new", "behovsmodel", "--leverance", str(tmp / "lev.xlsx"), "--out", str(tmp / "bud.xlsx"),
                 "--quiet"]) == 0
    return tmp / "bud.xlsx"


def _top(ws, name: str) -> int:
    return int(_ref(ws, name).split(":")[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _ref(ws, name: str) -> str:
    t = ws.tables[name]
    return t if isinstance(t, str) else t.ref


def test_every_input_sheet_has_a_page_setup(workbook):
    wb = openpyxl.load_workbook(workbook)
    for name in (c.SHEET_GUIDE, c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_DISTRICT_FIGURES, c.SHEET_COEFS,
                 c.SHEET_PUPILS, c.SHEET_LAST_YEAR):
        ws = wb[name]
        assert ws.oddHeader.center.text == name, name
        assert ws.oddFooter.right.text == "Side &P af &N", name
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), name
    for name in (c.SHEET_SETTINGS, c.SHEET_DISTRICTS, c.SHEET_DISTRICT_FIGURES):
        ws = wb[name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0, name   # not squeezed
        assert ws.page_setup.orientation == "landscape", name
        if name != c.SHEET_DISTRICT_FIGURES:       # the tables' heading (Distriktstal: below)
            assert ws.print_title_rows.replace("$", "") == "3:3", name
    assert not wb[c.SHEET_PUPILS].sheet_properties.pageSetUpPr.fitToPage   # 40 columns: never shrunk to nothing


def test_district_figures_print_table_by_table(workbook):
    wb = openpyxl.load_workbook(workbook)
    ws = wb[c.SHEET_DISTRICT_FIGURES]
    tops = {name: _top(ws, name) for name in ws.tables}
    # the figures the run uses first; the long descriptives last, its heading repeated on its pages
    assert tops[c.TBL_DISTRICT_FIGURES] < tops[c.TBL_MUNICIPAL_FIGURES] < min(
        v for k, v in tops.items() if k not in (c.TBL_DISTRICT_FIGURES, c.TBL_MUNICIPAL_FIGURES))
    assert max(tops, key=tops.get) == c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES
    last = tops[c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES]
    assert ws.print_title_rows.replace("$", "") == f"{last}:{last}"
    # a page break right above the title of every delivery table but the capture rates (under the metadata)
    breaks = sorted(b.id for b in ws.row_breaks.brk)
    for name in (c.TBL_DELIVERY, c.TBL_DELIVERY_DESCRIPTIVES, c.TBL_SUPPRESSED, c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES):
        assert tops[name] - 2 in breaks, name          # the title is the row above the heading
    assert len(breaks) == 4
    # no break between a table's heading and its rows, nor inside a short table
    for name, ref in ((n, _ref(ws, n)) for n in ws.tables):
        first, last_row = tops[name], int(ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        assert not [b for b in breaks if first - 1 <= b < last_row], name
    # printed at a readable size: the columns of the widest table fit a landscape page at 80 % or more
    width_cm = sum(0.19 * ws.column_dimensions[col].width + 0.13 for col in "ABCDEFGH")
    assert 27.16 / width_cm >= 0.8
    # the round trip reads the tables where they are now
    assert len(table(workbook, c.TBL_DISTRICT_FIGURES)) == 6
    assert not ws.protection.sheet        # an input sheet: the budget officer may type district figures


def test_koefficienter_of_a_delivery_workbook_names_the_delivery_coefficients(workbook):
    wb = openpyxl.load_workbook(workbook)
    ws = wb[c.SHEET_COEFS]
    assert c.TBL_COEFS not in ws.tables                       # no coefficient table that did not make the figures
    info = table(workbook, c.TBL_MODEL_INFO).set_index("Nøgle")["Værdi"]
    assert info["Koefficienternes fingeraftryk"] == demo_coefficients().fingerprint()
    assert "DEMONSTRATION" in info["Koefficientkilde"] and info["Demonstrationskoefficienter"] == "Ja"
    texts = [str(ws.cell(row=r, column=1).value) for r in range(1, 8)]
    assert c.DEMO_BANNER in texts                              # the delivery was made with the demonstration table
    assert any("Koefficienterne bruges hos analytikeren" in t and "ikke i denne projektmappe" in t for t in texts)


def test_a_pupil_route_workbook_keeps_its_coefficient_table(tmp_path):
    from tildeling.workbook.need.template import write_template

    write_template(tmp_path / "elever.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "elever.xlsx")
    assert c.TBL_COEFS in wb[c.SHEET_COEFS].tables and c.TBL_MODEL_INFO in wb[c.SHEET_COEFS].tables
    assert wb[c.SHEET_COEFS]["A1"].value == c.DEMO_COEF_LABEL
