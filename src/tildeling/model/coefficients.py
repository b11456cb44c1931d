"""The coefficient table: the model handed on from analyst to municipality.

A coefficient table *defines* a model. One row per design column:

* the intercept: ``Variabel`` = ``Konstant``, empty ``Kategori``;
* a numeric or 0/1 variable: one row, empty ``Kategori``;
* a categorical or banded variable: one row per non-reference category, with
  ``Reference`` naming the reference category and, for a banded variable, the
  band ``[Nedre grænse, Øvre grænse)`` of the row.

Required columns: ``Variabel``, ``Kategori``, ``Koefficient``. ``Type`` is
needed for categorical/banded variables (a row with a ``Kategori`` and no
``Type`` is read as ``kategorisk``; a row without ``Kategori`` as ``numerisk``).
The rest (standard errors, weights, national means, labels) is optional.

Reading and writing files (``.xlsx``/``.csv``) is the adapter
:mod:`tildeling.io.coefficients`; this module knows no file format.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import columns as col
from ..danish import NumberError, cell_number, parse_number
from ..errors import InputError, Source, format_names, is_excel_error
from ..spec import INTERCEPT, Category, ModelSpec, Variable, VarType
from ._math import expit
from .design import design_matrix

__all__ = ["CoefficientTable"]

_TYPES = {t.value: t for t in VarType}


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == "") \
        or v is pd.NA


def _num_or_none(v):
    """A band limit: a number (also typed as text: ``5,5``), or None for a blank cell."""
    if _blank(v):
        return None
    try:
        return cell_number(v)
    except NumberError as exc:
        raise InputError(f"grænsen skal være et tal: {exc}.") from None


@dataclass
class CoefficientTable:
    """A model: its specification, its coefficients and metadata.

    Attributes
    ----------
    spec : ModelSpec
    table : DataFrame
        One row per design column in ``spec.design_columns()`` order, with at
        least ``Variabel``, ``Kategori``, ``Koefficient``.
    metadata : dict of str to str
        ``Skoleår``, ``N``, ``Datakilde``, ``Pakkeversion`` …
    covariance : ndarray (K, K) or None
        The coefficients' covariance (cluster-robust from ``tildeling fit``); in a
        file it is the columns ``Kov. …`` (:func:`columns.covariance_column`).
    """

    spec: ModelSpec
    table: pd.DataFrame
    metadata: dict = field(default_factory=dict)
    #: Cov(β̂) in design-column order (K × K), or None for a table without it (see :data:`columns.COV_PREFIX`).
    covariance: np.ndarray | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, metadata: dict | None = None,
                   source: Source | None = None) -> "CoefficientTable":
        """Read a coefficient table from a DataFrame, checking it thoroughly."""
        source = source or Source("Koefficienttabellen")
        frame = frame.copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in col.COEF_REQUIRED if c not in frame.columns]
        if missing:
            raise InputError(f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} "
                             f"{format_names(missing)}.", source=source)
        kept = ~frame[col.VARIABLE].map(_blank).to_numpy(dtype=bool)
        original = np.flatnonzero(kept)       # positions in the user's table (blank rows skipped)
        frame = frame[kept].reset_index(drop=True)
        if frame.empty:
            raise InputError("er tom – der skal mindst være en række med 'Konstant'.", source=source)
        frame[col.VARIABLE] = frame[col.VARIABLE].astype(str).str.strip()
        frame[col.CATEGORY] = frame[col.CATEGORY].map(lambda v: "" if _blank(v) else str(v).strip())
        errors = frame[col.COEF].map(is_excel_error).to_numpy(dtype=bool)
        if errors.any():
            texts = sorted({str(v).strip() for v in frame[col.COEF][errors]})
            raise InputError(f"fejlværdien {format_names(texts)} – ret formlen eller skriv et tal.", source=source,
                             column=col.COEF, rows=source.rows(original[errors]), kind="excel_error")

        def number(v):
            try:
                x = cell_number(v)
            except NumberError:
                return np.nan
            return np.nan if x is None or abs(x) > 1e6 else x

        coef = pd.Series([number(v) for v in frame[col.COEF]], index=frame.index, dtype=float)
        bad = coef.isna().to_numpy()
        if bad.any():
            raise InputError("skal være et tal i alle rækker (en koefficient, fx -0,25).", source=source,
                             column=col.COEF, rows=source.rows(original[bad]))
        frame[col.COEF] = coef.astype(float)
        dup = frame.duplicated([col.VARIABLE, col.CATEGORY], keep=False).to_numpy()
        if dup.any():
            raise InputError("samme variabel og kategori står flere gange.", source=source, column=col.VARIABLE,
                             rows=source.rows(original[dup]))
        for name in (col.WEIGHT, col.WEIGHT_GROUP):
            if name in frame.columns:
                frame[name] = _weights(frame, name, source)
        if INTERCEPT not in set(frame[col.VARIABLE]):
            raise InputError(f"mangler konstantleddet (en række med Variabel = '{INTERCEPT}').", source=source)

        variables: list[Variable] = []
        for key, rows in frame.groupby(col.VARIABLE, sort=False):
            if key == INTERCEPT:
                continue
            variables.append(_variable_from_rows(key, rows, source))
        spec = ModelSpec(tuple(variables))
        # reorder the table into design-column order
        order = {k: i for i, k in enumerate(spec.design_columns())}
        frame["_o"] = [order[(v, c)] for v, c in zip(frame[col.VARIABLE], frame[col.CATEGORY])]
        frame, cov = _covariance(frame, source)     # rows still in the file's order (for messages)
        perm = np.argsort(frame["_o"].to_numpy(), kind="stable")
        frame = frame.iloc[perm].drop(columns="_o").reset_index(drop=True)
        if cov is not None:
            cov = cov[np.ix_(perm, perm)]
        return cls(spec=spec, table=frame, metadata=dict(metadata or {}), covariance=cov)

    @classmethod
    def from_fit(cls, spec: ModelSpec, fit, *, weights=None, national_means=None, display_means=None,
                 metadata: dict | None = None) -> "CoefficientTable":
        """Build the table from a :class:`~tildeling.model.fit.LogitFit`."""
        names = spec.design_columns()
        ci = fit.conf_int()
        t = pd.DataFrame({
            col.VARIABLE: [v for v, _ in names],
            col.CATEGORY: [c for _, c in names],
            col.COEF: fit.params,
            col.SE: fit.bse,
            col.Z: fit.zvalues,
            col.P: fit.pvalues,
            col.STARS: fit.stars,
            col.CI_LOW: ci[:, 0],
            col.CI_HIGH: ci[:, 1],
            col.ODDS_RATIO: fit.odds_ratios,
        })
        if weights is not None:
            t[col.WEIGHT] = np.concatenate([[np.nan], weights.table["Relativ vægt"].to_numpy()])
            group = dict(zip(weights.groups["Variabel"], weights.groups["Relativ vægt"]))
            t[col.WEIGHT_GROUP] = [np.nan if v == INTERCEPT else group[v] for v, _ in names]
        t = _add_spec_columns(t, spec)
        if national_means is not None:
            t[col.NATIONAL_MEAN] = national_means
        if display_means is not None:
            t[col.DISPLAY_NATIONAL_MEAN] = [display_means.get(v, np.nan) for v, _ in names]
        cov = np.asarray(fit.cov_params, dtype=float)
        return cls(spec=spec, table=t, metadata=dict(metadata or {}),
                   covariance=cov if np.isfinite(cov).all() else None)

    # --------------------------------------------------------------- predict
    @property
    def coefficients(self) -> np.ndarray:
        return self.table[col.COEF].to_numpy(dtype=float)

    def linear_predictor(self, pupils: pd.DataFrame, source: Source | None = None) -> np.ndarray:
        X = design_matrix(pupils, self.spec, source)
        return X @ self.coefficients

    def predict(self, pupils: pd.DataFrame, source: Source | None = None) -> np.ndarray:
        """Each pupil's probability under the national average referral practice."""
        return expit(self.linear_predictor(pupils, source))

    def fingerprint(self) -> str:
        """SHA-256 (first 16 hex digits) of what defines the model: the variables (key, type, reference,
        categories and bands) and every coefficient to 12 significant digits (so that the last binary digit a
        file format may lose does not matter). The same model gives the same fingerprint whatever the file
        format, column order or metadata; a change of a coefficient in its first 12 digits changes it."""
        def num(x) -> str:
            return "" if x is None else f"{float(x):.12g}"

        h = hashlib.sha256(b"tildeling-koefficienter-1\n")
        for var in self.spec:
            h.update(f"{var.key}|{var.type.value}|{var.reference or ''}\n".encode())
            for cat in var.categories:
                h.update(f" {cat.label}|{num(cat.lower)}|{num(cat.upper)}\n".encode())
        for (key, category), b in zip(self.spec.design_columns(), self.coefficients):
            h.update(f"{key}|{category}|{num(b)}\n".encode())
        return h.hexdigest()[:16]

    # ----------------------------------------------------------------- files
    def to_frame(self) -> pd.DataFrame:
        """The table as written to a file: the known columns first, then others, then ``Kov. …``."""
        cols = [c for c in col.COEF_COLUMNS if c in self.table.columns]
        extra = [c for c in self.table.columns if c not in cols]
        out = self.table[cols + extra].copy()
        if self.covariance is not None:
            heads = [col.covariance_column(v, c) for v, c in zip(out[col.VARIABLE], out[col.CATEGORY])]
            out = pd.concat([out, pd.DataFrame(self.covariance, columns=heads, index=out.index)], axis=1)
        return out


def _covariance(frame: pd.DataFrame, source: Source) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Take the ``Kov. …`` columns out of a table in design order: the covariance matrix, checked."""
    present = [c for c in frame.columns if str(c).startswith(col.COV_PREFIX)]
    if not present:
        return frame, None
    heads = [col.covariance_column(v, c) for v, c in zip(frame[col.VARIABLE], frame[col.CATEGORY])]
    missing = [h for h in heads if h not in present]
    unknown = [h for h in present if h not in heads]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)}")
        if unknown:
            parts.append(f"{'kolonnen' if len(unknown) == 1 else 'kolonnerne'} {format_names(unknown)} svarer ikke "
                         "til nogen række")
        raise InputError("kovariansmatricen (kolonnerne 'Kov. …') er ufuldstændig: " + "; ".join(parts) +
                         ". Skriv tabellen igen med 'tildeling fit', eller slet alle 'Kov.'-kolonnerne (så vises "
                         "intet usikkerhedsinterval for fordelingsnøglen).", source=source)
    cov = np.empty((len(heads), len(heads)))
    for j, h in enumerate(heads):
        v = pd.to_numeric(frame[h].map(lambda x: str(x).replace(",", ".") if isinstance(x, str) else x),
                          errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise InputError("skal være et tal i alle rækker (kovariansmatricen).", source=source, column=h,
                             rows=source.rows(np.flatnonzero(bad)))
        cov[:, j] = v
    scale = np.sqrt(np.outer(np.abs(np.diag(cov)), np.abs(np.diag(cov)))) + 1e-300
    if (np.diag(cov) < 0).any() or (np.abs(cov - cov.T) > 1e-8 * scale).any():
        raise InputError("kovariansmatricen (kolonnerne 'Kov. …') er ikke symmetrisk med positive varianser på "
                         "diagonalen – den hører ikke til denne tabel.", source=source)
    return frame.drop(columns=present), (cov + cov.T) / 2


_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": "", " ": ""})


def _weights(frame: pd.DataFrame, name: str, source: Source) -> np.ndarray:
    """A relative-weight column as sizes (fractions ≥ 0), read with its sign.

    Accepts fractions (0.213), Danish numbers ("0,213") and percentages with a %
    sign ("21,3 %", "−21,3 %"). A sign is the direction of the variable (the note's
    Tabel 3.1 writes "pige −21,3 %"): it must agree with the coefficient, and the
    weight is its size. A percentage without a % sign is refused (21,3 would be 2130 %).
    """
    values = np.full(len(frame), np.nan)
    had_sign = np.zeros(len(frame), dtype=bool)
    bad, unmarked = [], []
    for i, v in enumerate(frame[name]):
        if _blank(v):
            continue
        if isinstance(v, (bool, np.bool_)):
            bad.append(i)
            continue
        if isinstance(v, (int, float, np.integer, np.floating)):
            x, percent = float(v), False
        else:
            text = str(v).strip().translate(_MINUS)
            percent = text.endswith("%")
            try:
                x = parse_number(text, percent=True)   # the one parser: "0,213", "0.213", "21,3 %"
            except NumberError:
                bad.append(i)
                continue
        if not np.isfinite(x):
            bad.append(i)
            continue
        if not percent and abs(x) > 1.0:
            unmarked.append(i)
        values[i] = x
    if bad:
        examples = sorted({str(frame[name].iloc[i]) for i in bad[:3]})
        raise InputError(f"{format_names(examples)} er ikke en relativ vægt – skriv en andel (0,213) eller en "
                         "procent med %-tegn ('21,3 %').", source=source, column=name, rows=source.rows(bad))
    total = np.nansum(np.abs(values)) if name == col.WEIGHT else 0.0
    if unmarked or total > 1.0 + 1e-6:
        rows = unmarked or list(np.flatnonzero(np.isfinite(values)))
        raise InputError("relative vægte skal være andele (0,213) eller procenter med %-tegn ('21,3 %'); "
                         f"tallene her summer til {total:.4g} – er det procenter uden %-tegn?",
                         source=source, column=name, rows=source.rows(rows))
    if name == col.WEIGHT:
        coef = frame[col.COEF].to_numpy(dtype=float)
        against = np.flatnonzero((values < 0) & (coef > 0))
        if against.size:
            raise InputError("negativ relativ vægt, men koefficienten er positiv: et fortegn på vægten skal "
                             "være koefficientens fortegn (som notatets 'pige −21,3 %'), ellers skriv vægten "
                             "uden fortegn.", source=source, column=name, rows=source.rows(against))
    return np.abs(values)


def _variable_from_rows(key: str, rows: pd.DataFrame, source: Source) -> Variable:
    def first(name, default=None):
        if name not in rows.columns:
            return default
        vals = [v for v in rows[name] if not _blank(v)]
        return vals[0] if vals else default

    cats = list(rows[col.CATEGORY])
    type_text = first(col.TYPE)
    if type_text is None:
        vtype = VarType.CATEGORICAL if any(cats) else VarType.NUMERIC
    else:
        t = str(type_text).strip().lower()
        if t not in _TYPES:
            raise InputError(f"ukendt type '{type_text}' for variablen '{key}'. Brug {format_names(list(_TYPES))}.",
                             source=source, column=col.TYPE)
        vtype = _TYPES[t]
    label = str(first(col.LABEL, key))
    group = str(first(col.GROUP, ""))
    unit = str(first(col.UNIT, ""))
    display_key = first(col.DISPLAY_KEY)
    display_unit = first(col.DISPLAY_UNIT)
    if not vtype.is_categorical:
        if len(rows) != 1 or cats[0] != "":
            raise InputError(f"variablen '{key}' er {vtype.value} og skal have præcis én række uden kategori.",
                             source=source, column=col.CATEGORY)
        return Variable(key, label, vtype, group=group, unit=unit,
                        display_key=None if display_key is None else str(display_key),
                        display_unit=None if display_unit is None else str(display_unit))
    if any(c == "" for c in cats):
        raise InputError(f"variablen '{key}' er {vtype.value}, så hver række skal have en kategori.",
                         source=source, column=col.CATEGORY)
    reference = first(col.REFERENCE)
    if reference is None:
        raise InputError(f"variablen '{key}' mangler sin referencekategori i kolonnen '{col.REFERENCE}'.",
                         source=source, column=col.REFERENCE)
    reference = str(reference).strip()
    if reference in cats:
        raise InputError(f"referencekategorien '{reference}' for '{key}' må ikke have sin egen række.",
                         source=source, column=col.REFERENCE)
    categories = []
    for _, r in rows.iterrows():
        lo = _num_or_none(r.get(col.LOWER)) if col.LOWER in rows.columns else None
        hi = _num_or_none(r.get(col.UPPER)) if col.UPPER in rows.columns else None
        if vtype is VarType.BANDED and lo is None and hi is None:
            raise InputError(f"intervalvariablen '{key}', kategori '{r[col.CATEGORY]}', mangler "
                             f"'{col.LOWER}' og/eller '{col.UPPER}'.", source=source, column=col.LOWER)
        categories.append(Category(r[col.CATEGORY], lo, hi))
    if vtype is VarType.BANDED:
        # put the reference band back in its numeric place (the gap between the listed bands)
        categories = _order_bands(categories + [Category(reference)], reference)
    else:
        categories = [Category(reference)] + categories  # text categories: the reference first
    return Variable(key, label, vtype, tuple(categories), reference, group, unit)


def _order_bands(categories: list[Category], reference: str) -> list[Category]:
    listed = sorted((c for c in categories if c.label != reference),
                    key=lambda c: -math.inf if c.lower is None else c.lower)
    for i, c in enumerate(listed):
        prev_upper = -math.inf if i == 0 else (math.inf if listed[i - 1].upper is None else listed[i - 1].upper)
        lower = -math.inf if c.lower is None else c.lower
        if lower > prev_upper or (i == 0 and c.lower is not None):
            return listed[:i] + [Category(reference, None if i == 0 else listed[i - 1].upper, c.lower)] + listed[i:]
    return listed + [Category(reference, listed[-1].upper if listed else None, None)]


def _add_spec_columns(t: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    types, refs, lows, highs, labels, groups, units, disp, dunit = [], [], [], [], [], [], [], [], []
    for v, c in zip(t[col.VARIABLE], t[col.CATEGORY]):
        if v == INTERCEPT:
            types.append(""); refs.append(""); lows.append(np.nan); highs.append(np.nan)
            labels.append("Konstantled"); groups.append(""); units.append(""); disp.append(""); dunit.append("")
            continue
        var = spec[v]
        types.append(var.type.value)
        refs.append(var.reference or "")
        cat = next((k for k in var.categories if k.label == c), None)
        lows.append(np.nan if cat is None or cat.lower is None else cat.lower)
        highs.append(np.nan if cat is None or cat.upper is None else cat.upper)
        labels.append(var.label); groups.append(var.group); units.append(var.unit)
        disp.append(var.display_key or "")
        dunit.append(var.display_unit or "")
    t[col.TYPE] = types
    t[col.REFERENCE] = refs
    t[col.LOWER] = lows
    t[col.UPPER] = highs
    t[col.LABEL] = labels
    t[col.GROUP] = groups
    t[col.UNIT] = units
    t[col.DISPLAY_KEY] = disp
    t[col.DISPLAY_UNIT] = dunit
    return t
