"""Results of a run: per-replicate metrics, their summary with intervals, the daily tables
with their units, and atomic writing of `summary.json` and the daily Parquet files
(contract v1).

Every metric, per-entity block and daily column is declared by the stage that owns it
(stages/outputs.py); this module iterates over the stages' declarations, part by part, so
the summary lists the contract's metrics first and each later part after them.
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .engine.runner import ReplicateOutput
from .scenario import CONTRACT_VERSION, Scenario
from .stages import (
    breakdowns,
    daily_columns,
    daily_groups,
    daily_keys,
    daily_units,
    foregone_per_day,
    metric_definitions,
    replicate_values,
)
from .stages.arrests import ARREST_CLASS_METRICS, arrest_breakdown
from .stages.book_ins import STREAM_METRICS, stream_metrics
from .stages.cases import PATHWAY_METRICS, REMOVAL_SHARE_PATHWAYS, pathway_metrics, pathway_names
from .stages.outputs import interval
from .stages.transport import MODE_METRICS, mode_metrics, mode_names
from .units import with_units

# Names callers import from here, built from the stages' declarations.
__all__ = [
    "ARREST_CLASS_METRICS",
    "ARREST_DAILY_COLUMNS",
    "ARREST_METRICS",
    "CASE_DAILY_COLUMNS",
    "CASE_METRICS",
    "DAILY_COLUMNS",
    "EXTRA_DAILY_COLUMNS",
    "METRICS",
    "MODE_METRICS",
    "OFFICER_DAILY_COLUMNS",
    "PATHWAY_METRICS",
    "STREAM_DAILY_COLUMNS",
    "STREAM_METRICS",
    "V1_PATHWAYS",
    "Results",
    "arrest_breakdown",
    "arrest_metrics",
    "case_metrics",
    "interval",
    "mode_metrics",
    "mode_names",
    "pathway_metrics",
    "pathway_names",
    "replicate_metrics",
    "stream_metrics",
]

# name -> (unit, meaning), in summary order: the contract's metrics, the arrest side's (with
# [arrests]) and the case side's (with a case-side mechanism).
METRICS = metric_definitions(part="contract")
ARREST_METRICS = metric_definitions(part="arrests")
CASE_METRICS = metric_definitions(part="cases")
V1_PATHWAYS = REMOVAL_SHARE_PATHWAYS

# Columns of daily.parquet that results add from the costs and constraints, which span the
# stages: the day's all-in cost, and per constraint whether it binds that day.
COST_COLUMN = {"cost_all_in": ("USD", "the day's all-in cost, every component (docs/costs.md)")}
BINDING_UNIT = "flag (true: the constraint binds that day)"

DAILY_COLUMNS = daily_columns("daily", contract=True)
EXTRA_DAILY_COLUMNS: dict[str, tuple[str, str]] = {
    name: unit_meaning
    for g in daily_groups()["daily"]
    if not g.contract
    for name, unit_meaning in g.columns.items()
} | COST_COLUMN
STREAM_DAILY_COLUMNS = daily_columns("daily_streams")
ARREST_DAILY_COLUMNS = daily_columns("daily_arrests")
OFFICER_DAILY_COLUMNS = daily_columns("daily_officers")
CASE_DAILY_COLUMNS = daily_columns("daily_cases")


def replicate_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The contract's metrics of one replicate (NaN stands for null)."""
    return replicate_values(out, part="contract")


def arrest_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The arrest-side metrics of one replicate (a scenario with [arrests])."""
    return replicate_values(out, part="arrests")


def case_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The case-side metrics of one replicate (NaN stands for null)."""
    return replicate_values(out, part="cases")


def intervals(per_replicate: list[Any]) -> Any:
    """Nested dicts of one value per replicate -> the same dicts with an interval per leaf."""
    first = per_replicate[0]
    if isinstance(first, dict):
        return {k: intervals([p[k] for p in per_replicate]) for k in first}
    return interval(np.array(per_replicate, dtype=float))


def bottleneck_indicators(sc: Scenario, outputs: list[ReplicateOutput]) -> dict[str, Any]:
    """The part of summary.json's `bottlenecks` block every run has (no extra runs): per
    constraint that applies, the share of reported days it binds; and per cause (a
    constraint's name) the attempts foregone per day, where a stage turns attempts down
    (with [arrests]). Attribution (bottlenecks.py) adds its keys beside these."""
    from .constraints import CONSTRAINTS, binding_flags

    flags = [binding_flags(o) for o in outputs]
    block: dict[str, Any] = {
        "binding_share": {
            name: interval(np.array([f[name].mean() for f in flags]))
            for name, c in CONSTRAINTS.items()
            if c.applies(sc)
        }
    }
    foregone = [foregone_per_day(o) for o in outputs]
    if foregone[0]:
        block["foregone_per_day"] = intervals(foregone)
    return block


@dataclass
class Results:
    """What a run produced; `summary()` and `daily()` are pandas DataFrames."""

    scenario: Scenario
    replicates: list[ReplicateOutput]
    scenario_sha256: str
    source: str = "<scenario>"
    extra: dict[str, Any] = field(default_factory=dict)
    bottlenecks: dict[str, Any] | None = None  # bottlenecks.attribute(), when requested
    central: dict[str, Any] | None = None  # central.central_block(), with [uncertainty]

    def __post_init__(self) -> None:
        rows = [replicate_values(r, self.scenario) for r in self.replicates]
        self._metrics = pd.DataFrame(rows, columns=list(self.metric_names()))
        self._metrics.index.name = "replicate"

    def metric_names(self) -> dict[str, tuple[str, str]]:
        """The metrics of this run: the contract's, then the arrest side's with [arrests],
        then the case side's when configured."""
        return metric_definitions(self.scenario)

    # --- tables -------------------------------------------------------------------------
    def replicate_metrics(self) -> pd.DataFrame:
        """One row per replicate, one column per metric (NaN = null)."""
        return self._metrics.copy()

    def summary(self) -> pd.DataFrame:
        """One row per metric: mean, lo, hi over replicates, with its unit."""
        rows = []
        for name, (unit, _) in self.metric_names().items():
            iv = interval(self._metrics[name].to_numpy(dtype=float))
            rows.append({"metric": name, **iv, "unit": unit})
        return pd.DataFrame(rows).set_index("metric")

    def daily_table(self, table: str) -> pd.DataFrame:
        """One row per replicate, day and label (stream, source and criminality ...): the
        columns the stages give the table, in their order."""
        sc = self.scenario
        days, n = sc.scenario.days, len(self.replicates)
        labels = {key: list(fn(sc)) for key, fn in daily_keys(table).items()}
        per_day = math.prod(len(v) for v in labels.values())
        data: dict[str, Any] = {
            "replicate": np.repeat(np.arange(n, dtype=np.int64), days * per_day),
            "day": np.tile(np.repeat(np.arange(days, dtype=np.int64), per_day), n),
        }
        inner = per_day
        for key, names in labels.items():  # label columns vary slowest first (C order)
            inner //= len(names)
            pattern = np.repeat(names, inner)
            data[key] = pd.Categorical(np.tile(pattern, days * n * per_day // len(pattern)), names)
        for g in daily_groups()[table]:
            per_rep = [g.values(r) for r in self.replicates]
            for j, col in enumerate(g.columns):
                data[col] = np.concatenate([np.reshape(v[j], -1) for v in per_rep])
        return pd.DataFrame(data)

    def daily(self) -> pd.DataFrame:
        """One row per replicate and day: the contract's columns first, then bed-days,
        departures, the all-in cost and a `binding_NAME` flag per constraint (the optional
        ones only where they apply)."""
        from .constraints import binding_flags, reported
        from .costs import daily_costs

        df = self.daily_table("daily")
        df["cost_all_in"] = np.concatenate([sum(daily_costs(r).values()) for r in self.replicates])
        flags = [binding_flags(r) for r in self.replicates]
        for name in reported(self.scenario):
            df[f"binding_{name}"] = np.concatenate([f[name] for f in flags])
        return df

    def daily_tables(self) -> dict[str, pd.DataFrame]:
        """Every daily table of this run, by file stem."""
        return {t: self.daily() if t == "daily" else self.daily_table(t) for t in self.tables}

    @property
    def tables(self) -> list[str]:
        return list(daily_groups(self.scenario))

    def units(self, table: str) -> dict[str, str]:
        """The unit of each column of a daily table (written as Arrow field metadata)."""
        units = daily_units(table)
        if table == "daily":
            units |= {name: unit for name, (unit, _) in COST_COLUMN.items()}
            units |= {f"binding_{c}": BINDING_UNIT for c in self.binding_names()}
        return units

    def binding_names(self) -> list[str]:
        from .constraints import reported

        return reported(self.scenario)

    # Each stage's table by name, for callers that read one of them.
    def daily_streams(self) -> pd.DataFrame:
        return self.daily_table("daily_streams")

    def daily_arrests(self) -> pd.DataFrame:
        return self.daily_table("daily_arrests")

    def daily_officers(self) -> pd.DataFrame:
        return self.daily_table("daily_officers")

    def daily_cases(self) -> pd.DataFrame:
        return self.daily_table("daily_cases")

    def stream_names(self) -> list[str]:
        return [name for name, _ in self.scenario.classes()]

    def blocks(self) -> dict[str, Any]:
        """The stages' per-entity blocks of summary.json (per stream, source, pathway, mode):
        each metric's mean, lo, hi over replicates."""
        return {
            b.block: intervals([b.compute(r) for r in self.replicates])
            for b in breakdowns(self.scenario)
        }

    def mode_summary(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Per removal mode: mean, lo, hi over replicates."""
        return self.blocks().get("modes", {})

    def drawn_parameters(self) -> pd.DataFrame:
        return pd.DataFrame([r.drawn for r in self.replicates])

    # --- summary.json -------------------------------------------------------------------
    def summary_dict(self) -> dict[str, Any]:
        from .central import interval_notes
        from .costs import budgets_summary, costs_summary
        from .scenario.fitted import event_provenance

        sc = self.scenario
        metrics = {
            name: interval(self._metrics[name].to_numpy(dtype=float))
            for name in self.metric_names()
        }
        targets = {}
        for name, target in sc.targets.model_dump().items():
            if target is None:
                continue
            values = self._metrics[name].to_numpy(dtype=float)
            ok = values[~np.isnan(values)]
            targets[name] = {
                "target": float(target),
                "achieved": float(ok.mean()) if ok.size else None,
                "probability_met": float(np.mean(np.nan_to_num(values, nan=-np.inf) >= target)),
            }
        drawn = self.drawn_parameters()
        return {
            "contract": CONTRACT_VERSION,
            "scenario": sc.scenario.name,
            "seed": sc.scenario.seed,
            "replicates": sc.scenario.replicates,
            "version": __version__,
            "scenario_sha256": self.scenario_sha256,
            "metrics": metrics,
            "units": {name: unit for name, (unit, _) in self.metric_names().items()},
            "targets": targets,
            "interval": {
                "kind": "process noise and parameter uncertainty"
                if sc.uncertainty
                else "process noise only (no [uncertainty] in the scenario)",
                "lo": "2.5th percentile over replicates",
                "hi": "97.5th percentile over replicates",
                **interval_notes(sc),
            },
            "parameters": {p: interval(drawn[p].to_numpy(dtype=float)) for p in drawn.columns},
            **({"central": self.central} if self.central is not None else {}),
            **self.blocks(),
            "costs": costs_summary(self.replicates),
            **({"budgets": budgets_summary(self.replicates)} if sc.budget else {}),
            "bottlenecks": bottleneck_indicators(sc, self.replicates) | (self.bottlenecks or {}),
            "provenance": {
                "package": "enforcesim",
                "version": __version__,
                "source": self.source,
                "scenario_sha256": self.scenario_sha256,
                "seed": sc.scenario.seed,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "numba": _numba_version(),
                "platform": platform.platform(terse=True),
                **event_provenance(sc),
                **self.extra,
            },
        }

    def write(self, out_dir: str | Path, csv: bool = False) -> Path:
        """Write summary.json and the daily Parquet tables into out_dir, atomically, each
        column with its unit as Arrow field metadata; with `csv`, each daily table also as
        CSV beside its Parquet file.

        Everything is written into a hidden sibling folder first, which then replaces
        out_dir in one rename: an interrupted or failed write leaves no partial directory.
        out_dir must be new, empty or hold earlier results of a run; anything else raises
        `enforcesim.outdir.OutDirError` (docs/study-tools.md, "Output folders").
        """
        from .outdir import replacing

        with replacing(out_dir, "run") as tmp:
            for name, frame in self.daily_tables().items():
                table = pa.Table.from_pandas(frame, preserve_index=False)
                pq.write_table(with_units(table, self.units(name)), tmp / f"{name}.parquet")
            text = json.dumps(_jsonable(self.summary_dict()), indent=2, allow_nan=False)
            (tmp / "summary.json").write_text(text + "\n")
            if csv:
                from .files import write_csv_copies

                write_csv_copies(tmp)
        return Path(out_dir)


def _numba_version() -> str:
    import numba

    return numba.__version__


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k_: _jsonable(v) for k_, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if math.isnan(obj) or math.isinf(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
