"""The flagship study: can ICE make 3,000 arrests a day and 1,000,000 removals a year, what
binds, and at what cost? (docs/flagship.md)

    enforcesim study flagship --out out/flagship

runs, on common random numbers and under the library files' parameter uncertainty:

1. the goal scenarios of `scenarios/library/` (the baseline with today's officers and the
   beds held at the contract capacity, the build-out to 100,000 beds, more officers, more
   flights, criminal-first priorities, wider expedited removal), and for context the
   calibrated status quo and the book-in-driven million-removals scenario;
2. bottleneck attribution (Shapley over beds and seats) on the main goal scenario, and the
   same scenario with process noise only, to show what the parameter uncertainty adds;
3. a feasibility sweep over beds x officers (study.sweep: resumable point by point);
4. Sobol indices of cost per removal and removals per day (study.sensitivity);
5. the published static estimates (AIC 2024, PWBM 2025) as published and under capacity;

then writes `report.html` and `figures/*.png` (reports/flagship.py). It is an application of the
public API (enforcesim.run, study.sweep, study.sensitivity, the Results they return); the
core never imports it. Every stage writes its
results to the folder as it finishes; a rerun in the same folder with the same plan and the
same scenario files skips what is there (an interrupted study resumes). Run sizes are the
`Plan`'s, stated in the report.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomlkit

import enforcesim

from .. import __version__, tomlfile
from ..analyses.common import content_hash
from ..analyses.fanned import results_on
from ..analyses.sensitivity import sensitivity
from ..analyses.sweep import Axis, sweep
from ..errors import StudyError
from ..execution import Executor
from ..files import write_atomic, write_json
from ..outdir import add_file, resume
from ..outdir import check as check_out
from ..reports.flagship import render_flagship
from ..reports.flagship_results import (
    BASELINE,
    BOTTLENECKS,
    COMPARED,
    CONTEXT,
    MAIN,
    NOISE_ONLY,
    headlines,
)
from ..results import Results
from ..scenario import Scenario
from ..scenario.overrides import apply, describe, key_parts, parse_with_overrides

ROOT = Path(__file__).resolve().parents[3]
LIBRARY = ROOT / "scenarios" / "library"
PUBLISHED = ROOT / "scenarios" / "published"

# Attribution of these targets' shortfalls over every constraint that applies (beds, seats,
# officers, pool): 2^4 runs per replicate, so it has its own, smaller replicate count.
BOTTLENECK_TARGETS = ["ice_arrests_per_day", "removals_per_day"]


@dataclass(frozen=True)
class Plan:
    """How big each stage is. `days`/`warmup_days` None: the scenario files' own."""

    name: str
    replicates: int
    days: int | None
    warmup_days: int | None
    sweep_beds: tuple[int, ...]
    sweep_officers: tuple[int, ...]
    sweep_replicates: int
    sweep_days: int
    sobol_n: int
    sobol_days: int
    sobol_resamples: int
    published_days: int
    bottleneck_replicates: int
    seed: int = 0


# The scenario files run their own horizon (1,095 days from 1 Oct 2024). The sweep, the Sobol
# study and the published estimates stop at 730 days (30 Sep 2026): FY2025, ICE's record, and
# the FY2026 forecast year; a 365-day cut would hold only the record. The sweep's beds start
# at the baseline's 62,913 (contract capacity, April 2025). Timing: docs/flagship.md.
FULL = Plan(
    "full",
    replicates=10,
    days=None,
    warmup_days=None,
    sweep_beds=(62_913, 100_000, 150_000),
    sweep_officers=(6_000, 16_000, 26_000, 36_000),
    sweep_replicates=4,
    sweep_days=730,
    sobol_n=8,
    sobol_days=730,
    sobol_resamples=200,
    published_days=730,
    bottleneck_replicates=4,
)
# End to end in seconds: for tests and a first look, not for numbers (60 days from 1 Oct
# 2024 do not reach FY2026; 40,000 beds bind on the 30 Sep 2024 population, 62,913 do not).
QUICK = Plan(
    "quick",
    replicates=2,
    days=60,
    warmup_days=20,
    sweep_beds=(40_000, 62_913),
    sweep_officers=(6_000, 16_000),
    sweep_replicates=2,
    sweep_days=60,
    sobol_n=4,
    sobol_days=60,
    sobol_resamples=20,
    published_days=60,
    bottleneck_replicates=2,
)
PLANS = {"full": FULL, "quick": QUICK}


# --- scenario files ----------------------------------------------------------------------------


@dataclass
class Input:
    label: str
    path: Path
    text: str
    raw: dict[str, Any]


def read_input(path: Path) -> Input:
    try:
        text = path.read_text()
    except OSError as exc:
        raise StudyError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    raw = tomllib.loads(text)
    enforcesim.parse_scenario(raw, str(path))  # every file is validated before anything runs
    return Input(path.stem, path, text, raw)


def with_overrides(inp: Input, overrides: Mapping[str, Any] | None) -> Input:
    """The input with `--set` values applied, to its table (validated as a whole, as `run`
    does) and to its text, edited in place with tomlkit so that the library file's comments
    still source every value kept; a set value's [uncertainty] entry is dropped."""
    if not overrides:
        return inp
    parse_with_overrides(inp.raw, overrides, str(inp.path))  # the messages of `run --set`
    raw = apply(inp.raw, overrides, str(inp.path))
    doc = tomlfile.parse(inp.text)
    for path, value in overrides.items():
        parts = key_parts(path) or [path]
        node: Any = doc
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
            else:
                if part not in node:
                    node[part] = tomlkit.table()
                node = node[part]
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
        uncertainty = doc.get("uncertainty")
        if uncertainty is not None and path in uncertainty:
            del uncertainty[path]
    return Input(inp.label, inp.path, tomlfile.dumps(doc), raw)


def shorten(
    raw: dict[str, Any],
    days: int | None,
    warmup_days: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """A copy with another horizon (see `set_horizon`), replicate count or seed."""
    d = copy.deepcopy(raw)
    meta = d["scenario"]
    if replicates is not None:
        meta["replicates"] = replicates
    if seed is not None:
        meta["seed"] = seed
    if days is not None:
        set_horizon(d, days, warmup_days)
    return d


def set_horizon(doc: MutableMapping[str, Any], days: int, warmup_days: int | None = None) -> None:
    """Give a scenario (a dict, or a tomlkit document whose comments then survive) a horizon
    of `days`, in place: every step of every schedule on or after the new last day is dropped,
    whatever the schedule is called (a list of `{ day, ... }` steps anywhere outside
    [uncertainty]), with any [uncertainty] entry on it, and so is every dated
    `[[arrests.events]]` entry that takes effect after it (the loader refuses those); a
    shorter warm-up when given."""
    meta = doc["scenario"]
    meta["days"] = days
    if warmup_days is not None and meta.get("warmup_days", 0) > warmup_days:
        meta["warmup_days"] = warmup_days
    dropped: list[str] = []
    for path, steps in _step_lists(doc, ""):
        late = [i for i, step in enumerate(steps) if step["day"] >= days]
        for i in reversed(late):  # from the end, so that earlier indices stay valid
            del steps[i]
        dropped.extend(f"{path}.{i}" for i in late)
    unc = doc.get("uncertainty", {})
    for key in [k for k in unc if any(k.startswith(p + ".") for p in dropped)]:
        del unc[key]
    _drop_late_events(doc, days)


def _drop_late_events(doc: MutableMapping[str, Any], days: int) -> None:
    # Events need not be in date order; no event value can be in [uncertainty] (the fitted
    # scalars that scale them can), so there is nothing to drop or renumber there.
    events = doc.get("arrests", {}).get("events")
    if not events:
        return
    start = doc["scenario"].get("start_date")

    def first_day(event: Mapping[str, Any]) -> int:
        if "day" in event:
            return int(event["day"])
        if start is None:
            return -1  # kept: the loader names a date without start_date
        return (event["date"] - start).days

    for i in reversed(range(len(events))):  # from the end, so that earlier indices stay valid
        if first_day(events[i]) >= days:
            del events[i]


def _step_lists(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, list[Any]]]:
    for key, value in node.items():
        here = f"{path}.{key}" if path else key
        if key == "uncertainty" and not path:
            continue
        if isinstance(value, Mapping):
            yield from _step_lists(value, here)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(s, Mapping) and "day" in s for s in value)
        ):
            yield here, value


# --- the published static estimates under capacity ---------------------------------------------

STATIONARY = 128_493  # 2,739.726 book-ins a day x 46.9 days (scenarios/published)
FY2024_SEATS = {"departures_per_day": 5.5, "seats_per_departure": 135}  # 742 removals/day
CAPACITY_VARIANTS = (
    ("as published (no capacity limits)", None, None),
    ("100,000 beds", 100_000, None),
    ("50,000 beds", 50_000, None),
    ("100,000 beds + FY2024 removal transport", 100_000, FY2024_SEATS),
)


def published_variant(
    raw: dict[str, Any], beds: int | None, transport: dict | None, days: int
) -> dict[str, Any]:
    d = shorten(raw, days, replicates=1)
    if beds is not None:
        d["detention"]["beds"] = beds
        d["detention"]["initial_detained"] = min(beds, STATIONARY)
    if transport is not None:
        d["transport"] = dict(transport)
    return d


# --- the study ---------------------------------------------------------------------------------


@dataclass
class Flagship:
    folder: Path
    plan: Plan
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def headlines(self) -> list[str]:
        return headlines(self.folder)


def _manifest(
    plan: Plan, inputs: list[Input], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    # through JSON, so that it compares equal with the one read back (tuples become lists)
    return json.loads(
        json.dumps(
            {
                "tool": "flagship",
                "version": __version__,
                "plan": asdict(plan),
                **({"overrides": describe(overrides)} if overrides else {}),
                "main": MAIN,
                "baseline": BASELINE,
                "compared": list(COMPARED),
                "context": list(CONTEXT),
                "scenarios": {
                    i.label: {
                        "source": str(i.path.relative_to(ROOT))
                        if i.path.is_relative_to(ROOT)
                        else str(i.path),
                        "content_sha256": content_hash(i.raw),
                    }
                    for i in inputs
                },
            },
            default=str,
        )
    )


def _check_folder(out: Path, manifest: dict[str, Any]) -> None:
    mpath = out / "manifest.json"
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text())
        except json.JSONDecodeError:
            raise StudyError([f"{mpath}: not valid JSON; use a new --out folder"]) from None
        diff = [k for k in ("tool", "plan", "scenarios") if old.get(k) != manifest[k]]
        if diff:
            what = ", ".join("the scenario files" if k == "scenarios" else f"the {k}" for k in diff)
            raise StudyError(
                [
                    f"{out}: holds another flagship study ({what} differ); use a new "
                    "--out folder, or delete this one to start over"
                ]
            )


def run_flagship(
    out_dir: str | Path = "out/flagship",
    *,
    plan: Plan = FULL,
    workers: int | None = None,
    library: Path = LIBRARY,
    on_stage: Callable[[str, int, int], None] | None = None,
    executor: Executor | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Flagship:
    """Run every stage not already in out_dir, then write report.html and figures/.

    `overrides` (dotted paths, as `--set`) change every library scenario of the study (not
    the published estimates); they are recorded in manifest.json, so a rerun with other
    values is a different study. `on_stage(name, done, total)` is called as stages finish.
    Raises StudyError for a folder that holds another study, ScenarioError for a bad
    scenario file.

    The scenario runs, the sweep, the Sobol study and the published estimates run as tasks
    on `executor` (default: `workers` local threads; a ClusterExecutor runs them on a Dask
    cluster), with the same numbers; the bottleneck attribution runs here.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StudyError([f"{out}: exists and is not a folder"])
    inputs = [
        with_overrides(read_input(library / f"{name}.toml"), overrides)
        for name in (*COMPARED, *CONTEXT)
    ]
    published = {n: read_input(PUBLISHED / f"{n}.toml") for n in ("aic-2024", "pwbm-2025")}
    manifest = _manifest(plan, inputs + list(published.values()), overrides)
    check_out(out, "study flagship")
    _check_folder(out, manifest)
    resume(out, "study flagship")
    write_json(out / "manifest.json", manifest)
    study = Flagship(out, plan)
    by_label = {i.label: i for i in inputs}
    stages: list[tuple[str, Callable[[], bool]]] = []

    def run_one(sc: Scenario, bottlenecks: bool | None = None, seed: int | None = None) -> Results:
        # Through the executor (a cluster too) where there is no bottleneck attribution,
        # which runs its relaxed variants here.
        if executor is None or bottlenecks or sc.bottlenecks is not None:
            return enforcesim.run(sc, seed=seed, workers=workers, bottlenecks=bottlenecks)
        return results_on(executor, [sc], seed=seed, workers=workers)[0]

    def scenario_stage(
        label: str, inp: Input, bottlenecks: bool = False, certain: bool = False
    ) -> Callable[[], bool]:
        def go() -> bool:
            folder = out / "runs" / label
            if (folder / "replicate_metrics.csv").exists():
                return False
            raw = shorten(
                inp.raw,
                plan.days,
                plan.warmup_days,
                plan.bottleneck_replicates if bottlenecks else plan.replicates,
                plan.seed,
            )
            if certain:
                raw.pop("uncertainty", None)
            if bottlenecks:
                raw["bottlenecks"] = {"targets": BOTTLENECK_TARGETS}
            if certain or bottlenecks:
                raw["scenario"]["name"] = label
            res = run_one(enforcesim.parse_scenario(raw, str(inp.path)), bottlenecks)
            res.write(folder)
            add_file(folder, "scenario.toml", inp.text)
            add_file(folder, "replicate_metrics.csv", res.replicate_metrics().to_csv(index=False))
            return True

        return go

    for inp in inputs:
        stages.append((inp.label, scenario_stage(inp.label, inp)))
    stages.append((NOISE_ONLY, scenario_stage(NOISE_ONLY, by_label[MAIN], certain=True)))
    stages.append((BOTTLENECKS, scenario_stage(BOTTLENECKS, by_label[MAIN], bottlenecks=True)))

    def sweep_stage() -> bool:
        path = out / "inputs" / "sweep-scenario.toml"
        write_atomic(path, derived_file(by_label[BASELINE], plan.sweep_days, plan.warmup_days))
        folder = out / "sweep"
        total = len(plan.sweep_beds) * len(plan.sweep_officers)
        before = len(list((folder / "points").glob("*.json"))) if folder.exists() else 0
        sweep(
            path,
            [
                Axis("detention.beds", plan.sweep_beds),
                Axis("officers.headcount", plan.sweep_officers),
            ],
            folder,
            seed=plan.seed,
            replicates=plan.sweep_replicates,
            workers=workers,
            executor=executor,
        )
        return before < total

    def sobol_stage() -> bool:
        folder = out / "sensitivity"
        if (folder / "indices.csv").exists():
            return False
        path = out / "inputs" / "sobol-scenario.toml"
        write_atomic(path, derived_file(by_label[MAIN], plan.sobol_days, plan.warmup_days))
        sensitivity(
            path,
            n=plan.sobol_n,
            replicates=1,
            seed=plan.seed,
            resamples=plan.sobol_resamples,
            workers=workers,
            executor=executor,
        ).write(folder)
        return True

    def published_stage() -> bool:
        path = out / "published.csv"
        if path.exists():
            return False
        rows = []
        for name, inp in published.items():
            for label, beds, transport in CAPACITY_VARIANTS:
                raw = published_variant(inp.raw, beds, transport, plan.published_days)
                s = run_one(
                    enforcesim.parse_scenario(raw, str(inp.path)), seed=plan.seed
                ).summary_dict()
                c = s["costs"]["metrics"]
                rows.append(
                    {
                        "analysis": name,
                        "capacity": label,
                        "removals_per_year": s["metrics"]["removals_per_day"]["mean"] * 365,
                        "detained": s["metrics"]["detained"]["mean"],
                        "cost_per_year": c["cost_all_in_total"]["mean"]
                        / raw["scenario"]["days"]
                        * 365,
                        "cost_per_removal": c["cost_all_in_per_removal"]["mean"],
                    }
                )
        write_atomic(path, pd.DataFrame(rows).to_csv(index=False))
        return True

    stages += [("sweep", sweep_stage), ("sensitivity", sobol_stage), ("published", published_stage)]
    for i, (name, go) in enumerate(stages):
        (study.ran if go() else study.reused).append(name)
        if on_stage is not None:
            on_stage(name, i + 1, len(stages))
    render_flagship(out)
    return study


def derived_file(inp: Input, days: int, warmup_days: int | None) -> str:
    """The text of a library file with a shorter horizon: its values edited in place, so
    that its comments still date and source every value kept."""
    doc = tomlfile.parse(inp.text)
    set_horizon(doc, days, warmup_days)
    doc["scenario"].item("days").comment(f"cut from {inp.raw['scenario']['days']} days")
    header = (
        f"# Derived by `enforcesim study flagship` from scenarios/library/{inp.label}.toml "
        f"with a horizon of {days} days;\n# schedule steps after it dropped. The comments "
        "below are the library file's."
    )
    return tomlfile.dumps(doc, header=header)
