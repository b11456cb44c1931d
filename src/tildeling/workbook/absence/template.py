"""The absence workbook template (``tildeling new fravaer``): guide, input tables, drill-down."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ...io.atomic import atomic_save
from . import contract as c
from ._write import INPUT_FILL, NOTE_FONT, SUPPRESSED, _header, _print_setup, _title, _widths, _write_frame

__all__ = ["build_template", "new_template", "write_input_workbook", "DRILL_ROWS"]


#: Rows of the drill-down data the sheet's formulas look at (fixed, so the sheet works for any data size).
DRILL_ROWS = 50000

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

def _set_modeltype(wb):
    if c.MODELTYPE_NAME in wb.defined_names:
        del wb.defined_names[c.MODELTYPE_NAME]
    wb.defined_names[c.MODELTYPE_NAME] = DefinedName(c.MODELTYPE_NAME, attr_text=f'"{c.MODELTYPE_VALUE}"')

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
    from ...absence.inputs import CONDITION_COLUMNS

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
    _input_validations(ws, domain, r0)
    if domain.key == "hypoteser":
        ws.column_dimensions["A"].width = 60
        ws.column_dimensions["B"].width = 30
        for col, name in (("B", "lstFaktorer"), ("C", "lstRetninger")):
            dv = DataValidation(type="list", formula1=f"={name}", allow_blank=True, showErrorMessage=True,
                                errorTitle="Ugyldig værdi", error="Vælg en værdi fra listen.")
            dv.add(f"{col}4:{col}{LAST_ROW}")
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

#: The last row of a sheet: input checks reach the whole column below a table's header.
LAST_ROW = 1_048_576
_ZERO_ONE = dict(type="list", formula1='"0,1"', error="Skriv 1 (ja) eller 0 (nej).")


def _checks(domain_key: str) -> dict[str, tuple[dict, str]]:
    """Column → (data validation, input prompt) of each input table."""
    count = dict(type="whole", operator="greaterThanOrEqual", formula1="0", error="Skriv et helt tal på 0 eller mere.")
    days = dict(type="decimal", operator="greaterThanOrEqual", formula1="0", error="Skriv et antal dage på 0 eller mere.")
    return {
        "elever": {c.GRADE: (dict(type="whole", operator="between", formula1="0", formula2="10",
                                  error="Klassetrin skal være et helt tal fra 0 til 10."),
                             "Klassetrin 0-10 (0 = børnehaveklasse)."),
                   c.CHANGES: (count, "Antal skoleskift (0 eller mere).")},
        "fravaer": {c.SCHOOL_DAYS: (days, "Skoledage i måneden."), c.ILLNESS: (days, "Dage med sygefravær."),
                    c.LAWFUL: (days, "Dage med lovligt fravær."), c.UNLAWFUL: (days, "Dage med ulovligt fravær.")},
        "skoler": {c.SCHOOL_SIZE: (count, "Antal elever på skolen.")},
        "klasser": {c.CLASS_SIZE: (count, "Antal elever i klassen.")},
        "social": {c.EVENT_TYPE: (dict(type="list", formula1='"' + ",".join(c.EVENT_TYPES) + '"',
                                       error="Type skal være " + ", ".join(c.EVENT_TYPES[:-1]) + " eller "
                                       + c.EVENT_TYPES[-1] + "."),
                                  "Underretning, PPR-henvisning eller Børnesag.")},
        "familie": {c.TOGETHER: (_ZERO_ONE, "1 = forældrene bor sammen, 0 = ikke."),
                    c.UNKNOWN_PARENT: (_ZERO_ONE, "1 = den ene forælder er ukendt, 0 = ikke."),
                    c.MOTHER_EMPLOYED: (_ZERO_ONE, "1 = moren er i beskæftigelse, 0 = ikke; tom = ukendt."),
                    c.FATHER_EMPLOYED: (_ZERO_ONE, "1 = faren er i beskæftigelse, 0 = ikke; tom = ukendt.")},
        "sprog": {c.SECOND_LANGUAGE: (_ZERO_ONE, "1 = dansk som andetsprog, 0 = ikke.")},
        "indstillinger": {c.VALUE: (dict(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                         error="Skriv et tal på 0 eller mere."),
                                    "Relevansgrænsen i procentpoint (fx 3), antal diagrammer (fx 4).")},
    }.get(domain_key, {})


def _input_validations(ws, domain: c.Domain, first_row: int) -> None:
    """Checks with an input prompt on the input columns, from the first data row to the end of the sheet."""
    cols = list(domain.columns)
    for column, (kw, prompt) in _checks(domain.key).items():
        if column not in cols:
            continue
        letter = get_column_letter(cols.index(column) + 1)
        dv = DataValidation(allow_blank=True, showErrorMessage=True, errorTitle="Tildeling", showInputMessage=True,
                            promptTitle=column[:32], prompt=prompt, **kw)
        dv.add(f"{letter}{first_row}:{letter}{LAST_ROW}")
        ws.add_data_validation(dv)


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
    from ...absence.monitoring import DRILL_COLUMNS
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
    from ...synth.absence import DEFAULT_HYPOTHESES, DEFAULT_SEGMENT_RULES

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

def new_template(out_path, *, overwrite: bool = True) -> Path:
    """Write an empty absence workbook (``tildeling new fravaer``); ``overwrite=False``: never replace a file."""
    out = Path(out_path)
    atomic_save(build_template(), out, overwrite=overwrite)
    return out

def write_input_workbook(path, data, *, overwrite: bool = True) -> Path:
    """A template filled with generated data (demo, tests, screenshots)."""
    out = Path(path)
    atomic_save(build_template(data), out, overwrite=overwrite)
    return out
