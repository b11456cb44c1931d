"""Absence workbook: template, run in place, bad input, shared copy, drill-down in LibreOffice, CLI."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tildeling.workbook.absence import contract as c
from tildeling.workbook.absence import (build_template, is_absence_workbook, run_workbook, share,
                                        write_input_workbook)
from tildeling.cli import main
from tildeling.errors import InputError
from tildeling.synth.absence import generate_absence_data

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook_templates" / "fravaer.xlsx"
INPUT_SHEETS = [d.sheet for d in c.INPUT_DOMAINS]


@pytest.fixture(scope="module")
def data():
    return generate_absence_data(n_pupils=800, n_schools=4, missing_family=6, missing_language=4,
                                 missing_absence=2, orphans=3, seed=7)


@pytest.fixture(scope="module")
def ran(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("absence")
    src = write_input_workbook(d / "input.xlsx", data)
    out = d / "analyse.xlsx"
    shutil.copy(src, out)
    res = run_workbook(out)
    return src, out, res


def sheet_values(ws):
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def structure(wb):
    out = {"sheets": wb.sheetnames, "names": {k: str(v.attr_text) for k, v in wb.defined_names.items()}}
    for ws in wb.worksheets:
        out[ws.title] = {
            "values": sheet_values(ws),
            "tables": dict(ws.tables.items()),
            "validations": sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation),
            "charts": len(ws._charts),
            "state": ws.sheet_state,
        }
    return out


# --- Template --------------------------------------------------------------------------------
def test_committed_template_equals_generator(tmp_path):
    fresh = tmp_path / "fravaer.xlsx"
    build_template().save(fresh)
    assert structure(openpyxl.load_workbook(TEMPLATE)) == structure(openpyxl.load_workbook(fresh)), \
        "workbook_templates/fravaer.xlsx is stale: regenerate it with tildeling.workbook.absence.new_template"


def test_template_has_model_type_tables_and_dropdowns():
    wb = openpyxl.load_workbook(TEMPLATE)
    assert is_absence_workbook(wb) and is_absence_workbook(TEMPLATE)
    tables = {name for ws in wb.worksheets for name in ws.tables}
    assert {d.table for d in c.INPUT_DOMAINS} <= tables
    hyp = wb[c.HYPOTESER.sheet]
    assert {dv.formula1 for dv in hyp.data_validations.dataValidation} == {"=lstFaktorer", "=lstRetninger"}
    assert [hyp.cell(row=4 + i, column=2).value for i in range(10)] == list(c.FACTOR_NAMES)


# --- Run in place ------------------------------------------------------------------------------
def test_run_writes_results_and_never_touches_input_sheets(ran):
    src, out, res = ran
    before, after = openpyxl.load_workbook(src), openpyxl.load_workbook(out)
    for name in INPUT_SHEETS:
        assert sheet_values(before[name]) == sheet_values(after[name]), name
        assert dict(before[name].tables.items()) == dict(after[name].tables.items())
    for name in c.RESULT_SHEETS:
        assert name in after.sheetnames
    assert is_absence_workbook(after)
    assert after.active.title == c.SHEET_OVERVIEW
    assert len(after[c.SHEET_CROSSTABS]._charts) == len(res.strongest) > 0
    assert len(after[c.SHEET_TREND]._charts) == 1 and len(after[c.SHEET_DRILL]._charts) == 1
    banner = after[c.SHEET_CASEWORKER]["A2"].value
    assert banner.startswith("PERSONFØLSOMME OPLYSNINGER")
    assert after[c.SHEET_UNMATCHED]["A2"].value == banner


def test_run_twice_replaces_results(ran, tmp_path):
    src, out, res = ran
    again = tmp_path / "again.xlsx"
    run_workbook(out, again)
    assert openpyxl.load_workbook(again).sheetnames == openpyxl.load_workbook(out).sheetnames


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sheet_parts(data: bytes, names) -> dict[str, list[str]]:
    """Sheet name → its worksheet part and the parts it refers to (tables, drawings …)."""
    from tildeling.workbook.graft import _Package

    pkg = _Package(data)
    sheets = pkg.sheets()
    return {n: [sheets[n], *pkg.related(sheets[n])] for n in names if n in sheets}


def _same_parts(a: bytes, b: bytes, names) -> list[str]:
    pa, pb = _parts(a), _parts(b)
    return [f"{n}: {q}" for n, qs in _sheet_parts(a, names).items() for q in qs if pa[q] != pb.get(q)]


def test_input_sheet_parts_byte_identical_after_run_and_rerun(data, tmp_path):
    p = write_input_workbook(tmp_path / "in.xlsx", data)
    before = p.read_bytes()
    run_workbook(p)
    first = p.read_bytes()
    run_workbook(p)
    second = p.read_bytes()
    assert not _same_parts(before, first, INPUT_SHEETS)
    assert not _same_parts(before, second, INPUT_SHEETS)
    # a rerun replaces the result sheets and nothing piles up
    kept = INPUT_SHEETS + [c.SHEET_GUIDE]
    assert not _same_parts(first, second, kept)
    p1, p2 = _parts(first), _parts(second)
    assert set(p1) == set(p2)
    assert p1["xl/styles.xml"] == p2["xl/styles.xml"]
    assert p1["xl/workbook.xml"] == p2["xl/workbook.xml"]
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == [c.SHEET_GUIDE, *INPUT_SHEETS, c.SHEET_OVERVIEW, c.SHEET_LINK, c.SHEET_HYPOTHESES,
                             c.SHEET_CROSSTABS, c.SHEET_TREND, c.SHEET_SEGMENTS, c.SHEET_DRILL, c.SHEET_DRILLDATA,
                             c.SHEET_LISTS, c.SHEET_CASEWORKER, c.SHEET_UNMATCHED]
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [c.SHEET_OVERVIEW]
    assert wb[c.SHEET_LISTS].sheet_state == "hidden"


def test_run_on_a_package_saved_by_an_office_program_keeps_its_input_parts(ran, tmp_path):
    """LibreOffice writes shared strings and its own XML: the input parts still travel byte for byte."""
    src, _, _ = ran
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    outdir = tmp_path / "lo"
    profile = Path("/tmp") / f"lo_{uuid.uuid4().hex}"
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "xlsx", "--outdir", str(outdir), str(src)],
                       check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    p = outdir / src.name
    before = p.read_bytes()
    res = run_workbook(p)
    assert not _same_parts(before, p.read_bytes(), INPUT_SHEETS)
    wb = openpyxl.load_workbook(p)
    assert wb.active.title == c.SHEET_OVERVIEW
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [c.SHEET_OVERVIEW]
    assert len(wb[c.SHEET_CROSSTABS]._charts) == len(res.strongest)


def test_missing_list_names_are_restored_by_a_run(ran, tmp_path):
    src, _, _ = ran
    p = tmp_path / "uden_navne.xlsx"
    wb = openpyxl.load_workbook(src)
    del wb.defined_names["lstSkoler"]
    wb.save(p)
    run_workbook(p)
    names = openpyxl.load_workbook(p).defined_names
    assert "lstSkoler" in names and c.SHEET_LISTS in str(names["lstSkoler"].attr_text)


def test_excel_error_value_in_an_input_table_is_named(ran, tmp_path):
    src, _, _ = ran
    bad = tmp_path / "fejlvaerdi.xlsx"
    wb = openpyxl.load_workbook(src)
    wb[c.FRAVAER.sheet].cell(row=12, column=4, value="#DIV/0!")     # Sygefravær, an error cell
    wb.save(bad)
    digest = _md5(bad)
    with pytest.raises(InputError) as exc:
        run_workbook(bad)
    msg = str(exc.value)
    assert "'#DIV/0!'" in msg and "Arket 'Fravær' (tabellen tblFravaer)" in msg
    assert "kolonne 'Sygefravær'" in msg and "række 12" in msg
    assert _md5(bad) == digest


def test_link_report_in_workbook(ran, data):
    _, out, _ = ran
    ws = openpyxl.load_workbook(out)[c.SHEET_LINK]
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows[c.FAMILIE.label][4] == 6 and rows[c.SOCIAL.label][5] == 3
    um = openpyxl.load_workbook(out)[c.SHEET_UNMATCHED]
    ids = {r[0] for r in um.iter_rows(min_row=5, values_only=True)}
    assert set(data.missing["familie"]) <= ids and set(data.orphans["social"]) <= ids


def _md5(p):
    return hashlib.md5(Path(p).read_bytes()).hexdigest()


def test_bad_input_stops_with_danish_message_and_leaves_file_byte_for_byte(ran, tmp_path):
    src, _, _ = ran
    bad = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb[c.FRAVAER.sheet]
    ws.cell(row=10, column=3, value="tyve")   # Skoledage
    wb.save(bad)
    digest = _md5(bad)
    with pytest.raises(InputError) as exc:
        run_workbook(bad)
    msg = str(exc.value)
    assert "Arket 'Fravær' (tabellen tblFravaer)" in msg and "kolonne 'Skoledage'" in msg and "række 10" in msg
    assert _md5(bad) == digest
    # and through the CLI: exit code 2, message on stderr, file unchanged
    assert main(["absence", str(bad)]) == 2
    assert _md5(bad) == digest


def test_bad_rule_in_workbook_names_sheet_and_row(ran, tmp_path):
    src, _, _ = ran
    bad = tmp_path / "badrule.xlsx"
    wb = openpyxl.load_workbook(src)
    wb[c.SEGMENTER.sheet].cell(row=6, column=2, value="import os")
    wb.save(bad)
    digest = _md5(bad)
    with pytest.raises(InputError, match=r"Arket 'Segmentering'.*kolonne 'Betingelse', række 6"):
        run_workbook(bad)
    assert _md5(bad) == digest


def test_not_an_absence_workbook_is_refused(tmp_path):
    p = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(p)
    with pytest.raises(InputError, match="ikke en fraværsanalyse"):
        run_workbook(p)
    with pytest.raises(InputError, match="ikke en fraværsanalyse"):
        share(p, tmp_path / "x.xlsx")


# --- Shared copy --------------------------------------------------------------------------------
def test_shared_copy_has_no_personal_data_in_any_package_part(ran, data, tmp_path):
    _, out, _ = ran
    shared = share(out, tmp_path / "delbar.xlsx")
    wb = openpyxl.load_workbook(shared)
    for name in (*c.PERSONAL_SHEETS, *c.PUPIL_LEVEL_SHEETS):
        assert name not in wb.sheetnames
    assert is_absence_workbook(wb)
    ids = set(data.elever[c.PUPIL]) | set(data.orphans["social"])
    with zipfile.ZipFile(shared) as z:
        names = z.namelist()
        blob = {n: z.read(n).decode("utf-8", errors="replace") for n in names}
    workbook_xml = blob["xl/workbook.xml"]
    assert c.SHEET_CASEWORKER not in workbook_xml and c.SHEET_UNMATCHED not in workbook_xml
    assert not [n for n in names if "tblSagsbehandler" in blob[n] or "tblIkkeKoblede" in blob[n]]
    assert "PERSONFØLSOMME" not in "".join(blob.values())
    leaked = [(n, pid) for n, text in blob.items() for pid in ids if pid in text]
    assert not leaked, leaked[:5]
    # drill-down data: no small counts left in the shared copy
    dd = wb[c.SHEET_DRILLDATA]
    n_col = [cell.value for cell in dd[1]].index("Elever")
    small = [r[n_col] for r in dd.iter_rows(min_row=2, values_only=True)
             if isinstance(r[n_col], (int, float)) and 0 < r[n_col] < c.SMALL_CELL]
    assert not small


def test_shared_copy_is_a_new_workbook_with_a_note_and_working_lists(ran, tmp_path):
    _, out, _ = ran
    shared = share(out, tmp_path / "delbar2.xlsx")
    wb = openpyxl.load_workbook(shared)
    assert wb[c.SHEET_GUIDE]["A2"].value.startswith("DELBAR KOPI")
    assert wb.active.title == c.SHEET_OVERVIEW
    for name in (c.SKOLER.sheet, c.KLASSER.sheet, c.HYPOTESER.sheet, c.SEGMENTER.sheet, c.SHEET_DRILL,
                 c.SHEET_DRILLDATA, c.SHEET_LISTS):
        assert name in wb.sheetnames
    assert {"lstSkoler", "lstKlassetrin", "lstFaktorer", c.MODELTYPE_NAME} <= set(wb.defined_names)
    assert {dv.formula1 for dv in wb[c.SHEET_DRILL].data_validations.dataValidation} == \
        {"=lstSkoler", "=lstKlassetrin", "=lstFaktorer"}
    with zipfile.ZipFile(shared) as z:
        assert "xl/sharedStrings.xml" not in z.namelist() or b"PERSONF" not in z.read("xl/sharedStrings.xml")


def test_share_never_overwrites_the_original(ran):
    _, out, _ = ran
    with pytest.raises(InputError):
        share(out, out)


# --- Drill-down recalculated by LibreOffice ----------------------------------------------------------
def _recalc(path: Path, tmp: Path) -> openpyxl.Workbook:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    outdir = tmp / "lo_out"
    outdir.mkdir()
    profile = Path("/tmp") / f"lo_{uuid.uuid4().hex}"
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "xlsx", "--outdir", str(outdir), str(path)],
                       check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return openpyxl.load_workbook(outdir / path.name, data_only=True)


def test_drilldown_recalculates_in_libreoffice_after_a_new_selection(ran, tmp_path):
    _, out, res = ran
    d = res.drill.set_index([c.SCHOOL, c.GRADE, "Faktor", "Niveau"])
    school = sorted(res.pupils[c.SCHOOL].unique())[1]
    big = (school, c.ALL, "Forældre bor ikke sammen")
    # a selection where one group is small: find one in the data
    small_sel = next(k[:3] for k, n in d["Elever"].items()
                     if k[0] != c.ALL and k[1] != c.ALL and k[3] == c.YES and 0 < n < c.SMALL_CELL)
    results = {}
    for tag, (s, g, f) in (("big", big), ("small", small_sel)):
        wb = openpyxl.load_workbook(out)
        ws = wb[c.SHEET_DRILL]
        ws["B4"], ws["B5"], ws["B6"] = s, g, f
        p = tmp_path / f"{tag}.xlsx"
        wb.save(p)
        (tmp_path / tag).mkdir()
        results[tag] = _recalc(p, tmp_path / tag)[c.SHEET_DRILL]
    ws = results["big"]
    yes, no = d.loc[big + (c.YES,)], d.loc[big + (c.NO,)]
    assert ws["B9"].value == yes["Elever"] and ws["B10"].value == no["Elever"]
    assert ws["C9"].value == yes["Bekymrende fravær"]
    assert ws["D9"].value == pytest.approx(yes["Bekymrende fravær"] / yes["Elever"])
    assert ws["E10"].value == pytest.approx(100 * no[c.ABSENCE_DAYS] / no[c.SCHOOL_DAYS])
    assert ws["F9"].value == pytest.approx(yes[c.BANDS[0]] / yes["Elever"])
    assert ws["D12"].value == pytest.approx(100 * (ws["D9"].value - ws["D10"].value))
    total = d.loc[(school, c.ALL, c.ALL_PUPILS, c.ALL)]
    assert ws["B11"].value == total["Elever"]
    assert not ws["A14"].value
    ws = results["small"]
    assert ws["B9"].value == "<5" and ws["B10"].value == "<5"      # the partner group is hidden too
    assert ws["C9"].value in (None, "") and ws["D10"].value in (None, "") and ws["F9"].value in (None, "")
    assert ws["D12"].value in (None, "")


# --- CLI -----------------------------------------------------------------------------------------------
def test_cli_absence_with_out(ran, tmp_path, capsys):
    src, _, _ = ran
    digest = _md5(src)
    other = tmp_path / "res.xlsx"
    assert main(["absence", str(src), "--out", str(other)]) == 0
    assert _md5(src) == digest
    assert c.SHEET_HYPOTHESES in openpyxl.load_workbook(other, read_only=True).sheetnames
    assert "Fraværsanalysen er kørt" in capsys.readouterr().out


def test_new_template_function(tmp_path):
    from tildeling.workbook.absence import new_template

    p = new_template(tmp_path / "ny.xlsx")
    assert is_absence_workbook(p)
    with pytest.raises(InputError, match="tabellen er tom"):
        run_workbook(p)


# --- Print and form (issue 10, item 7) -----------------------------------------------------------------------
def test_cli_counts_only_real_missing_links(ran, tmp_path, capsys):
    """A pupil without rows in Social simply has no case: not a missing link. The synthetic data lack 6 pupils
    in Familie, 4 in Sprog, 2 in Fravær, and have 3 unknown pseudonyms in Social and 2 in Familie: 17."""
    src, _, _ = ran
    assert main(["absence", str(src), "--out", str(tmp_path / "res.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "Bemærk: 17 manglende koblinger" in out


def test_hypotheses_repeat_their_labels_and_every_result_sheet_prints_on_a4(ran):
    _, out, _ = ran
    wb = openpyxl.load_workbook(out)
    hyp = wb[c.SHEET_HYPOTHESES]
    assert hyp.print_title_cols.replace("$", "") == "A:B"          # survives the graft into the user's file
    assert hyp.print_title_rows.replace("$", "") == "4:4"
    assert [hyp.cell(row=4, column=j).value for j in (1, 2)] == [c.HYP_TEXT, c.HYP_FACTOR]
    for name in (c.SHEET_OVERVIEW, c.SHEET_LINK, c.SHEET_HYPOTHESES, c.SHEET_CROSSTABS, c.SHEET_TREND,
                 c.SHEET_SEGMENTS, c.SHEET_DRILL):
        ws = wb[name]
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, name


def _chart_rows(ws, ch) -> tuple[int, int]:
    """First and last (1-based) row a chart covers, rows of the default 15 points (0,529 cm)."""
    first = ch.anchor._from.row + 1
    height_cm = ch.anchor.ext.height / 360_000                 # EMU; openpyxl reads no height back
    return first, first + int(height_cm / (15 * 2.54 / 72)) + 1


def test_no_chart_is_cut_by_a_page_break(ran):
    """No break falls inside a chart, and from the break above a chart to its foot fits on one landscape A4 page
    (rows of 15 points at 100 %; fitting the width only shrinks them)."""
    _, out, res = ran
    wb = openpyxl.load_workbook(out)
    for name in (c.SHEET_CROSSTABS, c.SHEET_TREND):
        ws = wb[name]
        breaks = sorted(b.id for b in ws.row_breaks.brk)
        spans = [_chart_rows(ws, ch) for ch in ws._charts]
        assert spans, name
        for first, last in spans:
            assert not any(first <= b < last for b in breaks), (name, first, last, breaks)
            above = [b for b in breaks if b < first]
            start = above[-1] + 1 if above else 1
            m = ws.page_margins                     # landscape A4 is 21 cm high; scaling to fit only shrinks rows
            rows_per_page = int((21.0 - 2.54 * (m.top + m.bottom)) / (15 * 2.54 / 72))
            assert last - start + 1 <= rows_per_page, (name, first, last, start, rows_per_page)
    cross = wb[c.SHEET_CROSSTABS]
    totals = [r for r in range(1, cross.max_row + 1) if cross.cell(row=r, column=1).value == "I alt"]
    titles = [r for r in range(1, cross.max_row + 1) if "Cramérs V =" in str(cross.cell(row=r, column=1).value)]
    assert len(totals) == len(titles) == len(res.crosstabs) and min(titles) > 3
    breaks = sorted(b.id for b in cross.row_breaks.brk)
    for first, last in zip(titles, totals):                 # no table is split by a page break …
        assert not any(first <= b < last for b in breaks), (first, last, breaks)
    assert min(_chart_rows(cross, ch)[0] for ch in cross._charts) > max(totals)   # … and the charts come after


def test_total_rows_equal_the_sums_and_hide_small_margins(ran):
    _, out, res = ran
    wb = openpyxl.load_workbook(out)
    seg = wb[c.SHEET_SEGMENTS]
    rows = [[cell.value for cell in row] for row in seg.iter_rows()]
    placed = {r[1]: r[3] for r in rows[4:] if r[1] and isinstance(r[3], int)}       # the rules table
    header = next(r for r in rows if r[0] == c.SCHOOL)
    totals = [r for r in rows if r[0] == "I alt"]
    assert len(totals) == 2
    for total in totals:
        for cat, value in zip(header[1:], total[1:]):
            if cat and cat != "I alt":
                expected = placed[cat]
                assert value == ("<5" if 0 < expected < c.SMALL_CELL else expected), cat
    counts, _ = res.segments_by_school
    assert totals[0][1:len(counts.columns) + 1] == [int(v) if not 0 < v < 5 else "<5" for v in counts.sum()]
    cross = wb[c.SHEET_CROSSTABS]
    t = res.crosstabs[0]
    r = next(i for i in range(1, 40) if cross.cell(row=i, column=1).value == "I alt")
    sums = t.counts.sum(axis=0)
    assert [cross.cell(row=r, column=2 + j).value for j in range(len(c.BANDS))] == [int(v) for v in sums]
    assert cross.cell(row=r, column=2 + len(c.BANDS)).value == int(sums.sum())
    assert cross.cell(row=r, column=3 + len(c.BANDS)).value == pytest.approx(sums.iloc[0] / sums.sum())


def test_result_sheets_are_protected_without_a_password_and_inputs_are_open(ran):
    _, out, _ = ran
    wb = openpyxl.load_workbook(out)
    for name in (c.SHEET_OVERVIEW, c.SHEET_LINK, c.SHEET_HYPOTHESES, c.SHEET_CROSSTABS, c.SHEET_TREND,
                 c.SHEET_SEGMENTS, c.SHEET_DRILL, c.SHEET_CASEWORKER):
        p = wb[name].protection
        assert p.sheet and not p.password, name
    drill = wb[c.SHEET_DRILL]
    assert all(not drill[ref].protection.locked for ref in ("B4", "B5", "B6"))   # the choices stay open
    assert drill["B9"].protection.locked                                           # the formulas do not
    for name in INPUT_SHEETS:
        assert not wb[name].protection.sheet, name


def test_input_columns_are_checked_to_the_end_of_the_sheet_with_prompts():
    wb = openpyxl.load_workbook(TEMPLATE)

    def checks(domain, column):
        ws = wb[domain.sheet]
        letter = openpyxl.utils.get_column_letter(list(domain.columns).index(column) + 1)
        found = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}4:")]
        assert len(found) == 1, (domain.sheet, column)
        dv = found[0]
        assert str(dv.sqref) == f"{letter}4:{letter}1048576" and dv.prompt and dv.showErrorMessage
        return dv

    social = checks(c.SOCIAL, c.EVENT_TYPE)
    assert social.type == "list" and social.formula1.strip('"').split(",") == list(c.EVENT_TYPES)
    for column in (c.TOGETHER, c.UNKNOWN_PARENT, c.MOTHER_EMPLOYED, c.FATHER_EMPLOYED):
        assert checks(c.FAMILIE, column).formula1 == '"0,1"'
    assert checks(c.SPROG, c.SECOND_LANGUAGE).formula1 == '"0,1"'
    for column in (c.SCHOOL_DAYS, c.ILLNESS, c.LAWFUL, c.UNLAWFUL):
        dv = checks(c.FRAVAER, column)
        assert dv.type == "decimal" and dv.operator == "greaterThanOrEqual" and dv.formula1 == "0"
    assert checks(c.ELEVER, c.GRADE).formula2 == "10"
    settings = checks(c.INDSTILLINGER, c.VALUE)
    assert settings.type == "decimal" and settings.formula1 == "0"
