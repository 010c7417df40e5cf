"""Costs of a run: unit costs x volumes, per day and component; totals, ratios and fiscal
years with intervals over replicates; and budgets (when each appropriation runs out, what it
sustains).

The stages produce the volumes (each stage module's `VOLUMES`: name -> function of a
replicate output giving one number per reported day, or None when the run does not produce
it); the costs stage (stages/costs.py) prices them (`COMPONENTS`, `[costs.items.NAME]`) and
follows the budgets. This module gathers every stage's volumes for a replicate and sums the
replicates up into the `costs` and `budgets` blocks of summary.json. `register_volume` and
`register_component` let another mechanism add its own.

The contract's `cost_total` metric (results.py) is untouched: these are the all-in costs.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from .engine.runner import ReplicateOutput
from .stages import STAGES
from .stages.costs import (
    COMPONENTS,
    COST_METRICS,
    VOLUME_NAMES,
    Budget,
    Volumes,
    budget_use,
    day_of,
    dollars_by_day,
    per_removal,
    register_component,
    replicate_totals,
    tiered_bed_cost,
    year_labels,
)
from .stages.outputs import interval
from .stages.volume import VolumeFn

__all__ = [
    "COMPONENTS",
    "COST_METRICS",
    "VOLUMES",
    "budget_replicate",
    "budgets_summary",
    "costs_summary",
    "daily_costs",
    "register_component",
    "register_volume",
    "replicate_costs",
    "tiered_bed_cost",
    "volumes",
    "year_labels",
]


def _stage_volumes() -> dict[str, VolumeFn]:
    """Every stage's volumes, in the order the costs stage reports them; each volume a cost
    item can name comes from exactly one stage."""
    found: dict[str, VolumeFn] = {}
    for stage in STAGES:
        for name, fn in stage.volumes.items():
            assert name not in found, f"volume {name} of stage {stage.name} given twice"
            found[name] = fn
    assert set(found) == set(VOLUME_NAMES), set(found) ^ set(VOLUME_NAMES)
    return {name: found[name] for name in VOLUME_NAMES}


VOLUMES: dict[str, VolumeFn] = _stage_volumes()


def register_volume(name: str, fn: VolumeFn) -> None:
    """Let a mechanism supply (or replace) a per-day volume."""
    VOLUMES[name] = fn


def volumes(out: ReplicateOutput) -> Volumes:
    """Every registered volume of one replicate, per reported day (zeros where absent)."""
    days = len(out.daily.beds)
    result = {}
    for name, fn in VOLUMES.items():
        v = fn(out)
        result[name] = np.zeros(days) if v is None else np.asarray(v, dtype=np.float64)
    return result


def daily_costs(out: ReplicateOutput) -> dict[str, np.ndarray]:
    """Dollars per reported day of one replicate, by component and cost item."""
    return dollars_by_day(out.scenario.costs, volumes(out))


def replicate_costs(out: ReplicateOutput) -> dict[str, Any]:
    """Totals of one replicate: all-in total and ratios, by component, by year."""
    return replicate_totals(out.scenario, daily_costs(out), volumes(out))


def _interval(values: list[float]) -> dict[str, float | None]:
    return interval(np.array(values, dtype=np.float64))


def costs_summary(outputs: list[ReplicateOutput]) -> dict[str, Any]:
    """The `costs` block of summary.json."""
    per = [replicate_costs(o) for o in outputs]
    sc = outputs[0].scenario
    years = list(per[0]["by_year"])
    counts = dict(zip(*np.unique(year_labels(sc), return_counts=True), strict=True))
    return {
        "note": "all-in costs of every component (docs/costs.md); cost_total in metrics is "
        "the contract v1 definition",
        "metrics": {m: _interval([p["metrics"][m] for p in per]) for m in per[0]["metrics"]},
        "by_component": {
            name: {
                "total": _interval([p["by_component"][name] for p in per]),
                "per_removal": _interval(
                    [per_removal(p["by_component"][name], p["volumes"]) for p in per]
                ),
            }
            for name in per[0]["by_component"]
        },
        "by_year": {
            y: {"days": int(counts[y]), "total": _interval([p["by_year"][y] for p in per])}
            for y in years
        },
        "volumes": {
            name: _interval([p["volumes"][name] for p in per]) for name in per[0]["volumes"]
        },
    }


# --- budgets ----------------------------------------------------------------------------


def budget_replicate(
    out: ReplicateOutput, budget: Budget, daily: dict[str, np.ndarray] | None = None
) -> dict[str, float]:
    """One replicate's use of one appropriation (stages/costs.py `budget_use`)."""
    daily = daily_costs(out) if daily is None else daily
    return budget_use(out.scenario, budget, daily, volumes(out))


def budgets_summary(outputs: list[ReplicateOutput]) -> dict[str, Any]:
    """The `budgets` block of summary.json: one entry per `[budget.NAME]`."""
    sc = outputs[0].scenario
    result: dict[str, Any] = {}
    per_daily = [daily_costs(o) for o in outputs]
    for name, budget in sc.budget.items():
        rows = [budget_replicate(o, budget, d) for o, d in zip(outputs, per_daily, strict=True)]
        out_days = np.array([r["runs_out_day"] for r in rows])
        finite = out_days[np.isfinite(out_days)]
        entry: dict[str, Any] = {
            "amount_usd": budget.amount_usd,
            "pays_for": list(budget.pays_for),
            "period_days": [
                max(day_of(sc, budget.start), 0),
                sc.scenario.days - 1 if budget.end is None else day_of(sc, budget.end),
            ],
            "spent_in_horizon": _interval([r["spent_in_horizon"] for r in rows]),
            "probability_runs_out": float(np.isfinite(out_days).mean()),
            "runs_out_day": _interval(list(finite)) if finite.size else None,
            "runs_out_projected_share": float(np.mean([r["projected"] for r in rows])),
            "sustainable_beds": _interval([r["sustainable_beds"] for r in rows]),
            "sustainable_removals_per_day": _interval(
                [r["sustainable_removals_per_day"] for r in rows]
            ),
        }
        start = sc.scenario.start_date
        if start is not None and entry["runs_out_day"] is not None:
            entry["runs_out_date"] = {
                key: (start + timedelta(days=int(math.floor(v)))).isoformat()
                for key, v in entry["runs_out_day"].items()
                if v is not None
            }
        result[name] = entry
    return result
