"""Benchmark: ``tildeling export LANDSDATA KOEF --alle-kommuner`` on the national synthetic file (issue 9: ≤ 30 s).

    python benchmarks/bench_export.py [--repeat 3] [--fil landsdata.parquet] [--processer N] [--uden-opdeling]

Making the synthetic national data (668,338 pupils + grade 10, 98 municipalities) and writing them as Parquet is
set-up and not timed. The timed step is the whole command as a user runs it, in a fresh process: start Python,
read the Parquet file and the coefficient table, check it and build the design matrix, then per municipality
(on worker processes, one per core, unless ``--processer 1``) apply the model, the disclosure control, render the
delivery workbook and audit it, and finally write the 98 delivery workbooks. Reported per run: the wall time, the
CPU time of the command and its workers (user + system), the peak memory of the command and its workers together
(the sum of their resident set sizes, sampled every 20 ms, and the same as PSS, which counts the pages a forked
worker shares with the main process once), and the load average just before the run (the machine is shared).
Also reported: the same work in one process, split into its stages (CPU time).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tildeling.io.coefficients import demo_coefficients, write_coefficients
from tildeling.synth.national import make_national


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fil", help="brug/gem landsdata (Parquet) her (sparer opsætningen næste gang)")
    ap.add_argument("--processer", type=int, help="videre til tildeling export (standard: én pr. kerne)")
    ap.add_argument("--uden-opdeling", action="store_true", help="spring opdelingen på trin (i én proces) over")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        data = Path(a.fil) if a.fil else d / "landsdata.parquet"
        if not data.exists():
            t = time.perf_counter()
            make_national(seed=2016).pupils.to_parquet(data, index=False)
            print(f"(opsætning) landsdata skrevet på {time.perf_counter() - t:.1f} s")
        koef = d / "koef.csv"
        write_coefficients(demo_coefficients(), koef)
        extra = ["--processer", str(a.processer)] if a.processer else []
        runs = []
        for k in range(a.repeat):
            load = os.getloadavg()[0]       # the others' load just before the run (not this run's own)
            out = d / f"leverancer{k}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-c",
                                     "import sys; from tildeling.cli import main; sys.exit(main())",
                                     "export", str(data), str(koef), "--alle-kommuner", "--out", str(out), "--quiet",
                                     *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            peak = _PeakMemory(proc.pid)
            if proc.wait() != 0:
                raise SystemExit(f"tildeling export stoppede med kode {proc.returncode}")
            wall = time.perf_counter() - t
            peak.stop()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            n = len(list(out.glob("*.xlsx")))
            runs.append((wall, cpu, peak.rss, peak.pss, load))
            print(f"  kørsel {k + 1}: {wall:6.2f} s, CPU-tid {cpu:5.2f} s, hukommelse højst {peak.rss / 2**20:5.0f} MiB "
                  f"RSS / {peak.pss / 2**20:5.0f} MiB PSS (proces + arbejdsprocesser), belastning før {load:.1f}",
                  flush=True)
        wall, cpu, rss, pss, load = min(runs)
        print(f"tildeling export --alle-kommuner ({n} leverancer), hele processen: {wall:6.2f} s "
              f"(bedste af {a.repeat}; mål ≤ 30 s), CPU-tid {cpu:5.2f} s, højst {rss / 2**20:.0f} MiB RSS / "
              f"{pss / 2**20:.0f} MiB PSS, belastning før kørslen {load:.1f}")
        if not a.uden_opdeling:
            _split(data, koef)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux: /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            fields = dict(line.split(":", 1) for line in fh.read().splitlines()[1:] if ":" in line)
        return int(fields["Rss"].split()[0]) * 1024, int(fields["Pss"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 0, 0


class _PeakMemory:
    """The peak of the summed RSS and PSS of a process and its workers, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss, self.pss = pid, 0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if not os.path.exists("/proc/self/smaps_rollup"):
            return
        while not self._done.is_set():
            rss = pss = 0
            for p in _tree(self.pid):
                r, s = _memory(p)
                rss, pss = rss + r, pss + s
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self._done.wait(0.02)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _split(data: Path, koef: Path) -> None:
    """The same work in one process, stage by stage (CPU time, summed over the 98 municipalities)."""
    import io

    import numpy as np

    from tildeling.cli.delivery import _codes
    from tildeling.io.coefficients import read_coefficients
    from tildeling.io.tables import read_table
    from tildeling.model.design import design_matrix
    from tildeling.need.apply import apply_model
    from tildeling.need.delivery import make_delivery
    from tildeling.workbook.audit import require_clear
    from tildeling.workbook.need.delivery import delivery_package

    stages: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        now = time.process_time()
        stages[name] = stages.get(name, 0.0) + now - t0
        return now

    t = time.process_time()
    pupils, source = read_table(data)
    coefs = read_coefficients(koef)
    t = lap("læs", t)
    X = design_matrix(pupils, coefs.spec, source)
    t = lap("kontrol og designmatrix", t)
    mcode = _codes(pupils["Kommune"]).to_numpy()
    order = np.argsort(mcode, kind="stable")
    codes, starts = np.unique(mcode[order], return_index=True)
    bounds = list(starts) + [len(order)]
    t = lap("opdel", t)
    districts = 0
    for k, code in enumerate(codes):
        pos = np.sort(order[bounds[k]:bounds[k + 1]])
        sub = pupils.iloc[pos]
        t = lap("opdel", t)
        result = apply_model(sub, coefs, source=source.subset(pos), design=X[pos])
        t = lap("anvend modellen", t)
        dl = make_delivery(result, municipality=str(code))
        districts += len(dl.districts)
        t = lap("diskretionering", t)
        wb = delivery_package(dl)
        t = lap("byg projektmappen", t)
        buf = io.BytesIO()
        wb.save(buf)
        t = lap("gem (openpyxl)", t)
        require_clear(buf.getvalue(), threshold=dl.threshold, pupil_ids=sub["ElevID"].astype(str).to_numpy())
        t = lap("revision af filen", t)
    print(f"  i én proces, CPU-tid pr. trin ({len(codes)} kommuner, {districts} distrikter): "
          + ", ".join(f"{name} {v:.2f} s" for name, v in stages.items())
          + f"; i alt {sum(stages.values()):.1f} s")


if __name__ == "__main__":
    main()
