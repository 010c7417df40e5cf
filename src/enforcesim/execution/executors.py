"""Executors run tasks and hand back their results as they finish.

Every executor has the same shape: `run(tasks, on_progress)` yields `(index, outcome)` in
the order tasks finish, where a task is a scenario Task or a Call (calls.py) and outcome
is its TaskResult or CallResult, or a TaskFailure; `cancel()` stops it
(tasks not yet started are dropped; the caller keeps what it already received). Progress
events count completed and failed tasks and estimate the time left.

The local executor runs tasks in threads (the kernel releases the GIL, so threads run in
parallel without copying state) or in a process pool; the cluster executor (cluster.py)
sends them to a Dask scheduler.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any

from ..engine.runner import default_workers
from .calls import Outcome, Work, execute
from .tasks import TaskFailure


class ExecutionError(Exception):
    """An executor that cannot run (a bad or unreachable cluster, mismatched workers) or
    tasks that failed for a reason other than the scenario; one message per problem."""

    def __init__(self, problems: list[str], code: int = 2):
        self.problems = problems
        self.code = code  # the command's exit code: 2 for bad input, 1 for failed tasks
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ProgressEvent:
    completed: int
    failed: int
    total: int
    elapsed_s: float

    @property
    def remaining(self) -> int:
        return self.total - self.completed - self.failed

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None before the first task finishes)."""
        done = self.completed + self.failed
        if done == 0:
            return None
        return self.elapsed_s / done * self.remaining

    def describe(self) -> str:
        """A short line for a progress display: tasks done, failed and time left."""
        text = f"tasks {self.completed}/{self.total}"
        if self.failed:
            text += f", {self.failed} failed"
        eta = self.eta_s
        if eta is not None and self.remaining:
            text += f", ~{eta / 60:.1f} min left" if eta >= 90 else f", ~{eta:.0f} s left"
        return text


ProgressCallback = Callable[[ProgressEvent], None]


class Executor:
    """Base of the executors: counting, progress events and cancellation."""

    name = "executor"

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    @property
    def slots(self) -> int:
        """How many tasks run at once (used to size tasks)."""
        return 1

    def describe(self) -> dict[str, Any]:
        """Where tasks run, for provenance."""
        return {"executor": self.name, "slots": self.slots}

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(
        self, tasks: Sequence[Work], on_progress: ProgressCallback | None = None
    ) -> Iterator[tuple[int, Outcome]]:
        self._cancelled.clear()
        started = time.perf_counter()
        completed = failed = 0
        if on_progress:
            on_progress(ProgressEvent(0, 0, len(tasks), 0.0))
        for i, outcome in self._results(tasks):
            if isinstance(outcome, TaskFailure):
                failed += 1
            else:
                completed += 1
            if on_progress:
                on_progress(
                    ProgressEvent(completed, failed, len(tasks), time.perf_counter() - started)
                )
            yield i, outcome
            if self.cancelled:
                return

    def _results(self, tasks: Sequence[Work]) -> Iterator[tuple[int, Outcome]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the executor's resources (threads, processes, a connection)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """Tasks on this machine: `workers` threads (default) or processes."""

    def __init__(self, workers: int | None = None, processes: bool = False):
        super().__init__()
        self.workers = max(1, workers or default_workers())
        self.processes = processes
        self.name = "local-processes" if processes else "local-threads"
        self._pool: ThreadPoolExecutor | ProcessPoolExecutor | None = None

    @property
    def slots(self) -> int:
        return self.workers

    def _get_pool(self) -> ThreadPoolExecutor | ProcessPoolExecutor:
        if self._pool is None:
            if self.processes:
                # spawn, not fork: the parent may hold threads (progress display, Numba)
                # whose locks a forked child would inherit held. The children ignore Ctrl-C,
                # which the terminal sends them too: the parent cancels their work.
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=ctx,
                    initializer=signal.signal,
                    initargs=(signal.SIGINT, signal.SIG_IGN),
                )
            else:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="enforcesim")
        return self._pool

    def _results(self, tasks: Sequence[Work]) -> Iterator[tuple[int, Outcome]]:
        pool = self._get_pool()
        pending: dict[Future[Outcome], int] = {}
        queue = iter(enumerate(tasks))

        def top_up() -> None:
            # Submit a little ahead of the workers only, so cancelling drops the rest at once.
            while len(pending) < 2 * self.workers and not self.cancelled:
                nxt = next(queue, None)
                if nxt is None:
                    return
                pending[pool.submit(execute, nxt[1])] = nxt[0]

        try:
            top_up()
            while pending:
                done, _ = wait_futures(list(pending), return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=pending.__getitem__):
                    i = pending.pop(fut)
                    yield i, fut.result()  # anything but a scenario error is a bug: raise
                top_up()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
