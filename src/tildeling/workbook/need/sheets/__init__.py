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

import pandas as pd

from ....need.apply import NeedResult
from ....privacy import (DEFAULT_THRESHOLD, SECONDARY_MARKER, DisclosureError, findings_message, primary_marker,
                         suppress)
from ...layout import Sheet, TableBlock, Text, place
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

__all__ = ["RunInfo", "Context", "output_sheets", "allocation_block", "suppress_sheets", "legend",
           "add_demo_banner"]


def output_sheets(result: NeedResult, alloc, info: RunInfo, *, municipality: str, school_year: str,
                  shared: bool = False, settings: dict | None = None, names=(), district_columns=(),
                  last_year=None, development=None, threshold: int = DEFAULT_THRESHOLD,
                  demo: bool = False, scenarios=None) -> list[Sheet]:
    """All output sheets of a run.

    ``settings`` are the workbook's settings, ``names`` the defined names it has and ``district_columns``
    the columns of its ``tblDistrikter`` (live formulas refer to them). ``shared=True``: static values, no
    log, and every table suppressed together by :func:`tildeling.privacy.suppress` (counts of 1 …
    ``threshold`` − 1 as ``<N``, what is computed from them left out, and secondary cells ``..`` so that
    nothing can be worked out from totals or other tables). ``demo=True`` (the bundled demonstration
    coefficients) puts a red banner under every sheet's title. ``scenarios``: the settings of
    ``tblScenarieIndstillinger`` kept from the last run (:func:`.scenarios.read_scenarios`).
    """
    settings = dict(settings or {})
    ctx = Context(result, alloc, info, municipality, school_year, shared, budget_year=settings.get("Budgetaar"),
                  threshold=threshold, settings=settings, names=frozenset(names),
                  district_columns=tuple(district_columns), last_year=last_year, development=development,
                  scenarios=scenarios)
    allocation = allocation_sheet(ctx)
    need = need_sheet(ctx)
    sheets = [summary_sheet(ctx, need, allocation), need, allocation, development_sheet(ctx, allocation),
              scenarios_sheet(ctx, allocation), benchmark_sheet(ctx), model_sheet(ctx), descriptives_sheet(ctx)]
    if shared:
        suppress_sheets(sheets, threshold)
    else:
        sheets.append(log_sheet(ctx))
    if demo:
        for s in sheets:
            add_demo_banner(s)
    return [place(s) for s in sheets]


def suppress_sheets(sheets: list[Sheet], threshold: int, *, public=None, what: str = "Den delbare kopi"):
    """Suppress every table of ``sheets`` together (in place); a legend goes under each sheet's title.

    Raises :class:`~tildeling.privacy.DisclosureError` if the tables cannot be cleared.
    Returns the :class:`~tildeling.privacy.Suppressed` result (its ``cells`` list every hidden cell).
    """
    blocks = {b.name: b for s in sheets for b in s.blocks if isinstance(b, TableBlock)}
    frames = {}
    for name, b in blocks.items():   # a totals row (I alt) is published too: suppress it with its table
        frames[name] = b.frame
        if b.totals:
            row = {col: b.totals.get(col) for col in b.frame.columns}
            row = {col: (b.totals_values.get(col) if v == "sum" or callable(v) else v) for col, v in row.items()}
            frames[name] = pd.concat([b.frame.astype(object), pd.DataFrame([row], dtype=object)], ignore_index=True)
    result = suppress(frames, threshold=threshold, public=public)
    if result.findings:
        raise DisclosureError(findings_message(result.findings, what=what), result.findings)
    hidden_tables = set(result.cells["Tabel"]) if len(result.cells) else set()
    for name, b in blocks.items():
        out = result.tables[name]
        if b.totals:
            last, out = out.iloc[-1], out.iloc[:-1].reset_index(drop=True)
            totals = {col: last[col] for col in b.totals if col in last.index and last[col] is not None
                      and not (isinstance(last[col], float) and last[col] != last[col])}
            b.totals = totals
            b.totals_values = {col: v for col, v in totals.items() if not isinstance(v, str)}
        b.frame = out
    for s in sheets:
        if any(isinstance(b, TableBlock) and b.name in hidden_tables for b in s.blocks):
            at = next((i + 1 for i, b in enumerate(s.blocks) if isinstance(b, Text) and b.style == "title"), 0)
            s.blocks.insert(at, Text(legend(threshold), "note"))
    return result


def legend(threshold: int) -> str:
    """What the marks of suppressed cells mean (Danish)."""
    return (f"{primary_marker(threshold)} = under {threshold} personer. {SECONDARY_MARKER} = skjult, så et andet "
            f"skjult tal ikke kan regnes ud. Tom celle = beregnet ud fra et skjult tal eller for en gruppe på under "
            f"{threshold} personer.")


def add_demo_banner(sheet: Sheet) -> Sheet:
    """The red demonstration banner right under the sheet's title (or first, on a sheet without one)."""
    first = sheet.blocks[0] if sheet.blocks else None
    at = 1 if isinstance(first, Text) and first.style in ("title", "personal") else 0
    sheet.blocks[at:at] = [Text(c.DEMO_BANNER, "banner"), Text(c.DEMO_BANNER_NOTE, "warning")]
    return sheet
