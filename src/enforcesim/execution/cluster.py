"""Tasks on a Dask distributed cluster (docs/execution.md).

Dask rather than Ray: it is pure Python and a small install that works offline, and its
scheduler already re-runs the tasks of a worker that dies (up to the scheduler's
`allowed-failures`, 3 by default). Connecting checks that the scheduler answers within a
short timeout and that every worker runs the same enforcesim, NumPy, Numba and Python as
this machine: otherwise the same seed could give other numbers, so such workers are refused.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .calls import Outcome, Work, execute, failure
from .executors import ExecutionError, Executor
from .tasks import environment

if TYPE_CHECKING:
    from distributed import Client

ENV_ADDRESS = "ENFORCESIM_CLUSTER"
ENV_TIMEOUT = "ENFORCESIM_CLUSTER_TIMEOUT"
DEFAULT_TIMEOUT_S = 15.0
# Exceptions in a task (not worker deaths, which the scheduler handles) are tried again this
# often: a task is deterministic, so this only helps against transient trouble on a worker.
RETRIES = 2

_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*):(\d{1,5})$")


def check_address(address: str) -> str:
    """The address, stripped, if it has the form tcp://HOST:PORT; ExecutionError otherwise."""
    text = address.strip()
    m = _ADDRESS.match(text)
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise ExecutionError(
            [
                f"--cluster {address!r}: not a cluster address; expected tcp://HOST:PORT, "
                "such as the first line `enforcesim cluster local` prints"
            ]
        )
    return text


def connect_timeout() -> float:
    text = os.environ.get(ENV_TIMEOUT)
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise ExecutionError([f"{ENV_TIMEOUT}={text!r}: must be a number of seconds in (0, 600]"])
    return value


def connect(address: str, timeout: float | None = None) -> Client:
    """A client of the scheduler at `address`, with at least one worker, every worker
    checked by check_workers. Raises ExecutionError (one line) within about 2 x timeout."""
    from distributed import Client

    # The client's own retries and reconnects log warnings; the outcome is reported here.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    address = check_address(address)
    timeout = connect_timeout() if timeout is None else timeout
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutionError(
            [
                f"--cluster {address}: no scheduler answered within {timeout:g} s "
                f"({type(exc).__name__}); is `enforcesim cluster local` (or dask scheduler) "
                "running there?"
            ]
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise ExecutionError(
                [f"--cluster {address}: the scheduler has no workers (waited {timeout:g} s)"]
            ) from None
        check_workers(client)
    except BaseException:
        client.close()
        raise
    return client


def check_workers(client: Client, expected: dict[str, str] | None = None) -> None:
    """Refuse workers whose versions differ from `expected` (default: this machine's)."""
    expected = environment() if expected is None else expected
    try:
        found = client.run(environment)
    except Exception as exc:  # a worker that cannot even import enforcesim
        raise ExecutionError(
            [f"cluster workers cannot run enforcesim ({type(exc).__name__}: {exc})"]
        ) from None
    problems = []
    for worker, env in sorted(found.items()):
        diff = [f"{k} {env.get(k)} (here {v})" for k, v in expected.items() if env.get(k) != v]
        if diff:
            problems.append(f"cluster worker {worker} refused: it has " + ", ".join(diff))
    if problems:
        raise ExecutionError(
            problems + ["install the same versions on every worker (docs/execution.md)"]
        )


class ClusterExecutor(Executor):
    """Tasks on a Dask cluster, through a connected client (see connect)."""

    name = "dask"

    def __init__(self, client: Client, own_client: bool = False):
        super().__init__()
        self.client = client
        self.own_client = own_client

    @classmethod
    def at(cls, address: str, timeout: float | None = None) -> ClusterExecutor:
        return cls(connect(address, timeout), own_client=True)

    @property
    def slots(self) -> int:
        info = self.client.scheduler_info(n_workers=-1)
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "scheduler": self.client.scheduler.address}

    def _results(self, tasks: Sequence[Work]) -> Iterator[tuple[int, Outcome]]:
        from distributed import as_completed

        # Keys are content hashes: equal tasks are one task, and a resubmitted sweep finds
        # results the scheduler still holds.
        keys = [f"enforcesim-{t.key}" for t in tasks]
        indices: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            indices.setdefault(key, []).append(i)
        unique = [tasks[idx[0]] for idx in indices.values()]
        futures = self.client.map(execute, unique, key=list(indices), retries=RETRIES, pure=False)
        by_key = {f.key: f for f in futures}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                if self.cancelled:
                    return
                # Not `fut.status`: a worker that dies after the task finished loses its
                # result, the scheduler computes it again, and result() waits for that.
                try:
                    outcome: Outcome = fut.result()
                except Exception as exc:  # the task's own exception, after its retries
                    outcome = failure(tasks[indices[fut.key][0]], f"{type(exc).__name__}: {exc}")
                for i in indices[fut.key]:
                    yield i, outcome
                del by_key[fut.key]
        finally:
            if by_key:
                self.client.cancel(list(by_key.values()))

    def close(self) -> None:
        if self.own_client:
            self.client.close()
