"""Run a list of scenario points on an executor and keep, per point, the mean over its
replicates of a few metrics: what a Sobol sample and its noise floor need of each run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..execution import Executor, LocalExecutor, Run, RunOutput, run_all
from ..execution.executors import ProgressCallback
from ..interrupt import interruptible
from ..results import Results


def run_points(
    runs: Sequence[Run],
    metrics: Sequence[str],
    content_sha256: str,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    on_run: Callable[[int, int], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[dict[str, float]], dict]:
    """Per run (in order), the replicate mean of each metric (NaN stands for null), and the
    executor's description for provenance. Without `executor`, `workers` local threads run
    them and are closed afterwards."""
    outputs: list[dict[str, float]] = [{} for _ in runs]
    done = [0]
    own = executor is None
    ex = LocalExecutor(workers) if executor is None else executor

    def arrived(run: RunOutput) -> None:
        res = Results(run.scenario, run.outputs, content_sha256, runs[run.index].source)
        per_rep = res.replicate_metrics()
        outputs[run.index] = {m: float(per_rep[m].mean()) for m in metrics}
        done[0] += 1
        if on_run is not None:
            on_run(done[0], len(runs))

    try:
        with interruptible():
            run_all(list(runs), ex, arrived, on_progress)
    finally:
        if own:
            ex.close()
    return outputs, ex.describe()
