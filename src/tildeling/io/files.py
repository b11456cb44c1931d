"""Open a workbook file that a command reads (and perhaps updates), with a Danish message for every way it fails.

Every command that reads a workbook (``run``, ``absence``, ``share``, ``export``, the add-in's file dialogs)
opens it through :func:`open_workbook`. It checks, before any work is done:

* the path: missing, a folder, no read access (also a file whose permission bits say so);
* the file is open in Excel or LibreOffice (their lock files ``~$navn.xlsx`` and ``.~lock.navn.xlsx#``);
* for an update in place (``update=True``): a read-only file or folder;
* the content: an empty file, a CSV or other text file renamed to ``.xlsx``, a password-protected
  (encrypted) workbook – an OLE compound file with an ``EncryptedPackage`` –, an old ``.xls``, a binary
  ``.xlsb``, an OpenDocument ``.ods``, a truncated file, damaged zip parts (CRC errors), missing or broken
  package parts.

The returned :class:`WorkbookFile` holds the bytes and a :class:`FileState` fingerprint, which
:func:`tildeling.io.atomic.save` compares before replacing the file, so that a file saved by someone else
meanwhile is never overwritten. ``.xlsm`` workbooks are read like ``.xlsx``; their macros (``vbaProject.bin``)
and content types travel through a run untouched.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

__all__ = ["WorkbookFile", "FileState", "open_workbook", "check_package", "check_readable", "check_not_open",
           "lock_files", "WORKBOOK_SUFFIXES", "damaged_message", "file_label", "text_encoding", "check_parquet"]

#: Workbook types tildeling reads and writes.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")

SAVE_AS_XLSX = "Åbn den i Excel, og gem den som Excel-projektmappe (.xlsx) med Filer → Gem som."


def file_label(path) -> str:
    """How a message names a file: its name, or the whole path when the name alone is ambiguous."""
    return Path(path).name or str(path)


@dataclass(frozen=True)
class FileState:
    """What a file looked like when it was read: size, modification time and a SHA-256 of its bytes."""

    size: int
    mtime_ns: int
    digest: str

    @classmethod
    def of(cls, path: Path, data: bytes) -> "FileState":
        st = path.stat()
        return cls(len(data), st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def same_as(self, path: Path) -> bool:
        """True if ``path`` still holds exactly the bytes that were read."""
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size != self.size:
            return False
        if st.st_mtime_ns == self.mtime_ns:
            return True
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest() == self.digest
        except OSError:
            return False


@dataclass
class WorkbookFile:
    """A workbook read into memory: where it came from, its bytes and its state when read."""

    path: Path
    data: bytes
    state: FileState

    @property
    def name(self) -> str:
        return file_label(self.path)

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def macro_enabled(self) -> bool:
        return self.suffix == ".xlsm"


# --------------------------------------------------------------------------------------------------- paths
def check_readable(path, what: str = "Filen") -> Path:
    """A path that exists, is a file and may be read; otherwise a Danish :class:`InputError`."""
    path = Path(path)
    label = file_label(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        parent = path.parent
        if str(parent) not in ("", ".") and not parent.exists():
            raise InputError(f"{what} '{path}' findes ikke (mappen '{parent}' findes ikke).") from None
        raise InputError(f"{what} '{path}' findes ikke.") from None
    except PermissionError:
        raise InputError(f"{what} '{path}' kan ikke læses: du har ikke adgang til mappen.") from None
    except OSError as exc:
        raise InputError(f"{what} '{path}' kan ikke læses ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"'{path}' er en mappe, ikke en fil – skriv stien til projektmappen (fx "
                         f"{Path(path, 'navn.xlsx')}).")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"'{path}' er ikke en almindelig fil – skriv stien til projektmappen (.xlsx).")
    if os.name != "nt" and not st.st_mode & (stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH):
        raise InputError(f"{what} {label} kan ikke læses: ingen har læseadgang til den. Giv dig selv "
                         "læseadgang (Egenskaber → Sikkerhed, eller chmod u+r), og prøv igen.")
    return path


def lock_files(path) -> list[Path]:
    """Excel's (``~$navn.xlsx``) and LibreOffice's (``.~lock.navn.xlsx#``) lock files of ``path`` that exist."""
    path = Path(path)
    name = path.name
    candidates = [path.with_name("~$" + name), path.with_name(f".~lock.{name}#")]
    if len(path.stem) > 7:  # Office shortens the owner file of a long name by its first two characters
        candidates.append(path.with_name("~$" + name[2:]))
    out = []
    for p in candidates:
        try:
            if p.is_file():
                out.append(p)
        except OSError:
            pass
    return out


def check_not_open(path) -> None:
    """A Danish :class:`InputError` if Excel or LibreOffice has ``path`` open (its lock file exists)."""
    locks = lock_files(path)
    if not locks:
        return
    lock = locks[0]
    program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    raise InputError(f"Filen {file_label(path)} er åben i {program} (låsefilen '{lock.name}' findes i samme "
                     f"mappe). Gem og luk filen i {program}, og prøv igen. Er filen ikke åben – fx efter et "
                     f"nedbrud – så slet låsefilen '{lock.name}'.")


# ----------------------------------------------------------------------------------------------- content
def damaged_message(name: str, detail: str) -> str:
    return (f"Filen {name} er beskadiget: {detail}. Den kan være gemt eller kopieret ufuldstændigt. Brug en "
            "sikkerhedskopi, eller åbn den i Excel, som kan forsøge at reparere den, og gem den igen.")


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head[:4096]:
        return False
    try:
        head[:4096].decode("utf-8")
        return True
    except UnicodeDecodeError:
        try:
            text = head[:4096].decode("cp1252")
        except UnicodeDecodeError:
            return False
        return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) > 0.95 * len(text)


def _is_worksheet(part: str) -> bool:
    return part.startswith("xl/worksheets/") and part.endswith(".xml") and "/_rels/" not in part


def check_package(data: bytes, name: str, suffix: str = ".xlsx") -> None:
    """Raise a Danish :class:`InputError` unless ``data`` is a readable .xlsx/.xlsm package.

    The zip is read member by member (which checks every CRC) and the package's skeleton is checked:
    ``[Content_Types].xml``, ``_rels/.rels``, the workbook part and its relationships, and that every
    sheet's part exists. Worksheet XML itself is checked by the reader (a malformed sheet is reported there).
    """
    from lxml import etree

    if not data:
        raise InputError(f"Filen {name} er tom (0 byte) – den er ikke en Excel-projektmappe. Den er måske ikke "
                         "gemt færdig; brug en sikkerhedskopi.")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED in data:
            raise InputError(f"Filen {name} er beskyttet med adgangskode (krypteret), og tildeling kan ikke læse "
                             "krypterede projektmapper. Fjern adgangskoden i Excel (Filer → Oplysninger → Beskyt "
                             "projektmappe → Krypter med adgangskode: slet adgangskoden), gem, og prøv igen.")
        raise InputError(f"Filen {name} er i det gamle Excel-format (.xls), som tildeling ikke kan læse. "
                         f"{SAVE_AS_XLSX}")
    if not data.startswith(b"PK"):
        if _looks_like_text(data[:8192]):
            head = data[:200].lstrip().lower()
            kind = "en webside (HTML)" if head.startswith((b"<!doctype html", b"<html")) else \
                "en tekstfil (fx en CSV-fil, der er omdøbt til .xlsx)"
            raise InputError(f"Filen {name} er ikke en Excel-projektmappe, men {kind}. {SAVE_AS_XLSX}")
        raise InputError(f"Filen {name} er ikke en Excel-projektmappe (.xlsx) – indholdet har et ukendt format. "
                         f"{SAVE_AS_XLSX}")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise InputError(damaged_message(name, "den er afkortet eller ikke en gyldig .xlsx-pakke (zip)")) from None
    with z:
        names = set(z.namelist())
        if "mimetype" in names and b"opendocument" in z.read("mimetype"):
            raise InputError(f"Filen {name} er et OpenDocument-regneark (.ods), som tildeling ikke kan læse. "
                             f"{SAVE_AS_XLSX}")
        if "xl/workbook.bin" in names or suffix == ".xlsb":
            raise InputError(f"Filen {name} er en binær Excel-projektmappe (.xlsb), som tildeling ikke kan læse "
                             "eller gemme i. Gem den som Excel-projektmappe (.xlsx) – eller som makroaktiveret "
                             "(.xlsm), hvis den har makroer – med Filer → Gem som, og brug den fil.")
        contents: dict[str, bytes] = {}
        for info in z.infolist():
            part = info.filename
            if _is_worksheet(part):
                # Worksheets are big: their CRC is checked when they are read (workbook/tables.py), and a
                # damaged one is reported there; reading them here too would unpack them twice.
                continue
            try:
                with z.open(info) as fh:
                    content = fh.read()
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
                crc = "CRC" in str(exc)
                detail = f"delen '{part}' " + ("har en forkert kontrolsum (CRC-fejl)" if crc else
                                                "kan ikke pakkes ud")
                raise InputError(damaged_message(name, detail)) from None
            if part.endswith((".xml", ".rels")):
                contents[part] = content
        for part, content in contents.items():
            try:
                etree.fromstring(content, etree.XMLParser(huge_tree=True))
            except etree.XMLSyntaxError:
                raise InputError(damaged_message(name, f"delen '{part}' er ikke gyldig XML")) from None

        def xml(part: str, what: str):
            if part not in names:
                raise InputError(damaged_message(name, f"{what} ('{part}') mangler i pakken"))
            return etree.fromstring(contents[part], etree.XMLParser(huge_tree=True))

        xml("[Content_Types].xml", "indholdsfortegnelsen")
        rels = xml("_rels/.rels", "pakkens relationer")
        ns_pr = "{http://schemas.openxmlformats.org/package/2006/relationships}"
        main = [r.get("Target", "") for r in rels.iter(ns_pr + "Relationship")
                if (r.get("Type") or "").endswith("/officeDocument")]
        if not main:
            raise InputError(f"Filen {name} er ikke en Excel-projektmappe (pakken har intet regneark). "
                             f"{SAVE_AS_XLSX}")
        wb_part = main[0].lstrip("/")
        if wb_part.endswith(".bin"):
            raise InputError(f"Filen {name} er en binær Excel-projektmappe (.xlsb), som tildeling ikke kan læse. "
                             "Gem den som Excel-projektmappe (.xlsx) med Filer → Gem som.")
        wb = xml(wb_part, "projektmappens hoveddel")
        ns_m = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        if wb.tag == "{http://purl.oclc.org/ooxml/spreadsheetml/main}workbook":
            raise InputError(f"Filen {name} er gemt som 'Strict Open XML-regneark', som tildeling ikke kan læse. "
                             "Gem den som almindelig Excel-projektmappe (.xlsx) med Filer → Gem som.")
        if wb.tag != ns_m + "workbook":
            raise InputError(f"Filen {name} er ikke en Excel-projektmappe (måske et Word- eller PowerPoint-"
                             "dokument, der er omdøbt). " + SAVE_AS_XLSX)
        folder, base = wb_part.rsplit("/", 1) if "/" in wb_part else ("", wb_part)
        wb_rels = xml(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels", "projektmappens relationer")
        targets = {}
        for r in wb_rels.iter(ns_pr + "Relationship"):
            if r.get("TargetMode") == "External":
                continue
            t = r.get("Target", "")
            targets[r.get("Id")] = t.lstrip("/") if t.startswith("/") else \
                os.path.normpath(f"{folder}/{t}" if folder else t).replace("\\", "/")
        ns_r = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
        sheets = wb.find(ns_m + "sheets")
        if sheets is None or not len(sheets):
            raise InputError(damaged_message(name, "projektmappen har ingen ark"))
        for s in sheets:
            part = targets.get(s.get(ns_r + "id"))
            if part is None or part not in names:
                raise InputError(damaged_message(name, f"arket '{s.get('name')}' mangler i pakken"))


# ----------------------------------------------------------------------------------------------- data files
def _what_it_is(head: bytes) -> str | None:
    """What a file that should be CSV or Parquet really is, from its first bytes (None: nothing recognised)."""
    if head.startswith(_OLE_MAGIC):
        return ("en krypteret (adgangskodebeskyttet) Excel-projektmappe" if _ENCRYPTED in head
                else "en Excel-projektmappe i det gamle format (.xls)")
    if head.startswith(b"PK"):
        return "en Excel-projektmappe (.xlsx) eller en anden zip-fil"
    if head.startswith(b"PAR1"):
        return "en Parquet-fil"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "en webside (HTML)"
    return None


def text_encoding(path: Path, name: str | None = None) -> str:
    """The encoding to read a CSV file with, or a Danish :class:`InputError` when it is no text file.

    UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark (Excel's 'Unicode-tekst'), and
    otherwise Windows-1252 – what Danish Excel writes when it saves 'CSV (semikolonsepareret)'. An empty file,
    a workbook, a Parquet file, a web page or binary content renamed to ``.csv`` is refused.
    """
    name = name or file_label(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"Filen {name} kan ikke læses ({exc.strerror or exc}).") from None
    if not head.strip():
        raise InputError(f"Filen {name} er tom – der er ingen kolonneoverskrifter og ingen rækker. Den er måske "
                         "ikke gemt færdig; brug en sikkerhedskopi.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    what = _what_it_is(head)
    if what is not None:
        raise InputError(f"Filen {name} er ikke en tekstfil (CSV), men {what}. Brug den rigtige endelse, eller "
                         "gem data som CSV (semikolonsepareret) i Excel.")
    if b"\x00" in head:
        raise InputError(f"Filen {name} er ikke en tekstfil (CSV) – indholdet er binært. Gem data som CSV "
                         "(semikolonsepareret) i Excel, og prøv igen.")
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:      # a character cut at the end of the sample
            return "utf-8-sig"
    if not _looks_like_text(head):
        raise InputError(f"Filen {name} er ikke en tekstfil (CSV) – indholdet er binært. Gem data som CSV "
                         "(semikolonsepareret) i Excel, og prøv igen.")
    return "cp1252"


def check_parquet(path: Path, name: str | None = None) -> None:
    """A Danish :class:`InputError` unless the file starts and ends like a Parquet file."""
    name = name or file_label(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8192)
            fh.seek(max(0, size - 4))
            tail = fh.read(4)
    except OSError as exc:
        raise InputError(f"Filen {name} kan ikke læses ({exc.strerror or exc}).") from None
    if size == 0:
        raise InputError(f"Filen {name} er tom (0 byte) – den er ikke en Parquet-fil. Den er måske ikke gemt "
                         "færdig; brug en sikkerhedskopi.")
    if not head.startswith(b"PAR1"):
        what = _what_it_is(head) or ("en tekstfil (fx CSV)" if _looks_like_text(head) else None)
        raise InputError(f"Filen {name} er ikke en Parquet-fil" + (f", men {what}" if what else
                         " – indholdet har et ukendt format") + ". Brug den rigtige endelse (.csv, .xlsx), eller "
                         "gem data som Parquet igen.")
    if tail != b"PAR1" or size < 12:
        raise InputError(f"Filen {name} er beskadiget: Parquet-filen er afkortet (slutningen mangler). Den kan være "
                         "gemt eller kopieret ufuldstændigt. Brug en sikkerhedskopi, eller gem data som Parquet igen.")


# ----------------------------------------------------------------------------------------------- opening
def open_workbook(path, *, update: bool = False) -> WorkbookFile:
    """Read a workbook file for a command, checking everything that can be checked before any work.

    Parameters
    ----------
    path : the workbook (.xlsx or .xlsm).
    update : True when the command will save its results into this same file (``run`` and ``absence``
        without ``--out``): the file and its folder must then be writable.

    Raises
    ------
    InputError
        With a Danish message for each of the cases in the module docstring.
    """
    from .atomic import check_target, remove_stale_temporaries

    path = check_readable(path)
    name = file_label(path)
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".csv", ".txt", ".xlsb"):
        kinds = {".xls": "det gamle Excel-format (.xls)", ".ods": "et OpenDocument-regneark (.ods)",
                 ".csv": "en CSV-fil", ".txt": "en tekstfil",
                 ".xlsb": "en binær Excel-projektmappe (.xlsb)"}
        raise InputError(f"Filen {name} er {kinds[suffix]}, som tildeling ikke kan bruge som projektmappe. "
                         f"{SAVE_AS_XLSX}" + (" Har den makroer, så gem som makroaktiveret (.xlsm)."
                                              if suffix == ".xlsb" else ""))
    check_not_open(path)
    if update:
        check_target(path, overwrite=True)
        remove_stale_temporaries(path)
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"Filen {name} kan ikke læses: du har ikke læseadgang til den. Giv dig selv "
                         "læseadgang (Egenskaber → Sikkerhed), og prøv igen.") from None
    except IsADirectoryError:
        raise InputError(f"'{path}' er en mappe, ikke en fil.") from None
    except OSError as exc:
        raise InputError(f"Filen {name} kan ikke læses ({exc.strerror or exc}).") from None
    check_package(data, name, suffix)
    return WorkbookFile(path, data, FileState.of(path, data))
