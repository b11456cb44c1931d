"""Absence analysis across school, social, family and language data (domain.md, Part 2).

Core: :func:`analyse` validates the input tables, links them per pupil and returns an
:class:`AbsenceResult` (link report, hypothesis verdicts, cross-tabs, quarterly flags,
caseworker list, trends, segments, drill-down table). Adapters:
:mod:`tildeling.workbook.absence` (template, run in place, shared copy),
:mod:`tildeling.cli.absence` (command line) and :mod:`tildeling.xl.absence_macros`
(ribbon).
"""

from __future__ import annotations

from .analysis import AbsenceResult, analyse, analyse_inputs
from .inputs import Inputs, validate_inputs

__all__ = ["AbsenceResult", "analyse", "analyse_inputs", "Inputs", "validate_inputs"]
