"""The delivery (*leverance*) workbook and the sheet Distriktstal of the budget officer's workbook.

``write_delivery`` renders a :class:`~tildeling.need.delivery.Delivery` (aggregates only) as a new workbook –
nothing of the pupil data or of any other package travels along – and saves it only when the disclosure
checker clears the finished file (every table, text and package part; :mod:`tildeling.workbook.audit`). ``read_delivery`` reads a delivery file back
and checks it (:func:`~tildeling.need.figures.figures_from_tables`). ``figures_sheet`` is the input sheet
*Distriktstal* of a need-model workbook: empty in the template (a budget officer may type or paste district
figures), or holding a delivery's tables after ``tildeling new behovsmodel --leverance`` or *Indlæs leverance*.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

from ... import danish as dk
from ...errors import InputError, Source
from ...need.apply import KEY_SE
from ...need.delivery import DISTRICT_FIGURES_COLUMNS, MUNICIPAL_FIGURES_COLUMNS, VARIANCE_FIGURE, Delivery
from ...need.figures import DistrictFigures, figures_from_tables
from ..layout import Sheet, TableBlock, Text, place
from ..render_xlsx import render_sheets
from ..tables import read_tables
from . import contract as c

__all__ = ["delivery_sheets", "write_delivery", "delivery_package", "delivery_bytes", "cleared_delivery", "read_delivery", "figures_sheet",
           "delivery_frames", "new_from_delivery", "delivery_coefficients_sheet", "workbook_settings", "DELIVERY_SHEETS", "MARKER_NOTE"]

#: Sheets of a delivery workbook.
DELIVERY_SHEETS = ("Leverance", c.SHEET_DISTRICT_FIGURES, "Forklaringskraft", "Beskrivende", "Skjulte tal")

MARKER_NOTE = ("'<{N}' er et antal på 1 til {M} personer. '..' er skjult, fordi et andet skjult tal ellers kunne "
               "regnes ud, eller fordi tallet er beregnet ud fra et skjult antal. Arket Skjulte tal viser hvert "
               "skjult tal og reglen bag det.")

_FORMATS = {
    c.TBL_DISTRICT_FIGURES: {"Elever": "#,##0", "Forventede elever": "0.000", "Faktiske elever": "#,##0",
                             VARIANCE_FIGURE: "0.000", KEY_SE: "0.000%"},
    c.TBL_MUNICIPAL_FIGURES: {"Elever": "#,##0", "Forventede elever": "0.000", "Faktiske elever": "#,##0",
                              "Elever uden distrikt": "#,##0", "Landsandel segregerede": "0.0%"},
    c.TBL_DELIVERY_POWER: {"10 % med laveste sandsynlighed": "0.0%", "10 % med højeste sandsynlighed": "0.0%",
                           "AUC": "0.000"},
    c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES: {"Gennemsnit": "0.000"},
}


def _uncertainty_note(districts: pd.DataFrame) -> str:
    """What the optional uncertainty columns of tblDistriktstal are (sums over pupils, not counts of persons)."""
    parts = []
    if VARIANCE_FIGURE in districts.columns:
        parts.append(f"{VARIANCE_FIGURE} = summen af p(1 − p)")
    if KEY_SE in districts.columns:
        parts.append(f"{KEY_SE} fra koefficienternes kovarians")
    if not parts:
        return ""
    return (" Til usikkerhedsintervallerne: " + " og ".join(parts)
            + " – summer over alle distriktets elever, ikke antal personer.")


def delivery_frames(dl: Delivery) -> dict[str, pd.DataFrame]:
    """The delivery's tables by their contract names."""
    return {
        c.TBL_DELIVERY: pd.DataFrame({"Nøgle": list(dl.metadata), "Værdi": [str(v) for v in dl.metadata.values()]}),
        c.TBL_DISTRICT_FIGURES: dl.districts,
        c.TBL_MUNICIPAL_FIGURES: dl.municipal,
        c.TBL_DELIVERY_POWER: dl.power,
        c.TBL_DELIVERY_DESCRIPTIVES: dl.descriptives,
        c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES: dl.district_descriptives,
        c.TBL_SUPPRESSED: dl.suppressed,
    }


def _descriptive_formats(frame: pd.DataFrame) -> dict:
    return {col: ("0.0%" if "i % af" in str(col) else "0.000") for col in frame.columns
            if col not in ("Variabel", "Kategori", "Beskrivelse", "Enhed")}


def _banner(demo: bool) -> list:
    if not demo:
        return []
    return [Text(c.DEMO_BANNER, "banner"),
            Text("Leverancen er lavet med de medfølgende demonstrationskoefficienter (estimeret på syntetiske data). "
                 "Den må ikke bruges til rigtig budgetlægning.", "warning")]


def delivery_sheets(dl: Delivery) -> list[Sheet]:
    """The sheets of the delivery workbook (aggregates only)."""
    frames = delivery_frames(dl)
    N = dl.threshold
    who = f"{dl.name} ({dl.municipality})" if dl.name else dl.municipality
    year = f", skoleåret {dl.school_year}" if dl.school_year else ""
    none = int(dl.municipal["Elever uden distrikt"].iloc[0])
    n_d = int(pd.to_numeric(dl.districts["Elever"]).sum())
    notes = [
        Text(f"Leverance til behovsmodellen – {who}{year}", "title"),
        *_banner(dl.demo),
        Text("Distriktstal til budgetmedarbejderens projektmappe: kun aggregerede tal – ingen elevrækker, intet "
             f"ElevID og intet antal under {N} personer.", "normal"),
        Text("Lavet af analytikeren med 'tildeling export' dér, hvor elevdataene er (fx Danmarks Statistiks "
             "forskningsservice). Budgetmedarbejderen indlæser filen med Tildeling → Indlæs leverance eller "
             "'tildeling new behovsmodel --leverance FIL --out PROJEKTMAPPE.xlsx'.", "normal"),
        Text(MARKER_NOTE.format(N=N, M=N - 1), "note"),
        TableBlock(c.TBL_DELIVERY, frames[c.TBL_DELIVERY], {}, widths={"Nøgle": 30, "Værdi": 70}),
    ]
    figures = [
        Text(f"Distriktstal – {who}{year}", "title"),
        *_banner(dl.demo),
        Text(f"Pr. distrikt (Tabel 5.1): de {dk.integer(n_d)} elever i 0.-9. klasse med et distrikt, talt i deres "
             "budgetdistrikt. Forventede elever = summen af elevernes forudsagte sandsynligheder (fuld præcision); "
             "Faktiske elever = elever i segregeret specialundervisning."
             + _uncertainty_note(dl.districts), "note"),
        TableBlock(c.TBL_DISTRICT_FIGURES, dl.districts, _FORMATS[c.TBL_DISTRICT_FIGURES], widths={"Navn": 30}),
        Text("Kommunen samlet (Tabel 4.1): alle kommunens elever i 0.-9. klasse"
             + (f", også de {dk.integer(none)} uden distrikt." if none else "."), "note"),
        TableBlock(c.TBL_MUNICIPAL_FIGURES, dl.municipal, _FORMATS[c.TBL_MUNICIPAL_FIGURES]),
    ]
    power = [
        Text("Forklaringskraft (Tabel 3.2)", "title"),
        *_banner(dl.demo),
        Text("Andel af de faktiske modtagere blandt de 10 % af kommunens elever med lavest og højest forudsagt "
             "sandsynlighed, og AUC. Hele landet er fra koefficienttabellen.", "note"),
        TableBlock(c.TBL_DELIVERY_POWER, dl.power, _FORMATS[c.TBL_DELIVERY_POWER], widths={"Population": 34}),
    ]
    desc = [
        Text("Beskrivende statistik (Tabel 3.3 og Bilag 3)", "title"),
        *_banner(dl.demo),
        Text("De ti vigtigste variable: kommunen (alle elever) mod hele landet, og pr. distrikt (elever med et "
             "distrikt). Andele er brøker.", "note"),
        TableBlock(c.TBL_DELIVERY_DESCRIPTIVES, dl.descriptives, _descriptive_formats(dl.descriptives),
                   widths={"Variabel": 18, "Kategori": 24, "Beskrivelse": 50}),
        TableBlock(c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES, dl.district_descriptives,
                   _FORMATS[c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES],
                   widths={"Navn": 28, "Variabel": 18, "Kategori": 24, "Beskrivelse": 50},
                   title="Pr. distrikt (Bilag 3)"),
    ]
    hidden = [
        Text("Skjulte tal", "title"),
        *_banner(dl.demo),
        Text(f"Hvert tal, der er skjult efter reglen om mindst {N} personer, og reglen bag det – til "
             "statistikkontorets kontrol af leverancen." if len(dl.suppressed) else
             f"Ingen tal er skjult: alle antal er 0 eller mindst {N} personer.", "note"),
        TableBlock(c.TBL_SUPPRESSED, dl.suppressed, {}, widths={"Tabel": 30, "Række": 70, "Kolonne": 30,
                                                                "Regel": 80}),
    ]
    names = DELIVERY_SHEETS
    return [place(Sheet(name, blocks, landscape=True)) for name, blocks in
            zip(names, (notes, figures, power, desc, hidden))]


def delivery_package(dl: Delivery) -> Workbook:
    """The delivery as a new openpyxl workbook (nothing but its own tables)."""
    wb = Workbook()
    wb.remove(wb.active)
    render_sheets(wb, delivery_sheets(dl))
    wb.defined_names[c.KIND_NAME] = DefinedName(c.KIND_NAME, attr_text=f'"{c.DELIVERY_KIND}"')
    wb.properties.title = f"Leverance til behovsmodellen – {dl.municipality}"
    wb.properties.creator = "tildeling"
    wb.active = 0
    return wb


def delivery_bytes(dl: Delivery) -> bytes:
    """The delivery workbook as the bytes of an .xlsx package (not yet audited)."""
    import io

    buf = io.BytesIO()
    delivery_package(dl).save(buf)
    return buf.getvalue()


def cleared_delivery(dl: Delivery, *, pupil_ids=()) -> bytes:
    """The delivery's bytes, audited like every shared file (:func:`tildeling.workbook.audit.require_clear`:
    every table through the disclosure checker and its registry, every text, the package, the pupil IDs).

    Raises :class:`~tildeling.privacy.DisclosureError` (Danish, the findings listed) if it cannot be cleared.
    """
    from ..audit import require_clear

    data = delivery_bytes(dl)
    require_clear(data, threshold=dl.threshold, pupil_ids=pupil_ids, what="Leverancen")
    return data


def write_delivery(dl: Delivery, path, *, pupil_ids=(), data: bytes | None = None, overwrite: bool = True) -> Path:
    """Audit the delivery and only then save it atomically; if the audit fails, nothing is written.

    ``data``: bytes already cleared by :func:`cleared_delivery`. ``overwrite=False``: an existing file is
    refused (``tildeling export`` without ``--overwrite``).
    """
    from ...io.atomic import atomic_write

    path = Path(path)
    atomic_write(path, data if data is not None else cleared_delivery(dl, pupil_ids=pupil_ids), overwrite=overwrite)
    return path


def write_deliveries(deliveries, folder, *, overwrite: bool = True, data=None) -> list[Path]:
    """Audit every delivery, then save one per municipality in ``folder`` (``217.xlsx`` …), all or none
    (:func:`tildeling.io.atomic.save_all`)."""
    from ...io.atomic import save_all

    folder = Path(folder)
    # every delivery audited before any is written (``data``: their bytes, already cleared)
    cleared = list(data) if data is not None else [cleared_delivery(dl) for dl in deliveries]
    return save_all([(folder / f"{dl.municipality}.xlsx", data) for dl, data in zip(deliveries, cleared)],
                    overwrite=overwrite)


def read_delivery(data: bytes, name: str = "leverancen") -> tuple[DistrictFigures, dict[str, pd.DataFrame],
                                                                  dict[str, Source]]:
    """Read and check a delivery workbook; returns the figures and its tables as read (by contract name)."""
    tables = read_tables(data, name)
    kind = str(tables.names.get(c.KIND_NAME) or "").strip('"')
    if kind == c.KIND:
        raise InputError(f"{name} er en behovsmodel-projektmappe, ikke en leverance. En leverance laves af "
                         "analytikeren med 'tildeling export'.")
    if c.TBL_DISTRICT_FIGURES not in tables.frames:
        raise InputError(f"{name} er ikke en leverance: tabellen {c.TBL_DISTRICT_FIGURES} mangler. En leverance "
                         "laves af analytikeren med 'tildeling export'.")
    frames = {t: tables.frames[t] for t in c.DELIVERY_TABLES if t in tables.frames}
    sources = {t: tables.sources[t] for t in frames}
    if c.TBL_MUNICIPAL_FIGURES not in frames or c.TBL_DELIVERY not in frames:
        missing = [t for t in (c.TBL_MUNICIPAL_FIGURES, c.TBL_DELIVERY) if t not in frames]
        raise InputError(f"{name} er ikke en hel leverance: {' og '.join(missing)} mangler. Bed analytikeren om "
                         "leverancen igen.")
    return figures_from_tables(frames, sources), frames, sources


#: Widths of the sheet Distriktstal's columns where its stacked tables need room for text (the rest fit their
#: headings): together one landscape A4 page wide at about 85 %, the long texts wrapped inside them.
FIGURES_WIDTHS = {"A": 22.0, "B": 30.0, "C": 18.0, "E": 26.0}


def _empty(columns, rows: int) -> pd.DataFrame:
    return pd.DataFrame([[None] * len(columns)] * rows, columns=list(columns))


def figures_sheet(frames: dict[str, pd.DataFrame] | None = None, *, demo: bool = False) -> Sheet:
    """The input sheet Distriktstal: a delivery's tables (``frames``), or empty tables to type into."""
    blocks = [
        Text("Distriktstal", "title"),
        Text("Distrikternes tal fra analytikerens leverance (Tildeling → Indlæs leverance) – eller skrevet ind her. "
             "Når arket Elever er tomt, regner Beregn fordeling på disse tal.", "note"),
    ]
    if demo:
        blocks[1:1] = _banner(True)
    frames = dict(frames or {})
    districts = frames.get(c.TBL_DISTRICT_FIGURES)
    meta = frames.get(c.TBL_DELIVERY)
    N = next((str(v) for k, v in zip(meta["Nøgle"], meta["Værdi"]) if k == "Mindste celle"), "5") \
        if meta is not None and "Nøgle" in meta and "Værdi" in meta else "5"
    blocks += [
        Text("Pr. distrikt: Elever (0.-9. klasse), Forventede elever (summen af sandsynlighederne) og Faktiske elever "
             f"(i segregeret specialundervisning; '<{N}' eller '..' = skjult).", "note"),
        TableBlock(c.TBL_DISTRICT_FIGURES, districts if districts is not None else _empty(DISTRICT_FIGURES_COLUMNS, 6),
                   _FORMATS[c.TBL_DISTRICT_FIGURES], widths={"Navn": FIGURES_WIDTHS["B"]}, wrap=("Navn",)),
        Text("Kommunen samlet (Tabel 4.1), også elever uden distrikt. Valgfri: uden den er kommunen summen af "
             "distrikterne.", "note"),
        TableBlock(c.TBL_MUNICIPAL_FIGURES, frames.get(c.TBL_MUNICIPAL_FIGURES, _empty(MUNICIPAL_FIGURES_COLUMNS, 1)),
                   _FORMATS[c.TBL_MUNICIPAL_FIGURES], wrap=("Navn",)),
    ]
    # The rest of a delivery, below the figures, each table kept with its heading on the printed pages; the
    # longest (the districts' descriptives) last, so that its repeated heading row is above its own rows only.
    extra = []
    if c.TBL_DELIVERY in frames:
        extra.append(TableBlock(c.TBL_DELIVERY, frames[c.TBL_DELIVERY], {}, title="Om leverancen",
                                widths={"Nøgle": FIGURES_WIDTHS["A"], "Værdi": FIGURES_WIDTHS["B"]},
                                wrap=("Nøgle", "Værdi")))
    if c.TBL_DELIVERY_POWER in frames:
        extra.append(TableBlock(c.TBL_DELIVERY_POWER, frames[c.TBL_DELIVERY_POWER], _FORMATS[c.TBL_DELIVERY_POWER],
                                title="Forklaringskraft (Tabel 3.2)", widths={"Population": FIGURES_WIDTHS["A"]},
                                wrap=("Population",)))
    if c.TBL_DELIVERY_DESCRIPTIVES in frames:
        f = frames[c.TBL_DELIVERY_DESCRIPTIVES]
        extra.append(TableBlock(c.TBL_DELIVERY_DESCRIPTIVES, f, _descriptive_formats(f),
                                title="Beskrivende statistik (Tabel 3.3)",
                                widths={"Variabel": FIGURES_WIDTHS["A"], "Kategori": FIGURES_WIDTHS["B"],
                                        "Beskrivelse": FIGURES_WIDTHS["C"]},
                                wrap=("Variabel", "Kategori", "Beskrivelse", "Enhed")))
    if c.TBL_SUPPRESSED in frames:
        extra.append(TableBlock(c.TBL_SUPPRESSED, frames[c.TBL_SUPPRESSED], {}, title="Skjulte tal",
                                widths={"Tabel": FIGURES_WIDTHS["A"], "Række": FIGURES_WIDTHS["B"],
                                        "Kolonne": FIGURES_WIDTHS["C"], "Regel": FIGURES_WIDTHS["E"]},
                                wrap=("Tabel", "Række", "Kolonne", "Regel")))
    if c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES in frames:
        extra.append(TableBlock(c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES, frames[c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES],
                                _FORMATS[c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES], title="Pr. distrikt (Bilag 3)",
                                widths={"Navn": FIGURES_WIDTHS["B"], "Variabel": FIGURES_WIDTHS["C"],
                                        "Beskrivelse": FIGURES_WIDTHS["E"]},
                                wrap=("Navn", "Variabel", "Kategori", "Beskrivelse")))
    extra.sort(key=lambda b: b.name == c.TBL_DELIVERY_DISTRICT_DESCRIPTIVES)
    blocks += extra
    # One row range repeats on printed pages (Excel's print titles): the district figures' heading, or with a
    # delivery the heading of the last table (the only one that can continue past the pages of the others)
    title = extra[-1].name if extra else c.TBL_DISTRICT_FIGURES
    # Printed: the figures on the first page; the delivery's metadata (with the capture rates), its descriptives,
    # the hidden cells and the districts' descriptives each from the top of a page
    breaks = tuple(b.name for b in extra if b.name != c.TBL_DELIVERY_POWER)
    return place(Sheet(c.SHEET_DISTRICT_FIGURES, blocks, tab_color="FFC000", keep_tables=True,
                       print_title_table=title, protect=False, page_breaks_before=breaks))


#: The rows of tblLeverance that say which coefficient table made the district figures.
DELIVERY_COEFFICIENT_KEYS = ("Koefficientkilde", "Koefficienternes fingeraftryk", "Demonstrationskoefficienter")


def delivery_coefficients_sheet(frames: dict[str, pd.DataFrame], *, demo: bool = False) -> Sheet:
    """The sheet Koefficienter of a workbook on a delivery's district figures: no coefficient table (the figures
    were computed with one at the analyst's, not in this workbook), but which one it was – the delivery's
    coefficient source and fingerprint from tblLeverance, in ``tblModelinfo`` (Nøgle, Værdi).

    *Indlæs koefficienter* replaces the sheet with a coefficient table, for a municipality that computes on
    pupils itself."""
    meta = frames.get(c.TBL_DELIVERY)
    values = {}
    if meta is not None and {"Nøgle", "Værdi"} <= set(meta.columns):
        values = {str(k): ("" if v is None else str(v)) for k, v in zip(meta["Nøgle"], meta["Værdi"]) if k}
    info = pd.DataFrame({"Nøgle": list(DELIVERY_COEFFICIENT_KEYS),
                         "Værdi": [values.get(k, "") for k in DELIVERY_COEFFICIENT_KEYS]})
    who = values.get("Kommunenavn") or values.get("Kommune") or ""
    blocks = [
        Text("Koefficienter", "title"),
        *_banner(demo),
        Text("Distriktstallene på arket Distriktstal er beregnet af analytikeren med den nationale models "
             "koefficienttabel. Koefficienterne bruges hos analytikeren, dér hvor elevdataene er – ikke i denne "
             "projektmappe. Her står derfor ingen koefficienttabel, kun hvilken tabel leverancen"
             + (f" for {who}" if who else "") + " er lavet med (fra leverancens tabel Om leverancen).", "normal"),
        TableBlock(c.TBL_MODEL_INFO, info, {}, title="Leverancens koefficienttabel",
                   widths={"Nøgle": FIGURES_WIDTHS["A"] + 8, "Værdi": 70}, wrap=("Værdi",)),
        Text("Fingeraftrykket er en kontrolsum af koefficienttabellen: samme fingeraftryk = samme koefficienter. "
             "Regner kommunen selv på elever (arket Elever, kun med hjemmel), indlæses koefficienttabellen med "
             "Tildeling → Indlæs koefficienter; den erstatter dette ark.", "note"),
    ]
    return place(Sheet(c.SHEET_COEFS, blocks, landscape=False, tab_color="FFC000", protect=False))


def workbook_settings(figures: DistrictFigures) -> dict:
    """The settings a delivery fills in: the municipality and the school year."""
    out = {"Kommune": figures.municipality_name or figures.municipality}
    if figures.metadata.get("Skoleår"):
        out["Skoleaar"] = figures.metadata["Skoleår"]
    return out


def new_from_delivery(delivery, out, *, overwrite: bool = True) -> DistrictFigures:
    """``tildeling new behovsmodel --leverance``: a need-model workbook filled from a delivery file.

    The delivery is read and checked first; the workbook's sheet Distriktstal holds its tables as they are, the
    sheet Distrikter its districts, the settings its municipality and school year.
    """
    from ...io.files import open_workbook
    from .template import write_template

    source = open_workbook(delivery)
    figures, frames, _ = read_delivery(source.data, source.name)
    districts = figures.districts[["Distrikt", "Navn"]].copy()
    write_template(out, districts=districts, settings=workbook_settings(figures), figures=frames,
                   figures_demo=figures.demo, overwrite=overwrite)
    return figures
