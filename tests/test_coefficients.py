"""The coefficient table: export/import round trip, subsets, bad tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.errors import InputError
from tildeling.model.coefficients import CoefficientTable
from tildeling.io.coefficients import read_coefficients, write_coefficients
from tildeling.model.national import fit_national

from conftest import random_pupils


@pytest.fixture(scope="module")
def model(national_small):
    frame, _ = national_small
    return fit_national(frame, NATIONAL_SPEC, school_year="2015/16", data_source="test")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_same_predictions(tmp_path, model, national_small, suffix):
    frame, _ = national_small
    path = tmp_path / f"koef{suffix}"
    write_coefficients(model.coefficients, path)
    back = read_coefficients(path)
    assert back.spec == model.spec
    np.testing.assert_allclose(back.predict(frame), model.coefficients.predict(frame), rtol=0, atol=1e-12)
    assert back.metadata["Skoleår"] == "2015/16"
    assert back.metadata["N"] == str(len(frame))
    t = back.table
    assert t.iloc[0]["Variabel"] == "Konstant" and t.iloc[0]["Kategori"] == ""
    assert set(t.loc[t["Variabel"] == "skolestart_alder", "Kategori"]) == {"Under 5,5 år", "6,5-7 år", "Over 7 år"}
    assert (t.loc[t["Variabel"] == "skolestart_alder", "Reference"] == "5,5-6,5 år").all()


def test_export_has_inference_columns(model):
    t = model.coefficients.to_frame()
    for c in ["Variabel", "Kategori", "Koefficient", "Standardfejl", "z", "P-værdi", "Signifikans",
              "95 % KI nedre", "95 % KI øvre", "Odds-ratio", "Relativ vægt", "Relativ vægt (variabel i alt)",
              "Type", "Reference", "Nedre grænse", "Øvre grænse", "Landsgennemsnit"]:
        assert c in t.columns, c
    np.testing.assert_allclose(t["Odds-ratio"], np.exp(t["Koefficient"]))
    assert t["Relativ vægt"].sum() == pytest.approx(1.0)


def test_minimal_table_subset_and_unused_columns_ignored():
    frame, _ = random_pupils(500, seed=1)
    table = pd.DataFrame({
        "Variabel": ["Konstant", "pige", "alder", "skolestart_alder", "mor_beskaeftigelse"],
        "Kategori": ["", "", "", "Over 7 år", "Ledig"],
        "Koefficient": [-3.0, -0.6, 0.1, 0.8, 0.4],
        "Type": ["", "binær", "numerisk", "interval", "kategorisk"],
        "Reference": ["", "", "", "5,5-6,5 år", "Lønmodtager"],
        "Nedre grænse": [None, None, None, 7.0, None],
        "Øvre grænse": [None, None, None, None, None],
    })
    c = CoefficientTable.from_frame(table)
    employed = frame["mor_beskaeftigelse"].isin(["Ledig", "Lønmodtager"])
    with pytest.raises(InputError, match="ukendt kategori 'Andet'.*Tilladte værdier: 'Ledig' og 'Lønmodtager'"):
        c.predict(frame)
    frame = frame[employed].reset_index(drop=True)
    assert c.spec.keys == ["pige", "alder", "skolestart_alder", "mor_beskaeftigelse"]
    p = c.predict(frame)  # the frame has ~35 more columns: ignored
    eta = (-3.0 - 0.6 * frame["pige"] + 0.1 * frame["alder"] + 0.8 * (frame["skolestart_alder"] >= 7)
           + 0.4 * (frame["mor_beskaeftigelse"] == "Ledig"))
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-eta)), atol=1e-15)


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns="Koefficient"), "mangler kolonnen 'Koefficient'"),
    (lambda t: t[t["Variabel"] != "Konstant"], "mangler konstantleddet"),
    (lambda t: t.assign(Koefficient=t["Koefficient"].astype(object).where(t.index != 2, "abc")),
     "kolonne 'Koefficient', række 4: skal være et tal"),
    (lambda t: pd.concat([t, t.iloc[[1]]]), "samme variabel og kategori står flere gange"),
    (lambda t: t.assign(Reference=t["Reference"].where(t["Variabel"] != "mor_beskaeftigelse", "")),
     "'mor_beskaeftigelse' mangler sin referencekategori"),
    (lambda t: t.assign(Type=t["Type"].where(t["Variabel"] != "alder", "tal")), "ukendt type 'tal'"),
])
def test_bad_tables(change, message):
    t = pd.DataFrame({
        "Variabel": ["Konstant", "pige", "alder", "mor_beskaeftigelse"],
        "Kategori": ["", "", "", "Ledig"],
        "Koefficient": [-3.0, -0.6, 0.1, 0.4],
        "Type": ["", "binær", "numerisk", "kategorisk"],
        "Reference": ["", "", "", "Lønmodtager"],
    })
    with pytest.raises(InputError, match=message):
        CoefficientTable.from_frame(change(t).reset_index(drop=True))
