"""Synthetic linked school, social, family and language data with known truths.

The truths follow the Faxe case: the parents' situation (not living together,
an unknown parent, a parent without employment) drives absence strongly; social
cases and Danish as a second language moderately; school size, class size and
school changes not at all. :data:`TRUE_RATE_RATIOS` holds the multiplicative
effect of each factor on a pupil's absence rate, and :data:`EXPECTED_VERDICTS`
the verdict the analysis must reach for the hypothesis "the factor increases
absence".

Everything is pseudonymous and random; no real pupil is described.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..absence import contract as c

__all__ = ["AbsenceData", "generate_absence_data", "TRUE_RATE_RATIOS", "EXPECTED_VERDICTS",
           "DEFAULT_HYPOTHESES", "DEFAULT_SEGMENT_RULES", "SCHOOL_MONTHS"]

#: Multiplicative effect on the expected absence rate (1.0 = no effect).
TRUE_RATE_RATIOS = {
    "Stor skole": 1.0,
    "Stor klasse": 1.0,
    "Har skiftet skole": 1.0,
    "Forældre bor ikke sammen": 1.5,
    "Ukendt forælder": 1.7,
    "Forælder uden beskæftigelse": 1.7,
    "Underretning": 1.4,
    "PPR-henvisning": 1.35,
    "Børnesag": 1.4,
    "Dansk som andetsprog": 1.35,
}

#: Verdict for "the factor increases absence" (Forventet retning = "Øger fraværet").
EXPECTED_VERDICTS = {k: (c.CONFIRMED if v > 1.0 else c.REJECTED) for k, v in TRUE_RATE_RATIOS.items()}

#: The municipality's hypotheses (Faxe's, restated).
DEFAULT_HYPOTHESES = pd.DataFrame({
    c.HYP_TEXT: [
        "Elever på store skoler har mere fravær",
        "Elever i store klasser har mere fravær",
        "Skoleskift giver mere fravær",
        "Elever, hvis forældre ikke bor sammen, har mere fravær",
        "En ukendt forælder hænger sammen med mere fravær",
        "Forældre uden beskæftigelse hænger sammen med mere fravær",
        "Elever med underretninger har mere fravær",
        "Elever henvist til PPR har mere fravær",
        "Elever med en børnesag har mere fravær",
        "Elever med dansk som andetsprog har mere fravær",
    ],
    c.HYP_FACTOR: list(TRUE_RATE_RATIOS),
    c.HYP_DIRECTION: [c.DIR_UP] * len(TRUE_RATE_RATIOS),
})

#: Example cause categories for high-absence pupils (priority 1 wins).
DEFAULT_SEGMENT_RULES = pd.DataFrame({
    c.SEG_CATEGORY: ["Familie/social", "Tosproget", "Trivsel", "Faglig", "Sygdom"],
    c.SEG_CONDITION: [
        "[Underretninger] >= 1 eller [Børnesager] >= 1",
        "[Dansk som andetsprog] = 1",
        "[Ulovligt fravær (%)] >= 5",
        "[PPR-henvisninger] >= 1",
        "[Sygefravær (%)] >= 8",
    ],
    c.SEG_PRIORITY: [1, 2, 3, 4, 5],
})

#: School year 2024/25: month → school days.
SCHOOL_MONTHS = {
    "2024-08": 10, "2024-09": 21, "2024-10": 18, "2024-11": 21, "2024-12": 15, "2025-01": 20,
    "2025-02": 15, "2025-03": 21, "2025-04": 16, "2025-05": 18, "2025-06": 14,
}
_SEASON = {"2024-08": 0.8, "2024-09": 0.9, "2024-10": 1.0, "2024-11": 1.15, "2024-12": 1.25, "2025-01": 1.25,
           "2025-02": 1.2, "2025-03": 1.0, "2025-04": 0.95, "2025-05": 0.9, "2025-06": 0.85}

_SCHOOL_NAMES = ["Nordskolen", "Sydskolen", "Østskolen", "Vestskolen", "Bakkeskolen", "Engskolen",
                 "Skovskolen", "Havneskolen", "Møllegårdsskolen", "Kirkeskolen", "Åskolen", "Strandskolen",
                 "Byskolen", "Centralskolen", "Lindeskolen", "Bøgeskolen", "Egeskolen", "Kildeskolen"]


@dataclass
class AbsenceData:
    """One table per domain (columns as in :mod:`tildeling.absence.contract`) and the truths."""

    elever: pd.DataFrame
    fravaer: pd.DataFrame
    skoler: pd.DataFrame
    klasser: pd.DataFrame
    social: pd.DataFrame
    familie: pd.DataFrame
    sprog: pd.DataFrame
    hypoteser: pd.DataFrame = field(default_factory=lambda: DEFAULT_HYPOTHESES.copy())
    segmenter: pd.DataFrame = field(default_factory=lambda: DEFAULT_SEGMENT_RULES.copy())
    indstillinger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {c.SETTING: list(c.DEFAULT_SETTINGS), c.VALUE: list(c.DEFAULT_SETTINGS.values())}))
    #: Pupils left out of a domain on purpose, and ids in a domain but not in Elever.
    missing: dict = field(default_factory=dict)
    orphans: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Domain key → table, in the order of :data:`contract.INPUT_DOMAINS`."""
        return {d.key: getattr(self, d.key) for d in c.INPUT_DOMAINS}


def generate_absence_data(n_pupils: int = 12000, n_schools: int = 16, seed: int = 2017, *,
                          missing_family: int = 40, missing_language: int = 25, missing_absence: int = 3,
                          orphans: int = 5) -> AbsenceData:
    """Generate a municipality's linked data.

    Parameters
    ----------
    n_pupils : int, default=12000
        Pupils in grades 0–9 (with 12,000 the null factors are estimated precisely
        enough to be rejected, as in Faxe).
    n_schools : int, default=16
    seed : int, default=2017
    missing_family, missing_language, missing_absence : int
        Pupils left out of the family, language and absence tables.
    orphans : int
        Pseudonyms that appear in the social, family and absence tables but not in Elever.
    """
    rng = np.random.default_rng(seed)
    n_schools = min(n_schools, len(_SCHOOL_NAMES))
    names = _SCHOOL_NAMES[:n_schools]
    weights = rng.uniform(0.4, 1.6, n_schools)
    school = rng.choice(n_schools, size=n_pupils, p=weights / weights.sum())
    grade = rng.integers(0, 10, n_pupils)
    ids = rng.choice(np.arange(100000, 1000000), size=n_pupils + orphans, replace=False)
    pupil_ids = np.array([f"E{i}" for i in ids[:n_pupils]], dtype=object)
    orphan_ids = [f"E{i}" for i in ids[n_pupils:]]

    # Classes: fill up to 28 pupils, letters A, B, …
    elever = pd.DataFrame({c.PUPIL: pupil_ids, "_s": school, c.GRADE: grade})
    elever = elever.sort_values(["_s", c.GRADE, c.PUPIL]).reset_index(drop=True)
    pos = elever.groupby(["_s", c.GRADE]).cumcount().to_numpy()
    size = elever.groupby(["_s", c.GRADE])[c.PUPIL].transform("size").to_numpy()
    n_classes = np.ceil(size / 26).astype(int)
    letter = pos % np.maximum(n_classes, 1)
    elever[c.SCHOOL] = [names[s] for s in elever["_s"]]
    elever[c.CLASS] = [f"{g}{chr(65 + l)}" for g, l in zip(elever[c.GRADE], letter)]
    elever[c.CHANGES] = rng.choice([0, 1, 2], size=len(elever), p=[0.82, 0.14, 0.04])
    elever = elever.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n = len(elever)

    skoler = elever.groupby(c.SCHOOL).size().rename(c.SCHOOL_SIZE).reset_index()
    klasser = elever.groupby([c.SCHOOL, c.CLASS]).size().rename(c.CLASS_SIZE).reset_index()

    # Family and employment
    together = (rng.random(n) < 0.66).astype(int)
    unknown = ((together == 0) & (rng.random(n) < 0.12)).astype(int)
    unknown_is_father = rng.random(n) < 0.85
    p_emp = np.where(together == 1, 0.9, 0.72)
    mother = (rng.random(n) < p_emp).astype(float)
    father = (rng.random(n) < p_emp).astype(float)
    mother[(unknown == 1) & ~unknown_is_father] = np.nan
    father[(unknown == 1) & unknown_is_father] = np.nan
    no_job = (np.nan_to_num(mother, nan=1) == 0) | (np.nan_to_num(father, nan=1) == 0)
    language = (rng.random(n) < 0.11).astype(int)

    # Social events, more likely in families under pressure
    risk = -3.0 + 0.9 * (1 - together) + 0.7 * no_job + 0.5 * unknown
    p_note = 1 / (1 + np.exp(-risk))
    has_note = rng.random(n) < p_note
    has_ppr = rng.random(n) < (0.05 + 0.04 * has_note)
    has_case = rng.random(n) < (0.02 + 0.10 * has_note)

    rr = TRUE_RATE_RATIOS
    log_rate = (np.log(0.032) + np.log(rr["Forældre bor ikke sammen"]) * (1 - together)
                + np.log(rr["Ukendt forælder"]) * unknown + np.log(rr["Forælder uden beskæftigelse"]) * no_job
                + np.log(rr["Underretning"]) * has_note + np.log(rr["PPR-henvisning"]) * has_ppr
                + np.log(rr["Børnesag"]) * has_case + np.log(rr["Dansk som andetsprog"]) * language
                + rng.normal(0.0, 0.55, n))
    rate = np.minimum(np.exp(log_rate), 0.6)
    unlawful_share = np.clip(0.08 + 0.10 * (1 - together) + 0.10 * no_job + 0.08 * has_note, 0, 0.6)

    rows = []
    for month, days in SCHOOL_MONTHS.items():
        p = np.minimum(rate * _SEASON[month] * rng.lognormal(0.0, 0.25, n), 0.95)
        absent = rng.binomial(days, p)
        unlawful = rng.binomial(absent, unlawful_share)
        rest = absent - unlawful
        illness = rng.binomial(rest, 0.8)
        lawful = rest - illness
        rows.append(pd.DataFrame({c.PUPIL: elever[c.PUPIL].to_numpy(), c.MONTH: month, c.SCHOOL_DAYS: days,
                                  c.ILLNESS: illness, c.LAWFUL: lawful, c.UNLAWFUL: unlawful}))
    fravaer = pd.concat(rows, ignore_index=True)

    events = []
    for flag, kind in ((has_note, c.EVENT_NOTIFICATION), (has_ppr, c.EVENT_PPR), (has_case, c.EVENT_CASE)):
        who = elever[c.PUPIL].to_numpy()[flag]
        extra = who[rng.random(len(who)) < 0.3]  # some pupils have two events
        for w in (who, extra):
            days = rng.integers(0, 900, len(w))
            events.append(pd.DataFrame({c.PUPIL: w, c.EVENT_TYPE: kind,
                                        c.EVENT_DATE: pd.Timestamp("2023-01-02") + pd.to_timedelta(days, "D")}))
    social = pd.concat(events, ignore_index=True)

    familie = pd.DataFrame({c.PUPIL: elever[c.PUPIL].to_numpy(), c.TOGETHER: together, c.UNKNOWN_PARENT: unknown,
                            c.MOTHER_EMPLOYED: mother, c.FATHER_EMPLOYED: father})
    sprog = pd.DataFrame({c.PUPIL: elever[c.PUPIL].to_numpy(), c.SECOND_LANGUAGE: language})

    # Leave some pupils out of some domains, add pseudonyms unknown to Elever.
    all_ids = elever[c.PUPIL].to_numpy()
    pick = rng.permutation(n)
    miss_fam = set(all_ids[pick[:missing_family]])
    miss_lang = set(all_ids[pick[missing_family:missing_family + missing_language]])
    miss_abs = set(all_ids[pick[missing_family + missing_language:
                                missing_family + missing_language + missing_absence]])
    familie = familie[~familie[c.PUPIL].isin(miss_fam)].reset_index(drop=True)
    sprog = sprog[~sprog[c.PUPIL].isin(miss_lang)].reset_index(drop=True)
    fravaer = fravaer[~fravaer[c.PUPIL].isin(miss_abs)].reset_index(drop=True)
    if orphans:
        social = pd.concat([social, pd.DataFrame({c.PUPIL: orphan_ids, c.EVENT_TYPE: c.EVENT_NOTIFICATION,
                                                  c.EVENT_DATE: pd.Timestamp("2024-10-01")})],
                           ignore_index=True)
        familie = pd.concat([familie, pd.DataFrame({c.PUPIL: orphan_ids[:2], c.TOGETHER: 1, c.UNKNOWN_PARENT: 0,
                                                    c.MOTHER_EMPLOYED: 1.0, c.FATHER_EMPLOYED: 1.0})],
                            ignore_index=True)

    social = social.sort_values([c.EVENT_DATE, c.PUPIL]).reset_index(drop=True)
    elever = elever[[c.PUPIL, c.SCHOOL, c.CLASS, c.GRADE, c.CHANGES]]
    return AbsenceData(
        elever=elever, fravaer=fravaer, skoler=skoler, klasser=klasser, social=social, familie=familie,
        sprog=sprog,
        missing={"familie": sorted(miss_fam), "sprog": sorted(miss_lang), "fravaer": sorted(miss_abs)},
        orphans={"social": sorted(orphan_ids), "familie": sorted(orphan_ids[:2])},
    )
