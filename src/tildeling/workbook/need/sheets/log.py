"""Kørselslog: when, with what and from which inputs the results were computed."""

from __future__ import annotations

import pandas as pd

from ...layout import Sheet, TableBlock, Text
from .. import contract as c
from .common import Context

__all__ = ["log_sheet"]


def log_sheet(ctx: Context) -> Sheet:
    result, info = ctx.result, ctx.info
    log = pd.DataFrame([
        ("Kørt", info.started_text),
        ("Varighed (sekunder)", round(info.seconds, 2)),
        ("Pakkeversion", f"tildeling {info.version}"),
        ("Fingeraftryk af input (SHA-256)", info.fingerprint),
        ("Koefficientkilde", info.coefficient_source),
        ("Regnet på", "elevrækkerne på arket Elever" if result.figures is None
         else f"distriktstal på arket {c.SHEET_DISTRICT_FIGURES} (ingen elevrækker)"),
        ("Elever i beregningen", int(result.power.n)),
    ] + ([("Udeladt (10. klasse)", int(result.excluded_grade10))] if result.figures is None else []) + [(f"Indstilling: {k}", v) for k, v in info.settings.items()]
      + [("Advarsel", w) for w in info.warnings], columns=["Felt", "Værdi"])
    log["Værdi"] = log["Værdi"].map(lambda v: v if isinstance(v, (int, float)) else str(v))
    return Sheet(c.SHEET_LOG, [
        Text("Kørselslog", "title"),
        Text("Hver kørsel erstatter resultatarkene. Fingeraftrykket ændres, hvis input ændres.", "note"),
        TableBlock(c.TBL_LOG, log, {}, widths={"Felt": 34, "Værdi": 80}),
    ], landscape=False)
