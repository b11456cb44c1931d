"""``tildeling demo``: a workbook with a synthetic municipality (the Helsingør mirror), run."""

from __future__ import annotations

from pathlib import Path

from ...synth.national import make_municipality
from .run import run_workbook
from .template import write_template

__all__ = ["make_demo", "DEMO_SETTINGS"]

DEMO_SETTINGS = {"Kommune": "Helsingør (syntetisk)", "Skoleaar": "2015/16", "Budgetaar": 2017,
                 "SamletBudget": 50_000_000, "Indfasningsaar": 2}
#: Illustrative current budgets (kr.) of the six districts, by district code.
DEMO_CURRENT = {"1": 10_500_000, "2": 4_400_000, "3": 4_300_000, "4": 1_300_000, "5": 13_000_000, "6": 16_500_000}


def make_demo(out, *, seed: int = 2016, progress=None):
    say = progress or (lambda m: None)
    say("Danner en syntetisk kommune (spejl af Helsingør, 6 distrikter) …")
    m = make_municipality(seed=seed)
    districts = m.districts[["Distrikt", "Navn"]].copy()
    districts["Nuværende budget (kr.)"] = districts["Distrikt"].map(DEMO_CURRENT)
    pupils = m.pupils.drop(columns=["Kommune"], errors="ignore")
    say("Skriver skabelonen med data …")
    write_template(out, pupils=pupils, districts=districts, settings=DEMO_SETTINGS)
    return run_workbook(Path(out), progress=say)
