"""The absence analysis's data contract.

The names of the absence analysis's data: input tables and their columns,
factors, thresholds, verdicts. The core validates and analyses with them; the
workbook adapter adds its result-sheet names in
:mod:`tildeling.workbook.absence.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Thresholds (Danish rules) --------------------------------------------------
WORRYING_PCT = 10.0        # total absence ≥ 10 % = bekymrende fravær
UNLAWFUL_PCT = 15.0        # unlawful absence ≥ 15 % in a quarter = underretningspligt
from ..privacy import SMALL_CELL  # noqa: E402,F401 - re-exported: cells with fewer pupils are not shown
MIN_GROUP = 10             # a hypothesis needs at least this many pupils with and without the factor
#: Tolerance for "≥" on percentages computed from day counts (10.00 % is ≥ 10 %).
EPS = 1e-9

# --- Input columns -------------------------------------------------------------
PUPIL = "Elev"
SCHOOL = "Skole"
CLASS = "Klasse"
GRADE = "Klassetrin"
CHANGES = "Skoleskift"
MONTH = "Måned"
SCHOOL_DAYS = "Skoledage"
ILLNESS = "Sygefravær"
LAWFUL = "Lovligt fravær"
UNLAWFUL = "Ulovligt fravær"
SCHOOL_SIZE = "Skolestørrelse"
CLASS_SIZE = "Klassestørrelse"
EVENT_TYPE = "Type"
EVENT_DATE = "Dato"
TOGETHER = "Forældre bor sammen"
UNKNOWN_PARENT = "Ukendt forælder"
MOTHER_EMPLOYED = "Mor i beskæftigelse"
FATHER_EMPLOYED = "Far i beskæftigelse"
SECOND_LANGUAGE = "Dansk som andetsprog"

EVENT_NOTIFICATION = "Underretning"
EVENT_PPR = "PPR-henvisning"
EVENT_CASE = "Børnesag"
EVENT_TYPES = (EVENT_NOTIFICATION, EVENT_PPR, EVENT_CASE)

HYP_TEXT = "Hypotese"
HYP_FACTOR = "Faktor"
HYP_DIRECTION = "Forventet retning"
DIR_UP = "Øger fraværet"
DIR_DOWN = "Mindsker fraværet"
DIR_NONE = "Ingen sammenhæng"
DIRECTIONS = (DIR_UP, DIR_DOWN, DIR_NONE)

SEG_CATEGORY = "Kategori"
SEG_CONDITION = "Betingelse"
SEG_PRIORITY = "Prioritet"
UNCATEGORISED = "Ikke kategoriseret"

SETTING = "Indstilling"
VALUE = "Værdi"
SET_MARGIN = "Relevansgrænse (procentpoint)"
SET_CHARTS = "Antal diagrammer med stærkeste sammenhænge"
#: The disclosure threshold (3–10): tables show no number for fewer pupils, the shared copy hides more.
SET_MIN_CELL = "Mindste antal personer i en celle"
DEFAULT_SETTINGS = {SET_MARGIN: 3.0, SET_CHARTS: 4, SET_MIN_CELL: SMALL_CELL}

# --- Linked data (one row per pupil) --------------------------------------------
ABSENCE_DAYS = "Fraværsdage"
ABSENCE_PCT = "Fravær (%)"
ILLNESS_PCT = "Sygefravær (%)"
LAWFUL_PCT = "Lovligt fravær (%)"
UNLAWFUL_PCT_COL = "Ulovligt fravær (%)"
N_NOTIFICATIONS = "Underretninger"
N_PPR = "PPR-henvisninger"
N_CASES = "Børnesager"
WORRYING = "Bekymrende fravær"
QUARTER = "Kvartal"
FLAG_TOTAL = "Fravær ≥ 10 %"
FLAG_UNLAWFUL = "Ulovligt fravær ≥ 15 %"
SEGMENT = "Segment"

# --- Absence bands ----------------------------------------------------------------
BANDS = ("Under 5 %", "5–10 %", "10–15 %", "15 % og derover")
BAND_EDGES = (5.0, 10.0, 15.0)
YES, NO, ALL = "Ja", "Nej", "Alle"
ALL_PUPILS = "Alle elever"


@dataclass(frozen=True)
class Domain:
    """One input table."""

    key: str
    label: str          # Danish name of the domain in the link report
    sheet: str
    table: str
    columns: tuple[str, ...]
    per_pupil: bool = True   # False: event table (several rows per pupil) or keyed on school/class


ELEVER = Domain("elever", "Skole (elever)", "Elever", "tblElever", (PUPIL, SCHOOL, CLASS, GRADE, CHANGES))
FRAVAER = Domain("fravaer", "Fravær", "Fravær", "tblFravaer",
                 (PUPIL, MONTH, SCHOOL_DAYS, ILLNESS, LAWFUL, UNLAWFUL), per_pupil=False)
SKOLER = Domain("skoler", "Skolefakta (skoler)", "Skoler", "tblSkoler", (SCHOOL, SCHOOL_SIZE), per_pupil=False)
KLASSER = Domain("klasser", "Skolefakta (klasser)", "Klasser", "tblKlasser", (SCHOOL, CLASS, CLASS_SIZE),
                 per_pupil=False)
SOCIAL = Domain("social", "Social", "Social", "tblSocial", (PUPIL, EVENT_TYPE, EVENT_DATE), per_pupil=False)
FAMILIE = Domain("familie", "Familie og beskæftigelse", "Familie", "tblFamilie",
                 (PUPIL, TOGETHER, UNKNOWN_PARENT, MOTHER_EMPLOYED, FATHER_EMPLOYED))
SPROG = Domain("sprog", "Sprog", "Sprog", "tblSprog", (PUPIL, SECOND_LANGUAGE))
HYPOTESER = Domain("hypoteser", "Hypoteser", "Hypoteser", "tblHypoteser", (HYP_TEXT, HYP_FACTOR, HYP_DIRECTION),
                   per_pupil=False)
SEGMENTER = Domain("segmenter", "Segmentering", "Segmentering", "tblSegmentering",
                   (SEG_CATEGORY, SEG_CONDITION, SEG_PRIORITY), per_pupil=False)
INDSTILLINGER = Domain("indstillinger", "Indstillinger", "Indstillinger", "tblIndstillinger", (SETTING, VALUE),
                       per_pupil=False)

DATA_DOMAINS = (ELEVER, FRAVAER, SKOLER, KLASSER, SOCIAL, FAMILIE, SPROG)
CONFIG_DOMAINS = (HYPOTESER, SEGMENTER, INDSTILLINGER)
INPUT_DOMAINS = DATA_DOMAINS + CONFIG_DOMAINS
#: Input sheets that hold pupil-level rows: never in a shared copy.
PUPIL_LEVEL_SHEETS = (ELEVER.sheet, FRAVAER.sheet, SOCIAL.sheet, FAMILIE.sheet, SPROG.sheet)


# --- Factors ----------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """A 0/1 pupil characteristic that hypotheses, cross-tabs and the drill-down use."""

    name: str
    description: str
    group: str


FACTORS = (
    Factor("Stor skole", "Skolestørrelse på eller over medianen for eleverne", "Skole"),
    Factor("Stor klasse", "Klassestørrelse på eller over medianen for eleverne", "Skole"),
    Factor("Har skiftet skole", "Mindst ét skoleskift", "Skole"),
    Factor("Forældre bor ikke sammen", "Forældrene bor ikke sammen", "Familie"),
    Factor("Ukendt forælder", "Den ene forælder er ukendt", "Familie"),
    Factor("Forælder uden beskæftigelse", "Mindst én kendt forælder er ikke i beskæftigelse", "Familie"),
    Factor("Underretning", "Mindst én underretning", "Social"),
    Factor("PPR-henvisning", "Mindst én PPR-henvisning", "Social"),
    Factor("Børnesag", "Mindst én børnesag", "Social"),
    Factor("Dansk som andetsprog", "Eleven har dansk som andetsprog", "Sprog"),
)
FACTOR_NAMES = tuple(f.name for f in FACTORS)

# --- Verdicts -------------------------------------------------------------------------
CONFIRMED = "bekræftet"
REJECTED = "afkræftet"
UNRESOLVED = "ikke afklaret"


def pct(x: float, decimals: int = 1) -> str:
    """A number with a Danish decimal comma: ``3,1``."""
    return f"{x:.{decimals}f}".replace(".", ",").replace("-", "−")


def signed(x: float, decimals: int = 1) -> str:
    """``+3,1`` / ``−2,0``."""
    s = pct(x, decimals)
    return s if s.startswith("−") else "+" + s
