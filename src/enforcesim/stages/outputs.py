"""What a stage reports, declared beside its scenario section: its metrics (name -> unit and
meaning, and how to compute them from one replicate's output), its per-entity breakdowns
(per stream, per pathway, ...) and the columns it adds to the daily Parquet tables, each with
its unit. Results, the daily tables' units and the generated reference iterate over these
declarations (`stages.metric_sets`, `stages.daily_groups`), so no stage's metric is named
outside its stage.

A replicate's output is read duck-typed (`out.daily.removals`, `out.acc.n_admitted`): the
engine sits above the stages, so they can only know its records by their field names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

Definitions = dict[str, tuple[str, str]]  # name -> (unit, meaning), in the order reported


def _always(sc: Any) -> bool:
    return True


def _with_classes(sc: Any) -> bool:
    return bool(sc.has_classes())


def _with_arrests(sc: Any) -> bool:
    return sc.arrests is not None


def _with_case_side(sc: Any) -> bool:
    return bool(sc.has_case_side())


# The parts of a run's output, each present when its condition holds, in the order the
# summary lists them: the contract's, then the ones added as the model grew (per stream, the
# arrest side, the case side). A scenario without a later part reports exactly what it
# reported before that part existed. Within a part, the stages' declarations follow the
# pipeline order of the registry.
PARTS: dict[str, Callable[[Any], bool]] = {
    "contract": _always,
    "streams": _with_classes,
    "arrests": _with_arrests,
    "cases": _with_case_side,
}


class MetricSet(NamedTuple):
    """Metrics of the summary's `metrics` block that one stage computes."""

    part: str  # a key of PARTS: when they are reported
    metrics: Definitions
    compute: Callable[[Any], dict[str, float]]  # one replicate -> value per metric (NaN = null)


class Breakdown(NamedTuple):
    """A block of summary.json with metrics per entity (stream, pathway, source ...)."""

    block: str  # its key in summary.json
    part: str
    metrics: Definitions  # the metrics of each entity
    # one replicate -> {entity: {metric: value}} (or one level deeper, {group: {entity: ...}})
    compute: Callable[[Any], dict[str, Any]]


class DailyColumns(NamedTuple):
    """Columns a stage adds to one daily table (one row per replicate, day and key)."""

    table: str  # the table's file stem, e.g. "daily_cases"
    part: str  # when the table is written (every group of a table has the same part)
    columns: Definitions
    # one replicate -> one array per column, in order: (days,) or (days, rows per day)
    values: Callable[[Any], Sequence[np.ndarray]]
    # label columns after `day`, for tables with several rows per day: name -> its labels
    # in a scenario; their product, in C order, is the second axis of the values
    keys: dict[str, Callable[[Any], list[str]]] | None = None
    contract: bool = False  # columns the scenario contract fixes (shape checked by tools)


class StageOutputs(NamedTuple):
    """Everything a stage reports; each stage module defines one as `OUTPUTS`."""

    metric_sets: tuple[MetricSet, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()
    daily: tuple[DailyColumns, ...] = ()
    # attempts a stage's capacity turned down, per day by cause (a constraint's name), for
    # the summary's cheap bottleneck block; None when the stage turns nothing down
    foregone_per_day: Callable[[Any], dict[str, float]] | None = None


# Units of the columns every daily table starts with, and of its label columns.
KEY_UNITS = {"replicate": "index", "day": "days since day 0"}
LABEL_UNIT = "label"


def ratio(num: float, den: float) -> float:
    """num / den, NaN (null in summary.json) when there is nothing to divide by."""
    return num / den if den > 0 else math.nan


def reported_days(out: Any) -> int:
    return int(out.scenario.scenario.days)


def interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 2.5/97.5 percentiles over the non-null replicates (None when all are null)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return {"mean": None, "lo": None, "hi": None}
    lo, hi = np.quantile(v, [0.025, 0.975])
    return {"mean": float(v.mean()), "lo": float(lo), "hi": float(hi)}
