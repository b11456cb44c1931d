"""The shareable copy of a need-model workbook (``tildeling share``).

The copy is a *new* workbook rendered from the computed results – nothing of
the original package is copied, so no pupil-level sheet, hidden sheet, pivot
cache, defined name or external link can travel along. Small numbers of persons
are suppressed (see :mod:`tildeling.privacy`: counts of 1 … N−1 as ``<N``, what
is computed from them left out, secondary cells ``..``), values are static (no
formulas that would need the input sheets). It opens on Sammenfatning (one page for the city council); the technical
sheets follow as an annex in plain words, and a last sheet says that it is a shared version. The rendered
file is audited by the disclosure checker (:mod:`tildeling.workbook.audit`) and only saved if it passes.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from ... import danish as dk
from ...errors import InputError
from ...privacy import check_threshold
from . import contract as c
from .sheets import RunInfo, legend
from .sheets.common import head_text
from .reader import NeedInputs, read_need_inputs
from ..audit import save_cleared
from ..render_xlsx import PERSONAL_FILL, STYLES, render_sheets
from .run import compute, fingerprint

__all__ = ["share_workbook", "share_inputs", "SHARED_NOTE_SHEET", "threshold_of"]

SHARED_NOTE_SHEET = "Om denne kopi"


def threshold_of(inputs: NeedInputs, override=None) -> int:
    """The disclosure threshold: ``override`` (``--min-celle``), else the workbook's ``MinCelle``, else 5."""
    if override is not None:
        return check_threshold(override, where="--min-celle")
    value = inputs.settings.get(c.MIN_CELL_NAME)
    if value is None or value == "":   # an older workbook, or left blank
        value = 5
    label = next(s.label for s in c.SETTINGS if s.name == c.MIN_CELL_NAME)
    return check_threshold(value, where=f"Arket '{c.SHEET_SETTINGS}': '{label}' ({c.MIN_CELL_NAME})")


def share_workbook(path, out, *, threshold=None, progress=None) -> Path:
    """Write the shareable copy of the workbook file ``path`` (a path or an opened
    :class:`~tildeling.io.files.WorkbookFile`) to ``out``."""
    from ...io.files import WorkbookFile, open_workbook

    say = progress or (lambda m: None)
    source = path if isinstance(path, WorkbookFile) else open_workbook(path)
    out = Path(out)
    say(f"Læser {source.name} …")
    inputs = read_need_inputs(source.data, source.name, defer=True)
    return share_inputs(inputs, out, fingerprint=fingerprint(source.data), threshold=threshold, progress=progress)


def shared_package(inputs: NeedInputs, *, fingerprint: str, threshold: int) -> bytes:
    """The shared copy as the bytes of an .xlsx package (not yet audited)."""
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=fingerprint,
                   coefficient_source=inputs.coefficient_source, settings={}, warnings=[])
    result, _, sheets = compute(inputs, info=info, shared=True, threshold=threshold)
    sheets = shared_order(sheets)
    none = int(result.without_district)
    if 0 < none < threshold:   # every pupil count is shown: Tabel 4.1 minus the districts would give them away
        raise InputError(f"Den delbare kopi kan ikke laves: {none} {'elev' if none == 1 else 'elever'} i 0.-9. "
                         f"klasse har intet distrikt – færre end {threshold}, og kommunens tal (Tabel 4.1) minus "
                         "distrikternes ville vise dem. Giv eleverne et distrikt (kolonnen Distrikt), eller tag dem ud "
                         "af elevdataene, før du deler.")
    wb = Workbook()
    wb.remove(wb.active)
    render_sheets(wb, sheets)
    ws = wb.create_sheet(SHARED_NOTE_SHEET)
    head = head_text(inputs.settings.get("Kommune"), inputs.settings.get("Budgetaar"), inputs.settings.get("Skoleaar"))
    lines = [
        ("title", f"Delt version – {head}" if head else "Delt version"),
        *([("banner", c.DEMO_BANNER), ("warning", c.DEMO_BANNER_NOTE)] if inputs.demo else []),
        ("normal", "Denne projektmappe er en delbar kopi af resultaterne af den socioøkonomiske behovsmodel."),
        ("normal", "Den indeholder ingen oplysninger om enkelte elever (intet elevark, ingen ElevID)."),
        ("normal", f"Antal under {threshold} personer er skjult, og det samme er tal, der er beregnet ud fra dem, "
                   f"eller som gælder en gruppe på under {threshold} personer. Hvor et skjult tal ellers kunne "
                   "regnes ud fra totaler eller andre tabeller, er flere tal skjult (Danmarks Statistiks praksis)."),
        ("normal", legend(threshold)),
        ("normal", "Tallene er faste værdier. Ændringer af budgettet skal laves i den oprindelige projektmappe."),
        ("normal", "Første ark, Sammenfatning, er én side til udvalget. Bagest står to bilag med modellen og "
                   "elevernes baggrund."),
        ("note", f"Lavet {dk.long_date(date.today())} af tildeling {info.version} fra en projektmappe med "
                 f"fingeraftryk {info.fingerprint}. Kontrolleret for små tal med grænsen {threshold}."),
    ]
    for i, (style, text) in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        cell.font = STYLES[style]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "banner":
            cell.fill = PERSONAL_FILL
    ws.column_dimensions["A"].width = 110
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.tabColor = "70AD47"
    wb.active = 0                               # it opens on Sammenfatning
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == wb.worksheets[0].title
    wb.properties.title = "Delt version – socioøkonomisk fordeling"
    wb.properties.creator = "tildeling"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def share_inputs(inputs: NeedInputs, out, *, fingerprint: str, threshold=None, progress=None) -> Path:
    """Write the shareable copy computed from ``inputs`` (a file's or a live workbook's) to ``out``.

    The rendered file is audited (tables, texts, package, pupil IDs) before it is saved; if the audit
    finds anything, nothing is written and a :class:`~tildeling.privacy.DisclosureError` says why.
    """
    say = progress or (lambda m: None)
    out = Path(out)
    n = threshold_of(inputs, threshold)
    say(f"Beregner og skjuler små tal (under {n}) …")
    data = shared_package(inputs, fingerprint=fingerprint, threshold=n)
    say("Kontrollerer den delbare kopi for små tal …")
    ids = inputs.pupils["ElevID"].tolist() if "ElevID" in inputs.pupils else []
    save_cleared(out, data, threshold=n, pupil_ids=ids)
    say(f"Skrev den delbare kopi: {out}")
    return out


#: The order of a shared copy: the summary first, the budget, the need and the benchmarks, then the annex.
SHARED_ORDER = (c.SHEET_SUMMARY, c.SHEET_ALLOCATION, c.SHEET_DEVELOPMENT, c.SHEET_SCENARIOS, c.SHEET_NEED,
                c.SHEET_BENCHMARK,
                c.SHEET_MODEL, c.SHEET_DESCRIPTIVES)


def shared_order(sheets: list) -> list:
    rank = {name: i for i, name in enumerate(SHARED_ORDER)}
    return sorted(sheets, key=lambda s: rank.get(s.name, len(rank)))


def assert_kind(path, name: str | None = None) -> str:
    """'behovsmodel', 'fravaer' or '' – the workbook's ``Modeltype`` (``path``: a path or the file's bytes)."""
    from ..graft import _Package
    from ..tables import damaged_package, defined_names

    data = bytes(path) if isinstance(path, (bytes, bytearray)) else Path(path).read_bytes()
    try:
        names = defined_names(_Package(data))
    except Exception as exc:  # noqa: BLE001 - a package we cannot read
        label = name or ("projektmappen" if isinstance(path, (bytes, bytearray)) else Path(path).name)
        raise damaged_package(data, label, exc) from None
    return names.get(c.KIND_NAME, "").strip('"')
