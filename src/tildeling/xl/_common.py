"""Plumbing shared by the xlwings macros: caller, status bar, message boxes, the error guard."""

from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path
from typing import Callable

from ..errors import TildelingError

__all__ = ["caller", "status", "alert", "macro", "runs", "documents", "unique_path"]


def caller(book=None):
    """The given book, or the workbook that called the macro."""
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def status(book, text) -> None:
    """Status-bar text (``False`` gives it back to Excel); skipped where unsupported (remote engine)."""
    try:
        book.app.status_bar = text
    except Exception:  # noqa: BLE001 - NotImplementedError on the remote engine, COM errors elsewhere
        pass


def alert(book, text: str, title: str, mode: str = "info") -> None:
    """A message box; on failure the text goes to stderr (the xlwings console/log)."""
    try:
        book.app.alert(text, title=title, mode=mode)
    except Exception:  # noqa: BLE001 - last resort: no message box available
        print(text, file=sys.stderr)


def macro(title: str, unexpected: Callable[[Exception], str]):
    """Decorator: resolve the caller; show a TildelingError – and anything else – as a Danish message box.

    ``unexpected(exc)`` words the message for errors that are not a TildelingError.
    The traceback goes to stderr (the log), never to the user.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(book=None, **kwargs):
            book = caller(book)
            try:
                return fn(book, **kwargs)
            except TildelingError as exc:
                alert(book, str(exc), title, mode="critical")
            except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
                traceback.print_exc(file=sys.stderr)
                alert(book, unexpected(exc), title, mode="critical")
            finally:
                status(book, False)
            return None

        return wrapper

    return decorate


def runs(values):
    """(start, end, value) runs of equal consecutive values (end exclusive)."""
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            out.append((start, i, values[start]))
            start = i
    return out


def documents() -> Path:
    """The user's Documents folder (or home, where there is none)."""
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def unique_path(folder: Path, stem: str) -> Path:
    """``stem.xlsx`` in ``folder``, or ``stem (2).xlsx`` … if it exists (never overwrite a file)."""
    p = folder / f"{stem}.xlsx"
    k = 2
    while p.exists():
        p = folder / f"{stem} ({k}).xlsx"
        k += 1
    return p
