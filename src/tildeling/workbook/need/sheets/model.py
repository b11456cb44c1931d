"""Model: the model's fit, its explanatory power (Tabel 3.2), deciles and relative weights (Tabel 3.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .... import columns as col
from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import DEC3, INT, PCT, Context, formats_for, maybe_number, municipal_population

__all__ = ["model_sheet"]


def model_sheet(ctx: Context) -> Sheet:
    result, shared, municipality = ctx.result, ctx.shared, ctx.municipality
    if result.coefficients is None:
        return _figures_model_sheet(ctx)
    coefs = result.coefficients
    meta = coefs.metadata
    if shared:   # the annex of a shared copy: plain words, nothing only a statistician reads
        keys = {"Model": "Modellen", "Skoleår": "Skoleåret modellen er estimeret på", "Datakilde": "Data",
                "N": "Elever i landets data", "Kommuner (klynger)": "Kommuner",
                "McFadden pseudo-R²": "Forklaringskraft (McFadden pseudo-R², 0 = ingen, 1 = fuld)", "Bemærk": "Bemærk"}
    else:
        keys = {k: k for k in ("Model", "Skoleår", "Datakilde", "N", "Kommuner (klynger)", "Standardfejl",
                               "McFadden pseudo-R²", "Log-likelihood", "AIC", "BIC", "Pakkeversion", "Bemærk")}
    fit_rows = [(label, meta[k]) for k, label in keys.items() if k in meta]
    fit = pd.DataFrame(fit_rows or [("Model", "ukendt")], columns=["Nøgletal", "Værdi"])
    fit["Værdi"] = [maybe_number(v) for v in fit["Værdi"]]
    counts = ("N", "Kommuner (klynger)", "Elever i landets data", "Kommuner")
    fit_formats = [INT if k in counts else DEC3 if "pseudo" in k else "#,##0.0" if k in ("Log-likelihood", "AIC",
                   "BIC") else None for k in fit["Nøgletal"]]
    p = result.power
    power = pd.DataFrame([
        {"Population": f"Elever i {municipality}" if municipality else "Kommunen",
         "10 % med laveste sandsynlighed": p.lowest, "10 % med højeste sandsynlighed": p.highest, "AUC": p.auc},
    ])
    nat_low, nat_high = maybe_number(meta.get("Andel fanget, laveste 10 %")), \
        maybe_number(meta.get("Andel fanget, højeste 10 %"))
    if isinstance(nat_low, float) and isinstance(nat_high, float):
        power.loc[len(power)] = {"Population": "Hele landet (modellens data)", "10 % med laveste sandsynlighed":
                                 nat_low, "10 % med højeste sandsynlighed": nat_high,
                                 "AUC": maybe_number(meta.get("AUC"))}
    weights = _weights_table(coefs, plain=shared)
    model_blocks = [
        Text("Bilag A: Modellen bag behovsnøglen" if shared else "Den statistiske model", "title"),
        Text("Hvor godt modellen forudsiger, og hvilke forhold ved eleven og familien der betyder mest for "
             "behovet (relative vægte: hver variabels andel af modellens forklaringskraft)." if shared else
             "Koefficienterne står på arket Koefficienter. Her: modellens tilpasning, forklaringskraft og "
             "variablenes betydning (relative vægte, % af forklaringskraften).", "note"),
        TableBlock(c.TBL_FIT, fit, {}, row_formats={"Værdi": fit_formats}, widths={"Nøgletal": 30, "Værdi": 60}),
        Text("Forklaringskraft (Tabel 3.2): andel af de faktiske modtagere blandt de 10 % med lavest og højest "
             "sandsynlighed. Uden information ville begge være 10 %. Kommunens tal bruger kommunens egne 10 % af "
             "eleverne, landets tal landets.", "subtitle"),
        Text(municipal_population(ctx, "Forklaringskraften (Tabel 3.2)"), "note"),
        TableBlock(c.TBL_POWER, power, {"10 % med laveste sandsynlighed": PCT,
                                         "10 % med højeste sandsynlighed": PCT, "AUC": DEC3}),
    ]
    if not shared and len(p.deciles):
        dec = p.deciles
        fm = formats_for(dec)
        actual = dec["Faktiske"].to_numpy(dtype=float)
        if (actual != np.round(actual)).any():   # tied pupils split between two deciles: 12,5 is not 13
            fm["Faktiske"] = "#,##0.0"
        model_blocks.append(TableBlock(c.TBL_DECILES, dec, fm, title="Deciler af forudsagt sandsynlighed "
                                                                     "(kommunen; lige store sandsynligheder på en "
                                                                     "decilgrænse deles mellem decilerne)"))
    if weights is not None:
        model_blocks.append(TableBlock(c.TBL_WEIGHTS, weights, {"Relativ vægt": PCT,
                                                                "Relativ vægt (variabel i alt)": PCT},
                                       title="Variablenes betydning (Tabel 3.1, Bilag 1)",
                                       widths={"Beskrivelse": 50, "Forhold ved eleven eller familien": 70,
                                               "Retning": 14}))
    return Sheet(c.SHEET_MODEL, model_blocks)


def _weights_table(coefs, plain: bool = False) -> pd.DataFrame | None:
    """Tabel 3.1. ``plain``: without the variable keys (``far_tandlaege``) – the description, and the category
    where a variable has several."""
    t = coefs.table
    if col.WEIGHT not in t.columns or not pd.to_numeric(t[col.WEIGHT], errors="coerce").notna().any():
        return None
    t = t[t[col.VARIABLE] != "Konstant"]
    label = t[col.LABEL].to_numpy() if col.LABEL in t else t[col.VARIABLE].to_numpy()
    if plain:
        cats = t[col.CATEGORY].to_numpy()
        w = pd.DataFrame({
            "Forhold ved eleven eller familien": [f"{d}: {k}" if isinstance(k, str) and k.strip() else str(d)
                                                  for d, k in zip(label, cats)],
            "Retning": np.where(t[col.COEF].to_numpy(float) >= 0, "Større behov", "Mindre behov"),
            "Relativ vægt": pd.to_numeric(t[col.WEIGHT], errors="coerce").to_numpy(),
        })
        return w.sort_values("Relativ vægt", ascending=False, kind="stable").reset_index(drop=True)
    w = pd.DataFrame({
        "Variabel": t[col.VARIABLE].to_numpy(),
        "Kategori": t[col.CATEGORY].to_numpy(),
        "Beskrivelse": label,
        "Fortegn": np.where(t[col.COEF].to_numpy(float) >= 0, "+", "−"),
        "Signifikans": t[col.STARS].to_numpy() if col.STARS in t else "",
        "Relativ vægt": pd.to_numeric(t[col.WEIGHT], errors="coerce").to_numpy(),
        "Relativ vægt (variabel i alt)": pd.to_numeric(t.get(col.WEIGHT_GROUP, np.nan), errors="coerce"),
    })
    return w.sort_values("Relativ vægt", ascending=False, kind="stable").reset_index(drop=True)


def _figures_model_sheet(ctx: Context) -> Sheet:
    """District-figures route: the model as the delivery describes it, and its capture rates (Tabel 3.2)."""
    fig = ctx.result.figures
    meta = fig.metadata
    rows = [(k, meta[k]) for k in ("Kommune", "Kommunenavn", "Skoleår", "Koefficientkilde",
                                    "Koefficienternes fingeraftryk", "Demonstrationskoefficienter", "Mindste celle",
                                    "Distriktsplan", "Pakkeversion", "Lavet") if k in meta]
    fit = pd.DataFrame(rows or [("Kilde", f"distriktstal skrevet på arket {c.SHEET_DISTRICT_FIGURES}")],
                       columns=["Nøgletal", "Værdi"])
    blocks = [
        Text("Den statistiske model", "title"),
        Text("Projektmappen regner på distriktstal fra analytikerens leverance (arket Distriktstal), ikke på "
             "elever. Koefficienttabellen er brugt dér, hvor elevdataene er; her står, hvilken den var.", "note"),
        TableBlock(c.TBL_FIT, fit, {}, widths={"Nøgletal": 30, "Værdi": 60}),
    ]
    if fig.power is not None and len(fig.power):
        blocks += [
            Text("Forklaringskraft (Tabel 3.2): andel af de faktiske modtagere blandt de 10 % med lavest og højest "
                 "sandsynlighed. Uden information ville begge være 10 %. '..' = skjult i leverancen.", "subtitle"),
            Text(municipal_population(ctx, "Forklaringskraften (Tabel 3.2)"), "note"),
            TableBlock(c.TBL_POWER, fig.power.copy(), {"10 % med laveste sandsynlighed": PCT,
                                                       "10 % med højeste sandsynlighed": PCT, "AUC": DEC3}),
        ]
    else:
        blocks.append(Text("Distriktstallene har ingen forklaringskraft (Tabel 3.2).", "note"))
    return Sheet(c.SHEET_MODEL, blocks)
