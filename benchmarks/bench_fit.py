"""The whole ``tildeling fit`` command on the national synthetic data: wall time and peak memory.

    python benchmarks/bench_fit.py                 # best of 3 runs, Parquet
    python benchmarks/bench_fit.py --repeat 5 --format csv
    python benchmarks/bench_fit.py --stages        # also the stages, timed inside one process

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


def stages(nat: Path, out: Path) -> None:
    """The steps of ``cmd_fit`` one by one in this process: wall and CPU time (all threads) of each."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows = []

    def lap(name: str) -> None:
        nonlocal t0, c0
        t, c = time.perf_counter(), time.process_time()
        rows.append((name, t - t0, c - c0))
        t0, c0 = t, c

    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    lap("imports (numpy, pandas, pyarrow)")
    from tildeling.catalogue import NATIONAL_SPEC
    from tildeling.io.coefficients import write_coefficients
    from tildeling.io.tables import read_table, release_memory
    from tildeling.model import national
    from tildeling.model.design import design_matrix, outcome
    from tildeling.model.fit import fit_logit
    from tildeling.model.power import explanatory_power
    from tildeling.model.weights import relative_weights
    lap("imports (tildeling)")
    pupils, source = read_table(nat, columns=national.fit_columns(NATIONAL_SPEC))
    lap("read the Parquet file (model columns)")
    pupils, source, _ = national.model_rows(pupils, source)
    release_memory()
    lap("rows of grades 0-9")
    X = design_matrix(pupils, NATIONAL_SPEC, source)
    y = outcome(pupils, source)
    groups = national._cluster_codes(pupils["Kommune"], source)
    lap("check the columns, design matrix")
    fit = fit_logit(X, y, groups, NATIONAL_SPEC.design_columns())
    lap(f"fit (warm start + {fit.iterations} Newton steps, CR1)")
    relative_weights(X, fit, y)
    lap("relative weights")
    explanatory_power(y, fit.fitted)
    lap("explanatory power")
    del X
    model = national.fit_national(pupils, NATIONAL_SPEC)
    t0, c0 = time.perf_counter(), time.process_time()   # the same model again, only to have a table to write
    write_coefficients(model.coefficients, out)
    lap("write the coefficient table")
    print("Stages in one process (wall / CPU seconds):")
    for name, wall, cpu in rows:
        print(f"  {name:<45} {wall:6.2f} {cpu:6.2f}")
    print(f"  {'sum':<45} {sum(r[1] for r in rows):6.2f} {sum(r[2] for r in rows):6.2f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    ap.add_argument("--stages", action="store_true", help="also time the stages inside one process")
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
    if a.stages:
        stages(nat, out)


if __name__ == "__main__":
    main()
