"""Worksheet functions (xlwings UDFs) for the need model, vectorised: array in, array out.

Excel names
-----------
* Classic add-in (``tildeling.xlam``, *Import Python UDFs*): xlwings writes one
  VBA function per UDF, named exactly like the Python function, and a VBA name
  cannot contain a dot. The functions are therefore ``TILDELING_SANDSYNLIGHED``,
  ``TILDELING_INDEKS``, ``TILDELING_NOEGLE`` and ``TILDELING_BUDGET``.
* xlwings Server / Lite (Office.js custom functions): ``name=`` and
  ``namespace=`` give ``TILDELING.SANDSYNLIGHED`` … (the classic decorator
  ignores both options).

The docstring of each UDF is its Danish description in Excel (at most 255
characters: the classic add-in cuts it there); the arguments are described with
``@xw.arg(..., doc=...)``. Argument names are plain ASCII and not VBA keywords,
because the classic add-in uses them as VBA parameter names.

A problem never raises: the function returns one Danish text starting with
``#TILDELING:`` that says what is wrong and where, e.g.
``#TILDELING: ukendt kategori 'X'. … (kolonne 'mor_sigtet', række 3 i elevområdet)``.

The plain functions :func:`pupil_probabilities`, :func:`district_index`,
:func:`allocation_key` and :func:`budget_split` do the work (and raise
:class:`~tildeling.errors.TildelingError`); the UDFs only convert and guard.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
import xlwings as xw

from ..danish import NumberError, cell_number
from ..errors import InputError, InputErrors, Source, TildelingError, format_names, format_rows

__all__ = ["TILDELING_SANDSYNLIGHED", "TILDELING_INDEKS", "TILDELING_NOEGLE", "TILDELING_BUDGET",
           "pupil_probabilities", "district_index", "allocation_key", "budget_split", "ERROR_PREFIX"]

ERROR_PREFIX = "#TILDELING: "
NAMESPACE = "TILDELING"
CATEGORY = "Tildeling"

# Danish argument descriptions (shown in Excel's function wizard)
DOC_COEFS = ("Koefficienttabellen inkl. overskriftsrækken, fx tblKoefficienter[#Alle]. Kolonnerne Variabel, "
             "Kategori og Koefficient skal findes (Type, Reference og grænser for kategoriske variable).")
DOC_PUPILS = ("Elevernes variable inkl. overskriftsrækken med variabelnøglerne (fx alder, mor_sigtet). Én række "
              "pr. elev; andre kolonner ignoreres.")
DOC_DISTRICT_COL = "Distriktskoden for hver elev (én kolonne, fx tblElever[Distrikt])."
DOC_PROB_COL = "Hver elevs forudsagte sandsynlighed (samme længde som distriktskolonnen)."
DOC_DISTRICT_LIST = "Distrikterne resultatet skal vises for, fx tblDistrikter[Distrikt]. Hvert distrikt én gang."
DOC_TOTAL = "Det samlede budget i kroner, fx SamletBudget. Afrundes til hele kroner."
DOC_KEY = "Fordelingsnøglen: én andel (eller vægt) pr. distrikt. Skal ikke summe til 1."
DOC_ORDER = ("Valgfri: distriktskoderne i samme rækkefølge som nøglen. Ved lige store rester får det laveste "
             "distriktsnummer kronen først (som i Beregn fordeling). Uden: den øverste først.")


# ------------------------------------------------------------------------------------------------
# Conversion helpers
# ------------------------------------------------------------------------------------------------
def _grid(value) -> list[list]:
    """A range value (scalar, 1-d or 2-d list) as a list of rows."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value or not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(r) for r in value]


def _flat(value) -> tuple[list, bool]:
    """A one-column or one-row range as a flat list; True if it was a row (wider than tall)."""
    g = _grid(value)
    if len(g) == 1 and len(g[0]) > 1:
        return list(g[0]), True
    if all(len(r) == 1 for r in g):
        return [r[0] for r in g], False
    raise InputError(f"området skal være én kolonne eller én række, men er {len(g)} × {len(g[0])} celler.")


def _shape(values: list, as_row: bool) -> list[list]:
    return [list(values)] if as_row else [[v] for v in values]


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _table(value, label: str) -> tuple[pd.DataFrame, np.ndarray, Source]:
    """Header row + body as a DataFrame (blank rows dropped) and the positions of the kept rows."""
    g = _grid(value)
    header = [("" if h is None or (isinstance(h, float) and math.isnan(h)) else _header(h)).strip() for h in g[0]]
    if not any(header):
        raise InputError(f"{label} skal starte med overskriftsrækken (kolonnenavnene).")
    seen = [h for h in header if h]
    dup = sorted({h for h in seen if seen.count(h) > 1})
    if dup:
        raise InputError(f"overskriften {format_names(dup)} står flere gange i {label} – hver kolonne skal have sit "
                         "eget navn.")
    width = len(header)
    body = [[None if _blank(v) else v for v in (r + [None] * width)[:width]] for r in g[1:]]
    keep = np.array([any(v is not None for v in r) for r in body], dtype=bool)
    rows = [r for r, k in zip(body, keep) if k]
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    positions = np.flatnonzero(keep)
    return frame, positions, _AreaSource(label, positions)


def _header(h) -> str:
    if isinstance(h, float) and h.is_integer():
        return str(int(h))
    return str(h)


class _AreaSource(Source):
    """Row numbers inside the range (the header is row 1), blank rows included."""

    def __init__(self, label: str, positions: np.ndarray) -> None:
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "first_row", 2)
        object.__setattr__(self, "_positions", positions)

    def rows(self, positions):
        return [int(self._positions[int(p)]) + 2 for p in positions]


def _located(exc: InputError) -> str:
    """One problem: its message and, in brackets, the column and rows within the range."""
    where = []
    if exc.column is not None:
        where.append(f"kolonne '{exc.column}'")
    if exc.rows:
        where.append(format_rows(exc.rows))
    label = exc.source.label if exc.source is not None and exc.source.label else ""
    suffix = ""
    if where:
        suffix = " (" + ", ".join(where) + (f" i {label}" if label else "") + ")"
    elif label:
        suffix = f" ({label})"
    return exc.message + suffix


def _error(exc: BaseException) -> str:
    """The Danish error text a UDF returns instead of raising (every problem, when there are several)."""
    if isinstance(exc, InputErrors):
        total = len(exc.problems) + exc.more
        parts = [f"{i}) {_located(p)}" for i, p in enumerate(exc.problems, start=1)]
        more = f"; … og {exc.more} mere" if exc.more else ""
        return ERROR_PREFIX + f"{total} fejl: " + "; ".join(parts) + more
    if isinstance(exc, InputError):
        return ERROR_PREFIX + _located(exc)
    if isinstance(exc, TildelingError):
        return ERROR_PREFIX + str(exc)
    if isinstance(exc, RecursionError):
        return ERROR_PREFIX + "området er for indviklet til at blive beregnet."
    if isinstance(exc, MemoryError):
        return ERROR_PREFIX + "området er for stort – der er ikke hukommelse nok."
    return ERROR_PREFIX + f"uventet fejl ({type(exc).__name__}: {exc})"


def _finite(value) -> bool:
    """True if a result holds no NaN or infinity anywhere (Excel would show #NUM! or a wrong number)."""
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if isinstance(value, (bool, str)) or value is None:
        return True
    if isinstance(value, numbers.Real):
        return math.isfinite(float(value))
    return True


def _guarded(fn, *args):
    try:
        out = fn(*args)
    except Exception as exc:  # noqa: BLE001 - a worksheet function returns its error as text
        return _error(exc)
    if not _finite(out):
        return ERROR_PREFIX + ("resultatet kan ikke beregnes (det ville give et ugyldigt tal) – kontrollér "
                               "argumenterne.")
    return out


def _number(value, what: str) -> float | None:
    """A cell value as a number (text with a decimal comma, a date or an error value gives a Danish message)."""
    try:
        return cell_number(value)
    except NumberError as exc:
        raise InputError(f"{what}: {exc}.") from None


# ------------------------------------------------------------------------------------------------
# The work (plain functions, raise TildelingError)
# ------------------------------------------------------------------------------------------------
def pupil_probabilities(coefficients, pupils) -> list[list]:
    """Each pupil's probability; one row per row of ``pupils`` below its header ("" for blank rows)."""
    from ..model.coefficients import CoefficientTable

    coef_frame, _, coef_src = _table(coefficients, "koefficientområdet")
    coefs = CoefficientTable.from_frame(coef_frame, {}, coef_src)
    frame, positions, src = _table(pupils, "elevområdet")
    out: list = [""] * (len(_grid(pupils)) - 1)
    if len(frame):
        p = coefs.predict(frame, src)
        for pos, value in zip(positions, p):
            out[pos] = float(value)
    return [[v] for v in out]


def _district_aggregates(districts, probabilities, district_list):
    from ..need.apply import district_table, normalise_code

    codes, _ = _flat(districts)
    probs, _ = _flat(probabilities)
    wanted, as_row = _flat(district_list)
    if len(codes) != len(probs):
        raise InputError(f"distriktskolonnen har {len(codes)} celler, men sandsynlighederne {len(probs)} – "
                         "de skal være lige lange.")
    order = [normalise_code(v) for v in wanted]
    if any(c == "" for c in order):
        raise InputError("distriktslisten har en tom celle – skriv en kode i hver celle.")
    dup = sorted({c for c in order if order.count(c) > 1})
    if dup:
        raise InputError(f"distrikt {format_names(dup)} står flere gange i distriktslisten.")
    n = dict.fromkeys(order, 0)
    psum = dict.fromkeys(order, 0.0)
    unknown, bad, missing = set(), [], []
    for i, (code, p) in enumerate(zip(codes, probs), start=1):
        if _blank(code) and _blank(p):
            continue
        if _blank(code) or _blank(p):
            missing.append(i)
            continue
        try:
            value = cell_number(p)
        except NumberError:
            value = None
        if value is None or not 0 <= value <= 1:
            bad.append((i, p))
            continue
        key = normalise_code(code)
        if key not in n:
            unknown.add(key)
            continue
        n[key] += 1
        psum[key] += value
    if missing:
        raise InputError(f"distrikt eller sandsynlighed mangler for elev nr. {format_rows(missing)[6:]} – "
                         "udfyld begge eller ingen af dem.")
    if bad:
        i, p = bad[0]
        shown = f"'{p}'" if isinstance(p, str) else ("en dato" if hasattr(p, "year") else repr(p))
        raise InputError(f"sandsynligheden for elev nr. {i} er {shown} – den skal være et tal mellem 0 og 1"
                         + (f" (og {len(bad) - 1} andre)" if len(bad) > 1 else "") + ".")
    if unknown:
        raise InputError(f"ukendt distrikt {format_names(sorted(unknown))} – tilføj det i distriktslisten eller "
                         "ret koden.")
    if not sum(n.values()):
        raise InputError("der er ingen elever – distriktskolonnen og sandsynlighederne er tomme.")
    if not any(psum.values()):
        raise InputError("alle sandsynligheder er 0, så der er intet forventet behov at fordele efter – "
                         "kontrollér sandsynlighederne.")
    agg = pd.DataFrame({
        "Distrikt": order,
        "Elever": [n[c] for c in order],
        "Forudsagt sandsynlighed": [psum[c] / n[c] if n[c] else 0.0 for c in order],
    })
    return district_table(agg), as_row


def district_index(districts, probabilities, district_list) -> list[list]:
    """Need index per district: mean probability / the municipality's mean × 100."""
    table, as_row = _district_aggregates(districts, probabilities, district_list)
    return _shape([float(v) for v in table["Indeks"]], as_row)


def allocation_key(districts, probabilities, district_list) -> list[list]:
    """Expected share per district (the allocation key): n_d·p̄_d / Σ n_e·p̄_e."""
    table, as_row = _district_aggregates(districts, probabilities, district_list)
    return _shape([float(v) for v in table["Behovsnøgle"]], as_row)


def budget_split(total, key, order=None) -> list[list]:
    """Whole-krone split of ``total`` by ``key`` (largest remainder), same tie-break as the workbook."""
    from ..need.budget import BudgetOptions, largest_remainder, tie_break_ranks

    if isinstance(total, (list, tuple)):
        flat = [v for row in _grid(total) for v in row]
        if len(flat) != 1:
            raise InputError("det samlede budget skal være én celle.")
        total = flat[0]
    amount = _number(total, "det samlede budget skal være et tal")
    if amount is None:
        raise InputError("det samlede budget er en tom celle – skriv et beløb.")
    kroner = BudgetOptions(total=amount).total_kroner
    raw, as_row = _flat(key)
    blank = [i for i, w in enumerate(raw, start=1) if _blank(w)]
    if blank:
        raise InputError(f"nøglen har en tom celle (nummer {', '.join(map(str, blank[:5]))}) – skriv 0 eller en "
                         "andel.")
    weights = []
    for i, w in enumerate(raw, start=1):
        value = _number(w, f"nøglens værdi nummer {i}")
        if value < 0:
            raise InputError(f"nøglens værdi nummer {i} er negativ – skriv 0 eller en positiv andel.")
        weights.append(value)
    ranks = None
    if order is not None and not all(_blank(v) for v in _flat(order)[0]):
        codes, _ = _flat(order)
        if len(codes) != len(weights):
            raise InputError(f"distriktskoderne ({len(codes)}) og nøglen ({len(weights)}) skal være lige lange.")
        if any(_blank(v) for v in codes):
            raise InputError("distriktskoderne har en tom celle – skriv en kode i hver celle, eller udelad "
                             "argumentet.")
        ranks = tie_break_ranks(codes)
    split = largest_remainder(weights, kroner, ranks)
    return _shape([int(v) for v in split], as_row)


# ------------------------------------------------------------------------------------------------
# The UDFs
# ------------------------------------------------------------------------------------------------
@xw.func(name="SANDSYNLIGHED", namespace=NAMESPACE, category=CATEGORY)
@xw.arg("koefficienter", ndim=2, doc=DOC_COEFS)
@xw.arg("elever", ndim=2, doc=DOC_PUPILS)
def TILDELING_SANDSYNLIGHED(koefficienter, elever):
    """Elevens forudsagte sandsynlighed for segregeret specialundervisning ved landsgennemsnitlig praksis. Én værdi pr. elevrække (spilder ned)."""  # noqa: E501
    return _guarded(pupil_probabilities, koefficienter, elever)


@xw.func(name="INDEKS", namespace=NAMESPACE, category=CATEGORY)
@xw.arg("distrikter", ndim=2, doc=DOC_DISTRICT_COL)
@xw.arg("sandsynligheder", ndim=2, doc=DOC_PROB_COL)
@xw.arg("distriktsliste", ndim=2, doc=DOC_DISTRICT_LIST)
def TILDELING_INDEKS(distrikter, sandsynligheder, distriktsliste):
    """Behovsindeks pr. distrikt: distriktets gennemsnitlige sandsynlighed / kommunens × 100 (100 = kommunens gennemsnit). Én værdi pr. distrikt i listen."""  # noqa: E501
    return _guarded(district_index, distrikter, sandsynligheder, distriktsliste)


@xw.func(name="NOEGLE", namespace=NAMESPACE, category=CATEGORY)
@xw.arg("distrikter", ndim=2, doc=DOC_DISTRICT_COL)
@xw.arg("sandsynligheder", ndim=2, doc=DOC_PROB_COL)
@xw.arg("distriktsliste", ndim=2, doc=DOC_DISTRICT_LIST)
def TILDELING_NOEGLE(distrikter, sandsynligheder, distriktsliste):
    """Fordelingsnøgle pr. distrikt: distriktets andel af kommunens forventede antal elever i segregeret specialundervisning. Summen er 1."""  # noqa: E501
    return _guarded(allocation_key, distrikter, sandsynligheder, distriktsliste)


@xw.func(name="BUDGET", namespace=NAMESPACE, category=CATEGORY)
@xw.arg("samlet_budget", doc=DOC_TOTAL)
@xw.arg("noegle", ndim=2, doc=DOC_KEY)
@xw.arg("raekkefoelge", ndim=2, doc=DOC_ORDER)
def TILDELING_BUDGET(samlet_budget, noegle, raekkefoelge=None):
    """Fordeler det samlede budget i hele kroner efter nøglen (største brøkdels metode). Summen er præcis det samlede budget."""  # noqa: E501
    return _guarded(budget_split, samlet_budget, noegle, raekkefoelge)
