"""Shared fixtures: small random pupil data built straight from a ModelSpec.

This generator is deliberately independent of ``tildeling.synth`` so that core
tests do not depend on the synthetic-population code.
"""

from __future__ import annotations

import os

# xlwings' remote engine (used to run the macros without Excel) is xlwings PRO code under the
# PolyForm Noncommercial licence, which covers use by a government institution. It needs the key
# before xlwings.pro is imported, so it is set here, once, for the whole test session.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

from tildeling.catalogue import NATIONAL_SPEC  # noqa: E402
from tildeling.spec import VarType  # noqa: E402


def random_pupils(n: int, seed: int = 0, spec=NATIONAL_SPEC, beta=None, n_groups: int = 25,
                  n_districts: int = 6, return_design: bool = False):
    """Random valid pupils for ``spec`` and an outcome drawn from ``beta`` (design-column order).

    Returns ``(frame, beta)``, or ``(frame, beta, X)`` with the design matrix this
    generator built itself (an independent check of ``design_matrix``).
    """
    rng = np.random.default_rng(seed)
    data = {}
    X = [np.ones(n)]
    for v in spec:
        if v.type is VarType.NUMERIC:
            x = rng.normal(size=n)
            data[v.key] = x
            X.append(x)
        elif v.type is VarType.BINARY:
            x = (rng.random(n) < 0.3).astype(int)
            data[v.key] = x
            X.append(x.astype(float))
        else:
            k = len(v.categories)
            probs = np.full(k, 0.5 / (k - 1))
            probs[[c.label for c in v.categories].index(v.reference)] = 0.5
            idx = rng.choice(k, size=n, p=probs)
            cats = v.categories
            if v.type is VarType.CATEGORICAL:
                data[v.key] = np.array([c.label for c in cats], dtype=object)[idx]
            else:  # a number strictly inside the chosen band [lower, upper)
                lo = np.array([c.upper - 1.0 if c.lower is None else c.lower for c in cats])
                hi = np.array([c.lower + 1.0 if c.upper is None else c.upper for c in cats])
                data[v.key] = lo[idx] + rng.random(n) * (hi[idx] - lo[idx]) * 0.999
            for c_i, c in enumerate(cats):
                if c.label != v.reference:
                    X.append((idx == c_i).astype(float))
    X = np.column_stack(X)
    if beta is None:
        beta = np.concatenate([[-3.0], rng.normal(scale=0.25, size=X.shape[1] - 1)])
    y = (rng.random(n) < expit(X @ beta)).astype(int)
    frame = pd.DataFrame(data)
    frame.insert(0, "Segregeret", y)
    frame.insert(0, "Klassetrin", rng.integers(0, 10, n))
    frame.insert(0, "Distrikt", (rng.integers(1, n_districts + 1, n)).astype(str))
    frame.insert(0, "Kommune", (100 + rng.integers(0, n_groups, n)).astype(str))
    frame.insert(0, "ElevID", [f"E{i:06d}" for i in range(n)])
    if return_design:
        return frame, beta, X
    return frame, beta


@pytest.fixture(scope="session")
def national_small():
    """20,000 random pupils over the full national catalogue, 25 'municipalities'."""
    return random_pupils(20_000, seed=11)
