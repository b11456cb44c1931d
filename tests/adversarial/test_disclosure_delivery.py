"""The analyst's delivery (``tildeling export``) goes through the one disclosure checker.

Every table of a *leverance* workbook (tblDistriktstal, tblKommunetal, tblLeverance, capture rates,
descriptives, tblSkjulteTal) is in the checker's registry; a real delivery – also with small samples, pupils
without a district, a district plan and every threshold – passes it; a delivery that leaks (a hidden count
shown again, a capture rate that gives away a count, a mean over a small group, a number of persons in a text,
a pupil ID, an unknown table) is refused by the writer, which then writes nothing – for one municipality and
for ``--alle-kommuner``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.io.coefficients import demo_coefficients, write_coefficients
from tildeling.need.apply import apply_model
from tildeling.need.delivery import make_delivery
from tildeling.privacy import DisclosureError, audit
from tildeling.privacy.registry import lookup
from tildeling.workbook.audit import audit_package
from tildeling.workbook.need import contract as c
from tildeling.workbook.need.delivery import cleared_delivery, delivery_bytes, delivery_frames, write_delivery

from wbtools import municipality


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _pupils(n=None, blank=0, seed=0):
    pupils, districts = municipality(n)
    pupils = pupils.copy()
    pupils["Distrikt"] = pupils["Distrikt"].astype(object)
    if blank:
        young = pupils.index[pupils["Klassetrin"] <= 9]
        pupils.loc[young[seed::max(1, len(young) // blank)][:blank], "Distrikt"] = None
    return pupils, districts


@pytest.fixture(scope="module")
def small():
    """400 pupils, 12 of them without a district: small counts to hide in every table."""
    pupils, districts = _pupils(400, blank=12)
    result = apply_model(pupils, demo_coefficients(), districts)
    return pupils, districts, result, make_delivery(result, municipality="217", name="Helsingør")


def test_every_table_of_a_delivery_is_registered(small):
    *_, dl = small
    for name in (*delivery_frames(dl), *c.DELIVERY_TABLES):
        assert lookup(name) is not None, name


@pytest.mark.parametrize("n, blank, N", [(None, 40, 5), (400, 0, 5), (400, 12, 3), (300, 12, 10), (250, 0, 7)])
def test_real_deliveries_pass_the_checker(n, blank, N):
    pupils, districts = _pupils(n, blank)
    dl = make_delivery(apply_model(pupils, demo_coefficients(), districts), municipality="217", threshold=N)
    assert len(dl.suppressed) > 0 or n is None          # small samples: something had to be hidden
    assert audit(delivery_frames(dl), threshold=N) == []
    assert audit_package(delivery_bytes(dl), threshold=N, pupil_ids=pupils["ElevID"]) == []


def test_many_small_random_municipalities_pass_the_checker():
    pupils_all, districts = _pupils()
    coefs = demo_coefficients()
    done = 0
    for seed in range(20, 32):
        rng = np.random.default_rng(seed)
        sample = pupils_all.sample(n=int(rng.integers(120, 450)), random_state=seed).reset_index(drop=True)
        sample.loc[rng.random(len(sample)) < 0.05, "Distrikt"] = None
        N = int(rng.integers(3, 11))
        try:
            dl = make_delivery(apply_model(sample, coefs, districts), municipality="217", threshold=N)
        except InputError:
            continue
        assert audit_package(delivery_bytes(dl), threshold=N, pupil_ids=sample["ElevID"]) == [], seed
        done += 1
    assert done >= 5


# --- tampered deliveries: the writer refuses them and writes nothing -------------------------------------------------
def _first_hidden(frame: pd.DataFrame, column: str) -> int:
    return next(i for i, v in enumerate(frame[column]) if isinstance(v, str) and v.startswith("<"))


def _true_district_counts(result) -> list[int]:
    return result.districts["Faktiske segregerede elever"].round().astype(int).tolist()


def _leaks(small):
    """(name, tampered delivery, words the refusal must contain) – one per attack class."""
    pupils, _, result, dl = small
    out = []
    # 1. a primary cell shown again
    d = dl.districts.copy()
    i = _first_hidden(d, "Faktiske elever")
    d.at[i, "Faktiske elever"] = _true_district_counts(result)[i]
    out.append(("shown", dataclasses.replace(dl, districts=d), "viser"))
    # 2. subtraction: one district hidden, every other shown, and no unshown group: the total gives it away
    d = dl.districts.copy()
    d["Faktiske elever"] = pd.Series(["<5"] + [10 + j for j in range(1, len(d))], dtype=object)
    m = dl.municipal.copy()
    m["Elever uden distrikt"] = 0
    m["Elever"] = int(pd.to_numeric(d["Elever"]).sum())
    m["Faktiske elever"] = 3 + sum(10 + j for j in range(1, len(d)))
    bare = dataclasses.replace(dl, districts=d, municipal=m, power=dl.power.iloc[0:0],
                               descriptives=dl.descriptives.iloc[0:0],
                               district_descriptives=dl.district_descriptives.iloc[0:0])
    out.append(("subtraction", bare, "kan regnes ud (= 3)"))
    # 3. a capture rate of a small count: share × total = 2 pupils
    p = dl.power.copy()
    a_mun = float(dl.municipal["Faktiske elever"].iloc[0])
    p.at[0, "10 % med laveste sandsynlighed"] = 2 / a_mun
    out.append(("capture", dataclasses.replace(dl, power=p), "kan regnes ud til 2"))
    # 4. a share over a district shown although the count behind it is 1
    long = dl.district_descriptives.copy()
    j = next(k for k, v in enumerate(long["Enhed"]) if str(v).lower() == "andel")
    code = str(long.at[j, "Distrikt"])
    n_d = float(dl.districts.set_index(dl.districts["Distrikt"].astype(str)).at[code, "Elever"])
    long.at[j, "Gennemsnit"] = 1 / n_d
    out.append(("share", dataclasses.replace(dl, district_descriptives=long), "kan regnes ud til 1"))
    # 5. text: a number of persons in the metadata
    meta = dict(dl.metadata, Bemærkning="Distrikt 3 har kun 3 elever med en børnesag.")
    out.append(("text", dataclasses.replace(dl, metadata=meta), "kun 3 elever"))
    # 6. a pupil ID in the package
    meta = dict(dl.metadata, Kontakt=str(pupils["ElevID"].iloc[7]))
    out.append(("id", dataclasses.replace(dl, metadata=meta), "ElevID"))
    return out


@pytest.mark.parametrize("case", ["shown", "subtraction", "capture", "share", "text", "id"])
def test_a_leaking_delivery_is_refused_and_nothing_is_written(small, tmp_path, case):
    pupils = small[0]
    _, bad, words = next(x for x in _leaks(small) if x[0] == case)
    out = tmp_path / "lev.xlsx"
    out.write_bytes(b"the old delivery")
    before = md5(out)
    with pytest.raises(DisclosureError) as err:
        write_delivery(bad, out, pupil_ids=pupils["ElevID"])
    msg = str(err.value)
    assert msg.startswith("Leverancen kan ikke godkendes") and "Intet er gemt" in msg
    assert words in msg, msg
    assert md5(out) == before
    with pytest.raises(DisclosureError):
        cleared_delivery(bad, pupil_ids=pupils["ElevID"])


def test_an_unknown_table_is_refused(small, tmp_path, monkeypatch):
    *_, dl = small
    import tildeling.workbook.need.delivery as wd
    from tildeling.workbook.layout import Sheet, TableBlock, place

    real = wd.delivery_sheets

    def more(d):
        extra = Sheet("Ekstra", [TableBlock("tblEkstra", pd.DataFrame({"Distrikt": ["1"], "Elever": [40]}), {})])
        return real(d) + [place(extra)]

    monkeypatch.setattr(wd, "delivery_sheets", more)
    with pytest.raises(DisclosureError, match="tblEkstra er ukendt for kontrollen"):
        write_delivery(dl, tmp_path / "lev.xlsx")
    assert not (tmp_path / "lev.xlsx").exists()


def _export_files(tmp: Path, pupils: pd.DataFrame, districts: pd.DataFrame) -> list[str]:
    pupils.to_parquet(tmp / "elever.parquet", index=False)
    districts.to_csv(tmp / "distrikter.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp / "koef.csv")
    return [str(tmp / "elever.parquet"), str(tmp / "koef.csv"), "--distrikter", str(tmp / "distrikter.csv")]


def test_export_refuses_what_the_checker_cannot_clear(tmp_path, capsys, monkeypatch):
    pupils, districts = _pupils(400)
    args = _export_files(tmp_path, pupils, districts)
    import tildeling.need.delivery as nd

    real = nd.make_delivery

    def leaky(result, **kw):
        dl = real(result, **kw)
        return dataclasses.replace(dl, metadata=dict(dl.metadata, Note="kun 2 elever i distrikt 4"))

    monkeypatch.setattr(nd, "make_delivery", leaky)
    out = tmp_path / "lev.xlsx"
    assert main(["export", *args, "--kommune", "217", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Leverancen kan ikke godkendes" in err and "kun 2 elever" in err and "Traceback" not in err
    assert not out.exists()
    monkeypatch.setattr(nd, "make_delivery", real)
    assert main(["export", *args, "--kommune", "217", "--out", str(out), "--quiet"]) == 0
    assert audit_package(out, pupil_ids=pupils["ElevID"]) == []


def test_all_municipalities_are_cleared_before_any_is_written(tmp_path, capsys, monkeypatch):
    from tildeling.synth.national import make_national

    data = make_national(seed=7, n_pupils=40_000)
    data.pupils.to_parquet(tmp_path / "land.parquet", index=False)
    write_coefficients(demo_coefficients(), tmp_path / "koef.csv")
    import tildeling.need.delivery as nd

    real = nd.make_delivery

    def leaky(result, **kw):   # one municipality's delivery gives a pupil's ID away
        dl = real(result, **kw)
        if kw.get("municipality") == "217":
            dl = dataclasses.replace(dl, metadata=dict(dl.metadata, Note=str(result_ids[0])))
        return dl

    result_ids = data.pupils.loc[data.pupils["Kommune"].astype(str) == "217", "ElevID"].astype(str).tolist()
    monkeypatch.setattr(nd, "make_delivery", leaky)
    out = tmp_path / "leverancer"
    assert main(["export", str(tmp_path / "land.parquet"), str(tmp_path / "koef.csv"), "--alle-kommuner", "--out",
                 str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Ingen leverancer er skrevet – 1 af" in err and "Kommune 217 (Helsingør): Leverancen kan ikke godkendes" \
        in err and "ElevID" in err
    assert not out.exists() or not list(out.glob("*.xlsx"))


def test_the_uncertainty_columns_are_values_over_the_district(small):
    """'Varians, forventede elever' and 'Behovsnøgle, standardfejl' (the statistics helper's columns of
    tblDistriktstal) are sums over all of a district's pupils: registered, passed for districts of at least N
    pupils, flagged for a district under N (they would describe those few pupils)."""
    *_, dl = small
    frames = delivery_frames(dl)
    d = frames[c.TBL_DISTRICT_FIGURES].copy()
    d["Varians, forventede elever"] = [2.5 + j for j in range(len(d))]
    d["Behovsnøgle, standardfejl"] = 0.004
    frames[c.TBL_DISTRICT_FIGURES] = d
    assert audit(frames) == []
    tiny = d.copy()
    tiny.at[0, "Elever"] = 4
    frames[c.TBL_DISTRICT_FIGURES] = tiny
    found = [f.message for f in audit(frames)]
    for col in ("Varians, forventede elever", "Behovsnøgle, standardfejl"):
        assert any(col in m and "en gruppe på 4 personer" in m for m in found), col
