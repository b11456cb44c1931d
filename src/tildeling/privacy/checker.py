"""The one disclosure checker, and the suppression that passes it.

:func:`audit` takes the published tables of a finished shared copy or delivery (by their contract
names) and lists every way a count of 1 … N−1 persons can be read or worked out of them – directly,
by subtracting from totals, by inverting a share, rate, mean, difference or ratio, or by comparing
tables and levels – plus numbers of persons under the threshold in free text. A table the registry
does not know is a finding too.

:func:`suppress` is the writer's side: from the *true* tables it hides every count of 1 … N−1 (``<N``),
every figure computed from a hidden count or over a group under N, and then, guided by the same
analysis, as few further cells as it takes (``..``) until :func:`audit` finds nothing.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pandas as pd

from ..errors import InputError, TildelingError
from .facts import (BLANK, COUNT, PRIMARY, PUBLIC, SECONDARY, SHOWN, UNPUBLISHED, VALUE, Custom, Depends, Facts, Leq,
                    Leak, Linear, Product, propagate)
from .registry import TableView, identities, lookup, primary_marker, SECONDARY_MARKER

__all__ = ["CELL_PRIMARY", "CELL_COMPLEMENT", "CELL_SECONDARY", "sensitivity", "label_domain", "Protection",
           "protect_counts", "protect_means", "possible_values", "Finding", "audit", "suppress", "Suppressed", "text_findings", "check_threshold", "DEFAULT_THRESHOLD",
           "MIN_THRESHOLD", "MAX_THRESHOLD", "DisclosureError", "require_clear", "findings_message"]

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 3       # Statistics Denmark's minimum
MAX_THRESHOLD = 10


class DisclosureError(TildelingError):
    """A file cannot be cleared: it would give away small numbers of persons. ``findings`` lists why."""

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])


def check_threshold(value, *, where: str = "Mindste antal personer i en celle") -> int:
    """The threshold as an int in 3 … 10, or an :class:`InputError` in Danish."""
    try:
        f = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where} skal være et helt tal fra {MIN_THRESHOLD} til {MAX_THRESHOLD}, ikke "
                         f"'{value}'.") from None
    if not math.isfinite(f) or not f.is_integer() or not MIN_THRESHOLD <= f <= MAX_THRESHOLD:
        shown = int(f) if math.isfinite(f) and f.is_integer() else str(value).replace(".", ",")
        raise InputError(f"{where} skal være et helt tal fra {MIN_THRESHOLD} til {MAX_THRESHOLD} (Danmarks "
                         f"Statistiks minimum er {MIN_THRESHOLD}), ikke {shown}.")
    return int(f)


@dataclass(frozen=True)
class Finding:
    """One way a file gives away persons: the table, the place in words, the rule and a Danish message."""

    table: str
    place: str
    rule: str
    message: str

    def __str__(self) -> str:
        return self.message


# --- free text -----------------------------------------------------------------------------------------------------
_WORDS = {"en": 1, "én": 1, "et": 1, "ét": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7,
          "otte": 8, "ni": 9}
_NOUN = (r"(?:[\wæøåÆØÅ]+-)?(?:elev(?:er(?:ne)?|en|s)?|barn(?:et)?|børn(?:ene)?|person(?:er(?:ne)?)?|pige(?:r)?|"
         r"dreng(?:e)?|modtager(?:e)?|forældre|forælder|familie(?:r)?|borger(?:e)?|underretning(?:er)?|"
         r"henvisning(?:er)?|børnesag(?:er)?|sag(?:er)?|elev-kvartal(?:er)?)")
_QUALIFIER = r"(?:under|færre\s+end|mindst|over|flere\s+end|op\s+til|højst|end|pr\.|per|hver)"
_DIGITS = re.compile(rf"(?<![\w.,])(?:(?P<q>{_QUALIFIER})\s+)?(?P<num>\d{{1,3}}(?:\.\d{{3}})+|\d+)(?![\d,.]\d)"
                     rf"(?:\s+(?:[\wæøåÆØÅ\-]+\s+){{0,2}}?)\s*(?P<noun>{_NOUN})\b", re.IGNORECASE)
_WORD = re.compile(rf"\b(?P<q>kun|blot|bare|netop|præcis|i\s+alt|heraf|heriblandt)\s+(?P<num>{'|'.join(_WORDS)})"
                   rf"\s+(?:[\wæøåÆØÅ\-]+\s+){{0,2}}?(?P<noun>{_NOUN})\b", re.IGNORECASE)

#: "1-4 personer", "1 til 4 elever": the meaning of a marker ("fewer than 5"), read as "op til 4"
_RANGE = re.compile(r"(?<![\w.,])[01]\s*(?:-|–|til)\s*(?=\d)", re.IGNORECASE)


def text_findings(text: str, threshold: int, *, table: str = "", place: str = "") -> list[Finding]:
    """Numbers of persons under the threshold in a text ("kun 3 elever", "2 elever", "kun én elev")."""
    if not isinstance(text, str) or not text:
        return []
    out = []
    original, text = text, _RANGE.sub("op til ", text)
    for m in _DIGITS.finditer(text):
        if m.group("q"):
            continue
        k = int(m.group("num").replace(".", ""))
        if 1 <= k < threshold:
            out.append(_text_finding(table, place, original, m.group(0), threshold))
    for m in _WORD.finditer(text):
        k = _WORDS[m.group("num").lower()]
        if 1 <= k < threshold:
            out.append(_text_finding(table, place, original, m.group(0), threshold))
    return out


def _text_finding(table, place, text, match, threshold) -> Finding:
    where = f"tabellen {table}, {place}" if table else (place or "en tekst")
    short = text if len(text) <= 90 else text[:87] + "…"
    return Finding(table, place, "tekst", f"{where}: teksten nævner '{match.strip()}' – et antal personer under "
                                          f"{threshold} (\"{short}\").")


# --- audit ------------------------------------------------------------------------------------------------------------
def build_facts(tables: Mapping[str, pd.DataFrame], threshold: int) -> tuple[Facts, list[Finding]]:
    """The facts of every registered table (and a finding for every table or column the registry cannot read)."""
    facts = Facts(threshold)
    facts.categories = set()
    findings: list[Finding] = []
    # in name order: the writer's analysis and the audit of the finished file see the same facts in the same
    # order, so they reach the same conclusions
    for name, frame in sorted(tables.items(), key=lambda kv: kv[0]):
        entry = lookup(name)
        if entry is None:
            findings.append(Finding(name, "hele tabellen", "ukendt-tabel",
                                    f"Tabellen {name} er ukendt for kontrollen af små tal, så den kan ikke "
                                    "godkendes. (Udviklere: registrér den i tildeling.privacy.)"))
            continue
        view = TableView(name, frame, facts, tables)
        entry.spec(view)
        facts.categories |= {(name, c) for c in view.categories}
        for col in view.unclaimed():
            findings.append(Finding(name, f"kolonnen '{col}'", "ukendt-kolonne",
                                    f"Tabellen {name}, kolonnen '{col}': kolonnen er ukendt for kontrollen af små "
                                    "tal, så tabellen kan ikke godkendes."))
    for fn in identities():
        fn(facts, tables)
    return facts, findings


def audit(tables: Mapping[str, pd.DataFrame], *, threshold: int = DEFAULT_THRESHOLD,
          texts: Iterable = ()) -> list[Finding]:
    """Every disclosure in ``tables`` (contract name → DataFrame as published) and ``texts``.

    ``texts``: free texts outside the tables, as strings or (place, text) pairs.
    """
    threshold = check_threshold(threshold)
    facts, findings = build_facts(tables, threshold)
    analysis = propagate(facts)
    findings += _leak_findings(analysis.leaks)
    for table, where, text in facts.problems:
        findings.append(Finding(table, where, "uforståelig", f"Tabellen {table}" + (f", {where}" if where else "")
                                + f": {text}."))
    for name, frame in tables.items():
        for col in frame.columns:
            if (name, str(col)) in facts.categories:
                continue
            for i, v in enumerate(frame[col].tolist()):
                if isinstance(v, str):
                    findings += text_findings(v, threshold, table=name, place=f"række {i + 1}, kolonnen '{col}'")
        findings += text_findings(" ".join(str(c) for c in frame.columns), threshold, table=name,
                                  place="overskrifterne")
    for item in texts:
        place, text = item if isinstance(item, tuple) else ("", item)
        findings += text_findings(text, threshold, place=place)
    return _dedupe(findings)


def _leak_findings(leaks: list[Leak]) -> list[Finding]:
    out = []
    for lk in leaks:
        cell = lk.cell
        table = cell.table if cell else ""
        place = cell.describe() if cell else ""
        out.append(Finding(table, place, lk.rule, lk.text[0].upper() + lk.text[1:]))
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        k = (f.table, f.place, f.rule, f.message)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


def findings_message(findings: list[Finding], *, what: str = "Filen", limit: int = 20) -> str:
    """A Danish message listing up to ``limit`` findings."""
    lines = [f"{what} kan ikke godkendes: den ville afsløre små antal personer ({len(findings)} "
             f"{'problem' if len(findings) == 1 else 'problemer'}). Intet er gemt."]
    for f in findings[:limit]:
        lines.append(f"• {f.message}")
    if len(findings) > limit:
        lines.append(f"… og {len(findings) - limit} flere.")
    return "\n".join(lines)


def require_clear(findings: list[Finding], *, what: str = "Filen") -> None:
    """Raise :class:`DisclosureError` when there are findings."""
    if findings:
        raise DisclosureError(findings_message(findings, what=what), findings)


# --- suppression --------------------------------------------------------------------------------------------------------
@dataclass
class Suppressed:
    """The tables as they may be published, and every hidden cell with the rule that hid it."""

    tables: dict[str, pd.DataFrame]
    cells: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)   # what could not be cleared (empty when all is well)
    threshold: int = DEFAULT_THRESHOLD


CELL_COLUMNS = ("Tabel", "Række", "Kolonne", "Regel")


def suppress(tables: Mapping[str, pd.DataFrame], *, threshold: int = DEFAULT_THRESHOLD,
             public: Mapping | None = None, max_rounds: int = 400, cleanup_seconds: float = 3.0) -> Suppressed:
    """Hide what must be hidden in ``tables`` (the true, unsuppressed tables) so that :func:`audit` passes.

    ``public``: variables a reader knows anyway (key → value), e.g. the number of pupils without a district.
    """
    threshold = check_threshold(threshold)
    N = threshold
    facts, problems = build_facts(tables, threshold)
    truth_analysis = propagate(facts)
    truth = dict(truth_analysis.known)
    V = facts.vars
    for k in facts.assumed:
        if k in V and V[k].status == UNPUBLISHED and truth.get(k) is not None:
            V[k].status, V[k].value = PUBLIC, truth[k]
    for k, x in (public or {}).items():
        if k in V:
            V[k].status, V[k].value = PUBLIC, x
            truth[k] = x
    published = {k: None for k, v in V.items() if v.status == SHOWN and v.cells}   # ordered: deterministic
    decisions: dict = {}   # key -> (status, reason): what was chosen (primary, groups under N, secondary)
    derived = [c for c in facts.constraints if isinstance(c, (Product, Depends))
               or (isinstance(c, Linear) and c.out is not None)]
    hidden: dict = {}      # decisions + every figure computed from a hidden figure

    def rebuild(chosen: dict) -> dict:
        return _close(derived, dict(chosen), published)

    def tval(k):
        x = truth.get(k)
        return x if isinstance(x, (int, float)) and math.isfinite(x) else None

    def small(x):
        return x is not None and 0.5 <= x < N - 0.5

    def hide(k, status, reason) -> bool:
        if k not in published or k in hidden or k in decisions:
            return False
        if V[k].kind == VALUE and status != BLANK:
            status = BLANK
        decisions[k] = (status, reason)
        return True

    def rehide(k, status, reason) -> bool:
        if k not in decisions:
            return False
        decisions[k] = (status, reason)
        return True

    # primary suppression
    for k in published:
        if V[k].kind == COUNT and small(tval(k)):
            hide(k, PRIMARY, f"primær: under {N} personer")
    for k in published:
        v = V[k]
        if v.kind == VALUE and v.population is not None and small(tval(v.population)):
            hide(k, BLANK, f"tal for en gruppe på under {N} personer")

    unresolved: list[Leak] = []
    for _ in range(max_rounds):
        hidden = rebuild(decisions)
        _apply(facts, hidden, published)
        analysis = propagate(facts)
        leaks = [lk for lk in analysis.leaks if lk.rule != "kompleks"]
        if not leaks:
            unresolved = []
            break
        progress = False
        unresolved = []
        touched: set = set()   # variables hidden in this round: leaks that involve them are looked at again
        rows = _hidden_rows(V, hidden)
        for lk in leaks:
            involved = {k for c in lk.constraints for k in c.keys()} | ({lk.key} if lk.key is not None else set())
            if involved & touched:
                progress = True   # may be closed already: see the next round
                continue
            before = dict(decisions)
            if _fix(lk, analysis, facts, hidden, published, truth, N, hide, rehide, rows):
                progress = True
                new = {k for k in decisions if before.get(k) != decisions[k]}
                touched |= new | involved
                for k in new:
                    for cell in V[k].cells:
                        rows[(cell.table, cell.row)] = rows.get((cell.table, cell.row), 0) + 1
            else:
                unresolved.append(lk)
        if not progress:
            break
    else:   # out of rounds: whatever is left is reported (and the file is not written)
        hidden = rebuild(decisions)
        _apply(facts, hidden, published)
        unresolved = [lk for lk in propagate(facts).leaks if lk.rule != "kompleks"]
    if not unresolved:   # drop secondary choices that turned out not to be needed (newest first, time-boxed)
        deadline = time.perf_counter() + cleanup_seconds
        secondary = [k for k, (_, why) in decisions.items() if why.startswith("sekundær")][::-1]
        totals = _totals(facts)   # a total, or a figure shown in several tables, is the most worth showing again
        secondary.sort(key=lambda k: (k not in totals, -len(V[k].cells)))
        for k in secondary:
            if time.perf_counter() > deadline:
                break
            trial = {kk: vv for kk, vv in decisions.items() if kk != k}
            _apply(facts, rebuild(trial), published)
            if not [lk for lk in propagate(facts).leaks if lk.rule != "kompleks"]:
                decisions = trial
        hidden = rebuild(decisions)
    _apply(facts, hidden, published)
    out_tables = {name: frame.copy() for name, frame in tables.items()}
    for name in out_tables:
        out_tables[name] = out_tables[name].astype(object)
    rows = []
    for k, (status, reason) in hidden.items():
        v = V[k]
        for cell in v.cells:
            if cell.table not in out_tables:
                continue
            frame = out_tables[cell.table]
            j = list(frame.columns).index(cell.column)
            if status == PRIMARY:
                mark = primary_marker(N)
            elif status == SECONDARY and v.kind == COUNT:
                mark = SECONDARY_MARKER
            else:
                mark = None
            frame.iat[cell.row, j] = mark
            rows.append((cell.table, cell.where or f"række {cell.row + 1}", cell.column, reason))
    cells = pd.DataFrame(rows, columns=list(CELL_COLUMNS)).drop_duplicates().reset_index(drop=True)
    findings = problems + [Finding(t, w, "uforståelig", f"Tabellen {t}" + (f", {w}" if w else "") + f": {x}.")
                           for t, w, x in facts.problems] + _leak_findings(unresolved)
    return Suppressed(out_tables, cells, _dedupe(findings), N)


def _apply(facts: Facts, hidden: dict, published: set) -> None:
    N = facts.threshold
    for k in published:
        v = facts.vars[k]
        if k in hidden:
            status = hidden[k][0]
            v.status = status
            if status == PRIMARY:
                v.marker_hi = N - 1
        else:
            v.status = SHOWN


def _close(derived, hidden: dict, published) -> dict:
    """``hidden`` plus every published figure computed from a hidden figure (a share, rate, mean, difference,
    ratio)."""
    changed = True
    while changed:
        changed = False
        for c in derived:
            if c.out not in published or c.out in hidden:
                continue
            if isinstance(c, Depends):
                # a figure that cannot be inverted (a model estimate, a verdict) hides with a count under
                # the threshold, not with a secondary cell (which is at least the threshold anyway)
                trigger = any(k in hidden and hidden[k][0] != SECONDARY for k in c.sources)
            else:
                srcs = c.terms if isinstance(c, Product) else [k for k in c.coefs if k != c.out]
                trigger = any(k in hidden for k in srcs)
            if trigger:
                hidden[c.out] = (BLANK, "afledt af et skjult tal")
                changed = True
    return hidden


def _fix(lk: Leak, analysis, facts: Facts, hidden: dict, published, truth: dict, N: int, hide, rehide,
         rows=None) -> bool:
    """Hide one more published figure so that the leak ``lk`` is closed; False if there is none to hide.

    The constraints that made the leak possible are searched first; when all their published figures
    are hidden already, the search follows how those hidden figures were worked out (a hidden rate
    recovered from a shown difference: hide the difference).
    """
    V = facts.vars
    if lk.rule == "lille-tal" and lk.key is not None:
        return hide(lk.key, PRIMARY, f"primær: under {N} personer")
    if lk.rule in ("lille-gruppe", "afledt-af-skjult") and lk.key in published and lk.key not in hidden:
        return hide(lk.key, BLANK, f"tal for en gruppe på under {N} personer" if lk.rule == "lille-gruppe"
                    else "afledt af et skjult tal")
    frontier = list(lk.constraints)
    if lk.key is not None:   # constraints that involve the leaked variable first
        frontier.sort(key=lambda c: lk.key not in c.keys())
    protected, totals = _protected(facts), _totals(facts)

    def order(k):   # follow the smallest parts first, the totals last
        x = truth.get(k)
        return abs(x) if isinstance(x, (int, float)) and math.isfinite(x) else math.inf

    for strict in (True, False):
        todo, seen = list(frontier), set()
        for _depth in range(6):
            follow = []
            for c in todo:
                if id(c) in seen:
                    continue
                seen.add(id(c))
                cands = [k for k in c.keys() if k in published and k not in hidden and k != lk.key]
                if isinstance(c, Custom):
                    done = False
                    for k in cands:
                        if V[k].kind == VALUE:
                            done |= hide(k, BLANK, "sekundær: ville afsløre et skjult tal")
                    if done:
                        return True
                best = _choose(c, cands, V, truth, N, strict=strict, protected=protected, rows=rows,
                               totals=totals)
                if best is not None:
                    status = SECONDARY if V[best].kind == COUNT else BLANK
                    return hide(best, status, "sekundær: beskytter et andet skjult tal")
                if not strict and isinstance(c, (Linear, Leq)):
                    if _break_pin(c, cands, V, truth, hidden, hide, rehide):
                        return True
                for k in sorted(c.keys(), key=order):
                    reason = analysis.how.get(k)
                    if k != lk.key and not isinstance(reason, str) and reason is not None:
                        follow += _reason_constraints(reason)
            todo = follow
            if not todo:
                break
    return False


def _break_pin(c, cands, V, truth, hidden, hide, rehide) -> bool:
    """Last resort when hidden counts are pinned because every ``<N`` means at least 1: hide a 0 of the same
    equation as ``<N`` too (true: 0 is under N), or else leave a hidden count's cell empty (no range)."""
    zeros = [k for k in cands if V[k].kind == COUNT and truth.get(k) == 0]
    if zeros:
        return hide(zeros[0], PRIMARY, "sekundær: et 0 skjult, så de andre skjulte tal ikke kan regnes ud")
    marked = [k for k in c.keys() if k in hidden and hidden[k][0] == PRIMARY and V[k].kind == COUNT]
    for k in sorted(marked, key=lambda k: (-(truth.get(k) or 0), str(k))):
        if rehide(k, BLANK, "primær: under grænsen; cellen er tom, så de andre skjulte tal ikke kan regnes ud"):
            return True
    return False


def _protected(facts: Facts) -> frozenset:
    """Counts that other figures are computed over (populations and denominators)."""
    cached = facts.__dict__.get("_protected")
    if cached is None:
        keys = {v.population for v in facts.vars.values() if v.population is not None}
        for c in facts.constraints:
            if isinstance(c, Product):
                keys |= {k for k, e in c.terms.items() if e < 0}
        cached = facts.__dict__["_protected"] = frozenset(keys)
    return cached


def _totals(facts: Facts) -> frozenset:
    """Variables that are the total of a sum (``total = Σ parts``): hide a part rather than the total."""
    cached = facts.__dict__.get("_totals")
    if cached is None:
        keys = set()
        for c in facts.constraints:
            if isinstance(c, Linear) and c.out is None and len(c.coefs) > 2:
                plus = [k for k, a in c.coefs.items() if a > 0]
                if len(plus) == 1 and all(a == -1.0 for k, a in c.coefs.items() if k != plus[0]):
                    keys.add(plus[0])
        cached = facts.__dict__["_totals"] = frozenset(keys)
    return cached


def _reason_constraints(reason) -> list:
    from .facts import _constraints_of

    return _constraints_of(reason)


def _hidden_rows(V, hidden) -> dict:
    """(table, row) → number of hidden cells in it."""
    out: dict = {}
    for k in hidden:
        for cell in V[k].cells:
            out[(cell.table, cell.row)] = out.get((cell.table, cell.row), 0) + 1
    return out


def _choose(c, cands, V, truth, N, *, strict: bool = True, protected=frozenset(), rows=None, totals=frozenset()):
    """The figure to hide in constraint ``c``: in a total the smallest count of at least N (never a zero),
    in a share, rate or ratio the derived figure. With ``strict``, never a count that other figures are
    shares or means of (``protected``: hiding a population hides everything computed over it). A figure in
    a row that already has hidden cells is preferred (``rows``): the hidden cells stay together."""
    rows = rows or {}

    def tv(k):
        x = truth.get(k)
        return x if isinstance(x, (int, float)) and math.isfinite(x) else None

    def apart(k):   # fewer hidden cells in its rows = worse
        return -sum(rows.get((cell.table, cell.row), 0) for cell in V[k].cells)

    counts = [k for k in cands if V[k].kind == COUNT and tv(k) is not None and tv(k) >= N
              and not (strict and k in protected)]
    values = [k for k in cands if V[k].kind == VALUE]
    if isinstance(c, Linear) and c.out is None:
        if counts:
            return min(counts, key=lambda k: (k in totals, apart(k), tv(k), str(k)))
        if values:
            return min(values, key=lambda k: (apart(k), abs(tv(k)) if tv(k) is not None else math.inf, str(k)))
        return None
    if values:   # a share, rate, difference or ratio: hide the derived figure rather than a count
        outs = [k for k in values if k == getattr(c, "out", None)]
        return (outs or values)[0]
    if counts and not strict:
        return min(counts, key=lambda k: (k in totals, apart(k), tv(k), str(k)))
    return None


_ = Custom, UNPUBLISHED


# --- one column of counts with a published total: suppression against interval attacks --------------------------------
# The delivery (``tildeling export``) chooses its hidden cells here and then, like every shared file, passes
# :func:`audit` (through :func:`tildeling.workbook.audit.save_cleared`). Per district it publishes a count of persons
# (segregated pupils, or pupils with a property) next to the district's pupils, and the municipality's total
# elsewhere; the total also covers a group that no row shows (pupils without a district). A count is *sensitive*
# when it, or its complement within the row, is 1 … threshold − 1 persons (primary). Because the total is
# published, a reader knows the sum of the hidden cells and the unshown group, and the delivery lists every
# hidden cell with its rule (tblSkjulteTal); so further cells are hidden (secondary) until, for every primary
# cell, **every value its label allows stays possible** – a stronger demand than :func:`audit`'s (no count can
# be worked out exactly): not even an interval narrower than "1 … threshold − 1" can be learnt.
#
# Exact integer interval arithmetic: each hidden cell's possible values form a union of intervals (its label's
# domain within ``[0, size]``), the possible sums of a set of cells are the Minkowski sum of those unions, and a
# value *v* of a primary cell is possible when the remaining sum minus *v* is a possible sum of the others.
# Means are protected by their number of contributors: a mean over 1 … threshold − 1 persons is hidden, and
# while the total is published, never exactly one unknown cell may remain.

#: Why a cell of a delivery is hidden (the rule listed in tblSkjulteTal).
CELL_PRIMARY = "primær"          # the count itself is 1 … threshold − 1
CELL_COMPLEMENT = "komplement"   # size − count (persons without the property) is 1 … threshold − 1
CELL_SECONDARY = "sekundær"      # hidden so that a primary cell cannot be narrowed down from the total

Intervals = list[tuple[int, int]]   # disjoint, sorted, closed integer intervals


def sensitivity(value: float, size: float | None, threshold: int) -> str | None:
    """``CELL_PRIMARY``, ``CELL_COMPLEMENT`` or None for a count of ``value`` persons among ``size``."""
    if 0 < value < threshold:
        return CELL_PRIMARY
    if size is not None and 0 < size - value < threshold:
        return CELL_COMPLEMENT
    return None


def _merge(iv: Intervals) -> Intervals:
    out: Intervals = []
    for lo, hi in sorted(i for i in iv if i[0] <= i[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def label_domain(label: str | None, size: int, threshold: int) -> Intervals:
    """The values a hidden cell of ``size`` persons can have, given its label (None: no label is known)."""
    size = int(size)
    t = threshold
    if label == CELL_PRIMARY:
        return _merge([(1, min(t - 1, size))])
    if label == CELL_COMPLEMENT:
        return _merge([(max(0, size - t + 1), size - 1)])
    if label == CELL_SECONDARY:   # neither the count nor its complement is 1 … t − 1
        if size == 0:
            return [(0, 0)]
        return _merge([(0, 0), (t, size - t), (size, size)]) if size >= t else []
    return [(0, size)]


def _add(a: Intervals, b: Intervals) -> Intervals:
    return _merge([(x0 + y0, x1 + y1) for x0, x1 in a for y0, y1 in b])


def _contains(iv: Intervals, lo: int, hi: int) -> bool:
    """Is every integer of [lo, hi] in ``iv``?"""
    return any(a <= lo and hi <= b for a, b in iv)


def _sums(domains: list[Intervals]) -> Intervals:
    acc: Intervals = [(0, 0)]
    for d in domains:
        acc = _add(acc, d)
    return acc


def possible_values(target: int, domains: list[Intervals], index: int) -> Intervals:
    """Values of unknown cell ``index`` consistent with: the unknown cells sum to ``target``, each in its domain."""
    others = _sums([d for i, d in enumerate(domains) if i != index])
    out = []
    for lo, hi in domains[index]:
        for s_lo, s_hi in others:
            a, b = max(lo, target - s_hi), min(hi, target - s_lo)
            if a <= b:
                out.append((a, b))
    return _merge(out)


@dataclass
class Protection:
    """The suppression of one column: a reason per row (None = shown), for the unshown rest and for the total."""

    reasons: list[str | None]
    rest: str | None = None
    total: str | None = None          # CELL_PRIMARY/CELL_COMPLEMENT when the total itself is hidden
    notes: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> np.ndarray:
        return np.array([r is not None for r in self.reasons], dtype=bool)


def _audit(values, sizes, reasons, rest, rest_reason, total, threshold) -> bool:
    """True when every primary cell can still take every value its label allows."""
    unknown = [i for i, r in enumerate(reasons) if r is not None]
    domains = [label_domain(reasons[i], sizes[i], threshold) for i in unknown]
    kinds = [reasons[i] for i in unknown]
    if rest is not None and rest[1] > 0:
        domains.append(label_domain(rest_reason or CELL_SECONDARY, rest[1], threshold))
        kinds.append(rest_reason)
    target = int(total - sum(v for v, r in zip(values, reasons) if r is None))
    for k, kind in enumerate(kinds):
        if kind in (CELL_PRIMARY, CELL_COMPLEMENT):
            want = domains[k]
            got = possible_values(target, domains, k)
            if any(not _contains(got, lo, hi) for lo, hi in want):
                return False
    return True


def protect_counts(values, sizes, threshold: int, *, rest: tuple[int, int] | None = None,
                   total_published: bool = True) -> Protection:
    """Hide sensitive counts and enough others that no primary cell can be narrowed down.

    Parameters
    ----------
    values, sizes : per row, the count of persons with the property and the row's number of persons
        (both whole numbers, ``0 ≤ value ≤ size``; the sizes are published).
    rest : (value, size) of a group that no row shows but the total includes (pupils without a district).
    total_published : whether the column total (Σ values + rest) is published.
    """
    values = [int(round(v)) for v in values]
    sizes = [int(round(s)) for s in sizes]
    reasons = [sensitivity(v, s, threshold) for v, s in zip(values, sizes)]
    rest_reason = sensitivity(*rest, threshold) if rest is not None and rest[1] > 0 else None
    total = sum(values) + (rest[0] if rest else 0)
    total_size = sum(sizes) + (rest[1] if rest else 0)
    prot = Protection(reasons, rest_reason)
    if not total_published:
        return prot
    prot.total = sensitivity(total, total_size, threshold)
    if prot.total is not None:       # the total is hidden too: no sum constraint is published
        return prot
    while not _audit(values, sizes, reasons, rest, rest_reason, total, threshold):
        shown = [i for i, r in enumerate(reasons) if r is None]
        if not shown:                  # nothing left to hide in the column: hide its total as well
            prot.total = CELL_SECONDARY
            return prot
        # the smallest cell that makes the column safe on its own; else the deepest cell, and try again
        order = sorted(shown, key=lambda i: (values[i] == 0, values[i], i))
        for i in order:
            trial = list(reasons)
            trial[i] = CELL_SECONDARY
            if _audit(values, sizes, trial, rest, rest_reason, total, threshold):
                reasons[i] = CELL_SECONDARY
                break
        else:
            i = max(shown, key=lambda j: (min(values[j], sizes[j] - values[j]), -j))
            reasons[i] = CELL_SECONDARY
    prot.reasons = reasons
    return prot


def protect_means(contributors, threshold: int, *, rest: int = 0, total_published: bool = True) -> Protection:
    """Hide means over 1 … threshold − 1 persons; while the total is published, never leave exactly one unknown.

    ``contributors``: per row, the number of persons behind the mean; ``rest``: those of the unshown group.
    """
    counts = [int(round(m)) for m in contributors]
    reasons = [CELL_PRIMARY if 0 < m < threshold else None for m in counts]
    rest_reason = CELL_PRIMARY if 0 < rest < threshold else None
    prot = Protection(reasons, rest_reason)
    total = sum(counts) + rest
    if not total_published:
        return prot
    if 0 < total < threshold:
        prot.total = CELL_PRIMARY
        return prot
    unknown = sum(r is not None for r in reasons) + (1 if rest > 0 else 0)
    primary = any(r is not None for r in reasons) or rest_reason is not None
    if primary and unknown == 1:
        shown = [i for i, r in enumerate(reasons) if r is None and counts[i] > 0]
        if shown:
            reasons[min(shown, key=lambda i: (counts[i], i))] = CELL_SECONDARY
        else:
            prot.total = CELL_SECONDARY
    prot.reasons = reasons
    return prot
