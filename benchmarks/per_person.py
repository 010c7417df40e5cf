"""Cost per simulated person of the arrest and case sides beside the contract model, and a
one-year, 20-replicate run of a library scenario.

    .venv/bin/python benchmarks/per_person.py          # also run by `make bench`
    .venv/bin/python benchmarks/per_person.py --repeats 7

Measures, in one process after the kernel is loaded (compilation excluded):
  1. CPU seconds (`time.process_time()`) per simulated person of one replicate on one thread
     through the public `enforcesim.run(..., workers=1)`, median of `--repeats` runs, taking
     turns so that the machine's load hits the three alike:
       - contract: benchmarks/scenarios/bench.toml (365 days; a person is a book-in);
       - arrest side: scenarios/examples/arrest-side.toml (a person is an attempted ICE
         arrest or a CBP transfer, whether or not it is booked in);
       - case side: scenarios/examples/case-side.toml (a person is a book-in);
       - contract, the case side's people: the same example without its case-side tables
         ([pathways], [pathway_shares], [courts], [travel_documents]; [transport] the
         contract's schedule, 9 departures x 135 seats), so the contract model on the same
         book-in streams, beds, initial population and stays (its [detention] values);
     each on 365 days with the warm-up set to 0 so that the reported counts are every
     simulated person; and their ratios to the contract model's figure (bench.toml), the
     case side's also to the contract model on its own people. bench.toml is an
     overloaded system: about 37% of its book-ins are turned away at the door (one event
     each, no bed), so its cost per person is lower than that of a system where everyone
     is admitted; the second reference compares like with like. The SimPy reference's
     figure (60 days, from benchmarks/results.json, written by run.py) is printed beside
     them when that file is there.
  2. wall and CPU time of scenarios/library/goal-3000-no-buildout.toml on 365 days (FY2025,
     from 1 Oct 2024 with its population by month of admission, no warm-up) x 20
     replicates, at workers = 1 and 2. The main scenario, goal-3000-buildout-100k, is the
     same model for that year; it cannot be cut to one year (its beds schedule starts on
     day 365).
Writes benchmarks/per_person.json and prints a Markdown table. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "per_person.json"
SIMPY_RESULTS = HERE / "results.json"
DAYS = 365
SIDES = {
    "contract": HERE / "scenarios" / "bench.toml",
    "arrest side": ROOT / "scenarios" / "examples" / "arrest-side.toml",
    "case side": ROOT / "scenarios" / "examples" / "case-side.toml",
    "contract, the case side's people": ROOT / "scenarios" / "examples" / "case-side.toml",
}
CASE_SIDE_TABLES = ("pathways", "pathway_shares", "courts", "travel_documents")
LIBRARY = ROOT / "scenarios" / "library" / "goal-3000-no-buildout.toml"


def persons(metrics: Any, days: int) -> int:
    """People simulated: book-ins, or on the arrest side every attempted arrest (ICE
    attempts, whatever came of them, plus the arrests that are not ICE's: CBP transfers)."""
    m = metrics.iloc[0]
    if "ice_arrest_attempts_per_day" in m.index:
        per_day = m["ice_arrest_attempts_per_day"] + m["arrests_per_day"] - m["ice_arrests_per_day"]
    else:
        per_day = m["book_ins_per_day"]
    return int(round(float(per_day) * days))


def side_scenario(name: str) -> dict[str, Any]:
    raw = tomllib.loads(SIDES[name].read_text())
    raw["scenario"].update(days=DAYS, warmup_days=0, replicates=1)
    if name.startswith("contract, "):
        for table in CASE_SIDE_TABLES:
            raw.pop(table, None)
        raw["transport"] = {"departures_per_day": 9.0, "seats_per_departure": 135}
    return raw


def per_person(repeats: int) -> dict[str, Any]:
    import enforcesim

    raws = {name: side_scenario(name) for name in SIDES}
    cpu: dict[str, list[float]] = {name: [] for name in SIDES}
    counts: dict[str, int] = {}
    admitted: dict[str, float] = {}
    for name, raw in raws.items():  # warm: compile the specialisation, fill the caches
        metrics = enforcesim.run(raw, workers=1).replicate_metrics()
        counts[name] = persons(metrics, DAYS)
        admitted[name] = float(metrics.iloc[0]["admitted_per_day"]) * DAYS / counts[name]
    for _ in range(repeats):
        for name, raw in raws.items():
            start = time.process_time()
            enforcesim.run(raw, workers=1)
            cpu[name].append(time.process_time() - start)
    out: dict[str, Any] = {}
    for name in SIDES:
        median = statistics.median(cpu[name])
        out[name] = {
            "scenario": str(SIDES[name].relative_to(ROOT)),
            "days": DAYS,
            "warmup_days": 0,
            "persons": counts[name],
            "cpu_s_runs": cpu[name],
            "cpu_s_median": median,
            "ns_per_person": 1e9 * median / counts[name],
            "admitted_share": admitted[name],  # admitted to a bed / persons
        }
    base = out["contract"]["ns_per_person"]
    for name in SIDES:
        out[name]["ratio_to_contract"] = out[name]["ns_per_person"] / base
    same = out["contract, the case side's people"]
    same["scenario"] += " without " + ", ".join(f"[{t}]" for t in CASE_SIDE_TABLES)
    out["case side"]["ratio_to_contract_same_people"] = (
        out["case side"]["ns_per_person"] / same["ns_per_person"]
    )
    return out


def library_run(workers: int, replicates: int) -> dict[str, Any]:
    import enforcesim

    cpu, wall = time.process_time(), time.perf_counter()
    res = enforcesim.run(
        str(LIBRARY), overrides={"scenario.days": DAYS}, replicates=replicates, workers=workers
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "workers": workers,
        "replicates": replicates,
        "days": DAYS,
        "wall_s": wall,
        "cpu_s": cpu,
        "book_ins_per_day_mean": float(res.replicate_metrics()["book_ins_per_day"].mean()),
    }


def simpy_ns_per_person() -> float | None:
    try:
        simpy = json.loads(SIMPY_RESULTS.read_text())["simpy_short"]
    except (OSError, KeyError, ValueError):
        return None
    return 1e9 / simpy["book_ins_per_cpu_s"]


def table(r: dict[str, Any]) -> str:
    lines = [
        "| model | persons (365 d) | CPU s (median) | ns per person | x contract "
        "(bench.toml) | x contract, same people | admitted / persons |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, x in r["per_person"].items():
        same = x.get("ratio_to_contract_same_people")
        lines.append(
            f"| {name} ({x['scenario']}) | {x['persons']:,} | {x['cpu_s_median']:.3f} | "
            f"{x['ns_per_person']:,.0f} | {x['ratio_to_contract']:.2f} | "
            f"{'' if same is None else f'{same:.2f}'} | {x['admitted_share']:.2f} |"
        )
    simpy = r["simpy_ns_per_person"]
    if simpy is not None:
        base = r["per_person"]["contract"]["ns_per_person"]
        lines.append(
            f"| SimPy reference, 60 d (from results.json) | | | {simpy:,.0f} | "
            f"{simpy / base:,.0f} | | |"
        )
    lines += [
        "",
        "| goal-3000-no-buildout, 365 d (FY2025) | workers | wall s | CPU s |",
        "|---|---:|---:|---:|",
    ]
    for x in r["library"]:
        lines.append(
            f"| {x['replicates']} replicates | {x['workers']} | {x['wall_s']:.2f} | "
            f"{x['cpu_s']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--skip-library", action="store_true", help="only the per-person part")
    args = ap.parse_args()

    import enforcesim
    from enforcesim.engine.runner import ensure_compiled

    ensure_compiled(True)  # both specialisations, and every helper: compilation not counted
    r: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "make bench  (.venv/bin/python benchmarks/per_person.py)",
        "nproc": len(os.sched_getaffinity(0)),
        "enforcesim": enforcesim.__version__,
        "load_average_1min_at_start": os.getloadavg()[0],
    }
    print("per person ...", file=sys.stderr)
    r["per_person"] = per_person(args.repeats)
    r["simpy_ns_per_person"] = simpy_ns_per_person()
    r["library"] = []
    if not args.skip_library:
        # One replicate first: the library scenario's own paths (the helpers it calls) warm.
        enforcesim.run(str(LIBRARY), overrides={"scenario.days": DAYS}, replicates=1, workers=1)
        for workers in (1, 2):
            print(f"library, workers={workers} ...", file=sys.stderr)
            r["library"].append(library_run(workers, args.replicates))
    r["load_average_1min_at_end"] = os.getloadavg()[0]
    RESULTS.write_text(json.dumps(r, indent=2, default=float) + "\n")
    print(
        f"\n{r['date']}, {r['nproc']} CPUs; 1-min load average "
        f"{r['load_average_1min_at_start']:.1f} at start, "
        f"{r['load_average_1min_at_end']:.1f} at end\n"
    )
    print(table(r))
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
