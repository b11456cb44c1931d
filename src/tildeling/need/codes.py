"""District codes as text: ``1``, ``1.0`` and ``'1'`` are the same district."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["normalise_code", "normalise_codes", "code_sort_key"]


def normalise_code(value) -> str:
    """One district code as text (a blank cell gives ``''``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value).strip()


def normalise_codes(values: pd.Series) -> pd.Series:
    """:func:`normalise_code` for a whole column, vectorised for the common cases."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        v = values.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(v) & (v == np.round(v))
        if whole.all():
            return pd.Series(v.astype(np.int64).astype(str), index=values.index, dtype=object)
        return values.map(normalise_code).astype(object)
    if pd.api.types.is_string_dtype(values) and not values.isna().any():
        return values.astype(str).str.strip().astype(object)
    return values.map(normalise_code).astype(object)


def code_sort_key(code: str) -> tuple:
    """Codes of digits sort as numbers (2 before 10), others after them as text."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)
