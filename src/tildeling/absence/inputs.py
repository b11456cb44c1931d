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

from ..errors import InputError, Problems, Source, format_names, is_excel_error
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
    warnings: list = field(default_factory=list)


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


def _num(frame, name, src, *, allow_missing=False, allow_bool=False) -> np.ndarray:
    """numeric_column, but with row numbers that survive dropped blank rows."""
    try:
        return numeric_column(frame.reset_index(drop=True), name, Source(src.label, 0), allow_missing=allow_missing,
                              allow_bool=allow_bool)
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
    v = _num(frame, name, src, allow_missing=allow_missing, allow_bool=True)
    bad = ~np.isin(v, (0.0, 1.0)) & ~np.isnan(v)
    if bad.any():
        raise InputError("skal være 0 (nej) eller 1 (ja).", source=src, column=name, rows=_rows(src, frame, bad))
    return v


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T].*)?$")
_MONTH_DK = re.compile(r"^(\d{1,2})[-./](\d{4})$")
_DATE_DK = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")

#: Dates outside these years are typing errors (and would not fit pandas' timestamps).
FIRST_YEAR, LAST_YEAR = 1900, 2100
#: Excel serial numbers read as dates in a date column: 1 January 1990 … 31 December 2100.
_SERIAL_MIN, _SERIAL_MAX = 32874, 73415
_EXCEL_EPOCH = _dt.date(1899, 12, 30)

#: The largest priority of a segmentation rule (a whole number; 1 = the most important).
MAX_PRIORITY = 1_000_000


def _in_range(d) -> bool:
    return FIRST_YEAR <= d.year <= LAST_YEAR


def _as_date(v):
    """A date (datetime.date) from a cell value, or a Danish reason (str) why it is not one."""
    if _is_blank(v):
        return "tom celle"
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)) and not pd.isna(v):
        d = v.date() if isinstance(v, (pd.Timestamp, _dt.datetime)) else v
    elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        x = float(v)
        if not (np.isfinite(x) and _SERIAL_MIN <= x <= _SERIAL_MAX):
            return "et tal, ikke en dato"
        d = _EXCEL_EPOCH + _dt.timedelta(days=int(x))
    elif isinstance(v, str):
        t = v.strip()
        m = _DATE_DK.match(t)
        try:
            if m:
                d = _dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            else:
                d = _dt.date.fromisoformat(t[:10])
        except ValueError:
            return None
    else:
        return None
    if not _in_range(d):
        return f"året {d.year} ligger uden for {FIRST_YEAR}–{LAST_YEAR}"
    return d


def _month(v):
    if isinstance(v, str):
        t = v.strip()
        m = _MONTH_RE.match(t)
        if m and 1 <= int(m.group(2)) <= 12:
            year, month = int(m.group(1)), int(m.group(2))
        else:
            m = _MONTH_DK.match(t)
            if not (m and 1 <= int(m.group(1)) <= 12):
                return None
            year, month = int(m.group(2)), int(m.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return f"året {year} ligger uden for {FIRST_YEAR}–{LAST_YEAR}"
        return pd.Period(year=year, month=month, freq="M")
    d = _as_date(v)
    if isinstance(d, _dt.date):
        return pd.Period(year=d.year, month=d.month, freq="M")
    return d


def _reasons(values: list, what: str, fix: str, src, frame, name) -> None:
    bad = [not isinstance(p, (pd.Period, _dt.date)) for p in values]
    if any(bad):
        why = sorted({p for p, b in zip(values, bad) if b and isinstance(p, str)})
        detail = f" ({'; '.join(why)})" if why else ""
        raise InputError(f"ikke {what}{detail} – {fix}", source=src, column=name, rows=_rows(src, frame, bad))


def _months(frame, name, src) -> pd.Series:
    out = _map_unique(frame[name], _month)
    _reasons(out, "en måned", "skriv måneden som ÅÅÅÅ-MM (fx 2024-09) eller som en dato.", src, frame, name)
    return pd.Series(out, index=frame.index, dtype="period[M]")


def _dates(frame, name, src) -> pd.Series:
    out = _map_unique(frame[name], _as_date)
    _reasons(out, "en dato", "skriv datoen som en Excel-dato, ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ.", src, frame, name)
    return pd.Series(pd.to_datetime(pd.Series(out, dtype=object)).to_numpy(), index=frame.index,
                     dtype="datetime64[ns]")


def _excel_errors(frame: pd.DataFrame, src: Source, problems: Problems) -> None:
    """Every cell holding an Excel error value (any column), one problem per column."""
    for name in frame.columns:
        s = frame[name]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        bad = np.asarray(_map_unique(s, is_excel_error), dtype=bool)
        if bad.any():
            texts = sorted({str(v).strip() for v in s[bad]})
            problems.add(InputError(f"fejlværdien {format_names(texts)} – ret formlen eller skriv en værdi.",
                                    source=src, column=name, rows=_rows(src, frame, bad), kind="excel_error"))


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


def _checked(problems: Problems, fn, *args, **kwargs):
    return problems.attempt(fn, *args, **kwargs)


def _whole_range(values, frame, name, src, lo, hi, msg) -> np.ndarray:
    bad = ~np.isnan(values) & ((values < lo) | (values > hi) | (values != np.round(values)))
    if bad.any():
        raise InputError(msg, source=src, column=name, rows=_rows(src, frame, bad))
    return values


def _nonnegative(frame, name, src, msg) -> np.ndarray:
    v = _num(frame, name, src)
    _range(v, frame, name, src, 0, None, msg)
    return v


def validate_inputs(raw: dict[str, pd.DataFrame], first_rows: dict[str, int] | None = None, *,
                    problems=None) -> Inputs:
    """Validate the raw tables (keys: :attr:`contract.Domain.key`) and return typed tables.

    Parameters
    ----------
    raw : dict of str to DataFrame
        One table per input domain, with the headers as columns.
    first_rows : dict of str to int, optional
        Sheet row number of each table's first data row (default 2), for messages.
    problems : list of InputError, optional
        Problems the reader already found (Excel error values), reported with these.

    Raises
    ------
    InputError
        With the sheet, column and rows of every problem found (up to
        :data:`~tildeling.errors.MAX_PROBLEMS`, as one :class:`~tildeling.errors.InputErrors`).
    """
    found = Problems()
    found.extend(problems or [])
    P = found.attempt

    def prepare(domain):
        prepared = P(_prepare, raw, domain, first_rows)
        if prepared is not None:
            _excel_errors(prepared[0], prepared[1], found)
        return prepared

    # Pupils (the school domain is the base of the linking)
    elever = None
    prepared = prepare(c.ELEVER)
    if prepared is not None:
        f, src = prepared
        P(_require_rows, f, src)
        grade = P(lambda: _whole_range(_num(f, c.GRADE, src), f, c.GRADE, src, 0, 10,
                                       "klassetrinnet skal være et helt tal fra 0 til 10."))
        changes = P(_nonnegative, f, c.CHANGES, src, "antal skoleskift kan ikke være negativt.")
        cols = {c.PUPIL: P(_text, f, c.PUPIL, src), c.SCHOOL: P(_text, f, c.SCHOOL, src),
                c.CLASS: P(_text, f, c.CLASS, src)}
        if grade is not None and changes is not None and all(v is not None for v in cols.values()):
            elever = pd.DataFrame({**cols, c.GRADE: grade.astype(int), c.CHANGES: changes}, index=f.index)
            elever = elever[[c.PUPIL, c.SCHOOL, c.CLASS, c.GRADE, c.CHANGES]]
            P(_check_unique, elever, [c.PUPIL], src, "Eleven")

    # Absence per month
    fravaer = None
    prepared = prepare(c.FRAVAER)
    if prepared is not None:
        f, src = prepared
        P(_require_rows, f, src)
        days = P(lambda: _range_ret(_num(f, c.SCHOOL_DAYS, src), f, c.SCHOOL_DAYS, src, 1e-9, None,
                                    "antal skoledage skal være større end 0."))
        parts = {name: P(_nonnegative, f, name, src, "antal fraværsdage kan ikke være negativt.")
                 for name in (c.ILLNESS, c.LAWFUL, c.UNLAWFUL)}
        pupil, month = P(_text, f, c.PUPIL, src), P(_months, f, c.MONTH, src)
        if days is not None and all(v is not None for v in parts.values()):
            total = parts[c.ILLNESS] + parts[c.LAWFUL] + parts[c.UNLAWFUL]
            over = total > days + 1e-9
            if over.any():
                found.add(InputError("fraværsdagene (syg + lovligt + ulovligt) er flere end skoledagene – ret "
                                     "tallene.", source=src, column=c.SCHOOL_DAYS, rows=_rows(src, f, over)))
            elif pupil is not None and month is not None:
                fravaer = pd.DataFrame({c.PUPIL: pupil, c.MONTH: month, c.SCHOOL_DAYS: days, **parts},
                                       index=f.index)
                P(_check_unique, fravaer, [c.PUPIL, c.MONTH], src, "Eleven og måneden")

    # School facts
    skoler = None
    prepared = prepare(c.SKOLER)
    if prepared is not None:
        f, src = prepared
        size = P(lambda: _range_ret(_num(f, c.SCHOOL_SIZE, src), f, c.SCHOOL_SIZE, src, 1, None,
                                    "skolestørrelsen skal være mindst 1 elev."))
        school = P(_text, f, c.SCHOOL, src)
        if size is not None and school is not None:
            skoler = pd.DataFrame({c.SCHOOL: school, c.SCHOOL_SIZE: size}, index=f.index)
            P(_check_unique, skoler, [c.SCHOOL], src, "Skolen")

    klasser = None
    prepared = prepare(c.KLASSER)
    if prepared is not None:
        f, src = prepared
        size = P(lambda: _range_ret(_num(f, c.CLASS_SIZE, src), f, c.CLASS_SIZE, src, 1, None,
                                    "klassestørrelsen skal være mindst 1 elev."))
        school, klass = P(_text, f, c.SCHOOL, src), P(_text, f, c.CLASS, src)
        if size is not None and school is not None and klass is not None:
            klasser = pd.DataFrame({c.SCHOOL: school, c.CLASS: klass, c.CLASS_SIZE: size}, index=f.index)
            P(_check_unique, klasser, [c.SCHOOL, c.CLASS], src, "Skolen og klassen")

    # Social events
    social = None
    prepared = prepare(c.SOCIAL)
    if prepared is not None:
        f, src = prepared
        kind = P(_text, f, c.EVENT_TYPE, src)
        if kind is not None:
            bad = ~kind.isin(c.EVENT_TYPES).to_numpy()
            if bad.any():
                seen = sorted(set(kind[bad]))
                found.add(InputError(f"ukendt type {format_names(seen)}. Tilladte værdier: "
                                     f"{format_names(list(c.EVENT_TYPES))}.", source=src, column=c.EVENT_TYPE,
                                     rows=_rows(src, f, bad)))
                kind = None
        pupil = P(_text, f, c.PUPIL, src)
        when = P(_dates, f, c.EVENT_DATE, src) if len(f) else pd.Series(dtype="datetime64[ns]")
        if kind is not None and pupil is not None and when is not None:
            social = pd.DataFrame({c.PUPIL: pupil, c.EVENT_TYPE: kind, c.EVENT_DATE: when}, index=f.index)

    # Family and employment
    familie = None
    prepared = prepare(c.FAMILIE)
    if prepared is not None:
        f, src = prepared
        cols = {c.PUPIL: P(_text, f, c.PUPIL, src), c.TOGETHER: P(_binary, f, c.TOGETHER, src),
                c.UNKNOWN_PARENT: P(_binary, f, c.UNKNOWN_PARENT, src),
                c.MOTHER_EMPLOYED: P(_binary, f, c.MOTHER_EMPLOYED, src, allow_missing=True),
                c.FATHER_EMPLOYED: P(_binary, f, c.FATHER_EMPLOYED, src, allow_missing=True)}
        if all(v is not None for v in cols.values()):
            familie = pd.DataFrame(cols, index=f.index)
            P(_check_unique, familie, [c.PUPIL], src, "Eleven")

    sprog = None
    prepared = prepare(c.SPROG)
    if prepared is not None:
        f, src = prepared
        pupil, second = P(_text, f, c.PUPIL, src), P(_binary, f, c.SECOND_LANGUAGE, src)
        if pupil is not None and second is not None:
            sprog = pd.DataFrame({c.PUPIL: pupil, c.SECOND_LANGUAGE: second}, index=f.index)
            P(_check_unique, sprog, [c.PUPIL], src, "Eleven")

    # Hypotheses
    hypoteser = None
    prepared = prepare(c.HYPOTESER)
    if prepared is not None:
        f, src = prepared
        text = P(_text, f, c.HYP_TEXT, src)
        factor = P(_text, f, c.HYP_FACTOR, src)
        if factor is not None:
            bad = ~factor.isin(c.FACTOR_NAMES).to_numpy()
            if bad.any():
                seen = sorted(set(factor[bad]))
                found.add(InputError(f"ukendt faktor {format_names(seen)}. Vælg en af: "
                                     f"{format_names(list(c.FACTOR_NAMES), 20)}.", source=src, column=c.HYP_FACTOR,
                                     rows=_rows(src, f, bad)))
                factor = None
        direction = P(_text, f, c.HYP_DIRECTION, src)
        if direction is not None:
            bad = ~direction.isin(c.DIRECTIONS).to_numpy()
            if bad.any():
                found.add(InputError(f"ukendt retning. Skriv {format_names(list(c.DIRECTIONS))}.", source=src,
                                     column=c.HYP_DIRECTION, rows=_rows(src, f, bad)))
                direction = None
        if text is not None and factor is not None and direction is not None:
            hypoteser = pd.DataFrame({c.HYP_TEXT: text, c.HYP_FACTOR: factor, c.HYP_DIRECTION: direction},
                                     index=f.index)

    # Segmentation rules
    segmenter, conditions = None, []
    prepared = prepare(c.SEGMENTER)
    if prepared is not None:
        f, src = prepared
        category = P(_text, f, c.SEG_CATEGORY, src)
        prio = P(lambda: _whole_range(_num(f, c.SEG_PRIORITY, src), f, c.SEG_PRIORITY, src, -MAX_PRIORITY,
                                      MAX_PRIORITY, f"prioriteten skal være et helt tal fra 1 til "
                                                    f"{MAX_PRIORITY:,} (1 = vigtigst).".replace(",", ".")))
        cond_text = P(_text, f, c.SEG_CONDITION, src)
        ok = cond_text is not None
        for pos, expr in (zip(f.index, cond_text) if cond_text is not None else []):
            try:
                conditions.append(parse_condition(expr, allowed=CONDITION_COLUMNS))
            except InputError as exc:
                ok = False
                found.add(InputError(exc.message, source=src, column=c.SEG_CONDITION,
                                     rows=[int(pos) + src.first_row]))
        if category is not None and prio is not None and ok:
            segmenter = pd.DataFrame({c.SEG_CATEGORY: category, c.SEG_CONDITION: cond_text,
                                      c.SEG_PRIORITY: prio.astype(np.int64)}, index=f.index)

    # Settings (optional table)
    settings = dict(c.DEFAULT_SETTINGS)
    if c.INDSTILLINGER.key in raw:
        prepared = prepare(c.INDSTILLINGER)
        if prepared is not None:
            f, src = prepared
            keys = P(_text, f, c.SETTING, src)
            if keys is not None:
                bad = ~keys.isin(list(c.DEFAULT_SETTINGS)).to_numpy()
                if bad.any():
                    found.add(InputError(f"ukendt indstilling. Kendte: {format_names(list(c.DEFAULT_SETTINGS))}.",
                                         source=src, column=c.SETTING, rows=_rows(src, f, bad)))
                    keys = None
            vals = P(_num, f, c.VALUE, src)
            if keys is not None and vals is not None:
                for k, v, pos in zip(keys, vals, f.index):
                    if k == c.SET_MIN_CELL:
                        if not (3 <= v <= 10 and float(v).is_integer()):
                            found.add(InputError(f"'{k}' skal være et helt tal fra 3 (Danmarks Statistiks minimum) "
                                                 "til 10.", source=src, column=c.VALUE,
                                                 rows=[int(pos) + src.first_row]))
                            continue
                        settings[k] = int(v)
                        continue
                    if v < 0 or (k == c.SET_CHARTS and (v > 10 or v != round(v))) or \
                            (k == c.SET_MARGIN and v > 100):
                        found.add(InputError("værdien skal være et tal fra 0 (højst 100 procentpoint, og højst 10 "
                                             "diagrammer).", source=src, column=c.VALUE,
                                             rows=[int(pos) + src.first_row]))
                        continue
                    settings[k] = int(v) if k == c.SET_CHARTS else float(v)

    found.raise_if_any()
    warnings = _outliers(elever, fravaer, first_rows)
    return Inputs(elever=elever.reset_index(drop=True), fravaer=fravaer.reset_index(drop=True),
                  skoler=skoler.reset_index(drop=True), klasser=klasser.reset_index(drop=True),
                  social=social.reset_index(drop=True), familie=familie.reset_index(drop=True),
                  sprog=sprog.reset_index(drop=True), hypoteser=hypoteser.reset_index(drop=True),
                  segmenter=segmenter.reset_index(drop=True), conditions=conditions, settings=settings,
                  warnings=warnings)


def _range_ret(values, frame, name, src, lo, hi, msg) -> np.ndarray:
    _range(values, frame, name, src, lo, hi, msg)
    return values


def _outliers(elever, fravaer, first_rows) -> list[str]:
    """Warnings for implausible values in the pupils' numbers (school changes), with rows and values."""
    out = []
    if elever is not None and len(elever) >= 3:
        src = source_for(c.ELEVER, (first_rows or {}).get(c.ELEVER.key, 2))
        x = elever[c.CHANGES].to_numpy(dtype=float)
        bad = x > 20
        if bad.any():
            pos = np.flatnonzero(bad)[:5]
            rows = _rows(src, elever, bad)[:5]
            shown = ", ".join(f"række {r} ({int(x[p]) if x[p].is_integer() else x[p]})" for r, p in zip(rows, pos))
            more = int(bad.sum()) - len(pos)
            out.append(f"{src.label}, kolonne '{c.CHANGES}': usædvanligt mange skoleskift – {shown}"
                       f"{f' og {more} rækker mere' if more > 0 else ''}. Kontrollér tallene.")
    return out


#: Columns of the linked data that segmentation conditions may use.
CONDITION_COLUMNS = tuple(dict.fromkeys((
    c.SCHOOL, c.CLASS, c.GRADE, c.CHANGES, c.SCHOOL_SIZE, c.CLASS_SIZE, c.SCHOOL_DAYS, c.ABSENCE_DAYS,
    c.ABSENCE_PCT, c.ILLNESS_PCT, c.LAWFUL_PCT, c.UNLAWFUL_PCT_COL, c.N_NOTIFICATIONS, c.N_PPR, c.N_CASES,
    c.TOGETHER, c.UNKNOWN_PARENT, c.MOTHER_EMPLOYED, c.FATHER_EMPLOYED, c.SECOND_LANGUAGE,
) + c.FACTOR_NAMES))
