"""Build the need-model output sheets (as :mod:`layout` data) from core results."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import __version__
from ...need import budget as B
from ...need.apply import NeedResult
from ...privacy import suppress_small_counts
from . import contract as c
from ..layout import Chart, Sheet, TableBlock, Text, place

__all__ = ["RunInfo", "output_sheets", "allocation_block"]

PCT = "0.0%"
PP = '0.0" pp"'
KR = '#,##0 "kr."'
INDEX = "0.0"
INT = "#,##0"
DEC3 = "0.000"
DEC2 = "0.00"


@dataclass
class RunInfo:
    """What the run log records."""

    started: str
    fingerprint: str
    coefficient_source: str
    settings: dict
    warnings: list
    seconds: float = 0.0
    version: str = __version__


def _formats_for(frame: pd.DataFrame) -> dict[str, str]:
    from ...io.results import number_format_for

    out = {}
    for col in frame.columns:
        name = str(col)
        if "procentpoint" in name.lower():
            out[name] = PP
        elif name in ("Elever", "Faktiske", "Modtagere", "Faktiske SU-elever"):
            out[name] = INT
        elif name == "Forventede SU-elever":
            out[name] = "0.0"
        else:
            f = number_format_for(name)
            if f:
                out[name] = f
    return out


def _pp(frame: pd.DataFrame) -> pd.DataFrame:
    """Differences in percentage points are stored as points (2.3), not fractions."""
    frame = frame.copy()
    for col in frame.columns:
        if "procentpoint" in str(col).lower():
            frame[col] = frame[col] * 100
    return frame


# ------------------------------------------------------------------ allocation
def allocation_block(alloc, *, live: bool = True) -> TableBlock:
    """tblFordeling with live Hamilton formulas on ``SamletBudget`` and the key.

    Without floors the key itself is a formula (``Elevtalsvaegt`` mixes head
    count and need), so changing ``SamletBudget`` or ``Elevtalsvaegt`` in Excel
    updates the split without Python. With floors the key is the effective
    share computed at the last run.
    """
    t = alloc.table.copy()
    floors = B.FLOOR in t.columns
    t["Rækkefølge"] = B.tie_break_ranks(t["Distrikt"])
    helpers = ("Heltal (kr.)", "Rest", "Rang", "Heltal efter elevtal (kr.)", "Rest efter elevtal",
               "Rang efter elevtal", "Rækkefølge")
    for h in helpers[:-1]:
        t[h] = np.nan
    t = t[[col for col in t.columns if col not in helpers] + list(helpers)]

    def key_formula(r, b):
        if floors:
            return None
        L = b.letters
        return f"=Elevtalsvaegt*{L[B.HEAD_COUNT_SHARE]}{r}+(1-Elevtalsvaegt)*{L[B.NEED_KEY]}{r}"

    def share_formula(r, b):
        L = b.letters
        return f"={L['Elever']}{r}/SUM({b.column_range('Elever')})"

    def whole(key_col):
        def f(r, b):
            return f"=ROUNDDOWN(ROUND(SamletBudget*{b.letter(key_col)}{r},6),0)"
        return f

    def rest(key_col, whole_col):
        def f(r, b):
            return f"=ROUND(SamletBudget*{b.letter(key_col)}{r},6)-{b.letter(whole_col)}{r}"
        return f

    def rank(rest_col):
        def f(r, b):
            R, T = b.column_range(rest_col), b.column_range("Rækkefølge")
            x, o = f"{b.letter(rest_col)}{r}", f"{b.letter('Rækkefølge')}{r}"
            return f'=COUNTIF({R},">"&{x})+COUNTIFS({R},{x},{T},"<"&{o})+1'
        return f

    def budget(whole_col, rank_col):
        def f(r, b):
            W = b.column_range(whole_col)
            return (f"={b.letter(whole_col)}{r}+IF({b.letter(rank_col)}{r}<=ROUND(SamletBudget,0)-SUM({W}),1,0)")
        return f

    formulas = {
        B.HEAD_COUNT_SHARE: share_formula,
        "Heltal (kr.)": whole(B.KEY),
        "Rest": rest(B.KEY, "Heltal (kr.)"),
        "Rang": rank("Rest"),
        "Heltal efter elevtal (kr.)": whole(B.HEAD_COUNT_SHARE),
        "Rest efter elevtal": rest(B.HEAD_COUNT_SHARE, "Heltal efter elevtal (kr.)"),
        "Rang efter elevtal": rank("Rest efter elevtal"),
        B.BUDGET: budget("Heltal (kr.)", "Rang"),
        B.BUDGET_HEAD_COUNT: budget("Heltal efter elevtal (kr.)", "Rang efter elevtal"),
        B.DIFFERENCE: lambda r, b: f"={b.letter(B.BUDGET)}{r}-{b.letter(B.BUDGET_HEAD_COUNT)}{r}",
    }
    if not floors:
        formulas[B.KEY] = key_formula
        if B.MIXED_KEY in t.columns:
            formulas[B.MIXED_KEY] = key_formula
    if B.DIFFERENCE_CURRENT in t.columns:
        formulas[B.DIFFERENCE_CURRENT] = lambda r, b: f"={b.letter(B.BUDGET)}{r}-{b.letter(B.CURRENT)}{r}"
    # cached values of the helper columns (what the formulas evaluate to)
    total = alloc.options.total_kroner
    for key_col, w, rs in ((B.KEY, "Heltal (kr.)", "Rest"),
                           (B.HEAD_COUNT_SHARE, "Heltal efter elevtal (kr.)", "Rest efter elevtal")):
        exact = np.round(total * t[key_col].to_numpy(float), 6)
        t[w] = np.floor(exact)
        t[rs] = exact - np.floor(exact)
    for rs, rk in (("Rest", "Rang"), ("Rest efter elevtal", "Rang efter elevtal")):
        vals, order = t[rs].to_numpy(), t["Rækkefølge"].to_numpy()
        t[rk] = [int((vals > v).sum() + ((vals == v) & (order < o)).sum() + 1) for v, o in zip(vals, order)]
    fm = _formats_for(t)
    fm.update({"Heltal (kr.)": KR, "Heltal efter elevtal (kr.)": KR, "Rest": "0.000000",
               "Rest efter elevtal": "0.000000", "Rang": "0", "Rang efter elevtal": "0", "Rækkefølge": "0"})
    if not live:  # a static copy: values only, no helper columns
        return TableBlock(c.TBL_ALLOCATION, t.drop(columns=list(helpers)), fm, widths={"Navn": 26})
    return TableBlock(c.TBL_ALLOCATION, t, fm, formulas, helper_columns=helpers,
                      widths={"Navn": 26})


# ---------------------------------------------------------------------- sheets
def output_sheets(result: NeedResult, alloc, info: RunInfo, *, municipality: str, school_year: str,
                  shared: bool = False) -> list[Sheet]:
    """All output sheets of a run. ``shared=True`` suppresses small counts and leaves out the log."""
    head = f"{municipality}, skoleåret {school_year}".strip(", ")
    districts = result.districts
    if shared:
        districts = suppress_small_counts(districts, count_columns=("Faktiske SU-elever",),
                                          dependent_columns=("Faktisk andel af SU-elever",))
    need = districts[list(c.NEED_COLUMNS) + ["Faktiske SU-elever", "Forventede SU-elever"]]
    sheets = [Sheet(c.SHEET_NEED, [
        Text(f"Forventet specialundervisningsbehov pr. skoledistrikt – {head}", "title"),
        Text("Som VIVE-notatets Tabel 5.1. Eleverne tælles i det distrikt, de bor i; 10. klasse er udeladt.", "note"),
        Text("Indeks = distriktets gns. forudsagte sandsynlighed / kommunens × 100. "
             "Forventet andel er fordelingsnøglen.", "note"),
        TableBlock(c.TBL_NEED, need, _formats_for(need), widths={"Navn": 26}),
    ])]

    blocks = [Text(f"Fordeling af budgettet – {head}", "title")]
    if shared:
        blocks.append(Text(f"Samlet budget: {alloc.options.total_kroner:,} kr.".replace(",", "."), "normal"))
    else:
        blocks.append(Text("Samlet budget", "normal", formula="=SamletBudget", formula_format=KR,
                           value=float(alloc.options.total)))
    blocks += [Text(line, "note") for line in alloc.explanations]
    if not shared:
        blocks.append(Text("Budgetkolonnerne er formler: ret 'Samlet budget' eller 'Andel fordelt efter elevtal' på "
                           "arket Indstillinger, og fordelingen opdateres uden Python. Hele kroner; summen er præcis "
                           "det samlede budget (største brøkdel, jf. kolonnerne til højre).", "note"))
    if B.FLOOR in alloc.table.columns and not shared:
        blocks.append(Text(f"Gulve er beregnet ved sidste kørsel med et samlet budget på "
                           f"{alloc.options.total:,.0f} kr. Kør beregningen igen, hvis du ændrer budgettet."
                           .replace(",", "."), "warning"))
    blocks.append(allocation_block(alloc, live=not shared))
    if alloc.phase_in is not None:
        ph = alloc.phase_in
        blocks.append(TableBlock(c.TBL_PHASE_IN, ph, _formats_for(ph), title="Indfasning år for år",
                                 widths={"Navn": 26}))
    sheets.append(Sheet(c.SHEET_ALLOCATION, blocks))

    mun = result.municipal.copy()
    mun["Værdi"] = mun["Værdi"].astype(float)
    mun.loc[mun["Enhed"] == "procentpoint", "Værdi"] *= 100
    ext = _pp(result.external)
    internal = _pp(result.internal)
    if shared:
        ext = suppress_small_counts(ext, count_columns=("Elever",), dependent_columns=(
            "Faktisk henvisningsandel", "Forskel (procentpoint)"), threshold_counts=result.districts[
            "Faktiske SU-elever"].to_numpy())
        internal = suppress_small_counts(internal, count_columns=(), dependent_columns=(
            "Faktisk andel", "Forskel (procentpoint)"), threshold_counts=result.districts[
            "Faktiske SU-elever"].to_numpy())
        mun = _suppress_municipal(mun)
    sheets.append(Sheet(c.SHEET_BENCHMARK, [
        Text(f"Benchmarking af henvisningspraksis – {head}", "title"),
        Text("Kommunen samlet (Tabel 4.1): faktisk henvisning mod forventet ved landsgennemsnitlig praksis.", "note"),
        TableBlock(c.TBL_MUNICIPAL, mun, row_formats={"Værdi": [_UNIT_FORMAT.get(u, "0.0") for u in mun["Enhed"]]},
                   widths={"Nøgletal": 42}),
        Text("Ekstern benchmarking pr. distrikt (Figur 5.1, Bilag 4).", "subtitle"),
        TableBlock(c.TBL_EXTERNAL, ext, _formats_for(ext), widths={"Navn": 26}),
        Text("Intern benchmarking (Figur 5.2): distriktets andel af kommunens segregerede elever.", "subtitle"),
        TableBlock(c.TBL_INTERNAL, internal, _formats_for(internal), widths={"Navn": 26}),
        Chart("bar", "Ekstern benchmarking: forventet og faktisk henvisningsandel", c.TBL_EXTERNAL, "Navn",
              ("Forventet henvisningsandel", "Faktisk henvisningsandel"), "Henvisningsandel"),
        Chart("bar_line", "Intern benchmarking: forventet og faktisk andel af SU-eleverne", c.TBL_INTERNAL, "Navn",
              ("Forventet andel", "Faktisk andel"), "Andel af kommunens SU-elever"),
    ]))

    coefs = result.coefficients
    meta = coefs.metadata
    fit_rows = [(k, meta[k]) for k in ("Model", "Skoleår", "Datakilde", "N", "Kommuner (klynger)",
                                        "Standardfejl", "McFadden pseudo-R²", "Log-likelihood", "AIC", "BIC",
                                        "Pakkeversion", "Bemærk") if k in meta]
    fit = pd.DataFrame(fit_rows or [("Model", "ukendt")], columns=["Nøgletal", "Værdi"])
    fit["Værdi"] = [_maybe_number(v) for v in fit["Værdi"]]
    p = result.power
    power = pd.DataFrame([
        {"Population": f"Elever i {municipality}" if municipality else "Kommunen",
         "10 % med laveste sandsynlighed": p.lowest, "10 % med højeste sandsynlighed": p.highest, "AUC": p.auc},
    ])
    nat_low, nat_high = _maybe_number(meta.get("Andel fanget, laveste 10 %")), \
        _maybe_number(meta.get("Andel fanget, højeste 10 %"))
    if isinstance(nat_low, float) and isinstance(nat_high, float):
        power.loc[len(power)] = {"Population": "Hele landet (modellens data)", "10 % med laveste sandsynlighed":
                                 nat_low, "10 % med højeste sandsynlighed": nat_high,
                                 "AUC": _maybe_number(meta.get("AUC"))}
    weights = _weights_table(coefs)
    model_blocks = [
        Text("Den statistiske model", "title"),
        Text("Koefficienterne står på arket Koefficienter. Her: modellens tilpasning, forklaringskraft og "
             "variablenes betydning (relative vægte, % af forklaringskraften).", "note"),
        TableBlock(c.TBL_FIT, fit, {}, widths={"Nøgletal": 30, "Værdi": 60}),
        Text("Forklaringskraft (Tabel 3.2): andel af de faktiske modtagere blandt de 10 % med lavest og højest "
             "sandsynlighed. Uden information ville begge være 10 %.", "subtitle"),
        TableBlock(c.TBL_POWER, power, {"10 % med laveste sandsynlighed": PCT,
                                         "10 % med højeste sandsynlighed": PCT, "AUC": DEC3}),
    ]
    if not shared:
        dec = p.deciles
        model_blocks.append(TableBlock(c.TBL_DECILES, dec, _formats_for(dec), title="Deciler af forudsagt "
                                                                                      "sandsynlighed (kommunen)"))
    if weights is not None:
        model_blocks.append(TableBlock(c.TBL_WEIGHTS, weights, {"Relativ vægt": PCT,
                                                                "Relativ vægt (variabel i alt)": PCT},
                                       title="Variablenes betydning (Tabel 3.1, Bilag 1)",
                                       widths={"Beskrivelse": 50}))
    sheets.append(Sheet(c.SHEET_MODEL, model_blocks))

    desc = result.descriptives.copy()
    ddesc = result.district_descriptives.copy()
    sheets.append(Sheet(c.SHEET_DESCRIPTIVES, [
        Text(f"Beskrivende statistik – {head}", "title"),
        Text("De ti vigtigste variable (Tabel 3.3). Uddannelse og jobprestige vises ukorrigerede (år ud over "
             "grundskolen; ISEI-point), selvom modellen bruger alderskorrigerede værdier. Forældre tælles én gang "
             "pr. barn.", "note"),
        TableBlock(c.TBL_DESCRIPTIVES, desc.drop(columns=["Variabel", "Kategori"]),
                   {"Kommunen": DEC2, "Hele landet": DEC2, "Forskel (i enheden)": DEC2,
                    "Forskel (i % af landstal)": PCT}, widths={"Beskrivelse": 55}),
        Text("Pr. distrikt (Bilag 3).", "subtitle"),
        TableBlock(c.TBL_DISTRICT_DESCRIPTIVES, ddesc,
                   {col: DEC2 for col in ddesc.columns[2:]}, widths={"Beskrivelse": 55}),
    ]))
    if not shared:
        log = pd.DataFrame([
            ("Kørt", info.started),
            ("Varighed (sekunder)", round(info.seconds, 2)),
            ("Pakkeversion", f"tildeling {info.version}"),
            ("Fingeraftryk af input (SHA-256)", info.fingerprint),
            ("Koefficientkilde", info.coefficient_source),
            ("Elever i beregningen", int(result.power.n)),
            ("Udeladt (10. klasse)", int(result.excluded_grade10)),
        ] + [(f"Indstilling: {k}", v) for k, v in info.settings.items()]
          + [("Advarsel", w) for w in info.warnings], columns=["Felt", "Værdi"])
        log["Værdi"] = log["Værdi"].map(lambda v: v if isinstance(v, (int, float)) else str(v))
        sheets.append(Sheet(c.SHEET_LOG, [
            Text("Kørselslog", "title"),
            Text("Hver kørsel erstatter resultatarkene. Fingeraftrykket ændres, hvis input ændres.", "note"),
            TableBlock(c.TBL_LOG, log, {}, widths={"Felt": 34, "Værdi": 80}),
        ], landscape=False))
    return [place(s) for s in sheets]


_UNIT_FORMAT = {"andel": PCT, "procentpoint": PP, "elever": "#,##0.0"}


def _maybe_number(v):
    if v is None:
        return None
    try:
        return float(str(v).replace(",", "."))
    except ValueError:
        return str(v)


def _weights_table(coefs) -> pd.DataFrame | None:
    from ... import columns as col

    t = coefs.table
    if col.WEIGHT not in t.columns or not pd.to_numeric(t[col.WEIGHT], errors="coerce").notna().any():
        return None
    t = t[t[col.VARIABLE] != "Konstant"]
    w = pd.DataFrame({
        "Variabel": t[col.VARIABLE].to_numpy(),
        "Kategori": t[col.CATEGORY].to_numpy(),
        "Beskrivelse": t[col.LABEL].to_numpy() if col.LABEL in t else t[col.VARIABLE].to_numpy(),
        "Fortegn": np.where(t[col.COEF].to_numpy(float) >= 0, "+", "−"),
        "Signifikans": t[col.STARS].to_numpy() if col.STARS in t else "",
        "Relativ vægt": pd.to_numeric(t[col.WEIGHT], errors="coerce").to_numpy(),
        "Relativ vægt (variabel i alt)": pd.to_numeric(t.get(col.WEIGHT_GROUP, np.nan), errors="coerce"),
    })
    return w.sort_values("Relativ vægt", ascending=False, kind="stable").reset_index(drop=True)


def _suppress_municipal(mun: pd.DataFrame) -> pd.DataFrame:
    actual = mun.loc[mun["Nøgletal"] == "Faktisk antal segregerede elever", "Værdi"]
    if len(actual) and actual.iloc[0] < 5:
        hide = mun["Nøgletal"].str.contains("Faktisk|Forskel")
        mun = mun.astype({"Værdi": object})
        mun.loc[hide, "Værdi"] = "<5"
    return mun
