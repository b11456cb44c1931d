"""Plumbing shared by the xlwings macros: caller, status bar, message boxes, the error guard, the engine.

**Which engine runs the macro.** The same macro bodies run in three places: desktop Excel (classic add-in,
COM/AppleScript), xlwings' remote engine (tests, xlwings Server) and xlwings Lite (Pyodide in Excel, where
the book is the same remote-engine ``Book``). xlwings Lite's Office.js client understands fewer actions
than xlwings' remote engine can emit: no formulas through ``Range.formula``, no native charts, no column
widths, no saving, no message boxes, and no file system that the user sees. :func:`on_lite` says whether the
current call runs there (set by :mod:`tildeling.xl.lite` for the duration of a script, and always true under
Pyodide); the writers ask it and degrade: formulas are written as ``"=…"`` values (Excel turns them into
formulas), a Danish note stands where a chart would go, messages go to Lite's output pane.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import traceback
from pathlib import Path
from typing import Callable

from ..errors import TildelingError

__all__ = ["caller", "status", "alert", "macro", "runs", "documents", "unique_path", "on_lite", "lite_engine",
           "write_formulas"]

_LITE = contextvars.ContextVar("tildeling_lite", default=False)


def on_lite() -> bool:
    """True while a macro runs in xlwings Lite (inside :func:`lite_engine`, or anywhere under Pyodide)."""
    return _LITE.get() or sys.platform == "emscripten"


@contextlib.contextmanager
def lite_engine():
    """Run the body as xlwings Lite would: the writers use only what Lite's client understands."""
    token = _LITE.set(True)
    try:
        yield
    finally:
        _LITE.reset(token)


def write_formulas(rng, formulas) -> None:
    """Formulas into ``rng``: ``Range.formula`` where the engine has it, else as ``"=…"`` values.

    Excel (Office.js included) turns a written text that starts with ``=`` into a formula, so the cell is
    just as live; only the way of writing differs.
    """
    if on_lite():
        rng.value = formulas
    else:
        rng.formula = formulas


def caller(book=None):
    """The given book, or the workbook that called the macro."""
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def status(book, text) -> None:
    """Status-bar text (``False`` gives it back to Excel); skipped where unsupported (remote engine, Lite)."""
    if on_lite():
        return
    try:
        book.app.status_bar = text
    except Exception:  # noqa: BLE001 - NotImplementedError on the remote engine, COM errors elsewhere
        pass


def alert(book, text: str, title: str, mode: str = "info") -> None:
    """A message box; on failure the text goes to stderr (the xlwings console/log).

    xlwings Lite has no message boxes: there the text is printed, and Lite shows it in its output pane.
    """
    if on_lite():
        print(f"{title}: {text}" if mode != "critical" else f"{title} – fejl: {text}")
        return
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
            mark = _pending_actions(book)
            try:
                return fn(book, **kwargs)
            except TildelingError as exc:
                _drop_actions(book, mark)
                alert(book, str(exc), title, mode="critical")
            except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
                _drop_actions(book, mark)
                if not on_lite():  # Lite shows stderr to the user: the Danish message must do there
                    traceback.print_exc(file=sys.stderr)
                alert(book, unexpected(exc), title, mode="critical")
            finally:
                status(book, False)
            return None

        return wrapper

    return decorate


def _actions(book):
    """The action list of a remote-engine book (xlwings Server, Lite, the tests); None for desktop Excel."""
    try:
        acts = book.json()["actions"]
    except Exception:  # noqa: BLE001 - desktop Excel writes at once and has no action list
        return None
    return acts if isinstance(acts, list) else None


def _pending_actions(book) -> int | None:
    acts = _actions(book)
    return None if acts is None else len(acts)


def _drop_actions(book, mark: int | None) -> None:
    """On failure, forget what a remote-engine macro had queued: Excel gets the message and nothing half-written."""
    acts = _actions(book)
    if acts is not None and mark is not None:
        del acts[mark:]


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
