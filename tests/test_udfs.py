"""The worksheet functions: as plain functions (hand-calculated) and through xlwings' conversion layer."""

from __future__ import annotations

import asyncio
import importlib.util
import math

# XLWINGS_LICENSE_KEY for the remote engine is set in conftest.py

import pytest  # noqa: E402

from tildeling.xl import udfs  # noqa: E402

UDF_NAMES = ["TILDELING_SANDSYNLIGHED", "TILDELING_INDEKS", "TILDELING_NOEGLE", "TILDELING_BUDGET"]

# Two variables: numeric 'alder', categorical 'mor_sigtet' (reference 'Ikke sigtet')
COEFS = [
    ["Variabel", "Kategori", "Koefficient", "Type", "Reference"],
    ["Konstant", None, -2.0, None, None],
    ["alder", None, 0.5, "numerisk", None],
    ["mor_sigtet", "Sigtet", 1.0, "kategorisk", "Ikke sigtet"],
]
PUPILS = [
    ["ElevID", "alder", "mor_sigtet"],
    ["a", 1.0, "Sigtet"],        # logit -2 + 0.5 + 1 = -0.5
    ["b", 2.0, "Ikke sigtet"],   # logit -2 + 1     = -1.0
    ["c", 0.0, "Ikke sigtet"],   # logit -2         = -2.0
]


def expit(x):
    return 1 / (1 + math.exp(-x))


# ------------------------------------------------------------------------------------------------
# Plain functions
# ------------------------------------------------------------------------------------------------
def test_probability_by_hand():
    out = udfs.TILDELING_SANDSYNLIGHED(COEFS, PUPILS)
    assert [r[0] for r in out] == pytest.approx([expit(-0.5), expit(-1.0), expit(-2.0)], abs=1e-15)


def test_probability_keeps_blank_rows_in_place():
    pupils = PUPILS[:2] + [[None, None, None]] + PUPILS[2:]
    out = udfs.TILDELING_SANDSYNLIGHED(COEFS, pupils)
    assert len(out) == 4 and out[1] == [""]
    assert out[2][0] == pytest.approx(expit(-1.0))


def test_probability_unknown_category_is_a_danish_error_text():
    pupils = PUPILS + [["d", 3.0, "X"]]
    out = udfs.TILDELING_SANDSYNLIGHED(COEFS, pupils)
    assert isinstance(out, str) and out.startswith("#TILDELING: ukendt kategori 'X'")
    assert "kolonne 'mor_sigtet', række 5 i elevområdet" in out


def test_probability_text_in_numeric_column():
    pupils = PUPILS[:2] + [["b", "to", "Ikke sigtet"]]
    out = udfs.TILDELING_SANDSYNLIGHED(COEFS, pupils)
    assert out.startswith("#TILDELING: tekst ('to')") and "kolonne 'alder', række 3" in out


def test_probability_bad_coefficients():
    coefs = [row[:2] for row in COEFS]
    out = udfs.TILDELING_SANDSYNLIGHED(coefs, PUPILS)
    assert out.startswith("#TILDELING: mangler kolonnen 'Koefficient'") and "koefficientområdet" in out


DISTRICTS = [["1"], [2.0], ["1"], ["2"], [None]]   # 2.0 from Excel is district "2"
PROBS = [[0.1], [0.2], [0.3], [0.4], [None]]       # means: d1 0.2, d2 0.3; overall 0.25


def test_index_by_hand():
    out = udfs.TILDELING_INDEKS(DISTRICTS, PROBS, [["1"], ["2"], ["3"]])
    assert [r[0] for r in out] == pytest.approx([80.0, 120.0, 0.0])


def test_key_by_hand_and_row_orientation():
    out = udfs.TILDELING_NOEGLE(DISTRICTS, PROBS, [["2", "1"]])
    assert len(out) == 1 and out[0] == pytest.approx([0.6, 0.4])  # 0.6/1.0 and 0.4/1.0


def test_index_and_key_errors():
    assert "ukendt distrikt '7'" in udfs.TILDELING_INDEKS([["7"]], [[0.1]], [["1"]])
    assert "mellem 0 og 1" in udfs.TILDELING_NOEGLE([["1"]], [[1.5]], [["1"]])
    assert "lige lange" in udfs.TILDELING_NOEGLE([["1"], ["1"]], [[0.5]], [["1"]])
    assert "flere gange" in udfs.TILDELING_INDEKS([["1"]], [[0.5]], [["1"], [1]])
    assert "mangler for elev nr. 2" in udfs.TILDELING_INDEKS([["1"], [None]], [[0.5], [0.2]], [["1"]])


def test_budget_largest_remainder_by_hand():
    # 100 kr. by thirds: 33 each and one krone left, to the first (position) …
    assert udfs.TILDELING_BUDGET(100, [[1 / 3], [1 / 3], [1 / 3]]) == [[34], [33], [33]]
    # … or to the lowest district code when codes are given
    assert udfs.TILDELING_BUDGET(100, [[1 / 3], [1 / 3], [1 / 3]], [["3"], ["2"], ["1"]]) == [[33], [33], [34]]
    # 1,000 kr. by 0.5/0.3/0.2 with a half krone total rounded up: 1.001 kr.
    out = udfs.TILDELING_BUDGET(1000.5, [[0.5, 0.3, 0.2]])
    assert out == [[501, 300, 200]] and sum(out[0]) == 1001


def test_budget_matches_the_core():
    from tildeling.need.budget import largest_remainder

    key = [0.184, 0.2311, 0.0777, 0.3, 0.2072]
    assert [r[0] for r in udfs.TILDELING_BUDGET(5_000_003, [[k] for k in key])] == \
        largest_remainder(key, 5_000_003).tolist()


def test_budget_errors():
    assert udfs.TILDELING_BUDGET(-5, [[1]]).startswith("#TILDELING: ")
    assert "negativt" in udfs.TILDELING_BUDGET(-5, [[1]])
    assert "tom celle" in udfs.TILDELING_BUDGET(100, [[0.5], [None]])
    assert "et tal" in udfs.TILDELING_BUDGET("mange", [[1]])


def test_names_docs_and_no_vba_keywords():
    vba_keywords = {"double", "integer", "string", "long", "date", "function", "sub", "end", "next", "for",
                    "if", "then", "else", "print", "open", "close", "name", "type", "set", "let", "get", "put"}
    for name in UDF_NAMES:
        f = getattr(udfs, name)
        assert f.__doc__ and len(f.__doc__) <= 255, name  # the classic add-in cuts descriptions at 255
        assert name.isascii() and name.lower() not in vba_keywords
        for arg in f.__code__.co_varnames[:f.__code__.co_argcount]:
            assert arg.isascii() and arg.lower() not in vba_keywords, arg


# ------------------------------------------------------------------------------------------------
# Through xlwings' conversion layer (the xlwings Server decorators)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server_module():
    """tildeling.xl.udfs decorated by xlwings' server decorators (as with XLWINGS_ON_SERVER=true)."""
    xw = pytest.importorskip("xlwings")
    try:
        import xlwings.server as srv
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"xlwings.server is not available: {exc}")
    saved = (xw.func, xw.arg, xw.ret)
    xw.func, xw.arg, xw.ret = srv.func, srv.arg, srv.ret
    try:
        spec = importlib.util.spec_from_file_location("tildeling.xl._udfs_on_server", udfs.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        xw.func, xw.arg, xw.ret = saved
    return srv, module


def _call(server_module, name, *args):
    import xlwings as xw

    srv, module = server_module
    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "caller_address": "Ark1!A1", "culture_info_name": "da-DK", "date_format": "dd-mm-yyyy"}
    return asyncio.run(srv.custom_functions_call(data, module))


def test_server_names_and_descriptions(server_module):
    srv, module = server_module
    meta = {f["id"]: f for f in srv.custom_functions_meta(module)["functions"]}
    assert set(meta) == set(UDF_NAMES)
    assert {f["name"] for f in meta.values()} == {"TILDELING.SANDSYNLIGHED", "TILDELING.INDEKS",
                                                  "TILDELING.NOEGLE", "TILDELING.BUDGET"}
    f = meta["TILDELING_BUDGET"]
    assert f["description"].startswith("Fordeler det samlede budget i hele kroner")
    assert [p["name"] for p in f["parameters"]] == ["samlet_budget", "noegle", "raekkefoelge"]
    assert f["parameters"][2].get("optional") is True
    assert f["parameters"][0]["description"].startswith("Det samlede budget i kroner")


def test_server_probability(server_module):
    out = _call(server_module, "TILDELING_SANDSYNLIGHED", COEFS, PUPILS)
    assert [r[0] for r in out] == pytest.approx([expit(-0.5), expit(-1.0), expit(-2.0)])


def test_server_index_key_and_budget(server_module):
    assert [r[0] for r in _call(server_module, "TILDELING_INDEKS", DISTRICTS, PROBS, [["1"], ["2"]])] == \
        pytest.approx([80.0, 120.0])
    key = _call(server_module, "TILDELING_NOEGLE", DISTRICTS, PROBS, [["1"], ["2"]])
    assert [r[0] for r in key] == pytest.approx([0.4, 0.6])
    # the scalar total arrives as a 1×1 range and the optional tie-break order is left out
    assert _call(server_module, "TILDELING_BUDGET", [[100]], [[1 / 3], [1 / 3], [1 / 3]]) == [[34], [33], [33]]


def test_server_error_text(server_module):
    out = _call(server_module, "TILDELING_SANDSYNLIGHED", COEFS, PUPILS + [["d", 3.0, "X"]])
    assert out == [["#TILDELING: ukendt kategori 'X'. Tilladte værdier: 'Sigtet' og 'Ikke sigtet'. "
                    "(kolonne 'mor_sigtet', række 5 i elevområdet)"]]
