"""Numbers, amounts and dates written the Danish way – and numbers typed as text read back.

``1.234.567`` (thousands separator ``.``), ``0,162`` (decimal comma), ``18,4 %``
(a space before ``%``), ``50.000.000 kr.``, ``2. december 2026 kl. 06.33``.
Excel cells are formatted by number formats instead; these functions are for
messages, progress lines, explanations and titles.

:func:`parse_number` and :func:`cell_number` are the one place where a number
stored as text (``"36.600"``, ``"2.500.000,75"``, ``"2500000.75"``) or any other
cell value becomes a float; every reader of settings, tables and worksheet
function arguments uses them, so a number is never silently scaled by 100 or 1000.

A column of numbers as text is read with :func:`numbers_column` (or :func:`cell_number` with
``point_column=`` :func:`uses_decimal_point`): when other values in the column are written with a decimal
point (``"15.03"``), a value such as ``"4.562"`` or ``"1,234"`` could be either convention and is refused
rather than guessed.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

__all__ = ["integer", "number", "percent", "points", "kroner", "seconds", "long_date", "long_datetime", "MONTHS",
           "NumberError", "parse_number", "cell_number", "uses_decimal_point", "numbers_column"]

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


# ----------------------------------------------------------------------------------------------------------
# Reading numbers
# ----------------------------------------------------------------------------------------------------------
class NumberError(ValueError):
    """A cell value that is not a number; ``str()`` is a Danish reason without the location."""


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_UNIT = re.compile(r"(?i)\s*(kr\.?|dkk)$")
_PATTERNS = (
    # (regex, thousands separator, decimal separator)
    (re.compile(r"\d+"), None, None),                                   # 1234
    (re.compile(r"\d*,\d+"), None, ","),                                # 1234,5  ,5
    (re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?"), ".", ","),        # 36.600  2.500.000,75
    (re.compile(r"\d*\.\d+"), None, "."),                               # 2500000.75  0.184  .5
    (re.compile(r"[1-9]\d{0,2}(?:,\d{3})+\.\d+"), ",", "."),             # 2,500,000.75
    (re.compile(r"[1-9]\d{0,2}(?:,\d{3}){2,}"), ",", None),              # 1,234,567
    (re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+"), None, None),            # 1e300  2,5E3
)


#: One group of three digits after a single separator: "4.562" is 4562 with a Danish thousands separator but
#: 4.562 with a decimal point; "1,234" is 1.234 with a decimal comma but 1234 with an English separator.
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
#: Written with a decimal point beyond doubt ("15.03", "0.813", "17100.0", "2,500,000.75", "1,234,567").
_POINT = (re.compile(r"\d*\.\d+"), re.compile(r"[1-9]\d{0,2}(?:,\d{3})+\.\d+"), re.compile(r"[1-9]\d{0,2}(?:,\d{3}){2,}"))


def _core(text: str) -> str:
    """The digits and separators of a number typed as text (sign, unit, %, spaces removed)."""
    s = _UNIT.sub("", str(text).strip().replace("\u2212", "-").rstrip("%").strip()).strip()
    return _SPACES.sub("", s.lstrip("+-").strip())


def uses_decimal_point(values) -> bool:
    """True when some text value of a column is written with a decimal point beyond doubt (``"15.03"``).

    In such a column :func:`parse_number` refuses the values that read differently with a decimal point and
    the Danish convention (``"4.562"``, ``"1,234"``) instead of reading them the Danish way.
    """
    for v in values:
        if isinstance(v, str):
            s = _core(v)
            if not _AMBIGUOUS.fullmatch(s) and any(p.fullmatch(s) for p in _POINT):
                return True
    return False


def parse_number(text: str, *, percent: bool = False, point_column: bool = False) -> float:
    """A number typed as text, read the Danish way (or with a decimal point where that is unambiguous).

    * ``"36.600"`` → 36600 and ``"2.500.000,75"`` → 2500000.75 (a dot groups thousands, a comma is the
      decimal sign, as in Danish Excel);
    * ``"2500000.75"``, ``"0.184"``, ``"36.6"`` → a decimal point (the digits after it are not a group of
      three, or the number starts with 0);
    * ``"2,500,000.75"`` and ``"1,234,567"`` → English grouping, unambiguous because of the second separator;
    * spaces between groups (``"2 500 000"``), a leading ``+``/``-``/``−`` and a trailing ``kr.`` are allowed;
      ``percent=True`` also allows a trailing ``%`` (``"18,4 %"`` → 0.184).

    Anything else (``"1.234.5"``, ``"12,34,56"``, ``"abc"``) raises :class:`NumberError` – never a guess.
    ``point_column=True`` (other values of the column have a decimal point, :func:`uses_decimal_point`):
    ``"4.562"`` and ``"1,234"`` are ambiguous and raise :class:`NumberError` too.
    """
    raw = str(text)
    shown = raw.strip() if len(raw.strip()) <= 60 else raw.strip()[:59] + "…"
    if point_column and _AMBIGUOUS.fullmatch(_core(raw)):
        core = _core(raw)
        sign = "-" if raw.strip().startswith(("-", "\u2212")) else ""
        whole, decimal = sign + core.replace(".", "").replace(",", ""), sign + core.replace(".", ",")
        raise NumberError(f"'{shown}' er tvetydigt: andre tal i kolonnen har decimalpunktum, så det kan være "
                          f"{whole} eller {decimal} – skriv tallet som {whole} eller {decimal} (decimalkomma, ingen "
                          "tusindtalsseparator)")
    s = raw.strip().replace("\u2212", "-")
    scale = 1.0
    if percent and s.endswith("%"):
        s, scale = s[:-1].strip(), 0.01
    s = _UNIT.sub("", s).strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].strip()
    s = _SPACES.sub(" ", s)
    if " " in s:
        if not re.fullmatch(r"[1-9]\d{0,2}(?: \d{3})+(?:[,.]\d+)?", s):
            raise NumberError(f"'{shown}' er ikke et tal")
        s = s.replace(" ", "")
        if "." in s and "," not in s:
            # "2 500 000.75": the dot can only be a decimal sign here
            s = s.replace(".", ",") if not re.fullmatch(r"\d+\.\d{3}", s) else s.replace(".", "")
    for pattern, thousands, decimal in _PATTERNS:
        if pattern.fullmatch(s):
            t = s
            if thousands:
                t = t.replace(thousands, "")
            if decimal:
                t = t.replace(decimal, ".")
            t = t.replace(",", ".")  # the exponent form: "2,5E3"
            value = sign * float(t) * scale
            if not math.isfinite(value):
                raise NumberError(f"'{shown}' er et alt for stort tal")
            return value
    raise NumberError(f"'{shown}' er ikke et tal")


def cell_number(value, *, percent: bool = False, point_column: bool = False) -> float | None:
    """Any cell value as a float; ``None`` for an empty cell.

    Numbers pass (``True``/``False`` do not); text goes through :func:`parse_number`; an Excel error value,
    a date or a time of day raises :class:`NumberError` with a Danish reason, as does an infinite number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NumberError(f"'{'SAND' if value else 'FALSK'}' er en sandhedsværdi, ikke et tal")
    if isinstance(value, (datetime, date)):
        shown = value.strftime("%d-%m-%Y") if 1 <= value.year <= 9999 else str(value)
        raise NumberError(f"cellen indeholder en dato ({shown}), ikke et tal – formatér cellen som Tal, og "
                          "skriv tallet igen")
    if isinstance(value, (time, timedelta)):
        raise NumberError("cellen indeholder et klokkeslæt eller en varighed, ikke et tal – formatér cellen som "
                          "Tal, og skriv tallet igen")
    if isinstance(value, str):
        from .errors import is_excel_error

        if not value.strip():
            return None
        if is_excel_error(value):
            raise NumberError(f"fejlværdien '{value.strip()}' – ret formlen eller skriv et tal")
        return parse_number(value, percent=percent, point_column=point_column)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise NumberError(f"'{value}' er ikke et tal") from None
    if math.isnan(x):
        return None
    if not math.isfinite(x):
        raise NumberError("uendelig værdi – skriv et endeligt tal")
    return x


def numbers_column(values, *, percent: bool = False) -> list:
    """Every value of a column through :func:`cell_number`, the column's convention decided once.

    Returns a list of floats, ``None`` (blank) or :class:`NumberError` (the reason), position by position.
    """
    values = list(values)
    point = uses_decimal_point(values)
    out = []
    for v in values:
        try:
            out.append(cell_number(v, percent=percent, point_column=point))
        except NumberError as exc:
            out.append(exc)
    return out
