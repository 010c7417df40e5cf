"""Jobs: runs, sweeps and the quick flagship study, queued and run in the background.

A fixed number of jobs run at once (Limits.concurrent_jobs), each on its own local executor
of the execution layer; the others wait in a priority queue (the page's requests before the
library scenarios computed at start). A run is cut into tasks of one replicate each, so its
progress and a first answer come as replicates finish: replicate i depends only on the seed
and i, so the first k finished replicates are exactly those of a run of k replicates, and
the answer refines towards the full run's. A cancel drops the tasks not yet started; a
replicate already running finishes first (the kernel is not interrupted mid-replicate).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import queue
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..execution import LocalExecutor, ProgressEvent, RunOutput, Task, TaskFailure, resolve, run_all
from ..execution import Run as ExecRun
from ..results import Results
from ..scenario import Scenario
from .series import binding_shares, headline, series
from .settings import Settings
from .specs import RunSpec, SweepSpec
from .store import Store

log = logging.getLogger("enforcesim.web")

PRIORITY_USER = 0
PRIORITY_PRECOMPUTE = 10
PARTIAL_EVERY_S = 0.5  # at most two partial answers a second per job
CANCEL_NOTE = "cancel requested: a replicate already running finishes first"


class QueueFull(Exception):
    """More jobs waiting than the queue holds (429)."""


class JobError(Exception):
    """A job that cannot go on for a reason the user can act on (a limit reached)."""


class _Cancelled(Exception):
    pass


@dataclass
class Job:
    id: str
    kind: str
    spec: Any
    priority: int
    shared: bool = False  # a library scenario computed at start: others may follow it
    cancel: threading.Event = field(default_factory=threading.Event)
    executor: LocalExecutor | None = None
    running: bool = False


class JobManager:
    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.limits = settings.limits
        self.store = store
        self._queue: queue.PriorityQueue[tuple[int, int, str]] = queue.PriorityQueue()
        # The library scenarios computed at start run one at a time on a thread of their own,
        # so they never hold every slot while a reader waits for a changed lever.
        self._shared_queue: queue.PriorityQueue[tuple[int, int, str]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._jobs: dict[str, Job] = {}  # active jobs (queued or running)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        n = self.store.interrupt_unfinished()
        if n:
            log.info("%d job(s) of an earlier server marked interrupted", n)
        for i in range(self.limits.concurrent_jobs):
            t = threading.Thread(
                target=self._work, args=(self._queue,), name=f"enforcesim-job-{i}", daemon=True
            )
            t.start()
            self._threads.append(t)
        t = threading.Thread(
            target=self._work, args=(self._shared_queue,), name="enforcesim-library", daemon=True
        )
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs, cancel the running ones (their running replicate finishes) and
        mark every unfinished job interrupted."""
        self._stopping.set()
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()
                if job.executor is not None:
                    job.executor.cancel()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self.store.interrupt_unfinished()

    # --- submitting ----------------------------------------------------------------------
    def submit(
        self, kind: str, spec: Any, request: dict[str, Any], priority: int = PRIORITY_USER
    ) -> tuple[str, bool]:
        """Queue a job; returns its id and whether it was answered from the store at once.
        Raises QueueFull beyond the queue depth."""
        key = spec.key
        with self._lock:
            if kind == "run" and self.store.result(key) is not None:
                job_id = secrets.token_urlsafe(18)
                self.store.create_job(job_id, kind, request, key)
                self.store.set_status(job_id, "done", progress=1.0)
                return job_id, True
            if kind == "run":
                for job in self._jobs.values():
                    if job.shared and job.spec.key == key and not job.cancel.is_set():
                        return job.id, False
            waiting = sum(1 for j in self._jobs.values() if not (j.running or j.shared))
            if waiting >= self.limits.queue_depth:
                raise QueueFull(
                    f"{waiting} jobs are waiting, the most this server queues; try again later"
                )
            job_id = secrets.token_urlsafe(18)
            self.store.create_job(job_id, kind, request, key)
            job = Job(job_id, kind, spec, priority, shared=priority == PRIORITY_PRECOMPUTE)
            self._jobs[job_id] = job
            target = self._shared_queue if job.shared else self._queue
            target.put((priority, next(self._seq), job_id))
        return job_id, False

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job; returns its status after the request (None: no such job)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                row = self.store.job(job_id)
                return None if row is None else row["status"]
            if job.shared:
                return "shared"
            job.cancel.set()
            if not job.running:
                del self._jobs[job_id]
                self.store.set_status(job_id, "cancelled")
                return "cancelled"
            if job.executor is not None:
                job.executor.cancel()
            return "running"

    def cancelling(self, job_id: str) -> bool:
        job = self._jobs.get(job_id)
        return job is not None and job.cancel.is_set()

    def queued_ahead(self, job_id: str) -> int | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.running:
                return None
            return sum(
                1
                for j in self._jobs.values()
                if j.id != job_id and not j.shared and (j.running or j.priority <= job.priority)
            )

    # --- running -------------------------------------------------------------------------
    def _work(self, jobs: queue.PriorityQueue[tuple[int, int, str]]) -> None:
        while not self._stopping.is_set():
            try:
                _, _, job_id = jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.running or job.cancel.is_set():
                    continue
                job.running = True
                self.store.set_status(job_id, "running")
            try:
                self._run(job)
            except ScenarioError as exc:
                self._finish(job, "failed", error=problems_doc(exc))
            except JobError as exc:
                self._finish(job, "failed", error={"message": str(exc)})
            except _Cancelled:
                self._finish(job, "cancelled")
            except Exception:  # a bug: keep the server up, tell the client nothing of it
                log.exception("job %s failed", job_id)
                self._finish(job, "failed", error={"message": "internal error (see the log)"})

    def _finish(self, job: Job, status: str, **fields: Any) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
            if self._stopping.is_set() and status != "done":
                return  # stop() marks it interrupted: it did not end on its own
            self.store.set_status(job.id, status, **fields)

    def _run(self, job: Job) -> None:
        if job.kind == "run":
            self._run_one(job, job.spec)
        elif job.kind == "sweep":
            self._run_sweep(job, job.spec)
        elif job.kind == "flagship":
            self._run_flagship(job)
        else:
            raise ValueError(f"unknown job kind {job.kind}")

    def _check_cancel(self, job: Job) -> None:
        if job.cancel.is_set():
            raise _Cancelled

    def _run_one(self, job: Job, spec: RunSpec) -> None:
        if self.store.result(spec.key) is not None:  # another job finished it meanwhile
            self._finish(job, "done", progress=1.0)
            return
        sc = spec.scenario
        n = spec.replicates
        data = resolve(sc)
        tasks = [Task(data, spec.seed, i, i + 1, spec.source.label) for i in range(n)]
        outputs: dict[int, Any] = {}
        cpu = 0.0
        last_partial = 0.0
        prefix = 0
        with LocalExecutor(self.limits.threads()) as executor:
            job.executor = executor
            self._check_cancel(job)
            for _, outcome in executor.run(tasks):
                if isinstance(outcome, TaskFailure):
                    err = outcome.scenario_error()
                    if err is not None:
                        raise err
                    raise JobError(f"a replicate failed: {outcome.message()}")
                outputs[outcome.start] = outcome.outputs[0]
                cpu += outcome.seconds
                if cpu > self.limits.max_cpu_seconds:
                    executor.cancel()
                    raise JobError(
                        f"stopped after {cpu:.0f} s of compute, more than this server's limit "
                        f"of {self.limits.max_cpu_seconds:.0f} s per job"
                    )
                if job.cancel.is_set():
                    break
                while prefix in outputs:
                    prefix += 1
                now = time.monotonic()
                partial = None
                if prefix < n and prefix and (now - last_partial >= PARTIAL_EVERY_S):
                    partial = self._partial(spec, data, [outputs[i] for i in range(prefix)])
                    last_partial = now
                self.store.set_progress(job.id, len(outputs) / n * 0.95, partial)
        job.executor = None
        self._check_cancel(job)
        ordered = [outputs[i] for i in range(n)]
        found = None
        if sc.bottlenecks is not None:
            from ..bottlenecks import attribute

            found = attribute(sc, ordered, self.limits.threads(), spec.source.label)
        self._store_result(spec, self._results(spec, sc, ordered, found))
        self._finish(job, "done", progress=1.0, partial=None)

    def _results(
        self, spec: RunSpec, sc: Scenario, outputs: list[Any], found: Any = None
    ) -> Results:
        extra = {"overrides": dict(spec.overrides)} if spec.overrides else {}
        return Results(sc, outputs, spec.source.sha256, spec.source.label, extra, found)

    def _partial(self, spec: RunSpec, data: dict[str, Any], outputs: list[Any]) -> dict[str, Any]:
        """The answer from the first replicates: the same as a run of that many."""
        sc = Scenario.model_validate(
            {**data, "scenario": {**data["scenario"], "replicates": len(outputs)}}
        )
        results = self._results(spec, sc, outputs)
        summary = json.loads(_summary_json(results))
        doc = series(results)
        return {
            "replicates_done": len(outputs),
            "headline": headline(summary),
            "binding": binding_shares(doc),
            "series": doc,
        }

    def _store_result(self, spec: RunSpec, results: Results) -> None:
        folder = self.store.result_dir(spec.key)
        results.write(folder, csv=True)
        summary = json.loads((folder / "summary.json").read_text())
        self.store.put_result(spec.key, summary, series(results))

    # --- sweeps and the flagship ---------------------------------------------------------
    def _run_sweep(self, job: Job, spec: SweepSpec) -> None:
        runs = [ExecRun(p.scenario, p.seed, p.replicates, p.source.label) for p in spec.points]
        points: list[dict[str, Any] | None] = [None] * len(runs)
        limit = self.limits.max_cpu_seconds
        over = []

        def on_run(out: RunOutput) -> None:
            p = spec.points[out.index]
            results = self._results(p, out.scenario, out.outputs)
            summary = json.loads(_summary_json(results))
            points[out.index] = {
                "values": p.levers,
                "key": p.key,
                "metrics": summary["metrics"],
                "targets": summary["targets"],
                "costs": summary.get("costs", {}).get("metrics", {}),
            }

        def on_progress(ev: ProgressEvent) -> None:
            done = ev.completed + ev.failed
            self.store.set_progress(job.id, done / max(ev.total, 1) * 0.99)
            # Threads run in parallel: wall time x threads bounds the compute spent.
            if ev.elapsed_s * executor.slots > limit:
                over.append(ev.elapsed_s)
                executor.cancel()
            if job.cancel.is_set():
                executor.cancel()

        with LocalExecutor(self.limits.threads()) as executor:
            job.executor = executor
            self._check_cancel(job)
            run_all(runs, executor, on_run, on_progress)
        job.executor = None
        if over:
            raise JobError(f"stopped at this server's limit of {limit:.0f} s of compute per job")
        self._check_cancel(job)
        result = {"vary": spec.vary, "points": points}
        self._finish(job, "done", progress=1.0, result=result)

    def _run_flagship(self, job: Job) -> None:
        # Through the command line, in a process of its own: the flagship study belongs to the
        # study tools (nothing else imports it), and a process can be stopped at once.
        out = self.flagship_dir(job.id)
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "enforcesim.cli",
            "study",
            "flagship",
            "--quick",
            "--quiet",
            "--out",
            str(out),
            "--workers",
            str(self.limits.threads()),
        ]
        started = time.monotonic()
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as proc:
            while proc.poll() is None:
                if job.cancel.is_set():
                    proc.terminate()
                    proc.communicate()
                    raise _Cancelled
                if time.monotonic() - started > self.limits.max_cpu_seconds:
                    proc.kill()
                    proc.communicate()
                    raise JobError(
                        f"stopped at this server's limit of {self.limits.max_cpu_seconds:.0f} s "
                        "per job"
                    )
                time.sleep(0.2)
            stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            log.error("flagship job %s: exit %d\n%s", job.id, proc.returncode, stderr)
            raise JobError(f"the flagship study failed (exit code {proc.returncode})")
        result = {
            "report": f"/api/flagship/{job.id}/report.html",
            "plan": "quick",
            "headlines": [line for line in stdout.splitlines() if line.strip()],
        }
        self._finish(job, "done", progress=1.0, result=result)

    def flagship_dir(self, job_id: str) -> Path:
        return self.store.data_dir / "flagship" / job_id


def _summary_json(results: Results) -> str:
    """summary.json's text, as Results.write writes it (no NaN: null)."""

    def clean(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else None
        if hasattr(obj, "item"):  # numpy scalars
            return clean(obj.item())
        return obj

    return json.dumps(clean(results.summary_dict()), allow_nan=False, default=str)


def problems_doc(exc: ScenarioError) -> dict[str, Any]:
    """A ScenarioError as the API reports it: one entry per problem, naming the field (the
    dotted key, or `--set PATH` for an override), the value and what is allowed."""
    from ..errors import NO_VALUE

    out = []
    for p in exc.problems:
        entry: dict[str, Any] = {"field": p.key or "scenario", "message": p.message}
        if p.value is not NO_VALUE:
            plain = isinstance(p.value, str | int | bool) or (
                isinstance(p.value, float) and math.isfinite(p.value)
            )
            entry["value"] = p.value if plain else str(p.value)
        out.append(entry)
    return {"message": "the scenario cannot be run", "problems": out}
