"""Benchmark of the execution layer on a local Dask cluster (docs/execution.md).

    .venv/bin/python benchmarks/execution.py          # also run by `make bench`

Measures, at 1 and 2 single-threaded worker processes:
  1. tiny tasks (a no-op): tasks per second and the scheduling overhead per task;
  2. known compute: enforcesim tasks of one replicate each whose time alone (in this
     process, kernel compiled) is measured first; parallel efficiency =
     serial time of all tasks / (workers x wall time on the cluster);
  3. the time of one replicate of scenarios/library/goal-3000-buildout-100k.toml, and from
     these the projected wall time of a Sobol study at N = 256 over its 8 uncertain inputs
     (256 x (2 x 8 + 2) = 4,608 points) on a 64-core cluster:
         T = points x t_point / (cores x efficiency) + points x overhead
     where t_point = replicates x t_replicate, and the overhead (the scheduler's, paid once
     per task whatever the cluster size) is the tiny-task figure at 2 workers;
  4. the calibration bootstrap of `calibrate run` (3 fits x 100 refits): in this process,
     and in batches (Calls) on the cluster.
Writes benchmarks/execution.json and prints a Markdown table. Nothing asserts a time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "execution.json"
LIBRARY = ROOT / "scenarios" / "library" / "goal-3000-buildout-100k.toml"
SOBOL_N, CORES = 256, 64
TINY_TASKS, COMPUTE_TASKS = 400, 16
BOOT_REFITS = 100  # per fit, as `calibrate run`; the status quo has 3 fits


def noop(i: int) -> int:
    return i


def compute_tasks(n: int) -> list:
    from enforcesim.execution import Task, resolve
    from enforcesim.scenario import parse_scenario

    raw = tomllib.loads((ROOT / "benchmarks" / "scenarios" / "bench.toml").read_text())
    raw["scenario"]["days"] = 120
    sc = parse_scenario(raw)
    data = resolve(sc, 1, n)
    return [Task(data, 1, i, i + 1) for i in range(n)]


def bootstrap_seconds(fits, executor=None) -> float:
    from enforcesim.analyses.calibration.bootstrap import bootstrap_fits

    bootstrap_fits(fits, 1, executor=executor)  # imports on the workers
    started = time.perf_counter()
    bootstrap_fits(fits, BOOT_REFITS, executor=executor)
    return time.perf_counter() - started


def main() -> None:
    from distributed import Client, LocalCluster, wait

    from enforcesim.analyses.calibration.bootstrap import plan
    from enforcesim.analyses.calibration.status_quo import fit_status_quo
    from enforcesim.execution import run_task
    from enforcesim.execution.cluster import ClusterExecutor
    from enforcesim.execution.tasks import package_version
    from enforcesim.scenario import load_scenario

    logging.getLogger("distributed").setLevel(logging.ERROR)
    tasks = compute_tasks(COMPUTE_TASKS)
    run_task(tasks[0])  # compile or load the kernel before timing
    started = time.perf_counter()
    for t in tasks:
        run_task(t)
    serial_s = time.perf_counter() - started
    per_task_s = serial_s / len(tasks)
    fits = fit_status_quo("2024-09-30").fits
    boot_serial_s = bootstrap_seconds(fits)

    rows = []
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(run_task, tasks[0])  # each worker loads the kernel once
            wait(client.map(noop, range(20), pure=False))
            started = time.perf_counter()
            wait(client.map(noop, range(TINY_TASKS), pure=False))
            tiny_s = time.perf_counter() - started
            started = time.perf_counter()
            wait(client.map(run_task, tasks, pure=False))
            compute_s = time.perf_counter() - started
            boot_s = bootstrap_seconds(fits, ClusterExecutor(client))
        rows.append(
            {
                "workers": workers,
                "tiny_tasks_per_s": TINY_TASKS / tiny_s,
                "overhead_per_task_ms": 1000 * tiny_s / TINY_TASKS,
                "compute_task_s": per_task_s,
                "compute_wall_s": compute_s,
                "efficiency": serial_s / (workers * compute_s),
                "bootstrap_wall_s": boot_s,
                "bootstrap_refits_per_task": plan(fits, BOOT_REFITS, 6, 0, workers)[0][2].args[2],
            }
        )

    sc = load_scenario(LIBRARY)
    from enforcesim.execution import Task, resolve

    one = Task(resolve(sc, sc.scenario.seed, 1), sc.scenario.seed, 0, 1)
    run_task(one)  # the arrest side's kernel flavour
    started = time.perf_counter()
    run_task(one)
    t_rep = time.perf_counter() - started
    d = len(sc.uncertainty)
    points = SOBOL_N * (2 * d + 2)
    reps = sc.scenario.replicates
    t_point = reps * t_rep
    eff = rows[-1]["efficiency"]
    overhead = rows[-1]["overhead_per_task_ms"] / 1000
    projected = points * t_point / (CORES * eff) + points * overhead
    result = {
        "date": dt.date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "load_average": os.getloadavg(),
        },
        "enforcesim": package_version(),
        "rows": rows,
        "bootstrap": {
            "refits": len(fits) * BOOT_REFITS,
            "in_process_s": boot_serial_s,
            "refit_s": boot_serial_s / (len(fits) * BOOT_REFITS),
        },
        "sobol": {
            "scenario": str(LIBRARY.relative_to(ROOT)),
            "uncertain_inputs": d,
            "N": SOBOL_N,
            "points": points,
            "replicates_per_point": reps,
            "replicate_s": t_rep,
            "point_s": t_point,
            "cores": CORES,
            "efficiency_assumed": eff,
            "overhead_per_task_s": overhead,
            "projected_wall_s": projected,
        },
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| workers | tiny tasks/s | overhead/task | compute task | wall (16 tasks) | efficiency |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['tiny_tasks_per_s']:,.0f} | "
            f"{r['overhead_per_task_ms']:.2f} ms | {r['compute_task_s']:.3f} s | "
            f"{r['compute_wall_s']:.2f} s | {r['efficiency']:.2f} |"
        )
    s = result["sobol"]
    print(
        f"\nSobol N={SOBOL_N} over {d} inputs of {s['scenario']}: {points:,} points x {reps} "
        f"replicates, {t_rep:.2f} s/replicate = {t_point:.1f} s/point; on {CORES} cores at "
        f"efficiency {eff:.2f} + {overhead * 1000:.1f} ms/task: {projected / 60:,.1f} min"
    )
    b = result["bootstrap"]
    print(
        f"\nCalibration bootstrap, {b['refits']} refits: {b['in_process_s']:.1f} s in this process "
        f"({1000 * b['refit_s']:.0f} ms/refit); on the cluster "
        + ", ".join(
            f"{r['workers']} worker(s) {r['bootstrap_wall_s']:.1f} s "
            f"(batches of {r['bootstrap_refits_per_task']})"
            for r in rows
        )
    )


if __name__ == "__main__":
    sys.exit(main())
