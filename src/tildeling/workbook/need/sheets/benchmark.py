"""Benchmark: Tabel 4.1, the external (Figur 5.1) and internal (Figur 5.2) benchmarks."""

from __future__ import annotations

import pandas as pd

from ....need import apply as A
from ....privacy import suppress_small_counts
from ...layout import Chart, Sheet, TableBlock, Text
from .. import contract as c
from .common import (HIDDEN, PCT, PP, Context, district_population, formats_for, municipal_population, points,
                     show_hidden, totals_row)

__all__ = ["benchmark_sheet"]


def benchmark_sheet(ctx: Context) -> Sheet:
    result, shared = ctx.result, ctx.shared
    mun = result.municipal.copy()
    mun["Værdi"] = mun["Værdi"].astype(float)
    mun.loc[mun["Enhed"] == "procentpoint", "Værdi"] *= 100
    ext = points(result.external)
    internal = points(result.internal)
    if shared:
        ext = suppress_small_counts(ext, count_columns=("Elever",), dependent_columns=(
            "Faktisk henvisningsandel", "Forskel (procentpoint)", A.EXT_LOW, A.EXT_HIGH, A.VERDICT), threshold_counts=result.districts[
            "Faktiske segregerede elever"].to_numpy())
        internal = suppress_small_counts(internal, count_columns=(), dependent_columns=(
            "Faktisk andel", "Forskel (procentpoint)"), threshold_counts=result.districts[
            "Faktiske segregerede elever"].to_numpy())
        mun = _suppress_municipal(mun)
    ext = show_hidden(ctx, ext, None, ("Faktisk henvisningsandel", "Forskel (procentpoint)"))
    internal = show_hidden(ctx, internal, None, ("Faktisk andel", "Forskel (procentpoint)"))
    mun = _hidden_municipal(ctx, mun)
    return Sheet(c.SHEET_BENCHMARK, [
        ctx.title("Benchmarking af henvisningspraksis"),
        Text("Kommunen samlet (Tabel 4.1): faktisk henvisning mod forventet ved landsgennemsnitlig praksis.", "note"),
        Text(municipal_population(ctx, "Tabel 4.1"), "note"),
        TableBlock(c.TBL_MUNICIPAL, mun, row_formats={"Værdi": [_value_format(k, u) for k, u in
                                                                  zip(mun["Nøgletal"], mun["Enhed"])]},
                   widths={"Nøgletal": 42}),
        Text("Ekstern benchmarking pr. distrikt (Figur 5.1, Bilag 4).", "subtitle"),
        Text(district_population(ctx, "Den eksterne og interne benchmarking"), "note"),
        Text("Selv ved landsgennemsnitlig praksis varierer antallet af segregerede elever tilfældigt. KI-kolonnerne "
             "er 95 %-intervallet for forskellen (varians Σ p(1 − p) under modellen); ligger hele intervallet over "
             "eller under 0, er forskellen større end tilfældig variation (kolonnen Vurdering).", "note"),
        TableBlock(c.TBL_EXTERNAL, ext, {**formats_for(ext), **_BOUNDS}, widths={"Navn": 24, A.VERDICT: 50},
                   **_external_totals(ext, shared)),
        Text("Intern benchmarking (Figur 5.2): distriktets andel af kommunens segregerede elever.", "subtitle"),
        TableBlock(c.TBL_INTERNAL, internal, formats_for(internal), widths={"Navn": 24},
                   **totals_row(internal, shared=shared, sums=("Behovsnøgle", "Faktisk andel",
                                                                "Forskel (procentpoint)"))),
        Chart("bar", "Ekstern benchmarking: forventet og faktisk henvisningsandel", c.TBL_EXTERNAL, "Navn",
              ("Forventet henvisningsandel", "Faktisk henvisningsandel"), "Henvisningsandel", width_cm=24,
              height_cm=7.5),
        Chart("bar_line", "Intern benchmarking: behovsnøgle og faktisk andel af de segregerede elever",
              c.TBL_INTERNAL, "Navn", ("Behovsnøgle", "Faktisk andel"), "Andel af kommunens segregerede elever",
              width_cm=24, height_cm=7.5),
    ], charts_right=False, chart_page_break=True)


def _external_totals(ext: pd.DataFrame, shared: bool) -> dict:
    """The municipality's district residents: pupils, and the rates weighted by pupils."""
    kw = totals_row(ext, shared=shared, sums=("Elever",),
                    weighted={"Forventet henvisningsandel": "Elever", "Faktisk henvisningsandel": "Elever"})
    values = kw["totals_values"]
    if "Forventet henvisningsandel" in values and "Faktisk henvisningsandel" in values:
        diff = (values["Faktisk henvisningsandel"] - values["Forventet henvisningsandel"]) * 100
        values["Forskel (procentpoint)"] = diff
        kw["totals"]["Forskel (procentpoint)"] = diff if shared else (
            lambda b: f"=({b.total_cell('Faktisk henvisningsandel')}-{b.total_cell('Forventet henvisningsandel')})*100")
    return kw


#: The interval's bounds with two decimals: a bound of −0,05 must not read "−0,0" next to "more than chance".
_BOUNDS = {A.EXT_LOW: "+0.00;-0.00;0.00", A.EXT_HIGH: "+0.00;-0.00;0.00"}

_UNIT_FORMAT = {"andel": PCT, "procentpoint": PP, "elever": "#,##0.0"}


def _value_format(label: str, unit: str) -> str:
    """Counts of persons without decimals; expected counts and differences with one."""
    if unit == "elever" and not any(w in label for w in ("Forventet", "Forskel")):
        return "#,##0"
    return _UNIT_FORMAT.get(unit, "0.0")
def _hidden_municipal(ctx: Context, mun: pd.DataFrame) -> pd.DataFrame:
    """District-figures route: the municipality's hidden actual count and what follows from it show a marker."""
    fig = ctx.result.figures
    if fig is None or pd.notna(fig.actual_municipal):
        return mun
    mun = mun.astype({"Værdi": object})
    for i, key in enumerate(mun["Nøgletal"]):
        v = mun["Værdi"].iat[i]
        if isinstance(v, float) and pd.isna(v):
            count = key == "Faktisk antal segregerede elever"
            mun.iat[i, mun.columns.get_loc("Værdi")] = (fig.actual_marker or HIDDEN) if count else HIDDEN
    return mun


def _suppress_municipal(mun: pd.DataFrame) -> pd.DataFrame:
    actual = mun.loc[mun["Nøgletal"] == "Faktisk antal segregerede elever", "Værdi"]
    if len(actual) and actual.iloc[0] < 5:
        hide = mun["Nøgletal"].str.contains("Faktisk|Forskel")
        mun = mun.astype({"Værdi": object})
        mun.loc[hide, "Værdi"] = "<5"
    return mun
