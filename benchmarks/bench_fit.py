"""The whole ``tildeling fit`` command on the national synthetic data: wall time and peak memory.

    python benchmarks/bench_fit.py                 # best of 3 runs, Parquet
    python benchmarks/bench_fit.py --repeat 5 --format csv

Makes the national synthetic data once (``tildeling synth``, cached in the folder given by
``--data``), then runs ``tildeling fit LANDSDATA --out KOEF`` as a separate process, each time
measuring the wall time, the CPU time and the peak resident memory (``os.wait4``'s rusage, as
``/usr/bin/time -v`` reports it) of the whole process: Python's start, imports, reading,
design matrix, fit with cluster-robust standard errors, relative weights, explanatory power
and writing the table.

Targets (issue 9, item 7): ≤ 4 s and ≤ 1 GB on the 2-core development machine. Other processes on the
machine slow the wall time down; the load average is printed with the result.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system, all threads) of one child process."""
    t = time.perf_counter()
    pid = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(pid.pid, 0)
    wall = time.perf_counter() - t
    err = pid.stderr.read().decode()
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "tildeling_bench_fit"),
                    help="folder for the synthetic data (made once)")
    a = ap.parse_args(argv)
    data = Path(a.data)
    nat = data / f"landsdata.{a.format}"
    tildeling = [sys.executable, "-c", "import sys; from tildeling.cli import main; sys.exit(main())"]
    if not nat.exists():
        print(f"Making the national synthetic data in {data} …", flush=True)
        subprocess.run(tildeling + ["synth", "--out", str(data), "--format", a.format, "--quiet"], check=True)
    out = data / "koefficienter.csv"
    runs = [run(tildeling + ["fit", str(nat), "--out", str(out), "--quiet"]) for _ in range(a.repeat)]
    walls, rss, cpu = zip(*runs)
    print(f"tildeling fit {nat.name} (668,338 pupils × 76 design columns), {a.repeat} runs")
    print(f"  wall time: best {min(walls):.2f} s, all {', '.join(f'{w:.2f}' for w in walls)}   (target ≤ 4 s)")
    print(f"  peak RSS:  max {max(rss):.0f} MiB, all {', '.join(f'{r:.0f}' for r in rss)}   (target ≤ 1 GB)")
    print(f"  CPU time (user + system): best {min(cpu):.2f} s   (wall time ≈ CPU time when one core is free)")
    print(f"  load average when done: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
