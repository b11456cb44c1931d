"""``tildeling demo fravaer``: an absence workbook with synthetic linked data, analysed."""

from __future__ import annotations

from pathlib import Path

from ...synth.absence import generate_absence_data
from .run import run_workbook
from .template import write_input_workbook

__all__ = ["make_absence_demo"]


def make_absence_demo(out, *, seed: int = 2017, n_pupils: int = 4000, progress=None):
    """Write a filled absence workbook (synthetic data with known truths) to ``out`` and run the analysis."""
    say = progress or (lambda m: None)
    say(f"Danner syntetiske, koblede data for {n_pupils} elever (skole, fravær, social, familie, sprog) …")
    data = generate_absence_data(n_pupils=n_pupils, seed=seed)
    say("Skriver projektmappen …")
    write_input_workbook(Path(out), data)
    say("Kører fraværsanalysen …")
    return run_workbook(Path(out))
