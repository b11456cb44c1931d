"""Read tabular pupil data from CSV, Parquet or a sheet of an .xlsx file.

CSV: separator sniffed (``;`` or ``,``); ``;`` files use decimal comma (Danish
Excel's own CSV). xlsx: python-calamine, many times faster than openpyxl on big
sheets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError, Source

__all__ = ["read_table", "release_memory"]


def release_memory() -> None:
    """Hand the memory of freed Arrow buffers back to the system.

    The numeric columns read from Parquet are views of Arrow buffers; when a caller drops
    them (``fit`` keeps only the rows of grades 0-9), Arrow's allocator keeps the memory
    unless told to release it.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def read_table(path, sheet: str | None = None, columns=None) -> tuple[pd.DataFrame, Source]:
    """Read a data file; returns the frame and a :class:`Source` for messages.

    ``columns``: read only these (compared without case and surrounding spaces, so
    that the validation can still say "'Alder' skal hedde 'alder'"; a missing one is
    reported by the validation that needs it). Parquet and CSV skip the other columns while
    reading, which is what keeps ``tildeling fit`` on the national data small.
    """
    from .files import check_package, check_readable

    path = check_readable(Path(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Filen {path.name} kan ikke læses ({exc.strerror or exc}).") from None
        check_package(data, path.name, suffix)
    try:
        if suffix == ".parquet":
            if columns is not None:
                import pyarrow.parquet as pq

                wanted = {str(c).strip().lower() for c in columns}
                present = pq.read_schema(path).names
                table = pq.read_table(path, columns=[c for c in present if str(c).strip().lower() in wanted])
                # column by column, freeing each Arrow column once converted: half the peak memory
                frame = table.to_pandas(self_destruct=True, split_blocks=True)
                del table
                release_memory()
                return frame, Source(f"Filen {path.name}", first_row=1)
            return pd.read_parquet(path), Source(f"Filen {path.name}", first_row=1)
        if suffix in (".csv", ".txt"):
            with open(path, "r", encoding="utf-8-sig", errors="replace") as fh:
                head = fh.readline()
            sep = ";" if head.count(";") > head.count(",") else ","
            wanted = None if columns is None else {str(c).strip().lower() for c in columns}
            frame = pd.read_csv(path, sep=sep, decimal="," if sep == ";" else ".", encoding="utf-8-sig",
                                low_memory=False,
                                usecols=None if wanted is None else (lambda c: str(c).strip().lower() in wanted))
            return frame, Source(f"Filen {path.name}", first_row=2)
        if suffix in (".xlsx", ".xlsm"):
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(str(path))
            name = sheet or wb.sheet_names[0]
            if name not in wb.sheet_names:
                raise InputError(f"Filen {path.name} har intet ark '{name}'.")
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if not rows:
                raise InputError(f"Arket '{name}' i {path.name} er tomt.")
            frame = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
            return frame, Source(f"Arket '{name}' i {path.name}", first_row=2)
    except InputError:
        raise
    except Exception as exc:  # unreadable file: say so in Danish, keep the cause
        raise InputError(f"Filen '{path.name}' kunne ikke læses ({type(exc).__name__}: {exc}).") from exc
    raise InputError(f"Ukendt filtype '{suffix}' – brug .csv, .parquet eller .xlsx.")
