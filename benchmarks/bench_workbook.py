"""Benchmark: run a 60,000-pupil need-model workbook from file (issue 3: "a few seconds").

    python benchmarks/bench_workbook.py [--pupils 60000] [--districts 25]

Writing the input workbook (openpyxl) is set-up and not timed. The timed steps
are what ``tildeling run`` does: read (python-calamine), compute, render the
output sheets and graft them into the package, save atomically.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tildeling.synth.national import make_municipality
from tildeling.workbook.need.reader import read_need_inputs
from tildeling.workbook.need.run import run_workbook
from tildeling.workbook.need.template import write_template


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pupils", type=int, default=60_000)
    ap.add_argument("--districts", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fil", help="brug/gem inputfilen her (sparer opsætningen næste gang)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        path = Path(a.fil) if a.fil else Path(d) / "stor.xlsx"
        if not path.exists():
            m = make_municipality(seed=1, kind="generic", n_pupils=a.pupils, n_districts=a.districts)
            t = time.perf_counter()
            write_template(path, pupils=m.pupils.drop(columns=["Kommune"], errors="ignore"),
                           districts=m.districts[["Distrikt", "Navn"]],
                           settings={"Kommune": "Stor kommune", "SamletBudget": 300_000_000})
            print(f"(opsætning) skabelon med {a.pupils:,} elever skrevet på {time.perf_counter() - t:.1f} s")
        print(f"Fil: {path.stat().st_size / 1e6:.1f} MB")
        reads, runs = [], []
        for _ in range(a.repeat):
            t = time.perf_counter()
            read_need_inputs(path.read_bytes())
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_workbook(path)
            runs.append(time.perf_counter() - t)
        print(f"Læsning af input (calamine):            {min(reads):6.2f} s")
        print(f"Hele kørslen (læs, beregn, skriv, gem):  {min(runs):6.2f} s")


if __name__ == "__main__":
    main()
