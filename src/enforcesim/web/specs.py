"""From a request to a validated job: the scenario with its levers and overrides applied,
checked by the same schema and limits as the command line plus this server's own limits,
and its content key. Everything here raises ScenarioError, whose problems become a 422 that
names each field and what is allowed; nothing runs before a request passes."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..analyses.workload import check_run, run_workload
from ..api import load
from ..errors import NO_VALUE, Problem, ScenarioError
from ..execution import resolve, task_key
from ..scenario import Scenario
from .levers import Source, overrides_for
from .settings import Limits

REQUEST = "request"


@dataclass(frozen=True)
class RunSpec:
    source: Source
    scenario: Scenario  # validated, seed and replicates applied
    overrides: dict[str, Any]  # every override, levers' included, in the order applied
    levers: dict[str, Any]
    key: str

    @property
    def seed(self) -> int:
        return self.scenario.scenario.seed

    @property
    def replicates(self) -> int:
        return self.scenario.scenario.replicates


@dataclass(frozen=True)
class SweepSpec:
    base: RunSpec
    vary: dict[str, list[Any]]
    points: list[RunSpec] = field(default_factory=list)

    @property
    def key(self) -> str:
        doc = json.dumps([p.key for p in self.points])
        return hashlib.sha256(doc.encode()).hexdigest()


def _limit(key: str, value: Any, message: str) -> ScenarioError:
    return ScenarioError([Problem(REQUEST, key, value, message)])


def prepare_run(
    source: Source,
    limits: Limits,
    *,
    overrides: Mapping[str, Any] | None = None,
    levers: Mapping[str, Any] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
) -> RunSpec:
    """A validated run; raises ScenarioError naming every problem."""
    overrides = dict(overrides or {})
    levers = dict(levers or {})
    if len(overrides) + len(levers) > limits.max_overrides:
        raise _limit(
            "overrides",
            len(overrides) + len(levers),
            f"at most {limits.max_overrides} overrides and levers together (a limit of this "
            "server)",
        )
    if replicates is not None and not 1 <= replicates <= limits.max_replicates:
        raise _limit(
            "replicates",
            replicates,
            f"must be 1 to {limits.max_replicates} (a limit of this server)",
        )
    applied = {**overrides_for(source, levers), **overrides} if levers else overrides
    sc, _, _ = load(source.raw, seed=seed, replicates=replicates, overrides=applied)
    check_limits(sc, limits, source.label)
    key = task_key(resolve(sc), sc.scenario.seed, 0, sc.scenario.replicates)
    return RunSpec(source, sc, applied, levers, key)


def check_limits(sc: Scenario, limits: Limits, label: str) -> float:
    """This server's limits on one run (replicates, horizon, events), then the command
    line's own (memory, events); returns the estimated events."""
    s = sc.scenario
    if s.replicates > limits.max_replicates:
        raise _limit(
            "scenario.replicates",
            s.replicates,
            f"at most {limits.max_replicates} replicates (a limit of this server)",
        )
    if s.days + s.warmup_days > limits.max_days:
        raise _limit(
            "scenario.days",
            s.days,
            f"warm-up plus days at most {limits.max_days} (a limit of this server; here "
            f"{s.warmup_days} + {s.days})",
        )
    threads = limits.threads()
    work = run_workload(sc, threads, None, central=False)
    if work.events > limits.max_events:
        raise _limit(
            "scenario",
            NO_VALUE,
            f"this run would simulate {work.describe()}, more than this server's limit of "
            f"{limits.max_events:.3g} events per job; use fewer replicates, fewer days or "
            "lower rates",
        )
    check_run(sc, threads, label, None, central=False)
    return work.events


def prepare_sweep(base: RunSpec, vary: Mapping[str, list[Any]], limits: Limits) -> SweepSpec:
    """Every point of the grid `vary` (path -> values) over the base run, each validated."""
    if not vary:
        raise _limit("vary", NO_VALUE, "give at least one path with a list of values")
    n = 1
    for path, values in vary.items():
        if not isinstance(values, list) or not values:
            raise _limit(f"vary.{path}", values, "must be a non-empty list of values")
        n *= len(values)
    if n > limits.max_sweep_points:
        raise _limit(
            "vary", n, f"at most {limits.max_sweep_points} points (a limit of this server)"
        )
    points = []
    total = 0.0
    for combo in itertools.product(*vary.values()):
        point = dict(zip(vary, combo, strict=True))
        sc, _, _ = load(
            base.source.raw,
            seed=base.seed,
            replicates=base.replicates,
            overrides={**base.overrides, **point},
        )
        total += check_limits(sc, limits, base.source.label)
        key = task_key(resolve(sc), sc.scenario.seed, 0, sc.scenario.replicates)
        points.append(RunSpec(base.source, sc, {**base.overrides, **point}, point, key))
    if total > limits.max_events:
        raise _limit(
            "vary",
            n,
            f"this sweep would simulate about {total:.3g} events, more than this server's "
            f"limit of {limits.max_events:.3g} events per job",
        )
    return SweepSpec(base, dict(vary), points)
