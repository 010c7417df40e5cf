"""The arrest stage's names that results and costs read from the engine side; the stage
(stages/arrests.py) owns them, with its engine input and compiled helpers."""

from __future__ import annotations

from ..stages.arrests import ARREST_COLUMNS, N_CRIM

__all__ = ["ARREST_COLUMNS", "N_CRIM"]
