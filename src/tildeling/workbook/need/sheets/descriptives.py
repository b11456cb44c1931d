"""Beskrivende: the ten most important variables, municipality vs nation (Tabel 3.3) and per district (Bilag 3)."""

from __future__ import annotations

from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import DEC2, PCT, Context, district_population, municipal_population

__all__ = ["descriptives_sheet"]


def descriptives_sheet(ctx: Context) -> Sheet:
    result, head = ctx.result, ctx.head
    desc = result.descriptives.copy()
    ddesc = result.district_descriptives.copy()
    return Sheet(c.SHEET_DESCRIPTIVES, [
        Text(f"Beskrivende statistik – {head}", "title"),
        Text("De ti vigtigste variable (Tabel 3.3). Uddannelse og jobprestige vises ukorrigerede (år ud over "
             "grundskolen; ISEI-point), selvom modellen bruger alderskorrigerede værdier. Forældre tælles én gang "
             "pr. barn.", "note"),
        Text(municipal_population(ctx, "Tabel 3.3"), "note"),
        TableBlock(c.TBL_DESCRIPTIVES, desc.drop(columns=["Variabel", "Kategori"]),
                   {"Kommunen": DEC2, "Hele landet": DEC2, "Forskel (i enheden)": DEC2,
                    "Forskel (i % af landstal)": PCT}, widths={"Beskrivelse": 55}),
        Text("Pr. distrikt (Bilag 3).", "subtitle"),
        Text(district_population(ctx, "Bilag 3"), "note"),
        TableBlock(c.TBL_DISTRICT_DESCRIPTIVES, ddesc,
                   {col: DEC2 for col in ddesc.columns[2:]}, widths={"Beskrivelse": 55}),
    ])
