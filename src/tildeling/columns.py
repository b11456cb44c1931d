"""Names of the columns in the core's data contracts (pupil data, coefficient table).

These names are a contract: users' files and formulas rely on them. They are
documented in docs/analytiker.md; change them only with a migration note.
"""

from __future__ import annotations

# --- Pupil data (one row per pupil) -----------------------------------------
PUPIL_ID = "ElevID"
DISTRICT = "Distrikt"
GRADE = "Klassetrin"
OUTCOME = "Segregeret"
MUNICIPALITY = "Kommune"  # national data: the cluster for robust standard errors

#: Grades included in the need model (grade 10 is excluded, as in the VIVE note).
MODEL_GRADES = tuple(range(0, 10))

# --- Coefficient table ---------------------------------------------------------
VARIABLE = "Variabel"
CATEGORY = "Kategori"
COEF = "Koefficient"
SE = "Standardfejl"
Z = "z"
P = "P-værdi"
STARS = "Signifikans"
CI_LOW = "95 % KI nedre"
CI_HIGH = "95 % KI øvre"
ODDS_RATIO = "Odds-ratio"
WEIGHT = "Relativ vægt"
WEIGHT_GROUP = "Relativ vægt (variabel i alt)"
TYPE = "Type"
REFERENCE = "Reference"
LOWER = "Nedre grænse"
UPPER = "Øvre grænse"
LABEL = "Beskrivelse"
GROUP = "Gruppe"
UNIT = "Enhed"
NATIONAL_MEAN = "Landsgennemsnit"
DISPLAY_KEY = "Visningskolonne"
DISPLAY_UNIT = "Visningsenhed"
DISPLAY_NATIONAL_MEAN = "Landsgennemsnit (visning)"

#: Required columns of a coefficient table; the rest are optional.
COEF_REQUIRED = (VARIABLE, CATEGORY, COEF)

#: Column order of an exported coefficient table.
COEF_COLUMNS = (
    VARIABLE, CATEGORY, COEF, SE, Z, P, STARS, CI_LOW, CI_HIGH, ODDS_RATIO,
    WEIGHT, WEIGHT_GROUP, TYPE, REFERENCE, LOWER, UPPER, LABEL, GROUP, UNIT,
    NATIONAL_MEAN, DISPLAY_KEY, DISPLAY_UNIT, DISPLAY_NATIONAL_MEAN,
)

#: The coefficients' covariance matrix travels with the table as one column per design column, to the
#: right of the others: row i, column ``Kov. <Variabel>`` or ``Kov. <Variabel> = <Kategori>`` holds
#: Cov(β_i, β_j) for the design column j that the header names. Optional; without it the allocation key
#: gets no interval.
COV_PREFIX = "Kov. "


def covariance_column(variable: str, category: str = "") -> str:
    """The header of the covariance column of one design column."""
    return f"{COV_PREFIX}{variable}" + (f" = {category}" if category else "")


def fit_columns(spec) -> list[str]:
    """The pupil columns ``tildeling fit`` reads for ``spec`` (a file reader may skip the rest)."""
    extra = [v.display_key for v in spec if v.display_key]
    return list(dict.fromkeys([MUNICIPALITY, GRADE, OUTCOME, *spec.keys, *extra]))
