"""Result tables of a need-model run as named DataFrames (for ``apply`` output files).

Adapters render these; nothing here computes statistics.
"""

from __future__ import annotations

import pandas as pd

from .need.apply import NeedResult

__all__ = ["result_tables"]


def result_tables(result: NeedResult, allocation=None, *, include_pupils: bool = False) -> dict[str, pd.DataFrame]:
    """Every result table by a short Danish name (used as sheet or file name)."""
    c = result.coefficients
    out = {
        "Distriktsbehov": result.districts,
    }
    if allocation is not None:
        out["Fordeling"] = allocation.table
        if allocation.phase_in is not None:
            out["Indfasning"] = allocation.phase_in
        out["Forklaring"] = pd.DataFrame({"Forklaring": allocation.explanations})
    out.update({
        "Kommunebenchmark": result.municipal,
        "Ekstern benchmark": result.external,
        "Intern benchmark": result.internal,
        "Forklaringskraft": pd.DataFrame([
            {"Population": "Kommunen", "Elever": result.power.n, "Modtagere": result.power.recipients,
             "10 % med laveste sandsynlighed": result.power.lowest,
             "10 % med højeste sandsynlighed": result.power.highest, "AUC": result.power.auc},
        ]),
        "Deciler": result.power.deciles,
        "Beskrivende": result.descriptives,
        "Beskrivende pr distrikt": result.district_descriptives,
        "Koefficienter": c.to_frame(),
        "Advarsler": pd.DataFrame({"Advarsel": result.warnings}),
    })
    if include_pupils:
        out["Elever (persondata)"] = result.pupils
    return out
