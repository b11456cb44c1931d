"""Last year against this year: each district's pupils, key and budget, and why its key changed.

The need key is ``k_d = s_d · i_d``: the district's share of the pupils ``s_d = n_d / Σn`` times its need per
pupil relative to the municipality ``i_d = k_d / s_d`` (the need index / 100). From last year (``k0 = s0·i0``) to
this year (``k1 = s1·i1``) the key changes by ``Δk = k1 − k0``, split into three parts that add up *exactly*:

* the model's effect ``(c) = k1 − k_m``, where ``k_m`` is this year's key computed with *last year's*
  coefficient table (0 when the table is unchanged; unknown – and then part of (b) – when last year's table or
  this year's pupils are not at hand);
* (a) pupil numbers and (b) need per pupil split ``k_m − k0 = s1·i_m − s0·i0`` (``i_m = k_m/s1``) by the
  symmetric (Shapley) rule: ``(a) = (s1 − s0)·(i0 + i_m)/2``, ``(b) = (i_m − i0)·(s0 + s1)/2``.

``(a) + (b) = s1·i_m − s0·i0 = k_m − k0``, so ``(a) + (b) + (c) = Δk``; the arithmetic is exact (fractions of
the decimals given), and the workbook's formulas use the same expressions. A district that is new this year
(no pupils last year) has ``i0 := i_m`` (all of its key is pupil numbers); one without pupils this year has
``i_m := i0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import columns as col
from ..danish import NumberError, cell_number, uses_decimal_point
from ..errors import InputError, Source, format_names

__all__ = ["LastYear", "last_year_from_frame", "compare_years", "Development", "LAST_YEAR_COLUMNS",
           "DEVELOPMENT_COLUMNS", "exact_parts"]

#: Columns of ``tblSidsteAar`` (a contract).
LAST_YEAR_COLUMNS = ("Distrikt", "Elever", "Behovsnøgle", "Budget (kr.)")

N0, N1 = "Elever sidste år", "Elever i år"
K0, K1 = "Behovsnøgle sidste år", "Behovsnøgle i år"
B0, B1 = "Budget sidste år (kr.)", "Budget i år (kr.)"
CHANGE, CHANGE_PCT = "Ændring (kr.)", "Ændring (%)"
PER0, PER1 = "Kr. pr. elev sidste år", "Kr. pr. elev i år"
DK = "Ændring i nøglen (procentpoint)"
PART_PUPILS = "Heraf elevtal (procentpoint)"
PART_NEED = "Heraf behov pr. elev (procentpoint)"
PART_MODEL = "Heraf modellen (procentpoint)"
#: Columns of ``tblUdvikling`` (a contract), after ``Distrikt`` and ``Navn``.
DEVELOPMENT_COLUMNS = (N0, N1, K0, K1, B0, B1, CHANGE, CHANGE_PCT, PER0, PER1, DK, PART_PUPILS, PART_NEED,
                       PART_MODEL)
#: This year's key computed with last year's coefficients (a helper column of the workbook).
MODEL_KEY = "Behovsnøgle med sidste års model"

DEFAULT_SOURCE = Source("Tabellen med sidste års tal")


def _exact(x) -> Fraction:
    return Fraction(repr(float(x))) if not isinstance(x, (int, np.integer)) else Fraction(int(x))


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _code(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


@dataclass(frozen=True)
class LastYear:
    """Last year's figures per district (``tblSidsteAar``), validated.

    ``table``: ``Distrikt`` (text), ``Elever``, ``Behovsnøgle`` (fractions), ``Budget (kr.)`` (NaN where not
    given). ``source`` says where they came from (for the sheet's note).
    """

    table: pd.DataFrame
    source: str = ""

    def budgets(self) -> dict[str, tuple[float, float]]:
        """Code → (pupils, budget) of the districts with both, for the protection against big drops."""
        out = {}
        for code, n, b in zip(self.table["Distrikt"], self.table["Elever"], self.table["Budget (kr.)"]):
            if not _missing(b) and not _missing(n):
                out[code] = (float(n), float(b))
        return out

    def has_budget(self) -> bool:
        return bool(self.table["Budget (kr.)"].notna().any())


def last_year_from_frame(frame: pd.DataFrame | None, source: Source | None = None, *,
                         origin: str = "") -> LastYear | None:
    """Validate ``tblSidsteAar``; ``None`` when it is missing or has no rows. Every problem in one message."""
    source = source or DEFAULT_SOURCE
    if frame is None:
        return None
    frame = frame.dropna(how="all")
    if len(frame) == 0:
        return None
    missing = [c for c in LAST_YEAR_COLUMNS[:3] if c not in frame.columns]
    if missing:
        raise InputError(f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)} "
                         f"– tabellen skal have kolonnerne {format_names(list(LAST_YEAR_COLUMNS))}.", source=source)
    problems: list[str] = []
    codes = [_code(v) if not _missing(v) else "" for v in frame["Distrikt"]]
    rows = source.rows

    def where(column, positions):
        return f"kolonne '{column}', {'række' if len(positions) == 1 else 'rækkerne'} " + \
            ", ".join(str(r) for r in rows(positions))

    blank = [i for i, c in enumerate(codes) if not c]
    if blank:
        problems.append(f"{where('Distrikt', blank)}: distriktskoden mangler")
    seen: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        if c:
            seen.setdefault(c, []).append(i)
    dups = sorted(i for pos in seen.values() if len(pos) > 1 for i in pos)
    if dups:
        problems.append(f"{where('Distrikt', dups)}: samme distrikt står flere gange")

    def numbers(column, *, required: bool):
        if column not in frame.columns:
            return [math.nan] * len(frame)
        out, bad, empty = [], [], []
        point = uses_decimal_point(frame[column])   # the one number parser, the column's convention decided once
        for i, v in enumerate(frame[column]):
            if _missing(v):
                out.append(math.nan)
                if required:
                    empty.append(i)
                continue
            try:
                x = cell_number(v, point_column=point)
            except NumberError:
                bad.append(i)
                out.append(math.nan)
                continue
            if x is None:
                out.append(math.nan)
                if required:
                    empty.append(i)
                continue
            if not math.isfinite(x) or x < 0:
                bad.append(i)
            out.append(x)
        if empty:
            problems.append(f"{where(column, empty)}: tom celle")
        if bad:
            problems.append(f"{where(column, bad)}: skal være et tal på 0 eller mere")
        return out

    pupils = numbers("Elever", required=True)
    key = numbers("Behovsnøgle", required=True)
    budget = numbers("Budget (kr.)", required=False)
    if not problems:
        total = sum(key)
        if abs(total - 1) > 1e-6:
            hint = " – skriv nøglen som brøker (0,184), ikke som procent (18,4)." if abs(total - 100) < 1e-3 else \
                " – kontrollér, at alle sidste års distrikter er med."
            problems.append(f"kolonne 'Behovsnøgle': nøglerne summer til {str(round(total, 6)).replace('.', ',')}, "
                            f"men skal summe til 1{hint}")
        if sum(pupils) <= 0:
            problems.append("kolonne 'Elever': alle elevtal er 0")
    if problems:
        raise InputError("; ".join(problems) + ".", source=source)
    table = pd.DataFrame({"Distrikt": codes, "Elever": pupils, "Behovsnøgle": key, "Budget (kr.)": budget})
    return LastYear(table, origin)


@dataclass
class Development:
    """:func:`compare_years`'s result: ``table`` (``tblUdvikling``), the model key used and notes in Danish."""

    table: pd.DataFrame
    model_key: np.ndarray
    model_known: bool
    notes: list[str] = field(default_factory=list)


def exact_parts(s0: Fraction, k0: Fraction, s1: Fraction, k1: Fraction, km: Fraction):
    """(a) pupil numbers, (b) need per pupil, (c) the model – exact fractions that add up to ``k1 − k0``."""
    i_m = km / s1 if s1 else None
    i0 = k0 / s0 if s0 else None
    if i0 is None and i_m is None:
        i0 = i_m = Fraction(0)
    elif i0 is None:
        i0 = i_m
    elif i_m is None:
        i_m = i0
    a = (s1 - s0) * (i0 + i_m) / 2
    b = (i_m - i0) * (s0 + s1) / 2
    c = k1 - km
    return a, b, c


def compare_years(this: pd.DataFrame, last: LastYear, *, model_key=None) -> Development:
    """Last year against this year, per district of this year (``this``'s order).

    Parameters
    ----------
    this : DataFrame
        ``Distrikt``, ``Navn``, ``Elever``, ``Behovsnøgle`` and ``Budget (kr.)`` (the budget year's budget).
    last : LastYear
    model_key : array-like, optional
        This year's key computed with last year's coefficient table (same order as ``this``). ``None``: the
        model's effect is not known (it is then part of the change in need per pupil).
    """
    codes = [_code(c) for c in this[col.DISTRICT]]
    lt = last.table.set_index("Distrikt")
    n0_all = sum(_exact(v) for v in lt["Elever"])
    n1_all = sum(_exact(v) for v in this["Elever"])
    known = model_key is not None
    km_values = list(model_key) if known else list(this["Behovsnøgle"])
    rows = []
    for i, code in enumerate(codes):
        n1, k1 = _exact(this["Elever"].iloc[i]), _exact(this["Behovsnøgle"].iloc[i])
        b1 = this["Budget (kr.)"].iloc[i]
        km = _exact(km_values[i])
        if code in lt.index:
            n0, k0 = _exact(lt.loc[code, "Elever"]), _exact(lt.loc[code, "Behovsnøgle"])
            b0 = lt.loc[code, "Budget (kr.)"]
        else:
            n0, k0, b0 = Fraction(0), Fraction(0), math.nan
        s0 = n0 / n0_all if n0_all else Fraction(0)
        s1 = n1 / n1_all if n1_all else Fraction(0)
        a, b, c = exact_parts(s0, k0, s1, k1, km)
        has_b0 = not _missing(b0)
        has_b1 = not _missing(b1)
        rows.append({
            N0: float(n0) if code in lt.index else math.nan, N1: float(n1),
            K0: float(k0) if code in lt.index else math.nan, K1: float(k1),
            B0: float(b0) if has_b0 else math.nan, B1: float(b1) if has_b1 else math.nan,
            CHANGE: float(b1) - float(b0) if has_b0 and has_b1 else math.nan,
            CHANGE_PCT: float(b1) / float(b0) - 1 if has_b0 and has_b1 and float(b0) > 0 else math.nan,
            PER0: float(b0) / float(n0) if has_b0 and n0 > 0 else math.nan,
            PER1: float(b1) / float(n1) if has_b1 and n1 > 0 else math.nan,
            DK: float((k1 - k0) * 100), PART_PUPILS: float(a * 100), PART_NEED: float(b * 100),
            PART_MODEL: float(c * 100) if known else math.nan,
        })
    table = pd.DataFrame(rows)
    table.insert(0, "Navn", this["Navn"].to_numpy() if "Navn" in this else codes)
    table.insert(0, "Distrikt", codes)
    notes = []
    new = [c for c in codes if c not in lt.index]
    gone = [c for c in lt.index if c not in set(codes)]
    if new:
        notes.append(f"Nye distrikter i år: {format_names(new)} – hele deres nøgle tæller som elevtal.")
    if gone:
        notes.append(f"Distrikter fra sidste år, der ikke er med i år: {format_names(gone)}.")
    return Development(table, np.array([float(_exact(v)) for v in km_values]), known, notes)
