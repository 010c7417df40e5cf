"""Start-up time of the command line and of `import enforcesim`, in fresh processes.

    .venv/bin/python benchmarks/startup.py            # also run by `make bench`
    .venv/bin/python benchmarks/startup.py --runs 30

Each command runs `--runs` times (default 15) in a fresh interpreter, in turn with the
others so that a change in the machine's load hits them alike; the table gives the median
wall time and the median CPU time (user + system, of the child: a busy machine disturbs it
less than wall time). `enforcesim` is started as `python -m enforcesim.cli`, the console
script's code. Commands:
  1. `python -c pass`: the interpreter alone, the floor under everything else;
  2. `python -c "import enforcesim"`: the package's public names are loaded on first use;
  3. `enforcesim --help`: Typer, Rich and the command modules, no NumPy or pandas;
  4. `enforcesim validate benchmarks/scenarios/bench.toml`: a small scenario checked and
     its work estimated (loads pydantic, NumPy and the engine's modules; compiles nothing).
Writes benchmarks/startup.json and prints a Markdown table. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "startup.json"
SCENARIO = HERE / "scenarios" / "bench.toml"
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import enforcesim": ["-c", "import enforcesim"],
    "enforcesim --help": ["-m", "enforcesim.cli", "--help"],
    "enforcesim validate bench.toml": ["-m", "enforcesim.cli", "validate", str(SCENARIO)],
}


def once(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh `python args` (its output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(runs: int) -> dict[str, dict[str, float]]:
    for args in COMMANDS.values():  # warm the file cache and the bytecode
        once(args)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            samples[name].append(once(args))
    return {
        name: {
            "runs": runs,
            "wall_median_s": statistics.median(w for w, _ in s),
            "wall_min_s": min(w for w, _ in s),
            "cpu_median_s": statistics.median(c for _, c in s),
        }
        for name, s in samples.items()
    }


def table(r: dict[str, dict[str, float]]) -> str:
    lines = [
        "| command | wall, median (s) | wall, fastest (s) | CPU, median (s) |",
        "|---|---:|---:|---:|",
    ]
    for name, m in r.items():
        lines.append(
            f"| `{name}` | {m['wall_median_s']:.3f} | {m['wall_min_s']:.3f} | "
            f"{m['cpu_median_s']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="fresh processes per command")
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    results = measure(args.runs)
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "make bench  (.venv/bin/python benchmarks/startup.py)",
        "python": sys.version.split()[0],
        "nproc": len(os.sched_getaffinity(0)),
        "load_average_1min_at_start": load_start,
        "load_average_1min_at_end": os.getloadavg()[0],
        "commands": results,
    }
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(
        f"\n{out['date']}, {out['nproc']} CPUs, Python {out['python']}; 1-min load average "
        f"{load_start:.1f} at start, {out['load_average_1min_at_end']:.1f} at end\n"
    )
    print(table(results))
    print(f"\nwritten: {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
