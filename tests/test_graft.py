"""graft_sheets: defined names, the active sheet, the place of new sheets, hidden sheets."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from tildeling.workbook.graft import graft_sheets, read_package_names


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _target(active: str = "Ind1") -> bytes:
    """Input sheets Ind1, Ind3 around an old result sheet Ud2; a print area on Ind3; Ind1 selected."""
    wb = openpyxl.Workbook()
    wb.active.title = "Ind1"
    wb["Ind1"]["A1"] = "input 1"
    wb.create_sheet("Ud2")["A1"] = "gammelt resultat"
    wb.create_sheet("Ind3")["A1"] = "input 3"
    wb["Ind3"].print_area = "A1:B2"
    wb.active = wb.sheetnames.index(active)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == active
    return _save(wb)


def _source(hidden: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ("Ny1", "Ud2", "Ny3"):
        wb.create_sheet(name)["A1"] = f"resultat {name}"
    if hidden:
        wb[hidden].sheet_state = "hidden"
    wb.defined_names["lstX"] = DefinedName("lstX", attr_text="'Ny3'!$A$1:$A$3")
    return _save(wb)


def _workbook_xml(data: bytes) -> str:
    return _parts(data)["xl/workbook.xml"].decode()


def test_default_appends_new_sheets_and_keeps_names():
    out = graft_sheets(_target(), _source(), ["Ny1", "Ud2", "Ny3"])
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb.sheetnames == ["Ind1", "Ud2", "Ind3", "Ny1", "Ny3"]
    assert wb["Ud2"]["A1"].value == "resultat Ud2"
    assert "lstX" not in wb.defined_names          # only when asked for
    assert wb["Ind3"].print_area == "'Ind3'!$A$1:$B$2"


def test_keep_order_places_new_sheets_next_to_their_neighbours_and_renumbers_local_names():
    out = graft_sheets(_target(), _source(), ["Ny1", "Ud2", "Ny3"], keep_order=True)
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb.sheetnames == ["Ind1", "Ny1", "Ud2", "Ny3", "Ind3"]
    # the print area belongs to Ind3, now at position 4 (localSheetId follows the sheet)
    assert wb["Ind3"].print_area == "'Ind3'!$A$1:$B$2"
    assert re.search(r'localSheetId="4"', _workbook_xml(out))
    assert wb.active.title == "Ind1"
    # a rerun changes nothing in the order
    again = graft_sheets(out, _source(), ["Ny1", "Ud2", "Ny3"], keep_order=True)
    assert openpyxl.load_workbook(io.BytesIO(again)).sheetnames == wb.sheetnames


def test_defined_names_added_updated_and_not_duplicated():
    names = {"lstX": "'Ny3'!$A$1:$A$3", "Modeltype": '"test"'}
    out = graft_sheets(_target(), _source(), ["Ny1", "Ud2", "Ny3"], defined_names=names)
    xml = _workbook_xml(out)
    assert xml.index("<definedNames>") < xml.index("<calcPr")          # schema order
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb.defined_names["lstX"].attr_text == "'Ny3'!$A$1:$A$3"
    assert wb.defined_names["Modeltype"].attr_text == '"test"'
    changed = graft_sheets(out, _source(), ["Ny1", "Ud2", "Ny3"], defined_names={"lstX": "='Ny3'!$A$1:$A$9"})
    xml = _workbook_xml(changed)
    assert xml.count('name="lstX"') == 1 and "$A$9" in xml and xml.count('name="Modeltype"') == 1
    again = graft_sheets(out, _source(), ["Ny1", "Ud2", "Ny3"], defined_names=names)
    assert _workbook_xml(again) == _workbook_xml(out)


def test_active_sheet_is_the_only_selected_tab_and_other_parts_change_by_that_attribute_only():
    target = _target(active="Ind3")
    before = _parts(target)
    sheets = read_package_names(target)
    out = graft_sheets(target, _source(), ["Ny1", "Ud2", "Ny3"], active="Ud2", keep_order=True)
    after = _parts(out)
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb.active.title == "Ud2"
    selected = [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected]
    assert selected == ["Ud2"]
    # Ind1 was not selected: byte for byte; Ind3 lost only its tabSelected attribute
    assert after[sheets["Ind1"]] == before[sheets["Ind1"]]
    assert after[sheets["Ind3"]] != before[sheets["Ind3"]]
    assert after[sheets["Ind3"]] == re.sub(rb'\stabSelected="1"', b"", before[sheets["Ind3"]], count=1)


def test_hidden_source_sheet_stays_hidden():
    out = graft_sheets(_target(), _source(hidden="Ny3"), ["Ny1", "Ud2", "Ny3"])
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb["Ny3"].sheet_state == "hidden" and wb["Ny1"].sheet_state == "visible"


@pytest.mark.parametrize("kwargs", [{}, {"active": "Ny1", "keep_order": True, "defined_names": {"a": "1"}}])
def test_result_is_a_valid_package(kwargs):
    out = graft_sheets(_target(), _source(), ["Ny1", "Ud2", "Ny3"], **kwargs)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None
        ct = z.read("[Content_Types].xml").decode()
    for part in read_package_names(out).values():
        assert f'PartName="/{part}"' in ct
