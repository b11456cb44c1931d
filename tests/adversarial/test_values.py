"""Hostile values: Excel error values in every cell form, numbers as text, dates and times where a number
belongs, overflowing magnitudes, dates out of range, hostile rule expressions, rows pasted below a table,
outliers, and duplicate table names after a renamed sheet. Nothing is read silently wrong: a value is read
correctly, or the run stops with a Danish message naming sheet, column and row and leaves the file as it was.
"""

from __future__ import annotations

import re

import pytest

from wbtools import table

from .checks import assert_refused, digest
from .hostile import (add_shared_string, add_style, append_rows_below, name_cell, put, put_name, read_parts,
                      rename_sheet, rewrite, set_cell, table_cell, table_names)

FLOOR = "Gulv (kr.)"


def _row(ref: str) -> int:
    return int(re.search(r"\d+", ref).group())


# ------------------------------------------------------------------------------------------- error values
ERROR_FORMS = {
    "typed": lambda ref: f'<c r="{ref}" t="e"><v>#REF!</v></c>',
    "typed_with_style": lambda ref: f'<c r="{ref}" s="1" t="e"><v>#REF!</v></c>',
    "attributes_in_another_order": lambda ref: f'<c t="e" s="1" r="{ref}"><v>#REF!</v></c>',
    "single_quotes": lambda ref: f"<c r='{ref}' t='e'><v>#REF!</v></c>",
    "formula_with_cached_error": lambda ref: f'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    "libreoffice_formula": lambda ref: f'<c r="{ref}" s="0" t="e"><f aca="false">#REF!</f><v>#REF!</v></c>',
    "inline_string": lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>#N/A</t></is></c>',
    "formula_without_value": lambda ref: f'<c r="{ref}"><f>B3*1000</f></c>',
}
SHOWN = {"formula_with_cached_error": "#DIV/0!", "inline_string": "#N/A", "formula_without_value": "ingen beregnet værdi"}


@pytest.mark.parametrize("form", sorted(ERROR_FORMS))
def test_error_value_in_a_floor_is_never_no_floor(form, need_book, cli):
    """Today a #REF! in a floor silently became 'no floor'; in every form it now stops the run."""
    part, ref = table_cell(need_book, "tblDistrikter", FLOOR, 2)
    put(need_book, "tblDistrikter", FLOOR, 2, ERROR_FORMS[form])
    before = digest(need_book)
    result = cli("run", need_book)
    assert_refused(result, "Arket 'Distrikter'", f"kolonne '{FLOOR}'", f"række {_row(ref)}",
                   SHOWN.get(form, "#REF!"))
    assert digest(need_book) == before


def test_error_after_formatted_blank_cells(need_book, cli):
    """Formatted blank cells (``<c r=".." s="1"/>``) before the error cell in the same row."""
    part, ref = table_cell(need_book, "tblDistrikter", FLOOR, 3)
    col = ref.rstrip("0123456789")
    prev = chr(ord(col) - 1) + str(_row(ref))

    def change(parts):
        data = set_cell(parts[part], prev, f'<c r="{prev}" s="1"/>')
        parts[part] = set_cell(data, ref, f'<c r="{ref}" s="1" t="e"><v>#REF!</v></c>')

    rewrite(need_book, change)
    before = digest(need_book)
    assert_refused(cli("run", need_book), f"kolonne '{FLOOR}'", f"række {_row(ref)}", "#REF!")
    assert digest(need_book) == before


def test_error_cell_without_a_reference(need_book, cli):
    """A cell written without ``r`` (allowed by the format) takes its place from the cell before it."""
    part, ref = table_cell(need_book, "tblDistrikter", FLOOR, 2)
    col = ref.rstrip("0123456789")
    prev = chr(ord(col) - 1) + str(_row(ref))

    def change(parts):
        data = set_cell(parts[part], prev, f'<c r="{prev}" s="1"/>')
        parts[part] = set_cell(data, ref, '<c t="e"><v>#NUM!</v></c>')

    rewrite(need_book, change)
    before = digest(need_book)
    assert_refused(cli("run", need_book), f"kolonne '{FLOOR}'", f"række {_row(ref)}", "#NUM!")
    assert digest(need_book) == before


def test_error_as_a_shared_string(need_book, cli):
    part, ref = table_cell(need_book, "tblDistrikter", FLOOR, 1)

    def change(parts):
        k = add_shared_string(parts, "#REF!")
        parts[part] = set_cell(parts[part], ref, f'<c r="{ref}" t="s"><v>{k}</v></c>')

    rewrite(need_book, change)
    before = digest(need_book)
    assert_refused(cli("run", need_book), f"kolonne '{FLOOR}'", f"række {_row(ref)}", "#REF!")
    assert digest(need_book) == before


def test_error_in_a_setting_and_in_a_deleted_reference(need_book, cli):
    part, ref = name_cell(need_book, "SamletBudget")
    put_name(need_book, "SamletBudget", lambda r: f'<c r="{r}" s="2" t="e"><v>#VALUE!</v></c>')
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Indstillinger", f"celle {ref}", "SamletBudget", "#VALUE!")
    assert digest(need_book) == before

    def deleted(parts):  # the cell the name pointed at was deleted: Excel writes #REF! into the name
        wb = parts["xl/workbook.xml"].decode()
        parts["xl/workbook.xml"] = re.sub(r'(<definedName name="Elevtalsvaegt">)[^<]+', r"\1Indstillinger!#REF!",
                                          wb).encode()

    rewrite(need_book, deleted)
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Elevtalsvaegt", "#REF!", "#VALUE!")
    assert digest(need_book) == before


def test_error_in_a_pupil_column(need_book, cli):
    part, ref = table_cell(need_book, "tblElever", "alder", 7)
    put(need_book, "tblElever", "alder", 7, lambda r: f'<c r="{r}" s="3" t="e"><v>#N/A</v></c>')
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Arket 'Elever'", "kolonne 'alder'", f"række {_row(ref)}", "#N/A")
    assert digest(need_book) == before


def test_error_in_an_absence_table(absence_book, cli):
    part, ref = table_cell(absence_book, "tblFravaer", "Ulovligt fravær", 4)
    put(absence_book, "tblFravaer", "Ulovligt fravær", 4, lambda r: f'<c r="{r}" t="e"><v>#DIV/0!</v></c>')
    before = digest(absence_book)
    assert_refused(cli("absence", absence_book), "Arket 'Fravær'", "kolonne 'Ulovligt fravær'", f"række {_row(ref)}",
                   "#DIV/0!")
    assert digest(absence_book) == before


# ------------------------------------------------------------------------------------------- numbers as text
def _text(value: str):
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


@pytest.mark.parametrize("typed, kroner", [("36.600", 36_600), ("36.600,00", 36_600), ("2.500.000,75", 2_500_001),
                                           ("2500000.75", 2_500_001), ("2 500 000", 2_500_000),
                                           ("40000", 40_000), ("40.000 kr.", 40_000)])
def test_floor_as_text_is_read_correctly(typed, kroner, need_book, cli):
    put(need_book, "tblDistrikter", FLOOR, 1, _text(typed))
    put_name(need_book, "SamletBudget", lambda r: f'<c r="{r}"><v>20000000</v></c>')
    assert cli("run", need_book, "--quiet").code == 0
    alloc = table(need_book, "tblFordeling")
    assert alloc[FLOOR].iloc[0] == kroner


@pytest.mark.parametrize("typed, kroner", [("2.500.000,75", 2_500_001), ("2500000.75", 2_500_001),
                                           ("2,500,000.75", 2_500_001), ("12.000.000", 12_000_000),
                                           ("12000000", 12_000_000)])
def test_total_budget_as_text_is_never_scaled(typed, kroner, need_book, cli):
    put_name(need_book, "SamletBudget", _text(typed))
    assert cli("run", need_book, "--quiet").code == 0
    alloc = table(need_book, "tblFordeling")
    assert alloc["Budget (kr.)"].sum() == kroner


@pytest.mark.parametrize("typed", ["1.234.5", "12,34,56", "ca. 5 mio.", "2.5.2024"])
def test_ambiguous_or_wrong_number_text_is_rejected(typed, need_book, cli):
    ref = name_cell(need_book, "SamletBudget")[1]
    put_name(need_book, "SamletBudget", _text(typed))
    before = digest(need_book)
    assert_refused(cli("run", need_book), f"celle {ref}", "SamletBudget", f"'{typed}'", "ikke et tal")
    assert digest(need_book) == before


def test_percent_as_text_in_the_head_count_weight(need_book, cli):
    put_name(need_book, "Elevtalsvaegt", _text("20 %"))
    assert cli("run", need_book, "--quiet").code == 0
    alloc = table(need_book, "tblFordeling")
    assert "Blandet nøgle" in alloc.columns


def test_pupil_numbers_as_text(need_book, cli):
    """'10,5' and '10.5' are the same age; '1.000' would be a thousand (and an outlier warning)."""
    put(need_book, "tblElever", "alder", 1, _text("10,5"))
    put(need_book, "tblElever", "alder", 2, _text("10.5"))
    result = cli("run", need_book, "--quiet")
    assert result.code == 0, result


# ------------------------------------------------------------------------------------------- dates, times, magnitudes
def _styled(num_fmt_id: int, value: str):
    def make(path):
        part, ref = name_cell(path, "SamletBudget")

        def change(parts):
            s = add_style(parts, num_fmt_id)
            parts[part] = set_cell(parts[part], ref, f'<c r="{ref}" s="{s}"><v>{value}</v></c>')

        rewrite(path, change)
    return make


@pytest.mark.parametrize("num_fmt, value, word", [(14, "45292", "dato"), (21, "0.5", "klokkeslæt"),
                                                  (22, "45292.5", "dato")])
def test_date_or_time_in_a_numeric_setting(num_fmt, value, word, need_book, cli):
    _styled(num_fmt, value)(need_book)
    before = digest(need_book)
    assert_refused(cli("run", need_book), "SamletBudget", word)
    assert digest(need_book) == before


@pytest.mark.parametrize("where", ["total", "floor", "pupil", "phase_in"])
def test_overflowing_magnitudes(where, need_book, cli):
    huge = lambda ref: f'<c r="{ref}"><v>1E+300</v></c>'  # noqa: E731
    if where == "total":
        put_name(need_book, "SamletBudget", huge)
    elif where == "floor":
        put(need_book, "tblDistrikter", FLOOR, 2, huge)
    elif where == "pupil":
        put(need_book, "tblElever", "alder", 3, huge)
    else:
        put_name(need_book, "Indfasningsaar", huge)
    before = digest(need_book)
    assert_refused(cli("run", need_book), "stor")
    assert digest(need_book) == before


def _inline(value):
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


@pytest.mark.parametrize("value, year", [("1600-01-01", "1600"), ("3024-05-01", "3024"), ("01-02-3024", "3024")])
def test_event_dates_out_of_range(value, year, absence_book, cli):
    part, ref = table_cell(absence_book, "tblSocial", "Dato", 2)
    put(absence_book, "tblSocial", "Dato", 2, _inline(value))
    before = digest(absence_book)
    assert_refused(cli("absence", absence_book), "Arket 'Social'", "kolonne 'Dato'", f"række {_row(ref)}",
                   f"året {year}")
    assert digest(absence_book) == before


def test_month_out_of_range_and_a_date_serial_number(absence_book, cli):
    part, ref = table_cell(absence_book, "tblFravaer", "Måned", 3)
    put(absence_book, "tblFravaer", "Måned", 3, _inline("3024-09"))
    before = digest(absence_book)
    assert_refused(cli("absence", absence_book), "kolonne 'Måned'", f"række {_row(ref)}", "året 3024")
    assert digest(absence_book) == before


# ------------------------------------------------------------------------------------------- rules
def _rule(absence_book, condition: str | None = None, priority=None):
    if condition is not None:
        put(absence_book, "tblSegmentering", "Betingelse", 1, _inline(condition.replace("<", "&lt;")
                                                                   .replace(">", "&gt;")))
    if priority is not None:
        put(absence_book, "tblSegmentering", "Prioritet", 1, lambda ref: f'<c r="{ref}"><v>{priority}</v></c>')
    return table_cell(absence_book, "tblSegmentering", "Betingelse", 1)[1]


@pytest.mark.parametrize("condition, word", [
    ("(" * 400 + "[Skoleskift] > 0" + ")" * 400, "parenteser"),
    ("ikke " * 300 + "[Skoleskift]", "parenteser"),
    (" og ".join(["[Skoleskift] > 0"] * 400), "for lang"),
    ("[Skoleskift] > " + "9" * 400, "for stort"),
], ids=["nested_parentheses", "nested_not", "huge", "huge_number"])
def test_hostile_rule_expressions(condition, word, absence_book, cli):
    ref = _rule(absence_book, condition)
    before = digest(absence_book)
    assert_refused(cli("absence", absence_book), "Arket 'Segmentering'", "kolonne 'Betingelse'",
                   f"række {_row(ref)}", word)
    assert digest(absence_book) == before


@pytest.mark.parametrize("priority, word", [("1E+30", "urimeligt stort"), ("-9.3E+18", "urimeligt stort"),
                                            ("2147483648", "helt tal fra 1 til 1.000.000"), ("2.5", "helt tal")])
def test_priority_beyond_the_integer_range(priority, word, absence_book, cli):
    part, ref = table_cell(absence_book, "tblSegmentering", "Prioritet", 1)
    _rule(absence_book, priority=priority)
    before = digest(absence_book)
    assert_refused(cli("absence", absence_book), "kolonne 'Prioritet'", f"række {_row(ref)}", word)
    assert digest(absence_book) == before


# ------------------------------------------------------------------------------------------- pasted rows, outliers
def test_rows_pasted_below_the_pupil_table(need_book, cli):
    pupils = table(need_book, "tblElever")
    extra = [list(pupils.iloc[0].fillna("").to_numpy()), list(pupils.iloc[1].fillna("").to_numpy())]
    extra[0][0], extra[1][0] = "NY1", "NY2"
    rows = append_rows_below(need_book, "tblElever", extra)
    result = cli("run", need_book, "--quiet")
    assert result.code == 0, result
    assert "Advarsel" in result.err and f"rækkerne {rows[0]} og {rows[1]}" in result.err
    assert "tblElever" in result.err and "ikke er brugt" in result.err
    log = table(need_book, "tblKoerselslog")
    assert any(f"rækkerne {rows[0]} og {rows[1]}" in str(v) for v in log["Værdi"])


def test_rows_pasted_below_a_district_and_an_absence_table(need_book, absence_book, cli):
    rows = append_rows_below(need_book, "tblDistrikter", [["99", "Nyt distrikt"]])
    result = cli("run", need_book, "--quiet")
    assert result.code == 0 and f"række {rows[0]}" in result.err and "tblDistrikter" in result.err
    rows = append_rows_below(absence_book, "tblSkoler", [["Ny skole", 300]])
    result = cli("absence", absence_book, "--quiet")
    assert result.code == 0 and f"række {rows[0]}" in result.err and "tblSkoler" in result.err


def test_outlier_in_a_pupil_variable_is_a_warning_with_row_and_value(need_book, cli):
    part, ref = table_cell(need_book, "tblElever", "alder", 5)
    put(need_book, "tblElever", "alder", 5, lambda r: f'<c r="{r}"><v>999</v></c>')
    part2, ref2 = table_cell(need_book, "tblElever", "elev_laege", 9)
    put(need_book, "tblElever", "elev_laege", 9, lambda r: f'<c r="{r}"><v>4000</v></c>')
    result = cli("run", need_book, "--quiet")
    assert result.code == 0, result
    assert f"kolonne 'alder': usædvanlige værdier – række {_row(ref)} (999)" in result.err
    assert f"kolonne 'elev_laege': usædvanlige værdier – række {_row(ref2)} (4000)" in result.err


def test_no_outlier_warnings_on_clean_data(need_book, cli):
    result = cli("run", need_book, "--quiet")
    assert result.code == 0 and "usædvanlige" not in result.err


# ------------------------------------------------------------------------------------------- duplicate table names
@pytest.mark.parametrize("sheet", ["Fordeling", "Distriktsbehov"])
def test_rerun_after_renaming_a_result_sheet(sheet, need_book, cli):
    assert cli("run", need_book, "--quiet").code == 0
    rename_sheet(need_book, sheet, f"{sheet} 2024")
    result = cli("run", need_book, "--quiet")
    assert result.code == 0, result
    names = table_names(need_book)
    assert len({n.lower() for n in names}) == len(names), names
    wb = read_parts(need_book)["xl/workbook.xml"].decode()
    assert f'name="{sheet} 2024"' in wb and f'name="{sheet}"' in wb
    assert "omdøbt" in result.err
    log = table(need_book, "tblKoerselslog")
    assert any(f"{sheet} 2024" in str(v) and "omdøbt til" in str(v) for v in log["Værdi"])
    # and the file is still a workbook every reader accepts, a third run too
    assert cli("run", need_book, "--quiet").code == 0
    names = table_names(need_book)
    assert len({n.lower() for n in names}) == len(names), names


# ------------------------------------------------------------------------------------------- odd cells
def test_a_very_long_text_is_cut_in_the_message(need_book, cli):
    part, ref = table_cell(need_book, "tblElever", "alder", 2)
    put(need_book, "tblElever", "alder", 2, _text("x" * 100_000))
    before = digest(need_book)
    result = cli("run", need_book)
    assert_refused(result, "kolonne 'alder'", f"række {_row(ref)}", "…")
    assert len(result.err) < 2_000
    assert digest(need_book) == before


def test_true_and_false_in_a_zero_one_column(need_book, cli):
    put(need_book, "tblElever", "pige", 1, lambda r: f'<c r="{r}" t="b"><v>1</v></c>')
    put(need_book, "tblElever", "pige", 2, lambda r: f'<c r="{r}" t="b"><v>0</v></c>')
    assert cli("run", need_book, "--quiet").code == 0


def test_duplicate_column_headers_in_a_table(need_book, cli):
    """A table whose header names a column twice (zip surgery; Excel itself would refuse)."""
    def change(parts):
        for name, data in list(parts.items()):
            if name.startswith("xl/tables/") and b'displayName="tblDistrikter"' in data:
                parts[name] = data.replace(b'name="Navn"', b'name="Distrikt"', 1)
    part, ref = table_cell(need_book, "tblDistrikter", "Navn", 1)
    header = ref[:-len(str(_row(ref)))] + str(_row(ref) - 1)
    rewrite(need_book, change)
    rewrite(need_book, lambda parts: parts.__setitem__(part, set_cell(
        parts[part], header, f'<c r="{header}" t="inlineStr"><is><t>Distrikt</t></is></c>')))
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Arket 'Distrikter'", "'Distrikt' står flere gange")
    assert digest(need_book) == before


def test_error_values_in_result_tables_do_not_stop_a_rerun(need_book, cli):
    """Only the tables a run reads are checked: a #REF! or an uncalculated formula in a result is replaced."""
    assert cli("run", need_book, "--quiet").code == 0
    put(need_book, "tblFordeling", "Budget (kr.)", 1, lambda r: f'<c r="{r}" t="e"><v>#REF!</v></c>')
    put(need_book, "tblDistriktsbehov", "Indeks", 2, lambda r: f'<c r="{r}"><f>1/0</f></c>')
    result = cli("run", need_book, "--quiet")
    assert result.code == 0, result
    assert table(need_book, "tblFordeling")["Budget (kr.)"].sum() == 10_000_000
