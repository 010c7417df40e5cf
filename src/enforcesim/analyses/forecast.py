"""A dated forecast by calendar month: a run's series over a window of its reported dates.

For every calendar month of the window (`first` to `last`, inside the days the run reports;
a month cut by the window counts its days inside it only), each series' central run (every
`[uncertainty]` parameter at the file's value, the same seed and replicates: process noise
only) and a band over replicates of the monthly means: the median, the 10th and 90th
percentiles, and the 2.5th and 97.5th with 40 replicates or more (fewer give no meaningful
tails). With `[uncertainty]` the band covers parameter uncertainty (one draw per replicate)
and process noise; without it, process noise only.

Series (those the run can give; `Forecast.missing` says why one is left out):

- ``ice_arrests``: ICE arrests made per day (every arrest source but kind ``cbp_transfer``);
- ``ice_book_ins``, ``detained``, ``detained_ice``, ``detained_cbp``, ``removals``: as in
  analyses/against_ice.py (whose daily series and monthly means this module reuses);
- ``cbp_book_ins``: book-ins of CBP arrests per day (``cbp_transfer`` sources, or book-in
  streams named "cbp");
- ``cost_total`` and ``cost_COMPONENT``: all-in dollars over the month's days (docs/costs.md);
- ``binding_NAME``: per replicate, the share of the month's days on which the constraint
  binds (constraints.py); its `mean` over replicates is the share of replicates in which it
  binds on an average day of the month (the flagship report's "how often each binds").

Budgets (`[budget.NAME]`): per replicate the day the appropriation runs out (costs.py; past
the run's horizon projected at its last 30 days' pace), as a band of calendar months, and
what it pays out inside the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import NO_VALUE, Problem, ScenarioError
from .against_ice import agency_of_stream, model_daily, monthly_means, results_tables, source_kinds

if TYPE_CHECKING:
    from ..results import Results
    from ..scenario import Scenario

# series -> (unit, meaning); cost components and constraints add theirs (`series_units`)
SERIES: dict[str, tuple[str, str]] = {
    "ice_arrests": ("persons/day", "ICE arrests made (every arrest source but cbp_transfer)"),
    "ice_book_ins": ("persons/day", "book-ins of ICE arrests"),
    "cbp_book_ins": ("persons/day", "book-ins of CBP arrests (transfers)"),
    "detained": ("persons", "detained at the end of the day, all agencies"),
    "detained_ice": ("persons", "detained, ICE arrests"),
    "detained_cbp": ("persons", "detained, CBP arrests"),
    "removals": ("persons/day", "removals out of detention"),
    "cost_total": ("USD/month", "all-in cost over the month's days, every component"),
}
COST_UNIT = "USD/month"
BINDING_UNIT = "share of days"
TAILS_MIN_REPLICATES = 40  # below this the 2.5 / 97.5 percentiles are left empty
COLUMNS = [
    "scenario",
    "series",
    "month",
    "days",
    "unit",
    "central",
    "mean",
    "p2_5",
    "p10",
    "median",
    "p90",
    "p97_5",
]
_BAND = {"p10": 10.0, "median": 50.0, "p90": 90.0}  # of a budget's month and payments
PERCENTILES = {"p2_5": 2.5, "p10": 10.0, "median": 50.0, "p90": 90.0, "p97_5": 97.5}


@dataclass
class BudgetForecast:
    """When one appropriation runs out (calendar months; None: not before its end) and what
    it pays out inside the window, over replicates and in the central run."""

    name: str
    amount_usd: float
    end: date  # the last day it pays for
    probability_runs_out: float  # share of replicates in which it runs out by its end
    projected_share: float  # share of replicates whose date is projected past the horizon
    runs_out: dict[str, str | None]  # p10, median, p90, central -> "YYYY-MM" or None
    spent_in_window: dict[str, float]  # p10, median, p90, central -> USD

    def describe(self) -> str:
        def month(v: str | None) -> str:
            return v if v is not None else f"not by {self.end}"

        r, s = self.runs_out, self.spent_in_window
        when = (
            f"does not run out by {self.end} (10th-90th percentiles and central run)"
            if all(v is None for v in r.values())
            else f"runs out {month(r['median'])} [{month(r['p10'])} - {month(r['p90'])}] "
            f"(central run {month(r['central'])})"
        )
        return (
            f"{self.name} (${self.amount_usd / 1e9:,.1f}B): {when}; "
            f"probability it runs out by its end {self.probability_runs_out:.0%} "
            f"(projected past the run: {self.projected_share:.0%}); paid out in the window "
            f"${s['median'] / 1e9:,.2f}B [{s['p10'] / 1e9:,.2f}-{s['p90'] / 1e9:,.2f}] "
            f"(central run ${s['central'] / 1e9:,.2f}B)"
        )


@dataclass
class Forecast:
    """A run's forecast over a window: `table` one row per series and month (COLUMNS)."""

    scenario: str
    source: str
    scenario_sha256: str
    start: date  # day 0 of the run
    first: date
    last: date
    months: list[str]
    table: pd.DataFrame
    replicates: int
    seed: int
    parameters: list[str]  # the [uncertainty] paths drawn per replicate (empty: none)
    budgets: list[BudgetForecast] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # series not given, and why

    @property
    def uncertainty(self) -> str:
        """What the band covers."""
        if self.parameters:
            return (
                f"parameter uncertainty ({len(self.parameters)} [uncertainty] parameters, "
                "one draw per replicate) and process noise"
            )
        return "process noise only (the scenario has no [uncertainty])"

    @property
    def band(self) -> str:
        tails = (
            ", 2.5th-97.5th"
            if self.replicates >= TAILS_MIN_REPLICATES
            else f" (2.5th-97.5th left empty below {TAILS_MIN_REPLICATES} replicates)"
        )
        return (
            f"10th-90th percentiles{tails} of the {self.replicates} replicates' monthly means, "
            f"median between; covers {self.uncertainty}"
        )

    def records(self) -> list[dict[str, Any]]:
        return self.table.to_dict("records")

    def provenance(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What forecast.json holds beside the table: the run, the band and the budgets."""
        from .. import __version__

        return {
            "scenario": self.scenario,
            "scenario_file": self.source,
            "scenario_sha256": self.scenario_sha256,
            "enforcesim_version": __version__,
            "window": [self.first.isoformat(), self.last.isoformat()],
            "day0": self.start.isoformat(),
            "replicates": self.replicates,
            "seed": self.seed,
            "band": self.band,
            "uncertainty_parameters": self.parameters,
            "overrides": dict(overrides or {}),
            "missing": self.missing,
            "budgets": [
                {
                    "name": b.name,
                    "amount_usd": b.amount_usd,
                    "end": b.end.isoformat(),
                    "probability_runs_out": b.probability_runs_out,
                    "projected_share": b.projected_share,
                    "runs_out_month": b.runs_out,
                    "spent_in_window_usd": b.spent_in_window,
                }
                for b in self.budgets
            ],
        }

    def describe(self) -> str:
        return (
            f"{self.scenario}: {len(self.months)} months, {self.first} to {self.last} (day 0 "
            f"= {self.start}); central: every [uncertainty] parameter at the file's value, "
            f"mean of replicates; band: {self.band}; seed {self.seed}"
        )


# --- the window --------------------------------------------------------------------------------


def check_window(sc: Scenario, source: str, first: date, last: date) -> date:
    """Day 0 of the run; ScenarioError naming the key when the scenario has no start date or
    its reported days do not cover `first` to `last`; ValueError when `first` > `last`."""
    if first > last:
        raise ValueError(f"--from {first} is after --to {last}")
    start = sc.scenario.start_date
    if start is None:
        raise ScenarioError(
            [
                Problem(
                    source,
                    "scenario.start_date",
                    NO_VALUE,
                    "missing; a forecast by calendar month needs the date of day 0 "
                    "(a TOML date, e.g. 2025-10-01)",
                )
            ]
        )
    days = sc.scenario.days
    end = start + timedelta(days=days - 1)
    span = f"the run reports {start} to {end}, the window is {first} to {last}"
    problems = []
    if first < start:
        problems.append(
            Problem(source, "scenario.start_date", start, f"after --from {first}: {span}")
        )
    if last > end:
        problems.append(
            Problem(source, "scenario.days", days, f"the run ends before --to {last}: {span}")
        )
    if problems:
        raise ScenarioError(problems)
    return start


def window_months(start: date, first: date, last: date) -> pd.DataFrame:
    """The calendar months of the window: month ("YYYY-MM"), days inside the window, and the
    model days of the first and last of them (the frame against_ice.monthly_means reads)."""
    rows = []
    month = date(first.year, first.month, 1)
    while month <= last:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        a, b = max(month, first), min(following - timedelta(days=1), last)
        rows.append(
            {
                "month": f"{month:%Y-%m}",
                "days": (b - a).days + 1,
                "first_day": (a - start).days,
                "last_day": (b - start).days,
            }
        )
        month = following
    return pd.DataFrame(rows, columns=["month", "days", "first_day", "last_day"])


# --- the daily series --------------------------------------------------------------------------


def forecast_daily(res: Results) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """One row per replicate and reported day with a column per series the run can give
    (floats), the series it cannot give with the reason, and every column's unit."""
    from ..constraints import binding_flags, reported
    from ..costs import daily_costs

    tables = results_tables(res)
    kinds = source_kinds(res.scenario)
    out, missing = model_daily(tables, kinds)
    n = len(out)
    arrests, streams = tables.get("daily_arrests"), tables.get("daily_streams")
    index = pd.MultiIndex.from_frame(out[["replicate", "day"]])

    def summed(frame: pd.DataFrame, column: str) -> np.ndarray:
        s = frame.groupby(["replicate", "day"], observed=True)[column].sum()
        return s.reindex(index, fill_value=0).to_numpy(float)

    cbp = [name for name, kind in kinds.items() if kind == "cbp_transfer"]
    if arrests is not None and kinds:
        ice_sources = arrests[~arrests["source"].isin(cbp)]
        out["ice_arrests"] = summed(ice_sources, "made")
        out["cbp_book_ins"] = summed(arrests[arrests["source"].isin(cbp)], "booked_in")
    else:
        missing["ice_arrests"] = "no [arrests] sources: book-ins are the input"
        agency = None
        if streams is not None:
            names = pd.Series(streams["stream"].astype(str))
            agency = names.map(lambda s: agency_of_stream(s, kinds)).to_numpy()
        if agency is not None and (agency == "cbp").any():
            out["cbp_book_ins"] = summed(streams[agency == "cbp"], "book_ins")
        else:
            missing["cbp_book_ins"] = "no arrest sources and no book-in stream named 'cbp'"
    units = {s: u for s, (u, _) in SERIES.items()}
    per_rep = [daily_costs(r) for r in res.replicates]
    out["cost_total"] = np.concatenate([sum(d.values()) for d in per_rep]).astype(float)
    for component in per_rep[0]:
        values = np.concatenate([d[component] for d in per_rep]).astype(float)
        if np.any(values != 0):
            out[f"cost_{component}"] = values
            units[f"cost_{component}"] = COST_UNIT
    flags = [binding_flags(r) for r in res.replicates]
    for name in reported(res.scenario):
        out[f"binding_{name}"] = np.concatenate([f[name] for f in flags]).astype(float)
        units[f"binding_{name}"] = BINDING_UNIT
    assert len(out) == n
    fixed = [s for s in SERIES if s in out]
    rest = [c for c in out.columns if c not in fixed and c not in ("replicate", "day")]
    return out[["replicate", "day", *fixed, *rest]], missing, units


def series_of(daily: pd.DataFrame) -> list[str]:
    return [c for c in daily.columns if c not in ("replicate", "day")]


def monthly(daily: pd.DataFrame, months: pd.DataFrame, units: Mapping[str, str]) -> pd.DataFrame:
    """Per replicate and month: each series' mean over the month's days in the window; the
    costs as totals over those days."""
    series = series_of(daily)
    per = monthly_means(daily, months, series)
    days = per["month"].map(dict(zip(months["month"], months["days"], strict=True)))
    for s in series:
        if units.get(s) == COST_UNIT:
            per[s] = per[s] * days
    return per


def bands(
    per_rep: pd.DataFrame,
    central: pd.DataFrame,
    months: pd.DataFrame,
    units: Mapping[str, str],
    scenario: str,
) -> pd.DataFrame:
    """One row per series and month (COLUMNS) from the monthly means of the run's replicates
    and of the central run's."""
    series = [s for s in series_of(per_rep) if s != "month"]
    n = int(per_rep["replicate"].nunique())
    grouped = per_rep.groupby("month")[series]
    q = {k: grouped.quantile(p / 100.0) for k, p in PERCENTILES.items()}
    mean = grouped.mean()
    cen = central.groupby("month")[series].mean()
    rows = []
    for s in series:
        for m in months.itertuples():
            row = {
                "scenario": scenario,
                "series": s,
                "month": m.month,
                "days": int(m.days),
                "unit": units[s],
                "central": float(cen.at[m.month, s]),
                "mean": float(mean.at[m.month, s]),
            }
            for k in PERCENTILES:
                tail = k in ("p2_5", "p97_5") and n < TAILS_MIN_REPLICATES
                row[k] = math.nan if tail else float(q[k].at[m.month, s])
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


# --- budgets -----------------------------------------------------------------------------------


def _month_of(start: date, day: float) -> str | None:
    return None if not math.isfinite(day) else f"{start + timedelta(days=int(day)):%Y-%m}"


def budget_forecasts(
    run: Results, central: Results, first_day: int, last_day: int
) -> list[BudgetForecast]:
    """Every [budget.NAME] of the run: the month it runs out (10th, 50th, 90th percentiles
    over replicates, a replicate in which it never runs out counting as later than any) and
    what it pays out on the window's days."""
    from ..costs import budget_replicate, daily_costs
    from ..stages.costs import day_of

    sc = run.scenario
    start = sc.scenario.start_date
    assert start is not None
    out = []

    def per_replicate(res: Results, budget: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        days, spent, projected = [], [], []
        for o in res.replicates:
            daily = daily_costs(o)
            use = budget_replicate(o, budget, daily)
            days.append(use["runs_out_day"])
            projected.append(use["projected"])
            paid = sum(daily[c] for c in budget.pays_for)
            spent.append(float(np.sum(paid[first_day : last_day + 1])))
        return np.array(days), np.array(spent), np.array(projected)

    for name, budget in sc.budget.items():
        days, spent, projected = per_replicate(run, budget)
        c_days, c_spent, _ = per_replicate(central, budget)
        # "nearest" picks a replicate's own day, so a share of never (inf) stays never
        q = {k: float(np.quantile(days, p / 100.0, method="nearest")) for k, p in _BAND.items()}
        runs_out = {k: _month_of(start, v) for k, v in q.items()}
        runs_out["central"] = _month_of(start, float(np.quantile(c_days, 0.5, method="nearest")))
        spent_q = {k: float(np.quantile(spent, p / 100.0)) for k, p in _BAND.items()}
        out.append(
            BudgetForecast(
                name=name,
                amount_usd=budget.amount_usd,
                end=start + timedelta(days=day_of(sc, budget.end))
                if budget.end is not None
                else start + timedelta(days=sc.scenario.days - 1),
                probability_runs_out=float(np.isfinite(days).mean()),
                projected_share=float(projected.mean()),
                runs_out=runs_out,
                spent_in_window=spent_q | {"central": float(c_spent.mean())},
            )
        )
    return out


# --- the forecast ------------------------------------------------------------------------------


def forecast(run: Results, central: Results, first: date, last: date) -> Forecast:
    """The forecast of a finished run and its central run (the same scenario, seed and
    replicates without [uncertainty]; a run without [uncertainty] is its own)."""
    sc = run.scenario
    start = check_window(sc, run.source, first, last)
    months = window_months(start, first, last)
    daily, missing, units = forecast_daily(run)
    per_rep = monthly(daily, months, units)
    if central is run:
        per_central = per_rep
    else:
        central_daily, _, _ = forecast_daily(central)
        per_central = monthly(central_daily, months, units)
    first_day, last_day = (first - start).days, (last - start).days
    return Forecast(
        scenario=sc.scenario.name,
        source=run.source,
        scenario_sha256=run.scenario_sha256,
        start=start,
        first=first,
        last=last,
        months=list(months["month"]),
        table=bands(per_rep, per_central, months, units, sc.scenario.name),
        replicates=len(run.replicates),
        seed=sc.scenario.seed,
        parameters=list(sc.uncertainty or {}),
        budgets=budget_forecasts(run, central, first_day, last_day),
        missing=missing,
    )


def run_forecast(
    scenario: Any,
    first: date,
    last: date,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> Forecast:
    """Run a scenario (a path, dict or Scenario) and its central run (with [uncertainty], on
    the same random numbers) and forecast `first` to `last`. The window is checked before
    anything runs."""
    from .runs import run_with_central

    res, central = run_with_central(
        scenario, seed=seed, replicates=replicates, overrides=overrides, workers=workers,
        before=lambda sc, source: check_window(sc, source, first, last),
    )  # fmt: skip
    return forecast(res, central or res, first, last)


# --- one input at a time -----------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """A scenario value the data cannot pin down, and the range to try it over."""

    path: str
    low: float
    high: float
    why: str


def uncertain_inputs(sc: Scenario) -> list[Input]:
    """The scenario's [uncertainty] parameters at the ends of their ranges (central.py)."""
    from ..central import parameter_ranges

    return [
        Input(r.path, r.low, r.high, f"[uncertainty] {r.dist}, {r.range_kind}")
        for r in parameter_ranges(sc)
    ]


def window_means(res: Results, first: date, last: date, series: Sequence[str]) -> dict[str, float]:
    """Each series' mean over the window's days and the run's replicates (NaN: not given)."""
    start = check_window(res.scenario, res.source, first, last)
    daily, _ = model_daily(results_tables(res), source_kinds(res.scenario))
    a, b = (first - start).days, (last - start).days
    inside = daily[(daily["day"] >= a) & (daily["day"] <= b)]
    return {s: float(inside[s].mean()) if s in inside else math.nan for s in series}


def one_at_a_time(
    scenario: Any,
    inputs: Sequence[Input],
    first: date,
    last: date,
    *,
    series: Sequence[str] = ("ice_book_ins", "detained"),
    replicates: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """The central run (no parameter draws) and, per input, the central run with that input
    at the low and at the high end of its range (as `--set` would), everything else at the
    file's values: each series' mean over the window. One row per run: input, end, value,
    then a column per series."""
    from ..central import without_uncertainty
    from ..scenario.rules import uncertain_value_rule
    from .runs import load, run

    sc, _, source = load(scenario, seed=seed, replicates=replicates)
    check_window(sc, source, first, last)
    plain = without_uncertainty(sc)
    runs: list[tuple[str, str, Any, dict[str, Any] | None]] = [("(central run)", "file", "", None)]
    for i in inputs:
        low, high = i.low, i.high
        # an integer value (beds, officers) takes integer ends, rounded as its draws are
        allowed = uncertain_value_rule(i.path)
        if allowed is not None and allowed.integer:
            low, high = int(np.rint(low)), int(np.rint(high))
        runs += [
            (i.path, "low", low, {i.path: low}),
            (i.path, "high", high, {i.path: high}),
        ]
    rows = []
    for path, end, value, overrides in runs:
        res = run(plain, overrides=overrides, workers=workers, central=False)
        res.source = source
        rows.append(
            {"input": path, "end": end, "value": value}
            | window_means(res, first, last, list(series))
        )
    return pd.DataFrame(rows)
