"""The flagship study's self-contained HTML report (report.html, figures embedded) and its PNG
figures (figures/), from what `run_flagship` left in the folder."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import headline as HL
from ..bottlenecks import alone, gap_to_target
from ..headline import QUICK_LABEL
from . import figures as F
from . import flagship_figures as FF
from .common import fmt, unit
from .flagship import (
    ARRESTS_GOAL,
    BOTTLENECKS,
    BUDGET,
    NOISE_ONLY,
    REMOVALS_GOAL,
    RunSet,
    answers,
    headlines,
    read_flagship,
)
from .report import (
    ICE_SOURCE,
    Page,
    _ice_tables,
    _table,
    _write,
    assumptions_html,
    sobol_html,
)

# ICE administrative arrests by fiscal year (ICE annual reports and press releases; reference
# parameters.md). FY2020 and FY2021 are not in the reference.
ICE_ARRESTS_FY = {2019: 143_099, 2022: 142_750, 2023: 170_590, 2024: 113_431}
ARRESTS_SOURCE = "ICE administrative arrests FY2019, FY2022-FY2024: ICE annual reports"

LABELS = {
    "goal-3000-beds-50k": "goal, ~6,000 officers, 50,000 beds",
    "goal-3000-buildout-100k": "goal, build-out to 100,000 beds",
    "more-officers": "goal, build-out + 10,000 officers",
    "more-flights": "goal, build-out + flights for 1M/yr",
    "priority-criminal-first": "goal, 50,000 beds, criminal first",
    "expedited-removal-wide": "goal, 50,000 beds, wider expedited removal",
    "status-quo-fy2024": "status quo FY2024 (book-ins)",
    "removals-1m-per-year": "1M removals/yr (book-ins, if arrests happen)",
}

INTERVALS = (
    "<p>Every number comes with the 2.5th-97.5th percentile range over replicates, and "
    "every time plot shows the median of the replicates with two bands: the darker band holds "
    "the middle 50 % of replicates, the lighter one the middle 95 %. Two kinds of uncertainty "
    "are in them:</p><ul>"
    "<li><b>Process noise</b>: chance within a run - who is arrested when, how long each stay "
    "lasts, which departure takes whom. It shrinks relative to the totals as the numbers get "
    "large, so at these volumes it is small.</li>"
    "<li><b>Parameter uncertainty</b>: inputs that the sources do not pin down (hours per "
    "arrest, casework share, stays, removal share, transport, bed rates: each file's "
    "[uncertainty] section, with the sources' range in its comments). Each replicate draws "
    "its own values once, then runs. This is most of the width of the bands here.</li></ul>"
    "<p>The figure below shows both for the main goal scenario: the same run with the "
    "parameters fixed at the file's values (process noise only) and drawn (both). Neither "
    "covers uncertainty about the model's structure (for example the yield curve's form, or "
    "that arrests are limited by a national pool of officer-hours) or inputs held fixed. "
    "With few replicates the 95 % range is rough: it is the spread of the replicates, not a "
    "confidence interval of the mean.</p>"
)


_NO_GAP = {"total": None, "parts": {"beyond_constraints": None}}


def _colour(label: str, order: list[str]) -> str:
    return F.OKABE_ITO[order.index(label) % len(F.OKABE_ITO)] if label in order else F.OKABE_ITO[-1]


def _ice_arrests_daily(rs: RunSet, label: str) -> pd.DataFrame:
    raw = rs.raw(label)
    sources = raw.get("arrests", {}).get("sources", {})
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


def _start(rs: RunSet, label: str) -> pd.Timestamp:
    return pd.Timestamp(rs.raw(label)["scenario"]["start_date"])


def _ivs(iv: tuple[float, float, float] | dict[str, Any] | None, metric: str = "") -> str:
    if isinstance(iv, dict):
        iv = (iv.get("mean"), iv.get("lo"), iv.get("hi"))
    if not iv or iv[0] is None or (isinstance(iv[0], float) and math.isnan(iv[0])):
        return "-"
    return f"{fmt(iv[0], metric)} [{fmt(iv[1], metric)}, {fmt(iv[2], metric)}]"


def _paired(rs: RunSet, base: str, label: str, metric: str) -> tuple[float, float, float]:
    a = rs.metrics[base][metric].to_numpy(dtype=float)
    b = rs.metrics[label][metric].to_numpy(dtype=float)
    d = (b - a)[~np.isnan(b - a)]
    if d.size < 2:
        v = float(d.mean()) if d.size else math.nan
        return (v, v, v)
    from scipy import stats

    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return (float(d.mean()), float(d.mean() - half), float(d.mean() + half))


def render_flagship(folder: str | Path, out: str | Path | None = None) -> Path:
    rs = read_flagship(folder)
    folder = Path(folder)
    man, plan = rs.manifest, rs.plan
    quick = plan["name"] == "quick"
    page = Page(
        "Can ICE make 3,000 arrests a day and remove a million people a year? "
        "The enforcesim flagship study" + (f" ({QUICK_LABEL.upper()})" if quick else ""),
        folder,
        Path(out) if out else folder,
    )
    main, base = man["main"], man["baseline"]
    compared, context = man["compared"], man["context"]
    order = list(compared)
    a = answers(rs)
    start = _start(rs, main)
    version = man["version"]
    runs_src = (
        f"Model: enforcesim {version}, {plan['replicates']} replicates per scenario, "
        f"seed {plan['seed']}, common random numbers"
        + (f" ({QUICK_LABEL}: plan 'quick')" if quick else "")
    )
    model_src = f"{runs_src}; intervals: process noise and parameter uncertainty."
    scen_src = "Scenarios: scenarios/library/ (every value dated and sourced in its comments)."

    # --- headline answers -----
    items = "".join(f"<li>{html.escape(line)}</li>" for line in headlines(folder))
    warning = (
        "<p class='quick' style='background:#fdecea;border-left:4px solid #D55E00;padding:0.6em'>"
        f"<b>{QUICK_LABEL.capitalize()}.</b> Plan 'quick': "
        f"{plan['replicates']} replicates per scenario"
        + ("" if plan["days"] is None else f", a {plan['days']}-day horizon")
        + ", a tiny sweep and Sobol sample. It checks that the study runs end to end; its "
        "numbers answer nothing. Run <code>enforcesim study flagship</code> without "
        "<code>--quick</code> for the study.</p>"
        if quick
        else ""
    )
    page.section(
        "Headline answers",
        (
            f"{warning}<ol>{items}</ol><p class='note'>Main goal scenario: <code>{main}</code> "
            f"(the goal from {start.date()}, about 6,000 officers, beds built out to 100,000 on "
            "the 2025 law's timeline, removal transport at FY2024's pace). Ranges: the 2.5th-"
            "97.5th percentiles of the replicates, under process noise and parameter "
            "uncertainty; the central run beside them has every uncertain parameter at the "
            "value the scenario file gives (process noise only; <i>How to read the "
            "intervals</i> below). The plan "
            f"'{plan['name']}' ({plan['replicates']} replicates per scenario) is stated in "
            "<i>Method</i> below.</p>"
        ),
    )

    # --- question and scenarios -----
    rows = []
    for label in (*compared, *context):
        s = rs.summaries[label]
        raw = rs.raw(label)
        rows.append(
            [
                label,
                LABELS.get(label, ""),
                raw["scenario"].get("start_date", ""),
                f"{raw['scenario']['days']:,}",
                "arrests" if "arrests" in raw else "book-ins",
                man["scenarios"][label]["source"],
                s["replicates"],
            ]
        )
    page.section(
        "The question and the scenarios",
        (
            "<p>In May 2025 ICE was given a goal of 3,000 arrests a day; the administration's "
            "goal is 1,000,000 removals a year (2,740 a day). The 2025 reconciliation law funds "
            "a build-out from about 50,000 to 100,000 detention beds ($45B for detention through "
            "30 Sep 2029) and 10,000 new ICE officers. Can the goals be met, what stops them, "
            "and at what cost? Each scenario below changes one lever against the goal scenario "
            "with today's officers and 50,000 beds (the baseline); two more give context. "
            "Arrests are not book-ins: the goal scenarios are driven by arrests (limited by "
            "officer-hours, a depleting at-large pool and beds; docs/arrests.md).</p>"
            + _table(
                ["scenario", "what", "day 0", "days", "driven by", "file", "replicates"],
                rows,
                numeric={3, 6},
            )
        ),
    )

    # --- arrests vs the goal -----
    arr = {lab: _ice_arrests_daily(rs, lab) for lab in compared}
    shown = [base, main, "more-officers", "priority-criminal-first"]
    series = [(LABELS[lab], _colour(lab, order), arr[lab]) for lab in shown if lab in arr]
    src = f"{model_src} {scen_src} Goal: press reports, May 2025. FY2024: {ARRESTS_SOURCE}."
    data = FF.time_bands(
        series,
        "ice_arrests",
        start,
        page.fig_path("arrests_vs_goal.png"),
        src,
        "ICE arrests made per day, against the goal",
        "ICE arrests made (arrests/day, 7-day average)",
        goal=(ARRESTS_GOAL, "goal: 3,000 ICE arrests/day"),
        observed=(113_431 / 366, "ICE FY2024: 310 arrests/day (published)"),
    )
    rows = []
    for lab in compared:
        s = rs.summaries[lab]
        m = s["metrics"]
        p_met = s["targets"].get("ice_arrests_per_day", {}).get("probability_met", 0)
        rows.append(
            [
                LABELS[lab],
                _ivs(m.get("ice_arrests_per_day"), "ice_arrests_per_day"),
                f"{p_met:.0%}",
                _ivs(m.get("ice_arrest_attempts_per_day")),
                _ivs(m.get("arrests_foregone_officers_per_day")),
                _ivs(m.get("arrests_foregone_beds_per_day")),
                _ivs(m.get("arrests_foregone_pool_per_day")),
                _ivs(m.get("officers")),
            ]
        )
    page.section(
        "Arrests against the goal",
        page.figure(
            "arrests_vs_goal.png",
            data,
            (
                "ICE arrests made per day (7-day averages of each replicate; line: median, "
                "bands: middle 50 % and 95 % of replicates) in four scenarios, the 3,000/day "
                "goal (dashed) and FY2024's published pace (dotted). The jump at day 0 is the "
                "goal's attempts meeting the officer-hours available; the build-out changes "
                "little because officers, not beds, bind. Scenarios share their random numbers, "
                "so where two are the same "
                f"(before new officers finish training) their lines coincide. {html.escape(src)}"
            ),
        )
        + _table(
            [
                "scenario",
                "ICE arrests/day",
                "P(3,000 met)",
                "attempted/day",
                "foregone: officers",
                "foregone: beds",
                "foregone: pool",
                "officers",
            ],
            rows,
            numeric={1, 2, 3, 4, 5, 6, 7},
        )
        + "<p class='note'>arrests/day over the horizon: mean [2.5 %, 97.5 %] over replicates; "
        "P: share of replicates at or above the goal.</p>",
    )

    # --- detained vs beds -----
    shown = [base, main, "more-officers"]
    dailies = {lab: rs.daily(lab) for lab in (*compared, NOISE_ONLY)}
    src = f"{model_src} {scen_src}"
    data = F.detained_vs_beds(
        [(LABELS[lab], dailies[lab]) for lab in shown],
        start,
        page.fig_path("detained_vs_beds.png"),
        FF.wrap(src),
        "People in detention and beds",
    )
    page.section(
        "Detained population and beds",
        page.figure(
            "detained_vs_beds.png",
            data,
            (
                "People in detention at the end of each day (line: median of replicates; bands: "
                "middle 50 % and 95 %) and each scenario's beds (dashed step; where beds are "
                "drawn under [uncertainty], the median draw). People ordered removed keep their "
                "bed until a removal seat takes them, so slow transport fills beds. "
                f"{html.escape(src)}"
            ),
        ),
    )

    # --- removals and releases -----
    shown = [base, main, "more-flights", "expedited-removal-wide"]
    window = max(F.smoothing_window(dailies[lab]) for lab in shown)
    data = FF.removals_releases(
        [(LABELS[lab], _colour(lab, order), dailies[lab]) for lab in shown],
        start,
        page.fig_path("removals_releases.png"),
        src,
        REMOVALS_GOAL,
        window,
    )
    rows = []
    for lab in (*compared, *context):
        s = rs.summaries[lab]
        p_met = s["targets"].get("removals_per_day", {}).get("probability_met", 0)
        rows.append(
            [
                LABELS[lab],
                _ivs(s["metrics"]["removals_per_day"], "removals_per_day"),
                f"{p_met:.0%}",
                _ivs(s["metrics"]["releases_per_day"]),
                _ivs(s["metrics"]["wait_for_transport_days"]),
            ]
        )
    page.section(
        "Removals and releases",
        page.figure(
            "removals_releases.png",
            data,
            (
                f"Removals and releases per day ({window}-day trailing averages of each replicate; "
                "line: median, bands: middle 50 % and 95 % of replicates) and the 2,740/day goal. "
                "Removals here are removals out of detention; ICE's published removals also count "
                f"people never detained. {html.escape(src)}"
            ),
        )
        + _table(
            ["scenario", "removals/day", "P(2,740 met)", "releases/day", "wait for a seat (days)"],
            rows,
            numeric={1, 2, 3, 4},
        ),
    )

    # --- binding constraint -----
    arrests_main = rs.daily(main, "daily_arrests")
    raw_main = rs.raw(main)
    ice = [n for n, s in raw_main["arrests"]["sources"].items() if s["kind"] != "cbp_transfer"]
    data = FF.binding_over_time(
        arrests_main[arrests_main["source"].isin(ice)],
        dailies[main],
        start,
        page.fig_path("binding.png"),
        src,
    )
    bsum = rs.summaries[BOTTLENECKS]
    bn = bsum.get("bottlenecks", {})
    body = page.figure(
        "binding.png",
        data,
        (
            f"Main goal scenario ({main}). Top: ICE arrests attempted per day, split into those "
            "made and those foregone by cause (the causes are checked in the order pool, "
            "officers, beds; docs/arrests.md); median of replicates of 7-day means, stacked. "
            "Bottom: the share of replicates in which each constraint binds on the day (every bed "
            "taken at some time; a removal departure leaves full with people still waiting; "
            "officer-hours used up; a pool empty), 7-day means. " + html.escape(src)
        ),
    )
    targets = bn.get("targets", {})
    if targets:
        names = list(targets)
        cons = bn.get("constraints", [])
        rows = [
            ["achieved (as run)", *(_ivs(targets[n]["achieved"], n) for n in names)],
            ["every constraint relaxed", *(_ivs(targets[n]["all_relaxed"], n) for n in names)],
            *[
                [f"Shapley value: {c}", *(_ivs(targets[n]["shapley"].get(c), n) for n in names)]
                for c in cons
            ],
            [
                "beyond every constraint (target - all relaxed)",
                *(
                    fmt((gap_to_target(targets[n]) or _NO_GAP)["parts"]["beyond_constraints"], n)
                    for n in names
                ),
            ],
            [
                "= target - achieved (the sum of the parts above)",
                *(fmt((gap_to_target(targets[n]) or _NO_GAP)["total"], n) for n in names),
            ],
            *[
                [
                    f"relaxing {c} alone changes the metric by",
                    *(fmt(alone(targets[n]).get(c), n) for n in names),
                ]
                for c in cons
            ],
        ]
        days = [[c, _ivs(v, "occupancy")] for c, v in bn.get("binding_day_share", {}).items()]
        body += (
            "<h3>Bottleneck attribution (Shapley)</h3><p>The main scenario rerun with "
            f"every subset of its constraints ({', '.join(cons)}) relaxed, "
            f"{2 ** len(cons)} runs of {bsum['replicates']} replicates on the same random "
            "numbers (relaxed: beds unlimited; every departure takes everyone waiting; "
            "officer-hours unlimited; pools never deplete). Each target's shortfall from "
            "the constraints is split between them by exact Shapley values "
            "(docs/costs.md); what is left beyond every constraint is the goal's own "
            "attempts falling short (too few arrests for a million removals), or, when "
            "negative, how far the all-relaxed run overshoots the goal (arrests are attempted "
            "at 110 % of it). The Shapley values and the part beyond every constraint add up "
            "to target - achieved. A constraint that changes little when relaxed alone can "
            "still earn a large Shapley value: beds matter only once officers are relaxed, and "
            'Shapley shares that joint effect (docs/costs.md, "Shapley credit and '
            'interactions", has a worked example).</p>'
            + _table(["per day", *names], rows, numeric=set(range(1, len(names) + 1)))
            + "<p>Share of days on which each constraint binds (mean [2.5 %, 97.5 %] "
            "over replicates):</p>" + _table(["constraint", "share of days"], days, numeric={1})
        )
    page.section("Which constraint binds", body)

    # --- costs -----
    crow = []
    for lab in (*compared, *context):
        c = rs.summaries[lab]["costs"]
        comp = {k: v["per_removal"]["mean"] or 0.0 for k, v in c["by_component"].items()}
        tot = c["metrics"]["cost_all_in_per_removal"]
        crow.append(
            {
                "scenario": LABELS[lab],
                **comp,
                "total": tot["mean"],
                "lo": tot["lo"],
                "hi": tot["hi"],
            }
        )
    ctab = pd.DataFrame(crow).fillna(0.0)
    keep = [
        k
        for k in ctab.columns
        if k not in ("scenario", "total", "lo", "hi") and ctab[k].abs().sum() > 0
    ]
    ctab = ctab[["scenario", *keep, "total", "lo", "hi"]]
    csrc = (
        f"{model_src} {scen_src} Unit costs: $152-180 per bed-day (ICE; GAO; VERIFY), "
        "$71.85 overhead per funded bed-day (FY2024 budget, VERIFY), $96.15 per "
        "officer-hour (2025 law's hiring money, VERIFY), $267,030 per departure (ICE Air "
        "FY2016, press) - docs/costs.md."
    )
    data = FF.cost_breakdown(ctab, page.fig_path("costs.png"), csrc)
    rows = []
    for lab in (*compared, *context):
        s = rs.summaries[lab]
        c = s["costs"]["metrics"]
        days = rs.raw(lab)["scenario"]["days"] if plan["days"] is None else plan["days"]
        tot = c["cost_all_in_total"]
        rows.append(
            [
                LABELS[lab],
                _ivs(c["cost_all_in_per_removal"], "cost_per_removal"),
                _ivs(
                    tuple(v / days * 365 for v in (tot["mean"], tot["lo"], tot["hi"])), "cost_total"
                ),
                _ivs(c["cost_per_occupied_bed_day"]),
                _ivs(s["metrics"]["cost_per_removal"], "cost_per_removal"),
            ]
        )
    budget_html = ""
    b = a.get("budget")
    if b:
        ya = b["years_at_pace"]
        budget_html = (
            "<h3>The $45 billion for detention (2025 law)</h3><p>The law's $45B for ICE "
            "detention from 4 Jul 2025 to 30 Sep 2029 "
            f"({b['period_years']:.1f} years) is charged every day with the main scenario's "
            "beds and overhead (assumed to pay all detention costs: regular appropriations "
            "are not counted, so this is the shortest it could last). "
            f"Probability it runs out by 30 Sep 2029: <b>{b['p_runs_out']:.0%}</b>. At the "
            f"simulated pace, {_ivs(b['spent_per_year'], 'cost_total')} USD a year, it lasts "
            f"<b>{ya[0]:.1f} years</b> [{ya[1]:.1f}, {ya[2]:.1f}]; spread over its whole "
            "period it would sustain "
            f"{_ivs(b['sustainable_beds'], 'detained')} occupied beds at the scenario's "
            "average cost per bed-day.</p>"
        )
        rows_b = []
        for lab in compared:
            bb = rs.summaries[lab].get("budgets", {}).get(BUDGET)
            if bb:
                rows_b.append(
                    [
                        LABELS[lab],
                        f"{bb['probability_runs_out']:.0%}",
                        _ivs(bb["spent_in_horizon"], "cost_total"),
                        _ivs(bb["sustainable_beds"], "detained"),
                    ]
                )
        budget_html += _table(
            [
                "scenario",
                "P(runs out by 30 Sep 2029)",
                "spent within the horizon (USD)",
                "sustainable beds",
            ],
            rows_b,
            numeric={1, 2, 3},
        )
    page.section(
        "Costs and cost per removal",
        page.figure(
            "costs.png",
            data,
            (
                "All-in cost per removal by component (mean over replicates; stacked) and the 95 % "
                "range of replicates of the total (black). Officer time is all officer-hours, "
                f"casework included. {html.escape(csrc)}"
            ),
        )
        + _table(
            [
                "scenario",
                "all-in cost per removal (USD)",
                "all-in cost per year (USD)",
                "cost per occupied bed-day (USD)",
                "direct cost per removal (USD; v1: per-diem and departures)",
            ],
            rows,
            numeric={1, 2, 3, 4},
        )
        + budget_html,
    )

    # --- feasibility map -----
    from .sweep import read_sweep

    sw = read_sweep(folder / "sweep")
    smann, grid = sw["manifest"], sw["table"]
    ssrc = (
        f"Model: enforcesim {version}; sweep of {base} over a {plan['sweep_days']}-day "
        f"horizon, {smann['replicates']} replicates per point, seed {smann['seed']}; "
        "probability under process noise and parameter uncertainty."
    )
    body = (
        f"<p>The baseline goal scenario ({base}) run on a grid of beds x officers "
        f"({len(grid)} points, {smann['replicates']} replicates each, a "
        f"{plan['sweep_days']}-day horizon; common random numbers across the grid). "
        "Officers stand for arrest capacity here: attempts already run at the goal, so "
        "varying the attempted rate would not change what officers can make. Each cell "
        "is the share of replicates that meet the target over the horizon, under "
        "parameter uncertainty (every replicate draws its own hours per arrest, casework "
        "share, stays, removal share and transport). Resumable: "
        f"<code>enforcesim report {folder}/sweep</code> has the full sweep report.</p>"
    )
    for tgt in ("ice_arrests_per_day", "removals_per_day"):
        col = f"p_{tgt}"
        if col not in grid:
            continue
        name = f"feasibility_{tgt}.png"
        target = smann["targets"][tgt]
        data = F.grid_map(
            grid,
            "detention.beds",
            "officers.headcount",
            col,
            page.fig_path(name),
            FF.wrap(ssrc, 110),
            f"Probability that {tgt} >= {target:,g} ({unit(tgt) or 'per day'})",
            "probability target met (share of replicates)",
            0.0,
            1.0,
            percent=True,
        )
        body += page.figure(
            name,
            data,
            (
                f"Probability that {tgt} over the horizon is at least {target:,g}, by beds "
                f"(x, beds) and productive officers (y, officers). {html.escape(ssrc)}"
            ),
        )
    if "ice_arrests_per_day_mean" in grid:
        data = F.grid_map(
            grid,
            "detention.beds",
            "officers.headcount",
            "ice_arrests_per_day_mean",
            page.fig_path("sweep_arrests.png"),
            FF.wrap(ssrc, 110),
            "ICE arrests made, mean over replicates (arrests/day)",
            "ice_arrests_per_day (arrests/day)",
        )
        body += page.figure(
            "sweep_arrests.png",
            data,
            (
                "ICE arrests made per day (mean over replicates) by beds and officers: how far "
                "from 3,000 each grid point is. With removal transport at FY2024's pace, people "
                "ordered removed wait in beds, the beds fill and arrests are throttled, so more "
                f"officers stop helping. {html.escape(ssrc)}"
            ),
        )
    if "cost_per_removal_mean" in grid:
        data = F.grid_map(
            grid,
            "detention.beds",
            "officers.headcount",
            "cost_per_removal_mean",
            page.fig_path("cost_surface.png"),
            FF.wrap(ssrc, 110),
            "Direct cost per removal, mean over replicates (USD/person)",
            "cost_per_removal (USD/person)",
        )
        body += page.figure(
            "cost_surface.png",
            data,
            (
                "Direct cost per removal (per-diem bed-days and removal departures; the v1 "
                "contract metric, without overhead and officer time) by beds and officers. "
                f"{html.escape(ssrc)}"
            ),
        )
    page.section("Feasibility map", body)

    # --- sensitivity -----
    sdir = folder / "sensitivity"
    sman = json.loads((sdir / "manifest.json").read_text())
    idx = pd.read_csv(sdir / "indices.csv")
    isrc = (
        f"Model: enforcesim {version}, scenario {main} over {plan['sobol_days']} days; "
        f"SALib Sobol analysis, N = {sman['n']}, {sman['runs']} runs of 1 replicate, seed "
        f"{sman['seed']}, {sman['bootstrap_resamples']} bootstrap resamples."
    )
    body = (
        f"<p>Global sensitivity analysis (Sobol indices, SALib) of the main scenario's "
        f"cost per removal (direct) and removals per day to its {len(sman['inputs'])} "
        f"uncertain inputs: Saltelli sample with base size N = {sman['n']}, "
        f"{sman['runs']} runs (N x (inputs + 2)), each with the same seed (process noise "
        "held fixed) over a "
        f"{plan['sobol_days']}-day horizon; 95 % bootstrap confidence intervals. S1: the "
        "share of the output's variance due to the input alone; ST: with its "
        "interactions. At this N the indices are a screening (their intervals say how "
        "rough); rerun <code>enforcesim sensitivity</code> with --n 256 for published "
        "numbers.</p>"
    )
    body += sobol_html(page, idx, sman, FF.wrap(isrc, 130), output_label="output", digits=2)
    page.section("Sensitivity: what drives the answers", body)

    # --- ICE's published series ------------------------------------------------------------------
    try:
        fy, monthly = _ice_tables()
    except Exception as exc:  # the data store is optional for a report
        page.section(
            "ICE's published series and the goals",
            f"<p>The data store is not available: {html.escape(str(exc))}. Run "
            "<code>enforcesim data build</code>.</p>",
        )
    else:
        model = {
            "ice_arrests": arr[main].rename(columns={"ice_arrests": "ice_arrests"}),
            "removals": dailies[main][["replicate", "day", "removals"]],
            "detained": dailies[main][["replicate", "day", "detained"]],
        }
        hsrc = (
            f"Sources: {ICE_SOURCE}; {ARRESTS_SOURCE}; goals: press reports (May 2025), "
            f"administration statements, reconciliation law debate. Model: {main}, "
            f"enforcesim {version}, {plan['replicates']} replicates."
        )
        data = FF.history(
            fy,
            monthly,
            ICE_ARRESTS_FY,
            model,
            start,
            {"arrests": ARRESTS_GOAL, "removals": REMOVALS_GOAL},
            page.fig_path("ice_history.png"),
            hsrc,
        )
        rows = []
        for r in fy.itertuples():
            ndays = (
                pd.Timestamp(r.data_through) - pd.Timestamp(f"{r.fiscal_year - 1}-10-01")
            ).days + 1
            arrests = ICE_ARRESTS_FY.get(r.fiscal_year)
            rows.append(
                [
                    f"FY{r.fiscal_year}" + (" (partial)" if r.partial_year else ""),
                    "-" if arrests is None else f"{arrests / ndays:,.0f}",
                    f"{r.book_ins / ndays:,.0f}",
                    f"{r.removals / ndays:,.0f}",
                    f"{r.adp:,.0f}",
                    f"{r.alos_days:,.1f}",
                ]
            )
        mm = rs.summaries[main]["metrics"]
        rows.append(
            [
                f"model: {main}",
                _ivs(mm["ice_arrests_per_day"]),
                _ivs(mm["book_ins_per_day"]),
                _ivs(mm["removals_per_day"]),
                _ivs(mm["detained"], "detained"),
                _ivs(mm["length_of_stay_days"]),
            ]
        )
        rows.append(["goals", "3,000", "-", "2,740", "50,000-100,000 beds", "-"])
        page.section(
            "ICE's published series and the goals",
            page.figure(
                "ice_history.png",
                data,
                (
                    "ICE's published series through FY2024 (black: monthly book-ins per day and "
                    "average daily population; fiscal-year removals and arrests per day drawn at "
                    "mid-year), the model's main goal scenario from day 0 (dotted line; colour: "
                    "median of the replicates' monthly means and their 95 % range) and the goals "
                    f"(dashed). {html.escape(hsrc)}"
                ),
            )
            + _table(
                [
                    "",
                    "ICE arrests/day",
                    "book-ins/day",
                    "removals/day",
                    "ADP / detained",
                    "ALOS / stay (days)",
                ],
                rows,
                numeric={1, 2, 3, 4, 5},
            )
            + "<p class='note'>ICE's removals include people never detained and returns; "
            "the model's are from detention only. Book-ins include CBP transfers, which "
            "are not ICE arrests.</p>",
        )

    # --- published static estimates -----
    pub = pd.read_csv(folder / "published.csv")
    psrc = (
        f"Model: enforcesim {version}, scenarios/published/ (AIC 2024; PWBM 2025), one "
        f"replicate, {plan['published_days']} days; FY2024 transport: 5.5 departures of "
        "135 seats a day (ICE workbook; derived)."
    )
    data = FF.published(pub, page.fig_path("published.png"), psrc)
    rows = [
        [
            r.analysis,
            r.capacity,
            f"{r.removals_per_year:,.0f}",
            f"{r.detained:,.0f}",
            f"{r.cost_per_year / 1e9:,.1f}",
            f"{r.cost_per_removal:,.0f}",
        ]
        for r in pub.itertuples()
    ]
    mc = a["cost_per_removal"]
    page.section(
        "Published static estimates and capacity",
        (
            "<p>Published analyses price deportation as cost per person times a headcount: the "
            "American Immigration Council (2024) about $88B a year for 1,000,000 removals "
            "(about $88,000 each; stage split VERIFY), the Penn Wharton Budget Model (2025) "
            "$70,236 per removal. <code>scenarios/published/</code> reproduces both as special "
            "cases (no capacity limits, everyone booked in removed, ICE's FY2024 stay). Below, "
            "the same flows with capacity: with fewer beds fewer are removed; with removal "
            "transport at FY2024's pace people ordered removed hold beds while they wait, so "
            "detention per removal multiplies under AIC's per-bed-day pricing, while a flat "
            "per-removal price (PWBM) cannot see it. The main goal scenario's all-in cost per "
            f"removal, with capacity and queues and its own unit costs: ${_ivs(mc)}.</p>"
            + page.figure(
                "published.png",
                data,
                (
                    "Removals a year and cost per removal of the two published analyses, as "
                    "published and with capacity limits (dashed: 1,000,000 a year). "
                    f"{html.escape(psrc)}"
                ),
            )
            + _table(
                [
                    "analysis",
                    "capacity",
                    "removals a year",
                    "detained (mean)",
                    "total $B a year",
                    "$ per removal",
                ],
                rows,
                numeric={2, 3, 4, 5},
            )
        ),
    )

    # --- all scenarios -----
    keys = [
        "ice_arrests_per_day",
        "book_ins_per_day",
        "removals_per_day",
        "detained",
        "occupancy",
        "length_of_stay_days",
        "wait_for_transport_days",
    ]
    labels = [*compared, *context]
    rows = [
        [k, *(_ivs(rs.summaries[lab]["metrics"].get(k), k) for lab in labels), unit(k)]
        for k in keys
    ]
    diff_rows = []
    for lab in compared[1:]:
        for k in ("ice_arrests_per_day", "removals_per_day", "detained", "cost_per_removal"):
            d = _paired(rs, base, lab, k)
            diff_rows.append(
                [LABELS[lab], k, fmt(d[0], k), f"[{fmt(d[1], k)}, {fmt(d[2], k)}]", unit(k)]
            )
    page.section(
        "All scenarios: key metrics and differences",
        (
            "<p>mean [2.5 %, 97.5 %] over replicates, over each scenario's horizon (the context "
            "scenarios have their own horizons).</p>"
            + _table(["metric", *labels, "unit"], rows, numeric=set(range(1, len(labels) + 1)))
            + f"<h3>Differences from the baseline ({base})</h3><p>Replicate i of every goal "
            "scenario uses the same random streams and the same draws of the inputs they share "
            "(common random numbers), so differences are taken replicate by replicate; the "
            "interval is the 95 % confidence interval of the mean difference (Student t).</p>"
            + _table(
                ["scenario", "metric", "difference (mean)", "95 % CI", "unit"],
                diff_rows,
                numeric={2, 3},
            )
        ),
    )

    # --- intervals -----
    data = FF.intervals_explained(
        _ice_arrests_daily(rs, NOISE_ONLY),
        arr[main],
        "ice_arrests",
        start,
        page.fig_path("intervals.png"),
        f"{runs_src}. Left: process noise only (the central run: every [uncertainty] input "
        "at the file's value). Right: process noise and parameter uncertainty ([uncertainty] "
        f"drawn per replicate); dashed: the central run's median. {scen_src}",
        "ICE arrests made (arrests/day, 7-day average)",
    )
    sided = HL.one_sided_line(rs.summaries[main])
    page.section(
        "How to read the intervals",
        INTERVALS
        + (
            "<p>The <b>central run</b> beside each headline range is the same scenario, seed "
            "and replicates with every [uncertainty] input at the value the scenario file "
            "gives: what a reader of the file takes as the scenario's numbers. It is the left "
            "panel below. The file's value is not always the middle of its range.</p>"
        )
        + ("" if sided is None else f"<p>{html.escape(sided)}</p>")
        + page.figure(
            "intervals.png",
            data,
            (
                f"ICE arrests made per day in the main goal scenario ({main}), the same "
                f"{plan['replicates']} replicates and seed: left with every input at the file's "
                "value (process noise only: the central run), right with the [uncertainty] "
                "inputs drawn per replicate, the central run's median dashed. Each panel has "
                "its own scale. Bands: middle 50 % and 95 % of replicates."
            ),
        ),
    )

    # --- assumptions -----
    body = (
        "<p>Every value of every scenario file with the comment that dates and sources it "
        "(VERIFY: secondary source, press; ASSUMPTION: not a published figure). Sources "
        "are collected in ../shared/reference/parameters.md. Values drawn under "
        "[uncertainty] and their ranges are in each file's last section.</p>"
    )
    for lab in labels:
        body += (
            f"<details><summary><b>{html.escape(lab)}</b>: "
            f"{html.escape(LABELS.get(lab, ''))}</summary>"
            + assumptions_html(rs.texts[lab], man["scenarios"][lab]["source"])
            + "</details>"
        )
    page.section("Assumptions and sources", body)

    # --- method -----
    rows = [
        [
            "scenarios",
            f"{len(labels)} + the main one with process noise only",
            f"{plan['replicates']} replicates each, seed {plan['seed']}"
            + ("" if plan["days"] is None else f", horizon cut to {plan['days']} days"),
        ],
        [
            "bottleneck attribution",
            f"{main}: " + ", ".join(bn.get("constraints", [])) + " (every subset relaxed)",
            f"{plan['bottleneck_replicates']} replicates",
        ],
        [
            "feasibility sweep",
            f"{base}: beds {', '.join(f'{v:,}' for v in plan['sweep_beds'])}"
            f" x officers {', '.join(f'{v:,}' for v in plan['sweep_officers'])}",
            f"{plan['sweep_replicates']} replicates per point, {plan['sweep_days']} days",
        ],
        [
            "Sobol sensitivity",
            f"{main}: {len(sman['inputs'])} inputs",
            f"N = {plan['sobol_n']}, {sman['runs']} runs of 1 replicate, "
            f"{plan['sobol_days']} days, {plan['sobol_resamples']} bootstrap resamples",
        ],
        [
            "published estimates",
            "AIC 2024, PWBM 2025 x 4 capacities",
            f"1 replicate, {plan['published_days']} days",
        ],
    ]
    page.section(
        "Method, run sizes and provenance",
        (
            "<p>The engine is an exact continuous-time event simulation of arrests, detention and "
            "removal transport (README, docs/arrests.md, docs/costs.md). Every stage's results "
            f"are in this folder ({html.escape(str(folder))}: runs/, sweep/, sensitivity/, "
            "published.csv); rerunning the command resumes an interrupted study and reuses "
            f"finished stages. Plan '{plan['name']}':</p>"
            + _table(["stage", "what", "size"], rows)
            + "<h3>Limits</h3><ul>"
            "<li>Hours per arrest, the casework share and the at-large pool's composition are "
            "the weakest inputs (docs/arrests.md); their ranges drive the arrest answer.</li>"
            "<li>No courts, travel documents, ATD caseload or transport modes yet (issue 5): "
            "removals need only a bed-stay and a seat.</li>"
            "<li>Officers are one national pool of hours; no field offices, overtime or surge "
            "from other agencies beyond the task-force source.</li>"
            "<li>Removals are from detention only; ICE's published removals also count people "
            "never detained.</li></ul>"
            + _table(
                ["key", "value"],
                [
                    ["enforcesim", version],
                    ["plan", json.dumps(plan)],
                    *[[k, json.dumps(v)] for k, v in man["scenarios"].items()],
                ],
            )
            + _table(
                ["key", "value"],
                [[k, str(v)] for k, v in rs.summaries[main].get("provenance", {}).items()],
            )
        ),
    )
    return _write(page)
