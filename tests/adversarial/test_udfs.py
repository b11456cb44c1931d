"""Worksheet functions with hostile arguments: every bad argument gives one Danish ``#TILDELING:`` text,
never NaN, never an exception – and numbers typed as text are read the Danish way, not scaled."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tildeling.xl import udfs

COEFS = [
    ["Variabel", "Kategori", "Koefficient", "Type", "Reference"],
    ["Konstant", None, -2.0, None, None],
    ["alder", None, 0.5, "numerisk", None],
    ["mor_sigtet", "Sigtet", 1.0, "kategorisk", "Ikke sigtet"],
]
PUPILS = [["ElevID", "alder", "mor_sigtet"], ["a", 1.0, "Sigtet"], ["b", 2.0, "Ikke sigtet"]]
DISTRICTS = [["1"], ["2"], ["1"], ["2"]]
PROBS = [[0.1], [0.2], [0.3], [0.4]]
LIST = [["1"], ["2"]]


def _finite_numbers(value) -> bool:
    if isinstance(value, list):
        return all(_finite_numbers(v) for v in value)
    return value == "" or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def _is_danish_error(out) -> bool:
    return isinstance(out, str) and out.startswith("#TILDELING: ") and "Traceback" not in out and \
        "nan" not in out.lower().split("#tildeling: ")[1][:3]


def _with(grid, row, col, value):
    g = [list(r) for r in grid]
    g[row][col] = value
    return g


BAD_CALLS = {
    # probability
    "coefs_none": (udfs.TILDELING_SANDSYNLIGHED, (None, PUPILS)),
    "coefs_scalar": (udfs.TILDELING_SANDSYNLIGHED, (3.5, PUPILS)),
    "coefs_header_only": (udfs.TILDELING_SANDSYNLIGHED, (COEFS[:1], PUPILS)),
    "coef_error_value": (udfs.TILDELING_SANDSYNLIGHED, (_with(COEFS, 2, 2, "#N/A"), PUPILS)),
    "coef_text": (udfs.TILDELING_SANDSYNLIGHED, (_with(COEFS, 2, 2, "meget"), PUPILS)),
    "pupils_none": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, None)),
    "pupils_duplicate_header": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, [["alder", "alder", "mor_sigtet"],
                                                                       [1, 2, "Sigtet"]])),
    "pupil_date": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, dt.datetime(2024, 1, 1)))),
    "pupil_time": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, dt.time(8, 15)))),
    "pupil_huge": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, 1e300))),
    "pupil_inf": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, math.inf))),
    "pupil_bool": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, True))),
    "pupil_error_text": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 2, "#REF!"))),
    "pupil_ambiguous_text": (udfs.TILDELING_SANDSYNLIGHED, (COEFS, _with(PUPILS, 1, 1, "1.234.5"))),
    # index and key
    "all_zero_probabilities_index": (udfs.TILDELING_INDEKS, (DISTRICTS, [[0], [0.0], ["0"], [0]], LIST)),
    "all_zero_probabilities_key": (udfs.TILDELING_NOEGLE, (DISTRICTS, [[0], [0], [0], [0]], LIST)),
    "probability_error_text": (udfs.TILDELING_NOEGLE, (DISTRICTS, _with(PROBS, 0, 0, "#N/A"), LIST)),
    "probability_nan": (udfs.TILDELING_NOEGLE, (DISTRICTS, _with(PROBS, 1, 0, math.nan), LIST)),
    "probability_inf": (udfs.TILDELING_INDEKS, (DISTRICTS, _with(PROBS, 1, 0, math.inf), LIST)),
    "probability_negative": (udfs.TILDELING_INDEKS, (DISTRICTS, _with(PROBS, 1, 0, -0.1), LIST)),
    "probability_percent_number": (udfs.TILDELING_INDEKS, (DISTRICTS, _with(PROBS, 1, 0, 12), LIST)),
    "probability_date": (udfs.TILDELING_INDEKS, (DISTRICTS, _with(PROBS, 1, 0, dt.date(2024, 5, 1)), LIST)),
    "probability_bool": (udfs.TILDELING_NOEGLE, (DISTRICTS, _with(PROBS, 1, 0, True), LIST)),
    "no_pupils": (udfs.TILDELING_NOEGLE, ([[None]], [[None]], LIST)),
    "empty_district_list": (udfs.TILDELING_NOEGLE, (DISTRICTS, PROBS, [[None]])),
    "district_list_2d": (udfs.TILDELING_NOEGLE, (DISTRICTS, PROBS, [["1", "2"], ["3", "4"]])),
    "lengths_differ": (udfs.TILDELING_INDEKS, (DISTRICTS, PROBS[:2], LIST)),
    # budget
    "total_none": (udfs.TILDELING_BUDGET, (None, [[1]])),
    "total_ambiguous_text": (udfs.TILDELING_BUDGET, ("1.234.5", [[1]])),
    "total_words": (udfs.TILDELING_BUDGET, ("fem millioner", [[1]])),
    "total_date": (udfs.TILDELING_BUDGET, (dt.datetime(2025, 1, 1), [[1]])),
    "total_nan": (udfs.TILDELING_BUDGET, (math.nan, [[1]])),
    "total_inf": (udfs.TILDELING_BUDGET, (math.inf, [[1]])),
    "total_huge": (udfs.TILDELING_BUDGET, (1e300, [[1], [2]])),
    "total_negative": (udfs.TILDELING_BUDGET, (-100, [[1]])),
    "total_error_text": (udfs.TILDELING_BUDGET, ("#DIV/0!", [[1]])),
    "total_range": (udfs.TILDELING_BUDGET, ([[1, 2]], [[1]])),
    "key_all_zero": (udfs.TILDELING_BUDGET, (1000, [[0], [0], [0]])),
    "key_nan": (udfs.TILDELING_BUDGET, (1000, [[0.5], [math.nan]])),
    "key_bool": (udfs.TILDELING_BUDGET, (1000, [[True], [0.5]])),
    "key_negative": (udfs.TILDELING_BUDGET, (1000, [[0.5], [-0.1]])),
    "key_text": (udfs.TILDELING_BUDGET, (1000, [[0.5], ["halvdelen"]])),
    "key_error_text": (udfs.TILDELING_BUDGET, (1000, [[0.5], ["#N/A"]])),
    "key_2d": (udfs.TILDELING_BUDGET, (1000, [[0.5, 0.5], [0.5, 0.5]])),
    "order_length": (udfs.TILDELING_BUDGET, (1000, [[0.5], [0.5]], [["1"]])),
    "order_blank": (udfs.TILDELING_BUDGET, (1000, [[0.5], [0.5]], [["1"], [None]])),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_every_bad_argument_is_a_danish_text(case):
    fn, args = BAD_CALLS[case]
    out = fn(*args)
    assert _is_danish_error(out), (case, out)


def test_all_zero_probabilities_say_why():
    out = udfs.TILDELING_NOEGLE(DISTRICTS, [[0], [0], [0], [0]], LIST)
    assert "alle sandsynligheder er 0" in out


def test_dates_and_error_values_say_what_they_are():
    assert "dato" in udfs.TILDELING_BUDGET(dt.datetime(2025, 1, 1), [[1]])
    assert "fejlværdien '#DIV/0!'" in udfs.TILDELING_BUDGET("#DIV/0!", [[1]])
    assert "urimeligt stort" in udfs.TILDELING_BUDGET(1e300, [[1], [2]])


# ------------------------------------------------------------------------------------------- numbers as text
@pytest.mark.parametrize("total, kroner", [("2.500.000,75", 2_500_001), ("2500000.75", 2_500_001),
                                           ("2,500,000.75", 2_500_001), ("36.600", 36_600), ("36600", 36_600),
                                           ("50.000.000 kr.", 50_000_000)])
def test_budget_total_as_text_is_never_scaled(total, kroner):
    out = udfs.TILDELING_BUDGET(total, [[1], [1]])
    assert isinstance(out, list) and sum(r[0] for r in out) == kroner, out


def test_key_and_probabilities_as_text():
    assert udfs.TILDELING_BUDGET(100, [["0,5"], ["0.25"], ["0,25"]]) == [[50], [25], [25]]
    text_probs = [["0,1"], ["0.2"], ["0,3"], ["0.4"]]
    assert udfs.TILDELING_INDEKS(DISTRICTS, text_probs, LIST) == udfs.TILDELING_INDEKS(DISTRICTS, PROBS, LIST)
    pupils = _with(PUPILS, 1, 1, "1,0")
    assert udfs.TILDELING_SANDSYNLIGHED(COEFS, pupils) == udfs.TILDELING_SANDSYNLIGHED(COEFS, PUPILS)


def test_good_results_are_finite_numbers():
    for out in (udfs.TILDELING_SANDSYNLIGHED(COEFS, PUPILS), udfs.TILDELING_INDEKS(DISTRICTS, PROBS, LIST),
                udfs.TILDELING_NOEGLE(DISTRICTS, PROBS, LIST), udfs.TILDELING_BUDGET(1000, [[1], [2]])):
        assert _finite_numbers(out), out


def test_a_result_that_would_be_nan_is_a_danish_text(monkeypatch):
    """The last guard: whatever the cause, a NaN or infinity never reaches a cell."""
    monkeypatch.setattr(udfs, "allocation_key", lambda *a: [[math.nan], [0.5]])
    out = udfs.TILDELING_NOEGLE(DISTRICTS, PROBS, LIST)
    assert _is_danish_error(out) and "ugyldigt tal" in out


def test_an_unexpected_exception_is_a_danish_text(monkeypatch):
    def boom(*args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(udfs, "budget_split", boom)
    out = udfs.TILDELING_BUDGET(100, [[1]])
    assert out.startswith("#TILDELING: uventet fejl")
