"""The district-figures route: every result the budget officer needs, from a delivery's aggregates.

A budget officer does not hold pupil data. The analyst's delivery (:mod:`tildeling.need.delivery`) – or figures
the officer types in – gives per district the number of pupils *n*_d, the expected number of pupils in
segregated special education *E*_d = Σ p̂ᵢ (full precision) and the actual number *A*_d (possibly hidden), and
for the municipality as a whole *N*, *E*, *A*, the pupils without a district and the national rate.
:func:`figures_from_tables` checks such tables (sheet, column and row in every message, all problems at once);
:func:`result_from_figures` turns them into the same :class:`~tildeling.need.apply.NeedResult` the pupil route
gives: on the same pupils the key is identical (p̄_d = *E*_d / *n*_d, *k*_d = *E*_d / Σ *E*).

A hidden count (``<5``, ``..``) stays unknown: the figures derived from it (rates, shares, differences) are
missing (NaN), and so is every district's share of the actual pupils when any district's count is hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import danish as dk
from ..errors import InputError, Problems, Source, format_names
from ..model.power import Power
from .apply import KEY_SE, VARIANCE, NeedResult, district_table, external_intervals, municipal_benchmark
from .codes import normalise_code, normalise_codes
from .delivery import DISTRICT_DESCRIPTIVES_COLUMNS, POWER_COLUMNS, UNCERTAINTY_COLUMNS, VARIANCE_FIGURE

__all__ = ["DistrictFigures", "figures_from_tables", "result_from_figures", "same_municipality", "is_hidden",
           "ROUTE_PUPILS", "ROUTE_FIGURES"]

ROUTE_PUPILS = "elever"
ROUTE_FIGURES = "distriktstal"
#: How much the expected numbers may differ from their sums (a delivery's floats, written and read back).
TOLERANCE = 1e-6

NO_VARIANCE = (f"Distriktstallene har ingen kolonne '{VARIANCE_FIGURE}' (eller den er ikke udfyldt for alle "
               "distrikter), så den eksterne benchmarking får intet 95 %-interval. Leverancer fra 'tildeling export' "
               "har den.")
NO_KEY_SE = (f"Distriktstallene har ingen kolonne '{KEY_SE}' (eller den er ikke udfyldt for alle distrikter), så "
             "fordelingsnøglen får intet usikkerhedsinterval. Leverancer fra 'tildeling export' med en "
             "koefficienttabel med kovariansmatrix har den.")

_MARKER = re.compile(r"^\s*(<\s*\d+|\.\.)\s*$")


def is_hidden(value) -> bool:
    """A hidden figure of a delivery: ``<5`` (any ``<N``) or ``..``."""
    return isinstance(value, str) and bool(_MARKER.match(value))


@dataclass
class DistrictFigures:
    """Checked district figures (a delivery's or typed in)."""

    districts: pd.DataFrame               # Distrikt, Navn, Elever, Forventede elever, Faktiske elever (NaN = hidden)
    markers: dict[str, str]               # district code → how its hidden actual count is shown ('<5', '..')
    n_municipal: int
    expected_municipal: float
    actual_municipal: float               # NaN when hidden or unknown
    actual_marker: str = ""
    without_district: int = 0
    national_rate: float | None = None
    municipality: str = ""                # code
    municipality_name: str = ""
    metadata: dict = field(default_factory=dict)   # tblLeverance
    power: pd.DataFrame | None = None     # tblLeveranceForklaringskraft
    descriptives: pd.DataFrame | None = None
    district_descriptives: pd.DataFrame | None = None   # long (DISTRICT_DESCRIPTIVES_COLUMNS)
    suppressed: pd.DataFrame | None = None
    from_delivery: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def demo(self) -> bool:
        return str(self.metadata.get("Demonstrationskoefficienter", "")).strip().lower() == "ja"

    @property
    def threshold(self) -> int | None:
        try:
            return int(float(self.metadata.get("Mindste celle", "")))
        except ValueError:
            return None


class _Problems(Problems):
    """Problems of the district figures, added by (source, column, rows, message) and raised all at once."""

    def add(self, source, column=None, rows=(), message: str | None = None) -> None:   # noqa: D401
        if isinstance(source, InputError):
            super().add(source)
        else:
            super().add(InputError(message, source=source, column=column, rows=list(rows)))


def _numbers(frame: pd.DataFrame, column: str, source: Source, problems: _Problems, *, whole: bool,
             allow_hidden: bool = False, allow_blank: bool = False):
    """A column as floats (NaN for blank or hidden), and the markers of hidden cells by position."""
    values = np.full(len(frame), np.nan)
    markers: dict[int, str] = {}
    bad_text, bad_whole, blank, negative = [], [], [], []
    other: dict[str, list[int]] = {}      # other reasons (an ambiguous "4.562", a date …) by message
    point = dk.uses_decimal_point(frame[column].tolist())   # the column's convention (the one number parser)
    for i, v in enumerate(frame[column].tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            blank.append(i)
            continue
        if allow_hidden and is_hidden(v):
            markers[i] = re.sub(r"\s+", "", v)
            continue
        try:
            x = dk.cell_number(v, point_column=point)
        except dk.NumberError as exc:
            reason = str(exc)
            if reason.endswith("er ikke et tal") or isinstance(v, (bool, np.bool_)):
                bad_text.append(i)
            else:
                other.setdefault(reason, []).append(i)
            continue
        if x is None:
            blank.append(i)
            continue
        if not np.isfinite(x):
            bad_text.append(i)
        elif x < 0:
            negative.append(i)
        elif whole and not float(x).is_integer():
            bad_whole.append(i)
        else:
            values[i] = x
    hint = " eller '<5'/'..' for et skjult tal" if allow_hidden else ""
    for reason, rows in other.items():
        problems.add(source, column, source.rows(rows), reason + ".")
    if bad_text:
        examples = format_names(sorted({str(frame[column].iloc[i]) for i in bad_text[:3]}))
        problems.add(source, column, source.rows(bad_text), f"tekst ({examples}) hvor der skal stå et tal{hint}.")
    if negative:
        problems.add(source, column, source.rows(negative), "et antal kan ikke være negativt.")
    if bad_whole:
        problems.add(source, column, source.rows(bad_whole), "et antal elever skal være et helt tal.")
    if blank and not allow_blank:
        problems.add(source, column, source.rows(blank), f"tom celle – skriv et tal{hint}.")
    return values, markers


def _meta(frame: pd.DataFrame | None) -> dict:
    if frame is None or not {"Nøgle", "Værdi"} <= set(frame.columns):
        return {}
    return {str(k).strip(): ("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
            for k, v in zip(frame["Nøgle"], frame["Værdi"]) if k is not None and str(k).strip()}


def figures_from_tables(frames: dict[str, pd.DataFrame], sources: dict[str, Source]) -> DistrictFigures:
    """Check the district-figures tables and return them.

    ``frames``: ``tblDistriktstal`` (required) and, when present, ``tblKommunetal``, ``tblLeverance``,
    ``tblLeveranceForklaringskraft``, ``tblLeveranceBeskrivende``, ``tblLeveranceBeskrivendeDistrikter``,
    ``tblSkjulteTal``. Every problem is reported at once with sheet, column and row; the totals in
    ``tblKommunetal`` must add up with the districts (a delivery edited by hand is caught here).
    """
    problems = _Problems()
    d = frames["tblDistriktstal"]
    dsrc = sources.get("tblDistriktstal", Source("Distriktstallene"))
    d = d.copy()
    d.columns = [str(c).strip() for c in d.columns]
    missing = [c for c in ("Distrikt", "Elever", "Forventede elever") if c not in d.columns]
    if missing:
        raise InputError(f"mangler {'kolonnen' if len(missing) == 1 else 'kolonnerne'} {format_names(missing)}. "
                         "Distriktstal har kolonnerne 'Distrikt', 'Navn', 'Elever', 'Forventede elever' og "
                         "'Faktiske elever'.", source=dsrc)
    filled = d.notna().any(axis=1).to_numpy() if len(d) else np.zeros(0, dtype=bool)
    keep = np.flatnonzero(filled)
    if not len(keep):
        raise InputError("har ingen distrikter – indlæs en leverance eller skriv distrikternes tal.", source=dsrc)
    d = d.iloc[: keep[-1] + 1].reset_index(drop=True)
    codes = normalise_codes(d["Distrikt"])
    blank = np.flatnonzero((codes == "").to_numpy())
    if len(blank):
        problems.add(dsrc, "Distrikt", dsrc.rows(blank), "tom distriktskode.")
    dup = np.flatnonzero((codes.duplicated(keep=False) & (codes != "")).to_numpy())
    if len(dup):
        problems.add(dsrc, "Distrikt", dsrc.rows(dup), "samme distriktskode står flere gange.")
    n, _ = _numbers(d, "Elever", dsrc, problems, whole=True)
    E, _ = _numbers(d, "Forventede elever", dsrc, problems, whole=False)
    uncertainty = {column: _numbers(d, column, dsrc, problems, whole=False, allow_blank=True)[0]
                   for column in UNCERTAINTY_COLUMNS if column in d.columns}
    if "Faktiske elever" in d.columns:
        A, hidden = _numbers(d, "Faktiske elever", dsrc, problems, whole=True, allow_hidden=True, allow_blank=True)
    else:
        A, hidden = np.full(len(d), np.nan), {}
    over = np.flatnonzero(E > n + TOLERANCE)
    if len(over):
        problems.add(dsrc, "Forventede elever", dsrc.rows(over),
                     "flere forventede elever end elever i distriktet – tallene hænger ikke sammen.")
    over = np.flatnonzero(A > n)
    if len(over):
        problems.add(dsrc, "Faktiske elever", dsrc.rows(over), "flere faktiske elever end elever i distriktet.")
    names = d["Navn"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()) \
        if "Navn" in d.columns else codes
    names = [nm or code for nm, code in zip(names, codes)]
    problems.raise_if_any()
    if np.nansum(n) <= 0 or np.nansum(E) <= 0:
        raise InputError("ingen elever eller ingen forventede elever i distrikterne – der er intet at fordele efter.",
                         source=dsrc, column="Forventede elever")

    meta = _meta(frames.get("tblLeverance"))
    # --- the municipality as a whole ----------------------------------------------------------------------
    N_mun, E_mun, A_mun, none, rate, marker = int(np.nansum(n)), float(np.nansum(E)), np.nan, 0, None, ""
    code, name = meta.get("Kommune", ""), meta.get("Kommunenavn", "")
    m = frames.get("tblKommunetal")
    msrc = sources.get("tblKommunetal", Source("Kommunetallene"))
    if m is not None:
        m = m.copy()
        m.columns = [str(c).strip() for c in m.columns]
        m = m[m.notna().any(axis=1)].reset_index(drop=True)
    if m is not None and len(m):
        if len(m) > 1:
            problems.add(msrc, None, msrc.rows(range(1, len(m))), "kommunetallene skal stå i én række.")
        m = m.iloc[:1]
        need = [c for c in ("Elever", "Forventede elever") if c not in m.columns]
        if need:
            raise InputError(f"mangler {'kolonnen' if len(need) == 1 else 'kolonnerne'} {format_names(need)}.",
                             source=msrc)
        mn, _ = _numbers(m, "Elever", msrc, problems, whole=True)
        me, _ = _numbers(m, "Forventede elever", msrc, problems, whole=False)
        ma, mhidden = (_numbers(m, "Faktiske elever", msrc, problems, whole=True, allow_hidden=True,
                                allow_blank=True) if "Faktiske elever" in m.columns else (np.array([np.nan]), {}))
        mnone, _ = (_numbers(m, "Elever uden distrikt", msrc, problems, whole=True, allow_blank=True)
                    if "Elever uden distrikt" in m.columns else (np.array([np.nan]), {}))
        mrate, _ = (_numbers(m, "Landsandel segregerede", msrc, problems, whole=False, allow_blank=True)
                    if "Landsandel segregerede" in m.columns else (np.array([np.nan]), {}))
        problems.raise_if_any()
        N_mun, E_mun = int(mn[0]), float(me[0])
        none = int(mnone[0]) if np.isfinite(mnone[0]) else N_mun - int(np.nansum(n))
        A_mun, marker = float(ma[0]), mhidden.get(0, "")
        rate = float(mrate[0]) if np.isfinite(mrate[0]) else None
        code = normalise_code(m["Kommune"].iloc[0]) if "Kommune" in m.columns else code
        name = (str(m["Navn"].iloc[0]).strip() if "Navn" in m.columns and m["Navn"].notna().iloc[0] else name)
        # --- does it add up? ---
        sum_n, sum_E = int(np.nansum(n)), float(np.nansum(E))
        if N_mun != sum_n + none:
            problems.add(msrc, "Elever", [msrc.first_row],
                         f"kommunens {dk.integer(N_mun)} elever er ikke distrikternes {dk.integer(sum_n)} plus "
                         f"{dk.integer(none)} uden distrikt – tallene hænger ikke sammen. Er leverancen rettet "
                         "efter, den blev lavet? Indlæs den oprindelige leverance.")
        scale = max(1.0, abs(E_mun))
        if E_mun < sum_E - TOLERANCE * scale or E_mun > sum_E + none + TOLERANCE * scale:
            problems.add(msrc, "Forventede elever", [msrc.first_row],
                         f"kommunens forventede elever ({dk.number(E_mun, 3)}) passer ikke med distrikternes "
                         f"({dk.number(sum_E, 3)}) – tallene hænger ikke sammen. Er leverancen rettet efter, den blev "
                         "lavet? Indlæs den oprindelige leverance.")
        if none == 0 and abs(E_mun - sum_E) > TOLERANCE * scale:
            problems.add(msrc, "Forventede elever", [msrc.first_row],
                         f"uden elever uden distrikt skal kommunens forventede elever ({dk.number(E_mun, 3)}) være "
                         f"summen af distrikternes ({dk.number(sum_E, 3)}).")
        shown = A[np.isfinite(A)]
        if np.isfinite(A_mun):
            if A_mun > N_mun:
                problems.add(msrc, "Faktiske elever", [msrc.first_row], "flere faktiske elever end elever.")
            if shown.sum() > A_mun:
                problems.add(msrc, "Faktiske elever", [msrc.first_row],
                             f"kommunens {dk.integer(A_mun)} faktiske elever er færre end distrikternes "
                             f"{dk.integer(shown.sum())} – tallene hænger ikke sammen.")
            elif none == 0 and not hidden and shown.sum() != A_mun and len(shown) == len(A):
                problems.add(msrc, "Faktiske elever", [msrc.first_row],
                             f"kommunens {dk.integer(A_mun)} faktiske elever er ikke summen af distrikternes "
                             f"{dk.integer(shown.sum())} – tallene hænger ikke sammen.")
        if rate is not None and not 0 <= rate <= 1:
            problems.add(msrc, "Landsandel segregerede", [msrc.first_row],
                         "landsandelen skal være en brøk mellem 0 og 1 (fx 0,039).")
    elif len(hidden) == 0 and np.isfinite(A).all():
        A_mun = float(A.sum())
    problems.raise_if_any()
    lev = meta.get("Kommune")
    if lev and code and normalise_code(lev) != code:
        raise InputError(f"tblLeverance siger kommune '{lev}', tblKommunetal siger '{code}' – tallene er fra to "
                         "forskellige leverancer. Indlæs leverancen igen.", source=msrc, column="Kommune")
    districts = pd.DataFrame({"Distrikt": codes.tolist(), "Navn": names, "Elever": n, "Forventede elever": E,
                              "Faktiske elever": A})
    for column, values in uncertainty.items():
        if np.isfinite(values).all():   # all districts, or the interval is left out
            districts[column] = values
    markers = {codes.iloc[i]: mk for i, mk in hidden.items()}
    return DistrictFigures(
        districts=districts, markers=markers, n_municipal=N_mun, expected_municipal=E_mun, actual_municipal=A_mun,
        actual_marker=marker, without_district=none, national_rate=rate, municipality=code,
        municipality_name=name, metadata=meta, power=frames.get("tblLeveranceForklaringskraft"),
        descriptives=frames.get("tblLeveranceBeskrivende"),
        district_descriptives=frames.get("tblLeveranceBeskrivendeDistrikter"),
        suppressed=frames.get("tblSkjulteTal"), from_delivery=bool(meta))


def _norm(text: str) -> str:
    text = re.sub(r"\(.*?\)", "", str(text)).casefold()
    return re.sub(r"\s+", " ", text.replace("kommune", "")).strip()


def same_municipality(setting: str, figures: DistrictFigures) -> bool:
    """Is the workbook's ``Kommune`` setting the delivery's municipality (by name or code)? Blank: yes."""
    if not str(setting or "").strip() or not (figures.municipality or figures.municipality_name):
        return True
    wanted = _norm(setting)
    return wanted in {_norm(figures.municipality_name), _norm(figures.municipality)} - {""}


def _float(v) -> float:
    if v is None or is_hidden(v):
        return np.nan
    try:
        return float(str(v).replace(",", ".")) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        return np.nan


def result_from_figures(fig: DistrictFigures) -> NeedResult:
    """The pupil route's :class:`NeedResult`, from district figures (no pupil rows, no coefficients)."""
    d = fig.districts
    n = d["Elever"].to_numpy(dtype=float)
    E = d["Forventede elever"].to_numpy(dtype=float)
    A = d["Faktiske elever"].to_numpy(dtype=float)
    pbar = np.divide(E, n, out=np.zeros(len(n)), where=n > 0)
    agg = pd.DataFrame({"Distrikt": d["Distrikt"], "Navn": d["Navn"], "Elever": n, "Forudsagt sandsynlighed": pbar,
                        "Faktiske segregerede elever": A})
    warnings = list(fig.warnings)
    if VARIANCE_FIGURE in d.columns:
        agg[VARIANCE] = d[VARIANCE_FIGURE].to_numpy(dtype=float)
    else:
        warnings.append(NO_VARIANCE)
    if KEY_SE in d.columns:
        agg[KEY_SE] = d[KEY_SE].to_numpy(dtype=float)
    else:
        warnings.append(NO_KEY_SE)
    dist = district_table(agg)
    dist["Forventede segregerede elever"] = E        # exactly as delivered (n·p̄ may differ in the last digit)
    municipal = municipal_benchmark(fig.n_municipal, fig.actual_municipal, fig.expected_municipal,
                                    fig.national_rate)
    rate_actual = np.divide(A, n, out=np.full(len(n), np.nan), where=n > 0)
    external = pd.DataFrame({
        "Distrikt": d["Distrikt"], "Navn": d["Navn"], "Elever": dist["Elever"],
        "Forventet henvisningsandel": pbar, "Faktisk henvisningsandel": rate_actual,
        "Forskel (procentpoint)": rate_actual - pbar,
    })
    if VARIANCE in agg:
        external = external_intervals(external, agg)
    internal = pd.DataFrame({
        "Distrikt": d["Distrikt"], "Navn": d["Navn"], "Behovsnøgle": dist["Behovsnøgle"],
        "Faktisk andel": dist["Faktisk andel af segregerede elever"],
        "Forskel (procentpoint)": dist["Faktisk andel af segregerede elever"] - dist["Behovsnøgle"],
    })
    lowest = highest = auc = np.nan
    if fig.power is not None and len(fig.power) and set(POWER_COLUMNS) <= set(fig.power.columns):
        first = fig.power.iloc[0]
        lowest, highest, auc = (_float(first[c]) for c in POWER_COLUMNS[1:])
    A_mun = fig.actual_municipal
    power = Power(n=int(fig.n_municipal), recipients=int(A_mun) if np.isfinite(A_mun) else -1, lowest=lowest,
                  highest=highest, auc=auc, deciles=pd.DataFrame())
    desc = fig.descriptives.copy() if fig.descriptives is not None else pd.DataFrame()
    ddesc = _wide_descriptives(fig, desc)
    if fig.markers or fig.actual_marker:
        warnings.append("Nogle faktiske antal er skjulte i leverancen (færre end grænsen, eller for at et skjult tal "
                        "ikke kan regnes ud); tal beregnet ud fra dem vises som '..'.")
    if fig.without_district:
        warnings.append(f"{dk.integer(fig.without_district)} elever uden distrikt tælles med i kommunens tal "
                        "(Tabel 4.1), men ikke i distrikternes.")
    return NeedResult(pd.DataFrame(columns=["ElevID", "Distrikt", "Klassetrin", "Segregeret", "Sandsynlighed"]),
                      dist, municipal, external, internal, power, desc, ddesc, None, 0, warnings,
                      fig.without_district, None, route=ROUTE_FIGURES, figures=fig)


def _wide_descriptives(fig: DistrictFigures, desc: pd.DataFrame) -> pd.DataFrame:
    """Bilag 3 as the pupil route shows it: Beskrivelse, Enhed and one column per district (by name)."""
    names = fig.districts["Navn"].tolist()
    long = fig.district_descriptives
    if long is None or not len(long) or not set(DISTRICT_DESCRIPTIVES_COLUMNS) <= set(long.columns) or not len(desc):
        return pd.DataFrame(columns=["Beskrivelse", "Enhed", *names])
    long = long.assign(Distrikt=normalise_codes(long["Distrikt"]))
    rows = []
    for _, r in desc.iterrows():
        sel = long[long["Beskrivelse"].astype(str) == str(r.get("Beskrivelse"))]
        by_code = dict(zip(sel["Distrikt"], sel["Gennemsnit"]))
        rows.append([r.get("Beskrivelse"), r.get("Enhed")] + [by_code.get(c) for c in fig.districts["Distrikt"]])
    return pd.DataFrame(rows, columns=["Beskrivelse", "Enhed", *names])
