"""Beskrivende: the ten most important variables, municipality vs nation (Tabel 3.3) and per district (Bilag 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import DEC2, PCT, PP_UNIT, Context, district_population, municipal_population

__all__ = ["descriptives_sheet"]


def descriptives_sheet(ctx: Context) -> Sheet:
    """Shares (0/1 variables and categories) are shown in percent and their differences in percentage
    points, as in the note's Tabel 3.3; other variables in their unit."""
    result = ctx.result
    desc = result.descriptives.copy()
    ddesc = result.district_descriptives.copy()
    if not len(desc.columns):   # district figures without descriptives
        return Sheet(c.SHEET_DESCRIPTIVES, [
            ctx.title("Beskrivende statistik"),
            Text(f"Distriktstallene (arket {c.SHEET_DISTRICT_FIGURES}) har ingen beskrivende tal (Tabel 3.3 og "
                 "Bilag 3). De kommer med, når analytikerens leverance har dem.", "note"),
        ])
    share = (desc["Enhed"] == "Andel").to_numpy() if len(desc) else np.zeros(0, dtype=bool)
    diff = "Forskel (i enheden)"
    if len(desc):   # shares' differences in points; a hidden cell (a delivery's '..') stays as it is
        number = pd.to_numeric(desc[diff], errors="coerce")
        desc[diff] = desc[diff].astype(object).where(~(share & number.notna().to_numpy()), number * 100)
    desc_rows = {name: [PCT if s else DEC2 for s in share] for name in ("Kommunen", "Hele landet")}
    desc_rows[diff] = [PP_UNIT if s else DEC2 for s in share]   # the header names no unit
    district_rows = {name: [PCT if s else DEC2 for s in share] for name in ddesc.columns[2:]}
    corrected = bool(len(desc)) and desc["Beskrivelse"].astype(str).str.contains("alderskorrigerede").any()
    parents = ("Uddannelse og jobprestige vises alderskorrigerede (afvigelse fra det forventede for forælderens "
               "alder), fordi elevdata ikke har de ukorrigerede kolonner; der er derfor ingen forskel i % af "
               "landstallet for dem." if corrected else
               "Uddannelse og jobprestige vises ukorrigerede (år ud over grundskolen; ISEI-point), selvom modellen "
               "bruger alderskorrigerede værdier.")
    desc = desc.drop(columns=[col for col in ("Variabel", "Kategori") if col in desc.columns])
    return Sheet(c.SHEET_DESCRIPTIVES, [
        ctx.title("Bilag B: Elevernes baggrund i kommunen, i landet og i distrikterne" if ctx.shared
                  else "Beskrivende statistik"),
        Text(f"De ti vigtigste variable (Tabel 3.3). Andele vises i procent og forskelle i andele i procentpoint. "
             f"{parents} Forældre tælles én gang pr. barn.", "note"),
        Text(municipal_population(ctx, "Tabel 3.3"), "note"),
        TableBlock(c.TBL_DESCRIPTIVES, desc,
                   {"Kommunen": DEC2, "Hele landet": DEC2, diff: DEC2, "Forskel (i % af landstal)": PCT},
                   row_formats=desc_rows, widths={"Beskrivelse": 55, "Enhed": 22}),
        Text("Pr. distrikt (Bilag 3).", "subtitle"),
        Text(district_population(ctx, "Bilag 3"), "note"),
        TableBlock(c.TBL_DISTRICT_DESCRIPTIVES, ddesc,
                   {col: DEC2 for col in ddesc.columns[2:]}, row_formats=district_rows, widths={"Beskrivelse": 55, "Enhed": 22}),
    ])
