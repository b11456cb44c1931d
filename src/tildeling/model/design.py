"""Validate pupil data against a model specification and build the design matrix.

Validation happens here, once, at the boundary: after :func:`design_matrix`
returns, the numbers are trusted. Every problem is an :class:`InputError` with a
Danish message naming the table, column and rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import columns as col
from ..errors import InputError, Source, format_names
from ..spec import ModelSpec, Variable, VarType
from ._rows import map_segments

__all__ = ["design_matrix", "numeric_column", "check_required_columns", "band"]


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


def numeric_column(frame: pd.DataFrame, name: str, source: Source, *, allow_missing: bool = False) -> np.ndarray:
    """A column as float64; text, Excel errors and (unless allowed) blanks are reported by row."""
    s = frame[name]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        bad_text = np.zeros(len(values), dtype=bool)
    else:
        obj = s.astype("object")
        stripped = obj.map(lambda v: v.strip().replace(",", ".") if isinstance(v, str) else v)
        stripped = stripped.map(lambda v: np.nan if isinstance(v, str) and v == "" else v)
        conv = pd.to_numeric(stripped, errors="coerce")
        values = conv.to_numpy(dtype="float64", na_value=np.nan)
        bad_text = (~obj.isna().to_numpy()) & np.isnan(values) & ~stripped.isna().to_numpy()
    if bad_text.any():
        pos = np.flatnonzero(bad_text)
        examples = {str(frame[name].iloc[p]) for p in pos[:3]}
        err_vals = [e for e in examples if e.startswith("#")]
        if err_vals:
            msg = f"fejlværdien {format_names(sorted(err_vals))} – ret formlen eller skriv et tal."
        else:
            msg = f"tekst ({format_names(sorted(examples))}) hvor der skal stå et tal – skriv et tal."
        raise InputError(msg, source=source, column=name, rows=source.rows(pos))
    if np.isinf(values).any():
        pos = np.flatnonzero(np.isinf(values))
        raise InputError("uendelig værdi – skriv et endeligt tal.", source=source, column=name,
                         rows=source.rows(pos))
    if not allow_missing and np.isnan(values).any():
        pos = np.flatnonzero(np.isnan(values))
        raise InputError("tom celle – alle elever skal have en værdi.", source=source, column=name,
                         rows=source.rows(pos))
    return values


def _binary_column(frame, var: Variable, source: Source) -> np.ndarray:
    values = numeric_column(frame, var.key, source)
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
    j = 1 if intercept else 0
    for var in spec:
        if var.type is VarType.NUMERIC:
            values.append((j, numeric_column(pupils, var.key, source)))
            j += 1
        elif var.type is VarType.BINARY:
            values.append((j, _binary_column(pupils, var, source).astype(np.int8)))  # 0/1: 1 byte, not 8
            j += 1
        else:
            if var.type is VarType.BANDED:
                codes = band(numeric_column(pupils, var.key, source), var)
            else:
                codes = _categorical_codes(pupils, var, source)
            small = np.int8 if len(var.non_reference) < 127 else np.int32
            dummies.append((j, codes.astype(small)))
            j += len(var.non_reference)
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
    y = numeric_column(pupils, col.OUTCOME, source)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise InputError("skal være 0 eller 1 (1 = modtager segregeret specialundervisning).",
                         source=source, column=col.OUTCOME, rows=source.rows(np.flatnonzero(bad)))
    return y
