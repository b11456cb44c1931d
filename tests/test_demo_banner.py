"""Demonstration coefficients are never silent: a red banner on every result sheet and the shared copy, a warning
from ``tildeling run``; the coefficient table's fingerprint."""

from __future__ import annotations

import copy

import pytest
from python_calamine import CalamineWorkbook

from tildeling.cli import main
from tildeling.io.coefficients import demo_coefficients, is_demonstration, read_coefficients, write_coefficients
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.share import SHARED_NOTE_SHEET, share_workbook

from wbtools import make_workbook, municipality, SETTINGS


def _real_looking():
    """The demonstration model with its marks removed and one coefficient changed: not the demonstration."""
    coefs = demo_coefficients()
    coefs = copy.deepcopy(coefs)
    coefs.metadata = {k: v for k, v in coefs.metadata.items() if k not in ("Datakilde", "Bemærk")}
    coefs.metadata["Datakilde"] = "Registerdata, Danmarks Statistik (projekt 1234)"
    coefs.table.loc[1, "Koefficient"] += 1e-6
    return coefs


def test_fingerprint_follows_the_model_not_the_file(tmp_path):
    coefs = demo_coefficients()
    write_coefficients(coefs, tmp_path / "k.xlsx")
    write_coefficients(coefs, tmp_path / "k.csv")
    assert read_coefficients(tmp_path / "k.xlsx").fingerprint() == coefs.fingerprint()
    assert read_coefficients(tmp_path / "k.csv").fingerprint() == coefs.fingerprint()
    other = copy.deepcopy(coefs)
    other.metadata["Datakilde"] = "noget andet"
    assert other.fingerprint() == coefs.fingerprint()
    changed = _real_looking()
    assert changed.fingerprint() != coefs.fingerprint() and len(coefs.fingerprint()) == 16


def test_demonstration_is_recognised_by_the_model_or_its_marks():
    coefs = demo_coefficients()
    assert is_demonstration(coefs)
    unmarked = copy.deepcopy(coefs)
    unmarked.metadata = {}
    assert is_demonstration(unmarked)            # pasted without metadata: the fingerprint still tells
    assert not is_demonstration(_real_looking())


def _first_rows(path, sheet, n=4) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [str(r[0]) for r in rows[:n] if r]


def test_banner_on_every_result_sheet_of_a_demonstration_run_and_its_shared_copy(tmp_path, capsys):
    path = make_workbook(tmp_path / "demo.xlsx", n=300, settings={"MedElevsandsynligheder": "Ja"})
    assert main(["run", str(path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"Advarsel: {c.DEMO_BANNER}" in err          # even with --quiet
    for sheet in (*c.OUTPUT_SHEETS, c.SHEET_PUPIL_RESULTS):
        assert _first_rows(path, sheet)[1] == c.DEMO_BANNER, sheet
    log = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(c.SHEET_LOG).to_python()
    assert any(c.DEMO_BANNER in str(v) for row in log for v in row)
    shared = share_workbook(path, tmp_path / "delt.xlsx")
    wb = CalamineWorkbook.from_path(str(shared))
    for sheet in wb.sheet_names:
        assert c.DEMO_BANNER in _first_rows(shared, sheet), sheet
    assert wb.sheet_names[0] == c.SHEET_SUMMARY                # the shared copy opens on Sammenfatning (issue 10)
    assert _first_rows(shared, SHARED_NOTE_SHEET)[0].startswith("Delt version")


def test_no_banner_with_real_coefficients(tmp_path, capsys):
    from tildeling.workbook.need.template import write_template

    pupils, districts = municipality(300)
    path = tmp_path / "rigtig.xlsx"
    write_template(path, coefs=_real_looking(), pupils=pupils, districts=districts, settings=SETTINGS)
    assert main(["run", str(path), "--quiet"]) == 0
    assert "DEMONSTRATION" not in capsys.readouterr().err
    for sheet in c.OUTPUT_SHEETS:
        assert c.DEMO_BANNER not in _first_rows(path, sheet, 10), sheet
    assert not run_workbook(path).demo
