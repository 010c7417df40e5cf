"""The calibration bootstrap on the execution layer: batches of refits as tasks.

`fit.bootstrap_refits(fit, start, stop, block, seed)` runs refits [start, stop) of one fit,
and refit i depends only on the fit, the seed and i. `bootstrap_fits` cuts the refits of
several fits into batches, sends each batch as a Call to an executor (local threads or
processes, or a Dask cluster), and puts each fit's rows back in refit order: the draws are
byte-identical whatever the executor, its number of workers, the cut and the order in
which the batches finish; without an executor they run here, in one batch per fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from ...execution import Call, TaskFailure
from ...execution.executors import ExecutionError, Executor, ProgressCallback
from .fit import AgencyFit, bootstrap_refits, resampling_inputs

# A refit takes about 0.1 s (a least-squares fit of 3 parameters to 12 months, measured in
# docs/execution.md); 5 of them outweigh a cluster task's overhead of a few ms many times.
MIN_REFITS_PER_TASK = 5


def refits_per_task(total: int, slots: int) -> int:
    """About 4 batches per slot, as for replicates, but no batch under MIN_REFITS_PER_TASK."""
    return max(MIN_REFITS_PER_TASK, math.ceil(total / (4 * slots)))


def plan(
    fits: Mapping[str, AgencyFit], refits: int, block: int, seed: int, slots: int
) -> list[tuple[str, int, Call]]:
    """The batches of every fit, as (fit name, first refit, call), in fit and refit order."""
    step = refits_per_task(len(fits) * refits, slots)
    out = []
    for name, fit in fits.items():
        for start in range(0, refits, step):
            stop = min(start + step, refits)
            label = f"bootstrap of {name}, refits {start}-{stop - 1}"
            out.append(
                (name, start, Call(bootstrap_refits, (fit, start, stop, block, seed), label))
            )
    return out


def bootstrap_fits(
    fits: Mapping[str, AgencyFit],
    refits: int,
    block: int = 6,
    seed: int = 0,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, AgencyFit]:
    """Each fit with `refits` moving-block bootstrap draws (`AgencyFit.boot`), the same as
    `fit_agency(..., bootstrap=refits, block=block, seed=seed)` would give it.

    A batch that fails (on a cluster, after its retries) raises ExecutionError (exit code
    1) naming it; an incomplete series raises ValueError before any batch starts."""
    for fit in fits.values():
        resampling_inputs(fit)
    if refits <= 0:
        return dict(fits)
    if executor is None:
        draws = {name: bootstrap_refits(fit, 0, refits, block, seed) for name, fit in fits.items()}
    else:
        draws = _fan_out(fits, refits, block, seed, executor, on_progress)
    return {name: dataclasses.replace(fit, boot=draws[name]) for name, fit in fits.items()}


def _fan_out(
    fits: Mapping[str, AgencyFit],
    refits: int,
    block: int,
    seed: int,
    executor: Executor,
    on_progress: ProgressCallback | None,
) -> dict[str, np.ndarray]:
    planned = plan(fits, refits, block, seed, executor.slots)
    parts: dict[str, dict[int, np.ndarray]] = {name: {} for name in fits}
    failed = []
    for i, outcome in executor.run([call for _, _, call in planned], on_progress):
        name, start, _ = planned[i]
        if isinstance(outcome, TaskFailure):
            failed.append(f"a bootstrap task failed: {outcome.message()}")
        else:
            parts[name][start] = outcome.value
    if failed:
        raise ExecutionError(failed, code=1)
    if sum(len(p) for p in parts.values()) < len(planned):
        raise ExecutionError(["the bootstrap was cancelled before all its batches ran"], 130)
    return {name: np.concatenate([p[s] for s in sorted(p)]) for name, p in parts.items()}
