"""Split a special-education budget between school districts by an allocation key.

This is step 4 of the need model (docs: domain.md, methods.md "Budget"). The
core takes a district table and :class:`BudgetOptions` and returns an
:class:`Allocation`; it knows nothing about Excel.

The rules
---------
* **Whole kroner.** Every split is rounded by the largest remainder method
  (Hamilton): each district first gets ``floor(quota)``, then the kroner left
  over go one each to the districts with the largest fractional parts. Ties go
  to the district with the lowest district code (codes made of digits sort as
  numbers, other codes alphabetically), so the result never depends on the row
  order. The budget column therefore sums *exactly* to the total.
* **Exact arithmetic.** Shares, weights and amounts are turned into exact
  fractions from the decimals the user typed (``0.184`` is 184/1000, not the
  nearest binary float), so fractional parts and ties are those of a hand
  calculation and do not depend on the order of summation. Each quota is
  rounded half up to 6 decimals before its whole and fractional parts are
  taken (:data:`QUOTA_DECIMALS`), exactly as the workbook's formulas do with
  ``ROUND(quota, 6)``, so Excel's floating-point noise never decides who gets
  a krone.
* **Mixed key.** ``k_mix = a * h + (1 - a) * k`` with ``h`` the head-count share
  and ``k`` the need key (``Behovsnøgle``).
* **Floors.** Every district gets at least its floor; the rest of the budget is
  split among the others by the key, repeated until no district is below its
  floor. The result is ``max(floor_d, lambda * key_d)`` with one ``lambda`` for
  all districts.
* **Phase-in.** Over ``N`` years from the current budget ``C_d`` to the target
  ``T_d`` (the new budget): year ``t`` gets ``C_d + (T_d - C_d) * t / N``. The
  year's total is interpolated linearly too, ``C + (B - C) * t / N``, and
  rounded half up to whole kroner. The interpolated rows sum exactly to the
  interpolated total, so rescaling them to it changes nothing; they are rounded
  to the rounded total as above. Year 0 is the current budget and year ``N``
  the target, exactly; a district whose budget does not change stays the same
  every year. Because each year is rounded on its own, a district can move one
  krone against its trend between two years (never more).
* All amounts given by the user (total, floors, current budgets) are rounded
  half up to whole kroner before use.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import columns as col
from ..danish import NumberError, cell_number, uses_decimal_point
from ..errors import InputError, Problems, Source, format_names, is_excel_error
from ..model.design import numeric_column

__all__ = [
    "largest_remainder",
    "BudgetOptions",
    "Allocation",
    "allocate",
    "SETTING_TOTAL",
    "SETTING_HEAD_COUNT_WEIGHT",
    "SETTING_PHASE_IN_YEARS",
    "SETTING_MAX_LOSS",
    "BUDGET_UNPROTECTED",
    "PROTECTION",
    "protect_against_drops",
    "NAME",
    "PUPILS",
    "EXPECTED_SHARE",
    "HEAD_COUNT_SHARE",
    "NEED_KEY",
    "MIXED_KEY",
    "KEY",
    "FLOOR",
    "BUDGET",
    "BUDGET_HEAD_COUNT",
    "DIFFERENCE",
    "BUDGET_NEED_ONLY",
    "CURRENT",
    "DIFFERENCE_CURRENT",
    "TOTAL_ROW",
    "year_column",
]

# --- Names users see (a contract: Excel formulas rely on them) ---------------
#: Settings (named cells in the workbook).
SETTING_TOTAL = "SamletBudget"
SETTING_HEAD_COUNT_WEIGHT = "Elevtalsvaegt"
SETTING_PHASE_IN_YEARS = "Indfasningsaar"
#: The largest loss per pupil against last year (a fraction ≤ 0, e.g. -0.02); blank = no protection.
SETTING_MAX_LOSS = "Tabsgraense"

#: Input columns of the district table (``Distrikt`` is :data:`columns.DISTRICT`).
NAME = "Navn"
PUPILS = "Elever"
EXPECTED_SHARE = "Behovsnøgle"
#: The need key's former name, still accepted as input.
LEGACY_EXPECTED_SHARE = "Forventet andel"

#: Output columns of :attr:`Allocation.table`.
HEAD_COUNT_SHARE = "Elevtalsandel"
NEED_KEY = "Behovsnøgle"
MIXED_KEY = "Blandet nøgle"
KEY = "Fordelingsnøgle"
FLOOR = "Gulv (kr.)"
BUDGET = "Budget (kr.)"
BUDGET_HEAD_COUNT = "Budget efter elevtal (kr.)"
DIFFERENCE = "Forskel (kr.)"
BUDGET_NEED_ONLY = "Budget efter behov alene (kr.)"
BUDGET_UNPROTECTED = "Budget før beskyttelse (kr.)"
PROTECTION = "Beskyttelse (kr.)"
CURRENT = "Nuværende budget (kr.)"
DIFFERENCE_CURRENT = "Forskel til nuværende (kr.)"

#: Label of the totals row in :attr:`Allocation.phase_in`.
TOTAL_ROW = "I alt"


def year_column(t: int) -> str:
    """Column name of phase-in year ``t`` in :attr:`Allocation.phase_in`: ``"År 1 (kr.)"``."""
    return f"År {t} (kr.)"


#: Default label of the district table in messages.
DISTRICT_SOURCE = Source("Tabellen med distrikter")

#: Tolerance on the sum of the need key.
KEY_SUM_TOLERANCE = 1e-6

#: The largest amount (kr.) accepted as a budget, floor or current budget: 1.000 mia. kr. – far above any
#: municipality's special-education budget, far below where whole-krone arithmetic would overflow.
MAX_AMOUNT = 1e12

#: The longest phase-in accepted (years).
MAX_PHASE_IN_YEARS = 50


# --- Danish number formatting for messages and explanations -------------------
def _kr(x: float | int | Fraction) -> str:
    """``50.000.000 kr.`` (Danish thousands separator); non-whole amounts with øre."""
    if isinstance(x, Fraction):
        x = float(x)
    if float(x).is_integer():
        return f"{int(x):,} kr.".replace(",", ".")
    text = f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} kr."


def _num(x: float) -> str:
    """A plain number the Danish way: ``0,95``, ``2,5``, ``-3``."""
    x = float(x)
    if math.isnan(x):
        return "tom (NaN)"
    if math.isinf(x):
        return "uendelig" if x > 0 else "minus uendelig"
    if abs(x) >= 1e15:
        return f"{x:.3g}".replace(".", ",")
    text = f"{x:.6f}".rstrip("0").rstrip(".") if not x.is_integer() else str(int(x))
    return text.replace(".", ",")


def _pct(fraction: Fraction | float) -> str:
    """``20 %``, ``12,5 %`` from a fraction."""
    value = round(float(fraction) * 100, 2)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def _setting(name: str) -> Source:
    return Source(f"Indstillingen '{name}'")


# --- Exact arithmetic and the rounding rule -----------------------------------
def _exact(x: Any) -> Fraction:
    """The exact fraction of a number as the user typed it (``0.184`` → 184/1000)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    if isinstance(x, (numbers.Integral, np.integer)):
        return Fraction(int(x))
    # repr() of a float is the shortest decimal that round-trips: the typed value.
    return Fraction(repr(float(x)))


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


#: Quotas are rounded to this many decimals before the largest remainder method, in Python and in the
#: workbook's formulas alike (``ROUND(quota; 6)``): floating-point noise in Excel cannot then decide who gets a
#: krone, and fractional parts equal to 1/1,000,000 kr. are ties, broken by the district code.
QUOTA_DECIMALS = 6
_QUOTA_SCALE = 10 ** QUOTA_DECIMALS


def _round_quota(q: Fraction) -> Fraction:
    """``q`` rounded half up to :data:`QUOTA_DECIMALS` decimals (Excel's ``ROUND`` for numbers ≥ 0)."""
    return Fraction(math.floor(q * _QUOTA_SCALE + Fraction(1, 2)), _QUOTA_SCALE)


def _hamilton(quotas: Sequence[Fraction], total: int, rank: Sequence[int]) -> np.ndarray:
    """Round exact quotas summing to about ``total`` to integers summing to ``total``.

    Each quota is first rounded to :data:`QUOTA_DECIMALS` decimals. ``rank[i]``
    is district ``i``'s place in the tie-break order (lower first).
    """
    quotas = [_round_quota(q) for q in quotas]
    floors = [q.numerator // q.denominator for q in quotas]
    left = total - sum(floors)
    if not 0 <= left <= len(quotas):  # pragma: no cover - guarded by the callers
        raise RuntimeError(f"largest remainder: {left} kroner left over for {len(quotas)} districts")
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), rank[i], i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return np.asarray(floors, dtype=np.int64)


def _split(weights: Sequence[Fraction], total: int, rank: Sequence[int]) -> np.ndarray:
    """Hamilton split of ``total`` by non-negative exact weights."""
    s = sum(weights, Fraction(0))
    if total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    if s == 0:
        raise InputError(
            f"alle vægte er 0, så {_kr(total)} kan ikke fordeles – mindst én vægt skal være større end 0."
        )
    return _hamilton([w * total / s for w in weights], total, rank)


def _ranks(order: Sequence[Any]) -> list[int]:
    """Place of each element in ``order`` when sorted (ties by position)."""
    positions = sorted(range(len(order)), key=lambda i: (order[i], i))
    rank = [0] * len(order)
    for place, i in enumerate(positions):
        rank[i] = place
    return rank


def _code_sort_key(code: str) -> tuple:
    """Tie-break order of district codes: digit codes as numbers first, then text."""
    return (0, int(code), code) if code.isdigit() else (1, 0, code)


def largest_remainder(weights, total: int, order=None) -> np.ndarray:
    """Split ``total`` whole kroner in proportion to ``weights`` (Hamilton's method).

    Each element first gets ``floor(w_i * total / sum(w))``; the kroner left over
    go one each to the elements with the largest fractional parts. Arithmetic
    is exact on the decimals given (``0.1`` is one tenth), so ties are real ties.

    Parameters
    ----------
    weights : array-like of float or int
        Non-negative, finite weights (shares, pupil counts, amounts); they need
        not sum to 1.
    total : int
        Whole kroner to split, ``>= 0``. A float with a whole value is accepted.
    order : array-like, optional
        One sortable value per weight; among equal fractional parts the lowest
        value gets its krone first (then the lowest position). Default: the
        position, so the first element wins a tie.

    Returns
    -------
    numpy.ndarray of int64
        Whole kroner, same length as ``weights``, summing exactly to ``total``.

    Raises
    ------
    InputError
        A weight is negative, missing or infinite; ``total`` is negative or not
        whole; all weights are 0 while ``total > 0``; ``order`` has the wrong
        length.
    """
    values = list(np.asarray(weights, dtype=object).ravel())
    for i, v in enumerate(values):
        if not isinstance(v, (numbers.Real, Fraction)) or not math.isfinite(float(v)) or v < 0:
            raise InputError(
                f"vægt nummer {i + 1} er {v!r} – alle vægte skal være endelige tal på 0 eller mere."
            )
    if (
        isinstance(total, (bool, np.bool_))
        or not isinstance(total, numbers.Real)
        or not math.isfinite(float(total))
        or float(total) != int(total)
        or total < 0
    ):
        raise InputError(f"beløbet der skal fordeles skal være et helt antal kroner på 0 eller mere, men er {total!r}.")
    if order is None:
        rank = list(range(len(values)))
    else:
        order = list(np.asarray(order, dtype=object).ravel())
        if len(order) != len(values):
            raise InputError(
                f"rækkefølgen ved lighed har {len(order)} elementer, men der er {len(values)} vægte."
            )
        rank = _ranks(order)
    return _split([_exact(v) for v in values], int(total), rank)


# --- Options and result ------------------------------------------------------
def _check_amount(value: Any, what: str, fix: str, *, source=None, column=None) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} skal være et tal i kroner, men er {value!r} – {fix}.",
                         source=source, column=column)
    if not math.isfinite(float(value)):
        raise InputError(f"{what} skal være et endeligt tal i kroner, men er {_num(value)} – {fix}.",
                         source=source, column=column)
    if value < 0:
        raise InputError(f"{what} er negativt ({_kr(value)}) – {fix}.", source=source, column=column)
    if value > MAX_AMOUNT:
        raise InputError(f"{what} er urimeligt stort ({_num(value)} kr., over {_kr(MAX_AMOUNT)}) – kontrollér "
                         "beløbet (er der skrevet for mange nuller, eller er cellen en dato eller et andet tal?).",
                         source=source, column=column)


@dataclass(frozen=True)
class BudgetOptions:
    """The user's choices for the budget split; validated on construction.

    Parameters
    ----------
    total : float
        The total budget ``SamletBudget`` in kroner, finite and ``>= 0``;
        rounded half up to whole kroner.
    head_count_weight : float, default=0.0
        ``a`` in ``k_mix = a * h + (1 - a) * k`` (setting ``Elevtalsvaegt``),
        between 0 (need key alone) and 1 (head count alone).
    floors : mapping of str to float, optional
        Minimum budget in kroner per district code (column ``Gulv (kr.)``).
        Districts not in the mapping have no floor. Rounded to whole kroner.
    current : mapping of str to float, optional
        Current budget in kroner per district code (column ``Nuværende budget
        (kr.)``), for comparison and phase-in. Rounded to whole kroner.
    phase_in_years : int, default=0
        0 = no phase-in; ``N >= 1`` = go from the current budget to the new one
        over ``N`` years (setting ``Indfasningsaar``). Needs ``current`` for
        every district.

    Raises
    ------
    InputError
        A value is of the wrong type, negative, infinite or out of range.
    """

    total: float
    head_count_weight: float = 0.0
    floors: Mapping[str, float] | None = None
    current: Mapping[str, float] | None = None
    phase_in_years: int = 0
    last_year: Mapping[str, tuple[float, float]] | None = None
    max_loss: float | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        problems.attempt(_check_amount, self.total, "det samlede budget", "skriv et beløb på 0 kr. eller mere",
                         source=_setting(SETTING_TOTAL))
        a = self.head_count_weight
        if (
            isinstance(a, (bool, np.bool_))
            or not isinstance(a, numbers.Real)
            or not math.isfinite(float(a))
            or not 0 <= a <= 1
        ):
            shown = _num(a) if isinstance(a, numbers.Real) else repr(a)
            problems.add(InputError(
                f"vægten til elevtal skal ligge mellem 0 og 1 (fx 0,2 for 20 % efter elevtal), men er {shown}.",
                source=_setting(SETTING_HEAD_COUNT_WEIGHT),
            ))
        n = self.phase_in_years
        if (
            isinstance(n, (bool, np.bool_))
            or not isinstance(n, numbers.Real)
            or not math.isfinite(float(n))
            or float(n) != int(n)
            or n < 0
        ):
            shown = _num(n) if isinstance(n, numbers.Real) else repr(n)
            problems.add(InputError(
                f"antallet af år skal være et helt tal på 0 eller mere (0 = ingen indfasning), men er {shown}.",
                source=_setting(SETTING_PHASE_IN_YEARS),
            ))
        elif n > MAX_PHASE_IN_YEARS:
            problems.add(InputError(
                f"indfasning over {_num(n)} år er urimeligt – skriv et helt tal fra 0 til {MAX_PHASE_IN_YEARS}.",
                source=_setting(SETTING_PHASE_IN_YEARS),
            ))
        g = self.max_loss
        if g is not None and (isinstance(g, (bool, np.bool_)) or not isinstance(g, numbers.Real)
                              or not math.isfinite(float(g)) or not -1 <= g <= 0):
            shown = _num(g) if isinstance(g, numbers.Real) else repr(g)
            problems.add(InputError(
                f"det største fald pr. elev skal være en andel mellem -1 og 0 (fx -0,02 for højst 2 % mindre pr. "
                f"elev end sidste år), men er {shown}.", source=_setting(SETTING_MAX_LOSS)))
        for mapping, column, what in ((self.floors, FLOOR, "gulvet"), (self.current, CURRENT, "budgettet")):
            for code, value in (mapping or {}).items():
                if _is_missing(value):
                    continue  # a blank cell: no floor / no current budget for that district
                problems.attempt(_check_amount, value, f"distrikt '{code}': {what}", "skriv 0 eller et positivt beløb",
                                 column=column)
        problems.raise_if_any()

    @property
    def total_kroner(self) -> int:
        """The total rounded half up to whole kroner."""
        return _round_half_up(_exact(self.total))


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Allocation:
    """Result of :func:`allocate`; adapters render it and compute nothing.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per district in input order. Columns: ``Distrikt``, ``Navn``
        (if given), ``Elever``, ``Elevtalsandel``, ``Behovsnøgle``,
        ``Blandet nøgle`` (mixed key in use), ``Fordelingsnøgle``, ``Gulv (kr.)``
        (floors in use), ``Budget (kr.)``, ``Budget efter elevtal (kr.)``,
        ``Forskel (kr.)``, ``Budget efter behov alene (kr.)`` (mixed key or floors
        in use), ``Nuværende budget (kr.)`` and ``Forskel til nuværende (kr.)``
        (current budget given). Shares are fractions; kroner are int64 (the two
        current-budget columns are float64 with NaN if a district has no
        current budget).
    phase_in : pandas.DataFrame or None
        With phase-in: ``Distrikt``, ``Navn`` (if given), ``Nuværende budget
        (kr.)`` (year 0), ``År 1 (kr.)`` … ``År N (kr.)`` (year N = ``Budget
        (kr.)``), one row per district and a last row ``I alt`` with the year
        totals.
    explanations : list of str
        One Danish sentence per option in force.
    options : BudgetOptions
        The options used.
    """

    table: pd.DataFrame
    phase_in: pd.DataFrame | None
    explanations: list[str]
    options: BudgetOptions


# --- Validation of the district table ----------------------------------------
def _district_code(value: Any) -> str:
    """Text code; whole-number floats from Excel (``3.0``) become ``"3"``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _read_districts(districts: pd.DataFrame, source: Source):
    if not isinstance(districts, pd.DataFrame) or len(districts) == 0:
        raise InputError("er tom – der skal være mindst ét distrikt med elevtal og behovsnøgle.",
                         source=source)
    if EXPECTED_SHARE not in districts.columns and LEGACY_EXPECTED_SHARE in districts.columns:
        districts = districts.rename(columns={LEGACY_EXPECTED_SHARE: EXPECTED_SHARE})
    required = [col.DISTRICT, PUPILS, EXPECTED_SHARE]
    missing = [c for c in required if c not in districts.columns]
    if missing:
        lower = {str(c).strip().lower(): c for c in districts.columns}
        hints = [f"'{lower[m.lower()]}' skal hedde '{m}'" for m in missing if m.lower() in lower]
        msg = f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)}."
        msg += (" " + "; ".join(hints) + ".") if hints else (
            " Tabellen skal have kolonnerne 'Distrikt', 'Elever' og 'Behovsnøgle'.")
        raise InputError(msg, source=source)

    raw = districts[col.DISTRICT]
    blank = raw.isna().to_numpy() | (raw.astype(object).map(lambda v: str(v).strip() == "").to_numpy())
    if blank.any():
        raise InputError("distriktskoden mangler – alle rækker skal have en kode.", source=source,
                         column=col.DISTRICT, rows=source.rows(np.flatnonzero(blank)))
    codes = [_district_code(v) for v in raw]
    seen: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        seen.setdefault(c, []).append(i)
    dups = {c: pos for c, pos in seen.items() if len(pos) > 1}
    if dups:
        rows = sorted(p for pos in dups.values() for p in pos)
        raise InputError(
            f"distriktskoden {format_names(sorted(dups))} står flere gange – hvert distrikt må kun stå én gang.",
            source=source, column=col.DISTRICT, rows=source.rows(rows),
        )

    def label(i: int) -> str:
        return codes[i]

    pupils = numeric_column(districts, PUPILS, source, allow_missing=True)
    bad = np.isnan(pupils)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError(f"elevtallet mangler for {format_names([label(i) for i in pos])} – skriv antal elever.",
                         source=source, column=PUPILS, rows=source.rows(pos))
    bad = pupils < 0
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError(
            f"negativt elevtal for {format_names([label(i) for i in pos])} – skriv 0 eller et positivt antal elever.",
            source=source, column=PUPILS, rows=source.rows(pos))
    if pupils.sum() <= 0:
        raise InputError("alle elevtal er 0 – mindst ét distrikt skal have elever.", source=source, column=PUPILS)

    share = numeric_column(districts, EXPECTED_SHARE, source, allow_missing=True)
    bad = np.isnan(share)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError(
            f"behovsnøglen mangler for {format_names([label(i) for i in pos])} – "
            "skriv nøglen som et decimaltal, fx 0,184.",
            source=source, column=EXPECTED_SHARE, rows=source.rows(pos))
    bad = share < 0
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError(
            f"negativ andel for {format_names([label(i) for i in pos])} – en andel skal være 0 eller mere.",
            source=source, column=EXPECTED_SHARE, rows=source.rows(pos))
    k_exact = [_exact(v) for v in share]
    k_sum = sum(k_exact, Fraction(0))
    if abs(k_sum - 1) > _exact(KEY_SUM_TOLERANCE):
        msg = f"andelene summer til {_num(float(k_sum))}, men skal summe til 1 (100 %)"
        if abs(k_sum - 100) <= 100 * _exact(KEY_SUM_TOLERANCE) * 100:
            msg += " – skriv andelene som brøker (0,184), ikke som procent (18,4)."
        else:
            msg += " – kontrollér at alle distrikter er med, og at andelene er skrevet rigtigt."
        raise InputError(msg, source=source, column=EXPECTED_SHARE)

    names = None
    if NAME in districts.columns:
        names = [None if _is_missing(v) else str(v).strip() for v in districts[NAME]]
    return codes, names, pupils, [_exact(v) for v in pupils], [k / k_sum for k in k_exact]


def _per_district(mapping: Mapping[str, float] | None, codes: list[str], column: str,
                  what: str) -> dict[str, int]:
    """Map a per-district option onto the table's codes, rounded to whole kroner."""
    if not mapping:
        return {}
    known = set(codes)
    given = {_district_code(k): v for k, v in mapping.items()}
    unknown = sorted(c for c in given if c not in known)
    if unknown:
        raise InputError(
            f"der er angivet {what} for {format_names(unknown)}, som ikke findes i tabellen med distrikter – "
            "ret distriktskoden eller fjern rækken.",
            column=column,
        )
    return {c: _round_half_up(_exact(v)) for c, v in given.items() if not _is_missing(v)}


# --- The allocation ----------------------------------------------------------
def _water_fill(key: list[Fraction], floors: list[int], total: int) -> tuple[list[Fraction], list[int]]:
    """Amounts ``max(floor, lambda * key)`` summing to ``total``, and the districts held at their floor."""
    n = len(key)
    fixed: set[int] = set()
    while True:
        free = [i for i in range(n) if i not in fixed]
        rest = total - sum(floors[i] for i in fixed)
        key_sum = sum((key[i] for i in free), Fraction(0))
        if key_sum == 0:
            # Only possible when nothing is left to split (the floors take it all).
            lam = Fraction(0)
        else:
            lam = Fraction(rest) / key_sum
        below = [i for i in free if lam * key[i] < floors[i]]
        if not below:
            break
        fixed.update(below)
    amounts = [Fraction(floors[i]) if i in fixed else lam * key[i] for i in range(n)]
    if sum(amounts) != total:  # pragma: no cover - would be a bug
        raise RuntimeError("floors: the amounts do not sum to the total")
    return amounts, sorted(fixed)


def allocate(districts: pd.DataFrame, options: BudgetOptions, source: Source | None = None) -> Allocation:
    """Split the total budget between districts by the allocation key.

    Parameters
    ----------
    districts : pandas.DataFrame
        One row per district: ``Distrikt`` (code), optional ``Navn``,
        ``Elever`` (pupil count) and ``Behovsnøgle`` (the need key, fractions
        summing to 1 within 1e-6; they are normalised to sum exactly to 1).
        Other columns are ignored.
    options : BudgetOptions
        Total, mixed key, floors, current budget and phase-in.
    source : Source, optional
        Where ``districts`` came from, for messages (row numbers as the user
        sees them). Default: "Tabellen med distrikter", first data row 2.

    Returns
    -------
    Allocation
        The district table with the budget, the phase-in table (if any) and
        one Danish explanation per option in force.

    Raises
    ------
    InputError
        Empty table, missing columns, blank or duplicate district codes,
        missing or negative pupil counts, missing or negative shares, shares
        not summing to 1, floors or current budgets for unknown districts,
        floors summing to more than the total, current budget missing for a
        district when phase-in is used.
    """
    if not isinstance(options, BudgetOptions):
        raise TypeError("options must be a BudgetOptions")
    source = source or DISTRICT_SOURCE
    codes, names, pupils, n_exact, need = _read_districts(districts, source)
    n = len(codes)
    rank = _ranks([_code_sort_key(c) for c in codes])

    def shown(indices) -> str:
        return format_names([names[i] if names and names[i] else codes[i] for i in indices])

    total = options.total_kroner
    n_sum = sum(n_exact, Fraction(0))
    head = [x / n_sum for x in n_exact]
    a = _exact(options.head_count_weight)
    key = need if a == 0 else [a * h + (1 - a) * k for h, k in zip(head, need)]

    floor_map = _per_district(options.floors, codes, FLOOR, "gulv")
    use_floors = any(v > 0 for v in floor_map.values())
    floors = [floor_map.get(c, 0) for c in codes]
    if sum(floors) > total:
        raise InputError(
            f"gulvene summer til {_kr(sum(floors))}, som er mere end det samlede budget på {_kr(total)} – "
            f"sænk gulvene eller hæv '{SETTING_TOTAL}'.",
            column=FLOOR,
        )
    lifted: list[int] = []
    if use_floors:
        amounts, lifted = _water_fill(key, floors, total)
        effective = [x / total for x in amounts] if total > 0 else key
    else:
        amounts, effective = [k * total for k in key], key
    protection = None
    if options.max_loss is not None and options.last_year:
        protection = protect_against_drops(codes, n_exact, amounts, floors, options.last_year,
                                           _exact(options.max_loss))
        unprotected = _hamilton(amounts, total, rank) if total > 0 else np.zeros(n, dtype=np.int64)
        amounts = protection.amounts
        effective = [x / total for x in amounts] if total > 0 else key
    budget = _hamilton(amounts, total, rank) if total > 0 else np.zeros(n, dtype=np.int64)
    by_head = _split(head, total, rank)

    out = pd.DataFrame({col.DISTRICT: pd.array(codes, dtype="str")})
    if names is not None:
        out[NAME] = pd.array(names, dtype="str")
    out[PUPILS] = pupils.astype(np.int64) if np.all(pupils == np.round(pupils)) else pupils
    out[HEAD_COUNT_SHARE] = np.array([float(x) for x in head])
    out[NEED_KEY] = np.array([float(x) for x in need])
    if a > 0:
        out[MIXED_KEY] = np.array([float(x) for x in key])
    out[KEY] = np.array([float(x) for x in effective])
    if use_floors:
        out[FLOOR] = np.asarray(floors, dtype=np.int64)
    out[BUDGET] = budget
    out[BUDGET_HEAD_COUNT] = by_head
    out[DIFFERENCE] = budget - by_head
    if a > 0 or use_floors:
        out[BUDGET_NEED_ONLY] = _split(need, total, rank)
    if protection is not None:
        out[BUDGET_UNPROTECTED] = unprotected
        out[PROTECTION] = budget - unprotected

    explanations = [
        f"Samlet budget: {_kr(total)} fordelt i hele kroner efter største brøkdels metode (Hamilton); "
        "ved lighed får distriktet med den laveste distriktskode kronen først."
    ]
    if a == 0:
        explanations.append("Fordelingsnøgle: behovsnøglen (forventet andel) alene.")
    elif a == 1:
        explanations.append("Fordelingsnøgle: elevtalsandelen alene (100 % efter elevtal).")
    else:
        explanations.append(f"Blandet nøgle: {_pct(a)} efter elevtal og {_pct(1 - a)} efter behov.")
    if use_floors:
        with_floor = sum(1 for f in floors if f > 0)
        line = f"Gulv: {with_floor} {'distrikt har' if with_floor == 1 else 'distrikter har'} et minimumsbudget"
        if lifted:
            line += (f"; {shown(lifted)} er løftet op til {'sit' if len(lifted) == 1 else 'deres'} gulv "
                     f"(i alt {_kr(sum(floors[i] for i in lifted))}), og resten er fordelt mellem de øvrige "
                     "distrikter efter nøglen.")
        else:
            line += ", men alle ligger over gulvet, så gulvene ændrer ikke fordelingen."
        explanations.append(line)

    if protection is not None:
        explanations.append(protection.explanation(shown))

    phase_in = None
    current_map = _per_district(options.current, codes, CURRENT, "nuværende budget")
    years = int(options.phase_in_years)
    if options.current is not None or years > 0:
        lacking = [i for i, c in enumerate(codes) if c not in current_map]
        if years > 0 and lacking:
            where = "for alle distrikter" if len(lacking) == n else f"for {shown(lacking)}"
            raise InputError(
                f"indfasning over {years} år kræver det nuværende budget for alle distrikter, men det mangler "
                f"{where} – udfyld '{CURRENT}' eller sæt '{SETTING_PHASE_IN_YEARS}' til 0.",
                column=CURRENT,
            )
        if lacking:
            cur = np.array([float(current_map[c]) if c in current_map else np.nan for c in codes])
            out[CURRENT] = cur
            out[DIFFERENCE_CURRENT] = budget - cur
        else:
            cur = np.array([current_map[c] for c in codes], dtype=np.int64)
            out[CURRENT] = cur
            out[DIFFERENCE_CURRENT] = budget - cur
        if options.current is not None:
            line = f"Nuværende budget: i alt {_kr(sum(current_map.values()))}"
            line += f"; '{DIFFERENCE_CURRENT}' viser ændringen for hvert distrikt"
            if lacking:
                line += f" (mangler for {shown(lacking)})"
            explanations.append(line + ".")

    if years > 0:
        current = [current_map[c] for c in codes]
        c_total = sum(current)
        frame = {col.DISTRICT: codes + [TOTAL_ROW]}
        if names is not None:
            frame[NAME] = names + [None]
        frame[CURRENT] = current + [c_total]
        for t in range(1, years + 1):
            step = Fraction(t, years)
            rows = [c + (int(b) - c) * step for c, b in zip(current, budget)]
            year_total = _round_half_up(sum(rows, Fraction(0)))
            # The rows already sum to the interpolated total, so "rescaling to the year's
            # total" only absorbs the rounding of that total: round the rows themselves.
            amounts_t = _hamilton(rows, year_total, rank)
            frame[year_column(t)] = [int(x) for x in amounts_t] + [year_total]
        phase_in = pd.DataFrame(frame)
        phase_in[col.DISTRICT] = phase_in[col.DISTRICT].astype("str")
        if names is not None:
            phase_in[NAME] = phase_in[NAME].astype("str")
        for c in [CURRENT] + [year_column(t) for t in range(1, years + 1)]:
            phase_in[c] = phase_in[c].astype(np.int64)
        explanations.append(
            f"Indfasning over {years} år: år t får nuværende budget + (nyt budget − nuværende budget) · t/{years}; "
            f"årets samlede budget går lineært fra {_kr(c_total)} til {_kr(total)}, og hvert år er afrundet "
            "til hele kroner."
        )

    return Allocation(table=out, phase_in=phase_in, explanations=explanations, options=options)


@dataclass(frozen=True)
class Protection:
    """The result of :func:`protect_against_drops`: the amounts after protection and who was lifted."""

    amounts: list[Fraction]
    lifted: list[int]
    cost: Fraction
    gains: Fraction
    scale: Fraction
    max_loss: Fraction

    def explanation(self, shown) -> str:
        loss = _pct(-self.max_loss)
        if not self.lifted:
            return (f"Beskyttelse mod store fald: intet distrikt får mere end {loss} mindre pr. elev end sidste år; "
                    "ingen var under grænsen, så beskyttelsen ændrer ikke fordelingen.")
        return (f"Beskyttelse mod store fald: intet distrikt får mere end {loss} mindre pr. elev end sidste år; "
                f"{shown(self.lifted)} er løftet op til grænsen (i alt {_kr(round(float(self.cost)))}), betalt ved "
                f"at skære {_pct(self.scale)} af de øvrige distrikters fremgang.")


def protect_against_drops(codes: Sequence[str], pupils: Sequence[Fraction], amounts: Sequence[Fraction],
                          floors: Sequence[int], last_year: Mapping[str, tuple[float, float]],
                          max_loss: Fraction) -> Protection:
    """Lift districts that would lose more than ``max_loss`` per pupil against last year; scale down gains.

    A minimum funding guarantee as in England's school funding and Kerteminde's model. For a district with last
    year's pupils ``n0 > 0`` and budget ``B0``, its reference is last year's amount per pupil times this year's
    pupils, ``R = B0/n0 · n``, and its guarantee ``G = (1 + g)·R`` (``g = max_loss ≤ 0``). A district below ``G``
    is lifted to ``G``; the cost ``D`` is paid by the districts that gain against their reference: each gives the
    same share ``θ = D/S`` of its gain ``max(0, x − max(R, floor))`` (``S`` = all gains), so no payer falls below
    its reference or its floor. One step, no iteration; the total is unchanged. Districts without last year's
    figures neither get nor pay. Raises :class:`InputError` when the gains cannot pay for the protection.
    """
    n = len(codes)
    guarantee: list[Fraction | None] = [None] * n
    reference: list[Fraction | None] = [None] * n
    for i, code in enumerate(codes):
        got = last_year.get(code)
        if got is None:
            continue
        n0, b0 = got
        if n0 is None or b0 is None or _is_missing(n0) or _is_missing(b0) or n0 <= 0:
            continue
        reference[i] = _exact(b0) / _exact(n0) * pupils[i]
        guarantee[i] = (1 + max_loss) * reference[i]
    deficit = [max(Fraction(0), g - x) if g is not None else Fraction(0) for g, x in zip(guarantee, amounts)]
    gain = [max(Fraction(0), x - max(r, Fraction(f))) if r is not None else Fraction(0)
            for r, x, f in zip(reference, amounts, floors)]
    cost, gains = sum(deficit, Fraction(0)), sum(gain, Fraction(0))
    if cost > gains:
        raise InputError(
            f"beskyttelsen mod store fald koster {_kr(round(float(cost)))}, men distrikterne med fremgang har kun "
            f"{_kr(round(float(gains)))} at give af – sænk grænsen i '{SETTING_MAX_LOSS}' (fx fra -2 % til -5 %) "
            "eller lad den stå tom.", source=_setting(SETTING_MAX_LOSS))
    scale = cost / gains if gains else Fraction(0)
    new = [x + d - scale * g for x, d, g in zip(amounts, deficit, gain)]
    if sum(new) != sum(amounts):  # pragma: no cover - would be a bug
        raise RuntimeError("protection: the amounts no longer sum to the total")
    return Protection(new, [i for i, d in enumerate(deficit) if d > 0], cost, gains, scale, max_loss)


def tie_break_ranks(codes: Sequence[Any]) -> list[int]:
    """1-based place of each district code in the tie-break order of :func:`allocate`.

    Live Excel formulas use this as their tie-breaker, so they round exactly
    like Python does.
    """
    return [r + 1 for r in _ranks([_code_sort_key(_district_code(c)) for c in codes])]


def options_from_districts(districts: pd.DataFrame | None, *, total: float, head_count_weight: float = 0.0,
                           phase_in_years: int = 0, source: Source | None = None,
                           last_year: Mapping[str, tuple[float, float]] | None = None,
                           max_loss: float | None = None) -> BudgetOptions:
    """Budget options with floors and current budgets read from a district table.

    ``districts`` is the workbook's ``tblDistrikter`` (or the CLI's ``--distrikter``
    file): ``Distrikt`` and optionally ``Gulv (kr.)`` and ``Nuværende budget (kr.)``.
    Blank cells mean "none given"; anything else must be an amount in kroner.
    """
    source = source or DISTRICT_SOURCE
    problems = Problems()

    def column(name):
        if districts is None or name not in districts.columns:
            return None
        codes = [_district_code(c) for c in districts["Distrikt"]]
        values = {}
        point = uses_decimal_point(districts[name])   # the column's convention: "36.600" never read as 36,6
        for pos, (code, v) in enumerate(zip(codes, districts[name])):
            if is_excel_error(v):
                problems.add(InputError(f"fejlværdien '{str(v).strip()}' – ret formlen eller skriv et beløb i "
                                        "kroner (eller lad cellen være tom).", source=source, column=name,
                                        rows=source.rows([pos]), kind="excel_error"))
                continue
            try:
                amount = cell_number(v, point_column=point)
            except NumberError as exc:
                problems.add(InputError(f"skal være et beløb i kroner: {exc}.", source=source, column=name,
                                        rows=source.rows([pos])))
                continue
            if amount is None:
                continue
            if amount < 0 or amount > MAX_AMOUNT:
                what = "negativt" if amount < 0 else f"urimeligt stort (over {_kr(MAX_AMOUNT)})"
                problems.add(InputError(f"beløbet {_num(amount)} kr. er {what} – skriv 0 eller et positivt beløb i "
                                        "kroner.", source=source, column=name, rows=source.rows([pos])))
                continue
            values[code] = amount
        return values or None

    floors, current = column(FLOOR), column(CURRENT)
    options = problems.attempt(BudgetOptions, total=total, head_count_weight=head_count_weight, floors=floors,
                               current=current, phase_in_years=phase_in_years, last_year=last_year,
                               max_loss=max_loss)
    problems.raise_if_any()
    return options
