"""Atomic file writes: write a temporary file next to the target, then ``os.replace``.

A failure at any point leaves the old file as it was. A file locked by Excel
gives a Danish message instead of a PermissionError.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError

__all__ = ["atomic_save", "atomic_write", "atomic_write_with"]


def atomic_save(workbook, path) -> None:
    """Save an openpyxl workbook to ``path`` so that the old file survives any failure."""
    atomic_write_with(path, workbook.save)


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    atomic_write_with(path, write)


def atomic_write_with(path, write) -> None:
    """Call ``write(temporary_path)``, then move the temporary file onto ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".~" + path.stem, suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        _copy_mode(path, tmp)
        os.replace(tmp, path)
    except PermissionError:
        _remove(tmp)
        raise InputError(f"Filen {path.name} kan ikke gemmes – den er måske åben i Excel. Luk den og prøv igen.") \
            from None
    except BaseException:
        _remove(tmp)
        raise


def _copy_mode(path: Path, tmp: str) -> None:
    """Give the new file the old file's permissions, or the usual ones for a new file."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _remove(tmp) -> None:
    try:
        os.remove(tmp)
    except OSError:
        pass
