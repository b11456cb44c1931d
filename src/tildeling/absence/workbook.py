"""The absence workbook: template, reading the input tables, writing results, the shared copy.

The writer only renders an :class:`~tildeling.absence.analysis.AbsenceResult`;
it computes nothing. Input sheets are never modified: a run replaces the
result sheets only, after the whole analysis has succeeded, and saves through a
temporary file (the file on disk is untouched if anything fails).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..errors import InputError
from . import contract as c
from ._suppress import suppression_mask
from ..io.atomic import atomic_save
from .analysis import AbsenceResult, analyse

__all__ = ["build_template", "new_template", "write_input_workbook", "read_inputs", "write_results",
           "run_workbook", "share", "is_absence_workbook", "DRILL_ROWS"]

#: Rows of the drill-down data the sheet's formulas look at (fixed, so the sheet works for any data size).
DRILL_ROWS = 50000

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(italic=True, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
BANNER_FILL = PatternFill("solid", fgColor="C00000")
BANNER_FONT = Font(bold=True, color="FFFFFF", size=12)
VERDICT_FILL = {c.CONFIRMED: PatternFill("solid", fgColor="C6EFCE"), c.REJECTED: PatternFill("solid", fgColor="FFC7CE"),
                c.UNRESOLVED: PatternFill("solid", fgColor="EDEDED")}
SUPPRESSED = "<5"

_INPUT_NOTES = {
    c.ELEVER.sheet: "Én række pr. elev (skoleområdet). 'Elev' er elevens pseudonym – det samme i alle ark.",
    c.FRAVAER.sheet: "Én række pr. elev og måned. Fravær i dage, delt i sygefravær, lovligt og ulovligt fravær. "
                     "Måned skrives ÅÅÅÅ-MM eller som en dato.",
    c.SKOLER.sheet: "Én række pr. skole med antal elever.",
    c.KLASSER.sheet: "Én række pr. klasse med antal elever.",
    c.SOCIAL.sheet: "Én række pr. hændelse: Type er Underretning, PPR-henvisning eller Børnesag.",
    c.FAMILIE.sheet: "Én række pr. elev. 1 = ja, 0 = nej. Beskæftigelse må være tom, hvis forælderen er ukendt.",
    c.SPROG.sheet: "Én række pr. elev. 1 = dansk som andetsprog, 0 = ikke.",
    c.HYPOTESER.sheet: "Skriv kommunens hypoteser. Faktor og retning vælges i listen.",
    c.SEGMENTER.sheet: "Regler for årsagskategorier for elever med bekymrende fravær. Laveste prioritet vinder. "
                       "Betingelser: kolonnenavne i [ ], tal, tekst i \"\", = <> < <= > >=, og/eller/ikke.",
    c.INDSTILLINGER.sheet: "Relevansgrænsen er den mindste forskel (procentpoint), der har praktisk betydning.",
}

_NUMBER_FORMATS = {
    "share": "0.0%", "pct": "0.0", "pp": "+0.0;-0.0;0.0", "ratio": "0.00", "p": "0.0000", "int": "0", "days": "0.0",
}


# ----------------------------------------------------------------------------------------------
# Small writing helpers
# ----------------------------------------------------------------------------------------------
def _clean(v):
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if isinstance(v, pd.Period):
        return str(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _header(ws, row, col, names):
    for j, name in enumerate(names):
        cell = ws.cell(row=row, column=col + j, value=str(name))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if any(len(str(n)) > 14 for n in names):
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 45)


def _write_frame(ws, df: pd.DataFrame, row: int, col: int = 1, *, formats: dict | None = None,
                 table: str | None = None, header: bool = True) -> tuple[int, int]:
    """Write ``df`` with its header at (row, col); return (first data row, last data row)."""
    formats = formats or {}
    if header:
        _header(ws, row, col, df.columns)
    r0 = row + 1 if header else row
    values = df.to_numpy(dtype=object)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            cell = ws.cell(row=r0 + i, column=col + j, value=_clean(values[i, j]))
            if values[i, j] == SUPPRESSED:
                cell.alignment = Alignment(horizontal="right")
    for j, name in enumerate(df.columns):
        fmt = formats.get(name)
        if fmt:
            for i in range(values.shape[0]):
                ws.cell(row=r0 + i, column=col + j).number_format = _NUMBER_FORMATS.get(fmt, fmt)
    last = r0 + max(values.shape[0], 1) - 1
    if table:
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(df.columns) - 1)}{last}"
        t = Table(displayName=table, ref=ref)
        t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(t)
    return r0, last


def _widths(ws, widths: dict):
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


def _title(ws, text, note=None):
    ws["A1"] = text
    ws["A1"].font = TITLE_FONT
    if note:
        ws["A2"] = note
        ws["A2"].font = NOTE_FONT


def _banner(ws, row, ncols):
    ws.cell(row=row, column=1, value=c.PERSONAL_BANNER)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ncols, 8))
    cell = ws.cell(row=row, column=1)
    cell.fill, cell.font = BANNER_FILL, BANNER_FONT
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[row].height = 36


def _print_setup(wb):
    """Landscape, one page wide: the sheets print (and render to PDF) readably."""
    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 3 if ws.title == c.SHEET_HYPOTHESES else 1
        ws.page_setup.fitToHeight = 0


def _set_modeltype(wb):
    if c.MODELTYPE_NAME in wb.defined_names:
        del wb.defined_names[c.MODELTYPE_NAME]
    wb.defined_names[c.MODELTYPE_NAME] = DefinedName(c.MODELTYPE_NAME, attr_text=f'"{c.MODELTYPE_VALUE}"')


def is_absence_workbook(path_or_wb) -> bool:
    """True when the workbook carries the defined name ``Modeltype`` = ``"fravaer"``."""
    wb = path_or_wb
    if not isinstance(wb, openpyxl.Workbook):
        wb = openpyxl.load_workbook(path_or_wb, read_only=True)
    try:
        dn = wb.defined_names.get(c.MODELTYPE_NAME)
        return dn is not None and str(dn.attr_text).strip().strip('"') == c.MODELTYPE_VALUE
    finally:
        if wb is not path_or_wb:
            wb.close()


# ----------------------------------------------------------------------------------------------
# Template
# ----------------------------------------------------------------------------------------------
def _guide(ws):
    _title(ws, "Fraværsanalyse – vejledning")
    lines = [
        "Formål: at se, om og hvordan skolefravær hænger sammen med sociale sager og familiens forhold, at "
        "be- eller afkræfte kommunens hypoteser, at se bekymrende fravær tidligt og at opdele elever med højt "
        "fravær efter årsag.",
        "",
        "Sådan gør du",
        "1. Kopiér data ind i de gule tabeller: Elever, Fravær, Skoler, Klasser, Social, Familie og Sprog. "
        "Elevens pseudonym ('Elev') kobler arkene sammen.",
        "2. Skriv hypoteserne i arket 'Hypoteser', og tilpas reglerne i 'Segmentering' og 'Indstillinger'.",
        "3. Kør analysen: knappen 'Kør fraværsanalyse' i båndet, eller på kommandolinjen: tildeling absence FIL.xlsx",
        "4. Læs resultaterne i arkene Resultat, Koblingsrapport, Hypotesetest, Krydstabeller, Tendens, Segmenter "
        "og Drilldown. Drilldown virker i almindelig Excel uden Python.",
        "5. Del kun en delbar kopi (tildeling share / knappen 'Lav delbar kopi'): den har ingen elevrækker.",
        "",
        "Regler og begreber",
        f"• Bekymrende fravær: samlet fravær på {c.pct(c.WORRYING_PCT, 0)} % eller mere (samlet for perioden og "
        "pr. kvartal).",
        f"• Underretningspligt: ulovligt fravær på {c.pct(c.UNLAWFUL_PCT, 0)} % eller mere i et kvartal.",
        "• Hypotesetest: andelen med bekymrende fravær med og uden faktoren – ujusteret og justeret for de "
        "andre faktorer (logistisk regression). Vurderingen (bekræftet / afkræftet / ikke afklaret) følger en "
        "fast regel, som står ud for hver hypotese.",
        "• Krydstabeller: hver faktor mod fraværsgrupperne under 5 %, 5–10 %, 10–15 % og 15 % og derover, "
        "med χ²-test.",
        f"• Tal for under {c.SMALL_CELL} elever vises ikke ('<5').",
        "",
        "Faktorer (til hypoteser, krydstabeller og drilldown)",
        *[f"• {f.name}: {f.description}." for f in c.FACTORS],
        "",
        "Betingelser i 'Segmentering'",
        "• Eksempel: [Ulovligt fravær (%)] >= 5 og ikke ([Dansk som andetsprog] = 1 eller Skoleskift > 0)",
        "• Kolonnenavne i [ ], tal med komma eller punktum, tekst i \"…\", = <> < <= > >=, og/eller/ikke og parenteser. "
        "En kolonne alene betyder 'er 1'. Procenter skrives som tal (fx 8 for 8 %).",
        "• Kolonner: " + ", ".join(_condition_columns()) + ".",
        "",
        "Databeskyttelse",
        "• Arkene 'Sagsbehandlerliste' og 'Ikke koblede elever' indeholder personoplysninger. De fjernes i en "
        "delbar kopi sammen med alle ark med elevrækker.",
    ]
    for i, line in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=line)
        ws.cell(row=i, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        if line in ("Sådan gør du", "Regler og begreber", "Databeskyttelse",
                    "Faktorer (til hypoteser, krydstabeller og drilldown)", "Betingelser i 'Segmentering'"):
            ws.cell(row=i, column=1).font = Font(bold=True)
    ws.column_dimensions["A"].width = 130


def _condition_columns():
    from .inputs import CONDITION_COLUMNS

    return CONDITION_COLUMNS


def _input_sheet(wb, domain: c.Domain, frame: pd.DataFrame | None):
    ws = wb.create_sheet(domain.sheet)
    _title(ws, domain.label if domain.key not in ("hypoteser", "segmenter", "indstillinger") else domain.sheet,
           _INPUT_NOTES.get(domain.sheet))
    cols = list(domain.columns)
    df = pd.DataFrame(columns=cols) if frame is None or frame.empty else frame[cols]
    if df.empty:
        df = pd.DataFrame([[None] * len(cols)], columns=cols)
    r0, last = _write_frame(ws, df, 3, 1, table=domain.table)
    for j in range(len(cols)):
        ws.column_dimensions[get_column_letter(j + 1)].width = 18
    if domain.key == "hypoteser":
        ws.column_dimensions["A"].width = 60
        ws.column_dimensions["B"].width = 30
        for col, name in (("B", "lstFaktorer"), ("C", "lstRetninger")):
            dv = DataValidation(type="list", formula1=f"={name}", allow_blank=True, showErrorMessage=True,
                                errorTitle="Ugyldig værdi", error="Vælg en værdi fra listen.")
            dv.add(f"{col}4:{col}200")
            ws.add_data_validation(dv)
    if domain.key == "segmenter":
        ws.column_dimensions["B"].width = 60
    if domain.key == "indstillinger":
        ws.column_dimensions["A"].width = 45
    if domain.key == "fravaer":
        for i in range(r0, last + 1):
            if not isinstance(ws.cell(row=i, column=2).value, str):
                ws.cell(row=i, column=2).number_format = "yyyy-mm"
    if domain.key == "social":
        for i in range(r0, last + 1):
            ws.cell(row=i, column=3).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A4"
    return ws


def _lists_sheet(wb, schools=(), grades=()):
    ws = wb.create_sheet(c.SHEET_LISTS)
    cols = {"Skole": [c.ALL] + list(schools), "Klassetrin": [c.ALL] + list(grades),
            "Faktor": list(c.FACTOR_NAMES), "Retning": list(c.DIRECTIONS)}
    for j, (name, values) in enumerate(cols.items(), start=1):
        _header(ws, 1, j, [name])
        for i, v in enumerate(values, start=2):
            ws.cell(row=i, column=j, value=v)
        ws.column_dimensions[get_column_letter(j)].width = 28
    for name, col in (("lstSkoler", "A"), ("lstKlassetrin", "B"), ("lstFaktorer", "C"), ("lstRetninger", "D")):
        if name in wb.defined_names:
            del wb.defined_names[name]
        wb.defined_names[name] = DefinedName(
            name, attr_text=f"OFFSET('{c.SHEET_LISTS}'!${col}$2,0,0,COUNTA('{c.SHEET_LISTS}'!${col}:${col})-1,1)")
    ws.sheet_state = "hidden"
    return ws


def _drilldata_sheet(wb, drill: pd.DataFrame | None):
    ws = wb.create_sheet(c.SHEET_DRILLDATA)
    cols = list(_drill_columns())
    df = drill if drill is not None and not drill.empty else pd.DataFrame([[None] * len(cols)], columns=cols)
    ws["A1"] = None
    _write_frame(ws, df, 1, 1, table="tblDrilldata")
    _widths(ws, {"A": 20, "B": 12, "C": 28, "D": 8})
    ws.freeze_panes = "A2"
    return ws


def _drill_columns():
    from .monitoring import DRILL_COLUMNS
    return DRILL_COLUMNS


def _drill_sheet(wb):
    """Dropdowns for school, grade and factor drive SUMIFS over Drilldata; small cells suppressed."""
    ws = wb.create_sheet(c.SHEET_DRILL)
    _title(ws, "Drilldown – klik dig rundt i fraværet",
           f"Vælg skole, klassetrin og faktor i de gule felter. Excel regner selv tallene (ingen Python). "
           f"Grupper med under {c.SMALL_CELL} elever vises som '{SUPPRESSED}', og så vises heller ikke den anden "
           "gruppe for samme faktor.")
    cols = _drill_columns()
    letter = {name: get_column_letter(j + 1) for j, name in enumerate(cols)}
    rng = {name: f"'{c.SHEET_DRILLDATA}'!${letter[name]}$2:${letter[name]}${DRILL_ROWS + 1}" for name in cols}
    sel = {"Skole": "$B$4", "Klassetrin": "$B$5", "Faktor": "$B$6"}
    for i, (label, default, lst) in enumerate((("Skole", c.ALL, "lstSkoler"), ("Klassetrin", c.ALL, "lstKlassetrin"),
                                              ("Faktor", c.FACTOR_NAMES[3], "lstFaktorer")), start=4):
        ws.cell(row=i, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=i, column=2, value=default)
        cell.fill = INPUT_FILL
        dv = DataValidation(type="list", formula1=f"={lst}", allow_blank=False, showErrorMessage=True,
                            errorTitle="Ugyldigt valg", error="Vælg en værdi fra listen.")
        dv.add(cell.coordinate)
        ws.add_data_validation(dv)

    def sumifs(col, factor, level):
        return (f"SUMIFS({rng[col]},{rng[c.SCHOOL]},{sel['Skole']},{rng[c.GRADE]},{sel['Klassetrin']},"
                f"{rng['Faktor']},{factor},{rng['Niveau']},\"{level}\")")

    header = ["Gruppe", "Elever", "Bekymrende fravær (antal)", "Andel med bekymrende fravær", "Gns. fravær (%)",
              *c.BANDS]
    _header(ws, 8, 1, header)
    rows = [("Med faktoren", sel["Faktor"], c.YES), ("Uden faktoren", sel["Faktor"], c.NO),
            (c.ALL_PUPILS, f'"{c.ALL_PUPILS}"', c.ALL)]
    n_yes, n_no = sumifs("Elever", sel["Faktor"], c.YES), sumifs("Elever", sel["Faktor"], c.NO)
    for r, (label, factor, level) in enumerate(rows, start=9):
        n = sumifs("Elever", factor, level)
        small = f"MIN({n_yes},{n_no})<{c.SMALL_CELL}" if level != c.ALL else f"{n}<{c.SMALL_CELL}"
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        ws.cell(row=r, column=2, value=f'=IF({n}<{c.SMALL_CELL},"{SUPPRESSED}",IF({small},"{SUPPRESSED}",{n}))')
        ws.cell(row=r, column=3, value=f'=IF({small},"",{sumifs("Bekymrende fravær", factor, level)})')
        ws.cell(row=r, column=4, value=f'=IF({small},"",{sumifs("Bekymrende fravær", factor, level)}/{n})')
        ws.cell(row=r, column=4).number_format = "0.0%"
        ws.cell(row=r, column=5, value=f'=IF({small},"",100*{sumifs(c.ABSENCE_DAYS, factor, level)}/'
                                       f'{sumifs(c.SCHOOL_DAYS, factor, level)})')
        ws.cell(row=r, column=5).number_format = "0.0"
        for j, band in enumerate(c.BANDS):
            ws.cell(row=r, column=6 + j, value=f'=IF({small},"",{sumifs(band, factor, level)}/{n})')
            ws.cell(row=r, column=6 + j).number_format = "0%"
    ws["A12"] = "Forskel (procentpoint)"
    ws["A12"].font = Font(bold=True)
    ws["D12"] = '=IF(OR(D9="",D10=""),"",100*(D9-D10))'
    ws["D12"].number_format = "+0.0;-0.0;0.0"
    found = (f"COUNTIFS({rng[c.SCHOOL]},{sel['Skole']},{rng[c.GRADE]},{sel['Klassetrin']},"
             f"{rng['Faktor']},{sel['Faktor']})")
    ws["A14"] = f'=IF({found}=0,"Ingen data for dette valg – kør analysen, eller vælg noget andet.","")'
    ws["A14"].font = Font(bold=True, color="C00000")
    ws["A15"] = '="Valgt: "&B4&" · "&B5&" · "&B6'
    ws["A15"].font = NOTE_FONT

    chart = BarChart()
    chart.type = "col"
    chart.title = "Fraværsgrupper med og uden faktoren"
    chart.y_axis.title = "Andel af eleverne"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.majorGridlines = None
    data = Reference(ws, min_col=5, max_col=9, min_row=9, max_row=10)
    # series per group (rows 9 and 10), categories = band headers
    for r in (9, 10):
        s = Series(Reference(ws, min_col=6, max_col=9, min_row=r, max_row=r), title_from_data=False,
                   title=ws.cell(row=r, column=1).value)
        chart.series.append(s)
    del data
    chart.set_categories(Reference(ws, min_col=6, max_col=9, min_row=8, max_row=8))
    chart.height, chart.width = 8, 18
    ws.add_chart(chart, "A17")
    _widths(ws, {"A": 24, "B": 26, "C": 14, "D": 16, "E": 12, "F": 11, "G": 11, "H": 11, "I": 14})
    ws.row_dimensions[8].height = 45
    return ws


def build_template(data=None) -> openpyxl.Workbook:
    """The absence workbook: guide, input tables (empty, or ``data`` from the generator), drill-down.

    Parameters
    ----------
    data : tildeling.synth.absence.AbsenceData, optional
        Fill the input tables (for demos and tests). Hypotheses, segment rules and
        settings always get the defaults unless ``data`` has others.
    """
    from ..synth.absence import DEFAULT_HYPOTHESES, DEFAULT_SEGMENT_RULES

    wb = openpyxl.Workbook()
    _guide(wb.active)
    wb.active.title = c.SHEET_GUIDE
    tables = data.tables() if data is not None else {}
    defaults = {"hypoteser": DEFAULT_HYPOTHESES, "segmenter": DEFAULT_SEGMENT_RULES,
                "indstillinger": pd.DataFrame({c.SETTING: list(c.DEFAULT_SETTINGS),
                                               c.VALUE: list(c.DEFAULT_SETTINGS.values())})}
    for d in c.INPUT_DOMAINS:
        frame = tables.get(d.key, defaults.get(d.key))
        ws = _input_sheet(wb, d, frame)
        ws.sheet_properties.tabColor = "FFC000"
    _drill_sheet(wb)
    _drilldata_sheet(wb, None)
    _lists_sheet(wb)
    _set_modeltype(wb)
    _print_setup(wb)
    return wb


def new_template(out_path) -> Path:
    """Write an empty absence workbook (``tildeling new fravaer``)."""
    out = Path(out_path)
    atomic_save(build_template(), out)
    return out


def write_input_workbook(path, data) -> Path:
    """A template filled with generated data (demo, tests, screenshots)."""
    out = Path(path)
    atomic_save(build_template(data), out)
    return out


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------
def _table_refs(wb) -> dict:
    refs = {}
    for ws in wb.worksheets:
        for name, t in ws.tables.items():
            ref = t.ref if hasattr(t, "ref") else t
            refs[name] = (ws.title, ref)
    return refs


def read_inputs(path, wb=None) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read every input table of the workbook at ``path`` (values, not formulas).

    Returns the raw tables by domain key and the sheet row of each table's first data row.
    """
    from openpyxl.utils.cell import range_boundaries
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.exists():
        raise InputError(f"Filen {path} findes ikke.")
    own = wb is None
    if own:
        try:
            wb = openpyxl.load_workbook(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure means "not a workbook we can read"
            raise InputError(f"Filen {path.name} kan ikke læses som en Excel-projektmappe ({exc}).") from None
    refs = _table_refs(wb)
    cw = CalamineWorkbook.from_path(str(path))
    raw, first_rows = {}, {}
    cache = {}
    for d in c.INPUT_DOMAINS:
        if d.table not in refs:
            if d.key == "indstillinger":
                continue
            where = f"arket '{d.sheet}'" if d.sheet in wb.sheetnames else f"projektmappen (arket '{d.sheet}' mangler)"
            raise InputError(f"Tabellen {d.table} findes ikke i {where}. Brug en projektmappe lavet med "
                             "'tildeling new fravaer', og lad tabellerne blive stående.")
        sheet, ref = refs[d.table]
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if sheet not in cache:
            cache[sheet] = cw.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        rows = cache[sheet]
        block = []
        for r in range(min_row - 1, max_row):
            row = rows[r] if r < len(rows) else []
            vals = [row[k] if k < len(row) else "" for k in range(min_col - 1, max_col)]
            block.append([None if (isinstance(v, str) and v == "") else v for v in vals])
        header = [str(h).strip() if h is not None else "" for h in block[0]]
        raw[d.key] = pd.DataFrame(block[1:], columns=header, dtype=object)
        first_rows[d.key] = min_row + 1
    return raw, first_rows


# ----------------------------------------------------------------------------------------------
# Writing results
# ----------------------------------------------------------------------------------------------
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


def write_results(wb: openpyxl.Workbook, res: AbsenceResult) -> None:
    """Replace the result sheets of ``wb`` by a rendering of ``res``; input sheets are left alone."""
    for name in c.RESULT_SHEETS:
        if name in wb.sheetnames:
            del wb[name]
    writers = [
        (c.SHEET_OVERVIEW, _overview), (c.SHEET_LINK, _link_sheet), (c.SHEET_HYPOTHESES, _hypotheses_sheet),
        (c.SHEET_CROSSTABS, _crosstab_sheet), (c.SHEET_TREND, _trend_sheet), (c.SHEET_SEGMENTS, _segments_sheet),
    ]
    for name, fn in writers:
        ws = wb.create_sheet(name)
        ws.sheet_properties.tabColor = "1F4E78"
        fn(ws, res)
    _drill_sheet(wb).sheet_properties.tabColor = "70AD47"
    _drilldata_sheet(wb, res.drill)
    schools = sorted(res.pupils[c.SCHOOL].unique())
    grades = [f"{g}. klasse" for g in sorted(res.pupils[c.GRADE].unique())]
    _lists_sheet(wb, schools, grades)
    for name, fn in ((c.SHEET_CASEWORKER, _caseworker_sheet), (c.SHEET_UNMATCHED, _unmatched_sheet)):
        ws = wb.create_sheet(name)
        ws.sheet_properties.tabColor = "C00000"
        fn(ws, res)
    _set_modeltype(wb)
    _print_setup(wb)
    wb.active = wb.sheetnames.index(c.SHEET_OVERVIEW)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == c.SHEET_OVERVIEW


def run_workbook(path, out=None) -> AbsenceResult:
    """Read ``path``, analyse, and write the results into ``out`` (default: ``path`` itself).

    Compute first, write last: if anything fails, no file is changed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"Filen {path} findes ikke.")
    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"Filen {path.name} kan ikke læses som en Excel-projektmappe ({exc}).") from None
    if not is_absence_workbook(wb):
        raise InputError(f"Filen {path.name} er ikke en fraværsanalyse (navnet '{c.MODELTYPE_NAME}' mangler). "
                         "Lav en med 'tildeling new fravaer'.")
    raw, first_rows = read_inputs(path, wb)
    res = analyse(raw, first_rows)
    write_results(wb, res)
    atomic_save(wb, Path(out) if out else path)
    return res


# ----------------------------------------------------------------------------------------------
# Shared copy
# ----------------------------------------------------------------------------------------------
def share(path, out_path) -> Path:
    """Write a copy of an absence workbook without pupil-level rows or identifiers.

    Removed: the caseworker list, the unmatched list and every input sheet with
    pupil rows (Elever, Fravær, Social, Familie, Sprog). In the drill-down data,
    rows for fewer than 5 pupils (and the other level of the same factor) are
    blanked, so the suppression does not rely on the formulas alone.
    """
    path, out = Path(path), Path(out_path)
    if path.resolve() == out.resolve():
        raise InputError("Den delbare kopi skal gemmes i en anden fil end originalen.")
    wb = openpyxl.load_workbook(path)
    if not is_absence_workbook(wb):
        raise InputError(f"Filen {path.name} er ikke en fraværsanalyse (navnet '{c.MODELTYPE_NAME}' mangler).")
    removed = [n for n in (*c.PERSONAL_SHEETS, *c.PUPIL_LEVEL_SHEETS) if n in wb.sheetnames]
    for name in removed:
        del wb[name]
    for name in list(wb.defined_names):
        text = str(wb.defined_names[name].attr_text)
        if any(f"'{s}'!" in text or f"{s}!" in text for s in removed):
            del wb.defined_names[name]
    if c.SHEET_DRILLDATA in wb.sheetnames:
        _suppress_drilldata(wb[c.SHEET_DRILLDATA])
    if c.SHEET_GUIDE in wb.sheetnames:
        ws = wb[c.SHEET_GUIDE]
        ws.insert_rows(2)
        ws["A2"] = (f"DELBAR KOPI lavet {_dt.date.today():%d-%m-%Y}: uden elevrækker og personoplysninger "
                    f"(fjernet: {', '.join(removed)}). Analysen kan ikke køres igen fra denne kopi.")
        ws["A2"].font = Font(bold=True, color="C00000")
    first = c.SHEET_OVERVIEW if c.SHEET_OVERVIEW in wb.sheetnames else wb.sheetnames[0]
    wb.active = wb.sheetnames.index(first)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == first
    _set_modeltype(wb)
    atomic_save(wb, out)
    return out


def _suppress_drilldata(ws):
    cols = list(_drill_columns())
    header = [cell.value for cell in ws[1]]
    if header[:len(cols)] != cols:
        return
    rows = list(ws.iter_rows(min_row=2, max_col=len(cols)))
    idx = {name: k for k, name in enumerate(cols)}
    groups: dict = {}
    for row in rows:
        key = (row[idx[c.SCHOOL]].value, row[idx[c.GRADE]].value, row[idx["Faktor"]].value)
        groups.setdefault(key, []).append(row)
    for members in groups.values():
        ns = [r[idx["Elever"]].value for r in members]
        if any(isinstance(n, (int, float)) and n < c.SMALL_CELL for n in ns):
            for r in members:
                for name in cols[4:]:
                    r[idx[name]].value = 0 if name == "Elever" else None
