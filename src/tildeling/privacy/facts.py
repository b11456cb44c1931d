"""What a published table says about persons, and what an attacker can work out from it.

Every published cell becomes a *fact* about variables: a count of persons (``COUNT``) or another
quantity (``VALUE``: a mean, a share, a rate, a sum of days or probabilities …). A value may name the
count of persons it is computed over (its *population*). Cells are linked by constraints:

- :class:`Linear` – Σ aᵢ·xᵢ = b (totals, margins, differences, complements);
- :class:`Product` – out = factor · Π xᵢ^eᵢ (shares, rates, means, risk and odds ratios);
- :class:`Leq` – x ≤ y (a count within its population);
- :class:`Depends` – a figure computed from counts in a way that cannot be inverted (a model estimate):
  it may not be shown when one of them is hidden;
- :class:`Custom` – anything else an attacker can solve (e.g. a 2×2 table from a difference and its
  confidence interval).

:func:`propagate` plays the attacker: it solves every constraint with one unknown, the linear system
of each group of linked unknowns (a variable is recovered when the equations determine it, however many
unknowns there are), narrows intervals (a hidden ``<5`` lies in 1…4; a secondary ``..`` is at least the
threshold), and then lists every count of 1…N−1 that is shown or can be recovered, every hidden count
that can be recovered, every sum of hidden counts under the threshold, every value over a population
under the threshold, and every figure shown although a count it is derived from is hidden.

The module knows nothing about tables or files: :mod:`.registry` turns tables into facts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable

import numpy as np

__all__ = ["COUNT", "VALUE", "Var", "Cell", "Linear", "Product", "Leq", "Depends", "Custom", "Facts", "Leak",
           "Analysis", "propagate", "SHOWN", "PRIMARY", "SECONDARY", "BLANK", "UNPUBLISHED", "PUBLIC"]

COUNT = "count"
VALUE = "value"

# Status of a variable in a file
SHOWN = "shown"            # a number in a cell
PRIMARY = "primary"        # hidden as "<N": 1 … N−1 persons
SECONDARY = "secondary"    # hidden as "..": hidden to protect another cell (at least N persons)
BLANK = "blank"            # a derived figure left out (empty cell)
UNPUBLISHED = "unpublished"  # never in a cell (e.g. pupils without a district)
PUBLIC = "public"          # known to everybody without the file's tables (a national constant, the budget)

Key = Hashable
INF = math.inf


@dataclass
class Cell:
    """Where a variable is published: the table, the row position, the column and the row in words."""

    table: str
    row: int
    column: str
    where: str = ""

    def describe(self) -> str:
        row = f", {self.where}" if self.where else f", række {self.row + 1}"
        return f"tabellen {self.table}{row}, kolonnen '{self.column}'"


@dataclass
class Var:
    key: Key
    kind: str
    label: str = ""
    population: Key | None = None
    status: str = UNPUBLISHED
    value: float | None = None
    cells: list[Cell] = field(default_factory=list)
    lo: float = -INF
    hi: float = INF
    marker_hi: float | None = None   # "<K": K − 1
    cell_rank: int = -1              # rank of the status of ``cells[0]``: the most telling cell comes first


@dataclass(eq=False)
class Constraint:
    why: str = ""
    origin: Cell | None = None

    def keys(self) -> tuple:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(eq=False)
class Linear(Constraint):
    coefs: dict = field(default_factory=dict)
    const: float = 0.0
    out: Key | None = None     # set when the equation *defines* ``out`` from the others (a difference)

    def keys(self):
        return tuple(self.coefs)


@dataclass(eq=False)
class Product(Constraint):
    out: Key = None
    terms: dict = field(default_factory=dict)   # key -> exponent (±1, ±2 …)
    factor: float = 1.0

    def keys(self):
        return (self.out, *self.terms)


@dataclass(eq=False)
class Leq(Constraint):
    small: Key = None
    big: Key = None

    def keys(self):
        return (self.small, self.big)


@dataclass(eq=False)
class Depends(Constraint):
    out: Key = None
    sources: tuple = ()

    def keys(self):
        return (self.out, *self.sources)


@dataclass(eq=False)
class Custom(Constraint):
    """``solve(known: dict[key, float|None], facts) -> dict[key, float]``: values it can determine."""

    vars: tuple = ()
    solve: Callable | None = None

    def keys(self):
        return self.vars


class Facts:
    """Variables and constraints built from the published tables."""

    def __init__(self, threshold: int) -> None:
        self.threshold = int(threshold)
        self.vars: dict[Key, Var] = {}
        self.constraints: list[Constraint] = []
        self.problems: list[tuple[str, str, str]] = []   # (table, where, Danish text): unreadable tables etc.
        #: Variables a reader is assumed to know although no table shows them (e.g. pupils without a district):
        #: a writer makes them public with their true value.
        self.assumed: set = set()

    # --- variables -----------------------------------------------------------------------------------------
    def var(self, key: Key, kind: str = COUNT, *, label: str = "", population: Key | None = None) -> Var:
        v = self.vars.get(key)
        if v is None:
            v = Var(key, kind, label, population)
            if kind == COUNT:
                v.lo = 0.0
            self.vars[key] = v
        else:
            if label and not v.label:
                v.label = label
            if population is not None and v.population is None:
                v.population = population
        return v

    def publish(self, key: Key, status: str, value: float | None, cell: Cell | None, *, marker_hi=None) -> None:
        """Record a published cell of ``key`` (status SHOWN/PRIMARY/SECONDARY/BLANK)."""
        v = self.vars[key]
        rank = {UNPUBLISHED: 0, BLANK: 1, SECONDARY: 2, PRIMARY: 3, PUBLIC: 4, SHOWN: 5}
        if cell is not None:
            # a finding names the cell where the figure is shown or marked hidden, not an empty one elsewhere,
            # whatever the order in which the tables are read
            if rank[status] > v.cell_rank:
                v.cells.insert(0, cell)
                v.cell_rank = rank[status]
            else:
                v.cells.append(cell)
        if status == SHOWN:
            if v.status == SHOWN and v.value is not None and value is not None \
                    and not math.isclose(v.value, value, rel_tol=1e-6, abs_tol=1e-9):
                where = cell.describe() if cell else ""
                self.problems.append((cell.table if cell else "", where,
                                      f"samme tal står to steder med forskellige værdier ({_fmt(v.value)} og "
                                      f"{_fmt(value)})"))
            v.value = value if value is not None else v.value
        if rank[status] > rank[v.status]:
            v.status = status
        if status == PRIMARY:
            hi = self.threshold - 1 if marker_hi is None else marker_hi
            v.marker_hi = hi if v.marker_hi is None else min(v.marker_hi, hi)

    def public(self, key: Key, value: float | None = None, *, label: str = "") -> None:
        v = self.var(key, VALUE, label=label)
        if v.status != SHOWN:
            v.status = PUBLIC
            v.value = value if value is not None else v.value

    def bounds(self, key: Key, lo: float = -INF, hi: float = INF) -> None:
        v = self.vars[key]
        v.lo, v.hi = max(v.lo, lo), min(v.hi, hi)

    # --- constraints ---------------------------------------------------------------------------------------
    def add(self, constraint: Constraint) -> Constraint:
        for k in constraint.keys():
            if k not in self.vars:
                raise KeyError(f"unknown variable {k!r} in a constraint ({constraint.why})")
        self.constraints.append(constraint)
        return constraint

    def linear(self, coefs: dict, const: float = 0.0, *, why: str = "", origin: Cell | None = None,
               out: Key | None = None):
        """Σ coefs·x = const; ``out``: the variable the equation defines (a difference computed from the others)."""
        coefs = {k: float(a) for k, a in coefs.items() if a}
        if not coefs:
            return None
        return self.add(Linear(why, origin, coefs, float(const), out))

    def total(self, total: Key, parts: Iterable[Key], *, why: str = "", origin: Cell | None = None):
        """total = Σ parts."""
        coefs = {total: 1.0}
        for p in parts:
            coefs[p] = coefs.get(p, 0.0) - 1.0
        return self.linear(coefs, 0.0, why=why, origin=origin)

    def product(self, out: Key, terms: dict, factor: float = 1.0, *, why: str = "", origin: Cell | None = None):
        return self.add(Product(why, origin, out, dict(terms), float(factor)))

    def ratio(self, out: Key, num: Key, den: Key, scale: float = 1.0, *, why: str = "", origin=None):
        """out = scale · num / den."""
        return self.product(out, {num: 1, den: -1}, scale, why=why, origin=origin)

    def leq(self, small: Key, big: Key, *, why: str = ""):
        return self.add(Leq(why, None, small, big))

    def depends(self, out: Key, sources: Iterable[Key], *, why: str = "", origin=None):
        return self.add(Depends(why, origin, out, tuple(sources)))

    def custom(self, keys: Iterable[Key], solve: Callable, *, why: str = "", origin=None):
        return self.add(Custom(why, origin, tuple(keys), solve))


# --- the attacker ----------------------------------------------------------------------------------------------
@dataclass
class Leak:
    """One way the published figures give away a small number (Danish ``text``; ``rule`` a short tag)."""

    rule: str
    key: Key | None
    text: str
    cell: Cell | None = None
    constraints: list = field(default_factory=list)   # what made it possible (for secondary suppression)
    keys: tuple = ()                                    # the variables involved (e.g. the hidden cells of a sum)


@dataclass
class Analysis:
    known: dict          # key -> value (None: determined, value not computable)
    how: dict            # key -> Constraint | "shown" | "public" | "bounds"
    lo: dict
    hi: dict
    leaks: list


def _fmt(x) -> str:
    if x is None:
        return "?"
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", ".")
    return f"{x:.4g}".replace(".", ",")


def _is_count(facts: Facts, k) -> bool:
    return facts.vars[k].kind == COUNT


def _round_count(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return x
    r = round(x)
    return float(r) if abs(x - r) <= 0.05 + 1e-6 * abs(x) else x


def propagate(facts: Facts, *, max_component: int = 3000, max_rounds: int = 30) -> Analysis:
    """Everything that can be worked out from the published facts, and the leaks it leads to."""
    N = facts.threshold
    V = facts.vars
    known: dict = {}
    how: dict = {}
    lo = {k: v.lo for k, v in V.items()}
    hi = {k: v.hi for k, v in V.items()}
    for k, v in V.items():
        if v.status == SHOWN:
            known[k] = v.value
            how[k] = "shown"
            if v.value is not None:
                lo[k] = hi[k] = v.value
        elif v.status == PUBLIC:
            known[k] = v.value
            how[k] = "public"
            if v.value is not None:
                lo[k] = hi[k] = v.value
        elif v.status == PRIMARY:
            lo[k] = max(lo[k], 1.0)
            hi[k] = min(hi[k], float(v.marker_hi if v.marker_hi is not None else N - 1))
        elif v.status == SECONDARY and v.kind == COUNT:
            lo[k] = max(lo[k], float(N))

    linear = [c for c in facts.constraints if isinstance(c, Linear)]
    products = [c for c in facts.constraints if isinstance(c, Product)]
    leqs = [c for c in facts.constraints if isinstance(c, Leq)]
    customs = [c for c in facts.constraints if isinstance(c, Custom)]
    notes: list[str] = []
    narrowed: dict = {}

    def learn(k, value, reason) -> bool:
        if k in known:
            return False
        if value is not None and V[k].kind == COUNT:
            value = _round_count(value)
        known[k] = value
        how[k] = reason
        if value is not None and math.isfinite(value):
            lo[k] = hi[k] = value
        return True

    def solve_products() -> bool:
        changed = False
        for c in products:
            ks = c.keys()
            unknown = [k for k in ks if k not in known]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            vals = {k: known[k] for k in ks if k in known}
            if any(v is None for v in vals.values()):
                changed |= learn(u, None, c)
                continue
            if u == c.out:
                try:
                    x = c.factor * math.prod(vals[k] ** e for k, e in c.terms.items())
                except (ZeroDivisionError, OverflowError):
                    continue
                changed |= learn(u, x, c)
            else:
                e = c.terms[u]
                try:
                    rest = c.factor * math.prod(vals[k] ** ee for k, ee in c.terms.items() if k != u)
                except (ZeroDivisionError, OverflowError):
                    continue
                out = vals[c.out]
                if rest == 0:
                    continue
                base = out / rest
                if base == 0 and e < 0:
                    continue
                if abs(e) == 1:
                    x = base if e == 1 else (1.0 / base if base else None)
                elif base >= 0:
                    x = base ** (1.0 / e)
                else:
                    continue
                if x is None:
                    continue
                changed |= learn(u, x, c)
        return changed

    def solve_customs() -> bool:
        changed = False
        for c in customs:
            if all(k in known for k in c.vars):
                continue
            try:
                found = c.solve({k: known.get(k, _MISSING) for k in c.vars}, facts) or {}
            except (ZeroDivisionError, ValueError, OverflowError):
                found = {}
            for k, x in found.items():
                changed |= learn(k, x, c)
        return changed

    def solve_linear() -> bool:
        changed = False
        active = []
        for c in linear:
            unknown = [k for k in c.coefs if k not in known]
            if unknown:
                active.append((c, unknown))
        if not active:
            return False
        # single unknowns first (cheap), then components
        for c, unknown in active:
            if len(unknown) == 1 and unknown[0] not in known:
                u = unknown[0]
                rest = [known[k] for k in c.coefs if k != u]
                if any(r is None for r in rest):
                    changed |= learn(u, None, c)
                else:
                    s = c.const - sum(c.coefs[k] * known[k] for k in c.coefs if k != u)
                    changed |= learn(u, s / c.coefs[u], c)
        if changed:
            return True
        # Peel: a constraint with an unknown that appears in no other constraint restricts nothing else
        # (that unknown absorbs any values of the others); it only determines that unknown once all its
        # other variables are known, which the single-unknown rule above handles in a later round.
        uses: dict = {}
        for i, (c, unknown) in enumerate(active):
            for k in unknown:
                uses.setdefault(k, set()).add(i)
        alive = [True] * len(active)
        stack = [i for i, (c, unknown) in enumerate(active) if any(len(uses[k]) == 1 for k in unknown)]
        while stack:
            i = stack.pop()
            if not alive[i]:
                continue
            alive[i] = False
            for k in active[i][1]:
                uses[k].discard(i)
                if len(uses[k]) == 1:
                    stack.append(next(iter(uses[k])))
        active = [a for a, ok in zip(active, alive) if ok]
        if not active:
            return False
        parent: dict = {}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for c, unknown in active:
            for k in unknown:
                parent.setdefault(k, k)
            r0 = find(unknown[0])
            for k in unknown[1:]:
                r = find(k)
                if r != r0:
                    parent[r] = r0
        groups: dict = {}
        for c, unknown in active:
            groups.setdefault(find(unknown[0]), []).append(c)
        for cons in groups.values():
            if len(cons) < 2:
                continue
            cols = list(dict.fromkeys(k for c in cons for k in c.coefs if k not in known))
            if len(cols) > max_component:
                notes.append(f"{len(cols)} forbundne skjulte tal er kun kontrolleret ligning for ligning")
                continue
            idx = {k: j for j, k in enumerate(cols)}
            A = np.zeros((len(cons), len(cols)))
            b = np.zeros(len(cons))
            valued = True
            for i, c in enumerate(cons):
                s = c.const
                for k, a in c.coefs.items():
                    if k in idx:
                        A[i, idx[k]] = a
                    else:
                        if known[k] is None:
                            valued = False
                        else:
                            s -= a * known[k]
                b[i] = s
            scale = np.abs(A).max(axis=1, keepdims=True)
            scale[scale == 0] = 1
            A, b = A / scale, b / scale[:, 0]
            try:
                u, s, vt = np.linalg.svd(A, full_matrices=False)
            except np.linalg.LinAlgError:
                continue
            if not len(s) or s[0] == 0:
                continue
            r = int((s > s[0] * 1e-9).sum())
            basis = vt[:r]
            determined = (basis ** 2).sum(axis=0) > 1 - 1e-7
            if not determined.any():
                continue
            x = basis.T @ ((u[:, :r].T @ b) / s[:r]) if valued else None
            for j in np.flatnonzero(determined):
                k = cols[j]
                c = next(cc for cc in cons if k in cc.coefs)
                changed |= learn(k, None if x is None else float(x[j]), _Component(cons, c))
        return changed

    relaxed: set = set()      # hidden "<N" counts that may be 0 after all (their constraint contradicts ≥ 1)
    base_lo = dict(lo)
    base_hi = dict(hi)

    def tighten() -> bool:
        """Interval propagation over the linear constraints of counts and x ≤ y (vectorised sweeps); a count
        pinned to one value is known.

        A ``<N`` mark says 1 … N−1. When the constraints cannot hold with that (a writer hid a 0 as ``<N``
        to protect the others), the marks next to the contradiction are read as 0 … N−1 and the propagation
        starts again.
        """
        cons = [c for c in linear if all(V[k].kind == COUNT for k in c.coefs)]
        keys = list(V)
        index = {k: j for j, k in enumerate(keys)}
        rows, cols, coef = [], [], []
        for r, c in enumerate(cons):
            for k, a in c.coefs.items():
                rows.append(r)
                cols.append(index[k])
                coef.append(a)
        rows, cols, coef = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(coef)
        const = np.array([c.const for c in cons])
        ls = np.array([index[c.small] for c in leqs], dtype=np.int64)
        lg = np.array([index[c.big] for c in leqs], dtype=np.int64)
        is_count = np.array([V[k].kind == COUNT for k in keys], dtype=bool)
        fixed = np.array([k in known and known[k] is not None and math.isfinite(known[k]) for k in keys], dtype=bool)
        fixed_val = np.array([known[k] if f else 0.0 for k, f in zip(keys, fixed)], dtype=float)
        primary = np.array([V[k].status == PRIMARY for k in keys], dtype=bool)
        nrow = len(cons)
        by_var: dict = {}
        by_row: dict = {}
        for r, j in zip(rows.tolist(), cols.tolist()):
            by_var.setdefault(j, []).append(r)
            by_row.setdefault(r, []).append(j)
        leq_by_var: dict = {}
        for c in leqs:
            leq_by_var.setdefault(c.small, []).append(c)
            leq_by_var.setdefault(c.big, []).append(c)
        L = H = None
        for _restart in range(30):
            L = np.array([0.0 if k in relaxed else base_lo[k] for k in keys], dtype=float)
            H = np.array([base_hi[k] for k in keys], dtype=float)
            L[fixed], H[fixed] = fixed_val[fixed], fixed_val[fixed]
            bad = None
            for _sweep in range(300):
                L0, H0 = L.copy(), H.copy()
                if nrow:
                    tl = np.where(coef > 0, coef * L[cols], coef * H[cols])
                    th = np.where(coef > 0, coef * H[cols], coef * L[cols])
                    inf_lo = np.isinf(tl)
                    inf_hi = np.isinf(th)
                    n_lo = np.bincount(rows, weights=inf_lo, minlength=nrow)
                    n_hi = np.bincount(rows, weights=inf_hi, minlength=nrow)
                    s_lo = np.bincount(rows, weights=np.where(inf_lo, 0.0, tl), minlength=nrow)
                    s_hi = np.bincount(rows, weights=np.where(inf_hi, 0.0, th), minlength=nrow)
                    o_lo = np.where(n_lo[rows] - inf_lo > 0, -np.inf, s_lo[rows] - np.where(inf_lo, 0.0, tl))
                    o_hi = np.where(n_hi[rows] - inf_hi > 0, np.inf, s_hi[rows] - np.where(inf_hi, 0.0, th))
                    r_lo, r_hi = const[rows] - o_hi, const[rows] - o_lo
                    with np.errstate(invalid="ignore"):
                        nl = np.where(coef > 0, r_lo / coef, r_hi / coef)
                        nh = np.where(coef > 0, r_hi / coef, r_lo / coef)
                    np.maximum.at(L, cols, nl)
                    np.minimum.at(H, cols, nh)
                if len(ls):
                    np.minimum.at(H, ls, H[lg])
                    np.maximum.at(L, lg, L[ls])
                L[is_count] = np.ceil(L[is_count] - 1e-6)
                H[is_count] = np.floor(H[is_count] + 1e-6)
                L[fixed], H[fixed] = fixed_val[fixed], fixed_val[fixed]
                crossed = L > H + 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(H), H, 0.0)))
                if crossed.any():
                    bad = np.flatnonzero(crossed)
                    break
                if np.array_equal(L, L0) and np.array_equal(H, H0):
                    break
            if bad is None:
                break
            marks = set()
            for j in bad.tolist():
                for r in by_var.get(j, ()):
                    marks |= {keys[i] for i in by_row[r] if primary[i]}
                marks |= {keys[j]} if primary[j] else set()
            marks -= relaxed
            if not marks:   # the file contradicts itself: no conclusions from intervals
                return False
            relaxed.update(marks)
        changed = False
        for j, k in enumerate(keys):
            lo[k], hi[k] = float(L[j]), float(H[j])
            if k not in known and is_count[j] and L[j] == H[j] and math.isfinite(L[j]):
                learn(k, float(L[j]), _Bounds([cons[r] for r in by_var.get(j, ())] + leq_by_var.get(k, [])))
                changed = True
        return changed

    with _one_blas_thread():   # many small SVDs: threads only cost time (and other people's cores)
        for _ in range(max_rounds):
            progress = solve_products()
            progress |= solve_customs()
            progress |= solve_linear()
            if not progress:
                progress |= tighten()
            if not progress:
                break

    leaks = _leaks(facts, known, how, lo, hi, linear, products)
    for n in dict.fromkeys(notes):
        leaks.append(Leak("kompleks", None, f"Bemærk: {n}."))
    return Analysis(known, how, lo, hi, leaks)


_MISSING = object()


def _one_blas_thread():
    """Limit BLAS to one thread while the attacker's equations are solved (small SVDs)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class _Component:
    """A variable recovered from several equations together."""

    def __init__(self, cons, first):
        self.cons = cons
        self.first = first
        self.why = first.why
        self.origin = first.origin


class _Bounds:
    """A variable pinned because the other figures leave it only one possible value."""

    def __init__(self, cons):
        self.cons = list(dict.fromkeys(cons))
        self.why = next((c.why for c in reversed(self.cons) if c.why), "")
        self.origin = None


def _sum_excluding(terms, k, i):
    return sum(t[i] for t in terms if t[0] != k)


def _why(reason) -> str:
    if isinstance(reason, _Component):
        return f"ved at løse {len(reason.cons)} sammenhængende ligninger (fx {reason.first.why})" \
            if reason.first.why else f"ved at løse {len(reason.cons)} sammenhængende ligninger"
    if isinstance(reason, _Bounds):
        return "fordi de øvrige tal kun tillader én værdi" + (f" ({reason.why})" if reason.why else "")
    if isinstance(reason, Constraint):
        return reason.why or "ud fra de viste tal"
    return ""


def _constraints_of(reason) -> list:
    if isinstance(reason, (_Component, _Bounds)):
        return list(reason.cons)
    if isinstance(reason, Constraint):
        return [reason]
    return []


def _describe(v: Var) -> str:
    if v.cells:
        return v.cells[0].describe()
    return v.label or str(v.key)


def _leaks(facts: Facts, known, how, lo, hi, linear, products) -> list[Leak]:
    N = facts.threshold
    V = facts.vars
    out: list[Leak] = []
    small = lambda x: x is not None and math.isfinite(x) and 0.5 <= x < N - 0.5  # noqa: E731
    for k, v in V.items():
        if v.kind != COUNT or k not in known:
            continue
        x = known[k]
        if how[k] == "shown":
            if small(x):
                out.append(Leak("lille-tal", k, f"{_describe(v)}: viser {_fmt(x)} – et antal personer under "
                                               f"{N}.", v.cells[0] if v.cells else None))
            continue
        if how[k] == "public":
            continue
        label = v.label or _describe(v)
        if v.status == PRIMARY:
            val = f" (= {_fmt(round(x))})" if x is not None and math.isfinite(x) else ""
            out.append(Leak("skjult-kan-regnes-ud", k, f"{_describe(v)}: det skjulte tal kan regnes ud{val} "
                                                       f"{_why(how[k])}.", v.cells[0] if v.cells else None,
                            _constraints_of(how[k])))
        elif small(x):
            where = f"{label}" if not v.cells else _describe(v)
            who = "1 person" if round(x) == 1 else f"{_fmt(round(x))} personer"
            out.append(Leak("kan-regnes-ud", k, f"{where}: kan regnes ud til {who} "
                                                f"{_why(how[k])} – under {N}.", v.cells[0] if v.cells else None,
                            _constraints_of(how[k])))
    # values over small populations
    for k, v in V.items():
        if v.kind != VALUE or v.population is None or k not in known or how[k] == "public":
            continue
        p = v.population
        if p not in V:
            continue
        pl, ph = lo.get(p, -INF), hi.get(p, INF)
        if pl >= 1 and ph <= N - 1:
            what = "vises" if how[k] == "shown" else f"kan regnes ud {_why(how[k])}"
            pv = V[p]
            size = ("1 person" if pl == 1 else f"{_fmt(pl)} personer") if pl == ph else f"under {N} personer"
            out.append(Leak("lille-gruppe", k, f"{_describe(v)}: et tal for en gruppe på {size} "
                                               f"({pv.label or _describe(pv)}) {what}.",
                            v.cells[0] if v.cells else None,
                            _constraints_of(how[k]) + _pop_constraints(facts, k, p)))
    # figures shown although a count they are computed from is hidden
    for c in facts.constraints:
        if isinstance(c, Product) and V[c.out].status == SHOWN:
            hidden = [t for t in c.terms if V[t].status == PRIMARY]
        elif isinstance(c, Depends) and V[c.out].status == SHOWN:
            hidden = [t for t in c.sources if V[t].status == PRIMARY]
        else:
            continue
        if hidden:
            v = V[c.out]
            h = V[hidden[0]]
            out.append(Leak("afledt-af-skjult", c.out, f"{_describe(v)}: vises, men er beregnet ud fra et skjult "
                                                       f"antal ({h.label or _describe(h)}).",
                            v.cells[0] if v.cells else None, [c]))
    # sums of hidden counts under the threshold
    for c in linear:
        unknown = [k for k in c.coefs if k not in known]
        if len(unknown) < 2 or not all(V[k].kind == COUNT and V[k].cells for k in unknown):
            continue   # only sums of hidden *cells* (an unpublished count is checked on its own)
        a = {c.coefs[k] for k in unknown}
        if len(a) != 1:
            continue
        rest = [known[k] for k in c.coefs if k in known]
        if any(r is None for r in rest):
            continue
        s = (c.const - sum(c.coefs[k] * known[k] for k in c.coefs if k in known)) / a.pop()
        if small(round(s, 6)):
            names = [V[k].label or _describe(V[k]) for k in unknown[:4]]
            out.append(Leak("sum-af-skjulte", None, f"Summen af {len(unknown)} skjulte antal "
                                                    f"({'; '.join(names)}{' …' if len(unknown) > 4 else ''}) "
                                                    f"kan regnes ud til {_fmt(round(s))} – under {N} "
                                                    f"({c.why or 'ud fra totalen'}).",
                            c.origin, [c], tuple(unknown)))
    return out


def _pop_constraints(facts: Facts, value_key, pop_key) -> list:
    return [c for c in facts.constraints if isinstance(c, (Product, Depends)) and value_key in c.keys()]
