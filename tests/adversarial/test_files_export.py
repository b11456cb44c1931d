"""Hostile files for ``tildeling export`` (and the files ``new --leverance`` and ``run --sidste-aar`` read).

``export`` reads pupil data (CSV, Parquet or xlsx), a coefficient table and a district file, and writes a
delivery (or one per municipality). Every hostile input or output ends with exit 2, a Danish message, no
traceback and nothing on disk changed; a delivery is never overwritten without ``--overwrite``, and the
deliveries of ``--alle-kommuner`` are written all or none.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pandas as pd
import pytest

from wbtools import municipality

from .checks import assert_refused, digest, folder_state
from .hostile import encrypted, read_parts, write_parts


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Pupils (Parquet, CSV, xlsx), districts and the demonstration coefficients (CSV and xlsx)."""
    from tildeling.io.coefficients import demo_coefficients, write_coefficients

    tmp = tmp_path_factory.mktemp("exportdata")
    pupils, districts = municipality(600)
    pupils.to_parquet(tmp / "elever.parquet", index=False)
    pupils.to_csv(tmp / "elever.csv", sep=";", decimal=",", index=False)
    pupils.to_excel(tmp / "elever.xlsx", index=False)
    districts.to_csv(tmp / "distrikter.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp / "koef.csv")
    write_coefficients(demo_coefficients(), tmp / "koef.xlsx")
    two = pd.concat([pupils.assign(Kommune="217"), pupils.assign(Kommune="219")], ignore_index=True)
    two.to_parquet(tmp / "to_kommuner.parquet", index=False)
    return tmp


@pytest.fixture
def work(data, tmp_path) -> Path:
    for f in data.iterdir():
        shutil.copyfile(f, tmp_path / f.name)
    return tmp_path


def _export(folder: Path, pupils="elever.parquet", coefs="koef.csv", districts="distrikter.csv",
            out="lev.xlsx", extra=()) -> list:
    return ["export", folder / pupils if isinstance(pupils, str) else pupils,
            folder / coefs if isinstance(coefs, str) else coefs, "--distrikter",
            folder / districts if isinstance(districts, str) else districts, "--kommune", "217",
            "--out", folder / out if isinstance(out, str) else out, "--quiet", *extra]


# ------------------------------------------------------------------------------------------- hostile inputs
def _xlsx_as(name: str):
    return lambda folder: (folder / "elever.xlsx").read_bytes()


HOSTILE = {
    # file name, content from the folder, words of the message
    "empty_csv": ("x.csv", lambda f: b"", ["tom"]),
    "empty_parquet": ("x.parquet", lambda f: b"", ["tom", "parquet"]),
    "empty_xlsx": ("x.xlsx", lambda f: b"", ["tom"]),
    "workbook_renamed_to_csv": ("x.csv", lambda f: (f / "elever.xlsx").read_bytes(), ["ikke en tekstfil", ".xlsx"]),
    "csv_renamed_to_parquet": ("x.parquet", lambda f: (f / "elever.csv").read_bytes(), ["ikke en parquet-fil",
                                                                                         "tekstfil"]),
    "csv_renamed_to_xlsx": ("x.xlsx", lambda f: (f / "elever.csv").read_bytes(), ["tekstfil"]),
    "truncated_parquet": ("x.parquet", lambda f: (f / "elever.parquet").read_bytes()[:5000], ["beskadiget",
                                                                                              "afkortet"]),
    "truncated_xlsx": ("x.xlsx", lambda f: (f / "elever.xlsx").read_bytes()[:3000], ["beskadiget"]),
    "binary_csv": ("x.csv", lambda f: bytes(range(256)) * 40, ["ikke en tekstfil", "binært"]),
    "html_csv": ("x.csv", lambda f: b"<!DOCTYPE html><html><body>Log ind</body></html>", ["webside"]),
    "encrypted_xlsx": ("x.xlsx", lambda f: encrypted((f / "elever.xlsx").read_bytes()), ["adgangskode"]),
    "encrypted_renamed_to_csv": ("x.csv", lambda f: encrypted((f / "elever.xlsx").read_bytes()),
                                 ["adgangskode"]),
    "ragged_csv": ("x.csv", lambda f: b"Distrikt;alder\n1;10,5\n2;11,5;7;8;9\n", ["række 3 har 5 felter"]),
}


@pytest.mark.parametrize("slot", ["pupils", "districts"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_data_file(case, slot, work, cli):
    name, make, words = HOSTILE[case]
    bad = work / name
    bad.write_bytes(make(work))
    args = _export(work, **{slot: bad})
    before = folder_state(work)
    assert_refused(cli(*args), name, *words)
    assert folder_state(work) == before


@pytest.mark.parametrize("case", ["empty_csv", "workbook_renamed_to_csv", "csv_renamed_to_xlsx", "truncated_xlsx",
                                  "binary_csv", "encrypted_xlsx"])
def test_hostile_coefficient_file(case, work, cli):
    name, make, words = HOSTILE[case]
    bad = work / name
    bad.write_bytes(make(work))
    before = folder_state(work)
    assert_refused(cli(*_export(work, coefs=bad)), name)
    assert folder_state(work) == before


def test_a_danish_excel_csv_in_windows_1252_is_read(work, cli):
    """Danish Excel saves 'CSV (semikolonsepareret)' in Windows-1252: æ, ø and å in the district names survive."""
    districts = pd.read_csv(work / "distrikter.csv", sep=";", dtype=str)
    districts["Navn"] = [f"Skolen på Ærø {i} – Søndre" for i in range(len(districts))]
    districts.to_csv(work / "distrikter.csv", sep=";", index=False, encoding="cp1252")
    assert cli(*_export(work)).code == 0
    from wbtools import table

    names = list(table(work / "lev.xlsx", "tblDistriktstal")["Navn"])
    assert names[0] == "Skolen på Ærø 0 – Søndre"


def test_unreadable_and_missing_inputs(work, cli):
    (work / "elever.parquet").chmod(0)
    try:
        assert_refused(cli(*_export(work)), "læseadgang", "elever.parquet")
    finally:
        (work / "elever.parquet").chmod(0o644)
    assert_refused(cli(*_export(work, coefs="findes-ikke.csv")), "findes ikke")
    (work / "mappe.csv").mkdir()
    assert_refused(cli(*_export(work, districts="mappe.csv")), "mappe")
    assert not (work / "lev.xlsx").exists()


# ------------------------------------------------------------------------------------------- the output
def test_an_existing_delivery_is_not_overwritten_without_the_option(work, cli):
    out = work / "lev.xlsx"
    out.write_bytes(b"sidste uges leverance")
    before = folder_state(work)
    assert_refused(cli(*_export(work)), "lev.xlsx", "findes allerede", "--overwrite")
    assert folder_state(work) == before
    assert cli(*_export(work, extra=["--overwrite"])).code == 0
    assert read_parts(out)["xl/workbook.xml"]


@pytest.mark.parametrize("case, words", [
    ("read_only_file", ["skrivebeskyttet"]),
    ("read_only_folder", ["mappen", "skrivebeskyttet"]),
    ("missing_folder", ["findes ikke"]),
    ("folder_as_the_file", ["mappe"]),
    ("open_in_excel", ["åben"]),
    ("xlsb", [".xlsb"]),
])
def test_hostile_output(case, words, work, cli, read_only):
    out = work / "ud" / "lev.xlsx"
    (work / "ud").mkdir()
    if case == "read_only_file":
        out.write_bytes(b"gammel")
        read_only(out)
    elif case == "read_only_folder":
        read_only(work / "ud")
    elif case == "missing_folder":
        out = work / "findes-ikke" / "lev.xlsx"
    elif case == "folder_as_the_file":
        out.mkdir()
    elif case == "open_in_excel":
        out.write_bytes(b"gammel")
        (work / "ud" / "~$lev.xlsx").write_bytes(b"\x00" * 162)
    elif case == "xlsb":
        out = work / "ud" / "lev.xlsb"
    before = folder_state(work), folder_state(work / "ud")
    assert_refused(cli(*_export(work, out=out, extra=["--overwrite"])), *words)
    assert (folder_state(work), folder_state(work / "ud")) == before


def _disk_full_on(call: int):
    import os as _os

    real = _os.fsync
    count = [0]

    def fsync(fd):
        count[0] += 1
        if count[0] >= call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    return fsync


def test_full_disk_leaves_the_old_delivery(work, cli, monkeypatch):
    import tildeling.io.atomic as atomic

    out = work / "lev.xlsx"
    out.write_bytes(b"sidste uges leverance")
    before = folder_state(work)
    monkeypatch.setattr(atomic.os, "fsync", _disk_full_on(1))
    assert_refused(cli(*_export(work, extra=["--overwrite"])),
                   "ikke plads på disken")
    assert folder_state(work) == before


# ------------------------------------------------------------------------------------------- every municipality
def _all(work: Path, out: Path, *extra) -> list:
    return ["export", work / "to_kommuner.parquet", work / "koef.csv", "--alle-kommuner", "--out", out, "--quiet",
            *extra]


def test_all_municipalities_are_not_overwritten_without_the_option(work, cli):
    out = work / "leverancer"
    out.mkdir()
    (out / "219.xlsx").write_bytes(b"sidste uges leverance")
    before = folder_state(out)
    assert_refused(cli(*_all(work, out)), "219.xlsx", "allerede", "--overwrite")
    assert folder_state(out) == before
    assert cli(*_all(work, out, "--overwrite")).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["217.xlsx", "219.xlsx"]
    assert digest(out / "219.xlsx") != before["219.xlsx"]


@pytest.mark.parametrize("existing", [False, True])
def test_all_municipalities_are_written_all_or_none(existing, work, cli, monkeypatch):
    """The disk fills up after the first delivery is written: no delivery is written (or replaced)."""
    import tildeling.io.atomic as atomic

    out = work / "leverancer"
    if existing:
        out.mkdir()
        (out / "217.xlsx").write_bytes(b"gammel 217")
        (out / "219.xlsx").write_bytes(b"gammel 219")
    before = folder_state(work)
    inner = folder_state(out) if existing else None
    monkeypatch.setattr(atomic.os, "fsync", _disk_full_on(2))
    assert_refused(cli(*_all(work, out, "--overwrite")), "ikke plads på disken")
    assert folder_state(work) == before
    if existing:
        assert folder_state(out) == inner
    else:
        assert not out.exists()


# ------------------------------------------------------------------------------------------- other readers
@pytest.mark.parametrize("case", ["empty_xlsx", "csv_renamed_to_xlsx", "truncated_xlsx", "encrypted_xlsx"])
def test_new_from_a_hostile_delivery(case, work, cli):
    name, make, words = HOSTILE[case]
    bad = work / name
    bad.write_bytes(make(work))
    before = folder_state(work)
    assert_refused(cli("new", "behovsmodel", "--leverance", bad, "--out", work / "ny.xlsx"), name, *words)
    assert folder_state(work) == before


@pytest.mark.parametrize("case", ["empty_xlsx", "csv_renamed_to_xlsx", "truncated_xlsx", "encrypted_xlsx"])
def test_run_with_a_hostile_last_year_file(case, need_book, data, cli):
    name, make, words = HOSTILE[case]
    folder = need_book.parent
    bad = folder / name
    bad.write_bytes(make(data))
    before = folder_state(folder)
    assert_refused(cli("run", need_book, "--sidste-aar", bad), name, *words)
    assert folder_state(folder) == before


def test_damaged_part_in_a_delivery(work, cli):
    assert cli(*_export(work)).code == 0
    parts = read_parts(work / "lev.xlsx")
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"][:-30]
    (work / "lev.xlsx").write_bytes(write_parts(parts))
    before = folder_state(work)
    assert_refused(cli("new", "behovsmodel", "--leverance", work / "lev.xlsx", "--out", work / "ny.xlsx"),
                   "beskadiget", "xl/workbook.xml")
    assert folder_state(work) == before


def test_a_coefficient_csv_saved_by_danish_excel_is_read(work, cli):
    """The coefficient table opened and saved again in Danish Excel as 'CSV (semikolonsepareret)' (Windows-1252):
    the categories with æ, ø and å still match the pupils' values, and the delivery is the same."""
    from tildeling.io.coefficients import read_coefficients

    text = (work / "koef.csv").read_bytes().decode("utf-8-sig")
    assert "ø" in text or "æ" in text or "å" in text
    (work / "koef1252.csv").write_bytes(text.encode("cp1252"))
    a, b = read_coefficients(work / "koef.csv"), read_coefficients(work / "koef1252.csv")
    assert a.table.astype(str).equals(b.table.astype(str))
    assert cli(*_export(work, coefs="koef1252.csv")).code == 0
