"""Apply a coefficient table to a municipality's pupils: every result of domain.md Part 1.

Pupils are assigned to the district they *live* in (column ``Distrikt``); grade
10 is excluded. The result tables are plain DataFrames with the Danish column
names of the workbook contract; shares are fractions (0.184), not percentages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import columns as col
from .. import danish as dk
from ..errors import InputError, Problems, Source, format_names
from ..model._math import expit
from ..model.coefficients import CoefficientTable
from ..model.design import check_required_columns, design_matrix, numeric_column, outcome, outlier_warnings
from ..model.national import model_rows
from ..model.power import Power, explanatory_power
from ..spec import INTERCEPT, VarType
from .codes import normalise_code, normalise_codes
from .plan import DistrictPlan, read_plan
from .uncertainty import Z95, benchmark_interval, district_gradients, key_covariance

__all__ = ["NeedResult", "apply_model", "district_table", "municipal_benchmark", "normalise_code",
           "normalise_codes", "DISTRICT_COLUMNS"]

#: Columns of the district need table (Tabel 5.1), a workbook contract (tblDistriktsbehov).
DISTRICT_COLUMNS = ["Distrikt", "Navn", "Elever", "Andel af elever", "Faktisk andel af segregerede elever",
                    "Forudsagt sandsynlighed", "Indeks", "Behovsnøgle"]


#: Σ p̂(1 − p̂) per district: the variance of the number of segregated pupils under the model.
VARIANCE = "Varians, forventede segregerede elever"
#: The key's standard error and 95 % interval from the coefficients' covariance (delta method).
KEY_SE = "Behovsnøgle, standardfejl"
KEY_LOW = "Behovsnøgle, 95 % KI nedre"
KEY_HIGH = "Behovsnøgle, 95 % KI øvre"
#: The external benchmark's 95 % interval of the difference under the model, and the verdict.
EXT_LOW = "Forskel KI nedre (procentpoint)"
EXT_HIGH = "Forskel KI øvre (procentpoint)"
VERDICT = "Vurdering"
NO_COVARIANCE = ("Koefficienttabellen har ingen kovariansmatrix (kolonnerne 'Kov. …'), så fordelingsnøglen får "
                 "intet usikkerhedsinterval. Tabeller fra 'tildeling fit' har den.")


@dataclass
class NeedResult:
    """Everything the municipality's run produces.

    ``pupils`` is pupil level (sensitive): never write it into a shared copy.

    Populations (as in the VIVE note): the municipal figures (``municipal`` = Tabel 4.1, ``power`` = Tabel 3.2,
    ``descriptives`` = Tabel 3.3) count every pupil in grades 0–9, also pupils without a district
    (``without_district`` of them); the district tables (``districts`` = Tabel 5.1, ``external``, ``internal``,
    ``district_descriptives`` = Bilag 3) count only pupils with a district.
    """

    pupils: pd.DataFrame
    districts: pd.DataFrame
    municipal: pd.DataFrame
    external: pd.DataFrame
    internal: pd.DataFrame
    power: Power
    descriptives: pd.DataFrame
    district_descriptives: pd.DataFrame
    coefficients: CoefficientTable
    excluded_grade10: int = 0
    warnings: list[str] = field(default_factory=list)
    without_district: int = 0
    plan: DistrictPlan | None = None
    #: pupil level, in the rows of ``pupils`` (sensitive, for the delivery's disclosure control): each pupil's
    #: budget district ('' = none) and the values behind each row of ``descriptives``
    budget_districts: np.ndarray | None = field(default=None, repr=False)
    descriptive_values: np.ndarray | None = field(default=None, repr=False)
    #: "elever" (computed from pupil rows) or "distriktstal" (from district figures, :mod:`tildeling.need.figures`,
    #: whose checked figures are then in ``figures``; ``coefficients`` is None on that route)
    route: str = "elever"
    figures: object = field(default=None, repr=False)

    @property
    def n_municipal(self) -> int:
        """Pupils in the municipal figures (Tabel 4.1): every pupil in grades 0–9."""
        return int(self.power.n)

    @property
    def n_districts(self) -> int:
        """Pupils in the district tables (Tabel 5.1): pupils in grades 0–9 with a district."""
        return int(np.nansum(self.districts["Elever"].to_numpy(dtype=float)))


def district_table(agg: pd.DataFrame) -> pd.DataFrame:
    """Tabel 5.1 from per-district aggregates.

    Parameters
    ----------
    agg : DataFrame
        ``Distrikt``, optional ``Navn``, ``Elever`` (n_d), ``Forudsagt sandsynlighed`` (p̄_d)
        and optionally ``Faktiske segregerede elever`` (A_d).

    Returns
    -------
    DataFrame with :data:`DISTRICT_COLUMNS` (plus ``Faktiske segregerede elever``,
    ``Forventede segregerede elever``): index_d = p̄_d/p̄·100 with p̄ the pupil-weighted
    mean, expected share k_d = n_d·p̄_d / Σ n_e·p̄_e (the allocation key).
    """
    n = agg["Elever"].to_numpy(dtype=float)
    pbar = agg["Forudsagt sandsynlighed"].to_numpy(dtype=float)
    expected = n * pbar
    total_n = n.sum()
    mean_all = expected.sum() / total_n if total_n else np.nan
    key = expected / expected.sum()
    # the columns are collected first and made into a frame once (adding them one by one costs more than the sums)
    out = {
        "Distrikt": agg["Distrikt"].to_numpy(),
        "Navn": agg["Navn"].to_numpy() if "Navn" in agg else agg["Distrikt"].to_numpy(),
        "Elever": n.astype(np.int64),
        "Andel af elever": n / total_n,
    }
    if "Faktiske segregerede elever" in agg:
        actual = agg["Faktiske segregerede elever"].to_numpy(dtype=float)
        tot = actual.sum()
        out["Faktisk andel af segregerede elever"] = actual / tot if tot else np.full(len(n), np.nan)
    else:
        actual = None
        out["Faktisk andel af segregerede elever"] = np.full(len(n), np.nan)
    out["Forudsagt sandsynlighed"] = pbar
    out["Indeks"] = pbar / mean_all * 100
    out["Behovsnøgle"] = key
    if actual is not None:   # a hidden count (district figures) stays missing
        out["Faktiske segregerede elever"] = actual.astype(np.int64) if np.isfinite(actual).all() else actual
    out["Forventede segregerede elever"] = expected
    if VARIANCE in agg:
        out[VARIANCE] = agg[VARIANCE].to_numpy(dtype=float)
    if KEY_SE in agg:
        se = agg[KEY_SE].to_numpy(dtype=float)
        out[KEY_SE] = se
        out[KEY_LOW] = key - Z95 * se
        out[KEY_HIGH] = key + Z95 * se
    return pd.DataFrame(out)


def key_standard_errors(expected, gradients, cov) -> np.ndarray:
    """SE of each district's key from the coefficients' covariance (delta method, :mod:`.uncertainty`)."""
    return np.sqrt(np.clip(np.diag(key_covariance(expected, gradients, cov)), 0.0, None))


def external_intervals(external: pd.DataFrame, agg: pd.DataFrame) -> pd.DataFrame:
    """Add the 95 % interval of the difference (actual − expected rate) under the model and the verdict.

    ``agg`` has ``Elever``, ``Forudsagt sandsynlighed``, ``Faktiske segregerede elever`` and
    :data:`VARIANCE` (Σ p̂(1 − p̂)) per district; the bounds are fractions like the difference.
    """
    n = agg["Elever"].to_numpy(dtype=float)
    expected = n * agg["Forudsagt sandsynlighed"].to_numpy(dtype=float)
    diff, lower, upper, verdict = benchmark_interval(agg["Faktiske segregerede elever"].to_numpy(dtype=float),
                                                     expected, agg[VARIANCE].to_numpy(dtype=float))
    out = external.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out[EXT_LOW] = np.where(n > 0, lower / np.maximum(n, 1), np.nan)
        out[EXT_HIGH] = np.where(n > 0, upper / np.maximum(n, 1), np.nan)
    out[VERDICT] = verdict
    return out


def municipal_benchmark(n: int, actual: float, expected: float, national_rate: float | None = None) -> pd.DataFrame:
    """Tabel 4.1 as a key/value table (``Nøgletal``, ``Værdi``, ``Enhed``)."""
    rows = []
    if national_rate is not None and np.isfinite(national_rate):
        rows.append(("Henvisningsandel, hele landet", national_rate, "andel"))
    rows += [
        ("Elever i 0.-9. klasse", n, "elever"),
        ("Faktisk antal segregerede elever", actual, "elever"),
        ("Faktisk henvisningsandel", actual / n, "andel"),
        ("Forventet antal segregerede elever", expected, "elever"),
        ("Forventet henvisningsandel", expected / n, "andel"),
        ("Forskel, elever (faktisk − forventet)", actual - expected, "elever"),
        ("Forskel, procentpoint", (actual - expected) / n, "procentpoint"),
        ("Forskel i % af forventet", actual / expected - 1, "andel"),
    ]
    return pd.DataFrame(rows, columns=["Nøgletal", "Værdi", "Enhed"])


def _check_ids(pupils: pd.DataFrame, source: Source) -> None:
    ids = pupils[col.PUPIL_ID]
    blank = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        raise InputError("tom celle – alle elever skal have et ElevID.", source=source, column=col.PUPIL_ID,
                         rows=source.rows(np.flatnonzero(blank)))
    keys = normalise_codes(ids)
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        pos = np.flatnonzero(dup)
        examples = sorted(set(keys.iloc[pos[:20]]))
        raise InputError(f"ElevID {format_names(examples)} står flere gange – hver elev må kun have én række.",
                         source=source, column=col.PUPIL_ID, rows=source.rows(pos))


def apply_model(
    pupils: pd.DataFrame,
    coefs: CoefficientTable,
    districts: pd.DataFrame | None = None,
    *,
    source: Source | None = None,
    district_source: Source | None = None,
    plan: pd.DataFrame | DistrictPlan | None = None,
    plan_source: Source | None = None,
    design: np.ndarray | None = None,
    check_outliers: bool = True,
) -> NeedResult:
    """Compute every Part 1 result for one municipality.

    Parameters
    ----------
    pupils : DataFrame
        ``ElevID``, ``Distrikt``, ``Klassetrin``, ``Segregeret`` and the model's variables. A pupil whose
        ``Distrikt`` is blank counts in the municipal figures (Tabel 4.1, 3.2, 3.3) but not in the district
        tables.
    coefs : CoefficientTable
    districts : DataFrame, optional
        ``Distrikt`` (code) and ``Navn``. When given, every pupil's district must be
        listed, and the tables follow its order; districts without pupils are reported.
    plan : DataFrame or DistrictPlan, optional
        A district plan (:mod:`tildeling.need.plan`): residence district and grades → budget district.
        The district tables count pupils in their budget district.
    design : ndarray, optional
        The design matrix of ``pupils`` (every row, in order), when the caller has already built and checked
        it – e.g. once for a whole national file before applying the model municipality by municipality.
    check_outliers : bool, default True
        Add :func:`~tildeling.model.design.outlier_warnings` to the result's warnings. ``tildeling export`` does
        not show the result's warnings (a delivery carries its own), so it leaves them out.
    """
    source = source or Source("Elevdata")
    district_source = district_source or Source("Distriktstabellen")
    if len(pupils) == 0:
        raise InputError("indeholder ingen elever – indsæt mindst én elev.", source=source)
    # Every problem of the pupil data, the district table and the plan is collected and reported at once.
    problems = Problems()
    check_required_columns(pupils, [col.PUPIL_ID, col.DISTRICT, col.GRADE, col.OUTCOME], source)
    problems.attempt(_check_ids, pupils, source)
    try:
        data, src, excluded = model_rows(pupils, source)
    except InputError as exc:  # a bad grade: report it, and check the rest on every row
        problems.add(exc)
        data, src, excluded = pupils, source, 0
    if len(data) == 0:
        raise InputError("indeholder ingen elever i 0.-9. klasse.", source=source, column=col.GRADE)
    residence = normalise_codes(data[col.DISTRICT])
    warnings: list[str] = []
    if districts is not None:
        check_required_columns(districts, ["Distrikt"], district_source)
        dlist = normalise_codes(districts["Distrikt"])
        dblank = (dlist == "").to_numpy()
        if dblank.any():
            problems.add(InputError("tom distriktskode.", source=district_source, column="Distrikt",
                                    rows=district_source.rows(np.flatnonzero(dblank))))
        ddup = dlist.duplicated(keep=False).to_numpy() & ~dblank
        if ddup.any():
            problems.add(InputError("samme distriktskode står flere gange.", source=district_source,
                                    column="Distrikt", rows=district_source.rows(np.flatnonzero(ddup))))
        known = set(dlist) - {""}
        unknown = (~residence.isin(known) & (residence != "")).to_numpy()
        if unknown.any():
            pos = np.flatnonzero(unknown)
            codes = sorted(set(residence.iloc[pos]))
            problems.add(InputError(
                f"ukendt distrikt {format_names(codes)} – tilføj det i distriktstabellen eller ret koden. "
                f"Kendte distrikter: {format_names(sorted(known), limit=10)}.",
                source=src, column=col.DISTRICT, rows=src.rows(pos)))
        names = dict(zip(dlist, districts["Navn"].astype(str) if "Navn" in districts else dlist))
        order = list(dict.fromkeys(c for c in dlist if c != ""))
    else:
        known = set(residence) - {""}
        order = sorted(known, key=lambda c: (len(c), c))
        names = {c: c for c in order}
    if plan is not None and not isinstance(plan, DistrictPlan):
        plan = problems.attempt(read_plan, plan, known, plan_source or Source("Distriktsplanen"))
    dcode = residence
    if plan:
        grade = problems.attempt(numeric_column, data, col.GRADE, src)
        if grade is not None:
            dcode = pd.Series(plan.assign(residence.to_numpy(), grade.astype(np.int64)), index=residence.index,
                              dtype=object)
    else:
        plan = None
    blank = (dcode == "").to_numpy()
    without = int(blank.sum())
    if without == len(dcode):
        problems.add(InputError("ingen elever i 0.-9. klasse har et distrikt – udfyld kolonnen med elevernes "
                                "bopælsdistrikt.", source=src, column=col.DISTRICT))
    if districts is not None:
        present = set(dcode)
        empty = [c for c in order if c not in present]
        if empty:
            warnings.append(f"Distrikt {format_names(empty)} har ingen elever i 0.-9. klasse og får nøgle 0.")
    if excluded:
        warnings.append(f"{excluded} elever i 10. klasse er udeladt, som i VIVE-notatet.")
    if without:
        warnings.append(f"{dk.integer(without)} {'elev' if without == 1 else 'elever'} uden distrikt tælles med i "
                        "kommunens tal (Tabel 4.1, forklaringskraft og Tabel 3.3), men ikke i distrikternes "
                        "(Tabel 5.1, benchmarks pr. distrikt og Bilag 3).")
    if plan is not None:
        moved = int((dcode != residence).sum())
        warnings.append(f"Distriktsplanen flytter {dk.integer(moved)} elever til et andet budgetdistrikt: "
                        + "; ".join(plan.describe()) + ".")

    if design is None:
        X = problems.attempt(design_matrix, data, coefs.spec, src)
    else:
        X = design if not excluded else design[numeric_column(pupils, col.GRADE, source) <= 9]
    y = problems.attempt(outcome, data, src)
    problems.raise_if_any()
    if check_outliers:
        warnings += outlier_warnings(data, coefs.spec, coefs.coefficients, src)
    p = expit(X @ coefs.coefficients)

    group = pd.Index(order).get_indexer(dcode.to_numpy())    # each pupil's district in ``order``; -1: none
    inside = group >= 0
    g_n = np.bincount(group[inside], minlength=len(order)).astype(float)
    g_p = np.bincount(group[inside], weights=p[inside], minlength=len(order))
    g_y = np.bincount(group[inside], weights=y[inside], minlength=len(order))
    g_v = np.bincount(group[inside], weights=p[inside] * (1.0 - p[inside]), minlength=len(order))
    agg = pd.DataFrame({
        "Distrikt": order,
        "Navn": [names[c] for c in order],
        "Elever": g_n,
        "Forudsagt sandsynlighed": np.divide(g_p, g_n, out=np.zeros(len(order)), where=g_n > 0),
        "Faktiske segregerede elever": g_y,
    })
    agg[VARIANCE] = g_v
    if coefs.covariance is not None:
        agg[KEY_SE] = key_standard_errors(agg["Elever"].to_numpy() * agg["Forudsagt sandsynlighed"].to_numpy(),
                                          district_gradients(X[inside], p[inside], group[inside], len(order)),
                                          coefs.covariance)
    else:
        warnings.append(NO_COVARIANCE)
    dist = district_table(agg)

    n_all, A, E = len(p), float(y.sum()), float(p.sum())
    nat = coefs.metadata.get("Landsandel segregerede")
    national_rate = _intercept_mean(coefs) if nat is None else _to_float(nat)
    municipal = municipal_benchmark(n_all, A, E, national_rate)

    rate_actual = np.divide(agg["Faktiske segregerede elever"].to_numpy(), agg["Elever"].to_numpy(),
                            out=np.full(len(order), np.nan), where=agg["Elever"].to_numpy() > 0)
    external = pd.DataFrame({
        "Distrikt": order, "Navn": agg["Navn"],
        "Elever": dist["Elever"],
        "Forventet henvisningsandel": dist["Forudsagt sandsynlighed"],
        "Faktisk henvisningsandel": rate_actual,
        "Forskel (procentpoint)": rate_actual - dist["Forudsagt sandsynlighed"].to_numpy(),
    })
    external = external_intervals(external, agg)
    internal = pd.DataFrame({
        "Distrikt": order, "Navn": agg["Navn"],
        "Behovsnøgle": dist["Behovsnøgle"],
        "Faktisk andel": dist["Faktisk andel af segregerede elever"],
        "Forskel (procentpoint)": dist["Faktisk andel af segregerede elever"] - dist["Behovsnøgle"],
    })
    power = explanatory_power(y, p)
    desc, ddesc, dvalues = _descriptives(data, X, coefs, group, order, names, src, warnings=warnings)

    pupil_out = pd.DataFrame({
        col.PUPIL_ID: normalise_codes(data[col.PUPIL_ID]).to_numpy(),
        col.DISTRICT: residence.to_numpy(),
        col.GRADE: numeric_column(data, col.GRADE, src).astype(np.int64),
        col.OUTCOME: y.astype(np.int64),
        "Sandsynlighed": p,
    })
    if plan is not None:
        pupil_out.insert(2, "Budgetdistrikt", dcode.to_numpy())
    return NeedResult(pupil_out, dist, municipal, external, internal, power, desc, ddesc, coefs, excluded, warnings,
                      without, plan, budget_districts=dcode.to_numpy(), descriptive_values=dvalues)


def _to_float(v) -> float | None:
    try:
        return float(str(v).replace(",", "."))
    except ValueError:
        return None


def _intercept_mean(coefs: CoefficientTable) -> float | None:
    t = coefs.table
    if col.NATIONAL_MEAN not in t:
        return None
    row = t[(t[col.VARIABLE] == INTERCEPT)]
    v = row[col.NATIONAL_MEAN].iloc[0] if len(row) else np.nan
    return _to_float(v)


def _descriptives(data, X, coefs: CoefficientTable, group, order, names, src, top: int = 10, *,
                  warnings: list | None = None):
    """Tabel 3.3 (municipality vs nation) and Bilag 3 (per district) on the top design columns.

    ``group``: each pupil's position in ``order`` (-1 = no district: in Tabel 3.3, not in Bilag 3).
    The top columns are those with the largest relative weight (its size: a sign, as in the
    note's "−21,3 %", is the direction, not less importance). A variable with a display column
    (parents' education and ISEI) is shown uncorrected when the pupils have that column;
    otherwise its model value (age-corrected, centred near 0) is shown and a warning says so.
    "Forskel (i % af landstal)" is given only for a variable that is never negative and has a
    positive national value: for a centred variable it would divide by about 0.
    """
    t = coefs.table.reset_index(drop=True)
    rows = list(range(1, len(t)))  # skip intercept
    if col.WEIGHT in t and t[col.WEIGHT].notna().any():
        w = pd.to_numeric(t[col.WEIGHT], errors="coerce").fillna(0.0).abs().to_numpy()
        rows = sorted(rows, key=lambda i: -w[i])
    rows = rows[:top]
    has_nat = col.NATIONAL_MEAN in t
    has_disp = col.DISPLAY_NATIONAL_MEAN in t
    recs, per_district, used, corrected = [], [], [], []
    for i in rows:
        var_key, cat = t.at[i, col.VARIABLE], t.at[i, col.CATEGORY]
        var = coefs.spec[var_key]
        values = X[:, i]
        unit = "Andel" if (cat or var.type is VarType.BINARY) else (var.unit or "")
        label = var.label + (f": {cat}" if cat else "")
        national = _to_float(t.at[i, col.NATIONAL_MEAN]) if has_nat else None
        if var.display_key and has_disp:
            disp_nat = _to_float(t.at[i, col.DISPLAY_NATIONAL_MEAN])
            if disp_nat is not None and np.isfinite(disp_nat):
                if var.display_key in data.columns:
                    values = numeric_column(data, var.display_key, src, allow_missing=True)
                    national = disp_nat
                    unit = var.display_unit or unit
                    label = label.replace("alderskorrigerede ", "")
                else:
                    corrected.append(var.display_key)
        mean = float(np.nanmean(values))
        has_national = national is not None and np.isfinite(national)
        diff = mean - national if has_national else np.nan
        ratio_scale = has_national and national > 0 and not bool(np.nanmin(values) < 0) if len(values) else False
        recs.append({
            "Variabel": var_key, "Kategori": cat, "Beskrivelse": label, "Enhed": unit,
            "Kommunen": mean, "Hele landet": national if national is not None else np.nan,
            "Forskel (i enheden)": diff,
            "Forskel (i % af landstal)": diff / national if ratio_scale else np.nan,
        })
        per_district.append(_group_means(values, group, len(order)))
        used.append(np.asarray(values, dtype=float))
    if corrected and warnings is not None:
        warnings.append(
            f"Elevdata har ikke {'kolonnen' if len(corrected) == 1 else 'kolonnerne'} {format_names(corrected)} "
            "(forældrenes ukorrigerede uddannelse og jobprestige), så Beskrivende viser de alderskorrigerede "
            "værdier, som modellen bruger (afvigelsen fra det forventede for forælderens alder, omkring 0 på "
            "landsplan), og ingen forskel i procent af landstallet for dem.")
    desc = pd.DataFrame(recs)
    ddesc = pd.DataFrame(np.array(per_district).reshape(len(rows), len(order)),
                         columns=[names[c] for c in order])
    ddesc.insert(0, "Enhed", desc["Enhed"] if len(desc) else [])
    ddesc.insert(0, "Beskrivelse", desc["Beskrivelse"] if len(desc) else [])
    values = np.column_stack(used) if used else np.empty((len(group), 0))
    return desc, ddesc, values


def _group_means(values, group, k: int) -> np.ndarray:
    """The mean of ``values`` in each of ``k`` groups (missing values left out; NaN for an empty group)."""
    values = np.asarray(values, dtype=float)
    ok = (group >= 0) & np.isfinite(values)
    count = np.bincount(group[ok], minlength=k)
    total = np.bincount(group[ok], weights=values[ok], minlength=k)
    return np.divide(total, count, out=np.full(k, np.nan), where=count > 0)
