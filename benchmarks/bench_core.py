"""Benchmarks of the need-model core on the national synthetic data (2-core machine).

    python benchmarks/bench_core.py            # all steps, best of 3
    python benchmarks/bench_core.py --repeat 1

Targets (issue 2): generation ≤ 15 s; fit with cluster-robust SEs ≤ 5 s (on a
ready design matrix, as the statsmodels comparison); relative weights ≤ 5 s;
applying the model to an 8,000-pupil municipality with every table ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.model.design import design_matrix
from tildeling.model.fit import fit_logit
from tildeling.model.national import fit_national
from tildeling.model.power import explanatory_power
from tildeling.model.weights import relative_weights
from tildeling.need.apply import apply_model
from tildeling.need.budget import BudgetOptions, allocate
from tildeling.synth.national import make_municipality, make_national


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--statsmodels", action="store_true", help="also time statsmodels Logit for comparison")
    a = ap.parse_args(argv)
    rows = []
    t, data = best(lambda: make_national(seed=2016), a.repeat)
    rows.append(("Syntetiske landsdata (668.338 elever + 10. klasse)", t, 15))
    pupils = data.pupils[data.pupils["Klassetrin"] <= 9]
    t, X = best(lambda: design_matrix(pupils, NATIONAL_SPEC), a.repeat)
    rows.append(("Designmatrix (668.338 × 76) fra DataFrame", t, None))
    y = pupils["Segregeret"].to_numpy(float)
    g = pupils["Kommune"].to_numpy()
    names = NATIONAL_SPEC.design_columns()
    t, fit = best(lambda: fit_logit(X, y, g, names), a.repeat)
    rows.append(("Logit + klyngerobuste SE (klar matrix)", t, 5))
    t, _ = best(lambda: relative_weights(X, fit, y), a.repeat)
    rows.append(("Relative vægte", t, 5))
    t, _ = best(lambda: explanatory_power(y, fit.fitted), a.repeat)
    rows.append(("Forklaringskraft (deciler, AUC)", t, None))
    t, model = best(lambda: fit_national(data.pupils, NATIONAL_SPEC), 1)
    rows.append(("Hele 'fit' fra DataFrame (alle trin)", t, None))
    m = make_municipality(seed=2016)
    mp = m.pupils.drop(columns=["Kommune"])
    d = m.districts[["Distrikt", "Navn"]]

    def apply_all():
        r = apply_model(mp, model.coefficients, d)
        allocate(r.districts, BudgetOptions(total=50_000_000))
        return r

    t, _ = best(apply_all, max(a.repeat, 5))
    rows.append((f"Anvend på kommune ({len(mp):,} elever) med alle tabeller + budget".replace(",", "."), t, 0.5))
    if a.statsmodels:
        import statsmodels.api as sm

        t, _ = best(lambda: sm.Logit(y, X).fit(disp=0, cov_type="cluster",
                                               cov_kwds={"groups": np.unique(g, return_inverse=True)[1]}), 1)
        rows.append(("(sammenligning) statsmodels Logit, klyngerobust", t, None))
    print(f"{'Trin':62} {'sek.':>7}  mål")
    for name, sec, target in rows:
        mark = "" if target is None else (f"≤ {target} s  {'OK' if sec <= target else 'OVER'}")
        print(f"{name:62} {sec:7.2f}  {mark}")


if __name__ == "__main__":
    main()
