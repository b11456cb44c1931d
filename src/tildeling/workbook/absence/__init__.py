"""The absence workbook adapter: template, reader, result sheets, run in place, shared copy."""

from __future__ import annotations

from .reader import is_absence_workbook, read_inputs
from .run import run_workbook
from .share import share, shared_workbook
from .sheets import render_results, write_results
from .template import DRILL_ROWS, build_template, new_template, write_input_workbook

__all__ = ["build_template", "new_template", "write_input_workbook", "read_inputs", "write_results",
           "render_results", "shared_workbook", "run_workbook", "share", "is_absence_workbook", "DRILL_ROWS"]
