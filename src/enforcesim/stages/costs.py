"""Costs: unit costs charged on the pipeline's volumes, tiered bed contracts, and the
appropriations (`[budget.NAME]`) that pay for cost components over a period."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import numpy as np
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ..schema.base import NAME_PATTERN, NAME_RULE, StrictModel, meta
from ..schema.errors import Violation
from .constraint import Constraint
from .outputs import Definitions, MetricSet, StageOutputs, ratio
from .volume import VolumeFn

if TYPE_CHECKING:
    from ..scenario import Scenario

# Names the `costs` block reports components under (COMPONENTS below has one function per
# name; a mechanism that adds a component adds its name here).
COST_COMPONENT_NAMES = (
    "beds",
    "overhead",
    "book_ins",
    "departures",
    "arrests",
    "officer_hours",
    "escorted_trips",
    "flight_hours",
    "bus_trips",
    "court_days",
    "atd_days",
    "removals",
)


def _check_cost_name(name: str) -> str:
    if name in COST_COMPONENT_NAMES or not NAME_PATTERN.match(name):
        raise PydanticCustomError(
            "scenario_name",
            f"{NAME_RULE}, and not a component name ({', '.join(COST_COMPONENT_NAMES)})",
        )
    return name


# A `[costs.beds.NAME]` or `[costs.items.NAME]` name: reported beside the components.
CostName = Annotated[str, AfterValidator(_check_cost_name)]


# Volumes a cost item can be charged on, in the order the `costs` block reports them: the
# names of every stage's `VOLUMES`, no more and no fewer (costs.py checks at import). Trips,
# flight-hours, bus trips, court, docket, document-wait and ATD days come from the case and
# transport side (zero without it). Arrests and officer-hours come from the arrest side
# ([arrests]; zero without it): `officer_hours` are the hours available (officers x
# productive hours, as paid), the `officer_hours_*` ones the ledger (as used).
VolumeName = Literal[
    "book_ins",
    "admissions",
    "bed_days",
    "funded_bed_days",
    "removals",
    "releases",
    "departures",
    "arrests",
    "officer_hours",
    "escorted_trips",
    "flight_hours",
    "bus_trips",
    "court_days",
    "atd_days",
    "ice_arrests",
    "officer_hours_used",
    "officer_hours_arrests",
    "officer_hours_escort_transport",
    "officer_hours_casework",
    "docket_days",
    "document_wait_days",
    "escorted_trips_intake",
    "escorted_trips_transfers",
    "escorted_trips_departures",
    "flight_departures",
]


class BedTier(StrictModel):
    """One facility type's beds under a tiered contract: the guaranteed minimum is paid
    every day whether used or not, occupied beds above it at `rate_above`."""

    guaranteed_minimum: int = Field(
        0,
        ge=0,
        description="Beds paid for every day, used or not.",
        json_schema_extra=meta(
            "beds", "docs/data.md facilities table (guaranteed_minimum; 48 facilities, 32,662 beds)"
        ),
    )
    rate: float = Field(
        127.06,
        ge=0,
        description="Per bed-day of the guaranteed minimum.",
        json_schema_extra=meta(
            "USD/bed-day",
            "mean weighted by guaranteed beds of the 12 "
            "tiered contracts (6,500 guaranteed beds) in the 2015 ICE "
            "facility list, data/raw/ice-facility-lists via the facilities "
            "table's per_diem_detail (docs/costs.md)",
            varies=True,
        ),
    )
    rate_above: float = Field(
        52.38,
        ge=0,
        description="Per occupied bed-day above the guaranteed minimum.",
        json_schema_extra=meta(
            "USD/bed-day",
            "the same 12 contracts' first rate above "
            "the guaranteed minimum, weighted alike (docs/costs.md)",
            varies=True,
        ),
    )
    capacity: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        "unlimited",
        description="Beds of this type, the guaranteed minimum included; "
        "occupancy beyond every tier's capacity is charged at the last tier's `rate_above`.",
        json_schema_extra=meta("beds"),
    )


class CostItem(StrictModel):
    """A unit cost charged on a named volume: the per-stage tables of published analyses."""

    usd_per_unit: float = Field(
        ge=0,
        description="Dollars per unit of the volume.",
        json_schema_extra=meta("USD/unit", varies=True),
    )
    volume: VolumeName = Field(description="What the cost is charged on.")


class Costs(StrictModel):
    """Unit costs (U.S. dollars). `bed_day`, `per_book_in` and `per_departure` are contract
    v1 (they make `cost_total`); the other keys feed the all-in costs of the `costs` block of
    summary.json (see docs/costs.md)."""

    bed_day: float = Field(
        0.0,
        ge=0,
        description="Per occupied bed-day.",
        json_schema_extra=meta("USD/bed-day", varies=True),
    )
    per_book_in: float = Field(
        0.0,
        ge=0,
        description="Per arrival, including those turned away.",
        json_schema_extra=meta("USD/person", varies=True),
    )
    per_departure: float = Field(
        0.0,
        ge=0,
        description="Per scheduled departure, empty ones included.",
        json_schema_extra=meta("USD/departure", varies=True),
    )
    beds: dict[CostName, BedTier] = Field(
        default_factory=dict,
        description="Tiered bed costs by facility type, `[costs.beds.NAME]`, filled in file "
        "order (all guaranteed minimums first, then beds above them); when given they replace "
        "`bed_day` in the all-in costs.",
    )
    overhead_per_funded_bed_day: float = Field(
        71.85,
        ge=0,
        description="What a per-diem leaves out (health care, staff, transport, "
        "facility overhead), per funded bed-day: beds in force, or occupied bed-days while "
        "beds are unlimited.",
        json_schema_extra=meta(
            "USD/bed-day",
            "FY2024 detention budget $3.4B / (41,500 beds x 366 days) = "
            "$223.85 per funded bed-day, less the $152 per-diem (reference parameters.md, "
            "VERIFY)",
            varies=True,
        ),
    )
    overhead_per_bed_day: float = Field(
        0.0,
        ge=0,
        description="Overhead per occupied bed-day (an alternative to the funded-bed overhead).",
        json_schema_extra=meta("USD/bed-day", varies=True),
    )
    per_arrest: float = Field(
        0.0,
        ge=0,
        description="Per arrest made, CBP transfers included (zero by default: "
        "officer time is priced by `per_officer_hour`; set one or the other).",
        json_schema_extra=meta("USD/arrest", varies=True),
    )
    per_officer_hour: float = Field(
        96.15,
        ge=0,
        description="Per officer-hour available with [arrests] (officers x "
        "productive hours, casework included, used or not: docs/costs.md).",
        json_schema_extra=meta(
            "USD/officer-hour",
            "about $8B for 10,000 new officers through FY2029 (4 years, "
            "reference parameters.md, VERIFY) = $200,000 per officer-year / 2,080 hours",
            varies=True,
        ),
    )
    per_escorted_trip: float = Field(
        0.0,
        ge=0,
        description="Per escorted trip (no public source: set it in the scenario).",
        json_schema_extra=meta("USD/trip", varies=True),
    )
    per_flight_hour: float = Field(
        8600.0,
        ge=0,
        description="Per charter flight-hour.",
        json_schema_extra=meta(
            "USD/flight-hour",
            "ICE routine charter, reference parameters.md (VERIFY)",
            varies=True,
        ),
    )
    per_bus_trip: float = Field(
        0.0,
        ge=0,
        description="Per bus trip (no public source: set it in the scenario).",
        json_schema_extra=meta("USD/trip", varies=True),
    )
    per_court_day: float = Field(
        0.0,
        ge=0,
        description="Per immigration-court day (no public source: set it in the scenario).",
        json_schema_extra=meta("USD/court-day", varies=True),
    )
    per_atd_day: float = Field(
        4.20,
        ge=0,
        description="Per participant-day in alternatives to detention.",
        json_schema_extra=meta(
            "USD/participant-day",
            "ICE ATD page, under $4.20 (reference parameters.md)",
            varies=True,
        ),
    )
    per_removal: float = Field(
        0.0,
        ge=0,
        description="Per person removed (for example processing not priced elsewhere).",
        json_schema_extra=meta("USD/person", varies=True),
    )
    items: dict[CostName, CostItem] = Field(
        default_factory=dict,
        description="More unit costs, `[costs.items.NAME]`, each charged on a volume (the "
        "per-stage tables of docs/costs.md); reported under their own names.",
    )


class Budget(StrictModel):
    """An appropriation: money for some cost components over a period."""

    amount_usd: float = Field(
        ge=0, description="Money appropriated.", json_schema_extra=meta("USD", varies=True)
    )
    start: Annotated[int, Field(ge=0)] | date = Field(
        0,
        description="First day it pays for: a day number, or a date (needs `scenario.start_date`).",
        json_schema_extra=meta("day or date"),
    )
    end: Annotated[int, Field(ge=0)] | date | None = Field(
        None,
        description="Last day it pays for, inclusive (default: the last reported day); "
        "may lie beyond the horizon.",
        json_schema_extra=meta("day or date"),
    )
    pays_for: list[str] = Field(
        min_length=1,
        description="Cost components it pays for (names as in the `costs` "
        "block: beds, overhead, book_ins, departures, arrests, officer_hours, escorted_trips, "
        "flight_hours, bus_trips, court_days, atd_days, removals, or an item's name).",
    )

    def violations(self) -> list[Violation]:
        start, end = self.start, self.end
        if type(start) is type(end) and end < start:  # type: ignore[operator]
            return [Violation(("end",), end, f"must not be before start ({start})")]
        return []


# --- cost volumes and constraints ---

# The costs stage prices the other stages' volumes: it produces none and holds nothing back.
VOLUMES: dict[str, VolumeFn] = {}
CONSTRAINTS: tuple[Constraint, ...] = ()

# Every stage's volumes, in the order the `costs` block of summary.json reports them.
VOLUME_NAMES: tuple[str, ...] = get_args(VolumeName)

Volumes = dict[str, np.ndarray]  # volume name -> per reported day
ComponentFn = Callable[[Costs, Volumes], np.ndarray]


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


# The components of the `costs` block: name -> dollars per reported day.
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


def dollars_by_day(c: Costs, v: Volumes) -> dict[str, np.ndarray]:
    """Dollars per reported day by component and cost item, from the day's volumes."""
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


def per_removal(usd: float, totals: dict[str, float]) -> float:
    """Dollars per person removed, given the volumes' totals."""
    return ratio(usd, totals["removals"])


def replicate_totals(
    sc: Scenario, daily: dict[str, np.ndarray], v: Volumes
) -> dict[str, dict[str, float]]:
    """One replicate's totals from its dollars and volumes per day: the all-in total and
    ratios (COST_METRICS), by component, by year, and each volume's total."""
    total_daily = sum(daily.values())
    total = float(np.sum(total_daily))
    removals, arrests, ice_arrests, book_ins = (
        float(v[n].sum()) for n in ("removals", "arrests", "ice_arrests", "book_ins")
    )
    years = year_labels(sc)
    return {
        "metrics": {
            "cost_all_in_total": total,
            "cost_all_in_per_removal": ratio(total, removals),
            "cost_per_arrest": ratio(total, arrests),
            "cost_per_ice_arrest": ratio(total, ice_arrests),
            "cost_per_book_in": ratio(total, book_ins),
            "cost_per_occupied_bed_day": ratio(
                float(daily["beds"].sum() + daily["overhead"].sum()), float(v["bed_days"].sum())
            ),
        },
        "by_component": {name: float(x.sum()) for name, x in daily.items()},
        "by_year": {y: float(total_daily[years == y].sum()) for y in dict.fromkeys(years)},
        "volumes": {name: float(x.sum()) for name, x in v.items()},
    }


def budget_use(
    sc: Scenario, budget: Budget, daily: dict[str, np.ndarray], v: Volumes
) -> dict[str, float]:
    """One replicate's use of one appropriation, from its dollars and volumes per day.

    The budget pays for its components from its start day to its end day (inclusive; days
    before day 0 are not simulated). `runs_out_day` is the first day at whose end the
    spending exceeds the amount; when the horizon ends first and the period goes on, the
    rest is projected at the mean daily spending of the horizon's last 30 days (at most).
    inf = it never runs out within its period.
    """
    days = sc.scenario.days
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
    window = slice(start, min(end, days - 1) + 1)
    per_bed_day = ratio(paid_total, float(v["bed_days"][window].sum()))
    per_removed = ratio(paid_total, float(v["removals"][window].sum()))
    daily_funding = budget.amount_usd / period if period > 0 else math.nan
    return {
        "spent_in_horizon": spent,
        "runs_out_day": runs_out,
        "projected": float(projected),
        "sustainable_beds": ratio(daily_funding, per_bed_day),
        "sustainable_removals_per_day": ratio(daily_funding, per_removed),
    }


# --- metrics and daily tables ---


# The contract's cost metrics: its three unit prices only (the `costs` block of summary.json
# prices every component).
METRICS: Definitions = {
    "cost_total": (
        "USD",
        "occupied bed-days x bed_day + arrivals x per_book_in + departures x per_departure",
    ),
    "cost_per_removal": ("USD/person", "cost_total / removals"),
}


def metrics(out: Any) -> dict[str, float]:
    a = out.acc
    costs = out.scenario.costs
    cost_total = (
        a.area_detained * costs.bed_day
        + a.arrivals * costs.per_book_in
        + a.n_departures * costs.per_departure
    )
    return {"cost_total": cost_total, "cost_per_removal": ratio(cost_total, a.removals)}


OUTPUTS = StageOutputs(metric_sets=(MetricSet("contract", METRICS, metrics),))
