"""Validate the absence workbook's input tables, once, at the boundary.

:func:`validate_inputs` takes raw tables (as read from the workbook, one
DataFrame per domain, blank rows allowed) and returns clean, typed tables. Every
problem is an :class:`~tildeling.errors.InputError` whose Danish message names
the sheet, the table, the column and the rows as the user sees them.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError, Source, format_names
from ..model.design import check_required_columns, numeric_column
from . import contract as c
from .rules import Condition, parse_condition

__all__ = ["Inputs", "validate_inputs", "source_for"]


@dataclass
class Inputs:
    """Clean input tables (contract column names, typed) plus configuration."""

    elever: pd.DataFrame
    fravaer: pd.DataFrame
    skoler: pd.DataFrame
    klasser: pd.DataFrame
    social: pd.DataFrame
    familie: pd.DataFrame
    sprog: pd.DataFrame
    hypoteser: pd.DataFrame
    segmenter: pd.DataFrame
    conditions: list[Condition] = field(default_factory=list)
    settings: dict = field(default_factory=lambda: dict(c.DEFAULT_SETTINGS))


def source_for(domain: c.Domain, first_row: int = 2) -> Source:
    return Source(f"Arket '{domain.sheet}' (tabellen {domain.table})", first_row)


def _map_unique(series: pd.Series, func) -> list:
    """``[func(v) for v in series]``, calling ``func`` once per distinct value."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=False)
    mapped = [func(u) for u in uniques]
    return [mapped[k] for k in codes]


def _is_blank(v) -> bool:
    return (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and v.strip() == ""))


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows where every cell is empty; keep the original positions as the index."""
    frame = frame.reset_index(drop=True)
    if frame.empty or frame.shape[1] == 0:
        return frame
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= np.asarray(_map_unique(frame[col], _is_blank), dtype=bool)
    return frame[~blank]


def _rows(src: Source, frame: pd.DataFrame, mask) -> list[int]:
    return src.rows(frame.index.to_numpy()[np.asarray(mask, dtype=bool)])


def _num(frame, name, src, *, allow_missing=False) -> np.ndarray:
    """numeric_column, but with row numbers that survive dropped blank rows."""
    try:
        return numeric_column(frame.reset_index(drop=True), name, Source(src.label, 0), allow_missing=allow_missing)
    except InputError as exc:
        rows = [int(frame.index[r]) + src.first_row for r in exc.rows]
        raise InputError(exc.message, source=src, column=name, rows=rows) from None


def _text(frame, name, src, *, required=True) -> pd.Series:
    def conv(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v).strip()
        return s or None

    s = pd.Series(_map_unique(frame[name], conv), index=frame.index, dtype=object)
    if required and s.isna().any():
        raise InputError("tom celle – skriv en værdi.", source=src, column=name, rows=_rows(src, frame, s.isna()))
    return s.astype(object)


def _check_unique(frame, cols, src, what) -> None:
    dup = frame.duplicated(subset=cols, keep=False).to_numpy()
    if dup.any():
        raise InputError(f"{what} står mere end én gang – hver skal stå én gang.", source=src, column=cols[-1],
                         rows=_rows(src, frame, dup))


def _range(values, frame, name, src, lo=None, hi=None, msg="") -> None:
    bad = np.zeros(len(values), dtype=bool)
    if lo is not None:
        bad |= values < lo
    if hi is not None:
        bad |= values > hi
    bad &= ~np.isnan(values)
    if bad.any():
        raise InputError(msg, source=src, column=name, rows=_rows(src, frame, bad))


def _binary(frame, name, src, *, allow_missing=False) -> np.ndarray:
    v = _num(frame, name, src, allow_missing=allow_missing)
    bad = ~np.isin(v, (0.0, 1.0)) & ~np.isnan(v)
    if bad.any():
        raise InputError("skal være 0 (nej) eller 1 (ja).", source=src, column=name, rows=_rows(src, frame, bad))
    return v


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T].*)?$")


def _month(v):
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)) and not pd.isna(v):
        return pd.Period(pd.Timestamp(v), freq="M")
    if isinstance(v, str):
        m = _MONTH_RE.match(v.strip())
        if m and 1 <= int(m.group(2)) <= 12:
            return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")
    return None


def _months(frame, name, src) -> pd.Series:
    out = _map_unique(frame[name], _month)
    bad = [p is None for p in out]
    if any(bad):
        raise InputError("ikke en måned – skriv måneden som ÅÅÅÅ-MM (fx 2024-09) eller som en dato.", source=src,
                         column=name, rows=_rows(src, frame, bad))
    return pd.Series(out, index=frame.index, dtype="period[M]")


def _dates(frame, name, src) -> pd.Series:
    out, bad = [], []
    for v in frame[name].astype(object):
        t = None
        if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)) and not pd.isna(v):
            t = pd.Timestamp(v)
        elif isinstance(v, str):
            try:
                t = pd.Timestamp(_dt.date.fromisoformat(v.strip()[:10]))
            except ValueError:
                t = None
        bad.append(t is None)
        out.append(t)
    if any(bad):
        raise InputError("ikke en dato – skriv datoen som en Excel-dato eller ÅÅÅÅ-MM-DD.", source=src, column=name,
                         rows=_rows(src, frame, bad))
    return pd.Series(out, index=frame.index, dtype="datetime64[ns]")


def _prepare(raw: dict, domain: c.Domain, first_rows: dict | None) -> tuple[pd.DataFrame, Source]:
    src = source_for(domain, (first_rows or {}).get(domain.key, 2))
    frame = raw.get(domain.key)
    if frame is None:
        raise InputError(f"{src.label} mangler. Opret den med 'tildeling new fravaer' og kopiér data ind.")
    frame = pd.DataFrame(frame)
    frame.columns = [str(col).strip() for col in frame.columns]
    check_required_columns(frame, domain.columns, src)
    return _drop_blank_rows(frame), src


def _require_rows(frame, src) -> None:
    if frame.empty:
        raise InputError("tabellen er tom – kopiér data ind i tabellen (overskrifterne skal blive stående).",
                         source=src)


def validate_inputs(raw: dict[str, pd.DataFrame], first_rows: dict[str, int] | None = None) -> Inputs:
    """Validate the raw tables (keys: :attr:`contract.Domain.key`) and return typed tables.

    Parameters
    ----------
    raw : dict of str to DataFrame
        One table per input domain, with the headers as columns.
    first_rows : dict of str to int, optional
        Sheet row number of each table's first data row (default 2), for messages.

    Raises
    ------
    InputError
        With the sheet, column and rows of the first problem found.
    """
    # Pupils (the school domain is the base of the linking)
    f, src = _prepare(raw, c.ELEVER, first_rows)
    _require_rows(f, src)
    grade = _num(f, c.GRADE, src)
    _range(grade, f, c.GRADE, src, 0, 10, "klassetrinnet skal være et helt tal fra 0 til 10.")
    if not np.all(grade == np.round(grade)):
        raise InputError("klassetrinnet skal være et helt tal fra 0 til 10.", source=src, column=c.GRADE,
                         rows=_rows(src, f, grade != np.round(grade)))
    changes = _num(f, c.CHANGES, src)
    _range(changes, f, c.CHANGES, src, 0, None, "antal skoleskift kan ikke være negativt.")
    elever = pd.DataFrame({c.PUPIL: _text(f, c.PUPIL, src), c.SCHOOL: _text(f, c.SCHOOL, src),
                           c.CLASS: _text(f, c.CLASS, src), c.GRADE: grade.astype(int), c.CHANGES: changes},
                          index=f.index)
    _check_unique(elever, [c.PUPIL], src, "Eleven")

    # Absence per month
    f, src = _prepare(raw, c.FRAVAER, first_rows)
    _require_rows(f, src)
    days = _num(f, c.SCHOOL_DAYS, src)
    _range(days, f, c.SCHOOL_DAYS, src, 1e-9, None, "antal skoledage skal være større end 0.")
    parts = {}
    for name in (c.ILLNESS, c.LAWFUL, c.UNLAWFUL):
        parts[name] = _num(f, name, src)
        _range(parts[name], f, name, src, 0, None, "antal fraværsdage kan ikke være negativt.")
    total = parts[c.ILLNESS] + parts[c.LAWFUL] + parts[c.UNLAWFUL]
    over = total > days + 1e-9
    if over.any():
        raise InputError("fraværsdagene (syg + lovligt + ulovligt) er flere end skoledagene – ret tallene.",
                         source=src, column=c.SCHOOL_DAYS, rows=_rows(src, f, over))
    fravaer = pd.DataFrame({c.PUPIL: _text(f, c.PUPIL, src), c.MONTH: _months(f, c.MONTH, src),
                            c.SCHOOL_DAYS: days, **parts}, index=f.index)
    _check_unique(fravaer, [c.PUPIL, c.MONTH], src, "Eleven og måneden")

    # School facts
    f, src = _prepare(raw, c.SKOLER, first_rows)
    size = _num(f, c.SCHOOL_SIZE, src)
    _range(size, f, c.SCHOOL_SIZE, src, 1, None, "skolestørrelsen skal være mindst 1 elev.")
    skoler = pd.DataFrame({c.SCHOOL: _text(f, c.SCHOOL, src), c.SCHOOL_SIZE: size}, index=f.index)
    _check_unique(skoler, [c.SCHOOL], src, "Skolen")

    f, src = _prepare(raw, c.KLASSER, first_rows)
    size = _num(f, c.CLASS_SIZE, src)
    _range(size, f, c.CLASS_SIZE, src, 1, None, "klassestørrelsen skal være mindst 1 elev.")
    klasser = pd.DataFrame({c.SCHOOL: _text(f, c.SCHOOL, src), c.CLASS: _text(f, c.CLASS, src),
                            c.CLASS_SIZE: size}, index=f.index)
    _check_unique(klasser, [c.SCHOOL, c.CLASS], src, "Skolen og klassen")

    # Social events
    f, src = _prepare(raw, c.SOCIAL, first_rows)
    kind = _text(f, c.EVENT_TYPE, src)
    bad = ~kind.isin(c.EVENT_TYPES).to_numpy()
    if bad.any():
        seen = sorted(set(kind[bad]))
        raise InputError(f"ukendt type {format_names(seen)}. Tilladte værdier: {format_names(list(c.EVENT_TYPES))}.",
                         source=src, column=c.EVENT_TYPE, rows=_rows(src, f, bad))
    social = pd.DataFrame({c.PUPIL: _text(f, c.PUPIL, src), c.EVENT_TYPE: kind,
                           c.EVENT_DATE: _dates(f, c.EVENT_DATE, src) if len(f) else pd.Series(dtype="datetime64[ns]")},
                          index=f.index)

    # Family and employment
    f, src = _prepare(raw, c.FAMILIE, first_rows)
    familie = pd.DataFrame({c.PUPIL: _text(f, c.PUPIL, src), c.TOGETHER: _binary(f, c.TOGETHER, src),
                            c.UNKNOWN_PARENT: _binary(f, c.UNKNOWN_PARENT, src),
                            c.MOTHER_EMPLOYED: _binary(f, c.MOTHER_EMPLOYED, src, allow_missing=True),
                            c.FATHER_EMPLOYED: _binary(f, c.FATHER_EMPLOYED, src, allow_missing=True)},
                           index=f.index)
    _check_unique(familie, [c.PUPIL], src, "Eleven")

    f, src = _prepare(raw, c.SPROG, first_rows)
    sprog = pd.DataFrame({c.PUPIL: _text(f, c.PUPIL, src), c.SECOND_LANGUAGE: _binary(f, c.SECOND_LANGUAGE, src)},
                         index=f.index)
    _check_unique(sprog, [c.PUPIL], src, "Eleven")

    # Hypotheses
    f, src = _prepare(raw, c.HYPOTESER, first_rows)
    text = _text(f, c.HYP_TEXT, src)
    factor = _text(f, c.HYP_FACTOR, src)
    bad = ~factor.isin(c.FACTOR_NAMES).to_numpy()
    if bad.any():
        seen = sorted(set(factor[bad]))
        raise InputError(f"ukendt faktor {format_names(seen)}. Vælg en af: {format_names(list(c.FACTOR_NAMES), 20)}.",
                         source=src, column=c.HYP_FACTOR, rows=_rows(src, f, bad))
    direction = _text(f, c.HYP_DIRECTION, src)
    bad = ~direction.isin(c.DIRECTIONS).to_numpy()
    if bad.any():
        raise InputError(f"ukendt retning. Skriv {format_names(list(c.DIRECTIONS))}.", source=src,
                         column=c.HYP_DIRECTION, rows=_rows(src, f, bad))
    hypoteser = pd.DataFrame({c.HYP_TEXT: text, c.HYP_FACTOR: factor, c.HYP_DIRECTION: direction}, index=f.index)

    # Segmentation rules
    f, src = _prepare(raw, c.SEGMENTER, first_rows)
    category = _text(f, c.SEG_CATEGORY, src)
    prio = _num(f, c.SEG_PRIORITY, src)
    if not np.all(prio == np.round(prio)):
        raise InputError("prioriteten skal være et helt tal (1 = vigtigst).", source=src, column=c.SEG_PRIORITY,
                         rows=_rows(src, f, prio != np.round(prio)))
    cond_text = _text(f, c.SEG_CONDITION, src)
    conditions = []
    for pos, expr in zip(f.index, cond_text):
        try:
            conditions.append(parse_condition(expr, allowed=CONDITION_COLUMNS))
        except InputError as exc:
            raise InputError(exc.message, source=src, column=c.SEG_CONDITION,
                             rows=[int(pos) + src.first_row]) from None
    segmenter = pd.DataFrame({c.SEG_CATEGORY: category, c.SEG_CONDITION: cond_text, c.SEG_PRIORITY: prio.astype(int)},
                             index=f.index)

    # Settings (optional table)
    settings = dict(c.DEFAULT_SETTINGS)
    if c.INDSTILLINGER.key in raw:
        f, src = _prepare(raw, c.INDSTILLINGER, first_rows)
        keys = _text(f, c.SETTING, src)
        bad = ~keys.isin(list(c.DEFAULT_SETTINGS)).to_numpy()
        if bad.any():
            raise InputError(f"ukendt indstilling. Kendte: {format_names(list(c.DEFAULT_SETTINGS))}.", source=src,
                             column=c.SETTING, rows=_rows(src, f, bad))
        vals = _num(f, c.VALUE, src)
        for k, v, pos in zip(keys, vals, f.index):
            if k == c.SET_MIN_CELL:
                if not (3 <= v <= 10 and float(v).is_integer()):
                    raise InputError(f"'{k}' skal være et helt tal fra 3 (Danmarks Statistiks minimum) til 10.",
                                     source=src, column=c.VALUE, rows=[int(pos) + src.first_row])
                settings[k] = int(v)
                continue
            if v < 0 or (k == c.SET_CHARTS and v > 10):
                raise InputError("værdien skal være et tal fra 0 (og højst 10 diagrammer).", source=src,
                                 column=c.VALUE, rows=[int(pos) + src.first_row])
            settings[k] = int(v) if k == c.SET_CHARTS else float(v)

    return Inputs(elever=elever.reset_index(drop=True), fravaer=fravaer.reset_index(drop=True),
                  skoler=skoler.reset_index(drop=True), klasser=klasser.reset_index(drop=True),
                  social=social.reset_index(drop=True), familie=familie.reset_index(drop=True),
                  sprog=sprog.reset_index(drop=True), hypoteser=hypoteser.reset_index(drop=True),
                  segmenter=segmenter.reset_index(drop=True), conditions=conditions, settings=settings)


#: Columns of the linked data that segmentation conditions may use.
CONDITION_COLUMNS = tuple(dict.fromkeys((
    c.SCHOOL, c.CLASS, c.GRADE, c.CHANGES, c.SCHOOL_SIZE, c.CLASS_SIZE, c.SCHOOL_DAYS, c.ABSENCE_DAYS,
    c.ABSENCE_PCT, c.ILLNESS_PCT, c.LAWFUL_PCT, c.UNLAWFUL_PCT_COL, c.N_NOTIFICATIONS, c.N_PPR, c.N_CASES,
    c.TOGETHER, c.UNKNOWN_PARENT, c.MOTHER_EMPLOYED, c.FATHER_EMPLOYED, c.SECOND_LANGUAGE,
) + c.FACTOR_NAMES))
