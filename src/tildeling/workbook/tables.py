"""Read the Excel Tables and defined names of a workbook package (fast: python-calamine).

Shared by the need-model and the absence workbooks; the file is never changed.

python-calamine reads an Excel error value (``#REF!`` …) and a formula without a saved value as an empty
cell, which would silently turn a ``#REF!`` floor into "no floor". So the worksheet XML of every sheet with
a table or a setting is scanned for such cells, in every form Excel and LibreOffice write them (typed
``t="e"`` with or without a style, any attribute order, after formatted blank cells, with a namespace prefix,
cells without an ``r`` reference, formula cells with a cached error); text that is exactly an error value
(``'#N/A'`` pasted as text, in shared or inline strings) counts too. Such a cell becomes an
:class:`~tildeling.errors.ExcelError` in the frame, and every table column with one gives a problem with
sheet, column and rows (:attr:`WorkbookTables.problems`). Data pasted in the rows right below a table, outside
it, gives a warning that names the rows (:attr:`WorkbookTables.warnings`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from ..errors import EXCEL_ERRORS, ExcelError, InputError, Source, format_names, format_rows
from .graft import NS, _Package

__all__ = ["WorkbookTables", "read_tables", "defined_names", "error_value_error", "table_frame", "error_cells",
           "resolve_name", "name_reference", "SheetCells", "scan_sheet", "rows_below", "mark_text_errors", "text_errors", "NOT_CALCULATED",
           "open_calamine"]

#: What a formula cell without a saved value reads as (the file was written by a program that does not
#: calculate, e.g. a script; Excel saves a value with every formula).
NOT_CALCULATED = ExcelError("#IKKE BEREGNET")


@dataclass
class WorkbookTables:
    """The Excel Tables of a workbook as DataFrames, with Sources for messages.

    ``problems``: Excel error values and formulas without a value inside the tables (one
    :class:`InputError` per table column). ``warnings``: Danish sentences, e.g. data pasted below a table.
    """

    name: str
    frames: dict[str, pd.DataFrame]
    sources: dict[str, Source]
    sheets: dict[str, str]            # table → sheet
    names: dict[str, object]          # defined names → value
    sheet_names: list[str]
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    references: dict = field(default_factory=dict)   # defined name → (sheet, cell such as 'B6')
    table_problems: dict = field(default_factory=dict)   # table → its problems (also in ``problems``)
    table_warnings: dict = field(default_factory=dict)   # table → its warnings (also in ``warnings``)

    def problems_of(self, tables) -> list:
        """The problems of the tables a reader uses (a result table's formulas are none of its business)."""
        return [p for t in tables for p in self.table_problems.get(t, [])]

    def warnings_of(self, tables) -> list:
        return [w for t in tables for w in self.table_warnings.get(t, [])]

    def require(self, table: str, sheet: str) -> pd.DataFrame:
        if table not in self.frames:
            if sheet not in self.sheet_names:
                raise InputError(f"Projektmappen {self.name} mangler arket '{sheet}' (med tabellen {table}). "
                                 "Lav en ny projektmappe med 'tildeling new', og kopiér dine data over.")
            raise InputError(f"Arket '{sheet}' mangler tabellen {table}. Gør området til en tabel (Ctrl+T) og "
                             f"giv den navnet {table} (Tabeldesign → Tabelnavn).")
        return self.frames[table]


def defined_names(pkg: _Package) -> dict[str, str]:
    wb = etree.fromstring(pkg.parts[pkg.workbook_part])
    out = {}
    dn = wb.find("m:definedNames", NS)
    if dn is not None:
        for d in dn:
            if isinstance(d.tag, str) and d.get("localSheetId") is None and d.text:
                out[d.get("name")] = d.text
    return out


_REF = re.compile(r"^'?(?P<sheet>[^'!]+(?:''[^'!]*)*)'?!\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)$")


def name_reference(text: str) -> tuple[str, str] | None:
    """(sheet, cell) of a defined name that refers to one cell (``Indstillinger!$B$6`` → ('Indstillinger', 'B6'))."""
    text = text.strip().lstrip("=").strip()
    m = _REF.match(text)
    if not m:
        return None
    return m.group("sheet").replace("''", "'"), f"{m.group('col')}{m.group('row')}"


def resolve_name(text: str, cell) -> object:
    """The value of a defined name's formula; ``cell(sheet, row, col)`` (1-based) reads a referenced cell.

    A name whose reference was deleted (``#REF!``) gives :class:`~tildeling.errors.ExcelError` ``'#REF!'``.
    """
    text = text.strip()
    if text.startswith("="):
        text = text[1:].strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if "#REF!" in text.upper():
        return ExcelError("#REF!")
    m = _REF.match(text)
    if not m:
        try:
            return float(text)
        except ValueError:
            return text
    sheet = m.group("sheet").replace("''", "'")
    return cell(sheet, int(m.group("row")), column_index_from_string(m.group("col")))


def error_value_error(text: str, source: Source, column: str | None, rows) -> InputError:
    """The message for Excel error values (#DIV/0! …) inside an input table (files and live Excel)."""
    if text == NOT_CALCULATED:
        return InputError("formlen i cellen har ingen beregnet værdi (filen er gemt af et program, der ikke "
                          "beregner formler). Åbn filen i Excel, tryk F9, og gem den – eller skriv værdien.",
                          source=source, column=column, rows=rows, kind="excel_error")
    return InputError(f"fejlværdien '{text}' – ret formlen eller skriv en værdi.", source=source, column=column,
                      rows=rows, kind="excel_error")


# ---------------------------------------------------------------------------------------- the XML scan
@dataclass
class SheetCells:
    """Cells of one worksheet that python-calamine reads as empty although they are not.

    ``errors``: (row, col) → the error text (``'#REF!'``, or :data:`NOT_CALCULATED` for a formula without a
    saved value); both 1-based.
    """

    errors: dict = field(default_factory=dict)


#: Error values as text, as they may stand in a cell (also with the spaces a paste can leave).
_ERROR_TEXTS = sorted(EXCEL_ERRORS | {e.lower() for e in EXCEL_ERRORS} | {f" {e}" for e in EXCEL_ERRORS}
                      | {f"{e} " for e in EXCEL_ERRORS})

_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b")
_ERROR_ATTR = re.compile(rb"""\st\s*=\s*["']e["']""")
_ATTRS = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {m.group(1).split(b":")[-1]: (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTRS.finditer(tag)}


def _prefix(data: bytes) -> bytes:
    m = _PREFIX.search(data, 0, 4096) or _PREFIX.search(data)
    return (m.group(1) + b":") if m and m.group(1) else b""


def scan_sheet(data: bytes) -> SheetCells:
    """Find error cells and formula cells without a saved value in a worksheet's XML (bytes).

    Fast when there are none (two searches of the bytes); otherwise every cell is visited, so that cells
    written without an ``r`` reference get their position from their neighbours.
    """
    out = SheetCells()
    p = _prefix(data)
    has_error = data.find(b't="e"') >= 0 or data.find(b"t='e'") >= 0
    has_formula = data.find(b"</" + p + b"f>") >= 0   # every formula cell with a formula text closes it
    if not (has_error or has_formula):
        return out
    token = re.compile(rb"<(/?)" + re.escape(p) + rb"(row|c|f|v|is)\b([^>]*?)(/?)>")
    row, col = 0, 0
    cell = None  # [row, col, is_error, has_formula, value_bytes, has_inline]
    value_start = None

    def finish(c):
        if c is None:
            return
        r, k, is_err, has_f, value, inline, is_str = c
        text = (value or b"").strip()
        if is_err:
            out.errors[(r, k)] = ExcelError(_unescape(text.decode("utf-8", "replace")) or "#FEJL")
        elif has_f and not text and not inline and not (is_str and value is not None):
            # (a formula whose saved value is the empty string – t="str" with <v></v> – is calculated)
            out.errors[(r, k)] = NOT_CALCULATED

    for m in token.finditer(data):
        closing, name, attrs, selfclose = m.group(1), m.group(2), m.group(3), m.group(4)
        if name == b"row":
            if closing:
                continue
            a = _attrs(attrs)
            row = int(a[b"r"]) if b"r" in a else row + 1
            col = 0
        elif name == b"c":
            if closing:
                finish(cell)
                cell = None
                continue
            a = _attrs(attrs)
            ref = a.get(b"r")
            if ref is not None:
                mm = _CELL_REF.match(ref.decode("ascii", "replace"))
                if mm:
                    col = column_index_from_string(mm.group(1).upper())
                    row = int(mm.group(2))
                else:
                    col += 1
            else:
                col += 1
            if selfclose:
                cell = None
                continue
            cell = [row, col, a.get(b"t") == b"e", False, None, False, a.get(b"t") == b"str"]
        elif cell is None:
            continue
        elif name == b"f" and not closing:
            cell[3] = True
        elif name == b"is" and not closing:
            cell[5] = True
        elif name == b"v":
            if closing:
                if value_start is not None:
                    cell[4] = data[value_start:m.start()]
                    value_start = None
            elif not selfclose:
                value_start = m.end()
    return out


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def error_cells(pkg: _Package, sheet_part: str, ref: str) -> list[tuple[int, int, str]]:
    """(row, col, error text) of cells with an Excel error value inside ``ref`` (below its header row)."""
    data = pkg.parts.get(sheet_part, b"")
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return sorted((r, k, text) for (r, k), text in scan_sheet(data).errors.items()
                  if min_col <= k <= max_col and min_row < r <= max_row)


def _find_row(data: bytes, prefix: bytes, n: int, start: int = 0) -> int:
    """Offset of the start tag of row ``n`` (``<row r="n" …>``), or -1."""
    tag = b"<" + prefix + b"row"
    for needle in (b'r="%d"' % n, b"r='%d'" % n):
        i = data.find(needle, start)
        while i >= 0:
            lt = data.rfind(b"<", 0, i)
            if data.startswith(tag, lt) and data[lt + len(tag):lt + len(tag) + 1] in (b" ", b"\t", b"\n", b"\r"):
                return lt
            i = data.find(needle, i + 1)
    return -1


def rows_below(data: bytes, last_row: int, min_col: int, max_col: int, shared_strings=None,
               limit: int = 1_048_576) -> list[int]:
    """Rows right below a table (``last_row + 1`` and on, while they hold data in the table's columns)."""
    prefix = _prefix(data)
    p = re.escape(prefix)
    cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>(.*?)</" + p + rb"c>|<" + p + rb"c\b([^>]*?)/>", re.S)
    end_tag = b"</" + prefix + b"row>"
    out: list[int] = []
    target = last_row + 1
    last = data.rfind(b"<" + prefix + b"row ")       # rows are in order: the last one is near the end
    m = re.match(rb"<" + p + rb"row\b[^>]*?\br\s*=\s*[\"'](\d+)[\"']", data[last:last + 512]) if last >= 0 else None
    if m is None or int(m.group(1)) < target:
        return out
    pos = max(0, data.rfind(b'r="%d"' % last_row) - 64)  # start at the table's last row
    pos = pos if pos > 0 else 0
    while len(out) < limit:
        lt = _find_row(data, prefix, target, pos)
        if lt < 0:
            break
        gt = data.find(b">", lt)
        if gt < 0 or data[gt - 1:gt] == b"/":
            break
        end = data.find(end_tag, gt)
        if end < 0:
            break
        if not _row_has_data(data[gt + 1:end], cell_re, min_col, max_col, shared_strings):
            break
        out.append(target)
        target += 1
        pos = end
    return out


def _row_has_data(body: bytes, cell_re, min_col: int, max_col: int, shared_strings) -> bool:
    for c in cell_re.finditer(body):
        attrs = c.group(1) if c.group(1) is not None else c.group(4)
        content = c.group(3) or b""
        a = _attrs(attrs)
        ref = a.get(b"r")
        if ref is None:
            continue
        mm = _CELL_REF.match(ref.decode("ascii", "replace"))
        if not mm or not min_col <= column_index_from_string(mm.group(1).upper()) <= max_col:
            continue
        v = re.search(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", content, re.S)
        if a.get(b"t") == b"s" and v is not None and shared_strings is not None:
            try:
                if str(shared_strings(int(v.group(1)))).strip():
                    return True
            except (ValueError, IndexError):
                return True
            continue
        if v is not None and v.group(1).strip():
            return True
        if b"<t" in content and re.sub(rb"<[^>]*>", b"", content).strip():
            return True
    return False


def _shared_strings(pkg: _Package):
    cache: list = []

    def get(i: int) -> str:
        if not cache:
            part = next((p for p in pkg.parts if p.lower().endswith("sharedstrings.xml")), None)
            root = etree.fromstring(pkg.parts[part], etree.XMLParser(huge_tree=True)) if part else None
            m = "{%s}" % NS["m"]
            cache.append([] if root is None else
                         ["".join(t.text or "" for t in si.iter(m + "t")) for si in root.iter(m + "si")])
        return cache[0][i]

    return get


# ---------------------------------------------------------------------------------------- frames
def table_frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """A table body as a DataFrame: empty strings become missing, blank rows at the end are dropped."""
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    frame = frame.replace({"": None}) if len(frame) else frame
    if len(frame):
        filled = frame.notna().any(axis=1).to_numpy()
        last = np.flatnonzero(filled)
        frame = frame.iloc[: (last[-1] + 1 if len(last) else 0)]
    return frame


def text_errors(frame: pd.DataFrame) -> dict[int, list[int]]:
    """Positions (column → rows) of texts that are exactly an Excel error value (``'#N/A'`` pasted as text)."""
    found: dict[int, list[int]] = {}
    for j in range(frame.shape[1]):
        s = frame.iloc[:, j]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        hit = s.isin(_ERROR_TEXTS).to_numpy(dtype=bool)
        if hit.any():
            found[j] = [int(i) for i in np.flatnonzero(hit)]
    return found


def mark_text_errors(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[int]]]:
    """The frame with error texts turned into :class:`ExcelError` (a copy if any), and their positions."""
    found = text_errors(frame)
    if found:
        frame = frame.astype(object)
        for j, pos in found.items():
            for i in pos:
                frame.iat[i, j] = ExcelError(str(frame.iat[i, j]).strip())
    return frame, found


def open_calamine(data: bytes, name: str):
    """python-calamine's reader of a package; a damaged package gives a Danish message."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except Exception as exc:  # noqa: BLE001 - whatever the reader trips on, the file is damaged
        raise damaged_package(data, name, exc) from None


def damaged_package(data: bytes, name: str, exc: BaseException) -> InputError:
    """The Danish message for a package the reader could not read, naming the broken part if it can."""
    import zipfile

    from ..io.files import damaged_message

    crc = re.search(r"Bad CRC-32 for file '([^']+)'", str(exc))
    if crc:
        return InputError(damaged_message(name, f"delen '{crc.group(1)}' har en forkert kontrolsum (CRC-fejl)"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for part in z.namelist():
                if part.endswith((".xml", ".rels")):
                    try:
                        etree.fromstring(z.read(part), etree.XMLParser(huge_tree=True))
                    except etree.XMLSyntaxError:
                        return InputError(damaged_message(name, f"delen '{part}' er ikke gyldig XML"))
    except Exception:  # noqa: BLE001
        pass
    return InputError(damaged_message(name, f"den kan ikke læses ({type(exc).__name__}: {exc})"))


def read_tables(data: bytes, name: str = "projektmappen") -> WorkbookTables:
    """Every Excel Table of the package as a DataFrame (blank trailing rows dropped).

    Error values and formulas without a value are marked and listed in ``problems``; data right below a
    table is listed in ``warnings``. A package the reader cannot read gives a Danish :class:`InputError`.
    """
    try:
        pkg = _Package(data)
        sheet_parts = pkg.sheets()
    except Exception as exc:  # noqa: BLE001 - not a package we can read
        raise damaged_package(data, name, exc) from None
    wb = open_calamine(data, name)
    table_refs = {}
    for sheet, part in sheet_parts.items():
        for t in pkg.related(part):
            if "/tables/" in t:
                try:
                    root = etree.fromstring(pkg.parts[t])
                except etree.XMLSyntaxError as exc:
                    raise damaged_package(data, name, exc) from None
                table_refs[root.get("displayName")] = (sheet, root.get("ref"), part)
    scans: dict[str, SheetCells] = {}

    def scan(part: str) -> SheetCells:
        if part not in scans:
            scans[part] = scan_sheet(pkg.parts.get(part, b""))
        return scans[part]

    strings = _shared_strings(pkg)
    frames, sources, sheets, problems, warnings = {}, {}, {}, [], []
    table_problems: dict[str, list] = {}
    table_warnings: dict[str, list] = {}

    def add_problem(table: str, problem: InputError) -> None:
        problems.append(problem)
        table_problems.setdefault(table, []).append(problem)

    def add_warning(table: str, text: str) -> None:
        warnings.append(text)
        table_warnings.setdefault(table, []).append(text)
    try:
        table_names = list(wb.table_names)
    except Exception as exc:  # noqa: BLE001
        raise damaged_package(data, name, exc) from None
    for tname in table_names:
        try:
            t = wb.get_table_by_name(tname)
            cols = [str(x).strip() for x in t.columns]
            frame = table_frame(t.to_python(), cols)
        except Exception as exc:  # noqa: BLE001 - a sheet the reader trips on is damaged
            raise damaged_package(data, name, exc) from None
        first_row = t.start[0] + 1
        src = Source(f"Arket '{t.sheet}' (tabellen {tname})", first_row=first_row)
        dup = sorted({c for c in cols if c and cols.count(c) > 1})
        blank = [i for i, c in enumerate(cols) if not c]
        if dup or blank:
            add_problem(tname, InputError(
                (f"overskriften {format_names(dup)} står flere gange" if dup else "en kolonne har ingen overskrift")
                + " – hver kolonne i tabellen skal have sit eget navn.", source=src))
            seen: dict[str, int] = {}
            for i, c in enumerate(cols):     # unique names, so that the rest of the checks can run
                seen[c] = seen.get(c, 0) + 1
                if not c or seen[c] > 1:
                    cols[i] = f"{c or 'Kolonne'} ({seen[c]})"
            frame.columns = cols
        bad: dict[int, dict[int, str]] = {}        # column position → {frame position: text}
        if tname in table_refs:
            sheet, ref, part = table_refs[tname]
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            for (r, k), text in scan(part).errors.items():
                if min_col <= k <= max_col and first_row <= r <= max_row:
                    bad.setdefault(k - min_col, {})[r - first_row] = text
            if bad:
                last = max(p for d in bad.values() for p in d)
                if last >= len(frame):  # an error in the trailing rows that looked blank
                    frame = frame.reindex(range(last + 1))
                frame = frame.astype(object)
                for j, cells in bad.items():
                    if j < frame.shape[1]:
                        for i, text in cells.items():
                            frame.iat[i, j] = text
            below = rows_below(pkg.parts.get(part, b""), max_row, min_col, max_col, strings)
            if below:
                add_warning(tname,
                    f"Arket '{t.sheet}': {format_rows(below)} lige under tabellen {tname} har data, der ikke er "
                    f"med i tabellen og derfor ikke er brugt. Skal de med, så udvid tabellen (træk i hjørnet "
                    f"nederst til højre, eller Tabeldesign → Tilpas tabelstørrelse til "
                    f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{below[-1]}).")
        frame, found = mark_text_errors(frame)
        for j, pos in found.items():
            for i in pos:
                bad.setdefault(j, {})[i] = frame.iat[i, j]
        for j in sorted(bad):
            cells = bad[j]
            if j >= len(cols):
                continue
            order = sorted(cells)
            add_problem(tname, error_value_error(cells[order[0]], src, cols[j], src.rows(order)))
        frames[tname], sources[tname], sheets[tname] = frame, src, t.sheet

    grids: dict = {}

    def cell(sheet: str, row: int, col: int):
        part = sheet_parts.get(sheet)
        if part is not None:
            err = scan(part).errors.get((row, col))
            if err is not None:
                return err
        if sheet not in grids:
            if sheet not in wb.sheet_names:
                return None
            try:
                grids[sheet] = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                raise damaged_package(data, name, exc) from None
        grid = grids[sheet]
        if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
            value = grid[row - 1][col - 1]
            if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
                return ExcelError(value.strip())
            return value
        return None

    texts = defined_names(pkg)
    names = {k: resolve_name(v, cell) for k, v in texts.items()}
    refs = {k: r for k, r in ((k, name_reference(v)) for k, v in texts.items()) if r is not None}
    return WorkbookTables(name, frames, sources, sheets, names, list(wb.sheet_names), problems, warnings, refs,
                          table_problems, table_warnings)
