"""Audit a finished shared file (a shared copy or a delivery) before it is saved.

The core checker (:func:`tildeling.privacy.audit`) gets every Excel Table of the package (read with
python-calamine) and every text in it. The package itself is checked too:

- no sheet with pupil-level data (the personal-data sheets of both workbooks);
- no hidden or very hidden sheet;
- no pupil ID anywhere in any part of the zip package (when the IDs are given);
- no pivot cache, comment, external link, data connection, embedded object, macro, custom XML part or
  document property that could carry data;
- no number outside an Excel Table (the checker cannot tell what it means).

:func:`save_cleared` is what every shared writer calls: audit the rendered bytes, and only then save
them atomically. If the audit fails nothing is written, and the Danish message says why.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Iterable

import pandas as pd
from lxml import etree
from openpyxl.utils import range_boundaries

from ..errors import InputError
from ..io.atomic import atomic_write
from ..privacy import DEFAULT_THRESHOLD, Finding, audit, check_threshold, require_clear as _require_clear
from .graft import NS, _Package
from .tables import table_frame

__all__ = ["audit_package", "require_clear", "save_cleared", "read_published", "personal_sheets", "PERSONAL_SHEETS"]


#: The sheets with pupil-level data of both workbooks (the contracts' ``PERSONAL_SHEETS`` and
#: ``PUPIL_LEVEL_SHEETS``; a test checks that they agree): never in a shared file. Spelled out here so that
#: auditing a need-model file does not import the absence analysis.
PERSONAL_SHEETS = ("Elever", "Elevresultater", "Sagsbehandlerliste", "Ikke koblede elever", "Fravær", "Social",
                   "Familie", "Sprog")


def personal_sheets() -> tuple[str, ...]:
    return PERSONAL_SHEETS

#: Parts that may carry data outside the sheets: (name pattern, Danish description).
_FORBIDDEN_PARTS = (
    (r"^xl/pivotCache/", "en pivot-cache (en kopi af data bag en pivottabel)"),
    (r"^xl/pivotTables/", "en pivottabel"),
    (r"^xl/comments", "kommentarer"),
    (r"^xl/threadedComments/", "kommentartråde"),
    (r"^xl/persons/", "personer fra kommentartråde"),
    (r"^xl/externalLinks/", "et eksternt link til en anden fil"),
    (r"^xl/connections\.xml$", "en dataforbindelse"),
    (r"^xl/queryTables/", "en forespørgselstabel"),
    (r"^xl/embeddings/", "et indlejret objekt"),
    (r"^xl/vbaProject\.bin$", "makroer (VBA)"),
    (r"^xl/activeX/", "ActiveX-objekter"),
    (r"^customXml/", "brugerdefineret XML"),
    (r"^docProps/custom\.xml$", "brugerdefinerede dokumentegenskaber"),
)
_CORE_DATA_FIELDS = ("subject", "description", "keywords", "category", "contentStatus")


def _load(source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "Filen"
    path = Path(source)
    return path.read_bytes(), f"Filen {path.name}"


def read_published(data: bytes) -> tuple[dict, list, list[Finding]]:
    """(tables, texts, package findings) of a package: every Excel Table as a DataFrame, every text."""
    from python_calamine import CalamineWorkbook

    findings: list[Finding] = []
    try:
        pkg = _Package(data)
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"Filen er ikke en gyldig Excel-projektmappe (.xlsx): {exc}") from exc
    sheet_parts = pkg.sheets()
    tables: dict = {}
    table_areas: dict[str, list] = {}
    totals_rows: dict[str, tuple] = {}   # table → (sheet, row, first col, last col) of its totals row
    for sheet, part in sheet_parts.items():
        for t in pkg.related(part):
            if "/tables/" in t:
                root = etree.fromstring(pkg.parts[t])
                area = range_boundaries(root.get("ref"))
                table_areas.setdefault(sheet, []).append(area)
                if int(root.get("totalsRowCount") or 0) > 0:
                    totals_rows[root.get("displayName")] = (sheet, area[3], area[0], area[2])
    grids: dict = {}
    for tname in wb.table_names:
        t = wb.get_table_by_name(tname)
        cols = [str(x).strip() for x in t.columns]
        frame = table_frame(t.to_python(), cols)
        if tname in totals_rows:   # Excel's totals row (I alt) is part of what is published
            sheet, row, c0, c1 = totals_rows[tname]
            if sheet not in grids:
                grids[sheet] = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            grid = grids[sheet]
            values = [grid[row - 1][j - 1] if row - 1 < len(grid) and j - 1 < len(grid[row - 1]) else None
                      for j in range(c0, c1 + 1)]
            values = [None if v == "" else v for v in values]
            if any(v is not None for v in values):
                frame = pd.concat([frame.astype(object), pd.DataFrame([values], columns=cols, dtype=object)],
                                  ignore_index=True)
        tables[tname] = frame
    texts: list = []
    for sheet in wb.sheet_names:
        part = sheet_parts.get(sheet)
        formulas = _formula_cells(pkg.parts.get(part, b"")) if part else set()
        grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        areas = table_areas.get(sheet, [])
        loose = []
        for r, row in enumerate(grid, start=1):
            for c, v in enumerate(row, start=1):
                if v is None or v == "":
                    continue
                if isinstance(v, str):
                    if not any(a[0] <= c <= a[2] and a[1] <= r <= a[3] for a in areas):
                        texts.append((f"arket '{sheet}', celle {_a1(r, c)}", v))
                    continue
                if (r, c) in formulas or isinstance(v, bool):
                    continue
                if not any(a[0] <= c <= a[2] and a[1] <= r <= a[3] for a in areas):
                    loose.append(_a1(r, c))
        if loose:
            findings.append(Finding("", f"arket '{sheet}'", "tal-uden-tabel",
                                    f"Arket '{sheet}' har tal uden for en tabel ({', '.join(loose[:5])}"
                                    f"{' …' if len(loose) > 5 else ''}); kontrollen kan ikke se, hvad de betyder."))
    for name, blob in pkg.parts.items():
        if re.match(r"^xl/(charts|drawings)/[^/]+\.xml$", name):
            for m in re.finditer(rb"<a:t>([^<]*)</a:t>", blob):
                texts.append((f"et diagram ({name})", m.group(1).decode("utf-8", "replace")))
    return tables, texts, findings


def _a1(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


_CELL_WITH_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)


def _formula_cells(xml: bytes) -> set:
    from openpyxl.utils import column_index_from_string

    return {(int(m.group(2)), column_index_from_string(m.group(1).decode())) for m in _CELL_WITH_FORMULA.finditer(xml)}


def _package_findings(pkg: _Package, *, pupil_ids: Iterable = (), sheets=None) -> list[Finding]:
    out: list[Finding] = []
    personal = set(personal_sheets() if sheets is None else sheets)
    wb = etree.fromstring(pkg.parts[pkg.workbook_part])
    for s in wb.iterfind("m:sheets/m:sheet", NS):
        name, state = s.get("name"), s.get("state", "visible")
        if name in personal:
            out.append(Finding("", f"arket '{name}'", "persondata-ark",
                               f"Arket '{name}' indeholder data om enkelte elever og må ikke være i en delt fil."))
        if state in ("hidden", "veryHidden"):
            out.append(Finding("", f"arket '{name}'", "skjult-ark",
                               f"Arket '{name}' er skjult ({'meget skjult' if state == 'veryHidden' else 'skjult'}); "
                               "en delt fil må ikke have skjulte ark."))
    for part in pkg.parts:
        for pattern, what in _FORBIDDEN_PARTS:
            if re.search(pattern, part):
                out.append(Finding("", part, "pakkedel", f"Filen indeholder {what} ({part}), som kan bære data."))
    core = pkg.parts.get("docProps/core.xml")
    if core:
        root = etree.fromstring(core)
        for el in root:
            tag = etree.QName(el).localname
            if tag in _CORE_DATA_FIELDS and (el.text or "").strip():
                out.append(Finding("", "dokumentegenskaberne", "egenskab",
                                   f"Dokumentegenskaben '{tag}' er udfyldt ('{el.text.strip()[:40]}'); en delt fil "
                                   "må ikke bære data i egenskaberne."))
    ids = set(map(str.strip, map(str, pupil_ids)))
    ids.discard("")
    if ids:
        long_ids = {i for i in ids if not (i.isdigit() and len(i) < 6)}
        short_ids = ids - long_ids
        token = re.compile(r"[\w\-]+")
        for name, blob in pkg.parts.items():
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError:
                text = blob.decode("latin-1")
            found = sorted(long_ids.intersection(token.findall(text)))
            if short_ids and ("sharedStrings" in name or "<is>" in text or 't="str"' in text):
                strings = re.findall(r"<t[^>]*>([^<]*)</t>", text)
                found += sorted(short_ids.intersection(map(str.strip, strings)))
            if found:
                out.append(Finding("", name, "elev-id",
                                   f"Pakkedelen {name} indeholder ElevID ({', '.join(found[:3])}"
                                   f"{' …' if len(found) > 3 else ''})."))
    return out


def audit_package(source, *, threshold: int = DEFAULT_THRESHOLD, pupil_ids: Iterable = (),
                  personal_sheets=None) -> list[Finding]:
    """Every finding in a finished file (bytes or a path): its tables, its texts and its package."""
    threshold = check_threshold(threshold)
    data, _ = _load(source)
    pkg = _Package(data)
    findings = _package_findings(pkg, pupil_ids=pupil_ids, sheets=personal_sheets)
    tables, texts, loose = read_published(data)
    findings += loose
    findings += audit(tables, threshold=threshold, texts=texts)
    return findings


def require_clear(source, *, threshold: int = DEFAULT_THRESHOLD, pupil_ids: Iterable = (), personal_sheets=None,
                  what: str | None = None) -> None:
    """Raise :class:`~tildeling.privacy.DisclosureError` (a TildelingError, Danish) if the file is not clear.

    ``source``: the file's bytes or path, or a list of findings already made.
    """
    if isinstance(source, list):
        _require_clear(source, what=what or "Filen")
        return
    data, label = _load(source)
    findings = audit_package(data, threshold=threshold, pupil_ids=pupil_ids, personal_sheets=personal_sheets)
    _require_clear(findings, what=what or label)


def save_cleared(out, data: bytes, *, threshold: int = DEFAULT_THRESHOLD, pupil_ids: Iterable = (),
                 what: str = "Den delbare kopi", personal_sheets=None) -> Path:
    """Audit ``data`` and only then write it atomically to ``out`` (nothing is written if it fails)."""
    require_clear(data, threshold=threshold, pupil_ids=pupil_ids, personal_sheets=personal_sheets, what=what)
    out = Path(out)
    atomic_write(out, data)
    return out
