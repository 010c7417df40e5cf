"""Costs: unit costs charged on the pipeline's volumes, tiered bed contracts, and the
appropriations (`[budget.NAME]`) that pay for cost components over a period."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ..schema.base import NAME_PATTERN, NAME_RULE, StrictModel, meta
from ..schema.errors import Violation

# Names the `costs` block reports components under (costs.py registers one function per
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


# Volumes a cost item can be charged on (costs.py maps each to a per-day series). Trips,
# flight-hours, bus trips, court, docket, document-wait and ATD days come from the case and
# transport side (zero without it). Arrests and officer-hours come
# from the arrest side ([arrests]; zero without it): `officer_hours` are the hours available
# (officers x productive hours, as paid), the `officer_hours_*` ones the ledger (as used).
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


# --- metrics and daily tables ---
# (imports here, so that this block merges as one piece with the other blocks of the module)
from typing import Any  # noqa: E402

from .outputs import Definitions, MetricSet, StageOutputs, ratio  # noqa: E402

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
