"""The flagship study's folder read back: which scenarios it holds, their saved results, the
headline numbers and the answers in words (the report and the terminal print these). Reading
needs nothing that runs the model, so the report and `enforcesim report` can use it alone."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..bottlenecks import alone, gap_to_target
from ..central import MIN_REPLICATES, few_replicates_note, number
from ..errors import StudyError
from . import flagship_words as W
from . import headline as HL

BASELINE = "goal-3000-no-buildout"  # the goal with today's officers and contract beds
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
ARRESTS_GOAL = 3000.0  # ICE arrests/day, May 2025 (press)
REMOVALS_GOAL = 2740.0  # 1,000,000 removals a year / 365
BUDGET = "detention_2025_law"
# What each scenario changes, in the report's words.
LABELS = {
    "goal-3000-no-buildout": "goal, ~6,000 officers, 62,913 beds (no build-out)",
    "goal-3000-buildout-100k": "goal, build-out to 100,000 beds",
    "more-officers": "goal, build-out + 10,000 officers",
    "more-flights": "goal, build-out + flights for 1M/yr",
    "priority-criminal-first": "goal, 62,913 beds, criminal first",
    "expedited-removal-wide": "goal, 62,913 beds, wider expedited removal",
    "status-quo-fy2024": "status quo FY2024 (book-ins)",
    "removals-1m-per-year": "1M removals/yr (book-ins, if arrests happen)",
}


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

    def as_run(self, label: str) -> dict[str, Any]:
        """The scenario with the horizon it was run over: a plan with its own `days` (the
        quick plan) cuts the file's (the saved file keeps its own)."""
        raw = self.raw(label)
        cut = self.plan.get("days")
        if cut is not None:
            raw["scenario"]["days"] = min(int(cut), int(raw["scenario"]["days"]))
        return raw


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
    if digits < 0:  # dollars in billions, below $1B too (a horizon that ends before a budget
        return f"${v / 1e9:,.1f}B"  # starts spends $0.0B of it)
    if a >= 1e9:
        return f"{v / 1e9:,.1f} billion"
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
            attempts = top.get("ice_arrest_attempts_per_day_mean")
            out["sweep_best"] = {
                "arrests": float(top["ice_arrests_per_day_mean"]),
                "attempts": None if attempts is None else float(attempts),
                **{
                    f"foregone_{c}": float(top.get(f"arrests_foregone_{c}_per_day_mean", 0.0))
                    for c in W.LACK
                },
            }
            used = sweep.parent / "scenario.toml"
            out["sweep_raw"] = tomllib.loads(used.read_text()) if used.exists() else {}
    out["forecast"] = forecast_year(rs, main)
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
    raw = rs.as_run(a["main"])
    period = W.period_words(raw)
    lines = [
        f"How to read: a number is a mean over the reported horizon, {period}, unless the "
        f"line names another period, and the mean of {n} replicates, then [the 2.5th-97.5th "
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
    officers = raw.get("officers", {}).get("headcount")
    line = (
        f"3,000 ICE arrests a day: {'met' if (am['p'] or 0) >= 0.5 else 'not met'}. Over "
        f"{period}, with "
        + ("today's officers" if officers is None else f"today's ~{officers:,} officers")
        + f" and the bed build-out the model makes {_b(am['iv'], am['central'])} a day "
        f"(probability of meeting the goal {am['p']:.0%}); with the 10,000 new officers "
        f"{_b(mo['iv'], mo['central'])} ({mo['p']:.0%})."
    )
    fc = a.get("forecast")
    if fc:
        line += (
            f" In FY{fc['fy']} alone ({W.span_words(raw, *fc['span'])}, the first year after "
            f"the data): {_b(fc['arrests'], fc['arrests_central'])} ICE arrests a day and "
            f"{_b(fc['detained'], fc['detained_central'])} detained."
        )
    lines.append(line)
    if "officers_for_goal" in a:
        best = a["sweep_best"]
        sweep_raw = a.get("sweep_raw", {})
        why = W.shortfall_reason(best, ARRESTS_GOAL, sweep_raw)
        over = (
            f" over {W.period_words(sweep_raw)}" if "days" in sweep_raw.get("scenario", {}) else ""
        )
        lines.append(
            f"Feasibility map{over}: "
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
    bn_raw = rs.as_run(f"{a['main']}-bottlenecks")
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
            + (W.beyond_words(entry, parts, bn_raw) if name == "ice_arrests_per_day" else "")
        )
    if split:
        lines.append(
            f"Bottleneck split (Shapley, {a['bottleneck_replicates']} replicates):"
            + "".join(split)
            + " A constraint that changes little alone can earn credit through its "
            f"interaction with others (one may matter only once another is relaxed): "
            f"{HL.SHAPLEY_DOC}."
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


def forecast_year(rs: RunSet, label: str) -> dict[str, Any] | None:
    """ICE arrests a day and the detained population in the forecast year (W.FORECAST_FY),
    from the daily tables, with the central run's values; None when the horizon does not
    hold the whole year."""
    span = W.fiscal_year_span(rs.as_run(label), W.FORECAST_FY)
    if span is None:
        return None
    central = f"{label}-process-noise-only"
    out: dict[str, Any] = {"fy": W.FORECAST_FY, "span": span}
    for key, frame, column in (
        ("arrests", ice_arrests_daily, "ice_arrests"),
        ("detained", lambda r, lab: r.daily(lab), "detained"),
    ):
        out[key] = W.replicate_band(frame(rs, label), column, *span)
        out[f"{key}_central"] = (
            W.replicate_band(frame(rs, central), column, *span)[0]
            if central in rs.summaries
            else None
        )
    return out


def ice_arrests_daily(rs: RunSet, label: str) -> pd.DataFrame:
    """ICE arrests made per replicate and day (CBP transfers and sources that do not count
    as ICE arrests left out)."""
    sources = rs.raw(label).get("arrests", {}).get("sources", {})
    ice = [
        n
        for n, s in sources.items()
        if s.get("kind") != "cbp_transfer" and s.get("counts_as_ice_arrest", True)
    ]
    a = rs.daily(label, "daily_arrests")
    a = a[a["source"].isin(ice)]
    return (
        a.groupby(["replicate", "day"], as_index=False)["made"]
        .sum()
        .rename(columns={"made": "ice_arrests"})
    )


def paired_difference(rs: RunSet, base: str, label: str, metric: str) -> tuple[float, float, float]:
    """Mean difference label - base over paired replicates, with its 95 % Student t CI."""
    a = rs.metrics[base][metric].to_numpy(dtype=float)
    b = rs.metrics[label][metric].to_numpy(dtype=float)
    d = (b - a)[~np.isnan(b - a)]
    if d.size < 2:
        v = float(d.mean()) if d.size else math.nan
        return (v, v, v)
    from scipy import stats

    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return (float(d.mean()), float(d.mean() - half), float(d.mean() + half))
