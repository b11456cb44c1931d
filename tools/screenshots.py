"""Render result sheets of the demo workbook to PNG for the docs (LibreOffice + pdftoppm).

    python tools/screenshots.py            # writes docs/img/behovsmodel_<sheet>.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tildeling.workbook.need import contract as c
from tildeling.workbook.need.demo import make_demo
from tildeling.workbook.graft import remove_sheets

ROOT = Path(__file__).resolve().parents[1]
SHEETS = (c.SHEET_NEED, c.SHEET_ALLOCATION, c.SHEET_BENCHMARK)


def render(xlsx: Path, sheet: str, out_png: Path, workdir: Path) -> None:
    data = xlsx.read_bytes()
    from tildeling.workbook.graft import read_package_names

    others = [n for n in read_package_names(data) if n != sheet]
    single = workdir / f"{sheet}.xlsx"
    single.write_bytes(remove_sheets(data, others))
    profile = workdir / "profile"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(single)], check=True, capture_output=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
