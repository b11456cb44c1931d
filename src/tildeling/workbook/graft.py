"""Replace whole sheets of an .xlsx package without touching the other sheets' parts.

Why: openpyxl needs ~35 s to load and as long to save a workbook with a
60,000-pupil sheet, and a load/save round trip may change what it does not
understand (the user's own formatting, extensions). Here the output sheets are
rendered into a small separate workbook by openpyxl and then *grafted* into the
user's package: every part of the other sheets (the input sheets) is copied
byte for byte. Per grafted sheet the style indices are remapped into the
target's ``styles.xml`` (deduplicated, so reruns do not grow it), table, drawing
and chart parts get fresh names and table ids, formula cells get their cached
values, and ``[Content_Types].xml``, ``workbook.xml`` and its rels are updated.
The result is written to a temporary file and moved into place.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

__all__ = ["graft_sheets", "read_package_names", "remove_sheets"]

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
}
M = "{%s}" % NS["m"]
R_ID = "{%s}id" % NS["r"]
REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT = {
    "table": "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
}


def _xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=False, huge_tree=True))


def _bytes(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rels_path(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _relative(base_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(base_part))


class _Package:
    """An .xlsx package held in memory as {part name: bytes}."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.order = z.namelist()
            self.parts = {n: z.read(n) for n in self.order}
        self.workbook_part = self._office_document()

    def _office_document(self) -> str:
        rels = _xml(self.parts["_rels/.rels"])
        for rel in rels.findall("pr:Relationship", NS):
            if rel.get("Type").endswith("/officeDocument"):
                return rel.get("Target").lstrip("/")
        raise ValueError("no workbook part")

    def rels(self, part: str):
        p = _rels_path(part)
        return _xml(self.parts[p]) if p in self.parts else None

    def sheets(self) -> dict[str, str]:
        """Sheet name → worksheet part."""
        wb = _xml(self.parts[self.workbook_part])
        rels = self.rels(self.workbook_part)
        targets = {r.get("Id"): _resolve(self.workbook_part, r.get("Target"))
                   for r in rels.findall("pr:Relationship", NS)}
        return {s.get("name"): targets[s.get(R_ID)] for s in wb.find("m:sheets", NS)}

    def related(self, part: str) -> list[str]:
        """Parts reachable from ``part`` through its rels (tables, drawings → charts …), depth first."""
        out = []
        rels = self.rels(part)
        if rels is None:
            return out
        for rel in rels.findall("pr:Relationship", NS):
            if rel.get("TargetMode") == "External":
                continue
            target = _resolve(part, rel.get("Target"))
            if target in self.parts and target not in out:
                out.append(target)
                out.extend(t for t in self.related(target) if t not in out)
        return out

    def drop(self, part: str) -> None:
        for p in (part, _rels_path(part)):
            self.parts.pop(p, None)

    def unique_name(self, template: str) -> str:
        """``xl/tables/table{}.xml`` → first free number."""
        k = 1
        while template.format(k) in self.parts:
            k += 1
        return template.format(k)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        names = [n for n in self.order if n in self.parts] + [n for n in self.parts if n not in self.order]
        # [Content_Types].xml first, as Office writes it
        names.sort(key=lambda n: n != "[Content_Types].xml")
        # level 1: several times faster than the default on a big pupil sheet, a few % larger
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for n in names:
                z.writestr(n, self.parts[n])
        return buf.getvalue()


# --------------------------------------------------------------------- styles
class _StyleMerger:
    """Appends the source package's cell formats to the target's styles.xml (deduplicated)."""

    LISTS = (("numFmts", "numFmt"), ("fonts", "font"), ("fills", "fill"), ("borders", "border"),
             ("cellXfs", "xf"))

    def __init__(self, target: _Package, source: _Package):
        self.target, self.source = target, source
        self.tpart = self._styles_part(target)
        self.troot = _xml(target.parts[self.tpart])
        self.sroot = _xml(source.parts[self._styles_part(source)])
        self.map: dict[int, int] = {}
        self._merge()
        target.parts[self.tpart] = _bytes(self.troot)

    @staticmethod
    def _styles_part(pkg: _Package) -> str:
        rels = pkg.rels(pkg.workbook_part)
        for r in rels.findall("pr:Relationship", NS):
            if r.get("Type").endswith("/styles"):
                return _resolve(pkg.workbook_part, r.get("Target"))
        raise ValueError("no styles part")

    def _list(self, root, name, create_before=None):
        el = root.find(f"m:{name}", NS)
        if el is None:
            el = etree.Element(M + name)
            el.set("count", "0")
            anchor = root.find(f"m:{create_before}", NS) if create_before else None
            if anchor is not None:
                anchor.addprevious(el)
            else:
                root.insert(0, el)
        return el

    @classmethod
    def _key(cls, el) -> tuple:
        """Namespace-agnostic identity of a style element (writers differ in namespacing)."""
        return (etree.QName(el).localname, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
                tuple(cls._key(ch) for ch in el if isinstance(ch.tag, str)))

    def _append(self, name, child, items_src) -> dict[int, int]:
        tl = self._list(self.troot, name, create_before="fonts" if name == "numFmts" else None)
        present = [e for e in tl if isinstance(e.tag, str) and etree.QName(e).localname == child]
        existing: dict[tuple, int] = {}
        for i, e in enumerate(present):
            existing.setdefault(self._key(e), i)  # the first of equal entries
        count = len(present)
        mapping = {}
        for i, el in enumerate(items_src):
            k = self._key(el)
            if k not in existing:
                tl.append(el)
                existing[k] = count
                count += 1
            mapping[i] = existing[k]
        tl.set("count", str(count))
        return mapping

    def _merge(self) -> None:
        import copy

        s = self.sroot
        # custom number formats: reuse an equal format code, else a fresh id ≥ 164
        tnum = self._list(self.troot, "numFmts", create_before="fonts")
        codes = {e.get("formatCode"): int(e.get("numFmtId")) for e in tnum.findall("m:numFmt", NS)}
        next_id = max([163] + list(codes.values())) + 1
        numfmt_map = {}
        snum = s.find("m:numFmts", NS)
        for e in ([] if snum is None else snum.findall("m:numFmt", NS)):
            code = e.get("formatCode")
            if code not in codes:
                ne = etree.SubElement(tnum, M + "numFmt")
                ne.set("numFmtId", str(next_id))
                ne.set("formatCode", code)
                codes[code] = next_id
                next_id += 1
            numfmt_map[int(e.get("numFmtId"))] = codes[code]
        tnum.set("count", str(len(tnum.findall("m:numFmt", NS))))
        maps = {}
        for lst, child in (("fonts", "font"), ("fills", "fill"), ("borders", "border")):
            src = s.find(f"m:{lst}", NS)
            items = [copy.deepcopy(e) for e in ([] if src is None else src.findall(f"m:{child}", NS))]
            maps[child] = self._append(lst, child, items)
        src_xfs = s.find("m:cellXfs", NS)
        xfs = []
        for e in ([] if src_xfs is None else src_xfs.findall("m:xf", NS)):
            e = copy.deepcopy(e)
            for attr, key in (("fontId", "font"), ("fillId", "fill"), ("borderId", "border")):
                if e.get(attr) is not None:
                    e.set(attr, str(maps[key].get(int(e.get(attr)), 0)))
            nf = int(e.get("numFmtId", "0"))
            if nf >= 164:
                e.set("numFmtId", str(numfmt_map.get(nf, 0)))
            e.set("xfId", "0")
            xfs.append(e)
        self.map = self._append("cellXfs", "xf", xfs)


# ------------------------------------------------------------------ the graft
def _fix_sheet_xml(data: bytes, style_map: dict[int, int], cached: dict[str, object]) -> bytes:
    root = _xml(data)
    for row in root.iter(M + "row"):
        if row.get("s") is not None:
            row.set("s", str(style_map.get(int(row.get("s")), 0)))
    for col in root.iter(M + "col"):
        if col.get("style") is not None:
            col.set("style", str(style_map.get(int(col.get("style")), 0)))
    styles = {str(k): str(v) for k, v in style_map.items()}
    for c in root.iter(M + "c"):
        s = c.get("s")
        if s is not None:
            c.set("s", styles.get(s, "0"))
    for f in list(root.iter(M + "f")):
        c = f.getparent()
        if c is None or c.tag != M + "c":
            continue
        v = c.find("m:v", NS)
        if v is None:
            v = etree.SubElement(c, M + "v")
        value = cached.get(c.get("r"))
        if value is None:
            c.remove(v)
        elif isinstance(value, bool):
            c.set("t", "b")
            v.text = "1" if value else "0"
        elif isinstance(value, (int, float)):
            c.attrib.pop("t", None)
            v.text = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            c.set("t", "str")
            v.text = str(value)
    return _bytes(root)


def read_package_names(data: bytes) -> dict[str, str]:
    """Sheet name → worksheet part of a package (for tests and diagnostics)."""
    return _Package(data).sheets()


def _content_types(pkg: _Package):
    return _xml(pkg.parts["[Content_Types].xml"])


def _set_override(ct_root, part: str, content_type: str | None) -> None:
    name = "/" + part
    for o in ct_root.findall("ct:Override", NS):
        if o.get("PartName") == name:
            ct_root.remove(o)
    if content_type:
        o = etree.SubElement(ct_root, "{%s}Override" % NS["ct"])
        o.set("PartName", name)
        o.set("ContentType", content_type)


_DISPLAY_NAME = re.compile(rb'(<(?:[A-Za-z_][\w.-]*:)?table\b[^>]*?\sdisplayName=")([^"]+)(")')
_NAME_ATTR = re.compile(rb'(<(?:[A-Za-z_][\w.-]*:)?table\b[^>]*?\sname=")([^"]+)(")')
_FORMULA = re.compile(rb"(<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*>)(.*?)(</(?:[A-Za-z_][\w.-]*:)?f>)", re.S)


def _table_names(pkg: _Package, sheet_parts) -> dict[str, tuple[str, str]]:
    """Lower-case table name → (table part, sheet part) for the tables of ``sheet_parts``."""
    out = {}
    for sheet_part in sheet_parts:
        for t in pkg.related(sheet_part):
            if "/tables/" in t:
                m = _DISPLAY_NAME.search(pkg.parts[t])
                if m:
                    out[m.group(2).decode("utf-8").lower()] = (t, sheet_part)
    return out


def _free_table_names(tgt: _Package, src: _Package, names: list[str], notes: list | None) -> None:
    """Rename tables of kept sheets whose names the grafted sheets need (see :func:`graft_sheets`)."""
    tsheets, ssheets = tgt.sheets(), src.sheets()
    kept = {part: sheet for sheet, part in tsheets.items() if sheet not in names}
    existing = _table_names(tgt, kept)
    incoming = _table_names(src, [ssheets[n] for n in names if n in ssheets])
    clashes = sorted(set(existing) & set(incoming))
    if not clashes:
        return
    wb = _xml(tgt.parts[tgt.workbook_part])
    dn = wb.find("m:definedNames", NS)
    taken = set(existing) | set(incoming) | {d.get("name", "").lower() for d in ([] if dn is None else dn)
                                             if isinstance(d.tag, str)}
    for key in clashes:
        table_part, sheet_part = existing[key]
        old = _DISPLAY_NAME.search(tgt.parts[table_part]).group(2).decode("utf-8")
        k = 2
        while f"{old}_{k}".lower() in taken:
            k += 1
        new = f"{old}_{k}"
        taken.add(new.lower())
        data = _DISPLAY_NAME.sub(lambda m: m.group(1) + new.encode() + m.group(3), tgt.parts[table_part], count=1)
        data = _NAME_ATTR.sub(lambda m: m.group(1) + new.encode() + m.group(3) if m.group(2).decode("utf-8")
                              .lower() == key else m.group(0), data, count=1)
        tgt.parts[table_part] = data
        ref = re.compile(rb"(?<![\w.])" + re.escape(old.encode()) + rb"(?=\[)", re.I)
        tgt.parts[sheet_part] = _FORMULA.sub(lambda m: m.group(1) + ref.sub(new.encode(), m.group(2)) + m.group(3),
                                             tgt.parts[sheet_part])
        if notes is not None:
            notes.append(f"Arket '{kept[sheet_part]}' havde tabellen {old}, som den nye kørsel skal bruge på arket "
                         f"med resultatet (arket er måske et omdøbt resultatark). Tabellen er omdøbt til {new}; "
                         "arkets egne formler følger med.")


def _max_table_id(pkg: _Package, exclude=()) -> int:
    """Largest table id in use, not counting the tables of the sheet parts in ``exclude``."""
    skip = set()
    for part in exclude:
        skip.update(pkg.related(part))
    ids = [0]
    for name, data in pkg.parts.items():
        if name.startswith("xl/tables/") and name.endswith(".xml") and name not in skip:
            m = re.search(rb'<table[^>]*\sid="(\d+)"', data)
            if m:
                ids.append(int(m.group(1)))
    return max(ids)


def _sheet_index(pkg: _Package) -> list[str]:
    wb = _xml(pkg.parts[pkg.workbook_part])
    return [s.get("name") for s in wb.find("m:sheets", NS)]


def remove_sheets(data: bytes, names) -> bytes:
    """Remove whole sheets (and their tables/drawings) from a package."""
    pkg = _Package(data)
    _remove(pkg, set(names))
    return pkg.to_bytes()


def _remove(pkg: _Package, names: set[str]) -> None:
    sheets = pkg.sheets()
    order = _sheet_index(pkg)
    names = {n for n in names if n in sheets}
    if not names:
        return
    wb = _xml(pkg.parts[pkg.workbook_part])
    rels = pkg.rels(pkg.workbook_part)
    ct = _content_types(pkg)
    keep_parts = set()
    for n, part in sheets.items():
        if n not in names:
            keep_parts.add(part)
            keep_parts.update(pkg.related(part))
    for n in names:
        part = sheets[n]
        for p in [part] + pkg.related(part):
            if p in keep_parts:
                continue
            pkg.drop(p)
            _set_override(ct, p, None)
        for s in list(wb.find("m:sheets", NS)):
            if s.get("name") == n:
                rid = s.get(R_ID)
                wb.find("m:sheets", NS).remove(s)
                for r in rels.findall("pr:Relationship", NS):
                    if r.get("Id") == rid:
                        rels.remove(r)
    # sheet-local defined names refer to positions: renumber, drop the removed sheets'
    new_pos = {old: new for new, old in enumerate(i for i, n in enumerate(order) if n not in names)}
    dn = wb.find("m:definedNames", NS)
    if dn is not None:
        for d in list(dn):
            lid = d.get("localSheetId")
            if lid is not None:
                if int(lid) not in new_pos:
                    dn.remove(d)
                else:
                    d.set("localSheetId", str(new_pos[int(lid)]))
        quoted = [re.escape(n) for n in names]
        for d in list(dn):
            if d.text and any(re.search(rf"(^|[^A-Za-z0-9_])'?{q}'?!", d.text) for q in quoted):
                dn.remove(d)
    views = wb.find("m:bookViews", NS)
    if views is not None:
        for v in views:
            v.set("activeTab", "0")
            v.set("firstSheet", "0")
    pkg.parts[pkg.workbook_part] = _bytes(wb)
    pkg.parts[_rels_path(pkg.workbook_part)] = _bytes(rels)
    pkg.parts["[Content_Types].xml"] = _bytes(ct)


def _retarget(rels, old_part: str, new_part: str, renames: dict[str, str]) -> bytes | None:
    """Rels of a part moved from ``old_part`` to ``new_part``, pointing at the renamed targets."""
    if rels is None:
        return None
    for r in rels.findall("pr:Relationship", NS):
        t = _resolve(old_part, r.get("Target"))
        if t in renames:
            r.set("Target", _relative(new_part, renames[t]))
    return _bytes(rels)


def graft_sheets(target: bytes, source: bytes, names, cached: dict | None = None,
                 remove=(), *, defined_names: dict[str, str] | None = None, active: str | None = None,
                 keep_order: bool = False, notes: list | None = None) -> bytes:
    """Put the sheets ``names`` of package ``source`` into package ``target``.

    A sheet of the same name in ``target`` is replaced in place (same position,
    same sheet id); a new one is appended. Sheets named in ``remove`` are
    removed. Every other part of ``target`` is kept byte for byte (except the
    one attribute ``active`` needs, see below).

    Parameters
    ----------
    cached : dict, optional
        (sheet, cell) → the value of a formula cell.
    defined_names : dict of str to str, optional
        Workbook-level defined names to add, or to give a new formula (name →
        formula without ``=``), e.g. the list names data validations refer to.
        Other defined names are kept as they are.
    active : str, optional
        The sheet the workbook opens on. The other sheets lose their
        ``tabSelected`` flag (otherwise Excel would open with the sheets
        grouped): that attribute is the only change to a non-grafted part.
    keep_order : bool, default=False
        Place a new sheet right after the sheet before it in ``names`` (the
        first one before the next sheet of ``names`` that exists), instead of
        at the end, so the result sheets stay together in ``names`` order.

    notes : list, optional
        Danish sentences about what was done besides grafting are appended here (a table of a kept sheet
        renamed because a grafted table needs its name).

    A grafted sheet that is hidden in ``source`` is hidden in the result.

    Table names are unique in a workbook. A sheet that is *not* replaced may hold a table with the name of
    a grafted table – a result sheet the user renamed to keep it ("Fordeling" → "Fordeling 2024") before
    rerunning. That table is renamed (``tblFordeling_2``), and the structured references inside its own
    sheet follow it, so the kept sheet still shows its own numbers and the new sheet gets the contract name.
    """
    cached = cached or {}
    tgt, src = _Package(target), _Package(source)
    _remove(tgt, set(remove) - set(names))
    _free_table_names(tgt, src, list(names), notes)
    style_map = _StyleMerger(tgt, src).map
    tsheets, ssheets = tgt.sheets(), src.sheets()
    wb = _xml(tgt.parts[tgt.workbook_part])
    hidden = {s.get("name"): s.get("state") for s in _xml(src.parts[src.workbook_part]).find("m:sheets", NS)
              if s.get("state") in ("hidden", "veryHidden")}
    wrels = tgt.rels(tgt.workbook_part)
    ct = _content_types(tgt)
    next_table_id = _max_table_id(tgt, exclude=[tsheets[n] for n in names if n in tsheets]) + 1
    for name in names:
        spart = ssheets[name]
        if name in tsheets:
            tpart = tsheets[name]
            others = set()
            for n, p in tsheets.items():
                if n != name:
                    others.update(tgt.related(p))
            for p in tgt.related(tpart):
                if p not in others:
                    tgt.drop(p)
                    _set_override(ct, p, None)
        else:
            tpart = tgt.unique_name("xl/worksheets/sheet{}.xml")
            ids = [int(s.get("sheetId")) for s in wb.find("m:sheets", NS)]
            rid_nums = [int(re.sub(r"\D", "", r.get("Id")) or 0) for r in wrels.findall("pr:Relationship", NS)]
            rid = f"rId{max(rid_nums + [0]) + 1}"
            rel = etree.SubElement(wrels, "{%s}Relationship" % NS["pr"])
            rel.set("Id", rid)
            rel.set("Type", REL_SHEET)
            rel.set("Target", _relative(tgt.workbook_part, tpart))
            s = etree.SubElement(wb.find("m:sheets", NS), M + "sheet")
            s.set("name", name)
            s.set("sheetId", str(max(ids + [0]) + 1))
            s.set(R_ID, rid)
            _set_override(ct, tpart, CT_SHEET)
        # copy the related parts under fresh names
        renames = {}
        for p in src.related(spart):
            kind = "table" if "/tables/" in p else "drawing" if "/drawings/" in p else \
                "chart" if "/charts/" in p else None
            if kind is None:
                continue
            folder = posixpath.dirname(p)
            new = tgt.unique_name(posixpath.join(folder, f"{kind}{{}}.xml"))
            tgt.parts[new] = b""  # reserve the name
            renames[p] = new
        for old, new in renames.items():
            data = src.parts[old]
            if "/tables/" in old:
                data = re.sub(rb'(<table[^>]*\sid=")(\d+)(")', lambda m: m.group(1) + str(next_table_id).encode()
                              + m.group(3), data, count=1)
                next_table_id += 1
            tgt.parts[new] = data
            kind = "table" if "/tables/" in old else "drawing" if "/drawings/" in old else "chart"
            _set_override(ct, new, CT[kind])
            srels = _retarget(src.rels(old), old, new, renames)
            if srels is not None:
                tgt.parts[_rels_path(new)] = srels
        sheet_cached = {cell: v for (sh, cell), v in cached.items() if sh == name}
        tgt.parts[tpart] = _fix_sheet_xml(src.parts[spart], style_map, sheet_cached)
        srels = _retarget(src.rels(spart), spart, tpart, renames)
        if srels is not None:
            tgt.parts[_rels_path(tpart)] = srels
        else:
            tgt.parts.pop(_rels_path(tpart), None)
    for s in wb.find("m:sheets", NS):
        if s.get("name") in names and s.get("name") in hidden:
            s.set("state", hidden[s.get("name")])
    if keep_order:
        _place_new_sheets(wb, list(names), {n for n in names if n not in tsheets})
    _carry_print_names(wb, _xml(src.parts[src.workbook_part]), list(names))
    if defined_names:
        _set_defined_names(wb, defined_names)
    if active is not None:
        _activate(tgt, wb, wrels, active)
    # recalculate formulas when the file is opened
    calc = wb.find("m:calcPr", NS)
    if calc is None:
        calc = _child_in_order(wb, "calcPr")
    calc.set("fullCalcOnLoad", "1")
    _ensure_default(ct, "xml", "application/xml")
    tgt.parts[tgt.workbook_part] = _bytes(wb)
    tgt.parts[_rels_path(tgt.workbook_part)] = _bytes(wrels)
    tgt.parts["[Content_Types].xml"] = _bytes(ct)
    return tgt.to_bytes()


def _ensure_default(ct_root, ext: str, content_type: str) -> None:
    for d in ct_root.findall("ct:Default", NS):
        if d.get("Extension") == ext:
            return
    d = etree.Element("{%s}Default" % NS["ct"])
    d.set("Extension", ext)
    d.set("ContentType", content_type)
    ct_root.insert(0, d)


# Order of the children of <workbook> (CT_Workbook), for inserting a missing one in the right place.
_WORKBOOK_CHILDREN = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                      "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                      "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                      "fileRecoveryPr", "webPublishObjects", "extLst")


def _child_in_order(wb, name: str):
    """Create the child ``name`` of <workbook> after the children the schema puts before it."""
    before = set(_WORKBOOK_CHILDREN[:_WORKBOOK_CHILDREN.index(name)])
    el = etree.Element(M + name)
    last = None
    for child in wb:
        if isinstance(child.tag, str) and etree.QName(child).localname in before:
            last = child
    if last is None:
        wb.insert(0, el)
    else:
        last.addnext(el)
    return el


def _set_defined_names(wb, names: dict[str, str]) -> None:
    """Add or update workbook-level defined names; names already equal are left as they are."""
    dn = wb.find("m:definedNames", NS)
    if dn is None:
        dn = _child_in_order(wb, "definedNames")
    existing = {d.get("name").lower(): d for d in dn if isinstance(d.tag, str) and d.get("localSheetId") is None}
    for name, text in names.items():
        text = text[1:] if text.startswith("=") else text
        d = existing.get(name.lower())
        if d is None:
            d = etree.SubElement(dn, M + "definedName")
            d.set("name", name)
        if d.text != text:
            d.text = text


#: Sheet-local defined names that belong to a sheet's print setup and travel with a grafted sheet.
PRINT_NAMES = ("_xlnm.Print_Area", "_xlnm.Print_Titles")


def _carry_print_names(wb, src_wb, names: list[str]) -> None:
    """Give each grafted sheet the print area and print titles it has in the source package.

    They are sheet-local defined names (``localSheetId`` = the sheet's position), so they are renumbered to
    the sheet's position in the target; a replaced sheet's old print names are dropped.
    """
    src_order = [s.get("name") for s in src_wb.find("m:sheets", NS)]
    order = [s.get("name") for s in wb.find("m:sheets", NS)]
    grafted = {order.index(n) for n in names if n in order}
    dn = wb.find("m:definedNames", NS)
    if dn is not None:
        for d in list(dn):
            if (isinstance(d.tag, str) and d.get("name") in PRINT_NAMES and d.get("localSheetId") is not None
                    and int(d.get("localSheetId")) in grafted):
                dn.remove(d)
    sdn = src_wb.find("m:definedNames", NS)
    carried = []
    for d in ([] if sdn is None else sdn):
        lid = d.get("localSheetId") if isinstance(d.tag, str) else None
        if lid is None or d.get("name") not in PRINT_NAMES or int(lid) >= len(src_order):
            continue
        sheet = src_order[int(lid)]
        if sheet in names and sheet in order:
            carried.append((d.get("name"), order.index(sheet), d.text))
    if not carried:
        if dn is not None and len(dn) == 0:
            wb.remove(dn)
        return
    if dn is None:
        dn = _child_in_order(wb, "definedNames")
    for name, position, text in carried:
        el = etree.SubElement(dn, M + "definedName")
        el.set("name", name)
        el.set("localSheetId", str(position))
        el.text = text


def _place_new_sheets(wb, names: list[str], new: set[str]) -> None:
    """Move the new sheets (appended at the end) next to their neighbours in ``names``.

    Sheet positions are referred to by ``localSheetId`` of defined names and by
    the book views; both are renumbered.
    """
    sheets_el = wb.find("m:sheets", NS)
    els = {s.get("name"): s for s in sheets_el}
    old = [s.get("name") for s in sheets_el]
    order = [n for n in old if n not in new]
    for i, n in enumerate(names):
        if n not in new or n not in els:
            continue
        prev = names[i - 1] if i else None
        if prev is not None and prev in order:
            order.insert(order.index(prev) + 1, n)
        else:
            following = next((m for m in names[i + 1:] if m in order), None)
            order.insert(order.index(following) if following else len(order), n)
    if order == old:
        return
    for s in list(sheets_el):
        sheets_el.remove(s)
    for n in order:
        sheets_el.append(els[n])
    position = {old.index(n): order.index(n) for n in old}
    dn = wb.find("m:definedNames", NS)
    for d in ([] if dn is None else dn):
        if isinstance(d.tag, str) and d.get("localSheetId") is not None:
            d.set("localSheetId", str(position.get(int(d.get("localSheetId")), int(d.get("localSheetId")))))
    views = wb.find("m:bookViews", NS)
    for v in ([] if views is None else views):
        for attr in ("activeTab", "firstSheet"):
            if v.get(attr) is not None and int(v.get(attr)) in position:
                v.set(attr, str(position[int(v.get(attr))]))


_SHEET_VIEW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetView(?=[\s/>])[^>]*>")
_TAB_SELECTED = re.compile(rb"""\stabSelected=["'](?:1|true)["']""")


def _activate(pkg: _Package, wb, wrels, active: str) -> None:
    """Open on sheet ``active``: book views point at it, and it is the only selected tab."""
    order = [s.get("name") for s in wb.find("m:sheets", NS)]
    if active not in order:
        return
    index = order.index(active)
    views = wb.find("m:bookViews", NS)
    for v in ([] if views is None else views):
        v.set("activeTab", str(index))
        if int(v.get("firstSheet", "0")) > index:
            v.set("firstSheet", str(index))
    targets = {r.get("Id"): _resolve(pkg.workbook_part, r.get("Target")) for r in wrels.findall("pr:Relationship", NS)}
    for s in wb.find("m:sheets", NS):
        part = targets.get(s.get(R_ID))
        data = pkg.parts.get(part)
        if data is None:
            continue
        m = _SHEET_VIEW.search(data)
        if m is None:
            continue
        tag = m.group(0)
        selected = _TAB_SELECTED.search(tag) is not None
        if s.get("name") == active and not selected:
            new = tag[:-2] + b' tabSelected="1"/>' if tag.endswith(b"/>") else tag[:-1] + b' tabSelected="1">'
        elif s.get("name") != active and selected:
            new = _TAB_SELECTED.sub(b"", tag)
        else:
            continue
        pkg.parts[part] = data[:m.start()] + new + data[m.end():]
