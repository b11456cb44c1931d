"""Write an output file safely: check first, write a temporary file next to it, then move it into place.

Every file tildeling writes (a run in place, ``--out``, ``new``, ``demo``, ``share``, ``export``, the add-in's
copies) goes through :func:`save` (or :func:`atomic_write` / :func:`atomic_save`). The guarantees:

* **Checked before any work** (:func:`check_target`, called by the commands when they parse their options,
  and again by :func:`save`): a folder given as the file, a missing or read-only folder, a read-only file,
  a file open in Excel or LibreOffice (lock file), an existing file without ``overwrite``.
* **Never half-written.** The bytes go to a temporary file in the same folder (``.~navn<8 tegn>.xlsx``),
  are flushed to disk, and only then replace the target with ``os.replace``. Any failure – a full disk,
  a lost network drive, an interrupt – removes the temporary file and leaves the old file as it was.
* **No lost updates.** ``replaces=`` the :class:`~tildeling.io.files.FileState` of the file as it was read;
  if the file changed on disk since (the user saved it in Excel meanwhile), nothing is written.
* **Leftovers are cleaned.** Temporary files of this target left by an interrupted save (a killed process,
  a power cut) are removed the next time the file is saved (:func:`remove_stale_temporaries`).
* The new file keeps the old file's permissions.
* Several files at once (``tildeling export --alle-kommuner``, :func:`save_all`): all are checked and written
  to temporary files first; only when every one is written are they moved into place.

Every failure is an :class:`~tildeling.errors.InputError` with a Danish message.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

__all__ = ["save", "save_all", "atomic_save", "atomic_write", "atomic_write_with", "check_target", "remove_stale_temporaries",
           "temporary_name_pattern"]

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


def _label(path: Path) -> str:
    return path.name or str(path)


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) not in ("",) else Path(".")


def _read_only(st: os.stat_result, path: Path) -> bool:
    """No write permission: by the permission bits (also for an administrator) or for this user."""
    if os.name == "nt":
        return not st.st_mode & stat.S_IWRITE
    return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def check_target(path, *, overwrite: bool = True) -> Path:
    """Check that ``path`` may be written, before any work is done; a Danish :class:`InputError` if not.

    ``overwrite=False``: an existing file is an error (``new`` and ``demo`` without ``--overwrite``).
    """
    from .files import check_not_open

    path = Path(path)
    label = _label(path)
    folder = _folder(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"'{path}' kan ikke bruges som uddatafil ({exc.strerror or exc}).") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"'{path}' er en mappe – skriv et filnavn i mappen, fx {Path(path, 'navn.xlsx')}.")
    try:
        fst = folder.stat()
    except FileNotFoundError:
        raise InputError(f"Mappen '{folder}' findes ikke – opret den først, eller vælg en anden mappe.") from None
    except OSError as exc:
        raise InputError(f"Mappen '{folder}' kan ikke bruges ({exc.strerror or exc}).") from None
    if not stat.S_ISDIR(fst.st_mode):
        raise InputError(f"'{folder}' er en fil, ikke en mappe – {label} kan ikke gemmes der.")
    if os.name != "nt" and _read_only(fst, folder):
        raise InputError(f"Mappen '{folder}' er skrivebeskyttet, så {label} kan ikke gemmes der. Vælg en anden "
                         "mappe, eller giv dig selv skriveadgang til mappen.")
    if st is not None:
        if not overwrite:
            raise InputError(f"Filen {label} findes allerede, og den bliver ikke overskrevet. Vælg et andet "
                             "filnavn, eller tilføj --overwrite for at erstatte den.")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"'{path}' er ikke en almindelig fil og kan ikke erstattes.")
        if _read_only(st, path):
            raise InputError(f"Filen {label} er skrivebeskyttet, så tildeling gemmer ikke i den. Fjern "
                             "skrivebeskyttelsen (Egenskaber → Skrivebeskyttet), eller gem resultatet i en anden "
                             "fil med --out.")
        check_not_open(path)
    return path


def temporary_name_pattern(path) -> re.Pattern:
    """The names of the temporary files a save of ``path`` writes (``.~navn`` + 8 characters + the suffix)."""
    path = Path(path)
    return re.compile(r"^\.~" + re.escape(path.stem) + r"[a-z0-9_]{8}" + re.escape(path.suffix) + r"$")


def remove_stale_temporaries(path) -> list[Path]:
    """Remove temporary files left next to ``path`` by an interrupted save; returns what was removed."""
    path = Path(path)
    pattern = temporary_name_pattern(path)
    removed = []
    try:
        entries = list(os.scandir(_folder(path)))
    except OSError:
        return removed
    for entry in entries:
        if pattern.match(entry.name):
            try:
                if entry.is_file(follow_symlinks=False):
                    os.remove(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _os_error(exc: OSError, label: str) -> InputError:
    if exc.errno in _FULL or getattr(exc, "winerror", None) in (39, 112):
        return InputError(f"Der er ikke plads på disken til at gemme {label}. Intet er ændret – den gamle fil er, "
                          "som den var. Frigør plads, og prøv igen.")
    if isinstance(exc, PermissionError):
        return InputError(f"Filen {label} kan ikke gemmes – den er måske åben i Excel, eller du har ikke "
                          "skriveadgang. Luk den, og prøv igen. Intet er ændret.")
    return InputError(f"Filen {label} kunne ikke gemmes ({exc.strerror or exc}). Intet er ændret – den gamle fil "
                      "er, som den var.")


def save(path, content, *, overwrite: bool = True, replaces=None) -> Path:
    """Write ``content`` to ``path`` safely (see the module docstring).

    Parameters
    ----------
    path : the output file.
    content : ``bytes``, or a function ``write(temporary_path)`` that writes the file (e.g. ``workbook.save``).
    overwrite : False: refuse to replace an existing file.
    replaces : the :class:`~tildeling.io.files.FileState` of ``path`` when it was read; if the file has changed
        since, nothing is written.
    """
    path = Path(path)
    label = _label(path)
    check_target(path, overwrite=overwrite)
    remove_stale_temporaries(path)
    tmp = _write_temporary(path, content)
    with _removed_on_failure(tmp, label):
        _check_unchanged(path, label, overwrite=overwrite, replaces=replaces)
        os.replace(tmp, path)
    return path


def save_all(items, *, overwrite: bool = True) -> list[Path]:
    """Write several files so that a failure leaves every one of them as it was.

    ``items``: ``(path, content)`` pairs as for :func:`save`. All targets are checked first, then every file is
    written to its temporary file; only when all are written are they moved into place (a failure before that –
    a full disk half-way – removes every temporary file and changes nothing).
    """
    items = [(Path(p), content) for p, content in items]
    for path, _ in items:
        check_target(path, overwrite=overwrite)
    for path, _ in items:
        remove_stale_temporaries(path)
    written: list[tuple[Path, str]] = []
    try:
        for path, content in items:
            written.append((path, _write_temporary(path, content)))
        for path, _ in written:
            _check_unchanged(path, _label(path), overwrite=overwrite, replaces=None)
        while written:
            path, tmp = written[0]
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise _os_error(exc, _label(path)) from None
            written.pop(0)
    finally:
        for _, tmp in written:
            _remove(tmp)
    return [p for p, _ in items]


def _write_temporary(path: Path, content) -> str:
    """Write ``content`` to a new temporary file next to ``path`` and flush it to disk; its name.

    A failure removes the temporary file and raises a Danish :class:`InputError` (a full disk, no access …).
    """
    label = _label(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".~" + path.stem, suffix=path.suffix, dir=_folder(path))
    except OSError as exc:
        raise _os_error(exc, label) from None
    with _removed_on_failure(tmp, label):
        if isinstance(content, (bytes, bytearray, memoryview)):
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            content(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        _copy_mode(path, tmp)
    return tmp


def _check_unchanged(path: Path, label: str, *, overwrite: bool, replaces) -> None:
    """Just before the move: the file did not change since it was read, and did not appear meanwhile."""
    if replaces is not None and not replaces.same_as(path):
        raise InputError(f"Filen {label} er ændret på disken, efter tildeling læste den (er den gemt i Excel "
                         "imens?). Intet er gemt, så ændringerne i filen er bevaret. Kør igen på den nye "
                         "udgave.")
    if not overwrite and path.exists():
        raise InputError(f"Filen {label} er blevet oprettet, mens tildeling arbejdede, og bliver ikke "
                         "overskrevet. Vælg et andet filnavn, eller tilføj --overwrite.")


def atomic_save(workbook, path, *, overwrite: bool = True, replaces=None) -> Path:
    """Save an openpyxl workbook to ``path`` so that the old file survives any failure."""
    return save(path, workbook.save, overwrite=overwrite, replaces=replaces)


def atomic_write(path, data: bytes, *, overwrite: bool = True, replaces=None) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return save(path, data, overwrite=overwrite, replaces=replaces)


def atomic_write_with(path, write, *, overwrite: bool = True, replaces=None) -> Path:
    """Call ``write(temporary_path)``, then move the temporary file onto ``path``."""
    return save(path, write, overwrite=overwrite, replaces=replaces)


def _copy_mode(path: Path, tmp: str) -> None:
    """Give the new file the old file's permissions, or the usual ones for a new file."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


@contextmanager
def _removed_on_failure(tmp: str, label: str):
    """Remove the temporary file ``tmp`` if the block fails; an OS error becomes a Danish :class:`InputError`."""
    try:
        yield
    except InputError:
        _remove(tmp)
        raise
    except OSError as exc:
        _remove(tmp)
        raise _os_error(exc, label) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp) -> None:
    try:
        os.remove(tmp)
    except OSError:
        pass
