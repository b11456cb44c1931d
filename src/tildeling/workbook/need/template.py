"""Generate the need-model workbook template (``tildeling new behovsmodel``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ...io.coefficients import demo_coefficients as _demo_coefficients
from ...model.coefficients import CoefficientTable
from ...spec import VarType
from . import contract as c
from ..layout import cell_value
from ..layout import TableBlock
from ..render_xlsx import HEADER_FILL, INPUT_FILL, PERSONAL_FILL, STYLES, page_setup, render_sheets

__all__ = ["demo_coefficients", "build_template", "write_template", "category_lists", "list_reference",
           "TABLE_TOP"]

#: Row of the header of every input table (rows above hold a title and a note).
TABLE_TOP = 3
#: The last row of a worksheet: input checks reach the whole column below a table's header.
LAST_ROW = 1_048_576
HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_TAB = "FFC000"
OUTPUT_TAB = "2E75B6"


def demo_coefficients() -> CoefficientTable:
    """The bundled demonstration coefficients (fitted on synthetic data, never register data)."""
    return _demo_coefficients()


def _table(ws, name: str, frame: pd.DataFrame, top: int = TABLE_TOP, left: int = 1, style="TableStyleMedium9",
           fill_inputs: bool = False, formats: dict | None = None, min_rows: int = 1) -> str:
    formats = formats or {}
    cols = list(frame.columns)
    for j, col in enumerate(cols):
        cell = ws.cell(row=top, column=left + j, value=str(col))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    values = frame.to_numpy(dtype=object)
    nrows = max(len(frame), min_rows)
    for i in range(nrows):
        for j, col in enumerate(cols):
            v = cell_value(values[i, j]) if i < len(frame) else None
            cell = ws.cell(row=top + 1 + i, column=left + j, value=v)
            if fill_inputs:
                cell.fill = INPUT_FILL
            if col in formats:
                cell.number_format = formats[col]
    ref = f"{get_column_letter(left)}{top}:{get_column_letter(left + len(cols) - 1)}{top + nrows}"
    t = Table(displayName=name, ref=ref)
    t.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    ws.add_table(t)
    return ref


def _title(ws, title: str, note: str, style: str = "title") -> None:
    ws["A1"] = title
    ws["A1"].font = STYLES[style]
    if style == "personal":   # white on red over the first columns: the text runs past column A
        for j in range(1, 9):
            ws.cell(row=1, column=j).fill = PERSONAL_FILL
    ws["A2"] = note
    ws["A2"].font = STYLES["note"]


def _guide(wb, municipality: str) -> None:
    ws = wb.active
    ws.title = c.SHEET_GUIDE
    ws.sheet_properties.tabColor = "70AD47"
    lines = [
        ("title", "Socioøkonomisk fordeling af specialundervisningsbudgettet"),
        ("note", "Behovsmodellen fra VIVE (2017): hver elev får en sandsynlighed for segregeret specialundervisning ud "
                 "fra sin baggrund; distrikternes forventede antal giver et indeks og en fordelingsnøgle."),
        ("normal", ""),
        ("subtitle", "Sådan gør du – med en leverance fra analytikeren (det almindelige)"),
        ("normal", "1. Indstillinger: skriv kommune, dataenes skoleår, budgetåret og det samlede budget (de "
                   "gule celler)."),
        ("normal", "2. Tryk Tildeling → Indlæs leverance og vælg leverancen (en .xlsx-fil fra analytikeren). Den "
                   "skriver distrikternes tal på arket Distriktstal og distrikterne på arket Distrikter."),
        ("normal", "    Har du distriktstallene på anden vis, kan du skrive eller indsætte dem på arket Distriktstal."),
        ("normal", "3. Distrikter: skriv evt. nuværende budget og gulv pr. distrikt."),
        ("normal", "4. Tryk Tildeling → Beregn fordeling (eller kør 'tildeling run FIL' på kommandolinjen)."),
        ("normal", "5. Del resultatet med Tildeling → Lav delbar kopi: kopien skjuler små tal."),
        ("normal", ""),
        ("subtitle", "Hvor tallene kommer fra"),
        ("normal", "• Den nationale model (koefficienttabellen) estimeres på registerdata hos Danmarks Statistiks "
                   "forskningsservice – af VIVE, et konsulenthus eller kommunens egen analytiker."),
        ("normal", "• Analytikeren bruger modellen på kommunens elever dér og laver leverancen ('tildeling export'): "
                   "kun tal pr. distrikt og for kommunen, uden elever og uden små tal."),
        ("normal", "• Du modtager leverancen og indlæser den her. Du skal ikke have elevdata for at fordele budgettet."),
        ("normal", ""),
        ("subtitle", "Regner kommunen selv på elever? (kun med hjemmel)"),
        ("normal", "Arket Elever (én række pr. elev i 0.-10. klasse, bopælsdistrikt) og arket Koefficienter (den "
                   "nationale models koefficienttabel, Tildeling → Indlæs koefficienter). Når arket Elever har rækker, "
                   "regnes der på dem, og arket Distriktstal bruges ikke. Demonstrationskoefficienterne må ikke "
                   "bruges til rigtig budgetlægning."),
        ("normal", ""),
        ("subtitle", "Må aldrig stå i projektmappen"),
        ("warning", "• CPR-numre – brug et pseudonymt ElevID."),
        ("warning", "• Registerdata (fx forældres helbred, sigtelser og indkomst), som kommunen ikke har lovhjemmel "
                    "til at behandle."),
        ("warning", "• Send aldrig en projektmappe med elever videre – del kun den delbare kopi."),
        ("normal", ""),
        ("subtitle", "Farver"),
        ("normal", "Gule faner og gule celler er input, som du udfylder. Blå faner er resultater, som beregningen "
                   "skriver – hver kørsel erstatter dem."),
        ("normal", "Alle tal på arket Fordeling er formler: ret det samlede budget, andelen efter elevtal eller "
                   "indfasningen på Indstillinger – eller et gulv eller et nuværende budget på Distrikter – og "
                   "fordelingen regnes om uden Python. Resultatarkene er beskyttet uden adgangskode."),
        ("normal", ""),
        ("subtitle", "Resultatark"),
        ("normal", "Sammenfatning (én side til udvalget) · Distriktsbehov (Tabel 5.1) · Fordeling (budget) · "
                   "Udvikling (mod sidste år) · Benchmark (Tabel 4.1, Figur 5.1 og 5.2) · Model (tilpasning, "
                   "forklaringskraft, variablenes betydning) · Beskrivende (Tabel 3.3, Bilag 3) · Kørselslog."),
        ("normal", ""),
        ("note", "Metoden følger VIVE's socioøkonomiske behovsmodel (2017); formlerne står i docs/metode.md."),
    ]
    for i, (style, text) in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text or None)
        cell.font = STYLES[style]
        wrapped = len(textwrap.wrap(text, width=140)) if text and style != "title" else 1
        if wrapped > 1:   # a long line wraps inside the printed width
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[i].height = 15 * wrapped
    ws.column_dimensions["A"].width = 130
    ws.sheet_view.showGridLines = False
    page_setup(ws, header=c.SHEET_GUIDE, centered=False)


def _settings(wb, values: dict) -> None:
    ws = wb.create_sheet(c.SHEET_SETTINGS)
    ws.sheet_properties.tabColor = INPUT_TAB
    _title(ws, "Indstillinger", "Udfyld de gule celler. Navnene (fx SamletBudget) kan bruges i dine egne formler.")
    frame = pd.DataFrame({
        "Indstilling": [s.label for s in c.SETTINGS],
        "Værdi": [values.get(s.name, s.default) for s in c.SETTINGS],
        "Forklaring": [s.help for s in c.SETTINGS],
        "Navn": [s.name for s in c.SETTINGS],
    })
    _table(ws, c.TBL_SETTINGS, frame)
    for i, s in enumerate(c.SETTINGS):
        row = TABLE_TOP + 1 + i
        cell = ws.cell(row=row, column=2)
        cell.fill = INPUT_FILL
        if s.number_format:
            cell.number_format = s.number_format
        ref = f"{quote_sheetname(c.SHEET_SETTINGS)}!$B${row}"
        wb.defined_names[s.name] = DefinedName(s.name, attr_text=ref)
        dv = _setting_validation(s)
        dv.add(cell.coordinate)
        ws.add_data_validation(dv)
    wb.defined_names[c.KIND_NAME] = DefinedName(c.KIND_NAME, attr_text=f'"{c.KIND}"')
    for col, w in zip("ABCD", (34, 22, 70, 22)):
        ws.column_dimensions[col].width = w
    for i, s in enumerate(c.SETTINGS):    # the help texts wrap inside column C (printed one page wide)
        ws.cell(row=TABLE_TOP + 1 + i, column=3).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[TABLE_TOP + 1 + i].height = 15 * max(1, len(textwrap.wrap(s.help or "", width=78)))
    ws.freeze_panes = f"A{TABLE_TOP + 1}"
    page_setup(ws, header=c.SHEET_SETTINGS, area=f"A1:D{TABLE_TOP + len(c.SETTINGS)}",
               title_rows=f"{TABLE_TOP}:{TABLE_TOP}")


def _setting_validation(s: c.Setting) -> DataValidation:
    """The dropdown or the range check of one setting, with its help text as the input prompt."""
    if s.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(str(x) for x in s.choices) + '"', allow_blank=False)
        error = "Vælg en værdi i listen."
    elif s.kind in ("number", "fraction", "int"):
        kind = "whole" if s.kind == "int" else "decimal"
        if s.maximum is not None:
            dv = DataValidation(type=kind, operator="between", formula1=_num(s.minimum), formula2=_num(s.maximum))
        else:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=_num(s.minimum or 0))
        error = "Ugyldig værdi – se forklaringen i kolonne C."
    else:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="100")
        error = "Højst 100 tegn."
    dv.allow_blank = s.optional or s.kind == "text"
    dv.error, dv.errorTitle, dv.showErrorMessage = error, "Tildeling", True
    dv.prompt, dv.promptTitle, dv.showInputMessage = s.help, s.label[:32], True
    return dv


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def category_lists(spec) -> dict[str, list[str]]:
    """Each categorical variable's key → its categories (the reference included), in the order of the
    columns on the sheet Lister. The template and the macros that replace the coefficients both use it."""
    return {v.key: [cat.label for cat in v.categories] for v in spec if v.type is VarType.CATEGORICAL}


def list_reference(column: int, n: int) -> str:
    """The cells of a list on the sheet Lister: column ``column`` (1-based), rows 2 … n + 1 (no ``=``)."""
    letter = get_column_letter(column)
    return f"{quote_sheetname(c.SHEET_LISTS)}!${letter}$2:${letter}${max(n, 1) + 1}"


def _lists(wb, coefs: CoefficientTable) -> dict[str, str]:
    """Hidden sheet with the category lists behind the pupil dropdowns, one defined name per list
    (``Liste_<key>``); returns key → the name the dropdown uses."""
    ws = wb.create_sheet(c.SHEET_LISTS)
    ws.sheet_state = "hidden"
    names = {}
    for j, (key, labels) in enumerate(category_lists(coefs.spec).items(), start=1):
        ws.cell(row=1, column=j, value=key).font = Font(bold=True)
        for i, label in enumerate(labels, start=2):
            ws.cell(row=i, column=j, value=label)
        name = c.list_name(key)
        wb.defined_names[name] = DefinedName(name, attr_text=list_reference(j, len(labels)))
        names[key] = name
    return names


def _districts(wb, districts: pd.DataFrame | None, plan: pd.DataFrame | None = None) -> None:
    ws = wb.create_sheet(c.SHEET_DISTRICTS)
    ws.sheet_properties.tabColor = INPUT_TAB
    _title(ws, "Skoledistrikter", "Én række pr. distrikt. Koden skal svare til kolonnen Distrikt på arket Elever. "
                                  "Nuværende budget bruges til sammenligning og indfasning; gulv er et minimumsbeløb.")
    frame = districts if districts is not None else pd.DataFrame(columns=list(c.DISTRICT_COLUMNS))
    for col in c.DISTRICT_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[list(c.DISTRICT_COLUMNS)]
    _table(ws, c.TBL_DISTRICTS, frame, fill_inputs=True, min_rows=max(len(frame), 6),
           formats={"Nuværende budget (kr.)": "#,##0", "Gulv (kr.)": "#,##0"})
    for col, w in zip("ABCD", (12, 34, 24, 18)):
        ws.column_dimensions[col].width = w
    # the optional district plan, to the right: grades of a residence district that another district pays for
    left = len(c.DISTRICT_COLUMNS) + 2
    ws.cell(row=1, column=left, value="Distriktsplan (valgfri)").font = STYLES["subtitle"]
    ws.cell(row=2, column=left, value="Kun hvis nogle klassetrin går i skole i et andet distrikt, fx Tikøb (4), "
                                      "7.-9. klasse → Espegærde (1). Elever uden regel tæller i deres bopælsdistrikt.")
    ws.cell(row=2, column=left).font = STYLES["note"]
    for start, end in ((1, left - 2), (left, left + len(c.PLAN_COLUMNS) - 1)):   # two wrapped notes side by side
        ws.merge_cells(start_row=2, start_column=start, end_row=2, end_column=end)
        ws.cell(row=2, column=start).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 42
    plan_frame = plan if plan is not None else pd.DataFrame(columns=list(c.PLAN_COLUMNS))
    _table(ws, c.TBL_PLAN, plan_frame[list(c.PLAN_COLUMNS)], left=left, fill_inputs=True,
           min_rows=max(len(plan_frame), 3), style="TableStyleLight9")
    first, last = TABLE_TOP + 1, TABLE_TOP + 200
    codes = f"{quote_sheetname(c.SHEET_DISTRICTS)}!$A${TABLE_TOP + 1}:$A$500"
    for j, (col, w) in enumerate(zip(c.PLAN_COLUMNS, (12, 14, 14, 16))):
        letter = get_column_letter(left + j)
        ws.column_dimensions[letter].width = w
        if col in ("Distrikt", "Budgetdistrikt"):
            dv = DataValidation(type="list", formula1=codes, error="Distriktet findes ikke i tabellen til venstre.")
        else:
            dv = DataValidation(type="whole", operator="between", formula1="0", formula2="9",
                                error="Klassetrin skal være et helt tal fra 0 til 9.")
        dv.errorTitle = "Tildeling"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{letter}{first}:{letter}{last}")
    ws.freeze_panes = f"A{TABLE_TOP + 1}"
    page_setup(ws, header=c.SHEET_DISTRICTS, title_rows=f"{TABLE_TOP}:{TABLE_TOP}")


def _pupils(wb, coefs: CoefficientTable, pupils: pd.DataFrame | None, lists: dict[str, str]) -> None:
    ws = wb.create_sheet(c.SHEET_PUPILS)
    ws.sheet_properties.tabColor = INPUT_TAB
    _title(ws, "Elever – PERSONDATA, må ikke deles",
           "Én række pr. elev. Kolonnenavnene er modellens variabelnøgler (se arket Koefficienter, kolonne "
           "Variabel). Intervalvariable (fx alder ved skolestart, indkomst) skrives som tal.", "personal")
    keys = list(c.PUPIL_FIXED_COLUMNS) + coefs.spec.keys
    extra = [v.display_key for v in coefs.spec if v.display_key]
    cols = keys + [k for k in extra if k not in keys]
    if pupils is None:
        frame = pd.DataFrame(columns=cols)
    else:
        frame = pupils[[col for col in cols if col in pupils.columns]
                       + [col for col in pupils.columns if col not in cols and col != "Kommune"]]
    _table(ws, c.TBL_PUPILS, frame, style="TableStyleLight9")
    last = LAST_ROW  # the whole column below the header: the table can grow without losing its checks
    first = TABLE_TOP + 1
    header = {name: get_column_letter(j + 1) for j, name in enumerate(frame.columns)}

    def validate(col, prompt, **kw):
        if col not in header:
            return
        dv = DataValidation(showErrorMessage=True, errorTitle="Tildeling", showInputMessage=True,
                            promptTitle=str(col)[:32], prompt=prompt[:255], **kw)
        ws.add_data_validation(dv)
        dv.add(f"{header[col]}{first}:{header[col]}{last}")

    validate("Klassetrin", "Klassetrin 0-10 (0 = børnehaveklasse). 10. klasse tælles ikke med.", type="whole",
             operator="between", formula1="0", formula2="10", error="Klassetrin skal være et helt tal fra 0 til 10.")
    validate("Segregeret", "1 = eleven går i segregeret specialundervisning, 0 = ikke.", type="list",
             formula1='"0,1"', error="Segregeret skal være 0 eller 1.")
    validate("Distrikt", "Bopælsdistriktets kode fra arket Distrikter.", type="list",
             formula1=f"{quote_sheetname(c.SHEET_DISTRICTS)}!$A${TABLE_TOP + 1}:$A${TABLE_TOP + 1000}",
             error="Distriktet findes ikke på arket Distrikter.")
    labels = {v.key: (v.label or v.key) for v in coefs.spec}
    for var in coefs.spec:
        what = labels[var.key]
        if var.type is VarType.BINARY:
            validate(var.key, f"{what}: 1 = ja, 0 = nej.", type="list", formula1='"0,1"',
                     error=f"{var.key} skal være 0 eller 1.")
        elif var.type is VarType.CATEGORICAL and var.key in lists:
            validate(var.key, f"{what}: vælg en kategori i listen.", type="list", formula1=lists[var.key],
                     error=f"Ukendt kategori for {var.key}.")
        elif var.type in (VarType.NUMERIC, VarType.BANDED):
            validate(var.key, f"{what}: et tal.", type="decimal", operator="between", formula1="-1E+12",
                     formula2="1E+12", error=f"{var.key} skal være et tal.")
    for j in range(1, len(frame.columns) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    ws.freeze_panes = f"C{TABLE_TOP + 1}"
    # personal data, one column per variable: printed as it is wide (not shrunk), the heading on every page (no
    # repeated columns: LibreOffice then cuts the sheet's title at column A)
    page_setup(ws, header=c.SHEET_PUPILS, fit_width=False, title_rows=f"{TABLE_TOP}:{TABLE_TOP}")


def _coefficients(wb, coefs: CoefficientTable, demo: bool) -> None:
    ws = wb.create_sheet(c.SHEET_COEFS)
    ws.sheet_properties.tabColor = INPUT_TAB
    if demo:
        _title(ws, c.DEMO_COEF_LABEL, "Erstat tabellen med koefficienterne fra den nationale model (Tildeling → "
                                      "Indlæs koefficienter, eller indsæt dem her). Formatet er beskrevet i docs/analytiker.md.")
        ws["A1"].font = STYLES["warning"]
    else:
        _title(ws, "Koefficienter", "Koefficienttabellen definerer modellen. Metadata står til højre.")
    frame = coefs.to_frame()
    _table(ws, c.TBL_COEFS, frame, style="TableStyleMedium2",
           formats={"Relativ vægt": "0.0%", "Relativ vægt (variabel i alt)": "0.0%", "P-værdi": "0.0000"})
    meta = pd.DataFrame({"Nøgle": list(coefs.metadata.keys()),
                         "Værdi": [str(v) for v in coefs.metadata.values()]})
    left = frame.shape[1] + 2
    _table(ws, c.TBL_MODEL_INFO, meta, left=left, style="TableStyleLight1")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions[get_column_letter(left)].width = 30
    ws.column_dimensions[get_column_letter(left + 1)].width = 60
    ws.freeze_panes = f"C{TABLE_TOP + 1}"
    # wide (a covariance column per coefficient): printed as it is wide, the heading on every page
    page_setup(ws, header=c.SHEET_COEFS, fit_width=False, title_rows=f"{TABLE_TOP}:{TABLE_TOP}")


def _delivery_coefficients(wb, frames: dict, demo: bool) -> None:
    """The sheet Koefficienter of a workbook made from a delivery: which coefficient table made its figures."""
    from .delivery import delivery_coefficients_sheet

    render_sheets(wb, [delivery_coefficients_sheet(frames, demo=demo)])
    wb[c.SHEET_COEFS].sheet_properties.tabColor = INPUT_TAB


def _last_year(wb) -> None:
    """The input sheet *Sidste år* with an empty ``tblSidsteAar`` (the same layout *Indlæs sidste år* writes)."""
    from ..layout import place
    from ..render_xlsx import render_sheets
    from .last_year import last_year_sheet

    render_sheets(wb, [place(last_year_sheet(None))])
    wb[c.SHEET_LAST_YEAR].freeze_panes = f"A{TABLE_TOP + 1}"


def _placeholders(wb) -> None:
    for name in c.OUTPUT_SHEETS:
        ws = wb.create_sheet(name)
        ws.sheet_properties.tabColor = OUTPUT_TAB
        ws["A1"] = name
        ws["A1"].font = STYLES["title"]
        ws["A2"] = "Endnu ingen resultater. Tryk Tildeling → Beregn fordeling (eller kør 'tildeling run FIL')."
        ws["A2"].font = STYLES["note"]


def _figures(wb, frames: dict | None, demo: bool) -> None:
    """The sheet Distriktstal: a delivery's tables, or empty tables (yellow input cells) to type into."""
    from .delivery import figures_sheet

    sheet = figures_sheet(frames, demo=demo)
    render_sheets(wb, [sheet])
    ws = wb[c.SHEET_DISTRICT_FIGURES]
    ws.sheet_properties.tabColor = INPUT_TAB
    for block in sheet.blocks:
        if isinstance(block, TableBlock) and block.name in (c.TBL_DISTRICT_FIGURES, c.TBL_MUNICIPAL_FIGURES) \
                and not frames:
            for row in ws.iter_rows(min_row=block.first_row, max_row=block.last_row, min_col=block.left,
                                    max_col=block.left + block.frame.shape[1] - 1):
                for cell in row:
                    cell.fill = INPUT_FILL
    wb.move_sheet(c.SHEET_DISTRICT_FIGURES, offset=wb.sheetnames.index(c.SHEET_DISTRICTS) + 1
                  - wb.sheetnames.index(c.SHEET_DISTRICT_FIGURES))


def build_template(*, coefs: CoefficientTable | None = None, pupils: pd.DataFrame | None = None,
                   districts: pd.DataFrame | None = None, settings: dict | None = None,
                   plan: pd.DataFrame | None = None, figures: dict | None = None,
                   figures_demo: bool = False) -> Workbook:
    """An openpyxl workbook of the template, optionally pre-filled (``figures``: a delivery's tables for the
    sheet Distriktstal, by contract name)."""
    demo = coefs is None
    coefs = coefs or demo_coefficients()
    settings = dict(settings or {})
    wb = Workbook()
    _guide(wb, settings.get("Kommune") or "kommunen")
    _settings(wb, settings)
    _districts(wb, districts, plan)
    _figures(wb, figures, figures_demo)
    lists = _lists(wb, coefs)
    _pupils(wb, coefs, pupils, lists)
    if figures and c.TBL_DELIVERY in figures:   # a delivery's figures: the coefficients were applied at the analyst's
        _delivery_coefficients(wb, figures, figures_demo)
    else:
        _coefficients(wb, coefs, demo)
    _last_year(wb)
    wb.move_sheet(c.SHEET_LISTS, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(c.SHEET_LISTS))
    _placeholders(wb)
    # the hidden list sheet last among the inputs is fine; keep the guide active
    wb.active = 0
    return wb


def write_template(path, *, overwrite: bool = True, **kwargs) -> Path:
    """Write the template to ``path`` atomically (``overwrite=False``: never replace an existing file)."""
    from ...io.atomic import atomic_save, check_target

    path = check_target(Path(path), overwrite=overwrite)
    atomic_save(build_template(**kwargs), path, overwrite=overwrite)
    return path
