"""Read a Parquet file's columns into an Arrow table – without pandas, so it can start before pandas is loaded.

``tildeling fit`` spends about 0.6 s importing pandas and 0.3 s reading the national Parquet file. Arrow reads in
C++ without holding Python's GIL, so :class:`Prefetch` reads the file in a background thread while the command
imports pandas and the model; :func:`tildeling.io.tables.read_table` then takes the table from it. Any problem in
the background (a missing or broken file …) is not reported there: ``read_table`` reads the file again itself
and reports it in Danish, exactly as without a prefetch.
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["Prefetch", "read_arrow", "wanted_columns"]


def wanted_columns(present, columns) -> list[str]:
    """The names in ``present`` that match ``columns`` without regard to case and surrounding spaces."""
    wanted = {str(c).strip().lower() for c in columns}
    return [c for c in present if str(c).strip().lower() in wanted]


def read_arrow(path, columns=None):
    """The Parquet file as an Arrow table: all columns, or those matching ``columns``."""
    import pyarrow.parquet as pq

    if columns is None:
        return pq.read_table(path)
    return pq.read_table(path, columns=wanted_columns(pq.read_schema(path).names, columns))


class Prefetch:
    """Start reading ``columns`` of the Parquet file at ``path`` now, in a background thread."""

    def __init__(self, path, columns) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self._table = None
        self._thread = threading.Thread(target=self._read, name="tildeling-prefetch", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self._table = read_arrow(self.path, self.columns)
        except BaseException:  # noqa: BLE001 - reported by read_table, which reads the file again
            self._table = None

    def result(self, path, columns):
        """The table if it was read for the same file and columns, else None (then read it yourself)."""
        self._thread.join()
        table, self._table = self._table, None
        if table is None or Path(path) != self.path or list(columns) != self.columns:
            return None
        return table
