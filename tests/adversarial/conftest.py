"""Fixtures for the hostile cases: small real workbooks made once per session, copied for each test.

Every test runs the command line in-process (``tildeling.cli.main``) and checks the exit code, the Danish
message on stderr, that no traceback was printed, and that the file on disk is byte-identical afterwards.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tildeling.cli import main

from .checks import Result


@pytest.fixture(scope="session")
def need_source(tmp_path_factory) -> Path:
    """A need-model workbook with 400 synthetic pupils (not run yet)."""
    from wbtools import make_workbook

    path = tmp_path_factory.mktemp("need") / "behov.xlsx"
    make_workbook(path, n=400)
    return path


@pytest.fixture(scope="session")
def absence_source(tmp_path_factory) -> Path:
    """An absence workbook with 300 synthetic pupils (not run yet)."""
    from tildeling.synth.absence import generate_absence_data
    from tildeling.workbook.absence.template import write_input_workbook

    path = tmp_path_factory.mktemp("absence") / "fravaer.xlsx"
    write_input_workbook(path, generate_absence_data(n_pupils=300, seed=5))
    return path


@pytest.fixture
def need_book(need_source, tmp_path) -> Path:
    path = tmp_path / "behov.xlsx"
    shutil.copyfile(need_source, path)
    return path


@pytest.fixture
def absence_book(absence_source, tmp_path) -> Path:
    path = tmp_path / "fravaer.xlsx"
    shutil.copyfile(absence_source, path)
    return path


@pytest.fixture
def cli(capsys):
    """Run ``tildeling …`` in-process; returns exit code, stdout and stderr."""

    def run(*args) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def read_only():
    """chmod a path read-only (files and folders); restored afterwards so tmp_path can be cleaned."""
    changed = []

    def make(path: Path) -> Path:
        mode = path.stat().st_mode
        changed.append((path, mode))
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return path

    yield make
    for path, mode in reversed(changed):
        path.chmod(mode)
