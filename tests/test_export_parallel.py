"""``tildeling export --alle-kommuner`` on several processes (issue 9): the same deliveries as on one process.

The municipalities are split over worker processes (:mod:`tildeling.cli.delivery`): forked on Linux (the workers
inherit the checked national file), spawned on Windows and macOS (each municipality's rows are sent in memory).
Both must give every table of every delivery exactly as the one-process run does; problems are still reported for
all municipalities at once and nothing is written; a worker that dies is a Danish message, exit code 2.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys

import numpy as np
import pandas as pd
import pytest

from tildeling.cli import delivery as D
from tildeling.cli import main
from tildeling.io.coefficients import demo_coefficients, write_coefficients
from tildeling.workbook.need import contract as c
from tildeling.workbook.tables import read_tables

#: The municipalities of the small national file: Copenhagen (the largest), Helsingør, and some small ones.
KOMMUNER = ["101", "147", "217", "219", "400", "741", "825", "860"]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    from tildeling.synth.national import make_national

    work = tmp_path_factory.mktemp("landsdata")
    pupils = make_national(seed=11, n_pupils=60_000).pupils
    pupils = pupils[pupils["Kommune"].isin(KOMMUNER)].reset_index(drop=True)   # a small national file
    pupils.to_parquet(work / "land.parquet", index=False)
    write_coefficients(demo_coefficients(), work / "koef.csv")
    return work, pupils


def _export(work, out, *extra) -> list[str]:
    return ["export", str(work / "land.parquet"), str(work / "koef.csv"), "--alle-kommuner", "--out", str(out),
            "--quiet", *extra]


def _tables(path) -> dict[str, pd.DataFrame]:
    """Every table of a delivery, the time it was made left out (it differs between two runs)."""
    frames = dict(read_tables(path.read_bytes(), path.name).frames)
    meta = frames[c.TBL_DELIVERY]
    frames[c.TBL_DELIVERY] = meta[meta["Nøgle"] != "Lavet"].reset_index(drop=True)
    return frames


def _same_deliveries(a, b) -> int:
    files = sorted(p.name for p in a.glob("*.xlsx"))
    assert files == sorted(p.name for p in b.glob("*.xlsx"))
    for name in files:
        x, y = _tables(a / name), _tables(b / name)
        assert list(x) == list(y), name
        for t in x:
            pd.testing.assert_frame_equal(x[t], y[t], check_exact=True, obj=f"{name} {t}")
    return len(files)


@pytest.fixture(scope="module")
def serial(national, tmp_path_factory):
    work, _ = national
    out = tmp_path_factory.mktemp("serial") / "leverancer"
    assert main(_export(work, out, "--processer", "1")) == 0
    return out


def test_several_processes_give_the_same_deliveries(national, serial, tmp_path, capsys):
    work, pupils = national
    out = tmp_path / "leverancer"
    assert main(_export(work, out, "--processer", "2")) == 0
    assert _same_deliveries(serial, out) == pupils["Kommune"].nunique() == len(KOMMUNER)
    assert len(capsys.readouterr().out.strip().splitlines()) == len(KOMMUNER)


def test_the_progress_says_how_many_processes(national, tmp_path, capsys):
    work, _ = national
    args = [a for a in _export(work, tmp_path / "lev", "--processer", "2") if a != "--quiet"]
    assert main(args) == 0
    assert "kontrollerer leverancerne kommune for kommune i 2 processer" in capsys.readouterr().err


def test_spawned_workers_give_the_same_deliveries(national, serial, tmp_path, monkeypatch):
    """Windows and macOS start workers with spawn: they import tildeling afresh and get each municipality's rows
    in memory (nothing is written to a temporary file)."""
    work, _ = national
    monkeypatch.setattr(D, "_context", lambda: mp.get_context("spawn"))
    out = tmp_path / "leverancer"
    assert main(_export(work, out, "--processer", "2")) == 0
    assert _same_deliveries(serial, out) == len(KOMMUNER)
    assert sorted(os.listdir(tmp_path)) == ["leverancer"]          # no temporary files next to it


def test_problems_of_every_municipality_at_once_and_nothing_written(national, tmp_path, capsys):
    _, pupils = national
    bad = pupils.copy()
    for code in ("101", "217"):                                     # a district of two pupils in each
        first = bad.index[(bad["Kommune"] == code) & (bad["Klassetrin"] <= 9)][:2]
        bad.loc[first, "Distrikt"] = "99"
    bad.to_parquet(tmp_path / "land.parquet", index=False)
    write_coefficients(demo_coefficients(), tmp_path / "koef.csv")
    out = tmp_path / "leverancer"
    assert main(_export(tmp_path, out, "--processer", "2")) == 2
    err = capsys.readouterr().err
    assert f"Ingen leverancer er skrevet – 2 af {len(KOMMUNER)} kommuner har fejl" in err
    assert err.index("Kommune 101 (København)") < err.index("Kommune 217 (Helsingør)")   # in code order
    assert err.count("Distrikt 99 har kun 2 elever") == 2
    assert not out.exists()


def _dies(job):
    """A worker that dies (killed for lack of memory, say) while it works on Helsingør."""
    if (job if isinstance(job, int) else job.k) == list(D._STATE[0].codes).index("217"):
        os._exit(9)
    return _REAL_DELIVER(job)


_REAL_DELIVER = D._deliver


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the dying worker is inherited by fork")
def test_a_worker_that_dies_stops_the_export(national, tmp_path, monkeypatch, capsys):
    work, _ = national
    monkeypatch.setattr(D, "_deliver", _dies)
    out = tmp_path / "leverancer"
    assert main(_export(work, out, "--processer", "2")) == 2
    err = capsys.readouterr().err
    assert "En af de processer, der laver leverancerne, stoppede uventet" in err
    assert "Ingen leverancer er skrevet" in err and "--processer 1" in err and "Traceback" not in err
    assert not out.exists()


def test_one_process_where_there_are_no_processes(monkeypatch):
    assert D._workers(None, 98) >= 1
    assert D._workers(2, 98) == 2
    assert D._workers(8, 3) == 1                    # few municipalities: not worth starting processes
    assert D._workers(5, 4) == 4                    # never more processes than municipalities
    monkeypatch.setattr(sys, "platform", "emscripten")  # xlwings Lite (Pyodide): no processes
    assert D._workers(2, 98) == 1


def test_a_process_count_below_one_is_refused(national, tmp_path, capsys):
    work, _ = national
    assert main(_export(work, tmp_path / "lev", "--processer", "0")) == 2
    assert "--processer skal være mindst 1" in capsys.readouterr().err


def test_no_pool_when_processes_cannot_be_started(monkeypatch):
    import concurrent.futures

    def refuse(*a, **k):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    assert D._start_pool(2) is None
    assert D._start_pool(1) is None


def test_the_serial_run_equals_the_pupil_route_per_municipality(national, serial):
    """An independent check of the one-process run that the parallel runs are compared with: Helsingør's
    district figures equal apply_model on Helsingør's pupils alone."""
    from tildeling.need.apply import apply_model

    _, pupils = national
    mine = pupils[pupils["Kommune"] == "217"].reset_index(drop=True)
    result = apply_model(mine, demo_coefficients())
    got = _tables(serial / "217.xlsx")[c.TBL_DISTRICT_FIGURES]
    want = result.districts
    assert got["Distrikt"].astype(str).tolist() == want["Distrikt"].astype(str).tolist()
    np.testing.assert_allclose(pd.to_numeric(got["Forventede elever"]).to_numpy(),
                               want["Forventede segregerede elever"].to_numpy(), rtol=1e-12)
