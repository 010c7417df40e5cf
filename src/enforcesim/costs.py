"""Costs: unit costs x volumes, per day and component; totals, ratios and fiscal years with
intervals over replicates; and budgets (when each appropriation runs out, what it sustains).

Two registries keep the mechanisms that other parts of the engine add pluggable:

- `VOLUMES`: name -> function(replicate output) -> per-day volume (or None when the engine
  does not produce it). The v1 engine gives book-ins, admissions, occupied bed-days, funded
  bed-days, removals, releases and departures; the arrest side ([arrests]) gives arrests
  (all, and ICE's) from `daily_arrests`, officer-hours available (`officer_hours`, what is
  priced) from `hours_by_day` and used by activity from the `officer_hours` ledger; the case
  and transport side gives escorted trips, flight-hours, bus trips, court, docket,
  document-wait and ATD days from its per-day kernel outputs (`daily_case_volumes`,
  `daily_modes`). A replicate output attribute (or `volumes` dict entry) of a volume's name
  takes precedence (a `[day, ...]` array is summed over its other axes): how another
  mechanism, or a test, supplies one.
- `COMPONENTS`: name -> function(costs, volumes) -> per-day dollars. The `costs` block of
  summary.json reports every component, and `[costs.items.NAME]` entries besides.

The v1 `cost_total` metric (results.py) is untouched: these are the all-in costs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np

from .engine import arrests as ar
from .engine.runner import ReplicateOutput
from .engine.structures import columns
from .scenario import COST_COMPONENT_NAMES, BedTier, Budget, Costs, Scenario

Volumes = dict[str, np.ndarray]
VolumeFn = Callable[[ReplicateOutput], "np.ndarray | None"]
ComponentFn = Callable[[Costs, Volumes], np.ndarray]


def _daily_col(name: str) -> VolumeFn:
    return lambda out: getattr(out.daily, name).astype(np.float64)


def _extra_col(name: str) -> VolumeFn:
    return lambda out: None if out.daily_extra is None else getattr(out.daily_extra, name)


def _funded_bed_days(out: ReplicateOutput) -> np.ndarray | None:
    """Beds in force each day; while beds are unlimited, every occupied bed is funded."""
    if out.daily_extra is None:
        return None
    beds = out.daily.beds.astype(np.float64)
    return np.where(beds < 0, out.daily_extra.bed_days, beds)


def _mechanism(name: str) -> VolumeFn:
    """A volume another mechanism writes on the replicate output, summed to one per day."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        v = getattr(out, name, None)
        if v is None:
            v = (getattr(out, "volumes", None) or {}).get(name)
        if v is None:
            return None
        a = columns(v) if isinstance(v, tuple) else np.asarray(v, dtype=np.float64)
        return a.reshape(a.shape[0], -1).sum(axis=1)

    return get


def _arrest_col(col: str, ice_only: bool = False, fallback: str | None = None) -> VolumeFn:
    """Arrests per day from a column of the arrest side's `daily_arrests` (days, classes),
    summed over classes (only those of sources counting as ICE arrests with `ice_only`);
    without [arrests], the `fallback` mechanism volume (or None)."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        a = getattr(out, "daily_arrests", None)
        if a is None:
            return _mechanism(fallback)(out) if fallback else None
        counts = np.asarray(getattr(a, col), dtype=np.float64)
        if ice_only:
            ice = [
                src.resolved("counts_as_ice_arrest")
                for src in out.scenario.arrests.sources.values()
            ]
            counts = counts[:, np.repeat(np.array(ice, dtype=bool), ar.N_CRIM)]
        return counts.sum(axis=1)

    return get


def _officer_hours_available(out: ReplicateOutput) -> np.ndarray | None:
    """Officer-hours priced: those available (officers x productive hours, casework
    included), used or not - officers are paid by the hour worked, not by the arrest (see
    docs/costs.md). Without [arrests], a mechanism's `officer_hours` (summed over activities)."""
    hb = getattr(out, "hours_by_day", None)
    if hb is None:
        return _mechanism("officer_hours")(out)
    return hb.available + hb.casework


def _ledger(activity: str | None) -> VolumeFn:
    """Officer-hours used per day (the ledger), of one activity or (None) all."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        led = getattr(out, "officer_hours", None)
        if led is None:
            return None
        if activity is not None:
            return np.asarray(getattr(led, activity), dtype=np.float64)
        return columns(led).sum(axis=1)

    return get


def _first(*fns: VolumeFn) -> VolumeFn:
    """The first of the functions that gives a volume."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        for fn in fns:
            v = fn(out)
            if v is not None:
                return v
        return None

    return get


def _case_col(*cols: str) -> VolumeFn:
    """Columns of the case side's per-day volumes (`daily_case_volumes`), summed."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        v = getattr(out, "daily_case_volumes", None)
        return None if v is None else np.column_stack([getattr(v, c) for c in cols]).sum(axis=1)

    return get


def _mode_col(col: str, kind: str | None = None, escorted: bool = False) -> VolumeFn:
    """Per day, a column of the removal modes' output (`used`: departures carrying anyone;
    `hours`: their hours), summed over the modes of a `kind` ("flight", "bus"; None:
    every mode), or (escorted) over the modes with officers aboard."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        dm = getattr(out, "daily_modes", None)
        tr = out.scenario.transport
        modes = tr.mode_list() if tr is not None else []
        if dm is None or getattr(dm, col).shape[1] != len(modes):  # no modes in the kernel
            return None
        keep = [
            m
            for m, (_, md) in enumerate(modes)
            if (kind is None or md.kind == kind) and (not escorted or md.officers_per_departure > 0)
        ]
        return getattr(dm, col)[:, keep].sum(axis=1)

    return get


_TRIPS_DEPARTURES = _mode_col("used", escorted=True)


def _escorted_trips(out: ReplicateOutput) -> np.ndarray | None:
    escorts = _case_col("escorted_trips_intake", "escorted_trips_transfers")(out)
    deps = _TRIPS_DEPARTURES(out)
    if escorts is None:
        return deps
    return escorts if deps is None else escorts + deps


VOLUMES: dict[str, VolumeFn] = {
    "book_ins": _daily_col("book_ins"),
    "admissions": _daily_col("admitted"),
    "bed_days": _extra_col("bed_days"),
    "funded_bed_days": _funded_bed_days,
    "removals": _daily_col("removals"),
    "releases": _daily_col("releases"),
    "departures": _extra_col("departures"),
    "arrests": _arrest_col("made", fallback="arrests"),
    "officer_hours": _officer_hours_available,
    "escorted_trips": _first(_mechanism("escorted_trips"), _escorted_trips),
    "flight_hours": _first(_mechanism("flight_hours"), _mode_col("hours", "flight")),
    "bus_trips": _first(_mechanism("bus_trips"), _mode_col("used", "bus")),
    "court_days": _first(_mechanism("court_days"), _case_col("court_days")),
    "atd_days": _first(_mechanism("atd_days"), _case_col("atd_days")),
    "ice_arrests": _arrest_col("made", ice_only=True),
    "officer_hours_used": _ledger(None),
    "officer_hours_arrests": _ledger("arrests"),
    "officer_hours_escort_transport": _ledger("escort_transport"),
    "officer_hours_casework": _ledger("casework"),
    "docket_days": _first(_mechanism("docket_days"), _case_col("docket_days")),
    "document_wait_days": _first(_mechanism("document_wait_days"), _case_col("document_wait_days")),
    "escorted_trips_intake": _case_col("escorted_trips_intake"),
    "escorted_trips_transfers": _case_col("escorted_trips_transfers"),
    "escorted_trips_departures": _TRIPS_DEPARTURES,
    "flight_departures": _mode_col("used", "flight"),
}


def register_volume(name: str, fn: VolumeFn) -> None:
    """Let a mechanism supply (or replace) a per-day volume."""
    VOLUMES[name] = fn


def volumes(out: ReplicateOutput) -> Volumes:
    """Every registered volume of one replicate, per reported day (zeros where absent)."""
    days = len(out.daily.beds)
    result = {}
    for name, fn in VOLUMES.items():
        v = fn(out)
        result[name] = np.zeros(days) if v is None else np.asarray(v, dtype=np.float64)
    return result


def tiered_bed_cost(occupied: np.ndarray, tiers: list[BedTier]) -> np.ndarray:
    """Dollars per day for `occupied` bed-days per day under tiered contracts.

    Every tier's guaranteed minimum is paid at its `rate` whether used or not; occupancy
    beyond all guaranteed minimums fills the tiers' remaining capacity in order at their
    `rate_above`, and any beyond every capacity is charged at the last tier's `rate_above`.
    """
    occupied = np.asarray(occupied, dtype=np.float64)
    cost = np.full(occupied.shape, sum(t.rate * t.guaranteed_minimum for t in tiers))
    rest = np.maximum(occupied - sum(t.guaranteed_minimum for t in tiers), 0.0)
    above = 0.0
    for t in tiers:
        above = t.rate_above
        room = math.inf if t.capacity == "unlimited" else max(t.capacity - t.guaranteed_minimum, 0)
        take = np.minimum(rest, room)
        cost += above * take
        rest = rest - take
    return cost + above * rest


def _beds(c: Costs, v: Volumes) -> np.ndarray:
    if c.beds:
        return tiered_bed_cost(v["bed_days"], list(c.beds.values()))
    return c.bed_day * v["bed_days"]


def _per(key: str, volume: str) -> ComponentFn:
    return lambda c, v: getattr(c, key) * v[volume]


COMPONENTS: dict[str, ComponentFn] = {
    "beds": _beds,
    "overhead": lambda c, v: (
        c.overhead_per_funded_bed_day * v["funded_bed_days"]
        + c.overhead_per_bed_day * v["bed_days"]
    ),
    "book_ins": _per("per_book_in", "book_ins"),
    "departures": _per("per_departure", "departures"),
    "arrests": _per("per_arrest", "arrests"),
    "officer_hours": _per("per_officer_hour", "officer_hours"),
    "escorted_trips": _per("per_escorted_trip", "escorted_trips"),
    "flight_hours": _per("per_flight_hour", "flight_hours"),
    "bus_trips": _per("per_bus_trip", "bus_trips"),
    "court_days": _per("per_court_day", "court_days"),
    "atd_days": _per("per_atd_day", "atd_days"),
    "removals": _per("per_removal", "removals"),
}
assert tuple(COMPONENTS) == COST_COMPONENT_NAMES


def register_component(name: str, fn: ComponentFn) -> None:
    """Let a mechanism add a cost component (add its name to COST_COMPONENT_NAMES too, so
    budgets may pay for it)."""
    COMPONENTS[name] = fn


def daily_costs(out: ReplicateOutput) -> dict[str, np.ndarray]:
    """Dollars per reported day of one replicate, by component and cost item."""
    c = out.scenario.costs
    v = volumes(out)
    result = {name: np.asarray(fn(c, v), dtype=np.float64) for name, fn in COMPONENTS.items()}
    for name, item in c.items.items():
        result[name] = item.usd_per_unit * v[item.volume]
    return result


def day_dates(sc: Scenario) -> list[date] | None:
    start = sc.scenario.start_date
    if start is None:
        return None
    return [start + timedelta(days=d) for d in range(sc.scenario.days)]


def year_labels(sc: Scenario) -> np.ndarray:
    """The fiscal year of each reported day ("FY2025" = Oct 2024 - Sep 2025), or "year N"
    (365-day years from day 0) without `scenario.start_date`."""
    dates = day_dates(sc)
    if dates is None:
        return np.array([f"year {d // 365 + 1}" for d in range(sc.scenario.days)])
    return np.array([f"FY{d.year + (1 if d.month >= 10 else 0)}" for d in dates])


def day_of(sc: Scenario, when: int | date) -> int:
    """A budget's day number: a date counts from `scenario.start_date` (validated present)."""
    if isinstance(when, date):
        assert sc.scenario.start_date is not None
        return (when - sc.scenario.start_date).days
    return int(when)


COST_METRICS = (
    "cost_all_in_total",
    "cost_all_in_per_removal",
    "cost_per_arrest",
    "cost_per_ice_arrest",
    "cost_per_book_in",
    "cost_per_occupied_bed_day",
)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def replicate_costs(out: ReplicateOutput) -> dict[str, Any]:
    """Totals of one replicate: all-in total and ratios, by component, by year."""
    daily = daily_costs(out)
    v = volumes(out)
    total_daily = sum(daily.values())
    total = float(np.sum(total_daily))
    removals, arrests, ice_arrests, book_ins = (
        float(v[n].sum()) for n in ("removals", "arrests", "ice_arrests", "book_ins")
    )
    years = year_labels(out.scenario)
    return {
        "metrics": {
            "cost_all_in_total": total,
            "cost_all_in_per_removal": _ratio(total, removals),
            "cost_per_arrest": _ratio(total, arrests),
            "cost_per_ice_arrest": _ratio(total, ice_arrests),
            "cost_per_book_in": _ratio(total, book_ins),
            "cost_per_occupied_bed_day": _ratio(
                float(daily["beds"].sum() + daily["overhead"].sum()), float(v["bed_days"].sum())
            ),
        },
        "by_component": {name: float(x.sum()) for name, x in daily.items()},
        "by_year": {y: float(total_daily[years == y].sum()) for y in dict.fromkeys(years)},
        "volumes": {name: float(x.sum()) for name, x in v.items()},
    }


def _interval(values: list[float]) -> dict[str, float | None]:
    from .results import interval

    return interval(np.array(values, dtype=np.float64))


def costs_summary(outputs: list[ReplicateOutput]) -> dict[str, Any]:
    """The `costs` block of summary.json."""
    per = [replicate_costs(o) for o in outputs]
    sc = outputs[0].scenario
    removals = [p["volumes"]["removals"] for p in per]
    years = list(per[0]["by_year"])
    counts = dict(zip(*np.unique(year_labels(sc), return_counts=True), strict=True))
    return {
        "note": "all-in costs of every component (docs/costs.md); cost_total in metrics is "
        "the contract v1 definition",
        "metrics": {m: _interval([p["metrics"][m] for p in per]) for m in per[0]["metrics"]},
        "by_component": {
            name: {
                "total": _interval([p["by_component"][name] for p in per]),
                "per_removal": _interval(
                    [_ratio(p["by_component"][name], r) for p, r in zip(per, removals, strict=True)]
                ),
            }
            for name in per[0]["by_component"]
        },
        "by_year": {
            y: {"days": int(counts[y]), "total": _interval([p["by_year"][y] for p in per])}
            for y in years
        },
        "volumes": {
            name: _interval([p["volumes"][name] for p in per]) for name in per[0]["volumes"]
        },
    }


# --- budgets ----------------------------------------------------------------------------


def budget_replicate(
    out: ReplicateOutput, budget: Budget, daily: dict[str, np.ndarray] | None = None
) -> dict[str, float]:
    """One replicate's use of one appropriation.

    The budget pays for its components from its start day to its end day (inclusive; days
    before day 0 are not simulated). `runs_out_day` is the first day at whose end the
    spending exceeds the amount; when the horizon ends first and the period goes on, the
    rest is projected at the mean daily spending of the horizon's last 30 days (at most).
    inf = it never runs out within its period.
    """
    sc = out.scenario
    days = sc.scenario.days
    daily = daily_costs(out) if daily is None else daily
    start = max(day_of(sc, budget.start), 0)
    end = days - 1 if budget.end is None else day_of(sc, budget.end)
    period = end - day_of(sc, budget.start) + 1
    spend = sum(daily[c] for c in budget.pays_for)
    inside = spend[start : min(end, days - 1) + 1]
    cum = np.cumsum(inside)
    spent = float(cum[-1]) if cum.size else 0.0
    over = np.nonzero(cum > budget.amount_usd)[0]
    projected = False
    if over.size:
        runs_out = float(start + over[0])
    elif end > days - 1 and inside.size:
        rate = float(inside[-min(30, inside.size) :].mean())
        gap = math.floor((budget.amount_usd - spent) / rate) if rate > 0 else math.inf
        runs_out = float(days + gap) if days + gap <= end else math.inf
        projected = math.isfinite(runs_out)
    else:
        runs_out = math.inf
    paid_total = float(spend[start : min(end, days - 1) + 1].sum())
    v = volumes(out)
    window = slice(start, min(end, days - 1) + 1)
    per_bed_day = _ratio(paid_total, float(v["bed_days"][window].sum()))
    per_removal = _ratio(paid_total, float(v["removals"][window].sum()))
    daily_funding = budget.amount_usd / period if period > 0 else math.nan
    return {
        "spent_in_horizon": spent,
        "runs_out_day": runs_out,
        "projected": float(projected),
        "sustainable_beds": _ratio(daily_funding, per_bed_day),
        "sustainable_removals_per_day": _ratio(daily_funding, per_removal),
    }


def budgets_summary(outputs: list[ReplicateOutput]) -> dict[str, Any]:
    """The `budgets` block of summary.json: one entry per `[budget.NAME]`."""
    sc = outputs[0].scenario
    result: dict[str, Any] = {}
    per_daily = [daily_costs(o) for o in outputs]
    for name, budget in sc.budget.items():
        rows = [budget_replicate(o, budget, d) for o, d in zip(outputs, per_daily, strict=True)]
        out_days = np.array([r["runs_out_day"] for r in rows])
        finite = out_days[np.isfinite(out_days)]
        entry: dict[str, Any] = {
            "amount_usd": budget.amount_usd,
            "pays_for": list(budget.pays_for),
            "period_days": [
                max(day_of(sc, budget.start), 0),
                sc.scenario.days - 1 if budget.end is None else day_of(sc, budget.end),
            ],
            "spent_in_horizon": _interval([r["spent_in_horizon"] for r in rows]),
            "probability_runs_out": float(np.isfinite(out_days).mean()),
            "runs_out_day": _interval(list(finite)) if finite.size else None,
            "runs_out_projected_share": float(np.mean([r["projected"] for r in rows])),
            "sustainable_beds": _interval([r["sustainable_beds"] for r in rows]),
            "sustainable_removals_per_day": _interval(
                [r["sustainable_removals_per_day"] for r in rows]
            ),
        }
        start = sc.scenario.start_date
        if start is not None and entry["runs_out_day"] is not None:
            entry["runs_out_date"] = {
                key: (start + timedelta(days=int(math.floor(v)))).isoformat()
                for key, v in entry["runs_out_day"].items()
                if v is not None
            }
        result[name] = entry
    return result
