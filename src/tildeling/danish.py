"""Numbers, amounts and dates written the Danish way, for every text a user reads.

``1.234.567`` (thousands separator ``.``), ``0,162`` (decimal comma), ``18,4 %``
(a space before ``%``), ``50.000.000 kr.``, ``2. december 2026 kl. 06.33``.
Excel cells are formatted by number formats instead; these functions are for
messages, progress lines, explanations and titles.
"""

from __future__ import annotations

import math
from datetime import date, datetime

__all__ = ["integer", "number", "percent", "points", "kroner", "seconds", "long_date", "long_datetime", "MONTHS"]

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")


def _swap(text: str) -> str:
    """``1,234.5`` (Python's grouping) → ``1.234,5``."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def integer(n) -> str:
    """``668.338``."""
    return _swap(f"{int(round(float(n))):,}")


def number(x, decimals: int = 1, *, grouping: bool = True) -> str:
    """``0,162`` / ``12.345,6`` / ``−3,0`` (a real minus sign)."""
    x = float(x)
    if math.isnan(x):
        return "–"
    text = _swap(f"{x:,.{decimals}f}" if grouping else f"{x:.{decimals}f}")
    return text.replace("-", "−")


def percent(fraction, decimals: int = 1) -> str:
    """A fraction as percent: ``0.184`` → ``18,4 %``."""
    return f"{number(float(fraction) * 100, decimals)} %"


def points(value, decimals: int = 1) -> str:
    """Percentage points, signed: ``+0,2 procentpoint``."""
    v = float(value)
    sign = "+" if v > 0 else ""
    return f"{sign}{number(v, decimals)} procentpoint"


def kroner(amount) -> str:
    """``50.000.000 kr.``; an amount with øre keeps two decimals (``2.500.000,75 kr.``)."""
    x = float(amount)
    if x.is_integer():
        return f"{integer(x)} kr."
    return f"{number(x, 2)} kr."


def seconds(value: float) -> str:
    """``6,2`` seconds."""
    return number(value, 1, grouping=False)


def long_date(d: date) -> str:
    """``2. december 2026``."""
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


def long_datetime(t: datetime) -> str:
    """``2. december 2026 kl. 06.33``."""
    return f"{long_date(t)} kl. {t.hour:02d}.{t.minute:02d}"
