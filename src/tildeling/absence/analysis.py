"""Run the whole absence analysis: validate, link, test, tabulate, flag, segment.

:func:`analyse` returns an :class:`AbsenceResult`; the workbook writer, the
xlwings macros and the CLI only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import contract as c
from .inputs import Inputs, validate_inputs
from .linking import LinkResult, link
from .monitoring import caseworker_list, drill_table, quarterly_flags, segment, segment_counts, trend
from .stats import CrossTab, crosstabs, test_hypotheses

__all__ = ["AbsenceResult", "analyse", "analyse_inputs"]


@dataclass
class AbsenceResult:
    """Everything the absence workbook shows."""

    inputs: Inputs
    linked: LinkResult
    hypotheses: pd.DataFrame
    model_note: str
    crosstabs: list[CrossTab]
    flags: pd.DataFrame
    caseworkers: pd.DataFrame          # personal data
    trend: pd.DataFrame
    segment_rules: pd.DataFrame
    segments_by_school: tuple[pd.DataFrame, np.ndarray]
    segments_by_grade: tuple[pd.DataFrame, np.ndarray]
    drill: pd.DataFrame
    summary: pd.DataFrame
    warnings: list = field(default_factory=list)

    @property
    def pupils(self) -> pd.DataFrame:
        return self.linked.pupils

    @property
    def strongest(self) -> list[CrossTab]:
        """Cross-tabs with a significant association, strongest first, as many as the setting allows."""
        k = int(self.inputs.settings.get(c.SET_CHARTS, 4))
        return [t for t in self.crosstabs if not np.isnan(t.p) and t.p < 0.05][:k]


def analyse(raw: dict[str, pd.DataFrame], first_rows: dict[str, int] | None = None, *,
            problems=None) -> AbsenceResult:
    """Validate the raw input tables and run the analysis (see :func:`validate_inputs`).

    ``problems``: input problems the reader already found (Excel error values), reported together with
    the validation's own.
    """
    return analyse_inputs(validate_inputs(raw, first_rows, problems=problems))


def analyse_inputs(inp: Inputs) -> AbsenceResult:
    linked = link(inp)
    pupils = linked.pupils
    hyp, note = test_hypotheses(pupils, inp.hypoteser, float(inp.settings[c.SET_MARGIN]))
    seg, rule_summary = segment(pupils, inp.segmenter, inp.conditions)
    pupils[c.SEGMENT] = seg
    order = inp.segmenter.sort_values(c.SEG_PRIORITY, kind="stable")[c.SEG_CATEGORY]
    categories = list(dict.fromkeys(list(order) + [c.UNCATEGORISED]))
    flags = quarterly_flags(linked.monthly)
    n_with = int(pupils[c.ABSENCE_PCT].notna().sum())
    worrying = int((pupils[c.WORRYING] == 1).sum())
    summary = pd.DataFrame([
        ("Elever i elevlisten", len(pupils)),
        ("Elever med fraværsdata", n_with),
        ("Elever med bekymrende fravær (≥ 10 % i perioden)", worrying),
        ("Andel med bekymrende fravær", worrying / n_with if n_with else np.nan),
        ("Gennemsnitligt fravær (%)", float(np.nanmean(pupils[c.ABSENCE_PCT])) if n_with else np.nan),
        ("Elev-kvartaler med fravær ≥ 10 %", int(flags[c.FLAG_TOTAL].sum())),
        ("Elev-kvartaler med ulovligt fravær ≥ 15 % (underretningspligt)", int(flags[c.FLAG_UNLAWFUL].sum())),
        ("Hypoteser bekræftet", int((hyp["Vurdering"] == c.CONFIRMED).sum())),
        ("Hypoteser afkræftet", int((hyp["Vurdering"] == c.REJECTED).sum())),
        ("Hypoteser ikke afklaret", int((hyp["Vurdering"] == c.UNRESOLVED).sum())),
        ("Relevansgrænse (procentpoint)", float(inp.settings[c.SET_MARGIN])),
    ], columns=["Nøgletal", "Værdi"])
    return AbsenceResult(
        inputs=inp, linked=linked, hypotheses=hyp, model_note=note, crosstabs=crosstabs(pupils), flags=flags,
        caseworkers=caseworker_list(flags, pupils), trend=trend(linked.monthly), segment_rules=rule_summary,
        segments_by_school=segment_counts(pupils, c.SCHOOL, categories),
        segments_by_grade=segment_counts(pupils, c.GRADE, categories),
        drill=drill_table(pupils), summary=summary, warnings=list(inp.warnings),
    )
