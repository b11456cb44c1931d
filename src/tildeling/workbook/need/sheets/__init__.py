"""The need-model result sheets, built as :mod:`tildeling.workbook.layout` data from core results.

One module per sheet; :func:`output_sheets` puts them in order. The builders compute no statistics: they
pick, label and format what the core returned.

==================  =====================  ==============================================
sheet               module                 tables
==================  =====================  ==============================================
Sammenfatning       :mod:`.summary`        tblSammenfatning (one A4 page for the city council)
Distriktsbehov      :mod:`.district`       tblDistriktsbehov (Tabel 5.1)
Fordeling           :mod:`.allocation`     tblFordeling, tblIndfasning (live formulas)
Udvikling           :mod:`.development`    tblUdvikling (last year against this year, live formulas)
Scenarier           :mod:`.scenarios`      tblScenarieIndstillinger, tblScenarier (four settings, live formulas)
Benchmark           :mod:`.benchmark`      tblKommunebenchmark, tblEksternBenchmark, tblInternBenchmark
Model               :mod:`.model`          tblModeltilpasning, tblForklaringskraft, tblDeciler, tblRelativeVaegte
Beskrivende         :mod:`.descriptives`   tblBeskrivende, tblBeskrivendeDistrikter
Kørselslog          :mod:`.log`            tblKoerselslog
==================  =====================  ==============================================
"""

from __future__ import annotations

from ....need.apply import NeedResult
from ...layout import Sheet, Text, place
from .. import contract as c
from .allocation import allocation_block, allocation_sheet
from .benchmark import benchmark_sheet
from .common import Context, RunInfo
from .descriptives import descriptives_sheet
from .development import development_sheet
from .district import need_sheet
from .log import log_sheet
from .model import model_sheet
from .scenarios import scenarios_sheet
from .summary import summary_sheet

__all__ = ["RunInfo", "Context", "output_sheets", "allocation_block", "add_demo_banner"]


def output_sheets(result: NeedResult, alloc, info: RunInfo, *, municipality: str, school_year: str,
                  shared: bool = False, settings: dict | None = None, names=(), district_columns=(),
                  last_year=None, development=None, demo: bool = False, scenarios=None) -> list[Sheet]:
    """All output sheets of a run. ``shared=True`` suppresses small counts and leaves out the log.

    ``settings`` are the workbook's settings, ``names`` the defined names it has and ``district_columns``
    the columns of its ``tblDistrikter`` (live formulas refer to them). ``demo=True`` (the bundled
    demonstration coefficients) puts a red banner under every sheet's title. ``scenarios``: the settings of
    ``tblScenarieIndstillinger`` kept from the last run (:func:`.scenarios.read_scenarios`).
    """
    settings = dict(settings or {})
    ctx = Context(result, alloc, info, municipality, school_year, shared, budget_year=settings.get("Budgetaar"),
                  settings=settings, names=frozenset(names), district_columns=tuple(district_columns),
                  last_year=last_year, development=development, scenarios=scenarios)
    allocation = allocation_sheet(ctx)
    need = need_sheet(ctx)
    sheets = [summary_sheet(ctx, need, allocation), need, allocation, development_sheet(ctx, allocation),
              scenarios_sheet(ctx, allocation), benchmark_sheet(ctx), model_sheet(ctx), descriptives_sheet(ctx)]
    if not shared:
        sheets.append(log_sheet(ctx))
    if demo:
        for s in sheets:
            add_demo_banner(s)
    return [place(s) for s in sheets]


def add_demo_banner(sheet: Sheet) -> Sheet:
    """The red demonstration banner right under the sheet's title (or first, on a sheet without one)."""
    first = sheet.blocks[0] if sheet.blocks else None
    at = 1 if isinstance(first, Text) and first.style in ("title", "personal") else 0
    sheet.blocks[at:at] = [Text(c.DEMO_BANNER, "banner"), Text(c.DEMO_BANNER_NOTE, "warning")]
    return sheet
