"""The shareable copy of a need-model workbook (``tildeling share``).

The copy is a *new* workbook rendered from the computed results – nothing of
the original package is copied, so no pupil-level sheet, hidden sheet, pivot
cache, defined name or external link can travel along. Counts under five are
suppressed (see :mod:`tildeling.privacy`), values are static (no formulas that
would need the input sheets). It opens on Sammenfatning (one page for the city council); the technical sheets
follow as an annex in plain words, and a last sheet says that it is a shared version.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from ... import danish as dk
from ...errors import InputError
from ...io.atomic import atomic_save
from ...privacy import SMALL_CELL
from . import contract as c
from .sheets import RunInfo
from .sheets.common import head_text
from .reader import NeedInputs, read_need_inputs
from ..render_xlsx import PERSONAL_FILL, STYLES, render_sheets
from .run import compute, fingerprint

__all__ = ["share_workbook", "share_inputs", "SHARED_NOTE_SHEET"]

SHARED_NOTE_SHEET = "Om denne kopi"


def share_workbook(path, out, *, progress=None) -> Path:
    """Write the shareable copy of the workbook file ``path`` (a path or an opened
    :class:`~tildeling.io.files.WorkbookFile`) to ``out``."""
    from ...io.files import WorkbookFile, open_workbook

    say = progress or (lambda m: None)
    source = path if isinstance(path, WorkbookFile) else open_workbook(path)
    out = Path(out)
    say(f"Læser {source.name} …")
    inputs = read_need_inputs(source.data, source.name)
    return share_inputs(inputs, out, fingerprint=fingerprint(source.data), progress=progress)


def share_inputs(inputs: NeedInputs, out, *, fingerprint: str, progress=None) -> Path:
    """Write the shareable copy computed from ``inputs`` (a file's or a live workbook's) to ``out``."""
    say = progress or (lambda m: None)
    out = Path(out)
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=fingerprint,
                   coefficient_source=inputs.coefficient_source, settings={}, warnings=[])
    say("Beregner og skjuler små tal …")
    result, _, sheets = compute(inputs, info=info, shared=True)
    sheets = shared_order(sheets)
    none = int(result.without_district)
    if 0 < none < SMALL_CELL:
        raise InputError(f"Den delbare kopi kan ikke laves: {none} {'elev' if none == 1 else 'elever'} i 0.-9. "
                         f"klasse har intet distrikt – færre end {SMALL_CELL}, og kommunens tal (Tabel 4.1) minus "
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
        ("normal", f"Antal under {SMALL_CELL} personer er skjult og vist som '<{SMALL_CELL}', og tal beregnet ud "
                   "fra dem er udeladt (Danmarks Statistiks praksis)."),
        ("normal", "Tallene er faste værdier. Ændringer af budgettet skal laves i den oprindelige projektmappe."),
        ("normal", "Første ark, Sammenfatning, er én side til udvalget. Bagest står to bilag med modellen og "
                   "elevernes baggrund."),
        ("note", f"Lavet {dk.long_date(date.today())} af tildeling {info.version} fra en projektmappe med "
                 f"fingeraftryk {info.fingerprint}."),
    ]
    for i, (style, text) in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = STYLES[style]
        if style == "banner":
            ws.cell(row=i, column=1).fill = PERSONAL_FILL
    ws.column_dimensions["A"].width = 110
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.tabColor = "70AD47"
    wb.active = 0                               # it opens on Sammenfatning
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == wb.worksheets[0].title
    wb.properties.title = "Delt version – socioøkonomisk fordeling"
    wb.properties.creator = "tildeling"
    atomic_save(wb, out)
    say(f"Skrev den delbare kopi: {out}")
    return out


#: The order of a shared copy: the summary first, the budget, the need and the benchmarks, then the annex.
SHARED_ORDER = (c.SHEET_SUMMARY, c.SHEET_ALLOCATION, c.SHEET_DEVELOPMENT, c.SHEET_SCENARIOS, c.SHEET_NEED,
                c.SHEET_BENCHMARK,
                c.SHEET_MODEL, c.SHEET_DESCRIPTIVES)


def shared_order(sheets: list) -> list:
    rank = {name: i for i, name in enumerate(SHARED_ORDER)}
    return sorted(sheets, key=lambda s: rank.get(s.name, len(rank)))


def assert_kind(path) -> str:
    """'behovsmodel', 'fravaer' or '' – the workbook's ``Modeltype`` (``path``: a path or the file's bytes)."""
    from ..graft import _Package
    from ..tables import damaged_package, defined_names

    data = bytes(path) if isinstance(path, (bytes, bytearray)) else Path(path).read_bytes()
    try:
        names = defined_names(_Package(data))
    except Exception as exc:  # noqa: BLE001 - a package we cannot read
        raise damaged_package(data, "projektmappen" if isinstance(path, (bytes, bytearray)) else Path(path).name,
                              exc) from None
    return names.get(c.KIND_NAME, "").strip('"')
