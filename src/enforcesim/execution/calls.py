"""A second kind of task: a pure function applied to picklable arguments.

Scenario tasks (tasks.py) run replicates of the engine; a Call runs anything else that a
study fans out, such as a batch of the calibration bootstrap's refits. The function must be
importable by name (a module-level function: it travels to a worker as a reference, not as
code) and pure: its result depends only on its arguments and on the package's code, so a
call's content key (the function's name, a digest of its pickled arguments and the package
version) names its result as a scenario task's key names its outputs.

`execute` runs either kind where it is called; the executors hand it every task.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .tasks import Task, TaskFailure, TaskResult, package_version, run_task, worker_name

# Fixed, so that a key does not change with the Python version's default protocol.
PICKLE_PROTOCOL = 5


@dataclass(frozen=True)
class Call:
    """`fn(*args)` as a task. `label` names it in messages only (not part of the key)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        name = function_name(self.fn)
        if "<" in name:  # <lambda>, <locals>: a worker could not import it
            raise ValueError(f"a Call needs a module-level function, got {name}")

    @property
    def key(self) -> str:
        return call_key(self.fn, self.args)


@dataclass(frozen=True)
class CallResult:
    """What a call returned, and where it ran (provenance only)."""

    key: str
    value: Any
    worker: str
    seconds: float


Work = Task | Call
Outcome = TaskResult | CallResult | TaskFailure


def function_name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def call_key(fn: Callable[..., Any], args: tuple[Any, ...], version: str | None = None) -> str:
    """SHA-256 of the function's name, its pickled arguments and the package (version and
    source digest). Equal pickles unpickle to equal arguments, so equal keys mean equal
    results; equal arguments pickled differently only cost a second run."""
    doc = {
        "function": function_name(fn),
        "arguments": hashlib.sha256(pickle.dumps(args, protocol=PICKLE_PROTOCOL)).hexdigest(),
        "package": package_version() if version is None else version,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_call(call: Call) -> CallResult:
    """Run a call here; its exceptions propagate (the cluster retries them)."""
    started = time.perf_counter()
    value = call.fn(*call.args)
    return CallResult(call.key, value, worker_name(), time.perf_counter() - started)


def execute(work: Work) -> Outcome:
    """Run a task of either kind where this function is called."""
    if isinstance(work, Call):
        return run_call(work)
    return run_task(work)


def failure(work: Work, error: str) -> TaskFailure:
    """The failure of a task that raised `error` (a call has no replicate range: [0, 0))."""
    if isinstance(work, Call):
        what = work.label or function_name(work.fn)
        return TaskFailure(work.key, 0, 0, "", error=f"{what}: {error}")
    return TaskFailure(work.key, work.start, work.stop, "", error=error)
