"""Timing of the synthetic register-data generator (a plain script, no pytest-benchmark).

Run:  python benchmarks/bench_synth.py [--repeat 3]

Prints wall-clock seconds (best of ``--repeat``) and the peak traced memory of one
run for the national data (668,338 pupils in grades 0–9), the Helsingør mirror
and a generic 60,000-pupil municipality. The budget for the national run is 15 s.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

from tildeling.synth.national import make_municipality, make_national

BUDGET_NATIONAL = 15.0


def _time(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-memory", action="store_true", help="skip the (slower) traced-memory run")
    args = ap.parse_args()
    print(f"CPU cores: {os.cpu_count()}, repeat: {args.repeat} (best time shown)")

    cases = [
        ("make_national() – 668.338 elever", lambda: make_national(2016)),
        ("make_municipality('helsingoer')", lambda: make_municipality(2016)),
        ("make_municipality('generic', 60.000)", lambda: make_municipality(2016, kind="generic", n_pupils=60_000)),
    ]
    ok = True
    for name, fn in cases:
        secs, data = _time(fn, args.repeat)
        P = data.pupils
        frame_mb = P.memory_usage(deep=True).sum() / 1e6
        line = f"{name:42s} {secs:6.2f} s   {len(P):>8,d} rækker   DataFrame {frame_mb:6.0f} MB"
        if name.startswith("make_national"):
            ok = secs <= BUDGET_NATIONAL
            line += f"   (budget {BUDGET_NATIONAL:.0f} s: {'OK' if ok else 'OVERSKREDET'})"
        print(line)
    if not args.no_memory:
        print(f"peak traced memory, make_national(): {_peak_mb(lambda: make_national(2016)):.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
