"""Put ``tildeling.xlam`` where Excel loads it, and point xlwings at this Python.

Where
-----
Windows: the user's XLSTART folder, ``%APPDATA%\\Microsoft\\Excel\\XLSTART``.
Excel opens every file there at start-up, an ``.xlam`` as an add-in, and the
folder is one of Excel's default trusted locations, so the add-in's macros run
without a security prompt and without the user ticking it in the Add-ins
dialog. (``%APPDATA%\\Microsoft\\AddIns`` would need that extra step: a file
there is only listed in File > Options > Add-ins until it is ticked.) This is
also where ``xlwings addin install`` puts xlwings' own add-in.

macOS: Excel's start-up folder in the Office group container,
``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``.

Linux: there is no Excel; installing fails with a Danish explanation and exit
code 2, unless a folder is given explicitly with ``dest=``.

Interpreter
-----------
The Python that runs this command is written to xlwings' per-user config file
for the add-in (``%USERPROFILE%\\.tildeling\\tildeling.conf`` on Windows,
``~/Library/Containers/com.microsoft.Excel/Data/tildeling.conf`` on macOS), as
``INTERPRETER_WIN`` / ``INTERPRETER_MAC``. Other lines of that file are kept.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..errors import TildelingError
from .build import ADDIN_FILENAME, PROJECT_NAME, build_addin, read_build_info

__all__ = ["InstallResult", "excel_startup_dir", "user_config_path", "install_addin",
           "update_user_config", "LINUX_MESSAGE"]

LINUX_MESSAGE = (
    "Excel findes ikke til Linux, så tilføjelsesprogrammet kan ikke installeres her. "
    "Byg filen med 'tildeling addin build --out MAPPE', kopiér tildeling.xlam til en pc med "
    "Windows eller en Mac med Excel, og installér den dér med "
    "'tildeling addin install --xlam tildeling.xlam'. De fleste af Tildelings funktioner kan også "
    "køres her fra kommandolinjen – se 'tildeling --help'. "
    "Vil du blot lægge filen i en bestemt mappe, så brug --dest MAPPE."
)

_MAC_STARTUP = ("Library/Group Containers/UBF8T346G9.Office/User Content.localized/"
                "Startup.localized/Excel")
_MAC_CONFIG = "Library/Containers/com.microsoft.Excel/Data"


@dataclass
class InstallResult:
    """What :func:`install_addin` did."""

    addin: Path
    config: Path | None = None
    notes: list[str] = field(default_factory=list)


def _platform_kind(platform: str) -> str:
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "mac"
    return "other"


def excel_startup_dir(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                      home: Path | None = None) -> Path:
    """The folder from which Excel opens add-ins at start-up for this user."""
    env = os.environ if env is None else env
    kind = _platform_kind(platform)
    if kind == "windows":
        appdata = env.get("APPDATA")
        if not appdata:
            raise TildelingError(
                "Miljøvariablen APPDATA er ikke sat, så Excels startmappe (XLSTART) kan ikke findes. "
                "Angiv mappen med --dest."
            )
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if kind == "mac":
        return (home or Path.home()) / _MAC_STARTUP
    raise TildelingError(LINUX_MESSAGE)


def user_config_path(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                     home: Path | None = None) -> Path | None:
    """xlwings' per-user config file for the add-in (None where there is no Excel)."""
    env = os.environ if env is None else env
    kind = _platform_kind(platform)
    if kind == "windows":
        profile = env.get("USERPROFILE") or str(home or Path.home())
        return Path(profile) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
    if kind == "mac":
        return (home or Path.home()) / _MAC_CONFIG / f"{PROJECT_NAME}.conf"
    return None


def update_user_config(path: Path, values: Mapping[str, str], *, encoding: str = "utf-8") -> None:
    """Set ``"KEY","value"`` lines in an xlwings config file, keeping the other lines."""
    wanted = {k.upper(): v for k, v in values.items()}
    rows = []
    if path.exists():
        text = path.read_text(encoding=encoding, errors="replace")
        rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].upper() not in wanted]
    rows += [[k, v] for k, v in wanted.items()]
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding=encoding, newline="")


def _check_version(xlam: Path, force: bool) -> None:
    import xlwings

    built_with = read_build_info(xlam).get("xlwings")
    if built_with and built_with != xlwings.__version__ and not force:
        raise TildelingError(
            f"{xlam.name} er bygget med xlwings {built_with}, men her er xlwings "
            f"{xlwings.__version__} installeret, og de to skal være ens. Byg tilføjelsesprogrammet "
            f"igen med 'tildeling addin build', eller installér xlwings=={built_with}. "
            "Brug --force for at installere alligevel."
        )


def install_addin(xlam: str | os.PathLike | None = None, *, dest: str | os.PathLike | None = None,
                  platform: str = sys.platform, env: Mapping[str, str] | None = None,
                  home: Path | None = None, interpreter: str | None = sys.executable,
                  force: bool = False) -> InstallResult:
    """Install the add-in for the current user.

    Parameters
    ----------
    xlam : path, optional
        A built ``tildeling.xlam``. Default: build one from the ``addin/``
        sources (needs pyopenvba).
    dest : path, optional
        Install into this folder instead of Excel's start-up folder (works on
        every platform; nothing else is configured then).
    platform, env, home : optional
        For tests: ``sys.platform``, the environment and the home folder.
    interpreter : str or None, default=sys.executable
        Python to write to the user's xlwings config; None leaves it alone.
    force : bool, default=False
        Install even if the add-in was built with another xlwings version.

    Raises
    ------
    TildelingError
        On Linux without ``dest``, if the file is missing or cannot be copied
        (for example because Excel has it open).
    """
    kind = _platform_kind(platform)
    target_dir = Path(dest) if dest else excel_startup_dir(platform, env, home)
    with tempfile.TemporaryDirectory(prefix="tildeling-addin-") as tmp:
        if xlam is None:
            source = build_addin(tmp)
        else:
            source = Path(xlam)
            if not source.is_file():
                raise TildelingError(f"Filen {source} findes ikke. Byg den med 'tildeling addin build'.")
            _check_version(source, force)
        target = target_dir / ADDIN_FILENAME
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        except PermissionError as exc:
            raise TildelingError(
                f"{target} kunne ikke overskrives ({exc.strerror}). Luk Excel, og prøv igen."
            ) from exc
        except OSError as exc:
            raise TildelingError(f"{target} kunne ikke skrives: {exc.strerror or exc}.") from exc
    result = InstallResult(addin=target)
    if dest or kind == "other":
        return result
    if interpreter:
        config = user_config_path(platform, env, home)
        key = "INTERPRETER_WIN" if kind == "windows" else "INTERPRETER_MAC"
        # VBA's Input # reads the file in the Windows ANSI code page.
        encoding = "mbcs" if kind == "windows" and sys.platform.startswith("win") else "utf-8"
        update_user_config(config, {key: interpreter}, encoding=encoding)
        result.config = config
    if kind == "mac":
        try:
            from xlwings.cli import runpython_install

            runpython_install(None)
        except Exception as exc:  # noqa: BLE001 - an optional convenience; say what to do
            result.notes.append(
                f"xlwings' AppleScript kunne ikke installeres ({exc}); kør 'xlwings runpython install'."
            )
    result.notes.append("Genstart Excel, så fanen Tildeling vises i båndet.")
    return result
