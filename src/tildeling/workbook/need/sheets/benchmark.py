"""Benchmark: Tabel 4.1, the external (Figur 5.1) and internal (Figur 5.2) benchmarks."""

from __future__ import annotations

import pandas as pd

from ....need import apply as A
from ....privacy import suppress_small_counts
from ...layout import Chart, Sheet, TableBlock, Text
from .. import contract as c
from .common import PCT, PP, Context, district_population, formats_for, municipal_population, points

__all__ = ["benchmark_sheet"]


def benchmark_sheet(ctx: Context) -> Sheet:
    result, shared, head = ctx.result, ctx.shared, ctx.head
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
    return Sheet(c.SHEET_BENCHMARK, [
        Text(f"Benchmarking af henvisningspraksis – {head}", "title"),
        Text("Kommunen samlet (Tabel 4.1): faktisk henvisning mod forventet ved landsgennemsnitlig praksis.", "note"),
        Text(municipal_population(ctx, "Tabel 4.1"), "note"),
        TableBlock(c.TBL_MUNICIPAL, mun, row_formats={"Værdi": [_UNIT_FORMAT.get(u, "0.0") for u in mun["Enhed"]]},
                   widths={"Nøgletal": 42}),
        Text("Ekstern benchmarking pr. distrikt (Figur 5.1, Bilag 4).", "subtitle"),
        Text(district_population(ctx, "Den eksterne og interne benchmarking"), "note"),
        Text("Selv ved landsgennemsnitlig praksis varierer antallet af segregerede elever tilfældigt. KI-kolonnerne "
             "er 95 %-intervallet for forskellen (varians Σ p(1 − p) under modellen); ligger hele intervallet over "
             "eller under 0, er forskellen større end tilfældig variation (kolonnen Vurdering).", "note"),
        TableBlock(c.TBL_EXTERNAL, ext, formats_for(ext), widths={"Navn": 26, A.VERDICT: 50}),
        Text("Intern benchmarking (Figur 5.2): distriktets andel af kommunens segregerede elever.", "subtitle"),
        TableBlock(c.TBL_INTERNAL, internal, formats_for(internal), widths={"Navn": 26}),
        Chart("bar", "Ekstern benchmarking: forventet og faktisk henvisningsandel", c.TBL_EXTERNAL, "Navn",
              ("Forventet henvisningsandel", "Faktisk henvisningsandel"), "Henvisningsandel"),
        Chart("bar_line", "Intern benchmarking: behovsnøgle og faktisk andel af de segregerede elever", c.TBL_INTERNAL, "Navn",
              ("Behovsnøgle", "Faktisk andel"), "Andel af kommunens segregerede elever"),
    ])


_UNIT_FORMAT = {"andel": PCT, "procentpoint": PP, "elever": "#,##0.0"}


def _suppress_municipal(mun: pd.DataFrame) -> pd.DataFrame:
    actual = mun.loc[mun["Nøgletal"] == "Faktisk antal segregerede elever", "Værdi"]
    if len(actual) and actual.iloc[0] < 5:
        hide = mun["Nøgletal"].str.contains("Faktisk|Forskel")
        mun = mun.astype({"Værdi": object})
        mun.loc[hide, "Værdi"] = "<5"
    return mun
