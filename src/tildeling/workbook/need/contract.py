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
SHEET_DISTRICT_FIGURES = "Distriktstal"   # district figures from a delivery (or typed in): the route without pupils
SHEET_LAST_YEAR = "Sidste år"   # last year's figures per district (filled by Indlæs sidste år / run --sidste-aar)
INPUT_SHEETS = (SHEET_GUIDE, SHEET_SETTINGS, SHEET_DISTRICTS, SHEET_DISTRICT_FIGURES, SHEET_LAST_YEAR, SHEET_PUPILS,
                SHEET_COEFS,
                SHEET_LISTS)

SHEET_SUMMARY = "Sammenfatning"   # the first result sheet: one A4 page for the city council
SHEET_NEED = "Distriktsbehov"
SHEET_ALLOCATION = "Fordeling"
SHEET_BENCHMARK = "Benchmark"
SHEET_MODEL = "Model"
SHEET_DESCRIPTIVES = "Beskrivende"
SHEET_LOG = "Kørselslog"
SHEET_DEVELOPMENT = "Udvikling"
SHEET_SCENARIOS = "Scenarier"   # up to four settings side by side (live formulas)
OUTPUT_SHEETS = (SHEET_SUMMARY, SHEET_NEED, SHEET_ALLOCATION, SHEET_DEVELOPMENT, SHEET_SCENARIOS, SHEET_BENCHMARK,
                 SHEET_MODEL, SHEET_DESCRIPTIVES, SHEET_LOG)

# --- Input tables ----------------------------------------------------------------
TBL_PUPILS = "tblElever"
TBL_DISTRICTS = "tblDistrikter"
TBL_COEFS = "tblKoefficienter"
TBL_SETTINGS = "tblIndstillinger"
TBL_MODEL_INFO = "tblModelinfo"   # metadata of the coefficient table (key/value), beside tblKoefficienter
TBL_PLAN = "tblDistriktsplan"     # optional, beside tblDistrikter: residence district + grades → budget district

# --- District figures (the delivery route): on the sheet Distriktstal, and in the delivery (leverance) itself ----
TBL_DISTRICT_FIGURES = "tblDistriktstal"        # Distrikt, Navn, Elever, Forventede elever, Faktiske elever
TBL_MUNICIPAL_FIGURES = "tblKommunetal"         # one row: the municipality as a whole (Tabel 4.1)
TBL_DELIVERY = "tblLeverance"                   # metadata (Nøgle, Værdi)
TBL_DELIVERY_POWER = "tblLeveranceForklaringskraft"                 # Tabel 3.2
TBL_DELIVERY_DESCRIPTIVES = "tblLeveranceBeskrivende"               # Tabel 3.3
TBL_DELIVERY_DISTRICT_DESCRIPTIVES = "tblLeveranceBeskrivendeDistrikter"   # Bilag 3 (long)
TBL_SUPPRESSED = "tblSkjulteTal"                # every hidden cell and its rule
DELIVERY_TABLES = (TBL_DISTRICT_FIGURES, TBL_MUNICIPAL_FIGURES, TBL_DELIVERY, TBL_DELIVERY_POWER,
                   TBL_DELIVERY_DESCRIPTIVES, TBL_DELIVERY_DISTRICT_DESCRIPTIVES, TBL_SUPPRESSED)
#: ``Modeltype`` of a delivery workbook.
DELIVERY_KIND = "leverance"

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
TBL_LAST_YEAR = "tblSidsteAar"                      # Distrikt, Elever, Behovsnøgle, Budget (kr.)
TBL_LAST_YEAR_COEFS = "tblSidsteAarKoefficienter"   # last year's coefficient table (for the model's effect)
TBL_DEVELOPMENT = "tblUdvikling"
TBL_SCENARIOS = "tblScenarier"                    # Distrikt, Navn, Nuværende budget, Scenarie 1-4 (kr.), Ændring 1-4
TBL_SCENARIO_SETTINGS = "tblScenarieIndstillinger"  # Scenarie, Navn, Andel efter elevtal, Med gulve, Samlet budget
TBL_SUMMARY = "tblSammenfatning"    # Distrikt (name), Elever, Behovsindeks, Nyt budget (kr.), Nuværende budget …
LAST_YEAR_COLUMNS = ("Distrikt", "Elever", "Behovsnøgle", "Budget (kr.)")
#: The tables a run reads (error values and uncalculated formulas in them stop it; in result tables they do not).
INPUT_TABLES = (TBL_PUPILS, TBL_DISTRICTS, TBL_COEFS, TBL_SETTINGS, TBL_MODEL_INFO, TBL_PLAN, TBL_LAST_YEAR,
                TBL_LAST_YEAR_COEFS, *DELIVERY_TABLES)

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
    optional: bool = False         # may be blank (and may be missing in workbooks made before it existed)
    minimum: float | None = None   # validation bounds of numbers
    maximum: float | None = None


SETTINGS = (
    Setting("Kommune", "Kommune", "", "Kommunens navn (vises i overskrifter; en leverance skal være fra samme kommune)."),
    Setting("Skoleaar", "Skoleår (data)", "", "Skoleåret elevdata er fra, fx 2025/26."),
    Setting("SamletBudget", "Samlet budget (kr.)", None, "Det beløb der fordeles mellem distrikterne.",
            "#,##0", kind="number", minimum=0),
    Setting("Budgetaar", "Budgetår", None, "Året budgettet gælder for, fx 2027 (overskrifter og indfasningens år).",
            "0", kind="int", optional=True, minimum=1900, maximum=2200),
    Setting("Elevtalsvaegt", "Andel fordelt efter elevtal", 0.0,
            "Blandet nøgle: 0 % = kun behov, 100 % = kun elevtal.", "0%", kind="fraction", minimum=0, maximum=1),
    Setting("Indfasningsaar", "Indfasning over antal år", 0,
            "0 = ingen indfasning. Kræver 'Nuværende budget (kr.)' i Distrikter.", "0",
            choices=tuple(range(0, 11)), kind="int"),
    Setting("Tabsgraense", "Største fald pr. elev mod sidste år", None,
            "Fx -2 %: intet distrikt får mere end 2 % mindre pr. elev end sidste år; de øvrige distrikters "
            "fremgang betaler. Tom = ingen beskyttelse. Kræver sidste års tal (arket Sidste år).", "0.0%",
            kind="fraction", optional=True, minimum=-1, maximum=0),
    Setting("MedElevsandsynligheder", "Vis sandsynlighed pr. elev", "Nej",
            "Ja = skriv hver elevs sandsynlighed på arket Elevresultater (persondata).",
            choices=("Nej", "Ja")),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)
SETTING_BY_NAME = {s.name: s for s in SETTINGS}

#: Sheet with per-pupil probabilities (only when asked for; pupil-level, never shared).
SHEET_PUPIL_RESULTS = "Elevresultater"
TBL_PUPIL_RESULTS = "tblElevresultater"

#: Sheets that hold pupil-level data: never in a shared copy.
PERSONAL_SHEETS = (SHEET_PUPILS, SHEET_PUPIL_RESULTS)

#: Red banner on every result sheet and on the shared copy when the bundled demonstration coefficients are used.
DEMO_BANNER = "DEMONSTRATION – ikke til rigtig budgetlægning"
DEMO_BANNER_NOTE = ("Beregnet med de medfølgende demonstrationskoefficienter (estimeret på syntetiske data). "
                    "Indlæs koefficienterne fra den nationale model eller en leverance, før tallene bruges.")

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
