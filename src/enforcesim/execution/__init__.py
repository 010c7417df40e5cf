"""The execution layer: every study fans its runs out through here (docs/execution.md).

A task is a resolved scenario, a seed and a range of replicates (tasks.py), or a call of a
pure function on picklable arguments (calls.py: the calibration bootstrap's refits);
executors run tasks on this machine (threads or processes) or on a Dask cluster and report
progress; fanout.py cuts runs into tasks and puts their outputs back together in replicate
order, so the numbers never depend on where or in which order the tasks ran.
"""

from .calls import Call, CallResult, execute
from .executors import ExecutionError, Executor, LocalExecutor, ProgressEvent
from .fanout import Run, RunOutput, run_all
from .tasks import Task, TaskFailure, TaskResult, data_vintage, resolve, run_task, task_key

__all__ = [
    "Call",
    "CallResult",
    "ExecutionError",
    "Executor",
    "LocalExecutor",
    "ProgressEvent",
    "Run",
    "RunOutput",
    "Task",
    "TaskFailure",
    "TaskResult",
    "data_vintage",
    "execute",
    "resolve",
    "run_all",
    "run_task",
    "task_key",
]
