"""The package audit (workbook/audit.py): what can carry data besides the tables is refused."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.comments import Comment
from openpyxl.worksheet.table import Table

from tildeling.privacy import DisclosureError
from tildeling.workbook.audit import audit_package, require_clear, save_cleared


def clean_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Distriktsbehov"
    ws["A1"] = "Forventet behov pr. distrikt"
    rows = [("Distrikt", "Navn", "Elever", "Faktiske segregerede elever"), ("1", "Nord", 300, 12), ("2", "Syd", 250, 9)]
    for i, r in enumerate(rows, start=3):
        for j, v in enumerate(r, start=1):
            ws.cell(row=i, column=j, value=v)
    ws.add_table(Table(displayName="tblDistriktsbehov", ref="A3:D5"))
    return wb


def package(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item.filename))
        z.writestr(name, content)
    return out.getvalue()


def rules(findings):
    return {f.rule for f in findings}


def test_a_clean_package_passes():
    assert audit_package(package(clean_book())) == []


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_refused(state):
    wb = clean_book()
    wb.create_sheet("Noter").sheet_state = state
    assert "skjult-ark" in rules(audit_package(package(wb)))


@pytest.mark.parametrize("name", ["Elever", "Elevresultater", "Sagsbehandlerliste", "Ikke koblede elever", "Fravær"])
def test_sheets_with_pupil_rows_are_refused(name):
    wb = clean_book()
    wb.create_sheet(name)
    assert "persondata-ark" in rules(audit_package(package(wb)))


def test_pupil_ids_in_any_part_are_found():
    wb = clean_book()
    wb.properties.title = "Kopi af E0012345"
    found = audit_package(package(wb), pupil_ids=["E0012345", "E0099999"])
    assert "elev-id" in rules(found) and any("docProps/core.xml" in f.message for f in found)
    wb = clean_book()
    wb["Distriktsbehov"]["F1"] = "E0099999"
    found = audit_package(package(wb), pupil_ids=["E0012345", "E0099999"])
    assert any("sharedStrings" in f.message or "sheet" in f.message for f in found if f.rule == "elev-id")
    assert audit_package(package(clean_book()), pupil_ids=["E0012345"]) == []


@pytest.mark.parametrize("part, what", [
    ("xl/pivotCache/pivotCacheDefinition1.xml", "pivot-cache"),
    ("xl/pivotCache/pivotCacheRecords1.xml", "pivot-cache"),
    ("xl/externalLinks/externalLink1.xml", "eksternt link"),
    ("customXml/item1.xml", "brugerdefineret XML"),
    ("docProps/custom.xml", "dokumentegenskaber"),
    ("xl/connections.xml", "dataforbindelse"),
    ("xl/embeddings/oleObject1.bin", "indlejret objekt"),
    ("xl/vbaProject.bin", "makroer"),
])
def test_parts_that_carry_data_are_refused(part, what):
    data = with_part(package(clean_book()), part, b"<x/>")
    found = [f for f in audit_package(data) if f.rule == "pakkedel"]
    assert found and what in found[0].message


def test_comments_and_document_properties_are_refused():
    wb = clean_book()
    wb["Distriktsbehov"]["A1"].comment = Comment("3 elever i Syd er ikke med", "analytiker")
    assert "pakkedel" in rules(audit_package(package(wb)))
    wb = clean_book()
    wb.properties.keywords = "elever 2016"
    wb.properties.description = "Rådata fra DST"
    assert "egenskab" in rules(audit_package(package(wb)))


def test_numbers_outside_a_table_and_small_numbers_in_text():
    wb = clean_book()
    wb["Distriktsbehov"]["F10"] = 3
    assert "tal-uden-tabel" in rules(audit_package(package(wb)))
    wb = clean_book()
    wb["Distriktsbehov"]["A2"] = "Bemærk: kun 2 elever i Syd er segregeret."
    assert "tekst" in rules(audit_package(package(wb)))


def test_small_counts_in_a_table_and_an_unknown_table():
    wb = clean_book()
    wb["Distriktsbehov"]["D5"] = 2
    assert "lille-tal" in rules(audit_package(package(wb)))
    wb = clean_book()
    ws = wb.create_sheet("Ekstra")
    ws["A1"], ws["A2"] = "Antal", 40
    ws.add_table(Table(displayName="tblEkstra", ref="A1:A2"))
    assert "ukendt-tabel" in rules(audit_package(package(wb)))


def test_save_cleared_writes_only_a_clean_file(tmp_path):
    out = tmp_path / "delt.xlsx"
    save_cleared(out, package(clean_book()))
    assert audit_package(out) == []
    out.write_bytes(b"den gamle fil")
    wb = clean_book()
    wb["Distriktsbehov"]["D5"] = 2
    with pytest.raises(DisclosureError) as err:
        save_cleared(out, package(wb))
    assert "viser 2" in str(err.value) and "Intet er gemt" in str(err.value)
    assert out.read_bytes() == b"den gamle fil"
    with pytest.raises(DisclosureError):
        require_clear(package(wb))


def test_the_personal_sheets_are_the_contracts():
    from tildeling.workbook.absence import contract as ac
    from tildeling.workbook.audit import PERSONAL_SHEETS
    from tildeling.workbook.need import contract as nc

    assert set(PERSONAL_SHEETS) == {*nc.PERSONAL_SHEETS, *ac.PERSONAL_SHEETS, *ac.PUPIL_LEVEL_SHEETS}
