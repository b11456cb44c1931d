"""The absence workbook adapter: template, reader, result sheets, run in place, shared copy.

The names below are loaded on first use (PEP 562), so that importing the contract
(:mod:`tildeling.workbook.absence.contract`) stays light – xlwings Lite imports it
when it registers the scripts, long before a script needs openpyxl or scipy.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "is_absence_workbook": ".reader", "read_inputs": ".reader",
    "run_workbook": ".run",
    "share": ".share", "shared_workbook": ".share",
    "render_results": ".sheets", "write_results": ".sheets",
    "DRILL_ROWS": ".template", "build_template": ".template", "new_template": ".template",
    "write_input_workbook": ".template",
}

__all__ = ["build_template", "new_template", "write_input_workbook", "read_inputs", "write_results",
           "render_results", "shared_workbook", "run_workbook", "share", "is_absence_workbook", "DRILL_ROWS"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
