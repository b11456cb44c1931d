"""Applying the model in a municipality: Tabel 5.1, benchmarks, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.errors import InputError, Source
from tildeling.model.national import fit_national
from tildeling.need.apply import apply_model, district_table

from conftest import random_pupils

# Tabel 5.1 of the VIVE note (Helsingør 2015/16)
PUBLISHED = pd.DataFrame({
    "Distrikt": ["Espegærde", "Hellebæk", "Helsingør", "Hornbæk", "Snekkersten", "Tikøb"],
    "Elever": [2012, 896, 2557, 672, 1569, 215],
    "Forudsagt sandsynlighed": [0.027, 0.030, 0.044, 0.036, 0.045, 0.028],
    "Indeks": [72.4, 81.9, 118.1, 95.8, 121.5, 74.6],
    "Behovsnøgle": [0.184, 0.093, 0.381, 0.081, 0.241, 0.020],
})


def test_tabel_5_1_follows_from_published_n_and_probabilities():
    # p̄_d is published to 0.1 pp, so each true p̄_d lies within ±0.05 pp of it. Index and
    # expected share must lie inside the range those bounds allow (interval arithmetic).
    n = PUBLISHED["Elever"].to_numpy(float)
    p = PUBLISHED["Forudsagt sandsynlighed"].to_numpy()
    t = district_table(PUBLISHED)
    assert t["Andel af elever"].sum() == pytest.approx(1.0)
    assert t["Behovsnøgle"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(t["Behovsnøgle"], PUBLISHED["Behovsnøgle"], atol=0.0035)
    for d in range(6):
        lo, hi = p.copy() + 0.0005, p.copy() - 0.0005
        lo[d], hi[d] = p[d] - 0.0005, p[d] + 0.0005
        idx_lo = lo[d] / ((n * lo).sum() / n.sum()) * 100
        idx_hi = hi[d] / ((n * hi).sum() / n.sum()) * 100
        assert idx_lo - 0.05 <= PUBLISHED["Indeks"][d] <= idx_hi + 0.05
        share_lo, share_hi = n[d] * lo[d] / (n * lo).sum(), n[d] * hi[d] / (n * hi).sum()
        assert share_lo - 0.0005 <= PUBLISHED["Behovsnøgle"][d] <= share_hi + 0.0005
    # the published index column is itself consistent: Σ n·index / Σ n = 100, and the
    # expected shares follow from n·index to the published 0.1 pp
    idx = PUBLISHED["Indeks"].to_numpy()
    assert (n * idx).sum() / n.sum() == pytest.approx(100, abs=0.05)
    np.testing.assert_allclose(n * idx / (n * idx).sum(), PUBLISHED["Behovsnøgle"], atol=0.0005)
    # and the worked example in the note: (4.5 % / 3.7 %)·100 ≈ 121.5 (p̄ published 3.7 %)
    assert (n * p).sum() / n.sum() == pytest.approx(0.037, abs=0.0005)


@pytest.fixture(scope="module")
def coefs(national_small):
    frame, _ = national_small
    return fit_national(frame, NATIONAL_SPEC).coefficients


@pytest.fixture()
def muni():
    frame, _ = random_pupils(1200, seed=21, n_districts=4)
    frame.loc[frame.index[:30], "Klassetrin"] = 10
    districts = pd.DataFrame({"Distrikt": ["1", "2", "3", "4"], "Navn": ["Nord", "Syd", "Øst", "Vest"]})
    return frame, districts


def test_tables_by_hand(coefs, muni):
    frame, districts = muni
    r = apply_model(frame, coefs, districts)
    keep = frame[frame["Klassetrin"] <= 9]
    p = coefs.predict(keep)
    assert r.excluded_grade10 == 30 and len(r.pupils) == len(keep)
    d = r.districts.set_index("Distrikt")
    for code in ["1", "2", "3", "4"]:
        m = keep["Distrikt"].to_numpy() == code
        assert d.loc[code, "Elever"] == m.sum()
        assert d.loc[code, "Forudsagt sandsynlighed"] == pytest.approx(p[m].mean())
        assert d.loc[code, "Indeks"] == pytest.approx(p[m].mean() / p.mean() * 100)
        assert d.loc[code, "Behovsnøgle"] == pytest.approx(p[m].sum() / p.sum())
        assert d.loc[code, "Faktisk andel af segregerede elever"] == pytest.approx(
            keep["Segregeret"].to_numpy()[m].sum() / keep["Segregeret"].sum())
    for c in ["Andel af elever", "Faktisk andel af segregerede elever", "Behovsnøgle"]:
        assert r.districts[c].sum() == pytest.approx(1.0)
    assert list(r.districts["Navn"]) == ["Nord", "Syd", "Øst", "Vest"]
    mb = r.municipal.set_index("Nøgletal")["Værdi"]
    A, E = keep["Segregeret"].sum(), p.sum()
    assert mb["Forventet antal segregerede elever"] == pytest.approx(E)
    assert mb["Forskel, elever (faktisk − forventet)"] == pytest.approx(A - E)
    assert mb["Forskel, procentpoint"] == pytest.approx((A - E) / len(keep))
    assert mb["Forskel i % af forventet"] == pytest.approx(A / E - 1)
    ext = r.external.set_index("Distrikt")
    assert ext.loc["1", "Forskel (procentpoint)"] == pytest.approx(
        ext.loc["1", "Faktisk henvisningsandel"] - ext.loc["1", "Forventet henvisningsandel"])
    assert r.internal["Behovsnøgle"].sum() == pytest.approx(1)
    assert len(r.descriptives) == 10
    assert any("10. klasse" in w for w in r.warnings)


def test_row_order_does_not_matter(coefs, muni):
    frame, districts = muni
    a = apply_model(frame, coefs, districts)
    b = apply_model(frame.sample(frac=1, random_state=3).reset_index(drop=True), coefs, districts)
    pd.testing.assert_frame_equal(a.districts, b.districts, rtol=1e-12)
    pd.testing.assert_frame_equal(a.municipal, b.municipal, rtol=1e-12)
    pd.testing.assert_frame_equal(a.descriptives, b.descriptives, rtol=1e-12)


def test_district_codes_as_numbers_or_text(coefs, muni):
    frame, districts = muni
    f2 = frame.copy()
    f2["Distrikt"] = f2["Distrikt"].astype(int).astype(float)  # as Excel gives them
    a = apply_model(frame, coefs, districts)
    b = apply_model(f2, coefs, districts.assign(Distrikt=[1, 2, 3, 4]))
    pd.testing.assert_frame_equal(a.districts, b.districts)


SRC = Source("Arket 'Elever' (tabellen tblElever)", first_row=5)


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="alder"), "Arket 'Elever' \\(tabellen tblElever\\): mangler kolonnen 'alder'"),
    (lambda f: f.rename(columns={"alder": "Alder"}), "Kolonnen 'Alder' skal hedde 'alder'"),
    (lambda f: f.assign(alder=f["alder"].astype(object).where(f.index != 7, "ti")),
     "kolonne 'alder', række 12: tekst \\('ti'\\) hvor der skal stå et tal"),
    (lambda f: f.assign(alder=f["alder"].astype(object).where(f.index != 7, "#N/A")),
     "kolonne 'alder', række 12: fejlværdien '#N/A'"),
    (lambda f: f.assign(mor_sigtet=f["mor_sigtet"].where(f.index != 3, "Mord")),
     "kolonne 'mor_sigtet', række 8: ukendt kategori 'Mord'"),
    (lambda f: f.assign(Distrikt=f["Distrikt"].where(f.index != 9, "99")),
     "kolonne 'Distrikt', række 14: ukendt distrikt '99'"),
    (lambda f: f.assign(far_laege=f["far_laege"].where(f.index != 2, np.nan)),
     "kolonne 'far_laege', række 7: tom celle"),
    (lambda f: f.assign(ElevID=f["ElevID"].where(f.index != 6, f["ElevID"][1])),
     "kolonne 'ElevID', rækkerne 6 og 11: ElevID 'E000001' står flere gange"),
    (lambda f: f.iloc[:0], "indeholder ingen elever"),
    (lambda f: f.assign(Segregeret=f["Segregeret"].where(f.index != 0, 2)),
     "kolonne 'Segregeret', række 5: skal være 0 eller 1"),
    (lambda f: f.assign(pige=f["pige"].where(f.index != 1, 3)), "kolonne 'pige', række 6: skal være 0 eller 1"),
    (lambda f: f.assign(Klassetrin=f["Klassetrin"].where(f.index != 4, 11)),
     "kolonne 'Klassetrin', række 9: klassetrin skal være et helt tal fra 0 til 10"),
])
def test_bad_input_messages(coefs, change, message):
    frame, _ = random_pupils(200, seed=8, n_districts=3)
    frame["Klassetrin"] = frame["Klassetrin"].clip(0, 9)
    districts = pd.DataFrame({"Distrikt": ["1", "2", "3"], "Navn": ["A", "B", "C"]})
    with pytest.raises(InputError, match=message):
        apply_model(change(frame), coefs, districts, source=SRC)


def test_row_numbers_skip_grade_10(coefs):
    frame, _ = random_pupils(100, seed=8, n_districts=3)
    frame["Klassetrin"] = 5
    frame.loc[0:4, "Klassetrin"] = 10
    frame["alder"] = frame["alder"].astype(object)
    frame.loc[10, "alder"] = "x"
    with pytest.raises(InputError, match="række 15"):
        apply_model(frame, coefs, source=SRC)
