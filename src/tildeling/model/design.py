"""Validate pupil data against a model specification and build the design matrix.

Validation happens here, once, at the boundary: after :func:`design_matrix`
returns, the numbers are trusted. Every problem is an :class:`InputError` with a
Danish message naming the table, column and rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import columns as col
from ..danish import NumberError, cell_number, uses_decimal_point
from ..errors import InputError, Problems, Source, format_names, is_excel_error, shorten
from ..spec import ModelSpec, Variable, VarType
from ._rows import map_items, map_segments

__all__ = ["design_matrix", "numeric_column", "check_required_columns", "band", "outlier_warnings",
           "MAX_MAGNITUDE"]


def check_required_columns(frame: pd.DataFrame, required, source: Source) -> None:
    """Raise if any of ``required`` is missing, listing missing and similar names."""
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return
    lower = {str(c).strip().lower(): c for c in frame.columns}
    hints = []
    for m in missing:
        near = lower.get(m.lower())
        if near is not None:
            hints.append(f"'{near}' skal hedde '{m}'")
    msg = f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)}."
    if hints:
        hint = "; ".join(hints)
        msg += " Kolonnen " + hint + "."
    else:
        msg += " Tilføj kolonnen, eller brug en koefficienttabel uden variablen."
    raise InputError(msg, source=source)


#: Numbers larger than this (in absolute value) in pupil data are typing errors, not data: they would
#: overflow the model's arithmetic (``1e300`` × a coefficient).
MAX_MAGNITUDE = 1e12


def _convert_object(values: pd.Series, allow_bool: bool = False) -> tuple[np.ndarray, dict[int, str]]:
    """Object column → float64, and the Danish reason for each position that is not a number.

    Each distinct value is converted once (:func:`tildeling.danish.cell_number`: numbers as text with a
    decimal comma or point and Danish thousands separators, never a guess).
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    converted = np.full(len(uniques), np.nan)
    reasons: dict[int, str] = {}
    point = uses_decimal_point(uniques)   # "15.03" elsewhere in the column: "4.562" is ambiguous, not 4562
    for k, u in enumerate(uniques):
        if allow_bool and isinstance(u, (bool, np.bool_)):  # TRUE/FALSE in a 0/1 column
            converted[k] = float(u)
            continue
        try:
            x = cell_number(u, point_column=point)
        except NumberError as exc:
            reasons[k] = shorten(str(exc), 200)
            continue
        converted[k] = np.nan if x is None else x
    out = np.append(converted, np.nan)[codes]   # code -1 (a blank cell) picks the NaN at the end
    bad = {int(i): reasons[int(codes[i])] for i in np.flatnonzero(codes >= 0) if int(codes[i]) in reasons} \
        if reasons else {}
    return out.astype("float64"), bad


def numeric_column(frame: pd.DataFrame, name: str, source: Source, *, allow_missing: bool = False,
                   allow_bool: bool = False) -> np.ndarray:
    """A column as float64; text, Excel errors, dates, huge numbers and (unless allowed) blanks are reported by row.

    Text is read by :func:`tildeling.danish.parse_number` (``"36.600"`` is 36600, ``"2,5"`` and ``"2.5"`` are
    2.5); text that is not a number is an error, never a guess.
    """
    s = frame[name]
    if pd.api.types.is_bool_dtype(s) and allow_bool:
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        bad: dict[int, str] = {}
    elif pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
        values = np.full(len(s), np.nan)
        bad = {int(i): "cellen indeholder en dato, ikke et tal" for i in np.flatnonzero(s.notna().to_numpy())}
    else:
        values, bad = _convert_object(s, allow_bool)
    if bad:
        pos = np.array(sorted(bad))
        reasons = list(dict.fromkeys(bad[p] for p in pos))
        err_vals = [r for r in reasons if r.startswith("fejlværdien")]
        if err_vals and len(err_vals) == len(reasons):
            texts = sorted({str(frame[name].iloc[p]).strip() for p in pos[:20]})
            msg = f"fejlværdien {format_names(texts)} – ret formlen eller skriv et tal."
            raise InputError(msg, source=source, column=name, rows=source.rows(pos), kind="excel_error")
        if all("er ikke et tal" in r for r in reasons):
            examples = sorted({str(frame[name].iloc[p]).strip() for p in pos[:3]})
            msg = f"tekst ({format_names(examples)}) hvor der skal stå et tal – skriv et tal."
        else:
            msg = reasons[0] + (" (og flere)" if len(reasons) > 1 else "") + "."
        raise InputError(msg, source=source, column=name, rows=source.rows(pos))
    if np.isinf(values).any():
        pos = np.flatnonzero(np.isinf(values))
        raise InputError("uendelig værdi – skriv et endeligt tal.", source=source, column=name,
                         rows=source.rows(pos))
    with np.errstate(invalid="ignore"):
        huge = np.abs(values) > MAX_MAGNITUDE
    if huge.any():
        pos = np.flatnonzero(huge)
        raise InputError(f"urimeligt stort tal ({_shown(values[pos[0]])}) – kontrollér værdien (er der skrevet "
                         "for mange cifre?).", source=source, column=name, rows=source.rows(pos))
    if not allow_missing and np.isnan(values).any():
        pos = np.flatnonzero(np.isnan(values))
        raise InputError("tom celle – alle elever skal have en værdi.", source=source, column=name,
                         rows=source.rows(pos))
    return values


def _shown(x: float) -> str:
    return f"{x:.3g}".replace(".", ",") if abs(x) >= 1e6 else str(x).replace(".", ",")


def _binary_column(frame, var: Variable, source: Source) -> np.ndarray:
    values = numeric_column(frame, var.key, source, allow_bool=True)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError("skal være 0 eller 1.", source=source, column=var.key, rows=source.rows(pos))
    return values


def band(values: np.ndarray, var: Variable) -> np.ndarray:
    """Indices into ``var.non_reference`` (-1 = reference) for a banded variable."""
    out = np.full(values.shape, -1, dtype=np.int64)
    for j, cat in enumerate(var.non_reference):
        lo = -np.inf if cat.lower is None else cat.lower
        hi = np.inf if cat.upper is None else cat.upper
        out[(values >= lo) & (values < hi) & (out < 0)] = j
    return out


def _categorical_codes(frame, var: Variable, source: Source) -> np.ndarray:
    s = frame[var.key]
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        # Excel error values (#N/A …), checked on the distinct values only
        err_codes, err_uniques = pd.factorize(s, use_na_sentinel=True)
        is_err = np.array([is_excel_error(u) for u in err_uniques] + [False], dtype=bool)
        errors = is_err[err_codes]
    else:
        errors = np.zeros(len(s), dtype=bool)
    if errors.any():
        pos = np.flatnonzero(errors)
        texts = sorted({str(s.iloc[p]).strip() for p in pos[:20]})
        raise InputError(f"fejlværdien {format_names(texts)} – ret formlen eller vælg en kategori.", source=source,
                         column=var.key, rows=source.rows(pos), kind="excel_error")
    isna = s.isna().to_numpy()
    if isna.any():
        raise InputError("tom celle – alle elever skal have en kategori.", source=source, column=var.key,
                         rows=source.rows(np.flatnonzero(isna)))
    # Work on the distinct values only (a national file has 668,338 rows but a handful of categories).
    value_codes, uniques = pd.factorize(s, use_na_sentinel=False)
    text = pd.Index(uniques).astype(str).str.strip()
    labels = [c.label for c in var.non_reference]
    allowed = labels + [var.reference]
    per_unique = pd.Index(allowed).get_indexer(text).astype(np.int64)
    codes = per_unique[value_codes]
    unknown = codes < 0
    if unknown.any():
        pos = np.flatnonzero(unknown)
        seen = sorted(set(text[value_codes[pos[:50]]]))
        raise InputError(
            f"ukendt kategori {format_names(seen)}. Tilladte værdier: {format_names(allowed, limit=12)}.",
            source=source, column=var.key, rows=source.rows(pos),
        )
    codes[codes == len(labels)] = -1  # the reference
    return codes


_BLOCK = 4096  # rows per block when the matrix is filled (a block stays in the CPU cache)


def design_matrix(pupils: pd.DataFrame, spec: ModelSpec, source: Source | None = None,
                  *, intercept: bool = True) -> np.ndarray:
    """Validate ``pupils`` against ``spec`` and return the design matrix (n × K, float64, C order).

    Columns follow :meth:`ModelSpec.design_columns`. Pupil columns the spec does
    not use are ignored. Every column is validated first; the matrix is then filled
    block by block of rows, so that writing a column never streams through the
    whole matrix (676,000 × 76 is 400 MB).
    """
    source = source or Source()
    check_required_columns(pupils, spec.keys, source)
    n = len(pupils)
    names = spec.design_columns(intercept=intercept)
    values: list[tuple[int, np.ndarray]] = []        # (column, values) for numeric and 0/1 columns
    dummies: list[tuple[int, np.ndarray]] = []       # (first column, category codes, -1 = reference)
    problems = Problems()                            # every column's problem, reported at once
    first = []
    j = 1 if intercept else 0
    for var in spec:
        first.append(j)
        j += len(var.non_reference) if var.type.is_categorical else 1

    def convert(var: Variable):
        """One variable's validated column (numpy releases the GIL: the columns are checked on every core)."""
        try:
            if var.type is VarType.NUMERIC:
                return "value", numeric_column(pupils, var.key, source)
            if var.type is VarType.BINARY:
                return "value", _binary_column(pupils, var, source).astype(np.int8)  # 0/1: 1 byte, not 8
            if var.type is VarType.BANDED:
                codes = band(numeric_column(pupils, var.key, source), var)
            else:
                codes = _categorical_codes(pupils, var, source)
            small = np.int8 if len(var.non_reference) < 127 else np.int32
            return "codes", codes.astype(small)
        except InputError as exc:
            return "problem", exc

    for col_j, (kind, result) in zip(first, map_items(convert, list(spec))):
        if kind == "problem":
            problems.add(result)
        else:
            (values if kind == "value" else dummies).append((col_j, result))
    problems.raise_if_any()
    X = np.empty((n, len(names)), dtype=np.float64)  # zeroed block by block: far fewer page-fault stalls

    def fill(a: int, b: int) -> None:
        for start in range(a, b, _BLOCK):
            stop = min(start + _BLOCK, b)
            B = X[start:stop]
            B[:] = 0.0
            if intercept:
                B[:, 0] = 1.0
            for col_j, v in values:
                B[:, col_j] = v[start:stop]
            for col_j, codes in dummies:
                c = codes[start:stop]
                rows = np.flatnonzero(c >= 0)
                B[rows, col_j + c[rows]] = 1.0

    map_segments(fill, n)
    return X


def outcome(pupils: pd.DataFrame, source: Source) -> np.ndarray:
    """The 0/1 outcome column ``Segregeret`` as float64."""
    check_required_columns(pupils, [col.OUTCOME], source)
    y = numeric_column(pupils, col.OUTCOME, source, allow_bool=True)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise InputError("skal være 0 eller 1 (1 = modtager segregeret specialundervisning).",
                         source=source, column=col.OUTCOME, rows=source.rows(np.flatnonzero(bad)))
    return y


#: A value this many robust standard deviations (1,4826 × MAD) from the median is implausible …
OUTLIER_Z = 25.0
#: … and so is one that moves the pupil's log-odds by this much on its own (with at least OUTLIER_MIN_Z).
OUTLIER_LOGIT = 4.0
OUTLIER_MIN_Z = 5.0


def outlier_warnings(pupils: pd.DataFrame, spec: ModelSpec, coefficients=None, source: Source | None = None,
                     *, limit: int = 5) -> list[str]:
    """Danish warnings for implausible values in the numeric pupil variables, with rows and values.

    A value is flagged when it is very far from the others (more than :data:`OUTLIER_Z` robust standard
    deviations from the median), or when it alone moves the pupil's log-odds by more than
    :data:`OUTLIER_LOGIT` (coefficient × distance from the median) while also being unusual (more than
    :data:`OUTLIER_MIN_Z`). The run goes on: the value may be right, but a typing error (``999`` for an
    age) would change that pupil's probability a lot.
    """
    source = source or Source()
    betas = {}
    if coefficients is not None:
        names = spec.design_columns(intercept=True)
        betas = {key: float(b) for (key, cat), b in zip(names, np.asarray(coefficients, dtype=float)) if not cat}
    out = []
    for var in spec:
        if var.type not in (VarType.NUMERIC, VarType.BANDED) or var.key not in pupils.columns:
            continue
        try:
            x = numeric_column(pupils, var.key, source, allow_missing=True)
        except InputError:
            continue
        ok = np.isfinite(x)
        if ok.sum() < 3:
            continue
        med = float(np.median(x[ok]))
        dev = np.abs(x - med)
        scale = 1.4826 * float(np.median(dev[ok]))
        if scale <= 0:
            q1, q3 = np.percentile(x[ok], [25, 75])
            scale = float(q3 - q1) / 1.349
        if scale <= 0:
            scale = float(np.std(x[ok]))
        if scale <= 0:
            continue
        with np.errstate(invalid="ignore"):
            z = dev / scale
            flag = z >= OUTLIER_Z
            beta = betas.get(var.key)
            if var.type is VarType.NUMERIC and beta:
                flag |= (np.abs(beta) * dev >= OUTLIER_LOGIT) & (z >= OUTLIER_MIN_Z)
        flag &= ok
        if not flag.any():
            continue
        pos = np.flatnonzero(flag)
        order = pos[np.argsort(-dev[pos], kind="stable")][:limit]
        rows = source.rows(order)
        shown = ", ".join(f"række {r} ({_value(x[p])})" for r, p in zip(rows, order))
        more = len(pos) - len(order)
        tail = f" og {more} rækker mere" if more > 0 else ""
        label = f"{source.label}, kolonne '{var.key}'" if source.label else f"Kolonne '{var.key}'"
        out.append(f"{label}: usædvanlige værdier – {shown}{tail}. Medianen er {_value(med)}. Kontrollér dem: én "
                   "forkert værdi kan ændre elevens sandsynlighed meget.")
    return out


def _value(x: float) -> str:
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return _shown(x) if abs(x) >= 1e6 else f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")
