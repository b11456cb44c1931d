"""xlwings macros behind the ribbon buttons (one function per button ``tag``).

The ribbon's generic VBA callback runs
``RunPython "import tildeling.xl.macros as m; m.<tag>()"``.
Each macro resolves the calling workbook, reads, calls the core, writes, and
reports errors as a Danish message box.

The names in :data:`RIBBON_MACROS` are a contract with ``addin/``.
"""

from __future__ import annotations

#: Python macros the ribbon may call, by button tag.
RIBBON_MACROS = (
    "new_need_workbook",      # Ny behovsmodel
    "validate_data",          # Kontrollér data
    "fit_model",              # Estimér model
    "load_coefficients",      # Indlæs koefficienter
    "compute_allocation",     # Beregn fordeling
    "refresh_benchmarks",     # Opdatér benchmarks
    "make_shareable_copy",    # Lav delbar kopi
    "show_help",              # Hjælp
    "new_absence_workbook",   # Ny fraværsanalyse
    "run_absence_analysis",   # Kør fraværsanalyse
)
