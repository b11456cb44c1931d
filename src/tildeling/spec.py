"""Model specification: which variables a need model uses and how they are coded.

A model is a list of :class:`Variable`. Each variable is one pupil column
(named by :attr:`Variable.key`) and turns into one or more *design columns*:

``numerisk``   a number used as it is (age, GP contacts, age-corrected ISEI …)
``binær``      0/1 (girl, parents cohabiting …)
``kategorisk`` a text label; one dummy per non-reference category
``interval``   a number that is banded by cut points into categories (age at
               school start, income …); one dummy per non-reference band. A band
               is the half-open interval ``[Nedre grænse, Øvre grænse)``; a value
               in no listed band belongs to the reference category.

The specification travels inside the coefficient table (columns ``Type``,
``Reference``, ``Nedre grænse``, ``Øvre grænse`` …), so a coefficient table alone
defines a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["VarType", "Category", "Variable", "ModelSpec", "INTERCEPT"]

#: ``Variabel`` of the intercept row in a coefficient table.
INTERCEPT = "Konstant"


class VarType(str, Enum):
    """How a variable enters the design matrix (values are the Danish names used in files)."""

    NUMERIC = "numerisk"
    BINARY = "binær"
    CATEGORICAL = "kategorisk"
    BANDED = "interval"

    @property
    def is_categorical(self) -> bool:
        return self in (VarType.CATEGORICAL, VarType.BANDED)


@dataclass(frozen=True)
class Category:
    """One category of a categorical or banded variable.

    For a banded variable ``lower``/``upper`` give the half-open band
    ``[lower, upper)``; ``None`` means unbounded.
    """

    label: str
    lower: float | None = None
    upper: float | None = None

    def contains(self, value: float) -> bool:
        lo = -math.inf if self.lower is None else self.lower
        hi = math.inf if self.upper is None else self.upper
        return lo <= value < hi


@dataclass(frozen=True)
class Variable:
    """One model variable (one pupil column).

    Parameters
    ----------
    key : str
        Column name in pupil data and ``Variabel`` in the coefficient table.
    label : str
        Danish description shown to users.
    type : VarType
    categories : tuple of Category
        All categories *including* the reference, in display order
        (categorical and banded variables only).
    reference : str, optional
        Label of the reference category.
    group : str
        Danish group heading (``Eleven``, ``Elevens familie``, ``Moderen``, ``Faderen``).
    unit : str
        Unit for descriptive tables (``Andel``, ``År``, ``Antal``, ``Skalapoint`` …).
    display_key : str, optional
        Column with the uncorrected value shown in descriptive tables instead of
        the model's age-corrected value (education and job prestige).
    display_unit : str, optional
        Unit of ``display_key``.
    """

    key: str
    label: str
    type: VarType
    categories: tuple[Category, ...] = ()
    reference: str | None = None
    group: str = ""
    unit: str = ""
    display_key: str | None = None
    display_unit: str | None = None

    @property
    def non_reference(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.label != self.reference)

    @property
    def design_labels(self) -> tuple[str, ...]:
        """``Kategori`` values of this variable's design columns (``''`` for one column)."""
        if self.type.is_categorical:
            return tuple(c.label for c in self.non_reference)
        return ("",)

    def category_of(self, value: float) -> str:
        """Band label of a number (banded variables)."""
        for cat in self.non_reference:
            if cat.contains(value):
                return cat.label
        return self.reference or ""


@dataclass(frozen=True)
class ModelSpec:
    """An ordered set of variables."""

    variables: tuple[Variable, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        keys = [v.key for v in self.variables]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate variable keys in ModelSpec")

    def __iter__(self):
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    def __getitem__(self, key: str) -> Variable:
        for v in self.variables:
            if v.key == key:
                return v
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(v.key == key for v in self.variables)

    @property
    def keys(self) -> list[str]:
        return [v.key for v in self.variables]

    def design_columns(self, intercept: bool = True) -> list[tuple[str, str]]:
        """``(Variabel, Kategori)`` of every design column, the intercept first."""
        cols = [(INTERCEPT, "")] if intercept else []
        for v in self.variables:
            cols.extend((v.key, lab) for lab in v.design_labels)
        return cols
