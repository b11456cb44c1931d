"""The absence result sheets, rendered with openpyxl from an :class:`~tildeling.absence.analysis.AbsenceResult`.

The writer only renders; it computes nothing.
"""

from __future__ import annotations

import datetime as _dt
import io

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ...absence.analysis import AbsenceResult
from ...privacy import suppression_mask
from . import contract as c
from ._write import (NOTE_FONT, SUPPRESSED, VERDICT_FILL, _banner, _print_setup, _title, _widths,
                     _write_frame)
from .template import _drill_columns, _drill_sheet, _drilldata_sheet, _lists_sheet, _set_modeltype

__all__ = ["write_results", "render_results"]


def _suppressed_frame(counts: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    out = counts.astype(object).copy()
    out[mask] = SUPPRESSED
    return out

def _overview(ws, res: AbsenceResult):
    _title(ws, "Fraværsanalyse – resultat",
           f"Kørt {_dt.datetime.now():%d-%m-%Y %H:%M}. Tal for under {c.SMALL_CELL} elever vises ikke.")
    r0, last = _write_frame(ws, res.summary, 4, 1)
    for r in range(r0, last + 1):
        label = ws.cell(row=r, column=1).value
        ws.cell(row=r, column=2).number_format = "0.0%" if label.startswith("Andel") else (
            "0.0" if "(%)" in label or "procentpoint" in label else "#,##0")
    row = last + 2
    ws.cell(row=row, column=1, value="Hypoteser").font = Font(bold=True, size=12)
    h = res.hypotheses[[c.HYP_TEXT, c.HYP_FACTOR, "Vurdering", "Justeret forskel (procentpoint)",
                        "Justeret odds-ratio", "Justeret p-værdi"]]
    r0, last = _write_frame(ws, h, row + 1, 1, formats={"Justeret forskel (procentpoint)": "pp",
                                                        "Justeret odds-ratio": "ratio", "Justeret p-værdi": "p"})
    for r in range(r0, last + 1):
        cell = ws.cell(row=r, column=3)
        cell.fill = VERDICT_FILL.get(cell.value, PatternFill())
    ws.cell(row=last + 1, column=1, value=res.model_note).font = NOTE_FONT
    ws.cell(row=last + 2, column=1, value="Begrundelsen for hver vurdering står i arket 'Hypotesetest'.").font = NOTE_FONT
    _widths(ws, {"A": 58, "B": 30, "C": 14, "D": 16, "E": 12, "F": 12})

def _link_sheet(ws, res: AbsenceResult):
    _title(ws, "Koblingsrapport",
           "Hvor mange elever fra elevlisten der blev fundet i hvert domæne. Kørslen stopper ikke, når en elev mangler. "
           f"Listen over elever, der ikke kunne kobles, står i arket '{c.SHEET_UNMATCHED}' (personoplysninger).")
    _write_frame(ws, res.linked.report, 4, 1, formats={k: "#,##0" for k in res.linked.report.columns[1:6]})
    _widths(ws, {"A": 28, "B": 10, "C": 14, "D": 14, "E": 16, "F": 18, "G": 60})
    ws.row_dimensions[4].height = 45

def _unmatched_sheet(ws, res: AbsenceResult):
    _title(ws, "Ikke koblede elever")
    _banner(ws, 2, 3)
    um = res.linked.unmatched
    if um.empty:
        um = pd.DataFrame([["", "", "Alle elever blev koblet"]], columns=um.columns)
    _write_frame(ws, um, 4, 1, table="tblIkkeKoblede")
    _widths(ws, {"A": 14, "B": 28, "C": 70})

def _hypotheses_sheet(ws, res: AbsenceResult):
    _title(ws, "Hypotesetest – bekymrende fravær (≥ 10 %) med og uden faktoren",
           "Forskel = andel med bekymrende fravær med faktoren minus uden, i procentpoint, med 95 % "
           "konfidensinterval (KI). Justeret = korrigeret for de andre faktorer (logistisk regression). "
           f"Relevansgrænse: {c.pct(res.inputs.settings[c.SET_MARGIN])} procentpoint. " + res.model_note)
    h = res.hypotheses.astype(object).copy()
    n1 = res.hypotheses["Elever med faktoren"].to_numpy()
    n0 = res.hypotheses["Elever"].to_numpy() - n1
    small = (n1 < c.SMALL_CELL) | (n0 < c.SMALL_CELL)
    if small.any():  # group shares of fewer than 5 pupils are not shown
        group_cols = ["Bekymrende fravær med faktoren", "Bekymrende fravær uden faktoren",
                      "Gns. fravær med faktoren (%)", "Gns. fravær uden faktoren (%)"]
        h.loc[small, group_cols] = None
        h.loc[small & (n1 < c.SMALL_CELL), "Elever med faktoren"] = SUPPRESSED
    first = [c.HYP_TEXT, c.HYP_FACTOR, c.HYP_DIRECTION, "Vurdering", "Begrundelse"]
    h = h[first + [k for k in h.columns if k not in first]]
    fmts = {"Bekymrende fravær med faktoren": "share", "Bekymrende fravær uden faktoren": "share",
            "Gns. fravær med faktoren (%)": "pct", "Gns. fravær uden faktoren (%)": "pct"}
    for col in h.columns:
        if "forskel" in col.lower():
            fmts[col] = "pp"
        elif "ratio" in col:
            fmts[col] = "ratio"
        elif "p-værdi" in col.lower():
            fmts[col] = "p"
    r0, last = _write_frame(ws, h, 4, 1, formats=fmts, table="tblHypotesetest")
    vcol = list(h.columns).index("Vurdering") + 1
    for r in range(r0, last + 1):
        cell = ws.cell(row=r, column=vcol)
        cell.fill = VERDICT_FILL.get(cell.value, PatternFill())
        for j in range(1, len(h.columns) + 1):
            ws.cell(row=r, column=j).alignment = Alignment(vertical="top", wrap_text=j in (1, vcol + 1))
        lines = max(-(-len(str(ws.cell(row=r, column=vcol + 1).value)) // 80),
                    -(-len(str(ws.cell(row=r, column=1).value)) // 42), 1)
        ws.row_dimensions[r].height = 15 * lines
    ws.row_dimensions[4].height = 60
    for j in range(1, len(h.columns) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 12
    _widths(ws, {"A": 40, "B": 24, "C": 15, get_column_letter(vcol): 13, get_column_letter(vcol + 1): 70})
    ws.freeze_panes = "C5"

def _crosstab_sheet(ws, res: AbsenceResult):
    _title(ws, "Krydstabeller – faktor mod fraværsgrupper",
           "Antal elever og andel af rækken i hver fraværsgruppe (samlet fravær i perioden). χ²-test for sammenhæng; "
           f"Cramérs V måler styrken (0 = ingen, 1 = fuld). Sorteret efter styrke. '{SUPPRESSED}' = under "
           f"{c.SMALL_CELL} elever.")
    strongest = {t.factor for t in res.strongest}
    row = 4
    chart_rows = []
    for t in res.crosstabs:
        p_txt = "p < 0,001" if t.p < 0.001 else f"p = {c.pct(t.p, 3)}" if not np.isnan(t.p) else "p kan ikke beregnes"
        v_txt = c.pct(t.cramers_v, 2) if not np.isnan(t.cramers_v) else "–"
        ws.cell(row=row, column=1, value=f"{t.factor}: Cramérs V = {v_txt}, χ² = "
                                         f"{c.pct(t.chi2, 1) if not np.isnan(t.chi2) else '–'} "
                                         f"({t.dof} frihedsgrader), {p_txt}, {t.n} elever"
                                         + (" – blandt de stærkeste" if t.factor in strongest else "")).font = Font(bold=True)
        counts = t.counts.copy()
        counts["I alt"] = counts.sum(axis=1)
        mask = suppression_mask(counts[list(c.BANDS)].to_numpy())
        mask_full = np.column_stack([mask, counts["I alt"].to_numpy() < c.SMALL_CELL])
        shown = _suppressed_frame(counts, mask_full)
        pct = t.row_pct.copy().astype(object)
        pct[mask | (counts["I alt"].to_numpy()[:, None] < c.SMALL_CELL)] = None
        pct = pct.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else v / 100)
        pct.columns = [f"Andel {b[0].lower() + b[1:]}" for b in c.BANDS]
        table = pd.concat([shown, pct], axis=1)
        table.insert(0, t.factor, [c.NO, c.YES])
        r0, last = _write_frame(ws, table, row + 1, 1, formats={k: "0.0%" for k in pct.columns})
        if t.factor in strongest:
            chart_rows.append((t, r0))
        row = last + 3
    # Charts for the strongest relations (100 % stacked bars over the row percentages)
    for k, (t, r0) in enumerate(chart_rows):
        ch = BarChart()
        ch.type = "bar"
        ch.grouping = "percentStacked"
        ch.overlap = 100
        ch.title = f"{t.factor}: fordeling på fraværsgrupper"
        for j, band in enumerate(c.BANDS):
            ch.series.append(Series(Reference(ws, min_col=7 + j, min_row=r0, max_row=r0 + 1), title=band))
        ch.set_categories(Reference(ws, min_col=1, min_row=r0, max_row=r0 + 1))
        ch.x_axis.delete = False
        ch.y_axis.delete = False
        ch.y_axis.numFmt = "0%"
        ch.height, ch.width = 6.5, 16
        ws.add_chart(ch, f"L{4 + k * 14}")
    _widths(ws, {"A": 36, "B": 11, "C": 11, "D": 11, "E": 13, "F": 9, "G": 13, "H": 13, "I": 13, "J": 15})

def _trend_sheet(ws, res: AbsenceResult):
    _title(ws, "Tendens – fravær pr. skole og måned (%)",
           f"Samlet fravær i procent af skoledagene. Tomt felt = under {c.SMALL_CELL} elever.")
    tr = res.trend.reset_index()
    r0, last = _write_frame(ws, tr, 4, 1, formats={k: "pct" for k in tr.columns[1:]}, table="tblTendens")
    ch = LineChart()
    ch.title = "Fravær pr. måned (%)"
    ch.y_axis.title = "Fravær (%)"
    ch.x_axis.title = "Måned"
    ch.add_data(Reference(ws, min_col=2, max_col=len(tr.columns), min_row=4, max_row=last), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=r0, max_row=last))
    for series in ch.series:
        series.smooth = False
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.height, ch.width = 10, 24
    ws.add_chart(ch, f"A{last + 3}")
    ws.column_dimensions["A"].width = 12
    for j in range(2, len(tr.columns) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    ws.row_dimensions[4].height = 30

def _segments_sheet(ws, res: AbsenceResult):
    _title(ws, "Segmenter – elever med bekymrende fravær fordelt på årsag",
           "Hver elev med bekymrende fravær får kategorien fra den første regel (laveste prioritet), der passer. "
           f"'{SUPPRESSED}' = under {c.SMALL_CELL} elever.")
    rules = res.segment_rules
    rules = rules[[k for k in rules.columns if k != c.SEG_CONDITION] + [c.SEG_CONDITION]]
    r0, last = _write_frame(ws, rules, 4, 1)
    row = last + 2
    for title, (counts, mask) in (("Pr. skole", res.segments_by_school), ("Pr. klassetrin", res.segments_by_grade)):
        ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
        shown = _suppressed_frame(counts, mask).reset_index()
        shown = shown.rename(columns={shown.columns[0]: c.SCHOOL if title == "Pr. skole" else c.GRADE})
        r0, last = _write_frame(ws, shown, row + 1, 1)
        row = last + 2
    _widths(ws, {"A": 20, "B": 18, "C": 14, "D": 14, "E": 14, "F": 12, "G": 18, "H": 12})

def _caseworker_sheet(ws, res: AbsenceResult):
    _title(ws, "Sagsbehandlerliste – elever med bekymrende fravær pr. kvartal")
    _banner(ws, 2, len(res.caseworkers.columns))
    cw = res.caseworkers
    if cw.empty:
        cw = pd.DataFrame([[None] * len(cw.columns)], columns=cw.columns)
    _write_frame(ws, cw, 4, 1, formats={c.ABSENCE_PCT: "pct", c.UNLAWFUL_PCT_COL: "pct", c.SCHOOL_DAYS: "days",
                                        c.ABSENCE_DAYS: "days", c.UNLAWFUL: "days"}, table="tblSagsbehandler")
    ws.row_dimensions[4].height = 30
    for j in range(1, len(cw.columns) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 13
    _widths(ws, {"B": 20, "M": 16})
    ws.freeze_panes = "B5"

def write_results(wb: openpyxl.Workbook, res: AbsenceResult, *, shared: bool = False) -> None:
    """Replace the result sheets of ``wb`` by a rendering of ``res``; input sheets are left alone.

    ``shared=True``: the shareable version – no personal-data sheets, and drill-down
    rows for fewer than 5 pupils (with the other level of the same factor) blanked.
    """
    for name in c.RESULT_SHEETS:
        if name in wb.sheetnames:
            del wb[name]
    writers = [
        (c.SHEET_OVERVIEW, _overview), (c.SHEET_LINK, _link_sheet), (c.SHEET_HYPOTHESES, _hypotheses_sheet),
        (c.SHEET_CROSSTABS, _crosstab_sheet), (c.SHEET_TREND, _trend_sheet), (c.SHEET_SEGMENTS, _segments_sheet),
    ]
    written = []
    for name, fn in writers:
        ws = wb.create_sheet(name)
        ws.sheet_properties.tabColor = "1F4E78"
        fn(ws, res)
        written.append(ws)
    ws = _drill_sheet(wb)
    ws.sheet_properties.tabColor = "70AD47"
    written.append(ws)
    written.append(_drilldata_sheet(wb, _shared_drill(res.drill) if shared else res.drill))
    schools = sorted(res.pupils[c.SCHOOL].unique())
    grades = [f"{g}. klasse" for g in sorted(res.pupils[c.GRADE].unique())]
    written.append(_lists_sheet(wb, schools, grades))
    if not shared:
        for name, fn in ((c.SHEET_CASEWORKER, _caseworker_sheet), (c.SHEET_UNMATCHED, _unmatched_sheet)):
            ws = wb.create_sheet(name)
            ws.sheet_properties.tabColor = "C00000"
            fn(ws, res)
            written.append(ws)
    _set_modeltype(wb)
    _print_setup(written)
    wb.active = wb.sheetnames.index(c.SHEET_OVERVIEW)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == c.SHEET_OVERVIEW

def render_results(res: AbsenceResult) -> tuple[bytes, list[str], dict[str, str]]:
    """The result sheets in a small separate package, ready to be grafted into the user's workbook.

    Returns the package, the sheet names in order and the workbook-level defined
    names the sheets need (list names for the drop-downs, ``Modeltype``).
    """
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    write_results(wb, res)
    names = {name: str(dn.attr_text) for name, dn in wb.defined_names.items()}
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), list(wb.sheetnames), names


def _shared_drill(drill: pd.DataFrame) -> pd.DataFrame:
    """Drill-down rows with the counts of a group under 5 pupils blanked (both levels of the factor)."""
    cols = list(_drill_columns())
    out = drill.astype(object).copy()
    n = pd.to_numeric(drill["Elever"], errors="coerce")
    small = (n < c.SMALL_CELL).groupby([drill[c.SCHOOL], drill[c.GRADE], drill["Faktor"]], sort=False) \
        .transform("any").to_numpy(dtype=bool)
    out.loc[small, "Elever"] = 0
    out.loc[small, cols[5:]] = None
    return out
