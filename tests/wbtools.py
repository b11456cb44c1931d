"""Helpers for workbook tests: build small workbooks, read tables, recalculate with LibreOffice."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from tildeling.synth.national import make_municipality
from tildeling.workbook.need.template import write_template

SETTINGS = {"Kommune": "Testkommune", "Skoleaar": "2015/16", "SamletBudget": 10_000_000}


@lru_cache(maxsize=4)
def municipality(n: int | None = None, seed: int = 2016):
    m = make_municipality(seed=seed)
    pupils = m.pupils.drop(columns=["Kommune"], errors="ignore")
    if n is not None:
        pupils = pupils.sample(n=n, random_state=seed).sort_values("ElevID").reset_index(drop=True)
    districts = m.districts[["Distrikt", "Navn"]].copy()
    return pupils, districts


def edit_inputs(wb, settings: dict, districts: dict) -> None:
    """As a budget officer would in Excel: set named settings (``{"SamletBudget": 50_000_000}``) and cells of
    tblDistrikter (``{"2": {"Gulv (kr.)": 1_500_000}}``, by district code) in an openpyxl workbook."""
    from tildeling.workbook.need import contract as c
    from tildeling.workbook.need.template import TABLE_TOP

    for name, value in settings.items():
        sheet, cell = wb.defined_names[name].attr_text.split("!")
        wb[sheet.strip("'")][cell.replace("$", "")] = value
    ws = wb[c.SHEET_DISTRICTS]
    header = {cell.value: cell.column for cell in ws[TABLE_TOP]}
    for row in ws.iter_rows(min_row=TABLE_TOP + 1):
        for column, value in districts.get(str(row[0].value), {}).items():
            ws.cell(row=row[0].row, column=header[column]).value = value


def delivery_file(tmp: Path, n: int = 900) -> Path:
    """``tmp/lev.xlsx``: the analyst's delivery for a synthetic Helsingør of ``n`` pupils (demonstration
    coefficients), made by ``tildeling export`` as a user would; its inputs are left in ``tmp``."""
    from tildeling.cli import main
    from tildeling.io.coefficients import demo_coefficients, write_coefficients

    pupils, districts = municipality(n)
    pupils.to_parquet(tmp / "elever.parquet", index=False)
    districts.to_csv(tmp / "distrikter.csv", sep=";", index=False)
    write_coefficients(demo_coefficients(), tmp / "koef.csv")
    assert main(["export", str(tmp / "elever.parquet"), str(tmp / "koef.csv"), "--distrikter",
                 str(tmp / "distrikter.csv"), "--kommune", "217", "--out", str(tmp / "lev.xlsx"), "--quiet"]) == 0
    return tmp / "lev.xlsx"


def make_workbook(path: Path, n: int | None = 400, pupils: pd.DataFrame | None = None, districts=None,
                  settings=None) -> Path:
    p, d = municipality(n)
    write_template(path, pupils=p if pupils is None else pupils, districts=d if districts is None else districts,
                   settings={**SETTINGS, **(settings or {})})
    return path


def table(path_or_bytes, name: str) -> pd.DataFrame:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    t = wb.get_table_by_name(name)
    return pd.DataFrame(t.to_python(), columns=[str(c) for c in t.columns])


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def error_cells(path) -> list[str]:
    """Cells holding an Excel error value (t="e"), in any sheet."""
    out = []
    for name, data in parts(path).items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            for m in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*t="e"[^>]*>(?:.*?)<v>([^<]*)</v>', data, re.S):
                out.append(f"{name}:{m.group(1).decode()}={m.group(2).decode()}")
    return out


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(path: Path, outdir: Path, *, danish: bool = False) -> Path:
    """Open in LibreOffice headless, recalculate, save as .xlsx; returns the new file.

    ``danish=True`` runs LibreOffice in a Danish locale (``FIXED`` writes ``1.234.567``, as Danish Excel does).
    """
    return recalculate_many([path], outdir, danish=danish)[0]


def recalculate_many(paths, outdir: Path, *, danish: bool = False) -> list[Path]:
    """:func:`recalculate` for several files in one LibreOffice process (much faster than one by one)."""
    import os

    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo_profile_"))
    cmd = [soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), *map(str, paths)]
    env = dict(os.environ)
    if danish:
        env.update(LANG="da_DK.UTF-8", LC_ALL="da_DK.UTF-8")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    outs = [outdir / (Path(p).stem + ".xlsx") for p in paths]
    shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0 or not all(o.exists() for o in outs):
        raise RuntimeError(f"LibreOffice failed: {proc.stdout} {proc.stderr}")
    return outs
