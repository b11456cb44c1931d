"""Build hostile files for the adversarial tests, programmatically (no binaries in git).

Zip surgery on real workbooks made by tildeling itself: damaged, truncated, CRC errors, macro-enabled,
binary, encrypted; cells rewritten in the forms Excel and LibreOffice write.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

from openpyxl.utils import column_index_from_string, get_column_letter

VBA_BYTES = b"\xcc\x61" + b"Attribute VB_Name = \"Module1\"\r\nSub Hej()\r\nEnd Sub\r\n" * 20
CT_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def read_parts(path_or_bytes) -> dict[str, bytes]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def rewrite(path: Path, change) -> Path:
    """``change(parts)`` edits the dict of parts in place; the file is rewritten."""
    parts = read_parts(path)
    change(parts)
    path.write_bytes(write_parts(parts))
    return path


def make_xlsm(path: Path) -> Path:
    """Turn an .xlsx into a macro-enabled .xlsm with a (fake) VBA project; returns the new path."""
    out = path.with_suffix(".xlsm")

    def change(parts):
        parts["xl/vbaProject.bin"] = VBA_BYTES
        ct = parts["[Content_Types].xml"].decode()
        ct = ct.replace(CT_MAIN, CT_MACRO_MAIN)
        ct = ct.replace("<Default ", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                                     "<Default ", 1)
        parts["[Content_Types].xml"] = ct.encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        rels = rels.replace("</Relationships>", f'<Relationship Id="rIdVBA1" Type="{REL_VBA}" '
                                                'Target="vbaProject.bin"/></Relationships>')
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()

    shutil.copyfile(path, out)
    return rewrite(out, change)


def make_xlsb_like(path: Path) -> Path:
    """A package laid out like a binary workbook (xl/workbook.bin), saved as .xlsb."""
    out = path.with_suffix(".xlsb")
    parts = read_parts(path)
    parts["xl/workbook.bin"] = parts.pop("xl/workbook.xml")
    rels = parts["_rels/.rels"].decode().replace("xl/workbook.xml", "xl/workbook.bin")
    parts["_rels/.rels"] = rels.encode()
    out.write_bytes(write_parts(parts))
    return out


def crc_damaged(data: bytes, part: str) -> bytes:
    """Flip one byte inside a stored (uncompressed) part, so its CRC no longer matches."""
    parts = read_parts(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in parts.items():
            z.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_STORED)
    raw = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.getinfo(part)
    header = info.header_offset
    name_len = int.from_bytes(raw[header + 26:header + 28], "little")
    extra_len = int.from_bytes(raw[header + 28:header + 30], "little")
    start = header + 30 + name_len + extra_len
    raw[start + min(100, info.file_size - 1)] ^= 0x01
    return bytes(raw)


def encrypted(data: bytes, password: str = "hemmelig") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- cells
def sheet_part(parts: dict[str, bytes], sheet: str) -> str:
    wb = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    m = re.search(r'<sheet [^>]*name="' + re.escape(sheet) + r'"[^>]*r:id="([^"]+)"', wb)
    rid = m.group(1)
    target = re.search(r'<Relationship [^>]*Id="' + rid + r'"[^>]*Target="([^"]+)"', rels) or \
        re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="' + rid + '"', rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def set_cell(data: bytes, ref: str, xml: str) -> bytes:
    """Replace cell ``ref`` (whole ``<c …>…</c>`` or ``<c …/>``) in a worksheet's XML with ``xml``."""
    text = data.decode()
    pattern = re.compile(r'<c r="' + ref + r'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    if pattern.search(text):
        return pattern.sub(lambda m: xml, text, count=1).encode()
    col, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
    row_re = re.compile(r'(<row r="' + row + r'"[^>]*>)(.*?)(</row>)', re.S)
    m = row_re.search(text)
    if m is None:  # a new row, in order
        rows = [(int(r.group(1)), r.start()) for r in re.finditer(r'<row r="(\d+)"', text)]
        pos = next((p for r, p in rows if r > int(row)), text.index("</sheetData>"))
        return (text[:pos] + f'<row r="{row}">{xml}</row>' + text[pos:]).encode()
    cells = list(re.finditer(r'<c r="([A-Z]+)\d+"', m.group(2)))
    k = column_index_from_string(col)
    insert = next((c.start() for c in cells if column_index_from_string(c.group(1)) > k), len(m.group(2)))
    body = m.group(2)[:insert] + xml + m.group(2)[insert:]
    return (text[:m.start()] + m.group(1) + body + m.group(3) + text[m.end():]).encode()


def table_cell(path, table: str, column: str, row: int) -> tuple[str, str]:
    """(sheet, A1 reference) of a table cell: data row ``row`` (1 = the first below the header)."""
    from openpyxl.utils import range_boundaries

    parts = read_parts(path)
    for name, data in parts.items():
        if name.startswith("xl/tables/") and f'displayName="{table}"'.encode() in data:
            text = data.decode()
            ref = re.search(r'\bref="([^"]+)"', text).group(1)
            cols = re.findall(r'<tableColumn [^>]*name="([^"]+)"', text)
            min_col, min_row, _, _ = range_boundaries(ref)
            j = cols.index(column)
            for sheet_part_name, sd in parts.items():
                rel = sheet_part_name.replace("xl/worksheets/", "xl/worksheets/_rels/") + ".rels"
                if rel in parts and name.split("/")[-1].encode() in parts[rel]:
                    return sheet_part_name, f"{get_column_letter(min_col + j)}{min_row + row}"
    raise KeyError(table)


def put(path: Path, table: str, column: str, row: int, xml_for_ref) -> Path:
    """Rewrite one table cell with the XML ``xml_for_ref(ref)``."""
    part, ref = table_cell(path, table, column, row)
    return rewrite(path, lambda parts: parts.__setitem__(part, set_cell(parts[part], ref, xml_for_ref(ref))))


def name_cell(path, name: str) -> tuple[str, str]:
    """(worksheet part, A1 reference) of the cell a workbook-level defined name refers to."""
    parts = read_parts(path)
    wb = parts["xl/workbook.xml"].decode()
    m = re.search(r'<definedName name="' + re.escape(name) + r'"[^>]*>([^<]+)</definedName>', wb)
    sheet, ref = m.group(1).rsplit("!", 1)
    return sheet_part(parts, sheet.strip("'")), ref.replace("$", "")


def put_name(path: Path, name: str, xml_for_ref) -> Path:
    """Rewrite the cell a defined name refers to with ``xml_for_ref(ref)``."""
    part, ref = name_cell(path, name)
    return rewrite(path, lambda parts: parts.__setitem__(part, set_cell(parts[part], ref, xml_for_ref(ref))))


def add_style(parts: dict[str, bytes], num_fmt_id: int) -> int:
    """Append a cell format with a built-in number format (14 = date, 21 = time); returns its index."""
    styles = parts["xl/styles.xml"].decode()
    m = re.search(r'<cellXfs count="(\d+)">', styles)
    n = int(m.group(1))
    styles = styles.replace(m.group(0), f'<cellXfs count="{n + 1}">', 1)
    end = styles.index("</cellXfs>")
    styles = styles[:end] + f'<xf numFmtId="{num_fmt_id}" fontId="0" fillId="0" borderId="0" ' \
                            'applyNumberFormat="1"/>' + styles[end:]
    parts["xl/styles.xml"] = styles.encode()
    return n


def add_shared_string(parts: dict[str, bytes], text: str) -> int:
    """Add ``text`` to the shared strings (creating the part if needed); returns its index."""
    name = "xl/sharedStrings.xml"
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    if name not in parts:
        parts[name] = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="0" uniqueCount="0"></sst>'.encode()
        ct = parts["[Content_Types].xml"].decode().replace(
            "</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["[Content_Types].xml"] = ct.encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
            "</Relationships>", '<Relationship Id="rIdSST1" Type="http://schemas.openxmlformats.org/officeDocument/'
                                '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    sst = parts[name].decode()
    n = len(re.findall(r"<si>", sst))
    sst = sst.replace("</sst>", f"<si><t>{text}</t></si></sst>")
    parts[name] = sst.encode()
    return n


def rename_sheet(path: Path, old: str, new: str) -> Path:
    def change(parts):
        wb = parts["xl/workbook.xml"].decode()
        parts["xl/workbook.xml"] = wb.replace(f'name="{old}"', f'name="{new}"', 1).encode()

    return rewrite(path, change)


def table_names(path) -> list[str]:
    return [re.search(rb'displayName="([^"]+)"', d).group(1).decode() for n, d in read_parts(path).items()
            if n.startswith("xl/tables/")]


def append_rows_below(path: Path, table: str, rows: list[list]) -> list[int]:
    """Write ``rows`` (values) in the sheet rows right below ``table``, outside it; returns their row numbers."""
    from openpyxl.utils import range_boundaries

    parts = read_parts(path)
    tpart = next(n for n, d in parts.items() if n.startswith("xl/tables/") and
                 f'displayName="{table}"'.encode() in d)
    ref = re.search(rb'\bref="([^"]+)"', parts[tpart]).group(1).decode()
    min_col, _, _, max_row = range_boundaries(ref)
    part = next(n for n in parts if n.startswith("xl/worksheets/_rels/") and
                tpart.split("/")[-1].encode() in parts[n]).replace("_rels/", "").replace(".rels", "")
    data = parts[part]
    numbers = []
    for i, values in enumerate(rows, start=1):
        r = max_row + i
        numbers.append(r)
        for j, v in enumerate(values):
            ref_ = f"{get_column_letter(min_col + j)}{r}"
            xml = (f'<c r="{ref_}"><v>{v}</v></c>' if isinstance(v, (int, float)) else
                   f'<c r="{ref_}" t="inlineStr"><is><t>{v}</t></is></c>')
            data = set_cell(data, ref_, xml)
    parts[part] = data
    path.write_bytes(write_parts(parts))
    return numbers
