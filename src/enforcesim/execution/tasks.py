"""A task: a resolved scenario, a seed and a range of replicates; its result and its key.

Replicate i of a run depends only on the seed and i (rng.py), so a run can be cut into
ranges [start, stop) anywhere, run on any machine in any order, and put back together in
replicate order with the same numbers, bit for bit.

A task carries the scenario as the validated model's dict (after overrides), not a file
path: a worker needs no access to the files of the machine that submitted it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import socket
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..engine.runner import ReplicateOutput, check_fits_in_memory, simulate_replicates
from ..errors import NO_VALUE, Problem, ScenarioError
from ..scenario import Scenario, parse_scenario

_compile_lock = threading.Lock()


def resolve(sc: Scenario, seed: int | None = None, replicates: int | None = None) -> dict:
    """The canonical dict of a validated scenario with seed and replicates overridden: what
    a task carries and what its key hashes."""
    data = sc.model_dump(exclude_none=True)
    if seed is not None:
        data["scenario"]["seed"] = seed
    if replicates is not None:
        data["scenario"]["replicates"] = replicates
    return data


@dataclass(frozen=True)
class Task:
    """Replicates [start, stop) of a resolved scenario under a seed."""

    scenario: dict[str, Any]  # resolve(): the validated scenario's dict, overrides applied
    seed: int
    start: int
    stop: int
    source: str = "<scenario>"  # the file, for error messages only (not part of the key)
    validate: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.stop:
            raise ValueError(f"a task needs 0 <= start < stop, got [{self.start}, {self.stop})")

    @property
    def key(self) -> str:
        return task_key(self.scenario, self.seed, self.start, self.stop)


@dataclass(frozen=True)
class TaskResult:
    """The replicate outputs of a task, in replicate order, and where it ran (provenance
    only: it never enters the numbers)."""

    key: str
    start: int
    stop: int
    outputs: list[ReplicateOutput]
    worker: str
    seconds: float


@dataclass(frozen=True)
class TaskFailure:
    """A task that did not produce outputs: the scenario's own problems (a user error), or
    the error that stopped it (a lost worker, a bug), as text."""

    key: str
    start: int
    stop: int
    worker: str
    problems: list[tuple[str, str, Any, str]] = field(default_factory=list)
    error: str = ""

    def scenario_error(self) -> ScenarioError | None:
        if not self.problems:
            return None
        return ScenarioError([_problem_in(p) for p in self.problems])

    def message(self) -> str:
        err = self.scenario_error()
        return str(err) if err is not None else self.error


# Problem.value may be the NO_VALUE marker, which is compared by identity: it cannot travel
# through pickle, so problems travel as tuples with a flag in its place.
_NO_VALUE_TAG = ("enforcesim.errors.NO_VALUE",)


def _problem_out(p: Problem) -> tuple[str, str, Any, str]:
    return (p.file, p.key, _NO_VALUE_TAG if p.value is NO_VALUE else p.value, p.message)


def _problem_in(t: tuple[str, str, Any, str]) -> Problem:
    file, key, value, message = t
    return Problem(file, key, NO_VALUE if value == _NO_VALUE_TAG else value, message)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_task(task: Task) -> TaskResult | TaskFailure:
    """Run a task where this function is called (a thread, a process or a cluster worker).

    A scenario that cannot be run comes back as a TaskFailure with its problems, so that
    the submitter shows the scenario's own message; any other exception propagates (the
    cluster retries it).
    """
    started = time.perf_counter()
    try:
        sc = parse_scenario(task.scenario, task.source)
        check_fits_in_memory(sc, 1, task.source)
        # The kernel compiles (or loads from cache) once per process; threads must not race.
        with _compile_lock:
            simulate_replicates(sc, [], task.validate)
        outputs = simulate_replicates(sc, range(task.start, task.stop), task.validate)
    except ScenarioError as exc:
        return TaskFailure(
            task.key,
            task.start,
            task.stop,
            worker_name(),
            problems=[_problem_out(p) for p in exc.problems],
        )
    return TaskResult(
        task.key, task.start, task.stop, outputs, worker_name(), time.perf_counter() - started
    )


# --- the content key -----------------------------------------------------------------------


def _json_default(obj: Any) -> Any:
    if isinstance(obj, dt.date | dt.datetime):
        return {"date": obj.isoformat()}
    raise TypeError(f"{type(obj).__name__} in a resolved scenario")


def task_key(
    scenario: dict[str, Any],
    seed: int,
    start: int,
    stop: int,
    version: str | None = None,
    vintage: str | None = None,
) -> str:
    """SHA-256 of everything a task's outputs depend on: the resolved scenario, the seed,
    the replicate range, the package (version and source) and the data vintage. Equal keys
    mean equal outputs, so results may be cached and shared under this key (the sweep, the
    web app's job store)."""
    doc = {
        "scenario": scenario,
        "seed": int(seed),
        "replicates": [int(start), int(stop)],
        "package": package_version() if version is None else version,
        "data": data_vintage() if vintage is None else vintage,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def package_version() -> str:
    """The package version and a digest of its source files: two checkouts of the same
    version with different code have different numbers, and so different keys."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return f"{__version__}+src.{digest.hexdigest()[:16]}"


@lru_cache(maxsize=1)
def data_vintage() -> str:
    """The digest of the data manifest (MANIFEST.csv), which changes whenever a raw file
    does; "no-data" where the package runs without the project's data folder."""
    from ..data.errors import DataError
    from ..data.manifest import digest, read_manifest
    from ..data.paths import manifest_path

    try:
        return f"manifest:{digest(read_manifest(manifest_path()))}"
    except DataError:
        return "no-data"


def environment() -> dict[str, str]:
    """What must match between the submitter and the workers for identical numbers."""
    import numba
    import numpy
    import scipy

    return {
        "enforcesim": package_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "scipy": scipy.__version__,  # the calibration bootstrap's refits (least squares)
        "python": ".".join(platform.python_version_tuple()[:2]),
    }
