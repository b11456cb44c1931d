"""Benchmark: the absence analysis on a 12,000-pupil workbook (132,000 absence rows).

    python benchmarks/bench_absence.py [--pupils 12000] [--repeat 3] [--fil stor.xlsx]

Writing the input workbook (openpyxl, from the synthetic generator) is set-up and
not timed. The timed steps are what the commands do:

- read: the input tables as DataFrames (python-calamine), no analysis;
- run: ``tildeling absence`` – read, analyse, render the result sheets, graft them
  into the package, save atomically (a rerun, so the result sheets are replaced);
- share: ``tildeling share`` of the analysed workbook.

The best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from tildeling.workbook.absence import read_inputs, run_workbook, share, write_input_workbook
from tildeling.synth.absence import generate_absence_data


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pupils", type=int, default=12_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fil", help="brug/gem inputfilen her (sparer opsætningen næste gang)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        path = Path(a.fil) if a.fil else d / "fravaer_input.xlsx"
        if not path.exists():
            t = time.perf_counter()
            data = generate_absence_data(n_pupils=a.pupils)
            write_input_workbook(path, data)
            print(f"(opsætning) projektmappe med {a.pupils:,} elever og {len(data.fravaer):,} fraværsrækker "
                  f"skrevet på {time.perf_counter() - t:.1f} s")
        print(f"Fil: {path.stat().st_size / 1e6:.1f} MB")
        work, shared = d / "fravaer.xlsx", d / "delt.xlsx"
        shutil.copy(path, work)
        reads, runs, shares = [], [], []
        for _ in range(a.repeat):
            t = time.perf_counter()
            read_inputs(work)
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_workbook(work)
            runs.append(time.perf_counter() - t)
            t = time.perf_counter()
            share(work, shared)
            shares.append(time.perf_counter() - t)
        print(f"Resultat: {work.stat().st_size / 1e6:.1f} MB, delbar kopi: {shared.stat().st_size / 1e6:.2f} MB")
        print(f"Læsning af input (tabellerne):             {min(reads):6.2f} s")
        print(f"Hele kørslen (læs, analysér, skriv, gem):  {min(runs):6.2f} s")
        print(f"Delbar kopi (tildeling share):             {min(shares):6.2f} s")


if __name__ == "__main__":
    main()
