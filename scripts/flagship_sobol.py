"""The flagship's published Sobol analysis: docs/data/flagship-sobol/ and its table in
docs/flagship.md.

    PYTHONPATH=src python scripts/flagship_sobol.py --n 256 --workers 2

derives the 365-day copy of the main goal scenario exactly as `study flagship` does
(studies.flagship.derived_file, the file's own warm-up), runs the Sobol analysis on it
(N x (inputs + 2) runs of 1 replicate, every run with the same seed) and the noise floor
(the nominal point with --noise-seeds seeds), times the whole, keeps the full sensitivity
folder in --work and writes to --out:

    indices.csv     S1, ST and their 95 % bootstrap half-widths per output and input
    noise.csv       per output: seeds, variance over seeds, variance over the sample, floor
    noise_runs.csv  the nominal point's output per seed
    samples.csv     every run's inputs and outputs (left out above 1 MB)
    scenario.toml   the derived scenario that was run
    summary.json    N, runs, replicates per point, horizon, seed, wall time, machine, noise
                    floor, the scenario's SHA-256 (tests/test_flagship_sobol.py checks it
                    against the main scenario, so a changed scenario needs a rerun)

then rewrites the table in docs/flagship.md (when --out is the committed folder). A sample
already run with `enforcesim sensitivity` on the same derived file is published without
running it again:

    PYTHONPATH=src python scripts/flagship_sobol.py --from /work/sobol/n256 --wall-time-s 2700

(the noise floor is run unless the folder has one). `--docs` only rewrites docs/flagship.md
from the committed folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from enforcesim import __version__
from enforcesim.analyses.sensitivity import noise_floor, sensitivity
from enforcesim.errors import ScenarioError, StudyError
from enforcesim.files import write_atomic, write_json
from enforcesim.reports.flagship_results import MAIN
from enforcesim.reports.flagship_sobol import PUBLISHED_SOBOL, read_published, with_docs_block
from enforcesim.studies.flagship import FULL, LIBRARY, ROOT, derived_file, read_input

HORIZON_DAYS = FULL.sobol_days  # as the flagship study's Sobol stage
METRICS = ("cost_per_removal", "removals_per_day", "book_ins_per_day", "detained")
SAMPLES_LIMIT_BYTES = 1_000_000
DOCS = ROOT / "docs" / "flagship.md"


def derived_scenario() -> tuple[str, str]:
    """The derived file's text and its SHA-256 (of the UTF-8 bytes, as a file's)."""
    text = derived_file(read_input(LIBRARY / f"{MAIN}.toml"), HORIZON_DAYS, None)
    return text, hashlib.sha256(text.encode()).hexdigest()


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def run_fresh(args: argparse.Namespace, text: str) -> dict[str, Any]:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / "sobol-scenario.toml"
    write_atomic(path, text)
    start = time.perf_counter()
    sa = sensitivity(
        path,
        metrics=args.metric,
        n=args.n,
        replicates=1,
        seed=args.seed,
        resamples=args.resamples,
        workers=args.workers,
        noise_seeds=args.noise_seeds,
        on_run=lambda i, total: print(f"\r{i}/{total} runs", end="", file=sys.stderr),
    )
    wall = time.perf_counter() - start
    print(file=sys.stderr)
    sa.write(work / "sensitivity")
    assert sa.noise is not None  # noise_seeds >= 2 is checked by sensitivity
    return {
        "folder": work / "sensitivity",
        "manifest": json.loads((work / "sensitivity" / "manifest.json").read_text()),
        "wall_time_s": wall,
        "date": datetime.now(UTC).date().isoformat(),
        "workers": args.workers,
        "timed": "the Sobol sample and the noise floor's runs together",
    }


def from_folder(args: argparse.Namespace, sha: str) -> dict[str, Any]:
    folder = Path(args.source)
    mpath = folder / "manifest.json"
    if not mpath.exists() or json.loads(mpath.read_text()).get("tool") != "sensitivity":
        fail(f"{folder}: not a folder written by `enforcesim sensitivity` (no manifest.json)")
    if args.wall_time_s is None:
        fail("--from: give --wall-time-s, the measured wall time of that run (its log)")
    ran = (folder / "scenario.toml").read_text()
    got = hashlib.sha256(ran.encode()).hexdigest()
    # The same values with other comments (a comment edited after the run) are the same
    # scenario: the published analysis then records the current file's SHA-256.
    same_values = tomllib.loads(ran) == tomllib.loads(derived_scenario()[0])
    if got != sha and not same_values:
        fail(
            f"{folder / 'scenario.toml'}: SHA-256 {got[:12]}... is not the derived main "
            f"scenario's {sha[:12]}...: the sample is of another scenario or an older version"
        )
    man = json.loads(mpath.read_text())
    timed = "the Sobol sample (the noise floor's runs not included)"
    if not (folder / "noise.csv").exists():
        samples = pd.read_csv(folder / "samples.csv")
        start = time.perf_counter()
        nf = noise_floor(
            folder / "scenario.toml",
            samples,
            metrics=man["metrics"],
            seed=man["seed"],
            replicates=man["replicates"],
            noise_seeds=args.noise_seeds,
            workers=args.workers,
        )
        timed += (
            f"; the noise floor's {len(nf.seeds)} runs took {time.perf_counter() - start:.0f} s"
        )
        work = Path(args.work) / "noise"
        work.mkdir(parents=True, exist_ok=True)
        write_atomic(work / "noise.csv", nf.table.to_csv(index=False))
        write_atomic(work / "noise_runs.csv", nf.runs.to_csv(index=False))
        man |= {"noise_seeds": nf.seeds, "nominal_point": nf.nominal, "noise_floor": nf.floors()}
        man["notes"] = man.get("notes", []) + nf.notes
        noise_dir = work
    else:
        noise_dir = folder
    return {
        "folder": folder,
        "noise_dir": noise_dir,
        "manifest": man,
        "wall_time_s": args.wall_time_s,
        "date": datetime.fromtimestamp(mpath.stat().st_mtime, UTC).date().isoformat(),
        "workers": man.get("provenance", {}).get("slots"),
        "timed": timed,
    }


def publish(args: argparse.Namespace, run: dict[str, Any], text: str, sha: str) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder, man = run["folder"], run["manifest"]
    noise_dir = run.get("noise_dir", folder)
    shutil.copyfile(folder / "indices.csv", out / "indices.csv")
    shutil.copyfile(noise_dir / "noise.csv", out / "noise.csv")
    shutil.copyfile(noise_dir / "noise_runs.csv", out / "noise_runs.csv")
    samples = folder / "samples.csv"
    kept = samples.stat().st_size <= SAMPLES_LIMIT_BYTES
    if kept:
        shutil.copyfile(samples, out / "samples.csv")
    else:
        (out / "samples.csv").unlink(missing_ok=True)
    write_atomic(out / "scenario.toml", text)
    workers = run["workers"]
    machine = args.machine or (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{workers} worker{'' if workers == 1 else 's'}"
    )
    raw = read_input(LIBRARY / f"{MAIN}.toml").raw["scenario"]
    summary = {
        "what": "Sobol indices (SALib, Saltelli sampling, first-order and total) of the "
        "flagship's main goal scenario, with the noise floor of common random numbers",
        **({"placeholder": args.placeholder} if args.placeholder else {}),
        "scenario": MAIN,
        "scenario_source": f"scenarios/library/{MAIN}.toml",
        "derived": f"studies.flagship.derived_file(main scenario, {HORIZON_DAYS} days, "
        "its own warm-up)",
        "scenario_sha256": sha,
        "n": man["n"],
        "runs": man["runs"],
        "replicates_per_point": man["replicates"],
        "horizon_days": HORIZON_DAYS,
        "warmup_days": raw.get("warmup_days", 0),
        "seed": man["seed"],
        "inputs": list(man["inputs"]),
        "metrics": man["metrics"],
        "bootstrap_resamples": man["bootstrap_resamples"],
        "confidence_level": man["confidence_level"],
        "noise_seeds": man["noise_seeds"],
        "nominal_point": man["nominal_point"],
        "noise_floor": man["noise_floor"],
        "wall_time_s": round(run["wall_time_s"], 1),
        "timed": run["timed"],
        "date": run["date"],
        "machine": machine,
        "enforcesim_version": __version__,
        "samples_csv": "included" if kept else f"left out (over {SAMPLES_LIMIT_BYTES:,} bytes)",
        "notes": man.get("notes", []),
    }
    write_json(out / "summary.json", summary)
    return out


def write_docs(folder: Path) -> None:
    pub = read_published(folder)
    if pub is None:
        fail(f"{folder}: no summary.json; run this script without --docs first")
    write_atomic(DOCS, with_docs_block(DOCS.read_text(), pub))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=256, help="SALib base sample size (a power of 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise-seeds", type=int, default=8)
    p.add_argument("--resamples", type=int, default=200)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--metric", action="append", help=f"repeatable (default: {METRICS})")
    p.add_argument("--work", default="out/flagship-sobol", help="the full sensitivity folder")
    p.add_argument("--out", default=str(PUBLISHED_SOBOL))
    p.add_argument("--from", dest="source", help="publish this sensitivity folder instead")
    p.add_argument("--wall-time-s", type=float, help="with --from: that run's wall time")
    p.add_argument("--machine", help="where it ran (default: this machine)")
    p.add_argument("--placeholder", help="mark the artefact as a placeholder, with this reason")
    p.add_argument("--docs", action="store_true", help="only rewrite docs/flagship.md")
    args = p.parse_args(argv)
    args.metric = args.metric or list(METRICS)
    if args.docs:
        write_docs(Path(args.out))
        return
    text, sha = derived_scenario()
    try:
        run = from_folder(args, sha) if args.source else run_fresh(args, text)
    except (StudyError, ScenarioError) as exc:
        fail(str(exc))
    out = publish(args, run, text, sha)
    if out.resolve() != PUBLISHED_SOBOL.resolve():  # a trial elsewhere leaves the docs alone
        print(f"{out}/ written ({run['wall_time_s']:.0f} s)")
        return
    write_docs(out)
    print(f"{out}/ written; docs/flagship.md's table rewritten ({run['wall_time_s']:.0f} s)")


if __name__ == "__main__":
    main()
