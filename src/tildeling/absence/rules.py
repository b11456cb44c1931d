"""A small, safe condition language for segmentation rules.

A condition is evaluated over the linked data (one row per pupil). The language
has only column names, numbers, texts, comparisons and ``og``/``eller``/``ikke``
(``and``/``or``/``not`` also work) with parentheses::

    [Ulovligt fravær (%)] >= 5 og ikke ([Dansk som andetsprog] = 1 eller Skoleskift > 0)

- a column is written in square brackets, or bare if it is one word;
- numbers may use a decimal comma or point; texts are in quotes: ``Skole = "Nordskolen"``;
- comparisons: ``=`` (or ``==``), ``<>`` (or ``!=``), ``<``, ``<=``, ``>``, ``>=``;
- a column alone means "is 1 / not 0", e.g. ``[Børnesag]``;
- a comparison with an empty cell is false.

Conditions are parsed into a tree and evaluated by this module; nothing is ever
handed to Python's ``eval`` or to ``DataFrame.eval``. Anything else is rejected
with a Danish message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..danish import NumberError, parse_number
from ..errors import InputError, format_names, shorten

__all__ = ["Condition", "parse_condition", "MAX_CONDITION_LENGTH", "MAX_DEPTH"]

#: The longest condition accepted (characters) and the deepest nesting of parentheses and ``ikke``.
MAX_CONDITION_LENGTH = 2000
MAX_DEPTH = 25

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<col>\[[^\[\]]+\])
  | (?P<num>\d+(?:[.,]\d+)*)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<op><=|>=|<>|!=|==|=|<|>)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<word>[^\W\d]\w*)
""", re.VERBOSE)

_AND = {"og", "and"}
_OR = {"eller", "or"}
_NOT = {"ikke", "not"}
_OPS = {"=": "eq", "==": "eq", "<>": "ne", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise InputError(f"betingelsen '{shorten(text, 120)}' indeholder tegnet '{text[pos]}' (position {pos + 1}), som ikke "
                             "er tilladt. Brug kolonnenavne i [ ], tal, tekst i \"\", sammenligninger og "
                             "og/eller/ikke.")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


@dataclass(frozen=True)
class Condition:
    """A parsed condition; call :meth:`evaluate` on the linked data."""

    text: str
    tree: tuple
    columns: tuple[str, ...]

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array, one value per row of ``frame``."""
        return np.asarray(_eval(self.tree, frame), dtype=bool)


class _Parser:
    def __init__(self, text: str, allowed):
        self.text = text
        if len(text) > MAX_CONDITION_LENGTH:
            raise InputError(f"betingelsen er for lang ({len(text)} tegn; højst {MAX_CONDITION_LENGTH}). Del den op "
                             "i flere regler med hver sin prioritet.")
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.allowed = tuple(allowed) if allowed is not None else None
        self.columns: list[str] = []

    def error(self, what: str):
        shown = self.text if len(self.text) <= 120 else self.text[:117] + "…"
        return InputError(f"betingelsen '{shown}' kan ikke læses: {what}")

    def deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"den har for mange parenteser eller 'ikke' inden i hinanden (højst {MAX_DEPTH} "
                             "niveauer). Skriv den enklere.")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def is_word(self, tok, words) -> bool:
        return tok is not None and tok[0] == "word" and tok[1].lower() in words

    def parse(self):
        if not self.tokens:
            raise self.error("den er tom.")
        tree = self.parse_or()
        if self.peek() is not None:
            raise self.error(f"uventet '{self.peek()[1]}' (position {self.peek()[2] + 1}).")
        return tree

    def parse_or(self):
        node = self.parse_and()
        while self.is_word(self.peek(), _OR):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.is_word(self.peek(), _AND):
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.is_word(self.peek(), _NOT):
            self.take()
            self.deeper()
            node = ("not", self.parse_not())
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self):
        tok = self.peek()
        if tok is None:
            raise self.error("den slutter for tidligt.")
        if tok[0] == "lpar":
            self.take()
            self.deeper()
            node = self.parse_or()
            self.depth -= 1
            if self.peek() is None or self.peek()[0] != "rpar":
                raise self.error("der mangler en slutparentes ')'.")
            self.take()
            return node
        left = self.parse_value()
        op = self.peek()
        if op is None or op[0] != "op":
            if left[0] != "col":
                raise self.error(f"'{tok[1]}' skal sammenlignes med noget, fx [Kolonne] >= 5.")
            return ("truthy", left)
        self.take()
        right = self.parse_value()
        if left[0] != "col" and right[0] != "col":
            raise self.error("mindst den ene side af en sammenligning skal være en kolonne.")
        kinds = {left[0], right[0]}
        if "str" in kinds and _OPS[op[1]] not in ("eq", "ne"):
            raise self.error("tekst kan kun sammenlignes med = eller <>.")
        return ("cmp", _OPS[op[1]], left, right)

    def parse_value(self):
        tok = self.take()
        if tok is None:
            raise self.error("den slutter for tidligt.")
        kind, text, pos = tok
        if kind == "num":
            try:
                return ("num", parse_number(text))
            except NumberError as exc:
                raise self.error(f"{exc}.") from None
        if kind == "str":
            return ("str", text[1:-1])
        if kind in ("col", "word"):
            name = text[1:-1].strip() if kind == "col" else text
            if kind == "word" and name.lower() in _AND | _OR | _NOT:
                raise self.error(f"'{name}' står et forkert sted.")
            if self.allowed is not None and name not in self.allowed:
                lower = {a.lower(): a for a in self.allowed}
                hint = f" Mente du '{lower[name.lower()]}'?" if name.lower() in lower else ""
                raise InputError(f"betingelsen '{shorten(self.text, 120)}' bruger den ukendte kolonne '{shorten(name)}'.{hint} "
                                 f"Kendte kolonner: {format_names(list(self.allowed), 40)}.")
            self.columns.append(name)
            return ("col", name)
        raise self.error(f"uventet '{text}' (position {pos + 1}).")


def parse_condition(text: str, allowed=None) -> Condition:
    """Parse ``text``; ``allowed`` limits the column names (None: any).

    Raises
    ------
    InputError
        Danish message without location; the caller adds sheet, column and row.
    """
    p = _Parser(str(text), allowed)
    tree = p.parse()
    return Condition(text=str(text), tree=tree, columns=tuple(dict.fromkeys(p.columns)))


def _value(node, frame):
    kind = node[0]
    if kind == "col":
        if node[1] not in frame.columns:
            raise InputError(f"kolonnen '{node[1]}' findes ikke i de koblede data.")
        return frame[node[1]]
    return node[1]


def _eval(node, frame) -> np.ndarray:
    kind = node[0]
    if kind == "or":
        return _eval(node[1], frame) | _eval(node[2], frame)
    if kind == "and":
        return _eval(node[1], frame) & _eval(node[2], frame)
    if kind == "not":
        return ~_eval(node[1], frame)
    if kind == "truthy":
        s = pd.to_numeric(_value(node[1], frame), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return ~np.isnan(s) & (s != 0)
    _, op, left, right = node
    a, b = _value(left, frame), _value(right, frame)
    is_text = left[0] == "str" or right[0] == "str"
    if is_text:
        a = a.astype(object).map(lambda v: None if pd.isna(v) else str(v)) if isinstance(a, pd.Series) else a
        b = b.astype(object).map(lambda v: None if pd.isna(v) else str(v)) if isinstance(b, pd.Series) else b
        col = a if isinstance(a, pd.Series) else b
        missing = col.isna().to_numpy()
        res = (a == b) if op == "eq" else (a != b)
        return np.asarray(res, dtype=bool) & ~missing
    a = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float, na_value=np.nan) if isinstance(a, pd.Series) else a
    b = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float, na_value=np.nan) if isinstance(b, pd.Series) else b
    with np.errstate(invalid="ignore"):
        res = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
               "ge": np.greater_equal}[op](a, b)
    missing = np.isnan(a) | np.isnan(b)
    return np.asarray(res, dtype=bool) & ~missing
