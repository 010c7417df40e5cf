"""Kernel A/B: this tree's kernel against another revision's, on the same inputs, in one run.

    .venv/bin/python benchmarks/kernel_ab.py --against 52d66cb          # speed and compile
    .venv/bin/python benchmarks/kernel_ab.py --against 52d66cb --compile-only

The other revision's `src/` is extracted with `git archive` into a temporary folder, and
each measurement runs in a fresh subprocess with PYTHONPATH pointed at one tree, alternating
the two trees round after round, so that both see the same machine load. The machine is
shared and noisy: read the medians and their ratio, not single times. Nothing asserts a
time.

- speed: one replicate through `runner.simulate_replicate` (the kernel plus building its
  inputs), CPU time (`time.process_time()`), median of `--repeats` calls after a warm-up
  call, for each scenario in SCENARIOS; each tree keeps its own numba cache for the run.
- compile: `import enforcesim` and `runner.ensure_compiled(True)` (both specialisations of
  the kernel and every helper) with NUMBA_CACHE_DIR pointed at a fresh empty folder, so
  that nothing is loaded from a cache; CPU and wall seconds of the child.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = {
    "bench (book-in model, 365 d)": HERE / "scenarios" / "bench.toml",
    "case side (baseline)": ROOT / "tests" / "baseline" / "scenarios" / "case-side.toml",
    "arrests (baseline)": ROOT / "tests" / "baseline" / "scenarios" / "arrest-driven.toml",
}
# per_person.py's scenarios as `make bench` times them: one year, every person reported.
YEAR = {"scenario.days": 365, "scenario.warmup_days": 0}
SIDES = {
    "contract (bench.toml, 365 d)": (HERE / "scenarios" / "bench.toml", YEAR),
    "arrest side (example, 365 d)": (ROOT / "scenarios" / "examples" / "arrest-side.toml", YEAR),
    "case side (example, 365 d)": (ROOT / "scenarios" / "examples" / "case-side.toml", YEAR),
}

SPEED_CHILD = """
import json, sys, time
from enforcesim.analyses.runs import load
from enforcesim.engine import runner
runner.ensure_compiled(True)
out = {}
for name, (path, overrides) in json.loads(sys.argv[1]).items():
    sc = load(path, overrides=overrides)[0]
    runner.simulate_replicate(sc, 0)
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.process_time()
        runner.simulate_replicate(sc, 0)
        times.append(time.process_time() - t)
    out[name] = times
print(json.dumps(out))
"""

COMPILE_CHILD = """
import json, os, time
t, w = time.process_time(), time.perf_counter()
from enforcesim.engine import runner
runner.ensure_compiled(True)
print(json.dumps({"cpu_s": time.process_time() - t, "wall_s": time.perf_counter() - w}))
"""


def extract(rev: str, into: Path) -> Path:
    """`src/` of revision rev, extracted under into; returns the src folder."""
    archive = subprocess.run(
        ["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def child(src: Path, code: str, args: list[str], cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "NUMBA_CACHE_DIR": str(cache)}
    res = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", default="52d66cb", help="revision to compare with")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the two trees")
    ap.add_argument("--repeats", type=int, default=5, help="timed calls per child")
    ap.add_argument("--compile-rounds", type=int, default=2)
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ap.add_argument(
        "--sides", action="store_true", help="per_person.py's scenarios, 365 days, no warm-up"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kernel-ab-") as tmp:
        tmp_path = Path(tmp)
        trees = {"before": extract(args.against, tmp_path), "now": ROOT / "src"}
        result: dict = {"against": args.against, "load_average_1min": os.getloadavg()[0]}

        if not args.compile_only:
            caches = {k: tmp_path / f"cache-{k}" for k in trees}
            scenarios = SIDES if args.sides else {k: (v, {}) for k, v in SCENARIOS.items()}
            paths = json.dumps({k: (str(v), ov) for k, (v, ov) in scenarios.items()})
            runs: dict = {k: {s: [] for s in scenarios} for k in trees}
            for r in range(args.rounds):
                for k in trees if r % 2 == 0 else reversed(list(trees)):
                    got = child(trees[k], SPEED_CHILD, [paths, str(args.repeats)], caches[k])
                    for s, times in got.items():
                        runs[k][s].append(median(times))
            print("| scenario | before: CPU s (median) | now: CPU s (median) | now / before |")
            print("|---|---:|---:|---:|")
            result["speed"] = {}
            for s in scenarios:
                b, n = median(runs["before"][s]), median(runs["now"][s])
                result["speed"][s] = {"before": runs["before"][s], "now": runs["now"][s]}
                print(f"| {s} | {b:.3f} | {n:.3f} | {n / b:.2f} |")

        if not args.speed_only:
            comp: dict = {k: [] for k in trees}
            for r in range(args.compile_rounds):
                for k in trees if r % 2 == 0 else reversed(list(trees)):
                    cache = Path(tempfile.mkdtemp(prefix=f"cold-{k}-", dir=tmp))
                    comp[k].append(child(trees[k], COMPILE_CHILD, [], cache))
            result["compile"] = comp
            print()
            print("| cold-cache compile, both specialisations | before | now | now / before |")
            print("|---|---:|---:|---:|")
            for key in ("cpu_s", "wall_s"):
                b = median([c[key] for c in comp["before"]])
                n = median([c[key] for c in comp["now"]])
                print(
                    f"| {key} (median of {args.compile_rounds}) | {b:.1f} | {n:.1f} | {n / b:.2f} |"
                )
        result["load_average_1min_end"] = os.getloadavg()[0]
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
