"""Absence analysis across school, social, family and language data (domain.md, Part 2).

Core: :func:`analyse` validates the input tables, links them per pupil and returns an
:class:`AbsenceResult` (link report, hypothesis verdicts, cross-tabs, quarterly flags,
caseworker list, trends, segments, drill-down table). Adapters:
:mod:`tildeling.workbook.absence` (template, run in place, shared copy),
:mod:`tildeling.cli.absence` (command line) and :mod:`tildeling.xl.absence_macros`
(ribbon).
"""

from __future__ import annotations

import importlib

# Loaded on first use (PEP 562): importing the names in .contract stays light (scipy comes with the analysis).
_EXPORTS = {"AbsenceResult": ".analysis", "analyse": ".analysis", "analyse_inputs": ".analysis",
            "Inputs": ".inputs", "validate_inputs": ".inputs"}

__all__ = ["AbsenceResult", "analyse", "analyse_inputs", "Inputs", "validate_inputs"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
