"""The flagship study's self-contained HTML report (report.html, figures embedded) and its PNG
figures (figures/), from what `run_flagship` left in the folder. Each section is computed
here and written by a macro of reports/templates/flagship.html.j2."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..analyses.common import fmt, unit
from ..analyses.sweep import read_sweep
from ..bottlenecks import alone, gap_to_target
from . import figures as F
from . import flagship_figures as FF
from . import flagship_words as W
from . import headline as HL
from .against_ice import flagship_section as against_ice_section
from .flagship_results import (
    ARRESTS_GOAL,
    BOTTLENECKS,
    BUDGET,
    LABELS,
    NOISE_ONLY,
    REMOVALS_GOAL,
    RunSet,
    answers,
    headlines,
    ice_arrests_daily,
    paired_difference,
    read_flagship,
)
from .flagship_sobol import published_sobol_html, read_published
from .headline import QUICK_LABEL
from .html import Page, macros, table
from .parts import (
    ICE_SOURCE,
    assumptions_table,
    fiscal_year_days,
    published_ice_tables,
    sobol_html,
)

# ICE administrative arrests by fiscal year (ICE annual reports and press releases; reference
# parameters.md). FY2020 and FY2021 are not in the reference.
ICE_ARRESTS_FY = {2019: 143_099, 2022: 142_750, 2023: 170_590, 2024: 113_431}
ARRESTS_SOURCE = "ICE administrative arrests FY2019, FY2022-FY2024: ICE annual reports"

SCENARIO_SOURCE = "Scenarios: scenarios/library/ (every value dated and sourced in its comments)."

_NO_GAP = {"total": None, "parts": {"beyond_constraints": None}}


def band(iv: tuple[float, float, float] | dict[str, Any] | None, metric: str = "") -> str:
    """'mean [lo, hi]' of an interval given as a tuple or a summary dict; '-' without one."""
    if isinstance(iv, dict):
        iv = (iv.get("mean"), iv.get("lo"), iv.get("hi"))
    if not iv or iv[0] is None or (isinstance(iv[0], float) and math.isnan(iv[0])):
        return "-"
    return f"{fmt(iv[0], metric)} [{fmt(iv[1], metric)}, {fmt(iv[2], metric)}]"


@dataclass
class Study:
    """The flagship folder read back, with what several sections share."""

    rs: RunSet
    folder: Path
    page: Page

    @property
    def man(self) -> dict[str, Any]:
        return self.rs.manifest

    @property
    def plan(self) -> dict[str, Any]:
        return self.rs.plan

    @property
    def quick(self) -> bool:
        return self.plan["name"] == "quick"

    @property
    def main(self) -> str:
        return self.man["main"]

    @property
    def base(self) -> str:
        return self.man["baseline"]

    @property
    def compared(self) -> list[str]:
        return self.man["compared"]

    @property
    def labels(self) -> list[str]:
        return [*self.man["compared"], *self.man["context"]]

    @cached_property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.rs.raw(self.main)["scenario"]["start_date"])

    @cached_property
    def runs_source(self) -> str:
        return (
            f"Model: enforcesim {self.man['version']}, {self.plan['replicates']} replicates per "
            f"scenario, seed {self.plan['seed']}, common random numbers"
            + (f" ({QUICK_LABEL}: plan 'quick')" if self.quick else "")
        )

    @property
    def model_source(self) -> str:
        return f"{self.runs_source}; intervals: process noise and parameter uncertainty."

    @cached_property
    def answers(self) -> dict[str, Any]:
        return answers(self.rs)

    @cached_property
    def arrests(self) -> dict[str, pd.DataFrame]:
        return {lab: ice_arrests_daily(self.rs, lab) for lab in self.compared}

    @cached_property
    def dailies(self) -> dict[str, pd.DataFrame]:
        return {lab: self.rs.daily(lab) for lab in (*self.compared, NOISE_ONLY)}

    def colour(self, label: str) -> str:
        order = self.compared
        return (
            F.OKABE_ITO[order.index(label) % len(F.OKABE_ITO)]
            if label in order
            else F.OKABE_ITO[-1]
        )

    def figure(self, name: str, data: bytes) -> Any:
        return self.page.figure(name, data)


def render_flagship(folder: str | Path, out: str | Path | None = None) -> Path:
    rs = read_flagship(folder)
    folder = Path(folder)
    quick = rs.plan["name"] == "quick"
    page = Page(
        "Can ICE make 3,000 arrests a day and remove a million people a year? "
        "The enforcesim flagship study" + (f" ({QUICK_LABEL.upper()})" if quick else ""),
        Path(out) if out else folder,
    )
    st = Study(rs, folder, page)
    T = macros("flagship.html.j2")
    page.section(
        "Headline answers",
        T.headline(
            quick,
            QUICK_LABEL,
            st.plan,
            headlines(folder),
            st.main,
            st.start.date(),
            W.scenario_terms(rs.as_run(st.main)),
        ),
    )
    page.section("The question and the scenarios", T.question(_scenarios_rows(st)))
    page.section("The model against what happened", against_ice_section(st, T, NOISE_ONLY))
    page.section("Arrests against the goal", _arrests(st, T))
    page.section("Detained population and beds", _detained(st, T))
    page.section("Removals and releases", _removals(st, T))
    page.section("Which constraint binds", _binding(st, T))
    page.section("Costs and cost per removal", _costs(st, T))
    page.section("Feasibility map", _feasibility(st, T))
    page.section("Sensitivity: what drives the answers", _sensitivity(st, T))
    page.section(
        "Sensitivity: the published analysis", published_sobol_html(page, T, read_published())
    )
    page.section("ICE's published series and the goals", _history(st, T))
    page.section("Published static estimates and capacity", _published(st, T))
    page.section("All scenarios: key metrics and differences", _all_scenarios(st, T))
    page.section("How to read the intervals", _intervals(st, T))
    page.section(
        "Assumptions and sources",
        T.assumptions(
            [
                (
                    lab,
                    LABELS.get(lab, ""),
                    st.man["scenarios"][lab]["source"],
                    rs.texts[lab],
                    assumptions_table(rs.texts[lab]),
                )
                for lab in st.labels
            ]
        ),
    )
    page.section("Method, run sizes and provenance", _method(st, T))
    return page.write()


def _scenarios_rows(st: Study) -> list[list[Any]]:
    rows = []
    for label in st.labels:
        raw = st.rs.raw(label)
        rows.append(
            [
                label,
                LABELS.get(label, ""),
                raw["scenario"].get("start_date", ""),
                f"{raw['scenario']['days']:,}",
                "arrests" if "arrests" in raw else "book-ins",
                st.man["scenarios"][label]["source"],
                st.rs.summaries[label]["replicates"],
            ]
        )
    return rows


def _arrests(st: Study, T: Any) -> Markup:
    shown = [st.base, st.main, "more-officers", "priority-criminal-first"]
    series = [(LABELS[lab], st.colour(lab), st.arrests[lab]) for lab in shown if lab in st.arrests]
    src = (
        f"{st.model_source} {SCENARIO_SOURCE} Goal: press reports, May 2025. "
        f"FY2024: {ARRESTS_SOURCE}."
    )
    data = FF.time_bands(
        series,
        "ice_arrests",
        st.start,
        st.page.fig_path("arrests_vs_goal.png"),
        src,
        "ICE arrests made per day, against the goal",
        "ICE arrests made (arrests/day, 7-day average)",
        goal=(ARRESTS_GOAL, "goal: 3,000 ICE arrests/day"),
        observed=(113_431 / 366, "ICE FY2024: 310 arrests/day (published)"),
    )
    rows = []
    for lab in st.compared:
        s = st.rs.summaries[lab]
        m = s["metrics"]
        p_met = s["targets"].get("ice_arrests_per_day", {}).get("probability_met", 0)
        rows.append(
            [
                LABELS[lab],
                band(m.get("ice_arrests_per_day"), "ice_arrests_per_day"),
                f"{p_met:.0%}",
                band(m.get("ice_arrest_attempts_per_day")),
                band(m.get("arrests_foregone_officers_per_day")),
                band(m.get("arrests_foregone_beds_per_day")),
                band(m.get("arrests_foregone_pool_per_day")),
                band(m.get("officers")),
            ]
        )
    return T.arrests(st.figure("arrests_vs_goal.png", data), rows, src)


def _detained(st: Study, T: Any) -> Markup:
    shown = [st.base, st.main, "more-officers"]
    src = f"{st.model_source} {SCENARIO_SOURCE}"
    data = F.detained_vs_beds(
        [(LABELS[lab], st.dailies[lab]) for lab in shown],
        st.start,
        st.page.fig_path("detained_vs_beds.png"),
        FF.wrap(src),
        "People in detention and beds",
    )
    return T.detained(st.figure("detained_vs_beds.png", data), src)


def _removals(st: Study, T: Any) -> Markup:
    shown = [st.base, st.main, "more-flights", "expedited-removal-wide"]
    src = f"{st.model_source} {SCENARIO_SOURCE}"
    window = max(F.smoothing_window(st.dailies[lab]) for lab in shown)
    data = FF.removals_releases(
        [(LABELS[lab], st.colour(lab), st.dailies[lab]) for lab in shown],
        st.start,
        st.page.fig_path("removals_releases.png"),
        src,
        REMOVALS_GOAL,
        window,
    )
    rows = []
    for lab in st.labels:
        s = st.rs.summaries[lab]
        p_met = s["targets"].get("removals_per_day", {}).get("probability_met", 0)
        rows.append(
            [
                LABELS[lab],
                band(s["metrics"]["removals_per_day"], "removals_per_day"),
                f"{p_met:.0%}",
                band(s["metrics"]["releases_per_day"]),
                band(s["metrics"]["wait_for_transport_days"]),
            ]
        )
    return T.removals(st.figure("removals_releases.png", data), window, rows, src)


def _binding(st: Study, T: Any) -> Markup:
    main = st.main
    arrests_main = st.rs.daily(main, "daily_arrests")
    sources = st.rs.raw(main)["arrests"]["sources"]
    ice = [n for n, s in sources.items() if s["kind"] != "cbp_transfer"]
    src = f"{st.model_source} {SCENARIO_SOURCE}"
    data = FF.binding_over_time(
        arrests_main[arrests_main["source"].isin(ice)],
        st.dailies[main],
        st.start,
        st.page.fig_path("binding.png"),
        src,
    )
    bsum = st.rs.summaries[BOTTLENECKS]
    bn = bsum.get("bottlenecks", {})
    targets = bn.get("targets", {})
    attribution = None
    if targets:
        names = list(targets)
        cons = bn.get("constraints", [])

        def gap(n: str) -> dict[str, Any]:
            return gap_to_target(targets[n]) or _NO_GAP

        rows = [
            ["achieved (as run)", *(band(targets[n]["achieved"], n) for n in names)],
            ["every constraint relaxed", *(band(targets[n]["all_relaxed"], n) for n in names)],
            *[
                [f"Shapley value: {c}", *(band(targets[n]["shapley"].get(c), n) for n in names)]
                for c in cons
            ],
            [
                "beyond every constraint (target - all relaxed)",
                *(fmt(gap(n)["parts"]["beyond_constraints"], n) for n in names),
            ],
            [
                "= target - achieved (the sum of the parts above)",
                *(fmt(gap(n)["total"], n) for n in names),
            ],
            *[
                [
                    f"relaxing {c} alone changes the metric by",
                    *(fmt(alone(targets[n]).get(c), n) for n in names),
                ]
                for c in cons
            ],
        ]
        days = [[c, band(v, "occupancy")] for c, v in bn.get("binding_day_share", {}).items()]
        attribution = {
            "constraints": cons,
            "runs": 2 ** len(cons),
            "replicates": bsum["replicates"],
            "split": table(["per day", *names], rows, numeric=range(1, len(names) + 1)),
            "days": table(["constraint", "share of days"], days, numeric={1}),
        }
    return T.binding(st.figure("binding.png", data), main, src, attribution)


def _costs(st: Study, T: Any) -> Markup:
    crow = []
    for lab in st.labels:
        c = st.rs.summaries[lab]["costs"]
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
    src = (
        f"{st.model_source} {SCENARIO_SOURCE} Unit costs: $152-180 per bed-day (ICE; GAO; "
        "VERIFY), $71.85 overhead per funded bed-day (FY2024 budget, VERIFY), $96.15 per "
        "officer-hour (2025 law's hiring money, VERIFY), $267,030 per departure (ICE Air "
        "FY2016, press) - docs/costs.md."
    )
    data = FF.cost_breakdown(ctab, st.page.fig_path("costs.png"), src)
    rows = []
    for lab in st.labels:
        s = st.rs.summaries[lab]
        c = s["costs"]["metrics"]
        days = st.rs.raw(lab)["scenario"]["days"] if st.plan["days"] is None else st.plan["days"]
        tot = c["cost_all_in_total"]
        rows.append(
            [
                LABELS[lab],
                band(c["cost_all_in_per_removal"], "cost_per_removal"),
                band(
                    tuple(v / days * 365 for v in (tot["mean"], tot["lo"], tot["hi"])), "cost_total"
                ),
                band(c["cost_per_occupied_bed_day"]),
                band(s["metrics"]["cost_per_removal"], "cost_per_removal"),
            ]
        )
    b = st.answers.get("budget")
    budget = None
    if b:
        ya = b["years_at_pace"]
        by_scenario = []
        for lab in st.compared:
            bb = st.rs.summaries[lab].get("budgets", {}).get(BUDGET)
            if bb:
                by_scenario.append(
                    [
                        LABELS[lab],
                        f"{bb['probability_runs_out']:.0%}",
                        band(bb["spent_in_horizon"], "cost_total"),
                        band(bb["sustainable_beds"], "detained"),
                    ]
                )
        budget = {
            "period_years": f"{b['period_years']:.1f}",
            "p_runs_out": f"{b['p_runs_out']:.0%}",
            "spent_per_year": band(b["spent_per_year"], "cost_total"),
            "years": f"{ya[0]:.1f}",
            "years_lo": f"{ya[1]:.1f}",
            "years_hi": f"{ya[2]:.1f}",
            "sustainable_beds": band(b["sustainable_beds"], "detained"),
            "by_scenario": by_scenario,
        }
    return T.costs(st.figure("costs.png", data), src, rows, budget)


def _feasibility(st: Study, T: Any) -> Markup:
    sw = read_sweep(st.folder / "sweep")
    sman, grid = sw["manifest"], sw["table"]
    src = (
        f"Model: enforcesim {st.man['version']}; sweep of {st.base} over a "
        f"{st.plan['sweep_days']}-day horizon, {sman['replicates']} replicates per point, seed "
        f"{sman['seed']}; probability under process noise and parameter uncertainty."
    )
    axes = ("detention.beds", "officers.headcount")

    def grid_map(column: str, name: str, title: str, label: str, **kw: Any) -> Any:
        path = st.page.fig_path(name)
        return st.figure(
            name, F.grid_map(grid, *axes, column, path, FF.wrap(src, 110), title, label, **kw)
        )

    maps = []
    for tgt in ("ice_arrests_per_day", "removals_per_day"):
        if f"p_{tgt}" not in grid:
            continue
        target = sman["targets"][tgt]
        fig = grid_map(
            f"p_{tgt}",
            f"feasibility_{tgt}.png",
            f"Probability that {tgt} >= {target:,g} ({unit(tgt) or 'per day'})",
            "probability target met (share of replicates)",
            vmin=0.0,
            vmax=1.0,
            percent=True,
        )
        maps.append((fig, tgt, f"{target:,g}"))
    arrests_fig = cost_fig = None
    if "ice_arrests_per_day_mean" in grid:
        arrests_fig = grid_map(
            "ice_arrests_per_day_mean",
            "sweep_arrests.png",
            "ICE arrests made, mean over replicates (arrests/day)",
            "ice_arrests_per_day (arrests/day)",
        )
    if "cost_per_removal_mean" in grid:
        cost_fig = grid_map(
            "cost_per_removal_mean",
            "cost_surface.png",
            "Direct cost per removal, mean over replicates (USD/person)",
            "cost_per_removal (USD/person)",
        )
    return T.feasibility(
        st.base,
        len(grid),
        sman["replicates"],
        st.plan["sweep_days"],
        str(st.folder),
        maps,
        arrests_fig,
        cost_fig,
        src,
        W.best_point(st.answers.get("sweep_best"), ARRESTS_GOAL, st.answers.get("sweep_raw", {})),
    )


def _sensitivity(st: Study, T: Any) -> Markup:
    sdir = st.folder / "sensitivity"
    sman = json.loads((sdir / "manifest.json").read_text())
    idx = pd.read_csv(sdir / "indices.csv")
    src = (
        f"Model: enforcesim {st.man['version']}, scenario {st.main} over "
        f"{st.plan['sobol_days']} days; SALib Sobol analysis, N = {sman['n']}, {sman['runs']} "
        f"runs of 1 replicate, seed {sman['seed']}, {sman['bootstrap_resamples']} bootstrap "
        "resamples."
    )
    sobol = sobol_html(st.page, idx, sman, FF.wrap(src, 130), output_label="output", digits=2)
    return T.sensitivity(sman, st.plan, sobol)


def _history(st: Study, T: Any) -> Markup:
    from ..data import DataError

    try:
        fy, monthly = published_ice_tables()
    except DataError as exc:  # the data store is optional for a report
        return T.history_unavailable(str(exc))
    main = st.main
    model = {
        "ice_arrests": st.arrests[main],
        "removals": st.dailies[main][["replicate", "day", "removals"]],
        "detained": st.dailies[main][["replicate", "day", "detained"]],
    }
    src = (
        f"Sources: {ICE_SOURCE}; {ARRESTS_SOURCE}; goals: press reports (May 2025), "
        f"administration statements, reconciliation law debate. Model: {main}, "
        f"enforcesim {st.man['version']}, {st.plan['replicates']} replicates."
    )
    data = FF.history(
        fy,
        monthly,
        ICE_ARRESTS_FY,
        model,
        st.start,
        {"arrests": ARRESTS_GOAL, "removals": REMOVALS_GOAL},
        st.page.fig_path("ice_history.png"),
        src,
    )
    rows = []
    for r in fy.itertuples():
        ndays = fiscal_year_days(r)
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
    mm = st.rs.summaries[main]["metrics"]
    rows.append(
        [
            f"model: {main}",
            band(mm["ice_arrests_per_day"]),
            band(mm["book_ins_per_day"]),
            band(mm["removals_per_day"]),
            band(mm["detained"], "detained"),
            band(mm["length_of_stay_days"]),
        ]
    )
    rows.append(["goals", "3,000", "-", "2,740", "100,000 beds (build-out)", "-"])
    return T.history(st.figure("ice_history.png", data), src, rows)


def _published(st: Study, T: Any) -> Markup:
    pub = pd.read_csv(st.folder / "published.csv")
    src = (
        f"Model: enforcesim {st.man['version']}, scenarios/published/ (AIC 2024; PWBM 2025), "
        f"one replicate, {st.plan['published_days']} days; FY2024 transport: 5.5 departures of "
        "135 seats a day (ICE workbook; derived)."
    )
    data = FF.published(pub, st.page.fig_path("published.png"), src)
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
    main_cost = band(st.answers["cost_per_removal"])
    return T.published(st.figure("published.png", data), src, rows, main_cost)


def _all_scenarios(st: Study, T: Any) -> Markup:
    keys = [
        "ice_arrests_per_day",
        "book_ins_per_day",
        "removals_per_day",
        "detained",
        "occupancy",
        "length_of_stay_days",
        "wait_for_transport_days",
    ]
    labels = st.labels
    rows = [
        [k, *(band(st.rs.summaries[lab]["metrics"].get(k), k) for lab in labels), unit(k)]
        for k in keys
    ]
    diff_rows = []
    for lab in st.compared[1:]:
        for k in ("ice_arrests_per_day", "removals_per_day", "detained", "cost_per_removal"):
            d = paired_difference(st.rs, st.base, lab, k)
            diff_rows.append(
                [LABELS[lab], k, fmt(d[0], k), f"[{fmt(d[1], k)}, {fmt(d[2], k)}]", unit(k)]
            )
    return T.all_scenarios(
        table(["metric", *labels, "unit"], rows, numeric=range(1, len(labels) + 1)),
        st.base,
        diff_rows,
    )


def _intervals(st: Study, T: Any) -> Markup:
    data = FF.intervals_explained(
        ice_arrests_daily(st.rs, NOISE_ONLY),
        st.arrests[st.main],
        "ice_arrests",
        st.start,
        st.page.fig_path("intervals.png"),
        f"{st.runs_source}. Left: process noise only (the central run: every [uncertainty] "
        "input at the file's value). Right: process noise and parameter uncertainty "
        f"([uncertainty] drawn per replicate); dashed: the central run's median. "
        f"{SCENARIO_SOURCE}",
        "ICE arrests made (arrests/day, 7-day average)",
    )
    return T.intervals(
        st.figure("intervals.png", data),
        st.main,
        st.plan["replicates"],
        HL.one_sided_line(st.rs.summaries[st.main]),
    )


def _method(st: Study, T: Any) -> Markup:
    plan, main, base = st.plan, st.main, st.base
    bn = st.rs.summaries[BOTTLENECKS].get("bottlenecks", {})
    sman = json.loads((st.folder / "sensitivity" / "manifest.json").read_text())
    stages = [
        [
            "scenarios",
            f"{len(st.labels)} + the main one with process noise only",
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
    settings = [
        ["enforcesim", st.man["version"]],
        ["plan", json.dumps(plan)],
        *[[k, json.dumps(v)] for k, v in st.man["scenarios"].items()],
    ]
    provenance = [[k, str(v)] for k, v in st.rs.summaries[main].get("provenance", {}).items()]
    return T.method(
        str(st.folder),
        plan["name"],
        stages,
        [table(["key", "value"], settings), table(["key", "value"], provenance)],
    )
