"""The need-model workbook contract: sheet, table, column and defined names.

This is the one place that defines them. The template writer, the reader, the
run-in-place writer, the xlwings macros and the tests all use these constants.
Users' own formulas rely on them: they are documented in docs/brugervejledning.md and only
change with a migration note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Value of the defined name ``Modeltype`` that identifies a need-model workbook.
KIND = "behovsmodel"
KIND_NAME = "Modeltype"

# --- Sheets --------------------------------------------------------------------
SHEET_GUIDE = "Vejledning"
SHEET_SETTINGS = "Indstillinger"
SHEET_DISTRICTS = "Distrikter"
SHEET_PUPILS = "Elever"
SHEET_COEFS = "Koefficienter"
SHEET_LISTS = "Lister"   # hidden: category lists behind the dropdowns
INPUT_SHEETS = (SHEET_GUIDE, SHEET_SETTINGS, SHEET_DISTRICTS, SHEET_PUPILS, SHEET_COEFS, SHEET_LISTS)

SHEET_NEED = "Distriktsbehov"
SHEET_ALLOCATION = "Fordeling"
SHEET_BENCHMARK = "Benchmark"
SHEET_MODEL = "Model"
SHEET_DESCRIPTIVES = "Beskrivende"
SHEET_LOG = "Kørselslog"
OUTPUT_SHEETS = (SHEET_NEED, SHEET_ALLOCATION, SHEET_BENCHMARK, SHEET_MODEL, SHEET_DESCRIPTIVES, SHEET_LOG)

# --- Input tables ----------------------------------------------------------------
TBL_PUPILS = "tblElever"
TBL_DISTRICTS = "tblDistrikter"
TBL_COEFS = "tblKoefficienter"
TBL_SETTINGS = "tblIndstillinger"
TBL_MODEL_INFO = "tblModelinfo"   # metadata of the coefficient table (key/value), beside tblKoefficienter
TBL_PLAN = "tblDistriktsplan"     # optional, beside tblDistrikter: residence district + grades → budget district

PUPIL_FIXED_COLUMNS = ("ElevID", "Distrikt", "Klassetrin", "Segregeret")
DISTRICT_COLUMNS = ("Distrikt", "Navn", "Nuværende budget (kr.)", "Gulv (kr.)")
DISTRICT_REQUIRED = ("Distrikt", "Navn")
PLAN_COLUMNS = ("Distrikt", "Fra klassetrin", "Til klassetrin", "Budgetdistrikt")   # = need.plan.PLAN_COLUMNS

# --- Output tables ---------------------------------------------------------------
TBL_NEED = "tblDistriktsbehov"
TBL_ALLOCATION = "tblFordeling"
TBL_PHASE_IN = "tblIndfasning"
TBL_MUNICIPAL = "tblKommunebenchmark"
TBL_EXTERNAL = "tblEksternBenchmark"
TBL_INTERNAL = "tblInternBenchmark"
TBL_FIT = "tblModeltilpasning"
TBL_WEIGHTS = "tblRelativeVaegte"
TBL_POWER = "tblForklaringskraft"
TBL_DECILES = "tblDeciler"
TBL_DESCRIPTIVES = "tblBeskrivende"
TBL_DISTRICT_DESCRIPTIVES = "tblBeskrivendeDistrikter"
TBL_LOG = "tblKoerselslog"

NEED_COLUMNS = ("Distrikt", "Navn", "Elever", "Andel af elever", "Faktisk andel af segregerede elever",
                "Forudsagt sandsynlighed", "Indeks", "Behovsnøgle")


# --- Settings (defined names) ------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    name: str          # defined name
    label: str         # Danish label in the settings sheet
    default: object
    help: str          # one line shown beside it
    number_format: str | None = None
    choices: tuple | None = None   # dropdown (data validation list)
    kind: str = "text"             # text | number | fraction | int


SETTINGS = (
    Setting("Kommune", "Kommune", "Helsingør", "Kommunens navn (vises i overskrifter)."),
    Setting("Skoleaar", "Skoleår", "2015/16", "Skoleåret elevdata er fra, fx 2015/16."),
    Setting("SamletBudget", "Samlet budget (kr.)", 50_000_000, "Det beløb der fordeles mellem distrikterne.",
            '#,##0 "kr."', kind="number"),
    Setting("Elevtalsvaegt", "Andel fordelt efter elevtal", 0.0,
            "Blandet nøgle: 0 % = kun behov, 100 % = kun elevtal.", "0%", kind="fraction"),
    Setting("Indfasningsaar", "Indfasning over antal år", 0,
            "0 = ingen indfasning. Kræver 'Nuværende budget (kr.)' i Distrikter.", "0",
            choices=tuple(range(0, 11)), kind="int"),
    Setting("MedElevsandsynligheder", "Vis sandsynlighed pr. elev", "Nej",
            "Ja = skriv hver elevs sandsynlighed på arket Elevresultater (persondata).",
            choices=("Nej", "Ja")),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)

#: Sheet with per-pupil probabilities (only when asked for; pupil-level, never shared).
SHEET_PUPIL_RESULTS = "Elevresultater"
TBL_PUPIL_RESULTS = "tblElevresultater"

#: Sheets that hold pupil-level data: never in a shared copy.
PERSONAL_SHEETS = (SHEET_PUPILS, SHEET_PUPIL_RESULTS)

#: Label on the demonstration coefficients.
DEMO_COEF_LABEL = "DEMONSTRATIONSKOEFFICIENTER – estimeret på syntetiske data, ikke på registerdata"


# --- Category lists behind the pupil dropdowns ---------------------------------------
#: Workbook-level defined name of each categorical variable's list, e.g. ``Liste_mor_sigtet``. It refers to
#: the variable's column on the hidden sheet :data:`SHEET_LISTS` (row 1: the key; from row 2: every category,
#: the reference included), and the dropdown on the sheet Elever is ``=Liste_<key>``. "Indlæs koefficienter"
#: and "Estimér model" rewrite the sheet and redefine the names.
LIST_NAME_PREFIX = "Liste_"
LIST_NAME_PATTERN = LIST_NAME_PREFIX + "<variabel>"


def list_name(key: str) -> str:
    """The defined name of variable ``key``'s category list (characters Excel forbids in a name become ``_``)."""
    return LIST_NAME_PREFIX + re.sub(r"[^\w.]", "_", str(key))
