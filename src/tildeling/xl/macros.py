"""xlwings macros behind the ribbon buttons (one function per button ``tag``).

The ribbon's generic VBA callback runs
``RunPython "import tildeling.xl.macros as m; m.<tag>()"``.
Each macro resolves the calling workbook, reads, calls the core, writes, and
reports errors as a Danish message box – never a traceback.

Every macro takes an optional ``book`` (default: ``xw.Book.caller()``), so tests
and scripts can run it on any :class:`xlwings.Book`, e.g. one on xlwings' remote
engine. Nothing is written before the computation has succeeded, and the input
sheets are only touched by the two macros whose job it is (``fit_model`` and
``load_coefficients`` replace the Koefficienter sheet and refresh the category
lists behind the pupil dropdowns: the hidden sheet Lister and the names
``Liste_<key>``).

The names in :data:`RIBBON_MACROS` are a contract with ``addin/``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import InputError, TildelingError
from . import _common
from ._common import documents as _documents, on_lite, unique_path as _unique_path, status as _status
from ..workbook.need import contract as c
from .absence_macros import new_absence_workbook, run_absence_analysis

__all__ = ["RIBBON_MACROS", "new_need_workbook", "validate_data", "fit_model", "load_coefficients", "load_delivery",
           "load_last_year",
           "compute_allocation", "refresh_benchmarks", "make_shareable_copy", "show_help",
           "new_absence_workbook", "run_absence_analysis", "guide_address"]

#: Python macros the ribbon may call, by button tag.
RIBBON_MACROS = (
    "new_need_workbook",      # Ny behovsmodel
    "validate_data",          # Kontrollér data
    "fit_model",              # Estimér model
    "load_coefficients",      # Indlæs koefficienter
    "load_delivery",          # Indlæs leverance
    "load_last_year",         # Indlæs sidste år
    "compute_allocation",     # Beregn fordeling
    "refresh_benchmarks",     # Opdatér benchmarks
    "make_shareable_copy",    # Lav delbar kopi
    "show_help",              # Hjælp
    "new_absence_workbook",   # Ny fraværsanalyse
    "run_absence_analysis",   # Kør fraværsanalyse
)

TITLE = "Tildeling"


def guide_address() -> str:
    """Where the user's guide is: the package's project URL if it declares one, else docs/brugervejledning.md."""
    from importlib import metadata

    try:
        for entry in metadata.metadata("tildeling").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if url.strip():
                return url.strip()
    except metadata.PackageNotFoundError:
        pass
    if on_lite():  # no checkout next to the code in xlwings Lite
        return "docs/lite.md i tildeling-projektet"
    guide = Path(__file__).resolve().parents[3] / "docs" / "brugervejledning.md"
    return str(guide) if guide.is_file() else "docs/brugervejledning.md i tildeling-projektet"


# ------------------------------------------------------------------------------------------------
# Danish texts the user sees
# ------------------------------------------------------------------------------------------------
MSG_UNEXPECTED = ("Der skete en uventet fejl ({kind}: {text}). Intet er ændret i input-arkene. Prøv igen; "
                  "hvis fejlen bliver ved, så kør 'tildeling run FIL' på kommandolinjen og send beskeden til "
                  "den, der vedligeholder værktøjet.")
MSG_NO_KOMMUNE = ("mangler kolonnen 'Kommune'. Estimering af den nationale model kræver nationale elevdata med en "
                  "kolonne 'Kommune' (kommunekoden bruges til klyngerobuste standardfejl). En kommune med kun egne "
                  "elever skal i stedet indlæse koefficienter: Tildeling → Indlæs koefficienter.")
MSG_LIST_NOT_ADDED = ("{lists} på arket Elever kunne ikke oprettes herfra. Kategorierne står på det skjulte "
                      "ark Lister. Sådan tilføjer du {it} selv: {mark}, Data → Datavalidering → "
                      "Tillad: Liste, Kilde: {source}.")
MSG_LIST_NOT_REMOVED = ("{columns} på arket Elever har ikke længere en kategoriliste i de nye koefficienter, men "
                        "rullelisten kunne ikke fjernes herfra: markér kolonnen og vælg Data → Datavalidering → "
                        "Ryd alle.")
MSG_NO_DIALOG = ("Der kan ikke vises en fildialog her. Indsæt koefficienttabellen på arket Koefficienter i hånden, "
                 "eller kør 'tildeling new behovsmodel' med den rigtige koefficienttabel.")
#: xlwings Lite has no file dialog and no file system of the PC. What the user drops into Lite's menu ☰ → Files →
#: Import/Export is in this folder for Python, and what Python writes here the user can download there
#: (lite.xlwings.org/files). The file buttons take their file from here in Lite.
LITE_FILES = Path("/data")
LITE_FILES_MENU = "menuen ☰ → Files → Import/Export i xlwings Lite"
MSG_LITE_COEFFICIENTS = ("Koefficienttabellen på arket {sheet} er i orden: {variables} variable, {rows} koefficienter "
                         "(datakilde: {source}). Rullelisterne på arket {pupils} er opdateret efter den. En ny "
                         "koefficienttabel (.csv eller .xlsx) lægger du i xlwings Lite ({menu}: træk filen ind) og "
                         "trykker Indlæs koefficienter igen – eller du kopierer den selv ind i tabellen {table} "
                         "(erstat rækkerne).")
MSG_LITE_NO_FILE = ("xlwings Lite kan ikke vise en fildialog. Læg {what} i xlwings Lite: {menu}, træk filen ind i "
                    "feltet, og tryk {button} igen.")
MSG_LITE_MANY_FILES = ("Der ligger {n} filer i xlwings Lite ({menu}), som kan være {what}: {files}. Slet dem, du ikke "
                       "skal bruge nu (skraldespanden ved filen), og tryk {button} igen. Intet er ændret.")
MSG_LITE_SHARED = ("Den delbare kopi er gemt som {name} i xlwings Lite. Hent den på pc'en: {menu} → download-knappen "
                   "ved filen. Den indeholder ingen elevdata, og antal under {n} personer er skjult. Del kun denne fil – "
                   "aldrig projektmappen med arket Elever.")
MSG_LITE_NOT_BLANK = ("{button} bygger skabelonen ind i en tom projektmappe, når der ikke kan gemmes en ny fil (xlwings "
                      "Lite), men projektmappen {name} er ikke tom. Åbn en ny, tom projektmappe, sæt xlwings Lite op "
                      "i den (se vejledningen docs/lite.md), og tryk {button} dér.")
MSG_LITE_BUILT = ("Projektmappen er nu en {kind} bygget fra skabelonen: arkene {sheets}. Gem den (Ctrl+S) – koden "
                  "til xlwings Lite er gemt i den. {next}")
MSG_LITE_NO_DROPDOWNS = ("Datavalideringen (rullelister og talgrænser) på {sheets} kan ikke oprettes i xlwings "
                         "Lite. Data kontrolleres alligevel, når du trykker {check}. Vil du have rullelisterne: "
                         "markér kolonnen og vælg Data → Datavalidering → Tillad: Liste.")
MSG_LITE_NO_SHARE = ("Lav delbar kopi gemmer en ny fil, og denne udgave af xlwings Lite har ingen filer (☰ → Files). Lav "
                     "kopien med tilføjelsesprogrammet Tildeling i Excel på Windows eller med 'tildeling share FIL' på "
                     "kommandolinjen. Del aldrig selve projektmappen: den indeholder elevdata.")
MSG_NO_DIALOG_DELIVERY = ("Der kan ikke vises en fildialog her. Lav projektmappen fra leverancen på kommandolinjen: "
                          "'tildeling new behovsmodel --leverance LEVERANCE.xlsx --out PROJEKTMAPPE.xlsx'.")
MSG_NO_DIALOG_LAST_YEAR = ("Der kan ikke vises en fildialog her. Skriv sidste års tal på arket Sidste år i hånden, "
                           "eller kør 'tildeling run FIL --sidste-aar SIDSTE.xlsx' på kommandolinjen.")
HELP_TEXT = (
    "Tildeling – socioøkonomisk fordeling af specialundervisningsbudgettet\n\n"
    "1. Ny behovsmodel: laver en ny projektmappe fra skabelonen.\n"
    "2. Indlæs leverance: hent analytikerens leverance (distriktstal, .xlsx) – det almindelige. Udfyld "
    "Indstillinger og evt. budgetter på Distrikter (gule faner og celler).\n"
    "3. Regner kommunen selv på elever (kun med hjemmel): udfyld Elever og Indlæs koefficienter (.xlsx eller "
    ".csv).\n"
    "   Indlæs sidste år: hent sidste års fordeling til arket Sidste år (sammenligning og beskyttelse).\n"
    "4. Kontrollér data: tjekker alle input uden at skrive noget.\n"
    "5. Beregn fordeling: skriver arkene Sammenfatning, Distriktsbehov, Fordeling, Udvikling, Benchmark, Model, "
    "Beskrivende og Kørselslog (en ny kørsel erstatter dem).\n"
    "6. Opdatér benchmarks: genberegner kun arket Benchmark.\n"
    "7. Lav delbar kopi: gemmer '<navn> - delt.xlsx' uden elevdata og med små tal skjult; den åbner på "
    "Sammenfatning.\n\n"
    "Estimér model er til analytikeren med nationale data (kolonnen Kommune skal findes).\n"
    "Funktionerne TILDELING_SANDSYNLIGHED, TILDELING_INDEKS, TILDELING_NOEGLE og TILDELING_BUDGET kan bruges "
    "direkte i celler.\n\n"
    "Vejledning: {guide}"
)


HELP_LITE = ("I xlwings Lite: vælg knappen i listen ved Run, og læs beskeden i Output. Lite har ingen fildialog: "
             "filer til Indlæs leverance, Indlæs sidste år og Indlæs koefficienter trækker du ind under menuen ☰ → "
             "Files → Import/Export, og dér henter du også den delbare kopi. Ny behovsmodel bygger skabelonen ind i "
             "en tom projektmappe. Diagrammerne er erstattet af en note. Se docs/lite.md.")


# ------------------------------------------------------------------------------------------------
# Caller, status bar, message boxes
# ------------------------------------------------------------------------------------------------
def _alert(book, text: str, mode: str = "info") -> None:
    _common.alert(book, text, TITLE, mode)


_macro = _common.macro(TITLE, lambda exc: MSG_UNEXPECTED.format(kind=type(exc).__name__, text=exc))


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# ------------------------------------------------------------------------------------------------
# Reading and computing (no writing)
# ------------------------------------------------------------------------------------------------
def _read(book):
    from .read import read_book_inputs

    _status(book, f"{TITLE}: læser tabellerne …")
    return read_book_inputs(book, defer=True)   # compute() reports these with its own problems


def _compute(book, inputs, *, shared: bool = False):
    from ..workbook.need.sheets import RunInfo
    from ..workbook.need.run import compute
    from .read import inputs_fingerprint

    n = _count(len(inputs.pupils))
    _status(book, f"{TITLE}: {n} elever, {len(inputs.districts)} distrikter – beregner …")
    info = RunInfo(started=datetime.now().isoformat(timespec="seconds"), fingerprint=inputs_fingerprint(inputs),
                   coefficient_source=inputs.coefficient_source,
                   settings={s.label: inputs.settings[s.name] for s in c.SETTINGS}, warnings=[])
    return compute(inputs, info=info, shared=shared), info


def _columns_text(keys: list[str]) -> str:
    quoted = [f"'{k}'" for k in keys]
    if len(quoted) == 1:
        return f"kolonnen {quoted[0]}"
    return "kolonnerne " + ", ".join(quoted[:-1]) + " og " + quoted[-1]


def _refresh_lists(book, spec) -> str:
    """After new coefficients: rewrite Lister and the names Liste_<key>, and the dropdowns Excel allows.

    Dropdowns of keys that already had a list use the name and follow it by themselves. Keys that are new
    (and every key of a workbook made before the names existed) get a dropdown where the engine can add
    one; otherwise the returned Danish note says what to do by hand ('' when nothing needs doing).
    """
    from ..workbook.need.template import category_lists
    from .render import render_lists, set_list_validations

    _status(book, f"{TITLE}: opdaterer rullelisterne …")
    update = render_lists(book, category_lists(spec))
    stale = [name[len(c.LIST_NAME_PREFIX):] for name in update.stale]
    failed_add, failed_remove = set_list_validations(book, update.new, stale)
    notes = []
    if failed_add:
        one, example = len(failed_add) == 1, c.list_name(failed_add[0])
        notes.append(MSG_LIST_NOT_ADDED.format(
            lists=("Rullelisten i " if one else "Rullelisterne i ") + _columns_text(failed_add),
            it="den" if one else "dem", mark="markér kolonnen" if one else "markér én kolonne ad gangen",
            source=f"={example}" if one else f"={c.LIST_NAME_PREFIX}<kolonnens navn>, fx ={example}"))
    if failed_remove:
        notes.append(MSG_LIST_NOT_REMOVED.format(columns=_columns_text(failed_remove).capitalize()))
    return "\n\n".join(notes)


def _folder_of(book) -> Path | None:
    """The folder of a saved workbook; None for an unsaved or remote one."""
    try:
        full = Path(book.fullname)
    except Exception:  # noqa: BLE001
        return None
    if full.is_absolute() and full.parent.is_dir():
        return full.parent
    return None


# ------------------------------------------------------------------------------------------------
# Macros
# ------------------------------------------------------------------------------------------------
@_macro
def validate_data(book):
    """Kontrollér data: read every input and run every check of a full run, without writing."""
    inputs = _read(book)
    (result, alloc, _), _ = _compute(book, inputs)
    counted = int(result.power.n)
    if inputs.figures is not None:
        text = (f"Data er i orden: distriktstal for {len(result.districts)} distrikter ({_count(counted)} elever i "
                f"kommunen) på arket {c.SHEET_DISTRICT_FIGURES}. Samlet budget {_count(alloc.options.total_kroner)} kr.")
    else:
        text = (f"Data er i orden: {_count(counted)} elever, {len(inputs.districts)} distrikter og "
                f"{len(inputs.coefficients.table)} koefficienter. Samlet budget {_count(alloc.options.total_kroner)} kr.")
    notes = list(inputs.warnings) + list(result.warnings)
    if notes:
        text += "\n\nBemærk:\n" + "\n".join(f"• {w}" for w in notes)
    if inputs.demo:
        text += (f"\n\n{c.DEMO_BANNER}: " + ("leverancen er lavet med demonstrationskoefficienterne." if inputs.figures
                                           is not None else "indlæs den nationale models koefficienter."))
    _alert(book, text)
    return result


@_macro
def fit_model(book):
    """Estimér model: fit the national model on the pupil table (needs ``Kommune``) and write the coefficients."""
    from ..catalogue import NATIONAL_SPEC
    from ..model.coefficients import CoefficientTable
    from ..model.national import fit_national
    from .read import read_book_tables
    from .render import coefficient_sheet, render_sheet

    _status(book, f"{TITLE}: læser elevtabellen …")
    tables = read_book_tables(book)
    pupils = tables.require(c.TBL_PUPILS, c.SHEET_PUPILS)
    source = tables.sources[c.TBL_PUPILS]
    if "Kommune" not in pupils.columns:
        raise InputError(MSG_NO_KOMMUNE, source=source)
    spec = NATIONAL_SPEC
    if c.TBL_COEFS in tables.frames:  # the workbook's own variables, when its coefficient table is readable
        try:
            spec = CoefficientTable.from_frame(tables.frames[c.TBL_COEFS]).spec
        except TildelingError:
            spec = NATIONAL_SPEC
    year = str(tables.names.get("Skoleaar") or "")
    model = fit_national(pupils, spec, source=source, school_year=year,
                         data_source=f"arket {c.SHEET_PUPILS} i {tables.name}",
                         progress=lambda m: _status(book, f"{TITLE}: {m}"))
    _status(book, f"{TITLE}: skriver koefficienterne …")
    render_sheet(book, coefficient_sheet(model.coefficients, title="Koefficienter",
                                         note=f"Estimeret {datetime.now():%Y-%m-%d} på arket {c.SHEET_PUPILS} "
                                              "med Tildeling → Estimér model. Metadata står til højre."))
    note = _refresh_lists(book, model.coefficients.spec)
    f = model.fit
    text = (f"Modellen er estimeret på {_count(f.nobs)} elever fra {f.n_clusters} kommuner. McFadden pseudo-R² = "
            f"{f.prsquared:.3f}".replace(".", ",") + f". Koefficienterne står nu på arket {c.SHEET_COEFS}.")
    if f.warnings:
        text += "\n\nAdvarsler:\n" + "\n".join(f"• {w}" for w in f.warnings)
    if note:
        text += "\n\n" + note
    _alert(book, text)
    return model


def _ask_file(book, title: str, kind: str, patterns: tuple[str, ...], no_dialog: str) -> str | None:
    """A file dialog in desktop Excel; None when the user cancels."""
    try:  # Windows: Excel's own dialog
        spec = ";".join(patterns)
        chosen = book.app.api.GetOpenFilename(f"{kind} ({spec}),{spec}", 1, title)
        return chosen if isinstance(chosen, str) and chosen else None
    except Exception:  # noqa: BLE001 - macOS or the remote engine: try Tk below
        pass
    try:
        import tkinter
        from tkinter import filedialog

        root = tkinter.Tk()
        root.withdraw()
        root.attributes("-topmost", True)
        chosen = filedialog.askopenfilename(title=title, filetypes=[(kind, " ".join(patterns))])
        root.destroy()
        return chosen or None
    except Exception:  # noqa: BLE001 - no display
        raise InputError(no_dialog) from None


def _ask_coefficient_file(book) -> str | None:
    return _ask_file(book, "Vælg koefficienttabellen", "Koefficienttabel", ("*.xlsx", "*.csv"), MSG_NO_DIALOG)


def _lite_files(patterns: tuple[str, ...], accept=None) -> list[Path]:
    """The files in xlwings Lite's file area (:data:`LITE_FILES`) whose names match ``patterns`` (and ``accept``)."""
    import fnmatch

    if not LITE_FILES.is_dir():
        return []
    found = []
    for p in sorted(LITE_FILES.rglob("*")):
        name = p.name.lower()
        if (p.is_file() and not name.startswith(("~$", "."))
                and any(fnmatch.fnmatch(name, pattern) for pattern in patterns)
                and (accept is None or accept(p))):
            found.append(p)
    return found


def _lite_file(patterns: tuple[str, ...], *, what: str, button: str, accept=None, required: bool = True):
    """xlwings Lite's file "dialog": the one file in Lite's file area that fits.

    None found: a Danish message how to put it there (or None when not ``required``); several: a message
    naming them, so that the user deletes the ones not meant (never a guess which one was meant).
    """
    found = _lite_files(patterns, accept)
    if len(found) == 1:
        return found[0]
    if not found:
        if required:
            raise InputError(MSG_LITE_NO_FILE.format(what=what, menu=LITE_FILES_MENU, button=button))
        return None
    names = [str(p.relative_to(LITE_FILES)) for p in found]
    files = ", ".join(names[:-1]) + f" og {names[-1]}"
    raise InputError(MSG_LITE_MANY_FILES.format(n=len(found), menu=LITE_FILES_MENU, what=what, files=files,
                                                button=button))


def _file_names(path: Path) -> dict:
    """The defined names of a workbook file (empty when it is no workbook tildeling can read)."""
    from ..workbook.tables import read_tables

    try:
        return dict(read_tables(path.read_bytes(), path.name).names)
    except Exception:  # noqa: BLE001 - not a workbook: not a candidate (the message lists what was found)
        return {}


def _file_kind(path: Path) -> str:
    return str(_file_names(path).get(c.KIND_NAME) or "").strip('"')


def _is_coefficient_file(path: Path) -> bool:
    """A .csv, or a workbook that is no tildeling workbook (need model, delivery, absence): a coefficient file."""
    return path.suffix.lower() == ".csv" or not _file_kind(path)


def _is_delivery(path: Path) -> bool:
    return _file_kind(path) == c.DELIVERY_KIND


def _book_name_value(book, name: str):
    try:
        return book.names[name].refers_to_range.value
    except Exception:  # noqa: BLE001 - no such name
        return None


def _last_year_candidate(book):
    """Last year's file: a tildeling workbook, shared copy or delivery, not of the workbook's own school year."""
    own = str(_book_name_value(book, "Skoleaar") or "").strip()

    def accept(path: Path) -> bool:
        names = _file_names(path)
        if not names:
            return False
        school = str(names.get("Skoleaar") or "").strip().strip('"')
        return not (own and school == own)

    return accept


@_macro
def load_coefficients(book, path=None):
    """Indlæs koefficienter: read a coefficient table (.xlsx/.csv) and write it into the Koefficienter sheet."""
    from ..io.coefficients import read_coefficients
    from .render import coefficient_sheet, render_sheet

    if path is None and on_lite():
        path = _lite_file(("*.csv", "*.xlsx", "*.xlsm"), what="koefficienttabellen (.csv eller .xlsx)",
                          button="Indlæs koefficienter", accept=_is_coefficient_file, required=False)
        if path is None:   # no file in Lite: check the table already on Koefficienter
            return _check_book_coefficients(book)
    if path is None:
        path = _ask_coefficient_file(book)
        if path is None:
            return None
    path = Path(path)
    _status(book, f"{TITLE}: læser {path.name} …")
    coefs = read_coefficients(path)
    render_sheet(book, coefficient_sheet(coefs, title="Koefficienter",
                                         note=f"Indlæst {datetime.now():%Y-%m-%d} fra {path.name}. "
                                              "Metadata står til højre."))
    note = _refresh_lists(book, coefs.spec)
    source = coefs.metadata.get("Datakilde") or path.name
    text = (f"Koefficienterne fra {path.name} er indlæst: {len(coefs.spec)} variable, "
            f"{len(coefs.table)} koefficienter (datakilde: {source}). Tryk Beregn fordeling for at bruge dem.")
    if note:
        text += "\n\n" + note
    _alert(book, text)
    return coefs


def _check_book_coefficients(book):
    """xlwings Lite's Indlæs koefficienter: check the table already on Koefficienter and refresh the lists."""
    from ..workbook.need.reader import coefficients_from_tables
    from .read import read_book_tables

    _status(book, f"{TITLE}: læser koefficienttabellen …")
    coefs = coefficients_from_tables(read_book_tables(book))
    note = _refresh_lists(book, coefs.spec)
    text = MSG_LITE_COEFFICIENTS.format(sheet=c.SHEET_COEFS, variables=len(coefs.spec), rows=len(coefs.table),
                                        source=coefs.metadata.get("Datakilde") or f"arket {c.SHEET_COEFS}",
                                        pupils=c.SHEET_PUPILS, table=c.TBL_COEFS, menu=LITE_FILES_MENU)
    if note:
        text += "\n\n" + note
    _alert(book, text)
    return coefs


@_macro
def load_delivery(book, path=None):
    """Indlæs leverance: the analyst's delivery → the sheet Distriktstal, the districts and the settings.

    Everything is read and checked before anything is written: a file that is not a delivery, a delivery that
    does not add up, or one from another municipality than the workbook's changes nothing.
    """
    from ..need.figures import same_municipality
    from ..workbook.need.delivery import delivery_coefficients_sheet, figures_sheet, read_delivery, workbook_settings
    from .read import read_book_tables
    from .render import render_sheet

    if path is None and on_lite():
        path = _lite_file(("*.xlsx",), what="leverancen fra analytikeren", button="Indlæs leverance",
                          accept=_is_delivery)
    if path is None:
        path = _ask_file(book, "Vælg leverancen", "Leverance", ("*.xlsx",), MSG_NO_DIALOG_DELIVERY)
        if path is None:
            return None
    from ..io.files import open_workbook

    path = Path(path)
    _status(book, f"{TITLE}: læser {path.name} …")
    source = open_workbook(path)
    figures, frames, _ = read_delivery(source.data, source.name)
    tables = read_book_tables(book)
    setting = str(tables.names.get("Kommune") or "").strip()
    who = figures.municipality_name or figures.municipality
    if figures.municipality_name and figures.municipality:
        who = f"{figures.municipality_name} ({figures.municipality})"
    if not same_municipality(setting, figures):
        raise InputError(f"Leverancen {path.name} er fra {who}, men projektmappen er til '{setting}' (arket "
                         f"{c.SHEET_SETTINGS}, Kommune). Intet er ændret. Vælg leverancen for {setting}, eller ret "
                         f"kommunen på arket {c.SHEET_SETTINGS} først.")
    districts = tables.require(c.TBL_DISTRICTS, c.SHEET_DISTRICTS)
    rows = _district_rows(districts, figures.districts)
    pupils = tables.frames.get(c.TBL_PUPILS)
    has_pupils = pupils is not None and len(pupils) > 0 and bool(pupils.notna().to_numpy().any())
    coefficients = _delivery_coefficients(tables, has_pupils)
    # --- everything is checked: write -----------------------------------------------------------------------
    _status(book, f"{TITLE}: skriver arket {c.SHEET_DISTRICT_FIGURES} …")
    names = [s.name for s in book.sheets]
    position = None
    if c.SHEET_DISTRICT_FIGURES not in names and c.SHEET_DISTRICTS in names:
        position = names.index(c.SHEET_DISTRICTS) + 1
    render_sheet(book, figures_sheet(frames, demo=figures.demo), position)
    if coefficients == "replace":   # the demonstration table (or none): which coefficients made the figures
        render_sheet(book, delivery_coefficients_sheet(frames, demo=figures.demo))
    _write_districts(book, districts, rows)
    for name, value in workbook_settings(figures).items():
        try:
            book.names[name].refers_to_range.value = value
        except Exception:  # noqa: BLE001 - a workbook without the name: the reader reports it on the next run
            pass
    text = (f"Leverancen for {who} er indlæst: {len(figures.districts)} distrikter på arket "
            f"{c.SHEET_DISTRICT_FIGURES}, og arket {c.SHEET_DISTRICTS} har fået distrikterne. Skriv det samlede "
            "budget på arket Indstillinger, og tryk Beregn fordeling.")
    if coefficients == "keep":
        text += (f"\n\nArket {c.SHEET_COEFS} har en koefficienttabel, som ikke er ændret. Den bruges kun, når arket "
                 f"{c.SHEET_PUPILS} har elever; distriktstallene er beregnet hos analytikeren med den koefficienttabel, "
                 f"som leverancen nævner (arket {c.SHEET_DISTRICT_FIGURES}, Om leverancen).")
    if has_pupils:
        text += (f"\n\nBemærk: arket {c.SHEET_PUPILS} har elever. Beregningen bruger eleverne, ikke distriktstallene, "
                 "så længe de står der.")
    if figures.demo:
        text += f"\n\n{c.DEMO_BANNER}: leverancen er lavet med demonstrationskoefficienterne."
    _alert(book, text)
    return figures


def _delivery_coefficients(tables, has_pupils: bool) -> str:
    """What *Indlæs leverance* does with the sheet Koefficienter: ``"replace"`` it with the delivery's coefficient
    source and fingerprint when the figures will be used (no pupils) and it holds no coefficient table or the
    demonstration table (the template's placeholder: nothing of the user's is lost); ``"keep"`` a coefficient
    table of the user's own (never deleted); ``""`` when the pupils are used or there is no such sheet."""
    from ..io.coefficients import is_demonstration
    from ..model.coefficients import CoefficientTable
    from ..workbook.need.reader import model_info

    if has_pupils or c.SHEET_COEFS not in tables.sheet_names:
        return ""
    frame = tables.frames.get(c.TBL_COEFS)
    if frame is None or not len(frame) or not frame.notna().to_numpy().any():
        return "replace"
    try:
        demo = is_demonstration(CoefficientTable.from_frame(frame, model_info(tables)))
    except TildelingError:      # a table that cannot be read: the user's, left as it is
        demo = False
    return "replace" if demo else "keep"


def _district_rows(districts, figures_districts) -> list[list]:
    """The new body of tblDistrikter: the delivery's districts, each keeping the budget and floor it had."""
    from ..need.codes import normalise_code

    columns = list(districts.columns)
    old = {normalise_code(r["Distrikt"]): r for _, r in districts.iterrows() if normalise_code(r["Distrikt"])}
    rows = []
    for code, name in zip(figures_districts["Distrikt"], figures_districts["Navn"]):
        before = old.get(code)
        row = []
        for col in columns:
            if col == "Distrikt":
                row.append(code)
            elif col == "Navn":
                row.append(name)
            else:
                v = None if before is None else before[col]
                row.append(None if v is None or (isinstance(v, float) and v != v) else v)
        rows.append(row)
    return rows


def _write_districts(book, districts, rows) -> None:
    """Replace tblDistrikter's body by ``rows`` and fit the table to them."""
    ws = book.sheets[c.SHEET_DISTRICTS]
    table = ws.tables[c.TBL_DISTRICTS]
    rng = table.range
    top, left, ncol = rng.row, rng.column, len(districts.columns)
    old_last = rng.last_cell.row
    new_last = top + max(len(rows), 1)
    if old_last > new_last:
        ws.range((new_last + 1, left), (old_last, left + ncol - 1)).clear_contents()
    if rows:
        ws.range((top + 1, left), (top + len(rows), left + ncol - 1)).value = rows
    if new_last != old_last:
        table.resize(ws.range((top, left), (new_last, left + ncol - 1)))


@_macro
def load_last_year(book, path=None):
    """Indlæs sidste år: last year's workbook, shared copy or delivery → ``tblSidsteAar`` on the sheet Sidste år."""
    from ..workbook.layout import place
    from ..workbook.need.last_year import last_year_sheet, read_last_year
    from .render import render_sheet

    if path is None and on_lite():
        path = _lite_file(("*.xlsx", "*.xlsm"), what="sidste års projektmappe, delbare kopi eller leverance",
                          button="Indlæs sidste år", accept=_last_year_candidate(book))
    if path is None:
        path = _ask_file(book, "Vælg sidste års projektmappe, delbare kopi eller leverance", "Excel-projektmappe",
                         ("*.xlsx",), MSG_NO_DIALOG_LAST_YEAR)
        if path is None:
            return None
    path = Path(path)
    _status(book, f"{TITLE}: læser {path.name} …")
    imp = read_last_year(path)                       # read and check everything first …
    names = [s.name for s in book.sheets]
    if c.SHEET_LAST_YEAR in names:
        position = None                              # … then replace the sheet where it is
    elif c.SHEET_COEFS in names:
        position = names.index(c.SHEET_COEFS) + 1
    else:
        position = len(names)
    render_sheet(book, place(last_year_sheet(imp)), position)
    n = len(imp.frame)
    text = (f"Sidste års tal fra {imp.origin} er indlæst på arket {c.SHEET_LAST_YEAR}: {n} distrikter. Tryk Beregn "
            f"fordeling for at se arket {c.SHEET_DEVELOPMENT}.")
    if imp.notes:
        text += "\n\n" + "\n".join(f"• {note}" for note in imp.notes)
    _alert(book, text)
    return imp


@_macro
def compute_allocation(book):
    """Beregn fordeling: compute everything and replace all output sheets (like ``tildeling run``)."""
    from .render import delete_sheet, render_sheets

    inputs = _read(book)
    (result, alloc, sheets), info = _compute(book, inputs)       # compute first …
    render_sheets(book, sheets, progress=lambda m: _status(book, f"{TITLE}: {m}"))   # … write last
    if c.SHEET_PUPIL_RESULTS not in [s.name for s in sheets]:
        delete_sheet(book, c.SHEET_PUPIL_RESULTS)
    try:
        book.sheets[c.SHEET_ALLOCATION].activate()
    except Exception:  # noqa: BLE001 - cosmetic
        pass
    text = (f"Fordelingen er beregnet for {_count(int(result.power.n))} elever i {len(result.districts)} distrikter: "
            f"{_count(alloc.options.total_kroner)} kr. er fordelt. Se arkene {c.SHEET_NEED} og {c.SHEET_ALLOCATION}.")
    if result.warnings:
        text += "\n\nBemærk:\n" + "\n".join(f"• {w}" for w in result.warnings)
    _alert(book, text)
    return result, alloc, sheets


@_macro
def refresh_benchmarks(book):
    """Opdatér benchmarks: recompute and replace only the Benchmark sheet."""
    from .render import render_sheet

    inputs = _read(book)
    (result, _, sheets), _ = _compute(book, inputs)
    sheet = next(s for s in sheets if s.name == c.SHEET_BENCHMARK)
    _status(book, f"{TITLE}: skriver arket {c.SHEET_BENCHMARK} …")
    render_sheet(book, sheet)
    _alert(book, f"Arket {c.SHEET_BENCHMARK} er opdateret.")
    return sheet


@_macro
def make_shareable_copy(book, out=None):
    """Lav delbar kopi: write ``<name> - delt.xlsx`` next to the workbook (no pupil data, small counts hidden)."""
    from ..workbook.need.share import share_inputs, threshold_of
    from .read import inputs_fingerprint

    lite_area = out is None and on_lite()
    if lite_area:
        if not LITE_FILES.is_dir():   # an xlwings Lite without the file area
            _alert(book, MSG_LITE_NO_SHARE)
            return None
        out = LITE_FILES / f"{Path(str(book.name)).stem} - delt.xlsx"
    inputs = _read(book)
    if out is None:
        stem = Path(str(book.name)).stem
        out = (_folder_of(book) or _documents()) / f"{stem} - delt.xlsx"
    out = Path(out)
    _status(book, f"{TITLE}: beregner og skriver den delbare kopi …")
    share_inputs(inputs, out, fingerprint=inputs_fingerprint(inputs),
                 progress=lambda m: _status(book, f"{TITLE}: {m}"))
    n = threshold_of(inputs)
    if lite_area:
        _alert(book, MSG_LITE_SHARED.format(name=out.name, menu=LITE_FILES_MENU, n=n))
        return out
    _alert(book, f"Den delbare kopi er gemt som\n{out}\n\nDen indeholder ingen elevdata, antal under {n} personer er "
                 "skjult (og tal, de kan regnes ud fra), og filen er kontrolleret for små tal. "
                 "Del kun denne fil – aldrig projektmappen med arket Elever.")
    return out


def template_into_book(book, wb, *, kind: str, button: str, next_step: str, check: str):
    """xlwings Lite's "Ny …": build the template ``wb`` into the calling workbook, if it is blank.

    Lite cannot save or open another file, but the workbook Lite runs in can become the new one: its
    code (main.py, requirements.txt) travels with it. A workbook with anything in it is never touched.
    """
    from ._copy import build_workbook, is_blank

    if not is_blank(book):
        raise InputError(MSG_LITE_NOT_BLANK.format(button=button, name=book.name))
    _status(book, f"{TITLE}: bygger skabelonen ind i projektmappen …")
    missing = build_workbook(book, wb)
    text = MSG_LITE_BUILT.format(kind=kind, sheets=", ".join(wb.sheetnames), next=next_step)
    if missing:
        sheets = ("arket " if len(missing) == 1 else "arkene ") + ", ".join(f"'{m}'" for m in missing[:-1]) \
            + (" og " if len(missing) > 1 else "") + f"'{missing[-1]}'"
        text += "\n\n" + MSG_LITE_NO_DROPDOWNS.format(sheets=sheets, check=check)
    return text


@_macro
def new_need_workbook(book):
    """Ny behovsmodel: save a new need-model workbook from the template and open it."""
    from ..workbook.need.template import build_template, write_template

    if on_lite():
        _alert(book, template_into_book(
            book, build_template(), kind="behovsmodel", button="Ny behovsmodel",
            next_step="Udfyld Indstillinger, Distrikter og Elever, og kør Beregn fordeling.",
            check="Kontrollér data eller Beregn fordeling"))
        return book.name

    path = _unique_path(_folder_of(book) or _documents(), "Behovsmodel")
    _status(book, f"{TITLE}: laver {path.name} …")
    write_template(path)
    try:
        book.app.books.open(str(path))
    except Exception:  # noqa: BLE001 - the remote engine cannot open files
        _alert(book, f"En ny behovsmodel er gemt som {path}. Åbn den i Excel.")
    return path


@_macro
def show_help(book):
    """Hjælp: a short Danish help text."""
    text = HELP_TEXT.format(guide=guide_address())
    if on_lite():
        text = text.replace("TILDELING_", "TILDELING.") + "\n\n" + HELP_LITE
    _alert(book, text)
    return text

