"""What the stages' constraints have in common (not a stage): the `Constraint` record each
stage module lists in its `CONSTRAINTS`, and helpers to relax one in a dumped scenario and to
tell from a replicate's output on which days it binds. constraints.py gathers them from the
stages; bottlenecks.py relaxes them for the Shapley attribution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput
    from ..scenario import Scenario


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """Something that can hold a target back. One that does not apply to a scenario (beds
    already unlimited, no departures, no [arrests] ...) is left out of the attribution and
    never flagged."""

    name: str
    meaning: str  # when it binds, in words (the reference of the `binding_NAME` column)
    relaxed_as: str  # how the attribution relaxes it, in words (summary.json `relaxed_as`)
    applies: Callable[[Scenario], bool]
    relax: Callable[[dict[str, Any]], None]  # edits a dumped scenario in place
    binding: Callable[[ReplicateOutput], np.ndarray]  # bool per reported day
    # Its place among every stage's constraints: the order of daily.parquet's `binding_NAME`
    # columns and of the attribution's constraints, which published outputs keep.
    position: int
    # Whether its `binding_NAME` column is in daily.parquet only for scenarios it applies to
    # (beds and seats: always, as the contract's first daily tables had them).
    optional: bool = False


def drop_uncertainty(data: dict[str, Any], prefix: str) -> None:
    """A relaxed value cannot vary any more (an "unlimited" value has no draws)."""
    unc = data.get("uncertainty") or {}
    for key in [p for p in unc if p.startswith(prefix)]:
        del unc[key]


def days_with(out: ReplicateOutput, table: str, *cols: str) -> np.ndarray:
    """Whether the named columns of one of the replicate output's per-day tables add up to
    more than zero on each reported day (summed over their other axes, such as classes); on
    no day when the run has no such table."""
    days = len(out.daily.beds)
    t = getattr(out, table, None)
    if t is None:
        return np.zeros(days, dtype=bool)
    return sum(np.asarray(getattr(t, c)).reshape(days, -1).sum(axis=1) for c in cols) > 0
