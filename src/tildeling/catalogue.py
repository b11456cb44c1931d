"""The national variable catalogue: the predictors of the VIVE model (Boks 1 / Bilag 1).

Keys are the pupil-data column names. The catalogue is the default model of the
synthetic data, the workbook template and ``tildeling fit``; a municipality may
use any subset, or variables of its own, through its coefficient table.
"""

from __future__ import annotations

from .spec import Category as C
from .spec import ModelSpec, Variable, VarType

__all__ = ["NATIONAL_SPEC", "national_variables", "PUBLISHED_TOP_TEN"]

NUM, BIN, CAT, BAND = VarType.NUMERIC, VarType.BINARY, VarType.CATEGORICAL, VarType.BANDED

_INCOME = (
    C("Under -150.000 kr.", None, -150_000),
    C("-150.000 til -50.000 kr.", -150_000, -50_000),
    C("-50.000 til -10.000 kr.", -50_000, -10_000),
    C("-10.000 til 10.000 kr.", -10_000, 10_000),
    C("10.000 til 50.000 kr.", 10_000, 50_000),
    C("50.000 til 150.000 kr.", 50_000, 150_000),
    C("150.000 til 250.000 kr.", 150_000, 250_000),
    C("Over 250.000 kr.", 250_000, None),
)
_EMPLOYMENT = tuple(
    C(x)
    for x in ("Lønmodtager", "Selvstændig", "Topleder", "Ledig", "Førtidspension", "Kontanthjælp", "Andet")
)
_CHARGED = tuple(C(x) for x in ("Ingen", "Mindre lovovertrædelse", "Alvorlig lovovertrædelse", "Voldsforbrydelse"))
_MOTHER_AGE = (
    C("20 år eller yngre", None, 21),
    C("21-24 år", 21, 25),
    C("25-34 år", 25, 35),
    C("35-38 år", 35, 39),
    C("39 år eller ældre", 39, None),
)
_FATHER_AGE = (
    C("22 år eller yngre", None, 23),
    C("23-26 år", 23, 27),
    C("27-36 år", 27, 37),
    C("37-41 år", 37, 42),
    C("42 år eller ældre", 42, None),
)


def _parent(prefix: str, noun: str, group: str, age_bands, age_ref) -> list[Variable]:
    # noun: "Moderen"/"Faderen"; genitive "Moderens"/"Faderens"
    gen = noun + "s"
    return [
        Variable(f"{prefix}_alder_foedsel", f"{gen} alder ved elevens fødsel", BAND, age_bands, age_ref, group, "Andel"),
        Variable(f"{prefix}_skilt", f"{noun} er blevet skilt eller enke i perioden", BIN, group=group, unit="Andel"),
        Variable(f"{prefix}_indkomst", f"{gen} alderskorrigerede indkomst", BAND, _INCOME,
                 "-10.000 til 10.000 kr.", group, "Andel"),
        Variable(f"{prefix}_uddannelse", f"{gen} alderskorrigerede uddannelsesniveau", NUM, group=group, unit="År",
                 display_key=f"{prefix}_uddannelse_aar", display_unit="År ud over grundskolen"),
        Variable(f"{prefix}_isei", f"{gen} alderskorrigerede jobprestige (ISEI)", NUM, group=group, unit="Skalapoint",
                 display_key=f"{prefix}_isei_point", display_unit="Skalapoint"),
        Variable(f"{prefix}_beskaeftigelse", f"{gen} beskæftigelse", CAT, _EMPLOYMENT, "Lønmodtager", group, "Andel"),
        Variable(f"{prefix}_laege", f"{gen} gns. antal kontakter med alment praktiserende læge", NUM,
                 group=group, unit="Antal"),
        Variable(f"{prefix}_psykiatri", f"{noun} har haft kontakt med psykiatrien", BIN, group=group, unit="Andel"),
        Variable(f"{prefix}_speciallaege", f"{noun} har haft kontakt med en speciallæge", BIN, group=group,
                 unit="Andel"),
        Variable(f"{prefix}_tandlaege", f"{noun} har været hos tandlæge", BIN, group=group, unit="Andel"),
        Variable(f"{prefix}_indlaeggelser", f"{gen} gns. antal indlæggelser", NUM, group=group, unit="Antal"),
        Variable(f"{prefix}_sigtet", f"{noun} er sigtet for en lovovertrædelse", CAT, _CHARGED, "Ingen", group,
                 "Andel"),
    ]


def national_variables() -> list[Variable]:
    """The variables of the national model, in Bilag 1's order."""
    pupil = "Eleven"
    family = "Elevens familie"
    out = [
        Variable("pige", "Elevens køn (pige)", BIN, group=pupil, unit="Andel"),
        Variable("alder", "Elevens alder", NUM, group=pupil, unit="År"),
        Variable("adopteret", "Eleven er adopteret", BIN, group=pupil, unit="Andel"),
        Variable("lav_foedselsvaegt", "Eleven havde lav fødselsvægt (<2.500 g)", BIN, group=pupil, unit="Andel"),
        Variable("elev_laege", "Elevens gns. antal kontakter med alment praktiserende læge", NUM, group=pupil,
                 unit="Antal"),
        Variable("elev_speciallaege", "Eleven har haft kontakt med en speciallæge", BIN, group=pupil, unit="Andel"),
        Variable("elev_indlaeggelser", "Elevens gns. antal indlæggelser", NUM, group=pupil, unit="Antal"),
        Variable(
            "skolestart_alder", "Elevens alder ved skolestart", BAND,
            (C("Under 5,5 år", None, 5.5), C("5,5-6,5 år", 5.5, 6.5), C("6,5-7 år", 6.5, 7.0),
             C("Over 7 år", 7.0, None)),
            "5,5-6,5 år", pupil, "Andel",
        ),
        Variable(
            "boern_hjemme", "Hjemmeboende børn i elevens familie", BAND,
            (C("0 børn", None, 1), C("1 barn", 1, 2), C("2 børn", 2, 3), C("3 børn", 3, 4), C("4 børn", 4, 5),
             C("5 eller flere børn", 5, None)),
            "2 børn", family, "Andel",
        ),
        Variable("samboende", "Elevens forældre er samboende", BIN, group=family, unit="Andel"),
        Variable("foraelder_doed", "Mindst én af forældrene er død", BIN, group=family, unit="Andel"),
        Variable("mor_ukendt", "Moderen er ukendt", BIN, group=family, unit="Andel"),
        Variable("far_ukendt", "Faderen er ukendt", BIN, group=family, unit="Andel"),
    ]
    out += _parent("mor", "Moderen", "Moderen", _MOTHER_AGE, "25-34 år")
    out += _parent("far", "Faderen", "Faderen", _FATHER_AGE, "27-36 år")
    return out


#: The national model's specification (37 variables, 75 design columns + intercept).
NATIONAL_SPEC = ModelSpec(tuple(national_variables()))

#: Tabel 3.1 of the VIVE note: (key, category or "", sign, % of explanatory power).
PUBLISHED_TOP_TEN = (
    ("pige", "", -1, 21.3),
    ("alder", "", +1, 13.0),
    ("mor_isei", "", -1, 4.7),
    ("mor_uddannelse", "", -1, 4.6),
    ("far_uddannelse", "", -1, 4.3),
    ("skolestart_alder", "Over 7 år", +1, 4.2),
    ("far_isei", "", -1, 3.4),
    ("elev_laege", "", +1, 3.1),
    ("samboende", "", -1, 3.1),
    ("boern_hjemme", "0 børn", +1, 2.6),
)
