"""Hostile files: every case ends with exit 2, a Danish message, no traceback, and nothing on disk changed.

Commands: ``run``, ``absence``, ``share`` (they read a workbook) and ``new``, ``demo`` (they write one);
``export`` uses the same two functions (:func:`tildeling.io.files.open_workbook`,
:func:`tildeling.io.atomic.save`), which are tested directly at the end.
"""

from __future__ import annotations

import errno
import shutil
import zipfile
from pathlib import Path

import pytest

from .checks import assert_refused, digest, folder_state
from .hostile import (CT_MACRO_MAIN, VBA_BYTES, crc_damaged, encrypted, make_xlsb_like, make_xlsm, read_parts,
                     write_parts)

READERS = ["run", "absence", "share"]


def _command(cmd: str, path: Path, tmp_path: Path) -> list:
    if cmd == "share":
        return ["share", path, "--out", tmp_path / "delt.xlsx"]
    return [cmd, path]


# ----------------------------------------------------------------------------------------------- contents
def _renamed_csv(src: bytes) -> bytes:
    return "ElevID;Distrikt;Klassetrin\nE1;1;3\nE2;2;4\n".encode("utf-8")


def _empty(src: bytes) -> bytes:
    return b""


def _truncated(src: bytes) -> bytes:
    return src[: len(src) // 2]


def _damaged_workbook_part(src: bytes) -> bytes:
    parts = read_parts(src)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"][:-40]
    return write_parts(parts)


def _damaged_sheet(src: bytes) -> bytes:
    parts = read_parts(src)
    part = "xl/worksheets/sheet3.xml"
    parts[part] = parts[part].replace(b"<sheetData>", b"<sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></row>", 1)
    return write_parts(parts)


def _missing_sheet(src: bytes) -> bytes:
    parts = read_parts(src)
    del parts["xl/worksheets/sheet3.xml"]
    return write_parts(parts)


def _crc(src: bytes) -> bytes:
    return crc_damaged(src, "xl/workbook.xml")


def _crc_in_a_sheet(src: bytes) -> bytes:
    return crc_damaged(src, "xl/worksheets/sheet4.xml")


def _html(src: bytes) -> bytes:
    return b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>"


def _random_binary(src: bytes) -> bytes:
    return bytes(range(256)) * 20


def _old_xls(src: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000 + "Workbook".encode("utf-16-le") + b"\x00" * 100


CONTENTS = {
    "renamed_csv": (_renamed_csv, ["tekstfil", "CSV"]),
    "empty": (_empty, ["tom", "0 byte"]),
    "truncated": (_truncated, ["beskadiget", "afkortet"]),
    "damaged_workbook_part": (_damaged_workbook_part, ["beskadiget", "xl/workbook.xml"]),
    "damaged_sheet": (_damaged_sheet, ["beskadiget"]),
    "missing_sheet": (_missing_sheet, ["beskadiget", "mangler"]),
    "crc_error": (_crc, ["beskadiget", "CRC"]),
    "crc_error_in_a_sheet": (_crc_in_a_sheet, ["beskadiget", "CRC", "sheet4.xml"]),
    "html": (_html, ["ikke en excel-projektmappe", "HTML"]),
    "random_bytes": (_random_binary, ["ikke en excel-projektmappe"]),
    "old_xls": (_old_xls, [".xls"]),
}


@pytest.mark.parametrize("cmd", READERS)
@pytest.mark.parametrize("case", sorted(CONTENTS))
def test_not_a_workbook(case, cmd, need_source, absence_source, tmp_path, cli):
    source = absence_source if cmd == "absence" else need_source
    make, words = CONTENTS[case]
    path = tmp_path / "bog.xlsx"
    path.write_bytes(make(source.read_bytes()))
    before = folder_state(tmp_path)
    result = cli(*_command(cmd, path, tmp_path))
    assert_refused(result, "bog.xlsx", *words)
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("cmd", READERS)
def test_password_protected(cmd, need_source, absence_source, tmp_path, cli):
    """An encrypted .xlsx is an OLE compound file with an EncryptedPackage: say it is password-protected."""
    source = absence_source if cmd == "absence" else need_source
    path = tmp_path / "hemmelig.xlsx"
    path.write_bytes(encrypted(source.read_bytes()))
    before = folder_state(tmp_path)
    assert_refused(cli(*_command(cmd, path, tmp_path)), "adgangskode", "hemmelig.xlsx")
    assert folder_state(tmp_path) == before


# ------------------------------------------------------------------------------------------- .xlsm / .xlsb
def test_xlsm_run_keeps_extension_and_macros(need_book, cli):
    path = make_xlsm(need_book)
    need_book.unlink()
    result = cli("run", path, "--quiet")
    assert result.code == 0, result
    assert path.exists() and not path.with_suffix(".xlsx").exists()
    parts = read_parts(path)
    assert parts["xl/vbaProject.bin"] == VBA_BYTES
    assert CT_MACRO_MAIN.encode() in parts["[Content_Types].xml"]
    assert b'Extension="bin"' in parts["[Content_Types].xml"] and b"vbaProject" in parts["xl/_rels/workbook.xml.rels"]
    assert "Fordeling" in [n for n in zipfile.ZipFile(path).read("xl/workbook.xml").decode().split('"')]
    # and a rerun keeps them too
    assert cli("run", path, "--quiet").code == 0
    assert read_parts(path)["xl/vbaProject.bin"] == VBA_BYTES


def test_xlsm_absence_keeps_macros(absence_book, cli):
    path = make_xlsm(absence_book)
    result = cli("absence", path, "--quiet")
    assert result.code == 0, result
    parts = read_parts(path)
    assert parts["xl/vbaProject.bin"] == VBA_BYTES and CT_MACRO_MAIN.encode() in parts["[Content_Types].xml"]


def test_xlsm_cannot_be_saved_as_xlsx(need_book, tmp_path, cli):
    path = make_xlsm(need_book)
    before = folder_state(tmp_path)
    assert_refused(cli("run", path, "--out", tmp_path / "ud.xlsx"), "makroaktiveret", ".xlsm")
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("cmd", READERS)
def test_xlsb(cmd, need_source, tmp_path, cli):
    path = make_xlsb_like(shutil.copyfile(need_source, tmp_path / "binaer.xlsx") and tmp_path / "binaer.xlsx")
    before = folder_state(tmp_path)
    assert_refused(cli(*_command(cmd, path, tmp_path)), ".xlsb", "binær")
    assert folder_state(tmp_path) == before


def test_xlsb_content_behind_an_xlsx_name(need_source, tmp_path, cli):
    xlsb = make_xlsb_like(shutil.copyfile(need_source, tmp_path / "b.xlsx") and tmp_path / "b.xlsx")
    path = tmp_path / "forklædt.xlsx"
    path.write_bytes(xlsb.read_bytes())
    before = folder_state(tmp_path)
    assert_refused(cli("run", path), ".xlsb")
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("cmd", ["new", "demo", "share"])
def test_cannot_write_xlsb_or_xls(cmd, need_book, tmp_path, cli):
    args = {"new": ["new", "behovsmodel"], "demo": ["demo"], "share": ["share", need_book]}[cmd]
    before = folder_state(tmp_path)
    assert_refused(cli(*args, "--out", tmp_path / "ud.xlsb"), ".xlsb")
    assert folder_state(tmp_path) == before


# ------------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("cmd", ["run", "absence"])
def test_read_only_file_is_not_updated(cmd, need_book, absence_book, tmp_path, cli, read_only):
    path = read_only(absence_book if cmd == "absence" else need_book)
    before = folder_state(tmp_path)
    assert_refused(cli(cmd, path), "skrivebeskyttet", path.name)
    assert folder_state(tmp_path) == before


def test_read_only_file_can_be_shared(need_book, tmp_path, cli, read_only):
    """Reading a read-only workbook is fine: the shared copy is a new file."""
    read_only(need_book)
    before = digest(need_book)
    result = cli("share", need_book, "--out", tmp_path / "delt.xlsx", "--quiet")
    assert result.code == 0, result
    assert digest(need_book) == before and (tmp_path / "delt.xlsx").exists()


@pytest.mark.parametrize("cmd", ["new", "demo", "share"])
def test_read_only_output_file_is_not_replaced(cmd, need_book, tmp_path, cli, read_only):
    out = tmp_path / "ud.xlsx"
    out.write_bytes(b"brugerens egen fil")
    read_only(out)
    args = {"new": ["new", "behovsmodel", "--overwrite"], "demo": ["demo", "--overwrite"],
            "share": ["share", need_book]}[cmd]
    before = folder_state(tmp_path)
    assert_refused(cli(*args, "--out", out), "skrivebeskyttet")
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("cmd", ["run", "absence", "new", "demo", "share"])
def test_read_only_folder(cmd, need_source, absence_source, tmp_path, cli, read_only):
    folder = tmp_path / "laast"
    folder.mkdir()
    book = folder / "bog.xlsx"
    shutil.copyfile(absence_source if cmd == "absence" else need_source, book)
    args = {"run": ["run", book], "absence": ["absence", book], "new": ["new", "fravaer", "--out", folder / "ny.xlsx"],
            "demo": ["demo", "--out", folder / "ny.xlsx"],
            "share": ["share", book, "--out", folder / "delt.xlsx"]}[cmd]
    read_only(folder)
    before = folder_state(folder)
    assert_refused(cli(*args), "mappen", "skrivebeskyttet")
    assert folder_state(folder) == before


@pytest.mark.parametrize("cmd", ["run", "absence", "share", "new", "demo"])
def test_missing_folder(cmd, need_book, tmp_path, cli):
    missing = tmp_path / "findes-ikke"
    args = {"run": ["run", missing / "bog.xlsx"], "absence": ["absence", missing / "bog.xlsx"],
            "share": ["share", need_book, "--out", missing / "delt.xlsx"],
            "new": ["new", "behovsmodel", "--out", missing / "ny.xlsx"],
            "demo": ["demo", "--out", missing / "ny.xlsx"]}[cmd]
    before = folder_state(tmp_path)
    assert_refused(cli(*args), "findes ikke")
    assert folder_state(tmp_path) == before and not missing.exists()


@pytest.mark.parametrize("cmd", READERS)
def test_unreadable_file(cmd, need_book, absence_book, tmp_path, cli):
    path = absence_book if cmd == "absence" else need_book
    mode = path.stat().st_mode
    path.chmod(0)
    try:
        result = cli(*_command(cmd, path, tmp_path))
        assert_refused(result, "læseadgang", path.name)
        assert not (tmp_path / "delt.xlsx").exists()
    finally:
        path.chmod(mode)


@pytest.mark.parametrize("cmd", ["run", "absence", "share", "new", "demo"])
def test_folder_given_as_the_file(cmd, need_book, tmp_path, cli):
    folder = tmp_path / "mappe.xlsx"
    folder.mkdir()
    args = {"run": ["run", folder], "absence": ["absence", folder], "share": ["share", folder, "--out",
                                                                                tmp_path / "d.xlsx"],
            "new": ["new", "behovsmodel", "--out", folder], "demo": ["demo", "--out", folder]}[cmd]
    before = folder_state(tmp_path)
    assert_refused(cli(*args), "mappe")
    assert folder_state(tmp_path) == before and folder.is_dir() and not any(folder.iterdir())


# ------------------------------------------------------------------------------------------- full disk
def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("cmd", ["run", "absence", "share", "new", "demo"])
def test_full_disk_when_flushing(cmd, need_book, absence_book, tmp_path, cli, monkeypatch):
    """The disk fills up while the new file is written: the old file stays, no temporary file is left."""
    import tildeling.io.atomic as atomic

    out = tmp_path / "ud.xlsx"
    out.write_bytes(b"den gamle fil")
    args = {"run": ["run", need_book], "absence": ["absence", absence_book],
            "share": ["share", need_book, "--out", out], "new": ["new", "behovsmodel", "--out", out, "--overwrite"],
            "demo": ["demo", "--out", out, "--overwrite"]}[cmd]
    before = folder_state(tmp_path)
    monkeypatch.setattr(atomic.os, "fsync", _disk_full)
    assert_refused(cli(*args), "ikke plads på disken")
    assert folder_state(tmp_path) == before


def test_full_disk_half_way_through_writing(need_book, tmp_path, cli, monkeypatch):
    """A writer that has written half the file when the disk is full (openpyxl saving ``new``)."""
    from openpyxl import Workbook

    def half_then_full(self, filename):
        with open(filename, "wb") as fh:
            fh.write(b"PK\x03\x04" + b"\x00" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "ny.xlsx"
    out.write_bytes(b"den gamle fil")
    monkeypatch.setattr(Workbook, "save", half_then_full)
    before = folder_state(tmp_path)
    assert_refused(cli("new", "behovsmodel", "--out", out, "--overwrite"), "ikke plads på disken")
    assert folder_state(tmp_path) == before


# ------------------------------------------------------------------------------------------- the shared functions
def test_open_workbook_and_save_for_other_commands(need_book, tmp_path):
    """What ``export`` and the add-in call: open an input workbook, write an output safely."""
    from tildeling.errors import InputError
    from tildeling.io.atomic import save
    from tildeling.io.files import open_workbook

    book = open_workbook(need_book)
    assert book.data == need_book.read_bytes() and book.name == "behov.xlsx" and not book.macro_enabled
    out = tmp_path / "leverance.xlsx"
    save(out, b"ny", overwrite=False)
    assert out.read_bytes() == b"ny"
    with pytest.raises(InputError, match="findes allerede"):
        save(out, b"igen", overwrite=False)
    need_book.write_bytes(need_book.read_bytes() + b"\x00")  # changed after it was read
    with pytest.raises(InputError, match="ændret på disken"):
        save(need_book, b"resultat", replaces=book.state)
    assert need_book.read_bytes().endswith(b"\x00")
    with pytest.raises(InputError, match="tom"):
        open_workbook(_write(tmp_path / "tom.xlsx", b""))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
