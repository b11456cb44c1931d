"""Render :mod:`tildeling.workbook.layout` sheets into a live workbook through xlwings.

The sibling of :mod:`tildeling.workbook.render_xlsx`: the same blocks (Text,
TableBlock, Chart) at the same cells, written through xlwings' ``Book`` API so
that it works in desktop Excel and on xlwings' remote engine alike. Values are
written one block at a time; formulas one column at a time (the budget columns
stay live formulas on ``SamletBudget``); Excel Tables get their contract names.

Cosmetics that an engine cannot do (colours on some engines, native charts on
the remote engine) are skipped silently: the numbers are there anyway.

In xlwings Lite (:func:`tildeling.xl._common.on_lite`) the same sheets are written
with the actions Lite's client understands: formulas as ``"=…"`` values in the
same block as the numbers, no column widths, no wrap, no hidden sheets, no
dropdowns from code, and where a chart would go a Danish note says how to insert it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from ..workbook.need import contract as c
from ._common import on_lite, runs as _runs, write_formulas
from ..workbook.layout import Chart, Sheet, TableBlock, Text, cell_value, resolve

__all__ = ["render_sheets", "replace_sheet", "delete_sheet", "coefficient_sheet", "render_lists", "ListsUpdate",
           "set_list_validations", "chart_note"]

from ..workbook.render_xlsx import RESULT_TAB  # noqa: E402 - one colour for result tabs

HEADER_FILL = "#1F4E78"
HEADER_FONT = "#FFFFFF"
HELPER_FONT = "#808080"
PERSONAL_FILL = "#C00000"
TABLE_STYLE = "TableStyleMedium2"
#: Text style → (bold, colour, size)
TEXT_STYLES = {
    "title": (True, "#1F4E78", 14),
    "subtitle": (True, "#1F4E78", 11),
    "normal": (False, None, None),
    "note": (False, "#595959", 10),
    "warning": (True, "#C00000", None),
    "personal": (True, "#FFFFFF", 12),
    "banner": (True, "#FFFFFF", 12),
}
#: A banner's red band covers this many columns (the text runs over them).
BANNER_COLUMNS = 8
_CM = 28.35  # points per centimetre
#: Where a chart would go, in xlwings Lite (no native charts from code).
MSG_CHART_LITE = ("Diagram: {title}. xlwings Lite kan ikke tegne diagrammer: markér tabellen {table} og vælg "
                  "Indsæt → Diagram → Søjle. Tilføjelsesprogrammet Tildeling (Excel på Windows) tegner det selv.")


def chart_note(title: str, table: str) -> str:
    """The Danish note that stands where a chart would go in xlwings Lite."""
    return MSG_CHART_LITE.format(title=title.rstrip("."), table=table)


def _cosmetic(fn, *args) -> None:
    """Run a purely visual step; skip it where the engine cannot (remote engine, macOS differences)."""
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - NotImplementedError on the remote engine; formatting never stops a run
        pass


def _sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def delete_sheet(book, name: str) -> int | None:
    """Delete sheet ``name`` if it exists; return its former 0-based position."""
    names = _sheet_names(book)
    if name not in names:
        return None
    book.sheets[name].delete()
    return names.index(name)


def replace_sheet(book, name: str, position: int | None = None):
    """A fresh, empty sheet ``name`` at ``position`` (default: where it was, else last)."""
    old = delete_sheet(book, name)
    pos = old if position is None else position
    n = len(book.sheets)
    if pos is None or pos >= n:
        pos = n
    if pos == 0:
        return book.sheets.add(name, before=book.sheets[0])
    # 'after' the previous sheet: the remote engine places 'before=' one position too early
    return book.sheets.add(name, after=book.sheets[pos - 1])


def _font(rng, bold=None, color=None, size=None, italic=None) -> None:
    if bold:
        rng.font.bold = True
    if italic:
        _cosmetic(setattr, rng.font, "italic", True)
    if color:
        _cosmetic(setattr, rng.font, "color", color)
    if size:
        _cosmetic(setattr, rng.font, "size", size)


def _render_text(ws, block: Text, sheet: Sheet) -> None:
    row = block.__dict__["row"]
    cell = ws.range((row, 1))
    live = resolve(block.text_formula, sheet)
    if live:
        write_formulas(cell, live)
    else:
        cell.value = block.text
    bold, color, size = TEXT_STYLES.get(block.style, TEXT_STYLES["normal"])
    _font(cell, bold=bold, color=color, size=size)
    if block.style == "personal":
        _cosmetic(setattr, cell, "color", PERSONAL_FILL)
    if block.style == "banner":
        _cosmetic(setattr, ws.range((row, 1), (row, BANNER_COLUMNS)), "color", PERSONAL_FILL)
    if block.formula:
        fc = ws.range((row, 3))
        write_formulas(fc, resolve(block.formula, sheet))
        fc.font.bold = True
        if block.formula_format:
            fc.number_format = block.formula_format


def _render_table(ws, b: TableBlock, widths: dict) -> None:
    if b.title:
        title = ws.range((b.__dict__["title_row"], b.left))
        title.value = b.title
        _font(title, *TEXT_STYLES["subtitle"])
    cols = [str(x) for x in b.frame.columns]
    ncol = len(cols)
    header = ws.range((b.top, b.left), (b.top, b.left + ncol - 1))
    header.value = [cols]
    header.font.bold = True
    _cosmetic(setattr, header, "color", HEADER_FILL)
    _font(header, color=HEADER_FONT)
    if not on_lite():
        _cosmetic(setattr, header, "wrap_text", True)
    for j, name in enumerate(cols):
        letter = get_column_letter(b.left + j)
        w = b.widths.get(name, max(10.0, min(22.0, len(name) * 0.9 + 2)))
        widths[letter] = max(widths.get(letter, 0), w)

    n = len(b.frame)
    if n:
        values = b.frame.to_numpy(dtype=object)
        body = [[cell_value(values[i, j]) for j in range(ncol)] for i in range(n)]
        lite = on_lite()
        if lite:  # one block: the formulas as "=…" values in their columns (Lite has no Range.formula)
            for j, name in enumerate(b.frame.columns):
                if name in b.formulas:
                    for i in range(n):   # a row without a formula (Scenarier: a typed total) keeps its value
                        f = b.formula(name, i)
                        body[i][j] = body[i][j] if f is None else f
        ws.range((b.first_row, b.left), (b.last_row, b.left + ncol - 1)).value = body
        for j, name in enumerate(b.frame.columns):
            column = ws.range((b.first_row, b.left + j), (b.last_row, b.left + j))
            if name in b.formulas and not lite:
                fs = [b.formula(name, i) for i in range(n)]    # None: a row that keeps its value (a constant)
                column.formula = [[body[i][j] if f is None else f] for i, f in enumerate(fs)]
            if name in b.row_formats:
                for s, e, fmt in _runs(list(b.row_formats[name])):
                    if fmt:
                        ws.range((b.first_row + s, b.left + j), (b.first_row + e - 1, b.left + j)).number_format = fmt
            elif b.formats.get(name):
                column.number_format = b.formats[name]
            if name in b.helper_columns:
                _font(column, color=HELPER_FONT, italic=True)
    body = f"{get_column_letter(b.left)}{b.top}:{get_column_letter(b.right)}{b.last_row}"
    ws.tables.add(source=ws.range(body), name=b.name, table_style_name=TABLE_STYLE)
    if b.totals:  # the "I alt" row right below the table (plain cells: every engine can write them)
        row = []
        for name in cols:
            spec = b.totals.get(name)
            if spec == "sum":
                row.append(f"=SUBTOTAL(109,{b.column_range(name)})")
            elif callable(spec):
                row.append(spec(b))
            else:
                row.append(spec)
        totals = ws.range((b.totals_row, b.left), (b.totals_row, b.right))
        write_formulas(totals, [["" if v is None else v for v in row]])
        totals.font.bold = True
        for j, name in enumerate(cols):
            if b.formats.get(name):
                ws.range((b.totals_row, b.left + j)).number_format = b.formats[name]
    if b.helper_columns and not on_lite():  # rounding helpers: hidden (desktop Excel groups them; elsewhere
        # width 0); Lite can neither hide columns nor set widths: they stay visible in grey italics
        first, last = get_column_letter(b.visible_right + 1), get_column_letter(b.right)
        _cosmetic(_hide_columns, ws, first, last)


def _hide_columns(ws, first: str, last: str) -> None:
    rng = ws.range(f"{first}:{last}")
    if isinstance(ws.api, dict):
        rng.column_width = 0
        return
    rng.api.EntireColumn.Group()
    rng.api.EntireColumn.Hidden = True


def _add_chart(ws, ch: Chart, b: TableBlock) -> None:
    """A native clustered column chart of table ``b`` (desktop Excel; skipped where unsupported)."""
    names = (ch.categories, *ch.series)
    idx = [list(b.frame.columns).index(name) for name in names]
    if idx == list(range(idx[0], idx[0] + len(idx))):  # one block: every engine can take it
        areas = [f"{b.letter(names[0])}{b.top}:{b.letter(names[-1])}{b.last_row}"]
    else:  # several areas: desktop Excel
        areas = [f"{b.letter(name)}{b.top}:{b.letter(name)}{b.last_row}" for name in names]
    chart = ws.charts.add(anchor=ws.range(ch.anchor), width=ch.width_cm * _CM, height=ch.height_cm * _CM,
                          chart_type="bar_clustered" if ch.kind == "hbar" else "column_clustered")
    chart.set_source_data(ws.range(",".join(areas)))


def _chart_note(ws, ch: Chart) -> None:
    """xlwings Lite: a Danish note in the chart's anchor cell instead of the chart."""
    if not ch.anchor:
        return
    cell = ws.range(ch.anchor)
    cell.value = chart_note(ch.title, ch.table)
    _font(cell, italic=True, color=TEXT_STYLES["note"][1])


def _tab_color(ws, rgb: str) -> None:
    """Desktop Excel only (Windows COM: a BGR integer); skipped elsewhere."""
    api = ws.api
    if isinstance(api, dict):  # remote engine
        return
    r, g, b = int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16)
    api.Tab.Color = r + (g << 8) + (b << 16)


def render_sheet(book, sheet: Sheet, position: int | None = None):
    """Replace (or add) one layout sheet in ``book``; return the xlwings sheet."""
    ws = replace_sheet(book, sheet.name, position)
    tables: dict[str, TableBlock] = {}
    widths: dict[str, float] = {}
    for block in sheet.blocks:
        if isinstance(block, Text):
            _render_text(ws, block, sheet)
        elif isinstance(block, TableBlock):
            _render_table(ws, block, widths)
            tables[block.name] = block
    if not on_lite():
        for letter, w in widths.items():
            _cosmetic(setattr, ws.range(f"{letter}:{letter}"), "column_width", w)
    else:  # Lite cannot set column widths; it can fit the columns to the tables (not to the long notes above)
        for block in tables.values():
            _cosmetic(ws.range(block.ref).columns.autofit)
    for block in sheet.blocks:
        if isinstance(block, Chart) and block.table in tables:
            if on_lite():
                _chart_note(ws, block)
                continue
            try:
                _add_chart(ws, block, tables[block.table])
            except Exception:  # noqa: BLE001 - no native charts on this engine: the tables carry the numbers
                pass
    _cosmetic(_tab_color, ws, sheet.tab_color or RESULT_TAB)
    _cosmetic(_print_and_protect, ws, sheet, tables)
    if sheet.keep_tables or sheet.page_breaks_before:
        _cosmetic(_planned_pages, ws, sheet)
    return ws


def _planned_pages(ws, sheet: Sheet) -> None:
    """Desktop Excel: the printed pages of a sheet that stacks tables (Distriktstal) as the file renderer plans
    them (:func:`tildeling.workbook.render_xlsx.print_setup`): the same row heights, print titles and page
    breaks, taken from the sheet rendered into a scratch openpyxl workbook."""
    if isinstance(ws.api, dict):  # the remote engine has no page setup actions
        return
    from openpyxl import Workbook

    from ..workbook.render_xlsx import render_sheets as render_file

    wb = Workbook()
    render_file(wb, [sheet])
    plan = wb[sheet.name]
    for row, dim in plan.row_dimensions.items():
        if dim.height:
            ws.range(f"{row}:{row}").row_height = dim.height
    for b in sheet.blocks:
        if isinstance(b, TableBlock):
            for name in b.wrap:
                j = list(b.frame.columns).index(name)
                ws.range((b.first_row, b.left + j), (b.last_row, b.left + j)).wrap_text = True
    setup = ws.api.PageSetup
    if plan.print_title_rows:
        setup.PrintTitleRows = "$" + plan.print_title_rows.replace("$", "").replace(":", ":$")
    ws.api.ResetAllPageBreaks()
    for brk in plan.row_breaks.brk:
        ws.api.HPageBreaks.Add(Before=ws.range((brk.id + 1, 1)).api)


def _print_and_protect(ws, sheet: Sheet, tables: dict[str, TableBlock]) -> None:
    """Desktop Excel: print area on A4 (one page wide), repeated header row, protection without a password."""
    if isinstance(ws.api, dict):  # the remote engine has no page setup or protection actions
        return
    right = max([b.visible_right for b in tables.values()] + [1])
    bottom = max([b.bottom for b in tables.values()] + [1])
    setup = ws.api.PageSetup
    setup.PrintArea = f"$A$1:${get_column_letter(right)}${bottom}"
    setup.Orientation = 2 if sheet.landscape else 1
    setup.Zoom = False
    setup.FitToPagesWide = 1
    setup.FitToPagesTall = sheet.pages_tall or False
    setup.CenterHeader = sheet.name          # as the file renderer's page_setup
    setup.RightFooter = "Side &P af &N"
    title = tables.get(sheet.print_title_table) if sheet.print_title_table else None
    if title is not None:
        setup.PrintTitleRows = f"${title.top}:${title.top}"
    for b in tables.values():
        for name in b.unlocked:
            ws.range((b.first_row, b.left + list(b.frame.columns).index(name)),
                     (b.last_row, b.left + list(b.frame.columns).index(name))).api.Locked = False
    if sheet.protect:
        ws.api.Protect(DrawingObjects=False, Contents=True, AllowFormattingColumns=True, AllowFormattingRows=True)


def render_sheets(book, sheets: list[Sheet], progress=None) -> None:
    """Replace the given output sheets, keeping each where it was (new ones go last)."""
    say = progress or (lambda m: None)
    for k, sheet in enumerate(sheets):
        say(f"Skriver arket '{sheet.name}' ({k + 1} af {len(sheets)}) …")
        render_sheet(book, sheet)


def coefficient_sheet(coefs, *, title: str, note: str) -> Sheet:
    """The Koefficienter input sheet as layout data: tblKoefficienter and, beside it, tblModelinfo.

    Same cells as the template (title in A1, note in A2, tables from row 3), so
    the file reader and the template's freeze panes keep working.
    """
    import pandas as pd

    from ..workbook.need.template import TABLE_TOP

    frame = coefs.to_frame()
    meta = pd.DataFrame({"Nøgle": [str(k) for k in coefs.metadata.keys()],
                         "Værdi": [str(v) for v in coefs.metadata.values()]})
    t = Text(title, "title")
    t.__dict__["row"] = 1
    nt = Text(note, "note")
    nt.__dict__["row"] = 2
    coef_block = TableBlock(c.TBL_COEFS, frame, {"Relativ vægt": "0.0%", "Relativ vægt (variabel i alt)": "0.0%",
                                                 "P-værdi": "0.0000"}, widths={"Variabel": 22, "Kategori": 26})
    coef_block.top, coef_block.left = TABLE_TOP, 1
    info_block = TableBlock(c.TBL_MODEL_INFO, meta, widths={"Nøgle": 30, "Værdi": 60})
    info_block.top, info_block.left = TABLE_TOP, frame.shape[1] + 2
    return Sheet(c.SHEET_COEFS, [t, nt, coef_block, info_block], tab_color="FFC000")


# ------------------------------------------------------------------------------------------------
# The category lists behind the pupil dropdowns (hidden sheet Lister, names Liste_<key>)
# ------------------------------------------------------------------------------------------------
#: Dropdowns reach the last row of the sheet (as in the template), so new pupils have one.
from ..workbook.need.template import LAST_ROW as VALIDATION_LAST_ROW  # noqa: E402


@dataclass
class ListsUpdate:
    """What :func:`render_lists` changed: list names that are new, kept (redefined) and removed (stale)."""

    new: list[str] = field(default_factory=list)       # keys that had no Liste_<key> before
    kept: list[str] = field(default_factory=list)      # keys whose name was redefined
    stale: list[str] = field(default_factory=list)     # names of keys that are no longer categorical
    not_deleted: list[str] = field(default_factory=list)   # stale names the engine could not delete


def _remote(book) -> bool:
    """xlwings' remote engine (xlwings Server, the tests): the book's api is the JSON payload."""
    return isinstance(book.api, dict)


def _client(book) -> str:
    """``desktop`` for Excel through COM/AppleScript, else the remote client (``VBA``, ``Office.js`` …)."""
    return str(book.api.get("client", "")) if _remote(book) else "desktop"


def _book_names(book) -> dict[str, object]:
    """Workbook-level defined names by name (sheet-scoped ones are ``Sheet!name`` and left out)."""
    out = {}
    for n in book.names:
        try:
            name = n.name
        except Exception:  # noqa: BLE001 - a broken name: leave it alone
            continue
        if name and "!" not in name:
            out[name] = n
    return out


def define_name(book, name: str, refers_to: str, existing=None) -> None:
    """Define or redefine a workbook-level name.

    Desktop Excel changes an existing name's formula in place (formulas and dropdowns using it stay
    linked). The remote engine has no reliable "change" action for every client, so there the old name
    is deleted (if the engine can) and added again; Excel's ``Names.Add`` replaces a name of the same name.
    """
    if existing is not None and not _remote(book):
        existing.refers_to = refers_to
        return
    if existing is not None:
        try:
            existing.delete()
        except Exception:  # noqa: BLE001 - the add below replaces the definition anyway
            pass
    book.names.add(name, refers_to)


def _lists_sheet(book):
    """The sheet Lister, added (hidden) after Koefficienter if it was deleted."""
    if c.SHEET_LISTS in _sheet_names(book):
        return book.sheets[c.SHEET_LISTS]
    names = _sheet_names(book)
    after = book.sheets[c.SHEET_COEFS] if c.SHEET_COEFS in names else book.sheets[len(names) - 1]
    ws = book.sheets.add(c.SHEET_LISTS, after=after)
    if _client(book) in ("desktop", "Office.js") and not on_lite():  # VBA client, Lite: no sheet visibility
        _cosmetic(setattr, ws, "visible", False)
    return ws


def render_lists(book, lists: dict[str, list[str]]) -> ListsUpdate:
    """Rewrite the sheet Lister (one column per key: the key, then its categories) and the names.

    ``lists`` is :func:`tildeling.workbook.need.template.category_lists` of the new coefficient table.
    Every ``Liste_<key>`` is (re)defined on its column; ``Liste_…`` names of keys that are no longer
    in ``lists`` are deleted, so no dropdown offers categories of an old model.
    """
    from ..workbook.need.template import list_reference

    before = _book_names(book)
    ws = _lists_sheet(book)
    ws.clear_contents()
    if lists:
        height = 1 + max(len(v) for v in lists.values())
        grid = [[None] * len(lists) for _ in range(height)]
        for j, (key, labels) in enumerate(lists.items()):
            grid[0][j] = key
            for i, label in enumerate(labels, start=1):
                grid[i][j] = label
        ws.range((1, 1)).value = grid
        _cosmetic(setattr, ws.range((1, 1), (1, len(lists))).font, "bold", True)
    update = ListsUpdate()
    wanted = {}
    for j, (key, labels) in enumerate(lists.items(), start=1):
        name = c.list_name(key)
        wanted[name] = key
        define_name(book, name, "=" + list_reference(j, len(labels)), before.get(name))
        (update.kept if name in before else update.new).append(key)
    for name, n in before.items():
        if name.startswith(c.LIST_NAME_PREFIX) and name not in wanted:
            update.stale.append(name)
            try:
                n.delete()
            except Exception:  # noqa: BLE001 - an engine without name deletion: the name stays, pointing at Lister
                update.not_deleted.append(name)
    return update


def _pupil_columns(book) -> tuple[dict[str, int], int, int] | None:
    """tblElever's columns (header → sheet column) and the rows that get a dropdown; None if unreadable."""
    try:
        table = book.sheets[c.SHEET_PUPILS].tables[c.TBL_PUPILS]
        rng = table.range
        header = table.header_row_range.value
    except Exception:  # noqa: BLE001 - no pupil table: there is nothing to put a dropdown on
        return None
    header = header if isinstance(header, list) else [header]
    first = rng.row + 1
    last = VALIDATION_LAST_ROW
    columns = {str(h).strip(): rng.column + j for j, h in enumerate(header) if h not in (None, "")}
    return columns, first, last


def set_list_validations(book, add: list[str], remove: list[str]) -> tuple[list[str], list[str]]:
    """Dropdowns ``=Liste_<key>`` on the Elever columns of the keys ``add``; none on those of ``remove``.

    Uses xlwings' data-validation API: desktop Excel (Windows and Mac) and the Office.js client can do
    it, the remote engine's VBA client cannot. Keys without a column in tblElever are skipped.
    Returns the keys of ``add`` and ``remove`` whose column could not be changed.
    """
    found = _pupil_columns(book)
    if found is None:
        return [], []
    columns, first, last = found
    if on_lite():  # Lite's client has no data validation: the caller's Danish note says how to do it by hand
        return [k for k in add if k in columns], [k for k in remove if k in columns]
    ws = book.sheets[c.SHEET_PUPILS]
    failed_add, failed_remove = [], []
    for key in add:
        if key not in columns:
            continue
        rng = ws.range((first, columns[key]), (last, columns[key]))
        try:
            rng.data_validation.delete()   # a column with mixed rules cannot be modified, only replaced
            rng.data_validation.set_list(book.names[c.list_name(key)])
        except Exception:  # noqa: BLE001 - NotImplementedError on the VBA client; anything else: say so
            failed_add.append(key)
            continue
        if _client(book) == "desktop":  # the Danish error text, as in the template (Windows COM only)
            _cosmetic(_validation_message, rng, key)
    for key in remove:
        if key not in columns:
            continue
        try:
            ws.range((first, columns[key]), (last, columns[key])).data_validation.delete()
        except Exception:  # noqa: BLE001
            failed_remove.append(key)
    return failed_add, failed_remove


def _validation_message(rng, key: str) -> None:
    v = rng.api.Validation
    v.ErrorTitle = "Tildeling"
    v.ErrorMessage = f"Ukendt kategori for {key}."
    v.ShowError = True
