"""Geography of the synthetic data: municipalities, school districts and the Helsingør mirror.

The 98 Danish municipalities with their official codes and names. Pupil counts
are proportional to a rough size weight (about the number of pupils in grades
0–9, 2015/16 order of magnitude); they are rescaled to the requested total.
Neighbourhood socio-economic status (SES) is a fixed offset for a few well-known
municipalities and a random draw for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (code, name, size weight ≈ pupils in grades 0–9, SES offset or None = random)
MUNICIPALITIES: tuple[tuple[str, str, float, float | None], ...] = (
    ("101", "København", 60000, 0.10), ("147", "Frederiksberg", 10500, 0.35),
    ("151", "Ballerup", 5600, None), ("153", "Brøndby", 4100, -0.40), ("155", "Dragør", 1900, 0.35),
    ("157", "Gentofte", 10200, 0.65), ("159", "Gladsaxe", 7600, None), ("161", "Glostrup", 2400, None),
    ("163", "Herlev", 3100, None), ("165", "Albertslund", 3300, -0.35), ("167", "Hvidovre", 5800, -0.10),
    ("169", "Høje-Taastrup", 6100, -0.20), ("173", "Lyngby-Taarbæk", 6700, 0.50), ("175", "Rødovre", 4400, -0.10),
    ("183", "Ishøj", 2800, -0.45), ("185", "Tårnby", 4700, None), ("187", "Vallensbæk", 2100, 0.10),
    ("190", "Furesø", 5300, 0.35), ("201", "Allerød", 3500, 0.45), ("210", "Fredensborg", 4900, None),
    ("217", "Helsingør", 7921, 0.05), ("219", "Hillerød", 6400, 0.20), ("223", "Hørsholm", 3100, 0.55),
    ("230", "Rudersdal", 7700, 0.65), ("240", "Egedal", 5900, 0.25), ("250", "Frederikssund", 5300, None),
    ("253", "Greve", 6100, 0.10), ("259", "Køge", 7000, None), ("260", "Halsnæs", 3500, -0.20),
    ("265", "Roskilde", 10000, 0.25), ("269", "Solrød", 3000, 0.25), ("270", "Gribskov", 4900, None),
    ("306", "Odsherred", 3500, -0.30), ("316", "Holbæk", 8200, None), ("320", "Faxe", 4200, -0.15),
    ("326", "Kalundborg", 5600, -0.20), ("329", "Ringsted", 4000, None), ("330", "Slagelse", 8600, -0.20),
    ("336", "Stevns", 2500, None), ("340", "Sorø", 3300, None), ("350", "Lejre", 3500, 0.30),
    ("360", "Lolland", 4200, -0.55), ("370", "Næstved", 9200, -0.10), ("376", "Guldborgsund", 6600, -0.40),
    ("390", "Vordingborg", 4800, -0.25), ("400", "Bornholm", 4200, -0.30), ("410", "Middelfart", 4500, None),
    ("420", "Assens", 4600, None), ("430", "Faaborg-Midtfyn", 5800, None), ("440", "Kerteminde", 2700, None),
    ("450", "Nyborg", 3500, None), ("461", "Odense", 20500, -0.05), ("479", "Svendborg", 6300, None),
    ("480", "Nordfyns", 3300, -0.10), ("482", "Langeland", 1200, -0.40), ("492", "Ærø", 600, -0.20),
    ("510", "Haderslev", 6300, None), ("530", "Billund", 3200, None), ("540", "Sønderborg", 8300, None),
    ("550", "Tønder", 4300, -0.20), ("561", "Esbjerg", 13000, -0.10), ("563", "Fanø", 350, None),
    ("573", "Varde", 5900, None), ("575", "Vejen", 5200, None), ("580", "Aabenraa", 6700, -0.10),
    ("607", "Fredericia", 5800, -0.10), ("615", "Horsens", 10200, None), ("621", "Kolding", 10600, 0.05),
    ("630", "Vejle", 13300, 0.05), ("657", "Herning", 10300, None), ("661", "Holstebro", 6700, None),
    ("665", "Lemvig", 2300, None), ("671", "Struer", 2400, None), ("706", "Syddjurs", 5100, None),
    ("707", "Norddjurs", 4100, -0.20), ("710", "Favrskov", 6600, 0.25), ("727", "Odder", 2700, 0.15),
    ("730", "Randers", 11000, -0.10), ("740", "Silkeborg", 11000, 0.10), ("741", "Samsø", 380, None),
    ("746", "Skanderborg", 7900, 0.30), ("751", "Aarhus", 36000, 0.20), ("756", "Ikast-Brande", 4800, None),
    ("760", "Ringkøbing-Skjern", 6800, None), ("766", "Hedensted", 5700, None), ("773", "Morsø", 2300, -0.20),
    ("779", "Skive", 5200, None), ("787", "Thisted", 4900, -0.10), ("791", "Viborg", 11200, None),
    ("810", "Brønderslev", 4300, None), ("813", "Frederikshavn", 6200, -0.20),
    ("820", "Vesthimmerlands", 4200, -0.20), ("825", "Læsø", 150, -0.20), ("840", "Rebild", 3600, 0.10),
    ("846", "Mariagerfjord", 4800, None), ("849", "Jammerbugt", 4300, None), ("851", "Aalborg", 22000, 0.0),
    ("860", "Hjørring", 7400, -0.10),
)

HELSINGOER_CODE = "217"
HELSINGOER_NAME = "Helsingør"
GENERIC_CODE = "999"
GENERIC_NAME = "Eksempelkommune"

#: Mean pupils per district outside Helsingør.
DISTRICT_SIZE = 1300


@dataclass(frozen=True)
class HelsingoerDistrict:
    """One district of the Helsingør mirror (Tabel 5.1, Bilag 2–4 of the VIVE note)."""

    code: str
    name: str
    short: str
    n: int              # pupils in grades 0–9 (Tabel 5.1)
    p_bar: float        # published mean predicted probability (Tabel 5.1)
    actual_rate: float  # published actual referral rate (Bilag 4)
    actual_count: int   # segregated pupils implied by Tabel 5.1's actual shares (303 in all)
    girl_share: float   # Bilag 3
    top_grade: int      # highest grade living in the district (Tikøb: 0.–6. klasse)
    ses_start: float    # starting point of the SES calibration (from Bilag 3's education means)


#: Rows in the order of Tabel 5.1; codes as in Bilag 2.
HELSINGOER_DISTRICTS: tuple[HelsingoerDistrict, ...] = (
    HelsingoerDistrict("1", "Espegærde Skoles distrikt", "Espegærde", 2012, 0.027, 0.019, 39, 0.495, 9, 0.45),
    HelsingoerDistrict("2", "Hellebækskolens distrikt", "Hellebæk", 896, 0.030, 0.033, 30, 0.453, 9, 0.35),
    HelsingoerDistrict("6", "Helsingør Skoles distrikt", "Helsingør", 2557, 0.044, 0.041, 105, 0.470, 9, -0.25),
    HelsingoerDistrict("3", "Hornbæk Skoles distrikt", "Hornbæk", 672, 0.036, 0.025, 17, 0.481, 9, 0.10),
    HelsingoerDistrict("5", "Skolerne i Snekkerstens distrikt", "Snekkersten", 1569, 0.045, 0.068, 107, 0.488, 9,
                       -0.25),
    HelsingoerDistrict("4", "Tikøb Skoles distrikt", "Tikøb", 215, 0.028, 0.023, 5, 0.442, 6, 0.0),
)

#: Grade 0–9 pupils of the Helsingør mirror (Tabel 5.1: 7,921).
HELSINGOER_N = sum(d.n for d in HELSINGOER_DISTRICTS)

#: Logit shift of Helsingør's municipal referral practice (Tabel 4.1: a little above expected).
HELSINGOER_PRACTICE = 0.03


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (Hamilton's method)."""
    weights = np.asarray(weights, dtype=np.float64)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.lexsort((np.arange(len(quota)), -(quota - base)))  # stable tie-break
        base[order[:rest]] += 1
    return base


def municipality_sizes(n_other: int, n_municipalities: int) -> tuple[list[int], np.ndarray]:
    """Indices into :data:`MUNICIPALITIES` (Helsingør excluded) and their grade 0–9 counts.

    The first ``n_municipalities - 1`` non-Helsingør municipalities by code are
    used, so fewer municipalities is a well-defined subset.
    """
    idx = [i for i, m in enumerate(MUNICIPALITIES) if m[0] != HELSINGOER_CODE][: n_municipalities - 1]
    w = np.array([MUNICIPALITIES[i][2] for i in idx])
    sizes = largest_remainder(w, n_other)
    return idx, sizes


def split_districts(rng: np.random.Generator, size: int) -> np.ndarray:
    """Split a municipality's pupils into districts of a few hundred to a few thousand."""
    k = max(1, int(round(size / DISTRICT_SIZE)))
    if k == 1:
        return np.array([size], dtype=np.int64)
    w = rng.gamma(4.0, 1.0, size=k)
    return largest_remainder(w, size)
