"""Exceptions whose text is a Danish message meant for the user.

Every problem a user can fix (bad input, an impossible model) is raised as a
:class:`TildelingError`. Its ``str()`` is a complete Danish sentence that names
where the problem is (sheet or file, column, rows) and what to do about it.
Adapters (CLI, workbook, xlwings macros) show that text and nothing else; they
never show a traceback for these errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "Source",
    "TildelingError",
    "InputError",
    "ModelError",
    "format_rows",
    "format_names",
]


@dataclass(frozen=True)
class Source:
    """Where a table came from, so that messages can point at it.

    Parameters
    ----------
    label : str
        Danish description used at the start of a message, e.g.
        ``"Filen elever.csv"`` or ``"Arket 'Elever' (tabellen tblElever)"``.
    first_row : int, default=2
        The row (or line) number the user sees for the first data row: 2 for a
        file or sheet with one header row starting at row 1.
    """

    label: str = "Data"
    first_row: int = 2

    def rows(self, positions: Iterable[int]) -> list[int]:
        """Turn 0-based data-row positions into the row numbers the user sees."""
        return [int(p) + self.first_row for p in positions]


def format_names(names: Sequence[str], limit: int = 6) -> str:
    """``'a', 'b' og 'c'`` – sorted, quoted and capped, for messages."""
    names = [str(n) for n in names]
    shown = [f"'{n}'" for n in names[:limit]]
    rest = len(names) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" og {rest} andre"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " og " + shown[-1]


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """``række 12, 40 og 41`` / ``rækkerne 3, 4, 5, 6, 7 og 95 andre``."""
    rows = [int(r) for r in rows]
    if len(rows) == 1:
        return f"række {rows[0]}"
    shown = [str(r) for r in rows[:limit]]
    rest = len(rows) - len(shown)
    if rest > 0:
        return "rækkerne " + ", ".join(shown) + f" og {rest} andre"
    return "rækkerne " + ", ".join(shown[:-1]) + " og " + shown[-1]


class TildelingError(Exception):
    """Base class: a problem the user can understand and fix. ``str()`` is Danish."""


class InputError(TildelingError, ValueError):
    """Bad input data or settings.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it, in Danish, without the location.
    source : Source, optional
        The table the problem is in.
    column : str, optional
        The column the problem is in.
    rows : sequence of int, optional
        Row numbers *as the user sees them* (see :meth:`Source.rows`).
    """

    def __init__(
        self,
        message: str,
        *,
        source: Source | None = None,
        column: str | None = None,
        rows: Sequence[int] = (),
    ) -> None:
        self.message = message
        self.source = source
        self.column = column
        self.rows = list(rows)
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source.label)
        if self.column is not None:
            where.append(f"kolonne '{self.column}'")
        if self.rows:
            where.append(format_rows(self.rows))
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ModelError(TildelingError):
    """The model cannot be estimated or applied (separation, no convergence, …)."""
