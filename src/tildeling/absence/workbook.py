"""The absence workbook: template, reading the input tables, writing results, the shared copy.

The writer only renders an :class:`~tildeling.absence.analysis.AbsenceResult`;
it computes nothing. Input sheets are never modified: a run reads the input
tables with python-calamine, renders the result sheets into a small separate
workbook and grafts them into the user's package
(:func:`tildeling.workbook.graft.graft_sheets`: every other part is copied byte
for byte), after the whole analysis has succeeded, and saves through a
temporary file (the file on disk is untouched if anything fails). The shared
copy is a new workbook rendered from the results, so nothing of the original
package travels along.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
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
from ..io.atomic import atomic_save, atomic_write
from . import contract as c
from ._suppress import suppression_mask
from .analysis import AbsenceResult, analyse
from .inputs import source_for

__all__ = ["build_template", "new_template", "write_input_workbook", "read_inputs", "write_results",
           "render_results", "shared_workbook", "run_workbook", "share", "is_absence_workbook", "DRILL_ROWS"]

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
    t = type(v)
    if t is str or t is int:
        return v
    if t is float:
        return None if v != v else v
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
    fmts = [formats.get(name) for name in df.columns]
    fmts = [_NUMBER_FORMATS.get(f, f) if f else None for f in fmts]
    right = Alignment(horizontal="right")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            cell = ws.cell(row=r0 + i, column=col + j, value=_clean(v))
            if isinstance(v, str) and v == SUPPRESSED:
                cell.alignment = right
            if fmts[j]:
                cell.number_format = fmts[j]
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


def _print_setup(sheets):
    """Landscape, one page wide: the sheets print (and render to PDF) readably."""
    for ws in sheets:
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
    """True when the workbook carries the defined name ``Modeltype`` = ``"fravaer"``.

    ``path_or_wb`` : a path, the file's bytes, or an openpyxl Workbook.
    """
    if isinstance(path_or_wb, openpyxl.Workbook):
        dn = path_or_wb.defined_names.get(c.MODELTYPE_NAME)
        return dn is not None and str(dn.attr_text).strip().strip('"') == c.MODELTYPE_VALUE
    name = "projektmappen" if isinstance(path_or_wb, (bytes, bytearray)) else Path(path_or_wb).name
    return _model_type(path_or_wb, name) == c.MODELTYPE_VALUE


def _model_type(source, name: str) -> str:
    return _global_names(source, name).get(c.MODELTYPE_NAME, "").strip().strip('"')


def _not_readable(name: str, exc: Exception) -> InputError:
    return InputError(f"Filen {name} kan ikke læses som en Excel-projektmappe ({exc}).")


def _global_names(source, name: str) -> dict[str, str]:
    """Workbook-level defined names (name → formula text), reading only the workbook part of the package."""
    from lxml import etree

    from ..workbook.graft import NS

    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source) as z:
            rels = etree.fromstring(z.read("_rels/.rels"))
            part = next(r.get("Target").lstrip("/") for r in rels.findall("pr:Relationship", NS)
                        if r.get("Type").endswith("/officeDocument"))
            wb = etree.fromstring(z.read(part))
    except (zipfile.BadZipFile, KeyError, StopIteration, ValueError, etree.XMLSyntaxError) as exc:
        raise _not_readable(name, exc) from None
    dn = wb.find("m:definedNames", NS)
    return {d.get("name"): (d.text or "") for d in ([] if dn is None else dn)
            if isinstance(d.tag, str) and d.get("localSheetId") is None}


def _require_absence_workbook(data: bytes, name: str, hint: str = "") -> None:
    if _model_type(data, name) != c.MODELTYPE_VALUE:
        raise InputError(f"Filen {name} er ikke en fraværsanalyse (navnet '{c.MODELTYPE_NAME}' mangler).{hint}")


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
    _print_setup(wb.worksheets)
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
def _load(source, name: str | None = None) -> tuple[bytes, str]:
    """The package bytes and a name for messages, from a path or from bytes."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "projektmappen"
    path = Path(source)
    if not path.exists():
        raise InputError(f"Filen {path} findes ikke.")
    return path.read_bytes(), name or path.name


def read_inputs(source, name: str | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read every input table of the workbook (a path or the file's bytes): values, not formulas.

    Fast: python-calamine reads the tables; the file is not changed. Returns the
    raw tables by domain key (object columns, empty cells as ``None``) and the
    sheet row of each table's first data row.

    Raises
    ------
    InputError
        The file is not a workbook, a table is missing, or a table holds an
        Excel error value (``#DIV/0!`` …) – with sheet, column and rows.
    """
    data, name = _load(source, name)
    return _read_tables(data, name)


def _read_tables(data: bytes, name: str) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    from openpyxl.utils.cell import get_column_letter as letter
    from python_calamine import CalamineWorkbook

    from ..workbook.graft import _Package
    from ..workbook.reader import _error_cells, error_value_error

    try:
        pkg = _Package(data)
        parts = pkg.sheets()
        cw = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
        tables = set(cw.table_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure means "not a workbook we can read"
        raise _not_readable(name, exc) from None
    raw, first_rows = {}, {}
    for d in c.INPUT_DOMAINS:
        if d.table not in tables:
            if d.key == "indstillinger":
                continue
            where = f"arket '{d.sheet}'" if d.sheet in cw.sheet_names else f"projektmappen (arket '{d.sheet}' mangler)"
            raise InputError(f"Tabellen {d.table} findes ikke i {where}. Brug en projektmappe lavet med "
                             "'tildeling new fravaer', og lad tabellerne blive stående.")
        t = cw.get_table_by_name(d.table)
        (r0, c0), (r1, c1) = t.start, t.end          # 0-based: first data row, last row (inclusive)
        header = [str(h).strip() if h is not None else "" for h in t.columns]
        first_rows[d.key] = r0 + 1
        src = source_for(d, r0 + 1)
        errors = _error_cells(pkg, parts.get(t.sheet, ""), f"{letter(c0 + 1)}{r0}:{letter(c1 + 1)}{r1 + 1}")
        if errors:
            row, col, text = errors[0]
            column = header[col - c0 - 1] if 0 <= col - c0 - 1 < len(header) else None
            raise error_value_error(text, src, column, [r for r, k, _ in errors if k == col])
        width = len(header)
        block = [[None if (isinstance(v, str) and v == "") else v for v in row[:width]] + [None] * (width - len(row))
                 for row in t.to_python()]
        raw[d.key] = pd.DataFrame(block, columns=header, dtype=object) if block else \
            pd.DataFrame(columns=header, dtype=object)
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


def run_workbook(path, out=None) -> AbsenceResult:
    """Read ``path``, analyse, and write the results into ``out`` (default: ``path`` itself).

    Compute first, write last: if anything fails, no file is changed. The input
    sheets' parts of the package are copied byte for byte; the result sheets are
    replaced (a rerun does not grow the file).
    """
    from ..workbook.graft import graft_sheets

    data, name = _load(path)
    _require_absence_workbook(data, name, " Lav en med 'tildeling new fravaer'.")
    raw, first_rows = _read_tables(data, name)
    res = analyse(raw, first_rows)
    rendered, sheets, names = render_results(res)
    new = graft_sheets(data, rendered, sheets, defined_names=names, active=c.SHEET_OVERVIEW, keep_order=True)
    atomic_write(Path(out) if out else Path(path), new)
    return res


# ----------------------------------------------------------------------------------------------
# Shared copy
# ----------------------------------------------------------------------------------------------
#: Input sheets without pupil rows: the shared copy shows them (from the validated tables).
_SHARED_INPUTS = (c.SKOLER, c.KLASSER, c.HYPOTESER, c.SEGMENTER, c.INDSTILLINGER)


def shared_workbook(res: AbsenceResult) -> openpyxl.Workbook:
    """The shareable workbook: a *new* workbook rendered from ``res``.

    Nothing of the original package is copied, so no pupil row, pseudonym,
    hidden sheet, shared string or cache of the original can travel along. Left
    out: the caseworker list, the unmatched list and every input sheet with pupil
    rows (Elever, Fravær, Social, Familie, Sprog). In the drill-down data, rows for
    fewer than 5 pupils (and the other level of the same factor) are blanked, so
    the suppression does not rely on the formulas alone.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = c.SHEET_GUIDE
    _guide(ws)
    removed = [*c.PERSONAL_SHEETS, *c.PUPIL_LEVEL_SHEETS]
    ws.insert_rows(2)
    ws["A2"] = (f"DELBAR KOPI lavet {_dt.date.today():%d-%m-%Y}: uden elevrækker og personoplysninger "
                f"(fjernet: {', '.join(removed)}). Analysen kan ikke køres igen fra denne kopi.")
    ws["A2"].font = Font(bold=True, color="C00000")
    inp = res.inputs
    frames = {"skoler": inp.skoler, "klasser": inp.klasser, "hypoteser": inp.hypoteser,
              "segmenter": inp.segmenter,
              "indstillinger": pd.DataFrame({c.SETTING: list(inp.settings), c.VALUE: list(inp.settings.values())})}
    for d in _SHARED_INPUTS:
        _input_sheet(wb, d, frames[d.key]).sheet_properties.tabColor = "FFC000"
    _print_setup(wb.worksheets)
    write_results(wb, res, shared=True)
    wb.properties.title = "Delt version – fraværsanalyse"
    wb.properties.creator = "tildeling"
    return wb


def share(path, out_path) -> Path:
    """Write the shareable copy of the absence workbook ``path`` to ``out_path`` (see :func:`shared_workbook`).

    The copy is computed from the workbook's input tables, like a run.
    """
    path, out = Path(path), Path(out_path)
    if path.resolve() == out.resolve():
        raise InputError("Den delbare kopi skal gemmes i en anden fil end originalen.")
    data, name = _load(path)
    _require_absence_workbook(data, name)
    raw, first_rows = _read_tables(data, name)
    res = analyse(raw, first_rows)
    atomic_save(shared_workbook(res), out)
    return out


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
