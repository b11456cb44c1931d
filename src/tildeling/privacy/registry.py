"""The registry of published tables: what every cell of every shared table *means*.

A table is registered under its contract name (``tblDistriktsbehov``) or a name pattern for repeated
tables (``tblKryds\\d+``). Its *spec* is a function that gets a :class:`TableView` and declares, row by
row, which cells are counts of persons, which are values computed from which counts (and how they
invert), which rows or columns are totals, and which columns are only labels. Identities *across*
tables (the municipality vs the sum of its districts, a school vs its grades) are registered with
:func:`register_identities` and run once all tables are read.

Every column must be claimed by the spec (as a count, a value or a label); an unclaimed column and a
table without a spec are findings in their own right: the checker refuses what it does not understand.

Adding a table (for a new product or a new sheet)::

    from tildeling.privacy.registry import register

    @register("tblMinTabel", description="Antal elever pr. skole")
    def _my_table(t):
        t.label("Skole")
        for i, school, where in t.rows("Skole"):
            t.count(i, "Elever", ("min", "elever", school), where=where)

Keys of variables are tuples; the same key in two tables is the same number (that is how a figure
shown twice, or a total in another table, is linked).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping

import pandas as pd

from .facts import BLANK, COUNT, PRIMARY, SECONDARY, SHOWN, VALUE, Cell, Facts

__all__ = ["register", "register_identities", "lookup", "registered", "TableView", "parse_cell", "norm_key",
           "SECONDARY_MARKER", "primary_marker"]

#: A count hidden to protect another hidden count (at least the threshold).
SECONDARY_MARKER = ".."


def primary_marker(threshold: int) -> str:
    """``<5``: a count of 1 … threshold − 1 persons."""
    return f"<{int(threshold)}"


@dataclass(frozen=True)
class Entry:
    name: str
    spec: Callable
    description: str
    pattern: re.Pattern | None = None


_EXACT: dict[str, Entry] = {}
_PATTERNS: list[Entry] = []
_IDENTITIES: list[Callable] = []


def register(name: str, *, pattern: bool = False, description: str = ""):
    """Decorator: register the spec of table ``name`` (a regular expression when ``pattern=True``)."""

    def deco(fn):
        if pattern:
            _PATTERNS.append(Entry(name, fn, description, re.compile(rf"^(?:{name})$")))
        else:
            _EXACT[name] = Entry(name, fn, description)
        return fn

    return deco


def register_identities(fn: Callable) -> Callable:
    """Register ``fn(facts, tables)``: identities across tables, run once after every table's spec."""
    _IDENTITIES.append(fn)
    return fn


def lookup(table: str) -> Entry | None:
    _load_builtin()
    if table in _EXACT:
        return _EXACT[table]
    for e in _PATTERNS:
        if e.pattern.match(table):
            return e
    return None


def registered() -> list[Entry]:
    _load_builtin()
    return list(_EXACT.values()) + list(_PATTERNS)


def identities() -> list[Callable]:
    _load_builtin()
    return list(_IDENTITIES)


_LOADED = []


def _load_builtin() -> None:
    if not _LOADED:
        _LOADED.append(True)
        from . import tables_absence, tables_need  # noqa: F401 - they register themselves


# --- cells ---------------------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+\-−]?\d{1,3}(?:\.\d{3})*(?:,\d+)?$|^[+\-−]?\d+(?:[.,]\d+)?$")
_LESS = re.compile(r"^<\s*(\d+)$")
_HIDDEN = {"..", "x", "X", "–", "-", ":", "…", "skjult", "(skjult)"}


def parse_cell(x) -> tuple[str, float | None, float | None]:
    """(status, value, upper bound of a ``<K`` marker) of one published cell."""
    if x is None:
        return BLANK, None, None
    if isinstance(x, bool):
        return BLANK, None, None
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        xf = float(x)
        if math.isnan(xf):
            return BLANK, None, None
        return SHOWN, xf, None
    try:
        import numpy as np

        if isinstance(x, np.generic):
            return parse_cell(x.item())
    except ImportError:  # pragma: no cover
        pass
    s = str(x).strip()
    if not s:
        return BLANK, None, None
    m = _LESS.match(s)
    if m:
        return PRIMARY, None, float(int(m.group(1)) - 1)
    if s in _HIDDEN:
        return SECONDARY, None, None
    t = s.rstrip("%").strip()
    if _NUMBER.match(t):
        t = t.replace("−", "-")
        if "," in t:
            t = t.replace(".", "").replace(",", ".")
        elif t.count(".") >= 1 and re.match(r"^[+\-]?\d{1,3}(\.\d{3})+$", t):
            t = t.replace(".", "")
        try:
            v = float(t)
        except ValueError:
            return BLANK, None, None
        return SHOWN, v / 100 if s.endswith("%") else v, None
    return BLANK, None, None


def norm_key(x) -> str:
    """A row key as text: ``1``, ``1.0`` and ``'1'`` are the same district."""
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer():
            return str(int(x))
    if hasattr(x, "item") and not isinstance(x, str):
        try:
            return norm_key(x.item())
        except (ValueError, AttributeError):
            pass
    return str(x).strip()


class TableView:
    """One published table, as a spec sees it: its cells become facts."""

    def __init__(self, name: str, frame: pd.DataFrame, facts: Facts, tables: Mapping[str, pd.DataFrame]):
        self.name = name
        self.frame = frame.reset_index(drop=True)
        self.facts = facts
        self.tables = tables
        self.threshold = facts.threshold
        self.columns = [str(c) for c in self.frame.columns]
        self.claimed: set[str] = set()
        self.categories: set[str] = set()
        self.published: dict = {}   # (row, column) → key
        self._values = {c: self.frame[c].tolist() for c in self.frame.columns}

    # --- columns and rows ------------------------------------------------------------------------------------
    def has(self, column: str) -> bool:
        return column in self._values

    def label(self, *columns: str) -> None:
        """Columns of labels (names, codes, texts): no figures about persons."""
        for c in columns:
            if c in self._values:
                self.claimed.add(c)

    def category(self, *columns: str) -> None:
        """Columns of category names ("1 barn", "3. klasse"): labels, not numbers of persons in a text."""
        self.label(*columns)
        self.categories |= {c for c in columns if c in self._values}

    def raw(self, i: int, column: str):
        return self._values[column][i] if column in self._values else None

    def rows(self, key_column: str, *, describe: Callable[[int, str], str] | None = None
             ) -> Iterator[tuple[int, str, str]]:
        """(position, key, row in words) for each row with a key in ``key_column``."""
        self.label(key_column)
        for i, x in enumerate(self._values.get(key_column, [])):
            k = norm_key(x)
            if not k:
                continue
            yield i, k, (describe(i, k) if describe else f"rækken '{k}'")

    def problem(self, text: str, where: str = "") -> None:
        self.facts.problems.append((self.name, where, text))

    # --- cells -----------------------------------------------------------------------------------------------
    def _publish(self, i: int, column: str, key, where: str) -> None:
        self.claimed.add(column)
        self.published[(i, column)] = key
        status, value, marker_hi = parse_cell(self._values[column][i])
        self.facts.publish(key, status, value, Cell(self.name, i, column, where), marker_hi=marker_hi)

    def count(self, i: int, column: str, key, *, label: str = "", where: str = "") -> object:
        """The cell is a count of persons (``key``)."""
        self.facts.var(key, COUNT, label=label)
        if column in self._values:
            self._publish(i, column, key, where)
        return key

    def value(self, i: int, column: str, key, *, population=None, label: str = "", where: str = "",
              lo: float = -math.inf, hi: float = math.inf) -> object:
        """The cell is a value (a share, mean, rate, amount); ``population``: the count it is computed over."""
        v = self.facts.var(key, VALUE, label=label, population=population)
        v.lo, v.hi = max(v.lo, lo), min(v.hi, hi)
        if column in self._values:
            self._publish(i, column, key, where)
        return key

    def text_value(self, i: int, column: str, key, *, where: str = "") -> object:
        """The cell is a text computed from counts (a verdict): shown unless empty; hidden like a figure."""
        self.facts.var(key, VALUE)
        self.claimed.add(column)
        x = self._values[column][i]
        status, value, marker_hi = parse_cell(x)
        if status == BLANK and isinstance(x, str) and x.strip():
            status, value = SHOWN, None
        self.facts.publish(key, status, value, Cell(self.name, i, column, where), marker_hi=marker_hi)
        return key

    def shown_number(self, i: int, column: str) -> float | None:
        status, value, _ = parse_cell(self.raw(i, column))
        return value if status == SHOWN else None

    def is_hidden(self, i: int, column: str) -> bool:
        status, _, _ = parse_cell(self.raw(i, column))
        return status in (PRIMARY, SECONDARY, BLANK)

    # --- variables without a cell and constraints ---------------------------------------------------------------
    def unpublished(self, key, kind: str = COUNT, *, label: str = "", population=None, lo=None, hi=None):
        v = self.facts.var(key, kind, label=label, population=population)
        if lo is not None:
            v.lo = max(v.lo, lo)
        if hi is not None:
            v.hi = min(v.hi, hi)
        return key

    def public(self, key, value: float | None = None, *, label: str = ""):
        self.facts.public(key, value, label=label)
        return key

    def once(self, tag) -> bool:
        """True the first time ``tag`` is seen (declare shared constraints once)."""
        seen = self.facts.__dict__.setdefault("_once", set())
        if tag in seen:
            return False
        seen.add(tag)
        return True

    def linear(self, coefs: dict, const: float = 0.0, *, why: str = "", out=None):
        """Σ coefs·x = const. ``out``: the figure the equation defines (hidden whenever an input is hidden)."""
        return self.facts.linear(coefs, const, why=why, out=out)

    def total(self, total, parts: Iterable, *, why: str = ""):
        return self.facts.total(total, list(parts), why=why)

    def ratio(self, out, num, den, scale: float = 1.0, *, why: str = ""):
        return self.facts.ratio(out, num, den, scale, why=why)

    def product(self, out, terms: dict, factor: float = 1.0, *, why: str = ""):
        return self.facts.product(out, terms, factor, why=why)

    def leq(self, small, big, *, why: str = ""):
        return self.facts.leq(small, big, why=why)

    def depends(self, out, sources: Iterable, *, why: str = ""):
        return self.facts.depends(out, sources, why=why)

    def custom(self, keys: Iterable, solve: Callable, *, why: str = ""):
        return self.facts.custom(keys, solve, why=why)

    def sum_row(self, i: int, *, label_column: str = "Distrikt", special: dict | None = None, where: str = "") -> None:
        """Row ``i`` is a totals row (``I alt``): each of its cells is the sum of the column's other rows.

        ``special`` maps a column to the key its total cell is instead (e.g. a rate weighted by pupils is the
        districts' rate), with a kind (``count``/``value``).
        """
        special = special or {}
        where = where or "rækken 'I alt'"
        for col in self.columns:
            if col == label_column or col in self.categories:
                continue
            if col in special:
                key, kind = special[col]
                if kind == COUNT:
                    self.count(i, col, key, where=where)
                else:
                    self.value(i, col, key, where=where)
                continue
            parts = [k for (r, c), k in self.published.items() if c == col and r != i]
            if not parts:
                if col in self.claimed:   # a label column: nothing to add up
                    continue
                self.value(i, col, (self.name, "i alt", col), where=where)
                continue
            kinds = {self.facts.vars[k].kind for k in parts}
            key = (self.name, "i alt", col)
            if kinds == {COUNT}:
                self.count(i, col, key, label=f"{col} i alt", where=where)
            else:
                self.value(i, col, key, label=f"{col} i alt", where=where)
            self.facts.total(key, list(dict.fromkeys(parts)), why=f"'I alt' er summen af kolonnen '{col}'")

    def unclaimed(self) -> list[str]:
        return [c for c in self.columns if c not in self.claimed]


def is_hidden_status(status: str) -> bool:
    return status in (PRIMARY, SECONDARY, BLANK)


_ = SECONDARY, VALUE  # re-exported names used by specs
