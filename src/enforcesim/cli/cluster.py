"""`enforcesim cluster local`: a Dask cluster on this machine, in the foreground.

The scheduler's address is the first line of standard output (and nothing else is written
there), so scripts can read it: `ADDR=$(enforcesim cluster local --workers 4 | head -1)`.
Ctrl-C stops the workers and the scheduler.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ..execution.executors import Executor

# --cluster for every study command (the sweep's has its own help text).
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        envvar="ENFORCESIM_CLUSTER",
        help="Run on the Dask cluster at this address (tcp://HOST:PORT, see `enforcesim "
        "cluster local`; default: ENFORCESIM_CLUSTER); the numbers are the same as locally.",
    ),
]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command("local")
def local_cmd(
    workers: Annotated[
        int, typer.Option(help="Worker processes, one task at a time each.", min=1, max=1024)
    ] = 2,
    port: Annotated[
        int, typer.Option(help="Scheduler port (0: any free port).", min=0, max=65535)
    ] = 0,
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0 for other machines).")
    ] = "127.0.0.1",
) -> None:
    """Start a local Dask cluster; print its address first; run until Ctrl-C."""
    from distributed import LocalCluster

    stop = threading.Event()
    # Worker processes inherit an ignored SIGINT: a Ctrl-C in the terminal reaches the whole
    # process group, and only this process should act on it (by closing the cluster).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host=host,
        scheduler_port=port,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        sys.stdout.write(f"{cluster.scheduler_address}\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"enforcesim cluster: scheduler {cluster.scheduler_address}, {workers} worker "
            "process(es); use it with `--cluster ADDRESS` or ENFORCESIM_CLUSTER; Ctrl-C stops it\n"
        )
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        # Workers lost to the signal as well are expected now; their warnings are noise.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        cluster.close(timeout=10)
    sys.stderr.write("enforcesim cluster: stopped\n")


@contextmanager
def executor_for(
    address: str | None, workers: int | None, processes: bool = False
) -> Iterator[Executor]:
    """The executor a study command runs on: the cluster at `address` (the --cluster option
    or ENFORCESIM_CLUSTER), else `workers` local threads (processes with `processes`). An
    ExecutionError, on connecting or later, ends the command with its message and no
    traceback."""
    from ..execution.executors import ExecutionError, LocalExecutor

    try:
        if address:
            from ..execution.cluster import ClusterExecutor

            executor: Executor = ClusterExecutor.at(address)
        else:
            executor = LocalExecutor(workers, processes=processes)
        with executor:
            yield executor
    except ExecutionError as exc:
        sys.stderr.write("\n".join(exc.problems) + "\n")
        raise typer.Exit(exc.code) from None
