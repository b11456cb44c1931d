"""Distriktsbehov: the district need table (Tabel 5.1)."""

from __future__ import annotations

from ....privacy import suppress_small_counts
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import Context, district_population, formats_for, totals_row

__all__ = ["need_sheet"]


def need_sheet(ctx: Context) -> Sheet:
    result, shared = ctx.result, ctx.shared
    districts = result.districts
    if shared:
        districts = suppress_small_counts(districts, count_columns=("Faktiske segregerede elever",),
                                          dependent_columns=("Faktisk andel af segregerede elever",))
    need = districts[list(c.NEED_COLUMNS) + ["Faktiske segregerede elever", "Forventede segregerede elever"]]
    totals = totals_row(need, shared=shared,
                        sums=("Elever", "Andel af elever", "Faktisk andel af segregerede elever", "Behovsnøgle",
                              "Faktiske segregerede elever", "Forventede segregerede elever"),
                        weighted={"Forudsagt sandsynlighed": "Elever", "Indeks": "Elever"})
    return Sheet(c.SHEET_NEED, [
        ctx.title("Forventet specialundervisningsbehov pr. skoledistrikt"),
        Text("Som VIVE-notatets Tabel 5.1. Eleverne tælles i det distrikt, de bor i; 10. klasse er udeladt. "
             "Segregerede elever = elever i segregeret specialundervisning.", "note"),
        Text(district_population(ctx, "Tabel 5.1"), "note"),
        Text("Indeks = distriktets gns. forudsagte sandsynlighed / kommunens × 100. "
             "Behovsnøglen (distriktets andel af kommunens forventede antal segregerede elever) er "
             "fordelingsnøglen.", "note"),
        TableBlock(c.TBL_NEED, need, formats_for(need), widths={"Navn": 24}, **totals),
    ])
