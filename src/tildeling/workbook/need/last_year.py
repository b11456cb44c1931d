"""Last year's figures: read last year's workbook, shared copy or delivery, and the sheet ``Sidste år``.

*Indlæs sidste år* (``load_last_year``) and ``tildeling run FIL --sidste-aar SIDSTE.xlsx`` read a file made by
tildeling last year and write its district figures into ``tblSidsteAar`` (``Distrikt``, ``Elever``,
``Behovsnøgle``, ``Budget (kr.)``) on the input sheet *Sidste år*:

* a need-model workbook or its shared copy: ``tblFordeling`` – the pupils, the need key and the budget; with a
  phase-in the budget of last year's budget year is the first year of ``tblIndfasning``. A workbook's own
  coefficient table (``tblKoefficienter``) comes along as ``tblSidsteAarKoefficienter``, so the run can tell
  the model's effect from the pupils'.
* a delivery (*leverance*): ``tblDistriktstal`` – the pupils and the key (expected counts / their sum); no
  budget (type it in, or leave it blank).

The file is only read. Bad content gets a Danish message naming the file, table and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from ... import danish as dk
from ...danish import NumberError, cell_number
from ...errors import InputError, Source
from ...need.development import LAST_YEAR_COLUMNS, last_year_from_frame
from ..layout import Sheet, TableBlock, Text
from ..tables import read_tables
from . import contract as c

__all__ = ["LastYearImport", "read_last_year", "last_year_sheet", "DELIVERY_TABLE"]

#: The delivery's district table (issue 9): ``Distrikt``, ``Navn``, ``Elever``, ``Forventede elever``, ``Faktiske elever``.
DELIVERY_TABLE = "tblDistriktstal"
INPUT_TAB = "FFC000"
DASH = "–"


@dataclass
class LastYearImport:
    """What was read from last year's file: the rows of ``tblSidsteAar`` and, if any, its coefficient table."""

    frame: pd.DataFrame
    coefficients: pd.DataFrame | None
    origin: str
    notes: list[str] = field(default_factory=list)


def _number(value, what: str, name: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if value.strip() == DASH:
            raise InputError(f"{name}: {what} viser '{DASH}' – fordelingen kunne ikke beregnes, da filen blev gemt. "
                             "Åbn sidste års projektmappe, ret det, den røde linje på arket Fordeling siger, og gem "
                             "den igen.")
    try:
        return cell_number(value)   # the one number parser: "2.500.000,75" and "2500000.75" alike
    except NumberError as exc:
        raise InputError(f"{name}: {what}: {exc}.") from None


def read_last_year(path) -> LastYearImport:
    """Read last year's district figures from a tildeling file (workbook, shared copy or delivery)."""
    from ...io.files import open_workbook

    source = open_workbook(path)   # missing, open, encrypted, damaged …: a Danish message
    path = source.path
    tables = read_tables(source.data, source.name)
    frames, names = tables.frames, tables.names
    year, school = names.get("Budgetaar"), names.get("Skoleaar")
    when = ""
    if year not in (None, ""):
        when = f"budget {int(float(year))}" if str(year).replace(".0", "").isdigit() else f"budget {year}"
    if school not in (None, ""):
        when += (" (data fra skoleåret " + str(school) + ")") if when else f"skoleåret {school}"
    notes: list[str] = []
    coefs = None
    if c.TBL_ALLOCATION in frames:
        t = frames[c.TBL_ALLOCATION]
        need = ["Distrikt", "Elever", "Behovsnøgle", "Budget (kr.)"]
        missing = [col for col in need if col not in t.columns]
        if missing:
            raise InputError(f"{path.name}: tabellen {c.TBL_ALLOCATION} mangler kolonnerne "
                             + ", ".join(f"'{m}'" for m in missing) + ".")
        t = t[t["Distrikt"].astype(str).str.strip() != "I alt"]
        budget = {str(d).strip(): v for d, v in zip(t["Distrikt"], t["Budget (kr.)"])}
        what = "kolonnen 'Budget (kr.)' i tblFordeling"
        if c.TBL_PHASE_IN in frames:
            ph = frames[c.TBL_PHASE_IN]
            ph = ph[ph["Distrikt"].astype(str).str.strip() != "I alt"]
            cols = list(ph.columns)
            if "Nuværende budget (kr.)" in cols and cols.index("Nuværende budget (kr.)") + 1 < len(cols):
                first = cols[cols.index("Nuværende budget (kr.)") + 1]
                budget = {str(d).strip(): v for d, v in zip(ph["Distrikt"], ph[first])}
                what = f"kolonnen '{first}' i {c.TBL_PHASE_IN}"
                notes.append(f"Budgettet er det første år af sidste års indfasning ({first.replace(' (kr.)', '')}).")
        frame = pd.DataFrame({
            "Distrikt": [str(d).strip() for d in t["Distrikt"]],
            "Elever": [_number(v, "kolonnen 'Elever' i tblFordeling", path.name) for v in t["Elever"]],
            "Behovsnøgle": [_number(v, "kolonnen 'Behovsnøgle' i tblFordeling", path.name) for v in t["Behovsnøgle"]],
            "Budget (kr.)": [_number(budget.get(str(d).strip()), what, path.name) for d in t["Distrikt"]],
        })
        kind = "delbar kopi" if c.TBL_PUPILS not in frames else "projektmappe"
        if c.TBL_COEFS in frames and len(frames[c.TBL_COEFS]):
            coefs = frames[c.TBL_COEFS]
    elif DELIVERY_TABLE in frames:
        t = frames[DELIVERY_TABLE]
        missing = [col for col in ("Distrikt", "Elever", "Forventede elever") if col not in t.columns]
        if missing:
            raise InputError(f"{path.name}: tabellen {DELIVERY_TABLE} mangler kolonnerne "
                             + ", ".join(f"'{m}'" for m in missing) + ".")
        t = t[t["Distrikt"].astype(str).str.strip() != "I alt"]
        expected = [_number(v, f"kolonnen 'Forventede elever' i {DELIVERY_TABLE}", path.name)
                    for v in t["Forventede elever"]]
        total = sum(e for e in expected if e is not None)
        if not total:
            raise InputError(f"{path.name}: kolonnen 'Forventede elever' i {DELIVERY_TABLE} summer til 0.")
        frame = pd.DataFrame({
            "Distrikt": [str(d).strip() for d in t["Distrikt"]],
            "Elever": [_number(v, f"kolonnen 'Elever' i {DELIVERY_TABLE}", path.name) for v in t["Elever"]],
            "Behovsnøgle": [None if e is None else e / total for e in expected],
            "Budget (kr.)": [None] * len(t),
        })
        kind = "leverance"
        notes.append("En leverance har intet budget: skriv sidste års budget pr. distrikt i kolonnen 'Budget (kr.)', "
                     "hvis ændringen i kroner og beskyttelsen mod store fald skal med.")
    else:
        raise InputError(f"{path.name} indeholder hverken en fordeling (tabellen {c.TBL_ALLOCATION} – en beregnet "
                         f"behovsmodel eller en delbar kopi) eller distriktstal (tabellen {DELIVERY_TABLE} – en "
                         "leverance). Vælg sidste års fil fra tildeling.")
    frame = frame[list(LAST_YEAR_COLUMNS)]
    last_year_from_frame(frame, Source(f"{path.name} ({kind})"))   # every problem now, not at the next run
    origin = f"{path.name} ({kind}{', ' + when if when else ''})"
    return LastYearImport(frame, coefs, origin, notes)


def last_year_sheet(imp: LastYearImport | None, *, when: datetime | None = None) -> Sheet:
    """The input sheet *Sidste år*: title, note, ``tblSidsteAar`` (and last year's coefficient table)."""
    if imp is None:
        frame, note = pd.DataFrame({col: [None] * 6 for col in LAST_YEAR_COLUMNS}), (
            "Skriv eller indsæt sidste års tal pr. distrikt – eller brug Tildeling → Indlæs sidste år. Behovsnøglen "
            "som brøk (summer til 1); budgettet er det, distriktet fik i sidste budgetår.")
        notes: list[str] = []
    else:
        frame = imp.frame
        note = (f"Indlæst {dk.long_datetime(when or datetime.now())} fra {imp.origin}. Du kan rette tallene her; "
                "beregn derefter igen.")
        notes = imp.notes
    blocks: list = [Text("Sidste års tal pr. distrikt", "title"), Text(note, "note")]
    fm = {"Elever": "#,##0", "Behovsnøgle": "0.00%", "Budget (kr.)": "#,##0"}
    validations = {
        "Elever": dict(type="decimal", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                       errorTitle="Tildeling", error="Elever skal være et tal på 0 eller mere.",
                       showInputMessage=True, promptTitle="Elever", prompt="Distriktets elever sidste år."),
        "Behovsnøgle": dict(type="decimal", operator="between", formula1="0", formula2="1", showErrorMessage=True,
                            errorTitle="Tildeling", error="Behovsnøglen er en andel mellem 0 og 1 (0 % og 100 %).",
                            showInputMessage=True, promptTitle="Behovsnøgle",
                            prompt="Sidste års behovsnøgle (alle distrikter summer til 100 %)."),
        "Budget (kr.)": dict(type="decimal", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                             errorTitle="Tildeling", error="Budgettet skal være et beløb på 0 kr. eller mere.",
                             showInputMessage=True, promptTitle="Budget (kr.)",
                             prompt="Det, distriktet fik i sidste budgetår (tom = ukendt)."),
    }
    blocks.append(TableBlock(c.TBL_LAST_YEAR, frame, fm, widths={"Distrikt": 12, "Budget (kr.)": 16},
                             unlocked=tuple(LAST_YEAR_COLUMNS), validations=validations))
    blocks += [Text(n, "note") for n in notes]
    if imp is not None and imp.coefficients is not None:
        blocks.append(TableBlock(c.TBL_LAST_YEAR_COEFS, imp.coefficients,
                                 title="Sidste års koefficienttabel (bruges til at skille modellens effekt ud)"))
    return Sheet(c.SHEET_LAST_YEAR, blocks, landscape=False, tab_color=INPUT_TAB, protect=False)
