"""The analyst's delivery: a municipality's district figures, aggregates only, disclosure-controlled.

``tildeling export`` runs where the pupil data are (Statistics Denmark's research machines, VIVE, a consultancy,
the municipality's analyst). It applies the model (:func:`~tildeling.need.apply.apply_model`) and hands on
what the budget officer's workbook needs to compute the key, the benchmarks and – where the threshold allows –
the capture rates and descriptives. No pupil row, no pupil ID and no count of 1 to N − 1 persons leaves.

Disclosure control (``threshold`` = N, 3–10, default 5):

* a district with 1 to N − 1 pupils, or 1 to N − 1 pupils without a district, stops the export (their number
  would follow from the municipality's total);
* every count of persons that is, or whose complement within its row is, 1 to N − 1 is hidden (primary);
* every figure derived from a hidden count is hidden (shares, rates, means, differences);
* further counts are hidden (secondary) until no hidden count can be narrowed down from the totals
  (:mod:`tildeling.privacy.margins`);
* every hidden cell is listed with its rule (:attr:`Delivery.suppressed`).

Hidden counts under N are shown as ``<N``; every other hidden figure as ``..``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from .. import __version__
from .. import danish as dk
from ..errors import InputError, format_names
from ..privacy.margins import (COMPLEMENT, DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD, PRIMARY, SECONDARY,
                               protect_counts, protect_means, sensitivity)
from .apply import KEY_SE, VARIANCE, NeedResult

__all__ = ["Delivery", "make_delivery", "check_threshold", "hidden_marker", "OTHER_HIDDEN",
           "DISTRICT_FIGURES_COLUMNS", "MUNICIPAL_FIGURES_COLUMNS", "POWER_COLUMNS", "SUPPRESSED_COLUMNS",
           "DISTRICT_DESCRIPTIVES_COLUMNS", "VARIANCE_FIGURE", "UNCERTAINTY_COLUMNS", "FORMAT", "rule_text", "DERIVED"]

#: Version of the delivery format (tblLeverance: Format).
FORMAT = "tildeling-leverance 1"

#: tblDistriktstal, a contract.
DISTRICT_FIGURES_COLUMNS = ("Distrikt", "Navn", "Elever", "Forventede elever", "Faktiske elever")
#: Optional columns of tblDistriktstal for the uncertainty (need/uncertainty.py): Σ p̂(1 − p̂) per district (the
#: variance of the actual count under the model) and the key's standard error (delta method). Not counts of persons.
VARIANCE_FIGURE = "Varians, forventede elever"
UNCERTAINTY_COLUMNS = (VARIANCE_FIGURE, KEY_SE)
#: tblKommunetal (one row): the municipality as a whole (Tabel 4.1), pupils without a district included.
MUNICIPAL_FIGURES_COLUMNS = ("Kommune", "Navn", "Elever", "Forventede elever", "Faktiske elever",
                             "Elever uden distrikt", "Landsandel segregerede")
#: tblLeveranceForklaringskraft (Tabel 3.2).
POWER_COLUMNS = ("Population", "10 % med laveste sandsynlighed", "10 % med højeste sandsynlighed", "AUC")
#: tblLeveranceBeskrivendeDistrikter (Bilag 3, one row per district and variable).
DISTRICT_DESCRIPTIVES_COLUMNS = ("Distrikt", "Navn", "Variabel", "Kategori", "Beskrivelse", "Enhed", "Gennemsnit")
#: tblSkjulteTal: every hidden cell and the rule that hid it.
SUPPRESSED_COLUMNS = ("Tabel", "Række", "Kolonne", "Vist som", "Regel")

#: A hidden figure that is not a count under the threshold.
OTHER_HIDDEN = ".."
DERIVED = "afledt"
MEAN_PRIMARY = "gennemsnit"


def hidden_marker(value, threshold: int) -> str:
    """``<N`` for a hidden count under the threshold, ``..`` for every other hidden figure."""
    try:
        if 0 < float(value) < threshold:
            return f"<{threshold}"
    except (TypeError, ValueError):
        pass
    return OTHER_HIDDEN


def rule_text(reason: str, threshold: int) -> str:
    """The Danish rule behind a hidden cell."""
    small = f"1-{threshold - 1}"
    return {
        PRIMARY: f"Primær: antallet er {small} personer (under grænsen på {threshold}).",
        COMPLEMENT: f"Primær: antallet uden egenskaben (elever − antallet) er {small} personer.",
        SECONDARY: "Sekundær: skjult, så et andet skjult tal ikke kan regnes ud fra kommunens total.",
        DERIVED: "Afledt: beregnet ud fra et skjult antal.",
        MEAN_PRIMARY: f"Primær: gennemsnit over {small} personer.",
    }[reason]


def check_threshold(threshold) -> int:
    """The threshold N as a whole number from 3 to 10 (Statistics Denmark's minimum is 3; most publish from 5)."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value.is_integer() and MIN_THRESHOLD <= value <= MAX_THRESHOLD):
        raise InputError(f"Mindste celle (--min-celle) skal være et helt tal fra {MIN_THRESHOLD} til "
                         f"{MAX_THRESHOLD}, ikke '{threshold}'. Danmarks Statistik kræver mindst {MIN_THRESHOLD} "
                         f"personer pr. celle; de fleste offentliggør intet under {DEFAULT_THRESHOLD}.")
    return int(value)


@dataclass
class Delivery:
    """A municipality's delivery: the tables of the *leverance* workbook (aggregates only)."""

    municipality: str
    name: str
    school_year: str
    threshold: int
    districts: pd.DataFrame          # tblDistriktstal
    municipal: pd.DataFrame          # tblKommunetal
    power: pd.DataFrame              # tblLeveranceForklaringskraft
    descriptives: pd.DataFrame       # tblLeveranceBeskrivende (Tabel 3.3)
    district_descriptives: pd.DataFrame   # tblLeveranceBeskrivendeDistrikter (Bilag 3, long)
    suppressed: pd.DataFrame         # tblSkjulteTal
    metadata: dict                   # tblLeverance
    demo: bool = False
    warnings: list[str] = field(default_factory=list)


def _district_label(code: str, name: str) -> str:
    return f"{code} ({name})" if name and name != code else str(code)


def make_delivery(result: NeedResult, *, municipality: str, name: str = "", school_year: str = "",
                  threshold: int = DEFAULT_THRESHOLD, demo: bool = False, coefficient_source: str = "",
                  created: datetime | None = None) -> Delivery:
    """The delivery of one municipality from its pupil-route result.

    Raises
    ------
    InputError
        A threshold outside 3–10; a district, or the group without a district, with 1 to N − 1 pupils.
    """
    N = check_threshold(threshold)
    created = created or datetime.now()
    d = result.districts
    codes = d["Distrikt"].astype(str).tolist()
    names = d["Navn"].astype(str).tolist()
    n = d["Elever"].to_numpy(dtype=float).round().astype(np.int64)
    small = [i for i, k in enumerate(n) if 0 < k < N]
    problems = []
    if small:
        row = (f"'{codes[small[0]]};0;9;<nabodistrikt>' (kolonnerne Distrikt, Fra klassetrin, Til klassetrin, "
               "Budgetdistrikt)")
        if len(small) == 1:
            i = small[0]
            problems.append(
                f"Distrikt {_district_label(codes[i], names[i])} har kun {dk.integer(n[i])} "
                f"{'elev' if n[i] == 1 else 'elever'} i 0.-9. klasse – færre end grænsen på {N}. Slå det sammen med "
                f"et nabodistrikt i distriktsplanen (--distriktsplan), fx rækken {row}.")
        else:
            listed = [f"{_district_label(codes[i], names[i])} med {dk.integer(n[i])} "
                      f"{'elev' if n[i] == 1 else 'elever'}" for i in small]
            problems.append(
                f"Distrikter med færre elever i 0.-9. klasse end grænsen på {N}: "
                + (", ".join(listed[:-1]) + " og " + listed[-1]) + ". Slå hvert af dem sammen med et nabodistrikt "
                f"i distriktsplanen (--distriktsplan), fx rækken {row}.")
    none = int(result.without_district)
    if 0 < none < N:
        problems.append(
            f"{dk.integer(none)} {'elev' if none == 1 else 'elever'} i 0.-9. klasse har intet distrikt – færre end "
            f"grænsen på {N}, og antallet kan regnes ud som kommunens elever minus distrikternes. Giv "
            f"{'eleven' if none == 1 else 'eleverne'} et distrikt (kolonnen Distrikt), eller tag "
            f"{'den' if none == 1 else 'dem'} ud af elevfilen.")
    N_mun = result.n_municipal
    if N_mun < N:
        problems.append(f"Kommunen har kun {dk.integer(N_mun)} elever i 0.-9. klasse – færre end grænsen på {N}.")
    if problems:
        raise InputError("Leverancen kan ikke laves:\n" + "\n".join(f"• {p}" for p in problems))

    suppressed: list[tuple[str, str, str, str, str]] = []

    def hide(table, row, column, value, reason):
        marker = hidden_marker(value, N) if reason in (PRIMARY, COMPLEMENT, SECONDARY) else OTHER_HIDDEN
        suppressed.append((table, row, column, marker, rule_text(reason, N)))
        return marker

    # --- the actual counts per district (tblDistriktstal) and the municipality (tblKommunetal) --------------
    A = d["Faktiske segregerede elever"].to_numpy(dtype=float).round().astype(np.int64)
    E = d["Forventede segregerede elever"].to_numpy(dtype=float)
    mun = result.municipal.set_index("Nøgletal")["Værdi"]
    A_mun = int(round(float(mun["Faktisk antal segregerede elever"])))
    E_mun = float(mun["Forventet antal segregerede elever"])
    rate = float(mun["Henvisningsandel, hele landet"]) if "Henvisningsandel, hele landet" in mun else np.nan
    A_none = A_mun - int(A.sum())
    prot = protect_counts(A, n, N, rest=(A_none, none))
    actual: list = []
    for i, reason in enumerate(prot.reasons):
        if reason is None:
            actual.append(int(A[i]))
        else:
            actual.append(hide("tblDistriktstal", _district_label(codes[i], names[i]), "Faktiske elever", A[i],
                               reason))
    if prot.rest is not None:
        suppressed.append(("tblKommunetal", "Elever uden distrikt", "Faktiske elever (indgår kun i kommunens total)",
                           "(ikke vist)", rule_text(prot.rest, N)))
    districts = pd.DataFrame({"Distrikt": codes, "Navn": names, "Elever": n, "Forventede elever": E,
                              "Faktiske elever": pd.Series(actual, dtype=object)})
    # What the intervals need (not counts of persons): Σ p̂(1 − p̂) and the key's standard error from the
    # coefficients' covariance, each a sum over all of the district's pupils (at least N of them).
    if VARIANCE in d.columns:
        districts[VARIANCE_FIGURE] = d[VARIANCE].to_numpy(dtype=float)
    if KEY_SE in d.columns:
        districts[KEY_SE] = d[KEY_SE].to_numpy(dtype=float)
    actual_mun: object = A_mun
    if prot.total is not None:
        actual_mun = hide("tblKommunetal", "Kommunen", "Faktiske elever", A_mun, prot.total)
    municipal = pd.DataFrame([{
        "Kommune": municipality, "Navn": name, "Elever": int(N_mun), "Forventede elever": E_mun,
        "Faktiske elever": actual_mun, "Elever uden distrikt": none,
        "Landsandel segregerede": rate,
    }], columns=list(MUNICIPAL_FIGURES_COLUMNS)).astype({"Faktiske elever": object})

    # --- capture rates (Tabel 3.2) -------------------------------------------------------------------------------
    p = result.power
    k = int(round(0.1 * N_mun))
    row: dict = {"Population": f"Kommunen ({name or municipality})"}
    for column, share in (("10 % med laveste sandsynlighed", p.lowest), ("10 % med højeste sandsynlighed", p.highest)):
        captured = share * A_mun if np.isfinite(share) else np.nan
        reason = DERIVED if prot.total is not None else (sensitivity(captured, k, N) if np.isfinite(captured)
                                                        else None)
        row[column] = share
        if reason is not None:    # the share times the (published) total shows the number captured
            row[column] = OTHER_HIDDEN
            rule = rule_text(reason, N)
            if reason != DERIVED:
                rule = rule.rstrip(".") + " (eleverne fanget blandt de 10 %; andelen ville vise antallet)."
            suppressed.append(("tblLeveranceForklaringskraft", "Kommunen", column, OTHER_HIDDEN, rule))
    auc_hidden = prot.total is not None or sensitivity(A_mun, N_mun, N) is not None
    row["AUC"] = hide("tblLeveranceForklaringskraft", "Kommunen", "AUC", None, DERIVED) if auc_hidden else p.auc
    rows = [row]
    meta = result.coefficients.metadata if result.coefficients is not None else {}
    nat = [_number(meta.get(key)) for key in ("Andel fanget, laveste 10 %", "Andel fanget, højeste 10 %", "AUC")]
    if all(v is not None for v in nat[:2]):
        rows.append({"Population": "Hele landet (modellens data)", "10 % med laveste sandsynlighed": nat[0],
                     "10 % med højeste sandsynlighed": nat[1], "AUC": nat[2]})
    power = pd.DataFrame(rows, columns=list(POWER_COLUMNS)).astype(object)

    # --- descriptives (Tabel 3.3, Bilag 3) -------------------------------------------------------------------
    desc, long = _descriptives(result, codes, names, N, hide)

    metadata = {
        "Format": FORMAT,
        "Kommune": municipality,
        "Kommunenavn": name,
        "Skoleår": school_year,
        "Koefficientkilde": coefficient_source,
        "Koefficienternes fingeraftryk": result.coefficients.fingerprint() if result.coefficients is not None else "",
        "Demonstrationskoefficienter": "Ja" if demo else "Nej",
        "Mindste celle": str(N),
        "Distriktsplan": ("Ja: " + "; ".join(result.plan.describe())) if result.plan is not None else "Nej",
        "Skjulte tal": str(len(suppressed)),
        "Pakkeversion": f"tildeling {__version__}",
        "Lavet": dk.long_datetime(created),
    }
    warnings = []
    if suppressed:
        warnings.append(f"{dk.integer(len(suppressed))} tal er skjult efter reglen om mindst {N} personer – se "
                        "arket Skjulte tal.")
    return Delivery(municipality, name, school_year, N, districts, municipal, power, desc, long,
                    pd.DataFrame(suppressed, columns=list(SUPPRESSED_COLUMNS)), metadata, demo, warnings)


def _number(v) -> float | None:
    try:
        x = float(str(v).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _descriptives(result: NeedResult, codes, names, N: int, hide):
    """Tabel 3.3 and Bilag 3 with every figure over too few persons, or recoverable from the totals, hidden."""
    desc = result.descriptives.copy()
    values = result.descriptive_values
    budget = result.budget_districts
    if values is None or budget is None or not len(desc):
        return desc.iloc[0:0].astype(object), pd.DataFrame(columns=list(DISTRICT_DESCRIPTIVES_COLUMNS))
    ddesc = result.district_descriptives
    district_columns = list(ddesc.columns[2:])          # one column per district (its name), in district order
    derived_columns = [c for c in desc.columns if c not in ("Variabel", "Kategori", "Beskrivelse", "Enhed",
                                                             "Hele landet")
                       and pd.api.types.is_numeric_dtype(desc[c])]
    desc = desc.astype(object)
    group = pd.Index(list(codes)).get_indexer(np.asarray(budget, dtype=object))   # -1: no district
    k = len(codes)
    rest = group < 0
    records = []
    # plain lists: the inner loop runs (variables × districts) times, for every municipality of a national file
    variables, categories, labels, units = (desc[col].tolist() for col in ("Variabel", "Kategori", "Beskrivelse",
                                                                            "Enhed"))
    district_means = ddesc.iloc[:, 2:].to_numpy(dtype=float)
    for j in range(len(desc)):
        v = values[:, j]
        known = np.isfinite(v)
        label = str(labels[j])
        is_count = bool(known.any()) and bool(np.isin(v[known], (0.0, 1.0)).all())
        inside = known & ~rest
        sizes = np.bincount(group[inside], minlength=k).astype(int).tolist()
        if is_count:
            ones = np.bincount(group[inside], weights=v[inside], minlength=k).round().astype(int).tolist()
            prot = protect_counts(ones, sizes, N, rest=(int(np.nansum(v[rest])), int(known[rest].sum())))
        else:
            prot = protect_means(sizes, N, rest=int(known[rest].sum()))
        if prot.total is not None:
            reason = MEAN_PRIMARY if not is_count and prot.total == PRIMARY else prot.total
            for col in derived_columns:
                desc.at[j, col] = hide("tblLeveranceBeskrivende", label, col, None,
                                       DERIVED if col != "Kommunen" else reason)
        for i, code in enumerate(codes):
            mean = float(district_means[j, i]) if i < len(district_columns) else np.nan
            reason = prot.reasons[i]
            shown: object = float(mean) if np.isfinite(mean) else None
            if reason is not None:
                rule = MEAN_PRIMARY if (not is_count and reason == PRIMARY) else reason
                shown = hide("tblLeveranceBeskrivendeDistrikter", f"{_district_label(code, names[i])}: {label}",
                             "Gennemsnit", None, rule)
            records.append({"Distrikt": code, "Navn": names[i], "Variabel": variables[j], "Kategori": categories[j],
                            "Beskrivelse": label, "Enhed": units[j], "Gennemsnit": shown})
    return desc, pd.DataFrame(records, columns=list(DISTRICT_DESCRIPTIVES_COLUMNS))
