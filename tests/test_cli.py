"""The command line end to end: synth → fit → apply, and Danish errors with exit codes."""

from __future__ import annotations

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from tildeling.cli import main
from tildeling.io.coefficients import read_coefficients


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(d), "--elever", "60000", "--format", "csv", "--quiet"]) == 0
    return d


def test_synth_fit_apply(synth_dir, tmp_path, capsys):
    d = synth_dir
    assert (d / "landsdata.csv").exists() and (d / "kommune_elever.csv").exists()
    coefs = tmp_path / "koef.xlsx"
    assert main(["fit", str(d / "landsdata.csv"), "--out", str(coefs), "--skoleaar", "2015/16"]) == 0
    err = capsys.readouterr().err
    assert "Estimerer logitmodellen" in err and "McFadden" in err  # progress is shown
    c = read_coefficients(coefs)
    assert c.metadata["Skoleår"] == "2015/16" and len(c.table) == 76
    out = tmp_path / "res.xlsx"
    assert main(["apply", str(d / "kommune_elever.csv"), str(coefs), "--distrikter",
                 str(d / "kommune_distrikter.csv"), "--budget", "50000000", "--andel-elevtal", "0.2",
                 "--out", str(out), "--quiet"]) == 0
    wb = CalamineWorkbook.from_path(str(out))
    assert {"Distriktsbehov", "Fordeling", "Kommunebenchmark", "Ekstern benchmark", "Intern benchmark",
            "Forklaringskraft", "Beskrivende"} <= set(wb.sheet_names)
    assert "Elever (persondata)" not in wb.sheet_names  # only with --med-elever
    rows = wb.get_sheet_by_name("Fordeling").to_python()
    alloc = pd.DataFrame(rows[1:], columns=rows[0])
    assert alloc["Budget (kr.)"].sum() == 50_000_000
    assert "Blandet nøgle" in alloc.columns
    need = wb.get_sheet_by_name("Distriktsbehov").to_python()
    assert len(need) == 7  # header + the six Helsingør districts


def test_apply_to_csv_folder(synth_dir, tmp_path):
    coefs = tmp_path / "k.csv"
    assert main(["fit", str(synth_dir / "landsdata.csv"), "--out", str(coefs), "--quiet"]) == 0
    out = tmp_path / "csv"
    out.mkdir()
    assert main(["apply", str(synth_dir / "kommune_elever.csv"), str(coefs), "--out", str(out), "--quiet"]) == 0
    assert (out / "Distriktsbehov.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["fit", "findes_ikke.csv", "--out", "x.xlsx"], "findes ikke"),
    (["apply", "a.csv", "b.csv", "--out", "res.pdf"], "skal ende på .xlsx eller være en mappe"),
])
def test_bad_arguments_exit_2_with_danish_message(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Fejl: ") and message in last and "Traceback" not in err


def test_apply_bad_pupil_file(synth_dir, tmp_path, capsys):
    frame = pd.read_csv(synth_dir / "kommune_elever.csv", sep=";", decimal=",")
    frame["alder"] = frame["alder"].astype(object)
    frame.loc[3, "alder"] = "ukendt"
    bad = tmp_path / "elever.csv"
    frame.to_csv(bad, sep=";", decimal=",", index=False)
    coefs = tmp_path / "k.csv"
    main(["fit", str(synth_dir / "landsdata.csv"), "--out", str(coefs), "--quiet"])
    assert main(["apply", str(bad), str(coefs), "--out", str(tmp_path / "r.xlsx"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Filen elever.csv, kolonne 'alder', række 5: tekst ('ukendt')" in err
    assert not (tmp_path / "r.xlsx").exists()


def test_argparse_texts_are_danish(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("brug: tildeling") and "vis denne hjælp og afslut" in out and "usage" not in out
    with pytest.raises(SystemExit) as exc:
        main(["apply"])
    assert exc.value.code == 2
    assert "fejl: disse argumenter mangler: ELEVER, KOEF, --out" in capsys.readouterr().err


def test_demo_fravaer_writes_an_analysed_absence_workbook(tmp_path, capsys):
    from python_calamine import CalamineWorkbook

    from tildeling.workbook.absence import contract as ac
    from tildeling.workbook.absence import is_absence_workbook

    out = tmp_path / "fravaer.xlsx"
    assert main(["demo", "fravaer", "--out", str(out)]) == 0
    assert is_absence_workbook(out)
    sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    for name in (ac.SHEET_OVERVIEW, ac.SHEET_HYPOTHESES, ac.SHEET_CROSSTABS, ac.SHEET_DRILL):
        assert name in sheets
    # the known truths of the synthetic data: the parents' situation is confirmed
    wb = CalamineWorkbook.from_path(str(out))
    rows = wb.get_sheet_by_name(ac.SHEET_OVERVIEW).to_python()
    verdicts = {r[1]: r[2] for r in rows if len(r) > 2 and r[1] in ac.FACTOR_NAMES}
    assert verdicts["Forældre bor ikke sammen"] == ac.CONFIRMED
    assert verdicts["Stor skole"] == ac.REJECTED


def test_progress_lines_are_danish_and_the_closing_line_times_the_whole_command(tmp_path, capsys):
    import re

    out = tmp_path / "demo.xlsx"
    assert main(["demo", "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    stamps = [float(re.match(r"\[\s*(\d+,\d) s\]", line).group(1).replace(",", ".")) for line in err]
    assert stamps == sorted(stamps)                      # one clock for the whole command
    last = re.search(r"Færdig på (\d+,\d) s: ", err[-1])
    assert last, err[-1]
    assert float(last.group(1).replace(",", ".")) >= stamps[-2]   # not the time of the last step alone
    assert not any(re.search(r"\d\.\d s", line) for line in err)  # no decimal points


def test_apply_out_to_a_new_folder(synth_dir, tmp_path):
    coefs = tmp_path / "k.csv"
    assert main(["fit", str(synth_dir / "landsdata.csv"), "--out", str(coefs), "--quiet"]) == 0
    out = tmp_path / "resultater"          # does not exist yet: the README promises a folder
    assert main(["apply", str(synth_dir / "kommune_elever.csv"), str(coefs), "--out", str(out), "--quiet"]) == 0
    assert (out / "Distriktsbehov.csv").exists()


def test_every_help_text_is_danish(capsys):
    from tildeling.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    english = ("show ", "usage", "optional arguments", "positional arguments", "help message", "version number")
    texts = [parser.format_help()]
    for name, p in sub.choices.items():
        texts.append(p.format_help())
        for a in p._actions:
            if a.__class__.__name__ == "_SubParsersAction":
                texts += [q.format_help() for q in a.choices.values()]
    for t in texts:
        for word in english:
            assert word not in t, (word, t[:200])
        assert t.startswith("brug: ")
