"""Bottleneck attribution: how much of each target's shortfall each constraint causes.

For n constraints that apply, the scenario is run with every subset S of them relaxed
(2^n runs, the same seed and replicates: common random numbers, since the engine draws each
arrival's attributes when it arrives, from its own stream per mechanism). v(S) is a target
metric with S relaxed, per replicate. The shortfall v(N) - v({}) is split between the
constraints by their Shapley values

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)),

which add up to the shortfall exactly (efficiency), give nothing to a constraint that never
changes the metric (null player) and the same to interchangeable ones (symmetry). They are
computed per replicate, so their intervals are over replicates like every other metric.

Against a target, the gap target - v({}) is the constraints' shortfall plus what lies beyond
every constraint, target - v(N) (negative when relaxing every constraint overshoots the
target); `gap_to_target` gives those parts, which add up to the gap. A constraint can earn
Shapley credit although relaxing it alone changes nothing: its credit averages its effect
over every set of other constraints already relaxed (docs/costs.md, "Shapley credit and
interactions").
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from .constraints import CONSTRAINTS, binding_flags
from .engine.runner import ReplicateOutput, check_fits_in_memory, run_replicates
from .results import arrest_metrics, interval, replicate_metrics
from .scenario import Scenario

MAX_CONSTRAINTS = 8  # 256 runs


def shapley(values: dict[frozenset[str], np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    """Exact Shapley values of each name for the game v(S) (any array shape, elementwise)."""
    n = len(names)
    out = {}
    for i in names:
        others = [x for x in names if x != i]
        phi = np.zeros_like(values[frozenset()], dtype=np.float64)
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in combinations(others, size):
                s = frozenset(subset)
                phi = phi + w * (values[s | {i}] - values[s])
        out[i] = phi
    return out


def relaxed(sc: Scenario, relax: frozenset[str]) -> Scenario:
    """The scenario with the named constraints relaxed (the same seed and replicates)."""
    if not relax:
        return sc
    data = sc.model_dump(exclude_none=True)
    for name in sorted(relax):
        CONSTRAINTS[name].relax(data)
    return Scenario.model_validate(data)


def constraint_names(sc: Scenario) -> list[str]:
    """The constraints attribution relaxes: those of [bottlenecks] (default all) that apply."""
    settings = sc.bottlenecks
    wanted = settings.constraints if settings and settings.constraints else list(CONSTRAINTS)
    return [c for c in wanted if CONSTRAINTS[c].applies(sc)]


def attribute(
    sc: Scenario,
    base: list[ReplicateOutput] | None = None,
    workers: int | None = None,
    source: str = "<scenario>",
) -> dict[str, Any]:
    """The `bottlenecks` block of summary.json for a scenario (its [bottlenecks] settings,
    or removals_per_day - and ice_arrests_per_day with [arrests] - over every constraint
    that applies)."""
    settings = sc.bottlenecks
    targets = (
        list(settings.targets)
        if settings and settings.targets
        else ["removals_per_day"] + (["ice_arrests_per_day"] if sc.arrests else [])
    )
    names = constraint_names(sc)
    if len(names) > MAX_CONSTRAINTS:
        raise ValueError(f"{len(names)} constraints: at most {MAX_CONSTRAINTS} (2^n runs)")
    values: dict[frozenset[str], dict[str, np.ndarray]] = {}
    for size in range(len(names) + 1):
        for subset in combinations(names, size):
            s = frozenset(subset)
            outs = base if (not s and base is not None) else None
            if outs is None:
                variant = relaxed(sc, s)
                check_fits_in_memory(variant, workers or 1, source)
                outs = run_replicates(variant, workers)
            metrics = [
                replicate_metrics(o) | (arrest_metrics(o) if sc.arrests else {}) for o in outs
            ]
            values[s] = {t: np.array([m[t] for m in metrics], dtype=np.float64) for t in targets}
            if not s:
                base = outs
    assert base is not None
    full = frozenset(names)
    result: dict[str, Any] = {}
    for t in targets:
        game = {s: v[t] for s, v in values.items()}
        phi = shapley(game, names)
        shortfall = game[full] - game[frozenset()]
        target = getattr(sc.targets, t, None)
        achieved = float(np.nanmean(game[frozenset()]))
        relaxed_mean = float(np.nanmean(game[full]))
        entry: dict[str, Any] = {
            "target": target,
            "achieved": interval(game[frozenset()]),
            "all_relaxed": interval(game[full]),
            "shortfall_from_constraints": interval(shortfall),
            "shapley": {i: interval(phi[i]) for i in names},
            "share": {
                i: (
                    float(np.nanmean(phi[i]) / np.nanmean(shortfall))
                    if np.nanmean(shortfall) != 0
                    else None
                )
                for i in names
            },
            "subsets": {
                "+".join(sorted(s)) or "none": float(np.nanmean(v)) for s, v in game.items()
            },
        }
        if target is not None:
            entry["shortfall_vs_target"] = max(float(target) - achieved, 0.0)
            entry["beyond_constraints"] = max(float(target) - relaxed_mean, 0.0)
            entry["gap_to_target"] = gap_to_target(entry)
        result[t] = entry
    flags = [binding_flags(o) for o in base]
    return {
        "method": "exact Shapley values over relaxing each constraint (2^n runs on common "
        "random numbers); shortfall = metric with every constraint relaxed - "
        "metric as run; intervals over replicates",
        "constraints": names,
        "relaxed_as": {n: CONSTRAINTS[n].relaxed_as for n in names},
        "runs": 2 ** len(names),
        "targets": result,
        "binding_day_share": {n: interval(np.array([f[n].mean() for f in flags])) for n in names},
    }


def gap_to_target(entry: dict[str, Any]) -> dict[str, Any] | None:
    """target - achieved split into parts that add up to it: each constraint's Shapley value
    (mean over replicates) and what lies beyond every constraint, target - the metric with
    every constraint relaxed (signed: negative when that run overshoots the target). None
    without a target."""
    target = entry.get("target")
    achieved = entry["achieved"]["mean"]
    relaxed_mean = entry["all_relaxed"]["mean"]
    if target is None or achieved is None or relaxed_mean is None:
        return None
    parts: dict[str, float] = {c: v["mean"] for c, v in entry["shapley"].items()}
    parts["beyond_constraints"] = float(target) - relaxed_mean
    return {"total": float(target) - achieved, "parts": parts}


def alone(entry: dict[str, Any]) -> dict[str, float]:
    """What relaxing each constraint on its own changes the metric by (mean over replicates):
    v({i}) - v({}), from the subsets."""
    sub = entry["subsets"]
    return {c: sub[c] - sub["none"] for c in entry["shapley"] if c in sub}
