"""The layout shows the architecture: the core knows nothing about Excel or the adapters.

Each core module is imported in a fresh interpreter; the test fails if that import pulled in
openpyxl, xlwings, python-calamine, lxml, or any adapter package of tildeling (files, workbooks,
xlwings macros, the command line, the add-in builder).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tildeling

CORE_PACKAGES = ("model", "need", "absence", "privacy", "synth")
CORE_MODULES = ("errors", "spec", "catalogue", "columns", "danish")
FORBIDDEN_LIBRARIES = ("openpyxl", "xlwings", "python_calamine", "lxml")
ADAPTERS = ("tildeling.io", "tildeling.workbook", "tildeling.xl", "tildeling.cli", "tildeling.addin")


PROBE = """
import importlib, json, pkgutil, sys
forbidden, adapters = {forbidden!r}, {adapters!r}
def bad():
    return sorted(m for m in sys.modules if m.split(".")[0] in forbidden
                  or any(m == a or m.startswith(a + ".") for a in adapters))
culprits = {{}}
start = set(bad())
root = importlib.import_module({name!r})
if set(bad()) - start:
    culprits[root.__name__] = sorted(set(bad()) - start)
names = [root.__name__]
if hasattr(root, "__path__"):
    names += [m.name for m in pkgutil.walk_packages(root.__path__, prefix=root.__name__ + ".")]
for n in names[1:]:
    before = set(bad())
    importlib.import_module(n)
    new = sorted(set(bad()) - before)
    if new:
        culprits[n] = new
print(json.dumps({{"modules": names, "culprits": culprits}}))
"""


def _probe(name: str) -> dict:
    code = PROBE.format(forbidden=FORBIDDEN_LIBRARIES, adapters=ADAPTERS, name=name)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("name", [f"tildeling.{p}" for p in CORE_PACKAGES + CORE_MODULES])
def test_core_imports_nothing_of_excel_or_the_adapters(name):
    """A fresh interpreter imports the core package and every module in it, one by one."""
    result = _probe(name)
    assert result["modules"][0] == name
    assert not result["culprits"], f"the core imports Excel libraries or adapters: {result['culprits']}"


def test_the_probe_catches_an_adapter():
    """The probe is not blind: an adapter module does show up."""
    result = _probe("tildeling.workbook.layout")
    assert "tildeling.workbook.layout" in result["culprits"]
    assert any(m.startswith("openpyxl") for m in result["culprits"]["tildeling.workbook.layout"])


def test_every_core_package_has_modules():
    assert len(_probe("tildeling.model")["modules"]) >= 6
    assert "tildeling.absence.analysis" in _probe("tildeling.absence")["modules"]


def test_the_adapters_are_where_the_docs_say():
    for name in ("io", "workbook", "workbook.need", "workbook.absence", "xl", "cli", "addin"):
        __import__(f"tildeling.{name}")
    assert tildeling.__file__
