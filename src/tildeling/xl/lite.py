"""Entry points for xlwings Lite: every ribbon macro as a Lite script, every worksheet function as a Lite function.

xlwings Lite runs Python inside Excel (Pyodide/WebAssembly) in Excel on Windows, on the Mac and on the web,
without a local Python. A workbook's ``main.py`` (in the Lite task pane) needs one line::

    from tildeling.xl.lite import *

and its ``requirements.txt`` one line naming the tildeling package (see docs/lite.md). Lite then lists the
scripts (the ribbon buttons, by their Danish labels) under its Run button and registers the functions
``TILDELING.SANDSYNLIGHED``, ``TILDELING.INDEKS``, ``TILDELING.NOEGLE`` and ``TILDELING.BUDGET``.

**One implementation.** A Lite script receives the same remote-interpreter :class:`xlwings.Book` as the
classic add-in's macros do on xlwings' remote engine, so each script is a thin wrapper that runs the
classic macro of the same name (:data:`tildeling.xl.macros.RIBBON_MACROS`) inside
:func:`tildeling.xl._common.lite_engine`. The scripts are generated from ``RIBBON_MACROS``: a macro added
there gets its Lite script without code here; its display name is the Danish label before the colon in
the macro's docstring ("Beregn fordeling: …").

**What differs in Lite.** Lite's Office.js client understands fewer actions than the remote engine can
emit (:data:`LITE_ACTIONS`): no ``Range.formula`` (formulas are written as ``"=…"`` values, which Excel
turns into the same formulas), no native charts (a Danish note stands where the chart would go), no column
widths, hidden sheets or dropdowns from code, no message boxes (messages are printed to Lite's output
pane), and no file the user can see (no file dialog, no new workbook on disk, no shared copy). The macros
degrade themselves (see ``on_lite``); as a last safety net every script's actions are passed through
:func:`lite_actions`, which turns a ``setFormula`` into the equivalent ``setValues`` and drops what Lite
cannot do, so that no script fails because a feature is missing.

The worksheet functions are the classic ones (:mod:`tildeling.xl.udfs`) under Office.js names; they never
raise but return a Danish ``#TILDELING: …`` text.

Nothing heavy is imported here: the macros import the statistics, openpyxl and friends when they run, so
Lite registers the scripts and functions quickly.
"""

from __future__ import annotations

import xlwings as xw

try:  # the Office.js decorators (xlwings Lite/Server); PolyForm Noncommercial code, see docs/lite.md
    from xlwings.server import arg as _arg, func as _func, script as _script
except Exception as exc:  # noqa: BLE001 - LicenseError outside Lite without XLWINGS_LICENSE_KEY
    raise ImportError("tildeling.xl.lite needs xlwings' Office.js decorators (xlwings.server). They are there in "
                      "xlwings Lite; elsewhere set XLWINGS_LICENSE_KEY=noncommercial first.") from exc

from . import macros as _macros, udfs as _udfs
from ._common import lite_engine

#: The actions Lite's client is taken to understand: those that xlwings' own JavaScript client
#: (``xlwings/js/xlwings.ts`` in the xlwings package) implements, plus font properties (Lite 1.0.0.0-13),
#: without ``alert`` (Lite has no message boxes) and ``runMacro`` (no VBA). Conservative on purpose: an
#: action Lite does not know would stop the whole script.
LITE_ACTIONS = frozenset({
    "setValues", "rangeClearContents", "rangeClearFormats", "rangeClear", "addSheet", "setSheetName",
    "setAutofit", "setRangeColor", "activateSheet", "addHyperlink", "setNumberFormat", "setPictureName",
    "setPictureHeight", "setPictureWidth", "deletePicture", "addPicture", "updatePicture", "setRangeName",
    "namesAdd", "nameDelete", "rangeDelete", "rangeInsert", "rangeSelect", "addTable", "setTableName",
    "resizeTable", "showAutofilterTable", "showHeadersTable", "showTotalsTable", "setTableStyle", "copyRange",
    "sheetDelete", "sheetClear", "sheetClearFormats", "sheetClearContents", "setFontProperty",
})
#: Actions Lite cannot do that only change the looks: dropped without a word.
COSMETIC_ACTIONS = frozenset({"setColumnWidth", "setRowHeight", "setWrapText", "setSheetVisibility",
                              "setHorizontalAlignment", "setVerticalAlignment", "setBorderProperty",
                              "freezePaneAtRange", "freezePaneUnfreeze", "setShowGridlines", "setPrintArea",
                              "setScreenUpdating", "setCalculation", "setTabColor"})

MSG_SKIPPED = ("Bemærk: {what} kan ikke udføres i xlwings Lite og er sprunget over ({funcs}). Tallene er "
               "skrevet; brug tilføjelsesprogrammet Tildeling i Excel på Windows for resten.")
MSG_UNEXPECTED = ("Der skete en uventet fejl ({kind}: {text}). Intet er ændret i projektmappen. Prøv igen; hvis "
                  "fejlen bliver ved, så send beskeden til den, der vedligeholder værktøjet.")

__all__ = ["LITE_ACTIONS", "lite_actions", "script_names", "TILDELING_SANDSYNLIGHED", "TILDELING_INDEKS",
           "TILDELING_NOEGLE", "TILDELING_BUDGET"]


# ------------------------------------------------------------------------------------------------
# The safety net: only actions Lite understands leave a script
# ------------------------------------------------------------------------------------------------
def lite_actions(actions: list[dict]) -> tuple[list[dict], list[str]]:
    """``actions`` as Lite can apply them, and the names of substantive actions that had to be dropped.

    ``setFormula`` becomes ``setValues`` with the same cells (Office.js makes a formula of a written
    ``"=…"`` text); ``alert`` is printed (Lite's output pane); other actions outside :data:`LITE_ACTIONS`
    are dropped – silently when they are cosmetic (:data:`COSMETIC_ACTIONS`).
    """
    kept, dropped = [], []
    for action in actions:
        func = action.get("func")
        if func in LITE_ACTIONS:
            kept.append(action)
        elif func == "setFormula":
            kept.append({**action, "func": "setValues"})
        elif func == "alert":
            args = action.get("args") or [""]
            print(f"{args[1]}: {args[0]}" if len(args) > 1 and args[1] else args[0])
        elif func not in COSMETIC_ACTIONS:
            dropped.append(str(func))
    return kept, dropped


def _run(name: str, book) -> None:
    """Run the classic macro ``name`` on ``book`` as Lite needs it (see the module docstring)."""
    macro = getattr(_macros, name)
    try:
        with lite_engine():
            macro(book)
    except Exception as exc:  # noqa: BLE001 - a macro without the error guard: still a Danish message
        try:
            book.json()["actions"].clear()
        except Exception:  # noqa: BLE001
            pass
        print(f"{_macros.TITLE} – fejl: " + MSG_UNEXPECTED.format(kind=type(exc).__name__, text=exc))
        return
    try:
        actions = book.json()["actions"]
    except Exception:  # noqa: BLE001 - not a remote-engine book (cannot happen in Lite)
        return
    kept, dropped = lite_actions(actions)
    actions[:] = kept
    if dropped:
        funcs = ", ".join(sorted(set(dropped)))
        what = "1 handling" if len(dropped) == 1 else f"{len(dropped)} handlinger"
        print(MSG_SKIPPED.format(what=what, funcs=funcs))


def _label(name: str) -> str:
    """The Danish label of a macro: its docstring up to the first colon ("Beregn fordeling")."""
    doc = (getattr(_macros, name).__doc__ or "").strip()
    head = doc.split(":", 1)[0].strip()
    return head if head and ":" in doc and len(head) <= 40 else name


def _make_script(name: str):
    def entry(book: xw.Book):
        _run(name, book)

    entry.__name__ = entry.__qualname__ = name
    entry.__module__ = __name__
    entry.__doc__ = getattr(_macros, name).__doc__
    return _script(name=_label(name))(entry)


def script_names() -> dict[str, str]:
    """Macro name → the script's display name in Lite, for every ribbon macro."""
    return {name: _label(name) for name in _macros.RIBBON_MACROS}


for _name in _macros.RIBBON_MACROS:
    globals()[_name] = _make_script(_name)
    __all__.append(_name)
del _name


# ------------------------------------------------------------------------------------------------
# Worksheet functions: TILDELING.SANDSYNLIGHED, .INDEKS, .NOEGLE, .BUDGET (same work, same Danish texts)
# ------------------------------------------------------------------------------------------------
def _udf(name: str, excel_name: str, args: dict[str, dict]):
    """Decorate as the Lite function ``TILDELING.<excel_name>`` with the classic UDF's description and argument
    texts (``args``: argument → options for ``xw.arg``)."""

    def decorate(fn):
        fn.__doc__ = getattr(_udfs, name).__doc__
        for arg, options in args.items():
            fn = _arg(arg, **options)(fn)
        return _func(name=excel_name, namespace=_udfs.NAMESPACE)(fn)

    return decorate


_COL = {"distrikter": {"ndim": 2, "doc": _udfs.DOC_DISTRICT_COL},
        "sandsynligheder": {"ndim": 2, "doc": _udfs.DOC_PROB_COL},
        "distriktsliste": {"ndim": 2, "doc": _udfs.DOC_DISTRICT_LIST}}


@_udf("TILDELING_SANDSYNLIGHED", "SANDSYNLIGHED", {"koefficienter": {"ndim": 2, "doc": _udfs.DOC_COEFS},
                                                   "elever": {"ndim": 2, "doc": _udfs.DOC_PUPILS}})
def TILDELING_SANDSYNLIGHED(koefficienter, elever):
    return _udfs._guarded(_udfs.pupil_probabilities, koefficienter, elever)


@_udf("TILDELING_INDEKS", "INDEKS", _COL)
def TILDELING_INDEKS(distrikter, sandsynligheder, distriktsliste):
    return _udfs._guarded(_udfs.district_index, distrikter, sandsynligheder, distriktsliste)


@_udf("TILDELING_NOEGLE", "NOEGLE", _COL)
def TILDELING_NOEGLE(distrikter, sandsynligheder, distriktsliste):
    return _udfs._guarded(_udfs.allocation_key, distrikter, sandsynligheder, distriktsliste)


@_udf("TILDELING_BUDGET", "BUDGET", {"samlet_budget": {"doc": _udfs.DOC_TOTAL},
                                     "noegle": {"ndim": 2, "doc": _udfs.DOC_KEY},
                                     "raekkefoelge": {"ndim": 2, "doc": _udfs.DOC_ORDER}})
def TILDELING_BUDGET(samlet_budget, noegle, raekkefoelge=None):
    return _udfs._guarded(_udfs.budget_split, samlet_budget, noegle, raekkefoelge)
