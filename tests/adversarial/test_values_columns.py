"""Numbers as text, column by column: a column tells how its numbers are written.

``"4.562"`` is 4562 the Danish way and 4,562 with a decimal point. Read alone, the Danish reading applies
(Danish Excel); but when other values in the same column are written with a decimal point beyond doubt
(``"15.03"``, ``"0.813"``), reading ``"4.562"`` as 4562 would silently scale it by 1000. Such a value is then
refused with a message (sheet, column, row) – in pupil data, district floors, typed district figures and last
year's figures. A ``;`` CSV file written by a program with a decimal point is read with the decimal point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbtools import municipality, table

from .checks import assert_refused, digest
from .hostile import put, put_name, table_cell

FLOOR = "Gulv (kr.)"


def _text(value: str):
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _row(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit()))


# ------------------------------------------------------------------------------------------- the parser
@pytest.mark.parametrize("column, expected", [
    (["4.562", "2,5"], [4562.0, 2.5]),                 # Danish column: a dot groups thousands
    (["36.600", "250"], [36600.0, 250.0]),             # nothing says otherwise: the Danish reading
    (["1,234", "2"], [1.234, 2.0]),                    # a decimal comma
    (["0.813", "15.03", "17100.0"], [0.813, 15.03, 17100.0]),
    (["2.500.000,75", "3.4"], [2500000.75, 3.4]),      # both unambiguous, whatever the column
])
def test_a_column_is_read_by_its_own_convention(column, expected):
    from tildeling.danish import numbers_column

    assert numbers_column(column) == expected


@pytest.mark.parametrize("column, bad, readings", [
    (["4.562", "15.03"], 0, ["4562", "4,562"]),
    (["0.5", "1,234"], 1, ["1234", "1,234"]),
    (["-4.562", "1.5"], 0, ["-4562", "-4,562"]),
])
def test_an_ambiguous_value_in_a_decimal_point_column_is_refused(column, bad, readings):
    from tildeling.danish import NumberError, numbers_column

    out = numbers_column(column)
    assert isinstance(out[bad], NumberError)
    text = str(out[bad])
    assert "tvetydigt" in text and all(r in text for r in readings)
    assert all(isinstance(x, float) for i, x in enumerate(out) if i != bad)


# ------------------------------------------------------------------------------------------- workbooks
def test_pupil_column_with_decimal_points_refuses_an_ambiguous_value(need_book, cli):
    """'15.03' and '4.562' in the column alder: 4.562 could be 4562 – the run stops and says where."""
    put(need_book, "tblElever", "alder", 1, _text("15.03"))
    put(need_book, "tblElever", "alder", 2, _text("4.562"))
    ref = table_cell(need_book, "tblElever", "alder", 2)[1]
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Elever", "alder", f"række {_row(ref)}", "'4.562'", "tvetydigt")
    assert digest(need_book) == before


def test_floor_column_with_a_decimal_point_refuses_thousands(need_book, cli):
    """'36.600' next to '12500.5' in Gulv (kr.): never 36,6 kr. and never silently 36.600 kr. either."""
    put(need_book, "tblDistrikter", FLOOR, 1, _text("36.600"))
    put(need_book, "tblDistrikter", FLOOR, 2, _text("12500.5"))
    put_name(need_book, "SamletBudget", lambda r: f'<c r="{r}"><v>20000000</v></c>')
    ref = table_cell(need_book, "tblDistrikter", FLOOR, 1)[1]
    before = digest(need_book)
    assert_refused(cli("run", need_book), "Distrikter", FLOOR, f"række {_row(ref)}", "'36.600'", "36600")
    assert digest(need_book) == before


def test_floor_column_written_the_danish_way_is_read_the_danish_way(need_book, cli):
    put(need_book, "tblDistrikter", FLOOR, 1, _text("36.600"))
    put(need_book, "tblDistrikter", FLOOR, 2, _text("12.500,5"))
    put_name(need_book, "SamletBudget", lambda r: f'<c r="{r}"><v>20000000</v></c>')
    assert cli("run", need_book, "--quiet").code == 0
    alloc = table(need_book, "tblFordeling")
    assert list(alloc[FLOOR].iloc[:2]) == [36_600, 12_501]


# ------------------------------------------------------------------------------------------- other tables
def test_typed_district_figures_use_the_one_parser():
    """Distriktstal typed as text: '1.234' pupils is 1234 (Danish), and in a column with decimal points an
    ambiguous value is refused – never 1,234 pupils or 1000 times the expected count."""
    from tildeling.errors import InputError, Source
    from tildeling.need.figures import _numbers, _Problems

    frame = pd.DataFrame({"Elever": ["1.234", "56", "2.000"], "Forventede elever": ["12.5", "3.250", "40.75"]})
    problems = _Problems()
    n, _ = _numbers(frame, "Elever", Source("Arket 'Distriktstal'", first_row=5), problems, whole=True)
    assert list(n) == [1234, 56, 2000] and not problems.items
    e, _ = _numbers(frame, "Forventede elever", Source("Arket 'Distriktstal'", first_row=5), problems, whole=False)
    assert e[0] == 12.5 and np.isnan(e[1]) and e[2] == 40.75
    with pytest.raises(InputError) as exc:
        problems.raise_if_any()
    text = str(exc.value)
    assert "Forventede elever" in text and "række 6" in text and "'3.250'" in text and "tvetydigt" in text


def test_last_year_amounts_are_never_scaled():
    """Budget (kr.) of last year: '2500000.75' is 2.500.000,75 kr. (it used to become 250.000.075 kr.)."""
    from tildeling.errors import Source
    from tildeling.need.development import last_year_from_frame

    frame = pd.DataFrame({"Distrikt": ["1", "2", "3"], "Navn": ["A", "B", "C"], "Elever": ["1.200", "800", "950"],
                          "Behovsnøgle": ["0,4", "0.35", "0,25"],
                          "Budget (kr.)": ["2500000.75", "1.500.000", "1250000"]})
    ly = last_year_from_frame(frame, Source("Arket 'Sidste år'", first_row=5))
    t = ly.table
    assert list(t["Elever"]) == [1200, 800, 950]
    assert list(t["Budget (kr.)"]) == [2_500_000.75, 1_500_000, 1_250_000]


# ------------------------------------------------------------------------------------------- CSV files
@pytest.fixture(scope="module")
def pupil_files(tmp_path_factory):
    from tildeling.io.coefficients import demo_coefficients, write_coefficients

    tmp = tmp_path_factory.mktemp("csvnum")
    pupils, districts = municipality(600)
    pupils.to_parquet(tmp / "elever.parquet", index=False)
    pupils.to_csv(tmp / "punktum.csv", sep=";", index=False)                    # a program: decimal point
    pupils.to_csv(tmp / "komma.csv", sep=";", decimal=",", index=False)         # Danish Excel: decimal comma
    pupils.to_csv(tmp / "ansi.csv", sep=";", decimal=",", index=False, encoding="cp1252")  # 'CSV (semikolon…)'
    districts.to_csv(tmp / "distrikter.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp / "koef.csv")
    return tmp, pupils


@pytest.mark.parametrize("name", ["punktum.csv", "komma.csv", "ansi.csv"])
def test_csv_pupil_files_read_the_same_numbers_as_parquet(name, pupil_files):
    from tildeling.io.tables import read_table

    tmp, pupils = pupil_files
    want, _ = read_table(tmp / "elever.parquet")
    got, _ = read_table(tmp / name)
    for col in want.columns:
        if want[col].dtype.kind == "f":
            assert got[col].dtype.kind in "fi", (col, got[col].dtype)
            assert np.allclose(want[col].to_numpy(float), got[col].to_numpy(float), equal_nan=True), col
    assert set(got["mor_beskaeftigelse"].dropna()) == set(want["mor_beskaeftigelse"].astype(str).dropna())


def test_export_from_a_decimal_point_csv_equals_export_from_parquet(pupil_files, cli):
    tmp, _ = pupil_files
    out = {}
    for name in ("elever.parquet", "punktum.csv"):
        target = tmp / f"lev-{name}.xlsx"
        result = cli("export", tmp / name, tmp / "koef.csv", "--distrikter", tmp / "distrikter.csv", "--kommune",
                     "217", "--out", target, "--quiet")
        assert result.code == 0, result
        out[name] = table(target, "tblDistriktstal")
    a, b = out["elever.parquet"], out["punktum.csv"]
    assert np.allclose(a["Forventede elever"].astype(float), b["Forventede elever"].astype(float))
