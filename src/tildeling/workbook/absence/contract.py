"""The absence workbook contract: the core's data names plus the workbook's own names.

Everything of :mod:`tildeling.absence.contract` (input tables, columns, factors,
thresholds) is re-exported here, so workbook code and tests use one module; the
result sheets, the model-type marker and the personal-data banner are defined
here. Users' formulas rely on these names: change them only with a note.
"""

from __future__ import annotations

from ...absence.contract import *  # noqa: F401,F403 - one module for every name of the absence workbook
from ...absence.contract import PUPIL_LEVEL_SHEETS  # noqa: F401

# --- Model type marker (defined name in the workbook) --------------------------
MODELTYPE_NAME = "Modeltype"
MODELTYPE_VALUE = "fravaer"


# --- Result sheets -------------------------------------------------------------------
SHEET_GUIDE = "Vejledning"
SHEET_OVERVIEW = "Resultat"
SHEET_LINK = "Koblingsrapport"
SHEET_UNMATCHED = "Ikke koblede elever"
SHEET_HYPOTHESES = "Hypotesetest"
SHEET_CROSSTABS = "Krydstabeller"
SHEET_TREND = "Tendens"
SHEET_SEGMENTS = "Segmenter"
SHEET_DRILL = "Drilldown"
SHEET_DRILLDATA = "Drilldata"
SHEET_LISTS = "Lister"
SHEET_CASEWORKER = "Sagsbehandlerliste"

#: Sheets with pupil-level personal data: never in a shared copy.
PERSONAL_SHEETS = (SHEET_CASEWORKER, SHEET_UNMATCHED)
#: Sheets the analysis writes (replaced on every run); input sheets are never touched.
RESULT_SHEETS = (SHEET_OVERVIEW, SHEET_LINK, SHEET_UNMATCHED, SHEET_HYPOTHESES, SHEET_CROSSTABS, SHEET_TREND,
                 SHEET_SEGMENTS, SHEET_DRILL, SHEET_DRILLDATA, SHEET_LISTS, SHEET_CASEWORKER)

PERSONAL_BANNER = ("PERSONFØLSOMME OPLYSNINGER – kun til sagsbehandlere med et sagligt formål. "
                   "Arket må ikke deles, printes eller sendes videre. Det fjernes automatisk i en delbar kopi.")
