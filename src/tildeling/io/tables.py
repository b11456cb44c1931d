"""Read tabular pupil data from CSV, Parquet or a sheet of an .xlsx file.

CSV: encoding (UTF-8, UTF-16 with a byte order mark, or Windows-1252 as Danish Excel saves it) and separator
(``;`` or ``,``) sniffed; ``;`` files use decimal comma (Danish Excel's own CSV), except a column whose every
value is a plain number with a decimal point and at least one of them unambiguously so (``"15.03"``,
``"0.813"``): such a column was written by a program with a decimal point, and ``"4.562"`` in it is 4,562.
Other text in number columns is read later by the one number parser (:mod:`tildeling.danish`).
xlsx: python-calamine, many times faster than openpyxl on big sheets. A file that is not what its name says
(a workbook renamed to ``.csv``, a truncated Parquet file …) is refused with a Danish message.
"""

from __future__ import annotations

import re
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


def read_table(path, sheet: str | None = None, columns=None, prefetched=None) -> tuple[pd.DataFrame, Source]:
    """Read a data file; returns the frame and a :class:`Source` for messages.

    ``columns``: read only these (compared without case and surrounding spaces, so
    that the validation can still say "'Alder' skal hedde 'alder'"; a missing one is
    reported by the validation that needs it). Parquet and CSV skip the other columns while
    reading, which is what keeps ``tildeling fit`` on the national data small.

    ``prefetched``: a :class:`tildeling.io.parquet.Prefetch` that has started reading the same Parquet file and
    columns in the background (``tildeling fit`` does, while pandas is imported).
    """
    from .files import check_package, check_parquet, check_readable, text_encoding

    path = check_readable(Path(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Filen {path.name} kan ikke læses ({exc.strerror or exc}).") from None
        check_package(data, path.name, suffix)
    if suffix == ".parquet":
        check_parquet(path)
    encoding = text_encoding(path) if suffix in (".csv", ".txt") else None
    try:
        if suffix == ".parquet":
            if columns is not None:
                from .parquet import read_arrow

                table = prefetched.result(path, columns) if prefetched is not None else None
                if table is None:
                    table = read_arrow(path, columns)
                # column by column, freeing each Arrow column once converted: half the peak memory
                frame = table.to_pandas(self_destruct=True, split_blocks=True)
                del table
                release_memory()
                return frame, Source(f"Filen {path.name}", first_row=1)
            return pd.read_parquet(path), Source(f"Filen {path.name}", first_row=1)
        if suffix in (".csv", ".txt"):
            with open(path, "r", encoding=encoding, errors="replace") as fh:
                head = fh.readline()
            sep = ";" if head.count(";") > head.count(",") else ","
            wanted = None if columns is None else {str(c).strip().lower() for c in columns}

            def read(enc):
                return pd.read_csv(path, sep=sep, decimal="," if sep == ";" else ".", encoding=enc,
                                   low_memory=False,
                                   usecols=None if wanted is None else (lambda c: str(c).strip().lower() in wanted))
            try:
                frame = read(encoding)
            except UnicodeDecodeError:
                if encoding != "utf-8-sig":
                    raise
                frame = read("cp1252")      # UTF-8 at the start, Windows-1252 further down (Danish Excel's CSV)
            if sep == ";":
                _decimal_point_columns(frame)
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
    except pd.errors.EmptyDataError:
        raise InputError(f"Filen {path.name} er tom – der er ingen kolonneoverskrifter og ingen rækker.") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        detail = (f"række {m.group(2)} har {m.group(3)} felter, men overskriften har {m.group(1)}" if m else
                  "rækkerne har ikke det samme antal felter")
        raise InputError(f"Filen {path.name} kan ikke læses som CSV: {detail}. Er der et semikolon eller komma i "
                         "en tekst? Gem data som CSV (semikolonsepareret) i Excel, og prøv igen.") from None
    except UnicodeDecodeError:
        raise InputError(f"Filen {path.name} kan ikke læses som tekst (ukendt tegnsæt). Gem data som CSV UTF-8 "
                         "eller CSV (semikolonsepareret) i Excel, og prøv igen.") from None
    except Exception as exc:  # unreadable file: say so in Danish, keep the cause
        kind = {".parquet": "Parquet-filen"}.get(suffix, "filen")
        raise InputError(f"Filen '{path.name}' kunne ikke læses – {kind} er måske beskadiget "
                         f"({type(exc).__name__}: {_first_line(exc)}).") from exc
    raise InputError(f"Ukendt filtype '{suffix}' – brug .csv, .parquet eller .xlsx.")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"


_PLAIN_POINT = r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$"


def _decimal_point_columns(frame: pd.DataFrame) -> None:
    """In a ``;`` CSV (read with a decimal comma), convert the columns written with a decimal point.

    A column qualifies when every value is a plain number with a decimal point (no thousands separators, no
    comma) and at least one of them cannot be Danish thousands (``"15.03"``, ``"0.813"``, ``"17100.0"``);
    a column that only holds values like ``"36.600"`` is left to the Danish reading.
    """
    from ..danish import uses_decimal_point

    for name in frame.columns:
        s = frame[name]
        if s.dtype != object and not pd.api.types.is_string_dtype(s):
            continue
        values = s.dropna()
        if not len(values):
            continue
        uniques = pd.unique(values.astype(str))
        if not pd.Series(uniques).str.match(_PLAIN_POINT).all():
            continue
        if not uses_decimal_point(list(uniques)):
            continue
        frame[name] = pd.to_numeric(s, errors="coerce")
