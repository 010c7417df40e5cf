"""Fan a list of runs out over an executor and hand each run back whole, as it finishes.

A run (a resolved scenario with its seed and replicates) is cut into tasks of consecutive
replicates, sized so that every slot of the executor has work; a run's outputs are put back
in replicate order before it is handed back, so the numbers do not depend on the cut, the
executor or the order in which tasks finish.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.runner import ReplicateOutput
from ..scenario import Scenario
from .executors import ExecutionError, Executor, ProgressCallback
from .tasks import Task, TaskFailure, TaskResult, resolve


@dataclass(frozen=True)
class Run:
    """One run to fan out: a validated scenario, its seed and number of replicates."""

    scenario: Scenario
    seed: int
    replicates: int
    source: str = "<scenario>"


@dataclass(frozen=True)
class RunOutput:
    index: int  # position in the list of runs
    scenario: Scenario  # the resolved scenario (seed and replicates applied)
    outputs: list[ReplicateOutput]  # in replicate order
    tasks: list[TaskResult]  # in replicate order: keys and workers, for provenance


def replicates_per_task(runs: int, replicates: int, slots: int) -> int:
    """Few enough tasks to keep overhead low, enough to give every slot about 4 tasks."""
    if runs >= 4 * slots:
        return replicates
    return max(1, math.ceil(runs * replicates / (4 * slots)))


def plan(runs: Sequence[Run], slots: int) -> list[tuple[int, Task]]:
    """The tasks of each run, as (run index, task), in run and replicate order."""
    out = []
    for r, run in enumerate(runs):
        data = resolve(run.scenario, run.seed, run.replicates)
        step = replicates_per_task(len(runs), run.replicates, slots)
        for start in range(0, run.replicates, step):
            stop = min(start + step, run.replicates)
            out.append((r, Task(data, run.seed, start, stop, run.source)))
    return out


def run_all(
    runs: Sequence[Run],
    executor: Executor,
    on_run: Callable[[RunOutput], None],
    on_progress: ProgressCallback | None = None,
) -> None:
    """Run every run on the executor; `on_run` gets each one as soon as its last task is in.

    Runs whose tasks fail are not handed back; the others go on. At the end, a failure with
    the scenario's own problems is raised as that ScenarioError (the first one), any other
    as ExecutionError naming each failed task.
    """
    planned = plan(runs, executor.slots)
    tasks = [t for _, t in planned]
    waiting: dict[int, dict[int, TaskResult]] = {}
    count = [0] * len(runs)
    for r, _ in planned:
        count[r] += 1
    failed: dict[int, TaskFailure] = {}
    for i, outcome in executor.run(tasks, on_progress):
        r = planned[i][0]
        if isinstance(outcome, TaskFailure):
            failed.setdefault(r, outcome)
            continue
        parts = waiting.setdefault(r, {})
        parts[outcome.start] = outcome
        if len(parts) == count[r] and r not in failed:
            ordered = [parts[s] for s in sorted(parts)]
            sc = Scenario.model_validate(planned[i][1].scenario)
            outputs = [o for part in ordered for o in part.outputs]
            del waiting[r]
            on_run(RunOutput(r, sc, outputs, ordered))
    if failed:
        first = failed[min(failed)]
        err = first.scenario_error()
        if err is not None:
            raise err
        raise ExecutionError(
            [
                f"run {r + 1} of {len(runs)}: a task failed: {f.message()}"
                for r, f in failed.items()
            ],
            code=1,
        )


def provenance(executor: Executor, out: RunOutput) -> dict[str, Any]:
    """Where a run's tasks ran: for provenance, never for the numbers."""
    return {
        **executor.describe(),
        "tasks": [
            {"replicates": [t.start, t.stop], "key": t.key, "worker": t.worker} for t in out.tasks
        ],
    }
