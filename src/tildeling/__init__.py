"""tildeling – socio-economic need model, allocation key and absence analysis for Danish schools.

The core – ``model``, ``need``, ``absence``, ``privacy`` and ``synth`` with the
shared ``errors``, ``spec``, ``catalogue``, ``columns`` and ``danish`` – knows
nothing about Excel: it takes and returns pandas DataFrames and dataclasses.
The adapters render and read: ``io`` (files), ``workbook`` (workbook packages),
``xl`` (xlwings macros and worksheet functions), ``cli`` (the command line) and
``addin`` (building and installing the Excel add-in). See docs/udvikling.md.
"""

from __future__ import annotations

try:
    from importlib.metadata import version

    __version__ = version("tildeling")
except Exception:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+ukendt"

from .errors import InputError, ModelError, Source, TildelingError
from .spec import Category, ModelSpec, Variable, VarType

__all__ = [
    "__version__",
    "InputError",
    "ModelError",
    "Source",
    "TildelingError",
    "Category",
    "ModelSpec",
    "Variable",
    "VarType",
]
