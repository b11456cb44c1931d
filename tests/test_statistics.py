"""Statistics a review found wrong: percentage points in apply's output, descriptives without the uncorrected
parent columns, signed relative weights, shares shown as percent on Beskrivende."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tildeling import columns as col
from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.io.coefficients import read_coefficients, write_coefficients
from tildeling.model.coefficients import CoefficientTable
from tildeling.need.apply import apply_model
from tildeling.synth.national import make_municipality

DEMO = files("tildeling") / "data" / "demo_koefficienter.csv"
DISPLAY = ["mor_uddannelse_aar", "far_uddannelse_aar", "mor_isei_point", "far_isei_point"]


@pytest.fixture(scope="module")
def muni():
    m = make_municipality(seed=2016)
    return m.pupils.drop(columns=["Kommune"]), m.districts[["Distrikt", "Navn"]]


@pytest.fixture(scope="module")
def demo():
    return read_coefficients(DEMO)


@pytest.fixture(scope="module")
def applied(muni, tmp_path_factory):
    pupils, districts = muni
    d = tmp_path_factory.mktemp("apply")
    pupils.to_csv(d / "elever.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    districts.to_csv(d / "distrikter.csv", sep=";", index=False, encoding="utf-8-sig")
    assert main(["apply", str(d / "elever.csv"), str(DEMO), "--distrikter", str(d / "distrikter.csv"),
                 "--out", str(d / "res.xlsx"), "--quiet"]) == 0
    assert main(["apply", str(d / "elever.csv"), str(DEMO), "--distrikter", str(d / "distrikter.csv"),
                 "--out", str(d / "csv"), "--quiet"]) == 0
    return d


def _sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return ws, pd.DataFrame(rows[1:], columns=rows[0])


def test_apply_writes_percentage_points_as_points(applied, muni, demo):
    pupils, _ = muni
    keep = pupils[pupils["Klassetrin"] <= 9]
    p = demo.predict(keep)
    A, E, n = keep["Segregeret"].sum(), p.sum(), len(keep)
    ws, mun = _sheet(applied / "res.xlsx", "Kommunebenchmark")
    v = mun.set_index("Nøgletal")["Værdi"]
    assert v["Forskel, procentpoint"] == pytest.approx((A - E) / n * 100, rel=1e-9)   # e.g. 0,134, not 0,00134
    assert v["Faktisk henvisningsandel"] == pytest.approx(A / n, rel=1e-9)                # shares stay fractions (%)
    # the text column keeps the general format; each value gets its unit's format
    fmt = {r[0].value: (r[0].number_format, r[1].number_format) for r in ws.iter_rows(min_row=2, max_col=2)}
    assert all(f[0] == "General" for f in fmt.values())
    assert fmt["Forskel, procentpoint"][1] == "0.000"
    assert fmt["Faktisk henvisningsandel"][1] == "0.0%"
    assert fmt["Elever i 0.-9. klasse"][1] == "#,##0.0"
    _, ext = _sheet(applied / "res.xlsx", "Ekstern benchmark")
    np.testing.assert_allclose(ext["Forskel (procentpoint)"],
                               (ext["Faktisk henvisningsandel"] - ext["Forventet henvisningsandel"]) * 100, rtol=1e-9)
    _, internal = _sheet(applied / "res.xlsx", "Intern benchmark")
    np.testing.assert_allclose(internal["Forskel (procentpoint)"],
                               (internal["Faktisk andel"] - internal["Behovsnøgle"]) * 100, rtol=1e-9)
    # the CSV folder says the same
    csv = pd.read_csv(applied / "csv" / "Kommunebenchmark.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert csv.set_index("Nøgletal")["Værdi"]["Forskel, procentpoint"] == pytest.approx((A - E) / n * 100, rel=1e-8)


def test_descriptives_without_uncorrected_parent_columns(muni, demo):
    pupils, districts = muni
    with_display = apply_model(pupils, demo, districts)
    without = apply_model(pupils.drop(columns=DISPLAY), demo, districts)
    d = without.descriptives.set_index(["Variabel", "Kategori"])
    w = with_display.descriptives.set_index(["Variabel", "Kategori"])
    assert list(d.index) == list(w.index)
    for key in ("mor_uddannelse", "far_uddannelse", "mor_isei", "far_isei"):
        if (key, "") not in d.index:
            continue
        row = d.loc[(key, "")]
        # the age-corrected value is centred on 0 nationally: no "% of national value" (was +55.547 % / −128.770 %)
        assert np.isnan(row["Forskel (i % af landstal)"])
        assert "alderskorrigere" in row["Beskrivelse"]
        # the national value is the model variable's own national mean, the difference in its unit
        assert row["Forskel (i enheden)"] == pytest.approx(row["Kommunen"] - row["Hele landet"])
        # with the uncorrected column the row shows years / ISEI points and a % of a positive national value
        assert w.loc[(key, ""), "Hele landet"] > 1
        assert np.isfinite(w.loc[(key, ""), "Forskel (i % af landstal)"])
    assert any("alderskorrigerede" in msg and "mor_uddannelse_aar" in msg for msg in without.warnings)
    # other rows are unchanged
    shares = d.index[d["Enhed"] == "Andel"]
    pd.testing.assert_frame_equal(d.loc[shares], w.loc[shares])
    # every % of the national value that is shown is of a positive national value of a non-negative variable
    shown = d[d["Forskel (i % af landstal)"].notna()]
    assert (shown["Hele landet"] > 0).all()
    assert (shown["Forskel (i % af landstal)"].abs() < 10).all()


def _signed(table: pd.DataFrame) -> pd.DataFrame:
    """The note's style: '−21,3 %' with the sign of the coefficient (Tabel 3.1)."""
    t = table.copy()
    for c in (col.WEIGHT, col.WEIGHT_GROUP):
        sign = np.where(t[col.COEF] < 0, "−", "")
        t[c] = [None if pd.isna(v) else f"{s}{v * 100:.6f} %".replace(".", ",") for s, v in zip(sign, t[c])]
    return t


def test_signed_relative_weights_are_read_with_their_sign(muni, demo, tmp_path):
    pupils, districts = muni
    signed = CoefficientTable.from_frame(_signed(demo.to_frame()), demo.metadata)
    np.testing.assert_allclose(signed.table[col.WEIGHT].to_numpy(float), demo.table[col.WEIGHT].to_numpy(float),
                               rtol=0, atol=1e-8, equal_nan=True)
    a = apply_model(pupils, demo, districts).descriptives
    b = apply_model(pupils, signed, districts).descriptives
    assert list(a["Variabel"]) == list(b["Variabel"])
    # the top ten keep their negative variables (pige is the note's largest, −21,3 %)
    neg = set(demo.table.loc[demo.table[col.COEF] < 0, col.VARIABLE])
    assert neg & set(b["Variabel"])
    # numbers with a sign are read the same way; a file round trip too
    t = demo.to_frame()
    t[col.WEIGHT] = np.where(t[col.COEF] < 0, -1, 1) * t[col.WEIGHT]
    numeric = CoefficientTable.from_frame(t, demo.metadata)
    np.testing.assert_allclose(numeric.table[col.WEIGHT], demo.table[col.WEIGHT], equal_nan=True)
    path = tmp_path / "k.xlsx"
    write_coefficients(signed, path)
    np.testing.assert_allclose(read_coefficients(path).table[col.WEIGHT], demo.table[col.WEIGHT], atol=1e-8,
                               equal_nan=True)


def test_relative_weights_with_a_sign_against_the_coefficient_are_rejected(demo):
    t = _signed(demo.to_frame())
    i = int(np.flatnonzero(demo.table[col.COEF].to_numpy() > 0)[0])
    t.loc[i, col.WEIGHT] = "−" + t.loc[i, col.WEIGHT]
    with pytest.raises(InputError, match=r"kolonne 'Relativ vægt', række \d+: .*fortegn"):
        CoefficientTable.from_frame(t, demo.metadata)
    t = demo.to_frame()
    t[col.WEIGHT] = t[col.WEIGHT] * 100          # percent without a % sign: ambiguous
    with pytest.raises(InputError, match="Relativ vægt.*%"):
        CoefficientTable.from_frame(t, demo.metadata)
    t = demo.to_frame()
    t[col.WEIGHT] = t[col.WEIGHT].astype(object)
    t.loc[3, col.WEIGHT] = "meget"
    with pytest.raises(InputError, match="'meget'"):
        CoefficientTable.from_frame(t, demo.metadata)


def test_beskrivende_shows_shares_in_percent_and_differences_in_points(muni, demo):
    from openpyxl import Workbook

    from tildeling.workbook.layout import place
    from tildeling.workbook.need import contract as c
    from tildeling.workbook.need.sheets import RunInfo
    from tildeling.workbook.need.sheets.common import Context
    from tildeling.workbook.need.sheets.descriptives import descriptives_sheet
    from tildeling.workbook.render_xlsx import render_sheets

    pupils, districts = muni
    result = apply_model(pupils, demo, districts)
    info = RunInfo(started="nu", fingerprint="x", coefficient_source="demo", settings={}, warnings=[])
    wb = Workbook()
    render_sheets(wb, [place(descriptives_sheet(Context(result, None, info, "K", "2015/16")))])
    ws = wb[c.SHEET_DESCRIPTIVES]
    header = next(r for r in ws.iter_rows() if r[0].value == "Beskrivelse")
    cols = {cell.value: cell.column for cell in header}
    desc = result.descriptives.reset_index(drop=True)
    assert (desc["Enhed"] == "Andel").any() and (desc["Enhed"] != "Andel").any()
    for i, row in desc.iterrows():
        r = header[0].row + 1 + i
        mun, diff = ws.cell(r, cols["Kommunen"]), ws.cell(r, cols["Forskel (i enheden)"])
        if row["Enhed"] == "Andel":
            assert "%" in mun.number_format                     # 48,5 %, not 0,49
            assert diff.value == pytest.approx((row["Kommunen"] - row["Hele landet"]) * 100)  # points
            assert "pp" in diff.number_format or "procentpoint" in diff.number_format
        else:
            assert "%" not in mun.number_format
            assert diff.value == pytest.approx(row["Kommunen"] - row["Hele landet"])
    # Bilag 3: the same rows per district
    header3 = [r for r in ws.iter_rows() if r[0].value == "Beskrivelse"][1]
    first_district = header3[2]
    for i, unit in enumerate(desc["Enhed"]):
        fmt = ws.cell(header3[0].row + 1 + i, first_district.column).number_format
        assert ("%" in fmt) == (unit == "Andel")
