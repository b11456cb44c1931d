"""Fit the national need model: logit + cluster-robust SEs + relative weights + power.

This is the analyst's step (``tildeling fit``). It returns a :class:`NationalModel`
whose :attr:`~NationalModel.coefficients` is the table handed on to municipalities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from .. import __version__
from .. import columns as col
from .. import danish as dk
from ..errors import InputError, Source
from ..spec import ModelSpec
from .coefficients import CoefficientTable
from .design import check_required_columns, design_matrix, numeric_column, outcome
from .fit import LogitFit, fit_logit
from ._rows import map_segments
from .power import Power, explanatory_power
from .weights import RelativeWeights, relative_weights

__all__ = ["NationalModel", "fit_national", "fit_columns", "model_summary", "model_rows"]

Progress = Callable[[str], None]


@dataclass
class NationalModel:
    spec: ModelSpec
    fit: LogitFit
    weights: RelativeWeights
    power: Power
    coefficients: CoefficientTable
    excluded_grade10: int = 0

    @property
    def summary(self) -> pd.DataFrame:
        return model_summary(self.fit, self.power)


def model_summary(fit: LogitFit, power: Power | None = None) -> pd.DataFrame:
    """Key/value table of the fit (N, log-likelihoods, McFadden R², AIC/BIC …)."""
    rows = [
        ("Antal elever (N)", fit.nobs),
        ("Antal klynger (kommuner)", fit.n_clusters if fit.n_clusters is not None else ""),
        ("Standardfejl", fit.cov_type),
        ("Log-likelihood (model)", fit.llf),
        ("Log-likelihood (kun konstant)", fit.llnull),
        ("McFadden pseudo-R²", fit.prsquared),
        ("AIC", fit.aic),
        ("BIC", fit.bic),
        ("Iterationer", fit.iterations),
    ]
    if power is not None:
        rows += [
            ("Andel af modtagere blandt de 10 % med lavest sandsynlighed", power.lowest),
            ("Andel af modtagere blandt de 10 % med højest sandsynlighed", power.highest),
            ("AUC", power.auc),
        ]
    return pd.DataFrame(rows, columns=["Nøgletal", "Værdi"])


def model_rows(pupils: pd.DataFrame, source: Source) -> tuple[pd.DataFrame, Source, int]:
    """Grade 0–9 pupils (grade 10 excluded, as in the VIVE note).

    Returns the rows, a Source whose row numbers still point at the user's rows,
    and the number of grade-10 pupils left out.
    """
    if len(pupils) == 0:
        raise InputError("indeholder ingen elever.", source=source)
    check_required_columns(pupils, [col.GRADE], source)
    grade = numeric_column(pupils, col.GRADE, source)
    bad = ~np.isin(grade, np.arange(0, 11))
    if bad.any():
        raise InputError("klassetrin skal være et helt tal fra 0 til 10.", source=source, column=col.GRADE,
                         rows=source.rows(np.flatnonzero(bad)))
    keep = grade <= 9
    excluded = int((~keep).sum())
    if not excluded:
        return pupils, source, 0
    return pupils.loc[keep], source.subset(np.flatnonzero(keep)), excluded


def fit_columns(spec: ModelSpec) -> list[str]:
    """The pupil columns :func:`fit_national` reads (a file reader may skip the rest)."""
    return col.fit_columns(spec)


def _cluster_codes(values: pd.Series, source: Source) -> np.ndarray:
    """Municipality codes as integers 0…G−1 (the clusters); ``101`` and ``'101'`` are one municipality."""
    blank = values.isna().to_numpy()
    if blank.any():
        raise InputError("tom celle – alle elever skal have en kommune (klyngerne i de klyngerobuste "
                         "standardfejl).", source=source, column=col.MUNICIPALITY,
                         rows=source.rows(np.flatnonzero(blank)))
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories()
        if pd.Index(values.cat.categories).astype(str).is_unique:
            return values.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(values.astype(str))
    return codes


def fit_national(
    pupils: pd.DataFrame,
    spec: ModelSpec,
    *,
    source: Source | None = None,
    school_year: str = "",
    data_source: str = "",
    progress: Progress | None = None,
    excluded_grade10: int = 0,
) -> NationalModel:
    """Fit the model on national pupil data (one row per pupil, with ``Kommune``).

    ``excluded_grade10``: grade-10 pupils the caller has already left out with
    :func:`model_rows` (to free the full table early); they are counted in the
    metadata as if left out here.
    """
    source = source or Source("De nationale data")
    say = progress or (lambda msg: None)
    data, src, excluded = model_rows(pupils, source)
    excluded += excluded_grade10
    check_required_columns(data, [col.MUNICIPALITY, col.OUTCOME], source)
    say(f"Bygger designmatrix for {dk.integer(len(data))} elever …")
    X = design_matrix(data, spec, src)
    y = outcome(data, src)
    groups = _cluster_codes(data[col.MUNICIPALITY], src)
    say("Estimerer logitmodellen med klyngerobuste standardfejl …")
    names = spec.design_columns()
    fit = fit_logit(X, y, groups, names)
    say("Beregner relative vægte …")
    weights = relative_weights(X, fit, y)
    say("Beregner forklaringskraft …")
    power = explanatory_power(y, fit.fitted)
    means = np.sum(map_segments(lambda a, b: X[a:b].sum(axis=0), len(X)), axis=0) / len(X)
    means[0] = y.mean()  # the intercept row carries the national rate
    display = {}
    for var in spec:
        if var.display_key and var.display_key in data.columns:
            v = numeric_column(data, var.display_key, src, allow_missing=True)
            display[var.key] = float(np.nanmean(v))
    meta = {
        "Model": "Socioøkonomisk behovsmodel for segregeret specialundervisning (logit)",
        "Skoleår": school_year,
        "Datakilde": data_source,
        "N": str(fit.nobs),
        "Kommuner (klynger)": str(fit.n_clusters),
        "Landsandel segregerede": repr(float(y.mean())),
        "McFadden pseudo-R²": repr(fit.prsquared),
        "Log-likelihood": repr(fit.llf),
        "Log-likelihood (kun konstant)": repr(fit.llnull),
        "AIC": repr(fit.aic),
        "BIC": repr(fit.bic),
        "Standardfejl": fit.cov_type,
        "Udelukket (10. klasse)": str(excluded),
        "Andel fanget, laveste 10 %": repr(power.lowest),
        "Andel fanget, højeste 10 %": repr(power.highest),
        "AUC": repr(power.auc),
        "Pakkeversion": f"tildeling {__version__}",
        "Estimeret": date.today().isoformat(),
    }
    for w in fit.warnings:
        meta.setdefault("Advarsler", "")
        meta["Advarsler"] = (meta["Advarsler"] + " | " if meta["Advarsler"] else "") + w
    coefs = CoefficientTable.from_fit(spec, fit, weights=weights, national_means=means,
                                      display_means=display, metadata=meta)
    return NationalModel(spec, fit, weights, power, coefs, excluded)
