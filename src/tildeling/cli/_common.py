"""What every command shares: progress lines on stderr and checks of output paths."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..danish import seconds
from ..errors import InputError

__all__ = ["Progress", "out_path", "command_started"]

#: When the running command started (set by :func:`tildeling.cli.main`), so that every progress line and the
#: closing line count the whole command, not one step of it.
_STARTED = [time.perf_counter()]


def command_started() -> None:
    _STARTED[0] = time.perf_counter()


class Progress:
    """Progress lines ``[  6,2 s] …`` on stderr, timed from the start of the command."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - _STARTED[0]

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{seconds(self.elapsed):>6} s] {message}", file=sys.stderr, flush=True)

    def done(self, what) -> None:
        """The closing line: the whole command's time and what it wrote."""
        self(f"Færdig på {seconds(self.elapsed)} s: {what}")


def out_path(value: str, suffixes=(".xlsx",), *, folder: bool = False, overwrite: bool = True) -> Path:
    """Check an output path before any work is done.

    ``suffixes``: the file types the command writes. ``folder=True``: a path without one of
    those suffixes is a folder (made if its parent exists). ``overwrite=False``: an existing file is
    an error (``new`` and ``demo`` without ``--overwrite``). A file path is also checked by
    :func:`tildeling.io.atomic.check_target`: a missing or read-only folder, a read-only file, a file open
    in Excel or LibreOffice.
    """
    from ..io.atomic import check_target

    path = Path(value)
    if path.suffix.lower() in suffixes:
        parent = path.parent
    elif folder and (path.is_dir() or path.suffix == "" or value.endswith(("/", "\\"))):
        if path.exists() and not path.is_dir():
            raise InputError(f"'{value}' er en fil, men skal være en mappe (eller en fil, der ender på "
                             f"{' eller '.join(suffixes)}).")
        parent = path.parent
    else:
        also = " eller være en mappe" if folder else ""
        if path.is_dir():
            raise InputError(f"'{value}' er en mappe – skriv et filnavn, der ender på {' eller '.join(suffixes)}, "
                             f"fx {Path(value, 'navn' + suffixes[0])}.")
        if path.suffix.lower() in (".xlsb", ".xls", ".ods"):
            raise InputError(f"tildeling kan ikke gemme som {path.suffix.lower()} – uddatafilen '{value}' skal ende "
                             f"på {' eller '.join(suffixes)}{also}.")
        raise InputError(f"Uddatafilen '{value}' skal ende på {' eller '.join(suffixes)}{also}.")
    if path.is_dir() and path.suffix.lower() in suffixes:
        raise InputError(f"'{value}' er en mappe – skriv et filnavn, der ender på {' eller '.join(suffixes)}.")
    if str(parent) and not parent.exists():
        raise InputError(f"Mappen '{parent}' findes ikke.")
    if path.suffix.lower() in suffixes:
        check_target(path, overwrite=overwrite)
    return path
