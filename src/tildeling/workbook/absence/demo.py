"""``tildeling demo fravaer``: an absence workbook with synthetic linked data, analysed."""

from __future__ import annotations

import io
from pathlib import Path

from ...io.atomic import check_target, save
from ...synth.absence import generate_absence_data
from .run import run_package
from .template import build_template

__all__ = ["make_absence_demo"]


def make_absence_demo(out, *, seed: int = 2017, n_pupils: int = 4000, progress=None, overwrite: bool = True):
    """Build a filled absence workbook (synthetic data with known truths) in memory, run the analysis, and
    save it once to ``out`` (never half-written; ``overwrite=False``: an existing file is an error)."""
    say = progress or (lambda m: None)
    out = check_target(Path(out), overwrite=overwrite)
    say(f"Danner syntetiske, koblede data for {n_pupils} elever (skole, fravær, social, familie, sprog) …")
    data = generate_absence_data(n_pupils=n_pupils, seed=seed)
    say("Skriver projektmappen …")
    buf = io.BytesIO()
    build_template(data).save(buf)
    say("Kører fraværsanalysen …")
    new, res = run_package(buf.getvalue(), out.name)
    save(out, new, overwrite=overwrite)
    return res
