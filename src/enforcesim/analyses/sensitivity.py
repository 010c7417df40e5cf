"""Global sensitivity analysis (Sobol indices, with SALib) of outputs to the uncertain inputs.

The inputs are the scenario's `[uncertainty]` entries, with their own distributions: SALib's
Saltelli sample is drawn on the unit cube and each column is mapped through the same inverse
CDF the engine uses for its draws (`enforcesim.uncertainty.draw_value`: truncated to the
value's allowed range, integers rounded), so the analysis covers exactly the uncertainty a
run samples. Sobol indices do not change under such a per-input monotone map.

Each sample row is one run of the scenario with those values fixed, the same seed for every
row (common random numbers: process noise is held fixed, so the output is a deterministic
function of the inputs) and `replicates` replicates averaged.
The sample has N x (D + 2) rows for D inputs (first-order and total indices, no
second-order); SALib's bootstrap gives 95 % confidence intervals of each index.

Holding the noise fixed does not remove it: the seed's own part of the output is a function
of the inputs too, and the indices credit it to them. `noise_seeds=K` runs the nominal point
(every input at its median) with K seeds and reports, per metric, the noise floor
var_seeds / var_sample below which an index cannot be told from process noise
(analyses/noise_floor.py gives the theory).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import StudyError
from ..execution import Executor, Run
from ..execution.executors import ProgressCallback
from ..files import write_atomic, write_json
from ..results import METRICS
from ..scenario import Scenario, parse_scenario
from ..scenario.uncertainty import draw_value
from .common import LoadedScenario, load
from .noise_floor import NoiseFloor, floor_table, nominal_values
from .noise_floor import noise_seeds as seeds_for_noise
from .points import run_points
from .sweep import Axis, apply_point
from .workload import check_study

DEFAULT_METRICS = ("cost_per_removal", "removals_per_day")
DEFAULT_N = 32
DEFAULT_RESAMPLES = 200
_EPS = 1e-9


@dataclass
class Sensitivity:
    """Sobol indices of each output to each uncertain input."""

    scenario: LoadedScenario
    inputs: list[str]
    metrics: list[str]
    n: int
    replicates: int
    seed: int
    resamples: int
    samples: pd.DataFrame  # one row per run: the input values and the outputs
    indices: pd.DataFrame  # metric, input, S1, S1_conf, ST, ST_conf
    notes: list[str] = field(default_factory=list)
    execution: dict[str, Any] = field(default_factory=dict)  # where the runs ran (provenance)
    noise: NoiseFloor | None = None  # with noise_seeds > 0

    def write(self, out_dir: str | Path) -> Path:
        from ..outdir import replacing

        with replacing(out_dir, "sensitivity") as out:
            self._write_into(out)
        return Path(out_dir)

    def _write_into(self, out: Path) -> None:
        write_atomic(out / "samples.csv", self.samples.to_csv(index=False))
        write_atomic(out / "indices.csv", self.indices.to_csv(index=False))
        write_atomic(out / "scenario.toml", self.scenario.text)
        noise: dict[str, Any] = {}
        if self.noise is not None:
            write_atomic(out / "noise.csv", self.noise.table.to_csv(index=False))
            write_atomic(out / "noise_runs.csv", self.noise.runs.to_csv(index=False))
            noise = {
                "noise_seeds": self.noise.seeds,
                "nominal_point": self.noise.nominal,
                "noise_floor": self.noise.floors(),
            }
        write_json(
            out / "manifest.json",
            {
                "tool": "sensitivity",
                "version": __version__,
                "scenario": self.scenario.name,
                "source": str(self.scenario.path),
                "scenario_sha256": self.scenario.file_sha256,
                "overrides": self.scenario.overrides,
                "inputs": {
                    p: d.model_dump() for p, d in self.scenario.scenario.uncertainty.items()
                },
                "metrics": self.metrics,
                "n": self.n,
                "runs": len(self.samples),
                "replicates": self.replicates,
                "seed": self.seed,
                "bootstrap_resamples": self.resamples,
                "confidence_level": 0.95,
                "method": "Sobol first-order (S1) and total (ST) indices, Saltelli sampling "
                "(SALib 1.6 sample.sobol / analyze.sobol, no second order)",
                "notes": self.notes,
                "provenance": self.execution,
                **noise,
            },
        )


def sensitivity(
    scenario: str | Path,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    n: int = DEFAULT_N,
    replicates: int = 1,
    seed: int | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    workers: int | None = None,
    on_run: Callable[[int, int], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
    noise_seeds: int = 0,
) -> Sensitivity:
    """Sobol indices of `metrics` to the scenario's [uncertainty] inputs.

    `n` (a power of 2) is SALib's base sample size: N x (D + 2) runs of `replicates`
    replicates each. `seed` fixes the sample, the runs and the bootstrap. `overrides`
    (`--set`) apply to the scenario before anything else, [uncertainty] ranges included.
    The rows run as tasks on `executor` (default: `workers` local threads; a
    ClusterExecutor runs them on a Dask cluster) with the same numbers wherever they run.
    `noise_seeds` K > 0 adds K runs of the nominal point, one per seed, for the noise floor
    (`Sensitivity.noise`).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    ls = load(scenario, overrides)
    problems = []
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        problems.append(f"--metric {unknown[0]}: not a metric; valid: " + ", ".join(METRICS))
    if n < 2 or n & (n - 1):
        problems.append(f"--n {n}: must be a power of 2 (>= 2), e.g. 32, 64, 256")
    if replicates < 1:
        problems.append(f"--replicates {replicates}: must be >= 1")
    if resamples < 10:
        problems.append(f"--resamples {resamples}: must be >= 10")
    problems += _check_noise_seeds(noise_seeds)
    inputs = list(ls.scenario.uncertainty)
    if not inputs:
        problems.append(
            f"{ls.path}: has no [uncertainty] entries; they define the inputs "
            'and their ranges (e.g. "costs.bed_day" = { dist = "uniform", '
            "low = 130.0, high = 225.0 })"
        )
    if problems:
        raise StudyError(problems)
    seed = ls.scenario.scenario.seed if seed is None else seed
    d = len(inputs)
    problem = {"num_vars": d, "names": inputs, "bounds": [[0.0, 1.0]] * d}
    unit_sample = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    unit_sample = np.clip(unit_sample, _EPS, 1 - _EPS)
    draws = ls.scenario.uncertainty
    values = [
        [draw_value(p, draws[p], float(u)) for p, u in zip(inputs, row, strict=True)]
        for row in unit_sample
    ]
    base = {k: v for k, v in ls.raw.items() if k != "uncertainty"}

    runs = [
        parse_scenario(apply_point(base, [Axis(p, ()) for p in inputs], row), str(ls.path))
        for row in values
    ]
    nominal, nominal_run = _nominal(ls)
    seeds = seeds_for_noise(seed, noise_seeds)
    check_study(str(ls.path), "Sobol study", runs + [nominal_run] * len(seeds), replicates)

    # Every row is one run on the executor, all with the same seed (common random numbers);
    # after them the nominal point once per noise seed.
    planned = [Run(sc, seed, replicates, str(ls.path)) for sc in runs]
    planned += [Run(nominal_run, s, replicates, str(ls.path)) for s in seeds]
    outputs, execution = run_points(
        planned,
        metrics,
        ls.content_sha256,
        workers=workers,
        executor=executor,
        on_run=on_run,
        on_progress=on_progress,
    )
    samples = pd.DataFrame(values, columns=inputs)
    for m in metrics:
        samples[m] = [o[m] for o in outputs[: len(runs)]]
    noise = None
    if seeds:
        noise = _noise(seeds, nominal, outputs[len(runs) :], samples, metrics)
    rows, notes = [], []
    for m in metrics:
        y = samples[m].to_numpy(dtype=float)
        if np.isnan(y).any():
            notes.append(
                f"{m}: null in {int(np.isnan(y).sum())} of {y.size} runs (a ratio "
                "with a zero denominator); no indices"
            )
            continue
        if np.ptp(y) == 0:
            notes.append(f"{m}: the same in every run; no input changes it (indices 0)")
            rows += [
                {"metric": m, "input": p, "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
                for p in inputs
            ]
            continue
        si = sobol_analyze.analyze(
            problem, y, calc_second_order=False, num_resamples=resamples, conf_level=0.95, seed=seed
        )
        rows += [
            {
                "metric": m,
                "input": p,
                "S1": float(si["S1"][j]),
                "S1_conf": float(si["S1_conf"][j]),
                "ST": float(si["ST"][j]),
                "ST_conf": float(si["ST_conf"][j]),
            }
            for j, p in enumerate(inputs)
        ]
    indices = pd.DataFrame(rows, columns=["metric", "input", "S1", "S1_conf", "ST", "ST_conf"])
    return Sensitivity(
        ls,
        inputs,
        list(metrics),
        n,
        replicates,
        seed,
        resamples,
        samples,
        indices,
        notes + (noise.notes if noise else []),
        execution,
        noise,
    )


def runs_needed(n: int, inputs: int) -> int:
    return n * (inputs + 2)


def noise_floor(
    scenario: str | Path,
    samples: pd.DataFrame,
    *,
    metrics: Sequence[str],
    seed: int,
    replicates: int = 1,
    noise_seeds: int = 8,
    workers: int | None = None,
    executor: Executor | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> NoiseFloor:
    """The noise floor of a Sobol sample run before (the samples.csv of a sensitivity
    folder, with its scenario, seed and replicates): what `sensitivity(noise_seeds=K)` would
    have added, without running the sample again."""
    ls = load(scenario, overrides)
    problems = _check_noise_seeds(noise_seeds)
    if noise_seeds == 0:
        problems.append("--noise-seeds 0: a noise floor needs at least 2 seeds")
    missing = [c for c in [*ls.scenario.uncertainty, *metrics] if c not in samples.columns]
    if missing:
        problems.append(f"samples: no column {missing[0]!r} (the sample of another scenario?)")
    if problems:
        raise StudyError(problems)
    nominal, nominal_run = _nominal(ls)
    seeds = seeds_for_noise(seed, noise_seeds)
    check_study(str(ls.path), "noise floor", [nominal_run] * len(seeds), replicates)
    outputs, _ = run_points(
        [Run(nominal_run, s, replicates, str(ls.path)) for s in seeds],
        metrics,
        ls.content_sha256,
        workers=workers,
        executor=executor,
    )
    return _noise(seeds, nominal, outputs, samples, metrics)


def _check_noise_seeds(k: int) -> list[str]:
    if k < 0 or k == 1:
        return [f"--noise-seeds {k}: must be 0 (no noise floor) or >= 2 (a variance needs two)"]
    return []


def _nominal(ls: LoadedScenario) -> tuple[dict[str, float | int], Scenario]:
    """The nominal point's values and its scenario (every input at its median)."""
    nominal = nominal_values(ls.scenario.uncertainty)
    base = {k: v for k, v in ls.raw.items() if k != "uncertainty"}
    axes = [Axis(p, ()) for p in nominal]
    return nominal, parse_scenario(apply_point(base, axes, list(nominal.values())), str(ls.path))


def _noise(
    seeds: list[int],
    nominal: dict[str, float | int],
    outputs: Sequence[Mapping[str, float]],
    samples: pd.DataFrame,
    metrics: Sequence[str],
) -> NoiseFloor:
    runs = pd.DataFrame({"seed": seeds})
    for m in metrics:
        runs[m] = [o[m] for o in outputs]
    table, notes = floor_table(runs, samples, metrics, len(nominal))
    return NoiseFloor(seeds, nominal, runs, table, notes)
