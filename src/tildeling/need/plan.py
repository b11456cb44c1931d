"""The district plan: which district gets the money for a residence district's grades.

In Helsingør the pupils who live in Tikøb's district go to Espegærde for grades 7–9, and the VIVE note counts
them there. A plan is a table with one row per rule:

==================  ===========================================================
``Distrikt``        the residence district (the pupil's ``Distrikt``)
``Fra klassetrin``  first grade of the rule (0–9)
``Til klassetrin``  last grade of the rule (0–9, at least ``Fra klassetrin``)
``Budgetdistrikt``  the district that counts these pupils and gets their money
==================  ===========================================================

A pupil whom no rule covers stays in the district they live in; a pupil without a district stays without one.
Both codes must be known districts, and two rules for the same residence district may not share a grade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, InputErrors, Problems, Source, format_names
from .codes import normalise_code, normalise_codes

__all__ = ["PLAN_COLUMNS", "PlanRule", "DistrictPlan", "read_plan"]

#: Columns of a district plan (``tblDistriktsplan``, ``--distriktsplan``), a contract.
PLAN_COLUMNS = ("Distrikt", "Fra klassetrin", "Til klassetrin", "Budgetdistrikt")
RESIDENCE, FIRST, LAST, TARGET = PLAN_COLUMNS
GRADES = range(0, 10)


@dataclass(frozen=True)
class PlanRule:
    district: str
    first: int
    last: int
    target: str
    row: int          # the row the user sees


@dataclass(frozen=True)
class DistrictPlan:
    rules: tuple[PlanRule, ...]

    def __len__(self) -> int:
        return len(self.rules)

    def assign(self, districts, grades) -> np.ndarray:
        """Budget districts of pupils living in ``districts`` (codes as text) in ``grades``."""
        out = np.asarray(districts, dtype=object).copy()
        residence = out.copy()
        grades = np.asarray(grades)
        for r in self.rules:
            hit = (residence == r.district) & (grades >= r.first) & (grades <= r.last)
            out[hit] = r.target
        return out

    def describe(self) -> list[str]:
        """One Danish line per rule, e.g. ``Distrikt 4, 7.-9. klasse → distrikt 1``."""
        return [f"Distrikt {r.district}, {r.first}.-{r.last}. klasse → distrikt {r.target}" for r in self.rules]


def _grade(value) -> int | None:
    """A whole grade 0–9, or None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if value.endswith("."):
            value = value[:-1]
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(v) or not v.is_integer() or int(v) not in GRADES:
        return None
    return int(v)


def _blank(value) -> bool:
    return normalise_code(value) == ""


def read_plan(frame: pd.DataFrame | None, known, source: Source | None = None) -> DistrictPlan | None:
    """Check a district plan and return it (None for a missing or empty table).

    Every problem is reported at once, each with its column and row: missing columns, blank cells,
    grades that are not whole numbers from 0 to 9, a first grade after the last, unknown districts
    (``known``: the codes of the district table) and rules for the same district whose grades overlap.
    """
    source = source or Source("Distriktsplanen")
    if frame is None:
        return None
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    filled = ~frame.apply(lambda col: col.map(_blank)).all(axis=1) if len(frame) else pd.Series([], dtype=bool)
    if not filled.any():
        return None
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)}. "
                         f"En distriktsplan har kolonnerne {format_names(PLAN_COLUMNS)}.", source=source)
    known = {normalise_code(k) for k in known} - {""}
    positions = np.flatnonzero(filled.to_numpy())
    problems: list[tuple[str, list[int], str]] = []   # (column, rows, message)
    residence = normalise_codes(frame[RESIDENCE])
    target = normalise_codes(frame[TARGET])
    rules, spans = [], []
    for pos in positions:
        row = source.rows([pos])[0]
        ok = True
        for column, codes in ((RESIDENCE, residence), (TARGET, target)):
            code = codes.iloc[pos]
            if code == "":
                problems.append((column, [row], "tom celle – skriv en distriktskode."))
                ok = False
            elif code not in known:
                problems.append((column, [row], f"ukendt distrikt '{code}' – distriktet skal stå i "
                                                f"distriktstabellen. Kendte distrikter: "
                                                f"{format_names(sorted(known), limit=10)}."))
                ok = False
        grades = []
        for column in (FIRST, LAST):
            raw = frame[column].iloc[pos]
            g = _grade(raw)
            if g is None:
                shown = "" if _blank(raw) else f" (ikke '{raw}')"
                problems.append((column, [row], f"klassetrin skal være et helt tal fra 0 til 9{shown}."))
                ok = False
            grades.append(g)
        first, last = grades
        if first is not None and last is not None and first > last:
            problems.append((LAST, [row], f"'Til klassetrin' ({last}) er mindre end 'Fra klassetrin' ({first})."))
            ok = False
        rule = PlanRule(residence.iloc[pos], first, last, target.iloc[pos], row)
        if ok:
            rules.append(rule)
        if rule.district and first is not None and last is not None and first <= last:
            spans.append(rule)   # overlaps are checked even when another cell of the row is wrong
    by_district: dict[str, list[PlanRule]] = {}
    for r in spans:
        by_district.setdefault(r.district, []).append(r)
    for district, rs in by_district.items():
        rs = sorted(rs, key=lambda r: (r.first, r.row))
        for a, b in zip(rs, rs[1:]):
            if b.first <= a.last:
                shared = f"{b.first}.-{min(a.last, b.last)}." if b.first < min(a.last, b.last) else f"{b.first}."
                problems.append((FIRST, sorted([a.row, b.row]),
                                 f"reglerne for distrikt '{district}' overlapper ({shared} klasse står i begge) – "
                                 "hvert klassetrin må kun have ét budgetdistrikt."))
    if problems:
        raise plan_error(problems, source)
    return DistrictPlan(tuple(rules))


def plan_error(problems: list[tuple[str, list[int], str]], source: Source) -> InputError:
    """One InputError per problem, with its column and rows; several are one :class:`InputErrors`."""
    collected = Problems()
    for column, rows, message in problems:
        collected.add(InputError(message, source=source, column=column, rows=rows))
    if len(collected.items) == 1 and not collected.more:
        return collected.items[0]
    return InputErrors(collected.items, collected.more)
