"""Benchmarks: enforcesim against the SimPy reference model, side by side in one run.

    make bench                      # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --simpy-days 30     # a shorter SimPy horizon

Measures, on the scenario benchmarks/scenarios/bench.toml (see benchmarks/README.md):
  1. throughput: book-ins simulated per CPU-second, enforcesim (compilation excluded) and
     SimPy on the same horizon and seed (so on the same people), and enforcesim on a year;
  2. wall time of 100 replicates of one year on all cores (workers=None);
  3. peak RSS of a 10-year replicate in a fresh subprocess, next to a subprocess that only
     imports enforcesim and compiles, and the same for SimPy's run.
Writes benchmarks/results.json and prints a Markdown table. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "bench.toml"
RESULTS = HERE / "results.json"
sys.path.insert(0, str(HERE))

METRICS_COMPARED = [
    "book_ins_per_day",
    "admitted_per_day",
    "turned_away_share",
    "detained",
    "removals_per_day",
    "releases_per_day",
    "length_of_stay_days",
    "wait_for_transport_days",
]


def scenario(days: int, replicates: int = 1) -> dict[str, Any]:
    raw = tomllib.loads(SCENARIO.read_text())
    raw["scenario"]["days"] = days
    raw["scenario"]["replicates"] = replicates
    return raw


def book_ins(metrics: Any, days: int) -> int:
    """Book-ins simulated: the scenario has no warm-up, so all of them are reported."""
    return int(round(float(metrics["book_ins_per_day"].sum()) * days))


def timed(fn: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall


# --- 1. throughput ----------------------------------------------------------------------
def enforcesim_throughput(days: int, repeats: int) -> dict[str, Any]:
    """One replicate on one thread, `repeats` times; the median CPU time."""
    import enforcesim

    sc = scenario(days)
    runs = [timed(lambda: enforcesim.run(sc, workers=1)) for _ in range(repeats)]
    metrics = runs[0][0].replicate_metrics()
    cpu = statistics.median(r[1] for r in runs)
    wall = statistics.median(r[2] for r in runs)
    n = book_ins(metrics, days)
    return {
        "model": "enforcesim",
        "days": days,
        "replicates": 1,
        "threads": 1,
        "repeats": repeats,
        "book_ins": n,
        "cpu_s": cpu,
        "wall_s": wall,
        "book_ins_per_cpu_s": n / cpu,
        "book_ins_per_wall_s": n / wall,
        "metrics": metrics.iloc[0].to_dict(),
    }


def simpy_throughput(days: int) -> dict[str, Any]:
    import simpy_model

    metrics, cpu, wall = timed(lambda: simpy_model.simulate(scenario(days)))
    n = int(metrics.pop("simulated_book_ins"))
    return {
        "model": "SimPy",
        "days": days,
        "replicates": 1,
        "threads": 1,
        "repeats": 1,
        "book_ins": n,
        "cpu_s": cpu,
        "wall_s": wall,
        "book_ins_per_cpu_s": n / cpu,
        "book_ins_per_wall_s": n / wall,
        "metrics": metrics,
    }


# --- 2. replicates on all cores -----------------------------------------------------------
def enforcesim_replicates(days: int, replicates: int) -> dict[str, Any]:
    import enforcesim
    from enforcesim.engine.runner import default_workers

    res, cpu, wall = timed(lambda: enforcesim.run(scenario(days, replicates), workers=None))
    n = book_ins(res.replicate_metrics(), days)
    summary = res.summary()
    return {
        "model": "enforcesim",
        "days": days,
        "replicates": replicates,
        "threads": min(default_workers(), replicates),
        "repeats": 1,
        "book_ins": n,
        "cpu_s": cpu,
        "wall_s": wall,
        "book_ins_per_cpu_s": n / cpu,
        "book_ins_per_wall_s": n / wall,
        "summary": {m: summary.loc[m, ["mean", "lo", "hi"]].to_dict() for m in METRICS_COMPARED},
    }


# --- 3. peak memory in fresh subprocesses -------------------------------------------------
def child(kind: str, days: int) -> None:
    """Run in a fresh interpreter: do `kind`, then print this process's peak RSS as JSON."""
    persons = 0
    if kind.startswith("enforcesim"):
        import enforcesim
        from enforcesim.engine.runner import ensure_compiled

        ensure_compiled()
        if kind == "enforcesim":
            res = enforcesim.run(scenario(days), workers=1)
            persons = book_ins(res.replicate_metrics(), days)
    else:
        import simpy_model

        if kind == "simpy":
            persons = int(simpy_model.simulate(scenario(days))["simulated_book_ins"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "kind": kind,
                "days": days,
                "book_ins": persons,
                "max_rss_mib": peak_rss_kib() / 1024,
                "cpu_s": usage.ru_utime + usage.ru_stime,
            }
        )
    )


def peak_rss_kib() -> int:
    """Peak RSS of this process since its exec: VmHWM, counted on the process's own memory.

    Not ru_maxrss: on Linux it carries the parent's peak through fork and exec (Python's
    subprocess forks the large benchmark process), so every child would report at least that.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, an upper bound


def peak_rss(kind: str, days: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--days", str(days)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- report -------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import numpy
    import simpy

    import enforcesim

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "enforcesim": enforcesim.__version__,
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "simpy": simpy.__version__,
    }


def max_relative_difference(a: dict[str, float], b: dict[str, float]) -> float:
    worst = 0.0
    for m in METRICS_COMPARED:
        x, y = float(a[m]), float(b[m])
        if math.isnan(x) and math.isnan(y):
            continue
        worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-300))
    return worst


def table(r: dict[str, Any]) -> str:
    e_short, e_year, s_short = r["enforcesim_short"], r["enforcesim_year"], r["simpy_short"]
    reps, mem = r["enforcesim_replicates"], r["memory"]

    def row(label: str, x: dict[str, Any]) -> str:
        return (
            f"| {label} | {x['days']} d x {x['replicates']} | {x['book_ins']:,} | "
            f"{x['cpu_s']:.2f} | {x['wall_s']:.2f} | {x['book_ins_per_cpu_s']:,.0f} |"
        )

    ratio_short = e_short["book_ins_per_cpu_s"] / s_short["book_ins_per_cpu_s"]
    ratio_year = e_year["book_ins_per_cpu_s"] / s_short["book_ins_per_cpu_s"]
    e_base, e_run = mem["enforcesim_baseline"], mem["enforcesim_run"]
    s_base, s_run = mem["simpy_baseline"], mem["simpy_run"]
    lines = [
        "| run | horizon x replicates | book-ins simulated | CPU s | wall s | book-ins per CPU-s |",
        "|---|---|---:|---:|---:|---:|",
        row(f"enforcesim, 1 thread (median of {e_short['repeats']})", e_short),
        row(f"enforcesim, 1 thread (median of {e_year['repeats']})", e_year),
        row("SimPy reference, same seed", s_short),
        row(f"enforcesim, workers=None ({reps['threads']} threads)", reps),
        "",
        "| result | value | target |",
        "|---|---:|---|",
        f"| enforcesim / SimPy, book-ins per CPU-s, same {s_short['days']} days and people | "
        f"{ratio_short:,.0f}x | >= 100x |",
        f"| enforcesim ({e_year['days']} d) / SimPy ({s_short['days']} d), book-ins per "
        f"CPU-s | {ratio_year:,.0f}x | >= 100x |",
        f"| enforcesim and SimPy metrics, same seed: largest relative difference | "
        f"{r['same_seed_max_relative_difference']:.1e} | 0 up to rounding |",
        f"| {reps['replicates']} replicates x {reps['days']} days, workers=None: wall | "
        f"{reps['wall_s']:.1f} s ({reps['book_ins_per_wall_s']:,.0f} book-ins per wall-s) | "
        "< 60 s on 2 cores |",
        f"| peak RSS, {e_run['days']}-day replicate (fresh process) | "
        f"{e_run['max_rss_mib']:.0f} MiB | < 1 GB |",
        f"| peak RSS, import enforcesim + load compiled kernel only | "
        f"{e_base['max_rss_mib']:.0f} MiB | |",
        f"| model's own share (difference) | "
        f"{e_run['max_rss_mib'] - e_base['max_rss_mib']:.0f} MiB | |",
        f"| peak RSS, SimPy {s_run['days']}-day replicate (fresh process) | "
        f"{s_run['max_rss_mib']:.0f} MiB (imports only: {s_base['max_rss_mib']:.0f} MiB) | |",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--simpy-days",
        type=int,
        default=60,
        help="horizon of the SimPy run and of the matching enforcesim run",
    )
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--memory-days", type=int, default=3650)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--days", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.days)
        return

    from enforcesim.engine.runner import ensure_compiled

    year = tomllib.loads(SCENARIO.read_text())["scenario"]["days"]
    _, compile_s, _ = timed(ensure_compiled)  # compiles, or loads numba's on-disk cache
    print(f"kernel ready in {compile_s:.2f} CPU s (not counted below)", file=sys.stderr)
    r: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "make bench  (.venv/bin/python benchmarks/run.py)",
        "scenario": str(SCENARIO.relative_to(HERE.parent)),
        "machine": machine(),
        "compile_or_cache_load_cpu_s": compile_s,
        # Other processes on the machine slow the threaded run's wall time: say how busy it was.
        "load_average_1min_at_start": os.getloadavg()[0],
    }
    steps = [
        ("enforcesim_short", lambda: enforcesim_throughput(args.simpy_days, repeats=5)),
        ("enforcesim_year", lambda: enforcesim_throughput(year, repeats=3)),
        ("simpy_short", lambda: simpy_throughput(args.simpy_days)),
        ("enforcesim_replicates", lambda: enforcesim_replicates(year, args.replicates)),
    ]
    for name, step in steps:
        print(f"running {name} ...", file=sys.stderr)
        r[name] = step()
    r["same_seed_max_relative_difference"] = max_relative_difference(
        r["enforcesim_short"]["metrics"], r["simpy_short"]["metrics"]
    )
    r["ratio_same_horizon"] = (
        r["enforcesim_short"]["book_ins_per_cpu_s"] / r["simpy_short"]["book_ins_per_cpu_s"]
    )
    r["ratio_year_vs_simpy_short"] = (
        r["enforcesim_year"]["book_ins_per_cpu_s"] / r["simpy_short"]["book_ins_per_cpu_s"]
    )
    print("measuring peak memory in subprocesses ...", file=sys.stderr)
    r["memory"] = {
        "enforcesim_baseline": peak_rss("enforcesim-baseline", 0),
        "enforcesim_run": peak_rss("enforcesim", args.memory_days),
        "simpy_baseline": peak_rss("simpy-baseline", 0),
        "simpy_run": peak_rss("simpy", args.simpy_days),
    }
    r["load_average_1min_at_end"] = os.getloadavg()[0]
    RESULTS.write_text(json.dumps(r, indent=2, default=float) + "\n")
    m = r["machine"]
    print(
        f"\n{r['date']}, {m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, "
        f"numba {m['numba']}, SimPy {m['simpy']}; 1-min load average "
        f"{r['load_average_1min_at_start']:.1f} at start, "
        f"{r['load_average_1min_at_end']:.1f} at end\n"
    )
    print(table(r))
    print(f"\nwritten: {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
