"""Build ``tildeling.xlam`` from the text sources in ``addin/``.

The add-in starts as xlwings' own ribbon add-in template,
``quickstart_addin_ribbon.xlam`` from the installed xlwings package, so the
add-in's ``xlwings`` VBA module always matches the Python package's version
(the VBA declares the xlwings DLL of its own version). Then:

1. The VBA project is edited with ``pyopenvba`` (never by hand): the template's
   ribbon module ``RibbonMyAddin`` goes, our modules from ``addin/vba/*.bas``
   come in, and the ``xlwings`` module's ``PROJECT_NAME`` becomes
   ``"tildeling"``. pyopenvba's own validation must pass.
2. The package's XML parts are rewritten: the ribbon (``customUI/customUI14.xml``
   from ``addin/customUI14.xml`` replaces the template's ``customUI.xml``), the
   configuration sheet (renamed from the disabled ``_myaddin.conf`` to the
   enabled ``tildeling.conf``, with the values of ``addin/tildeling.conf``) and
   the document properties (title, description, versions).
3. The zip is written with a fixed order and fixed timestamps, so that the same
   sources and the same xlwings give the same bytes.

Only keys that have a value are written to the configuration sheet: xlwings
reads every key listed there, an empty one included, before it looks at the
user's ``%USERPROFILE%\\.tildeling\\tildeling.conf``. The interpreter is
therefore not in the sheet unless ``interpreter=`` is given; ``tildeling addin
install`` writes it to the user's file instead.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import sysconfig
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from .. import __version__
from ..errors import TildelingError
from . import ribbon

__all__ = [
    "ADDIN_FILENAME",
    "PROJECT_NAME",
    "CONFIG_SHEET",
    "CUSTOMUI_PART",
    "AddinSources",
    "find_sources",
    "template_path",
    "xlwings_module_source",
    "expected_modules",
    "VBA_PROJECT_NAME",
    "vba_project_name",
    "build_addin",
    "read_build_info",
]

ADDIN_FILENAME = "tildeling.xlam"
#: xlwings' ``PROJECT_NAME``: config sheet ``tildeling.conf``, user config
#: ``%USERPROFILE%\.tildeling\tildeling.conf``.
PROJECT_NAME = "tildeling"
CONFIG_SHEET = f"{PROJECT_NAME}.conf"
#: The VBA project's name (VBE, Tools > References; Excel's macro list "TildelingAddin!…"). Not "Tildeling":
#: VBA refuses a project named like one of its modules, and the ribbon calls "Tildeling.RunMacro".
VBA_PROJECT_NAME = "TildelingAddin"
CUSTOMUI_PART = "customUI/customUI14.xml"
#: Relationship type for a 2009/07 (customUI14) ribbon.
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
_TEMPLATE_CUSTOMUI = "customUI/customUI.xml"
_TEMPLATE_CONF_SHEET = "_myaddin.conf"
_TEMPLATE_PROJECT_LINE = 'Public Const PROJECT_NAME As String = "myaddin"'
_TEMPLATE_RIBBON_MODULES = ("RibbonMyAddin",)
_SHEET_PART = "xl/worksheets/sheet1.xml"
_VBA_PART = "xl/vbaProject.bin"
_STRINGS_PART = "xl/sharedStrings.xml"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

_INSTALL_HINT = 'Installér det med: pip install "tildeling[addin]"'


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AddinSources:
    """The text sources of the add-in (the ``addin/`` folder)."""

    root: Path

    @property
    def customui(self) -> Path:
        return self.root / "customUI14.xml"

    @property
    def vba_dir(self) -> Path:
        return self.root / "vba"

    @property
    def config(self) -> Path:
        return self.root / "tildeling.conf"

    def modules(self) -> dict[str, str]:
        """VBA module name -> source (LF line endings), from ``vba/*.bas``."""
        found = {}
        for path in sorted(self.vba_dir.glob("*.bas")):
            text = _lf(path.read_text(encoding="utf-8"))
            m = re.match(r'Attribute VB_Name = "([^"]+)"', text)
            if not m or m.group(1) != path.stem:
                raise TildelingError(
                    f"VBA-filen {path} skal begynde med linjen "
                    f'Attribute VB_Name = "{path.stem}" (samme navn som filen).'
                )
            found[path.stem] = text
        if not found:
            raise TildelingError(f"Mappen {self.vba_dir} indeholder ingen VBA-moduler (*.bas).")
        return found

    def config_items(self) -> list[tuple[str, str]]:
        """Key/value pairs of ``tildeling.conf`` (xlwings' ``"KEY","value"`` format)."""
        items = []
        text = self.config.read_text(encoding="utf-8")
        for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 2 or not row[0].strip():
                raise TildelingError(
                    f'{self.config}, linje {lineno}: skriv "NØGLE","værdi" – fandt {row!r}.'
                )
            items.append((row[0].strip(), row[1].strip()))
        return items


def _default_root(repo: Path | None = None, prefixes=None) -> Path:
    """The repository's ``addin/`` (a checkout or an editable install), else the copy a wheel installs.

    A wheel carries the sources as data files in ``<prefix>/share/tildeling/addin`` (see
    ``[tool.setuptools.data-files]`` in pyproject.toml).
    """
    if repo is None:
        repo = Path(__file__).resolve().parents[3] / "addin"  # src/tildeling/addin/build.py -> repository
    if (repo / "customUI14.xml").exists():
        return repo
    if prefixes is None:
        prefixes = (sys.prefix, sys.base_prefix, sysconfig.get_path("data"))
    for prefix in prefixes:
        installed = Path(prefix) / "share" / "tildeling" / "addin"
        if (installed / "customUI14.xml").exists():
            return installed
    return repo


def find_sources(root: str | os.PathLike | None = None) -> AddinSources:
    """The ``addin/`` sources: ``root``, ``$TILDELING_ADDIN_SRC``, the repository's or the installed copy."""
    path = Path(root or os.environ.get("TILDELING_ADDIN_SRC") or _default_root())
    sources = AddinSources(path)
    missing = [p for p in (sources.customui, sources.vba_dir, sources.config) if not p.exists()]
    if missing:
        raise TildelingError(
            f"Kilderne til tilføjelsesprogrammet blev ikke fundet i {path} "
            f"(mangler {', '.join(p.name for p in missing)}). Kør kommandoen fra en kopi af "
            "tildeling-projektet, angiv mappen med --src, eller installér en færdig "
            "tildeling.xlam med: tildeling addin install --xlam STI"
        )
    return sources


def template_path() -> Path:
    """xlwings' ribbon add-in template in the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / TEMPLATE_NAME
    if not path.exists():
        raise TildelingError(
            f"xlwings {xlwings.__version__} har ikke skabelonen {TEMPLATE_NAME}. "
            "Opdatér xlwings: pip install -U xlwings"
        )
    return path


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _crlf(text: str) -> str:
    return _lf(text).replace("\n", "\r\n")


def _excel_file():
    try:
        from pyopenvba import ExcelFile
    except ModuleNotFoundError as exc:  # optional dependency
        raise TildelingError(
            f"Byggeriet af tilføjelsesprogrammet kræver pakken pyopenvba. {_INSTALL_HINT}"
        ) from exc
    return ExcelFile


def xlwings_module_source(template: Path | None = None) -> str:
    """The template's ``xlwings`` VBA module with ``PROJECT_NAME = "tildeling"``."""
    ExcelFile = _excel_file()
    with ExcelFile(template or template_path()) as wb:
        source = wb.get_module("xlwings")
    if source.count(_TEMPLATE_PROJECT_LINE) != 1:
        raise TildelingError(
            "xlwings-skabelonens VBA-modul har ikke linjen "
            f"{_TEMPLATE_PROJECT_LINE!r} præcis én gang; denne xlwings-version understøttes ikke "
            "af byggeriet. Ret tildeling/addin/build.py."
        )
    return source.replace(_TEMPLATE_PROJECT_LINE,
                          f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"')


def expected_modules(sources: AddinSources | None = None) -> dict[str, str]:
    """The modules the built add-in must contain (ours and the patched ``xlwings``), LF endings."""
    sources = sources or find_sources()
    return {**sources.modules(), "xlwings": _lf(xlwings_module_source())}


# ---------------------------------------------------------------------------
# Package parts
# ---------------------------------------------------------------------------

def _replace_once(text: str, old: str, new: str, part: str) -> str:
    if text.count(old) != 1:
        raise TildelingError(
            f"xlwings-skabelonens del {part} har ikke {old!r} præcis én gang; denne "
            "xlwings-version understøttes ikke af byggeriet. Ret tildeling/addin/build.py."
        )
    return text.replace(old, new)


def _config_parts(items: list[tuple[str, str]], sheet_template: str) -> tuple[bytes, bytes]:
    """Worksheet and shared strings for the config sheet: keys in A, values in B."""
    m = re.search(r"<sheetPr\b[^>]*/>", sheet_template)
    sheet_pr = m.group(0) if m else ""  # keeps the code name of the sheet's VBA module
    strings: list[str] = []

    def sst(value: str) -> int:
        if value not in strings:
            strings.append(value)
        return strings.index(value)

    rows = []
    for r, (key, value) in enumerate(items, start=1):
        cells = [f'<c r="A{r}" t="s"><v>{sst(key)}</v></c>']
        if value.lower() in {"true", "false"}:
            cells.append(f'<c r="B{r}" t="b"><v>{int(value.lower() == "true")}</v></c>')
        elif value:
            cells.append(f'<c r="B{r}" t="s"><v>{sst(value)}</v></c>')
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    last = max(len(items), 1)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{main}" xmlns:r="{rel}">{sheet_pr}'
        f'<dimension ref="A1:B{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        '<cols><col min="1" max="1" width="20" customWidth="1"/>'
        '<col min="2" max="2" width="60" customWidth="1"/></cols>'
        f'<sheetData>{"".join(rows)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '</worksheet>'
    )
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    return sheet.encode("utf-8"), shared.encode("utf-8")


def _core_properties(xlwings_version: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties'
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:title>Tildeling</dc:title>'
        '<dc:subject>Behovsmodel, fordelingsnøgle og fraværsanalyse for skoler</dc:subject>'
        '<dc:creator>tildeling</dc:creator>'
        f'<cp:keywords>tildeling={escape(__version__)}; xlwings={escape(xlwings_version)}</cp:keywords>'
        '<dc:description>Fanen Tildeling i båndet: behovsmodel, fordeling, benchmarks og '
        f'fraværsanalyse. Bygget af tildeling {escape(__version__)} med xlwings '
        f'{escape(xlwings_version)}.</dc:description>'
        '</cp:coreProperties>'
    ).encode("utf-8")


def read_build_info(xlam: str | os.PathLike) -> dict[str, str]:
    """``{"tildeling": ..., "xlwings": ...}`` from a built add-in's properties (empty if absent)."""
    try:
        with zipfile.ZipFile(xlam) as z:
            core = z.read("docProps/core.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    m = re.search(r"<cp:keywords>([^<]*)</cp:keywords>", core)
    if not m:
        return {}
    pairs = (item.strip().partition("=") for item in m.group(1).split(";"))
    return {k: v for k, _, v in pairs if k and v}


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------

def _edit_vba(path: Path, modules: dict[str, str], xlwings_source: str) -> None:
    ExcelFile = _excel_file()
    with ExcelFile(path) as wb:
        project = wb.vba_project()
        existing = {name.casefold(): name for name in project.module_names()}
        for name in _TEMPLATE_RIBBON_MODULES:
            if name.casefold() in existing:
                project.delete_module(existing.pop(name.casefold()))
        for name, source in modules.items():
            if name.casefold() in existing:
                raise TildelingError(
                    f"VBA-modulet {name!r} findes allerede i xlwings-skabelonen; giv "
                    f"addin/vba/{name}.bas et andet navn."
                )
            project.add_module(name, _crlf(source))
        wb.set_module("xlwings", xlwings_source)
        wb.save()
    with ExcelFile(path) as wb:
        problems = wb.validate()
        names = set(wb.module_names())
    missing = (set(modules) | {"xlwings"}) - names
    if problems or missing:
        raise TildelingError(
            "VBA-projektet i tilføjelsesprogrammet er ikke gyldigt efter byggeriet: "
            + "; ".join(problems + [f"modulet {m!r} mangler" for m in sorted(missing)])
        )


def _rename_vba_project(path: Path, name: str) -> None:
    """Give the VBA project of the ``.xlam`` at ``path`` the name ``name`` (the template's is ``MyAddin``).

    [MS-OVBA] keeps the name twice: the PROJECTNAME record of the compressed ``VBA/dir`` stream and the
    ``Name=`` line of the ``PROJECT`` stream; both are rewritten, with pyopenvba's own MS-OVBA record,
    compression and code-page helpers (pyopenvba 6.5 has no public call for this; the build checks the
    result with pyopenvba, and the tests with olevba and LibreOffice). The ``_VBA_PROJECT`` performance
    cache is invalidated, so VBA compiles the project from its source on first open, as after any
    module edit.
    """
    from pyopenvba.access._vba import PROJECTNAME, encoding_of, replace_record
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress, encode_mbcs, invalidate_vba_project_cache

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", name):
        raise TildelingError(f"{name!r} kan ikke være navnet på et VBA-projekt.")
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        parts = {info.filename: z.read(info) for info in infos}
    cfb = CFB.from_bytes(parts[_VBA_PART])
    dir_stream = decompress(cfb.get_stream_in_storage("VBA", "dir"))
    encoding = encoding_of(dir_stream)
    cfb.write_stream_in_storage("VBA", "dir",
                                compress(replace_record(dir_stream, PROJECTNAME, encode_mbcs(name, encoding))))
    text = cfb.get_stream("PROJECT").decode(encoding)
    renamed, count = re.subn(r'(?m)^Name="[^"]*"', f'Name="{name}"', text, count=1)
    if count != 1:
        raise TildelingError("VBA-projektets PROJECT-strøm har ingen Name-linje; navnet kan ikke sættes.")
    cfb.write_stream("PROJECT", renamed.encode(encoding))
    invalidate_vba_project_cache(cfb)
    parts[_VBA_PART] = cfb.to_bytes()
    tmp = path.with_name(path.name + ".renamed")
    with zipfile.ZipFile(tmp, "w") as out:
        for info in infos:
            out.writestr(info, parts[info.filename])
    os.replace(tmp, path)


def vba_project_name(xlam: str | os.PathLike) -> str:
    """The VBA project's name as pyopenvba reads it from a built add-in."""
    ExcelFile = _excel_file()
    with ExcelFile(xlam) as wb:
        return wb.vba_project().name


def _repackage(staged: Path, target: Path, sources: AddinSources,
               config_items: list[tuple[str, str]], xlwings_version: str) -> None:
    with zipfile.ZipFile(staged) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
        order = [info.filename for info in z.infolist()]

    rels = parts["_rels/.rels"].decode("utf-8")
    rels = _replace_once(rels, f'Target="{_TEMPLATE_CUSTOMUI}"', f'Target="{CUSTOMUI_PART}"',
                         "_rels/.rels")
    # A customUI14 part needs the 2007 extensibility relationship type.
    rels = re.sub(
        r'(<Relationship [^>]*?)Type="[^"]*"([^>]*Target="' + re.escape(CUSTOMUI_PART) + '")',
        lambda m: f'{m.group(1)}Type="{CUSTOMUI_REL_TYPE}"{m.group(2)}', rels)
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    workbook = _replace_once(workbook, f'name="{_TEMPLATE_CONF_SHEET}"', f'name="{CONFIG_SHEET}"',
                             "xl/workbook.xml")
    # The template remembers the folder it was saved in on its author's machine.
    workbook = re.sub(r"<mc:AlternateContent\b.*?</mc:AlternateContent>", "", workbook,
                      flags=re.DOTALL)
    sheet, shared = _config_parts(config_items, parts[_SHEET_PART].decode("utf-8"))

    parts.pop(_TEMPLATE_CUSTOMUI)
    parts.update({
        "_rels/.rels": rels.encode("utf-8"),
        "xl/workbook.xml": workbook.encode("utf-8"),
        _SHEET_PART: sheet,
        _STRINGS_PART: shared,
        "docProps/core.xml": _core_properties(xlwings_version),
        CUSTOMUI_PART: sources.customui.read_bytes(),
    })
    first = ["[Content_Types].xml", "_rels/.rels"]
    names = first + [n for n in order if n in parts and n not in first]
    names += sorted(set(parts) - set(names))
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, parts[name])
    os.replace(tmp, target)


def build_addin(out_dir: str | os.PathLike, *, sources: AddinSources | None = None,
                interpreter: str | None = None, macros=None) -> Path:
    """Build ``tildeling.xlam`` into ``out_dir`` and return its path.

    Parameters
    ----------
    out_dir : path
        Folder for the add-in; created if missing. An existing
        ``tildeling.xlam`` there is replaced.
    sources : AddinSources, optional
        The ``addin/`` sources; default :func:`find_sources`.
    interpreter : str, optional
        Python interpreter to write into the add-in's config sheet as
        ``Interpreter_Win`` and ``Interpreter_Mac`` (environment variables such
        as ``%LOCALAPPDATA%`` are expanded by xlwings). Default: none, so
        xlwings uses the user's config file or ``python`` on the PATH.
    macros : iterable of str, optional
        The Python macros the ribbon may call; default ``RIBBON_MACROS``.

    Raises
    ------
    TildelingError
        If the sources are missing or invalid, pyopenvba is not installed or
        the xlwings template is not the expected one.
    """
    import xlwings

    if macros is None:
        from ..xl.macros import RIBBON_MACROS as macros
    sources = sources or find_sources()
    modules = sources.modules()
    template = template_path()
    xlwings_source = xlwings_module_source(template)
    problems = ribbon.check(sources.customui.read_bytes(), modules, macros)
    if problems:
        raise TildelingError(
            f"Båndet i {sources.customui} er ikke gyldigt: " + "; ".join(problems)
        )
    items = [(k, v) for k, v in sources.config_items() if v]
    if interpreter:
        items = [(k, v) for k, v in items if k.upper() not in {"INTERPRETER_WIN", "INTERPRETER_MAC"}]
        items += [("Interpreter_Win", interpreter), ("Interpreter_Mac", interpreter)]

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ADDIN_FILENAME
    with tempfile.TemporaryDirectory(prefix="tildeling-addin-") as tmp:
        staged = Path(tmp) / ADDIN_FILENAME
        shutil.copyfile(template, staged)
        _edit_vba(staged, modules, xlwings_source)
        _rename_vba_project(staged, VBA_PROJECT_NAME)
        with _excel_file()(staged) as wb:
            problems = wb.validate()
            named = wb.vba_project().name
        if problems or named != VBA_PROJECT_NAME:
            raise TildelingError("VBA-projektet er ikke gyldigt efter omdøbningen: "
                                 + "; ".join(problems + ([f"navnet er {named!r}"] if named != VBA_PROJECT_NAME else [])))
        _repackage(staged, target, sources, items, xlwings.__version__)
    return target
