"""Whole scenario runs through the execution layer: what `enforcesim.run` returns, with the
replicates (and the central run's) fanned out as tasks on an executor (docs/execution.md).

`run` runs its replicates on local threads; the studies that run several scenarios
(compare) hand them all to `results_on` instead, so that they run on a cluster as well as
here. The Results are assembled exactly as `run` assembles them, from the same replicate
outputs in replicate order, so the numbers are the same bit for bit. Bottleneck
attribution (a scenario with [bottlenecks]) still runs here, after the replicates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.runner import ReplicateOutput
from ..execution import Executor, LocalExecutor, Run, RunOutput, run_all
from ..execution.executors import ProgressCallback
from ..interrupt import interruptible
from ..results import Results
from ..scenario import Scenario
from .runs import load
from .workload import check_run


@dataclass(frozen=True)
class _Job:
    scenario: Scenario
    digest: str
    source: str
    central: Scenario | None  # the same scenario without [uncertainty], or None


def results_on(
    executor: Executor,
    scenarios: Sequence[str | Path | Scenario],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[Results]:
    """`enforcesim.run(s, seed=, replicates=, overrides=)` for each scenario, in order, with
    every run's replicates as tasks on `executor`. `on_done(i)` is called as scenario i's
    runs are all in (in the order they finish). `workers` is for the bottleneck
    attribution, which runs here. Raises ScenarioError, before anything runs, for a
    scenario that cannot run or exceeds the limits."""
    from ..central import central_block, without_uncertainty

    # The memory a run needs grows with the replicates held at once on one machine: the
    # local threads here; one task at a time on a cluster worker.
    at_once = executor.slots if isinstance(executor, LocalExecutor) else 1
    jobs = []
    for s in scenarios:
        sc, digest, source = load(s, seed=seed, replicates=replicates, overrides=overrides)
        check_run(sc, at_once, source, None, None)
        central = without_uncertainty(sc) if sc.uncertainty else None
        jobs.append(_Job(sc, digest, source, central))
    runs: list[Run] = []
    owner: list[tuple[int, bool]] = []  # (job, is the central run) of each run
    for j, job in enumerate(jobs):
        for sc, is_central in ((job.scenario, False), (job.central, True)):
            if sc is not None:
                runs.append(Run(sc, sc.scenario.seed, sc.scenario.replicates, job.source))
                owner.append((j, is_central))
    outputs: dict[tuple[int, bool], list[ReplicateOutput]] = {}

    def arrived(done: RunOutput) -> None:
        j, is_central = owner[done.index]
        outputs[(j, is_central)] = done.outputs
        whole = (j, False) in outputs and (jobs[j].central is None or (j, True) in outputs)
        if on_done is not None and whole:
            on_done(j)

    with interruptible():
        run_all(runs, executor, arrived, on_progress)
    out = []
    for j, job in enumerate(jobs):
        sc = job.scenario
        central_means = None
        if job.central is not None:
            plain = Results(job.central, outputs[(j, True)], job.digest, job.source)
            central_means = central_block(plain.summary_dict())
        found = None
        if sc.bottlenecks is not None:
            from ..bottlenecks import attribute
            from ..engine.runner import default_workers

            found = attribute(sc, outputs[(j, False)], workers or default_workers(), job.source)
        extra = {"overrides": _describe(overrides)} if overrides else {}
        out.append(
            Results(
                sc,
                outputs[(j, False)],
                job.digest,
                job.source,
                extra=extra,
                bottlenecks=found,
                central=central_means,
            )
        )
    return out


def _describe(overrides: Mapping[str, Any]) -> Any:
    from ..scenario.overrides import describe

    return describe(overrides)
