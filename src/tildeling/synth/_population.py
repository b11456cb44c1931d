"""Vectorised draw of pupils' and parents' characteristics.

Everything loads on three latent variables: the neighbourhood SES (municipality
plus district, given per pupil), the family SES (neighbourhood SES plus noise) and
each parent's own SES (family SES plus noise), plus a family health factor. All
randomness comes from one :class:`numpy.random.Generator` in a fixed order, so the
same generator state gives the same pupils, and a change in the neighbourhood SES
alone moves the pupils' characteristics smoothly (common random numbers, used to
calibrate the Helsingør districts).

Categorical and banded variables come back as integer codes into the variable's
full category tuple in the catalogue (``Variable.categories``); banded variables
also come back as their raw numbers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

# --- Age correction ------------------------------------------------------------
#: Expected value for the parent's current age: ``a + b · (age − 40)``. The
#: constants are the least-squares lines of the synthetic national population
#: (seed 2016), rounded; the age-corrected value is the raw value minus this.
AGE_CORRECTION = {
    ("mor", "uddannelse"): (3.64, 0.106),
    ("far", "uddannelse"): (2.94, 0.082),
    ("mor", "isei"): (44.0, 0.60),
    ("far", "isei"): (43.3, 0.44),
}

#: Category order of employment and charges (as in the catalogue).
EMPLOYMENT_P = {
    "mor": np.array([0.790, 0.035, 0.012, 0.035, 0.028, 0.035, 0.065]),
    "far": np.array([0.755, 0.090, 0.025, 0.030, 0.025, 0.025, 0.050]),
}
EMPLOYMENT_SES = np.array([0.0, 0.25, 1.1, -0.6, -0.9, -1.3, -0.5])
EMPLOYMENT_HEALTH = np.array([0.0, 0.0, 0.0, 0.2, 1.0, 0.4, 0.3])
#: Income shift (DKK, age-corrected) by employment category.
EMPLOYMENT_INCOME = np.array([25_000, 20_000, 180_000, -70_000, -80_000, -120_000, -90_000])
CHARGED_P = {
    "mor": np.array([0.975, 0.013, 0.006, 0.006]),
    "far": np.array([0.905, 0.050, 0.022, 0.023]),
}
CHARGED_SES = np.array([0.0, -0.5, -0.7, -0.8])

PARENT = {
    #            age mean, age ses, age sd, edu mean, isei mean, GP mean, psych, spec, dentist, income sd
    "mor": dict(age=29.9, age_ses=1.7, age_sd=4.4, edu=3.63, isei=44.33, gp=6.0, psych=0.07, spec=0.42,
                dent=0.86, inc_sd=55_000),
    "far": dict(age=32.6, age_ses=1.5, age_sd=5.2, edu=3.09, isei=45.47, gp=3.6, psych=0.05, spec=0.32,
                dent=0.75, inc_sd=75_000),
}

#: Children living at home: 1, 2, 3, 4, 5, 6, 7 (the 0 group is drawn separately).
SIBLINGS_P = np.array([0.19, 0.46, 0.25, 0.065, 0.022, 0.008, 0.005])


def _gumbel_choice(rng: np.random.Generator, base_p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Categorical draw with logits ``log(base_p) + shift`` (n × k) via the Gumbel-max trick."""
    g = rng.gumbel(size=shift.shape)
    return np.argmax(np.log(base_p)[None, :] + shift + g, axis=1).astype(np.int8)


def _round_to(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(x / step) * step


def draw_population(rng: np.random.Generator, grade: np.ndarray, ses_nb: np.ndarray,
                    girl_p: np.ndarray | float = 0.485) -> dict[str, np.ndarray]:
    """Draw every catalogue variable (and the display columns) for ``len(grade)`` pupils.

    Parameters
    ----------
    rng : numpy.random.Generator
    grade : ndarray of int, shape (n,)
        Klassetrin 0–10.
    ses_nb : ndarray of float, shape (n,)
        Neighbourhood SES (municipality + district offset).
    girl_p : float or ndarray
        Probability of a girl.

    Returns
    -------
    dict
        Arrays keyed by catalogue key (codes for categorical variables) plus the
        display columns.
    """
    n = len(grade)
    out: dict[str, np.ndarray] = {}
    N = lambda: rng.standard_normal(n)  # noqa: E731
    U = lambda: rng.random(n)  # noqa: E731

    # Latent factors
    z_f = ses_nb + 0.94 * N()
    h_f = N()
    z_p = {"mor": 0.75 * z_f + 0.6 * N(), "far": 0.75 * z_f + 0.6 * N()}
    h_p = {"mor": 0.45 * h_f - 0.15 * z_p["mor"] + 0.85 * N(), "far": 0.45 * h_f - 0.15 * z_p["far"] + 0.85 * N()}

    # --- The pupil -------------------------------------------------------------
    girl = U() < girl_p
    out["pige"] = girl.astype(np.int8)
    lbw = U() < expit(logit(0.05) - 0.25 * z_f)
    out["lav_foedselsvaegt"] = lbw.astype(np.int8)
    out["adopteret"] = (U() < 0.008).astype(np.int8)
    birth = U()  # fraction of the calendar year at birth
    p_late = expit(logit(0.026) + 0.5 * (~girl) + 0.9 * lbw - 0.30 * z_f)
    u_start = U()
    late = u_start < p_late
    early = (~late) & (u_start > 1 - 0.008)
    start = 6.63 - birth
    start = np.where(late, start + 1.0, start)
    start = np.where(early, 5.45 - 0.4 * birth, start)
    start = np.round(start, 2)
    out["skolestart_alder"] = start
    age = np.round(start + grade + 0.04, 2)
    out["alder"] = age

    h_c = 0.5 * h_f + 0.85 * N()
    gp_mean = 3.3 * np.exp(0.30 * h_c - 0.05 * (age - 10.7) + 0.2 * lbw - 0.05 * z_f - 0.064)
    out["elev_laege"] = _round_to(rng.gamma(5.0, gp_mean / 5.0), 0.2)
    out["elev_speciallaege"] = (U() < expit(logit(0.22) + 0.4 * h_c + 0.1 * z_f)).astype(np.int8)
    out["elev_indlaeggelser"] = rng.poisson(5 * 0.05 * np.exp(0.5 * h_c + 0.7 * lbw)) / 5.0

    # --- The family ------------------------------------------------------------
    mor_ukendt = U() < 0.002
    far_ukendt = U() < expit(logit(0.022) - 0.5 * z_f)
    out["mor_ukendt"] = mor_ukendt.astype(np.int8)
    out["far_ukendt"] = far_ukendt.astype(np.int8)
    cohab = (U() < expit(0.80 + 0.55 * z_f - 0.06 * (age - 10.7) - 0.15 * h_f)) & ~mor_ukendt & ~far_ukendt
    out["samboende"] = cohab.astype(np.int8)
    out["foraelder_doed"] = (U() < 0.011 * np.exp(-0.25 * z_f + 0.07 * (age - 10.7))).astype(np.int8)
    no_child = U() < expit(logit(0.0026) + 0.35 * (age - 10.7) - 0.5 * z_f + 1.0 * (~cohab))
    sib = np.searchsorted(np.cumsum(SIBLINGS_P), U() * SIBLINGS_P.sum() * (1 - 0.25 * (~cohab)), side="right") + 1
    out["boern_hjemme"] = np.where(no_child, 0, sib).astype(np.int64)
    divorce = U() < expit(logit(0.06) + 1.3 * (~cohab) - 0.2 * z_f)

    # --- Each parent -----------------------------------------------------------
    for who, unknown in (("mor", mor_ukendt), ("far", far_ukendt)):
        pp = PARENT[who]
        z, h = z_p[who], h_p[who]
        a_birth = np.clip(pp["age"] + pp["age_ses"] * z + pp["age_sd"] * N(), 15.0, 62.0)
        a_birth = np.round(a_birth, 1)
        a_now = a_birth + age
        edu = np.clip(pp["edu"] + 1.75 * z + 1.3 * N() + 0.03 * (a_birth - pp["age"]), 0.0, 10.0)
        edu = np.round(edu, 1)
        emp = _gumbel_choice(rng, EMPLOYMENT_P[who], z[:, None] * EMPLOYMENT_SES + h[:, None] * EMPLOYMENT_HEALTH)
        isei = np.clip(pp["isei"] + 8.0 * z + 1.8 * (edu - 3.5) + 9.0 * N() - 3.0 * (emp >= 3), 16.0, 88.0)
        isei = np.round(isei)
        income = pp["inc_sd"] * (0.9 * z + 1.0 * N()) + EMPLOYMENT_INCOME[emp]
        income = income + np.where(emp == 1, 60_000 * N(), 0.0)  # the self-employed spread widely
        income = np.round(income, -2)
        gp = _round_to(rng.gamma(3.0, pp["gp"] * np.exp(0.45 * h - 0.1 * z - 0.1) / 3.0), 0.2)
        psych = U() < expit(logit(pp["psych"]) + 0.7 * h - 0.2 * z)
        spec = U() < expit(logit(pp["spec"]) + 0.3 * h + 0.1 * z)
        dent = U() < expit(logit(pp["dent"]) + 0.5 * z - 0.1 * h)
        hosp = rng.poisson(5 * 0.07 * np.exp(0.6 * h)) / 5.0
        charged = _gumbel_choice(rng, CHARGED_P[who], z[:, None] * CHARGED_SES + 0.2 * h[:, None])
        skilt = divorce & (U() < (0.95 if who == "mor" else 0.9))

        a_e, b_e = AGE_CORRECTION[(who, "uddannelse")]
        a_i, b_i = AGE_CORRECTION[(who, "isei")]
        edu_c = np.round(edu - (a_e + b_e * (a_now - 40.0)), 3)
        isei_c = np.round(isei - (a_i + b_i * (a_now - 40.0)), 3)

        # An unknown parent: the reference category / 0, display columns missing.
        known = ~unknown
        ref_age = 30.0  # inside both parents' reference band (25–34 / 27–36)
        out[f"{who}_alder_foedsel"] = np.where(known, a_birth, ref_age)
        out[f"{who}_skilt"] = (skilt & known).astype(np.int8)
        out[f"{who}_indkomst"] = np.where(known, income, 0.0)
        out[f"{who}_uddannelse"] = np.where(known, edu_c, 0.0)
        out[f"{who}_isei"] = np.where(known, isei_c, 0.0)
        out[f"{who}_beskaeftigelse"] = np.where(known, emp, 0).astype(np.int8)
        out[f"{who}_laege"] = np.where(known, gp, 0.0)
        out[f"{who}_psykiatri"] = (psych & known).astype(np.int8)
        out[f"{who}_speciallaege"] = (spec & known).astype(np.int8)
        out[f"{who}_tandlaege"] = (dent & known).astype(np.int8)
        out[f"{who}_indlaeggelser"] = np.where(known, hosp, 0.0)
        out[f"{who}_sigtet"] = np.where(known, charged, 0).astype(np.int8)
        out[f"{who}_uddannelse_aar"] = np.where(known, edu, np.nan)
        out[f"{who}_isei_point"] = np.where(known, isei, np.nan)
    return out
