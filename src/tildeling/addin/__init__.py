"""The Excel add-in ``tildeling.xlam``: build it from ``addin/`` and install it.

See :mod:`tildeling.addin.build` (xlwings template + pyopenvba),
:mod:`tildeling.addin.ribbon` (custom UI check) and
:mod:`tildeling.addin.install` (where Excel loads add-ins).
"""

from __future__ import annotations

from .build import ADDIN_FILENAME, build_addin, find_sources
from .install import install_addin

__all__ = ["ADDIN_FILENAME", "build_addin", "find_sources", "install_addin"]
