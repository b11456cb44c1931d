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
    "InputErrors",
    "Problems",
    "ModelError",
    "MAX_PROBLEMS",
    "EXCEL_ERRORS",
    "ExcelError",
    "is_excel_error",
    "format_rows",
    "format_names",
    "shorten",
]

#: How many input problems one run reports at most (the rest are counted).
MAX_PROBLEMS = 20

#: Excel's error values as Excel and LibreOffice write them into a file (and as xlwings returns them with
#: ``err_to_str=True``), plus the names Danish Excel shows, in case one was typed or pasted as text.
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!",
    "#NUL!", "#DIVISION/0!", "#VÆRDI!", "#REFERENCE!", "#NAVN?", "#I/T", "#SPILD!", "#BEREGN!", "#FELT!",
})


class ExcelError(str):
    """An Excel error value read from a cell (``#REF!`` …). A ``str``, so messages show it as Excel does."""

    __slots__ = ()


def is_excel_error(value) -> bool:
    """True for an :class:`ExcelError` and for a text that is exactly an Excel error value (``'#N/A'``)."""
    return isinstance(value, ExcelError) or (isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS)


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

    def subset(self, positions) -> Source:
        """The source of a row subset (``positions``: the subset's rows in this source, 0-based), so that
        messages about the subset still name the user's rows."""
        return SubsetSource(self, positions)


class SubsetSource(Source):
    """A :class:`Source` for a row subset: maps subset positions back to the parent's rows."""

    def __init__(self, parent: Source, positions) -> None:
        object.__setattr__(self, "label", parent.label)
        object.__setattr__(self, "first_row", parent.first_row)
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_positions", positions)

    def rows(self, positions):
        return self._parent.rows([int(self._positions[int(p)]) for p in positions])


#: The longest value a message quotes in full; a longer one is cut with "…".
MAX_SHOWN = 60


def shorten(text, limit: int = MAX_SHOWN) -> str:
    """A value for a message: cut at ``limit`` characters, on one line."""
    text = " ".join(str(text).split()) if "\n" in str(text) or "\r" in str(text) else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_names(names: Sequence[str], limit: int = 6) -> str:
    """``'a', 'b' og 'c'`` – sorted, quoted and capped, for messages (long values are cut)."""
    names = [shorten(n) for n in names]
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
    kind : str, optional
        What sort of problem (``"excel_error"`` for an Excel error value), so that a
        collector can drop the same cells reported again by a later check.
    """

    def __init__(
        self,
        message: str,
        *,
        source: Source | None = None,
        column: str | None = None,
        rows: Sequence[int] = (),
        kind: str = "",
    ) -> None:
        self.message = message
        self.source = source
        self.column = column
        self.rows = list(rows)
        self.kind = kind
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


class InputErrors(InputError):
    """Several input problems found in one go (at most :data:`MAX_PROBLEMS` are listed).

    ``problems`` are the single :class:`InputError` s, each with its own sheet, column
    and rows; ``more`` counts the problems found beyond the limit. ``str()`` is a
    Danish header and one numbered line per problem.
    """

    def __init__(self, problems: Sequence[InputError], more: int = 0) -> None:
        self.problems = list(problems)
        self.more = int(more)
        total = len(self.problems) + self.more
        super().__init__(f"Der er {total} problemer i inddata – ret dem, og kør igen:")

    def _compose(self) -> str:
        lines = [self.message]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, start=1)]
        if self.more:
            lines.append(f"  … og {self.more} {'problem' if self.more == 1 else 'problemer'} mere (vises, når "
                         "de første er rettet).")
        return "\n".join(lines)


class Problems:
    """Collects input problems so that a run reports them all at once.

    Validation keeps raising one :class:`InputError` per problem where that is
    natural; a boundary (pupil data, districts, settings, coefficient table,
    absence inputs, budget options) calls each check through :meth:`attempt` or
    ``with problems.collect():`` and finally :meth:`raise_if_any`: one problem is
    raised as itself, several as one :class:`InputErrors`.

    A problem already reported is not repeated: the same text twice, or a later
    check's complaint about cells that were already reported as Excel error values.
    """

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.items: list[InputError] = []
        self.more = 0

    def __len__(self) -> int:
        return len(self.items) + self.more

    def __bool__(self) -> bool:
        return len(self) > 0

    def add(self, exc: InputError) -> None:
        if isinstance(exc, InputErrors):
            for p in exc.problems:
                self.add(p)
            self.more += exc.more
            return
        if self._known(exc):
            return
        if len(self.items) < self.limit:
            self.items.append(exc)
        else:
            self.more += 1

    def extend(self, problems) -> None:
        for p in problems:
            self.add(p)

    def _known(self, exc: InputError) -> bool:
        text = str(exc)
        label = exc.source.label if exc.source is not None else None
        for p in self.items:
            if str(p) == text:
                return True
            if (p.kind == "excel_error" and exc.rows and p.column == exc.column
                    and (p.source.label if p.source is not None else None) == label
                    and set(exc.rows) <= set(p.rows)):
                return True
        return False

    def attempt(self, fn, *args, default=None, **kwargs):
        """``fn(*args, **kwargs)``; an InputError is collected and ``default`` returned instead."""
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            self.add(exc)
            return default

    def collect(self):
        """``with problems.collect(): ...`` – an InputError inside the block is collected."""
        return _Collect(self)

    def raise_if_any(self) -> None:
        """Raise what was collected: one problem as itself, several as :class:`InputErrors` (at most
        :data:`MAX_PROBLEMS` listed, the rest counted)."""
        if not self:
            return
        if len(self.items) == 1 and not self.more:
            raise self.items[0].with_traceback(None)
        shown = self.items[:MAX_PROBLEMS]
        raise InputErrors(shown, self.more + len(self.items) - len(shown))


class _Collect:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def __enter__(self):
        return self.problems

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None and isinstance(exc, InputError):
            self.problems.add(exc)
            return True
        return False


class ModelError(TildelingError):
    """The model cannot be estimated or applied (separation, no convergence, …)."""
