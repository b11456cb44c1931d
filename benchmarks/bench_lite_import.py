"""Benchmark: how long xlwings Lite waits before the first script can start (importing main.py).

    python benchmarks/bench_lite_import.py [--repeat 5]

Each run is a fresh interpreter (as Lite's Pyodide is after a restart) that imports, in this order:

- xlwings with its Office.js decorators (``xlwings.server``) – it brings numpy and pandas, which Lite has
  loaded anyway;
- ``tildeling.xl.lite`` – the part that is ours (the scripts and the four functions get registered);
- what the heavy scripts import when they run (statsmodels, scipy.stats, openpyxl, python-calamine): the time
  a lazy import saves before the first script.

The best of ``--repeat`` runs is reported per step. CPython on the development machine, not Pyodide: Pyodide is
slower by a roughly constant factor, so the proportions are what matter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

PROBE = """
import json, time
t0 = time.perf_counter()
import xlwings, xlwings.server
t1 = time.perf_counter()
import tildeling.xl.lite
t2 = time.perf_counter()
import statsmodels.api, scipy.stats, openpyxl, python_calamine
t3 = time.perf_counter()
print(json.dumps({"xlwings": t1 - t0, "tildeling.xl.lite": t2 - t1, "heavy (lazy)": t3 - t2}))
"""


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    env = {**os.environ, "XLWINGS_LICENSE_KEY": os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial")}
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
        for step, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
            best[step] = min(best.get(step, float("inf")), seconds)
    for step, seconds in best.items():
        print(f"{step:20s} {seconds:6.3f} s")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
