"""Distriktsbehov: the district need table (Tabel 5.1)."""

from __future__ import annotations

from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import Context, formats_for

__all__ = ["need_sheet"]


def need_sheet(ctx: Context) -> Sheet:
    result, head = ctx.result, ctx.head
    districts = result.districts   # a shared copy is suppressed as a whole (sheets.suppress_sheets)
    need = districts[list(c.NEED_COLUMNS) + ["Faktiske SU-elever", "Forventede SU-elever"]]
    return Sheet(c.SHEET_NEED, [
        Text(f"Forventet specialundervisningsbehov pr. skoledistrikt – {head}", "title"),
        Text("Som VIVE-notatets Tabel 5.1. Eleverne tælles i det distrikt, de bor i; 10. klasse er udeladt.", "note"),
        Text("Indeks = distriktets gns. forudsagte sandsynlighed / kommunens × 100. "
             "Forventet andel er fordelingsnøglen.", "note"),
        TableBlock(c.TBL_NEED, need, formats_for(need), widths={"Navn": 26}),
    ])
