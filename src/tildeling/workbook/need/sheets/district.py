"""Distriktsbehov: the district need table (Tabel 5.1)."""

from __future__ import annotations

from ....privacy import suppress_small_counts
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import Context, district_population, formats_for

__all__ = ["need_sheet"]


def need_sheet(ctx: Context) -> Sheet:
    result, shared, head = ctx.result, ctx.shared, ctx.head
    districts = result.districts
    if shared:
        districts = suppress_small_counts(districts, count_columns=("Faktiske segregerede elever",),
                                          dependent_columns=("Faktisk andel af segregerede elever",))
    need = districts[list(c.NEED_COLUMNS) + ["Faktiske segregerede elever", "Forventede segregerede elever"]]
    return Sheet(c.SHEET_NEED, [
        Text(f"Forventet specialundervisningsbehov pr. skoledistrikt – {head}", "title"),
        Text("Som VIVE-notatets Tabel 5.1. Eleverne tælles i det distrikt, de bor i; 10. klasse er udeladt.", "note"),
        Text(district_population(ctx, "Tabel 5.1"), "note"),
        Text("Indeks = distriktets gns. forudsagte sandsynlighed / kommunens × 100. "
             "Behovsnøglen (distriktets andel af kommunens forventede antal segregerede elever) er fordelingsnøglen.", "note"),
        TableBlock(c.TBL_NEED, need, formats_for(need), widths={"Navn": 26}),
    ])
