"""Lost updates: a run never replaces a file that changed after it was read, respects read-only files and
lock files, cleans up after an interrupted save, and ``new``/``demo`` never overwrite without ``--overwrite``."""

from __future__ import annotations

import os
import stat

import pytest

from .checks import assert_refused, digest, folder_state


# ------------------------------------------------------------------------------------------- changed on disk
def _saved_meanwhile(module, monkeypatch, path, new_bytes):
    """Make ``graft_sheets`` (the last step before saving) also save the file 'in Excel' meanwhile."""
    original = module.graft_sheets

    def graft_and_user_saves(*args, **kwargs):
        out = original(*args, **kwargs)
        path.write_bytes(new_bytes)
        return out

    monkeypatch.setattr(module, "graft_sheets", graft_and_user_saves)


def test_run_does_not_replace_a_file_saved_meanwhile(need_book, cli, monkeypatch):
    import tildeling.workbook.need.run as run

    users_version = need_book.read_bytes() + b""  # the same workbook, saved again: new bytes and a new time
    users_version = users_version.replace(b"Testkommune", b"Testkommunf", 1) if b"Testkommune" in users_version \
        else users_version + b"\x00"
    _saved_meanwhile(run, monkeypatch, need_book, users_version)
    assert_refused(cli("run", need_book), "ændret på disken", "behov.xlsx")
    assert need_book.read_bytes() == users_version


def test_absence_does_not_replace_a_file_saved_meanwhile(absence_book, cli, monkeypatch):
    import tildeling.workbook.absence.run as run

    users_version = absence_book.read_bytes() + b"\x00"
    _saved_meanwhile(run, monkeypatch, absence_book, users_version)
    assert_refused(cli("absence", absence_book), "ændret på disken")
    assert absence_book.read_bytes() == users_version


def test_same_size_and_time_but_other_bytes_is_noticed(need_book, tmp_path):
    """The check compares the content, not only size and time stamp."""
    from tildeling.errors import InputError
    from tildeling.io.atomic import save
    from tildeling.io.files import open_workbook

    book = open_workbook(need_book)
    data = bytearray(need_book.read_bytes())
    data[-30] ^= 0x01
    st = need_book.stat()
    need_book.write_bytes(bytes(data))
    os.utime(need_book, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    with pytest.raises(InputError, match="ændret på disken"):
        save(need_book, b"nyt", replaces=book.state)
    assert need_book.read_bytes() == bytes(data)


def test_unchanged_file_is_updated(need_book, cli):
    before = digest(need_book)
    assert cli("run", need_book, "--quiet").code == 0
    assert digest(need_book) != before


# ------------------------------------------------------------------------------------------- read-only files
def test_read_only_file_keeps_its_permission_and_content(need_book, tmp_path, cli):
    need_book.chmod(0o444)
    try:
        before = folder_state(tmp_path)
        assert_refused(cli("run", need_book), "skrivebeskyttet")
        assert folder_state(tmp_path) == before
        assert stat.S_IMODE(need_book.stat().st_mode) == 0o444
    finally:
        need_book.chmod(0o644)


def test_a_run_keeps_the_files_permissions(need_book, cli):
    need_book.chmod(0o640)
    assert cli("run", need_book, "--quiet").code == 0
    assert stat.S_IMODE(need_book.stat().st_mode) == 0o640


# ------------------------------------------------------------------------------------------- lock files
LOCKS = {"excel": lambda p: p.with_name("~$" + p.name), "libreoffice": lambda p: p.with_name(f".~lock.{p.name}#")}


@pytest.mark.parametrize("program", sorted(LOCKS))
@pytest.mark.parametrize("cmd", ["run", "absence", "share"])
def test_open_in_excel_or_libreoffice(program, cmd, need_book, absence_book, tmp_path, cli):
    path = absence_book if cmd == "absence" else need_book
    lock = LOCKS[program](path)
    lock.write_bytes(b"bruger,maskine,12345;")
    before = folder_state(tmp_path)
    args = ["share", path, "--out", tmp_path / "delt.xlsx"] if cmd == "share" else [cmd, path]
    assert_refused(cli(*args), "er åben i", "Excel" if program == "excel" else "LibreOffice", lock.name)
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("cmd", ["new", "demo", "share", "run --out"])
def test_output_open_in_excel(cmd, need_book, tmp_path, cli):
    out = tmp_path / "ud.xlsx"
    out.write_bytes("brugerens fil, åben i Excel".encode())
    (tmp_path / "~$ud.xlsx").write_bytes(b"x")
    args = {"new": ["new", "behovsmodel", "--overwrite"], "demo": ["demo", "--overwrite"],
            "share": ["share", need_book], "run --out": ["run", need_book]}[cmd]
    before = folder_state(tmp_path)
    assert_refused(cli(*args, "--out", out), "åben i Excel")
    assert folder_state(tmp_path) == before


def test_a_stale_lock_file_can_be_removed(need_book, cli):
    lock = need_book.with_name("~$" + need_book.name)
    lock.write_bytes(b"x")
    result = cli("run", need_book)
    assert "slet låsefilen" in result.err
    lock.unlink()
    assert cli("run", need_book, "--quiet").code == 0


# ------------------------------------------------------------------------------------------- interrupted saves
def _temporary_like_an_interrupted_save(path):
    """What a save killed between writing and renaming leaves: ``.~<navn><8 tegn>.xlsx`` next to the file."""
    tmp = path.with_name(f".~{path.stem}k3j_x9a2{path.suffix}")
    tmp.write_bytes(path.read_bytes()[:5000])
    return tmp


@pytest.mark.parametrize("cmd", ["run", "absence"])
def test_temporary_files_of_an_interrupted_save_are_removed(cmd, need_book, absence_book, tmp_path, cli):
    path = absence_book if cmd == "absence" else need_book
    tmp = _temporary_like_an_interrupted_save(path)
    other = tmp_path / ".~andenfilk3j_x9a2.xlsx"  # another file's temporary file is left alone
    other.write_bytes(b"x")
    assert cli(cmd, path, "--quiet").code == 0
    assert not tmp.exists() and other.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".~" + path.stem)]


def test_an_interrupt_while_saving_leaves_no_temporary_file(need_book, tmp_path, cli, monkeypatch):
    import tildeling.io.atomic as atomic

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    before = folder_state(tmp_path)
    monkeypatch.setattr(atomic.os, "replace", interrupted)
    result = cli("run", need_book, "--quiet")
    assert result.code == 130 and "Ingen fil er ændret" in result.err
    assert folder_state(tmp_path) == before


def test_new_removes_temporaries_of_its_target(tmp_path, cli):
    out = tmp_path / "ny.xlsx"
    tmp = tmp_path / ".~nyabcd1234.xlsx"
    tmp.write_bytes(b"halv")
    assert cli("new", "behovsmodel", "--out", out, "--quiet").code == 0
    assert out.exists() and not tmp.exists()


# ------------------------------------------------------------------------------------------- no overwrite
@pytest.mark.parametrize("args", [["new", "behovsmodel"], ["new", "fravaer"], ["demo"], ["demo", "fravaer"]])
def test_new_and_demo_never_overwrite_without_the_option(args, tmp_path, cli):
    out = tmp_path / "min.xlsx"
    out.write_bytes(b"brugerens arbejde")
    before = folder_state(tmp_path)
    assert_refused(cli(*args, "--out", out), "findes allerede", "--overwrite")
    assert folder_state(tmp_path) == before


def test_new_overwrites_with_the_option(tmp_path, cli):
    out = tmp_path / "min.xlsx"
    out.write_bytes(b"gammel")
    assert cli("new", "fravaer", "--out", out, "--overwrite", "--quiet").code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_demo_is_never_half_written(tmp_path, cli, monkeypatch):
    """The demo is built and run in memory: a failing run leaves no file at all."""
    import tildeling.workbook.need.demo as demo
    from tildeling.errors import InputError

    def fails(*args, **kwargs):
        raise InputError("kunstig fejl under kørslen")

    monkeypatch.setattr(demo, "run_package", fails)
    out = tmp_path / "demo.xlsx"
    assert_refused(cli("demo", "--out", out), "kunstig fejl")
    assert list(tmp_path.iterdir()) == []
