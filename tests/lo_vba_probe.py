"""Run a probe in the Tildeling VBA module of a built add-in, in LibreOffice Basic (VBA-compatibility mode).

Run by tests/test_addin.py with a Python that has LibreOffice's ``uno`` module (Debian: python3-uno):

    python3 tests/lo_vba_probe.py ADDIN.xlam [--break]

LibreOffice opens the .xlam and imports its VBA project as a Basic library with ``Option VBASupport 1``
(LibreOffice's VBA-compatibility mode). The probe takes that module ``Tildeling`` as imported, appends a
function that calls the module's own helpers and constants, puts it in an application Basic library (where
LibreOffice runs macros without a macro-security question) and runs it: LibreOffice compiles the whole module
first, so a syntax error anywhere in it fails the probe. ``--break`` puts a syntax error in first (to show that the
probe can fail). xlwings' own module (``xlwings``) cannot be checked this way: it declares Windows DLL
functions that LibreOffice does not compile.

Prints one JSON object: ``{"library": …, "vba_support": bool, "result": …}`` or ``{"error": …}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401 - LibreOffice's Python bridge (python3-uno)
from com.sun.star.beans import PropertyValue  # noqa: E402
from com.sun.star.connection import NoConnectException

PROBE = """
Public Function TildelingProbe() As String
    Dim trusted As Boolean, udfs As Boolean
    On Error GoTo Failed
    TildelingProbe = "started"
    trusted = VbaProjectAccessTrusted()
    udfs = HasUdfModule()
    TildelingProbe = "ok|" & TITLE & "|" & CStr(trusted) & "|" & CStr(udfs)
    Exit Function
Failed:
    TildelingProbe = "error|" & Err & "|" & Error$ & "|" & Erl
End Function
"""


def _props(**values):
    out = []
    for name, value in values.items():
        p = PropertyValue()
        p.Name, p.Value = name, value
        out.append(p)
    return tuple(out)


def _connect(pipe: str, deadline: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def probe(xlam: Path, breaking: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="tildeling_lo_probe_") as tmp:
        pipe = f"tildeling_probe_{os.getpid()}"
        soffice = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
             f"-env:UserInstallation=file://{tmp}/profile", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        desktop = None
        try:
            ctx = _connect(pipe, time.monotonic() + 90)
            smgr = ctx.ServiceManager
            desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            # 1. the add-in as LibreOffice imports it: its VBA project becomes a Basic library
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(str(xlam.resolve())), "_blank", 0,
                _props(Hidden=True, FilterName="Calc MS Excel 2007 XML"))
            try:
                libs = doc.BasicLibraries
                found = {}
                for name in libs.getElementNames():
                    libs.loadLibrary(name)
                    if libs.getByName(name).hasByName("Tildeling"):
                        found[name] = libs.getByName(name).getByName("Tildeling")
            finally:
                doc.close(True)
            if not found:
                return {"error": "the add-in has no VBA module 'Tildeling'"}
            library, source = next(iter(found.items()))
            if breaking:
                source = source.replace("End Sub", "End Su", 1)
            # 2. the module, as imported (Option VBASupport 1), plus the probe, into an application library
            basic = smgr.createInstanceWithContext("com.sun.star.script.ApplicationScriptLibraryContainer", ctx)
            basic.loadLibrary("Standard")
            basic.getByName("Standard").insertByName("Tildeling", source + "\n" + PROBE)
            # 3. run it: LibreOffice compiles the whole module first
            provider = smgr.createInstanceWithContext(
                "com.sun.star.script.provider.MasterScriptProviderFactory", ctx).createScriptProvider("")
            script = provider.getScript(
                "vnd.sun.star.script:Standard.Tildeling.TildelingProbe?language=Basic&location=application")
            try:
                result = script.invoke((), (), ())[0]
            except Exception as exc:  # noqa: BLE001 - a compile or run-time error in the module
                return {"library": library, "error": f"{type(exc).__name__}: {getattr(exc, 'Message', exc)}"}
            return {"library": library, "vba_support": "Option VBASupport 1" in source, "result": result}
        finally:
            if desktop is not None:
                try:
                    desktop.terminate()
                except Exception:  # noqa: BLE001 - the office goes away while answering
                    pass
            try:
                soffice.wait(timeout=30)
            except subprocess.TimeoutExpired:
                soffice.kill()
                soffice.wait()


if __name__ == "__main__":
    print(json.dumps(probe(Path(sys.argv[1]), breaking="--break" in sys.argv[2:])))
