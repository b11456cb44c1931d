"""Distriktsbehov: the district need table (Tabel 5.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ....privacy import suppress_small_counts
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from ....need import apply as A
from .common import KRONER, Context, district_population, formats_for, show_hidden, totals_row

#: The need-alone budget's 95 % interval in kroner (live formulas on SamletBudget).
KR_LOW = "Budget efter behov, 95 % KI nedre (kr.)"
KR_HIGH = "Budget efter behov, 95 % KI øvre (kr.)"

__all__ = ["need_sheet"]


def need_sheet(ctx: Context) -> Sheet:
    result, shared = ctx.result, ctx.shared
    districts = result.districts
    if shared:
        districts = suppress_small_counts(districts, count_columns=("Faktiske segregerede elever",),
                                          dependent_columns=("Faktisk andel af segregerede elever",))
    need = districts[list(c.NEED_COLUMNS) + ["Faktiske segregerede elever", "Forventede segregerede elever"]]
    need = show_hidden(ctx, need, "Faktiske segregerede elever", ("Faktisk andel af segregerede elever",))
    interval, formulas, note = _key_interval(ctx, districts)
    if interval is not None:
        need = pd.concat([need, interval], axis=1)
    fm = formats_for(need)
    fm.update({col: KRONER for col in need.columns if col.endswith("(kr.)")})
    fm.update({col: "0.00%" for col in (A.KEY_LOW, A.KEY_HIGH) if col in need.columns})
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
        Text(note, "note"),
        TableBlock(c.TBL_NEED, need, fm, formulas, widths={"Navn": 24}, **totals),
    ])


def _key_interval(ctx: Context, districts: pd.DataFrame):
    """The key's 95 % interval from the coefficients' covariance, and in kroner of the total budget.

    The kroner are live formulas on ``SamletBudget`` (static values in a shared copy).
    """
    if A.KEY_LOW not in districts.columns and ctx.result.figures is not None:
        return None, {}, ("Fordelingsnøglen har intet usikkerhedsinterval: distriktstallene har ingen "
                          "standardfejl for nøglen.")
    if A.KEY_LOW not in districts.columns:
        return None, {}, ("Fordelingsnøglen har intet usikkerhedsinterval: koefficienttabellen har ingen "
                          "kovariansmatrix (kolonnerne 'Kov. …', som 'tildeling fit' skriver).")
    out = districts[[A.KEY_LOW, A.KEY_HIGH]].copy()
    formulas = {}
    alloc = ctx.alloc
    if alloc is not None:
        total = float(alloc.options.total)
        for key_col, kr_col in ((A.KEY_LOW, KR_LOW), (A.KEY_HIGH, KR_HIGH)):
            out[kr_col] = np.round(total * out[key_col].to_numpy(dtype=float))
            if not ctx.shared:
                formulas[kr_col] = (lambda k: lambda r, b: f"=ROUND(SamletBudget*{b.letter(k)}{r},0)")(key_col)
    note = ("Usikkerhed: behovsnøglen bygger på estimerede koefficienter. Intervallet (95 %) er nøglen ± 1,96 "
            "standardfejl efter deltametoden med koefficienternes (klyngerobuste) kovariansmatrix"
            + (", og i kroner af det samlede budget efter behov alene. Med en blandet nøgle er usikkerheden "
               "(1 − andelen efter elevtal) gange så stor." if alloc is not None else "."))
    return out, formulas, note
