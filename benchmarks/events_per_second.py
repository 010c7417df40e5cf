"""Events simulated per CPU-second, the speed behind the rough time of `enforcesim validate`.

    .venv/bin/python benchmarks/events_per_second.py

Events are counted as analyses/workload.py estimates them (arrivals, people detained at the
start, day boundaries, scheduled departures; expected values). Each scenario runs one replicate
on one thread, compilation excluded, best of 3 by CPU time (`time.process_time()`, which a
busy machine disturbs less than wall time). The constants EVENTS_PER_SECOND_V1 and
EVENTS_PER_SECOND_EXTENDED in analyses/workload.py are rounded from this output. Nothing
asserts a time.
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "benchmarks/scenarios/bench.toml",
    "scenarios/example.toml",
    "scenarios/status-quo-fy2024.toml",
    "scenarios/policy-2025.toml",
    "scenarios/examples/case-side.toml",
    "scenarios/examples/arrest-side.toml",
]


def main() -> None:
    from enforcesim.analyses.workload import replicate_events
    from enforcesim.engine.runner import ensure_compiled, run_replicates
    from enforcesim.scenario import parse_scenario

    ensure_compiled(False)
    ensure_compiled(True)
    print("| scenario | kernel | events per replicate | CPU s | events per CPU-s |")
    print("|---|---|---:|---:|---:|")
    for rel in SCENARIOS:
        path = ROOT / rel
        raw = tomllib.loads(path.read_text())
        raw["scenario"]["replicates"] = 1
        raw.pop("uncertainty", None)  # the estimate would take upper bounds
        sc = parse_scenario(raw, rel)
        events = replicate_events(sc)
        times = []
        for _ in range(3):
            t = time.process_time()
            run_replicates(sc, 1)
            times.append(time.process_time() - t)
        kind = "extended" if sc.arrests is not None or sc.has_case_side() else "v1"
        best = min(times)
        print(f"| {rel} | {kind} | {events:,.0f} | {best:.3f} | {events / best:,.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
