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
from openpyxl.worksheet.pagebreak import Break

from ... import danish as dk
from ...absence.analysis import AbsenceResult
from ...privacy import suppression_mask
from . import contract as c
from ._write import (NOTE_FONT, SUPPRESSED, VERDICT_FILL, _banner, _print_setup, _title, _total_row, _widths,
                     _write_frame, protect_result_sheet)
from .template import _drill_columns, _drill_sheet, _drilldata_sheet, _lists_sheet, _set_modeltype

__all__ = ["write_results", "render_results"]

#: Rows one crosstab chart takes (6,5 cm and a gap), and rows one crosstab takes (title, a header of 3 rows
#: height, Nej, Ja, I alt and a gap).
CHART_ROWS = 16
CROSSTAB_ROWS = 10
#: A row of 15 points in cm, and the rows a landscape A4 page holds at 100 % between margins of 0,75" (scaling a
#: sheet to fit its width only shrinks rows, so at least this many fit).
ROW_CM = 15 * 2.54 / 72
ROWS_PER_PAGE = int((21.0 - 2 * 0.75 * 2.54) / ROW_CM)


def _suppressed_frame(counts: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    out = counts.astype(object).copy()
    out[mask] = SUPPRESSED
    return out

def _overview(ws, res: AbsenceResult):
    _title(ws, "Fraværsanalyse – resultat",
           f"Kørt {dk.long_datetime(_dt.datetime.now())}. Tal for under {c.SMALL_CELL} elever vises ikke.")
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
    fmts = {"Elever": "#,##0", "Elever med faktoren": "#,##0",
            "Bekymrende fravær med faktoren": "share", "Bekymrende fravær uden faktoren": "share",
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
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=vcol + 1)   # the long note wraps on the page
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 45
    ws.freeze_panes = "C5"
    ws.print_title_cols = "A:B"      # the hypothesis and the factor on every printed page
    ws.print_title_rows = "4:4"

def _crosstab_sheet(ws, res: AbsenceResult):
    _title(ws, "Krydstabeller – faktor mod fraværsgrupper",
           "Antal elever og andel af rækken i hver fraværsgruppe (samlet fravær i perioden). χ²-test for sammenhæng; "
           f"Cramérs V måler styrken (0 = ingen, 1 = fuld). Sorteret efter styrke. '{SUPPRESSED}' = under "
           f"{c.SMALL_CELL} elever.")
    strongest = {t.factor for t in res.strongest}
    row = 4
    chart_rows = []
    page_top = 1
    for t in res.crosstabs:
        # a table is never split: title, header (45 points = 3 rows), two rows, I alt and a gap
        if row - page_top + CROSSTAB_ROWS > ROWS_PER_PAGE:
            ws.row_breaks.append(Break(id=row - 1))
            page_top = row
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
        formats = {k: "#,##0" for k in shown.columns} | {k: "0.0%" for k in pct.columns}
        r0, last = _write_frame(ws, table, row + 1, 1, formats=formats)
        # I alt: the pupils in each band (the margin the suppression already protects); a band of 1-4 pupils hidden
        sums = counts.sum(axis=0)
        n_all = float(sums["I alt"])
        small_sum = (sums > 0) & (sums < c.SMALL_CELL)
        shares = [None if small_sum[b] or n_all < c.SMALL_CELL or not n_all else float(sums[b]) / n_all
                  for b in c.BANDS]
        _total_row(ws, last + 1, [SUPPRESSED if small_sum[k] else int(sums[k]) for k in counts.columns] + shares,
                   ["#,##0"] * len(counts.columns) + ["0.0%"] * len(shares))
        if t.factor in strongest:
            chart_rows.append((t, r0))
        row = last + 4
    # Charts for the strongest relations (100 % stacked bars over the row percentages), below the tables on
    # pages of their own, two to a page: no chart is cut by a page break
    first_chart_row = row + 1
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
        ch.height, ch.width = 6.5, 22
        at = first_chart_row + k * CHART_ROWS
        if k % 2 == 0:
            ws.row_breaks.append(Break(id=at - 1))
        ws.add_chart(ch, f"A{at + 1}")   # a blank row under the break: the frame stays on its page
    _widths(ws, {"A": 36, "B": 11, "C": 11, "D": 11, "E": 13, "F": 9, "G": 13, "H": 13, "I": 13, "J": 15})
    end = first_chart_row + (len(chart_rows) + 1) // 2 * 2 * CHART_ROWS if chart_rows else row
    ws.print_area = f"A1:J{end}"   # the tables' columns: the long titles do not widen the page

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
    chart_rows = int(ch.height / ROW_CM) + 2
    if last + 2 + chart_rows > ROWS_PER_PAGE:   # table and chart do not fit on a page: the chart starts the next
        ws.row_breaks.append(Break(id=last + 2))
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
        if title == "Pr. klassetrin":   # its own page: the heading is not left alone at the foot of a page
            ws.row_breaks.append(Break(id=row - 1))
        ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
        shown = _suppressed_frame(counts, mask).reset_index()
        shown = shown.rename(columns={shown.columns[0]: c.SCHOOL if title == "Pr. skole" else c.GRADE})
        r0, last = _write_frame(ws, shown, row + 1, 1, formats={k: "#,##0" for k in shown.columns[1:]})
        sums = counts.sum(axis=0)    # = 'Placeret i kategorien' above; a category of 1-4 pupils hidden
        _total_row(ws, last + 1, [SUPPRESSED if 0 < v < c.SMALL_CELL else int(v) for v in sums],
                   ["#,##0"] * len(sums))
        row = last + 3
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
    for ws in written:   # result sheets: protected without a password; the drill-down's choices stay open
        if ws.title in (c.SHEET_LISTS,):
            continue
        protect_result_sheet(ws, open_cells=("B4", "B5", "B6") if ws.title == c.SHEET_DRILL else ())
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
