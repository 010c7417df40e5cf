"""The flagship study: can ICE make 3,000 arrests a day and 1,000,000 removals a year, what
binds, and at what cost? (issue 8; docs/flagship.md)

    enforcesim study flagship --out out/flagship

runs, on common random numbers and under the library files' parameter uncertainty:

1. the goal scenarios of `scenarios/library/` (the baseline with today's officers and about
   50,000 beds, the build-out to 100,000 beds, more officers, more flights, criminal-first
   priorities, wider expedited removal), and for context the calibrated status quo and the
   book-in-driven million-removals scenario;
2. bottleneck attribution (Shapley over beds and seats) on the main goal scenario, and the
   same scenario with process noise only, to show what the parameter uncertainty adds;
3. a feasibility sweep over beds x officers (study.sweep: resumable point by point);
4. Sobol indices of cost per removal and removals per day (study.sensitivity);
5. the published static estimates (AIC 2024, PWBM 2025) as published and under capacity;

then writes `report.html` and `figures/*.png` (flagship_report.py). Every stage writes its
results to the folder as it finishes; a rerun in the same folder with the same plan and the
same scenario files skips what is there (an interrupted study resumes). Run sizes are the
`Plan`'s, stated in the report.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__, tomlfile
from .. import headline as HL
from ..api import run as api_run
from ..bottlenecks import alone, gap_to_target
from ..central import MIN_REPLICATES, few_replicates_note, number
from ..files import write_atomic, write_json
from ..outdir import add_file, resume
from ..outdir import check as check_out
from ..scenario import parse_scenario
from .common import StudyError, content_hash

ROOT = Path(__file__).resolve().parents[3]
LIBRARY = ROOT / "scenarios" / "library"
PUBLISHED = ROOT / "scenarios" / "published"

BASELINE = "goal-3000-beds-50k"  # the goal with today's officers and beds
MAIN = "goal-3000-buildout-100k"  # the goal on the 2025 law's bed timeline
COMPARED = (
    BASELINE,
    MAIN,
    "more-officers",
    "more-flights",
    "priority-criminal-first",
    "expedited-removal-wide",
)
CONTEXT = ("status-quo-fy2024", "removals-1m-per-year")
NOISE_ONLY = f"{MAIN}-process-noise-only"
BOTTLENECKS = f"{MAIN}-bottlenecks"
# Attribution of these targets' shortfalls over every constraint that applies (beds, seats,
# officers, pool): 2^4 runs per replicate, so it has its own, smaller replicate count.
BOTTLENECK_TARGETS = ["ice_arrests_per_day", "removals_per_day"]
ARRESTS_GOAL = 3000.0  # ICE arrests/day, May 2025 (press)
REMOVALS_GOAL = 2740.0  # 1,000,000 removals a year / 365
BUDGET = "detention_2025_law"


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


# Sized to finish in about 5 minutes on 2 cores (docs/flagship.md gives the timing).
FULL = Plan(
    "full",
    replicates=10,
    days=None,
    warmup_days=None,
    sweep_beds=(50_000, 100_000, 150_000),
    sweep_officers=(6_000, 16_000, 26_000, 36_000),
    sweep_replicates=4,
    sweep_days=365,
    sobol_n=8,
    sobol_days=365,
    sobol_resamples=200,
    published_days=365,
    bottleneck_replicates=4,
)
# End to end in seconds: for tests and a first look, not for numbers.
QUICK = Plan(
    "quick",
    replicates=2,
    days=60,
    warmup_days=20,
    sweep_beds=(40_000, 60_000),
    sweep_officers=(6_000, 16_000),
    sweep_replicates=2,
    sweep_days=45,
    sobol_n=4,
    sobol_days=45,
    sobol_resamples=20,
    published_days=45,
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
    parse_scenario(raw, str(path))  # every file is validated before anything runs
    return Input(path.stem, path, text, raw)


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
    [uncertainty]), with any [uncertainty] entry on it; a shorter warm-up when given."""
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


def _manifest(plan: Plan, inputs: list[Input]) -> dict[str, Any]:
    # through JSON, so that it compares equal with the one read back (tuples become lists)
    return json.loads(
        json.dumps(
            {
                "tool": "flagship",
                "version": __version__,
                "plan": asdict(plan),
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
) -> Flagship:
    """Run every stage not already in out_dir, then write report.html and figures/.

    `on_stage(name, done, total)` is called as stages finish. Raises StudyError for a folder
    that holds another study, ScenarioError for a bad scenario file.
    """
    from .sensitivity import sensitivity
    from .sweep import Axis, sweep

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StudyError([f"{out}: exists and is not a folder"])
    inputs = [read_input(library / f"{name}.toml") for name in (*COMPARED, *CONTEXT)]
    published = {n: read_input(PUBLISHED / f"{n}.toml") for n in ("aic-2024", "pwbm-2025")}
    manifest = _manifest(plan, inputs + list(published.values()))
    check_out(out, "study flagship")
    _check_folder(out, manifest)
    resume(out, "study flagship")
    write_json(out / "manifest.json", manifest)
    study = Flagship(out, plan)
    by_label = {i.label: i for i in inputs}
    stages: list[tuple[str, Callable[[], bool]]] = []

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
            res = api_run(
                parse_scenario(raw, str(inp.path)), workers=workers, bottlenecks=bottlenecks
            )
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
                s = api_run(
                    parse_scenario(raw, str(inp.path)), seed=plan.seed, workers=workers
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
    from .flagship_report import render_flagship

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


# --- reading the results back --------------------------------------------------------------------


@dataclass
class RunSet:
    """What a flagship folder holds, read back from disk."""

    folder: Path
    manifest: dict[str, Any]
    summaries: dict[str, dict[str, Any]]
    metrics: dict[str, pd.DataFrame]
    texts: dict[str, str]

    @property
    def plan(self) -> dict[str, Any]:
        return self.manifest["plan"]

    def daily(self, label: str, name: str = "daily") -> pd.DataFrame:
        return pd.read_parquet(self.folder / "runs" / label / f"{name}.parquet")

    def raw(self, label: str) -> dict[str, Any]:
        return tomllib.loads(self.texts[label])


def read_flagship(folder: str | Path) -> RunSet:
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError:
        raise StudyError([f"{folder}: no manifest.json (not a flagship folder)"]) from None
    summaries, metrics, texts = {}, {}, {}
    main = manifest["main"]
    for label in (
        *manifest["compared"],
        *manifest["context"],
        f"{main}-process-noise-only",
        f"{main}-bottlenecks",
    ):
        run = folder / "runs" / label
        if not (run / "replicate_metrics.csv").exists():
            raise StudyError(
                [
                    f"{run}: missing; run `enforcesim study flagship --out "
                    f"{folder}` again to finish the study"
                ]
            )
        summaries[label] = json.loads((run / "summary.json").read_text())
        metrics[label] = pd.read_csv(run / "replicate_metrics.csv")
        texts[label] = (run / "scenario.toml").read_text()
    return RunSet(folder, manifest, summaries, metrics, texts)


def _iv(d: dict[str, Any] | None) -> tuple[float, float, float]:
    if not d or d.get("mean") is None:
        return (math.nan, math.nan, math.nan)
    return (d["mean"], d["lo"], d["hi"])


def _n(v: float, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 1e9:
        return f"${v / 1e9:,.1f}B" if digits < 0 else f"{v / 1e9:,.1f} billion"
    return f"{v:,.{digits}f}"


def answers(rs: RunSet) -> dict[str, Any]:
    """The headline numbers, from the saved results (the report and the terminal print
    these)."""
    main, base = rs.manifest["main"], rs.manifest["baseline"]
    s_main, s_base = rs.summaries[main], rs.summaries[base]
    more = rs.summaries.get("more-officers", s_main)
    out: dict[str, Any] = {
        "main": main,
        "baseline": base,
        "quick": rs.plan["name"] == "quick",
        "replicates": s_main["replicates"],
        "kind": s_main.get("interval", {}).get("kind", ""),
        "one_sided": {p: s_main["interval"]["parameters"][p] for p in HL.one_sided(s_main)},
    }
    for key, s in (
        ("arrests_main", s_main),
        ("arrests_base", s_base),
        ("arrests_more_officers", more),
    ):
        out[key] = {
            "iv": _iv(s["metrics"].get("ice_arrests_per_day")),
            "central": HL.central_value(s, "ice_arrests_per_day"),
            "p": s["targets"].get("ice_arrests_per_day", {}).get("probability_met"),
        }
    out["removals_main"] = {
        "iv": _iv(s_main["metrics"]["removals_per_day"]),
        "central": HL.central_value(s_main, "removals_per_day"),
        "p": s_main["targets"].get("removals_per_day", {}).get("probability_met"),
    }
    m1 = rs.summaries.get("removals-1m-per-year")
    if m1:
        out["removals_1m"] = {
            "iv": _iv(m1["metrics"]["removals_per_day"]),
            "central": HL.central_value(m1, "removals_per_day"),
            "detained": _iv(m1["metrics"]["detained"]),
            "p": m1["targets"].get("removals_per_day", {}).get("probability_met"),
        }
    m = s_main["metrics"]
    causes = {
        c: m.get(f"arrests_foregone_{c}_per_day", {}).get("mean") or 0.0
        for c in ("officers", "beds", "pool")
    }
    out["foregone"] = causes
    s_bn = rs.summaries[f"{main}-bottlenecks"]
    bn = s_bn.get("bottlenecks", {})
    out["bottlenecks"] = bn
    out["bottleneck_replicates"] = s_bn["replicates"]
    out["shapley"] = {
        name: {c: v["mean"] for c, v in t.get("shapley", {}).items()}
        for name, t in bn.get("targets", {}).items()
    }
    out["beyond_constraints"] = {
        name: t.get("beyond_constraints") for name, t in bn.get("targets", {}).items()
    }
    out["binding_days"] = {c: v["mean"] for c, v in bn.get("binding_day_share", {}).items()}
    costs = s_main["costs"]["metrics"]
    out["cost_per_removal"] = _iv(costs["cost_all_in_per_removal"])
    out["cost_per_removal_central"] = HL.central_value(s_main, "cost_all_in_per_removal", "costs")
    days = rs.daily(main)["day"].max() + 1
    out["cost_per_year"] = tuple(v / days * 365 for v in _iv(costs["cost_all_in_total"]))
    total_central = HL.central_value(s_main, "cost_all_in_total", "costs")
    out["cost_per_year_central"] = None if total_central is None else total_central / days * 365
    b = s_main.get("budgets", {}).get(BUDGET)
    if b:
        start, end = b["period_days"]
        in_horizon = max(1, min(end, days - 1) - start + 1)
        spent = _iv(b["spent_in_horizon"])
        # percentiles map through a decreasing function: lo spending gives the longest time
        years = tuple(
            b["amount_usd"] / (v / in_horizon * 365) if v else math.nan
            for v in (spent[0], spent[2], spent[1])
        )
        central = s_main.get("central", {}).get("budgets", {}).get(BUDGET, {})
        spent_c = central.get("spent_in_horizon")
        out["budget"] = {
            "years_at_pace_central": (
                b["amount_usd"] / (spent_c / in_horizon * 365) if spent_c else None
            ),
            "sustainable_beds_central": central.get("sustainable_beds"),
            "amount": b["amount_usd"],
            "p_runs_out": b["probability_runs_out"],
            "runs_out_date": b.get("runs_out_date"),
            "spent_per_year": tuple(v / in_horizon * 365 for v in spent),
            "years_at_pace": years,
            "period_years": (end - start + 1) / 365.25,
            "sustainable_beds": _iv(b["sustainable_beds"]),
        }
    sweep = rs.folder / "sweep" / "grid.csv"
    if sweep.exists():
        g = pd.read_csv(sweep)
        if "p_ice_arrests_per_day" in g:
            ok = g[g["p_ice_arrests_per_day"] >= 0.5]
            out["officers_for_goal"] = None if ok.empty else int(ok["officers.headcount"].min())
            out["sweep_max_p"] = float(g["p_ice_arrests_per_day"].max())
            out["sweep_max_officers"] = int(g["officers.headcount"].max())
            out["sweep_max_beds"] = int(g["detention.beds"].max())
            top = g.loc[g["ice_arrests_per_day_mean"].idxmax()]
            out["sweep_best"] = {
                "arrests": float(top["ice_arrests_per_day_mean"]),
                "foregone_beds": float(top.get("arrests_foregone_beds_per_day_mean", 0.0)),
                "foregone_officers": float(top.get("arrests_foregone_officers_per_day_mean", 0.0)),
            }
    return out


def _b(
    iv: tuple[float, float, float], central: float | None = None, digits: int = 0, pre: str = ""
) -> str:
    """mean [lo-hi] (central run c)."""
    return HL.band(iv[0], iv[1], iv[2], lambda v: pre + _n(v, digits), central)


def _signed(v: float) -> str:
    return f"{v:+,.0f}" if abs(v) >= 10 else f"{v:+.2f}"


def headlines(folder: str | Path) -> list[str]:
    """The answers in words. The first lines say what the ranges cover and what the central
    run is; a quick plan's lines all carry "quick check, not for citation"."""
    rs = read_flagship(folder)
    a = answers(rs)
    n = a["replicates"]
    lines = [
        f"How to read: a number is the mean of {n} replicates, then [the 2.5th-97.5th "
        f"percentiles of the replicates] under {a['kind']} ([uncertainty] drawn per "
        "replicate), then (central run: the same replicates with every uncertain parameter at "
        "the value the scenario file gives, process noise only)."
    ]
    if a["one_sided"]:
        lines.append(
            "One-sided ranges in the main scenario: the file's value is at an end of the "
            "range of "
            + "; ".join(
                f"{p} ({number(v['file_value'])}, range {number(v['range'][0])}-"
                f"{number(v['range'][1])})"
                for p, v in a["one_sided"].items()
            )
            + ". Their draws move one way only, so a range can lie to one side of the "
            "central run."
        )
    if n < MIN_REPLICATES:
        lines.append(f"Note: {few_replicates_note(n)}.")
    am, mo = a["arrests_main"], a["arrests_more_officers"]
    lines.append(
        f"3,000 ICE arrests a day: not met. With today's ~6,000 officers and the bed build-out "
        f"the model makes {_b(am['iv'], am['central'])} a day (probability of meeting the "
        f"goal {am['p']:.0%}); with the 10,000 new officers {_b(mo['iv'], mo['central'])} "
        f"({mo['p']:.0%})."
    )
    if "officers_for_goal" in a:
        best = a["sweep_best"]
        why = (
            " Beds fill with people waiting for removal transport (FY2024's pace), so "
            "arrests are throttled: more officers alone do not get there."
            if best["foregone_beds"] > best["foregone_officers"]
            else ""
        )
        lines.append(
            "Feasibility map: "
            + (
                f"the goal is met with probability >= 50 % from "
                f"{a['officers_for_goal']:,} officers on."
                if a["officers_for_goal"]
                else f"no grid point up to {a['sweep_max_officers']:,} officers "
                f"and {a['sweep_max_beds']:,} beds meets it with probability "
                f">= 50 % (best {a['sweep_max_p']:.0%}; at most "
                f"{_n(best['arrests'])} a day, mean of the point's replicates).{why}"
            )
        )
    r = a["removals_main"]
    line = (
        f"Removals: {_b(r['iv'], r['central'])} a day = {_n(r['iv'][0] * 365 / 1000)}k a "
        f"year, against 2,740 a day for 1,000,000 a year (probability {r['p']:.0%})."
    )
    if "removals_1m" in a:
        m1 = a["removals_1m"]
        line += (
            f" Even if the arrests happened (book-in driven), 100,000 beds and flights "
            f"for a million give {_b(m1['iv'], m1['central'])} a day with "
            f"{_n(m1['detained'][0])} detained."
        )
    lines.append(line)
    f = a["foregone"]
    total = sum(f.values()) or 1.0
    top = max(f, key=f.get)
    line = (
        f"What binds: {top} - of the attempted ICE arrests not made, "
        f"{f['officers'] / total:.0%} for lack of officer-hours, {f['beds'] / total:.0%} "
        f"for lack of beds, {f['pool'] / total:.0%} for an empty pool."
    )
    lines.append(line)
    split = []
    targets = a["bottlenecks"].get("targets", {})
    for name, what in (("ice_arrests_per_day", "ICE arrests"), ("removals_per_day", "Removals")):
        entry = targets.get(name)
        gap = gap_to_target(entry) if entry else None
        if gap is None:
            continue
        parts = gap["parts"]
        split.append(
            f" {what}: goal {_n(entry['target'])} - achieved {_n(entry['achieved']['mean'])}"
            f" = {_n(gap['total'])}/day = "
            + " + ".join(f"{c} {_n(v)}" for c, v in parts.items() if c != "beyond_constraints")
            + f" + beyond every constraint {_n(parts['beyond_constraints'])}"
            + (
                " (with every constraint relaxed it overshoots the goal)"
                if parts["beyond_constraints"] < 0
                else ""
            )
            + "; relaxing one "
            "alone changes it by "
            + ", ".join(f"{c} {_signed(v)}" for c, v in alone(entry).items())
            + "."
        )
    if split:
        lines.append(
            f"Bottleneck split (Shapley, {a['bottleneck_replicates']} replicates):"
            + "".join(split)
            + f" A constraint that changes little alone earns credit through its interaction "
            f"with others (beds matter once officers are relaxed): {HL.SHAPLEY_DOC}."
        )
    c = a["cost_per_removal"]
    y = a["cost_per_year"]
    lines.append(
        f"Cost per removal (all-in): {_b(c, a['cost_per_removal_central'], pre='$')}; "
        f"{_b(y, a['cost_per_year_central'], -1)} a year."
    )
    if "budget" in a:
        b = a["budget"]
        ya = b["years_at_pace"]
        yc = b["years_at_pace_central"]
        lines.append(
            f"The $45B for detention: probability it runs out by 30 Sep 2029 "
            f"{b['p_runs_out']:.0%}; at the simulated pace ({_n(b['spent_per_year'][0], -1)} a "
            f"year) it lasts {ya[0]:.1f} years [{ya[1]:.1f}-{ya[2]:.1f}]"
            + ("" if yc is None else f" (central run {yc:.1f})")
            + f" against the {b['period_years']:.1f} years it is meant for; it would sustain "
            f"{_b(b['sustainable_beds'], b['sustainable_beds_central'])} occupied beds."
        )
    return [HL.quick(line, a["quick"]) for line in lines]


def replicate_arrays(rs: RunSet, label: str, metric: str) -> np.ndarray:
    df = rs.metrics[label]
    return df[metric].to_numpy(dtype=float) if metric in df else np.array([])
