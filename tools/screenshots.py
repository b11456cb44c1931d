"""Render result sheets of the demo workbook to PNG for the docs (LibreOffice + pdftoppm, Danish locale).

    python tools/screenshots.py            # writes docs/img/behovsmodel_<sheet>.png and docs/img/absence_<sheet>.png

Each sheet is printed as the user would print it: the other sheets are hidden (not removed – the formulas
refer to them), LibreOffice recalculates in a Danish locale (1.234.567 and 12,5 %), exports the sheet's print
area to PDF, and the first page becomes a PNG at a resolution that is readable at the size the docs show it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tildeling.workbook.need import contract as c
from tildeling.workbook.need.demo import make_demo

ROOT = Path(__file__).resolve().parents[1]
SHEETS = (c.SHEET_SUMMARY, c.SHEET_NEED, c.SHEET_ALLOCATION, c.SHEET_BENCHMARK)
#: Absence result sheets and their image names in docs/fravaer.md.
ABSENCE_SHEETS = {"Drilldown": "absence_drilldown", "Hypotesetest": "absence_hypoteser",
                  "Krydstabeller": "absence_krydstabeller"}
RESOLUTION = 110   # pixels per inch: an A4 page is about 1,290 pixels wide in landscape


def only_sheet(data: bytes, sheet: str) -> bytes:
    """The package with every sheet but ``sheet`` hidden, and ``sheet`` the active one."""
    src = zipfile.ZipFile(io.BytesIO(data))
    wb = src.read("xl/workbook.xml").decode("utf-8")
    names = re.findall(r'<sheet [^>]*name="([^"]+)"', wb)

    def tag(m):
        el = re.sub(r'\sstate="[^"]*"', "", m.group(0))
        name = re.search(r'name="([^"]+)"', el).group(1)
        return el if name == sheet else el.replace("<sheet ", '<sheet state="hidden" ', 1)

    wb = re.sub(r"<sheet [^>]*/>", tag, wb)
    # LibreOffice prints a hidden sheet that has a print area: keep only the shown sheet's print setup
    target = str(names.index(sheet))
    wb = re.sub(r'<definedName name="_xlnm\.Print_(?:Area|Titles)" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                lambda m: m.group(0) if m.group(1) == target else "", wb)
    wb = re.sub(r'activeTab="\d+"', f'activeTab="{names.index(sheet)}"', wb)
    wb = re.sub(r'firstSheet="\d+"', 'firstSheet="0"', wb)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, wb if item.filename == "xl/workbook.xml" else src.read(item.filename))
    return out.getvalue()


def render(xlsx: Path, sheet: str, out_png: Path, workdir: Path) -> None:
    single = workdir / f"{sheet}.xlsx"
    single.write_bytes(only_sheet(xlsx.read_bytes(), sheet))
    profile = workdir / "profile"
    env = {**os.environ, "LANG": "da_DK.UTF-8", "LC_ALL": "da_DK.UTF-8"}
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(single)], check=True, capture_output=True, env=env)
    subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile",
                    str(workdir / f"{sheet}.pdf"), str(out_png.with_suffix(""))], check=True)


def main() -> int:
    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        print("Kræver LibreOffice (soffice) og poppler (pdftoppm).", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        demo = d / "demo.xlsx"
        make_demo(demo)
        for sheet in SHEETS:
            name = sheet.lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
            render(demo, sheet, ROOT / "docs" / "img" / f"behovsmodel_{name}.png", d)
            print("skrev", f"docs/img/behovsmodel_{name}.png")
        from tildeling.workbook.absence.demo import make_absence_demo

        absence = d / "fravaer.xlsx"
        make_absence_demo(absence)
        for sheet, name in ABSENCE_SHEETS.items():
            render(absence, sheet, ROOT / "docs" / "img" / f"{name}.png", d)
            print("skrev", f"docs/img/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
