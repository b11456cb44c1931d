"""``tildeling demo``: a workbook with a synthetic municipality (the Helsingør mirror), run."""

from __future__ import annotations

import io
import time
from pathlib import Path

from ...io.atomic import check_target, save
from ...synth.national import make_municipality
from .run import RunOutcome, run_package
from .template import build_template

__all__ = ["make_demo", "DEMO_SETTINGS"]

DEMO_SETTINGS = {"Kommune": "Helsingør (syntetisk)", "Skoleaar": "2015/16", "Budgetaar": 2017,
                 "SamletBudget": 50_000_000, "Indfasningsaar": 2}
#: Illustrative current budgets (kr.) of the six districts, by district code.
DEMO_CURRENT = {"1": 10_500_000, "2": 4_400_000, "3": 4_300_000, "4": 1_300_000, "5": 13_000_000, "6": 16_500_000}


def make_demo(out, *, seed: int = 2016, progress=None, overwrite: bool = True):
    """Build the demonstration workbook in memory, run it, and save it once (never half-written).

    ``overwrite=False``: an existing ``out`` is an error, checked before any work.
    """
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    out = check_target(Path(out), overwrite=overwrite)
    say("Danner en syntetisk kommune (spejl af Helsingør, 6 distrikter) …")
    m = make_municipality(seed=seed)
    districts = m.districts[["Distrikt", "Navn"]].copy()
    districts["Nuværende budget (kr.)"] = districts["Distrikt"].map(DEMO_CURRENT)
    pupils = m.pupils.drop(columns=["Kommune"], errors="ignore")
    say("Skriver skabelonen med data …")
    buf = io.BytesIO()
    build_template(pupils=pupils, districts=districts, settings=DEMO_SETTINGS).save(buf)
    new, result, alloc, sheets, info = run_package(buf.getvalue(), out.name, progress=say, t0=t0)
    save(out, new, overwrite=overwrite)
    outcome = RunOutcome(out, result, alloc, sheets, time.perf_counter() - t0)
    outcome.warnings = list(info.warnings)
    return outcome
