"""All input problems at once: one run reports up to 20, each with sheet, column and row.

Before, a file with four errors needed four runs. The CLI, the macros (message box) and the worksheet
functions (one ``#TILDELING:`` text) show them all.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tildeling.errors import MAX_PROBLEMS, InputError, InputErrors, Problems, Source

from .checks import assert_refused, digest
from .hostile import name_cell, put, put_name, table_cell


def _row(ref: str) -> int:
    return int(re.search(r"\d+", ref).group())


def _text(value):
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if re.match(r"\s+\d+\. ", line)]


# ------------------------------------------------------------------------------------------- end to end
def test_four_errors_in_four_places_in_one_run(need_book, cli):
    _, age = table_cell(need_book, "tblElever", "alder", 3)
    put(need_book, "tblElever", "alder", 3, _text("ti"))
    _, district = table_cell(need_book, "tblElever", "Distrikt", 8)
    put(need_book, "tblElever", "Distrikt", 8, _text("99"))
    _, floor = table_cell(need_book, "tblDistrikter", "Gulv (kr.)", 2)
    put(need_book, "tblDistrikter", "Gulv (kr.)", 2, lambda r: f'<c r="{r}" t="e"><v>#REF!</v></c>')
    total = name_cell(need_book, "SamletBudget")[1]
    put_name(need_book, "SamletBudget", _text("mange penge"))
    before = digest(need_book)
    result = cli("run", need_book)
    assert_refused(result, "Der er 4 problemer")
    lines = _problem_lines(result.err)
    assert len(lines) == 4, result.err
    expected = [("Arket 'Elever'", "kolonne 'alder'", f"række {_row(age)}", "'ti'"),
                ("Arket 'Elever'", "kolonne 'Distrikt'", f"række {_row(district)}", "ukendt distrikt '99'"),
                ("Arket 'Distrikter'", "kolonne 'Gulv (kr.)'", f"række {_row(floor)}", "#REF!"),
                ("Arket 'Indstillinger'", f"celle {total}", "SamletBudget", "'mange penge'")]
    for words in expected:
        assert any(all(w in line for w in words) for line in lines), (words, lines)
    assert digest(need_book) == before


def test_absence_errors_in_several_tables_in_one_run(absence_book, cli):
    cells = {}
    for table, column, k, value in [("tblElever", "Klassetrin", 2, "12"), ("tblFravaer", "Sygefravær", 5, "-3"),
                                    ("tblSocial", "Type", 1, "Ukendt hændelse"),
                                    ("tblSegmentering", "Betingelse", 1, "[Skoleskift] &gt;&gt; 2")]:
        cells[column] = _row(table_cell(absence_book, table, column, k)[1])
        put(absence_book, table, column, k, _text(value))
    before = digest(absence_book)
    result = cli("absence", absence_book)
    assert_refused(result, "Der er 4 problemer")
    lines = _problem_lines(result.err)
    for sheet, column in [("Elever", "Klassetrin"), ("Fravær", "Sygefravær"), ("Social", "Type"),
                          ("Segmentering", "Betingelse")]:
        assert any(f"Arket '{sheet}'" in line and f"kolonne '{column}'" in line and f"række {cells[column]}" in line
                   for line in lines), (column, lines)
    assert digest(absence_book) == before


def test_more_than_twenty_problems_are_capped_and_counted(need_book, cli):
    from tildeling.catalogue import NATIONAL_SPEC
    from tildeling.spec import VarType

    numeric = [v.key for v in NATIONAL_SPEC if v.type in (VarType.NUMERIC, VarType.BINARY)][:25]
    assert len(numeric) == 25
    for key in numeric:
        put(need_book, "tblElever", key, 2, _text("x"))
    before = digest(need_book)
    result = cli("run", need_book)
    assert_refused(result, "Der er 25 problemer", "og 5 problemer mere")
    assert len(_problem_lines(result.err)) == MAX_PROBLEMS
    assert digest(need_book) == before


def test_one_problem_keeps_the_one_line_message(need_book, cli):
    """One problem is still one sentence with sheet, column and row (no numbered list)."""
    _, ref = table_cell(need_book, "tblElever", "alder", 4)
    put(need_book, "tblElever", "alder", 4, _text("ti"))
    result = cli("run", need_book)
    assert_refused(result, "Arket 'Elever'", "kolonne 'alder'", f"række {_row(ref)}")
    assert "problemer" not in result.err and not _problem_lines(result.err)


# ------------------------------------------------------------------------------------------- the boundaries
def test_design_matrix_reports_every_column():
    from tildeling.catalogue import NATIONAL_SPEC
    from tildeling.model.design import design_matrix

    from conftest import random_pupils  # tests/conftest.py: the independent generator

    pupils, _ = random_pupils(50, seed=3)
    pupils = pupils.astype({"alder": object, "pige": object, "mor_sigtet": object})
    pupils.loc[4, "alder"] = "gammel"
    pupils.loc[7, "pige"] = 2
    pupils.loc[9, "mor_sigtet"] = "#N/A"
    with pytest.raises(InputErrors) as info:
        design_matrix(pupils, NATIONAL_SPEC, Source("Elevdata"))
    problems = {p.column: p for p in info.value.problems}
    assert set(problems) == {"alder", "pige", "mor_sigtet"}
    assert problems["alder"].rows == [6] and problems["pige"].rows == [9] and problems["mor_sigtet"].rows == [11]
    assert problems["mor_sigtet"].kind == "excel_error"


def test_budget_options_report_every_problem():
    from tildeling.need.budget import options_from_districts

    districts = pd.DataFrame({"Distrikt": ["1", "2", "3"], "Gulv (kr.)": ["abc", None, "-5"],
                              "Nuværende budget (kr.)": [1e300, 100, None]})
    with pytest.raises(InputErrors) as info:
        options_from_districts(districts, total=-1, head_count_weight=3, phase_in_years=1.5)
    found = [(p.column, p.rows) for p in info.value.problems]
    assert ("Gulv (kr.)", [2]) in found and ("Gulv (kr.)", [4]) in found and ("Nuværende budget (kr.)", [2]) in found
    text = str(info.value)
    assert "SamletBudget" in text and "Elevtalsvaegt" in text and "Indfasningsaar" in text
    assert text.startswith("Der er 6 problemer")


def test_absence_validation_reports_every_table():
    from tildeling.absence import contract as c
    from tildeling.absence.inputs import validate_inputs

    raw = {
        "elever": pd.DataFrame({c.PUPIL: ["a", "b"], c.SCHOOL: ["S", "S"], c.CLASS: ["1A", "1A"],
                                c.GRADE: [1, 15], c.CHANGES: [0, -1]}),
        "fravaer": pd.DataFrame({c.PUPIL: ["a"], c.MONTH: ["2024-13"], c.SCHOOL_DAYS: [20], c.ILLNESS: [1],
                                 c.LAWFUL: [0], c.UNLAWFUL: [0]}),
        "skoler": pd.DataFrame({c.SCHOOL: ["S"], c.SCHOOL_SIZE: [0]}),
        "klasser": pd.DataFrame({c.SCHOOL: ["S"], c.CLASS: ["1A"], c.CLASS_SIZE: [20]}),
        "social": pd.DataFrame({c.PUPIL: ["a"], c.EVENT_TYPE: [c.EVENT_TYPES[0]], c.EVENT_DATE: ["1600-01-01"]}),
        "familie": pd.DataFrame({c.PUPIL: ["a"], c.TOGETHER: [1], c.UNKNOWN_PARENT: [0], c.MOTHER_EMPLOYED: [1],
                                 c.FATHER_EMPLOYED: [None]}),
        "sprog": pd.DataFrame({c.PUPIL: ["a"], c.SECOND_LANGUAGE: ["#REF!"]}),
        "hypoteser": pd.DataFrame({c.HYP_TEXT: ["h"], c.HYP_FACTOR: [c.FACTOR_NAMES[0]],
                                   c.HYP_DIRECTION: [c.DIRECTIONS[0]]}),
        "segmenter": pd.DataFrame({c.SEG_CATEGORY: ["K"], c.SEG_CONDITION: ["[Skoleskift] >"],
                                   c.SEG_PRIORITY: [1]}),
    }
    with pytest.raises(InputErrors) as info:
        validate_inputs(raw)
    columns = {p.column for p in info.value.problems}
    assert {c.GRADE, c.CHANGES, c.MONTH, c.SCHOOL_SIZE, c.EVENT_DATE, c.SECOND_LANGUAGE, c.SEG_CONDITION} <= columns
    assert len(info.value.problems) == 7, str(info.value)


def test_the_collector():
    p = Problems()
    src = Source("Arket 'X' (tabellen tblX)")
    p.add(InputError("fejlværdien '#REF!'", source=src, column="a", rows=[3, 4], kind="excel_error"))
    p.add(InputError("tom celle", source=src, column="a", rows=[4]))          # the same cell again: dropped
    p.add(InputError("tekst", source=src, column="b", rows=[4]))
    p.add(InputError("tekst", source=src, column="b", rows=[4]))              # the same text twice: dropped
    assert len(p) == 2
    for i in range(30):
        p.add(InputError(f"problem {i}", source=src, column="c", rows=[i + 10]))
    assert len(p.items) == MAX_PROBLEMS and p.more == 12
    with pytest.raises(InputErrors) as info:
        p.raise_if_any()
    assert str(info.value).startswith("Der er 32 problemer") and "og 12 problemer mere" in str(info.value)
    one = Problems()
    one.add(InputError("alene", source=src, column="a", rows=[2]))
    with pytest.raises(InputError) as single:
        one.raise_if_any()
    assert not isinstance(single.value, InputErrors)
    assert str(single.value) == "Arket 'X' (tabellen tblX), kolonne 'a', række 2: alene"


# ------------------------------------------------------------------------------------------- macros and functions
def test_worksheet_function_shows_every_problem():
    from tildeling.xl import udfs

    coefs = [["Variabel", "Kategori", "Koefficient", "Type", "Reference"],
             ["Konstant", None, -2.0, None, None],
             ["alder", None, 0.5, "numerisk", None],
             ["pige", None, 0.1, "binær", None]]
    pupils = [["alder", "pige"], ["ti", 0], [3, 7]]
    out = udfs.TILDELING_SANDSYNLIGHED(coefs, pupils)
    assert isinstance(out, str) and out.startswith("#TILDELING: 2 fejl: 1) ")
    assert "kolonne 'alder', række 2" in out and "kolonne 'pige', række 3" in out


def test_macro_message_box_lists_every_problem():
    xw = pytest.importorskip("xlwings")
    if "remote" not in xw.engines.engines_by_name:
        pytest.skip("no remote engine")
    import copy

    import test_xl_macros as tm  # the remote-engine payload of the need-model workbook
    from tildeling.xl import macros
    from tildeling.workbook.need.template import write_template
    from tildeling.synth.national import make_municipality

    m = make_municipality(seed=2016)
    pupils = m.pupils.groupby("Distrikt").head(30).reset_index(drop=True).drop(columns=["Kommune"])
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "behovsmodel.xlsx"
    write_template(path, pupils=pupils, districts=m.districts[["Distrikt", "Navn"]], settings={"Kommune": "By", "SamletBudget": 5_000_000})
    payload = tm.payload_from(path)
    payload["book"]["name"] = path.name
    payload["names"] = tm._names(payload) + tm._list_names(path, payload)
    payload = copy.deepcopy(payload)
    r1 = tm._pupil_cell(payload, "Klassetrin", 3, "tre")
    r2 = tm._pupil_cell(payload, "alder", 5, "#DIV/0!")
    r3 = tm._pupil_cell(payload, "pige", 8, 4)
    book = xw.Book(json=payload)
    macros.validate_data(book)
    text = tm._only_alert(book)
    assert text.startswith("Der er 3 problemer")
    for column, row in [("Klassetrin", r1), ("alder", r2), ("pige", r3)]:
        assert re.search(rf"kolonne '{column}', række {row}\b", text), (column, text)


def test_broken_coefficients_and_a_bad_setting_together(need_book, cli):
    """Without a readable coefficient table the pupils cannot be checked; what can be checked is reported."""
    _, coef = table_cell(need_book, "tblKoefficienter", "Koefficient", 2)
    put(need_book, "tblKoefficienter", "Koefficient", 2, _text("meget"))
    put_name(need_book, "SamletBudget", _text("mange penge"))
    before = digest(need_book)
    result = cli("run", need_book)
    assert_refused(result, "Der er 2 problemer", "Arket 'Koefficienter'", f"række {_row(coef)}", "SamletBudget")
    assert digest(need_book) == before


def test_macro_with_broken_coefficients_is_a_danish_message():
    xw = pytest.importorskip("xlwings")
    if "remote" not in xw.engines.engines_by_name:
        pytest.skip("no remote engine")
    import tempfile
    from pathlib import Path

    import test_xl_macros as tm
    from tildeling.synth.national import make_municipality
    from tildeling.workbook.need import contract as c
    from tildeling.workbook.need.template import write_template
    from tildeling.xl import macros

    m = make_municipality(seed=2016)
    pupils = m.pupils.groupby("Distrikt").head(20).reset_index(drop=True).drop(columns=["Kommune"])
    path = Path(tempfile.mkdtemp()) / "behovsmodel.xlsx"
    write_template(path, pupils=pupils, districts=m.districts[["Distrikt", "Navn"]], settings={"Kommune": "By", "SamletBudget": 5_000_000})
    payload = tm.payload_from(path)
    payload["book"]["name"] = path.name
    payload["names"] = tm._names(payload) + tm._list_names(path, payload)
    sheet = tm._sheet(payload, c.SHEET_COEFS)
    header_row = next(i for i, r in enumerate(sheet["values"]) if "Koefficient" in r)
    sheet["values"][header_row + 2][sheet["values"][header_row].index("Koefficient")] = "meget"
    tm._pupil_cell(payload, "Klassetrin", 3, "tre")
    for macro in (macros.validate_data, macros.compute_allocation, macros.make_shareable_copy):
        book = xw.Book(json=payload)
        macro(book)
        text = tm._only_alert(book)
        assert "Arket 'Koefficienter'" in text and "kolonne 'Koefficient'" in text and "uventet" not in text
