"""Passes over the rows of a large design matrix: in blocks, on every core, with one BLAS thread each.

The national design matrix (668,338 × 76) is 400 MB. Each pass reads it once in
row blocks small enough to stay in the CPU cache, and the rows are split into a
fixed number of segments that worker threads share (numpy and BLAS release the
GIL). Partial sums are added in segment order, so the result does not depend on
how many cores there are.

BLAS is held to one thread per worker (``threadpoolctl``): OpenBLAS's own threads
spin while they wait for each other, and on a machine where another process is
busy that turned a 0.4 s pass into 4.5 s.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, TypeVar

__all__ = ["BLOCK", "SEGMENTS", "segments", "map_segments", "map_items", "one_blas_thread"]

T = TypeVar("T")

BLOCK = 2048      # rows per block: 2048 × 76 × 8 bytes = 1.2 MB; with two workers (and their buffers) this
                  # stays in the shared cache, where 4096 rows did not (a Hessian pass 0.20 s instead of 0.24 s)
SEGMENTS = 8      # fixed, so that sums are added in the same order on any machine


def segments(n: int, parts: int = SEGMENTS) -> list[tuple[int, int]]:
    """``parts`` contiguous row ranges covering 0…n, block-aligned (fewer for small n)."""
    blocks = -(-n // BLOCK)
    parts = max(1, min(parts, blocks))
    edges = [min(n, (blocks * i // parts) * BLOCK) for i in range(parts + 1)]
    edges[-1] = n
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a] or [(0, n)]


def _workers() -> int:
    if sys.platform == "emscripten":  # xlwings Lite (Pyodide): no threads
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(SEGMENTS, cpus))


@contextmanager
def one_blas_thread():
    """Hold BLAS to one thread inside the block (the workers are the parallelism)."""
    if sys.platform == "emscripten":  # xlwings Lite (Pyodide): BLAS has no threads there
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; without it BLAS keeps its own threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def map_segments(fn: Callable[[int, int], T], n: int) -> list[T]:
    """``[fn(start, stop) for each segment]``, the segments run on the available cores."""
    segs = segments(n)
    workers = min(_workers(), len(segs))
    if workers == 1:
        return [fn(a, b) for a, b in segs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda ab: fn(*ab), segs))


def map_items(fn: Callable[[object], T], items: list) -> list[T]:
    """``[fn(item) for item in items]`` in order, the items shared by the available cores (e.g. one column each)."""
    workers = min(_workers(), len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
